/*
 * membership: who is in the cluster.
 *
 * Primary: creates the cluster on first start (cluster UUID, Smap v1 with
 * itself, BMD and cluster config v1), or resumes the persisted one. Handles
 * AIS_MSG_JOIN_REQ: a new node is added, the Smap version bumped and the new
 * map handed to metasync, which persists it, publishes it and pushes it to
 * every node; the joiner gets the Smap, BMD and config in the reply. A node
 * that rejoins with its ID and the same address changes nothing. A join with
 * an ID that the Smap already has at another address, or with an address
 * that another ID already holds, is refused (AIS_ECONFLICT) -- silently
 * replacing it could hand one node's data placement to another.
 *
 * Other nodes: join the primary at startup, retrying once a second until the
 * primary answers (bounded by timeout.join_startup_time). The primary is
 * found from the persisted Smap, else from -primary_url: a tcp:// URL is its
 * NNG address; an http(s):// URL is asked for its Snode (GET
 * /v1/daemon?what=snode) to learn it. A refusal ends the process (exit 1).
 *
 * Every node answers AIS_MSG_HEALTH_REQ (prr): "is the primary ready".
 *
 * High availability: keepalive.c reports a lost primary, a silent node or
 * a lost quorum as AIS_MSG_MEMB_EVENT; elections and stepping down are in
 * memb_election.c, node admin (maintenance, decommission, shutdown, set
 * primary, join-by-admin, removal of dead nodes) in memb_admin.c.
 */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actors/node/memb_int.h"
#include "actors/node/node_actors.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/nodeid.h"
#include "proto/msg.h"

static int64_t
memb_now_ms(void)
{
	return ais_node_now_ms();
}

ais_err
memb_commit_smap(memb_state *st, const ais_smap *m, const char *reason)
{
	return ais_node_meta_commit(st->node, m, NULL, NULL, reason,
	    MEMB_JOIN_CALL_MS);
}

static void
memb_utc_now(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + k, n - k, ".%09ldZ", ts.tv_nsec);
}

/* Primary, first start: a new cluster with this proxy as its only node. */
static ais_err
memb_create_cluster(memb_state *st)
{
	ais_node *n = st->node;
	ais_smap *m = NULL;
	ais_bmd *b = NULL;
	ais_cconfig *c = ais_node_ccfg(n), *nc = NULL;
	char uuid[40];
	ais_err err;

	/* AIS cluster UUIDs are short random IDs in the same alphabet. */
	ais_nodeid_random(uuid, 12);
	if ((err = ais_smap_alloc(&m)) != AIS_OK ||
	    (err = ais_bmd_alloc(&b)) != AIS_OK ||
	    (err = ais_cconfig_clone(c, &nc)) != AIS_OK) {
		goto out;
	}
	ais_snode self = n->self;
	self.flags |= AIS_SNODE_IC; /* the primary tracks jobs (IC member) */
	if ((err = ais_smap_add(m, &self)) != AIS_OK) {
		goto out;
	}
	m->version = 1;
	snprintf(m->uuid, sizeof(m->uuid), "%s", uuid);
	snprintf(m->primary, sizeof(m->primary), "%s", self.id);
	memb_utc_now(m->creation_time, sizeof(m->creation_time));
	b->version = 1;
	/* The BMD belongs to this cluster: same UUID, so a BMD from another
	 * cluster is refused like a foreign Smap. */
	snprintf(b->uuid, sizeof(b->uuid), "%s", uuid);
	ais_cconfig_set_version(nc, c->version > 0 ? c->version + 1 : 1, uuid);
	AIS_LOGN("AIS-MEMB-CREATE", "creating cluster %s, primary %s", uuid,
	    self.id);
	err = ais_node_meta_commit(st->node, m, b, nc, "create cluster",
	    MEMB_JOIN_CALL_MS);
out:
	ais_smap_rele(m);
	ais_bmd_rele(b);
	ais_cconfig_rele(nc);
	ais_cconfig_rele(c);
	return err;
}

