/*
 * Jobs over HTTP.
 *
 * /v1/xactions (targets, intra-cluster; protocol in http/jobs.h): start a
 * multi-object job under the proxy's job ID, report this target's job
 * snapshots, abort a job.
 *
 * GET /v1/cluster?what=status|status_all|running_all|qryxstats (spec
 * native-api.md sections 8.2, 8.3): a proxy asks every target for its
 * snapshots (GET /v1/xactions, in parallel) and aggregates them; a target
 * asked directly answers from its own registry. The job state lives only
 * on the targets that run the jobs -- a proxy keeps none, so any proxy can
 * answer and a restarted proxy forgets nothing.
 *
 * Aggregated status of one job (nl.Status): end_time is 0 while any
 * target still runs it, else the latest end; aborted if any target
 * aborted; err the first error reported.
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

#define HJ_CT_JSON          "application/json"
#define HJ_CT_TEXT          "text/plain; charset=utf-8"
#define HJ_QUERY_TIMEOUT_MS 10000

/* A job query (xact.QueryMsg / ArgsMsg, keys case-insensitive). */
typedef struct hj_query {
	char id[AIS_XACT_ID_MAX + 1];
	char kind[AIS_XACT_KIND_MAX + 1];
	char node[AIS_ID_MAX + 1];
	ais_xact_bck bck;
	bool only_running;
} hj_query;

/* Snapshots gathered from the targets, each with its target's ID. */
typedef struct hj_snaps {
	ais_xact_snap *s;
	char (*tid)[AIS_ID_MAX + 1];
	size_t n;
	size_t cap;
} hj_snaps;

static void
hj_snaps_fini(hj_snaps *ss)
{
	free(ss->s);
	free(ss->tid);
	memset(ss, 0, sizeof(*ss));
}

static ais_err
hj_snaps_add(hj_snaps *ss, const ais_xact_snap *s, const char *tid)
{
	if (ss->n == ss->cap) {
		size_t cap = ss->cap == 0 ? 16 : ss->cap * 2;
		ais_xact_snap *ns = realloc(ss->s, cap * sizeof(*ns));
		char(*nt)[AIS_ID_MAX + 1];

		if (ns == NULL) {
			return AIS_ENOMEM;
		}
		ss->s = ns;
		nt = realloc(ss->tid, cap * sizeof(*nt));
		if (nt == NULL) {
			return AIS_ENOMEM;
		}
		ss->tid = nt;
		ss->cap = cap;
	}
	ss->s[ss->n] = *s;
	snprintf(ss->tid[ss->n], sizeof(ss->tid[0]), "%s", tid);
	ss->n++;
	return AIS_OK;
}

static void
hj_copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src == NULL ? "" : src);
}

/* The query of a request body; "" fields match all. false after a 400. */
static bool
hj_query_parse(http_req *r, hj_query *q)
{
	json_t *j;
	json_error_t jerr;
	const json_t *bck;
	bool b;

	memset(q, 0, sizeof(*q));
	if (r->body_len == 0) {
		return true;
	}
	j = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, &jerr);
	if (j == NULL) {
		http_reply_err(
		    r, 400, "invalid JSON in request body: %s", jerr.text);
		return false;
	}
	if (json_is_object(j)) {
		const json_t *v = ais_json_get_ci(j, "value");

		/* an ActMsg around the args is tolerated */
		if (json_is_object(v)
		    && ais_json_get_ci(j, "action") != NULL) {
			json_t *inner = json_incref((json_t *) v);
			json_decref(j);
			j = inner;
		}
		hj_copy(q->id, sizeof(q->id), ais_json_str(j, "id"));
		hj_copy(q->kind, sizeof(q->kind), ais_json_str(j, "kind"));
		hj_copy(q->node, sizeof(q->node), ais_json_str(j, "node"));
		if (q->node[0] == '\0') {
			hj_copy(q->node, sizeof(q->node),
			    ais_json_str(j, "daemonid"));
		}
		if ((ais_json_bool(j, "show_active", &b) == AIS_OK && b)
		    || (ais_json_bool(j, "onlyrunning", &b) == AIS_OK && b)) {
			q->only_running = true;
		}
		bck = ais_json_get_ci(j, "bck");
		if (json_is_object(bck)) {
			const char *p = ais_json_str(bck, "provider");

			hj_copy(q->bck.name, sizeof(q->bck.name),
			    ais_json_str(bck, "name"));
			if (p != NULL && p[0] != '\0'
			    && ais_provider_norm(p) != NULL) {
				hj_copy(q->bck.provider,
				    sizeof(q->bck.provider),
				    ais_provider_norm(p));
			}
		}
	}
	json_decref(j);
	return true;
}

