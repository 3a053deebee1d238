/*
 * dSort job worker threads (see job.h for the whole flow):
 *   extract  -- input shards this target owns -> dsort_extract -> metadata
 *               batches to the coordinator;
 *   plan     -- coordinator: order, assign, map, send every target its plan;
 *   create   -- a few per target: output shards from the plan, pulling each
 *               record from its origin (local read or DSORT_REC_REQ);
 *   cleanup  -- after a failure or abort: waits for the others, removes the
 *               shards created here, the extract result and the work dir.
 * Every thread holds a job reference and is counted in j->nthreads and in
 * the node's registry (the actor's fini waits for them). They block on disk
 * and on peers, never on the dsort actor's loop.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bprops.h"
#include "core/fqn.h"
#include "core/hrw.h"
#include "core/log.h"
#include "core/template.h"
#include "dsort/create.h"
#include "dsort/job_int.h"
#include "dsort/recsrc.h"
#include "dsort/shard.h"

/* Threads ------------------------------------------------------------------
 */

typedef struct dsort_thread_arg {
	dsort_job *j;
	void *(*fn)(void *);
} dsort_thread_arg;

static void *
dsort_thread_main(void *arg)
{
	dsort_thread_arg *t = arg;
	dsort_job *j = t->j;
	dsort_shared *sh = j->sh;
	void *(*fn)(void *) = t->fn;

	free(t);
	fn(j);
	pthread_mutex_lock(&j->mu);
	j->nthreads--;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	dsort_job_rele(j);
	pthread_mutex_lock(&sh->mu);
	sh->nthreads--;
	pthread_cond_broadcast(&sh->cv);
	pthread_mutex_unlock(&sh->mu);
	return NULL;
}

ais_err
dsort_job_spawn(dsort_job *j, void *(*fn)(void *) )
{
	dsort_thread_arg *t = malloc(sizeof(*t));
	pthread_attr_t at;
	pthread_t th;
	int rc;

	if (t == NULL) {
		return AIS_ENOMEM;
	}
	t->j = j;
	t->fn = fn;
	dsort_job_hold(j);
	pthread_mutex_lock(&j->mu);
	j->nthreads++;
	pthread_mutex_unlock(&j->mu);
	pthread_mutex_lock(&j->sh->mu);
	j->sh->nthreads++;
	pthread_mutex_unlock(&j->sh->mu);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&th, &at, dsort_thread_main, t);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		free(t);
		pthread_mutex_lock(&j->mu);
		j->nthreads--;
		pthread_cond_broadcast(&j->cv);
		pthread_mutex_unlock(&j->mu);
		pthread_mutex_lock(&j->sh->mu);
		j->sh->nthreads--;
		pthread_cond_broadcast(&j->sh->cv);
		pthread_mutex_unlock(&j->sh->mu);
		dsort_job_rele(j);
		return ais_err_from_errno(rc);
	}
	return AIS_OK;
}

/* Calls to peers ------------------------------------------------------------
 */

/* Request/reply to (url, actor) of another target or this one (url NULL);
 * a reply status EAGAIN/ENOENT (the peer does not know the job yet) is
 * retried for up to DSORT_RETRY_MS while the job is not aborted. On
 * success *rep is owned by the caller. */
static ais_err
dsort_call(dsort_job *j, const char *url, const char *actor, uint32_t type,
    const void *data, size_t len, bool retry, act_reply_buf *rep, char *eb,
    size_t elen)
{
	int64_t until = dsort_now_ms() + DSORT_RETRY_MS;
	ais_err err;

	for (;;) {
		memset(rep, 0, sizeof(*rep));
		err = act_call(j->node->rt, url, actor, type, data, len,
		    DSORT_CALL_MS, rep);
		if (err == AIS_OK) {
			err = rep->status;
		}
		if (err == AIS_OK) {
			return AIS_OK;
		}
		if (!retry || (err != AIS_EAGAIN && err != AIS_ENOENT)
		    || atomic_load(&j->abort) || dsort_now_ms() > until) {
			snprintf(eb, elen, "dsort %s: %s to %s: %s%s%s", j->id,
			    actor, url != NULL ? url : "self",
			    ais_strerror(err), rep->errmsg != NULL ? ": " : "",
			    rep->errmsg != NULL ? rep->errmsg : "");
			act_reply_buf_fini(rep);
			return err;
		}
		act_reply_buf_fini(rep);
		usleep(50 * 1000);
	}
}

static const char *
dsort_url_of(dsort_job *j, const char *id)
{
	const ais_snode *t;

	if (strcmp(id, j->node->self.id) == 0) {
		return NULL;
	}
	t = ais_smap_get(j->smap, id);
	return t != NULL ? t->ctrl.url : "";
}

static ais_err
dsort_send_recs(dsort_job *j, const uint8_t *buf, size_t len, bool last,
    const char *err_text, char *eb, size_t elen)
{
	Ais__DsortRecs r = AIS__DSORT_RECS__INIT;
	act_reply_buf rep;
	uint8_t *out;
	size_t n;
	ais_err err;

	r.job_id = j->id;
	r.from = j->node->self.id;
	r.recs.data = (uint8_t *) buf;
	r.recs.len = len;
	r.last = last;
	r.err = (char *) (err_text != NULL ? err_text : "");
	n = ais__dsort_recs__get_packed_size(&r);
	out = malloc(n + 1);
	if (out == NULL) {
		snprintf(eb, elen, "dsort %s: out of memory", j->id);
		return AIS_ENOMEM;
	}
	ais__dsort_recs__pack(&r, out);
	err = dsort_call(j, dsort_url_of(j, j->coord), AIS_ACTOR_DSORT,
	    AIS_MSG_DSORT_RECS, out, n, true, &rep, eb, elen);
	if (err == AIS_OK) {
		act_reply_buf_fini(&rep);
	}
	free(out);
	return err;
}

void
dsort_send_done(dsort_job *j, int64_t created, const char *err_text)
{
	Ais__DsortDone d = AIS__DSORT_DONE__INIT;
	act_reply_buf rep;
	char eb[DSORT_ERRLEN];
	uint8_t *out;
	size_t n;

	d.job_id = j->id;
	d.from = j->node->self.id;
	d.created = created;
	d.err = (char *) (err_text != NULL ? err_text : "");
	pthread_mutex_lock(&j->mu);
	d.aborted = err_text != NULL && j->err_abort;
	pthread_mutex_unlock(&j->mu);
	n = ais__dsort_done__get_packed_size(&d);
	out = malloc(n + 1);
	if (out == NULL) {
		return;
	}
	ais__dsort_done__pack(&d, out);
	if (dsort_call(j, dsort_url_of(j, j->coord), AIS_ACTOR_DSORT,
	        AIS_MSG_DSORT_DONE, out, n, true, &rep, eb, sizeof(eb))
	    == AIS_OK) {
		act_reply_buf_fini(&rep);
	} else {
		AIS_LOGW("AIS-DSORT-DONE-FAIL", "%s", eb);
	}
	free(out);
}

