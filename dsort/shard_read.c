/*
 * Shard reader: walks a tar/tgz/zip/tar.lz4 shard with libarchive and hands
 * out WebDataset records (shard.h), streaming each file's data to a caller's
 * sink in libarchive's own blocks, so memory stays bounded by libarchive's
 * buffers plus our read buffer whatever the shard or file sizes.
 *
 * Read size: 128 KiB, except for an uncompressed tar in a regular file:
 * 4 KiB there. libarchive skips a file's data (archive_read_data_skip, what
 * the extract phase does for tar) by first consuming what it already holds
 * and only then calling our skip callback, so a big read block means
 * copying almost every data byte of a shard of 20 KiB files just to find
 * the next header; with 4 KiB blocks a header costs one small pread and the
 * data is skipped by moving the offset.
 *
 * Grouping needs one look-ahead: a record ends only when the next file's
 * header shows a different key. libarchive cannot un-read a header, so that
 * header is kept as "pending" (its data not yet consumed) and opens the next
 * record.
 *
 * We feed libarchive through our own callbacks rather than
 * archive_read_open_fd() for three reasons: pread from offset 0 makes the
 * uncompressed tar stream position equal the file offset, which is what
 * ais_shard_file.offset reports (libarchive's position after a tar header
 * is where that file's data starts); the skip callback is clamped to the
 * file size, so skipping the data of a truncated last file is detected
 * instead of being "successful" past EOF; and a seek callback lets the zip
 * reader use the central directory.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dsort/shard.h"

#define SHARD_RD_BUF     (128 * 1024)
#define SHARD_RD_TAR_BUF (4 * 1024)
#define SHARD_ZERO_CHUNK 4096

struct ais_shard_reader {
	struct archive *a;
	char *name; /* shard name for messages */
	ais_shard_fmt fmt;
	int fd;
	bool own_fd;
	bool regular;       /* pread/skip/seek usable */
	uint64_t fsize;     /* regular files: size at open */
	uint64_t pos;       /* next byte our callbacks hand out */
	int io_errno;       /* errno of a failed read, 0 if none */
	unsigned char *buf; /* bufsz bytes */
	size_t bufsz;

	bool pending;        /* pend holds a header whose data is unread */
	bool eof;            /* end of archive seen */
	ais_shard_file pend; /* pend.name is owned (malloc) */
	bool pend_sparse;

	uint64_t nhdr;     /* headers seen, skipped ones included */
	char *last;        /* name of the last header seen (malloc) */
	uint64_t last_end; /* tar: stream offset past its padded data */
	bool last_end_ok;  /* last_end is meaningful */

	ais_shard_record rec;
	ais_shard_file *files; /* names owned until the next record */
	size_t cap;
	uint64_t nfiles; /* regular files seen */
	uint64_t nrecs;

	char **keys; /* open-addressing set of record keys (dups) */
	size_t kcap, kcount;

	ais_err failed; /* sticky error, AIS_OK while healthy */
	char err[AIS_SHARD_ERRLEN];
};

static ais_err shard_rd_fail(ais_shard_reader *r, ais_err rc, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static ais_err
shard_rd_fail(ais_shard_reader *r, ais_err rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->err, sizeof(r->err), "shard '%s': ", r->name);
	if (n >= 0 && (size_t) n < sizeof(r->err)) {
		va_start(ap, fmt);
		vsnprintf(r->err + n, sizeof(r->err) - (size_t) n, fmt, ap);
		va_end(ap);
	}
	r->failed = rc;
	return rc;
}

/* A libarchive failure: a syscall error from our callbacks keeps its errno;
 * anything else is the data's fault. */
static ais_err
shard_rd_archive_rc(ais_shard_reader *r)
{
	if (r->io_errno != 0) {
		return ais_err_from_errno(r->io_errno);
	}
	return AIS_EPROTO;
}

static const char *
shard_rd_archive_msg(ais_shard_reader *r)
{
	const char *s = archive_error_string(r->a);

	return s != NULL ? s : "unknown libarchive error";
}

