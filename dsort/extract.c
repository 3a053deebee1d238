/*
 * dSort extract phase (see extract.h): shards -> records + locations, with
 * compressed records held in memory up to the budget and spilled beyond it.
 */
#include "dsort/extract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dsort/shard.h"

#define EXT_STAGE_MIN (64 * 1024)

typedef struct ext_ctx {
	const dsort_extract_args *a;
	dsort_extract_result *res;
	ais_shard_fmt fmt;
	size_t cap; /* of res->recs and res->locs */
	/* the record being read in materialized mode */
	unsigned char *stage; /* its bytes while they fit the budget */
	size_t stage_len, stage_cap;
	bool spilling;          /* its bytes go to the spill file instead */
	uint64_t rec_spill_off; /* where it starts in the spill file */
	uint64_t spill_off;     /* end of the spill file */
	ais_err sink_err;       /* our own failure inside the sink */
	char *errbuf;
	size_t errlen;
} ext_ctx;

static bool
ext_aborted(const ext_ctx *c)
{
	return c->a->abort != NULL && atomic_load(c->a->abort);
}

static void
ext_peak(ext_ctx *c)
{
	uint64_t held = c->res->mem_bytes + c->stage_cap;

	if (held > c->res->mem_peak) {
		c->res->mem_peak = held;
	}
}

static ais_err
ext_warn(ext_ctx *c, const char *msg)
{
	dsort_extract_result *res = c->res;
	char **nw;

	if (res->nwarnings >= DSORT_EXTRACT_WARN_MAX) {
		res->warnings_dropped++;
		return AIS_OK;
	}
	if ((nw = realloc(res->warnings, (res->nwarnings + 1) * sizeof(*nw)))
	    == NULL) {
		return AIS_ENOMEM;
	}
	res->warnings = nw;
	if ((nw[res->nwarnings] = strdup(msg)) == NULL) {
		return AIS_ENOMEM;
	}
	res->nwarnings++;
	return AIS_OK;
}

/* mkdir -p: the caller's %ds/<job> dir may not exist before the first
 * spill. */
static ais_err
ext_mkdirs(const char *dir)
{
	char buf[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(buf)) {
		return AIS_EINVAL;
	}
	memcpy(buf, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char ch = buf[i];

			buf[i] = '\0';
			if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
				return ais_err_from_errno(errno);
			}
			buf[i] = ch;
		}
	}
	return AIS_OK;
}

static ais_err
ext_spill_open(ext_ctx *c)
{
	dsort_extract_result *res = c->res;
	const char *dir = c->a->workdir;
	size_t n;
	ais_err rc;

	if (res->spill_path != NULL) {
		return AIS_OK;
	}
	if (dir == NULL || dir[0] == '\0') {
		ais_errbuf_set(c->errbuf, c->errlen,
		    "extract: memory budget exceeded and no work dir to spill "
		    "to");
		return AIS_EINVAL;
	}
	if ((rc = ext_mkdirs(dir)) != AIS_OK) {
		ais_errbuf_set(c->errbuf, c->errlen,
		    "extract: cannot create work dir %s: %s", dir,
		    ais_strerror(rc));
		return rc;
	}
	n = strlen(dir) + sizeof("/extract-XXXXXX.spill");
	if ((res->spill_path = malloc(n)) == NULL) {
		return AIS_ENOMEM;
	}
	snprintf(res->spill_path, n, "%s%sextract-XXXXXX.spill", dir,
	    dir[strlen(dir) - 1] == '/' ? "" : "/");
	res->spill_fd = mkostemps(res->spill_path, 6, O_CLOEXEC);
	if (res->spill_fd < 0) {
		rc = ais_err_from_errno(errno);
		ais_errbuf_set(c->errbuf, c->errlen,
		    "extract: cannot create spill file in %s: %s", dir,
		    ais_strerror(rc));
		free(res->spill_path);
		res->spill_path = NULL;
		return rc;
	}
	return AIS_OK;
}