void
dsort_coord_send_fail(dsort_job *j, const char *err)
{
	Ais__DsortPlan p = AIS__DSORT_PLAN__INIT;
	uint8_t *out;
	size_t n;

	p.job_id = j->id;
	p.err = (char *) err;
	n = ais__dsort_plan__get_packed_size(&p);
	out = malloc(n + 1);
	if (out == NULL) {
		return;
	}
	ais__dsort_plan__pack(&p, out);
	for (size_t i = 0; i < j->smap->ntargets; i++) {
		const ais_snode *t = &j->smap->targets[i];

		if (dsort_target_eligible(t)) {
			(void) act_send(j->node->rt, dsort_url_of(j, t->id),
			    AIS_ACTOR_DSORT, AIS_MSG_DSORT_PLAN, out, n);
		}
	}
	free(out);
}

/* Failure and cleanup -------------------------------------------------------
 */

static void *
dsort_job_cleanup_main(void *arg)
{
	dsort_job *j = arg;
	char **names, **mpaths;
	size_t n;

	ais_log_set_thread("dsort-cleanup");
	pthread_mutex_lock(&j->mu);
	while (j->nthreads > 1) {
		pthread_cond_wait(&j->cv, &j->mu);
	}
	names = j->created_names;
	mpaths = j->created_mpaths;
	n = j->ncreated;
	j->created_names = j->created_mpaths = NULL;
	j->ncreated = j->created_cap = 0;
	pthread_mutex_unlock(&j->mu);
	for (size_t i = 0; i < n; i++) {
		ais_err err = dsort_create_remove(
		    mpaths[i], &j->spec.output_bck, names[i]);

		if (err != AIS_OK) {
			dsort_metrics_error(j->m, "cannot remove shard %s: %s",
			    names[i], ais_strerror(err));
		}
		free(names[i]);
		free(mpaths[i]);
	}
	free(names);
	free(mpaths);
	pthread_rwlock_wrlock(&j->ex_lock);
	dsort_src_maps_fini(j);
	dsort_extract_result_fini(&j->ex);
	free(j->by_seq);
	j->by_seq = NULL;
	j->ex_ready = false;
	pthread_rwlock_unlock(&j->ex_lock);
	(void) rmdir(j->workdir);
	AIS_LOGI("AIS-DSORT-CLEANUP",
	    "dsort %s: cleaned up (%zu shards "
	    "removed)",
	    j->id, n);
	return NULL;
}

void
dsort_job_fail(dsort_job *j, bool aborted, const char *fmt, ...)
{
	char msg[DSORT_ERRLEN];
	bool first, start;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!aborted && strstr(msg, " left the cluster (Smap v") == NULL) {
		/* A target that left is the cause of whatever failed
		 * (records out of reach): say so first. */
		ais_smap *cur = ais_node_smap(j->node);
		const char *lost = dsort_job_lost_target(j, cur);

		if (lost != NULL) {
			char m2[DSORT_ERRLEN];
			int k = snprintf(m2, sizeof(m2),
			    "dsort %s: target %s left the cluster (Smap "
			    "v%lld): ",
			    j->id, lost, (long long) cur->version);

			if (k > 0 && (size_t) k < sizeof(m2)) {
				/* the original text, cut to what fits */
				snprintf(m2 + k, sizeof(m2) - (size_t) k,
				    "%.*s",
				    (int) (sizeof(m2) - (size_t) k - 1), msg);
			}
			memcpy(msg, m2, sizeof(msg));
		}
		ais_smap_rele(cur);
	}
	atomic_store(&j->abort, true);
	pthread_mutex_lock(&j->mu);
	first = j->err[0] == '\0' && !dsort_metrics_aborted(j->m);
	if (first) {
		atomic_store(&j->fail_ms, dsort_now_ms());
	}
	if (first) {
		snprintf(j->err, sizeof(j->err), "%s", msg);
		j->err_abort = aborted;
	}
	start = !j->cleaning;
	j->cleaning = true;
	j->state = DSORT_JS_FAILED;
	pthread_mutex_unlock(&j->mu);
	if (first && !aborted) {
		dsort_metrics_error(j->m, "%s", msg);
	}
	if (first) {
		AIS_LOGW("AIS-DSORT-FAIL", "%s", msg);
	}
	dsort_metrics_set_aborted(j->m);
	if (!aborted && strcmp(j->coord, j->node->self.id) == 0
	    && !atomic_exchange(&j->fail_sent, true)) {
		dsort_coord_send_fail(j, msg);
	}
	if (start && dsort_job_spawn(j, dsort_job_cleanup_main) != AIS_OK) {
		AIS_LOGE("AIS-DSORT-CLEANUP-FAIL",
		    "dsort %s: cannot start cleanup", j->id);
	}
}

/* Extract ------------------------------------------------------------------
 */

typedef struct dsort_in {
	char *name;
	char *path;
	uint64_t gidx; /* index in the whole input list */
} dsort_in;

typedef struct dsort_inlist {
	dsort_in *v;
	size_t n, cap;
} dsort_inlist;

