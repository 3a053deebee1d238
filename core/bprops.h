/*
 * Bucket properties (shared/spec/smap-bmd.md section 3, config.md section 4).
 * The BMD keeps each bucket's props as the full AIS JSON object; this module
 * makes that object (defaults snapshotted from the cluster config at
 * creation), applies BpropsToSet updates with AIS's validation, and gives
 * the data path a small typed view of what it needs.
 */
#ifndef AIS_CORE_BPROPS_H
#define AIS_CORE_BPROPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/cksum.h"
#include "core/config.h"
#include "core/err.h"

/* Access bits (api/apc/access.go). */
#define AIS_ACCESS_GET 1ULL
#define AIS_ACCESS_HEAD_OBJ 2ULL
#define AIS_ACCESS_PUT 4ULL
#define AIS_ACCESS_APPEND 8ULL
#define AIS_ACCESS_DELETE_OBJ 16ULL
#define AIS_ACCESS_ALL UINT64_MAX

/* Bucket feature bit: fsync every PUT. */
#define AIS_FEAT_FSYNC_PUT (1ULL << 4)

typedef struct ais_bprops {
	ais_cksum_type cksum;     /* checksum.type */
	bool validate_warm_get;   /* checksum.validate_warm_get */
	bool versioning;          /* versioning.enabled */
	uint64_t access;          /* access bits */
	uint64_t features;        /* bucket feature bits */
	uint64_t bid;             /* bucket ID */
	int64_t created;          /* ns since epoch */
	bool mirror;              /* mirror.enabled */
	int mirror_copies;
} ais_bprops;

/* Full props of a new bucket: the config snapshot (checksum, lru forced off
 * for ais://, mirror, versioning, ec, chunks, write_policy, rate_limit,
 * features), access all, provider, backend_bck/extra empty, `bid` and
 * `created` set from the arguments. New reference in *out. */
ais_err ais_bprops_new(const ais_cconfig *cfg, const char *provider,
    uint64_t bid, int64_t created_ns, json_t **out);
/* Applies a BpropsToSet object onto props (in place): only the leaves given
 * change; keys matched case-insensitively; read-only fields (provider, bid,
 * created) refused; values validated (checksum type, mirror copies 1..32,
 * versioning.validate_warm_get needs enabled, access/features as decimal
 * strings or numbers, ...). On error props is unchanged and errbuf holds one
 * line for a 400. */
ais_err ais_bprops_apply(json_t *props, const json_t *to_set, char *errbuf,
    size_t errlen);
/* The typed view; missing fields take AIS defaults. */
ais_err ais_bprops_view(const json_t *props, ais_bprops *out);

#endif