static ais_err
ext_spill_write(ext_ctx *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n
		    = pwrite(c->res->spill_fd, p, len, (off_t) c->spill_off);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			ais_err rc = ais_err_from_errno(errno);

			ais_errbuf_set(c->errbuf, c->errlen,
			    "extract: write to spill file %s: %s",
			    c->res->spill_path, ais_strerror(rc));
			return rc;
		}
		p += n;
		len -= (size_t) n;
		c->spill_off += (uint64_t) n;
	}
	return AIS_OK;
}

/* Moves the record being read from memory to the spill file: it no longer
 * fits the budget. */
static ais_err
ext_start_spill(ext_ctx *c)
{
	ais_err rc;

	if ((rc = ext_spill_open(c)) != AIS_OK) {
		return rc;
	}
	c->spilling = true;
	c->rec_spill_off = c->spill_off;
	if ((rc = ext_spill_write(c, c->stage, c->stage_len)) != AIS_OK) {
		return rc;
	}
	/* give the staging memory back: the rest of the budget is better
	 * spent on later records */
	free(c->stage);
	c->stage = NULL;
	c->stage_len = c->stage_cap = 0;
	return AIS_OK;
}

static ais_err
ext_stage(ext_ctx *c, const void *buf, size_t len)
{
	uint64_t budget = c->a->mem_budget, avail, need;
	size_t ncap;
	unsigned char *p;

	need = (uint64_t) c->stage_len + len;
	if (need <= c->stage_cap) {
		memcpy(c->stage + c->stage_len, buf, len);
		c->stage_len += len;
		return AIS_OK;
	}
	avail = budget > c->res->mem_bytes ? budget - c->res->mem_bytes : 0;
	if (need > avail || need > SIZE_MAX / 2) {
		return AIS_EAGAIN; /* does not fit: spill */
	}
	ncap = c->stage_cap * 2;
	if (ncap < need) {
		ncap = (size_t) need;
	}
	if (ncap < EXT_STAGE_MIN) {
		ncap = EXT_STAGE_MIN;
	}
	if (ncap > avail) {
		ncap = (size_t) avail;
	}
	if ((p = realloc(c->stage, ncap)) == NULL) {
		return AIS_ENOMEM;
	}
	c->stage = p;
	c->stage_cap = ncap;
	ext_peak(c);
	memcpy(c->stage + c->stage_len, buf, len);
	c->stage_len += len;
	return AIS_OK;
}

/* The reader's sink in materialized mode: one record's files arrive here
 * in order, back to back. */
static ais_err
ext_sink(void *arg, const ais_shard_file *f, const void *buf, size_t len)
{
	ext_ctx *c = arg;
	ais_err rc;

	(void) f;
	if (buf == NULL || len == 0) {
		return AIS_OK; /* end of a file: offsets come from the sizes */
	}
	if (ext_aborted(c)) {
		return c->sink_err = AIS_ESTOPPED;
	}
	if (!c->spilling) {
		rc = ext_stage(c, buf, len);
		if (rc == AIS_OK) {
			return AIS_OK;
		}
		if (rc != AIS_EAGAIN || (rc = ext_start_spill(c)) != AIS_OK) {
			return c->sink_err = rc;
		}
	}
	if ((rc = ext_spill_write(c, buf, len)) != AIS_OK) {
		return c->sink_err = rc;
	}
	return AIS_OK;
}

static ais_err
ext_grow(ext_ctx *c)
{
	dsort_extract_result *res = c->res;
	size_t ncap = c->cap ? c->cap * 2 : 256;
	dsort_rec *nr;
	dsort_rec_loc *nl;

	if (res->n < c->cap) {
		return AIS_OK;
	}
	if ((nr = realloc(res->recs, ncap * sizeof(*nr))) == NULL) {
		return AIS_ENOMEM;
	}
	res->recs = nr;
	if ((nl = realloc(res->locs, ncap * sizeof(*nl))) == NULL) {
		return AIS_ENOMEM;
	}
	res->locs = nl;
	c->cap = ncap;
	return AIS_OK;
}

