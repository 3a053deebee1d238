/*
 * metasync: the one place where a node changes its cluster metadata.
 *
 * Every node: AIS_MSG_META_PUSH carries any of Smap, BMD and cluster config
 * as their AIS JSON. Each one is checked against what the node has
 * (core/metaver.h): a newer version is persisted first and then published as
 * the new snapshot (so a crash never leaves a published-but-unsaved
 * version); an equal one is a no-op; an older one is ignored and logged,
 * never applied; one from another cluster is refused.
 *
 * Primary: AIS_MSG_META_SYNC (local, from membership or buckets) installs
 * the new versions the same way, pushes the current Smap, BMD and config to
 * every other node, in parallel, in version order (the actor handles one
 * message at a time), and only then replies. Nodes that did not acknowledge are retried on a timer
 * until they have the current versions or leave the Smap.
 */
#include <stdlib.h>
#include <string.h>

#include "actors/node/node.h"
#include "core/log.h"
#include "core/metafile.h"
#include "core/metaver.h"
#include "proto/msg.h"

#define MSYNC_MAX_PEERS 256
#define MSYNC_RETRY_COOKIE 1

typedef struct msync_peer {
	char id[AIS_ID_MAX + 1];
	int64_t smap_v; /* versions the peer acknowledged */
	int64_t bmd_v;
	int64_t cfg_v;
} msync_peer;

typedef struct msync_state {
	ais_node *node;
	act_actor *self;
	bool retry_armed;
	size_t npeers;
	msync_peer peers[MSYNC_MAX_PEERS];
} msync_state;

typedef struct msync_versions {
	int64_t smap, bmd, cfg;
} msync_versions;

static void
msync_current(ais_node *n, msync_versions *v)
{
	ais_smap *m = ais_node_smap(n);
	ais_bmd *b = ais_node_bmd(n);
	ais_cconfig *c = ais_node_ccfg(n);
	v->smap = m ? m->version : 0;
	v->bmd = b ? b->version : 0;
	v->cfg = c ? c->version : 0;
	ais_smap_rele(m);
	ais_bmd_rele(b);
	ais_cconfig_rele(c);
}

static ais_err
msync_save(ais_node *n, const char *what, char *text)
{
	char path[PATH_MAX + 16];
	if (text == NULL) {
		return AIS_ENOMEM;
	}
	ais_node_meta_path(n, what, path, sizeof(path));
	ais_err err = ais_metafile_save(path, text, strlen(text));
	free(text);
	if (err != AIS_OK) {
		AIS_LOGE("AIS-META-SAVE", "cannot persist %s: %s", path,
		    ais_strerror(err));
	}
	return err;
}

/* Logs the verdict; returns true if the new version must be applied. */
static bool
msync_judge(const char *what, int64_t cur_v, const char *cur_uuid,
    int64_t new_v, const char *new_uuid, const char *from, ais_err *errp)
{
	ais_metaver_verdict v =
	    ais_metaver_check(cur_v, cur_uuid, new_v, new_uuid);
	switch (v) {
	case AIS_METAVER_APPLY:
		return true;
	case AIS_METAVER_SAME:
		return false;
	case AIS_METAVER_OLDER:
		AIS_LOGW("AIS-META-STALE",
		    "ignored %s v%lld from %s: have newer v%lld", what,
		    (long long) new_v, from, (long long) cur_v);
		return false;
	case AIS_METAVER_FOREIGN:
	default:
		AIS_LOGE("AIS-META-FOREIGN",
		    "refused %s v%lld from %s: cluster uuid %s, ours %s", what,
		    (long long) new_v, from, new_uuid, cur_uuid);
		*errp = AIS_ECONFLICT;
		return false;
	}
}

static ais_err
msync_install_smap(ais_node *n, const char *json, const char *from)
{
	ais_smap *nm = NULL;
	ais_err err = ais_smap_loads(json, strlen(json), &nm);
	if (err != AIS_OK) {
		AIS_LOGE("AIS-META-BAD", "malformed Smap from %s", from);
		return AIS_EPROTO;
	}
	ais_smap *cur = ais_node_smap(n);
	ais_err verdict = AIS_OK;
	bool apply = msync_judge("Smap", cur ? cur->version : 0,
	    cur ? cur->uuid : "", nm->version, nm->uuid, from, &verdict);
	if (apply) {
		err = msync_save(n, "smap", ais_smap_dumps(nm));
		if (err == AIS_OK) {
			AIS_LOGN("AIS-META-SMAP",
			    "Smap v%lld: %zu proxies, %zu targets, primary %s",
			    (long long) nm->version, nm->nproxies,
			    nm->ntargets, nm->primary);
			bool handover = cur != NULL &&
			    strcmp(cur->primary, n->self.id) != 0 &&
			    strcmp(nm->primary, n->self.id) == 0;
			ais_snapslot_set(&n->smap, nm);
			if (handover) {
				ais_node_quorum_grant(n);
			}
			/* Targets rebalance when data owners changed (nm stays
			 * valid: only this actor replaces the slot). */
			ais_tgt_smap_changed(n, cur, nm);
			ais_smap_rele(cur);
			return AIS_OK;
		}
	}
	ais_smap_rele(cur);
	ais_smap_rele(nm);
	return err != AIS_OK ? err : verdict;
}

