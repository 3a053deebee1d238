/*
 * The "dsort" actor on a target: the per-node job registry, START, STATUS,
 * ABORT, REMOVE from the proxy, RECS/PLAN/DONE between targets; and the
 * "dsort-src-<i>" actors answering REC_REQ. Handlers only move state and
 * spawn worker threads (job_work.c): no disk I/O and no blocking calls on
 * the dsort loop. The source actors do block on reads (pread of shard or
 * spill ranges, <= 1 MiB per request), each on its own loop, as the
 * rebalance receivers do, so a slow read never delays job control.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/fqn.h"
#include "core/hrw.h"
#include "core/log.h"
#include "dsort/job_int.h"

/* Nodes per process (unit tests run several). A node's slot lives as long
 * as the process: the source actors and a restarted dsort actor find the
 * same registry. */
#define DSORT_NODES_MAX 64

/* Registry ---------------------------------------------------------------- */

static pthread_mutex_t dsort_nodes_mu = PTHREAD_MUTEX_INITIALIZER;
static dsort_shared *dsort_nodes[DSORT_NODES_MAX];

dsort_shared *
dsort_shared_of(ais_node *n)
{
	dsort_shared *sh = NULL;

	pthread_mutex_lock(&dsort_nodes_mu);
	for (size_t i = 0; i < DSORT_NODES_MAX; i++) {
		if (dsort_nodes[i] != NULL && dsort_nodes[i]->node == n) {
			sh = dsort_nodes[i];
			goto out;
		}
	}
	for (size_t i = 0; i < DSORT_NODES_MAX; i++) {
		if (dsort_nodes[i] == NULL) {
			sh = calloc(1, sizeof(*sh));
			if (sh == NULL) {
				goto out;
			}
			sh->node = n;
			pthread_mutex_init(&sh->mu, NULL);
			pthread_cond_init(&sh->cv, NULL);
			dsort_nodes[i] = sh;
			goto out;
		}
	}
out:
	pthread_mutex_unlock(&dsort_nodes_mu);
	return sh;
}

int64_t
dsort_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
dsort_target_eligible(const ais_snode *t)
{
	return (t->flags & (AIS_SNODE_MAINT | AIS_SNODE_DECOMM)) == 0;
}

void
dsort_job_hold(dsort_job *j)
{
	atomic_fetch_add(&j->refs, 1);
}

static void
dsort_job_free(dsort_job *j)
{
	dsort_src_maps_fini(j);
	dsort_extract_result_fini(&j->ex);
	if (j->workdir[0] != '\0') {
		(void) rmdir(
		    j->workdir); /* empty once the spill file is gone */
	}
	free(j->by_seq);
	if (j->plan != NULL) {
		ais__dsort_plan__free_unpacked(j->plan, NULL);
	}
	for (size_t i = 0; i < j->ncreated; i++) {
		free(j->created_names[i]);
		free(j->created_mpaths[i]);
	}
	free(j->created_names);
	free(j->created_mpaths);
	dsort_coord_srcs_free(j);
	dsort_metrics_free(j->m);
	dsort_spec_fini(&j->spec);
	ais_smap_rele(j->smap);
	pthread_rwlock_destroy(&j->ex_lock);
	pthread_mutex_destroy(&j->src_mu);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
}

void
dsort_job_rele(dsort_job *j)
{
	if (j != NULL && atomic_fetch_sub(&j->refs, 1) == 1) {
		dsort_job_free(j);
	}
}

dsort_job *
dsort_job_find(dsort_shared *sh, const char *id)
{
	dsort_job *j;

	pthread_mutex_lock(&sh->mu);
	for (j = sh->jobs; j != NULL; j = j->next) {
		if (strcmp(j->id, id) == 0) {
			dsort_job_hold(j);
			break;
		}
	}
	pthread_mutex_unlock(&sh->mu);
	return j;
}

bool
dsort_job_active(dsort_job *j)
{
	dsort_job_state s;
	bool cleaning;

	pthread_mutex_lock(&j->mu);
	s = j->state;
	cleaning = j->cleaning && j->nthreads > 0;
	pthread_mutex_unlock(&j->mu);
	return (s != DSORT_JS_DONE && s != DSORT_JS_FAILED) || cleaning;
}

json_t *
dsort_job_info_json(dsort_job *j)
{
	dsort_jobinfo ji;
	json_t *o;

	if (dsort_metrics_snapshot(j->m, 0, &ji) != AIS_OK) {
		return NULL;
	}
	o = dsort_jobinfo_to_json(&ji);
	dsort_jobinfo_fini(&ji);
	return o;
}

