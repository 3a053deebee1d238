/*
 * Unit tests for core/cksum: type names, known vectors for every algorithm
 * (hex in canonical big-endian order), streaming in uneven chunks equal to
 * one-shot, and fini on error paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/cksum.h"

static void
test_hex(ais_cksum_type t, const char *data, size_t len, const char *want)
{
	char hex[AIS_CKSUM_HEX_MAX];
	ais_cksum c;

	assert_int_equal(ais_cksum_init(&c, t), AIS_OK);
	ais_cksum_update(&c, data, len);
	ais_cksum_final(&c, hex);
	assert_string_equal(hex, want);
	assert_null(c.state);
}

static void
test_cksum_types(void **state)
{
	ais_cksum_type t;
	static const char *names[] = { "none", "xxhash", "xxhash2", "md5",
		"crc32c", "sha256", "sha512" };
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(ais_cksum_type_parse(names[i], &t), AIS_OK);
		assert_int_equal(t, (ais_cksum_type) i);
		assert_string_equal(ais_cksum_type_str(t), names[i]);
	}
	t = AIS_CKSUM_MD5;
	assert_int_equal(ais_cksum_type_parse("", &t), AIS_OK);
	assert_int_equal(t, AIS_CKSUM_NONE);
	assert_int_equal(ais_cksum_type_parse("crc32", &t), AIS_EINVAL);
	assert_int_equal(ais_cksum_type_parse("MD5", &t), AIS_EINVAL);
	assert_int_equal(ais_cksum_type_parse(NULL, &t), AIS_EINVAL);
}

static void
test_cksum_vectors(void **state)
{
	(void) state;
	test_hex(AIS_CKSUM_XXHASH, "", 0, "ef46db3751d8e999");
	test_hex(AIS_CKSUM_XXHASH, "hello", 5, "26c7827d889f6da3");
	test_hex(AIS_CKSUM_XXHASH2, "hello", 5, "26c7827d889f6da3");
	test_hex(AIS_CKSUM_MD5, "", 0, "d41d8cd98f00b204e9800998ecf8427e");
	test_hex(AIS_CKSUM_MD5, "abc", 3, "900150983cd24fb0d6963f7d28e17f72");
	test_hex(AIS_CKSUM_SHA256, "abc", 3,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a"
	    "d");
	test_hex(AIS_CKSUM_SHA512, "abc", 3,
	    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49"
	    "f");
	test_hex(AIS_CKSUM_CRC32C, "123456789", 9, "e3069283");
	test_hex(AIS_CKSUM_CRC32C, "", 0, "00000000");
	test_hex(AIS_CKSUM_NONE, "abc", 3, "");
}

static void
test_cksum_streaming(void **state)
{
	static uint8_t data[100000];
	static const size_t chunks[] = { 1, 7, 63, 64, 1000, 4096, 33333 };
	ais_cksum_type t;
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t) (i * 131 + (i >> 7));
	}
	for (t = AIS_CKSUM_NONE; t <= AIS_CKSUM_SHA512; t++) {
		char one[AIS_CKSUM_HEX_MAX], many[AIS_CKSUM_HEX_MAX];
		ais_cksum c;
		size_t off = 0, k = 0;

		assert_int_equal(ais_cksum_init(&c, t), AIS_OK);
		ais_cksum_update(&c, data, sizeof(data));
		ais_cksum_final(&c, one);

		assert_int_equal(ais_cksum_init(&c, t), AIS_OK);
		while (off < sizeof(data)) {
			size_t n = chunks[k++ % 7];

			if (n > sizeof(data) - off) {
				n = sizeof(data) - off;
			}
			ais_cksum_update(&c, data + off, n);
			ais_cksum_update(&c, data + off, 0);
			off += n;
		}
		ais_cksum_final(&c, many);
		assert_string_equal(one, many);
	}
}

static void
test_cksum_fini(void **state)
{
	ais_cksum c;
	ais_cksum_type t;

	(void) state;
	memset(&c, 0, sizeof(c));
	ais_cksum_fini(&c); /* zeroed: no-op */
	for (t = AIS_CKSUM_NONE; t <= AIS_CKSUM_SHA512; t++) {
		assert_int_equal(ais_cksum_init(&c, t), AIS_OK);
		ais_cksum_update(&c, "x", 1);
		ais_cksum_fini(&c);
		assert_null(c.state);
		ais_cksum_fini(&c); /* twice is fine */
	}
	assert_int_equal(ais_cksum_init(&c, (ais_cksum_type) 99), AIS_EINVAL);
	ais_cksum_fini(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cksum_types),
		cmocka_unit_test(test_cksum_vectors),
		cmocka_unit_test(test_cksum_streaming),
		cmocka_unit_test(test_cksum_fini),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
