/*
 * One bucket change (create-bck, destroy-bck, set-bprops, reset-bprops)
 * sent from any thread of a proxy to the primary's "buckets" actor, shared
 * by the native API (http/h_buckets.c), the S3 facade (http/s3/s3_bck.c)
 * and the dSort API actor (dsort/proxy.c: output buckets). After
 * the primary commits, waits (bounded) until this proxy's own BMD has the
 * new version, so a read through the same proxy sees the change.
 */
#ifndef AIS_ACTORS_NODE_BCK_CLIENT_H
#define AIS_ACTORS_NODE_BCK_CLIENT_H

#include <stddef.h>

#include "actors/node/node.h"
#include "core/err.h"

#define AIS_BCK_CALL_MS 15000 /* the primary may be pushing to a dead node */

/* value_json: the action's value as JSON text, or NULL. cname names the
 * bucket in messages ("ais://b"). On failure errbuf holds one line ready
 * for a reply: the primary's own message (AIS wording, e.g. `bucket
 * "ais://b" already exists`) or what went wrong reaching it. Returns the
 * primary's status, AIS_EAGAIN when no primary could take it now (unknown,
 * not primary any more, unreachable), or a transport error. Blocks up to
 * AIS_BCK_CALL_MS plus the BMD wait. */
ais_err ais_bck_change(ais_node *n, const char *provider, const char *ns,
    const char *name, const char *cname, const char *action,
    const char *value_json, char *errbuf, size_t errlen);

#endif
