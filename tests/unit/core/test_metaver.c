/*
 * Unit tests for core/metaver: newer applies, equal is a no-op, older is
 * refused, and a different (or missing) cluster UUID is foreign once the
 * node knows its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/metaver.h"

static void
test_metaver_versions(void **state)
{
	(void) state;
	assert_int_equal(ais_metaver_check(5, "u", 6, "u"), AIS_METAVER_APPLY);
	assert_int_equal(ais_metaver_check(5, "u", 500, "u"),
	    AIS_METAVER_APPLY);
	assert_int_equal(ais_metaver_check(5, "u", 5, "u"), AIS_METAVER_SAME);
	assert_int_equal(ais_metaver_check(5, "u", 4, "u"), AIS_METAVER_OLDER);
	assert_int_equal(ais_metaver_check(5, "u", 0, "u"), AIS_METAVER_OLDER);
	assert_int_equal(ais_metaver_check(0, "u", 1, "u"), AIS_METAVER_APPLY);
	assert_int_equal(ais_metaver_check(INT64_MAX - 1, "u", INT64_MAX, "u"),
	    AIS_METAVER_APPLY);
}

static void
test_metaver_uuid(void **state)
{
	(void) state;
	/* node does not know its cluster yet: any uuid is acceptable */
	assert_int_equal(ais_metaver_check(0, NULL, 1, "u"),
	    AIS_METAVER_APPLY);
	assert_int_equal(ais_metaver_check(0, "", 1, "u"), AIS_METAVER_APPLY);
	assert_int_equal(ais_metaver_check(0, "", 1, ""), AIS_METAVER_APPLY);
	assert_int_equal(ais_metaver_check(3, NULL, 3, NULL),
	    AIS_METAVER_SAME);
	assert_int_equal(ais_metaver_check(3, "", 2, "x"), AIS_METAVER_OLDER);
	/* foreign wins over any version comparison */
	assert_int_equal(ais_metaver_check(5, "u", 6, "v"),
	    AIS_METAVER_FOREIGN);
	assert_int_equal(ais_metaver_check(5, "u", 5, "v"),
	    AIS_METAVER_FOREIGN);
	assert_int_equal(ais_metaver_check(5, "u", 4, "v"),
	    AIS_METAVER_FOREIGN);
	assert_int_equal(ais_metaver_check(5, "u", 6, ""),
	    AIS_METAVER_FOREIGN);
	assert_int_equal(ais_metaver_check(5, "u", 6, NULL),
	    AIS_METAVER_FOREIGN);
	assert_int_equal(ais_metaver_check(5, "abc", 6, "abcd"),
	    AIS_METAVER_FOREIGN);
}

static void
test_metaver_str(void **state)
{
	(void) state;
	assert_string_equal(ais_metaver_str(AIS_METAVER_APPLY), "apply");
	assert_string_equal(ais_metaver_str(AIS_METAVER_SAME), "same");
	assert_string_equal(ais_metaver_str(AIS_METAVER_OLDER), "older");
	assert_string_equal(ais_metaver_str(AIS_METAVER_FOREIGN), "foreign");
	assert_string_equal(ais_metaver_str((ais_metaver_verdict) 99),
	    "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metaver_versions),
		cmocka_unit_test(test_metaver_uuid),
		cmocka_unit_test(test_metaver_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
