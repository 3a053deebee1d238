/*
 * Unit tests for core/bprops: the shape and wire types of new props (every
 * section, strings for access/bid/created/features), the snapshot of a
 * modified cluster config, lru forced off for ais://, BpropsToSet merging
 * (case-insensitive keys, only given leaves change, unknown keys ignored),
 * validation errors that leave props untouched, read-only fields, and the
 * typed view.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/bprops.h"
#include "core/jsonx.h"

#define TEST_BID     4099865120783790081ULL
#define TEST_CREATED 1755817072000000000LL

typedef struct test_ctx {
	ais_cconfig *cfg;
	json_t *props;
	char err[256];
} test_ctx;

static int
test_setup(void **state)
{
	test_ctx *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	assert_int_equal(ais_cconfig_default(&t->cfg), AIS_OK);
	assert_int_equal(
	    ais_bprops_new(t->cfg, "ais", TEST_BID, TEST_CREATED, &t->props),
	    AIS_OK);
	*state = t;
	return 0;
}

static int
test_teardown(void **state)
{
	test_ctx *t = *state;
	json_decref(t->props);
	ais_cconfig_rele(t->cfg);
	free(t);
	return 0;
}

static json_t *
test_path(const json_t *j, const char *p)
{
	json_t *v = ais_json_path(j, p);
	if (v == NULL) {
		fail_msg("missing %s", p);
	}
	return v;
}

static const char *
test_str(const json_t *j, const char *p)
{
	json_t *v = test_path(j, p);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static void
test_apply_str(test_ctx *t, const char *to_set, ais_err want)
{
	json_error_t jerr;
	json_t *ts = json_loads(to_set, JSON_DECODE_ANY, &jerr);
	assert_non_null(ts);
	t->err[0] = '\0';
	assert_int_equal(
	    ais_bprops_apply(t->props, ts, t->err, sizeof(t->err)), want);
	if (want != AIS_OK) {
		assert_true(strlen(t->err) > 0);
		assert_null(strchr(t->err, '\n'));
	}
	json_decref(ts);
}

static void
test_bprops_defaults_shape(void **state)
{
	test_ctx *t = *state;
	const json_t *p = t->props;
	static const char *const sections[] = { "backend_bck", "write_policy",
		"checksum", "extra", "rate_limit", "ec", "chunks", "mirror",
		"lru", "versioning" };

	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		assert_true(json_is_object(test_path(p, sections[i])));
	}
	assert_string_equal(test_str(p, "provider"), "ais");
	assert_string_equal(test_str(p, "access"), "18446744073709551615");
	assert_string_equal(test_str(p, "features"), "0");
	assert_string_equal(test_str(p, "bid"), "4099865120783790081");
	assert_string_equal(test_str(p, "created"), "1755817072000000000");
	assert_string_equal(test_str(p, "checksum.type"), "xxhash2");
	assert_true(json_is_true(test_path(p, "checksum.validate_cold_get")));
	assert_true(json_is_false(test_path(p, "checksum.validate_warm_get")));
	assert_true(json_is_true(test_path(p, "versioning.enabled")));
	assert_true(json_is_false(test_path(p, "versioning.synchronize")));
	assert_true(json_is_false(test_path(p, "lru.enabled")));
	assert_string_equal(test_str(p, "lru.dont_evict_time"), "2h0m");
	assert_string_equal(test_str(p, "lru.capacity_upd_time"), "10m");
	assert_int_equal(json_integer_value(test_path(p, "mirror.copies")), 2);
	assert_int_equal(
	    json_integer_value(test_path(p, "ec.objsize_limit")), 262144);
	assert_int_equal(
	    json_integer_value(test_path(p, "ec.data_slices")), 2);
	assert_string_equal(test_str(p, "chunks.chunk_size"), "1GiB");
	assert_string_equal(test_str(p, "chunks.objsize_limit"), "0B");
	assert_string_equal(test_str(p, "rate_limit.backend.interval"), "1m");
	assert_int_equal(
	    json_integer_value(test_path(p, "rate_limit.frontend.burst_size")),
	    375);
	assert_string_equal(test_str(p, "backend_bck.name"), "");
	assert_string_equal(test_str(p, "backend_bck.namespace.uuid"), "");
	assert_true(json_is_object(test_path(p, "extra.aws")));
	assert_true(json_is_object(test_path(p, "extra.gcp")));
	assert_true(json_is_object(test_path(p, "extra.oci")));
	assert_string_equal(test_str(p, "write_policy.md"), "immediate");
	/* One compact line fits a header. */
	char *s = json_dumps(p, JSON_COMPACT);
	assert_non_null(s);
	assert_null(strchr(s, '\n'));
	free(s);
}

