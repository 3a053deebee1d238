/*
 * S3 listings with real pagination (spec s3-api.md sections 4 and 12):
 * ListObjectsV2 (list-type=2: continuation-token, start-after), ListObjects
 * V1 (marker / NextMarker) and ListObjectVersions (key-marker; every object
 * once, VersionId "null", IsLatest true).
 *
 * Each S3 page is built from native list pages (http/lso.h): the proxy asks
 * every target for its first N names after a token, merges them, and the
 * S3 layer walks the merged names in byte order. Without a delimiter each
 * name is one entry. With one, every name that has the delimiter after the
 * prefix collapses into its common prefix ("dir/"), reported once; the
 * walk then restarts the native listing past everything under that prefix
 * (token = prefix + U+10FFFF, above any UTF-8 continuation), so a big
 * "directory" costs one page, not its size. Paging continues until
 * max-keys entries and prefixes are collected -- one more is looked for to
 * know whether the listing is truncated -- or the names run out.
 *
 * Tokens: NextContinuationToken / NextMarker / NextKeyMarker are the last
 * key or common prefix returned. A returned token that ends with the
 * delimiter names a common prefix: the next page skips every name under
 * it. Keys cannot end with '/' (object names are normalized), so a token
 * ending in "/" is never an object.
 *
 * The proxy's worker thread blocks on each fan-out (bounded by
 * a minute: lso_fanout.c).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bmd.h"
#include "core/fqn.h"
#include "core/log.h"
#include "core/xreg.h"
#include "http/httpc.h"
#include "http/lso.h"
#include "http/s3/s3.h"

#define S3L_MAX_KEYS        1000
#define S3L_ISO_LAYOUT      "2006-01-02T15:04:05.000Z"
#define S3L_EPOCH           "1970-01-01T00:00:00.000Z"
#define S3L_MAXCHAR         "\xf4\x8f\xbf\xbf" /* U+10FFFF */

/* One merged native page --------------------------------------------- */

/* Up to pagesize names > after with the given prefix, merged across every
 * target, into out (initialized by the caller). Error text in eb. */
static ais_err
s3_lso_fetch(http_req *r, const s3_req *q, const char *prefix,
    const char *after, size_t pagesize, unsigned props, http_lso_page *out,
    char *eb, size_t el)
{
	char id[AIS_XACT_ID_LEN + 1];
	http_lso_msg *m = calloc(1, sizeof(*m));
	int status;
	ais_err err;

	if (m == NULL) {
		snprintf(eb, el, "out of memory");
		return AIS_ENOMEM;
	}
	ais_xact_id_new(id);
	snprintf(m->uuid, sizeof(m->uuid), "%s", id);
	snprintf(m->prefix, sizeof(m->prefix), "%s", prefix);
	if (strlen(after) < sizeof(m->token)) {
		snprintf(m->token, sizeof(m->token), "%s", after);
	}
	snprintf(m->time_format, sizeof(m->time_format), "%s", S3L_ISO_LAYOUT);
	m->props = props | HTTP_LSO_P_NAME;
	m->pagesize = pagesize == 0        ? 1
	    : pagesize > HTTP_LSO_PAGE_MAX ? HTTP_LSO_PAGE_MAX
					   : pagesize;
	err = http_lso_cluster_page(r->node, q->provider, q->ns, q->bucket,
	    q->bucket, m, out, &status, eb, el);
	free(m);
	return err;
}

ais_err
s3_list_any(
    http_req *r, const s3_req *q, bool *any, char *errbuf, size_t errlen)
{
	http_lso_page p;
	ais_err err;

	http_lso_page_init(&p);
	err = s3_lso_fetch(
	    r, q, "", "", 1, HTTP_LSO_P_NAME, &p, errbuf, errlen);
	*any = err == AIS_OK && p.n > 0;
	http_lso_page_fini(&p);
	return err;
}

/* Collecting one S3 page ---------------------------------------------- */

