/*
 * PutObject on a target (spec s3-api.md section 5.3): the native PUT engine
 * (obj_int.h: work file, checksums, xattr, atomic rename) behind an S3
 * front.
 *
 *  - Body: plain, or aws-chunked (x-amz-content-sha256 "STREAMING-...")
 *    decoded here as it streams -- only in redirect mode, where the client
 *    sends straight to this target; behind the reverse proxy the proxy has
 *    decoded it (and checked chunk signatures, which a target cannot: the
 *    signing key lives on proxies). The object's size is
 *    x-amz-decoded-content-length; any other amount -> 400 IncompleteBody,
 *    nothing stored.
 *  - ETag: MD5 of the data (the bucket's checksum when that is md5, else a
 *    second hasher), kept as custom "ETag" and returned quoted.
 *  - Content-MD5 (base64) is verified: mismatch -> 400 BadDigest, nothing
 *    stored.
 *  - Content-Type, Cache-Control, Content-Disposition, Content-Language,
 *    Expires and x-amz-meta-* are kept as custom metadata (lowercase keys)
 *    for GET/HEAD; more than the 2 KiB of custom metadata -> 400
 *    MetadataTooLarge.
 *
 * UploadPart (s3_mpu.c) uses the same engine: the part streams into a work
 * file with its MD5 (and nothing else), then is renamed into the upload's
 * directory instead of being stored as an object.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/log.h"
#include "http/s3/awschunked.h"
#include "http/s3/s3_obj_int.h"

/* 32 hex digits that reserve the ETag's room in the metadata before
 * the real MD5 is known (the size check happens before the body moves). */
#define S3_PUT_ETAG_HOLD "00000000000000000000000000000000"

typedef struct s3_put {
	http_put p;
	http_obj *o;
	bool decode; /* aws-chunked body */
	s3_ach ach;
	uint64_t size; /* declared object size, UINT64_MAX unknown */
	bool has_md5;  /* Content-MD5 sent */
	char want_md5[33];
	bool too_long;        /* more data than declared */
	const char *part_fqn; /* UploadPart: where the part goes, else NULL */
} s3_put;

static bool
s3_put_data(void *arg, const char *data, size_t len)
{
	s3_put *s = arg;

	if (s->size != UINT64_MAX && len > s->size - s->p.got) {
		s->too_long = true;
		return false;
	}
	return http_put_write(&s->p, data, len);
}

static const s3_ach_cb s3_put_ach_cb = { .data = s3_put_data };

static bool
s3_put_chunk(void *arg, const char *data, size_t len)
{
	s3_put *s = arg;

	if (!s->decode) {
		return s3_put_data(s, data, len);
	}
	return s3_ach_feed(&s->ach, data, len, &s3_put_ach_cb, s);
}

static void
s3_put_abort(void *arg)
{
	s3_put *s = arg;

	AIS_LOGD("AIS-S3-PUT-ABORT",
	    "%s: S3 upload of %s ended after %" PRIu64 " bytes", s->o->tag,
	    s->o->uname, s->p.got);
	http_put_discard(&s->p);
}

/* UploadPart: the verified work file becomes the part (its MD5 in an
 * xattr), replacing an earlier upload of the same number. The rename
 * fails with ENOENT when the upload is gone (aborted or being
 * completed). */
static void
s3_put_part_end(s3_put *s, http_req *r, const char *md5)
{
	char etag[AIS_CKSUM_HEX_MAX + 2];
	http_hdrs h;
	int e = 0;

	if (fsetxattr(s->p.fd, S3_MPU_XATTR_MD5, md5, strlen(md5), 0) != 0) {
		e = errno;
	} else if (close(s->p.fd) != 0) {
		e = errno;
	}
	s->p.fd = -1;
	if (e == 0 && rename(s->p.wfqn, s->part_fqn) != 0) {
		e = errno;
	}
	if (e != 0) {
		http_put_discard(&s->p);
		if (e == ENOENT) {
			s3_reply_err(r, 404, "NoSuchUpload",
			    "The specified upload does not exist");
			return;
		}
		s3_obj_reply_errno(r, s->o, e, "UploadPart");
		return;
	}
	s->p.wfqn[0] = '\0';
	http_put_discard(&s->p);
	snprintf(etag, sizeof(etag), "\"%s\"", md5);
	http_hdrs_init(&h);
	http_hdrs_add(&h, "ETag", etag);
	s3_reply_xml(r, 200, &(s3_buf) { 0 }, h.kv);
}

