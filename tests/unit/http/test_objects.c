/*
 * End-to-end tests of the object data path on one live target: a real
 * http_server on an ephemeral loopback port with a hand-built target node
 * (Smap with itself, BMD with ais://b, two mountpaths in a temp dir),
 * driven by a raw socket client so that the wire is under control. Covered:
 * a PUT whose body arrives in slow pieces (streamed to the work file,
 * renamed, checksum/version headers), GET whole and ranged, HEAD sizes,
 * the open on-disk format, an upload cut short (work file removed), early
 * answers held until the body is drained (connection reused) or sent at
 * once for "Expect: 100-continue" (connection closed), 100 Continue for a
 * sink, big or "Connection: close" bodies answered without being read,
 * chunked uploads, checksum mismatches, custom metadata and DELETE.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/bprops.h"
#include "core/cksum.h"
#include "http/server.h"

#define TEST_SELF "tObj1"
#define TEST_MARK "pid=pTest&utm=1"

typedef struct test_fx {
	ais_node node;
	http_server *srv;
	uint16_t port;
	char dir[64]; /* temp dir with mp1/ mp2/ */
} test_fx;

static void
test_smap_hold(void *p)
{
	ais_smap_hold(p);
}

static void
test_smap_rele(void *p)
{
	ais_smap_rele(p);
}

static void
test_bmd_hold(void *p)
{
	ais_bmd_hold(p);
}

static void
test_bmd_rele(void *p)
{
	ais_bmd_rele(p);
}

static void
test_ccfg_hold(void *p)
{
	ais_cconfig_hold(p);
}

static void
test_ccfg_rele(void *p)
{
	ais_cconfig_rele(p);
}

static void
test_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
test_fx_setup(void **state)
{
	test_fx *fx = calloc(1, sizeof(*fx));
	ais_node *n;
	ais_smap *m = NULL;
	ais_bmd *b = NULL;
	ais_cconfig *cc = NULL;
	json_t *props = NULL;
	char mp[128];
	ais_mpath mps[2];
	ais_mpset *set = NULL;

	assert_non_null(fx);
	n = &fx->node;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ais-tobj.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	n->role = AIS_ROLE_TARGET;
	assert_int_equal(ais_snode_init(&n->self, TEST_SELF, AIS_ROLE_TARGET,
	                     "127.0.0.1", 8081, 9081, 10081),
	    AIS_OK);
	for (int i = 0; i < 2; i++) {
		snprintf(mp, sizeof(mp), "%s/mp%d", fx->dir, i + 1);
		assert_int_equal(mkdir(mp, 0755), 0);
		assert_int_equal(ais_mpath_init(&mps[i], mp), AIS_OK);
	}
	assert_int_equal(ais_mpset_new(mps, 2, NULL, 0, 1, &set), AIS_OK);
	ais_node_mpset_publish(n, set);
	ais_snapslot_init(&n->smap, test_smap_hold, test_smap_rele);
	ais_snapslot_init(&n->bmd, test_bmd_hold, test_bmd_rele);
	ais_snapslot_init(&n->ccfg, test_ccfg_hold, test_ccfg_rele);
	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	m->version = 2;
	snprintf(m->primary, sizeof(m->primary), "%s", "pNone");
	assert_int_equal(ais_smap_add(m, &n->self), AIS_OK);
	ais_snapslot_set(&n->smap, m);
	assert_int_equal(ais_cconfig_default(&cc), AIS_OK);
	assert_int_equal(
	    ais_bprops_new(cc, "ais", 4242, 1700000000000000000LL, &props),
	    AIS_OK);
	assert_int_equal(ais_bmd_alloc(&b), AIS_OK);
	b->version = 2;
	assert_int_equal(ais_bmd_add(b, "ais", NULL, "b", props), AIS_OK);
	json_decref(props);
	ais_snapslot_set(&n->bmd, b);
	ais_snapslot_set(&n->ccfg, cc);
	atomic_init(&n->joined, true);
	atomic_init(&n->cluster_ready, true);
	atomic_init(&n->stopping, false);
	assert_int_equal(
	    http_server_start(n, 0, "127.0.0.1", &fx->srv), AIS_OK);
	fx->port = http_server_port(fx->srv);
	*state = fx;
	return 0;
}

