/*
 * Global rebalance in one process: the eligible-owner comparison, the
 * marker, a receive actor fed REB_CHUNKs directly (stored / HAVE / bad
 * checksum / out of order / stale), and a whole job between two target
 * nodes over NNG on loopback -- objects leave the node that no longer owns
 * them, arrive intact with their metadata on the one that does, and both
 * jobs finish with matching counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actors/node/rebalance_int.h"
#include "core/bprops.h"
#include "core/cksum.h"
#include "core/fqn.h"
#include "core/lom.h"
#include "proto/msg.h"

#define T_BID  0x1234000001ULL
#define T_NOBJ 40

typedef struct tnode {
	ais_node node;
	char dir[64];
	char mp[96];
} tnode;

static uint16_t t_port_base;

static void
t_snode(ais_snode *sn, const char *id, uint16_t k)
{
	assert_int_equal(ais_snode_init(sn, id, AIS_ROLE_TARGET, "127.0.0.1",
	                     (uint16_t) (t_port_base + 3 * k),
	                     (uint16_t) (t_port_base + 3 * k + 1),
	                     (uint16_t) (t_port_base + 3 * k + 2)),
	    AIS_OK);
}

/* A Smap of version v with targets ids[0..n) (k = port slot). */
static ais_smap *
t_smap(int64_t v, const char *const *ids, size_t n, uint64_t maint_mask)
{
	ais_smap *m = NULL;
	ais_snode sn;

	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	assert_int_equal(ais_snode_init(&sn, "proxy001", AIS_ROLE_PROXY,
	                     "127.0.0.1", 1, 2, 3),
	    AIS_OK);
	assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	for (size_t i = 0; i < n; i++) {
		t_snode(&sn, ids[i], (uint16_t) (ids[i][3] - '0'));
		if (maint_mask & (1ULL << i)) {
			sn.flags |= AIS_SNODE_MAINT;
		}
		assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	}
	m->version = v;
	snprintf(m->uuid, sizeof(m->uuid), "uuidReb");
	snprintf(m->primary, sizeof(m->primary), "proxy001");
	return m;
}

static void
t_node_init(tnode *t, const char *id, bool listen)
{
	ais_node *n = &t->node;
	ais_cconfig *c = NULL;
	ais_bmd *b = NULL;
	ais_mpath mp;
	ais_mpset *s = NULL;
	json_t *props = NULL;
	char url[AIS_URL_MAX + 1];

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/ais-reb-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->mp, sizeof(t->mp), "%s/mp", t->dir);
	assert_int_equal(mkdir(t->mp, 0755), 0);
	n->role = AIS_ROLE_TARGET;
	snprintf(n->lcfg.confdir, sizeof(n->lcfg.confdir), "%s", t->dir);
	t_snode(&n->self, id, (uint16_t) (id[3] - '0'));
	ais_node_snapslots_init(n);
	assert_int_equal(ais_cconfig_default(&c), AIS_OK);
	assert_int_equal(ais_bprops_new(c, "ais", T_BID, 1, &props), AIS_OK);
	ais_snapslot_set(&n->ccfg, c);
	assert_int_equal(ais_bmd_alloc(&b), AIS_OK);
	assert_int_equal(ais_bmd_add(b, "ais", "@#", "b", props), AIS_OK);
	json_decref(props);
	b->version = 2;
	ais_snapslot_set(&n->bmd, b);
	assert_int_equal(ais_mpath_init(&mp, t->mp), AIS_OK);
	assert_int_equal(ais_mpset_new(&mp, 1, NULL, 0, 1, &s), AIS_OK);
	ais_node_mpset_publish(n, s);
	snprintf(url, sizeof(url), "%s", n->self.ctrl.url);
	assert_int_equal(act_rt_open(id, listen ? url : NULL, &n->rt), AIS_OK);
	act_sup_policy pol = { .max_restarts = 1,
		.window_ms = 1000,
		.backoff_min_ms = 10,
		.backoff_max_ms = 10 };
	assert_int_equal(act_sup_open(n->rt, &pol, &n->sup), AIS_OK);
	atomic_store(&n->joined, true);
}

