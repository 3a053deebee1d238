/*
 * Smap: the cluster map and its nodes (Snodes), kept as two arrays sorted by
 * node ID so lookups are binary searches and the JSON comes out in a stable
 * order (dumps -> loads -> dumps gives the same text).
 *
 * The wire shape is AIS's (spec/smap-bmd.md section 1). One field needs care:
 * id_digest is an unsigned 64-bit number, usually >= 2^63, and jansson only
 * has signed 64-bit integers -- it can neither hold such a value as an
 * integer nor parse one ("too big integer"). Our choices:
 *
 *  - In the json_t form (ais_snode_to_json, ais_smap_to_json) id_digest is a
 *    JSON integer when it fits in int64 and otherwise a decimal string with
 *    the exact value. Never a real: a double keeps only 53 bits.
 *  - The wire form is the text of ais_smap_dumps(): it rewrites those
 *    strings back into bare unsigned numbers, so clients (the Python SDK
 *    computes placement from id_digest) see exact digits of the right type.
 *  - ais_smap_loads() quotes integers outside the int64 range before handing
 *    the text to jansson, so AIS-produced texts load; and the parser never
 *    trusts a received id_digest: it is recomputed from daemon_id, which is
 *    its definition, so a corrupt or lossy sender cannot skew placement.
 *
 * "flags" is uint64 on the wire too and gets the same treatment, although
 * the defined bits are all small.
 */
#include "core/smap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/jsonx.h"

uint64_t
ais_id_digest(const char *id)
{
	return (uint64_t) XXH64(id, strlen(id), AIS_HRW_SEED);
}

/* A string field of a fixed array must be NUL-terminated within it, no
 * longer than max, at least min bytes, and printable ASCII without spaces:
 * IDs and hosts end up in URLs, log lines and JSON keys, and jansson refuses
 * strings that are not valid UTF-8. */
static bool
ais_smap_str_valid(const char *s, size_t min, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n < min || n > max) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) s[i];
		if (c <= 0x20 || c >= 0x7f) {
			return false;
		}
	}
	return true;
}

static bool
ais_smap_snode_valid(const ais_snode *sn)
{
	if (sn->role != AIS_ROLE_PROXY && sn->role != AIS_ROLE_TARGET) {
		return false;
	}
	return ais_smap_str_valid(sn->id, 1, AIS_ID_MAX) &&
	    ais_smap_str_valid(sn->pub.host, 1, AIS_HOST_MAX) &&
	    ais_smap_str_valid(sn->ctrl.host, 0, AIS_HOST_MAX) &&
	    ais_smap_str_valid(sn->data.host, 0, AIS_HOST_MAX) &&
	    ais_smap_str_valid(sn->pub.url, 0, AIS_URL_MAX) &&
	    ais_smap_str_valid(sn->ctrl.url, 0, AIS_URL_MAX) &&
	    ais_smap_str_valid(sn->data.url, 0, AIS_URL_MAX);
}

static void
ais_smap_net_fill(ais_netinfo *ni, const char *scheme, const char *host,
    uint16_t port)
{
	/* An IPv6 literal needs brackets in a URL. */
	bool v6 = strchr(host, ':') != NULL;
	snprintf(ni->host, sizeof(ni->host), "%s", host);
	ni->port = port;
	snprintf(ni->url, sizeof(ni->url), "%s://%s%s%s:%u", scheme,
	    v6 ? "[" : "", host, v6 ? "]" : "", (unsigned) port);
}