static int
test_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static int
test_fx_teardown(void **state)
{
	test_fx *fx = *state;

	http_server_stop(fx->srv);
	ais_snapslot_fini(&fx->node.smap);
	ais_snapslot_fini(&fx->node.bmd);
	ais_snapslot_fini(&fx->node.ccfg);
	ais_mpset_free_all(atomic_exchange(&fx->node.mps, NULL));
	ais_local_config_fini(&fx->node.lcfg);
	nftw(fx->dir, test_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* Socket client ------------------------------------------------------------
 */

typedef struct test_resp {
	int status;
	char head[8192]; /* status line + headers */
	char *body;
	size_t body_len;
} test_resp;

static int
test_connect(uint16_t port)
{
	struct sockaddr_in sa = { 0 };
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	/* a hang fails the test instead of the ctest timeout */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void
test_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		assert_true(n > 0);
		p += n;
		len -= (size_t) n;
	}
}

static void test_sendf(int fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
test_sendf(int fd, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t) n < sizeof(buf));
	test_send(fd, buf, (size_t) n);
}

static bool
test_hdr(const test_resp *r, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);

	for (const char *l = strstr(r->head, "\r\n"); l != NULL;
	     l = strstr(l, "\r\n")) {
		const char *end;

		l += 2;
		if (strncasecmp(l, name, nl) != 0 || l[nl] != ':') {
			continue;
		}
		l += nl + 1;
		while (*l == ' ') {
			l++;
		}
		end = strstr(l, "\r\n");
		snprintf(buf, len, "%.*s", (int) (end - l), l);
		return true;
	}
	return false;
}

/* Reads one response on a keep-alive connection: the head byte by byte
 * (so nothing of a next response is consumed), then Content-Length bytes
 * of body (none for HEAD). */
static void
test_recv(int fd, bool head_only, test_resp *r)
{
	size_t n = 0;
	char cl[32];

	memset(r, 0, sizeof(*r));
	while (n + 1 < sizeof(r->head)) {
		ssize_t k = recv(fd, r->head + n, 1, 0);

		if (k < 0 && errno == EINTR) {
			continue;
		}
		assert_true(k == 1);
		n++;
		r->head[n] = '\0';
		if (n >= 4 && memcmp(r->head + n - 4, "\r\n\r\n", 4) == 0) {
			break;
		}
	}
	assert_int_equal(sscanf(r->head, "HTTP/1.%*d %d", &r->status), 1);
	if (head_only || r->status == 100
	    || !test_hdr(r, "Content-Length", cl, sizeof(cl))) {
		r->body = calloc(1, 1);
		return;
	}
	r->body_len = strtoull(cl, NULL, 10);
	r->body = malloc(r->body_len + 1);
	assert_non_null(r->body);
	for (size_t got = 0; got < r->body_len;) {
		ssize_t k = recv(fd, r->body + got, r->body_len - got, 0);

		if (k < 0 && errno == EINTR) {
			continue;
		}
		assert_true(k > 0);
		got += (size_t) k;
	}
	r->body[r->body_len] = '\0';
}

