/*
 * A target's mountpath set at one moment: the available mountpaths (HRW
 * places objects over exactly these), the ones waiting for detach
 * ("waiting_dd": out of HRW, still read while resilver moves their objects
 * off) and the disabled ones (still attached, data kept, not served).
 * Published by the node (actors/node) and read by any thread without locks.
 *
 * Sets are immutable and never freed while the process runs: a data-path
 * request keeps plain pointers into the set it started with for its whole
 * length, and mountpath changes are rare admin actions, so retiring old
 * sets until exit (a few KiB each) is cheaper and simpler than refcounting
 * every request.
 *
 * Layout of mem[] (one array, so the groups are contiguous):
 *
 *   [0, n)                   avail     -- HRW set
 *   [n, n + nwaiting)        waiting   -- waiting_dd (==
 * disabled[0..nwaiting)) [n + nwaiting, n + nd)   disabled proper
 *
 * `disabled` points at mem + n and `ndisabled` counts waiting + disabled,
 * so a loop over avail then disabled visits every attached mountpath (what
 * bucket removal and object delete want), and avail[0 .. n + nwaiting) is
 * every readable one (what a GET falls back over).
 *
 * Also here: the persisted mountpath state of a target ("VMD", the file
 * <confdir>/.ais.vmd) and the pure rules over it -- path cleaning,
 * validation of a new mountpath, and how startup combines the file with
 * the local config's fspaths. The mountpath actor (actors/node/mpath.c) is
 * the one writer of both.
 */
#ifndef AIS_CORE_MPSET_H
#define AIS_CORE_MPSET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/hrw.h"

typedef struct ais_mpset {
	int64_t version;        /* bumped by every change */
	size_t n;               /* available */
	size_t ndisabled;       /* waiting_dd + disabled */
	size_t nwaiting;        /* waiting_dd (the first ones of disabled) */
	const ais_mpath *avail; /* [n]: HRW over these */
	const ais_mpath *disabled; /* [ndisabled], see the layout above */
	const ais_mpath *waiting;  /* [nwaiting] == disabled */
	struct ais_mpset *retired; /* older sets (owner's list) */
	ais_mpath mem[];
} ais_mpset;

/* A new set with copies of avail[0..n) and disabled[0..nd) (none waiting).
 * ENOMEM. */
ais_err ais_mpset_new(const ais_mpath *avail, size_t n,
    const ais_mpath *disabled, size_t nd, int64_t version, ais_mpset **out);
/* Same with waiting_dd mountpaths waiting[0..nw). ENOMEM. */
ais_err ais_mpset_new_dd(const ais_mpath *avail, size_t n,
    const ais_mpath *waiting, size_t nw, const ais_mpath *disabled, size_t nd,
    int64_t version, ais_mpset **out);
/* Frees s and every set on its retired list. Accepts NULL. */
void ais_mpset_free_all(ais_mpset *s);
/* Index of path in avail (or disabled, waiting included), or -1. */
int ais_mpset_find(const ais_mpset *s, const char *path, bool *disabled);
/* The AIS MountpathList (apc.MountpathList):
 *   {"available":[...],"waiting_dd":[...],"disabled":[...]}
 * A new reference, NULL on ENOMEM. */
json_t *ais_mpset_to_json(const ais_mpset *s);

/* Persisted mountpath state --------------------------------------------- */

#define AIS_MPATH_LABEL_MAX 64
#define AIS_VMD_FILE        ".ais.vmd"

typedef enum ais_mp_state {
	AIS_MP_ENABLED = 0,
	AIS_MP_DISABLED,
	AIS_MP_DETACHING, /* waiting_dd: resilver is moving its objects off */
} ais_mp_state;

typedef struct ais_vmd_mp {
	char path[PATH_MAX];                 /* cleaned, absolute */
	char label[AIS_MPATH_LABEL_MAX + 1]; /* "" = none */
	ais_mp_state state;
} ais_vmd_mp;

/* File <confdir>/.ais.vmd (core/metafile.h framing), payload:
 *   {"version":N,
 *    "mountpaths":[{"path":"/d1","label":"","enabled":true},
 *                  {"path":"/d2","label":"","enabled":false,
 *                   "detaching":true}],
 *    "config_fspaths":["/d1","/d2"]}
 * config_fspaths: the local config's fspaths when the file was last
 * reconciled with them (see ais_vmd_startup). Big (~0.5 MiB): allocate. */
typedef struct ais_vmd {
	int64_t version;
	size_t n;
	ais_vmd_mp mps[AIS_MAX_MPATHS];
	size_t ncfg;
	char cfg[AIS_MAX_MPATHS][PATH_MAX];
} ais_vmd;

/* Cleans a mountpath given by a user: absolute, no "." or ".." segment, not
 * the root, repeated and trailing slashes dropped. AIS_EINVAL + errbuf. */
ais_err ais_mpath_clean(
    const char *in, char *out, size_t outlen, char *errbuf, size_t errlen);
/* True if cleaned path a equals b or lies inside it. */
bool ais_mpath_within(const char *a, const char *b);

/* Index of path in v->mps, or -1. */
int ais_vmd_find(const ais_vmd *v, const char *path);
/* Checks that the cleaned `path` may be attached next to the mountpaths in
 * v: an existing directory (AIS_EINVAL), not attached already (AIS_EEXIST,
 * also for another name of the same directory), not nested in or around an
 * attached one (AIS_EINVAL), room left (AIS_EINVAL). Blocks on stat(2). */
ais_err ais_vmd_check_new(
    const ais_vmd *v, const char *path, char *errbuf, size_t errlen);
/* The set v describes (ENABLED -> avail, DETACHING -> waiting, DISABLED ->
 * disabled, in v's order). ENOMEM, EINVAL (a path too long). */
ais_err ais_vmd_to_mpset(const ais_vmd *v, int64_t version, ais_mpset **out);
/* JSON payload as above (a new reference, NULL on ENOMEM). */
json_t *ais_vmd_to_json(const ais_vmd *v);
/* Parses the payload; AIS_EINVAL on a malformed one (errbuf says why). */
ais_err ais_vmd_from_json(
    const json_t *j, ais_vmd *out, char *errbuf, size_t errlen);
/* Loads / saves (atomically) the file. Load: AIS_ENOENT if absent,
 * AIS_ECKSUM, AIS_EINVAL. Block on disk I/O. */
ais_err ais_vmd_load(
    const char *file, ais_vmd *out, char *errbuf, size_t errlen);
ais_err ais_vmd_save(const char *file, const ais_vmd *v);

/* The startup rule. `file` is <confdir>/.ais.vmd, fspaths/labels[0..nfs)
 * the local config's mountpaths (cleaned):
 *  1. no file, or an unreadable one (logged): every fspath, enabled;
 *  2. otherwise the file wins -- its mountpaths with their labels and
 *     states (attach/detach/enable/disable survive a restart), plus every
 *     fspath the config gained since the file last saw it (not in its
 *     config_fspaths): attached, enabled. An fspath the admin detached
 *     stays detached while the config keeps listing it;
 *  3. a mountpath whose directory is gone is disabled (logged);
 *  4. config_fspaths := the current fspaths.
 * *changed tells whether `out` differs from the file (save it then).
 * Blocks on disk I/O. AIS_ENOMEM only. */
ais_err ais_vmd_startup(const char *file, char *const *fspaths,
    char *const *labels, size_t nfs, ais_vmd *out, bool *changed);

#endif
