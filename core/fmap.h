/*
 * A whole file mapped read-only, and copies out of it that survive the file
 * shrinking underneath.
 *
 * Why: a reader that takes many small pieces of the same files in random
 * order (dSort's origins: every record of an input shard, in output order)
 * spends more on pread(2) per piece than on the copy itself. A mapping
 * turns each piece into one memcpy.
 *
 * The catch is that touching a page past the end of a file that was
 * truncated after mmap raises SIGBUS. Objects are replaced by rename, never
 * truncated in place, but the data directory is an operator's to touch, so
 * every copy runs under a guard: a SIGBUS on the copying thread while the
 * guard is up makes the copy fail with AIS_EIO instead of killing the node.
 * A SIGBUS anywhere else keeps its default meaning.
 */
#ifndef AIS_CORE_FMAP_H
#define AIS_CORE_FMAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct ais_fmap {
	const uint8_t *p; /* NULL for an empty file */
	uint64_t len;     /* file size when mapped */
} ais_fmap;

/* Maps path whole (opened with O_NOATIME where allowed; the fd is not
 * kept). Errors as open/fstat/mmap report them. */
ais_err ais_fmap_open(ais_fmap *m, const char *path);
/* Unmaps; accepts a zeroed m. */
void ais_fmap_close(ais_fmap *m);
/* Copies len bytes at off into dst. AIS_EIO when the range is not in the
 * mapping or the file no longer holds it (SIGBUS, see the top). */
ais_err ais_fmap_copy(const ais_fmap *m, uint64_t off, void *dst, size_t len);

#endif
