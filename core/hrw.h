/*
 * HRW (highest random weight) placement, bit-exact with AIS
 * (shared/spec/smap-bmd.md section 4): object -> target over the Smap, and
 * object -> mountpath inside a target. Pure functions over immutable inputs,
 * callable from any thread without a message.
 *
 *   uname   = <provider>/<ns-uname>/<bucket>/<object>   ("ais/@#/b/o")
 *   digest  = XXH64(uname, seed 1103515245)
 *   weight  = mix(node.id_digest ^ digest)   (mix = AIS xoshiro256.Hash)
 *   owner   = max weight over targets without maintenance/decommission flags
 */
#ifndef AIS_CORE_HRW_H
#define AIS_CORE_HRW_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/smap.h"

/* A target's mountpath with its placement digest. */
typedef struct ais_mpath {
	char path[PATH_MAX];  /* absolute, cleaned, no trailing slash */
	uint64_t digest;      /* XXH64(path, seed 1103515245) */
} ais_mpath;

uint64_t ais_hrw_mix(uint64_t x);
/* XXH64(buf, len, seed 1103515245). */
uint64_t ais_hrw_digest(const void *buf, size_t len);

/* Writes the uname of bucket/object into buf (NUL-terminated); ns NULL or
 * "" = global ("@#"). Returns the length, or AIS_EINVAL-free 0 if it does
 * not fit (caller checks > 0). obj may be NULL for the bucket's uname with
 * a trailing '/'. */
size_t ais_uname(char *buf, size_t len, const char *provider, const char *ns,
    const char *bck, const char *obj);

/* Owner target of `uname` in m (maintenance/decommissioned skipped).
 * AIS_ENOENT if there is no eligible target. *out borrowed from m. */
ais_err ais_hrw_target(const ais_smap *m, const char *uname, size_t len,
    const ais_snode **out);
/* Same, from a precomputed digest. */
ais_err ais_hrw_target_digest(const ais_smap *m, uint64_t digest,
    const ais_snode **out);
/* Index of the owner mountpath in mps[0..n) for an object digest; n > 0. */
size_t ais_hrw_mpath(const ais_mpath *mps, size_t n, uint64_t digest);
/* Fills mp from a path (copies it, computes the digest). */
ais_err ais_mpath_init(ais_mpath *mp, const char *path);

#endif
