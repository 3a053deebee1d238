/*
 * buckets actor in one process: a primary proxy (metasync + buckets over
 * inproc) takes create/destroy/set/reset requests and publishes each change
 * as a new BMD version; errors come back with the AIS wording; a node that
 * is not the primary refuses. Also the target side of a BMD change
 * (ais_tgt_bmd_changed): a destroyed or re-created bucket's directories
 * leave every mountpath.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "actors/node/node.h"
#include "actors/node/node_actors.h"
#include "core/bprops.h"
#include "core/fqn.h"
#include "core/jsonx.h"
#include "proto/msg.h"

#define TEST_ID "proxyAAA"

typedef struct fixture {
	ais_node node;
	char dir[64];
} fixture;

static void
test_publish(ais_node *n, bool primary)
{
	ais_smap *m = NULL;
	ais_bmd *b = NULL;
	ais_cconfig *c = NULL;
	ais_snode sn;

	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	assert_int_equal(ais_snode_init(&sn, TEST_ID, AIS_ROLE_PROXY,
	                     "127.0.0.1", 18080, 19080, 19081),
	    AIS_OK);
	assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	m->version = 1;
	snprintf(m->uuid, sizeof(m->uuid), "clusterA");
	snprintf(m->primary, sizeof(m->primary), "%s",
	    primary ? TEST_ID : "proxyZZZ");
	ais_snapslot_set(&n->smap, m);
	assert_int_equal(ais_bmd_alloc(&b), AIS_OK);
	b->version = 1;
	snprintf(b->uuid, sizeof(b->uuid), "clusterA");
	ais_snapslot_set(&n->bmd, b);
	assert_int_equal(ais_cconfig_default(&c), AIS_OK);
	ais_snapslot_set(&n->ccfg, c);
}

static int
setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ais-bck-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	ais_node *n = &fx->node;
	n->role = AIS_ROLE_PROXY;
	snprintf(n->lcfg.confdir, sizeof(n->lcfg.confdir), "%s", fx->dir);
	assert_int_equal(ais_snode_init(&n->self, TEST_ID, AIS_ROLE_PROXY,
	                     "127.0.0.1", 18080, 19080, 19081),
	    AIS_OK);
	ais_node_snapslots_init(n);
	test_publish(n, true);
	assert_int_equal(act_rt_open(TEST_ID, NULL, &n->rt), AIS_OK);
	act_sup_policy pol = { .max_restarts = 1,
		.window_ms = 1000,
		.backoff_min_ms = 10,
		.backoff_max_ms = 10 };
	assert_int_equal(act_sup_open(n->rt, &pol, &n->sup), AIS_OK);
	assert_int_equal(
	    act_sup_start_child(n->sup, &ais_metasync_ops, n, NULL), AIS_OK);
	assert_int_equal(
	    act_sup_start_child(n->sup, &ais_buckets_ops, n, NULL), AIS_OK);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	fixture *fx = *state;
	if (fx->node.sup != NULL) {
		act_sup_close(fx->node.sup);
	}
	if (fx->node.rt != NULL) {
		act_rt_close(fx->node.rt);
	}
	ais_node_snapslots_fini(&fx->node);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

/* One request; returns the status, the new version in *ver (if OK) and
 * the error text in errbuf. */
static ais_err
test_req(fixture *fx, const char *action, const char *ns, const char *name,
    const char *value, int64_t *ver, char *errbuf, size_t errlen)
{
	Ais__BckReq rq = AIS__BCK_REQ__INIT;
	act_reply_buf rep = { 0 };
	rq.action = (char *) action;
	rq.provider = "ais";
	rq.ns = (char *) ns;
	rq.name = (char *) name;
	rq.value_json = (char *) (value ? value : "");
	uint8_t buf[1024];
	size_t len = ais__bck_req__get_packed_size(&rq);
	assert_true(len <= sizeof(buf));
	ais__bck_req__pack(&rq, buf);
	assert_int_equal(act_call(fx->node.rt, NULL, AIS_ACTOR_BUCKETS,
	                     AIS_MSG_BCK_REQ, buf, len, 5000, &rep),
	    AIS_OK);
	ais_err st = rep.status;
	if (errbuf != NULL) {
		snprintf(errbuf, errlen, "%s", rep.errmsg ? rep.errmsg : "");
	}
	if (st == AIS_OK) {
		assert_int_equal(rep.type, AIS_MSG_BCK_RESP);
		Ais__BckResp *r
		    = ais__bck_resp__unpack(NULL, rep.len, rep.data);
		assert_non_null(r);
		if (ver != NULL) {
			*ver = r->bmd_version;
		}
		ais__bck_resp__free_unpacked(r, NULL);
	}
	act_reply_buf_fini(&rep);
	return st;
}

