/*
 * dSort job API on proxies (spec native-api.md section 10):
 *   POST   /v1/sort                 body = request spec -> job ID (text)
 *   GET    /v1/sort?uuid=<id>       -> {"<tid>": JobInfo, ...}
 *   GET    /v1/sort[?regex=&only_active=true]  -> [JobInfo, ...]
 *   DELETE /v1/sort/abort?uuid=<id> -> abort on every target
 *   DELETE /v1/sort?uuid=<id>       -> remove a finished job's state
 *
 * The proxy keeps no job state: it validates the spec (dsort/spec.h), makes
 * sure the buckets are there, names the job and its coordinator (HRW over
 * the job ID among the targets), and fans the request out to the "dsort"
 * actor of every target over NNG (act_call_many). Status and list are
 * collected from the targets on every call, so any proxy answers and a
 * restarted proxy forgets nothing -- the same split as h_jobs.c.
 *
 * Target contract (the "dsort" actor, dsort/job*.c):
 *   DSORT_START{job_id, spec_json, coordinator, smap_version} -> ACK
 *   DSORT_STATUS{job_id, only_active} -> DSORT_STATUS_RESP{jobinfo_json}:
 *     one JobInfo, status ENOENT where the job is unknown; job_id "" -> a
 *     JSON array of JobInfo
 *   DSORT_ABORT{job_id} -> ACK; DSORT_REMOVE{job_id} -> ACK (EBUSY while
 *     the job runs)
 *
 * Per-target answers of GET ?uuid= are AIS's JobInfo with the keys of its
 * "Metrics" object repeated at the top level: current AIS clients read
 * JobInfo, the Python SDK 1.2.2 reads the flat Metrics shape (AIS before
 * Aug 2023, sdk-wire-transcript.md "Version drift"), and each ignores the
 * other's keys.
 *
 * This file includes dsort/ (spec parsing and the JobInfo codec), which
 * tests/check_includes.sh allows for http -> dsort only.
 */
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bmd.h"
#include "core/hrw.h"
#include "core/log.h"
#include "core/xreg.h"
#include "dsort/metrics.h"
#include "dsort/spec.h"
#include "http/bck_change.h"
#include "http/lso.h"
#include "http/server.h"
#include "proto/msg.h"

#define HS_CT_JSON   "application/json"
#define HS_CT_TEXT   "text/plain; charset=utf-8"
#define HS_ERR_MAX   512
#define HS_CNAME_MAX (AIS_BCK_NAME_MAX + 100)

/* One fan-out to the "dsort" actor of every target of the Smap. */
typedef struct hs_fanout {
	size_t n;
	char (*tids)[AIS_ID_MAX + 1];
	ais_err *res;        /* transport status */
	act_reply_buf *reps; /* the targets' replies */
} hs_fanout;

static void
hs_fanout_fini(hs_fanout *f)
{
	for (size_t i = 0; f->reps != NULL && i < f->n; i++) {
		act_reply_buf_fini(&f->reps[i]);
	}
	free(f->tids);
	free(f->res);
	free(f->reps);
	memset(f, 0, sizeof(*f));
}

/* Status of target i's answer: its transport error, else its handler's. */
static ais_err
hs_fanout_status(const hs_fanout *f, size_t i)
{
	return f->res[i] != AIS_OK ? f->res[i] : f->reps[i].status;
}

static const char *
hs_fanout_msg(const hs_fanout *f, size_t i)
{
	if (f->res[i] == AIS_OK && f->reps[i].errmsg != NULL
	    && f->reps[i].errmsg[0] != '\0') {
		return f->reps[i].errmsg;
	}
	return ais_strerror(hs_fanout_status(f, i));
}

/* Sends (type, buf) to every target of m; blocks up to the cplane
 * timeout. AIS_ENOENT if the Smap has no targets, AIS_ENOMEM. */
