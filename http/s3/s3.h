/*
 * The S3 API under /s3 (shared/spec/s3-api.md), shared by the three parts
 * of the facade:
 *
 *   s3.c, s3_bck.c, s3_list.c, s3_xml.c  entry and dispatch, bucket-level
 *                                       operations, listing, XML and errors
 *   s3_obj*.c, fwd.c                     object operations: reverse proxy (or
 *                                       307 redirect) on proxies, the object
 *                                       semantics on targets
 *   s3_auth.c (+ core/sigv4)             AWS Signature V4 verification
 *
 * Request flow on a proxy: http_h_s3 parses the request into an s3_req,
 * authenticates it (s3_auth_check: header, presigned query; chunked payload
 * signatures are checked by the body decoder with the returned seed),
 * resolves the bucket by name in the BMD, then serves bucket-level
 * operations itself and hands object operations to s3_obj_proxy. On a
 * target, object requests arrive marked (pid/utm) and go to s3_obj_target.
 * http_h_s3 gets the early call (server.h): bucket-level operations leave
 * it unanswered (the body is then read whole); s3_obj_* may install a sink.
 */
#ifndef AIS_HTTP_S3_S3_H
#define AIS_HTTP_S3_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bmd.h"
#include "core/err.h"
#include "http/server.h"

#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"

typedef enum s3_op {
	S3_OP_UNKNOWN = 0,
	/* service / bucket level (s3.c and friends) */
	S3_OP_LIST_BUCKETS,       /* GET /s3, GET /s3/ */
	S3_OP_CREATE_BUCKET,      /* PUT /s3/b */
	S3_OP_DELETE_BUCKET,      /* DELETE /s3/b */
	S3_OP_HEAD_BUCKET,        /* HEAD /s3/b */
	S3_OP_GET_LOCATION,       /* GET /s3/b?location */
	S3_OP_GET_VERSIONING,     /* GET /s3/b?versioning */
	S3_OP_PUT_VERSIONING,     /* PUT /s3/b?versioning */
	S3_OP_LIST_OBJECTS,       /* GET /s3/b (V1, or V2 with list-type=2) */
	S3_OP_LIST_VERSIONS,      /* GET /s3/b?versions */
	S3_OP_DELETE_OBJECTS,     /* POST /s3/b?delete */
	S3_OP_LIST_UPLOADS,       /* GET /s3/b?uploads */
	/* object level (s3_obj*.c) */
	S3_OP_GET_OBJECT,         /* GET /s3/b/k */
	S3_OP_HEAD_OBJECT,        /* HEAD /s3/b/k */
	S3_OP_PUT_OBJECT,         /* PUT /s3/b/k */
	S3_OP_COPY_OBJECT,        /* PUT /s3/b/k + x-amz-copy-source */
	S3_OP_DELETE_OBJECT,      /* DELETE /s3/b/k */
	S3_OP_CREATE_MPU,         /* POST /s3/b/k?uploads */
	S3_OP_UPLOAD_PART,        /* PUT /s3/b/k?partNumber&uploadId */
	S3_OP_UPLOAD_PART_COPY,   /* ... + x-amz-copy-source */
	S3_OP_COMPLETE_MPU,       /* POST /s3/b/k?uploadId */
	S3_OP_ABORT_MPU,          /* DELETE /s3/b/k?uploadId */
	S3_OP_LIST_PARTS,         /* GET /s3/b/k?uploadId */
	S3_OP_NOT_IMPLEMENTED,    /* known-unsupported subresource -> 501 */
} s3_op;

typedef struct s3_req {
	s3_op op;
	char bucket[AIS_BCK_NAME_MAX + 1]; /* "" for service-level ops */
	const char *key;   /* object key, unescaped, "" if none (arena) */
	size_t key_len;
	/* The request path in "/s3/<bucket>[/<key>]" form (escaped, as
	 * sent), whatever the addressing: what proxies send targets. */
	const char *fwd_path;
	/* The bucket as found in the BMD (by name, any provider/namespace),
	 * valid when bck_found. */
	bool bck_found;
	char provider[8];
	char ns[80];
	/* Authentication outcome (s3_auth_check). */
	char access_key[128]; /* "" when auth is off / anonymous */
	bool chunk_signed;    /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD body */
	char seed_sig[65];    /* seed signature for chunk signatures */
	char signing_key[32]; /* derived key (binary) for chunk signatures */
	char amz_date[20];    /* x-amz-date of the request */
	char scope[128];      /* credential scope "date/region/s3/aws4_request" */
} s3_req;

/* s3.c: the /s3 entry (declared in http/router.h as http_h_s3). */

/* s3_xml.c --------------------------------------------------------------- */

