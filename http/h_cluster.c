/*
 * GET /v1/cluster?what=... (spec native-api.md section 2.4): cluster-wide
 * queries. For now the metadata every node holds -- Smap, BMD, this node's
 * Snode and the cluster config (without the node-local keys) -- answered
 * from the local snapshots, the same way /v1/daemon does. Queries that need
 * every node (stats, sysinfo) and the admin methods come later; job queries
 * (status, status_all, running_all, qryxstats) are answered by h_jobs.c.
 */
#include <string.h>

#include "http/mountpaths.h"
#include "http/server.h"

void
http_h_cluster(http_req *r)
{
	const char *what = http_query_get(&r->query, "what");

	if (r->method != HTTP_M_GET) {
		http_cluster_admin(r);
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
	case HTTP_WHAT_CLUSTER_CONFIG:
		http_daemon_config(r, false);
		return;
	default:
		break;
	}
	if (what != NULL && strcmp(what, "mountpaths") == 0) {
		http_mountpaths_cluster(r); /* h_mountpaths.c */
		return;
	}
	if (what != NULL && (strcmp(what, "status") == 0 ||
	    strcmp(what, "status_all") == 0 ||
	    strcmp(what, "running_all") == 0 ||
	    strcmp(what, "qryxstats") == 0)) {
		http_jobs_query(r, what); /* h_jobs.c */
		return;
	}
	{
		http_reply_err(r, 400, "unrecognized 'what=%s'",
		    what == NULL ? "" : what);
		return;
	}
}
