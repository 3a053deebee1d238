/*
 * AWS Signature Version 4 verification for S3 (see sigv4.h for the
 * formulas). The canonical request is rebuilt from the request as it
 * arrived -- method, escaped path, raw query, the signed headers -- and
 * signed with the configured secret of the access key it names; the result
 * is compared in constant time with the signature the client sent.
 *
 * Strings are assembled in a small growable buffer (ais_sigv4_sb) whose
 * out-of-memory state is sticky: callers check once at the end.
 */
#include "core/hex.h"
#include "core/sigv4.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static const char *const ais_sigv4_res_names[] = {
	[AIS_SIGV4_OK] = "OK",
	[AIS_SIGV4_NONE] = "NONE",
	[AIS_SIGV4_UNSUPPORTED] = "UNSUPPORTED",
	[AIS_SIGV4_AMBIGUOUS] = "AMBIGUOUS",
	[AIS_SIGV4_MALFORMED] = "MALFORMED",
	[AIS_SIGV4_QMALFORMED] = "QMALFORMED",
	[AIS_SIGV4_NO_DATE] = "NO_DATE",
	[AIS_SIGV4_SKEWED] = "SKEWED",
	[AIS_SIGV4_EXPIRED] = "EXPIRED",
	[AIS_SIGV4_NOT_YET] = "NOT_YET",
	[AIS_SIGV4_UNKNOWN_KEY] = "UNKNOWN_KEY",
	[AIS_SIGV4_MISMATCH] = "MISMATCH",
	[AIS_SIGV4_ENOMEM] = "ENOMEM",
};

const char *
ais_sigv4_res_name(ais_sigv4_res res)
{
	if ((size_t) res
	    < sizeof(ais_sigv4_res_names) / sizeof(ais_sigv4_res_names[0])) {
		return ais_sigv4_res_names[res];
	}
	return "?";
}

/* Growable string -------------------------------------------------------- */

typedef struct ais_sigv4_sb {
	char *p;
	size_t len, cap;
	bool oom;
} ais_sigv4_sb;

static void
ais_sigv4_sb_add(ais_sigv4_sb *b, const char *s, size_t n)
{
	if (b->oom) {
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;
		while (cap < b->len + n + 1) {
			cap *= 2;
		}
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
ais_sigv4_sb_put(ais_sigv4_sb *b, const char *s)
{
	ais_sigv4_sb_add(b, s, strlen(s));
}

static void
ais_sigv4_sb_putc(ais_sigv4_sb *b, char c)
{
	ais_sigv4_sb_add(b, &c, 1);
}

/* The string (malloc'd; "" for an empty buffer), or NULL after OOM. */
static char *
ais_sigv4_sb_take(ais_sigv4_sb *b)
{
	char *p;

	if (b->oom) {
		free(b->p);
		b->p = NULL;
		return NULL;
	}
	if (b->p == NULL) {
		return strdup("");
	}
	p = b->p;
	b->p = NULL;
	return p;
}

static void
ais_sigv4_sb_fini(ais_sigv4_sb *b)
{
	free(b->p);
	b->p = NULL;
}

static void ais_sigv4_msg(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ais_sigv4_msg(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || msglen == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

/* Crypto ----------------------------------------------------------------- */

static void
ais_sigv4_hex(const uint8_t *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void
ais_sigv4_sha256_hex(const void *data, size_t len, char out[AIS_SIGV4_HEX])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(len ? data : "", len, md, &n, EVP_sha256(), NULL) != 1
	    || n != 32) {
		/* Only on a broken OpenSSL: a digest nobody can match. */
		memset(out, '0', 64);
		out[64] = '\0';
		return;
	}
	ais_sigv4_hex(md, 32, out);
}

static void
ais_sigv4_hmac(const void *key, size_t keylen, const void *msg, size_t len,
    uint8_t out[32])
{
	unsigned int n = 32;

	if (HMAC(EVP_sha256(), key, (int) keylen,
	        (const unsigned char *) (len ? msg : ""), len, out, &n)
	    == NULL) {
		memset(out, 0, 32);
	}
}

void
ais_sigv4_signing_key(const char *secret, const char *date, const char *region,
    const char *service, uint8_t key[32])
{
	size_t slen = strlen(secret);
	char *k0 = malloc(slen + 5);
	uint8_t a[32], b[32];

	if (k0 == NULL) {
		/* A key nothing was signed with: verification fails. */
		memset(key, 0, 32);
		return;
	}
	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, secret, slen + 1);
	ais_sigv4_hmac(k0, slen + 4, date, strlen(date), a);
	OPENSSL_cleanse(k0, slen + 4);
	free(k0);
	ais_sigv4_hmac(a, 32, region, strlen(region), b);
	ais_sigv4_hmac(b, 32, service, strlen(service), a);
	ais_sigv4_hmac(a, 32, "aws4_request", 12, key);
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
}

void
ais_sigv4_sign(const uint8_t key[32], const char *msg, size_t len,
    char out[AIS_SIGV4_HEX])
{
	uint8_t mac[32];

	ais_sigv4_hmac(key, 32, msg, len, mac);
	ais_sigv4_hex(mac, 32, out);
}

bool
ais_sigv4_sig_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb || la == 0) {
		return false;
	}
	return CRYPTO_memcmp(a, b, la) == 0;
}