static void
s3_put_end(void *arg, http_req *r, uint64_t total)
{
	s3_put *s = arg;
	char got2[AIS_CKSUM_HEX_MAX];
	char md5[AIS_CKSUM_HEX_MAX];
	char etag[AIS_CKSUM_HEX_MAX + 2];
	char date[64];
	http_hdrs h;
	int e;

	if (s->p.werr != 0) {
		e = s->p.werr;
		http_put_discard(&s->p);
		s3_obj_reply_errno(r, s->o, e, "PutObject");
		return;
	}
	if (s->decode && s->ach.state == S3_ACH_ERR) {
		http_put_discard(&s->p);
		s3_reply_err(r, 400, "InvalidRequest",
		    "invalid aws-chunked body: %s", s->ach.err);
		return;
	}
	if (s->too_long || (s->decode && !s3_ach_complete(&s->ach))
	    || (!s->decode && total != s->p.got)
	    || (s->size != UINT64_MAX && s->p.got != s->size)) {
		http_put_discard(&s->p);
		s3_reply_err(r, 400, "IncompleteBody",
		    "got %" PRIu64
		    " bytes of data, the request declared %" PRIu64,
		    s->p.got, s->size);
		return;
	}
	http_put_sums(&s->p, got2, md5);
	if (s->has_md5 && strcmp(md5, s->want_md5) != 0) {
		http_put_discard(&s->p);
		s3_reply_err(r, 400, "BadDigest",
		    "The Content-MD5 you specified did not match what we "
		    "received");
		return;
	}
	if (s->part_fqn != NULL) {
		s3_put_part_end(s, r, md5);
		return;
	}
	if (ais_lom_custom_set(&s->p.md, S3_OBJ_KEY_ETAG, md5) != AIS_OK) {
		http_put_discard(&s->p);
		s3_reply_err(r, 400, "MetadataTooLarge",
		    "metadata headers exceed the maximum allowed size");
		return;
	}
	e = http_put_store(&s->p);
	if (e != 0) {
		http_put_discard(&s->p);
		s3_obj_reply_errno(r, s->o, e, "PutObject");
		return;
	}
	snprintf(etag, sizeof(etag), "\"%s\"", md5);
	s3_obj_http_date(
	    (time_t) (s->p.now / 1000000000LL), date, sizeof(date));
	http_hdrs_init(&h);
	http_hdrs_add(&h, "ETag", etag);
	http_hdrs_add(&h, "Last-Modified", date);
	s3_reply_xml(r, 200, &(s3_buf) { 0 }, h.kv);
}

static const http_sink s3_put_sink = {
	.chunk = s3_put_chunk,
	.end = s3_put_end,
	.abort = s3_put_abort,
};

static bool
s3_put_u64(const char *v, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(v, &end, 10);
	return errno == 0 && end != v && *end == '\0';
}

static void
s3_put_begin(http_req *r, http_obj *o, const char *part_fqn)
{
	const char *sha = http_req_header(r, "x-amz-content-sha256");
	const char *what = part_fqn == NULL ? "PutObject" : "UploadPart";
	const char *v;
	s3_put *s;
	int e;

	s = http_req_alloc(r, sizeof(*s));
	if (s == NULL) {
		s3_reply_err(r, 500, "InternalError", "out of memory");
		return;
	}
	memset(s, 0, sizeof(*s));
	s->o = o;
	s->part_fqn = part_fqn;
	s->p.o = o;
	s->p.fd = -1;
	s->p.want_md5 = true;
	s->p.expect = UINT64_MAX;
	s->size = UINT64_MAX;
	s->decode = sha != NULL && strncmp(sha, "STREAMING-", 10) == 0;
	v = http_req_header(
	    r, s->decode ? "x-amz-decoded-content-length" : "Content-Length");
	if (v != NULL && !s3_put_u64(v, &s->size)) {
		s3_reply_err(
		    r, 400, "InvalidArgument", "invalid length \"%s\"", v);
		return;
	}
	if (s->size != UINT64_MAX && s->size > S3_OBJ_SIZE_MAX) {
		s3_reply_err(r, 400, "EntityTooLarge",
		    "object size %" PRIu64 " exceeds the maximum", s->size);
		return;
	}
	if ((v = http_req_header(r, "Content-MD5")) != NULL) {
		if (!s3_obj_md5_b64_hex(v, s->want_md5)) {
			s3_reply_err(r, 400, "InvalidDigest",
			    "The Content-MD5 you specified is not valid");
			return;
		}
		s->has_md5 = true;
	}
	if (part_fqn != NULL) {
		/* a part's only checksum is its MD5 (o is this request's) */
		o->props.cksum = AIS_CKSUM_MD5;
	}
	/* The ETag's room is reserved now, so that a full metadata section
	 * is refused before the body travels. */
	if (part_fqn == NULL
	    && (!s3_obj_md_from_req(r, &s->p.md)
	        || ais_lom_custom_set(
	               &s->p.md, S3_OBJ_KEY_ETAG, S3_PUT_ETAG_HOLD)
	            != AIS_OK)) {
		s3_reply_err(r, 400, "MetadataTooLarge",
		    "metadata headers exceed the maximum allowed size");
		return;
	}
	if (s->decode) {
		s3_ach_init(&s->ach);
	}
	e = http_put_start(&s->p, r->node);
	if (e != 0) {
		if (e == ENODEV) {
			s3_reply_err(r, 503, "ServiceUnavailable",
			    "%s: no mountpaths", o->tag);
			return;
		}
		s3_obj_reply_errno(r, o, e, what);
		return;
	}
	if (http_req_set_sink(r, &s3_put_sink, s) != AIS_OK) {
		http_put_discard(&s->p);
		s3_reply_err(r, 500, "InternalError", "cannot receive body");
	}
}

void
s3_obj_put(http_req *r, s3_req *q, http_obj *o)
{
	(void) q;
	s3_put_begin(r, o, NULL);
}

void
s3_obj_put_part(http_req *r, http_obj *o, const char *part_fqn)
{
	s3_put_begin(r, o, part_fqn);
}
