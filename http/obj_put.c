/*
 * Target PUT and DELETE of an object (spec native-api.md sections 6.2, 6.4;
 * smap-bmd.md section 5).
 *
 * A PUT streams: when the headers are in, the request is validated (marker,
 * bucket, name, checksum headers, custom metadata) and a work file is
 * created under <mountpath>/@<provider>/<bucket>/%wk/ on the object's HRW
 * mountpath -- the same filesystem as the final name, so the rename below
 * is atomic. Each upload chunk is written there as the server receives it
 * and fed to the checksum(s); nothing accumulates in memory. When the body
 * is complete:
 *
 *   1. verify the client's Ais-Checksum-Type/Value, if sent (mismatch:
 *      400 "BAD DATA CHECKSUM", nothing stored);
 *   2. fsync the work file if the bucket has the Fsync-PUT feature;
 *   3. under the object's stripe lock: read the current version, write the
 *      new metadata xattr (size, checksum, version+1, bucket ID, custom) on
 *      the work file, rename it over %ob/<name> (creating directories);
 *   4. answer 200 with Ais-Checksum-*, Ais-Version, Ais-Atime.
 *
 * The xattr is written before the rename, so a reader never sees the new
 * bytes without their metadata, nor a partial object. Whatever goes wrong
 * -- a disk error (ENOSPC: 507), a checksum mismatch, the client vanishing
 * or sending less than its Content-Length (the server calls abort) -- the
 * work file is unlinked and the previous object, if any, stays intact.
 *
 * Work files are named <digest>.<pid>.<seq> (hex): unique within the
 * process by the sequence, across restarts by the pid (O_EXCL catches the
 * rest). A crash can leave some behind; they never look like objects.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/cksum.h"
#include "core/log.h"
#include "core/lom.h"
#include "http/obj_int.h"
#include "http/reply.h"

static atomic_uint_fast64_t http_put_seq;

void
http_put_discard(http_put *p)
{
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	if (p->wfqn[0] != '\0' && unlink(p->wfqn) != 0 && errno != ENOENT) {
		AIS_LOGW("AIS-TGT-PUT-WORK", "cannot remove work file %s: %s",
		    p->wfqn, strerror(errno));
	}
	p->wfqn[0] = '\0';
	ais_cksum_fini(&p->ck);
	ais_cksum_fini(&p->ck2);
	ais_cksum_fini(&p->md5);
}

bool
http_put_write(http_put *p, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(p->fd, data + off, len - off);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			p->werr = errno;
			return false;
		}
		off += (size_t) n;
	}
	ais_cksum_update(&p->ck, data, len);
	if (p->ck2_on) {
		ais_cksum_update(&p->ck2, data, len);
	}
	if (p->md5_on) {
		ais_cksum_update(&p->md5, data, len);
	}
	p->got += len;
	return true;
}

static bool
http_put_chunk(void *arg, const char *data, size_t len)
{
	/* false: the rest is drained, end() answers */
	return http_put_write(arg, data, len);
}

static void
http_put_abort(void *arg)
{
	http_put *p = arg;

	AIS_LOGD("AIS-TGT-PUT-ABORT",
	    "%s: upload of %s ended after %" PRIu64 " bytes", p->o->tag,
	    p->o->uname, p->got);
	http_put_discard(p);
}

static void
http_put_version(http_put *p, const char *fqn)
{
	ais_lom_next_version(fqn, p->o->props.versioning, &p->md);
}

/* The errno behind a core error, for the one status mapping in end(). */
static int
http_put_errno(ais_err err)
{
	if ((err & AIS_ESYS) != 0) {
		return err & ~AIS_ESYS;
	}
	return err == AIS_ENOSPC ? ENOSPC : EIO;
}

/* Step 3 of the file comment; returns 0 or errno. */
static int
http_put_commit(http_put *p, const char *fqn)
{
	ais_err err;
	int e = 0;

	http_obj_lock(p->o->digest);
	http_put_version(p, fqn);
	err = ais_lom_store_fd(p->fd, &p->md);
	if (err != AIS_OK) {
		e = http_put_errno(err);
		goto out;
	}
	if (rename(p->wfqn, fqn) != 0) {
		e = errno;
		if (e == ENOENT) {
			e = ais_mkdir_parent(fqn);
			if (e == 0 && rename(p->wfqn, fqn) != 0) {
				e = errno;
			}
		}
	}
out:
	http_obj_unlock(p->o->digest);
	if (e == 0) {
		p->wfqn[0] = '\0'; /* it is the object now */
	}
	return e;
}