/* Encoding --------------------------------------------------------------- */

static bool
ais_sigv4_unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

size_t
ais_sigv4_uri_encode(
    const char *s, size_t len, bool keep_slash, char *out, size_t outlen)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) s[i];
		char enc[3];
		size_t k = 1;

		if (ais_sigv4_unreserved(c) || (keep_slash && c == '/')) {
			enc[0] = (char) c;
		} else {
			enc[0] = '%';
			enc[1] = hx[c >> 4];
			enc[2] = hx[c & 15];
			k = 3;
		}
		for (size_t j = 0; j < k; j++, n++) {
			if (n + 1 < outlen) {
				out[n] = enc[j];
			}
		}
	}
	if (outlen > 0) {
		out[n < outlen ? n : outlen - 1] = '\0';
	}
	return n;
}

static void
ais_sigv4_sb_encode(
    ais_sigv4_sb *b, const char *s, size_t len, bool keep_slash)
{
	char buf[256];

	/* In pieces, so long values need no second pass. */
	for (size_t i = 0; i < len; i += 64) {
		size_t n = len - i < 64 ? len - i : 64;
		size_t m = ais_sigv4_uri_encode(
		    s + i, n, keep_slash, buf, sizeof(buf));
		ais_sigv4_sb_add(b, buf, m);
	}
}

/* Percent-decodes s[0..len) into a malloc'd string (*outlen bytes, NUL
 * after them); a '%' not followed by two hex digits stays as is. */
static char *
ais_sigv4_decode(const char *s, size_t len, bool plus_space, size_t *outlen)
{
	char *d = malloc(len + 1);
	size_t n = 0;

	if (d == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < len
		    && (hi = ais_hexval(s[i + 1])) >= 0
		    && (lo = ais_hexval(s[i + 2])) >= 0) {
			d[n++] = (char) (hi << 4 | lo);
			i += 2;
		} else if (plus_space && s[i] == '+') {
			d[n++] = ' ';
		} else {
			d[n++] = s[i];
		}
	}
	d[n] = '\0';
	*outlen = n;
	return d;
}

char *
ais_sigv4_canon_uri(const char *path_raw)
{
	ais_sigv4_sb b = { 0 };
	size_t n = 0;
	char *d;

	if (path_raw == NULL || path_raw[0] == '\0') {
		return strdup("/");
	}
	d = ais_sigv4_decode(path_raw, strlen(path_raw), false, &n);
	if (d == NULL) {
		return NULL;
	}
	ais_sigv4_sb_encode(&b, d, n, true);
	free(d);
	return ais_sigv4_sb_take(&b);
}

typedef struct ais_sigv4_param {
	char *name; /* encoded */
	char *value;
} ais_sigv4_param;

