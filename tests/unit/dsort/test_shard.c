/*
 * Unit tests for dsort/shard: record keys, round trips in every supported
 * format (0-byte to >1 MiB files, byte-identical, records grouped right),
 * tar data offsets, exact tar sizes, reproducible output, long names,
 * duplicate keys, truncated and garbage shards (errors name the shard),
 * GNU tar / unzip interop both ways, bounded streaming (sink chunk
 * sizes; writers fed in pieces and from file ranges), and the writer's
 * output path: the tap sees every byte of the file in order, coalesced
 * output is byte-identical to libarchive's own blocked and unblocked
 * output, and write errors surface even when the data was buffered.
 *
 * File contents come from a generator (gen_fill), so neither writing nor
 * checking ever needs a whole file in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "dsort/shard.h"

#define ARRLEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIB       (1024 * 1024)
#define CHUNK_MAX (512 * 1024) /* bound on sink chunks we accept */

/* lz4 frames from the lz4 CLI use 4 MiB blocks, which a reader must hold
 * whole; our writer uses 256 KiB blocks */
static size_t chunk_bound = CHUNK_MAX;

static const ais_shard_fmt all_fmts[]
    = { AIS_SHARD_TAR, AIS_SHARD_TGZ, AIS_SHARD_ZIP, AIS_SHARD_TLZ4 };

typedef struct tfile {
	char name[512];
	uint64_t size;
	uint32_t seed;
} tfile;

typedef struct fixture {
	char dir[64];
	tfile files[256];
	size_t nfiles;
} fixture;

/* ---- helpers ---------------------------------------------------------- */

static void
gen_fill(uint32_t seed, uint64_t off, unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t x = (off + i) * 0x9E3779B97F4A7C15ULL + seed;

		x ^= x >> 29;
		buf[i] = (unsigned char) (x * 0xBF58476D1CE4E5B9ULL >> 56);
	}
}

static bool
have_cmd(const char *cmd)
{
	char line[256];

	snprintf(line, sizeof(line), "command -v %s >/dev/null 2>&1", cmd);
	return system(line) == 0;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static uint64_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t) st.st_size;
}

static void
path_in(const fixture *fx, char *out, size_t cap, const char *base)
{
	int n = snprintf(out, cap, "%s/%s", fx->dir, base);

	assert_true(n > 0 && (size_t) n < cap);
}

static void
add_file(fixture *fx, const char *name, uint64_t size)
{
	tfile *t;

	assert_true(fx->nfiles < ARRLEN(fx->files));
	t = &fx->files[fx->nfiles];
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->size = size;
	t->seed = (uint32_t) (fx->nfiles * 7919 + 13);
	fx->nfiles++;
}

/* The standard data set: 9 records of 1-3 files, sizes around the tar
 * block boundaries, a 0-byte file and files over 1 MiB. */
static void
make_dataset(fixture *fx)
{
	static const uint64_t jpg[]
	    = { 0, 1, 511, 512, 513, 10000, MIB + 7, 3 * MIB + 1, 777 };
	char nm[64];

	fx->nfiles = 0;
	for (size_t i = 0; i < ARRLEN(jpg); i++) {
		snprintf(nm, sizeof(nm), "dir/sample%04zu.jpg", i);
		add_file(fx, nm, jpg[i]);
		snprintf(nm, sizeof(nm), "dir/sample%04zu.cls", i);
		add_file(fx, nm, 1 + i);
		if (i % 3 == 0) {
			snprintf(
			    nm, sizeof(nm), "dir/sample%04zu.meta.json", i);
			add_file(fx, nm, i == 0 ? 0 : 100 * i);
		}
	}
}

/* Writes fx->files as a shard; big files go in 64 KiB pieces, small ones
 * from memory, so both writer paths run. Returns the writer's byte count. */
static uint64_t
write_shard(const fixture *fx, const char *path, ais_shard_fmt fmt)
{
	ais_shard_writer *w = NULL;
	unsigned char *buf = malloc(64 * 1024);
	uint64_t bytes = 0;

	assert_non_null(buf);
	assert_int_equal(ais_shard_writer_open_path(&w, path, fmt), AIS_OK);
	for (size_t i = 0; i < fx->nfiles; i++) {
		const tfile *t = &fx->files[i];

		if (t->size <= 64 * 1024) {
			gen_fill(t->seed, 0, buf, (size_t) t->size);
			assert_int_equal(ais_shard_writer_add_mem(w, t->name,
			                     0, buf, (size_t) t->size),
			    AIS_OK);
			continue;
		}
		assert_int_equal(
		    ais_shard_writer_begin(w, t->name, t->size, 0), AIS_OK);
		for (uint64_t off = 0; off < t->size;) {
			size_t n = t->size - off < 64 * 1024
			    ? (size_t) (t->size - off)
			    : 64 * 1024;

			gen_fill(t->seed, off, buf, n);
			assert_int_equal(
			    ais_shard_writer_write(w, buf, n), AIS_OK);
			off += n;
		}
		assert_int_equal(ais_shard_writer_end(w), AIS_OK);
	}
	assert_int_equal(ais_shard_writer_close(w, &bytes), AIS_OK);
	ais_shard_writer_free(w);
	free(buf);
	return bytes;
}

/* Sink that checks every byte against the generator as it streams by. */
typedef struct check {
	const fixture *fx;
	size_t next;  /* index of the file expected next */
	uint64_t off; /* bytes seen of the current file */
	size_t max_chunk;
	size_t ended; /* files whose end mark arrived */
	unsigned char tmp[64 * 1024];
} check;

static ais_err
check_sink(void *arg, const ais_shard_file *f, const void *buf, size_t len)
{
	check *c = arg;
	const tfile *t;
	const unsigned char *p = buf;

	assert_true(c->next < c->fx->nfiles);
	t = &c->fx->files[c->next];
	assert_string_equal(f->name, t->name);
	assert_int_equal(f->index, c->next);
	if (buf == NULL) {
		assert_int_equal(len, 0);
		assert_int_equal(c->off, t->size);
		c->ended++;
		c->next++;
		c->off = 0;
		return AIS_OK;
	}
	assert_true(len > 0);
	if (len > c->max_chunk) {
		c->max_chunk = len;
	}
	assert_true(c->off + len <= t->size);
	while (len > 0) {
		size_t n = len < sizeof(c->tmp) ? len : sizeof(c->tmp);

		gen_fill(t->seed, c->off, c->tmp, n);
		assert_memory_equal(p, c->tmp, n);
		p += n;
		len -= n;
		c->off += n;
	}
	return AIS_OK;
}

