/*
 * Actor runtime: an actor is private state + a mailbox (an NNG rep0 socket)
 * + one handler per message type. Handlers of one actor never overlap: the
 * actor's own thread receives one message, runs its handler, and only then
 * receives the next, so the state needs no locks. Timers are folded into the
 * same loop (the receive timeout is the nearest deadline), so a timer tick is
 * just another message (AIS_MSG_TIMER) handled in order.
 *
 * Addressing: an actor is named; inside a process its mailbox is
 * inproc://<rt>/<name>. Between nodes, each runtime listens on one tcp://
 * address (the node's intra-control address) and a small router forwards an
 * envelope to the local actor named in `dest`. act_call() takes the node URL
 * (NULL = this runtime) and the actor name -- the same API both ways.
 *
 * Messages: envelope (proto/envelope.proto) around a payload whose type is
 * AisMsgType (proto/cluster.proto).
 */
#ifndef AIS_ACTORS_RUNTIME_ACTOR_H
#define AIS_ACTORS_RUNTIME_ACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct act_rt act_rt;           /* one per node (process) */
typedef struct act_actor act_actor;     /* a running actor */
typedef struct act_ctx act_ctx;         /* one received request */
typedef struct act_pending act_pending; /* a deferred reply */

/* A received message; borrowed for the duration of the handler. */
typedef struct act_msg {
	uint32_t type; /* AisMsgType */
	uint64_t corr;
	const char *sender;   /* sending node id, "" if local */
	int64_t smap_version; /* sender's */
	const uint8_t *data;  /* payload */
	size_t len;
} act_msg;

/* A handler takes one short step and returns. If it returns without calling
 * act_reply()/act_defer(), the runtime replies with AIS_MSG_ACK and the
 * returned status. Returning AIS_EINTERNAL additionally marks the actor
 * failed: the supervisor resets and restarts it. */
typedef ais_err (*act_handler)(void *state, act_ctx *ctx, const act_msg *msg);

typedef struct act_ops {
	const char *name;  /* mailbox name, unique per runtime */
	size_t state_size; /* zeroed before init */
	/* First start; arg is what the starter passed. */
	ais_err (*init)(void *state, act_actor *self, void *arg);
	/* Restart after a failure: rebuild state from persisted metadata.
	 * State is NOT zeroed; reset owns the cleanup of the old state. NULL =
	 * fini+init. */
	ais_err (*reset)(void *state, act_actor *self, void *arg);
	void (*fini)(void *state);   /* stop; may be NULL */
	const act_handler *handlers; /* indexed by message type */
	size_t nhandlers;
} act_ops;

/* Runtime --------------------------------------------------------------- */

/* Opens a runtime named `node_id`. listen_url: tcp://host:port for
 * cross-node calls, or NULL for in-process only. */
ais_err act_rt_open(const char *node_id, const char *listen_url, act_rt **out);
/* Stops the router, then frees. Actors must have been stopped first. */
void act_rt_close(act_rt *rt);
const char *act_rt_node_id(const act_rt *rt);

/* Actors (normally via the supervisor, see supervisor.h) ----------------- */

/* Starts an actor thread: zeroes state, calls init, starts receiving. */
ais_err act_start(act_rt *rt, const act_ops *ops, void *arg, act_actor **out);
/* Asks the actor to stop, waits for its thread, calls fini, frees. */
void act_stop(act_actor *a);
/* True once a handler returned AIS_EINTERNAL (the loop has exited). */
bool act_failed(const act_actor *a);
/* Blocks until the actor fails or `timeout_ms` passes; true if failed. */
bool act_wait_failed(act_actor *a, int timeout_ms);
/* Re-arms a failed actor: calls ops->reset (or fini+init) and restarts the
 * loop. */
ais_err act_restart(act_actor *a);
const char *act_name(const act_actor *a);
act_rt *act_runtime(act_actor *a);

/* Inside a handler ----------------------------------------------------------
 */

/* Replies to the request being handled (at most once). data is copied. */
ais_err act_reply(act_ctx *ctx, uint32_t type, ais_err status,
    const char *errmsg, const void *data, size_t len);
