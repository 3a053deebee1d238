/*
 * Unit tests for http/lso (list objects without a server): LsoMsg parsing
 * and defaults, the page merge, the JSON and MessagePack encodings (and the
 * MessagePack decoder), Go time layouts, custom metadata text, cnames, and
 * the sorted bounded walk of object directories -- checked against a brute
 * force sort for many tokens, prefixes and per-level caps -- plus a
 * target's page and its continuation token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/lso.h"

#define ARRLEN(a) (sizeof(a) / sizeof((a)[0]))

/* LsoMsg ------------------------------------------------------------------ */

static void
test_msg_defaults(void **state)
{
	http_lso_msg m;
	json_t *v;

	(void) state;
	assert_int_equal(http_lso_msg_parse(NULL, &m, NULL, 0), AIS_OK);
	assert_int_equal(m.pagesize, HTTP_LSO_PAGE_DEFAULT);
	assert_int_equal(
	    m.props, HTTP_LSO_P_NAME | HTTP_LSO_P_SIZE | HTTP_LSO_P_CACHED);
	assert_string_equal(m.token, "");
	assert_string_equal(http_lso_msg_after(&m), "");

	/* what the Python SDK sends */
	v = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s}", "prefix", "page/",
	    "pagesize", 10, "uuid", "", "props", "", "continuation_token",
	    "page/obj-009", "flags", "0", "target", "");
	assert_int_equal(http_lso_msg_parse(v, &m, NULL, 0), AIS_OK);
	json_decref(v);
	assert_string_equal(m.prefix, "page/");
	assert_int_equal(m.pagesize, 10);
	assert_string_equal(http_lso_msg_after(&m), "page/obj-009");

	/* keys case-insensitive, flags a number, the cached flag's defaults */
	v = json_pack("{s:s,s:i,s:I,s:s}", "Prefix", "x", "PageSize", 0,
	    "Flags", (json_int_t) HTTP_LSO_F_CACHED, "start_after", "x/5");
	assert_int_equal(http_lso_msg_parse(v, &m, NULL, 0), AIS_OK);
	json_decref(v);
	assert_string_equal(m.prefix, "x");
	assert_int_equal(m.flags, HTTP_LSO_F_CACHED);
	assert_int_equal(m.props,
	    HTTP_LSO_P_NAME | HTTP_LSO_P_SIZE | HTTP_LSO_P_CHECKSUM
	        | HTTP_LSO_P_ATIME);
	assert_string_equal(http_lso_msg_after(&m), "x/5");

	/* name-only; props list; big page sizes capped */
	v = json_pack("{s:s,s:s,s:i}", "flags", "528", "props",
	    "size,checksum", "pagesize", 50000);
	assert_int_equal(http_lso_msg_parse(v, &m, NULL, 0), AIS_OK);
	json_decref(v);
	assert_int_equal(m.props, HTTP_LSO_P_NAME);
	assert_int_equal(m.pagesize, HTTP_LSO_PAGE_MAX);
	v = json_pack("{s:s,s:s}", "props", " version , ATIME,location,bogus",
	    "pagesize", "7");
	assert_int_equal(http_lso_msg_parse(v, &m, NULL, 0), AIS_OK);
	json_decref(v);
	assert_int_equal(m.props,
	    HTTP_LSO_P_NAME | HTTP_LSO_P_VERSION | HTTP_LSO_P_ATIME
	        | HTTP_LSO_P_LOCATION);
	assert_int_equal(m.pagesize, 7);
}

static void
test_msg_invalid(void **state)
{
	const char *bad[] = {
		"{\"flags\":\"x\"}",
		"{\"flags\":-1}",
		"{\"pagesize\":-5}",
		"{\"pagesize\":\"ten\"}",
		"{\"prefix\":5}",
		"{\"uuid\":{}}",
		"[1]",
	};
	char eb[200];
	http_lso_msg m;

	(void) state;
	for (size_t i = 0; i < ARRLEN(bad); i++) {
		json_t *v = json_loads(bad[i], JSON_DECODE_ANY, NULL);

		assert_non_null(v);
		eb[0] = '\0';
		assert_int_equal(
		    http_lso_msg_parse(v, &m, eb, sizeof(eb)), AIS_EINVAL);
		assert_true(eb[0] != '\0');
		json_decref(v);
	}
	{
		/* a token longer than any object name */
		char *big = malloc(AIS_OBJNAME_MAX + 10);
		json_t *v;

		memset(big, 'a', AIS_OBJNAME_MAX + 9);
		big[AIS_OBJNAME_MAX + 9] = '\0';
		v = json_pack("{s:s}", "continuation_token", big);
		assert_int_equal(
		    http_lso_msg_parse(v, &m, NULL, 0), AIS_EINVAL);
		json_decref(v);
		free(big);
	}
}