/* Primary, restart: resume the persisted cluster; if our own address
 * changed, publish a Smap that says so. */
static ais_err
memb_resume_cluster(memb_state *st, ais_smap *cur)
{
	ais_node *n = st->node;
	const ais_snode *me = ais_smap_get(cur, n->self.id);
	if (me != NULL && ais_snode_same_addr(me, &n->self)) {
		return AIS_OK;
	}
	ais_smap *m = NULL;
	ais_err err = ais_smap_clone(cur, &m);
	if (err != AIS_OK) {
		return err;
	}
	ais_snode self = n->self;
	self.flags = me ? me->flags : AIS_SNODE_IC;
	err = me ? ais_smap_update(m, &self) : ais_smap_add(m, &self);
	if (err == AIS_OK) {
		m->version++;
		err = ais_node_meta_commit(st->node, m, NULL, NULL,
		    "primary address change", MEMB_JOIN_CALL_MS);
	}
	ais_smap_rele(m);
	return err;
}

typedef struct memb_buf {
	char *data;
	size_t len;
	size_t cap;
} memb_buf;

static size_t
memb_curl_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	memb_buf *b = arg;
	size_t n = size * nmemb;
	if (b->len + n + 1 > b->cap) {
		if (b->len + n + 1 > 1 << 20) {
			return 0; /* a Snode is tiny: refuse runaway bodies */
		}
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->data, cap);
		if (p == NULL) {
			return 0;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* Learns the primary's NNG control URL from its public HTTP URL. */
static ais_err
memb_resolve_http(const char *base, char *url, size_t n)
{
	char req[AIS_URL_MAX + 64];
	memb_buf body = { 0 };
	long code = 0;
	ais_err err = AIS_EIO;

	snprintf(req, sizeof(req), "%s/v1/daemon?what=snode", base);
	CURL *h = curl_easy_init();
	if (h == NULL) {
		return AIS_ENOMEM;
	}
	curl_easy_setopt(h, CURLOPT_URL, req);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, memb_curl_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(h) == CURLE_OK &&
	    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
	    code == 200 && body.data != NULL) {
		json_t *j = json_loads(body.data, 0, NULL);
		ais_snode sn;
		if (j != NULL && ais_snode_from_json(j, &sn) == AIS_OK) {
			snprintf(url, n, "%s", sn.ctrl.url);
			err = AIS_OK;
		}
		json_decref(j);
	}
	curl_easy_cleanup(h);
	free(body.data);
	return err;
}

static ais_err
memb_primary_ctrl_url(memb_state *st, char *url, size_t n)
{
	ais_node *n_ = st->node;
	ais_smap *m = ais_node_smap(n_);
	const ais_snode *p = m ? ais_smap_primary(m) : NULL;
	ais_err err = AIS_ENOENT;
	/* Every other attempt goes to the primary of the Smap we hold; the
	 * rest cycle through its other proxies (a non-primary refuses with
	 * EPERM, the elected one accepts) and the configured URL, so a
	 * cluster whose primary moved is still found. */
	if (p != NULL && strcmp(p->id, n_->self.id) != 0 &&
	    st->attempts % 2 == 0) {
		snprintf(url, n, "%s", p->ctrl.url);
		err = AIS_OK;
	} else if (m != NULL && m->nproxies > 0) {
		size_t k = (size_t) (st->attempts / 2) % (m->nproxies + 1);
		if (k < m->nproxies &&
		    strcmp(m->proxies[k].id, n_->self.id) != 0) {
			snprintf(url, n, "%s", m->proxies[k].ctrl.url);
			err = AIS_OK;
		}
	}
	ais_smap_rele(m);
	if (err == AIS_OK) {
		return err;
	}
	if (strncmp(n_->primary_url, "tcp://", 6) == 0) {
		snprintf(url, n, "%s", n_->primary_url);
		return AIS_OK;
	}
	if (strncmp(n_->primary_url, "http://", 7) == 0 ||
	    strncmp(n_->primary_url, "https://", 8) == 0) {
		return memb_resolve_http(n_->primary_url, url, n);
	}
	return AIS_ENOENT;
}

