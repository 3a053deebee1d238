/*
 * Unit tests for mountpath admin: the set layout and MountpathList JSON
 * (core/mpset), path cleaning and validation of a new mountpath, the
 * persisted state (.ais.vmd) and the startup rule, and the "mpath" actor
 * end to end in temp dirs -- attach (xattr, persistence, errors), disable,
 * enable, detach with a resilver that empties the mountpath before it
 * leaves the set, and a restart of the actor from the persisted state.
 */
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

#include "actors/node/mpath.h"
#include "actors/node/node.h"
#include "core/fqn.h"
#include "core/mpset.h"
#include "core/xreg.h"
#include "proto/msg.h"

#define TEST_ID "targetAA"

typedef struct fixture {
	ais_node node;
	char dir[64];
	char mp[4][128]; /* mp0, mp1 configured; mp2 spare; file */
	char vmdfile[128];
} fixture;

static int
setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ais-mpa-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	for (int i = 0; i < 3; i++) {
		snprintf(fx->mp[i], sizeof(fx->mp[i]), "%s/mp%d", fx->dir, i);
		assert_int_equal(mkdir(fx->mp[i], 0755), 0);
	}
	snprintf(fx->mp[3], sizeof(fx->mp[3]), "%s/file", fx->dir);
	FILE *f = fopen(fx->mp[3], "w");
	assert_non_null(f);
	fclose(f);
	snprintf(
	    fx->vmdfile, sizeof(fx->vmdfile), "%s/%s", fx->dir, AIS_VMD_FILE);
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

/* core: sets, paths, validation, persistence ----------------------------- */

static void
test_set_layout(void **state)
{
	fixture *fx = *state;
	ais_mpath m[3];
	ais_mpset *s = NULL;
	bool dis = false;

	for (int i = 0; i < 3; i++) {
		assert_int_equal(ais_mpath_init(&m[i], fx->mp[i]), AIS_OK);
	}
	assert_int_equal(
	    ais_mpset_new_dd(&m[0], 1, &m[1], 1, &m[2], 1, 7, &s), AIS_OK);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->nwaiting, 1);
	assert_int_equal(s->ndisabled, 2);
	/* waiting is contiguous with avail and heads disabled */
	assert_string_equal(s->avail[1].path, fx->mp[1]);
	assert_ptr_equal(s->waiting, s->disabled);
	assert_int_equal(ais_mpset_find(s, fx->mp[2], &dis), 1);
	assert_true(dis);
	json_t *j = ais_mpset_to_json(s);
	char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char want[512];
	snprintf(want, sizeof(want),
	    "{\"available\":[\"%s\"],\"waiting_dd\":[\"%s\"],"
	    "\"disabled\":[\"%s\"]}",
	    fx->mp[0], fx->mp[1], fx->mp[2]);
	assert_string_equal(txt, want);
	free(txt);
	json_decref(j);
	ais_mpset_free_all(s);
	/* Empty lists are [] (clients iterate them). */
	assert_int_equal(ais_mpset_new(NULL, 0, NULL, 0, 1, &s), AIS_OK);
	j = ais_mpset_to_json(s);
	txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(
	    txt, "{\"available\":[],\"waiting_dd\":[],\"disabled\":[]}");
	free(txt);
	json_decref(j);
	ais_mpset_free_all(s);
}

static void
test_paths(void **state)
{
	char out[PATH_MAX], e[256];
	(void) state;

	assert_int_equal(
	    ais_mpath_clean("//a//b/", out, sizeof(out), e, sizeof(e)), 0);
	assert_string_equal(out, "/a/b");
	assert_int_equal(
	    ais_mpath_clean("a/b", out, sizeof(out), e, sizeof(e)),
	    AIS_EINVAL);
	assert_non_null(strstr(e, "absolute"));
	assert_int_equal(
	    ais_mpath_clean("/a/../b", out, sizeof(out), e, sizeof(e)),
	    AIS_EINVAL);
	assert_int_equal(
	    ais_mpath_clean("/", out, sizeof(out), e, sizeof(e)), AIS_EINVAL);
	assert_int_equal(
	    ais_mpath_clean("", out, sizeof(out), e, sizeof(e)), AIS_EINVAL);
	assert_true(ais_mpath_within("/a/b", "/a"));
	assert_true(ais_mpath_within("/a", "/a"));
	assert_false(ais_mpath_within("/ab", "/a"));
	assert_false(ais_mpath_within("/a", "/a/b"));
}

