/*
 * HRW placement, bit-exact with AIS (shared/spec/smap-bmd.md section 4).
 * Every node and mountpath carries a fixed digest; an object's digest is
 * XXH64 of its uname. The owner is whichever candidate scores the highest
 * mix(candidate ^ object). Adding a candidate moves only the names it now
 * wins (~1/n of them), which is why rebalance stays cheap. Everything here
 * is a pure function over immutable inputs: no locks, no allocation.
 */
#include "core/hrw.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#define AIS_HRW_GOLDEN 0x9e3779b97f4a7c15ULL
#define AIS_HRW_M1     0xbf58476d1ce4e5b9ULL
#define AIS_HRW_M2     0x94d049bb133111ebULL

static uint64_t
ais_hrw_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
ais_hrw_mix(uint64_t x)
{
	uint64_t z = x + AIS_HRW_GOLDEN;

	z = (z ^ (z >> 30)) * AIS_HRW_M1;
	z = (z ^ (z >> 27)) * AIS_HRW_M2;
	z = (z ^ (z >> 31)) + AIS_HRW_GOLDEN;
	z = (z ^ (z >> 30)) * AIS_HRW_M1;
	z = (z ^ (z >> 27)) * AIS_HRW_M2;
	z = (z ^ (z >> 31)) * 5;
	return ais_hrw_rotl(z, 7) * 9;
}

uint64_t
ais_hrw_digest(const void *buf, size_t len)
{
	return XXH64(buf, len, AIS_HRW_SEED);
}

size_t
ais_uname(char *buf, size_t len, const char *provider, const char *ns,
    const char *bck, const char *obj)
{
	int n;

	if (ns == NULL || ns[0] == '\0') {
		ns = "@#";
	}
	n = snprintf(buf, len, "%s/%s/%s/%s", provider, ns, bck,
	    obj != NULL ? obj : "");
	if (n < 0 || (size_t) n >= len) {
		if (len > 0) {
			buf[0] = '\0';
		}
		return 0;
	}
	return (size_t) n;
}

ais_err
ais_hrw_target_digest(
    const ais_smap *m, uint64_t digest, const ais_snode **out)
{
	const ais_snode *best = NULL;
	uint64_t best_w = 0;
	size_t i;

	for (i = 0; i < m->ntargets; i++) {
		const ais_snode *t = &m->targets[i];
		uint64_t w;

		if ((t->flags & (AIS_SNODE_MAINT | AIS_SNODE_DECOMM)) != 0) {
			continue;
		}
		w = ais_hrw_mix(t->id_digest ^ digest);
		if (best == NULL || w > best_w) {
			best = t;
			best_w = w;
		}
	}
	if (best == NULL) {
		return AIS_ENOENT;
	}
	*out = best;
	return AIS_OK;
}

ais_err
ais_hrw_target(
    const ais_smap *m, const char *uname, size_t len, const ais_snode **out)
{
	return ais_hrw_target_digest(m, ais_hrw_digest(uname, len), out);
}

size_t
ais_hrw_mpath(const ais_mpath *mps, size_t n, uint64_t digest)
{
	size_t best = 0;
	uint64_t best_w = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t w = ais_hrw_mix(mps[i].digest ^ digest);

		if (i == 0 || w > best_w) {
			best = i;
			best_w = w;
		}
	}
	return best;
}

ais_err
ais_mpath_init(ais_mpath *mp, const char *path)
{
	size_t len;

	if (path == NULL || path[0] != '/') {
		return AIS_EINVAL;
	}
	len = strlen(path);
	/* cleaned form: no trailing slash (but "/" stays "/") */
	while (len > 1 && path[len - 1] == '/') {
		len--;
	}
	if (len >= sizeof(mp->path)) {
		return AIS_EINVAL;
	}
	memcpy(mp->path, path, len);
	mp->path[len] = '\0';
	mp->digest = ais_hrw_digest(mp->path, len);
	return AIS_OK;
}
