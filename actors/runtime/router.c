/*
 * The router: how a node's actors are reached from other nodes. A raw rep0
 * socket listens on the node's tcp:// control address; each request's
 * envelope names the destination actor in `dest`, and the router hands the
 * message, byte for byte and with its routing header (the backtrace), to a
 * raw req0 socket dialed to that actor's inproc mailbox -- the forwarding
 * device pattern. The actor's reply comes back on that socket carrying the
 * same backtrace, and the raw rep0 socket sends it to the pipe it names.
 * The remote caller therefore sees exactly what a local caller would.
 *
 * Why raw sockets: a cooked req0 socket keeps a reference to every request
 * (for resending), so NNG's inproc transport, which needs a message of its
 * own, duplicated each forwarded request -- a zero-filled allocation and a
 * copy of the whole body, 1 MiB per rebalance chunk. Raw sockets keep no
 * reference, and the backtrace fits the headroom NNG leaves in front of a
 * received body, so a forward copies nothing. They also keep no state per
 * request: an actor that takes its time holds no router resource.
 *
 * Slots (a fixed number of aios) cycle RECV -> FWD (hand the request to
 * the mailbox socket) -> RECV, or RECV -> ERR (the router's own answer)
 * -> RECV, in the manner of nng's demo/async/server.c; each mailbox socket
 * has one aio relaying replies (RECV -> SEND -> RECV). Nothing here blocks
 * an NNG callback thread.
 *
 * Errors the router answers itself: no such actor (AIS_ENOENT, "no actor
 * <name>"), a malformed envelope (AIS_EPROTO), a mailbox that does not take
 * the request within ACT_ROUTER_FWD_TIMEOUT_MS (the actor is gone). An
 * actor that takes a request and never answers is the caller's timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "actors/runtime/runtime_int.h"
#include "core/log.h"
#include "proto/msg.h"
#include "proto/pb_envelope.h"

typedef enum act_slot_state {
	ACT_SLOT_RECV = 0, /* waiting for a request */
	ACT_SLOT_FWD,      /* handing it to the actor's mailbox */
	ACT_SLOT_ERR,      /* sending the router's own answer */
} act_slot_state;

typedef struct act_slot {
	act_router *r;
	nng_aio *aio;
	act_slot_state state;
} act_slot;

/* One actor mailbox: a raw req0 socket and the aio relaying its replies. */
typedef struct act_fwd {
	act_router *r;
	char *url; /* inproc://... (the key) */
	nng_socket sock;
	nng_aio *aio;
	bool sending; /* the aio holds a reply on its way out */
	struct act_fwd *next;
} act_fwd;

struct act_router {
	act_rt *rt;
	nng_socket sock; /* raw rep0 on the node's tcp address */
	atomic_bool stopping;
	pthread_mutex_t mu;
	act_fwd *fwds; /* mu */
	act_slot slots[ACT_ROUTER_SLOTS];
};

static void
act_router_recv(act_slot *s)
{
	s->state = ACT_SLOT_RECV;
	nng_aio_set_timeout(s->aio, NNG_DURATION_INFINITE);
	nng_recv_aio(s->r->sock, s->aio);
}

/* Answers request m (consumed) with an error of our own: the reply takes
 * m's backtrace, which routes it back to the caller. */
static void
act_router_reply_err(
    act_slot *s, nng_msg *m, uint64_t corr, ais_err status, const char *errmsg)
{
	nng_msg *rep = NULL;

	if (act_msg_encode(s->r->rt->node_id, "", AIS_MSG_ACK, corr, status,
	        errmsg, NULL, 0, &rep)
	        != AIS_OK
	    || nng_msg_header_append(
	           rep, nng_msg_header(m), nng_msg_header_len(m))
	        != 0) {
		/* Out of memory: the caller will time out. */
		if (rep != NULL) {
			nng_msg_free(rep);
		}
		nng_msg_free(m);
		act_router_recv(s);
		return;
	}
	nng_msg_free(m);
	s->state = ACT_SLOT_ERR;
	nng_aio_set_msg(s->aio, rep);
	nng_aio_set_timeout(s->aio, ACT_REPLY_TIMEOUT_MS);
	nng_send_aio(s->r->sock, s->aio);
}

static void
act_fwd_cb(void *arg)
{
	act_fwd *f = arg;
	int rv = nng_aio_result(f->aio);
	nng_msg *m = nng_aio_get_msg(f->aio);

	nng_aio_set_msg(f->aio, NULL);
	if (f->sending) {
		f->sending = false;
		if (rv != 0 && m != NULL) {
			nng_msg_free(m); /* the caller is gone */
		}
	} else if (rv == 0) {
		if (atomic_load(&f->r->stopping)) {
			nng_msg_free(m);
			return;
		}
		/* m's header is the backtrace: raw rep0 routes by it */
		f->sending = true;
		nng_aio_set_msg(f->aio, m);
		nng_aio_set_timeout(f->aio, ACT_REPLY_TIMEOUT_MS);
		nng_send_aio(f->r->sock, f->aio);
		return;
	}
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED
	    || atomic_load(&f->r->stopping)) {
		return;
	}
	nng_aio_set_timeout(f->aio, NNG_DURATION_INFINITE);
	nng_recv_aio(f->sock, f->aio);
}

