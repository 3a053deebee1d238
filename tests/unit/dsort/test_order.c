/*
 * Unit tests for dsort/order: record names, each algorithm's order
 * (increasing and decreasing), content keys of every type and malformed
 * ones, shuffle determinism and seed sensitivity, k-way merge and
 * splitters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dsort/order.h"

/* n records "name-<i>" with the given names (NULL: generated). */
static dsort_rec *
mkrecs(size_t n, const char *const *names)
{
	dsort_rec *r = calloc(n, sizeof(*r));
	char buf[32];

	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		const char *nm = names ? names[i] : buf;
		if (names == NULL) {
			snprintf(buf, sizeof(buf), "s%05zu", (i * 7919) % n);
		}
		assert_int_equal(
		    dsort_rec_init(&r[i], nm, strlen(nm), i + 1, i), AIS_OK);
	}
	return r;
}

/* The names of recs joined with ' '. */
static void
join(const dsort_rec *r, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(
		    out + k, cap - k, "%s%s", i ? " " : "", r[i].name);
		assert_true(w > 0 && (size_t) w < cap - k);
		k += (size_t) w;
	}
}

static void
test_order_rec_name(void **state)
{
	static const struct {
		const char *path, *name, *ext;
	} cases[] = {
		{ "sample0001.jpg", "sample0001", ".jpg" },
		{ "sample0001.cls", "sample0001", ".cls" },
		{ "a/b/s.0.seg.png", "a/b/s", ".0.seg.png" },
		{ "dir.v2/file", "dir.v2/file", "" },
		{ "dir.v2/file.txt", "dir.v2/file", ".txt" },
		{ "noext", "noext", "" },
		{ ".hidden", ".hidden", "" },
		{ "dir/.cfg.x", "dir/.cfg", ".x" },
		{ "d/", "d/", "" },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].path);
		size_t nl = dsort_rec_name_len(cases[i].path, len);
		assert_int_equal(nl, strlen(cases[i].name));
		assert_memory_equal(cases[i].path, cases[i].name, nl);
		assert_string_equal(
		    dsort_rec_ext(cases[i].path, len), cases[i].ext);
	}
}

static void
test_order_alphanumeric(void **state)
{
	static const char *const names[]
	    = { "b", "a10", "a2", "A", "a", "\xc3\xa9" };
	dsort_alg alg = { .kind = DSORT_ALG_ALPHANUMERIC };
	dsort_rec *r = mkrecs(6, names);
	char out[128];

	(void) state;
	assert_int_equal(dsort_order(r, 6, &alg, NULL, 0), AIS_OK);
	join(r, 6, out, sizeof(out));
	assert_string_equal(out, "A a a10 a2 b \xc3\xa9"); /* byte order */
	alg.decreasing = true;
	assert_int_equal(dsort_order(r, 6, &alg, NULL, 0), AIS_OK);
	join(r, 6, out, sizeof(out));
	assert_string_equal(out, "\xc3\xa9 b a2 a10 a A");
	dsort_recs_free(r, 6);
}

static int
ref_cmp(const void *a, const void *b, void *alg)
{
	return dsort_rec_cmp(a, b, alg);
}

/* dsort_order's by-name fast path (8-byte keys past the common prefix)
 * agrees with the plain comparison: names sharing long prefixes, names
 * that are prefixes of others, duplicate names (ties by seq), both
 * directions. */
static void
test_order_name_keys(void **state)
{
	enum { N = 3000 };
	char **names = calloc(N, sizeof(*names));
	unsigned x = 12345;

	(void) state;
	assert_non_null(names);
	for (size_t i = 0; i < N; i++) {
		char nm[64];
		size_t len;

		x = x * 1103515245u + 12345u;
		len = (size_t) snprintf(nm, sizeof(nm), "shard/sample%0*u",
		    (int) (x >> 16) % 12, (x >> 8) % 5000);
		if (x % 7 == 0) {
			len -= (x >> 4) % 4; /* a prefix of its neighbours */
			nm[len] = '\0';
		}
		names[i] = strdup(nm);
		assert_non_null(names[i]);
	}
	for (int desc = 0; desc < 2; desc++) {
		dsort_alg alg = { .kind = DSORT_ALG_ALPHANUMERIC,
			.decreasing = desc != 0 };
		dsort_rec *r = mkrecs(N, (const char *const *) names);
		dsort_rec *ref = mkrecs(N, (const char *const *) names);

		assert_int_equal(dsort_order(r, N, &alg, NULL, 0), AIS_OK);
		qsort_r(ref, N, sizeof(*ref), ref_cmp, &alg);
		for (size_t i = 0; i < N; i++) {
			assert_string_equal(r[i].name, ref[i].name);
			assert_int_equal(r[i].seq, ref[i].seq);
		}
		dsort_recs_free(r, N);
		dsort_recs_free(ref, N);
	}
	for (size_t i = 0; i < N; i++) {
		free(names[i]);
	}
	free(names);
}

