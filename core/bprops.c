/*
 * Bucket properties: the full AIS Bprops JSON object (shared/spec/
 * smap-bmd.md section 3.1) as the BMD stores it and HEAD bucket returns it.
 *
 * A new bucket's props are a one-time snapshot of the cluster config
 * (config.md section 4): checksum, lru (forced off for ais://), mirror,
 * versioning, ec, chunks, write_policy, rate_limit and features. Every
 * section is always present, in the order AIS prints them, so what clients
 * parse never depends on what was set.
 *
 * Updates (BpropsToSet, section 3.3) are merged leaf by leaf into a private
 * copy: each key is matched case-insensitively against the current props or,
 * for optional leaves that props may lack (extra.aws.endpoint), against the
 * leaf table below, which also gives each leaf its wire type and range. Keys
 * neither knows are ignored, as Go's decoder does. The merged copy is then
 * validated as a whole (cross-field rules) and only then replaces the props,
 * so a refused update changes nothing.
 */
#include "core/err.h"
#include "core/bprops.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/jsonx.h"
#include "core/units.h"

#define BP_ACCESS_ALL_STR "18446744073709551615"
#define BP_PATH_MAX       96
#define BP_GIB            (INT64_C(1) << 30)

/* The shape and fallback values; config sections are laid over these. */
static const char bp_template[]
    = "{"
      "\"backend_bck\": {\"name\": \"\", \"provider\": \"\","
      " \"namespace\": {\"uuid\": \"\", \"name\": \"\"}},"
      "\"write_policy\": {\"data\": \"\", \"md\": \"\"},"
      "\"provider\": \"ais\","
      "\"Renamed\": \"\","
      "\"checksum\": {\"type\": \"xxhash2\", \"validate_cold_get\": true,"
      " \"validate_warm_get\": false, \"validate_obj_move\": false,"
      " \"enable_read_range\": false},"
      "\"extra\": {\"aws\": {}, \"gcp\": {}, \"oci\": {}},"
      "\"rate_limit\": {"
      " \"backend\": {\"interval\": \"1m\", \"max_tokens\": 1000,"
      " \"enabled\": false, \"num_retries\": 3},"
      " \"frontend\": {\"interval\": \"1m\", \"max_tokens\": 1000,"
      " \"enabled\": false, \"burst_size\": 375}},"
      "\"ec\": {\"compression\": \"never\", \"bundle_multiplier\": 2,"
      " \"burst_buffer\": 512, \"objsize_limit\": 262144,"
      " \"data_slices\": 2, \"parity_slices\": 2, \"enabled\": false,"
      " \"disk_only\": false},"
      "\"chunks\": {\"objsize_limit\": \"0B\", \"chunk_size\": \"1GiB\"},"
      "\"mirror\": {\"copies\": 2, \"burst_buffer\": 512, \"enabled\": false},"
      "\"lru\": {\"dont_evict_time\": \"2h0m\","
      " \"capacity_upd_time\": \"10m\", \"batch_size\": 32768,"
      " \"enabled\": false},"
      "\"access\": \"" BP_ACCESS_ALL_STR "\","
      "\"features\": \"0\","
      "\"bid\": \"0\","
      "\"created\": \"0\","
      "\"versioning\": {\"enabled\": true, \"validate_warm_get\": false,"
      " \"synchronize\": false}"
      "}";

/* Sections copied from the cluster config (same name on both sides). */
static const char *const bp_cfg_sections[] = {
	"checksum",
	"lru",
	"mirror",
	"versioning",
	"ec",
	"chunks",
	"write_policy",
	"rate_limit",
};

typedef enum bp_kind {
	BP_BOOL,   /* JSON bool (or "true"/"false") */
	BP_INT,    /* JSON number (or decimal string), within [min, max] */
	BP_STR,    /* JSON string */
	BP_DUR,    /* Go duration string, >= 0; stored normalized */
	BP_SIZE,   /* IEC size string or number, within [min, max] */
	BP_U64S,   /* uint64 as decimal string (number accepted) */
	BP_RO,     /* read-only: any update refused */
	BP_IGNORE, /* accepted and dropped (force, Renamed) */
} bp_kind;

