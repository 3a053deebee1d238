/*
 * Calling actors: request/reply (act_call), fan-out (act_call_many) and
 * one-way (act_send), all over req0 sockets from one per-runtime cache.
 *
 * One cached req0 socket per destination: a local actor's inproc mailbox or
 * a remote node's router (tcp). Every call opens its own req0 context on the
 * shared socket, so concurrent callers never wait for one another's replies,
 * and drives it with one aio: send, then receive, each bounded by what is
 * left of the caller's deadline. Resending is off (NNG_DURATION_INFINITE):
 * a handler must not run twice because a reply was slow. Dialing is
 * non-blocking, so a node that is down costs the caller its deadline
 * (AIS_ETIMEDOUT) and nothing more; the dialer keeps reconnecting in the
 * background.
 *
 * A call to a local actor that does not exist is answered at once with
 * status AIS_ENOENT, the same reply the router gives for a remote one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "actors/runtime/runtime_int.h"
#include "core/log.h"
#include "proto/msg.h"
#include "proto/pb_envelope.h"

typedef enum act_op_state {
	ACT_OP_SEND = 0,
	ACT_OP_RECV,
} act_op_state;

/* Completion count of one act_call_many. */
typedef struct act_batch {
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	size_t left; /* submitted ops not yet completed */
} act_batch;

/* One request in flight. */
typedef struct act_op {
	act_rt *rt;
	nng_aio *aio;
	nng_ctx ctx;
	bool ctx_open;
	bool submitted; /* the callback will run */
	act_op_state state;
	int64_t deadline_ms; /* monotonic */
	uint64_t corr;
	ais_err result;
	act_reply_buf *reply; /* NULL: one-way */
	act_batch *batch;     /* NULL: one-way, the op frees itself */
	act_fill_fn fill;     /* payload written in place (or NULL) */
	void *fill_arg;
	size_t fill_max;
} act_op;

/* Connection cache -------------------------------------------------------- */

static ais_err
act_conn_dial(const char *url, nng_socket *out)
{
	nng_socket s;
	int rv;

	if ((rv = nng_req0_open(&s)) != 0) {
		return act_err_from_nng(rv);
	}
	if ((rv = nng_socket_set_ms(
	         s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE))
	        != 0
	    || (rv = nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, ACT_MSG_MAX))
	        != 0
	    || (rv = nng_socket_set_ms(
	            s, NNG_OPT_RECONNMAXT, ACT_RECONN_MAX_MS))
	        != 0
	    || (rv = nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK)) != 0) {
		nng_close(s);
		return act_err_from_nng(rv);
	}
	*out = s;
	return AIS_OK;
}

ais_err
act_rt_conn(act_rt *rt, const char *url, nng_socket *out)
{
	act_conn *c;
	ais_err err = AIS_OK;

	/* Dialing under the lock is fine (non-blocking), and it means a
	 * socket is never dialed only to be closed again: closing a socket
	 * whose first connect is still in flight leaks inside NNG 1.5.2. */
	pthread_mutex_lock(&rt->mtx);
	for (c = rt->conns; c != NULL; c = c->next) {
		if (strcmp(c->url, url) == 0) {
			*out = c->sock;
			goto out;
		}
	}
	if (atomic_load(&rt->closing)) {
		err = AIS_ECLOSED;
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL
	    || (c->url = strdup(url)) == NULL) {
		free(c);
		err = AIS_ENOMEM;
		goto out;
	}
	if ((err = act_conn_dial(url, &c->sock)) != AIS_OK) {
		AIS_LOGW("AIS-ACT-DIAL", "cannot dial %s: %s", url,
		    ais_strerror(err));
		free(c->url);
		free(c);
		goto out;
	}
	c->next = rt->conns;
	rt->conns = c;
	*out = c->sock;
out:
	pthread_mutex_unlock(&rt->mtx);
	return err;
}

void
act_rt_conns_close(act_rt *rt)
{
	act_conn *c;

	pthread_mutex_lock(&rt->mtx);
	c = rt->conns;
	rt->conns = NULL;
	pthread_mutex_unlock(&rt->mtx);
	while (c != NULL) {
		act_conn *next = c->next;

		nng_close(c->sock);
		free(c->url);
		free(c);
		c = next;
	}
}

/* Replies ----------------------------------------------------------------- */

void
act_reply_buf_fini(act_reply_buf *r)
{
	if (r == NULL) {
		return;
	}
	free(r->errmsg);
	if (r->msg_ != NULL) {
		nng_msg_free(r->msg_);
	} else {
		free(r->data);
	}
	memset(r, 0, sizeof(*r));
}