static void
test_bprops_inherit(void **state)
{
	test_ctx *t = *state;
	char err[256];
	ais_cconfig *c = NULL;
	json_t *p = NULL;
	json_t *ov = json_loads(
	    "{\"checksum\": {\"type\": \"md5\", \"validate_warm_get\": true},"
	    " \"versioning\": {\"enabled\": false},"
	    " \"mirror\": {\"enabled\": true, \"copies\": 3},"
	    " \"lru\": {\"enabled\": true, \"dont_evict_time\": \"90m\"},"
	    " \"ec\": {\"data_slices\": 4},"
	    " \"write_policy\": {\"md\": \"delayed\"},"
	    " \"features\": \"16\"}",
	    0, NULL);
	assert_non_null(ov);
	assert_int_equal(
	    ais_cconfig_from_json(ov, &c, err, sizeof(err)), AIS_OK);
	json_decref(ov);

	assert_int_equal(ais_bprops_new(c, "ais", 7, 8, &p), AIS_OK);
	assert_string_equal(test_str(p, "checksum.type"), "md5");
	assert_true(json_is_true(test_path(p, "checksum.validate_warm_get")));
	assert_true(json_is_false(test_path(p, "versioning.enabled")));
	assert_true(json_is_true(test_path(p, "mirror.enabled")));
	assert_int_equal(json_integer_value(test_path(p, "mirror.copies")), 3);
	assert_int_equal(
	    json_integer_value(test_path(p, "ec.data_slices")), 4);
	/* lru forced off for ais://, durations as AIS prints them */
	assert_true(json_is_false(test_path(p, "lru.enabled")));
	assert_string_equal(test_str(p, "lru.dont_evict_time"), "1h30m");
	assert_string_equal(test_str(p, "write_policy.md"), "delayed");
	assert_string_equal(test_str(p, "features"), "16");
	assert_string_equal(test_str(p, "bid"), "7");
	assert_string_equal(test_str(p, "created"), "8");
	json_decref(p);
	p = NULL;

	/* A remote bucket keeps the config's lru. */
	assert_int_equal(ais_bprops_new(c, "s3", 9, 10, &p), AIS_OK);
	assert_string_equal(test_str(p, "provider"), "aws");
	assert_true(json_is_true(test_path(p, "lru.enabled")));
	json_decref(p);
	p = NULL;

	/* A snapshot: a later config change does not reach existing props. */
	assert_string_equal(test_str(t->props, "checksum.type"), "xxhash2");
	assert_int_equal(ais_bprops_new(c, "nope", 1, 1, &p), AIS_EINVAL);
	assert_null(p);
	ais_cconfig_rele(c);

	/* No config: AIS defaults. */
	assert_int_equal(ais_bprops_new(NULL, NULL, 1, 1, &p), AIS_OK);
	assert_string_equal(test_str(p, "checksum.type"), "xxhash2");
	assert_string_equal(test_str(p, "provider"), "ais");
	json_decref(p);
}

