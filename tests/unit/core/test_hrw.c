/*
 * Unit tests for core/hrw: the spec vectors (smap-bmd.md 4.4) for XXH64,
 * mix, target and mountpath owners; unames; maintenance and decommission
 * targets skipped; an even spread over 10 targets; and minimal movement
 * when an 11th target joins (only names won by the newcomer move).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/hrw.h"

#define TEST_NAMES 100000

static void
test_add_target(ais_smap *m, const char *id, uint64_t flags)
{
	ais_snode sn;

	assert_int_equal(ais_snode_init(&sn, id, AIS_ROLE_TARGET, "127.0.0.1",
	                     9000, 9001, 9002),
	    AIS_OK);
	sn.flags = flags;
	assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
}

static void
test_hrw_mix(void **state)
{
	(void) state;
	assert_true(ais_hrw_mix(0) == 1905207664160064169ULL);
	assert_true(ais_hrw_mix(4573842) == 5026071747115404967ULL);
}

static void
test_hrw_digest_vectors(void **state)
{
	const char *a = "ais/@#/mybucket/myobject";
	const char *b = "ais/@#/abc/images/cat.jpg";

	(void) state;
	assert_true(ais_hrw_digest(a, strlen(a)) == 6276702067197623451ULL);
	assert_true(ais_hrw_digest(b, strlen(b)) == 7640726167351779333ULL);
	assert_true(ais_hrw_digest("t1", 2) == 14214570646889990061ULL);
	assert_true(ais_hrw_digest("t2", 2) == 17780131176456335389ULL);
	assert_true(ais_hrw_digest("t3", 2) == 7900451649967436292ULL);
}

static void
test_hrw_uname(void **state)
{
	char buf[64];

	(void) state;
	assert_int_equal(
	    ais_uname(buf, sizeof(buf), "ais", NULL, "mybucket", "myobject"),
	    24);
	assert_string_equal(buf, "ais/@#/mybucket/myobject");
	assert_int_equal(
	    ais_uname(buf, sizeof(buf), "ais", "", "abc", "images/cat.jpg"),
	    strlen("ais/@#/abc/images/cat.jpg"));
	assert_string_equal(buf, "ais/@#/abc/images/cat.jpg");
	assert_true(
	    ais_uname(buf, sizeof(buf), "aws", "@uu#ns", "b", NULL) > 0);
	assert_string_equal(buf, "aws/@uu#ns/b/");
	/* does not fit: 0 */
	assert_int_equal(ais_uname(buf, 10, "ais", NULL, "mybucket", "o"), 0);
	assert_int_equal(
	    ais_uname(buf, 24, "ais", NULL, "mybucket", "myobject"), 0);
	assert_int_equal(
	    ais_uname(buf, 25, "ais", NULL, "mybucket", "myobject"), 24);
}

static void
test_hrw_target_vector(void **state)
{
	const char *u = "ais/@#/mybucket/myobject";
	uint64_t d = ais_hrw_digest(u, strlen(u));
	const ais_snode *t = NULL;
	ais_smap *m = NULL;

	(void) state;
	assert_true(
	    ais_hrw_mix(ais_id_digest("t1") ^ d) == 8759509969968320324ULL);
	assert_true(
	    ais_hrw_mix(ais_id_digest("t2") ^ d) == 221752086417139008ULL);
	assert_true(
	    ais_hrw_mix(ais_id_digest("t3") ^ d) == 10833889777342680476ULL);

	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	test_add_target(m, "t1", 0);
	test_add_target(m, "t2", 0);
	test_add_target(m, "t3", 0);
	assert_int_equal(ais_hrw_target(m, u, strlen(u), &t), AIS_OK);
	assert_string_equal(t->id, "t3");
	t = NULL;
	assert_int_equal(ais_hrw_target_digest(m, d, &t), AIS_OK);
	assert_string_equal(t->id, "t3");
	ais_smap_rele(m);
}

static void
test_hrw_skip_flags(void **state)
{
	const char *u = "ais/@#/mybucket/myobject";
	const ais_snode *t = NULL;
	ais_smap *m = NULL;

	(void) state;
	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	/* no targets at all */
	assert_int_equal(ais_hrw_target(m, u, strlen(u), &t), AIS_ENOENT);
	test_add_target(m, "t1", 0);
	test_add_target(m, "t2", 0);
	test_add_target(m, "t3", AIS_SNODE_MAINT);
	/* t3 would win; in maintenance the runner-up t1 does */
	assert_int_equal(ais_hrw_target(m, u, strlen(u), &t), AIS_OK);
	assert_string_equal(t->id, "t1");
	m->targets[0].flags = AIS_SNODE_DECOMM; /* t1 (sorted by id) */
	assert_int_equal(ais_hrw_target(m, u, strlen(u), &t), AIS_OK);
	assert_string_equal(t->id, "t2");
	m->targets[1].flags = AIS_SNODE_MAINT | AIS_SNODE_DECOMM;
	t = NULL;
	assert_int_equal(ais_hrw_target(m, u, strlen(u), &t), AIS_ENOENT);
	assert_null(t);
	/* other flags do not matter */
	m->targets[1].flags = AIS_SNODE_IC | AIS_SNODE_NON_ELECTABLE;
	assert_int_equal(ais_hrw_target(m, u, strlen(u), &t), AIS_OK);
	assert_string_equal(t->id, "t2");
	ais_smap_rele(m);
}

