/*
 * Node identity: a short random ID made once and then kept forever.
 *
 * The ID lives in <confdir>/.ais.node_id (a metafile, so a torn write is
 * detected) and, for targets, also in the xattr user.ais.daemon_id on every
 * mountpath root. The second copy is what lets a target whose confdir was
 * wiped come back under its old ID, so that the data on its disks still
 * hashes to it. All copies present must agree; any disagreement (or a flag
 * asking for another ID) is a conflict the operator has to resolve, because
 * guessing wrong would silently move the node's objects.
 */
#include "core/err.h"
#include "core/nodeid.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "core/metafile.h"

#define AIS_NODEID_FILE ".ais.node_id"
#define AIS_NODEID_XATTR "user.ais.daemon_id"
#define AIS_NODEID_LEN 8
#define AIS_NODEID_RAND_TRIES 64 /* getrandom refills before fallback */

static const char ais_nodeid_alnum[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

bool
ais_nodeid_valid(const char *id)
{
	size_t n;

	if (id == NULL) {
		return false;
	}
	n = strlen(id);
	if (n == 0 || n > AIS_ID_MAX) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = id[i];
		bool ok = (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_';
		if (!ok) {
			return false;
		}
	}
	return id[0] != '-' && id[0] != '_' && id[n - 1] != '-' &&
	    id[n - 1] != '_';
}

/* One random byte; getrandom(2) normally, and if the kernel refuses it
 * (seccomp, ENOSYS) a clock-seeded xorshift: IDs must only be unlikely to
 * collide, not secret. */
static uint8_t
ais_nodeid_byte(uint8_t *pool, size_t poolsz, size_t *pos)
{
	static _Thread_local uint64_t fallback;

	if (*pos >= poolsz) {
		ssize_t got = -1;
		for (int i = 0; i < AIS_NODEID_RAND_TRIES && got < 0; i++) {
			got = getrandom(pool, poolsz, 0);
			if (got < 0 && errno != EINTR) {
				break;
			}
		}
		if (got != (ssize_t) poolsz) {
			if (fallback == 0) {
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				fallback = (((uint64_t) ts.tv_sec << 32) ^
				    (uint64_t) ts.tv_nsec ^
				    ((uint64_t) getpid() << 16)) | 1;
			}
			for (size_t i = 0; i < poolsz; i++) {
				fallback ^= fallback << 13;
				fallback ^= fallback >> 7;
				fallback ^= fallback << 17;
				pool[i] = (uint8_t) (fallback >> 24);
			}
		}
		*pos = 0;
	}
	return pool[(*pos)++];
}

void
ais_nodeid_random(char *out, size_t len)
{
	uint8_t pool[64];
	size_t pos = sizeof(pool);

	if (out == NULL) {
		return;
	}
	if (len > AIS_ID_MAX) {
		len = AIS_ID_MAX;
	}
	for (size_t i = 0; i < len; i++) {
		/* The first character is a letter (52 of them); rejection
		 * sampling keeps the choice uniform. Each draw is accepted
		 * with probability > 0.8, and the bound below only guards
		 * against a broken random source. */
		size_t range = i == 0 ? 52 : 62;
		size_t limit = 256 - 256 % range;
		uint8_t b = 0;
		for (int tries = 0; tries < 1024; tries++) {
			b = ais_nodeid_byte(pool, sizeof(pool), &pos);
			if (b < limit) {
				break;
			}
		}
		out[i] = ais_nodeid_alnum[b % range];
	}
	out[len] = '\0';
}

/* mkdir -p with 0755; an existing directory is fine. */
static ais_err
ais_nodeid_mkdirs(const char *dir, char *errbuf, size_t errlen)
{
	char buf[4096];
	size_t n = strlen(dir);
	struct stat st;

	if (n == 0 || n >= sizeof(buf)) {
		ais_errbuf_set(errbuf, errlen, "confdir \"%s\": invalid path",
		    dir);
		return AIS_EINVAL;
	}
	memcpy(buf, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0') {
			continue;
		}
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
			int e = errno;
			ais_errbuf_set(errbuf, errlen, "confdir \"%s\": %s",
			    buf, strerror(e));
			return ais_err_from_errno(e);
		}
		buf[i] = saved;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		ais_errbuf_set(errbuf, errlen,
		    "confdir \"%s\": not a directory", dir);
		return AIS_EINVAL;
	}
	return AIS_OK;
}

