/*
 * Streaming checksums of object data, printed the way AIS prints them
 * (shared/spec/smap-bmd.md section 6): lowercase hex of the digest bytes in
 * canonical big-endian order. The heavy lifting is borrowed: XXH64 from
 * libxxhash, md5/sha* from OpenSSL EVP, crc32c from isa-l (with the usual
 * ~0 pre/post conditioning, so the result is standard CRC32C). One ais_cksum
 * is driven by one thread from init to final.
 */
#include "core/cksum.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <isa-l/crc.h>
#include <openssl/evp.h>
#include <xxhash.h>

static const char *const ais_cksum_names[] = {
	[AIS_CKSUM_NONE] = "none",
	[AIS_CKSUM_XXHASH] = "xxhash",
	[AIS_CKSUM_XXHASH2] = "xxhash2",
	[AIS_CKSUM_MD5] = "md5",
	[AIS_CKSUM_CRC32C] = "crc32c",
	[AIS_CKSUM_SHA256] = "sha256",
	[AIS_CKSUM_SHA512] = "sha512",
};

#define AIS_CKSUM_NTYPES (sizeof(ais_cksum_names) / sizeof(ais_cksum_names[0]))

ais_err
ais_cksum_type_parse(const char *s, ais_cksum_type *out)
{
	size_t i;

	if (s == NULL) {
		return AIS_EINVAL;
	}
	if (s[0] == '\0') {
		*out = AIS_CKSUM_NONE;
		return AIS_OK;
	}
	for (i = 0; i < AIS_CKSUM_NTYPES; i++) {
		if (strcmp(s, ais_cksum_names[i]) == 0) {
			*out = (ais_cksum_type) i;
			return AIS_OK;
		}
	}
	return AIS_EINVAL;
}

const char *
ais_cksum_type_str(ais_cksum_type t)
{
	if ((size_t) t >= AIS_CKSUM_NTYPES) {
		return "unknown";
	}
	return ais_cksum_names[t];
}

static const EVP_MD *
ais_cksum_evp(ais_cksum_type t)
{
	switch (t) {
	case AIS_CKSUM_MD5:
		return EVP_md5();
	case AIS_CKSUM_SHA256:
		return EVP_sha256();
	case AIS_CKSUM_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static bool
ais_cksum_is_xxh(ais_cksum_type t)
{
	return t == AIS_CKSUM_XXHASH || t == AIS_CKSUM_XXHASH2;
}

ais_err
ais_cksum_init(ais_cksum *c, ais_cksum_type t)
{
	const EVP_MD *md;

	memset(c, 0, sizeof(*c));
	if ((size_t) t >= AIS_CKSUM_NTYPES) {
		return AIS_EINVAL;
	}
	c->type = t;
	if (ais_cksum_is_xxh(t)) {
		XXH64_state_t *st = XXH64_createState();

		if (st == NULL) {
			return AIS_ENOMEM;
		}
		XXH64_reset(st, 0);
		c->state = st;
	} else if (t == AIS_CKSUM_CRC32C) {
		c->crc = 0xFFFFFFFFu;
	} else if ((md = ais_cksum_evp(t)) != NULL) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		if (ctx == NULL) {
			return AIS_ENOMEM;
		}
		if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
			EVP_MD_CTX_free(ctx);
			return AIS_ENOTSUP;
		}
		c->state = ctx;
	}
	return AIS_OK;
}

void
ais_cksum_update(ais_cksum *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (len == 0) {
		return;
	}
	if (ais_cksum_is_xxh(c->type)) {
		XXH64_update(c->state, buf, len);
	} else if (c->type == AIS_CKSUM_CRC32C) {
		/* isa-l takes an int length and a non-const pointer */
		while (len > 0) {
			size_t n
			    = len > (size_t) INT_MAX ? (size_t) INT_MAX : len;

			c->crc = crc32_iscsi(
			    (unsigned char *) p, (int) n, c->crc);
			p += n;
			len -= n;
		}
	} else if (c->state != NULL) {
		(void) EVP_DigestUpdate(c->state, buf, len);
	}
}

static void
ais_cksum_hex(const unsigned char *d, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 0xf];
	}
	hex[2 * n] = '\0';
}

void
ais_cksum_final(ais_cksum *c, char hex[AIS_CKSUM_HEX_MAX])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;

	hex[0] = '\0';
	if (ais_cksum_is_xxh(c->type) && c->state != NULL) {
		XXH64_canonical_t canon;

		XXH64_canonicalFromHash(&canon, XXH64_digest(c->state));
		ais_cksum_hex(canon.digest, sizeof(canon.digest), hex);
	} else if (c->type == AIS_CKSUM_CRC32C) {
		uint32_t v = c->crc ^ 0xFFFFFFFFu;

		d[0] = (unsigned char) (v >> 24);
		d[1] = (unsigned char) (v >> 16);
		d[2] = (unsigned char) (v >> 8);
		d[3] = (unsigned char) v;
		ais_cksum_hex(d, 4, hex);
	} else if (c->state != NULL
	    && EVP_DigestFinal_ex(c->state, d, &dlen) == 1) {
		ais_cksum_hex(d, dlen, hex);
	}
	ais_cksum_fini(c);
}

void
ais_cksum_fini(ais_cksum *c)
{
	if (c->state != NULL) {
		if (ais_cksum_is_xxh(c->type)) {
			XXH64_freeState(c->state);
		} else {
			EVP_MD_CTX_free(c->state);
		}
		c->state = NULL;
	}
	c->crc = 0;
}
