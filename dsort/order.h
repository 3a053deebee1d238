/*
 * dSort record ordering: what a record is, its sort key, and the orders of
 * the five algorithms; plus the pieces of a distributed sort (k-way merge of
 * sorted runs, splitters that cut the key space into disjoint ranges).
 *
 * A record is the set of files in a shard that share a name up to the first
 * '.' of the last path element, leading dots excepted (WebDataset; AIS
 * ext/dsort/shard/recm.go cosExt; the rule is ais_shard_record_key's):
 * "a/sample0001.jpg" and "a/sample0001.cls" form record "a/sample0001";
 * "x/s.0.seg.png" belongs to "x/s" with extension ".0.seg.png";
 * "dir.v2/file" (no dot in the last element) is its own record with no
 * extension, and so is ".hidden". The caller groups files into records;
 * this module sees only whole records (name, key, total size).
 *
 * Orders (every comparison ends with the record name and then seq, so the
 * order is total and identical on every machine):
 *   alphanumeric  name, byte order (memcmp), increasing or decreasing
 *   md5           lowercase md5 hex of the name (AIS keys md5 by name too)
 *   content       the key parsed from the record's file with alg.ext:
 *                 int (decimal int64), float (strtod, no NaN) or string
 *                 (bytes as is); surrounding blanks are trimmed for int and
 *                 float (a trailing newline is common in .cls files)
 *   none          seq, the input order the caller assigned
 *                 (e.g. input shard index << 32 | index in shard)
 *   shuffle       name order, then a Fisher-Yates shuffle driven by
 *                 xoshiro256** seeded from alg.seed through splitmix64, so
 *                 the same seed and the same records give the same order
 *                 everywhere, whatever order the records arrived in
 *
 * Distributed sort: each target sorts its own records (dsort_order), then
 * either runs are merged (dsort_merge) or a sample of keys picks splitters
 * (dsort_splitters) and each record goes to the target owning its range
 * (dsort_range_of), which sorts that range; concatenating the ranges in
 * order gives the global order. Only metadata moves this way; record bytes
 * move later, once. Shuffle is a permutation of the whole list, so it is
 * applied (dsort_shuffle) after the name-ordered runs are merged on one
 * node; merge and splitters treat shuffle as name order.
 */
#ifndef AIS_DSORT_ORDER_H
#define AIS_DSORT_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "dsort/spec.h"

typedef enum dsort_key_kind {
	DSORT_KEY_NONE = 0, /* no key yet (content: key file not seen) */
	DSORT_KEY_INT,
	DSORT_KEY_FLOAT,
	DSORT_KEY_STR, /* content string key or md5 hex */
} dsort_key_kind;

typedef struct dsort_rec {
	char *name; /* record name (owned, NUL-terminated) */
	dsort_key_kind kkind;
	int64_t ki; /* DSORT_KEY_INT */
	double kf;  /* DSORT_KEY_FLOAT */
	char *ks;   /* DSORT_KEY_STR (owned) */
	size_t kslen;
	uint64_t size;   /* bytes of all its files */
	uint64_t seq;    /* input order (caller-assigned, unique) */
	uint32_t origin; /* caller's tag: e.g. the target holding it */
	uint32_t ix;     /* caller's: e.g. where its metadata is */
} dsort_rec;

typedef struct dsort_run {
	dsort_rec *recs; /* sorted by the same algorithm */
	size_t n;
} dsort_run;

/* Length of the record name within `path` (the record of a file): up to
 * the first '.' of the last path element that is not one of its leading
 * dots, or len when it has none; the same rule as ais_shard_record_key
 * (shard.h), which it calls (".hidden" is its own record, no extension). */
size_t dsort_rec_name_len(const char *path, size_t len);
/* The extension part of `path` ("" when none); borrowed from path. */
const char *dsort_rec_ext(const char *path, size_t len);

/* Sets r->name to a copy of name[0..len); AIS_ENOMEM. */
ais_err dsort_rec_init(
    dsort_rec *r, const char *name, size_t len, uint64_t size, uint64_t seq);
/* Deep copy (name and string key); AIS_ENOMEM. */
ais_err dsort_rec_copy(dsort_rec *dst, const dsort_rec *src);
void dsort_rec_fini(dsort_rec *r); /* frees name and key; accepts zeroed */
void dsort_recs_free(dsort_rec *recs, size_t n); /* fini each + free */

/* Parses the content of a record's key file into its key. AIS_EINVAL with
 * a message naming the record when the content is not a valid `type`. */
ais_err dsort_rec_set_content_key(dsort_rec *r, dsort_ckey_type type,
    const void *buf, size_t len, char *errbuf, size_t errlen);

/* Computes the keys the algorithm needs (md5) and checks they are all
 * there (content: every record needs its key file; AIS_EINVAL naming the
 * first record without one). Called by dsort_order; merge and splitters
 * expect prepared records. */
ais_err dsort_recs_prepare(dsort_rec *recs, size_t n, const dsort_alg *alg,
    char *errbuf, size_t errlen);

/* <0, 0, >0 in the algorithm's order (shuffle: name order). Records must
 * be prepared. 0 only for the same name and seq. */
int dsort_rec_cmp(
    const dsort_rec *a, const dsort_rec *b, const dsort_alg *alg);

/* Prepares and sorts recs in place in the algorithm's final order
 * (shuffle included). Does not block; O(n log n). */
ais_err dsort_order(dsort_rec *recs, size_t n, const dsort_alg *alg,
    char *errbuf, size_t errlen);

/* Seeded Fisher-Yates over recs (call on name-ordered records for a
 * machine-independent result). No seed: seeded from getrandom. */
void dsort_shuffle(dsort_rec *recs, size_t n, const dsort_alg *alg);

/* Merges sorted runs into out[0..total) (allocated by the caller). Takes
 * the records: each run's records are moved (their pointers cleared), so
 * runs' arrays only need free(). Does not shuffle. AIS_ENOMEM. */
ais_err dsort_merge(
    dsort_run *runs, size_t nruns, const dsort_alg *alg, dsort_rec *out);

/* Picks nparts-1 splitters from samples (sorted in place): the records at
 * quantiles i*n/nparts. *out (owned, free with dsort_recs_free) gets deep
 * copies; fewer than nparts-1 when there are fewer distinct samples
 * (adjacent duplicates collapsed), so some ranges may be empty.
 * nparts 0 is AIS_EINVAL. */
ais_err dsort_splitters(dsort_rec *samples, size_t nsamples, size_t nparts,
    const dsort_alg *alg, dsort_rec **out, size_t *nout);

/* The range a record falls into: the number of splitters <= r, so range
 * i holds keys in [spl[i-1], spl[i]). Binary search. */
size_t dsort_range_of(const dsort_rec *r, const dsort_rec *spl, size_t nspl,
    const dsort_alg *alg);

#endif