typedef struct bp_leaf {
	const char *path; /* dotted, canonical spelling */
	bp_kind kind;
	int64_t min, max;
} bp_leaf;

static const bp_leaf bp_leaves[] = {
	{ "provider", BP_RO, 0, 0 },
	{ "bid", BP_RO, 0, 0 },
	{ "created", BP_RO, 0, 0 },
	{ "Renamed", BP_IGNORE, 0, 0 },
	{ "force", BP_IGNORE, 0, 0 },
	{ "access", BP_U64S, 0, 0 },
	{ "features", BP_U64S, 0, 0 },
	{ "backend_bck.name", BP_STR, 0, 0 },
	{ "backend_bck.provider", BP_STR, 0, 0 },
	{ "backend_bck.namespace.uuid", BP_STR, 0, 0 },
	{ "backend_bck.namespace.name", BP_STR, 0, 0 },
	{ "write_policy.data", BP_STR, 0, 0 },
	{ "write_policy.md", BP_STR, 0, 0 },
	{ "checksum.type", BP_STR, 0, 0 },
	{ "checksum.validate_cold_get", BP_BOOL, 0, 0 },
	{ "checksum.validate_warm_get", BP_BOOL, 0, 0 },
	{ "checksum.validate_obj_move", BP_BOOL, 0, 0 },
	{ "checksum.enable_read_range", BP_BOOL, 0, 0 },
	{ "extra.aws.cloud_region", BP_STR, 0, 0 },
	{ "extra.aws.endpoint", BP_STR, 0, 0 },
	{ "extra.aws.profile", BP_STR, 0, 0 },
	{ "extra.aws.max_pagesize", BP_INT, 0, INT64_MAX },
	{ "extra.aws.multipart_size", BP_SIZE, 0, INT64_MAX },
	{ "extra.gcp.application_creds", BP_STR, 0, 0 },
	{ "extra.oci.region", BP_STR, 0, 0 },
	{ "extra.http.original_url", BP_STR, 0, 0 },
	{ "extra.custom", BP_STR, 0, 0 },
	{ "rate_limit.backend.interval", BP_DUR, 0, 0 },
	{ "rate_limit.backend.max_tokens", BP_INT, 0, INT32_MAX },
	{ "rate_limit.backend.enabled", BP_BOOL, 0, 0 },
	{ "rate_limit.backend.num_retries", BP_INT, 0, 1000 },
	{ "rate_limit.backend.per_op_max_tokens", BP_STR, 0, 0 },
	{ "rate_limit.frontend.interval", BP_DUR, 0, 0 },
	{ "rate_limit.frontend.max_tokens", BP_INT, 0, INT32_MAX },
	{ "rate_limit.frontend.enabled", BP_BOOL, 0, 0 },
	{ "rate_limit.frontend.burst_size", BP_INT, 0, INT32_MAX },
	{ "rate_limit.frontend.per_op_max_tokens", BP_STR, 0, 0 },
	{ "ec.compression", BP_STR, 0, 0 },
	{ "ec.bundle_multiplier", BP_INT, 0, 16 },
	{ "ec.burst_buffer", BP_INT, 0, INT32_MAX },
	{ "ec.objsize_limit", BP_INT, -1, INT64_MAX },
	{ "ec.data_slices", BP_INT, 1, 32 },
	{ "ec.parity_slices", BP_INT, 1, 32 },
	{ "ec.enabled", BP_BOOL, 0, 0 },
	{ "ec.disk_only", BP_BOOL, 0, 0 },
	{ "chunks.objsize_limit", BP_SIZE, 0, INT64_MAX },
	{ "chunks.max_monolithic_size", BP_SIZE, 0, INT64_C(1) << 40 },
	{ "chunks.chunk_size", BP_SIZE, 0, 5 * BP_GIB },
	{ "chunks.checkpoint_every", BP_INT, 0, INT32_MAX },
	{ "chunks.flags", BP_INT, 0, INT64_MAX },
	{ "mirror.copies", BP_INT, 1, 32 },
	{ "mirror.burst_buffer", BP_INT, 0, INT32_MAX },
	{ "mirror.enabled", BP_BOOL, 0, 0 },
	{ "lru.dont_evict_time", BP_DUR, 0, 0 },
	{ "lru.capacity_upd_time", BP_DUR, 0, 0 },
	{ "lru.batch_size", BP_INT, 1, INT32_MAX },
	{ "lru.enabled", BP_BOOL, 0, 0 },
	{ "versioning.enabled", BP_BOOL, 0, 0 },
	{ "versioning.validate_warm_get", BP_BOOL, 0, 0 },
	{ "versioning.synchronize", BP_BOOL, 0, 0 },
};

