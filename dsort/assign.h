/*
 * dSort assignment: ordered records -> output shards -> targets.
 *
 * Filling: records are taken in order and packed into the current shard
 * while its size stays <= the limit; a record is never split. A record that
 * does not fit closes the current shard and opens the next one; a record
 * bigger than the limit gets a shard of its own. (AIS closes a shard only
 * after the record that crosses the limit, so its shards overshoot by up to
 * one record; ours stay under the limit except for oversized records.)
 * A limit <= 0 means "spread evenly": ceil(total size / names in the output
 * template), as AIS.
 *
 * Naming: the i-th shard takes the i-th name of the output template, plus
 * the output extension unless the name already ends with one
 * (dsort_shard_name). Running out of names is AIS_EINVAL.
 *
 * Placement: each shard belongs to the target that owns its object by HRW
 * over the Smap (core/hrw.h: uname of output bucket + shard name), the same
 * choice the object data path makes, so a created shard is already where a
 * GET will be redirected.
 */
#ifndef AIS_DSORT_ASSIGN_H
#define AIS_DSORT_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/smap.h"
#include "dsort/order.h"
#include "dsort/spec.h"

typedef struct dsort_oshard {
	char *name;   /* object name with extension (owned) */
	size_t first; /* records [first, first + count) of the order */
	size_t count;
	uint64_t size;               /* sum of the records' sizes */
	char target[AIS_ID_MAX + 1]; /* owner by HRW; "" until mapped */
} dsort_oshard;

typedef struct dsort_plan {
	dsort_oshard *shards; /* owned */
	size_t n;
} dsort_plan;

/* Packs recs[0..n) (already ordered) into shards named from `tmpl` with
 * extension `ext` (e.g. ".tar"). max_size <= 0: even spread (see above).
 * On success *plan owns the shards (dsort_plan_fini); on failure *plan is
 * empty and errbuf names the problem. Zero records give zero shards. */
ais_err dsort_assign(const dsort_rec *recs, size_t n, int64_t max_size,
    const char *tmpl, const char *ext, dsort_plan *plan, char *errbuf,
    size_t errlen);

/* Sets every shard's target: HRW owner of bucket/shard in m (maintenance
 * and decommissioned targets skipped). AIS_ENOENT if m has no eligible
 * target; AIS_EINVAL if a uname does not fit. m is borrowed. */
ais_err dsort_plan_map(dsort_plan *plan, const ais_smap *m,
    const dsort_bck *bck, char *errbuf, size_t errlen);

void dsort_plan_fini(dsort_plan *plan); /* accepts a zeroed plan */

#endif
