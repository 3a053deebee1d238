/*
 * Actor runtime tests: request/reply in-process and over tcp between two
 * runtimes in one process (two "nodes"), the router's own answers (unknown
 * actor, malformed envelope), unsupported types, deferred replies, one-way
 * sends, timers, deadlines against a dead address, fan-out, and a failing
 * handler without a supervisor. Every wait is bounded.
 */
/* cmocka.h needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "actors/runtime/actor.h"
#include "core/log.h"
#include "proto/msg.h"
#include "proto/pb_envelope.h"

#define TEST_TMO       2000 /* ms: deadline for calls that must work */
#define TEST_MAX_TICKS 64

/* What the test thread observes of the actor (which runs elsewhere). */
typedef struct test_probe {
	atomic_int oneway; /* META_PUSH messages seen */
	atomic_int ticks;  /* timer deliveries recorded */
	uint64_t tick_log[TEST_MAX_TICKS];
	atomic_int periodic; /* periodic ticks seen */
	atomic_int fail_now; /* TEST_FAIL handler: fatal if set */
	atomic_int bad;      /* checks failed on actor threads */
	pthread_mutex_t mtx;
	char last_sender[64];
	char last_oneway[64];
} test_probe;

typedef struct test_state {
	test_probe *probe;
	act_actor *self;
	act_pending *pending; /* the deferred JOIN_REQ */
	uint32_t periodic_id;
	int generation; /* bumped by reset */
} test_state;

enum {
	TEST_COOKIE_DEFER = 7,
	TEST_COOKIE_PERIODIC = 100,
};

/* cmocka's asserts must not fire off the test thread: actor threads count
 * failed checks here and teardown asserts the count is zero. */
#define TEST_CHECK(probe, cond)                                               \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
			    __FILE__, __LINE__, #cond);                       \
			atomic_fetch_add(&(probe)->bad, 1);                   \
		}                                                             \
	} while (0)

static uint64_t
test_cookie(const act_msg *msg)
{
	uint64_t c = 0;

	if (msg->len != 8) {
		return UINT64_MAX;
	}
	for (int i = 7; i >= 0; i--) {
		c = (c << 8) | msg->data[i];
	}
	return c;
}

static ais_err
test_on_echo(void *state, act_ctx *ctx, const act_msg *msg)
{
	test_state *st = state;

	pthread_mutex_lock(&st->probe->mtx);
	snprintf(st->probe->last_sender, sizeof(st->probe->last_sender), "%s",
	    msg->sender);
	pthread_mutex_unlock(&st->probe->mtx);
	return act_reply(
	    ctx, AIS_MSG_TEST_ECHO, AIS_OK, NULL, msg->data, msg->len);
}

/* act_reply_fill: the request is a decimal byte count n; the reply is n
 * bytes 'a'..'z' repeating, written in place. "err" makes fill fail. */
static ais_err
test_fill(
    void *arg, uint8_t *buf, size_t max, size_t *used, char *eb, size_t elen)
{
	const act_msg *msg = arg;

	if (msg->len == 3 && memcmp(msg->data, "err", 3) == 0) {
		snprintf(eb, elen, "fill refused");
		return AIS_EIO;
	}
	for (size_t i = 0; i < max; i++) {
		buf[i] = (uint8_t) ('a' + i % 26);
	}
	*used = max;
	return AIS_OK;
}

static ais_err
test_on_fill(void *state, act_ctx *ctx, const act_msg *msg)
{
	char num[32];
	size_t n = 0;

	(void) state;
	if (msg->len < sizeof(num)) {
		memcpy(num, msg->data, msg->len);
		num[msg->len] = '\0';
		n = (size_t) strtoull(num, NULL, 10);
	}
	return act_reply_fill(
	    ctx, AIS_MSG_TEST_FILL, n, test_fill, (void *) msg);
}

