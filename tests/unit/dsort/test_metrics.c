/*
 * Unit tests for dsort/metrics: the JobInfo JSON field names and types the
 * AIS Python SDK model requires (counters as strings, times as RFC3339Nano,
 * durations as ns ints), phase progression, snapshot -> JSON -> parse round
 * trips (also the SDK 1.2.2 flat Metrics shape), counters and messages
 * updated from many threads, and the proxy-side aggregation.
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
#include "dsort/metrics.h"

#define SEC 1000000000LL
#define T0  (1700000000LL * SEC + 123456789LL)

static dsort_metrics *
mk(void)
{
	dsort_bck src = { .provider = "ais", .name = "in" };
	dsort_bck dst = { .provider = "ais", .ns = "@u1#ns1", .name = "out" };
	dsort_metrics *m;

	assert_int_equal(
	    dsort_metrics_alloc(&m, "Xj1-a2", &src, &dst, "resharding"),
	    AIS_OK);
	return m;
}

static json_t *
json_of(const dsort_metrics *m, int64_t now)
{
	dsort_jobinfo ji;
	json_t *j;

	assert_int_equal(dsort_metrics_snapshot(m, now, &ji), AIS_OK);
	j = dsort_jobinfo_to_json(&ji);
	assert_non_null(j);
	dsort_jobinfo_fini(&ji);
	return j;
}

static void
assert_type(const json_t *o, const char *key, json_type t)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_typeof(v) != t) {
		fail_msg("key %s: missing or of type %d, want %d", key,
		    v == NULL ? -1 : (int) json_typeof(v), (int) t);
	}
}

static void
assert_str(const json_t *o, const char *key, const char *want)
{
	assert_type(o, key, JSON_STRING);
	assert_string_equal(json_string_value(json_object_get(o, key)), want);
}

static void
check_phase(const json_t *ph, const char *const *counters)
{
	assert_type(ph, "started_time", JSON_STRING);
	assert_type(ph, "end_time", JSON_STRING);
	assert_type(ph, "elapsed", JSON_INTEGER);
	assert_true(json_is_boolean(json_object_get(ph, "running")));
	assert_true(json_is_boolean(json_object_get(ph, "finished")));
	for (size_t i = 0; counters[i] != NULL; i++) {
		assert_type(ph, counters[i], JSON_STRING);
	}
}

static void
test_jobinfo_shape(void **state)
{
	static const char *const ext_cnt[] = { "total_count",
		"extracted_count", "extracted_size", "extracted_record_count",
		"extracted_to_disk_count", "extracted_to_disk_size", NULL };
	static const char *const sort_cnt[] = { NULL };
	static const char *const create_cnt[]
	    = { "to_create", "created_count", "moved_shard_count", NULL };
	dsort_metrics *m = mk();
	const json_t *mt, *b, *ns;
	json_t *j;

	(void) state;
	dsort_metrics_phase_begin(m, DSORT_PHASE_EXTRACT, T0);
	dsort_metrics_set(m, DSORT_CNT_TOTAL, 10);
	dsort_metrics_add(m, DSORT_CNT_EXTRACTED, 4);
	dsort_metrics_add(m, DSORT_CNT_EXTRACTED_SIZE, 4096);
	dsort_metrics_add(m, DSORT_CNT_EXTRACTED_RECORDS, 200);
	assert_int_equal(dsort_metrics_warn(m, "shard %d: dup", 3), AIS_OK);
	j = json_of(m, T0 + 2 * SEC);

	assert_str(j, "id", "Xj1-a2");
	b = json_object_get(j, "src-bck");
	assert_str(b, "name", "in");
	assert_str(b, "provider", "ais");
	ns = json_object_get(b, "namespace");
	assert_str(ns, "uuid", "");
	assert_str(ns, "name", "");
	b = json_object_get(j, "dst-bck");
	ns = json_object_get(b, "namespace");
	assert_str(ns, "uuid", "u1");
	assert_str(ns, "name", "ns1");
	assert_str(j, "started_time", "2023-11-14T22:13:20.123456789Z");
	assert_str(j, "finish_time", "0001-01-01T00:00:00Z");
	assert_type(j, "started_meta_sorting", JSON_INTEGER);
	assert_int_equal(
	    json_integer_value(json_object_get(j, "started_meta_sorting")),
	    2 * SEC);
	assert_type(j, "started_shard_creation", JSON_INTEGER);
	assert_type(j, "finished_shard_creation", JSON_INTEGER);
	assert_str(j, "loc-objs", "4");
	assert_str(j, "loc-bytes", "4096");
	assert_true(json_is_false(json_object_get(j, "aborted")));
	assert_true(json_is_false(json_object_get(j, "archived")));

	mt = json_object_get(j, "Metrics");
	assert_non_null(mt);
	check_phase(json_object_get(mt, "local_extraction"), ext_cnt);
	check_phase(json_object_get(mt, "meta_sorting"), sort_cnt);
	check_phase(json_object_get(mt, "shard_creation"), create_cnt);
	assert_str(
	    json_object_get(mt, "local_extraction"), "total_count", "10");
	assert_str(json_object_get(mt, "local_extraction"),
	    "extracted_record_count", "200");
	assert_true(json_is_true(json_object_get(
	    json_object_get(mt, "local_extraction"), "running")));
	assert_str(mt, "description", "resharding");
	assert_type(mt, "warnings", JSON_ARRAY);
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(mt, "warnings"), 0)),
	    "shard 3: dup");
	assert_type(mt, "errors", JSON_ARRAY);
	assert_true(json_is_boolean(json_object_get(mt, "aborted")));
	assert_true(json_is_boolean(json_object_get(mt, "archived")));
	/* no counters where AIS has none */
	assert_null(json_object_get(
	    json_object_get(mt, "meta_sorting"), "created_count"));
	json_decref(j);
	dsort_metrics_free(m);
}