static void
dsort_inlist_fini(dsort_inlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].path);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Adds objname when this target owns it; the path is on its HRW
 * mountpath (missing files are extract's missing_shards reaction). */
static ais_err
dsort_inlist_add(dsort_job *j, const ais_mpset *mps, dsort_inlist *l,
    const char *objname, uint64_t gidx, bool check_owner, char *eb,
    size_t elen)
{
	const dsort_bck *b = &j->spec.input_bck;
	char uname[AIS_OBJNAME_MAX + 256], path[PATH_MAX];
	const ais_snode *owner = NULL;
	size_t ulen;
	const ais_mpath *mp;

	ulen = ais_uname(
	    uname, sizeof(uname), b->provider, b->ns, b->name, objname);
	if (ulen == 0) {
		snprintf(eb, elen, "input shard name too long: %s", objname);
		return AIS_EINVAL;
	}
	if (check_owner) {
		if (ais_hrw_target(j->smap, uname, ulen, &owner) != AIS_OK
		    || strcmp(owner->id, j->node->self.id) != 0) {
			return AIS_OK;
		}
	}
	mp = &mps->avail[ais_hrw_mpath(
	    mps->avail, mps->n, ais_hrw_digest(uname, ulen))];
	if (ais_fqn(path, sizeof(path), mp->path, b->provider, b->ns, b->name,
	        AIS_CT_OBJ, objname)
	    != AIS_OK) {
		snprintf(eb, elen, "input shard path too long: %s", objname);
		return AIS_EINVAL;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 64 : 2 * l->cap;
		dsort_in *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			return AIS_ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].name = strdup(objname);
	l->v[l->n].path = strdup(path);
	l->v[l->n].gidx = gidx;
	if (l->v[l->n].name == NULL || l->v[l->n].path == NULL) {
		free(l->v[l->n].name);
		free(l->v[l->n].path);
		return AIS_ENOMEM;
	}
	l->n++;
	return AIS_OK;
}

/* Prefix templates: walks rel under dir (a bucket's %ob) for names with
 * the prefix and the input extension that this target owns. */
static ais_err
dsort_walk(dsort_job *j, const ais_mpset *mps, dsort_inlist *l,
    const char *dir, const char *rel, const char *prefix, char *eb,
    size_t elen)
{
	char path[PATH_MAX], name[AIS_OBJNAME_MAX + 1];
	DIR *d;
	struct dirent *de;
	ais_err err = AIS_OK;

	snprintf(
	    path, sizeof(path), "%s%s%s", dir, rel[0] != '\0' ? "/" : "", rel);
	d = opendir(path);
	if (d == NULL) {
		return errno == ENOENT ? AIS_OK : ais_err_from_errno(errno);
	}
	while (err == AIS_OK && (de = readdir(d)) != NULL) {
		const char *ext;
		struct stat st;
		char full[PATH_MAX];

		if (strcmp(de->d_name, ".") == 0
		    || strcmp(de->d_name, "..") == 0) {
			continue;
		}
		if ((size_t) snprintf(name, sizeof(name), "%s%s%s", rel,
		        rel[0] != '\0' ? "/" : "", de->d_name)
		    >= sizeof(name)) {
			continue;
		}
		snprintf(full, sizeof(full), "%s/%s", dir, name);
		if (lstat(full, &st) != 0) {
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			err = dsort_walk(
			    j, mps, l, dir, name, prefix, eb, elen);
			continue;
		}
		ext = dsort_ext_of(name);
		if (!S_ISREG(st.st_mode)
		    || strncmp(name, prefix, strlen(prefix)) != 0
		    || ext == NULL || strcmp(ext, j->spec.input_ext) != 0) {
			continue;
		}
		err = dsort_inlist_add(j, mps, l, name, 0, true, eb, elen);
		/* keep only the copy on its HRW mountpath */
		if (err == AIS_OK && l->n > 0
		    && strcmp(l->v[l->n - 1].path, full) != 0) {
			l->n--;
			free(l->v[l->n].name);
			free(l->v[l->n].path);
		}
	}
	closedir(d);
	return err;
}

static int
dsort_in_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const dsort_in *) a)->name, ((const dsort_in *) b)->name);
}

static ais_err
dsort_inputs(dsort_job *j, dsort_inlist *l, char *eb, size_t elen)
{
	const ais_mpset *mps = ais_node_mpset(j->node);
	const dsort_spec *sp = &j->spec;
	char nm[AIS_OBJNAME_MAX + 1];
	ais_tmpl t;
	const char *s;
	uint64_t gidx = 0;
	ais_err err = AIS_OK;

	if (sp->objnames != NULL) {
		for (size_t i = 0; err == AIS_OK && i < sp->nobjnames; i++) {
			err = dsort_shard_name(
			    sp->objnames[i], sp->input_ext, nm, sizeof(nm));
			if (err == AIS_OK) {
				err = dsort_inlist_add(
				    j, mps, l, nm, i, true, eb, elen);
			}
		}
		return err;
	}
	err = ais_tmpl_parse(&t,
	    sp->input_template != NULL ? sp->input_template : "", eb, elen);
	if (err != AIS_OK) {
		return err;
	}
	if (ais_tmpl_is_prefix(&t)) {
		const dsort_bck *b = &sp->input_bck;

		for (size_t m = 0; err == AIS_OK && m < mps->n; m++) {
			char dir[PATH_MAX];

			err = ais_bck_dir(dir, sizeof(dir), mps->avail[m].path,
			    b->provider, b->ns, b->name);
			if (err == AIS_OK) {
				strncat(dir, "/" AIS_CT_OBJ,
				    sizeof(dir) - strlen(dir) - 1);
				err = dsort_walk(j, mps, l, dir, "",
				    ais_tmpl_prefix(&t), eb, elen);
			}
		}
		if (err == AIS_OK) {
			qsort(l->v, l->n, sizeof(*l->v), dsort_in_cmp);
			for (size_t i = 0; i < l->n; i++) {
				l->v[i].gidx = i;
			}
		}
	} else {
		while (
		    err == AIS_OK && (s = ais_tmpl_next(&t, NULL)) != NULL) {
			err = dsort_shard_name(
			    s, sp->input_ext, nm, sizeof(nm));
			if (err == AIS_OK) {
				err = dsort_inlist_add(
				    j, mps, l, nm, gidx, true, eb, elen);
			}
			gidx++;
		}
	}
	ais_tmpl_fini(&t);
	if (err != AIS_OK && eb[0] == '\0') {
		snprintf(eb, elen, "dsort %s: input shards: %s", j->id,
		    ais_strerror(err));
	}
	return err;
}

static int
dsort_seq_ix_cmp(const void *a, const void *b)
{
	uint64_t x = ((const dsort_seq_ix *) a)->seq;
	uint64_t y = ((const dsort_seq_ix *) b)->seq;

	return x < y ? -1 : x > y;
}

static uint64_t
dsort_mem_budget(const dsort_spec *sp)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	if (!sp->mem_is_pct) {
		return sp->max_mem;
	}
	if (pages <= 0 || psz <= 0) {
		return 1ULL << 30;
	}
	return (uint64_t) pages * (uint64_t) psz / 100 * sp->max_mem;
}

/* Sends the metadata of res to the coordinator in batches. */
static ais_err
dsort_ship_recs(
    dsort_job *j, const dsort_extract_result *res, char *eb, size_t elen)
{
	size_t cap = DSORT_RECS_BATCH, used = 0;
	uint8_t *buf = malloc(cap);
	ais_err err = AIS_OK;

	if (buf == NULL) {
		return AIS_ENOMEM;
	}
	for (size_t i = 0; err == AIS_OK && i < res->n; i++) {
		size_t need
		    = dsort_rec_meta_size(&res->recs[i], &res->locs[i]);
		size_t w;

		if (used > 0 && used + need > DSORT_RECS_BATCH) {
			err = dsort_send_recs(
			    j, buf, used, false, NULL, eb, elen);
			used = 0;
			if (err != AIS_OK) {
				break;
			}
		}
		if (used + need > cap) {
			uint8_t *nb = realloc(buf, used + need);

			if (nb == NULL) {
				err = AIS_ENOMEM;
				break;
			}
			buf = nb;
			cap = used + need;
		}
		err = dsort_rec_meta_encode(
		    &res->recs[i], &res->locs[i], buf + used, cap - used, &w);
		if (err != AIS_OK) {
			snprintf(eb, elen,
			    "dsort %s: record %s: cannot encode", j->id,
			    res->recs[i].name);
			break;
		}
		used += w;
		if (atomic_load(&j->abort)) {
			err = AIS_ESTOPPED;
		}
	}
	if (err == AIS_OK) {
		err = dsort_send_recs(j, buf, used, true, NULL, eb, elen);
	}
	free(buf);
	return err;
}

