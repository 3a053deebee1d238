/*
 * The "mpath" actor of a target: the one writer of its mountpath set
 * (core/mpset.h) and of the persisted state <confdir>/.ais.vmd.
 *
 * AIS_MSG_MPATH_REQ (MpathReq) -> AIS_MSG_MPATH_RESP (MpathResp): one
 * mountpath action, sent by http/h_mountpaths.c (local, act_call with
 * node_url NULL). Errors come back as the reply status with a message that
 * names the mountpath; http/ only maps the status:
 *   attach-mp   cleaned path must be an existing directory, not attached,
 *               not nested in/around an attached one (EINVAL, EEXIST), and
 *               not marked as another target's (xattr user.ais.daemon_id,
 *               ECONFLICT); gets our ID in that xattr; enabled.
 *   enable-mp   disabled (or waiting_dd: the detach is cancelled) ->
 *               available. Already available: no change.
 *   disable-mp  available -> disabled at once; its objects stay on it and
 *               are not served until it is enabled again.
 *   detach-mp   available -> waiting_dd; resilver moves its objects off and
 *               its RESILVER_DONE removes it from the set (its directory
 *               tree stays on disk). A disabled one, or any with dntres, is
 *               removed at once.
 *   rescan-mp   attached -> resilver again (no set change).
 *   fshc-mp     attached -> probe it (stat, create + remove a file); a
 *               failing available one is disabled.
 * ENOENT for a mountpath that is not attached; EINVAL for taking away the
 * last available mountpath. Every change is persisted (atomically) before
 * the new set is published, and starts a resilver unless dont_resilver;
 * a new resilver aborts the running one.
 *
 * AIS_MSG_RESILVER_DONE (ResilverDone, one-way from resilver.c): when the
 * current resilver ended without errors or abort, the waiting_dd
 * mountpaths are removed from the set.
 */
#ifndef AIS_ACTORS_NODE_MPATH_H
#define AIS_ACTORS_NODE_MPATH_H

#include "actors/runtime/actor.h"

/* arg: ais_node *; targets only, after buckets. */
extern const act_ops ais_mpath_ops;

#endif
