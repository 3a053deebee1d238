/*
 * The public HTTP server: a libmicrohttpd daemon, the per-request context,
 * body accumulation for control requests, the streaming pieces of the object
 * data path (early call, upload sinks, held early answers, fd replies),
 * dispatch through the route table, and the replies handlers send.
 *
 * Threading. The daemon runs an internal thread pool of one thread per core,
 * each polling its own share of the connections (MHD_USE_INTERNAL_POLLING_
 * THREAD | MHD_USE_POLL, MHD_OPTION_THREAD_POOL_SIZE). DESIGN.md section 9
 * makes these threads the data path's I/O workers: a fixed pool sized to
 * the cores keeps every core busy with sendfile/write work and holds many
 * idle keep-alive connections cheaply, where thread-per-connection pays a
 * stack and a context switch per client. Measured as CPU time per request
 * of the target process (Release, 2 shared cores, page-cache data, wrk):
 *   4 KiB GET, 64 conns:   pool+poll 39 us, pool+epoll 37 us,
 *                          thread-per-connection 58 us, nginx 17 us;
 *   4 KiB GET, 512 conns:  pool+poll 47 us, pool+epoll 46 us, nginx 19 us;
 *   1 MiB GET, 8 conns:    pool+poll 260 us, nginx 236 us.
 * Large objects are at nginx's cost (the kernel's sendfile dominates); a
 * 1 GiB object streams at 2-3 GB/s out and ~1 GB/s in (written,
 * checksummed, renamed). Small ones cost twice nginx's CPU, all of it in
 * MHD and the allocator: MHD clears the whole connection pool per request
 * (6 us of the 39 at 64 KiB, see HTTP_CONN_MEMORY), allocates per header,
 * and sends headers and body in two calls. The price of the pool: a thread
 * blocked on the disk (a page-cache miss under sendfile, an fsync of an
 * Fsync-PUT bucket) stalls the other connections it serves -- nginx
 * without aio threads has the same property.
 * Why poll() and not epoll: MHD (0.9.75) in epoll mode is edge-triggered
 * and treats a short recv() as "socket drained". A client that sends its
 * last bytes and closes (an upload cut short) often delivers data and FIN
 * together; the FIN then never raises another edge, the connection sits in
 * CLOSE-WAIT until the idle timeout (120 s), and with it the aborted
 * upload's work file. Level-triggered poll() sees the FIN at once, for
 * 2-5% more CPU at these connection counts (its cost grows with the
 * connections per thread, which is modest for a storage node).
 * Control requests that must wait for an actor will suspend their
 * connection (MHD_ALLOW_SUSPEND_RESUME, enabled now) rather than hold a
 * pool thread; until the actor runtime offers an asynchronous call, the
 * only waiting handler (health?prr forwarding) blocks its thread for at
 * most the control-plane timeout (2 s).
 *
 * A request's life: MHD calls the URI-log callback with the target exactly
 * as sent -- we allocate the context there and keep that raw target, since
 * MHD unescapes the path it passes later. The first access-handler call
 * (headers complete) parses path and query, matches the route and answers
 * 404/405/413 at once, before any body is read. Later calls append body
 * chunks (control bodies are small JSON: kept whole, at most HTTP_BODY_MAX).
 * The last call runs the handler. The completion callback frees the
 * context, running its cleanup hooks and releasing its arena.
 *
 * Object routes (http_route_early) differ in the first call: their handler
 * runs right there with req->early set, and one of three things happens.
 *  - It answers. If the request may still carry a body of at most
 *    HTTP_DRAIN_MAX bytes, the answer is held (ctx->held) while later calls
 *    read and drop the body, and the last call queues it: the connection
 *    stays usable for clients that send the whole body before reading
 *    (python-requests does, for a proxy's 307). A bigger or chunked body,
 *    or a client that sent "Expect: 100-continue" or "Connection: close"
 *    (the Python SDK's two-step redirect over HTTPS: headers, no body, then
 *    a wait for the 307), is answered at once, and MHD closes the
 *    connection after the answer without reading the body: a proxy never
 *    ingests object data. Clients cope: curl with Expect sends no body;
 *    python-requests (urllib3 1.26 and 2.x) swallows the broken pipe of its
 *    unfinished send and reads the answer (checked: 45 of 45 redirected
 *    PUTs of 0.3 to 50 MB), as it must with Go servers, which do the same.
 *  - It installs a sink: later calls hand each chunk to it as MHD read it
 *    (one socket read, at most about half of HTTP_CONN_MEMORY: ~32 KiB),
 *    the last call runs sink->end, and a request that ends any other way
 *    (client gone, short body, timeout, shutdown) gets sink->abort from
 *    the completion callback.
 *  - Neither: the body is read whole as for control requests, and the
 *    handler runs again at the end.
 * A GET answers with an fd response: MHD sends it with sendfile (no TLS
 * here), 128 KiB per call between poll rounds, and closes the fd.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "http/reply.h"

/* Idle keep-alive connections are closed after this long. Clients
 * (urllib3, Go net/http) retry a request on a connection the server had
 * closed while idle, so this only bounds how long we keep their sockets. */