typedef struct s3_lst {
	/* request */
	const char *prefix;
	const char *delim; /* NULL = none */
	const char *after; /* names > after */
	const char *skip;  /* a common prefix already returned, or NULL */
	size_t max;
	bool versions; /* <Version> entries instead of <Contents> */
	bool url;      /* encoding-type=url */
	bool owner;
	bool md5; /* bucket checksum type md5: checksum = ETag */
	char owner_id[65];
	const char *owner_name;
	/* result */
	s3_buf items;
	s3_buf cps;
	size_t nkeys;
	size_t ncps;
	bool truncated;
	char *last; /* malloc'd: last key or prefix returned */
} s3_lst;

static bool
s3_lst_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
	    || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
	    || c == '~' || c == '/';
}

/* <tag>text</tag>, url-encoded first when asked. */
static void
s3_lst_name(s3_buf *b, const char *tag, const char *s, bool url)
{
	static const char hex[] = "0123456789ABCDEF";
	char *enc;
	size_t n = 0;

	if (!url) {
		s3_buf_elem(b, tag, s);
		return;
	}
	enc = malloc(strlen(s) * 3 + 1);
	if (enc == NULL) {
		b->oom = true;
		return;
	}
	for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
		if (s3_lst_unreserved(*p)) {
			enc[n++] = (char) *p;
		} else {
			enc[n++] = '%';
			enc[n++] = hex[*p >> 4];
			enc[n++] = hex[*p & 15];
		}
	}
	enc[n] = '\0';
	s3_buf_elem(b, tag, enc);
	free(enc);
}

/* The custom "ETag" of a "[k:v k:v]" custom string, unquoted, into buf. */
static bool
s3_lst_custom_etag(const char *custom, char *buf, size_t len)
{
	const char *p = custom;

	while (p != NULL && (p = strstr(p, "ETag:")) != NULL) {
		if (p == custom || p[-1] == '[' || p[-1] == ' ') {
			size_t n;

			p += 5;
			if (*p == '"') {
				p++;
			}
			n = strcspn(p, " ]\"");
			if (n == 0 || n >= len) {
				return false;
			}
			memcpy(buf, p, n);
			buf[n] = '\0';
			return true;
		}
		p += 5;
	}
	return false;
}

static void
s3_lst_entry(s3_lst *l, const http_lso_ent *e)
{
	s3_buf *b = &l->items;
	char etag[160] = "";

	if (e->custom != NULL && e->custom[0] != '\0') {
		s3_lst_custom_etag(e->custom, etag, sizeof(etag));
	}
	if (etag[0] == '\0' && l->md5 && e->cksum != NULL
	    && e->cksum[0] != '\0' && strlen(e->cksum) < sizeof(etag)) {
		snprintf(etag, sizeof(etag), "%s", e->cksum);
	}
	s3_buf_put(b, l->versions ? "<Version>" : "<Contents>");
	s3_lst_name(b, "Key", e->name, l->url);
	if (l->versions) {
		s3_buf_put(b,
		    "<VersionId>null</VersionId>"
		    "<IsLatest>true</IsLatest>");
	}
	s3_buf_elem(b, "LastModified",
	    e->atime != NULL && e->atime[0] != '\0' ? e->atime : S3L_EPOCH);
	if (etag[0] != '\0') {
		s3_buf_printf(b, "<ETag>&quot;");
		s3_buf_esc(b, etag);
		s3_buf_printf(b, "&quot;</ETag>");
	}
	s3_buf_printf(b, "<Size>%lld</Size>", (long long) e->size);
	s3_buf_put(b, "<StorageClass>STANDARD</StorageClass>");
	if (l->owner) {
		s3_buf_put(b, "<Owner>");
		s3_buf_elem(b, "ID", l->owner_id);
		s3_buf_elem(b, "DisplayName", l->owner_name);
		s3_buf_put(b, "</Owner>");
	}
	s3_buf_put(b, l->versions ? "</Version>" : "</Contents>");
}

static bool
s3_lst_set(char **dst, const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL) {
		return false;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	free(*dst);
	*dst = p;
	return true;
}

