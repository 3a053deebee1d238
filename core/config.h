/*
 * Configuration, in AIS's two parts (shared/spec/config.md):
 *
 *  - local (node-only) config: confdir, log_dir, host_net (hostname, ports as
 *    strings), fspaths (mountpath -> label). Read from the node's JSON file,
 *    then command-line flags override single keys. Never changed by the
 *    cluster.
 *  - cluster config: every section of AIS's ClusterConfig with its defaults,
 *    versioned ("config_version" string), owned by the primary and metasync'ed
 *    like the Smap. Kept as an immutable refcounted JSON snapshot with typed
 *    getters for the keys the code uses.
 *
 * Parse and validation errors come back as AIS_EINVAL plus one clear line in
 * `errbuf` (the caller prints it and exits 2).
 */
#ifndef AIS_CORE_CONFIG_H
#define AIS_CORE_CONFIG_H

#include <jansson.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/smap.h"

#define AIS_MAX_MPATHS 64

typedef struct ais_local_config {
	char confdir[PATH_MAX];   /* node-local system files */
	char log_dir[PATH_MAX];   /* node log */
	char hostname[AIS_HOST_MAX + 1];  /* public host; default 127.0.0.1 */
	uint16_t port;                    /* public HTTP port */
	uint16_t port_intra_control;      /* NNG control port */
	uint16_t port_intra_data;         /* NNG data port */
	size_t nfspaths;
	char *fspaths[AIS_MAX_MPATHS];    /* absolute, cleaned, malloc'd */
	char *fslabels[AIS_MAX_MPATHS];   /* labels ("" if none), malloc'd */
} ais_local_config;

/* Loads the local config file (plain JSON). Missing/unreadable file, bad
 * JSON, wrong types, missing confdir, bad ports, duplicate or nested
 * fspaths -> AIS_EINVAL with one line in errbuf. */
ais_err ais_local_config_load(const char *path, ais_local_config *out,
    char *errbuf, size_t errlen);
/* Checks the final (post-flags) config; role decides whether fspaths are
 * required (targets) or forbidden (proxies). */
ais_err ais_local_config_validate(ais_local_config *c, ais_role role,
    char *errbuf, size_t errlen);
/* Adds a mountpath (cleaned: absolute, no trailing slash). */
ais_err ais_local_config_add_fspath(ais_local_config *c, const char *path,
    const char *label, char *errbuf, size_t errlen);
void ais_local_config_fini(ais_local_config *c);
/* The AIS wire form of the local part (confdir, log_dir, host_net, fspaths,
 * test_fspaths) -- merged into GET /v1/daemon?what=config. */
json_t *ais_local_config_to_json(const ais_local_config *c);

typedef struct ais_cconfig {
	atomic_int refs;
	json_t *root;        /* full ClusterConfig JSON, every section present */
	int64_t version;     /* config_version */
	char uuid[40];       /* cluster uuid ("" until the cluster exists) */
} ais_cconfig;

/* Cluster config with all AIS defaults, version 0, refs 1. */
ais_err ais_cconfig_default(ais_cconfig **out);
/* Defaults overlaid with the JSON object in `overlay` (a plain ais.json from
 * -config, or a persisted/received config), then validated. Unknown sections
 * are kept; bad values -> AIS_EINVAL with errbuf. */
ais_err ais_cconfig_from_json(const json_t *overlay, ais_cconfig **out,
    char *errbuf, size_t errlen);
ais_err ais_cconfig_load_file(const char *path, ais_cconfig **out,
    char *errbuf, size_t errlen);
ais_err ais_cconfig_clone(const ais_cconfig *src, ais_cconfig **out);
/* Sets version/uuid (and lastupdate_time) in both the struct and root; only
 * on a private (unpublished) config. */
void ais_cconfig_set_version(ais_cconfig *c, int64_t version,
    const char *uuid);
void ais_cconfig_hold(ais_cconfig *c);
void ais_cconfig_rele(ais_cconfig *c); /* accepts NULL */
char *ais_cconfig_dumps(const ais_cconfig *c); /* malloc'd */

/* Typed getters by dotted path; return `def` when absent or unparsable. */
int64_t ais_cconfig_dur_ms(const ais_cconfig *c, const char *path,
    int64_t def_ms);
int64_t ais_cconfig_int(const ais_cconfig *c, const char *path, int64_t def);
bool ais_cconfig_bool(const ais_cconfig *c, const char *path, bool def);
const char *ais_cconfig_str(const ais_cconfig *c, const char *path,
    const char *def);

#endif