static int
ais_sigv4_param_cmp(const void *a, const void *b)
{
	const ais_sigv4_param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

/* name or value, decoded then encoded; NULL on ENOMEM */
static char *
ais_sigv4_reencode(const char *s, size_t len)
{
	ais_sigv4_sb b = { 0 };
	size_t n = 0;
	char *d = ais_sigv4_decode(s, len, true, &n);

	if (d == NULL) {
		return NULL;
	}
	ais_sigv4_sb_encode(&b, d, n, false);
	free(d);
	return ais_sigv4_sb_take(&b);
}

char *
ais_sigv4_canon_query(const char *query_raw, bool presigned)
{
	ais_sigv4_param *ps = NULL;
	ais_sigv4_sb b = { 0 };
	size_t np = 0, cap = 0;
	const char *p = query_raw ? query_raw : "";
	char *res = NULL;

	while (*p != '\0') {
		const char *amp = strchr(p, '&');
		size_t seg = amp ? (size_t) (amp - p) : strlen(p);
		const char *eq = memchr(p, '=', seg);
		size_t nl = eq ? (size_t) (eq - p) : seg;
		ais_sigv4_param pr;

		if (seg == 0) {
			p += amp ? 1 : 0;
			continue;
		}
		pr.name = ais_sigv4_reencode(p, nl);
		pr.value = eq ? ais_sigv4_reencode(eq + 1, seg - nl - 1)
		              : strdup("");
		if (pr.name == NULL || pr.value == NULL) {
			free(pr.name);
			free(pr.value);
			goto done;
		}
		if (presigned && strcmp(pr.name, "X-Amz-Signature") == 0) {
			free(pr.name);
			free(pr.value);
		} else {
			if (np == cap) {
				size_t nc = cap ? cap * 2 : 16;
				ais_sigv4_param *q;
				q = realloc(ps, nc * sizeof(*ps));
				if (q == NULL) {
					free(pr.name);
					free(pr.value);
					goto done;
				}
				ps = q;
				cap = nc;
			}
			ps[np++] = pr;
		}
		p += seg + (amp ? 1 : 0);
	}
	if (np > 1) {
		qsort(ps, np, sizeof(*ps), ais_sigv4_param_cmp);
	}
	for (size_t i = 0; i < np; i++) {
		if (i > 0) {
			ais_sigv4_sb_putc(&b, '&');
		}
		ais_sigv4_sb_put(&b, ps[i].name);
		ais_sigv4_sb_putc(&b, '=');
		ais_sigv4_sb_put(&b, ps[i].value);
	}
	res = ais_sigv4_sb_take(&b);
done:
	ais_sigv4_sb_fini(&b);
	for (size_t i = 0; i < np; i++) {
		free(ps[i].name);
		free(ps[i].value);
	}
	free(ps);
	return res;
}

static bool
ais_sigv4_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Appends the canonical form of a header value (see canon_value). */
static void
ais_sigv4_sb_canon(ais_sigv4_sb *b, const char *v)
{
	const char *e;

	while (ais_sigv4_space(*v)) {
		v++;
	}
	e = v + strlen(v);
	while (e > v
	    && (ais_sigv4_space(e[-1]) || e[-1] == '\r' || e[-1] == '\n')) {
		e--;
	}
	while (v < e) {
		const char *s = v;
		if (ais_sigv4_space(*v)) {
			while (v < e && ais_sigv4_space(*v)) {
				v++;
			}
			ais_sigv4_sb_putc(b, ' ');
			continue;
		}
		while (v < e && !ais_sigv4_space(*v)) {
			v++;
		}
		ais_sigv4_sb_add(b, s, (size_t) (v - s));
	}
}

size_t
ais_sigv4_canon_value(const char *v, char *out, size_t outlen)
{
	ais_sigv4_sb b = { 0 };
	size_t n;

	ais_sigv4_sb_canon(&b, v);
	if (b.oom) {
		if (outlen > 0) {
			out[0] = '\0';
		}
		return 0;
	}
	n = b.len;
	if (outlen > 0) {
		snprintf(out, outlen, "%s", b.p ? b.p : "");
	}
	ais_sigv4_sb_fini(&b);
	return n;
}

bool
ais_sigv4_parse_date(const char *s, int64_t *epoch)
{
	struct tm tm;
	int v[6];
	static const int off[6] = { 0, 4, 6, 9, 11, 13 };
	static const int len[6] = { 4, 2, 2, 2, 2, 2 };
	time_t t;

	if (s == NULL || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z') {
		return false;
	}
	for (int i = 0; i < 6; i++) {
		v[i] = 0;
		for (int j = 0; j < len[i]; j++) {
			char c = s[off[i] + j];
			if (c < '0' || c > '9') {
				return false;
			}
			v[i] = v[i] * 10 + (c - '0');
		}
	}
	if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31
	    || v[3] > 23 || v[4] > 59 || v[5] > 60) {
		return false;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	t = timegm(&tm);
	if (t == (time_t) -1 || tm.tm_mday != v[2]) {
		return false; /* e.g. Feb 30 */
	}
	*epoch = (int64_t) t;
	return true;
}

/* Canonical request ------------------------------------------------------ */

typedef struct ais_sigv4_hcol {
	ais_sigv4_sb *b;
	size_t n;
} ais_sigv4_hcol;

static void
ais_sigv4_hcol_add(void *arg, const char *value)
{
	ais_sigv4_hcol *h = arg;

	if (h->n++ > 0) {
		ais_sigv4_sb_putc(h->b, ',');
	}
	ais_sigv4_sb_canon(h->b, value ? value : "");
}

char *
ais_sigv4_canon_request(const char *method, const char *canon_uri,
    const char *canon_query, const char *signed_headers,
    ais_sigv4_hdr_each each, void *arg, const char *payload_hash)
{
	ais_sigv4_sb b = { 0 };
	const char *p = signed_headers;

	ais_sigv4_sb_put(&b, method);
	ais_sigv4_sb_putc(&b, '\n');
	ais_sigv4_sb_put(&b, canon_uri);
	ais_sigv4_sb_putc(&b, '\n');
	ais_sigv4_sb_put(&b, canon_query);
	ais_sigv4_sb_putc(&b, '\n');
	while (*p != '\0') {
		const char *semi = strchr(p, ';');
		size_t n = semi ? (size_t) (semi - p) : strlen(p);
		char name[128];
		ais_sigv4_hcol h = { &b, 0 };

		if (n > 0 && n < sizeof(name)) {
			for (size_t i = 0; i < n; i++) {
				name[i] = (char) tolower((unsigned char) p[i]);
			}
			name[n] = '\0';
			ais_sigv4_sb_put(&b, name);
			ais_sigv4_sb_putc(&b, ':');
			each(arg, name, ais_sigv4_hcol_add, &h);
			ais_sigv4_sb_putc(&b, '\n');
		}
		p += n + (semi ? 1 : 0);
	}
	ais_sigv4_sb_putc(&b, '\n');
	ais_sigv4_sb_put(&b, signed_headers);
	ais_sigv4_sb_putc(&b, '\n');
	ais_sigv4_sb_put(&b, payload_hash);
	return ais_sigv4_sb_take(&b);
}

char *
ais_sigv4_string_to_sign(
    const char *amz_date, const char *scope, const char *creq)
{
	ais_sigv4_sb b = { 0 };
	char h[AIS_SIGV4_HEX];

	ais_sigv4_sha256_hex(creq, strlen(creq), h);
	ais_sigv4_sb_put(&b, AIS_SIGV4_ALGO "\n");
	ais_sigv4_sb_put(&b, amz_date);
	ais_sigv4_sb_putc(&b, '\n');
	ais_sigv4_sb_put(&b, scope);
	ais_sigv4_sb_putc(&b, '\n');
	ais_sigv4_sb_put(&b, h);
	return ais_sigv4_sb_take(&b);
}

void
ais_sigv4_chunk_sign(const uint8_t key[32], const char *amz_date,
    const char *scope, const char *prev_sig, const void *data, size_t len,
    char out[AIS_SIGV4_HEX])
{
	char sts[512], h[AIS_SIGV4_HEX];
	int n;

	ais_sigv4_sha256_hex(data, len, h);
	n = snprintf(sts, sizeof(sts),
	    "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n" AIS_SIGV4_EMPTY_SHA256
	    "\n%s",
	    amz_date, scope, prev_sig, h);
	if (n < 0 || (size_t) n >= sizeof(sts)) {
		/* Oversized scope: a signature nobody sent. */
		memset(out, 'x', 64);
		out[64] = '\0';
		return;
	}
	ais_sigv4_sign(key, sts, (size_t) n, out);
}

/* Credentials ------------------------------------------------------------ */

static bool
ais_sigv4_all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
	}
	return true;
}