static json_t *
test_props_of(fixture *fx, const char *ns, const char *name)
{
	ais_bmd *b = ais_node_bmd(&fx->node);
	const ais_bck *k = ais_bmd_get(b, "ais", ns, name);
	json_t *p = k ? json_deep_copy(k->props) : NULL;
	ais_bmd_rele(b);
	return p;
}

static void
test_create_destroy(void **state)
{
	fixture *fx = *state;
	char err[512];
	int64_t v = 0;

	assert_int_equal(
	    test_req(fx, "create-bck", "", "abc", NULL, &v, err, sizeof(err)),
	    AIS_OK);
	assert_int_equal(v, 2);
	json_t *p = test_props_of(fx, "", "abc");
	assert_non_null(p);
	ais_bprops view;
	assert_int_equal(ais_bprops_view(p, &view), AIS_OK);
	assert_true(view.bid != 0);
	assert_true(view.created > 0);
	assert_int_equal(view.cksum, AIS_CKSUM_XXHASH2);
	json_decref(p);

	assert_int_equal(test_req(fx, "create-bck", "", "abc", "null", NULL,
	                     err, sizeof(err)),
	    AIS_EEXIST);
	assert_string_equal(err, "bucket \"ais://abc\" already exists");

	/* with props, and in a local namespace */
	assert_int_equal(
	    test_req(fx, "create-bck", "@#prod", "abc",
	        "{\"checksum\": {\"type\": \"md5\"}}", &v, err, sizeof(err)),
	    AIS_OK);
	assert_int_equal(v, 3);
	p = test_props_of(fx, "@#prod", "abc");
	assert_non_null(p);
	assert_string_equal(
	    json_string_value(ais_json_path(p, "checksum.type")), "md5");
	json_decref(p);

	/* bad props / bad names: nothing published */
	assert_int_equal(
	    test_req(fx, "create-bck", "", "x",
	        "{\"mirror\": {\"copies\": 99}}", NULL, err, sizeof(err)),
	    AIS_EINVAL);
	assert_non_null(strstr(err, "ais://x"));
	assert_non_null(strstr(err, "mirror.copies"));
	assert_int_equal(test_req(fx, "create-bck", "", "..bad", NULL, NULL,
	                     err, sizeof(err)),
	    AIS_EINVAL);
	assert_int_equal(
	    test_req(fx, "create-bck", "", "x",
	        "{\"ec\": {\"enabled\": true}}", NULL, err, sizeof(err)),
	    AIS_EINVAL);
	assert_non_null(strstr(err, "targets"));
	assert_int_equal(test_req(fx, "create-bck", "", "x",
	                     "{\"backend_bck\": {\"name\": \"r\", "
	                     "\"provider\": \"aws\"}}",
	                     NULL, err, sizeof(err)),
	    AIS_EINVAL);
	assert_int_equal(test_req(fx, "create-bck", "", "x", "{bad", NULL, err,
	                     sizeof(err)),
	    AIS_EINVAL);
	assert_int_equal(test_req(fx, "rename-bck", "", "abc", NULL, NULL, err,
	                     sizeof(err)),
	    AIS_EINVAL);
	ais_bmd *b = ais_node_bmd(&fx->node);
	assert_int_equal(b->version, 3);
	assert_int_equal(b->nbcks, 2);
	ais_bmd_rele(b);

	assert_int_equal(
	    test_req(fx, "destroy-bck", "", "abc", NULL, &v, err, sizeof(err)),
	    AIS_OK);
	assert_int_equal(v, 4);
	assert_null(test_props_of(fx, "", "abc"));
	assert_int_equal(test_req(fx, "destroy-bck", "", "abc", NULL, NULL,
	                     err, sizeof(err)),
	    AIS_ENOENT);
	assert_string_equal(err, "bucket \"ais://abc\" does not exist");
	assert_int_equal(test_req(fx, "destroy-bck", "@#prod", "nope", NULL,
	                     NULL, err, sizeof(err)),
	    AIS_ENOENT);
	assert_string_equal(err, "bucket \"ais://#prod/nope\" does not exist");

	/* Re-created: a new BID. */
	p = test_props_of(fx, "@#prod", "abc");
	uint64_t bid1 = 0, bid2 = 0;
	assert_int_equal(ais_json_uint64(p, "bid", &bid1), AIS_OK);
	json_decref(p);
	assert_int_equal(test_req(fx, "destroy-bck", "@#prod", "abc", NULL,
	                     NULL, err, sizeof(err)),
	    AIS_OK);
	assert_int_equal(test_req(fx, "create-bck", "@#prod", "abc", NULL,
	                     NULL, err, sizeof(err)),
	    AIS_OK);
	p = test_props_of(fx, "@#prod", "abc");
	assert_int_equal(ais_json_uint64(p, "bid", &bid2), AIS_OK);
	json_decref(p);
	assert_true(bid1 != bid2);
}