/* The dsort actor ------------------------------------------------------------
 */

typedef struct dsort_actor {
	ais_node *node;
	dsort_shared *sh;
} dsort_actor;

static ais_err
dsort_actor_init(void *state, act_actor *self, void *arg)
{
	dsort_actor *a = state;
	uint32_t tid;

	a->node = arg;
	a->sh = dsort_shared_of(a->node);
	if (a->sh == NULL) {
		return AIS_ENOMEM;
	}
	return act_timer_start(self, 1, DSORT_TICK_MS, true, &tid);
}

/* Stops every job and waits for their threads, then frees the registry. */
static void
dsort_actor_fini(void *state)
{
	dsort_actor *a = state;
	dsort_shared *sh = a->sh;
	dsort_job *j, *next;

	if (sh == NULL) {
		return;
	}
	pthread_mutex_lock(&sh->mu);
	for (j = sh->jobs; j != NULL; j = j->next) {
		atomic_store(&j->abort, true);
	}
	while (sh->nthreads > 0) {
		pthread_cond_wait(&sh->cv, &sh->mu);
	}
	j = sh->jobs;
	sh->jobs = NULL;
	pthread_mutex_unlock(&sh->mu);
	for (; j != NULL; j = next) {
		next = j->next;
		dsort_job_rele(j);
	}
	a->sh = NULL;
}

/* True unless the raw spec sets Config.missing_shards (any key case). */
static bool
dsort_spec_missing_unset(const char *spec_json)
{
	json_t *root = json_loads(spec_json, 0, NULL), *v;
	const char *k, *k2;
	json_t *v2;
	bool unset = true;

	if (root == NULL) {
		return true;
	}
	json_object_foreach(root, k, v)
	{
		if (strcasecmp(k, "config") != 0 || !json_is_object(v)) {
			continue;
		}
		json_object_foreach(v, k2, v2)
		{
			if (strcasecmp(k2, "missing_shards") == 0
			    && json_is_string(v2)
			    && json_string_length(v2) > 0) {
				unset = false;
			}
		}
	}
	json_decref(root);
	return unset;
}