void *
dsort_job_extract_main(void *arg)
{
	dsort_job *j = arg;
	dsort_inlist in = { 0 };
	dsort_input_shard *shards = NULL;
	dsort_extract_result res = { 0 };
	dsort_seq_ix *ix = NULL;
	dsort_extract_args args;
	char eb[DSORT_ERRLEN] = "";
	ais_err err;
	int64_t spilled_shards = 0;
	uint64_t last_spill = UINT64_MAX;

	ais_log_set_thread("dsort-extract");
	res.spill_fd = -1;
	dsort_metrics_phase_begin(j->m, DSORT_PHASE_EXTRACT, 0);
	if (!j->eligible) {
		/* in maintenance: owns nothing, the coordinator skips it */
		for (int p = 0; p < DSORT_PHASE__COUNT; p++) {
			dsort_metrics_phase_finish(j->m, (dsort_phase) p, 0);
		}
		pthread_mutex_lock(&j->mu);
		if (j->state != DSORT_JS_FAILED) {
			j->state = DSORT_JS_DONE;
		}
		pthread_mutex_unlock(&j->mu);
		return NULL;
	}
	err = dsort_inputs(j, &in, eb, sizeof(eb));
	if (err != AIS_OK) {
		goto fail;
	}
	shards = calloc(in.n + 1, sizeof(*shards));
	if (shards == NULL) {
		err = AIS_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < in.n; i++) {
		shards[i].name = in.v[i].name;
		shards[i].path = in.v[i].path;
	}
	dsort_metrics_set(j->m, DSORT_CNT_TOTAL, (int64_t) in.n);
	args = (dsort_extract_args) {
		.spec = &j->spec,
		.shards = shards,
		.nshards = in.n,
		.workdir = j->workdir,
		.mem_budget = dsort_mem_budget(&j->spec),
		.abort = &j->abort,
		.origin = j->self_idx,
	};
	err = dsort_extract(&args, &res, eb, sizeof(eb));
	if (err != AIS_OK) {
		goto fail;
	}
	/* seq: global input order (shard index in the whole list) */
	ix = calloc(res.n + 1, sizeof(*ix));
	if (ix == NULL) {
		err = AIS_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < res.n; i++) {
		dsort_rec *r = &res.recs[i];
		uint64_t local = r->seq >> 32;

		if (res.spill_path != NULL
		    && res.locs[i].kind == DSORT_LOC_FILE
		    && res.locs[i].path != NULL
		    && strcmp(res.locs[i].path, res.spill_path) == 0
		    && local != last_spill) {
			spilled_shards++;
			last_spill = local;
		}
		if (local < in.n) {
			r->seq
			    = in.v[local].gidx << 32 | (r->seq & 0xffffffffu);
		}
		ix[i].seq = r->seq;
		ix[i].idx = i;
	}
	qsort(ix, res.n, sizeof(*ix), dsort_seq_ix_cmp);
	dsort_metrics_set(
	    j->m, DSORT_CNT_EXTRACTED, (int64_t) res.shards_done);
	dsort_metrics_set(j->m, DSORT_CNT_EXTRACTED_SIZE, (int64_t) res.bytes);
	dsort_metrics_set(j->m, DSORT_CNT_EXTRACTED_RECORDS, (int64_t) res.n);
	dsort_metrics_set(j->m, DSORT_CNT_EXTRACTED_TO_DISK, spilled_shards);
	dsort_metrics_set(j->m, DSORT_CNT_EXTRACTED_TO_DISK_SIZE,
	    (int64_t) res.spilled_bytes);
	for (size_t i = 0; i < res.nwarnings; i++) {
		dsort_metrics_warn(j->m, "%s", res.warnings[i]);
	}
	pthread_rwlock_wrlock(&j->ex_lock);
	j->ex = res;
	j->by_seq = ix;
	/* without the cache every read opens its file: slower, not wrong */
	(void) dsort_src_maps_init(j);
	j->ex_ready = true;
	pthread_rwlock_unlock(&j->ex_lock);
	ix = NULL;
	memset(&res, 0, sizeof(res));
	res.spill_fd = -1;
	dsort_metrics_phase_finish(j->m, DSORT_PHASE_EXTRACT, 0);
	dsort_metrics_phase_begin(j->m, DSORT_PHASE_SORT, 0);
	pthread_mutex_lock(&j->mu);
	if (j->state == DSORT_JS_EXTRACT) {
		j->state = DSORT_JS_WAIT_PLAN;
	}
	pthread_mutex_unlock(&j->mu);
	/* j->ex is immutable until cleanup, which waits for this thread */
	err = dsort_ship_recs(j, &j->ex, eb, sizeof(eb));
	if (err != AIS_OK) {
		goto fail;
	}
	dsort_inlist_fini(&in);
	free(shards);
	return NULL;
fail:
	if (eb[0] == '\0') {
		snprintf(eb, sizeof(eb), "dsort %s: extract: %s", j->id,
		    ais_strerror(err));
	}
	if (err == AIS_ESTOPPED && !atomic_load(&j->abort)) {
		/* the coordinator already ended the job (a failure elsewhere,
		 * which it sends to every target): an abort here */
		dsort_job_fail(
		    j, true, "dsort %s aborted (by %s)", j->id, j->coord);
	} else if (err != AIS_ESTOPPED) {
		char eb2[DSORT_ERRLEN];

		dsort_job_fail(j, false, "%s: %s", j->node->self.id, eb);
		/* the coordinator fails the job everywhere (it adds our id) */
		(void) dsort_send_recs(j, NULL, 0, true, eb, eb2, sizeof(eb2));
	}
	free(ix);
	dsort_extract_result_fini(&res);
	dsort_inlist_fini(&in);
	free(shards);
	return NULL;
}

/* Coordinator ----------------------------------------------------------------
 */

ais_err
dsort_coord_add_recs(dsort_job *j, dsort_coord_src *src, const uint8_t *buf,
    size_t len, uint32_t origin)
{
	ais_shard_fmt fmt = AIS_SHARD_TAR;
	bool tar = ais_shard_fmt_parse(j->spec.output_ext, &fmt) == AIS_OK;
	size_t off = 0;

	while (off < len) {
		dsort_rec r;
		dsort_rec_loc l;
		size_t used = 0;
		uint64_t est = 0;
		ais_err err;

		err = dsort_rec_meta_decode(
		    buf + off, len - off, &used, &r, &l);
		if (err != AIS_OK) {
			return err;
		}
		if (tar) {
			for (size_t i = 0; i < l.nfiles; i++) {
				est += ais_shard_file_size_estimate(fmt,
				    l.files[i].name, l.files[i].size,
				    l.files[i].mtime);
			}
			r.size = est; /* what it adds to an output shard */
		}
		r.origin = origin;
		dsort_rec_loc_fini(&l);
		if (src->n == src->cap) {
			size_t cap = src->cap == 0 ? 256 : 2 * src->cap;
			dsort_rec *nr = realloc(src->recs, cap * sizeof(*nr));
			uint8_t **nm;
			size_t *nl;

			if (nr != NULL) {
				src->recs = nr;
			}
			nm = realloc(src->metas, cap * sizeof(*nm));
			if (nm != NULL) {
				src->metas = nm;
			}
			nl = realloc(src->mlens, cap * sizeof(*nl));
			if (nl != NULL) {
				src->mlens = nl;
			}
			if (nr == NULL || nm == NULL || nl == NULL) {
				dsort_rec_fini(&r);
				return AIS_ENOMEM;
			}
			src->cap = cap;
		}
		src->metas[src->n] = malloc(used);
		if (src->metas[src->n] == NULL) {
			dsort_rec_fini(&r);
			return AIS_ENOMEM;
		}
		memcpy(src->metas[src->n], buf + off, used);
		src->mlens[src->n] = used;
		src->recs[src->n++] = r;
		off += used;
	}
	return AIS_OK;
}

