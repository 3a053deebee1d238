/*
 * Unit tests of http/reply.c: the ais_err -> HTTP status table and the AIS
 * JSON error body (field set and order, tcode only when given, header-safe
 * ASCII form, invalid UTF-8 in messages). No server is involved.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "http/reply.h"

static void
test_reply_status_table(void **state)
{
	(void) state;
	assert_int_equal(http_status_from_err(AIS_OK), 200);
	assert_int_equal(http_status_from_err(AIS_ENOENT), 404);
	assert_int_equal(http_status_from_err(AIS_EEXIST), 409);
	assert_int_equal(http_status_from_err(AIS_EINVAL), 400);
	assert_int_equal(http_status_from_err(AIS_ENOSPC), 507);
	assert_int_equal(http_status_from_err(AIS_EIO), 500);
	assert_int_equal(http_status_from_err(AIS_ETIMEDOUT), 504);
	assert_int_equal(http_status_from_err(AIS_ESTOPPED), 503);
	assert_int_equal(http_status_from_err(AIS_ENOTSUP), 501);
	assert_int_equal(http_status_from_err(AIS_EINTERNAL), 500);
	assert_int_equal(http_status_from_err(AIS_ECONFLICT), 409);
	assert_int_equal(http_status_from_err(AIS_EPERM), 403);
	/* Every code in the list is an error status. */
	for (int e = 1; e < AIS_ERR__COUNT; e++) {
		int st = http_status_from_err(e);

		assert_true(st >= 400 && st <= 599);
	}
	assert_int_equal(http_status_from_err(AIS_ESYS | ENOENT), 404);
	assert_int_equal(http_status_from_err(AIS_ESYS | EACCES), 403);
	assert_int_equal(http_status_from_err(AIS_ESYS | ENOSPC), 507);
	assert_int_equal(http_status_from_err(AIS_ESYS | EIO), 500);
	assert_int_equal(http_status_from_err(AIS_ENNG | 3), 503);
	assert_int_equal(http_status_from_err(AIS_ERR__COUNT + 7), 500);
	assert_int_equal(http_status_from_err(-1), 500);
}

static void
test_reply_err_json(void **state)
{
	http_err_info e = {
		.status = 404,
		.message = "bucket \"ais://abc\" does not exist",
		.method = "GET",
		.url_path = "/v1/objects/abc/x",
		.remote_addr = "10.0.0.5:51234",
		.caller = "",
		.node = "p[KQdp8080]",
	};
	char *txt;
	json_t *j;
	json_error_t jerr;

	(void) state;
	txt = http_err_json(&e, false);
	assert_non_null(txt);
	/* AIS ErrHTTP field order, no tcode when none is given. */
	assert_string_equal(txt,
	    "{\"message\":\"bucket \\\"ais://abc\\\" does not exist\","
	    "\"method\":\"GET\",\"url_path\":\"/v1/objects/abc/x\","
	    "\"remote_addr\":\"10.0.0.5:51234\",\"caller\":\"\","
	    "\"node\":\"p[KQdp8080]\",\"status\":404}");
	free(txt);

	e.tcode = "ErrBckNotFound";
	e.caller = NULL;
	txt = http_err_json(&e, false);
	assert_non_null(txt);
	assert_memory_equal(txt, "{\"tcode\":\"ErrBckNotFound\",", 26);
	j = json_loads(txt, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(
	    json_string_value(json_object_get(j, "caller")), "");
	assert_int_equal(
	    json_integer_value(json_object_get(j, "status")), 404);
	json_decref(j);
	free(txt);
}

static void
test_reply_err_json_bytes(void **state)
{
	http_err_info e = { .status = 400, .method = "HEAD" };
	char *txt;

	(void) state;
	/* Non-ASCII: kept as UTF-8 in a body, escaped for a header. */
	e.message = "caf\xc3\xa9";
	txt = http_err_json(&e, false);
	assert_non_null(strstr(txt, "\"caf\xc3\xa9\""));
	free(txt);
	txt = http_err_json(&e, true);
	assert_non_null(strstr(txt, "\"caf\\u00E9\""));
	for (const char *c = txt; *c != '\0'; c++) {
		assert_true((unsigned char) *c < 0x80 && *c != '\n');
	}
	free(txt);
	/* Not UTF-8 at all (a raw object name): bytes become '?'. */
	e.message = "bad \xff\xfe name";
	txt = http_err_json(&e, false);
	assert_non_null(txt);
	assert_non_null(strstr(txt, "\"bad ?? name\""));
	free(txt);
}

static void
test_reply_node_tag(void **state)
{
	char buf[HTTP_NODE_TAG_MAX];
	char id[AIS_ID_MAX + 1];

	(void) state;
	http_node_tag(AIS_ROLE_PROXY, "KQdp8080", buf, sizeof(buf));
	assert_string_equal(buf, "p[KQdp8080]");
	http_node_tag(AIS_ROLE_TARGET, "t1", buf, sizeof(buf));
	assert_string_equal(buf, "t[t1]");
	memset(id, 'x', AIS_ID_MAX);
	id[AIS_ID_MAX] = '\0';
	http_node_tag(AIS_ROLE_TARGET, id, buf, sizeof(buf));
	assert_int_equal(strlen(buf), AIS_ID_MAX + 3);
	assert_int_equal(buf[AIS_ID_MAX + 2], ']');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_status_table),
		cmocka_unit_test(test_reply_err_json),
		cmocka_unit_test(test_reply_err_json_bytes),
		cmocka_unit_test(test_reply_node_tag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
