/*
 * Global rebalance between targets (public side).
 *
 * When the set of targets that own data changes (a target joins, leaves,
 * enters or leaves maintenance), every object's HRW owner may change. Each
 * target then runs rebalance job "g<Smap version>" (kind "rebalance" in the
 * node's job registry): it walks its mountpaths and streams every object it
 * no longer owns, with its metadata, to the new owner, and deletes its copy
 * once the owner has it. Meanwhile a GET that lands on the new owner before
 * the object does is served by fetching the object from where it was
 * (get-from-neighbor, http/obj_gfn.c), so reads never fail because of a
 * rebalance.
 *
 * Actors (targets only; started by ais_reb_start_actors):
 *   "rebalance"   -- control: reacts to Smap changes (AIS_MSG_REB_SMAP from
 *                    ais_tgt_smap_changed), runs one job at a time (per-
 *                    mountpath sender threads), collects REB_DONE from the
 *                    other targets, answers REB_STATUS_REQ.
 *   "reb-recv-<i>"-- receivers: write incoming REB_CHUNKs into work files
 *                    and rename finished objects into place. A sender picks
 *                    the receiver by object digest, so one object's chunks
 *                    always go to the same one and receivers write in
 *                    parallel.
 */
#ifndef AIS_ACTORS_NODE_REBALANCE_H
#define AIS_ACTORS_NODE_REBALANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actors/node/node.h"

#define AIS_REB_KIND "rebalance"
#define AIS_REB_RECV_ACTORS 4 /* receive actors per target */

/* Starts the rebalance actors under sup on a target (a no-op on a proxy).
 * n must outlive the supervisor. */
ais_err ais_reb_start_actors(act_sup *sup, ais_node *n);

/* Name of receive actor i (0 <= i < AIS_REB_RECV_ACTORS): static string. */
const char *ais_reb_recv_name(size_t i);

/* True while get-from-neighbor should be tried for a local miss on this
 * target: a rebalance is running here, or one ended (or the eligible
 * targets changed) less than AIS_REB_GFN_WINDOW_S ago. Lock-free. */
#define AIS_REB_GFN_WINDOW_S 30
bool ais_reb_gfn_active(ais_node *n);

/* The public URLs of the targets that may hold an object with HRW digest
 * `digest` that this target should have: its owners under the previous
 * Smaps (newest first), then every other target of the current and
 * previous Smaps; never this node, no duplicates. Writes up to max URLs
 * into urls[] and returns how many. Never blocks on I/O. */
size_t ais_reb_gfn_sources(ais_node *n, uint64_t digest,
    char (*urls)[AIS_URL_MAX + 1], size_t max);

#endif
