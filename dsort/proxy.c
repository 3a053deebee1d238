/*
 * The proxy's "dsort" actor (dsort/proxy.h): the dSort job API of spec
 * native-api.md section 10, as forwarded by http/h_sort.c:
 *   POST   /v1/sort                 body = request spec -> job ID (text)
 *   GET    /v1/sort?uuid=<id>       -> {"<tid>": JobInfo, ...}
 *   GET    /v1/sort[?regex=&only_active=true]  -> [JobInfo, ...]
 *   DELETE /v1/sort/abort?uuid=<id> -> abort on every target
 *   DELETE /v1/sort?uuid=<id>       -> remove a finished job's state
 *
 * The proxy keeps no job state: it validates the spec (dsort/spec.h), makes
 * sure the buckets are there (the output bucket is created through the
 * primary's "buckets" actor, as http/bck_change.c does for HTTP), names the
 * job and its coordinator (HRW over the job ID among the targets), and fans
 * the request out to the "dsort" actor of every target over NNG
 * (act_call_many). Status and list are collected from the targets on every
 * call, so any proxy answers and a restarted proxy forgets nothing -- the
 * same split as http/h_jobs.c.
 *
 * Each request is answered with a DsortApiResp: HTTP status, content type
 * and body; errors carry the AIS error JSON (native-api.md section 0.7,
 * the shape http/reply.c writes), built from the method, URL path, remote
 * address and caller that http/ put into the request.
 *
 * Target contract (the targets' "dsort" actor, dsort/job*.c):
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
 * Blocking: a request is handled to the end in the actor's handler, so
 * one slow request (a fan-out waits up to the cplane timeout; creating
 * the output bucket up to AIS_BCK_CALL_MS plus the BMD wait) delays the
 * next /v1/sort request on this proxy. act_pending_reply must be called
 * from the actor's own thread, so moving the work onto a worker thread
 * needs a local "done" message back to the actor; not done yet.
 */
#include "dsort/proxy.h"

#include <jansson.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actors/node/bck_client.h"
#include "core/bmd.h"
#include "core/hrw.h"
#include "core/log.h"
#include "core/xreg.h"
#include "dsort/metrics.h"
#include "dsort/spec.h"
#include "proto/msg.h"

#define DP_CT_JSON   "application/json"
#define DP_CT_TEXT   "text/plain; charset=utf-8"
#define DP_ERR_MAX   512
#define DP_MSG_MAX   1024 /* error message, as http/server.c */
#define DP_CNAME_MAX (AIS_BCK_NAME_MAX + 100)

/* One API request being served, and its answer. */
typedef struct dp_req {
	ais_node *node;
	const Ais__DsortApiReq *rq;
	char *spec; /* rq->body, NUL-terminated (start) */
	bool answered;
	int status;
	char *ctype; /* malloc'd or NULL */
	char *body;  /* malloc'd or NULL */
	size_t body_len;
} dp_req;

/* Replies ----------------------------------------------------------------- */

/* Takes body (malloc'd). At most one answer per request. */
static void
dp_reply_take(dp_req *r, int status, const char *ctype, char *body, size_t len)
{
	if (r->answered) {
		free(body);
		return;
	}
	r->answered = true;
	r->status = status;
	r->ctype = ctype != NULL ? strdup(ctype) : NULL;
	r->body = body;
	r->body_len = body != NULL ? len : 0;
}

static void
dp_reply(
    dp_req *r, int status, const char *ctype, const void *body, size_t len)
{
	char *copy = NULL;

	if (len > 0) {
		if ((copy = malloc(len)) != NULL) {
			memcpy(copy, body, len);
		}
	}
	dp_reply_take(r, status, ctype, copy, copy != NULL ? len : 0);
}