void
http_put_sums(
    http_put *p, char got2[AIS_CKSUM_HEX_MAX], char md5[AIS_CKSUM_HEX_MAX])
{
	ais_cksum_final(&p->ck, p->md.cksum_value);
	got2[0] = '\0';
	if (p->ck2_on) {
		ais_cksum_final(&p->ck2, got2);
	}
	md5[0] = '\0';
	if (p->md5_on) {
		ais_cksum_final(&p->md5, md5);
	} else if (p->want_md5) {
		memcpy(md5, p->md.cksum_value, strlen(p->md.cksum_value) + 1);
	}
}

int
http_put_store(http_put *p)
{
	http_obj *o = p->o;
	char fqn[PATH_MAX];
	struct timespec ts[2];
	int e;

	if ((o->props.features & AIS_FEAT_FSYNC_PUT) != 0
	    && fsync(p->fd) != 0) {
		return errno;
	}
	p->now = http_obj_now_ns();
	ts[0].tv_sec = (time_t) (p->now / 1000000000LL);
	ts[0].tv_nsec = (long) (p->now % 1000000000LL);
	ts[1].tv_sec = 0;
	ts[1].tv_nsec = UTIME_OMIT;
	(void) futimens(p->fd, ts); /* atime = end of the PUT, as AIS */
	p->md.size = (int64_t) p->got;
	p->md.lid = o->props.bid;
	if (!http_obj_fqn(o, p->mp, AIS_CT_OBJ, fqn, sizeof(fqn))) {
		return ENAMETOOLONG;
	}
	e = http_put_commit(p, fqn);
	if (e != 0) {
		return e;
	}
	if (close(p->fd) != 0) {
		AIS_LOGW("AIS-TGT-PUT-CLOSE", "%s: close %s: %s", o->tag, fqn,
		    strerror(errno));
	}
	p->fd = -1;
	ais_cksum_fini(&p->ck2);
	ais_cksum_fini(&p->md5);
	return 0;
}

static void
http_put_end(void *arg, http_req *r, uint64_t total)
{
	http_put *p = arg;
	http_obj *o = p->o;
	char cname[HTTP_OBJ_UNAME_MAX];
	char got2[AIS_CKSUM_HEX_MAX];
	char md5[AIS_CKSUM_HEX_MAX];
	http_hdrs h;
	int e;

	http_obj_cname(o, true, cname, sizeof(cname));
	if (p->werr != 0) {
		e = p->werr;
		goto fail_sys;
	}
	if (total != p->got
	    || (p->expect != UINT64_MAX && total != p->expect)) {
		http_put_discard(p);
		http_reply_err(r, 400,
		    "%s: PUT %s: got %" PRIu64 " bytes, "
		    "Content-Length says %" PRIu64,
		    o->tag, cname, total, p->expect);
		return;
	}
	http_put_sums(p, got2, md5);
	if (p->want_type != AIS_CKSUM_NONE) {
		const char *got = p->ck2_on ? got2 : p->md.cksum_value;

		if (strcasecmp(got, p->want) != 0) {
			http_put_discard(p);
			http_reply_err(r, 400,
			    "BAD DATA CHECKSUM: %s: %s(%s) != %s(%s)", cname,
			    ais_cksum_type_str(p->want_type), p->want,
			    ais_cksum_type_str(p->want_type), got);
			return;
		}
	}
	e = http_put_store(p);
	if (e != 0) {
		goto fail_sys;
	}
	http_hdrs_init(&h);
	if (p->md.cksum_type != AIS_CKSUM_NONE) {
		http_hdrs_add(&h, "Ais-Checksum-Type",
		    ais_cksum_type_str(p->md.cksum_type));
		http_hdrs_add(&h, "Ais-Checksum-Value", p->md.cksum_value);
	}
	if (p->md.version[0] != '\0') {
		http_hdrs_add(&h, "Ais-Version", p->md.version);
	}
	http_hdrs_addf(&h, "Ais-Atime", "%lld", (long long) p->now);
	http_reply(r, 200, NULL, NULL, 0, h.kv);
	return;

fail_sys:
	http_put_discard(p);
	if (e == EISDIR || e == ENOTDIR || e == EEXIST || e == ENOTEMPTY) {
		/* "a" vs "a/b": a name is either an object or a directory */
		http_reply_err(r, 409,
		    "%s: cannot store %s: its name conflicts with another "
		    "object's path (%s)",
		    o->tag, cname, strerror(e));
		return;
	}
	if (e == ENOSPC || e == EDQUOT) {
		AIS_LOGW("AIS-TGT-PUT-ENOSPC", "%s: PUT %s: %s (mountpath %s)",
		    o->tag, o->uname, strerror(e), p->mp->path);
	} else {
		AIS_LOGE("AIS-TGT-PUT-FAIL", "%s: PUT %s: %s", o->tag,
		    o->uname, strerror(e));
	}
	http_reply_err(r, e == ENOSPC || e == EDQUOT ? 507 : 500,
	    "%s: failed to PUT %s: %s", o->tag, cname, strerror(e));
}

