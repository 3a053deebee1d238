/* JSON helpers for AIS wire rules: case-insensitive keys, ints as strings. */
#include "core/jsonx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

json_t *
ais_json_get_ci(const json_t *obj, const char *key)
{
	if (!json_is_object(obj) || key == NULL) {
		return NULL;
	}
	json_t *v = json_object_get(obj, key); /* exact match first: O(1) */
	if (v != NULL) {
		return v;
	}
	const char *k;
	json_object_foreach((json_t *) obj, k, v) {
		if (strcasecmp(k, key) == 0) {
			return v;
		}
	}
	return NULL;
}

static ais_err
ais_json_parse_int(const json_t *v, bool is_unsigned, int64_t *s, uint64_t *u)
{
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);
		if (is_unsigned && x < 0) {
			return AIS_EINVAL;
		}
		*s = (int64_t) x;
		*u = (uint64_t) x;
		return AIS_OK;
	}
	if (json_is_real(v)) {
		/* Jansson decodes integers beyond int64 (e.g. id_digest) as reals
		 * unless we parse the text; accept exact integral values only. */
		double d = json_real_value(v);
		if (d != (double) (int64_t) d && !(is_unsigned && d >= 0 &&
		    d < 18446744073709551616.0)) {
			return AIS_EINVAL;
		}
		*s = (int64_t) d;
		*u = (uint64_t) d;
		return AIS_OK;
	}
	if (!json_is_string(v)) {
		return AIS_EINVAL;
	}
	const char *str = json_string_value(v);
	char *end = NULL;
	if (*str == '\0') {
		return AIS_EINVAL;
	}
	errno = 0;
	if (is_unsigned) {
		if (*str == '-') {
			return AIS_EINVAL;
		}
		*u = strtoull(str, &end, 10);
		*s = (int64_t) *u;
	} else {
		*s = strtoll(str, &end, 10);
		*u = (uint64_t) *s;
	}
	if (errno != 0 || end == NULL || *end != '\0') {
		return AIS_EINVAL;
	}
	return AIS_OK;
}

ais_err
ais_json_int64(const json_t *obj, const char *key, int64_t *out)
{
	const json_t *v = ais_json_get_ci(obj, key);
	uint64_t u;
	if (v == NULL || json_is_null(v)) {
		return AIS_ENOENT;
	}
	return ais_json_parse_int(v, false, out, &u);
}

ais_err
ais_json_uint64(const json_t *obj, const char *key, uint64_t *out)
{
	const json_t *v = ais_json_get_ci(obj, key);
	int64_t s;
	if (v == NULL || json_is_null(v)) {
		return AIS_ENOENT;
	}
	return ais_json_parse_int(v, true, &s, out);
}

const char *
ais_json_str(const json_t *obj, const char *key)
{
	const json_t *v = ais_json_get_ci(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

ais_err
ais_json_bool(const json_t *obj, const char *key, bool *out)
{
	const json_t *v = ais_json_get_ci(obj, key);
	if (v == NULL || json_is_null(v)) {
		return AIS_ENOENT;
	}
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return AIS_OK;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (strcasecmp(s, "true") == 0) {
			*out = true;
			return AIS_OK;
		}
		if (strcasecmp(s, "false") == 0) {
			*out = false;
			return AIS_OK;
		}
	}
	return AIS_EINVAL;
}

json_t *
ais_json_path(const json_t *root, const char *dotted)
{
	char seg[128];
	const json_t *cur = root;
	const char *p = dotted;
	while (cur != NULL && *p != '\0') {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t) (dot - p) : strlen(p);
		if (n == 0 || n >= sizeof(seg)) {
			return NULL;
		}
		memcpy(seg, p, n);
		seg[n] = '\0';
		cur = ais_json_get_ci(cur, seg);
		p += n + (dot ? 1 : 0);
	}
	return (json_t *) cur;
}

void
ais_json_show(const json_t *v, char *buf, size_t n)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	snprintf(buf, n, "%s", s ? s : "null");
	if (s != NULL && strlen(s) >= n && n > 4) {
		memcpy(buf + n - 4, "...", 4);
	}
	free(s);
}
