/*
 * Metafile: how a node persists its Smap, BMD, config and ID. A one-line
 * text header carries an XXH64 (seed 0) of the payload so a torn or
 * bit-rotted file is detected at load instead of being trusted; the
 * tmp + fsync + rename + directory-fsync sequence makes the replacement
 * atomic, so after a crash there is either the old file or the new one.
 */
#include "core/hex.h"
#include "core/metafile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/log.h"

#define AIS_METAFILE_MAGIC "aismeta 1 xxhash "
#define AIS_METAFILE_MAGIC_LEN (sizeof(AIS_METAFILE_MAGIC) - 1)
#define AIS_METAFILE_HDR_LEN (AIS_METAFILE_MAGIC_LEN + 16 + 1)
#define AIS_METAFILE_EINTR_MAX 1000 /* bound on retries after EINTR */

/* Writes all of buf; errno becomes an ais_err here. */
static ais_err
ais_metafile_write_all(int fd, const char *buf, size_t len)
{
	size_t off = 0;
	int eintr = 0;
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);
		if (n < 0) {
			if (errno == EINTR &&
			    eintr++ < AIS_METAFILE_EINTR_MAX) {
				continue;
			}
			return ais_err_from_errno(errno);
		}
		if (n == 0) {
			return AIS_EIO;
		}
		off += (size_t) n;
	}
	return AIS_OK;
}

static ais_err
ais_metafile_read_all(int fd, char *buf, size_t len)
{
	size_t off = 0;
	int eintr = 0;
	while (off < len) {
		ssize_t n = read(fd, buf + off, len - off);
		if (n < 0) {
			if (errno == EINTR &&
			    eintr++ < AIS_METAFILE_EINTR_MAX) {
				continue;
			}
			return ais_err_from_errno(errno);
		}
		if (n == 0) {
			return AIS_EIO; /* shrank under us */
		}
		off += (size_t) n;
	}
	return AIS_OK;
}

/* The rename is durable only once the directory entry is on disk. */
static ais_err
ais_metafile_sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;
	ais_err rc = AIS_OK;
	if (slash == NULL) {
		dir = strdup(".");
	} else if (slash == path) {
		dir = strdup("/");
	} else {
		dir = strndup(path, (size_t) (slash - path));
	}
	if (dir == NULL) {
		return AIS_ENOMEM;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = ais_err_from_errno(errno);
		free(dir);
		return rc;
	}
	if (fsync(fd) != 0) {
		rc = ais_err_from_errno(errno);
	}
	close(fd);
	free(dir);
	return rc;
}

ais_err
ais_metafile_save(const char *path, const char *payload, size_t len)
{
	char hdr[AIS_METAFILE_HDR_LEN + 1];
	char *tmp = NULL;
	int fd = -1;
	ais_err rc;
	if (path == NULL || path[0] == '\0' || (payload == NULL && len > 0)) {
		return AIS_EINVAL;
	}
	snprintf(hdr, sizeof(hdr), "%s%016" PRIx64 "\n", AIS_METAFILE_MAGIC,
	    (uint64_t) XXH64(payload, len, 0));
	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		return AIS_ENOMEM;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = ais_err_from_errno(errno);
		goto fail;
	}
	rc = ais_metafile_write_all(fd, hdr, AIS_METAFILE_HDR_LEN);
	if (rc == AIS_OK) {
		rc = ais_metafile_write_all(fd, payload, len);
	}
	if (rc != AIS_OK) {
		goto fail;
	}
	if (fsync(fd) != 0) {
		rc = ais_err_from_errno(errno);
		goto fail;
	}
	/* close() can report a deferred write error (NFS). */
	if (close(fd) != 0) {
		fd = -1;
		rc = ais_err_from_errno(errno);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = ais_err_from_errno(errno);
		goto fail;
	}
	free(tmp);
	tmp = NULL;
	return ais_metafile_sync_dir(path);
fail:
	if (fd >= 0) {
		close(fd);
	}
	(void) unlink(tmp);
	free(tmp);
	return rc;
}

/* Parses the header line; false if it is not ours. */
static bool
ais_metafile_parse_hdr(const char *buf, size_t len, uint64_t *sum)
{
	uint64_t v = 0;
	if (len < AIS_METAFILE_HDR_LEN ||
	    memcmp(buf, AIS_METAFILE_MAGIC, AIS_METAFILE_MAGIC_LEN) != 0 ||
	    buf[AIS_METAFILE_HDR_LEN - 1] != '\n') {
		return false;
	}
	for (size_t i = 0; i < 16; i++) {
		int h = ais_hexval(buf[AIS_METAFILE_MAGIC_LEN + i]);
		if (h < 0) {
			return false;
		}
		v = (v << 4) | (uint64_t) h;
	}
	*sum = v;
	return true;
}

ais_err
ais_metafile_load(const char *path, char **out, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	uint64_t want;
	size_t size;
	ais_err rc;
	int fd;
	if (path == NULL || out == NULL) {
		return AIS_EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return ais_err_from_errno(errno); /* ENOENT folds to ours */
	}
	if (fstat(fd, &st) != 0) {
		rc = ais_err_from_errno(errno);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 0) {
		rc = AIS_EINVAL;
		goto fail;
	}
	size = (size_t) st.st_size;
	buf = malloc(size + 1);
	if (buf == NULL) {
		rc = AIS_ENOMEM;
		goto fail;
	}
	rc = ais_metafile_read_all(fd, buf, size);
	if (rc != AIS_OK) {
		goto fail;
	}
	close(fd);
	fd = -1;
	if (!ais_metafile_parse_hdr(buf, size, &want)) {
		rc = AIS_EINVAL;
		goto fail;
	}
	size -= AIS_METAFILE_HDR_LEN;
	memmove(buf, buf + AIS_METAFILE_HDR_LEN, size);
	buf[size] = '\0';
	if ((uint64_t) XXH64(buf, size, 0) != want) {
		AIS_LOGW("AIS-META-CKSUM", "%s: checksum mismatch", path);
		rc = AIS_ECKSUM;
		goto fail;
	}
	*out = buf;
	if (lenp != NULL) {
		*lenp = size;
	}
	return AIS_OK;
fail:
	if (fd >= 0) {
		close(fd);
	}
	free(buf);
	return rc;
}