static la_ssize_t
shard_rd_read(struct archive *a, void *arg, const void **bufp)
{
	ais_shard_reader *r = arg;
	ssize_t n;

	do {
		if (r->regular) {
			n = pread(r->fd, r->buf, r->bufsz, (off_t) r->pos);
		} else {
			n = read(r->fd, r->buf, r->bufsz);
		}
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->io_errno = errno;
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	r->pos += (uint64_t) n;
	*bufp = r->buf;
	return n;
}

/* Clamped to the file size: libarchive then reports a short skip as a
 * truncated archive. Non-regular input cannot skip; returning 0 makes
 * libarchive read instead. */
static la_int64_t
shard_rd_skip(struct archive *a, void *arg, la_int64_t req)
{
	ais_shard_reader *r = arg;
	uint64_t avail;

	(void) a;
	if (!r->regular || req <= 0) {
		return 0;
	}
	avail = r->pos < r->fsize ? r->fsize - r->pos : 0;
	if ((uint64_t) req > avail) {
		req = (la_int64_t) avail;
	}
	r->pos += (uint64_t) req;
	return req;
}

static la_int64_t
shard_rd_seek(struct archive *a, void *arg, la_int64_t off, int whence)
{
	ais_shard_reader *r = arg;
	int64_t base;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t) r->pos;
		break;
	case SEEK_END:
		base = (int64_t) r->fsize;
		break;
	default:
		archive_set_error(a, EINVAL, "bad seek whence %d", whence);
		return ARCHIVE_FATAL;
	}
	if (base + off < 0) {
		archive_set_error(a, EINVAL, "seek before start");
		return ARCHIVE_FATAL;
	}
	r->pos = (uint64_t) (base + off);
	return (la_int64_t) r->pos;
}

/* FNV-1a: the key set only needs a decent spread, not security. */
static uint64_t
shard_key_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	}
	return h;
}

/* Adds key to the set; *dupp tells whether it was there already. */
static ais_err
shard_keys_add(ais_shard_reader *r, const char *key, bool *dupp)
{
	size_t i;

	if ((r->kcount + 1) * 2 > r->kcap) {
		size_t ncap = r->kcap ? r->kcap * 2 : 64;
		char **nk = calloc(ncap, sizeof(*nk));

		if (nk == NULL) {
			return AIS_ENOMEM;
		}
		for (size_t j = 0; j < r->kcap; j++) {
			if (r->keys[j] == NULL) {
				continue;
			}
			i = shard_key_hash(r->keys[j]) & (ncap - 1);
			while (nk[i] != NULL) {
				i = (i + 1) & (ncap - 1);
			}
			nk[i] = r->keys[j];
		}
		free(r->keys);
		r->keys = nk;
		r->kcap = ncap;
	}
	i = shard_key_hash(key) & (r->kcap - 1);
	while (r->keys[i] != NULL) {
		if (strcmp(r->keys[i], key) == 0) {
			*dupp = true;
			return AIS_OK;
		}
		i = (i + 1) & (r->kcap - 1);
	}
	r->keys[i] = strdup(key);
	if (r->keys[i] == NULL) {
		return AIS_ENOMEM;
	}
	r->kcount++;
	*dupp = false;
	return AIS_OK;
}

/* libarchive's seekable zip reader refuses a zip with no entries (just
 * the 22-byte end-of-central-directory record), which a writer with no
 * files produces: recognize that one shape here. */
static bool
shard_rd_zip_is_empty(ais_shard_reader *r)
{
	unsigned char b[22];
	static const unsigned char zero[18];

	if (!r->regular || r->fsize != sizeof(b)
	    || pread(r->fd, b, sizeof(b), 0) != (ssize_t) sizeof(b)) {
		return false;
	}
	return memcmp(b, "PK\005\006", 4) == 0
	    && memcmp(b + 4, zero, sizeof(zero)) == 0;
}

