/*
 * Unit tests for core/snapshot: get/set/fini reference counting with a
 * counting test object and with real Smaps, and a bounded concurrent run
 * (readers get/rele while a writer publishes) that must leave every
 * snapshot freed exactly once -- ASan/LSan catch the rest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "core/smap.h"
#include "core/snapshot.h"

#define TEST_MAGIC 0x5a5a1234u
#define TEST_READERS 4
#define TEST_READS 20000
#define TEST_PUBLISHES 2000

typedef struct test_obj {
	atomic_int refs;
	unsigned magic;
	int version;
} test_obj;

static atomic_int test_allocs;
static atomic_int test_frees;

static test_obj *
test_obj_new(int version)
{
	test_obj *o = calloc(1, sizeof(*o));
	assert_non_null(o);
	atomic_init(&o->refs, 1);
	o->magic = TEST_MAGIC;
	o->version = version;
	atomic_fetch_add(&test_allocs, 1);
	return o;
}

static void
test_obj_hold(void *p)
{
	test_obj *o = p;
	atomic_fetch_add(&o->refs, 1);
}

static void
test_obj_rele(void *p)
{
	test_obj *o = p;
	if (atomic_fetch_sub(&o->refs, 1) == 1) {
		o->magic = 0;
		atomic_fetch_add(&test_frees, 1);
		free(o);
	}
}

static void
test_snapshot_basic(void **state)
{
	ais_snapslot s;
	test_obj *a;
	test_obj *b;
	test_obj *g;
	(void) state;
	atomic_store(&test_allocs, 0);
	atomic_store(&test_frees, 0);
	ais_snapslot_init(&s, test_obj_hold, test_obj_rele);
	assert_null(ais_snapslot_get(&s));

	a = test_obj_new(1);
	ais_snapslot_set(&s, a); /* slot owns the only reference */
	assert_int_equal(atomic_load(&a->refs), 1);
	g = ais_snapslot_get(&s);
	assert_ptr_equal(g, a);
	assert_int_equal(atomic_load(&a->refs), 2);

	/* publishing b drops the slot's ref on a; ours keeps it alive */
	b = test_obj_new(2);
	ais_snapslot_set(&s, b);
	assert_int_equal(atomic_load(&a->refs), 1);
	assert_int_equal(atomic_load(&test_frees), 0);
	assert_int_equal(g->version, 1);
	test_obj_rele(g);
	assert_int_equal(atomic_load(&test_frees), 1);

	g = ais_snapslot_get(&s);
	assert_ptr_equal(g, b);
	test_obj_rele(g);

	/* publishing NULL releases the current one */
	ais_snapslot_set(&s, NULL);
	assert_int_equal(atomic_load(&test_frees), 2);
	assert_null(ais_snapslot_get(&s));
	ais_snapslot_fini(&s);

	/* fini releases what is published */
	ais_snapslot_init(&s, test_obj_hold, test_obj_rele);
	ais_snapslot_set(&s, test_obj_new(3));
	ais_snapslot_fini(&s);
	assert_int_equal(atomic_load(&test_frees), 3);
	assert_int_equal(atomic_load(&test_allocs), 3);
}

static void
test_smap_hold_v(void *p)
{
	ais_smap_hold(p);
}

static void
test_smap_rele_v(void *p)
{
	ais_smap_rele(p);
}

static void
test_snapshot_smap(void **state)
{
	ais_snapslot s;
	ais_smap *m = NULL;
	ais_smap *next = NULL;
	ais_smap *g;
	ais_snode sn;
	(void) state;
	ais_snapslot_init(&s, test_smap_hold_v, test_smap_rele_v);
	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	m->version = 1;
	ais_snapslot_set(&s, m);

	/* the owner builds the next version from a held snapshot */
	g = ais_snapslot_get(&s);
	assert_int_equal(ais_smap_clone(g, &next), AIS_OK);
	ais_smap_rele(g);
	assert_int_equal(ais_snode_init(&sn, "t1", AIS_ROLE_TARGET, "h", 1, 2,
	                     3),
	    AIS_OK);
	assert_int_equal(ais_smap_add(next, &sn), AIS_OK);
	next->version = 2;

	g = ais_snapslot_get(&s); /* a reader in flight */
	ais_snapslot_set(&s, next);
	assert_int_equal(g->version, 1);
	assert_int_equal(ais_smap_count(g), 0);
	ais_smap_rele(g);

	g = ais_snapslot_get(&s);
	assert_int_equal(g->version, 2);
	assert_non_null(ais_smap_get(g, "t1"));
	ais_smap_rele(g);
	ais_snapslot_fini(&s);
}

static void *
test_snapshot_reader(void *arg)
{
	ais_snapslot *s = arg;
	int last = 0;
	for (int i = 0; i < TEST_READS; i++) {
		test_obj *o = ais_snapslot_get(s);
		if (o == NULL) {
			continue;
		}
		/* alive, and versions never go backwards for one reader */
		if (o->magic != TEST_MAGIC || o->version < last) {
			test_obj_rele(o);
			return (void *) 1;
		}
		last = o->version;
		test_obj_rele(o);
	}
	return NULL;
}

static void
test_snapshot_concurrent(void **state)
{
	ais_snapslot s;
	pthread_t th[TEST_READERS];
	(void) state;
	atomic_store(&test_allocs, 0);
	atomic_store(&test_frees, 0);
	ais_snapslot_init(&s, test_obj_hold, test_obj_rele);
	ais_snapslot_set(&s, test_obj_new(1));
	for (int i = 0; i < TEST_READERS; i++) {
		assert_int_equal(
		    pthread_create(&th[i], NULL, test_snapshot_reader, &s), 0);
	}
	for (int v = 2; v <= TEST_PUBLISHES; v++) {
		ais_snapslot_set(&s, test_obj_new(v));
	}
	for (int i = 0; i < TEST_READERS; i++) {
		void *rv = (void *) 1;
		assert_int_equal(pthread_join(th[i], &rv), 0);
		assert_null(rv);
	}
	ais_snapslot_fini(&s);
	assert_int_equal(atomic_load(&test_allocs), TEST_PUBLISHES);
	assert_int_equal(atomic_load(&test_frees), TEST_PUBLISHES);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_basic),
		cmocka_unit_test(test_snapshot_smap),
		cmocka_unit_test(test_snapshot_concurrent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
