/*
 * Global rebalance: the trigger, the per-node shared state, job lifecycle
 * and the "rebalance" control actor.
 *
 * Why a job per Smap version: HRW makes the owner of every object a pure
 * function of the set of eligible targets. When metasync publishes a Smap
 * whose eligible set differs from the previous one, every target runs job
 * "g<version>": it walks all its objects and sends each one it does not
 * own under the new Smap to its owner (rebalance_send.c; received by
 * rebalance_recv.c). A newer such Smap aborts the running job and starts
 * a fresh one that walks everything again -- so whatever the aborted job
 * had not moved is moved by its successor, and nothing ever waits on an
 * aborted job. A Smap that changes nothing for data (a proxy joined) lets
 * the running job go on.
 *
 * A target's job ends when its own senders are done AND every other
 * target of that Smap said REB_DONE(g<v>) -- only then can no more objects
 * arrive. Targets that leave the Smap are not waited for, and waiting is
 * bounded by rebalance.dest_retry_time. A REB_DONE for a version this
 * target has not started yet is stashed; one for its current Smap that it
 * decided needs no job starts the job anyway (the cluster agrees on the
 * bigger set of work rather than waiting on a target that never answers).
 *
 * Crash safety: a marker (<confdir>/.ais.rmd) is written when a job starts
 * and removed when it ends cleanly; a node that finds one after it joined
 * reruns the walk (not waiting for peers: nothing else is rerun).
 *
 * The actor never blocks on disks or peers: the walk and the sending run
 * on one thread per mountpath, which also deliver REB_DONE; the actor
 * polls their progress on a 100 ms timer. A stopped job whose threads are
 * still in a call is parked and joined once they return.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actors/node/rebalance_int.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/metafile.h"
#include "proto/msg.h"

#define REB_TICK_MS     100
#define REB_TICK_COOKIE 1
#define REB_EARLY_MAX   256 /* stashed REB_DONEs */
#define REB_ZOMBIES_MAX 8   /* stopped jobs whose threads still run */
#define REB_NODES_MAX   8   /* nodes per process (unit tests run several) */
#define REB_RETRY_MAX   5   /* reruns after a job that left objects behind */
#define REB_RETRY_MS    2000

/* Shared state --------------------------------------------------------------
 */

static pthread_mutex_t reb_nodes_mu = PTHREAD_MUTEX_INITIALIZER;
static reb_shared *reb_nodes[REB_NODES_MAX];

reb_shared *
reb_shared_of(ais_node *n)
{
	reb_shared *sh = NULL;

	pthread_mutex_lock(&reb_nodes_mu);
	for (size_t i = 0; i < REB_NODES_MAX; i++) {
		if (reb_nodes[i] != NULL && reb_nodes[i]->node == n) {
			sh = reb_nodes[i];
			goto out;
		}
	}
	for (size_t i = 0; i < REB_NODES_MAX; i++) {
		if (reb_nodes[i] == NULL) {
			sh = calloc(1, sizeof(*sh));
			if (sh == NULL) {
				goto out;
			}
			sh->node = n;
			pthread_mutex_init(&sh->mu, NULL);
			atomic_init(&sh->running, false);
			atomic_init(&sh->gfn_until_ns, 0);
			reb_nodes[i] = sh;
			goto out;
		}
	}
out:
	pthread_mutex_unlock(&reb_nodes_mu);
	return sh;
}

int64_t
reb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t
reb_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
reb_eligible(const ais_snode *t)
{
	return (t->flags & (AIS_SNODE_MAINT | AIS_SNODE_DECOMM)) == 0;
}

/* Next eligible target of m at or after *i (targets are sorted by id). */
static const ais_snode *
reb_next_eligible(const ais_smap *m, size_t *i)
{
	if (m == NULL) {
		return NULL;
	}
	for (; *i < m->ntargets; (*i)++) {
		if (reb_eligible(&m->targets[*i])) {
			return &m->targets[(*i)++];
		}
	}
	return NULL;
}

bool
reb_same_owners(const ais_smap *a, const ais_smap *b)
{
	size_t i = 0, k = 0;

	for (;;) {
		const ais_snode *x = reb_next_eligible(a, &i);
		const ais_snode *y = reb_next_eligible(b, &k);

		if (x == NULL || y == NULL) {
			return x == y;
		}
		if (strcmp(x->id, y->id) != 0) {
			return false;
		}
	}
}