static uint64_t
ext_loc_mem_bytes(const dsort_rec_loc *l)
{
	uint64_t sum = 0;

	if (l->kind != DSORT_LOC_MEM) {
		return 0;
	}
	for (size_t i = 0; i < l->nfiles; i++) {
		sum += l->files[i].size;
	}
	return sum;
}

/* Drops the records of a shard read only in part, and their spilled
 * bytes, so that a skipped shard leaves no trace. */
static void
ext_rollback(ext_ctx *c, size_t n0, uint64_t spill0)
{
	dsort_extract_result *res = c->res;

	for (size_t i = n0; i < res->n; i++) {
		res->mem_bytes -= ext_loc_mem_bytes(&res->locs[i]);
		res->bytes -= res->recs[i].size;
		dsort_rec_fini(&res->recs[i]);
		dsort_rec_loc_fini(&res->locs[i]);
	}
	res->n = n0;
	if (res->spill_fd >= 0 && c->spill_off > spill0) {
		/* best effort: a failed truncate only wastes disk until fini
		 */
		if (ftruncate(res->spill_fd, (off_t) spill0) == 0) {
			c->spill_off = spill0;
		}
	}
	c->stage_len = 0;
	c->spilling = false;
}

/* Reads the record's content-key file (extension alg.ext) and sets the
 * key. A record without one is left keyless: dsort_recs_prepare names it. */
static ais_err
ext_content_key(ext_ctx *c, dsort_rec *r, const dsort_rec_loc *l,
    const ais_shard_record *sr, int shard_fd)
{
	const dsort_alg *alg = &c->a->spec->alg;
	const dsort_file_loc *f = NULL;
	unsigned char *buf;
	int fd;
	ais_err rc;

	for (size_t i = 0; i < sr->nfiles; i++) {
		if (strcmp(sr->files[i].name + sr->files[i].key_len, alg->ext)
		    == 0) {
			f = &l->files[i];
			break;
		}
	}
	if (f == NULL) {
		return AIS_OK;
	}
	if (f->size > DSORT_CKEY_MAX) {
		ais_errbuf_set(c->errbuf, c->errlen,
		    "record '%s': content key file '%s' is %llu bytes (max "
		    "%d)",
		    r->name, f->name, (unsigned long long) f->size,
		    DSORT_CKEY_MAX);
		return AIS_EINVAL;
	}
	if (l->kind == DSORT_LOC_MEM) {
		return dsort_rec_set_content_key(r, alg->ckey_type,
		    l->mem != NULL ? l->mem + f->offset : (const void *) "",
		    (size_t) f->size, c->errbuf, c->errlen);
	}
	fd = l->path == c->res->spill_path ? c->res->spill_fd : shard_fd;
	if ((buf = malloc(f->size > 0 ? (size_t) f->size : 1)) == NULL) {
		return AIS_ENOMEM;
	}
	for (size_t done = 0; done < f->size;) {
		ssize_t n = pread(fd, buf + done, (size_t) f->size - done,
		    (off_t) (f->offset + done));

		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			rc = n < 0 ? ais_err_from_errno(errno) : AIS_EIO;
			ais_errbuf_set(c->errbuf, c->errlen,
			    "record '%s': reading content key file '%s': %s",
			    r->name, f->name, ais_strerror(rc));
			free(buf);
			return rc;
		}
		done += (size_t) n;
	}
	rc = dsort_rec_set_content_key(
	    r, alg->ckey_type, buf, (size_t) f->size, c->errbuf, c->errlen);
	free(buf);
	return rc;
}

