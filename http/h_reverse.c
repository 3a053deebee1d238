/*
 * /v1/reverse/daemon[/...] with header Ais-Node-Id (spec native-api.md
 * section 2.3): a proxy forwards the request -- method, the path without
 * "reverse", query, body, Content-Type and Accept -- to that node's public
 * URL and relays the status, Content-Type and body. Clients use it for
 * per-node queries and admin (mountpaths, config) when they only reach
 * the proxies. Missing header -> 400; a node not in the Smap -> 404; no
 * answer from the node -> 503. Answers are buffered (bounded by the
 * client's limit): daemon queries are small.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "http/httpc.h"
#include "http/router.h"
#include "http/server.h"

#define HR_TIMEOUT_MS 30000
#define HR_HDR_MAX    256

/* The raw path after "/v1/reverse" ("/daemon/..."), or NULL. */
static const char *
hr_rest(const char *raw)
{
	const char *p = raw;

	for (int seg = 0; seg < 2; seg++) {
		while (*p == '/') {
			p++;
		}
		p += strcspn(p, "/");
	}
	return *p == '/' ? p : NULL;
}

void
http_h_reverse(http_req *r)
{
	const char *nid = http_req_header(r, "Ais-Node-Id");
	const char *rest = hr_rest(r->path_raw);
	const char *ct = http_req_header(r, "Content-Type");
	const char *acc = http_req_header(r, "Accept");
	char hct[HR_HDR_MAX], hacc[HR_HDR_MAX], hcaller[HR_HDR_MAX];
	http_creq q = { 0 };
	char *url = NULL;
	size_t k = 0;

	if (r->node->role != AIS_ROLE_PROXY) {
		http_reply_err(r, 400,
		    "invalid route %s: t[%s] is a target (reverse requests "
		    "go to proxies)",
		    r->url_path, r->node->self.id);
		return;
	}
	if (r->path.nsegs < 3 || rest == NULL
	    || (strcmp(r->path.segs[2], "daemon") != 0
	        && strncmp(r->path.segs[2], "daemon/", 7) != 0)) {
		http_reply_err(r, 400,
		    "invalid reverse path %s (expected /v1/reverse/daemon...)",
		    r->url_path);
		return;
	}
	if (nid == NULL || nid[0] == '\0') {
		http_reply_err(
		    r, 400, "%s: missing Ais-Node-Id header", r->url_path);
		return;
	}
	ais_smap *m = ais_node_smap(r->node);
	const ais_snode *sn = m ? ais_smap_get(m, nid) : NULL;
	if (sn == NULL) {
		http_reply_err(r, 404,
		    "node \"%s\" does not exist (Smap v%lld)", nid,
		    m ? (long long) m->version : 0LL);
		ais_smap_rele(m);
		return;
	}
	size_t ul = strlen(sn->pub.url) + 3 + strlen(rest) + 2
	    + strlen(r->query_raw ? r->query_raw : "");
	url = malloc(ul);
	if (url != NULL) {
		snprintf(url, ul, "%s/v1%s%s%s", sn->pub.url, rest,
		    r->query_raw && r->query_raw[0] ? "?" : "",
		    r->query_raw ? r->query_raw : "");
	}
	ais_smap_rele(m);
	if (url == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "out of memory");
		return;
	}
	q.method = r->method_str;
	q.url = url;
	q.body = r->body_len > 0 ? r->body : NULL;
	q.body_len = r->body_len;
	snprintf(
	    hcaller, sizeof(hcaller), "Ais-Caller-Id: %s", r->node->self.id);
	q.hdrs[k++] = hcaller;
	if (ct != NULL
	    && snprintf(hct, sizeof(hct), "Content-Type: %s", ct)
	        < (int) sizeof(hct)) {
		q.hdrs[k++] = hct;
	}
	if (acc != NULL
	    && snprintf(hacc, sizeof(hacc), "Accept: %s", acc)
	        < (int) sizeof(hacc)) {
		q.hdrs[k++] = hacc;
	}
	q.hdrs[k] = NULL;
	if (http_client_run(&q, 1, HR_TIMEOUT_MS) != AIS_OK
	    || q.err != AIS_OK) {
		char why[300];
		http_creq_errmsg(&q, why, sizeof(why));
		http_reply_err(r, 503, "node %s did not answer %s %s: %s", nid,
		    r->method_str, url, why);
		http_creq_fini(&q);
		free(url);
		return;
	}
	free(url);
	/* The body goes back as it came (an AIS error JSON included). */
	http_reply_take(r, q.status, q.ctype[0] ? q.ctype : NULL, q.resp,
	    q.resp_len, NULL);
	q.resp = NULL;
	http_creq_fini(&q);
}