static ais_err
hs_fanout_run(ais_node *n, const ais_smap *m, uint32_t type, const void *buf,
    size_t len, hs_fanout *f)
{
	const char **urls;

	memset(f, 0, sizeof(*f));
	if (m->ntargets == 0) {
		return AIS_ENOENT;
	}
	f->n = m->ntargets;
	f->tids = calloc(f->n, sizeof(*f->tids));
	f->res = calloc(f->n, sizeof(*f->res));
	f->reps = calloc(f->n, sizeof(*f->reps));
	urls = calloc(f->n, sizeof(*urls));
	if (f->tids == NULL || f->res == NULL || f->reps == NULL
	    || urls == NULL) {
		free(urls);
		hs_fanout_fini(f);
		return AIS_ENOMEM;
	}
	for (size_t i = 0; i < f->n; i++) {
		urls[i] = m->targets[i].ctrl.url;
		snprintf(
		    f->tids[i], sizeof(f->tids[i]), "%s", m->targets[i].id);
	}
	act_call_many(n->rt, urls, f->n, AIS_ACTOR_DSORT, type, buf, len,
	    (int) ais_node_cplane_ms(n), f->res, f->reps);
	free(urls);
	return AIS_OK;
}

/* DSORT_STATUS / ABORT / REMOVE carry a DsortJobReq. */
static ais_err
hs_fanout_job(ais_node *n, const ais_smap *m, uint32_t type, const char *id,
    bool only_active, hs_fanout *f)
{
	Ais__DsortJobReq rq = AIS__DSORT_JOB_REQ__INIT;
	uint8_t buf[DSORT_JOB_ID_MAX + 32];

	rq.job_id = (char *) id;
	rq.only_active = only_active;
	if (ais__dsort_job_req__get_packed_size(&rq) > sizeof(buf)) {
		return AIS_EINVAL;
	}
	return hs_fanout_run(
	    n, m, type, buf, ais__dsort_job_req__pack(&rq, buf), f);
}

/* The Smap or a 503; NULL after answering. */
static ais_smap *
hs_smap(http_req *r)
{
	ais_smap *m = ais_node_smap(r->node);

	if (m == NULL) {
		http_reply_err(r, 503, "dsort: cluster map is not known yet");
	}
	return m;
}

/* uuid query parameter, validated; NULL after answering 400. */
static const char *
hs_uuid(http_req *r, const char *what)
{
	const char *id = http_query_get(&r->query, "uuid");

	if (id == NULL || id[0] == '\0') {
		http_reply_err(r, 400,
		    "%s dsort job: missing \"uuid\" query "
		    "parameter",
		    what);
		return NULL;
	}
	if (strlen(id) > DSORT_JOB_ID_MAX) {
		http_reply_err(r, 400,
		    "%s dsort job: invalid uuid \"%.*s...\"", what, 32, id);
		return NULL;
	}
	return id;
}

/* Start ------------------------------------------------------------------- */

static void
hs_cname(const dsort_bck *b, char *buf, size_t len)
{
	/* dsort_bck.ns is "" or "@uuid#name", as the BMD's namespaces */
	http_lso_cname(b->provider, b->ns, b->name, buf, len);
}

/* Sends DSORT_ABORT for id everywhere, ignoring the answers (cleanup after
 * a refused start). */
static void
hs_abort_quiet(ais_node *n, const ais_smap *m, const char *id)
{
	hs_fanout f;

	if (hs_fanout_job(n, m, AIS_MSG_DSORT_ABORT, id, false, &f)
	    == AIS_OK) {
		hs_fanout_fini(&f);
	}
}

/* Output bucket: created through the primary when missing (AIS creates it
 * too). false after answering. */
static bool
hs_output_bck(http_req *r, const dsort_bck *b)
{
	char cname[HS_CNAME_MAX];
	char ebuf[HS_ERR_MAX];
	ais_bmd *bmd = ais_node_bmd(r->node);
	bool have = bmd != NULL
	    && ais_bmd_get(bmd, b->provider, b->ns, b->name) != NULL;
	ais_err err;

	ais_bmd_rele(bmd);
	if (have) {
		return true;
	}
	hs_cname(b, cname, sizeof(cname));
	if (strcmp(b->provider, "ais") != 0) {
		http_reply_err(r, 404, "bucket \"%s\" does not exist", cname);
		return false;
	}
	err = http_bck_change(r->node, b->provider, b->ns, b->name, cname,
	    "create-bck", NULL, ebuf, sizeof(ebuf));
	if (err == AIS_OK || err == AIS_EEXIST) {
		return true;
	}
	if (err == AIS_EAGAIN) {
		http_reply_err(
		    r, 503, "dsort: output bucket %s: %s", cname, ebuf);
	} else {
		http_reply_aerr(
		    r, err, "dsort: output bucket %s: %s", cname, ebuf);
	}
	return false;
}