static ais_err
shard_rd_setup(ais_shard_reader *r)
{
	struct archive *a = r->a;
	int rc = ARCHIVE_OK;

	if (r->fmt == AIS_SHARD_ZIP && shard_rd_zip_is_empty(r)) {
		r->eof = true;
		return AIS_OK;
	}

	switch (r->fmt) {
	case AIS_SHARD_TAR:
		rc = archive_read_support_format_tar(a);
		break;
	case AIS_SHARD_TGZ:
		rc = archive_read_support_filter_gzip(a);
		if (rc == ARCHIVE_OK) {
			rc = archive_read_support_format_tar(a);
		}
		break;
	case AIS_SHARD_TLZ4:
		rc = archive_read_support_filter_lz4(a);
		if (rc == ARCHIVE_OK) {
			rc = archive_read_support_format_tar(a);
		}
		break;
	case AIS_SHARD_ZIP:
		/* a file is read by its central directory, so a zip cut
		 * anywhere (even in the directory) fails; the streaming
		 * reader, which trusts local headers, only for pipes */
		rc = r->regular
		    ? archive_read_support_format_zip_seekable(a)
		    : archive_read_support_format_zip_streamable(a);
		break;
	default:
		return shard_rd_fail(
		    r, AIS_EINVAL, "unknown format %d", (int) r->fmt);
	}
	if (rc != ARCHIVE_OK) {
		return shard_rd_fail(r, AIS_ENOTSUP,
		    "format %s not supported by this libarchive",
		    ais_shard_fmt_ext(r->fmt));
	}
	archive_read_set_callback_data(a, r);
	archive_read_set_read_callback(a, shard_rd_read);
	archive_read_set_skip_callback(a, shard_rd_skip);
	if (r->regular) {
		archive_read_set_seek_callback(a, shard_rd_seek);
	}
	if (archive_read_open1(a) != ARCHIVE_OK) {
		/* the seekable zip bidder fails without naming why */
		return shard_rd_fail(r, shard_rd_archive_rc(r),
		    "open as %s: %s%s", ais_shard_fmt_ext(r->fmt),
		    shard_rd_archive_msg(r),
		    r->fmt == AIS_SHARD_ZIP && r->regular
		        ? " (no zip central directory: truncated or not a zip)"
		        : "");
	}
	return AIS_OK;
}

static ais_err
shard_rd_open(ais_shard_reader **rp, int fd, bool own, const char *name,
    ais_shard_fmt fmt)
{
	ais_shard_reader *r;
	struct stat st;

	*rp = NULL;
	if ((unsigned) fmt >= AIS_SHARD_FMT__COUNT) {
		goto fail_fd;
	}
	if (!ais_shard_fmt_supported(fmt)) {
		if (own) {
			close(fd);
		}
		return AIS_ENOTSUP;
	}
	if (fstat(fd, &st) != 0) {
		ais_err rc = ais_err_from_errno(errno);

		if (own) {
			close(fd);
		}
		return rc;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		if (own) {
			close(fd);
		}
		return AIS_ENOMEM;
	}
	r->fd = fd;
	r->own_fd = own;
	r->fmt = fmt;
	r->regular = S_ISREG(st.st_mode);
	r->fsize = r->regular ? (uint64_t) st.st_size : 0;
	r->name = strdup(name != NULL ? name : "?");
	r->bufsz = fmt == AIS_SHARD_TAR && r->regular ? SHARD_RD_TAR_BUF
	                                              : SHARD_RD_BUF;
	r->buf = malloc(r->bufsz);
	if (r->name == NULL || r->buf == NULL) {
		ais_shard_reader_free(r);
		return AIS_ENOMEM;
	}
	*rp = r;
	return AIS_OK;
fail_fd:
	if (own) {
		close(fd);
	}
	return AIS_EINVAL;
}

ais_err
ais_shard_reader_open_fd(
    ais_shard_reader **rp, int fd, const char *name, ais_shard_fmt fmt)
{
	return shard_rd_open(rp, fd, false, name, fmt);
}