/* Reads a shard with the checking sink and verifies the grouping. */
static void
read_and_check(const fixture *fx, const char *path, ais_shard_fmt fmt)
{
	ais_shard_reader *r = NULL;
	const ais_shard_record *rec;
	check *c = calloc(1, sizeof(*c));
	size_t fi = 0;
	uint64_t nrec = 0;

	assert_non_null(c);
	c->fx = fx;
	assert_int_equal(ais_shard_reader_open_path(&r, path, fmt), AIS_OK);
	for (;;) {
		ais_err rc = ais_shard_reader_next(r, check_sink, c, &rec);

		if (rc != AIS_OK) {
			fail_msg("%s", ais_shard_reader_error(r));
		}
		if (rec == NULL) {
			break;
		}
		assert_int_equal(rec->index, nrec);
		assert_false(rec->dup);
		assert_true(rec->nfiles >= 1);
		uint64_t sum = 0;
		for (size_t k = 0; k < rec->nfiles; k++, fi++) {
			const tfile *t = &fx->files[fi];
			size_t kl
			    = ais_shard_record_key(t->name, strlen(t->name));

			assert_string_equal(rec->files[k].name, t->name);
			assert_int_equal(rec->files[k].size, t->size);
			assert_int_equal(rec->files[k].rec_index, nrec);
			assert_int_equal(rec->key_len, kl);
			assert_memory_equal(rec->key, t->name, kl);
			sum += t->size;
		}
		assert_int_equal(rec->size, sum);
		/* the record ends where the key changes */
		if (fi < fx->nfiles) {
			const char *nx = fx->files[fi].name;

			assert_false(ais_shard_record_key(nx, strlen(nx))
			        == rec->key_len
			    && memcmp(nx, rec->key, rec->key_len) == 0);
		}
		nrec++;
	}
	assert_int_equal(fi, fx->nfiles);
	assert_int_equal(c->ended, fx->nfiles);
	assert_true(c->max_chunk <= chunk_bound);
	/* past the end stays at the end */
	assert_int_equal(
	    ais_shard_reader_next(r, check_sink, c, &rec), AIS_OK);
	assert_null(rec);
	ais_shard_reader_free(r);
	free(c);
}

/* Reads a tar without a sink and checks each file's data at its offset. */
static void
check_tar_offsets(const fixture *fx, const char *path)
{
	ais_shard_reader *r = NULL;
	const ais_shard_record *rec;
	unsigned char *got = malloc(64 * 1024), *exp = malloc(64 * 1024);
	int fd = open(path, O_RDONLY);
	size_t fi = 0;

	assert_true(fd >= 0 && got != NULL && exp != NULL);
	assert_int_equal(
	    ais_shard_reader_open_fd(&r, fd, "offsets.tar", AIS_SHARD_TAR),
	    AIS_OK);
	while (ais_shard_reader_next(r, NULL, NULL, &rec) == AIS_OK
	    && rec != NULL) {
		for (size_t k = 0; k < rec->nfiles; k++, fi++) {
			const ais_shard_file *f = &rec->files[k];
			const tfile *t = &fx->files[fi];

			assert_int_not_equal(f->offset, AIS_SHARD_NOOFF);
			assert_int_equal(f->offset % 512, 0);
			for (uint64_t off = 0; off < t->size;) {
				size_t n = t->size - off < 64 * 1024
				    ? (size_t) (t->size - off)
				    : 64 * 1024;

				assert_int_equal(
				    pread(
				        fd, got, n, (off_t) (f->offset + off)),
				    (ssize_t) n);
				gen_fill(t->seed, off, exp, n);
				assert_memory_equal(got, exp, n);
				off += n;
			}
		}
	}
	assert_string_equal(ais_shard_reader_error(r), "");
	assert_int_equal(fi, fx->nfiles);
	ais_shard_reader_free(r);
	close(fd);
	free(got);
	free(exp);
}

/* Reads the whole shard without a sink; returns the first error (AIS_OK if
 * none) and copies the message. */
static ais_err
read_all(const char *path, ais_shard_fmt fmt, char *msg, size_t cap)
{
	ais_shard_reader *r = NULL;
	const ais_shard_record *rec;
	ais_err rc = ais_shard_reader_open_path(&r, path, fmt);

	if (rc != AIS_OK) {
		snprintf(msg, cap, "open failed");
		return rc;
	}
	do {
		rc = ais_shard_reader_next(r, NULL, NULL, &rec);
	} while (rc == AIS_OK && rec != NULL);
	snprintf(msg, cap, "%s", ais_shard_reader_error(r));
	ais_shard_reader_free(r);
	return rc;
}

static ais_err
drain_sink(void *arg, const ais_shard_file *f, const void *buf, size_t len)
{
	(void) arg;
	(void) f;
	(void) buf;
	(void) len;
	return AIS_OK;
}

/* Like read_all but pulling the data through a sink (decompression). */
static ais_err
read_all_data(const char *path, ais_shard_fmt fmt, char *msg, size_t cap)
{
	ais_shard_reader *r = NULL;
	const ais_shard_record *rec;
	ais_err rc = ais_shard_reader_open_path(&r, path, fmt);

	if (rc != AIS_OK) {
		snprintf(msg, cap, "open failed");
		return rc;
	}
	do {
		rc = ais_shard_reader_next(r, drain_sink, NULL, &rec);
	} while (rc == AIS_OK && rec != NULL);
	snprintf(msg, cap, "%s", ais_shard_reader_error(r));
	ais_shard_reader_free(r);
	return rc;
}

static void
copy_prefix(const char *src, const char *dst, uint64_t n)
{
	assert_int_equal(
	    run("head -c %llu '%s' > '%s'", (unsigned long long) n, src, dst),
	    0);
	assert_int_equal(file_size(dst), n);
}

static bool
files_equal(const char *a, const char *b)
{
	return run("cmp -s '%s' '%s'", a, b) == 0;
}

/* Writes the generator's content of t to path (for CLI comparisons). */
static void
write_plain(const tfile *t, const char *path)
{
	FILE *fp = fopen(path, "wb");
	unsigned char buf[8192];

	assert_non_null(fp);
	for (uint64_t off = 0; off < t->size;) {
		size_t n = t->size - off < sizeof(buf)
		    ? (size_t) (t->size - off)
		    : sizeof(buf);

		gen_fill(t->seed, off, buf, n);
		assert_int_equal(fwrite(buf, 1, n, fp), n);
		off += n;
	}
	assert_int_equal(fclose(fp), 0);
}

/* ---- fixture ---------------------------------------------------------- */

static int
setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL) {
		return -1;
	}
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ais-shard-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	fixture *fx = *state;

	run("rm -rf '%s'", fx->dir);
	free(fx);
	return 0;
}

/* ---- tests ------------------------------------------------------------ */

static void
test_record_key(void **state)
{
	static const struct {
		const char *name, *key;
	} cases[] = {
		{ "sample0001.jpg", "sample0001" },
		{ "a/b/sample0001.cls", "a/b/sample0001" },
		{ "x.v1/s01.seg.png", "x.v1/s01" },
		{ "README", "README" },
		{ "dir/noext", "dir/noext" },
		{ ".hidden", ".hidden" },
		{ "dir/.cfg.x", "dir/.cfg" },
		{ "..x.y", "..x" },
		{ "a.", "a" },
		{ "d.d/", "d.d/" },
		{ "", "" },
	};

	(void) state;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		size_t n = strlen(cases[i].name);
		size_t k = ais_shard_record_key(cases[i].name, n);

		assert_int_equal(k, strlen(cases[i].key));
		assert_memory_equal(cases[i].name, cases[i].key, k);
	}
}

