/*
 * S3 bucket-level operations a proxy answers itself (spec s3-api.md
 * section 2): ListBuckets, Create/Delete/HeadBucket, GetBucketLocation,
 * Get/PutBucketVersioning, DeleteObjects and ListMultipartUploads.
 *
 * Bucket changes take the native path: an AIS_MSG_BCK_REQ to the primary's
 * "buckets" actor (create-bck, destroy-bck, set-bprops), then a short wait
 * until this proxy has installed the resulting BMD version, so a client
 * that creates a bucket and then uses it through the same proxy finds it
 * (http/h_buckets.c does the same for /v1/buckets). Buckets created
 * through S3 are ais:// buckets in the global namespace with checksum type
 * md5, so that object ETags are real MD5s (spec section 6).
 *
 * Differences from AIS, on purpose: DeleteBucket refuses a bucket that
 * still holds objects (409 BucketNotEmpty, as AWS does), and DeleteObjects
 * deletes key by key on the owning targets and reports each outcome.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bmd.h"
#include "core/fqn.h"
#include "core/hrw.h"
#include "core/jsonx.h"
#include "http/httpc.h"
#include "http/lso.h"
#include "actors/node/bck_client.h"
#include "http/s3/s3.h"
#include "proto/msg.h"

#define S3B_DEL_MAX    1000 /* keys per DeleteObjects (AWS limit) */
#define S3B_DEL_BATCH  64   /* parallel target requests */
#define S3B_DEL_TMO_MS 30000
#define S3B_ISO_LAYOUT "2006-01-02T15:04:05.000Z"
#define S3B_ERRMSG_MAX 512

/* Changes through the primary ----------------------------------------- */

/* The bucket's props (new reference) or NULL. */
static json_t *
s3_bck_props(http_req *r, const s3_req *q)
{
	ais_bmd *bmd = ais_node_bmd(r->node);
	const ais_bck *k
	    = bmd ? ais_bmd_get(bmd, q->provider, q->ns, q->bucket) : NULL;
	json_t *p = k ? json_incref(k->props) : NULL;

	ais_bmd_rele(bmd);
	return p;
}

/* ListBuckets ---------------------------------------------------------- */

static void
s3_bck_created(const json_t *props, char *buf, size_t len)
{
	const json_t *c = json_object_get(props, "created");
	int64_t ns = 0;

	if (json_is_string(c)) {
		ns = strtoll(json_string_value(c), NULL, 10);
	} else if (json_is_integer(c)) {
		ns = (int64_t) json_integer_value(c);
	}
	http_lso_time_fmt(ns, S3B_ISO_LAYOUT, buf, len);
}

void
s3_bck_list_all(http_req *r, s3_req *q)
{
	ais_bmd *bmd = ais_node_bmd(r->node);
	s3_buf b = { 0 };
	char id[65];
	const char *disp;

	if (bmd == NULL) {
		s3_reply_err(r, 503, "ServiceUnavailable",
		    "bucket metadata is not available yet");
		return;
	}
	s3_owner(q, id, &disp);
	s3_buf_put(&b, "<ListAllMyBucketsResult xmlns=\"" S3_XMLNS "\">");
	s3_buf_put(&b, "<Owner>");
	s3_buf_elem(&b, "ID", id);
	s3_buf_elem(&b, "DisplayName", disp);
	s3_buf_put(&b, "</Owner><Buckets>");
	for (size_t i = 0; i < bmd->nbcks; i++) {
		char when[64];

		s3_bck_created(bmd->bcks[i].props, when, sizeof(when));
		s3_buf_put(&b, "<Bucket>");
		s3_buf_elem(&b, "Name", bmd->bcks[i].name);
		s3_buf_elem(&b, "CreationDate", when);
		s3_buf_put(&b, "</Bucket>");
	}
	ais_bmd_rele(bmd);
	s3_buf_put(&b, "</Buckets></ListAllMyBucketsResult>");
	s3_reply_xml(r, 200, &b, NULL);
}

/* Create, delete, head ------------------------------------------------- */

