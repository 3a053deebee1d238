/*
 * Resilver: after the mountpath set of a target changed, move every object
 * whose HRW mountpath (over the new available set) is not the one it sits
 * on. A job of kind "resilver" in the node's job registry (core/xreg.h), so
 * the job API reports it.
 *
 * Lifecycle:
 *   start   -- the mountpath actor calls ais_resilver_start with the new set
 *              right after publishing it; a coordinator thread starts.
 *   walk    -- the coordinator first aborts and joins the previous resilver
 *              (two walks never move the same objects at once), then runs
 *              one jogger thread per walked mountpath (available and
 *              waiting_dd; disabled ones are left alone), like AIS's
 *              per-mountpath joggers. Each jogger walks
 *              <mp>/@<provider>/[<ns>/]<bucket>/%ob and moves misplaced
 *              objects. Waiting_dd mountpaths get a second pass at the end,
 *              which catches PUTs that were in flight on them.
 *   done    -- the job is finished (error text if some objects could not
 *              be moved) and AIS_MSG_RESILVER_DONE (ResilverDone) goes to
 *              the actor named in the options; the actor then frees it
 *              with ais_resilver_join_free.
 *
 * Invariants:
 *  1. An object is never lost or duplicated as visible state: within one
 *     filesystem it is renamed (atomic, RENAME_NOREPLACE); across
 *     filesystems it is copied with its metadata xattr (user.ais.lom),
 *     atime/mtime and fsync'ed to the destination's %wk, then renamed into
 *     place, and only then is the source unlinked. GET finds it throughout
 *     (http_obj_open tries every readable mountpath).
 *  2. A copy already at the destination (a PUT that landed there after the
 *     set changed, or an older copy left on a re-enabled mountpath) is
 *     resolved by mtime: the newer one stays, the older one is removed;
 *     a tie keeps the destination.
 *  3. No locks with the data path: (1) and (2) make every step safe
 *     against a concurrent PUT. A DELETE racing with a cross-filesystem
 *     copy of the same object can leave the copy behind (a narrow window;
 *     AIS takes the object's lock there).
 */
#ifndef AIS_ACTORS_NODE_RESILVER_H
#define AIS_ACTORS_NODE_RESILVER_H

#include <stdbool.h>
#include <stdint.h>

#include "actors/runtime/actor.h"
#include "core/err.h"
#include "core/mpset.h"

#define AIS_RESILVER_KIND "resilver"

typedef struct ais_resilver ais_resilver;

typedef struct ais_resilver_opts {
	act_rt *rt;        /* RESILVER_DONE goes here; NULL = no message */
	const char *actor; /* ... to this local actor */
	bool force_copy;   /* tests: copy even within one filesystem */
} ais_resilver_opts;

/* Starts a resilver towards set s (copied: s may go away afterwards).
 * prev (may be NULL) is aborted now and, on success, owned by the new
 * resilver, which joins and frees it before it walks; on failure prev stays
 * the caller's. Does not block. AIS_ENOMEM, AIS_EBUSY (job table full),
 * AIS_ESYS|errno (no thread). */
ais_err ais_resilver_start(const ais_mpset *s, ais_resilver *prev,
    const ais_resilver_opts *o, ais_resilver **out);
/* The job ID (lives with r). */
const char *ais_resilver_id(const ais_resilver *r);
/* Asks r to stop; its job ends aborted. Any thread. */
void ais_resilver_abort(ais_resilver *r, const char *why);
/* Waits until r (and what it chained) has finished, then frees it. Blocks
 * for at most one object move after an abort. Accepts NULL. */
void ais_resilver_join_free(ais_resilver *r);
/* Counters (final once joined): objects moved, objects that could not be
 * moved, stale copies removed. */
void ais_resilver_stats(
    const ais_resilver *r, int64_t *moved, int64_t *errors, int64_t *dropped);

#endif