static void
test_resp_fini(test_resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* True when the server closed the connection: EOF, or a reset when it
 * closed with unread request bytes (within the 10 s receive timeout). */
static bool
test_closed(int fd)
{
	char c;
	ssize_t k = recv(fd, &c, 1, 0);

	return k == 0 || (k < 0 && errno == ECONNRESET);
}

static char *
test_data(size_t len, unsigned seed)
{
	char *d = malloc(len + 1);

	assert_non_null(d);
	srand(seed);
	for (size_t i = 0; i < len; i++) {
		d[i] = (char) (rand() & 0xff);
	}
	return d;
}

static void
test_xxh(const char *d, size_t len, char hex[AIS_CKSUM_HEX_MAX])
{
	ais_cksum c;

	assert_int_equal(ais_cksum_init(&c, AIS_CKSUM_XXHASH2), AIS_OK);
	ais_cksum_update(&c, d, len);
	ais_cksum_final(&c, hex);
}

/* Number of files under <mp>/@ais/b/<kind> on both mountpaths. */
static int
test_count(test_fx *fx, const char *kind)
{
	int n = 0;

	for (int i = 1; i <= 2; i++) {
		char path[256];
		DIR *d;
		struct dirent *e;

		snprintf(
		    path, sizeof(path), "%s/mp%d/@ais/b/%s", fx->dir, i, kind);
		d = opendir(path);
		if (d == NULL) {
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			n += e->d_name[0] != '.';
		}
		closedir(d);
	}
	return n;
}

/* Waits until no work file is left (the abort path runs on the server's
 * thread after the client's FIN). */
static void
test_wait_no_work(test_fx *fx)
{
	for (int i = 0; i < 200 && test_count(fx, "%wk") > 0; i++) {
		test_sleep_ms(10);
	}
	assert_int_equal(test_count(fx, "%wk"), 0);
}

/* PUT with marker, Content-Length framed, body sent whole. */
static void
test_put(test_fx *fx, int fd, const char *name, const char *d, size_t len,
    const char *extra, test_resp *r)
{
	test_sendf(fd,
	    "PUT /v1/objects/b/%s?" TEST_MARK " HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
	    name, len, extra == NULL ? "" : extra);
	test_send(fd, d, len);
	test_recv(fd, false, r);
	(void) fx;
}

static void
test_get(int fd, const char *name, const char *extra, test_resp *r)
{
	test_sendf(fd, "GET /v1/objects/b/%s HTTP/1.1\r\nHost: x\r\n%s\r\n",
	    name, extra == NULL ? "" : extra);
	test_recv(fd, false, r);
}

/* Tests ------------------------------------------------------------------- */

static void
test_obj_stream_put_get(void **state)
{
	test_fx *fx = *state;
	size_t len = 1u << 20;
	char *d = test_data(len, 1);
	char hex[AIS_CKSUM_HEX_MAX];
	char v[256];
	char path[256];
	test_resp r;
	int fd = test_connect(fx->port);
	int found = 0;

	/* the body in 8 pieces, with pauses: streamed, not buffered */
	test_sendf(fd,
	    "PUT /v1/objects/b/dir/obj?" TEST_MARK " HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: %zu\r\n\r\n",
	    len);
	for (int i = 0; i < 8; i++) {
		test_send(fd, d + i * (len / 8), len / 8);
		test_sleep_ms(5);
	}
	test_recv(fd, false, &r);
	assert_int_equal(r.status, 200);
	test_xxh(d, len, hex);
	assert_true(test_hdr(&r, "Ais-Checksum-Type", v, sizeof(v)));
	assert_string_equal(v, "xxhash2");
	assert_true(test_hdr(&r, "Ais-Checksum-Value", v, sizeof(v)));
	assert_string_equal(v, hex);
	assert_true(test_hdr(&r, "Ais-Version", v, sizeof(v)));
	assert_string_equal(v, "1");
	test_resp_fini(&r);

	/* same connection: GET whole, GET a range, HEAD */
	test_get(fd, "dir/obj", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, len);
	assert_memory_equal(r.body, d, len);
	test_resp_fini(&r);
	test_get(fd, "dir/obj", "Range: bytes=1000-1999\r\n", &r);
	assert_int_equal(r.status, 206);
	assert_int_equal(r.body_len, 1000);
	assert_memory_equal(r.body, d + 1000, 1000);
	assert_true(test_hdr(&r, "Content-Range", v, sizeof(v)));
	assert_string_equal(v, "bytes 1000-1999/1048576");
	assert_false(test_hdr(&r, "Ais-Checksum-Value", v, sizeof(v)));
	test_resp_fini(&r);
	test_sendf(
	    fd, "HEAD /v1/objects/b/dir/obj HTTP/1.1\r\nHost: x\r\n\r\n");
	test_recv(fd, true, &r);
	assert_int_equal(r.status, 200);
	assert_true(test_hdr(&r, "Content-Length", v, sizeof(v)));
	assert_string_equal(v, "1048576");
	assert_true(test_hdr(&r, "Ais-Version", v, sizeof(v)));
	test_resp_fini(&r);
	close(fd);

	/* the open format: a plain file on one mountpath */
	for (int i = 1; i <= 2; i++) {
		FILE *f;
		char *disk = malloc(len);

		snprintf(path, sizeof(path), "%s/mp%d/@ais/b/%%ob/dir/obj",
		    fx->dir, i);
		f = fopen(path, "rb");
		if (f != NULL) {
			assert_int_equal(fread(disk, 1, len, f), len);
			assert_memory_equal(disk, d, len);
			fclose(f);
			found++;
		}
		free(disk);
	}
	assert_int_equal(found, 1);
	assert_int_equal(test_count(fx, "%wk"), 0);
	free(d);
}

static void
test_obj_put_cut_short(void **state)
{
	test_fx *fx = *state;
	size_t len = 1u << 20;
	char *d = test_data(len, 2);
	test_resp r;
	int fd = test_connect(fx->port);
	int i;

	test_sendf(fd,
	    "PUT /v1/objects/b/cut?" TEST_MARK " HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: %zu\r\n\r\n",
	    len);
	test_send(fd, d, len / 3);
	for (i = 0; i < 200 && test_count(fx, "%wk") == 0; i++) {
		test_sleep_ms(10);
	}
	assert_int_equal(test_count(fx, "%wk"), 1); /* streaming to disk */
	close(fd);
	test_wait_no_work(fx);
	fd = test_connect(fx->port);
	test_get(fd, "cut", NULL, &r);
	assert_int_equal(r.status, 404);
	test_resp_fini(&r);
	close(fd);
	free(d);
}

static void
test_obj_early_answer_drains(void **state)
{
	test_fx *fx = *state;
	size_t len = 300000;
	char *d = test_data(len, 3);
	test_resp r;
	int fd = test_connect(fx->port);

	/* no marker: refused from the headers, answered once the body is in,
	 * and the connection carries on */
	test_sendf(fd,
	    "PUT /v1/objects/b/x HTTP/1.1\r\nHost: x\r\nContent-Length: "
	    "%zu\r\n"
	    "\r\n",
	    len);
	test_send(fd, d, len);
	test_recv(fd, false, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "is expected to be redirected"));
	test_resp_fini(&r);
	test_get(fd, "nope", NULL, &r);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body, "ais://b/nope does not exist"));
	test_resp_fini(&r);
	/* and the same for a missing bucket */
	test_sendf(fd,
	    "PUT /v1/objects/nob/x?" TEST_MARK " HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: %zu\r\n\r\n",
	    len);
	test_send(fd, d, len);
	test_recv(fd, false, &r);
	assert_int_equal(r.status, 404);
	assert_non_null(
	    strstr(r.body, "bucket \\\"ais://nob\\\" does not exist"));
	test_resp_fini(&r);
	test_get(fd, "nope", NULL, &r);
	assert_int_equal(r.status, 404);
	test_resp_fini(&r);
	close(fd);
	assert_int_equal(test_count(fx, "%wk"), 0);
	free(d);
}