static ais_err
act_reply_buf_fill(act_reply_buf *r, uint32_t type, ais_err status,
    const char *errmsg, const void *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->status = status;
	if (errmsg != NULL && errmsg[0] != '\0'
	    && (r->errmsg = strdup(errmsg)) == NULL) {
		return AIS_ENOMEM;
	}
	if (data != NULL && len > 0) {
		if ((r->data = malloc(len)) == NULL) {
			act_reply_buf_fini(r);
			return AIS_ENOMEM;
		}
		memcpy(r->data, data, len);
		r->len = len;
	}
	return AIS_OK;
}

/* Fills r from a received reply. On success r owns m (the payload is read
 * where it arrived, no copy); otherwise the caller still does. */
static ais_err
act_reply_decode(nng_msg *m, uint64_t corr, act_reply_buf *r)
{
	pb_envelope env;
	pb_envelope_dec *dec;
	ais_err err;

	if ((err = pb_envelope_decode(
	         nng_msg_body(m), nng_msg_len(m), &env, &dec))
	    != AIS_OK) {
		return err;
	}
	if (env.corr != corr) {
		/* req0 matches replies to contexts; this is a peer bug. */
		err = AIS_EPROTO;
	} else {
		err = act_reply_buf_fill(
		    r, env.type, env.status, env.errmsg, NULL, 0);
	}
	if (err == AIS_OK && env.len > 0) {
		r->data = (uint8_t *) env.payload;
		r->len = env.len;
		r->msg_ = m;
	}
	pb_envelope_dec_free(dec);
	return err;
}

/* Ops --------------------------------------------------------------------- */

static void
act_op_done(act_op *op, ais_err err)
{
	act_rt *rt = op->rt;
	nng_aio *aio = op->aio;
	act_batch *b = op->batch;

	op->result = err;
	if (op->ctx_open) {
		nng_ctx_close(op->ctx);
		op->ctx_open = false;
	}
	if (b != NULL) {
		/* The waiter frees the aio; nng_aio_free waits for us. */
		pthread_mutex_lock(&b->mtx);
		if (--b->left == 0) {
			pthread_cond_broadcast(&b->cv);
		}
		pthread_mutex_unlock(&b->mtx);
		return;
	}
	if (err != AIS_OK && err != AIS_ECLOSED) {
		ais_log_set_thread("nng-cb");
		AIS_LOGD("AIS-ACT-SEND", "one-way send failed: %s",
		    ais_strerror(err));
	}
	free(op);
	nng_aio_reap(aio); /* cannot free an aio from its own callback */
	pthread_mutex_lock(&rt->mtx);
	if (--rt->inflight == 0) {
		pthread_cond_broadcast(&rt->cv);
	}
	pthread_mutex_unlock(&rt->mtx);
}

static void
act_op_cb(void *arg)
{
	act_op *op = arg;
	int rv = nng_aio_result(op->aio);
	nng_msg *m = nng_aio_get_msg(op->aio);
	int64_t left;

	nng_aio_set_msg(op->aio, NULL);
	if (op->state == ACT_OP_SEND) {
		if (rv != 0) {
			/* A failed send hands the message back. */
			if (m != NULL) {
				nng_msg_free(m);
			}
			act_op_done(op, act_err_from_nng(rv));
			return;
		}
		if (op->reply == NULL) {
			act_op_done(op, AIS_OK);
			return;
		}
		if ((left = op->deadline_ms - act_now_ms()) <= 0) {
			act_op_done(op, AIS_ETIMEDOUT);
			return;
		}
		op->state = ACT_OP_RECV;
		nng_aio_set_timeout(op->aio, (nng_duration) left);
		nng_ctx_recv(op->ctx, op->aio);
		return;
	}
	if (rv != 0) {
		act_op_done(op, act_err_from_nng(rv));
		return;
	}
	rv = act_reply_decode(m, op->corr, op->reply);
	if (op->reply->msg_ != m) {
		nng_msg_free(m);
	}
	act_op_done(op, rv);
}

/* Starts one request. Sets *submitted when the callback will complete it
 * (and, for a one-way op, free it: op may be gone by the time this
 * returns); otherwise the request is already complete and the return value
 * is its transport status (op->reply may hold a reply). */
