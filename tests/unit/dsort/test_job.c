/*
 * dSort jobs end to end in one process: three target nodes, each with its
 * own actor runtime on tcp://127.0.0.1 (ports below the ephemeral range,
 * from the pid), a temp mountpath, the same Smap and BMD. Input tar shards
 * are written at their HRW owners; DSORT_START goes to every target with
 * tgt2 as the coordinator; STATUS is polled until every target finished;
 * then every output shard is read back: each input record exactly once,
 * byte-identical, in alphanumeric order across shards, within the size
 * limit and on its HRW owner. Also: abort leaves no output shards and a
 * removable job; a corrupt input shard fails the job on every target with
 * the shard named (missing_shards not set = abort); a bad spec is refused.
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

#include "core/bprops.h"
#include "core/fqn.h"
#include "dsort/job.h"
#include "dsort/metrics.h"
#include "dsort/shard.h"
#include "proto/msg.h"

#define T_NT      3
#define T_NSHARDS 12
#define T_NRECS   10
#define T_LIMIT   (64 * 1024)

/* test_big scales the record sizes up (the other tests use 1) and the
 * shard limit with them. */
static unsigned t_scale = 1;
static uint64_t t_limit = T_LIMIT;

typedef struct tnode {
	ais_node node;
	char dir[64];
	char mp[96];
} tnode;

static uint16_t t_port_base;
static const char *const t_ids[T_NT] = { "tgt1aaaa", "tgt2bbbb", "tgt3cccc" };

static void
t_snode(ais_snode *sn, const char *id, uint16_t k)
{
	assert_int_equal(ais_snode_init(sn, id, AIS_ROLE_TARGET, "127.0.0.1",
	                     (uint16_t) (t_port_base + 3 * k),
	                     (uint16_t) (t_port_base + 3 * k + 1),
	                     (uint16_t) (t_port_base + 3 * k + 2)),
	    AIS_OK);
}

static ais_smap *
t_smap(void)
{
	ais_smap *m = NULL;
	ais_snode sn;

	assert_int_equal(ais_smap_alloc(&m), AIS_OK);
	assert_int_equal(ais_snode_init(&sn, "proxy001", AIS_ROLE_PROXY,
	                     "127.0.0.1", 1, 2, 3),
	    AIS_OK);
	assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	for (size_t i = 0; i < T_NT; i++) {
		t_snode(&sn, t_ids[i], (uint16_t) (t_ids[i][3] - '0'));
		assert_int_equal(ais_smap_add(m, &sn), AIS_OK);
	}
	m->version = 5;
	snprintf(m->uuid, sizeof(m->uuid), "uuidDsort");
	snprintf(m->primary, sizeof(m->primary), "proxy001");
	return m;
}

static void
t_node_init(tnode *t, const char *id, ais_smap *m)
{
	ais_node *n = &t->node;
	ais_cconfig *c = NULL;
	ais_bmd *b = NULL;
	ais_mpath mp;
	ais_mpset *s = NULL;
	json_t *props = NULL;
	static const char *const bcks[]
	    = { "in", "out", "out2", "out3", "large" };

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/ais-dsjob-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->mp, sizeof(t->mp), "%s/mp", t->dir);
	assert_int_equal(mkdir(t->mp, 0755), 0);
	n->role = AIS_ROLE_TARGET;
	snprintf(n->lcfg.confdir, sizeof(n->lcfg.confdir), "%s", t->dir);
	t_snode(&n->self, id, (uint16_t) (id[3] - '0'));
	ais_node_snapslots_init(n);
	assert_int_equal(ais_cconfig_default(&c), AIS_OK);
	assert_int_equal(ais_bmd_alloc(&b), AIS_OK);
	for (size_t i = 0; i < sizeof(bcks) / sizeof(bcks[0]); i++) {
		assert_int_equal(
		    ais_bprops_new(c, "ais", 0x77000001ULL + i, 1, &props),
		    AIS_OK);
		assert_int_equal(
		    ais_bmd_add(b, "ais", "@#", bcks[i], props), AIS_OK);
		json_decref(props);
	}
	ais_snapslot_set(&n->ccfg, c);
	b->version = 2;
	ais_snapslot_set(&n->bmd, b);
	ais_smap_hold(m);
	ais_snapslot_set(&n->smap, m);
	assert_int_equal(ais_mpath_init(&mp, t->mp), AIS_OK);
	assert_int_equal(ais_mpset_new(&mp, 1, NULL, 0, 1, &s), AIS_OK);
	ais_node_mpset_publish(n, s);
	assert_int_equal(act_rt_open(id, n->self.ctrl.url, &n->rt), AIS_OK);
	act_sup_policy pol = { .max_restarts = 1,
		.window_ms = 1000,
		.backoff_min_ms = 10,
		.backoff_max_ms = 10 };
	assert_int_equal(act_sup_open(n->rt, &pol, &n->sup), AIS_OK);
	atomic_store(&n->joined, true);
	assert_int_equal(ais_dsort_start_actors(n->sup, n), AIS_OK);
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

