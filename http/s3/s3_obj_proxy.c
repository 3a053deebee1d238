/*
 * S3 object operations on a proxy (spec s3-api.md section 3): find the
 * owning target by HRW over the object's uname (CopyObject: the SOURCE
 * object's, since that target reads it) and either
 *
 *  - reverse-proxy (default): open a connection to the target's public
 *    port, send the request marked with pid/utm, relay the client's body
 *    to it as MHD delivers each piece (an upload sink), then relay the
 *    target's answer back as a streamed response whose reader pulls from
 *    the target's socket. Unpatched boto3, aws CLI, s3cmd and rclone never
 *    see a redirect. Memory per request is bounded (socket buffers, the
 *    answer's head, one signed chunk at most); no object is ever held
 *    whole;
 *  - or redirect (cluster config "s3.redirect": true): 307 with Location =
 *    target URL + path + query + marker, and the XML body AIS sends.
 *
 * aws-chunked bodies (x-amz-content-sha256 "STREAMING-...") are decoded
 * here while they stream: the target gets plain data with Content-Length =
 * x-amz-decoded-content-length, and the proxy -- the only node that knows
 * the signing key -- verifies each chunk's signature when the request is
 * SigV4-streaming-signed (a signed chunk is gathered whole for that, at
 * most S3_FWD_SIGCHUNK_MAX bytes). A body that turns out bad (malformed,
 * short, long, a bad signature) must never be stored: the target is sent
 * at most the declared length and the last byte is held back until the
 * body has been verified complete; otherwise the connection to the target
 * is closed, which makes the target discard its work file.
 *
 * Blocking: the forwarding runs on the proxy's HTTP worker thread (writes
 * to and reads from the target block it, bounded by S3_FWD_IO_MS), like
 * the sendfile of a GET on a target.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "core/hrw.h"
#include "core/log.h"
#include "http/fwd.h"
#include "http/s3/awschunked.h"
#include "http/s3/s3_obj_int.h"

#define S3_FWD_CONNECT_MS   5000
#define S3_FWD_IO_MS        120000
#define S3_FWD_SIGCHUNK_MAX (16u << 20)

/* One forwarded request with a body; in the request arena. */
typedef struct s3_fwd {
	s3_req q; /* copy: chunk signatures advance q.seed_sig */
	http_fwd *f;
	bool head_req;
	bool decode;      /* aws-chunked decoded here */
	bool out_chunked; /* HTTP-chunked to the target (length unknown) */
	uint64_t out_len; /* declared length to the target, or UINT64_MAX */
	uint64_t sent;    /* body bytes given to the target (+ held) */
	bool held;        /* the last byte is held back */
	char hold;
	s3_ach ach;
	char *sig; /* a signed chunk being gathered (malloc'd) */
	size_t sig_len, sig_cap;
	ais_err send_err; /* first failure writing to the target */
	int bad_status;   /* the body is bad: answer this, store nothing */
	const char *bad_code;
	char bad_msg[160];
} s3_fwd;

static void
s3_fwd_bad(s3_fwd *w, int status, const char *code, const char *msg)
{
	if (w->bad_status != 0) {
		return;
	}
	w->bad_status = status;
	w->bad_code = code;
	snprintf(w->bad_msg, sizeof(w->bad_msg), "%s", msg);
}

/* Target selection -------------------------------------------------------- */