#define HTTP_CONN_TIMEOUT_S 120u
/* Headers and the request line of one request live in MHD's per-connection
 * pool; 64 KiB leaves room for long object names and S3 headers. It also
 * bounds upload chunks (~32 KiB per read). MHD clears the whole pool for
 * every request, so its size is paid per request: 16 KiB would save 6 us
 * of CPU per small GET (39 -> 32), 256 KiB would speed a 1 GiB PUT up by
 * ~30% but halve the small-GET rate. */
#define HTTP_CONN_MEMORY (64u * 1024u)
#define HTTP_PROXY_THREADS_MIN 16
/* An early answer (object routes) to a request with a declared body of at
 * most this many bytes waits for the body to be drained, keeping the
 * connection; a bigger body is not read at all (see the file comment). The
 * value is of the order of Go net/http's 256 KiB, which AIS runs on. */
#define HTTP_DRAIN_MAX (1u << 20)
/* http_server_stop waits this long for requests in flight. */
#define HTTP_STOP_GRACE_MS 5000
/* Message ids (core/log.h). */
#define HTTP_LOG_MHD "AIS-HTTP-MHD"

struct http_server {
	struct MHD_Daemon *mhd;
	ais_node *node;
	uint16_t port;
	atomic_int inflight; /* requests with headers in, not completed */
};

typedef struct http_blk {
	struct http_blk *next;
	max_align_t data[]; /* aligned for anything */
} http_blk;

typedef struct http_hook {
	struct http_hook *next;
	void (*fn)(void *);
	void *arg;
} http_hook;

/* The per-request context; req is what handlers see. */
typedef struct http_ctx {
	http_req req;
	http_server *srv;
	struct MHD_Connection *conn;
	char *uri; /* request target as sent */
	char *path_raw;
	char *url_path;
	char *query_raw;
	char *body; /* malloc'd, NUL-terminated */
	size_t body_cap;
	bool started; /* first access-handler call done */
	bool too_big; /* body over HTTP_BODY_MAX: answer 413 */
	bool replied;
	bool hold_ok; /* an early answer waits for the body (see server.h) */
	enum MHD_Result rc;        /* MHD_queue_response's, returned to MHD */
	struct MHD_Response *held; /* early answer, queued once body is in */
	unsigned held_status;
	const http_sink *sink; /* body receiver (object PUT), or NULL */
	void *sink_arg;
	uint64_t sink_total; /* body bytes seen so far */
	bool sink_ok;        /* chunk() has not refused */
	bool sink_done;      /* end() or abort() called */
	http_blk *arena;
	http_hook *hooks;
} http_ctx;

static http_ctx *
http_ctx_of(http_req *r)
{
	return (http_ctx *) ((char *) r - offsetof(http_ctx, req));
}

/* Arena and hooks --------------------------------------------------------- */

void *
http_req_alloc(http_req *r, size_t n)
{
	http_ctx *c = http_ctx_of(r);
	http_blk *b;

	if (n > SIZE_MAX - sizeof(*b)) {
		return NULL;
	}
	b = malloc(sizeof(*b) + n);
	if (b == NULL) {
		return NULL;
	}
	b->next = c->arena;
	c->arena = b;
	return b->data;
}

ais_err
http_req_on_done(http_req *r, void (*fn)(void *), void *arg)
{
	http_ctx *c = http_ctx_of(r);
	http_hook *h = http_req_alloc(r, sizeof(*h));

	if (h == NULL) {
		return AIS_ENOMEM;
	}
	h->fn = fn;
	h->arg = arg;
	h->next = c->hooks;
	c->hooks = h;
	return AIS_OK;
}

static void
http_ctx_free(http_ctx *c)
{
	while (c->hooks != NULL) {
		http_hook *h = c->hooks;

		c->hooks = h->next;
		h->fn(h->arg);
	}
	while (c->arena != NULL) {
		http_blk *b = c->arena;

		c->arena = b->next;
		free(b);
	}
	if (c->held != NULL) {
		MHD_destroy_response(c->held); /* the client left first */
	}
	http_path_fini(&c->req.path);
	http_query_fini(&c->req.query);
	free(c->uri);
	free(c->path_raw);
	free(c->url_path);
	free(c->query_raw);
	free(c->body);
	free(c);
}

