/*
 * Routing of the native API: /v1/<resource>[/<rest...>] is looked up in one
 * static table keyed by resource, which says which methods the resource
 * accepts, whether it takes more path segments, and which handler serves it.
 * A path that names no route is a 404, a known route with a method it does
 * not accept a 405 with an Allow header (spec native-api.md section 0.1).
 * No libmicrohttpd here: matching is testable on its own.
 */
#ifndef AIS_HTTP_ROUTER_H
#define AIS_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "http/query.h"

/* The server splits every path into this many segments: "v1", the resource
 * and the raw rest, which a handler splits further as its resource needs
 * (object names keep their '/'). */
#define HTTP_ROUTE_SEGS 3

/* Allow header buffer size that fits every method. */
#define HTTP_ALLOW_MAX 64

typedef enum http_method {
	HTTP_M_OTHER = 0,
	HTTP_M_GET = 1u << 0,
	HTTP_M_HEAD = 1u << 1,
	HTTP_M_PUT = 1u << 2,
	HTTP_M_POST = 1u << 3,
	HTTP_M_DELETE = 1u << 4,
	HTTP_M_PATCH = 1u << 5,
	HTTP_M_OPTIONS = 1u << 6,
} http_method;

typedef struct http_req http_req; /* http/server.h */

/* Serves one request; must answer it through http_reply_*() (server.h).
 * Runs on an HTTP worker thread: may read snapshots, must not block long. */
typedef void (*http_handler)(http_req *r);

typedef struct http_route {
	const char *resource; /* /v1/<resource> */
	unsigned methods;     /* HTTP_M_* accepted */
	bool rest;            /* more segments after the resource allowed */
	http_handler handler;
} http_route;

typedef enum http_route_res {
	HTTP_ROUTE_OK = 0,
	HTTP_ROUTE_NOT_FOUND,  /* 404 */
	HTTP_ROUTE_BAD_METHOD, /* 405; *out is the route (for Allow) */
} http_route_res;

/* Exact method names (HTTP methods are case-sensitive); else OTHER. */
http_method http_method_parse(const char *s);
const char *http_method_name(http_method m); /* "" for OTHER */

/* Comma-separated method names of mask, in a fixed order ("GET, HEAD"),
 * into buf; returns the length (truncated to len - 1). */
size_t http_allow_fmt(unsigned mask, char *buf, size_t len);

/* Looks up a path split with HTTP_ROUTE_SEGS. On OK and BAD_METHOD *out is
 * the route (static, never freed); on NOT_FOUND it is NULL. */
http_route_res http_route_match(
    const http_path *p, http_method m, const http_route **out);

/* The S3 route (http_h_s3) for requests the server recognizes as S3 by
 * other means than the /s3 prefix: a virtual host, or S3 at the root.
 * Same results as http_route_match. */
http_route_res http_route_s3(http_method m, const http_route **out);

/* Handlers of the routes above, one file each (h_<resource>.c). */
void http_h_health(http_req *r);
void http_h_daemon(http_req *r);
void http_h_cluster(http_req *r);
/* /v1/reverse/daemon[/...] (h_reverse.c): proxies forward to Ais-Node-Id. */
void http_h_reverse(http_req *r);
/* PUT/POST /v1/cluster[/...]: node admin via the primary
 * (h_cluster_admin.c). */
void http_cluster_admin(http_req *r);
/* /v1/buckets (h_buckets.c): bucket CRUD and props; dispatches listing to
 * http_list_objects and multi-object jobs to http_multiobj. */
void http_h_buckets(http_req *r);
/* /v1/objects (h_objects.c): the object data path (targets) and redirects
 * (proxies). */
void http_h_objects(http_req *r);
/* /s3 and /s3/... (http/s3/s3.c): the S3 API. Gets the early call, like
 * objects, so object PUTs can stream. */
void http_h_s3(http_req *r);
/* /v1/xactions (h_jobs.c): intra-cluster job start/status on targets. */
void http_h_xactions(http_req *r);
/* /v1/sort[/abort] (h_sort.c): dSort jobs on proxies -- start, status,
 * list, abort, remove -- fanned out to the targets' "dsort" actors. */
void http_h_sort(http_req *r);
/* GET /v1/buckets/<b> with a list action (h_list.c), on proxies (fan-out
 * and merge) and on targets (one page of local objects). */
void http_list_objects(http_req *r);
/* Multi-object jobs on a bucket, e.g. DELETE with delete-listrange
 * (h_multiobj.c); `action` is the ActMsg action, `msg` the parsed body. */
void http_multiobj(http_req *r, const char *action, json_t *msg);
/* GET /v1/cluster?what=status|status_all|running_all|qryxstats (h_jobs.c). */
void http_jobs_query(http_req *r, const char *what);
/* Metadata answers shared by /v1/daemon and /v1/cluster (h_daemon.c):
 * the Smap, the BMD, this node's Snode, and the cluster config (with the
 * node-local keys merged in when with_local). */
void http_daemon_smap(http_req *r);
void http_daemon_bmd(http_req *r);
void http_daemon_snode(http_req *r);
void http_daemon_config(http_req *r, bool with_local);

#endif
