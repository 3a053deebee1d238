/*
 * The aws-chunked decoder (http/s3/awschunked.h): signed and unsigned
 * bodies, trailers, every split of the input (one byte at a time, all
 * two-way splits, random splits), chunk-end callbacks with signatures, a
 * callback that stops, and malformed input (bad sizes, signatures, CRLFs,
 * overlong lines, data after the end, truncation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/s3/awschunked.h"

#define TEST_SIG_A                                                            \
	"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
#define TEST_SIG_B                                                            \
	"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
#define TEST_SIG_C                                                            \
	"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"

typedef struct test_out {
	char data[1 << 20];
	size_t len;
	char sigs[8][S3_ACH_SIG_LEN + 1];
	size_t nchunks;
	size_t nlast;
	size_t stop_after; /* data calls; 0 = never stop */
	size_t ncalls;
} test_out;

static bool
test_data(void *arg, const char *p, size_t len)
{
	test_out *o = arg;

	assert_true(len > 0);
	assert_true(o->len + len <= sizeof(o->data));
	memcpy(o->data + o->len, p, len);
	o->len += len;
	o->ncalls++;
	return o->stop_after == 0 || o->ncalls < o->stop_after;
}

static bool
test_chunk_end(void *arg, const char *sig, bool last)
{
	test_out *o = arg;

	if (o->nchunks < 8) {
		snprintf(o->sigs[o->nchunks], sizeof(o->sigs[0]), "%s", sig);
	}
	o->nchunks++;
	if (last) {
		o->nlast++;
	}
	return true;
}

static const s3_ach_cb test_cb = { test_data, test_chunk_end };

/* Decodes wire split at the given offsets (sorted, within the wire). */
static bool
test_decode_split(const char *wire, size_t len, const size_t *cuts,
    size_t ncuts, test_out *o, s3_ach *d)
{
	size_t prev = 0;

	s3_ach_init(d);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		if (!s3_ach_feed(d, wire + prev, end - prev, &test_cb, o)) {
			return false;
		}
		prev = end;
	}
	return s3_ach_complete(d);
}

static bool
test_decode(const char *wire, size_t len, test_out *o, s3_ach *d)
{
	return test_decode_split(wire, len, NULL, 0, o, d);
}

static test_out *
test_out_new(void)
{
	test_out *o = calloc(1, sizeof(*o));

	assert_non_null(o);
	return o;
}

static const char test_signed[]
    = "5;chunk-signature=" TEST_SIG_A "\r\nhello\r\n"
      "6;chunk-signature=" TEST_SIG_B "\r\n world\r\n"
      "0;chunk-signature=" TEST_SIG_C "\r\n\r\n";

static void
test_signed_whole(void **state)
{
	test_out *o = test_out_new();
	s3_ach d;

	(void) state;
	assert_true(test_decode(test_signed, strlen(test_signed), o, &d));
	assert_int_equal(o->len, 11);
	assert_memory_equal(o->data, "hello world", 11);
	assert_int_equal(d.total, 11);
	assert_int_equal(o->nchunks, 3);
	assert_int_equal(o->nlast, 1);
	assert_string_equal(o->sigs[0], TEST_SIG_A);
	assert_string_equal(o->sigs[1], TEST_SIG_B);
	assert_string_equal(o->sigs[2], TEST_SIG_C);
	free(o);
}

static const char test_trailer[] = "400\r\n"
                                   "%s\r\n" /* 1024 bytes go here */
                                   "3\r\nabc\r\n"
                                   "0\r\n"
                                   "x-amz-checksum-crc32:sOO8/Q==\r\n"
                                   "x-amz-trailer-signature:" TEST_SIG_A "\r\n"
                                   "\r\n";

static char *
test_trailer_wire(size_t *len, char *expect)
{
	char data[1025];
	char *wire = malloc(2048);

	assert_non_null(wire);
	for (size_t i = 0; i < 1024; i++) {
		data[i] = (char) ('a' + i % 26);
	}
	data[1024] = '\0';
	snprintf(wire, 2048, test_trailer, data);
	memcpy(expect, data, 1024);
	memcpy(expect + 1024, "abc", 3);
	*len = strlen(wire);
	return wire;
}

