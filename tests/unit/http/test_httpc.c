/*
 * Unit tests for http/httpc: parallel requests against tiny scripted TCP
 * servers (answer, answer too much, never answer), a refused connection,
 * the response bound, the batch deadline, GET with a body, header
 * passing, error text extraction and URL escaping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/httpc.h"

/* A one-connection server: reads the request head (and body, by
 * Content-Length), keeps it, then writes `reply` (NULL = never answer,
 * hold the connection until closed by the client). */
typedef struct srv {
	int lfd;
	uint16_t port;
	const char *reply;
	char req[8192];
	pthread_t th;
} srv;

static void *
srv_run(void *arg)
{
	srv *s = arg;
	int fd = accept(s->lfd, NULL, NULL);
	size_t n = 0;
	const char *cl;
	size_t need = 0;

	if (fd < 0) {
		return NULL;
	}
	for (;;) {
		ssize_t k = read(fd, s->req + n, sizeof(s->req) - 1 - n);
		char *end;

		if (k <= 0) {
			break;
		}
		n += (size_t) k;
		s->req[n] = '\0';
		end = strstr(s->req, "\r\n\r\n");
		if (end == NULL) {
			continue;
		}
		cl = strcasestr(s->req, "Content-Length:");
		need = (size_t) (end + 4 - s->req)
		    + (cl != NULL ? (size_t) atoi(cl + 15) : 0);
		if (n >= need) {
			break;
		}
	}
	if (s->reply != NULL) {
		(void) write(fd, s->reply, strlen(s->reply));
	} else {
		char c;

		while (read(fd, &c, 1) > 0) { }
	}
	close(fd);
	return NULL;
}

static void
srv_start(srv *s, const char *reply)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->reply = reply;
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->lfd, (struct sockaddr *) &a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *) &a, &len), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, srv_run, s), 0);
}

static void
srv_stop(srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
}

static int
group_setup(void **state)
{
	(void) state;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void) state;
	curl_global_cleanup();
	return 0;
}

static void
test_parallel(void **state)
{
	srv ok;
	srv big;
	srv err;
	char u[3][64];
	http_creq q[3];
	char why[200];
	static const char body[] = "{\"action\":\"list\"}";

	(void) state;
	srv_start(&ok,
	    "HTTP/1.1 200 OK\r\nContent-Type: application/msgpack\r\n"
	    "Content-Length: 5\r\nConnection: close\r\n\r\nhello");
	srv_start(&big,
	    "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
	    "Connection: close\r\n\r\n"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "01234567890123456789");
	srv_start(&err,
	    "HTTP/1.1 404 Not Found\r\nContent-Type: "
	    "application/json\r\nContent-Length: 40\r\n"
	    "Connection: close\r\n\r\n"
	    "{\"message\":\"bucket gone\",\"status\":404}  ");
	memset(q, 0, sizeof(q));
	for (int i = 0; i < 3; i++) {
		snprintf(u[i], sizeof(u[i]), "http://127.0.0.1:%u/v1/x?a=1",
		    (unsigned) (i == 0 ? ok.port
		            : i == 1   ? big.port
		                       : err.port));
		q[i].method = "GET";
		q[i].url = u[i];
	}
	q[0].body = body;
	q[0].body_len = strlen(body);
	q[0].hdrs[0] = "Accept: application/msgpack";
	q[1].max_resp = 10;
	assert_int_equal(http_client_run(q, 3, 5000), AIS_OK);

	assert_int_equal(q[0].err, AIS_OK);
	assert_int_equal(q[0].status, 200);
	assert_int_equal(q[0].resp_len, 5);
	assert_string_equal(q[0].resp, "hello");
	assert_string_equal(q[0].ctype, "application/msgpack");
	/* the GET went out with its body and headers */
	assert_non_null(strstr(ok.req, "GET /v1/x?a=1 HTTP/1.1"));
	assert_non_null(strstr(ok.req, "Accept: application/msgpack"));
	assert_non_null(strstr(ok.req, "Content-Type: application/json"));
	assert_non_null(strstr(ok.req, body));
	assert_null(strstr(ok.req, "Expect:"));

	assert_int_equal(q[1].err, AIS_EPROTO);
	assert_null(q[1].resp);
	http_creq_errmsg(&q[1], why, sizeof(why));
	assert_non_null(strstr(why, "larger than 10 bytes"));

	assert_int_equal(q[2].err, AIS_OK);
	assert_int_equal(q[2].status, 404);
	http_creq_errmsg(&q[2], why, sizeof(why));
	assert_string_equal(why, "bucket gone");

	for (int i = 0; i < 3; i++) {
		http_creq_fini(&q[i]);
	}
	srv_stop(&ok);
	srv_stop(&big);
	srv_stop(&err);
}

static void
test_timeout_and_refused(void **state)
{
	srv mute;
	char u[2][64];
	http_creq q[2];
	struct timespec t0;
	struct timespec t1;
	long ms;
	int fd;
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	(void) state;
	srv_start(&mute, NULL);
	/* a port nobody listens on: bind, read the port, close */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &a, &len), 0);
	close(fd);

	memset(q, 0, sizeof(q));
	snprintf(u[0], sizeof(u[0]), "http://127.0.0.1:%u/", mute.port);
	snprintf(u[1], sizeof(u[1]), "http://127.0.0.1:%u/",
	    (unsigned) ntohs(a.sin_port));
	q[0].method = "PUT";
	q[0].url = u[0];
	q[0].body = "x";
	q[0].body_len = 1;
	q[1].method = "DELETE";
	q[1].url = u[1];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(http_client_run(q, 2, 300), AIS_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000
	    + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 250 && ms < 3000);
	assert_int_equal(q[0].err, AIS_ETIMEDOUT);
	assert_int_equal(q[0].status, 0);
	assert_int_equal(q[1].err, AIS_EIO);
	assert_true(q[1].errmsg[0] != '\0');
	http_creq_fini(&q[0]);
	http_creq_fini(&q[1]);
	srv_stop(&mute);

	/* nothing to do */
	assert_int_equal(http_client_run(NULL, 0, 100), AIS_OK);
	http_creq_fini(NULL);
}

static void
test_escape(void **state)
{
	char buf[64];

	(void) state;
	assert_true(http_client_escape("@#prod", buf, sizeof(buf)));
	assert_string_equal(buf, "%40%23prod");
	assert_true(http_client_escape("a-b_c.d~e/f g", buf, sizeof(buf)));
	assert_string_equal(buf, "a-b_c.d~e%2Ff%20g");
	assert_true(http_client_escape("", buf, sizeof(buf)));
	assert_string_equal(buf, "");
	assert_false(http_client_escape("@@@@", buf, 12));
	assert_true(http_client_escape("@@@", buf, 10));
	assert_false(http_client_escape("x", buf, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_timeout_and_refused),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