ais_err
ais_snode_init(ais_snode *sn, const char *id, ais_role role,
    const char *host, uint16_t pub_port, uint16_t ctrl_port,
    uint16_t data_port)
{
	if (sn == NULL || id == NULL || host == NULL) {
		return AIS_EINVAL;
	}
	if (!ais_smap_str_valid(id, 1, AIS_ID_MAX) ||
	    !ais_smap_str_valid(host, 1, AIS_HOST_MAX)) {
		return AIS_EINVAL;
	}
	if (role != AIS_ROLE_PROXY && role != AIS_ROLE_TARGET) {
		return AIS_EINVAL;
	}
	memset(sn, 0, sizeof(*sn));
	snprintf(sn->id, sizeof(sn->id), "%s", id);
	sn->role = role;
	ais_smap_net_fill(&sn->pub, "http", host, pub_port);
	ais_smap_net_fill(&sn->ctrl, "tcp", host, ctrl_port);
	ais_smap_net_fill(&sn->data, "tcp", host, data_port);
	sn->flags = 0;
	sn->id_digest = ais_id_digest(sn->id);
	return AIS_OK;
}

static bool
ais_smap_net_eq(const ais_netinfo *a, const ais_netinfo *b)
{
	return a->port == b->port && strcmp(a->host, b->host) == 0;
}

bool
ais_snode_same_addr(const ais_snode *a, const ais_snode *b)
{
	return ais_smap_net_eq(&a->pub, &b->pub) &&
	    ais_smap_net_eq(&a->ctrl, &b->ctrl);
}

/* Exact uint64 in a json_t: an integer when it fits, else a decimal string
 * (see the top of the file; ais_smap_dumps turns it back into a number). */