static ais_err
msync_install_bmd(ais_node *n, const char *json, const char *from)
{
	ais_bmd *nb = NULL;
	ais_err err = ais_bmd_loads(json, strlen(json), &nb);
	if (err != AIS_OK) {
		AIS_LOGE("AIS-META-BAD", "malformed BMD from %s", from);
		return AIS_EPROTO;
	}
	ais_bmd *cur = ais_node_bmd(n);
	ais_err verdict = AIS_OK;
	bool apply = msync_judge("BMD", cur ? cur->version : 0,
	    cur ? cur->uuid : "", nb->version, nb->uuid, from, &verdict);
	if (apply) {
		err = msync_save(n, "bmd", ais_bmd_dumps(nb));
		if (err == AIS_OK) {
			AIS_LOGN("AIS-META-BMD", "BMD v%lld: %zu buckets",
			    (long long) nb->version, nb->nbcks);
			ais_snapslot_set(&n->bmd, nb);
			/* Targets drop the data of removed buckets (nb stays
			 * valid: only this actor replaces the slot). */
			ais_tgt_bmd_changed(n, cur, nb);
			ais_bmd_rele(cur);
			return AIS_OK;
		}
	}
	ais_bmd_rele(cur);
	ais_bmd_rele(nb);
	return err != AIS_OK ? err : verdict;
}

static ais_err
msync_install_config(ais_node *n, const char *json, const char *from)
{
	char ebuf[256];
	json_error_t jerr;
	json_t *j = json_loads(json, 0, &jerr);
	ais_cconfig *nc = NULL;
	ais_err err = j ? ais_cconfig_from_json(j, &nc, ebuf, sizeof(ebuf))
			: AIS_EINVAL;
	json_decref(j);
	if (err != AIS_OK) {
		AIS_LOGE("AIS-META-BAD", "malformed cluster config from %s",
		    from);
		return AIS_EPROTO;
	}
	ais_cconfig *cur = ais_node_ccfg(n);
	ais_err verdict = AIS_OK;
	bool apply = msync_judge("config", cur ? cur->version : 0,
	    cur ? cur->uuid : "", nc->version, nc->uuid, from, &verdict);
	ais_cconfig_rele(cur);
	if (apply) {
		err = msync_save(n, "conf", ais_cconfig_dumps(nc));
		if (err == AIS_OK) {
			AIS_LOGN("AIS-META-CONF", "cluster config v%lld",
			    (long long) nc->version);
			ais_snapslot_set(&n->ccfg, nc);
			return AIS_OK;
		}
	}
	ais_cconfig_rele(nc);
	return err != AIS_OK ? err : verdict;
}

/* Installs whatever the push carries; the first error is returned, but each
 * piece is judged on its own. */
static ais_err
msync_install(ais_node *n, const Ais__MetaPush *mp, const char *from)
{
	ais_err first = AIS_OK, err;
	if (mp->config_json != NULL && mp->config_json[0] != '\0') {
		err = msync_install_config(n, mp->config_json, from);
		first = first ? first : err;
	}
	if (mp->bmd_json != NULL && mp->bmd_json[0] != '\0') {
		err = msync_install_bmd(n, mp->bmd_json, from);
		first = first ? first : err;
	}
	if (mp->smap_json != NULL && mp->smap_json[0] != '\0') {
		err = msync_install_smap(n, mp->smap_json, from);
		first = first ? first : err;
	}
	return first;
}

static ais_err
msync_reply_ack(msync_state *st, act_ctx *ctx, ais_err status)
{
	msync_versions v;
	msync_current(st->node, &v);
	Ais__MetaAck ack = AIS__META_ACK__INIT;
	ack.smap_version = v.smap;
	ack.bmd_version = v.bmd;
	ack.config_version = v.cfg;
	uint8_t buf[64];
	size_t len = ais__meta_ack__pack(&ack, buf);
	return act_reply(ctx, AIS_MSG_META_ACK, status,
	    status ? ais_strerror(status) : NULL, buf, len);
}

static msync_peer *
msync_peer_get(msync_state *st, const char *id)
{
	for (size_t i = 0; i < st->npeers; i++) {
		if (strcmp(st->peers[i].id, id) == 0) {
			return &st->peers[i];
		}
	}
	if (st->npeers == MSYNC_MAX_PEERS) {
		return NULL;
	}
	msync_peer *p = &st->peers[st->npeers++];
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	return p;
}

