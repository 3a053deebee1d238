/*
 * Supervisor tests: a child whose handler returns AIS_EINTERNAL is restarted
 * with back-off and its state rebuilt (reset, or fini+init without one),
 * calls work again and restarts are counted; past the restart budget the
 * supervisor gives up once and says so; close stops children in reverse
 * start order. Every wait is bounded.
 */
/* cmocka.h needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>

#include "actors/runtime/actor.h"
#include "actors/runtime/supervisor.h"
#include "core/log.h"
#include "proto/msg.h"

#define TEST_TMO 2000

/* Shared with the actors (they run on their own threads). */
typedef struct test_book {
	pthread_mutex_t mtx;
	char order[128]; /* "+a +b -b -a": init and fini, in order */
	atomic_int inits;
	atomic_int resets;
	atomic_int finis;
	atomic_int giveups;
	ais_err giveup_err;
	char giveup_name[32];
} test_book;

typedef struct test_state {
	test_book *book;
	int generation; /* 0 after init, +1 per reset */
	const char *tag;
} test_state;

static void
test_book_add(test_book *b, char sign, const char *tag)
{
	pthread_mutex_lock(&b->mtx);
	size_t n = strlen(b->order);

	snprintf(b->order + n, sizeof(b->order) - n, "%s%c%s",
	    n > 0 ? " " : "", sign, tag);
	pthread_mutex_unlock(&b->mtx);
}

static ais_err
test_on_echo(void *state, act_ctx *ctx, const act_msg *msg)
{
	test_state *st = state;
	uint8_t gen = (uint8_t) st->generation;

	(void) msg;
	return act_reply(ctx, AIS_MSG_TEST_ECHO, AIS_OK, NULL, &gen, 1);
}

static ais_err
test_on_fail(void *state, act_ctx *ctx, const act_msg *msg)
{
	(void) state;
	(void) ctx;
	(void) msg;
	return AIS_EINTERNAL;
}

static const act_handler test_handlers[AIS_MSG__COUNT] = {
	[AIS_MSG_TEST_ECHO] = test_on_echo,
	[AIS_MSG_TEST_FAIL] = test_on_fail,
};

static ais_err
test_init(void *state, act_actor *self, void *arg)
{
	test_state *st = state;

	st->book = arg;
	st->tag = act_name(self);
	atomic_fetch_add(&st->book->inits, 1);
	test_book_add(st->book, '+', st->tag);
	return AIS_OK;
}

static ais_err
test_reset(void *state, act_actor *self, void *arg)
{
	test_state *st = state;

	(void) self;
	(void) arg;
	st->generation++;
	atomic_fetch_add(&st->book->resets, 1);
	return AIS_OK;
}

static void
test_fini(void *state)
{
	test_state *st = state;

	atomic_fetch_add(&st->book->finis, 1);
	test_book_add(st->book, '-', st->tag);
}

static const act_ops test_flaky_ops = {
	.name = "flaky",
	.state_size = sizeof(test_state),
	.init = test_init,
	.reset = test_reset,
	.fini = test_fini,
	.handlers = test_handlers,
	.nhandlers = AIS_MSG__COUNT,
};

/* No reset: a restart is fini + init on zeroed state. */
static const act_ops test_plain_ops = {
	.name = "plain",
	.state_size = sizeof(test_state),
	.init = test_init,
	.fini = test_fini,
	.handlers = test_handlers,
	.nhandlers = AIS_MSG__COUNT,
};

static void
test_on_giveup(void *cookie, const char *actor, ais_err last)
{
	test_book *b = cookie;

	pthread_mutex_lock(&b->mtx);
	snprintf(b->giveup_name, sizeof(b->giveup_name), "%s", actor);
	b->giveup_err = last;
	pthread_mutex_unlock(&b->mtx);
	atomic_fetch_add(&b->giveups, 1);
}

typedef struct test_env {
	test_book book;
	act_rt *rt;
	act_sup *sup;
} test_env;

