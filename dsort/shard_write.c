/*
 * Shard writer and tar size arithmetic (shard.h). Output goes through
 * libarchive with our own write callback and with every header field that
 * could vary between runs pinned down, so a creator that rebuilds a shard
 * produces the same bytes.
 *
 * Output path. libarchive's client filter is unblocked (bytes_per_block 0):
 * it hands every piece the format or the last compression filter produces
 * straight to shard_wr_write(), without its default copy into 10 KiB
 * blocks and one write(2) per block. The callback gathers pieces into an
 * iovec list instead and writes them with one writev(2) per flush:
 *   - a small piece (tar headers and padding, small files' data) is
 *     copied into the writer's 256 KiB output buffer;
 *   - a piece of the caller's memory given with write_ref (libarchive
 *     passes uncompressed file data through unchanged) is referenced,
 *     not copied, until the caller's next flush;
 *   - any other large piece is borrowed only for the call, so it goes out
 *     at once together with whatever is pending.
 * Close flushes the rest after the trailer. Unblocked output adds no
 * padding, so the bytes are the same as with bytes_in_last_block 1.
 * The optional tap sees each byte, in file order, just before it is
 * written.
 *
 * Tar headers. A tar shard is written as pax_restricted, which for a file
 * whose name, size and mtime fit a ustar header emits exactly the ustar
 * header. libarchive's pax writer clones every entry and converts its
 * name to wide characters and back to decide that, which costs more than
 * copying the data of a 20 KiB file; so plain entries (shard_tar_plain)
 * go through a ustar writer and only the others through a pax writer
 * opened on first need. Both emit each entry whole (header, data,
 * padding) into the same output, in order; only the ustar writer's
 * trailer is kept. The bytes are those of a single pax_restricted writer
 * (tests/unit/dsort/test_shard.c compares them).
 *
 * ais_shard_tar_file_size() must agree with the writer byte for byte. The
 * common case (short ASCII name, size and mtime that fit ustar's octal
 * fields) is computed directly; anything that may need a pax header is
 * measured by letting a throwaway libarchive writer, configured exactly as
 * the real one, emit just the header into a byte counter. That keeps the
 * answer exact without re-implementing libarchive's pax rules.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dsort/shard.h"

#define SHARD_WR_BUF     (128 * 1024)
#define SHARD_WR_OBUF    (256 * 1024) /* coalescing output buffer */
#define SHARD_WR_BIG     (64 * 1024)  /* pieces this large skip the buffer */
#define SHARD_WR_REF_MIN 2048 /* smaller referenced pieces are copied */
#define SHARD_WR_IOV     512  /* iovecs per writev (<= IOV_MAX) */
#define SHARD_WR_PENDING                                                      \
	(256 * 1024) /* referenced bytes per writev:                          \
	              * still in cache for the copy */
#define SHARD_USTAR_NAME      100
#define SHARD_USTAR_OCTAL_MAX 077777777777ULL /* 11 octal digits */

struct ais_shard_writer {
	struct archive *a;     /* every format; for TAR the ustar writer */
	struct archive *pax;   /* TAR: entries ustar cannot hold, or NULL */
	struct archive *cur_a; /* the archive of the open entry */
	struct archive_entry *e;
	char *name; /* shard name for messages */
	ais_shard_fmt fmt;
	int fd;
	bool own_fd;
	int io_errno;        /* errno of a failed write, 0 if none */
	uint64_t bytes;      /* written to fd */
	bool in_file;        /* between begin and end */
	bool discard;        /* abandoned: drop whatever libarchive flushes */
	bool a_closed;       /* archive_write_close() succeeded */
	char *cur;           /* file being written (for messages) */
	uint64_t want, got;  /* its announced and written sizes */
	unsigned char *cbuf; /* copy buffer for add_range */
	unsigned char *obuf; /* copied output not yet written to fd */
	size_t olen;         /* bytes of obuf in use (until the flush) */
	struct iovec iov[SHARD_WR_IOV]; /* pending output, in file order */
	int niov;
	size_t pending;              /* bytes in iov */
	const char *ref_lo, *ref_hi; /* caller memory the callback may
	                              * reference (write_ref), else NULL */
	ais_shard_tap tap;           /* sees what goes to fd, or NULL */
	void *tap_arg;
	ais_err failed; /* sticky */
	char err[AIS_SHARD_ERRLEN];
};