static void
test_fmt(void **state)
{
	ais_shard_fmt f;

	(void) state;
	assert_int_equal(ais_shard_fmt_parse(".tar", &f), AIS_OK);
	assert_int_equal(f, AIS_SHARD_TAR);
	assert_int_equal(ais_shard_fmt_parse(".tar.gz", &f), AIS_OK);
	assert_int_equal(f, AIS_SHARD_TGZ);
	assert_int_equal(ais_shard_fmt_parse(".tgz", &f), AIS_OK);
	assert_int_equal(f, AIS_SHARD_TGZ);
	assert_int_equal(ais_shard_fmt_parse(".zip", &f), AIS_OK);
	assert_int_equal(f, AIS_SHARD_ZIP);
	assert_int_equal(ais_shard_fmt_parse(".tar.lz4", &f), AIS_OK);
	assert_int_equal(f, AIS_SHARD_TLZ4);
	assert_int_equal(ais_shard_fmt_parse(".rar", &f), AIS_EINVAL);
	assert_int_equal(ais_shard_fmt_parse("tar", &f), AIS_EINVAL);
	assert_int_equal(ais_shard_fmt_parse(NULL, &f), AIS_EINVAL);
	assert_string_equal(ais_shard_fmt_ext(AIS_SHARD_TLZ4), ".tar.lz4");
	assert_true(ais_shard_fmt_supported(AIS_SHARD_TAR));
	assert_true(ais_shard_fmt_supported(AIS_SHARD_TGZ));
	assert_true(ais_shard_fmt_supported(AIS_SHARD_ZIP));
	assert_false(ais_shard_fmt_supported(AIS_SHARD_FMT__COUNT));
	print_message("tar.lz4 support in this libarchive: %s\n",
	    ais_shard_fmt_supported(AIS_SHARD_TLZ4) ? "yes" : "no");
}

static void
test_roundtrip(void **state)
{
	fixture *fx = *state;
	char path[256];

	make_dataset(fx);
	for (size_t i = 0; i < ARRLEN(all_fmts); i++) {
		ais_shard_fmt fmt = all_fmts[i];
		uint64_t bytes;

		if (!ais_shard_fmt_supported(fmt)) {
			print_message("skip %s: not in this libarchive\n",
			    ais_shard_fmt_ext(fmt));
			continue;
		}
		snprintf(path, sizeof(path), "%s/rt%s", fx->dir,
		    ais_shard_fmt_ext(fmt));
		bytes = write_shard(fx, path, fmt);
		assert_int_equal(bytes, file_size(path));
		read_and_check(fx, path, fmt);
		if (fmt == AIS_SHARD_TAR) {
			uint64_t est = AIS_SHARD_TAR_TRAILER;

			check_tar_offsets(fx, path);
			for (size_t k = 0; k < fx->nfiles; k++) {
				est += ais_shard_tar_file_size(
				    fx->files[k].name, fx->files[k].size, 0);
				assert_int_equal(ais_shard_file_size_estimate(
				                     fmt, fx->files[k].name,
				                     fx->files[k].size, 0),
				    ais_shard_tar_file_size(fx->files[k].name,
				        fx->files[k].size, 0));
			}
			assert_int_equal(est, bytes);
		} else {
			assert_int_equal(ais_shard_file_size_estimate(
			                     fmt, "a.jpg", 12345, 0),
			    12345);
		}
	}
}

/* A shard with no files at all is valid and yields no records. */
static void
test_empty_shard(void **state)
{
	fixture *fx = *state;
	char path[256], msg[AIS_SHARD_ERRLEN];

	fx->nfiles = 0;
	for (size_t i = 0; i < ARRLEN(all_fmts); i++) {
		if (!ais_shard_fmt_supported(all_fmts[i])) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/empty%s", fx->dir,
		    ais_shard_fmt_ext(all_fmts[i]));
		write_shard(fx, path, all_fmts[i]);
		assert_int_equal(
		    read_all(path, all_fmts[i], msg, sizeof(msg)), AIS_OK);
	}
}

static void
test_reproducible(void **state)
{
	fixture *fx = *state;
	char a[256], b[256];

	make_dataset(fx);
	for (size_t i = 0; i < ARRLEN(all_fmts); i++) {
		ais_shard_fmt fmt = all_fmts[i];

		if (!ais_shard_fmt_supported(fmt)) {
			continue;
		}
		snprintf(
		    a, sizeof(a), "%s/a%s", fx->dir, ais_shard_fmt_ext(fmt));
		snprintf(
		    b, sizeof(b), "%s/b%s", fx->dir, ais_shard_fmt_ext(fmt));
		write_shard(fx, a, fmt);
		write_shard(fx, b, fmt);
		assert_true(files_equal(a, b));
		if (fmt == AIS_SHARD_TGZ) {
			/* the gzip MTIME field (bytes 4..7) must be 0, or
			 * runs a second apart would differ */
			unsigned char hdr[10];
			FILE *fp = fopen(a, "rb");

			assert_non_null(fp);
			assert_int_equal(fread(hdr, 1, sizeof(hdr), fp), 10);
			fclose(fp);
			assert_int_equal(hdr[0], 0x1f);
			assert_int_equal(hdr[1], 0x8b);
			assert_int_equal(hdr[4] | hdr[5] | hdr[6] | hdr[7], 0);
		}
	}
}

/* Names over ustar's 100 bytes (with and without '/'), a name that splits
 * into ustar prefix+name, and UTF-8: readable back, listed in full by GNU
 * tar, and the tar size arithmetic stays exact. */
static void
test_long_names(void **state)
{
	fixture *fx = *state;
	char nm[400], path[256];
	uint64_t est = AIS_SHARD_TAR_TRAILER, bytes;

	fx->nfiles = 0;
	memset(nm, 'n', 150);
	memcpy(nm + 150, ".jpg", 5);
	add_file(fx, nm, 1000); /* 154 bytes, no '/' */
	memcpy(nm + 150, ".cls", 5);
	add_file(fx, nm, 3);
	snprintf(nm, sizeof(nm), "%s/%s.bin",
	    "prefix-directory-that-is-fairly-long-but-under-155-bytes",
	    "name-that-fits-in-100");
	add_file(fx, nm, 600);
	memset(nm, 'd', 120);
	nm[120] = '/';
	memset(nm + 121, 'e', 120);
	nm[241] = '/';
	memset(nm + 242, 'f', 110);
	memcpy(nm + 352, ".jpg", 5);
	add_file(fx, nm, 513); /* 356 bytes, deep */
	add_file(fx, "\xc3\xbcnicode/\xe6\x97\xa5\xe6\x9c\xac.txt", 42);
	memset(nm, 'x', 100);
	memcpy(nm + 100 - 4, ".jpg", 5);
	add_file(fx, nm, 512); /* exactly 100 */

	for (size_t i = 0; i < ARRLEN(all_fmts); i++) {
		ais_shard_fmt fmt = all_fmts[i];

		if (!ais_shard_fmt_supported(fmt)) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/long%s", fx->dir,
		    ais_shard_fmt_ext(fmt));
		bytes = write_shard(fx, path, fmt);
		read_and_check(fx, path, fmt);
		if (fmt != AIS_SHARD_TAR) {
			continue;
		}
		check_tar_offsets(fx, path);
		for (size_t k = 0; k < fx->nfiles; k++) {
			est += ais_shard_tar_file_size(
			    fx->files[k].name, fx->files[k].size, 0);
		}
		assert_int_equal(est, bytes);
		if (have_cmd("tar")) {
			char list[256];

			path_in(fx, list, sizeof(list), "long.list");
			assert_int_equal(
			    run("tar -tf '%s' > '%s' 2>/dev/null", path, list),
			    0);
			for (size_t k = 0; k < fx->nfiles; k++) {
				assert_int_equal(run("grep -qxF '%s' '%s'",
				                     fx->files[k].name, list),
				    0);
			}
		}
	}
	/* large sizes and odd mtimes take the measured path; they must at
	 * least be block multiples covering header and data */
	uint64_t big = 9ULL * 1024 * 1024 * 1024;
	uint64_t s = ais_shard_tar_file_size("big.bin", big, 0);

	assert_true(s >= big + 1024 && s % 512 == 0);
	s = ais_shard_tar_file_size("neg.bin", 1, -5);
	assert_true(s >= 1024 && s % 512 == 0);
}

