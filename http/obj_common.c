/*
 * What every object request needs before it touches data: the bucket and
 * object named by the path (unescaped once by the server), provider and
 * namespace from the query, the uname/digest placement works from, the
 * bucket's props from this node's BMD snapshot, and the object's file on
 * this target's mountpaths. Also the AIS error messages the SDKs classify
 * by regex (spec native-api.md section 0.7), the striped object locks and a
 * stack-allocated header list, so that the handlers stay about HTTP.
 */
#include "http/obj_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "http/reply.h"

int64_t
http_obj_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Parsing ----------------------------------------------------------------- */

/* Query namespace ("@uuid#name", "@#name", "#name", "uuid", "") -> the BMD's
 * namespace uname ("@uuid#name", "@#" global). Spec section 0.2. */
static bool
http_obj_ns_norm(const char *q, char *out, size_t len)
{
	const char *s = q;
	int n;

	if (s == NULL || s[0] == '\0') {
		n = snprintf(out, len, "@#");
	} else {
		if (s[0] == '@') {
			s++;
		}
		if (strchr(s, '/') != NULL) {
			return false;
		}
		n = snprintf(
		    out, len, "@%s%s", s, strchr(s, '#') == NULL ? "#" : "");
	}
	return n > 0 && (size_t) n < len;
}

