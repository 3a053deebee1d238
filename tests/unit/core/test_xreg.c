/*
 * Unit tests for core/xreg: start/find/finish/abort, generated and given
 * IDs, queries and their filters, eviction of finished jobs from a full
 * table, EBUSY when every job runs, concurrent counters, and the snapshot
 * JSON round trip (AIS core.Snap shape, RFC 3339 times with nanoseconds).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/xreg.h"

static int
setup(void **state)
{
	ais_xreg *reg = NULL;

	assert_int_equal(ais_xreg_alloc(4, &reg), AIS_OK);
	*state = reg;
	return 0;
}

static int
teardown(void **state)
{
	ais_xreg_free(*state);
	return 0;
}

static ais_xact_bck
bck_of(const char *name)
{
	ais_xact_bck b;

	memset(&b, 0, sizeof(b));
	snprintf(b.provider, sizeof(b.provider), "ais");
	snprintf(b.name, sizeof(b.name), "%s", name);
	return b;
}

static void
test_start_find_finish(void **state)
{
	ais_xreg *reg = *state;
	ais_xact *x = NULL;
	ais_xact *y;
	ais_xact_snap s;
	ais_xact_bck b = bck_of("b1");

	assert_int_equal(
	    ais_xreg_start(reg, NULL, "delete-listrange", &b, &x), AIS_OK);
	assert_int_equal(strlen(ais_xact_id(x)), AIS_XACT_ID_LEN);
	assert_true(ais_xact_id_valid(ais_xact_id(x)));
	y = ais_xreg_find(reg, ais_xact_id(x));
	assert_ptr_equal(x, y);
	ais_xact_rele(y);
	assert_null(ais_xreg_find(reg, "nosuchjob1"));

	ais_xact_add(x, 2, 100);
	ais_xact_add(x, 1, 5);
	ais_xact_snap_get(x, &s);
	assert_string_equal(s.kind, "delete-listrange");
	assert_string_equal(s.bck.name, "b1");
	assert_true(s.start_ns > 0);
	assert_int_equal(s.end_ns, 0);
	assert_int_equal(s.objs, 3);
	assert_int_equal(s.bytes, 105);
	assert_false(ais_xact_finished(x));

	ais_xact_finish(x, "t1: 2 errors");
	ais_xact_finish(x, "ignored");
	ais_xact_snap_get(x, &s);
	assert_true(s.end_ns >= s.start_ns);
	assert_string_equal(s.err, "t1: 2 errors");
	assert_true(ais_xact_finished(x));
	/* aborting a finished job changes nothing */
	assert_false(ais_xact_abort(x, "late"));
	ais_xact_rele(x);
}

static void
test_given_id(void **state)
{
	ais_xreg *reg = *state;
	ais_xact *x = NULL;
	ais_xact *y = NULL;

	assert_int_equal(
	    ais_xreg_start(reg, "Job-12345", "k", NULL, &x), AIS_OK);
	assert_string_equal(ais_xact_id(x), "Job-12345");
	assert_int_equal(
	    ais_xreg_start(reg, "Job-12345", "k", NULL, &y), AIS_EEXIST);
	assert_null(y);
	assert_int_equal(
	    ais_xreg_start(reg, "-bad", "k", NULL, &y), AIS_EINVAL);
	assert_int_equal(
	    ais_xreg_start(reg, "bad id", "k", NULL, &y), AIS_EINVAL);
	assert_int_equal(ais_xreg_start(reg, NULL, "", NULL, &y), AIS_EINVAL);
	ais_xact_rele(x);

	assert_true(ais_xact_id_valid("abcdefghi"));
	assert_true(ais_xact_id_valid("g42"));
	assert_false(ais_xact_id_valid("abc_"));
	assert_false(ais_xact_id_valid(""));
	assert_false(ais_xact_id_valid(NULL));
	assert_false(ais_xact_id_valid("0123456789012345678901234567890123"));
}

static void
test_abort(void **state)
{
	ais_xreg *reg = *state;
	ais_xact *x = NULL;
	ais_xact_snap s;

	assert_int_equal(
	    ais_xreg_start(reg, "abortme1", "k", NULL, &x), AIS_OK);
	assert_false(ais_xact_aborted(x));
	assert_true(ais_xreg_abort(reg, "abortme1", "user said so"));
	assert_false(ais_xreg_abort(reg, "abortme1", "twice"));
	assert_false(ais_xreg_abort(reg, "unknownjob", NULL));
	assert_true(ais_xact_aborted(x));
	ais_xact_snap_get(x, &s);
	assert_true(s.aborted);
	assert_int_equal(s.end_ns, 0); /* until the worker finishes it */
	assert_string_equal(s.abort_err, "user said so");
	ais_xact_finish(x, NULL);
	ais_xact_snap_get(x, &s);
	assert_true(s.end_ns != 0);
	ais_xact_rele(x);
}

