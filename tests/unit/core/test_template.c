/*
 * Unit tests for core/template: the three range styles, prefixes and
 * match-all, AIS's padding and detection rules, the iterator (order,
 * reset, multi-range carry) and the rejections (bad syntax, bounds, too many
 * names).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/template.h"

#define ARRLEN(a) (sizeof(a) / sizeof((a)[0]))

/* Expands t into one space-separated string (at most cap bytes). */
static void
expand(ais_tmpl *t, char *out, size_t cap)
{
	const char *name;
	size_t n = 0;

	out[0] = '\0';
	while ((name = ais_tmpl_next(t, NULL)) != NULL) {
		int w = snprintf(out + n, cap - n, "%s%s", n ? " " : "", name);
		assert_true(w > 0 && (size_t) w < cap - n);
		n += (size_t) w;
	}
}

typedef struct exp_case {
	const char *tmpl;
	const char *names;
	uint64_t count;
} exp_case;

static void
test_expand(void **state)
{
	static const exp_case cases[] = {
		{ "obj-{0000..0003}", "obj-0000 obj-0001 obj-0002 obj-0003",
		    4 },
		{ "a{1..3}b", "a1b a2b a3b", 3 },
		{ "{8..11}", "8 9 10 11", 4 },
		{ "x{1..9..3}", "x1 x4 x7", 3 },
		{ "x{01..10..4}.jpg", "x01.jpg x05.jpg x09.jpg", 3 },
		/* padding: the shorter bound's width, as AIS */
		{ "p{1..0010}", "p1 p2 p3 p4 p5 p6 p7 p8 p9 p10", 10 },
		{ "a{0..1}-{0..2}", "a0-0 a0-1 a0-2 a1-0 a1-1 a1-2", 6 },
		{ "d{0..1}/f{0..1}.bin",
		    "d0/f0.bin d0/f1.bin d1/f0.bin "
		    "d1/f1.bin",
		    4 },
		{ "{5..5}", "5", 1 },
		{ "page/obj-{010..012..1}",
		    "page/obj-010 page/obj-011 "
		    "page/obj-012",
		    3 },
		{ "pre-@003-suf",
		    "pre-000-suf pre-001-suf pre-002-suf "
		    "pre-003-suf",
		    4 },
		{ "@1x@1", "0x0 0x1 1x0 1x1", 4 },
	};
	char out[1024];

	(void) state;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		ais_tmpl t;
		char eb[256] = "";

		assert_int_equal(
		    ais_tmpl_parse(&t, cases[i].tmpl, eb, sizeof(eb)), AIS_OK);
		assert_false(ais_tmpl_is_prefix(&t));
		assert_int_equal(t.count, cases[i].count);
		expand(&t, out, sizeof(out));
		assert_string_equal(out, cases[i].names);
		/* exhausted stays exhausted; reset starts over */
		assert_null(ais_tmpl_next(&t, NULL));
		ais_tmpl_reset(&t);
		expand(&t, out, sizeof(out));
		assert_string_equal(out, cases[i].names);
		ais_tmpl_fini(&t);
	}
}

static void
test_prefix_of_range(void **state)
{
	ais_tmpl t;
	size_t len = 0;
	const char *name;

	(void) state;
	assert_int_equal(
	    ais_tmpl_parse(&t, "dir/img-{1..2}.jpg", NULL, 0), AIS_OK);
	assert_int_equal(t.kind, AIS_TMPL_BASH);
	assert_string_equal(ais_tmpl_prefix(&t), "dir/img-");
	name = ais_tmpl_next(&t, &len);
	assert_string_equal(name, "dir/img-1.jpg");
	assert_int_equal(len, strlen("dir/img-1.jpg"));
	ais_tmpl_fini(&t);
}

static void
test_fmt(void **state)
{
	ais_tmpl t;

	(void) state;
	assert_int_equal(ais_tmpl_parse(&t, "s-%06d.tar", NULL, 0), AIS_OK);
	assert_int_equal(t.kind, AIS_TMPL_FMT);
	assert_int_equal(t.count, AIS_TMPL_MAX_NAMES);
	assert_string_equal(ais_tmpl_next(&t, NULL), "s-000000.tar");
	assert_string_equal(ais_tmpl_next(&t, NULL), "s-000001.tar");
	ais_tmpl_fini(&t);

	assert_int_equal(ais_tmpl_parse(&t, "n%d", NULL, 0), AIS_OK);
	for (int i = 0; i < 11; i++) {
		char want[16];

		snprintf(want, sizeof(want), "n%d", i);
		assert_string_equal(ais_tmpl_next(&t, NULL), want);
	}
	ais_tmpl_fini(&t);
}

