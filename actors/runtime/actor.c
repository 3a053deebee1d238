/*
 * The actor: private state, a mailbox and one thread that runs the loop.
 *
 * The mailbox is an NNG rep0 socket listening on inproc://ais-<rt>/<name>.
 * The loop owns one rep0 context and one aio: it receives a request (the
 * receive timeout is the nearest timer deadline, capped so that a stop
 * request is seen promptly), decodes the envelope, runs the handler for its
 * type and replies on the same context. Only one handler runs at a time, so
 * the state needs no lock. A handler that cannot answer yet defers: its
 * context moves into an act_pending and the loop opens a fresh context, since
 * rep0 serves any number of contexts. Due timers are delivered between
 * receives as AIS_MSG_TIMER messages (timer.c).
 *
 * A handler that returns AIS_EINTERNAL has left the state untrustworthy: the
 * caller gets the error, the actor is marked failed and its loop exits. The
 * mailbox stays open, so requests queue up while the supervisor rebuilds
 * the state (reset, or fini+init) and starts a new loop thread.
 *
 * The runtime (act_rt) ties a node's actors together: a registry by name
 * for the router and for local callers, the req0 socket cache (call.c) and
 * the optional tcp router (router.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "actors/runtime/runtime_int.h"
#include "core/log.h"
#include "proto/msg.h"
#include "proto/pb_envelope.h"

/* Makes every runtime's inproc namespace unique within the process. */
static atomic_uint_fast64_t act_rt_seq;

ais_err
act_err_from_nng(int rv)
{
	switch (rv) {
	case 0:
		return AIS_OK;
	case NNG_ETIMEDOUT:
		return AIS_ETIMEDOUT;
	case NNG_ECLOSED:
		return AIS_ECLOSED;
	default:
		return AIS_ENNG | rv;
	}
}

int64_t
act_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
act_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &attr);
	pthread_condattr_destroy(&attr);
}

struct timespec
act_abstime(int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ms < 0) {
		ms = 0;
	}
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

ais_err
act_msg_encode(const char *sender, const char *dest, uint32_t type,
    uint64_t corr, int32_t status, const char *errmsg, const void *data,
    size_t len, nng_msg **out)
{
	pb_envelope env = {
		.type = type,
		.corr = corr,
		.sender = sender,
		.dest = dest,
		.status = status,
		.errmsg = errmsg,
		.payload = data,
		.len = data != NULL ? len : 0,
	};
	nng_msg *m;
	int rv;

	if ((rv = nng_msg_alloc(&m, pb_envelope_size(&env))) != 0) {
		return act_err_from_nng(rv);
	}
	pb_envelope_pack(&env, nng_msg_body(m));
	*out = m;
	return AIS_OK;
}

/* Runtime ----------------------------------------------------------------- */

ais_err
act_rt_open(const char *node_id, const char *listen_url, act_rt **out)
{
	act_rt *rt;
	ais_err err;

	if (out == NULL) {
		return AIS_EINVAL;
	}
	if ((rt = calloc(1, sizeof(*rt))) == NULL) {
		return AIS_ENOMEM;
	}
	if ((rt->node_id = strdup(node_id != NULL ? node_id : "")) == NULL) {
		free(rt);
		return AIS_ENOMEM;
	}
	snprintf(rt->prefix, sizeof(rt->prefix), "inproc://ais-%llu/",
	    (unsigned long long) atomic_fetch_add(&act_rt_seq, 1));
	pthread_mutex_init(&rt->mtx, NULL);
	act_cond_init(&rt->cv);
	atomic_init(&rt->closing, false);
	atomic_init(&rt->corr, 1);
	if (listen_url != NULL) {
		if ((err = act_router_start(rt, listen_url)) != AIS_OK) {
			AIS_LOGE("AIS-ACT-LISTEN", "cannot listen on %s: %s",
			    listen_url, ais_strerror(err));
			goto fail;
		}
	}
	*out = rt;
	return AIS_OK;
fail:
	pthread_cond_destroy(&rt->cv);
	pthread_mutex_destroy(&rt->mtx);
	free(rt->node_id);
	free(rt);
	return err;
}