/* The owner's public URL into url; replies and returns false on failure. */
static bool
s3_fwd_owner(http_req *r, s3_req *q, char *url, size_t len)
{
	char uname[HTTP_OBJ_UNAME_MAX];
	char sb[AIS_BCK_NAME_MAX + 1];
	char sk[AIS_OBJNAME_MAX + 1];
	char prov[8];
	char ns[80];
	const char *bck = q->bucket;
	const char *key = q->key;
	const char *provider = q->provider;
	const char *nsp = q->ns;
	const ais_snode *t = NULL;
	ais_smap *m;
	size_t n;

	if (q->op == S3_OP_COPY_OBJECT) {
		const char *src = http_req_header(r, "x-amz-copy-source");

		if (src == NULL
		    || !s3_obj_copy_source(src, sb, sizeof(sb), sk, sizeof(sk))
		    || ais_objname_check(sk, strlen(sk), false) != AIS_OK) {
			s3_reply_err(r, 400, "InvalidArgument",
			    "invalid x-amz-copy-source \"%s\"",
			    src == NULL ? "" : src);
			return false;
		}
		n = s3_obj_bck_find(
		    r->node, sb, prov, sizeof(prov), ns, sizeof(ns));
		if (n != 1) {
			s3_reply_err(r, 404,
			    n == 0 ? "NoSuchBucket" : "AmbiguousBucketName",
			    "source bucket \"%s\": %s", sb,
			    n == 0 ? "does not exist" : "ambiguous name");
			return false;
		}
		bck = sb;
		key = sk;
		provider = prov;
		nsp = ns;
	}
	n = ais_uname(uname, sizeof(uname), ais_provider_norm(provider),
	    nsp[0] == '\0' ? "@#" : nsp, bck, key);
	if (n == 0) {
		s3_reply_err(
		    r, 400, "KeyTooLongError", "object name too long");
		return false;
	}
	m = ais_node_smap(r->node);
	if (m == NULL) {
		s3_reply_err(r, 503, "ServiceUnavailable",
		    "cluster map is not available yet");
		return false;
	}
	if (ais_hrw_target_digest(m, ais_hrw_digest(uname, n), &t) != AIS_OK) {
		ais_smap_rele(m);
		s3_reply_err(r, 503, "ServiceUnavailable",
		    "no targets to serve %s", uname);
		return false;
	}
	snprintf(url, len, "%s", t->pub.url);
	ais_smap_rele(m);
	return true;
}

/* Redirect mode ----------------------------------------------------------- */

static void
s3_fwd_redirect(http_req *r, s3_req *q, const char *url)
{
	size_t cap = strlen(url) + strlen(q->fwd_path) + strlen(r->query_raw)
	    + AIS_ID_MAX + 64;
	char *loc = http_req_alloc(r, cap);
	s3_buf b = { 0 };

	if (loc == NULL) {
		s3_reply_err(r, 500, "InternalError", "out of memory");
		return;
	}
	snprintf(loc, cap, "%s%s?%s%spid=%s&utm=%lld", url, q->fwd_path,
	    r->query_raw, r->query_raw[0] == '\0' ? "" : "&", r->node->self.id,
	    (long long) http_obj_now_ns());
	s3_buf_put(&b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Error><Code>TemporaryRedirect</Code>"
	    "<Message>Redirect</Message>");
	s3_buf_elem(&b, "Endpoint", loc);
	s3_buf_elem(&b, "Bucket", q->bucket);
	s3_buf_put(&b, "</Error>");
	if (b.oom) {
		s3_buf_fini(&b);
		s3_reply_err(r, 500, "InternalError", "out of memory");
		return;
	}
	{
		const char *hdrs[]
		    = { "Location", loc, "Server", "AIStore", NULL };

		http_reply_take(
		    r, 307, "text/xml; charset=utf-8", b.p, b.len, hdrs);
	}
}

/* The request to the target ----------------------------------------------- */

/* Request headers the target must not see: hop-by-hop ones, the ones this
 * proxy rewrites, and Authorization (verified here; the target trusts the
 * marker). */
