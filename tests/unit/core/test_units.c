/*
 * Unit tests for core/units: Go durations and AIS IEC sizes, parse and
 * format, including the inputs AIS rejects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/units.h"

#define NS_MS 1000000LL
#define NS_S 1000000000LL
#define NS_MIN (60 * NS_S)
#define NS_H (60 * NS_MIN)
#define ARRLEN(a) (sizeof(a) / sizeof((a)[0]))

typedef struct dur_case {
	const char *text;
	int64_t ns;
} dur_case;

typedef struct size_case {
	const char *text;
	int64_t bytes;
} size_case;

static void
test_dur_parse_good(void **state)
{
	static const dur_case cases[] = {
		{ "10s", 10 * NS_S },
		{ "2m", 2 * NS_MIN },
		{ "1h30m", 90 * NS_MIN },
		{ "100ms", 100 * NS_MS },
		{ "1.5s", 1500 * NS_MS },
		{ "2h0m", 2 * NS_H },
		{ "2h0m0s", 2 * NS_H },
		{ "0s", 0 },
		{ "0", 0 },
		{ "-0", 0 },
		{ "+5s", 5 * NS_S },
		{ "-1.5h", -90 * NS_MIN },
		{ ".5s", 500 * NS_MS },
		{ "1.s", NS_S },
		{ "1ns", 1 },
		{ "3us", 3000 },
		{ "3\xc2\xb5s", 3000 },
		{ "3\xce\xbcs", 3000 },
		{ "1h1m1s1ms1us1ns", NS_H + NS_MIN + NS_S + NS_MS + 1001 },
		{ "120m", 2 * NS_H },
		{ "0.000000001s", 1 },
		{ "9223372036854775807ns", INT64_MAX },
		{ "-9223372036854775808ns", INT64_MIN },
	};

	(void) state;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		int64_t ns = -12345;
		ais_err err = ais_dur_parse(cases[i].text, &ns);
		if (err != AIS_OK || ns != cases[i].ns) {
			fail_msg("\"%s\": err %d ns %lld, want %lld",
			    cases[i].text, err, (long long) ns,
			    (long long) cases[i].ns);
		}
	}
}

static void
test_dur_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "abc", "10", "1x", "s", ".s", ".", "1h-1m", "--1s",
		"1.5", " 1s", "1s ", "1 s", "1S", "1H", "-", "+",
		"9223372036854775808ns", "10000000000000000000s",
		"3000000h", "1d",
	};

	(void) state;
	for (size_t i = 0; i < ARRLEN(bad); i++) {
		int64_t ns = 0;
		if (ais_dur_parse(bad[i], &ns) != AIS_EINVAL) {
			fail_msg("\"%s\" parsed (%lld)", bad[i],
			    (long long) ns);
		}
	}
	assert_int_equal(ais_dur_parse(NULL, NULL), AIS_EINVAL);
}

static void
test_dur_format(void **state)
{
	static const dur_case cases[] = {
		{ "0s", 0 },
		{ "2h0m", 2 * NS_H },
		{ "10m", 10 * NS_MIN },
		{ "1m30s", 90 * NS_S },
		{ "500ms", 500 * NS_MS },
		{ "1.5s", 1500 * NS_MS },
		{ "1h30m", 90 * NS_MIN },
		{ "1h0m30s", NS_H + 30 * NS_S },
		{ "2m0.5s", 2 * NS_MIN + 500 * NS_MS },
		{ "10s", 10 * NS_S },
		{ "1ns", 1 },
		{ "1.5\xc2\xb5s", 1500 },
		{ "1.000001ms", NS_MS + 1 },
		{ "-2m", -2 * NS_MIN },
		{ "-1.5s", -1500 * NS_MS },
		{ "-2562047h47m16.854775808s", INT64_MIN },
		{ "2562047h47m16.854775807s", INT64_MAX },
	};

	(void) state;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		char buf[64];
		ais_dur_format(cases[i].ns, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
}

static void
test_dur_roundtrip(void **state)
{
	int64_t v = 1;

	(void) state;
	/* Every formatted value parses back exactly (geometric sweep). */
	for (int i = 0; i < 60; i++) {
		int64_t vals[2] = { v, -v };
		for (size_t k = 0; k < 2; k++) {
			char buf[64];
			int64_t back = 0;
			ais_dur_format(vals[k], buf, sizeof(buf));
			assert_int_equal(ais_dur_parse(buf, &back), AIS_OK);
			assert_int_equal(back, vals[k]);
		}
		v = v * 2 + (v % 7);
	}
}