/* Replies ----------------------------------------------------------------- */

const char *
http_req_header(http_req *r, const char *name)
{
	return MHD_lookup_connection_value(
	    http_ctx_of(r)->conn, MHD_HEADER_KIND, name);
}

static void
http_resp_headers(struct MHD_Response *resp, const char *const *hdrs)
{
	if (hdrs == NULL) {
		return;
	}
	for (size_t i = 0; hdrs[i] != NULL && hdrs[i + 1] != NULL; i += 2) {
		if (MHD_add_response_header(resp, hdrs[i], hdrs[i + 1])
		    != MHD_YES) {
			AIS_LOGW(
			    "AIS-HTTP-HDR", "cannot add header %s", hdrs[i]);
		}
	}
}

/* Queues resp (consumed) as the one answer to the request. */
static void
http_queue(http_ctx *c, int status, struct MHD_Response *resp)
{
	if (c->replied) {
		/* A handler answering twice is a bug; the first answer
		 * stands and the connection survives. */
		AIS_LOGE("AIS-HTTP-REPLY-TWICE", "%s %s: second reply %d",
		    c->req.method_str, c->req.url_path, status);
		if (resp != NULL) {
			MHD_destroy_response(resp);
		}
		return;
	}
	c->replied = true;
	if (resp == NULL) {
		c->rc = MHD_NO; /* out of memory: drop the connection */
		return;
	}
	if (c->req.early && c->hold_ok) {
		/* Sent by the access handler's last call, once the body (if
		 * any) has been read: see server.h. */
		c->held = resp;
		c->held_status = (unsigned) status;
		c->rc = MHD_YES;
		return;
	}
	c->rc = MHD_queue_response(c->conn, (unsigned int) status, resp);
	MHD_destroy_response(resp);
}