static ais_err shard_wr_fail(ais_shard_writer *w, ais_err rc, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
static bool shard_tar_plain(
    const char *name, size_t len, uint64_t size, int64_t mtime);

static ais_err
shard_wr_fail(ais_shard_writer *w, ais_err rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(w->err, sizeof(w->err), "shard '%s': ", w->name);
	if (n >= 0 && (size_t) n < sizeof(w->err)) {
		va_start(ap, fmt);
		vsnprintf(w->err + n, sizeof(w->err) - (size_t) n, fmt, ap);
		va_end(ap);
	}
	w->failed = rc;
	return rc;
}

static ais_err
shard_wr_archive_fail(ais_shard_writer *w, const char *what)
{
	const char *s
	    = archive_error_string(w->cur_a != NULL ? w->cur_a : w->a);
	ais_err rc = w->io_errno ? ais_err_from_errno(w->io_errno) : AIS_EIO;

	if (w->cur == NULL) {
		return shard_wr_fail(
		    w, rc, "%s: %s", what, s ? s : "libarchive error");
	}
	return shard_wr_fail(w, rc, "%s entry '%s': %s", what, w->cur,
	    s ? s : "libarchive error");
}

/* Writes iov[0..n) to fd in full (partial writes, EINTR). The tap sees
 * the pieces first, while the kernel's copy can still find them in the
 * CPU cache: a failed write fails the writer, so a checksum of bytes that
 * did not land is never used. Returns 0 or an errno. */
static int
shard_wr_writev(ais_shard_writer *w, struct iovec *iov, int n)
{
	if (w->tap != NULL) {
		for (int i = 0; i < n; i++) {
			if (iov[i].iov_len > 0) {
				w->tap(w->tap_arg, iov[i].iov_base,
				    iov[i].iov_len);
			}
		}
	}
	while (n > 0 && iov->iov_len == 0) {
		iov++;
		n--;
	}
	while (n > 0) {
		ssize_t k = writev(w->fd, iov, n);

		if (k < 0) {
			if (errno == EINTR) {
				continue;
			}
			return errno;
		}
		if (k == 0) {
			return EIO; /* no progress on a non-empty write */
		}
		w->bytes += (uint64_t) k;
		while (n > 0 && (k > 0 || iov->iov_len == 0)) {
			size_t m = (size_t) k < iov->iov_len ? (size_t) k
			                                     : iov->iov_len;

			iov->iov_base = (char *) iov->iov_base + m;
			iov->iov_len -= m;
			k -= (ssize_t) m;
			if (iov->iov_len == 0) {
				iov++;
				n--;
			}
		}
	}
	return 0;
}

/* Writes everything pending (one writev). Returns 0 or an errno. */
static int
shard_wr_flush(ais_shard_writer *w)
{
	int e = shard_wr_writev(w, w->iov, w->niov);

	if (e == 0) {
		w->niov = 0;
		w->olen = 0;
		w->pending = 0;
	}
	return e;
}

static void
shard_wr_push(ais_shard_writer *w, const void *buf, size_t len)
{
	w->iov[w->niov].iov_base = (void *) (uintptr_t) buf;
	w->iov[w->niov].iov_len = len;
	w->niov++;
	w->pending += len;
}

/* libarchive's client write callback (unblocked: buf is whatever the
 * format or filter emitted, borrowed for the call unless it lies in the
 * caller's write_ref buffer). See the top. */
static la_ssize_t
shard_wr_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	ais_shard_writer *w = arg;
	const char *p = buf;
	int e = 0;

	if (w->discard || len == 0) {
		return (la_ssize_t) len;
	}
	if (w->niov == SHARD_WR_IOV || w->pending >= SHARD_WR_PENDING) {
		e = shard_wr_flush(w);
	}
	if (e == 0 && len >= SHARD_WR_REF_MIN && w->ref_lo != NULL
	    && p >= w->ref_lo && p < w->ref_hi
	    && len <= (size_t) (w->ref_hi - p)) {
		shard_wr_push(w, buf, len); /* the caller's until flush */
	} else if (e == 0 && len < SHARD_WR_BIG) {
		struct iovec *last = w->niov > 0 ? &w->iov[w->niov - 1] : NULL;

		if (len > SHARD_WR_OBUF - w->olen) {
			e = shard_wr_flush(w);
			last = NULL;
		}
		if (e == 0) {
			unsigned char *dst = w->obuf + w->olen;

			memcpy(dst, buf, len);
			w->olen += len;
			if (last != NULL
			    && (unsigned char *) last->iov_base + last->iov_len
			        == dst) {
				last->iov_len += len;
				w->pending += len;
			} else {
				shard_wr_push(w, dst, len);
			}
		}
	} else if (e == 0) {
		/* borrowed for this call only: out now, with what waits */
		shard_wr_push(w, buf, len);
		e = shard_wr_flush(w);
	}
	if (e != 0) {
		w->io_errno = e;
		archive_set_error(a, e, "write: %s", strerror(e));
		return -1;
	}
	return (la_ssize_t) len;
}

