/*
 * keepalive: liveness in both directions, and the primary's quorum.
 *
 * Every non-primary node sends AIS_MSG_KEEPALIVE_REQ to the primary once per
 * keepalivetracker.<role>.interval. The primary records when it last heard
 * from each node; a node silent for longer than the window
 * (interval x keepalivetracker.<role>.factor) is reported to membership
 * (NODE_SILENT), which pings it once more before removing it from the Smap.
 * Nodes in maintenance are never removed for silence: shutdown-node leaves
 * them in the Smap on purpose. A non-primary whose keepalives fail for a
 * whole window (and at least twice in a row -- one lost round trip after a
 * SIGSTOP/SIGCONT is not a dead primary) reports PRIMARY_LOST: proxies then
 * elect a new primary (membership.c), targets look for it among the
 * proxies.
 *
 * Quorum rule (why: a primary cut off from the other proxies must not keep
 * changing metadata while the majority elects another one -- that is the
 * split brain AIS tolerates and we do not): the primary may change
 * metadata only while it has heard, within one window, from enough
 * proxies of its current Smap to make a majority with itself
 * (floor(P/2)+1 of P). The deadline is exact: the (majority-1)-th freshest
 * keepalive plus the window. A proxy becomes primary only with votes from
 * such a majority (membership.c), and two majorities of the same proxy set
 * always overlap, so at most one side of a partition can change metadata.
 * A primary without quorum answers metadata changes with 503 and keeps
 * asking the other proxies whether they moved on (NO_QUORUM -> membership
 * pulls their Smap and steps down if a newer one names another primary).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actors/node/node.h"
#include "core/log.h"
#include "proto/msg.h"

#define KA_COOKIE    1
#define KA_MAX_PEERS 512

typedef struct ka_peer {
	char id[AIS_ID_MAX + 1];
	int64_t heard_ms;  /* last keepalive received (0 = never) */
	int64_t warned_ms; /* last NODE_SILENT report */
} ka_peer;

typedef struct ka_state {
	ais_node *node;
	act_actor *self;
	/* non-primary */
	char primary[AIS_ID_MAX + 1]; /* whom we have been heartbeating */
	int64_t ok_ms;                /* last answered keepalive */
	int fails;                    /* consecutive failures since */
	int64_t lost_sent_ms;
	int64_t rejoin_sent_ms;
	bool was_nonprimary; /* ran as non-primary since start */
	/* primary */
	bool primary_mode;
	int64_t primary_since_ms;
	int64_t noq_sent_ms;
	size_t npeers;
	ka_peer peers[KA_MAX_PEERS];
} ka_state;

int64_t
ais_node_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ais_node_cplane_ms(ais_node *n)
{
	ais_cconfig *c = ais_node_ccfg(n);
	int64_t ms = c ? ais_cconfig_dur_ms(
	                 c, "timeout.cplane_operation", AIS_CPLANE_TIMEOUT_MS)
	               : AIS_CPLANE_TIMEOUT_MS;
	ais_cconfig_rele(c);
	return ms;
}

bool
ais_node_has_quorum(ais_node *n)
{
	ais_smap *m = ais_node_smap(n);
	bool one = m == NULL || m->nproxies <= 1;
	ais_smap_rele(m);
	return one || ais_node_now_ms() < atomic_load(&n->quorum_until_ms);
}

static void ka_timing(
    ais_node *n, ais_role role, int64_t *interval, int64_t *window);

void
ais_node_quorum_grant(ais_node *n)
{
	int64_t iv, win;
	ka_timing(n, AIS_ROLE_PROXY, &iv, &win);
	atomic_store(&n->quorum_until_ms, ais_node_now_ms() + win);
}

/* Heartbeat period and failure window of a role, from the cluster config. */
static void
ka_timing(ais_node *n, ais_role role, int64_t *interval, int64_t *window)
{
	ais_cconfig *c = ais_node_ccfg(n);
	const char *ip = role == AIS_ROLE_PROXY
	    ? "keepalivetracker.proxy.interval"
	    : "keepalivetracker.target.interval";
	*interval = c ? ais_cconfig_dur_ms(c, ip, 10000) : 10000;
	int64_t factor = c
	    ? ais_cconfig_int(c,
	        role == AIS_ROLE_PROXY ? "keepalivetracker.proxy.factor"
	                               : "keepalivetracker.target.factor",
	        3)
	    : 3;
	ais_cconfig_rele(c);
	if (factor < 1) {
		factor = 1;
	}
	if (*interval < 100) {
		*interval = 100;
	}
	*window = *interval * factor;
}