/* "AKID/yyyymmdd/region/s3/aws4_request" into c. */
static bool
ais_sigv4_parse_credential(
    const char *s, size_t len, ais_sigv4_cred *c, char *msg, size_t msglen)
{
	const char *f[5];
	size_t fl[5];
	const char *e = s + len, *p = e;

	/* The last four '/'-separated fields; the access key is the rest. */
	for (int i = 4; i >= 1; i--) {
		const char *q = p;
		while (q > s && q[-1] != '/') {
			q--;
		}
		if (q == s) {
			ais_sigv4_msg(msg, msglen,
			    "the Credential is mal-formed; expecting "
			    "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/"
			    "aws4_request\"");
			return false;
		}
		f[i] = q;
		fl[i] = (size_t) (p - q);
		p = q - 1;
	}
	f[0] = s;
	fl[0] = (size_t) (p - s);
	if (fl[0] == 0 || fl[0] > AIS_SIGV4_KEY_MAX) {
		ais_sigv4_msg(msg, msglen,
		    "the Credential has an empty or oversized access key");
		return false;
	}
	if (fl[1] != 8 || !ais_sigv4_all_digits(f[1], 8)) {
		ais_sigv4_msg(msg, msglen,
		    "the Credential date \"%.*s\" is not YYYYMMDD",
		    (int) (fl[1] > 32 ? 32 : fl[1]), f[1]);
		return false;
	}
	if (fl[2] == 0 || fl[2] >= sizeof(c->region)) {
		ais_sigv4_msg(
		    msg, msglen, "the Credential region is empty or too long");
		return false;
	}
	if (fl[3] != 2 || memcmp(f[3], "s3", 2) != 0) {
		ais_sigv4_msg(msg, msglen,
		    "the Credential service \"%.*s\" is not s3",
		    (int) (fl[3] > 32 ? 32 : fl[3]), f[3]);
		return false;
	}
	if (fl[4] != 12 || memcmp(f[4], "aws4_request", 12) != 0) {
		ais_sigv4_msg(msg, msglen,
		    "the Credential must end in \"aws4_request\"");
		return false;
	}
	memcpy(c->access_key, f[0], fl[0]);
	c->access_key[fl[0]] = '\0';
	memcpy(c->date, f[1], 8);
	c->date[8] = '\0';
	memcpy(c->region, f[2], fl[2]);
	c->region[fl[2]] = '\0';
	snprintf(c->service, sizeof(c->service), "s3");
	snprintf(c->scope, sizeof(c->scope), "%s/%s/s3/aws4_request", c->date,
	    c->region);
	return true;
}

