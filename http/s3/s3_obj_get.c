/*
 * GetObject and HeadObject on a target (spec s3-api.md sections 5.1, 5.2):
 * the native open (file + metadata from one fd, obj_int.h) and sendfile,
 * with S3's headers and semantics:
 *
 *  - Content-Type as stored (else application/octet-stream), Content-
 *    Length, Last-Modified (file mtime), ETag (quoted, section 6),
 *    Accept-Ranges, x-amz-meta-* and the other stored system headers;
 *  - conditionals in RFC 7232 section 6 order: If-Match (412 on no
 *    match), else If-Unmodified-Since (412 when modified since); then
 *    If-None-Match (304 on a match), else If-Modified-Since (304 when not
 *    modified since); dates compare at one-second resolution;
 *  - one byte range (206 + Content-Range); unsatisfiable or multiple
 *    ranges -> 416 InvalidRange; a Range header that does not parse is
 *    ignored (the whole object, as S3 does);
 *  - missing -> 404 NoSuchKey (HEAD: the status only).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/log.h"
#include "http/obj_range.h"
#include "http/s3/s3_obj_int.h"

/* An S3 error with extra headers (Content-Range on a 416). */
static void
s3_get_err_hdrs(http_req *r, int status, const char *code, const char *msg,
    const char *const *hdrs)
{
	s3_buf b = { 0 };

	if (r->method != HTTP_M_HEAD) {
		s3_buf_put(&b,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<Error>");
		s3_buf_elem(&b, "Code", code);
		s3_buf_elem(&b, "Message", msg);
		s3_buf_elem(&b, "Resource", r->url_path);
		s3_buf_put(&b, "</Error>");
	}
	s3_reply_xml(r, status, &b, hdrs);
}

/* Does the If-Match / If-None-Match list match etag? "*" matches any
 * existing object; W/ prefixes compare weakly (as strong, for S3). */
static bool
s3_get_etag_match(const char *list, const char *etag)
{
	const char *p = list;
	size_t el = strlen(etag);

	while (*p != '\0') {
		const char *t;
		size_t tl;

		while (*p == ' ' || *p == '\t' || *p == ',') {
			p++;
		}
		if (*p == '\0') {
			break;
		}
		t = p;
		tl = strcspn(p, ",");
		p += tl;
		while (tl > 0 && (t[tl - 1] == ' ' || t[tl - 1] == '\t')) {
			tl--;
		}
		if (tl == 1 && t[0] == '*') {
			return true;
		}
		if (tl > 2 && strncmp(t, "W/", 2) == 0) {
			t += 2;
			tl -= 2;
		}
		if (tl >= 2 && t[0] == '"' && t[tl - 1] == '"') {
			t++;
			tl -= 2;
		}
		if (tl == el && el > 0 && strncmp(t, etag, el) == 0) {
			return true;
		}
	}
	return false;
}

/* RFC 7232 section 6: 0 to go on, else the status to answer (304, 412). */
static int
s3_get_conditions(http_req *r, const char *etag, time_t mtime)
{
	const char *im = http_req_header(r, "If-Match");
	const char *ius = http_req_header(r, "If-Unmodified-Since");
	const char *inm = http_req_header(r, "If-None-Match");
	const char *ims = http_req_header(r, "If-Modified-Since");
	time_t t;

	if (im != NULL) {
		if (!s3_get_etag_match(im, etag)) {
			return 412;
		}
	} else if (ius != NULL && s3_obj_parse_http_date(ius, &t)
	    && mtime > t) {
		return 412;
	}
	if (inm != NULL) {
		if (s3_get_etag_match(inm, etag)) {
			return 304; /* GET and HEAD only come here */
		}
	} else if (ims != NULL && s3_obj_parse_http_date(ims, &t)
	    && mtime <= t) {
		return 304;
	}
	return 0;
}

void
s3_obj_get(http_req *r, s3_req *q, http_obj *o)
{
	http_obj_file f;
	http_hdrs *h;
	char etag[S3_OBJ_ETAG_MAX];
	char qetag[S3_OBJ_ETAG_MAX + 2];
	char date[64];
	char ctype[256];
	uint64_t size;
	uint64_t off = 0;
	uint64_t len;
	http_range_res rr;
	int cond;
	int e;

	(void) q;
	h = http_req_alloc(r, sizeof(*h));
	if (h == NULL) {
		s3_reply_err(r, 500, "InternalError", "out of memory");
		return;
	}
	http_hdrs_init(h);
	switch (http_obj_file_load_gfn(r, o, &f, &e)) {
	case HTTP_OBJ_F_OK:
		break;
	case HTTP_OBJ_F_MISSING:
		s3_reply_err(
		    r, 404, "NoSuchKey", "The specified key does not exist.");
		return;
	case HTTP_OBJ_F_OPEN:
		s3_obj_reply_errno(r, o, e, "GetObject");
		return;
	default:
		AIS_LOGW("AIS-S3-GET-BAD", "%s: %s: corrupted object", o->tag,
		    o->uname);
		s3_reply_err(
		    r, 500, "InternalError", "%s: corrupted object", o->name);
		return;
	}
	size = (uint64_t) f.st.st_size;
	qetag[0] = '\0';
	if (s3_obj_etag(&f.md, &f.st, etag, sizeof(etag))) {
		snprintf(qetag, sizeof(qetag), "\"%s\"", etag);
		http_hdrs_add(h, "ETag", qetag);
	} else {
		etag[0] = '\0';
	}
	s3_obj_http_date(f.st.st_mtim.tv_sec, date, sizeof(date));
	http_hdrs_add(h, "Last-Modified", date);
	cond = s3_get_conditions(r, etag, f.st.st_mtim.tv_sec);
	if (cond == 304) {
		close(f.fd);
		http_reply(r, 304, NULL, NULL, 0, h->kv);
		return;
	}
	if (cond == 412) {
		close(f.fd);
		s3_get_err_hdrs(r, 412, "PreconditionFailed",
		    "At least one of the pre-conditions you specified did not "
		    "hold",
		    NULL);
		return;
	}
	len = size;
	rr = http_range_parse(http_req_header(r, "Range"), size, &off, &len);
	if (rr == HTTP_RANGE_UNSAT || rr == HTTP_RANGE_MULTI) {
		close(f.fd);
		http_hdrs_init(h);
		http_hdrs_addf(h, "Content-Range", "bytes */%" PRIu64, size);
		s3_get_err_hdrs(r, 416, "InvalidRange",
		    "The requested range is not satisfiable", h->kv);
		return;
	}
	if (rr != HTTP_RANGE_OK) {
		off = 0;
		len = size;
	}
	http_hdrs_add(h, "Accept-Ranges", "bytes");
	if (rr == HTTP_RANGE_OK) {
		http_hdrs_addf(h, "Content-Range",
		    "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, off,
		    off + len - 1, size);
	}
	s3_obj_md_to_hdrs(&f.md, h, ctype, sizeof(ctype));
	http_hdrs_add(h, "Server", "AIStore");
	if (r->method == HTTP_M_GET) {
		http_obj_touch(&f);
	}
	http_reply_fd(
	    r, rr == HTTP_RANGE_OK ? 206 : 200, ctype, f.fd, off, len, h->kv);
}
