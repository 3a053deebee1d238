/*
 * LOM metadata: an object's size, checksum, version, bucket ID, flags and
 * custom key/values, kept in the xattr "user.ais.lom" of the object file in
 * AIS's own binary layout (shared/spec/smap-bmd.md section 5.4), so disks
 * stay readable by either implementation:
 *
 *   offset  size  field
 *   0       1     meta-version (2)
 *   1       1     metadata checksum type (1 = xxhash)
 *   2       8     XXH64(payload, seed 1103515245), big-endian
 *   10      ..    payload: records (2-byte BE key + value) separated by
 *                 0xE3 0x2F 0xBD; keys: 0 cksum type, 1 cksum value,
 *                 2 version, 3 size (8-byte BE), 6 lid (8-byte BE), 7 flags
 *                 (8-byte BE), 4 copies, 5 custom (k 0x01 v 0x01 ...)
 *
 * Atime is the file's atime, mtime the file's mtime (not in the xattr).
 */
#ifndef AIS_CORE_LOM_H
#define AIS_CORE_LOM_H

#include <stddef.h>
#include <stdint.h>

#include "core/cksum.h"
#include "core/err.h"

#define AIS_LOM_XATTR "user.ais.lom"
#define AIS_LOM_MAX 4096        /* max encoded size */
#define AIS_LOM_CUSTOM_MAX 2048 /* max encoded custom metadata */

typedef struct ais_lom_md {
	int64_t size;
	ais_cksum_type cksum_type;
	char cksum_value[AIS_CKSUM_HEX_MAX];
	char version[32];       /* "" = none */
	uint64_t lid;           /* bucket ID (BID) + flags, AIS v2 */
	uint64_t flags;
	size_t custom_len;      /* bytes used in custom */
	char custom[AIS_LOM_CUSTOM_MAX]; /* k 0x01 v 0x01 k 0x01 v (no trailing
					  * separator), AIS encoding */
} ais_lom_md;

ais_err ais_lom_encode(const ais_lom_md *md, uint8_t *buf, size_t cap,
    size_t *lenp);
/* AIS_ECKSUM if the metadata checksum fails, AIS_EINVAL if malformed. */
ais_err ais_lom_decode(const uint8_t *buf, size_t len, ais_lom_md *out);
/* xattr on an open file (fd) or a path. Load: AIS_ENOENT if the xattr is
 * absent. Block on disk I/O. */
ais_err ais_lom_load_fd(int fd, ais_lom_md *out);
ais_err ais_lom_load(const char *path, ais_lom_md *out);
/* The version a new write of the object at fqn gets: "" when versioning
 * is off, else "1" for a new object and the stored version + 1 (AIS
 * versions are decimal counters for ais:// buckets). */
void ais_lom_next_version(const char *fqn, bool versioning, ais_lom_md *md);
ais_err ais_lom_store_fd(int fd, const ais_lom_md *md);

/* Custom metadata helpers. add: replaces an existing key; AIS_ENOSPC when
 * full; keys/values must not contain 0x01. next: iterate from *pos = 0,
 * returns 0 at the end, else sets key/value pointers (not NUL-terminated)
 * and lengths. */
ais_err ais_lom_custom_set(ais_lom_md *md, const char *key,
    const char *value);
int ais_lom_custom_next(const ais_lom_md *md, size_t *pos, const char **k,
    size_t *klen, const char **v, size_t *vlen);

#endif