void
reb_shared_count_in(reb_shared *sh, int64_t v, int64_t bytes)
{
	pthread_mutex_lock(&sh->mu);
	if (sh->job != NULL && sh->job_smap_v >= v) {
		ais_xact_add_in(sh->job, 1, bytes);
	} else {
		/* The sender saw the new Smap first: its job here starts
		 * any moment (the counters are only atomics, so this is
		 * cheap under the lock). */
		if (v != sh->pend_v) {
			sh->pend_v = v;
			sh->pend_objs = 0;
			sh->pend_bytes = 0;
		}
		sh->pend_objs++;
		sh->pend_bytes += bytes;
	}
	pthread_mutex_unlock(&sh->mu);
}

/* Trigger (metasync's thread) -------------------------------------------- */

void
ais_tgt_smap_changed(ais_node *n, const ais_smap *old, const ais_smap *nw)
{
	reb_shared *sh;

	if (n->role != AIS_ROLE_TARGET || nw == NULL) {
		return;
	}
	sh = reb_shared_of(n);
	if (sh == NULL) {
		return;
	}
	pthread_mutex_lock(&sh->mu);
	if (!sh->seen) {
		/* The actor may not run yet (metasync starts first): it takes
		 * the Smap before the first change from here. */
		sh->seen = true;
		sh->base = (ais_smap *) old;
		if (old != NULL) {
			ais_smap_hold(sh->base);
		}
	}
	if (!reb_same_owners(old, nw)) {
		if (old != NULL) {
			/* GFN asks the owners under the maps before a change.
			 */
			if (sh->nprev == REB_PREV_MAX) {
				ais_smap_rele(sh->prev[--sh->nprev]);
			}
			memmove(&sh->prev[1], &sh->prev[0],
			    sh->nprev * sizeof(sh->prev[0]));
			sh->prev[0] = (ais_smap *) old;
			ais_smap_hold(sh->prev[0]);
			sh->nprev++;
		}
		atomic_store(&sh->gfn_until_ns,
		    reb_now_ns() + AIS_REB_GFN_WINDOW_S * 1000000000LL);
	}
	pthread_mutex_unlock(&sh->mu);
	/* A nudge only: the actor compares Smaps itself, and its timer
	 * catches up if this is lost. */
	(void) act_send(
	    n->rt, NULL, AIS_ACTOR_REBALANCE, AIS_MSG_REB_SMAP, NULL, 0);
}

/* GFN helpers (HTTP threads) --------------------------------------------- */

bool
ais_reb_gfn_active(ais_node *n)
{
	reb_shared *sh = reb_shared_of(n);

	if (sh == NULL) {
		return false;
	}
	return atomic_load(&sh->running)
	    || reb_now_ns() < atomic_load(&sh->gfn_until_ns);
}

static size_t
reb_url_add(char (*urls)[AIS_URL_MAX + 1], size_t n, size_t max,
    const ais_node *self, const ais_snode *t)
{
	if (n >= max || strcmp(t->id, self->self.id) == 0
	    || t->pub.url[0] == '\0') {
		return n;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(urls[i], t->pub.url) == 0) {
			return n;
		}
	}
	snprintf(urls[n], sizeof(urls[n]), "%s", t->pub.url);
	return n + 1;
}

size_t
ais_reb_gfn_sources(
    ais_node *n, uint64_t digest, char (*urls)[AIS_URL_MAX + 1], size_t max)
{
	reb_shared *sh = reb_shared_of(n);
	ais_smap *maps[REB_PREV_MAX + 1];
	size_t nmaps = 0, cnt = 0;

	if (sh == NULL) {
		return 0;
	}
	pthread_mutex_lock(&sh->mu);
	for (size_t i = 0; i < sh->nprev; i++) {
		ais_smap_hold(sh->prev[i]);
		maps[nmaps++] = sh->prev[i];
	}
	pthread_mutex_unlock(&sh->mu);
	for (size_t i = 0; i < nmaps; i++) {
		const ais_snode *t;

		if (ais_hrw_target_digest(maps[i], digest, &t) == AIS_OK) {
			cnt = reb_url_add(urls, cnt, max, n, t);
		}
	}
	/* Anyone else: a job interrupted twice can leave an object on a
	 * target that owned it under none of the kept maps. */
	{
		ais_smap *cur = ais_node_smap(n);

		if (cur != NULL) {
			maps[nmaps++] = cur;
		}
	}
	for (size_t i = nmaps; i-- > 0;) {
		for (size_t k = 0; k < maps[i]->ntargets; k++) {
			cnt = reb_url_add(
			    urls, cnt, max, n, &maps[i]->targets[k]);
		}
	}
	for (size_t i = 0; i < nmaps; i++) {
		ais_smap_rele(maps[i]);
	}
	return cnt;
}

