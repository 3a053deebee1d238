/*
 * dSort jobs on a target: the "dsort" actor and its helpers, wiring the
 * tested building blocks of this directory (spec, extract, order, assign,
 * recsrc, create, metrics) into a cluster job.
 *
 * Lifecycle of job J on every target T (messages: proto/dsort.proto):
 *   1. DSORT_START (proxy -> T): T parses the spec, holds the current Smap,
 *      registers J (metrics) and answers OK; a worker thread then picks the
 *      input shards T owns by HRW, extracts them (dsort_extract, work dir
 *      <mpath>/@<prov>/<bck>/%ds/<J>/) and ships the records' metadata
 *      (recsrc wire form, <= 4 MiB per DSORT_RECS, last=true at the end,
 *      or err) to the coordinator target C named in START.
 *   2. C collects every eligible target's records, orders them
 *      (dsort_order: shuffle after the name order of all of them), packs
 *      them into output shards (dsort_assign, sizes counted as the tar
 *      bytes each file takes, so tar output stays within the limit), maps
 *      shards to targets by HRW (dsort_plan_map) and sends each target its
 *      DSORT_PLAN (or PLAN{err} to all when any extraction failed).
 *   3. T creates its shards on a few creator threads (dsort_create_shard);
 *      a record's bytes come from its origin (this target too) in batches:
 *      DSORT_RECS_REQ asks one origin for several whole records (<= 2 MiB)
 *      and the origin's "dsort-src-<i>" actors read them straight into the
 *      reply, off the main dsort loop; a creator keeps the next windows of
 *      its shard in flight while it writes (job_fetch.c). A record larger
 *      than a batch comes in DSORT_REC_REQ chunks (<= 1 MiB). Then
 *      DSORT_DONE -> C; C logs the job done when every target is.
 *   4. DSORT_ABORT stops every phase and removes what T made: spill/work
 *      files and any output shard already created. A failure anywhere
 *      (extract, plan, create) ends J the same way, with the error in
 *      the metrics; C sends a failure anywhere (its own, a target's DONE
 *      with an error, a silent target) to every target as PLAN{err}, so
 *      the job ends everywhere. J stays listed (STATUS) until DSORT_REMOVE.
 *
 * Extension between targets: DsortRecReq.file == -1 asks for the record's
 * files concatenated (offset into the concatenation), so a small record
 * costs one round trip.
 *
 * Reactions: the spec parser defaults missing_shards to "ignore" (as AIS)
 * and cannot tell "absent" from "ignore"; issue 6 wants a corrupt shard to
 * fail the job unless the spec asks to skip it, so the job looks at the
 * raw spec JSON: no Config.missing_shards there means "abort".
 *
 * Liveness: while extracting, a target sends the coordinator an empty
 * DSORT_RECS now and then (one-way); a coordinator that hears nothing from
 * a target for the spec's Config.call_timeout (default 10m) fails the job
 * everywhere with PLAN{err}. Every target fails a job it still runs once
 * the Smap no longer has one of the job's targets as a data target (gone,
 * or in maintenance: its records are out of reach), as AIS does. A target
 * waiting for its plan has no timeout of its own (the slowest extraction
 * bounds its wait); those two rules end it.
 *
 * Not done: the origin keeps its extract result (in-memory records, the
 * spill file) until the job is removed or aborted, since peers may still
 * pull; one PLAN message per target must fit the runtime's 64 MiB
 * envelope (some 300k records per target); extraction is one thread per
 * job per target.
 */
#ifndef AIS_DSORT_JOB_H
#define AIS_DSORT_JOB_H

#include "actors/node/node.h"
#include "core/err.h"

#define DSORT_SRC_ACTORS  4          /* "dsort-src-<i>" per target */
#define DSORT_RECS_BATCH  (4u << 20) /* metadata bytes per RECS */
#define DSORT_FETCH_CHUNK (1u << 20) /* bytes per REC_REQ */

/* Starts "dsort" and the source actors under sup on a target (a no-op on
 * a proxy). n must outlive the supervisor. */
ais_err ais_dsort_start_actors(act_sup *sup, ais_node *n);

/* Name of source actor i (0 <= i < DSORT_SRC_ACTORS): static string. */
const char *dsort_src_actor_name(size_t i);

#endif