static ais_err
dsort_on_start(void *state, act_ctx *ctx, const act_msg *msg)
{
	dsort_actor *a = state;
	Ais__DsortStart *s;
	dsort_job *j = NULL, *old;
	char eb[DSORT_ERRLEN] = "";
	ais_err err;
	const ais_snode *coord;
	const ais_mpset *mps;
	bool found = false;

	s = ais__dsort_start__unpack(NULL, msg->len, msg->data);
	if (s == NULL) {
		return AIS_EPROTO;
	}
	if (s->job_id[0] == '\0' || strlen(s->job_id) > DSORT_JOB_ID_MAX) {
		snprintf(eb, sizeof(eb), "dsort: bad job id");
		err = AIS_EINVAL;
		goto fail;
	}
	if ((old = dsort_job_find(a->sh, s->job_id)) != NULL) {
		dsort_job_rele(old);
		snprintf(
		    eb, sizeof(eb), "dsort job %s already exists", s->job_id);
		err = AIS_EEXIST;
		goto fail;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		err = AIS_ENOMEM;
		goto fail;
	}
	atomic_init(&j->refs, 1);
	atomic_init(&j->abort, false);
	atomic_init(&j->fail_ms, 0);
	pthread_rwlock_init(&j->ex_lock, NULL);
	pthread_mutex_init(&j->src_mu, NULL);
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	j->ex.spill_fd = -1;
	j->node = a->node;
	j->sh = a->sh;
	snprintf(j->id, sizeof(j->id), "%s", s->job_id);
	err = dsort_spec_parse_text(
	    s->spec_json, strlen(s->spec_json), &j->spec, eb, sizeof(eb));
	if (err != AIS_OK) {
		goto fail;
	}
	if (dsort_spec_missing_unset(s->spec_json)) {
		j->spec.conf.missing_shards = DSORT_REACT_ABORT;
	}
	j->smap = ais_node_smap(a->node);
	if (j->smap == NULL) {
		snprintf(eb, sizeof(eb), "dsort %s: no Smap", j->id);
		err = AIS_ESTALE;
		goto fail;
	}
	if (s->smap_version > j->smap->version) {
		snprintf(eb, sizeof(eb),
		    "dsort %s: Smap v%" PRId64 " here, v%" PRId64 " wanted",
		    j->id, j->smap->version, s->smap_version);
		err = AIS_ESTALE;
		goto fail;
	}
	for (size_t i = 0; i < j->smap->ntargets; i++) {
		if (strcmp(j->smap->targets[i].id, a->node->self.id) == 0) {
			j->self_idx = (uint32_t) i;
			j->eligible
			    = dsort_target_eligible(&j->smap->targets[i]);
			found = true;
		}
	}
	coord = ais_smap_get(j->smap, s->coordinator);
	if (!found || coord == NULL || coord->role != AIS_ROLE_TARGET) {
		snprintf(eb, sizeof(eb),
		    "dsort %s: coordinator %s or this target not in Smap "
		    "v%" PRId64,
		    j->id, s->coordinator, j->smap->version);
		err = AIS_EINVAL;
		goto fail;
	}
	snprintf(j->coord, sizeof(j->coord), "%s", coord->id);
	snprintf(j->coord_url, sizeof(j->coord_url), "%s", coord->ctrl.url);
	mps = ais_node_mpset(a->node);
	if (mps == NULL || mps->n == 0) {
		snprintf(eb, sizeof(eb), "dsort %s: no mountpaths", j->id);
		err = AIS_ENOENT;
		goto fail;
	}
	snprintf(j->mpath, sizeof(j->mpath), "%s",
	    mps->avail[ais_hrw_mpath(mps->avail, mps->n,
	                   ais_hrw_digest(j->id, strlen(j->id)))]
	        .path);
	{
		char bdir[PATH_MAX];

		err = ais_bck_dir(bdir, sizeof(bdir), j->mpath,
		    j->spec.input_bck.provider, j->spec.input_bck.ns,
		    j->spec.input_bck.name);
		if (err == AIS_OK
		    && (size_t) snprintf(j->workdir, sizeof(j->workdir),
		           "%s/%%ds/%s", bdir, j->id)
		        >= sizeof(j->workdir)) {
			err = AIS_EINVAL;
		}
		if (err != AIS_OK) {
			snprintf(eb, sizeof(eb), "dsort %s: work dir too long",
			    j->id);
			goto fail;
		}
	}
	err = dsort_metrics_alloc(&j->m, j->id, &j->spec.input_bck,
	    &j->spec.output_bck, j->spec.description);
	if (err != AIS_OK) {
		goto fail;
	}
	if (strcmp(j->coord, a->node->self.id) == 0) {
		j->nsrcs = j->smap->ntargets;
		j->srcs = calloc(j->nsrcs, sizeof(*j->srcs));
		if (j->srcs == NULL) {
			err = AIS_ENOMEM;
			goto fail;
		}
		for (size_t i = 0; i < j->nsrcs; i++) {
			dsort_coord_src *src = &j->srcs[i];

			snprintf(src->id, sizeof(src->id), "%s",
			    j->smap->targets[i].id);
			src->progress_ms = dsort_now_ms();
			if (!dsort_target_eligible(&j->smap->targets[i])) {
				src->last = src->done = true;
				j->nlast++;
				j->ndone++;
			}
		}
	}
	pthread_mutex_lock(&a->sh->mu);
	j->next = a->sh->jobs;
	a->sh->jobs = j;
	dsort_job_hold(j); /* the registry's */
	pthread_mutex_unlock(&a->sh->mu);
	err = dsort_job_spawn(j, dsort_job_extract_main);
	if (err != AIS_OK) {
		dsort_job_fail(j, false, "dsort %s: cannot start: %s", j->id,
		    ais_strerror(err));
	}
	AIS_LOGI("AIS-DSORT-START", "dsort %s started (coordinator %s, %s)",
	    j->id, j->coord, j->eligible ? "extracting" : "not eligible");
	dsort_job_rele(j);
	ais__dsort_start__free_unpacked(s, NULL);
	return AIS_OK;
fail:
	if (j != NULL) {
		dsort_job_free(j);
	}
	AIS_LOGW("AIS-DSORT-START-FAIL", "dsort start %s: %s", s->job_id,
	    eb[0] != '\0' ? eb : ais_strerror(err));
	act_reply(ctx, AIS_MSG_ACK, err, eb[0] != '\0' ? eb : NULL, NULL, 0);
	ais__dsort_start__free_unpacked(s, NULL);
	return AIS_OK;
}

static ais_err
dsort_reply_json(act_ctx *ctx, json_t *o)
{
	Ais__DsortStatusResp r = AIS__DSORT_STATUS_RESP__INIT;
	char *txt;
	uint8_t *buf;
	size_t len;
	ais_err err;

	if (o == NULL) {
		return AIS_ENOMEM;
	}
	txt = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (txt == NULL) {
		return AIS_ENOMEM;
	}
	r.jobinfo_json = txt;
	len = ais__dsort_status_resp__get_packed_size(&r);
	buf = malloc(len + 1);
	if (buf == NULL) {
		free(txt);
		return AIS_ENOMEM;
	}
	ais__dsort_status_resp__pack(&r, buf);
	err = act_reply(
	    ctx, AIS_MSG_DSORT_STATUS_RESP, AIS_OK, NULL, buf, len);
	free(buf);
	free(txt);
	return err;
}

