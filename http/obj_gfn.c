/*
 * Get-from-neighbor (GFN): a target that misses an object it should have
 * while a rebalance moves objects to it fetches the object from where it
 * was, so a GET never fails because of a rebalance.
 *
 * When: only on a local miss, and only while this target runs a rebalance
 * or ran one (or saw the owners change) less than AIS_REB_GFN_WINDOW_S ago
 * -- an ordinary 404 costs nothing extra. Where from: the owners of the
 * object under the Smaps before the change (ais_reb_gfn_sources), then
 * every other target, each asked with a plain GET on its public URL
 * (targets serve unmarked GETs) carrying is_gfn=true, which the neighbor
 * answers from its disks only (no GFN of its own: no loops, as AIS).
 *
 * The body streams into a work file on the object's HRW mountpath, hashed
 * on the way; the neighbor's checksum (if any) must match. The metadata
 * comes from its Ais-* headers (checksum, version, atime, custom), the
 * bucket ID from this node's BMD. The file is renamed into place without
 * replacing anything: if the rebalance receiver or a client PUT placed the
 * object meanwhile, that copy wins and the fetched one is dropped. Then the
 * request is served from the local file as usual (sendfile).
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actors/node/rebalance.h"
#include "core/cksum.h"
#include "core/log.h"
#include "core/lom.h"
#include "http/httpc.h"
#include "http/obj_int.h"

#define GFN_SOURCES_MAX    8
#define GFN_CONNECT_MS     2000
#define GFN_LOW_SPEED_S    10 /* abort a transfer stalled this long */
#define GFN_URL_MAX        (AIS_URL_MAX + 3 * HTTP_OBJ_UNAME_MAX + 64)

static atomic_uint_fast64_t gfn_seq;

/* One fetch from one neighbor. */
typedef struct gfn_fetch {
	const http_obj *o;
	int fd;
	int status;              /* of the last response */
	int werr;                /* write errno */
	uint64_t got;
	ais_cksum ck;
	bool ck_on;
	ais_cksum_type ck_type;  /* the neighbor's, else the bucket's */
	char want[AIS_CKSUM_HEX_MAX];
	char version[32];
	int64_t atime_ns;
	ais_lom_md md;           /* custom collected from headers */
	bool custom_bad;
} gfn_fetch;

/* Copies a header value (trimmed) into dst; false if it does not fit. */
static bool
gfn_hval(const char *v, size_t n, char *dst, size_t cap)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n'
	                    || v[n - 1] == ' ')) {
		n--;
	}
	if (n >= cap) {
		return false;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

static size_t
gfn_on_header(char *buf, size_t size, size_t nitems, void *arg)
{
	gfn_fetch *f = arg;
	size_t len = size * nitems;
	const char *colon = memchr(buf, ':', len);
	char name[32];
	char val[AIS_LOM_CUSTOM_MAX];
	size_t nl;

	if (len > 5 && strncmp(buf, "HTTP/", 5) == 0) {
		const char *sp = memchr(buf, ' ', len);

		/* a new response (after 100-continue): forget the last */
		f->status = sp == NULL ? 0 : atoi(sp + 1);
		f->ck_type = AIS_CKSUM_NONE;
		f->want[0] = '\0';
		f->version[0] = '\0';
		f->atime_ns = 0;
		f->md.custom_len = 0;
		return len;
	}
	if (colon == NULL || (nl = (size_t) (colon - buf)) >= sizeof(name)) {
		return len;
	}
	memcpy(name, buf, nl);
	name[nl] = '\0';
	buf += nl + 1;
	len -= nl + 1;
	if (strcasecmp(name, "Ais-Checksum-Value") == 0) {
		if (!gfn_hval(buf, len, f->want, sizeof(f->want))) {
			f->want[0] = '\0';
		}
	} else if (strcasecmp(name, "Ais-Version") == 0) {
		if (!gfn_hval(buf, len, f->version, sizeof(f->version))) {
			f->version[0] = '\0';
		}
	} else if (gfn_hval(buf, len, val, sizeof(val))) {
		if (strcasecmp(name, "Ais-Checksum-Type") == 0) {
			if (ais_cksum_type_parse(val, &f->ck_type) != AIS_OK) {
				f->ck_type = AIS_CKSUM_NONE;
			}
		} else if (strcasecmp(name, "Ais-Atime") == 0) {
			f->atime_ns = strtoll(val, NULL, 10);
		} else if (strcasecmp(name, "Ais-Custom-Md") == 0) {
			char *eq = strchr(val, '=');

			if (eq == NULL) {
				f->custom_bad = true;
			} else {
				*eq = '\0';
				if (ais_lom_custom_set(&f->md, val, eq + 1)
				    != AIS_OK) {
					f->custom_bad = true;
				}
			}
		}
	} else if (strcasecmp(name, "Ais-Custom-Md") == 0) {
		f->custom_bad = true;
	}
	return size * nitems;
}

static size_t
gfn_on_data(char *buf, size_t size, size_t nitems, void *arg)
{
	gfn_fetch *f = arg;
	size_t len = size * nitems;

	if (f->status != 200) {
		return len; /* an error body: read and ignore */
	}
	if (!f->ck_on) {
		/* First bytes: the headers are complete. Hash with the
		 * neighbor's type, else the bucket's. */
		if (f->ck_type == AIS_CKSUM_NONE) {
			f->want[0] = '\0';
			f->ck_type = f->o->props.cksum;
		}
		if (ais_cksum_init(&f->ck, f->ck_type) != AIS_OK) {
			f->werr = ENOMEM;
			return 0;
		}
		f->ck_on = true;
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = write(f->fd, buf + off, len - off);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			f->werr = errno;
			return 0; /* aborts the transfer */
		}
		off += (size_t) n;
	}
	ais_cksum_update(&f->ck, buf, len);
	f->got += len;
	return len;
}

