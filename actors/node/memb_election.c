/*
 * Primary election and stepping down (membership actor).
 *
 * When keepalives to the primary keep failing (keepalive.c), every proxy
 * computes the same candidate: among the electable proxies of its Smap
 * (not flagged non-electable, maintenance or decommission), other than the
 * lost primary and the candidates that already failed this term, the one
 * with the largest id_digest (spec smap-bmd.md section 4.2). The candidate
 * asks the other proxies for their votes. A voter says yes only if its
 * Smap is not newer than the candidate's, names the same lost primary, it
 * cannot reach that primary itself, and the requester is its own candidate
 * (or its own candidate is unreachable too); one vote per term. With votes
 * from a majority of the proxies of that Smap (counting itself) the
 * candidate publishes Smap v+1 without the old primary and with itself as
 * primary. Without a majority nothing changes: a proxy cut off from most
 * of the others never becomes primary (keepalive.c has the quorum rule).
 * Proxies that are not the candidate wait; a candidate that has not won
 * within the election timeout is skipped and the next one tries.
 *
 * Targets do not vote: when they lose the primary they ask the proxies for
 * a newer Smap. A primary that lost its quorum does the same and steps
 * down when one of them has moved on.
 */
#include <stdlib.h>
#include <string.h>

#include "actors/node/memb_int.h"
#include "core/log.h"

bool
memb_ping(ais_node *n, const char *ctrl_url, int timeout_ms)
{
	Ais__Keepalive ka = AIS__KEEPALIVE__INIT;
	ka.id = ""; /* a ping: no keepalive is recorded */
	uint8_t buf[64];
	size_t len = ais__keepalive__pack(&ka, buf);
	act_reply_buf rep = { 0 };
	ais_err err = act_call(n->rt, ctrl_url, AIS_ACTOR_KEEPALIVE,
	    AIS_MSG_KEEPALIVE_REQ, buf, len, timeout_ms, &rep);
	act_reply_buf_fini(&rep);
	return err == AIS_OK;
}

/* Installs a pulled MetaPush through the local metasync (which refuses
 * older or foreign versions). */
static void
memb_install(memb_state *st, const uint8_t *data, size_t len)
{
	act_reply_buf rep = { 0 };
	if (act_call(st->node->rt, NULL, AIS_ACTOR_METASYNC, AIS_MSG_META_PUSH,
		data, len, MEMB_JOIN_CALL_MS, &rep) == AIS_OK) {
		act_reply_buf_fini(&rep);
	}
}

size_t
memb_pull(memb_state *st, const char *const *urls, size_t n)
{
	ais_node *node = st->node;
	if (n == 0) {
		return 0;
	}
	ais_err *res = calloc(n, sizeof(*res));
	act_reply_buf *rep = calloc(n, sizeof(*rep));
	size_t answered = 0;
	if (res == NULL || rep == NULL) {
		free(res);
		free(rep);
		return 0;
	}
	act_call_many(node->rt, urls, n, AIS_ACTOR_METASYNC, AIS_MSG_META_PULL,
	    NULL, 0, (int) ais_node_cplane_ms(node), res, rep);
	/* Install the newest Smap last-wins is fine: metasync ignores older
	 * ones, so installing every answer converges on the newest. */
	for (size_t i = 0; i < n; i++) {
		if (res[i] == AIS_OK && rep[i].status == AIS_OK &&
		    rep[i].type == AIS_MSG_META_PULL_RESP) {
			answered++;
			memb_install(st, rep[i].data, rep[i].len);
		}
		act_reply_buf_fini(&rep[i]);
	}
	free(res);
	free(rep);
	return answered;
}

/* Control URLs of the Smap's proxies other than this node and `skip`. */
static size_t
memb_proxy_urls(const ais_smap *m, const char *self, const char *skip,
    const char **urls, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < m->nproxies && k < cap; i++) {
		const ais_snode *p = &m->proxies[i];
		if (strcmp(p->id, self) == 0 ||
		    (skip != NULL && strcmp(p->id, skip) == 0)) {
			continue;
		}
		urls[k++] = p->ctrl.url;
	}
	return k;
}

static bool
memb_failed(const memb_state *st, const char *id)
{
	for (size_t i = 0; i < st->nfailed; i++) {
		if (strcmp(st->failed[i], id) == 0) {
			return true;
		}
	}
	return false;
}

