/*
 * Node identity: generated once (8 random characters from [A-Za-z0-9]) and
 * persisted in <confdir>/.ais.node_id, and for targets also in the xattr
 * user.ais.daemon_id of every mountpath root, so a restarted node -- or a
 * target whose confdir was lost but whose disks survived -- comes back with
 * the same ID.
 */
#ifndef AIS_CORE_NODEID_H
#define AIS_CORE_NODEID_H

#include <stddef.h>

#include "core/err.h"
#include "core/smap.h"

/* Returns the persisted ID or creates and persists a new one. An explicit
 * `want` (from a flag) is validated and persisted; it must match an existing
 * persisted ID, else AIS_ECONFLICT. Mountpaths may be NULL/0 for proxies.
 * Disagreeing IDs between confdir and mountpaths -> AIS_ECONFLICT with
 * errbuf. Blocks on disk I/O. */
ais_err ais_nodeid_load_or_create(const char *confdir, char *const *mpaths,
    size_t nmpaths, const char *want, char out[AIS_ID_MAX + 1], char *errbuf,
    size_t errlen);
/* True for 1..32 chars of [A-Za-z0-9_-], not starting/ending with - or _. */
bool ais_nodeid_valid(const char *id);
/* A fresh random ID of `len` characters (len <= AIS_ID_MAX). */
void ais_nodeid_random(char *out, size_t len);

#endif
