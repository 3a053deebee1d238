/*
 * Node admin on the primary (membership actor): maintenance, decommission,
 * shutdown of one node or the cluster, removal (rm-unsafe, and of nodes
 * that went silent), handing the primary role to another proxy, and
 * join-by-admin. Spec native-api.md section 2.5.
 *
 * Every change is a new Smap version published through metasync, which
 * refuses it without quorum (keepalive.c). Maintenance and decommission
 * flag the node (smap-bmd.md section 1: 4 and 8); HRW skips flagged
 * targets, so the targets' global rebalance (rebalance.c) moves their
 * objects away, and the reply carries that rebalance's ID ("g<version>").
 * Decommission and shutdown-node of a target then wait, on a helper
 * thread (never on the mailbox loop), until no target is still running
 * that rebalance; only then is the node removed (decommission) and told to
 * shut down, so its objects are never the only copy that goes away.
 */
#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actors/node/memb_int.h"
#include "core/jsonx.h"
#include "core/log.h"

#define MEMB_REB_POLL_MS     500
#define MEMB_REB_WAIT_DEF_MS (60LL * 60 * 1000)

/* Do a and b differ in which targets own data (HRW-eligible)? */
static bool
memb_owners_differ(const ais_smap *a, const ais_smap *b)
{
	const uint64_t off = AIS_SNODE_MAINT | AIS_SNODE_DECOMM;
	size_t na = 0, nb = 0;
	for (size_t i = 0; i < a->ntargets; i++) {
		if ((a->targets[i].flags & off) != 0) {
			continue;
		}
		na++;
		const ais_snode *t = ais_smap_get(b, a->targets[i].id);
		if (t == NULL || t->role != AIS_ROLE_TARGET
		    || (t->flags & off) != 0) {
			return true;
		}
	}
	for (size_t i = 0; i < b->ntargets; i++) {
		nb += (b->targets[i].flags & off) == 0;
	}
	return na != nb;
}

static ais_err
memb_admin_reply(act_ctx *ctx, ais_err status, const char *errmsg,
    const char *reb_id, const char *daemon_id)
{
	Ais__NodeAdminResp r = AIS__NODE_ADMIN_RESP__INIT;
	r.rebalance_id = (char *) (reb_id ? reb_id : "");
	r.daemon_id = (char *) (daemon_id ? daemon_id : "");
	uint8_t buf[256];
	size_t len = ais__node_admin_resp__get_packed_size(&r) <= sizeof(buf)
	    ? ais__node_admin_resp__pack(&r, buf)
	    : 0;
	return act_reply(
	    ctx, AIS_MSG_NODE_ADMIN_RESP, status, errmsg, buf, len);
}

/* Publishes nm (version already bumped) and fills reb_id when the owners
 * of data changed. */
static ais_err
memb_admin_commit(memb_state *st, const ais_smap *cur, const ais_smap *nm,
    const char *reason, char *reb_id, size_t reb_len)
{
	ais_err err = memb_commit_smap(st, nm, reason);
	if (err == AIS_OK && reb_id != NULL) {
		if (memb_owners_differ(cur, nm)) {
			snprintf(
			    reb_id, reb_len, "g%lld", (long long) nm->version);
		} else {
			reb_id[0] = '\0';
		}
	}
	return err;
}

static ais_err
memb_send_shutdown(ais_node *n, const char *ctrl_url, bool rm_data,
    bool rm_meta, const char *reason)
{
	Ais__NodeShutdown ns = AIS__NODE_SHUTDOWN__INIT;
	ns.rm_user_data = rm_data;
	ns.rm_metadata = rm_meta;
	ns.reason = (char *) reason;
	uint8_t buf[256];
	if (ais__node_shutdown__get_packed_size(&ns) > sizeof(buf)) {
		return AIS_EINVAL;
	}
	size_t len = ais__node_shutdown__pack(&ns, buf);
	act_reply_buf rep = { 0 };
	ais_err err = act_call(n->rt, ctrl_url, AIS_ACTOR_MEMBERSHIP,
	    AIS_MSG_NODE_SHUTDOWN, buf, len, (int) ais_node_cplane_ms(n),
	    &rep);
	if (err == AIS_OK) {
		err = rep.status;
	}
	act_reply_buf_fini(&rep);
	return err;
}

