/*
 * The forwarder's HTTP/1.1 client (fwd.h). Blocking socket with
 * SO_SNDTIMEO/SO_RCVTIMEO for the per-call bound, a non-blocking connect
 * polled for the connect bound, MSG_NOSIGNAL so that a peer that went away
 * is an EPIPE and not a signal. The answer's head is read into one bounded
 * buffer and split in place; body bytes that arrived with it move to the
 * read buffer, from which read_body serves fixed-length, chunked and
 * close-delimited bodies.
 */
#include "http/fwd.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTP_FWD_RBUF     (16u * 1024u)
#define HTTP_FWD_LINE_MAX 1024 /* chunk-size and trailer lines */

typedef enum http_fwd_body {
	HTTP_FWD_BODY_NONE = 0, /* nothing (HEAD, 204, 304) */
	HTTP_FWD_BODY_FIXED,    /* Content-Length */
	HTTP_FWD_BODY_CHUNKED,
	HTTP_FWD_BODY_CLOSE, /* until the server closes */
} http_fwd_body;

struct http_fwd {
	int fd;
	/* answer head, split in place into NUL-terminated pairs */
	char *head;
	size_t head_len;
	int status;
	size_t nhdrs;
	const char *hdrs[HTTP_FWD_HDRS_MAX][2];
	/* body */
	http_fwd_body mode;
	int64_t body_len; /* as announced; -1 unknown */
	uint64_t left;    /* fixed: bytes left; chunked: in this chunk */
	bool chunk_open;  /* chunked: inside a chunk's data */
	bool body_done;
	bool failed;
	/* read buffer */
	char rbuf[HTTP_FWD_RBUF];
	size_t rpos, rlen;
};

/* Connecting -------------------------------------------------------------- */

/* "http://host:port[/...]" -> host, port. */
static bool
http_fwd_parse_url(
    const char *url, char *host, size_t hlen, char *port, size_t plen)
{
	const char *p = url;
	const char *h;
	const char *e;
	size_t n;

	if (strncmp(p, "http://", 7) == 0) {
		p += 7;
	}
	if (*p == '[') {
		h = p + 1;
		e = strchr(h, ']');
		if (e == NULL) {
			return false;
		}
		n = (size_t) (e - h);
		p = e + 1;
	} else {
		h = p;
		e = h + strcspn(h, ":/");
		n = (size_t) (e - h);
		p = e;
	}
	if (n == 0 || n >= hlen) {
		return false;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	if (*p != ':') {
		snprintf(port, plen, "80");
		return true;
	}
	p++;
	n = strspn(p, "0123456789");
	if (n == 0 || n >= plen) {
		return false;
	}
	memcpy(port, p, n);
	port[n] = '\0';
	return true;
}

static int
http_fwd_connect(const struct addrinfo *ai, int connect_ms)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int fl;
	int e = 0;
	socklen_t el = sizeof(e);
	struct pollfd pfd;

	if (fd < 0) {
		return -errno;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		e = errno;
		goto fail;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		int rc;

		if (errno != EINPROGRESS) {
			e = errno;
			goto fail;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do {
			rc = poll(&pfd, 1, connect_ms);
		} while (rc < 0 && errno == EINTR);
		if (rc == 0) {
			e = ETIMEDOUT;
			goto fail;
		}
		if (rc < 0) {
			e = errno;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0) {
			e = errno;
		}
		if (e != 0) {
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, fl) != 0) {
		e = errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -e;
}

ais_err
http_fwd_open(const char *base_url, int connect_ms, int io_ms, http_fwd **out)
{
	char host[256];
	char port[8];
	struct addrinfo hints = { 0 };
	struct addrinfo *res = NULL;
	struct timeval tv;
	int one = 1;
	int fd = -ECONNREFUSED;
	http_fwd *f;

	*out = NULL;
	if (!http_fwd_parse_url(
	        base_url, host, sizeof(host), port, sizeof(port))) {
		return AIS_EINVAL;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0) {
		return AIS_EINVAL;
	}
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = http_fwd_connect(ai, connect_ms);
		if (fd >= 0) {
			break;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		return AIS_ESYS | -fd;
	}
	tv.tv_sec = io_ms / 1000;
	tv.tv_usec = (io_ms % 1000) * 1000;
	(void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		close(fd);
		return AIS_ENOMEM;
	}
	f->fd = fd;
	f->body_len = -1;
	*out = f;
	return AIS_OK;
}

void
http_fwd_close(http_fwd *f)
{
	if (f == NULL) {
		return;
	}
	if (f->fd >= 0) {
		close(f->fd);
	}
	free(f->head);
	free(f);
}

/* Sending ----------------------------------------------------------------- */

ais_err
http_fwd_write(http_fwd *f, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = send(f->fd, s, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			return AIS_ESYS | errno;
		}
		s += w;
		n -= (size_t) w;
	}
	return AIS_OK;
}

ais_err
http_fwd_printf(http_fwd *f, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= sizeof(buf)) {
		return AIS_EINVAL;
	}
	return http_fwd_write(f, buf, (size_t) n);
}

