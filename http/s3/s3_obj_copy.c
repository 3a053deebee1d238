/*
 * CopyObject on a target (spec s3-api.md section 5.4). The proxy sent the
 * request to the owner of the SOURCE object (x-amz-copy-source), so the
 * data is read here, from the local file, and written to the destination:
 *
 *  - destination owned by this target too: through the PUT engine
 *    (obj_int.h) -- work file, checksums, metadata, atomic rename;
 *  - owned by another target: streamed to it as a native PUT
 *    /v1/objects/<b>/<k> carrying the redirect marker and the custom
 *    metadata as Ais-Custom-Md headers (http/fwd.h; the file is read in
 *    S3_COPY_BUF pieces, never whole).
 *
 * Metadata (x-amz-metadata-directive): COPY (default) keeps the source's
 * Content-Type and x-amz-meta-*; REPLACE takes the request's. Copying an
 * object onto itself without REPLACE is refused (400 InvalidRequest), as
 * S3 does. The ETag is the source's (the same bytes): its custom ETag,
 * else its md5 checksum, else an MD5 computed while copying (a remote copy
 * computes it first, since the metadata travels ahead of the data).
 * Conditional copy headers (x-amz-copy-source-if-*) are not evaluated.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/hrw.h"
#include "core/log.h"
#include "http/fwd.h"
#include "http/httpc.h"
#include "http/s3/s3_obj_int.h"

#define S3_COPY_BUF        (256u * 1024u)
#define S3_COPY_CONNECT_MS 5000
#define S3_COPY_IO_MS      120000

typedef struct s3_copy {
	http_obj_file src;
	http_obj *dst;
	ais_lom_md md;              /* destination's custom metadata */
	char etag[S3_OBJ_ETAG_MAX]; /* "" until known */
	char *buf;
	int64_t mtime_ns;
} s3_copy;

/* Reads the whole source through fn (pieces of up to S3_COPY_BUF). 0 or
 * errno. */
static int
s3_copy_read(
    s3_copy *c, bool (*fn)(void *arg, const char *p, size_t n), void *arg)
{
	uint64_t off = 0;
	uint64_t size = (uint64_t) c->src.st.st_size;

	while (off < size) {
		size_t want = size - off < S3_COPY_BUF ? (size_t) (size - off)
		                                       : S3_COPY_BUF;
		ssize_t n = pread(c->src.fd, c->buf, want, (off_t) off);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return errno;
		}
		if (n == 0) {
			return EIO; /* shrank under us: cannot happen */
		}
		if (!fn(arg, c->buf, (size_t) n)) {
			return EIO;
		}
		off += (uint64_t) n;
	}
	return 0;
}

/* Local ------------------------------------------------------------------- */

static bool
s3_copy_put_write(void *arg, const char *p, size_t n)
{
	return http_put_write(arg, p, n);
}

static int
s3_copy_local(http_req *r, s3_copy *c)
{
	http_put p;
	char got2[AIS_CKSUM_HEX_MAX];
	char md5[AIS_CKSUM_HEX_MAX];
	int e;

	memset(&p, 0, sizeof(p));
	p.o = c->dst;
	p.fd = -1;
	p.expect = UINT64_MAX;
	p.want_md5 = c->etag[0] == '\0';
	p.md.custom_len = c->md.custom_len;
	memcpy(p.md.custom, c->md.custom, c->md.custom_len);
	e = http_put_start(&p, r->node);
	if (e != 0) {
		return e;
	}
	e = s3_copy_read(c, s3_copy_put_write, &p);
	if (e == 0 && p.werr != 0) {
		e = p.werr;
	}
	if (e != 0) {
		http_put_discard(&p);
		return e;
	}
	http_put_sums(&p, got2, md5);
	if (c->etag[0] == '\0') {
		snprintf(c->etag, sizeof(c->etag), "%s", md5);
		if (ais_lom_custom_set(&p.md, S3_OBJ_KEY_ETAG, md5)
		    != AIS_OK) {
			http_put_discard(&p);
			return ENOSPC;
		}
	}
	e = http_put_store(&p);
	if (e != 0) {
		http_put_discard(&p);
		return e;
	}
	c->mtime_ns = p.now;
	return 0;
}