static void
test_obj_expect_continue(void **state)
{
	test_fx *fx = *state;
	size_t len = 200000;
	char *d = test_data(len, 4);
	test_resp r;
	int fd = test_connect(fx->port);

	/* refused early: answered at once, no 100, then closed */
	test_sendf(fd,
	    "PUT /v1/objects/b/x HTTP/1.1\r\nHost: x\r\nContent-Length: "
	    "%zu\r\n"
	    "Expect: 100-continue\r\n\r\n",
	    len);
	test_recv(fd, false, &r);
	assert_int_equal(r.status, 400);
	test_resp_fini(&r);
	assert_true(test_closed(fd));
	close(fd);

	/* a big declared body is not waited for (nor read): answered at
	 * once, then closed -- a proxy never ingests object bytes */
	fd = test_connect(fx->port);
	test_sendf(fd,
	    "PUT /v1/objects/b/x HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 104857600\r\n\r\n");
	test_send(fd, d, 1000);
	test_recv(fd, false, &r);
	assert_int_equal(r.status, 400);
	test_resp_fini(&r);
	assert_true(test_closed(fd));
	close(fd);

	/* the Python SDK's two-step over HTTPS: real Content-Length,
	 * Connection: close, no body until the redirect is known */
	fd = test_connect(fx->port);
	test_sendf(fd,
	    "PUT /v1/objects/nob/x?" TEST_MARK " HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 1000\r\nConnection: close\r\n\r\n");
	test_recv(fd, false, &r);
	assert_int_equal(r.status, 404);
	test_resp_fini(&r);
	assert_true(test_closed(fd));
	close(fd);

	/* accepted: 100 Continue, then the body, then 200 */
	fd = test_connect(fx->port);
	test_sendf(fd,
	    "PUT /v1/objects/b/cont?" TEST_MARK " HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: %zu\r\nExpect: 100-continue\r\n\r\n",
	    len);
	test_recv(fd, false, &r);
	assert_int_equal(r.status, 100);
	test_resp_fini(&r);
	test_send(fd, d, len);
	test_recv(fd, false, &r);
	assert_int_equal(r.status, 200);
	test_resp_fini(&r);
	test_get(fd, "cont", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, len);
	assert_memory_equal(r.body, d, len);
	test_resp_fini(&r);
	close(fd);
	free(d);
}

