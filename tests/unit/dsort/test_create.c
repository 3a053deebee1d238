/*
 * Unit tests for dsort/create: shards of every supported format created
 * from in-memory records and read back with the dsort/shard.h reader
 * (byte-identical, in order, records whole); the LOM xattr (size, checksum
 * of the object's bytes, version 1 then 2, none without versioning); abort
 * mid-record and fetches that send fewer/more bytes than announced or fail
 * leave neither an object nor a work file (and an older object intact);
 * remove is idempotent. The checksum (taken from the writer's tap) equals
 * a checksum of the finished file for every checksum type, also for a
 * shard small enough to reach the file only at close; fsync follows the
 * bucket's Fsync-PUT feature as a PUT does (counted by the fsync()
 * stand-in below).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/cksum.h"
#include "core/fqn.h"
#include "core/lom.h"
#include "dsort/create.h"
#include "dsort/shard.h"

#define NREC 24
#define MAXF 3

typedef struct tfile {
	char name[64];
	size_t size;
	unsigned char *data;
} tfile;

typedef struct trec {
	char name[32];
	tfile files[MAXF];
	size_t nfiles;
	uint64_t size;
} trec;

typedef struct fx {
	char mpath[64];
	dsort_bck bck;
	trec recs[NREC];
	dsort_create_rec crecs[NREC];
	size_t chunk; /* fetch writes in chunks of this many bytes */
	/* fault injection, by record index; -1 = off */
	int short_at;   /* send one byte less, then end */
	int unended_at; /* return OK with the last file not ended */
	int long_at;    /* send one byte more */
	int fail_at;    /* return AIS_EIO without touching the sink */
	int abort_at;   /* set the abort flag after half a file */
	atomic_bool abort;
} fx;

/* Link-time stand-in: this definition in the executable wins over libc's
 * for the creator's call, so tests can count fsyncs. fdatasync does the
 * work (nothing here checks durability). */
static int fsync_calls;

int
fsync(int fd)
{
	fsync_calls++;
	return fdatasync(fd);
}

/* ---- fixture ------------------------------------------------------------ */

static void
fill(unsigned char *p, size_t n, uint32_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char) x;
	}
}