/* The waiter: after a target's maintenance/decommission, wait until every
 * target finished the rebalance, then ask the membership actor to finish
 * the action. */
typedef struct memb_waiter {
	ais_node *node;
	char action[32]; /* what to do afterwards: rm-node | shutdown-after */
	char sid[AIS_ID_MAX + 1];
	int64_t smap_v; /* the rebalance's Smap version */
	bool rm_user_data;
	bool no_shutdown;
} memb_waiter;

/* True when no target of the current Smap still runs a rebalance to
 * smap_v or earlier. Unanswered targets count as running (they may hold
 * the only copy of something) until they leave the Smap. */
static bool
memb_reb_done(ais_node *n, int64_t smap_v)
{
	ais_smap *m = ais_node_smap(n);
	if (m == NULL) {
		return false;
	}
	size_t nt = m->ntargets;
	const char **urls = calloc(nt + 1, sizeof(*urls));
	ais_err *res = calloc(nt + 1, sizeof(*res));
	act_reply_buf *rep = calloc(nt + 1, sizeof(*rep));
	bool done = urls && res && rep;
	for (size_t i = 0; done && i < nt; i++) {
		urls[i] = m->targets[i].ctrl.url;
	}
	Ais__RebStatusReq rq = AIS__REB_STATUS_REQ__INIT;
	rq.reb_id = "";
	uint8_t buf[64];
	size_t len = ais__reb_status_req__pack(&rq, buf);
	if (done && nt > 0) {
		act_call_many(n->rt, urls, nt, AIS_ACTOR_REBALANCE,
		    AIS_MSG_REB_STATUS_REQ, buf, len,
		    (int) ais_node_cplane_ms(n), res, rep);
	}
	for (size_t i = 0; urls && res && rep && i < nt; i++) {
		Ais__RebStatusResp *r = NULL;
		if (res[i] == AIS_OK && rep[i].status == AIS_OK) {
			r = ais__reb_status_resp__unpack(
			    NULL, rep[i].len, rep[i].data);
		}
		/* Every target starts a rebalance for this version (the
		 * owners changed); one still on an older job has not even
		 * begun moving the node's objects. */
		/* A job that ended with objects it could not move (its
		 * reruns used up) is not done either: better a node left in
		 * place than its objects' only copies removed with it. */
		if (r == NULL || r->running || r->smap_version < smap_v
		    || (r->err != NULL && r->err[0] != '\0' && !r->aborted)) {
			done = false;
		}
		if (r != NULL) {
			ais__reb_status_resp__free_unpacked(r, NULL);
		}
		act_reply_buf_fini(&rep[i]);
	}
	free(urls);
	free(res);
	free(rep);
	ais_smap_rele(m);
	return done;
}

