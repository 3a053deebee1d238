/*
 * The router: how a node's actors are reached from other nodes. One rep0
 * socket listens on the node's tcp:// control address; each request's
 * envelope names the destination actor in `dest`, and the router forwards
 * the message, byte for byte, to that actor's inproc mailbox through the
 * same cached req0 socket local callers use, then relays the actor's reply
 * (whose corr the actor echoed) back on the rep0 context it came in on. The
 * remote caller therefore sees exactly what a local caller would.
 *
 * Forwarding is asynchronous, in the manner of nng's demo/async/server.c: a
 * fixed number of slots, each a rep0 context plus one aio cycling through
 * RECV -> FWD_SEND -> FWD_RECV -> REPLY. An actor that defers its reply
 * holds a slot, not a thread, so many slow requests cannot starve the node
 * of threads, and nothing here blocks an NNG callback thread.
 *
 * Errors the router answers itself: no such actor (AIS_ENOENT, "no actor
 * <name>"), a malformed envelope (AIS_EPROTO), an actor that does not answer
 * within ACT_ROUTER_FWD_TIMEOUT_MS (AIS_ETIMEDOUT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "actors/runtime/runtime_int.h"
#include "core/log.h"
#include "proto/msg.h"
#include "proto/pb_envelope.h"

typedef enum act_slot_state {
	ACT_SLOT_RECV = 0, /* waiting for a request */
	ACT_SLOT_FWD_SEND, /* handing it to the actor's mailbox */
	ACT_SLOT_FWD_RECV, /* waiting for the actor's reply */
	ACT_SLOT_REPLY,    /* sending the reply to the remote caller */
} act_slot_state;

typedef struct act_slot {
	act_router *r;
	nng_aio *aio;
	nng_ctx rep; /* on the router socket */
	nng_ctx req; /* on the actor's cached req0 socket */
	bool req_open;
	act_slot_state state;
	uint64_t corr; /* of the request in hand */
} act_slot;

struct act_router {
	act_rt *rt;
	nng_socket sock;
	atomic_bool stopping;
	act_slot slots[ACT_ROUTER_SLOTS];
};

static void
act_router_recv(act_slot *s)
{
	s->state = ACT_SLOT_RECV;
	nng_aio_set_timeout(s->aio, NNG_DURATION_INFINITE);
	nng_ctx_recv(s->rep, s->aio);
}

static void
act_router_req_close(act_slot *s)
{
	if (s->req_open) {
		nng_ctx_close(s->req);
		s->req_open = false;
	}
}

/* Answers the request in hand with an error of our own. */
static void
act_router_reply_err(
    act_slot *s, uint64_t corr, ais_err status, const char *errmsg)
{
	nng_msg *m;

	if (act_msg_encode(s->r->rt->node_id, "", AIS_MSG_ACK, corr, status,
	        errmsg, NULL, 0, &m)
	    != AIS_OK) {
		/* Out of memory: the caller will time out. */
		act_router_recv(s);
		return;
	}
	s->state = ACT_SLOT_REPLY;
	nng_aio_set_msg(s->aio, m);
	nng_aio_set_timeout(s->aio, ACT_REPLY_TIMEOUT_MS);
	nng_ctx_send(s->rep, s->aio);
}

static void
act_router_forward(act_slot *s, nng_msg *m)
{
	act_rt *rt = s->r->rt;
	char mailbox[ACT_URL_MAX];
	char text[ACT_URL_MAX];
	pb_envelope env;
	pb_envelope_dec *dec;
	nng_socket sock;
	uint64_t corr;
	ais_err err;
	int rv;

	if (pb_envelope_decode(nng_msg_body(m), nng_msg_len(m), &env, &dec)
	    != AIS_OK) {
		ais_log_set_thread("router");
		AIS_LOGW("AIS-ACT-EPROTO",
		    "router: malformed envelope "
		    "(%zu bytes)",
		    nng_msg_len(m));
		nng_msg_free(m);
		act_router_reply_err(s, 0, AIS_EPROTO, "malformed envelope");
		return;
	}
	corr = env.corr;
	s->corr = corr;
	if (!act_rt_lookup(rt, env.dest, mailbox, sizeof(mailbox))) {
		snprintf(text, sizeof(text), "no actor %s", env.dest);
		pb_envelope_dec_free(dec);
		nng_msg_free(m);
		act_router_reply_err(s, corr, AIS_ENOENT, text);
		return;
	}
	pb_envelope_dec_free(dec);
	if ((err = act_rt_conn(rt, mailbox, &sock)) != AIS_OK) {
		nng_msg_free(m);
		act_router_reply_err(
		    s, corr, err, "router: no mailbox socket");
		return;
	}
	if ((rv = nng_ctx_open(&s->req, sock)) != 0) {
		nng_msg_free(m);
		act_router_reply_err(
		    s, corr, act_err_from_nng(rv), "router: no context");
		return;
	}
	s->req_open = true;
	s->state = ACT_SLOT_FWD_SEND;
	nng_aio_set_msg(s->aio, m);
	nng_aio_set_timeout(s->aio, ACT_ROUTER_FWD_TIMEOUT_MS);
	nng_ctx_send(s->req, s->aio);
}

