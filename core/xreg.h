/*
 * The node-local job registry: every background job ("xaction", spec
 * native-api.md section 8) a node runs, with its ID, kind, bucket, start and
 * end time, abort flag, error and progress counters -- what job status
 * queries report.
 *
 * A job (ais_xact) is refcounted: the registry holds one reference, each
 * worker and each lookup another. Workers bump the counters (atomics) and
 * finish the job once; readers take copies (ais_xact_snap) and never see a
 * half-updated job. The table is bounded: starting a job into a full table
 * evicts the finished job that ended first; a table full of running jobs
 * refuses with AIS_EBUSY. All functions are thread-safe and never block on
 * anything but the registry's mutex.
 *
 * Job IDs use the AIS alphabet (section 0.6): 10 characters of [A-Za-z0-9],
 * a letter first -- valid for the CLI and the Go/Python clients, which
 * check 9..31 characters of [A-Za-z0-9_-] not starting or ending in - or _.
 */
#ifndef AIS_CORE_XREG_H
#define AIS_CORE_XREG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bmd.h"
#include "core/err.h"

#define AIS_XACT_ID_LEN   10 /* generated IDs */
#define AIS_XACT_ID_MAX   31 /* longest accepted ID */
#define AIS_XACT_KIND_MAX 31
#define AIS_XACT_ERR_MAX  256  /* error text kept (truncated) */
#define AIS_XREG_CAP      1024 /* default table size */

/* A bucket as a job names it (empty name = none). */
typedef struct ais_xact_bck {
	char provider[8]; /* "ais", "aws", ... or "" */
	char ns[80];      /* namespace uname; "" or "@#" global */
	char name[AIS_BCK_NAME_MAX + 1];
} ais_xact_bck;

/* A copy of a job's state at one moment. */
typedef struct ais_xact_snap {
	char id[AIS_XACT_ID_MAX + 1];
	char kind[AIS_XACT_KIND_MAX + 1];
	ais_xact_bck bck;
	int64_t start_ns; /* ns since the epoch */
	int64_t end_ns;   /* 0 while running */
	bool aborted;
	char err[AIS_XACT_ERR_MAX]; /* "" if none */
	char abort_err[AIS_XACT_ERR_MAX];
	int64_t objs;  /* objects processed */
	int64_t bytes; /* their bytes */
	int64_t out_objs;  /* sent to other targets (rebalance, copies) */
	int64_t out_bytes;
	int64_t in_objs;   /* received from other targets */
	int64_t in_bytes;
} ais_xact_snap;

/* Which jobs a query wants; NULL/"" fields match everything. */
typedef struct ais_xact_query {
	const char *id;
	const char *kind;
	const ais_xact_bck *bck; /* by provider (if set) and name */
	bool only_running;
} ais_xact_query;

typedef struct ais_xact ais_xact;
typedef struct ais_xreg ais_xreg;

/* A registry with room for cap jobs (0 = AIS_XREG_CAP). ENOMEM. */
ais_err ais_xreg_alloc(size_t cap, ais_xreg **out);
/* Drops the registry's references (jobs still held elsewhere live on until
 * released). Accepts NULL. */
void ais_xreg_free(ais_xreg *reg);
/* The process-wide registry of this node (one node per process), created
 * on first use and never freed. NULL only on ENOMEM. */
ais_xreg *ais_xreg_node(void);

/* Registers a running job. id NULL or "" = generate one; else it must be a
 * valid ID (ais_xact_id_valid) not already present (AIS_EEXIST). kind:
 * 1..AIS_XACT_KIND_MAX chars (AIS_EINVAL). bck may be NULL. AIS_EBUSY if the
 * table is full of running jobs; AIS_ENOMEM. On success *out is a held
 * reference (release with ais_xact_rele). */
ais_err ais_xreg_start(ais_xreg *reg, const char *id, const char *kind,
    const ais_xact_bck *bck, ais_xact **out);
/* A held reference to the job with this ID, or NULL. */
ais_xact *ais_xreg_find(ais_xreg *reg, const char *id);
/* Snapshots of the matching jobs, oldest start first, in a malloc'd array
 * (*out NULL when *n is 0); the caller frees it. AIS_ENOMEM. */
ais_err ais_xreg_query(
    ais_xreg *reg, const ais_xact_query *q, ais_xact_snap **out, size_t *n);
/* Asks a job to stop: sets aborted and the reason; the worker sees it
 * (ais_xact_aborted) and finishes. Returns false if the job had already
 * finished (then nothing changes). */
bool ais_xreg_abort(ais_xreg *reg, const char *id, const char *why);
/* Jobs in the table (tests). */
size_t ais_xreg_count(ais_xreg *reg);

void ais_xact_hold(ais_xact *x);
void ais_xact_rele(ais_xact *x);            /* frees at zero; accepts NULL */
const char *ais_xact_id(const ais_xact *x); /* borrowed, lives with x */
/* Adds to the progress counters (any thread). */
void ais_xact_add(ais_xact *x, int64_t objs, int64_t bytes);
/* Adds to the sent (out) and received (in) counters (any thread). */
void ais_xact_add_out(ais_xact *x, int64_t objs, int64_t bytes);
void ais_xact_add_in(ais_xact *x, int64_t objs, int64_t bytes);
bool ais_xact_aborted(const ais_xact *x);
/* Same as ais_xreg_abort for a job at hand. */
bool ais_xact_abort(ais_xact *x, const char *why);
/* Marks the job finished now, with an error text (NULL or "" = none). Only
 * the first call counts. */
void ais_xact_finish(ais_xact *x, const char *err);
bool ais_xact_finished(const ais_xact *x);
void ais_xact_snap_get(ais_xact *x, ais_xact_snap *out);

/* A fresh ID: AIS_XACT_ID_LEN chars + NUL into out. */
void ais_xact_id_new(char out[AIS_XACT_ID_LEN + 1]);
/* 1..AIS_XACT_ID_MAX chars of [A-Za-z0-9_-], not starting or ending with
 * '-' or '_'. */
bool ais_xact_id_valid(const char *id);

/* The AIS snapshot JSON (core.Snap; section 8.3), a new reference or NULL
 * on ENOMEM:
 *   {"id","kind","start-time":RFC3339Nano,"end-time":RFC3339Nano or
 *    "0001-01-01T00:00:00Z","bck":{"name","provider","namespace":{"uuid",
 *    "name"}},"src-bck","dst-bck","ctlmsg":"","abort-err","err",
 *    "glob.id":"0","stats":{"loc-objs":"N","loc-bytes":"N","out-objs",
 *    "out-bytes","in-objs","in-bytes"},"aborted","is_idle"}
 * is_idle is true once the job has finished. */
json_t *ais_xact_snap_to_json(const ais_xact_snap *s);
/* The inverse (keys case-insensitive, counters as strings or numbers).
 * AIS_EINVAL if id or kind is missing or a time does not parse. */
ais_err ais_xact_snap_from_json(const json_t *j, ais_xact_snap *out);
/* RFC 3339 with nanoseconds, UTC, trailing zeros of the fraction trimmed
 * (Go time.RFC3339Nano); ns 0 is Go's zero time "0001-01-01T00:00:00Z". */
void ais_xact_time_fmt(int64_t ns, char *buf, size_t len);
/* Parses what ais_xact_time_fmt writes (any zone offset); the zero time
 * gives 0. AIS_EINVAL. */
ais_err ais_xact_time_parse(const char *s, int64_t *ns);

#endif