/* Remote ------------------------------------------------------------------ */

static bool
s3_copy_md5_update(void *arg, const char *p, size_t n)
{
	ais_cksum_update(arg, p, n);
	return true;
}

static bool
s3_copy_send(void *arg, const char *p, size_t n)
{
	return http_fwd_write(arg, p, n) == AIS_OK;
}

/* Appends s to out, percent-escaped segment by segment ('/' kept). */
static bool
s3_copy_path_esc(const char *s, char *out, size_t len)
{
	size_t n = strlen(out);

	while (*s != '\0') {
		size_t seg = strcspn(s, "/");
		char tmp[AIS_OBJNAME_MAX * 3 + 1];
		char part[AIS_OBJNAME_MAX + 1];

		if (seg >= sizeof(part)) {
			return false;
		}
		memcpy(part, s, seg);
		part[seg] = '\0';
		if (!http_client_escape(part, tmp, sizeof(tmp))
		    || n + strlen(tmp) + 2 >= len) {
			return false;
		}
		memcpy(out + n, tmp, strlen(tmp));
		n += strlen(tmp);
		s += seg;
		if (*s == '/') {
			out[n++] = '/';
			s++;
		}
	}
	out[n] = '\0';
	return true;
}

static int
s3_copy_remote(http_req *r, s3_copy *c, const char *url, int *status)
{
	http_obj *d = c->dst;
	size_t plen = 64 + 3 * (AIS_BCK_NAME_MAX + AIS_OBJNAME_MAX) + 300;
	char *path = http_req_alloc(r, plen);
	char nsq[3 * HTTP_OBJ_NS_MAX + 16];
	size_t pos = 0;
	const char *k, *v;
	size_t kl, vl;
	http_fwd *f = NULL;
	ais_err err;
	int e = 0;

	*status = 0;
	if (path == NULL) {
		return ENOMEM;
	}
	if (c->etag[0] == '\0') {
		ais_cksum ck;

		if (ais_cksum_init(&ck, AIS_CKSUM_MD5) != AIS_OK) {
			return ENOMEM;
		}
		e = s3_copy_read(c, s3_copy_md5_update, &ck);
		if (e != 0) {
			ais_cksum_fini(&ck);
			return e;
		}
		{
			char md5[AIS_CKSUM_HEX_MAX];

			ais_cksum_final(&ck, md5);
			snprintf(c->etag, sizeof(c->etag), "%s", md5);
		}
		if (ais_lom_custom_set(&c->md, S3_OBJ_KEY_ETAG, c->etag)
		    != AIS_OK) {
			return ENOSPC;
		}
	}
	snprintf(path, plen, "/v1/objects/");
	if (!s3_copy_path_esc(d->bck, path, plen)
	    || !s3_copy_path_esc("/", path, plen)
	    || !s3_copy_path_esc(d->name, path, plen)) {
		return ENAMETOOLONG;
	}
	nsq[0] = '\0';
	if (strcmp(d->ns, "@#") != 0) {
		char esc[3 * HTTP_OBJ_NS_MAX + 1];

		if (!http_client_escape(d->ns, esc, sizeof(esc))) {
			return ENAMETOOLONG;
		}
		snprintf(nsq, sizeof(nsq), "&namespace=%s", esc);
	}
	err = http_fwd_open(url, S3_COPY_CONNECT_MS, S3_COPY_IO_MS, &f);
	if (err == AIS_OK) {
		const char *host = strstr(url, "://");

		err = http_fwd_printf(f,
		    "PUT %s?provider=%s%s&pid=%s&utm=%lld HTTP/1.1\r\n"
		    "Host: %s\r\nContent-Length: %lld\r\n"
		    "Ais-Caller-Name: %s\r\n",
		    path, d->provider, nsq, r->node->self.id,
		    (long long) http_obj_now_ns(),
		    host == NULL ? url : host + 3,
		    (long long) c->src.st.st_size, r->node->self.id);
	}
	while (err == AIS_OK
	    && ais_lom_custom_next(&c->md, &pos, &k, &kl, &v, &vl) != 0) {
		err = http_fwd_printf(f, "Ais-Custom-Md: %.*s=%.*s\r\n",
		    (int) kl, k, (int) vl, v);
	}
	if (err == AIS_OK) {
		err = http_fwd_write(f, "\r\n", 2);
	}
	if (err == AIS_OK) {
		e = s3_copy_read(c, s3_copy_send, f);
	}
	if (err == AIS_OK) {
		/* even after a failed send the target may have said why */
		err = http_fwd_read_head(f, false);
	}
	if (err != AIS_OK) {
		AIS_LOGW("AIS-S3-COPY", "copy of %s to %s: %s", d->uname, url,
		    ais_strerror(err));
		http_fwd_close(f);
		*status = 503;
		return e != 0 ? e : EIO;
	}
	*status = http_fwd_status(f);
	http_fwd_close(f);
	if (*status != 200) {
		AIS_LOGW("AIS-S3-COPY", "copy of %s to %s: status %d",
		    d->uname, url, *status);
		return EIO;
	}
	c->mtime_ns = http_obj_now_ns();
	return 0;
}