ais_err
ais_shard_reader_open_path(
    ais_shard_reader **rp, const char *path, ais_shard_fmt fmt)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		*rp = NULL;
		return ais_err_from_errno(errno);
	}
	return shard_rd_open(rp, fd, true, path, fmt);
}

static bool
shard_fmt_is_tar(ais_shard_fmt fmt)
{
	return fmt != AIS_SHARD_ZIP;
}

static uint64_t
shard_tar_pad(uint64_t n)
{
	return (n + AIS_SHARD_TAR_BLOCK - 1)
	    & ~(uint64_t) (AIS_SHARD_TAR_BLOCK - 1);
}

static ais_err
shard_rd_set_last(ais_shard_reader *r, const char *name)
{
	char *s = strdup(name);

	if (s == NULL) {
		return shard_rd_fail(r, AIS_ENOMEM, "out of memory");
	}
	free(r->last);
	r->last = s;
	return AIS_OK;
}

/* Where the end-of-archive check and header failures say they were. */
static const char *
shard_rd_after(const ais_shard_reader *r)
{
	return r->last != NULL ? r->last : "";
}

/* A tar must end with its zero blocks, which libarchive consumes before
 * reporting EOF; a stream that stops right after a file's data is a shard
 * cut at an entry boundary. */
static ais_err
shard_rd_check_end(ais_shard_reader *r)
{
	int64_t at;

	if (!shard_fmt_is_tar(r->fmt)) {
		return AIS_OK;
	}
	at = archive_filter_bytes(r->a, 0);
	if (r->nhdr == 0) {
		if (at < AIS_SHARD_TAR_BLOCK) {
			return shard_rd_fail(
			    r, AIS_EPROTO, "empty input, not a tar archive");
		}
		return AIS_OK;
	}
	if (r->last_end_ok
	    && (at < 0 || (uint64_t) at < r->last_end + AIS_SHARD_TAR_BLOCK)) {
		return shard_rd_fail(r, AIS_EPROTO,
		    "truncated: no end-of-archive blocks after entry #%llu "
		    "'%s'",
		    (unsigned long long) (r->nhdr - 1), shard_rd_after(r));
	}
	return AIS_OK;
}

/* Reads headers up to the next regular file, which becomes pending, or to
 * the end of the archive. */
static ais_err
shard_rd_header(ais_shard_reader *r)
{
	struct archive_entry *e;
	ais_err rc;

	for (;;) {
		const char *nm;
		int64_t at;
		int arc = archive_read_next_header(r->a, &e);

		if (arc == ARCHIVE_EOF) {
			r->eof = true;
			return shard_rd_check_end(r);
		}
		if (arc < ARCHIVE_WARN) {
			if (r->nhdr == 0) {
				return shard_rd_fail(r, shard_rd_archive_rc(r),
				    "entry #0: %s", shard_rd_archive_msg(r));
			}
			return shard_rd_fail(r, shard_rd_archive_rc(r),
			    "entry #%llu (after '%s'): %s",
			    (unsigned long long) r->nhdr, shard_rd_after(r),
			    shard_rd_archive_msg(r));
		}
		/* ARCHIVE_WARN (e.g. an odd pax attribute) still gave us a
		 * usable header */
		nm = archive_entry_pathname(e);
		if (nm == NULL) {
			nm = archive_entry_pathname_utf8(e);
		}
		if (nm == NULL || nm[0] == '\0') {
			return shard_rd_fail(r, AIS_EPROTO,
			    "entry #%llu (after '%s'): entry without a name",
			    (unsigned long long) r->nhdr, shard_rd_after(r));
		}
		r->nhdr++;
		if ((rc = shard_rd_set_last(r, nm)) != AIS_OK) {
			return rc;
		}
		at = archive_filter_bytes(r->a, 0);
		r->last_end_ok = false;
		if (shard_fmt_is_tar(r->fmt) && at >= 0
		    && archive_entry_sparse_count(e) == 0) {
			r->last_end = (uint64_t) at
			    + shard_tar_pad((uint64_t) archive_entry_size(e));
			r->last_end_ok = true;
		}
		if (archive_entry_filetype(e) != AE_IFREG
		    || archive_entry_hardlink(e) != NULL) {
			continue; /* dirs, links, devices: not data */
		}
		memset(&r->pend, 0, sizeof(r->pend));
		r->pend.name = strdup(nm);
		if (r->pend.name == NULL) {
			return shard_rd_fail(r, AIS_ENOMEM, "out of memory");
		}
		r->pend.key_len = ais_shard_record_key(nm, strlen(nm));
		r->pend.size = archive_entry_size_is_set(e)
		    ? (uint64_t) archive_entry_size(e)
		    : 0;
		r->pend.mtime = archive_entry_mtime_is_set(e)
		    ? (int64_t) archive_entry_mtime(e)
		    : 0;
		r->pend_sparse = archive_entry_sparse_count(e) > 0;
		r->pend.offset = AIS_SHARD_NOOFF;
		if (r->fmt == AIS_SHARD_TAR && !r->pend_sparse && at >= 0) {
			r->pend.offset = (uint64_t) at;
		}
		r->pend.index = r->nfiles++;
		r->pending = true;
		return AIS_OK;
	}
}

