/*
 * Unit tests for core/smap: id_digest vectors (spec/smap-bmd.md 4.4), node
 * add/update/del/lookup, and the JSON wire form -- exact text, round trips,
 * huge unsigned id_digest values, and rejection of malformed maps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/smap.h"

static void
test_node(ais_snode *sn, const char *id, ais_role role, uint16_t base)
{
	assert_int_equal(ais_snode_init(sn, id, role, "127.0.0.1", base,
	                     (uint16_t) (base + 1), (uint16_t) (base + 2)),
	    AIS_OK);
}

/* p1 (primary), p2, t1, t2, t3; version 17. */
static ais_smap *
test_smap_make(void)
{
	ais_smap *m = NULL;
	ais_snode sn;
	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	test_node(&sn, "t2", AIS_ROLE_TARGET, 9100);
	assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	test_node(&sn, "p2", AIS_ROLE_PROXY, 8090);
	assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	test_node(&sn, "t1", AIS_ROLE_TARGET, 9000);
	sn.flags = AIS_SNODE_MAINT;
	assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	test_node(&sn, "p1", AIS_ROLE_PROXY, 8080);
	sn.flags = AIS_SNODE_IC;
	assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	test_node(&sn, "t3", AIS_ROLE_TARGET, 9200);
	assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	snprintf(m->primary, sizeof(m->primary), "p1");
	snprintf(m->uuid, sizeof(m->uuid), "Xq9-cluster");
	snprintf(m->creation_time, sizeof(m->creation_time),
	    "2025-01-02 03:04:05.000000006 +0000 UTC");
	m->version = 17;
	return m;
}

static void
test_smap_id_digest_vectors(void **state)
{
	(void) state;
	assert_true(ais_id_digest("t1") == 14214570646889990061ULL);
	assert_true(ais_id_digest("t2") == 17780131176456335389ULL);
	assert_true(ais_id_digest("t3") == 7900451649967436292ULL);
}

static void
test_smap_snode_init(void **state)
{
	ais_snode sn;
	char longid[AIS_ID_MAX + 2];
	(void) state;
	assert_int_equal(ais_snode_init(&sn, "t1", AIS_ROLE_TARGET, "10.0.0.1",
	                     51081, 51082, 51083),
	    AIS_OK);
	assert_string_equal(sn.id, "t1");
	assert_int_equal(sn.role, AIS_ROLE_TARGET);
	assert_string_equal(sn.pub.host, "10.0.0.1");
	assert_int_equal(sn.pub.port, 51081);
	assert_string_equal(sn.pub.url, "http://10.0.0.1:51081");
	assert_string_equal(sn.ctrl.url, "tcp://10.0.0.1:51082");
	assert_string_equal(sn.data.url, "tcp://10.0.0.1:51083");
	assert_true(sn.id_digest == 14214570646889990061ULL);
	assert_true(sn.flags == 0);

	assert_int_equal(
	    ais_snode_init(&sn, "p1", AIS_ROLE_PROXY, "::1", 1, 2, 3), AIS_OK);
	assert_string_equal(sn.pub.url, "http://[::1]:1");

	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(ais_snode_init(&sn, longid, AIS_ROLE_PROXY, "h", 1,
	                     2, 3),
	    AIS_EINVAL);
	longid[AIS_ID_MAX] = '\0'; /* exactly AIS_ID_MAX is fine */
	assert_int_equal(ais_snode_init(&sn, longid, AIS_ROLE_PROXY, "h", 1,
	                     2, 3),
	    AIS_OK);
	assert_int_equal(
	    ais_snode_init(&sn, "", AIS_ROLE_PROXY, "h", 1, 2, 3), AIS_EINVAL);
	assert_int_equal(
	    ais_snode_init(&sn, "x", AIS_ROLE_PROXY, "", 1, 2, 3), AIS_EINVAL);
	assert_int_equal(ais_snode_init(&sn, "a b", AIS_ROLE_PROXY, "h", 1, 2,
	                     3),
	    AIS_EINVAL);
	assert_int_equal(
	    ais_snode_init(&sn, "x", (ais_role) 7, "h", 1, 2, 3), AIS_EINVAL);
}