static void *
memb_waiter_main(void *arg)
{
	memb_waiter *w = arg;
	ais_node *n = w->node;
	ais_cconfig *c = ais_node_ccfg(n);
	int64_t limit
	    = c ? ais_cconfig_dur_ms(c, "rebalance.dest_retry_time", 0) : 0;
	ais_cconfig_rele(c);
	/* dest_retry_time bounds one destination; the whole move may take
	 * longer with much data -- an hour caps a wedged wait. */
	int64_t deadline = ais_node_now_ms()
	    + (limit > MEMB_REB_WAIT_DEF_MS ? limit : MEMB_REB_WAIT_DEF_MS);
	const struct timespec ts = { MEMB_REB_POLL_MS / 1000,
		(MEMB_REB_POLL_MS % 1000) * 1000000L };
	bool done = false;
	/* Give every target a moment to install the Smap and start. */
	nanosleep(&ts, NULL);
	while (!atomic_load(&n->stopping) && ais_node_now_ms() < deadline) {
		if (memb_reb_done(n, w->smap_v)) {
			done = true;
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (done && !atomic_load(&n->stopping)) {
		AIS_LOGN("AIS-MEMB-REB-DONE",
		    "rebalance g%lld finished: %s %s", (long long) w->smap_v,
		    w->action, w->sid);
		Ais__NodeAdminReq rq = AIS__NODE_ADMIN_REQ__INIT;
		rq.action = w->action;
		rq.sid = w->sid;
		rq.rm_user_data = w->rm_user_data;
		rq.no_shutdown = w->no_shutdown;
		size_t len = ais__node_admin_req__get_packed_size(&rq);
		uint8_t *buf = malloc(len ? len : 1);
		if (buf != NULL) {
			ais__node_admin_req__pack(&rq, buf);
			act_reply_buf rep = { 0 };
			act_call(n->rt, NULL, AIS_ACTOR_MEMBERSHIP,
			    AIS_MSG_NODE_ADMIN_REQ, buf, len,
			    MEMB_JOIN_CALL_MS * 2, &rep);
			act_reply_buf_fini(&rep);
			free(buf);
		}
	} else if (!done) {
		AIS_LOGE("AIS-MEMB-REB-WAIT",
		    "%s %s: rebalance g%lld did not "
		    "finish in time; node left as is",
		    w->action, w->sid, (long long) w->smap_v);
	}
	free(w);
	return NULL;
}

static void
memb_wait_reb(ais_node *n, const char *then, const char *sid, int64_t v,
    bool rm_data, bool no_shutdown)
{
	memb_waiter *w = calloc(1, sizeof(*w));
	pthread_t th;
	pthread_attr_t at;
	if (w == NULL) {
		return;
	}
	w->node = n;
	snprintf(w->action, sizeof(w->action), "%s", then);
	snprintf(w->sid, sizeof(w->sid), "%s", sid);
	w->smap_v = v;
	w->rm_user_data = rm_data;
	w->no_shutdown = no_shutdown;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &at, memb_waiter_main, w) != 0) {
		free(w);
	}
	pthread_attr_destroy(&at);
}

/* Removes sid from the Smap; tells it to shut down unless no_shutdown. */
static ais_err
memb_remove(memb_state *st, ais_smap *cur, const char *sid, bool rm_data,
    bool rm_meta, bool no_shutdown, const char *why, char *reb, size_t rl)
{
	ais_node *n = st->node;
	const ais_snode *sn = ais_smap_get(cur, sid);
	ais_snode copy;
	ais_smap *nm = NULL;
	if (sn == NULL) {
		return AIS_ENOENT;
	}
	copy = *sn;
	if (!no_shutdown) {
		/* Before the Smap without it: a node that sees itself gone
		 * from the primary's Smap rejoins (keepalive), and a rejoined
		 * node is given objects again -- which it would then take
		 * down with it. Told first, it stops (and, decommissioned,
		 * forgets the cluster) while still a member. */
		ais_err e = memb_send_shutdown(
		    n, copy.ctrl.url, rm_data, rm_meta, why);
		if (e != AIS_OK) {
			AIS_LOGW("AIS-MEMB-REMOVE",
			    "telling %s to shut down: %s", sid,
			    ais_strerror(e));
		}
	}
	ais_err err = ais_smap_clone(cur, &nm);
	if (err == AIS_OK) {
		ais_smap_del(nm, sid);
		nm->version = cur->version + 1;
		char reason[96];
		snprintf(reason, sizeof(reason), "%s %s[%s]", why,
		    copy.role == AIS_ROLE_PROXY ? "p" : "t", sid);
		AIS_LOGN("AIS-MEMB-REMOVE", "%s: Smap v%lld", reason,
		    (long long) nm->version);
		err = memb_admin_commit(st, cur, nm, reason, reb, rl);
	}
	ais_smap_rele(nm);
	return err;
}