void
act_rt_close(act_rt *rt)
{
	if (rt == NULL) {
		return;
	}
	atomic_store(&rt->closing, true);
	act_router_stop(rt);
	/* Closing the cached sockets fails every one-way send still in
	 * flight (ECLOSED); their callbacks then drop rt->inflight to 0. */
	act_rt_conns_close(rt);
	pthread_mutex_lock(&rt->mtx);
	while (rt->inflight > 0) {
		pthread_cond_wait(&rt->cv, &rt->mtx);
	}
	if (rt->actors != NULL) {
		AIS_LOGW("AIS-ACT-LEAK",
		    "runtime closed with actor %s running",
		    rt->actors->ops->name);
	}
	pthread_mutex_unlock(&rt->mtx);
	pthread_cond_destroy(&rt->cv);
	pthread_mutex_destroy(&rt->mtx);
	free(rt->node_id);
	free(rt);
}

const char *
act_rt_node_id(const act_rt *rt)
{
	return rt->node_id;
}

bool
act_rt_lookup(act_rt *rt, const char *name, char *url, size_t len)
{
	bool found = false;

	pthread_mutex_lock(&rt->mtx);
	for (act_actor *a = rt->actors; a != NULL; a = a->next) {
		if (strcmp(a->ops->name, name) == 0) {
			if (url != NULL) {
				snprintf(url, len, "%s", a->url);
			}
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&rt->mtx);
	return found;
}

static ais_err
act_rt_register(act_rt *rt, act_actor *a)
{
	ais_err err = AIS_OK;

	pthread_mutex_lock(&rt->mtx);
	for (act_actor *b = rt->actors; b != NULL; b = b->next) {
		if (strcmp(b->ops->name, a->ops->name) == 0) {
			err = AIS_EEXIST;
			break;
		}
	}
	if (err == AIS_OK) {
		a->next = rt->actors;
		rt->actors = a;
	}
	pthread_mutex_unlock(&rt->mtx);
	return err;
}

static void
act_rt_unregister(act_rt *rt, act_actor *a)
{
	pthread_mutex_lock(&rt->mtx);
	for (act_actor **pp = &rt->actors; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	}
	a->next = NULL;
	pthread_mutex_unlock(&rt->mtx);
}

/* Replies and dispatch ---------------------------------------------------- */

/* Sends a built reply message on a rep0 ctx with the actor's aio. */
static ais_err
act_reply_send_msg(act_actor *a, nng_ctx ctx, nng_msg *m)
{
	int rv;

	/* rep0 completes a send at once unless the pipe is still busy with
	 * the previous reply; the timeout bounds that case. */
	nng_aio_set_msg(a->aio, m);
	nng_aio_set_timeout(a->aio, ACT_REPLY_TIMEOUT_MS);
	nng_ctx_send(ctx, a->aio);
	nng_aio_wait(a->aio);
	rv = nng_aio_result(a->aio);
	if (rv != 0) {
		/* A failed send leaves the message with us. */
		if ((m = nng_aio_get_msg(a->aio)) != NULL) {
			nng_msg_free(m);
		}
		AIS_LOGD("AIS-ACT-REPLY", "%s: reply not sent: %s",
		    a->ops->name, nng_strerror(rv));
	}
	nng_aio_set_msg(a->aio, NULL);
	return act_err_from_nng(rv);
}

ais_err
act_reply_send(act_actor *a, nng_ctx ctx, uint64_t corr, uint32_t type,
    ais_err status, const char *errmsg, const void *data, size_t len)
{
	nng_msg *m = NULL;
	ais_err err;

	err = act_msg_encode(
	    a->rt->node_id, "", type, corr, status, errmsg, data, len, &m);
	if (err != AIS_OK) {
		return err;
	}
	return act_reply_send_msg(a, ctx, m);
}

ais_err
act_msg_encode_fill(const char *sender, const char *dest, uint32_t type,
    uint64_t corr, size_t max, act_fill_fn fill, void *arg, char *eb,
    size_t eblen, nng_msg **out)
{
	pb_envelope env = {
		.type = type,
		.corr = corr,
		.sender = sender,
		.dest = dest,
	};
	size_t head = pb_envelope_head_size(&env);
	size_t used = 0;
	nng_msg *m;
	ais_err err;
	int rv;

	if ((rv = nng_msg_alloc(&m, head + max)) != 0) {
		snprintf(eb, eblen, "no memory for the message");
		return act_err_from_nng(rv);
	}
	pb_envelope_pack_head(&env, nng_msg_body(m));
	err = fill(
	    arg, (uint8_t *) nng_msg_body(m) + head, max, &used, eb, eblen);
	if (err != AIS_OK || used > max) {
		nng_msg_free(m);
		return err != AIS_OK ? err : AIS_EINTERNAL;
	}
	(void) nng_msg_chop(m, max - used);
	*out = m;
	return AIS_OK;
}

ais_err
act_reply_fill(
    act_ctx *ctx, uint32_t type, size_t max, act_fill_fn fill, void *arg)
{
	nng_msg *m;
	char eb[256] = "";
	ais_err err;

	if (ctx == NULL || !ctx->has_ctx || ctx->replied || ctx->deferred
	    || fill == NULL || max > ACT_MSG_MAX) {
		return AIS_EINVAL;
	}
	err = act_msg_encode_fill(ctx->actor->rt->node_id, "", type, ctx->corr,
	    max, fill, arg, eb, sizeof(eb), &m);
	if (err != AIS_OK) {
		return act_reply(ctx, AIS_MSG_ACK, err,
		    eb[0] != '\0' ? eb : ais_strerror(err), NULL, 0);
	}
	ctx->replied = true;
	return act_reply_send_msg(ctx->actor, ctx->ctx, m);
}

ais_err
act_reply(act_ctx *ctx, uint32_t type, ais_err status, const char *errmsg,
    const void *data, size_t len)
{
	if (ctx == NULL || !ctx->has_ctx || ctx->replied || ctx->deferred) {
		return AIS_EINVAL;
	}
	ctx->replied = true;
	return act_reply_send(
	    ctx->actor, ctx->ctx, ctx->corr, type, status, errmsg, data, len);
}

act_pending *
act_defer(act_ctx *ctx)
{
	act_actor *a;
	act_pending *p;
	nng_ctx fresh;

	if (ctx == NULL || !ctx->has_ctx || ctx->replied || ctx->deferred) {
		return NULL;
	}
	a = ctx->actor;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		return NULL;
	}
	/* The loop needs a context of its own for the next receive. */
	if (nng_ctx_open(&fresh, a->sock) != 0) {
		free(p);
		return NULL;
	}
	p->actor = a;
	p->ctx = ctx->ctx;
	p->corr = ctx->corr;
	p->next = a->pendings;
	if (a->pendings != NULL) {
		a->pendings->prev = p;
	}
	a->pendings = p;
	a->ctx = fresh;
	ctx->deferred = true;
	return p;
}

