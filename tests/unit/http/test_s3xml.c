/*
 * Unit tests of http/s3/s3_xml.c: the XML buffer and its escaping, the
 * small tag scanner request bodies are read with (entities, nested and
 * missing tags, truncated documents, attributes, self-closing tags), and
 * the S3 error document with its request id. http_reply and
 * http_reply_take are replaced here (link-time stand-ins) to capture what
 * would go on the wire, so no server is involved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/lso.h"
#include "http/s3/s3.h"

/* Captured reply --------------------------------------------------------- */

static struct {
	int status;
	char ctype[64];
	char *body;
	size_t len;
	char rid[64];
	char server[32];
	char extra[64];
	int calls;
} test_cap;

static void
test_cap_hdrs(const char *const *hdrs)
{
	for (size_t i = 0; hdrs != NULL && hdrs[i] != NULL; i += 2) {
		if (strcmp(hdrs[i], "x-amz-request-id") == 0) {
			snprintf(test_cap.rid, sizeof(test_cap.rid), "%s",
			    hdrs[i + 1]);
		} else if (strcmp(hdrs[i], "Server") == 0) {
			snprintf(test_cap.server, sizeof(test_cap.server),
			    "%s", hdrs[i + 1]);
		} else {
			snprintf(test_cap.extra, sizeof(test_cap.extra),
			    "%s=%s", hdrs[i], hdrs[i + 1]);
		}
	}
}

void
http_reply(http_req *r, int status, const char *ctype, const void *body,
    size_t len, const char *const *hdrs)
{
	(void) r;
	test_cap.calls++;
	test_cap.status = status;
	snprintf(
	    test_cap.ctype, sizeof(test_cap.ctype), "%s", ctype ? ctype : "");
	free(test_cap.body);
	test_cap.body = calloc(1, len + 1);
	if (len > 0) {
		memcpy(test_cap.body, body, len);
	}
	test_cap.len = len;
	test_cap_hdrs(hdrs);
}

void
http_reply_take(http_req *r, int status, const char *ctype, char *body,
    size_t len, const char *const *hdrs)
{
	http_reply(r, status, ctype, body, len, hdrs);
	free(body);
}

static int
test_setup(void **state)
{
	(void) state;
	memset(&test_cap, 0, sizeof(test_cap));
	return 0;
}

static int
test_teardown(void **state)
{
	(void) state;
	free(test_cap.body);
	test_cap.body = NULL;
	return 0;
}

/* Buffer and escaping ---------------------------------------------------- */