/* Percent-encodes an object name for a URL path (keeps '/'). */
static bool
gfn_path_escape(const char *s, char *buf, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char) *s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		    || (c >= '0' && c <= '9') || c == '-' || c == '.'
		    || c == '_' || c == '~' || c == '/';

		if (n + 4 > cap) {
			return false;
		}
		if (plain) {
			buf[n++] = (char) c;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	buf[n] = '\0';
	return true;
}

static bool
gfn_url(const http_obj *o, const char *base, char *url, size_t cap)
{
	char name[3 * AIS_OBJNAME_MAX + 1];
	char bck[3 * AIS_BCK_NAME_MAX + 1];
	char ns[3 * HTTP_OBJ_NS_MAX + 1] = "";
	int n;

	if (!gfn_path_escape(o->name, name, sizeof(name))
	    || !http_client_escape(o->bck, bck, sizeof(bck))) {
		return false;
	}
	if (strcmp(o->ns, "@#") != 0 && o->ns[0] != '\0'
	    && !http_client_escape(o->ns, ns, sizeof(ns))) {
		return false;
	}
	n = snprintf(url, cap, "%s/v1/objects/%s/%s?provider=%s&is_gfn=true%s%s",
	    base, bck, name, o->provider, ns[0] != '\0' ? "&namespace=" : "",
	    ns);
	return n > 0 && (size_t) n < cap;
}

/* Fetches o from base into a work file and puts it in place; true when
 * the object is now on a local mountpath. */