static void
test_phases(void **state)
{
	dsort_metrics *m = mk();
	dsort_jobinfo ji;

	(void) state;
	assert_int_equal(dsort_metrics_snapshot(m, T0, &ji), AIS_OK);
	for (int p = 0; p < DSORT_PHASE__COUNT; p++) {
		assert_false(ji.phase[p].running);
		assert_false(ji.phase[p].finished);
		assert_int_equal(ji.phase[p].start_ns, 0);
		assert_int_equal(ji.phase[p].elapsed_ns, 0);
	}
	dsort_jobinfo_fini(&ji);

	dsort_metrics_phase_begin(m, DSORT_PHASE_EXTRACT, T0);
	dsort_metrics_phase_begin(
	    m, DSORT_PHASE_EXTRACT, T0 + 5); /* ignored */
	assert_int_equal(dsort_metrics_snapshot(m, T0 + SEC, &ji), AIS_OK);
	assert_true(ji.phase[DSORT_PHASE_EXTRACT].running);
	assert_int_equal(ji.phase[DSORT_PHASE_EXTRACT].start_ns, T0);
	assert_int_equal(ji.phase[DSORT_PHASE_EXTRACT].elapsed_ns, SEC);
	dsort_jobinfo_fini(&ji);

	dsort_metrics_phase_finish(m, DSORT_PHASE_EXTRACT, T0 + 3 * SEC);
	dsort_metrics_phase_finish(m, DSORT_PHASE_EXTRACT, T0 + 9 * SEC);
	dsort_metrics_phase_begin(m, DSORT_PHASE_SORT, T0 + 3 * SEC);
	dsort_metrics_phase_finish(m, DSORT_PHASE_SORT, T0 + 4 * SEC);
	dsort_metrics_phase_begin(m, DSORT_PHASE_CREATE, T0 + 4 * SEC);
	assert_int_equal(
	    dsort_metrics_snapshot(m, T0 + 100 * SEC, &ji), AIS_OK);
	assert_false(ji.phase[DSORT_PHASE_EXTRACT].running);
	assert_true(ji.phase[DSORT_PHASE_EXTRACT].finished);
	assert_int_equal(ji.phase[DSORT_PHASE_EXTRACT].end_ns, T0 + 3 * SEC);
	assert_int_equal(ji.phase[DSORT_PHASE_EXTRACT].elapsed_ns, 3 * SEC);
	assert_true(ji.phase[DSORT_PHASE_SORT].finished);
	assert_int_equal(ji.phase[DSORT_PHASE_SORT].elapsed_ns, SEC);
	assert_true(ji.phase[DSORT_PHASE_CREATE].running);
	assert_int_equal(ji.phase[DSORT_PHASE_CREATE].elapsed_ns, 96 * SEC);
	dsort_jobinfo_fini(&ji);

	/* a finish without a begin: zero-length phase, finished */
	dsort_metrics_free(m);
	m = mk();
	dsort_metrics_phase_finish(m, DSORT_PHASE_SORT, T0);
	dsort_metrics_phase_begin(m, DSORT_PHASE_SORT, T0 + SEC);
	assert_int_equal(dsort_metrics_snapshot(m, T0 + 2 * SEC, &ji), AIS_OK);
	assert_true(ji.phase[DSORT_PHASE_SORT].finished);
	assert_false(ji.phase[DSORT_PHASE_SORT].running);
	assert_int_equal(ji.phase[DSORT_PHASE_SORT].elapsed_ns, 0);
	dsort_jobinfo_fini(&ji);
	dsort_metrics_free(m);
}

