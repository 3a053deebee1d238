/*
 * Unit tests for dsort/assign: shard filling within the size limit, the
 * oversized record, the even-spread default, template names and their
 * exhaustion, and HRW placement (stable, and the data path's owner).
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
#include "core/smap.h"
#include "dsort/assign.h"

static dsort_rec *
mkrecs(const uint64_t *sizes, size_t n)
{
	dsort_rec *r = calloc(n, sizeof(*r));
	char name[32];

	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "rec%04zu", i);
		assert_int_equal(dsort_rec_init(&r[i], name, strlen(name),
		                     sizes[i], i),
		    AIS_OK);
	}
	return r;
}

/* Every record in exactly one shard, in order, sizes add up. */
static void
check_cover(const dsort_plan *p, const dsort_rec *r, size_t n)
{
	size_t next = 0;

	for (size_t s = 0; s < p->n; s++) {
		uint64_t sz = 0;
		assert_int_equal(p->shards[s].first, next);
		assert_true(p->shards[s].count > 0);
		for (size_t i = 0; i < p->shards[s].count; i++) {
			sz += r[next + i].size;
		}
		assert_int_equal(sz, p->shards[s].size);
		next += p->shards[s].count;
	}
	assert_int_equal(next, n);
}

static void
test_assign_fill(void **state)
{
	static const uint64_t sizes[] = { 40, 30, 30, 50, 10, 45, 5, 60, 1 };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	dsort_rec *r = mkrecs(sizes, N);
	dsort_plan p;
	char err[256];

	(void) state;
	assert_int_equal(dsort_assign(r, N, 100, "out-{00..99}", ".tar", &p,
	                     err, sizeof(err)),
	    AIS_OK);
	check_cover(&p, r, N);
	/* 40+30+30 | 50+10 (45 won't fit) | 45+5 (60 won't fit) | 60+1 */
	assert_int_equal(p.n, 4);
	assert_int_equal(p.shards[0].count, 3);
	assert_int_equal(p.shards[0].size, 100);
	assert_int_equal(p.shards[1].size, 60);
	assert_int_equal(p.shards[2].size, 50);
	assert_int_equal(p.shards[3].size, 61);
	for (size_t s = 0; s < p.n; s++) {
		assert_true(p.shards[s].size <= 100);
		assert_string_equal(p.shards[s].target, "");
	}
	assert_string_equal(p.shards[0].name, "out-00.tar");
	assert_string_equal(p.shards[3].name, "out-03.tar");
	dsort_plan_fini(&p);
	dsort_recs_free(r, N);
}

static void
test_assign_tolerance(void **state)
{
	enum { N = 2000 };
	uint64_t sizes[N], limit = 64 * 1024, max_rec = 0;
	dsort_rec *r;
	dsort_plan p;
	char err[256];

	(void) state;
	for (size_t i = 0; i < N; i++) {
		sizes[i] = 1000 + (i * 2654435761u) % 9000; /* 1..10 KB */
		max_rec = sizes[i] > max_rec ? sizes[i] : max_rec;
	}
	r = mkrecs(sizes, N);
	assert_int_equal(dsort_assign(r, N, (int64_t) limit,
	                     "shard-{0000..9999}", ".tgz", &p, err,
	                     sizeof(err)),
	    AIS_OK);
	check_cover(&p, r, N);
	/* Every shard but the last is within one record of the limit. */
	for (size_t s = 0; s < p.n; s++) {
		assert_true(p.shards[s].size <= limit);
		if (s + 1 < p.n) {
			assert_true(p.shards[s].size + max_rec > limit);
		}
	}
	dsort_plan_fini(&p);
	dsort_recs_free(r, N);
}

