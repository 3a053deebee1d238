/*
 * dSort request spec parsing (see spec.h). One pass over the JSON object:
 * each field is looked up by its current AIS name, then by its SDK 1.2.2
 * name, type-checked, validated and defaulted. Templates are parsed with
 * core/template only to validate them; the text is kept, because every
 * phase runs its own iterator.
 */
#include "dsort/spec.h"

#include <archive.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fqn.h"
#include "core/jsonx.h"
#include "core/template.h"
#include "core/units.h"

/* Supported extensions, longest first so suffix matching prefers
 * ".tar.gz" over any shorter tail. */
static const char *const dsort_exts[] = {
	".tar.lz4",
	".tar.gz",
	".tgz",
	".tar",
	".zip",
};
#define DSORT_NEXTS (sizeof(dsort_exts) / sizeof(dsort_exts[0]))

static pthread_once_t dsort_lz4_once = PTHREAD_ONCE_INIT;
static bool dsort_lz4_ok;

static void
dsort_lz4_probe(void)
{
	struct archive *w = archive_write_new();
	struct archive *r = archive_read_new();

	/* ARCHIVE_WARN means "will shell out to an lz4 binary": we do not
	 * count that as support (no external programs in the data path). */
	dsort_lz4_ok = w != NULL && r != NULL
	    && archive_write_add_filter_lz4(w) == ARCHIVE_OK
	    && archive_read_support_filter_lz4(r) == ARCHIVE_OK;
	if (w != NULL) {
		archive_write_free(w);
	}
	if (r != NULL) {
		archive_read_free(r);
	}
}

bool
dsort_lz4_supported(void)
{
	pthread_once(&dsort_lz4_once, dsort_lz4_probe);
	return dsort_lz4_ok;
}

ais_err
dsort_ext_canon(const char *ext, char out[DSORT_EXT_MAX])
{
	char tmp[DSORT_EXT_MAX];
	size_t n;

	if (ext == NULL) {
		return AIS_EINVAL;
	}
	n = strlen(ext);
	if (n == 0 || n + 2 > sizeof(tmp)) {
		return AIS_EINVAL;
	}
	snprintf(tmp, sizeof(tmp), "%s%s", ext[0] == '.' ? "" : ".", ext);
	for (size_t i = 0; i < DSORT_NEXTS; i++) {
		if (strcasecmp(tmp, dsort_exts[i]) != 0) {
			continue;
		}
		if (strcmp(dsort_exts[i], ".tar.lz4") == 0
		    && !dsort_lz4_supported()) {
			return AIS_EINVAL;
		}
		snprintf(out, DSORT_EXT_MAX, "%s", dsort_exts[i]);
		return AIS_OK;
	}
	return AIS_EINVAL;
}

const char *
dsort_ext_of(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	for (size_t i = 0; i < DSORT_NEXTS; i++) {
		size_t el = strlen(dsort_exts[i]);
		if (n > el && strcasecmp(name + n - el, dsort_exts[i]) == 0) {
			return dsort_exts[i];
		}
	}
	return NULL;
}

ais_err
dsort_shard_name(const char *name, const char *ext, char *buf, size_t len)
{
	int w;

	if (name == NULL || ext == NULL || buf == NULL) {
		return AIS_EINVAL;
	}
	w = snprintf(
	    buf, len, "%s%s", name, dsort_ext_of(name) != NULL ? "" : ext);
	return w < 0 || (size_t) w >= len ? AIS_EINVAL : AIS_OK;
}

const char *
dsort_alg_kind_str(dsort_alg_kind k)
{
	switch (k) {
	case DSORT_ALG_ALPHANUMERIC:
		return "alphanumeric";
	case DSORT_ALG_NONE:
		return "none";
	case DSORT_ALG_MD5:
		return "md5";
	case DSORT_ALG_SHUFFLE:
		return "shuffle";
	case DSORT_ALG_CONTENT:
		return "content";
	}
	return "?";
}

const char *
dsort_ckey_type_str(dsort_ckey_type t)
{
	switch (t) {
	case DSORT_CKEY_STRING:
		return "string";
	case DSORT_CKEY_INT:
		return "int";
	case DSORT_CKEY_FLOAT:
		return "float";
	}
	return "?";
}