void
dsort_coord_srcs_free(dsort_job *j)
{
	for (size_t i = 0; i < j->nsrcs; i++) {
		dsort_coord_src *s = &j->srcs[i];

		if (s->recs != NULL) {
			dsort_recs_free(s->recs, s->n);
		}
		for (size_t k = 0; s->metas != NULL && k < s->n; k++) {
			free(s->metas[k]);
		}
		free(s->metas);
		free(s->mlens);
		s->recs = NULL;
		s->metas = NULL;
		s->mlens = NULL;
		s->n = s->cap = 0;
	}
	free(j->srcs);
	j->srcs = NULL;
	j->nsrcs = 0;
}

const dsort_seq_ix *
dsort_seq_find(const dsort_seq_ix *v, size_t n, uint64_t seq)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].seq < seq) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo < n && v[lo].seq == seq ? &v[lo] : NULL;
}

/* Packs target t's part of the plan into *outp (malloc'd), *np bytes. */
static ais_err
dsort_pack_plan(dsort_job *j, const ais_snode *t, const dsort_plan *plan,
    const dsort_rec *recs, uint8_t **outp, size_t *np, char *eb, size_t elen)
{
	Ais__DsortPlan p = AIS__DSORT_PLAN__INIT;
	Ais__DsortPlanShard *shs = NULL, **shp = NULL;
	Ais__DsortPlanRec *prs = NULL, **prp = NULL;
	size_t nsh = 0, nrec = 0, ri = 0, si = 0;
	uint8_t *out = NULL;
	ais_err err = AIS_OK;

	for (size_t k = 0; k < plan->n; k++) {
		if (strcmp(plan->shards[k].target, t->id) == 0) {
			nsh++;
			nrec += plan->shards[k].count;
		}
	}
	shs = calloc(nsh + 1, sizeof(*shs));
	shp = calloc(nsh + 1, sizeof(*shp));
	prs = calloc(nrec + 1, sizeof(*prs));
	prp = calloc(nrec + 1, sizeof(*prp));
	if (shs == NULL || shp == NULL || prs == NULL || prp == NULL) {
		err = AIS_ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < plan->n; k++) {
		const dsort_oshard *o = &plan->shards[k];

		if (strcmp(o->target, t->id) != 0) {
			continue;
		}
		ais__dsort_plan_shard__init(&shs[si]);
		shs[si].name = o->name;
		shs[si].n_recs = o->count;
		shs[si].recs = &prp[ri];
		shp[si] = &shs[si];
		si++;
		for (size_t r = o->first; r < o->first + o->count; r++) {
			const dsort_rec *rc = &recs[r];
			const dsort_coord_src *src = &j->srcs[rc->origin];

			if (rc->origin >= j->nsrcs || rc->ix >= src->n) {
				snprintf(eb, elen, "dsort %s: record %s lost",
				    j->id, rc->name);
				err = AIS_EINTERNAL;
				goto out;
			}
			ais__dsort_plan_rec__init(&prs[ri]);
			prs[ri].origin = (char *) src->id;
			prs[ri].seq = rc->seq;
			prs[ri].meta.data = src->metas[rc->ix];
			prs[ri].meta.len = src->mlens[rc->ix];
			prp[ri] = &prs[ri];
			ri++;
		}
	}
	p.job_id = j->id;
	p.n_shards = nsh;
	p.shards = shp;
	p.total_shards = (int64_t) plan->n;
	{
		size_t n = ais__dsort_plan__get_packed_size(&p);

		out = malloc(n + 1);
		if (out == NULL) {
			err = AIS_ENOMEM;
			goto out;
		}
		ais__dsort_plan__pack(&p, out);
		*outp = out;
		*np = n;
		out = NULL;
	}
out:
	if (err == AIS_ENOMEM && eb[0] == '\0') {
		snprintf(eb, elen, "dsort %s: out of memory", j->id);
	}
	free(out);
	free(shs);
	free(shp);
	free(prs);
	free(prp);
	return err;
}

/* Sends every eligible target its packed plan at once (a big plan takes a
 * while to unpack: one target's must not wait for another's); a target
 * that does not know the job yet is retried as dsort_call does. */
static ais_err
dsort_send_plans(
    dsort_job *j, uint8_t **outs, const size_t *lens, char *eb, size_t elen)
{
	size_t nt = j->smap->ntargets;
	act_call_h **hs = calloc(nt + 1, sizeof(*hs));
	ais_err err = AIS_OK;

	if (hs == NULL) {
		return AIS_ENOMEM;
	}
	for (size_t i = 0; i < nt; i++) {
		if (outs[i] == NULL) {
			continue;
		}
		(void) act_call_start(j->node->rt,
		    dsort_url_of(j, j->smap->targets[i].id), AIS_ACTOR_DSORT,
		    AIS_MSG_DSORT_PLAN, outs[i], lens[i], DSORT_CALL_MS,
		    &hs[i]);
	}
	for (size_t i = 0; i < nt; i++) {
		act_reply_buf rep;
		ais_err e;

		if (outs[i] == NULL) {
			continue;
		}
		e = hs[i] != NULL ? act_call_finish(hs[i], &rep) : AIS_ECLOSED;
		if (e == AIS_OK) {
			e = rep.status;
			act_reply_buf_fini(&rep);
		}
		if (e != AIS_OK && err == AIS_OK) {
			/* once more, with dsort_call's retries and message */
			e = dsort_call(j,
			    dsort_url_of(j, j->smap->targets[i].id),
			    AIS_ACTOR_DSORT, AIS_MSG_DSORT_PLAN, outs[i],
			    lens[i], true, &rep, eb, elen);
			if (e == AIS_OK) {
				act_reply_buf_fini(&rep);
			}
			err = e;
		}
	}
	free(hs);
	return err;
}