static void
test_bprops_apply_merge(void **state)
{
	test_ctx *t = *state;
	const json_t *p = t->props;

	test_apply_str(t,
	    "{\"Checksum\": {\"TYPE\": \"md5\"}, \"versioning\": "
	    "{\"enabled\": false}, \"unknown\": 1, \"mirror\": null,"
	    " \"force\": true}",
	    AIS_OK);
	assert_string_equal(test_str(p, "checksum.type"), "md5");
	/* untouched leaves of the same section stay */
	assert_true(json_is_true(test_path(p, "checksum.validate_cold_get")));
	assert_true(json_is_false(test_path(p, "versioning.enabled")));
	assert_null(json_object_get(p, "unknown"));
	assert_null(json_object_get(p, "force"));
	assert_null(json_object_get(p, "Checksum"));
	assert_int_equal(json_integer_value(test_path(p, "mirror.copies")), 2);

	/* numbers and strings where AIS accepts both; normalized on output */
	test_apply_str(t,
	    "{\"access\": 771, \"features\": \"16\", \"mirror\": "
	    "{\"copies\": \"3\", \"enabled\": true},"
	    " \"lru\": {\"dont_evict_time\": \"3h\"},"
	    " \"chunks\": {\"chunk_size\": 1048576},"
	    " \"extra\": {\"gcp\": {\"application_creds\": \"/x\"}}}",
	    AIS_OK);
	assert_string_equal(test_str(p, "access"), "771");
	assert_string_equal(test_str(p, "features"), "16");
	assert_int_equal(json_integer_value(test_path(p, "mirror.copies")), 3);
	assert_true(json_is_true(test_path(p, "mirror.enabled")));
	assert_string_equal(test_str(p, "lru.dont_evict_time"), "3h0m");
	assert_string_equal(test_str(p, "chunks.chunk_size"), "1MiB");
	assert_string_equal(test_str(p, "extra.gcp.application_creds"), "/x");

	/* null and empty objects are no-ops */
	json_t *before = json_deep_copy(p);
	assert_int_equal(ais_bprops_apply(t->props, NULL, NULL, 0), AIS_OK);
	test_apply_str(t, "{}", AIS_OK);
	test_apply_str(t, "null", AIS_OK);
	assert_true(json_equal(before, t->props));
	json_decref(before);

	/* backend_bck (provider aliases normalized) */
	test_apply_str(t,
	    "{\"backend_bck\": {\"name\": \"remote\", \"provider\": \"s3\"},"
	    " \"extra\": {\"aws\": {\"endpoint\": \"http://s3\"}}}",
	    AIS_OK);
	assert_string_equal(test_str(p, "backend_bck.provider"), "aws");
	assert_string_equal(test_str(p, "extra.aws.endpoint"), "http://s3");
}