const char *
dsort_react_str(dsort_react r)
{
	switch (r) {
	case DSORT_REACT_IGNORE:
		return "ignore";
	case DSORT_REACT_WARN:
		return "warn";
	case DSORT_REACT_ABORT:
		return "abort";
	}
	return "?";
}

/* ---- parsing helpers ---- */

typedef struct dsort_pctx {
	char *err;
	size_t errlen;
} dsort_pctx;

static ais_err dsort_spec_fail(dsort_pctx *c, ais_err rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ais_err
dsort_spec_fail(dsort_pctx *c, ais_err rc, const char *fmt, ...)
{
	va_list ap;

	if (c->err != NULL && c->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* The value of the first present key among names[] (NULL-terminated);
 * *used gets the name that matched, for messages. JSON null counts as
 * absent, as Go leaves the field zero. */
static json_t *
dsort_spec_get(const json_t *j, const char *const *names, const char **used)
{
	for (; *names != NULL; names++) {
		json_t *v = ais_json_get_ci(j, *names);
		if (v != NULL && !json_is_null(v)) {
			*used = *names;
			return v;
		}
	}
	*used = NULL;
	return NULL;
}

/* A string field: *out borrowed from j, NULL when absent. */
static ais_err
dsort_spec_str(
    dsort_pctx *c, const json_t *j, const char *const *names, const char **out)
{
	const char *used;
	json_t *v = dsort_spec_get(j, names, &used);
	char show[64];

	*out = NULL;
	if (v == NULL) {
		return AIS_OK;
	}
	if (!json_is_string(v)) {
		ais_json_show(v, show, sizeof(show));
		return dsort_spec_fail(c, AIS_EINVAL,
		    "%s: expected a string, got %s", used, show);
	}
	*out = json_string_value(v);
	return AIS_OK;
}

static ais_err
dsort_spec_bool(dsort_pctx *c, const json_t *j, const char *name, bool *out)
{
	json_t *v = ais_json_get_ci(j, name);
	char show[64];

	*out = false;
	if (v == NULL || json_is_null(v)) {
		return AIS_OK;
	}
	if (!json_is_boolean(v)) {
		ais_json_show(v, show, sizeof(show));
		return dsort_spec_fail(c, AIS_EINVAL,
		    "%s: expected true or false, got %s", name, show);
	}
	*out = json_is_true(v);
	return AIS_OK;
}

/* A non-negative integer (JSON number or decimal string); 0 if absent. */
static ais_err
dsort_spec_count(
    dsort_pctx *c, const json_t *j, const char *name, int64_t *out)
{
	json_t *v = ais_json_get_ci(j, name);
	char show[64];
	ais_err rc;

	*out = 0;
	if (v == NULL || json_is_null(v)) {
		return AIS_OK;
	}
	rc = ais_json_int64(j, name, out);
	if (rc != AIS_OK || *out < 0) {
		ais_json_show(v, show, sizeof(show));
		return dsort_spec_fail(c, AIS_EINVAL,
		    "%s: expected a non-negative integer, got %s", name, show);
	}
	return AIS_OK;
}

/* A bucket {"name","provider","namespace":{"uuid","name"}}. */
static ais_err
dsort_spec_bck(
    dsort_pctx *c, const json_t *v, const char *field, dsort_bck *out)
{
	const char *name, *prov, *norm, *uuid = "", *nsname = "";
	json_t *ns;
	char show[64];
	int w;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(v)) {
		ais_json_show(v, show, sizeof(show));
		return dsort_spec_fail(c, AIS_EINVAL,
		    "%s: expected a bucket object {\"name\", \"provider\"}, "
		    "got %s",
		    field, show);
	}
	name = ais_json_str(v, "name");
	if (name == NULL || name[0] == '\0') {
		return dsort_spec_fail(
		    c, AIS_EINVAL, "%s: missing bucket name", field);
	}
	if (ais_bckname_check(name) != AIS_OK) {
		return dsort_spec_fail(c, AIS_EINVAL,
		    "%s: invalid bucket name \"%.*s\"", field, 80, name);
	}
	prov = ais_json_str(v, "provider");
	norm = ais_provider_norm(prov);
	if (norm == NULL) {
		return dsort_spec_fail(c, AIS_EINVAL,
		    "%s: unknown provider \"%.*s\"", field, 32, prov);
	}
	ns = ais_json_get_ci(v, "namespace");
	if (ns != NULL && json_is_object(ns)) {
		uuid
		    = ais_json_str(ns, "uuid") ? ais_json_str(ns, "uuid") : "";
		nsname
		    = ais_json_str(ns, "name") ? ais_json_str(ns, "name") : "";
	}
	snprintf(out->provider, sizeof(out->provider), "%s", norm);
	snprintf(out->name, sizeof(out->name), "%s", name);
	if (uuid[0] != '\0' || nsname[0] != '\0') {
		w = snprintf(out->ns, sizeof(out->ns), "@%s#%s", uuid, nsname);
		if (w < 0 || (size_t) w >= sizeof(out->ns)) {
			return dsort_spec_fail(
			    c, AIS_EINVAL, "%s: namespace too long", field);
		}
	}
	return AIS_OK;
}

/* Validates a template; *count gets how many names it yields (0 for
 * prefix / match-all). */
static ais_err
dsort_spec_tmpl(dsort_pctx *c, const char *field, const char *text,
    bool need_range, uint64_t *count)
{
	ais_tmpl t;
	char terr[200] = "";
	ais_err rc;

	rc = ais_tmpl_parse(&t, text, terr, sizeof(terr));
	if (rc != AIS_OK) {
		return dsort_spec_fail(c,
		    rc == AIS_ENOMEM ? AIS_ENOMEM : AIS_EINVAL,
		    "%s: invalid template \"%.*s\": %s", field, 200, text,
		    terr[0] ? terr : ais_strerror(rc));
	}
	if (need_range && ais_tmpl_is_prefix(&t)) {
		ais_tmpl_fini(&t);
		return dsort_spec_fail(c, AIS_EINVAL,
		    "%s: template \"%.*s\" has no range (e.g. "
		    "\"shard-{0000..0999}\"); prefix-only output is not "
		    "supported",
		    field, 200, text);
	}
	*count = t.count;
	ais_tmpl_fini(&t);
	return AIS_OK;
}

static ais_err
dsort_spec_input_format(dsort_pctx *c, const json_t *j, dsort_spec *s)
{
	static const char *const names[] = { "input_format", NULL };
	const char *used, *tpl = NULL;
	json_t *v = dsort_spec_get(j, names, &used), *objs;
	uint64_t count;
	char show[64];
	size_t i;

	if (v == NULL) {
		return dsort_spec_fail(c, AIS_EINVAL,
		    "input_format: required (\"template\" or \"objnames\")");
	}
	if (json_is_string(v)) { /* SDK 1.2.2: the template itself */
		tpl = json_string_value(v);
	} else if (json_is_object(v)) {
		objs = ais_json_get_ci(v, "objnames");
		if (objs != NULL && json_is_array(objs)
		    && json_array_size(objs) > 0) {
			s->objnames = calloc(
			    json_array_size(objs), sizeof(*s->objnames));
			if (s->objnames == NULL) {
				return AIS_ENOMEM;
			}
			for (i = 0; i < json_array_size(objs); i++) {
				json_t *o = json_array_get(objs, i);
				const char *on = json_string_value(o);
				if (on == NULL
				    || ais_objname_check(on, strlen(on), false)
				        != AIS_OK) {
					ais_json_show(o, show, sizeof(show));
					return dsort_spec_fail(c, AIS_EINVAL,
					    "input_format.objnames[%zu]: "
					    "invalid object name %s",
					    i, show);
				}
				s->objnames[i] = strdup(on);
				if (s->objnames[i] == NULL) {
					return AIS_ENOMEM;
				}
				s->nobjnames = i + 1;
			}
			return AIS_OK;
		}
		if (objs != NULL && !json_is_null(objs)
		    && !json_is_array(objs)) {
			return dsort_spec_fail(c, AIS_EINVAL,
			    "input_format.objnames: expected an array of "
			    "names");
		}
		v = ais_json_get_ci(v, "template");
		if (v != NULL && !json_is_null(v) && !json_is_string(v)) {
			ais_json_show(v, show, sizeof(show));
			return dsort_spec_fail(c, AIS_EINVAL,
			    "input_format.template: expected a string, got %s",
			    show);
		}
		tpl = v != NULL ? json_string_value(v) : NULL;
	} else {
		ais_json_show(v, show, sizeof(show));
		return dsort_spec_fail(c, AIS_EINVAL,
		    "input_format: expected {\"template\": ...} or "
		    "{\"objnames\": [...]}, got %s",
		    show);
	}
	/* An empty template means every object (AIS: empty prefix). */
	if (tpl == NULL) {
		tpl = "";
	}
	if (dsort_spec_tmpl(c, "input_format.template", tpl, false, &count)
	    != AIS_OK) {
		return AIS_EINVAL;
	}
	s->input_template = strdup(tpl);
	return s->input_template != NULL ? AIS_OK : AIS_ENOMEM;
}

static ais_err
dsort_spec_ext(
    dsort_pctx *c, const char *field, const char *v, char out[DSORT_EXT_MAX])
{
	if (dsort_ext_canon(v, out) == AIS_OK) {
		return AIS_OK;
	}
	return dsort_spec_fail(c, AIS_EINVAL,
	    "%s: unsupported shard extension \"%.*s\" (supported: .tar, "
	    ".tgz, .tar.gz, .zip%s)",
	    field, 32, v, dsort_lz4_supported() ? ", .tar.lz4" : "");
}

/* A size: JSON number or string with IEC/SI units; "" = 0. */
static ais_err
dsort_spec_size(dsort_pctx *c, const json_t *j, const char *name, int64_t *out)
{
	json_t *v = ais_json_get_ci(j, name);
	char show[64];
	const char *s;

	*out = 0;
	if (v == NULL || json_is_null(v)) {
		return AIS_OK;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = json_integer_value(v);
		return AIS_OK;
	}
	ais_json_show(v, show, sizeof(show));
	s = json_string_value(v);
	if (s != NULL) {
		while (isspace((unsigned char) *s)) {
			s++;
		}
		if (*s == '\0') {
			return AIS_OK;
		}
		if (*s == '-') {
			return dsort_spec_fail(c, AIS_EINVAL,
			    "%s: must not be negative, got %s", name, show);
		}
		if (ais_size_parse(s, out) == AIS_OK && *out >= 0) {
			return AIS_OK;
		}
	} else if (json_is_integer(v)) {
		return dsort_spec_fail(c, AIS_EINVAL,
		    "%s: must not be negative, got %s", name, show);
	}
	return dsort_spec_fail(c, AIS_EINVAL,
	    "%s: invalid size %s (e.g. \"10MiB\", \"1GB\", bytes)", name,
	    show);
}

/* "80%" or a size ("2GiB"), as AIS cos.ParseQuantity. */
static ais_err
dsort_spec_quantity(dsort_pctx *c, const char *field, const char *v,
    bool *is_pct, uint64_t *out)
{
	size_t n = strlen(v);
	int64_t bytes;
	char *end;

	while (n > 0 && isspace((unsigned char) v[n - 1])) {
		n--;
	}
	if (n > 0 && v[n - 1] == '%') {
		unsigned long long p;
		errno = 0;
		if (!isdigit((unsigned char) v[0])) {
			goto bad;
		}
		p = strtoull(v, &end, 10);
		while (end < v + n - 1 && isspace((unsigned char) *end)) {
			end++;
		}
		if (errno != 0 || end != v + n - 1 || p > 100) {
			return dsort_spec_fail(c, AIS_EINVAL,
			    "%s: percent must be an integer 0..100, got "
			    "\"%.*s\"",
			    field, 32, v);
		}
		*is_pct = true;
		*out = p;
		return AIS_OK;
	}
	if (v[0] != '-' && ais_size_parse(v, &bytes) == AIS_OK && bytes >= 0) {
		*is_pct = false;
		*out = (uint64_t) bytes;
		return AIS_OK;
	}
bad:
	return dsort_spec_fail(c, AIS_EINVAL,
	    "%s: expected a percentage (\"80%%\") or a size (\"2GiB\"), got "
	    "\"%.*s\"",
	    field, 32, v);
}

static ais_err
dsort_spec_react(dsort_pctx *c, const json_t *conf, const char *name,
    dsort_react def, dsort_react *out)
{
	static const char *const kinds[] = { "ignore", "warn", "abort" };
	const char *v;
	const char *names[] = { name, NULL };

	*out = def;
	if (conf == NULL) {
		return AIS_OK;
	}
	if (dsort_spec_str(c, conf, names, &v) != AIS_OK) {
		return dsort_spec_fail(c, AIS_EINVAL,
		    "Config.%s: expected \"ignore\", \"warn\" or \"abort\"",
		    name);
	}
	if (v == NULL || v[0] == '\0') {
		return AIS_OK;
	}
	for (int i = 0; i < 3; i++) {
		if (strcmp(v, kinds[i]) == 0) {
			*out = (dsort_react) i;
			return AIS_OK;
		}
	}
	return dsort_spec_fail(c, AIS_EINVAL,
	    "Config.%s: invalid value \"%.*s\" (expected \"ignore\", "
	    "\"warn\" or \"abort\")",
	    name, 32, v);
}

static ais_err
dsort_spec_conf(
    dsort_pctx *c, const json_t *j, dsort_spec *s, const char **def_mem)
{
	static const char *const cn[] = { "Config", NULL };
	static const char *const mem[] = { "default_max_mem_usage", NULL };
	static const char *const thr[] = { "dsorter_mem_threshold", NULL };
	static const char *const cto[] = { "call_timeout", NULL };
	const char *used, *v;
	json_t *conf = dsort_spec_get(j, cn, &used);
	int64_t n;

	if (conf != NULL && !json_is_object(conf)) {
		return dsort_spec_fail(
		    c, AIS_EINVAL, "Config: expected an object");
	}
	if (dsort_spec_react(c, conf, "duplicated_records", DSORT_REACT_IGNORE,
	        &s->conf.duplicated_records)
	        != AIS_OK
	    || dsort_spec_react(c, conf, "missing_shards", DSORT_REACT_IGNORE,
	           &s->conf.missing_shards)
	        != AIS_OK
	    || dsort_spec_react(c, conf, "ekm_malformed_line",
	           DSORT_REACT_ABORT, &s->conf.ekm_malformed_line)
	        != AIS_OK
	    || dsort_spec_react(c, conf, "ekm_missing_key", DSORT_REACT_ABORT,
	           &s->conf.ekm_missing_key)
	        != AIS_OK) {
		return AIS_EINVAL;
	}
	s->conf.dsorter_mem_threshold = 100LL << 30; /* "100GB", IEC as AIS */
	s->conf.call_timeout_ns = 10LL * 60 * 1000000000LL;
	*def_mem = "80%";
	if (conf == NULL) {
		return AIS_OK;
	}
	if (dsort_spec_str(c, conf, mem, &v) != AIS_OK) {
		return AIS_EINVAL;
	}
	if (v != NULL && v[0] != '\0') {
		bool pct;
		uint64_t q;
		if (dsort_spec_quantity(
		        c, "Config.default_max_mem_usage", v, &pct, &q)
		    != AIS_OK) {
			return AIS_EINVAL;
		}
		*def_mem = v;
	}
	if (dsort_spec_str(c, conf, thr, &v) != AIS_OK) {
		return AIS_EINVAL;
	}
	if (v != NULL && v[0] != '\0') {
		if (v[0] == '-' || ais_size_parse(v, &n) != AIS_OK) {
			return dsort_spec_fail(c, AIS_EINVAL,
			    "Config.dsorter_mem_threshold: invalid size "
			    "\"%.*s\"",
			    32, v);
		}
		s->conf.dsorter_mem_threshold = n;
	}
	if (dsort_spec_str(c, conf, cto, &v) != AIS_OK) {
		return AIS_EINVAL;
	}
	if (v != NULL && v[0] != '\0') {
		if (ais_dur_parse(v, &n) != AIS_OK || n <= 0) {
			return dsort_spec_fail(c, AIS_EINVAL,
			    "Config.call_timeout: invalid duration \"%.*s\" "
			    "(e.g. \"10m\")",
			    32, v);
		}
		s->conf.call_timeout_ns = n;
	}
	return AIS_OK;
}

static ais_err
dsort_spec_alg(dsort_pctx *c, const json_t *j, dsort_alg *a)
{
	static const char *const an[] = { "algorithm", NULL };
	static const char *const kn[] = { "kind", NULL };
	static const char *const en[] = { "extension", NULL };
	static const char *const tn[] = { "content_key_type", NULL };
	static const struct {
		const char *name;
		dsort_alg_kind kind;
	} kinds[] = {
		{ "", DSORT_ALG_ALPHANUMERIC },
		{ "alphanumeric", DSORT_ALG_ALPHANUMERIC },
		{ "none", DSORT_ALG_NONE },
		{ "md5", DSORT_ALG_MD5 },
		{ "shuffle", DSORT_ALG_SHUFFLE },
		{ "content", DSORT_ALG_CONTENT },
	};
	const char *used, *kind = NULL, *ext = NULL, *ty = NULL;
	json_t *alg = dsort_spec_get(j, an, &used), *seed;
	char show[64];
	size_t i;

	memset(a, 0, sizeof(*a));
	if (alg == NULL) {
		return AIS_OK;
	}
	if (!json_is_object(alg)) {
		return dsort_spec_fail(c, AIS_EINVAL,
		    "algorithm: expected an object {\"kind\": ...}");
	}
	if (dsort_spec_str(c, alg, kn, &kind) != AIS_OK) {
		return AIS_EINVAL;
	}
	kind = kind != NULL ? kind : "";
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kind, kinds[i].name) == 0) {
			break;
		}
	}
	if (i == sizeof(kinds) / sizeof(kinds[0])) {
		return dsort_spec_fail(c, AIS_EINVAL,
		    "algorithm.kind: unknown algorithm \"%.*s\" (expected one "
		    "of alphanumeric, shuffle, content, md5, none)",
		    32, kind);
	}
	a->kind = kinds[i].kind;
	if (dsort_spec_bool(c, alg, "decreasing", &a->decreasing) != AIS_OK) {
		return dsort_spec_fail(c, AIS_EINVAL,
		    "algorithm.decreasing: expected true or false");
	}
	seed = ais_json_get_ci(alg, "seed");
	if (seed != NULL && !json_is_null(seed)
	    && !(json_is_string(seed) && json_string_length(seed) == 0)) {
		int64_t v;
		/* AIS: a decimal int64 >= 0, sent as a string. */
		if (ais_json_int64(alg, "seed", &v) != AIS_OK || v < 0) {
			ais_json_show(seed, show, sizeof(show));
			return dsort_spec_fail(c, AIS_EINVAL,
			    "algorithm.seed: expected a non-negative integer "
			    "(as a string), got %s",
			    show);
		}
		a->has_seed = true;
		a->seed = (uint64_t) v;
	}
	if (a->kind != DSORT_ALG_CONTENT) {
		return AIS_OK;
	}
	if (dsort_spec_str(c, alg, en, &ext) != AIS_OK
	    || dsort_spec_str(c, alg, tn, &ty) != AIS_OK) {
		return AIS_EINVAL;
	}
	while (ext != NULL && isspace((unsigned char) *ext)) {
		ext++;
	}
	if (ext == NULL || ext[0] != '.' || ext[1] == '\0'
	    || strlen(ext) >= sizeof(a->ext)) {
		return dsort_spec_fail(c, AIS_EINVAL,
		    "algorithm.extension: the content algorithm needs the "
		    "extension of the file holding the key (e.g. \".cls\"), "
		    "got \"%.*s\"",
		    32, ext != NULL ? ext : "");
	}
	snprintf(a->ext, sizeof(a->ext), "%s", ext);
	/* Trailing blanks, as AIS strings.TrimSpace. */
	for (size_t n = strlen(a->ext);
	     n > 0 && isspace((unsigned char) a->ext[n - 1]); n--) {
		a->ext[n - 1] = '\0';
	}
	if (ty != NULL && strcmp(ty, "int") == 0) {
		a->ckey_type = DSORT_CKEY_INT;
	} else if (ty != NULL && strcmp(ty, "float") == 0) {
		a->ckey_type = DSORT_CKEY_FLOAT;
	} else if (ty != NULL && strcmp(ty, "string") == 0) {
		a->ckey_type = DSORT_CKEY_STRING;
	} else {
		return dsort_spec_fail(c, AIS_EINVAL,
		    "algorithm.content_key_type: invalid content sorting key "
		    "type \"%.*s\" (expected \"int\", \"float\" or "
		    "\"string\")",
		    32, ty != NULL ? ty : "");
	}
	return AIS_OK;
}