static void
test_unsigned_trailer(void **state)
{
	char expect[1027];
	size_t len;
	char *wire = test_trailer_wire(&len, expect);
	test_out *o = test_out_new();
	s3_ach d;

	(void) state;
	assert_true(test_decode(wire, len, o, &d));
	assert_int_equal(o->len, 1027);
	assert_memory_equal(o->data, expect, 1027);
	assert_int_equal(o->nchunks, 3);
	assert_string_equal(o->sigs[0], "");
	free(o);
	free(wire);
}

/* Every split point, one byte at a time, and random multi-splits. */
static void
test_splits(void **state)
{
	char expect[1027];
	size_t len;
	char *wire = test_trailer_wire(&len, expect);
	const char *wires[] = { test_signed, wire };
	size_t lens[] = { strlen(test_signed), len };
	const char *exp[] = { "hello world", expect };
	size_t elens[] = { 11, 1027 };
	test_out *o = test_out_new();
	s3_ach d;

	(void) state;
	srand(12345);
	for (size_t w = 0; w < 2; w++) {
		/* every two-way split */
		for (size_t cut = 0; cut <= lens[w]; cut++) {
			memset(o, 0, sizeof(*o));
			assert_true(test_decode_split(
			    wires[w], lens[w], &cut, 1, o, &d));
			assert_int_equal(o->len, elens[w]);
			assert_memory_equal(o->data, exp[w], elens[w]);
		}
		/* one byte at a time */
		memset(o, 0, sizeof(*o));
		s3_ach_init(&d);
		for (size_t i = 0; i < lens[w]; i++) {
			assert_true(
			    s3_ach_feed(&d, wires[w] + i, 1, &test_cb, o));
		}
		assert_true(s3_ach_complete(&d));
		assert_int_equal(o->len, elens[w]);
		assert_memory_equal(o->data, exp[w], elens[w]);
		/* random splits */
		for (int iter = 0; iter < 2000; iter++) {
			size_t cuts[16];
			size_t n = (size_t) (rand() % 16);

			for (size_t i = 0; i < n; i++) {
				cuts[i] = (size_t) rand() % (lens[w] + 1);
			}
			for (size_t i = 1; i < n; i++) { /* insertion sort */
				for (size_t j = i;
				     j > 0 && cuts[j - 1] > cuts[j]; j--) {
					size_t t = cuts[j];

					cuts[j] = cuts[j - 1];
					cuts[j - 1] = t;
				}
			}
			memset(o, 0, sizeof(*o));
			assert_true(test_decode_split(
			    wires[w], lens[w], cuts, n, o, &d));
			assert_int_equal(o->len, elens[w]);
			assert_memory_equal(o->data, exp[w], elens[w]);
		}
	}
	free(o);
	free(wire);
}

/* A big random body in random chunk sizes, decoded in random pieces. */
static void
test_random_body(void **state)
{
	size_t total = 300000;
	char *data = malloc(total);
	char *wire = malloc(total + 100000);
	test_out *o = test_out_new();
	size_t wl = 0;
	size_t off = 0;
	s3_ach d;

	(void) state;
	assert_non_null(data);
	assert_non_null(wire);
	srand(777);
	for (size_t i = 0; i < total; i++) {
		data[i] = (char) rand();
	}
	while (off < total) {
		size_t n = 1 + (size_t) rand() % 70000;

		if (n > total - off) {
			n = total - off;
		}
		wl += (size_t) sprintf(wire + wl, "%zx%s\r\n", n,
		    rand() % 2 ? ";chunk-signature=" TEST_SIG_B : "");
		memcpy(wire + wl, data + off, n);
		wl += n;
		memcpy(wire + wl, "\r\n", 2);
		wl += 2;
		off += n;
	}
	wl += (size_t) sprintf(wire + wl, "0\r\n\r\n");
	s3_ach_init(&d);
	off = 0;
	while (off < wl) {
		size_t n = 1 + (size_t) rand() % 40000;

		if (n > wl - off) {
			n = wl - off;
		}
		assert_true(s3_ach_feed(&d, wire + off, n, &test_cb, o));
		off += n;
	}
	assert_true(s3_ach_complete(&d));
	assert_int_equal(d.total, total);
	assert_int_equal(o->len, total);
	assert_memory_equal(o->data, data, total);
	free(o);
	free(wire);
	free(data);
}