static bool
s3_fwd_skip_hdr(const s3_fwd *w, const char *name)
{
	static const char *const hop[] = { "Host", "Connection", "Keep-Alive",
		"Proxy-Connection", "Proxy-Authorization", "TE", "Trailer",
		"Transfer-Encoding", "Upgrade", "Expect", "Content-Length",
		"Authorization" };
	static const char *const chunked[]
	    = { "x-amz-content-sha256", "x-amz-decoded-content-length",
		      "x-amz-trailer", "Content-Encoding" };

	for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++) {
		if (strcasecmp(name, hop[i]) == 0) {
			return true;
		}
	}
	if (w->decode) {
		for (size_t i = 0; i < sizeof(chunked) / sizeof(chunked[0]);
		     i++) {
			if (strcasecmp(name, chunked[i]) == 0) {
				return true;
			}
		}
	}
	return false;
}

typedef struct s3_fwd_hw {
	s3_fwd *w;
	ais_err err;
} s3_fwd_hw;

static void
s3_fwd_hdr_out(void *arg, const char *name, const char *value)
{
	s3_fwd_hw *hw = arg;

	if (hw->err != AIS_OK || s3_fwd_skip_hdr(hw->w, name)) {
		return;
	}
	hw->err = http_fwd_printf(hw->w->f, "%s: %s\r\n", name, value);
}

/* Content-Encoding without its "aws-chunked" token (decoded here). */
static ais_err
s3_fwd_content_encoding(http_req *r, s3_fwd *w)
{
	const char *ce = http_req_header(r, "Content-Encoding");
	char out[256];
	size_t n = 0;

	if (ce == NULL) {
		return AIS_OK;
	}
	while (*ce != '\0') {
		size_t l = strcspn(ce, ",");
		const char *t = ce;
		size_t tl = l;

		while (tl > 0 && (*t == ' ' || *t == '\t')) {
			t++;
			tl--;
		}
		while (tl > 0 && (t[tl - 1] == ' ' || t[tl - 1] == '\t')) {
			tl--;
		}
		if (tl > 0
		    && !(tl == 11 && strncasecmp(t, "aws-chunked", 11) == 0)
		    && n + tl + 2 < sizeof(out)) {
			if (n > 0) {
				out[n++] = ',';
			}
			memcpy(out + n, t, tl);
			n += tl;
		}
		ce += l;
		if (*ce == ',') {
			ce++;
		}
	}
	if (n == 0) {
		return AIS_OK;
	}
	out[n] = '\0';
	return http_fwd_printf(w->f, "Content-Encoding: %s\r\n", out);
}

static ais_err
s3_fwd_send_head(http_req *r, s3_fwd *w, const char *url, bool body)
{
	s3_fwd_hw hw = { .w = w, .err = AIS_OK };
	const char *host = strstr(url, "://");
	ais_err err;

	host = host == NULL ? url : host + 3;
	err = http_fwd_printf(w->f,
	    "%s %s?%s%spid=%s&utm=%lld HTTP/1.1\r\nHost: %s\r\n",
	    r->method_str, w->q.fwd_path, r->query_raw,
	    r->query_raw[0] == '\0' ? "" : "&", r->node->self.id,
	    (long long) http_obj_now_ns(), host);
	if (err != AIS_OK) {
		return err;
	}
	http_req_header_all(r, s3_fwd_hdr_out, &hw);
	if (hw.err != AIS_OK) {
		return hw.err;
	}
	if (w->decode) {
		err = s3_fwd_content_encoding(r, w);
		if (err == AIS_OK) {
			err = http_fwd_printf(w->f,
			    "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n");
		}
		if (err != AIS_OK) {
			return err;
		}
	}
	if (!body) {
		err = AIS_OK;
	} else if (w->out_chunked) {
		err = http_fwd_printf(w->f, "Transfer-Encoding: chunked\r\n");
	} else {
		err = http_fwd_printf(
		    w->f, "Content-Length: %" PRIu64 "\r\n", w->out_len);
	}
	if (err != AIS_OK) {
		return err;
	}
	return http_fwd_printf(
	    w->f, "Ais-Caller-Name: %s\r\n\r\n", r->node->self.id);
}

/* The target's answer ----------------------------------------------------- */

static long
s3_fwd_stream_read(void *arg, uint64_t pos, char *buf, size_t max)
{
	(void) pos;
	return http_fwd_read_body(arg, buf, max);
}

