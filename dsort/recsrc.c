/*
 * dSort record source (see recsrc.h): streaming a located record back out
 * and its metadata's wire form.
 */
#include "dsort/recsrc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECMETA_NAME_MAX  65535u /* names, paths and string keys */
#define RECMETA_FILES_MAX 1000000u

void
dsort_rec_loc_fini(dsort_rec_loc *l)
{
	if (l == NULL) {
		return;
	}
	for (size_t i = 0; i < l->nfiles; i++) {
		free(l->files[i].name);
	}
	free(l->files);
	free(l->mem);
	free(l->path_buf);
	memset(l, 0, sizeof(*l));
}

static ais_err
recsrc_stream_file(int fd, const dsort_file_loc *f, unsigned char *buf,
    size_t bufsz, dsort_recsrc_cb cb, void *arg, const atomic_bool *abort)
{
	uint64_t done = 0;
	ais_err rc;

	while (done < f->size) {
		size_t want = f->size - done < bufsz
		    ? (size_t) (f->size - done)
		    : bufsz;
		ssize_t n;

		if (abort != NULL && atomic_load(abort)) {
			return AIS_ESTOPPED;
		}
		n = pread(fd, buf, want, (off_t) (f->offset + done));
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return ais_err_from_errno(errno);
		}
		if (n == 0) {
			return AIS_EIO; /* the file got shorter under us */
		}
		if ((rc = cb(arg, f, buf, (size_t) n)) != AIS_OK) {
			return rc;
		}
		done += (uint64_t) n;
	}
	return cb(arg, f, NULL, 0);
}

static ais_err
recsrc_stream_mem(const dsort_rec_loc *l, dsort_recsrc_cb cb, void *arg,
    const atomic_bool *abort)
{
	ais_err rc;

	for (size_t i = 0; i < l->nfiles; i++) {
		const dsort_file_loc *f = &l->files[i];

		if (f->size > 0 && l->mem == NULL) {
			return AIS_ENOENT; /* decoded elsewhere: no bytes here
			                    */
		}
		for (uint64_t done = 0; done < f->size;) {
			size_t k = f->size - done < DSORT_RECSRC_CHUNK
			    ? (size_t) (f->size - done)
			    : DSORT_RECSRC_CHUNK;

			if (abort != NULL && atomic_load(abort)) {
				return AIS_ESTOPPED;
			}
			rc = cb(arg, f, l->mem + f->offset + done, k);
			if (rc != AIS_OK) {
				return rc;
			}
			done += k;
		}
		if ((rc = cb(arg, f, NULL, 0)) != AIS_OK) {
			return rc;
		}
	}
	return AIS_OK;
}

ais_err
dsort_recsrc_stream(const dsort_rec_loc *l, dsort_recsrc_cb cb, void *arg,
    const atomic_bool *abort)
{
	unsigned char *buf;
	uint64_t largest = 0;
	size_t bufsz;
	ais_err rc = AIS_OK;
	int fd;

	if (l == NULL || cb == NULL) {
		return AIS_EINVAL;
	}
	if (l->kind == DSORT_LOC_MEM) {
		return recsrc_stream_mem(l, cb, arg, abort);
	}
	if (l->kind != DSORT_LOC_FILE || l->path == NULL) {
		return AIS_EINVAL;
	}
	fd = open(l->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return ais_err_from_errno(errno);
	}
	/* a buffer no larger than the biggest file: small records stay cheap
	 */
	for (size_t i = 0; i < l->nfiles; i++) {
		if (l->files[i].size > largest) {
			largest = l->files[i].size;
		}
	}
	bufsz = largest < DSORT_RECSRC_CHUNK ? (size_t) largest
	                                     : DSORT_RECSRC_CHUNK;
	buf = malloc(bufsz > 0 ? bufsz : 1);
	if (buf == NULL) {
		close(fd);
		return AIS_ENOMEM;
	}
	for (size_t i = 0; i < l->nfiles && rc == AIS_OK; i++) {
		rc = recsrc_stream_file(
		    fd, &l->files[i], buf, bufsz, cb, arg, abort);
	}
	free(buf);
	close(fd);
	return rc;
}