/* Defers, then answers from a timer 30 ms later. */
static ais_err
test_on_join(void *state, act_ctx *ctx, const act_msg *msg)
{
	test_state *st = state;

	(void) msg;
	if (st->pending != NULL) {
		return AIS_EBUSY;
	}
	if ((st->pending = act_defer(ctx)) == NULL) {
		return AIS_ENOMEM;
	}
	/* A second reply attempt on a deferred request is refused. */
	TEST_CHECK(st->probe,
	    act_reply(ctx, AIS_MSG_ACK, AIS_OK, NULL, NULL, 0) == AIS_EINVAL);
	return act_timer_start(
	    act_self(ctx), TEST_COOKIE_DEFER, 30, false, NULL);
}

static ais_err
test_on_push(void *state, act_ctx *ctx, const act_msg *msg)
{
	test_state *st = state;

	(void) ctx;
	pthread_mutex_lock(&st->probe->mtx);
	snprintf(st->probe->last_oneway, sizeof(st->probe->last_oneway),
	    "%.*s", (int) msg->len, (const char *) msg->data);
	pthread_mutex_unlock(&st->probe->mtx);
	atomic_fetch_add(&st->probe->oneway, 1);
	return AIS_OK;
}

/* Arms one-shots out of order plus a periodic timer. */
static ais_err
test_on_health(void *state, act_ctx *ctx, const act_msg *msg)
{
	test_state *st = state;
	act_actor *self = act_self(ctx);
	uint32_t dead;

	(void) msg;
	TEST_CHECK(st->probe, act_timer_start(self, 3, 60, false, NULL) == 0);
	TEST_CHECK(st->probe, act_timer_start(self, 1, 20, false, NULL) == 0);
	TEST_CHECK(st->probe, act_timer_start(self, 2, 40, false, NULL) == 0);
	/* Cancelled before it is due: must never fire. */
	TEST_CHECK(
	    st->probe, act_timer_start(self, 99, 30, false, &dead) == 0);
	act_timer_cancel(self, dead);
	TEST_CHECK(
	    st->probe, act_timer_start(self, 5, 0, true, NULL) == AIS_EINVAL);
	return act_timer_start(
	    self, TEST_COOKIE_PERIODIC, 15, true, &st->periodic_id);
}

/* Stops the periodic timer. */
static ais_err
test_on_health_resp(void *state, act_ctx *ctx, const act_msg *msg)
{
	test_state *st = state;

	(void) msg;
	act_timer_cancel(act_self(ctx), st->periodic_id);
	return AIS_OK;
}

static ais_err
test_on_timer(void *state, act_ctx *ctx, const act_msg *msg)
{
	test_state *st = state;
	uint64_t cookie = test_cookie(msg);

	TEST_CHECK(st->probe, act_defer(ctx) == NULL); /* a tick: no request */
	if (cookie == TEST_COOKIE_DEFER) {
		ais_err err = act_pending_reply(
		    st->pending, AIS_MSG_JOIN_RESP, AIS_OK, NULL, "late", 4);

		st->pending = NULL;
		return err;
	}
	if (cookie == TEST_COOKIE_PERIODIC) {
		atomic_fetch_add(&st->probe->periodic, 1);
		return AIS_OK;
	}
	int i = atomic_load(&st->probe->ticks);

	if (i < TEST_MAX_TICKS) {
		st->probe->tick_log[i] = cookie;
		atomic_store(&st->probe->ticks, i + 1);
	}
	return AIS_OK;
}

/* A handler's own error status travels back in an ACK; EINTERNAL on demand
 * fails the actor. */
static ais_err
test_on_fail(void *state, act_ctx *ctx, const act_msg *msg)
{
	test_state *st = state;

	(void) ctx;
	(void) msg;
	return atomic_load(&st->probe->fail_now) ? AIS_EINTERNAL : AIS_EBUSY;
}

static ais_err
test_init(void *state, act_actor *self, void *arg)
{
	test_state *st = state;

	if (st->probe != NULL || st->generation != 0) {
		return AIS_EINVAL; /* state must arrive zeroed */
	}
	st->probe = arg;
	st->self = self;
	return AIS_OK;
}

static ais_err
test_reset(void *state, act_actor *self, void *arg)
{
	test_state *st = state;

	(void) arg;
	TEST_CHECK(st->probe, st->self == self);
	st->generation++;
	st->pending = NULL;
	return AIS_OK;
}

