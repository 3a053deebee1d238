/*
 * dSort extract phase on one target, as a library: local input shards ->
 * record metadata (dsort_rec, order.h) plus where each record's bytes are
 * (dsort_rec_loc, recsrc.h). No actors, no network; the job actor runs it
 * on a worker and ships the metadata to the sorter.
 *
 * Per shard (format from spec->input_ext), each record becomes
 *   rec.name  the record key (ais_shard_record_key)
 *   rec.size  bytes of its files
 *   rec.seq   shard index << 32 | record index in the shard (index in the
 *             caller's list, so a skipped shard leaves a gap, not a shift)
 *   rec.origin args->origin
 *   key       per the algorithm: md5 and presence checks by
 *             dsort_recs_prepare at the end; content keys from the file
 *             whose extension equals alg.ext (at most DSORT_CKEY_MAX bytes)
 * and its location:
 *   tar       (path of the shard, offset, size) per file: nothing copied.
 *             A tar with a GNU sparse entry has no offsets for it; such a
 *             shard is re-read and materialized like a compressed one.
 *   tgz, zip, tar.lz4  the record is decompressed and kept in memory while
 *             the held bytes stay within mem_budget, else appended to one
 *             spill file "extract-XXXXXX.spill" in workdir (created on first
 *             use, with workdir itself if missing). A record is all in
 *             memory or all in the spill file. Held bytes = in-memory
 *             records + the one staging buffer of the record being read,
 *             never more than the budget (metadata is not counted). With a
 *             budget of 0 everything spills and the job still completes.
 *
 * Bad shards: a shard that cannot be opened, or that is truncated or
 * corrupt (the reader's AIS_EPROTO), follows spec->conf.missing_shards:
 * abort -> the phase fails with the reader's message, which names the
 * shard; warn -> the shard is skipped and the message kept in warnings;
 * ignore -> skipped silently. A skipped shard contributes no records at all
 * (records read before the damage are dropped and their spilled bytes
 * truncated away), so a shard is either wholly in or wholly out.
 *
 * Duplicates: two records with the same name on this target (within one
 * shard or across shards) follow spec->conf.duplicated_records: abort
 * fails the phase naming both shards; warn keeps both and adds a warning;
 * ignore keeps both. (Duplicates on different targets meet only in the
 * distributed sort.)
 *
 * The abort flag is checked between records and between data chunks:
 * AIS_ESTOPPED, with everything freed and the spill file removed.
 *
 * Blocks on disk I/O: run on a worker, never on an actor loop. One call is
 * single-threaded; concurrent calls need distinct results (the spill file
 * name is unique per call, so they may share workdir).
 */
#ifndef AIS_DSORT_EXTRACT_H
#define AIS_DSORT_EXTRACT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "dsort/order.h"
#include "dsort/recsrc.h"
#include "dsort/spec.h"

#define DSORT_CKEY_MAX         (64 * 1024) /* largest content-key file read */
#define DSORT_EXTRACT_WARN_MAX 100 /* warnings kept; the rest counted */

typedef struct dsort_input_shard {
	const char *name; /* object name, used in messages */
	const char *path; /* absolute path on this target's mountpath */
} dsort_input_shard;

typedef struct dsort_extract_args {
	const dsort_spec *spec;          /* borrowed for the call */
	const dsort_input_shard *shards; /* borrowed for the call */
	size_t nshards;
	const char *workdir;      /* <mountpath>/@ais/<bck>/%ds/<job id>/ */
	uint64_t mem_budget;      /* bytes of record data held in memory */
	const atomic_bool *abort; /* may be NULL */
	uint32_t origin;          /* copied to every rec.origin */
} dsort_extract_args;

typedef struct dsort_extract_result {
	dsort_rec *recs;     /* owned; recs[i] is located by locs[i] */
	dsort_rec_loc *locs; /* owned */
	size_t n;
	size_t shards_done;     /* shards whose records are in recs */
	size_t shards_skipped;  /* by the missing_shards reaction */
	uint64_t bytes;         /* sum of rec.size */
	uint64_t mem_bytes;     /* record bytes held in memory */
	uint64_t spilled_bytes; /* record bytes in the spill file */
	uint64_t mem_peak;      /* most held at once, staging included */
	char **warnings;        /* owned, one line each */
	size_t nwarnings;
	size_t warnings_dropped; /* past DSORT_EXTRACT_WARN_MAX */
	/* private: paths the FILE locations borrow */
	char **paths; /* shard paths, by shard index (NULL if none) */
	size_t npaths;
	char *spill_path; /* NULL until something spilled */
	int spill_fd;
} dsort_extract_result;

/* Runs the phase. On success *res owns everything (free with
 * dsort_extract_result_fini, which also removes the spill file). On
 * failure *res is left finalized (nothing to free, no spill file) and
 * errbuf gets one line: the reader's message naming the shard, the record
 * without a content key, the duplicate, or the failing syscall. Codes:
 * AIS_EPROTO (bad shard), AIS_EINVAL (bad key, duplicate, spec),
 * AIS_ESTOPPED (aborted), syscall errors, AIS_ENOMEM. */
ais_err dsort_extract(const dsort_extract_args *args,
    dsort_extract_result *res, char *errbuf, size_t errlen);

/* Frees records, locations, warnings; closes and unlinks the spill file.
 * Accepts a zeroed or finalized res. */
void dsort_extract_result_fini(dsort_extract_result *res);

#endif
