/*
 * Target GET and HEAD of an object (spec native-api.md sections 6.1, 6.3).
 *
 * One open() of the object file serves both the metadata (the LOM xattr,
 * read from the same fd, so it always belongs to the bytes being sent --
 * a concurrent PUT renames a new inode into place, never rewrites this
 * one) and the data, which the kernel sends from that fd (sendfile). A GET
 * costs open, fgetxattr, fstat, at most one futimens, and no copy of the
 * object in user space.
 *
 * Choices (documented here because clients can observe them):
 *  - A file under %ob without the metadata xattr is not an object: 404, as
 *    in AIS (lom.Load fails with "not found"). Metadata that fails its own
 *    checksum, or disagrees with the file size, is a corrupted object: 500.
 *    So is an object whose xattr names another bucket incarnation (lid !=
 *    the bucket's current BID: a leftover of a destroyed bucket of the same
 *    name): 404.
 *  - Atime (Ais-Atime, and the file's atime, which LRU will use) is moved
 *    to "now" on a GET only when it is more than HTTP_ATIME_SLACK_S behind:
 *    a hot object then costs one inode update per interval instead of one
 *    per read.
 *  - A range read (206) carries no Ais-Checksum-*: the object's checksum
 *    does not describe the bytes sent, and a validating client (Go
 *    GetObjectWithValidation) would reject them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/lom.h"
#include "http/obj_int.h"
#include "http/obj_range.h"
#include "http/reply.h"

#define HTTP_ATIME_SLACK_S 60

http_obj_fres
http_obj_file_load(ais_node *n, const http_obj *o, http_obj_file *f, int *e)
{
	ais_err err;

	f->fd = -1;
	*e = http_obj_open(n, o, &f->fd, &f->mp, &f->st);
	if (*e == ENOENT) {
		return HTTP_OBJ_F_MISSING;
	}
	if (*e != 0) {
		return HTTP_OBJ_F_OPEN;
	}
	err = ais_lom_load_fd(f->fd, &f->md);
	if (err != AIS_OK) {
		close(f->fd);
		f->fd = -1;
		*e = (int) err;
		return err == AIS_ENOENT ? HTTP_OBJ_F_MISSING
		                         : HTTP_OBJ_F_BADMD;
	}
	if (o->props.bid != 0 && f->md.lid != 0 && f->md.lid != o->props.bid) {
		close(f->fd);
		f->fd = -1;
		return HTTP_OBJ_F_MISSING;
	}
	if (f->md.size != (int64_t) f->st.st_size) {
		close(f->fd);
		f->fd = -1;
		return HTTP_OBJ_F_BADSIZE;
	}
	f->atime_ns = (int64_t) f->st.st_atim.tv_sec * 1000000000LL
	    + f->st.st_atim.tv_nsec;
	return HTTP_OBJ_F_OK;
}

/* Opens o and loads its metadata; answers 404/500 and returns false on
 * failure (fd closed). */
static bool
http_obj_file_open(http_req *r, const http_obj *o, http_obj_file *f)
{
	char cname[HTTP_OBJ_UNAME_MAX];
	int e;

	switch (http_obj_file_load_gfn(r, o, f, &e)) {
	case HTTP_OBJ_F_OK:
		return true;
	case HTTP_OBJ_F_MISSING:
		http_obj_reply_missing(r, o);
		return false;
	case HTTP_OBJ_F_OPEN:
		http_reply_aerr(r, AIS_ESYS | e, "%s: cannot open %s: %s",
		    o->tag, http_obj_cname(o, true, cname, sizeof(cname)),
		    strerror(e));
		return false;
	case HTTP_OBJ_F_BADMD:
		AIS_LOGW("AIS-TGT-LOM-BAD", "%s: metadata of %s: %s", o->tag,
		    o->uname, ais_strerror((ais_err) e));
		http_reply_err(r, 500, "%s: %s: corrupted metadata (%s)",
		    o->tag, http_obj_cname(o, true, cname, sizeof(cname)),
		    ais_strerror((ais_err) e));
		return false;
	case HTTP_OBJ_F_BADSIZE:
	default:
		AIS_LOGW("AIS-TGT-LOM-SIZE",
		    "%s: %s: size %lld on disk, %lld in "
		    "metadata",
		    o->tag, o->uname, (long long) f->st.st_size,
		    (long long) f->md.size);
		http_reply_err(r, 500,
		    "%s: %s: corrupted object (size %lld, metadata says %lld)",
		    o->tag, http_obj_cname(o, true, cname, sizeof(cname)),
		    (long long) f->st.st_size, (long long) f->md.size);
		return false;
	}
}

