/*
 * The node: what one aisnode process is -- its role and identity, its local
 * config, the published metadata snapshots (Smap, BMD, cluster config), the
 * actor runtime and supervisor. HTTP threads read the snapshots (never
 * block, never lock beyond a snapshot hold) and send control requests to the
 * node's actors; the actors alone publish new snapshots.
 *
 * Actors of a node (names are their mailbox names):
 *   "metasync"   -- installs received Smap/BMD/config versions (persist,
 *                   then publish; older ones ignored and logged); on the
 *                   primary, pushes every new version to all nodes.
 *   "membership" -- on the primary: handles joins, adds nodes to the Smap and
 *                   hands the new version to metasync. On other nodes: joins
 *                   the primary at startup (retrying), answers health/prr.
 */
#ifndef AIS_ACTORS_NODE_NODE_H
#define AIS_ACTORS_NODE_NODE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "actors/runtime/actor.h"
#include "actors/runtime/supervisor.h"
#include "core/bmd.h"
#include "core/config.h"
#include "core/hrw.h"
#include "core/mpset.h"
#include "core/smap.h"
#include "core/snapshot.h"

#define AIS_ACTOR_METASYNC "metasync"
#define AIS_ACTOR_MEMBERSHIP "membership"
#define AIS_ACTOR_BUCKETS "buckets"
#define AIS_ACTOR_REBALANCE "rebalance"
#define AIS_ACTOR_KEEPALIVE "keepalive"
#define AIS_ACTOR_DSORT "dsort"
#define AIS_ACTOR_MPATH "mpath"

/* Control-plane call timeout default (timeout.cplane_operation). */
#define AIS_CPLANE_TIMEOUT_MS 2000

typedef struct ais_node {
	ais_role role;
	ais_snode self;              /* this node's Snode */
	ais_local_config lcfg;       /* node-local config (flags applied) */
	_Atomic(ais_mpset *) mps;    /* target: current mountpath set */
	char primary_url[AIS_URL_MAX + 1]; /* bootstrap: primary's HTTP URL or
					    * NNG URL, "" = I am the primary */
	ais_snapslot smap;           /* ais_smap */
	ais_snapslot bmd;            /* ais_bmd */
	ais_snapslot ccfg;           /* ais_cconfig */
	act_rt *rt;
	act_sup *sup;
	int64_t start_ns;            /* CLOCK_REALTIME at start */
	atomic_bool joined;          /* in the cluster (primary: created it) */
	atomic_bool cluster_ready;   /* primary: startup finished (prr) */
	atomic_bool stopping;
	atomic_int exit_code;        /* process exit code once stopping */
	/* HA (actors/node/keepalive.c, membership.c): */
	_Atomic int64_t quorum_until_ms; /* primary: may change metadata
					  * until then (monotonic ms) */
	atomic_bool primary_lost;    /* keepalives to the primary failing */
	atomic_bool forget_meta;     /* decommissioned: drop Smap/BMD/config
				      * at exit instead of saving them */
} ais_node;

/* Monotonic milliseconds. */
int64_t ais_node_now_ms(void);
/* timeout.cplane_operation of the current cluster config, in ms. */
int64_t ais_node_cplane_ms(ais_node *n);
/* Primary: true while it has heard from a majority of the proxies of its
 * Smap recently (always, with one proxy). The rule and why: keepalive.c. */
bool ais_node_has_quorum(ais_node *n);
/* A new primary's first quorum, for one keepalive window: the votes that
 * elected it, or the old primary that handed over (it had quorum). */
void ais_node_quorum_grant(ais_node *n);

/* Commits new metadata versions made by an actor of the primary: hands any
 * of Smap, BMD and config (NULL = unchanged) to the local metasync, which
 * persists and publishes them and pushes them to every node. Blocks up to
 * timeout_ms; returns metasync's verdict. */
ais_err ais_node_meta_commit(ais_node *n, const ais_smap *m,
    const ais_bmd *b, const ais_cconfig *c, const char *reason,
    int timeout_ms);

/* Asks the process to shut down in order (as on SIGTERM) with exit `code`;
 * callable from any thread. The first non-zero code wins. */
void ais_node_shutdown(ais_node *n, int code);

/* Initializes the three snapshot slots (empty). */
void ais_node_snapslots_init(ais_node *n);
void ais_node_snapslots_fini(ais_node *n);

/* Snapshot accessors: a held reference (release with *_rele) or NULL. */
ais_smap *ais_node_smap(ais_node *n);
ais_bmd *ais_node_bmd(ais_node *n);
ais_cconfig *ais_node_ccfg(ais_node *n);
/* True if this node is the primary in the current Smap. */
bool ais_node_is_primary(ais_node *n);
/* Target: called by metasync right after a new BMD is published; removes
 * the on-disk data of buckets the new BMD no longer has (actors/node/
 * tgt_bmd.c). old may be NULL. */
void ais_tgt_bmd_changed(ais_node *n, const ais_bmd *old, const ais_bmd *nw);
/* Target: called by metasync right after a new Smap is published (old may
 * be NULL); starts a global rebalance when the set of targets that own data
 * changed (actors/node/rebalance.c). */
void ais_tgt_smap_changed(ais_node *n, const ais_smap *old,
    const ais_smap *nw);
/* Target startup: removes, in the background, what a previous run left in
 * the mountpaths' trash. */
void ais_tgt_trash_sweep(ais_node *n);

/* Target: the current mountpath set (never NULL after startup on a target;
 * an empty set on proxies). Valid until the process exits (core/mpset.h):
 * hold the pointer for a whole request and use one set throughout. */
const ais_mpset *ais_node_mpset(ais_node *n);
/* Publishes s as the current set (the old one is retired, not freed).
 * Only startup and the mountpath actor call this. */
void ais_node_mpset_publish(ais_node *n, ais_mpset *s);

/* Paths of the persisted files in the node's confdir. */
void ais_node_meta_path(const ais_node *n, const char *what, char *buf,
    size_t len); /* what: "smap" | "bmd" | "conf" */

#endif