/* Marker ------------------------------------------------------------------ */

ais_err
reb_marker_save(ais_node *n, const char *id, int64_t smap_v)
{
	char path[PATH_MAX + 16];
	char buf[128];
	int len;

	ais_node_meta_path(n, "rmd", path, sizeof(path));
	len = snprintf(buf, sizeof(buf),
	    "{\"reb_id\":\"%s\",\"smap_version\":%lld}", id,
	    (long long) smap_v);
	return ais_metafile_save(path, buf, (size_t) len);
}

ais_err
reb_marker_load(ais_node *n, int64_t *smap_v)
{
	char path[PATH_MAX + 16];
	char *text = NULL;
	size_t len = 0;
	json_t *j;
	ais_err err;

	*smap_v = 0;
	ais_node_meta_path(n, "rmd", path, sizeof(path));
	if (access(path, F_OK) != 0) {
		return AIS_ENOENT;
	}
	err = ais_metafile_load(path, &text, &len);
	if (err != AIS_OK) {
		/* A damaged marker still says a job did not finish. */
		return AIS_OK;
	}
	j = json_loadb(text, len, 0, NULL);
	free(text);
	if (j != NULL) {
		(void) ais_json_int64(j, "smap_version", smap_v);
		json_decref(j);
	}
	return AIS_OK;
}

void
reb_marker_remove(ais_node *n)
{
	char path[PATH_MAX + 16];

	ais_node_meta_path(n, "rmd", path, sizeof(path));
	(void) unlink(path);
}

/* Jobs -------------------------------------------------------------------- */

static ais_err
reb_job_register(reb_job *j)
{
	ais_xreg *reg = ais_xreg_node();
	ais_err err;

	if (reg == NULL) {
		return AIS_ENOMEM;
	}
	snprintf(j->id, sizeof(j->id), "g%lld", (long long) j->smap_v);
	err = ais_xreg_start(reg, j->id, AIS_REB_KIND, NULL, &j->x);
	/* The same version again (a rerun, or a forced start after a
	 * finished job): a suffixed ID keeps both in the registry. */
	for (int k = 2; err == AIS_EEXIST && k < 100; k++) {
		snprintf(j->id, sizeof(j->id), "g%lld-%d",
		    (long long) j->smap_v, k);
		err = ais_xreg_start(reg, j->id, AIS_REB_KIND, NULL, &j->x);
	}
	return err;
}

static ais_err
reb_job_peers(reb_job *j)
{
	const ais_smap *m = j->smap;

	j->peer = calloc(m->ntargets + 1, sizeof(*j->peer));
	j->peer_done = calloc(m->ntargets + 1, sizeof(*j->peer_done));
	if (j->peer == NULL || j->peer_done == NULL) {
		return AIS_ENOMEM;
	}
	for (size_t i = 0; i < m->ntargets; i++) {
		if (strcmp(m->targets[i].id, j->node->self.id) == 0) {
			continue;
		}
		snprintf(j->peer[j->npeers], sizeof(j->peer[0]), "%s",
		    m->targets[i].id);
		j->npeers++;
	}
	return AIS_OK;
}