static void
test_env_open(test_env *e, int max_restarts)
{
	act_sup_policy pol = {
		.max_restarts = max_restarts,
		.window_ms = 10000,
		.backoff_min_ms = 10,
		.backoff_max_ms = 40,
		.on_giveup = test_on_giveup,
		.cookie = &e->book,
	};

	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->book.mtx, NULL);
	assert_int_equal(act_rt_open("node", NULL, &e->rt), AIS_OK);
	assert_int_equal(act_sup_open(e->rt, &pol, &e->sup), AIS_OK);
}

static void
test_env_close(test_env *e)
{
	act_sup_close(e->sup);
	act_rt_close(e->rt);
	pthread_mutex_destroy(&e->book.mtx);
}

static void
test_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Polls until the child reaches `state` with `restarts` restarts. */
static bool
test_wait_child(
    act_sup *sup, const char *name, act_child_state state, int restarts)
{
	act_child_status cs;

	for (int i = 0; i < 300; i++) {
		if (act_sup_status(sup, name, &cs) == AIS_OK
		    && cs.state == state && cs.restarts == restarts) {
			return true;
		}
		test_sleep_ms(10);
	}
	return false;
}

static void
test_fail(act_rt *rt, const char *name)
{
	act_reply_buf r = { 0 };

	assert_int_equal(
	    act_call(rt, NULL, name, AIS_MSG_TEST_FAIL, NULL, 0, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.status, AIS_EINTERNAL);
	act_reply_buf_fini(&r);
}

static int
test_generation(act_rt *rt, const char *name)
{
	act_reply_buf r = { 0 };
	int gen;

	assert_int_equal(
	    act_call(rt, NULL, name, AIS_MSG_TEST_ECHO, NULL, 0, TEST_TMO, &r),
	    AIS_OK);
	assert_int_equal(r.status, AIS_OK);
	assert_int_equal(r.len, 1);
	gen = r.data[0];
	act_reply_buf_fini(&r);
	return gen;
}

static void
test_restart_with_reset(void **vstate)
{
	test_env e;
	act_actor *a;
	act_child_status cs;

	(void) vstate;
	test_env_open(&e, 3);
	assert_int_equal(
	    act_sup_start_child(e.sup, &test_flaky_ops, &e.book, &a), AIS_OK);
	assert_int_equal(act_sup_status(e.sup, "flaky", &cs), AIS_OK);
	assert_int_equal(cs.state, ACT_CHILD_RUNNING);
	assert_int_equal(cs.restarts, 0);
	assert_int_equal(test_generation(e.rt, "flaky"), 0);

	test_fail(e.rt, "flaky");
	assert_true(test_wait_child(e.sup, "flaky", ACT_CHILD_RUNNING, 1));
	assert_int_equal(test_generation(e.rt, "flaky"), 1);
	test_fail(e.rt, "flaky");
	assert_true(test_wait_child(e.sup, "flaky", ACT_CHILD_RUNNING, 2));
	assert_int_equal(test_generation(e.rt, "flaky"), 2);
	assert_int_equal(atomic_load(&e.book.inits), 1);
	assert_int_equal(atomic_load(&e.book.resets), 2);
	assert_int_equal(atomic_load(&e.book.finis), 0);
	assert_int_equal(atomic_load(&e.book.giveups), 0);
	assert_int_equal(act_sup_status(e.sup, "nope", &cs), AIS_ENOENT);
	test_env_close(&e);
	assert_int_equal(atomic_load(&e.book.finis), 1);
}

static void
test_restart_fini_init(void **vstate)
{
	test_env e;

	(void) vstate;
	test_env_open(&e, 3);
	assert_int_equal(
	    act_sup_start_child(e.sup, &test_plain_ops, &e.book, NULL),
	    AIS_OK);
	test_fail(e.rt, "plain");
	assert_true(test_wait_child(e.sup, "plain", ACT_CHILD_RUNNING, 1));
	/* Fresh (zeroed) state: generation back at 0. */
	assert_int_equal(test_generation(e.rt, "plain"), 0);
	assert_int_equal(atomic_load(&e.book.inits), 2);
	assert_int_equal(atomic_load(&e.book.finis), 1);
	test_env_close(&e);
	assert_int_equal(atomic_load(&e.book.finis), 2);
}

static void
test_giveup(void **vstate)
{
	test_env e;
	act_reply_buf r = { 0 };
	act_child_status cs;

	(void) vstate;
	test_env_open(&e, 2);
	assert_int_equal(
	    act_sup_start_child(e.sup, &test_flaky_ops, &e.book, NULL),
	    AIS_OK);
	test_fail(e.rt, "flaky");
	assert_true(test_wait_child(e.sup, "flaky", ACT_CHILD_RUNNING, 1));
	test_fail(e.rt, "flaky");
	assert_true(test_wait_child(e.sup, "flaky", ACT_CHILD_RUNNING, 2));
	test_fail(e.rt, "flaky");
	assert_true(test_wait_child(e.sup, "flaky", ACT_CHILD_GAVEUP, 2));
	for (int i = 0; i < 100 && atomic_load(&e.book.giveups) == 0; i++) {
		test_sleep_ms(10);
	}
	assert_int_equal(atomic_load(&e.book.giveups), 1);
	assert_string_equal(e.book.giveup_name, "flaky");
	assert_int_equal(e.book.giveup_err, AIS_EINTERNAL);
	/* It stays down: calls time out, no more restarts or give-ups. */
	assert_int_equal(
	    act_call(e.rt, NULL, "flaky", AIS_MSG_TEST_ECHO, NULL, 0, 100, &r),
	    AIS_ETIMEDOUT);
	test_sleep_ms(100);
	assert_int_equal(act_sup_status(e.sup, "flaky", &cs), AIS_OK);
	assert_int_equal(cs.state, ACT_CHILD_GAVEUP);
	assert_int_equal(cs.restarts, 2);
	assert_int_equal(atomic_load(&e.book.giveups), 1);
	assert_int_equal(atomic_load(&e.book.resets), 2);
	test_env_close(&e);
	assert_int_equal(atomic_load(&e.book.finis), 1);
}

static void
test_close_order(void **vstate)
{
	test_env e;
	static const act_ops ops[3] = {
		{ .name = "a",
		    .state_size = sizeof(test_state),
		    .init = test_init,
		    .fini = test_fini,
		    .handlers = test_handlers,
		    .nhandlers = AIS_MSG__COUNT },
		{ .name = "b",
		    .state_size = sizeof(test_state),
		    .init = test_init,
		    .fini = test_fini,
		    .handlers = test_handlers,
		    .nhandlers = AIS_MSG__COUNT },
		{ .name = "c",
		    .state_size = sizeof(test_state),
		    .init = test_init,
		    .fini = test_fini,
		    .handlers = test_handlers,
		    .nhandlers = AIS_MSG__COUNT },
	};

	(void) vstate;
	test_env_open(&e, 1);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(
		    act_sup_start_child(e.sup, &ops[i], &e.book, NULL),
		    AIS_OK);
	}
	/* Same name twice is refused. */
	assert_int_equal(
	    act_sup_start_child(e.sup, &ops[1], &e.book, NULL), AIS_EEXIST);
	assert_int_equal(test_generation(e.rt, "b"), 0);
	act_sup_close(e.sup);
	assert_string_equal(e.book.order, "+a +b +c -c -b -a");
	act_rt_close(e.rt);
	pthread_mutex_destroy(&e.book.mtx);
}

static void
test_bad_policy(void **vstate)
{
	act_rt *rt;
	act_sup *sup;
	act_sup_policy pol = { .max_restarts = 1,
		.window_ms = 1000,
		.backoff_min_ms = 100,
		.backoff_max_ms = 10 };

	(void) vstate;
	assert_int_equal(act_rt_open("node", NULL, &rt), AIS_OK);
	assert_int_equal(act_sup_open(rt, &pol, &sup), AIS_EINVAL);
	act_rt_close(rt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_with_reset),
		cmocka_unit_test(test_restart_fini_init),
		cmocka_unit_test(test_giveup),
		cmocka_unit_test(test_close_order),
		cmocka_unit_test(test_bad_policy),
	};
	int rc;

	ais_log_level = AIS_LOG_NOTICE;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	nng_fini();
	return rc;
}