static void
assert_ji_equal(const dsort_jobinfo *a, const dsort_jobinfo *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->src.name, b->src.name);
	assert_string_equal(a->src.provider, b->src.provider);
	assert_string_equal(a->dst.ns, b->dst.ns);
	for (int p = 0; p < DSORT_PHASE__COUNT; p++) {
		assert_int_equal(a->phase[p].start_ns, b->phase[p].start_ns);
		assert_int_equal(a->phase[p].end_ns, b->phase[p].end_ns);
		assert_int_equal(
		    a->phase[p].elapsed_ns, b->phase[p].elapsed_ns);
		assert_int_equal(a->phase[p].running, b->phase[p].running);
		assert_int_equal(a->phase[p].finished, b->phase[p].finished);
	}
	for (int c = 0; c < DSORT_CNT__COUNT; c++) {
		assert_int_equal(a->cnt[c], b->cnt[c]);
	}
	assert_string_equal(a->description, b->description);
	assert_int_equal(a->nwarnings, b->nwarnings);
	for (size_t i = 0; i < a->nwarnings; i++) {
		assert_string_equal(a->warnings[i], b->warnings[i]);
	}
	assert_int_equal(a->nerrors, b->nerrors);
	for (size_t i = 0; i < a->nerrors; i++) {
		assert_string_equal(a->errors[i], b->errors[i]);
	}
	assert_int_equal(a->aborted, b->aborted);
	assert_int_equal(a->archived, b->archived);
}

