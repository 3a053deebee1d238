/*
 * LOM metadata in AIS's own binary xattr layout (offset table in
 * core/lom.h, shared/spec/smap-bmd.md section 5.4), so a disk written by
 * either implementation reads back in the other. Encoding follows AIS's
 * record order exactly; decoding is stricter than AIS where it costs
 * nothing: fixed 8-byte values are taken by length rather than by searching
 * for the separator (a size may happen to contain 0xE3 0x2F 0xBD), and
 * unknown, duplicate or truncated records are refused as corrupt.
 */
#include "core/lom.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/xattr.h>

#include <xxhash.h>

#include "core/smap.h"

#define AIS_LOM_METAVER      2
#define AIS_LOM_METAVER_V1   1
#define AIS_LOM_CKSUM_XXHASH 1
#define AIS_LOM_PREFIX       10
#define AIS_LOM_CUSTOM_SEP   0x01

enum {
	AIS_LOM_K_CKSUM_TYPE = 0,
	AIS_LOM_K_CKSUM_VALUE = 1,
	AIS_LOM_K_VERSION = 2,
	AIS_LOM_K_SIZE = 3,
	AIS_LOM_K_COPIES = 4,
	AIS_LOM_K_CUSTOM = 5,
	AIS_LOM_K_LID = 6,
	AIS_LOM_K_FLAGS = 7,
	AIS_LOM_K_COUNT = 8,
};

static const uint8_t ais_lom_sep[3] = { 0xE3, 0x2F, 0xBD };

typedef struct ais_lom_wbuf {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool full;
} ais_lom_wbuf;

static void
ais_lom_put(ais_lom_wbuf *w, const void *p, size_t n)
{
	if (w->full || w->cap - w->len < n) {
		w->full = true;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void
ais_lom_put_be64(uint8_t out[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t) v;
		v >>= 8;
	}
}

static uint64_t
ais_lom_get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++) {
		v = (v << 8) | p[i];
	}
	return v;
}

/* Appends one record; a separator goes before every record but the first. */
static void
ais_lom_put_rec(ais_lom_wbuf *w, unsigned key, const void *val, size_t n)
{
	uint8_t k[2] = { (uint8_t) (key >> 8), (uint8_t) key };

	if (w->len > AIS_LOM_PREFIX) {
		ais_lom_put(w, ais_lom_sep, sizeof(ais_lom_sep));
	}
	ais_lom_put(w, k, sizeof(k));
	ais_lom_put(w, val, n);
}

static void
ais_lom_put_rec64(ais_lom_wbuf *w, unsigned key, uint64_t v)
{
	uint8_t b[8];

	ais_lom_put_be64(b, v);
	ais_lom_put_rec(w, key, b, sizeof(b));
}

static bool
ais_lom_has_sep(const void *p, size_t n)
{
	return memmem(p, n, ais_lom_sep, sizeof(ais_lom_sep)) != NULL;
}

ais_err
ais_lom_encode(const ais_lom_md *md, uint8_t *buf, size_t cap, size_t *lenp)
{
	ais_lom_wbuf w = { buf, cap, 0, false };
	const char *ctype;
	size_t vlen, verlen;
	uint8_t pre[AIS_LOM_PREFIX]
	    = { AIS_LOM_METAVER, AIS_LOM_CKSUM_XXHASH };

	vlen = strnlen(md->cksum_value, sizeof(md->cksum_value));
	verlen = strnlen(md->version, sizeof(md->version));
	if (vlen == sizeof(md->cksum_value) || verlen == sizeof(md->version)
	    || md->custom_len > sizeof(md->custom) || md->size < 0
	    || (unsigned) md->cksum_type > (unsigned) AIS_CKSUM_SHA512) {
		return AIS_EINVAL;
	}
	if (ais_lom_has_sep(md->cksum_value, vlen)
	    || ais_lom_has_sep(md->version, verlen)
	    || ais_lom_has_sep(md->custom, md->custom_len)) {
		return AIS_EINVAL;
	}
	ctype = md->cksum_type == AIS_CKSUM_NONE
	    ? "none"
	    : ais_cksum_type_str(md->cksum_type);

	ais_lom_put(&w, pre, sizeof(pre));
	ais_lom_put_rec(&w, AIS_LOM_K_CKSUM_TYPE, ctype, strlen(ctype));
	ais_lom_put_rec(&w, AIS_LOM_K_CKSUM_VALUE, md->cksum_value, vlen);
	if (verlen > 0) {
		ais_lom_put_rec(&w, AIS_LOM_K_VERSION, md->version, verlen);
	}
	ais_lom_put_rec64(&w, AIS_LOM_K_SIZE, (uint64_t) md->size);
	ais_lom_put_rec64(&w, AIS_LOM_K_LID, md->lid);
	ais_lom_put_rec64(&w, AIS_LOM_K_FLAGS, md->flags);
	/* key 4 (copies): no mirror copies recorded yet */
	if (md->custom_len > 0) {
		ais_lom_put_rec(
		    &w, AIS_LOM_K_CUSTOM, md->custom, md->custom_len);
	}
	if (w.full) {
		return AIS_ENOSPC;
	}
	ais_lom_put_be64(buf + 2,
	    XXH64(buf + AIS_LOM_PREFIX, w.len - AIS_LOM_PREFIX, AIS_HRW_SEED));
	*lenp = w.len;
	return AIS_OK;
}