ais_err
reb_job_start(ais_node *n, reb_shared *sh, ais_smap *smap, bool wait_peers,
    reb_job **out)
{
	const ais_mpset *mps = ais_node_mpset(n);
	ais_cconfig *cfg;
	reb_job *j;
	ais_err err;

	*out = NULL;
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		return AIS_ENOMEM;
	}
	j->node = n;
	j->sh = sh;
	j->smap_v = smap->version;
	j->smap = smap;
	ais_smap_hold(smap);
	j->bmd = ais_node_bmd(n);
	j->wait_peers = wait_peers;
	cfg = ais_node_ccfg(n);
	j->retry_ms = cfg == NULL
	    ? REB_RETRY_DEF_MS
	    : ais_cconfig_dur_ms(
	        cfg, "rebalance.dest_retry_time", REB_RETRY_DEF_MS);
	ais_cconfig_rele(cfg);
	atomic_init(&j->walking, 0);
	atomic_init(&j->to_walk, 0);
	atomic_init(&j->walked, false);
	atomic_init(&j->stop, false);
	atomic_init(&j->errs, 0);
	if ((err = reb_job_peers(j)) != AIS_OK
	    || (err = reb_job_register(j)) != AIS_OK) {
		reb_job_free(j, NULL);
		return err;
	}
	pthread_mutex_lock(&sh->mu);
	ais_xact_rele(sh->job);
	sh->job = j->x;
	ais_xact_hold(sh->job);
	if (j->smap_v > sh->job_smap_v) {
		sh->job_smap_v = j->smap_v;
	}
	if (sh->pend_v == j->smap_v) {
		ais_xact_add_in(j->x, sh->pend_objs, sh->pend_bytes);
	}
	sh->pend_v = 0;
	sh->pend_objs = sh->pend_bytes = 0;
	atomic_store(&sh->running, true);
	pthread_mutex_unlock(&sh->mu);
	if (reb_marker_save(n, j->id, j->smap_v) != AIS_OK) {
		AIS_LOGW(
		    "AIS-REB-MARKER", "%s: cannot persist the marker", j->id);
	}

	j->nworkers = mps->n == 0 ? 1 : mps->n;
	j->workers = calloc(j->nworkers, sizeof(*j->workers));
	if (j->workers == NULL) {
		reb_job_free(j, "out of memory");
		return AIS_ENOMEM;
	}
	atomic_store(&j->walking, j->nworkers);
	atomic_store(&j->to_walk, j->nworkers);
	for (size_t i = 0; i < j->nworkers; i++) {
		reb_worker *w = &j->workers[i];

		w->job = j;
		w->mp = mps->n == 0 ? NULL : &mps->avail[i];
	}
	for (size_t i = 0; i < j->nworkers; i++) {
		reb_worker *w = &j->workers[i];

		if (pthread_create(&w->thr, NULL, reb_send_main, w) != 0) {
			/* The rest never run: the job cannot complete, a
			 * newer one (or a restart, via the marker) redoes it.
			 */
			AIS_LOGE("AIS-REB-THREAD", "%s: cannot start senders",
			    j->id);
			atomic_store(&j->stop, true);
			atomic_fetch_add(&j->errs, 1);
			atomic_fetch_sub(&j->walking, j->nworkers - i);
			if (atomic_fetch_sub(&j->to_walk, j->nworkers - i)
			    == j->nworkers - i) {
				atomic_store(&j->walked, true);
			}
			break;
		}
		w->started = true;
	}
	AIS_LOGN("AIS-REB-START",
	    "%s: rebalance to Smap v%lld (%zu targets, %zu mountpaths)%s",
	    j->id, (long long) j->smap_v, smap->ntargets, mps->n,
	    wait_peers ? "" : ", rerun after restart");
	*out = j;
	return AIS_OK;
}

void
reb_job_stop(reb_job *j, const char *why)
{
	atomic_store(&j->stop, true);
	(void) ais_xact_abort(j->x, why);
}

bool
reb_job_idle(reb_job *j)
{
	return atomic_load(&j->walking) == 0;
}

void
reb_job_free(reb_job *j, const char *err)
{
	if (j == NULL) {
		return;
	}
	for (size_t i = 0; i < j->nworkers; i++) {
		if (j->workers[i].started) {
			pthread_join(j->workers[i].thr, NULL);
		}
	}
	if (j->x != NULL) {
		reb_shared *sh = j->sh;

		ais_xact_finish(j->x, err);
		pthread_mutex_lock(&sh->mu);
		if (sh->job == j->x) {
			ais_xact_rele(sh->job);
			sh->job = NULL;
			atomic_store(&sh->running, false);
			atomic_store(&sh->gfn_until_ns,
			    reb_now_ns()
			        + AIS_REB_GFN_WINDOW_S * 1000000000LL);
		}
		pthread_mutex_unlock(&sh->mu);
	}
	ais_xact_rele(j->x);
	ais_smap_rele(j->smap);
	ais_bmd_rele(j->bmd);
	free(j->workers);
	free(j->peer);
	free(j->peer_done);
	free(j);
}