static void
hs_start(http_req *r)
{
	ais_node *n = r->node;
	dsort_spec spec;
	char ebuf[HS_ERR_MAX];
	char cname[HS_CNAME_MAX];
	char id[AIS_XACT_ID_LEN + 1];
	ais_bmd *bmd;
	ais_smap *m = NULL;
	const ais_snode *coord;
	Ais__DsortStart st = AIS__DSORT_START__INIT;
	uint8_t *buf = NULL;
	size_t len;
	hs_fanout f = { 0 };
	ais_err err;
	bool have;

	if (r->body_len == 0) {
		http_reply_err(r, 400, "dsort: missing request spec (body)");
		return;
	}
	err = dsort_spec_parse_text(
	    r->body, r->body_len, &spec, ebuf, sizeof(ebuf));
	if (err != AIS_OK) {
		http_reply_aerr(
		    r, err, "dsort: invalid request spec: %s", ebuf);
		return;
	}
	bmd = ais_node_bmd(n);
	have = bmd != NULL
	    && ais_bmd_get(bmd, spec.input_bck.provider, spec.input_bck.ns,
	           spec.input_bck.name)
	        != NULL;
	ais_bmd_rele(bmd);
	if (!have) {
		hs_cname(&spec.input_bck, cname, sizeof(cname));
		http_reply_err(r, 404, "bucket \"%s\" does not exist", cname);
		goto out;
	}
	if (!hs_output_bck(r, &spec.output_bck)) {
		goto out;
	}
	if ((m = hs_smap(r)) == NULL) {
		goto out;
	}
	ais_xact_id_new(id);
	if (ais_hrw_target(m, id, strlen(id), &coord) != AIS_OK) {
		http_reply_err(r, 503, "dsort: no target to run the job");
		goto out;
	}
	st.job_id = id;
	st.spec_json = (char *) r->body; /* validated; targets parse it too */
	st.coordinator = (char *) coord->id;
	st.smap_version = m->version;
	len = ais__dsort_start__get_packed_size(&st);
	if ((buf = malloc(len ? len : 1)) == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "dsort: out of memory");
		goto out;
	}
	ais__dsort_start__pack(&st, buf);
	err = hs_fanout_run(n, m, AIS_MSG_DSORT_START, buf, len, &f);
	if (err != AIS_OK) {
		http_reply_aerr(r, err, "dsort: cannot start job: %s",
		    err == AIS_ENOENT ? "no targets in the cluster"
		                      : ais_strerror(err));
		goto out;
	}
	for (size_t i = 0; i < f.n; i++) {
		ais_err e = hs_fanout_status(&f, i);

		if (e == AIS_OK) {
			continue;
		}
		/* one refusal aborts the job everywhere (AIS does the same) */
		hs_abort_quiet(n, m, id);
		AIS_LOGW("AIS-DSORT-START-FAIL",
		    "dsort %s: target %s refused start: %s", id, f.tids[i],
		    hs_fanout_msg(&f, i));
		http_reply_aerr(r,
		    e == AIS_EINVAL || e == AIS_ENOENT ? e
		        : f.res[i] != AIS_OK           ? e
		                                       : AIS_EINTERNAL,
		    "dsort: target t[%s] failed to start job %s: %s",
		    f.tids[i], id, hs_fanout_msg(&f, i));
		goto out;
	}
	AIS_LOGN("AIS-DSORT-START",
	    "dsort %s: started on %zu "
	    "targets, coordinator %s",
	    id, f.n, coord->id);
	http_reply(r, 200, HS_CT_TEXT, id, strlen(id), NULL);
out:
	hs_fanout_fini(&f);
	free(buf);
	ais_smap_rele(m);
	dsort_spec_fini(&spec);
}

/* Status ------------------------------------------------------------------ */