/* Appends the record the reader just returned. materialized: its bytes
 * are in the stage or at rec_spill_off of the spill file; else (tar) at
 * the files' offsets in the shard. */
static ais_err
ext_add(ext_ctx *c, size_t si, const ais_shard_record *sr, bool materialized,
    int shard_fd)
{
	dsort_extract_result *res = c->res;
	dsort_rec *r;
	dsort_rec_loc *l;
	uint64_t base = 0;
	ais_err rc;

	if ((rc = ext_grow(c)) != AIS_OK) {
		return rc;
	}
	r = &res->recs[res->n];
	l = &res->locs[res->n];
	memset(l, 0, sizeof(*l));
	if ((rc = dsort_rec_init(r, sr->key, sr->key_len, sr->size,
	         (uint64_t) si << 32 | (sr->index & 0xffffffffu)))
	    != AIS_OK) {
		return rc;
	}
	r->origin = c->a->origin;
	res->n++; /* from here on, failures are undone by fini/rollback */
	if ((l->files = calloc(sr->nfiles, sizeof(*l->files))) == NULL) {
		return AIS_ENOMEM;
	}
	if (!materialized) {
		l->kind = DSORT_LOC_FILE;
		l->path = res->paths[si];
		l->src = (uint32_t) si;
	} else if (c->spilling) {
		if (c->spill_off - c->rec_spill_off != sr->size) {
			return AIS_EINTERNAL;
		}
		l->kind = DSORT_LOC_FILE;
		l->path = res->spill_path;
		base = c->rec_spill_off;
	} else {
		if (c->stage_len != sr->size) {
			return AIS_EINTERNAL;
		}
		l->kind = DSORT_LOC_MEM;
		if (c->stage_len > 0) {
			/* hand the stage over, trimmed; the held bytes only
			 * shrink (cap -> len) */
			unsigned char *p = realloc(c->stage, c->stage_len);

			l->mem = p != NULL ? p : c->stage;
			res->mem_bytes += c->stage_len;
			c->stage = NULL;
			c->stage_len = c->stage_cap = 0;
		}
	}
	for (size_t i = 0; i < sr->nfiles; i++) {
		const ais_shard_file *sf = &sr->files[i];
		dsort_file_loc *f = &l->files[i];

		if ((f->name = strdup(sf->name)) == NULL) {
			return AIS_ENOMEM;
		}
		l->nfiles = i + 1;
		f->size = sf->size;
		f->mtime = sf->mtime;
		f->offset = materialized ? base : sf->offset;
		base += sf->size;
	}
	c->spilling = false;
	c->stage_len = 0;
	res->bytes += r->size;
	if (c->a->spec->alg.kind == DSORT_ALG_CONTENT) {
		return ext_content_key(c, r, l, sr, shard_fd);
	}
	return AIS_OK;
}

/* Reads one shard. *fault: the failure is the shard's (unreadable,
 * truncated, corrupt), so the missing_shards reaction applies; the message
 * is in errbuf. *again: a tar with no offset for some file; re-read it
 * materialized. */