static void
test_obj_chunked(void **state)
{
	test_fx *fx = *state;
	char *d = test_data(70000, 5);
	test_resp r;
	int fd = test_connect(fx->port);

	test_sendf(fd,
	    "PUT /v1/objects/b/chunked?" TEST_MARK " HTTP/1.1\r\n"
	    "Host: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 7; i++) {
		test_sendf(fd, "%x\r\n", 10000);
		test_send(fd, d + i * 10000, 10000);
		test_sendf(fd, "\r\n");
		test_sleep_ms(2);
	}
	test_sendf(fd, "0\r\n\r\n");
	test_recv(fd, false, &r);
	assert_int_equal(r.status, 200);
	test_resp_fini(&r);
	test_get(fd, "chunked", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 70000);
	assert_memory_equal(r.body, d, 70000);
	test_resp_fini(&r);
	close(fd);
	free(d);
}

static void
test_obj_checksum_and_custom(void **state)
{
	test_fx *fx = *state;
	size_t len = 50000;
	char *d = test_data(len, 6);
	char hex[AIS_CKSUM_HEX_MAX];
	char extra[256];
	char v[64];
	test_resp r;
	int fd = test_connect(fx->port);

	test_put(fx, fd, "ck", d, len,
	    "Ais-Checksum-Type: xxhash2\r\n"
	    "Ais-Checksum-Value: 0000000000000000\r\n",
	    &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "BAD DATA CHECKSUM"));
	test_resp_fini(&r);
	test_get(fd, "ck", NULL, &r);
	assert_int_equal(r.status, 404);
	test_resp_fini(&r);
	assert_int_equal(test_count(fx, "%wk"), 0);

	test_xxh(d, len, hex);
	snprintf(extra, sizeof(extra),
	    "Ais-Checksum-Type: xxhash2\r\nAis-Checksum-Value: %s\r\n"
	    "Ais-Custom-Md: color=blue\r\nAis-Custom-Md: ETag=abc\r\n",
	    hex);
	test_put(fx, fd, "ck", d, len, extra, &r);
	assert_int_equal(r.status, 200);
	test_resp_fini(&r);
	test_get(fd, "ck", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.head, "\r\nAis-Custom-Md: color=blue\r\n"));
	assert_non_null(strstr(r.head, "\r\nAis-Custom-Md: ETag=abc\r\n"));
	assert_true(test_hdr(&r, "ETag", v, sizeof(v)));
	assert_string_equal(v, "\"abc\"");
	test_resp_fini(&r);

	/* overwrite: version 2, custom metadata replaced */
	test_put(fx, fd, "ck", d, 10, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(test_hdr(&r, "Ais-Version", v, sizeof(v)));
	assert_string_equal(v, "2");
	test_resp_fini(&r);
	test_get(fd, "ck", NULL, &r);
	assert_int_equal(r.body_len, 10);
	assert_null(strstr(r.head, "Ais-Custom-Md"));
	test_resp_fini(&r);
	close(fd);
	free(d);
}

