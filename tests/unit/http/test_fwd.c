/*
 * The forwarder's HTTP/1.1 client (http/fwd.h) against a scripted server
 * thread on a loopback port: the request as written (head, raw and
 * chunked bodies), answers with Content-Length, chunked (with trailers),
 * close-delimited and HEAD bodies, a 100 Continue before the answer, a
 * short body, a malformed head, and a refused connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/fwd.h"

typedef struct test_srv {
	int lfd;
	uint16_t port;
	pthread_t thr;
	const char *answer; /* written after the request */
	size_t answer_len;
	char req[1 << 16]; /* what arrived */
	size_t req_len;
} test_srv;

/* Reads the request: head, then a Content-Length body or a chunked one up
 * to its last chunk. */
static void
test_srv_read_req(test_srv *s, int fd)
{
	char *end = NULL;

	s->req_len = 0;
	for (;;) {
		ssize_t n = recv(fd, s->req + s->req_len,
		    sizeof(s->req) - 1 - s->req_len, 0);

		if (n <= 0) {
			return;
		}
		s->req_len += (size_t) n;
		s->req[s->req_len] = '\0';
		if (end == NULL) {
			end = strstr(s->req, "\r\n\r\n");
		}
		if (end == NULL) {
			continue;
		}
		if (strstr(s->req, "Transfer-Encoding: chunked") != NULL) {
			if (strstr(end + 4, "0\r\n\r\n") != NULL) {
				return;
			}
			continue;
		}
		{
			const char *cl = strstr(s->req, "Content-Length: ");
			size_t want = cl == NULL || cl > end
			    ? 0
			    : (size_t) strtoul(cl + 16, NULL, 10);

			if (s->req_len - (size_t) (end + 4 - s->req) >= want) {
				return;
			}
		}
	}
}

static void *
test_srv_main(void *arg)
{
	test_srv *s = arg;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0) {
		return NULL;
	}
	test_srv_read_req(s, fd);
	if (s->answer_len > 0) {
		(void) send(fd, s->answer, s->answer_len, MSG_NOSIGNAL);
	}
	shutdown(fd, SHUT_WR);
	{
		char buf[256];

		while (recv(fd, buf, sizeof(buf), 0) > 0) { }
	}
	close(fd);
	return NULL;
}

static void
test_srv_start(test_srv *s, const char *answer, size_t len)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);

	memset(s, 0, sizeof(*s));
	s->answer = answer;
	s->answer_len = len;
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->lfd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *) &sa, &sl), 0);
	s->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&s->thr, NULL, test_srv_main, s), 0);
}

static void
test_srv_stop(test_srv *s)
{
	pthread_join(s->thr, NULL);
	close(s->lfd);
}

static http_fwd *
test_open(const test_srv *s)
{
	char url[64];
	http_fwd *f = NULL;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned) s->port);
	assert_int_equal(http_fwd_open(url, 2000, 2000, &f), AIS_OK);
	return f;
}

/* Reads the whole body into buf; returns its length, or -1 on error. */
static long
test_body(http_fwd *f, char *buf, size_t cap, size_t step)
{
	size_t n = 0;

	for (;;) {
		long r = http_fwd_read_body(
		    f, buf + n, cap - n < step ? cap - n : step);

		if (r < 0) {
			return -1;
		}
		if (r == 0) {
			buf[n] = '\0';
			return (long) n;
		}
		n += (size_t) r;
	}
}

