/*
 * Unit tests for core/lom: the AIS binary xattr layout byte by byte, round
 * trips with every field, rejection of corrupt (bad checksum), truncated,
 * unknown-key, duplicate-key and size-less records, xattr store/load on a
 * real file under /tmp, and the custom key/value helpers.
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

#include "core/hrw.h"
#include "core/lom.h"

static const uint8_t test_sep[3] = { 0xE3, 0x2F, 0xBD };

static void
test_md_full(ais_lom_md *md)
{
	memset(md, 0, sizeof(*md));
	md->size = 0x0102030405060708LL;
	md->cksum_type = AIS_CKSUM_XXHASH2;
	snprintf(md->cksum_value, sizeof(md->cksum_value), "26c7827d889f6da3");
	snprintf(md->version, sizeof(md->version), "7");
	md->lid = 0xA1B2C3D4E5F60718ULL;
	md->flags = 5;
	assert_int_equal(ais_lom_custom_set(md, "source", "aws"), AIS_OK);
	assert_int_equal(ais_lom_custom_set(md, "ETag", "abc"), AIS_OK);
}

/* Re-seals a hand-edited buffer with a valid metadata checksum. */
static void
test_reseal(uint8_t *buf, size_t len)
{
	uint64_t h = ais_hrw_digest(buf + 10, len - 10);
	int i;

	for (i = 9; i >= 2; i--) {
		buf[i] = (uint8_t) h;
		h >>= 8;
	}
}

static void
test_lom_layout(void **state)
{
	ais_lom_md md;
	uint8_t buf[AIS_LOM_MAX];
	size_t len = 0, off;

	(void) state;
	memset(&md, 0, sizeof(md));
	md.size = 5;
	assert_int_equal(ais_lom_encode(&md, buf, sizeof(buf), &len), AIS_OK);
	/* prefix + "none" + "" + size + lid + flags, 5 separators */
	assert_int_equal(len, 10 + (2 + 4) + 2 + 3 * (2 + 8) + 4 * 3);
	assert_int_equal(buf[0], 2);
	assert_int_equal(buf[1], 1);
	off = 10;
	assert_memory_equal(buf + off, "\x00\x00none", 6);
	off += 6;
	assert_memory_equal(buf + off, test_sep, 3);
	off += 3;
	assert_memory_equal(buf + off, "\x00\x01", 2);
	off += 2;
	assert_memory_equal(buf + off, test_sep, 3);
	off += 3;
	assert_memory_equal(buf + off, "\x00\x03\0\0\0\0\0\0\0\x05", 10);
	off += 10 + 3;
	assert_memory_equal(buf + off, "\x00\x06", 2);
	off += 10 + 3;
	assert_memory_equal(buf + off, "\x00\x07", 2);
	off += 10;
	assert_int_equal(off, len);
	/* checksum over the payload, big-endian, seed 1103515245 */
	{
		uint64_t h = ais_hrw_digest(buf + 10, len - 10), got = 0;
		int i;

		for (i = 2; i < 10; i++) {
			got = (got << 8) | buf[i];
		}
		assert_true(got == h);
	}
}

static void
test_lom_roundtrip(void **state)
{
	ais_lom_md md, out;
	uint8_t buf[AIS_LOM_MAX];
	size_t len = 0;

	(void) state;
	test_md_full(&md);
	assert_int_equal(ais_lom_encode(&md, buf, sizeof(buf), &len), AIS_OK);
	assert_int_equal(ais_lom_decode(buf, len, &out), AIS_OK);
	assert_true(out.size == md.size);
	assert_int_equal(out.cksum_type, AIS_CKSUM_XXHASH2);
	assert_string_equal(out.cksum_value, "26c7827d889f6da3");
	assert_string_equal(out.version, "7");
	assert_true(out.lid == md.lid);
	assert_true(out.flags == 5);
	assert_int_equal(out.custom_len, md.custom_len);
	assert_memory_equal(out.custom,
	    "source\x01"
	    "aws\x01"
	    "ETag\x01"
	    "abc",
	    md.custom_len);

	/* buffer too small */
	assert_int_equal(ais_lom_encode(&md, buf, len - 1, &len), AIS_ENOSPC);

	/* a size whose bytes contain the separator still decodes */
	md.size = 0x00E32FBD00E32FBDLL;
	md.version[0] = '\0';
	md.custom_len = 0;
	assert_int_equal(ais_lom_encode(&md, buf, sizeof(buf), &len), AIS_OK);
	assert_int_equal(ais_lom_decode(buf, len, &out), AIS_OK);
	assert_true(out.size == md.size);
	assert_string_equal(out.version, "");
	assert_int_equal(out.custom_len, 0);
}

