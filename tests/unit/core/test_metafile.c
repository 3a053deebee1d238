/*
 * Unit tests for core/metafile: exact header format (checked against known
 * XXH64 seed-0 values), save/load round trips including binary payloads,
 * atomic replacement, and detection of corrupt, truncated or foreign files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/metafile.h"

typedef struct test_mf {
	char dir[64];
	char path[96];
	char tmp[112];
} test_mf;

static int
test_mf_setup(void **state)
{
	test_mf *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return -1;
	}
	snprintf(t->dir, sizeof(t->dir), "/tmp/ais_test_mf.XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/.ais.smap", t->dir);
	snprintf(t->tmp, sizeof(t->tmp), "%s.tmp", t->path);
	*state = t;
	return 0;
}

static int
test_mf_teardown(void **state)
{
	test_mf *t = *state;
	unlink(t->path);
	unlink(t->tmp);
	rmdir(t->dir);
	free(t);
	return 0;
}

/* Whole raw file; caller frees. */
static char *
test_mf_read_raw(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 4096);
	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 4095, f);
	fclose(f);
	return buf;
}

static void
test_mf_write_raw(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static void
test_metafile_format(void **state)
{
	test_mf *t = *state;
	char *raw;
	size_t len;
	/* XXH64("", 0) = ef46db3751d8e999, XXH64("hello", 0) =
	 * 26c7827d889f6da3 (spec/smap-bmd.md 4.4) */
	assert_int_equal(ais_metafile_save(t->path, "", 0), AIS_OK);
	raw = test_mf_read_raw(t->path, &len);
	assert_int_equal(len, 34);
	assert_string_equal(raw, "aismeta 1 xxhash ef46db3751d8e999\n");
	free(raw);
	assert_int_equal(ais_metafile_save(t->path, "hello", 5), AIS_OK);
	raw = test_mf_read_raw(t->path, &len);
	assert_string_equal(raw, "aismeta 1 xxhash 26c7827d889f6da3\nhello");
	free(raw);
	/* no leftover temporary file */
	assert_int_not_equal(access(t->tmp, F_OK), 0);
}

static void
test_metafile_round_trip(void **state)
{
	test_mf *t = *state;
	static const char json[] = "{\"version\":\"3\",\"pmap\":{}}";
	static const char bin[] = {'a', 0, 'b', '\n', (char) 0xff};
	char *out = NULL;
	size_t len = 0;
	assert_int_equal(ais_metafile_save(t->path, json, strlen(json)),
	    AIS_OK);
	assert_int_equal(ais_metafile_load(t->path, &out, &len), AIS_OK);
	assert_int_equal(len, strlen(json));
	assert_string_equal(out, json);
	free(out);
	out = NULL;

	/* overwrite with binary content; lenp may be NULL */
	assert_int_equal(ais_metafile_save(t->path, bin, sizeof(bin)), AIS_OK);
	assert_int_equal(ais_metafile_load(t->path, &out, &len), AIS_OK);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(out, bin, sizeof(bin));
	assert_int_equal(out[len], '\0');
	free(out);
	out = NULL;
	assert_int_equal(ais_metafile_load(t->path, &out, NULL), AIS_OK);
	free(out);
	out = NULL;

	/* empty payload */
	assert_int_equal(ais_metafile_save(t->path, "", 0), AIS_OK);
	assert_int_equal(ais_metafile_load(t->path, &out, &len), AIS_OK);
	assert_int_equal(len, 0);
	assert_string_equal(out, "");
	free(out);
}

static void
test_metafile_corruption(void **state)
{
	test_mf *t = *state;
	static const char json[] = "{\"version\":\"12\",\"uuid\":\"abc\"}";
	char *raw;
	char *out = NULL;
	size_t len;
	assert_int_equal(ais_metafile_save(t->path, json, strlen(json)),
	    AIS_OK);
	raw = test_mf_read_raw(t->path, &len);
	assert_int_equal(len, 34 + strlen(json));

	/* flip one bit of every payload byte in turn: always detected */
	for (size_t i = 34; i < len; i++) {
		raw[i] ^= 0x01;
		test_mf_write_raw(t->path, raw, len);
		assert_int_equal(ais_metafile_load(t->path, &out, NULL),
		    AIS_ECKSUM);
		assert_null(out);
		raw[i] ^= 0x01;
	}
	/* a wrong digit of the checksum itself */
	char orig = raw[17];
	raw[17] = orig == '0' ? '1' : '0';
	test_mf_write_raw(t->path, raw, len);
	assert_int_equal(ais_metafile_load(t->path, &out, NULL), AIS_ECKSUM);
	/* truncated payload */
	raw[17] = orig;
	test_mf_write_raw(t->path, raw, len - 1);
	assert_int_equal(ais_metafile_load(t->path, &out, NULL), AIS_ECKSUM);
	free(raw);

	/* bad headers */
	test_mf_write_raw(t->path, "", 0);
	assert_int_equal(ais_metafile_load(t->path, &out, NULL), AIS_EINVAL);
	test_mf_write_raw(t->path, "aismeta 1 xxhash ef46", 21);
	assert_int_equal(ais_metafile_load(t->path, &out, NULL), AIS_EINVAL);
	test_mf_write_raw(t->path, "aismeta 2 xxhash ef46db3751d8e999\n", 34);
	assert_int_equal(ais_metafile_load(t->path, &out, NULL), AIS_EINVAL);
	test_mf_write_raw(t->path, "aismeta 1 sha256 ef46db3751d8e999\n", 34);
	assert_int_equal(ais_metafile_load(t->path, &out, NULL), AIS_EINVAL);
	test_mf_write_raw(t->path, "aismeta 1 xxhash ef46db3751d8e99z\n", 34);
	assert_int_equal(ais_metafile_load(t->path, &out, NULL), AIS_EINVAL);
	test_mf_write_raw(t->path, "aismeta 1 xxhash ef46db3751d8e999X", 34);
	assert_int_equal(ais_metafile_load(t->path, &out, NULL), AIS_EINVAL);
	test_mf_write_raw(t->path, json, strlen(json));
	assert_int_equal(ais_metafile_load(t->path, &out, NULL), AIS_EINVAL);
	/* uppercase hex is still a valid header */
	test_mf_write_raw(t->path, "aismeta 1 xxhash EF46DB3751D8E999\n", 34);
	assert_int_equal(ais_metafile_load(t->path, &out, NULL), AIS_OK);
	assert_string_equal(out, "");
	free(out);
}

static void
test_metafile_errors(void **state)
{
	test_mf *t = *state;
	char *out = NULL;
	char bad[160];
	assert_int_equal(ais_metafile_load(t->path, &out, NULL), AIS_ENOENT);
	assert_null(out);
	/* a directory is not a metafile */
	assert_int_equal(ais_metafile_load(t->dir, &out, NULL), AIS_EINVAL);
	assert_int_equal(ais_metafile_save(NULL, "x", 1), AIS_EINVAL);
	assert_int_equal(ais_metafile_save("", "x", 1), AIS_EINVAL);
	assert_int_equal(ais_metafile_save(t->path, NULL, 1), AIS_EINVAL);
	/* missing parent directory: an error, and no stray files */
	snprintf(bad, sizeof(bad), "%s/nodir/f", t->dir);
	assert_int_equal(ais_metafile_save(bad, "x", 1), AIS_ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_metafile_format,
		    test_mf_setup, test_mf_teardown),
		cmocka_unit_test_setup_teardown(test_metafile_round_trip,
		    test_mf_setup, test_mf_teardown),
		cmocka_unit_test_setup_teardown(test_metafile_corruption,
		    test_mf_setup, test_mf_teardown),
		cmocka_unit_test_setup_teardown(test_metafile_errors,
		    test_mf_setup, test_mf_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