static void
test_msg_roundtrip(void **state)
{
	http_lso_msg m;
	http_lso_msg back;
	json_t *v;

	(void) state;
	v = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:s}", "uuid", "abcdefghi",
	    "continuation_token", "a/b", "prefix", "a/", "props",
	    "name,size,custom,copies", "pagesize", 123, "flags", "96",
	    "time_format", "2006-01-02");
	assert_int_equal(http_lso_msg_parse(v, &m, NULL, 0), AIS_OK);
	json_decref(v);
	v = http_lso_msg_to_json(&m);
	assert_non_null(v);
	assert_int_equal(http_lso_msg_parse(v, &back, NULL, 0), AIS_OK);
	json_decref(v);
	assert_memory_equal(&m, &back, sizeof(m));
}

/* Pages, merge, encodings ------------------------------------------------- */

static void
page_names(http_lso_page *p, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		http_lso_ent e = { .name = names[i],
			.size = (int64_t) i + 1,
			.flags = HTTP_LSO_E_PRESENT };

		assert_int_equal(http_lso_page_add(p, &e), AIS_OK);
	}
}

static void
test_merge(void **state)
{
	static const char *const a[] = { "a", "c", "e/f", "x" };
	static const char *const b[] = { "a.b", "b", "c", "e.g", "z" };
	static const char *const c[] = { "d" };
	static const char *const want[]
	    = { "a", "a.b", "b", "c", "d", "e.g", "e/f", "x", "z" };
	http_lso_page pa, pb, pc, out;
	const http_lso_page *in[3] = { &pa, &pb, &pc };

	(void) state;
	http_lso_page_init(&pa);
	http_lso_page_init(&pb);
	http_lso_page_init(&pc);
	page_names(&pa, a, ARRLEN(a));
	page_names(&pb, b, ARRLEN(b));
	page_names(&pc, c, ARRLEN(c));

	http_lso_page_init(&out);
	assert_int_equal(http_lso_merge(in, 3, 100, &out), AIS_OK);
	assert_int_equal(out.n, ARRLEN(want));
	for (size_t i = 0; i < out.n; i++) {
		assert_string_equal(out.ents[i].name, want[i]);
	}
	/* "c" came from page a first: its size (2) */
	assert_int_equal(out.ents[3].size, 2);
	http_lso_page_fini(&out);

	http_lso_page_init(&out);
	assert_int_equal(http_lso_merge(in, 3, 4, &out), AIS_OK);
	assert_int_equal(out.n, 4);
	assert_string_equal(out.ents[3].name, "c");
	http_lso_page_fini(&out);

	/* an unsorted input is refused */
	{
		static const char *const bad[] = { "b", "a" };
		http_lso_page pbad;
		const http_lso_page *in2[1] = { &pbad };

		http_lso_page_init(&pbad);
		page_names(&pbad, bad, 2);
		http_lso_page_init(&out);
		assert_int_equal(http_lso_merge(in2, 1, 10, &out), AIS_EINVAL);
		http_lso_page_fini(&out);
		http_lso_page_fini(&pbad);
	}
	http_lso_page_fini(&pa);
	http_lso_page_fini(&pb);
	http_lso_page_fini(&pc);
}