static ais_err
act_op_submit(act_op *op, const char *node_url, const char *actor,
    uint32_t type, const void *data, size_t len, bool *submitted)
{
	act_rt *rt = op->rt;
	char mailbox[ACT_URL_MAX];
	char eb[256] = "";
	const char *url = node_url;
	const char *sender = rt->node_id;
	nng_socket sock;
	nng_msg *m = NULL;
	int64_t left;
	ais_err err;
	int rv;

	if (atomic_load(&rt->closing)) {
		return AIS_ECLOSED;
	}
	if (node_url == NULL) {
		if (!act_rt_lookup(rt, actor, mailbox, sizeof(mailbox))) {
			char text[ACT_URL_MAX];

			if (op->reply == NULL) {
				return AIS_ENOENT;
			}
			snprintf(text, sizeof(text), "no actor %s", actor);
			return act_reply_buf_fill(
			    op->reply, AIS_MSG_ACK, AIS_ENOENT, text, NULL, 0);
		}
		url = mailbox;
		sender = "";
	}
	if ((err = act_rt_conn(rt, url, &sock)) != AIS_OK) {
		return err;
	}
	err = op->fill != NULL
	    ? act_msg_encode_fill(sender, actor, type, op->corr, op->fill_max,
	        op->fill, op->fill_arg, eb, sizeof(eb), &m)
	    : act_msg_encode(
	        sender, actor, type, op->corr, 0, NULL, data, len, &m);
	if (err != AIS_OK) {
		return err;
	}
	if ((rv = nng_aio_alloc(&op->aio, act_op_cb, op)) != 0) {
		nng_msg_free(m);
		return act_err_from_nng(rv);
	}
	if ((rv = nng_ctx_open(&op->ctx, sock)) != 0) {
		nng_msg_free(m);
		nng_aio_free(op->aio);
		op->aio = NULL;
		return act_err_from_nng(rv);
	}
	op->ctx_open = true;
	if ((left = op->deadline_ms - act_now_ms()) <= 0) {
		nng_msg_free(m);
		nng_ctx_close(op->ctx);
		op->ctx_open = false;
		nng_aio_free(op->aio);
		op->aio = NULL;
		return AIS_ETIMEDOUT;
	}
	op->state = ACT_OP_SEND;
	op->submitted = true;
	*submitted = true;
	if (op->batch != NULL) {
		pthread_mutex_lock(&op->batch->mtx);
		op->batch->left++;
		pthread_mutex_unlock(&op->batch->mtx);
	} else {
		pthread_mutex_lock(&rt->mtx);
		rt->inflight++;
		pthread_mutex_unlock(&rt->mtx);
	}
	nng_aio_set_msg(op->aio, m);
	nng_aio_set_timeout(op->aio, (nng_duration) left);
	nng_ctx_send(op->ctx, op->aio);
	return AIS_OK;
}

/* Public calls ------------------------------------------------------------ */

ais_err
act_call_many(act_rt *rt, const char *const *node_urls, size_t n,
    const char *actor, uint32_t type, const void *data, size_t len,
    int timeout_ms, ais_err *results, act_reply_buf *replies)
{
	act_batch b;
	act_op *ops;
	int64_t deadline;
	uint64_t corr;
	ais_err first = AIS_OK;

	if (rt == NULL || actor == NULL
	    || (n > 0
	        && (node_urls == NULL || results == NULL || replies == NULL))
	    || timeout_ms <= 0) {
		return AIS_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		memset(&replies[i], 0, sizeof(replies[i]));
		results[i] = AIS_OK;
	}
	if (n == 0) {
		return AIS_OK;
	}
	if ((ops = calloc(n, sizeof(*ops))) == NULL) {
		for (size_t i = 0; i < n; i++) {
			results[i] = AIS_ENOMEM;
		}
		return AIS_ENOMEM;
	}
	pthread_mutex_init(&b.mtx, NULL);
	act_cond_init(&b.cv);
	b.left = 0;
	deadline = act_now_ms() + timeout_ms;
	corr = atomic_fetch_add(&rt->corr, 1);
	for (size_t i = 0; i < n; i++) {
		ops[i] = (act_op) {
			.rt = rt,
			.deadline_ms = deadline,
			.corr = corr,
			.reply = &replies[i],
			.batch = &b,
		};
		bool submitted = false;

		results[i] = act_op_submit(
		    &ops[i], node_urls[i], actor, type, data, len, &submitted);
	}
	pthread_mutex_lock(&b.mtx);
	while (b.left > 0) {
		pthread_cond_wait(&b.cv, &b.mtx);
	}
	pthread_mutex_unlock(&b.mtx);
	for (size_t i = 0; i < n; i++) {
		if (ops[i].submitted) {
			results[i] = ops[i].result;
			nng_aio_free(ops[i].aio);
		}
		if (results[i] != AIS_OK) {
			act_reply_buf_fini(&replies[i]);
			if (first == AIS_OK) {
				first = results[i];
			}
		}
	}
	pthread_cond_destroy(&b.cv);
	pthread_mutex_destroy(&b.mtx);
	free(ops);
	return first;
}

