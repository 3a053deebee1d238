/*
 * S3 object operations on a target: the entry (s3_obj_target) that checks
 * the proxy's marker and resolves bucket and object, DeleteObject, and the
 * helpers the other s3_obj_*.c files share (ETag rules, HTTP and ISO
 * dates, custom metadata from and to headers, Content-MD5, the
 * x-amz-copy-source parser).
 *
 * Every operation is decided on the early call (headers only): GET/HEAD
 * answer with the file (sendfile), PUT and UploadPart install an upload
 * sink, DELETE, CopyObject and the other multipart operations carry no
 * body and answer at once -- except CompleteMultipartUpload, which waits
 * for its (small) XML body (s3_mpu.c).
 *
 * DeleteObject answers 204 whether or not the object existed, as AWS S3
 * does and as `aws s3 rm` and the SDKs' cleanup loops expect (AIS answers
 * 404; spec s3-api.md section 2 -- a deliberate difference).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/bmd.h"
#include "core/fqn.h"
#include "core/log.h"
#include "http/query.h"
#include "http/s3/s3_obj_int.h"

/* Shared helpers ---------------------------------------------------------- */

size_t
s3_obj_bck_find(ais_node *n, const char *name, char *provider, size_t plen,
    char *ns, size_t nlen)
{
	ais_bmd *bmd = ais_node_bmd(n);
	const ais_bck *hit = NULL;
	size_t nhit = 0;

	if (bmd == NULL) {
		return 0;
	}
	for (size_t i = 0; i < bmd->nbcks; i++) {
		if (strcmp(bmd->bcks[i].name, name) == 0) {
			hit = &bmd->bcks[i];
			nhit++;
		}
	}
	if (nhit == 1) {
		snprintf(provider, plen, "%s", hit->provider);
		snprintf(
		    ns, nlen, "%s", strcmp(hit->ns, "@#") == 0 ? "" : hit->ns);
	}
	ais_bmd_rele(bmd);
	return nhit;
}

bool
s3_obj_resolve(http_req *r, const char *provider, const char *ns,
    const char *bck, const char *key, http_obj *o, int *status,
    const char **code)
{
	if (!http_obj_set(r, o, provider, ns, bck, key)) {
		*status = 400;
		*code = "InvalidArgument";
		return false;
	}
	if (key[0] != '\0'
	    && ais_objname_check(o->name, o->name_len, false) != AIS_OK) {
		*status = 400;
		*code = "InvalidArgument";
		return false;
	}
	switch (http_obj_props(r->node, o)) {
	case AIS_OK:
		return true;
	case AIS_ENOENT:
		*status = 404;
		*code = "NoSuchBucket";
		return false;
	case AIS_EAGAIN:
		*status = 503;
		*code = "ServiceUnavailable";
		return false;
	default:
		*status = 500;
		*code = "InternalError";
		return false;
	}
}

/* Drops empty segments ("a//b/" -> "a/b") in place, as s3.c does for
 * request paths. */
