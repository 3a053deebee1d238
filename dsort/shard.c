/*
 * Shard formats and record keys: the parts of shard I/O that neither read
 * nor write (shard.h has the conventions; shard_read.c and shard_write.c
 * the streaming halves). Format support is asked of libarchive at runtime
 * because lz4 (and in principle gzip) depends on how it was built.
 */
#include <archive.h>
#include <stdatomic.h>
#include <string.h>

#include "dsort/shard.h"

static const char *const shard_exts[AIS_SHARD_FMT__COUNT] = {
	[AIS_SHARD_TAR] = ".tar",
	[AIS_SHARD_TGZ] = ".tgz",
	[AIS_SHARD_ZIP] = ".zip",
	[AIS_SHARD_TLZ4] = ".tar.lz4",
};

ais_err
ais_shard_fmt_parse(const char *ext, ais_shard_fmt *fmtp)
{
	if (ext == NULL) {
		return AIS_EINVAL;
	}
	for (int i = 0; i < AIS_SHARD_FMT__COUNT; i++) {
		if (strcmp(ext, shard_exts[i]) == 0) {
			*fmtp = (ais_shard_fmt) i;
			return AIS_OK;
		}
	}
	if (strcmp(ext, ".tar.gz") == 0) {
		*fmtp = AIS_SHARD_TGZ;
		return AIS_OK;
	}
	return AIS_EINVAL;
}

const char *
ais_shard_fmt_ext(ais_shard_fmt fmt)
{
	if ((unsigned) fmt >= AIS_SHARD_FMT__COUNT) {
		return "";
	}
	return shard_exts[fmt];
}

/* ARCHIVE_WARN from a support call means "only through an external
 * program", which we do not want on a data path: count it as missing. */
static bool
shard_fmt_probe(ais_shard_fmt fmt)
{
	struct archive *r = archive_read_new();
	struct archive *w = archive_write_new();
	bool ok = r != NULL && w != NULL;

	if (ok) {
		switch (fmt) {
		case AIS_SHARD_TAR:
			ok = archive_read_support_format_tar(r) == ARCHIVE_OK
			    && archive_write_set_format_pax_restricted(w)
			        == ARCHIVE_OK;
			break;
		case AIS_SHARD_TGZ:
			ok = archive_read_support_filter_gzip(r) == ARCHIVE_OK
			    && archive_write_add_filter_gzip(w) == ARCHIVE_OK;
			break;
		case AIS_SHARD_ZIP:
			ok = archive_read_support_format_zip(r) == ARCHIVE_OK
			    && archive_write_set_format_zip(w) == ARCHIVE_OK;
			break;
		case AIS_SHARD_TLZ4:
			ok = archive_read_support_filter_lz4(r) == ARCHIVE_OK
			    && archive_write_add_filter_lz4(w) == ARCHIVE_OK;
			break;
		default:
			ok = false;
		}
	}
	archive_read_free(r);
	archive_write_free(w);
	return ok;
}

bool
ais_shard_fmt_supported(ais_shard_fmt fmt)
{
	/* 0 unknown, 1 no, 2 yes; racing probes agree, so no lock */
	static _Atomic int cache[AIS_SHARD_FMT__COUNT];
	int v;

	if ((unsigned) fmt >= AIS_SHARD_FMT__COUNT) {
		return false;
	}
	v = atomic_load(&cache[fmt]);
	if (v == 0) {
		v = shard_fmt_probe(fmt) ? 2 : 1;
		atomic_store(&cache[fmt], v);
	}
	return v == 2;
}

size_t
ais_shard_record_key(const char *name, size_t len)
{
	size_t base = len, i;

	/* last path component starts after the last '/' */
	while (base > 0 && name[base - 1] != '/') {
		base--;
	}
	i = base;
	while (i < len && name[i] == '.') {
		i++; /* leading dots belong to the key */
	}
	for (; i < len; i++) {
		if (name[i] == '.') {
			return i;
		}
	}
	return len;
}

uint64_t
ais_shard_file_size_estimate(
    ais_shard_fmt fmt, const char *name, uint64_t size, int64_t mtime)
{
	if (fmt == AIS_SHARD_TAR) {
		return ais_shard_tar_file_size(name, size, mtime);
	}
	return size;
}