static void
test_smap_add_get_del(void **state)
{
	ais_smap *m = test_smap_make();
	ais_snode sn;
	const ais_snode *g;
	(void) state;
	assert_int_equal(ais_smap_count(m), 5);
	assert_int_equal(m->nproxies, 2);
	assert_int_equal(m->ntargets, 3);
	/* sorted by id regardless of insertion order */
	assert_string_equal(m->proxies[0].id, "p1");
	assert_string_equal(m->proxies[1].id, "p2");
	assert_string_equal(m->targets[0].id, "t1");
	assert_string_equal(m->targets[1].id, "t2");
	assert_string_equal(m->targets[2].id, "t3");

	g = ais_smap_get(m, "t2");
	assert_non_null(g);
	assert_int_equal(g->pub.port, 9100);
	assert_true(g->id_digest == 17780131176456335389ULL);
	assert_null(ais_smap_get(m, "nope"));
	assert_non_null(ais_smap_primary(m));
	assert_string_equal(ais_smap_primary(m)->id, "p1");

	/* duplicate ids, also across roles */
	test_node(&sn, "t1", AIS_ROLE_TARGET, 1000);
	assert_int_equal(ais_smap_add(m, &sn), AIS_EEXIST);
	test_node(&sn, "t1", AIS_ROLE_PROXY, 1000);
	assert_int_equal(ais_smap_add(m, &sn), AIS_EEXIST);

	/* a stale digest never gets stored */
	test_node(&sn, "t4", AIS_ROLE_TARGET, 9300);
	sn.id_digest = 42;
	assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	assert_true(ais_smap_get(m, "t4")->id_digest == ais_id_digest("t4"));

	/* update */
	test_node(&sn, "t2", AIS_ROLE_TARGET, 9999);
	sn.flags = AIS_SNODE_DECOMM;
	assert_int_equal(ais_smap_update(m, &sn), AIS_OK);
	assert_int_equal(ais_smap_get(m, "t2")->pub.port, 9999);
	assert_true(ais_smap_get(m, "t2")->flags == AIS_SNODE_DECOMM);
	test_node(&sn, "t9", AIS_ROLE_TARGET, 9999);
	assert_int_equal(ais_smap_update(m, &sn), AIS_ENOENT);
	test_node(&sn, "t2", AIS_ROLE_PROXY, 9999);
	assert_int_equal(ais_smap_update(m, &sn), AIS_EINVAL);

	/* del */
	assert_int_equal(ais_smap_del(m, "t4"), AIS_OK);
	assert_int_equal(ais_smap_del(m, "t4"), AIS_ENOENT);
	assert_null(ais_smap_get(m, "t4"));
	assert_int_equal(ais_smap_del(m, "p1"), AIS_OK);
	assert_null(ais_smap_primary(m)); /* primary gone with its node */
	assert_string_equal(m->primary, "");
	assert_int_equal(ais_smap_count(m), 4);
	assert_int_equal(ais_smap_del(m, "p2"), AIS_OK);
	assert_int_equal(m->nproxies, 0);
	assert_null(m->proxies);
	ais_smap_rele(m);
	ais_smap_rele(NULL);
}

static void
test_smap_find_addr(void **state)
{
	ais_smap *m = test_smap_make();
	ais_snode sn;
	const ais_snode *hit;
	(void) state;
	/* same public address as t2 under a new id */
	test_node(&sn, "t7", AIS_ROLE_TARGET, 9100);
	hit = ais_smap_find_addr(m, &sn, NULL);
	assert_non_null(hit);
	assert_string_equal(hit->id, "t2");
	assert_true(ais_snode_same_addr(hit, &sn));
	/* excluded id: t2 re-registering itself is not a conflict */
	assert_null(ais_smap_find_addr(m, &sn, "t2"));
	/* control address only */
	test_node(&sn, "t8", AIS_ROLE_TARGET, 7000);
	sn.ctrl.port = 8081; /* p1's control port */
	hit = ais_smap_find_addr(m, &sn, NULL);
	assert_non_null(hit);
	assert_string_equal(hit->id, "p1");
	assert_false(ais_snode_same_addr(hit, &sn));
	/* different host */
	assert_int_equal(ais_snode_init(&sn, "t9", AIS_ROLE_TARGET, "10.9.9.9",
	                     9100, 9101, 9102),
	    AIS_OK);
	assert_null(ais_smap_find_addr(m, &sn, NULL));
	ais_smap_rele(m);
}