static void
test_order_none_and_ties(void **state)
{
	static const char *const names[] = { "z", "y", "x", "y" };
	dsort_alg alg = { .kind = DSORT_ALG_NONE };
	dsort_rec *r = mkrecs(4, names);
	char out[64];

	(void) state;
	r[0].seq = 30; /* input order: y(1) x(2) y(3) z(30) */
	assert_int_equal(dsort_order(r, 4, &alg, NULL, 0), AIS_OK);
	join(r, 4, out, sizeof(out));
	assert_string_equal(out, "y x y z");
	/* Equal names tie-break on seq, so the order is total. */
	alg.kind = DSORT_ALG_ALPHANUMERIC;
	assert_int_equal(dsort_order(r, 4, &alg, NULL, 0), AIS_OK);
	assert_string_equal(r[1].name, "y");
	assert_true(r[1].seq < r[2].seq);
	assert_true(dsort_rec_cmp(&r[1], &r[2], &alg) < 0);
	assert_int_equal(dsort_rec_cmp(&r[1], &r[1], &alg), 0);
	dsort_recs_free(r, 4);
}

static void
test_order_md5(void **state)
{
	static const char *const names[] = { "a", "b", "c" };
	dsort_alg alg = { .kind = DSORT_ALG_MD5 };
	dsort_rec *r = mkrecs(3, names);
	char out[64];

	(void) state;
	/* md5: a=0cc175b9..., b=92eb5ffe..., c=4a8a08f0... */
	assert_int_equal(dsort_order(r, 3, &alg, NULL, 0), AIS_OK);
	join(r, 3, out, sizeof(out));
	assert_string_equal(out, "a c b");
	assert_string_equal(r[0].ks, "0cc175b9c0f1b6a831c399e269772661");
	alg.decreasing = true;
	assert_int_equal(dsort_order(r, 3, &alg, NULL, 0), AIS_OK);
	join(r, 3, out, sizeof(out));
	assert_string_equal(out, "b c a");
	dsort_recs_free(r, 3);
}

static void
test_order_content(void **state)
{
	static const char *const names[] = { "r1", "r2", "r3", "r4" };
	static const char *const ints[] = { "10", " -3\n", "7", "+0" };
	static const char *const flts[] = { "2.5", "1e3", "-inf", "0x1p-1" };
	static const char *const strs[] = { "pear", "apple", "fig", "apple" };
	dsort_alg alg = { .kind = DSORT_ALG_CONTENT };
	dsort_rec *r = mkrecs(4, names);
	char out[64], err[256];

	(void) state;
	alg.ckey_type = DSORT_CKEY_INT;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(
		    dsort_rec_set_content_key(&r[i], DSORT_CKEY_INT, ints[i],
		        strlen(ints[i]), err, sizeof(err)),
		    AIS_OK);
	}
	assert_int_equal(dsort_order(r, 4, &alg, err, sizeof(err)), AIS_OK);
	join(r, 4, out, sizeof(out));
	assert_string_equal(out, "r2 r4 r3 r1");
	alg.decreasing = true;
	assert_int_equal(dsort_order(r, 4, &alg, err, sizeof(err)), AIS_OK);
	join(r, 4, out, sizeof(out));
	assert_string_equal(out, "r1 r3 r4 r2");
	dsort_recs_free(r, 4);

	r = mkrecs(4, names);
	alg = (dsort_alg) { .kind = DSORT_ALG_CONTENT,
		.ckey_type = DSORT_CKEY_FLOAT };
	for (int i = 0; i < 4; i++) {
		assert_int_equal(
		    dsort_rec_set_content_key(&r[i], DSORT_CKEY_FLOAT, flts[i],
		        strlen(flts[i]), err, sizeof(err)),
		    AIS_OK);
	}
	assert_int_equal(dsort_order(r, 4, &alg, err, sizeof(err)), AIS_OK);
	join(r, 4, out, sizeof(out));
	assert_string_equal(out, "r3 r4 r1 r2");
	dsort_recs_free(r, 4);

	r = mkrecs(4, names);
	alg.ckey_type = DSORT_CKEY_STRING;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(
		    dsort_rec_set_content_key(&r[i], DSORT_CKEY_STRING,
		        strs[i], strlen(strs[i]), err, sizeof(err)),
		    AIS_OK);
	}
	assert_int_equal(dsort_order(r, 4, &alg, err, sizeof(err)), AIS_OK);
	join(r, 4, out, sizeof(out));
	assert_string_equal(out, "r2 r4 r3 r1"); /* apple(r2) apple(r4) */
	dsort_recs_free(r, 4);
}