static const char *
http_obj_scheme(const char *provider)
{
	static const char *const tab[][2] = {
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

const char *
http_obj_cname(const http_obj *o, bool with_obj, char *buf, size_t len)
{
	const char *ns = "";
	const char *sep = "";

	if (strcmp(o->ns, "@#") != 0) {
		/* "@#name" (local named) prints as "#name" */
		ns = strncmp(o->ns, "@#", 2) == 0 ? o->ns + 1 : o->ns;
		sep = "/";
	}
	snprintf(buf, len, "%s://%s%s%s%s%s", http_obj_scheme(o->provider), ns,
	    sep, o->bck, with_obj ? "/" : "", with_obj ? o->name : "");
	return buf;
}

http_obj *
http_obj_parse(http_req *r)
{
	http_obj *o;
	const char *rest;
	const char *slash;
	const char *prov;
	size_t blen;

	if (r->path.nsegs < 3 || r->path.segs[2][0] == '\0') {
		http_reply_err(r, 400, "invalid URL path %s: no bucket name",
		    r->url_path);
		return NULL;
	}
	rest = r->path.segs[2];
	o = http_req_alloc(r, sizeof(*o));
	if (o == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "out of memory");
		return NULL;
	}
	memset(o, 0, sizeof(*o));
	http_node_tag(r->node->role, r->node->self.id, o->tag, sizeof(o->tag));

	prov = http_query_get(&r->query, "provider");
	o->provider = ais_provider_norm(prov);
	if (o->provider == NULL) {
		http_reply_err(
		    r, 400, "invalid backend provider \"%s\"", prov);
		return NULL;
	}
	if (!http_obj_ns_norm(http_query_get(&r->query, "namespace"), o->ns,
	        sizeof(o->ns))) {
		http_reply_err(r, 400, "invalid namespace \"%s\"",
		    http_query_get(&r->query, "namespace"));
		return NULL;
	}
	/* "<bucket>[/<object>]": the bucket ends at the first '/', the
	 * object keeps every '/' after it. */
	slash = strchr(rest, '/');
	blen = slash == NULL ? strlen(rest) : (size_t) (slash - rest);
	o->bck = http_req_alloc(r, strlen(rest) + 2);
	if (o->bck == NULL) {
		http_reply_aerr(r, AIS_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(o->bck, rest, blen);
	o->bck[blen] = '\0';
	o->name = o->bck + blen + 1;
	strcpy(o->name, slash == NULL ? "" : slash + 1);
	o->name_len = strlen(o->name);
	if (ais_bckname_check(o->bck) != AIS_OK) {
		http_reply_err(r, 400, "invalid bucket name \"%s\"", o->bck);
		return NULL;
	}
	if (o->name_len > 0) {
		o->uname_len = ais_uname(o->uname, sizeof(o->uname),
		    o->provider, o->ns, o->bck, o->name);
		if (o->uname_len == 0) {
			http_reply_err(
			    r, 400, "invalid object name \"%s\"", o->name);
			return NULL;
		}
		o->digest = ais_hrw_digest(o->uname, o->uname_len);
	}
	return o;
}

bool
http_obj_set(http_req *r, http_obj *o, const char *provider, const char *ns,
    const char *bck, const char *name)
{
	size_t bl = strlen(bck);
	size_t nl = strlen(name);

	memset(o, 0, sizeof(*o));
	http_node_tag(r->node->role, r->node->self.id, o->tag, sizeof(o->tag));
	o->provider = ais_provider_norm(provider);
	if (o->provider == NULL) {
		return false;
	}
	if (snprintf(o->ns, sizeof(o->ns), "%s",
	        ns == NULL || ns[0] == '\0' ? "@#" : ns)
	    >= (int) sizeof(o->ns)) {
		return false;
	}
	o->bck = http_req_alloc(r, bl + nl + 2);
	if (o->bck == NULL) {
		return false;
	}
	memcpy(o->bck, bck, bl + 1);
	o->name = o->bck + bl + 1;
	memcpy(o->name, name, nl + 1);
	o->name_len = nl;
	if (nl > 0) {
		o->uname_len = ais_uname(o->uname, sizeof(o->uname),
		    o->provider, o->ns, o->bck, o->name);
		if (o->uname_len == 0) {
			return false;
		}
		o->digest = ais_hrw_digest(o->uname, o->uname_len);
	}
	return true;
}

ais_err
http_obj_props(ais_node *n, http_obj *o)
{
	ais_bmd *bmd = ais_node_bmd(n);
	const ais_bck *b;
	ais_err err;

	if (bmd == NULL) {
		return AIS_EAGAIN;
	}
	b = ais_bmd_get(bmd, o->provider, o->ns, o->bck);
	if (b == NULL) {
		ais_bmd_rele(bmd);
		return AIS_ENOENT;
	}
	err = ais_bprops_view(b->props, &o->props);
	ais_bmd_rele(bmd);
	return err == AIS_OK ? AIS_OK : AIS_EINTERNAL;
}

bool
http_obj_bucket(http_req *r, http_obj *o)
{
	char cname[HTTP_OBJ_UNAME_MAX];
	ais_err err = http_obj_props(r->node, o);

	/* A target that just joined gets its first BMD in the same metasync
	 * round that tells the proxies about it, so a redirect can arrive a
	 * few ms early: wait briefly instead of failing the client. */
	for (int i = 0; i < 400 && err == AIS_EAGAIN; i++) {
		const struct timespec ts = { 0, 5 * 1000000L };
		nanosleep(&ts, NULL);
		err = http_obj_props(r->node, o);
	}
	switch (err) {
	case AIS_OK:
		return true;
	case AIS_EAGAIN:
		http_reply_err(r, 503, "bucket metadata is not available yet");
		return false;
	case AIS_ENOENT:
		http_reply_err(r, 404, "bucket \"%s\" does not exist",
		    http_obj_cname(o, false, cname, sizeof(cname)));
		return false;
	default:
		http_reply_aerr(r, AIS_EINTERNAL,
		    "bucket \"%s\": cannot read its properties",
		    http_obj_cname(o, false, cname, sizeof(cname)));
		return false;
	}
}

bool
http_obj_name_ok(http_req *r, const http_obj *o, bool trailing_slash_ok)
{
	if (o->name_len == 0 || o->uname_len == 0
	    || ais_objname_check(o->name, o->name_len, trailing_slash_ok)
	        != AIS_OK) {
		http_reply_err(r, 400, "invalid object name \"%s\"", o->name);
		return false;
	}
	return true;
}

bool
http_obj_redirected(http_req *r)
{
	const char *pid = http_query_get(&r->query, "pid");
	const char *utm = http_query_get(&r->query, "utm");

	return pid != NULL && pid[0] != '\0' && utm != NULL && utm[0] != '\0';
}

bool
http_obj_need_marker(http_req *r, const http_obj *o)
{
	char cname[HTTP_OBJ_UNAME_MAX];

	if (http_obj_redirected(r)) {
		return true;
	}
	/* AIS ais/target.go: only GET and HEAD may come straight from a
	 * client (with auth and signing off); writes go through a proxy,
	 * which checks the bucket and access first. */
	http_reply_err(r, 400, "%s: %s %s is expected to be redirected",
	    o->tag, r->method_str,
	    http_obj_cname(o, true, cname, sizeof(cname)));
	return false;
}

void
http_obj_reply_missing(http_req *r, const http_obj *o)
{
	char cname[HTTP_OBJ_UNAME_MAX];

	/* The SDKs key on "<scheme>://<bck>/<obj>" (ErrObjNotFound). */
	http_reply_err(r, 404, "%s: %s does not exist", o->tag,
	    http_obj_cname(o, true, cname, sizeof(cname)));
}

bool
http_obj_action(http_req *r, char *buf, size_t len)
{
	json_t *msg;
	json_error_t jerr;
	const char *key;
	json_t *val;

	buf[0] = '\0';
	if (r->body_len == 0) {
		return true;
	}
	msg = json_loadb(r->body, r->body_len, 0, &jerr);
	if (msg == NULL || !json_is_object(msg)) {
		json_decref(msg);
		http_reply_err(r, 400, "invalid action message: %s",
		    msg == NULL ? jerr.text : "not a JSON object");
		return false;
	}
	/* Go decodes keys case-insensitively (spec section 0.4). */
	json_object_foreach(msg, key, val)
	{
		if (strcasecmp(key, "action") == 0 && json_is_string(val)) {
			snprintf(buf, len, "%s", json_string_value(val));
			break;
		}
	}
	json_decref(msg);
	return true;
}

/* Files ------------------------------------------------------------------- */

bool
http_obj_fqn(const http_obj *o, const ais_mpath *mp, const char *kind,
    char *buf, size_t len)
{
	return ais_fqn(buf, len, mp->path, o->provider, o->ns, o->bck, kind,
	           o->name)
	    == AIS_OK;
}

const ais_mpath *
http_obj_mpath(ais_node *n, const http_obj *o)
{
	const ais_mpset *s = ais_node_mpset(n);
	if (s->n == 0) {
		return NULL;
	}
	return &s->avail[ais_hrw_mpath(s->avail, s->n, o->digest)];
}

/* Opens fqn if it is a regular file: 0 or errno (ENOENT for "not an
 * object": missing, a directory, or a path through a file). */
static int
http_obj_open_at(const char *fqn, int *fd, struct stat *st)
{
	int f = open(fqn, O_RDONLY | O_CLOEXEC);

	if (f < 0) {
		return errno == ENOTDIR || errno == EISDIR ? ENOENT : errno;
	}
	if (fstat(f, st) != 0 || !S_ISREG(st->st_mode)) {
		close(f);
		return ENOENT;
	}
	*fd = f;
	return 0;
}

int
http_obj_open(ais_node *n, const http_obj *o, int *fd, const ais_mpath **mpp,
    struct stat *st)
{
	const ais_mpset *s = ais_node_mpset(n);
	const ais_mpath *hrw = s->n == 0
	    ? NULL
	    : &s->avail[ais_hrw_mpath(s->avail, s->n, o->digest)];
	char fqn[PATH_MAX];
	int e;

	if (hrw == NULL) {
		return ENOENT;
	}
	if (!http_obj_fqn(o, hrw, AIS_CT_OBJ, fqn, sizeof(fqn))) {
		return ENAMETOOLONG;
	}
	e = http_obj_open_at(fqn, fd, st);
	if (e != ENOENT) {
		*mpp = hrw;
		return e;
	}
	/* Misplaced (a mountpath was added or removed and resilver has not
	 * moved it yet): costs a failed open per other mountpath, on misses
	 * only. avail[n .. n + nwaiting) are the waiting_dd mountpaths
	 * (core/mpset.h layout): still read while resilver empties them. */
	for (size_t i = 0; i < s->n + s->nwaiting; i++) {
		const ais_mpath *mp = &s->avail[i];

		if (mp == hrw
		    || !http_obj_fqn(o, mp, AIS_CT_OBJ, fqn, sizeof(fqn))) {
			continue;
		}
		e = http_obj_open_at(fqn, fd, st);
		if (e != ENOENT) {
			*mpp = mp;
			return e;
		}
	}
	return ENOENT;
}


/* Locks ------------------------------------------------------------------- */

/* A power of two; enough that unrelated PUTs rarely share a stripe while
 * the table stays a few KiB. */
#define HTTP_OBJ_STRIPES 256

static pthread_mutex_t http_obj_stripes[HTTP_OBJ_STRIPES];
static pthread_once_t http_obj_stripes_once = PTHREAD_ONCE_INIT;

static void
http_obj_stripes_init(void)
{
	for (size_t i = 0; i < HTTP_OBJ_STRIPES; i++) {
		if (pthread_mutex_init(&http_obj_stripes[i], NULL) != 0) {
			abort(); /* cannot fail for a default mutex */
		}
	}
}

void
http_obj_lock(uint64_t digest)
{
	pthread_once(&http_obj_stripes_once, http_obj_stripes_init);
	pthread_mutex_lock(
	    &http_obj_stripes[(digest >> 32) & (HTTP_OBJ_STRIPES - 1)]);
}

void
http_obj_unlock(uint64_t digest)
{
	pthread_mutex_unlock(
	    &http_obj_stripes[(digest >> 32) & (HTTP_OBJ_STRIPES - 1)]);
}

/* Headers ----------------------------------------------------------------- */

void
http_hdrs_init(http_hdrs *h)
{
	h->n = 0;
	h->used = 0;
	h->kv[0] = NULL;
}

void
http_hdrs_addn(http_hdrs *h, const char *name, const char *value, size_t vlen)
{
	char *dst;

	if (h->n >= HTTP_HDRS_MAX || vlen + 1 > sizeof(h->buf) - h->used) {
		AIS_LOGW("AIS-HTTP-HDR", "response header %s dropped: no room",
		    name);
		return;
	}
	dst = h->buf + h->used;
	memcpy(dst, value, vlen);
	dst[vlen] = '\0';
	h->used += vlen + 1;
	h->kv[2 * h->n] = name;
	h->kv[2 * h->n + 1] = dst;
	h->n++;
	h->kv[2 * h->n] = NULL;
}

void
http_hdrs_add(http_hdrs *h, const char *name, const char *value)
{
	http_hdrs_addn(h, name, value, strlen(value));
}

void
http_hdrs_addf(http_hdrs *h, const char *name, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= sizeof(tmp)) {
		AIS_LOGW("AIS-HTTP-HDR",
		    "response header %s dropped: too long", name);
		return;
	}
	http_hdrs_addn(h, name, tmp, (size_t) n);
}