static void
test_check_new(void **state)
{
	fixture *fx = *state;
	ais_vmd *v = calloc(1, sizeof(*v));
	char e[512], p[256];

	assert_non_null(v);
	snprintf(v->mps[0].path, PATH_MAX, "%s", fx->mp[0]);
	v->n = 1;
	assert_int_equal(ais_vmd_check_new(v, fx->mp[1], e, sizeof(e)), 0);
	assert_int_equal(
	    ais_vmd_check_new(v, fx->mp[0], e, sizeof(e)), AIS_EEXIST);
	assert_non_null(strstr(e, "already attached"));
	assert_int_equal(
	    ais_vmd_check_new(v, fx->mp[3], e, sizeof(e)), AIS_EINVAL);
	assert_non_null(strstr(e, "not a directory"));
	snprintf(p, sizeof(p), "%s/nope", fx->dir);
	assert_int_equal(ais_vmd_check_new(v, p, e, sizeof(e)), AIS_EINVAL);
	snprintf(p, sizeof(p), "%s/sub", fx->mp[0]);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(ais_vmd_check_new(v, p, e, sizeof(e)), AIS_EINVAL);
	assert_non_null(strstr(e, "nested"));
	assert_int_equal(
	    ais_vmd_check_new(v, fx->dir, e, sizeof(e)), AIS_EINVAL);
	/* Another name of an attached directory. */
	snprintf(p, sizeof(p), "%s/alias", fx->dir);
	assert_int_equal(symlink(fx->mp[0], p), 0);
	assert_int_equal(ais_vmd_check_new(v, p, e, sizeof(e)), AIS_EEXIST);
	assert_non_null(strstr(e, "same directory"));
	free(v);
}