/* A read moves atime forward, at most once per slack interval. */
void
http_obj_touch(http_obj_file *f)
{
	int64_t now = http_obj_now_ns();
	struct timespec ts[2];

	if (now - f->atime_ns < HTTP_ATIME_SLACK_S * 1000000000LL) {
		return;
	}
	ts[0].tv_sec = (time_t) (now / 1000000000LL);
	ts[0].tv_nsec = (long) (now % 1000000000LL);
	ts[1].tv_sec = 0;
	ts[1].tv_nsec = UTIME_OMIT;
	if (futimens(f->fd, ts) == 0) {
		f->atime_ns = now;
	}
}

static void
http_obj_hdr_cksum(http_hdrs *h, const ais_lom_md *md)
{
	if (md->cksum_type == AIS_CKSUM_NONE || md->cksum_value[0] == '\0') {
		return;
	}
	http_hdrs_add(
	    h, "Ais-Checksum-Type", ais_cksum_type_str(md->cksum_type));
	http_hdrs_add(h, "Ais-Checksum-Value", md->cksum_value);
}

/* One Ais-Custom-Md header per key (repeated header, spec section 6.1),
 * and ETag when the custom metadata has one. */
static void
http_obj_hdr_custom(http_hdrs *h, const ais_lom_md *md, bool custom, bool etag)
{
	size_t pos = 0;
	const char *k, *v;
	size_t kl, vl;

	while (ais_lom_custom_next(md, &pos, &k, &kl, &v, &vl) != 0) {
		char kv[AIS_LOM_CUSTOM_MAX + 2];

		if (custom && kl + vl + 1 < sizeof(kv)) {
			memcpy(kv, k, kl);
			kv[kl] = '=';
			memcpy(kv + kl + 1, v, vl);
			http_hdrs_addn(h, "Ais-Custom-Md", kv, kl + 1 + vl);
		}
		if (etag && kl == 4 && strncasecmp(k, "ETag", 4) == 0 && vl > 0
		    && vl < sizeof(kv) - 2) {
			kv[0] = '"';
			memcpy(kv + 1, v, vl);
			kv[vl + 1] = '"';
			http_hdrs_addn(h, "ETag", kv, vl + 2);
		}
	}
}