ais_err
act_call(act_rt *rt, const char *node_url, const char *actor, uint32_t type,
    const void *data, size_t len, int timeout_ms, act_reply_buf *out)
{
	const char *urls[1] = { node_url };
	ais_err result;
	ais_err err;

	if (out == NULL) {
		return AIS_EINVAL;
	}
	memset(out, 0, sizeof(*out));
	err = act_call_many(
	    rt, urls, 1, actor, type, data, len, timeout_ms, &result, out);
	return err;
}

ais_err
act_send(act_rt *rt, const char *node_url, const char *actor, uint32_t type,
    const void *data, size_t len)
{
	act_op *op;
	bool submitted = false;
	ais_err err;

	if (rt == NULL || actor == NULL) {
		return AIS_EINVAL;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL) {
		return AIS_ENOMEM;
	}
	op->rt = rt;
	op->deadline_ms = act_now_ms() + ACT_SEND_TIMEOUT_MS;
	op->corr = atomic_fetch_add(&rt->corr, 1);
	err = act_op_submit(op, node_url, actor, type, data, len, &submitted);
	if (!submitted) {
		/* Never reached NNG: nothing else refers to op. */
		free(op);
		return err;
	}
	return AIS_OK;
}

/* Async calls ------------------------------------------------------------- */

struct act_call_h {
	act_batch b;
	act_op op;
	act_reply_buf reply;
	ais_err early; /* status of a start that completed without NNG */
};

static ais_err
act_call_start_op(act_rt *rt, const char *node_url, const char *actor,
    uint32_t type, const void *data, size_t len, int timeout_ms,
    act_fill_fn fill, void *fill_arg, size_t fill_max, act_call_h **out_h)
{
	act_call_h *h;
	bool submitted = false;

	if (out_h == NULL) {
		return AIS_EINVAL;
	}
	*out_h = NULL;
	if (rt == NULL || actor == NULL || timeout_ms <= 0) {
		return AIS_EINVAL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		return AIS_ENOMEM;
	}
	pthread_mutex_init(&h->b.mtx, NULL);
	act_cond_init(&h->b.cv);
	h->op = (act_op) {
		.rt = rt,
		.deadline_ms = act_now_ms() + timeout_ms,
		.corr = atomic_fetch_add(&rt->corr, 1),
		.reply = &h->reply,
		.batch = &h->b,
		.fill = fill,
		.fill_arg = fill_arg,
		.fill_max = fill_max,
	};
	h->early = act_op_submit(
	    &h->op, node_url, actor, type, data, len, &submitted);
	*out_h = h;
	return AIS_OK;
}

ais_err
act_call_start(act_rt *rt, const char *node_url, const char *actor,
    uint32_t type, const void *data, size_t len, int timeout_ms,
    act_call_h **out_h)
{
	return act_call_start_op(rt, node_url, actor, type, data, len,
	    timeout_ms, NULL, NULL, 0, out_h);
}

ais_err
act_call_start_fill(act_rt *rt, const char *node_url, const char *actor,
    uint32_t type, size_t max, act_fill_fn fill, void *arg, int timeout_ms,
    act_call_h **out_h)
{
	if (fill == NULL || max > ACT_MSG_MAX) {
		if (out_h != NULL) {
			*out_h = NULL;
		}
		return AIS_EINVAL;
	}
	return act_call_start_op(rt, node_url, actor, type, NULL, 0,
	    timeout_ms, fill, arg, max, out_h);
}

ais_err
act_call_finish(act_call_h *h, act_reply_buf *out)
{
	ais_err err;

	if (h == NULL || out == NULL) {
		return AIS_EINVAL;
	}
	pthread_mutex_lock(&h->b.mtx);
	while (h->b.left > 0) {
		pthread_cond_wait(&h->b.cv, &h->b.mtx);
	}
	pthread_mutex_unlock(&h->b.mtx);
	err = h->early;
	if (h->op.submitted) {
		err = h->op.result;
		nng_aio_free(h->op.aio);
	}
	if (err != AIS_OK) {
		act_reply_buf_fini(&h->reply);
	}
	*out = h->reply;
	pthread_mutex_destroy(&h->b.mtx);
	pthread_cond_destroy(&h->b.cv);
	free(h);
	return err;
}