static ais_err
shard_rd_zeros(ais_shard_reader *r, ais_shard_sink sink, void *arg,
    const ais_shard_file *f, uint64_t n)
{
	static const unsigned char zeros[SHARD_ZERO_CHUNK];

	(void) r;
	while (n > 0) {
		size_t k = n < sizeof(zeros) ? (size_t) n : sizeof(zeros);
		ais_err rc = sink(arg, f, zeros, k);

		if (rc != AIS_OK) {
			return rc;
		}
		n -= k;
	}
	return AIS_OK;
}

/* Consumes the data of f (the file just taken from pending). */
static ais_err
shard_rd_data(ais_shard_reader *r, ais_shard_file *f, bool sparse,
    ais_shard_sink sink, void *arg)
{
	uint64_t done = 0;
	ais_err rc;

	if (sink == NULL) {
		if (archive_read_data_skip(r->a) != ARCHIVE_OK) {
			return shard_rd_fail(r, shard_rd_archive_rc(r),
			    "entry #%llu '%s': %s",
			    (unsigned long long) (r->nhdr - 1), f->name,
			    shard_rd_archive_msg(r));
		}
		return AIS_OK;
	}
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int arc = archive_read_data_block(r->a, &buf, &len, &off);

		if (arc == ARCHIVE_EOF) {
			break;
		}
		if (arc < ARCHIVE_WARN) {
			return shard_rd_fail(r, shard_rd_archive_rc(r),
			    "entry #%llu '%s': %s",
			    (unsigned long long) (r->nhdr - 1), f->name,
			    shard_rd_archive_msg(r));
		}
		if (off < 0 || (uint64_t) off < done) {
			return shard_rd_fail(r, AIS_EPROTO,
			    "entry #%llu '%s': data block out of order",
			    (unsigned long long) (r->nhdr - 1), f->name);
		}
		/* a sparse file's holes come back as gaps in offset */
		if ((uint64_t) off > done) {
			rc = shard_rd_zeros(
			    r, sink, arg, f, (uint64_t) off - done);
			if (rc != AIS_OK) {
				return rc;
			}
			done = (uint64_t) off;
		}
		if (len > 0) {
			if ((rc = sink(arg, f, buf, len)) != AIS_OK) {
				return rc;
			}
			done += len;
		}
	}
	if (sparse && done < f->size) {
		rc = shard_rd_zeros(r, sink, arg, f, f->size - done);
		if (rc != AIS_OK) {
			return rc;
		}
		done = f->size;
	}
	if (f->size == 0 && done > 0) {
		f->size = done; /* size unknown up front (streamed zip) */
	} else if (done != f->size) {
		return shard_rd_fail(r, AIS_EPROTO,
		    "entry #%llu '%s': %llu data bytes, header says %llu",
		    (unsigned long long) (r->nhdr - 1), f->name,
		    (unsigned long long) done, (unsigned long long) f->size);
	}
	return sink(arg, f, NULL, 0);
}