/* The candidate every proxy with this Smap computes (NULL = none). */
static const ais_snode *
memb_candidate(const memb_state *st, const ais_smap *m, const char *old)
{
	const ais_snode *best = NULL;
	for (size_t i = 0; i < m->nproxies; i++) {
		const ais_snode *p = &m->proxies[i];
		if (strcmp(p->id, old) == 0 ||
		    (p->flags & (AIS_SNODE_NON_ELECTABLE | AIS_SNODE_MAINT |
				    AIS_SNODE_DECOMM)) != 0 ||
		    memb_failed(st, p->id)) {
			continue;
		}
		if (best == NULL || p->id_digest > best->id_digest) {
			best = p;
		}
	}
	return best;
}

static int64_t
memb_elect_timeout_ms(ais_node *n)
{
	/* Long enough for a candidate to notice the loss itself (one
	 * keepalive window), collect the votes and push the new Smap. */
	ais_cconfig *c = ais_node_ccfg(n);
	int64_t iv = c ? ais_cconfig_dur_ms(c, "keepalivetracker.proxy.interval",
			     10000)
		       : 10000;
	int64_t f = c ? ais_cconfig_int(c, "keepalivetracker.proxy.factor", 3)
		      : 3;
	ais_cconfig_rele(c);
	return iv * (f > 0 ? f : 1) + 3 * ais_node_cplane_ms(n);
}

/* The candidate asks for votes; publishes the new Smap on a majority. */
static void
memb_run_election(memb_state *st, ais_smap *cur)
{
	ais_node *n = st->node;
	size_t np = cur->nproxies;
	const char **urls = calloc(np + 1, sizeof(*urls));
	ais_err *res = calloc(np + 1, sizeof(*res));
	act_reply_buf *rep = calloc(np + 1, sizeof(*rep));
	if (urls == NULL || res == NULL || rep == NULL) {
		goto out;
	}
	size_t k = memb_proxy_urls(cur, n->self.id, st->elect_old, urls, np);
	Ais__VoteReq vr = AIS__VOTE_REQ__INIT;
	vr.candidate = n->self.id;
	vr.old_primary = st->elect_old;
	vr.smap_version = cur->version;
	uint8_t buf[256];
	size_t len = ais__vote_req__pack(&vr, buf);
	/* Our own vote. */
	st->voted_v = cur->version;
	snprintf(st->voted_for, sizeof(st->voted_for), "%s", n->self.id);
	st->voted_ms = ais_node_now_ms();
	size_t yes = 1, need = np / 2 + 1;
	int64_t maxv = cur->version;
	AIS_LOGN("AIS-ELECT-START", "%s asks %zu proxies for votes (primary "
	    "%s lost, Smap v%lld, need %zu of %zu)", n->self.id, k,
	    st->elect_old, (long long) cur->version, need, np);
	if (k > 0) {
		act_call_many(n->rt, urls, k, AIS_ACTOR_MEMBERSHIP,
		    AIS_MSG_VOTE_REQ, buf, len, (int) ais_node_cplane_ms(n) * 2,
		    res, rep);
	}
	for (size_t i = 0; i < k; i++) {
		Ais__VoteResp *v = NULL;
		if (res[i] == AIS_OK && rep[i].status == AIS_OK) {
			v = ais__vote_resp__unpack(NULL, rep[i].len,
			    rep[i].data);
		}
		if (v != NULL) {
			if (v->yes) {
				yes++;
			} else {
				AIS_LOGI("AIS-ELECT-NO", "%s: %s", urls[i],
				    v->reason);
			}
			if (v->smap_version > maxv) {
				maxv = v->smap_version;
			}
			ais__vote_resp__free_unpacked(v, NULL);
		}
		act_reply_buf_fini(&rep[i]);
	}
	if (yes < need) {
		AIS_LOGW("AIS-ELECT-LOST", "%s got %zu of %zu votes (need %zu): "
		    "staying a non-primary", n->self.id, yes, np, need);
		goto out;
	}
	ais_smap *nm = NULL;
	if (ais_smap_clone(cur, &nm) != AIS_OK) {
		goto out;
	}
	ais_smap_del(nm, st->elect_old);
	const ais_snode *me = ais_smap_get(nm, n->self.id);
	if (me != NULL) {
		ais_snode upd = *me;
		upd.flags |= AIS_SNODE_IC;
		ais_smap_update(nm, &upd);
	}
	snprintf(nm->primary, sizeof(nm->primary), "%s", n->self.id);
	nm->version = maxv + 1;
	char reason[96];
	snprintf(reason, sizeof(reason), "elected p[%s]", n->self.id);
	AIS_LOGN("AIS-ELECT-WON", "%s is the new primary (%zu of %zu votes), "
	    "Smap v%lld without p[%s]", n->self.id, yes, np,
	    (long long) nm->version, st->elect_old);
	ais_node_quorum_grant(n); /* the votes */
	ais_err err = memb_commit_smap(st, nm, reason);
	if (err != AIS_OK) {
		AIS_LOGE("AIS-ELECT-COMMIT", "publishing the new Smap: %s",
		    ais_strerror(err));
	}
	ais_smap_rele(nm);
out:
	free(urls);
	free(res);
	free(rep);
}