/* The mailbox socket for url, dialed (non-blocking) on first use. */
static ais_err
act_fwd_get(act_router *r, const char *url, nng_socket *out)
{
	act_fwd *f;
	ais_err err = AIS_OK;
	int rv;

	pthread_mutex_lock(&r->mu);
	for (f = r->fwds; f != NULL; f = f->next) {
		if (strcmp(f->url, url) == 0) {
			*out = f->sock;
			goto out;
		}
	}
	if (atomic_load(&r->stopping)) {
		err = AIS_ECLOSED;
		goto out;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL
	    || (f->url = strdup(url)) == NULL) {
		free(f);
		err = AIS_ENOMEM;
		goto out;
	}
	f->r = r;
	if ((rv = nng_req0_open_raw(&f->sock)) != 0) {
		free(f->url);
		free(f);
		err = act_err_from_nng(rv);
		goto out;
	}
	if ((rv = nng_socket_set_ms(
	         f->sock, NNG_OPT_RECONNMAXT, ACT_RECONN_MAX_MS))
	        != 0
	    || (rv = nng_aio_alloc(&f->aio, act_fwd_cb, f)) != 0
	    || (rv = nng_dial(f->sock, url, NULL, NNG_FLAG_NONBLOCK)) != 0) {
		nng_close(f->sock);
		if (f->aio != NULL) {
			nng_aio_free(f->aio);
		}
		free(f->url);
		free(f);
		err = act_err_from_nng(rv);
		goto out;
	}
	f->next = r->fwds;
	r->fwds = f;
	nng_recv_aio(f->sock, f->aio);
	*out = f->sock;
out:
	pthread_mutex_unlock(&r->mu);
	return err;
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

	if (pb_envelope_decode(nng_msg_body(m), nng_msg_len(m), &env, &dec)
	    != AIS_OK) {
		ais_log_set_thread("router");
		AIS_LOGW("AIS-ACT-EPROTO",
		    "router: malformed envelope "
		    "(%zu bytes)",
		    nng_msg_len(m));
		act_router_reply_err(
		    s, m, 0, AIS_EPROTO, "malformed envelope");
		return;
	}
	corr = env.corr;
	if (!act_rt_lookup(rt, env.dest, mailbox, sizeof(mailbox))) {
		snprintf(text, sizeof(text), "no actor %s", env.dest);
		pb_envelope_dec_free(dec);
		act_router_reply_err(s, m, corr, AIS_ENOENT, text);
		return;
	}
	pb_envelope_dec_free(dec);
	if ((err = act_fwd_get(s->r, mailbox, &sock)) != AIS_OK) {
		act_router_reply_err(
		    s, m, corr, err, "router: no mailbox socket");
		return;
	}
	s->state = ACT_SLOT_FWD;
	nng_aio_set_msg(s->aio, m);
	nng_aio_set_timeout(s->aio, ACT_ROUTER_FWD_TIMEOUT_MS);
	nng_send_aio(sock, s->aio);
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
	case ACT_SLOT_FWD:
		if (rv != 0 && m != NULL) {
			pb_envelope env;
			pb_envelope_dec *dec;
			uint64_t corr = 0;

			if (atomic_load(&r->stopping)) {
				nng_msg_free(m);
				return;
			}
			if (pb_envelope_decode(
			        nng_msg_body(m), nng_msg_len(m), &env, &dec)
			    == AIS_OK) {
				corr = env.corr;
				pb_envelope_dec_free(dec);
			}
			act_router_reply_err(s, m, corr, act_err_from_nng(rv),
			    "router: actor unreachable");
			return;
		}
		break;
	case ACT_SLOT_ERR:
		if (rv != 0 && m != NULL) {
			nng_msg_free(m);
		}
		break;
	}
	if (rv == NNG_ECLOSED || atomic_load(&r->stopping)) {
		return;
	}
	act_router_recv(s);
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
	pthread_mutex_init(&r->mu, NULL);
	if ((rv = nng_rep0_open_raw(&r->sock)) != 0) {
		pthread_mutex_destroy(&r->mu);
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
		if ((rv = nng_aio_alloc(&s->aio, act_router_cb, s)) != 0) {
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
	pthread_mutex_destroy(&r->mu);
	free(r);
	return act_err_from_nng(rv);
}

void
act_router_stop(act_rt *rt)
{
	act_router *r = rt->router;
	act_fwd *f;

	if (r == NULL) {
		return;
	}
	atomic_store(&r->stopping, true);
	/* Fails every receive and send in progress with ECLOSED. */
	nng_close(r->sock);
	pthread_mutex_lock(&r->mu);
	for (f = r->fwds; f != NULL; f = f->next) {
		nng_close(f->sock);
	}
	pthread_mutex_unlock(&r->mu);
	/* Waits out the callbacks; an operation a callback submits after
	 * this is dropped by NNG without a callback, its message left in
	 * the aio, so collect those below. */
	for (size_t i = 0; i < ACT_ROUTER_SLOTS; i++) {
		nng_aio_stop(r->slots[i].aio);
	}
	for (f = r->fwds; f != NULL; f = f->next) {
		nng_aio_stop(f->aio);
	}
	for (size_t i = 0; i < ACT_ROUTER_SLOTS; i++) {
		nng_msg *m = nng_aio_get_msg(r->slots[i].aio);

		if (m != NULL) {
			nng_msg_free(m);
		}
		nng_aio_free(r->slots[i].aio);
	}
	while ((f = r->fwds) != NULL) {
		nng_msg *m = nng_aio_get_msg(f->aio);

		if (m != NULL) {
			nng_msg_free(m);
		}
		r->fwds = f->next;
		nng_aio_free(f->aio);
		free(f->url);
		free(f);
	}
	rt->router = NULL;
	pthread_mutex_destroy(&r->mu);
	free(r);
}