static void
act_pending_free(act_pending *p)
{
	act_actor *a = p->actor;

	if (p->prev != NULL) {
		p->prev->next = p->next;
	} else {
		a->pendings = p->next;
	}
	if (p->next != NULL) {
		p->next->prev = p->prev;
	}
	nng_ctx_close(p->ctx);
	free(p);
}

ais_err
act_pending_reply(act_pending *p, uint32_t type, ais_err status,
    const char *errmsg, const void *data, size_t len)
{
	ais_err err;

	if (p == NULL) {
		return AIS_EINVAL;
	}
	err = act_reply_send(
	    p->actor, p->ctx, p->corr, type, status, errmsg, data, len);
	act_pending_free(p);
	return err;
}

act_actor *
act_self(act_ctx *ctx)
{
	return ctx->actor;
}

ais_err
act_dispatch(act_actor *a, act_ctx *ctx, const act_msg *msg)
{
	const act_ops *ops = a->ops;
	act_handler h = NULL;
	ais_err st;

	if (ops->handlers != NULL && msg->type < ops->nhandlers) {
		h = ops->handlers[msg->type];
	}
	if (h == NULL) {
		char text[64];

		a->unsupported++;
		snprintf(text, sizeof(text), "%s: unsupported message type %u",
		    ops->name, (unsigned) msg->type);
		AIS_LOGD("AIS-ACT-ENOTSUP", "%s", text);
		if (ctx->has_ctx) {
			act_reply(
			    ctx, AIS_MSG_ACK, AIS_ENOTSUP, text, NULL, 0);
		}
		return AIS_ENOTSUP;
	}
	st = h(a->state, ctx, msg);
	if (ctx->has_ctx && !ctx->replied && !ctx->deferred) {
		act_reply(ctx, AIS_MSG_ACK, st,
		    st != AIS_OK ? ais_strerror(st) : NULL, NULL, 0);
	}
	return st;
}

