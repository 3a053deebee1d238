/*
 * Record bytes between targets, both ends (job.h step 3):
 *   origin   -- dsort_job_src_read_recs(): several whole records, copied
 *               out of the mapped input shards (see "Origin" below)
 *               straight into the outgoing reply (act_reply_fill), so a
 *               record's bytes are copied once from the page cache (or the
 *               in-memory extract result) into the message NNG sends;
 *   creator  -- the fetch pipeline (dsort_pipe): the shard's records in
 *               order are cut into windows of DSORT_PIPE_WINDOW bytes;
 *               within a window the records of one origin travel in batches
 *               of up to DSORT_PIPE_BATCH bytes (one DSORT_RECS_REQ each),
 *               and DSORT_PIPE_AHEAD windows are in flight while the
 *               creator writes, so the network, the origins' reads and the
 *               creator's writes overlap instead of taking turns per
 *               record. A batch of this target's own records is read by
 *               the creator itself, with the same function, when it is
 *               needed.
 * A record larger than a batch is not batched: the creator streams it in
 * DSORT_FETCH_CHUNK pieces (job_work.c), as before.
 *
 * Memory: at most DSORT_PIPE_AHEAD windows (plus the batch being written
 * from) per creator thread; replies are read in place (the runtime keeps
 * the received message), never copied again before the shard writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsort/job_int.h"
#include "proto/dsort.pb-c.h"

/* Origin ----------------------------------------------------------------- */

/* Records leave an origin in output order, which visits its input shards
 * at random, a few KiB at a time: a pread per piece (and an open per
 * shard switch) cost more than copying the piece. So each input file is
 * mapped once, on its first read, and stays mapped until the extract
 * result goes (cleanup or job end); a piece is then one guarded memcpy
 * (core/fmap.h). Within a quarter of vm.max_map_count; past that, and for
 * any file that cannot be mapped, reads fall back to pread. */
enum { DSORT_SRC_NEW = 0, DSORT_SRC_MAPPED = 1, DSORT_SRC_PREAD = 2 };

static size_t
dsort_src_maps_cap(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	unsigned long v = 0;

	if (f != NULL) {
		if (fscanf(f, "%lu", &v) != 1) {
			v = 0;
		}
		fclose(f);
	}
	return v >= 4096 ? (size_t) (v / 4) : 1024;
}

ais_err
dsort_src_maps_init(dsort_job *j)
{
	size_t n = j->ex.npaths + 1; /* + the spill file */

	j->src_maps = calloc(n, sizeof(*j->src_maps));
	j->src_state = calloc(n, sizeof(*j->src_state));
	if (j->src_maps == NULL || j->src_state == NULL) {
		free(j->src_maps);
		free(j->src_state);
		j->src_maps = NULL;
		j->src_state = NULL;
		return AIS_ENOMEM;
	}
	j->n_src = n;
	j->src_mapped = 0;
	j->src_maps_max = dsort_src_maps_cap();
	return AIS_OK;
}

void
dsort_src_maps_fini(dsort_job *j)
{
	for (size_t i = 0; i < j->n_src; i++) {
		ais_fmap_close(&j->src_maps[i]);
	}
	free(j->src_maps);
	free(j->src_state);
	j->src_maps = NULL;
	j->src_state = NULL;
	j->n_src = 0;
}

/* l's mapping, or NULL: read it with pread. */
static const ais_fmap *
dsort_src_map(dsort_job *j, const dsort_rec_loc *l)
{
	size_t slot;
	unsigned char st;

	if (j->src_maps == NULL) {
		return NULL;
	}
	if (l->path == j->ex.spill_path) {
		slot = j->ex.npaths;
	} else if (l->src < j->ex.npaths && j->ex.paths[l->src] == l->path) {
		slot = l->src;
	} else {
		return NULL;
	}
	st = atomic_load_explicit(&j->src_state[slot], memory_order_acquire);
	if (st == DSORT_SRC_NEW) {
		pthread_mutex_lock(&j->src_mu);
		st = atomic_load(&j->src_state[slot]);
		if (st == DSORT_SRC_NEW) {
			st = DSORT_SRC_PREAD;
			if (j->src_mapped < j->src_maps_max
			    && ais_fmap_open(&j->src_maps[slot], l->path)
			        == AIS_OK) {
				j->src_mapped++;
				st = DSORT_SRC_MAPPED;
			}
			atomic_store_explicit(
			    &j->src_state[slot], st, memory_order_release);
		}
		pthread_mutex_unlock(&j->src_mu);
	}
	return st == DSORT_SRC_MAPPED ? &j->src_maps[slot] : NULL;
}

