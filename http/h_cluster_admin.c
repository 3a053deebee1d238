/*
 * Cluster admin (spec native-api.md section 2.5), on any proxy:
 *   PUT  /v1/cluster  ActMsg start-maintenance | stop-maintenance |
 *        decommission-node | shutdown-node | rm-unsafe (value: sid or sids,
 *        skip_rebalance, rm_user_data, no_shutdown) -> rebalance ID text;
 *        shutdown -> 200
 *   PUT  /v1/cluster/proxy/<id>             set primary
 *   POST /v1/cluster/join-by-admin  Snode JSON (+ Ais-Node-Flags)
 *        -> {"daemon_id","rebalance_id"}
 * The proxy hands each to the primary's membership actor over NNG
 * (memb_admin.c), which makes the change; this file only parses and maps
 * results to HTTP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "http/server.h"
#include "proto/msg.h"

#define HCA_CALL_MS 20000 /* the primary may be pushing to a dead node */

typedef struct hca_args {
	const char *action;
	const char *sid;
	bool skip_rebalance, rm_user_data, no_shutdown, keep_initial_config;
	const char *snode_json;
	uint64_t flags;
} hca_args;

static int
hca_status(ais_err err)
{
	switch (err) {
	case AIS_ENOENT:
		return 404;
	case AIS_EINVAL:
	case AIS_EPROTO:
		return 400;
	case AIS_ECONFLICT:
		return 409;
	case AIS_ENOQUORUM:
	case AIS_EAGAIN:
	case AIS_EPERM: /* asked a primary that no longer is: retry */
	case AIS_ETIMEDOUT:
	case AIS_ECLOSED:
		return 503;
	default:
		return 500;
	}
}

/* Sends one admin request to the primary. On success fills reb/did. */
static ais_err
hca_call(ais_node *n, const hca_args *a, char *reb, size_t rl, char *did,
    size_t dl, char *errbuf, size_t el)
{
	if (atomic_load(&n->primary_lost)) {
		snprintf(errbuf, el, "%s: the primary is unreachable from %s "
		    "(election in progress or no quorum); retry", a->action,
		    n->self.id);
		return AIS_EAGAIN;
	}
	ais_smap *m = ais_node_smap(n);
	const ais_snode *p = m ? ais_smap_primary(m) : NULL;
	char url[AIS_URL_MAX + 1] = "";
	bool local = p != NULL && strcmp(p->id, n->self.id) == 0;
	if (p != NULL) {
		snprintf(url, sizeof(url), "%s", p->ctrl.url);
	}
	ais_smap_rele(m);
	if (p == NULL) {
		snprintf(errbuf, el, "%s: primary is not known yet", a->action);
		return AIS_EAGAIN;
	}
	Ais__NodeAdminReq rq = AIS__NODE_ADMIN_REQ__INIT;
	rq.action = (char *) a->action;
	rq.sid = (char *) (a->sid ? a->sid : "");
	rq.skip_rebalance = a->skip_rebalance;
	rq.rm_user_data = a->rm_user_data;
	rq.no_shutdown = a->no_shutdown;
	rq.keep_initial_config = a->keep_initial_config;
	rq.snode_json = (char *) (a->snode_json ? a->snode_json : "");
	rq.flags = a->flags;
	size_t len = ais__node_admin_req__get_packed_size(&rq);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL) {
		snprintf(errbuf, el, "out of memory");
		return AIS_ENOMEM;
	}
	ais__node_admin_req__pack(&rq, buf);
	act_reply_buf rep = { 0 };
	ais_err err = act_call(n->rt, local ? NULL : url, AIS_ACTOR_MEMBERSHIP,
	    AIS_MSG_NODE_ADMIN_REQ, buf, len, HCA_CALL_MS, &rep);
	free(buf);
	if (err != AIS_OK) {
		snprintf(errbuf, el, "%s: the primary did not answer: %s",
		    a->action, ais_strerror(err));
		return AIS_EAGAIN;
	}
	err = rep.status;
	if (err != AIS_OK) {
		snprintf(errbuf, el, "%s", rep.errmsg ? rep.errmsg
						      : ais_strerror(err));
	} else {
		Ais__NodeAdminResp *r =
		    ais__node_admin_resp__unpack(NULL, rep.len, rep.data);
		if (r != NULL) {
			snprintf(reb, rl, "%s", r->rebalance_id);
			snprintf(did, dl, "%s", r->daemon_id);
			ais__node_admin_resp__free_unpacked(r, NULL);
		}
	}
	act_reply_buf_fini(&rep);
	return err;
}