static bool
ais_sigv4_parse_sig(const char *s, size_t len, ais_sigv4_cred *c)
{
	if (len != 64) {
		return false;
	}
	for (size_t i = 0; i < 64; i++) {
		if (ais_hexval(s[i]) < 0) {
			return false;
		}
		c->signature[i] = (char) tolower((unsigned char) s[i]);
	}
	c->signature[64] = '\0';
	return true;
}

static bool
ais_sigv4_parse_signed_headers(const char *s, size_t len, ais_sigv4_cred *c)
{
	if (len == 0 || len >= sizeof(c->signed_headers)) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char) s[i];
		if (!(isalnum(ch) || ch == '-' || ch == '_' || ch == ';'
		        || ch == '.')) {
			return false;
		}
	}
	memcpy(c->signed_headers, s, len);
	c->signed_headers[len] = '\0';
	return true;
}

ais_sigv4_res
ais_sigv4_parse_header(
    const char *authz, ais_sigv4_cred *c, char *msg, size_t msglen)
{
	const size_t al = strlen(AIS_SIGV4_ALGO);
	const char *p;
	bool have_cred = false, have_sh = false, have_sig = false;

	memset(c, 0, sizeof(*c));
	while (ais_sigv4_space(*authz)) {
		authz++;
	}
	if (strncmp(authz, AIS_SIGV4_ALGO, al) != 0
	    || !(ais_sigv4_space(authz[al]) || authz[al] == '\0')) {
		const char *sp = strchr(authz, ' ');
		if (authz[0] == '\0') {
			ais_sigv4_msg(
			    msg, msglen, "the Authorization header is empty");
			return AIS_SIGV4_MALFORMED;
		}
		ais_sigv4_msg(msg, msglen,
		    "unsupported authorization scheme \"%.*s\"",
		    (int) (sp && sp - authz < 32 ? sp - authz : 32), authz);
		return AIS_SIGV4_UNSUPPORTED;
	}
	p = authz + al;
	while (*p != '\0') {
		const char *end, *eq;
		size_t n;

		while (ais_sigv4_space(*p) || *p == ',') {
			p++;
		}
		if (*p == '\0') {
			break;
		}
		end = strchr(p, ',');
		if (end == NULL) {
			end = p + strlen(p);
		}
		n = (size_t) (end - p);
		while (n > 0 && ais_sigv4_space(p[n - 1])) {
			n--;
		}
		eq = memchr(p, '=', n);
		if (eq == NULL) {
			ais_sigv4_msg(msg, msglen,
			    "the Authorization header is mal-formed near "
			    "\"%.*s\"",
			    (int) (n > 32 ? 32 : n), p);
			return AIS_SIGV4_MALFORMED;
		}
		size_t kl = (size_t) (eq - p), vl = n - kl - 1;
		const char *v = eq + 1;
		if (kl == 10 && memcmp(p, "Credential", 10) == 0) {
			if (!ais_sigv4_parse_credential(
			        v, vl, c, msg, msglen)) {
				return AIS_SIGV4_MALFORMED;
			}
			have_cred = true;
		} else if (kl == 13 && memcmp(p, "SignedHeaders", 13) == 0) {
			if (!ais_sigv4_parse_signed_headers(v, vl, c)) {
				ais_sigv4_msg(msg, msglen,
				    "bad SignedHeaders in the Authorization "
				    "header");
				return AIS_SIGV4_MALFORMED;
			}
			have_sh = true;
		} else if (kl == 9 && memcmp(p, "Signature", 9) == 0) {
			if (!ais_sigv4_parse_sig(v, vl, c)) {
				ais_sigv4_msg(msg, msglen,
				    "the Signature must be 64 hex digits");
				return AIS_SIGV4_MALFORMED;
			}
			have_sig = true;
		}
		/* Unknown fields are ignored, as AWS does. */
		p = end;
	}
	if (!have_cred || !have_sh || !have_sig) {
		ais_sigv4_msg(msg, msglen,
		    "the Authorization header requires Credential, "
		    "SignedHeaders and Signature");
		return AIS_SIGV4_MALFORMED;
	}
	return AIS_SIGV4_OK;
}