typedef struct bp_cksum_name {
	const char *name;
	ais_cksum_type type;
} bp_cksum_name;

/* Kept here rather than calling ais_cksum_type_parse: props validation
 * must not refuse "" the way the hashing side accepts it. */
static const bp_cksum_name bp_cksums[] = {
	{ "none", AIS_CKSUM_NONE },
	{ "xxhash", AIS_CKSUM_XXHASH },
	{ "xxhash2", AIS_CKSUM_XXHASH2 },
	{ "md5", AIS_CKSUM_MD5 },
	{ "crc32c", AIS_CKSUM_CRC32C },
	{ "sha256", AIS_CKSUM_SHA256 },
	{ "sha512", AIS_CKSUM_SHA512 },
};

#define BP_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const bp_leaf *
bp_leaf_find(const char *path)
{
	for (size_t i = 0; i < BP_NELEM(bp_leaves); i++) {
		if (strcasecmp(bp_leaves[i].path, path) == 0) {
			return &bp_leaves[i];
		}
	}
	return NULL;
}

static bool
bp_cksum_lookup(const char *s, ais_cksum_type *out)
{
	for (size_t i = 0; s != NULL && i < BP_NELEM(bp_cksums); i++) {
		if (strcmp(s, bp_cksums[i].name) == 0) {
			*out = bp_cksums[i].type;
			return true;
		}
	}
	return false;
}

/* Provider aliases of the query and of backend_bck.provider. */
static const char *
bp_provider_norm(const char *p)
{
	static const char *const tab[][2] = {
		{ "ais", "ais" },
		{ "aws", "aws" },
		{ "s3", "aws" },
		{ "gcp", "gcp" },
		{ "gs", "gcp" },
		{ "azure", "azure" },
		{ "az", "azure" },
		{ "oci", "oci" },
		{ "oc", "oci" },
	};

	for (size_t i = 0; p != NULL && i < BP_NELEM(tab); i++) {
		if (strcmp(p, tab[i][0]) == 0) {
			return tab[i][1];
		}
	}
	return NULL;
}

/* Durations are normalized to AIS's printing ("2h" -> "2h0m"). */
static json_t *
bp_dur_json(int64_t ns)
{
	char buf[48];

	ais_dur_format(ns, buf, sizeof(buf));
	return json_string(buf);
}

/* Overlays the config's leaves onto the template section: known keys take
 * the config's value, extra config keys (chunks.max_monolithic_size) are
 * kept as well. */
static int
bp_overlay(json_t *dst, const json_t *src)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *) src, k, v)
	{
		json_t *d = json_object_get(dst, k);

		if (json_is_object(d) && json_is_object(v)) {
			if (bp_overlay(d, v) != 0) {
				return -1;
			}
			continue;
		}
		if (json_object_set_new(dst, k, json_deep_copy(v)) != 0) {
			return -1;
		}
	}
	return 0;
}