static int
setup(void **state)
{
	static const char *const exts[] = { ".jpg", ".cls", ".json" };
	fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->mpath, sizeof(f->mpath), "/tmp/ais-create-XXXXXX");
	assert_non_null(mkdtemp(f->mpath));
	snprintf(f->bck.provider, sizeof(f->bck.provider), "ais");
	snprintf(f->bck.name, sizeof(f->bck.name), "out");
	for (int i = 0; i < NREC; i++) {
		trec *r = &f->recs[i];

		/* names out of alphabetical order: the creator keeps the
		 * caller's order */
		snprintf(r->name, sizeof(r->name), "s%04d", (i * 7) % NREC);
		r->nfiles = 1 + (size_t) (i % MAXF);
		for (size_t j = 0; j < r->nfiles; j++) {
			tfile *t = &r->files[j];

			snprintf(t->name, sizeof(t->name), "%s%s", r->name,
			    exts[j]);
			/* 0 bytes, small, and > the 128 KiB buffers */
			t->size = i == 3 && j == 0 ? 0
			    : i % 5 == 0           ? 200000 + (size_t) i
			                 : (size_t) (i * 131 + j * 17);
			t->data = calloc(1, t->size + 1);
			assert_non_null(t->data);
			fill(t->data, t->size, (uint32_t) (i * 10 + j));
			r->size += t->size;
		}
		f->crecs[i].name = r->name;
		f->crecs[i].size = r->size;
		f->crecs[i].arg = r;
		f->crecs[i].origin = (uint32_t) i;
	}
	f->chunk = 4096;
	f->short_at = f->unended_at = f->long_at = f->fail_at = -1;
	f->abort_at = -1;
	atomic_init(&f->abort, false);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fx *f = *state;
	char cmd[128];

	for (int i = 0; i < NREC; i++) {
		for (size_t j = 0; j < f->recs[i].nfiles; j++) {
			free(f->recs[i].files[j].data);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->mpath);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* ---- fetch -------------------------------------------------------------- */

static ais_err
fetch_mem(void *arg, const dsort_create_rec *rec, dsort_create_sink *s)
{
	fx *f = arg;
	const trec *r = rec->arg;
	int idx = (int) rec->origin;
	ais_err err;

	if (idx == f->fail_at) {
		return AIS_EIO;
	}
	for (size_t j = 0; j < r->nfiles; j++) {
		const tfile *t = &r->files[j];
		size_t n = t->size;
		bool last = j + 1 == r->nfiles;

		err = dsort_create_file_begin(s, t->name, t->size, 1700000000);
		if (err != AIS_OK) {
			return err;
		}
		if (last && idx == f->short_at && n > 0) {
			n--;
		}
		if (last && idx == f->long_at) {
			n++; /* data has one spare byte */
		}
		for (size_t off = 0; off < n;) {
			size_t c = n - off < f->chunk ? n - off : f->chunk;

			if (idx == f->abort_at && off >= n / 2) {
				atomic_store(&f->abort, true);
			}
			err = dsort_create_file_write(s, t->data + off, c);
			if (err != AIS_OK) {
				return err;
			}
			off += c;
		}
		if (last && idx == f->unended_at) {
			return AIS_OK;
		}
		err = dsort_create_file_end(s);
		if (err != AIS_OK) {
			return err;
		}
	}
	return AIS_OK;
}

/* ---- helpers ------------------------------------------------------------ */

static ais_err
create(fx *f, const char *obj, ais_shard_fmt fmt, const ais_bprops *props,
    dsort_create_result *res, char *errbuf)
{
	dsort_create_dst dst
	    = { .mpath = f->mpath, .bck = &f->bck, .props = props };

	return dsort_create_shard(obj, fmt, f->crecs, NREC, fetch_mem, f, &dst,
	    &f->abort, res, errbuf, DSORT_CREATE_ERRLEN);
}

static void
obj_path(fx *f, const char *obj, char *buf, size_t len)
{
	assert_int_equal(
	    dsort_create_fqn(buf, len, f->mpath, &f->bck, obj), AIS_OK);
}

/* Entries in the bucket's %wk directory (none left behind, ever). */
static int
work_files(fx *f)
{
	char dir[PATH_MAX];
	char path[PATH_MAX + 8];
	DIR *d;
	struct dirent *e;
	int n = 0;

	assert_int_equal(
	    ais_bck_dir(dir, sizeof(dir), f->mpath, "ais", "", f->bck.name),
	    AIS_OK);
	snprintf(path, sizeof(path), "%s/%s", dir, AIS_CT_WORK);
	d = opendir(path);
	if (d == NULL) {
		assert_int_equal(errno, ENOENT);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0
		    && strcmp(e->d_name, "..") != 0) {
			n++;
		}
	}
	closedir(d);
	return n;
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void
file_cksum(const char *path, ais_cksum_type t, char hex[AIS_CKSUM_HEX_MAX],
    uint64_t *sizep)
{
	unsigned char buf[65536];
	ais_cksum c;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(ais_cksum_init(&c, t), AIS_OK);
	*sizep = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ais_cksum_update(&c, buf, (size_t) n);
		*sizep += (uint64_t) n;
	}
	assert_int_equal(n, 0);
	close(fd);
	ais_cksum_final(&c, hex);
}

/* Reader sink: checks each file against the next expected one. */
typedef struct rd {
	fx *f;
	size_t rec;  /* expected record */
	size_t file; /* expected file within it */
	size_t off;  /* bytes of it matched so far */
	size_t nfiles;
} rd;

static ais_err
rd_sink(void *arg, const ais_shard_file *sf, const void *buf, size_t len)
{
	rd *r = arg;
	const trec *tr;
	const tfile *t;

	assert_true(r->rec < NREC);
	tr = &r->f->recs[r->rec];
	t = &tr->files[r->file];
	assert_string_equal(sf->name, t->name);
	assert_int_equal(sf->size, t->size);
	if (buf == NULL) {
		assert_int_equal(r->off, t->size);
		r->off = 0;
		r->nfiles++;
		if (++r->file == tr->nfiles) {
			r->file = 0;
			r->rec++;
		}
		return AIS_OK;
	}
	assert_true(r->off + len <= t->size);
	assert_memory_equal(buf, t->data + r->off, len);
	r->off += len;
	return AIS_OK;
}

