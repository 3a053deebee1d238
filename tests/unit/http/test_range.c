/*
 * Unit tests of http/obj_range.c: the single-range forms AIS serves
 * (a-b, a-, -n), clamping to the object size, unsatisfiable ranges,
 * several ranges, malformed headers, whitespace and list rules, and
 * numbers too large for 64 bits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http/obj_range.h"

typedef struct test_range_case {
	const char *hdr;
	uint64_t size;
	http_range_res res;
	uint64_t off, len; /* when res == HTTP_RANGE_OK */
} test_range_case;

static void
test_range_run(const test_range_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const test_range_case *c = &cases[i];
		uint64_t off = 777, len = 777;
		http_range_res res
		    = http_range_parse(c->hdr, c->size, &off, &len);

		if (res != c->res) {
			fail_msg("case %zu \"%s\" size %llu: res %d, want %d",
			    i, c->hdr == NULL ? "(null)" : c->hdr,
			    (unsigned long long) c->size, (int) res,
			    (int) c->res);
		}
		if (c->res == HTTP_RANGE_OK) {
			if (off != c->off || len != c->len) {
				fail_msg("case %zu \"%s\": off %llu len %llu, "
				         "want %llu %llu",
				    i, c->hdr, (unsigned long long) off,
				    (unsigned long long) len,
				    (unsigned long long) c->off,
				    (unsigned long long) c->len);
			}
		} else {
			/* untouched unless OK */
			assert_int_equal(off, 777);
			assert_int_equal(len, 777);
		}
	}
}

static void
test_range_forms(void **state)
{
	static const test_range_case cases[] = {
		{ NULL, 100, HTTP_RANGE_NONE, 0, 0 },
		{ "bytes=0-0", 100, HTTP_RANGE_OK, 0, 1 },
		{ "bytes=10-99", 70001, HTTP_RANGE_OK, 10, 90 },
		{ "bytes=0-99", 100, HTTP_RANGE_OK, 0, 100 },
		{ "bytes=50-", 100, HTTP_RANGE_OK, 50, 50 },
		{ "bytes=99-", 100, HTTP_RANGE_OK, 99, 1 },
		{ "bytes=-1", 100, HTTP_RANGE_OK, 99, 1 },
		{ "bytes=-30", 100, HTTP_RANGE_OK, 70, 30 },
		{ "bytes=5-5", 6, HTTP_RANGE_OK, 5, 1 },
	};
	(void) state;
	test_range_run(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_range_clamp(void **state)
{
	static const test_range_case cases[] = {
		/* last byte past the end: clamped */
		{ "bytes=90-1000", 100, HTTP_RANGE_OK, 90, 10 },
		{ "bytes=0-100", 100, HTTP_RANGE_OK, 0, 100 },
		/* suffix longer than the object: the whole object */
		{ "bytes=-500", 100, HTTP_RANGE_OK, 0, 100 },
		{ "bytes=-100", 100, HTTP_RANGE_OK, 0, 100 },
		/* beyond 64 bits: saturates instead of wrapping */
		{ "bytes=0-99999999999999999999999", 100, HTTP_RANGE_OK, 0,
		    100 },
		{ "bytes=-99999999999999999999999", 100, HTTP_RANGE_OK, 0,
		    100 },
		{ "bytes=18446744073709551615-", 100, HTTP_RANGE_UNSAT, 0, 0 },
		/* large objects */
		{ "bytes=4294967296-", 8589934592ULL, HTTP_RANGE_OK,
		    4294967296ULL, 4294967296ULL },
	};
	(void) state;
	test_range_run(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_range_unsat(void **state)
{
	static const test_range_case cases[] = {
		{ "bytes=100-", 100, HTTP_RANGE_UNSAT, 0, 0 },
		{ "bytes=100-200", 100, HTTP_RANGE_UNSAT, 0, 0 },
		{ "bytes=1000-2000", 100, HTTP_RANGE_UNSAT, 0, 0 },
		{ "bytes=-0", 100, HTTP_RANGE_UNSAT, 0, 0 },
		/* an empty object has no byte to send */
		{ "bytes=0-", 0, HTTP_RANGE_UNSAT, 0, 0 },
		{ "bytes=0-0", 0, HTTP_RANGE_UNSAT, 0, 0 },
		{ "bytes=-5", 0, HTTP_RANGE_UNSAT, 0, 0 },
	};
	(void) state;
	test_range_run(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_range_multi(void **state)
{
	static const test_range_case cases[] = {
		{ "bytes=0-1,5-6", 100, HTTP_RANGE_MULTI, 0, 0 },
		{ "bytes=0-1, 5-6", 100, HTTP_RANGE_MULTI, 0, 0 },
		{ "bytes=-1,-2", 100, HTTP_RANGE_MULTI, 0, 0 },
		{ "bytes=0-1,200-300", 100, HTTP_RANGE_MULTI, 0, 0 },
		/* empty list elements do not count */
		{ "bytes=,0-1", 100, HTTP_RANGE_OK, 0, 2 },
		{ "bytes=0-1,", 100, HTTP_RANGE_OK, 0, 2 },
		{ "bytes= , 0-1 ,, ", 100, HTTP_RANGE_OK, 0, 2 },
	};
	(void) state;
	test_range_run(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_range_invalid(void **state)
{
	static const test_range_case cases[] = {
		{ "", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes=", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes=,", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes=-", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes=a-b", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes=5-4", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes=1", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes=1-2-3", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes=--5", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes=+1-2", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes=0x10-", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes=1 -2", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes=1- 2", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "items=0-1", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytesx=0-1", 100, HTTP_RANGE_INVALID, 0, 0 },
		{ "bytes:0-1", 100, HTTP_RANGE_INVALID, 0, 0 },
		/* a bad element wins over "several" */
		{ "bytes=0-1,x", 100, HTTP_RANGE_INVALID, 0, 0 },
	};
	(void) state;
	test_range_run(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_range_syntax_ok(void **state)
{
	static const test_range_case cases[] = {
		/* unit case-insensitive; optional whitespace around tokens */
		{ "BYTES=1-2", 100, HTTP_RANGE_OK, 1, 2 },
		{ "Bytes=1-2", 100, HTTP_RANGE_OK, 1, 2 },
		{ " bytes = 1-2 ", 100, HTTP_RANGE_OK, 1, 2 },
		{ "bytes=\t3-\t", 100, HTTP_RANGE_OK, 3, 97 },
		{ "bytes=007-008", 100, HTTP_RANGE_OK, 7, 2 },
	};
	(void) state;
	test_range_run(cases, sizeof(cases) / sizeof(cases[0]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_forms),
		cmocka_unit_test(test_range_clamp),
		cmocka_unit_test(test_range_unsat),
		cmocka_unit_test(test_range_multi),
		cmocka_unit_test(test_range_invalid),
		cmocka_unit_test(test_range_syntax_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