static void
s3_obj_key_norm(char *key)
{
	char *w = key;
	const char *s = key;

	while (*s != '\0') {
		while (*s == '/') {
			s++;
		}
		if (*s == '\0') {
			break;
		}
		if (w != key) {
			*w++ = '/';
		}
		while (*s != '\0' && *s != '/') {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

bool
s3_obj_copy_source(
    const char *hdr, char *bck, size_t blen, char *key, size_t klen)
{
	const char *p = hdr;
	const char *q;
	const char *slash;
	size_t n;
	size_t len;

	while (*p == '/') {
		p++;
	}
	q = strchr(p, '?'); /* "?versionId=": an escaped '?' is %3F */
	len = q == NULL ? strlen(p) : (size_t) (q - p);
	slash = memchr(p, '/', len);
	if (slash == NULL || slash == p) {
		return false;
	}
	n = (size_t) (slash - p);
	if (n >= blen || len - n - 1 >= klen || len - n - 1 == 0) {
		return false;
	}
	memcpy(bck, p, n);
	bck[n] = '\0';
	memcpy(key, slash + 1, len - n - 1);
	key[len - n - 1] = '\0';
	if (http_unescape(bck, false, NULL) != AIS_OK
	    || http_unescape(key, false, NULL) != AIS_OK) {
		return false;
	}
	s3_obj_key_norm(key);
	return bck[0] != '\0' && key[0] != '\0'
	    && ais_bckname_check(bck) == AIS_OK;
}

bool
s3_obj_etag(const ais_lom_md *md, const struct stat *st, char *buf, size_t len)
{
	size_t pos = 0;
	const char *k, *v;
	size_t kl, vl;
	char b36[16];
	uint64_t ns;
	size_t i = sizeof(b36) - 1;

	while (ais_lom_custom_next(md, &pos, &k, &kl, &v, &vl) != 0) {
		if (kl == 4 && strncasecmp(k, S3_OBJ_KEY_ETAG, 4) == 0
		    && vl > 0 && vl < len) {
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return true;
		}
	}
	if (md->cksum_type == AIS_CKSUM_NONE || md->cksum_value[0] == '\0') {
		buf[0] = '\0';
		return false;
	}
	if (md->cksum_type == AIS_CKSUM_MD5) {
		snprintf(buf, len, "%s", md->cksum_value);
		return true;
	}
	/* AIS core/lom.go: "v1-<cksum>-<mtime ns base36>" */
	ns = (uint64_t) st->st_mtim.tv_sec * 1000000000ull
	    + (uint64_t) st->st_mtim.tv_nsec;
	b36[i] = '\0';
	do {
		b36[--i] = "0123456789abcdefghijklmnopqrstuvwxyz"[ns % 36];
		ns /= 36;
	} while (ns != 0 && i > 0);
	snprintf(buf, len, "v1-%s-%s", md->cksum_value, b36 + i);
	return true;
}

void
s3_obj_http_date(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void
s3_obj_iso_date(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t) (ns / 1000000000LL);
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", s, (int) (ns / 1000000 % 1000));
}

bool
s3_obj_parse_http_date(const char *s, time_t *out)
{
	static const char *const fmts[] = {
		"%a, %d %b %Y %H:%M:%S GMT", /* IMF-fixdate */
		"%A, %d-%b-%y %H:%M:%S GMT", /* RFC 850 */
		"%a %b %e %H:%M:%S %Y",      /* asctime */
	};

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct tm tm;
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (end != NULL) {
			while (*end == ' ') {
				end++;
			}
			if (*end == '\0') {
				*out = timegm(&tm);
				return true;
			}
		}
	}
	return false;
}

/* The request headers kept as object metadata besides x-amz-meta-*: AWS
 * stores these "system" ones and returns them on GET/HEAD. */
static const char *const s3_obj_sys_hdrs[] = { "content-type", "cache-control",
	"content-disposition", "content-language", "expires" };

static bool
s3_obj_is_sys(const char *k, size_t kl)
{
	for (size_t i = 0;
	     i < sizeof(s3_obj_sys_hdrs) / sizeof(s3_obj_sys_hdrs[0]); i++) {
		if (strlen(s3_obj_sys_hdrs[i]) == kl
		    && strncasecmp(s3_obj_sys_hdrs[i], k, kl) == 0) {
			return true;
		}
	}
	return false;
}

typedef struct s3_obj_mdw {
	ais_lom_md *md;
	bool bad;
} s3_obj_mdw;

static void
s3_obj_md_hdr(void *arg, const char *name, const char *value)
{
	s3_obj_mdw *w = arg;
	size_t nl = strlen(name);
	char key[256];

	if (w->bad || nl >= sizeof(key)
	    || !((nl > strlen(S3_OBJ_META_PFX)
	             && strncasecmp(
	                    name, S3_OBJ_META_PFX, strlen(S3_OBJ_META_PFX))
	                 == 0)
	        || s3_obj_is_sys(name, nl))) {
		return;
	}
	for (size_t i = 0; i <= nl; i++) {
		key[i] = (char) tolower((unsigned char) name[i]);
	}
	if (strchr(value, '\x01') != NULL
	    || ais_lom_custom_set(w->md, key, value) != AIS_OK) {
		w->bad = true;
	}
}

bool
s3_obj_md_from_req(http_req *r, ais_lom_md *md)
{
	s3_obj_mdw w = { .md = md, .bad = false };

	http_req_header_all(r, s3_obj_md_hdr, &w);
	return !w.bad;
}

/* Adds a header whose name is not a literal: the name is copied into h's
 * buffer too, so it lives as long as h. */
static void
s3_obj_hdrs_addkv(
    http_hdrs *h, const char *k, size_t kl, const char *v, size_t vl)
{
	char *name;

	if (kl + 1 > sizeof(h->buf) - h->used) {
		return;
	}
	name = h->buf + h->used;
	memcpy(name, k, kl);
	name[kl] = '\0';
	h->used += kl + 1;
	http_hdrs_addn(h, name, v, vl);
}

void
s3_obj_md_to_hdrs(const ais_lom_md *md, http_hdrs *h, char *ctype, size_t clen)
{
	static const char *const names[] = { "Content-Type", "Cache-Control",
		"Content-Disposition", "Content-Language", "Expires" };
	size_t pos = 0;
	const char *k, *v;
	size_t kl, vl;
	size_t pl = strlen(S3_OBJ_META_PFX);

	snprintf(ctype, clen, "%s", HTTP_OBJ_CT_OCTET);
	while (ais_lom_custom_next(md, &pos, &k, &kl, &v, &vl) != 0) {
		if (kl == strlen(S3_OBJ_KEY_CTYPE)
		    && strncasecmp(k, S3_OBJ_KEY_CTYPE, kl) == 0) {
			if (vl > 0 && vl < clen) {
				memcpy(ctype, v, vl);
				ctype[vl] = '\0';
			}
			continue;
		}
		if (kl > pl && strncasecmp(k, S3_OBJ_META_PFX, pl) == 0) {
			s3_obj_hdrs_addkv(h, k, kl, v, vl);
			continue;
		}
		for (size_t i = 1; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strlen(names[i]) == kl
			    && strncasecmp(names[i], k, kl) == 0) {
				http_hdrs_addn(h, names[i], v, vl);
			}
		}
	}
}

bool
s3_obj_md5_b64_hex(const char *b64, char hex[33])
{
	static const char *const tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
	                               "mnopqrstuvwxyz0123456789+/";
	unsigned char out[18];
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;
	size_t len = strlen(b64);

	while (len > 0 && (b64[len - 1] == ' ' || b64[len - 1] == '\t')) {
		len--;
	}
	if (len != 24 || b64[22] != '=' || b64[23] != '=') {
		return false;
	}
	for (size_t i = 0; i < 22; i++) {
		const char *c = strchr(tab, b64[i]);

		if (c == NULL || b64[i] == '\0') {
			return false;
		}
		acc = (acc << 6) | (uint32_t) (c - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char) (acc >> bits);
		}
	}
	if (n != 16) {
		return false;
	}
	for (size_t i = 0; i < 16; i++) {
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	}
	return true;
}

