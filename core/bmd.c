/*
 * BMD: bucket metadata. Buckets live in one array sorted by (provider,
 * namespace, name), which gives binary-search lookups and lets the JSON be
 * written in one ordered pass, grouped the way AIS nests it
 * (providers -> namespace -> name -> props, spec/smap-bmd.md section 2).
 * Props are opaque JSON here and always deep-copied, so a published BMD
 * shares nothing mutable with the code that built it.
 *
 * Names are validated on every add, including buckets that arrive in a
 * received BMD: a bucket name becomes a directory on every mountpath, so
 * "..", a leading "." or a "/" must never get in.
 */
#include "core/bmd.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"

#define AIS_BMD_NS_GLOBAL "@#"

static const char *const ais_bmd_providers[] = {
	"ais", "aws", "gcp", "azure", "oci",
};

static bool
ais_bmd_provider_valid(const char *p)
{
	size_t n = sizeof(ais_bmd_providers) / sizeof(ais_bmd_providers[0]);
	if (p == NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(p, ais_bmd_providers[i]) == 0) {
			return true;
		}
	}
	return false;
}

/* 1..64 of [A-Za-z0-9_.-], no "..", no leading '.'. */
static bool
ais_bmd_name_valid(const char *name)
{
	size_t n;
	if (name == NULL) {
		return false;
	}
	n = strnlen(name, AIS_BCK_NAME_MAX + 1);
	if (n == 0 || n > AIS_BCK_NAME_MAX || name[0] == '.') {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		if (!ok) {
			return false;
		}
		if (c == '.' && i + 1 < n && name[i + 1] == '.') {
			return false;
		}
	}
	return true;
}

/* Namespace uname: "@#" (global), "@#name" or "@uuid#name"; printable,
 * no '/', and it must fit ais_bck.ns. */
static bool
ais_bmd_ns_valid(const char *ns)
{
	size_t n = strnlen(ns, sizeof(((ais_bck *) NULL)->ns));
	if (n < 2 || n >= sizeof(((ais_bck *) NULL)->ns) || ns[0] != '@' ||
	    strchr(ns, '#') == NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) ns[i];
		if (c <= 0x20 || c >= 0x7f || c == '/') {
			return false;
		}
	}
	return true;
}

static const char *
ais_bmd_ns_norm(const char *ns)
{
	return ns == NULL || ns[0] == '\0' ? AIS_BMD_NS_GLOBAL : ns;
}

static int
ais_bmd_cmp(const ais_bck *b, const char *provider, const char *ns,
    const char *name)
{
	int c = strcmp(b->provider, provider);
	if (c == 0) {
		c = strcmp(b->ns, ns);
	}
	if (c == 0) {
		c = strcmp(b->name, name);
	}
	return c;
}

/* Binary search; *pos is the match or the insertion point. */
static bool
ais_bmd_find(const ais_bmd *b, const char *provider, const char *ns,
    const char *name, size_t *pos)
{
	size_t lo = 0;
	size_t hi = b->nbcks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = ais_bmd_cmp(&b->bcks[mid], provider, ns, name);
		if (c == 0) {
			*pos = mid;
			return true;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	*pos = lo;
	return false;
}

ais_err
ais_bmd_alloc(ais_bmd **out)
{
	ais_bmd *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		return AIS_ENOMEM;
	}
	atomic_init(&b->refs, 1);
	*out = b;
	return AIS_OK;
}

static void
ais_bmd_free(ais_bmd *b)
{
	for (size_t i = 0; i < b->nbcks; i++) {
		json_decref(b->bcks[i].props);
		b->bcks[i].props = NULL;
	}
	free(b->bcks);
	b->bcks = NULL;
	free(b);
}