/* The loop ---------------------------------------------------------------- */

static void
act_mark_failed(act_actor *a, ais_err err)
{
	AIS_LOGE("AIS-ACT-FAIL", "actor %s failed: %s", a->ops->name,
	    ais_strerror(err));
	pthread_mutex_lock(&a->mtx);
	a->fail_err = err;
	atomic_store(&a->failed, true);
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mtx);
	if (a->on_fail != NULL) {
		a->on_fail(a->on_fail_arg, a);
	}
}

/* Handles one received request; returns the handler's status. */
static ais_err
act_loop_handle(act_actor *a, nng_msg *m)
{
	pb_envelope env;
	pb_envelope_dec *dec = NULL;
	act_ctx ctx = { .actor = a, .ctx = a->ctx, .has_ctx = true };
	act_msg msg;
	ais_err st;

	if (pb_envelope_decode(nng_msg_body(m), nng_msg_len(m), &env, &dec)
	    != AIS_OK) {
		AIS_LOGW("AIS-ACT-EPROTO",
		    "%s: malformed envelope (%zu bytes)", a->ops->name,
		    nng_msg_len(m));
		act_reply(&ctx, AIS_MSG_ACK, AIS_EPROTO, "malformed envelope",
		    NULL, 0);
		return AIS_EPROTO;
	}
	ctx.corr = env.corr;
	if (env.type == AIS_MSG_TIMER) {
		/* Ticks come from the actor's own timers, never the wire. */
		act_reply(&ctx, AIS_MSG_ACK, AIS_EPROTO,
		    "timer messages are local only", NULL, 0);
		pb_envelope_dec_free(dec);
		return AIS_EPROTO;
	}
	msg = (act_msg) {
		.type = env.type,
		.corr = env.corr,
		.sender = env.sender,
		.smap_version = env.smap_version,
		.data = env.payload,
		.len = env.len,
	};
	st = act_dispatch(a, &ctx, &msg);
	pb_envelope_dec_free(dec);
	return st;
}

static void *
act_loop(void *arg)
{
	act_actor *a = arg;
	char tname[16];

	ais_log_set_thread(a->ops->name);
	snprintf(tname, sizeof(tname), "act-%s", a->ops->name);
	pthread_setname_np(pthread_self(), tname);
	while (!atomic_load(&a->stopping)) {
		nng_msg *m;
		ais_err st;
		int rv;

		if ((st = act_timer_fire(a)) == AIS_EINTERNAL) {
			act_mark_failed(a, st);
			break;
		}
		/* No timer: no timeout. Every aio timeout that fires costs
		 * NNG 1.5's expire thread up to a millisecond of spinning
		 * (it waits for the clock to pass the deadline), so idle
		 * actors must not poll. act_stop cancels the receive instead:
		 * starting it under a->mtx, after one more look at the flag,
		 * means the cancel cannot fall between the two. */
		nng_aio_set_timeout(a->aio, act_timer_wait_ms(a));
		pthread_mutex_lock(&a->mtx);
		if (atomic_load(&a->stopping)) {
			pthread_mutex_unlock(&a->mtx);
			break;
		}
		nng_ctx_recv(a->ctx, a->aio);
		pthread_mutex_unlock(&a->mtx);
		nng_aio_wait(a->aio);
		rv = nng_aio_result(a->aio);
		if (rv == NNG_ETIMEDOUT) {
			continue;
		}
		if (rv == NNG_ECANCELED || rv == NNG_ECLOSED) {
			/* Only act_stop cancels or closes. */
			break;
		}
		if (rv != 0) {
			AIS_LOGW("AIS-ACT-RECV", "%s: receive: %s",
			    a->ops->name, nng_strerror(rv));
			continue;
		}
		m = nng_aio_get_msg(a->aio);
		nng_aio_set_msg(a->aio, NULL);
		st = act_loop_handle(a, m);
		nng_msg_free(m);
		if (st == AIS_EINTERNAL) {
			act_mark_failed(a, st);
			break;
		}
	}
	return NULL;
}