void
s3_obj_reply_errno(http_req *r, const http_obj *o, int e, const char *what)
{
	if (e == EISDIR || e == ENOTDIR || e == EEXIST || e == ENOTEMPTY) {
		s3_reply_err(r, 409, "InvalidRequest",
		    "%s %s: the name conflicts with another object's path "
		    "(%s)",
		    what, o->name, strerror(e));
		return;
	}
	if (e == ENOSPC || e == EDQUOT) {
		AIS_LOGW("AIS-S3-ENOSPC", "%s: %s %s: %s", o->tag, what,
		    o->uname, strerror(e));
		s3_reply_err(r, 507, "InsufficientStorage", "%s %s: %s", what,
		    o->name, strerror(e));
		return;
	}
	AIS_LOGE("AIS-S3-OBJ-FAIL", "%s: %s %s: %s", o->tag, what, o->uname,
	    strerror(e));
	s3_reply_err(
	    r, 500, "InternalError", "%s %s: %s", what, o->name, strerror(e));
}

/* DeleteObject ------------------------------------------------------------ */

static void
s3_obj_delete(http_req *r, http_obj *o)
{
	size_t removed = 0;
	int e = http_obj_remove(r->node, o, &removed);

	if (e != 0) {
		s3_obj_reply_errno(r, o, e, "DeleteObject");
		return;
	}
	s3_reply_xml(r, 204, &(s3_buf) { 0 }, NULL);
}