void
s3_bck_create(http_req *r, s3_req *q)
{
	char eb[S3B_ERRMSG_MAX];
	char loc[AIS_BCK_NAME_MAX + 2];
	ais_err err;

	if (q->bck_found) {
		if (strcmp(q->provider, "ais") == 0) {
			s3_reply_err(r, 409, "BucketAlreadyOwnedByYou",
			    "Your previous request to create the named bucket "
			    "succeeded and you already own it: %s",
			    q->bucket);
		} else {
			s3_reply_err(r, 409, "BucketAlreadyExists",
			    "The requested bucket name is not available: %s "
			    "(a %s bucket)",
			    q->bucket, q->provider);
		}
		return;
	}
	err = ais_bck_change(r->node, "ais", "", q->bucket, q->bucket, "create-bck",
	    "{\"checksum\":{\"type\":\"md5\"}}", eb, sizeof(eb));
	if (err != AIS_OK) {
		s3_reply_aerr(r, err, false, eb);
		return;
	}
	snprintf(loc, sizeof(loc), "/%s", q->bucket);
	{
		const char *hdrs[] = { "Location", loc, NULL };
		s3_buf b = { 0 };

		s3_reply_xml(r, 200, &b, hdrs);
	}
}

void
s3_bck_delete(http_req *r, s3_req *q)
{
	char eb[S3B_ERRMSG_MAX];
	bool any = false;
	ais_err err;

	if (strcmp(q->provider, "ais") != 0) {
		s3_reply_err(r, 501, "NotImplemented",
		    "deleting %s buckets is not supported yet", q->provider);
		return;
	}
	err = s3_list_any(r, q, &any, eb, sizeof(eb));
	if (err != AIS_OK) {
		s3_reply_aerr(r, err, false, eb);
		return;
	}
	if (any) {
		s3_reply_err(r, 409, "BucketNotEmpty",
		    "The bucket you tried to delete is not empty: %s",
		    q->bucket);
		return;
	}
	err = ais_bck_change(r->node, q->provider, q->ns, q->bucket, q->bucket,
	    "destroy-bck", NULL, eb, sizeof(eb));
	if (err != AIS_OK) {
		s3_reply_aerr(r, err, false, eb);
		return;
	}
	s3_buf b = { 0 };
	s3_reply_xml(r, 204, &b, NULL);
}

void
s3_bck_head(http_req *r, s3_req *q)
{
	char region[64];
	s3_buf b = { 0 };

	(void) q;
	s3_region(r, region, sizeof(region));
	const char *hdrs[] = { "x-amz-bucket-region", region, NULL };
	s3_reply_xml(r, 200, &b, hdrs);
}

void
s3_bck_location(http_req *r, s3_req *q)
{
	char region[64];
	s3_buf b = { 0 };

	(void) q;
	s3_region(r, region, sizeof(region));
	s3_buf_put(&b, "<LocationConstraint xmlns=\"" S3_XMLNS "\">");
	if (strcmp(region, "us-east-1") != 0) {
		s3_buf_esc(&b, region); /* AWS: empty for us-east-1 */
	}
	s3_buf_put(&b, "</LocationConstraint>");
	s3_reply_xml(r, 200, &b, NULL);
}

/* Versioning ----------------------------------------------------------- */

void
s3_bck_versioning_get(http_req *r, s3_req *q)
{
	json_t *p = s3_bck_props(r, q);
	const json_t *v
	    = json_object_get(json_object_get(p, "versioning"), "enabled");
	bool on = json_is_true(v);
	s3_buf b = { 0 };

	json_decref(p);
	s3_buf_put(&b, "<VersioningConfiguration xmlns=\"" S3_XMLNS "\">");
	s3_buf_elem(&b, "Status", on ? "Enabled" : "Suspended");
	s3_buf_put(&b, "</VersioningConfiguration>");
	s3_reply_xml(r, 200, &b, NULL);
}