/* Control actor ----------------------------------------------------------- */

typedef struct reb_early {
	char from[AIS_ID_MAX + 1];
	int64_t v;
} reb_early;

typedef struct reb_ctl {
	ais_node *node;
	reb_shared *sh;
	act_actor *self;
	ais_smap *last; /* the Smap handled last (held) or NULL */
	reb_job *job;   /* running or NULL */
	reb_job *zombies[REB_ZOMBIES_MAX];
	size_t nzombies;
	reb_early early[REB_EARLY_MAX];
	size_t nearly;
	char latest[REB_ID_MAX]; /* the newest job's ID ("" = none yet) */
	bool marker_checked;
	int64_t retry_ms; /* mono time of the next rerun, 0 = none */
	int retries;      /* reruns since the last Smap-driven job */
} reb_ctl;

static void
reb_ctl_park(reb_ctl *st, reb_job *j)
{
	if (reb_job_idle(j)) {
		reb_job_free(j, NULL);
		return;
	}
	if (st->nzombies == REB_ZOMBIES_MAX) {
		/* Rare (Smaps changing faster than calls time out): wait for
		 * the oldest rather than grow without bound. */
		reb_job_free(st->zombies[0], NULL);
		memmove(&st->zombies[0], &st->zombies[1],
		    (REB_ZOMBIES_MAX - 1) * sizeof(st->zombies[0]));
		st->nzombies--;
	}
	st->zombies[st->nzombies++] = j;
}

static void
reb_ctl_reap(reb_ctl *st)
{
	size_t k = 0;

	for (size_t i = 0; i < st->nzombies; i++) {
		if (reb_job_idle(st->zombies[i])) {
			reb_job_free(st->zombies[i], NULL);
		} else {
			st->zombies[k++] = st->zombies[i];
		}
	}
	st->nzombies = k;
}

static void
reb_ctl_peer_done(reb_job *j, const char *id)
{
	for (size_t i = 0; i < j->npeers; i++) {
		if (strcmp(j->peer[i], id) == 0) {
			j->peer_done[i] = true;
		}
	}
}

/* REB_DONEs that came before their job: applied when it starts. */
static void
reb_ctl_apply_early(reb_ctl *st)
{
	size_t k = 0;

	for (size_t i = 0; i < st->nearly; i++) {
		if (st->early[i].v == st->job->smap_v) {
			reb_ctl_peer_done(st->job, st->early[i].from);
		}
		if (st->early[i].v > st->job->smap_v) {
			st->early[k++] = st->early[i];
		}
	}
	st->nearly = k;
}

static bool
reb_ctl_early_has(const reb_ctl *st, int64_t v)
{
	for (size_t i = 0; i < st->nearly; i++) {
		if (st->early[i].v == v) {
			return true;
		}
	}
	return false;
}

static void
reb_ctl_start(reb_ctl *st, ais_smap *m, bool wait_peers)
{
	reb_job *j = NULL;
	ais_err err;

	if (st->job != NULL) {
		AIS_LOGN("AIS-REB-ABORT", "%s: aborted by Smap v%lld",
		    st->job->id, (long long) m->version);
		reb_job_stop(st->job, "superseded by a newer rebalance");
		reb_ctl_park(st, st->job);
		st->job = NULL;
	}
	err = reb_job_start(st->node, st->sh, m, wait_peers, &j);
	if (err != AIS_OK) {
		AIS_LOGE("AIS-REB-START-FAIL", "rebalance to Smap v%lld: %s",
		    (long long) m->version, ais_strerror(err));
		return;
	}
	st->job = j;
	st->retry_ms = 0;
	if (wait_peers) {
		st->retries = 0;
	}
	snprintf(st->latest, sizeof(st->latest), "%s", j->id);
	reb_ctl_apply_early(st);
}