/* Entry ------------------------------------------------------------------- */

void
s3_obj_target(http_req *r, s3_req *q)
{
	http_obj *o;
	int status;
	const char *code;

	if (!http_obj_redirected(r)) {
		s3_reply_err(r, 403, "AccessDenied",
		    "t[%s]: object requests go through a proxy",
		    r->node->self.id);
		return;
	}
	switch (q->op) {
	case S3_OP_GET_OBJECT:
	case S3_OP_HEAD_OBJECT:
	case S3_OP_PUT_OBJECT:
	case S3_OP_COPY_OBJECT:
	case S3_OP_DELETE_OBJECT:
	case S3_OP_CREATE_MPU:
	case S3_OP_UPLOAD_PART:
	case S3_OP_LIST_PARTS:
	case S3_OP_ABORT_MPU:
		break;
	case S3_OP_COMPLETE_MPU:
		if (r->early) {
			return; /* decided once the body is in */
		}
		break;
	default:
		s3_reply_err(r, 501, "NotImplemented",
		    "%s %s is not implemented", r->method_str, r->url_path);
		return;
	}
	if (!r->early && q->op != S3_OP_COMPLETE_MPU) {
		/* decided on the early call; only a bug gets here */
		s3_reply_err(r, 500, "InternalError", "unexpected call");
		return;
	}
	if (!q->bck_found
	    && s3_obj_bck_find(r->node, q->bucket, q->provider,
	           sizeof(q->provider), q->ns, sizeof(q->ns))
	        != 1) {
		s3_reply_err(r, 404, "NoSuchBucket",
		    "The specified bucket does not exist: %s", q->bucket);
		return;
	}
	o = http_req_alloc(r, sizeof(*o));
	if (o == NULL) {
		s3_reply_err(r, 500, "InternalError", "out of memory");
		return;
	}
	if (!s3_obj_resolve(
	        r, q->provider, q->ns, q->bucket, q->key, o, &status, &code)) {
		s3_reply_err(r, status, code, "%s/%s: %s", q->bucket, q->key,
		    status == 404 ? "The specified bucket does not exist"
		                  : "cannot resolve");
		return;
	}
	switch (q->op) {
	case S3_OP_GET_OBJECT:
	case S3_OP_HEAD_OBJECT:
		s3_obj_get(r, q, o);
		return;
	case S3_OP_PUT_OBJECT:
		s3_obj_put(r, q, o);
		return;
	case S3_OP_COPY_OBJECT:
		s3_obj_copy(r, q, o);
		return;
	case S3_OP_CREATE_MPU:
		s3_mpu_create(r, q, o);
		return;
	case S3_OP_UPLOAD_PART:
		s3_mpu_upload_part(r, q, o);
		return;
	case S3_OP_LIST_PARTS:
		s3_mpu_list_parts(r, q, o);
		return;
	case S3_OP_COMPLETE_MPU:
		s3_mpu_complete(r, q, o);
		return;
	case S3_OP_ABORT_MPU:
		s3_mpu_abort(r, q, o);
		return;
	default:
		s3_obj_delete(r, o);
		return;
	}
}