static ais_err
ext_shard(ext_ctx *c, size_t si, bool materialize, bool *fault, bool *again)
{
	const dsort_input_shard *in = &c->a->shards[si];
	ais_shard_reader *rd = NULL;
	const ais_shard_record *sr;
	ais_err rc;
	int fd;

	*fault = *again = false;
	fd = open(in->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = ais_err_from_errno(errno);
		ais_errbuf_set(c->errbuf, c->errlen, "shard '%s': open %s: %s",
		    in->name, in->path, ais_strerror(rc));
		*fault = true;
		return rc;
	}
	rc = ais_shard_reader_open_fd(&rd, fd, in->name, c->fmt);
	if (rc != AIS_OK) {
		ais_errbuf_set(c->errbuf, c->errlen, "shard '%s': %s",
		    in->name, ais_strerror(rc));
		close(fd);
		return rc;
	}
	if (!materialize && c->res->paths[si] == NULL
	    && (c->res->paths[si] = strdup(in->path)) == NULL) {
		rc = AIS_ENOMEM;
		goto out;
	}
	for (;;) {
		if (ext_aborted(c)) {
			rc = AIS_ESTOPPED;
			goto out;
		}
		c->sink_err = AIS_OK;
		c->stage_len = 0;
		c->spilling = false;
		rc = ais_shard_reader_next(
		    rd, materialize ? ext_sink : NULL, c, &sr);
		if (rc != AIS_OK) {
			if (c->sink_err != AIS_OK) {
				rc = c->sink_err; /* ours, message set */
			} else if (rc != AIS_ENOMEM) {
				ais_errbuf_set(c->errbuf, c->errlen, "%s",
				    ais_shard_reader_error(rd));
				*fault = true;
			}
			goto out;
		}
		if (sr == NULL) {
			break;
		}
		if (!materialize) {
			for (size_t i = 0; i < sr->nfiles; i++) {
				if (sr->files[i].offset == AIS_SHARD_NOOFF) {
					*again = true;
					goto out;
				}
			}
		}
		if ((rc = ext_add(c, si, sr, materialize, fd)) != AIS_OK) {
			if (rc == AIS_ENOMEM || rc == AIS_EINTERNAL) {
				ais_errbuf_set(c->errbuf, c->errlen,
				    "shard '%s': record '%s': %s", in->name,
				    sr->key, ais_strerror(rc));
			}
			goto out;
		}
	}
out:
	ais_shard_reader_free(rd);
	close(fd);
	return rc;
}

