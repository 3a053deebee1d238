/*
 * A small HTTP client for intra-cluster fan-out over the public network:
 * a proxy asking every target for a list page or a job status, or telling
 * every target to start a job. N requests run in parallel on one libcurl
 * multi handle; each has a bounded response body and the whole batch one
 * deadline, so a dead node costs at most the timeout, never a hang.
 *
 * Needs curl_global_init() once per process (cmd/aisnode does it) before
 * the first call; otherwise self-contained and thread-safe (each call has
 * its own handles, no shared connection cache).
 */
#ifndef AIS_HTTP_HTTPC_H
#define AIS_HTTP_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

#include "actors/node/node.h"
#include "core/err.h"
#include "core/smap.h"

#define HTTP_CLIENT_RESP_MAX (64u << 20) /* default response body bound */
#define HTTP_CLIENT_HDRS_MAX 8           /* extra headers per request */

typedef struct http_creq {
	/* Request: borrowed until http_client_run returns. */
	const char *method; /* "GET", "PUT", "DELETE", ... */
	const char *url;    /* absolute, with the query */
	const char *body;   /* NULL = none (also sent with GET) */
	size_t body_len;
	const char *hdrs[HTTP_CLIENT_HDRS_MAX + 1]; /* "Name: value",
	                                             * NULL-terminated */
	size_t max_resp; /* response bound; 0 = default */
	/* Result. */
	int status;       /* HTTP status; 0 = no answer */
	ais_err err;      /* AIS_OK once a status arrived, else
	                   * AIS_ETIMEDOUT, AIS_EIO (connect/
	                   * transport), AIS_EPROTO (body over
	                   * bound), AIS_ENOMEM */
	char errmsg[160]; /* one line when err != AIS_OK */
	char *resp;       /* body, malloc'd, NUL-terminated; owned
	                   * by the request (http_creq_fini) */
	size_t resp_len;
	char ctype[64]; /* Content-Type of the answer or "" */
} http_creq;

/* Runs reqs[0..n) in parallel and returns when all are done or
 * timeout_ms has passed (unfinished ones get AIS_ETIMEDOUT). Blocks the
 * calling thread. Results are in each request; the return value is
 * AIS_ENOMEM only if the batch could not be set up at all. */
ais_err http_client_run(http_creq *reqs, size_t n, int timeout_ms);
/* Frees a request's response (the request fields are untouched). Accepts
 * NULL. */
void http_creq_fini(http_creq *r);
/* One line saying why a request failed: its transport error, else the
 * "message" of an AIS JSON error body, else the body text, else the
 * status. */
void http_creq_errmsg(const http_creq *r, char *buf, size_t len);

/* Percent-encodes s for a URL query value or path segment (everything but
 * [A-Za-z0-9-._~]) into buf; returns false if it does not fit. */
bool http_client_escape(const char *s, char *buf, size_t len);

/* The same request to every target of the node's current Smap. The Smap
 * is held for the lifetime of the fan-out, so reqs[i] is the answer of
 * smap->targets[i]. Each request carries "Ais-Caller-Id" and
 * "Ais-Caller-Name" with this node's ID plus up to 4 extra headers
 * (NULL-terminated, may be NULL). */
typedef struct http_fanout {
	ais_smap *smap;  /* held */
	http_creq *reqs; /* smap->ntargets of them */
	size_t n;
	char **urls;
	char caller[2][AIS_ID_MAX + 32];
} http_fanout;

/* Runs method <target public URL><path_query> on every target in parallel
 * (http_client_run). AIS_EAGAIN if the node has no Smap yet; AIS_ENOMEM.
 * On success the caller reads f->reqs and calls http_fanout_fini. Blocks
 * for up to timeout_ms. */
ais_err http_fanout_run(ais_node *node, const char *method,
    const char *path_query, const char *body, size_t body_len,
    const char *const *hdrs, int timeout_ms, http_fanout *f);
void http_fanout_fini(http_fanout *f); /* accepts a zeroed f */

#endif