void *
dsort_job_plan_main(void *arg)
{
	dsort_job *j = arg;
	dsort_rec *recs = NULL;
	dsort_plan plan = { 0 };
	uint8_t **outs = NULL; /* packed plan per target (by Smap index) */
	size_t *lens = NULL;
	char eb[DSORT_ERRLEN] = "";
	size_t total = 0, at = 0;
	int64_t max, t0 = dsort_now_ms(), t_order = 0, t_assign = 0,
	             t_pack = 0;
	ais_err err = AIS_OK;

	ais_log_set_thread("dsort-plan");
	for (size_t i = 0; i < j->nsrcs; i++) {
		total += j->srcs[i].n;
	}
	recs = calloc(total + 1, sizeof(*recs));
	if (recs == NULL) {
		err = AIS_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < j->nsrcs; i++) {
		dsort_coord_src *s = &j->srcs[i];

		for (size_t k = 0; k < s->n; k++) {
			recs[at] = s->recs[k];        /* moved */
			recs[at++].ix = (uint32_t) k; /* its metas[] */
		}
		free(s->recs);
		s->recs = NULL;
	}
	t_order = dsort_now_ms();
	err = dsort_order(recs, total, &j->spec.alg, eb, sizeof(eb));
	if (err != AIS_OK) {
		goto fail;
	}
	t_assign = dsort_now_ms();
	max = j->spec.output_shard_size;
	if (max > 0 && strcmp(j->spec.output_ext, ".tar") == 0
	    && max > AIS_SHARD_TAR_TRAILER) {
		max -= AIS_SHARD_TAR_TRAILER;
	}
	err = dsort_assign(recs, total, max, j->spec.output_format,
	    j->spec.output_ext, &plan, eb, sizeof(eb));
	if (err == AIS_OK) {
		err = dsort_plan_map(
		    &plan, j->smap, &j->spec.output_bck, eb, sizeof(eb));
	}
	if (err != AIS_OK) {
		goto fail;
	}
	t_pack = dsort_now_ms();
	outs = calloc(j->smap->ntargets + 1, sizeof(*outs));
	lens = calloc(j->smap->ntargets + 1, sizeof(*lens));
	if (outs == NULL || lens == NULL) {
		err = AIS_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < j->smap->ntargets && err == AIS_OK; i++) {
		const ais_snode *t = &j->smap->targets[i];

		if (dsort_target_eligible(t)) {
			err = dsort_pack_plan(j, t, &plan, recs, &outs[i],
			    &lens[i], eb, sizeof(eb));
		}
	}
	if (err == AIS_OK && atomic_load(&j->abort)) {
		err = AIS_ESTOPPED;
	}
	if (err == AIS_OK) {
		int64_t t_send = dsort_now_ms();

		err = dsort_send_plans(j, outs, lens, eb, sizeof(eb));
		/* where the (single-threaded) planning time goes */
		AIS_LOGI("AIS-DSORT-PLAN",
		    "dsort %s: %zu records -> %zu shards (ms: gather %" PRId64
		    ", order %" PRId64 ", assign %" PRId64 ", pack %" PRId64
		    ", send %" PRId64 ")",
		    j->id, total, plan.n, t_order - t0, t_assign - t_order,
		    t_pack - t_assign, t_send - t_pack,
		    dsort_now_ms() - t_send);
	}
	if (err != AIS_OK) {
		goto fail;
	}
	goto out;
fail:
	if (eb[0] == '\0') {
		snprintf(eb, sizeof(eb), "dsort %s: plan: %s", j->id,
		    ais_strerror(err));
	}
	if (!atomic_load(&j->abort) || err != AIS_ESTOPPED) {
		dsort_job_fail(j, false, "%s", eb);
		dsort_coord_send_fail(j, eb);
	}
out:
	for (size_t i = 0; outs != NULL && i < j->smap->ntargets; i++) {
		free(outs[i]);
	}
	free(outs);
	free(lens);
	dsort_plan_fini(&plan);
	if (recs != NULL) {
		dsort_recs_free(recs, at);
	}
	for (size_t i = 0; i < j->nsrcs; i++) {
		dsort_coord_src *s = &j->srcs[i];

		for (size_t k = 0; s->metas != NULL && k < s->n; k++) {
			free(s->metas[k]);
		}
		free(s->metas);
		free(s->mlens);
		s->metas = NULL;
		s->mlens = NULL;
		/* recs moved (or still there if the move did not happen) */
		if (s->recs != NULL) {
			dsort_recs_free(s->recs, s->n);
			s->recs = NULL;
		}
		s->n = s->cap = 0;
	}
	return NULL;
}

/* Source reads ---------------------------------------------------------------
 */

ais_err
dsort_job_src_read(dsort_job *j, uint64_t seq, int32_t file, uint64_t off,
    uint8_t *buf, size_t max, size_t *np)
{
	const dsort_seq_ix *x;
	const dsort_rec_loc *l;
	size_t n = 0, first = 0, last;
	dsort_src_rd rd = DSORT_SRC_RD_INIT;
	ais_err err = AIS_OK;

	*np = 0;
	pthread_rwlock_rdlock(&j->ex_lock);
	if (!j->ex_ready
	    || (x = dsort_seq_find(j->by_seq, j->ex.n, seq)) == NULL) {
		err = AIS_ENOENT;
		goto out;
	}
	l = &j->ex.locs[x->idx];
	last = l->nfiles;
	if (file >= 0) {
		if ((size_t) file >= l->nfiles) {
			err = AIS_EINVAL;
			goto out;
		}
		first = (size_t) file;
		last = first + 1;
	}
	for (size_t i = first; i < last && n < max; i++) {
		const dsort_file_loc *f = &l->files[i];
		size_t take;

		if (off >= f->size) {
			off -= f->size;
			continue;
		}
		take = f->size - off < max - n ? (size_t) (f->size - off)
		                               : max - n;
		if (l->kind == DSORT_LOC_MEM) {
			if (l->mem == NULL) {
				err = AIS_ENOENT;
				goto out;
			}
			memcpy(buf + n, l->mem + f->offset + off, take);
		} else if ((err = dsort_src_copy(
		                j, &rd, l, f->offset + off, buf + n, take))
		    != AIS_OK) {
			goto out;
		}
		n += take;
		off = 0;
	}
	*np = n;
out:
	dsort_src_rd_fini(&rd);
	pthread_rwlock_unlock(&j->ex_lock);
	return err;
}

/* Create ------------------------------------------------------------------ */

typedef struct dsort_creator {
	dsort_job *j;
	uint8_t *buf;     /* DSORT_FETCH_CHUNK, for records not batched */
	dsort_pipe *pipe; /* the shard being created */
	char feb[DSORT_ERRLEN]; /* the pipeline's error text */
} dsort_creator;

/* Feeds the record's concatenated bytes into the sink file by file. */
typedef struct dsort_feed {
	dsort_create_sink *s;
	const dsort_rec_loc *l;
	size_t fi;
	bool begun;
	uint64_t left;
} dsort_feed;