void
http_reply_take(http_req *r, int status, const char *ctype, char *body,
    size_t len, const char *const *hdrs)
{
	http_ctx *c = http_ctx_of(r);
	struct MHD_Response *resp;

	if (body == NULL) {
		resp = MHD_create_response_from_buffer(
		    0, (void *) "", MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer(
		    len, body, MHD_RESPMEM_MUST_FREE);
		if (resp == NULL) {
			free(body);
		}
	}
	if (resp != NULL) {
		if (ctype != NULL) {
			MHD_add_response_header(
			    resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
		}
		http_resp_headers(resp, hdrs);
	}
	http_queue(c, status, resp);
}

void
http_reply(http_req *r, int status, const char *ctype, const void *body,
    size_t len, const char *const *hdrs)
{
	char *copy = NULL;

	if (body != NULL && len > 0) {
		copy = malloc(len);
		if (copy == NULL) {
			http_queue(http_ctx_of(r), status, NULL);
			return;
		}
		memcpy(copy, body, len);
	}
	http_reply_take(r, status, ctype, copy, copy == NULL ? 0 : len, hdrs);
}

/* The error reply every path ends in: JSON body, or Hdr-Error for HEAD. */
static void
http_reply_errv(http_req *r, int status, const char *const *hdrs,
    const char *fmt, va_list ap)
{
	http_ctx *c = http_ctx_of(r);
	char msg[1024];
	char node[HTTP_NODE_TAG_MAX];
	http_err_info e;
	bool head = r->method == HTTP_M_HEAD;
	char *json;
	struct MHD_Response *resp;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	http_node_tag(r->node->role, r->node->self.id, node, sizeof(node));
	e = (http_err_info) {
		.status = status,
		.message = msg,
		.method = r->method_str,
		.url_path = r->url_path,
		.remote_addr = r->remote,
		.caller = r->caller,
		.node = node,
	};
	json = http_err_json(&e, head);
	AIS_LOGD("AIS-HTTP-ERR", "%s %s from %s: %d %s", r->method_str,
	    r->url_path, r->remote, status, msg);
	if (head || json == NULL) {
		resp = MHD_create_response_from_buffer(
		    0, (void *) "", MHD_RESPMEM_PERSISTENT);
		if (resp != NULL && json != NULL) {
			MHD_add_response_header(resp, "Hdr-Error", json);
		}
		free(json);
	} else {
		resp = MHD_create_response_from_buffer(
		    strlen(json), json, MHD_RESPMEM_MUST_FREE);
		if (resp == NULL) {
			free(json);
		} else {
			MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		}
	}
	if (resp != NULL) {
		MHD_add_response_header(
		    resp, "X-Content-Type-Options", "nosniff");
		http_resp_headers(resp, hdrs);
	}
	http_queue(c, status, resp);
}

void
http_reply_err(http_req *r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	http_reply_errv(r, status, NULL, fmt, ap);
	va_end(ap);
}

void
http_reply_aerr(http_req *r, ais_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	http_reply_errv(r, http_status_from_err(err), NULL, fmt, ap);
	va_end(ap);
}

void
http_reply_fd(http_req *r, int status, const char *ctype, int fd, uint64_t off,
    uint64_t len, const char *const *hdrs)
{
	http_ctx *c = http_ctx_of(r);
	struct MHD_Response *resp;

	if (len == 0) {
		/* MHD has nothing to send from an empty range; a buffer
		 * answer carries the same headers. */
		close(fd);
		resp = MHD_create_response_from_buffer(
		    0, (void *) "", MHD_RESPMEM_PERSISTENT);
	} else {
		/* MHD owns fd from here (closed when the response is
		 * destroyed) and sends it with sendfile: no TLS here. */
		resp = MHD_create_response_from_fd_at_offset64(len, fd, off);
		if (resp == NULL) {
			close(fd);
		}
	}
	if (resp != NULL) {
		if (ctype != NULL) {
			MHD_add_response_header(
			    resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
		}
		http_resp_headers(resp, hdrs);
	}
	http_queue(c, status, resp);
}

/* A streamed answer's producer, as MHD's content reader sees it. */
typedef struct http_stream {
	http_stream_read read;
	void (*free_cb)(void *arg);
	void *arg;
} http_stream;

/* Body pieces handed to MHD per read call: the size of the buffer MHD
 * allocates for a callback response. */
#define HTTP_STREAM_BLOCK (64u * 1024u)

static ssize_t
http_stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	http_stream *st = cls;
	long n = st->read(st->arg, pos, buf, max);

	if (n > 0) {
		return (ssize_t) n;
	}
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM
	              : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void
http_stream_free(void *cls)
{
	http_stream *st = cls;

	if (st->free_cb != NULL) {
		st->free_cb(st->arg);
	}
	free(st);
}

void
http_reply_stream(http_req *r, int status, const char *ctype, int64_t len,
    http_stream_read read, void (*free_cb)(void *arg), void *arg,
    const char *const *hdrs)
{
	http_ctx *c = http_ctx_of(r);
	struct MHD_Response *resp = NULL;
	http_stream *st = malloc(sizeof(*st));

	if (st == NULL) {
		if (free_cb != NULL) {
			free_cb(arg);
		}
		http_queue(c, status, NULL);
		return;
	}
	st->read = read;
	st->free_cb = free_cb;
	st->arg = arg;
	/* MHD calls http_stream_free when the response is destroyed (not
	 * when creating it fails: then it is ours). */
	resp = MHD_create_response_from_callback(
	    len < 0 ? MHD_SIZE_UNKNOWN : (uint64_t) len, HTTP_STREAM_BLOCK,
	    http_stream_reader, st, http_stream_free);
	if (resp == NULL) {
		http_stream_free(st);
	} else {
		if (ctype != NULL) {
			MHD_add_response_header(
			    resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
		}
		http_resp_headers(resp, hdrs);
	}
	http_queue(c, status, resp);
}

ais_err
http_req_set_sink(http_req *r, const http_sink *sink, void *arg)
{
	http_ctx *c = http_ctx_of(r);

	if (!r->early || c->replied || c->sink != NULL || sink == NULL) {
		return AIS_EINVAL;
	}
	c->sink = sink;
	c->sink_arg = arg;
	c->sink_ok = true;
	return AIS_OK;
}

typedef struct http_hdr_iter {
	const char *name;
	void (*fn)(void *arg, const char *value);
	void *arg;
	size_t n;
} http_hdr_iter;

static enum MHD_Result
http_hdr_iter_cb(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	http_hdr_iter *it = cls;

	(void) kind;
	if (key != NULL && strcasecmp(key, it->name) == 0) {
		it->n++;
		it->fn(it->arg, value == NULL ? "" : value);
	}
	return MHD_YES;
}

size_t
http_req_header_each(http_req *r, const char *name,
    void (*fn)(void *arg, const char *value), void *arg)
{
	http_hdr_iter it = { .name = name, .fn = fn, .arg = arg, .n = 0 };

	(void) MHD_get_connection_values(
	    http_ctx_of(r)->conn, MHD_HEADER_KIND, http_hdr_iter_cb, &it);
	return it.n;
}

typedef struct http_hdr_all {
	void (*fn)(void *arg, const char *name, const char *value);
	void *arg;
	size_t n;
} http_hdr_all;

static enum MHD_Result
http_hdr_all_cb(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	http_hdr_all *it = cls;

	(void) kind;
	if (key != NULL) {
		it->n++;
		it->fn(it->arg, key, value == NULL ? "" : value);
	}
	return MHD_YES;
}

size_t
http_req_header_all(http_req *r,
    void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	http_hdr_all it = { .fn = fn, .arg = arg, .n = 0 };

	(void) MHD_get_connection_values(
	    http_ctx_of(r)->conn, MHD_HEADER_KIND, http_hdr_all_cb, &it);
	return it.n;
}

void
http_reply_err_hdrs(
    http_req *r, int status, const char *const *hdrs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	http_reply_errv(r, status, hdrs, fmt, ap);
	va_end(ap);
}

/* Request processing ------------------------------------------------------ */

static void
http_fmt_remote(struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	char ip[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL) {
		return;
	}
	sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *) sa;

		if (inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip))) {
			snprintf(buf, len, "%s:%u", ip,
			    (unsigned) ntohs(in->sin_port));
		}
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *) sa;

		if (inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip))) {
			snprintf(buf, len, "[%s]:%u", ip,
			    (unsigned) ntohs(in6->sin6_port));
		}
	}
}