static void
test_evict_and_busy(void **state)
{
	ais_xreg *reg = *state; /* room for 4 */
	ais_xact *x[5] = { 0 };
	char id[16];

	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "job%06d", i);
		assert_int_equal(
		    ais_xreg_start(reg, id, "k", NULL, &x[i]), AIS_OK);
	}
	assert_int_equal(ais_xreg_count(reg), 4);
	assert_int_equal(
	    ais_xreg_start(reg, "job999999", "k", NULL, &x[4]), AIS_EBUSY);
	/* finish two; the one that ended first goes */
	ais_xact_finish(x[2], NULL);
	ais_xact_finish(x[1], NULL);
	assert_int_equal(
	    ais_xreg_start(reg, "job999999", "k", NULL, &x[4]), AIS_OK);
	assert_int_equal(ais_xreg_count(reg), 4);
	{
		ais_xact *gone = ais_xreg_find(reg, "job000002");
		ais_xact *kept = ais_xreg_find(reg, "job000001");

		assert_null(gone);
		assert_non_null(kept);
		ais_xact_rele(kept);
	}
	/* the evicted job stays usable by its holder */
	ais_xact_add(x[2], 1, 1);
	for (int i = 0; i < 5; i++) {
		ais_xact_rele(x[i]);
	}
}

static void
test_query(void **state)
{
	ais_xreg *reg = *state;
	ais_xact *a = NULL;
	ais_xact *b = NULL;
	ais_xact *c = NULL;
	ais_xact_bck b1 = bck_of("b1");
	ais_xact_bck b2 = bck_of("b2");
	ais_xact_snap *snaps = NULL;
	size_t n = 0;
	ais_xact_query q;

	assert_int_equal(
	    ais_xreg_start(reg, "aaaaaaaaa", "delete-listrange", &b1, &a),
	    AIS_OK);
	assert_int_equal(
	    ais_xreg_start(reg, "bbbbbbbbb", "delete-listrange", &b2, &b),
	    AIS_OK);
	assert_int_equal(
	    ais_xreg_start(reg, "ccccccccc", "copy-bck", &b1, &c), AIS_OK);
	ais_xact_finish(b, NULL);

	assert_int_equal(ais_xreg_query(reg, NULL, &snaps, &n), AIS_OK);
	assert_int_equal(n, 3);
	assert_string_equal(snaps[0].id, "aaaaaaaaa"); /* by start time */
	free(snaps);

	memset(&q, 0, sizeof(q));
	q.kind = "delete-listrange";
	assert_int_equal(ais_xreg_query(reg, &q, &snaps, &n), AIS_OK);
	assert_int_equal(n, 2);
	free(snaps);

	q.only_running = true;
	assert_int_equal(ais_xreg_query(reg, &q, &snaps, &n), AIS_OK);
	assert_int_equal(n, 1);
	assert_string_equal(snaps[0].id, "aaaaaaaaa");
	free(snaps);

	memset(&q, 0, sizeof(q));
	q.bck = &b1;
	assert_int_equal(ais_xreg_query(reg, &q, &snaps, &n), AIS_OK);
	assert_int_equal(n, 2);
	free(snaps);

	memset(&q, 0, sizeof(q));
	q.id = "zzzzzzzzz";
	assert_int_equal(ais_xreg_query(reg, &q, &snaps, &n), AIS_OK);
	assert_int_equal(n, 0);
	assert_null(snaps);

	ais_xact_rele(a);
	ais_xact_rele(b);
	ais_xact_rele(c);
}

static void *
bump(void *arg)
{
	for (int i = 0; i < 10000; i++) {
		ais_xact_add(arg, 1, 10);
	}
	return NULL;
}

static void
test_concurrent_counters(void **state)
{
	ais_xreg *reg = *state;
	ais_xact *x = NULL;
	pthread_t th[4];
	ais_xact_snap s;

	assert_int_equal(ais_xreg_start(reg, NULL, "k", NULL, &x), AIS_OK);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, bump, x), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
	}
	ais_xact_snap_get(x, &s);
	assert_int_equal(s.objs, 40000);
	assert_int_equal(s.bytes, 400000);
	ais_xact_rele(x);
}