/* Non-UTF-8 bytes (quoted client input) become '?', as in http/reply.c. */
static int
dp_json_set_str(json_t *o, const char *key, const char *v)
{
	json_t *j;
	char *copy;

	if (v == NULL) {
		v = "";
	}
	if ((j = json_string(v)) == NULL) {
		if ((copy = strdup(v)) == NULL) {
			return -1;
		}
		for (char *c = copy; *c != '\0'; c++) {
			if ((unsigned char) *c >= 0x80) {
				*c = '?';
			}
		}
		j = json_string(copy);
		free(copy);
	}
	return json_object_set_new(o, key, j);
}

/* The AIS error body, in http/reply.c's field order. */
static void
dp_errv(dp_req *r, int status, const char *fmt, va_list ap)
{
	char msg[DP_MSG_MAX];
	char node[AIS_ID_MAX + 4];
	json_t *o;
	char *json = NULL;
	int rc = 0;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(node, sizeof(node), "p[%s]", r->node->self.id);
	AIS_LOGD("AIS-DSORT-API-ERR", "%s %s from %s: %d %s", r->rq->method,
	    r->rq->url_path, r->rq->remote_addr, status, msg);
	if ((o = json_object()) != NULL) {
		rc |= dp_json_set_str(o, "message", msg);
		rc |= dp_json_set_str(o, "method", r->rq->method);
		rc |= dp_json_set_str(o, "url_path", r->rq->url_path);
		rc |= dp_json_set_str(o, "remote_addr", r->rq->remote_addr);
		rc |= dp_json_set_str(o, "caller", r->rq->caller);
		rc |= dp_json_set_str(o, "node", node);
		rc |= json_object_set_new(o, "status", json_integer(status));
		if (rc == 0) {
			json = json_dumps(
			    o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		}
		json_decref(o);
	}
	dp_reply_take(r, status, json != NULL ? DP_CT_JSON : NULL, json,
	    json != NULL ? strlen(json) : 0);
}

static void dp_err(dp_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
dp_err(dp_req *r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dp_errv(r, status, fmt, ap);
	va_end(ap);
}

static void dp_aerr(dp_req *r, ais_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
dp_aerr(dp_req *r, ais_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dp_errv(r, ais_err_http_status(err), fmt, ap);
	va_end(ap);
}

static const char *
dp_query_uuid(const dp_req *r)
{
	return r->rq->has_uuid ? r->rq->uuid : NULL;
}

/* Bucket names and creation ----------------------------------------------- */

/* AIS's cname (provider scheme, namespace, name), as http/lso.c writes it. */
static void
dp_cname_fmt(const char *provider, const char *ns, const char *bck, char *buf,
    size_t len)
{
	const char *scheme
	    = provider == NULL || provider[0] == '\0' ? "ais" : provider;
	const char *nsp = "";
	const char *sep = "";

	if (strcmp(scheme, "aws") == 0) {
		scheme = "s3";
	} else if (strcmp(scheme, "gcp") == 0) {
		scheme = "gs";
	} else if (strcmp(scheme, "azure") == 0) {
		scheme = "az";
	} else if (strcmp(scheme, "oci") == 0) {
		scheme = "oc";
	}
	if (ns != NULL && ns[0] != '\0' && strcmp(ns, "@#") != 0) {
		/* "@#name" -> "#name"; "@uuid#name" stays */
		nsp = strncmp(ns, "@#", 2) == 0 ? ns + 1 : ns;
		sep = "/";
	}
	snprintf(
	    buf, len, "%s://%s%s%s", scheme, nsp, sep, bck == NULL ? "" : bck);
}

/* Fan-out ----------------------------------------------------------------- */

/* One fan-out to the "dsort" actor of every target of the Smap. */
typedef struct dp_fanout {
	size_t n;
	char (*tids)[AIS_ID_MAX + 1];
	ais_err *res;        /* transport status */
	act_reply_buf *reps; /* the targets' replies */
} dp_fanout;

static void
dp_fanout_fini(dp_fanout *f)
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
dp_fanout_status(const dp_fanout *f, size_t i)
{
	return f->res[i] != AIS_OK ? f->res[i] : f->reps[i].status;
}

static const char *
dp_fanout_msg(const dp_fanout *f, size_t i)
{
	if (f->res[i] == AIS_OK && f->reps[i].errmsg != NULL
	    && f->reps[i].errmsg[0] != '\0') {
		return f->reps[i].errmsg;
	}
	return ais_strerror(dp_fanout_status(f, i));
}

/* Sends (type, buf) to every target of m; blocks up to the cplane
 * timeout. AIS_ENOENT if the Smap has no targets, AIS_ENOMEM. */
static ais_err
dp_fanout_run(ais_node *n, const ais_smap *m, uint32_t type, const void *buf,
    size_t len, dp_fanout *f)
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
		dp_fanout_fini(f);
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
dp_fanout_job(ais_node *n, const ais_smap *m, uint32_t type, const char *id,
    bool only_active, dp_fanout *f)
{
	Ais__DsortJobReq rq = AIS__DSORT_JOB_REQ__INIT;
	uint8_t buf[DSORT_JOB_ID_MAX + 32];

	rq.job_id = (char *) id;
	rq.only_active = only_active;
	if (ais__dsort_job_req__get_packed_size(&rq) > sizeof(buf)) {
		return AIS_EINVAL;
	}
	return dp_fanout_run(
	    n, m, type, buf, ais__dsort_job_req__pack(&rq, buf), f);
}

/* The Smap or a 503; NULL after answering. */
static ais_smap *
dp_smap(dp_req *r)
{
	ais_smap *m = ais_node_smap(r->node);

	if (m == NULL) {
		dp_err(r, 503, "dsort: cluster map is not known yet");
	}
	return m;
}

/* uuid query parameter, validated; NULL after answering 400. */
static const char *
dp_uuid(dp_req *r, const char *what)
{
	const char *id = dp_query_uuid(r);

	if (id == NULL || id[0] == '\0') {
		dp_err(r, 400,
		    "%s dsort job: missing \"uuid\" query "
		    "parameter",
		    what);
		return NULL;
	}
	if (strlen(id) > DSORT_JOB_ID_MAX) {
		dp_err(r, 400, "%s dsort job: invalid uuid \"%.*s...\"", what,
		    32, id);
		return NULL;
	}
	return id;
}

/* Start ------------------------------------------------------------------- */

static void
dp_cname(const dsort_bck *b, char *buf, size_t len)
{
	/* dsort_bck.ns is "" or "@uuid#name", as the BMD's namespaces */
	dp_cname_fmt(b->provider, b->ns, b->name, buf, len);
}

/* Sends DSORT_ABORT for id everywhere, ignoring the answers (cleanup after
 * a refused start). */
static void
dp_abort_quiet(ais_node *n, const ais_smap *m, const char *id)
{
	dp_fanout f;

	if (dp_fanout_job(n, m, AIS_MSG_DSORT_ABORT, id, false, &f)
	    == AIS_OK) {
		dp_fanout_fini(&f);
	}
}

/* Output bucket: created through the primary when missing (AIS creates it
 * too). false after answering. */
static bool
dp_output_bck(dp_req *r, const dsort_bck *b)
{
	char cname[DP_CNAME_MAX];
	char ebuf[DP_ERR_MAX];
	ais_bmd *bmd = ais_node_bmd(r->node);
	bool have = bmd != NULL
	    && ais_bmd_get(bmd, b->provider, b->ns, b->name) != NULL;
	ais_err err;

	ais_bmd_rele(bmd);
	if (have) {
		return true;
	}
	dp_cname(b, cname, sizeof(cname));
	if (strcmp(b->provider, "ais") != 0) {
		dp_err(r, 404, "bucket \"%s\" does not exist", cname);
		return false;
	}
	err = ais_bck_change(r->node, b->provider, b->ns, b->name, cname,
	    "create-bck", NULL, ebuf, sizeof(ebuf));
	if (err == AIS_OK || err == AIS_EEXIST) {
		return true;
	}
	if (err == AIS_EAGAIN) {
		dp_err(r, 503, "dsort: output bucket %s: %s", cname, ebuf);
	} else {
		dp_aerr(r, err, "dsort: output bucket %s: %s", cname, ebuf);
	}
	return false;
}

static void
dp_start(dp_req *r)
{
	ais_node *n = r->node;
	dsort_spec spec;
	char ebuf[DP_ERR_MAX];
	char cname[DP_CNAME_MAX];
	char id[AIS_XACT_ID_LEN + 1];
	ais_bmd *bmd;
	ais_smap *m = NULL;
	const ais_snode *coord;
	Ais__DsortStart st = AIS__DSORT_START__INIT;
	uint8_t *buf = NULL;
	size_t len;
	dp_fanout f = { 0 };
	ais_err err;
	bool have;

	if (r->rq->body.len == 0) {
		dp_err(r, 400, "dsort: missing request spec (body)");
		return;
	}
	err = dsort_spec_parse_text((const char *) r->rq->body.data,
	    r->rq->body.len, &spec, ebuf, sizeof(ebuf));
	if (err != AIS_OK) {
		dp_aerr(r, err, "dsort: invalid request spec: %s", ebuf);
		return;
	}
	bmd = ais_node_bmd(n);
	have = bmd != NULL
	    && ais_bmd_get(bmd, spec.input_bck.provider, spec.input_bck.ns,
	           spec.input_bck.name)
	        != NULL;
	ais_bmd_rele(bmd);
	if (!have) {
		dp_cname(&spec.input_bck, cname, sizeof(cname));
		dp_err(r, 404, "bucket \"%s\" does not exist", cname);
		goto out;
	}
	if (!dp_output_bck(r, &spec.output_bck)) {
		goto out;
	}
	if ((m = dp_smap(r)) == NULL) {
		goto out;
	}
	ais_xact_id_new(id);
	if (ais_hrw_target(m, id, strlen(id), &coord) != AIS_OK) {
		dp_err(r, 503, "dsort: no target to run the job");
		goto out;
	}
	st.job_id = id;
	st.spec_json = r->spec; /* validated; targets parse it too */
	st.coordinator = (char *) coord->id;
	st.smap_version = m->version;
	len = ais__dsort_start__get_packed_size(&st);
	if ((buf = malloc(len ? len : 1)) == NULL) {
		dp_aerr(r, AIS_ENOMEM, "dsort: out of memory");
		goto out;
	}
	ais__dsort_start__pack(&st, buf);
	err = dp_fanout_run(n, m, AIS_MSG_DSORT_START, buf, len, &f);
	if (err != AIS_OK) {
		dp_aerr(r, err, "dsort: cannot start job: %s",
		    err == AIS_ENOENT ? "no targets in the cluster"
		                      : ais_strerror(err));
		goto out;
	}
	for (size_t i = 0; i < f.n; i++) {
		ais_err e = dp_fanout_status(&f, i);

		if (e == AIS_OK) {
			continue;
		}
		/* one refusal aborts the job everywhere (AIS does the same) */
		dp_abort_quiet(n, m, id);
		AIS_LOGW("AIS-DSORT-START-FAIL",
		    "dsort %s: target %s refused start: %s", id, f.tids[i],
		    dp_fanout_msg(&f, i));
		dp_aerr(r,
		    e == AIS_EINVAL || e == AIS_ENOENT ? e
		        : f.res[i] != AIS_OK           ? e
		                                       : AIS_EINTERNAL,
		    "dsort: target t[%s] failed to start job %s: %s",
		    f.tids[i], id, dp_fanout_msg(&f, i));
		goto out;
	}
	AIS_LOGN("AIS-DSORT-START",
	    "dsort %s: started on %zu "
	    "targets, coordinator %s",
	    id, f.n, coord->id);
	dp_reply(r, 200, DP_CT_TEXT, id, strlen(id));
out:
	dp_fanout_fini(&f);
	free(buf);
	ais_smap_rele(m);
	dsort_spec_fini(&spec);
}

/* Status ------------------------------------------------------------------ */

/* One target's JobInfo text -> JSON object with the Metrics keys also at
 * the top (file comment). NULL if it does not parse as a JobInfo. */
static json_t *
dp_target_jobinfo(const char *txt, size_t len, char *ebuf, size_t el)
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
dp_status(dp_req *r, const char *id)
{
	ais_node *n = r->node;
	ais_smap *m;
	dp_fanout f;
	json_t *out = NULL;
	char ebuf[DP_ERR_MAX];
	ais_err err;
	char *txt;

	if ((m = dp_smap(r)) == NULL) {
		return;
	}
	err = dp_fanout_job(n, m, AIS_MSG_DSORT_STATUS, id, false, &f);
	ais_smap_rele(m);
	if (err != AIS_OK) {
		dp_aerr(r, err, "dsort job %s: %s", id,
		    err == AIS_ENOENT ? "no targets in the cluster"
		                      : ais_strerror(err));
		return;
	}
	if ((out = json_object()) == NULL) {
		goto nomem;
	}
	for (size_t i = 0; i < f.n; i++) {
		ais_err e = dp_fanout_status(&f, i);
		Ais__DsortStatusResp *sr;
		json_t *ji;

		if (e == AIS_ENOENT) {
			continue;
		}
		if (e != AIS_OK) {
			dp_aerr(r, e, "dsort job %s: target t[%s]: %s", id,
			    f.tids[i], dp_fanout_msg(&f, i));
			goto out;
		}
		sr = ais__dsort_status_resp__unpack(
		    NULL, f.reps[i].len, f.reps[i].data);
		if (sr == NULL) {
			dp_err(r, 500,
			    "dsort job %s: target t[%s]: "
			    "malformed status reply",
			    id, f.tids[i]);
			goto out;
		}
		ji = dp_target_jobinfo(sr->jobinfo_json,
		    strlen(sr->jobinfo_json), ebuf, sizeof(ebuf));
		ais__dsort_status_resp__free_unpacked(sr, NULL);
		if (ji == NULL) {
			dp_err(r, 500,
			    "dsort job %s: target t[%s]: "
			    "bad JobInfo: %s",
			    id, f.tids[i], ebuf);
			goto out;
		}
		json_object_set_new(out, f.tids[i], ji);
	}
	if (json_object_size(out) == 0) {
		dp_err(r, 404, "dsort job \"%s\" does not exist", id);
		goto out;
	}
	txt = json_dumps(out, JSON_COMPACT);
	if (txt == NULL) {
		goto nomem;
	}
	dp_reply_take(r, 200, DP_CT_JSON, txt, strlen(txt));
	goto out;
nomem:
	dp_aerr(r, AIS_ENOMEM, "dsort job %s: out of memory", id);
out:
	json_decref(out);
	dp_fanout_fini(&f);
}

/* List -------------------------------------------------------------------- */

/* One job as seen by all the targets that know it. */
typedef struct dp_job {
	dsort_jobinfo ji;  /* merged */
	dsort_job_agg agg; /* over the targets' own snapshots */
} dp_job;

typedef struct dp_jobs {
	dp_job *v;
	size_t n, cap;
} dp_jobs;

static void
dp_jobs_fini(dp_jobs *js)
{
	for (size_t i = 0; i < js->n; i++) {
		dsort_jobinfo_fini(&js->v[i].ji);
	}
	free(js->v);
	memset(js, 0, sizeof(*js));
}

static int64_t
dp_min_set(int64_t a, int64_t b) /* smaller of the non-zero ones */
{
	if (a == 0) {
		return b;
	}
	return b == 0 || a < b ? a : b;
}

/* Moves src's strings (*sv, *sn) onto the end of dst's. */
static ais_err
dp_strv_append(char ***dv, size_t *dn, char ***sv, size_t *sn)
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
dp_jobinfo_merge(dsort_jobinfo *dst, dsort_jobinfo *src)
{
	for (int p = 0; p < DSORT_PHASE__COUNT; p++) {
		dsort_phase_info *d = &dst->phase[p];
		const dsort_phase_info *s = &src->phase[p];

		d->start_ns = dp_min_set(d->start_ns, s->start_ns);
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
	if (dp_strv_append(&dst->warnings, &dst->nwarnings, &src->warnings,
	        &src->nwarnings)
	    != AIS_OK) {
		return AIS_ENOMEM;
	}
	return dp_strv_append(
	    &dst->errors, &dst->nerrors, &src->errors, &src->nerrors);
}

/* Adds one target's JobInfo (taken) to the list. */
static ais_err
dp_jobs_add(dp_jobs *js, const char *tid, dsort_jobinfo *ji)
{
	dp_job *j = NULL;
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
			dp_job *nv = realloc(js->v, cap * sizeof(*nv));

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
	err = dp_jobinfo_merge(&j->ji, ji);
	dsort_jobinfo_fini(ji);
	return err;
}

/* Parses one target's list answer (JSON array of JobInfo) into js. */
static ais_err
dp_jobs_add_text(
    dp_jobs *js, const char *tid, const char *txt, char *ebuf, size_t el)
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
		if ((err = dp_jobs_add(js, tid, &ji)) != AIS_OK) {
			snprintf(ebuf, el, "out of memory");
			break;
		}
	}
	json_decref(a);
	return err;
}

static int
dp_job_cmp(const void *a, const void *b)
{
	const dp_job *x = a, *y = b;

	if (x->ji.phase[0].start_ns != y->ji.phase[0].start_ns) {
		return x->ji.phase[0].start_ns < y->ji.phase[0].start_ns ? -1
		                                                         : 1;
	}
	return strcmp(x->ji.id, y->ji.id);
}

static void
dp_list(dp_req *r)
{
	ais_node *n = r->node;
	const char *rx = r->rq->regex;
	bool only_active = r->rq->only_active;
	regex_t re;
	bool have_re = false;
	ais_smap *m;
	dp_fanout f = { 0 };
	dp_jobs js = { 0 };
	json_t *out = NULL;
	char ebuf[DP_ERR_MAX];
	ais_err err;
	char *txt;

	if (rx != NULL && rx[0] != '\0') {
		int rc = regcomp(&re, rx, REG_EXTENDED | REG_NOSUB);

		if (rc != 0) {
			regerror(rc, &re, ebuf, sizeof(ebuf));
			dp_err(r, 400, "dsort: invalid regex \"%s\": %s", rx,
			    ebuf);
			return;
		}
		have_re = true;
	}
	if ((m = dp_smap(r)) == NULL) {
		goto out;
	}
	/* ask for all: a job finished on one target but still running on
	 * another is active, which only the merge can tell */
	err = dp_fanout_job(n, m, AIS_MSG_DSORT_STATUS, "", false, &f);
	ais_smap_rele(m);
	if (err == AIS_ENOENT) {
		dp_reply(r, 200, DP_CT_JSON, "[]", 2);
		goto out;
	}
	if (err != AIS_OK) {
		dp_aerr(r, err, "dsort list: %s", ais_strerror(err));
		goto out;
	}
	for (size_t i = 0; i < f.n; i++) {
		ais_err e = dp_fanout_status(&f, i);
		Ais__DsortStatusResp *sr;

		if (e == AIS_ENOENT) {
			continue;
		}
		if (e != AIS_OK) {
			dp_aerr(r, e, "dsort list: target t[%s]: %s",
			    f.tids[i], dp_fanout_msg(&f, i));
			goto out;
		}
		sr = ais__dsort_status_resp__unpack(
		    NULL, f.reps[i].len, f.reps[i].data);
		if (sr == NULL) {
			dp_err(r, 500,
			    "dsort list: target t[%s]: "
			    "malformed status reply",
			    f.tids[i]);
			goto out;
		}
		err = dp_jobs_add_text(
		    &js, f.tids[i], sr->jobinfo_json, ebuf, sizeof(ebuf));
		ais__dsort_status_resp__free_unpacked(sr, NULL);
		if (err != AIS_OK) {
			dp_err(r, 500, "dsort list: %s", ebuf);
			goto out;
		}
	}
	if (js.n > 1) {
		qsort(js.v, js.n, sizeof(*js.v), dp_job_cmp);
	}
	if ((out = json_array()) == NULL) {
		goto nomem;
	}
	for (size_t i = 0; i < js.n; i++) {
		dp_job *j = &js.v[i];
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
	dp_reply_take(r, 200, DP_CT_JSON, txt, strlen(txt));
	goto out;
nomem:
	dp_aerr(r, AIS_ENOMEM, "dsort list: out of memory");
out:
	json_decref(out);
	dp_jobs_fini(&js);
	dp_fanout_fini(&f);
	if (have_re) {
		regfree(&re);
	}
}

/* Abort / remove ---------------------------------------------------------- */

static void
dp_abort_remove(dp_req *r, bool remove)
{
	const char *what = remove ? "remove" : "abort";
	const char *id = dp_uuid(r, what);
	ais_smap *m;
	dp_fanout f;
	size_t known = 0;
	ais_err err;

	if (id == NULL) {
		return;
	}
	if ((m = dp_smap(r)) == NULL) {
		return;
	}
	err = dp_fanout_job(r->node, m,
	    remove ? AIS_MSG_DSORT_REMOVE : AIS_MSG_DSORT_ABORT, id, false,
	    &f);
	ais_smap_rele(m);
	if (err != AIS_OK) {
		dp_aerr(r, err, "%s dsort job %s: %s", what, id,
		    err == AIS_ENOENT ? "no targets in the cluster"
		                      : ais_strerror(err));
		return;
	}
	for (size_t i = 0; i < f.n; i++) {
		ais_err e = dp_fanout_status(&f, i);

		if (e == AIS_ENOENT) {
			continue;
		}
		if (e == AIS_EBUSY && remove) {
			/* AIS: a job must finish or be aborted first (400) */
			dp_err(r, 400,
			    "dsort job \"%s\" is still "
			    "running: abort it or wait for it to finish "
			    "before removing it",
			    id);
			goto out;
		}
		if (e != AIS_OK) {
			dp_aerr(r, e,
			    "%s dsort job %s: target t[%s]: "
			    "%s",
			    what, id, f.tids[i], dp_fanout_msg(&f, i));
			goto out;
		}
		known++;
	}
	if (known == 0) {
		dp_err(r, 404, "dsort job \"%s\" does not exist", id);
		goto out;
	}
	AIS_LOGN(remove ? "AIS-DSORT-REMOVE" : "AIS-DSORT-ABORT",
	    "dsort %s: %s on %zu targets", id, what, known);
	dp_reply(r, 200, NULL, NULL, 0);
out:
	dp_fanout_fini(&f);
}

/* Dispatch ---------------------------------------------------------------- */

static void
dp_dispatch(dp_req *r)
{
	const char *method = r->rq->method;
	const char *rest = r->rq->rest;

	while (*rest == '/') {
		rest++;
	}
	if (strcmp(method, "POST") == 0) {
		if (rest[0] == '\0') {
			dp_start(r);
			return;
		}
	} else if (strcmp(method, "GET") == 0) {
		if (rest[0] == '\0') {
			if (dp_query_uuid(r) != NULL) {
				const char *id = dp_uuid(r, "get");

				if (id != NULL) {
					dp_status(r, id);
				}
			} else {
				dp_list(r);
			}
			return;
		}
	} else if (strcmp(method, "DELETE") == 0) {
		if (rest[0] == '\0') {
			dp_abort_remove(r, true);
			return;
		}
		if (strcmp(rest, "abort") == 0) {
			dp_abort_remove(r, false);
			return;
		}
	}
	dp_err(
	    r, 400, "%s %s: invalid dsort request", method, r->rq->url_path);
}

/* The actor --------------------------------------------------------------- */

typedef struct dp_actor {
	ais_node *node;
} dp_actor;

static ais_err
dp_actor_init(void *state, act_actor *self, void *arg)
{
	dp_actor *a = state;

	(void) self;
	a->node = arg;
	return AIS_OK;
}

/* AIS_MSG_DSORT_API_REQ: DsortApiReq -> DSORT_API_RESP{DsortApiResp}. The
 * HTTP outcome, errors included, is in the response body; the message
 * status is not AIS_OK only when there is no response to give. */
static ais_err
dp_api_req(void *state, act_ctx *ctx, const act_msg *msg)
{
	dp_actor *a = state;
	Ais__DsortApiReq *rq;
	Ais__DsortApiResp rs = AIS__DSORT_API_RESP__INIT;
	dp_req r = { 0 };
	uint8_t *buf;
	size_t len;
	ais_err err;

	rq = ais__dsort_api_req__unpack(NULL, msg->len, msg->data);
	if (rq == NULL) {
		return act_reply(ctx, AIS_MSG_DSORT_API_RESP, AIS_EPROTO,
		    "dsort: malformed API request", NULL, 0);
	}
	r.node = a->node;
	r.rq = rq;
	r.spec = malloc(rq->body.len + 1);
	if (r.spec == NULL) {
		ais__dsort_api_req__free_unpacked(rq, NULL);
		return act_reply(ctx, AIS_MSG_DSORT_API_RESP, AIS_ENOMEM,
		    "dsort: out of memory", NULL, 0);
	}
	if (rq->body.len > 0) {
		memcpy(r.spec, rq->body.data, rq->body.len);
	}
	r.spec[rq->body.len] = '\0';
	dp_dispatch(&r);
	if (!r.answered) {
		dp_err(&r, 500, "dsort: no answer");
	}
	rs.status = r.status;
	rs.content_type = r.ctype != NULL ? r.ctype : (char *) "";
	rs.body.data = (uint8_t *) r.body;
	rs.body.len = r.body_len;
	len = ais__dsort_api_resp__get_packed_size(&rs);
	if ((buf = malloc(len ? len : 1)) == NULL) {
		err = act_reply(ctx, AIS_MSG_DSORT_API_RESP, AIS_ENOMEM,
		    "dsort: out of memory", NULL, 0);
	} else {
		ais__dsort_api_resp__pack(&rs, buf);
		err = act_reply(
		    ctx, AIS_MSG_DSORT_API_RESP, AIS_OK, NULL, buf, len);
		free(buf);
	}
	free(r.ctype);
	free(r.body);
	free(r.spec);
	ais__dsort_api_req__free_unpacked(rq, NULL);
	/* a reply that could not be sent is the caller's timeout, not a
	 * failure of this actor */
	(void) err;
	return AIS_OK;
}

static const act_handler dp_handlers[AIS_MSG__COUNT] = {
	[AIS_MSG_DSORT_API_REQ] = dp_api_req,
};

static const act_ops dp_ops = {
	.name = AIS_ACTOR_DSORT,
	.state_size = sizeof(dp_actor),
	.init = dp_actor_init,
	.handlers = dp_handlers,
	.nhandlers = AIS_MSG__COUNT,
};

ais_err
ais_dsort_proxy_start_actors(act_sup *sup, ais_node *n)
{
	if (n->role != AIS_ROLE_PROXY) {
		return AIS_OK;
	}
	return act_sup_start_child(sup, &dp_ops, n, NULL);
}