/* Rewrites the duration strings of a fresh props object as AIS prints
 * them; values that do not parse are left alone. */
static void
bp_norm_durs(json_t *props)
{
	for (size_t i = 0; i < BP_NELEM(bp_leaves); i++) {
		const bp_leaf *l = &bp_leaves[i];
		const char *dot;
		json_t *v, *parent;
		int64_t ns;

		if (l->kind != BP_DUR) {
			continue;
		}
		v = ais_json_path(props, l->path);
		dot = strrchr(l->path, '.');
		if (!json_is_string(v) || dot == NULL
		    || ais_dur_parse(json_string_value(v), &ns) != AIS_OK) {
			continue;
		}
		char ppath[BP_PATH_MAX];
		snprintf(ppath, sizeof(ppath), "%.*s", (int) (dot - l->path),
		    l->path);
		parent = ais_json_path(props, ppath);
		if (json_is_object(parent)) {
			json_object_set_new(parent, dot + 1, bp_dur_json(ns));
		}
	}
}

static json_t *
bp_u64_json(uint64_t u)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, u);
	return json_string(buf);
}

ais_err
ais_bprops_new(const ais_cconfig *cfg, const char *provider, uint64_t bid,
    int64_t created_ns, json_t **out)
{
	const char *prov = bp_provider_norm(provider ? provider : "ais");
	json_t *p = NULL;
	char buf[24];
	uint64_t feat = 0;
	ais_err err = AIS_ENOMEM;

	if (out == NULL || prov == NULL) {
		return AIS_EINVAL;
	}
	p = json_loads(bp_template, JSON_REJECT_DUPLICATES, NULL);
	if (p == NULL) {
		return AIS_ENOMEM;
	}
	if (cfg != NULL && cfg->root != NULL) {
		for (size_t i = 0; i < BP_NELEM(bp_cfg_sections); i++) {
			const json_t *s
			    = json_object_get(cfg->root, bp_cfg_sections[i]);
			json_t *d = json_object_get(p, bp_cfg_sections[i]);

			if (json_is_object(s) && json_is_object(d)
			    && bp_overlay(d, s) != 0) {
				goto fail;
			}
		}
		if (ais_json_uint64(cfg->root, "features", &feat) != AIS_OK) {
			feat = 0;
		}
	}
	bp_norm_durs(p);
	/* ais:// buckets never evict: their objects exist nowhere else. */
	if (strcmp(prov, "ais") == 0
	    && json_object_set_new(
	           json_object_get(p, "lru"), "enabled", json_false())
	        != 0) {
		goto fail;
	}
	snprintf(buf, sizeof(buf), "%" PRId64, created_ns);
	if (json_object_set_new(p, "provider", json_string(prov)) != 0
	    || json_object_set_new(p, "access", json_string(BP_ACCESS_ALL_STR))
	        != 0
	    || json_object_set_new(p, "features", bp_u64_json(feat)) != 0
	    || json_object_set_new(p, "bid", bp_u64_json(bid)) != 0
	    || json_object_set_new(p, "created", json_string(buf)) != 0) {
		goto fail;
	}
	*out = p;
	return AIS_OK;
fail:
	json_decref(p);
	return err;
}

/* Apply ------------------------------------------------------------------ */

/* The coerced value of one leaf (new reference) or NULL with errbuf set
 * (AIS_EINVAL) -- *errp tells ENOMEM apart. */