static void
test_s3xml_escape(void **state)
{
	s3_buf b = { 0 };

	(void) state;
	s3_buf_esc(&b, "a&b<c>d\"e'f");
	assert_string_equal(b.p, "a&amp;b&lt;c&gt;d&quot;e&apos;f");
	s3_buf_fini(&b);

	s3_buf_elem(&b, "Key", "dir/x&y");
	s3_buf_elem(&b, "Empty", "");
	s3_buf_elem(&b, "Null", NULL);
	assert_string_equal(
	    b.p, "<Key>dir/x&amp;y</Key><Empty></Empty><Null></Null>");
	s3_buf_fini(&b);

	/* plain text and UTF-8 pass through */
	s3_buf_esc(&b, "caf\xc3\xa9 100%");
	assert_string_equal(b.p, "caf\xc3\xa9 100%");
	s3_buf_fini(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
}

static void
test_s3xml_buf_grow(void **state)
{
	s3_buf b = { 0 };

	(void) state;
	for (int i = 0; i < 5000; i++) {
		s3_buf_printf(&b, "<N>%d</N>", i);
	}
	assert_false(b.oom);
	assert_true(b.len > 5000 * 8);
	assert_int_equal(strlen(b.p), b.len);
	assert_true(strncmp(b.p, "<N>0</N><N>1</N>", 16) == 0);
	assert_non_null(strstr(b.p, "<N>4999</N>"));
	s3_buf_put(&b, "");
	assert_int_equal(strlen(b.p), b.len);
	s3_buf_fini(&b);
}

/* Tag scanner ------------------------------------------------------------ */

static void
test_s3xml_next_flat(void **state)
{
	const char *doc = "<?xml version=\"1.0\"?>\n"
	                  "<Delete xmlns=\"http://s3\">"
	                  "<Quiet>true</Quiet>"
	                  "<Object><Key>a&amp;b</Key></Object>"
	                  "<Object><Key>x&lt;y&gt;&quot;z&apos;</Key>"
	                  "<VersionId>null</VersionId></Object>"
	                  "<Object><Key>&#65;&#x42;&#xe9;&#x1F600;</Key>"
	                  "</Object></Delete>";
	size_t len = strlen(doc);
	size_t pos = 0;
	char out[128];

	(void) state;
	assert_true(s3_xml_next(doc, len, &pos, "Key", out, sizeof(out)));
	assert_string_equal(out, "a&b");
	assert_true(s3_xml_next(doc, len, &pos, "Key", out, sizeof(out)));
	assert_string_equal(out, "x<y>\"z'");
	assert_true(s3_xml_next(doc, len, &pos, "Key", out, sizeof(out)));
	assert_string_equal(out, "AB\xc3\xa9\xf0\x9f\x98\x80");
	assert_false(s3_xml_next(doc, len, &pos, "Key", out, sizeof(out)));
	assert_false(s3_xml_next(doc, len, &pos, "Key", out, sizeof(out)));

	pos = 0;
	assert_true(s3_xml_next(doc, len, &pos, "Quiet", out, sizeof(out)));
	assert_string_equal(out, "true");
	/* a missing tag */
	pos = 0;
	assert_false(s3_xml_next(doc, len, &pos, "Status", out, sizeof(out)));
	/* a tag name that is a prefix of another is not confused */
	pos = 0;
	assert_false(s3_xml_next(doc, len, &pos, "Ke", out, sizeof(out)));
	pos = 0;
	assert_true(
	    s3_xml_next(doc, len, &pos, "VersionId", out, sizeof(out)));
	assert_string_equal(out, "null");
}

static void
test_s3xml_next_nested(void **state)
{
	const char *doc = "<Delete><Object><Key>k1</Key></Object>"
	                  "<Object >\n  <Key>k&amp;2</Key>\n</Object>"
	                  "<Object><Key/></Object></Delete>";
	size_t len = strlen(doc);
	size_t pos = 0;
	char obj[256];
	char key[64];
	size_t kp;

	(void) state;
	/* nested markup comes back raw (entities untouched) */
	assert_true(s3_xml_next(doc, len, &pos, "Object", obj, sizeof(obj)));
	assert_string_equal(obj, "<Key>k1</Key>");
	kp = 0;
	assert_true(
	    s3_xml_next(obj, strlen(obj), &kp, "Key", key, sizeof(key)));
	assert_string_equal(key, "k1");
	assert_true(s3_xml_next(doc, len, &pos, "Object", obj, sizeof(obj)));
	assert_string_equal(obj, "\n  <Key>k&amp;2</Key>\n");
	kp = 0;
	assert_true(
	    s3_xml_next(obj, strlen(obj), &kp, "Key", key, sizeof(key)));
	assert_string_equal(key, "k&2");
	/* self-closing: empty text */
	assert_true(s3_xml_next(doc, len, &pos, "Object", obj, sizeof(obj)));
	kp = 0;
	strcpy(key, "junk");
	assert_true(
	    s3_xml_next(obj, strlen(obj), &kp, "Key", key, sizeof(key)));
	assert_string_equal(key, "");
	assert_false(s3_xml_next(doc, len, &pos, "Object", obj, sizeof(obj)));

	/* the whole element with attributes on the start tag */
	doc = "<VersioningConfiguration xmlns=\"x\"><Status>Enabled</Status>"
	      "</VersioningConfiguration >";
	pos = 0;
	assert_true(s3_xml_next(doc, strlen(doc), &pos,
	    "VersioningConfiguration", obj, sizeof(obj)));
	assert_string_equal(obj, "<Status>Enabled</Status>");
	assert_int_equal(pos, strlen(doc));
}

static void
test_s3xml_next_truncated(void **state)
{
	static const char *const bad[] = {
		"<Key>abc",      /* no close tag */
		"<Key>abc</Key", /* close tag cut */
		"<Key",          /* start tag cut */
		"<Key attr=\"x", /* start tag cut in an attribute */
		"<Key>abc</Ke>", /* wrong close */
		"",
	};
	char out[64];

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t pos = 0;

		assert_false(s3_xml_next(
		    bad[i], strlen(bad[i]), &pos, "Key", out, sizeof(out)));
	}
	/* a document cut by len, not by NUL */
	{
		const char *doc = "<Key>abc</Key><Key>def</Key>";
		size_t pos = 0;

		assert_true(
		    s3_xml_next(doc, 14, &pos, "Key", out, sizeof(out)));
		assert_string_equal(out, "abc");
		assert_false(
		    s3_xml_next(doc, 20, &pos, "Key", out, sizeof(out)));
	}
	/* text that does not fit the output */
	{
		const char *doc = "<Key>0123456789</Key>";
		size_t pos = 0;

		assert_false(
		    s3_xml_next(doc, strlen(doc), &pos, "Key", out, 5));
		pos = 0;
		assert_true(
		    s3_xml_next(doc, strlen(doc), &pos, "Key", out, 11));
		assert_string_equal(out, "0123456789");
	}
	/* unknown or malformed entities are kept verbatim */
	{
		const char *doc = "<Key>&foo; & &#; &#xZZ; &#0;</Key>";
		size_t pos = 0;

		assert_true(s3_xml_next(
		    doc, strlen(doc), &pos, "Key", out, sizeof(out)));
		assert_string_equal(out, "&foo; & &#; &#xZZ; &#0;");
	}
	/* NULL and empty arguments */
	{
		size_t pos = 0;

		assert_false(
		    s3_xml_next(NULL, 0, &pos, "Key", out, sizeof(out)));
		assert_false(s3_xml_next("<a>b</a>", 8, &pos, "", out, 8));
		assert_false(s3_xml_next("<a>b</a>", 8, &pos, "a", out, 0));
	}
}

