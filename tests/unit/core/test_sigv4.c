/*
 * Unit tests for core/sigv4: the S3 examples of the AWS Signature Version 4
 * documentation (GET object with Range, PUT object, GET bucket lifecycle,
 * list objects, a presigned URL, a chunked upload with its seed and chunk
 * signatures) reproduced exactly, then the canonical query and URI
 * encodings, header value trimming, dates, and every way a verification
 * can fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/jsonx.h"
#include "core/sigv4.h"

#define ARRLEN(a) (sizeof(a) / sizeof((a)[0]))

#define AKID   "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define SCOPE  "20130524/us-east-1/s3/aws4_request"
#define CRED   "Credential=" AKID "/" SCOPE
#define T0     1369353600 /* 20130524T000000Z */

typedef struct test_hdr {
	const char *name;
	const char *value;
} test_hdr;

/* A request: headers as a NULL-terminated table (names in any case,
 * repeated names are repeated headers), secrets for AKID and a second
 * user. */
typedef struct test_ctx {
	const test_hdr *hdrs;
	const char *secret; /* of AKID */
} test_ctx;

static size_t
test_each(void *arg, const char *lname,
    void (*fn)(void *fnarg, const char *value), void *fnarg)
{
	test_ctx *t = arg;
	size_t n = 0;

	for (const test_hdr *h = t->hdrs; h->name != NULL; h++) {
		if (strcasecmp(h->name, lname) == 0) {
			fn(fnarg, h->value);
			n++;
		}
	}
	return n;
}

static const char *
test_secret(void *arg, const char *access_key)
{
	test_ctx *t = arg;

	if (strcmp(access_key, AKID) == 0) {
		return t->secret;
	}
	if (strcmp(access_key, "USER2") == 0) {
		return "secret2";
	}
	return NULL;
}

static ais_sigv4_res
test_verify(const char *method, const char *path, const char *query,
    const test_hdr *hdrs, int64_t now, ais_sigv4_out *out)
{
	test_ctx t = { hdrs, SECRET };
	ais_sigv4_req req = {
		.method = method,
		.path_raw = path,
		.query_raw = query,
		.each = test_each,
		.secret = test_secret,
		.arg = &t,
		.now = now,
	};

	return ais_sigv4_verify(&req, out);
}

/* The AWS examples ------------------------------------------------------- */

static const char get_obj_creq[]
    = "GET\n"
      "/test.txt\n"
      "\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "range:bytes=0-9\n"
      "x-amz-content-sha256:" AIS_SIGV4_EMPTY_SHA256 "\n"
      "x-amz-date:20130524T000000Z\n"
      "\n"
      "host;range;x-amz-content-sha256;x-amz-date\n" AIS_SIGV4_EMPTY_SHA256;

static const test_hdr get_obj_hdrs[] = {
	{ "Host", "examplebucket.s3.amazonaws.com" },
	{ "Range", "bytes=0-9 " },
	{ "x-amz-content-sha256", AIS_SIGV4_EMPTY_SHA256 },
	{ "X-Amz-Date", "20130524T000000Z" },
	{ "Authorization",
	    "AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host;range;"
	    "x-amz-content-sha256;x-amz-date,Signature="
	    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb4"
	    "1" },
	{ NULL, NULL },
};

static void
test_get_object_steps(void **state)
{
	test_ctx t = { get_obj_hdrs, SECRET };
	uint8_t key[32];
	char *uri, *query, *creq, *sts, sig[AIS_SIGV4_HEX];

	(void) state;
	uri = ais_sigv4_canon_uri("/test.txt");
	query = ais_sigv4_canon_query("", false);
	creq = ais_sigv4_canon_request("GET", uri, query,
	    "host;range;x-amz-content-sha256;x-amz-date", test_each, &t,
	    AIS_SIGV4_EMPTY_SHA256);
	assert_string_equal(creq, get_obj_creq);
	sts = ais_sigv4_string_to_sign("20130524T000000Z", SCOPE, creq);
	assert_string_equal(sts,
	    "AWS4-HMAC-SHA256\n20130524T000000Z\n" SCOPE "\n"
	    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc4396494697"
	    "2");
	ais_sigv4_signing_key(SECRET, "20130524", "us-east-1", "s3", key);
	ais_sigv4_sign(key, sts, strlen(sts), sig);
	assert_string_equal(sig,
	    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb4"
	    "1");
	free(uri);
	free(query);
	free(creq);
	free(sts);
}