/* Reads the confdir copy into `id` ("" if the file does not exist). */
static ais_err
ais_nodeid_read_file(const char *path, char id[AIS_ID_MAX + 1],
    char *errbuf, size_t errlen)
{
	const char *s = NULL;
	char *payload = NULL;
	size_t len = 0;
	json_t *j;
	ais_err err;

	id[0] = '\0';
	err = ais_metafile_load(path, &payload, &len);
	if (err == AIS_ENOENT) {
		return AIS_OK;
	}
	if (err != AIS_OK) {
		ais_errbuf_set(errbuf, errlen, "node ID file \"%s\": %s", path,
		    ais_strerror(err));
		return err;
	}
	j = json_loadb(payload, len, JSON_DECODE_ANY, NULL);
	free(payload);
	if (json_is_object(j)) {
		s = json_string_value(json_object_get(j, "daemon_id"));
	} else if (json_is_string(j)) {
		s = json_string_value(j);
	}
	if (s == NULL || !ais_nodeid_valid(s)) {
		ais_errbuf_set(errbuf, errlen,
		    "node ID file \"%s\": no valid node ID in it", path);
		json_decref(j);
		return AIS_EINVAL;
	}
	snprintf(id, AIS_ID_MAX + 1, "%s", s);
	json_decref(j);
	return AIS_OK;
}

static ais_err
ais_nodeid_write_file(const char *path, const char *id, char *errbuf,
    size_t errlen)
{
	json_t *j = json_pack("{s:s}", "daemon_id", id);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	ais_err err = AIS_ENOMEM;

	json_decref(j);
	if (text != NULL) {
		err = ais_metafile_save(path, text, strlen(text));
		free(text);
	}
	if (err != AIS_OK) {
		ais_errbuf_set(errbuf, errlen, "node ID file \"%s\": %s", path,
		    ais_strerror(err));
	}
	return err;
}

typedef enum ais_nodeid_xst {
	AIS_NODEID_X_NONE = 0, /* supported, no ID yet */
	AIS_NODEID_X_SET,      /* holds an ID */
	AIS_NODEID_X_NOTSUP,   /* filesystem without user xattrs */
} ais_nodeid_xst;

static ais_err
ais_nodeid_read_xattr(const char *mpath, char id[AIS_ID_MAX + 1],
    ais_nodeid_xst *st, char *errbuf, size_t errlen)
{
	ssize_t n;

	id[0] = '\0';
	*st = AIS_NODEID_X_NONE;
	n = getxattr(mpath, AIS_NODEID_XATTR, id, AIS_ID_MAX);
	if (n < 0) {
		int e = errno;
		if (e == ENODATA) {
			return AIS_OK;
		}
		if (e == ENOTSUP) {
			*st = AIS_NODEID_X_NOTSUP;
			AIS_LOGW("AIS-NODEID-NOXATTR",
			    "mountpath %s: no user xattrs (%s); node ID kept "
			    "in confdir only", mpath, strerror(e));
			return AIS_OK;
		}
		if (e == ERANGE) {
			ais_errbuf_set(errbuf, errlen,
			    "mountpath \"%s\": xattr %s holds no valid node "
			    "ID", mpath, AIS_NODEID_XATTR);
			return AIS_EINVAL;
		}
		ais_errbuf_set(errbuf, errlen, "mountpath \"%s\": %s", mpath,
		    strerror(e));
		return ais_err_from_errno(e);
	}
	id[n] = '\0';
	if (!ais_nodeid_valid(id)) {
		ais_errbuf_set(errbuf, errlen,
		    "mountpath \"%s\": xattr %s holds no valid node ID", mpath,
		    AIS_NODEID_XATTR);
		return AIS_EINVAL;
	}
	*st = AIS_NODEID_X_SET;
	return AIS_OK;
}

static ais_err
ais_nodeid_write_xattr(const char *mpath, const char *id, char *errbuf,
    size_t errlen)
{
	if (setxattr(mpath, AIS_NODEID_XATTR, id, strlen(id), 0) == 0) {
		return AIS_OK;
	}
	int e = errno;
	if (e == ENOTSUP) {
		AIS_LOGW("AIS-NODEID-NOXATTR",
		    "mountpath %s: no user xattrs (%s); node ID kept in "
		    "confdir only", mpath, strerror(e));
		return AIS_OK;
	}
	ais_errbuf_set(errbuf, errlen, "mountpath \"%s\": setting %s: %s",
	    mpath, AIS_NODEID_XATTR, strerror(e));
	return ais_err_from_errno(e);
}