/* One join attempt. Returns AIS_OK when joined, AIS_EAGAIN to retry, or a
 * refusal. */
static ais_err
memb_join_once(memb_state *st)
{
	ais_node *n = st->node;
	char url[AIS_URL_MAX + 1];
	ais_err err = memb_primary_ctrl_url(st, url, sizeof(url));
	st->attempts++;
	if (err != AIS_OK) {
		return AIS_EAGAIN;
	}
	json_t *js = ais_snode_to_json(&n->self);
	char *snode = js ? json_dumps(js, JSON_COMPACT) : NULL;
	json_decref(js);
	if (snode == NULL) {
		return AIS_EAGAIN;
	}
	Ais__JoinReq jr = AIS__JOIN_REQ__INIT;
	jr.snode_json = snode;
	size_t len = ais__join_req__get_packed_size(&jr);
	uint8_t *buf = malloc(len);
	act_reply_buf rep = { 0 };
	if (buf == NULL) {
		free(snode);
		return AIS_EAGAIN;
	}
	ais__join_req__pack(&jr, buf);
	free(snode);
	err = act_call(n->rt, url, AIS_ACTOR_MEMBERSHIP, AIS_MSG_JOIN_REQ, buf,
	    len, MEMB_JOIN_CALL_MS, &rep);
	free(buf);
	if (err != AIS_OK) {
		AIS_LOGI("AIS-MEMB-JOIN-RETRY", "primary at %s: %s", url,
		    ais_strerror(err));
		return AIS_EAGAIN;
	}
	if (rep.status == AIS_EPERM || rep.status == AIS_ENOQUORUM ||
	    rep.status == AIS_EAGAIN || rep.status == AIS_ETIMEDOUT) {
		/* Asked a proxy that is not (or no longer) primary. */
		AIS_LOGW("AIS-MEMB-JOIN-RETRY", "%s: %s", url,
		    rep.errmsg ? rep.errmsg : "not primary");
		act_reply_buf_fini(&rep);
		return AIS_EAGAIN;
	}
	if (rep.status != AIS_OK) {
		AIS_LOGE("AIS-MEMB-JOIN-REFUSED", "join refused by %s: %s", url,
		    rep.errmsg ? rep.errmsg : ais_strerror(rep.status));
		fprintf(stderr, "aisnode: join refused by the primary: %s\n",
		    rep.errmsg ? rep.errmsg : ais_strerror(rep.status));
		err = rep.status;
		act_reply_buf_fini(&rep);
		return err;
	}
	Ais__JoinResp *resp = ais__join_resp__unpack(NULL, rep.len, rep.data);
	act_reply_buf_fini(&rep);
	if (resp == NULL) {
		return AIS_EAGAIN;
	}
	/* Install what the primary sent, as any metasync push. */
	Ais__MetaPush mp = AIS__META_PUSH__INIT;
	mp.smap_json = resp->smap_json;
	mp.bmd_json = resp->bmd_json;
	mp.config_json = resp->config_json;
	mp.reason = "join";
	len = ais__meta_push__get_packed_size(&mp);
	buf = malloc(len);
	err = AIS_ENOMEM;
	if (buf != NULL) {
		ais__meta_push__pack(&mp, buf);
		err = act_call(n->rt, NULL, AIS_ACTOR_METASYNC,
		    AIS_MSG_META_PUSH, buf, len, MEMB_JOIN_CALL_MS, &rep);
		if (err == AIS_OK) {
			err = rep.status;
		}
		act_reply_buf_fini(&rep);
		free(buf);
	}
	ais__join_resp__free_unpacked(resp, NULL);
	if (err != AIS_OK) {
		AIS_LOGW("AIS-MEMB-JOIN-RETRY", "installing join reply: %s",
		    ais_strerror(err));
		return AIS_EAGAIN;
	}
	return AIS_OK;
}