static bool
gfn_from(http_req *r, const http_obj *o, const ais_mpath *mp,
    const char *base)
{
	char url[GFN_URL_MAX];
	char wfqn[PATH_MAX];
	char fqn[PATH_MAX];
	char wname[64];
	char sum[AIS_CKSUM_HEX_MAX] = "";
	struct timespec ts[2];
	gfn_fetch *f;
	CURL *c;
	CURLcode cc;
	bool ok = false;
	int e;

	if (!gfn_url(o, base, url, sizeof(url))) {
		return false;
	}
	snprintf(wname, sizeof(wname), "gfn.%016llx.%d.%llx",
	    (unsigned long long) o->digest, (int) getpid(),
	    (unsigned long long) atomic_fetch_add(&gfn_seq, 1));
	if (ais_fqn(wfqn, sizeof(wfqn), mp->path, o->provider, o->ns, o->bck,
	        AIS_CT_WORK, wname)
	        != AIS_OK
	    || !http_obj_fqn(o, mp, AIS_CT_OBJ, fqn, sizeof(fqn))) {
		return false;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		return false;
	}
	f->o = o;
	f->fd = open(wfqn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (f->fd < 0 && errno == ENOENT && ais_mkdir_parent(wfqn) == 0) {
		f->fd = open(wfqn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	}
	if (f->fd < 0) {
		AIS_LOGW("AIS-GFN-WORK", "%s: work file %s: %s", o->tag, wfqn,
		    strerror(errno));
		free(f);
		return false;
	}
	c = curl_easy_init();
	if (c == NULL) {
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long) GFN_CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long) GFN_LOW_SPEED_S);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, gfn_on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, gfn_on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	cc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK || f->status != 200 || f->werr != 0) {
		if (f->status != 404 && f->status != 0) {
			AIS_LOGW("AIS-GFN-FETCH", "%s: GET %s from %s: %s (%d)",
			    o->tag, o->uname, base, curl_easy_strerror(cc),
			    f->status);
		}
		goto out;
	}
	if (!f->ck_on) { /* an empty object: no data callback */
		if (f->ck_type == AIS_CKSUM_NONE) {
			f->want[0] = '\0';
			f->ck_type = o->props.cksum;
		}
		if (ais_cksum_init(&f->ck, f->ck_type) != AIS_OK) {
			goto out;
		}
		f->ck_on = true;
	}
	ais_cksum_final(&f->ck, sum);
	f->ck_on = false;
	if (f->want[0] != '\0' && strcasecmp(sum, f->want) != 0) {
		AIS_LOGW("AIS-GFN-CKSUM", "%s: %s from %s: checksum %s != %s",
		    o->tag, o->uname, base, sum, f->want);
		goto out;
	}
	if (f->custom_bad) {
		AIS_LOGW("AIS-GFN-CUSTOM",
		    "%s: %s from %s: some custom metadata not kept", o->tag,
		    o->uname, base);
	}
	f->md.size = (int64_t) f->got;
	f->md.cksum_type = f->ck_type;
	snprintf(f->md.cksum_value, sizeof(f->md.cksum_value), "%s", sum);
	snprintf(f->md.version, sizeof(f->md.version), "%s", f->version);
	f->md.lid = o->props.bid;
	if (ais_lom_store_fd(f->fd, &f->md) != AIS_OK) {
		goto out;
	}
	if (f->atime_ns > 0) {
		ts[0].tv_sec = (time_t) (f->atime_ns / 1000000000LL);
		ts[0].tv_nsec = (long) (f->atime_ns % 1000000000LL);
		ts[1].tv_sec = 0;
		ts[1].tv_nsec = UTIME_OMIT;
		(void) futimens(f->fd, ts);
	}
	if ((o->props.features & AIS_FEAT_FSYNC_PUT) != 0 && fsync(f->fd) != 0) {
		goto out;
	}
	close(f->fd);
	f->fd = -1;
	/* Never over a copy that appeared meanwhile (rebalance receive or a
	 * PUT): that one is at least as new as ours. */
	e = renameat2(AT_FDCWD, wfqn, AT_FDCWD, fqn, RENAME_NOREPLACE) == 0
	    ? 0
	    : errno;
	if (e == ENOENT && ais_mkdir_parent(fqn) == 0) {
		e = renameat2(AT_FDCWD, wfqn, AT_FDCWD, fqn, RENAME_NOREPLACE)
		        == 0
		    ? 0
		    : errno;
	}
	if (e == EINVAL) {
		/* no RENAME_NOREPLACE here: link() does not clobber either */
		e = link(wfqn, fqn) == 0 ? 0 : errno;
	}
	ok = e == 0 || e == EEXIST;
	if (e == 0 || e == EEXIST) {
		AIS_LOGI("AIS-GFN", "%s: %s fetched from %s (%llu bytes)%s",
		    o->tag, o->uname, base, (unsigned long long) f->got,
		    e == EEXIST ? ", already placed meanwhile" : "");
	} else {
		AIS_LOGW("AIS-GFN-RENAME", "%s: %s: %s", o->tag, fqn,
		    strerror(e));
	}
out:
	(void) r;
	if (f->fd >= 0) {
		close(f->fd);
	}
	if (f->ck_on) {
		ais_cksum_fini(&f->ck);
	}
	(void) unlink(wfqn); /* gone already after a rename */
	free(f);
	return ok;
}

bool
http_obj_gfn(http_req *r, const http_obj *o)
{
	char(*urls)[AIS_URL_MAX + 1];
	const ais_mpath *mp;
	const char *q;
	size_t n;
	bool ok = false;

	if (r->node->role != AIS_ROLE_TARGET || o->name_len == 0
	    || ((q = http_query_get(&r->query, "is_gfn")) != NULL
	        && strcmp(q, "true") == 0)
	    || !ais_reb_gfn_active(r->node)) {
		return false;
	}
	mp = http_obj_mpath(r->node, o);
	if (mp == NULL) {
		return false;
	}
	urls = calloc(GFN_SOURCES_MAX, sizeof(*urls));
	if (urls == NULL) {
		return false;
	}
	n = ais_reb_gfn_sources(r->node, o->digest, urls, GFN_SOURCES_MAX);
	for (size_t i = 0; i < n && !ok; i++) {
		ok = gfn_from(r, o, mp, urls[i]);
	}
	free(urls);
	return ok;
}

http_obj_fres
http_obj_file_load_gfn(
    http_req *r, const http_obj *o, http_obj_file *f, int *e)
{
	http_obj_fres res = http_obj_file_load(r->node, o, f, e);

	if (res == HTTP_OBJ_F_MISSING && http_obj_gfn(r, o)) {
		res = http_obj_file_load(r->node, o, f, e);
	}
	/* Still missing: the receiver may have renamed it in while the
	 * neighbors were asked (and the sender deleted its copy). */
	if (res == HTTP_OBJ_F_MISSING && ais_reb_gfn_active(r->node)) {
		res = http_obj_file_load(r->node, o, f, e);
	}
	return res;
}
