/*
 * Streaming checksums of object data, as AIS names and prints them
 * (shared/spec/smap-bmd.md section 6): lowercase hex of the digest bytes in
 * canonical (big-endian) order. xxhash/xxhash2 = XXH64 seed 0 (xxhash lib),
 * md5/sha256/sha512 (OpenSSL EVP), crc32c (isa-l crc32_iscsi, or a table if
 * unavailable), none.
 */
#ifndef AIS_CORE_CKSUM_H
#define AIS_CORE_CKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define AIS_CKSUM_HEX_MAX 129 /* sha512 hex + NUL */

typedef enum ais_cksum_type {
	AIS_CKSUM_NONE = 0,
	AIS_CKSUM_XXHASH,
	AIS_CKSUM_XXHASH2,
	AIS_CKSUM_MD5,
	AIS_CKSUM_CRC32C,
	AIS_CKSUM_SHA256,
	AIS_CKSUM_SHA512,
} ais_cksum_type;

/* "none", "xxhash", ... ; AIS_EINVAL if unknown. "" parses as none. */
ais_err ais_cksum_type_parse(const char *s, ais_cksum_type *out);
const char *ais_cksum_type_str(ais_cksum_type t);

typedef struct ais_cksum {
	ais_cksum_type type;
	void *state;    /* XXH64_state_t * or EVP_MD_CTX * */
	uint32_t crc;   /* crc32c running value */
} ais_cksum;

/* Allocates hashing state (none: nothing). */
ais_err ais_cksum_init(ais_cksum *c, ais_cksum_type t);
void ais_cksum_update(ais_cksum *c, const void *buf, size_t len);
/* Writes the hex digest ("" for none) and frees the state. */
void ais_cksum_final(ais_cksum *c, char hex[AIS_CKSUM_HEX_MAX]);
/* Frees the state without a result (error paths); accepts a zeroed c. */
void ais_cksum_fini(ais_cksum *c);

#endif
