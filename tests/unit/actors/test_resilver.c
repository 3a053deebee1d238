/*
 * Unit tests for actors/node/resilver.c in temp dirs: after a mountpath is
 * added every object ends on its HRW mountpath with the same bytes, lom
 * xattr and mtime (rename and the cross-filesystem copy path); waiting_dd
 * mountpaths are emptied; copies at the destination are resolved by mtime;
 * namespaces and providers are walked; a superseded resilver is aborted
 * and joined by its successor; the job shows in the node registry.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "actors/node/resilver.h"
#include "core/fqn.h"
#include "core/hrw.h"
#include "core/lom.h"
#include "core/xreg.h"

#define NMP  3
#define NOBJ 120

typedef struct fixture {
	char dir[64];
	char mp[NMP][128];
	ais_mpath mps[NMP];
} fixture;

static int
setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ais-rsl-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	char dir[64];
	memcpy(dir, fx->dir, sizeof(dir));
	for (int i = 0; i < NMP; i++) {
		snprintf(fx->mp[i], sizeof(fx->mp[i]), "%s/mp%d", dir, i);
		assert_int_equal(mkdir(fx->mp[i], 0755), 0);
		assert_int_equal(
		    ais_mpath_init(&fx->mps[i], fx->mp[i]), AIS_OK);
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	fixture *fx = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static size_t
test_hrw(const ais_mpath *mps, size_t n, const char *prov, const char *ns,
    const char *bck, const char *obj)
{
	char u[512];
	size_t ul = ais_uname(u, sizeof(u), prov, ns, bck, obj);
	assert_true(ul > 0);
	return ais_hrw_mpath(mps, n, ais_hrw_digest(u, ul));
}

static void
test_mkdirs(const char *path)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	}
}

/* Writes an object file with content "<obj>:<tag>", a lom xattr and the
 * given mtime (seconds). */
static void
test_put(const char *mp, const char *prov, const char *ns, const char *bck,
    const char *obj, const char *tag, time_t mtime)
{
	char fqn[PATH_MAX], body[256];
	ais_lom_md md = { 0 };
	uint8_t buf[AIS_LOM_MAX];
	size_t len;

	assert_int_equal(
	    ais_fqn(fqn, sizeof(fqn), mp, prov, ns, bck, AIS_CT_OBJ, obj),
	    AIS_OK);
	test_mkdirs(fqn);
	int n = snprintf(body, sizeof(body), "%s:%s", obj, tag);
	FILE *f = fopen(fqn, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(body, 1, (size_t) n, f), (size_t) n);
	assert_int_equal(fclose(f), 0);
	md.size = n;
	md.cksum_type = AIS_CKSUM_NONE;
	snprintf(md.version, sizeof(md.version), "%s", tag);
	assert_int_equal(ais_lom_encode(&md, buf, sizeof(buf), &len), AIS_OK);
	assert_int_equal(setxattr(fqn, AIS_LOM_XATTR, buf, len, 0), 0);
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, fqn, ts, 0), 0);
}

/* The object is exactly on mp `want` (and nowhere else among mps), with
 * its bytes, version and mtime. */
static void
test_check(const fixture *fx, size_t nmp, size_t want, const char *prov,
    const char *ns, const char *bck, const char *obj, const char *tag,
    time_t mtime)
{
	char fqn[PATH_MAX], body[256], exp[256];
	struct stat st;

	for (size_t i = 0; i < nmp; i++) {
		assert_int_equal(ais_fqn(fqn, sizeof(fqn), fx->mp[i], prov, ns,
		                     bck, AIS_CT_OBJ, obj),
		    AIS_OK);
		if (i != want) {
			if (stat(fqn, &st) == 0) {
				fail_msg("%s: left on %s", obj, fx->mp[i]);
			}
			continue;
		}
		FILE *f = fopen(fqn, "r");
		if (f == NULL) {
			fail_msg("%s: missing on %s", obj, fx->mp[i]);
		}
		size_t n = fread(body, 1, sizeof(body) - 1, f);
		fclose(f);
		body[n] = '\0';
		snprintf(exp, sizeof(exp), "%s:%s", obj, tag);
		assert_string_equal(body, exp);
		ais_lom_md md;
		assert_int_equal(ais_lom_load(fqn, &md), AIS_OK);
		assert_string_equal(md.version, tag);
		assert_int_equal(md.size, (int64_t) strlen(exp));
		assert_int_equal(stat(fqn, &st), 0);
		assert_int_equal(st.st_mtim.tv_sec, mtime);
	}
}