static ais_err
dsort_feed_open(dsort_feed *f)
{
	ais_err err;

	while (f->fi < f->l->nfiles) {
		const dsort_file_loc *fl = &f->l->files[f->fi];

		if (!f->begun) {
			err = dsort_create_file_begin(
			    f->s, fl->name, fl->size, fl->mtime);
			if (err != AIS_OK) {
				return err;
			}
			f->begun = true;
			f->left = fl->size;
		}
		if (f->left > 0) {
			return AIS_OK;
		}
		err = dsort_create_file_end(f->s);
		if (err != AIS_OK) {
			return err;
		}
		f->fi++;
		f->begun = false;
	}
	return AIS_OK;
}

/* ref: buf stays valid until the creator's next flush (a batch reply) */
static ais_err
dsort_feed_bytes(dsort_feed *f, const uint8_t *buf, size_t n, bool ref)
{
	ais_err err;

	while (n > 0) {
		size_t take;

		if ((err = dsort_feed_open(f)) != AIS_OK) {
			return err;
		}
		if (f->fi >= f->l->nfiles) {
			return AIS_EIO; /* more bytes than the files hold */
		}
		take = f->left < n ? (size_t) f->left : n;
		err = ref ? dsort_create_file_write_ref(f->s, buf, take)
		          : dsort_create_file_write(f->s, buf, take);
		if (err != AIS_OK) {
			return err;
		}
		buf += take;
		n -= take;
		f->left -= take;
	}
	return AIS_OK;
}

static ais_err
dsort_fetch_remote(dsort_creator *c, const dsort_fetch_rec *fr, uint64_t off,
    size_t max, size_t *np)
{
	Ais__DsortRecReq q = AIS__DSORT_REC_REQ__INIT;
	Ais__DsortRecResp *r;
	act_reply_buf rep;
	uint8_t out[256 + DSORT_JOB_ID_MAX];
	char eb[DSORT_ERRLEN];
	size_t n;
	ais_err err;

	q.job_id = c->j->id;
	q.seq = fr->seq;
	q.file = -1;
	q.offset = off;
	q.max = (uint32_t) max;
	n = ais__dsort_rec_req__pack(&q, out);
	err = dsort_call(c->j, fr->url,
	    dsort_src_actor_name(fr->seq % DSORT_SRC_ACTORS),
	    AIS_MSG_DSORT_REC_REQ, out, n, false, &rep, eb, sizeof(eb));
	if (err != AIS_OK) {
		return err;
	}
	r = ais__dsort_rec_resp__unpack(NULL, rep.len, rep.data);
	act_reply_buf_fini(&rep);
	if (r == NULL || r->data.len > max) {
		if (r != NULL) {
			ais__dsort_rec_resp__free_unpacked(r, NULL);
		}
		return AIS_EPROTO;
	}
	memcpy(c->buf, r->data.data, r->data.len);
	*np = r->data.len;
	ais__dsort_rec_resp__free_unpacked(r, NULL);
	return AIS_OK;
}

static ais_err
dsort_fetch(void *arg, const dsort_create_rec *rec, dsort_create_sink *s)
{
	dsort_creator *c = arg;
	const dsort_fetch_rec *fr = rec->arg;
	dsort_feed f = { .s = s, .l = &fr->loc };
	const uint8_t *data = NULL;
	uint64_t off = 0;
	ais_err err;

	/* the writer may still point into a reply the pipe is about to
	 * free */
	if (dsort_pipe_releases(c->pipe)
	    && (err = dsort_create_flush(s)) != AIS_OK) {
		return err;
	}
	err = dsort_pipe_get(c->pipe, fr->idx, &data, c->feb, sizeof(c->feb));
	if (err != AIS_OK) {
		return err;
	}
	if (data != NULL) {
		/* batched: the whole record is in the reply */
		if ((err = dsort_feed_bytes(&f, data, fr->total, true))
		    != AIS_OK) {
			return err;
		}
		return dsort_feed_open(&f); /* trailing empty files */
	}
	while (off < fr->total) {
		size_t max = fr->total - off < DSORT_FETCH_CHUNK
		    ? (size_t) (fr->total - off)
		    : DSORT_FETCH_CHUNK;
		size_t n = 0;

		if (atomic_load(&c->j->abort)) {
			return AIS_ESTOPPED;
		}
		err = fr->local ? dsort_job_src_read(
		          c->j, fr->seq, -1, off, c->buf, max, &n)
		                : dsort_fetch_remote(c, fr, off, max, &n);
		if (err != AIS_OK) {
			return err;
		}
		if (n == 0) {
			return AIS_EIO; /* origin has fewer bytes */
		}
		if ((err = dsort_feed_bytes(&f, c->buf, n, false)) != AIS_OK) {
			return err;
		}
		off += n;
	}
	return dsort_feed_open(&f); /* trailing empty files */
}

