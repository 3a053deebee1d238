/*
 * Unit tests for core/fqn: object-name validation (every rule in the header),
 * bucket names, provider aliases, and bucket/object paths with and without
 * namespaces, including buffers that are too small.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/fqn.h"

static ais_err
test_obj(const char *s, bool slash_ok)
{
	return ais_objname_check(s, strlen(s), slash_ok);
}

static void
test_fqn_objname_good(void **state)
{
	static const char *good[] = { "a", "myobject", "dir/file.jpg",
		"a/b/c/d", ".hidden", "a/.b", "..a", "a..", "a/..b/c", "~",
		"~a/b", "a/~/b", "sp ace/ü", "x.", "a/b." };
	char comp[256], total[AIS_OBJNAME_MAX + 1];
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(test_obj(good[i], false), AIS_OK);
		assert_int_equal(test_obj(good[i], true), AIS_OK);
	}
	/* 255-byte component */
	memset(comp, 'c', 255);
	comp[255] = '\0';
	assert_int_equal(test_obj(comp, false), AIS_OK);
	/* exactly 1024 bytes: 4 x 255 + "a/b/c/" ... build a/a/a... */
	for (i = 0; i < AIS_OBJNAME_MAX; i++) {
		total[i] = i % 2 == 0 ? 'a' : '/';
	}
	total[AIS_OBJNAME_MAX - 1] = 'z';
	total[AIS_OBJNAME_MAX] = '\0';
	assert_int_equal(test_obj(total, false), AIS_OK);
	/* trailing slash only when asked */
	assert_int_equal(test_obj("dir/", true), AIS_OK);
	assert_int_equal(test_obj("a/b/", true), AIS_OK);
	assert_int_equal(test_obj("dir/", false), AIS_EINVAL);
}

static void
test_fqn_objname_bad(void **state)
{
	static const char *bad[] = { "", ".", "..", "../x", "a/../b", "a/..",
		"./a", "a/./b", "a/.", "/a", "/", "~/a", "a//b", "//", "a/b//",
		"dir//", "/dir/" };
	char comp[257], total[AIS_OBJNAME_MAX + 2];
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(test_obj(bad[i], false), AIS_EINVAL);
		assert_int_equal(test_obj(bad[i], true), AIS_EINVAL);
	}
	assert_int_equal(ais_objname_check(NULL, 0, false), AIS_EINVAL);
	/* embedded NUL */
	assert_int_equal(ais_objname_check("a\0b", 3, false), AIS_EINVAL);
	/* 256-byte component, alone and in the middle */
	memset(comp, 'c', 256);
	comp[256] = '\0';
	assert_int_equal(test_obj(comp, false), AIS_EINVAL);
	memcpy(total, "a/", 2);
	memcpy(total + 2, comp, 256);
	memcpy(total + 258, "/b", 3);
	assert_int_equal(test_obj(total, false), AIS_EINVAL);
	/* 1025 bytes total */
	for (i = 0; i < AIS_OBJNAME_MAX + 1; i++) {
		total[i] = i % 2 == 0 ? 'a' : '/';
	}
	total[AIS_OBJNAME_MAX + 1] = '\0';
	assert_int_equal(test_obj(total, false), AIS_EINVAL);
}

static void
test_fqn_bckname(void **state)
{
	static const char *good[]
	    = { "b", "my-bucket", "My_Bucket.v2", "a.b", "0", "-x", "x-" };
	static const char *bad[] = { "", ".", ".hidden", "a..b", "..", "a/b",
		"a b", "a#b", "a@b", "ü", "a\tb" };
	char longname[66];
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(ais_bckname_check(good[i]), AIS_OK);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ais_bckname_check(bad[i]), AIS_EINVAL);
	}
	assert_int_equal(ais_bckname_check(NULL), AIS_EINVAL);
	memset(longname, 'b', 64);
	longname[64] = '\0';
	assert_int_equal(ais_bckname_check(longname), AIS_OK);
	longname[64] = 'b';
	longname[65] = '\0';
	assert_int_equal(ais_bckname_check(longname), AIS_EINVAL);
}

static void
test_fqn_provider(void **state)
{
	(void) state;
	assert_string_equal(ais_provider_norm(NULL), "ais");
	assert_string_equal(ais_provider_norm(""), "ais");
	assert_string_equal(ais_provider_norm("ais"), "ais");
	assert_string_equal(ais_provider_norm("aws"), "aws");
	assert_string_equal(ais_provider_norm("s3"), "aws");
	assert_string_equal(ais_provider_norm("gcp"), "gcp");
	assert_string_equal(ais_provider_norm("gs"), "gcp");
	assert_string_equal(ais_provider_norm("azure"), "azure");
	assert_string_equal(ais_provider_norm("az"), "azure");
	assert_string_equal(ais_provider_norm("oci"), "oci");
	assert_string_equal(ais_provider_norm("oc"), "oci");
	assert_null(ais_provider_norm("hdfs"));
	assert_null(ais_provider_norm("AIS"));
	assert_null(ais_provider_norm("s"));
}

