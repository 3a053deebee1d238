/*
 * Unit tests for core/fmap: whole-file mappings, ranged copies, and the
 * SIGBUS guard (a file truncated under its mapping makes copies fail with
 * AIS_EIO, the process lives on, and a later copy from a healthy mapping
 * still works).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/fmap.h"

#define FILE_LEN (3 * 4096 * 16 + 123) /* several pages, ragged end */

static void
make_file(char *path, size_t cap, size_t len)
{
	unsigned char *buf = malloc(len);
	int fd;

	snprintf(path, cap, "/tmp/ais-fmap-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_non_null(buf);
	for (size_t i = 0; i < len; i++) {
		buf[i] = (unsigned char) (i * 31 + 7);
	}
	assert_int_equal(write(fd, buf, len), (ssize_t) len);
	close(fd);
	free(buf);
}

static void
test_copy_ranges(void **state)
{
	char path[64];
	ais_fmap m;
	unsigned char out[5000];

	(void) state;
	make_file(path, sizeof(path), FILE_LEN);
	assert_int_equal(ais_fmap_open(&m, path), AIS_OK);
	assert_int_equal(m.len, FILE_LEN);
	assert_int_equal(ais_fmap_copy(&m, 4090, out, sizeof(out)), AIS_OK);
	for (size_t i = 0; i < sizeof(out); i++) {
		assert_int_equal(
		    out[i], (unsigned char) ((4090 + i) * 31 + 7));
	}
	/* the last byte, nothing, and past the end */
	assert_int_equal(ais_fmap_copy(&m, FILE_LEN - 1, out, 1), AIS_OK);
	assert_int_equal(out[0], (unsigned char) ((FILE_LEN - 1) * 31 + 7));
	assert_int_equal(ais_fmap_copy(&m, FILE_LEN, out, 0), AIS_OK);
	assert_int_equal(ais_fmap_copy(&m, FILE_LEN - 1, out, 2), AIS_EIO);
	assert_int_equal(ais_fmap_copy(&m, UINT64_MAX, out, 1), AIS_EIO);
	ais_fmap_close(&m);
	ais_fmap_close(&m); /* idempotent */
	unlink(path);

	/* empty and missing files */
	make_file(path, sizeof(path), 0);
	assert_int_equal(ais_fmap_open(&m, path), AIS_OK);
	assert_null(m.p);
	assert_int_equal(ais_fmap_copy(&m, 0, out, 1), AIS_EIO);
	ais_fmap_close(&m);
	unlink(path);
	assert_int_not_equal(ais_fmap_open(&m, path), AIS_OK);
}

static void
test_truncated_under_mapping(void **state)
{
	char path[64], path2[64];
	ais_fmap m, m2;
	unsigned char out[4096];

	(void) state;
	make_file(path, sizeof(path), FILE_LEN);
	make_file(path2, sizeof(path2), FILE_LEN);
	assert_int_equal(ais_fmap_open(&m, path), AIS_OK);
	assert_int_equal(ais_fmap_open(&m2, path2), AIS_OK);
	assert_int_equal(truncate(path, 4096), 0);
	/* first page still there; the rest is gone */
	assert_int_equal(ais_fmap_copy(&m, 0, out, 4096), AIS_OK);
	assert_int_equal(ais_fmap_copy(&m, 8192, out, 100), AIS_EIO);
	assert_int_equal(ais_fmap_copy(&m, 4000, out, 4096), AIS_EIO);
	/* the guard is down again and other mappings work */
	assert_int_equal(ais_fmap_copy(&m2, 8192, out, 100), AIS_OK);
	assert_int_equal(out[0], (unsigned char) (8192 * 31 + 7));
	assert_int_equal(ais_fmap_copy(&m, 8192, out, 100), AIS_EIO);
	ais_fmap_close(&m);
	ais_fmap_close(&m2);
	unlink(path);
	unlink(path2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_ranges),
		cmocka_unit_test(test_truncated_under_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