static void
act_router_cb(void *arg)
{
	act_slot *s = arg;
	act_router *r = s->r;
	int rv = nng_aio_result(s->aio);
	nng_msg *m = nng_aio_get_msg(s->aio);

	/* Whatever the aio held is ours now (or already NNG's after a good
	 * send); never leave a stale pointer behind for the teardown. */
	nng_aio_set_msg(s->aio, NULL);
	switch (s->state) {
	case ACT_SLOT_RECV:
		if (rv != 0) {
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED
			    || atomic_load(&r->stopping)) {
				return;
			}
			act_router_recv(s);
			return;
		}
		if (atomic_load(&r->stopping)) {
			nng_msg_free(m);
			return;
		}
		act_router_forward(s, m);
		return;
	case ACT_SLOT_FWD_SEND:
		if (rv != 0) {
			if (m != NULL) {
				nng_msg_free(m);
			}
			act_router_req_close(s);
			if (atomic_load(&r->stopping)) {
				return;
			}
			act_router_reply_err(s, s->corr, act_err_from_nng(rv),
			    "router: actor unreachable");
			return;
		}
		s->state = ACT_SLOT_FWD_RECV;
		nng_aio_set_timeout(s->aio, ACT_ROUTER_FWD_TIMEOUT_MS);
		nng_ctx_recv(s->req, s->aio);
		return;
	case ACT_SLOT_FWD_RECV:
		act_router_req_close(s);
		if (atomic_load(&r->stopping)) {
			if (m != NULL) {
				nng_msg_free(m);
			}
			return;
		}
		if (rv != 0) {
			act_router_reply_err(s, s->corr, act_err_from_nng(rv),
			    "router: actor did not reply");
			return;
		}
		s->state = ACT_SLOT_REPLY;
		nng_aio_set_msg(s->aio, m);
		nng_aio_set_timeout(s->aio, ACT_REPLY_TIMEOUT_MS);
		nng_ctx_send(s->rep, s->aio);
		return;
	case ACT_SLOT_REPLY:
		if (rv != 0) {
			if (m != NULL) {
				nng_msg_free(m);
			}
			if (rv == NNG_ECLOSED || atomic_load(&r->stopping)) {
				return;
			}
		}
		act_router_recv(s);
		return;
	}
}

ais_err
act_router_start(act_rt *rt, const char *listen_url)
{
	act_router *r;
	size_t i;
	int rv;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		return AIS_ENOMEM;
	}
	r->rt = rt;
	atomic_init(&r->stopping, false);
	if ((rv = nng_rep0_open(&r->sock)) != 0) {
		free(r);
		return act_err_from_nng(rv);
	}
	if ((rv = nng_socket_set_size(r->sock, NNG_OPT_RECVMAXSZ, ACT_MSG_MAX))
	    != 0) {
		goto fail;
	}
	for (i = 0; i < ACT_ROUTER_SLOTS; i++) {
		act_slot *s = &r->slots[i];

		s->r = r;
		if ((rv = nng_aio_alloc(&s->aio, act_router_cb, s)) != 0
		    || (rv = nng_ctx_open(&s->rep, r->sock)) != 0) {
			goto fail;
		}
	}
	if ((rv = nng_listen(r->sock, listen_url, NULL, 0)) != 0) {
		goto fail;
	}
	rt->router = r;
	for (i = 0; i < ACT_ROUTER_SLOTS; i++) {
		act_router_recv(&r->slots[i]);
	}
	return AIS_OK;
fail:
	nng_close(r->sock);
	for (i = 0; i < ACT_ROUTER_SLOTS; i++) {
		if (r->slots[i].aio != NULL) {
			nng_aio_free(r->slots[i].aio);
		}
	}
	free(r);
	return act_err_from_nng(rv);
}

void
act_router_stop(act_rt *rt)
{
	act_router *r = rt->router;

	if (r == NULL) {
		return;
	}
	atomic_store(&r->stopping, true);
	/* Fails every receive and reply in progress with ECLOSED. */
	nng_close(r->sock);
	/* Cancels the forwards and waits out the callbacks; an operation a
	 * callback submits after this is dropped by NNG without a callback,
	 * its message left in the aio, so collect those below. */
	for (size_t i = 0; i < ACT_ROUTER_SLOTS; i++) {
		nng_aio_stop(r->slots[i].aio);
	}
	for (size_t i = 0; i < ACT_ROUTER_SLOTS; i++) {
		act_slot *s = &r->slots[i];
		nng_msg *m = nng_aio_get_msg(s->aio);

		if (m != NULL) {
			nng_msg_free(m);
		}
		act_router_req_close(s);
		nng_aio_free(s->aio);
	}
	rt->router = NULL;
	free(r);
}