static ais_err
dsort_spec_do(dsort_pctx *c, const json_t *j, dsort_spec *s)
{
	static const char *const in_bck[] = { "input_bck", "bck", NULL };
	static const char *const out_bck[] = { "output_bck", NULL };
	static const char *const in_ext[]
	    = { "input_extension", "extension", NULL };
	static const char *const out_ext[] = { "output_extension", NULL };
	static const char *const out_fmt[] = { "output_format", NULL };
	static const char *const desc[] = { "description", NULL };
	static const char *const ekm[] = { "ekm_file", "order_file", NULL };
	static const char *const mem[] = { "max_mem_usage", NULL };
	static const char *const dst[] = { "dsorter_type", NULL };
	const char *used, *v, *def_mem = "80%";
	json_t *b;
	ais_err rc;

	if (!json_is_object(j)) {
		return dsort_spec_fail(
		    c, AIS_EINVAL, "dsort spec: expected a JSON object");
	}
	/* Buckets. An empty output_bck ({} or {"name": ""}) means the
	 * input bucket, as AIS Bck.IsEmpty. */
	b = dsort_spec_get(j, in_bck, &used);
	if (b == NULL) {
		return dsort_spec_fail(
		    c, AIS_EINVAL, "input_bck: missing input bucket");
	}
	if ((rc = dsort_spec_bck(c, b, used, &s->input_bck)) != AIS_OK) {
		return rc;
	}
	b = dsort_spec_get(j, out_bck, &used);
	if (b == NULL
	    || (json_is_object(b)
	        && (ais_json_str(b, "name") == NULL
	            || ais_json_str(b, "name")[0] == '\0'))) {
		s->output_bck = s->input_bck;
	} else if ((rc = dsort_spec_bck(c, b, used, &s->output_bck))
	    != AIS_OK) {
		return rc;
	}

	if ((rc = dsort_spec_input_format(c, j, s)) != AIS_OK) {
		return rc;
	}

	/* Extensions. */
	if (dsort_spec_str(c, j, in_ext, &v) != AIS_OK) {
		return AIS_EINVAL;
	}
	if (v == NULL || v[0] == '\0') {
		snprintf(s->input_ext, sizeof(s->input_ext), ".tar");
	} else if (dsort_spec_get(j, in_ext, &used) != NULL
	    && dsort_spec_ext(c, used, v, s->input_ext) != AIS_OK) {
		return AIS_EINVAL;
	}
	if (dsort_spec_str(c, j, out_ext, &v) != AIS_OK) {
		return AIS_EINVAL;
	}
	if (v == NULL || v[0] == '\0') {
		memcpy(s->output_ext, s->input_ext, sizeof(s->output_ext));
	} else if (dsort_spec_ext(c, "output_extension", v, s->output_ext)
	    != AIS_OK) {
		return AIS_EINVAL;
	}

	/* Output shards. */
	if (dsort_spec_str(c, j, ekm, &v) != AIS_OK) {
		return AIS_EINVAL;
	}
	if (v != NULL && v[0] != '\0') {
		return dsort_spec_fail(c, AIS_ENOTSUP,
		    "ekm_file: external key maps are not supported; use "
		    "output_format with a range template");
	}
	if (dsort_spec_str(c, j, out_fmt, &v) != AIS_OK) {
		return AIS_EINVAL;
	}
	if (v == NULL || v[0] == '\0') {
		return dsort_spec_fail(c, AIS_EINVAL,
		    "output_format: required (output shard name template, "
		    "e.g. \"out-{0000..0999}\")");
	}
	if ((rc = dsort_spec_tmpl(
	         c, "output_format", v, true, &s->output_count))
	    != AIS_OK) {
		return rc;
	}
	if ((s->output_format = strdup(v)) == NULL) {
		return AIS_ENOMEM;
	}
	if ((rc = dsort_spec_size(
	         c, j, "output_shard_size", &s->output_shard_size))
	    != AIS_OK) {
		return rc;
	}

	if ((rc = dsort_spec_alg(c, j, &s->alg)) != AIS_OK) {
		return rc;
	}
	if (dsort_spec_str(c, j, desc, &v) != AIS_OK) {
		return AIS_EINVAL;
	}
	if ((s->description = strdup(v != NULL ? v : "")) == NULL) {
		return AIS_ENOMEM;
	}

	/* Config first: it supplies the max_mem_usage default. */
	if ((rc = dsort_spec_conf(c, j, s, &def_mem)) != AIS_OK) {
		return rc;
	}
	if (dsort_spec_str(c, j, mem, &v) != AIS_OK) {
		return AIS_EINVAL;
	}
	if (dsort_spec_quantity(c, "max_mem_usage",
	        v != NULL && v[0] != '\0' ? v : def_mem, &s->mem_is_pct,
	        &s->max_mem)
	    != AIS_OK) {
		return AIS_EINVAL;
	}
	if (dsort_spec_count(
	        c, j, "extract_concurrency_max_limit", &s->extract_conc)
	        != AIS_OK
	    || dsort_spec_count(
	           c, j, "create_concurrency_max_limit", &s->create_conc)
	        != AIS_OK) {
		return AIS_EINVAL;
	}
	if (dsort_spec_str(c, j, dst, &v) != AIS_OK) {
		return AIS_EINVAL;
	}
	if (v != NULL && v[0] != '\0' && strcmp(v, "dsort_general") != 0
	    && strcmp(v, "dsort_mem") != 0) {
		return dsort_spec_fail(c, AIS_EINVAL,
		    "dsorter_type: unknown dsorter \"%.*s\" (expected "
		    "\"dsort_general\" or \"dsort_mem\")",
		    32, v);
	}
	snprintf(s->dsorter_type, sizeof(s->dsorter_type), "%s",
	    v != NULL ? v : "");
	return dsort_spec_bool(c, j, "dry_run", &s->dry_run);
}