static void
test_vmd_persist_startup(void **state)
{
	fixture *fx = *state;
	ais_vmd *v = calloc(1, sizeof(*v)), *w = calloc(1, sizeof(*w));
	char *fsp[3] = { fx->mp[0], fx->mp[1], fx->mp[2] };
	char *lbl[3] = { "l0", "", "" };
	char e[256];
	bool changed = false;

	assert_non_null(v);
	assert_non_null(w);
	/* No file: the config's fspaths. */
	assert_int_equal(
	    ais_vmd_startup(fx->vmdfile, fsp, lbl, 2, v, &changed), AIS_OK);
	assert_true(changed);
	assert_int_equal(v->n, 2);
	assert_string_equal(v->mps[0].label, "l0");
	assert_int_equal(v->version, 1);
	/* The admin detaches mp1, disables mp0... */
	v->n = 1;
	v->mps[0].state = AIS_MP_DISABLED;
	assert_int_equal(ais_vmd_save(fx->vmdfile, v), AIS_OK);
	assert_int_equal(ais_vmd_load(fx->vmdfile, w, e, sizeof(e)), AIS_OK);
	assert_int_equal(w->n, 1);
	assert_int_equal(w->mps[0].state, AIS_MP_DISABLED);
	assert_int_equal(w->ncfg, 2);
	/* ...the restart keeps that; the config's new mp2 is attached. */
	assert_int_equal(
	    ais_vmd_startup(fx->vmdfile, fsp, lbl, 3, w, &changed), AIS_OK);
	assert_true(changed);
	assert_int_equal(w->n, 2);
	assert_string_equal(w->mps[0].path, fx->mp[0]);
	assert_int_equal(w->mps[0].state, AIS_MP_DISABLED);
	assert_string_equal(w->mps[1].path, fx->mp[2]);
	assert_int_equal(w->mps[1].state, AIS_MP_ENABLED);
	assert_int_equal(ais_vmd_find(w, fx->mp[1]), -1);
	assert_int_equal(w->ncfg, 3);
	assert_int_equal(ais_vmd_save(fx->vmdfile, w), AIS_OK);
	/* Same again: nothing changes. */
	assert_int_equal(
	    ais_vmd_startup(fx->vmdfile, fsp, lbl, 3, v, &changed), AIS_OK);
	assert_false(changed);
	/* A mountpath whose directory is gone comes back disabled. */
	assert_int_equal(rmdir(fx->mp[2]), 0);
	assert_int_equal(
	    ais_vmd_startup(fx->vmdfile, fsp, lbl, 3, v, &changed), AIS_OK);
	assert_true(changed);
	assert_int_equal(v->mps[1].state, AIS_MP_DISABLED);
	/* Set layout from the state: detaching -> waiting. */
	v->mps[0].state = AIS_MP_DETACHING;
	v->mps[1].state = AIS_MP_ENABLED;
	ais_mpset *s = NULL;
	assert_int_equal(ais_vmd_to_mpset(v, 9, &s), AIS_OK);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->nwaiting, 1);
	assert_string_equal(s->waiting[0].path, fx->mp[0]);
	ais_mpset_free_all(s);
	/* A corrupt file: the config's fspaths, logged. */
	FILE *f = fopen(fx->vmdfile, "w");
	fputs("garbage", f);
	fclose(f);
	assert_int_equal(ais_vmd_load(fx->vmdfile, w, e, sizeof(e)) != 0, 1);
	assert_int_equal(
	    ais_vmd_startup(fx->vmdfile, fsp, lbl, 2, w, &changed), AIS_OK);
	assert_true(changed);
	assert_int_equal(w->n, 2);
	free(v);
	free(w);
}

/* The actor ----------------------------------------------------------------
 */

static void
test_node_start(fixture *fx)
{
	ais_node *n = &fx->node;
	char *fsp[2] = { fx->mp[0], fx->mp[1] };
	ais_vmd *v = calloc(1, sizeof(*v));
	ais_mpset *set = NULL;
	bool changed;

	n->role = AIS_ROLE_TARGET;
	snprintf(n->lcfg.confdir, sizeof(n->lcfg.confdir), "%s", fx->dir);
	assert_int_equal(ais_snode_init(&n->self, TEST_ID, AIS_ROLE_TARGET,
	                     "127.0.0.1", 18080, 19080, 19081),
	    AIS_OK);
	ais_node_snapslots_init(n);
	/* as cmd/aisnode's node_mpaths_load */
	assert_non_null(v);
	assert_int_equal(
	    ais_vmd_startup(fx->vmdfile, fsp, NULL, 2, v, &changed), AIS_OK);
	if (changed) {
		assert_int_equal(ais_vmd_save(fx->vmdfile, v), AIS_OK);
	}
	assert_int_equal(ais_vmd_to_mpset(v, v->version, &set), AIS_OK);
	free(v);
	ais_node_mpset_publish(n, set);
	assert_int_equal(act_rt_open(TEST_ID, NULL, &n->rt), AIS_OK);
	act_sup_policy pol = { .max_restarts = 1,
		.window_ms = 1000,
		.backoff_min_ms = 10,
		.backoff_max_ms = 10 };
	assert_int_equal(act_sup_open(n->rt, &pol, &n->sup), AIS_OK);
	assert_int_equal(
	    act_sup_start_child(n->sup, &ais_mpath_ops, n, NULL), AIS_OK);
}

static void
test_node_stop(fixture *fx)
{
	act_sup_close(fx->node.sup);
	act_rt_close(fx->node.rt);
	ais_node_snapslots_fini(&fx->node);
	memset(&fx->node, 0, sizeof(fx->node));
}

