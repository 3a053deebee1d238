/*
 * Request-line helpers of the public HTTP server that need no HTTP library:
 * splitting the raw request target into path and query, cutting the path into
 * segments (each URL-unescaped once, spec native-api.md section 0.1), parsing
 * the query string (form rules: '+' is a space), Go-style booleans, the
 * `what=` selector of /v1/daemon and /v1/cluster, and timestamps. Kept free of
 * libmicrohttpd so unit tests and fuzzers call them without a server.
 */
#ifndef AIS_HTTP_QUERY_H
#define AIS_HTTP_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define HTTP_PATH_SEGS_MAX 8 /* the most any route splits a path into */

/* A path cut into segments. segs[] point into buf (owned). */
typedef struct http_path {
	size_t nsegs;
	char *segs[HTTP_PATH_SEGS_MAX]; /* unescaped, NUL-terminated */
	const char *rest_raw; /* raw (escaped) text of the last segment;
	                       * borrowed from the string that was split */
	char *buf;            /* backing store of segs */
} http_path;

typedef struct http_kv {
	char *key; /* unescaped */
	char *val; /* unescaped; "" for a bare key */
} http_kv;

/* A parsed query string; keys keep their order and may repeat. */
typedef struct http_query {
	size_t n;
	http_kv *kv; /* n entries, into buf */
	char *buf;   /* backing store */
} http_query;

/* The `what=` selectors served so far. */
typedef enum http_what {
	HTTP_WHAT_UNKNOWN = 0,
	HTTP_WHAT_SMAP,
	HTTP_WHAT_BMD,
	HTTP_WHAT_SNODE,
	HTTP_WHAT_CONFIG,         /* daemon: cluster + local config */
	HTTP_WHAT_CLUSTER_CONFIG, /* cluster: cluster config only */
} http_what;

/* Splits a request target ("/v1/x?a=b", or absolute-form
 * "http://h:p/v1/x?a=b") into a malloc'd path (never empty: "/" at least)
 * and a malloc'd raw query without the '?' ("" if none); a fragment is
 * dropped. The caller frees both. AIS_ENOMEM on allocation failure. */
ais_err http_uri_split(const char *uri, char **path, char **query);

/* Unescapes %XX sequences of s in place ('+' is kept unless plus_space).
 * AIS_EINVAL for a malformed escape or an escaped NUL. Sets *len to the new
 * length when len is not NULL. */
ais_err http_unescape(char *s, bool plus_space, size_t *len);

/* Cuts a raw path into at most `max` (1..HTTP_PATH_SEGS_MAX) segments: the
 * leading '/' is skipped, the last segment takes the rest of the path
 * unsplit (object names contain '/'), and a trailing '/' that would open an
 * empty segment is dropped ("/v1/buckets/" == "/v1/buckets"). Each segment
 * is unescaped once. p->rest_raw points into `raw`, which must outlive p.
 * AIS_EINVAL for a bad escape, AIS_ENOMEM. On failure p is left empty. */
ais_err http_path_split(const char *raw, size_t max, http_path *p);
void http_path_fini(http_path *p); /* accepts a zeroed p */

/* Parses "a=1&b=x+y&c" (no '?'). Empty pairs are skipped. AIS_EINVAL for a
 * bad escape, AIS_ENOMEM. On failure q is left empty. */
ais_err http_query_parse(const char *raw, http_query *q);
void http_query_fini(http_query *q); /* accepts a zeroed q */
/* First value of key (borrowed from q), or NULL when absent. */
const char *http_query_get(const http_query *q, const char *key);
/* True when key is present with a true value (see http_str_true). */
bool http_query_bool(const http_query *q, const char *key);

/* Go strconv.ParseBool's true set: "1", "t", "T", "true", "TRUE", "True".
 * NULL is false. */
bool http_str_true(const char *s);

/* Maps a what= value; NULL or unknown -> HTTP_WHAT_UNKNOWN. "config" and
 * "cluster_config" are told apart here; which of them a resource accepts is
 * its handler's business. */
http_what http_what_parse(const char *s);

/* Parses a UTC timestamp as nodes write them: RFC 3339 (with or without
 * fraction, 'Z' or a numeric offset) and Go's time.Time.String form
 * ("2006-01-02 15:04:05.999999999 -0700 MST", trailing text ignored).
 * Missing zone means UTC. Result: ns since the Unix epoch. AIS_EINVAL if
 * not recognised. */
ais_err http_time_parse_ns(const char *s, int64_t *ns);

#endif