static void
test_time(void **state)
{
	char buf[48];
	int64_t ns = 0;

	(void) state;
	ais_xact_time_fmt(0, buf, sizeof(buf));
	assert_string_equal(buf, "0001-01-01T00:00:00Z");
	assert_int_equal(ais_xact_time_parse(buf, &ns), AIS_OK);
	assert_int_equal(ns, 0);

	ais_xact_time_fmt(1795325199045117452LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-22T05:26:39.045117452Z");
	assert_int_equal(ais_xact_time_parse(buf, &ns), AIS_OK);
	assert_int_equal(ns, 1795325199045117452LL);

	ais_xact_time_fmt(1795325199100000000LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-22T05:26:39.1Z");
	ais_xact_time_fmt(1795325199000000000LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-22T05:26:39Z");

	assert_int_equal(
	    ais_xact_time_parse("2026-11-22T07:26:39.5+02:00", &ns), AIS_OK);
	assert_int_equal(ns, 1795325199500000000LL);
	assert_int_equal(ais_xact_time_parse("2026-11-23", &ns), AIS_EINVAL);
	assert_int_equal(
	    ais_xact_time_parse("2026-11-22T05:26:39", &ns), AIS_EINVAL);
	assert_int_equal(ais_xact_time_parse(NULL, &ns), AIS_EINVAL);
}

static void
test_json_roundtrip(void **state)
{
	ais_xact_snap s;
	ais_xact_snap back;
	json_t *j;
	char *txt;

	(void) state;
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "Vx3kq9LmR");
	snprintf(s.kind, sizeof(s.kind), "delete-listrange");
	s.bck = bck_of("b");
	snprintf(s.bck.ns, sizeof(s.bck.ns), "@#prod");
	s.start_ns = 1795325199045117452LL;
	s.end_ns = 1795325200000000001LL;
	s.aborted = true;
	snprintf(s.err, sizeof(s.err), "oops");
	snprintf(s.abort_err, sizeof(s.abort_err), "stop");
	s.objs = 12;
	s.bytes = 3456;

	j = ais_xact_snap_to_json(&s);
	assert_non_null(j);
	txt = json_dumps(j, JSON_COMPACT);
	assert_non_null(strstr(txt, "\"loc-objs\":\"12\""));
	assert_non_null(strstr(txt,
	    "\"namespace\":{\"uuid\":\"\","
	    "\"name\":\"prod\"}"));
	assert_non_null(strstr(txt, "\"is_idle\":true"));
	assert_non_null(strstr(txt, "\"glob.id\":\"0\""));
	free(txt);
	assert_int_equal(ais_xact_snap_from_json(j, &back), AIS_OK);
	json_decref(j);
	assert_string_equal(back.id, s.id);
	assert_string_equal(back.kind, s.kind);
	assert_string_equal(back.bck.name, "b");
	assert_string_equal(back.bck.provider, "ais");
	assert_string_equal(back.bck.ns, "@#prod");
	assert_int_equal(back.start_ns, s.start_ns);
	assert_int_equal(back.end_ns, s.end_ns);
	assert_true(back.aborted);
	assert_string_equal(back.err, "oops");
	assert_string_equal(back.abort_err, "stop");
	assert_int_equal(back.objs, 12);
	assert_int_equal(back.bytes, 3456);

	/* running job: zero end time; keys case-insensitive */
	j = json_pack("{s:s,s:s,s:s,s:s,s:{s:i}}", "ID", "abcdefghi", "Kind",
	    "k", "start-time", "2026-11-22T05:26:39Z", "end-time",
	    "0001-01-01T00:00:00Z", "stats", "loc-objs", 5);
	assert_int_equal(ais_xact_snap_from_json(j, &back), AIS_OK);
	assert_int_equal(back.end_ns, 0);
	assert_int_equal(back.objs, 5);
	json_decref(j);
	j = json_pack("{s:s}", "kind", "k");
	assert_int_equal(ais_xact_snap_from_json(j, &back), AIS_EINVAL);
	json_decref(j);
}

static void
test_node_registry(void **state)
{
	(void) state;
	assert_non_null(ais_xreg_node());
	assert_ptr_equal(ais_xreg_node(), ais_xreg_node());
	ais_xreg_free(NULL);
	ais_xact_rele(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_start_find_finish, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_given_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_evict_and_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_concurrent_counters, setup, teardown),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_node_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