/* Same settings for the writer and for the size probe. ustar: a TAR
 * writer for plain entries only (see the top). */
static int
shard_wr_config(struct archive *a, ais_shard_fmt fmt, bool ustar)
{
	int rc;

	switch (fmt) {
	case AIS_SHARD_TAR:
		rc = ustar ? archive_write_set_format_ustar(a)
		           : archive_write_set_format_pax_restricted(a);
		break;
	case AIS_SHARD_TGZ:
		rc = archive_write_set_format_pax_restricted(a);
		if (rc == ARCHIVE_OK) {
			rc = archive_write_add_filter_gzip(a);
		}
		/* the gzip header would otherwise carry the current time */
		if (rc == ARCHIVE_OK) {
			rc = archive_write_set_filter_option(
			    a, "gzip", "timestamp", NULL);
		}
		break;
	case AIS_SHARD_TLZ4:
		rc = archive_write_set_format_pax_restricted(a);
		if (rc == ARCHIVE_OK) {
			rc = archive_write_add_filter_lz4(a);
		}
		/* the reader must hold one whole lz4 block: 256 KiB blocks
		 * instead of the default 4 MiB keep readers small */
		if (rc == ARCHIVE_OK) {
			rc = archive_write_set_filter_option(
			    a, "lz4", "block-size", "5");
		}
		break;
	case AIS_SHARD_ZIP:
		rc = archive_write_set_format_zip(a);
		break;
	default:
		return ARCHIVE_FATAL;
	}
	if (rc == ARCHIVE_OK) {
		/* unblocked client: no copy into blocks (the writer's
		 * callback coalesces) and no padding of the last block,
		 * which bytes_in_last_block 1 also pins down in case */
		rc = archive_write_set_bytes_per_block(a, 0);
	}
	if (rc == ARCHIVE_OK) {
		rc = archive_write_set_bytes_in_last_block(a, 1);
	}
	return rc;
}

static void
shard_wr_entry(
    struct archive_entry *e, const char *name, uint64_t size, int64_t mtime)
{
	archive_entry_clear(e);
	/* names are bytes: under a locale that cannot convert them to
	 * UTF-8 (the C locale and non-ASCII names) the pax writer stores
	 * them as they are with hdrcharset=BINARY and returns ARCHIVE_WARN,
	 * which we accept (set_pathname_utf8 crashes libarchive 3.6 there) */
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t) size);
	archive_entry_set_mtime(e, (time_t) mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
}

/* TAR: the writer for entries a ustar header cannot hold (see the top). */
static ais_err
shard_wr_open_pax(ais_shard_writer *w)
{
	struct archive *a = archive_write_new();

	if (a == NULL) {
		return AIS_ENOMEM;
	}
	if (shard_wr_config(a, AIS_SHARD_TAR, false) != ARCHIVE_OK
	    || archive_write_open(a, w, NULL, shard_wr_write, NULL)
	        != ARCHIVE_OK) {
		archive_write_free(a);
		return AIS_EINTERNAL;
	}
	w->pax = a;
	return AIS_OK;
}

static ais_err
shard_wr_open(ais_shard_writer **wp, int fd, bool own, const char *name,
    ais_shard_fmt fmt)
{
	ais_shard_writer *w;

	*wp = NULL;
	if ((unsigned) fmt >= AIS_SHARD_FMT__COUNT
	    || !ais_shard_fmt_supported(fmt)) {
		if (own) {
			close(fd);
		}
		return (unsigned) fmt >= AIS_SHARD_FMT__COUNT ? AIS_EINVAL
		                                              : AIS_ENOTSUP;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		if (own) {
			close(fd);
		}
		return AIS_ENOMEM;
	}
	w->fd = fd;
	w->own_fd = own;
	w->fmt = fmt;
	w->name = strdup(name != NULL ? name : "?");
	w->cbuf = malloc(SHARD_WR_BUF);
	w->obuf = malloc(SHARD_WR_OBUF);
	w->a = archive_write_new();
	w->e = archive_entry_new();
	if (w->name == NULL || w->cbuf == NULL || w->obuf == NULL
	    || w->a == NULL || w->e == NULL) {
		ais_shard_writer_free(w);
		return AIS_ENOMEM;
	}
	if (shard_wr_config(w->a, fmt, fmt == AIS_SHARD_TAR) != ARCHIVE_OK
	    || archive_write_open(w->a, w, NULL, shard_wr_write, NULL)
	        != ARCHIVE_OK) {
		/* only a broken libarchive gets here: the probe passed */
		ais_shard_writer_free(w);
		return AIS_EINTERNAL;
	}
	*wp = w;
	return AIS_OK;
}