static bool
hj_match(const hj_query *q, const ais_xact_snap *s, const char *tid)
{
	if (q->id[0] != '\0' && strcmp(q->id, s->id) != 0) {
		return false;
	}
	if (q->kind[0] != '\0' && strcmp(q->kind, s->kind) != 0) {
		return false;
	}
	if (q->node[0] != '\0' && strcmp(q->node, tid) != 0) {
		return false;
	}
	if (q->only_running && s->end_ns != 0) {
		return false;
	}
	if (q->bck.name[0] != '\0'
	    && (strcmp(q->bck.name, s->bck.name) != 0
	        || (q->bck.provider[0] != '\0'
	            && strcmp(q->bck.provider, s->bck.provider) != 0))) {
		return false;
	}
	return true;
}

/* Appends a target's JSON array of snapshots (the matching ones). */
static ais_err
hj_snaps_parse(hj_snaps *ss, const char *body, size_t len, const char *tid,
    const hj_query *q)
{
	json_t *arr = json_loadb(body, len, 0, NULL);
	size_t i;
	json_t *v;
	ais_err err = AIS_OK;

	if (!json_is_array(arr)) {
		json_decref(arr);
		return AIS_EPROTO;
	}
	json_array_foreach(arr, i, v)
	{
		ais_xact_snap s;

		if (ais_xact_snap_from_json(v, &s) != AIS_OK) {
			err = AIS_EPROTO;
			break;
		}
		if (hj_match(q, &s, tid)
		    && (err = hj_snaps_add(ss, &s, tid)) != AIS_OK) {
			break;
		}
	}
	json_decref(arr);
	return err;
}

/* This node's own matching snapshots (a target). */
static ais_err
hj_gather_local(http_req *r, const hj_query *q, hj_snaps *ss)
{
	ais_xreg *reg = ais_xreg_node();
	ais_xact_query xq = {
		.id = q->id, .kind = q->kind, .only_running = q->only_running
	};
	ais_xact_snap *snaps = NULL;
	size_t n = 0;
	ais_err err;

	if (reg == NULL) {
		return AIS_ENOMEM;
	}
	err = ais_xreg_query(reg, &xq, &snaps, &n);
	for (size_t i = 0; err == AIS_OK && i < n; i++) {
		if (hj_match(q, &snaps[i], r->node->self.id)) {
			err = hj_snaps_add(ss, &snaps[i], r->node->self.id);
		}
	}
	free(snaps);
	return err;
}

/* Every target's matching snapshots. Targets that do not answer are
 * skipped (logged); false after replying when none answers or on ENOMEM. */
