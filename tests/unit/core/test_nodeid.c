/*
 * Unit tests for core/nodeid: ID syntax, random IDs, create-then-reload
 * through <confdir>/.ais.node_id, explicit IDs and conflicts, and the
 * target copy in the user.ais.daemon_id xattr of each mountpath (skipped
 * where /tmp has no user xattrs).
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/metafile.h"
#include "core/nodeid.h"

#define ARRLEN(a) (sizeof(a) / sizeof((a)[0]))
#define XATTR "user.ais.daemon_id"
#define NMP 3

typedef struct nid_fixture {
	char root[64];           /* mkdtemp; everything lives under it */
	char confdir[128];       /* root/conf/sub: does not exist yet */
	char idfile[192];
	char mp[NMP][128];
	char *mps[NMP];
	char err[512];
} nid_fixture;

static int
nid_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void) sb;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static int
nid_setup(void **state)
{
	nid_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return -1;
	}
	snprintf(f->root, sizeof(f->root), "/tmp/ais_test_nodeid.XXXXXX");
	if (mkdtemp(f->root) == NULL) {
		free(f);
		return -1;
	}
	char root[sizeof(f->root)];
	memcpy(root, f->root, sizeof(root));
	snprintf(f->confdir, sizeof(f->confdir), "%s/conf/sub", root);
	snprintf(f->idfile, sizeof(f->idfile), "%s/.ais.node_id",
	    f->confdir);
	for (int i = 0; i < NMP; i++) {
		snprintf(f->mp[i], sizeof(f->mp[i]), "%s/mp%d", root, i);
		if (mkdir(f->mp[i], 0755) != 0) {
			return -1;
		}
		f->mps[i] = f->mp[i];
	}
	*state = f;
	return 0;
}

static int
nid_teardown(void **state)
{
	nid_fixture *f = *state;

	nftw(f->root, nid_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void
test_nodeid_valid(void **state)
{
	static const char *const good[] = {
		"a", "Z", "0", "abc123", "a-b_c", "ABCdef09", "x_y",
		"12345678901234567890123456789012",
	};
	static const char *const bad[] = {
		"", "-a", "a-", "_a", "a_", "a b", "a.b", "a/b", "a:b",
		"123456789012345678901234567890123", "\xc3\xa9",
	};

	(void) state;
	for (size_t i = 0; i < ARRLEN(good); i++) {
		if (!ais_nodeid_valid(good[i])) {
			fail_msg("rejected \"%s\"", good[i]);
		}
	}
	for (size_t i = 0; i < ARRLEN(bad); i++) {
		if (ais_nodeid_valid(bad[i])) {
			fail_msg("accepted \"%s\"", bad[i]);
		}
	}
	assert_false(ais_nodeid_valid(NULL));
}

static void
test_nodeid_random(void **state)
{
	char a[AIS_ID_MAX + 1], b[AIS_ID_MAX + 1];
	int letters_first = 0;

	(void) state;
	for (int i = 0; i < 200; i++) {
		ais_nodeid_random(a, 8);
		assert_int_equal(strlen(a), 8);
		assert_true(ais_nodeid_valid(a));
		for (size_t k = 0; k < 8; k++) {
			char ch = a[k];
			assert_true((ch >= 'a' && ch <= 'z') ||
			    (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9'));
		}
		if ((a[0] >= 'a' && a[0] <= 'z') ||
		    (a[0] >= 'A' && a[0] <= 'Z')) {
			letters_first++;
		}
	}
	assert_int_equal(letters_first, 200);
	ais_nodeid_random(a, 8);
	ais_nodeid_random(b, 8);
	assert_string_not_equal(a, b);
	ais_nodeid_random(a, AIS_ID_MAX);
	assert_int_equal(strlen(a), AIS_ID_MAX);
	ais_nodeid_random(a, AIS_ID_MAX + 10); /* clamped */
	assert_int_equal(strlen(a), AIS_ID_MAX);
	ais_nodeid_random(a, 0);
	assert_string_equal(a, "");
}

static void
test_nodeid_create_reload(void **state)
{
	nid_fixture *f = *state;
	char id[AIS_ID_MAX + 1] = "", again[AIS_ID_MAX + 1] = "";
	struct stat st;

	assert_int_equal(ais_nodeid_load_or_create(f->confdir, NULL, 0, NULL,
	    id, f->err, sizeof(f->err)), AIS_OK);
	assert_int_equal(strlen(id), 8);
	assert_true(ais_nodeid_valid(id));
	assert_int_equal(stat(f->idfile, &st), 0); /* confdir was created */

	assert_int_equal(ais_nodeid_load_or_create(f->confdir, NULL, 0, "",
	    again, f->err, sizeof(f->err)), AIS_OK);
	assert_string_equal(id, again);

	/* The same ID asked for explicitly is fine; another one is not. */
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, NULL, 0, id,
	    again, f->err, sizeof(f->err)), AIS_OK);
	assert_string_equal(id, again);
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, NULL, 0,
	    "someoneElse", again, f->err, sizeof(f->err)), AIS_ECONFLICT);
	assert_non_null(strstr(f->err, "someoneElse"));
	assert_non_null(strstr(f->err, id));
	assert_null(strchr(f->err, '\n'));
}

