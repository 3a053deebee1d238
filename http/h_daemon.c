/*
 * GET /v1/daemon?what=... (spec native-api.md section 2.2): what this node
 * knows -- its Smap, BMD, own Snode, config and (targets) mountpaths; and
 * PUT|POST|DELETE /v1/daemon/mountpaths (h_mountpaths.c). Also the
 * metadata answers /v1/cluster shares (h_cluster.c): each reads the
 * published snapshot once, renders it as the AIS wire JSON and releases it
 * before replying, so a metasync installing a new version never waits on
 * a client.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "http/mountpaths.h"
#include "http/reply.h"
#include "http/server.h"

#define HTTP_JSON     "application/json"
#define HTTP_CENSORED "**********"

void
http_daemon_smap(http_req *r)
{
	ais_smap *m = ais_node_smap(r->node);
	char *txt;

	if (m == NULL) {
		http_reply_err(r, 503, "cluster map is not available yet");
		return;
	}
	txt = ais_smap_dumps(m);
	ais_smap_rele(m);
	if (txt == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "cannot render cluster map");
		return;
	}
	http_reply_take(r, 200, HTTP_JSON, txt, strlen(txt), NULL);
}

void
http_daemon_bmd(http_req *r)
{
	ais_bmd *b = ais_node_bmd(r->node);
	char *txt;

	if (b == NULL) {
		http_reply_err(r, 503, "bucket metadata is not available yet");
		return;
	}
	txt = ais_bmd_dumps(b);
	ais_bmd_rele(b);
	if (txt == NULL) {
		http_reply_aerr(
		    r, AIS_ENOMEM, "cannot render bucket metadata");
		return;
	}
	http_reply_take(r, 200, HTTP_JSON, txt, strlen(txt), NULL);
}

/* Compact text of j (consumed); NULL on ENOMEM. */
static char *
http_daemon_dump(json_t *j)
{
	char *txt = NULL;

	if (j != NULL) {
		txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(j);
	}
	return txt;
}

void
http_daemon_snode(http_req *r)
{
	char *txt = http_daemon_dump(ais_snode_to_json(&r->node->self));

	if (txt == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "cannot render node info");
		return;
	}
	http_reply_take(r, 200, HTTP_JSON, txt, strlen(txt), NULL);
}

/* Secrets never leave the node: auth.signature.key is shown censored, as
 * AIS does on every config GET, and so are the S3 secret keys (s3.keys
 * maps access key -> secret; the access keys stay visible). */
static void
http_daemon_censor(json_t *root)
{
	json_t *sig
	    = json_object_get(json_object_get(root, "auth"), "signature");
	json_t *key = json_object_get(sig, "key");
	json_t *s3keys = json_object_get(json_object_get(root, "s3"), "keys");
	const char *ak;
	json_t *sk;

	if (json_is_string(key) && json_string_length(key) > 0) {
		json_object_set_new(sig, "key", json_string(HTTP_CENSORED));
	}
	json_object_foreach(s3keys, ak, sk) {
		json_object_set_new(s3keys, ak, json_string(HTTP_CENSORED));
	}
}

void
http_daemon_config(http_req *r, bool with_local)
{
	ais_cconfig *cc = ais_node_ccfg(r->node);
	json_t *j;
	char *txt;

	if (cc == NULL || cc->root == NULL) {
		ais_cconfig_rele(cc);
		http_reply_err(r, 503, "cluster config is not available yet");
		return;
	}
	/* A private copy: the snapshot is shared and immutable. */
	j = json_deep_copy(cc->root);
	ais_cconfig_rele(cc);
	if (j == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "cannot render config");
		return;
	}
	http_daemon_censor(j);
	if (with_local) {
		json_t *loc = ais_local_config_to_json(&r->node->lcfg);

		/* Local keys (confdir, log_dir, host_net, fspaths,
		 * test_fspaths) sit at the top level next to the cluster
		 * sections, as in AIS's combined Config. */
		if (loc == NULL || json_object_update(j, loc) != 0) {
			json_decref(loc);
			json_decref(j);
			http_reply_aerr(r, AIS_ENOMEM, "cannot render config");
			return;
		}
		json_decref(loc);
	}
	txt = http_daemon_dump(j);
	if (txt == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "cannot render config");
		return;
	}
	http_reply_take(r, 200, HTTP_JSON, txt, strlen(txt), NULL);
}

void
http_h_daemon(http_req *r)
{
	const char *what = http_query_get(&r->query, "what");
	const char *sub = r->path.nsegs > 2 ? r->path.segs[2] : "";

	/* Per-node admin: only mountpaths so far (h_mountpaths.c). */
	if (strcmp(sub, "mountpaths") == 0 && r->method != HTTP_M_GET) {
		http_mountpaths_admin(r);
		return;
	}
	if (sub[0] != '\0') {
		http_reply_err(r, 404, "invalid route %s", r->url_path);
		return;
	}
	if (r->method != HTTP_M_GET) {
		http_reply_err(r, 400,
		    "%s /v1/daemon: per-node admin other than "
		    "/v1/daemon/mountpaths is not supported yet",
		    r->method_str);
		return;
	}
	if (what != NULL && strcmp(what, "mountpaths") == 0) {
		http_mountpaths_get(r);
		return;
	}
	switch (http_what_parse(what)) {
	case HTTP_WHAT_SMAP:
		http_daemon_smap(r);
		return;
	case HTTP_WHAT_BMD:
		http_daemon_bmd(r);
		return;
	case HTTP_WHAT_SNODE:
		http_daemon_snode(r);
		return;
	case HTTP_WHAT_CONFIG:
		http_daemon_config(r, true);
		return;
	default:
		http_reply_err(r, 400, "unrecognized 'what=%s'",
		    what == NULL ? "" : what);
		return;
	}
}
