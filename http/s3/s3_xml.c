/*
 * XML for the S3 API (spec s3-api.md sections 4 and 9): a growable text
 * buffer the responses are rendered into, the error document every failed
 * S3 request gets, the mapping from ais_err to S3 error codes, and a small
 * tag scanner for the flat request bodies clients send (Delete,
 * VersioningConfiguration, CompleteMultipartUpload).
 *
 * S3 responses are small documents produced in one go, so there is no tree
 * and no streaming writer: callers append text and escaped values to an
 * s3_buf and hand it to s3_reply_xml. Out of memory is sticky (b->oom) and
 * turns the reply into a 500.
 *
 * Every reply carries x-amz-request-id: a random 16-hex id per reply
 * (each request is answered once), repeated as <RequestId> in errors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "http/s3/s3.h"

#define S3_XML_DECL  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define S3_XML_CTYPE "application/xml"
#define S3_RID_LEN   16
#define S3_HDRS_MAX  16 /* extra header pairs a caller may pass */

/* Buffer --------------------------------------------------------------- */

static bool
s3_buf_grow(s3_buf *b, size_t more)
{
	size_t need;
	size_t cap;
	char *p;

	if (b->oom) {
		return false;
	}
	need = b->len + more + 1;
	if (need <= b->cap) {
		return true;
	}
	cap = b->cap == 0 ? 256 : b->cap;
	while (cap < need) {
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (p == NULL) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void
s3_buf_putn(s3_buf *b, const char *s, size_t n)
{
	if (!s3_buf_grow(b, n)) {
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
s3_buf_put(s3_buf *b, const char *s)
{
	s3_buf_putn(b, s, strlen(s));
}

void
s3_buf_printf(s3_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !s3_buf_grow(b, (size_t) n)) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

void
s3_buf_esc(s3_buf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep;

		switch (*s) {
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
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		default:
			continue;
		}
		s3_buf_putn(b, run, (size_t) (s - run));
		s3_buf_put(b, rep);
		run = s + 1;
	}
	s3_buf_putn(b, run, (size_t) (s - run));
}

void
s3_buf_elem(s3_buf *b, const char *tag, const char *text)
{
	s3_buf_printf(b, "<%s>", tag);
	s3_buf_esc(b, text ? text : "");
	s3_buf_printf(b, "</%s>", tag);
}

void
s3_buf_fini(s3_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

/* Replies ------------------------------------------------------------- */

static void
s3_rid_new(char out[S3_RID_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char raw[S3_RID_LEN / 2];

	if (getrandom(raw, sizeof(raw), GRND_NONBLOCK)
	    != (ssize_t) sizeof(raw)) {
		/* no entropy yet: time-based is good enough for an id */
		struct timespec ts;
		uint64_t x;

		clock_gettime(CLOCK_REALTIME, &ts);
		x = (uint64_t) ts.tv_sec * 1000000000ULL
		    + (uint64_t) ts.tv_nsec;
		for (size_t i = 0; i < sizeof(raw); i++) {
			raw[i] = (unsigned char) (x >> (8 * i));
		}
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[S3_RID_LEN] = '\0';
}

/* hdrs + x-amz-request-id (+ Server) into out (2 * S3_HDRS_MAX + 5). */
static void
s3_hdrs_build(const char **out, const char *const *hdrs, const char *rid)
{
	size_t n = 0;

	for (size_t i = 0; hdrs != NULL && hdrs[i] != NULL
	     && hdrs[i + 1] != NULL && n < 2 * S3_HDRS_MAX;
	     i += 2) {
		out[n++] = hdrs[i];
		out[n++] = hdrs[i + 1];
	}
	out[n++] = "x-amz-request-id";
	out[n++] = rid;
	out[n++] = "Server";
	out[n++] = "AIStore";
	out[n] = NULL;
}

static void
s3_reply_rid(http_req *r, int status, s3_buf *b, const char *const *hdrs,
    const char *rid)
{
	const char *all[2 * S3_HDRS_MAX + 5];
	char *body;
	size_t len;

	s3_hdrs_build(all, hdrs, rid);
	if (b->oom) {
		s3_buf_fini(b);
		http_reply(r, 500, NULL, NULL, 0, all);
		return;
	}
	if (b->len == 0) {
		s3_buf_fini(b);
		http_reply(r, status, NULL, NULL, 0, all);
		return;
	}
	if (strncmp(b->p, "<?xml", 5) != 0) {
		size_t dl = strlen(S3_XML_DECL);

		if (!s3_buf_grow(b, dl)) {
			s3_buf_fini(b);
			http_reply(r, 500, NULL, NULL, 0, all);
			return;
		}
		memmove(b->p + dl, b->p, b->len + 1);
		memcpy(b->p, S3_XML_DECL, dl);
		b->len += dl;
	}
	body = b->p;
	len = b->len;
	b->p = NULL;
	s3_buf_fini(b);
	http_reply_take(r, status, S3_XML_CTYPE, body, len, all);
}

void
s3_reply_xml(http_req *r, int status, s3_buf *b, const char *const *hdrs)
{
	char rid[S3_RID_LEN + 1];

	s3_rid_new(rid);
	s3_reply_rid(r, status, b, hdrs, rid);
}

void
s3_reply_err(http_req *r, int status, const char *code, const char *fmt, ...)
{
	char rid[S3_RID_LEN + 1];
	char msg[1024];
	s3_buf b = { 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s3_rid_new(rid);
	if (r->method != HTTP_M_HEAD) {
		s3_buf_put(&b, S3_XML_DECL "<Error>");
		s3_buf_elem(&b, "Code", code);
		s3_buf_elem(&b, "Message", msg);
		s3_buf_elem(&b, "Resource", r->url_path ? r->url_path : "");
		s3_buf_elem(&b, "RequestId", rid);
		s3_buf_put(&b, "</Error>");
	}
	s3_reply_rid(r, status, &b, NULL, rid);
}

void
s3_reply_aerr(http_req *r, ais_err err, bool object, const char *msg)
{
	int status = 500;
	const char *code = "InternalError";

	switch (err) {
	case AIS_ENOENT:
	case AIS_ESYS | ENOENT:
		status = 404;
		code = object ? "NoSuchKey" : "NoSuchBucket";
		break;
	case AIS_EEXIST:
		status = 409;
		code = "BucketAlreadyOwnedByYou";
		break;
	case AIS_EINVAL:
		status = 400;
		code = "InvalidArgument";
		break;
	case AIS_EPERM:
		status = 403;
		code = "AccessDenied";
		break;
	case AIS_ENOSPC:
		status = 507;
		code = "InsufficientStorage";
		break;
	case AIS_ENOTSUP:
		status = 501;
		code = "NotImplemented";
		break;
	case AIS_EAGAIN:
	case AIS_ETIMEDOUT:
	case AIS_EBUSY:
		status = 503;
		code = "ServiceUnavailable";
		break;
	default:
		break;
	}
	s3_reply_err(r, status, code, "%s",
	    msg != NULL && msg[0] != '\0' ? msg : ais_strerror(err));
}

/* Request bodies ------------------------------------------------------- */

/* Encodes code point cp (1..0x10FFFF) as UTF-8 into out; returns the
 * length. */
static size_t
s3_xml_utf8(unsigned long cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

static int
s3_xml_digit(char c, bool hex)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (hex && c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (hex && c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* The entity at s[0..n) (s[0] == '&'): its UTF-8 bytes into utf and the
 * length; *skip = the entity's length. 0 when it is not one we know. */
static size_t
s3_xml_entity(const char *s, size_t n, char utf[4], size_t *skip)
{
	static const struct {
		const char *ent;
		char c;
	} tab[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' } };
	unsigned long cp = 0;
	size_t digits = 0;
	size_t j;
	bool hex;

	for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
		size_t el = strlen(tab[k].ent);

		if (n >= el && memcmp(s, tab[k].ent, el) == 0) {
			utf[0] = tab[k].c;
			*skip = el;
			return 1;
		}
	}
	if (n < 4 || s[1] != '#') {
		return 0;
	}
	hex = s[2] == 'x' || s[2] == 'X';
	for (j = hex ? 3 : 2; j < n && digits < 8; j++, digits++) {
		int v = s3_xml_digit(s[j], hex);

		if (v < 0) {
			break;
		}
		cp = cp * (hex ? 16 : 10) + (unsigned) v;
	}
	if (digits == 0 || j >= n || s[j] != ';' || cp == 0 || cp > 0x10FFFF) {
		return 0;
	}
	*skip = j + 1;
	return s3_xml_utf8(cp, utf);
}

/* Unescapes the entities of s[0..n) into out (outlen > 0). false if it
 * does not fit. Unknown entities are copied verbatim. */
static bool
s3_xml_unesc(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		char utf[4];
		size_t skip = 1;
		size_t ulen = s[i] == '&'
		    ? s3_xml_entity(s + i, n - i, utf, &skip)
		    : 0;

		if (ulen == 0) {
			utf[0] = s[i];
			ulen = 1;
			skip = 1;
		}
		if (o + ulen >= outlen) {
			return false;
		}
		memcpy(out + o, utf, ulen);
		o += ulen;
		i += skip;
	}
	out[o] = '\0';
	return true;
}

/* Position of the next "<tag" followed by '>', '/' or white space at or
 * after from, or len. */
static size_t
s3_xml_open(
    const char *doc, size_t len, size_t from, const char *tag, size_t tl)
{
	for (size_t i = from; i + 1 + tl < len; i++) {
		char c;

		if (doc[i] != '<' || memcmp(doc + i + 1, tag, tl) != 0) {
			continue;
		}
		c = doc[i + 1 + tl];
		if (c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\n'
		    || c == '\r') {
			return i;
		}
	}
	return len;
}

bool
s3_xml_next(const char *doc, size_t len, size_t *pos, const char *tag,
    char *out, size_t outlen)
{
	size_t tl = strlen(tag);
	size_t i;
	size_t gt;
	size_t body;
	size_t end;

	if (doc == NULL || outlen == 0 || tl == 0 || *pos >= len) {
		return false;
	}
	i = s3_xml_open(doc, len, *pos, tag, tl);
	if (i >= len) {
		*pos = len;
		return false;
	}
	/* end of the start tag (attributes are skipped) */
	for (gt = i + 1 + tl; gt < len && doc[gt] != '>'; gt++) { }
	if (gt >= len) {
		*pos = len;
		return false; /* truncated */
	}
	if (doc[gt - 1] == '/') {
		out[0] = '\0'; /* <tag/> */
		*pos = gt + 1;
		return true;
	}
	body = gt + 1;
	/* the matching close: "</tag" + optional space + '>' */
	for (end = body; end + 2 + tl < len; end++) {
		if (doc[end] == '<' && doc[end + 1] == '/'
		    && memcmp(doc + end + 2, tag, tl) == 0) {
			size_t k = end + 2 + tl;

			while (k < len && (doc[k] == ' ' || doc[k] == '\t')) {
				k++;
			}
			if (k < len && doc[k] == '>') {
				break;
			}
		}
	}
	if (end + 2 + tl >= len) {
		*pos = len;
		return false; /* no close tag: truncated */
	}
	*pos = end + 2 + tl;
	while (*pos < len && doc[*pos] != '>') {
		(*pos)++;
	}
	if (*pos < len) {
		(*pos)++;
	}
	if (memchr(doc + body, '<', end - body) != NULL) {
		/* nested markup: the raw inner text */
		if (end - body >= outlen) {
			return false;
		}
		memcpy(out, doc + body, end - body);
		out[end - body] = '\0';
		return true;
	}
	return s3_xml_unesc(doc + body, end - body, out, outlen);
}