/* ---- data ----------------------------------------------------------------
 */

/* Record r of shard s: "k<a>-<s>" with a = (7r + 3s) % 10 (a permutation
 * of r), so names interleave across shards. */
static void
t_rec_name(unsigned s, unsigned r, char *buf, size_t len)
{
	snprintf(buf, len, "k%u-%02u", (r * 7 + s * 3) % T_NRECS, s);
}

static size_t
t_jpg_size(unsigned s, unsigned r)
{
	if (r % 5 == 4) {
		return 0;
	}
	if (s == 3 && r == 2) {
		return 100 * 1024 * t_scale; /* bigger than the shard limit */
	}
	return ((s * 7919u + r * 104729u) % 9000u + 1) * t_scale;
}

static void
t_fill(const char *name, size_t len, unsigned char *buf)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = name; *p != '\0'; p++) {
		h = (h ^ (unsigned char) *p) * 1099511628211ULL;
	}
	for (size_t i = 0; i < len; i++) {
		uint64_t x = (h + i) * 0x9E3779B97F4A7C15ULL;

		buf[i] = (unsigned char) ((x ^ (x >> 31)) >> 24);
	}
}

static const tnode *
t_owner(tnode **nodes, const ais_smap *m, const char *bck, const char *obj)
{
	char uname[512];
	size_t ulen = ais_uname(uname, sizeof(uname), "ais", "", bck, obj);
	const ais_snode *o = NULL;

	assert_true(ulen > 0);
	assert_int_equal(ais_hrw_target(m, uname, ulen, &o), AIS_OK);
	for (size_t i = 0; i < T_NT; i++) {
		if (strcmp(nodes[i]->node.self.id, o->id) == 0) {
			return nodes[i];
		}
	}
	fail();
	return NULL;
}

static void
t_write_inputs_fmt(
    tnode **nodes, const ais_smap *m, const char *pfx, ais_shard_fmt fmt)
{
	unsigned char *buf = malloc(200 * 1024 * t_scale);

	assert_non_null(buf);
	for (unsigned s = 0; s < T_NSHARDS; s++) {
		char obj[64], path[PATH_MAX];
		ais_shard_writer *w = NULL;
		const tnode *t;

		snprintf(obj, sizeof(obj), "%s-%02u%s", pfx, s,
		    ais_shard_fmt_ext(fmt));
		t = t_owner(nodes, m, "in", obj);
		assert_int_equal(ais_fqn(path, sizeof(path), t->mp, "ais", "",
		                     "in", AIS_CT_OBJ, obj),
		    AIS_OK);
		assert_int_equal(ais_mkdir_parent(path), 0);
		assert_int_equal(
		    ais_shard_writer_open_path(&w, path, fmt), AIS_OK);
		for (unsigned r = 0; r < T_NRECS; r++) {
			char rn[32], fn[48], cls[32];
			size_t len = t_jpg_size(s, r);

			t_rec_name(s, r, rn, sizeof(rn));
			snprintf(fn, sizeof(fn), "%s.jpg", rn);
			t_fill(fn, len, buf);
			assert_int_equal(
			    ais_shard_writer_add_mem(w, fn, 1000, buf, len),
			    AIS_OK);
			snprintf(fn, sizeof(fn), "%s.cls", rn);
			snprintf(cls, sizeof(cls), "%u\n", r);
			assert_int_equal(ais_shard_writer_add_mem(
			                     w, fn, 1000, cls, strlen(cls)),
			    AIS_OK);
		}
		assert_int_equal(ais_shard_writer_close(w, NULL), AIS_OK);
		ais_shard_writer_free(w);
	}
	free(buf);
}