/* Walks merged native pages until l->max entries and prefixes are in (and
 * one more seen) or the names end. */
static ais_err
s3_lst_collect(http_req *r, const s3_req *q, s3_lst *l, char *eb, size_t el)
{
	const unsigned props = HTTP_LSO_P_SIZE | HTTP_LSO_P_CHECKSUM
	    | HTTP_LSO_P_ATIME | HTTP_LSO_P_CUSTOM;
	size_t plen = strlen(l->prefix);
	size_t dlen = l->delim ? strlen(l->delim) : 0;
	char *after = NULL;
	char *skip = NULL;
	bool done = l->max == 0;
	ais_err err = AIS_OK;

	if (!s3_lst_set(&after, l->after, strlen(l->after))
	    || (l->skip != NULL
	        && !s3_lst_set(&skip, l->skip, strlen(l->skip)))) {
		free(after);
		snprintf(eb, el, "out of memory");
		return AIS_ENOMEM;
	}
	while (!done) {
		http_lso_page p;
		size_t want = l->max - (l->nkeys + l->ncps) + 1;

		if (dlen > 0 && want < S3L_MAX_KEYS + 1) {
			want = S3L_MAX_KEYS + 1;
		}
		http_lso_page_init(&p);
		err = s3_lso_fetch(
		    r, q, l->prefix, after, want, props, &p, eb, el);
		if (err != AIS_OK) {
			http_lso_page_fini(&p);
			break;
		}
		for (size_t i = 0; i < p.n && !done; i++) {
			const http_lso_ent *e = &p.ents[i];
			const char *d;

			if (skip != NULL
			    && strncmp(e->name, skip, strlen(skip)) == 0) {
				continue;
			}
			d = dlen > 0 && strncmp(e->name, l->prefix, plen) == 0
			    ? strstr(e->name + plen, l->delim)
			    : NULL;
			if (l->nkeys + l->ncps == l->max) {
				l->truncated = true;
				done = true;
				break;
			}
			if (d != NULL) {
				size_t cl = (size_t) (d - e->name) + dlen;

				if (!s3_lst_set(&skip, e->name, cl)
				    || !s3_lst_set(&l->last, e->name, cl)) {
					err = AIS_ENOMEM;
					done = true;
					break;
				}
				s3_buf_put(&l->cps, "<CommonPrefixes>");
				s3_lst_name(&l->cps, "Prefix", skip, l->url);
				s3_buf_put(&l->cps, "</CommonPrefixes>");
				l->ncps++;
				continue;
			}
			s3_lst_entry(l, e);
			l->nkeys++;
			if (!s3_lst_set(&l->last, e->name, strlen(e->name))) {
				err = AIS_ENOMEM;
				done = true;
			}
		}
		if (!done && p.token[0] == '\0') {
			done = true; /* the names ran out */
		}
		if (!done) {
			/* past the page; past a whole common prefix at once */
			const char *from = p.token;
			char *nx = NULL;

			if (skip != NULL
			    && strncmp(p.token, skip, strlen(skip)) == 0
			    && strlen(skip) + 4 <= AIS_OBJNAME_MAX) {
				size_t sl = strlen(skip);

				nx = malloc(sl + 5);
				if (nx != NULL) {
					memcpy(nx, skip, sl);
					memcpy(nx + sl, S3L_MAXCHAR, 5);
					from = nx;
				}
			}
			if (!s3_lst_set(&after, from, strlen(from))) {
				err = AIS_ENOMEM;
				done = true;
			}
			free(nx);
		}
		http_lso_page_fini(&p);
	}
	if (err == AIS_ENOMEM) {
		snprintf(eb, el, "out of memory");
	}
	free(after);
	free(skip);
	return err;
}

/* Request handling ---------------------------------------------------- */

