/*
 * The S3 entry (spec s3-api.md sections 1 and 2): every request under /s3
 * lands here, path-style only. The request is parsed into an s3_req --
 * bucket and key unescaped once from the raw path, the operation told
 * apart by method, query subresources and x-amz-copy-source -- and then
 * dispatched:
 *
 *  - on a target, object requests that carry a proxy's redirect marker
 *    (pid and utm) go to s3_obj_target; nothing else is served there;
 *  - on a proxy, the request is authenticated first (s3_auth_check, also
 *    on the early call so that nothing streams unauthenticated), the bucket
 *    resolved by name across the whole BMD (any provider and namespace),
 *    object operations handed to s3_obj_proxy, and bucket-level operations
 *    answered here -- on the second call only, once a body (Delete,
 *    VersioningConfiguration) has been read whole.
 *
 * Operations S3 defines but this cluster does not implement (ACLs, CORS,
 * policies, lifecycle, tagging, ...) get 501 NotImplemented after the
 * bucket has been checked, so clients learn about a missing bucket first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/fqn.h"
#include "core/hrw.h"
#include "http/s3/s3.h"

/* Query subresources S3 defines and this cluster does not serve. */
static const char *const s3_unsupported[] = { "acl", "cors", "policy",
	"lifecycle", "tagging", "encryption", "website", "logging",
	"notification", "replication", "requestPayment", "object-lock",
	"retention", "legal-hold", "accelerate", "analytics", "inventory",
	"metrics", "intelligent-tiering", "ownershipControls",
	"publicAccessBlock", "policyStatus", "torrent", "restore", "select",
	"attributes", "session", "renameObject" };

static bool
s3_has(http_req *r, const char *key)
{
	return http_query_get(&r->query, key) != NULL;
}

static bool
s3_has_unsupported(http_req *r)
{
	for (size_t i = 0;
	     i < sizeof(s3_unsupported) / sizeof(s3_unsupported[0]); i++) {
		if (s3_has(r, s3_unsupported[i])) {
			return true;
		}
	}
	return false;
}

static s3_op
s3_op_bucket(http_req *r)
{
	switch (r->method) {
	case HTTP_M_GET:
		if (s3_has_unsupported(r)) {
			return S3_OP_NOT_IMPLEMENTED;
		}
		if (s3_has(r, "location")) {
			return S3_OP_GET_LOCATION;
		}
		if (s3_has(r, "versioning")) {
			return S3_OP_GET_VERSIONING;
		}
		if (s3_has(r, "uploads")) {
			return S3_OP_LIST_UPLOADS;
		}
		if (s3_has(r, "versions")) {
			return S3_OP_LIST_VERSIONS;
		}
		return S3_OP_LIST_OBJECTS;
	case HTTP_M_HEAD:
		return S3_OP_HEAD_BUCKET;
	case HTTP_M_PUT:
		if (s3_has(r, "versioning")) {
			return S3_OP_PUT_VERSIONING;
		}
		if (s3_has_unsupported(r)) {
			return S3_OP_NOT_IMPLEMENTED;
		}
		return S3_OP_CREATE_BUCKET;
	case HTTP_M_DELETE:
		if (s3_has(r, "delete")) {
			return S3_OP_DELETE_OBJECTS;
		}
		if (s3_has_unsupported(r)) {
			return S3_OP_NOT_IMPLEMENTED;
		}
		return S3_OP_DELETE_BUCKET;
	case HTTP_M_POST:
		if (s3_has(r, "delete")) {
			return S3_OP_DELETE_OBJECTS;
		}
		return S3_OP_UNKNOWN;
	default:
		return S3_OP_UNKNOWN;
	}
}