static void
s3_fwd_stream_free(void *arg)
{
	http_fwd_close(arg);
}

/* Response headers a proxy does not relay (MHD sets its own). */
static bool
s3_fwd_skip_resp_hdr(const char *name)
{
	static const char *const skip[] = { "Connection", "Keep-Alive",
		"Transfer-Encoding", "Content-Length", "Date", "Content-Type",
		"Trailer", "Upgrade" };

	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
		if (strcasecmp(name, skip[i]) == 0) {
			return true;
		}
	}
	return false;
}

/* Reads the target's answer head and answers r with it, streaming the
 * body; takes w->f. */
static void
s3_fwd_relay(http_req *r, s3_fwd *w)
{
	http_fwd *f = w->f;
	http_hdrs *h;
	const char *ctype;
	int64_t len;
	int status;
	ais_err err;

	w->f = NULL;
	err = http_fwd_read_head(f, w->head_req);
	if (err != AIS_OK) {
		http_fwd_close(f);
		AIS_LOGW("AIS-S3-FWD", "%s %s: no answer from the target: %s",
		    r->method_str, r->url_path, ais_strerror(err));
		s3_reply_err(r, 503, "ServiceUnavailable",
		    "the storage target did not answer: %s",
		    ais_strerror(err));
		return;
	}
	h = http_req_alloc(r, sizeof(*h));
	if (h == NULL) {
		http_fwd_close(f);
		s3_reply_err(r, 500, "InternalError", "out of memory");
		return;
	}
	http_hdrs_init(h);
	for (size_t i = 0; i < http_fwd_nhdrs(f); i++) {
		const char *k, *v;

		http_fwd_hdr(f, i, &k, &v);
		if (!s3_fwd_skip_resp_hdr(k)) {
			http_hdrs_add(h, k, v);
		}
	}
	status = http_fwd_status(f);
	ctype = http_fwd_hdr_get(f, "Content-Type");
	len = http_fwd_body_len(f);
	if (status == 204 || status == 304 || (len == 0 && !w->head_req)) {
		http_reply(r, status, ctype, NULL, 0, h->kv);
		http_fwd_close(f);
		return;
	}
	/* The stream owns f from here (closed by its free callback), and
	 * copies the headers now. */
	http_reply_stream(r, status, ctype, len, s3_fwd_stream_read,
	    s3_fwd_stream_free, f, h->kv);
}

/* The body ---------------------------------------------------------------- */

static bool
s3_fwd_out(s3_fwd *w, const char *p, size_t n)
{
	ais_err err;

	if (w->send_err != AIS_OK) {
		return false;
	}
	err = w->out_chunked ? http_fwd_write_chunk(w->f, p, n)
	                     : http_fwd_write(w->f, p, n);
	if (err != AIS_OK) {
		w->send_err = err;
		return false;
	}
	return true;
}

/* Decoded data bound for the target: never more than the declared length,
 * and the byte that completes it held back until the body is verified. */
static bool
s3_fwd_data(s3_fwd *w, const char *p, size_t n)
{
	if (w->out_chunked) {
		return s3_fwd_out(w, p, n);
	}
	if (n > w->out_len - w->sent) {
		s3_fwd_bad(w, 400, "IncompleteBody",
		    "the body is longer than x-amz-decoded-content-length");
		return false;
	}
	if (w->held) {
		/* cannot happen: the held byte completes the length */
		return false;
	}
	w->sent += n;
	if (w->sent == w->out_len) {
		w->hold = p[n - 1];
		w->held = true;
		n--;
	}
	return n == 0 || s3_fwd_out(w, p, n);
}