ais_err
http_fwd_write_chunk(http_fwd *f, const void *p, size_t n)
{
	ais_err err;

	if (n == 0) {
		return http_fwd_write(f, "0\r\n\r\n", 5);
	}
	err = http_fwd_printf(f, "%zx\r\n", n);
	if (err == AIS_OK) {
		err = http_fwd_write(f, p, n);
	}
	if (err == AIS_OK) {
		err = http_fwd_write(f, "\r\n", 2);
	}
	return err;
}

/* Receiving --------------------------------------------------------------- */

/* Makes sure the read buffer has bytes: >0 available, 0 closed, -1 error
 * (errno set). */
static long
http_fwd_fill(http_fwd *f)
{
	ssize_t n;

	if (f->rpos < f->rlen) {
		return (long) (f->rlen - f->rpos);
	}
	f->rpos = f->rlen = 0;
	do {
		n = recv(f->fd, f->rbuf, sizeof(f->rbuf), 0);
	} while (n < 0 && errno == EINTR);
	if (n <= 0) {
		return n == 0 ? 0 : -1;
	}
	f->rlen = (size_t) n;
	return (long) n;
}

/* One CRLF- (or LF-) terminated line from the buffer into line (NUL-
 * terminated, without the end of line). false on EOF, error, or a line
 * longer than len - 1. */
static bool
http_fwd_line(http_fwd *f, char *line, size_t len)
{
	size_t n = 0;

	for (;;) {
		char c;

		if (http_fwd_fill(f) <= 0) {
			return false;
		}
		c = f->rbuf[f->rpos++];
		if (c == '\n') {
			if (n > 0 && line[n - 1] == '\r') {
				n--;
			}
			line[n] = '\0';
			return true;
		}
		if (n + 1 >= len) {
			return false;
		}
		line[n++] = c;
	}
}

static char *
http_fwd_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t') {
		s++;
	}
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
		s[--n] = '\0';
	}
	return s;
}

/* Splits f->head (status line + header lines, NUL-terminated) in place. */
static ais_err
http_fwd_parse_head(http_fwd *f)
{
	char *line = f->head;
	char *next;
	char *end;
	long st;

	next = strstr(line, "\r\n");
	if (next == NULL || strncmp(line, "HTTP/1.", 7) != 0) {
		return AIS_EPROTO;
	}
	*next = '\0';
	st = strtol(line + 8, &end, 10);
	if (line[8] == '\0' || st < 100 || st > 999
	    || (*end != ' ' && *end != '\0')) {
		return AIS_EPROTO;
	}
	f->status = (int) st;
	f->nhdrs = 0;
	for (line = next + 2; *line != '\0'; line = next + 2) {
		char *colon;

		next = strstr(line, "\r\n");
		if (next == NULL) {
			return AIS_EPROTO;
		}
		*next = '\0';
		if (line[0] == '\0') {
			break;
		}
		colon = strchr(line, ':');
		if (colon == NULL || colon == line) {
			return AIS_EPROTO;
		}
		*colon = '\0';
		if (f->nhdrs < HTTP_FWD_HDRS_MAX) {
			f->hdrs[f->nhdrs][0] = http_fwd_trim(line);
			f->hdrs[f->nhdrs][1] = http_fwd_trim(colon + 1);
			f->nhdrs++;
		}
	}
	return AIS_OK;
}

/* Reads one head (up to the empty line) into f->head. */
static ais_err
http_fwd_read_one_head(http_fwd *f)
{
	size_t cap = HTTP_FWD_HEAD_MAX;

	free(f->head);
	f->head = malloc(cap + 1);
	if (f->head == NULL) {
		return AIS_ENOMEM;
	}
	f->head_len = 0;
	for (;;) {
		long n = http_fwd_fill(f);
		char c;

		if (n < 0) {
			return AIS_ESYS | errno;
		}
		if (n == 0) {
			return AIS_EIO;
		}
		c = f->rbuf[f->rpos++];
		if (c == '\n'
		    && (f->head_len == 0
		        || f->head[f->head_len - 1] != '\r')) {
			/* bare LF: normalize to CRLF for the parser */
			if (f->head_len + 2 > cap) {
				return AIS_EPROTO;
			}
			f->head[f->head_len++] = '\r';
		}
		if (f->head_len + 1 > cap) {
			return AIS_EPROTO;
		}
		f->head[f->head_len++] = c;
		if (f->head_len >= 4
		    && memcmp(f->head + f->head_len - 4, "\r\n\r\n", 4) == 0) {
			f->head[f->head_len] = '\0';
			return http_fwd_parse_head(f);
		}
	}
}