static void
t_write_inputs(tnode **nodes, const ais_smap *m)
{
	t_write_inputs_fmt(nodes, m, "in", AIS_SHARD_TAR);
}

/* ---- control ---------------------------------------------------------------
 */

static ais_err
t_call(tnode *from, tnode *to, uint32_t type, const void *data, size_t len,
    act_reply_buf *rep)
{
	ais_err err = act_call(from->node.rt, to->node.self.ctrl.url,
	    AIS_ACTOR_DSORT, type, data, len, 10000, rep);

	assert_int_equal(err, AIS_OK);
	return rep->status;
}

static void
t_start_all(tnode **nodes, const char *job, const char *spec, ais_err want)
{
	Ais__DsortStart s = AIS__DSORT_START__INIT;
	uint8_t buf[4096];
	size_t n;

	s.job_id = (char *) job;
	s.spec_json = (char *) spec;
	s.coordinator = (char *) t_ids[1];
	s.smap_version = 5;
	n = ais__dsort_start__pack(&s, buf);
	for (size_t i = 0; i < T_NT; i++) {
		act_reply_buf rep;

		assert_int_equal(t_call(nodes[0], nodes[i],
		                     AIS_MSG_DSORT_START, buf, n, &rep),
		    want);
		if (want != AIS_OK) {
			assert_non_null(rep.errmsg);
		}
		act_reply_buf_fini(&rep);
	}
}

static ais_err
t_job_req(tnode *to, uint32_t type, const char *job, bool only_active,
    act_reply_buf *rep)
{
	Ais__DsortJobReq q = AIS__DSORT_JOB_REQ__INIT;
	uint8_t buf[256];
	size_t n;

	q.job_id = (char *) job;
	q.only_active = only_active;
	n = ais__dsort_job_req__pack(&q, buf);
	return t_call(to, to, type, buf, n, rep);
}

/* This target's JobInfo of job. */
static void
t_status(tnode *t, const char *job, dsort_jobinfo *ji)
{
	act_reply_buf rep;
	Ais__DsortStatusResp *r;
	json_t *j;
	char eb[256];

	assert_int_equal(
	    t_job_req(t, AIS_MSG_DSORT_STATUS, job, false, &rep), AIS_OK);
	r = ais__dsort_status_resp__unpack(NULL, rep.len, rep.data);
	assert_non_null(r);
	j = json_loads(r->jobinfo_json, 0, NULL);
	assert_non_null(j);
	assert_int_equal(
	    dsort_jobinfo_from_json(j, ji, eb, sizeof(eb)), AIS_OK);
	json_decref(j);
	ais__dsort_status_resp__free_unpacked(r, NULL);
	act_reply_buf_fini(&rep);
}

/* Polls until every target finished creation or aborted; true if all
 * finished without abort. */
static bool
t_wait(tnode **nodes, const char *job, char *first_err, size_t elen)
{
	for (int it = 0; it < 600; it++) {
		size_t fin = 0, ab = 0;

		first_err[0] = '\0';
		for (size_t i = 0; i < T_NT; i++) {
			dsort_jobinfo ji;

			t_status(nodes[i], job, &ji);
			if (ji.aborted) {
				ab++;
			} else if (ji.phase[DSORT_PHASE_CREATE].finished) {
				fin++;
			}
			if (ji.nerrors > 0 && first_err[0] == '\0') {
				snprintf(first_err, elen, "%s", ji.errors[0]);
			}
			dsort_jobinfo_fini(&ji);
		}
		if (fin + ab == T_NT) {
			return ab == 0;
		}
		usleep(50 * 1000);
	}
	fail_msg("dsort job %s did not finish", job);
	return false;
}

/* ---- output check ----------------------------------------------------------
 */

typedef struct t_out {
	char name[256];
	char recs[T_NSHARDS * T_NRECS][32];
	size_t nrecs;
	uint64_t size;
} t_out;

typedef struct t_sink {
	unsigned char *buf;
	size_t len;
	int bad;
} t_sink;