ais_err
ais_nodeid_load_or_create(const char *confdir, char *const *mpaths,
    size_t nmpaths, const char *want, char out[AIS_ID_MAX + 1],
    char *errbuf, size_t errlen)
{
	char path[4096], fid[AIS_ID_MAX + 1], id[AIS_ID_MAX + 1] = "";
	char xid[AIS_ID_MAX + 1];
	const char *src = NULL; /* where `id` came from, for messages */
	ais_nodeid_xst *xst = NULL;
	ais_err err;

	if (confdir == NULL || confdir[0] == '\0' || out == NULL ||
	    (nmpaths > 0 && mpaths == NULL)) {
		ais_errbuf_set(errbuf, errlen, "node ID: invalid arguments");
		return AIS_EINVAL;
	}
	if (want != NULL && want[0] != '\0' && !ais_nodeid_valid(want)) {
		ais_errbuf_set(errbuf, errlen,
		    "node ID \"%s\" is invalid (1-%d characters of "
		    "[A-Za-z0-9_-], not starting or ending with - or _)",
		    want, AIS_ID_MAX);
		return AIS_EINVAL;
	}
	if ((size_t) snprintf(path, sizeof(path), "%s/%s", confdir,
		AIS_NODEID_FILE) >= sizeof(path)) {
		ais_errbuf_set(errbuf, errlen, "confdir \"%s\": too long",
		    confdir);
		return AIS_EINVAL;
	}
	err = ais_nodeid_mkdirs(confdir, errbuf, errlen);
	if (err != AIS_OK) {
		return err;
	}
	err = ais_nodeid_read_file(path, fid, errbuf, errlen);
	if (err != AIS_OK) {
		return err;
	}
	if (fid[0] != '\0') {
		snprintf(id, sizeof(id), "%s", fid);
		src = path;
	}
	if (nmpaths > 0) {
		xst = calloc(nmpaths, sizeof(*xst));
		if (xst == NULL) {
			ais_errbuf_set(errbuf, errlen, "out of memory");
			return AIS_ENOMEM;
		}
	}
	for (size_t i = 0; i < nmpaths; i++) {
		err = ais_nodeid_read_xattr(mpaths[i], xid, &xst[i], errbuf,
		    errlen);
		if (err != AIS_OK) {
			goto out;
		}
		if (xst[i] != AIS_NODEID_X_SET) {
			continue;
		}
		if (id[0] == '\0') {
			snprintf(id, sizeof(id), "%s", xid);
			src = mpaths[i];
		} else if (strcmp(id, xid) != 0) {
			ais_errbuf_set(errbuf, errlen,
			    "node ID conflict: \"%s\" has \"%s\" but "
			    "mountpath \"%s\" has \"%s\"", src, id,
			    mpaths[i], xid);
			err = AIS_ECONFLICT;
			goto out;
		}
	}
	if (want != NULL && want[0] != '\0') {
		if (id[0] != '\0' && strcmp(id, want) != 0) {
			ais_errbuf_set(errbuf, errlen,
			    "node ID conflict: requested \"%s\" but \"%s\" "
			    "has \"%s\"", want, src, id);
			err = AIS_ECONFLICT;
			goto out;
		}
		snprintf(id, sizeof(id), "%s", want);
	}
	if (id[0] == '\0') {
		ais_nodeid_random(id, AIS_NODEID_LEN);
		AIS_LOGN("AIS-NODEID-NEW", "generated node ID %s", id);
	}
	/* Persist every copy that is missing: the confdir first, since it is
	 * what a restart reads before the disks. */
	if (fid[0] == '\0') {
		err = ais_nodeid_write_file(path, id, errbuf, errlen);
		if (err != AIS_OK) {
			goto out;
		}
	}
	for (size_t i = 0; i < nmpaths; i++) {
		if (xst[i] != AIS_NODEID_X_NONE) {
			continue;
		}
		err = ais_nodeid_write_xattr(mpaths[i], id, errbuf, errlen);
		if (err != AIS_OK) {
			goto out;
		}
	}
	snprintf(out, AIS_ID_MAX + 1, "%s", id);
	err = AIS_OK;
out:
	free(xst);
	return err;
}