ais_err
dsort_recsrc_range(const dsort_rec_loc *l, size_t i, const char **pathp,
    uint64_t *offp, uint64_t *sizep)
{
	if (l == NULL || i >= l->nfiles) {
		return AIS_EINVAL;
	}
	if (l->kind != DSORT_LOC_FILE || l->path == NULL) {
		return AIS_ENOTSUP;
	}
	*pathp = l->path;
	*offp = l->files[i].offset;
	*sizep = l->files[i].size;
	return AIS_OK;
}

/* ---- wire form -----------------------------------------------------------
 */

typedef struct wbuf {
	unsigned char *p; /* NULL: only count */
	size_t cap, len;
	bool overflow;
} wbuf;

static void
w_bytes(wbuf *w, const void *src, size_t n)
{
	if (w->p != NULL) {
		if (w->cap - w->len < n || w->overflow) {
			w->overflow = true;
			return;
		}
		memcpy(w->p + w->len, src, n);
	}
	w->len += n;
}

static void
w_uint(wbuf *w, uint64_t v, size_t width)
{
	unsigned char b[8];

	for (size_t i = 0; i < width; i++) {
		b[i] = (unsigned char) (v >> (8 * i));
	}
	w_bytes(w, b, width);
}

static void
w_str(wbuf *w, const char *s, size_t n)
{
	w_uint(w, n, 4);
	w_bytes(w, s, n);
}

static ais_err
recmeta_write(wbuf *w, const dsort_rec *r, const dsort_rec_loc *l)
{
	size_t nlen = r->name != NULL ? strlen(r->name) : 0;
	const char *path
	    = l->kind == DSORT_LOC_FILE && l->path != NULL ? l->path : "";
	size_t plen = strlen(path);
	uint64_t fbits;

	if (nlen > RECMETA_NAME_MAX || plen > RECMETA_NAME_MAX
	    || r->kslen > RECMETA_NAME_MAX || l->nfiles > RECMETA_FILES_MAX) {
		return AIS_EINVAL;
	}
	w_uint(w, DSORT_RECMETA_VERSION, 1);
	w_str(w, r->name != NULL ? r->name : "", nlen);
	w_uint(w, (uint64_t) r->kkind, 1);
	switch (r->kkind) {
	case DSORT_KEY_INT:
		w_uint(w, (uint64_t) r->ki, 8);
		break;
	case DSORT_KEY_FLOAT:
		memcpy(&fbits, &r->kf, sizeof(fbits));
		w_uint(w, fbits, 8);
		break;
	case DSORT_KEY_STR:
		w_str(w, r->ks != NULL ? r->ks : "",
		    r->ks != NULL ? r->kslen : 0);
		break;
	default:
		break;
	}
	w_uint(w, r->size, 8);
	w_uint(w, r->seq, 8);
	w_uint(w, r->origin, 4);
	w_uint(w, (uint64_t) l->kind, 1);
	w_str(w, path, plen);
	w_uint(w, l->nfiles, 4);
	for (size_t i = 0; i < l->nfiles; i++) {
		const dsort_file_loc *f = &l->files[i];
		size_t fl = strlen(f->name);

		if (fl > RECMETA_NAME_MAX) {
			return AIS_EINVAL;
		}
		w_str(w, f->name, fl);
		w_uint(w, f->size, 8);
		w_uint(w, (uint64_t) f->mtime, 8);
		w_uint(w, f->offset, 8);
	}
	return w->overflow ? AIS_EINVAL : AIS_OK;
}

size_t
dsort_rec_meta_size(const dsort_rec *r, const dsort_rec_loc *l)
{
	wbuf w = { 0 };

	(void) recmeta_write(&w, r, l);
	return w.len;
}

ais_err
dsort_rec_meta_encode(const dsort_rec *r, const dsort_rec_loc *l, void *buf,
    size_t cap, size_t *usedp)
{
	wbuf w = { .p = buf, .cap = cap };
	ais_err rc;

	*usedp = 0;
	if (buf == NULL) {
		return AIS_EINVAL;
	}
	if ((rc = recmeta_write(&w, r, l)) != AIS_OK) {
		return rc;
	}
	*usedp = w.len;
	return AIS_OK;
}

typedef struct rbuf {
	const unsigned char *p;
	size_t len, off;
} rbuf;

