/*
 * metasync actor in one process: a node with a temporary confdir, the actor
 * started by a supervisor, pushes sent through the runtime exactly as a
 * primary would. Newer versions are persisted then published; equal ones are
 * no-ops; older ones are ignored (and never reach the disk); a Smap of
 * another cluster is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <nng/nng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actors/node/node.h"
#include "actors/node/node_actors.h"
#include "core/metafile.h"
#include "proto/msg.h"

typedef struct fixture {
	ais_node node;
	char dir[64];
} fixture;

static ais_smap *
test_smap(int64_t version, const char *uuid, size_t ntargets)
{
	ais_smap *m = NULL;
	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	ais_snode sn;
	assert_int_equal(ais_snode_init(&sn, "proxyAAA", AIS_ROLE_PROXY,
			     "127.0.0.1", 18080, 19080, 19081),
	    AIS_OK);
	assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	for (size_t i = 0; i < ntargets; i++) {
		char id[32];
		snprintf(id, sizeof(id), "target%02zu", i % 100);
		assert_int_equal(ais_snode_init(&sn, id, AIS_ROLE_TARGET,
				     "127.0.0.1", (uint16_t) (18100 + i),
				     (uint16_t) (19100 + 2 * i),
				     (uint16_t) (19101 + 2 * i)),
		    AIS_OK);
		assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	}
	m->version = version;
	snprintf(m->uuid, sizeof(m->uuid), "%s", uuid);
	snprintf(m->primary, sizeof(m->primary), "proxyAAA");
	return m;
}

static ais_err
test_push(fixture *fx, const ais_smap *m, int64_t *have)
{
	char *s = ais_smap_dumps(m);
	assert_non_null(s);
	Ais__MetaPush mp = AIS__META_PUSH__INIT;
	mp.smap_json = s;
	size_t len = ais__meta_push__get_packed_size(&mp);
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	ais__meta_push__pack(&mp, buf);
	act_reply_buf rep = { 0 };
	assert_int_equal(act_call(fx->node.rt, NULL, AIS_ACTOR_METASYNC,
			     AIS_MSG_META_PUSH, buf, len, 5000, &rep),
	    AIS_OK);
	assert_int_equal(rep.type, AIS_MSG_META_ACK);
	Ais__MetaAck *ack = ais__meta_ack__unpack(NULL, rep.len, rep.data);
	assert_non_null(ack);
	*have = ack->smap_version;
	ais__meta_ack__free_unpacked(ack, NULL);
	ais_err status = rep.status;
	act_reply_buf_fini(&rep);
	free(buf);
	free(s);
	return status;
}

static int64_t
test_persisted_version(fixture *fx)
{
	char path[PATH_MAX + 16], *text = NULL;
	size_t len = 0;
	ais_node_meta_path(&fx->node, "smap", path, sizeof(path));
	if (ais_metafile_load(path, &text, &len) != AIS_OK) {
		return -1;
	}
	ais_smap *m = NULL;
	assert_int_equal(ais_smap_loads(text, len, &m), AIS_OK);
	int64_t v = m->version;
	ais_smap_rele(m);
	free(text);
	return v;
}

static int
setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ais-msync-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	ais_node *n = &fx->node;
	n->role = AIS_ROLE_TARGET;
	snprintf(n->lcfg.confdir, sizeof(n->lcfg.confdir), "%s", fx->dir);
	assert_int_equal(ais_snode_init(&n->self, "target00", AIS_ROLE_TARGET,
			     "127.0.0.1", 18100, 19100, 19101),
	    AIS_OK);
	ais_node_snapslots_init(n);
	ais_cconfig *c = NULL;
	assert_int_equal(ais_cconfig_default(&c), AIS_OK);
	ais_snapslot_set(&n->ccfg, c);
	assert_int_equal(act_rt_open("target00", NULL, &n->rt), AIS_OK);
	act_sup_policy pol = { .max_restarts = 1, .window_ms = 1000,
		.backoff_min_ms = 10, .backoff_max_ms = 10 };
	assert_int_equal(act_sup_open(n->rt, &pol, &n->sup), AIS_OK);
	assert_int_equal(
	    act_sup_start_child(n->sup, &ais_metasync_ops, n, NULL), AIS_OK);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	fixture *fx = *state;
	act_sup_close(fx->node.sup);
	act_rt_close(fx->node.rt);
	ais_node_snapslots_fini(&fx->node);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static void
test_newer_applied_older_ignored(void **state)
{
	fixture *fx = *state;
	int64_t have = 0;

	ais_smap *v5 = test_smap(5, "clusterA", 3);
	assert_int_equal(test_push(fx, v5, &have), AIS_OK);
	assert_int_equal(have, 5);
	assert_int_equal(test_persisted_version(fx), 5);
	ais_smap *pub = ais_node_smap(&fx->node);
	assert_non_null(pub);
	assert_int_equal(pub->ntargets, 3);
	ais_smap_rele(pub);

	/* Same version again: nothing changes. */
	assert_int_equal(test_push(fx, v5, &have), AIS_OK);
	assert_int_equal(have, 5);

	/* Older version with different content: ignored, not persisted. */
	ais_smap *v3 = test_smap(3, "clusterA", 1);
	assert_int_equal(test_push(fx, v3, &have), AIS_OK);
	assert_int_equal(have, 5);
	assert_int_equal(test_persisted_version(fx), 5);
	pub = ais_node_smap(&fx->node);
	assert_int_equal(pub->version, 5);
	assert_int_equal(pub->ntargets, 3);
	ais_smap_rele(pub);

	/* Newer again: applied. */
	ais_smap *v6 = test_smap(6, "clusterA", 2);
	assert_int_equal(test_push(fx, v6, &have), AIS_OK);
	assert_int_equal(have, 6);
	assert_int_equal(test_persisted_version(fx), 6);

	ais_smap_rele(v3);
	ais_smap_rele(v5);
	ais_smap_rele(v6);
}