static const act_handler test_handlers[AIS_MSG__COUNT] = {
	[AIS_MSG_TEST_ECHO] = test_on_echo,
	[AIS_MSG_JOIN_REQ] = test_on_join,
	[AIS_MSG_META_PUSH] = test_on_push,
	[AIS_MSG_HEALTH_REQ] = test_on_health,
	[AIS_MSG_HEALTH_RESP] = test_on_health_resp,
	[AIS_MSG_TIMER] = test_on_timer,
	[AIS_MSG_TEST_FAIL] = test_on_fail,
	[AIS_MSG_TEST_FILL] = test_on_fill,
};

static const act_ops test_ops = {
	.name = "echo",
	.state_size = sizeof(test_state),
	.init = test_init,
	.reset = test_reset,
	.handlers = test_handlers,
	.nhandlers = AIS_MSG__COUNT,
};

/* Fixture: node A listens on tcp and runs "echo"; node B only calls. */
typedef struct test_env {
	test_probe probe;
	act_rt *a;
	act_rt *b;
	act_actor *echo;
	char url_a[64];
	char url_dead[64];
} test_env;

static int
test_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port;

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int64_t
test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int
test_setup(void **vstate)
{
	test_env *e = calloc(1, sizeof(*e));
	ais_err err = AIS_EINVAL;

	assert_non_null(e);
	pthread_mutex_init(&e->probe.mtx, NULL);
	/* Another process may grab a port between probe and listen: retry. */
	for (int i = 0; i < 5; i++) {
		snprintf(e->url_a, sizeof(e->url_a), "tcp://127.0.0.1:%d",
		    test_free_port());
		if ((err = act_rt_open("nodeA", e->url_a, &e->a)) == AIS_OK) {
			break;
		}
	}
	assert_int_equal(err, AIS_OK);
	assert_int_equal(act_rt_open("nodeB", NULL, &e->b), AIS_OK);
	assert_string_equal(act_rt_node_id(e->a), "nodeA");
	snprintf(e->url_dead, sizeof(e->url_dead), "tcp://127.0.0.1:%d",
	    test_free_port());
	assert_int_equal(
	    act_start(e->a, &test_ops, &e->probe, &e->echo), AIS_OK);
	assert_string_equal(act_name(e->echo), "echo");
	assert_ptr_equal(act_runtime(e->echo), e->a);
	*vstate = e;
	return 0;
}

static int
test_teardown(void **vstate)
{
	test_env *e = *vstate;

	assert_int_equal(atomic_load(&e->probe.bad), 0);
	act_stop(e->echo);
	act_rt_close(e->b);
	act_rt_close(e->a);
	pthread_mutex_destroy(&e->probe.mtx);
	free(e);
	return 0;
}