/* Error replies ---------------------------------------------------------- */

static void
test_s3xml_error_body(void **state)
{
	http_req r;

	(void) state;
	memset(&r, 0, sizeof(r));
	r.method = HTTP_M_GET;
	r.url_path = "/s3/b/a<b>";
	s3_reply_err(&r, 404, "NoSuchKey", "object %s & co missing", "k");
	assert_int_equal(test_cap.calls, 1);
	assert_int_equal(test_cap.status, 404);
	assert_string_equal(test_cap.ctype, "application/xml");
	assert_string_equal(test_cap.server, "AIStore");
	assert_int_equal(strlen(test_cap.rid), 16);
	assert_non_null(strstr(test_cap.body, "<?xml version=\"1.0\""));
	assert_non_null(strstr(test_cap.body,
	    "<Error><Code>NoSuchKey</Code>"
	    "<Message>object k &amp; co missing</Message>"
	    "<Resource>/s3/b/a&lt;b&gt;</Resource><RequestId>"));
	{
		char want[128];

		snprintf(want, sizeof(want),
		    "<RequestId>%s</RequestId></Error>", test_cap.rid);
		assert_non_null(strstr(test_cap.body, want));
	}
	/* a fresh id per reply */
	{
		char first[64];

		snprintf(first, sizeof(first), "%s", test_cap.rid);
		s3_reply_err(&r, 400, "InvalidArgument", "x");
		assert_string_not_equal(first, test_cap.rid);
	}
	/* HEAD: status and headers only */
	r.method = HTTP_M_HEAD;
	s3_reply_err(&r, 404, "NoSuchBucket", "gone");
	assert_int_equal(test_cap.status, 404);
	assert_int_equal(test_cap.len, 0);
	assert_int_equal(strlen(test_cap.rid), 16);
}