static ka_peer *
ka_peer_get(ka_state *st, const char *id, bool create)
{
	for (size_t i = 0; i < st->npeers; i++) {
		if (strcmp(st->peers[i].id, id) == 0) {
			return &st->peers[i];
		}
	}
	if (!create || st->npeers == KA_MAX_PEERS) {
		return NULL;
	}
	ka_peer *p = &st->peers[st->npeers++];
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	return p;
}

static void
ka_event(ka_state *st, int kind, const char *id, int64_t smap_v)
{
	Ais__MembEvent ev = AIS__MEMB_EVENT__INIT;
	ev.kind = kind;
	ev.id = (char *) (id ? id : "");
	ev.smap_version = smap_v;
	uint8_t buf[128];
	if (ais__memb_event__get_packed_size(&ev) > sizeof(buf)) {
		return;
	}
	size_t len = ais__memb_event__pack(&ev, buf);
	act_send(act_runtime(st->self), NULL, AIS_ACTOR_MEMBERSHIP,
	    AIS_MSG_MEMB_EVENT, buf, len);
}

static int
ka_cmp_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return x < y ? 1 : (x > y ? -1 : 0);
}

/* Primary: the quorum deadline from the proxies' last keepalives. */
static void
ka_quorum_update(ka_state *st, const ais_smap *m, int64_t window)
{
	ais_node *n = st->node;
	size_t need = m->nproxies / 2 + 1; /* including this primary */
	if (need <= 1) {
		atomic_store(&n->quorum_until_ms, INT64_MAX);
		return;
	}
	int64_t heard[KA_MAX_PEERS];
	size_t k = 0;
	for (size_t i = 0; i < m->nproxies && k < KA_MAX_PEERS; i++) {
		const ais_snode *p = &m->proxies[i];
		if (strcmp(p->id, n->self.id) == 0) {
			continue;
		}
		ka_peer *pe = ka_peer_get(st, p->id, false);
		heard[k++] = pe ? pe->heard_ms : 0;
	}
	qsort(heard, k, sizeof(heard[0]), ka_cmp_desc);
	int64_t until = 0;
	if (k >= need - 1 && heard[need - 2] > 0) {
		until = heard[need - 2] + window;
	}
	atomic_store(&n->quorum_until_ms, until);
}

/* Primary side of a tick: silent nodes and quorum. */
static void
ka_tick_primary(ka_state *st, ais_smap *m)
{
	ais_node *n = st->node;
	int64_t now = ais_node_now_ms();
	int64_t pint, pwin, tint, twin;
	ka_timing(n, AIS_ROLE_PROXY, &pint, &pwin);
	ka_timing(n, AIS_ROLE_TARGET, &tint, &twin);

	atomic_store(&n->primary_lost, false); /* we are the primary */
	if (!st->primary_mode) {
		st->primary_mode = true;
		st->primary_since_ms = now;
		st->npeers = 0;
		if (st->was_nonprimary) {
			/* Became primary by election or handover: the votes
			 * (or the old primary) vouched for the others. */
			for (size_t i = 0; i < ais_smap_count(m); i++) {
				const ais_snode *sn = i < m->nproxies
				    ? &m->proxies[i]
				    : &m->targets[i - m->nproxies];
				ka_peer *p = ka_peer_get(st, sn->id, true);
				if (p != NULL) {
					p->heard_ms = now;
				}
			}
		}
		AIS_LOGN("AIS-KA-PRIMARY",
		    "tracking keepalives as primary "
		    "(Smap v%lld)",
		    (long long) m->version);
	}
	/* After a restart give the others the startup time to come back
	 * before calling them gone; after an election, one window. */
	ais_cconfig *c = ais_node_ccfg(n);
	int64_t grace = st->was_nonprimary
	    ? 0
	    : (c ? ais_cconfig_dur_ms(c, "timeout.startup_time", 60000)
	         : 60000);
	ais_cconfig_rele(c);
	for (size_t i = 0; i < ais_smap_count(m); i++) {
		const ais_snode *sn = i < m->nproxies
		    ? &m->proxies[i]
		    : &m->targets[i - m->nproxies];
		if (strcmp(sn->id, n->self.id) == 0
		    || (sn->flags & AIS_SNODE_MAINT) != 0) {
			continue;
		}
		int64_t win = sn->role == AIS_ROLE_PROXY ? pwin : twin;
		ka_peer *p = ka_peer_get(st, sn->id, true);
		if (p == NULL) {
			continue;
		}
		int64_t since = p->heard_ms > 0 ? p->heard_ms
		                                : st->primary_since_ms + grace;
		if (since < st->primary_since_ms) {
			since = st->primary_since_ms;
		}
		if (now - since > win && now - p->warned_ms > win) {
			p->warned_ms = now;
			AIS_LOGW("AIS-KA-SILENT", "%s %s silent for %lld ms",
			    sn->role == AIS_ROLE_PROXY ? "proxy" : "target",
			    sn->id, (long long) (now - since));
			ka_event(st, AIS__MEMB_EVENT__KIND__NODE_SILENT,
			    sn->id, m->version);
		}
	}
	ka_quorum_update(st, m, pwin);
	if (!ais_node_has_quorum(n) && now - st->primary_since_ms > pwin
	    && now - st->noq_sent_ms > pint) {
		st->noq_sent_ms = now;
		AIS_LOGW("AIS-KA-NOQUORUM",
		    "primary %s: no keepalive from a "
		    "majority of %zu proxies; metadata changes refused",
		    n->self.id, m->nproxies);
		ka_event(
		    st, AIS__MEMB_EVENT__KIND__NO_QUORUM, NULL, m->version);
	}
}