/* Compares the published Smap with the last one handled. */
static void
reb_ctl_check_smap(reb_ctl *st)
{
	ais_smap *cur = ais_node_smap(st->node);
	bool change;

	if (cur == NULL) {
		return;
	}
	if (st->last != NULL && st->last->version == cur->version) {
		ais_smap_rele(cur);
		return;
	}
	change = st->last == NULL || !reb_same_owners(st->last, cur)
	    || reb_ctl_early_has(st, cur->version);
	if (change) {
		reb_ctl_start(st, cur, true);
	} else if (st->job != NULL) {
		/* Same owners: the job goes on; peers gone from the map are
		 * not waited for. */
		for (size_t i = 0; i < st->job->npeers; i++) {
			if (!st->job->peer_done[i]
			    && ais_smap_get(cur, st->job->peer[i]) == NULL) {
				AIS_LOGW("AIS-REB-PEER-GONE",
				    "%s: t[%s] left the cluster, not waiting "
				    "for it",
				    st->job->id, st->job->peer[i]);
				st->job->peer_done[i] = true;
			}
		}
	}
	ais_smap_rele(st->last);
	st->last = cur;
}

static void
reb_ctl_finish(reb_ctl *st, const char *err)
{
	reb_job *j = st->job;
	int64_t errs = atomic_load(&j->errs);
	ais_xact_snap s;
	char why[96];

	if (err == NULL && errs > 0) {
		snprintf(why, sizeof(why), "%lld object(s) not moved",
		    (long long) errs);
		err = why;
	}
	st->job = NULL;
	ais_xact_snap_get(j->x, &s);
	if (err == NULL && !s.aborted) {
		/* Only a clean end clears the marker (a restart reruns). */
		reb_marker_remove(st->node);
	} else if (errs > 0 && !s.aborted && st->retries < REB_RETRY_MAX) {
		/* Objects stayed behind (an owner did not answer): walk
		 * again soon rather than leave them misplaced until the
		 * next Smap change. */
		st->retries++;
		st->retry_ms
		    = reb_mono_ms() + (int64_t) REB_RETRY_MS * st->retries;
	}
	AIS_LOGN("AIS-REB-DONE",
	    "%s: finished%s%s: sent %lld objects (%lld bytes), received %lld "
	    "(%lld bytes)",
	    j->id, err != NULL ? ": " : "", err != NULL ? err : "",
	    (long long) s.out_objs, (long long) s.out_bytes,
	    (long long) s.in_objs, (long long) s.in_bytes);
	reb_job_free(j, err);
}

static void
reb_ctl_progress(reb_ctl *st)
{
	reb_job *j = st->job;
	size_t left = 0;

	if (j == NULL) {
		return;
	}
	if (ais_xact_aborted(j->x)) {
		/* Aborted through the job API: stop and park. */
		AIS_LOGN("AIS-REB-ABORT", "%s: aborted", j->id);
		atomic_store(&j->stop, true);
		st->job = NULL;
		reb_ctl_park(st, j);
		return;
	}
	if (!atomic_load(&j->walked)) {
		return;
	}
	if (j->walked_ms == 0) {
		j->walked_ms = reb_mono_ms();
	}
	for (size_t i = 0; j->wait_peers && i < j->npeers; i++) {
		left += !j->peer_done[i];
	}
	if (left == 0) {
		reb_ctl_finish(st, NULL);
		return;
	}
	if (reb_mono_ms() - j->walked_ms > j->retry_ms) {
		for (size_t i = 0; i < j->npeers; i++) {
			if (!j->peer_done[i]) {
				AIS_LOGW("AIS-REB-PEER-TIMEOUT",
				    "%s: no REB_DONE from t[%s] in %lld ms, "
				    "not waiting any longer",
				    j->id, j->peer[i],
				    (long long) j->retry_ms);
			}
		}
		reb_ctl_finish(st, NULL);
	}
}

/* After the node joined: a marker left by a job that did not finish. */
static void
reb_ctl_check_marker(reb_ctl *st)
{
	int64_t v = 0;
	ais_smap *cur;

	if (st->marker_checked || !atomic_load(&st->node->joined)) {
		return;
	}
	st->marker_checked = true;
	if (reb_marker_load(st->node, &v) != AIS_OK || st->job != NULL) {
		return;
	}
	cur = ais_node_smap(st->node);
	if (cur == NULL) {
		return;
	}
	AIS_LOGN("AIS-REB-RERUN",
	    "rebalance to Smap v%lld did not finish: walking again",
	    (long long) v);
	reb_ctl_start(st, cur, false);
	ais_smap_rele(cur);
}