static void
test_smap_clone_refs(void **state)
{
	ais_smap *m = test_smap_make();
	ais_smap *c = NULL;
	(void) state;
	assert_int_equal(ais_smap_clone(m, &c), AIS_OK);
	assert_int_equal(atomic_load(&c->refs), 1);
	assert_int_equal(c->version, 17);
	assert_string_equal(c->uuid, m->uuid);
	assert_string_equal(ais_smap_primary(c)->id, "p1");
	assert_int_equal(ais_smap_del(c, "t1"), AIS_OK);
	assert_non_null(ais_smap_get(m, "t1")); /* deep copy */
	assert_int_equal(ais_smap_count(c), 4);

	ais_smap_hold(m);
	assert_int_equal(atomic_load(&m->refs), 2);
	ais_smap_rele(m);
	assert_int_equal(atomic_load(&m->refs), 1);
	ais_smap_rele(m);
	ais_smap_rele(c);
}

static void
test_smap_json_text(void **state)
{
	ais_smap *m = test_smap_make();
	ais_smap *m2 = NULL;
	char *s;
	char *s2;
	(void) state;
	s = ais_smap_dumps(m);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"version\":\"17\""));
	assert_non_null(strstr(s, "\"daemon_port\":\"8080\""));
	assert_non_null(strstr(s, "\"id_digest\":14214570646889990061"));
	assert_non_null(strstr(s, "\"id_digest\":17780131176456335389"));
	assert_non_null(strstr(s, "\"id_digest\":7900451649967436292"));
	assert_null(strstr(s, "\"id_digest\":\""));
	assert_non_null(strstr(s, "\"flags\":4"));
	assert_non_null(strstr(s, "\"daemon_type\":\"target\""));
	assert_non_null(strstr(s, "\"direct_url\":\"http://127.0.0.1:8080\""));
	assert_non_null(strstr(s, "\"proxy_si\":{"));
	assert_non_null(strstr(s, "\"uuid\":\"Xq9-cluster\""));
	assert_true(strncmp(s, "{\"pmap\":{\"p1\":", 14) == 0);

	assert_int_equal(ais_smap_loads(s, strlen(s), &m2), AIS_OK);
	assert_int_equal(m2->version, 17);
	assert_string_equal(m2->uuid, "Xq9-cluster");
	assert_string_equal(m2->creation_time, m->creation_time);
	assert_string_equal(ais_smap_primary(m2)->id, "p1");
	assert_int_equal(ais_smap_count(m2), 5);
	assert_true(ais_smap_get(m2, "t1")->id_digest ==
	    14214570646889990061ULL);
	assert_true(ais_smap_get(m2, "t1")->flags == AIS_SNODE_MAINT);
	assert_int_equal(ais_smap_get(m2, "t3")->data.port, 9202);
	s2 = ais_smap_dumps(m2);
	assert_non_null(s2);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	ais_smap_rele(m);
	ais_smap_rele(m2);
}

static void
test_smap_json_empty(void **state)
{
	ais_smap *m = NULL;
	ais_smap *m2 = NULL;
	char *s;
	(void) state;
	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	s = ais_smap_dumps(m);
	assert_string_equal(s,
	    "{\"pmap\":{},\"tmap\":{},\"uuid\":\"\",\"creation_time\":\"\","
	    "\"version\":\"0\"}");
	assert_int_equal(ais_smap_loads(s, strlen(s), &m2), AIS_OK);
	assert_int_equal(ais_smap_count(m2), 0);
	assert_null(ais_smap_primary(m2));
	free(s);
	ais_smap_rele(m);
	ais_smap_rele(m2);
}