ais_err
http_fwd_read_head(http_fwd *f, bool head_req)
{
	const char *te;
	const char *cl;
	ais_err err;

	do {
		err = http_fwd_read_one_head(f);
		if (err != AIS_OK) {
			return err;
		}
	} while (f->status >= 100 && f->status < 200); /* 100 Continue */
	te = http_fwd_hdr_get(f, "Transfer-Encoding");
	cl = http_fwd_hdr_get(f, "Content-Length");
	f->body_len = -1;
	if (cl != NULL) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(cl, &end, 10);
		if (errno != 0 || end == cl || *end != '\0'
		    || v > (unsigned long long) INT64_MAX) {
			return AIS_EPROTO;
		}
		f->body_len = (int64_t) v;
	}
	if (head_req || f->status == 204 || f->status == 304) {
		f->mode = HTTP_FWD_BODY_NONE;
		if (!head_req) {
			f->body_len = 0;
		}
		f->body_done = true;
	} else if (te != NULL && strcasestr(te, "chunked") != NULL) {
		f->mode = HTTP_FWD_BODY_CHUNKED;
		f->body_len = -1;
	} else if (f->body_len >= 0) {
		f->mode = HTTP_FWD_BODY_FIXED;
		f->left = (uint64_t) f->body_len;
		f->body_done = f->left == 0;
	} else {
		f->mode = HTTP_FWD_BODY_CLOSE;
	}
	return AIS_OK;
}

int
http_fwd_status(const http_fwd *f)
{
	return f->status;
}

size_t
http_fwd_nhdrs(const http_fwd *f)
{
	return f->nhdrs;
}

void
http_fwd_hdr(
    const http_fwd *f, size_t i, const char **name, const char **value)
{
	*name = f->hdrs[i][0];
	*value = f->hdrs[i][1];
}

const char *
http_fwd_hdr_get(const http_fwd *f, const char *name)
{
	for (size_t i = 0; i < f->nhdrs; i++) {
		if (strcasecmp(f->hdrs[i][0], name) == 0) {
			return f->hdrs[i][1];
		}
	}
	return NULL;
}

int64_t
http_fwd_body_len(const http_fwd *f)
{
	return f->body_len;
}

/* Copies up to max (and at most `limit`) buffered/received bytes. */
static long
http_fwd_take(http_fwd *f, char *buf, size_t max, uint64_t limit)
{
	long n = http_fwd_fill(f);
	size_t take;

	if (n <= 0) {
		return n;
	}
	take = (size_t) n;
	if (take > max) {
		take = max;
	}
	if ((uint64_t) take > limit) {
		take = (size_t) limit;
	}
	memcpy(buf, f->rbuf + f->rpos, take);
	f->rpos += take;
	return (long) take;
}

static long
http_fwd_read_chunked(http_fwd *f, char *buf, size_t max)
{
	char line[HTTP_FWD_LINE_MAX];
	long n;

	if (!f->chunk_open) {
		char *end;
		unsigned long long v;

		if (!http_fwd_line(f, line, sizeof(line))) {
			return -1;
		}
		errno = 0;
		v = strtoull(line, &end, 16);
		if (errno != 0 || end == line) {
			return -1;
		}
		if (v == 0) {
			/* trailers up to the empty line */
			do {
				if (!http_fwd_line(f, line, sizeof(line))) {
					return -1;
				}
			} while (line[0] != '\0');
			f->body_done = true;
			return 0;
		}
		f->left = v;
		f->chunk_open = true;
	}
	n = http_fwd_take(f, buf, max, f->left);
	if (n <= 0) {
		return -1;
	}
	f->left -= (uint64_t) n;
	if (f->left == 0) {
		if (!http_fwd_line(f, line, sizeof(line)) || line[0] != '\0') {
			return -1;
		}
		f->chunk_open = false;
	}
	return n;
}

long
http_fwd_read_body(http_fwd *f, char *buf, size_t max)
{
	long n;

	if (f->failed) {
		return -1;
	}
	if (f->body_done || max == 0) {
		return 0;
	}
	switch (f->mode) {
	case HTTP_FWD_BODY_FIXED:
		n = http_fwd_take(f, buf, max, f->left);
		if (n <= 0) {
			n = -1; /* short body */
			break;
		}
		f->left -= (uint64_t) n;
		f->body_done = f->left == 0;
		break;
	case HTTP_FWD_BODY_CHUNKED:
		n = http_fwd_read_chunked(f, buf, max);
		break;
	case HTTP_FWD_BODY_CLOSE:
		n = http_fwd_take(f, buf, max, UINT64_MAX);
		if (n == 0) {
			f->body_done = true;
		}
		break;
	case HTTP_FWD_BODY_NONE:
	default:
		return 0;
	}
	if (n < 0) {
		f->failed = true;
	}
	return n;
}