static json_t *
bp_coerce(const bp_leaf *l, const char *path, const json_t *v,
    const json_t *cur, ais_err *errp, char *errbuf, size_t errlen)
{
	char shown[80];
	json_t *wrap = NULL;
	int64_t i64 = 0;
	uint64_t u64 = 0;
	bool b;

	*errp = AIS_EINVAL;
	ais_json_show(v, shown, sizeof(shown));
	/* Leaves not in the table keep the type they have in props. */
	bp_kind kind = l           ? l->kind
	    : json_is_boolean(cur) ? BP_BOOL
	    : json_is_integer(cur) ? BP_INT
	                           : BP_STR;
	int64_t min = l ? l->min : INT64_MIN, max = l ? l->max : INT64_MAX;

	switch (kind) {
	case BP_RO:
		ais_errbuf_set(errbuf, errlen,
		    "bucket property %s is read-only and cannot be set", path);
		return NULL;
	case BP_IGNORE:
		return NULL;
	case BP_BOOL:
		wrap = json_pack("{sO}", "v", v);
		if (wrap == NULL || ais_json_bool(wrap, "v", &b) != AIS_OK) {
			json_decref(wrap);
			ais_errbuf_set(errbuf, errlen,
			    "invalid bucket property %s=%s: expected a "
			    "boolean",
			    path, shown);
			return NULL;
		}
		json_decref(wrap);
		*errp = AIS_OK;
		return json_boolean(b);
	case BP_INT:
		wrap = json_pack("{sO}", "v", v);
		if (wrap == NULL
		    || ais_json_int64(wrap, "v", &i64) != AIS_OK) {
			json_decref(wrap);
			ais_errbuf_set(errbuf, errlen,
			    "invalid bucket property %s=%s: expected an "
			    "integer",
			    path, shown);
			return NULL;
		}
		json_decref(wrap);
		if (i64 < min || i64 > max) {
			ais_errbuf_set(errbuf, errlen,
			    "invalid bucket property %s=%" PRId64
			    ": out of range [%" PRId64 ", %" PRId64 "]",
			    path, i64, min, max);
			return NULL;
		}
		*errp = AIS_OK;
		return json_integer(i64);
	case BP_U64S:
		wrap = json_pack("{sO}", "v", v);
		if (wrap == NULL
		    || ais_json_uint64(wrap, "v", &u64) != AIS_OK) {
			json_decref(wrap);
			ais_errbuf_set(errbuf, errlen,
			    "invalid bucket property %s=%s: expected an "
			    "unsigned "
			    "64-bit integer (decimal string or number)",
			    path, shown);
			return NULL;
		}
		json_decref(wrap);
		*errp = AIS_OK;
		return bp_u64_json(u64);
	case BP_DUR:
		if (!json_is_string(v)
		    || ais_dur_parse(json_string_value(v), &i64) != AIS_OK
		    || i64 < 0) {
			ais_errbuf_set(errbuf, errlen,
			    "invalid bucket property %s=%s: expected a "
			    "duration such as \"10m\" or \"2h0m\"",
			    path, shown);
			return NULL;
		}
		*errp = AIS_OK;
		return bp_dur_json(i64);
	case BP_SIZE: {
		char sbuf[32];
		ais_err e = AIS_EINVAL;
		if (json_is_string(v)) {
			e = ais_size_parse(json_string_value(v), &i64);
		} else if (json_is_integer(v)) {
			i64 = json_integer_value(v);
			e = AIS_OK;
		}
		if (e != AIS_OK) {
			ais_errbuf_set(errbuf, errlen,
			    "invalid bucket property %s=%s: expected a size "
			    "such as \"256KiB\" or \"1GiB\"",
			    path, shown);
			return NULL;
		}
		if (i64 < min || i64 > max) {
			ais_errbuf_set(errbuf, errlen,
			    "invalid bucket property %s=%s: out of range",
			    path, shown);
			return NULL;
		}
		ais_size_format(i64, sbuf, sizeof(sbuf));
		*errp = AIS_OK;
		return json_string(sbuf);
	}
	case BP_STR:
	default:
		if (!json_is_string(v)) {
			ais_errbuf_set(errbuf, errlen,
			    "invalid bucket property %s=%s: expected a string",
			    path, shown);
			return NULL;
		}
		*errp = AIS_OK;
		return json_deep_copy(v);
	}
}

