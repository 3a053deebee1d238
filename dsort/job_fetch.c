/*
 * Record bytes between targets, both ends (job.h step 3):
 *   origin   -- dsort_job_src_read_recs(): several whole records, read
 *               straight into the outgoing reply (act_reply_fill), so a
 *               record's bytes are copied once from the page cache (or the
 *               in-memory extract result) into the message NNG sends;
 *   creator  -- the fetch pipeline (dsort_pipe): the shard's records in
 *               order are cut into windows of DSORT_PIPE_WINDOW bytes;
 *               within a window the records of one origin travel in batches
 *               of up to DSORT_PIPE_BATCH bytes (one DSORT_RECS_REQ each,
 *               the local origin too, through its own dsort-src actors), and
 *               DSORT_PIPE_AHEAD windows are in flight while the creator
 *               writes, so the network, the origins' reads and the
 *               creator's writes overlap instead of taking turns per record.
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
#include <sys/resource.h>
#include <unistd.h>

#include "dsort/job_int.h"
#include "proto/dsort.pb-c.h"

/* Origin ----------------------------------------------------------------- */

/* Records leave an origin in output order, which visits its input shards
 * at random: opening and closing the shard per record cost more than
 * reading the record. So each input file is opened once, on its first
 * read, and stays open until the extract result goes (cleanup or job
 * end), within a quarter of RLIMIT_NOFILE; past that, reads open their
 * own fd as before. */
ais_err
dsort_src_fds_init(dsort_job *j)
{
	struct rlimit rl;
	size_t n = j->ex.npaths + 1; /* + the spill file */

	j->src_fds = malloc(n * sizeof(*j->src_fds));
	if (j->src_fds == NULL) {
		return AIS_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		atomic_init(&j->src_fds[i], -1);
	}
	j->n_src_fds = n;
	atomic_store(&j->src_fds_open, 0);
	j->src_fds_max = 64;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
	    && rl.rlim_cur / 4 > j->src_fds_max) {
		j->src_fds_max = (size_t) (rl.rlim_cur / 4);
	}
	return AIS_OK;
}

void
dsort_src_fds_fini(dsort_job *j)
{
	for (size_t i = 0; i < j->n_src_fds; i++) {
		int fd = atomic_load(&j->src_fds[i]);

		if (fd >= 0) {
			close(fd);
		}
	}
	free(j->src_fds);
	j->src_fds = NULL;
	j->n_src_fds = 0;
}

int
dsort_src_fd(dsort_job *j, const dsort_rec_loc *l, bool *owned)
{
	size_t slot = SIZE_MAX;
	int fd, cur = -1;

	*owned = false;
	if (j->src_fds != NULL) {
		if (l->path == j->ex.spill_path) {
			slot = j->ex.npaths;
		} else if (l->src < j->ex.npaths
		    && j->ex.paths[l->src] == l->path) {
			slot = l->src;
		}
	}
	if (slot != SIZE_MAX && (fd = atomic_load(&j->src_fds[slot])) >= 0) {
		return fd;
	}
	if ((fd = open(l->path, O_RDONLY | O_CLOEXEC)) < 0) {
		return -1;
	}
	if (slot == SIZE_MAX
	    || atomic_fetch_add(&j->src_fds_open, 1) >= j->src_fds_max) {
		*owned = true;
		return fd;
	}
	/* another reader may have opened it meanwhile: keep theirs */
	if (!atomic_compare_exchange_strong(&j->src_fds[slot], &cur, fd)) {
		close(fd);
		atomic_fetch_sub(&j->src_fds_open, 1);
		return cur;
	}
	return fd;
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
dsort_job_src_read_recs(dsort_job *j, const uint64_t *seqs, size_t n,
    uint8_t *buf, size_t max, size_t *np)
{
	const char *open_path = NULL;
	size_t used = 0;
	int fd = -1;
	bool owned = false;
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
			} else {
				if (open_path != l->path) {
					if (owned) {
						close(fd);
					}
					open_path = NULL;
					fd = dsort_src_fd(j, l, &owned);
					if (fd < 0) {
						err = ais_err_from_errno(
						    errno);
						goto out;
					}
					open_path = l->path;
				}
				err = dsort_pread_all(
				    fd, buf + used, f->size, f->offset);
				if (err != AIS_OK) {
					goto out;
				}
			}
			used += f->size;
		}
	}
	*np = used;
out:
	if (owned) {
		close(fd);
	}
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
	uint32_t rr = (uint32_t) atomic_fetch_add(&dsort_pipe_rr, 1);
	ais_err err;

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
	err = act_call_finish(bt->h, &bt->rep);
	bt->h = NULL;
	if (err == AIS_OK) {
		err = bt->rep.status;
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

		if (bt->started && !bt->finished) {
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
