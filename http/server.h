/*
 * The public HTTP server of a node (libmicrohttpd): the native API under /v1
 * on every node, later S3 under /s3 and /metrics. One server per node,
 * started after the node's actors and stopped before them.
 *
 * Two sides:
 *  - lifecycle (cmd/aisnode): http_server_start / http_server_stop;
 *  - request (handlers, h_<resource>.c): a handler gets an http_req with the
 *    method, the split path, the parsed query and -- for control requests --
 *    the whole body, and answers through exactly one http_reply_*() call
 *    before it returns.
 *
 * Handlers run on the server's worker threads. They read published
 * snapshots (ais_node_smap() & co, released before returning) and may call
 * an actor with a short timeout; long waits will suspend the connection
 * instead (the daemon is started with suspend/resume allowed).
 *
 * The object data path (/v1/objects) needs three more things, and gets them
 * without a single byte of an object passing through a heap buffer
 * (DESIGN.md section 9):
 *  - an early call: the handler first runs as soon as the headers are in
 *    (req->early), before any body byte is read. There it may answer at
 *    once (a redirect, an error, a GET), install an upload sink that
 *    receives the body chunk by chunk as it arrives (http_req_set_sink), or
 *    do neither -- the body is then read whole, as for control requests,
 *    and the handler runs again with req->early false;
 *  - fd replies (http_reply_fd): the kernel sends a file range (sendfile);
 *  - every value of a repeated request header (http_req_header_each).
 * An early answer to a request that carries a small body (<= 1 MiB) is
 * held until the body has been read and discarded, then sent: clients such
 * as python-requests send the whole body before they read the answer and
 * then reuse the connection, which only works if the server consumed it.
 * A bigger or chunked body, "Expect: 100-continue" or "Connection: close"
 * (the client waits for us) gets the answer at once and the connection
 * closed after it, unread: a proxy's 307 never costs it the object's bytes.
 */
#ifndef AIS_HTTP_SERVER_H
#define AIS_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actors/node/node.h"
#include "core/err.h"
#include "http/query.h"
#include "http/router.h"

#define HTTP_BODY_MAX   (1u << 20) /* control request body limit -> 413 */
#define HTTP_REMOTE_MAX 64         /* "[v6addr]:port" */

typedef struct http_server http_server;

/* Lifecycle --------------------------------------------------------------- */

/* Starts serving node's public API on bind_host:port (bind_host NULL or ""
 * = all IPv4 interfaces; port 0 = an ephemeral port, see
 * http_server_port). Returns once the socket is listening and the worker
 * threads run. node is borrowed and must outlive the server. Errors:
 * AIS_ESYS|EADDRINUSE (port taken) or another AIS_ESYS|errno from binding,
 * AIS_EINVAL (bind_host does not resolve), AIS_EIO (the server would not
 * start for another reason), AIS_ENOMEM. */
ais_err http_server_start(
    ais_node *node, uint16_t port, const char *bind_host, http_server **out);
/* The port actually listened on. */
uint16_t http_server_port(const http_server *s);
/* Stops accepting, lets requests in flight finish (bounded by a grace
 * period), closes every connection, joins the threads and frees s. Blocks.
 * Accepts NULL. */
void http_server_stop(http_server *s);

/* Request side (handlers) ------------------------------------------------- */

/* One request. Everything here is borrowed from the server and valid until
 * the handler returns (for the arena: until the request completes). */
struct http_req {
	ais_node *node;
	http_method method;
	const char *method_str; /* as sent */
	const char *path_raw;   /* path as sent (escaped), no query */
	const char *query_raw;  /* query as sent (escaped), no "?" */
	const char *url_path;   /* path unescaped, for messages */
	http_path path;         /* path_raw split in HTTP_ROUTE_SEGS */
	http_query query;
	const char *body; /* whole body, NUL-terminated; "" if none */
	size_t body_len;
	const char *caller;           /* Ais-Caller-Name header or "" */
	char remote[HTTP_REMOTE_MAX]; /* client "ip:port" */
	const http_route *route;
	bool early; /* headers-only call of an object route (see above) */
	/* S3 addressing, set by routing when the request goes to http_h_s3
	 * other than by the /s3 prefix (spec s3-api.md section 1): s3_root
	 * -- path_raw is the S3 path without "/s3" (S3 at the root);
	 * s3_vhost -- the bucket named by a virtual host
	 * "<bucket>.<s3.domain>" (s3_vhost_len bytes, not NUL-terminated;
	 * path_raw is then the key), NULL if path-style. */
	bool s3_root;
	const char *s3_vhost;
	size_t s3_vhost_len;
};

/* A request header by name (case-insensitive), or NULL. Borrowed. */
const char *http_req_header(http_req *r, const char *name);