static void
http_obj_hdr_last_modified(http_hdrs *h, const struct stat *st)
{
	char date[64];
	struct tm tm;

	gmtime_r(&st->st_mtim.tv_sec, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	http_hdrs_add(h, "Last-Modified", date);
}

static const char *
http_obj_range_why(http_range_res rr)
{
	switch (rr) {
	case HTTP_RANGE_MULTI:
		return "multiple ranges are not supported:";
	case HTTP_RANGE_UNSAT:
		return "unsatisfiable";
	default:
		return "invalid";
	}
}

void
http_obj_get(http_req *r, http_obj *o)
{
	http_obj_file f;
	http_hdrs h;
	uint64_t off = 0;
	uint64_t len;
	http_range_res rr;
	const char *q;

	if (!http_obj_bucket(r, o) || !http_obj_name_ok(r, o, false)) {
		return;
	}
	/* Reading from archives and inline ETL: later issues. The SDK
	 * always sends an empty archpath. */
	if (((q = http_query_get(&r->query, "archpath")) != NULL
	        && q[0] != '\0')
	    || ((q = http_query_get(&r->query, "archregx")) != NULL
	        && q[0] != '\0')
	    || ((q = http_query_get(&r->query, "etl_name")) != NULL
	        && q[0] != '\0')) {
		http_reply_err(r, 400,
		    "%s: GET %s: archive and ETL reads are not supported yet",
		    o->tag, r->url_path);
		return;
	}
	if (!http_obj_file_open(r, o, &f)) {
		return;
	}
	len = (uint64_t) f.st.st_size;
	rr = http_range_parse(
	    http_req_header(r, "Range"), (uint64_t) f.st.st_size, &off, &len);
	http_hdrs_init(&h);
	if (rr != HTTP_RANGE_NONE && rr != HTTP_RANGE_OK) {
		close(f.fd);
		http_hdrs_addf(&h, "Content-Range", "bytes */%lld",
		    (long long) f.st.st_size);
		http_reply_err_hdrs(r, 416, h.kv,
		    "%s: GET %s: %s range \"%s\" (object size %lld)", o->tag,
		    r->url_path, http_obj_range_why(rr),
		    http_req_header(r, "Range"), (long long) f.st.st_size);
		return;
	}
	http_obj_touch(&f);
	http_hdrs_add(&h, "Accept-Ranges", "bytes");
	if (rr == HTTP_RANGE_OK) {
		http_hdrs_addf(&h, "Content-Range",
		    "bytes %" PRIu64 "-%" PRIu64 "/%lld", off, off + len - 1,
		    (long long) f.st.st_size);
	} else {
		http_obj_hdr_cksum(&h, &f.md);
	}
	http_hdrs_addf(&h, "Ais-Atime", "%lld", (long long) f.atime_ns);
	if (f.md.version[0] != '\0') {
		http_hdrs_add(&h, "Ais-Version", f.md.version);
	}
	http_obj_hdr_custom(&h, &f.md, true, true);
	http_reply_fd(r, rr == HTTP_RANGE_OK ? 206 : 200, HTTP_OBJ_CT_OCTET,
	    f.fd, off, len, h.kv);
}

/* HEAD's props= (v2): which groups of headers to send. */
enum {
	HTTP_HP_CKSUM = 1u << 0,
	HTTP_HP_ATIME = 1u << 1,
	HTTP_HP_VERSION = 1u << 2,
	HTTP_HP_CUSTOM = 1u << 3,
	HTTP_HP_LASTMOD = 1u << 4,
	HTTP_HP_ETAG = 1u << 5,
	HTTP_HP_LOCATION = 1u << 6,
	HTTP_HP_COPIES = 1u << 7,
	HTTP_HP_NOOP = 1u << 8, /* accepted, nothing to add */
};

/* Parses "checksum,atime,..." into a mask; false (after a 400) on an
 * unknown name. */
static bool
http_obj_head_props(http_req *r, const char *list, unsigned *mask)
{
	static const struct {
		const char *name;
		unsigned bit;
	} tab[] = {
		{ "checksum", HTTP_HP_CKSUM },
		{ "atime", HTTP_HP_ATIME },
		{ "version", HTTP_HP_VERSION },
		{ "custom", HTTP_HP_CUSTOM },
		{ "last-modified", HTTP_HP_LASTMOD },
		{ "etag", HTTP_HP_ETAG },
		{ "location", HTTP_HP_LOCATION },
		{ "copies", HTTP_HP_COPIES },
		/* EC and chunks do not apply to whole local objects */
		{ "ec", HTTP_HP_NOOP },
		{ "chunked", HTTP_HP_NOOP },
		{ "name", HTTP_HP_NOOP },
		{ "size", HTTP_HP_NOOP },
	};
	const char *p = list;

	*mask = 0;
	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t n = e == NULL ? strlen(p) : (size_t) (e - p);
		bool found = n == 0;

		while (n > 0 && *p == ' ') {
			p++;
			n--;
		}
		while (n > 0 && p[n - 1] == ' ') {
			n--;
		}
		for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]) && n > 0;
		     i++) {
			if (strlen(tab[i].name) == n
			    && strncmp(tab[i].name, p, n) == 0) {
				*mask |= tab[i].bit;
				found = true;
				break;
			}
		}
		if (!found) {
			http_reply_err(
			    r, 400, "invalid property \"%.*s\"", (int) n, p);
			return false;
		}
		p = e == NULL ? p + n : e + 1;
		if (e == NULL) {
			break;
		}
	}
	return true;
}