static void
test_order_content_bad(void **state)
{
	static const char *const names[] = { "good", "sample7" };
	static const struct {
		dsort_ckey_type t;
		const char *v;
		size_t len;
	} bad[] = {
		{ DSORT_CKEY_INT, "12x", 3 },
		{ DSORT_CKEY_INT, "", 0 },
		{ DSORT_CKEY_INT, "  ", 2 },
		{ DSORT_CKEY_INT, "99999999999999999999", 20 },
		{ DSORT_CKEY_INT, "1.5", 3 },
		{ DSORT_CKEY_INT, "1\0002", 3 },
		{ DSORT_CKEY_FLOAT, "nan", 3 },
		{ DSORT_CKEY_FLOAT, "1e999", 5 },
		{ DSORT_CKEY_FLOAT, "one", 3 },
	};
	dsort_alg alg = { .kind = DSORT_ALG_CONTENT,
		.ckey_type = DSORT_CKEY_INT,
		.ext = ".cls" };
	dsort_rec *r = mkrecs(2, names);
	char err[256], big[300];

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(dsort_rec_set_content_key(&r[1], bad[i].t,
		                     bad[i].v, bad[i].len, err, sizeof(err)),
		    AIS_EINVAL);
		assert_non_null(strstr(err, "sample7"));
		assert_non_null(strstr(err, dsort_ckey_type_str(bad[i].t)));
	}
	memset(big, '7', sizeof(big));
	assert_int_equal(dsort_rec_set_content_key(&r[1], DSORT_CKEY_INT, big,
	                     sizeof(big), err, sizeof(err)),
	    AIS_EINVAL);
	/* A record without its key file fails the order, named. */
	assert_int_equal(dsort_rec_set_content_key(
	                     &r[0], DSORT_CKEY_INT, "1", 1, err, sizeof(err)),
	    AIS_OK);
	assert_int_equal(
	    dsort_order(r, 2, &alg, err, sizeof(err)), AIS_EINVAL);
	assert_non_null(strstr(err, "sample7"));
	assert_non_null(strstr(err, ".cls"));
	/* A key of the wrong type is as bad as none. */
	assert_int_equal(dsort_rec_set_content_key(&r[1], DSORT_CKEY_STRING,
	                     "x", 1, err, sizeof(err)),
	    AIS_OK);
	assert_int_equal(
	    dsort_order(r, 2, &alg, err, sizeof(err)), AIS_EINVAL);
	dsort_recs_free(r, 2);
}