static void
test_bprops_apply_errors(void **state)
{
	test_ctx *t = *state;
	json_t *before = json_deep_copy(t->props);
	static const char *const bad[] = {
		"{\"checksum\": {\"type\": \"crc64\"}}",
		"{\"checksum\": {\"type\": 5}}",
		"{\"checksum\": \"md5\"}",
		"{\"versioning\": {\"enabled\": \"maybe\"}}",
		"{\"versioning\": {\"enabled\": false,"
		" \"validate_warm_get\": true}}",
		"{\"mirror\": {\"copies\": 0}}",
		"{\"mirror\": {\"copies\": 33}}",
		"{\"mirror\": {\"copies\": \"x\"}}",
		"{\"ec\": {\"data_slices\": 0}}",
		"{\"ec\": {\"parity_slices\": 33}}",
		"{\"ec\": {\"objsize_limit\": -2}}",
		"{\"access\": \"-1\"}",
		"{\"access\": \"abc\"}",
		"{\"features\": true}",
		"{\"lru\": {\"dont_evict_time\": \"soon\"}}",
		"{\"chunks\": {\"chunk_size\": \"10GiB\"}}",
		"{\"chunks\": {\"chunk_size\": \"huge\"}}",
		"{\"write_policy\": {\"data\": \"never\"}}",
		"{\"write_policy\": {\"md\": \"sometimes\"}}",
		"{\"mirror\": {\"enabled\": true},"
		" \"chunks\": {\"objsize_limit\": \"1GiB\"}}",
		"{\"backend_bck\": {\"name\": \"x\", \"provider\": \"ais\"}}",
		"{\"backend_bck\": {\"name\": \"x\", \"provider\": \"hdfs\"}}",
		"{\"extra\": {\"aws\": {\"endpoint\": \"http://x\"}}}",
		"{\"rate_limit\": {\"frontend\": {\"enabled\": true,"
		" \"max_tokens\": 0}}}",
		"[1, 2]",
		"{\"checksum\": {\"type\": \"md5\"}, \"bid\": \"1\"}",
		"{\"provider\": \"aws\"}",
		"{\"created\": \"1\"}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test_apply_str(t, bad[i], AIS_EINVAL);
		if (!json_equal(before, t->props)) {
			fail_msg("props changed by refused update %s", bad[i]);
		}
	}
	/* The message names the property. */
	test_apply_str(t, "{\"checksum\": {\"type\": \"crc64\"}}", AIS_EINVAL);
	assert_non_null(strstr(t->err, "checksum.type"));
	assert_non_null(strstr(t->err, "crc64"));
	test_apply_str(t, "{\"bid\": \"1\"}", AIS_EINVAL);
	assert_non_null(strstr(t->err, "read-only"));
	assert_int_equal(
	    ais_bprops_apply(NULL, NULL, t->err, sizeof(t->err)), AIS_EINVAL);
	json_decref(before);
}

static void
test_bprops_view(void **state)
{
	test_ctx *t = *state;
	ais_bprops v;

	assert_int_equal(ais_bprops_view(t->props, &v), AIS_OK);
	assert_int_equal(v.cksum, AIS_CKSUM_XXHASH2);
	assert_false(v.validate_warm_get);
	assert_true(v.versioning);
	assert_true(v.access == AIS_ACCESS_ALL);
	assert_true(v.features == 0);
	assert_true(v.bid == TEST_BID);
	assert_true(v.created == TEST_CREATED);
	assert_false(v.mirror);
	assert_int_equal(v.mirror_copies, 2);

	test_apply_str(t,
	    "{\"checksum\": {\"type\": \"sha256\", \"validate_warm_get\": "
	    "true},"
	    " \"versioning\": {\"enabled\": false}, \"access\": \"5\","
	    " \"features\": \"16\", \"mirror\": {\"enabled\": true,"
	    " \"copies\": 3}}",
	    AIS_OK);
	assert_int_equal(ais_bprops_view(t->props, &v), AIS_OK);
	assert_int_equal(v.cksum, AIS_CKSUM_SHA256);
	assert_true(v.validate_warm_get);
	assert_false(v.versioning);
	assert_true(v.access == (AIS_ACCESS_GET | AIS_ACCESS_PUT));
	assert_true((v.features & AIS_FEAT_FSYNC_PUT) != 0);
	assert_true(v.mirror);
	assert_int_equal(v.mirror_copies, 3);

	/* Missing fields take AIS defaults; bad ones are refused. */
	json_t *empty = json_object();
	assert_int_equal(ais_bprops_view(empty, &v), AIS_OK);
	assert_int_equal(v.cksum, AIS_CKSUM_XXHASH2);
	assert_true(v.versioning);
	assert_true(v.access == AIS_ACCESS_ALL);
	json_object_set_new(
	    empty, "checksum", json_pack("{s:s}", "type", "bogus"));
	assert_int_equal(ais_bprops_view(empty, &v), AIS_EINVAL);
	json_decref(empty);
	assert_int_equal(ais_bprops_view(NULL, &v), AIS_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_bprops_defaults_shape, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_bprops_inherit, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_bprops_apply_merge, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_bprops_apply_errors, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_bprops_view, test_setup, test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
