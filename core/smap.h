/*
 * Smap: the cluster map -- every proxy and target, the primary, a version
 * that only grows, and the cluster UUID (set once at creation).
 *
 * An ais_smap is built privately (alloc/clone + add/del), then published as an
 * immutable, refcounted snapshot (core/snapshot.h). Readers hold a reference
 * for the whole request and never see it change. JSON is exactly the AIS wire
 * shape (shared/spec/smap-bmd.md section 1): "version" as a string,
 * "daemon_port" as a string, "id_digest" as a full-precision unsigned number
 * (XXH64 of the node ID with seed 1103515245), empty maps as {}.
 */
#ifndef AIS_CORE_SMAP_H
#define AIS_CORE_SMAP_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define AIS_ID_MAX 32         /* max node ID length (bytes, no NUL) */
#define AIS_HOST_MAX 64       /* max hostname length */
#define AIS_URL_MAX 128       /* max URL length */
#define AIS_HRW_SEED 1103515245ULL

/* Snode flags (wire values). */
#define AIS_SNODE_NON_ELECTABLE 1u
#define AIS_SNODE_IC 2u
#define AIS_SNODE_MAINT 4u
#define AIS_SNODE_DECOMM 8u
#define AIS_SNODE_MAINT_POST_REB 16u

typedef enum ais_role {
	AIS_ROLE_PROXY = 0,
	AIS_ROLE_TARGET = 1,
} ais_role;

typedef struct ais_netinfo {
	char host[AIS_HOST_MAX + 1]; /* node_ip_addr */
	uint16_t port;               /* daemon_port (a string on the wire) */
	char url[AIS_URL_MAX + 1];   /* direct_url, e.g. http://h:p */
} ais_netinfo;

typedef struct ais_snode {
	char id[AIS_ID_MAX + 1]; /* daemon_id */
	ais_role role;           /* daemon_type */
	ais_netinfo pub;         /* public_net: client HTTP */
	ais_netinfo ctrl;        /* intra_control_net: NNG, url = tcp://h:p */
	ais_netinfo data;        /* intra_data_net: NNG bulk streams */
	uint64_t flags;          /* AIS_SNODE_* */
	uint64_t id_digest;      /* XXH64(id, AIS_HRW_SEED) */
} ais_snode;

typedef struct ais_smap {
	atomic_int refs;
	int64_t version;          /* > 0 once created; only grows */
	char uuid[40];            /* cluster UUID */
	char creation_time[40];   /* UTC timestamp string */
	char primary[AIS_ID_MAX + 1]; /* ID of the primary proxy */
	ais_snode *proxies;       /* sorted by id */
	size_t nproxies;
	ais_snode *targets;       /* sorted by id */
	size_t ntargets;
} ais_smap;

/* XXH64(id, seed 1103515245): the Snode id_digest. */
uint64_t ais_id_digest(const char *id);

/* Fills an snode: all three nets on `host` with the given ports; public URL
 * http://host:pub_port, control/data URLs tcp://host:port; computes id_digest.
 * Returns AIS_EINVAL for an empty/too-long id or host. */
ais_err ais_snode_init(ais_snode *sn, const char *id, ais_role role,
    const char *host, uint16_t pub_port, uint16_t ctrl_port,
    uint16_t data_port);
/* True when both nodes have the same public and control addresses. */
bool ais_snode_same_addr(const ais_snode *a, const ais_snode *b);
json_t *ais_snode_to_json(const ais_snode *sn); /* new reference */
ais_err ais_snode_from_json(const json_t *j, ais_snode *out);

/* New empty map, refs = 1, version 0. */
ais_err ais_smap_alloc(ais_smap **out);
/* Deep copy with refs = 1 (to build the next version). */
ais_err ais_smap_clone(const ais_smap *src, ais_smap **out);
void ais_smap_hold(ais_smap *m);
void ais_smap_rele(ais_smap *m); /* frees at zero; accepts NULL */

/* Adds a node (copied). AIS_EEXIST if the id is already present. */
ais_err ais_smap_add(ais_smap *m, const ais_snode *sn);
/* Replaces the node with the same id. AIS_ENOENT if absent. */
ais_err ais_smap_update(ais_smap *m, const ais_snode *sn);
ais_err ais_smap_del(ais_smap *m, const char *id);
/* Lookup by id in both maps; NULL if absent. Borrowed from m. */
const ais_snode *ais_smap_get(const ais_smap *m, const char *id);
const ais_snode *ais_smap_primary(const ais_smap *m);
/* Finds a node (other than `except_id`, may be NULL) with the same public or
 * control address; NULL if none. */
const ais_snode *ais_smap_find_addr(const ais_smap *m, const ais_snode *sn,
    const char *except_id);
size_t ais_smap_count(const ais_smap *m); /* proxies + targets */

json_t *ais_smap_to_json(const ais_smap *m); /* new reference */
ais_err ais_smap_from_json(const json_t *j, ais_smap **out);
/* Compact JSON text, malloc'd (caller frees). NULL on ENOMEM. */
char *ais_smap_dumps(const ais_smap *m);
ais_err ais_smap_loads(const char *buf, size_t len, ais_smap **out);

#endif