static void
shard_rd_clear_rec(ais_shard_reader *r)
{
	for (size_t i = 0; i < r->rec.nfiles; i++) {
		free((char *) r->files[i].name);
		r->files[i].name = NULL;
	}
	free((char *) r->rec.key);
	memset(&r->rec, 0, sizeof(r->rec));
}

ais_err
ais_shard_reader_next(ais_shard_reader *r, ais_shard_sink sink, void *arg,
    const ais_shard_record **recp)
{
	ais_err rc;
	char *key;

	*recp = NULL;
	if (r->failed != AIS_OK) {
		return r->failed;
	}
	shard_rd_clear_rec(r);
	if (r->a == NULL) {
		/* libarchive is set up here, not at open, so that every
		 * complaint about the content comes with a message */
		r->a = archive_read_new();
		if (r->a == NULL) {
			return shard_rd_fail(r, AIS_ENOMEM, "out of memory");
		}
		if ((rc = shard_rd_setup(r)) != AIS_OK) {
			return rc;
		}
	}
	if (!r->pending && !r->eof) {
		if ((rc = shard_rd_header(r)) != AIS_OK) {
			return rc;
		}
	}
	if (r->eof) {
		return AIS_OK;
	}
	key = strndup(r->pend.name, r->pend.key_len);
	if (key == NULL) {
		return shard_rd_fail(r, AIS_ENOMEM, "out of memory");
	}
	r->rec.key = key;
	r->rec.key_len = r->pend.key_len;
	r->rec.index = r->nrecs++;
	if ((rc = shard_keys_add(r, key, &r->rec.dup)) != AIS_OK) {
		return shard_rd_fail(r, rc, "out of memory");
	}
	while (r->pending) {
		ais_shard_file *f;
		bool sparse = r->pend_sparse;

		if (r->rec.nfiles == r->cap) {
			size_t ncap = r->cap ? r->cap * 2 : 8;
			ais_shard_file *nf
			    = realloc(r->files, ncap * sizeof(*nf));

			if (nf == NULL) {
				return shard_rd_fail(
				    r, AIS_ENOMEM, "out of memory");
			}
			r->files = nf;
			r->cap = ncap;
		}
		f = &r->files[r->rec.nfiles++];
		*f = r->pend;
		f->rec_index = r->rec.index;
		r->pend.name = NULL; /* moved to the record */
		r->pending = false;
		r->rec.files = r->files;
		if ((rc = shard_rd_data(r, f, sparse, sink, arg)) != AIS_OK) {
			if (r->failed == AIS_OK) {
				/* the sink's own error */
				shard_rd_fail(r, rc,
				    "entry #%llu '%s': sink: %s",
				    (unsigned long long) (r->nhdr - 1),
				    f->name, ais_strerror(rc));
			}
			return rc;
		}
		r->rec.size += f->size;
		if ((rc = shard_rd_header(r)) != AIS_OK) {
			return rc;
		}
		if (r->pending
		    && (r->pend.key_len != r->rec.key_len
		        || memcmp(r->pend.name, key, r->rec.key_len) != 0)) {
			break; /* next record */
		}
	}
	r->rec.files = r->files;
	*recp = &r->rec;
	return AIS_OK;
}

const char *
ais_shard_reader_error(const ais_shard_reader *r)
{
	return r != NULL ? r->err : "";
}

void
ais_shard_reader_free(ais_shard_reader *r)
{
	if (r == NULL) {
		return;
	}
	shard_rd_clear_rec(r);
	free(r->files);
	free((char *) r->pend.name);
	for (size_t i = 0; i < r->kcap; i++) {
		free(r->keys[i]);
	}
	free(r->keys);
	if (r->a != NULL) {
		archive_read_free(r->a);
	}
	if (r->own_fd) {
		close(r->fd);
	}
	free(r->last);
	free(r->buf);
	free(r->name);
	free(r);
}
