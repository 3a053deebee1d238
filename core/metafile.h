/*
 * Node-local system files (persisted Smap, BMD, cluster config, node ID).
 *
 * Format (text, so an operator can read it):
 *   line 1: "aismeta 1 xxhash <16 hex digits of XXH64(payload, seed 0)>\n"
 *   rest  : the payload (JSON)
 * Written to "<path>.tmp", fsync'ed, renamed over <path>, directory fsync'ed:
 * a crash leaves either the old or the new file, never half of one. A load
 * whose checksum does not match returns AIS_ECKSUM.
 */
#ifndef AIS_CORE_METAFILE_H
#define AIS_CORE_METAFILE_H

#include <stddef.h>

#include "core/err.h"

ais_err ais_metafile_save(const char *path, const char *payload, size_t len);
/* On success *out is a malloc'd NUL-terminated payload (caller frees).
 * AIS_ENOENT if the file does not exist. Blocks on disk I/O. */
ais_err ais_metafile_load(const char *path, char **out, size_t *lenp);

#endif
