/*
 * Mountpaths over HTTP (routes in mountpaths.h; spec native-api.md
 * sections 2.2, 2.4, 2.5). Reads come from the published mountpath set;
 * changes go to the target's "mpath" actor (actors/node/mpath.h), which
 * validates, persists, publishes and starts the resilver, and answers with
 * a status and a message that http/ only maps to an HTTP status.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/node/node.h"
#include "core/log.h"
#include "core/mpset.h"
#include "http/httpc.h"
#include "http/mountpaths.h"
#include "proto/msg.h"

#define HM_JSON      "application/json"
#define HM_TEXT      "text/plain; charset=utf-8"
#define HM_CALL_MS   10000
#define HM_FANOUT_MS 10000

static bool
hm_is_target(http_req *r, const char *what)
{
	if (r->node->role == AIS_ROLE_TARGET) {
		return true;
	}
	http_reply_err(r, 400,
	    "%s: p[%s] is a proxy (mountpaths belong to "
	    "targets)",
	    what, r->node->self.id);
	return false;
}

void
http_mountpaths_get(http_req *r)
{
	json_t *j;
	char *txt;

	if (!hm_is_target(r, "what=mountpaths")) {
		return;
	}
	j = ais_mpset_to_json(ais_node_mpset(r->node));
	txt = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (txt == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "cannot render mountpaths");
		return;
	}
	http_reply_take(r, 200, HM_JSON, txt, strlen(txt), NULL);
}

void
http_mountpaths_cluster(http_req *r)
{
	http_fanout f = { 0 };
	json_t *all = json_object();
	char *txt = NULL;
	ais_err err;

	if (all == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "out of memory");
		return;
	}
	err = http_fanout_run(r->node, "GET", "/v1/daemon?what=mountpaths",
	    NULL, 0, NULL, HM_FANOUT_MS, &f);
	if (err != AIS_OK) {
		json_decref(all);
		http_reply_aerr(r, err, "mountpaths: %s",
		    err == AIS_EAGAIN ? "cluster map not ready yet"
		                      : ais_strerror(err));
		return;
	}
	for (size_t i = 0; i < f.n; i++) {
		const http_creq *c = &f.reqs[i];
		const char *tid = f.smap->targets[i].id;
		json_t *ml = NULL;

		if (c->err == AIS_OK && c->status == 200) {
			ml = json_loadb(c->resp, c->resp_len, 0, NULL);
		}
		if (ml == NULL) {
			char why[300];
			http_creq_errmsg(c, why, sizeof(why));
			http_fanout_fini(&f);
			json_decref(all);
			http_reply_err(
			    r, 503, "mountpaths of t[%s]: %s", tid, why);
			return;
		}
		json_object_set_new(all, tid, ml);
	}
	http_fanout_fini(&f);
	txt = json_dumps(all, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(all);
	if (txt == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "cannot render mountpaths");
		return;
	}
	http_reply_take(r, 200, HM_JSON, txt, strlen(txt), NULL);
}

/* The ActMsg body: action and the mountpath (value). 400 and false on a
 * bad one; *action and *path point into *msg (decref it). */
static bool
hm_parse(http_req *r, json_t **msg, const char **action, const char **path)
{
	json_error_t jerr;
	json_t *v;

	*msg = NULL;
	if (r->body_len == 0) {
		http_reply_err(r, 400,
		    "mountpaths: missing ActMsg body {\"action\": ..., "
		    "\"value\": \"<mountpath>\"}");
		return false;
	}
	*msg = json_loadb(r->body, r->body_len, 0, &jerr);
	if (*msg == NULL || !json_is_object(*msg)) {
		http_reply_err(r, 400, "mountpaths: invalid ActMsg: %s",
		    *msg == NULL ? jerr.text : "not a JSON object");
		json_decref(*msg);
		*msg = NULL;
		return false;
	}
	*action = json_string_value(json_object_get(*msg, "action"));
	v = json_object_get(*msg, "value");
	*path = json_string_value(v);
	if (*action == NULL || (*action)[0] == '\0') {
		http_reply_err(r, 400, "mountpaths: missing action");
		goto bad;
	}
	if (*path == NULL || (*path)[0] == '\0') {
		http_reply_err(r, 400,
		    "%s: invalid mountpath value (expected a non-empty "
		    "string)",
		    *action);
		goto bad;
	}
	return true;
bad:
	json_decref(*msg);
	*msg = NULL;
	return false;
}

void
http_mountpaths_admin(http_req *r)
{
	Ais__MpathReq rq = AIS__MPATH_REQ__INIT;
	act_reply_buf rep = { 0 };
	const char *action, *path;
	json_t *msg;
	uint8_t *buf;
	size_t len;
	ais_err err;

	if (!hm_is_target(r, "mountpaths")
	    || !hm_parse(r, &msg, &action, &path)) {
		return;
	}
	rq.action = (char *) action;
	rq.path = (char *) path;
	rq.label = (char *) http_query_get(&r->query, "mountpath_label");
	rq.dont_resilver = http_query_bool(&r->query, "dntres");
	len = ais__mpath_req__get_packed_size(&rq);
	buf = malloc(len ? len : 1);
	if (buf == NULL) {
		json_decref(msg);
		http_reply_aerr(r, AIS_ENOMEM, "out of memory");
		return;
	}
	ais__mpath_req__pack(&rq, buf);
	err = act_call(r->node->rt, NULL, AIS_ACTOR_MPATH, AIS_MSG_MPATH_REQ,
	    buf, len, HM_CALL_MS, &rep);
	free(buf);
	if (err != AIS_OK) {
		http_reply_aerr(r, err,
		    "%s %s: mountpath actor did not answer: %s", action, path,
		    ais_strerror(err));
		json_decref(msg);
		return;
	}
	if (rep.status != AIS_OK) {
		http_reply_aerr(r, rep.status, "t[%s]: %s", r->node->self.id,
		    rep.errmsg ? rep.errmsg : ais_strerror(rep.status));
		act_reply_buf_fini(&rep);
		json_decref(msg);
		return;
	}
	Ais__MpathResp *resp
	    = ais__mpath_resp__unpack(NULL, rep.len, rep.data);
	act_reply_buf_fini(&rep);
	json_decref(msg);
	if (resp == NULL) {
		http_reply_err(r, 500, "bad reply from the mountpath actor");
		return;
	}
	const char *id = resp->resilver_id ? resp->resilver_id : "";
	http_reply(r, 200, HM_TEXT, id, strlen(id), NULL);
	ais__mpath_resp__free_unpacked(resp, NULL);
}