/* Runs one resilver to the end; *moved from its job snapshot, *errors 1
 * if the job reported an error. */
static void
test_run(const ais_mpath *avail, size_t n, const ais_mpath *waiting, size_t nw,
    bool copy, int64_t *moved, int64_t *errors)
{
	ais_mpset *s = NULL;
	ais_resilver *r = NULL;
	ais_resilver_opts o = { .force_copy = copy };
	char id[AIS_XACT_ID_MAX + 1];
	ais_xact_snap snap;

	assert_int_equal(
	    ais_mpset_new_dd(avail, n, waiting, nw, NULL, 0, 2, &s), AIS_OK);
	assert_int_equal(ais_resilver_start(s, NULL, &o, &r), AIS_OK);
	ais_mpset_free_all(s); /* the resilver keeps its own copy */
	snprintf(id, sizeof(id), "%s", ais_resilver_id(r));
	ais_resilver_join_free(r);
	ais_xact *x = ais_xreg_find(ais_xreg_node(), id);
	assert_non_null(x);
	ais_xact_snap_get(x, &snap);
	ais_xact_rele(x);
	assert_string_equal(snap.kind, AIS_RESILVER_KIND);
	assert_true(snap.end_ns != 0);
	assert_false(snap.aborted);
	*moved = snap.objs;
	*errors = snap.err[0] != '\0';
	if (*errors) {
		print_message("resilver error: %s\n", snap.err);
	}
}

static void
test_add_mpath_common(void **state, bool copy)
{
	fixture *fx = *state;
	static const struct {
		const char *prov, *ns, *bck;
	} bk[] = { { "ais", "@#", "b1" }, { "ais", "@#ns1", "b2" },
		{ "aws", "@#", "b3" } };
	char obj[64];
	int64_t moved = 0, errors = 0;
	size_t expect = 0;

	for (int i = 0; i < NOBJ; i++) {
		const char *p = bk[i % 3].prov, *ns = bk[i % 3].ns,
		           *b = bk[i % 3].bck;
		snprintf(obj, sizeof(obj), "dir%d/obj-%d", i % 4, i);
		size_t at = test_hrw(fx->mps, 2, p, ns, b, obj);
		test_put(fx->mp[at], p, ns, b, obj, "v1", 1000000 + i);
		expect += test_hrw(fx->mps, 3, p, ns, b, obj) != at;
	}
	test_run(fx->mps, 3, NULL, 0, copy, &moved, &errors);
	assert_int_equal(errors, 0);
	assert_int_equal(moved, (int64_t) expect);
	/* About a third moves. */
	assert_true(expect > NOBJ / 6 && expect < NOBJ / 2);
	for (int i = 0; i < NOBJ; i++) {
		snprintf(obj, sizeof(obj), "dir%d/obj-%d", i % 4, i);
		test_check(fx, 3,
		    test_hrw(fx->mps, 3, bk[i % 3].prov, bk[i % 3].ns,
		        bk[i % 3].bck, obj),
		    bk[i % 3].prov, bk[i % 3].ns, bk[i % 3].bck, obj, "v1",
		    1000000 + i);
	}
	/* A second run finds nothing to do. */
	test_run(fx->mps, 3, NULL, 0, copy, &moved, &errors);
	assert_int_equal(moved, 0);
}

static void
test_add_mpath_rename(void **state)
{
	test_add_mpath_common(state, false);
}

static void
test_add_mpath_copy(void **state)
{
	test_add_mpath_common(state, true);
	/* No work files left behind by the copies. */
	fixture *fx = *state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
	    "test -z \"$(find '%s' -path '*%%wk*' -type f)\"", fx->dir);
	assert_int_equal(system(cmd), 0);
}