static void
test_order_shuffle(void **state)
{
	enum { N = 200 };
	dsort_alg alg
	    = { .kind = DSORT_ALG_SHUFFLE, .has_seed = true, .seed = 42 };
	dsort_rec *a = mkrecs(N, NULL), *b = mkrecs(N, NULL),
	          *c = mkrecs(N, NULL), *d = mkrecs(N, NULL);
	size_t same = 0, moved = 0;

	(void) state;
	/* b arrives in a different order: the result must not care. */
	for (size_t i = 0; i < N / 2; i++) {
		dsort_rec t = b[i];
		b[i] = b[N - 1 - i];
		b[N - 1 - i] = t;
	}
	assert_int_equal(dsort_order(a, N, &alg, NULL, 0), AIS_OK);
	assert_int_equal(dsort_order(b, N, &alg, NULL, 0), AIS_OK);
	for (size_t i = 0; i < N; i++) {
		assert_string_equal(a[i].name, b[i].name);
	}
	/* A different seed gives a different order. */
	alg.seed = 43;
	assert_int_equal(dsort_order(c, N, &alg, NULL, 0), AIS_OK);
	for (size_t i = 0; i < N; i++) {
		same += strcmp(a[i].name, c[i].name) == 0;
	}
	assert_true(same < N / 10);
	/* It is a permutation, and actually shuffled. */
	alg.kind = DSORT_ALG_ALPHANUMERIC;
	assert_int_equal(dsort_order(d, N, &alg, NULL, 0), AIS_OK);
	for (size_t i = 0; i < N; i++) {
		moved += strcmp(a[i].name, d[i].name) != 0;
	}
	assert_true(moved > N * 9 / 10);
	assert_int_equal(dsort_order(a, N, &alg, NULL, 0), AIS_OK);
	for (size_t i = 0; i < N; i++) {
		assert_string_equal(a[i].name, d[i].name);
	}
	/* Golden prefix for seed 42: guards against platform drift. */
	dsort_recs_free(c, N);
	c = mkrecs(N, NULL);
	alg = (dsort_alg) {
		.kind = DSORT_ALG_SHUFFLE, .has_seed = true, .seed = 42
	};
	assert_int_equal(dsort_order(c, N, &alg, NULL, 0), AIS_OK);
	assert_string_equal(c[0].name, "s00111");
	assert_string_equal(c[1].name, "s00078");
	assert_string_equal(c[2].name, "s00108");
	/* Unseeded shuffles still produce permutations. */
	alg.has_seed = false;
	assert_int_equal(dsort_order(b, N, &alg, NULL, 0), AIS_OK);
	alg.kind = DSORT_ALG_ALPHANUMERIC;
	assert_int_equal(dsort_order(b, N, &alg, NULL, 0), AIS_OK);
	for (size_t i = 0; i < N; i++) {
		assert_string_equal(b[i].name, d[i].name);
	}
	dsort_recs_free(a, N);
	dsort_recs_free(b, N);
	dsort_recs_free(c, N);
	dsort_recs_free(d, N);
}

/* Splits N records over K "targets", sorts each, merges; compares with a
 * single sort. */
static void
check_merge(const dsort_alg *alg)
{
	enum { N = 500, K = 4 };
	dsort_rec *all = mkrecs(N, NULL), *ref = mkrecs(N, NULL), *out;
	dsort_run runs[K + 1];
	size_t at = 0;

	for (size_t i = 0; i < N; i++) {
		char k[8];
		snprintf(k, sizeof(k), "%zu", (i * 31) % 97);
		if (alg->kind == DSORT_ALG_CONTENT) {
			assert_int_equal(
			    dsort_rec_set_content_key(&all[i], DSORT_CKEY_INT,
			        k, strlen(k), NULL, 0),
			    AIS_OK);
			assert_int_equal(
			    dsort_rec_set_content_key(&ref[i], DSORT_CKEY_INT,
			        k, strlen(k), NULL, 0),
			    AIS_OK);
		}
	}
	assert_int_equal(dsort_order(ref, N, alg, NULL, 0), AIS_OK);
	/* uneven runs, one empty */
	static const size_t lens[K + 1] = { 100, 0, 250, 1, 149 };
	for (size_t k = 0; k <= K; k++) {
		runs[k].recs = all + at;
		runs[k].n = lens[k];
		assert_int_equal(
		    dsort_order(runs[k].recs, runs[k].n, alg, NULL, 0),
		    AIS_OK);
		at += lens[k];
	}
	assert_int_equal(at, N);
	out = calloc(N, sizeof(*out));
	assert_non_null(out);
	assert_int_equal(dsort_merge(runs, K + 1, alg, out), AIS_OK);
	for (size_t i = 0; i < N; i++) {
		assert_string_equal(out[i].name, ref[i].name);
		assert_int_equal(out[i].seq, ref[i].seq);
		assert_null(all[i].name); /* moved */
	}
	free(all);
	dsort_recs_free(out, N);
	dsort_recs_free(ref, N);
}