static const http_sink http_put_sink = {
	.chunk = http_put_chunk,
	.end = http_put_end,
	.abort = http_put_abort,
};

/* Ais-Custom-Md: one "key=value" per header value (AIS cmn/objattrs.go). */
static void
http_put_custom(void *arg, const char *value)
{
	http_put *p = arg;
	const char *eq = strchr(value, '=');
	char key[256];
	size_t kl;

	if (eq == NULL || eq == value
	    || (kl = (size_t) (eq - value)) >= sizeof(key)) {
		p->custom_bad = true;
		return;
	}
	memcpy(key, value, kl);
	key[kl] = '\0';
	if (ais_lom_custom_set(&p->md, key, eq + 1) != AIS_OK) {
		p->custom_bad = true;
	}
}

/* Query parameters that turn a PUT into something else (append, archive,
 * multipart, copy, ETL): refused until implemented, so that their body is
 * never stored as the object by mistake. */
static const char *
http_put_unsupported(http_req *r)
{
	static const char *const keys[] = { "append_type", "archpath",
		"uploadId", "partNumber", "object_to", "etl_name" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = http_query_get(&r->query, keys[i]);

		if (v != NULL && v[0] != '\0') {
			return keys[i];
		}
	}
	return NULL;
}

/* Creates the work file (and its directory on first use). 0 or errno. */
static int
http_put_open(http_put *p)
{
	char wname[64];

	for (int attempt = 0; attempt < 4; attempt++) {
		snprintf(wname, sizeof(wname),
		    "%016" PRIx64 ".%x.%" PRIxFAST64, p->o->digest,
		    (unsigned) getpid(), atomic_fetch_add(&http_put_seq, 1));
		if (ais_fqn(p->wfqn, sizeof(p->wfqn), p->mp->path,
		        p->o->provider, p->o->ns, p->o->bck, AIS_CT_WORK,
		        wname)
		    != AIS_OK) {
			return ENAMETOOLONG;
		}
		p->fd = open(
		    p->wfqn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (p->fd >= 0) {
			return 0;
		}
		if (errno == ENOENT) {
			int e = ais_mkdir_parent(p->wfqn);

			if (e != 0) {
				return e;
			}
			continue;
		}
		if (errno != EEXIST) {
			return errno;
		}
	}
	return EEXIST;
}

int
http_put_start(http_put *p, ais_node *n)
{
	ais_cksum_type store;
	ais_err err;
	int e;

	p->fd = -1;
	/* Store the bucket's checksum type; with none configured, keep the
	 * client's (verified) one. xxhash and xxhash2 are the same digest,
	 * so only a really different type needs a second hasher. */
	store = p->o->props.cksum;
	if (store == AIS_CKSUM_NONE) {
		store = p->want_type;
	}
	p->md.cksum_type = store;
	p->ck2_on = p->want_type != AIS_CKSUM_NONE && p->want_type != store
	    && !((p->want_type == AIS_CKSUM_XXHASH
	             || p->want_type == AIS_CKSUM_XXHASH2)
	        && (store == AIS_CKSUM_XXHASH || store == AIS_CKSUM_XXHASH2));
	p->md5_on = p->want_md5 && store != AIS_CKSUM_MD5;
	p->mp = http_obj_mpath(n, p->o);
	if (p->mp == NULL) {
		return ENODEV;
	}
	err = ais_cksum_init(&p->ck, store);
	if (err == AIS_OK && p->ck2_on) {
		err = ais_cksum_init(&p->ck2, p->want_type);
	}
	if (err == AIS_OK && p->md5_on) {
		err = ais_cksum_init(&p->md5, AIS_CKSUM_MD5);
	}
	if (err == AIS_OK) {
		e = http_put_open(p);
	} else {
		e = err == AIS_ENOMEM ? ENOMEM : EINVAL;
	}
	if (e != 0) {
		p->wfqn[0] = '\0';
		http_put_discard(p);
	}
	return e;
}

void
http_obj_put_begin(http_req *r, http_obj *o)
{
	http_put *p;
	const char *v;
	const char *ct;
	const char *cv;
	ais_err err;
	int e;

	if (!http_obj_need_marker(r, o) || !http_obj_bucket(r, o)
	    || !http_obj_name_ok(r, o, false)) {
		return;
	}
	if ((v = http_put_unsupported(r)) != NULL) {
		http_reply_err(r, 400,
		    "%s: PUT %s with %s= is not supported yet", o->tag,
		    r->url_path, v);
		return;
	}
	p = http_req_alloc(r, sizeof(*p));
	if (p == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "out of memory");
		return;
	}
	memset(p, 0, sizeof(*p));
	p->o = o;
	p->fd = -1;
	p->expect = UINT64_MAX;
	if ((v = http_req_header(r, "Content-Length")) != NULL) {
		char *end;

		errno = 0;
		p->expect = strtoull(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0') {
			http_reply_err(
			    r, 400, "invalid Content-Length \"%s\"", v);
			return;
		}
	}
	/* End-to-end checksum from the client, verified at the end. */
	ct = http_req_header(r, "Ais-Checksum-Type");
	cv = http_req_header(r, "Ais-Checksum-Value");
	if (ct != NULL && ct[0] != '\0' && cv != NULL && cv[0] != '\0') {
		if (ais_cksum_type_parse(ct, &p->want_type) != AIS_OK) {
			http_reply_err(
			    r, 400, "invalid checksum type \"%s\"", ct);
			return;
		}
		if (strlen(cv) >= sizeof(p->want)) {
			http_reply_err(
			    r, 400, "invalid checksum value \"%.64s...\"", cv);
			return;
		}
		strcpy(p->want, cv);
	}
	http_req_header_each(r, "Ais-Custom-Md", http_put_custom, p);
	if (p->custom_bad) {
		http_reply_err(r, 400,
		    "%s: PUT %s: invalid or too large "
		    "Ais-Custom-Md (want key=value, at most %d bytes in all)",
		    o->tag, r->url_path, AIS_LOM_CUSTOM_MAX);
		return;
	}
	e = http_put_start(p, r->node);
	if (e != 0) {
		char cname[HTTP_OBJ_UNAME_MAX];

		if (e == ENODEV) {
			http_reply_err(r, 503, "%s: no mountpaths", o->tag);
			return;
		}
		AIS_LOGE("AIS-TGT-PUT-FAIL", "%s: create work file for %s: %s",
		    o->tag, o->uname, strerror(e));
		http_reply_err(r, e == ENOSPC || e == EDQUOT ? 507 : 500,
		    "%s: failed to PUT %s: %s", o->tag,
		    http_obj_cname(o, true, cname, sizeof(cname)),
		    strerror(e));
		return;
	}
	err = http_req_set_sink(r, &http_put_sink, p);
	if (err != AIS_OK) {
		http_put_discard(p); /* a bug: the server refused the sink */
		http_reply_aerr(
		    r, AIS_EINTERNAL, "%s: cannot receive body", o->tag);
	}
}