static void
test_json(void **state)
{
	http_lso_page p;
	http_lso_ent e1 = { .name = "images/cat-00000.jpg",
		.size = 1024,
		.cksum = "a1b2",
		.atime = "21 Aug 26 19:17 UTC",
		.flags = HTTP_LSO_E_PRESENT };
	http_lso_ent e2 = { .name = "q\"\\\x01\xc3\xbc\xff",
		.version = "3",
		.custom = "[k:v]",
		.location = "t[x]:mp[/m]",
		.copies = 1 };
	char *out = NULL;
	size_t len = 0;

	(void) state;
	http_lso_page_init(&p);
	snprintf(p.uuid, sizeof(p.uuid), "Vx3kq9LmR");
	snprintf(p.token, sizeof(p.token), "images/cat-00000.jpg");
	assert_int_equal(http_lso_page_add(&p, &e1), AIS_OK);
	assert_int_equal(http_lso_page_add(&p, &e2), AIS_OK);
	assert_int_equal(http_lso_encode_json(&p, &out, &len), AIS_OK);
	assert_string_equal(out,
	    "{\"uuid\":\"Vx3kq9LmR\",\"continuation_token\":"
	    "\"images/cat-00000.jpg\",\"entries\":["
	    "{\"name\":\"images/cat-00000.jpg\",\"checksum\":\"a1b2\","
	    "\"atime\":\"21 Aug 26 19:17 UTC\",\"size\":\"1024\","
	    "\"flags\":64},"
	    "{\"name\":\"q\\\"\\\\\\u0001\xc3\xbc\\ufffd\",\"version\":\"3\","
	    "\"location\":\"t[x]:mp[/m]\",\"custom-md\":\"[k:v]\","
	    "\"copies\":1}],\"flags\":0}");
	assert_int_equal(len, strlen(out));
	{
		json_t *j = json_loads(out, 0, NULL);

		assert_non_null(j); /* valid JSON */
		json_decref(j);
	}
	free(out);

	/* an empty page */
	http_lso_page_fini(&p);
	http_lso_page_init(&p);
	assert_int_equal(http_lso_encode_json(&p, &out, &len), AIS_OK);
	assert_string_equal(out,
	    "{\"uuid\":\"\",\"continuation_token\":\"\","
	    "\"entries\":[],\"flags\":0}");
	free(out);
	http_lso_page_fini(&p);
}