static ais_err
dsort_on_status(void *state, act_ctx *ctx, const act_msg *msg)
{
	dsort_actor *a = state;
	Ais__DsortJobReq *q;
	json_t *arr;
	ais_err err = AIS_OK;

	q = ais__dsort_job_req__unpack(NULL, msg->len, msg->data);
	if (q == NULL) {
		return AIS_EPROTO;
	}
	if (q->job_id[0] != '\0') {
		dsort_job *j = dsort_job_find(a->sh, q->job_id);

		if (j == NULL) {
			act_reply(ctx, AIS_MSG_DSORT_STATUS_RESP, AIS_ENOENT,
			    "dsort job not found", NULL, 0);
		} else {
			err = dsort_reply_json(ctx, dsort_job_info_json(j));
			dsort_job_rele(j);
		}
		goto out;
	}
	arr = json_array();
	if (arr == NULL) {
		err = AIS_ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&a->sh->mu);
	for (dsort_job *j = a->sh->jobs; j != NULL; j = j->next) {
		json_t *o;

		if (q->only_active && !dsort_job_active(j)) {
			continue;
		}
		o = dsort_job_info_json(j);
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			err = AIS_ENOMEM;
			break;
		}
	}
	pthread_mutex_unlock(&a->sh->mu);
	if (err != AIS_OK) {
		json_decref(arr);
	} else {
		err = dsort_reply_json(ctx, arr);
	}
out:
	ais__dsort_job_req__free_unpacked(q, NULL);
	return err;
}

static ais_err
dsort_on_abort(void *state, act_ctx *ctx, const act_msg *msg)
{
	dsort_actor *a = state;
	Ais__DsortJobReq *q;
	dsort_job *j;

	(void) ctx;
	q = ais__dsort_job_req__unpack(NULL, msg->len, msg->data);
	if (q == NULL) {
		return AIS_EPROTO;
	}
	j = dsort_job_find(a->sh, q->job_id);
	ais__dsort_job_req__free_unpacked(q, NULL);
	if (j == NULL) {
		return AIS_ENOENT;
	}
	dsort_job_fail(j, true, "dsort %s aborted", j->id);
	dsort_job_rele(j);
	return AIS_OK;
}

static void *
dsort_reaper_main(void *arg)
{
	dsort_job_rele(arg); /* may unlink the spill file */
	return NULL;
}

static ais_err
dsort_on_remove(void *state, act_ctx *ctx, const act_msg *msg)
{
	dsort_actor *a = state;
	Ais__DsortJobReq *q;
	dsort_job *j, **pp;
	pthread_t th;
	ais_err err = AIS_ENOENT;

	(void) ctx;
	q = ais__dsort_job_req__unpack(NULL, msg->len, msg->data);
	if (q == NULL) {
		return AIS_EPROTO;
	}
	pthread_mutex_lock(&a->sh->mu);
	for (pp = &a->sh->jobs; (j = *pp) != NULL; pp = &j->next) {
		if (strcmp(j->id, q->job_id) != 0) {
			continue;
		}
		if (dsort_job_active(j)) {
			err = AIS_EBUSY;
			break;
		}
		*pp = j->next;
		err = AIS_OK;
		break;
	}
	pthread_mutex_unlock(&a->sh->mu);
	ais__dsort_job_req__free_unpacked(q, NULL);
	if (err == AIS_OK) {
		/* The last reference may remove a spill file: off the loop. */
		if (pthread_create(&th, NULL, dsort_reaper_main, j) == 0) {
			pthread_detach(th);
		} else {
			dsort_job_rele(j);
		}
	}
	return err;
}

