/*
 * /v1/buckets (spec native-api.md section 3): list buckets, create and
 * destroy ais:// buckets, HEAD and PATCH their props; listing objects and
 * multi-object jobs on a bucket are dispatched to h_list.c / h_multiobj.c.
 *
 * Addressing (section 0.2): the bucket name is the path segment after
 * "buckets", the provider comes from ?provider= (default ais, aliases s3,
 * gs, az, oc) and the namespace from ?namespace=@uuid#name. Only local
 * namespaces are served: "@#name" is kept as the BMD key "@#name".
 *
 * Reads (list, HEAD) are answered from this node's BMD snapshot. Changes
 * are sent to the primary's "buckets" actor (act_call over NNG, or inproc
 * when this proxy is the primary), which owns the BMD; its reply carries
 * the new BMD version and this handler waits -- briefly, bounded -- until
 * its own node has installed that version, so a client that creates a
 * bucket and then uses it through the same proxy always finds it.
 *
 * Targets hold the same BMD but do not take bucket changes from clients:
 * they answer HEAD and listing only.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bmd.h"
#include "core/fqn.h"
#include "core/jsonx.h"
#include "actors/node/bck_client.h"
#include "http/server.h"
#include "proto/msg.h"

#define HB_JSON      "application/json"
#define HB_CNAME_MAX 200

/* The bucket a request addresses. */
typedef struct hb_bck {
	const char *provider;            /* normalized; NULL = any (listing) */
	char ns[80];                     /* "" = global, else "@#name" */
	char name[AIS_BCK_NAME_MAX + 1]; /* "" = none in the path */
	char cname[HB_CNAME_MAX];        /* ais://[#ns/]name for messages */
} hb_bck;

static const char *
hb_scheme(const char *provider)
{
	static const char *const tab[][2] = {
		{ "ais", "ais" },
		{ "aws", "s3" },
		{ "gcp", "gs" },
		{ "azure", "az" },
		{ "oci", "oc" },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(provider, tab[i][0]) == 0) {
			return tab[i][1];
		}
	}
	return provider;
}

static void
hb_cname(hb_bck *b)
{
	const char *sch = hb_scheme(b->provider ? b->provider : "ais");

	if (b->ns[0] == '\0') {
		snprintf(b->cname, sizeof(b->cname), "%s://%s", sch, b->name);
	} else {
		/* "@#prod" prints as "#prod" */
		snprintf(b->cname, sizeof(b->cname), "%s://%s/%s", sch,
		    b->ns + 1, b->name);
	}
}

/* ?provider= and ?namespace=. any: an absent/empty provider means "all"
 * (list buckets) instead of ais. Replies 400 and returns false on error. */
static bool
hb_parse_query(http_req *r, hb_bck *b, bool any)
{
	const char *p = http_query_get(&r->query, "provider");
	const char *q = http_query_get(&r->query, "namespace");

	if (p == NULL || p[0] == '\0') {
		b->provider = any ? NULL : "ais";
	} else if ((b->provider = ais_provider_norm(p)) == NULL) {
		http_reply_err(r, 400, "invalid backend provider \"%s\"", p);
		return false;
	}
	b->ns[0] = '\0';
	if (q == NULL || q[0] == '\0') {
		return true;
	}
	/* @<uuid>#<name>: one leading '@', split at the first '#'; no '#'
	 * means the whole string is the uuid. */
	const char *s = q[0] == '@' ? q + 1 : q;
	const char *hash = strchr(s, '#');
	size_t ulen = hash ? (size_t) (hash - s) : strlen(s);
	const char *nsname = hash ? hash + 1 : "";

	if (ulen > 0) {
		http_reply_err(r, 400,
		    "namespace \"%s\": buckets of remote AIS clusters are not "
		    "supported yet",
		    q);
		return false;
	}
	if (nsname[0] == '\0') {
		return true; /* "@#": the global namespace */
	}
	if (ais_bckname_check(nsname) != AIS_OK
	    || strlen(nsname) + 3 > sizeof(b->ns)) {
		http_reply_err(r, 400, "invalid namespace \"%s\"", q);
		return false;
	}
	snprintf(b->ns, sizeof(b->ns), "@#%s", nsname);
	return true;
}