/* Merges the object `src` into `dst` (both at `prefix`, "" = top). */
static ais_err
bp_merge(json_t *dst, const json_t *src, const char *prefix, char *errbuf,
    size_t errlen)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *) src, k, v)
	{
		char path[BP_PATH_MAX];
		const char *dkey = NULL;
		json_t *cur = NULL;
		const json_t *ck;

		if (prefix[0] != '\0') {
			snprintf(path, sizeof(path), "%s.%s", prefix, k);
		} else {
			snprintf(path, sizeof(path), "%s", k);
		}
		/* The key as props spell it (case-insensitive match). */
		const char *pk;
		json_object_foreach(dst, pk, ck)
		{
			if (strcasecmp(pk, k) == 0) {
				dkey = pk;
				cur = (json_t *) ck;
				break;
			}
		}
		const bp_leaf *l = bp_leaf_find(path);
		if (json_is_object(cur)) {
			/* A section: null means "no change", as a nil pointer
			 * in Go's BpropsToSet. */
			if (json_is_null(v)) {
				continue;
			}
			if (!json_is_object(v)) {
				char shown[80];
				ais_json_show(v, shown, sizeof(shown));
				ais_errbuf_set(errbuf, errlen,
				    "invalid bucket property %s=%s: expected "
				    "an "
				    "object",
				    path, shown);
				return AIS_EINVAL;
			}
			ais_err err = bp_merge(cur, v, path, errbuf, errlen);
			if (err != AIS_OK) {
				return err;
			}
			continue;
		}
		if (l == NULL && cur == NULL) {
			continue; /* unknown key: ignored, as Go does */
		}
		if (l != NULL && l->kind == BP_IGNORE) {
			continue;
		}
		if (json_is_null(v)) {
			continue; /* null leaves mean "unchanged", too */
		}
		ais_err err;
		json_t *nv = bp_coerce(l, path, v, cur, &err, errbuf, errlen);
		if (nv == NULL) {
			if (err == AIS_OK) {
				err = AIS_ENOMEM;
			}
			return err;
		}
		/* New optional leaves take the table's spelling. */
		const char *name = dkey;
		if (name == NULL) {
			const char *dot = strrchr(l->path, '.');
			name = dot ? dot + 1 : l->path;
		}
		if (json_object_set_new(dst, name, nv) != 0) {
			return AIS_ENOMEM;
		}
	}
	return AIS_OK;
}

static const char *
bp_str(const json_t *props, const char *path)
{
	const char *s = json_string_value(ais_json_path(props, path));
	return s ? s : "";
}

static bool
bp_true(const json_t *props, const char *path)
{
	return json_is_true(ais_json_path(props, path));
}

static int64_t
bp_size(const json_t *props, const char *path)
{
	const json_t *v = ais_json_path(props, path);
	int64_t n = 0;

	if (json_is_integer(v)) {
		return json_integer_value(v);
	}
	if (json_is_string(v)
	    && ais_size_parse(json_string_value(v), &n) == AIS_OK) {
		return n;
	}
	return 0;
}

static bool
bp_oneof(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, set[i]) == 0) {
			return true;
		}
	}
	return false;
}

/* Is anything set under extra.<what>? */
static bool
bp_extra_set(const json_t *props, const char *what)
{
	const json_t *o
	    = json_object_get(json_object_get(props, "extra"), what);
	const char *k;
	const json_t *v;

	json_object_foreach((json_t *) o, k, v)
	{
		if (!(json_is_string(v) && json_string_length(v) == 0)
		    && !(json_is_integer(v) && json_integer_value(v) == 0)
		    && !json_is_null(v)) {
			return true;
		}
	}
	return false;
}