ais_sigv4_res
ais_sigv4_parse_query(
    const char *query_raw, ais_sigv4_cred *c, char *msg, size_t msglen)
{
	const char *p = query_raw ? query_raw : "";
	bool have[6] = { false };
	bool v2 = false;
	ais_sigv4_res res = AIS_SIGV4_OK;
	static const char *const names[6] = {
		"X-Amz-Algorithm",
		"X-Amz-Credential",
		"X-Amz-Date",
		"X-Amz-Expires",
		"X-Amz-SignedHeaders",
		"X-Amz-Signature",
	};

	memset(c, 0, sizeof(*c));
	while (*p != '\0' && res == AIS_SIGV4_OK) {
		const char *amp = strchr(p, '&');
		size_t seg = amp ? (size_t) (amp - p) : strlen(p);
		const char *eq = memchr(p, '=', seg);
		size_t nl = eq ? (size_t) (eq - p) : seg, dn = 0, vn = 0;
		char *name, *val;
		int which = -1;

		name = ais_sigv4_decode(p, nl, true, &dn);
		val = eq ? ais_sigv4_decode(eq + 1, seg - nl - 1, true, &vn)
		         : strdup("");
		p += seg + (amp ? 1 : 0);
		if (name == NULL || val == NULL) {
			free(name);
			free(val);
			return AIS_SIGV4_ENOMEM;
		}
		vn = strlen(val);
		for (int i = 0; i < 6; i++) {
			if (strcmp(name, names[i]) == 0) {
				which = i;
			}
		}
		if (strcmp(name, "AWSAccessKeyId") == 0) {
			v2 = true;
		}
		if (which >= 0) {
			have[which] = true;
		}
		switch (which) {
		case 0:
			if (strcmp(val, AIS_SIGV4_ALGO) != 0) {
				ais_sigv4_msg(msg, msglen,
				    "X-Amz-Algorithm only supports \"%s\"",
				    AIS_SIGV4_ALGO);
				res = AIS_SIGV4_UNSUPPORTED;
			}
			break;
		case 1:
			if (!ais_sigv4_parse_credential(
			        val, vn, c, msg, msglen)) {
				res = AIS_SIGV4_QMALFORMED;
			}
			break;
		case 2:
			if (vn != 16) {
				ais_sigv4_msg(msg, msglen,
				    "X-Amz-Date must be in the ISO8601 Long "
				    "Format \"yyyyMMdd'T'HHmmss'Z'\"");
				res = AIS_SIGV4_QMALFORMED;
			} else {
				memcpy(c->amz_date, val, 17);
			}
			break;
		case 3: {
			char *end = NULL;
			long long e = strtoll(val, &end, 10);
			if (vn == 0 || *end != '\0' || e < 0) {
				ais_sigv4_msg(msg, msglen,
				    "X-Amz-Expires should be a number");
				res = AIS_SIGV4_QMALFORMED;
			} else if (e < 1 || e > AIS_SIGV4_MAX_EXPIRES) {
				ais_sigv4_msg(msg, msglen,
				    "X-Amz-Expires must be between 1 and a "
				    "week (in seconds) that is %d",
				    AIS_SIGV4_MAX_EXPIRES);
				res = AIS_SIGV4_QMALFORMED;
			}
			c->expires = e;
			break;
		}
		case 4:
			if (!ais_sigv4_parse_signed_headers(val, vn, c)) {
				ais_sigv4_msg(
				    msg, msglen, "bad X-Amz-SignedHeaders");
				res = AIS_SIGV4_QMALFORMED;
			}
			break;
		case 5:
			if (!ais_sigv4_parse_sig(val, vn, c)) {
				ais_sigv4_msg(msg, msglen,
				    "X-Amz-Signature must be 64 hex digits");
				res = AIS_SIGV4_QMALFORMED;
			}
			break;
		default:
			break;
		}
		free(name);
		free(val);
	}
	if (res != AIS_SIGV4_OK) {
		return res;
	}
	if (!have[0] && !have[1] && !have[5]) {
		if (v2) {
			ais_sigv4_msg(msg, msglen,
			    "query-string authentication version 2 is not "
			    "supported; use %s",
			    AIS_SIGV4_ALGO);
			return AIS_SIGV4_UNSUPPORTED;
		}
		return AIS_SIGV4_NONE;
	}
	for (int i = 0; i < 6; i++) {
		if (!have[i]) {
			ais_sigv4_msg(msg, msglen,
			    "Query-string authentication version 4 requires "
			    "the X-Amz-Algorithm, X-Amz-Credential, "
			    "X-Amz-Signature, X-Amz-Date, "
			    "X-Amz-SignedHeaders, "
			    "and X-Amz-Expires parameters (%s missing)",
			    names[i]);
			return AIS_SIGV4_QMALFORMED;
		}
	}
	return AIS_SIGV4_OK;
}

/* Verification ----------------------------------------------------------- */

typedef struct ais_sigv4_first {
	char *v; /* malloc'd copy of the first value */
	bool oom;
} ais_sigv4_first;