static bool
r_uint(rbuf *rb, size_t width, uint64_t *v)
{
	if (rb->len - rb->off < width) {
		return false;
	}
	*v = 0;
	for (size_t i = 0; i < width; i++) {
		*v |= (uint64_t) rb->p[rb->off + i] << (8 * i);
	}
	rb->off += width;
	return true;
}

/* A length-prefixed string as an owned NUL-terminated copy. */
static ais_err
r_str(rbuf *rb, char **out, size_t *lenp)
{
	uint64_t n;

	if (!r_uint(rb, 4, &n) || n > RECMETA_NAME_MAX
	    || rb->len - rb->off < n) {
		return AIS_EPROTO;
	}
	if ((*out = malloc((size_t) n + 1)) == NULL) {
		return AIS_ENOMEM;
	}
	memcpy(*out, rb->p + rb->off, (size_t) n);
	(*out)[n] = '\0';
	rb->off += (size_t) n;
	if (lenp != NULL) {
		*lenp = (size_t) n;
	}
	return AIS_OK;
}

ais_err
dsort_rec_meta_decode(
    const void *buf, size_t len, size_t *usedp, dsort_rec *r, dsort_rec_loc *l)
{
	rbuf rb = { .p = buf, .len = len };
	uint64_t v, nfiles;
	ais_err rc = AIS_EPROTO;

	memset(r, 0, sizeof(*r));
	memset(l, 0, sizeof(*l));
	*usedp = 0;
	if (buf == NULL || !r_uint(&rb, 1, &v) || v != DSORT_RECMETA_VERSION) {
		return AIS_EPROTO;
	}
	if ((rc = r_str(&rb, &r->name, NULL)) != AIS_OK) {
		goto fail;
	}
	rc = AIS_EPROTO;
	if (!r_uint(&rb, 1, &v) || v > DSORT_KEY_STR) {
		goto fail;
	}
	r->kkind = (dsort_key_kind) v;
	if (r->kkind == DSORT_KEY_INT) {
		if (!r_uint(&rb, 8, &v)) {
			goto fail;
		}
		r->ki = (int64_t) v;
	} else if (r->kkind == DSORT_KEY_FLOAT) {
		if (!r_uint(&rb, 8, &v)) {
			goto fail;
		}
		memcpy(&r->kf, &v, sizeof(v));
	} else if (r->kkind == DSORT_KEY_STR) {
		if ((rc = r_str(&rb, &r->ks, &r->kslen)) != AIS_OK) {
			goto fail;
		}
		rc = AIS_EPROTO;
	}
	if (!r_uint(&rb, 8, &r->size) || !r_uint(&rb, 8, &r->seq)
	    || !r_uint(&rb, 4, &v)) {
		goto fail;
	}
	r->origin = (uint32_t) v;
	if (!r_uint(&rb, 1, &v) || v > DSORT_LOC_MEM) {
		goto fail;
	}
	l->kind = (dsort_loc_kind) v;
	if ((rc = r_str(&rb, &l->path_buf, NULL)) != AIS_OK) {
		goto fail;
	}
	rc = AIS_EPROTO;
	l->path = l->kind == DSORT_LOC_FILE ? l->path_buf : NULL;
	/* each file takes >= 28 bytes: refuse counts the message cannot hold
	 * before allocating for them */
	if (!r_uint(&rb, 4, &nfiles) || nfiles > RECMETA_FILES_MAX
	    || nfiles > (rb.len - rb.off) / 28) {
		goto fail;
	}
	if (nfiles > 0
	    && (l->files = calloc((size_t) nfiles, sizeof(*l->files)))
	        == NULL) {
		rc = AIS_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < nfiles; i++) {
		dsort_file_loc *f = &l->files[i];

		if ((rc = r_str(&rb, &f->name, NULL)) != AIS_OK) {
			l->nfiles = i;
			goto fail;
		}
		l->nfiles = i + 1;
		rc = AIS_EPROTO;
		if (!r_uint(&rb, 8, &f->size) || !r_uint(&rb, 8, &v)
		    || !r_uint(&rb, 8, &f->offset)) {
			goto fail;
		}
		f->mtime = (int64_t) v;
	}
	l->nfiles = (size_t) nfiles;
	*usedp = rb.off;
	return AIS_OK;
fail:
	dsort_rec_fini(r);
	dsort_rec_loc_fini(l);
	memset(r, 0, sizeof(*r));
	return rc;
}