/* The json_t form: exact values, never a lossy real. */
static void
test_smap_to_json_form(void **state)
{
	ais_smap *m = test_smap_make();
	ais_smap *m2 = NULL;
	json_t *j = ais_smap_to_json(m);
	json_t *t1;
	json_t *t3;
	(void) state;
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "version")),
	    "17");
	t1 = json_object_get(json_object_get(j, "tmap"), "t1");
	t3 = json_object_get(json_object_get(j, "tmap"), "t3");
	assert_string_equal(
	    json_string_value(json_object_get(t1, "id_digest")),
	    "14214570646889990061");
	assert_true(json_is_integer(json_object_get(t3, "id_digest")));
	assert_true(json_integer_value(json_object_get(t3, "id_digest")) ==
	    7900451649967436292LL);
	assert_int_equal(ais_smap_from_json(j, &m2), AIS_OK);
	assert_int_equal(ais_smap_count(m2), 5);
	json_decref(j);
	ais_smap_rele(m);
	ais_smap_rele(m2);
}

/* What real AIS sends: whitespace, numeric version, "ext", a huge
 * id_digest (which jansson alone cannot parse), a wrong one (ignored). */
static void
test_smap_loads_ais_text(void **state)
{
	static const char txt[] =
	    "{ \"pmap\": { \"p1\": {\"public_net\": {\"node_ip_addr\": \"h\", "
	    "\"daemon_port\": \"51080\", \"direct_url\": \"http://h:51080\"}, "
	    "\"intra_control_net\": {\"node_ip_addr\": \"h\", \"daemon_port\":"
	    " 51081, \"direct_url\": \"http://h:51081\"}, \"intra_data_net\": "
	    "{\"node_ip_addr\": \"h\", \"daemon_port\": \"51082\", "
	    "\"direct_url\": \"http://h:51082\"}, \"daemon_type\": \"proxy\", "
	    "\"daemon_id\": \"p1\", \"flags\": 3, \"id_digest\": 1} },\n"
	    "\"proxy_si\": {\"public_net\": {\"node_ip_addr\": \"h\", "
	    "\"daemon_port\": \"51080\", \"direct_url\": \"http://h:51080\"}, "
	    "\"intra_control_net\": {\"node_ip_addr\": \"h\", \"daemon_port\":"
	    " \"51081\", \"direct_url\": \"http://h:51081\"}, "
	    "\"intra_data_net\": {\"node_ip_addr\": \"h\", \"daemon_port\": "
	    "\"51082\", \"direct_url\": \"http://h:51082\"}, \"daemon_type\": "
	    "\"proxy\", \"daemon_id\": \"p1\", \"flags\": 3, "
	    "\"id_digest\": 1},"
	    "\"tmap\": { \"t1\": {\"public_net\": {\"node_ip_addr\": \"h\", "
	    "\"daemon_port\": \"51090\", \"direct_url\": \"http://h:51090\"}, "
	    "\"intra_control_net\": {\"node_ip_addr\": \"h\", \"daemon_port\":"
	    " \"51091\", \"direct_url\": \"\"}, \"intra_data_net\": "
	    "{\"node_ip_addr\": \"h\", \"daemon_port\": \"51092\", "
	    "\"direct_url\": \"\"}, \"daemon_type\": \"target\", "
	    "\"daemon_id\": \"t1\", \"flags\": 0, "
	    "\"id_digest\": 99999999999999999999999} },\n"
	    "\"uuid\": \"U-123\", \"creation_time\": \"now\", "
	    "\"version\": 5, \"ext\": {\"x\": [1, -2.5e3, "
	    "-99999999999999999999, \"18446744073709551616\"]} }";
	ais_smap *m = NULL;
	(void) state;
	assert_int_equal(ais_smap_loads(txt, strlen(txt), &m), AIS_OK);
	assert_int_equal(m->version, 5);
	assert_string_equal(m->uuid, "U-123");
	assert_string_equal(ais_smap_primary(m)->id, "p1");
	assert_int_equal(ais_smap_get(m, "p1")->ctrl.port, 51081);
	assert_true(ais_smap_get(m, "p1")->flags == 3);
	assert_true(ais_smap_get(m, "p1")->id_digest == ais_id_digest("p1"));
	assert_true(ais_smap_get(m, "t1")->id_digest ==
	    14214570646889990061ULL);
	ais_smap_rele(m);
}