static ais_err
dsort_pread_all(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r
		    = pread(fd, buf + got, len - got, (off_t) (off + got));

		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			return r < 0 ? ais_err_from_errno(errno) : AIS_EIO;
		}
		got += (size_t) r;
	}
	return AIS_OK;
}

ais_err
dsort_src_copy(dsort_job *j, dsort_src_rd *rd, const dsort_rec_loc *l,
    uint64_t off, uint8_t *dst, size_t len)
{
	const ais_fmap *m = dsort_src_map(j, l);

	if (m != NULL) {
		return ais_fmap_copy(m, off, dst, len);
	}
	if (rd->path != l->path) {
		dsort_src_rd_fini(rd);
		if ((rd->fd = open(l->path, O_RDONLY | O_CLOEXEC)) < 0) {
			return ais_err_from_errno(errno);
		}
		rd->path = l->path;
	}
	return dsort_pread_all(rd->fd, dst, len, off);
}

void
dsort_src_rd_fini(dsort_src_rd *rd)
{
	if (rd->fd >= 0) {
		close(rd->fd);
	}
	rd->fd = -1;
	rd->path = NULL;
}

ais_err
dsort_job_src_read_recs(dsort_job *j, const uint64_t *seqs, size_t n,
    uint8_t *buf, size_t max, size_t *np)
{
	dsort_src_rd rd = DSORT_SRC_RD_INIT;
	size_t used = 0;
	ais_err err = AIS_OK;

	*np = 0;
	pthread_rwlock_rdlock(&j->ex_lock);
	if (!j->ex_ready) {
		err = AIS_ENOENT;
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		const dsort_seq_ix *x
		    = dsort_seq_find(j->by_seq, j->ex.n, seqs[k]);
		const dsort_rec_loc *l;

		if (x == NULL) {
			err = AIS_ENOENT;
			goto out;
		}
		l = &j->ex.locs[x->idx];
		for (size_t i = 0; i < l->nfiles; i++) {
			const dsort_file_loc *f = &l->files[i];

			if (f->size > max - used) {
				err = AIS_EPROTO; /* more than the creator
				                     asked */
				goto out;
			}
			if (f->size == 0) {
				continue;
			}
			if (l->kind == DSORT_LOC_MEM) {
				if (l->mem == NULL) {
					err = AIS_ENOENT;
					goto out;
				}
				memcpy(
				    buf + used, l->mem + f->offset, f->size);
			} else if ((err = dsort_src_copy(j, &rd, l, f->offset,
			                buf + used, f->size))
			    != AIS_OK) {
				goto out;
			}
			used += f->size;
		}
	}
	*np = used;
out:
	dsort_src_rd_fini(&rd);
	pthread_rwlock_unlock(&j->ex_lock);
	return err;
}

/* Creator: the pipeline ----------------------------------------------------
 */

#define DSORT_PIPE_NONE SIZE_MAX

typedef struct dsort_batch {
	const char *url; /* origin; NULL = this target */
	size_t first;    /* index into p->seqs */
	size_t nseqs;
	uint64_t bytes;
	size_t nleft; /* records not yet handed out */
	act_call_h *h;
	act_reply_buf rep;
	bool started;
	bool finished;
} dsort_batch;

struct dsort_pipe {
	dsort_job *j;
	const dsort_fetch_rec *recs;
	size_t n;
	size_t *rec_batch; /* per record: its batch, or NONE */
	uint64_t *rec_off; /* per record: offset in its batch's reply */
	size_t *rec_win;   /* per record: its window */
	uint64_t *seqs;    /* batches' seqs, batch by batch */
	dsort_batch *b;
	size_t nb;
	size_t *win_first; /* per window: its first batch (nwin + 1) */
	size_t nwin;
	size_t started_win; /* windows [0, started_win) are requested */
	size_t hold;        /* batch of the record handed out last */
};

static atomic_uint_fast32_t
    dsort_pipe_rr; /* spreads batches over src actors */