/* Sets (or clears) flags of sid in a new Smap version. */
static ais_err
memb_flag(memb_state *st, ais_smap *cur, const char *sid, uint64_t set,
    uint64_t clear, const char *why, char *reb, size_t rl, int64_t *v)
{
	const ais_snode *sn = ais_smap_get(cur, sid);
	ais_smap *nm = NULL;
	if (sn == NULL) {
		return AIS_ENOENT;
	}
	ais_snode upd = *sn;
	upd.flags = (upd.flags | set) & ~clear;
	if (upd.flags == sn->flags) {
		reb[0] = '\0';
		*v = cur->version;
		return AIS_OK; /* already so: idempotent, as AIS */
	}
	ais_err err = ais_smap_clone(cur, &nm);
	if (err == AIS_OK && (err = ais_smap_update(nm, &upd)) == AIS_OK) {
		nm->version = cur->version + 1;
		char reason[96];
		snprintf(reason, sizeof(reason), "%s %s[%s]", why,
		    upd.role == AIS_ROLE_PROXY ? "p" : "t", sid);
		AIS_LOGN("AIS-MEMB-FLAGS", "%s: flags %llu, Smap v%lld",
		    reason, (unsigned long long) upd.flags,
		    (long long) nm->version);
		err = memb_admin_commit(st, cur, nm, reason, reb, rl);
		*v = nm->version;
	}
	ais_smap_rele(nm);
	return err;
}

static ais_err
memb_set_primary(
    memb_state *st, ais_smap *cur, const char *sid, char *errbuf, size_t el)
{
	ais_node *n = st->node;
	const ais_snode *sn = ais_smap_get(cur, sid);
	if (sn == NULL) {
		snprintf(errbuf, el, "node %s not found in Smap v%lld", sid,
		    (long long) cur->version);
		return AIS_ENOENT;
	}
	if (sn->role != AIS_ROLE_PROXY) {
		snprintf(errbuf, el, "%s is a target, not a proxy", sid);
		return AIS_EINVAL;
	}
	if ((sn->flags
	        & (AIS_SNODE_NON_ELECTABLE | AIS_SNODE_MAINT
	            | AIS_SNODE_DECOMM))
	    != 0) {
		snprintf(errbuf, el,
		    "proxy %s is non-electable or in "
		    "maintenance",
		    sid);
		return AIS_EINVAL;
	}
	if (strcmp(sid, n->self.id) == 0) {
		return AIS_OK; /* already primary */
	}
	if (!memb_ping(n, sn->ctrl.url, (int) ais_node_cplane_ms(n))) {
		snprintf(errbuf, el, "proxy %s does not answer", sid);
		return AIS_EAGAIN;
	}
	ais_smap *nm = NULL;
	ais_err err = ais_smap_clone(cur, &nm);
	if (err == AIS_OK) {
		ais_snode upd = *sn;
		upd.flags |= AIS_SNODE_IC;
		ais_smap_update(nm, &upd);
		snprintf(nm->primary, sizeof(nm->primary), "%s", sid);
		nm->version = cur->version + 1;
		char reason[96];
		snprintf(reason, sizeof(reason), "set primary p[%s]", sid);
		AIS_LOGN("AIS-MEMB-SETPRIMARY", "%s: Smap v%lld", reason,
		    (long long) nm->version);
		err = memb_commit_smap(st, nm, reason);
	}
	ais_smap_rele(nm);
	return err;
}

