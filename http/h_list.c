/*
 * GET /v1/buckets/<b> with {"action":"list","value":LsoMsg} (spec
 * native-api.md section 4): list the objects of an ais:// bucket, one page
 * per request.
 *
 * Proxy: checks the bucket in its BMD, gives the listing a uuid on the
 * first page, asks every target in parallel for its own page after the
 * same token, merges the pages by name, truncates to the page size and
 * sets the continuation token (the last name iff the page is full). The
 * answer is JSON, or MessagePack when the client sends
 * "Accept: application/msgpack".
 *
 * Intra-cluster request (proxy -> each target): the same route,
 *   GET <target>/v1/buckets/<b>?provider=ais[&namespace=...]
 *   Ais-Caller-Id: <proxy id>          (informational)
 *   Accept: application/msgpack
 *   {"action":"list","name":"","value":<LsoMsg with the uuid, the
 *    effective props, the page size and the token>}
 * A target always answers a listing with its own page -- built by walking
 * its mountpaths in sorted order (http/lso_walk.c) -- whoever asks, so a
 * client talking to a target directly sees that target's objects only.
 * The target does not consult its BMD: the proxy has, and a target's BMD
 * may trail the proxy's by a metasync.
 *
 * Both sides block their HTTP worker thread: the target on its disks, the
 * proxy on the fan-out (bounded by a minute: lso_fanout.c).
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bmd.h"
#include "core/fqn.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xreg.h"
#include "http/httpc.h"
#include "http/lso.h"
#include "http/server.h"

#define HL_CT_JSON         "application/json"
#define HL_CT_MSGPACK      "application/msgpack"

/* The bucket of the request: provider (ais), namespace uname ("" global,
 * "@#name") and name; h_buckets.c has validated all three. */
typedef struct hl_bck {
	const char *provider;
	char ns[80];
	char name[AIS_BCK_NAME_MAX + 1];
	char cname[AIS_BCK_NAME_MAX + 100];
} hl_bck;

static bool
hl_bck_parse(http_req *r, hl_bck *b)
{
	const char *p = http_query_get(&r->query, "provider");
	const char *q = http_query_get(&r->query, "namespace");
	const char *seg = r->path.nsegs >= 3 ? r->path.segs[2] : "";

	memset(b, 0, sizeof(*b));
	b->provider = ais_provider_norm(p);
	if (b->provider == NULL) {
		http_reply_err(r, 400, "invalid backend provider \"%s\"", p);
		return false;
	}
	if (q != NULL && q[0] != '\0' && strcmp(q, "@#") != 0) {
		snprintf(
		    b->ns, sizeof(b->ns), "%s%s", q[0] == '@' ? "" : "@", q);
	}
	if (seg[0] == '\0' || strlen(seg) > AIS_BCK_NAME_MAX
	    || ais_bckname_check(seg) != AIS_OK) {
		http_reply_err(r, 400, "invalid bucket name \"%s\"", seg);
		return false;
	}
	snprintf(b->name, sizeof(b->name), "%s", seg);
	http_lso_cname(
	    b->provider, b->ns, b->name, b->cname, sizeof(b->cname));
	return true;
}

/* The LsoMsg of the body (an absent body or value = all defaults). */
static bool
hl_msg_parse(http_req *r, http_lso_msg *m)
{
	json_t *msg = NULL;
	json_error_t jerr;
	char eb[256];
	ais_err err;

	if (r->body_len > 0) {
		msg = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, &jerr);
		if (msg == NULL) {
			http_reply_err(r, 400,
			    "invalid JSON in request body: %s", jerr.text);
			return false;
		}
	}
	err = http_lso_msg_parse(
	    json_is_object(msg) ? ais_json_get_ci(msg, "value") : NULL, m, eb,
	    sizeof(eb));
	json_decref(msg);
	if (err != AIS_OK) {
		http_reply_err(r, 400, "%s", eb);
		return false;
	}
	return true;
}

static bool
hl_wants_msgpack(http_req *r)
{
	const char *a = http_req_header(r, "Accept");

	return a != NULL && strstr(a, HL_CT_MSGPACK) != NULL;
}