/* Whole-object rules, after the merge. Normalizes backend_bck.provider. */
static ais_err
bp_validate(json_t *p, char *errbuf, size_t errlen)
{
	static const char *const wp_data[] = { "", "immediate" };
	static const char *const wp_md[]
	    = { "", "immediate", "delayed", "never" };
	const char *prov = bp_str(p, "provider");
	const char *s;
	ais_cksum_type ck;

	s = bp_str(p, "checksum.type");
	if (!bp_cksum_lookup(s, &ck)) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid bucket property checksum.type \"%s\": unknown "
		    "checksum (none, xxhash, xxhash2, md5, crc32c, sha256, "
		    "sha512)",
		    s);
		return AIS_EINVAL;
	}
	if (bp_true(p, "versioning.validate_warm_get")
	    && !bp_true(p, "versioning.enabled")) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid bucket props: versioning.validate_warm_get "
		    "requires versioning.enabled");
		return AIS_EINVAL;
	}
	s = bp_str(p, "write_policy.data");
	if (!bp_oneof(s, wp_data, BP_NELEM(wp_data))) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid bucket property write_policy.data \"%s\": only "
		    "\"immediate\" is supported",
		    s);
		return AIS_EINVAL;
	}
	s = bp_str(p, "write_policy.md");
	if (!bp_oneof(s, wp_md, BP_NELEM(wp_md))) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid bucket property write_policy.md \"%s\": expected "
		    "immediate, delayed or never",
		    s);
		return AIS_EINVAL;
	}
	if (bp_true(p, "mirror.enabled")
	    && bp_size(p, "chunks.objsize_limit") > 0) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid bucket props: mirror.enabled cannot be combined "
		    "with auto-chunking (chunks.objsize_limit > 0)");
		return AIS_EINVAL;
	}
	int64_t mono = bp_size(p, "chunks.max_monolithic_size");
	if (mono != 0 && mono < BP_GIB) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid bucket property chunks.max_monolithic_size: must "
		    "be 0 or between 1GiB and 1TiB");
		return AIS_EINVAL;
	}
	for (int i = 0; i < 2; i++) {
		const char *side = i == 0 ? "backend" : "frontend";
		char path[64];
		int64_t ns = 0;
		snprintf(path, sizeof(path), "rate_limit.%s.enabled", side);
		if (!bp_true(p, path)) {
			continue;
		}
		snprintf(path, sizeof(path), "rate_limit.%s.interval", side);
		if (ais_dur_parse(bp_str(p, path), &ns) != AIS_OK || ns <= 0) {
			ais_errbuf_set(errbuf, errlen,
			    "invalid bucket props: rate_limit.%s.interval "
			    "must "
			    "be positive when the limiter is enabled",
			    side);
			return AIS_EINVAL;
		}
		snprintf(path, sizeof(path), "rate_limit.%s.max_tokens", side);
		if (json_integer_value(ais_json_path(p, path)) <= 0) {
			ais_errbuf_set(errbuf, errlen,
			    "invalid bucket props: rate_limit.%s.max_tokens "
			    "must be positive when the limiter is enabled",
			    side);
			return AIS_EINVAL;
		}
	}
	/* backend_bck: an ais:// bucket may front one remote bucket. */
	const char *bname = bp_str(p, "backend_bck.name");
	const char *bprov_raw = bp_str(p, "backend_bck.provider");
	const char *bprov = bprov_raw[0] ? bp_provider_norm(bprov_raw) : "";
	if (bprov == NULL) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid bucket property backend_bck.provider \"%s\": "
		    "invalid backend provider",
		    bprov_raw);
		return AIS_EINVAL;
	}
	if (bname[0] != '\0') {
		bool remote_ais = strcmp(bprov, "ais") == 0
		    && bp_str(p, "backend_bck.namespace.uuid")[0] != '\0';
		if (strcmp(prov, "ais") != 0) {
			ais_errbuf_set(errbuf, errlen,
			    "invalid bucket props: only ais:// buckets can "
			    "have a backend bucket (this one is %s)",
			    prov);
			return AIS_EINVAL;
		}
		if (bprov[0] == '\0'
		    || (strcmp(bprov, "ais") == 0 && !remote_ais)) {
			ais_errbuf_set(errbuf, errlen,
			    "invalid bucket property backend_bck: backend "
			    "bucket \"%s\" must be remote (provider aws, gcp, "
			    "azure or oci)",
			    bname);
			return AIS_EINVAL;
		}
	}
	if (strcmp(bprov, bprov_raw) != 0
	    && json_object_set_new(json_object_get(p, "backend_bck"),
	           "provider", json_string(bprov))
	        != 0) {
		return AIS_ENOMEM;
	}
	if (bp_extra_set(p, "aws") && strcmp(prov, "aws") != 0
	    && strcmp(bprov, "aws") != 0) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid bucket props: extra.aws applies to s3:// buckets "
		    "only (this one is %s)",
		    prov);
		return AIS_EINVAL;
	}
	return AIS_OK;
}