static bool
hj_gather(http_req *r, const hj_query *q, hj_snaps *ss)
{
	char path[256];
	char id[3 * AIS_XACT_ID_MAX + 1] = "";
	char kind[3 * AIS_XACT_KIND_MAX + 1] = "";
	http_fanout f;
	size_t answered = 0;
	ais_err err;

	memset(ss, 0, sizeof(*ss));
	if (r->node->role == AIS_ROLE_TARGET) {
		err = hj_gather_local(r, q, ss);
		if (err != AIS_OK) {
			hj_snaps_fini(ss);
			http_reply_aerr(
			    r, err, "job query: %s", ais_strerror(err));
			return false;
		}
		return true;
	}
	(void) http_client_escape(q->id, id, sizeof(id));
	(void) http_client_escape(q->kind, kind, sizeof(kind));
	snprintf(path, sizeof(path), "/v1/xactions?id=%s&kind=%s%s", id, kind,
	    q->only_running ? "&running=true" : "");
	err = http_fanout_run(
	    r->node, "GET", path, NULL, 0, NULL, HJ_QUERY_TIMEOUT_MS, &f);
	if (err != AIS_OK) {
		http_reply_aerr(r, err, "job query: %s",
		    err == AIS_EAGAIN ? "cluster map not ready yet"
		                      : ais_strerror(err));
		return false;
	}
	for (size_t i = 0; i < f.n; i++) {
		const http_creq *c = &f.reqs[i];
		char why[300];

		if (c->err != AIS_OK || c->status != 200) {
			http_creq_errmsg(c, why, sizeof(why));
			AIS_LOGW("AIS-XACT-QUERY", "t[%s]: %s",
			    f.smap->targets[i].id, why);
			continue;
		}
		err = hj_snaps_parse(
		    ss, c->resp, c->resp_len, f.smap->targets[i].id, q);
		if (err == AIS_ENOMEM) {
			http_fanout_fini(&f);
			hj_snaps_fini(ss);
			http_reply_aerr(r, err, "out of memory");
			return false;
		}
		if (err != AIS_OK) {
			AIS_LOGW("AIS-XACT-QUERY", "t[%s]: bad snapshots",
			    f.smap->targets[i].id);
			continue;
		}
		answered++;
	}
	if (answered == 0 && f.n > 0) {
		http_fanout_fini(&f);
		hj_snaps_fini(ss);
		http_reply_err(r, 503, "job query: no target answered");
		return false;
	}
	http_fanout_fini(&f);
	return true;
}

/* nl.Status of job `id` over every snapshot of it. */
static json_t *
hj_status_json(const hj_snaps *ss, const char *id)
{
	const char *kind = "";
	const char *err = "";
	int64_t end = 0;
	bool running = false;
	bool aborted = false;

	for (size_t i = 0; i < ss->n; i++) {
		const ais_xact_snap *s = &ss->s[i];

		if (strcmp(s->id, id) != 0) {
			continue;
		}
		kind = s->kind;
		if (s->end_ns == 0) {
			running = true;
		} else if (s->end_ns > end) {
			end = s->end_ns;
		}
		aborted = aborted || s->aborted;
		if (err[0] == '\0') {
			err = s->err[0] != '\0' ? s->err : s->abort_err;
		}
	}
	if (running) {
		end = 0;
	}
	return json_pack("{s:s,s:s,s:s,s:I,s:b,s:b}", "kind", kind, "uuid", id,
	    "err", err, "end_time", (json_int_t) end, "aborted", aborted,
	    "is_idle", !running);
}

static void
hj_reply_json(http_req *r, json_t *j)
{
	char *body = j == NULL ? NULL : json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (body == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "out of memory");
		return;
	}
	http_reply_take(r, 200, HJ_CT_JSON, body, strlen(body), NULL);
}

/* Index of the first snapshot of each distinct job, in gathered order. */
static bool
hj_first_of(const hj_snaps *ss, size_t i)
{
	for (size_t k = 0; k < i; k++) {
		if (strcmp(ss->s[k].id, ss->s[i].id) == 0) {
			return false;
		}
	}
	return true;
}

static void
hj_status(http_req *r, const hj_query *q, hj_snaps *ss)
{
	const char *id = q->id;

	if (id[0] == '\0') {
		/* kind only: the latest job of that kind */
		size_t best = 0;

		if (ss->n == 0) {
			goto missing;
		}
		for (size_t i = 1; i < ss->n; i++) {
			if (ss->s[i].start_ns > ss->s[best].start_ns) {
				best = i;
			}
		}
		id = ss->s[best].id;
	} else {
		bool found = false;

		for (size_t i = 0; i < ss->n && !found; i++) {
			found = strcmp(ss->s[i].id, id) == 0;
		}
		if (!found) {
			goto missing;
		}
	}
	hj_reply_json(r, hj_status_json(ss, id));
	return;
missing:
	if (q->id[0] != '\0') {
		http_reply_err(r, 404, "job \"%s\" not found", q->id);
	} else {
		http_reply_err(r, 404, "no jobs of kind \"%s\"", q->kind);
	}
}

