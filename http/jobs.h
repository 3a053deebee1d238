/*
 * Multi-object jobs (spec native-api.md sections 7 and 8) between the
 * proxy handlers (h_multiobj.c: accept, validate, broadcast) and the target
 * side (h_jobs.c: /v1/xactions, job_delete.c: the worker).
 *
 * Intra-cluster protocol (proxy -> every target, over the public network):
 *
 *   PUT    /v1/xactions/<bck>?provider=..[&namespace=..]   start a job
 *          body {"action":"<kind>","name":"<job id>","value":<the client's
 *          ActMsg value: objnames or template, ...>}  -> 200, the id as text
 *   GET    /v1/xactions?id=..&kind=..&running=true        this target's
 *          job snapshots -> 200, JSON array of AIS snapshots (core/xreg.h)
 *   DELETE /v1/xactions?id=..                             abort -> 200/404
 *
 * Each carries Ais-Caller-Id: <proxy id>. The proxy picks the job ID, so
 * every target registers the same ID and status queries aggregate by it.
 */
#ifndef AIS_HTTP_JOBS_H
#define AIS_HTTP_JOBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "actors/node/node.h"
#include "core/err.h"
#include "core/template.h"
#include "core/xreg.h"

#define HTTP_JOB_DELETE "delete-listrange"
#define HTTP_JOB_EVICT  "evict-listrange"

/* The object selector of a multi-object job ("ListRange"): explicit names,
 * or a template (range, prefix, or everything). */
typedef struct http_lrange {
	json_t *names; /* held array of strings, or NULL for the template */
	ais_tmpl tmpl; /* parsed when names is NULL */
} http_lrange;

/* Parses {"objnames":[...]} / {"template":"..."} (keys case-insensitive;
 * a non-empty objnames wins; neither = the whole bucket). Object names are
 * validated. AIS_EINVAL with one line in errbuf; AIS_ENOMEM. */
ais_err http_lrange_parse(
    const json_t *value, http_lrange *lr, char *errbuf, size_t errlen);
void http_lrange_fini(http_lrange *lr); /* accepts a zeroed lr */

/* Target: registers delete job `id` for bucket bck in ais_xreg_node() and
 * runs it on a detached thread: every selected object this target owns by
 * HRW (for a prefix template: every local object with the prefix) is
 * unlinked; missing ones are skipped. Takes ownership of lr on success
 * (on failure lr is left to the caller). AIS_EEXIST (id taken), AIS_EBUSY
 * (registry full), AIS_EAGAIN (no Smap, no thread), AIS_ENOMEM. */
ais_err http_job_delete_start(
    ais_node *n, const char *id, const ais_xact_bck *bck, http_lrange *lr);

#endif