static void
test_roundtrip(void **state)
{
	dsort_metrics *m = mk();
	dsort_jobinfo a, b, c;
	json_t *j, *back;
	char *text;
	char err[200] = "";

	(void) state;
	dsort_metrics_phase_begin(m, DSORT_PHASE_EXTRACT, T0);
	dsort_metrics_phase_finish(m, DSORT_PHASE_EXTRACT, T0 + 1500);
	dsort_metrics_phase_begin(m, DSORT_PHASE_SORT, T0 + 2 * SEC);
	for (int i = 0; i < DSORT_CNT__COUNT; i++) {
		dsort_metrics_set(m, i, (int64_t) 1000 * i + 7);
	}
	dsort_metrics_set(m, DSORT_CNT_EXTRACTED_SIZE, INT64_MAX);
	assert_int_equal(dsort_metrics_warn(m, "w1"), AIS_OK);
	assert_int_equal(dsort_metrics_error(m, "e1 \"quoted\""), AIS_OK);
	assert_int_equal(dsort_metrics_error(m, "e2"), AIS_OK);
	dsort_metrics_set_aborted(m);
	assert_true(dsort_metrics_aborted(m));
	assert_int_equal(dsort_metrics_snapshot(m, T0 + 3 * SEC, &a), AIS_OK);

	j = dsort_jobinfo_to_json(&a);
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	back = json_loads(text, 0, NULL);
	assert_non_null(back);
	assert_int_equal(
	    dsort_jobinfo_from_json(back, &b, err, sizeof(err)), AIS_OK);
	assert_ji_equal(&a, &b);

	/* the bare Metrics object (SDK 1.2.2 shape) carries the same
	 * phases, counters and messages */
	json_decref(j);
	j = dsort_jobinfo_metrics_json(&a);
	assert_int_equal(
	    dsort_jobinfo_from_json(j, &c, err, sizeof(err)), AIS_OK);
	assert_string_equal(c.id, "");
	memcpy(c.id, a.id, sizeof(c.id));
	c.src = a.src;
	c.dst = a.dst;
	assert_ji_equal(&a, &c);

	dsort_jobinfo_fini(&a);
	dsort_jobinfo_fini(&b);
	dsort_jobinfo_fini(&c);
	free(text);
	json_decref(j);
	json_decref(back);
	dsort_metrics_free(m);
}

/* The SDK 1.2.2 sample answer from shared/spec/sdk-wire-transcript.md. */
static void
test_parse_sdk_sample(void **state)
{
	static const char sample[]
	    = "{\"local_extraction\":{\"started_time\":\"2024-01-01T00:00:"
	      "00Z\","
	      "\"end_time\":\"2024-01-01T00:00:01Z\",\"elapsed\":1000000000,"
	      "\"running\":false,\"finished\":true,\"total_count\":\"2\","
	      "\"extracted_count\":\"2\",\"extracted_size\":\"156\","
	      "\"extracted_record_count\":\"6\",\"extracted_to_disk_count\":"
	      "\"0\",\"extracted_to_disk_size\":\"0\"},\"meta_sorting\":{"
	      "\"started_time\":\"2024-01-01T00:00:00Z\",\"end_time\":"
	      "\"2024-01-01T00:00:01Z\",\"elapsed\":1000000000,\"running\":"
	      "false,\"finished\":true},\"shard_creation\":{\"started_time\":"
	      "\"2024-01-01T00:00:00Z\",\"end_time\":\"2024-01-01T00:00:01Z\","
	      "\"elapsed\":1000000000,\"running\":false,\"finished\":true,"
	      "\"to_create\":\"1\",\"created_count\":\"1\","
	      "\"moved_shard_count\":\"0\"},\"aborted\":false,\"archived\":"
	      "true,"
	      "\"description\":\"judge c61q7k\"}";
	json_t *j = json_loads(sample, 0, NULL);
	dsort_jobinfo ji;
	char err[200] = "";
	int64_t t;

	(void) state;
	assert_non_null(j);
	assert_int_equal(
	    dsort_jobinfo_from_json(j, &ji, err, sizeof(err)), AIS_OK);
	assert_int_equal(
	    ais_xact_time_parse("2024-01-01T00:00:01Z", &t), AIS_OK);
	assert_int_equal(ji.phase[DSORT_PHASE_CREATE].end_ns, t);
	assert_true(ji.phase[DSORT_PHASE_CREATE].finished);
	assert_int_equal(ji.cnt[DSORT_CNT_EXTRACTED_SIZE], 156);
	assert_int_equal(ji.cnt[DSORT_CNT_CREATED], 1);
	assert_true(ji.archived);
	assert_false(ji.aborted);
	assert_string_equal(ji.description, "judge c61q7k");
	assert_int_equal(ji.nerrors, 0);
	dsort_jobinfo_fini(&ji);

	/* the SDK requires the phase objects; so does the parser */
	json_object_del(j, "shard_creation");
	assert_int_equal(
	    dsort_jobinfo_from_json(j, &ji, err, sizeof(err)), AIS_EINVAL);
	assert_non_null(strstr(err, "shard_creation"));
	json_decref(j);

	j = json_loads("{\"local_extraction\":{\"total_count\":\"x\"},"
	               "\"meta_sorting\":{},\"shard_creation\":{}}",
	    0, NULL);
	assert_int_equal(
	    dsort_jobinfo_from_json(j, &ji, err, sizeof(err)), AIS_EINVAL);
	assert_non_null(strstr(err, "total_count"));
	json_decref(j);
}

