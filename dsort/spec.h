/*
 * dSort request spec: the JSON body of POST /v1/sort (spec native-api.md
 * section 10; AIS ext/dsort/api.go RequestSpec), parsed once on the proxy
 * into a plain struct that every later phase reads.
 *
 * Field names are AIS 5.0's, matched case-insensitively as Go's JSON decoder
 * does (so "Config" and "config" both work). The older names that the AIS
 * Python SDK 1.2.2 sends are accepted when the current one is absent:
 *   bck -> input_bck, extension -> input_extension,
 *   input_format: "tpl" (a plain string) -> {"template": "tpl"},
 *   order_file / order_file_sep -> ekm_file / ekm_file_sep.
 *
 * Defaults as AIS: input_extension ".tar", output_extension = input's,
 * output_bck = input_bck, provider "ais", algorithm alphanumeric increasing,
 * max_mem_usage = Config.default_max_mem_usage = "80%", concurrency limits 0
 * (= chosen by the node), Config reactions: duplicated_records "ignore",
 * missing_shards "ignore", ekm_* "abort"; call_timeout "10m",
 * dsorter_mem_threshold "100GB". Sizes are IEC as AIS parses them ("20MB"
 * = 20 MiB).
 *
 * Every rejection is AIS_EINVAL with one line naming the field (the HTTP
 * layer answers 400 with it); ekm_file is AIS_ENOTSUP (external key maps are
 * not implemented). The spec does not check that buckets exist: that needs
 * the BMD and is the caller's 404.
 */
#ifndef AIS_DSORT_SPEC_H
#define AIS_DSORT_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bmd.h"
#include "core/err.h"

#define DSORT_EXT_MAX 16 /* longest supported extension + NUL */

typedef enum dsort_alg_kind {
	DSORT_ALG_ALPHANUMERIC = 0, /* by record name, byte order */
	DSORT_ALG_NONE,             /* input order */
	DSORT_ALG_MD5,              /* by md5 hex of the record name */
	DSORT_ALG_SHUFFLE,          /* seeded Fisher-Yates */
	DSORT_ALG_CONTENT,          /* by the content of one of its files */
} dsort_alg_kind;

typedef enum dsort_ckey_type {
	DSORT_CKEY_STRING = 0,
	DSORT_CKEY_INT,
	DSORT_CKEY_FLOAT,
} dsort_ckey_type;

/* What to do about a recoverable problem (AIS cmn.DsortConf). */
typedef enum dsort_react {
	DSORT_REACT_IGNORE = 0,
	DSORT_REACT_WARN,
	DSORT_REACT_ABORT,
} dsort_react;

typedef struct dsort_bck {
	char provider[8]; /* normalized: ais, aws, gcp, ... */
	char ns[80];      /* "" = global, else "@uuid#name" */
	char name[AIS_BCK_NAME_MAX + 1];
} dsort_bck;

typedef struct dsort_alg {
	dsort_alg_kind kind;
	bool decreasing; /* alphanumeric, md5, content */
	bool has_seed;   /* shuffle: seed given (else random) */
	uint64_t seed;   /* shuffle: AIS wants a decimal int64 >= 0 */
	char ext[64];    /* content: file extension holding the key */
	dsort_ckey_type ckey_type; /* content: how to parse the key */
} dsort_alg;

typedef struct dsort_conf {
	dsort_react duplicated_records;
	dsort_react missing_shards;
	dsort_react ekm_malformed_line;
	dsort_react ekm_missing_key;
	int64_t dsorter_mem_threshold; /* bytes */
	int64_t call_timeout_ns;
} dsort_conf;

typedef struct dsort_spec {
	dsort_bck input_bck;
	dsort_bck output_bck;
	/* Input shards: a template (range, prefix or match-all) or a list. */
	char *input_template; /* owned; NULL when objnames is used */
	char **objnames;      /* owned array of owned names */
	size_t nobjnames;
	char input_ext[DSORT_EXT_MAX]; /* canonical, e.g. ".tar.gz" */
	char output_ext[DSORT_EXT_MAX];
	char *output_format;       /* owned; output shard name template */
	uint64_t output_count;     /* names the output template yields */
	int64_t output_shard_size; /* bytes; 0 = derive from the total */
	dsort_alg alg;
	char *description;     /* owned, "" if absent */
	bool mem_is_pct;       /* max_mem_usage in percent of RAM... */
	uint64_t max_mem;      /* ...(0..100) or in bytes */
	int64_t extract_conc;  /* extract_concurrency_max_limit, >= 0 */
	int64_t create_conc;   /* create_concurrency_max_limit, >= 0 */
	char dsorter_type[16]; /* "", "dsort_general" or "dsort_mem" */
	bool dry_run;
	dsort_conf conf;
} dsort_spec;

/* Parses and validates a spec from JSON (borrowed). On success *out owns
 * its strings; release with dsort_spec_fini. On failure *out is zeroed and
 * errbuf (may be NULL) holds one line naming the field. Does not block. */
ais_err dsort_spec_parse(
    const json_t *j, dsort_spec *out, char *errbuf, size_t errlen);
/* Same from text (the raw POST body); a syntax error is AIS_EINVAL. */
ais_err dsort_spec_parse_text(
    const char *buf, size_t len, dsort_spec *out, char *errbuf, size_t errlen);
void dsort_spec_fini(dsort_spec *s); /* accepts a zeroed s */

/* Canonical form of a shard extension (".tgz", ".tar.gz", ...; a missing
 * leading dot is added, case ignored) into out, or AIS_EINVAL if it is not
 * a format this build reads and writes. ".tar.lz4" only when libarchive
 * here has native lz4 (dsort_lz4_supported). */
ais_err dsort_ext_canon(const char *ext, char out[DSORT_EXT_MAX]);
/* True when libarchive can read and write lz4 without an external
 * program; probed once, thread-safe. */
bool dsort_lz4_supported(void);
/* The supported shard extension that `name` ends with, or NULL (borrowed
 * static string). ".tar.gz" wins over ".gz"-less matches. */
const char *dsort_ext_of(const char *name);
/* Full shard object name: `name` as is when it already ends with a
 * supported extension, else name + ext (as AIS appends the extension to
 * template names). AIS_EINVAL if it does not fit in buf. */
ais_err dsort_shard_name(
    const char *name, const char *ext, char *buf, size_t len);

const char *dsort_alg_kind_str(dsort_alg_kind k);
const char *dsort_ckey_type_str(dsort_ckey_type t);
const char *dsort_react_str(dsort_react r);

#endif