static void
test_set_reset(void **state)
{
	fixture *fx = *state;
	char err[512];
	int64_t v = 0;

	assert_int_equal(test_req(fx, "set-bprops", "", "abc",
	                     "{\"versioning\": {\"enabled\": false}}", NULL,
	                     err, sizeof(err)),
	    AIS_ENOENT);
	assert_int_equal(
	    test_req(fx, "create-bck", "", "abc", NULL, &v, err, sizeof(err)),
	    AIS_OK);
	json_t *orig = test_props_of(fx, "", "abc");
	assert_int_equal(test_req(fx, "set-bprops", "", "abc",
	                     "{\"checksum\": {\"type\": \"md5\"}, "
	                     "\"versioning\": {\"enabled\": false}}",
	                     &v, err, sizeof(err)),
	    AIS_OK);
	assert_int_equal(v, 3);
	json_t *p = test_props_of(fx, "", "abc");
	assert_string_equal(
	    json_string_value(ais_json_path(p, "checksum.type")), "md5");
	assert_true(json_is_false(ais_json_path(p, "versioning.enabled")));
	json_decref(p);

	assert_int_equal(test_req(fx, "set-bprops", "", "abc",
	                     "{\"checksum\": {\"type\": \"nope\"}}", NULL, err,
	                     sizeof(err)),
	    AIS_EINVAL);
	assert_non_null(strstr(err, "checksum.type"));
	assert_int_equal(test_req(fx, "set-bprops", "", "abc", NULL, NULL, err,
	                     sizeof(err)),
	    AIS_EINVAL);

	assert_int_equal(test_req(fx, "reset-bprops", "", "abc", NULL, &v, err,
	                     sizeof(err)),
	    AIS_OK);
	assert_int_equal(v, 4);
	p = test_props_of(fx, "", "abc");
	/* Back to the defaults, same identity. */
	assert_true(json_equal(p, orig));
	json_decref(p);
	json_decref(orig);
}

static void
test_not_primary(void **state)
{
	fixture *fx = *state;
	char err[512];

	test_publish(&fx->node, false);
	assert_int_equal(test_req(fx, "create-bck", "", "abc", NULL, NULL, err,
	                     sizeof(err)),
	    AIS_EPERM);
	assert_non_null(strstr(err, "not the primary"));
}

/* Target side ----------------------------------------------------------------
 */