static ais_err
t_sink_fn(void *arg, const ais_shard_file *f, const void *buf, size_t len)
{
	t_sink *s = arg;

	if (buf == NULL) {
		unsigned char *want = malloc(s->len + 1);
		size_t klen = strlen(f->name);

		if (klen > 4 && strcmp(f->name + klen - 4, ".cls") == 0) {
			/* cls: "<r>\n", checked by the record name */
		} else {
			t_fill(f->name, s->len, want);
			if (memcmp(want, s->buf, s->len) != 0) {
				s->bad++;
			}
		}
		free(want);
		s->len = 0;
		return AIS_OK;
	}
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	return AIS_OK;
}

/* Reads every output shard of bck on every node into outs (sorted by
 * name). Returns the count. */
static size_t
t_read_outputs(tnode **nodes, const ais_smap *m, const char *bck,
    ais_shard_fmt fmt, t_out *outs, size_t max)
{
	size_t n = 0;
	t_sink s = { .buf = malloc(300 * 1024 * t_scale) };

	for (size_t i = 0; i < T_NT; i++) {
		char dir[PATH_MAX];
		DIR *d;
		struct dirent *de;

		snprintf(
		    dir, sizeof(dir), "%s/@ais/%s/%%ob", nodes[i]->mp, bck);
		d = opendir(dir);
		if (d == NULL) {
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			char path[PATH_MAX + 300];
			ais_shard_reader *r = NULL;
			const ais_shard_record *rec;
			struct stat st;
			t_out *o;

			if (de->d_name[0] == '.') {
				continue;
			}
			assert_true(n < max);
			o = &outs[n++];
			memset(o, 0, sizeof(*o));
			snprintf(o->name, sizeof(o->name), "%s", de->d_name);
			/* on its HRW owner */
			assert_ptr_equal(
			    t_owner(nodes, m, bck, o->name), nodes[i]);
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			assert_int_equal(stat(path, &st), 0);
			o->size = (uint64_t) st.st_size;
			assert_int_equal(
			    ais_shard_reader_open_path(&r, path, fmt), AIS_OK);
			for (;;) {
				assert_int_equal(ais_shard_reader_next(
				                     r, t_sink_fn, &s, &rec),
				    AIS_OK);
				if (rec == NULL) {
					break;
				}
				assert_int_equal(rec->nfiles, 2);
				snprintf(
				    o->recs[o->nrecs++], 32, "%s", rec->key);
			}
			ais_shard_reader_free(r);
		}
		closedir(d);
	}
	assert_int_equal(s.bad, 0);
	free(s.buf);
	/* sort by name (the template's order) */
	for (size_t a = 0; a < n; a++) {
		for (size_t b = a + 1; b < n; b++) {
			if (strcmp(outs[b].name, outs[a].name) < 0) {
				t_out tmp = outs[a];

				outs[a] = outs[b];
				outs[b] = tmp;
			}
		}
	}
	return n;
}

/* Output shards of bck on all nodes (no reads: cleanup may be running). */
static size_t
t_count_outputs(tnode **nodes, const char *bck)
{
	size_t n = 0;

	for (size_t i = 0; i < T_NT; i++) {
		char dir[PATH_MAX];
		DIR *d;
		struct dirent *de;

		snprintf(
		    dir, sizeof(dir), "%s/@ais/%s/%%ob", nodes[i]->mp, bck);
		if ((d = opendir(dir)) == NULL) {
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			n += de->d_name[0] != '.';
		}
		closedir(d);
	}
	return n;
}

static int
t_strcmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* ---- tests
 * ------------------------------------------------------------------- */

typedef struct tcluster {
	tnode *nodes[T_NT];
	ais_smap *m;
} tcluster;

static int
setup(void **state)
{
	tcluster *c = calloc(1, sizeof(*c));

	c->m = t_smap();
	for (size_t i = 0; i < T_NT; i++) {
		c->nodes[i] = calloc(1, sizeof(tnode));
		t_node_init(c->nodes[i], t_ids[i], c->m);
	}
	t_write_inputs(c->nodes, c->m);
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	tcluster *c = *state;

	for (size_t i = 0; i < T_NT; i++) {
		t_node_fini(c->nodes[i]);
		free(c->nodes[i]);
	}
	ais_smap_rele(c->m);
	free(c);
	return 0;
}

/* Reads bck's shards back: names from the template, records in
 * alphanumeric order across shards, each input record exactly once and
 * byte-identical, sizes within t_limit (tar) unless one record. */
