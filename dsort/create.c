/*
 * dSort creator: one output shard written to a work file, checksummed,
 * given its LOM metadata and renamed into place (see create.h for the
 * steps and the guarantees).
 *
 * The checksum rides on the writer's tap (dsort/shard.h): every byte the
 * writer puts into the work file goes to the hash as it is written, from
 * the same memory the writer hands to writev(2), so there is no read-back
 * and no extra copy.
 * The checksum is of the whole file, trailer included, exactly as a read
 * of the finished object would compute it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fqn.h"
#include "core/lom.h"
#include "dsort/create.h"

static atomic_uint_fast64_t dsort_create_seq;

struct dsort_create_sink {
	ais_shard_writer *w;
	int fd;                      /* work file */
	const dsort_create_rec *rec; /* record being fetched */
	const atomic_bool *abort;
	bool in_file;       /* between begin and end */
	char *fname;        /* current file's name (owned) */
	uint64_t fsize;     /* its announced size */
	uint64_t fgot;      /* bytes of it so far */
	uint64_t rec_bytes; /* bytes of the record's files so far */
	uint64_t rec_files;
	uint64_t files;                /* files in the shard */
	ais_cksum ck;                  /* of the work file, via the tap */
	uint64_t hashed;               /* work-file bytes fed to ck */
	char msg[DSORT_CREATE_ERRLEN]; /* why a sink call failed */
};

static bool
dsort_create_aborted(const atomic_bool *abort)
{
	return abort != NULL && atomic_load(abort);
}