/* The bucket name from the path (may be absent). HEAD may carry a prefix
 * after the name (bucket info), which is dropped. */
static bool
hb_parse_name(http_req *r, hb_bck *b)
{
	const char *seg = r->path.nsegs >= 3 ? r->path.segs[2] : "";
	size_t len = strlen(seg);
	const char *slash = strchr(seg, '/');

	if (slash != NULL && r->method == HTTP_M_HEAD) {
		len = (size_t) (slash - seg);
	}
	b->name[0] = '\0';
	if (len == 0) {
		return true;
	}
	if (len > AIS_BCK_NAME_MAX || memchr(seg, '/', len) != NULL) {
		http_reply_err(r, 400,
		    "bucket name \"%.*s\" is invalid: may only contain "
		    "letters, numbers, dashes (-), underscores (_), and dots "
		    "(.), at most %d characters",
		    (int) (len > 128 ? 128 : len), seg, AIS_BCK_NAME_MAX);
		return false;
	}
	memcpy(b->name, seg, len);
	b->name[len] = '\0';
	if (ais_bckname_check(b->name) != AIS_OK) {
		http_reply_err(r, 400,
		    "bucket name \"%s\" is invalid: may only contain letters, "
		    "numbers, dashes (-), underscores (_), and dots (.); no "
		    "\"..\" and no leading dot",
		    b->name);
		return false;
	}
	return true;
}

/* The ActMsg body, or NULL when there is none. Replies 400 and returns
 * false on malformed JSON. */
static bool
hb_parse_msg(http_req *r, json_t **out)
{
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	if (r->body_len == 0) {
		return true;
	}
	j = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, &jerr);
	if (j == NULL) {
		http_reply_err(
		    r, 400, "invalid JSON in request body: %s", jerr.text);
		return false;
	}
	if (json_is_null(j)) {
		json_decref(j);
		return true;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_reply_err(r, 400,
		    "invalid request body: expected an action message "
		    "{\"action\": ..., \"name\": ..., \"value\": ...}");
		return false;
	}
	*out = j;
	return true;
}

/* List buckets ------------------------------------------------------------ */

static json_t *
hb_bck_json(const ais_bck *k)
{
	const char *ns = k->ns;
	char uuid[80] = "";
	const char *nsname = "";

	/* "@uuid#name" -> {"uuid": uuid, "name": name} */
	if (ns[0] == '@') {
		const char *hash = strchr(ns, '#');
		size_t ulen = hash ? (size_t) (hash - ns - 1) : strlen(ns + 1);
		snprintf(uuid, sizeof(uuid), "%.*s", (int) ulen, ns + 1);
		nsname = hash ? hash + 1 : "";
	}
	return json_pack("{s:s, s:s, s:{s:s, s:s}}", "name", k->name,
	    "provider", k->provider, "namespace", "uuid", uuid, "name",
	    nsname);
}

static bool
hb_ns_eq(const char *a, const char *b)
{
	const char *x = a[0] == '\0' ? "@#" : a;
	const char *y = b[0] == '\0' ? "@#" : b;
	return strcmp(x, y) == 0;
}

/* Every bucket that matches the provider (NULL = any), the namespace (only
 * when one was asked for) and the name ("" = any). */
