/*
 * Unit tests of http/query.c: request-target splitting, path segments with
 * one round of unescaping (escaped '/' stays inside its segment), query
 * decoding with form rules, Go booleans, what= selectors and timestamps.
 * No server is involved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "http/query.h"

static void
test_query_uri_split(void **state)
{
	static const struct {
		const char *uri, *path, *query;
	} cases[] = {
		{ "/v1/health?prr=true", "/v1/health", "prr=true" },
		{ "/v1/health", "/v1/health", "" },
		{ "/v1/x?", "/v1/x", "" },
		{ "/a#frag", "/a", "" },
		{ "/a?b=1#frag", "/a", "b=1" },
		{ "http://h:8080/v1/x?a=b#f", "/v1/x", "a=b" },
		{ "http://h:8080", "/", "" },
		{ "http://h:8080?x=1", "/", "x=1" },
		{ "?x", "/", "x" },
		{ "/s3/b/k?list-type=2&prefix=a%2Fb", "/s3/b/k",
		    "list-type=2&prefix=a%2Fb" },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = NULL;
		char *q = NULL;

		assert_int_equal(http_uri_split(cases[i].uri, &p, &q), AIS_OK);
		assert_string_equal(p, cases[i].path);
		assert_string_equal(q, cases[i].query);
		free(p);
		free(q);
	}
}

static void
test_query_unescape(void **state)
{
	char a[] = "a%2Fb%20c+d";
	char b[] = "a%2Fb%20c+d";
	char bad1[] = "%zz";
	char bad2[] = "abc%4";
	char bad3[] = "x%00y";
	char bad4[] = "%";
	char up[] = "%C3%A9%e2%82%ac";
	size_t len = 0;

	(void) state;
	assert_int_equal(http_unescape(a, false, &len), AIS_OK);
	assert_string_equal(a, "a/b c+d");
	assert_int_equal(len, 7);
	assert_int_equal(http_unescape(b, true, NULL), AIS_OK);
	assert_string_equal(b, "a/b c d");
	assert_int_equal(http_unescape(bad1, false, NULL), AIS_EINVAL);
	assert_int_equal(http_unescape(bad2, false, NULL), AIS_EINVAL);
	assert_int_equal(http_unescape(bad3, false, NULL), AIS_EINVAL);
	assert_int_equal(http_unescape(bad4, false, NULL), AIS_EINVAL);
	assert_int_equal(http_unescape(up, false, NULL), AIS_OK);
	assert_string_equal(up, "\xc3\xa9\xe2\x82\xac");
}

static void
test_query_path_split(void **state)
{
	http_path p;
	http_path p2;
	const char *raw = "/v1/objects/b%2Fc/dir/o%20x";

	(void) state;
	assert_int_equal(http_path_split("/v1/health", 3, &p), AIS_OK);
	assert_int_equal(p.nsegs, 2);
	assert_string_equal(p.segs[0], "v1");
	assert_string_equal(p.segs[1], "health");
	http_path_fini(&p);

	/* A trailing '/' opens no empty segment. */
	assert_int_equal(http_path_split("/v1/buckets/", 3, &p), AIS_OK);
	assert_int_equal(p.nsegs, 2);
	assert_string_equal(p.segs[1], "buckets");
	http_path_fini(&p);

	/* The last segment takes the rest; rest_raw keeps it escaped, so a
	 * second split does not cut at the escaped '/'. */
	assert_int_equal(http_path_split(raw, 3, &p), AIS_OK);
	assert_int_equal(p.nsegs, 3);
	assert_string_equal(p.segs[2], "b/c/dir/o x");
	assert_string_equal(p.rest_raw, "b%2Fc/dir/o%20x");
	assert_int_equal(http_path_split(p.rest_raw, 2, &p2), AIS_OK);
	assert_int_equal(p2.nsegs, 2);
	assert_string_equal(p2.segs[0], "b/c");
	assert_string_equal(p2.segs[1], "dir/o x");
	assert_string_equal(p2.rest_raw, "dir/o%20x");
	http_path_fini(&p2);
	http_path_fini(&p);

	/* The rest keeps its own trailing slash (objects decide on it). */
	assert_int_equal(http_path_split("/v1/objects/b/d/", 3, &p), AIS_OK);
	assert_int_equal(p.nsegs, 3);
	assert_string_equal(p.segs[2], "b/d/");
	http_path_fini(&p);

	assert_int_equal(http_path_split("/", 3, &p), AIS_OK);
	assert_int_equal(p.nsegs, 0);
	http_path_fini(&p);
	assert_int_equal(http_path_split("", 3, &p), AIS_OK);
	assert_int_equal(p.nsegs, 0);
	http_path_fini(&p);

	assert_int_equal(http_path_split("/v1//x", 3, &p), AIS_OK);
	assert_int_equal(p.nsegs, 3);
	assert_string_equal(p.segs[1], "");
	assert_string_equal(p.segs[2], "x");
	http_path_fini(&p);

	assert_int_equal(http_path_split("/a/b/c/d", 8, &p), AIS_OK);
	assert_int_equal(p.nsegs, 4);
	assert_string_equal(p.segs[3], "d");
	assert_string_equal(p.rest_raw, "d");
	http_path_fini(&p);

	assert_int_equal(http_path_split("/v1/%zz", 3, &p), AIS_EINVAL);
	assert_int_equal(p.nsegs, 0);
	assert_null(p.buf);
	http_path_fini(&p);
	assert_int_equal(http_path_split("/v1", 0, &p), AIS_EINVAL);
	assert_int_equal(
	    http_path_split("/v1", HTTP_PATH_SEGS_MAX + 1, &p), AIS_EINVAL);
}