static ais_err
act_loop_start(act_actor *a)
{
	int rv = pthread_create(&a->thr, NULL, act_loop, a);

	if (rv != 0) {
		return AIS_ESYS | rv;
	}
	a->thr_live = true;
	return AIS_OK;
}

static void
act_loop_join(act_actor *a)
{
	if (a->thr_live) {
		pthread_join(a->thr, NULL);
		a->thr_live = false;
	}
}

/* Actors ------------------------------------------------------------------ */

/* Releases what act_start allocated; the loop is not running. */
static void
act_actor_free(act_actor *a)
{
	while (a->pendings != NULL) {
		act_pending_free(a->pendings);
	}
	act_timer_clear(a);
	free(a->timers);
	if (a->aio != NULL) {
		nng_aio_free(a->aio);
	}
	if (nng_socket_id(a->sock) > 0) {
		nng_close(a->sock); /* closes the contexts as well */
	}
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mtx);
	free(a->state);
	free(a);
}

ais_err
act_start_hooked(act_rt *rt, const act_ops *ops, void *arg,
    act_fail_fn on_fail, void *on_fail_arg, act_actor **out)
{
	act_actor *a;
	ais_err err;
	int rv;

	if (rt == NULL || ops == NULL || ops->name == NULL
	    || ops->name[0] == '\0' || out == NULL) {
		return AIS_EINVAL;
	}
	if (strlen(rt->prefix) + strlen(ops->name) >= ACT_URL_MAX) {
		return AIS_EINVAL;
	}
	if (atomic_load(&rt->closing)) {
		return AIS_ECLOSED;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		return AIS_ENOMEM;
	}
	a->rt = rt;
	a->ops = ops;
	a->arg = arg;
	a->on_fail = on_fail;
	a->on_fail_arg = on_fail_arg;
	pthread_mutex_init(&a->mtx, NULL);
	act_cond_init(&a->cv);
	atomic_init(&a->stopping, false);
	atomic_init(&a->failed, false);
	snprintf(a->url, sizeof(a->url), "%s%s", rt->prefix, ops->name);
	if ((a->state = calloc(1, ops->state_size > 0 ? ops->state_size : 1))
	    == NULL) {
		err = AIS_ENOMEM;
		goto fail;
	}
	if ((rv = nng_rep0_open(&a->sock)) != 0
	    || (rv = nng_socket_set_size(
	            a->sock, NNG_OPT_RECVMAXSZ, ACT_MSG_MAX))
	        != 0
	    || (rv = nng_listen(a->sock, a->url, NULL, 0)) != 0
	    || (rv = nng_ctx_open(&a->ctx, a->sock)) != 0
	    || (rv = nng_aio_alloc(&a->aio, NULL, NULL)) != 0) {
		err = rv == NNG_EADDRINUSE ? AIS_EEXIST : act_err_from_nng(rv);
		goto fail;
	}
	/* Registered before init, so that requests sent meanwhile wait in
	 * the mailbox instead of bouncing with ENOENT. */
	if ((err = act_rt_register(rt, a)) != AIS_OK) {
		goto fail;
	}
	if (ops->init != NULL
	    && (err = ops->init(a->state, a, arg)) != AIS_OK) {
		AIS_LOGE("AIS-ACT-INIT", "actor %s: init: %s", ops->name,
		    ais_strerror(err));
		act_rt_unregister(rt, a);
		goto fail;
	}
	a->state_live = true;
	if ((err = act_loop_start(a)) != AIS_OK) {
		act_rt_unregister(rt, a);
		if (ops->fini != NULL) {
			ops->fini(a->state);
		}
		goto fail;
	}
	*out = a;
	return AIS_OK;
fail:
	act_actor_free(a);
	return err;
}