static void
t_node_fini(tnode *t)
{
	char cmd[128];

	act_sup_close(t->node.sup);
	act_rt_close(t->node.rt);
	ais_node_snapslots_fini(&t->node);
	ais_mpset_free_all(atomic_load(&t->node.mps));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

static size_t
t_content(int i, uint8_t *buf)
{
	size_t len = i % 7 == 0 ? 2 * (size_t) REB_CHUNK_SIZE + 17 * (size_t) i
	                        : 100 + 33 * (size_t) i;

	for (size_t k = 0; k < len; k++) {
		buf[k] = (uint8_t) (k * 31 + (size_t) i);
	}
	return len;
}

static void
t_md(ais_lom_md *md, const uint8_t *data, size_t len)
{
	ais_cksum ck;

	memset(md, 0, sizeof(*md));
	md->size = (int64_t) len;
	md->cksum_type = AIS_CKSUM_XXHASH2;
	assert_int_equal(ais_cksum_init(&ck, md->cksum_type), AIS_OK);
	ais_cksum_update(&ck, data, len);
	ais_cksum_final(&ck, md->cksum_value);
	snprintf(md->version, sizeof(md->version), "3");
	md->lid = T_BID;
	assert_int_equal(ais_lom_custom_set(md, "k", "v"), AIS_OK);
}

/* Writes object o/<i> into t's mountpath, as a PUT would. */
static void
t_put(tnode *t, int i, uint8_t *buf)
{
	char name[32], fqn[PATH_MAX], cmd[PATH_MAX + 32];
	size_t len = t_content(i, buf);
	ais_lom_md md;
	int fd;

	snprintf(name, sizeof(name), "o/%d", i);
	assert_int_equal(ais_fqn(fqn, sizeof(fqn), t->mp, "ais", "@#", "b",
	                     AIS_CT_OBJ, name),
	    AIS_OK);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", fqn);
	assert_int_equal(system(cmd), 0);
	fd = open(fqn, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t) len);
	t_md(&md, buf, len);
	assert_int_equal(ais_lom_store_fd(fd, &md), AIS_OK);
	close(fd);
}

/* 1 if o/<i> is on t with the right bytes and metadata, 0 if absent. */
static int
t_has(tnode *t, int i, uint8_t *buf, uint8_t *got)
{
	char name[32], fqn[PATH_MAX];
	size_t len = t_content(i, buf);
	ais_lom_md md;
	struct stat st;
	int fd;

	snprintf(name, sizeof(name), "o/%d", i);
	assert_int_equal(ais_fqn(fqn, sizeof(fqn), t->mp, "ais", "@#", "b",
	                     AIS_CT_OBJ, name),
	    AIS_OK);
	fd = open(fqn, O_RDONLY);
	if (fd < 0) {
		return 0;
	}
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((size_t) st.st_size, len);
	assert_int_equal(read(fd, got, len), (ssize_t) len);
	assert_memory_equal(got, buf, len);
	assert_int_equal(ais_lom_load_fd(fd, &md), AIS_OK);
	assert_int_equal(md.size, (int64_t) len);
	assert_string_equal(md.version, "3");
	assert_int_equal(md.lid, T_BID);
	assert_int_equal(md.custom_len, 3);
	close(fd);
	return 1;
}