static void
test_foreign_refused(void **state)
{
	fixture *fx = *state;
	int64_t have = 0;
	ais_smap *a = test_smap(2, "clusterA", 1);
	ais_smap *b = test_smap(9, "clusterB", 1);
	assert_int_equal(test_push(fx, a, &have), AIS_OK);
	assert_int_equal(test_push(fx, b, &have), AIS_ECONFLICT);
	assert_int_equal(have, 2);
	assert_int_equal(test_persisted_version(fx), 2);
	ais_smap_rele(a);
	ais_smap_rele(b);
}

static void
test_malformed_rejected(void **state)
{
	fixture *fx = *state;
	Ais__MetaPush mp = AIS__META_PUSH__INIT;
	mp.smap_json = "{\"version\": \"not a number\"";
	uint8_t buf[256];
	size_t len = ais__meta_push__pack(&mp, buf);
	act_reply_buf rep = { 0 };
	assert_int_equal(act_call(fx->node.rt, NULL, AIS_ACTOR_METASYNC,
			     AIS_MSG_META_PUSH, buf, len, 5000, &rep),
	    AIS_OK);
	assert_int_equal(rep.status, AIS_EPROTO);
	act_reply_buf_fini(&rep);
	/* Garbage that is not even a protobuf. */
	assert_int_equal(act_call(fx->node.rt, NULL, AIS_ACTOR_METASYNC,
			     AIS_MSG_META_PUSH, "\xff\xff\xff", 3, 5000, &rep),
	    AIS_OK);
	assert_int_not_equal(rep.status, AIS_OK);
	act_reply_buf_fini(&rep);
	assert_int_equal(test_persisted_version(fx), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_newer_applied_older_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_malformed_rejected, setup,
		    teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	nng_fini();
	return rc;
}