/* One target's JobInfo text -> JSON object with the Metrics keys also at
 * the top (file comment). NULL if it does not parse as a JobInfo. */
static json_t *
hs_target_jobinfo(const char *txt, size_t len, char *ebuf, size_t el)
{
	json_t *j = json_loadb(txt, len, 0, NULL);
	dsort_jobinfo ji;
	json_t *o, *met;
	const char *k;
	json_t *v;

	if (j == NULL) {
		snprintf(ebuf, el, "not JSON");
		return NULL;
	}
	if (dsort_jobinfo_from_json(j, &ji, ebuf, el) != AIS_OK) {
		json_decref(j);
		return NULL;
	}
	json_decref(j);
	o = dsort_jobinfo_to_json(&ji);
	met = o != NULL ? json_object_get(o, "Metrics") : NULL;
	json_object_foreach(met, k, v)
	{
		if (json_object_get(o, k) == NULL) {
			json_object_set(o, k, v);
		}
	}
	dsort_jobinfo_fini(&ji);
	if (o == NULL) {
		snprintf(ebuf, el, "out of memory");
	}
	return o;
}

static void
hs_status(http_req *r, const char *id)
{
	ais_node *n = r->node;
	ais_smap *m;
	hs_fanout f;
	json_t *out = NULL;
	char ebuf[HS_ERR_MAX];
	ais_err err;
	char *txt;

	if ((m = hs_smap(r)) == NULL) {
		return;
	}
	err = hs_fanout_job(n, m, AIS_MSG_DSORT_STATUS, id, false, &f);
	ais_smap_rele(m);
	if (err != AIS_OK) {
		http_reply_aerr(r, err, "dsort job %s: %s", id,
		    err == AIS_ENOENT ? "no targets in the cluster"
		                      : ais_strerror(err));
		return;
	}
	if ((out = json_object()) == NULL) {
		goto nomem;
	}
	for (size_t i = 0; i < f.n; i++) {
		ais_err e = hs_fanout_status(&f, i);
		Ais__DsortStatusResp *sr;
		json_t *ji;

		if (e == AIS_ENOENT) {
			continue;
		}
		if (e != AIS_OK) {
			http_reply_aerr(r, e, "dsort job %s: target t[%s]: %s",
			    id, f.tids[i], hs_fanout_msg(&f, i));
			goto out;
		}
		sr = ais__dsort_status_resp__unpack(
		    NULL, f.reps[i].len, f.reps[i].data);
		if (sr == NULL) {
			http_reply_err(r, 500,
			    "dsort job %s: target t[%s]: "
			    "malformed status reply",
			    id, f.tids[i]);
			goto out;
		}
		ji = hs_target_jobinfo(sr->jobinfo_json,
		    strlen(sr->jobinfo_json), ebuf, sizeof(ebuf));
		ais__dsort_status_resp__free_unpacked(sr, NULL);
		if (ji == NULL) {
			http_reply_err(r, 500,
			    "dsort job %s: target t[%s]: "
			    "bad JobInfo: %s",
			    id, f.tids[i], ebuf);
			goto out;
		}
		json_object_set_new(out, f.tids[i], ji);
	}
	if (json_object_size(out) == 0) {
		http_reply_err(r, 404, "dsort job \"%s\" does not exist", id);
		goto out;
	}
	txt = json_dumps(out, JSON_COMPACT);
	if (txt == NULL) {
		goto nomem;
	}
	http_reply_take(r, 200, HS_CT_JSON, txt, strlen(txt), NULL);
	goto out;
nomem:
	http_reply_aerr(r, AIS_ENOMEM, "dsort job %s: out of memory", id);
out:
	json_decref(out);
	hs_fanout_fini(&f);
}

/* List -------------------------------------------------------------------- */

/* One job as seen by all the targets that know it. */
typedef struct hs_job {
	dsort_jobinfo ji;  /* merged */
	dsort_job_agg agg; /* over the targets' own snapshots */
} hs_job;

typedef struct hs_jobs {
	hs_job *v;
	size_t n, cap;
} hs_jobs;

static void
hs_jobs_fini(hs_jobs *js)
{
	for (size_t i = 0; i < js->n; i++) {
		dsort_jobinfo_fini(&js->v[i].ji);
	}
	free(js->v);
	memset(js, 0, sizeof(*js));
}

