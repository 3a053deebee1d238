/*
 * dSort job internals shared by job.c (the "dsort" actor: registry and
 * handlers) and job_work.c (worker threads: extract, plan, create,
 * cleanup; the source actors' reads).
 *
 * Ownership: a job is refcounted. The registry holds one reference while
 * the job is listed; each worker thread holds one; a source actor holds
 * one for the duration of a read. Fields:
 *   - immutable after START: id, coord, spec, smap, self_idx, mpath,
 *     workdir, m (metrics are thread-safe themselves);
 *   - the extract result `ex` and `by_seq`: written once by the extract
 *     thread under ex_lock (write), read under ex_lock (read), finalized
 *     under ex_lock (write) by cleanup;
 *   - coordinator state (srcs, nlast, ndone...): the dsort actor only,
 *     until the plan thread takes it (then the actor does not touch it);
 *   - plan, next_shard, created list, nthreads, state: under mu.
 */
#ifndef AIS_DSORT_JOB_INT_H
#define AIS_DSORT_JOB_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actors/node/node.h"
#include "core/fmap.h"
#include "dsort/assign.h"
#include "dsort/extract.h"
#include "dsort/job.h"
#include "dsort/metrics.h"
#include "dsort/spec.h"
#include "proto/msg.h"

#define DSORT_ERRLEN   512
#define DSORT_CALL_MS  30000 /* RECS, PLAN, DONE, REC_REQ calls */
#define DSORT_RETRY_MS 20000 /* a peer that does not know the job yet */
#define DSORT_TICK_MS  1000  /* stuck-job check (call_timeout) */
#define DSORT_BEAT_MS  5000  /* heartbeat while extracting, at most */
#define DSORT_LOST_NOTE_MS                                                    \
	10000 /* a target leaving this soon after a                           \
	       * failure is named as its cause */

typedef enum dsort_job_state {
	DSORT_JS_EXTRACT = 0, /* extracting / sending metadata */
	DSORT_JS_WAIT_PLAN,   /* metadata sent, waiting for the plan */
	DSORT_JS_CREATE,      /* creating shards */
	DSORT_JS_DONE,        /* this target's part finished */
	DSORT_JS_FAILED,      /* failed or aborted (see metrics) */
} dsort_job_state;

/* Coordinator: what one target sent. */
typedef struct dsort_coord_src {
	char id[AIS_ID_MAX + 1];
	dsort_rec *recs; /* owned; rec.size = estimated shard bytes */
	uint8_t **metas; /* owned wire entries, parallel to recs */
	size_t *mlens;
	size_t n, cap;
	bool last;
	bool done;
	int64_t progress_ms; /* START or its last RECS (monotonic) */
} dsort_coord_src;

/* Seq -> index into ex.recs, sorted by seq. */
typedef struct dsort_seq_ix {
	uint64_t seq;
	size_t idx;
} dsort_seq_ix;

typedef struct dsort_shared dsort_shared;