/* Strings that look like the rewritten keys must survive untouched. */
static void
test_smap_json_tricky_strings(void **state)
{
	ais_smap *m = NULL;
	ais_smap *m2 = NULL;
	char *s;
	(void) state;
	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	snprintf(m->uuid, sizeof(m->uuid), "a\"id_digest\":\"12\"");
	snprintf(m->creation_time, sizeof(m->creation_time),
	    "99999999999999999999999");
	s = ais_smap_dumps(m);
	assert_non_null(s);
	assert_int_equal(ais_smap_loads(s, strlen(s), &m2), AIS_OK);
	assert_string_equal(m2->uuid, m->uuid);
	assert_string_equal(m2->creation_time, m->creation_time);
	free(s);
	ais_smap_rele(m);
	ais_smap_rele(m2);
}

static void
test_smap_snode_json(void **state)
{
	ais_snode sn;
	ais_snode out;
	json_t *j;
	(void) state;
	test_node(&sn, "t1", AIS_ROLE_TARGET, 8080);
	sn.flags = AIS_SNODE_NON_ELECTABLE | AIS_SNODE_MAINT_POST_REB;
	j = ais_snode_to_json(&sn);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(j, "public_net"),
	                        "daemon_port")),
	    "8080");
	assert_int_equal(ais_snode_from_json(j, &out), AIS_OK);
	assert_string_equal(out.id, sn.id);
	assert_int_equal(out.role, sn.role);
	assert_true(out.flags == sn.flags);
	assert_true(out.id_digest == sn.id_digest);
	assert_string_equal(out.pub.host, sn.pub.host);
	assert_string_equal(out.pub.url, sn.pub.url);
	assert_string_equal(out.ctrl.url, sn.ctrl.url);
	assert_string_equal(out.data.url, sn.data.url);
	assert_int_equal(out.pub.port, sn.pub.port);
	assert_int_equal(out.ctrl.port, sn.ctrl.port);
	assert_int_equal(out.data.port, sn.data.port);
	json_decref(j);
}

static void
test_smap_expect_bad(const char *txt)
{
	ais_smap *m = NULL;
	ais_err rc = ais_smap_loads(txt, strlen(txt), &m);
	if (rc != AIS_EINVAL) {
		print_error("accepted or wrong error %d: %s\n", rc, txt);
	}
	assert_int_equal(rc, AIS_EINVAL);
	assert_null(m);
}

#define TEST_NET(p)                                                       \
	"{\"node_ip_addr\":\"h\",\"daemon_port\":\"" p                    \
	"\",\"direct_url\":\"http://h:" p "\"}"
#define TEST_SNODE(id, type, port)                                        \
	"{\"public_net\":" TEST_NET(port) ",\"intra_control_net\":"       \
	    TEST_NET(port) ",\"intra_data_net\":" TEST_NET(port)          \
	    ",\"daemon_type\":\"" type "\",\"daemon_id\":\"" id "\","     \
	    "\"flags\":0,\"id_digest\":0}"

