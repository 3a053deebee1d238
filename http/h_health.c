/*
 * GET|HEAD /v1/health (spec native-api.md section 2.1): liveness,
 * readiness and "primary ready to rebalance".
 *
 * Plain and ?readiness=true: 200 once the node has joined its cluster (the
 * primary: once it created or loaded it), else 503. ?prr=true asks whether
 * the *primary* finished cluster startup; Python's Cluster.is_ready() sends
 * it to the primary URL from the Smap, but any node may get it, so a node
 * that is not the primary asks the primary's membership actor over the
 * control network and relays the answer. Every 200 carries the node and
 * cluster uptimes in nanoseconds.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "http/reply.h"
#include "http/server.h"
#include "proto/cluster.pb-c.h"

static int64_t
http_health_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* 200 with Ais-Node-Uptime and Ais-Cluster-Uptime. The cluster's age is
 * taken from the Smap's creation time; a node that cannot tell (no Smap
 * yet, or a timestamp it cannot parse) reports its own start instead. */
static void
http_health_ok(http_req *r)
{
	ais_node *n = r->node;
	int64_t now = http_health_now_ns();
	int64_t born = n->start_ns;
	int64_t node_up;
	int64_t clu_up;
	char nbuf[24];
	char cbuf[24];
	ais_smap *smap = ais_node_smap(n);
	const char *hdrs[]
	    = { "Ais-Cluster-Uptime", cbuf, "Ais-Node-Uptime", nbuf, NULL };

	if (smap != NULL) {
		int64_t created;

		if (smap->creation_time[0] != '\0'
		    && http_time_parse_ns(smap->creation_time, &created)
		        == AIS_OK
		    && created <= now) {
			born = created;
		}
		ais_smap_rele(smap);
	}
	node_up
	    = n->start_ns > 0 && n->start_ns <= now ? now - n->start_ns : 0;
	clu_up = born > 0 && born <= now ? now - born : node_up;
	snprintf(nbuf, sizeof(nbuf), "%lld", (long long) node_up);
	snprintf(cbuf, sizeof(cbuf), "%lld", (long long) clu_up);
	http_reply(r, 200, NULL, NULL, 0, hdrs);
}

/* Timeout of a control-plane call: the cluster's timeout.cplane_operation
 * when the config is in, else the default. */
static int
http_health_timeout_ms(ais_node *n)
{
	ais_cconfig *cc = ais_node_ccfg(n);
	int64_t ms = AIS_CPLANE_TIMEOUT_MS;

	if (cc != NULL) {
		ms = ais_cconfig_dur_ms(
		    cc, "timeout.cplane_operation", AIS_CPLANE_TIMEOUT_MS);
		ais_cconfig_rele(cc);
	}
	if (ms <= 0 || ms > 60000) {
		ms = AIS_CPLANE_TIMEOUT_MS;
	}
	return (int) ms;
}

/* Not the primary: ask it (membership actor, HealthReq{prr}) and relay. */
static void
http_health_prr_forward(http_req *r)
{
	ais_node *n = r->node;
	ais_smap *smap = ais_node_smap(n);
	const ais_snode *psn;
	char url[AIS_URL_MAX + 1];
	char pid[AIS_ID_MAX + 1];
	Ais__HealthReq req = AIS__HEALTH_REQ__INIT;
	Ais__HealthResp *resp;
	uint8_t buf[16];
	size_t len;
	act_reply_buf rep = { 0 };
	ais_err err;

	psn = smap == NULL ? NULL : ais_smap_primary(smap);
	if (psn == NULL || psn->ctrl.url[0] == '\0') {
		ais_smap_rele(smap);
		http_reply_err(r, 503, "primary is not known yet");
		return;
	}
	snprintf(url, sizeof(url), "%s", psn->ctrl.url);
	snprintf(pid, sizeof(pid), "%s", psn->id);
	ais_smap_rele(smap);
	if (n->rt == NULL) {
		http_reply_err(r, 503, "cannot reach primary p[%s]", pid);
		return;
	}

	req.prr = 1;
	len = ais__health_req__get_packed_size(&req);
	if (len > sizeof(buf)) {
		http_reply_err(r, 500, "health request does not fit");
		return;
	}
	ais__health_req__pack(&req, buf);
	err = act_call(n->rt, url, AIS_ACTOR_MEMBERSHIP,
	    AIS__AIS_MSG_TYPE__AIS_MSG_HEALTH_REQ, buf, len,
	    http_health_timeout_ms(n), &rep);
	if (err != AIS_OK) {
		http_reply_err(r, 503, "primary p[%s] did not answer: %s", pid,
		    ais_strerror(err));
		return;
	}
	if (rep.status != AIS_OK
	    || rep.type != AIS__AIS_MSG_TYPE__AIS_MSG_HEALTH_RESP) {
		http_reply_err(r, 503, "primary p[%s]: %s", pid,
		    rep.errmsg != NULL ? rep.errmsg
		                       : ais_strerror(rep.status));
		act_reply_buf_fini(&rep);
		return;
	}
	resp = ais__health_resp__unpack(NULL, rep.len, rep.data);
	act_reply_buf_fini(&rep);
	if (resp == NULL) {
		http_reply_err(r, 503, "primary p[%s]: bad health reply", pid);
		return;
	}
	if (resp->ready) {
		http_health_ok(r);
	} else if (resp->reason != NULL && resp->reason[0] != '\0') {
		http_reply_err(
		    r, 503, "primary is not ready: %s", resp->reason);
	} else {
		http_reply_err(r, 503, "primary is not ready");
	}
	ais__health_resp__free_unpacked(resp, NULL);
}

void
http_h_health(http_req *r)
{
	ais_node *n = r->node;
	char tag[HTTP_NODE_TAG_MAX];

	if (!atomic_load(&n->joined)) {
		http_node_tag(n->role, n->self.id, tag, sizeof(tag));
		http_reply_err(
		    r, 503, "%s is not ready yet (starting up)", tag);
		return;
	}
	if (http_query_bool(&r->query, "prr")) {
		if (!ais_node_is_primary(n)) {
			http_health_prr_forward(r);
			return;
		}
		if (!atomic_load(&n->cluster_ready)) {
			http_reply_err(r, 503, "primary is not ready");
			return;
		}
	}
	/* readiness=true asks the same question as the plain probe: joined
	 * (checked above) is what "ready to serve" means for now. */
	http_health_ok(r);
}