static void
test_msgpack(void **state)
{
	http_lso_page p;
	http_lso_page back;
	http_lso_ent e1 = { .name = "a", .size = 5, .flags = 64 };
	http_lso_ent e2 = { .name = "b/c",
		.cksum = "ff",
		.atime = "x",
		.version = "2",
		.location = "t[t1]:mp[/m]",
		.custom = "[k:v]",
		.size = 1LL << 40,
		.copies = 2,
		.flags = 64 };
	char *out = NULL;
	size_t len = 0;
	msgpack_unpacked u;
	size_t off = 0;

	(void) state;
	http_lso_page_init(&p);
	snprintf(p.uuid, sizeof(p.uuid), "U1");
	snprintf(p.token, sizeof(p.token), "b/c");
	assert_int_equal(http_lso_page_add(&p, &e1), AIS_OK);
	assert_int_equal(http_lso_page_add(&p, &e2), AIS_OK);
	assert_int_equal(http_lso_encode_msgpack(&p, &out, &len), AIS_OK);

	/* the 4 keys, in order; entry 1 has only n, s, f */
	msgpack_unpacked_init(&u);
	assert_int_equal(
	    msgpack_unpack_next(&u, out, len, &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, len);
	assert_int_equal(u.data.type, MSGPACK_OBJECT_MAP);
	assert_int_equal(u.data.via.map.size, 4);
	{
		static const char *const keys[]
		    = { "UUID", "ContinuationToken", "Entries", "Flags" };
		const msgpack_object_kv *kv = u.data.via.map.ptr;

		for (size_t i = 0; i < 4; i++) {
			assert_int_equal(kv[i].key.type, MSGPACK_OBJECT_STR);
			assert_int_equal(
			    kv[i].key.via.str.size, strlen(keys[i]));
			assert_memory_equal(
			    kv[i].key.via.str.ptr, keys[i], strlen(keys[i]));
		}
		assert_int_equal(kv[2].val.type, MSGPACK_OBJECT_ARRAY);
		assert_int_equal(kv[2].val.via.array.size, 2);
		assert_int_equal(kv[2].val.via.array.ptr[0].via.map.size, 3);
		assert_int_equal(kv[2].val.via.array.ptr[1].via.map.size, 9);
		assert_int_equal(
		    kv[3].val.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	}
	msgpack_unpacked_destroy(&u);

	http_lso_page_init(&back);
	assert_int_equal(http_lso_decode_msgpack(out, len, &back), AIS_OK);
	free(out);
	assert_string_equal(back.uuid, "U1");
	assert_string_equal(back.token, "b/c");
	assert_int_equal(back.n, 2);
	assert_string_equal(back.ents[0].name, "a");
	assert_int_equal(back.ents[0].size, 5);
	assert_null(back.ents[0].cksum);
	assert_string_equal(back.ents[1].cksum, "ff");
	assert_string_equal(back.ents[1].atime, "x");
	assert_string_equal(back.ents[1].version, "2");
	assert_string_equal(back.ents[1].location, "t[t1]:mp[/m]");
	assert_string_equal(back.ents[1].custom, "[k:v]");
	assert_int_equal(back.ents[1].size, 1LL << 40);
	assert_int_equal(back.ents[1].copies, 2);
	assert_int_equal(back.ents[1].flags, 64);
	http_lso_page_fini(&back);
	http_lso_page_fini(&p);

	/* malformed input */
	{
		static const unsigned char junk[][4] = { { 0xc1 },
			{ 0x93, 1, 2, 3 }, { 0x81, 0xa7, 'E', 'n' } };

		for (size_t i = 0; i < ARRLEN(junk); i++) {
			http_lso_page_init(&back);
			assert_int_equal(http_lso_decode_msgpack(
			                     junk[i], sizeof(junk[i]), &back),
			    AIS_EPROTO);
			http_lso_page_fini(&back);
		}
	}
}

static void
test_many_entries(void **state)
{
	http_lso_page p;
	http_lso_page back;
	char name[64];
	char *out = NULL;
	size_t len = 0;

	(void) state;
	http_lso_page_init(&p);
	for (int i = 0; i < 10000; i++) {
		http_lso_ent e = { .name = name, .size = i, .flags = 64 };

		snprintf(name, sizeof(name), "dir-%03d/obj-%08d", i % 100, i);
		assert_int_equal(http_lso_page_add(&p, &e), AIS_OK);
	}
	assert_int_equal(http_lso_encode_msgpack(&p, &out, &len), AIS_OK);
	http_lso_page_init(&back);
	assert_int_equal(http_lso_decode_msgpack(out, len, &back), AIS_OK);
	free(out);
	assert_int_equal(back.n, 10000);
	for (size_t i = 0; i < back.n; i++) {
		assert_string_equal(back.ents[i].name, p.ents[i].name);
		assert_int_equal(back.ents[i].size, p.ents[i].size);
	}
	assert_int_equal(http_lso_encode_json(&p, &out, &len), AIS_OK);
	free(out);
	http_lso_page_fini(&back);
	http_lso_page_fini(&p);
}

/* Time layouts, custom metadata, cnames
 * --------------------------------------- */

static void
test_time_fmt(void **state)
{
	/* 2026-08-21 19:17:05.123456789 UTC, a Friday */
	const int64_t ns = 1787339825123456789LL;
	static const struct {
		const char *layout;
		const char *want;
	} cases[] = {
		{ NULL, "21 Aug 26 19:17 UTC" },
		{ "", "21 Aug 26 19:17 UTC" },
		{ "02 Jan 06 15:04 -0700", "21 Aug 26 19:17 +0000" },
		{ "2006-01-02T15:04:05Z07:00", "2026-08-21T19:17:05Z" },
		{ "2006-01-02T15:04:05.999999999Z07:00",
		    "2026-08-21T19:17:05.123456789Z" },
		{ "2006-01-02 15:04:05.000", "2026-08-21 19:17:05.123" },
		{ "Mon, 02 Jan 2006 15:04:05 MST",
		    "Fri, 21 Aug 2026 19:17:05 UTC" },
		{ "Monday, 02-Jan-06 15:04:05 MST",
		    "Friday, 21-Aug-26 19:17:05 UTC" },
		{ "Jan _2 15:04:05", "Aug 21 19:17:05" },
		{ "January 2, 2006 3:04PM", "August 21, 2026 7:17PM" },
		{ "1/2 03:04:05pm -07:00", "8/21 07:17:05pm +00:00" },
		{ "002 __2", "233 233" },
		{ "literal text", "literal text" },
	};
	char buf[128];

	(void) state;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		http_lso_time_fmt(ns, cases[i].layout, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
	/* whole seconds: .999 drops out, .000 stays */
	http_lso_time_fmt(
	    1787339825000000000LL, "05.999|05.000", buf, sizeof(buf));
	assert_string_equal(buf, "05|05.000");
	/* truncation is safe */
	http_lso_time_fmt(ns, NULL, buf, 5);
	assert_string_equal(buf, "21 A");
}

static void
test_custom_fmt(void **state)
{
	ais_lom_md md;
	char buf[256];

	(void) state;
	memset(&md, 0, sizeof(md));
	http_lso_custom_fmt(&md, buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_int_equal(ais_lom_custom_set(&md, "user", "x"), AIS_OK);
	assert_int_equal(ais_lom_custom_set(&md, "orig_fntl", "zzz"), AIS_OK);
	assert_int_equal(ais_lom_custom_set(&md, "ETag", "abc"), AIS_OK);
	assert_int_equal(ais_lom_custom_set(&md, "source", "s3"), AIS_OK);
	http_lso_custom_fmt(&md, buf, sizeof(buf));
	assert_string_equal(buf, "[source:s3 ETag:abc user:x]");
}

static void
test_cname(void **state)
{
	char buf[128];

	(void) state;
	http_lso_cname("ais", "", "b", buf, sizeof(buf));
	assert_string_equal(buf, "ais://b");
	http_lso_cname(NULL, "@#", "b", buf, sizeof(buf));
	assert_string_equal(buf, "ais://b");
	http_lso_cname("aws", "@#prod", "logs", buf, sizeof(buf));
	assert_string_equal(buf, "s3://#prod/logs");
	http_lso_cname("gcp", "@uu#n", "x", buf, sizeof(buf));
	assert_string_equal(buf, "gs://@uu#n/x");
}

/* Walks
 * ----------------------------------------------------------------------- */

typedef struct walk_fix {
	char dir[256];
	char roots[2][1024];
} walk_fix;

/* Object names of the tree; even ones under root 0, odd under root 1
 * (so the merge interleaves), plus "dup" under both. */
static const char *const tree[] = {
	"a.b",
	"a/b.c",
	"a/b/c.d",
	"a/ba",
	"a0",
	"a-",
	"a/b/c/d/e/f",
	"a/b/cc",
	"b/a",
	"ba",
	"b.",
	"c d/x",
	"c d.txt",
	"z",
	"zz/zz/zz",
	"\xc3\xbc",
	"A",
	"_x",
	"a/b/c/dd",
	"img/0001.jpg",
	"img/0002.jpg",
	"img/0010.jpg",
	"img-0001",
	"a/b/c0",
	"a/bz",
	"dup",
};

/* Index of name in tree (it is also the object's size). */
static size_t
tree_index(const char *name)
{
	for (size_t i = 0; i < ARRLEN(tree); i++) {
		if (strcmp(tree[i], name) == 0) {
			return i;
		}
	}
	fail_msg("%s not in the tree", name);
	return 0;
}

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(p);
}

static void
mkfile(const char *root, const char *name, size_t size)
{
	char path[PATH_MAX];
	char *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		(void) mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < size; i++) {
		fputc('x', f);
	}
	fclose(f);
}

static int
walk_setup(void **state)
{
	walk_fix *fx = calloc(1, sizeof(*fx));

	if (fx == NULL) {
		return -1;
	}
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ais-lsmsg-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		char mp[512];

		snprintf(mp, sizeof(mp), "%s/mp%d", fx->dir, i & 1);
		snprintf(fx->roots[i], sizeof(fx->roots[i]), "%s/%%ob", mp);
		mkdir(mp, 0755);
		mkdir(fx->roots[i], 0755);
	}
	for (size_t i = 0; i < ARRLEN(tree); i++) {
		mkfile(fx->roots[i % 2], tree[i], i);
	}
	mkfile(fx->roots[0], "dup", 1);
	/* an empty directory and a symlink: not objects */
	{
		char p[2048];

		snprintf(p, sizeof(p), "%s/emptydir", fx->roots[1]);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/link", fx->roots[1]);
		assert_int_equal(symlink("a", p), 0);
	}
	*state = fx;
	return 0;
}

static int
walk_teardown(void **state)
{
	walk_fix *fx = *state;

	nftw(fx->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Walks roots and compares with the brute-force answer over names[]. */
static void
check_walk_names(const char *const *roots, size_t nroots,
    const char *const *names, size_t n, const char *prefix, const char *after,
    size_t cap)
{
	const char **sorted = calloc(n + 1, sizeof(*sorted));
	size_t nwant = 0;
	size_t k = 0;
	http_lso_walk *w = NULL;
	const char *name;
	const char *path;
	size_t root;
	ais_err err;

	assert_non_null(sorted);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(names[i], prefix, strlen(prefix)) == 0
		    && strcmp(names[i], after) > 0) {
			sorted[nwant++] = names[i];
		}
	}
	qsort(sorted, nwant, sizeof(sorted[0]), cmp_str);
	assert_int_equal(
	    http_lso_walk_open(roots, nroots, prefix, after, cap, &w), AIS_OK);
	while ((err = http_lso_walk_next(w, &name, &path, &root)) == AIS_OK) {
		char want_path[PATH_MAX];

		if (k >= nwant || strcmp(name, sorted[k]) != 0) {
			fail_msg("prefix \"%s\" after \"%s\" cap %zu: #%zu is "
			         "\"%s\", want \"%s\"",
			    prefix, after, cap, k, name,
			    k < nwant ? sorted[k] : "(end)");
		}
		snprintf(
		    want_path, sizeof(want_path), "%s/%s", roots[root], name);
		assert_string_equal(path, want_path);
		assert_int_equal(access(path, F_OK), 0);
		k++;
	}
	assert_int_equal(err, AIS_ENOENT);
	if (k != nwant) {
		fail_msg("prefix \"%s\" after \"%s\" cap %zu: %zu names, want "
		         "%zu",
		    prefix, after, cap, k, nwant);
	}
	/* and it stays at the end */
	assert_int_equal(
	    http_lso_walk_next(w, &name, &path, &root), AIS_ENOENT);
	http_lso_walk_close(w);
	free(sorted);
}

static void
check_walk(walk_fix *fx, const char *prefix, const char *after, size_t cap)
{
	const char *roots[2] = { fx->roots[0], fx->roots[1] };

	check_walk_names(roots, 2, tree, ARRLEN(tree), prefix, after, cap);
}

static void
test_walk_bruteforce(void **state)
{
	walk_fix *fx = *state;
	static const char *const prefixes[] = { "", "a", "a/", "a/b", "a/b/",
		"b", "a.", "c d", "img/", "img", "zz/zz/zz", "q", "\xc3" };
	static const size_t caps[] = { 1, 2, 3, 5, 1000 };
	const char *afters[ARRLEN(tree) + 6];
	size_t na = 0;

	afters[na++] = "";
	for (size_t i = 0; i < ARRLEN(tree); i++) {
		afters[na++] = tree[i];
	}
	afters[na++] = "a/"; /* a directory-like token */
	afters[na++] = "a/b/c/d";
	afters[na++] = "0";
	afters[na++] = "\xff";
	afters[na++] = "img/0002";
	for (size_t p = 0; p < ARRLEN(prefixes); p++) {
		for (size_t a = 0; a < na; a++) {
			for (size_t c = 0; c < ARRLEN(caps); c++) {
				check_walk(
				    fx, prefixes[p], afters[a], caps[c]);
			}
		}
	}
}

static void
test_walk_big_dir(void **state)
{
	walk_fix *fx = *state;
	const char *roots[1];
	char root[512];
	char **names = calloc(750, sizeof(*names));
	size_t n = 0;
	http_lso_walk *w = NULL;
	const char *got;
	static const char *const afters[]
	    = { "", "f0100", "d020/g2", "d020", "d049/g4", "e" };
	static const char *const prefixes[]
	    = { "", "f01", "d0", "d02", "d020/" };
	static const size_t caps[] = { 1, 3, 64, 10000 };

	assert_non_null(names);
	snprintf(root, sizeof(root), "%s/big", fx->dir);
	mkdir(root, 0755);
	/* 500 files and 50 directories of 5 in one directory, created in a
	 * scrambled order */
	for (int i = 0; i < 500; i++) {
		names[n] = malloc(16);
		snprintf(names[n], 16, "f%04d", (i * 7919) % 500);
		mkfile(root, names[n++], 0);
	}
	for (int i = 0; i < 250; i++) {
		int x = (i * 37) % 250;

		names[n] = malloc(16);
		snprintf(names[n], 16, "d%03d/g%d", x / 5, x % 5);
		mkfile(root, names[n++], 0);
	}
	roots[0] = root;
	for (size_t a = 0; a < ARRLEN(afters); a++) {
		for (size_t p = 0; p < ARRLEN(prefixes); p++) {
			for (size_t c = 0; c < ARRLEN(caps); c++) {
				check_walk_names(roots, 1,
				    (const char *const *) names, n,
				    prefixes[p], afters[a], caps[c]);
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		free(names[i]);
	}
	free(names);

	/* a missing root is an empty walk */
	snprintf(root, sizeof(root), "%s/nope/%%ob", fx->dir);
	assert_int_equal(
	    http_lso_walk_open(roots, 1, "", NULL, 7, &w), AIS_OK);
	assert_int_equal(http_lso_walk_next(w, &got, NULL, NULL), AIS_ENOENT);
	http_lso_walk_close(w);
	http_lso_walk_close(NULL);
}

static void
test_tgt_page(void **state)
{
	walk_fix *fx = *state;
	const char *roots[2] = { fx->roots[0], fx->roots[1] };
	const char *mps[2] = { "/mp0", "/mp1" };
	http_lso_msg m;
	http_lso_page p;
	json_t *v;
	size_t total = 0;
	char last[AIS_OBJNAME_MAX + 1] = "";

	(void) state;
	/* page through everything, 4 at a time */
	v = json_pack("{s:i,s:s}", "pagesize", 4, "props",
	    "name,size,location,atime,copies");
	assert_int_equal(http_lso_msg_parse(v, &m, NULL, 0), AIS_OK);
	json_decref(v);
	snprintf(m.uuid, sizeof(m.uuid), "uuid1");
	for (int pages = 0; pages < 100; pages++) {
		http_lso_page_init(&p);
		assert_int_equal(
		    http_lso_tgt_page(roots, mps, 2, "T1", &m, &p), AIS_OK);
		assert_string_equal(p.uuid, "uuid1");
		for (size_t i = 0; i < p.n; i++) {
			assert_true(strcmp(p.ents[i].name, last) > 0);
			snprintf(last, sizeof(last), "%s", p.ents[i].name);
			assert_int_equal(p.ents[i].flags, HTTP_LSO_E_PRESENT);
			assert_int_equal(p.ents[i].copies, 1);
			assert_non_null(p.ents[i].atime);
			assert_true(
			    strncmp(p.ents[i].location, "t[T1]:mp[/mp", 12)
			    == 0);
		}
		total += p.n;
		if (p.n == 4) {
			assert_string_equal(p.token, p.ents[3].name);
		} else {
			assert_string_equal(p.token, "");
		}
		snprintf(m.token, sizeof(m.token), "%s", p.token);
		http_lso_page_fini(&p);
		if (m.token[0] == '\0') {
			break;
		}
	}
	assert_int_equal(total, ARRLEN(tree)); /* dup once */

	/* sizes from stat; name-only has no flags and no size */
	v = json_pack("{s:s,s:s}", "prefix", "a/b/c", "flags", "16");
	/* a/b/c.d a/b/c/d/e/f a/b/c/dd a/b/c0 a/b/cc */
	assert_int_equal(http_lso_msg_parse(v, &m, NULL, 0), AIS_OK);
	json_decref(v);
	http_lso_page_init(&p);
	assert_int_equal(
	    http_lso_tgt_page(roots, mps, 2, "T1", &m, &p), AIS_OK);
	assert_int_equal(p.n, 5);
	assert_string_equal(p.ents[0].name, "a/b/c.d");
	assert_string_equal(p.ents[4].name, "a/b/cc");
	for (size_t i = 0; i < p.n; i++) {
		assert_int_equal(p.ents[i].flags, 0);
		assert_int_equal(p.ents[i].size, 0);
	}
	http_lso_page_fini(&p);

	v = json_pack("{s:s}", "prefix", "a/b.");
	assert_int_equal(http_lso_msg_parse(v, &m, NULL, 0), AIS_OK);
	json_decref(v);
	http_lso_page_init(&p);
	assert_int_equal(
	    http_lso_tgt_page(roots, mps, 2, "T1", &m, &p), AIS_OK);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.ents[0].name, "a/b.c");
	assert_int_equal(p.ents[0].size, (int64_t) tree_index("a/b.c"));
	assert_null(p.ents[0].atime);
	http_lso_page_fini(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_defaults),
		cmocka_unit_test(test_msg_invalid),
		cmocka_unit_test(test_msg_roundtrip),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_msgpack),
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_time_fmt),
		cmocka_unit_test(test_custom_fmt),
		cmocka_unit_test(test_cname),
		cmocka_unit_test_setup_teardown(
		    test_walk_bruteforce, walk_setup, walk_teardown),
		cmocka_unit_test_setup_teardown(
		    test_walk_big_dir, walk_setup, walk_teardown),
		cmocka_unit_test_setup_teardown(
		    test_tgt_page, walk_setup, walk_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