static void
test_obj_names_and_delete(void **state)
{
	test_fx *fx = *state;
	test_resp r;
	int fd = test_connect(fx->port);

	test_put(fx, fd, "del/me", "abc", 3, NULL, &r);
	assert_int_equal(r.status, 200);
	test_resp_fini(&r);
	/* a name that is a directory (of other objects' paths) on either
	 * mountpath HRW may pick */
	for (int i = 1; i <= 2; i++) {
		static const char *const dirs[]
		    = { "@ais", "@ais/b", "@ais/b/%ob", "@ais/b/%ob/del" };

		for (size_t k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
			char path[256];

			snprintf(path, sizeof(path), "%s/mp%d/%s", fx->dir, i,
			    dirs[k]);
			mkdir(path, 0755);
		}
	}
	test_put(fx, fd, "del", "abc", 3, NULL, &r);
	assert_int_equal(r.status, 409);
	test_resp_fini(&r);
	test_get(fd, "del", NULL, &r);
	assert_int_equal(r.status, 404);
	test_resp_fini(&r);
	test_get(fd, "a/../b", NULL, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "invalid object name"));
	test_resp_fini(&r);
	test_get(fd, "a%2F..%2Fb", NULL, &r);
	assert_int_equal(r.status, 400);
	test_resp_fini(&r);

	test_sendf(
	    fd, "DELETE /v1/objects/b/del/me HTTP/1.1\r\nHost: x\r\n\r\n");
	test_recv(fd, false, &r);
	assert_int_equal(r.status, 400); /* no marker */
	test_resp_fini(&r);
	test_sendf(fd,
	    "DELETE /v1/objects/b/del/me?" TEST_MARK
	    " HTTP/1.1\r\nHost: x\r\n\r\n");
	test_recv(fd, false, &r);
	assert_int_equal(r.status, 200);
	test_resp_fini(&r);
	test_sendf(fd,
	    "DELETE /v1/objects/b/del/me?" TEST_MARK
	    " HTTP/1.1\r\nHost: x\r\n\r\n");
	test_recv(fd, false, &r);
	assert_int_equal(r.status, 404);
	test_resp_fini(&r);
	test_sendf(
	    fd, "HEAD /v1/objects/b/del/me HTTP/1.1\r\nHost: x\r\n\r\n");
	test_recv(fd, true, &r);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.head, "Hdr-Error: "));
	test_resp_fini(&r);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_obj_stream_put_get, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_obj_put_cut_short, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(test_obj_early_answer_drains,
		    test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_obj_expect_continue, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_obj_chunked, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(test_obj_checksum_and_custom,
		    test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(test_obj_names_and_delete,
		    test_fx_setup, test_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