static void
test_lom_corrupt(void **state)
{
	ais_lom_md md, out;
	uint8_t buf[AIS_LOM_MAX], tmp[AIS_LOM_MAX];
	size_t len = 0, i;

	(void) state;
	test_md_full(&md);
	assert_int_equal(ais_lom_encode(&md, buf, sizeof(buf), &len), AIS_OK);

	/* any payload byte flipped: checksum mismatch */
	for (i = 10; i < len; i += 7) {
		memcpy(tmp, buf, len);
		tmp[i] ^= 0x40;
		assert_int_equal(ais_lom_decode(tmp, len, &out), AIS_ECKSUM);
	}
	/* bad checksum bytes themselves */
	memcpy(tmp, buf, len);
	tmp[5] ^= 1;
	assert_int_equal(ais_lom_decode(tmp, len, &out), AIS_ECKSUM);
	/* bad meta-version / checksum type */
	memcpy(tmp, buf, len);
	tmp[0] = 9;
	assert_int_equal(ais_lom_decode(tmp, len, &out), AIS_EINVAL);
	memcpy(tmp, buf, len);
	tmp[1] = 2;
	assert_int_equal(ais_lom_decode(tmp, len, &out), AIS_EINVAL);

	/* truncated prefix */
	assert_int_equal(ais_lom_decode(buf, 0, &out), AIS_EINVAL);
	assert_int_equal(ais_lom_decode(buf, 9, &out), AIS_EINVAL);
	assert_int_equal(ais_lom_decode(buf, 10, &out), AIS_EINVAL);
	/* truncated records, validly sealed: a cut is refused as malformed,
	 * or (at a record boundary, or inside the custom pairs) it parses but
	 * never yields a wrong size */
	for (i = 11; i < len; i++) {
		ais_err err;

		memcpy(tmp, buf, i);
		test_reseal(tmp, i);
		err = ais_lom_decode(tmp, i, &out);
		if (err == AIS_OK) {
			assert_true(out.size == md.size);
		} else {
			assert_int_equal(err, AIS_EINVAL);
		}
	}
	/* a cut inside the size value */
	memcpy(tmp, buf, 10 + 2 + 7 + 3 + 2 + 16 + 3 + 2 + 1 + 3 + 2 + 4);
	assert_memory_equal(
	    tmp + 10 + 2 + 7 + 3 + 2 + 16 + 3 + 2 + 1 + 3, "\x00\x03", 2);
	test_reseal(tmp, 10 + 2 + 7 + 3 + 2 + 16 + 3 + 2 + 1 + 3 + 2 + 4);
	assert_int_equal(
	    ais_lom_decode(
	        tmp, 10 + 2 + 7 + 3 + 2 + 16 + 3 + 2 + 1 + 3 + 2 + 4, &out),
	    AIS_EINVAL);
	/* cut right after the size's first byte */
	{
		ais_lom_md s;

		memset(&s, 0, sizeof(s));
		s.size = 1;
		assert_int_equal(
		    ais_lom_encode(&s, buf, sizeof(buf), &len), AIS_OK);
		/* ... flags record is last: drop 3 of its 8 bytes */
		test_reseal(buf, len - 3);
		assert_int_equal(
		    ais_lom_decode(buf, len - 3, &out), AIS_EINVAL);
		/* dangling separator */
		assert_int_equal(
		    ais_lom_encode(&s, buf, sizeof(buf), &len), AIS_OK);
		memcpy(buf + len, test_sep, 3);
		test_reseal(buf, len + 3);
		assert_int_equal(
		    ais_lom_decode(buf, len + 3, &out), AIS_EINVAL);
	}
}