static size_t
t_verify_sorted(tcluster *c, const char *bck, const char *pfx,
    ais_shard_fmt fmt, t_out *outs)
{
	static char all[T_NSHARDS * T_NRECS][32];
	size_t n, k = 0, nall = 0;

	n = t_read_outputs(c->nodes, c->m, bck, fmt, outs, 200);
	assert_true(n >= 2);
	for (size_t i = 0; i < n; i++) {
		char want[64];

		snprintf(want, sizeof(want), "%s%03zu%s", pfx, i,
		    ais_shard_fmt_ext(fmt));
		assert_string_equal(outs[i].name, want);
		assert_true(fmt != AIS_SHARD_TAR || outs[i].size <= t_limit
		    || outs[i].nrecs == 1);
		for (size_t r = 0; r < outs[i].nrecs; r++) {
			assert_true(k < T_NSHARDS * T_NRECS);
			if (k > 0) {
				assert_true(
				    strcmp(all[k - 1], outs[i].recs[r]) < 0);
			}
			snprintf(all[k++], 32, "%s", outs[i].recs[r]);
		}
	}
	assert_int_equal(k, T_NSHARDS * T_NRECS);
	for (unsigned s = 0; s < T_NSHARDS; s++) {
		for (unsigned r = 0; r < T_NRECS; r++) {
			char rn[32];

			t_rec_name(s, r, rn, sizeof(rn));
			assert_non_null(bsearch(rn, all, k, 32, t_strcmp));
			nall++;
		}
	}
	assert_int_equal(nall, k);
	return n;
}

static void
test_sort(void **state)
{
	tcluster *c = *state;
	static const char spec[]
	    = "{\"input_bck\":{\"name\":\"in\",\"provider\":\"ais\"},"
	      "\"input_format\":{\"template\":\"in-{00..11}\"},"
	      "\"input_extension\":\".tar\","
	      "\"output_bck\":{\"name\":\"out\"},"
	      "\"output_format\":\"out-{000..999}\","
	      "\"output_shard_size\":\"64KiB\","
	      "\"algorithm\":{\"kind\":\"alphanumeric\"}}";
	static t_out outs[200];
	char err[512];
	size_t n;
	int64_t created = 0;
	act_reply_buf rep;

	t_start_all(c->nodes, "job1", spec, AIS_OK);
	/* a second START of the same id is refused */
	t_start_all(c->nodes, "job1", spec, AIS_EEXIST);
	assert_true(t_wait(c->nodes, "job1", err, sizeof(err)));
	for (size_t i = 0; i < T_NT; i++) {
		dsort_jobinfo ji;

		t_status(c->nodes[i], "job1", &ji);
		assert_true(ji.phase[DSORT_PHASE_EXTRACT].finished);
		assert_true(ji.phase[DSORT_PHASE_SORT].finished);
		assert_int_equal(
		    ji.cnt[DSORT_CNT_TO_CREATE], ji.cnt[DSORT_CNT_CREATED]);
		created += ji.cnt[DSORT_CNT_CREATED];
		assert_int_equal(ji.nerrors, 0);
		dsort_jobinfo_fini(&ji);
	}
	n = t_verify_sorted(c, "out", "out-", AIS_SHARD_TAR, outs);
	assert_true(n > 3);
	assert_int_equal((int64_t) n, created);
	/* list: one job per target, none active */
	assert_int_equal(
	    t_job_req(c->nodes[0], AIS_MSG_DSORT_STATUS, "", true, &rep),
	    AIS_OK);
	{
		Ais__DsortStatusResp *r
		    = ais__dsort_status_resp__unpack(NULL, rep.len, rep.data);

		assert_non_null(r);
		assert_string_equal(r->jobinfo_json, "[]");
		ais__dsort_status_resp__free_unpacked(r, NULL);
	}
	act_reply_buf_fini(&rep);
	for (size_t i = 0; i < T_NT; i++) {
		assert_int_equal(t_job_req(c->nodes[i], AIS_MSG_DSORT_REMOVE,
		                     "job1", false, &rep),
		    AIS_OK);
		act_reply_buf_fini(&rep);
		assert_int_equal(t_job_req(c->nodes[i], AIS_MSG_DSORT_STATUS,
		                     "job1", false, &rep),
		    AIS_ENOENT);
		act_reply_buf_fini(&rep);
	}
}