static void
read_back(fx *f, const char *path, ais_shard_fmt fmt)
{
	ais_shard_reader *rdr;
	const ais_shard_record *rec;
	rd r = { .f = f };
	size_t nrec = 0;

	assert_int_equal(ais_shard_reader_open_path(&rdr, path, fmt), AIS_OK);
	for (;;) {
		ais_err err = ais_shard_reader_next(rdr, rd_sink, &r, &rec);

		if (err != AIS_OK) {
			fail_msg("%s", ais_shard_reader_error(rdr));
		}
		if (rec == NULL) {
			break;
		}
		/* one shard record per input record: never split */
		assert_string_equal(rec->key, f->recs[nrec].name);
		assert_int_equal(rec->nfiles, f->recs[nrec].nfiles);
		assert_false(rec->dup);
		nrec++;
	}
	ais_shard_reader_free(rdr);
	assert_int_equal(nrec, NREC);
	assert_int_equal(r.rec, NREC);
}

/* ---- tests -------------------------------------------------------------- */

static void
test_formats_roundtrip(void **state)
{
	static const ais_shard_fmt fmts[]
	    = { AIS_SHARD_TAR, AIS_SHARD_TGZ, AIS_SHARD_ZIP, AIS_SHARD_TLZ4 };
	fx *f = *state;

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		char obj[64];
		char path[PATH_MAX];
		char errbuf[DSORT_CREATE_ERRLEN] = "";
		char hex[AIS_CKSUM_HEX_MAX];
		dsort_create_result res;
		ais_lom_md md;
		uint64_t fsize;
		size_t nfiles = 0;

		if (!ais_shard_fmt_supported(fmts[i])) {
			continue;
		}
		snprintf(obj, sizeof(obj), "dir/shard-%zu%s", i,
		    ais_shard_fmt_ext(fmts[i]));
		assert_int_equal(
		    create(f, obj, fmts[i], NULL, &res, errbuf), AIS_OK);
		obj_path(f, obj, path, sizeof(path));
		read_back(f, path, fmts[i]);

		for (int r = 0; r < NREC; r++) {
			nfiles += f->recs[r].nfiles;
		}
		assert_int_equal(res.records, NREC);
		assert_int_equal(res.files, nfiles);
		/* metadata as a PUT leaves it: size, xxhash2 of the bytes,
		 * version 1 */
		file_cksum(path, AIS_CKSUM_XXHASH2, hex, &fsize);
		assert_int_equal(res.size, fsize);
		assert_int_equal(ais_lom_load(path, &md), AIS_OK);
		assert_int_equal(md.size, (int64_t) fsize);
		assert_int_equal(md.cksum_type, AIS_CKSUM_XXHASH2);
		assert_string_equal(md.cksum_value, hex);
		assert_string_equal(res.cksum, hex);
		assert_string_equal(md.version, "1");
		assert_string_equal(res.version, "1");
		assert_int_equal(work_files(f), 0);
	}
}

static void
test_version_and_props(void **state)
{
	fx *f = *state;
	char path[PATH_MAX];
	char errbuf[DSORT_CREATE_ERRLEN] = "";
	char hex[AIS_CKSUM_HEX_MAX];
	dsort_create_result res;
	ais_lom_md md;
	ais_bprops props
	    = { .cksum = AIS_CKSUM_MD5, .versioning = false, .bid = 0x1234 };
	uint64_t fsize;

	assert_int_equal(
	    create(f, "v.tar", AIS_SHARD_TAR, NULL, &res, errbuf), AIS_OK);
	assert_int_equal(
	    create(f, "v.tar", AIS_SHARD_TAR, NULL, &res, errbuf), AIS_OK);
	obj_path(f, "v.tar", path, sizeof(path));
	assert_int_equal(ais_lom_load(path, &md), AIS_OK);
	assert_string_equal(md.version, "2"); /* bumped, as a PUT over it */

	assert_int_equal(
	    create(f, "m.tar", AIS_SHARD_TAR, &props, &res, errbuf), AIS_OK);
	obj_path(f, "m.tar", path, sizeof(path));
	file_cksum(path, AIS_CKSUM_MD5, hex, &fsize);
	assert_int_equal(ais_lom_load(path, &md), AIS_OK);
	assert_int_equal(md.cksum_type, AIS_CKSUM_MD5);
	assert_string_equal(md.cksum_value, hex);
	assert_string_equal(md.version, "");
	assert_int_equal(md.lid, 0x1234);
	assert_int_equal(md.size, (int64_t) fsize);
	assert_int_equal(res.cksum_type, AIS_CKSUM_MD5);
}