/* Builds windows and batches; nothing is requested yet. */
static ais_err
dsort_pipe_plan(dsort_pipe *p)
{
	size_t nseq = 0, w = 0, wfirst_rec = 0;
	uint64_t wbytes = 0;

	p->win_first[0] = 0;
	for (size_t i = 0; i < p->n; i++) {
		const dsort_fetch_rec *fr = &p->recs[i];
		bool batched = fr->total > 0 && fr->total <= DSORT_PIPE_BATCH;
		dsort_batch *bt = NULL;

		/* a record that would overflow the window starts the next one
		 * (a window holds at least one record) */
		if (i > wfirst_rec && wbytes + fr->total > DSORT_PIPE_WINDOW) {
			p->win_first[++w] = p->nb;
			wfirst_rec = i;
			wbytes = 0;
		}
		wbytes += fr->total;
		p->rec_win[i] = w;
		p->rec_batch[i] = DSORT_PIPE_NONE;
		p->rec_off[i] = 0;
		if (!batched) {
			continue;
		}
		/* the window's open batch for this origin (few origins) */
		for (size_t k = p->win_first[w]; k < p->nb; k++) {
			const char *u = p->b[k].url;

			if ((u == NULL) == (fr->url == NULL)
			    && (u == NULL || strcmp(u, fr->url) == 0)) {
				bt = &p->b[k];
			}
		}
		if (bt != NULL
		    && (bt->bytes + fr->total > DSORT_PIPE_BATCH
		        || bt->nseqs >= DSORT_PIPE_BATCH_RECS)) {
			bt = NULL;
		}
		if (bt == NULL) {
			bt = &p->b[p->nb++];
			*bt = (dsort_batch) { .url = fr->url, .first = nseq };
		}
		/* batches of one window interleave in p->seqs: keep each
		 * batch's seqs contiguous by reserving its slots up front */
		p->rec_batch[i] = (size_t) (bt - p->b);
		p->rec_off[i] = bt->bytes;
		bt->bytes += fr->total;
		bt->nseqs++;
		bt->nleft++;
		nseq++;
	}
	p->nwin = w + 1;
	p->win_first[p->nwin] = p->nb;
	/* lay out every batch's seqs contiguously */
	nseq = 0;
	for (size_t k = 0; k < p->nb; k++) {
		p->b[k].first = nseq;
		nseq += p->b[k].nseqs;
		p->b[k].nseqs = 0;
	}
	for (size_t i = 0; i < p->n; i++) {
		dsort_batch *bt;

		if (p->rec_batch[i] == DSORT_PIPE_NONE) {
			continue;
		}
		bt = &p->b[p->rec_batch[i]];
		p->seqs[bt->first + bt->nseqs++] = p->recs[i].seq;
	}
	return AIS_OK;
}

ais_err
dsort_pipe_open(
    dsort_job *j, const dsort_fetch_rec *recs, size_t n, dsort_pipe **out)
{
	dsort_pipe *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (p == NULL) {
		return AIS_ENOMEM;
	}
	p->j = j;
	p->recs = recs;
	p->n = n;
	p->hold = DSORT_PIPE_NONE;
	p->rec_batch = calloc(n + 1, sizeof(*p->rec_batch));
	p->rec_off = calloc(n + 1, sizeof(*p->rec_off));
	p->rec_win = calloc(n + 1, sizeof(*p->rec_win));
	p->seqs = calloc(n + 1, sizeof(*p->seqs));
	p->b = calloc(n + 1, sizeof(*p->b));
	p->win_first = calloc(n + 2, sizeof(*p->win_first));
	if (p->rec_batch == NULL || p->rec_off == NULL || p->rec_win == NULL
	    || p->seqs == NULL || p->b == NULL || p->win_first == NULL) {
		dsort_pipe_close(p);
		return AIS_ENOMEM;
	}
	(void) dsort_pipe_plan(p);
	*out = p;
	return AIS_OK;
}

static ais_err
dsort_pipe_start_batch(dsort_pipe *p, size_t k, char *eb, size_t elen)
{
	dsort_batch *bt = &p->b[k];
	Ais__DsortRecsReq q = AIS__DSORT_RECS_REQ__INIT;
	uint8_t stackbuf[4096], *buf = stackbuf;
	size_t len;
	uint32_t rr;
	ais_err err;

	if (bt->url == NULL) {
		/* this target's records: read when needed, in
		 * dsort_pipe_finish_batch */
		bt->started = true;
		return AIS_OK;
	}
	rr = (uint32_t) atomic_fetch_add(&dsort_pipe_rr, 1);
	q.job_id = p->j->id;
	q.n_seqs = bt->nseqs;
	q.seqs = &p->seqs[bt->first];
	q.bytes = bt->bytes;
	len = ais__dsort_recs_req__get_packed_size(&q);
	if (len > sizeof(stackbuf) && (buf = malloc(len)) == NULL) {
		return AIS_ENOMEM;
	}
	ais__dsort_recs_req__pack(&q, buf);
	err = act_call_start(p->j->node->rt, bt->url,
	    dsort_src_actor_name(rr % DSORT_SRC_ACTORS),
	    AIS_MSG_DSORT_RECS_REQ, buf, len, DSORT_CALL_MS, &bt->h);
	if (buf != stackbuf) {
		free(buf);
	}
	if (err != AIS_OK) {
		snprintf(eb, elen, "dsort %s: records from %s: %s", p->j->id,
		    bt->url != NULL ? bt->url : "self", ais_strerror(err));
		return err;
	}
	bt->started = true;
	return AIS_OK;
}