static void
test_no_final_crlf(void **state)
{
	const char *w = "3\r\nabc\r\n0\r\n";
	test_out *o = test_out_new();
	s3_ach d;

	(void) state;
	assert_true(test_decode(w, strlen(w), o, &d));
	assert_int_equal(o->len, 3);
	free(o);
}

static void
test_incomplete(void **state)
{
	const char *cases[] = {
		"",
		"3\r\nab",
		"3\r\nabc\r\n",
		"3\r\nabc\r\n0",
		"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAA",
	};
	test_out *o = test_out_new();
	s3_ach d;

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(o, 0, sizeof(*o));
		s3_ach_init(&d);
		assert_true(
		    s3_ach_feed(&d, cases[i], strlen(cases[i]), &test_cb, o));
		assert_false(s3_ach_complete(&d));
	}
	free(o);
}

static void
test_malformed(void **state)
{
	const char *cases[] = {
		"x\r\nabc\r\n0\r\n\r\n",  /* not hex */
		"\r\nabc\r\n0\r\n\r\n",   /* no size */
		"3\nabc\r\n0\r\n\r\n",    /* bare LF */
		"3\r\nabcd\r\n0\r\n\r\n", /* data too long */
		"3\r\nabc\n0\r\n\r\n",    /* no CR after data */
		"3\r\nabc\rx0\r\n\r\n",   /* no LF after data */
		"3;chunk-signature=abc\r\nabc\r\n0\r\n\r\n", /* short sig */
		"3 x\r\nabc\r\n0\r\n\r\n",         /* junk after the size */
		"11111111111111111\r\n",           /* 17 digits */
		"ffffffffffffffff\r\n",            /* over 50,000 GiB */
		"3\r\nabc\r\n0\r\n\r\nextra",      /* after the end */
		"3\r\nabc\r\n0\r\nx:y\rz\r\n\r\n", /* bare CR */
	};
	test_out *o = test_out_new();
	s3_ach d;

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(o, 0, sizeof(*o));
		s3_ach_init(&d);
		assert_false(
		    s3_ach_feed(&d, cases[i], strlen(cases[i]), &test_cb, o));
		assert_int_equal(d.state, S3_ACH_ERR);
		assert_non_null(d.err);
		assert_false(s3_ach_complete(&d));
		/* and it stays refused */
		assert_false(s3_ach_feed(&d, "0\r\n\r\n", 5, &test_cb, o));
	}
	free(o);
}

static void
test_long_line(void **state)
{
	char line[S3_ACH_LINE_MAX + 16];
	test_out *o = test_out_new();
	s3_ach d;

	(void) state;
	memset(line, ';', sizeof(line));
	line[0] = '1';
	s3_ach_init(&d);
	assert_false(s3_ach_feed(&d, line, sizeof(line), &test_cb, o));
	assert_int_equal(d.state, S3_ACH_ERR);
	free(o);
}

static void
test_stop(void **state)
{
	const char *w = "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n";
	test_out *o = test_out_new();
	s3_ach d;

	(void) state;
	o->stop_after = 2;
	s3_ach_init(&d);
	assert_false(s3_ach_feed(&d, w, strlen(w), &test_cb, o));
	assert_true(d.stopped);
	assert_int_equal(o->len, 2);
	assert_false(s3_ach_complete(&d));
	free(o);
}

static void
test_empty_body(void **state)
{
	const char *w = "0;chunk-signature=" TEST_SIG_C "\r\n\r\n";
	test_out *o = test_out_new();
	s3_ach d;

	(void) state;
	assert_true(test_decode(w, strlen(w), o, &d));
	assert_int_equal(o->len, 0);
	assert_int_equal(o->nchunks, 1);
	assert_int_equal(o->nlast, 1);
	assert_string_equal(o->sigs[0], TEST_SIG_C);
	free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_whole),
		cmocka_unit_test(test_unsigned_trailer),
		cmocka_unit_test(test_splits),
		cmocka_unit_test(test_random_body),
		cmocka_unit_test(test_no_final_crlf),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_empty_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