ais_err
ais_bmd_clone(const ais_bmd *src, ais_bmd **out)
{
	ais_bmd *b = NULL;
	ais_err rc;
	if (src == NULL || out == NULL) {
		return AIS_EINVAL;
	}
	rc = ais_bmd_alloc(&b);
	if (rc != AIS_OK) {
		return rc;
	}
	b->version = src->version;
	memcpy(b->uuid, src->uuid, sizeof(b->uuid));
	if (src->nbcks > 0) {
		b->bcks = calloc(src->nbcks, sizeof(*b->bcks));
		if (b->bcks == NULL) {
			rc = AIS_ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; i < src->nbcks; i++) {
		b->bcks[i] = src->bcks[i];
		b->bcks[i].props = json_deep_copy(src->bcks[i].props);
		if (b->bcks[i].props == NULL) {
			rc = AIS_ENOMEM;
			goto fail;
		}
		b->nbcks = i + 1;
	}
	*out = b;
	return AIS_OK;
fail:
	ais_bmd_free(b);
	return rc;
}

void
ais_bmd_hold(ais_bmd *b)
{
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
}

void
ais_bmd_rele(ais_bmd *b)
{
	if (b == NULL) {
		return;
	}
	if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) !=
	    1) {
		return;
	}
	ais_bmd_free(b);
}

ais_err
ais_bmd_add(ais_bmd *b, const char *provider, const char *ns,
    const char *name, const json_t *props)
{
	size_t pos;
	json_t *p;
	if (b == NULL || !ais_bmd_provider_valid(provider) ||
	    !ais_bmd_name_valid(name)) {
		return AIS_EINVAL;
	}
	ns = ais_bmd_ns_norm(ns);
	if (!ais_bmd_ns_valid(ns)) {
		return AIS_EINVAL;
	}
	if (props != NULL && !json_is_object(props)) {
		return AIS_EINVAL;
	}
	if (ais_bmd_find(b, provider, ns, name, &pos)) {
		return AIS_EEXIST;
	}
	p = props != NULL ? json_deep_copy(props) : json_object();
	if (p == NULL) {
		return AIS_ENOMEM;
	}
	ais_bck *a = realloc(b->bcks, (b->nbcks + 1) * sizeof(*a));
	if (a == NULL) {
		json_decref(p);
		return AIS_ENOMEM;
	}
	b->bcks = a;
	memmove(&a[pos + 1], &a[pos], (b->nbcks - pos) * sizeof(*a));
	memset(&a[pos], 0, sizeof(*a));
	snprintf(a[pos].provider, sizeof(a[pos].provider), "%s", provider);
	snprintf(a[pos].ns, sizeof(a[pos].ns), "%s", ns);
	snprintf(a[pos].name, sizeof(a[pos].name), "%s", name);
	a[pos].props = p;
	b->nbcks++;
	return AIS_OK;
}

ais_err
ais_bmd_del(ais_bmd *b, const char *provider, const char *ns,
    const char *name)
{
	size_t pos;
	if (b == NULL || provider == NULL || name == NULL) {
		return AIS_EINVAL;
	}
	if (!ais_bmd_find(b, provider, ais_bmd_ns_norm(ns), name, &pos)) {
		return AIS_ENOENT;
	}
	json_decref(b->bcks[pos].props);
	memmove(&b->bcks[pos], &b->bcks[pos + 1],
	    (b->nbcks - pos - 1) * sizeof(*b->bcks));
	b->nbcks--;
	if (b->nbcks == 0) {
		free(b->bcks);
		b->bcks = NULL;
	}
	return AIS_OK;
}

const ais_bck *
ais_bmd_get(const ais_bmd *b, const char *provider, const char *ns,
    const char *name)
{
	size_t pos;
	if (b == NULL || provider == NULL || name == NULL) {
		return NULL;
	}
	if (!ais_bmd_find(b, provider, ais_bmd_ns_norm(ns), name, &pos)) {
		return NULL;
	}
	return &b->bcks[pos];
}

/* Returns the child object under key, creating it if needed; borrowed. */
static json_t *
ais_bmd_child(json_t *parent, const char *key)
{
	json_t *c = json_object_get(parent, key);
	if (c != NULL) {
		return c;
	}
	c = json_object();
	if (c == NULL || json_object_set_new(parent, key, c) != 0) {
		return NULL;
	}
	return c;
}