static void
test_nodeid_want(void **state)
{
	nid_fixture *f = *state;
	char id[AIS_ID_MAX + 1] = "";
	char *payload = NULL;
	size_t len = 0;

	assert_int_equal(ais_nodeid_load_or_create(f->confdir, NULL, 0, "-x",
	    id, f->err, sizeof(f->err)), AIS_EINVAL);
	assert_non_null(strstr(f->err, "\"-x\""));

	assert_int_equal(ais_nodeid_load_or_create(f->confdir, NULL, 0,
	    "p1-node", id, f->err, sizeof(f->err)), AIS_OK);
	assert_string_equal(id, "p1-node");
	assert_int_equal(ais_metafile_load(f->idfile, &payload, &len),
	    AIS_OK);
	assert_non_null(strstr(payload, "p1-node"));
	free(payload);
	id[0] = '\0';
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, NULL, 0, NULL,
	    id, f->err, sizeof(f->err)), AIS_OK);
	assert_string_equal(id, "p1-node");
}

static void
test_nodeid_bad_file(void **state)
{
	nid_fixture *f = *state;
	char id[AIS_ID_MAX + 1] = "";
	FILE *fp;

	/* A well-formed metafile without a usable ID. */
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, NULL, 0, NULL,
	    id, f->err, sizeof(f->err)), AIS_OK);
	assert_int_equal(ais_metafile_save(f->idfile, "{\"daemon_id\": 5}",
	    16), AIS_OK);
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, NULL, 0, NULL,
	    id, f->err, sizeof(f->err)), AIS_EINVAL);
	assert_non_null(strstr(f->err, f->idfile));

	/* A torn file is reported, never silently replaced. */
	fp = fopen(f->idfile, "w");
	assert_non_null(fp);
	fputs("garbage", fp);
	fclose(fp);
	assert_int_not_equal(ais_nodeid_load_or_create(f->confdir, NULL, 0,
	    NULL, id, f->err, sizeof(f->err)), AIS_OK);
	assert_non_null(strstr(f->err, f->idfile));

	/* confdir that is a file. */
	assert_int_equal(ais_nodeid_load_or_create(f->idfile, NULL, 0, NULL,
	    id, f->err, sizeof(f->err)) != AIS_OK, true);
	assert_int_equal(ais_nodeid_load_or_create("", NULL, 0, NULL, id,
	    f->err, sizeof(f->err)), AIS_EINVAL);
}

static bool
nid_xattr_supported(const char *dir)
{
	if (setxattr(dir, "user.ais.probe", "1", 1, 0) != 0) {
		return false;
	}
	removexattr(dir, "user.ais.probe");
	return true;
}

static void
nid_xattr_get(const char *dir, char *buf, size_t n)
{
	ssize_t got = getxattr(dir, XATTR, buf, n - 1);

	assert_true(got > 0);
	buf[got] = '\0';
}

static void
test_nodeid_target_xattr(void **state)
{
	nid_fixture *f = *state;
	char id[AIS_ID_MAX + 1] = "", again[AIS_ID_MAX + 1] = "";
	char x[AIS_ID_MAX + 1];

	if (!nid_xattr_supported(f->mp[0])) {
		/* Object metadata lives in user xattrs too: a machine without
		 * them cannot run AIStore-C, so this is a failure, not a skip. */
		fail_msg("user xattrs are not supported under %s", f->mp[0]);
	}
	/* Two mountpaths first; the third joins later. */
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, f->mps, 2,
	    NULL, id, f->err, sizeof(f->err)), AIS_OK);
	for (int i = 0; i < 2; i++) {
		nid_xattr_get(f->mp[i], x, sizeof(x));
		assert_string_equal(x, id);
	}
	assert_int_equal(getxattr(f->mp[2], XATTR, x, sizeof(x)), -1);

	/* A new disk gets the ID written. */
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, f->mps, NMP,
	    NULL, again, f->err, sizeof(f->err)), AIS_OK);
	assert_string_equal(id, again);
	nid_xattr_get(f->mp[2], x, sizeof(x));
	assert_string_equal(x, id);

	/* confdir lost: the disks bring the ID back (and refill confdir). */
	assert_int_equal(unlink(f->idfile), 0);
	again[0] = '\0';
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, f->mps, NMP,
	    NULL, again, f->err, sizeof(f->err)), AIS_OK);
	assert_string_equal(id, again);
	assert_int_equal(access(f->idfile, F_OK), 0);

	/* Asking for a different ID than the disks hold. */
	assert_int_equal(unlink(f->idfile), 0);
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, f->mps, NMP,
	    "other", again, f->err, sizeof(f->err)), AIS_ECONFLICT);
	assert_non_null(strstr(f->err, "other"));
	assert_non_null(strstr(f->err, f->mp[0]));

	/* Disks disagreeing with each other (or with confdir). */
	assert_int_equal(setxattr(f->mp[1], XATTR, "stranger", 8, 0), 0);
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, f->mps, NMP,
	    NULL, again, f->err, sizeof(f->err)), AIS_ECONFLICT);
	assert_non_null(strstr(f->err, f->mp[1]));
	assert_non_null(strstr(f->err, "stranger"));
	assert_non_null(strstr(f->err, id));
	assert_null(strchr(f->err, '\n'));

	assert_int_equal(setxattr(f->mp[1], XATTR, id, strlen(id), 0), 0);
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, f->mps, NMP,
	    NULL, again, f->err, sizeof(f->err)), AIS_OK);
	assert_int_equal(setxattr(f->mp[2], XATTR, "stranger", 8, 0), 0);
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, f->mps, NMP,
	    NULL, again, f->err, sizeof(f->err)), AIS_ECONFLICT);
	assert_non_null(strstr(f->err, f->idfile));
	assert_non_null(strstr(f->err, f->mp[2]));

	/* Garbage in the xattr is not an ID. */
	assert_int_equal(setxattr(f->mp[2], XATTR, "bad id!", 7, 0), 0);
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, f->mps, NMP,
	    NULL, again, f->err, sizeof(f->err)), AIS_EINVAL);
	assert_non_null(strstr(f->err, f->mp[2]));
}