static json_t *
ais_smap_u64_json(uint64_t v)
{
	char buf[24];
	if (v <= (uint64_t) INT64_MAX) {
		return json_integer((json_int_t) v);
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

/* json_object_set_new steals the value even when it fails. */
static int
ais_smap_set(json_t *obj, const char *key, json_t *v)
{
	if (v == NULL) {
		return -1;
	}
	return json_object_set_new(obj, key, v);
}

static json_t *
ais_smap_net_to_json(const ais_netinfo *ni)
{
	char port[8];
	json_t *j = json_object();
	if (j == NULL) {
		return NULL;
	}
	snprintf(port, sizeof(port), "%u", (unsigned) ni->port);
	if (ais_smap_set(j, "node_ip_addr", json_string(ni->host)) != 0 ||
	    ais_smap_set(j, "daemon_port", json_string(port)) != 0 ||
	    ais_smap_set(j, "direct_url", json_string(ni->url)) != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

json_t *
ais_snode_to_json(const ais_snode *sn)
{
	const char *type;
	json_t *j;
	if (sn == NULL) {
		return NULL;
	}
	type = sn->role == AIS_ROLE_PROXY ? "proxy" : "target";
	j = json_object();
	if (j == NULL) {
		return NULL;
	}
	if (ais_smap_set(j, "public_net", ais_smap_net_to_json(&sn->pub)) !=
	        0 ||
	    ais_smap_set(j, "intra_control_net",
	        ais_smap_net_to_json(&sn->ctrl)) != 0 ||
	    ais_smap_set(j, "intra_data_net",
	        ais_smap_net_to_json(&sn->data)) != 0 ||
	    ais_smap_set(j, "daemon_type", json_string(type)) != 0 ||
	    ais_smap_set(j, "daemon_id", json_string(sn->id)) != 0 ||
	    ais_smap_set(j, "flags", ais_smap_u64_json(sn->flags)) != 0 ||
	    ais_smap_set(j, "id_digest", ais_smap_u64_json(sn->id_digest)) !=
	        0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Copies a JSON string of min..max printable bytes into dst (max + 1). */
static ais_err
ais_smap_str_from_json(const json_t *v, char *dst, size_t min, size_t max)
{
	if (!json_is_string(v)) {
		return AIS_EINVAL;
	}
	const char *s = json_string_value(v);
	if (json_string_length(v) != strlen(s) ||
	    !ais_smap_str_valid(s, min, max)) {
		return AIS_EINVAL;
	}
	memcpy(dst, s, strlen(s) + 1);
	return AIS_OK;
}

static ais_err
ais_smap_net_from_json(const json_t *j, size_t min_host, ais_netinfo *ni)
{
	int64_t port;
	if (!json_is_object(j)) {
		return AIS_EINVAL;
	}
	if (ais_smap_str_from_json(ais_json_get_ci(j, "node_ip_addr"),
	        ni->host, min_host, AIS_HOST_MAX) != AIS_OK ||
	    ais_smap_str_from_json(ais_json_get_ci(j, "direct_url"), ni->url,
	        0, AIS_URL_MAX) != AIS_OK) {
		return AIS_EINVAL;
	}
	if (ais_json_int64(j, "daemon_port", &port) != AIS_OK || port < 0 ||
	    port > UINT16_MAX) {
		return AIS_EINVAL;
	}
	ni->port = (uint16_t) port;
	return AIS_OK;
}

ais_err
ais_snode_from_json(const json_t *j, ais_snode *out)
{
	ais_snode sn;
	ais_err rc;
	if (!json_is_object(j) || out == NULL) {
		return AIS_EINVAL;
	}
	memset(&sn, 0, sizeof(sn));
	if (ais_smap_str_from_json(ais_json_get_ci(j, "daemon_id"), sn.id, 1,
	        AIS_ID_MAX) != AIS_OK) {
		return AIS_EINVAL;
	}
	const char *type = ais_json_str(j, "daemon_type");
	if (type == NULL) {
		return AIS_EINVAL;
	}
	if (strcmp(type, "proxy") == 0) {
		sn.role = AIS_ROLE_PROXY;
	} else if (strcmp(type, "target") == 0) {
		sn.role = AIS_ROLE_TARGET;
	} else {
		return AIS_EINVAL;
	}
	if (ais_smap_net_from_json(ais_json_get_ci(j, "public_net"), 1,
	        &sn.pub) != AIS_OK ||
	    ais_smap_net_from_json(ais_json_get_ci(j, "intra_control_net"), 0,
	        &sn.ctrl) != AIS_OK ||
	    ais_smap_net_from_json(ais_json_get_ci(j, "intra_data_net"), 0,
	        &sn.data) != AIS_OK) {
		return AIS_EINVAL;
	}
	/* Flags are always sent by AIS; a missing key means "no flags". */
	rc = ais_json_uint64(j, "flags", &sn.flags);
	if (rc == AIS_ENOENT) {
		sn.flags = 0;
	} else if (rc != AIS_OK) {
		return AIS_EINVAL;
	}
	/* The received id_digest is deliberately ignored: see the top of the
	 * file. It is a pure function of daemon_id. */
	sn.id_digest = ais_id_digest(sn.id);
	*out = sn;
	return AIS_OK;
}

ais_err
ais_smap_alloc(ais_smap **out)
{
	ais_smap *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		return AIS_ENOMEM;
	}
	atomic_init(&m->refs, 1);
	*out = m;
	return AIS_OK;
}

static ais_err
ais_smap_dup_nodes(const ais_snode *src, size_t n, ais_snode **out)
{
	*out = NULL;
	if (n == 0) {
		return AIS_OK;
	}
	*out = malloc(n * sizeof(*src));
	if (*out == NULL) {
		return AIS_ENOMEM;
	}
	memcpy(*out, src, n * sizeof(*src));
	return AIS_OK;
}

ais_err
ais_smap_clone(const ais_smap *src, ais_smap **out)
{
	ais_smap *m = NULL;
	ais_err rc;
	if (src == NULL || out == NULL) {
		return AIS_EINVAL;
	}
	rc = ais_smap_alloc(&m);
	if (rc != AIS_OK) {
		return rc;
	}
	m->version = src->version;
	memcpy(m->uuid, src->uuid, sizeof(m->uuid));
	memcpy(m->creation_time, src->creation_time,
	    sizeof(m->creation_time));
	memcpy(m->primary, src->primary, sizeof(m->primary));
	rc = ais_smap_dup_nodes(src->proxies, src->nproxies, &m->proxies);
	if (rc != AIS_OK) {
		goto fail;
	}
	m->nproxies = src->nproxies;
	rc = ais_smap_dup_nodes(src->targets, src->ntargets, &m->targets);
	if (rc != AIS_OK) {
		goto fail;
	}
	m->ntargets = src->ntargets;
	*out = m;
	return AIS_OK;
fail:
	ais_smap_rele(m);
	return rc;
}

void
ais_smap_hold(ais_smap *m)
{
	atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void
ais_smap_rele(ais_smap *m)
{
	if (m == NULL) {
		return;
	}
	/* acq_rel: the freeing thread must see every other holder's reads
	 * done before their release. */
	if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) !=
	    1) {
		return;
	}
	free(m->proxies);
	m->proxies = NULL;
	free(m->targets);
	m->targets = NULL;
	free(m);
}

/* Binary search; *pos is the index of id, or where it would be inserted. */
static bool
ais_smap_find(const ais_snode *a, size_t n, const char *id, size_t *pos)
{
	size_t lo = 0;
	size_t hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(a[mid].id, id);
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

static void
ais_smap_side(ais_smap *m, ais_role role, ais_snode ***arr, size_t **n)
{
	if (role == AIS_ROLE_PROXY) {
		*arr = &m->proxies;
		*n = &m->nproxies;
	} else {
		*arr = &m->targets;
		*n = &m->ntargets;
	}
}

ais_err
ais_smap_add(ais_smap *m, const ais_snode *sn)
{
	ais_snode **arr;
	size_t *n;
	size_t pos;
	if (m == NULL || sn == NULL || !ais_smap_snode_valid(sn)) {
		return AIS_EINVAL;
	}
	if (ais_smap_get(m, sn->id) != NULL) {
		return AIS_EEXIST;
	}
	ais_smap_side(m, sn->role, &arr, &n);
	(void) ais_smap_find(*arr, *n, sn->id, &pos);
	/* Maps are small and change rarely: grow by one, keep it simple. */
	ais_snode *a = realloc(*arr, (*n + 1) * sizeof(*a));
	if (a == NULL) {
		return AIS_ENOMEM;
	}
	memmove(&a[pos + 1], &a[pos], (*n - pos) * sizeof(*a));
	a[pos] = *sn;
	/* The digest is defined by the id; never store a stale one. */
	a[pos].id_digest = ais_id_digest(a[pos].id);
	*arr = a;
	(*n)++;
	return AIS_OK;
}

ais_err
ais_smap_update(ais_smap *m, const ais_snode *sn)
{
	ais_snode **arr;
	size_t *n;
	size_t pos;
	if (m == NULL || sn == NULL || !ais_smap_snode_valid(sn)) {
		return AIS_EINVAL;
	}
	ais_smap_side(m, sn->role, &arr, &n);
	if (!ais_smap_find(*arr, *n, sn->id, &pos)) {
		/* Present with the other role: a node never changes role. */
		return ais_smap_get(m, sn->id) != NULL ? AIS_EINVAL
		                                       : AIS_ENOENT;
	}
	(*arr)[pos] = *sn;
	(*arr)[pos].id_digest = ais_id_digest(sn->id);
	return AIS_OK;
}

ais_err
ais_smap_del(ais_smap *m, const char *id)
{
	ais_snode **arr;
	size_t *n;
	size_t pos;
	if (m == NULL || id == NULL) {
		return AIS_EINVAL;
	}
	for (int r = 0; r < 2; r++) {
		ais_smap_side(m, r == 0 ? AIS_ROLE_PROXY : AIS_ROLE_TARGET,
		    &arr, &n);
		if (!ais_smap_find(*arr, *n, id, &pos)) {
			continue;
		}
		memmove(&(*arr)[pos], &(*arr)[pos + 1],
		    (*n - pos - 1) * sizeof(**arr));
		(*n)--;
		if (*n == 0) {
			free(*arr);
			*arr = NULL;
		}
		/* Do not leave the map naming a primary that is gone. */
		if (r == 0 && strcmp(m->primary, id) == 0) {
			m->primary[0] = '\0';
		}
		return AIS_OK;
	}
	return AIS_ENOENT;
}

const ais_snode *
ais_smap_get(const ais_smap *m, const char *id)
{
	size_t pos;
	if (m == NULL || id == NULL) {
		return NULL;
	}
	if (ais_smap_find(m->proxies, m->nproxies, id, &pos)) {
		return &m->proxies[pos];
	}
	if (ais_smap_find(m->targets, m->ntargets, id, &pos)) {
		return &m->targets[pos];
	}
	return NULL;
}

const ais_snode *
ais_smap_primary(const ais_smap *m)
{
	size_t pos;
	if (m == NULL || m->primary[0] == '\0') {
		return NULL;
	}
	if (ais_smap_find(m->proxies, m->nproxies, m->primary, &pos)) {
		return &m->proxies[pos];
	}
	return NULL;
}

static const ais_snode *
ais_smap_find_addr_in(const ais_snode *a, size_t n, const ais_snode *sn,
    const char *except_id)
{
	for (size_t i = 0; i < n; i++) {
		if (except_id != NULL && strcmp(a[i].id, except_id) == 0) {
			continue;
		}
		if (ais_smap_net_eq(&a[i].pub, &sn->pub) ||
		    ais_smap_net_eq(&a[i].ctrl, &sn->ctrl)) {
			return &a[i];
		}
	}
	return NULL;
}

const ais_snode *
ais_smap_find_addr(const ais_smap *m, const ais_snode *sn,
    const char *except_id)
{
	const ais_snode *hit;
	if (m == NULL || sn == NULL) {
		return NULL;
	}
	hit = ais_smap_find_addr_in(m->proxies, m->nproxies, sn, except_id);
	if (hit == NULL) {
		hit = ais_smap_find_addr_in(m->targets, m->ntargets, sn,
		    except_id);
	}
	return hit;
}

size_t
ais_smap_count(const ais_smap *m)
{
	return m == NULL ? 0 : m->nproxies + m->ntargets;
}

static json_t *
ais_smap_nodes_to_json(const ais_snode *a, size_t n)
{
	json_t *j = json_object();
	if (j == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (ais_smap_set(j, a[i].id, ais_snode_to_json(&a[i])) != 0) {
			json_decref(j);
			return NULL;
		}
	}
	return j;
}

json_t *
ais_smap_to_json(const ais_smap *m)
{
	char ver[24];
	const ais_snode *primary = ais_smap_primary(m);
	json_t *j;
	if (m == NULL) {
		return NULL;
	}
	j = json_object();
	if (j == NULL) {
		return NULL;
	}
	snprintf(ver, sizeof(ver), "%" PRId64, m->version);
	if (ais_smap_set(j, "pmap",
	        ais_smap_nodes_to_json(m->proxies, m->nproxies)) != 0) {
		goto fail;
	}
	/* No primary (a map under construction): omit rather than null, so
	 * that readers expecting an object never meet one. */
	if (primary != NULL &&
	    ais_smap_set(j, "proxy_si", ais_snode_to_json(primary)) != 0) {
		goto fail;
	}
	if (ais_smap_set(j, "tmap",
	        ais_smap_nodes_to_json(m->targets, m->ntargets)) != 0 ||
	    ais_smap_set(j, "uuid",
	        json_stringn(m->uuid, strnlen(m->uuid, sizeof(m->uuid)))) !=
	        0 ||
	    ais_smap_set(j, "creation_time",
	        json_stringn(m->creation_time,
	            strnlen(m->creation_time, sizeof(m->creation_time)))) !=
	        0 ||
	    ais_smap_set(j, "version", json_string(ver)) != 0) {
		goto fail;
	}
	return j;
fail:
	json_decref(j);
	return NULL;
}

/* Optional string member copied into a fixed array; absent/null -> "". */
static ais_err
ais_smap_opt_str(const json_t *j, const char *key, char *dst, size_t size)
{
	const json_t *v = ais_json_get_ci(j, key);
	dst[0] = '\0';
	if (v == NULL || json_is_null(v)) {
		return AIS_OK;
	}
	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		return AIS_EINVAL;
	}
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return AIS_OK;
}

static ais_err
ais_smap_parse_nodes(ais_smap *m, const json_t *map, ais_role role)
{
	const char *key;
	json_t *v;
	ais_snode sn;
	if (map == NULL || json_is_null(map)) {
		return AIS_OK; /* Go marshals an empty map as null */
	}
	if (!json_is_object(map)) {
		return AIS_EINVAL;
	}
	json_object_foreach((json_t *) map, key, v) {
		if (ais_snode_from_json(v, &sn) != AIS_OK || sn.role != role ||
		    strcmp(key, sn.id) != 0) {
			return AIS_EINVAL;
		}
		ais_err rc = ais_smap_add(m, &sn);
		if (rc == AIS_EEXIST) {
			return AIS_EINVAL; /* same id in pmap and tmap */
		}
		if (rc != AIS_OK) {
			return rc;
		}
	}
	return AIS_OK;
}

ais_err
ais_smap_from_json(const json_t *j, ais_smap **out)
{
	ais_smap *m = NULL;
	ais_snode psi;
	const json_t *v;
	ais_err rc;
	if (!json_is_object(j) || out == NULL) {
		return AIS_EINVAL;
	}
	rc = ais_smap_alloc(&m);
	if (rc != AIS_OK) {
		return rc;
	}
	if (ais_json_int64(j, "version", &m->version) != AIS_OK ||
	    m->version < 0) {
		rc = AIS_EINVAL;
		goto fail;
	}
	if (ais_smap_opt_str(j, "uuid", m->uuid, sizeof(m->uuid)) != AIS_OK ||
	    ais_smap_opt_str(j, "creation_time", m->creation_time,
	        sizeof(m->creation_time)) != AIS_OK) {
		rc = AIS_EINVAL;
		goto fail;
	}
	rc = ais_smap_parse_nodes(m, ais_json_get_ci(j, "pmap"),
	    AIS_ROLE_PROXY);
	if (rc != AIS_OK) {
		goto fail;
	}
	rc = ais_smap_parse_nodes(m, ais_json_get_ci(j, "tmap"),
	    AIS_ROLE_TARGET);
	if (rc != AIS_OK) {
		goto fail;
	}
	v = ais_json_get_ci(j, "proxy_si");
	if (v != NULL && !json_is_null(v)) {
		const ais_snode *p;
		if (ais_snode_from_json(v, &psi) != AIS_OK ||
		    psi.role != AIS_ROLE_PROXY) {
			rc = AIS_EINVAL;
			goto fail;
		}
		/* The primary must be one of the proxies in pmap. */
		p = ais_smap_get(m, psi.id);
		if (p == NULL || p->role != AIS_ROLE_PROXY) {
			rc = AIS_EINVAL;
			goto fail;
		}
		memcpy(m->primary, psi.id, sizeof(m->primary));
	}
	*out = m;
	return AIS_OK;
fail:
	ais_smap_rele(m);
	return rc;
}

/* Length of the JSON string token starting at s[0] == '"', closing quote
 * included; n if unterminated. */
static size_t
ais_smap_text_strlen(const char *s, size_t n)
{
	size_t i = 1;
	while (i < n && s[i] != '"') {
		i += s[i] == '\\' ? 2 : 1;
	}
	return i < n ? i + 1 : n;
}

/* True if the token is "id_digest" or "flags" (quotes included). */
static bool
ais_smap_text_is_u64_key(const char *tok, size_t len)
{
	return (len == 11 && memcmp(tok, "\"id_digest\"", 11) == 0) ||
	    (len == 7 && memcmp(tok, "\"flags\"", 7) == 0);
}

/* In place over compact json_dumps output: "id_digest":"123" becomes
 * "id_digest":123 (same for "flags"). Only a string token followed by ':'
 * is a key, and quotes inside strings are always escaped, so a daemon ID or
 * uuid can never be mistaken for one. */
static void
ais_smap_text_unquote_u64(char *s)
{
	size_t n = strlen(s);
	size_t r = 0;
	size_t w = 0;
	while (r < n) {
		if (s[r] != '"') {
			s[w++] = s[r++];
			continue;
		}
		size_t tl = ais_smap_text_strlen(&s[r], n - r);
		bool key = ais_smap_text_is_u64_key(&s[r], tl);
		memmove(&s[w], &s[r], tl);
		w += tl;
		r += tl;
		if (!key || r + 2 >= n || s[r] != ':' || s[r + 1] != '"') {
			continue;
		}
		size_t d = r + 2;
		while (d < n && s[d] >= '0' && s[d] <= '9') {
			d++;
		}
		if (d == r + 2 || d >= n || s[d] != '"') {
			continue;
		}
		s[w++] = ':';
		memmove(&s[w], &s[r + 2], d - (r + 2));
		w += d - (r + 2);
		r = d + 1;
	}
	s[w] = '\0';
}

char *
ais_smap_dumps(const ais_smap *m)
{
	json_t *j = ais_smap_to_json(m);
	char *s;
	if (j == NULL) {
		return NULL;
	}
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s != NULL) {
		ais_smap_text_unquote_u64(s);
	}
	return s;
}

/* True if the integer token (optional '-', then digits) does not fit in
 * int64, which jansson would refuse with "too big integer". */
static bool
ais_smap_text_int_big(const char *tok, size_t len)
{
	bool neg = tok[0] == '-';
	const char *d = tok + (neg ? 1 : 0);
	size_t nd = len - (neg ? 1 : 0);
	if (nd < 19) {
		return false;
	}
	if (nd > 19) {
		return true;
	}
	return memcmp(d, neg ? "9223372036854775808" : "9223372036854775807",
	           19) > 0;
}

/* Scans a number token at s[0]; *is_int tells whether it is a plain
 * integer (no fraction or exponent) without a leading zero. */
static size_t
ais_smap_text_numlen(const char *s, size_t n, bool *is_int)
{
	size_t i = s[0] == '-' ? 1 : 0;
	size_t d0 = i;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		i++;
	}
	*is_int = i > d0 && !(s[d0] == '0' && i - d0 > 1);
	while (i < n && (s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
	           s[i] == '+' || s[i] == '-' ||
	           (s[i] >= '0' && s[i] <= '9'))) {
		*is_int = false;
		i++;
	}
	return i;
}

/* One pass over the text: counts integers beyond int64 and, if dst is not
 * NULL, writes the text with each of them quoted. Returns the count. */
static size_t
ais_smap_text_quote_big(const char *s, size_t n, char *dst)
{
	size_t cnt = 0;
	size_t w = 0;
	size_t i = 0;
	while (i < n) {
		size_t tl = 1;
		bool quote = false;
		if (s[i] == '"') {
			tl = ais_smap_text_strlen(&s[i], n - i);
		} else if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
			bool is_int;
			tl = ais_smap_text_numlen(&s[i], n - i, &is_int);
			quote = is_int && ais_smap_text_int_big(&s[i], tl);
		}
		cnt += quote ? 1 : 0;
		if (dst != NULL) {
			if (quote) {
				dst[w++] = '"';
			}
			memcpy(&dst[w], &s[i], tl);
			w += tl;
			if (quote) {
				dst[w++] = '"';
			}
		}
		i += tl;
	}
	return cnt;
}

ais_err
ais_smap_loads(const char *buf, size_t len, ais_smap **out)
{
	json_error_t jerr;
	json_t *j;
	char *fixed = NULL;
	ais_err rc;
	if (buf == NULL || out == NULL) {
		return AIS_EINVAL;
	}
	size_t big = ais_smap_text_quote_big(buf, len, NULL);
	if (big > 0) {
		fixed = malloc(len + 2 * big + 1);
		if (fixed == NULL) {
			return AIS_ENOMEM;
		}
		(void) ais_smap_text_quote_big(buf, len, fixed);
		buf = fixed;
		len += 2 * big;
	}
	/* Duplicate keys would let one node silently shadow another. */
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(fixed);
	fixed = NULL;
	if (j == NULL) {
		return AIS_EINVAL;
	}
	rc = ais_smap_from_json(j, out);
	json_decref(j);
	return rc;
}