static void
test_lom_bad_records(void **state)
{
	ais_lom_md md, out;
	uint8_t buf[AIS_LOM_MAX];
	size_t len = 0;

	(void) state;
	memset(&md, 0, sizeof(md));
	md.size = 1;
	md.cksum_type = AIS_CKSUM_MD5;
	assert_int_equal(ais_lom_encode(&md, buf, sizeof(buf), &len), AIS_OK);

	/* unknown key appended */
	memcpy(buf + len, test_sep, 3);
	memcpy(buf + len + 3, "\x00\x09xyz", 5);
	test_reseal(buf, len + 8);
	assert_int_equal(ais_lom_decode(buf, len + 8, &out), AIS_EINVAL);
	/* duplicate version key */
	memcpy(buf + len + 3, "\x00\x02v1", 4);
	test_reseal(buf, len + 7);
	assert_int_equal(ais_lom_decode(buf, len + 7, &out), AIS_OK);
	memcpy(buf + len + 7, test_sep, 3);
	memcpy(buf + len + 10, "\x00\x02v2", 4);
	test_reseal(buf, len + 14);
	assert_int_equal(ais_lom_decode(buf, len + 14, &out), AIS_EINVAL);
	/* duplicate size key */
	memcpy(buf + len + 3, "\x00\x03\0\0\0\0\0\0\0\x02", 10);
	test_reseal(buf, len + 13);
	assert_int_equal(ais_lom_decode(buf, len + 13, &out), AIS_EINVAL);

	/* missing size: payload = "none" type record only */
	buf[0] = 2;
	buf[1] = 1;
	memcpy(buf + 10, "\x00\x00none", 6);
	test_reseal(buf, 16);
	assert_int_equal(ais_lom_decode(buf, 16, &out), AIS_EINVAL);
	/* unknown checksum type name */
	memcpy(buf + 10, "\x00\x00nope", 6);
	memcpy(buf + 16, test_sep, 3);
	memcpy(buf + 19, "\x00\x03\0\0\0\0\0\0\0\x02", 10);
	test_reseal(buf, 29);
	assert_int_equal(ais_lom_decode(buf, 29, &out), AIS_EINVAL);
	memcpy(buf + 10, "\x00\x00none", 6);
	test_reseal(buf, 29);
	assert_int_equal(ais_lom_decode(buf, 29, &out), AIS_OK);
	assert_true(out.size == 2);
	/* custom with a key but no value */
	memcpy(buf + 29, test_sep, 3);
	memcpy(buf + 32, "\x00\x05k", 3);
	test_reseal(buf, 35);
	assert_int_equal(ais_lom_decode(buf, 35, &out), AIS_EINVAL);
	/* too-long version string */
	memcpy(buf + 32, "\x00\x02", 2);
	memset(buf + 34, 'v', 40);
	test_reseal(buf, 74);
	assert_int_equal(ais_lom_decode(buf, 74, &out), AIS_EINVAL);

	/* encode refuses a separator inside a string value */
	memset(&md, 0, sizeof(md));
	memcpy(md.version, "a\xE3\x2F\xBDz", 6);
	assert_int_equal(
	    ais_lom_encode(&md, buf, sizeof(buf), &len), AIS_EINVAL);
	memset(&md, 0, sizeof(md));
	md.size = -1;
	assert_int_equal(
	    ais_lom_encode(&md, buf, sizeof(buf), &len), AIS_EINVAL);
}

static void
test_lom_xattr(void **state)
{
	char path[] = "/tmp/ais-test-lom-XXXXXX";
	ais_lom_md md, out;
	int fd;

	(void) state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ais_lom_load_fd(fd, &out), AIS_ENOENT);
	assert_int_equal(ais_lom_load(path, &out), AIS_ENOENT);
	test_md_full(&md);
	assert_int_equal(ais_lom_store_fd(fd, &md), AIS_OK);
	memset(&out, 0, sizeof(out));
	assert_int_equal(ais_lom_load_fd(fd, &out), AIS_OK);
	assert_true(out.size == md.size);
	assert_string_equal(out.cksum_value, md.cksum_value);
	memset(&out, 0, sizeof(out));
	assert_int_equal(ais_lom_load(path, &out), AIS_OK);
	assert_true(out.lid == md.lid);
	assert_int_equal(out.custom_len, md.custom_len);
	/* overwrite with a smaller record */
	md.custom_len = 0;
	md.version[0] = '\0';
	assert_int_equal(ais_lom_store_fd(fd, &md), AIS_OK);
	assert_int_equal(ais_lom_load(path, &out), AIS_OK);
	assert_int_equal(out.custom_len, 0);
	assert_string_equal(out.version, "");
	close(fd);
	unlink(path);
	assert_int_not_equal(ais_lom_load(path, &out), AIS_OK);
}

