/*
 * The reverse-proxy forwarder: a minimal HTTP/1.1 client on one plain
 * blocking TCP socket, for requests whose bodies must stream both ways
 * without ever sitting whole in memory -- a proxy relaying an S3 PutObject
 * to the owning target chunk by chunk as its client sends it, and the
 * target's answer back as the client reads it; a target copying an object
 * to another target. (The libcurl client in httpc.h buffers whole answers
 * and drives its own loop, which suits fan-out, not relaying.)
 *
 * One request per connection: open, write the head, write the body (raw,
 * or HTTP-chunked when its length is unknown), read the answer's head,
 * read its body (Content-Length, chunked, or until close), close. Every
 * call blocks the calling thread, bounded by the timeouts given at open
 * (connect, and each send/recv). Not thread-safe: one user at a time.
 * Bounded memory: the answer's head (at most HTTP_FWD_HEAD_MAX) and a
 * 16 KiB read buffer.
 */
#ifndef AIS_HTTP_FWD_H
#define AIS_HTTP_FWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define HTTP_FWD_HEAD_MAX (64u * 1024u) /* answer status line + headers */
#define HTTP_FWD_HDRS_MAX 128           /* answer headers kept */

typedef struct http_fwd http_fwd;

/* Connects to base_url ("http://host:port", anything after the port is
 * ignored) within connect_ms; later sends and receives each wait at most
 * io_ms. AIS_EINVAL (bad URL), AIS_ESYS|errno (ECONNREFUSED, ETIMEDOUT,
 * ...), AIS_ENOMEM. */
ais_err http_fwd_open(
    const char *base_url, int connect_ms, int io_ms, http_fwd **out);
/* Closes the connection and frees f. Accepts NULL. */
void http_fwd_close(http_fwd *f);

/* Writes all n bytes (request head or raw body). AIS_ESYS|errno on a
 * failure (EPIPE, ECONNRESET, EAGAIN on timeout); the answer may still be
 * readable (a server that answered early and stopped reading). */
ais_err http_fwd_write(http_fwd *f, const void *p, size_t n);
/* printf into the connection (request line and headers); at most 8 KiB. */
ais_err http_fwd_printf(http_fwd *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One HTTP/1.1 chunk of a chunked request body; n == 0 writes the last
 * chunk ("0\r\n\r\n"). */
ais_err http_fwd_write_chunk(http_fwd *f, const void *p, size_t n);

/* Reads the answer's status line and headers. head_req: the request was a
 * HEAD (no body follows whatever the headers say). AIS_EPROTO on a
 * malformed or oversized head, AIS_ESYS|errno or AIS_EIO (closed) on a
 * transport failure. */
ais_err http_fwd_read_head(http_fwd *f, bool head_req);
/* After read_head: the status, the headers (name/value pairs, borrowed
 * from f) and the announced body length (-1: unknown -- chunked or until
 * close; 0 for 204 and 304; for a HEAD the Content-Length the server
 * announced, though no body follows). */
int http_fwd_status(const http_fwd *f);
size_t http_fwd_nhdrs(const http_fwd *f);
void http_fwd_hdr(
    const http_fwd *f, size_t i, const char **name, const char **value);
/* The first value of header name (case-insensitive), or NULL. */
const char *http_fwd_hdr_get(const http_fwd *f, const char *name);
int64_t http_fwd_body_len(const http_fwd *f);

/* Reads up to max bytes of the answer's body (de-chunked). Returns the
 * count, 0 at the end of the body, or -1 on an error (a short or
 * malformed body, a transport failure or timeout). */
long http_fwd_read_body(http_fwd *f, char *buf, size_t max);

#endif
