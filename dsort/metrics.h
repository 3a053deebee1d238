/*
 * dSort job metrics: one target's view of a job (three phases with their
 * times and counters, description, warnings, errors, aborted/archived) and
 * its wire form, AIS's JobInfo (spec native-api.md section 10; AIS
 * ext/dsort/metric.go; Python SDK aistore/sdk/dsort/types.py).
 *
 * A target keeps one dsort_metrics per job. Counters and phase flags are
 * atomics so extractor/creator worker threads bump them without a lock;
 * strings (warnings, errors) sit behind one mutex. A status request takes a
 * dsort_jobinfo snapshot (plain values) and encodes it; the proxy parses
 * each target's answer back into a dsort_jobinfo and aggregates them.
 *
 * JobInfo JSON (what GET /v1/sort?uuid= answers per target id):
 *
 *   {"id", "src-bck", "dst-bck"            bucket {"name","provider",
 *                                            "namespace":{"uuid","name"}}
 *    "started_time"                         RFC3339Nano: extraction start
 *    "finish_time"                          RFC3339Nano: creation end
 *    "started_meta_sorting"                 ns int: extraction elapsed
 *    "started_shard_creation"               ns int: sorting elapsed
 *    "finished_shard_creation"              ns int: creation elapsed
 *    "loc-objs", "loc-bytes"                strings: shards / bytes
 *                                            extracted here
 *    "Metrics": {
 *      "local_extraction": {phase, "total_count", "extracted_count",
 *        "extracted_size", "extracted_record_count",
 *        "extracted_to_disk_count", "extracted_to_disk_size"},
 *      "meta_sorting": {phase},
 *      "shard_creation": {phase, "to_create", "created_count",
 *        "moved_shard_count"},
 *      "description", "warnings":[], "errors":[], "aborted", "archived"},
 *    "aborted", "archived"}
 *
 *   phase = "started_time","end_time" (RFC3339Nano, Go's zero time
 *   "0001-01-01T00:00:00Z" when not yet), "elapsed" (ns int; while running
 *   up to the snapshot), "running", "finished".
 *
 * Counters are decimal strings (Go `json:",string"`); the SDK models them
 * as str. The Metrics object alone is what SDK 1.2.2 expects per target
 * (`{tid: Metrics}`, AIS before Aug 2023), so it is available separately.
 * Names are the SDK's and AIS's exactly; the parser also accepts counters
 * as numbers and keys in any case.
 */
#ifndef AIS_DSORT_METRICS_H
#define AIS_DSORT_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "dsort/spec.h"

#define DSORT_JOB_ID_MAX 64 /* job id bytes, no NUL */
/* Warnings / errors kept, each; the rest are counted and dropped, so
 * memory stays bounded however many shards complain. */
#define DSORT_MSGS_MAX 64

typedef enum dsort_phase {
	DSORT_PHASE_EXTRACT = 0, /* "local_extraction" */
	DSORT_PHASE_SORT,        /* "meta_sorting" */
	DSORT_PHASE_CREATE,      /* "shard_creation" */
	DSORT_PHASE__COUNT
} dsort_phase;

typedef enum dsort_cnt {
	DSORT_CNT_TOTAL = 0,         /* input shards to extract */
	DSORT_CNT_EXTRACTED,         /* input shards extracted */
	DSORT_CNT_EXTRACTED_SIZE,    /* their bytes */
	DSORT_CNT_EXTRACTED_RECORDS, /* records found in them */
	DSORT_CNT_EXTRACTED_TO_DISK, /* shards spilled to disk */
	DSORT_CNT_EXTRACTED_TO_DISK_SIZE,
	DSORT_CNT_TO_CREATE,    /* output shards this target owns */
	DSORT_CNT_CREATED,      /* of which created so far */
	DSORT_CNT_MOVED_SHARDS, /* created here, sent elsewhere */
	DSORT_CNT__COUNT
} dsort_cnt;

/* JSON key of a phase / counter ("local_extraction", "created_count"). */
const char *dsort_phase_name(dsort_phase p);
const char *dsort_cnt_name(dsort_cnt c);
/* The phase whose JSON object holds counter c. */
dsort_phase dsort_cnt_phase(dsort_cnt c);

/*
 * Live metrics of one job on one target.
 */
typedef struct dsort_metrics dsort_metrics;

/* src/dst/description are copied; id must be 1..DSORT_JOB_ID_MAX bytes
 * (AIS_EINVAL). AIS_ENOMEM. */
ais_err dsort_metrics_alloc(dsort_metrics **mp, const char *id,
    const dsort_bck *src, const dsort_bck *dst, const char *description);
void dsort_metrics_free(dsort_metrics *m); /* accepts NULL */