static void
reb_ctl_check_retry(reb_ctl *st)
{
	ais_smap *cur;

	if (st->retry_ms == 0 || st->job != NULL
	    || reb_mono_ms() < st->retry_ms) {
		return;
	}
	st->retry_ms = 0;
	cur = ais_node_smap(st->node);
	if (cur == NULL) {
		return;
	}
	AIS_LOGN("AIS-REB-RETRY", "rerun %d of %d: objects were left behind",
	    st->retries, REB_RETRY_MAX);
	reb_ctl_start(st, cur, false);
	ais_smap_rele(cur);
}

static ais_err
reb_ctl_on_tick(void *state, act_ctx *ctx, const act_msg *msg)
{
	reb_ctl *st = state;

	(void) ctx;
	(void) msg;
	reb_ctl_reap(st);
	reb_ctl_check_smap(st);
	reb_ctl_check_marker(st);
	reb_ctl_check_retry(st);
	reb_ctl_progress(st);
	return AIS_OK;
}

static ais_err
reb_ctl_on_smap(void *state, act_ctx *ctx, const act_msg *msg)
{
	reb_ctl *st = state;

	(void) ctx;
	(void) msg;
	reb_ctl_check_smap(st);
	return AIS_OK;
}

static ais_err
reb_ctl_on_done(void *state, act_ctx *ctx, const act_msg *msg)
{
	reb_ctl *st = state;
	Ais__RebDone *d = ais__reb_done__unpack(NULL, msg->len, msg->data);
	int64_t v;

	(void) ctx;
	if (d == NULL || msg->sender == NULL || msg->sender[0] == '\0') {
		ais__reb_done__free_unpacked(d, NULL);
		return AIS_EPROTO;
	}
	v = d->smap_version;
	ais__reb_done__free_unpacked(d, NULL);
	if (st->job != NULL && st->job->smap_v == v) {
		reb_ctl_peer_done(st->job, msg->sender);
		return AIS_OK;
	}
	if (st->job != NULL && v < st->job->smap_v) {
		return AIS_OK; /* for a job this target already replaced */
	}
	if (st->nearly == REB_EARLY_MAX) {
		memmove(&st->early[0], &st->early[1],
		    (REB_EARLY_MAX - 1) * sizeof(st->early[0]));
		st->nearly--;
	}
	snprintf(st->early[st->nearly].from, sizeof(st->early[0].from), "%s",
	    msg->sender);
	st->early[st->nearly].v = v;
	st->nearly++;
	/* A peer rebalances to the Smap this target has and saw no reason
	 * to: join in (else the peer waits for this target in vain). */
	if (st->last != NULL && st->last->version == v
	    && (st->job == NULL || st->job->smap_v < v)) {
		int64_t last_v = 0;

		if (st->latest[0] == 'g') {
			last_v = strtoll(st->latest + 1, NULL, 10);
		}
		if (last_v < v) {
			reb_ctl_start(st, st->last, true);
		}
	}
	return AIS_OK;
}

static ais_err
reb_ctl_on_status(void *state, act_ctx *ctx, const act_msg *msg)
{
	reb_ctl *st = state;
	Ais__RebStatusReq *q
	    = ais__reb_status_req__unpack(NULL, msg->len, msg->data);
	Ais__RebStatusResp r = AIS__REB_STATUS_RESP__INIT;
	char id[REB_ID_MAX] = "";
	bool latest;
	char err[AIS_XACT_ERR_MAX] = "";
	ais_xact *x = NULL;
	ais_xreg *reg = ais_xreg_node();
	uint8_t buf[512];
	size_t len;

	if (q == NULL) {
		return AIS_EPROTO;
	}
	latest = q->reb_id == NULL || q->reb_id[0] == '\0';
	snprintf(id, sizeof(id), "%s", latest ? st->latest : q->reb_id);
	ais__reb_status_req__free_unpacked(q, NULL);
	r.reb_id = "";
	r.err = "";
	if (id[0] != '\0' && reg != NULL
	    && (x = ais_xreg_find(reg, id)) != NULL) {
		ais_xact_snap s;

		ais_xact_snap_get(x, &s);
		ais_xact_rele(x);
		r.reb_id = id;
		r.running = s.end_ns == 0;
		r.aborted = s.aborted;
		snprintf(
		    err, sizeof(err), "%s", s.err[0] ? s.err : s.abort_err);
		r.err = err;
		r.objs_sent = s.out_objs;
		r.bytes_sent = s.out_bytes;
		r.objs_recv = s.in_objs;
		r.bytes_recv = s.in_bytes;
		r.smap_version = id[0] == 'g' ? strtoll(id + 1, NULL, 10) : 0;
	}
	if (latest && (st->retry_ms != 0 || st->job != NULL)) {
		/* objects were left behind and a rerun is due: not done
		 * (a decommission must not remove this node yet) */
		r.running = true;
	}
	len = ais__reb_status_resp__get_packed_size(&r);
	if (len > sizeof(buf)) {
		return AIS_EINTERNAL;
	}
	ais__reb_status_resp__pack(&r, buf);
	return act_reply(ctx, AIS_MSG_REB_STATUS_RESP, AIS_OK, NULL, buf, len);
}