/* A key that returns after another record is a separate record, flagged. */
static void
test_dup_records(void **state)
{
	fixture *fx = *state;
	static const char *names[]
	    = { "a.jpg", "a.cls", "b.jpg", "a.txt", "b.cls", "c.jpg" };
	static const size_t nfiles[] = { 2, 1, 1, 1, 1 };
	static const bool dup[] = { false, false, true, true, false };
	char path[256];
	ais_shard_reader *r = NULL;
	const ais_shard_record *rec;
	size_t n = 0;

	fx->nfiles = 0;
	for (size_t i = 0; i < ARRLEN(names); i++) {
		add_file(fx, names[i], 10 + i);
	}
	path_in(fx, path, sizeof(path), "dup.tar");
	write_shard(fx, path, AIS_SHARD_TAR);
	assert_int_equal(
	    ais_shard_reader_open_path(&r, path, AIS_SHARD_TAR), AIS_OK);
	while (ais_shard_reader_next(r, NULL, NULL, &rec) == AIS_OK
	    && rec != NULL) {
		assert_true(n < ARRLEN(nfiles));
		assert_int_equal(rec->nfiles, nfiles[n]);
		assert_int_equal(rec->dup, dup[n]);
		n++;
	}
	assert_int_equal(n, ARRLEN(nfiles));
	ais_shard_reader_free(r);
}

/* Truncated shards fail, never hang, and the message names the shard. */
static void
test_truncated(void **state)
{
	fixture *fx = *state;
	char full[256], cut[256], msg[AIS_SHARD_ERRLEN];

	make_dataset(fx);
	for (size_t i = 0; i < ARRLEN(all_fmts); i++) {
		ais_shard_fmt fmt = all_fmts[i];
		uint64_t size, cuts[8];
		size_t nc = 0;

		if (!ais_shard_fmt_supported(fmt)) {
			continue;
		}
		snprintf(full, sizeof(full), "%s/full%s", fx->dir,
		    ais_shard_fmt_ext(fmt));
		snprintf(cut, sizeof(cut), "%s/cut%s", fx->dir,
		    ais_shard_fmt_ext(fmt));
		size = write_shard(fx, full, fmt);
		cuts[nc++] = size / 2; /* inside the big file */
		cuts[nc++] = size / 5;
		cuts[nc++] = 700; /* inside the first headers */
		cuts[nc++] = 100;
		cuts[nc++] = 0; /* empty file */
		if (fmt == AIS_SHARD_TAR) {
			/* exactly at an entry boundary, trailer gone */
			cuts[nc++] = size - AIS_SHARD_TAR_TRAILER;
			cuts[nc++] = 512 + 512; /* after the 1st data block */
		} else {
			cuts[nc++] = size - 10; /* in the trailer/directory */
		}
		for (size_t k = 0; k < nc; k++) {
			ais_err rc;

			copy_prefix(full, cut, cuts[k]);
			rc = read_all_data(cut, fmt, msg, sizeof(msg));
			if (rc == AIS_OK) {
				fail_msg("%s cut at %llu of %llu: no error",
				    ais_shard_fmt_ext(fmt),
				    (unsigned long long) cuts[k],
				    (unsigned long long) size);
			}
			assert_int_equal(rc, AIS_EPROTO);
			assert_non_null(strstr(msg, cut));
			/* the sink-less path must fail as well */
			rc = read_all(cut, fmt, msg, sizeof(msg));
			assert_int_equal(rc, AIS_EPROTO);
			assert_non_null(strstr(msg, cut));
		}
		/* mid-shard failures also name the entry */
		copy_prefix(full, cut, size / 2);
		read_all_data(cut, fmt, msg, sizeof(msg));
		/* (a zip read by its central directory fails before any) */
		assert_non_null(strstr(msg,
		    fmt == AIS_SHARD_ZIP ? "central directory" : "entry #"));
		print_message(
		    "%s truncated: %s\n", ais_shard_fmt_ext(fmt), msg);
	}
}

static void
test_garbage(void **state)
{
	fixture *fx = *state;
	char path[256], msg[AIS_SHARD_ERRLEN];
	unsigned char *junk = malloc(200000);
	FILE *fp;

	assert_non_null(junk);
	gen_fill(4242, 0, junk, 200000);
	for (size_t i = 0; i < ARRLEN(all_fmts); i++) {
		ais_shard_fmt fmt = all_fmts[i];

		if (!ais_shard_fmt_supported(fmt)) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/garbage%s", fx->dir,
		    ais_shard_fmt_ext(fmt));
		fp = fopen(path, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(junk, 1, 200000, fp), 200000);
		fclose(fp);
		assert_int_equal(
		    read_all(path, fmt, msg, sizeof(msg)), AIS_EPROTO);
		assert_non_null(strstr(msg, path));
		/* a text file */
		assert_int_equal(
		    run("echo 'not an archive at all' > '%s'", path), 0);
		assert_int_equal(
		    read_all_data(path, fmt, msg, sizeof(msg)), AIS_EPROTO);
		assert_non_null(strstr(msg, path));
	}
	/* a zip named .tar is not a tar */
	fx->nfiles = 0;
	add_file(fx, "x.jpg", 10);
	path_in(fx, path, sizeof(path), "really-zip.tar");
	write_shard(fx, path, AIS_SHARD_ZIP);
	assert_int_equal(
	    read_all(path, AIS_SHARD_TAR, msg, sizeof(msg)), AIS_EPROTO);
	assert_non_null(strstr(msg, "really-zip.tar"));
	/* a missing file */
	ais_shard_reader *r = (ais_shard_reader *) 1;
	path_in(fx, path, sizeof(path), "nope.tar");
	assert_int_equal(
	    ais_shard_reader_open_path(&r, path, AIS_SHARD_TAR), AIS_ENOENT);
	assert_null(r);
	free(junk);
}

/* GNU tar builds shards (gnu and pax long-name styles, gzip, with a dir
 * and a symlink to skip); our reader gets names, data and offsets right. */