/* Per-request arena: memory freed all at once when the request completes.
 * NULL on ENOMEM. */
void *http_req_alloc(http_req *r, size_t n);
/* Runs fn(arg) when the request completes (hooks run last-in first-out,
 * before the arena is freed). AIS_ENOMEM if the hook cannot be recorded --
 * fn is then NOT called; the caller cleans up itself. */
ais_err http_req_on_done(http_req *r, void (*fn)(void *), void *arg);

/* Answers with status and a body copied from `body` (len bytes; ctype NULL
 * = no Content-Type). hdrs: extra headers as a NULL-terminated list of
 * name, value pairs, or NULL. HEAD gets the headers only. */
void http_reply(http_req *r, int status, const char *ctype, const void *body,
    size_t len, const char *const *hdrs);
/* Same, taking ownership of a malloc'd body (freed in every case). */
void http_reply_take(http_req *r, int status, const char *ctype, char *body,
    size_t len, const char *const *hdrs);
/* AIS JSON error (spec native-api.md section 0.7) with this status and a
 * printf-formatted message; for HEAD the JSON goes into Hdr-Error. */
void http_reply_err(http_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same with the status taken from err (http_status_from_err). */
void http_reply_aerr(http_req *r, ais_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* http_reply_err with extra response headers (hdrs as for http_reply),
 * e.g. Content-Range on a 416. */
void http_reply_err_hdrs(http_req *r, int status, const char *const *hdrs,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Streaming (object data path) -------------------------------------------- */

/* Answers with len bytes of the open file fd starting at offset off; the
 * kernel copies them to the socket (sendfile), never user space. Takes
 * ownership of fd in every case: it is closed once the answer has been sent
 * or the connection is gone. For HEAD only the headers go out, with
 * Content-Length = len. ctype and hdrs as for http_reply. */
void http_reply_fd(http_req *r, int status, const char *ctype, int fd,
    uint64_t off, uint64_t len, const char *const *hdrs);

/* Receiver of a request body, chunk by chunk, in order. Callbacks run on
 * the worker thread that serves the connection: disk writes are fine,
 * waiting for anything else is not. Exactly one of end() and abort() is
 * called, once. */
typedef struct http_sink {
	/* The next len (> 0) bytes of the body, borrowed for the call only.
	 * false refuses the rest: it is still read (and discarded) so that
	 * end() can answer, but chunk() is not called again. */
	bool (*chunk)(void *arg, const char *data, size_t len);
	/* The whole body has arrived (`total` bytes, including any refused
	 * after chunk() said false); must answer r through http_reply*(). */
	void (*end)(void *arg, http_req *r, uint64_t total);
	/* The request ended without a complete body: the client closed the
	 * connection or sent less than its Content-Length, a timeout, or the
	 * server is stopping. No answer is possible; release everything. */
	void (*abort)(void *arg);
} http_sink;

/* Installs `sink` as the receiver of this request's body. Only during the
 * early call, and only without an answer; the handler then returns and the
 * sink takes over (req->early will not be called again). sink and arg are
 * borrowed until end() or abort() returns (keep them static or in the
 * request arena). AIS_EINVAL when called at the wrong time. */
ais_err http_req_set_sink(http_req *r, const http_sink *sink, void *arg);

/* Answers with a body produced on demand: MHD calls read(arg, pos, buf,
 * max) on the worker thread whenever the socket can take more, and read
 * returns how many bytes (1..max) it put into buf at body offset pos, 0 at
 * the end of the body, or -1 on an error (the connection is then closed, so
 * the client sees a short body). len is the body length (Content-Length),
 * or -1 if unknown (HTTP/1.1 chunked, ended by read returning 0). read may
 * block, briefly: it holds the worker thread (see the file comment of
 * server.c). HEAD sends the headers only, with Content-Length = len when
 * known, and never calls read. Takes ownership of arg in every case:
 * free_cb(arg) (may be NULL) runs exactly once, when the answer is done or
 * could not be made. ctype and hdrs as for http_reply. */
typedef long (*http_stream_read)(
    void *arg, uint64_t pos, char *buf, size_t max);
void http_reply_stream(http_req *r, int status, const char *ctype, int64_t len,
    http_stream_read read, void (*free_cb)(void *arg), void *arg,
    const char *const *hdrs);

/* Calls fn(arg, name, value) for every request header, in the order sent.
 * Borrowed for the duration of the call. Returns how many there were. */
size_t http_req_header_all(http_req *r,
    void (*fn)(void *arg, const char *name, const char *value), void *arg);

/* Calls fn(arg, value) for every value of request header `name`
 * (case-insensitive), in the order sent; returns how many there were.
 * Values are borrowed for the duration of the call. */
size_t http_req_header_each(http_req *r, const char *name,
    void (*fn)(void *arg, const char *value), void *arg);

#endif