static void
test_order_merge(void **state)
{
	dsort_alg alg = { .kind = DSORT_ALG_ALPHANUMERIC };

	(void) state;
	check_merge(&alg);
	alg.decreasing = true;
	check_merge(&alg);
	alg = (dsort_alg) { .kind = DSORT_ALG_MD5 };
	check_merge(&alg);
	alg = (dsort_alg) { .kind = DSORT_ALG_CONTENT,
		.ckey_type = DSORT_CKEY_INT,
		.decreasing = true };
	check_merge(&alg);
	alg = (dsort_alg) { .kind = DSORT_ALG_NONE };
	check_merge(&alg);
	assert_int_equal(dsort_merge(NULL, 0, &alg, NULL), AIS_OK);
}

static void
test_order_splitters(void **state)
{
	enum { N = 1000, P = 4 };
	dsort_alg alg = { .kind = DSORT_ALG_ALPHANUMERIC };
	dsort_rec *recs = mkrecs(N, NULL), *samples, *spl;
	size_t nspl, count[P] = { 0 }, last = 0;

	(void) state;
	/* Every 10th record as a sample, in arbitrary order. */
	samples = calloc(N / 10, sizeof(*samples));
	assert_non_null(samples);
	for (size_t i = 0; i < N / 10; i++) {
		assert_int_equal(
		    dsort_rec_copy(&samples[i], &recs[i * 10]), AIS_OK);
	}
	assert_int_equal(
	    dsort_splitters(samples, N / 10, P, &alg, &spl, &nspl), AIS_OK);
	assert_int_equal(nspl, P - 1);
	for (size_t i = 1; i < nspl; i++) {
		assert_true(dsort_rec_cmp(&spl[i - 1], &spl[i], &alg) < 0);
	}
	/* Ranges are disjoint and ordered: after sorting, range ids never
	 * go down; and roughly balanced. */
	assert_int_equal(dsort_order(recs, N, &alg, NULL, 0), AIS_OK);
	for (size_t i = 0; i < N; i++) {
		size_t p = dsort_range_of(&recs[i], spl, nspl, &alg);
		assert_true(p < P);
		assert_true(p >= last);
		last = p;
		count[p]++;
	}
	for (size_t p = 0; p < P; p++) {
		assert_true(count[p] > N / P / 2 && count[p] < N / P * 2);
	}
	/* A splitter itself goes to the range it opens. */
	assert_int_equal(dsort_range_of(&spl[0], spl, nspl, &alg), 1);
	dsort_recs_free(spl, nspl);

	/* Edge cases: one part, no samples, fewer samples than parts,
	 * all-equal samples collapse, zero parts is invalid. */
	assert_int_equal(
	    dsort_splitters(samples, N / 10, 1, &alg, &spl, &nspl), AIS_OK);
	assert_int_equal(nspl, 0);
	assert_null(spl);
	assert_int_equal(
	    dsort_splitters(samples, 0, 4, &alg, &spl, &nspl), AIS_OK);
	assert_int_equal(nspl, 0);
	assert_int_equal(dsort_range_of(&recs[0], NULL, 0, &alg), 0);
	assert_int_equal(
	    dsort_splitters(samples, 2, 8, &alg, &spl, &nspl), AIS_OK);
	assert_true(nspl >= 1 && nspl <= 2);
	dsort_recs_free(spl, nspl);
	for (size_t i = 1; i < 5; i++) {
		dsort_rec_fini(&samples[i]);
		assert_int_equal(
		    dsort_rec_copy(&samples[i], &samples[0]), AIS_OK);
	}
	assert_int_equal(
	    dsort_splitters(samples, 5, 4, &alg, &spl, &nspl), AIS_OK);
	assert_int_equal(nspl, 1);
	dsort_recs_free(spl, nspl);
	assert_int_equal(
	    dsort_splitters(samples, 5, 0, &alg, &spl, &nspl), AIS_EINVAL);
	dsort_recs_free(samples, N / 10);
	dsort_recs_free(recs, N);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_rec_name),
		cmocka_unit_test(test_order_alphanumeric),
		cmocka_unit_test(test_order_name_keys),
		cmocka_unit_test(test_order_none_and_ties),
		cmocka_unit_test(test_order_md5),
		cmocka_unit_test(test_order_content),
		cmocka_unit_test(test_order_content_bad),
		cmocka_unit_test(test_order_shuffle),
		cmocka_unit_test(test_order_merge),
		cmocka_unit_test(test_order_splitters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