/* Target: find a newer Smap (and so the new primary) among the proxies. */
static void
memb_target_lost(memb_state *st, ais_smap *cur)
{
	const char **urls = calloc(cur->nproxies + 1, sizeof(*urls));
	if (urls == NULL) {
		return;
	}
	size_t k = memb_proxy_urls(cur, st->node->self.id, cur->primary, urls,
	    cur->nproxies);
	memb_pull(st, urls, k);
	free(urls);
}

void
memb_primary_lost(memb_state *st)
{
	ais_node *n = st->node;
	ais_smap *cur = ais_node_smap(n);
	if (cur == NULL || strcmp(cur->primary, n->self.id) == 0) {
		ais_smap_rele(cur);
		return;
	}
	if (n->role == AIS_ROLE_TARGET) {
		memb_target_lost(st, cur);
		ais_smap_rele(cur);
		return;
	}
	/* Maybe another proxy already has the answer. */
	int64_t v0 = cur->version;
	memb_target_lost(st, cur);
	ais_smap *now = ais_node_smap(n);
	if (now != NULL && now->version > v0) {
		ais_smap_rele(cur);
		ais_smap_rele(now);
		return;
	}
	ais_smap_rele(now);
	if (st->elect_v != cur->version ||
	    strcmp(st->elect_old, cur->primary) != 0) {
		st->elect_v = cur->version;
		snprintf(st->elect_old, sizeof(st->elect_old), "%s",
		    cur->primary);
		st->nfailed = 0;
		st->cand[0] = '\0';
	}
	int64_t t = ais_node_now_ms();
	const ais_snode *cand = memb_candidate(st, cur, st->elect_old);
	if (cand == NULL) {
		AIS_LOGW("AIS-ELECT-NONE", "primary %s lost and no electable "
		    "proxy left", st->elect_old);
		ais_smap_rele(cur);
		return;
	}
	if (strcmp(st->cand, cand->id) != 0) {
		snprintf(st->cand, sizeof(st->cand), "%s", cand->id);
		st->cand_since_ms = t;
	}
	if (strcmp(cand->id, n->self.id) == 0) {
		memb_run_election(st, cur);
	} else if (t - st->cand_since_ms > memb_elect_timeout_ms(n) &&
	    st->nfailed < MEMB_MAX_FAILED) {
		AIS_LOGW("AIS-ELECT-SKIP", "candidate %s did not take over "
		    "within %lld ms; next candidate", cand->id,
		    (long long) (t - st->cand_since_ms));
		snprintf(st->failed[st->nfailed++], AIS_ID_MAX + 1, "%s",
		    cand->id);
	}
	ais_smap_rele(cur);
}

static ais_err
memb_vote_reply(act_ctx *ctx, bool yes, int64_t v, const char *reason)
{
	Ais__VoteResp vr = AIS__VOTE_RESP__INIT;
	vr.yes = yes;
	vr.smap_version = v;
	vr.reason = (char *) reason;
	uint8_t buf[512];
	size_t len = ais__vote_resp__get_packed_size(&vr) <= sizeof(buf)
	    ? ais__vote_resp__pack(&vr, buf)
	    : 0;
	return act_reply(ctx, AIS_MSG_VOTE_RESP, AIS_OK, NULL, buf, len);
}