static size_t
t_count_files(const char *dir)
{
	char cmd[PATH_MAX + 64];
	FILE *p;
	size_t n = 0;

	snprintf(cmd, sizeof(cmd), "find '%s' -type f | wc -l", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%zu", &n), 1);
	pclose(p);
	return n;
}

/* Owners ------------------------------------------------------------------ */

static void
test_same_owners(void **state)
{
	const char *ab[] = { "tgt1aaaa", "tgt2bbbb" };
	const char *abc[] = { "tgt1aaaa", "tgt2bbbb", "tgt3cccc" };
	ais_smap *m1 = t_smap(1, ab, 2, 0);
	ais_smap *m2 = t_smap(2, ab, 2, 0);
	ais_smap *m3 = t_smap(3, abc, 3, 0);
	ais_smap *m4 = t_smap(4, abc, 3, 1ULL << 2); /* tgt3 in maintenance */
	ais_smap *m5 = t_smap(5, abc, 3, 1ULL << 0);

	(void) state;
	assert_true(reb_same_owners(m1, m2));
	assert_false(reb_same_owners(m2, m3));
	assert_true(reb_same_owners(m2, m4)); /* maintenance owns nothing */
	assert_false(reb_same_owners(m3, m4));
	assert_false(reb_same_owners(m4, m5));
	assert_false(reb_same_owners(NULL, m1));
	assert_true(reb_same_owners(NULL, NULL));
	ais_smap_rele(m1);
	ais_smap_rele(m2);
	ais_smap_rele(m3);
	ais_smap_rele(m4);
	ais_smap_rele(m5);
}

/* Marker ------------------------------------------------------------------ */

static void
test_marker(void **state)
{
	tnode *t = calloc(1, sizeof(*t));
	int64_t v = -1;

	(void) state;
	t_node_init(t, "tgt1aaaa", false);
	assert_int_equal(reb_marker_load(&t->node, &v), AIS_ENOENT);
	assert_int_equal(reb_marker_save(&t->node, "g42", 42), AIS_OK);
	assert_int_equal(reb_marker_load(&t->node, &v), AIS_OK);
	assert_int_equal(v, 42);
	reb_marker_remove(&t->node);
	assert_int_equal(reb_marker_load(&t->node, &v), AIS_ENOENT);
	t_node_fini(t);
	free(t);
}

/* Receiver ---------------------------------------------------------------- */

static ais_err
t_chunk(tnode *t, const char *obj, int64_t smap_v, const uint8_t *lom,
    size_t lom_len, const uint8_t *data, int64_t off, size_t len, int64_t size,
    bool last, int *verdict)
{
	Ais__RebChunk c = AIS__REB_CHUNK__INIT;
	act_reply_buf rep = { 0 };
	uint8_t *buf;
	size_t plen;
	ais_err err;

	c.reb_id = "g9";
	c.smap_version = smap_v;
	c.provider = "ais";
	c.ns = "@#";
	c.bck = "b";
	c.obj = (char *) obj;
	c.offset = off;
	c.size = size;
	c.lom.data = (uint8_t *) lom;
	c.lom.len = lom_len;
	c.mtime_ns = 1000000000LL;
	c.atime_ns = 1000000000LL;
	c.last = last;
	plen = reb_chunk_head_size(&c);
	buf = malloc(plen + len);
	assert_non_null(buf);
	assert_int_equal(reb_chunk_head_pack(&c, buf), plen);
	memcpy(buf + plen, data + off, len);
	plen += len;
	assert_int_equal(act_call(t->node.rt, NULL, ais_reb_recv_name(0),
	                     AIS_MSG_REB_CHUNK, buf, plen, 5000, &rep),
	    AIS_OK);
	free(buf);
	err = rep.status;
	*verdict = -1;
	if (err == AIS_OK) {
		Ais__RebChunkAck *a
		    = ais__reb_chunk_ack__unpack(NULL, rep.len, rep.data);

		assert_non_null(a);
		*verdict = a->verdict;
		ais__reb_chunk_ack__free_unpacked(a, NULL);
	}
	act_reply_buf_fini(&rep);
	return err;
}

static void
test_receive(void **state)
{
	tnode *t = calloc(1, sizeof(*t));
	size_t cap = 3 * REB_CHUNK_SIZE;
	uint8_t *data = malloc(cap), *got = malloc(cap);
	uint8_t lom[AIS_LOM_MAX];
	size_t lom_len, len;
	ais_lom_md md;
	int verdict;
	char wk[PATH_MAX];

	(void) state;
	assert_non_null(data);
	assert_non_null(got);
	t_node_init(t, "tgt1aaaa", false);
	assert_int_equal(
	    act_sup_start_child(t->node.sup, &reb_recv_ops[0], &t->node, NULL),
	    AIS_OK);
	len = t_content(7, data); /* 3 chunks */
	t_md(&md, data, len);
	assert_int_equal(
	    ais_lom_encode(&md, lom, sizeof(lom), &lom_len), AIS_OK);

	/* in order: CONT, CONT, STORED */
	assert_int_equal(t_chunk(t, "o/7", 9, lom, lom_len, data, 0,
	                     REB_CHUNK_SIZE, (int64_t) len, false, &verdict),
	    AIS_OK);
	assert_int_equal(verdict, AIS__REB_VERDICT__REB_CONT);
	/* out of order: the stream is dropped */
	assert_int_equal(
	    t_chunk(t, "o/7", 9, NULL, 0, data, 2 * REB_CHUNK_SIZE,
	        len - 2 * REB_CHUNK_SIZE, (int64_t) len, true, &verdict),
	    AIS_EPROTO);
	for (int64_t off = 0; off < (int64_t) len; off += REB_CHUNK_SIZE) {
		size_t n = len - (size_t) off < REB_CHUNK_SIZE
		    ? len - (size_t) off
		    : REB_CHUNK_SIZE;
		bool last = off + (int64_t) n == (int64_t) len;

		assert_int_equal(t_chunk(t, "o/7", 9, off == 0 ? lom : NULL,
		                     off == 0 ? lom_len : 0, data, off, n,
		                     (int64_t) len, last, &verdict),
		    AIS_OK);
		assert_int_equal(verdict,
		    last ? AIS__REB_VERDICT__REB_STORED
		         : AIS__REB_VERDICT__REB_CONT);
	}
	assert_int_equal(t_has(t, 7, data, got), 1);

	/* the same object again: HAVE at the first chunk */
	assert_int_equal(t_chunk(t, "o/7", 9, lom, lom_len, data, 0,
	                     REB_CHUNK_SIZE, (int64_t) len, false, &verdict),
	    AIS_OK);
	assert_int_equal(verdict, AIS__REB_VERDICT__REB_HAVE);

	/* corrupted in flight: nothing stored, no work file left */
	len = t_content(3, data);
	t_md(&md, data, len);
	assert_int_equal(
	    ais_lom_encode(&md, lom, sizeof(lom), &lom_len), AIS_OK);
	data[5] ^= 1;
	assert_int_equal(t_chunk(t, "o/3", 9, lom, lom_len, data, 0, len,
	                     (int64_t) len, true, &verdict),
	    AIS_ECKSUM);
	data[5] ^= 1;
	assert_int_equal(t_has(t, 3, data, got), 0);
	snprintf(wk, sizeof(wk), "%s/@ais/b/%%wk", t->mp);
	assert_int_equal(t_count_files(wk), 0);

	/* placed by a Smap older than the newest job here: refused */
	pthread_mutex_lock(&reb_shared_of(&t->node)->mu);
	reb_shared_of(&t->node)->job_smap_v = 10;
	pthread_mutex_unlock(&reb_shared_of(&t->node)->mu);
	assert_int_equal(t_chunk(t, "o/3", 9, lom, lom_len, data, 0, len,
	                     (int64_t) len, true, &verdict),
	    AIS_ESTALE);
	/* bad names never touch the disk */
	assert_int_equal(t_chunk(t, "../x", 11, lom, lom_len, data, 0, len,
	                     (int64_t) len, true, &verdict),
	    AIS_EINVAL);
	pthread_mutex_lock(&reb_shared_of(&t->node)->mu);
	reb_shared_of(&t->node)->job_smap_v = 0;
	pthread_mutex_unlock(&reb_shared_of(&t->node)->mu);
	/* more objects in flight at once than the stream table starts with:
	 * it grows, every stream completes */
	{
		enum { NOBJ = 40, OLEN = 200 };
		uint8_t lo[NOBJ][AIS_LOM_MAX], od[NOBJ][OLEN];
		size_t ll[NOBJ];
		char on[NOBJ][16];

		for (int k = 0; k < NOBJ; k++) {
			for (int b = 0; b < OLEN; b++) {
				od[k][b] = (uint8_t) (k * 7 + b);
			}
			t_md(&md, od[k], OLEN);
			assert_int_equal(
			    ais_lom_encode(&md, lo[k], sizeof(lo[k]), &ll[k]),
			    AIS_OK);
			snprintf(on[k], sizeof(on[k]), "m/%d", k);
			assert_int_equal(t_chunk(t, on[k], 9, lo[k], ll[k], od[k],
			                     0, OLEN / 2, OLEN, false, &verdict),
			    AIS_OK);
			assert_int_equal(verdict, AIS__REB_VERDICT__REB_CONT);
		}
		for (int k = 0; k < NOBJ; k++) {
			assert_int_equal(t_chunk(t, on[k], 9, NULL, 0, od[k],
			                     OLEN / 2, OLEN / 2, OLEN, true,
			                     &verdict),
			    AIS_OK);
			assert_int_equal(verdict, AIS__REB_VERDICT__REB_STORED);
		}
	}
	/* malformed framing: too short, a head longer than the payload, a
	 * head that is not a RebChunk */
	{
		static const uint8_t bad[3][8] = {
			{ 1, 0 },
			{ 200, 0, 0, 0, 1, 2, 3, 4 },
			{ 4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff },
		};
		static const size_t blen[3] = { 2, 8, 8 };

		for (int i = 0; i < 3; i++) {
			act_reply_buf rep = { 0 };

			assert_int_equal(
			    act_call(t->node.rt, NULL, ais_reb_recv_name(0),
			        AIS_MSG_REB_CHUNK, bad[i], blen[i], 5000,
			        &rep),
			    AIS_OK);
			assert_int_equal(rep.status, AIS_EPROTO);
			act_reply_buf_fini(&rep);
		}
	}
	t_node_fini(t);
	free(t);
	free(data);
	free(got);
}

/* A whole job between two nodes ------------------------------------------- */

static bool
t_jobs_done(size_t want)
{
	ais_xact_query q = { .kind = AIS_REB_KIND };
	ais_xact_snap *s = NULL;
	size_t n = 0, done = 0;

	assert_int_equal(ais_xreg_query(ais_xreg_node(), &q, &s, &n), AIS_OK);
	for (size_t i = 0; i < n; i++) {
		done += s[i].end_ns != 0 && strncmp(s[i].id, "g7", 2) == 0;
	}
	free(s);
	return done >= want;
}

static void
test_two_nodes(void **state)
{
	tnode *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	const char *ida[] = { "tgt1aaaa" };
	const char *idab[] = { "tgt1aaaa", "tgt2bbbb" };
	uint8_t *buf = malloc(3 * REB_CHUNK_SIZE),
	        *got = malloc(3 * REB_CHUNK_SIZE);
	ais_smap *m1 = t_smap(6, ida, 1, 0);
	ais_smap *m2;
	size_t on_a = 0, on_b = 0;
	ais_xact_query q = { .kind = AIS_REB_KIND };
	ais_xact_snap *s = NULL;
	size_t ns = 0;
	int64_t out = 0, in = 0;

	(void) state;
	t_node_init(a, "tgt1aaaa", true);
	t_node_init(b, "tgt2bbbb", true);
	for (int i = 0; i < T_NOBJ; i++) {
		t_put(a, i, buf);
	}
	/* a: in the cluster alone; b: a new node (no Smap yet) */
	ais_smap_hold(m1);
	ais_snapslot_set(&a->node.smap, m1);
	assert_int_equal(ais_reb_start_actors(a->node.sup, &a->node), AIS_OK);
	assert_int_equal(ais_reb_start_actors(b->node.sup, &b->node), AIS_OK);

	m2 = t_smap(7, idab, 2, 0);
	ais_smap_hold(m2);
	ais_snapslot_set(&a->node.smap, m2);
	ais_tgt_smap_changed(&a->node, m1, m2);
	ais_smap_hold(m2);
	ais_snapslot_set(&b->node.smap, m2);
	ais_tgt_smap_changed(&b->node, NULL, m2);
	assert_true(ais_reb_gfn_active(&b->node));
	{
		char urls[4][AIS_URL_MAX + 1];

		/* b's sources: a (the only other target) */
		assert_int_equal(ais_reb_gfn_sources(&b->node, 1, urls, 4), 1);
		assert_string_equal(urls[0], a->node.self.pub.url);
	}
	for (int i = 0; i < 400 && !t_jobs_done(2); i++) {
		usleep(50 * 1000);
	}
	assert_true(t_jobs_done(2));

	for (int i = 0; i < T_NOBJ; i++) {
		char uname[64];
		const ais_snode *owner = NULL;
		int ha = t_has(a, i, buf, got), hb = t_has(b, i, buf, got);

		snprintf(uname, sizeof(uname), "ais/@#/b/o/%d", i);
		assert_int_equal(
		    ais_hrw_target(m2, uname, strlen(uname), &owner), AIS_OK);
		assert_int_equal(ha + hb, 1);
		assert_int_equal(hb, strcmp(owner->id, "tgt2bbbb") == 0);
		on_a += (size_t) ha;
		on_b += (size_t) hb;
	}
	assert_true(on_b > 0 && on_a > 0);
	assert_int_equal(ais_xreg_query(ais_xreg_node(), &q, &s, &ns), AIS_OK);
	for (size_t i = 0; i < ns; i++) {
		if (strncmp(s[i].id, "g7", 2) == 0) {
			out += s[i].out_objs;
			in += s[i].in_objs;
			assert_false(s[i].aborted);
			assert_string_equal(s[i].err, "");
		}
	}
	free(s);
	assert_int_equal(out, (int64_t) on_b);
	assert_int_equal(in, (int64_t) on_b);
	{
		int64_t v;

		/* clean end: the markers are gone */
		assert_int_equal(reb_marker_load(&a->node, &v), AIS_ENOENT);
		assert_int_equal(reb_marker_load(&b->node, &v), AIS_ENOENT);
	}
	t_node_fini(a);
	t_node_fini(b);
	ais_smap_rele(m1);
	ais_smap_rele(m2);
	free(a);
	free(b);
	free(buf);
	free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_owners),
		cmocka_unit_test(test_marker),
		cmocka_unit_test(test_receive),
		cmocka_unit_test(test_two_nodes),
	};

	srand((unsigned) time(NULL) ^ (unsigned) getpid());
	/* Below the kernel's ephemeral range (32768+), where the cluster
	 * scenarios' kernel-chosen ports and outgoing connections live. */
	t_port_base = (uint16_t) (10000 + (getpid() % 2000) * 10);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