void
http_obj_delete(http_req *r, http_obj *o)
{
	char action[64];
	char cname[HTTP_OBJ_UNAME_MAX];
	size_t removed = 0;
	int e;

	if (!http_obj_need_marker(r, o) || !http_obj_bucket(r, o)
	    || !http_obj_name_ok(r, o, false)
	    || !http_obj_action(r, action, sizeof(action))) {
		return;
	}
	if (action[0] != '\0') {
		/* evict (meaningless for ais://) and mpt-abort: later */
		http_reply_err(r, 400,
		    "%s: unsupported action \"%s\" (DELETE %s)", o->tag,
		    action, http_obj_cname(o, true, cname, sizeof(cname)));
		return;
	}
	e = http_obj_remove(r->node, o, &removed);
	if (e != 0) {
		http_reply_aerr(r, AIS_ESYS | e, "%s: failed to delete %s: %s",
		    o->tag, http_obj_cname(o, true, cname, sizeof(cname)),
		    strerror(e));
		return;
	}
	if (removed > 0) {
		http_reply(r, 200, NULL, NULL, 0, NULL);
		return;
	}
	http_obj_reply_missing(r, o);
}

int
http_obj_remove(ais_node *n, const http_obj *o, size_t *removed)
{
	char fqn[PATH_MAX];

	*removed = 0;
	/* Every mountpath: a misplaced copy left on another one would
	 * otherwise be served again (http_obj_open falls back to it). */
	/* Disabled mountpaths too: their copy would come back on enable. */
	const ais_mpset *s = ais_node_mpset(n);
	for (size_t i = 0; i < s->n + s->ndisabled; i++) {
		const ais_mpath *mp
		    = i < s->n ? &s->avail[i] : &s->disabled[i - s->n];
		if (!http_obj_fqn(o, mp, AIS_CT_OBJ, fqn, sizeof(fqn))) {
			continue;
		}
		if (unlink(fqn) == 0) {
			(*removed)++;
		} else if (errno != ENOENT && errno != ENOTDIR
		    && errno != EISDIR) {
			return errno;
		}
	}
	return 0;
}