static void
test_gnu_tar_reads(void **state)
{
	fixture *fx = *state;
	char src[256], shard[256], p[700];
	static const char *styles[] = { "gnu", "pax", "ustar" };

	/* scripts/install-deps.sh installs GNU tar: its absence is a failure
	 */
	assert_true(have_cmd("tar"));
	fx->nfiles = 0;
	add_file(fx, "data/s0.cls", 5);
	add_file(fx, "data/s0.jpg", MIB + 100);
	add_file(fx, "data/s1.cls", 0);
	add_file(fx, "data/s1.jpg", 1024);
	char longname[300] = "data/";

	memset(longname + 5, 'L', 140);
	memcpy(
	    longname + 145, ".jpg", 5); /* 149 bytes, 144 in the last part */
	add_file(fx, longname, 3000);
	path_in(fx, src, sizeof(src), "src");
	assert_int_equal(run("mkdir -p '%s/data/sub'", src), 0);
	for (size_t i = 0; i < fx->nfiles; i++) {
		snprintf(p, sizeof(p), "%s/%s", src, fx->files[i].name);
		write_plain(&fx->files[i], p);
	}
	assert_int_equal(run("ln -s s0.jpg '%s/data/zz-link.jpg'", src), 0);

	for (size_t s = 0; s < ARRLEN(styles); s++) {
		bool ustar = strcmp(styles[s], "ustar") == 0;
		/* ustar cannot hold the 145-byte last component */
		size_t n = ustar ? fx->nfiles - 1 : fx->nfiles;
		const char *names = ustar
		    ? "data/sub data/s0.cls data/s0.jpg data/s1.cls "
		      "data/s1.jpg data/zz-link.jpg"
		    : "data/sub data/s0.cls data/s0.jpg data/s1.cls "
		      "data/s1.jpg data/L* data/zz-link.jpg";
		size_t saved = fx->nfiles;

		snprintf(
		    shard, sizeof(shard), "%s/gnu-%s.tar", fx->dir, styles[s]);
		assert_int_equal(run("cd '%s' && tar --format=%s -cf '%s' %s",
		                     src, styles[s], shard, names),
		    0);
		fx->nfiles = n;
		read_and_check(fx, shard, AIS_SHARD_TAR);
		check_tar_offsets(fx, shard);
		fx->nfiles = saved;
		if (s == 0) {
			snprintf(shard, sizeof(shard), "%s/gnu.tgz", fx->dir);
			assert_int_equal(run("cd '%s' && tar -czf '%s' %s",
			                     src, shard, names),
			    0);
			read_and_check(fx, shard, AIS_SHARD_TGZ);
			/* lz4, zip, unzip: scripts/install-deps.sh */
			assert_true(have_cmd("lz4") && have_cmd("zip"));
			if (ais_shard_fmt_supported(AIS_SHARD_TLZ4)) {
				snprintf(shard, sizeof(shard),
				    "%s/gnu.tar.lz4", fx->dir);
				assert_int_equal(
				    run("cd '%s' && tar -cf - %s | lz4 -q -z "
				        "- '%s'",
				        src, names, shard),
				    0);
				chunk_bound = 4 * MIB;
				read_and_check(fx, shard, AIS_SHARD_TLZ4);
				chunk_bound = CHUNK_MAX;
			}
			{
				snprintf(shard, sizeof(shard), "%s/cli.zip",
				    fx->dir);
				assert_int_equal(run("cd '%s' && zip -q -r "
				                     "'%s' %s",
				                     src, shard, names),
				    0);
				/* zip -r stores the symlink's target data
				 * as a file: drop it from the listing */
				assert_int_equal(
				    run("zip -q -d '%s' data/zz-link.jpg",
				        shard),
				    0);
				read_and_check(fx, shard, AIS_SHARD_ZIP);
			}
		}
	}
}

/* Our shards read by GNU tar / lz4 / unzip, byte-identical. */
static void
test_cli_reads_ours(void **state)
{
	fixture *fx = *state;
	char shard[256], out[256], exp[256], p[1024], q[1024];

	assert_true(
	    have_cmd("tar")); /* installed by scripts/install-deps.sh */
	make_dataset(fx);
	add_file(fx,
	    "long/"
	    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	    ".jpg",
	    4000);
	path_in(fx, exp, sizeof(exp), "expected");
	for (size_t i = 0; i < fx->nfiles; i++) {
		char *slash;

		snprintf(p, sizeof(p), "%s/%s", exp, fx->files[i].name);
		slash = strrchr(p, '/');
		*slash = '\0';
		assert_int_equal(run("mkdir -p '%s'", p), 0);
		*slash = '/';
		write_plain(&fx->files[i], p);
	}
	for (size_t i = 0; i < ARRLEN(all_fmts); i++) {
		ais_shard_fmt fmt = all_fmts[i];
		int xrc = -1;

		if (!ais_shard_fmt_supported(fmt)) {
			continue;
		}
		snprintf(shard, sizeof(shard), "%s/ours%s", fx->dir,
		    ais_shard_fmt_ext(fmt));
		snprintf(out, sizeof(out), "%s/x%d", fx->dir, (int) i);
		write_shard(fx, shard, fmt);
		assert_int_equal(run("mkdir -p '%s'", out), 0);
		switch (fmt) {
		case AIS_SHARD_TAR:
			xrc = run("tar -xf '%s' -C '%s'", shard, out);
			assert_int_equal(
			    run("tar -tvf '%s' >/dev/null", shard), 0);
			/* one file straight to stdout */
			snprintf(p, sizeof(p), "%s/one", fx->dir);
			assert_int_equal(run("tar -xOf '%s' '%s' > '%s'",
			                     shard, fx->files[12].name, p),
			    0);
			snprintf(
			    q, sizeof(q), "%s/%s", exp, fx->files[12].name);
			assert_true(files_equal(p, q));
			break;
		case AIS_SHARD_TGZ:
			xrc = run("tar -xzf '%s' -C '%s'", shard, out);
			break;
		case AIS_SHARD_TLZ4:
			assert_true(have_cmd("lz4")); /* install-deps.sh */
			xrc = run(
			    "lz4 -q -dc '%s' | tar -xf - -C '%s'", shard, out);
			break;
		case AIS_SHARD_ZIP:
			assert_true(have_cmd("unzip")); /* install-deps.sh */
			assert_int_equal(
			    run("unzip -l '%s' >/dev/null", shard), 0);
			snprintf(p, sizeof(p), "%s/one", fx->dir);
			assert_int_equal(run("unzip -p '%s' '%s' > '%s'",
			                     shard, fx->files[12].name, p),
			    0);
			snprintf(
			    q, sizeof(q), "%s/%s", exp, fx->files[12].name);
			assert_true(files_equal(p, q));
			xrc = run("unzip -q '%s' -d '%s'", shard, out);
			break;
		default:
			fail();
		}
		assert_int_equal(xrc, 0);
		assert_int_equal(run("diff -r '%s' '%s'", exp, out), 0);
	}
}

/* Reading from a pipe: sequential reads, offsets still counted. */
static void
test_pipe_input(void **state)
{
	fixture *fx = *state;
	char path[256], cmd[300];
	ais_shard_reader *r = NULL;
	const ais_shard_record *rec;
	check *c = calloc(1, sizeof(*c));
	FILE *pp;
	size_t nrec = 0;

	make_dataset(fx);
	c->fx = fx;
	path_in(fx, path, sizeof(path), "pipe.tar");
	write_shard(fx, path, AIS_SHARD_TAR);
	snprintf(cmd, sizeof(cmd), "cat '%s'", path);
	pp = popen(cmd, "r");
	assert_non_null(pp);
	assert_int_equal(ais_shard_reader_open_fd(
	                     &r, fileno(pp), "pipe.tar", AIS_SHARD_TAR),
	    AIS_OK);
	while (ais_shard_reader_next(r, check_sink, c, &rec) == AIS_OK
	    && rec != NULL) {
		nrec++;
	}
	assert_string_equal(ais_shard_reader_error(r), "");
	assert_int_equal(c->ended, fx->nfiles);
	assert_int_equal(nrec, 9);
	ais_shard_reader_free(r);
	pclose(pp);
	free(c);
}

/* Sink errors come back unchanged, with a message naming the file. */
static ais_err
failing_sink(void *arg, const ais_shard_file *f, const void *buf, size_t len)
{
	(void) buf;
	(void) len;
	(void) arg;
	return strstr(f->name, "sample0003") ? AIS_ENOSPC : AIS_OK;
}

static void
test_sink_error(void **state)
{
	fixture *fx = *state;
	char path[256];
	ais_shard_reader *r = NULL;
	const ais_shard_record *rec;
	ais_err rc;

	make_dataset(fx);
	path_in(fx, path, sizeof(path), "sink.tgz");
	write_shard(fx, path, AIS_SHARD_TGZ);
	assert_int_equal(
	    ais_shard_reader_open_path(&r, path, AIS_SHARD_TGZ), AIS_OK);
	do {
		rc = ais_shard_reader_next(r, failing_sink, NULL, &rec);
	} while (rc == AIS_OK && rec != NULL);
	assert_int_equal(rc, AIS_ENOSPC);
	assert_non_null(strstr(ais_shard_reader_error(r), "sample0003"));
	assert_non_null(strstr(ais_shard_reader_error(r), path));
	/* sticky */
	assert_int_equal(
	    ais_shard_reader_next(r, failing_sink, NULL, &rec), AIS_ENOSPC);
	ais_shard_reader_free(r);
}