ais_err
ais_shard_writer_open_fd(
    ais_shard_writer **wp, int fd, const char *name, ais_shard_fmt fmt)
{
	return shard_wr_open(wp, fd, false, name, fmt);
}

ais_err
ais_shard_writer_open_path(
    ais_shard_writer **wp, const char *path, ais_shard_fmt fmt)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		*wp = NULL;
		return ais_err_from_errno(errno);
	}
	return shard_wr_open(wp, fd, true, path, fmt);
}

ais_err
ais_shard_writer_set_tap(ais_shard_writer *w, ais_shard_tap tap, void *arg)
{
	if (w->failed != AIS_OK) {
		return w->failed;
	}
	if (w->bytes > 0) {
		/* the tap would miss the head of the file */
		return shard_wr_fail(w, AIS_EINVAL,
		    "tap set after %llu bytes were written",
		    (unsigned long long) w->bytes);
	}
	w->tap = tap;
	w->tap_arg = arg;
	return AIS_OK;
}

ais_err
ais_shard_writer_begin(
    ais_shard_writer *w, const char *name, uint64_t size, int64_t mtime)
{
	size_t len;

	if (w->failed != AIS_OK) {
		return w->failed;
	}
	if (w->in_file) {
		return shard_wr_fail(w, AIS_EINVAL,
		    "begin '%s' while '%s' is open", name ? name : "", w->cur);
	}
	len = name != NULL ? strlen(name) : 0;
	if (len == 0 || name[len - 1] == '/') {
		/* a trailing '/' would read back as a directory */
		return shard_wr_fail(
		    w, AIS_EINVAL, "bad file name '%s'", name ? name : "");
	}
	if (size > INT64_MAX) {
		return shard_wr_fail(
		    w, AIS_EINVAL, "file '%s': size too large", name);
	}
	free(w->cur);
	w->cur = strdup(name);
	if (w->cur == NULL) {
		return shard_wr_fail(w, AIS_ENOMEM, "out of memory");
	}
	w->cur_a = w->a;
	if (w->fmt == AIS_SHARD_TAR
	    && !shard_tar_plain(name, len, size, mtime)) {
		if (w->pax == NULL && shard_wr_open_pax(w) != AIS_OK) {
			return shard_wr_fail(w, AIS_ENOMEM,
			    "file '%s': cannot start a pax writer", name);
		}
		w->cur_a = w->pax;
	}
	shard_wr_entry(w->e, name, size, mtime);
	if (archive_write_header(w->cur_a, w->e) < ARCHIVE_WARN) {
		return shard_wr_archive_fail(w, "header of");
	}
	w->in_file = true;
	w->want = size;
	w->got = 0;
	return AIS_OK;
}

static ais_err
shard_wr_data(ais_shard_writer *w, const void *buf, size_t len)
{
	const char *p = buf;

	if (w->failed != AIS_OK) {
		return w->failed;
	}
	if (!w->in_file) {
		return shard_wr_fail(w, AIS_EINVAL, "write outside a file");
	}
	if (len > w->want - w->got) {
		return shard_wr_fail(w, AIS_EINVAL,
		    "file '%s': more than the announced %llu bytes", w->cur,
		    (unsigned long long) w->want);
	}
	while (len > 0) {
		la_ssize_t n = archive_write_data(w->cur_a, p, len);

		if (n <= 0) {
			return shard_wr_archive_fail(w, "data of");
		}
		p += n;
		len -= (size_t) n;
		w->got += (uint64_t) n;
	}
	return AIS_OK;
}

ais_err
ais_shard_writer_write(ais_shard_writer *w, const void *buf, size_t len)
{
	return shard_wr_data(w, buf, len);
}