static void
test_abort(void **state)
{
	tcluster *c = *state;
	static const char spec[]
	    = "{\"input_bck\":{\"name\":\"in\"},"
	      "\"input_format\":{\"template\":\"in-{00..11}\"},"
	      "\"output_bck\":{\"name\":\"out2\"},"
	      "\"output_format\":\"o-{000..999}\","
	      "\"output_shard_size\":\"16KiB\"}";
	static t_out outs[400];
	char err[512];
	act_reply_buf rep;

	t_start_all(c->nodes, "job2", spec, AIS_OK);
	for (size_t i = 0; i < T_NT; i++) {
		assert_int_equal(t_job_req(c->nodes[i], AIS_MSG_DSORT_ABORT,
		                     "job2", false, &rep),
		    AIS_OK);
		act_reply_buf_fini(&rep);
	}
	assert_false(t_wait(c->nodes, "job2", err, sizeof(err)));
	/* cleanup ends: the job is no longer active anywhere, then
	 * removable, and no output shard is left */
	for (size_t i = 0; i < T_NT; i++) {
		ais_err e = AIS_EBUSY;

		for (int it = 0; it < 200 && e == AIS_EBUSY; it++) {
			e = t_job_req(c->nodes[i], AIS_MSG_DSORT_REMOVE,
			    "job2", false, &rep);
			act_reply_buf_fini(&rep);
			if (e == AIS_EBUSY) {
				usleep(20 * 1000);
			}
		}
		assert_int_equal(e, AIS_OK);
	}
	assert_int_equal(
	    t_read_outputs(c->nodes, c->m, "out2", AIS_SHARD_TAR, outs, 400),
	    0);

	/* abort after the shards exist: every one is removed again */
	t_start_all(c->nodes, "job2b", spec, AIS_OK);
	assert_true(t_wait(c->nodes, "job2b", err, sizeof(err)));
	assert_true(
	    t_read_outputs(c->nodes, c->m, "out2", AIS_SHARD_TAR, outs, 400)
	    > 3);
	for (size_t i = 0; i < T_NT; i++) {
		assert_int_equal(t_job_req(c->nodes[i], AIS_MSG_DSORT_ABORT,
		                     "job2b", false, &rep),
		    AIS_OK);
		act_reply_buf_fini(&rep);
	}
	for (int it = 0; it < 200; it++) {
		if (t_count_outputs(c->nodes, "out2") == 0) {
			break;
		}
		usleep(20 * 1000);
	}
	assert_int_equal(
	    t_read_outputs(c->nodes, c->m, "out2", AIS_SHARD_TAR, outs, 400),
	    0);
	for (size_t i = 0; i < T_NT; i++) {
		dsort_jobinfo ji;

		t_status(c->nodes[i], "job2b", &ji);
		assert_true(ji.aborted);
		dsort_jobinfo_fini(&ji);
	}
}

static void
test_corrupt(void **state)
{
	tcluster *c = *state;
	static const char spec[]
	    = "{\"input_bck\":{\"name\":\"in\"},"
	      "\"input_format\":{\"template\":\"in-{00..11}\"},"
	      "\"output_bck\":{\"name\":\"out3\"},"
	      "\"output_format\":\"o-{000..999}\"}";
	static t_out outs[200];
	char path[PATH_MAX], err[512];
	const tnode *t = t_owner(c->nodes, c->m, "in", "in-05.tar");
	struct stat st;

	assert_int_equal(ais_fqn(path, sizeof(path), t->mp, "ais", "", "in",
	                     AIS_CT_OBJ, "in-05.tar"),
	    AIS_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size / 2 + 100), 0);
	t_start_all(c->nodes, "job3", spec, AIS_OK);
	assert_false(t_wait(c->nodes, "job3", err, sizeof(err)));
	assert_non_null(strstr(err, "in-05.tar"));
	for (int it = 0; it < 100; it++) {
		usleep(20 * 1000); /* let cleanups finish */
	}
	assert_int_equal(
	    t_read_outputs(c->nodes, c->m, "out3", AIS_SHARD_TAR, outs, 200),
	    0);
	/* a bad spec is refused with a message */
	t_start_all(c->nodes, "job4", "{\"input_bck\":{}}", AIS_EINVAL);
}

/* Runs a seeded shuffle over a prefix template into bck (tgz); returns
 * the records in output order in all[]. */
