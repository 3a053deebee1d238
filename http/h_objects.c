/*
 * /v1/objects: the object data path (spec native-api.md sections 1 and 6).
 *
 * A proxy never touches object bytes: from its Smap snapshot it computes the
 * owner target (HRW over the object's uname) and answers at once -- 301 for
 * GET, 307 for everything else (a 301 would turn a PUT into a body-less
 * GET) -- with Location = <target URL><path as sent>?<query as sent>&pid=
 * <proxy id>&utm=<unix ns>, the redirect marker targets look for. The
 * bucket must exist in the proxy's BMD first, so a client learns about a
 * missing bucket from the proxy, before its body travels anywhere.
 *
 * A target serves GET and HEAD in the early call (headers only; see
 * http/server.h): open, read the metadata xattr, answer with the file
 * (obj_get.c). A PUT installs an upload sink that writes each chunk to a
 * work file as it arrives (obj_put.c). DELETE and the object actions carry
 * an ActMsg body, so they run once the (small) body is in.
 *
 * Which requests may reach a target without the marker: GET and HEAD (the
 * SDKs' direct reads); PUT, DELETE, POST and PATCH only via a proxy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hrw.h"
#include "core/log.h"
#include "http/obj_int.h"
#include "http/reply.h"

#define HTTP_OBJ_ACTION_MAX 64

/* Proxy ------------------------------------------------------------------- */

/* Appends src to buf as HTML text (Location in the redirect body). */
static size_t
http_obj_html_esc(char *buf, size_t cap, size_t n, const char *src)
{
	for (; *src != '\0'; src++) {
		const char *rep = NULL;
		size_t rl;

		switch (*src) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&#34;";
			break;
		default:
			break;
		}
		rl = rep == NULL ? 1 : strlen(rep);
		if (n + rl >= cap) {
			break;
		}
		memcpy(buf + n, rep == NULL ? src : rep, rl);
		n += rl;
	}
	buf[n] = '\0';
	return n;
}

static void
http_obj_redirect(http_req *r, const http_obj *o)
{
	ais_smap *m = ais_node_smap(r->node);
	const ais_snode *t = NULL;
	char *loc;
	char *html;
	size_t cap;
	size_t n;
	int status = r->method == HTTP_M_GET ? 301 : 307;
	const char *text
	    = status == 301 ? "Moved Permanently" : "Temporary Redirect";
	ais_err err;

	if (m == NULL) {
		http_reply_err(r, 503, "cluster map is not available yet");
		return;
	}
	err = ais_hrw_target_digest(m, o->digest, &t);
	if (err != AIS_OK) {
		ais_smap_rele(m);
		http_reply_err(r, 503,
		    "%s: no targets to serve %s (cluster map v%lld)", o->tag,
		    o->uname, (long long) m->version);
		return;
	}
	/* Location = target URL + path and query exactly as the client sent
	 * them (escaping included) + the marker. */
	cap = strlen(t->pub.url) + strlen(r->path_raw) + strlen(r->query_raw)
	    + sizeof("?&pid=&utm=") + AIS_ID_MAX + 24;
	loc = http_req_alloc(r, cap);
	html = loc == NULL ? NULL : http_req_alloc(r, cap * 5 + 64);
	if (html == NULL) {
		ais_smap_rele(m);
		http_reply_aerr(r, AIS_ENOMEM, "out of memory");
		return;
	}
	snprintf(loc, cap, "%s%s?%s%spid=%s&utm=%lld", t->pub.url, r->path_raw,
	    r->query_raw, r->query_raw[0] == '\0' ? "" : "&", r->node->self.id,
	    (long long) http_obj_now_ns());
	ais_smap_rele(m);

	/* Go's http.Redirect body; clients ignore it, curl shows it. */
	n = (size_t) snprintf(html, cap * 5 + 64, "<a href=\"");
	n = http_obj_html_esc(html, cap * 5 + 64, n, loc);
	snprintf(html + n, cap * 5 + 64 - n, "\">%s</a>.\n\n", text);
	{
		const char *hdrs[] = { "Location", loc, NULL };

		http_reply(r, status, "text/html; charset=utf-8", html,
		    strlen(html), hdrs);
	}
}

static void
http_obj_proxy(http_req *r, http_obj *o)
{
	char action[HTTP_OBJ_ACTION_MAX];

	if (!r->early) {
		/* POST /v1/objects/<b> with an action naming its own object
		 * (promote, blob-download): later issues. */
		if (http_obj_action(r, action, sizeof(action))) {
			http_reply_err(r, 400,
			    "%s: unsupported action \"%s\" on %s %s", o->tag,
			    action, r->method_str, r->url_path);
		}
		return;
	}
	if (!http_obj_bucket(r, o)) {
		return;
	}
	if (r->method == HTTP_M_POST && o->name_len == 0) {
		return; /* the object is in the body: read it first */
	}
	if (!http_obj_name_ok(r, o, r->method == HTTP_M_HEAD)) {
		return;
	}
	http_obj_redirect(r, o);
}

/* Target ------------------------------------------------------------------ */

/* PATCH (set custom metadata) and POST (rename, multipart, ...): not yet;
 * a clear 400 naming the action rather than a silent success. */
static void
http_obj_action_unsupported(http_req *r, http_obj *o)
{
	char action[HTTP_OBJ_ACTION_MAX];
	char cname[HTTP_OBJ_UNAME_MAX];

	if (!http_obj_need_marker(r, o) || !http_obj_bucket(r, o)) {
		return;
	}
	if (!http_obj_action(r, action, sizeof(action))) {
		return;
	}
	http_reply_err(r, 400, "%s: unsupported action \"%s\" (%s %s)", o->tag,
	    action, r->method_str,
	    http_obj_cname(o, o->name_len > 0, cname, sizeof(cname)));
}

static void
http_obj_target(http_req *r, http_obj *o)
{
	if (r->early) {
		switch (r->method) {
		case HTTP_M_GET:
			http_obj_get(r, o);
			return;
		case HTTP_M_HEAD:
			http_obj_head(r, o);
			return;
		case HTTP_M_PUT:
			http_obj_put_begin(r, o);
			return;
		default:
			return; /* the ActMsg body first */
		}
	}
	switch (r->method) {
	case HTTP_M_DELETE:
		http_obj_delete(r, o);
		return;
	default:
		http_obj_action_unsupported(r, o);
		return;
	}
}

void
http_h_objects(http_req *r)
{
	http_obj *o = http_obj_parse(r);

	if (o == NULL) {
		return;
	}
	if (r->node->role == AIS_ROLE_PROXY) {
		http_obj_proxy(r, o);
	} else {
		http_obj_target(r, o);
	}
}