ais_err
ais_shard_writer_write_ref(ais_shard_writer *w, const void *buf, size_t len)
{
	ais_err rc;

	w->ref_lo = buf;
	w->ref_hi = (const char *) buf + len;
	rc = shard_wr_data(w, buf, len);
	w->ref_lo = w->ref_hi = NULL;
	return rc;
}

ais_err
ais_shard_writer_flush(ais_shard_writer *w)
{
	int e;

	if (w->failed != AIS_OK) {
		return w->failed;
	}
	if ((e = shard_wr_flush(w)) != 0) {
		w->io_errno = e;
		return shard_wr_fail(
		    w, ais_err_from_errno(e), "write: %s", strerror(e));
	}
	return AIS_OK;
}

ais_err
ais_shard_writer_end(ais_shard_writer *w)
{
	if (w->failed != AIS_OK) {
		return w->failed;
	}
	if (!w->in_file) {
		return shard_wr_fail(w, AIS_EINVAL, "end outside a file");
	}
	if (w->got != w->want) {
		return shard_wr_fail(w, AIS_EINVAL,
		    "file '%s': %llu of the announced %llu bytes", w->cur,
		    (unsigned long long) w->got, (unsigned long long) w->want);
	}
	if (archive_write_finish_entry(w->cur_a) < ARCHIVE_OK) {
		return shard_wr_archive_fail(w, "finishing");
	}
	w->in_file = false;
	return AIS_OK;
}

ais_err
ais_shard_writer_add_mem(ais_shard_writer *w, const char *name, int64_t mtime,
    const void *buf, size_t len)
{
	ais_err rc = ais_shard_writer_begin(w, name, len, mtime);

	if (rc == AIS_OK && len > 0) {
		rc = ais_shard_writer_write(w, buf, len);
	}
	if (rc == AIS_OK) {
		rc = ais_shard_writer_end(w);
	}
	return rc;
}

ais_err
ais_shard_writer_add_range(ais_shard_writer *w, const char *name,
    int64_t mtime, int fd, uint64_t off, uint64_t size)
{
	ais_err rc = ais_shard_writer_begin(w, name, size, mtime);
	uint64_t done = 0;

	while (rc == AIS_OK && done < size) {
		size_t want = size - done < SHARD_WR_BUF
		    ? (size_t) (size - done)
		    : SHARD_WR_BUF;
		ssize_t n = pread(fd, w->cbuf, want, (off_t) (off + done));

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			int e = errno;

			return shard_wr_fail(w, ais_err_from_errno(e),
			    "file '%s': read input at %llu: %s", name,
			    (unsigned long long) (off + done), strerror(e));
		}
		if (n == 0) {
			return shard_wr_fail(w, AIS_EIO,
			    "file '%s': input ends at %llu, %llu bytes short",
			    name, (unsigned long long) (off + done),
			    (unsigned long long) (size - done));
		}
		rc = ais_shard_writer_write(w, w->cbuf, (size_t) n);
		done += (uint64_t) n;
	}
	if (rc == AIS_OK) {
		rc = ais_shard_writer_end(w);
	}
	return rc;
}

ais_err
ais_shard_writer_close(ais_shard_writer *w, uint64_t *bytesp)
{
	if (w->failed != AIS_OK) {
		return w->failed;
	}
	if (w->in_file) {
		return shard_wr_fail(w, AIS_EINVAL,
		    "close while file '%s' is incomplete", w->cur);
	}
	free(w->cur);
	w->cur = NULL;
	if (w->pax != NULL) {
		/* its trailer is dropped: the ustar writer's ends the shard */
		int rc;

		w->discard = true;
		rc = archive_write_close(w->pax);
		w->discard = false;
		if (rc != ARCHIVE_OK) {
			w->cur_a = w->pax;
			return shard_wr_archive_fail(w, "closing");
		}
		archive_write_free(w->pax);
		w->pax = NULL;
	}
	w->cur_a = w->a;
	if (archive_write_close(w->a) != ARCHIVE_OK) {
		return shard_wr_archive_fail(w, "closing");
	}
	w->a_closed = true;
	if (w->niov > 0) {
		int e = shard_wr_flush(w);

		if (e != 0) {
			return shard_wr_fail(w, ais_err_from_errno(e),
			    "write: %s", strerror(e));
		}
	}
	if (w->own_fd) {
		w->own_fd = false;
		if (close(w->fd) != 0) {
			int e = errno;

			return shard_wr_fail(w, ais_err_from_errno(e),
			    "close: %s", strerror(e));
		}
	}
	if (bytesp != NULL) {
		*bytesp = w->bytes;
	}
	/* any later call is a misuse: make it fail loudly, not write */
	w->failed = AIS_ECLOSED;
	return AIS_OK;
}