/* Non-primary side of a tick: one keepalive to the primary. */
static void
ka_tick_other(ka_state *st, ais_smap *m)
{
	ais_node *n = st->node;
	const ais_snode *p = ais_smap_primary(m);
	int64_t now = ais_node_now_ms();
	int64_t interval, window;
	ka_timing(n, n->role, &interval, &window);

	bool was_primary = st->primary_mode;

	st->primary_mode = false;
	st->was_nonprimary = true;
	if (p == NULL) {
		return;
	}
	/* a new primary, or this node just handed the role over (its last
	 * contact with that node may date from before it was primary
	 * itself): the window starts now */
	if (was_primary || strcmp(st->primary, p->id) != 0) {
		snprintf(st->primary, sizeof(st->primary), "%s", p->id);
		st->ok_ms = now;
		st->fails = 0;
		atomic_store(&n->primary_lost, false);
	}
	Ais__Keepalive ka = AIS__KEEPALIVE__INIT;
	ka.id = n->self.id;
	ka.smap_version = m->version;
	uint8_t buf[128];
	size_t len = ais__keepalive__pack(&ka, buf);
	act_reply_buf rep = { 0 };
	int64_t tmo = ais_node_cplane_ms(n);
	if (tmo > interval) {
		tmo = interval;
	}
	ais_err err
	    = act_call(act_runtime(st->self), p->ctrl.url, AIS_ACTOR_KEEPALIVE,
	        AIS_MSG_KEEPALIVE_REQ, buf, len, (int) tmo, &rep);
	if (err != AIS_OK) {
		st->fails++;
		if (st->fails >= 2 && now - st->ok_ms >= window) {
			if (!atomic_exchange(&n->primary_lost, true)) {
				AIS_LOGW("AIS-KA-PRIMARY-LOST",
				    "primary %s unreachable for %lld ms (%d "
				    "keepalives failed)",
				    p->id, (long long) (now - st->ok_ms),
				    st->fails);
			}
			if (now - st->lost_sent_ms >= interval) {
				st->lost_sent_ms = now;
				ka_event(st,
				    AIS__MEMB_EVENT__KIND__PRIMARY_LOST, p->id,
				    m->version);
			}
		}
		return;
	}
	st->ok_ms = now;
	st->fails = 0;
	if (atomic_exchange(&n->primary_lost, false)) {
		AIS_LOGN(
		    "AIS-KA-PRIMARY-BACK", "primary %s answers again", p->id);
	}
	if (rep.status == AIS_ENOENT && atomic_load(&n->joined)
	    && now - st->rejoin_sent_ms >= window) {
		/* Removed while we were away (or never added): rejoin. */
		st->rejoin_sent_ms = now;
		AIS_LOGW("AIS-KA-REJOIN",
		    "primary %s does not know %s: "
		    "rejoining",
		    p->id, n->self.id);
		ka_event(
		    st, AIS__MEMB_EVENT__KIND__NOT_IN_SMAP, p->id, m->version);
	} else if (rep.status == AIS_EPERM) {
		/* It is not the primary any more: our Smap is behind. Let
		 * membership find the newer one. */
		ka_event(st, AIS__MEMB_EVENT__KIND__PRIMARY_LOST, p->id,
		    m->version);
	}
	act_reply_buf_fini(&rep);
}