static void
test_dur_format_small_buf(void **state)
{
	char buf[4];

	(void) state;
	ais_dur_format(90 * NS_S, buf, sizeof(buf));
	assert_string_equal(buf, "1m3"); /* truncated, still terminated */
	ais_dur_format(NS_S, NULL, 0);  /* no crash */
}

static void
test_size_parse_good(void **state)
{
	static const size_case cases[] = {
		{ "64MiB", 64LL << 20 },
		{ "1GiB", 1LL << 30 },
		{ "32kb", 32LL << 10 },
		{ "2gb", 2LL << 30 },
		{ "100MB", 100LL << 20 },
		{ "1024", 1024 },
		{ "0", 0 },
		{ "0B", 0 },
		{ "512B", 512 },
		{ "512b", 512 },
		{ "1.5GiB", 3LL << 29 },
		{ "  8 KiB ", 8LL << 10 },
		{ "1T", 1LL << 40 },
		{ "4tib", 4LL << 40 },
		{ "256KiB", 256LL << 10 },
		{ "3m", 3LL << 20 },
		{ "1.5", 1 },
		{ "9223372036854775807", INT64_MAX },
	};

	(void) state;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		int64_t b = -1;
		ais_err err = ais_size_parse(cases[i].text, &b);
		if (err != AIS_OK || b != cases[i].bytes) {
			fail_msg("\"%s\": err %d bytes %lld, want %lld",
			    cases[i].text, err, (long long) b,
			    (long long) cases[i].bytes);
		}
	}
}

static void
test_size_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "   ", "abc", "-1", "-1KiB", "1.2.3", "MiB", "B", "10XB",
		"99999999TiB", "1e3", "0x10", "1KiBB", "KiB1",
		"9223372036854775808",
	};

	(void) state;
	for (size_t i = 0; i < ARRLEN(bad); i++) {
		int64_t b = 0;
		if (ais_size_parse(bad[i], &b) != AIS_EINVAL) {
			fail_msg("\"%s\" parsed (%lld)", bad[i],
			    (long long) b);
		}
	}
	assert_int_equal(ais_size_parse(NULL, NULL), AIS_EINVAL);
}

static void
test_size_format(void **state)
{
	static const size_case cases[] = {
		{ "64MiB", 64LL << 20 },
		{ "1GiB", 1LL << 30 },
		{ "0B", 0 },
		{ "512B", 512 },
		{ "1536B", 1536 },
		{ "1TiB", 1LL << 40 },
		{ "3KiB", 3LL << 10 },
		{ "1025B", 1025 },
		{ "1536MiB", 3LL << 29 },
		{ "-1B", -1 },
	};

	(void) state;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		char buf[32];
		int64_t back = -1;
		ais_size_format(cases[i].bytes, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
		if (cases[i].bytes >= 0) {
			assert_int_equal(ais_size_parse(buf, &back), AIS_OK);
			assert_int_equal(back, cases[i].bytes);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dur_parse_good),
		cmocka_unit_test(test_dur_parse_bad),
		cmocka_unit_test(test_dur_format),
		cmocka_unit_test(test_dur_roundtrip),
		cmocka_unit_test(test_dur_format_small_buf),
		cmocka_unit_test(test_size_parse_good),
		cmocka_unit_test(test_size_parse_bad),
		cmocka_unit_test(test_size_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