static bool
s3_fwd_ach_data(void *arg, const char *p, size_t n)
{
	s3_fwd *w = arg;

	if (!w->q.chunk_signed) {
		return s3_fwd_data(w, p, n);
	}
	if (n > S3_FWD_SIGCHUNK_MAX - w->sig_len) {
		s3_fwd_bad(w, 400, "InvalidRequest",
		    "signed chunk larger than 16 MiB");
		return false;
	}
	if (w->sig_len + n > w->sig_cap) {
		size_t cap = w->sig_cap == 0 ? 64 * 1024 : w->sig_cap;
		char *nb;

		while (cap < w->sig_len + n) {
			cap *= 2;
		}
		nb = realloc(w->sig, cap);
		if (nb == NULL) {
			s3_fwd_bad(w, 500, "InternalError", "out of memory");
			return false;
		}
		w->sig = nb;
		w->sig_cap = cap;
	}
	memcpy(w->sig + w->sig_len, p, n);
	w->sig_len += n;
	return true;
}

static bool
s3_fwd_ach_chunk_end(void *arg, const char *sig, bool last)
{
	s3_fwd *w = arg;
	size_t n;

	(void) last;
	if (!w->q.chunk_signed) {
		return true;
	}
	n = w->sig_len;
	w->sig_len = 0;
	if (sig[0] == '\0'
	    || !s3_auth_chunk(&w->q, n == 0 ? "" : w->sig, n, sig)) {
		s3_fwd_bad(w, 403, "SignatureDoesNotMatch",
		    "the chunk signature does not match");
		return false;
	}
	return n == 0 || s3_fwd_data(w, w->sig, n);
}

static const s3_ach_cb s3_fwd_ach_cb = {
	.data = s3_fwd_ach_data,
	.chunk_end = s3_fwd_ach_chunk_end,
};

static bool
s3_fwd_chunk(void *arg, const char *data, size_t len)
{
	s3_fwd *w = arg;

	if (!w->decode) {
		return s3_fwd_out(w, data, len);
	}
	if (!s3_ach_feed(&w->ach, data, len, &s3_fwd_ach_cb, w)) {
		if (w->ach.state == S3_ACH_ERR) {
			char msg[128];

			snprintf(msg, sizeof(msg),
			    "invalid aws-chunked body: %s", w->ach.err);
			s3_fwd_bad(w, 400, "InvalidRequest", msg);
		}
		return false;
	}
	return true;
}

static void
s3_fwd_release(s3_fwd *w)
{
	http_fwd_close(w->f);
	w->f = NULL;
	free(w->sig);
	w->sig = NULL;
}

static void
s3_fwd_end(void *arg, http_req *r, uint64_t total)
{
	s3_fwd *w = arg;

	(void) total;
	if (w->decode && w->bad_status == 0 && w->send_err == AIS_OK) {
		if (!s3_ach_complete(&w->ach)) {
			s3_fwd_bad(w, 400, "IncompleteBody",
			    "the aws-chunked body ended before its last "
			    "chunk");
		} else if (!w->out_chunked && w->sent != w->out_len) {
			s3_fwd_bad(w, 400, "IncompleteBody",
			    "the body is shorter than "
			    "x-amz-decoded-content-length");
		}
	}
	if (w->bad_status != 0) {
		/* closing makes the target drop its work file */
		s3_fwd_release(w);
		s3_reply_err(r, w->bad_status, w->bad_code, "%s", w->bad_msg);
		return;
	}
	if (w->held) {
		w->held = false;
		(void) s3_fwd_out(w, &w->hold, 1);
	}
	if (w->out_chunked && w->send_err == AIS_OK) {
		(void) s3_fwd_out(w, "", 0);
	}
	/* Even after a failed send the target may have answered (it
	 * refused the request early): relay whatever it said. */
	free(w->sig);
	w->sig = NULL;
	s3_fwd_relay(r, w);
}

static void
s3_fwd_abort(void *arg)
{
	s3_fwd_release(arg);
}

static const http_sink s3_fwd_sink = {
	.chunk = s3_fwd_chunk,
	.end = s3_fwd_end,
	.abort = s3_fwd_abort,
};