#define NTHREADS 8
#define NADDS    20000

static void *
bump(void *arg)
{
	dsort_metrics *m = arg;

	for (int i = 0; i < NADDS; i++) {
		dsort_metrics_add(m, DSORT_CNT_EXTRACTED_RECORDS, 1);
		dsort_metrics_add(m, DSORT_CNT_EXTRACTED_SIZE, 3);
		if (i % 1000 == 0) {
			(void) dsort_metrics_warn(m, "w %d", i);
			(void) dsort_metrics_error(m, "e %d", i);
		}
		if (i == NADDS / 2) {
			dsort_metrics_phase_begin(m, DSORT_PHASE_CREATE, 0);
		}
	}
	dsort_metrics_phase_finish(m, DSORT_PHASE_CREATE, 0);
	return NULL;
}

static void
test_concurrent(void **state)
{
	dsort_metrics *m = mk();
	pthread_t th[NTHREADS];
	dsort_jobinfo ji;

	(void) state;
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, bump, m), 0);
	}
	/* snapshots and JSON while the workers run */
	for (int i = 0; i < 50; i++) {
		json_t *j = json_of(m, 0);

		json_decref(j);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
	}
	assert_int_equal(dsort_metrics_get(m, DSORT_CNT_EXTRACTED_RECORDS),
	    NTHREADS * NADDS);
	assert_int_equal(dsort_metrics_snapshot(m, 0, &ji), AIS_OK);
	assert_int_equal(
	    ji.cnt[DSORT_CNT_EXTRACTED_SIZE], 3 * NTHREADS * NADDS);
	/* 8 x 20 of each, capped */
	assert_int_equal(ji.nwarnings, DSORT_MSGS_MAX);
	assert_int_equal(ji.nerrors, DSORT_MSGS_MAX);
	assert_true(ji.phase[DSORT_PHASE_CREATE].finished);
	assert_false(ji.phase[DSORT_PHASE_CREATE].running);
	assert_true(ji.phase[DSORT_PHASE_CREATE].elapsed_ns >= 0);
	dsort_jobinfo_fini(&ji);
	dsort_metrics_free(m);
}

static json_t *
target_json(int64_t end_ns, bool finished, bool aborted, const char *err)
{
	dsort_metrics *m = mk();
	json_t *j;

	dsort_metrics_phase_begin(m, DSORT_PHASE_EXTRACT, T0 + end_ns / 100);
	dsort_metrics_set(m, DSORT_CNT_TO_CREATE, 5);
	dsort_metrics_set(m, DSORT_CNT_CREATED, finished ? 5 : 2);
	dsort_metrics_phase_begin(m, DSORT_PHASE_CREATE, T0 + SEC);
	if (finished) {
		dsort_metrics_phase_finish(m, DSORT_PHASE_CREATE, end_ns);
	}
	if (aborted) {
		dsort_metrics_set_aborted(m);
	}
	if (err != NULL) {
		assert_int_equal(dsort_metrics_error(m, "%s", err), AIS_OK);
	}
	j = json_of(m, T0 + 50 * SEC);
	dsort_metrics_free(m);
	return j;
}