static s3_op
s3_op_object(http_req *r)
{
	bool copy = http_req_header(r, "x-amz-copy-source") != NULL;

	if (s3_has_unsupported(r)) {
		return S3_OP_NOT_IMPLEMENTED;
	}
	switch (r->method) {
	case HTTP_M_GET:
		return s3_has(r, "uploadId") ? S3_OP_LIST_PARTS
		                             : S3_OP_GET_OBJECT;
	case HTTP_M_HEAD:
		return S3_OP_HEAD_OBJECT;
	case HTTP_M_PUT:
		if (s3_has(r, "uploadId") || s3_has(r, "partNumber")) {
			return copy ? S3_OP_UPLOAD_PART_COPY
			            : S3_OP_UPLOAD_PART;
		}
		return copy ? S3_OP_COPY_OBJECT : S3_OP_PUT_OBJECT;
	case HTTP_M_DELETE:
		return s3_has(r, "uploadId") ? S3_OP_ABORT_MPU
		                             : S3_OP_DELETE_OBJECT;
	case HTTP_M_POST:
		if (s3_has(r, "uploads")) {
			return S3_OP_CREATE_MPU;
		}
		if (s3_has(r, "uploadId")) {
			return S3_OP_COMPLETE_MPU;
		}
		return S3_OP_UNKNOWN;
	default:
		return S3_OP_UNKNOWN;
	}
}

static bool
s3_op_is_object(s3_op op)
{
	return op >= S3_OP_GET_OBJECT && op <= S3_OP_LIST_PARTS;
}

/* "/s3[/<bucket>[/<key...>]]" from the raw path (without "/s3" at the
 * root; with a virtual host the bucket is the host's and the whole path
 * the key): bucket and key unescaped once; the key's empty components
 * (repeated or trailing slashes) dropped, as AIS joins path segments.
 * Sets q->fwd_path, the path in "/s3/..." form for targets. Replies and
 * returns false on error. */
static bool
s3_path_parse(http_req *r, s3_req *q)
{
	const char *p = r->path_raw + (r->s3_root || r->s3_vhost ? 0 : 3);
	const char *bsrc;
	const char *slash;
	size_t blen;
	char *bck;
	char *key;
	size_t klen = 0;
	ais_err err;

	q->key = "";
	q->key_len = 0;
	q->fwd_path = r->path_raw;
	if (r->s3_vhost != NULL) {
		bsrc = r->s3_vhost;
		blen = r->s3_vhost_len;
		slash = p; /* the whole path is the key */
	} else {
		while (*p == '/') {
			p++;
		}
		if (*p == '\0') {
			return true; /* service */
		}
		bsrc = p;
		slash = strchr(p, '/');
		blen = slash == NULL ? strlen(p) : (size_t) (slash - p);
	}
	bck = http_req_alloc(r, blen + 1);
	key = slash == NULL ? NULL : http_req_alloc(r, strlen(slash) + 1);
	if (bck == NULL || (slash != NULL && key == NULL)) {
		s3_reply_err(r, 500, "InternalError", "out of memory");
		return false;
	}
	memcpy(bck, bsrc, blen);
	bck[blen] = '\0';
	err = http_unescape(bck, false, &blen);
	if (err != AIS_OK || blen == 0 || blen > AIS_BCK_NAME_MAX
	    || ais_bckname_check(bck) != AIS_OK) {
		s3_reply_err(r, 400, "InvalidBucketName",
		    "The specified bucket is not valid: \"%.*s\"",
		    (int) (blen > 128 ? 128 : blen), bck);
		return false;
	}
	memcpy(q->bucket, bck, blen + 1);
	if (r->s3_root || r->s3_vhost != NULL) {
		/* bucket names need no escaping */
		size_t cap = 8 + blen + strlen(r->path_raw);
		char *fp = http_req_alloc(r, cap);

		if (fp == NULL) {
			s3_reply_err(r, 500, "InternalError", "out of memory");
			return false;
		}
		if (r->s3_vhost != NULL) {
			snprintf(fp, cap, "/s3/%s%s%s", q->bucket,
			    r->path_raw[0] == '/' ? "" : "/", r->path_raw);
		} else {
			snprintf(fp, cap, "/s3%s", r->path_raw);
		}
		q->fwd_path = fp;
	}
	if (slash == NULL) {
		return true;
	}
	/* join the non-empty raw segments, then unescape once */
	for (const char *s = slash; *s != '\0';) {
		const char *e;

		while (*s == '/') {
			s++;
		}
		e = strchr(s, '/');
		e = e == NULL ? s + strlen(s) : e;
		if (e > s) {
			if (klen > 0) {
				key[klen++] = '/';
			}
			memcpy(key + klen, s, (size_t) (e - s));
			klen += (size_t) (e - s);
		}
		s = e;
	}
	key[klen] = '\0';
	if (klen == 0) {
		return true; /* "/s3/b/" is the bucket */
	}
	err = http_unescape(key, false, &klen);
	if (err != AIS_OK || klen > AIS_OBJNAME_MAX
	    || ais_objname_check(key, klen, false) != AIS_OK) {
		s3_reply_err(r, 400, "InvalidArgument",
		    "invalid object name \"%.*s\"",
		    (int) (klen > 256 ? 256 : klen), key);
		return false;
	}
	q->key = key;
	q->key_len = klen;
	return true;
}