static size_t
t_shuffle(tcluster *c, const char *job, const char *bck, char (*all)[32],
    t_out *outs)
{
	char spec[1024], err[512];
	size_t n, k = 0;

	snprintf(spec, sizeof(spec),
	    "{\"input_bck\":{\"name\":\"in\"},"
	    "\"input_format\":{\"template\":\"in-\"},"
	    "\"output_bck\":{\"name\":\"%s\"},"
	    "\"output_extension\":\".tgz\","
	    "\"output_format\":\"sh-{00..99}\","
	    "\"output_shard_size\":\"40KiB\","
	    "\"algorithm\":{\"kind\":\"shuffle\",\"seed\":\"7\"}}",
	    bck);
	t_start_all(c->nodes, job, spec, AIS_OK);
	assert_true(t_wait(c->nodes, job, err, sizeof(err)));
	n = t_read_outputs(c->nodes, c->m, bck, AIS_SHARD_TGZ, outs, 100);
	assert_true(n > 3);
	for (size_t i = 0; i < n; i++) {
		for (size_t r = 0; r < outs[i].nrecs; r++) {
			snprintf(all[k++], 32, "%s", outs[i].recs[r]);
		}
	}
	return k;
}

static void
test_shuffle(void **state)
{
	tcluster *c = *state;
	static t_out outs[100];
	static char a[T_NSHARDS * T_NRECS][32], b[T_NSHARDS * T_NRECS][32];
	size_t na, nb, sorted = 0;

	na = t_shuffle(c, "jobA", "out", a, outs);
	nb = t_shuffle(c, "jobB", "out2", b, outs);
	assert_int_equal(na, T_NSHARDS * T_NRECS);
	assert_int_equal(nb, na);
	/* same seed, same order; and not the name order */
	assert_memory_equal(a, b, sizeof(a));
	for (size_t i = 1; i < na; i++) {
		sorted += strcmp(a[i - 1], a[i]) < 0;
	}
	assert_true(sorted < na - 1);
	/* every record exactly once */
	qsort(a, na, 32, t_strcmp);
	for (size_t i = 1; i < na; i++) {
		assert_true(strcmp(a[i - 1], a[i]) < 0);
	}
}

/* A creator that fails on one target (here: the output bucket is gone
 * from its BMD) ends the job on every target, the coordinator's waiting
 * peers included, promptly and with the reason; nothing is left. */
static void
test_create_fail(void **state)
{
	tcluster *c = *state;
	static const char spec[]
	    = "{\"input_bck\":{\"name\":\"in\"},"
	      "\"input_format\":{\"template\":\"in-{00..11}\"},"
	      "\"output_bck\":{\"name\":\"gone\"},"
	      "\"output_shard_size\":\"64KiB\","
	      "\"output_format\":\"g-{000..999}\"}";
	char err[512];
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	t_start_all(c->nodes, "job5", spec, AIS_OK);
	assert_false(t_wait(c->nodes, "job5", err, sizeof(err)));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	assert_non_null(strstr(err, "ais://gone does not exist"));
	/* a target that had finished its part is failed too (its output
	 * removed): every one ends aborted */
	for (int it = 0; it < 100; it++) {
		size_t ab = 0;

		for (size_t i = 0; i < T_NT; i++) {
			dsort_jobinfo ji;

			t_status(c->nodes[i], "job5", &ji);
			ab += ji.aborted;
			dsort_jobinfo_fini(&ji);
		}
		if (ab == T_NT) {
			return;
		}
		usleep(50 * 1000);
	}
	fail_msg("job5 not aborted on every target");
}

/* Records of up to ~6 MiB (one bigger than a fetch batch, so streamed in
 * chunks) into 16 MiB shards: each shard spans several fetch windows and
 * several batches per origin, the local origin included. */