/* One request: status, resilver id and error text. */
static ais_err
test_req(fixture *fx, const char *action, const char *path, bool dntres,
    char *id, char *errbuf)
{
	Ais__MpathReq rq = AIS__MPATH_REQ__INIT;
	act_reply_buf rep = { 0 };
	uint8_t buf[1024];

	rq.action = (char *) action;
	rq.path = (char *) path;
	rq.dont_resilver = dntres;
	size_t len = ais__mpath_req__pack(&rq, buf);
	assert_int_equal(act_call(fx->node.rt, NULL, AIS_ACTOR_MPATH,
	                     AIS_MSG_MPATH_REQ, buf, len, 5000, &rep),
	    AIS_OK);
	ais_err st = rep.status;
	errbuf[0] = id[0] = '\0';
	if (rep.errmsg) {
		snprintf(errbuf, 512, "%s", rep.errmsg);
	}
	if (st == AIS_OK) {
		Ais__MpathResp *r
		    = ais__mpath_resp__unpack(NULL, rep.len, rep.data);
		assert_non_null(r);
		snprintf(id, AIS_XACT_ID_MAX + 1, "%s", r->resilver_id);
		ais__mpath_resp__free_unpacked(r, NULL);
	}
	act_reply_buf_fini(&rep);
	return st;
}

static char *
test_list(fixture *fx)
{
	json_t *j = ais_mpset_to_json(ais_node_mpset(&fx->node));
	char *t = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	return t;
}

static void
test_put_obj(const char *mp, const char *obj)
{
	char fqn[512], dir[PATH_MAX];
	assert_int_equal(
	    ais_fqn(fqn, sizeof(fqn), mp, "ais", "@#", "b", AIS_CT_OBJ, obj),
	    AIS_OK);
	snprintf(dir, sizeof(dir), "mkdir -p \"$(dirname '%s')\"", fqn);
	assert_int_equal(system(dir), 0);
	FILE *f = fopen(fqn, "w");
	assert_non_null(f);
	fputs(obj, f);
	fclose(f);
}

/* Waits (bounded) until mp is no longer in the set. */
static bool
test_wait_gone(fixture *fx, const char *mp)
{
	for (int i = 0; i < 500; i++) {
		if (ais_mpset_find(ais_node_mpset(&fx->node), mp, NULL) < 0) {
			return true;
		}
		usleep(10000);
	}
	return false;
}