static int64_t
hs_min_set(int64_t a, int64_t b) /* smaller of the non-zero ones */
{
	if (a == 0) {
		return b;
	}
	return b == 0 || a < b ? a : b;
}

/* Moves src's strings (*sv, *sn) onto the end of dst's. */
static ais_err
hs_strv_append(char ***dv, size_t *dn, char ***sv, size_t *sn)
{
	char **nv;

	if (*sn == 0) {
		return AIS_OK;
	}
	nv = realloc(*dv, (*dn + *sn) * sizeof(*nv));
	if (nv == NULL) {
		return AIS_ENOMEM;
	}
	memcpy(nv + *dn, *sv, *sn * sizeof(*nv));
	*dv = nv;
	*dn += *sn;
	free(*sv);
	*sv = NULL;
	*sn = 0;
	return AIS_OK;
}

/* Folds src (one target's view) into dst (AIS JobInfo.Aggregate, plus
 * summed counters): phases start at the earliest start, are running if
 * running anywhere, finished only when finished everywhere (then end at
 * the latest end); aborted anywhere, archived everywhere. src's strings
 * move to dst. */
static ais_err
hs_jobinfo_merge(dsort_jobinfo *dst, dsort_jobinfo *src)
{
	for (int p = 0; p < DSORT_PHASE__COUNT; p++) {
		dsort_phase_info *d = &dst->phase[p];
		const dsort_phase_info *s = &src->phase[p];

		d->start_ns = hs_min_set(d->start_ns, s->start_ns);
		d->running = d->running || s->running;
		d->finished = d->finished && s->finished;
		d->end_ns = d->finished
		    ? (s->end_ns > d->end_ns ? s->end_ns : d->end_ns)
		    : 0;
		if (s->elapsed_ns > d->elapsed_ns) {
			d->elapsed_ns = s->elapsed_ns;
		}
	}
	for (int c = 0; c < DSORT_CNT__COUNT; c++) {
		dst->cnt[c] += src->cnt[c];
	}
	dst->aborted = dst->aborted || src->aborted;
	dst->archived = dst->archived && src->archived;
	if (hs_strv_append(&dst->warnings, &dst->nwarnings, &src->warnings,
	        &src->nwarnings)
	    != AIS_OK) {
		return AIS_ENOMEM;
	}
	return hs_strv_append(
	    &dst->errors, &dst->nerrors, &src->errors, &src->nerrors);
}

/* Adds one target's JobInfo (taken) to the list. */
static ais_err
hs_jobs_add(hs_jobs *js, const char *tid, dsort_jobinfo *ji)
{
	hs_job *j = NULL;
	ais_err err;

	for (size_t i = 0; i < js->n; i++) {
		if (strcmp(js->v[i].ji.id, ji->id) == 0) {
			j = &js->v[i];
			break;
		}
	}
	if (j == NULL) {
		if (js->n == js->cap) {
			size_t cap = js->cap ? js->cap * 2 : 8;
			hs_job *nv = realloc(js->v, cap * sizeof(*nv));

			if (nv == NULL) {
				dsort_jobinfo_fini(ji);
				return AIS_ENOMEM;
			}
			js->v = nv;
			js->cap = cap;
		}
		j = &js->v[js->n++];
		dsort_job_agg_init(&j->agg);
		dsort_job_agg_add(&j->agg, tid, ji);
		j->ji = *ji; /* takes it */
		memset(ji, 0, sizeof(*ji));
		return AIS_OK;
	}
	dsort_job_agg_add(&j->agg, tid, ji);
	err = hs_jobinfo_merge(&j->ji, ji);
	dsort_jobinfo_fini(ji);
	return err;
}