/* Finds q->bucket in the BMD by name. Replies (503, 404) and returns false
 * unless found or `may_miss`. */
static bool
s3_bck_resolve(http_req *r, s3_req *q, bool may_miss)
{
	ais_bmd *bmd = ais_node_bmd(r->node);
	const ais_bck *hit = NULL;
	size_t nhit = 0;

	if (bmd == NULL) {
		s3_reply_err(r, 503, "ServiceUnavailable",
		    "bucket metadata is not available yet");
		return false;
	}
	for (size_t i = 0; i < bmd->nbcks; i++) {
		if (strcmp(bmd->bcks[i].name, q->bucket) == 0) {
			hit = &bmd->bcks[i];
			nhit++;
		}
	}
	if (nhit == 1) {
		q->bck_found = true;
		snprintf(
		    q->provider, sizeof(q->provider), "%s", hit->provider);
		/* the global namespace as "" (what native requests use) */
		snprintf(q->ns, sizeof(q->ns), "%s",
		    strcmp(hit->ns, "@#") == 0 ? "" : hit->ns);
	}
	ais_bmd_rele(bmd);
	if (nhit > 1) {
		s3_reply_err(r, 404, "AmbiguousBucketName",
		    "bucket name \"%s\" is ambiguous: %zu buckets of that "
		    "name "
		    "exist (providers or namespaces differ)",
		    q->bucket, nhit);
		return false;
	}
	if (nhit == 0 && !may_miss) {
		s3_reply_err(r, 404, "NoSuchBucket",
		    "The specified bucket does not exist: %s", q->bucket);
		return false;
	}
	return true;
}

static void
s3_bucket_op(http_req *r, s3_req *q)
{
	switch (q->op) {
	case S3_OP_CREATE_BUCKET:
		s3_bck_create(r, q);
		return;
	case S3_OP_DELETE_BUCKET:
		s3_bck_delete(r, q);
		return;
	case S3_OP_HEAD_BUCKET:
		s3_bck_head(r, q);
		return;
	case S3_OP_GET_LOCATION:
		s3_bck_location(r, q);
		return;
	case S3_OP_GET_VERSIONING:
		s3_bck_versioning_get(r, q);
		return;
	case S3_OP_PUT_VERSIONING:
		s3_bck_versioning_put(r, q);
		return;
	case S3_OP_LIST_OBJECTS:
		s3_list_objects(r, q);
		return;
	case S3_OP_LIST_VERSIONS:
		s3_list_versions(r, q);
		return;
	case S3_OP_DELETE_OBJECTS:
		s3_bck_delete_objects(r, q);
		return;
	case S3_OP_LIST_UPLOADS:
		s3_bck_list_uploads(r, q);
		return;
	default:
		s3_reply_err(r, 501, "NotImplemented",
		    "%s %s is not implemented", r->method_str, r->url_path);
		return;
	}
}