static void
test_actor(void **state)
{
	fixture *fx = *state;
	char id[64], e[512], p[512], want[1024];
	char *t;

	test_node_start(fx);
	/* bad input */
	assert_int_equal(
	    test_req(fx, "attach-mp", "rel/x", false, id, e), AIS_EINVAL);
	assert_non_null(strstr(e, "absolute"));
	assert_int_equal(
	    test_req(fx, "attach-mp", fx->mp[3], false, id, e), AIS_EINVAL);
	assert_int_equal(
	    test_req(fx, "attach-mp", fx->mp[0], false, id, e), AIS_EEXIST);
	snprintf(p, sizeof(p), "%s/", fx->mp[1]); /* same, trailing slash */
	assert_int_equal(
	    test_req(fx, "attach-mp", p, false, id, e), AIS_EEXIST);
	assert_int_equal(
	    test_req(fx, "attach-mp", "", false, id, e), AIS_EINVAL);
	assert_int_equal(
	    test_req(fx, "explode-mp", fx->mp[2], false, id, e), AIS_EINVAL);
	assert_int_equal(
	    test_req(fx, "detach-mp", fx->mp[2], false, id, e), AIS_ENOENT);
	assert_non_null(strstr(e, "not attached"));

	/* objects on mp0/mp1, then attach mp2 */
	for (int i = 0; i < 30; i++) {
		char o[32];
		snprintf(o, sizeof(o), "o%d", i);
		test_put_obj(fx->mp[i % 2], o);
	}
	assert_int_equal(
	    test_req(fx, "attach-mp", fx->mp[2], false, id, e), AIS_OK);
	assert_true(strlen(id) >= 9); /* a job ID */
	char xid[64];
	ssize_t xl
	    = getxattr(fx->mp[2], "user.ais.daemon_id", xid, sizeof(xid) - 1);
	assert_true(xl > 0);
	xid[xl] = '\0';
	assert_string_equal(xid, TEST_ID);
	t = test_list(fx);
	snprintf(want, sizeof(want),
	    "{\"available\":[\"%s\",\"%s\",\"%s\"],\"waiting_dd\":[],"
	    "\"disabled\":[]}",
	    fx->mp[0], fx->mp[1], fx->mp[2]);
	assert_string_equal(t, want);
	free(t);

	/* disable mp2, then mp1: the last one stays */
	assert_int_equal(
	    test_req(fx, "disable-mp", fx->mp[2], true, id, e), AIS_OK);
	assert_string_equal(id, "");
	assert_int_equal(
	    test_req(fx, "disable-mp", fx->mp[2], false, id, e), AIS_OK);
	assert_int_equal(
	    test_req(fx, "disable-mp", fx->mp[1], false, id, e), AIS_OK);
	assert_int_equal(
	    test_req(fx, "disable-mp", fx->mp[0], false, id, e), AIS_EINVAL);
	assert_non_null(strstr(e, "last available"));
	assert_int_equal(
	    test_req(fx, "detach-mp", fx->mp[0], false, id, e), AIS_EINVAL);
	assert_int_equal(
	    test_req(fx, "enable-mp", fx->mp[1], false, id, e), AIS_OK);
	assert_int_equal(
	    test_req(fx, "enable-mp", fx->mp[2], false, id, e), AIS_OK);
	assert_int_equal(
	    test_req(fx, "rescan-mp", fx->mp[2], false, id, e), AIS_OK);
	assert_true(strlen(id) >= 9);
	assert_int_equal(
	    test_req(fx, "fshc-mp", fx->mp[2], false, id, e), AIS_OK);

	/* detach mp0: waiting first, then gone once emptied */
	assert_int_equal(
	    test_req(fx, "detach-mp", fx->mp[0], false, id, e), AIS_OK);
	assert_true(test_wait_gone(fx, fx->mp[0]));
	snprintf(p, sizeof(p), "test -z \"$(find '%s' -type f)\"", fx->mp[0]);
	assert_int_equal(system(p), 0);
	snprintf(p, sizeof(p),
	    "test \"$(find '%s' '%s' -path '*%%ob*' -type f | wc -l)\" = 30",
	    fx->mp[1], fx->mp[2]);
	assert_int_equal(system(p), 0);
	t = test_list(fx);
	snprintf(want, sizeof(want),
	    "{\"available\":[\"%s\",\"%s\"],\"waiting_dd\":[],"
	    "\"disabled\":[]}",
	    fx->mp[1], fx->mp[2]);
	assert_string_equal(t, want);
	free(t);

	/* disable mp2, restart: same state from .ais.vmd */
	assert_int_equal(
	    test_req(fx, "disable-mp", fx->mp[2], true, id, e), AIS_OK);
	t = test_list(fx);
	test_node_stop(fx);
	test_node_start(fx);
	char *t2 = test_list(fx);
	assert_string_equal(t, t2);
	free(t);
	free(t2);
	/* detach a disabled one: at once, no resilver */
	assert_int_equal(
	    test_req(fx, "detach-mp", fx->mp[2], false, id, e), AIS_OK);
	assert_string_equal(id, "");
	assert_int_equal(
	    ais_mpset_find(ais_node_mpset(&fx->node), fx->mp[2], NULL), -1);
	test_node_stop(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_set_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_check_new, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_vmd_persist_startup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_actor, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