static ais_err
dsort_pipe_finish_batch(dsort_pipe *p, size_t k, char *eb, size_t elen)
{
	dsort_batch *bt = &p->b[k];
	ais_err err;

	bt->finished = true;
	if (bt->url == NULL) {
		/* straight from the mappings into a buffer of our own: no
		 * message to allocate (and zero), no hop through an actor */
		size_t n = 0;

		memset(&bt->rep, 0, sizeof(bt->rep));
		bt->rep.data = malloc(bt->bytes > 0 ? bt->bytes : 1);
		err = bt->rep.data == NULL
		    ? AIS_ENOMEM
		    : dsort_job_src_read_recs(p->j, &p->seqs[bt->first],
		        bt->nseqs, bt->rep.data, bt->bytes, &n);
		bt->rep.len = n;
	} else {
		err = act_call_finish(bt->h, &bt->rep);
		bt->h = NULL;
		if (err == AIS_OK) {
			err = bt->rep.status;
		}
	}
	if (err == AIS_OK && bt->rep.len != bt->bytes) {
		err = AIS_EPROTO;
	}
	if (err != AIS_OK) {
		snprintf(eb, elen, "dsort %s: records from %s: %s%s%s",
		    p->j->id, bt->url != NULL ? bt->url : "self",
		    ais_strerror(err), bt->rep.errmsg != NULL ? ": " : "",
		    bt->rep.errmsg != NULL ? bt->rep.errmsg : "");
		act_reply_buf_fini(&bt->rep);
	}
	return err;
}

ais_err
dsort_pipe_get(
    dsort_pipe *p, size_t i, const uint8_t **data, char *eb, size_t elen)
{
	static const uint8_t empty[1];
	size_t k, want;
	ais_err err;

	*data = NULL;
	if (i >= p->n) {
		return AIS_EINVAL;
	}
	/* the previous record is written (and flushed: releases): its
	 * batch may go */
	if (dsort_pipe_releases(p)) {
		act_reply_buf_fini(&p->b[p->hold].rep);
	}
	p->hold = DSORT_PIPE_NONE;
	if (atomic_load(&p->j->abort)) {
		return AIS_ESTOPPED;
	}
	want = p->rec_win[i] + DSORT_PIPE_AHEAD;
	if (want > p->nwin) {
		want = p->nwin;
	}
	for (; p->started_win < want; p->started_win++) {
		for (k = p->win_first[p->started_win];
		     k < p->win_first[p->started_win + 1]; k++) {
			if ((err = dsort_pipe_start_batch(p, k, eb, elen))
			    != AIS_OK) {
				return err;
			}
		}
	}
	if ((k = p->rec_batch[i]) == DSORT_PIPE_NONE) {
		if (p->recs[i].total == 0) {
			*data = empty;
			return AIS_OK;
		}
		return AIS_OK; /* *data NULL: the caller streams it */
	}
	if (!p->b[k].finished
	    && (err = dsort_pipe_finish_batch(p, k, eb, elen)) != AIS_OK) {
		return err;
	}
	if (p->b[k].rep.data == NULL) {
		return AIS_EPROTO; /* failed before, or handed out twice */
	}
	*data = p->b[k].rep.data + p->rec_off[i];
	p->b[k].nleft--;
	p->hold = k;
	return AIS_OK;
}

bool
dsort_pipe_releases(const dsort_pipe *p)
{
	return p->hold != DSORT_PIPE_NONE && p->b[p->hold].nleft == 0;
}

void
dsort_pipe_close(dsort_pipe *p)
{
	if (p == NULL) {
		return;
	}
	for (size_t k = 0; p->b != NULL && k < p->nb; k++) {
		dsort_batch *bt = &p->b[k];

		if (bt->started && !bt->finished && bt->h != NULL) {
			/* waits at most the call's deadline; an aborted
			 * origin answers at once */
			(void) act_call_finish(bt->h, &bt->rep);
		}
		act_reply_buf_fini(&bt->rep);
	}
	free(p->rec_batch);
	free(p->rec_off);
	free(p->rec_win);
	free(p->seqs);
	free(p->b);
	free(p->win_first);
	free(p);
}
