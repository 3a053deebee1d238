/*
 * Unit tests of http/router.c (method names, Allow lists, route matching)
 * and, end to end, of the server itself: a real http_server on an ephemeral
 * loopback port with a hand-built proxy node (role, Snode, published Smap,
 * BMD and cluster config), queried with a plain socket client. Covered:
 * health with uptime headers, readiness and prr (primary, and a non-primary
 * forwarding to a stand-in primary actor over tcp), 404/405 JSON errors
 * with Allow, HEAD errors in Hdr-Error, daemon/cluster what= queries, GET
 * bodies and the 1 MiB body limit, and a taken port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "http/server.h"
#include "proto/cluster.pb-c.h"

#define TEST_SELF  "KQdp8080"
#define TEST_OTHER "Prim0001"

/* Router, no server ------------------------------------------------------- */

static void
test_router_methods(void **state)
{
	(void) state;
	assert_int_equal(http_method_parse("GET"), HTTP_M_GET);
	assert_int_equal(http_method_parse("HEAD"), HTTP_M_HEAD);
	assert_int_equal(http_method_parse("PATCH"), HTTP_M_PATCH);
	assert_int_equal(http_method_parse("get"), HTTP_M_OTHER);
	assert_int_equal(http_method_parse("BREW"), HTTP_M_OTHER);
	assert_int_equal(http_method_parse(NULL), HTTP_M_OTHER);
	assert_string_equal(http_method_name(HTTP_M_DELETE), "DELETE");
	assert_string_equal(http_method_name(HTTP_M_OTHER), "");
}