/* Parses one target's list answer (JSON array of JobInfo) into js. */
static ais_err
hs_jobs_add_text(
    hs_jobs *js, const char *tid, const char *txt, char *ebuf, size_t el)
{
	json_t *a = json_loads(txt, 0, NULL);
	size_t i;
	json_t *v;
	ais_err err = AIS_OK;

	if (a == NULL || !json_is_array(a)) {
		json_decref(a);
		snprintf(ebuf, el,
		    "target t[%s]: job list is not a JSON "
		    "array",
		    tid);
		return AIS_EPROTO;
	}
	json_array_foreach(a, i, v)
	{
		dsort_jobinfo ji;
		char e2[256];

		if (dsort_jobinfo_from_json(v, &ji, e2, sizeof(e2))
		    != AIS_OK) {
			snprintf(ebuf, el, "target t[%s]: bad JobInfo: %s",
			    tid, e2);
			err = AIS_EPROTO;
			break;
		}
		if ((err = hs_jobs_add(js, tid, &ji)) != AIS_OK) {
			snprintf(ebuf, el, "out of memory");
			break;
		}
	}
	json_decref(a);
	return err;
}

static int
hs_job_cmp(const void *a, const void *b)
{
	const hs_job *x = a, *y = b;

	if (x->ji.phase[0].start_ns != y->ji.phase[0].start_ns) {
		return x->ji.phase[0].start_ns < y->ji.phase[0].start_ns ? -1
		                                                         : 1;
	}
	return strcmp(x->ji.id, y->ji.id);
}

static void
hs_list(http_req *r)
{
	ais_node *n = r->node;
	const char *rx = http_query_get(&r->query, "regex");
	bool only_active = http_query_bool(&r->query, "only_active");
	regex_t re;
	bool have_re = false;
	ais_smap *m;
	hs_fanout f = { 0 };
	hs_jobs js = { 0 };
	json_t *out = NULL;
	char ebuf[HS_ERR_MAX];
	ais_err err;
	char *txt;

	if (rx != NULL && rx[0] != '\0') {
		int rc = regcomp(&re, rx, REG_EXTENDED | REG_NOSUB);

		if (rc != 0) {
			regerror(rc, &re, ebuf, sizeof(ebuf));
			http_reply_err(r, 400,
			    "dsort: invalid regex \"%s\": %s", rx, ebuf);
			return;
		}
		have_re = true;
	}
	if ((m = hs_smap(r)) == NULL) {
		goto out;
	}
	/* ask for all: a job finished on one target but still running on
	 * another is active, which only the merge can tell */
	err = hs_fanout_job(n, m, AIS_MSG_DSORT_STATUS, "", false, &f);
	ais_smap_rele(m);
	if (err == AIS_ENOENT) {
		http_reply(r, 200, HS_CT_JSON, "[]", 2, NULL);
		goto out;
	}
	if (err != AIS_OK) {
		http_reply_aerr(r, err, "dsort list: %s", ais_strerror(err));
		goto out;
	}
	for (size_t i = 0; i < f.n; i++) {
		ais_err e = hs_fanout_status(&f, i);
		Ais__DsortStatusResp *sr;

		if (e == AIS_ENOENT) {
			continue;
		}
		if (e != AIS_OK) {
			http_reply_aerr(r, e, "dsort list: target t[%s]: %s",
			    f.tids[i], hs_fanout_msg(&f, i));
			goto out;
		}
		sr = ais__dsort_status_resp__unpack(
		    NULL, f.reps[i].len, f.reps[i].data);
		if (sr == NULL) {
			http_reply_err(r, 500,
			    "dsort list: target t[%s]: "
			    "malformed status reply",
			    f.tids[i]);
			goto out;
		}
		err = hs_jobs_add_text(
		    &js, f.tids[i], sr->jobinfo_json, ebuf, sizeof(ebuf));
		ais__dsort_status_resp__free_unpacked(sr, NULL);
		if (err != AIS_OK) {
			http_reply_err(r, 500, "dsort list: %s", ebuf);
			goto out;
		}
	}
	if (js.n > 1) {
		qsort(js.v, js.n, sizeof(*js.v), hs_job_cmp);
	}
	if ((out = json_array()) == NULL) {
		goto nomem;
	}
	for (size_t i = 0; i < js.n; i++) {
		hs_job *j = &js.v[i];
		json_t *o;

		if (only_active && j->agg.finished) {
			continue;
		}
		if (have_re && regexec(&re, j->ji.id, 0, NULL, 0) != 0
		    && (j->ji.description == NULL
		        || regexec(&re, j->ji.description, 0, NULL, 0) != 0)) {
			continue;
		}
		if ((o = dsort_jobinfo_to_json(&j->ji)) == NULL
		    || json_array_append_new(out, o) != 0) {
			goto nomem;
		}
	}
	txt = json_dumps(out, JSON_COMPACT);
	if (txt == NULL) {
		goto nomem;
	}
	http_reply_take(r, 200, HS_CT_JSON, txt, strlen(txt), NULL);
	goto out;
nomem:
	http_reply_aerr(r, AIS_ENOMEM, "dsort list: out of memory");
out:
	json_decref(out);
	hs_jobs_fini(&js);
	hs_fanout_fini(&f);
	if (have_re) {
		regfree(&re);
	}
}