static bool
hca_flag(http_req *r, const json_t *v, const char *key, bool *out)
{
	*out = false;
	if (v == NULL || ais_json_get_ci(v, key) == NULL) {
		return true;
	}
	if (ais_json_bool(v, key, out) != AIS_OK) {
		http_reply_err(r, 400, "invalid \"%s\": expecting a boolean",
		    key);
		return false;
	}
	return true;
}

/* PUT /v1/cluster with an ActMsg. */
static void
hca_actmsg(http_req *r)
{
	json_error_t jerr;
	json_t *j = json_loadb(r->body, r->body_len, 0, &jerr);
	char reb[64] = "", did[AIS_ID_MAX + 1] = "", errbuf[512] = "";
	if (j == NULL || !json_is_object(j)) {
		http_reply_err(r, 400, "invalid ActMsg in request body: %s",
		    j ? "not a JSON object" : jerr.text);
		json_decref(j);
		return;
	}
	hca_args a = { 0 };
	a.action = ais_json_str(j, "action");
	const json_t *v = ais_json_get_ci(j, "value");
	if (a.action == NULL || a.action[0] == '\0') {
		http_reply_err(r, 400, "missing ActMsg action");
		json_decref(j);
		return;
	}
	static const char *const node_acts[] = { "start-maintenance",
		"stop-maintenance", "decommission-node", "shutdown-node",
		"rm-unsafe" };
	bool node_act = false;
	for (size_t i = 0; i < sizeof(node_acts) / sizeof(node_acts[0]); i++) {
		node_act |= strcmp(a.action, node_acts[i]) == 0;
	}
	if (strcmp(a.action, "shutdown") == 0) {
		ais_err err = hca_call(r->node, &a, reb, sizeof(reb), did,
		    sizeof(did), errbuf, sizeof(errbuf));
		if (err != AIS_OK) {
			http_reply_err(r, hca_status(err), "%s", errbuf);
		} else {
			http_reply(r, 200, NULL, NULL, 0, NULL);
		}
		json_decref(j);
		return;
	}
	if (!node_act) {
		http_reply_err(r, 400, "invalid cluster action \"%s\"",
		    a.action);
		json_decref(j);
		return;
	}
	if (!json_is_object(v)) {
		http_reply_err(r, 400, "%s: missing value (ActValRmNode: "
		    "{\"sid\": \"<node ID>\"})", a.action);
		json_decref(j);
		return;
	}
	if (!hca_flag(r, v, "skip_rebalance", &a.skip_rebalance) ||
	    !hca_flag(r, v, "rm_user_data", &a.rm_user_data) ||
	    !hca_flag(r, v, "no_shutdown", &a.no_shutdown) ||
	    !hca_flag(r, v, "keep_initial_config", &a.keep_initial_config)) {
		json_decref(j);
		return;
	}
	const char *sid = ais_json_str(v, "sid");
	const json_t *sids = ais_json_get_ci(v, "sids");
	size_t nsids = json_is_array(sids) ? json_array_size(sids) : 0;
	if ((sid == NULL || sid[0] == '\0') == (nsids == 0)) {
		http_reply_err(r, 400, "%s: exactly one of \"sid\" and "
		    "\"sids\" is required", a.action);
		json_decref(j);
		return;
	}
	for (size_t i = 0; i < (nsids ? nsids : 1); i++) {
		a.sid = nsids ? json_string_value(json_array_get(sids, i))
			      : sid;
		if (a.sid == NULL || a.sid[0] == '\0') {
			http_reply_err(r, 400, "%s: invalid node ID in "
			    "\"sids\"", a.action);
			json_decref(j);
			return;
		}
		ais_err err = hca_call(r->node, &a, reb, sizeof(reb), did,
		    sizeof(did), errbuf, sizeof(errbuf));
		if (err != AIS_OK) {
			http_reply_err(r, hca_status(err), "%s", errbuf);
			json_decref(j);
			return;
		}
	}
	json_decref(j);
	http_reply(r, 200, "text/plain; charset=utf-8", reb, strlen(reb), NULL);
}