/* Phase transitions (any thread). begin sets the start time and running;
 * finish sets the end time, running=false, finished=true (a finish without
 * begin starts and ends at the same instant). Repeats are ignored, so a
 * phase's times are set once. now_ns: wall clock ns since the epoch, 0 =
 * read the clock. */
void dsort_metrics_phase_begin(
    dsort_metrics *m, dsort_phase p, int64_t now_ns);
void dsort_metrics_phase_finish(
    dsort_metrics *m, dsort_phase p, int64_t now_ns);

/* Counters (any thread, lock-free). */
void dsort_metrics_add(dsort_metrics *m, dsort_cnt c, int64_t delta);
void dsort_metrics_set(dsort_metrics *m, dsort_cnt c, int64_t v);
int64_t dsort_metrics_get(const dsort_metrics *m, dsort_cnt c);

/* A warning / error line (copied; any thread). Only the first
 * DSORT_MSGS_MAX of each are kept. AIS_ENOMEM (the line is lost). */
ais_err dsort_metrics_warn(dsort_metrics *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
ais_err dsort_metrics_error(dsort_metrics *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void dsort_metrics_set_aborted(dsort_metrics *m);
void dsort_metrics_set_archived(dsort_metrics *m);
bool dsort_metrics_aborted(const dsort_metrics *m);

/*
 * Snapshots: plain values, what goes on the wire.
 */
typedef struct dsort_phase_info {
	int64_t start_ns;   /* 0 = not started */
	int64_t end_ns;     /* 0 = not finished */
	int64_t elapsed_ns; /* end - start, or now - start while running */
	bool running;
	bool finished;
} dsort_phase_info;

typedef struct dsort_jobinfo {
	char id[DSORT_JOB_ID_MAX + 1];
	dsort_bck src;
	dsort_bck dst;
	dsort_phase_info phase[DSORT_PHASE__COUNT];
	int64_t cnt[DSORT_CNT__COUNT];
	char *description; /* owned, never NULL after a successful fill */
	char **warnings;   /* owned array of owned strings */
	size_t nwarnings;
	char **errors;
	size_t nerrors;
	bool aborted;
	bool archived;
} dsort_jobinfo;

/* Copies the live state into *out (owned; dsort_jobinfo_fini). Running
 * phases get elapsed = now_ns - start (now_ns 0 = read the clock).
 * AIS_ENOMEM (then *out is empty). */
ais_err dsort_metrics_snapshot(
    const dsort_metrics *m, int64_t now_ns, dsort_jobinfo *out);
void dsort_jobinfo_fini(dsort_jobinfo *ji); /* accepts a zeroed ji */

/* JobInfo JSON (file comment); a new reference, NULL on ENOMEM. */
json_t *dsort_jobinfo_to_json(const dsort_jobinfo *ji);
/* Only the "Metrics" object (SDK 1.2.2 per-target shape). */
json_t *dsort_jobinfo_metrics_json(const dsort_jobinfo *ji);
/* Parses a JobInfo, or a bare Metrics object (then id/buckets stay empty
 * unless passed in the same object). Keys case-insensitive; counters as
 * strings or numbers; phase objects required (as the SDK requires them).
 * AIS_EINVAL with a line in errbuf naming the field. *out is owned on
 * success and zeroed on failure. */
ais_err dsort_jobinfo_from_json(
    const json_t *j, dsort_jobinfo *out, char *errbuf, size_t errlen);

/*
 * Aggregation over targets (the proxy's {tid: JobInfo}).
 */
typedef struct dsort_job_agg {
	size_t ntargets;
	bool finished;       /* every target finished shard creation, or the
	                      * job aborted somewhere (it will not finish) */
	bool aborted;        /* aborted on any target */
	bool archived;       /* archived on every target */
	size_t nerrors;      /* errors reported over all targets */
	char first_err[256]; /* "<tid>: <first error>" or "" */
	int64_t started_ns;  /* earliest extraction start (0 = none yet) */
	int64_t finish_ns;   /* latest creation end, 0 unless all finished */
	int64_t created;     /* output shards created, summed */
	int64_t to_create;
} dsort_job_agg;

void dsort_job_agg_init(dsort_job_agg *a);
/* Folds one target's snapshot in (tid for the error line). */
void dsort_job_agg_add(
    dsort_job_agg *a, const char *tid, const dsort_jobinfo *ji);
/* Whole map {tid: JobInfo or Metrics}; AIS_EINVAL naming the target whose
 * entry does not parse. An empty map gives ntargets 0, finished false. */
ais_err dsort_job_agg_json(
    const json_t *map, dsort_job_agg *out, char *errbuf, size_t errlen);

#endif