/* Whether an early answer should wait for the body (see the file
 * comment): only when the connection is to be kept (no "Connection:
 * close"), the client does not wait for a 100 (no "Expect: 100-continue")
 * and the body is declared and small (Content-Length <= HTTP_DRAIN_MAX; a
 * chunked body has no declared size). */
static bool
http_ctx_hold_ok(http_ctx *c)
{
	const char *expect = MHD_lookup_connection_value(
	    c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
	const char *conn = MHD_lookup_connection_value(
	    c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION);
	const char *te = MHD_lookup_connection_value(
	    c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	const char *cl = MHD_lookup_connection_value(
	    c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end;

	if ((expect != NULL && strcasecmp(expect, "100-continue") == 0)
	    || (conn != NULL && strcasestr(conn, "close") != NULL)
	    || (te != NULL && strcasecmp(te, "identity") != 0)) {
		return false;
	}
	if (cl == NULL) {
		return true;
	}
	errno = 0;
	n = strtoull(cl, &end, 10);
	return errno == 0 && end != cl && n <= HTTP_DRAIN_MAX;
}

/* Routes whose body is object data: their handler gets the early call
 * (server.h). Everything else is control and sees the body whole. */
static bool
http_route_early(const http_route *rt)
{
	return rt->handler == http_h_objects || rt->handler == http_h_s3;
}

/* Feature bit "S3-API-via-Root" of the cluster config "features". */
#define HTTP_FEAT_S3_ROOT (1ULL << 3)

/* Length of the bucket if host ("name[:port]") is "<bucket>.<domain>",
 * else 0. IPv6 literals never are. */
static size_t
http_s3_vhost_len(const char *host, const char *dom)
{
	const char *colon;
	size_t hl, dl;

	while (*dom == '.') {
		dom++;
	}
	if (host == NULL || host[0] == '[' || dom[0] == '\0') {
		return 0;
	}
	colon = strrchr(host, ':');
	hl = colon == NULL ? strlen(host) : (size_t) (colon - host);
	dl = strlen(dom);
	if (hl < dl + 2 || host[hl - dl - 1] != '.'
	    || strncasecmp(host + hl - dl, dom, dl) != 0) {
		return 0;
	}
	return hl - dl - 1;
}

/* S3 by other means than the /s3 prefix (spec s3-api.md section 1): a
 * Host "<bucket>.<s3.domain>[:port]" names the bucket whatever the path;
 * with feature S3-API-via-Root or "s3.root" every path outside /v1 and
 * /s3 is S3 as if prefixed by /s3. Returns the (possibly new) route
 * result. */
static http_route_res
http_s3_addressing(http_ctx *c, http_route_res rr)
{
	http_req *r = &c->req;
	ais_cconfig *cfg = ais_node_ccfg(r->node);
	const char *dom, *feats;
	bool root = false;
	size_t blen = 0;
	const char *host;

	if (cfg == NULL) {
		return rr;
	}
	dom = ais_cconfig_str(cfg, "s3.domain", NULL);
	if (dom != NULL && dom[0] != '\0') {
		host = MHD_lookup_connection_value(
		    c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
		blen = http_s3_vhost_len(host, dom);
		if (blen > 0) {
			r->s3_vhost = host;
			r->s3_vhost_len = blen;
		}
	}
	if (blen == 0 && rr == HTTP_ROUTE_NOT_FOUND
	    && !(r->path.nsegs >= 1 && strcmp(r->path.segs[0], "v1") == 0)) {
		feats = ais_cconfig_str(cfg, "features", NULL);
		root = ais_cconfig_bool(cfg, "s3.root", false)
		    || (feats != NULL
		        && (strtoull(feats, NULL, 10) & HTTP_FEAT_S3_ROOT)
		            != 0);
	}
	ais_cconfig_rele(cfg);
	if (blen == 0 && !root) {
		return rr;
	}
	r->s3_root = root;
	return http_route_s3(r->method, &r->route);
}

/* Headers are in: parse the target, route, and answer what can be answered
 * without the body. Returns false if a reply was queued. */
static bool
http_ctx_begin(http_ctx *c, const char *method)
{
	http_req *r = &c->req;
	const char *cl;
	const char *caller;
	http_route_res rr;
	char allow[HTTP_ALLOW_MAX];
	ais_err err;

	r->node = c->srv->node;
	r->method_str = method;
	r->method = http_method_parse(method);
	r->body = "";
	http_fmt_remote(c->conn, r->remote, sizeof(r->remote));
	caller = MHD_lookup_connection_value(
	    c->conn, MHD_HEADER_KIND, "Ais-Caller-Name");
	r->caller = caller == NULL ? "" : caller;

	err = http_uri_split(c->uri, &c->path_raw, &c->query_raw);
	if (err != AIS_OK) {
		r->url_path = "";
		http_queue(c, 500, NULL);
		return false;
	}
	r->path_raw = c->path_raw;
	r->query_raw = c->query_raw;
	c->url_path = strdup(c->path_raw);
	if (c->url_path != NULL
	    && http_unescape(c->url_path, false, NULL) != AIS_OK) {
		strcpy(c->url_path, c->path_raw); /* same length */
	}
	r->url_path = c->url_path == NULL ? c->path_raw : c->url_path;

	err = http_path_split(c->path_raw, HTTP_ROUTE_SEGS, &r->path);
	if (err != AIS_OK) {
		http_reply_aerr(r, err, "invalid URL path %s", r->path_raw);
		return false;
	}
	err = http_query_parse(c->query_raw, &r->query);
	if (err != AIS_OK) {
		http_reply_aerr(r, err, "invalid query string in %s %s",
		    r->method_str, r->url_path);
		return false;
	}
	rr = http_route_match(&r->path, r->method, &r->route);
	rr = http_s3_addressing(c, rr);
	if (rr == HTTP_ROUTE_NOT_FOUND) {
		http_reply_err(r, 404, "invalid URL path %s", r->url_path);
		return false;
	}
	if (rr == HTTP_ROUTE_BAD_METHOD) {
		const char *hdrs[] = { "Allow", allow, NULL };

		http_allow_fmt(r->route->methods, allow, sizeof(allow));
		http_reply_err_hdrs(r, 405, hdrs,
		    "invalid method %s %s (allowed: %s)", r->method_str,
		    r->url_path, allow);
		return false;
	}
	if (http_route_early(r->route)) {
		c->hold_ok = http_ctx_hold_ok(c);
		r->early = true;
		r->route->handler(r);
		r->early = false;
		if (c->replied) {
			/* held (true: read on) or queued (false: done) */
			return c->held != NULL;
		}
		if (c->sink != NULL) {
			return true;
		}
		/* neither: the body is read whole, handler runs again */
	}
	/* Control requests: the body is read whole. A declared oversize
	 * body is refused before a byte of it is read (MHD then closes the
	 * connection rather than drain it). */
	cl = MHD_lookup_connection_value(
	    c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno == 0 && end != cl && n > HTTP_BODY_MAX) {
			http_reply_err(r, 413,
			    "request body too large: %llu bytes (limit %u)", n,
			    HTTP_BODY_MAX);
			return false;
		}
		if (errno == 0 && end != cl && n > 0) {
			c->body = malloc((size_t) n + 1);
			c->body_cap = c->body == NULL ? 0 : (size_t) n + 1;
		}
	}
	return true;
}

/* Appends a body chunk; past the limit the rest is discarded (the 413 can
 * only be queued once the upload is over, per MHD's rules). */
static void
http_ctx_body_add(http_ctx *c, const char *data, size_t len)
{
	http_req *r = &c->req;
	size_t need;

	if (c->too_big) {
		return;
	}
	if (len > HTTP_BODY_MAX - r->body_len) {
		c->too_big = true;
		return;
	}
	need = r->body_len + len + 1;
	if (need > c->body_cap) {
		size_t cap = c->body_cap == 0 ? 4096 : c->body_cap;
		char *nb;

		while (cap < need) {
			cap *= 2;
		}
		if (cap > HTTP_BODY_MAX + 1) {
			cap = HTTP_BODY_MAX + 1;
		}
		nb = realloc(c->body, cap);
		if (nb == NULL) {
			c->too_big
			    = true; /* answered as 413: keeps it simple */
			return;
		}
		c->body = nb;
		c->body_cap = cap;
	}
	memcpy(c->body + r->body_len, data, len);
	r->body_len += len;
	c->body[r->body_len] = '\0';
	r->body = c->body;
}

/* One piece of the body, as MHD read it from the socket. */
static void
http_ctx_upload(http_ctx *c, const char *data, size_t len)
{
	if (c->held != NULL) {
		return; /* answered early: the body is drained unread */
	}
	if (c->sink != NULL) {
		c->sink_total += len;
		if (c->sink_ok && !c->sink->chunk(c->sink_arg, data, len)) {
			c->sink_ok = false;
		}
		return;
	}
	http_ctx_body_add(c, data, len);
}

static enum MHD_Result
http_server_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	http_ctx *c = *req_cls;

	(void) cls;
	(void) url;
	(void) version;
	if (c == NULL) {
		return MHD_NO; /* the URI callback ran out of memory */
	}
	if (!c->started) {
		c->started = true;
		c->conn = conn;
		atomic_fetch_add(&c->srv->inflight, 1);
		if (!http_ctx_begin(c, method)) {
			return c->rc;
		}
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		http_ctx_upload(c, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* The request is complete. */
	if (c->held != NULL) {
		struct MHD_Response *resp = c->held;

		c->held = NULL;
		c->rc = MHD_queue_response(conn, c->held_status, resp);
		MHD_destroy_response(resp);
		return c->rc;
	}
	if (c->replied) {
		return c->rc;
	}
	if (c->sink != NULL) {
		c->sink_done = true;
		c->sink->end(c->sink_arg, &c->req, c->sink_total);
	} else if (c->too_big) {
		http_reply_err(&c->req, 413,
		    "request body too large (limit %u bytes)", HTTP_BODY_MAX);
		return c->rc;
	} else {
		c->req.route->handler(&c->req);
	}
	if (!c->replied) {
		AIS_LOGE("AIS-HTTP-NO-REPLY", "%s %s: handler did not reply",
		    c->req.method_str, c->req.url_path);
		http_reply_err(&c->req, 500, "internal error: no reply");
	}
	return c->rc;
}

static void *
http_server_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	http_server *s = cls;
	http_ctx *c;

	(void) conn;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return NULL;
	}
	c->uri = strdup(uri);
	if (c->uri == NULL) {
		free(c);
		return NULL;
	}
	c->srv = s;
	return c;
}

static void
http_server_done(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	http_server *s = cls;
	http_ctx *c = *req_cls;

	(void) conn;
	(void) toe;
	if (c == NULL) {
		return;
	}
	*req_cls = NULL;
	if (c->started) {
		atomic_fetch_sub(&s->inflight, 1);
	}
	if (c->sink != NULL && !c->sink_done) {
		c->sink_done = true;
		c->sink->abort(c->sink_arg);
	}
	http_ctx_free(c);
}

static void http_server_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
http_server_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	(void) cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
		buf[--n] = '\0';
	}
	/* Mostly clients' protocol errors (MHD answers those itself), so
	 * not a warning; failures of our own are logged by our callers. */
	AIS_LOGI(HTTP_LOG_MHD, "%s", buf);
}

