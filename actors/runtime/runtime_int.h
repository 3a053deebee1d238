/*
 * Private types of the actor runtime, shared by actor.c (the mailbox loop),
 * timer.c, call.c (callers and the connection cache), router.c (tcp ->
 * inproc forwarding) and supervisor.c. Nothing outside actors/runtime/
 * includes this file; the contracts are actor.h and supervisor.h.
 *
 * Locking: rt->mtx guards the actor registry, the connection cache and the
 * count of in-flight one-way sends. a->mtx guards the failed flag for
 * act_wait_failed() and orders act_stop's cancel against the loop starting
 * a receive (the loop has no poll timeout). Everything else in an actor
 * (state, timers, pending replies, the loop's ctx and aio) belongs to
 * whichever thread currently runs the actor: its loop thread, or the
 * starter/supervisor while the loop is not running (init, reset, fini).
 */
#ifndef AIS_ACTORS_RUNTIME_RUNTIME_INT_H
#define AIS_ACTORS_RUNTIME_RUNTIME_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <nng/nng.h>

#include "actors/runtime/actor.h"

#define ACT_MSG_MAX               (64u << 20) /* largest envelope we accept */
#define ACT_REPLY_TIMEOUT_MS      5000  /* a reply send waits at most this */
#define ACT_SEND_TIMEOUT_MS       30000 /* act_send: hand-off deadline */
#define ACT_ROUTER_SLOTS          32    /* requests the router handles at once */
#define ACT_ROUTER_FWD_TIMEOUT_MS 60000 /* a mailbox takes a request by then */
#define ACT_RECONN_MAX_MS         2000  /* dialer back-off cap */
#define ACT_URL_MAX               512

typedef struct act_router act_router;

/* One cached req0 socket, dialed to a node's router or an actor mailbox. */
typedef struct act_conn {
	char *url; /* tcp://... or inproc://... (the key) */
	nng_socket sock;
	struct act_conn *next;
} act_conn;

struct act_rt {
	char *node_id;
	char prefix[64]; /* inproc://ais-<uid>/ -- unique per runtime */
	pthread_mutex_t mtx;
	pthread_cond_t cv; /* inflight reached 0 */
	act_actor *actors; /* registry, by name */
	act_conn *conns;   /* req0 socket cache, by url */
	size_t inflight;   /* one-way sends not yet completed */
	atomic_bool closing;
	atomic_uint_fast64_t corr;
	act_router *router; /* NULL without listen_url */
};

typedef struct act_timer {
	uint32_t id;
	uint64_t cookie;
	int64_t due_ms;    /* monotonic */
	int64_t period_ms; /* 0 = one-shot */
} act_timer;

struct act_pending {
	act_actor *actor;
	nng_ctx ctx; /* the rep0 ctx still holding the request */
	uint64_t corr;
	act_pending *prev;
	act_pending *next;
};

/* Called from the actor's thread right after it marked itself failed. */
typedef void (*act_fail_fn)(void *arg, act_actor *a);

struct act_actor {
	act_rt *rt;
	const act_ops *ops;
	void *arg;             /* passed to init/reset */
	void *state;           /* ops->state_size bytes */
	bool state_live;       /* init (or reset) succeeded: fini is due */
	char url[ACT_URL_MAX]; /* the mailbox */
	nng_socket sock;       /* rep0, listening on url */
	nng_ctx ctx;           /* the loop's receive ctx */
	nng_aio *aio;          /* the loop's aio (receive and reply) */
	pthread_t thr;
	bool thr_live; /* thr not joined yet */
	atomic_bool stopping;
	atomic_bool failed;
	ais_err fail_err; /* what failed it */
	pthread_mutex_t mtx;
	pthread_cond_t cv; /* failed became true */
	act_fail_fn on_fail;
	void *on_fail_arg;
	act_timer *timers; /* sorted by due_ms, then by id */
	size_t ntimers;
	size_t timers_cap;
	uint32_t timer_seq;
	uint32_t firing_id;    /* timer being delivered (0 = none) */
	bool firing_cancelled; /* ... and its handler cancelled it */
	act_pending *pendings; /* deferred requests not yet replied */
	uint64_t unsupported;  /* messages with no handler */
	act_actor *next;       /* rt->actors */
};

/* One request being handled; lives on the loop's stack. */
struct act_ctx {
	act_actor *actor;
	nng_ctx ctx;
	bool has_ctx; /* false for timer ticks */
	uint64_t corr;
	bool replied;
	bool deferred;
};

/* actor.c */
ais_err act_err_from_nng(int rv);
int64_t act_now_ms(void);
/* A condvar on CLOCK_MONOTONIC, and an absolute time ms from now on it. */
void act_cond_init(pthread_cond_t *cv);
struct timespec act_abstime(int64_t ms);
/* act_start with a failure hook installed before the loop runs. */
ais_err act_start_hooked(act_rt *rt, const act_ops *ops, void *arg,
    act_fail_fn on_fail, void *on_fail_arg, act_actor **out);
ais_err act_fail_err(act_actor *a);
/* Runs one message through the handler table (the loop and timers). */
ais_err act_dispatch(act_actor *a, act_ctx *ctx, const act_msg *msg);
/* Sends an envelope reply on a rep0 ctx with the actor's aio. */
ais_err act_reply_send(act_actor *a, nng_ctx ctx, uint64_t corr, uint32_t type,
    ais_err status, const char *errmsg, const void *data, size_t len);
/* Builds an nng_msg holding the envelope. */
ais_err act_msg_encode(const char *sender, const char *dest, uint32_t type,
    uint64_t corr, int32_t status, const char *errmsg, const void *data,
    size_t len, nng_msg **out);
/* The same with the payload written in place by fill (up to max bytes);
 * fill's error (its text in eb) is returned, with no message. */
ais_err act_msg_encode_fill(const char *sender, const char *dest,
    uint32_t type, uint64_t corr, size_t max, act_fill_fn fill, void *arg,
    char *eb, size_t eblen, nng_msg **out);

/* call.c */
/* The cached req0 socket for url, dialing (non-blocking) on first use. */
ais_err act_rt_conn(act_rt *rt, const char *url, nng_socket *out);
void act_rt_conns_close(act_rt *rt);
/* True if an actor of that name runs in rt; fills its mailbox url. */
bool act_rt_lookup(act_rt *rt, const char *name, char *url, size_t len);

/* router.c */
ais_err act_router_start(act_rt *rt, const char *listen_url);
void act_router_stop(act_rt *rt);

/* timer.c */
/* Milliseconds the loop may block: to the nearest timer (infinite without
 * timers: a stop closes the mailbox). */
int act_timer_wait_ms(act_actor *a);
/* Delivers every due timer; AIS_EINTERNAL if a handler failed. */
ais_err act_timer_fire(act_actor *a);
void act_timer_clear(act_actor *a);

#endif