/* Entry ------------------------------------------------------------------- */

/* Where dst lives: true with url = "" for this target, else its URL. */
static bool
s3_copy_owner(http_req *r, const http_obj *dst, char *url, size_t len)
{
	ais_smap *m = ais_node_smap(r->node);
	const ais_snode *t = NULL;
	bool ok;

	if (m == NULL) {
		return false;
	}
	ok = ais_hrw_target_digest(m, dst->digest, &t) == AIS_OK;
	if (ok) {
		snprintf(url, len, "%s",
		    strcmp(t->id, r->node->self.id) == 0 ? "" : t->pub.url);
	}
	ais_smap_rele(m);
	return ok;
}

static void
s3_copy_custom(s3_copy *c, bool replace)
{
	size_t pos = 0;
	const char *k, *v;
	size_t kl, vl;

	while (ais_lom_custom_next(&c->src.md, &pos, &k, &kl, &v, &vl) != 0) {
		if (kl == 4 && strncasecmp(k, S3_OBJ_KEY_ETAG, 4) == 0) {
			if (vl > 0 && vl < sizeof(c->etag)) {
				memcpy(c->etag, v, vl);
				c->etag[vl] = '\0';
			}
		}
	}
	if (c->etag[0] == '\0' && c->src.md.cksum_type == AIS_CKSUM_MD5) {
		snprintf(
		    c->etag, sizeof(c->etag), "%s", c->src.md.cksum_value);
	}
	if (!replace) {
		c->md.custom_len = c->src.md.custom_len;
		memcpy(c->md.custom, c->src.md.custom, c->src.md.custom_len);
	}
}