static ais_err
dsort_on_recs(void *state, act_ctx *ctx, const act_msg *msg)
{
	dsort_actor *a = state;
	Ais__DsortRecs *r;
	dsort_job *j;
	dsort_coord_src *src = NULL;
	uint32_t origin = 0;
	ais_err err = AIS_OK;

	(void) ctx;
	r = ais__dsort_recs__unpack(NULL, msg->len, msg->data);
	if (r == NULL) {
		return AIS_EPROTO;
	}
	j = dsort_job_find(a->sh, r->job_id);
	if (j == NULL) {
		err = AIS_EAGAIN; /* START may not have reached us yet */
		goto out;
	}
	if (j->srcs == NULL) {
		err = AIS_EINVAL; /* not the coordinator */
		goto out;
	}
	if (atomic_load(&j->abort)) {
		err = AIS_ESTOPPED;
		goto out;
	}
	for (size_t i = 0; i < j->nsrcs; i++) {
		if (strcmp(j->srcs[i].id, r->from) == 0) {
			src = &j->srcs[i];
			origin = (uint32_t) i;
		}
	}
	if (src == NULL || src->last || j->planning) {
		err = AIS_EINVAL;
		goto out;
	}
	if (r->err[0] != '\0') {
		char eb[DSORT_ERRLEN];

		snprintf(eb, sizeof(eb), "%s: %s", r->from, r->err);
		dsort_job_fail(j, false, "%s", eb); /* tells every target */
		goto out;
	}
	src->progress_ms = dsort_now_ms();
	err = dsort_coord_add_recs(j, src, r->recs.data, r->recs.len, origin);
	if (err != AIS_OK) {
		char eb[DSORT_ERRLEN];

		snprintf(eb, sizeof(eb), "dsort %s: bad records from %s: %s",
		    j->id, r->from, ais_strerror(err));
		dsort_job_fail(j, false, "%s", eb); /* tells every target */
		goto out;
	}
	if (r->last) {
		src->last = true;
		if (++j->nlast == j->nsrcs) {
			j->planning = true;
			err = dsort_job_spawn(j, dsort_job_plan_main);
			if (err != AIS_OK) {
				dsort_job_fail(j, false,
				    "dsort %s: cannot plan: %s", j->id,
				    ais_strerror(err));
			}
		}
	}
out:
	dsort_job_rele(j);
	ais__dsort_recs__free_unpacked(r, NULL);
	return err;
}

static ais_err
dsort_on_plan(void *state, act_ctx *ctx, const act_msg *msg)
{
	dsort_actor *a = state;
	Ais__DsortPlan *p;
	dsort_job *j;
	ais_err err = AIS_OK;
	int conc;

	(void) ctx;
	p = ais__dsort_plan__unpack(NULL, msg->len, msg->data);
	if (p == NULL) {
		return AIS_EPROTO;
	}
	j = dsort_job_find(a->sh, p->job_id);
	if (j == NULL) {
		ais__dsort_plan__free_unpacked(p, NULL);
		return AIS_ENOENT;
	}
	if (p->err[0] != '\0') {
		dsort_job_fail(j, false, "%s", p->err);
		ais__dsort_plan__free_unpacked(p, NULL);
		goto out;
	}
	pthread_mutex_lock(&j->mu);
	if (j->state != DSORT_JS_WAIT_PLAN || atomic_load(&j->abort)) {
		/* a second plan, or the job already failed here */
		err = j->state == DSORT_JS_CREATE || j->state == DSORT_JS_DONE
		    ? AIS_EEXIST
		    : AIS_ESTOPPED;
		pthread_mutex_unlock(&j->mu);
		ais__dsort_plan__free_unpacked(p, NULL);
		goto out;
	}
	j->plan = p;
	j->state = DSORT_JS_CREATE;
	/* Default: up to DSORT_CREATE_CONC shards at once. Fewer leaves the
	 * CPUs idle at the tail (targets get unequal shard counts by HRW,
	 * and the cores are shared by all of them); each creator holds at
	 * most DSORT_PIPE_AHEAD windows of fetched records. */
	conc = j->spec.create_conc > 0 ? (int) j->spec.create_conc
	                               : DSORT_CREATE_CONC;
	if (conc > 16) {
		conc = 16;
	}
	if ((size_t) conc > p->n_shards) {
		conc = p->n_shards == 0 ? 1 : (int) p->n_shards;
	}
	j->creators = conc;
	pthread_mutex_unlock(&j->mu);
	dsort_metrics_phase_finish(j->m, DSORT_PHASE_SORT, 0);
	dsort_metrics_phase_begin(j->m, DSORT_PHASE_CREATE, 0);
	dsort_metrics_set(j->m, DSORT_CNT_TO_CREATE, (int64_t) p->n_shards);
	for (int i = 0; i < conc; i++) {
		ais_err e = dsort_job_spawn(j, dsort_job_create_main);

		if (e != AIS_OK) {
			pthread_mutex_lock(&j->mu);
			j->creators -= conc - i;
			pthread_mutex_unlock(&j->mu);
			dsort_job_fail(j, false, "dsort %s: cannot create: %s",
			    j->id, ais_strerror(e));
			break;
		}
	}
out:
	dsort_job_rele(j);
	return err;
}