ais_err
act_start(act_rt *rt, const act_ops *ops, void *arg, act_actor **out)
{
	return act_start_hooked(rt, ops, arg, NULL, NULL, out);
}

void
act_stop(act_actor *a)
{
	if (a == NULL) {
		return;
	}
	act_rt_unregister(a->rt, a);
	/* Under a->mtx: the loop either sees the flag or has its receive
	 * started, which the cancel then ends (see act_loop). */
	pthread_mutex_lock(&a->mtx);
	atomic_store(&a->stopping, true);
	nng_aio_cancel(a->aio);
	pthread_mutex_unlock(&a->mtx);
	act_loop_join(a);
	if (a->state_live && a->ops->fini != NULL) {
		a->ops->fini(a->state);
	}
	a->state_live = false;
	if (a->pendings != NULL) {
		AIS_LOGW("AIS-ACT-PENDING",
		    "%s stopped with deferred requests "
		    "unanswered",
		    a->ops->name);
	}
	act_actor_free(a);
}

bool
act_failed(const act_actor *a)
{
	return atomic_load(&a->failed);
}

ais_err
act_fail_err(act_actor *a)
{
	ais_err err;

	pthread_mutex_lock(&a->mtx);
	err = a->fail_err;
	pthread_mutex_unlock(&a->mtx);
	return err;
}

bool
act_wait_failed(act_actor *a, int timeout_ms)
{
	struct timespec until = act_abstime(timeout_ms);
	bool failed;

	pthread_mutex_lock(&a->mtx);
	while (!atomic_load(&a->failed)) {
		if (pthread_cond_timedwait(&a->cv, &a->mtx, &until)
		    == ETIMEDOUT) {
			break;
		}
	}
	failed = atomic_load(&a->failed);
	pthread_mutex_unlock(&a->mtx);
	return failed;
}

ais_err
act_restart(act_actor *a)
{
	const act_ops *ops;
	ais_err err = AIS_OK;

	if (a == NULL) {
		return AIS_EINVAL;
	}
	if (!atomic_load(&a->failed)) {
		return AIS_EBUSY;
	}
	if (atomic_load(&a->stopping)) {
		return AIS_ESTOPPED;
	}
	ops = a->ops;
	act_loop_join(a);
	/* Timers were armed by the state being replaced; init/reset re-arms
	 * whatever the new state needs. */
	act_timer_clear(a);
	if (ops->reset != NULL) {
		err = ops->reset(a->state, a, a->arg);
	} else {
		if (a->state_live && ops->fini != NULL) {
			ops->fini(a->state);
		}
		a->state_live = false;
		memset(a->state, 0, ops->state_size);
		if (ops->init != NULL) {
			err = ops->init(a->state, a, a->arg);
		}
		a->state_live = err == AIS_OK;
	}
	if (err != AIS_OK) {
		AIS_LOGE("AIS-ACT-RESET", "actor %s: %s: %s", ops->name,
		    ops->reset != NULL ? "reset" : "init", ais_strerror(err));
		pthread_mutex_lock(&a->mtx);
		a->fail_err = err;
		pthread_mutex_unlock(&a->mtx);
		return err;
	}
	pthread_mutex_lock(&a->mtx);
	atomic_store(&a->failed, false);
	a->fail_err = AIS_OK;
	pthread_mutex_unlock(&a->mtx);
	if ((err = act_loop_start(a)) != AIS_OK) {
		pthread_mutex_lock(&a->mtx);
		a->fail_err = err;
		atomic_store(&a->failed, true);
		pthread_mutex_unlock(&a->mtx);
	}
	return err;
}

const char *
act_name(const act_actor *a)
{
	return a->ops->name;
}

act_rt *
act_runtime(act_actor *a)
{
	return a->rt;
}