/* Creates shard k of the plan on this target. */
static ais_err
dsort_create_one(dsort_creator *c, const Ais__DsortPlanShard *ps,
    char *mpath_out, size_t mplen, char *eb, size_t elen)
{
	dsort_job *j = c->j;
	const dsort_bck *ob = &j->spec.output_bck;
	dsort_fetch_rec *frs = calloc(ps->n_recs + 1, sizeof(*frs));
	dsort_create_rec *crs = calloc(ps->n_recs + 1, sizeof(*crs));
	dsort_rec *names = calloc(ps->n_recs + 1, sizeof(*names));
	const ais_mpset *mps = ais_node_mpset(j->node);
	ais_bmd *bmd = NULL;
	ais_bprops props;
	bool have_props = false;
	dsort_create_dst dst;
	dsort_create_result res;
	ais_shard_fmt fmt;
	char uname[AIS_OBJNAME_MAX + 256];
	size_t ulen, nrec = 0;
	ais_err err;

	if (frs == NULL || crs == NULL || names == NULL) {
		err = AIS_ENOMEM;
		goto out;
	}
	err = ais_shard_fmt_parse(j->spec.output_ext, &fmt);
	if (err != AIS_OK) {
		snprintf(eb, elen, "dsort %s: output extension %s", j->id,
		    j->spec.output_ext);
		goto out;
	}
	for (; nrec < ps->n_recs; nrec++) {
		const Ais__DsortPlanRec *pr = ps->recs[nrec];
		dsort_fetch_rec *fr = &frs[nrec];
		size_t used;

		err = dsort_rec_meta_decode(pr->meta.data, pr->meta.len, &used,
		    &names[nrec], &fr->loc);
		if (err != AIS_OK) {
			snprintf(eb, elen,
			    "dsort %s: shard %s: bad record "
			    "metadata",
			    j->id, ps->name);
			goto out;
		}
		fr->seq = pr->seq;
		fr->idx = nrec;
		fr->local = strcmp(pr->origin, j->node->self.id) == 0;
		fr->url = fr->local ? NULL : dsort_url_of(j, pr->origin);
		if (fr->url != NULL && fr->url[0] == '\0') {
			snprintf(eb, elen, "dsort %s: origin %s not in Smap",
			    j->id, pr->origin);
			err = AIS_ENOENT;
			nrec++;
			goto out;
		}
		for (size_t k = 0; k < fr->loc.nfiles; k++) {
			fr->total += fr->loc.files[k].size;
		}
		crs[nrec].name = names[nrec].name;
		crs[nrec].size = fr->total;
		crs[nrec].origin = 0;
		crs[nrec].arg = fr;
	}
	ulen = ais_uname(
	    uname, sizeof(uname), ob->provider, ob->ns, ob->name, ps->name);
	if (ulen == 0 || mps == NULL || mps->n == 0) {
		snprintf(eb, elen, "dsort %s: shard %s: no mountpath", j->id,
		    ps->name);
		err = AIS_EINVAL;
		goto out;
	}
	snprintf(mpath_out, mplen, "%s",
	    mps->avail[ais_hrw_mpath(
	                   mps->avail, mps->n, ais_hrw_digest(uname, ulen))]
	        .path);
	bmd = ais_node_bmd(j->node);
	if (bmd != NULL) {
		const ais_bck *b
		    = ais_bmd_get(bmd, ob->provider, ob->ns, ob->name);

		if (b == NULL) {
			snprintf(eb, elen,
			    "dsort %s: output bucket %s://%s "
			    "does not exist",
			    j->id, ob->provider, ob->name);
			err = AIS_ENOENT;
			goto out;
		}
		have_props = ais_bprops_view(b->props, &props) == AIS_OK;
	}
	dst = (dsort_create_dst) {
		.mpath = mpath_out,
		.bck = ob,
		.props = have_props ? &props : NULL,
	};
	if ((err = dsort_pipe_open(j, frs, ps->n_recs, &c->pipe)) != AIS_OK) {
		goto out;
	}
	c->feb[0] = '\0';
	err = dsort_create_shard(ps->name, fmt, crs, ps->n_recs, dsort_fetch,
	    c, &dst, &j->abort, &res, eb, elen);
	dsort_pipe_close(c->pipe);
	c->pipe = NULL;
	if (err != AIS_OK && c->feb[0] != '\0') {
		/* the shard and record from create, the origin from here */
		size_t used = strlen(eb);

		/* cut to fit (the return value says by how much) */
		if (snprintf(eb + used, elen - used, " (%s)", c->feb) < 0) {
			eb[used] = '\0';
		}
	}
out:
	ais_bmd_rele(bmd);
	for (size_t i = 0; i < nrec; i++) {
		dsort_rec_fini(&names[i]);
		dsort_rec_loc_fini(&frs[i].loc);
	}
	free(frs);
	free(crs);
	free(names);
	if (err == AIS_ENOMEM && eb[0] == '\0') {
		snprintf(eb, elen, "dsort %s: out of memory", j->id);
	}
	return err;
}

static ais_err
dsort_created_add(dsort_job *j, const char *name, const char *mpath)
{
	ais_err err = AIS_OK;

	pthread_mutex_lock(&j->mu);
	if (j->ncreated == j->created_cap) {
		size_t cap = j->created_cap == 0 ? 16 : 2 * j->created_cap;
		char **a = realloc(j->created_names, cap * sizeof(*a));
		char **b;

		if (a != NULL) {
			j->created_names = a;
		}
		b = realloc(j->created_mpaths, cap * sizeof(*b));
		if (b != NULL) {
			j->created_mpaths = b;
		}
		if (a == NULL || b == NULL) {
			err = AIS_ENOMEM;
			goto out;
		}
		j->created_cap = cap;
	}
	j->created_names[j->ncreated] = strdup(name);
	j->created_mpaths[j->ncreated] = strdup(mpath);
	if (j->created_names[j->ncreated] == NULL
	    || j->created_mpaths[j->ncreated] == NULL) {
		free(j->created_names[j->ncreated]);
		free(j->created_mpaths[j->ncreated]);
		err = AIS_ENOMEM;
		goto out;
	}
	j->ncreated++;
	j->created++;
out:
	pthread_mutex_unlock(&j->mu);
	return err;
}

void *
dsort_job_create_main(void *arg)
{
	dsort_job *j = arg;
	dsort_creator c = { .j = j, .buf = malloc(DSORT_FETCH_CHUNK) };
	char eb[DSORT_ERRLEN] = "", mpath[PATH_MAX];
	bool last, ok;
	int64_t created;
	ais_err err = c.buf == NULL ? AIS_ENOMEM : AIS_OK;

	ais_log_set_thread("dsort-create");
	while (err == AIS_OK) {
		const Ais__DsortPlanShard *ps;

		pthread_mutex_lock(&j->mu);
		if (atomic_load(&j->abort)
		    || j->next_shard >= j->plan->n_shards) {
			pthread_mutex_unlock(&j->mu);
			break;
		}
		ps = j->plan->shards[j->next_shard++];
		pthread_mutex_unlock(&j->mu);
		eb[0] = '\0';
		err = dsort_create_one(
		    &c, ps, mpath, sizeof(mpath), eb, sizeof(eb));
		if (err == AIS_OK) {
			err = dsort_created_add(j, ps->name, mpath);
			if (err != AIS_OK) {
				/* untracked: remove it now */
				(void) dsort_create_remove(
				    mpath, &j->spec.output_bck, ps->name);
			} else {
				dsort_metrics_add(j->m, DSORT_CNT_CREATED, 1);
			}
		}
	}
	free(c.buf);
	if (err == AIS_ESTOPPED && !atomic_load(&j->abort)) {
		/* an origin already aborted the job: an abort, not an error */
		dsort_job_fail(j, true, "dsort %s aborted (by %s)", j->id,
		    eb[0] != '\0' ? eb : "a peer");
	} else if (err != AIS_OK && err != AIS_ESTOPPED) {
		if (eb[0] == '\0') {
			snprintf(eb, sizeof(eb), "dsort %s: create: %s", j->id,
			    ais_strerror(err));
		}
		dsort_job_fail(j, false, "%s: %s", j->node->self.id, eb);
	}
	pthread_mutex_lock(&j->mu);
	last = --j->creators == 0;
	if (last && j->plan != NULL) {
		/* every shard is taken: the plan's metadata is not needed */
		ais__dsort_plan__free_unpacked(j->plan, NULL);
		j->plan = NULL;
	}
	ok = !atomic_load(&j->abort) && j->state == DSORT_JS_CREATE;
	if (last && ok) {
		j->state = DSORT_JS_DONE;
	}
	created = j->created;
	snprintf(eb, sizeof(eb), "%s", j->err);
	pthread_mutex_unlock(&j->mu);
	if (!last) {
		return NULL;
	}
	if (ok) {
		dsort_metrics_phase_finish(j->m, DSORT_PHASE_CREATE, 0);
		AIS_LOGI("AIS-DSORT-CREATED",
		    "dsort %s: %" PRId64 " shards created", j->id, created);
		dsort_send_done(j, created, NULL);
	} else if (eb[0] != '\0') {
		dsort_send_done(j, created, eb);
	}
	return NULL;
}