static void
hj_status_all(http_req *r, hj_snaps *ss)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < ss->n; i++) {
		if (hj_first_of(ss, i)
		    && json_array_append_new(
		           arr, hj_status_json(ss, ss->s[i].id))
		        != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	hj_reply_json(r, arr);
}

static void
hj_running_all(http_req *r, hj_snaps *ss)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < ss->n; i++) {
		char s[AIS_XACT_KIND_MAX + AIS_XACT_ID_MAX + 4];

		if (ss->s[i].end_ns != 0 || !hj_first_of(ss, i)) {
			continue;
		}
		snprintf(s, sizeof(s), "%s[%s]", ss->s[i].kind, ss->s[i].id);
		if (json_array_append_new(arr, json_string(s)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	hj_reply_json(r, arr);
}

static void
hj_qryxstats(http_req *r, hj_snaps *ss)
{
	json_t *obj;

	if (ss->n == 0) {
		http_reply_err(r, 404, "no matching jobs");
		return;
	}
	obj = json_object();
	for (size_t i = 0; obj != NULL && i < ss->n; i++) {
		json_t *arr = json_object_get(obj, ss->tid[i]);

		if (arr == NULL) {
			arr = json_array();
			if (arr == NULL
			    || json_object_set_new(obj, ss->tid[i], arr)
			        != 0) {
				json_decref(obj);
				obj = NULL;
				break;
			}
		}
		if (json_array_append_new(
		        arr, ais_xact_snap_to_json(&ss->s[i]))
		    != 0) {
			json_decref(obj);
			obj = NULL;
		}
	}
	hj_reply_json(r, obj);
}

void
http_jobs_query(http_req *r, const char *what)
{
	hj_query q;
	hj_snaps ss;
	bool status = strcmp(what, "status") == 0;

	if (!hj_query_parse(r, &q)) {
		return;
	}
	if (status && q.id[0] == '\0' && q.kind[0] == '\0') {
		http_reply_err(
		    r, 400, "what=status: the job ID or kind is required");
		return;
	}
	if (strcmp(what, "running_all") == 0) {
		q.only_running = true;
	}
	if (!hj_gather(r, &q, &ss)) {
		return;
	}
	if (status) {
		hj_status(r, &q, &ss);
	} else if (strcmp(what, "status_all") == 0) {
		hj_status_all(r, &ss);
	} else if (strcmp(what, "running_all") == 0) {
		hj_running_all(r, &ss);
	} else {
		hj_qryxstats(r, &ss);
	}
	hj_snaps_fini(&ss);
}

/* /v1/xactions on targets ----------------------------------------------------
 */

/* PUT /v1/xactions/<bck>: start a job the proxy has accepted. */
static void
hj_start(http_req *r)
{
	const char *seg = r->path.nsegs >= 3 ? r->path.segs[2] : "";
	const char *p = http_query_get(&r->query, "provider");
	const char *ns = http_query_get(&r->query, "namespace");
	json_t *msg;
	const char *kind;
	const char *id;
	ais_xact_bck bck;
	http_lrange lr;
	char eb[300];
	char cname[AIS_BCK_NAME_MAX + 100];
	ais_err err;

	memset(&bck, 0, sizeof(bck));
	if (ais_provider_norm(p) == NULL || ais_bckname_check(seg) != AIS_OK) {
		http_reply_err(r, 400, "invalid bucket \"%s\" (provider %s)",
		    seg, p == NULL ? "ais" : p);
		return;
	}
	hj_copy(bck.provider, sizeof(bck.provider), ais_provider_norm(p));
	hj_copy(bck.name, sizeof(bck.name), seg);
	if (ns != NULL && ns[0] != '\0' && strcmp(ns, "@#") != 0) {
		snprintf(bck.ns, sizeof(bck.ns), "%s%s",
		    ns[0] == '@' ? "" : "@", ns);
	}
	http_lso_cname(bck.provider, bck.ns, bck.name, cname, sizeof(cname));
	msg = json_loadb(r->body, r->body_len, 0, NULL);
	kind = ais_json_str(msg, "action");
	id = ais_json_str(msg, "name");
	if (kind == NULL || id == NULL || !ais_xact_id_valid(id)) {
		json_decref(msg);
		http_reply_err(r, 400,
		    "start job on %s: expected {\"action\": kind, \"name\": "
		    "job ID, \"value\": ...}",
		    cname);
		return;
	}
	if (strcmp(kind, HTTP_JOB_DELETE) != 0) {
		http_reply_err(r, 501, "%s %s: not supported on targets yet",
		    kind, cname);
		json_decref(msg);
		return;
	}
	err = http_lrange_parse(
	    ais_json_get_ci(msg, "value"), &lr, eb, sizeof(eb));
	if (err != AIS_OK) {
		json_decref(msg);
		http_reply_aerr(r, err, "%s %s: %s", kind, cname, eb);
		return;
	}
	err = http_job_delete_start(r->node, id, &bck, &lr);
	if (err != AIS_OK) {
		http_lrange_fini(&lr);
		http_reply_aerr(r, err, "t[%s]: cannot start %s[%s] on %s: %s",
		    r->node->self.id, kind, id, cname, ais_strerror(err));
		json_decref(msg);
		return;
	}
	AIS_LOGI("AIS-XACT-START", "%s[%s] on %s (from %s)", kind, id, cname,
	    r->caller);
	http_reply(r, 200, HJ_CT_TEXT, id, strlen(id), NULL);
	json_decref(msg);
}

/* GET /v1/xactions?id=&kind=&running=: this target's snapshots. */
static void
hj_list(http_req *r)
{
	ais_xreg *reg = ais_xreg_node();
	ais_xact_query q;
	ais_xact_snap *snaps = NULL;
	size_t n = 0;
	json_t *arr;
	ais_err err;

	if (reg == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "out of memory");
		return;
	}
	memset(&q, 0, sizeof(q));
	q.id = http_query_get(&r->query, "id");
	q.kind = http_query_get(&r->query, "kind");
	q.only_running = http_query_bool(&r->query, "running");
	err = ais_xreg_query(reg, &q, &snaps, &n);
	if (err != AIS_OK) {
		http_reply_aerr(r, err, "job query: %s", ais_strerror(err));
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr != NULL && i < n; i++) {
		if (json_array_append_new(
		        arr, ais_xact_snap_to_json(&snaps[i]))
		    != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	free(snaps);
	hj_reply_json(r, arr);
}

/* DELETE /v1/xactions?id=: abort. */
static void
hj_abort(http_req *r)
{
	const char *id = http_query_get(&r->query, "id");
	ais_xreg *reg = ais_xreg_node();
	ais_xact *x;

	if (reg == NULL || id == NULL
	    || (x = ais_xreg_find(reg, id)) == NULL) {
		http_reply_err(
		    r, 404, "job %s not found", id == NULL ? "" : id);
		return;
	}
	(void) ais_xact_abort(x, "aborted by request");
	ais_xact_rele(x);
	http_reply(r, 200, NULL, NULL, 0, NULL);
}

void
http_h_xactions(http_req *r)
{
	if (r->node->role != AIS_ROLE_TARGET) {
		http_reply_err(r, 400,
		    "%s %s: intra-cluster job requests go to targets",
		    r->method_str, r->url_path);
		return;
	}
	switch (r->method) {
	case HTTP_M_PUT:
		hj_start(r);
		return;
	case HTTP_M_GET:
		hj_list(r);
		return;
	case HTTP_M_DELETE:
		hj_abort(r);
		return;
	default:
		http_reply_err(r, 405, "%s %s: method not allowed",
		    r->method_str, r->url_path);
		return;
	}
}