static void
test_get_object(void **state)
{
	ais_sigv4_out out;

	(void) state;
	assert_int_equal(
	    test_verify("GET", "/test.txt", "", get_obj_hdrs, T0 + 60, &out),
	    AIS_SIGV4_OK);
	assert_string_equal(out.access_key, AKID);
	assert_string_equal(out.amz_date, "20130524T000000Z");
	assert_string_equal(out.scope, SCOPE);
	assert_string_equal(out.payload, AIS_SIGV4_EMPTY_SHA256);
	assert_false(out.presigned);
	/* Any other method, path or query breaks it. */
	assert_int_equal(
	    test_verify("HEAD", "/test.txt", "", get_obj_hdrs, T0, &out),
	    AIS_SIGV4_MISMATCH);
	assert_int_equal(
	    test_verify("GET", "/test.txT", "", get_obj_hdrs, T0, &out),
	    AIS_SIGV4_MISMATCH);
	assert_int_equal(
	    test_verify("GET", "/test.txt", "a=1", get_obj_hdrs, T0, &out),
	    AIS_SIGV4_MISMATCH);
}

static void
test_put_object(void **state)
{
	static const test_hdr hdrs[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "Date", "Fri, 24 May 2013 00:00:00 GMT" },
		{ "x-amz-date", "20130524T000000Z" },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
		{ "x-amz-content-sha256",
		    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b8"
		    "03f8b072" },
		{ "Authorization",
		    "AWS4-HMAC-SHA256 " CRED ",SignedHeaders=date;host;"
		    "x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
		    "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a"
		    "1b5971af0ece108bd" },
		{ NULL, NULL },
	};
	static const char body[] = "Welcome to Amazon S3.";
	char h[AIS_SIGV4_HEX];
	ais_sigv4_out out;

	(void) state;
	ais_sigv4_sha256_hex(body, strlen(body), h);
	assert_string_equal(h,
	    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b07"
	    "2");
	assert_int_equal(
	    test_verify("PUT", "/test%24file.text", NULL, hdrs, T0, &out),
	    AIS_SIGV4_OK);
	/* '$' sent unescaped: same canonical URI. */
	assert_int_equal(
	    test_verify("PUT", "/test$file.text", NULL, hdrs, T0, &out),
	    AIS_SIGV4_OK);
	/* Lower-case escapes normalize too. */
	assert_int_equal(
	    test_verify("PUT", "/test%24file%2etext", NULL, hdrs, T0, &out),
	    AIS_SIGV4_OK);
}

static void
test_get_lifecycle(void **state)
{
	static const test_hdr hdrs[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "x-amz-date", "20130524T000000Z" },
		{ "x-amz-content-sha256", AIS_SIGV4_EMPTY_SHA256 },
		{ "Authorization",
		    "AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host;"
		    "x-amz-content-sha256;x-amz-date, Signature="
		    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a013"
		    "6783543" },
		{ NULL, NULL },
	};
	ais_sigv4_out out;

	(void) state;
	assert_int_equal(test_verify("GET", "/", "lifecycle", hdrs, T0, &out),
	    AIS_SIGV4_OK);
	assert_int_equal(test_verify("GET", "/", "lifecycle=", hdrs, T0, &out),
	    AIS_SIGV4_OK);
	assert_int_equal(
	    test_verify("GET", "", "lifecycle", hdrs, T0, &out), AIS_SIGV4_OK);
}

static void
test_list_objects(void **state)
{
	static const test_hdr hdrs[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "x-amz-date", "20130524T000000Z" },
		{ "x-amz-content-sha256", AIS_SIGV4_EMPTY_SHA256 },
		{ "Authorization",
		    "AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host;"
		    "x-amz-content-sha256;x-amz-date,Signature="
		    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef"
		    "69dc6f7" },
		{ NULL, NULL },
	};
	ais_sigv4_out out;

	(void) state;
	assert_int_equal(
	    test_verify("GET", "/", "max-keys=2&prefix=J", hdrs, T0, &out),
	    AIS_SIGV4_OK);
	/* Order of parameters as sent does not matter. */
	assert_int_equal(
	    test_verify("GET", "/", "prefix=J&max-keys=2", hdrs, T0, &out),
	    AIS_SIGV4_OK);
	assert_int_equal(
	    test_verify("GET", "/", "prefix=K&max-keys=2", hdrs, T0, &out),
	    AIS_SIGV4_MISMATCH);
}

#define PRESIGNED_Q                                                           \
	"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" AKID             \
	"%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="             \
	"20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