ais_err
dsort_spec_parse(const json_t *j, dsort_spec *out, char *errbuf, size_t errlen)
{
	dsort_pctx c = { errbuf, errlen };
	ais_err rc;

	if (errbuf != NULL && errlen > 0) {
		errbuf[0] = '\0';
	}
	memset(out, 0, sizeof(*out));
	rc = dsort_spec_do(&c, j, out);
	if (rc != AIS_OK) {
		if (rc == AIS_ENOMEM) {
			dsort_spec_fail(&c, rc, "dsort spec: out of memory");
		}
		dsort_spec_fini(out);
	}
	return rc;
}

ais_err
dsort_spec_parse_text(
    const char *buf, size_t len, dsort_spec *out, char *errbuf, size_t errlen)
{
	json_error_t jerr;
	json_t *j;
	ais_err rc;

	memset(out, 0, sizeof(*out));
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		if (errbuf != NULL && errlen > 0) {
			snprintf(errbuf, errlen,
			    "dsort spec: invalid JSON at line %d column %d: "
			    "%s",
			    jerr.line, jerr.column, jerr.text);
		}
		return AIS_EINVAL;
	}
	rc = dsort_spec_parse(j, out, errbuf, errlen);
	json_decref(j);
	return rc;
}

void
dsort_spec_fini(dsort_spec *s)
{
	if (s == NULL) {
		return;
	}
	free(s->input_template);
	for (size_t i = 0; i < s->nobjnames; i++) {
		free(s->objnames[i]);
	}
	free(s->objnames);
	free(s->output_format);
	free(s->description);
	memset(s, 0, sizeof(*s));
}