/* Copies a string value into dst[cap] with a NUL; false if it won't fit. */
static bool
ais_lom_get_str(char *dst, size_t cap, const uint8_t *val, size_t n)
{
	if (n >= cap || memchr(val, '\0', n) != NULL) {
		return false;
	}
	memcpy(dst, val, n);
	dst[n] = '\0';
	return true;
}

/* Custom metadata must be k 0x01 v (0x01 k 0x01 v)*: an odd number of
 * separators, so every key has a value. */
static bool
ais_lom_custom_valid(const uint8_t *p, size_t n)
{
	size_t i, nsep = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == AIS_LOM_CUSTOM_SEP) {
			nsep++;
		}
	}
	return n == 0 || nsep % 2 == 1;
}

static ais_err
ais_lom_decode_rec(unsigned key, const uint8_t *val, size_t n, ais_lom_md *out)
{
	char tmp[16];

	switch (key) {
	case AIS_LOM_K_CKSUM_TYPE:
		if (!ais_lom_get_str(tmp, sizeof(tmp), val, n)
		    || ais_cksum_type_parse(tmp, &out->cksum_type) != AIS_OK) {
			return AIS_EINVAL;
		}
		return AIS_OK;
	case AIS_LOM_K_CKSUM_VALUE:
		return ais_lom_get_str(
		           out->cksum_value, sizeof(out->cksum_value), val, n)
		    ? AIS_OK
		    : AIS_EINVAL;
	case AIS_LOM_K_VERSION:
		return ais_lom_get_str(
		           out->version, sizeof(out->version), val, n)
		    ? AIS_OK
		    : AIS_EINVAL;
	case AIS_LOM_K_SIZE:
		out->size = (int64_t) ais_lom_get_be64(val);
		return out->size < 0 ? AIS_EINVAL : AIS_OK;
	case AIS_LOM_K_LID:
		out->lid = ais_lom_get_be64(val);
		return AIS_OK;
	case AIS_LOM_K_FLAGS:
		out->flags = ais_lom_get_be64(val);
		return AIS_OK;
	case AIS_LOM_K_COPIES:
		return AIS_OK; /* known, not tracked yet */
	case AIS_LOM_K_CUSTOM:
		if (n > sizeof(out->custom) || !ais_lom_custom_valid(val, n)) {
			return AIS_EINVAL;
		}
		memcpy(out->custom, val, n);
		out->custom_len = n;
		return AIS_OK;
	default:
		return AIS_EINVAL;
	}
}

ais_err
ais_lom_decode(const uint8_t *buf, size_t len, ais_lom_md *out)
{
	const uint8_t *p, *end;
	bool seen[AIS_LOM_K_COUNT] = { false };
	ais_err err;

	memset(out, 0, sizeof(*out));
	if (len < AIS_LOM_PREFIX + 2
	    || (buf[0] != AIS_LOM_METAVER && buf[0] != AIS_LOM_METAVER_V1)
	    || buf[1] != AIS_LOM_CKSUM_XXHASH) {
		return AIS_EINVAL;
	}
	p = buf + AIS_LOM_PREFIX;
	end = buf + len;
	if (XXH64(p, (size_t) (end - p), AIS_HRW_SEED)
	    != ais_lom_get_be64(buf + 2)) {
		return AIS_ECKSUM;
	}
	while (p < end) {
		const uint8_t *val, *vend;
		unsigned key;

		if (end - p < 2) {
			return AIS_EINVAL;
		}
		key = ((unsigned) p[0] << 8) | p[1];
		val = p + 2;
		if (key >= AIS_LOM_K_COUNT || seen[key]) {
			return AIS_EINVAL;
		}
		seen[key] = true;
		if (key == AIS_LOM_K_SIZE || key == AIS_LOM_K_LID
		    || key == AIS_LOM_K_FLAGS) {
			if (end - val < 8) {
				return AIS_EINVAL;
			}
			vend = val + 8;
		} else {
			vend = memmem(val, (size_t) (end - val), ais_lom_sep,
			    sizeof(ais_lom_sep));
			if (vend == NULL) {
				vend = end;
			}
		}
		err = ais_lom_decode_rec(key, val, (size_t) (vend - val), out);
		if (err != AIS_OK) {
			return err;
		}
		p = vend;
		if (p == end) {
			break;
		}
		/* a separator must follow and introduce another record */
		if ((size_t) (end - p) <= sizeof(ais_lom_sep)
		    || memcmp(p, ais_lom_sep, sizeof(ais_lom_sep)) != 0) {
			return AIS_EINVAL;
		}
		p += sizeof(ais_lom_sep);
	}
	if (!seen[AIS_LOM_K_SIZE]) {
		return AIS_EINVAL;
	}
	return AIS_OK;
}