static void
test_local_roundtrip(void **vstate)
{
	test_env *e = *vstate;
	act_reply_buf r = { 0 };

	assert_int_equal(act_call(e->a, NULL, "echo", AIS_MSG_TEST_ECHO,
	                     "hello", 5, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.type, AIS_MSG_TEST_ECHO);
	assert_int_equal(r.status, AIS_OK);
	assert_null(r.errmsg);
	assert_int_equal(r.len, 5);
	assert_memory_equal(r.data, "hello", 5);
	assert_string_equal(e->probe.last_sender, "");
	act_reply_buf_fini(&r);
	assert_null(r.data);

	/* Empty payload. */
	assert_int_equal(act_call(e->a, NULL, "echo", AIS_MSG_TEST_ECHO, NULL,
	                     0, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.len, 0);
	assert_null(r.data);
	act_reply_buf_fini(&r);

	/* A handler's error status comes back in an ACK. */
	assert_int_equal(act_call(e->a, NULL, "echo", AIS_MSG_TEST_FAIL, NULL,
	                     0, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.type, AIS_MSG_ACK);
	assert_int_equal(r.status, AIS_EBUSY);
	assert_non_null(r.errmsg);
	act_reply_buf_fini(&r);

	/* No such local actor: answered at once, like the router does. */
	assert_int_equal(act_call(e->a, NULL, "nope", AIS_MSG_TEST_ECHO, "x",
	                     1, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.status, AIS_ENOENT);
	assert_string_equal(r.errmsg, "no actor nope");
	act_reply_buf_fini(&r);

	assert_int_equal(
	    act_call(e->a, NULL, "echo", AIS_MSG_TEST_ECHO, "x", 1, 0, &r),
	    AIS_EINVAL);
	assert_int_equal(
	    act_start(e->a, &test_ops, &e->probe, &(act_actor *) { NULL }),
	    AIS_EEXIST);
}

static void
test_tcp_roundtrip(void **vstate)
{
	test_env *e = *vstate;
	act_reply_buf r = { 0 };
	uint8_t big[200000];

	for (size_t i = 0; i < sizeof(big); i++) {
		big[i] = (uint8_t) (i * 7);
	}
	assert_int_equal(act_call(e->b, e->url_a, "echo", AIS_MSG_TEST_ECHO,
	                     "over tcp", 8, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.type, AIS_MSG_TEST_ECHO);
	assert_int_equal(r.status, AIS_OK);
	assert_memory_equal(r.data, "over tcp", 8);
	assert_string_equal(e->probe.last_sender, "nodeB");
	act_reply_buf_fini(&r);

	/* A payload bigger than one TCP segment, and reuse of the cached
	 * connection. */
	assert_int_equal(act_call(e->b, e->url_a, "echo", AIS_MSG_TEST_ECHO,
	                     big, sizeof(big), TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.len, sizeof(big));
	assert_memory_equal(r.data, big, sizeof(big));
	act_reply_buf_fini(&r);

	/* A node may call itself through its own router. */
	assert_int_equal(act_call(e->a, e->url_a, "echo", AIS_MSG_TEST_ECHO,
	                     "self", 4, TEST_TMO, &r),
	    AIS_OK);
	assert_memory_equal(r.data, "self", 4);
	act_reply_buf_fini(&r);
}

static void
test_tcp_unknown_actor(void **vstate)
{
	test_env *e = *vstate;
	act_reply_buf r = { 0 };

	assert_int_equal(act_call(e->b, e->url_a, "nope", AIS_MSG_TEST_ECHO,
	                     "x", 1, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.type, AIS_MSG_ACK);
	assert_int_equal(r.status, AIS_ENOENT);
	assert_string_equal(r.errmsg, "no actor nope");
	act_reply_buf_fini(&r);
}

static void
test_unsupported_type(void **vstate)
{
	test_env *e = *vstate;
	act_reply_buf r = { 0 };

	/* No handler in the table, and past the end of the table. */
	assert_int_equal(act_call(e->a, NULL, "echo", AIS_MSG_JOIN_RESP, NULL,
	                     0, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.status, AIS_ENOTSUP);
	act_reply_buf_fini(&r);
	assert_int_equal(
	    act_call(e->b, e->url_a, "echo", 5000, NULL, 0, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.status, AIS_ENOTSUP);
	act_reply_buf_fini(&r);
	/* Timer ticks come only from the actor's own timers. */
	assert_int_equal(act_call(e->b, e->url_a, "echo", AIS_MSG_TIMER,
	                     "12345678", 8, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.status, AIS_EPROTO);
	act_reply_buf_fini(&r);
	assert_int_equal(atomic_load(&e->probe.ticks), 0);
}

static void
test_malformed_envelope(void **vstate)
{
	test_env *e = *vstate;
	nng_socket s;
	nng_msg *m;
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
	act_reply_buf r = { 0 };
	pb_envelope env;
	pb_envelope_dec *dec;

	assert_int_equal(nng_req0_open(&s), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, TEST_TMO), 0);
	assert_int_equal(nng_dial(s, e->url_a, NULL, 0), 0);
	assert_int_equal(nng_msg_alloc(&m, 0), 0);
	assert_int_equal(nng_msg_append(m, junk, sizeof(junk)), 0);
	assert_int_equal(nng_sendmsg(s, m, 0), 0);
	assert_int_equal(nng_recvmsg(s, &m, 0), 0);
	assert_int_equal(
	    pb_envelope_decode(nng_msg_body(m), nng_msg_len(m), &env, &dec),
	    AIS_OK);
	assert_int_equal(env.status, AIS_EPROTO);
	pb_envelope_dec_free(dec);
	nng_msg_free(m);
	nng_close(s);
	/* The router is still serving. */
	assert_int_equal(act_call(e->b, e->url_a, "echo", AIS_MSG_TEST_ECHO,
	                     "ok", 2, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.status, AIS_OK);
	act_reply_buf_fini(&r);
}

static void
test_deferred_reply(void **vstate)
{
	test_env *e = *vstate;
	act_reply_buf r = { 0 };
	int64_t t0 = test_now_ms();

	assert_int_equal(act_call(e->b, e->url_a, "echo", AIS_MSG_JOIN_REQ,
	                     NULL, 0, TEST_TMO, &r),
	    AIS_OK);
	assert_true(test_now_ms() - t0 >= 25);
	assert_int_equal(r.type, AIS_MSG_JOIN_RESP);
	assert_int_equal(r.status, AIS_OK);
	assert_memory_equal(r.data, "late", 4);
	act_reply_buf_fini(&r);

	/* While one request waits, the actor keeps serving others. */
	assert_int_equal(act_call(e->a, NULL, "echo", AIS_MSG_JOIN_REQ, NULL,
	                     0, TEST_TMO, &r),
	    AIS_OK);
	assert_memory_equal(r.data, "late", 4);
	act_reply_buf_fini(&r);
}

static void
test_oneway_send(void **vstate)
{
	test_env *e = *vstate;

	assert_int_equal(
	    act_send(e->a, NULL, "echo", AIS_MSG_META_PUSH, "local", 5),
	    AIS_OK);
	assert_int_equal(
	    act_send(e->b, e->url_a, "echo", AIS_MSG_META_PUSH, "remote", 6),
	    AIS_OK);
	for (int i = 0; i < 200 && atomic_load(&e->probe.oneway) < 2; i++) {
		test_sleep_ms(10);
	}
	assert_int_equal(atomic_load(&e->probe.oneway), 2);
	assert_int_equal(
	    act_send(e->a, NULL, "nope", AIS_MSG_META_PUSH, NULL, 0),
	    AIS_ENOENT);
	/* A send to a dead node is queued; closing the runtime (teardown)
	 * must not wait for its deadline. */
	assert_int_equal(
	    act_send(e->b, e->url_dead, "echo", AIS_MSG_META_PUSH, "lost", 4),
	    AIS_OK);
}

static void
test_timers(void **vstate)
{
	test_env *e = *vstate;
	act_reply_buf r = { 0 };
	int n;

	assert_int_equal(act_call(e->a, NULL, "echo", AIS_MSG_HEALTH_REQ, NULL,
	                     0, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.status, AIS_OK);
	act_reply_buf_fini(&r);
	for (int i = 0; i < 200; i++) {
		if (atomic_load(&e->probe.ticks) >= 3
		    && atomic_load(&e->probe.periodic) >= 4) {
			break;
		}
		test_sleep_ms(10);
	}
	assert_int_equal(atomic_load(&e->probe.ticks), 3);
	assert_int_equal(e->probe.tick_log[0], 1);
	assert_int_equal(e->probe.tick_log[1], 2);
	assert_int_equal(e->probe.tick_log[2], 3);
	assert_true(atomic_load(&e->probe.periodic) >= 4);

	/* Cancelled periodic timers stay quiet. */
	assert_int_equal(act_call(e->a, NULL, "echo", AIS_MSG_HEALTH_RESP,
	                     NULL, 0, TEST_TMO, &r),
	    AIS_OK);
	act_reply_buf_fini(&r);
	n = atomic_load(&e->probe.periodic);
	test_sleep_ms(80);
	assert_int_equal(atomic_load(&e->probe.periodic), n);
	assert_int_equal(atomic_load(&e->probe.ticks), 3);
}

static void
test_dead_address(void **vstate)
{
	test_env *e = *vstate;
	act_reply_buf r = { 0 };
	int64_t t0 = test_now_ms();
	int64_t dt;

	assert_int_equal(act_call(e->b, e->url_dead, "echo", AIS_MSG_TEST_ECHO,
	                     "x", 1, 200, &r),
	    AIS_ETIMEDOUT);
	dt = test_now_ms() - t0;
	assert_true(dt >= 150);
	assert_true(dt < 1000);
	assert_null(r.data);
	assert_null(r.errmsg);
	/* A malformed URL fails at once. */
	assert_int_not_equal(act_call(e->b, "bogus://x", "echo",
	                         AIS_MSG_TEST_ECHO, "x", 1, 200, &r),
	    AIS_OK);
}

static void
test_call_many(void **vstate)
{
	test_env *e = *vstate;
	const char *urls[4] = { e->url_a, e->url_dead, NULL, e->url_a };
	ais_err res[4];
	act_reply_buf rep[4];
	int64_t t0 = test_now_ms();
	int64_t dt;

	/* From node A: A over tcp, a dead node, A in-process, and A again. */
	assert_int_equal(act_call_many(e->a, urls, 4, "echo",
	                     AIS_MSG_TEST_ECHO, "fan", 3, 300, res, rep),
	    AIS_ETIMEDOUT);
	dt = test_now_ms() - t0;
	assert_true(dt >= 250);
	assert_true(dt < 1500);
	for (int i = 0; i < 4; i++) {
		if (i == 1) {
			assert_int_equal(res[i], AIS_ETIMEDOUT);
			assert_null(rep[i].data);
			continue;
		}
		assert_int_equal(res[i], AIS_OK);
		assert_int_equal(rep[i].status, AIS_OK);
		assert_int_equal(rep[i].len, 3);
		assert_memory_equal(rep[i].data, "fan", 3);
	}
	for (int i = 0; i < 4; i++) {
		act_reply_buf_fini(&rep[i]);
	}
	/* All good -> AIS_OK. */
	assert_int_equal(act_call_many(e->b, urls, 1, "echo",
	                     AIS_MSG_TEST_ECHO, "1", 1, TEST_TMO, res, rep),
	    AIS_OK);
	act_reply_buf_fini(&rep[0]);
}

/* Pipelined calls: several started before any is finished, over tcp and
 * in-process, with in-place filled replies; a failed fill is an error
 * reply; a dead node times out in its own finish only. */
static void
test_call_async(void **vstate)
{
	test_env *e = *vstate;
	static const char *const sizes[4] = { "0", "1", "70000", "3000000" };
	act_call_h *h[8] = { NULL };
	act_reply_buf r;

	for (int i = 0; i < 8; i++) {
		const char *sz = sizes[i % 4];

		assert_int_equal(
		    act_call_start(e->b, i < 4 ? e->url_a : NULL, "echo",
		        AIS_MSG_TEST_FILL, sz, strlen(sz), TEST_TMO, &h[i]),
		    AIS_OK);
		assert_non_null(h[i]);
	}
	for (int i = 7; i >= 0; i--) {
		size_t n = (size_t) strtoull(sizes[i % 4], NULL, 10);

		if (i >= 4) {
			/* no "echo" actor runs in runtime b */
			assert_int_equal(act_call_finish(h[i], &r), AIS_OK);
			assert_int_equal(r.status, AIS_ENOENT);
			act_reply_buf_fini(&r);
			continue;
		}
		assert_int_equal(act_call_finish(h[i], &r), AIS_OK);
		assert_int_equal(r.status, AIS_OK);
		assert_int_equal(r.type, AIS_MSG_TEST_FILL);
		assert_int_equal(r.len, n);
		for (size_t k = 0; k < n; k += 4099) {
			assert_int_equal(r.data[k], 'a' + k % 26);
		}
		act_reply_buf_fini(&r);
	}
	/* local to a: in place too */
	assert_int_equal(act_call_start(e->a, NULL, "echo", AIS_MSG_TEST_FILL,
	                     "5", 1, TEST_TMO, &h[0]),
	    AIS_OK);
	assert_int_equal(act_call_finish(h[0], &r), AIS_OK);
	assert_int_equal(r.len, 5);
	assert_memory_equal(r.data, "abcde", 5);
	act_reply_buf_fini(&r);
	/* fill error -> the reply's status and text */
	assert_int_equal(act_call_start(e->b, e->url_a, "echo",
	                     AIS_MSG_TEST_FILL, "err", 3, TEST_TMO, &h[0]),
	    AIS_OK);
	assert_int_equal(act_call_finish(h[0], &r), AIS_OK);
	assert_int_equal(r.status, AIS_EIO);
	assert_string_equal(r.errmsg, "fill refused");
	assert_null(r.data);
	act_reply_buf_fini(&r);
	/* a dead node: only its own call times out */
	assert_int_equal(act_call_start(e->b, e->url_dead, "echo",
	                     AIS_MSG_TEST_ECHO, "x", 1, 200, &h[0]),
	    AIS_OK);
	assert_int_equal(act_call_start(e->b, e->url_a, "echo",
	                     AIS_MSG_TEST_ECHO, "y", 1, TEST_TMO, &h[1]),
	    AIS_OK);
	assert_int_equal(act_call_finish(h[1], &r), AIS_OK);
	assert_memory_equal(r.data, "y", 1);
	act_reply_buf_fini(&r);
	assert_int_equal(act_call_finish(h[0], &r), AIS_ETIMEDOUT);
	assert_null(r.data);
	/* bad arguments */
	assert_int_equal(act_call_start(e->b, e->url_a, "echo",
	                     AIS_MSG_TEST_ECHO, "x", 1, 0, &h[0]),
	    AIS_EINVAL);
	assert_null(h[0]);
	assert_int_equal(act_call_finish(NULL, &r), AIS_EINVAL);
}

/* act_call_start_fill: the request's payload is written in place. */
typedef struct test_req_fill {
	size_t n;    /* bytes to write */
	ais_err err; /* or fail with this */
} test_req_fill;

static ais_err
test_req_filler(
    void *arg, uint8_t *buf, size_t max, size_t *used, char *eb, size_t elen)
{
	const test_req_fill *f = arg;

	if (f->err != AIS_OK) {
		snprintf(eb, elen, "no data");
		return f->err;
	}
	for (size_t i = 0; i < f->n && i < max; i++) {
		buf[i] = (uint8_t) ('A' + i % 26);
	}
	*used = f->n; /* may exceed max: the runtime refuses it */
	return AIS_OK;
}

static void
test_call_fill(void **vstate)
{
	test_env *e = *vstate;
	static const size_t sizes[3] = { 0, 10, 2000000 };
	act_call_h *h[6] = { NULL };
	test_req_fill f[3];
	act_reply_buf r;

	/* several in flight, echoed back: over tcp and in-process */
	for (int i = 0; i < 6; i++) {
		f[i % 3] = (test_req_fill) { .n = sizes[i % 3] };
		assert_int_equal(
		    act_call_start_fill(e->b, i < 3 ? e->url_a : NULL, "echo",
		        AIS_MSG_TEST_ECHO, sizes[i % 3] + 100, test_req_filler,
		        &f[i % 3], TEST_TMO, &h[i]),
		    AIS_OK);
		assert_non_null(h[i]);
	}
	for (int i = 0; i < 6; i++) {
		size_t n = sizes[i % 3];

		assert_int_equal(act_call_finish(h[i], &r), AIS_OK);
		if (i >= 3) {
			assert_int_equal(
			    r.status, AIS_ENOENT); /* no echo in b */
			act_reply_buf_fini(&r);
			continue;
		}
		assert_int_equal(r.status, AIS_OK);
		assert_int_equal(r.len, n);
		for (size_t k = 0; k < n; k += 997) {
			assert_int_equal(r.data[k], 'A' + k % 26);
		}
		act_reply_buf_fini(&r);
	}
	/* the fill fails: the call's own status, nothing sent */
	f[0] = (test_req_fill) { .err = AIS_EIO };
	assert_int_equal(
	    act_call_start_fill(e->b, e->url_a, "echo", AIS_MSG_TEST_ECHO, 64,
	        test_req_filler, &f[0], TEST_TMO, &h[0]),
	    AIS_OK);
	assert_int_equal(act_call_finish(h[0], &r), AIS_EIO);
	assert_null(r.data);
	/* more than max written: refused */
	f[0] = (test_req_fill) { .n = 65 };
	assert_int_equal(
	    act_call_start_fill(e->b, e->url_a, "echo", AIS_MSG_TEST_ECHO, 64,
	        test_req_filler, &f[0], TEST_TMO, &h[0]),
	    AIS_OK);
	assert_int_equal(act_call_finish(h[0], &r), AIS_EINTERNAL);
	/* bad arguments */
	assert_int_equal(
	    act_call_start_fill(e->b, e->url_a, "echo", AIS_MSG_TEST_ECHO, 64,
	        NULL, NULL, TEST_TMO, &h[0]),
	    AIS_EINVAL);
	assert_null(h[0]);
}

/* Concurrent callers share one cached socket, each with its own context. */
typedef struct test_caller {
	test_env *e;
	int id;
	int ok;
} test_caller;

static void *
test_caller_main(void *arg)
{
	test_caller *c = arg;
	char buf[32];

	for (int i = 0; i < 20; i++) {
		act_reply_buf r = { 0 };
		int len = snprintf(buf, sizeof(buf), "%d-%d", c->id, i);

		if (act_call(c->e->b, c->e->url_a, "echo", AIS_MSG_TEST_ECHO,
		        buf, (size_t) len, TEST_TMO, &r)
		        == AIS_OK
		    && r.len == (size_t) len
		    && memcmp(r.data, buf, r.len) == 0) {
			c->ok++;
		}
		act_reply_buf_fini(&r);
	}
	return NULL;
}

static void
test_concurrent_callers(void **vstate)
{
	test_env *e = *vstate;
	pthread_t thr[4];
	test_caller c[4];

	for (int i = 0; i < 4; i++) {
		c[i] = (test_caller) { .e = e, .id = i };
		assert_int_equal(
		    pthread_create(&thr[i], NULL, test_caller_main, &c[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(thr[i], NULL);
		assert_int_equal(c[i].ok, 20);
	}
}

static void
test_fail_and_restart(void **vstate)
{
	test_env *e = *vstate;
	act_reply_buf r = { 0 };

	assert_false(act_failed(e->echo));
	assert_false(act_wait_failed(e->echo, 20));
	assert_int_equal(act_restart(e->echo), AIS_EBUSY);
	atomic_store(&e->probe.fail_now, 1);
	assert_int_equal(act_call(e->b, e->url_a, "echo", AIS_MSG_TEST_FAIL,
	                     NULL, 0, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.status, AIS_EINTERNAL);
	act_reply_buf_fini(&r);
	assert_true(act_wait_failed(e->echo, TEST_TMO));
	assert_true(act_failed(e->echo));
	/* Requests wait in the mailbox while the actor is down. */
	assert_int_equal(
	    act_call(e->a, NULL, "echo", AIS_MSG_TEST_ECHO, "z", 1, 100, &r),
	    AIS_ETIMEDOUT);
	atomic_store(&e->probe.fail_now, 0);
	assert_int_equal(act_restart(e->echo), AIS_OK);
	assert_false(act_failed(e->echo));
	assert_int_equal(act_call(e->a, NULL, "echo", AIS_MSG_TEST_ECHO, "z",
	                     1, TEST_TMO, &r),
	    AIS_OK);
	assert_memory_equal(r.data, "z", 1);
	act_reply_buf_fini(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_local_roundtrip, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_tcp_roundtrip, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_tcp_unknown_actor, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_unsupported_type, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_malformed_envelope, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_deferred_reply, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_oneway_send, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_timers, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dead_address, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_call_many, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_call_async, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_call_fill, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_concurrent_callers, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fail_and_restart, test_setup, test_teardown),
	};
	int rc;

	ais_log_level = AIS_LOG_NOTICE;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	nng_fini();
	return rc;
}