static int
ext_cmp_name(const void *pa, const void *pb)
{
	const dsort_rec *a = *(const dsort_rec *const *) pa;
	const dsort_rec *b = *(const dsort_rec *const *) pb;
	int d = strcmp(a->name, b->name);

	if (d != 0) {
		return d;
	}
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Same-name records on this target, per duplicated_records. */
static ais_err
ext_dups(ext_ctx *c)
{
	dsort_extract_result *res = c->res;
	dsort_react react = c->a->spec->conf.duplicated_records;
	const dsort_rec **v;
	char msg[1024];
	ais_err rc = AIS_OK;

	if (react == DSORT_REACT_IGNORE || res->n < 2) {
		return AIS_OK;
	}
	if ((v = malloc(res->n * sizeof(*v))) == NULL) {
		return AIS_ENOMEM;
	}
	for (size_t i = 0; i < res->n; i++) {
		v[i] = &res->recs[i];
	}
	qsort(v, res->n, sizeof(*v), ext_cmp_name);
	for (size_t i = 1; i < res->n && rc == AIS_OK; i++) {
		if (strcmp(v[i - 1]->name, v[i]->name) != 0) {
			continue;
		}
		snprintf(msg, sizeof(msg),
		    "duplicated record '%.300s' in shards '%.300s' and "
		    "'%.300s'",
		    v[i]->name, c->a->shards[v[i - 1]->seq >> 32].name,
		    c->a->shards[v[i]->seq >> 32].name);
		if (react == DSORT_REACT_ABORT) {
			ais_errbuf_set(c->errbuf, c->errlen, "%s", msg);
			rc = AIS_EINVAL;
		} else {
			rc = ext_warn(c, msg);
		}
	}
	free(v);
	return rc;
}

ais_err
dsort_extract(const dsort_extract_args *a, dsort_extract_result *res,
    char *errbuf, size_t errlen)
{
	/* messages go to a buffer of ours first: a warn reaction keeps them
	 * even when the caller passes no errbuf */
	char msg[AIS_SHARD_ERRLEN + 256] = "";
	ext_ctx c
	    = { .a = a, .res = res, .errbuf = msg, .errlen = sizeof(msg) };
	ais_err rc;

	memset(res, 0, sizeof(*res));
	res->spill_fd = -1;
	ais_errbuf_set(errbuf, errlen, "%s", "");
	if (a == NULL || a->spec == NULL
	    || (a->nshards > 0 && a->shards == NULL)) {
		ais_errbuf_set(errbuf, errlen, "extract: bad arguments");
		return AIS_EINVAL;
	}
	if (ais_shard_fmt_parse(a->spec->input_ext, &c.fmt) != AIS_OK
	    || !ais_shard_fmt_supported(c.fmt)) {
		ais_errbuf_set(errbuf, errlen,
		    "extract: input_extension '%s' is not supported here",
		    a->spec->input_ext);
		return AIS_ENOTSUP;
	}
	if (a->nshards > UINT32_MAX) {
		ais_errbuf_set(errbuf, errlen, "extract: too many shards");
		return AIS_EINVAL;
	}
	res->npaths = a->nshards;
	if (a->nshards > 0
	    && (res->paths = calloc(a->nshards, sizeof(*res->paths)))
	        == NULL) {
		rc = AIS_ENOMEM;
		goto fail;
	}
	for (size_t si = 0; si < a->nshards; si++) {
		size_t n0 = res->n;
		uint64_t spill0 = c.spill_off;
		bool materialize = c.fmt != AIS_SHARD_TAR, fault, again;

		do {
			rc = ext_shard(&c, si, materialize, &fault, &again);
			if (again) {
				ext_rollback(&c, n0, spill0);
				materialize = true;
			}
		} while (again && rc == AIS_OK);
		if (rc == AIS_OK) {
			res->shards_done++;
			continue;
		}
		if (!fault
		    || a->spec->conf.missing_shards == DSORT_REACT_ABORT) {
			goto fail;
		}
		ext_rollback(&c, n0, spill0);
		if (!materialize) {
			free(res->paths[si]);
			res->paths[si] = NULL;
		}
		res->shards_skipped++;
		if (a->spec->conf.missing_shards == DSORT_REACT_WARN
		    && (rc = ext_warn(&c, msg)) != AIS_OK) {
			goto fail;
		}
		msg[0] = '\0';
	}
	if ((rc = ext_dups(&c)) != AIS_OK) {
		goto fail;
	}
	/* md5 keys and the content-key presence check */
	if ((rc = dsort_recs_prepare(
	         res->recs, res->n, &a->spec->alg, msg, sizeof(msg)))
	    != AIS_OK) {
		goto fail;
	}
	free(c.stage);
	res->spilled_bytes = c.spill_off;
	return AIS_OK;
fail:
	if (rc == AIS_ESTOPPED) {
		ais_errbuf_set(errbuf, errlen, "extract: aborted");
	} else if (msg[0] == '\0') {
		ais_errbuf_set(
		    errbuf, errlen, "extract: %s", ais_strerror(rc));
	} else {
		ais_errbuf_set(errbuf, errlen, "%s", msg);
	}
	free(c.stage);
	dsort_extract_result_fini(res);
	return rc;
}

void
dsort_extract_result_fini(dsort_extract_result *res)
{
	if (res == NULL) {
		return;
	}
	for (size_t i = 0; i < res->n; i++) {
		dsort_rec_fini(&res->recs[i]);
		dsort_rec_loc_fini(&res->locs[i]);
	}
	free(res->recs);
	free(res->locs);
	for (size_t i = 0; i < res->nwarnings; i++) {
		free(res->warnings[i]);
	}
	free(res->warnings);
	for (size_t i = 0; i < res->npaths; i++) {
		free(res->paths[i]);
	}
	free(res->paths);
	/* spill_fd is valid only with spill_path: a zeroed res has fd 0 */
	if (res->spill_path != NULL) {
		if (res->spill_fd >= 0) {
			close(res->spill_fd);
		}
		unlink(res->spill_path);
		free(res->spill_path);
	}
	memset(res, 0, sizeof(*res));
	res->spill_fd = -1;
}