typedef struct dsort_job {
	atomic_int refs;
	struct dsort_job *next; /* registry list (shared->mu) */
	ais_node *node;
	dsort_shared *sh;
	char id[DSORT_JOB_ID_MAX + 1];
	char coord[AIS_ID_MAX + 1];
	char coord_url[AIS_URL_MAX + 1];
	dsort_spec spec;
	ais_smap *smap;    /* held: the job's Smap */
	uint32_t self_idx; /* index of this target in smap */
	bool eligible;     /* takes part (not in maintenance) */
	dsort_metrics *m;
	atomic_bool abort;
	char mpath[PATH_MAX]; /* work mountpath */
	char workdir[PATH_MAX];

	pthread_rwlock_t ex_lock;
	dsort_extract_result ex;
	dsort_seq_ix *by_seq;
	bool ex_ready;
	/* origin's input files mapped (job_fetch.c), set up with ex: one
	 * slot per ex.paths[] plus one for the spill file, mapped on first
	 * read (state DSORT_SRC_*, published under src_mu) */
	ais_fmap *src_maps;
	atomic_uchar *src_state;
	size_t n_src;
	size_t src_mapped, src_maps_max; /* under src_mu */
	pthread_mutex_t src_mu;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	int nthreads; /* live worker threads */
	dsort_job_state state;
	bool cleaning;        /* cleanup thread started */
	Ais__DsortPlan *plan; /* unpacked; owned */
	size_t next_shard;
	int creators; /* creator threads still running */
	int64_t created;
	char **created_names; /* output shards made here */
	char **created_mpaths;
	size_t ncreated, created_cap;
	char err[DSORT_ERRLEN]; /* first error here, "" if none */
	bool err_abort;         /* ... and it was an abort */
	atomic_bool fail_sent;  /* coordinator: PLAN{err} broadcast once */
	atomic_int_fast64_t fail_ms; /* when it failed here (monotonic) */

	int64_t beat_ms; /* last heartbeat sent (dsort actor only) */
	bool lost_noted; /* dsort actor only: "target left" recorded */

	/* coordinator only (dsort actor, then the plan thread) */
	dsort_coord_src *srcs;
	size_t nsrcs;
	size_t nlast;
	size_t ndone;
	bool planning;
} dsort_job;

struct dsort_shared {
	ais_node *node;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	dsort_job *jobs; /* registry, newest first */
	int nthreads;    /* all jobs' worker threads */
};

/* A record a creator writes: where its bytes are (from the plan). */
typedef struct dsort_fetch_rec {
	const char *url; /* origin's ctrl URL; NULL = this target */
	bool local;
	uint64_t seq;
	dsort_rec_loc loc; /* decoded: file names and sizes */
	uint64_t total;
	size_t idx; /* position in the shard */
} dsort_fetch_rec;

/* The creator's fetch pipeline (job_fetch.c). */
#define DSORT_PIPE_BATCH      (2u << 20) /* reply bytes per RECS_REQ */
#define DSORT_PIPE_BATCH_RECS 4096       /* records per RECS_REQ */
#define DSORT_PIPE_WINDOW     (8u << 20) /* bytes of records per window */
#define DSORT_PIPE_AHEAD      2          /* windows in flight */
#define DSORT_CREATE_CONC     8 /* creators per target, unless the spec says */

/* job.c */
dsort_shared *dsort_shared_of(ais_node *n);
/* Held job by id (caller rele's), or NULL. */
dsort_job *dsort_job_find(dsort_shared *sh, const char *id);
void dsort_job_hold(dsort_job *j);
void dsort_job_rele(dsort_job *j); /* frees at zero (may block on disk) */
int64_t dsort_now_ms(void);

/* job_work.c */
/* Starts a detached worker thread running fn(j) with its own reference.
 * AIS_ENOMEM / thread errors. */
ais_err dsort_job_spawn(dsort_job *j, void *(*fn)(void *) );
void *dsort_job_extract_main(void *arg);
void *dsort_job_plan_main(void *arg);
void *dsort_job_create_main(void *arg);
/* Marks the job failed (first error kept in metrics and j->err; aborted
 * when `aborted`), sets the abort flag and starts the cleanup thread
 * once: it waits for the other threads, removes created shards, the
 * extract result and the work dir. On the coordinator a failure (not an
 * abort) is also sent to every target as PLAN{err}, once, so the job
 * ends everywhere: nobody waits for a plan that will not come, and no
 * target keeps output of a failed job. Any thread; the actor too. */