/* Tar ranges copied into new shards of every format (the shuffler's
 * path), plus writer misuse. */
static void
test_writer_ranges_and_misuse(void **state)
{
	fixture *fx = *state;
	char in[256], out[256];
	ais_shard_reader *r = NULL;
	ais_shard_writer *w = NULL;
	const ais_shard_record *rec;
	int fd;

	make_dataset(fx);
	path_in(fx, in, sizeof(in), "in.tar");
	write_shard(fx, in, AIS_SHARD_TAR);
	fd = open(in, O_RDONLY);
	assert_true(fd >= 0);
	for (size_t i = 0; i < ARRLEN(all_fmts); i++) {
		ais_shard_fmt fmt = all_fmts[i];

		if (!ais_shard_fmt_supported(fmt)) {
			continue;
		}
		snprintf(out, sizeof(out), "%s/ranges%s", fx->dir,
		    ais_shard_fmt_ext(fmt));
		assert_int_equal(
		    ais_shard_reader_open_fd(&r, fd, "in.tar", AIS_SHARD_TAR),
		    AIS_OK);
		assert_int_equal(
		    ais_shard_writer_open_path(&w, out, fmt), AIS_OK);
		while (ais_shard_reader_next(r, NULL, NULL, &rec) == AIS_OK
		    && rec != NULL) {
			for (size_t k = 0; k < rec->nfiles; k++) {
				const ais_shard_file *f = &rec->files[k];

				assert_int_equal(
				    ais_shard_writer_add_range(w, f->name,
				        f->mtime, fd, f->offset, f->size),
				    AIS_OK);
			}
		}
		assert_string_equal(ais_shard_reader_error(r), "");
		ais_shard_reader_free(r);
		assert_int_equal(ais_shard_writer_close(w, NULL), AIS_OK);
		ais_shard_writer_free(w);
		read_and_check(fx, out, fmt);
	}

	/* misuse: each is a clear EINVAL/EIO with a message */
	path_in(fx, out, sizeof(out), "misuse.tar");
	assert_int_equal(
	    ais_shard_writer_open_path(&w, out, AIS_SHARD_TAR), AIS_OK);
	assert_int_equal(ais_shard_writer_begin(w, "a.jpg", 10, 0), AIS_OK);
	assert_int_equal(
	    ais_shard_writer_write(w, "0123456789x", 11), AIS_EINVAL);
	assert_non_null(strstr(ais_shard_writer_error(w), "a.jpg"));
	assert_non_null(strstr(ais_shard_writer_error(w), "misuse.tar"));
	ais_shard_writer_free(w); /* abandoned, no trailer */
	{
		char msg[AIS_SHARD_ERRLEN];

		assert_int_equal(
		    read_all(out, AIS_SHARD_TAR, msg, sizeof(msg)),
		    AIS_EPROTO);
	}

	assert_int_equal(
	    ais_shard_writer_open_path(&w, out, AIS_SHARD_TAR), AIS_OK);
	assert_int_equal(ais_shard_writer_begin(w, "a.jpg", 10, 0), AIS_OK);
	assert_int_equal(ais_shard_writer_write(w, "01234", 5), AIS_OK);
	assert_int_equal(ais_shard_writer_end(w), AIS_EINVAL);
	assert_int_equal(ais_shard_writer_close(w, NULL), AIS_EINVAL);
	ais_shard_writer_free(w);

	assert_int_equal(
	    ais_shard_writer_open_path(&w, out, AIS_SHARD_TAR), AIS_OK);
	assert_int_equal(
	    ais_shard_writer_add_mem(w, "", 0, "x", 1), AIS_EINVAL);
	ais_shard_writer_free(w);
	assert_int_equal(
	    ais_shard_writer_open_path(&w, out, AIS_SHARD_TAR), AIS_OK);
	assert_int_equal(
	    ais_shard_writer_add_mem(w, "dir/", 0, "x", 1), AIS_EINVAL);
	ais_shard_writer_free(w);

	/* a range past the input's end */
	assert_int_equal(
	    ais_shard_writer_open_path(&w, out, AIS_SHARD_TAR), AIS_OK);
	assert_int_equal(ais_shard_writer_add_range(
	                     w, "short.bin", 0, fd, file_size(in) - 100, 1000),
	    AIS_EIO);
	assert_non_null(strstr(ais_shard_writer_error(w), "short.bin"));
	ais_shard_writer_free(w);
	close(fd);

	/* after close, nothing more */
	assert_int_equal(
	    ais_shard_writer_open_path(&w, out, AIS_SHARD_TAR), AIS_OK);
	assert_int_equal(ais_shard_writer_close(w, NULL), AIS_OK);
	assert_int_equal(
	    ais_shard_writer_add_mem(w, "late.bin", 0, "x", 1), AIS_ECLOSED);
	ais_shard_writer_free(w);
	assert_int_equal(file_size(out), AIS_SHARD_TAR_TRAILER);
}

/* ---- output path: tap, coalescing, errors ------------------------------ */

/* Growing byte buffer: what the tap saw, or a reference archive. */
typedef struct bytes {
	unsigned char *p;
	size_t len, cap;
	size_t calls; /* tap calls */
} bytes;

static void
bytes_add(bytes *b, const void *buf, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 64 * 1024;

		while (cap < b->len + len) {
			cap *= 2;
		}
		b->p = realloc(b->p, cap);
		assert_non_null(b->p);
		b->cap = cap;
	}
	memcpy(b->p + b->len, buf, len);
	b->len += len;
}

static void
tap_collect(void *arg, const void *buf, size_t len)
{
	bytes *b = arg;

	assert_true(len > 0);
	assert_non_null(buf);
	bytes_add(b, buf, len);
	b->calls++;
}

static void
read_file(const char *path, bytes *b)
{
	unsigned char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		bytes_add(b, buf, (size_t) n);
	}
	assert_int_equal(n, 0);
	close(fd);
}

/* 64-bit FNV-1a, enough to compare streams. */
static uint64_t
fnv(const unsigned char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h = (h ^ p[i]) * 0x100000001b3ULL;
	}
	return h;
}

/* Chunk sizes for piecewise writes: around the writer's thresholds (the
 * 64 KiB direct-write size, the 256 KiB buffer) and tiny ones. */
static const size_t tap_chunks[]
    = { 1, 511, 65536, 65535, 300000, 7, 1024 * 1024, 4096, 262144, 262145 };

/* One big file in many odd chunks, files at the thresholds, and many
 * small ones (headers and data that coalesce). */
static void
make_tap_dataset(fixture *fx)
{
	static const uint64_t edge[]
	    = { 65535, 65536, 65537, 262143, 262144, 262145 };
	char nm[256];

	fx->nfiles = 0;
	add_file(fx, "big/b0000.bin", 3 * MIB + 333);
	for (size_t i = 0; i < ARRLEN(edge); i++) {
		snprintf(nm, sizeof(nm), "edge/e%04zu.bin", i);
		add_file(fx, nm, edge[i]);
	}
	for (size_t i = 0; i < 180; i++) {
		snprintf(nm, sizeof(nm), "small/s%04zu.%s", i / 2,
		    i % 2 ? "cls" : "jpg");
		add_file(fx, nm, (i * 977) % 5000);
		/* names a ustar header cannot hold, between plain ones: the
		 * writer's pax path (see shard_write.c) */
		if (i == 41) {
			memset(nm, 'p', 130);
			memcpy(nm + 130, ".jpg", 5);
			add_file(fx, nm, 7000);
		} else if (i == 91) {
			snprintf(nm, sizeof(nm), "%0120d/x.jpg", 7);
			add_file(fx, nm, 100000);
		}
	}
	add_file(fx, "z/last.jpg", 2 * MIB + 5);
}