/* Abort / remove ---------------------------------------------------------- */

static void
hs_abort_remove(http_req *r, bool remove)
{
	const char *what = remove ? "remove" : "abort";
	const char *id = hs_uuid(r, what);
	ais_smap *m;
	hs_fanout f;
	size_t known = 0;
	ais_err err;

	if (id == NULL) {
		return;
	}
	if ((m = hs_smap(r)) == NULL) {
		return;
	}
	err = hs_fanout_job(r->node, m,
	    remove ? AIS_MSG_DSORT_REMOVE : AIS_MSG_DSORT_ABORT, id, false,
	    &f);
	ais_smap_rele(m);
	if (err != AIS_OK) {
		http_reply_aerr(r, err, "%s dsort job %s: %s", what, id,
		    err == AIS_ENOENT ? "no targets in the cluster"
		                      : ais_strerror(err));
		return;
	}
	for (size_t i = 0; i < f.n; i++) {
		ais_err e = hs_fanout_status(&f, i);

		if (e == AIS_ENOENT) {
			continue;
		}
		if (e == AIS_EBUSY && remove) {
			/* AIS: a job must finish or be aborted first (400) */
			http_reply_err(r, 400,
			    "dsort job \"%s\" is still "
			    "running: abort it or wait for it to finish "
			    "before removing it",
			    id);
			goto out;
		}
		if (e != AIS_OK) {
			http_reply_aerr(r, e,
			    "%s dsort job %s: target t[%s]: "
			    "%s",
			    what, id, f.tids[i], hs_fanout_msg(&f, i));
			goto out;
		}
		known++;
	}
	if (known == 0) {
		http_reply_err(r, 404, "dsort job \"%s\" does not exist", id);
		goto out;
	}
	AIS_LOGN(remove ? "AIS-DSORT-REMOVE" : "AIS-DSORT-ABORT",
	    "dsort %s: %s on %zu targets", id, what, known);
	http_reply(r, 200, NULL, NULL, 0, NULL);
out:
	hs_fanout_fini(&f);
}

/* Dispatch ---------------------------------------------------------------- */

void
http_h_sort(http_req *r)
{
	const char *rest = r->path.nsegs > 2 ? r->path.segs[2] : "";

	if (r->node->role != AIS_ROLE_PROXY) {
		http_reply_err(r, 400,
		    "%s %s: dsort requests are expected to "
		    "be sent to a proxy, not to target t[%s]",
		    r->method_str, r->url_path, r->node->self.id);
		return;
	}
	while (*rest == '/') {
		rest++;
	}
	switch (r->method) {
	case HTTP_M_POST:
		if (rest[0] != '\0') {
			break;
		}
		hs_start(r);
		return;
	case HTTP_M_GET:
		if (rest[0] != '\0') {
			break;
		}
		if (http_query_get(&r->query, "uuid") != NULL) {
			const char *id = hs_uuid(r, "get");

			if (id != NULL) {
				hs_status(r, id);
			}
		} else {
			hs_list(r);
		}
		return;
	case HTTP_M_DELETE:
		if (rest[0] == '\0') {
			hs_abort_remove(r, true);
			return;
		}
		if (strcmp(rest, "abort") == 0) {
			hs_abort_remove(r, false);
			return;
		}
		break;
	default:
		break;
	}
	http_reply_err(r, 400, "%s %s: invalid dsort request", r->method_str,
	    r->url_path);
}