static ais_err
ais_lom_xattr_err(int e)
{
	if (e == ENODATA) {
		return AIS_ENOENT;
	}
	if (e == ERANGE) {
		return AIS_EINVAL; /* larger than any valid record */
	}
	return ais_err_from_errno(e);
}

ais_err
ais_lom_load_fd(int fd, ais_lom_md *out)
{
	uint8_t buf[AIS_LOM_MAX];
	ssize_t n;

	n = fgetxattr(fd, AIS_LOM_XATTR, buf, sizeof(buf));
	if (n < 0) {
		return ais_lom_xattr_err(errno);
	}
	return ais_lom_decode(buf, (size_t) n, out);
}

ais_err
ais_lom_load(const char *path, ais_lom_md *out)
{
	uint8_t buf[AIS_LOM_MAX];
	ssize_t n;

	n = getxattr(path, AIS_LOM_XATTR, buf, sizeof(buf));
	if (n < 0) {
		return ais_lom_xattr_err(errno);
	}
	return ais_lom_decode(buf, (size_t) n, out);
}

ais_err
ais_lom_store_fd(int fd, const ais_lom_md *md)
{
	uint8_t buf[AIS_LOM_MAX];
	size_t len;
	ais_err err;

	err = ais_lom_encode(md, buf, sizeof(buf), &len);
	if (err != AIS_OK) {
		return err;
	}
	if (fsetxattr(fd, AIS_LOM_XATTR, buf, len, 0) != 0) {
		return ais_err_from_errno(errno);
	}
	return AIS_OK;
}

int
ais_lom_custom_next(const ais_lom_md *md, size_t *pos, const char **k,
    size_t *klen, const char **v, size_t *vlen)
{
	const char *base = md->custom;
	const char *p, *end, *ksep, *vsep;

	if (*pos >= md->custom_len || md->custom_len > sizeof(md->custom)) {
		return 0;
	}
	p = base + *pos;
	end = base + md->custom_len;
	ksep = memchr(p, AIS_LOM_CUSTOM_SEP, (size_t) (end - p));
	if (ksep == NULL) {
		return 0; /* key without a value: malformed tail */
	}
	vsep = memchr(
	    ksep + 1, AIS_LOM_CUSTOM_SEP, (size_t) (end - (ksep + 1)));
	if (vsep == NULL) {
		vsep = end;
	}
	*k = p;
	*klen = (size_t) (ksep - p);
	*v = ksep + 1;
	*vlen = (size_t) (vsep - (ksep + 1));
	*pos = vsep == end ? md->custom_len : (size_t) (vsep + 1 - base);
	return 1;
}

ais_err
ais_lom_custom_set(ais_lom_md *md, const char *key, const char *value)
{
	char tmp[AIS_LOM_CUSTOM_MAX];
	size_t klen, vlen, len = 0, pos = 0, ek, ev;
	const char *k, *v;

	if (key == NULL || value == NULL) {
		return AIS_EINVAL;
	}
	klen = strlen(key);
	vlen = strlen(value);
	if (klen == 0 || memchr(key, AIS_LOM_CUSTOM_SEP, klen) != NULL
	    || memchr(value, AIS_LOM_CUSTOM_SEP, vlen) != NULL) {
		return AIS_EINVAL;
	}
	/* rebuild without the old entry for key, then append the new one */
	while (ais_lom_custom_next(md, &pos, &k, &ek, &v, &ev) != 0) {
		if (ek == klen && memcmp(k, key, klen) == 0) {
			continue;
		}
		if (len > 0) {
			tmp[len++] = AIS_LOM_CUSTOM_SEP;
		}
		memcpy(tmp + len, k, ek);
		len += ek;
		tmp[len++] = AIS_LOM_CUSTOM_SEP;
		memcpy(tmp + len, v, ev);
		len += ev;
	}
	if (sizeof(tmp) - len < (len > 0 ? 1 : 0) + klen + 1 + vlen) {
		return AIS_ENOSPC;
	}
	if (len > 0) {
		tmp[len++] = AIS_LOM_CUSTOM_SEP;
	}
	memcpy(tmp + len, key, klen);
	len += klen;
	tmp[len++] = AIS_LOM_CUSTOM_SEP;
	memcpy(tmp + len, value, vlen);
	len += vlen;
	memcpy(md->custom, tmp, len);
	md->custom_len = len;
	return AIS_OK;
}

void
ais_lom_next_version(const char *fqn, bool versioning, ais_lom_md *md)
{
	ais_lom_md old;
	unsigned long long v = 0;

	md->version[0] = '\0';
	if (!versioning) {
		return;
	}
	if (ais_lom_load(fqn, &old) == AIS_OK && old.version[0] != '\0') {
		char *end;

		errno = 0;
		v = strtoull(old.version, &end, 10);
		if (errno != 0 || *end != '\0') {
			v = 0;
		}
	}
	snprintf(md->version, sizeof(md->version), "%llu", v + 1);
}