ais_err
ais_bprops_apply(
    json_t *props, const json_t *to_set, char *errbuf, size_t errlen)
{
	json_t *work;
	ais_err err;

	if (!json_is_object(props)) {
		ais_errbuf_set(errbuf, errlen, "invalid bucket props: not an object");
		return AIS_EINVAL;
	}
	if (to_set == NULL || json_is_null(to_set)) {
		return AIS_OK;
	}
	if (!json_is_object(to_set)) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid bucket props: expected a JSON object");
		return AIS_EINVAL;
	}
	work = json_deep_copy(props);
	if (work == NULL) {
		return AIS_ENOMEM;
	}
	err = bp_merge(work, to_set, "", errbuf, errlen);
	if (err == AIS_OK) {
		err = bp_validate(work, errbuf, errlen);
	}
	if (err == AIS_OK) {
		/* json_object_update keeps props' key order for existing
		 * keys and appends new ones. */
		if (json_object_update(props, work) != 0) {
			err = AIS_ENOMEM;
		}
	}
	if (err == AIS_ENOMEM) {
		ais_errbuf_set(errbuf, errlen, "out of memory");
	}
	json_decref(work);
	return err;
}

/* View ------------------------------------------------------------------- */

static bool
bp_view_bool(const json_t *props, const char *path, bool def)
{
	const json_t *v = ais_json_path(props, path);
	return json_is_boolean(v) ? json_is_true(v) : def;
}

static uint64_t
bp_view_u64(const json_t *props, const char *key, uint64_t def)
{
	uint64_t u;
	return ais_json_uint64(props, key, &u) == AIS_OK ? u : def;
}

ais_err
ais_bprops_view(const json_t *props, ais_bprops *out)
{
	const json_t *t;
	int64_t n;

	if (out == NULL) {
		return AIS_EINVAL;
	}
	memset(out, 0, sizeof(*out));
	out->cksum = AIS_CKSUM_XXHASH2;
	out->versioning = true;
	out->access = AIS_ACCESS_ALL;
	out->mirror_copies = 2;
	if (!json_is_object(props)) {
		return AIS_EINVAL;
	}
	t = ais_json_path(props, "checksum.type");
	if (json_is_string(t)
	    && !bp_cksum_lookup(json_string_value(t), &out->cksum)) {
		return AIS_EINVAL;
	}
	out->validate_warm_get
	    = bp_view_bool(props, "checksum.validate_warm_get", false);
	out->versioning = bp_view_bool(props, "versioning.enabled", true);
	out->access = bp_view_u64(props, "access", AIS_ACCESS_ALL);
	out->features = bp_view_u64(props, "features", 0);
	out->bid = bp_view_u64(props, "bid", 0);
	if (ais_json_int64(props, "created", &n) == AIS_OK) {
		out->created = n;
	}
	out->mirror = bp_view_bool(props, "mirror.enabled", false);
	if (ais_json_int64(json_object_get(props, "mirror"), "copies", &n)
	        == AIS_OK
	    && n >= 1 && n <= 32) {
		out->mirror_copies = (int) n;
	}
	return AIS_OK;
}