/* write_ref buffers not yet flushed: scribbled over and freed after each
 * flush, so a stale reference shows as wrong bytes (or under ASan as a
 * use after free) */
#define REF_PENDING 8

static void
ref_release(
    ais_shard_writer *w, unsigned char **pend, const size_t *lens, size_t *np)
{
	assert_int_equal(ais_shard_writer_flush(w), AIS_OK);
	for (size_t k = 0; k < *np; k++) {
		memset(pend[k], 0xee, lens[k]);
		free(pend[k]);
	}
	*np = 0;
}

/* Writes fx through a writer on fd, or for ref (w == NULL) through a bare
 * libarchive handle a: files <= 4 KiB from memory in one go, the rest in
 * tap_chunks pieces, so both see the same calls. The writer gets every
 * other such file with write_ref, from buffers that live only until the
 * next flush. */
static void
feed_files(const fixture *fx, ais_shard_writer *w, struct archive *a)
{
	unsigned char *buf = malloc(1024 * 1024 + 1);
	unsigned char *pend[REF_PENDING];
	size_t plen[REF_PENDING];
	size_t npend = 0;
	struct archive_entry *e = archive_entry_new();
	size_t ci = 0;

	assert_true(buf != NULL && e != NULL);
	for (size_t i = 0; i < fx->nfiles; i++) {
		const tfile *t = &fx->files[i];

		if (w != NULL && t->size <= 4096) {
			gen_fill(t->seed, 0, buf, (size_t) t->size);
			assert_int_equal(ais_shard_writer_add_mem(w, t->name,
			                     0, buf, (size_t) t->size),
			    AIS_OK);
			continue;
		}
		if (w != NULL) {
			assert_int_equal(
			    ais_shard_writer_begin(w, t->name, t->size, 0),
			    AIS_OK);
		} else {
			/* as shard_wr_entry() sets it up */
			archive_entry_clear(e);
			archive_entry_set_pathname(e, t->name);
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, (la_int64_t) t->size);
			archive_entry_set_mtime(e, 0, 0);
			archive_entry_set_uid(e, 0);
			archive_entry_set_gid(e, 0);
			assert_true(
			    archive_write_header(a, e) >= ARCHIVE_WARN);
		}
		for (uint64_t off = 0; off < t->size;) {
			size_t c = tap_chunks[ci++ % ARRLEN(tap_chunks)];
			size_t n
			    = t->size - off < c ? (size_t) (t->size - off) : c;

			if (w != NULL && i % 2 == 1) {
				unsigned char *rb = malloc(n);

				assert_non_null(rb);
				gen_fill(t->seed, off, rb, n);
				assert_int_equal(
				    ais_shard_writer_write_ref(w, rb, n),
				    AIS_OK);
				pend[npend] = rb;
				plen[npend++] = n;
				if (npend == REF_PENDING) {
					ref_release(w, pend, plen, &npend);
				}
				off += n;
				continue;
			}
			gen_fill(t->seed, off, buf, n);
			if (w != NULL) {
				assert_int_equal(
				    ais_shard_writer_write(w, buf, n), AIS_OK);
			} else {
				assert_int_equal(archive_write_data(a, buf, n),
				    (ssize_t) n);
			}
			off += n;
		}
		if (w != NULL) {
			assert_int_equal(ais_shard_writer_end(w), AIS_OK);
		} else {
			assert_int_equal(
			    archive_write_finish_entry(a), ARCHIVE_OK);
		}
	}
	if (w != NULL) {
		ref_release(w, pend, plen, &npend);
	}
	archive_entry_free(e);
	free(buf);
}

static la_ssize_t
ref_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	(void) a;
	bytes_add(arg, buf, len);
	return (la_ssize_t) len;
}

/* The same shard from libarchive alone, configured as the writer was
 * before coalescing (blocked: 10 KiB blocks, last block unpadded) or
 * unblocked. */