void
http_obj_head(http_req *r, http_obj *o)
{
	http_obj_file f;
	http_hdrs h;
	const char *props = http_query_get(&r->query, "props");
	const char *presence = http_query_get(&r->query, "presence");
	unsigned mask = 0;
	bool v2 = props != NULL;
	bool exist_only;

	if (!http_obj_bucket(r, o) || !http_obj_name_ok(r, o, true)) {
		return;
	}
	/* presence 1 and 3: is it here -- nothing else. */
	exist_only = presence != NULL
	    && (strcmp(presence, "1") == 0 || strcmp(presence, "3") == 0);
	if (v2 && !http_obj_head_props(r, props, &mask)) {
		return;
	}
	if (!http_obj_file_open(r, o, &f)) {
		return;
	}
	http_hdrs_init(&h);
	if (exist_only) {
		http_hdrs_add(&h, "Ais-Present", "true");
		http_reply_fd(
		    r, 200, NULL, f.fd, 0, (uint64_t) f.st.st_size, h.kv);
		return;
	}
	if (!v2) {
		/* v1: everything, one header per object property. */
		mask = HTTP_HP_CKSUM | HTTP_HP_ATIME | HTTP_HP_VERSION
		    | HTTP_HP_CUSTOM | HTTP_HP_LASTMOD | HTTP_HP_ETAG
		    | HTTP_HP_LOCATION | HTTP_HP_COPIES;
		http_hdrs_add(&h, "Ais-Name", o->name);
		http_hdrs_addf(
		    &h, "Ais-Size", "%lld", (long long) f.st.st_size);
		http_hdrs_add(&h, "Ais-Bucket-Name", o->bck);
		http_hdrs_add(&h, "Ais-Bucket-Provider", o->provider);
		if (strcmp(o->ns, "@#") != 0) {
			const char *hash = strchr(o->ns, '#');

			http_hdrs_addn(&h, "Ais-Bucket-Namespace-Uuid",
			    o->ns + 1, (size_t) (hash - o->ns - 1));
			http_hdrs_add(
			    &h, "Ais-Bucket-Namespace-Name", hash + 1);
		}
	}
	http_hdrs_add(&h, "Ais-Present", "true");
	if (mask & HTTP_HP_CKSUM) {
		http_obj_hdr_cksum(&h, &f.md);
	}
	if (mask & HTTP_HP_ATIME) {
		http_hdrs_addf(
		    &h, "Ais-Atime", "%lld", (long long) f.atime_ns);
	}
	if ((mask & HTTP_HP_VERSION) && f.md.version[0] != '\0') {
		http_hdrs_add(&h, "Ais-Version", f.md.version);
	}
	if (mask & (HTTP_HP_CUSTOM | HTTP_HP_ETAG)) {
		http_obj_hdr_custom(&h, &f.md, (mask & HTTP_HP_CUSTOM) != 0,
		    (mask & HTTP_HP_ETAG) != 0);
	}
	if (mask & HTTP_HP_LASTMOD) {
		http_obj_hdr_last_modified(&h, &f.st);
	}
	if (mask & HTTP_HP_LOCATION) {
		http_hdrs_addf(&h, "Ais-Location", "t[%s]:mp[%s]",
		    r->node->self.id, f.mp->path);
	}
	if (mask & HTTP_HP_COPIES) {
		/* one copy: mirroring is a later issue */
		http_hdrs_add(&h, "Ais-Mirror-Copies", "1");
		http_hdrs_add(&h, "Ais-Mirror-Paths", f.mp->path);
	}
	/* HEAD: MHD sends the headers only, Content-Length = object size. */
	http_reply_fd(
	    r, 200, HTTP_OBJ_CT_OCTET, f.fd, 0, (uint64_t) f.st.st_size, h.kv);
}
