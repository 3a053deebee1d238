/*
 * Small JSON helpers over jansson for the AIS wire rules: keys matched
 * case-insensitively (the SDK sends "ID" for "id"), integers that may arrive
 * as numbers or as decimal strings.
 */
#ifndef AIS_CORE_JSONX_H
#define AIS_CORE_JSONX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Case-insensitive object lookup; borrowed reference or NULL. */
json_t *ais_json_get_ci(const json_t *obj, const char *key);
/* Integer from a JSON number or decimal string. AIS_ENOENT if missing,
 * AIS_EINVAL if not an integer. */
ais_err ais_json_int64(const json_t *obj, const char *key, int64_t *out);
ais_err ais_json_uint64(const json_t *obj, const char *key, uint64_t *out);
/* String value (borrowed) or NULL if missing / not a string. */
const char *ais_json_str(const json_t *obj, const char *key);
/* Bool from a JSON bool or "true"/"false". */
ais_err ais_json_bool(const json_t *obj, const char *key, bool *out);
/* Compact JSON text of any value, for error messages ("abc" keeps its
 * quotes, so the reader sees the type that was wrong); cut to fit with a
 * trailing "...". NULL prints as null. */
void ais_json_show(const json_t *v, char *buf, size_t n);
/* Value at a dotted path ("keepalivetracker.proxy.interval"); borrowed. */
json_t *ais_json_path(const json_t *root, const char *dotted);

#endif