static ais_err
reb_ctl_init(void *state, act_actor *self, void *arg)
{
	reb_ctl *st = state;
	uint32_t tid;

	st->node = arg;
	st->self = self;
	st->sh = reb_shared_of(st->node);
	if (st->sh == NULL) {
		return AIS_ENOMEM;
	}
	pthread_mutex_lock(&st->sh->mu);
	if (st->sh->seen) {
		/* Smaps changed before this actor ran: start from the one
		 * before the first change (NULL: a new node). */
		st->last = st->sh->base;
		if (st->last != NULL) {
			ais_smap_hold(st->last);
		}
	} else {
		st->last = ais_node_smap(st->node);
	}
	pthread_mutex_unlock(&st->sh->mu);
	/* A change that happened before this actor ran (the join of a new
	 * node) starts its job now, before the receivers exist, so that
	 * everything they take in counts into it. */
	reb_ctl_check_smap(st);
	return act_timer_start(self, REB_TICK_COOKIE, REB_TICK_MS, true, &tid);
}

static void
reb_ctl_fini(void *state)
{
	reb_ctl *st = state;

	if (st->job != NULL) {
		reb_job_stop(st->job, "node stopping");
		reb_job_free(st->job, NULL);
		st->job = NULL;
	}
	for (size_t i = 0; i < st->nzombies; i++) {
		reb_job_free(st->zombies[i], NULL);
	}
	st->nzombies = 0;
	ais_smap_rele(st->last);
	st->last = NULL;
	if (st->sh != NULL) {
		pthread_mutex_lock(&st->sh->mu);
		for (size_t i = 0; i < st->sh->nprev; i++) {
			ais_smap_rele(st->sh->prev[i]);
		}
		st->sh->nprev = 0;
		ais_smap_rele(st->sh->base);
		st->sh->base = NULL;
		st->sh->seen = false;
		pthread_mutex_unlock(&st->sh->mu);
	}
}

static const act_handler reb_ctl_handlers[AIS_MSG__COUNT] = {
	[AIS_MSG_TIMER] = reb_ctl_on_tick,
	[AIS_MSG_REB_SMAP] = reb_ctl_on_smap,
	[AIS_MSG_REB_DONE] = reb_ctl_on_done,
	[AIS_MSG_REB_STATUS_REQ] = reb_ctl_on_status,
};

const act_ops reb_ctl_ops = {
	.name = AIS_ACTOR_REBALANCE,
	.state_size = sizeof(reb_ctl),
	.init = reb_ctl_init,
	.fini = reb_ctl_fini,
	.handlers = reb_ctl_handlers,
	.nhandlers = AIS_MSG__COUNT,
};

ais_err
ais_reb_start_actors(act_sup *sup, ais_node *n)
{
	ais_err err;

	if (n->role != AIS_ROLE_TARGET) {
		return AIS_OK;
	}
	/* Control first (its init starts a pending job), then the
	 * receivers; senders that find no receiver yet retry. */
	err = act_sup_start_child(sup, &reb_ctl_ops, n, NULL);
	for (size_t i = 0; err == AIS_OK && i < AIS_REB_RECV_ACTORS; i++) {
		err = act_sup_start_child(sup, &reb_recv_ops[i], n, NULL);
	}
	return err;
}