/* mp1 waiting for detach: everything on it moves to mp0/mp2. */
static void
test_waiting_emptied(void **state)
{
	fixture *fx = *state;
	char obj[64];
	int64_t moved = 0, errors = 0;
	ais_mpath avail[2] = { fx->mps[0], fx->mps[2] };

	for (int i = 0; i < 60; i++) {
		snprintf(obj, sizeof(obj), "o%d", i);
		size_t at = test_hrw(fx->mps, 3, "ais", "@#", "b", obj);
		test_put(fx->mp[at], "ais", "@#", "b", obj, "v1", 2000 + i);
	}
	test_run(avail, 2, &fx->mps[1], 1, false, &moved, &errors);
	assert_int_equal(errors, 0);
	for (int i = 0; i < 60; i++) {
		snprintf(obj, sizeof(obj), "o%d", i);
		size_t d = test_hrw(avail, 2, "ais", "@#", "b", obj);
		test_check(fx, 3, d == 0 ? 0 : 2, "ais", "@#", "b", obj, "v1",
		    2000 + i);
	}
	char cmd[256];
	snprintf(
	    cmd, sizeof(cmd), "test -z \"$(find '%s' -type f)\"", fx->mp[1]);
	assert_int_equal(system(cmd), 0);
}

/* Copies at the destination: the newer one wins, a tie keeps the
 * destination. */
static void
test_conflicts(void **state)
{
	fixture *fx = *state;
	char a[64] = "", b[64] = "";
	int64_t moved = 0, errors = 0;

	/* Two objects that live on mp0 over {0,1} but on mp2 over {0,1,2}. */
	for (int i = 0; i < 1000 && (a[0] == '\0' || b[0] == '\0'); i++) {
		char o[64];
		snprintf(o, sizeof(o), "c%d", i);
		if (test_hrw(fx->mps, 2, "ais", "@#", "b", o) == 0
		    && test_hrw(fx->mps, 3, "ais", "@#", "b", o) == 2) {
			snprintf(a[0] ? b : a, 64, "%s", o);
		}
	}
	assert_true(a[0] && b[0]);
	test_put(fx->mp[0], "ais", "@#", "b", a, "old", 100);
	test_put(fx->mp[2], "ais", "@#", "b", a, "new", 200); /* newer dst */
	test_put(fx->mp[0], "ais", "@#", "b", b, "new", 300); /* newer src */
	test_put(fx->mp[2], "ais", "@#", "b", b, "old", 100);
	test_run(fx->mps, 3, NULL, 0, false, &moved, &errors);
	assert_int_equal(errors, 0);
	test_check(fx, 3, 2, "ais", "@#", "b", a, "new", 200);
	test_check(fx, 3, 2, "ais", "@#", "b", b, "new", 300);
}

/* A resilver superseded by another: aborted, joined by the successor,
 * which finishes the work. */
static void
test_supersede(void **state)
{
	fixture *fx = *state;
	char obj[64];
	ais_mpset *s = NULL;
	ais_resilver *r1 = NULL, *r2 = NULL;
	ais_resilver_opts o = { 0 };

	for (int i = 0; i < 200; i++) {
		snprintf(obj, sizeof(obj), "s%d", i);
		size_t at = test_hrw(fx->mps, 2, "ais", "@#", "b", obj);
		test_put(fx->mp[at], "ais", "@#", "b", obj, "v1", 5000);
	}
	assert_int_equal(ais_mpset_new(fx->mps, 3, NULL, 0, 3, &s), AIS_OK);
	assert_int_equal(ais_resilver_start(s, NULL, &o, &r1), AIS_OK);
	char id1[AIS_XACT_ID_MAX + 1];
	snprintf(id1, sizeof(id1), "%s", ais_resilver_id(r1));
	assert_int_equal(ais_resilver_start(s, r1, &o, &r2), AIS_OK);
	ais_mpset_free_all(s);
	ais_resilver_join_free(r2);
	ais_xact *x1 = ais_xreg_find(ais_xreg_node(), id1);
	assert_non_null(x1);
	assert_true(ais_xact_finished(x1));
	ais_xact_rele(x1);
	for (int i = 0; i < 200; i++) {
		snprintf(obj, sizeof(obj), "s%d", i);
		test_check(fx, 3, test_hrw(fx->mps, 3, "ais", "@#", "b", obj),
		    "ais", "@#", "b", obj, "v1", 5000);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_add_mpath_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_add_mpath_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_waiting_emptied, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_supersede, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