static void
test_router_allow(void **state)
{
	char buf[HTTP_ALLOW_MAX];
	char small[8];

	(void) state;
	assert_int_equal(
	    http_allow_fmt(HTTP_M_HEAD | HTTP_M_GET, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "GET, HEAD");
	http_allow_fmt(0x7f, buf, sizeof(buf));
	assert_string_equal(
	    buf, "GET, HEAD, PUT, POST, DELETE, PATCH, OPTIONS");
	http_allow_fmt(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_int_equal(
	    http_allow_fmt(HTTP_M_GET | HTTP_M_DELETE, small, sizeof(small)),
	    7);
	assert_string_equal(small, "GET, DE");
}

static http_route_res
test_router_match(const char *path, http_method m, const http_route **rt)
{
	http_path p;
	http_route_res res;

	assert_int_equal(http_path_split(path, HTTP_ROUTE_SEGS, &p), AIS_OK);
	res = http_route_match(&p, m, rt);
	http_path_fini(&p);
	return res;
}

static void
test_router_match_table(void **state)
{
	const http_route *rt;

	(void) state;
	assert_int_equal(
	    test_router_match("/v1/health", HTTP_M_GET, &rt), HTTP_ROUTE_OK);
	assert_ptr_equal(rt->handler, http_h_health);
	assert_int_equal(
	    test_router_match("/v1/health/", HTTP_M_HEAD, &rt), HTTP_ROUTE_OK);
	assert_int_equal(
	    test_router_match("/v1/daemon", HTTP_M_GET, &rt), HTTP_ROUTE_OK);
	assert_ptr_equal(rt->handler, http_h_daemon);
	assert_int_equal(
	    test_router_match("/v1/cluster", HTTP_M_GET, &rt), HTTP_ROUTE_OK);
	assert_ptr_equal(rt->handler, http_h_cluster);
	/* dSort: start, status/list, abort and remove (h_sort.c) */
	assert_int_equal(
	    test_router_match("/v1/sort", HTTP_M_POST, &rt), HTTP_ROUTE_OK);
	assert_ptr_equal(rt->handler, http_h_sort);
	assert_int_equal(
	    test_router_match("/v1/sort/abort", HTTP_M_DELETE, &rt),
	    HTTP_ROUTE_OK);
	assert_int_equal(test_router_match("/v1/sort", HTTP_M_PUT, &rt),
	    HTTP_ROUTE_BAD_METHOD);
	/* Escaped resource names are unescaped before matching. */
	assert_int_equal(
	    test_router_match("/v1/%68ealth", HTTP_M_GET, &rt), HTTP_ROUTE_OK);

	assert_int_equal(test_router_match("/v1/health", HTTP_M_POST, &rt),
	    HTTP_ROUTE_BAD_METHOD);
	assert_non_null(rt);
	assert_int_equal(rt->methods, HTTP_M_GET | HTTP_M_HEAD);
	assert_int_equal(test_router_match("/v1/daemon", HTTP_M_HEAD, &rt),
	    HTTP_ROUTE_BAD_METHOD);
	assert_int_equal(test_router_match("/v1/daemon", HTTP_M_OTHER, &rt),
	    HTTP_ROUTE_BAD_METHOD);

	assert_int_equal(test_router_match("/v1/health/x", HTTP_M_GET, &rt),
	    HTTP_ROUTE_NOT_FOUND);
	assert_null(rt);
	assert_int_equal(test_router_match("/v1/nope", HTTP_M_GET, &rt),
	    HTTP_ROUTE_NOT_FOUND);
	/* The S3 route by other means (virtual host, S3 at the root). */
	assert_int_equal(http_route_s3(HTTP_M_PUT, &rt), HTTP_ROUTE_OK);
	assert_ptr_equal(rt->handler, http_h_s3);
	assert_int_equal(
	    http_route_s3(HTTP_M_PATCH, &rt), HTTP_ROUTE_BAD_METHOD);
	assert_ptr_equal(rt->handler, http_h_s3);
	assert_int_equal(test_router_match("/v2/health", HTTP_M_GET, &rt),
	    HTTP_ROUTE_NOT_FOUND);
	assert_int_equal(test_router_match("/health", HTTP_M_GET, &rt),
	    HTTP_ROUTE_NOT_FOUND);
	assert_int_equal(
	    test_router_match("/v1", HTTP_M_GET, &rt), HTTP_ROUTE_NOT_FOUND);
	assert_int_equal(
	    test_router_match("/", HTTP_M_GET, &rt), HTTP_ROUTE_NOT_FOUND);
	assert_int_equal(test_router_match("/v1//health", HTTP_M_GET, &rt),
	    HTTP_ROUTE_NOT_FOUND);
}

/* Server fixture ---------------------------------------------------------- */

typedef struct test_fx {
	ais_node node;
	http_server *srv;
	uint16_t port;
	act_rt *prim_rt; /* stand-in primary (prr forwarding) */
	act_actor *prim_memb;
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

static int64_t
test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A Smap with this node and optionally another proxy, primary = `primary`,
 * created `age_s` seconds ago. */
static ais_smap *
test_smap_make(const ais_snode *self, const ais_snode *other,
    const char *primary, int age_s)
{
	ais_smap *m = NULL;
	time_t t = time(NULL) - age_s;
	struct tm tm;

	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	m->version = 3;
	snprintf(m->uuid, sizeof(m->uuid), "%s", "Y0uZ4f1UE");
	gmtime_r(&t, &tm);
	strftime(m->creation_time, sizeof(m->creation_time),
	    "%Y-%m-%dT%H:%M:%S.000000000Z", &tm);
	snprintf(m->primary, sizeof(m->primary), "%s", primary);
	assert_int_equal(ais_smap_add(m, self), AIS_OK);
	if (other != NULL) {
		assert_int_equal(ais_smap_add(m, other), AIS_OK);
	}
	return m;
}

static int
test_fx_setup(void **state)
{
	test_fx *fx = calloc(1, sizeof(*fx));
	ais_node *n = &fx->node;
	ais_bmd *b = NULL;
	ais_cconfig *cc = NULL;
	json_t *props = json_object();

	assert_non_null(fx);
	n->role = AIS_ROLE_PROXY;
	assert_int_equal(ais_snode_init(&n->self, TEST_SELF, AIS_ROLE_PROXY,
	                     "127.0.0.1", 8080, 9080, 10080),
	    AIS_OK);
	snprintf(n->lcfg.confdir, sizeof(n->lcfg.confdir), "/tmp/ais-h4");
	snprintf(n->lcfg.log_dir, sizeof(n->lcfg.log_dir), "/tmp/ais-h4/log");
	snprintf(n->lcfg.hostname, sizeof(n->lcfg.hostname), "127.0.0.1");
	n->lcfg.port = 8080;
	n->lcfg.port_intra_control = 9080;
	n->lcfg.port_intra_data = 10080;
	ais_snapslot_init(&n->smap, test_smap_hold, test_smap_rele);
	ais_snapslot_init(&n->bmd, test_bmd_hold, test_bmd_rele);
	ais_snapslot_init(&n->ccfg, test_ccfg_hold, test_ccfg_rele);
	ais_snapslot_set(
	    &n->smap, test_smap_make(&n->self, NULL, TEST_SELF, 100));
	assert_int_equal(ais_bmd_alloc(&b), AIS_OK);
	b->version = 2;
	assert_int_equal(ais_bmd_add(b, "ais", NULL, "abc", props), AIS_OK);
	json_decref(props);
	ais_snapslot_set(&n->bmd, b);
	assert_int_equal(ais_cconfig_default(&cc), AIS_OK);
	ais_snapslot_set(&n->ccfg, cc);
	n->start_ns = test_now_ns() - 5 * 1000000000LL;
	atomic_init(&n->joined, true);
	atomic_init(&n->cluster_ready, true);
	atomic_init(&n->stopping, false);

	assert_int_equal(
	    http_server_start(n, 0, "127.0.0.1", &fx->srv), AIS_OK);
	fx->port = http_server_port(fx->srv);
	assert_true(fx->port != 0);
	*state = fx;
	return 0;
}

static int
test_fx_teardown(void **state)
{
	test_fx *fx = *state;

	http_server_stop(fx->srv);
	if (fx->node.rt != NULL) {
		act_rt_close(fx->node.rt);
	}
	if (fx->prim_memb != NULL) {
		act_stop(fx->prim_memb);
	}
	if (fx->prim_rt != NULL) {
		act_rt_close(fx->prim_rt);
	}
	ais_snapslot_fini(&fx->node.smap);
	ais_snapslot_fini(&fx->node.bmd);
	ais_snapslot_fini(&fx->node.ccfg);
	ais_local_config_fini(&fx->node.lcfg);
	free(fx);
	return 0;
}

/* Socket client ----------------------------------------------------------- */

typedef struct test_resp {
	int status;
	char *head; /* status line + headers, NUL-terminated */
	char *body; /* NUL-terminated */
	size_t body_len;
} test_resp;

static void
test_resp_fini(test_resp *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static int
test_connect(uint16_t port)
{
	struct sockaddr_in sa = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	return fd;
}

static void
test_send_all(int fd, const void *buf, size_t len)
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

/* Reads until the server closes (requests say Connection: close) and
 * splits head and body. */
static void
test_recv_resp(int fd, test_resp *out)
{
	size_t cap = 4096;
	size_t len = 0;
	char *buf = malloc(cap);
	char *sep;

	assert_non_null(buf);
	for (;;) {
		ssize_t n;

		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		len += (size_t) n;
	}
	buf[len] = '\0';
	sep = strstr(buf, "\r\n\r\n");
	assert_non_null(sep);
	memset(out, 0, sizeof(*out));
	out->head = strndup(buf, (size_t) (sep + 2 - buf));
	out->body_len = len - (size_t) (sep + 4 - buf);
	out->body = malloc(out->body_len + 1);
	assert_non_null(out->head);
	assert_non_null(out->body);
	memcpy(out->body, sep + 4, out->body_len);
	out->body[out->body_len] = '\0';
	assert_int_equal(sscanf(out->head, "HTTP/1.%*d %d", &out->status), 1);
	free(buf);
}

/* One request: method, target, optional body (Content-Length framed). */
static void
test_http(test_fx *fx, const char *method, const char *target,
    const char *body, test_resp *out)
{
	char req[1024];
	int fd = test_connect(fx->port);
	int n;

	n = snprintf(req, sizeof(req),
	    "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
	    "%s%zu%s\r\n\r\n",
	    method, target, body != NULL ? "Content-Length: " : "X-N: ",
	    body != NULL ? strlen(body) : (size_t) 0,
	    body != NULL ? "\r\nContent-Type: application/json" : "");
	assert_true(n > 0 && (size_t) n < sizeof(req));
	test_send_all(fd, req, (size_t) n);
	if (body != NULL) {
		test_send_all(fd, body, strlen(body));
	}
	test_recv_resp(fd, out);
	close(fd);
}

/* Header value (case-insensitive name) into buf; false if absent. */
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

/* Checks an AIS JSON error (text from a body or Hdr-Error). */
static void
test_check_err_json(const char *txt, int status, const char *method,
    const char *path, const char *msg_part)
{
	json_error_t jerr;
	json_t *j = json_loads(txt, 0, &jerr);
	const char *ra;

	assert_non_null(j);
	assert_int_equal(
	    json_integer_value(json_object_get(j, "status")), status);
	assert_string_equal(
	    json_string_value(json_object_get(j, "method")), method);
	assert_string_equal(
	    json_string_value(json_object_get(j, "url_path")), path);
	assert_string_equal(
	    json_string_value(json_object_get(j, "node")), "p[" TEST_SELF "]");
	assert_string_equal(
	    json_string_value(json_object_get(j, "caller")), "");
	ra = json_string_value(json_object_get(j, "remote_addr"));
	assert_non_null(ra);
	assert_memory_equal(ra, "127.0.0.1:", 10);
	if (msg_part != NULL) {
		const char *m
		    = json_string_value(json_object_get(j, "message"));

		assert_non_null(m);
		if (strstr(m, msg_part) == NULL) {
			fail_msg("message \"%s\" lacks \"%s\"", m, msg_part);
		}
	}
	json_decref(j);
}

static void
test_check_err(const test_resp *r, int status, const char *method,
    const char *path, const char *msg_part)
{
	char v[64];

	assert_int_equal(r->status, status);
	assert_true(test_hdr(r, "Content-Type", v, sizeof(v)));
	assert_string_equal(v, "application/json");
	assert_true(test_hdr(r, "X-Content-Type-Options", v, sizeof(v)));
	assert_string_equal(v, "nosniff");
	test_check_err_json(r->body, status, method, path, msg_part);
}

/* Server tests ------------------------------------------------------------ */

static long long
test_hdr_ll(const test_resp *r, const char *name)
{
	char v[64];

	assert_true(test_hdr(r, name, v, sizeof(v)));
	return strtoll(v, NULL, 10);
}

static void
test_server_health(void **state)
{
	test_fx *fx = *state;
	test_resp r;
	long long node_up;
	long long clu_up;

	test_http(fx, "GET", "/v1/health", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	node_up = test_hdr_ll(&r, "Ais-Node-Uptime");
	clu_up = test_hdr_ll(&r, "Ais-Cluster-Uptime");
	/* Node started 5 s ago, the Smap was created 100 s ago. */
	assert_true(node_up >= 5000000000LL && node_up < 60000000000LL);
	assert_true(clu_up >= 99000000000LL && clu_up < 200000000000LL);
	test_resp_fini(&r);

	test_http(fx, "HEAD", "/v1/health", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	(void) test_hdr_ll(&r, "Ais-Node-Uptime");
	test_resp_fini(&r);

	test_http(fx, "GET", "/v1/health?readiness=true", NULL, &r);
	assert_int_equal(r.status, 200);
	test_resp_fini(&r);

	/* A node that has not joined is alive but not started: 503. */
	atomic_store(&fx->node.joined, false);
	test_http(fx, "GET", "/v1/health", NULL, &r);
	test_check_err(&r, 503, "GET", "/v1/health", "starting up");
	test_resp_fini(&r);
	test_http(fx, "GET", "/v1/health?readiness=true", NULL, &r);
	assert_int_equal(r.status, 503);
	test_resp_fini(&r);
}

static void
test_server_health_no_smap_time(void **state)
{
	test_fx *fx = *state;
	ais_smap *m = test_smap_make(&fx->node.self, NULL, TEST_SELF, 0);
	test_resp r;
	long long node_up;
	long long clu_up;

	/* Unparsable creation time: cluster uptime falls back to node's. */
	snprintf(m->creation_time, sizeof(m->creation_time), "yesterday");
	ais_snapslot_set(&fx->node.smap, m);
	test_http(fx, "GET", "/v1/health", NULL, &r);
	assert_int_equal(r.status, 200);
	node_up = test_hdr_ll(&r, "Ais-Node-Uptime");
	clu_up = test_hdr_ll(&r, "Ais-Cluster-Uptime");
	assert_true(clu_up >= node_up && clu_up - node_up < 1000000000LL);
	test_resp_fini(&r);
}

static void
test_server_prr_primary(void **state)
{
	test_fx *fx = *state;
	test_resp r;

	test_http(fx, "GET", "/v1/health?prr=true", NULL, &r);
	assert_int_equal(r.status, 200);
	test_resp_fini(&r);

	atomic_store(&fx->node.cluster_ready, false);
	test_http(fx, "GET", "/v1/health?prr=true", NULL, &r);
	test_check_err(&r, 503, "GET", "/v1/health", "primary is not ready");
	test_resp_fini(&r);
	/* Readiness is about this node, not the cluster's startup. */
	test_http(fx, "GET", "/v1/health?readiness=1", NULL, &r);
	assert_int_equal(r.status, 200);
	test_resp_fini(&r);
}

/* The stand-in primary's membership actor: answers prr with `ready`. */
static atomic_bool test_prim_ready;

static ais_err
test_prim_health(void *st, act_ctx *ctx, const act_msg *msg)
{
	Ais__HealthReq *req;
	Ais__HealthResp resp = AIS__HEALTH_RESP__INIT;
	uint8_t buf[64];
	size_t len;

	(void) st;
	req = ais__health_req__unpack(NULL, msg->len, msg->data);
	assert_non_null(req);
	assert_true(req->prr);
	ais__health_req__free_unpacked(req, NULL);
	resp.ready = test_prim_ready;
	resp.reason = test_prim_ready ? "" : "still starting";
	len = ais__health_resp__pack(&resp, buf);
	return act_reply(ctx, AIS__AIS_MSG_TYPE__AIS_MSG_HEALTH_RESP, AIS_OK,
	    NULL, buf, len);
}

static const act_handler test_prim_handlers[] = {
	[AIS__AIS_MSG_TYPE__AIS_MSG_HEALTH_REQ] = test_prim_health,
};

static const act_ops test_prim_ops = {
	.name = AIS_ACTOR_MEMBERSHIP,
	.state_size = sizeof(int),
	.handlers = test_prim_handlers,
	.nhandlers
	= sizeof(test_prim_handlers) / sizeof(test_prim_handlers[0]),
};

static uint16_t
test_free_port(void)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void
test_server_prr_forward(void **state)
{
	test_fx *fx = *state;
	ais_snode prim;
	test_resp r;
	uint16_t cport = test_free_port();
	char url[64];

	/* This node is a non-primary proxy; the primary is elsewhere. */
	assert_int_equal(ais_snode_init(&prim, TEST_OTHER, AIS_ROLE_PROXY,
	                     "127.0.0.1", 8081, cport, 10081),
	    AIS_OK);
	ais_snapslot_set(&fx->node.smap,
	    test_smap_make(&fx->node.self, &prim, TEST_OTHER, 10));

	/* No runtime to call with: 503, never a hang. */
	test_http(fx, "GET", "/v1/health?prr=true", NULL, &r);
	test_check_err(&r, 503, "GET", "/v1/health", "p[" TEST_OTHER "]");
	test_resp_fini(&r);

	assert_int_equal(act_rt_open(TEST_SELF, NULL, &fx->node.rt), AIS_OK);
	/* Primary unreachable (nobody listens there): 503. */
	test_http(fx, "GET", "/v1/health?prr=true", NULL, &r);
	test_check_err(&r, 503, "GET", "/v1/health", "p[" TEST_OTHER "]");
	test_resp_fini(&r);

	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", (unsigned) cport);
	assert_int_equal(act_rt_open(TEST_OTHER, url, &fx->prim_rt), AIS_OK);
	assert_int_equal(
	    act_start(fx->prim_rt, &test_prim_ops, NULL, &fx->prim_memb),
	    AIS_OK);
	test_prim_ready = false;
	test_http(fx, "GET", "/v1/health?prr=true", NULL, &r);
	test_check_err(&r, 503, "GET", "/v1/health", "still starting");
	test_resp_fini(&r);
	test_prim_ready = true;
	test_http(fx, "GET", "/v1/health?prr=true", NULL, &r);
	assert_int_equal(r.status, 200);
	(void) test_hdr_ll(&r, "Ais-Cluster-Uptime");
	test_resp_fini(&r);
}

static void
test_server_404_405(void **state)
{
	test_fx *fx = *state;
	test_resp r;
	char v[1024];

	test_http(fx, "GET", "/v1/nope?x=1", NULL, &r);
	test_check_err(&r, 404, "GET", "/v1/nope", "/v1/nope");
	test_resp_fini(&r);
	test_http(fx, "GET", "/", NULL, &r);
	test_check_err(&r, 404, "GET", "/", NULL);
	test_resp_fini(&r);
	test_http(fx, "GET", "/v1/health/extra", NULL, &r);
	test_check_err(&r, 404, "GET", "/v1/health/extra", NULL);
	test_resp_fini(&r);
	/* url_path is unescaped for humans. */
	test_http(fx, "DELETE", "/v1/o%20p", NULL, &r);
	test_check_err(&r, 404, "DELETE", "/v1/o p", NULL);
	test_resp_fini(&r);

	test_http(fx, "POST", "/v1/health", "{}", &r);
	test_check_err(&r, 405, "POST", "/v1/health", NULL);
	assert_true(test_hdr(&r, "Allow", v, sizeof(v)));
	assert_string_equal(v, "GET, HEAD");
	test_resp_fini(&r);

	/* HEAD errors: no body, the JSON in Hdr-Error. */
	test_http(fx, "HEAD", "/v1/daemon", NULL, &r);
	assert_int_equal(r.status, 405);
	assert_int_equal(r.body_len, 0);
	assert_true(test_hdr(&r, "Allow", v, sizeof(v)));
	assert_string_equal(v, "GET, PUT, POST, DELETE"); /* + mountpaths */
	assert_true(test_hdr(&r, "Hdr-Error", v, sizeof(v)));
	test_check_err_json(v, 405, "HEAD", "/v1/daemon", NULL);
	test_resp_fini(&r);

	test_http(fx, "HEAD", "/v1/nope", NULL, &r);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.body_len, 0);
	assert_true(test_hdr(&r, "Hdr-Error", v, sizeof(v)));
	test_check_err_json(v, 404, "HEAD", "/v1/nope", NULL);
	test_resp_fini(&r);

	atomic_store(&fx->node.joined, false);
	test_http(fx, "HEAD", "/v1/health", NULL, &r);
	assert_int_equal(r.status, 503);
	assert_int_equal(r.body_len, 0);
	assert_true(test_hdr(&r, "Hdr-Error", v, sizeof(v)));
	test_check_err_json(v, 503, "HEAD", "/v1/health", "starting up");
	test_resp_fini(&r);

	/* Malformed escapes in the path are a 400. */
	test_http(fx, "GET", "/v1/%zz", NULL, &r);
	test_check_err(&r, 400, "GET", "/v1/%zz", NULL);
	test_resp_fini(&r);
}

static void
test_server_daemon(void **state)
{
	test_fx *fx = *state;
	test_resp r;
	ais_smap *m = ais_node_smap(&fx->node);
	ais_bmd *b = ais_node_bmd(&fx->node);
	char *want_smap = ais_smap_dumps(m);
	char *want_bmd = ais_bmd_dumps(b);
	char v[64];
	json_t *j;
	json_error_t jerr;

	ais_smap_rele(m);
	ais_bmd_rele(b);
	test_http(fx, "GET", "/v1/daemon?what=smap", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(test_hdr(&r, "Content-Type", v, sizeof(v)));
	assert_string_equal(v, "application/json");
	assert_string_equal(r.body, want_smap);
	test_resp_fini(&r);
	/* Query values are unescaped; a JSON body on GET is read and ok. */
	test_http(
	    fx, "GET", "/v1/daemon?what=sm%61p", "{\"action\":\"x\"}", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, want_smap);
	test_resp_fini(&r);

	test_http(fx, "GET", "/v1/daemon?what=bmd", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, want_bmd);
	test_resp_fini(&r);

	test_http(fx, "GET", "/v1/daemon?what=snode", NULL, &r);
	assert_int_equal(r.status, 200);
	j = json_loads(r.body, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(
	    json_string_value(json_object_get(j, "daemon_id")), TEST_SELF);
	json_decref(j);
	test_resp_fini(&r);

	test_http(fx, "GET", "/v1/daemon?what=config", NULL, &r);
	assert_int_equal(r.status, 200);
	j = json_loads(r.body, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(
	    json_string_value(json_object_get(j, "confdir")), "/tmp/ais-h4");
	assert_non_null(json_object_get(j, "host_net"));
	assert_non_null(json_object_get(j, "backend"));
	assert_non_null(json_object_get(j, "keepalivetracker"));
	json_decref(j);
	test_resp_fini(&r);

	test_http(fx, "GET", "/v1/daemon?what=bogus", NULL, &r);
	test_check_err(
	    &r, 400, "GET", "/v1/daemon", "unrecognized 'what=bogus'");
	test_resp_fini(&r);
	test_http(fx, "GET", "/v1/daemon", NULL, &r);
	test_check_err(&r, 400, "GET", "/v1/daemon", "unrecognized 'what=");
	test_resp_fini(&r);
	/* cluster_config is /v1/cluster's word, not /v1/daemon's. */
	test_http(fx, "GET", "/v1/daemon?what=cluster_config", NULL, &r);
	assert_int_equal(r.status, 400);
	test_resp_fini(&r);
	free(want_smap);
	free(want_bmd);
}

static void
test_server_cluster(void **state)
{
	test_fx *fx = *state;
	test_resp r;
	ais_smap *m = ais_node_smap(&fx->node);
	char *want_smap = ais_smap_dumps(m);
	json_t *j;
	json_error_t jerr;

	ais_smap_rele(m);
	test_http(fx, "GET", "/v1/cluster?what=smap", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, want_smap);
	test_resp_fini(&r);
	free(want_smap);

	test_http(fx, "GET", "/v1/cluster?what=cluster_config", NULL, &r);
	assert_int_equal(r.status, 200);
	j = json_loads(r.body, 0, &jerr);
	assert_non_null(j);
	assert_null(json_object_get(j, "confdir"));
	assert_non_null(json_object_get(j, "backend"));
	json_decref(j);
	test_resp_fini(&r);

	test_http(fx, "GET", "/v1/cluster?what=snode", NULL, &r);
	assert_int_equal(r.status, 200);
	test_resp_fini(&r);
	test_http(fx, "GET", "/v1/cluster?what=bmd", NULL, &r);
	assert_int_equal(r.status, 200);
	test_resp_fini(&r);

	test_http(fx, "GET", "/v1/cluster?what=config", NULL, &r);
	test_check_err(
	    &r, 400, "GET", "/v1/cluster", "unrecognized 'what=config'");
	test_resp_fini(&r);
	test_http(fx, "DELETE", "/v1/cluster", NULL, &r);
	test_check_err(&r, 405, "DELETE", "/v1/cluster", NULL);
	test_resp_fini(&r);
	/* Admin ActMsgs are parsed before anything goes to the primary. */
	test_http(fx, "PUT", "/v1/cluster", "{}", &r);
	test_check_err(&r, 400, "PUT", "/v1/cluster", NULL);
	test_resp_fini(&r);
	test_http(fx, "PUT", "/v1/cluster", "{\"action\":\"no-such\"}", &r);
	test_check_err(&r, 400, "PUT", "/v1/cluster", "invalid cluster action");
	test_resp_fini(&r);
}

static void
test_server_body_limit(void **state)
{
	test_fx *fx = *state;
	test_resp r;
	char req[512];
	char *big;
	int fd;
	int n;
	const size_t over = HTTP_BODY_MAX + HTTP_BODY_MAX / 2;

	/* Declared too large: refused before the body is read. */
	fd = test_connect(fx->port);
	n = snprintf(req, sizeof(req),
	    "GET /v1/daemon?what=smap HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: %u\r\nConnection: close\r\n\r\n",
	    HTTP_BODY_MAX + 1);
	test_send_all(fd, req, (size_t) n);
	test_recv_resp(fd, &r);
	close(fd);
	test_check_err(&r, 413, "GET", "/v1/daemon", "too large");
	test_resp_fini(&r);

	/* Exactly at the limit: accepted. */
	big = malloc(over + 1);
	assert_non_null(big);
	memset(big, ' ', over);
	big[over] = '\0';
	big[HTTP_BODY_MAX] = '\0';
	test_http(fx, "GET", "/v1/daemon?what=snode", big, &r);
	assert_int_equal(r.status, 200);
	test_resp_fini(&r);

	/* Chunked, no length: counted as it comes, 413 at the end. */
	big[HTTP_BODY_MAX] = ' ';
	fd = test_connect(fx->port);
	n = snprintf(req, sizeof(req),
	    "GET /v1/daemon?what=smap HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
	    "%zx\r\n",
	    over);
	test_send_all(fd, req, (size_t) n);
	test_send_all(fd, big, over);
	test_send_all(fd, "\r\n0\r\n\r\n", 7);
	test_recv_resp(fd, &r);
	close(fd);
	test_check_err(&r, 413, "GET", "/v1/daemon", "too large");
	test_resp_fini(&r);
	free(big);
}

static void
test_server_keepalive(void **state)
{
	test_fx *fx = *state;
	const char *two
	    = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
	      "GET /v1/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	int fd = test_connect(fx->port);
	test_resp r;
	char *second;

	/* Two pipelined requests on one connection, both answered. */
	test_send_all(fd, two, strlen(two));
	test_recv_resp(fd, &r);
	close(fd);
	assert_int_equal(r.status, 200);
	second = strstr(r.body, "HTTP/1.1 404");
	assert_non_null(second);
	test_resp_fini(&r);
}

/* Requests MHD itself refuses (after our URI callback made a context)
 * must still release it: no leak, and stop does not wait for it. */
static void
test_server_bad_request(void **state)
{
	test_fx *fx = *state;
	static const char *const bad[] = {
		"GET /v1/health HTTP/1.1\r\nNoColonHere\r\n\r\n",
		"GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n"
		"\r\n",
		"GET /v1/health HTTP/1.1\r\nHost: x\r\n", /* never ends */
	};
	test_resp r;
	int64_t t0;

	for (size_t i = 0; i < 2; i++) {
		int fd = test_connect(fx->port);

		test_send_all(fd, bad[i], strlen(bad[i]));
		test_recv_resp(fd, &r);
		close(fd);
		assert_int_equal(r.status, 400);
		test_resp_fini(&r);
	}
	{
		int fd = test_connect(fx->port);
		struct timespec ts = { 0, 50 * 1000000L };

		test_send_all(fd, bad[2], strlen(bad[2]));
		nanosleep(&ts, NULL);
		t0 = test_now_ns();
		http_server_stop(fx->srv);
		fx->srv = NULL;
		close(fd);
	}
	/* Only a request being served holds stop back, not a client still
	 * sending its headers. */
	assert_true(test_now_ns() - t0 < 1000000000LL);
}

/* Start/stop cycles leave no descriptor behind (the listen socket is
 * closed exactly once, after MHD stopped). */
static int
test_count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 4096; fd++) {
		if (fcntl(fd, F_GETFD) != -1) {
			n++;
		}
	}
	return n;
}

static void
test_server_restart(void **state)
{
	test_fx *fx = *state;
	int before;

	http_server_stop(fx->srv);
	fx->srv = NULL;
	before = test_count_fds();
	for (int i = 0; i < 10; i++) {
		http_server *s = NULL;
		test_resp r;

		assert_int_equal(
		    http_server_start(&fx->node, 0, NULL, &s), AIS_OK);
		fx->port = http_server_port(s);
		test_http(fx, "GET", "/v1/health", NULL, &r);
		assert_int_equal(r.status, 200);
		test_resp_fini(&r);
		http_server_stop(s);
	}
	assert_int_equal(test_count_fds(), before);
}

static void
test_server_port_taken(void **state)
{
	test_fx *fx = *state;
	http_server *s2 = NULL;
	ais_err err;

	err = http_server_start(&fx->node, fx->port, "127.0.0.1", &s2);
	assert_int_equal(err, AIS_ESYS | EADDRINUSE);
	assert_null(s2);
	err = http_server_start(&fx->node, 0, "no-such-host.invalid", &s2);
	assert_int_equal(err, AIS_EINVAL);
	assert_null(s2);
	http_server_stop(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router_methods),
		cmocka_unit_test(test_router_allow),
		cmocka_unit_test(test_router_match_table),
		cmocka_unit_test_setup_teardown(
		    test_server_health, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_server_health_no_smap_time, test_fx_setup,
		    test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_server_prr_primary, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_server_prr_forward, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_server_404_405, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_server_daemon, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_server_cluster, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_server_body_limit, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_server_keepalive, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_server_bad_request, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_server_restart, test_fx_setup, test_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_server_port_taken, test_fx_setup, test_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