static ais_err
memb_join_by_admin(memb_state *st, ais_smap *cur, const Ais__NodeAdminReq *rq,
    char *errbuf, size_t el, char *reb, size_t rl, char *did)
{
	ais_snode sn;
	json_t *j = json_loads(rq->snode_json, 0, NULL);
	ais_err err = j ? ais_snode_from_json(j, &sn) : AIS_EINVAL;
	json_decref(j);
	if (err != AIS_OK) {
		snprintf(errbuf, el, "invalid Snode JSON in the request body");
		return AIS_EINVAL;
	}
	snprintf(did, AIS_ID_MAX + 1, "%s", sn.id);
	const ais_snode *have = ais_smap_get(cur, sn.id);
	if (have != NULL) {
		if (ais_snode_same_addr(have, &sn)) {
			reb[0] = '\0';
			return AIS_OK;
		}
		snprintf(errbuf, el, "node ID %s is already used at %s", sn.id,
		    have->pub.url);
		return AIS_ECONFLICT;
	}
	const ais_snode *other = ais_smap_find_addr(cur, &sn, NULL);
	if (other != NULL) {
		snprintf(errbuf, el, "address %s is already used by node %s",
		    sn.pub.url, other->id);
		return AIS_ECONFLICT;
	}
	if (!memb_ping(
	        st->node, sn.ctrl.url, (int) ais_node_cplane_ms(st->node))) {
		snprintf(errbuf, el, "node %s at %s does not answer", sn.id,
		    sn.ctrl.url);
		return AIS_EAGAIN;
	}
	sn.flags = rq->flags & ~(uint64_t) AIS_SNODE_IC;
	ais_smap *nm = NULL;
	if ((err = ais_smap_clone(cur, &nm)) == AIS_OK
	    && (err = ais_smap_add(nm, &sn)) == AIS_OK) {
		nm->version = cur->version + 1;
		char reason[96];
		snprintf(reason, sizeof(reason), "join-by-admin %s[%s]",
		    sn.role == AIS_ROLE_PROXY ? "p" : "t", sn.id);
		err = memb_admin_commit(st, cur, nm, reason, reb, rl);
	}
	ais_smap_rele(nm);
	return err;
}

static ais_err
memb_shutdown_cluster(memb_state *st, ais_smap *cur)
{
	ais_node *n = st->node;
	size_t total = ais_smap_count(cur);
	for (size_t i = 0; i < total; i++) {
		const ais_snode *sn = i < cur->nproxies
		    ? &cur->proxies[i]
		    : &cur->targets[i - cur->nproxies];
		if (strcmp(sn->id, n->self.id) != 0) {
			memb_send_shutdown(
			    n, sn->ctrl.url, false, false, "cluster shutdown");
		}
	}
	AIS_LOGN("AIS-MEMB-SHUTDOWN", "cluster shutdown requested");
	ais_node_shutdown(n, 0);
	return AIS_OK;
}