static void
ref_shard(const fixture *fx, ais_shard_fmt fmt, bool blocked, bytes *out)
{
	struct archive *a = archive_write_new();
	int rc;

	assert_non_null(a);
	rc = archive_write_set_format_pax_restricted(a);
	switch (fmt) {
	case AIS_SHARD_TAR:
		break;
	case AIS_SHARD_TGZ:
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
		assert_int_equal(archive_write_set_filter_option(
		                     a, "gzip", "timestamp", NULL),
		    ARCHIVE_OK);
		break;
	case AIS_SHARD_TLZ4:
		assert_int_equal(archive_write_add_filter_lz4(a), ARCHIVE_OK);
		assert_int_equal(archive_write_set_filter_option(
		                     a, "lz4", "block-size", "5"),
		    ARCHIVE_OK);
		break;
	case AIS_SHARD_ZIP:
		rc = archive_write_set_format_zip(a);
		break;
	default:
		fail();
	}
	assert_int_equal(rc, ARCHIVE_OK);
	if (!blocked) {
		assert_int_equal(
		    archive_write_set_bytes_per_block(a, 0), ARCHIVE_OK);
	}
	assert_int_equal(
	    archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	assert_int_equal(
	    archive_write_open(a, out, NULL, ref_write, NULL), ARCHIVE_OK);
	feed_files(fx, NULL, a);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* The tap sees exactly the file, in order; the coalesced output equals
 * libarchive's own (blocked, as before, and unblocked) byte for byte;
 * the reader and GNU tar read it. */
static void
test_writer_tap(void **state)
{
	fixture *fx = *state;
	char path[256];

	make_tap_dataset(fx);
	for (size_t i = 0; i < ARRLEN(all_fmts); i++) {
		ais_shard_fmt fmt = all_fmts[i];
		ais_shard_writer *w = NULL;
		bytes seen = { 0 }, file = { 0 }, ref = { 0 }, ref0 = { 0 };
		uint64_t n = 0;

		if (!ais_shard_fmt_supported(fmt)) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/tap%s", fx->dir,
		    ais_shard_fmt_ext(fmt));
		assert_int_equal(
		    ais_shard_writer_open_path(&w, path, fmt), AIS_OK);
		assert_int_equal(
		    ais_shard_writer_set_tap(w, tap_collect, &seen), AIS_OK);
		feed_files(fx, w, NULL);
		assert_int_equal(ais_shard_writer_close(w, &n), AIS_OK);
		ais_shard_writer_free(w);

		read_file(path, &file);
		assert_int_equal(n, file.len);
		assert_int_equal(seen.len, file.len);
		assert_true(fnv(seen.p, seen.len) == fnv(file.p, file.len));
		assert_memory_equal(seen.p, file.p, file.len);

		ref_shard(fx, fmt, true, &ref);
		ref_shard(fx, fmt, false, &ref0);
		assert_int_equal(ref.len, file.len);
		assert_memory_equal(ref.p, file.p, file.len);
		assert_int_equal(ref0.len, file.len);
		assert_memory_equal(ref0.p, file.p, file.len);
		print_message("%s: %zu bytes in %zu tap calls\n",
		    ais_shard_fmt_ext(fmt), seen.len, seen.calls);

		read_and_check(fx, path, fmt);
		if (fmt == AIS_SHARD_TAR) {
			char list[256];

			/* small headers and files were coalesced */
			assert_true(seen.calls < fx->nfiles);
			check_tar_offsets(fx, path);
			assert_true(have_cmd("tar")); /* install-deps.sh */
			path_in(fx, list, sizeof(list), "tap.list");
			assert_int_equal(
			    run("tar -tf '%s' > '%s'", path, list), 0);
			for (size_t k = 0; k < fx->nfiles; k++) {
				assert_int_equal(run("grep -qxF '%s' '%s'",
				                     fx->files[k].name, list),
				    0);
			}
			assert_int_equal(run("test $(wc -l < '%s') -eq %zu",
			                     list, fx->nfiles),
			    0);
		}
		free(seen.p);
		free(file.p);
		free(ref.p);
		free(ref0.p);
	}
}

/* A tap on a pipe (non-seekable fd, writev blocking on a full pipe); a
 * tap set too late is refused; an abandoned writer flushes nothing. */
static void
test_writer_tap_pipe_and_misuse(void **state)
{
	fixture *fx = *state;
	char path[256], cmd[300];
	ais_shard_writer *w = NULL;
	bytes seen = { 0 }, file = { 0 };
	unsigned char *buf = malloc(300000);
	uint64_t n = 0;
	FILE *pp;

	assert_non_null(buf);
	make_tap_dataset(fx);
	path_in(fx, path, sizeof(path), "pipe-out.tar");
	snprintf(cmd, sizeof(cmd), "cat > '%s'", path);
	pp = popen(cmd, "w");
	assert_non_null(pp);
	assert_int_equal(ais_shard_writer_open_fd(
	                     &w, fileno(pp), "pipe-out.tar", AIS_SHARD_TAR),
	    AIS_OK);
	assert_int_equal(
	    ais_shard_writer_set_tap(w, tap_collect, &seen), AIS_OK);
	feed_files(fx, w, NULL);
	assert_int_equal(ais_shard_writer_close(w, &n), AIS_OK);
	ais_shard_writer_free(w);
	assert_int_equal(pclose(pp), 0);
	read_file(path, &file);
	assert_int_equal(n, file.len);
	assert_int_equal(seen.len, file.len);
	assert_memory_equal(seen.p, file.p, file.len);
	read_and_check(fx, path, AIS_SHARD_TAR);
	free(seen.p);
	free(file.p);
	memset(&seen, 0, sizeof(seen));

	/* too late: bytes already in the file */
	path_in(fx, path, sizeof(path), "late.tar");
	assert_int_equal(
	    ais_shard_writer_open_path(&w, path, AIS_SHARD_TAR), AIS_OK);
	gen_fill(1, 0, buf, 300000);
	assert_int_equal(
	    ais_shard_writer_add_mem(w, "a.bin", 0, buf, 300000), AIS_OK);
	assert_int_equal(
	    ais_shard_writer_set_tap(w, tap_collect, &seen), AIS_EINVAL);
	assert_non_null(strstr(ais_shard_writer_error(w), "tap"));
	ais_shard_writer_free(w);
	assert_int_equal(seen.calls, 0);

	/* still buffered is not too late; abandoning drops the buffer
	 * and the tap sees nothing */
	assert_int_equal(
	    ais_shard_writer_open_path(&w, path, AIS_SHARD_TAR), AIS_OK);
	assert_int_equal(
	    ais_shard_writer_add_mem(w, "a.bin", 0, buf, 100), AIS_OK);
	assert_int_equal(
	    ais_shard_writer_set_tap(w, tap_collect, &seen), AIS_OK);
	assert_int_equal(
	    ais_shard_writer_add_mem(w, "b.bin", 0, buf, 100), AIS_OK);
	ais_shard_writer_free(w);
	assert_int_equal(seen.calls, 0);
	assert_int_equal(file_size(path), 0);

	/* set before the first file but cleared again: no calls */
	assert_int_equal(
	    ais_shard_writer_open_path(&w, path, AIS_SHARD_TAR), AIS_OK);
	assert_int_equal(
	    ais_shard_writer_set_tap(w, tap_collect, &seen), AIS_OK);
	assert_int_equal(ais_shard_writer_set_tap(w, NULL, NULL), AIS_OK);
	assert_int_equal(
	    ais_shard_writer_add_mem(w, "a.bin", 0, buf, 100), AIS_OK);
	assert_int_equal(ais_shard_writer_close(w, &n), AIS_OK);
	ais_shard_writer_free(w);
	assert_int_equal(seen.calls, 0);
	assert_int_equal(n, 512 + 512 + AIS_SHARD_TAR_TRAILER);
	assert_int_equal(file_size(path), n);
	free(buf);
}

/* Write errors: a large write fails at once; a small shard that sits
 * in the output buffer fails at close, with a message; a writer
 * abandoned mid-file (e.g. a dSort abort) frees everything, including a
 * zip entry's deflate stream. Nothing leaks either way. */
static void
test_writer_write_errors(void **state)
{
	fixture *fx = *state;
	char path[256];
	ais_shard_writer *w = NULL;
	unsigned char *buf = calloc(1, 200000);
	uint64_t n = 0;
	int fd;

	assert_non_null(buf);
	for (size_t i = 0; i < ARRLEN(all_fmts); i++) {
		if (!ais_shard_fmt_supported(all_fmts[i])) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/abandoned%s", fx->dir,
		    ais_shard_fmt_ext(all_fmts[i]));
		assert_int_equal(
		    ais_shard_writer_open_path(&w, path, all_fmts[i]), AIS_OK);
		gen_fill(3, 0, buf, 200000);
		assert_int_equal(
		    ais_shard_writer_begin(w, "c.bin", MIB, 0), AIS_OK);
		assert_int_equal(
		    ais_shard_writer_write(w, buf, 200000), AIS_OK);
		ais_shard_writer_free(w);
	}
	fd = open("/dev/full", O_WRONLY);
	assert_true(fd >= 0);

	for (size_t i = 0; i < ARRLEN(all_fmts); i++) {
		ais_shard_fmt fmt = all_fmts[i];
		ais_err rc;

		if (!ais_shard_fmt_supported(fmt)) {
			continue;
		}
		/* small: everything is buffered until close */
		assert_int_equal(
		    ais_shard_writer_open_fd(&w, fd, "full", fmt), AIS_OK);
		assert_int_equal(
		    ais_shard_writer_add_mem(w, "a.cls", 0, "abc", 3), AIS_OK);
		assert_int_equal(ais_shard_writer_close(w, &n), AIS_ENOSPC);
		assert_non_null(strstr(ais_shard_writer_error(w), "full"));
		ais_shard_writer_free(w);

		/* large: fails while adding (compressed formats may buffer
		 * more, then it is the close) */
		assert_int_equal(
		    ais_shard_writer_open_fd(&w, fd, "full", fmt), AIS_OK);
		gen_fill(7, 0, buf, 200000);
		rc = ais_shard_writer_add_mem(w, "b.bin", 0, buf, 200000);
		if (rc == AIS_OK) {
			rc = ais_shard_writer_close(w, &n);
		}
		assert_int_equal(rc, AIS_ENOSPC);
		ais_shard_writer_free(w);
	}
	close(fd);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_key),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test_setup_teardown(
		    test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_empty_shard, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_reproducible, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_long_names, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_dup_records, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_gnu_tar_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_cli_reads_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pipe_input, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sink_error, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_writer_ranges_and_misuse, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_writer_tap, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_writer_tap_pipe_and_misuse, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_writer_write_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