/* Ends an unfinished archive without finishing its entry. The caller
 * makes the write callback drop everything first: a trailer must not make
 * a partial shard look whole. FATAL skips the entry's zero padding (which
 * for a large entry would be a long stream of nulls); the close still runs
 * so libarchive frees its output buffers, which archive_write_free() alone
 * leaks in a FATAL archive. */
static void
shard_wr_abandon(struct archive *a)
{
	archive_write_fail(a);
	archive_write_close(a);
}

const char *
ais_shard_writer_error(const ais_shard_writer *w)
{
	return w != NULL ? w->err : "";
}

void
ais_shard_writer_free(ais_shard_writer *w)
{
	if (w == NULL) {
		return;
	}
	w->niov = 0; /* not written: references may be stale by now */
	w->pending = 0;
	if (w->pax != NULL) {
		w->discard = true;
		shard_wr_abandon(w->pax);
		archive_write_free(w->pax);
	}
	if (w->a != NULL) {
		/* (a flush or close(2) failing after a clean archive close
		 * leaves nothing of libarchive's to end) */
		if (!w->a_closed) {
			w->discard = true;
			/* libarchive 3.6's zip writer ends an entry's deflate
			 * stream only in finish_entry, which a FATAL archive
			 * skips (leaking it): finish the entry first, into the
			 * discard. Zip has no padding to write, unlike tar. */
			if (w->fmt == AIS_SHARD_ZIP) {
				(void) archive_write_finish_entry(w->a);
			}
			shard_wr_abandon(w->a);
		}
		archive_write_free(w->a);
	}
	archive_entry_free(w->e);
	if (w->own_fd) {
		close(w->fd);
	}
	free(w->cur);
	free(w->cbuf);
	free(w->obuf);
	free(w->name);
	free(w);
}

/*
 * Tar sizes.
 */
static la_ssize_t
shard_count_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	(void) a;
	(void) buf;
	*(uint64_t *) arg += len;
	return (la_ssize_t) len;
}

static bool
shard_tar_plain(const char *name, size_t len, uint64_t size, int64_t mtime)
{
	if (len > SHARD_USTAR_NAME || size > SHARD_USTAR_OCTAL_MAX || mtime < 0
	    || (uint64_t) mtime > SHARD_USTAR_OCTAL_MAX) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) name[i];

		if (c < 0x20 || c > 0x7e) {
			return false;
		}
	}
	return true;
}

/* Header bytes the writer emits for this file, measured (see top). */
static uint64_t
shard_tar_hdr_measure(const char *name, uint64_t size, int64_t mtime)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	uint64_t n = 0;
	bool ok = a != NULL && e != NULL;

	if (ok) {
		shard_wr_entry(e, name, size, mtime);
		/* unblocked (config), so the header reaches the counter
		 * at once */
		ok = shard_wr_config(a, AIS_SHARD_TAR, false) == ARCHIVE_OK
		    && archive_write_open(a, &n, NULL, shard_count_write, NULL)
		        == ARCHIVE_OK
		    && archive_write_header(a, e) >= ARCHIVE_WARN;
	}
	if (a != NULL) {
		uint64_t hdr = n;

		shard_wr_abandon(a); /* the counter takes the trailer */
		archive_write_free(a);
		n = hdr;
	}
	archive_entry_free(e);
	/* only allocation failure lands here; a pax header is the most
	 * any single name needs beyond the plain case, so overestimate */
	if (!ok || n == 0) {
		n = AIS_SHARD_TAR_BLOCK * 2
		    + ((strlen(name) + 64 + AIS_SHARD_TAR_BLOCK - 1)
		        & ~(size_t) (AIS_SHARD_TAR_BLOCK - 1));
	}
	return n;
}

uint64_t
ais_shard_tar_file_size(const char *name, uint64_t size, int64_t mtime)
{
	uint64_t data = (size + AIS_SHARD_TAR_BLOCK - 1)
	    & ~(uint64_t) (AIS_SHARD_TAR_BLOCK - 1);

	if (shard_tar_plain(name, strlen(name), size, mtime)) {
		return AIS_SHARD_TAR_BLOCK + data;
	}
	return shard_tar_hdr_measure(name, size, mtime) + data;
}