/* Growable text buffer for XML bodies (arena-free; s3_buf_fini frees). */
typedef struct s3_buf {
	char *p;
	size_t len, cap;
	bool oom;
} s3_buf;
void s3_buf_put(s3_buf *b, const char *s);
void s3_buf_printf(s3_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s with XML escaping (& < > " '). */
void s3_buf_esc(s3_buf *b, const char *s);
/* <tag>escaped text</tag> */
void s3_buf_elem(s3_buf *b, const char *tag, const char *text);
void s3_buf_fini(s3_buf *b);
/* Replies status with the XML body (Content-Type application/xml), taking
 * b's memory. */
void s3_reply_xml(http_req *r, int status, s3_buf *b,
    const char *const *hdrs);
/* S3 error: <Error><Code>code</Code><Message>..</Message><Resource>path
 * </Resource><RequestId>..</RequestId></Error>; HEAD gets the status only. */
void s3_reply_err(http_req *r, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Maps an ais_err (+ what was missing) to the S3 code and status:
 * ENOENT on a bucket -> 404 NoSuchBucket, on an object -> 404 NoSuchKey,
 * EEXIST -> 409 BucketAlreadyOwnedByYou, EINVAL -> 400 InvalidArgument,
 * EPERM -> 403 AccessDenied, ENOSPC -> 507, else 500 InternalError. */
void s3_reply_aerr(http_req *r, ais_err err, bool object, const char *msg);
/* Finds the text of the first <tag>...</tag> at or after *pos in a small
 * XML document (request bodies: Delete, CompleteMultipartUpload,
 * VersioningConfiguration); unescapes entities into out. Returns false at
 * the end. Enough for the flat request bodies S3 clients send; not a
 * general XML parser. */
bool s3_xml_next(const char *doc, size_t len, size_t *pos, const char *tag,
    char *out, size_t outlen);

/* s3_obj*.c -------------------------------------------------------------- */

/* Proxy: forwards an object operation to the owning target -- streamed
 * reverse proxy by default, 307 + Location + XML <Endpoint> when the
 * cluster feature S3-Redirect-Rebuild or config "s3.redirect" asks for it.
 * Called on the early call and again with the body if it left the request
 * unanswered. */
void s3_obj_proxy(http_req *r, s3_req *q);
/* Target: the object semantics (PUT with aws-chunked decoding, ETag = MD5,
 * x-amz-meta-* and Content-Type kept as custom metadata, GET/HEAD with S3
 * headers and conditionals, DELETE, CopyObject, and multipart uploads --
 * s3_mpu.c; UploadPartCopy is 501). */
void s3_obj_target(http_req *r, s3_req *q);
/* Target (s3_mpu.c): this target's in-progress multipart uploads of
 * bucket q->bucket as flat XML, <Uploads><Upload><Key/><UploadId/>
 * <Initiated>ns</Initiated></Upload>...</Uploads>, for the proxy's
 * ListMultipartUploads (GET /s3/<b>?uploads + marker). Blocks on disk. */
void s3_mpu_list_uploads_target(http_req *r, s3_req *q);

/* s3_auth.c -------------------------------------------------------------- */

/* Verifies the request's SigV4 (Authorization header or presigned query)
 * against the access keys in the cluster config. Auth off: AIS_OK, q
 * unchanged. On failure it has replied (403 AccessDenied /
 * SignatureDoesNotMatch / InvalidAccessKeyId, expired presigned URL 403)
 * and returns non-OK. Fills q->chunk_signed etc. for streaming bodies. */
ais_err s3_auth_check(http_req *r, s3_req *q);
/* Verifies one aws-chunked chunk signature and advances q->seed_sig. */
bool s3_auth_chunk(s3_req *q, const void *data, size_t len,
    const char *chunk_sig);

/* s3.c additions ---------------------------------------------------------
 * Bucket-level operations and helpers shared by s3.c, s3_bck.c and
 * s3_list.c (proxy side; each answers r exactly once). */

/* Region reported by HeadBucket/GetBucketLocation: cluster config
 * "s3.region", default "us-east-1". Static or config-owned: copied into
 * buf. */
void s3_region(http_req *r, char *buf, size_t len);
/* Owner ID (64 hex, stable per access key; "ais" when anonymous) and
 * display name. */
void s3_owner(const s3_req *q, char id[65], const char **display);
/* s3_bck.c */
void s3_bck_list_all(http_req *r, s3_req *q);
void s3_bck_create(http_req *r, s3_req *q);
void s3_bck_delete(http_req *r, s3_req *q);
void s3_bck_head(http_req *r, s3_req *q);
void s3_bck_location(http_req *r, s3_req *q);
void s3_bck_versioning_get(http_req *r, s3_req *q);
void s3_bck_versioning_put(http_req *r, s3_req *q);
void s3_bck_delete_objects(http_req *r, s3_req *q);
void s3_bck_list_uploads(http_req *r, s3_req *q);
/* s3_list.c: ListObjects V1/V2 and ListObjectVersions with real paging. */
void s3_list_objects(http_req *r, s3_req *q);
void s3_list_versions(http_req *r, s3_req *q);
/* Whether the bucket holds at least one object (one-entry listing over
 * every target). Blocks on the fan-out. Errors in errbuf. */
ais_err s3_list_any(http_req *r, const s3_req *q, bool *any, char *errbuf,
    size_t errlen);

#endif