json_t *
ais_bmd_to_json(const ais_bmd *b)
{
	char ver[24];
	json_t *j;
	json_t *provs;
	if (b == NULL) {
		return NULL;
	}
	j = json_object();
	provs = json_object();
	if (j == NULL || provs == NULL ||
	    json_object_set_new(j, "providers", provs) != 0) {
		if (j == NULL) {
			json_decref(provs);
		}
		goto fail;
	}
	/* Sorted order means each provider and namespace object is created
	 * once and filled in order. */
	for (size_t i = 0; i < b->nbcks; i++) {
		const ais_bck *k = &b->bcks[i];
		json_t *pj = ais_bmd_child(provs, k->provider);
		json_t *nj = pj != NULL ? ais_bmd_child(pj, k->ns) : NULL;
		json_t *props = json_deep_copy(k->props);
		if (nj == NULL || props == NULL ||
		    json_object_set_new(nj, k->name, props) != 0) {
			if (nj == NULL) {
				json_decref(props);
			}
			goto fail;
		}
	}
	snprintf(ver, sizeof(ver), "%" PRId64, b->version);
	if (json_object_set_new(j, "uuid",
	        json_stringn(b->uuid, strnlen(b->uuid, sizeof(b->uuid)))) !=
	        0 ||
	    json_object_set_new(j, "version", json_string(ver)) != 0) {
		goto fail;
	}
	return j;
fail:
	json_decref(j);
	return NULL;
}

static ais_err
ais_bmd_parse_ns(ais_bmd *b, const char *provider, const char *ns,
    const json_t *names)
{
	const char *name;
	json_t *props;
	if (!json_is_object(names)) {
		return AIS_EINVAL;
	}
	json_object_foreach((json_t *) names, name, props) {
		if (!json_is_object(props)) {
			return AIS_EINVAL;
		}
		ais_err rc = ais_bmd_add(b, provider, ns, name, props);
		if (rc == AIS_EEXIST) {
			return AIS_EINVAL; /* "" and "@#" both meant global */
		}
		if (rc != AIS_OK) {
			return rc;
		}
	}
	return AIS_OK;
}

static ais_err
ais_bmd_parse_providers(ais_bmd *b, const json_t *provs)
{
	const char *prov;
	const char *ns;
	json_t *nsmap;
	json_t *names;
	if (provs == NULL || json_is_null(provs)) {
		return AIS_OK;
	}
	if (!json_is_object(provs)) {
		return AIS_EINVAL;
	}
	json_object_foreach((json_t *) provs, prov, nsmap) {
		if (!ais_bmd_provider_valid(prov)) {
			return AIS_EINVAL;
		}
		if (json_is_null(nsmap)) {
			continue;
		}
		if (!json_is_object(nsmap)) {
			return AIS_EINVAL;
		}
		json_object_foreach(nsmap, ns, names) {
			ais_err rc = ais_bmd_parse_ns(b, prov, ns, names);
			if (rc != AIS_OK) {
				return rc;
			}
		}
	}
	return AIS_OK;
}

ais_err
ais_bmd_from_json(const json_t *j, ais_bmd **out)
{
	ais_bmd *b = NULL;
	const json_t *v;
	ais_err rc;
	if (!json_is_object(j) || out == NULL) {
		return AIS_EINVAL;
	}
	rc = ais_bmd_alloc(&b);
	if (rc != AIS_OK) {
		return rc;
	}
	if (ais_json_int64(j, "version", &b->version) != AIS_OK ||
	    b->version < 0) {
		rc = AIS_EINVAL;
		goto fail;
	}
	v = ais_json_get_ci(j, "uuid");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) ||
		    json_string_length(v) >= sizeof(b->uuid) ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			rc = AIS_EINVAL;
			goto fail;
		}
		memcpy(b->uuid, json_string_value(v),
		    json_string_length(v) + 1);
	}
	rc = ais_bmd_parse_providers(b, ais_json_get_ci(j, "providers"));
	if (rc != AIS_OK) {
		goto fail;
	}
	*out = b;
	return AIS_OK;
fail:
	ais_bmd_rele(b);
	return rc;
}

char *
ais_bmd_dumps(const ais_bmd *b)
{
	json_t *j = ais_bmd_to_json(b);
	char *s;
	if (j == NULL) {
		return NULL;
	}
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

ais_err
ais_bmd_loads(const char *buf, size_t len, ais_bmd **out)
{
	json_error_t jerr;
	json_t *j;
	ais_err rc;
	if (buf == NULL || out == NULL) {
		return AIS_EINVAL;
	}
	/* Duplicate keys would make one bucket's props silently win. */
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		return AIS_EINVAL;
	}
	rc = ais_bmd_from_json(j, out);
	json_decref(j);
	return rc;
}