static ais_err dsort_create_fail(dsort_create_sink *s, ais_err err,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static ais_err
dsort_create_fail(dsort_create_sink *s, ais_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
	return err;
}

ais_err
dsort_create_file_begin(
    dsort_create_sink *s, const char *name, uint64_t size, int64_t mtime)
{
	ais_err err;

	if (s->in_file) {
		return dsort_create_fail(s, AIS_EINVAL,
		    "file %s begun before %s ended", name, s->fname);
	}
	if (dsort_create_aborted(s->abort)) {
		return AIS_ESTOPPED;
	}
	free(s->fname);
	s->fname = strdup(name);
	if (s->fname == NULL) {
		return AIS_ENOMEM;
	}
	err = ais_shard_writer_begin(s->w, name, size, mtime);
	if (err != AIS_OK) {
		return dsort_create_fail(
		    s, err, "file %s: %s", name, ais_shard_writer_error(s->w));
	}
	s->in_file = true;
	s->fsize = size;
	s->fgot = 0;
	return AIS_OK;
}

static ais_err
dsort_create_data(dsort_create_sink *s, const void *buf, size_t len, bool ref)
{
	ais_err err;

	if (!s->in_file) {
		return dsort_create_fail(
		    s, AIS_EINVAL, "data written outside of a file");
	}
	if (dsort_create_aborted(s->abort)) {
		return AIS_ESTOPPED;
	}
	if (len > s->fsize - s->fgot) {
		return dsort_create_fail(s, AIS_EIO,
		    "file %s: more than the announced %" PRIu64 " bytes",
		    s->fname, s->fsize);
	}
	if (len == 0) {
		return AIS_OK;
	}
	err = ref ? ais_shard_writer_write_ref(s->w, buf, len)
	          : ais_shard_writer_write(s->w, buf, len);
	if (err != AIS_OK) {
		return dsort_create_fail(s, err, "file %s: %s", s->fname,
		    ais_shard_writer_error(s->w));
	}
	s->fgot += len;
	s->rec_bytes += len;
	return AIS_OK;
}

ais_err
dsort_create_file_write(dsort_create_sink *s, const void *buf, size_t len)
{
	return dsort_create_data(s, buf, len, false);
}

ais_err
dsort_create_file_write_ref(dsort_create_sink *s, const void *buf, size_t len)
{
	return dsort_create_data(s, buf, len, true);
}

ais_err
dsort_create_flush(dsort_create_sink *s)
{
	ais_err err = ais_shard_writer_flush(s->w);

	if (err != AIS_OK) {
		return dsort_create_fail(
		    s, err, "%s", ais_shard_writer_error(s->w));
	}
	return AIS_OK;
}

ais_err
dsort_create_file_end(dsort_create_sink *s)
{
	ais_err err;

	if (!s->in_file) {
		return dsort_create_fail(s, AIS_EINVAL, "end without a file");
	}
	if (s->fgot != s->fsize) {
		return dsort_create_fail(s, AIS_EIO,
		    "file %s: got %" PRIu64 " of the announced %" PRIu64
		    " bytes",
		    s->fname, s->fgot, s->fsize);
	}
	err = ais_shard_writer_end(s->w);
	if (err != AIS_OK) {
		return dsort_create_fail(s, err, "file %s: %s", s->fname,
		    ais_shard_writer_error(s->w));
	}
	s->in_file = false;
	s->rec_files++;
	s->files++;
	return AIS_OK;
}

/* The writer's tap: the work file's bytes, in order, as they land. */
static void
dsort_create_tap(void *arg, const void *buf, size_t len)
{
	dsort_create_sink *s = arg;

	ais_cksum_update(&s->ck, buf, len);
	s->hashed += len;
}

/* Creates the unique work file (and %wk on first use). */
static ais_err
dsort_create_open(
    const dsort_create_dst *dst, char *wfqn, size_t len, int *fdp)
{
	char wname[64];

	for (int attempt = 0; attempt < 4; attempt++) {
		snprintf(wname, sizeof(wname), "ds.%x.%" PRIxFAST64,
		    (unsigned) getpid(),
		    atomic_fetch_add(&dsort_create_seq, 1));
		if (ais_fqn(wfqn, len, dst->mpath, dst->bck->provider,
		        dst->bck->ns, dst->bck->name, AIS_CT_WORK, wname)
		    != AIS_OK) {
			return AIS_EINVAL;
		}
		*fdp = open(
		    wfqn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (*fdp >= 0) {
			return AIS_OK;
		}
		if (errno == ENOENT) {
			int e = ais_mkdir_parent(wfqn);

			if (e != 0) {
				return ais_err_from_errno(e);
			}
			continue;
		}
		if (errno != EEXIST) {
			return ais_err_from_errno(errno);
		}
	}
	return AIS_EEXIST;
}

/* One record through fetch, with the checks of create.h. */
static ais_err
dsort_create_record(dsort_create_sink *s, const dsort_create_rec *rec,
    dsort_create_fetch_fn fetch, void *arg)
{
	ais_err err;

	s->rec = rec;
	s->rec_bytes = 0;
	s->rec_files = 0;
	s->msg[0] = '\0';
	err = fetch(arg, rec, s);
	if (dsort_create_aborted(s->abort)) {
		return AIS_ESTOPPED;
	}
	if (err != AIS_OK) {
		if (s->msg[0] == '\0') {
			dsort_create_fail(
			    s, err, "fetch failed: %s", ais_strerror(err));
		}
		return err;
	}
	if (s->in_file) {
		return dsort_create_fail(s, AIS_EIO,
		    "file %s: got %" PRIu64 " of the announced %" PRIu64
		    " bytes",
		    s->fname, s->fgot, s->fsize);
	}
	if (s->rec_files == 0) {
		return dsort_create_fail(s, AIS_EIO, "no files");
	}
	if (rec->size != DSORT_CREATE_SIZE_UNKNOWN
	    && s->rec_bytes != rec->size) {
		return dsort_create_fail(s, AIS_EIO,
		    "files add up to %" PRIu64 " bytes, expected %" PRIu64,
		    s->rec_bytes, rec->size);
	}
	return AIS_OK;
}

/* Steps 3-5 of create.h on the closed, fully hashed work file. */
static ais_err
dsort_create_commit(dsort_create_sink *s, const char *wfqn, const char *fqn,
    bool versioning, bool sync, ais_lom_md *md)
{
	struct timespec ts[2];

	if (sync && fsync(s->fd) != 0) {
		return ais_err_from_errno(errno);
	}
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[1].tv_sec = 0;
	ts[1].tv_nsec = UTIME_OMIT;
	(void) futimens(s->fd, ts); /* atime = end of the write, as a PUT */
	ais_lom_next_version(fqn, versioning, md);
	if (ais_lom_store_fd(s->fd, md) != AIS_OK) {
		return AIS_EIO;
	}
	if (rename(wfqn, fqn) != 0) {
		int e = errno;

		if (e != ENOENT) {
			return ais_err_from_errno(e);
		}
		e = ais_mkdir_parent(fqn);
		if (e != 0) {
			return ais_err_from_errno(e);
		}
		if (rename(wfqn, fqn) != 0) {
			return ais_err_from_errno(errno);
		}
	}
	return AIS_OK;
}

ais_err
dsort_create_fqn(char *buf, size_t len, const char *mpath,
    const dsort_bck *bck, const char *objname)
{
	if (objname == NULL
	    || ais_objname_check(objname, strlen(objname), false) != AIS_OK) {
		return AIS_EINVAL;
	}
	return ais_fqn(buf, len, mpath, bck->provider, bck->ns, bck->name,
	    AIS_CT_OBJ, objname);
}

ais_err
dsort_create_shard(const char *objname, ais_shard_fmt fmt,
    const dsort_create_rec *recs, size_t nrecs, dsort_create_fetch_fn fetch,
    void *arg, const dsort_create_dst *dst, const atomic_bool *abort,
    dsort_create_result *res, char *errbuf, size_t errlen)
{
	dsort_create_sink s;
	ais_lom_md *md = NULL;
	char fqn[PATH_MAX];
	char wfqn[PATH_MAX];
	ais_cksum_type ctype = AIS_CKSUM_XXHASH2;
	bool versioning = true;
	bool sync = false; /* as a PUT: only with AIS_FEAT_FSYNC_PUT */
	uint64_t lid = 0;
	uint64_t bytes = 0;
	const char *what = "";
	ais_err err;

	memset(&s, 0, sizeof(s));
	s.fd = -1;
	s.abort = abort;
	wfqn[0] = '\0';
	if (res != NULL) {
		memset(res, 0, sizeof(*res));
	}
	if (nrecs == 0 || fetch == NULL || dst == NULL || dst->mpath == NULL
	    || dst->bck == NULL) {
		ais_errbuf_set(errbuf, errlen, "shard %s: nothing to create",
		    objname == NULL ? "?" : objname);
		return AIS_EINVAL;
	}
	if (dsort_create_fqn(fqn, sizeof(fqn), dst->mpath, dst->bck, objname)
	    != AIS_OK) {
		ais_errbuf_set(errbuf, errlen,
		    "shard %.200s: invalid object name or path too long",
		    objname == NULL ? "?" : objname);
		return AIS_EINVAL;
	}
	if (dst->props != NULL) {
		ctype = dst->props->cksum;
		versioning = dst->props->versioning;
		lid = dst->props->bid;
		sync = (dst->props->features & AIS_FEAT_FSYNC_PUT) != 0;
	}
	md = calloc(1, sizeof(*md));
	if (md == NULL) {
		err = AIS_ENOMEM;
		what = "out of memory";
		goto fail;
	}
	err = ais_cksum_init(&s.ck, ctype);
	if (err != AIS_OK) {
		what = "checksum";
		goto fail;
	}
	err = dsort_create_open(dst, wfqn, sizeof(wfqn), &s.fd);
	if (err != AIS_OK) {
		what = "cannot create the work file";
		goto fail;
	}
	err = ais_shard_writer_open_fd(&s.w, s.fd, objname, fmt);
	if (err == AIS_OK) {
		err = ais_shard_writer_set_tap(s.w, dsort_create_tap, &s);
	}
	if (err != AIS_OK) {
		what = "cannot start the shard writer";
		goto fail;
	}
	for (size_t i = 0; i < nrecs; i++) {
		if (dsort_create_aborted(abort)) {
			err = AIS_ESTOPPED;
			goto fail;
		}
		err = dsort_create_record(&s, &recs[i], fetch, arg);
		if (err == AIS_ESTOPPED) {
			goto fail;
		}
		if (err != AIS_OK) {
			ais_errbuf_set(errbuf, errlen,
			    "shard %s: record %s: %s", objname,
			    recs[i].name == NULL ? "?" : recs[i].name, s.msg);
			goto fail_msg;
		}
	}
	err = ais_shard_writer_close(s.w, &bytes);
	if (err != AIS_OK) {
		ais_errbuf_set(errbuf, errlen, "shard %s: %s", objname,
		    ais_shard_writer_error(s.w));
		goto fail_msg;
	}
	if (s.hashed != bytes) {
		/* a writer bug: the tap missed bytes that went to the file */
		err = AIS_EINTERNAL;
		what = "checksum does not cover the work file";
		goto fail;
	}
	if (dsort_create_aborted(abort)) {
		err = AIS_ESTOPPED;
		goto fail;
	}
	md->size = (int64_t) bytes;
	md->cksum_type = ctype;
	ais_cksum_final(&s.ck, md->cksum_value);
	md->lid = lid;
	err = dsort_create_commit(&s, wfqn, fqn, versioning, sync, md);
	if (err != AIS_OK) {
		what = "cannot store the object";
		goto fail;
	}
	wfqn[0] = '\0'; /* it is the object now */
	if (res != NULL) {
		res->size = bytes;
		res->records = nrecs;
		res->files = s.files;
		res->cksum_type = ctype;
		memcpy(res->cksum, md->cksum_value, sizeof(res->cksum));
		memcpy(res->version, md->version, sizeof(res->version));
	}
	close(s.fd);
	ais_shard_writer_free(s.w);
	free(s.fname);
	free(md);
	return AIS_OK;

fail:
	if (err == AIS_ESTOPPED) {
		ais_errbuf_set(errbuf, errlen, "shard %s: aborted", objname);
	} else {
		ais_errbuf_set(errbuf, errlen, "shard %s: %s: %s", objname,
		    what, ais_strerror(err));
	}
fail_msg:
	ais_shard_writer_free(s.w); /* no trailer: abandoned */
	s.w = NULL;
	if (s.fd >= 0) {
		close(s.fd);
	}
	if (wfqn[0] != '\0') {
		(void) unlink(wfqn);
	}
	ais_cksum_fini(&s.ck);
	free(s.fname);
	free(md);
	return err;
}

ais_err
dsort_create_remove(
    const char *mpath, const dsort_bck *bck, const char *objname)
{
	char fqn[PATH_MAX];

	if (dsort_create_fqn(fqn, sizeof(fqn), mpath, bck, objname)
	    != AIS_OK) {
		return AIS_EINVAL;
	}
	if (unlink(fqn) != 0 && errno != ENOENT) {
		return ais_err_from_errno(errno);
	}
	return AIS_OK;
}