static void
test_fixed(void **state)
{
	static const char ans[] = "HTTP/1.1 200 OK\r\nETag: \"abc\"\r\n"
	                          "Content-Length: 11\r\nX-Empty:\r\n\r\n"
	                          "hello world";
	test_srv s;
	http_fwd *f;
	char body[64];

	(void) state;
	test_srv_start(&s, ans, sizeof(ans) - 1);
	f = test_open(&s);
	assert_int_equal(http_fwd_printf(f,
	                     "PUT /x?a=1 HTTP/1.1\r\nHost: h\r\n"
	                     "Content-Length: 6\r\n\r\n"),
	    AIS_OK);
	assert_int_equal(http_fwd_write(f, "abcdef", 6), AIS_OK);
	assert_int_equal(http_fwd_read_head(f, false), AIS_OK);
	assert_int_equal(http_fwd_status(f), 200);
	assert_string_equal(http_fwd_hdr_get(f, "etag"), "\"abc\"");
	assert_string_equal(http_fwd_hdr_get(f, "X-Empty"), "");
	assert_null(http_fwd_hdr_get(f, "Nope"));
	assert_int_equal(http_fwd_nhdrs(f), 3);
	assert_int_equal(http_fwd_body_len(f), 11);
	assert_int_equal(test_body(f, body, sizeof(body), 3), 11);
	assert_string_equal(body, "hello world");
	assert_int_equal(http_fwd_read_body(f, body, sizeof(body)), 0);
	http_fwd_close(f);
	test_srv_stop(&s);
	assert_non_null(strstr(s.req, "PUT /x?a=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(s.req, "\r\n\r\nabcdef"));
}

static void
test_chunked(void **state)
{
	static const char ans[]
	    = "HTTP/1.1 206 Partial\r\nTransfer-Encoding: chunked\r\n\r\n"
	      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
	test_srv s;
	http_fwd *f;
	char body[64];

	(void) state;
	test_srv_start(&s, ans, sizeof(ans) - 1);
	f = test_open(&s);
	assert_int_equal(http_fwd_printf(f,
	                     "PUT /c HTTP/1.1\r\n"
	                     "Transfer-Encoding: chunked\r\n\r\n"),
	    AIS_OK);
	assert_int_equal(http_fwd_write_chunk(f, "abc", 3), AIS_OK);
	assert_int_equal(
	    http_fwd_write_chunk(f, "0123456789abcdefXY", 18), AIS_OK);
	assert_int_equal(http_fwd_write_chunk(f, NULL, 0), AIS_OK);
	assert_int_equal(http_fwd_read_head(f, false), AIS_OK);
	assert_int_equal(http_fwd_status(f), 206);
	assert_int_equal(http_fwd_body_len(f), -1);
	assert_int_equal(test_body(f, body, sizeof(body), 4), 11);
	assert_string_equal(body, "hello world");
	http_fwd_close(f);
	test_srv_stop(&s);
	assert_non_null(strstr(s.req,
	    "\r\n\r\n3\r\nabc\r\n12\r\n0123456789abcdefXY\r\n0\r\n\r\n"));
}

static void
test_close_delimited(void **state)
{
	static const char ans[] = "HTTP/1.1 100 Continue\r\n\r\n"
	                          "HTTP/1.0 404 Not Found\n"
	                          "Content-Type: text/plain\n\nuntil close";
	test_srv s;
	http_fwd *f;
	char body[64];

	(void) state;
	test_srv_start(&s, ans, sizeof(ans) - 1);
	f = test_open(&s);
	assert_int_equal(http_fwd_printf(f, "GET / HTTP/1.1\r\n\r\n"), AIS_OK);
	assert_int_equal(http_fwd_read_head(f, false), AIS_OK);
	assert_int_equal(http_fwd_status(f), 404);
	assert_string_equal(http_fwd_hdr_get(f, "content-type"), "text/plain");
	assert_int_equal(test_body(f, body, sizeof(body), 64), 11);
	assert_string_equal(body, "until close");
	http_fwd_close(f);
	test_srv_stop(&s);
}

static void
test_head(void **state)
{
	static const char ans[]
	    = "HTTP/1.1 200 OK\r\nContent-Length: 123456\r\n\r\n";
	test_srv s;
	http_fwd *f;
	char body[8];

	(void) state;
	test_srv_start(&s, ans, sizeof(ans) - 1);
	f = test_open(&s);
	assert_int_equal(
	    http_fwd_printf(f, "HEAD / HTTP/1.1\r\n\r\n"), AIS_OK);
	assert_int_equal(http_fwd_read_head(f, true), AIS_OK);
	assert_int_equal(http_fwd_body_len(f), 123456);
	assert_int_equal(http_fwd_read_body(f, body, sizeof(body)), 0);
	http_fwd_close(f);
	test_srv_stop(&s);
}

static void
test_short_body(void **state)
{
	static const char ans[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
	                          "\r\nhalf!";
	test_srv s;
	http_fwd *f;
	char body[64];

	(void) state;
	test_srv_start(&s, ans, sizeof(ans) - 1);
	f = test_open(&s);
	assert_int_equal(http_fwd_printf(f, "GET / HTTP/1.1\r\n\r\n"), AIS_OK);
	assert_int_equal(http_fwd_read_head(f, false), AIS_OK);
	assert_int_equal(test_body(f, body, sizeof(body), 64), -1);
	assert_int_equal(http_fwd_read_body(f, body, sizeof(body)), -1);
	http_fwd_close(f);
	test_srv_stop(&s);
}

static void
test_bad_heads(void **state)
{
	static const char *const ans[] = {
		"garbage\r\n\r\n",
		"HTTP/1.1 abc OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
	};

	(void) state;
	for (size_t i = 0; i < sizeof(ans) / sizeof(ans[0]); i++) {
		test_srv s;
		http_fwd *f;

		test_srv_start(&s, ans[i], strlen(ans[i]));
		f = test_open(&s);
		assert_int_equal(
		    http_fwd_printf(f, "GET / HTTP/1.1\r\n\r\n"), AIS_OK);
		assert_int_equal(http_fwd_read_head(f, false), AIS_EPROTO);
		http_fwd_close(f);
		test_srv_stop(&s);
	}
	{
		/* no answer at all */
		test_srv s;
		http_fwd *f;

		test_srv_start(&s, "", 0);
		f = test_open(&s);
		assert_int_equal(
		    http_fwd_printf(f, "GET / HTTP/1.1\r\n\r\n"), AIS_OK);
		assert_int_equal(http_fwd_read_head(f, false), AIS_EIO);
		http_fwd_close(f);
		test_srv_stop(&s);
	}
}

static void
test_refused(void **state)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char url[64];
	http_fwd *f = NULL;

	(void) state;
	/* a port that was free a moment ago */
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &sl), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/s3",
	    (unsigned) ntohs(sa.sin_port));
	assert_int_equal(
	    http_fwd_open(url, 1000, 1000, &f), AIS_ESYS | ECONNREFUSED);
	assert_null(f);
	assert_int_equal(http_fwd_open("http://", 1000, 1000, &f), AIS_EINVAL);
	assert_int_equal(
	    http_fwd_open("http://[::1", 1000, 1000, &f), AIS_EINVAL);
	http_fwd_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_close_delimited),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_short_body),
		cmocka_unit_test(test_bad_heads),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