static void
ais_sigv4_first_add(void *arg, const char *value)
{
	ais_sigv4_first *f = arg;

	if (f->v == NULL && !f->oom) {
		f->v = strdup(value ? value : "");
		f->oom = f->v == NULL;
	}
}

/* The first value of a header, trimmed, malloc'd; NULL if absent (or
 * *oom). */
static char *
ais_sigv4_header(const ais_sigv4_req *req, const char *lname, bool *oom)
{
	ais_sigv4_first f = { NULL, false };
	char *s, *e;

	req->each(req->arg, lname, ais_sigv4_first_add, &f);
	if (f.oom) {
		*oom = true;
		return NULL;
	}
	if (f.v == NULL) {
		return NULL;
	}
	s = f.v;
	while (ais_sigv4_space(*s)) {
		s++;
	}
	e = s + strlen(s);
	while (e > s && ais_sigv4_space(e[-1])) {
		e--;
	}
	*e = '\0';
	memmove(f.v, s, (size_t) (e - s) + 1);
	return f.v;
}

/* The decoded value of query parameter `name` (exact case), malloc'd;
 * NULL if absent (or *oom). */
static char *
ais_sigv4_query_value(const char *query_raw, const char *name, bool *oom)
{
	size_t nl = strlen(name);

	for (const char *s = query_raw; s != NULL && *s != '\0';) {
		size_t seg = strcspn(s, "&"), dn = 0;
		if (seg > nl && strncmp(s, name, nl) == 0 && s[nl] == '=') {
			char *v = ais_sigv4_decode(
			    s + nl + 1, seg - nl - 1, true, &dn);
			*oom = v == NULL;
			return v;
		}
		s = s[seg] == '&' ? s + seg + 1 : NULL;
	}
	return NULL;
}

/* Signs the canonical request for canon_uri; *match says whether it equals
 * the signature sent. */
static ais_sigv4_res
ais_sigv4_try(const ais_sigv4_req *req, const ais_sigv4_cred *c,
    const char *canon_uri, const char *canon_query, const char *payload,
    const uint8_t key[32], bool *match)
{
	char *creq, *sts;
	char sig[AIS_SIGV4_HEX];

	creq = ais_sigv4_canon_request(req->method, canon_uri, canon_query,
	    c->signed_headers, req->each, req->arg, payload);
	if (creq == NULL) {
		return AIS_SIGV4_ENOMEM;
	}
	sts = ais_sigv4_string_to_sign(c->amz_date, c->scope, creq);
	free(creq);
	if (sts == NULL) {
		return AIS_SIGV4_ENOMEM;
	}
	ais_sigv4_sign(key, sts, strlen(sts), sig);
	free(sts);
	*match = ais_sigv4_sig_equal(sig, c->signature);
	return AIS_SIGV4_OK;
}