static ais_err
memb_on_timer(void *state, act_ctx *ctx, const act_msg *msg)
{
	memb_state *st = state;
	(void) ctx;
	(void) msg;
	if (st->join_deadline_ms == 0 || atomic_load(&st->node->stopping)) {
		return AIS_OK;
	}
	ais_err err = memb_join_once(st);
	if (err == AIS_OK) {
		st->join_deadline_ms = 0;
		atomic_store(&st->node->joined, true);
		AIS_LOGN("AIS-MEMB-JOINED", "joined the cluster as %s",
		    st->node->self.id);
		return AIS_OK;
	}
	if (err != AIS_EAGAIN) {
		st->join_deadline_ms = 0;
		ais_node_shutdown(st->node, 1);
		return AIS_OK;
	}
	if (memb_now_ms() > st->join_deadline_ms) {
		AIS_LOGE("AIS-MEMB-JOIN-TIMEOUT",
		    "could not reach the primary after %d attempts",
		    st->attempts);
		fprintf(stderr,
		    "aisnode: could not join: primary %s unreachable\n",
		    st->node->primary_url[0] ? st->node->primary_url
					     : "(from persisted Smap)");
		st->join_deadline_ms = 0;
		ais_node_shutdown(st->node, 1);
		return AIS_OK;
	}
	return act_timer_start(st->self, MEMB_JOIN_COOKIE, MEMB_JOIN_RETRY_MS,
	    false, NULL);
}

void
memb_start_join(memb_state *st, const char *why)
{
	if (st->join_deadline_ms != 0) {
		return; /* one in progress */
	}
	ais_cconfig *c = ais_node_ccfg(st->node);
	int64_t limit = ais_cconfig_dur_ms(c, "timeout.join_startup_time",
	    180000);
	ais_cconfig_rele(c);
	AIS_LOGN("AIS-MEMB-REJOIN", "%s: joining again", why);
	st->attempts = 0;
	st->join_deadline_ms = memb_now_ms() + limit;
	act_timer_start(st->self, MEMB_JOIN_COOKIE, 0, false, NULL);
}

static ais_err
memb_on_event(void *state, act_ctx *ctx, const act_msg *msg)
{
	memb_state *st = state;
	(void) ctx;
	Ais__MembEvent *ev = ais__memb_event__unpack(NULL, msg->len, msg->data);
	if (ev == NULL) {
		return AIS_EPROTO;
	}
	if (!atomic_load(&st->node->stopping)) {
		switch (ev->kind) {
		case AIS__MEMB_EVENT__KIND__PRIMARY_LOST:
			memb_primary_lost(st);
			break;
		case AIS__MEMB_EVENT__KIND__NOT_IN_SMAP:
			memb_start_join(st, "not in the primary's Smap");
			break;
		case AIS__MEMB_EVENT__KIND__NODE_SILENT:
			memb_node_silent(st, ev->id);
			break;
		case AIS__MEMB_EVENT__KIND__NO_QUORUM:
			memb_no_quorum(st);
			break;
		default:
			break;
		}
	}
	ais__memb_event__free_unpacked(ev, NULL);
	return AIS_OK;
}

