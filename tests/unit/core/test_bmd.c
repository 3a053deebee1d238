/*
 * Unit tests for core/bmd: add/get/del with namespaces, bucket name and
 * provider validation, deep-copied props, and the JSON wire form (exact
 * text, round trips, rejection of malformed input).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/bmd.h"

static json_t *
test_props(int copies)
{
	json_t *p = json_pack("{s:s, s:{s:s, s:b}, s:{s:i}, s:s}", "provider",
	    "ais", "checksum", "type", "xxhash2", "validate_cold_get", 1,
	    "mirror", "copies", copies, "access", "18446744073709551615");
	assert_non_null(p);
	return p;
}

static void
test_bmd_add_get_del(void **state)
{
	ais_bmd *b = NULL;
	json_t *p = test_props(2);
	const ais_bck *k;
	(void) state;
	assert_int_equal(ais_bmd_alloc(&b), AIS_OK);
	assert_int_equal(atomic_load(&b->refs), 1);
	assert_int_equal(b->version, 0);
	assert_int_equal(ais_bmd_add(b, "ais", NULL, "abc", p), AIS_OK);
	assert_int_equal(ais_bmd_add(b, "ais", "@#", "abc", p), AIS_EEXIST);
	assert_int_equal(ais_bmd_add(b, "ais", "", "abc", NULL), AIS_EEXIST);
	assert_int_equal(ais_bmd_add(b, "ais", "@#prod", "abc", NULL), AIS_OK);
	assert_int_equal(ais_bmd_add(b, "aws", NULL, "abc", NULL), AIS_OK);
	assert_int_equal(ais_bmd_add(b, "ais", NULL, "aaa", NULL), AIS_OK);
	assert_int_equal(b->nbcks, 4);

	/* sorted by (provider, ns, name) */
	assert_string_equal(b->bcks[0].name, "aaa");
	assert_string_equal(b->bcks[1].name, "abc");
	assert_string_equal(b->bcks[1].ns, "@#");
	assert_string_equal(b->bcks[2].ns, "@#prod");
	assert_string_equal(b->bcks[3].provider, "aws");

	/* ns NULL, "" and "@#" are the same global namespace */
	k = ais_bmd_get(b, "ais", NULL, "abc");
	assert_non_null(k);
	assert_ptr_equal(k, ais_bmd_get(b, "ais", "", "abc"));
	assert_ptr_equal(k, ais_bmd_get(b, "ais", "@#", "abc"));
	assert_string_equal(k->provider, "ais");
	assert_string_equal(k->ns, "@#");
	assert_true(json_equal(k->props, p));
	/* deep copy: changing the caller's object changes nothing here */
	assert_ptr_not_equal(k->props, p);
	json_object_set_new(json_object_get(p, "mirror"), "copies",
	    json_integer(9));
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(k->props, "mirror"), "copies")),
	    2);
	/* NULL props become an empty object */
	k = ais_bmd_get(b, "aws", NULL, "abc");
	assert_true(json_is_object(k->props));
	assert_int_equal(json_object_size(k->props), 0);

	assert_null(ais_bmd_get(b, "gcp", NULL, "abc"));
	assert_null(ais_bmd_get(b, "ais", "@#other", "abc"));
	assert_null(ais_bmd_get(b, "ais", NULL, "nope"));

	assert_int_equal(ais_bmd_del(b, "ais", "@#prod", "abc"), AIS_OK);
	assert_int_equal(ais_bmd_del(b, "ais", "@#prod", "abc"), AIS_ENOENT);
	assert_null(ais_bmd_get(b, "ais", "@#prod", "abc"));
	assert_non_null(ais_bmd_get(b, "ais", NULL, "abc"));
	assert_int_equal(ais_bmd_del(b, "ais", NULL, "abc"), AIS_OK);
	assert_int_equal(ais_bmd_del(b, "ais", NULL, "aaa"), AIS_OK);
	assert_int_equal(ais_bmd_del(b, "aws", "", "abc"), AIS_OK);
	assert_int_equal(b->nbcks, 0);
	assert_null(b->bcks);
	json_decref(p);
	ais_bmd_rele(b);
	ais_bmd_rele(NULL);
}

