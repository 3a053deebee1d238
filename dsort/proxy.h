/*
 * dSort on proxies: the proxy's "dsort" actor, which serves the job API of
 * spec native-api.md section 10 (/v1/sort: start, status, list, abort,
 * remove). http/h_sort.c parses the HTTP request into a DsortApiReq
 * (proto/dsort.proto), sends it here as AIS_MSG_DSORT_API_REQ and relays
 * the DsortApiResp (HTTP status, content type, body) as is; http/ never
 * calls dsort_* itself (STYLE.md section 1).
 *
 * Targets run their own "dsort" actor under the same name (dsort/job.h);
 * cmd/ starts this one on proxies and that one on targets.
 */
#ifndef AIS_DSORT_PROXY_H
#define AIS_DSORT_PROXY_H

#include "actors/node/node.h"
#include "core/err.h"

/* Starts the proxy-side "dsort" actor under sup (a no-op on a target). n
 * must outlive the supervisor. */
ais_err ais_dsort_proxy_start_actors(act_sup *sup, ais_node *n);

#endif