/* Keeps the request open past the handler; reply later from the same actor
 * with act_pending_reply (which frees p). */
act_pending *act_defer(act_ctx *ctx);
ais_err act_pending_reply(act_pending *p, uint32_t type, ais_err status,
    const char *errmsg, const void *data, size_t len);
act_actor *act_self(act_ctx *ctx);
/* Replies with a payload written in place, for bulk data (no copy between
 * the handler's source and the outgoing message): fill(arg, buf, max, ...)
 * writes up to max bytes and sets *used; an error it returns becomes the
 * reply's status (with its errmsg text, if set). At most once, like
 * act_reply(); returns the send status. */
typedef ais_err (*act_fill_fn)(void *arg, uint8_t *buf, size_t max,
    size_t *used, char *errmsg, size_t errlen);
ais_err act_reply_fill(
    act_ctx *ctx, uint32_t type, size_t max, act_fill_fn fill, void *arg);

/* Timers: deliver AIS_MSG_TIMER with payload = the 8-byte little-endian
 * `cookie` after delay_ms; periodic re-arms each time. Only from the actor's
 * own handlers/init. Returns a timer id for act_timer_cancel. */
ais_err act_timer_start(act_actor *self, uint64_t cookie, int64_t delay_ms,
    bool periodic, uint32_t *id_out);
void act_timer_cancel(act_actor *self, uint32_t id);

/* Calling actors (any thread) ----------------------------------------------
 */

typedef struct act_reply_buf {
	uint32_t type;
	ais_err status;
	char *errmsg;  /* malloc'd or NULL */
	uint8_t *data; /* owned (see msg_) or NULL; read-only */
	size_t len;
	void *msg_; /* private: the received message data points into */
} act_reply_buf;
void act_reply_buf_fini(act_reply_buf *r);

/* Request/reply. node_url NULL = this runtime; else tcp://host:port of the
 * node. Blocks up to timeout_ms (AIS_ETIMEDOUT). On success the caller owns
 * *out (act_reply_buf_fini). Transport failure -> AIS_ENNG|rv or
 * AIS_ECLOSED; the remote handler's status is in out->status. */
ais_err act_call(act_rt *rt, const char *node_url, const char *actor,
    uint32_t type, const void *data, size_t len, int timeout_ms,
    act_reply_buf *out);
/* One-way: queued and sent in the background; the reply is discarded.
 * Returns once the message is handed to NNG. */
ais_err act_send(act_rt *rt, const char *node_url, const char *actor,
    uint32_t type, const void *data, size_t len);

/* Fan-out: the same message to n nodes in parallel, waits for all replies
 * up to timeout_ms overall. results[i] gets the transport status, replies[i]
 * the reply (fini each). */
ais_err act_call_many(act_rt *rt, const char *const *node_urls, size_t n,
    const char *actor, uint32_t type, const void *data, size_t len,
    int timeout_ms, ais_err *results, act_reply_buf *replies);

/* Asynchronous request/reply, for callers that keep several requests in
 * flight (pipelined bulk transfers): act_call_start() queues the request
 * and returns at once; act_call_finish() waits for the reply (bounded by
 * the start's timeout_ms), fills *out exactly like act_call() and frees
 * the handle. Every started call must be finished exactly once; a start
 * that fails leaves *out_h NULL and needs no finish. */
typedef struct act_call_h act_call_h;
ais_err act_call_start(act_rt *rt, const char *node_url, const char *actor,
    uint32_t type, const void *data, size_t len, int timeout_ms,
    act_call_h **out_h);
/* act_call_start() whose payload fill(arg, buf, max, ...) writes straight
 * into the outgoing message (act_fill_fn above; bulk senders read a file
 * into it: no copy between the source and NNG). fill runs before this
 * returns; an error it returns becomes the call's status (finish it like
 * any other). */
ais_err act_call_start_fill(act_rt *rt, const char *node_url,
    const char *actor, uint32_t type, size_t max, act_fill_fn fill, void *arg,
    int timeout_ms, act_call_h **out_h);
ais_err act_call_finish(act_call_h *h, act_reply_buf *out);

#endif