static void
s3_proxy(http_req *r, s3_req *q)
{
	if (s3_auth_check(r, q) != AIS_OK) {
		return; /* replied */
	}
	if (q->bucket[0] == '\0') {
		if (r->early) {
			return;
		}
		if (r->method == HTTP_M_GET || r->method == HTTP_M_HEAD) {
			q->op = S3_OP_LIST_BUCKETS;
			s3_bck_list_all(r, q);
			return;
		}
		s3_reply_err(r, 501, "NotImplemented",
		    "%s on the service is not implemented", r->method_str);
		return;
	}
	if (s3_op_is_object(q->op)) {
		if (!s3_bck_resolve(r, q, false)) {
			return;
		}
		s3_obj_proxy(r, q);
		return;
	}
	if (r->early) {
		return; /* read the body whole, answer on the second call */
	}
	if (!s3_bck_resolve(r, q, q->op == S3_OP_CREATE_BUCKET)) {
		return;
	}
	s3_bucket_op(r, q);
}

static void
s3_target(http_req *r, s3_req *q)
{
	const char *pid = http_query_get(&r->query, "pid");
	const char *utm = http_query_get(&r->query, "utm");
	bool marked
	    = pid != NULL && pid[0] != '\0' && utm != NULL && utm[0] != '\0';

	if (marked && q->key_len == 0 && q->op == S3_OP_LIST_UPLOADS) {
		if (!r->early) {
			s3_mpu_list_uploads_target(r, q);
		}
		return;
	}
	if (!marked || q->key_len == 0 || !s3_op_is_object(q->op)) {
		if (r->early && q->key_len == 0) {
			return; /* the error once the body is in */
		}
		s3_reply_err(r, 400, "InvalidRequest",
		    "t[%s]: send S3 requests to a proxy", r->node->self.id);
		return;
	}
	/* The target's BMD may trail the proxy's: a miss is for
	 * s3_obj_target to judge. */
	{
		ais_bmd *bmd = ais_node_bmd(r->node);
		const ais_bck *hit = NULL;
		size_t nhit = 0;

		for (size_t i = 0; bmd != NULL && i < bmd->nbcks; i++) {
			if (strcmp(bmd->bcks[i].name, q->bucket) == 0) {
				hit = &bmd->bcks[i];
				nhit++;
			}
		}
		if (nhit == 1) {
			q->bck_found = true;
			snprintf(q->provider, sizeof(q->provider), "%s",
			    hit->provider);
			snprintf(q->ns, sizeof(q->ns), "%s",
			    strcmp(hit->ns, "@#") == 0 ? "" : hit->ns);
		}
		ais_bmd_rele(bmd);
	}
	s3_obj_target(r, q);
}

void
http_h_s3(http_req *r)
{
	/* In the arena: the object half may keep it for a body sink. */
	s3_req *q = http_req_alloc(r, sizeof(*q));

	if (q == NULL) {
		if (!r->early) {
			s3_reply_err(r, 500, "InternalError", "out of memory");
		}
		return;
	}
	memset(q, 0, sizeof(*q));
	if (!s3_path_parse(r, q)) {
		return;
	}
	if (q->bucket[0] != '\0') {
		q->op = q->key_len > 0 ? s3_op_object(r) : s3_op_bucket(r);
	}
	if (r->node->role != AIS_ROLE_PROXY) {
		s3_target(r, q);
		return;
	}
	s3_proxy(r, q);
}

/* Shared helpers ------------------------------------------------------- */

void
s3_region(http_req *r, char *buf, size_t len)
{
	ais_cconfig *c = ais_node_ccfg(r->node);
	const char *v = c ? ais_cconfig_str(c, "s3.region", NULL) : NULL;

	snprintf(buf, len, "%s", v != NULL && v[0] != '\0' ? v : "us-east-1");
	ais_cconfig_rele(c);
}

void
s3_owner(const s3_req *q, char id[65], const char **display)
{
	const char *who = q->access_key[0] != '\0' ? q->access_key : "ais";
	size_t wl = strlen(who);

	for (int i = 0; i < 4; i++) {
		char seed[160];
		int n = snprintf(seed, sizeof(seed), "s3-owner-%d/%.*s", i,
		    (int) (wl > 128 ? 128 : wl), who);

		snprintf(id + 16 * i, 17, "%016llx",
		    (unsigned long long) ais_hrw_digest(seed, (size_t) n));
	}
	id[64] = '\0';
	*display = who;
}