ais_err
memb_on_admin(void *state, act_ctx *ctx, const act_msg *msg)
{
	memb_state *st = state;
	ais_node *n = st->node;
	char errbuf[256] = "", reb[32] = "", did[AIS_ID_MAX + 1] = "";
	ais_err err = AIS_OK;
	int64_t v = 0;
	Ais__NodeAdminReq *rq
	    = ais__node_admin_req__unpack(NULL, msg->len, msg->data);
	if (rq == NULL) {
		return memb_admin_reply(
		    ctx, AIS_EINVAL, "malformed request", NULL, NULL);
	}
	ais_smap *cur = ais_node_smap(n);
	if (cur == NULL || strcmp(cur->primary, n->self.id) != 0) {
		err = AIS_EPERM;
		snprintf(errbuf, sizeof(errbuf), "%s is not the primary",
		    n->self.id);
		goto out;
	}
	const char *a = rq->action;
	const ais_snode *sn = rq->sid[0] ? ais_smap_get(cur, rq->sid) : NULL;
	bool needs_node
	    = strcmp(a, "shutdown") != 0 && strcmp(a, "join-by-admin") != 0;
	if (needs_node && sn == NULL) {
		err = AIS_ENOENT;
		snprintf(errbuf, sizeof(errbuf),
		    "node %s does not exist in "
		    "Smap v%lld",
		    rq->sid, (long long) cur->version);
		goto out;
	}
	bool is_self = sn != NULL && strcmp(sn->id, n->self.id) == 0;
	bool tgt = sn != NULL && sn->role == AIS_ROLE_TARGET;
	if (is_self
	    && (strcmp(a, "start-maintenance") == 0
	        || strcmp(a, "decommission-node") == 0
	        || strcmp(a, "shutdown-node") == 0
	        || strcmp(a, "rm-unsafe") == 0)) {
		err = AIS_EINVAL;
		snprintf(errbuf, sizeof(errbuf),
		    "%s: %s is the primary; set "
		    "another primary first",
		    a, n->self.id);
		goto out;
	}
	if (strcmp(a, "start-maintenance") == 0) {
		err = memb_flag(st, cur, rq->sid, AIS_SNODE_MAINT, 0,
		    "start-maintenance", reb, sizeof(reb), &v);
	} else if (strcmp(a, "stop-maintenance") == 0) {
		err = memb_flag(st, cur, rq->sid, 0,
		    AIS_SNODE_MAINT | AIS_SNODE_DECOMM
		        | AIS_SNODE_MAINT_POST_REB,
		    "stop-maintenance", reb, sizeof(reb), &v);
	} else if (strcmp(a, "decommission-node") == 0) {
		if (!tgt || rq->skip_rebalance) {
			err = memb_remove(st, cur, rq->sid, rq->rm_user_data,
			    true, rq->no_shutdown, "decommission", reb,
			    sizeof(reb));
		} else {
			err = memb_flag(st, cur, rq->sid, AIS_SNODE_DECOMM, 0,
			    "decommission", reb, sizeof(reb), &v);
			if (err == AIS_OK) {
				memb_wait_reb(n, "rm-node", rq->sid, v,
				    rq->rm_user_data, rq->no_shutdown);
			}
		}
	} else if (strcmp(a, "shutdown-node") == 0) {
		err = memb_flag(st, cur, rq->sid, AIS_SNODE_MAINT, 0,
		    "shutdown-node", reb, sizeof(reb), &v);
		if (err == AIS_OK && tgt && !rq->skip_rebalance && reb[0]) {
			memb_wait_reb(
			    n, "shutdown-after", rq->sid, v, false, false);
		} else if (err == AIS_OK) {
			err = memb_send_shutdown(
			    n, sn->ctrl.url, false, false, "shutdown-node");
		}
	} else if (strcmp(a, "rm-unsafe") == 0) {
		err = memb_remove(st, cur, rq->sid, false, false, true,
		    "rm-unsafe", reb, sizeof(reb));
	} else if (strcmp(a, "rm-node") == 0) {
		/* internal: decommission after its rebalance */
		err = memb_remove(st, cur, rq->sid, rq->rm_user_data, true,
		    rq->no_shutdown, "decommission", NULL, 0);
	} else if (strcmp(a, "shutdown-after") == 0) {
		/* internal: shutdown-node after its rebalance */
		err = memb_send_shutdown(
		    n, sn->ctrl.url, false, false, "shutdown-node");
	} else if (strcmp(a, "set-primary") == 0) {
		err = memb_set_primary(
		    st, cur, rq->sid, errbuf, sizeof(errbuf));
	} else if (strcmp(a, "join-by-admin") == 0) {
		err = memb_join_by_admin(st, cur, rq, errbuf, sizeof(errbuf),
		    reb, sizeof(reb), did);
	} else if (strcmp(a, "shutdown") == 0) {
		err = memb_shutdown_cluster(st, cur);
	} else {
		err = AIS_EINVAL;
		snprintf(errbuf, sizeof(errbuf), "invalid action \"%s\"", a);
	}
	if (err != AIS_OK && errbuf[0] == '\0') {
		snprintf(errbuf, sizeof(errbuf), "%s %s: %s", a, rq->sid,
		    err == AIS_ENOQUORUM
		        ? "the primary cannot reach a majority of the proxies"
		        : ais_strerror(err));
	}
out:
	ais_smap_rele(cur);
	ais__node_admin_req__free_unpacked(rq, NULL);
	return memb_admin_reply(ctx, err, err ? errbuf : NULL, reb, did);
}