static ais_err
dsort_on_done(void *state, act_ctx *ctx, const act_msg *msg)
{
	dsort_actor *a = state;
	Ais__DsortDone *d;
	dsort_job *j;
	ais_err err = AIS_OK;

	(void) ctx;
	d = ais__dsort_done__unpack(NULL, msg->len, msg->data);
	if (d == NULL) {
		return AIS_EPROTO;
	}
	j = dsort_job_find(a->sh, d->job_id);
	if (j == NULL || j->srcs == NULL) {
		err = j == NULL ? AIS_ENOENT : AIS_EINVAL;
		goto out;
	}
	for (size_t i = 0; i < j->nsrcs; i++) {
		dsort_coord_src *src = &j->srcs[i];

		if (strcmp(src->id, d->from) != 0 || src->done) {
			continue;
		}
		src->done = true;
		if (d->err[0] != '\0' && !d->aborted) {
			/* a failed target fails the job everywhere */
			dsort_job_fail(j, false, "%s: %s", d->from, d->err);
		} else if (d->err[0] != '\0') {
			dsort_metrics_error(j->m, "%s: %s", d->from, d->err);
		}
		if (++j->ndone == j->nsrcs) {
			AIS_LOGI("AIS-DSORT-DONE",
			    "dsort %s: all %zu targets "
			    "done",
			    j->id, j->nsrcs);
		}
	}
out:
	dsort_job_rele(j);
	ais__dsort_done__free_unpacked(d, NULL);
	return err;
}

/* Liveness while extracting: an empty DSORT_RECS (last=false) to the
 * coordinator, one-way, so it can tell a slow target from a dead one. */
static void
dsort_beat(dsort_job *j)
{
	Ais__DsortRecs r = AIS__DSORT_RECS__INIT;
	uint8_t buf[256 + DSORT_JOB_ID_MAX + AIS_ID_MAX];
	size_t n;

	r.job_id = j->id;
	r.from = j->node->self.id;
	n = ais__dsort_recs__pack(&r, buf);
	(void) act_send(j->node->rt,
	    strcmp(j->coord, j->node->self.id) == 0 ? NULL : j->coord_url,
	    AIS_ACTOR_DSORT, AIS_MSG_DSORT_RECS, buf, n);
}

const char *
dsort_job_lost_target(const dsort_job *j, const ais_smap *cur)
{
	if (cur == NULL || cur->version <= j->smap->version) {
		return NULL;
	}
	for (size_t i = 0; i < j->smap->ntargets; i++) {
		const ais_snode *t = &j->smap->targets[i];
		const ais_snode *now;

		if (!dsort_target_eligible(t)) {
			continue; /* never took part */
		}
		now = ais_smap_get(cur, t->id);
		if (now == NULL || !dsort_target_eligible(now)) {
			return t->id;
		}
	}
	return NULL;
}

/* Once a second: a job still running here fails when one of its targets
 * has left the cluster (as in AIS: its records and shards are out of
 * reach); heartbeats for jobs still extracting here; on the coordinator,
 * fails a job when a target has sent nothing (records or heartbeat) for
 * the spec's call_timeout, and tells every target. A target waiting for
 * its plan relies on those (or on ABORT): it has no timeout of its own, as
 * the slowest extraction bounds its wait. */