#define PRESIGNED_SIG                                                         \
	"aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"

static const test_hdr presigned_hdrs[] = {
	{ "Host", "examplebucket.s3.amazonaws.com" },
	{ NULL, NULL },
};

static void
test_presigned(void **state)
{
	const char *q = PRESIGNED_Q "&X-Amz-Signature=" PRESIGNED_SIG;
	char *cq;
	ais_sigv4_out out;

	(void) state;
	cq = ais_sigv4_canon_query(q, true);
	assert_string_equal(cq, PRESIGNED_Q);
	free(cq);
	assert_int_equal(test_verify("GET", "/test.txt", q, presigned_hdrs,
	                     T0 + 3600, &out),
	    AIS_SIGV4_OK);
	assert_true(out.presigned);
	assert_string_equal(out.payload, AIS_SIGV4_UNSIGNED);
	assert_string_equal(out.access_key, AKID);
	/* Signature first: order does not matter. */
	assert_int_equal(test_verify("GET", "/test.txt",
	                     "X-Amz-Signature=" PRESIGNED_SIG "&" PRESIGNED_Q,
	                     presigned_hdrs, T0, &out),
	    AIS_SIGV4_OK);
	/* The last valid second, then expired. */
	assert_int_equal(test_verify("GET", "/test.txt", q, presigned_hdrs,
	                     T0 + 86400, &out),
	    AIS_SIGV4_OK);
	assert_int_equal(test_verify("GET", "/test.txt", q, presigned_hdrs,
	                     T0 + 86401, &out),
	    AIS_SIGV4_EXPIRED);
	assert_string_equal(out.msg, "Request has expired");
	/* Dated well in the future. */
	assert_int_equal(test_verify("GET", "/test.txt", q, presigned_hdrs,
	                     T0 - 3600, &out),
	    AIS_SIGV4_NOT_YET);
	/* Another object, another signature. */
	assert_int_equal(
	    test_verify("GET", "/test2.txt", q, presigned_hdrs, T0, &out),
	    AIS_SIGV4_MISMATCH);
	/* An extra parameter is part of what was signed. */
	assert_int_equal(
	    test_verify("GET", "/test.txt",
	        PRESIGNED_Q "&X-Amz-Signature=" PRESIGNED_SIG "&versionId=1",
	        presigned_hdrs, T0, &out),
	    AIS_SIGV4_MISMATCH);
}

static void
test_presigned_malformed(void **state)
{
	static const char *const bad[] = {
		/* missing X-Amz-Expires */
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" AKID "%2F"
		"20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="
		"20130524T000000Z&X-Amz-SignedHeaders=host&X-Amz-"
		"Signature=" PRESIGNED_SIG,
		PRESIGNED_Q "&X-Amz-Signature=abc",
		/* expires out of range */
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" AKID "%2F"
		"20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="
		"20130524T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders="
		"host&X-Amz-Signature=" PRESIGNED_SIG,
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" AKID "%2F"
		"20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="
		"20130524T000000Z&X-Amz-Expires=0&X-Amz-SignedHeaders="
		"host&X-Amz-Signature=" PRESIGNED_SIG,
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" AKID "%2F"
		"20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="
		"20130524T000000Z&X-Amz-Expires=1x&X-Amz-SignedHeaders="
		"host&X-Amz-Signature=" PRESIGNED_SIG,
		/* bad date */
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" AKID "%2F"
		"20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="
		"20130524T000000&X-Amz-Expires=10&X-Amz-SignedHeaders="
		"host&X-Amz-Signature=" PRESIGNED_SIG,
		/* credential date differs from X-Amz-Date */
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" AKID "%2F"
		"20130525%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="
		"20130524T000000Z&X-Amz-Expires=10&X-Amz-SignedHeaders="
		"host&X-Amz-Signature=" PRESIGNED_SIG,
		/* not s3 */
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" AKID "%2F"
		"20130524%2Fus-east-1%2Fec2%2Faws4_request&X-Amz-Date="
		"20130524T000000Z&X-Amz-Expires=10&X-Amz-SignedHeaders="
		"host&X-Amz-Signature=" PRESIGNED_SIG,
	};
	ais_sigv4_out out;

	(void) state;
	for (size_t i = 0; i < ARRLEN(bad); i++) {
		ais_sigv4_res res = test_verify(
		    "GET", "/test.txt", bad[i], presigned_hdrs, T0, &out);
		if (res != AIS_SIGV4_QMALFORMED) {
			print_error("case %zu: %s (%s)\n", i,
			    ais_sigv4_res_name(res), out.msg);
		}
		assert_int_equal(res, AIS_SIGV4_QMALFORMED);
		assert_true(out.msg[0] != '\0');
	}
	/* Another algorithm or SigV2 query auth. */
	assert_int_equal(
	    test_verify("GET", "/test.txt",
	        "X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Signature=1",
	        presigned_hdrs, T0, &out),
	    AIS_SIGV4_UNSUPPORTED);
	assert_int_equal(test_verify("GET", "/test.txt",
	                     "AWSAccessKeyId=" AKID "&Expires=1&Signature=x",
	                     presigned_hdrs, T0, &out),
	    AIS_SIGV4_UNSUPPORTED);
}