/* Pushes the current versions to every node of the Smap that has not
 * acknowledged them yet; arms the retry timer if any push failed. */
static void
msync_broadcast(msync_state *st, const char *reason)
{
	ais_node *n = st->node;
	ais_smap *m = ais_node_smap(n);
	ais_bmd *b = ais_node_bmd(n);
	ais_cconfig *c = ais_node_ccfg(n);
	size_t total = m ? ais_smap_count(m) : 0;
	const char **urls = calloc(total + 1, sizeof(*urls));
	msync_peer **who = calloc(total + 1, sizeof(*who));
	char *smap_s = m ? ais_smap_dumps(m) : NULL;
	char *bmd_s = b ? ais_bmd_dumps(b) : NULL;
	char *cfg_s = c ? ais_cconfig_dumps(c) : NULL;
	uint8_t *buf = NULL;
	size_t nurl = 0;

	if (m == NULL || urls == NULL || who == NULL || smap_s == NULL) {
		goto out;
	}
	for (size_t i = 0; i < total; i++) {
		const ais_snode *sn = i < m->nproxies
		    ? &m->proxies[i]
		    : &m->targets[i - m->nproxies];
		if (strcmp(sn->id, n->self.id) == 0) {
			continue;
		}
		msync_peer *p = msync_peer_get(st, sn->id);
		if (p == NULL || (p->smap_v >= m->version &&
		    p->bmd_v >= (b ? b->version : 0) &&
		    p->cfg_v >= (c ? c->version : 0))) {
			continue;
		}
		urls[nurl] = sn->ctrl.url;
		who[nurl++] = p;
	}
	if (nurl == 0) {
		goto out;
	}
	Ais__MetaPush mp = AIS__META_PUSH__INIT;
	mp.smap_json = smap_s;
	mp.bmd_json = bmd_s ? bmd_s : "";
	mp.config_json = cfg_s ? cfg_s : "";
	mp.reason = (char *) reason;
	size_t len = ais__meta_push__get_packed_size(&mp);
	buf = malloc(len);
	ais_err *res = calloc(nurl, sizeof(*res));
	act_reply_buf *rep = calloc(nurl, sizeof(*rep));
	if (buf == NULL || res == NULL || rep == NULL) {
		free(res);
		free(rep);
		goto out;
	}
	ais__meta_push__pack(&mp, buf);
	int64_t tmo = c ? ais_cconfig_dur_ms(c, "timeout.cplane_operation",
			      AIS_CPLANE_TIMEOUT_MS)
			: AIS_CPLANE_TIMEOUT_MS;
	act_call_many(n->rt, urls, nurl, AIS_ACTOR_METASYNC, AIS_MSG_META_PUSH,
	    buf, len, (int) tmo, res, rep);
	bool retry = false;
	for (size_t i = 0; i < nurl; i++) {
		Ais__MetaAck *ack = NULL;
		if (res[i] == AIS_OK && rep[i].type == AIS_MSG_META_ACK) {
			ack = ais__meta_ack__unpack(NULL, rep[i].len,
			    rep[i].data);
		}
		if (ack != NULL) {
			who[i]->smap_v = ack->smap_version;
			who[i]->bmd_v = ack->bmd_version;
			who[i]->cfg_v = ack->config_version;
			ais__meta_ack__free_unpacked(ack, NULL);
		}
		if (ack == NULL || rep[i].status != AIS_OK) {
			AIS_LOGW("AIS-META-PUSH-FAIL",
			    "push of Smap v%lld to %s (%s) failed: %s",
			    (long long) m->version, who[i]->id, urls[i],
			    res[i] ? ais_strerror(res[i])
				   : (rep[i].errmsg ? rep[i].errmsg : "?"));
			retry = true;
		}
		act_reply_buf_fini(&rep[i]);
	}
	free(res);
	free(rep);
	if (retry && !st->retry_armed) {
		int64_t ms = ais_cconfig_dur_ms(c, "periodic.retry_sync_time",
		    2000);
		if (act_timer_start(st->self, MSYNC_RETRY_COOKIE, ms, false,
			NULL) == AIS_OK) {
			st->retry_armed = true;
		}
	}
out:
	free(buf);
	free(smap_s);
	free(bmd_s);
	free(cfg_s);
	free(urls);
	free(who);
	ais_smap_rele(m);
	ais_bmd_rele(b);
	ais_cconfig_rele(c);
}

static ais_err
msync_on_push(void *state, act_ctx *ctx, const act_msg *msg)
{
	msync_state *st = state;
	Ais__MetaPush *mp = ais__meta_push__unpack(NULL, msg->len, msg->data);
	if (mp == NULL) {
		return AIS_EPROTO;
	}
	const char *from = msg->sender && msg->sender[0] ? msg->sender
							 : "local";
	ais_err err = msync_install(st->node, mp, from);
	ais__meta_push__free_unpacked(mp, NULL);
	return msync_reply_ack(st, ctx, err);
}