void
memb_node_silent(memb_state *st, const char *id)
{
	ais_node *n = st->node;
	ais_smap *cur = ais_node_smap(n);
	const ais_snode *sn = cur ? ais_smap_get(cur, id) : NULL;
	if (sn == NULL || strcmp(cur->primary, n->self.id) != 0
	    || (sn->flags & AIS_SNODE_MAINT) != 0) {
		ais_smap_rele(cur);
		return;
	}
	/* One direct ping before calling it gone: its keepalives may just
	 * have been late. */
	if (memb_ping(n, sn->ctrl.url, (int) ais_node_cplane_ms(n))) {
		AIS_LOGI("AIS-MEMB-SILENT-OK", "%s answers a ping", id);
		ais_smap_rele(cur);
		return;
	}
	AIS_LOGW("AIS-MEMB-NODE-DOWN", "%s %s does not answer: removing it",
	    sn->role == AIS_ROLE_PROXY ? "proxy" : "target", id);
	char reb[32];
	ais_err err = memb_remove(
	    st, cur, id, false, false, true, "node down", reb, sizeof(reb));
	if (err != AIS_OK) {
		AIS_LOGW("AIS-MEMB-NODE-DOWN", "removing %s: %s", id,
		    ais_strerror(err));
	}
	ais_smap_rele(cur);
}

/* Node side ----------------------------------------------------------------
 */

static int
memb_rm_entry(
    const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void) sb;
	(void) ftw;
	if (type == FTW_DP) {
		rmdir(path);
	} else {
		unlink(path);
	}
	return 0;
}

/* Decommission with rm_user_data: every bucket directory on every
 * mountpath goes. */
static void
memb_rm_user_data(ais_node *n)
{
	const ais_mpset *s = ais_node_mpset(n);
	for (size_t i = 0; i < s->n + s->ndisabled; i++) {
		const char *mp
		    = i < s->n ? s->avail[i].path : s->disabled[i - s->n].path;
		DIR *d = opendir(mp);
		struct dirent *e;
		if (d == NULL) {
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] != '@') {
				continue;
			}
			char path[PATH_MAX + 256];
			snprintf(path, sizeof(path), "%s/%s", mp, e->d_name);
			nftw(path, memb_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		}
		closedir(d);
	}
}

ais_err
memb_on_shutdown(void *state, act_ctx *ctx, const act_msg *msg)
{
	memb_state *st = state;
	ais_node *n = st->node;
	Ais__NodeShutdown *ns
	    = ais__node_shutdown__unpack(NULL, msg->len, msg->data);
	if (ns == NULL) {
		return AIS_EPROTO;
	}
	AIS_LOGN("AIS-MEMB-SHUTDOWN", "asked to shut down (%s)%s%s",
	    ns->reason, ns->rm_metadata ? ", forgetting the cluster" : "",
	    ns->rm_user_data ? ", removing user data" : "");
	ais_err err = act_reply(ctx, AIS_MSG_ACK, AIS_OK, NULL, NULL, 0);
	if (ns->rm_user_data && n->role == AIS_ROLE_TARGET) {
		memb_rm_user_data(n);
	}
	if (ns->rm_metadata) {
		/* Decommissioned: a restart must not rejoin as a member. */
		atomic_store(&n->forget_meta, true);
	}
	ais__node_shutdown__free_unpacked(ns, NULL);
	ais_node_shutdown(n, 0);
	return err;
}