static void
test_chunked(void **state)
{
	static const test_hdr hdrs[] = {
		{ "Host", "s3.amazonaws.com" },
		{ "x-amz-date", "20130524T000000Z" },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
		{ "x-amz-content-sha256", AIS_SIGV4_STREAMING },
		{ "Content-Encoding", "aws-chunked" },
		{ "x-amz-decoded-content-length", "66560" },
		{ "Content-Length", "66824" },
		{ "Authorization",
		    "AWS4-HMAC-SHA256 " CRED ",SignedHeaders=content-encoding;"
		    "content-length;host;x-amz-content-sha256;x-amz-date;"
		    "x-amz-decoded-content-length;x-amz-storage-class,"
		    "Signature=4f232c4386841ef735655705268965c44a0e4690baa4ade"
		    "a153f7db9fa80a0a9" },
		{ NULL, NULL },
	};
	static const char *const want[] = {
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a"
		"288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503"
		"ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d"
		"449df9",
	};
	static const size_t sizes[] = { 65536, 1024, 0 };
	char *data = malloc(65536), prev[AIS_SIGV4_HEX], sig[AIS_SIGV4_HEX];
	ais_sigv4_out out;

	(void) state;
	assert_non_null(data);
	memset(data, 'a', 65536);
	assert_int_equal(test_verify("PUT", "/examplebucket/chunkObject.txt",
	                     NULL, hdrs, T0, &out),
	    AIS_SIGV4_OK);
	assert_string_equal(out.payload, AIS_SIGV4_STREAMING);
	assert_string_equal(out.signature,
	    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a"
	    "9");
	snprintf(prev, sizeof(prev), "%s", out.signature);
	for (size_t i = 0; i < ARRLEN(sizes); i++) {
		ais_sigv4_chunk_sign(out.key, out.amz_date, out.scope, prev,
		    sizes[i] ? data : NULL, sizes[i], sig);
		assert_string_equal(sig, want[i]);
		snprintf(prev, sizeof(prev), "%s", sig);
	}
	/* One byte off, another signature. */
	data[0] = 'b';
	ais_sigv4_chunk_sign(
	    out.key, out.amz_date, out.scope, out.signature, data, 65536, sig);
	assert_false(ais_sigv4_sig_equal(sig, want[0]));
	free(data);
}

/* Encodings -------------------------------------------------------------- */

static void
test_canon_query(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "", "" },
		{ "a=1", "a=1" },
		{ "b=2&a=1&a=0", "a=0&a=1&b=2" },
		{ "a=2&a=10", "a=10&a=2" },
		{ "q=a+b", "q=a%20b" },
		{ "q=a%20b", "q=a%20b" },
		{ "q=a b", "q=a%20b" },
		{ "k=/path/x", "k=%2Fpath%2Fx" },
		{ "k=%2fx", "k=%2Fx" },
		{ "k=%7e%7E~", "k=~~~" },
		{ "k=-._~AZaz09", "k=-._~AZaz09" },
		{ "k=!*'()", "k=%21%2A%27%28%29" },
		{ "k=%C3%A9", "k=%C3%A9" },
		{ "k=%zz", "k=%25zz" },
		{ "k=%4", "k=%254" },
		{ "k", "k=" },
		{ "uploads&prefix=", "prefix=&uploads=" },
		{ "&&a=1&", "a=1" },
		{ "a=b=c", "a=b%3Dc" },
		{ "a%20b=1&a-b=2", "a%20b=1&a-b=2" },
		{ "a-b=2&a%20b=1", "a%20b=1&a-b=2" },
		{ "Z=1&a=1", "Z=1&a=1" },
		{ "list-type=2&prefix=dir%2F&delimiter=%2F",
		    "delimiter=%2F&list-type=2&prefix=dir%2F" },
	};

	(void) state;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		char *got = ais_sigv4_canon_query(cases[i].in, false);
		assert_non_null(got);
		if (strcmp(got, cases[i].out) != 0) {
			print_error(
			    "canon_query(\"%s\") = \"%s\", want \"%s\"\n",
			    cases[i].in, got, cases[i].out);
		}
		assert_string_equal(got, cases[i].out);
		free(got);
	}
	/* X-Amz-Signature is only dropped for presigned requests. */
	{
		char *a = ais_sigv4_canon_query("X-Amz-Signature=x&b=1", true);
		char *b
		    = ais_sigv4_canon_query("X-Amz-Signature=x&b=1", false);
		assert_string_equal(a, "b=1");
		assert_string_equal(b, "X-Amz-Signature=x&b=1");
		free(a);
		free(b);
	}
	{
		char *e = ais_sigv4_canon_query(NULL, false);
		assert_non_null(e);
		assert_string_equal(e, "");
		free(e);
	}
}