static void
hb_list_buckets(
    http_req *r, const hb_bck *want, bool ns_given, const char *name)
{
	ais_bmd *bmd = ais_node_bmd(r->node);
	json_t *arr = json_array();
	char *txt = NULL;

	if (bmd == NULL) {
		json_decref(arr);
		http_reply_err(r, 503, "bucket metadata is not available yet");
		return;
	}
	for (size_t i = 0; arr != NULL && i < bmd->nbcks; i++) {
		const ais_bck *k = &bmd->bcks[i];

		if ((want->provider != NULL
		        && strcmp(k->provider, want->provider) != 0)
		    || (ns_given && !hb_ns_eq(k->ns, want->ns))
		    || (name[0] != '\0' && strcmp(k->name, name) != 0)) {
			continue;
		}
		if (json_array_append_new(arr, hb_bck_json(k)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	ais_bmd_rele(bmd);
	if (arr != NULL) {
		txt = json_dumps(arr, JSON_COMPACT);
		json_decref(arr);
	}
	if (txt == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "cannot render bucket list");
		return;
	}
	http_reply_take(r, 200, HB_JSON, txt, strlen(txt), NULL);
}

/* HEAD ---------------------------------------------------------------------
 */

static void
hb_head(http_req *r, const hb_bck *b)
{
	ais_bmd *bmd = ais_node_bmd(r->node);
	const ais_bck *k;
	char *txt = NULL;

	if (bmd == NULL) {
		http_reply_err(r, 503, "bucket metadata is not available yet");
		return;
	}
	k = ais_bmd_get(bmd, b->provider, b->ns, b->name);
	if (k != NULL) {
		/* One line, ASCII only: it is a header value. */
		txt = json_dumps(k->props, JSON_COMPACT | JSON_ENSURE_ASCII);
	}
	ais_bmd_rele(bmd);
	if (k == NULL) {
		if (strcmp(b->provider, "ais") != 0) {
			http_reply_err(r, 400,
			    "provider \"%s\" is not supported yet (bucket %s)",
			    b->provider, b->cname);
		} else {
			http_reply_err(
			    r, 404, "bucket \"%s\" does not exist", b->cname);
		}
		return;
	}
	if (txt == NULL) {
		http_reply_aerr(
		    r, AIS_ENOMEM, "cannot render props of %s", b->cname);
		return;
	}
	const char *hdrs[] = { "Ais-Bucket-Props", txt, NULL };
	http_reply(r, 200, NULL, NULL, 0, hdrs);
	free(txt);
}

/* Changes (primary's "buckets" actor) ---------------------------------------
 */

static void
hb_change(
    http_req *r, const hb_bck *b, const char *action, const json_t *value)
{
	ais_node *n = r->node;
	char *vjson = NULL;
	char ebuf[512];
	ais_err err;

	if (n->role != AIS_ROLE_PROXY) {
		http_reply_err(r, 400,
		    "%s %s: bucket requests are expected to be sent to a "
		    "proxy, not to target t[%s]",
		    action, b->cname, n->self.id);
		return;
	}
	if (strcmp(b->provider, "ais") != 0) {
		http_reply_err(r, 400,
		    "%s %s: provider \"%s\" is not supported yet", action,
		    b->cname, b->provider);
		return;
	}
	if (value != NULL && !json_is_null(value)) {
		vjson = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
		if (vjson == NULL) {
			http_reply_aerr(r, AIS_ENOMEM, "%s %s: out of memory",
			    action, b->cname);
			return;
		}
	}
	err = ais_bck_change(n, b->provider, b->ns, b->name, b->cname, action,
	    vjson, ebuf, sizeof(ebuf));
	free(vjson);
	if (err == AIS_EAGAIN) {
		http_reply_err(r, 503, "%s", ebuf);
		return;
	}
	if (err != AIS_OK) {
		http_reply_aerr(r, err, "%s", ebuf);
		return;
	}
	http_reply(r, 200, NULL, NULL, 0, NULL);
}

/* Dispatch ------------------------------------------------------------------
 */

static bool
hb_is(const char *action, const char *name)
{
	return strcmp(action, name) == 0;
}

static void
hb_unsupported(http_req *r, const hb_bck *b, const char *action)
{
	const char *what = b->name[0] != '\0' ? b->cname : r->url_path;

	if (action[0] == '\0') {
		http_reply_err(
		    r, 400, "%s %s: missing action", r->method_str, what);
		return;
	}
	http_reply_err(r, 400, "%s %s: unsupported action \"%s\"",
	    r->method_str, what, action);
}

static void
hb_get(http_req *r, hb_bck *b, json_t *msg, const char *action)
{
	const json_t *value = ais_json_get_ci(msg, "value");
	bool has_value = value != NULL && !json_is_null(value);
	bool ns_given = b->ns[0] != '\0';

	if (b->name[0] == '\0') {
		if (action[0] != '\0' && !hb_is(action, "list")) {
			hb_unsupported(r, b, action);
			return;
		}
		/* list buckets; ActMsg "name" may select one */
		const char *only = ais_json_str(msg, "name");
		hb_list_buckets(r, b, ns_given, only ? only : "");
		return;
	}
	if (b->provider == NULL) {
		b->provider = "ais";
		hb_cname(b);
	}
	if (msg == NULL || (hb_is(action, "list") && has_value)) {
		/* A bare GET of a bucket is an easy-URL listing. */
		if (strcmp(b->provider, "ais") != 0) {
			http_reply_err(r, 400,
			    "provider \"%s\" is not supported yet (bucket %s)",
			    b->provider, b->cname);
			return;
		}
		http_list_objects(r); /* h_list.c */
		return;
	}
	if (hb_is(action, "list")) {
		/* null value: list buckets, this one only */
		ais_bmd *bmd = ais_node_bmd(r->node);
		bool have = bmd
		    && ais_bmd_get(bmd, b->provider, b->ns, b->name) != NULL;
		ais_bmd_rele(bmd);
		if (!have) {
			http_reply_err(
			    r, 404, "bucket \"%s\" does not exist", b->cname);
			return;
		}
		hb_list_buckets(r, b, true, b->name);
		return;
	}
	hb_unsupported(r, b, action);
}

void
http_h_buckets(http_req *r)
{
	hb_bck b;
	json_t *msg = NULL;
	const char *action;

	memset(&b, 0, sizeof(b));
	if (!hb_parse_query(r, &b, r->method == HTTP_M_GET)
	    || !hb_parse_name(r, &b)) {
		return;
	}
	hb_cname(&b);
	if (r->method == HTTP_M_HEAD) {
		if (b.name[0] == '\0') {
			http_reply_err(r, 400, "HEAD %s: bucket name required",
			    r->url_path);
			return;
		}
		hb_head(r, &b);
		return;
	}
	if (!hb_parse_msg(r, &msg)) {
		return;
	}
	action = ais_json_str(msg, "action");
	action = action ? action : "";
	if (r->method == HTTP_M_GET) {
		hb_get(r, &b, msg, action);
		goto out;
	}
	if (b.name[0] == '\0') {
		http_reply_err(r, 400, "%s %s: bucket name required",
		    r->method_str, r->url_path);
		goto out;
	}
	const json_t *value = ais_json_get_ci(msg, "value");
	switch (r->method) {
	case HTTP_M_POST:
		if (hb_is(action, "create-bck")) {
			hb_change(r, &b, action, value);
		} else {
			hb_unsupported(r, &b, action);
		}
		break;
	case HTTP_M_DELETE:
		if (hb_is(action, "destroy-bck")) {
			hb_change(r, &b, action, NULL);
		} else if (hb_is(action, "delete-listrange")
		    || hb_is(action, "evict-listrange")) {
			if (strcmp(b.provider, "ais") != 0) {
				http_reply_err(r, 400,
				    "%s %s: provider \"%s\" is not supported "
				    "yet",
				    action, b.cname, b.provider);
				break;
			}
			http_multiobj(r, action, msg); /* h_multiobj.c */
		} else if (hb_is(action, "evict-remote-bck")) {
			if (strcmp(b.provider, "ais") != 0) {
				http_reply_err(r, 400,
				    "%s %s: provider \"%s\" is not supported "
				    "yet",
				    action, b.cname, b.provider);
			} else {
				http_reply_err(r, 400,
				    "%s: cannot evict %s: not a remote bucket",
				    action, b.cname);
			}
		} else {
			hb_unsupported(r, &b, action);
		}
		break;
	case HTTP_M_PATCH:
		if (hb_is(action, "set-bprops")) {
			hb_change(r, &b, action, value);
		} else if (hb_is(action, "reset-bprops")) {
			hb_change(r, &b, action, NULL);
		} else {
			hb_unsupported(r, &b, action);
		}
		break;
	default:
		hb_unsupported(r, &b, action);
		break;
	}
out:
	json_decref(msg);
}