void
s3_obj_copy(http_req *r, s3_req *q, http_obj *dst)
{
	const char *hdr = http_req_header(r, "x-amz-copy-source");
	const char *dir = http_req_header(r, "x-amz-metadata-directive");
	char sb[AIS_BCK_NAME_MAX + 1];
	char sk[AIS_OBJNAME_MAX + 1];
	char prov[8];
	char ns[80];
	char url[AIS_URL_MAX + 1];
	char date[40];
	char qetag[S3_OBJ_ETAG_MAX + 2];
	http_obj *src;
	s3_copy *c;
	bool replace;
	int status;
	const char *code;
	s3_buf b = { 0 };
	int e;

	(void) q;
	if (hdr == NULL
	    || !s3_obj_copy_source(hdr, sb, sizeof(sb), sk, sizeof(sk))) {
		s3_reply_err(
		    r, 400, "InvalidArgument", "invalid x-amz-copy-source");
		return;
	}
	if (dir != NULL && strcasecmp(dir, "COPY") != 0
	    && strcasecmp(dir, "REPLACE") != 0) {
		s3_reply_err(r, 400, "InvalidArgument",
		    "invalid x-amz-metadata-directive \"%s\"", dir);
		return;
	}
	replace = dir != NULL && strcasecmp(dir, "REPLACE") == 0;
	if (s3_obj_bck_find(r->node, sb, prov, sizeof(prov), ns, sizeof(ns))
	    != 1) {
		s3_reply_err(r, 404, "NoSuchBucket",
		    "The specified bucket does not exist: %s", sb);
		return;
	}
	src = http_req_alloc(r, sizeof(*src));
	c = http_req_alloc(r, sizeof(*c));
	if (src == NULL || c == NULL) {
		s3_reply_err(r, 500, "InternalError", "out of memory");
		return;
	}
	memset(c, 0, sizeof(*c));
	c->dst = dst;
	c->src.fd = -1;
	if (!s3_obj_resolve(r, prov, ns, sb, sk, src, &status, &code)) {
		s3_reply_err(r, status, code, "copy source %s/%s", sb, sk);
		return;
	}
	if (!replace && strcmp(src->uname, dst->uname) == 0) {
		s3_reply_err(r, 400, "InvalidRequest",
		    "This copy request is illegal because it is trying to "
		    "copy "
		    "an object to itself without changing the object's "
		    "metadata");
		return;
	}
	switch (http_obj_file_load(r->node, src, &c->src, &e)) {
	case HTTP_OBJ_F_OK:
		break;
	case HTTP_OBJ_F_MISSING:
		s3_reply_err(
		    r, 404, "NoSuchKey", "The specified key does not exist.");
		return;
	case HTTP_OBJ_F_OPEN:
		s3_obj_reply_errno(r, src, e, "CopyObject");
		return;
	default:
		s3_reply_err(r, 500, "InternalError", "%s: corrupted object",
		    src->name);
		return;
	}
	s3_copy_custom(c, replace);
	if (replace && !s3_obj_md_from_req(r, &c->md)) {
		close(c->src.fd);
		s3_reply_err(r, 400, "MetadataTooLarge",
		    "metadata headers exceed the maximum allowed size");
		return;
	}
	if (replace && c->etag[0] != '\0'
	    && ais_lom_custom_set(&c->md, S3_OBJ_KEY_ETAG, c->etag)
	        != AIS_OK) {
		close(c->src.fd);
		s3_reply_err(r, 400, "MetadataTooLarge",
		    "metadata headers exceed the maximum allowed size");
		return;
	}
	if (!s3_copy_owner(r, dst, url, sizeof(url))) {
		close(c->src.fd);
		s3_reply_err(r, 503, "ServiceUnavailable",
		    "no target for the destination");
		return;
	}
	c->buf = malloc(S3_COPY_BUF);
	if (c->buf == NULL) {
		close(c->src.fd);
		s3_reply_err(r, 500, "InternalError", "out of memory");
		return;
	}
	status = 0;
	e = url[0] == '\0' ? s3_copy_local(r, c)
	                   : s3_copy_remote(r, c, url, &status);
	free(c->buf);
	close(c->src.fd);
	if (e != 0) {
		if (status != 0) {
			s3_reply_err(r, status == 404 ? 404 : 503,
			    status == 404 ? "NoSuchBucket"
			                  : "ServiceUnavailable",
			    "copy to the destination's target failed "
			    "(status %d)",
			    status);
			return;
		}
		s3_obj_reply_errno(r, dst, e, "CopyObject");
		return;
	}
	s3_obj_iso_date(c->mtime_ns, date, sizeof(date));
	snprintf(qetag, sizeof(qetag), "\"%s\"", c->etag);
	s3_buf_put(&b, "<CopyObjectResult xmlns=\"" S3_XMLNS "\">");
	s3_buf_elem(&b, "LastModified", date);
	s3_buf_elem(&b, "ETag", qetag);
	s3_buf_put(&b, "</CopyObjectResult>");
	s3_reply_xml(r, 200, &b, NULL);
}