static void
test_aggregate(void **state)
{
	json_t *map = json_object();
	dsort_job_agg a;
	char err[200] = "";

	(void) state;
	json_object_set_new(
	    map, "t1", target_json(T0 + 9 * SEC, true, false, NULL));
	json_object_set_new(
	    map, "t2", target_json(T0 + 5 * SEC, false, false, NULL));
	json_object_set_new(
	    map, "t3", target_json(T0 + 7 * SEC, true, false, NULL));
	assert_int_equal(
	    dsort_job_agg_json(map, &a, err, sizeof(err)), AIS_OK);
	assert_int_equal(a.ntargets, 3);
	assert_false(a.finished);
	assert_false(a.aborted);
	assert_false(a.archived);
	assert_int_equal(a.finish_ns, 0);
	assert_int_equal(a.to_create, 15);
	assert_int_equal(a.created, 12);
	assert_int_equal(a.started_ns, T0 + (T0 + 5 * SEC) / 100);

	/* everyone done: finished, at the latest end */
	json_object_set_new(
	    map, "t2", target_json(T0 + 8 * SEC, true, false, NULL));
	assert_int_equal(
	    dsort_job_agg_json(map, &a, err, sizeof(err)), AIS_OK);
	assert_true(a.finished);
	assert_int_equal(a.finish_ns, T0 + 9 * SEC);
	assert_int_equal(a.created, 15);
	assert_int_equal(a.nerrors, 0);
	assert_string_equal(a.first_err, "");

	/* aborted anywhere: done (it will not finish), with its error */
	json_object_set_new(map, "t2",
	    target_json(
	        T0 + 5 * SEC, false, true, "shard in-7.tar: truncated"));
	assert_int_equal(
	    dsort_job_agg_json(map, &a, err, sizeof(err)), AIS_OK);
	assert_true(a.aborted);
	assert_true(a.finished);
	assert_int_equal(a.nerrors, 1);
	assert_string_equal(a.first_err, "t2: shard in-7.tar: truncated");

	/* a broken entry names its target */
	json_object_set_new(map, "t9", json_pack("{s:s}", "id", "x"));
	assert_int_equal(
	    dsort_job_agg_json(map, &a, err, sizeof(err)), AIS_EINVAL);
	assert_non_null(strstr(err, "t9"));
	json_decref(map);

	map = json_object();
	assert_int_equal(
	    dsort_job_agg_json(map, &a, err, sizeof(err)), AIS_OK);
	assert_int_equal(a.ntargets, 0);
	assert_false(a.finished);
	json_decref(map);
}

static void
test_alloc_args(void **state)
{
	dsort_metrics *m = (dsort_metrics *) 1;
	char longid[DSORT_JOB_ID_MAX + 2];

	(void) state;
	assert_int_equal(
	    dsort_metrics_alloc(&m, "", NULL, NULL, NULL), AIS_EINVAL);
	assert_null(m);
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(
	    dsort_metrics_alloc(&m, longid, NULL, NULL, NULL), AIS_EINVAL);
	assert_int_equal(
	    dsort_metrics_alloc(&m, "j", NULL, NULL, NULL), AIS_OK);
	assert_string_equal(
	    dsort_phase_name(DSORT_PHASE_SORT), "meta_sorting");
	assert_string_equal(
	    dsort_cnt_name(DSORT_CNT_MOVED_SHARDS), "moved_shard_count");
	assert_int_equal(
	    dsort_cnt_phase(DSORT_CNT_TO_CREATE), DSORT_PHASE_CREATE);
	dsort_metrics_free(m);
	dsort_metrics_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jobinfo_shape),
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_parse_sdk_sample),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_aggregate),
		cmocka_unit_test(test_alloc_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
