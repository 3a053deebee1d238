/*
 * One merged listing page of a bucket, as a proxy builds it: the same list
 * request to every target (http/httpc.h fan-out, msgpack pages), decoded,
 * merged by name, cut to the page size, the continuation token set to the
 * last name iff the page is full. Shared by the native listing (h_list.c)
 * and the S3 listings (s3/s3_list.c).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/node/node.h"
#include "core/log.h"
#include "http/httpc.h"
#include "http/lso.h"

#define LSO_FANOUT_TIMEOUT_MS 60000

ais_err
http_lso_cluster_page(struct ais_node *n, const char *provider, const char *ns,
    const char *bucket, const char *cname, const http_lso_msg *m,
    http_lso_page *out, int *status, char *eb, size_t el)
{
	static const char *const hdrs[] = { "Accept: application/msgpack",
		NULL };
	char path[AIS_BCK_NAME_MAX + 300];
	char ns_esc[240];
	http_lso_page *pages = NULL;
	const http_lso_page **in = NULL;
	http_fanout f;
	ais_err err;

	memset(&f, 0, sizeof(f));
	*status = 500;
	if (ns[0] != '\0' && http_client_escape(ns, ns_esc, sizeof(ns_esc))) {
		snprintf(path, sizeof(path),
		    "/v1/buckets/%s?provider=%s&namespace=%s", bucket, provider,
		    ns_esc);
	} else {
		snprintf(path, sizeof(path), "/v1/buckets/%s?provider=%s",
		    bucket, provider);
	}
	json_t *value = http_lso_msg_to_json(m);
	json_t *act = value == NULL ? NULL
				    : json_pack("{s:s,s:s,s:o}", "action",
					  "list", "name", "", "value", value);
	char *body = act == NULL ? NULL : json_dumps(act, JSON_COMPACT);
	json_decref(act);
	if (body == NULL) {
		snprintf(eb, el, "list %s: out of memory", cname);
		return AIS_ENOMEM;
	}
	err = http_fanout_run(n, "GET", path, body, strlen(body), hdrs,
	    LSO_FANOUT_TIMEOUT_MS, &f);
	free(body);
	if (err != AIS_OK) {
		snprintf(eb, el, "list %s: %s", cname,
		    err == AIS_EAGAIN ? "cluster map not ready yet"
				      : ais_strerror(err));
		*status = err == AIS_EAGAIN ? 503 : 500;
		return err;
	}
	pages = calloc(f.n == 0 ? 1 : f.n, sizeof(*pages));
	in = calloc(f.n == 0 ? 1 : f.n, sizeof(*in));
	if (pages == NULL || in == NULL) {
		snprintf(eb, el, "list %s: out of memory", cname);
		err = AIS_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < f.n; i++) {
		http_lso_page_init(&pages[i]);
		in[i] = &pages[i];
	}
	for (size_t i = 0; i < f.n; i++) {
		http_creq *c = &f.reqs[i];
		char why[400];

		if (c->err != AIS_OK || c->status != 200) {
			http_creq_errmsg(c, why, sizeof(why));
			AIS_LOGW("AIS-LSO-FANOUT", "list %s: t[%s]: %s", cname,
			    f.smap->targets[i].id, why);
			if (c->err == AIS_OK && c->status >= 400 &&
			    c->status < 500) {
				/* The target's own verdict (e.g. 404). */
				snprintf(eb, el, "%s", why);
				*status = c->status;
				err = c->status == 404 ? AIS_ENOENT
						       : AIS_EINVAL;
			} else {
				snprintf(eb, el,
				    "list %s: target t[%s] failed: %s", cname,
				    f.smap->targets[i].id, why);
				*status = 503;
				err = AIS_EAGAIN;
			}
			goto out;
		}
		err = http_lso_decode_msgpack(c->resp, c->resp_len, &pages[i]);
		if (err != AIS_OK) {
			snprintf(eb, el, "list %s: bad page from t[%s]: %s",
			    cname, f.smap->targets[i].id, ais_strerror(err));
			err = AIS_EINTERNAL;
			goto out;
		}
		http_creq_fini(c); /* the decoded copy is enough */
	}
	err = http_lso_merge(in, f.n, m->pagesize, out);
	if (err != AIS_OK) {
		snprintf(eb, el, "list %s: cannot merge the targets' pages: %s",
		    cname, ais_strerror(err));
		err = AIS_EINTERNAL;
		goto out;
	}
	snprintf(out->uuid, sizeof(out->uuid), "%s", m->uuid);
	out->token[0] = '\0';
	if (out->n == m->pagesize && out->n > 0) {
		snprintf(out->token, sizeof(out->token), "%s",
		    out->ents[out->n - 1].name);
	}
	*status = 200;
out:
	for (size_t i = 0; pages != NULL && i < f.n; i++) {
		http_lso_page_fini(&pages[i]);
	}
	free(pages);
	free(in);
	http_fanout_fini(&f);
	return err;
}
