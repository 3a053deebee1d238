/*
 * dSort job API on proxies (spec native-api.md section 10):
 *   POST   /v1/sort                 body = request spec -> job ID (text)
 *   GET    /v1/sort?uuid=<id>       -> {"<tid>": JobInfo, ...}
 *   GET    /v1/sort[?regex=&only_active=true]  -> [JobInfo, ...]
 *   DELETE /v1/sort/abort?uuid=<id> -> abort on every target
 *   DELETE /v1/sort?uuid=<id>       -> remove a finished job's state
 *
 * A thin forwarder (STYLE.md section 1: http/ never calls dsort_*): the
 * request's method, path rest, query and body go to the proxy's own
 * "dsort" actor (dsort/proxy.c) as AIS_MSG_DSORT_API_REQ, and its
 * DsortApiResp (HTTP status, content type, body -- the AIS error JSON on
 * errors) is relayed as is. Targets answer 400 here, as AIS does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/node/node.h"
#include "actors/node/bck_client.h"
#include "http/server.h"
#include "proto/msg.h"

/* The actor may create the output bucket through the primary (up to
 * AIS_BCK_CALL_MS plus a short BMD wait) and then fan out to the targets
 * twice (start, abort on refusal), each up to the cplane timeout. */
static int
hs_call_ms(ais_node *n)
{
	return AIS_BCK_CALL_MS + 5000 + 3 * (int) ais_node_cplane_ms(n);
}

void
http_h_sort(http_req *r)
{
	static const char *const nosniff[]
	    = { "X-Content-Type-Options", "nosniff", NULL };
	const char *rest = r->path.nsegs > 2 ? r->path.segs[2] : "";
	const char *uuid = http_query_get(&r->query, "uuid");
	const char *rx = http_query_get(&r->query, "regex");
	Ais__DsortApiReq rq = AIS__DSORT_API_REQ__INIT;
	Ais__DsortApiResp *rs;
	act_reply_buf rep = { 0 };
	uint8_t *buf;
	size_t len;
	ais_err err;

	if (r->node->role != AIS_ROLE_PROXY) {
		http_reply_err(r, 400,
		    "%s %s: dsort requests are expected to "
		    "be sent to a proxy, not to target t[%s]",
		    r->method_str, r->url_path, r->node->self.id);
		return;
	}
	rq.method = (char *) r->method_str;
	rq.rest = (char *) rest;
	rq.has_uuid = uuid != NULL;
	rq.uuid = (char *) (uuid != NULL ? uuid : "");
	rq.regex = (char *) (rx != NULL ? rx : "");
	rq.only_active = http_query_bool(&r->query, "only_active");
	rq.body.data = (uint8_t *) r->body;
	rq.body.len = r->body != NULL ? r->body_len : 0;
	rq.url_path = (char *) r->url_path;
	rq.remote_addr = r->remote;
	rq.caller = (char *) (r->caller != NULL ? r->caller : "");
	len = ais__dsort_api_req__get_packed_size(&rq);
	if ((buf = malloc(len ? len : 1)) == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "dsort: out of memory");
		return;
	}
	ais__dsort_api_req__pack(&rq, buf);
	err = act_call(r->node->rt, NULL, AIS_ACTOR_DSORT,
	    AIS_MSG_DSORT_API_REQ, buf, len, hs_call_ms(r->node), &rep);
	free(buf);
	if (err != AIS_OK) {
		http_reply_aerr(
		    r, err, "dsort: no answer: %s", ais_strerror(err));
		return;
	}
	if (rep.status != AIS_OK) {
		http_reply_aerr(r, rep.status, "dsort: %s",
		    rep.errmsg != NULL ? rep.errmsg
		                       : ais_strerror(rep.status));
		act_reply_buf_fini(&rep);
		return;
	}
	rs = ais__dsort_api_resp__unpack(NULL, rep.len, rep.data);
	act_reply_buf_fini(&rep);
	if (rs == NULL) {
		http_reply_err(r, 500, "dsort: malformed answer");
		return;
	}
	http_reply(r, rs->status,
	    rs->content_type[0] != '\0' ? rs->content_type : NULL,
	    rs->body.data, rs->body.len, rs->status >= 400 ? nosniff : NULL);
	ais__dsort_api_resp__free_unpacked(rs, NULL);
}