static void
test_query_parse(void **state)
{
	http_query q;

	(void) state;
	assert_int_equal(
	    http_query_parse(
	        "what=smap&prr=true&x&y=a+b%20c&&=v&what=bmd", &q),
	    AIS_OK);
	assert_int_equal(q.n, 6);
	assert_string_equal(http_query_get(&q, "what"), "smap");
	assert_string_equal(http_query_get(&q, "x"), "");
	assert_string_equal(http_query_get(&q, "y"), "a b c");
	assert_string_equal(http_query_get(&q, ""), "v");
	assert_null(http_query_get(&q, "missing"));
	assert_true(http_query_bool(&q, "prr"));
	assert_false(http_query_bool(&q, "x"));
	assert_false(http_query_bool(&q, "missing"));
	http_query_fini(&q);

	assert_int_equal(http_query_parse("", &q), AIS_OK);
	assert_int_equal(q.n, 0);
	assert_null(http_query_get(&q, "what"));
	http_query_fini(&q);

	assert_int_equal(http_query_parse("a=1&bad=%G1", &q), AIS_EINVAL);
	assert_int_equal(q.n, 0);
	http_query_fini(&q);

	assert_int_equal(http_query_parse("a%3Db=c%26d", &q), AIS_OK);
	assert_int_equal(q.n, 1);
	assert_string_equal(http_query_get(&q, "a=b"), "c&d");
	http_query_fini(&q);
}

static void
test_query_bools(void **state)
{
	static const char *const yes[]
	    = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[]
	    = { "0", "f", "false", "", "yes", "tRUE", "2", " true" };

	(void) state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		assert_true(http_str_true(yes[i]));
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		assert_false(http_str_true(no[i]));
	}
	assert_false(http_str_true(NULL));
}

static void
test_query_what(void **state)
{
	(void) state;
	assert_int_equal(http_what_parse("smap"), HTTP_WHAT_SMAP);
	assert_int_equal(http_what_parse("bmd"), HTTP_WHAT_BMD);
	assert_int_equal(http_what_parse("snode"), HTTP_WHAT_SNODE);
	assert_int_equal(http_what_parse("config"), HTTP_WHAT_CONFIG);
	assert_int_equal(
	    http_what_parse("cluster_config"), HTTP_WHAT_CLUSTER_CONFIG);
	assert_int_equal(http_what_parse("Smap"), HTTP_WHAT_UNKNOWN);
	assert_int_equal(http_what_parse(""), HTTP_WHAT_UNKNOWN);
	assert_int_equal(http_what_parse(NULL), HTTP_WHAT_UNKNOWN);
	assert_int_equal(http_what_parse("bogus"), HTTP_WHAT_UNKNOWN);
}

static int64_t
test_query_utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t) timegm(&tm) * 1000000000LL;
}

static void
test_query_time(void **state)
{
	int64_t ns = -1;
	int64_t base = test_query_utc(2024, 1, 2, 3, 4, 5);
	static const char *const bad[] = {
		"",
		"garbage",
		"2024-01-02",
		"2024-13-02T03:04:05Z",
		"2024-01-02T25:04:05Z",
		"2024-01-02X03:04:05Z",
		"2024-01-02T03:04:05.Z",
		"2024-01-02T03:04:05 PST",
		"2024-01-02T03:04:05+5",
	};

	(void) state;
	assert_int_equal(
	    http_time_parse_ns("1970-01-01T00:00:00Z", &ns), AIS_OK);
	assert_int_equal(ns, 0);
	assert_int_equal(
	    http_time_parse_ns("2024-01-02T03:04:05Z", &ns), AIS_OK);
	assert_int_equal(ns, base);
	assert_int_equal(
	    http_time_parse_ns("2024-01-02T03:04:05.123456789Z", &ns), AIS_OK);
	assert_int_equal(ns, base + 123456789);
	/* Beyond ns precision the extra digits are dropped. */
	assert_int_equal(
	    http_time_parse_ns("2024-01-02T03:04:05.1234567891Z", &ns),
	    AIS_OK);
	assert_int_equal(ns, base + 123456789);
	assert_int_equal(
	    http_time_parse_ns("2024-01-02T03:04:05.5", &ns), AIS_OK);
	assert_int_equal(ns, base + 500000000);
	assert_int_equal(
	    http_time_parse_ns("2024-01-02T05:04:05+02:00", &ns), AIS_OK);
	assert_int_equal(ns, base);
	assert_int_equal(
	    http_time_parse_ns("2024-01-02T00:04:05-0300", &ns), AIS_OK);
	assert_int_equal(ns, base);
	/* Go's time.Time.String(), monotonic reading and all. */
	assert_int_equal(http_time_parse_ns(
	                     "2024-01-02 03:04:05.25 +0000 UTC m=+0.001", &ns),
	    AIS_OK);
	assert_int_equal(ns, base + 250000000);
	assert_int_equal(
	    http_time_parse_ns("2024-01-02 03:04:05 UTC", &ns), AIS_OK);
	assert_int_equal(ns, base);
	assert_int_equal(
	    http_time_parse_ns("1969-12-31T23:59:59Z", &ns), AIS_OK);
	assert_int_equal(ns, -1000000000LL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(http_time_parse_ns(bad[i], &ns), AIS_EINVAL);
	}
	assert_int_equal(http_time_parse_ns(NULL, &ns), AIS_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_uri_split),
		cmocka_unit_test(test_query_unescape),
		cmocka_unit_test(test_query_path_split),
		cmocka_unit_test(test_query_parse),
		cmocka_unit_test(test_query_bools),
		cmocka_unit_test(test_query_what),
		cmocka_unit_test(test_query_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