static ais_err
memb_refuse(act_ctx *ctx, ais_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ais_err
memb_refuse(act_ctx *ctx, ais_err err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	AIS_LOGW("AIS-MEMB-JOIN-REFUSE", "%s", msg);
	return act_reply(ctx, AIS_MSG_JOIN_RESP, err, msg, NULL, 0);
}

static ais_err
memb_reply_join(act_ctx *ctx, ais_node *n)
{
	ais_smap *m = ais_node_smap(n);
	ais_bmd *b = ais_node_bmd(n);
	ais_cconfig *c = ais_node_ccfg(n);
	Ais__JoinResp jr = AIS__JOIN_RESP__INIT;
	char *ms = m ? ais_smap_dumps(m) : NULL;
	char *bs = b ? ais_bmd_dumps(b) : NULL;
	char *cs = c ? ais_cconfig_dumps(c) : NULL;
	ais_err err = AIS_ENOMEM;
	jr.smap_json = ms ? ms : "";
	jr.bmd_json = bs ? bs : "";
	jr.config_json = cs ? cs : "";
	size_t len = ais__join_resp__get_packed_size(&jr);
	uint8_t *buf = malloc(len);
	if (buf != NULL && ms != NULL) {
		ais__join_resp__pack(&jr, buf);
		err = act_reply(ctx, AIS_MSG_JOIN_RESP, AIS_OK, NULL, buf, len);
	}
	free(buf);
	free(ms);
	free(bs);
	free(cs);
	ais_smap_rele(m);
	ais_bmd_rele(b);
	ais_cconfig_rele(c);
	return err;
}

static ais_err
memb_on_join(void *state, act_ctx *ctx, const act_msg *msg)
{
	memb_state *st = state;
	ais_node *n = st->node;
	ais_smap *cur = NULL, *nm = NULL;
	ais_snode sn;
	ais_err err;

	if (!ais_node_is_primary(n)) {
		return memb_refuse(ctx, AIS_EPERM, "%s is not the primary",
		    n->self.id);
	}
	Ais__JoinReq *jr = ais__join_req__unpack(NULL, msg->len, msg->data);
	json_t *j = jr ? json_loads(jr->snode_json, 0, NULL) : NULL;
	err = j ? ais_snode_from_json(j, &sn) : AIS_EINVAL;
	json_decref(j);
	if (jr != NULL) {
		ais__join_req__free_unpacked(jr, NULL);
	}
	if (err != AIS_OK) {
		return memb_refuse(ctx, AIS_EINVAL, "malformed join request");
	}
	cur = ais_node_smap(n);
	const ais_snode *have = ais_smap_get(cur, sn.id);
	if (have != NULL) {
		if (have->role == sn.role && ais_snode_same_addr(have, &sn)) {
			AIS_LOGI("AIS-MEMB-REJOIN", "%s rejoined (%s)", sn.id,
			    sn.pub.url);
			ais_smap_rele(cur);
			return memb_reply_join(ctx, n);
		}
		err = memb_refuse(ctx, AIS_ECONFLICT,
		    "node ID %s is already used by %s %s (%s); refusing join "
		    "from %s",
		    sn.id, have->role == AIS_ROLE_PROXY ? "proxy" : "target",
		    have->id, have->pub.url, sn.pub.url);
		ais_smap_rele(cur);
		return err;
	}
	const ais_snode *other = ais_smap_find_addr(cur, &sn, NULL);
	if (other != NULL) {
		err = memb_refuse(ctx, AIS_ECONFLICT,
		    "address %s is already used by node %s; refusing join of %s",
		    sn.pub.url, other->id, sn.id);
		ais_smap_rele(cur);
		return err;
	}
	sn.flags &= ~(uint64_t) AIS_SNODE_IC;
	if ((err = ais_smap_clone(cur, &nm)) == AIS_OK &&
	    (err = ais_smap_add(nm, &sn)) == AIS_OK) {
		nm->version = cur->version + 1;
		char reason[96];
		snprintf(reason, sizeof(reason), "join %s[%s]",
		    sn.role == AIS_ROLE_PROXY ? "p" : "t", sn.id);
		AIS_LOGN("AIS-MEMB-JOIN", "%s at %s: Smap v%lld", reason,
		    sn.pub.url, (long long) nm->version);
		err = ais_node_meta_commit(st->node, nm, NULL, NULL, reason,
		    MEMB_JOIN_CALL_MS);
	}
	ais_smap_rele(nm);
	ais_smap_rele(cur);
	if (err != AIS_OK) {
		return act_reply(ctx, AIS_MSG_JOIN_RESP, err,
		    "primary failed to commit the join", NULL, 0);
	}
	return memb_reply_join(ctx, n);
}

static ais_err
memb_on_health(void *state, act_ctx *ctx, const act_msg *msg)
{
	memb_state *st = state;
	(void) msg;
	Ais__HealthResp hr = AIS__HEALTH_RESP__INIT;
	bool primary = ais_node_is_primary(st->node);
	hr.ready = primary && atomic_load(&st->node->cluster_ready);
	hr.reason = primary ? (hr.ready ? "" : "primary is starting up")
			    : "not the primary";
	uint8_t buf[128];
	size_t len = ais__health_resp__pack(&hr, buf);
	return act_reply(ctx, AIS_MSG_HEALTH_RESP, AIS_OK, NULL, buf, len);
}

static ais_err
memb_init(void *state, act_actor *self, void *arg)
{
	memb_state *st = state;
	ais_node *n = arg;
	st->node = n;
	st->self = self;

	ais_smap *cur = ais_node_smap(n);
	bool primary;
	if (cur != NULL && cur->primary[0] != '\0') {
		primary = strcmp(cur->primary, n->self.id) == 0;
	} else {
		primary = n->role == AIS_ROLE_PROXY && n->primary_url[0] == '\0';
	}
	if (primary && cur != NULL) {
		/* A restarted primary may have been replaced while it was
		 * down: ask the other proxies first. */
		ais_smap_rele(cur);
		primary = memb_discover(st);
		cur = ais_node_smap(n);
	}
	if (primary) {
		ais_err err = cur ? memb_resume_cluster(st, cur)
				  : memb_create_cluster(st);
		ais_smap_rele(cur);
		if (err != AIS_OK) {
			AIS_LOGE("AIS-MEMB-INIT", "cannot start the cluster: %s",
			    ais_strerror(err));
			return err;
		}
		atomic_store(&n->joined, true);
		atomic_store(&n->cluster_ready, true);
		return AIS_OK;
	}
	ais_smap_rele(cur);
	ais_cconfig *c = ais_node_ccfg(n);
	int64_t limit = ais_cconfig_dur_ms(c, "timeout.join_startup_time",
	    180000);
	ais_cconfig_rele(c);
	st->join_deadline_ms = memb_now_ms() + limit;
	return act_timer_start(self, MEMB_JOIN_COOKIE, 0, false, NULL);
}

static ais_err
memb_reset(void *state, act_actor *self, void *arg)
{
	memb_state *st = state;
	ais_node *n = arg;
	memset(st, 0, sizeof(*st));
	st->node = n;
	st->self = self;
	if (!atomic_load(&n->joined)) {
		return memb_init(state, self, arg);
	}
	return AIS_OK;
}

static const act_handler memb_handlers[AIS_MSG__COUNT] = {
	[AIS_MSG_JOIN_REQ] = memb_on_join,
	[AIS_MSG_HEALTH_REQ] = memb_on_health,
	[AIS_MSG_TIMER] = memb_on_timer,
	[AIS_MSG_MEMB_EVENT] = memb_on_event,
	[AIS_MSG_VOTE_REQ] = memb_on_vote,
	[AIS_MSG_NODE_ADMIN_REQ] = memb_on_admin,
	[AIS_MSG_NODE_SHUTDOWN] = memb_on_shutdown,
};

const act_ops ais_membership_ops = {
	.name = AIS_ACTOR_MEMBERSHIP,
	.state_size = sizeof(memb_state),
	.init = memb_init,
	.reset = memb_reset,
	.handlers = memb_handlers,
	.nhandlers = AIS_MSG__COUNT,
};