static void
test_lom_custom(void **state)
{
	ais_lom_md md;
	size_t pos = 0, kl, vl, n = 0;
	const char *k, *v;
	char big[AIS_LOM_CUSTOM_MAX];

	(void) state;
	memset(&md, 0, sizeof(md));
	assert_int_equal(ais_lom_custom_next(&md, &pos, &k, &kl, &v, &vl), 0);
	assert_int_equal(ais_lom_custom_set(&md, "a", "1"), AIS_OK);
	assert_int_equal(ais_lom_custom_set(&md, "b", ""), AIS_OK);
	assert_int_equal(ais_lom_custom_set(&md, "c", "3"), AIS_OK);
	assert_int_equal(md.custom_len, 10);
	assert_memory_equal(md.custom,
	    "a\x01"
	    "1\x01"
	    "b\x01\x01"
	    "c\x01"
	    "3",
	    10);
	/* replace keeps the others and moves the key to the end */
	assert_int_equal(ais_lom_custom_set(&md, "a", "one"), AIS_OK);
	assert_memory_equal(md.custom,
	    "b\x01\x01"
	    "c\x01"
	    "3\x01"
	    "a\x01"
	    "one",
	    md.custom_len);

	while (ais_lom_custom_next(&md, &pos, &k, &kl, &v, &vl) != 0) {
		switch (n++) {
		case 0:
			assert_memory_equal(k, "b", kl);
			assert_int_equal(vl, 0);
			break;
		case 1:
			assert_memory_equal(k, "c", kl);
			assert_memory_equal(v, "3", vl);
			break;
		case 2:
			assert_int_equal(kl, 1);
			assert_memory_equal(k, "a", kl);
			assert_int_equal(vl, 3);
			assert_memory_equal(v, "one", vl);
			break;
		default:
			fail();
		}
	}
	assert_int_equal(n, 3);

	/* last value empty */
	assert_int_equal(ais_lom_custom_set(&md, "z", ""), AIS_OK);
	pos = 0;
	n = 0;
	while (ais_lom_custom_next(&md, &pos, &k, &kl, &v, &vl) != 0) {
		n++;
	}
	assert_int_equal(n, 4);
	assert_memory_equal(k, "z", kl);
	assert_int_equal(vl, 0);

	assert_int_equal(ais_lom_custom_set(&md, "", "x"), AIS_EINVAL);
	assert_int_equal(ais_lom_custom_set(&md, "k\x01", "x"), AIS_EINVAL);
	assert_int_equal(ais_lom_custom_set(&md, "k", "x\x01y"), AIS_EINVAL);

	/* full */
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ais_lom_custom_set(&md, "big", big), AIS_ENOSPC);
	memset(&md, 0, sizeof(md));
	big[sizeof(big) - 3] = '\0'; /* "k" 0x01 + 2045 = 2047 */
	assert_int_equal(ais_lom_custom_set(&md, "k", big), AIS_OK);
	assert_int_equal(md.custom_len, sizeof(big) - 1);
	assert_int_equal(ais_lom_custom_set(&md, "x", "y"), AIS_ENOSPC);
	assert_int_equal(ais_lom_custom_set(&md, "k", "small"), AIS_OK);
	assert_int_equal(md.custom_len, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lom_layout),
		cmocka_unit_test(test_lom_roundtrip),
		cmocka_unit_test(test_lom_corrupt),
		cmocka_unit_test(test_lom_bad_records),
		cmocka_unit_test(test_lom_xattr),
		cmocka_unit_test(test_lom_custom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