/* Lifecycle --------------------------------------------------------------- */

/* bind_host -> address; IPv4 preferred, as node addresses in the Smap are
 * IPv4 and "localhost" may resolve to ::1 first. */
static ais_err
http_server_resolve(
    const char *host, uint16_t port, struct sockaddr_storage *ss, bool *v6)
{
	struct addrinfo hints = { 0 };
	struct addrinfo *res = NULL;
	const struct addrinfo *pick = NULL;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(host, NULL, &hints, &res) != 0) {
		return AIS_EINVAL;
	}
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			pick = ai;
			break;
		}
		if (ai->ai_family == AF_INET6 && pick == NULL) {
			pick = ai;
		}
	}
	if (pick == NULL || pick->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		return AIS_EINVAL;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, pick->ai_addr, pick->ai_addrlen);
	*v6 = pick->ai_family == AF_INET6;
	if (*v6) {
		((struct sockaddr_in6 *) ss)->sin6_port = htons(port);
	} else {
		((struct sockaddr_in *) ss)->sin_port = htons(port);
	}
	freeaddrinfo(res);
	return AIS_OK;
}

/* MHD reports no reason when it fails to start; the usual one is the
 * address, so bind it ourselves to get the errno. */
static ais_err
http_server_why(const struct sockaddr *sa, socklen_t len, uint16_t port)
{
	struct sockaddr_in any;
	int fd;
	int one = 1;
	ais_err err = AIS_EIO;

	if (sa == NULL) {
		memset(&any, 0, sizeof(any));
		any.sin_family = AF_INET;
		any.sin_port = htons(port);
		any.sin_addr.s_addr = htonl(INADDR_ANY);
		sa = (const struct sockaddr *) &any;
		len = sizeof(any);
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return AIS_ESYS | errno;
	}
	(void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, len) != 0) {
		err = AIS_ESYS | errno;
	}
	close(fd);
	return err;
}