static void
test_abort_midway(void **state)
{
	fx *f = *state;
	char path[PATH_MAX];
	char errbuf[DSORT_CREATE_ERRLEN] = "";
	dsort_create_result res;

	f->abort_at = 10; /* record 10 has a 200 KB file: many chunks */
	assert_int_equal(create(f, "a.tar", AIS_SHARD_TAR, NULL, &res, errbuf),
	    AIS_ESTOPPED);
	assert_non_null(strstr(errbuf, "a.tar"));
	obj_path(f, "a.tar", path, sizeof(path));
	assert_false(exists(path));
	assert_int_equal(work_files(f), 0);
	assert_int_equal(res.size, 0);

	/* already aborted before the first record */
	f->abort_at = -1;
	assert_int_equal(create(f, "a.tgz", AIS_SHARD_TGZ, NULL, NULL, errbuf),
	    AIS_ESTOPPED);
	assert_int_equal(work_files(f), 0);

	/* an aborted re-create leaves the existing object as it was */
	atomic_store(&f->abort, false);
	assert_int_equal(
	    create(f, "a.tar", AIS_SHARD_TAR, NULL, &res, errbuf), AIS_OK);
	f->abort_at = 20;
	assert_int_equal(create(f, "a.tar", AIS_SHARD_TAR, NULL, NULL, errbuf),
	    AIS_ESTOPPED);
	f->abort_at = -1;
	read_back(f, path, AIS_SHARD_TAR);
	assert_int_equal(work_files(f), 0);
}

static void
check_failed(fx *f, const char *obj, ais_err want, const char *rec_name,
    const char *want_text)
{
	char path[PATH_MAX];
	char errbuf[DSORT_CREATE_ERRLEN] = "";

	assert_int_equal(
	    create(f, obj, AIS_SHARD_TAR, NULL, NULL, errbuf), want);
	if (strstr(errbuf, rec_name) == NULL || strstr(errbuf, obj) == NULL
	    || strstr(errbuf, want_text) == NULL) {
		fail_msg("unexpected message: %s", errbuf);
	}
	obj_path(f, obj, path, sizeof(path));
	assert_false(exists(path));
	assert_int_equal(work_files(f), 0);
}

static void
test_short_and_bad_fetch(void **state)
{
	fx *f = *state;

	f->short_at = 7;
	check_failed(f, "short.tar", AIS_EIO, f->recs[7].name, "announced");
	f->short_at = -1;

	f->unended_at = 9;
	check_failed(f, "unended.tar", AIS_EIO, f->recs[9].name, "announced");
	f->unended_at = -1;

	f->long_at = 11;
	check_failed(f, "long.tar", AIS_EIO, f->recs[11].name, "more than");
	f->long_at = -1;

	f->fail_at = 13;
	check_failed(f, "fail.tar", AIS_EIO, f->recs[13].name, "fetch");
	f->fail_at = -1;

	/* the record's size from the plan disagrees with its files */
	f->crecs[4].size += 1;
	check_failed(f, "size.tar", AIS_EIO, f->recs[4].name, "add up");
	f->crecs[4].size -= 1;
}

static void
test_remove_and_names(void **state)
{
	fx *f = *state;
	char path[PATH_MAX];
	char errbuf[DSORT_CREATE_ERRLEN] = "";

	assert_int_equal(
	    create(f, "r/x.zip", AIS_SHARD_ZIP, NULL, NULL, errbuf), AIS_OK);
	obj_path(f, "r/x.zip", path, sizeof(path));
	assert_true(exists(path));
	assert_int_equal(
	    dsort_create_remove(f->mpath, &f->bck, "r/x.zip"), AIS_OK);
	assert_false(exists(path));
	assert_int_equal(dsort_create_remove(f->mpath, &f->bck, "r/x.zip"),
	    AIS_OK); /* retried cleanup */
	assert_int_equal(
	    dsort_create_remove(f->mpath, &f->bck, "../x"), AIS_EINVAL);

	assert_int_equal(
	    create(f, "a/../b.tar", AIS_SHARD_TAR, NULL, NULL, errbuf),
	    AIS_EINVAL);
	assert_non_null(strstr(errbuf, "a/../b.tar"));
	assert_int_equal(work_files(f), 0);
}

