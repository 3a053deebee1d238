/*
 * GET /v1/cluster?what=... (spec native-api.md section 2.4): cluster-wide
 * queries. For now the metadata every node holds -- Smap, BMD, this node's
 * Snode and the cluster config (without the node-local keys) -- answered
 * from the local snapshots, the same way /v1/daemon does. Queries that need
 * every node (stats, sysinfo, job status) and the admin methods come later.
 */
#include "http/server.h"

void
http_h_cluster(http_req *r)
{
	const char *what = http_query_get(&r->query, "what");

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
	case HTTP_WHAT_CLUSTER_CONFIG:
		http_daemon_config(r, false);
		return;
	default:
		http_reply_err(r, 400, "unrecognized 'what=%s'",
		    what == NULL ? "" : what);
		return;
	}
}