ais_err
http_server_start(
    ais_node *node, uint16_t port, const char *bind_host, http_server **out)
{
	http_server *s;
	struct sockaddr_storage ss;
	const struct sockaddr *sa = NULL;
	socklen_t salen = 0;
	bool v6 = false;
	long ncpu;
	unsigned int flags;
	const union MHD_DaemonInfo *di;
	ais_err err;

	*out = NULL;
	if (bind_host != NULL && bind_host[0] != '\0') {
		err = http_server_resolve(bind_host, port, &ss, &v6);
		if (err != AIS_OK) {
			AIS_LOGE(
			    "AIS-HTTP-LISTEN", "cannot resolve %s", bind_host);
			return err;
		}
		sa = (const struct sockaddr *) &ss;
		salen = v6 ? sizeof(struct sockaddr_in6)
		           : sizeof(struct sockaddr_in);
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return AIS_ENOMEM;
	}
	s->node = node;
	atomic_init(&s->inflight, 0);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1) {
		ncpu = 1;
	}
	/* A proxy's threads block: on S3 forwards (a whole object streamed
	 * through), list fan-outs, job broadcasts. With one thread per core a
	 * handful of slow forwards would stall every other connection that
	 * thread polls, so proxies get a wider pool; targets keep one per core
	 * (their blocking is disk I/O, and more threads only add switches). */
	if (node != NULL && node->role == AIS_ROLE_PROXY) {
		ncpu = ncpu * 8 < HTTP_PROXY_THREADS_MIN ? HTTP_PROXY_THREADS_MIN
							 : ncpu * 8;
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL
	    | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG
	    | (v6 ? MHD_USE_IPv6 : 0);
	/* The logger goes first (MHD logs while parsing options). When no
	 * bind address is given, MHD_OPTION_END takes SOCK_ADDR's place and
	 * ends the list there. */
	s->mhd = MHD_start_daemon(flags, port, NULL, NULL, http_server_access,
	    s, MHD_OPTION_EXTERNAL_LOGGER, http_server_log, s,
	    MHD_OPTION_URI_LOG_CALLBACK, http_server_uri, s,
	    MHD_OPTION_NOTIFY_COMPLETED, http_server_done, s,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) ncpu,
	    MHD_OPTION_CONNECTION_TIMEOUT, HTTP_CONN_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HTTP_CONN_MEMORY,
	    sa != NULL ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, sa,
	    MHD_OPTION_END);
	if (s->mhd == NULL) {
		err = http_server_why(sa, salen, port);
		AIS_LOGE("AIS-HTTP-LISTEN", "cannot listen on %s:%u: %s",
		    sa != NULL ? bind_host : "*", (unsigned) port,
		    ais_strerror(err));
		free(s);
		return err;
	}
	di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di != NULL && di->port != 0 ? di->port : port;
	AIS_LOGN("AIS-HTTP-LISTEN", "listening on %s:%u (%ld threads)",
	    sa != NULL ? bind_host : "*", (unsigned) s->port, ncpu);
	*out = s;
	return AIS_OK;
}

uint16_t
http_server_port(const http_server *s)
{
	return s->port;
}

void
http_server_stop(http_server *s)
{
	MHD_socket lfd;
	int waited = 0;

	if (s == NULL) {
		return;
	}
	lfd = MHD_quiesce_daemon(s->mhd);
	/* Only requests whose headers are in count: idle keep-alive
	 * connections and clients still sending headers are not waited for. */
	while (atomic_load(&s->inflight) > 0 && waited < HTTP_STOP_GRACE_MS) {
		struct timespec ts = { 0, 10 * 1000000L };

		nanosleep(&ts, NULL);
		waited += 10;
	}
	MHD_stop_daemon(s->mhd);
	if (lfd != MHD_INVALID_SOCKET) {
		close(lfd); /* ours after quiesce, and only after stop */
	}
	AIS_LOGN("AIS-HTTP-STOP", "stopped listening on port %u",
	    (unsigned) s->port);
	free(s);
}
