/*
 * The supervisor: one thread per node that restarts failed actors.
 *
 * A child fails when one of its handlers returns AIS_EINTERNAL; its loop
 * exits and a hook wakes the supervisor thread (a periodic rescan backs the
 * hook up). The thread then decides: if the child was already restarted
 * max_restarts times within window_ms it gives up (state GAVEUP, on_giveup
 * called once, the actor stays stopped with its mailbox open so callers time
 * out); otherwise the child waits out its back-off (state BACKOFF; the first
 * delay is backoff_min_ms, doubled per restart up to backoff_max_ms, back to
 * the minimum after a quiet window) and is restarted with act_restart, which
 * rebuilds the state with reset (or fini+init) and starts a new loop.
 *
 * Back-off is a deadline, not a sleep, so one child waiting never delays
 * another's restart. act_restart runs without the supervisor lock held,
 * since reset may take a while (reading persisted metadata).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "actors/runtime/runtime_int.h"
#include "actors/runtime/supervisor.h"
#include "core/log.h"

#define ACT_SUP_RESCAN_MS 1000 /* in case a failure hook was missed */

typedef struct act_sup_child {
	act_sup *sup;
	act_actor *actor;
	act_child_state state;
	int restarts;    /* successful restarts */
	int64_t *recent; /* restart attempt times within the window */
	int nrecent;
	int64_t backoff_ms; /* delay before the next restart */
	int64_t restart_at; /* BACKOFF: when to restart */
	int64_t last_fail_ms;
} act_sup_child;

struct act_sup {
	act_rt *rt;
	act_sup_policy pol;
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	act_sup_child **kids; /* in start order */
	size_t nkids;
	size_t cap;
	bool stop;
	bool kick; /* a child reported a failure */
	pthread_t thr;
};

/* Runs on the failing actor's thread: just wake the supervisor. */
static void
act_sup_on_fail(void *arg, act_actor *a)
{
	act_sup_child *c = arg;
	act_sup *sup = c->sup;

	(void) a;
	pthread_mutex_lock(&sup->mtx);
	sup->kick = true;
	pthread_cond_broadcast(&sup->cv);
	pthread_mutex_unlock(&sup->mtx);
}

/* Drops restart times older than the window. */
static void
act_sup_prune(act_sup *sup, act_sup_child *c, int64_t now)
{
	int j = 0;

	for (int i = 0; i < c->nrecent; i++) {
		if (now - c->recent[i] < sup->pol.window_ms) {
			c->recent[j++] = c->recent[i];
		}
	}
	c->nrecent = j;
}

/* A RUNNING child was found failed. Called with sup->mtx held; may drop
 * it to call on_giveup. */
static void
act_sup_failed(act_sup *sup, act_sup_child *c, int64_t now)
{
	const char *name = act_name(c->actor);
	ais_err last = act_fail_err(c->actor);

	act_sup_prune(sup, c, now);
	if (c->nrecent >= sup->pol.max_restarts) {
		c->state = ACT_CHILD_GAVEUP;
		AIS_LOGE("AIS-SUP-GIVEUP",
		    "actor %s failed (%s) after %d "
		    "restarts within %lld ms: giving up",
		    name, ais_strerror(last), c->nrecent,
		    (long long) sup->pol.window_ms);
		if (sup->pol.on_giveup != NULL) {
			pthread_mutex_unlock(&sup->mtx);
			sup->pol.on_giveup(sup->pol.cookie, name, last);
			pthread_mutex_lock(&sup->mtx);
		}
		return;
	}
	if (c->last_fail_ms == 0
	    || now - c->last_fail_ms >= sup->pol.window_ms) {
		c->backoff_ms = sup->pol.backoff_min_ms;
	}
	c->last_fail_ms = now;
	c->state = ACT_CHILD_BACKOFF;
	c->restart_at = now + c->backoff_ms;
	AIS_LOGW("AIS-SUP-FAIL", "actor %s failed (%s): restart in %lld ms",
	    name, ais_strerror(last), (long long) c->backoff_ms);
}

/* A BACKOFF child is due. Called with sup->mtx held; drops it around the
 * restart itself. */
static void
act_sup_restart(act_sup *sup, act_sup_child *c)
{
	ais_err err;
	int64_t now;

	pthread_mutex_unlock(&sup->mtx);
	err = act_restart(c->actor);
	pthread_mutex_lock(&sup->mtx);
	now = act_now_ms();
	/* Every attempt counts against the budget, successful or not. */
	if (c->nrecent <= sup->pol.max_restarts) {
		c->recent[c->nrecent++] = now;
	}
	c->backoff_ms *= 2;
	if (c->backoff_ms > sup->pol.backoff_max_ms) {
		c->backoff_ms = sup->pol.backoff_max_ms;
	}
	if (c->backoff_ms <= 0) {
		c->backoff_ms = 1;
	}
	/* RUNNING either way: a failed reset leaves the actor failed, and the
	 * next scan treats that as another failure. */
	c->state = ACT_CHILD_RUNNING;
	if (err == AIS_OK) {
		c->restarts++;
		AIS_LOGN("AIS-SUP-RESTART", "actor %s restarted (%d so far)",
		    act_name(c->actor), c->restarts);
	} else {
		AIS_LOGE("AIS-SUP-RESTART", "actor %s: restart failed: %s",
		    act_name(c->actor), ais_strerror(err));
	}
}