static void
test_bmd_validation(void **state)
{
	static const char *const bad[] = {
		"", ".", ".hidden", "a..b", "..", "a/b", "a b", "a:b", "ä",
		"x*", "a\\b",
		/* 65 characters */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	static const char *const good[] = {
		"a", "A_b-1.2", "b.", "a.b.c", "-x", "_",
		/* 64 characters */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	static const char *const provs[] = {
		"ais", "aws", "gcp", "azure", "oci",
	};
	ais_bmd *b = NULL;
	json_t *arr = json_array();
	(void) state;
	assert_int_equal(ais_bmd_alloc(&b), AIS_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ais_bmd_add(b, "ais", NULL, bad[i], NULL) != AIS_EINVAL) {
			fail_msg("accepted bad name '%s'", bad[i]);
		}
	}
	assert_int_equal(ais_bmd_add(b, "ais", NULL, NULL, NULL), AIS_EINVAL);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (ais_bmd_add(b, "ais", NULL, good[i], NULL) != AIS_OK) {
			fail_msg("rejected good name '%s'", good[i]);
		}
	}
	for (size_t i = 0; i < sizeof(provs) / sizeof(provs[0]); i++) {
		assert_int_equal(ais_bmd_add(b, provs[i], NULL, "p", NULL),
		    AIS_OK);
	}
	assert_int_equal(ais_bmd_add(b, "s3", NULL, "p", NULL), AIS_EINVAL);
	assert_int_equal(ais_bmd_add(b, "AIS", NULL, "p", NULL), AIS_EINVAL);
	assert_int_equal(ais_bmd_add(b, "hdfs", NULL, "p", NULL), AIS_EINVAL);
	assert_int_equal(ais_bmd_add(b, NULL, NULL, "p", NULL), AIS_EINVAL);
	assert_int_equal(ais_bmd_add(b, "ais", "prod", "p", NULL), AIS_EINVAL);
	assert_int_equal(ais_bmd_add(b, "ais", "@prod", "p", NULL),
	    AIS_EINVAL);
	assert_int_equal(ais_bmd_add(b, "ais", "@#a/b", "p", NULL),
	    AIS_EINVAL);
	assert_int_equal(ais_bmd_add(b, "ais", "@uuid#name", "p", NULL),
	    AIS_OK);
	assert_int_equal(ais_bmd_add(b, "ais", NULL, "q", arr), AIS_EINVAL);
	json_decref(arr);
	ais_bmd_rele(b);
}

static void
test_bmd_json_exact(void **state)
{
	ais_bmd *b = NULL;
	json_t *p = json_pack("{s:i}", "x", 1);
	char *s;
	(void) state;
	assert_int_equal(ais_bmd_alloc(&b), AIS_OK);
	s = ais_bmd_dumps(b);
	assert_string_equal(s,
	    "{\"providers\":{},\"uuid\":\"\",\"version\":\"0\"}");
	free(s);
	b->version = 42;
	snprintf(b->uuid, sizeof(b->uuid), "u1");
	assert_int_equal(ais_bmd_add(b, "ais", NULL, "abc", p), AIS_OK);
	s = ais_bmd_dumps(b);
	assert_string_equal(s,
	    "{\"providers\":{\"ais\":{\"@#\":{\"abc\":{\"x\":1}}}},"
	    "\"uuid\":\"u1\",\"version\":\"42\"}");
	free(s);
	json_decref(p);
	ais_bmd_rele(b);
}

static ais_bmd *
test_bmd_make(void)
{
	ais_bmd *b = NULL;
	json_t *p;
	assert_int_equal(ais_bmd_alloc(&b), AIS_OK);
	b->version = 7;
	snprintf(b->uuid, sizeof(b->uuid), "bmd-uuid");
	for (int i = 0; i < 3; i++) {
		p = test_props(i + 1);
		assert_int_equal(ais_bmd_add(b, "ais", NULL,
		                     i == 0 ? "images" : i == 1 ? "abc" : "z",
		                     p),
		    AIS_OK);
		json_decref(p);
	}
	p = test_props(5);
	assert_int_equal(ais_bmd_add(b, "ais", "@#prod", "logs", p), AIS_OK);
	assert_int_equal(ais_bmd_add(b, "aws", NULL, "my-s3-bucket", p),
	    AIS_OK);
	assert_int_equal(ais_bmd_add(b, "aws", "@acct#2", "images", p),
	    AIS_OK);
	assert_int_equal(ais_bmd_add(b, "gcp", NULL, "g", NULL), AIS_OK);
	json_decref(p);
	return b;
}

static void
test_bmd_json_round_trip(void **state)
{
	ais_bmd *b = test_bmd_make();
	ais_bmd *b2 = NULL;
	json_t *j;
	char *s;
	char *s2;
	(void) state;
	j = ais_bmd_to_json(b);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "version")),
	    "7");
	assert_true(json_is_object(json_object_get(json_object_get(
	    json_object_get(json_object_get(j, "providers"), "ais"), "@#prod"),
	    "logs")));
	json_decref(j);

	s = ais_bmd_dumps(b);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"version\":\"7\""));
	assert_non_null(strstr(s, "\"access\":\"18446744073709551615\""));
	assert_int_equal(ais_bmd_loads(s, strlen(s), &b2), AIS_OK);
	assert_int_equal(b2->version, 7);
	assert_string_equal(b2->uuid, "bmd-uuid");
	assert_int_equal(b2->nbcks, b->nbcks);
	for (size_t i = 0; i < b->nbcks; i++) {
		assert_string_equal(b->bcks[i].provider, b2->bcks[i].provider);
		assert_string_equal(b->bcks[i].ns, b2->bcks[i].ns);
		assert_string_equal(b->bcks[i].name, b2->bcks[i].name);
		assert_true(json_equal(b->bcks[i].props, b2->bcks[i].props));
	}
	s2 = ais_bmd_dumps(b2);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	ais_bmd_rele(b);
	ais_bmd_rele(b2);
}

