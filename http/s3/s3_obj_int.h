/*
 * Private to the S3 object operations (s3_obj*.c): the proxy's forwarder
 * and redirect (s3_obj_proxy.c), and the target's semantics --
 * dispatch and DELETE (s3_obj_target.c), PutObject (s3_obj_put.c),
 * GetObject/HeadObject (s3_obj_get.c), CopyObject (s3_obj_copy.c) -- plus
 * the helpers they share: ETag rules, dates, custom metadata from request
 * headers, and the x-amz-copy-source parser.
 *
 * Custom metadata keys an S3 object keeps (lowercase, in the LOM's
 * custom section, so the native API shows them as Ais-Custom-Md too):
 *   "ETag"           MD5 hex of the data, unquoted (S3 ETag; spec 6.1)
 *   "content-type"   the PutObject Content-Type
 *   "x-amz-meta-*"   user metadata
 */
#ifndef AIS_HTTP_S3_S3_OBJ_INT_H
#define AIS_HTTP_S3_S3_OBJ_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/lom.h"
#include "http/obj_int.h"
#include "http/s3/s3.h"

#define S3_OBJ_ETAG_MAX  (AIS_CKSUM_HEX_MAX + 32)
#define S3_OBJ_SIZE_MAX  (50000ull << 30) /* 50,000 GiB */
#define S3_OBJ_KEY_ETAG  "ETag"
#define S3_OBJ_KEY_CTYPE "content-type"
#define S3_OBJ_META_PFX  "x-amz-meta-"

/* The xattr holding a multipart part's MD5 (hex) on its file. */
#define S3_MPU_XATTR_MD5 "user.ais.s3.md5"

/* Target handlers (after marker, bucket and name checks). */
void s3_obj_put(http_req *r, s3_req *q, http_obj *o);
/* UploadPart: streams the body (plain or aws-chunked) into a work file of
 * o with its MD5, then renames it to part_fqn (borrowed: r's arena) with
 * the MD5 in S3_MPU_XATTR_MD5; 404 NoSuchUpload when the upload's
 * directory went away meanwhile. Answers r (early call). */
void s3_obj_put_part(http_req *r, http_obj *o, const char *part_fqn);
/* Multipart uploads (s3_mpu.c), on the target that owns the key; each
 * answers r. Complete runs with the body in (second call), the others on
 * the early call. */
void s3_mpu_create(http_req *r, s3_req *q, http_obj *o);
void s3_mpu_upload_part(http_req *r, s3_req *q, http_obj *o);
void s3_mpu_list_parts(http_req *r, s3_req *q, http_obj *o);
void s3_mpu_complete(http_req *r, s3_req *q, http_obj *o);
void s3_mpu_abort(http_req *r, s3_req *q, http_obj *o);
void s3_obj_get(http_req *r, s3_req *q, http_obj *o); /* GET and HEAD */
void s3_obj_copy(http_req *r, s3_req *q, http_obj *o);

/* Fills o for bucket/key of q on this node and loads the bucket's props
 * (any reply is the caller's). false: *status and *code say what to
 * answer. */
bool s3_obj_resolve(http_req *r, const char *provider, const char *ns,
    const char *bck, const char *key, http_obj *o, int *status,
    const char **code);

/* Finds bucket `name` by name in n's BMD (any provider and namespace):
 * how many there are; for exactly one, its provider and namespace ("" for
 * the global one). 0 also when n has no BMD. */
size_t s3_obj_bck_find(ais_node *n, const char *name, char *provider,
    size_t plen, char *ns, size_t nlen);

/* x-amz-copy-source "[/]<bucket>/<key>[?versionId=...]", URL-escaped:
 * unescaped into bck/key (key with empty segments dropped, as for paths).
 * false if malformed. */
bool s3_obj_copy_source(
    const char *hdr, char *bck, size_t blen, char *key, size_t klen);

/* The object's ETag (unquoted) per spec section 6: custom "ETag", else the
 * md5 checksum, else "v1-<cksum>-<mtime ns base36>"; false when it has no
 * checksum at all. */
bool s3_obj_etag(
    const ais_lom_md *md, const struct stat *st, char *buf, size_t len);
/* HTTP date (IMF-fixdate) and ISO 8601 (with milliseconds) of a time. */
void s3_obj_http_date(time_t t, char *buf, size_t len);
void s3_obj_iso_date(int64_t ns, char *buf, size_t len);
/* Parses an HTTP date (IMF-fixdate, RFC 850 or asctime); false if none. */
bool s3_obj_parse_http_date(const char *s, time_t *out);

/* Content-Type and x-amz-meta-* request headers into md's custom section
 * (keys lowercased). false: too large for the metadata (2 KiB). */
bool s3_obj_md_from_req(http_req *r, ais_lom_md *md);
/* The S3 response headers from custom metadata: Content-Type into ctype
 * (application/octet-stream if none), every x-amz-meta-* into h. */
void s3_obj_md_to_hdrs(
    const ais_lom_md *md, http_hdrs *h, char *ctype, size_t clen);

/* Base64 Content-MD5 -> 32 lowercase hex digits; false if not 16 bytes. */
bool s3_obj_md5_b64_hex(const char *b64, char hex[33]);

/* Answers an errno from storing an object (ENOSPC -> 507, name conflicts
 * -> 409, else 500), S3-style. */
void s3_obj_reply_errno(
    http_req *r, const http_obj *o, int e, const char *what);

#endif