static void
test_fqn_paths(void **state)
{
	char buf[256];

	(void) state;
	assert_int_equal(
	    ais_bck_dir(buf, sizeof(buf), "/ais/mp3", "ais", NULL, "mybucket"),
	    AIS_OK);
	assert_string_equal(buf, "/ais/mp3/@ais/mybucket");
	assert_int_equal(
	    ais_bck_dir(buf, sizeof(buf), "/d", "s3", "@#", "b"), AIS_OK);
	assert_string_equal(buf, "/d/@aws/b");
	assert_int_equal(
	    ais_bck_dir(buf, sizeof(buf), "/d", "", "", "b"), AIS_OK);
	assert_string_equal(buf, "/d/@ais/b");

	assert_int_equal(ais_fqn(buf, sizeof(buf), "/ais/mp3", "ais", NULL,
	                     "mybucket", AIS_CT_OBJ, "myobject"),
	    AIS_OK);
	assert_string_equal(buf, "/ais/mp3/@ais/mybucket/%ob/myobject");
	assert_int_equal(ais_fqn(buf, sizeof(buf), "/data/d1", "aws", "@#prod",
	                     "logs", AIS_CT_OBJ, "2025/01/x.json"),
	    AIS_OK);
	assert_string_equal(
	    buf, "/data/d1/@aws/#prod/logs/%ob/2025/01/x.json");
	assert_int_equal(ais_fqn(buf, sizeof(buf), "/data/d1", "ais",
	                     "@Cjl2Ht4gE#", "remote-bck", AIS_CT_OBJ, "a"),
	    AIS_OK);
	assert_string_equal(buf, "/data/d1/@ais/@Cjl2Ht4gE#/remote-bck/%ob/a");
	assert_int_equal(ais_fqn(buf, sizeof(buf), "/m", "gs", "@uu#ns", "b",
	                     AIS_CT_WORK, "o.tmp"),
	    AIS_OK);
	assert_string_equal(buf, "/m/@gcp/@uu#ns/b/%wk/o.tmp");

	/* rejected inputs */
	assert_int_equal(ais_fqn(buf, sizeof(buf), "/m", "ais", NULL, "b",
	                     AIS_CT_OBJ, "../etc/passwd"),
	    AIS_EINVAL);
	assert_int_equal(ais_fqn(buf, sizeof(buf), "/m", "ais", NULL, "b",
	                     AIS_CT_OBJ, "/abs"),
	    AIS_EINVAL);
	assert_int_equal(ais_fqn(buf, sizeof(buf), "/m", "nope", NULL, "b",
	                     AIS_CT_OBJ, "o"),
	    AIS_EINVAL);
	assert_int_equal(ais_fqn(buf, sizeof(buf), "/m", "ais", NULL, "..",
	                     AIS_CT_OBJ, "o"),
	    AIS_EINVAL);
	assert_int_equal(ais_fqn(buf, sizeof(buf), "/m", "ais", NULL, "a/b",
	                     AIS_CT_OBJ, "o"),
	    AIS_EINVAL);
	assert_int_equal(
	    ais_bck_dir(buf, sizeof(buf), "/m", "ais", "nohash", "b"),
	    AIS_EINVAL);
	assert_int_equal(
	    ais_bck_dir(buf, sizeof(buf), "/m", "ais", "@a/b#c", "b"),
	    AIS_EINVAL);

	/* "/d/@ais/bck" is 11 bytes: fits in 12, not in 11 */
	assert_int_equal(
	    ais_bck_dir(buf, 12, "/d", "ais", NULL, "bck"), AIS_OK);
	assert_string_equal(buf, "/d/@ais/bck");
	assert_int_equal(
	    ais_bck_dir(buf, 11, "/d", "ais", NULL, "bck"), AIS_EINVAL);
	/* "/d/@ais/b/%ob/obj" is 17 bytes */
	assert_int_equal(
	    ais_fqn(buf, 18, "/d", "ais", NULL, "b", AIS_CT_OBJ, "obj"),
	    AIS_OK);
	assert_string_equal(buf, "/d/@ais/b/%ob/obj");
	assert_int_equal(
	    ais_fqn(buf, 17, "/d", "ais", NULL, "b", AIS_CT_OBJ, "obj"),
	    AIS_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fqn_objname_good),
		cmocka_unit_test(test_fqn_objname_bad),
		cmocka_unit_test(test_fqn_bckname),
		cmocka_unit_test(test_fqn_provider),
		cmocka_unit_test(test_fqn_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