static void
hl_reply_page(http_req *r, const http_lso_page *p)
{
	char *body = NULL;
	size_t len = 0;
	bool mp = hl_wants_msgpack(r);
	ais_err err = mp ? http_lso_encode_msgpack(p, &body, &len)
	                 : http_lso_encode_json(p, &body, &len);

	if (err != AIS_OK) {
		http_reply_aerr(
		    r, err, "list-objects: cannot encode the page");
		return;
	}
	http_reply_take(
	    r, 200, mp ? HL_CT_MSGPACK : HL_CT_JSON, body, len, NULL);
}

/* Target: this node's page ------------------------------------------------ */

static void
hl_target(http_req *r, const hl_bck *b, const http_lso_msg *m)
{
	ais_node *n = r->node;
	const char *roots[AIS_MAX_MPATHS];
	const char *mps[AIS_MAX_MPATHS];
	char *buf;
	size_t nroots = 0;
	http_lso_page page;
	ais_err err;

	const ais_mpset *mset = ais_node_mpset(n);
	/* waiting_dd mountpaths still hold objects resilver has not moved */
	size_t nmp = mset->n + mset->nwaiting;
	buf = http_req_alloc(r, (nmp == 0 ? 1 : nmp) * PATH_MAX);
	if (buf == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < nmp && i < AIS_MAX_MPATHS; i++) {
		char *dir = buf + i * PATH_MAX;
		size_t dl;

		if (ais_bck_dir(dir, PATH_MAX - 8, mset->avail[i].path,
		        b->provider, b->ns, b->name)
		    != AIS_OK) {
			continue;
		}
		dl = strlen(dir);
		snprintf(dir + dl, PATH_MAX - dl, "/%s", AIS_CT_OBJ);
		roots[nroots] = dir;
		mps[nroots] = mset->avail[i].path;
		nroots++;
	}
	http_lso_page_init(&page);
	err = http_lso_tgt_page(roots, mps, nroots, n->self.id, m, &page);
	if (err != AIS_OK) {
		http_lso_page_fini(&page);
		AIS_LOGW("AIS-LSO-WALK", "list %s: %s", b->cname,
		    ais_strerror(err));
		http_reply_aerr(r, err, "t[%s]: failed to list %s: %s",
		    n->self.id, b->cname, ais_strerror(err));
		return;
	}
	hl_reply_page(r, &page);
	http_lso_page_fini(&page);
}

/* Proxy: fan-out and merge ------------------------------------------------ */

static bool
hl_bucket_exists(http_req *r, const hl_bck *b)
{
	ais_bmd *bmd = ais_node_bmd(r->node);
	bool have;

	if (bmd == NULL) {
		http_reply_err(
		    r, 503, "%s: cluster metadata not ready yet", b->cname);
		return false;
	}
	have = ais_bmd_get(bmd, b->provider, b->ns, b->name) != NULL;
	ais_bmd_rele(bmd);
	if (!have) {
		http_reply_err(
		    r, 404, "bucket \"%s\" does not exist", b->cname);
		return false;
	}
	return true;
}

static void
hl_proxy(http_req *r, const hl_bck *b, http_lso_msg *m)
{
	http_lso_page out;
	char eb[512];
	int status;

	if (!hl_bucket_exists(r, b)) {
		return;
	}
	if (m->uuid[0] == '\0') {
		char id[AIS_XACT_ID_LEN + 1];

		ais_xact_id_new(id);
		snprintf(m->uuid, sizeof(m->uuid), "%s", id);
	}
	http_lso_page_init(&out);
	if (http_lso_cluster_page(r->node, b->provider, b->ns, b->name,
		b->cname, m, &out, &status, eb, sizeof(eb)) != AIS_OK) {
		http_reply_err(r, status, "%s", eb);
	} else {
		hl_reply_page(r, &out);
	}
	http_lso_page_fini(&out);
}

void
http_list_objects(http_req *r)
{
	hl_bck b;
	http_lso_msg *m;

	if (!hl_bck_parse(r, &b)) {
		return;
	}
	/* ~4 KiB of names: off the stack of an MHD thread */
	m = http_req_alloc(r, sizeof(*m));
	if (m == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "out of memory");
		return;
	}
	if (!hl_msg_parse(r, m)) {
		return;
	}
	if (strcmp(b.provider, "ais") != 0) {
		http_reply_err(r, 501,
		    "list %s: remote buckets are not supported yet", b.cname);
		return;
	}
	if (r->node->role == AIS_ROLE_TARGET) {
		hl_target(r, &b, m);
	} else {
		hl_proxy(r, &b, m);
	}
}
