/*
 * BMD: bucket metadata -- every bucket (provider, namespace, name) with its
 * props, a version that only grows, and a UUID. Published as an immutable
 * refcounted snapshot like the Smap. JSON is the AIS wire shape
 * (shared/spec/smap-bmd.md section 2): providers -> namespace uname -> name
 * -> props, "version" as a string. Props are kept as a JSON object here; the
 * typed view of them belongs to the bucket code that interprets them.
 */
#ifndef AIS_CORE_BMD_H
#define AIS_CORE_BMD_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define AIS_BCK_NAME_MAX 64

typedef struct ais_bck {
	char provider[8];               /* normalized: ais, aws, gcp, azure, oci */
	char ns[80];                    /* namespace uname, "@#" = global */
	char name[AIS_BCK_NAME_MAX + 1];
	json_t *props;                  /* owned JSON object */
} ais_bck;

typedef struct ais_bmd {
	atomic_int refs;
	int64_t version;
	char uuid[40];
	ais_bck *bcks; /* sorted by (provider, ns, name) */
	size_t nbcks;
} ais_bmd;

ais_err ais_bmd_alloc(ais_bmd **out);                     /* refs 1, v0 */
ais_err ais_bmd_clone(const ais_bmd *src, ais_bmd **out); /* deep copy */
void ais_bmd_hold(ais_bmd *b);
void ais_bmd_rele(ais_bmd *b); /* accepts NULL */

/* Adds a bucket; props is copied (deep). AIS_EEXIST if present. */
ais_err ais_bmd_add(ais_bmd *b, const char *provider, const char *ns,
    const char *name, const json_t *props);
ais_err ais_bmd_del(ais_bmd *b, const char *provider, const char *ns,
    const char *name);
/* Borrowed from b; NULL if absent. ns NULL or "" means "@#". */
const ais_bck *ais_bmd_get(const ais_bmd *b, const char *provider,
    const char *ns, const char *name);

json_t *ais_bmd_to_json(const ais_bmd *b);
ais_err ais_bmd_from_json(const json_t *j, ais_bmd **out);
char *ais_bmd_dumps(const ais_bmd *b);
ais_err ais_bmd_loads(const char *buf, size_t len, ais_bmd **out);

#endif