/* Sets decode/out_len/out_chunked from the request headers; replies and
 * returns false on invalid ones. */
static bool
s3_fwd_body_mode(http_req *r, s3_fwd *w)
{
	const char *sha = http_req_header(r, "x-amz-content-sha256");
	const char *dl = http_req_header(r, "x-amz-decoded-content-length");
	const char *cl = http_req_header(r, "Content-Length");
	const char *v = NULL;
	char *end;

	w->decode = sha != NULL && strncmp(sha, "STREAMING-", 10) == 0;
	w->out_len = UINT64_MAX;
	if (w->decode) {
		v = dl;
	} else {
		v = cl;
	}
	if (v != NULL) {
		errno = 0;
		w->out_len = strtoull(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0') {
			s3_reply_err(r, 400, "InvalidArgument",
			    "invalid %s \"%s\"",
			    w->decode ? "x-amz-decoded-content-length"
			              : "Content-Length",
			    v);
			return false;
		}
		if (w->out_len > S3_OBJ_SIZE_MAX) {
			s3_reply_err(r, 400, "EntityTooLarge",
			    "object size %" PRIu64 " exceeds the maximum",
			    w->out_len);
			return false;
		}
	}
	w->out_chunked = w->out_len == UINT64_MAX;
	if (w->decode) {
		s3_ach_init(&w->ach);
	}
	return true;
}

/* Entry ------------------------------------------------------------------- */

void
s3_obj_proxy(http_req *r, s3_req *q)
{
	char url[AIS_URL_MAX + 1];
	bool body = r->method == HTTP_M_PUT || r->method == HTTP_M_POST;
	ais_cconfig *c;
	bool redirect;
	s3_fwd *w;
	ais_err err;

	if (!r->early) {
		/* everything is decided on the early call */
		s3_reply_err(r, 500, "InternalError", "unexpected call");
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
	case S3_OP_COMPLETE_MPU:
	case S3_OP_ABORT_MPU:
	case S3_OP_LIST_PARTS:
		break;
	default:
		s3_reply_err(r, 501, "NotImplemented",
		    "%s %s is not implemented", r->method_str, r->url_path);
		return;
	}
	if (!q->bck_found) {
		s3_reply_err(r, 404, "NoSuchBucket",
		    "The specified bucket does not exist: %s", q->bucket);
		return;
	}
	if (!s3_fwd_owner(r, q, url, sizeof(url))) {
		return;
	}
	c = ais_node_ccfg(r->node);
	redirect = c != NULL && ais_cconfig_bool(c, "s3.redirect", false);
	ais_cconfig_rele(c);
	if (redirect) {
		s3_fwd_redirect(r, q, url);
		return;
	}

	w = http_req_alloc(r, sizeof(*w));
	if (w == NULL) {
		s3_reply_err(r, 500, "InternalError", "out of memory");
		return;
	}
	memset(w, 0, sizeof(*w));
	w->q = *q;
	w->head_req = r->method == HTTP_M_HEAD;
	if (body && !s3_fwd_body_mode(r, w)) {
		return;
	}
	err = http_fwd_open(url, S3_FWD_CONNECT_MS, S3_FWD_IO_MS, &w->f);
	if (err == AIS_OK) {
		err = s3_fwd_send_head(r, w, url, body);
	}
	if (err != AIS_OK) {
		AIS_LOGW("AIS-S3-FWD", "%s %s: cannot reach target %s: %s",
		    r->method_str, r->url_path, url, ais_strerror(err));
		s3_fwd_release(w);
		s3_reply_err(r, 503, "ServiceUnavailable",
		    "cannot reach the storage target: %s", ais_strerror(err));
		return;
	}
	if (!body) {
		s3_fwd_relay(r, w);
		return;
	}
	if (http_req_set_sink(r, &s3_fwd_sink, w) != AIS_OK) {
		s3_fwd_release(w);
		s3_reply_err(r, 500, "InternalError", "cannot receive body");
	}
}