ais_sigv4_res
ais_sigv4_verify(const ais_sigv4_req *req, ais_sigv4_out *out)
{
	ais_sigv4_cred c;
	ais_sigv4_res res, qres;
	char *authz = NULL, *date = NULL, *sha = NULL;
	char *uri = NULL, *query = NULL, *qsha = NULL;
	const char *secret, *payload;
	char qmsg[256] = "";
	bool oom = false, match = false;
	int64_t t = 0;
	uint8_t key[32];

	memset(out, 0, sizeof(*out));
	authz = ais_sigv4_header(req, "authorization", &oom);
	if (oom) {
		return AIS_SIGV4_ENOMEM;
	}
	qres = ais_sigv4_parse_query(req->query_raw, &c, qmsg, sizeof(qmsg));
	if (authz != NULL && qres != AIS_SIGV4_NONE) {
		ais_sigv4_msg(out->msg, sizeof(out->msg),
		    "Only one auth mechanism allowed; only the "
		    "X-Amz-Algorithm "
		    "query parameter or the Authorization header should be "
		    "specified");
		res = AIS_SIGV4_AMBIGUOUS;
		goto done;
	}
	if (authz == NULL) {
		/* Presigned (or nothing) */
		if (qres != AIS_SIGV4_OK) {
			snprintf(out->msg, sizeof(out->msg), "%s", qmsg);
			res = qres;
			goto done;
		}
		out->presigned = true;
		if (!ais_sigv4_parse_date(c.amz_date, &t)) {
			ais_sigv4_msg(out->msg, sizeof(out->msg),
			    "X-Amz-Date must be in the ISO8601 Long Format "
			    "\"yyyyMMdd'T'HHmmss'Z'\"");
			res = AIS_SIGV4_QMALFORMED;
			goto done;
		}
	} else {
		res = ais_sigv4_parse_header(
		    authz, &c, out->msg, sizeof(out->msg));
		if (res != AIS_SIGV4_OK) {
			goto done;
		}
		date = ais_sigv4_header(req, "x-amz-date", &oom);
		if (oom) {
			res = AIS_SIGV4_ENOMEM;
			goto done;
		}
		if (date == NULL || !ais_sigv4_parse_date(date, &t)) {
			ais_sigv4_msg(out->msg, sizeof(out->msg),
			    "AWS authentication requires a valid x-amz-date "
			    "header (yyyyMMdd'T'HHmmss'Z')");
			res = AIS_SIGV4_NO_DATE;
			goto done;
		}
		memcpy(c.amz_date, date, 17);
	}
	if (memcmp(c.amz_date, c.date, 8) != 0) {
		ais_sigv4_msg(out->msg, sizeof(out->msg),
		    "Invalid credential date \"%s\": it is not the same as "
		    "X-Amz-Date \"%s\"",
		    c.date, c.amz_date);
		res = out->presigned ? AIS_SIGV4_QMALFORMED
		                     : AIS_SIGV4_MALFORMED;
		goto done;
	}
	snprintf(out->access_key, sizeof(out->access_key), "%s", c.access_key);
	secret = req->secret(req->arg, c.access_key);
	if (secret == NULL) {
		ais_sigv4_msg(out->msg, sizeof(out->msg),
		    "The AWS Access Key Id you provided does not exist in our "
		    "records.");
		res = AIS_SIGV4_UNKNOWN_KEY;
		goto done;
	}
	if (out->presigned) {
		if (req->now + AIS_SIGV4_MAX_SKEW < t) {
			ais_sigv4_msg(out->msg, sizeof(out->msg),
			    "Request is not valid yet");
			res = AIS_SIGV4_NOT_YET;
			goto done;
		}
		if (req->now > t + c.expires) {
			ais_sigv4_msg(
			    out->msg, sizeof(out->msg), "Request has expired");
			res = AIS_SIGV4_EXPIRED;
			goto done;
		}
	} else if (req->now > t + AIS_SIGV4_MAX_SKEW
	    || req->now + AIS_SIGV4_MAX_SKEW < t) {
		ais_sigv4_msg(out->msg, sizeof(out->msg),
		    "The difference between the request time (%s) and the "
		    "current time is too large.",
		    c.amz_date);
		res = AIS_SIGV4_SKEWED;
		goto done;
	}
	if (out->presigned) {
		/* Some SDKs sign a payload hash into the query; the default
		 * is UNSIGNED-PAYLOAD. */
		qsha = ais_sigv4_query_value(
		    req->query_raw, "X-Amz-Content-Sha256", &oom);
		if (oom) {
			res = AIS_SIGV4_ENOMEM;
			goto done;
		}
		payload = qsha ? qsha : AIS_SIGV4_UNSIGNED;
	} else {
		sha = ais_sigv4_header(req, "x-amz-content-sha256", &oom);
		if (oom) {
			res = AIS_SIGV4_ENOMEM;
			goto done;
		}
		/* Absent: the hash of an empty body (a GET signed by a
		 * generic SigV4 client). */
		payload = sha ? sha : AIS_SIGV4_EMPTY_SHA256;
	}
	uri = ais_sigv4_canon_uri(req->path_raw);
	query = ais_sigv4_canon_query(req->query_raw, out->presigned);
	if (uri == NULL || query == NULL) {
		res = AIS_SIGV4_ENOMEM;
		goto done;
	}
	ais_sigv4_signing_key(secret, c.date, c.region, c.service, key);
	res = ais_sigv4_try(req, &c, uri, query, payload, key, &match);
	if (res == AIS_SIGV4_OK && !match && req->path_raw != NULL
	    && req->path_raw[0] != '\0' && strcmp(uri, req->path_raw) != 0) {
		/* A client that signed the path exactly as it sent it. */
		res = ais_sigv4_try(
		    req, &c, req->path_raw, query, payload, key, &match);
	}
	if (res != AIS_SIGV4_OK) {
		goto done;
	}
	if (!match) {
		ais_sigv4_msg(out->msg, sizeof(out->msg),
		    "The request signature we calculated does not match the "
		    "signature you provided. Check your key and signing "
		    "method.");
		res = AIS_SIGV4_MISMATCH;
		OPENSSL_cleanse(key, sizeof(key));
		goto done;
	}
	memcpy(out->key, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	snprintf(out->amz_date, sizeof(out->amz_date), "%s", c.amz_date);
	snprintf(out->scope, sizeof(out->scope), "%s", c.scope);
	snprintf(out->signature, sizeof(out->signature), "%s", c.signature);
	snprintf(out->payload, sizeof(out->payload), "%s", payload);
	res = AIS_SIGV4_OK;
done:
	free(authz);
	free(date);
	free(sha);
	free(qsha);
	free(uri);
	free(query);
	return res;
}