static void
test_smap_parse_errors(void **state)
{
	ais_smap *m = NULL;
	static const char good[] =
	    "{\"pmap\":{\"p1\":" TEST_SNODE("p1", "proxy", "1") "},"
	    "\"proxy_si\":" TEST_SNODE("p1", "proxy", "1") ","
	    "\"tmap\":{\"t1\":" TEST_SNODE("t1", "target", "2") "},"
	    "\"uuid\":\"u\",\"version\":\"3\"}";
	(void) state;
	/* the well-formed base of the cases below does load */
	assert_int_equal(ais_smap_loads(good, strlen(good), &m), AIS_OK);
	assert_int_equal(ais_smap_count(m), 2);
	ais_smap_rele(m);
	m = NULL;

	test_smap_expect_bad("");
	test_smap_expect_bad("not json");
	test_smap_expect_bad("[]");
	test_smap_expect_bad("{\"pmap\":{}} trailing");
	/* version */
	test_smap_expect_bad("{\"pmap\":{},\"tmap\":{}}");
	test_smap_expect_bad("{\"version\":true}");
	test_smap_expect_bad("{\"version\":{}}");
	test_smap_expect_bad("{\"version\":null}");
	test_smap_expect_bad("{\"version\":\"abc\"}");
	test_smap_expect_bad("{\"version\":\"-1\"}");
	test_smap_expect_bad("{\"version\":1.5}");
	test_smap_expect_bad("{\"version\":\"99999999999999999999\"}");
	test_smap_expect_bad("{\"version\":99999999999999999999}");
	test_smap_expect_bad("{\"version\":\"1\",\"uuid\":5}");
	test_smap_expect_bad("{\"version\":\"1\",\"uuid\":"
	                     "\"0123456789012345678901234567890123456789\"}");
	/* maps */
	test_smap_expect_bad("{\"version\":\"1\",\"pmap\":[]}");
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":\"x\"}");
	/* role mismatch: a proxy in tmap, a target in pmap */
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":{\"p1\":"
	    TEST_SNODE("p1", "proxy", "1") "}}");
	test_smap_expect_bad("{\"version\":\"1\",\"pmap\":{\"t1\":"
	    TEST_SNODE("t1", "target", "1") "}}");
	/* unknown daemon_type */
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":{\"t1\":"
	    TEST_SNODE("t1", "gateway", "1") "}}");
	/* map key differs from daemon_id */
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":{\"t2\":"
	    TEST_SNODE("t1", "target", "1") "}}");
	/* duplicate id: same key twice, and across pmap/tmap */
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":{\"t1\":"
	    TEST_SNODE("t1", "target", "1") ",\"t1\":"
	    TEST_SNODE("t1", "target", "2") "}}");
	test_smap_expect_bad("{\"version\":\"1\",\"pmap\":{\"x\":"
	    TEST_SNODE("x", "proxy", "1") "},\"tmap\":{\"x\":"
	    TEST_SNODE("x", "target", "2") "}}");
	/* bad snodes */
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":{\"t1\":5}}");
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":{\"t1\":"
	    TEST_SNODE("t1", "target", "x") "}}");
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":{\"t1\":"
	    TEST_SNODE("t1", "target", "65536") "}}");
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":{\"t1\":"
	    TEST_SNODE("t1", "target", "-1") "}}");
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":{\"\":"
	    TEST_SNODE("", "target", "1") "}}");
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":{\"t1\":"
	    "{\"public_net\":5,\"daemon_type\":\"target\","
	    "\"daemon_id\":\"t1\"}}}");
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":{\"t1\":"
	    "{\"daemon_type\":\"target\",\"daemon_id\":\"t1\"}}}");
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":{"
	    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":"
	    TEST_SNODE("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "target", "1")
	    "}}");
	/* proxy_si: not in pmap, or a target */
	test_smap_expect_bad("{\"version\":\"1\",\"proxy_si\":"
	    TEST_SNODE("p1", "proxy", "1") "}");
	test_smap_expect_bad("{\"version\":\"1\",\"tmap\":{\"t1\":"
	    TEST_SNODE("t1", "target", "1") "},\"proxy_si\":"
	    TEST_SNODE("t1", "target", "1") "}");
	test_smap_expect_bad("{\"version\":\"1\",\"proxy_si\":7}");

	/* from_json with non-object input */
	assert_int_equal(ais_smap_from_json(NULL, &m), AIS_EINVAL);
	json_t *arr = json_array();
	assert_int_equal(ais_smap_from_json(arr, &m), AIS_EINVAL);
	json_decref(arr);
	assert_null(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smap_id_digest_vectors),
		cmocka_unit_test(test_smap_snode_init),
		cmocka_unit_test(test_smap_add_get_del),
		cmocka_unit_test(test_smap_find_addr),
		cmocka_unit_test(test_smap_clone_refs),
		cmocka_unit_test(test_smap_json_text),
		cmocka_unit_test(test_smap_json_empty),
		cmocka_unit_test(test_smap_to_json_form),
		cmocka_unit_test(test_smap_loads_ais_text),
		cmocka_unit_test(test_smap_json_tricky_strings),
		cmocka_unit_test(test_smap_snode_json),
		cmocka_unit_test(test_smap_parse_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