static ais_err
ka_on_timer(void *state, act_ctx *ctx, const act_msg *msg)
{
	ka_state *st = state;
	(void) ctx;
	(void) msg;
	ais_node *n = st->node;
	if (atomic_load(&n->stopping)) {
		return AIS_OK;
	}
	ais_smap *m = ais_node_smap(n);
	if (m != NULL && atomic_load(&n->joined)
	    && ais_smap_get(m, n->self.id) != NULL) {
		if (strcmp(m->primary, n->self.id) == 0) {
			ka_tick_primary(st, m);
		} else {
			ka_tick_other(st, m);
		}
	} else if (m != NULL && atomic_load(&n->joined)
	    && strcmp(m->primary, n->self.id) != 0) {
		/* Not in the Smap we hold: keep asking the primary, whose
		 * ENOENT starts a rejoin. */
		ka_tick_other(st, m);
	}
	ais_smap_rele(m);
	int64_t interval, window;
	ka_timing(n, n->role, &interval, &window);
	/* Primaries tick at the smaller of both periods so silence is
	 * noticed within a fraction of the window. */
	if (st->primary_mode) {
		int64_t ti, tw;
		ka_timing(n, AIS_ROLE_TARGET, &ti, &tw);
		interval = ti < interval ? ti : interval;
		interval = interval / 2 > 50 ? interval / 2 : 50;
	}
	return act_timer_start(st->self, KA_COOKIE, interval, false, NULL);
}

static ais_err
ka_on_req(void *state, act_ctx *ctx, const act_msg *msg)
{
	ka_state *st = state;
	ais_node *n = st->node;
	Ais__Keepalive *ka = ais__keepalive__unpack(NULL, msg->len, msg->data);
	if (ka == NULL) {
		return AIS_EPROTO;
	}
	ais_smap *m = ais_node_smap(n);
	Ais__KeepaliveResp kr = AIS__KEEPALIVE_RESP__INIT;
	kr.smap_version = m ? m->version : 0;
	kr.primary = m ? m->primary : "";
	ais_err status = AIS_OK;
	if (m == NULL || strcmp(m->primary, n->self.id) != 0) {
		status = AIS_EPERM; /* a ping, or a sender with an old Smap */
	} else if (ka->id[0] != '\0' && ais_smap_get(m, ka->id) == NULL) {
		status = AIS_ENOENT;
	} else if (ka->id[0] != '\0') {
		ka_peer *p = ka_peer_get(st, ka->id, true);
		if (p != NULL) {
			p->heard_ms = ais_node_now_ms();
			p->warned_ms = 0;
		}
		if (st->primary_mode) {
			int64_t pint, pwin;
			ka_timing(n, AIS_ROLE_PROXY, &pint, &pwin);
			ka_quorum_update(st, m, pwin);
		}
	}
	uint8_t buf[256];
	size_t len = ais__keepalive_resp__get_packed_size(&kr) <= sizeof(buf)
	    ? ais__keepalive_resp__pack(&kr, buf)
	    : 0;
	ais__keepalive__free_unpacked(ka, NULL);
	ais_err err = act_reply(ctx, AIS_MSG_KEEPALIVE_RESP, status,
	    status == AIS_ENOENT ? "not in the cluster map"
	                         : (status ? "not the primary" : NULL),
	    buf, len);
	ais_smap_rele(m);
	return err;
}

static ais_err
ka_init(void *state, act_actor *self, void *arg)
{
	ka_state *st = state;
	st->node = arg;
	st->self = self;
	st->ok_ms = ais_node_now_ms();
	return act_timer_start(self, KA_COOKIE, 200, false, NULL);
}

/* The table is a cache of recent keepalives; after a restart the primary
 * counts everyone as heard now rather than dropping them. */
static ais_err
ka_reset(void *state, act_actor *self, void *arg)
{
	ka_state *st = state;
	bool was = st->was_nonprimary;
	memset(st, 0, sizeof(*st));
	st->was_nonprimary = was;
	return ka_init(state, self, arg);
}

static const act_handler ka_handlers[AIS_MSG__COUNT] = {
	[AIS_MSG_KEEPALIVE_REQ] = ka_on_req,
	[AIS_MSG_TIMER] = ka_on_timer,
};

const act_ops ais_keepalive_ops = {
	.name = AIS_ACTOR_KEEPALIVE,
	.state_size = sizeof(ka_state),
	.init = ka_init,
	.reset = ka_reset,
	.handlers = ka_handlers,
	.nhandlers = AIS_MSG__COUNT,
};