/* PUT /v1/cluster/proxy/<id> */
static void
hca_set_primary(http_req *r, const char *id)
{
	char reb[64], did[AIS_ID_MAX + 1], errbuf[512] = "";
	hca_args a = { 0 };
	if (http_query_get(&r->query, "frc") != NULL &&
	    strcmp(http_query_get(&r->query, "frc"), "true") == 0) {
		http_reply_err(r, 400, "forced primary change (frc=true) is "
		    "not supported: elections are quorum-based");
		return;
	}
	a.action = "set-primary";
	a.sid = id;
	ais_err err = hca_call(r->node, &a, reb, sizeof(reb), did, sizeof(did),
	    errbuf, sizeof(errbuf));
	if (err != AIS_OK) {
		http_reply_err(r, hca_status(err), "%s", errbuf);
		return;
	}
	http_reply(r, 200, NULL, NULL, 0, NULL);
}

/* POST /v1/cluster/join-by-admin */
static void
hca_join(http_req *r)
{
	char reb[64] = "", did[AIS_ID_MAX + 1] = "", errbuf[512] = "";
	hca_args a = { 0 };
	json_error_t jerr;
	json_t *j = json_loadb(r->body, r->body_len, 0, &jerr);
	if (j == NULL || !json_is_object(j)) {
		http_reply_err(r, 400, "invalid Snode JSON in request body: %s",
		    j ? "not an object" : jerr.text);
		json_decref(j);
		return;
	}
	json_decref(j);
	a.action = "join-by-admin";
	a.snode_json = r->body;
	const char *fl = http_req_header(r, "Ais-Node-Flags");
	if (fl != NULL && fl[0] != '\0') {
		char *end = NULL;
		unsigned long long f = strtoull(fl, &end, 10);
		if (end == NULL || *end != '\0') {
			http_reply_err(r, 400, "invalid Ais-Node-Flags \"%s\"",
			    fl);
			return;
		}
		a.flags = f;
	}
	ais_err err = hca_call(r->node, &a, reb, sizeof(reb), did, sizeof(did),
	    errbuf, sizeof(errbuf));
	if (err != AIS_OK) {
		http_reply_err(r, hca_status(err), "%s", errbuf);
		return;
	}
	json_t *o = json_pack("{s:s,s:s}", "daemon_id", did, "rebalance_id",
	    reb);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (s == NULL) {
		http_reply_err(r, 500, "out of memory");
		return;
	}
	http_reply_take(r, 200, "application/json", s, strlen(s), NULL);
}

void
http_cluster_admin(http_req *r)
{
	const http_path *p = &r->path;
	const char *seg = p->nsegs >= 3 ? p->segs[2] : NULL;
	if (r->node->role != AIS_ROLE_PROXY) {
		http_reply_err(r, 400, "cluster admin goes to a proxy, not "
		    "target %s", r->node->self.id);
		return;
	}
	if (r->method == HTTP_M_PUT && seg == NULL) {
		hca_actmsg(r);
	} else if (r->method == HTTP_M_PUT && strncmp(seg, "proxy/", 6) == 0 &&
	    seg[6] != '\0' && strchr(seg + 6, '/') == NULL) {
		/* the router keeps the rest of the path in the last segment */
		hca_set_primary(r, seg + 6);
	} else if (r->method == HTTP_M_POST && seg != NULL &&
	    strcmp(seg, "join-by-admin") == 0) {
		hca_join(r);
	} else {
		http_reply_err(r, 400, "invalid %s /v1/cluster request %s",
		    r->method_str, r->url_path);
	}
}