static void
test_big(void **state)
{
	tcluster *c = *state;
	static const char spec[]
	    = "{\"input_bck\":{\"name\":\"in\",\"provider\":\"ais\"},"
	      "\"input_format\":{\"template\":\"big-{00..11}\"},"
	      "\"input_extension\":\".tar\","
	      "\"output_bck\":{\"name\":\"large\"},"
	      "\"output_format\":\"large-{000..999}\","
	      "\"output_shard_size\":\"16MiB\","
	      "\"algorithm\":{\"kind\":\"alphanumeric\"}}";
	static t_out outs[200];
	char err[512];
	size_t n;

	t_scale = 48;
	t_limit = 16u << 20;
	t_write_inputs_fmt(c->nodes, c->m, "big", AIS_SHARD_TAR);
	t_start_all(c->nodes, "jobBig", spec, AIS_OK);
	assert_true(t_wait(c->nodes, "jobBig", err, sizeof(err)));
	n = t_verify_sorted(c, "large", "large-", AIS_SHARD_TAR, outs);
	/* ~30 MiB: a few shards, all but the last past one fetch window
	 * (DSORT_PIPE_WINDOW, 8 MiB) */
	assert_true(n >= 2 && n <= 4);
	for (size_t i = 0; i + 1 < n; i++) {
		assert_true(outs[i].size > (8u << 20));
	}
	t_scale = 1;
	t_limit = T_LIMIT;
}

/* tgz input under a 1 KiB memory budget: records spill to %ds and are
 * served from the spill file to local and remote creators. */
static void
test_spill(void **state)
{
	tcluster *c = *state;
	static const char spec[]
	    = "{\"input_bck\":{\"name\":\"in\"},"
	      "\"input_format\":{\"template\":\"tz-{00..11}\"},"
	      "\"input_extension\":\".tgz\","
	      "\"output_bck\":{\"name\":\"out3\"},"
	      "\"output_extension\":\".tar\","
	      "\"output_format\":\"sp-{000..999}\","
	      "\"output_shard_size\":\"64KiB\","
	      "\"max_mem_usage\":\"1KiB\"}";
	static t_out outs[200];
	char err[512];
	int64_t spilled = 0;

	t_write_inputs_fmt(c->nodes, c->m, "tz", AIS_SHARD_TGZ);
	t_start_all(c->nodes, "jobS", spec, AIS_OK);
	assert_true(t_wait(c->nodes, "jobS", err, sizeof(err)));
	for (size_t i = 0; i < T_NT; i++) {
		dsort_jobinfo ji;

		t_status(c->nodes[i], "jobS", &ji);
		spilled += ji.cnt[DSORT_CNT_EXTRACTED_TO_DISK_SIZE];
		dsort_jobinfo_fini(&ji);
	}
	assert_true(spilled > 0);
	t_verify_sorted(c, "out3", "sp-", AIS_SHARD_TAR, outs);
}

/* A target that never got START: the coordinator gives up after the
 * spec's call_timeout and fails the job on the targets that have it. */
static void
test_timeout(void **state)
{
	tcluster *c = *state;
	static const char spec[]
	    = "{\"input_bck\":{\"name\":\"in\"},"
	      "\"input_format\":{\"template\":\"in-{00..11}\"},"
	      "\"output_bck\":{\"name\":\"out\"},"
	      "\"output_format\":\"o-{000..999}\","
	      "\"Config\":{\"call_timeout\":\"1s\"}}";
	Ais__DsortStart s = AIS__DSORT_START__INIT;
	uint8_t buf[2048];
	size_t n, aborted = 0;

	s.job_id = "jobT";
	s.spec_json = (char *) spec;
	s.coordinator = (char *) t_ids[1];
	s.smap_version = 5;
	n = ais__dsort_start__pack(&s, buf);
	for (size_t i = 0; i < 2; i++) {
		act_reply_buf rep;

		assert_int_equal(t_call(c->nodes[0], c->nodes[i],
		                     AIS_MSG_DSORT_START, buf, n, &rep),
		    AIS_OK);
		act_reply_buf_fini(&rep);
	}
	for (int it = 0; it < 200 && aborted < 2; it++) {
		usleep(50 * 1000);
		aborted = 0;
		for (size_t i = 0; i < 2; i++) {
			dsort_jobinfo ji;

			t_status(c->nodes[i], "jobT", &ji);
			if (ji.aborted) {
				aborted++;
				assert_int_equal(ji.nerrors, 1);
				assert_non_null(strstr(
				    ji.errors[0], "nothing from target tgt3"));
			}
			dsort_jobinfo_fini(&ji);
		}
	}
	assert_int_equal(aborted, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shuffle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_create_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
	};

	/* Below the kernel's ephemeral range (32768+). */
	t_port_base = (uint16_t) (12000 + (getpid() % 2000) * 10);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