static ais_err
dsort_on_tick(void *state, act_ctx *ctx, const act_msg *msg)
{
	dsort_actor *a = state;
	dsort_job *stuck[16];
	char why[16][DSORT_ERRLEN];
	bool note[16] = { false };
	size_t n = 0;
	int64_t now = dsort_now_ms();
	ais_smap *cur = ais_node_smap(a->node);

	(void) ctx;
	(void) msg;
	pthread_mutex_lock(&a->sh->mu);
	for (dsort_job *j = a->sh->jobs; j != NULL; j = j->next) {
		int64_t tmo = j->spec.conf.call_timeout_ns / 1000000;
		int64_t beat
		    = tmo / 4 < DSORT_BEAT_MS ? tmo / 4 : DSORT_BEAT_MS;
		bool extracting, running, failed;
		const char *lost;

		lost = n < 16 ? dsort_job_lost_target(j, cur) : NULL;
		if (lost != NULL) {
			snprintf(why[n], sizeof(why[n]),
			    "dsort %s: target %s left the cluster (Smap "
			    "v%lld)",
			    j->id, lost, (long long) cur->version);
		}
		pthread_mutex_lock(&j->mu);
		extracting = j->state == DSORT_JS_EXTRACT;
		running
		    = j->state != DSORT_JS_DONE && j->state != DSORT_JS_FAILED;
		pthread_mutex_unlock(&j->mu);
		/* Running: fail it. Failed already -- when a target leaves,
		 * its peers' data errors may come before the Smap does: still
		 * name the cause, if the failure was that recent. */
		failed = atomic_load(&j->abort);
		if (lost != NULL && !j->lost_noted
		    && (failed ? now - atomic_load(&j->fail_ms)
		                < DSORT_LOST_NOTE_MS
		               : running)) {
			j->lost_noted = true;
			note[n] = failed;
			dsort_job_hold(j);
			stuck[n++] = j;
			continue;
		}
		if (failed || tmo <= 0) {
			continue;
		}
		if (extracting && j->eligible && now - j->beat_ms >= beat) {
			j->beat_ms = now;
			dsort_beat(j);
		}
		if (j->srcs == NULL || j->planning || n == 16) {
			continue;
		}
		for (size_t k = 0; k < j->nsrcs; k++) {
			if (j->srcs[k].last
			    || now - j->srcs[k].progress_ms <= tmo) {
				continue;
			}
			snprintf(why[n], sizeof(why[n]),
			    "dsort %s: nothing from target %s for %" PRId64
			    " ms",
			    j->id, j->srcs[k].id, tmo);
			dsort_job_hold(j);
			stuck[n++] = j;
			break;
		}
	}
	pthread_mutex_unlock(&a->sh->mu);
	ais_smap_rele(cur);
	for (size_t i = 0; i < n; i++) {
		if (note[i]) {
			(void) dsort_metrics_error(stuck[i]->m, "%s", why[i]);
		} else {
			dsort_job_fail(stuck[i], false, "%s", why[i]);
		}
		dsort_job_rele(stuck[i]);
	}
	return AIS_OK;
}

static const act_handler dsort_handlers[AIS_MSG__COUNT] = {
	[AIS_MSG_TIMER] = dsort_on_tick,
	[AIS_MSG_DSORT_START] = dsort_on_start,
	[AIS_MSG_DSORT_RECS] = dsort_on_recs,
	[AIS_MSG_DSORT_PLAN] = dsort_on_plan,
	[AIS_MSG_DSORT_DONE] = dsort_on_done,
	[AIS_MSG_DSORT_STATUS] = dsort_on_status,
	[AIS_MSG_DSORT_ABORT] = dsort_on_abort,
	[AIS_MSG_DSORT_REMOVE] = dsort_on_remove,
};

static const act_ops dsort_ops = {
	.name = AIS_ACTOR_DSORT,
	.state_size = sizeof(dsort_actor),
	.init = dsort_actor_init,
	.fini = dsort_actor_fini,
	.handlers = dsort_handlers,
	.nhandlers = AIS_MSG__COUNT,
};

/* Source actors ---------------------------------------------------------- */

static const char *const dsort_src_names[DSORT_SRC_ACTORS] = {
	"dsort-src-0",
	"dsort-src-1",
	"dsort-src-2",
	"dsort-src-3",
};

const char *
dsort_src_actor_name(size_t i)
{
	return i < DSORT_SRC_ACTORS ? dsort_src_names[i] : NULL;
}

typedef struct dsort_src {
	ais_node *node;
	uint8_t *buf; /* DSORT_FETCH_CHUNK */
} dsort_src;

static ais_err
dsort_src_init(void *state, act_actor *self, void *arg)
{
	dsort_src *s = state;

	(void) self;
	s->node = arg;
	s->buf = malloc(DSORT_FETCH_CHUNK);
	return s->buf == NULL ? AIS_ENOMEM : AIS_OK;
}

static void
dsort_src_fini(void *state)
{
	dsort_src *s = state;

	free(s->buf);
	s->buf = NULL;
}

/* The job a source request names, held in *jp (the caller rele's it, also
 * on error): AIS_ENOENT when unknown here (*jp NULL), AIS_ESTOPPED once it
 * aborted. */
static ais_err
dsort_src_job(dsort_shared *sh, const char *id, dsort_job **jp)
{
	*jp = sh != NULL ? dsort_job_find(sh, id) : NULL;
	if (*jp == NULL) {
		return AIS_ENOENT;
	}
	return atomic_load(&(*jp)->abort) ? AIS_ESTOPPED : AIS_OK;
}