/* max-keys (or max-uploads ...): default and cap 1000. Replies on error. */
static bool
s3_lst_max(http_req *r, const char *name, size_t *out)
{
	const char *v = http_query_get(&r->query, name);
	char *end = NULL;
	long long n;

	*out = S3L_MAX_KEYS;
	if (v == NULL || v[0] == '\0') {
		return true;
	}
	n = strtoll(v, &end, 10);
	if (end == v || *end != '\0' || n < 0) {
		s3_reply_err(r, 400, "InvalidArgument",
		    "Provided %s not an integer or within integer range: %s",
		    name, v);
		return false;
	}
	*out = n > S3L_MAX_KEYS ? S3L_MAX_KEYS : (size_t) n;
	return true;
}

static const char *
s3_qs(http_req *r, const char *key)
{
	const char *v = http_query_get(&r->query, key);

	return v != NULL ? v : "";
}

/* Common setup: bucket checks, prefix, delimiter, encoding, md5. */
static bool
s3_lst_init(http_req *r, const s3_req *q, s3_lst *l, const char *maxname)
{
	ais_bmd *bmd;
	const ais_bck *k;
	const char *et = http_query_get(&r->query, "encoding-type");
	const char *d = http_query_get(&r->query, "delimiter");

	memset(l, 0, sizeof(*l));
	if (strcmp(q->provider, "ais") != 0) {
		s3_reply_err(r, 501, "NotImplemented",
		    "listing %s buckets is not supported yet", q->provider);
		return false;
	}
	if (et != NULL && et[0] != '\0' && strcmp(et, "url") != 0) {
		s3_reply_err(r, 400, "InvalidArgument",
		    "Invalid Encoding Method specified in Request");
		return false;
	}
	if (!s3_lst_max(r, maxname, &l->max)) {
		return false;
	}
	l->url = et != NULL && et[0] != '\0';
	l->prefix = s3_qs(r, "prefix");
	l->delim = d != NULL && d[0] != '\0' ? d : NULL;
	l->after = "";
	bmd = ais_node_bmd(r->node);
	k = bmd ? ais_bmd_get(bmd, q->provider, q->ns, q->bucket) : NULL;
	if (k != NULL) {
		const json_t *t = json_object_get(
		    json_object_get(k->props, "checksum"), "type");

		l->md5 = json_is_string(t)
		    && strcmp(json_string_value(t), "md5") == 0;
	}
	ais_bmd_rele(bmd);
	s3_owner(q, l->owner_id, &l->owner_name);
	return true;
}

/* A marker or token the client got from us: ending with the delimiter, it
 * names a common prefix whose names are skipped. */
static const char *
s3_lst_skip_of(const s3_lst *l, const char *tok)
{
	size_t tl = strlen(tok);
	size_t dl = l->delim ? strlen(l->delim) : 0;

	if (dl == 0 || tl < dl || strcmp(tok + tl - dl, l->delim) != 0) {
		return NULL;
	}
	return tok;
}

static void
s3_lst_fini(s3_lst *l)
{
	s3_buf_fini(&l->items);
	s3_buf_fini(&l->cps);
	free(l->last);
	l->last = NULL;
}

static void
s3_lst_tail(s3_buf *b, s3_lst *l)
{
	if (l->items.len > 0) {
		s3_buf_put(b, l->items.p);
	}
	if (l->cps.len > 0) {
		s3_buf_put(b, l->cps.p);
	}
	b->oom = b->oom || l->items.oom || l->cps.oom;
}