static ais_err
msync_on_sync(void *state, act_ctx *ctx, const act_msg *msg)
{
	msync_state *st = state;
	Ais__MetaPush *mp = ais__meta_push__unpack(NULL, msg->len, msg->data);
	if (mp == NULL) {
		return AIS_EPROTO;
	}
	/* Metadata changes need the quorum (keepalive.c); a handover or
	 * election is published by whoever was, or becomes, primary. */
	bool was_primary = ais_node_is_primary(st->node);
	if (was_primary && !ais_node_has_quorum(st->node)) {
		ais__meta_push__free_unpacked(mp, NULL);
		AIS_LOGW("AIS-META-NOQUORUM", "metadata change refused: no "
		    "quorum of proxies");
		return msync_reply_ack(st, ctx, AIS_ENOQUORUM);
	}
	ais_err err = msync_install(st->node, mp, "primary");
	char reason[128];
	snprintf(reason, sizeof(reason), "%s", mp->reason ? mp->reason : "");
	ais__meta_push__free_unpacked(mp, NULL);
	if (err != AIS_OK) {
		return msync_reply_ack(st, ctx, err);
	}
	/* Push before replying: once the change's initiator (and through it
	 * the client) hears success, every reachable node has the new version,
	 * so a read through any proxy sees it. A node that misses the push
	 * (bounded by the control-plane timeout) gets it from the retry timer. */
	if (was_primary || ais_node_is_primary(st->node)) {
		msync_broadcast(st, reason);
	}
	return msync_reply_ack(st, ctx, AIS_OK);
}

/* META_PULL: what this node has, as a MetaPush (a restarted or cut-off
 * node catching up, an election looking for a newer Smap). */
static ais_err
msync_on_pull(void *state, act_ctx *ctx, const act_msg *msg)
{
	msync_state *st = state;
	ais_node *n = st->node;
	(void) msg;
	ais_smap *m = ais_node_smap(n);
	ais_bmd *b = ais_node_bmd(n);
	ais_cconfig *c = ais_node_ccfg(n);
	char *ms = m ? ais_smap_dumps(m) : NULL;
	char *bs = b ? ais_bmd_dumps(b) : NULL;
	char *cs = c ? ais_cconfig_dumps(c) : NULL;
	ais_smap_rele(m);
	ais_bmd_rele(b);
	ais_cconfig_rele(c);
	Ais__MetaPush mp = AIS__META_PUSH__INIT;
	mp.smap_json = ms ? ms : "";
	mp.bmd_json = bs ? bs : "";
	mp.config_json = cs ? cs : "";
	mp.reason = "pull";
	size_t len = ais__meta_push__get_packed_size(&mp);
	uint8_t *buf = malloc(len ? len : 1);
	ais_err err;
	if (buf == NULL) {
		err = act_reply(ctx, AIS_MSG_META_PULL_RESP, AIS_ENOMEM,
		    "out of memory", NULL, 0);
	} else {
		ais__meta_push__pack(&mp, buf);
		err = act_reply(ctx, AIS_MSG_META_PULL_RESP, AIS_OK, NULL, buf,
		    len);
	}
	free(buf);
	free(ms);
	free(bs);
	free(cs);
	return err;
}

static ais_err
msync_on_timer(void *state, act_ctx *ctx, const act_msg *msg)
{
	msync_state *st = state;
	(void) ctx;
	(void) msg;
	st->retry_armed = false;
	if (ais_node_is_primary(st->node)) {
		msync_broadcast(st, "retry");
	}
	return AIS_OK;
}

static ais_err
msync_init(void *state, act_actor *self, void *arg)
{
	msync_state *st = state;
	st->node = arg;
	st->self = self;
	return AIS_OK;
}

/* All state is a cache of what peers acknowledged: forgetting it only
 * causes one redundant push. */
static ais_err
msync_reset(void *state, act_actor *self, void *arg)
{
	memset(state, 0, sizeof(msync_state));
	return msync_init(state, self, arg);
}

static const act_handler msync_handlers[AIS_MSG__COUNT] = {
	[AIS_MSG_META_PUSH] = msync_on_push,
	[AIS_MSG_META_SYNC] = msync_on_sync,
	[AIS_MSG_TIMER] = msync_on_timer,
	[AIS_MSG_META_PULL] = msync_on_pull,
};

const act_ops ais_metasync_ops = {
	.name = AIS_ACTOR_METASYNC,
	.state_size = sizeof(msync_state),
	.init = msync_init,
	.reset = msync_reset,
	.handlers = msync_handlers,
	.nhandlers = AIS_MSG__COUNT,
};