ais_err
memb_on_vote(void *state, act_ctx *ctx, const act_msg *msg)
{
	memb_state *st = state;
	ais_node *n = st->node;
	char why[256] = "";
	bool yes = false;
	Ais__VoteReq *vr = ais__vote_req__unpack(NULL, msg->len, msg->data);
	if (vr == NULL) {
		return AIS_EPROTO;
	}
	ais_smap *cur = ais_node_smap(n);
	int64_t t = ais_node_now_ms();
	int tmo = (int) ais_node_cplane_ms(n) / 2;
	const ais_snode *old = cur ? ais_smap_get(cur, vr->old_primary) : NULL;
	const ais_snode *mine = NULL;
	if (n->role != AIS_ROLE_PROXY || cur == NULL) {
		snprintf(why, sizeof(why), "%s does not vote", n->self.id);
	} else if (cur->version > vr->smap_version) {
		snprintf(why, sizeof(why), "%s has newer Smap v%lld",
		    n->self.id, (long long) cur->version);
	} else if (strcmp(cur->primary, vr->old_primary) != 0) {
		snprintf(why, sizeof(why), "%s: the primary is %s",
		    n->self.id, cur->primary);
	} else if (st->voted_v == cur->version &&
	    strcmp(st->voted_for, vr->candidate) != 0 &&
	    t - st->voted_ms < memb_elect_timeout_ms(n)) {
		snprintf(why, sizeof(why), "%s already voted for %s",
		    n->self.id, st->voted_for);
	} else if (old != NULL && memb_ping(n, old->ctrl.url, tmo)) {
		snprintf(why, sizeof(why), "%s still reaches primary %s",
		    n->self.id, old->id);
	} else {
		mine = memb_candidate(st, cur, vr->old_primary);
		if (mine != NULL && strcmp(mine->id, vr->candidate) != 0 &&
		    strcmp(mine->id, n->self.id) != 0 &&
		    memb_ping(n, mine->ctrl.url, tmo)) {
			snprintf(why, sizeof(why), "%s expects %s to lead",
			    n->self.id, mine->id);
		} else if (ais_smap_get(cur, vr->candidate) == NULL) {
			snprintf(why, sizeof(why), "%s: %s not in Smap v%lld",
			    n->self.id, vr->candidate,
			    (long long) cur->version);
		} else {
			yes = true;
			st->voted_v = cur->version;
			snprintf(st->voted_for, sizeof(st->voted_for), "%s",
			    vr->candidate);
			st->voted_ms = t;
		}
	}
	AIS_LOGN("AIS-ELECT-VOTE", "vote for %s (primary %s lost, Smap v%lld): "
	    "%s%s", vr->candidate, vr->old_primary, (long long) vr->smap_version,
	    yes ? "yes" : "no: ", why);
	ais_err err = memb_vote_reply(ctx, yes, cur ? cur->version : 0, why);
	ais_smap_rele(cur);
	ais__vote_req__free_unpacked(vr, NULL);
	return err;
}

void
memb_no_quorum(memb_state *st)
{
	ais_node *n = st->node;
	ais_smap *cur = ais_node_smap(n);
	if (cur == NULL || strcmp(cur->primary, n->self.id) != 0) {
		ais_smap_rele(cur);
		return;
	}
	const char **urls = calloc(cur->nproxies + 1, sizeof(*urls));
	if (urls != NULL) {
		size_t k = memb_proxy_urls(cur, n->self.id, NULL, urls,
		    cur->nproxies);
		memb_pull(st, urls, k);
		free(urls);
	}
	ais_smap *now = ais_node_smap(n);
	if (now != NULL && strcmp(now->primary, n->self.id) != 0) {
		AIS_LOGW("AIS-ELECT-STEPDOWN", "%s steps down: Smap v%lld names "
		    "primary %s", n->self.id, (long long) now->version,
		    now->primary);
		if (ais_smap_get(now, n->self.id) == NULL) {
			memb_start_join(st, "replaced as primary");
		}
	}
	ais_smap_rele(now);
	ais_smap_rele(cur);
}

bool
memb_discover(memb_state *st)
{
	ais_node *n = st->node;
	ais_smap *cur = ais_node_smap(n);
	if (cur == NULL) {
		return true;
	}
	const char **urls = calloc(cur->nproxies + 1, sizeof(*urls));
	size_t k = urls ? memb_proxy_urls(cur, n->self.id, NULL, urls,
			      cur->nproxies)
			: 0;
	size_t answered = memb_pull(st, urls, k);
	free(urls);
	ais_smap_rele(cur);
	cur = ais_node_smap(n);
	bool primary = cur != NULL && strcmp(cur->primary, n->self.id) == 0;
	if (!primary) {
		AIS_LOGW("AIS-MEMB-DISCOVER", "restarted as a former primary: "
		    "Smap v%lld names %s; joining it",
		    cur ? (long long) cur->version : 0LL,
		    cur ? cur->primary : "?");
	} else if (k > 0) {
		AIS_LOGN("AIS-MEMB-DISCOVER", "resuming as primary (%zu of %zu "
		    "other proxies answered, none newer)", answered, k);
	}
	ais_smap_rele(cur);
	return primary;
}