static void
test_hrw_mpath_vector(void **state)
{
	const char *u = "ais/@#/mybucket/myobject";
	uint64_t d = ais_hrw_digest(u, strlen(u));
	ais_mpath mps[3];

	(void) state;
	assert_int_equal(ais_mpath_init(&mps[0], "/ais/mp1"), AIS_OK);
	assert_int_equal(ais_mpath_init(&mps[1], "/ais/mp2/"), AIS_OK);
	assert_int_equal(ais_mpath_init(&mps[2], "/ais/mp3"), AIS_OK);
	assert_string_equal(mps[1].path, "/ais/mp2");
	assert_true(mps[0].digest == ais_hrw_digest("/ais/mp1", 8));
	assert_true(ais_hrw_mix(mps[0].digest ^ d) == 1473325180837875547ULL);
	assert_true(ais_hrw_mix(mps[1].digest ^ d) == 10087764271896097613ULL);
	assert_true(ais_hrw_mix(mps[2].digest ^ d) == 15145096685943396756ULL);
	assert_int_equal(ais_hrw_mpath(mps, 3, d), 2);
	assert_int_equal(ais_hrw_mpath(mps, 2, d), 1);
	assert_int_equal(ais_hrw_mpath(mps, 1, d), 0);
	assert_int_equal(ais_mpath_init(&mps[0], "relative"), AIS_EINVAL);
	assert_int_equal(ais_mpath_init(&mps[0], NULL), AIS_EINVAL);
}

static uint64_t *
test_names(void)
{
	uint64_t *d = calloc(TEST_NAMES, sizeof(*d));
	char buf[128];
	size_t i, n;

	assert_non_null(d);
	for (i = 0; i < TEST_NAMES; i++) {
		char obj[32];

		snprintf(obj, sizeof(obj), "dir%zu/obj-%zu", i % 97, i);
		n = ais_uname(buf, sizeof(buf), "ais", NULL, "bck", obj);
		assert_true(n > 0);
		d[i] = ais_hrw_digest(buf, n);
	}
	return d;
}

static void
test_hrw_distribution_and_movement(void **state)
{
	uint64_t *d = test_names();
	size_t *owner = calloc(TEST_NAMES, sizeof(*owner));
	size_t count[11] = { 0 };
	ais_smap *m = NULL;
	const ais_snode *t;
	size_t i, moved = 0;
	double mean = TEST_NAMES / 10.0, frac;

	(void) state;
	assert_non_null(owner);
	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	for (i = 0; i < 10; i++) {
		char id[16];

		snprintf(id, sizeof(id), "tgt%02zu", i);
		test_add_target(m, id, 0);
	}
	for (i = 0; i < TEST_NAMES; i++) {
		assert_int_equal(ais_hrw_target_digest(m, d[i], &t), AIS_OK);
		owner[i] = (size_t) (t - m->targets);
		count[owner[i]]++;
	}
	for (i = 0; i < 10; i++) {
		assert_true(count[i] > mean * 0.95 && count[i] < mean * 1.05);
	}

	/* "tgt99" sorts last, so existing indices stay put */
	test_add_target(m, "tgt99", 0);
	for (i = 0; i < TEST_NAMES; i++) {
		size_t o;

		assert_int_equal(ais_hrw_target_digest(m, d[i], &t), AIS_OK);
		o = (size_t) (t - m->targets);
		if (o != owner[i]) {
			moved++;
			assert_string_equal(t->id, "tgt99");
		}
	}
	frac = (double) moved / TEST_NAMES;
	assert_true(frac > 0.06 && frac < 0.12);
	ais_smap_rele(m);
	free(owner);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hrw_mix),
		cmocka_unit_test(test_hrw_digest_vectors),
		cmocka_unit_test(test_hrw_uname),
		cmocka_unit_test(test_hrw_target_vector),
		cmocka_unit_test(test_hrw_skip_flags),
		cmocka_unit_test(test_hrw_mpath_vector),
		cmocka_unit_test(test_hrw_distribution_and_movement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