void
s3_bck_versioning_put(http_req *r, s3_req *q)
{
	char status[32];
	char eb[S3B_ERRMSG_MAX];
	size_t pos = 0;
	bool on;
	ais_err err;

	if (!s3_xml_next(r->body, r->body_len, &pos, "VersioningConfiguration",
	        eb, sizeof(eb))) {
		s3_reply_err(r, 400, "MalformedXML",
		    "The XML you provided was not well-formed or did not "
		    "validate against our published schema");
		return;
	}
	pos = 0;
	if (!s3_xml_next(
	        r->body, r->body_len, &pos, "Status", status, sizeof(status))
	    || (strcmp(status, "Enabled") != 0
	        && strcmp(status, "Suspended") != 0)) {
		s3_reply_err(r, 400, "MalformedXML",
		    "VersioningConfiguration: Status must be Enabled or "
		    "Suspended");
		return;
	}
	on = strcmp(status, "Enabled") == 0;
	err = ais_bck_change(r->node, q->provider, q->ns, q->bucket, q->bucket,
	    "set-bprops",
	    on ? "{\"versioning\":{\"enabled\":true}}"
	       : "{\"versioning\":{\"enabled\":false}}",
	    eb, sizeof(eb));
	if (err != AIS_OK) {
		s3_reply_aerr(r, err, false, eb);
		return;
	}
	s3_buf b = { 0 };
	s3_reply_xml(r, 200, &b, NULL);
}

/* ListMultipartUploads ------------------------------------------------- */

/* One in-progress upload as a target listed it. */
typedef struct s3_bck_upl {
	char *key;
	char id[40];
	long long initiated; /* ns */
} s3_bck_upl;

static int
s3_bck_upl_cmp(const void *a, const void *b)
{
	const s3_bck_upl *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0) {
		return c;
	}
	if (x->initiated != y->initiated) {
		return x->initiated < y->initiated ? -1 : 1;
	}
	return strcmp(x->id, y->id);
}

/* Parses one target's <Uploads> into *v (grown); false on out of memory. */
static bool
s3_bck_upl_parse(
    const char *doc, size_t len, s3_bck_upl **v, size_t *n, size_t *cap)
{
	size_t pos = 0;
	char *key = malloc(AIS_OBJNAME_MAX * 6 + 1);
	char id[40];
	char ini[32];
	bool ok = key != NULL;

	while (ok
	    && s3_xml_next(doc, len, &pos, "Key", key, AIS_OBJNAME_MAX * 6 + 1)
	    && s3_xml_next(doc, len, &pos, "UploadId", id, sizeof(id))
	    && s3_xml_next(doc, len, &pos, "Initiated", ini, sizeof(ini))) {
		if (*n == *cap) {
			size_t nc = *cap == 0 ? 64 : *cap * 2;
			s3_bck_upl *nv = realloc(*v, nc * sizeof(**v));

			if (nv == NULL) {
				ok = false;
				break;
			}
			*v = nv;
			*cap = nc;
		}
		(*v)[*n].key = strdup(key);
		if ((*v)[*n].key == NULL) {
			ok = false;
			break;
		}
		snprintf((*v)[*n].id, sizeof((*v)[*n].id), "%s", id);
		(*v)[*n].initiated = atoll(ini);
		(*n)++;
	}
	free(key);
	return ok;
}