static void
test_canon_uri(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "", "/" },
		{ "/", "/" },
		{ "/s3/bucket/key", "/s3/bucket/key" },
		{ "/s3/b/a%20b", "/s3/b/a%20b" },
		{ "/s3/b/a+b", "/s3/b/a%2Bb" },
		{ "/s3/b/a%2Bb", "/s3/b/a%2Bb" },
		{ "/s3/b/%7efoo", "/s3/b/~foo" },
		{ "/s3/b/x$y", "/s3/b/x%24y" },
		{ "/s3/b/a%2Fb", "/s3/b/a/b" },
		{ "/s3/b//double//", "/s3/b//double//" },
		{ "/s3/b/./x/../y", "/s3/b/./x/../y" },
		{ "/s3/b/%C3%A9t%C3%A9", "/s3/b/%C3%A9t%C3%A9" },
		{ "/s3/b/\xc3\xa9", "/s3/b/%C3%A9" },
		{ "/s3/b/100%", "/s3/b/100%25" },
	};

	(void) state;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		char *got = ais_sigv4_canon_uri(cases[i].in);
		assert_non_null(got);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

static void
test_uri_encode(void **state)
{
	char buf[8];

	(void) state;
	assert_int_equal(
	    ais_sigv4_uri_encode("a/b c", 5, true, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "a/b%20c");
	assert_int_equal(
	    ais_sigv4_uri_encode("a/b c", 5, false, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "a%2Fb%2"); /* truncated, terminated */
	assert_int_equal(
	    ais_sigv4_uri_encode("", 0, false, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void
test_canon_value(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "", "" },
		{ "   ", "" },
		{ "a", "a" },
		{ "  a   b  c ", "a b c" },
		{ "\ta\t\tb\t", "a b" },
		{ "bytes=0-9 ", "bytes=0-9" },
		{ "\"a  b\"", "\"a b\"" },
		{ "x\r\n", "x" },
	};
	char buf[64];

	(void) state;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		size_t n
		    = ais_sigv4_canon_value(cases[i].in, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
	}
}

static void
test_canon_headers_multi(void **state)
{
	static const test_hdr hdrs[] = {
		{ "X-Multi", " one " },
		{ "Host", "h" },
		{ "x-multi", "two   three" },
		{ NULL, NULL },
	};
	test_ctx t = { hdrs, SECRET };
	char *creq;

	(void) state;
	creq = ais_sigv4_canon_request("GET", "/", "",
	    "host;x-missing;x-multi", test_each, &t, AIS_SIGV4_UNSIGNED);
	assert_string_equal(creq,
	    "GET\n/\n\nhost:h\nx-missing:\nx-multi:one,two three\n\n"
	    "host;x-missing;x-multi\nUNSIGNED-PAYLOAD");
	free(creq);
}

static void
test_parse_date(void **state)
{
	int64_t t = 0;

	(void) state;
	assert_true(ais_sigv4_parse_date("20130524T000000Z", &t));
	assert_int_equal(t, T0);
	assert_true(ais_sigv4_parse_date("19700101T000000Z", &t));
	assert_int_equal(t, 0);
	assert_true(ais_sigv4_parse_date("20240229T235959Z", &t));
	assert_false(ais_sigv4_parse_date("20230229T000000Z", &t));
	assert_false(ais_sigv4_parse_date("20130524T000000", &t));
	assert_false(ais_sigv4_parse_date("20130524 000000Z", &t));
	assert_false(ais_sigv4_parse_date("2013052XT000000Z", &t));
	assert_false(ais_sigv4_parse_date("20131324T000000Z", &t));
	assert_false(ais_sigv4_parse_date("20130524T250000Z", &t));
	assert_false(ais_sigv4_parse_date("", &t));
	assert_false(ais_sigv4_parse_date(NULL, &t));
}

static void
test_parse_header(void **state)
{
	ais_sigv4_cred c;
	char msg[256];

	(void) state;
	/* Fields in any order, with or without spaces. */
	assert_int_equal(
	    ais_sigv4_parse_header("AWS4-HMAC-SHA256 Signature=" PRESIGNED_SIG
	                           " , SignedHeaders=host ,  " CRED,
	        &c, msg, sizeof(msg)),
	    AIS_SIGV4_OK);
	assert_string_equal(c.access_key, AKID);
	assert_string_equal(c.date, "20130524");
	assert_string_equal(c.region, "us-east-1");
	assert_string_equal(c.scope, SCOPE);
	assert_string_equal(c.signed_headers, "host");
	assert_string_equal(c.signature, PRESIGNED_SIG);
	/* Upper-case hex is accepted (and compared lower-cased). */
	assert_int_equal(
	    ais_sigv4_parse_header("AWS4-HMAC-SHA256 " CRED
	                           ",SignedHeaders=host,Signature="
	                           "AEEED9BBCCD4D02EE5C0109B86D868"
	                           "35F995330DA4C265957D157751F604"
	                           "D404",
	        &c, msg, sizeof(msg)),
	    AIS_SIGV4_OK);
	assert_string_equal(c.signature, PRESIGNED_SIG);

	static const char *const malformed[] = {
		"",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host",
		"AWS4-HMAC-SHA256 " CRED ",Signature=" PRESIGNED_SIG,
		"AWS4-HMAC-SHA256 SignedHeaders=host,Signature=" PRESIGNED_SIG,
		"AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host,Signature=abc",
		"AWS4-HMAC-SHA256 " CRED
		",SignedHeaders=,Signature=" PRESIGNED_SIG,
		"AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host,Signature",
		"AWS4-HMAC-SHA256 Credential=" AKID "/2013052/us-east-1/s3/"
		"aws4_request,SignedHeaders=host,Signature=" PRESIGNED_SIG,
		"AWS4-HMAC-SHA256 Credential=" AKID "/20130524/us-east-1/s3/"
		"aws4,SignedHeaders=host,Signature=" PRESIGNED_SIG,
		"AWS4-HMAC-SHA256 Credential=" AKID "/20130524/us-east-1/iam/"
		"aws4_request,SignedHeaders=host,Signature=" PRESIGNED_SIG,
		"AWS4-HMAC-SHA256 Credential=20130524/us-east-1/s3/"
		"aws4_request,SignedHeaders=host,Signature=" PRESIGNED_SIG,
		"AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/"
		"aws4_request,SignedHeaders=host,Signature=" PRESIGNED_SIG,
		"AWS4-HMAC-SHA256 Credential=" AKID "/20130524//s3/"
		"aws4_request,SignedHeaders=host,Signature=" PRESIGNED_SIG,
	};
	for (size_t i = 0; i < ARRLEN(malformed); i++) {
		msg[0] = '\0';
		ais_sigv4_res res = ais_sigv4_parse_header(
		    malformed[i], &c, msg, sizeof(msg));
		if (res != AIS_SIGV4_MALFORMED) {
			print_error(
			    "case %zu: %s\n", i, ais_sigv4_res_name(res));
		}
		assert_int_equal(res, AIS_SIGV4_MALFORMED);
		assert_true(msg[0] != '\0');
	}
	assert_int_equal(
	    ais_sigv4_parse_header("AWS " AKID ":abc=", &c, msg, sizeof(msg)),
	    AIS_SIGV4_UNSUPPORTED);
	assert_int_equal(
	    ais_sigv4_parse_header("Bearer xyz", &c, msg, sizeof(msg)),
	    AIS_SIGV4_UNSUPPORTED);
	assert_int_equal(ais_sigv4_parse_header(
	                     "AWS4-HMAC-SHA256X " CRED, &c, msg, sizeof(msg)),
	    AIS_SIGV4_UNSUPPORTED);
}

/* Failures of a whole verification --------------------------------------- */

static void
test_verify_failures(void **state)
{
	test_hdr hdrs[ARRLEN(get_obj_hdrs)];
	test_ctx t = { get_obj_hdrs, "wrong-secret" };
	ais_sigv4_req req = {
		.method = "GET",
		.path_raw = "/test.txt",
		.query_raw = "",
		.each = test_each,
		.secret = test_secret,
		.arg = &t,
		.now = T0,
	};
	ais_sigv4_out out;

	(void) state;
	/* Wrong secret */
	assert_int_equal(ais_sigv4_verify(&req, &out), AIS_SIGV4_MISMATCH);
	assert_string_equal(out.access_key, AKID);

	/* Skew: 15 minutes either way pass, a second more does not. */
	assert_int_equal(
	    test_verify("GET", "/test.txt", "", get_obj_hdrs, T0 + 900, &out),
	    AIS_SIGV4_OK);
	assert_int_equal(
	    test_verify("GET", "/test.txt", "", get_obj_hdrs, T0 - 900, &out),
	    AIS_SIGV4_OK);
	assert_int_equal(
	    test_verify("GET", "/test.txt", "", get_obj_hdrs, T0 + 901, &out),
	    AIS_SIGV4_SKEWED);
	assert_int_equal(
	    test_verify("GET", "/test.txt", "", get_obj_hdrs, T0 - 901, &out),
	    AIS_SIGV4_SKEWED);

	/* Nothing at all: anonymous. */
	assert_int_equal(
	    test_verify("GET", "/test.txt", "a=1", presigned_hdrs, T0, &out),
	    AIS_SIGV4_NONE);

	/* Header and query signature both. */
	assert_int_equal(test_verify("GET", "/test.txt",
	                     PRESIGNED_Q "&X-Amz-Signature=" PRESIGNED_SIG,
	                     get_obj_hdrs, T0, &out),
	    AIS_SIGV4_AMBIGUOUS);

	/* Unknown access key, and a known second user with a bad
	 * signature. */
	memcpy(hdrs, get_obj_hdrs, sizeof(hdrs));
	hdrs[4].value = "AWS4-HMAC-SHA256 Credential=NOSUCHKEY/" SCOPE
	                ",SignedHeaders=host,Signature=" PRESIGNED_SIG;
	assert_int_equal(test_verify("GET", "/test.txt", "", hdrs, T0, &out),
	    AIS_SIGV4_UNKNOWN_KEY);
	assert_string_equal(out.access_key, "NOSUCHKEY");
	hdrs[4].value = "AWS4-HMAC-SHA256 Credential=USER2/" SCOPE
	                ",SignedHeaders=host,Signature=" PRESIGNED_SIG;
	assert_int_equal(test_verify("GET", "/test.txt", "", hdrs, T0, &out),
	    AIS_SIGV4_MISMATCH);

	/* Credential date differs from x-amz-date. */
	hdrs[4].value = "AWS4-HMAC-SHA256 Credential=" AKID
	                "/20130523/us-east-1/s3/aws4_request,SignedHeaders="
	                "host,Signature=" PRESIGNED_SIG;
	assert_int_equal(test_verify("GET", "/test.txt", "", hdrs, T0, &out),
	    AIS_SIGV4_MALFORMED);

	/* No or bad x-amz-date. */
	memcpy(hdrs, get_obj_hdrs, sizeof(hdrs));
	hdrs[3].name = "x-not-date";
	assert_int_equal(test_verify("GET", "/test.txt", "", hdrs, T0, &out),
	    AIS_SIGV4_NO_DATE);
	hdrs[3].name = "x-amz-date";
	hdrs[3].value = "Fri, 24 May 2013 00:00:00 GMT";
	assert_int_equal(test_verify("GET", "/test.txt", "", hdrs, T0, &out),
	    AIS_SIGV4_NO_DATE);

	/* A signed header changed in flight. */
	memcpy(hdrs, get_obj_hdrs, sizeof(hdrs));
	hdrs[1].value = "bytes=0-10";
	assert_int_equal(test_verify("GET", "/test.txt", "", hdrs, T0, &out),
	    AIS_SIGV4_MISMATCH);
	/* ... but spacing differences are canonicalized away. */
	hdrs[1].value = "   bytes=0-9";
	assert_int_equal(
	    test_verify("GET", "/test.txt", "", hdrs, T0, &out), AIS_SIGV4_OK);
	/* A different declared payload hash. */
	memcpy(hdrs, get_obj_hdrs, sizeof(hdrs));
	hdrs[2].value = AIS_SIGV4_UNSIGNED;
	assert_int_equal(test_verify("GET", "/test.txt", "", hdrs, T0, &out),
	    AIS_SIGV4_MISMATCH);

	/* Names of results. */
	assert_string_equal(
	    ais_sigv4_res_name(AIS_SIGV4_MISMATCH), "MISMATCH");
	assert_string_equal(ais_sigv4_res_name((ais_sigv4_res) 999), "?");
}

static void
test_sig_equal(void **state)
{
	(void) state;
	assert_true(ais_sigv4_sig_equal(PRESIGNED_SIG, PRESIGNED_SIG));
	assert_false(ais_sigv4_sig_equal(PRESIGNED_SIG, PRESIGNED_SIG "0"));
	assert_false(ais_sigv4_sig_equal("", ""));
	assert_false(ais_sigv4_sig_equal("ab", "ac"));
}

/* The "s3" section of the cluster config (core/config.c) that feeds the
 * verification: defaults, accepted and refused key maps. */
static ais_err
test_s3_config(
    const char *overlay, char *err, size_t errlen, ais_cconfig **out)
{
	json_error_t jerr;
	json_t *j = json_loads(overlay, 0, &jerr);
	ais_err e;

	assert_non_null(j);
	err[0] = '\0';
	e = ais_cconfig_from_json(j, out, err, errlen);
	json_decref(j);
	return e;
}

static void
test_config_s3(void **state)
{
	static const char *const bad[] = {
		"{\"s3\": {\"keys\": {\"AK\": \"\"}}}",
		"{\"s3\": {\"keys\": {\"AK\": 5}}}",
		"{\"s3\": {\"keys\": {\"\": \"TOPSECRET\"}}}",
		"{\"s3\": {\"keys\": {\"A/K\": \"TOPSECRET\"}}}",
		"{\"s3\": {\"keys\": {\"AK\": \"TOPSECRET\", \"B\": 1}}}",
		"{\"s3\": {\"keys\": [\"AK\"]}}",
		"{\"s3\": {\"keys\": \"AK:secret\"}}",
		"{\"s3\": {\"auth_required\": true}}",
		"{\"s3\": {\"auth_required\": \"maybe\"}}",
		"{\"s3\": {\"region\": \"\"}}",
		"{\"s3\": 1}",
	};
	ais_cconfig *c = NULL;
	char err[512];

	(void) state;
	assert_int_equal(ais_cconfig_default(&c), AIS_OK);
	assert_false(ais_cconfig_bool(c, "s3.auth_required", true));
	assert_false(ais_cconfig_bool(c, "s3.redirect", true));
	assert_string_equal(ais_cconfig_str(c, "s3.region", ""), "us-east-1");
	assert_true(json_is_object(ais_json_path(c->root, "s3.keys")));
	assert_int_equal(
	    json_object_size(ais_json_path(c->root, "s3.keys")), 0);
	ais_cconfig_rele(c);

	assert_int_equal(
	    test_s3_config("{\"s3\": {\"auth_required\": "
	                   "\"true\", \"keys\": {\"AK1\": \"s/1\", "
	                   "\"ak1\": \"s2\"}}}",
	        err, sizeof(err), &c),
	    AIS_OK);
	assert_true(ais_cconfig_bool(c, "s3.auth_required", false));
	assert_string_equal(ais_cconfig_str(c, "s3.keys.AK1", ""), "s/1");
	assert_int_equal(
	    json_object_size(ais_json_path(c->root, "s3.keys")), 2);
	ais_cconfig_rele(c);

	for (size_t i = 0; i < ARRLEN(bad); i++) {
		c = NULL;
		if (test_s3_config(bad[i], err, sizeof(err), &c)
		    != AIS_EINVAL) {
			print_error("accepted: %s\n", bad[i]);
		}
		assert_null(c);
		assert_non_null(strstr(err, "s3"));
		/* Secrets in a key map are never echoed. */
		assert_null(strstr(err, "TOPSECRET"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_object_steps),
		cmocka_unit_test(test_get_object),
		cmocka_unit_test(test_put_object),
		cmocka_unit_test(test_get_lifecycle),
		cmocka_unit_test(test_list_objects),
		cmocka_unit_test(test_presigned),
		cmocka_unit_test(test_presigned_malformed),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_canon_query),
		cmocka_unit_test(test_canon_uri),
		cmocka_unit_test(test_uri_encode),
		cmocka_unit_test(test_canon_value),
		cmocka_unit_test(test_canon_headers_multi),
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_parse_header),
		cmocka_unit_test(test_verify_failures),
		cmocka_unit_test(test_sig_equal),
		cmocka_unit_test(test_config_s3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