static void
test_nodeid_target_fresh_want(void **state)
{
	nid_fixture *f = *state;
	char id[AIS_ID_MAX + 1] = "";
	char x[AIS_ID_MAX + 1];

	if (!nid_xattr_supported(f->mp[0])) {
		/* Object metadata lives in user xattrs too: a machine without
		 * them cannot run AIStore-C, so this is a failure, not a skip. */
		fail_msg("user xattrs are not supported under %s", f->mp[0]);
	}
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, f->mps, NMP,
	    "t1", id, f->err, sizeof(f->err)), AIS_OK);
	assert_string_equal(id, "t1");
	for (int i = 0; i < NMP; i++) {
		nid_xattr_get(f->mp[i], x, sizeof(x));
		assert_string_equal(x, "t1");
	}
}

static void
test_nodeid_xattr_unsupported(void **state)
{
	nid_fixture *f = *state;
	char id[AIS_ID_MAX + 1] = "", again[AIS_ID_MAX + 1] = "";
	char buf[8];
	char *mps[1] = { "/proc" };

	/* procfs has no user xattrs: a warning, and the confdir copy only. */
	if (getxattr("/proc", XATTR, buf, sizeof(buf)) >= 0 ||
	    errno != ENOTSUP) {
		fail_msg("/proc unexpectedly supports user xattrs: cannot "
			 "exercise the ENOTSUP path");
	}
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, mps, 1, NULL,
	    id, f->err, sizeof(f->err)), AIS_OK);
	assert_true(ais_nodeid_valid(id));
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, mps, 1, NULL,
	    again, f->err, sizeof(f->err)), AIS_OK);
	assert_string_equal(id, again);
}

static void
test_nodeid_missing_mountpath(void **state)
{
	nid_fixture *f = *state;
	char id[AIS_ID_MAX + 1] = "";
	char missing[160];
	char *mps[1] = { missing };

	snprintf(missing, sizeof(missing), "%s/nope", f->root);
	assert_int_not_equal(ais_nodeid_load_or_create(f->confdir, mps, 1,
	    NULL, id, f->err, sizeof(f->err)), AIS_OK);
	assert_non_null(strstr(f->err, missing));
	assert_int_equal(ais_nodeid_load_or_create(f->confdir, NULL, 1, NULL,
	    id, f->err, sizeof(f->err)), AIS_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodeid_valid),
		cmocka_unit_test(test_nodeid_random),
		cmocka_unit_test_setup_teardown(test_nodeid_create_reload,
		    nid_setup, nid_teardown),
		cmocka_unit_test_setup_teardown(test_nodeid_want, nid_setup,
		    nid_teardown),
		cmocka_unit_test_setup_teardown(test_nodeid_bad_file,
		    nid_setup, nid_teardown),
		cmocka_unit_test_setup_teardown(test_nodeid_target_xattr,
		    nid_setup, nid_teardown),
		cmocka_unit_test_setup_teardown(test_nodeid_target_fresh_want,
		    nid_setup, nid_teardown),
		cmocka_unit_test_setup_teardown(test_nodeid_xattr_unsupported,
		    nid_setup, nid_teardown),
		cmocka_unit_test_setup_teardown(test_nodeid_missing_mountpath,
		    nid_setup, nid_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