static void
s3_bck_upl_put(s3_buf *b, const s3_req *q, const s3_bck_upl *u)
{
	char owner[65];
	const char *display;
	char date[40];
	time_t t = (time_t) (u->initiated / 1000000000LL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	s3_owner(q, owner, &display);
	s3_buf_put(b, "<Upload>");
	s3_buf_elem(b, "Key", u->key);
	s3_buf_elem(b, "UploadId", u->id);
	s3_buf_put(b, "<Initiator>");
	s3_buf_elem(b, "ID", owner);
	s3_buf_elem(b, "DisplayName", display);
	s3_buf_put(b, "</Initiator><Owner>");
	s3_buf_elem(b, "ID", owner);
	s3_buf_elem(b, "DisplayName", display);
	s3_buf_put(b, "</Owner><StorageClass>STANDARD</StorageClass>");
	s3_buf_printf(b, "<Initiated>%s.%03dZ</Initiated></Upload>", date,
	    (int) (u->initiated / 1000000 % 1000));
}

/* ListMultipartUploads: every target lists its uploads of the bucket (they
 * live on the owner of each key); merged here, sorted by key and
 * initiation, paged by key-marker/upload-id-marker and max-uploads.
 * Delimiter grouping is not done (every upload is listed). */
void
s3_bck_list_uploads(http_req *r, s3_req *q)
{
	s3_buf b = { 0 };
	s3_buf ub = { 0 }; /* the <Upload> elements */
	const char *prefix = http_query_get(&r->query, "prefix");
	const char *delim = http_query_get(&r->query, "delimiter");
	const char *kmark = http_query_get(&r->query, "key-marker");
	const char *umark = http_query_get(&r->query, "upload-id-marker");
	const char *mu = http_query_get(&r->query, "max-uploads");
	long maxu = mu != NULL && mu[0] != '\0' ? strtol(mu, NULL, 10) : 1000;
	char path[AIS_BCK_NAME_MAX + 128];
	s3_bck_upl *v = NULL;
	size_t n = 0, cap = 0;
	size_t shown = 0;
	const s3_bck_upl *last = NULL;
	bool trunc = false;
	http_fanout f;
	ais_err err;

	prefix = prefix == NULL ? "" : prefix;
	kmark = kmark == NULL ? "" : kmark;
	umark = umark == NULL ? "" : umark;
	if (maxu < 0 || maxu > 1000) {
		maxu = maxu < 0 ? 0 : 1000;
	}
	memset(&f, 0, sizeof(f));
	snprintf(path, sizeof(path), "/s3/%s?uploads&pid=%s&utm=%lld",
	    q->bucket, r->node->self.id, (long long) time(NULL));
	err = http_fanout_run(r->node, "GET", path, NULL, 0, NULL, 60000, &f);
	if (err != AIS_OK) {
		s3_reply_err(r, 503, "ServiceUnavailable",
		    "cannot list the uploads: %s", ais_strerror(err));
		return;
	}
	for (size_t i = 0; i < f.n; i++) {
		http_creq *c = &f.reqs[i];

		if (c->err != AIS_OK || c->status != 200) {
			char why[300];

			http_creq_errmsg(c, why, sizeof(why));
			http_fanout_fini(&f);
			for (size_t j = 0; j < n; j++) {
				free(v[j].key);
			}
			free(v);
			s3_reply_err(r, 503, "ServiceUnavailable",
			    "a target failed to list the uploads: %s", why);
			return;
		}
		if (!s3_bck_upl_parse(c->resp, c->resp_len, &v, &n, &cap)) {
			b.oom = true;
		}
	}
	http_fanout_fini(&f);
	if (n > 0) {
		qsort(v, n, sizeof(*v), s3_bck_upl_cmp);
	}
	s3_buf_put(&b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListMultipartUploadsResult xmlns=\"" S3_XMLNS "\">");
	s3_buf_elem(&b, "Bucket", q->bucket);
	s3_buf_elem(&b, "KeyMarker", kmark);
	s3_buf_elem(&b, "UploadIdMarker", umark);
	for (size_t i = 0; i < n; i++) {
		int c = strcmp(v[i].key, kmark);

		if (strncmp(v[i].key, prefix, strlen(prefix)) != 0) {
			continue;
		}
		if (kmark[0] != '\0'
		    && (c < 0
		        || (c == 0
		            && (umark[0] == '\0'
		                || strcmp(v[i].id, umark) <= 0)))) {
			continue;
		}
		if ((long) shown == maxu) {
			trunc = true;
			break;
		}
		s3_bck_upl_put(&ub, q, &v[i]);
		last = &v[i];
		shown++;
	}
	s3_buf_elem(&b, "NextKeyMarker", trunc && last ? last->key : "");
	s3_buf_elem(&b, "NextUploadIdMarker", trunc && last ? last->id : "");
	s3_buf_elem(&b, "Prefix", prefix);
	if (delim != NULL && delim[0] != '\0') {
		s3_buf_elem(&b, "Delimiter", delim);
	}
	s3_buf_printf(&b,
	    "<MaxUploads>%ld</MaxUploads><IsTruncated>%s</IsTruncated>", maxu,
	    trunc ? "true" : "false");
	if (ub.p != NULL) {
		s3_buf_put(&b, ub.p);
	}
	b.oom = b.oom || ub.oom;
	s3_buf_fini(&ub);
	s3_buf_put(&b, "</ListMultipartUploadsResult>");
	for (size_t j = 0; j < n; j++) {
		free(v[j].key);
	}
	free(v);
	s3_reply_xml(r, 200, &b, NULL);
}

/* DeleteObjects -------------------------------------------------------- */

typedef struct s3_del_key {
	char *key;
	char *url; /* NULL: not sent (err_code says why) */
	const char *err_code;
	const char *err_msg;
	bool deleted;
} s3_del_key;

/* The keys of a <Delete> document into *keys (malloc'd strings). false
 * for malformed documents. */
static bool
s3_del_parse(http_req *r, s3_del_key **out, size_t *nout, bool *quiet)
{
	const char *doc = r->body;
	size_t len = r->body_len;
	size_t pos = 0;
	char *buf;
	char qv[16];
	s3_del_key *keys = NULL;
	size_t n = 0;
	bool ok = true;

	*out = NULL;
	*nout = 0;
	*quiet = false;
	buf = malloc(AIS_OBJNAME_MAX * 6 + 1);
	if (buf == NULL) {
		return false;
	}
	/* the whole <Delete> element must be there (the body is
	 * NUL-terminated) */
	if (len == 0 || strstr(doc, "<Delete") == NULL
	    || strstr(doc, "</Delete>") == NULL) {
		free(buf);
		return false;
	}
	if (s3_xml_next(doc, len, &pos, "Quiet", qv, sizeof(qv))) {
		*quiet = strcmp(qv, "true") == 0 || strcmp(qv, "True") == 0;
	}
	keys = calloc(S3B_DEL_MAX + 1, sizeof(*keys));
	if (keys == NULL) {
		free(buf);
		return false;
	}
	pos = 0;
	while (ok
	    && s3_xml_next(
	        doc, len, &pos, "Object", buf, AIS_OBJNAME_MAX * 6 + 1)) {
		size_t kp = 0;
		size_t kl = strlen(buf);
		char *key = malloc(AIS_OBJNAME_MAX * 2 + 1);

		if (key == NULL || n >= S3B_DEL_MAX
		    || !s3_xml_next(
		        buf, kl, &kp, "Key", key, AIS_OBJNAME_MAX * 2 + 1)) {
			free(key);
			ok = false;
			break;
		}
		keys[n++].key = key;
	}
	free(buf);
	if (!ok || n == 0) {
		for (size_t i = 0; i < n; i++) {
			free(keys[i].key);
		}
		free(keys);
		return false;
	}
	*out = keys;
	*nout = n;
	return true;
}

/* URL of the owning target's native DELETE for one key, or NULL with the
 * reason set. */
static void
s3_del_url(http_req *r, const s3_req *q, const ais_smap *m, s3_del_key *k)
{
	char uname[AIS_OBJNAME_MAX + 256];
	char *kesc;
	char nsq[200] = "";
	const ais_snode *t = NULL;
	size_t ul;
	size_t cap;
	size_t klen = strlen(k->key);

	if (klen == 0 || klen > AIS_OBJNAME_MAX
	    || ais_objname_check(k->key, klen, false) != AIS_OK) {
		k->err_code = "InvalidArgument";
		k->err_msg = "invalid object name";
		return;
	}
	ul = ais_uname(
	    uname, sizeof(uname), q->provider, q->ns, q->bucket, k->key);
	if (ul == 0 || ais_hrw_target(m, uname, ul, &t) != AIS_OK) {
		k->err_code = "ServiceUnavailable";
		k->err_msg = "no target to serve the object";
		return;
	}
	kesc = malloc(klen * 3 + 1);
	if (q->ns[0] != '\0') {
		char e[160];

		if (http_client_escape(q->ns, e, sizeof(e))) {
			snprintf(nsq, sizeof(nsq), "&namespace=%s", e);
		}
	}
	cap = strlen(t->pub.url) + klen * 3 + AIS_BCK_NAME_MAX + 300;
	k->url = kesc == NULL ? NULL : malloc(cap);
	if (k->url == NULL
	    || !http_client_escape(k->key, kesc, klen * 3 + 1)) {
		free(k->url);
		k->url = NULL;
		free(kesc);
		k->err_code = "InternalError";
		k->err_msg = "out of memory";
		return;
	}
	snprintf(k->url, cap,
	    "%s/v1/objects/%s/%s?provider=%s%s&pid=%s&utm=%lld", t->pub.url,
	    q->bucket, kesc, q->provider, nsq, r->node->self.id,
	    (long long) time(NULL) * 1000000000LL);
	free(kesc);
}

static void
s3_del_run(http_req *r, const s3_req *q, s3_del_key *keys, size_t n)
{
	ais_smap *m = ais_node_smap(r->node);
	http_creq *reqs;

	if (m == NULL) {
		for (size_t i = 0; i < n; i++) {
			keys[i].err_code = "ServiceUnavailable";
			keys[i].err_msg = "cluster map is not available yet";
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		s3_del_url(r, q, m, &keys[i]);
	}
	ais_smap_rele(m);
	reqs = calloc(S3B_DEL_BATCH, sizeof(*reqs));
	if (reqs == NULL) {
		for (size_t i = 0; i < n; i++) {
			keys[i].err_code = "InternalError";
			keys[i].err_msg = "out of memory";
		}
		return;
	}
	for (size_t i = 0; i < n;) {
		size_t idx[S3B_DEL_BATCH];
		size_t nb = 0;

		for (; i < n && nb < S3B_DEL_BATCH; i++) {
			if (keys[i].url == NULL) {
				continue;
			}
			memset(&reqs[nb], 0, sizeof(reqs[nb]));
			reqs[nb].method = "DELETE";
			reqs[nb].url = keys[i].url;
			reqs[nb].max_resp = 64 << 10;
			idx[nb++] = i;
		}
		if (nb == 0) {
			break;
		}
		if (http_client_run(reqs, nb, S3B_DEL_TMO_MS) != AIS_OK) {
			for (size_t j = 0; j < nb; j++) {
				keys[idx[j]].err_code = "InternalError";
				keys[idx[j]].err_msg = "out of memory";
			}
			continue;
		}
		for (size_t j = 0; j < nb; j++) {
			s3_del_key *k = &keys[idx[j]];
			http_creq *c = &reqs[j];

			if (c->err == AIS_OK
			    && (c->status / 100 == 2 || c->status == 404)) {
				k->deleted = true; /* a missing key counts */
			} else if (c->err != AIS_OK) {
				k->err_code = "ServiceUnavailable";
				k->err_msg = "target did not answer";
			} else if (c->status == 403) {
				k->err_code = "AccessDenied";
				k->err_msg = "Access Denied";
			} else {
				k->err_code = "InternalError";
				k->err_msg
				    = "target failed to delete the object";
			}
			http_creq_fini(c);
		}
	}
	free(reqs);
}

void
s3_bck_delete_objects(http_req *r, s3_req *q)
{
	s3_del_key *keys = NULL;
	size_t n = 0;
	bool quiet = false;
	s3_buf b = { 0 };

	if (!s3_del_parse(r, &keys, &n, &quiet)) {
		s3_reply_err(r, 400, "MalformedXML",
		    "The XML you provided was not well-formed or did not "
		    "validate against our published schema");
		return;
	}
	if (strcmp(q->provider, "ais") != 0) {
		for (size_t i = 0; i < n; i++) {
			free(keys[i].key);
		}
		free(keys);
		s3_reply_err(r, 501, "NotImplemented",
		    "DeleteObjects on %s buckets is not supported yet",
		    q->provider);
		return;
	}
	s3_del_run(r, q, keys, n);
	s3_buf_put(&b, "<DeleteResult xmlns=\"" S3_XMLNS "\">");
	for (size_t i = 0; i < n; i++) {
		s3_del_key *k = &keys[i];

		if (k->deleted) {
			if (!quiet) {
				s3_buf_put(&b, "<Deleted>");
				s3_buf_elem(&b, "Key", k->key);
				s3_buf_put(&b, "</Deleted>");
			}
		} else {
			s3_buf_put(&b, "<Error>");
			s3_buf_elem(&b, "Key", k->key);
			s3_buf_elem(&b, "Code", k->err_code);
			s3_buf_elem(&b, "Message", k->err_msg);
			s3_buf_put(&b, "</Error>");
		}
		free(k->key);
		free(k->url);
	}
	free(keys);
	s3_buf_put(&b, "</DeleteResult>");
	s3_reply_xml(r, 200, &b, NULL);
}