void dsort_job_fail(dsort_job *j, bool aborted, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reads up to max bytes of record `seq` (file -1: files concatenated)
 * at off into buf; *np gets the count (0 at the end). AIS_ENOENT for an
 * unknown record or no extract result. Blocks on disk. */
ais_err dsort_job_src_read(dsort_job *j, uint64_t seq, int32_t file,
    uint64_t off, uint8_t *buf, size_t max, size_t *np);
/* Reads whole records seqs[0..n) (files concatenated, records in order)
 * into buf[0..max); *np gets the bytes. AIS_ENOENT for an unknown record,
 * AIS_EPROTO when they hold more than max. Blocks on disk. */
ais_err dsort_job_src_read_recs(dsort_job *j, const uint64_t *seqs, size_t n,
    uint8_t *buf, size_t max, size_t *np);
/* The origin's mappings of j->ex's files (under ex_lock held for
 * writing): init once ex is set, fini before ex is finalized (unmaps). */
ais_err dsort_src_maps_init(dsort_job *j);
void dsort_src_maps_fini(dsort_job *j);
/* Reads pieces of FILE locations of j->ex (ex_lock held for reading):
 * from the file's mapping, or with pread when it has none (too many
 * mappings, mmap failed, or a location the cache does not know), keeping
 * the last such file open for the next piece. */
typedef struct dsort_src_rd {
	const char *path; /* of fd */
	int fd;
} dsort_src_rd;
#define DSORT_SRC_RD_INIT                                                     \
	{                                                                     \
		NULL, -1                                                      \
	}
ais_err dsort_src_copy(dsort_job *j, dsort_src_rd *rd, const dsort_rec_loc *l,
    uint64_t off, uint8_t *dst, size_t len);
void dsort_src_rd_fini(dsort_src_rd *rd);
/* By seq, or NULL (v sorted by seq). */
const dsort_seq_ix *dsort_seq_find(
    const dsort_seq_ix *v, size_t n, uint64_t seq);

/* job_fetch.c: a shard's records recs[0..n) (borrowed, in output order)
 * are requested window by window ahead of the writer. */
typedef struct dsort_pipe dsort_pipe;
ais_err dsort_pipe_open(
    dsort_job *j, const dsort_fetch_rec *recs, size_t n, dsort_pipe **out);
/* The bytes of record i (files concatenated, recs[i].total long), valid
 * until a later get that dsort_pipe_releases() announces, or close;
 * records must be taken in order. *data is
 * NULL (and AIS_OK) for a record too large to batch: stream it in chunks.
 * Errors name the origin in eb: the reply's status, AIS_EPROTO for a
 * short reply, AIS_ESTOPPED once the job aborted. */
ais_err dsort_pipe_get(
    dsort_pipe *p, size_t i, const uint8_t **data, char *eb, size_t elen);
/* True when the next get frees the bytes of records handed out before
 * (the creator flushes its writer's references to them first). */
bool dsort_pipe_releases(const dsort_pipe *p);
/* Waits for whatever is still in flight and frees. Accepts NULL. */
void dsort_pipe_close(dsort_pipe *p);

/* Coordinator: decodes one RECS payload into src. AIS_EPROTO / ENOMEM. */
ais_err dsort_coord_add_recs(dsort_job *j, dsort_coord_src *src,
    const uint8_t *buf, size_t len, uint32_t origin);
void dsort_coord_srcs_free(dsort_job *j);
/* Sends PLAN{err} to every eligible target of the job (one-way). */
void dsort_coord_send_fail(dsort_job *j, const char *err);
/* Sends DONE (err NULL: success) to the coordinator. */
void dsort_send_done(dsort_job *j, int64_t created, const char *err);
/* Snapshot JSON of the job (new reference) or NULL on ENOMEM. */
json_t *dsort_job_info_json(dsort_job *j);
bool dsort_job_active(dsort_job *j);
/* True when target t of the Smap takes part in a job. */
bool dsort_target_eligible(const ais_snode *t);
/* A target the job runs on that Smap cur (newer than the job's) no longer
 * has as a data target (gone, or in maintenance): its ID, or NULL. */
const char *dsort_job_lost_target(const dsort_job *j, const ais_smap *cur);

#endif
