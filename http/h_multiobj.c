/*
 * Multi-object jobs on a bucket, proxy side (spec native-api.md section 7):
 * DELETE /v1/buckets/<b> {"action":"delete-listrange","value":{"objnames":
 * [...]} | {"template":"..."}} -- the other list-range actions come later.
 *
 * The proxy validates the bucket and the selector, picks the job ID, sends
 * the job to every target (PUT /v1/xactions/<b>, http/jobs.h) in parallel
 * and answers the ID as plain text once every target has registered it, so
 * a status query right after never misses the job. If a target refuses or
 * does not answer, the job is aborted on the others and the client gets
 * the error. num-workers, coer and non-recurs are accepted and ignored
 * (one worker per target; errors never stop a delete; a prefix template
 * is always recursive).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bmd.h"
#include "core/fqn.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xreg.h"
#include "http/httpc.h"
#include "http/jobs.h"
#include "http/lso.h"
#include "http/server.h"

#define HM_START_TIMEOUT_MS 15000
#define HM_CT_TEXT          "text/plain; charset=utf-8"

/* Best effort: tell every target to drop job id. */
static void
hm_abort_all(http_req *r, const char *id)
{
	char path[128];
	http_fanout f;

	snprintf(path, sizeof(path), "/v1/xactions?id=%s", id);
	if (http_fanout_run(r->node, "DELETE", path, NULL, 0, NULL,
	        HM_START_TIMEOUT_MS, &f)
	    == AIS_OK) {
		http_fanout_fini(&f);
	}
}

void
http_multiobj(http_req *r, const char *action, json_t *msg)
{
	const char *seg = r->path.nsegs >= 3 ? r->path.segs[2] : "";
	const char *p = http_query_get(&r->query, "provider");
	const char *ns = http_query_get(&r->query, "namespace");
	const char *provider = ais_provider_norm(p);
	const json_t *value = ais_json_get_ci(msg, "value");
	char nsu[80] = "";
	char cname[AIS_BCK_NAME_MAX + 100];
	char path[AIS_BCK_NAME_MAX + 300];
	char ns_esc[240];
	char id[AIS_XACT_ID_LEN + 1];
	char eb[300];
	http_lrange lr;
	ais_bmd *bmd;
	bool have;
	json_t *job;
	char *body;
	http_fanout f;
	ais_err err;

	if (provider == NULL) {
		http_reply_err(r, 400, "invalid backend provider \"%s\"", p);
		return;
	}
	if (ns != NULL && ns[0] != '\0' && strcmp(ns, "@#") != 0) {
		snprintf(
		    nsu, sizeof(nsu), "%s%s", ns[0] == '@' ? "" : "@", ns);
	}
	http_lso_cname(provider, nsu, seg, cname, sizeof(cname));
	if (r->node->role != AIS_ROLE_PROXY) {
		http_reply_err(r, 400,
		    "%s %s: multi-object jobs go through a "
		    "proxy",
		    action, cname);
		return;
	}
	bmd = ais_node_bmd(r->node);
	have = bmd != NULL && ais_bmd_get(bmd, provider, nsu, seg) != NULL;
	ais_bmd_rele(bmd);
	if (!have) {
		http_reply_err(r, 404, "bucket \"%s\" does not exist", cname);
		return;
	}
	if (strcmp(action, HTTP_JOB_EVICT) == 0) {
		http_reply_err(r, 400,
		    "%s: cannot evict objects of %s: not a remote bucket",
		    action, cname);
		return;
	}
	if (strcmp(action, HTTP_JOB_DELETE) != 0) {
		http_reply_err(
		    r, 501, "%s %s: not supported yet", action, cname);
		return;
	}
	/* validate here: a bad selector is the client's 400, not N targets' */
	err = http_lrange_parse(value, &lr, eb, sizeof(eb));
	if (err != AIS_OK) {
		http_reply_aerr(r, err, "%s %s: %s", action, cname, eb);
		return;
	}
	http_lrange_fini(&lr);

	ais_xact_id_new(id);
	job = json_pack(
	    "{s:s,s:s,s:O?}", "action", action, "name", id, "value", value);
	body = job == NULL ? NULL : json_dumps(job, JSON_COMPACT);
	json_decref(job);
	if (body == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "out of memory");
		return;
	}
	if (nsu[0] != '\0'
	    && http_client_escape(nsu, ns_esc, sizeof(ns_esc))) {
		snprintf(path, sizeof(path),
		    "/v1/xactions/%s?provider=%s&namespace=%s", seg, provider,
		    ns_esc);
	} else {
		snprintf(path, sizeof(path), "/v1/xactions/%s?provider=%s",
		    seg, provider);
	}
	err = http_fanout_run(r->node, "PUT", path, body, strlen(body), NULL,
	    HM_START_TIMEOUT_MS, &f);
	free(body);
	if (err != AIS_OK) {
		http_reply_aerr(r, err, "%s %s: %s", action, cname,
		    err == AIS_EAGAIN ? "cluster map not ready yet"
		                      : ais_strerror(err));
		return;
	}
	if (f.n == 0) {
		http_fanout_fini(&f);
		http_reply_err(
		    r, 503, "%s %s: no targets in the cluster", action, cname);
		return;
	}
	for (size_t i = 0; i < f.n; i++) {
		const http_creq *q = &f.reqs[i];
		char why[400];
		char tid[AIS_ID_MAX + 1];
		int status;

		if (q->err == AIS_OK && q->status == 200) {
			continue;
		}
		http_creq_errmsg(q, why, sizeof(why));
		snprintf(tid, sizeof(tid), "%s", f.smap->targets[i].id);
		status
		    = q->err == AIS_OK && q->status >= 400 ? q->status : 503;
		http_fanout_fini(&f);
		AIS_LOGW("AIS-XACT-START", "%s[%s] %s: t[%s]: %s", action, id,
		    cname, tid, why);
		hm_abort_all(r, id);
		http_reply_err(
		    r, status, "%s %s: t[%s]: %s", action, cname, tid, why);
		return;
	}
	http_fanout_fini(&f);
	AIS_LOGI("AIS-XACT-START", "%s[%s] %s: started on every target",
	    action, id, cname);
	http_reply(r, 200, HM_CT_TEXT, id, strlen(id), NULL);
}