static void *
act_sup_loop(void *arg)
{
	act_sup *sup = arg;

	ais_log_set_thread("supervisor");
	pthread_setname_np(pthread_self(), "act-sup");
	pthread_mutex_lock(&sup->mtx);
	while (!sup->stop) {
		int64_t now = act_now_ms();
		int64_t next = now + ACT_SUP_RESCAN_MS;
		struct timespec until;

		sup->kick = false;
		/* Index, not pointer: the array may grow while unlocked. */
		for (size_t i = 0; i < sup->nkids && !sup->stop; i++) {
			act_sup_child *c = sup->kids[i];

			if (c->state == ACT_CHILD_RUNNING
			    && act_failed(c->actor)) {
				act_sup_failed(sup, c, now);
			}
			if (c->state == ACT_CHILD_BACKOFF && !sup->stop) {
				if (act_now_ms() >= c->restart_at) {
					act_sup_restart(sup, c);
					/* Rescan at once: it may have failed
					 * again already. */
					next = now;
				} else if (c->restart_at < next) {
					next = c->restart_at;
				}
			}
		}
		if (sup->stop || sup->kick) {
			continue;
		}
		until = act_abstime(next - act_now_ms());
		pthread_cond_timedwait(&sup->cv, &sup->mtx, &until);
	}
	pthread_mutex_unlock(&sup->mtx);
	return NULL;
}

ais_err
act_sup_open(act_rt *rt, const act_sup_policy *policy, act_sup **out)
{
	act_sup *sup;
	int rv;

	if (rt == NULL || policy == NULL || out == NULL
	    || policy->max_restarts < 0 || policy->window_ms < 0
	    || policy->backoff_min_ms < 0
	    || policy->backoff_max_ms < policy->backoff_min_ms) {
		return AIS_EINVAL;
	}
	if ((sup = calloc(1, sizeof(*sup))) == NULL) {
		return AIS_ENOMEM;
	}
	sup->rt = rt;
	sup->pol = *policy;
	pthread_mutex_init(&sup->mtx, NULL);
	act_cond_init(&sup->cv);
	if ((rv = pthread_create(&sup->thr, NULL, act_sup_loop, sup)) != 0) {
		pthread_cond_destroy(&sup->cv);
		pthread_mutex_destroy(&sup->mtx);
		free(sup);
		return AIS_ESYS | rv;
	}
	*out = sup;
	return AIS_OK;
}

ais_err
act_sup_start_child(
    act_sup *sup, const act_ops *ops, void *arg, act_actor **out)
{
	act_sup_child *c;
	ais_err err;

	if (sup == NULL || ops == NULL) {
		return AIS_EINVAL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		return AIS_ENOMEM;
	}
	/* One slot more than the budget: the attempt that exceeds it. */
	c->recent
	    = calloc((size_t) sup->pol.max_restarts + 1, sizeof(*c->recent));
	if (c->recent == NULL) {
		free(c);
		return AIS_ENOMEM;
	}
	c->sup = sup;
	c->state = ACT_CHILD_RUNNING;
	c->backoff_ms = sup->pol.backoff_min_ms;
	/* Not under the lock: init may take a while. A failure before the
	 * child is listed is caught by the kick below. */
	err = act_start_hooked(
	    sup->rt, ops, arg, act_sup_on_fail, c, &c->actor);
	if (err != AIS_OK) {
		free(c->recent);
		free(c);
		return err;
	}
	pthread_mutex_lock(&sup->mtx);
	if (sup->nkids == sup->cap) {
		size_t cap = sup->cap > 0 ? sup->cap * 2 : 8;
		act_sup_child **nk = realloc(sup->kids, cap * sizeof(*nk));

		if (nk == NULL) {
			pthread_mutex_unlock(&sup->mtx);
			act_stop(c->actor);
			free(c->recent);
			free(c);
			return AIS_ENOMEM;
		}
		sup->kids = nk;
		sup->cap = cap;
	}
	sup->kids[sup->nkids++] = c;
	sup->kick = true;
	pthread_cond_broadcast(&sup->cv);
	pthread_mutex_unlock(&sup->mtx);
	if (out != NULL) {
		*out = c->actor;
	}
	return AIS_OK;
}

ais_err
act_sup_status(act_sup *sup, const char *name, act_child_status *out)
{
	ais_err err = AIS_ENOENT;

	if (sup == NULL || name == NULL || out == NULL) {
		return AIS_EINVAL;
	}
	pthread_mutex_lock(&sup->mtx);
	for (size_t i = 0; i < sup->nkids; i++) {
		act_sup_child *c = sup->kids[i];

		if (strcmp(act_name(c->actor), name) == 0) {
			out->state = c->state;
			out->restarts = c->restarts;
			err = AIS_OK;
			break;
		}
	}
	pthread_mutex_unlock(&sup->mtx);
	return err;
}

void
act_sup_close(act_sup *sup)
{
	if (sup == NULL) {
		return;
	}
	pthread_mutex_lock(&sup->mtx);
	sup->stop = true;
	pthread_cond_broadcast(&sup->cv);
	pthread_mutex_unlock(&sup->mtx);
	/* No restart can race the stops below once the thread is gone. */
	pthread_join(sup->thr, NULL);
	for (size_t i = sup->nkids; i > 0; i--) {
		act_sup_child *c = sup->kids[i - 1];

		act_stop(c->actor);
		c->state = ACT_CHILD_STOPPED;
		free(c->recent);
		free(c);
	}
	free(sup->kids);
	pthread_cond_destroy(&sup->cv);
	pthread_mutex_destroy(&sup->mtx);
	free(sup);
}