static void
test_prefix_and_all(void **state)
{
	static const struct {
		const char *tmpl;
		ais_tmpl_kind kind;
		const char *prefix;
	} cases[] = {
		{ "", AIS_TMPL_ALL, "" }, { "*", AIS_TMPL_ALL, "" },
		{ "logs/2025/", AIS_TMPL_PREFIX, "logs/2025/" },
		{ "logs/*", AIS_TMPL_PREFIX, "logs/" },
		{ "obj-", AIS_TMPL_PREFIX, "obj-" },
		{ "a}b", AIS_TMPL_PREFIX, "a}b" }, /* no '{' */
	};

	(void) state;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		ais_tmpl t;

		assert_int_equal(
		    ais_tmpl_parse(&t, cases[i].tmpl, NULL, 0), AIS_OK);
		assert_int_equal(t.kind, cases[i].kind);
		assert_true(ais_tmpl_is_prefix(&t));
		assert_string_equal(ais_tmpl_prefix(&t), cases[i].prefix);
		assert_null(ais_tmpl_next(&t, NULL));
		ais_tmpl_fini(&t);
	}
}

static void
test_invalid(void **state)
{
	static const char *const bad[] = {
		"a{1..}",              /* empty bound */
		"a{1}",                /* one field */
		"a{1..2..3..4}",       /* four fields */
		"a{5..1}",             /* start > end */
		"a{-1..3}",            /* negative start */
		"a{1..3..0}",          /* step 0 */
		"a{1..3..-1}",         /* negative step */
		"a{x..y}",             /* not numbers */
		"a{1..2}b{3..}",       /* second range bad */
		"a}{1..2}",            /* '}' before the first '{' */
		"a}b{",                /* last '}' before the first '{' */
		"x@",                  /* at without digits */
		"x@y", "p%5d",         /* fmt width without the 0 */
		"p%0xd", "p%s",        /* no 'd' */
		"a{0..9999999}{0..9}", /* 10^8 names */
		"a{0..99999999999}",
		"a{1..2..99999999999999999999}", /* overflow */
	};
	char eb[256];

	(void) state;
	for (size_t i = 0; i < ARRLEN(bad); i++) {
		ais_tmpl t;

		eb[0] = '\0';
		assert_int_equal(
		    ais_tmpl_parse(&t, bad[i], eb, sizeof(eb)), AIS_EINVAL);
		assert_true(eb[0] != '\0');
		assert_null(t.text); /* released */
	}
	{
		ais_tmpl t;

		/* within the limit exactly */
		assert_int_equal(
		    ais_tmpl_parse(&t, "a{0..9999999}", eb, sizeof(eb)),
		    AIS_OK);
		assert_int_equal(t.count, AIS_TMPL_MAX_NAMES);
		ais_tmpl_fini(&t);
	}
}

static void
test_big_iteration(void **state)
{
	ais_tmpl t;
	uint64_t n = 0;
	const char *name;
	const char *last = NULL;

	(void) state;
	assert_int_equal(
	    ais_tmpl_parse(&t, "o-{000000..199999..1}", NULL, 0), AIS_OK);
	while ((name = ais_tmpl_next(&t, NULL)) != NULL) {
		n++;
		last = name;
	}
	assert_int_equal(n, 200000);
	(void) last;
	ais_tmpl_fini(&t);
	/* end near INT64_MAX with a large step does not overflow */
	assert_int_equal(
	    ais_tmpl_parse(
	        &t, "{9223372036854775800..9223372036854775807..5}", NULL, 0),
	    AIS_OK);
	assert_int_equal(t.count, 2);
	assert_string_equal(ais_tmpl_next(&t, NULL), "9223372036854775800");
	assert_string_equal(ais_tmpl_next(&t, NULL), "9223372036854775805");
	assert_null(ais_tmpl_next(&t, NULL));
	ais_tmpl_fini(&t);
	ais_tmpl_fini(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_prefix_of_range),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_prefix_and_all),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_big_iteration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