void
s3_list_objects(http_req *r, s3_req *q)
{
	s3_lst l;
	s3_buf b = { 0 };
	char eb[512];
	const char *lt = http_query_get(&r->query, "list-type");
	bool v2 = lt != NULL && strcmp(lt, "2") == 0;
	const char *token = http_query_get(&r->query, "continuation-token");
	const char *sa = s3_qs(r, "start-after");
	const char *marker = s3_qs(r, "marker");
	ais_err err;

	if (!s3_lst_init(r, q, &l, "max-keys")) {
		return;
	}
	if (v2) {
		l.owner = http_query_bool(&r->query, "fetch-owner");
		if (token != NULL && token[0] != '\0') {
			l.after = token;
			l.skip = s3_lst_skip_of(&l, token);
		} else {
			l.after = sa;
		}
	} else {
		l.owner = true;
		l.after = marker;
		l.skip = s3_lst_skip_of(&l, marker);
	}
	err = s3_lst_collect(r, q, &l, eb, sizeof(eb));
	if (err != AIS_OK) {
		s3_lst_fini(&l);
		s3_reply_aerr(r, err, false, eb);
		return;
	}
	s3_buf_put(&b, "<ListBucketResult xmlns=\"" S3_XMLNS "\">");
	s3_buf_elem(&b, "Name", q->bucket);
	s3_lst_name(&b, "Prefix", l.prefix, l.url);
	if (v2) {
		if (token != NULL) {
			s3_buf_elem(&b, "ContinuationToken", token);
		}
		if (l.truncated && l.last != NULL) {
			s3_buf_elem(&b, "NextContinuationToken", l.last);
		}
		if (sa[0] != '\0') {
			s3_lst_name(&b, "StartAfter", sa, l.url);
		}
		s3_buf_printf(
		    &b, "<KeyCount>%zu</KeyCount>", l.nkeys + l.ncps);
	} else {
		s3_lst_name(&b, "Marker", marker, l.url);
		if (l.truncated && l.last != NULL) {
			s3_lst_name(&b, "NextMarker", l.last, l.url);
		}
	}
	s3_buf_printf(&b, "<MaxKeys>%zu</MaxKeys>", l.max);
	if (l.delim != NULL) {
		s3_lst_name(&b, "Delimiter", l.delim, l.url);
	}
	if (l.url) {
		s3_buf_put(&b, "<EncodingType>url</EncodingType>");
	}
	s3_buf_printf(&b, "<IsTruncated>%s</IsTruncated>",
	    l.truncated ? "true" : "false");
	s3_lst_tail(&b, &l);
	s3_buf_put(&b, "</ListBucketResult>");
	s3_lst_fini(&l);
	s3_reply_xml(r, 200, &b, NULL);
}

void
s3_list_versions(http_req *r, s3_req *q)
{
	s3_lst l;
	s3_buf b = { 0 };
	char eb[512];
	const char *km = s3_qs(r, "key-marker");
	const char *vm = s3_qs(r, "version-id-marker");
	ais_err err;

	if (!s3_lst_init(r, q, &l, "max-keys")) {
		return;
	}
	l.versions = true;
	l.owner = true;
	l.after = km;
	l.skip = s3_lst_skip_of(&l, km);
	err = s3_lst_collect(r, q, &l, eb, sizeof(eb));
	if (err != AIS_OK) {
		s3_lst_fini(&l);
		s3_reply_aerr(r, err, false, eb);
		return;
	}
	s3_buf_put(&b, "<ListVersionsResult xmlns=\"" S3_XMLNS "\">");
	s3_buf_elem(&b, "Name", q->bucket);
	s3_lst_name(&b, "Prefix", l.prefix, l.url);
	s3_lst_name(&b, "KeyMarker", km, l.url);
	s3_buf_elem(&b, "VersionIdMarker", vm);
	if (l.truncated && l.last != NULL) {
		s3_lst_name(&b, "NextKeyMarker", l.last, l.url);
		s3_buf_put(
		    &b, "<NextVersionIdMarker>null</NextVersionIdMarker>");
	}
	s3_buf_printf(&b, "<MaxKeys>%zu</MaxKeys>", l.max);
	if (l.delim != NULL) {
		s3_lst_name(&b, "Delimiter", l.delim, l.url);
	}
	if (l.url) {
		s3_buf_put(&b, "<EncodingType>url</EncodingType>");
	}
	s3_buf_printf(&b, "<IsTruncated>%s</IsTruncated>",
	    l.truncated ? "true" : "false");
	s3_lst_tail(&b, &l);
	s3_buf_put(&b, "</ListVersionsResult>");
	s3_lst_fini(&l);
	s3_reply_xml(r, 200, &b, NULL);
}