static ais_bmd *
test_bmd_with(int64_t version, const char *name, uint64_t bid)
{
	ais_bmd *b = NULL;
	json_t *p = NULL;
	assert_int_equal(ais_bmd_alloc(&b), AIS_OK);
	b->version = version;
	if (name != NULL) {
		assert_int_equal(
		    ais_bprops_new(NULL, "ais", bid, 1, &p), AIS_OK);
		assert_int_equal(ais_bmd_add(b, "ais", NULL, name, p), AIS_OK);
		json_decref(p);
	}
	return b;
}

static bool
test_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static void
test_mkobj(const char *mp, const char *bck)
{
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof(cmd),
	    "mkdir -p '%s/@ais/%s/%%ob/d' && "
	    "echo x > '%s/@ais/%s/%%ob/d/x'",
	    mp, bck, mp, bck);
	assert_int_equal(system(cmd), 0);
}

/* Waits (bounded) for the background remover to empty the trash. */
static bool
test_trash_empty(const char *mp)
{
	char trash[PATH_MAX];
	snprintf(trash, sizeof(trash), "%s/.ais.trash", mp);
	for (int i = 0; i < 400; i++) {
		char cmd[PATH_MAX + 64];
		snprintf(cmd, sizeof(cmd), "[ -z \"$(ls -A '%s')\" ]", trash);
		if (system(cmd) == 0) {
			return true;
		}
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static void
test_tgt_bmd_changed(void **state)
{
	fixture *fx = *state;
	ais_node t;
	char mp[2][256], path[PATH_MAX]; /* temp dirs: short paths */
	ais_mpath mps[2];
	ais_mpset *set = NULL;

	memset(&t, 0, sizeof(t));
	t.role = AIS_ROLE_TARGET;
	for (int i = 0; i < 2; i++) {
		snprintf(mp[i], sizeof(mp[i]), "%s/mp%d", fx->dir, i);
		assert_int_equal(mkdir(mp[i], 0755), 0);
		assert_int_equal(ais_mpath_init(&mps[i], mp[i]), AIS_OK);
		test_mkobj(mp[i], "abc");
		test_mkobj(mp[i], "keep");
	}
	assert_int_equal(ais_mpset_new(mps, 2, NULL, 0, 1, &set), AIS_OK);
	ais_node_mpset_publish(&t, set);

	/* old: abc + keep; new: keep only */
	ais_bmd *old = test_bmd_with(2, "abc", 100);
	json_t *kp = NULL;
	assert_int_equal(ais_bprops_new(NULL, "ais", 7, 1, &kp), AIS_OK);
	assert_int_equal(ais_bmd_add(old, "ais", NULL, "keep", kp), AIS_OK);
	ais_bmd *nw = test_bmd_with(3, "keep", 7);

	/* A proxy never touches disks. */
	t.role = AIS_ROLE_PROXY;
	ais_tgt_bmd_changed(&t, old, nw);
	snprintf(path, sizeof(path), "%s/@ais/abc/%%ob/d/x", mp[0]);
	assert_true(test_exists(path));
	t.role = AIS_ROLE_TARGET;

	ais_tgt_bmd_changed(&t, old, nw);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/@ais/abc", mp[i]);
		assert_false(test_exists(path)); /* gone at once (renamed) */
		snprintf(path, sizeof(path), "%s/@ais/keep/%%ob/d/x", mp[i]);
		assert_true(test_exists(path));
		assert_true(test_trash_empty(mp[i]));
	}

	/* Same name, different BID: re-created, old data goes. */
	ais_bmd *again = test_bmd_with(4, "keep", 8);
	ais_tgt_bmd_changed(&t, nw, again);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/@ais/keep", mp[i]);
		assert_false(test_exists(path));
		assert_true(test_trash_empty(mp[i]));
	}
	/* No old BMD, nothing to compare: no-op. */
	ais_tgt_bmd_changed(&t, NULL, again);

	json_decref(kp);
	ais_bmd_rele(old);
	ais_bmd_rele(nw);
	ais_bmd_rele(again);
	ais_mpset_free_all(atomic_exchange(&t.mps, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_create_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_set_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_not_primary, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_tgt_bmd_changed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