static void
test_s3xml_aerr_map(void **state)
{
	static const struct {
		ais_err err;
		bool object;
		int status;
		const char *code;
	} tab[] = {
		{ AIS_ENOENT, false, 404, "NoSuchBucket" },
		{ AIS_ENOENT, true, 404, "NoSuchKey" },
		{ AIS_EEXIST, false, 409, "BucketAlreadyOwnedByYou" },
		{ AIS_EINVAL, true, 400, "InvalidArgument" },
		{ AIS_EPERM, false, 403, "AccessDenied" },
		{ AIS_ENOSPC, true, 507, "InsufficientStorage" },
		{ AIS_EIO, true, 500, "InternalError" },
		{ AIS_EINTERNAL, false, 500, "InternalError" },
	};
	http_req r;

	(void) state;
	memset(&r, 0, sizeof(r));
	r.method = HTTP_M_PUT;
	r.url_path = "/s3/b";
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		char want[96];

		s3_reply_aerr(&r, tab[i].err, tab[i].object, "why");
		assert_int_equal(test_cap.status, tab[i].status);
		snprintf(want, sizeof(want), "<Code>%s</Code><Message>why<",
		    tab[i].code);
		assert_non_null(strstr(test_cap.body, want));
	}
	/* no message: the error's own text */
	s3_reply_aerr(&r, AIS_ENOENT, true, NULL);
	assert_non_null(strstr(test_cap.body, "<Message>not found</Message>"));
}

static void
test_s3xml_reply_xml(void **state)
{
	http_req r;
	s3_buf b = { 0 };
	const char *hdrs[] = { "x-amz-bucket-region", "us-east-1", NULL };

	(void) state;
	memset(&r, 0, sizeof(r));
	r.method = HTTP_M_GET;
	s3_buf_put(&b, "<A>1</A>");
	s3_reply_xml(&r, 200, &b, hdrs);
	assert_null(b.p); /* taken */
	assert_int_equal(test_cap.status, 200);
	assert_string_equal(test_cap.body,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<A>1</A>");
	assert_string_equal(test_cap.extra, "x-amz-bucket-region=us-east-1");
	assert_int_equal(strlen(test_cap.rid), 16);

	/* empty body: no Content-Type, no declaration */
	s3_reply_xml(&r, 204, &b, NULL);
	assert_int_equal(test_cap.status, 204);
	assert_int_equal(test_cap.len, 0);

	/* a body that already has its declaration is sent as is */
	s3_buf_put(&b, "<?xml version=\"1.0\"?><B/>");
	s3_reply_xml(&r, 200, &b, NULL);
	assert_string_equal(test_cap.body, "<?xml version=\"1.0\"?><B/>");

	/* out of memory turns into a 500 */
	b.oom = true;
	s3_reply_xml(&r, 200, &b, NULL);
	assert_int_equal(test_cap.status, 500);
}

/* The timestamp layout S3 listings use. */
static void
test_s3xml_iso_time(void **state)
{
	char buf[64];

	(void) state;
	http_lso_time_fmt(1755817072123456789LL, "2006-01-02T15:04:05.000Z",
	    buf, sizeof(buf));
	assert_string_equal(buf, "2025-08-21T22:57:52.123Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_s3xml_escape, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_s3xml_buf_grow, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_s3xml_next_flat, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_s3xml_next_nested, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_s3xml_next_truncated, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_s3xml_error_body, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_s3xml_aerr_map, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_s3xml_reply_xml, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_s3xml_iso_time, test_setup, test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