static void
test_assign_oversized(void **state)
{
	static const uint64_t sizes[] = { 10, 500, 20, 30, 700 };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	dsort_rec *r = mkrecs(sizes, N);
	dsort_plan p;
	char err[256];

	(void) state;
	assert_int_equal(dsort_assign(r, N, 100, "o-{1..9}", ".zip", &p, err,
	                     sizeof(err)),
	    AIS_OK);
	check_cover(&p, r, N);
	/* 10 | 500 alone | 20+30 | 700 alone */
	assert_int_equal(p.n, 4);
	assert_int_equal(p.shards[1].count, 1);
	assert_int_equal(p.shards[1].size, 500);
	assert_int_equal(p.shards[2].size, 50);
	assert_int_equal(p.shards[3].count, 1);
	assert_string_equal(p.shards[3].name, "o-4.zip");
	dsort_plan_fini(&p);
	dsort_recs_free(r, N);
}

static void
test_assign_even_spread(void **state)
{
	uint64_t sizes[100];
	dsort_rec *r;
	dsort_plan p;
	char err[256];

	(void) state;
	for (size_t i = 0; i < 100; i++) {
		sizes[i] = 10;
	}
	r = mkrecs(sizes, 100);
	/* No limit: total 1000 over 4 names -> 250 each. */
	assert_int_equal(dsort_assign(r, 100, 0, "x-{a..b}{0..1}", ".tar",
	                     &p, err, sizeof(err)),
	    AIS_EINVAL); /* not a numeric range */
	assert_int_equal(dsort_assign(r, 100, 0, "x-{0..3}", ".tar", &p, err,
	                     sizeof(err)),
	    AIS_OK);
	check_cover(&p, r, 100);
	assert_int_equal(p.n, 4);
	for (size_t s = 0; s < p.n; s++) {
		assert_int_equal(p.shards[s].size, 250);
	}
	dsort_plan_fini(&p);
	/* Zero records, zero shards. */
	assert_int_equal(dsort_assign(r, 0, 0, "x-{0..3}", ".tar", &p, err,
	                     sizeof(err)),
	    AIS_OK);
	assert_int_equal(p.n, 0);
	dsort_plan_fini(&p);
	dsort_recs_free(r, 100);
}

static void
test_assign_names(void **state)
{
	static const uint64_t sizes[] = { 10, 10, 10, 10, 10 };
	dsort_rec *r = mkrecs(sizes, 5);
	dsort_plan p;
	char err[256];

	(void) state;
	/* Template exhaustion: 5 shards needed, 3 names. */
	assert_int_equal(dsort_assign(r, 5, 10, "o-{0..2}", ".tar", &p, err,
	                     sizeof(err)),
	    AIS_EINVAL);
	assert_non_null(strstr(err, "output_format"));
	assert_null(p.shards);
	assert_int_equal(p.n, 0);
	/* Exactly enough names. */
	assert_int_equal(dsort_assign(r, 5, 10, "o-{0..4}", ".tar", &p, err,
	                     sizeof(err)),
	    AIS_OK);
	assert_int_equal(p.n, 5);
	dsort_plan_fini(&p);
	/* at and printf styles; names that carry their own extension. */
	assert_int_equal(dsort_assign(r, 5, 20, "d/s-@003.tar.gz", ".tar",
	                     &p, err, sizeof(err)),
	    AIS_OK);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.shards[0].name, "d/s-000.tar.gz");
	assert_string_equal(p.shards[2].name, "d/s-002.tar.gz");
	dsort_plan_fini(&p);
	assert_int_equal(dsort_assign(r, 5, 50, "p-%03d", ".tar", &p, err,
	                     sizeof(err)),
	    AIS_OK);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.shards[0].name, "p-000.tar");
	dsort_plan_fini(&p);
	/* Bad templates. */
	assert_int_equal(dsort_assign(r, 5, 10, "plain", ".tar", &p, err,
	                     sizeof(err)),
	    AIS_EINVAL);
	assert_int_equal(dsort_assign(r, 5, 10, "o-{3..", ".tar", &p, err,
	                     sizeof(err)),
	    AIS_EINVAL);
	assert_non_null(strstr(err, "output_format"));
	dsort_recs_free(r, 5);
}