static ais_err
dsort_src_on_req(void *state, act_ctx *ctx, const act_msg *msg)
{
	dsort_src *s = state;
	Ais__DsortRecReq *q;
	Ais__DsortRecResp r = AIS__DSORT_REC_RESP__INIT;
	dsort_shared *sh = dsort_shared_of(s->node);
	dsort_job *j = NULL;
	uint8_t *out = NULL;
	size_t n = 0, max, len;
	ais_err err;

	q = ais__dsort_rec_req__unpack(NULL, msg->len, msg->data);
	if (q == NULL) {
		return AIS_EPROTO;
	}
	if ((err = dsort_src_job(sh, q->job_id, &j)) != AIS_OK) {
		goto out;
	}
	max = q->max == 0 || q->max > DSORT_FETCH_CHUNK ? DSORT_FETCH_CHUNK
	                                                : q->max;
	err = dsort_job_src_read(
	    j, q->seq, q->file, q->offset, s->buf, max, &n);
	if (err != AIS_OK) {
		goto out;
	}
	r.data.data = s->buf;
	r.data.len = n;
	len = ais__dsort_rec_resp__get_packed_size(&r);
	out = malloc(len + 1);
	if (out == NULL) {
		err = AIS_ENOMEM;
		goto out;
	}
	ais__dsort_rec_resp__pack(&r, out);
	err = act_reply(ctx, AIS_MSG_DSORT_REC_RESP, AIS_OK, NULL, out, len);
out:
	free(out);
	dsort_job_rele(j);
	ais__dsort_rec_req__free_unpacked(q, NULL);
	return err;
}

typedef struct dsort_src_recs {
	dsort_job *j;
	const Ais__DsortRecsReq *q;
} dsort_src_recs;

static ais_err
dsort_src_fill(
    void *arg, uint8_t *buf, size_t max, size_t *used, char *eb, size_t elen)
{
	dsort_src_recs *r = arg;
	ais_err err = dsort_job_src_read_recs(
	    r->j, r->q->seqs, r->q->n_seqs, buf, max, used);

	if (err == AIS_OK && *used != max) {
		err = AIS_EPROTO;
	}
	if (err != AIS_OK) {
		snprintf(eb, elen, "dsort %s: %zu records (%zu bytes): %s",
		    r->j->id, r->q->n_seqs, max,
		    err == AIS_EPROTO ? "sizes differ from the plan"
		                      : ais_strerror(err));
	}
	return err;
}

/* Several whole records, read straight into the reply. */
static ais_err
dsort_src_on_recs(void *state, act_ctx *ctx, const act_msg *msg)
{
	dsort_src *s = state;
	Ais__DsortRecsReq *q;
	dsort_shared *sh = dsort_shared_of(s->node);
	dsort_job *j = NULL;
	dsort_src_recs r;
	ais_err err;

	q = ais__dsort_recs_req__unpack(NULL, msg->len, msg->data);
	if (q == NULL) {
		return AIS_EPROTO;
	}
	if (q->bytes > DSORT_PIPE_BATCH) {
		err = AIS_EINVAL;
		goto out;
	}
	if ((err = dsort_src_job(sh, q->job_id, &j)) != AIS_OK) {
		goto out;
	}
	r = (dsort_src_recs) { .j = j, .q = q };
	err = act_reply_fill(ctx, AIS_MSG_DSORT_RECS_RESP, (size_t) q->bytes,
	    dsort_src_fill, &r);
out:
	dsort_job_rele(j);
	ais__dsort_recs_req__free_unpacked(q, NULL);
	return err;
}

static const act_handler dsort_src_handlers[AIS_MSG__COUNT] = {
	[AIS_MSG_DSORT_REC_REQ] = dsort_src_on_req,
	[AIS_MSG_DSORT_RECS_REQ] = dsort_src_on_recs,
};

#define DSORT_SRC_OPS(i)                                                      \
	{                                                                     \
		.name = "dsort-src-" #i, .state_size = sizeof(dsort_src),     \
		.init = dsort_src_init, .fini = dsort_src_fini,               \
		.handlers = dsort_src_handlers, .nhandlers = AIS_MSG__COUNT   \
	}

static const act_ops dsort_src_ops[DSORT_SRC_ACTORS] = {
	DSORT_SRC_OPS(0),
	DSORT_SRC_OPS(1),
	DSORT_SRC_OPS(2),
	DSORT_SRC_OPS(3),
};

ais_err
ais_dsort_start_actors(act_sup *sup, ais_node *n)
{
	ais_err err;

	if (n->role != AIS_ROLE_TARGET) {
		return AIS_OK;
	}
	err = act_sup_start_child(sup, &dsort_ops, n, NULL);
	for (size_t i = 0; err == AIS_OK && i < DSORT_SRC_ACTORS; i++) {
		err = act_sup_start_child(sup, &dsort_src_ops[i], n, NULL);
	}
	return err;
}
