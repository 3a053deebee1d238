/*
 * Private to the rebalance actors (actors/node/rebalance*.c) and their unit
 * tests: the per-node state shared between the control actor, its sender
 * threads, the receive actors and the HTTP threads (GFN), and one job.
 *
 * Threads and ownership:
 *  - reb_shared: one per node, created on first use, lives until exit.
 *    Its fields change under `mu` (held for pointer swaps and refcount
 *    bumps only, never across I/O) or are atomics.
 *  - reb_job: owned by the control actor. Its sender threads read the
 *    immutable fields (Smap, BMD, mountpath set, xact) and bump the atomics;
 *    the peer table is the actor's alone.
 */
#ifndef AIS_ACTORS_NODE_REBALANCE_INT_H
#define AIS_ACTORS_NODE_REBALANCE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "actors/node/rebalance.h"
#include "core/xreg.h"
#include "proto/msg.h"

#define REB_PREV_MAX      4          /* previous Smaps kept for GFN */
#define REB_CHUNK_SIZE    (1u << 20) /* object bytes per REB_CHUNK */
#define REB_CHUNK_CALL_MS 8000       /* one chunk's round trip, at most */
#define REB_DONE_CALL_MS  3000
#define REB_ID_MAX        24     /* "g<version>" */
#define REB_RETRY_DEF_MS  120000 /* rebalance.dest_retry_time default */

typedef struct reb_shared {
	ais_node *node;
	pthread_mutex_t mu;
	ais_smap *prev[REB_PREV_MAX]; /* mu: Smaps before an eligible-set
	                               * change, newest first (held) */
	size_t nprev;                 /* mu */
	bool seen;                    /* mu: ais_tgt_smap_changed ran */
	ais_smap *base;               /* mu: `old` of its first call (held,
	                               * may be NULL) */
	ais_xact *job;                /* mu: the running job (held) or NULL */
	int64_t job_smap_v;           /* mu: Smap version of the newest job */
	int64_t pend_v;               /* mu: objects received for job g<pend_v>
	                               * before it started here: */
	int64_t pend_objs, pend_bytes; /* mu: counted into it at its start */
	atomic_bool running;           /* a job is running */
	atomic_int_fast64_t gfn_until_ns; /* GFN stays on until then */
} reb_shared;

/* The node's shared state (created on first use; NULL only on ENOMEM). */
reb_shared *reb_shared_of(ais_node *n);

/* True when a and b have the same targets eligible for data (in the map,
 * neither in maintenance nor decommissioned). NULL has none. */
bool reb_same_owners(const ais_smap *a, const ais_smap *b);

/* Counts one received object placed by Smap version v into the running
 * job, or keeps it for job g<v> if that has not started here yet. */
void reb_shared_count_in(reb_shared *sh, int64_t v, int64_t bytes);

/* Nanoseconds, CLOCK_REALTIME / milliseconds, CLOCK_MONOTONIC. */
int64_t reb_now_ns(void);
int64_t reb_mono_ms(void);

/* One rebalance job ------------------------------------------------------- */

typedef struct reb_job reb_job;

typedef struct reb_worker {
	reb_job *job;
	const ais_mpath *mp; /* NULL: nothing to walk (no mountpaths) */
	pthread_t thr;
	bool started;
} reb_worker;

struct reb_job {
	ais_node *node;
	reb_shared *sh;
	char id[REB_ID_MAX];
	int64_t smap_v;
	ais_smap *smap;   /* the Smap objects are placed by (held) */
	ais_bmd *bmd;     /* buckets to walk (held) */
	ais_xact *x;      /* registry entry (held) */
	int64_t retry_ms; /* rebalance.dest_retry_time */
	size_t nworkers;
	reb_worker *workers;
	atomic_size_t walking;    /* sender threads not returned */
	atomic_size_t to_walk;    /* sender threads still walking */
	atomic_bool walked;       /* every sender returned, REB_DONE sent */
	atomic_bool stop;         /* abort: senders return soon */
	atomic_int_fast64_t errs; /* objects that could not be moved */
	/* Peers: the other targets of smap; the control actor's only. */
	size_t npeers;
	char (*peer)[AIS_ID_MAX + 1];
	bool *peer_done;
	bool wait_peers;   /* false: a rerun after restart */
	int64_t walked_ms; /* mono time the actor saw `walked` */
};

/* Creates job "g<smap version>" for smap (held by the job), registers it
 * and starts one sender thread per available mountpath. wait_peers: the
 * job ends only once every other target sent REB_DONE (or after
 * dest_retry_time). */
ais_err reb_job_start(ais_node *n, reb_shared *sh, ais_smap *smap,
    bool wait_peers, reb_job **out);
/* Asks the senders to stop (does not wait). */
void reb_job_stop(reb_job *j, const char *why);
/* True once every sender thread has returned. */
bool reb_job_idle(reb_job *j);
/* Joins the senders (blocks until they return), finishes the xact with
 * err (NULL = success) unless finished, frees. Accepts NULL. */
void reb_job_free(reb_job *j, const char *err);

/* Sender thread main (rebalance_send.c). */
void *reb_send_main(void *arg);

/* Marker file in the confdir: a job is in progress ---------------------- */
ais_err reb_marker_save(ais_node *n, const char *id, int64_t smap_v);
/* AIS_OK with *smap_v when there is a marker, AIS_ENOENT when none. */
ais_err reb_marker_load(ais_node *n, int64_t *smap_v);
void reb_marker_remove(ais_node *n);

/* REB_CHUNK payload (rebalance_chunk.c): [u32 LE head length][RebChunk]
 * [the chunk's object bytes, raw]. ---------------- */
size_t reb_chunk_head_size(const Ais__RebChunk *c);
/* Writes the length and the head to buf (reb_chunk_head_size bytes);
 * returns that size. The bytes go right after it. */
size_t reb_chunk_head_pack(const Ais__RebChunk *c, uint8_t *buf);
/* Splits a received payload: *c (free with ais__reb_chunk__free_unpacked)
 * and the bytes after the head (pointing into p). AIS_EPROTO if malformed. */
ais_err reb_chunk_parse(const uint8_t *p, size_t len, Ais__RebChunk **c,
    const uint8_t **data, size_t *dlen);

/* Receive-side helpers (rebalance_recv.c) ------------------------------ */
extern const act_ops reb_recv_ops[AIS_REB_RECV_ACTORS];
/* Control actor (rebalance.c). */
extern const act_ops reb_ctl_ops;

#endif