static void
test_bmd_clone_refs(void **state)
{
	ais_bmd *b = test_bmd_make();
	ais_bmd *c = NULL;
	(void) state;
	assert_int_equal(ais_bmd_clone(b, &c), AIS_OK);
	assert_int_equal(atomic_load(&c->refs), 1);
	assert_int_equal(c->nbcks, b->nbcks);
	assert_int_equal(c->version, 7);
	assert_ptr_not_equal(c->bcks[0].props, b->bcks[0].props);
	json_object_set_new(c->bcks[0].props, "provider", json_string("x"));
	assert_string_equal(json_string_value(json_object_get(
	                        b->bcks[0].props, "provider")),
	    "ais");
	assert_int_equal(ais_bmd_del(c, "gcp", NULL, "g"), AIS_OK);
	assert_non_null(ais_bmd_get(b, "gcp", NULL, "g"));
	ais_bmd_hold(b);
	assert_int_equal(atomic_load(&b->refs), 2);
	ais_bmd_rele(b);
	ais_bmd_rele(b);
	ais_bmd_rele(c);
}

static void
test_bmd_expect_bad(const char *txt)
{
	ais_bmd *b = NULL;
	ais_err rc = ais_bmd_loads(txt, strlen(txt), &b);
	if (rc != AIS_EINVAL) {
		print_error("accepted or wrong error %d: %s\n", rc, txt);
	}
	assert_int_equal(rc, AIS_EINVAL);
	assert_null(b);
}

static void
test_bmd_parse(void **state)
{
	ais_bmd *b = NULL;
	static const char ok[] =
	    "{ \"providers\": {\"ais\": {\"@#\": {\"b1\": {}, \"a1\": {\"k\": "
	    "[1, 2]}}}, \"aws\": null}, \"uuid\": \"u\", \"version\": 3, "
	    "\"ext\": 1 }";
	(void) state;
	assert_int_equal(ais_bmd_loads(ok, strlen(ok), &b), AIS_OK);
	assert_int_equal(b->version, 3);
	assert_int_equal(b->nbcks, 2);
	assert_string_equal(b->bcks[0].name, "a1");
	ais_bmd_rele(b);
	b = NULL;
	static const char noprov[] = "{\"version\":\"1\"}";
	assert_int_equal(ais_bmd_loads(noprov, strlen(noprov), &b), AIS_OK);
	assert_int_equal(b->nbcks, 0);
	ais_bmd_rele(b);
	b = NULL;

	test_bmd_expect_bad("");
	test_bmd_expect_bad("{");
	test_bmd_expect_bad("[]");
	test_bmd_expect_bad("{\"providers\":{}}");
	test_bmd_expect_bad("{\"providers\":{},\"version\":true}");
	test_bmd_expect_bad("{\"providers\":{},\"version\":\"x\"}");
	test_bmd_expect_bad("{\"providers\":{},\"version\":\"-3\"}");
	test_bmd_expect_bad("{\"providers\":[],\"version\":\"1\"}");
	test_bmd_expect_bad("{\"providers\":{},\"version\":\"1\",\"uuid\":1}");
	test_bmd_expect_bad("{\"providers\":{\"s3\":{\"@#\":{\"b\":{}}}},"
	                    "\"version\":\"1\"}");
	test_bmd_expect_bad("{\"providers\":{\"ais\":5},\"version\":\"1\"}");
	test_bmd_expect_bad("{\"providers\":{\"ais\":{\"@#\":[]}},"
	                    "\"version\":\"1\"}");
	test_bmd_expect_bad("{\"providers\":{\"ais\":{\"nons\":{\"b\":{}}}},"
	                    "\"version\":\"1\"}");
	test_bmd_expect_bad("{\"providers\":{\"ais\":{\"@#\":{\"..\":{}}}},"
	                    "\"version\":\"1\"}");
	test_bmd_expect_bad("{\"providers\":{\"ais\":{\"@#\":{\"b\":1}}},"
	                    "\"version\":\"1\"}");
	test_bmd_expect_bad("{\"providers\":{\"ais\":{\"@#\":{\"b\":null}}},"
	                    "\"version\":\"1\"}");
	test_bmd_expect_bad("{\"providers\":{\"ais\":{\"@#\":{\"b\":{},"
	                    "\"b\":{}}}},\"version\":\"1\"}");
	assert_int_equal(ais_bmd_from_json(NULL, &b), AIS_EINVAL);
	assert_null(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bmd_add_get_del),
		cmocka_unit_test(test_bmd_validation),
		cmocka_unit_test(test_bmd_json_exact),
		cmocka_unit_test(test_bmd_json_round_trip),
		cmocka_unit_test(test_bmd_clone_refs),
		cmocka_unit_test(test_bmd_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