/* Creates one shard with checksum type t and the Fsync-PUT flag per
 * sync, from all records or (small) only records 1 and 2, which are small
 * enough to sit in the writer's buffer until the trailer; checks the
 * checksum against the file's bytes and the fsync count. */
static void
cksum_case(
    fx *f, int k, ais_cksum_type t, ais_shard_fmt fmt, bool small, bool sync)
{
	ais_bprops props = { .cksum = t,
		.versioning = true,
		.features = sync ? AIS_FEAT_FSYNC_PUT : 0 };
	dsort_create_dst dst
	    = { .mpath = f->mpath, .bck = &f->bck, .props = &props };
	const dsort_create_rec *recs = small ? &f->crecs[1] : f->crecs;
	size_t n = small ? 2 : NREC;
	char obj[64], path[PATH_MAX];
	char errbuf[DSORT_CREATE_ERRLEN] = "";
	char hex[AIS_CKSUM_HEX_MAX];
	dsort_create_result res;
	ais_lom_md md;
	uint64_t fsize;
	int before = fsync_calls;

	snprintf(obj, sizeof(obj), "ck/%d%s", k, ais_shard_fmt_ext(fmt));
	if (dsort_create_shard(obj, fmt, recs, n, fetch_mem, f, &dst,
	        &f->abort, &res, errbuf, sizeof(errbuf))
	    != AIS_OK) {
		fail_msg("%s", errbuf);
	}
	assert_int_equal(fsync_calls - before, sync ? 1 : 0);
	obj_path(f, obj, path, sizeof(path));
	file_cksum(path, t, hex, &fsize);
	assert_int_equal(res.size, fsize);
	assert_int_equal(res.cksum_type, t);
	assert_string_equal(res.cksum, hex);
	assert_int_equal(ais_lom_load(path, &md), AIS_OK);
	assert_int_equal(md.size, (int64_t) fsize);
	assert_int_equal(md.cksum_type, t);
	assert_string_equal(md.cksum_value, hex);
	if (small && fmt == AIS_SHARD_TAR) {
		assert_true(fsize < 256 * 1024); /* all written at close */
	}
}

/* The tap-fed checksum equals the checksum of the file's bytes for every
 * type and format, for shards mostly written before close and for shards
 * written only at close; fsync runs only with AIS_FEAT_FSYNC_PUT, never
 * with props NULL (AIS defaults). */
static void
test_cksum_and_fsync(void **state)
{
	static const ais_cksum_type types[]
	    = { AIS_CKSUM_XXHASH2, AIS_CKSUM_XXHASH, AIS_CKSUM_MD5,
		      AIS_CKSUM_CRC32C, AIS_CKSUM_SHA256, AIS_CKSUM_SHA512 };
	static const ais_shard_fmt fmts[]
	    = { AIS_SHARD_TAR, AIS_SHARD_TGZ, AIS_SHARD_ZIP, AIS_SHARD_TLZ4 };
	fx *f = *state;
	char errbuf[DSORT_CREATE_ERRLEN] = "";
	int k = 0;
	int before;

	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
			if (!ais_shard_fmt_supported(fmts[i])) {
				continue;
			}
			/* each size both with and without the flag */
			for (int small = 0; small < 2; small++, k++) {
				cksum_case(f, k, types[t], fmts[i], small != 0,
				    (k / 2 + small) % 2 != 0);
			}
		}
	}
	before = fsync_calls;
	assert_int_equal(
	    create(f, "nofs.tar", AIS_SHARD_TAR, NULL, NULL, errbuf), AIS_OK);
	assert_int_equal(fsync_calls, before);
	assert_int_equal(work_files(f), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_formats_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_version_and_props, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_abort_midway, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_short_and_bad_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_remove_and_names, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_cksum_and_fsync, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