static ais_smap *
mksmap(int ntargets)
{
	ais_smap *m;
	ais_snode sn;
	char id[16];

	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	for (int i = 0; i < ntargets; i++) {
		snprintf(id, sizeof(id), "t%d", i + 1);
		assert_int_equal(ais_snode_init(&sn, id, AIS_ROLE_TARGET,
		                     "127.0.0.1", (uint16_t) (9000 + i),
		                     (uint16_t) (9100 + i),
		                     (uint16_t) (9200 + i)),
		    AIS_OK);
		assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	}
	return m;
}

static void
test_assign_hrw(void **state)
{
	enum { N = 300 };
	uint64_t sizes[N];
	dsort_bck bck = { .provider = "ais", .name = "dst" };
	dsort_rec *r;
	dsort_plan p, q;
	ais_smap *m = mksmap(3), *m4, *empty;
	size_t per[3] = { 0 }, moved = 0;
	char err[256], uname[256];

	(void) state;
	for (size_t i = 0; i < N; i++) {
		sizes[i] = 100;
	}
	r = mkrecs(sizes, N);
	assert_int_equal(dsort_assign(r, N, 100, "s-{000..999}", ".tar", &p,
	                     err, sizeof(err)),
	    AIS_OK);
	assert_int_equal(p.n, N);
	assert_int_equal(dsort_plan_map(&p, m, &bck, err, sizeof(err)),
	    AIS_OK);
	for (size_t s = 0; s < p.n; s++) {
		const ais_snode *owner;
		size_t len = ais_uname(uname, sizeof(uname), "ais", NULL,
		    "dst", p.shards[s].name);
		/* Same owner the data path computes for the object. */
		assert_int_equal(ais_hrw_target(m, uname, len, &owner),
		    AIS_OK);
		assert_string_equal(p.shards[s].target, owner->id);
		per[p.shards[s].target[1] - '1']++;
	}
	for (int t = 0; t < 3; t++) {
		assert_true(per[t] > N / 3 / 2); /* spread */
	}
	/* Stable: the same plan maps the same way again. */
	assert_int_equal(dsort_assign(r, N, 100, "s-{000..999}", ".tar", &q,
	                     err, sizeof(err)),
	    AIS_OK);
	assert_int_equal(dsort_plan_map(&q, m, &bck, err, sizeof(err)),
	    AIS_OK);
	for (size_t s = 0; s < p.n; s++) {
		assert_string_equal(p.shards[s].target, q.shards[s].target);
	}
	/* A 4th target takes only shards for itself (HRW minimal move). */
	m4 = mksmap(4);
	assert_int_equal(dsort_plan_map(&q, m4, &bck, err, sizeof(err)),
	    AIS_OK);
	for (size_t s = 0; s < p.n; s++) {
		if (strcmp(p.shards[s].target, q.shards[s].target) != 0) {
			assert_string_equal(q.shards[s].target, "t4");
			moved++;
		}
	}
	assert_true(moved > 0 && moved < N / 2);
	/* No targets: a clear error. */
	assert_int_equal(ais_smap_alloc(&empty), AIS_OK);
	assert_int_equal(dsort_plan_map(&q, empty, &bck, err, sizeof(err)),
	    AIS_ENOENT);
	assert_non_null(strstr(err, "no target"));
	ais_smap_rele(empty);
	ais_smap_rele(m4);
	dsort_plan_fini(&q);
	dsort_plan_fini(&p);
	ais_smap_rele(m);
	dsort_recs_free(r, N);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assign_fill),
		cmocka_unit_test(test_assign_tolerance),
		cmocka_unit_test(test_assign_oversized),
		cmocka_unit_test(test_assign_even_spread),
		cmocka_unit_test(test_assign_names),
		cmocka_unit_test(test_assign_hrw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
