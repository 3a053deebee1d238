/*
 * Names and paths of the open on-disk format (shared/spec/smap-bmd.md
 * section 5.1). An object name becomes a file path verbatim, so every name
 * is validated before it gets near the filesystem: nothing may climb out of
 * the bucket directory ("..", leading "/", "~/") or alias another name ("."
 * and empty components). Path building then only concatenates checked
 * pieces into a caller buffer and never allocates.
 */
#include "core/fqn.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define AIS_FQN_COMP_MAX 255
#define AIS_BCKNAME_MAX  64

ais_err
ais_objname_check(const char *name, size_t len, bool trailing_slash_ok)
{
	size_t i, start;

	if (name == NULL || len == 0 || len > AIS_OBJNAME_MAX) {
		return AIS_EINVAL;
	}
	if (memchr(name, '\0', len) != NULL) {
		return AIS_EINVAL;
	}
	if (name[0] == '/' || (len >= 2 && name[0] == '~' && name[1] == '/')) {
		return AIS_EINVAL;
	}
	if (name[len - 1] == '/') {
		if (!trailing_slash_ok) {
			return AIS_EINVAL;
		}
		len--; /* "dir/": check "dir"; "dir//" still fails below */
		if (len == 0) {
			return AIS_EINVAL;
		}
	}
	start = 0;
	for (i = 0; i <= len; i++) {
		size_t clen;

		if (i < len && name[i] != '/') {
			continue;
		}
		clen = i - start;
		if (clen == 0 || clen > AIS_FQN_COMP_MAX) {
			return AIS_EINVAL;
		}
		if (name[start] == '.'
		    && (clen == 1 || (clen == 2 && name[start + 1] == '.'))) {
			return AIS_EINVAL;
		}
		start = i + 1;
	}
	return AIS_OK;
}

ais_err
ais_bckname_check(const char *name)
{
	size_t i, len;

	if (name == NULL) {
		return AIS_EINVAL;
	}
	len = strlen(name);
	if (len == 0 || len > AIS_BCKNAME_MAX || name[0] == '.') {
		return AIS_EINVAL;
	}
	if (strstr(name, "..") != NULL) {
		return AIS_EINVAL;
	}
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		        || (c >= '0' && c <= '9') || c == '_' || c == '.'
		        || c == '-')) {
			return AIS_EINVAL;
		}
	}
	return AIS_OK;
}

const char *
ais_provider_norm(const char *p)
{
	static const struct {
		const char *name;
		const char *norm;
	} tab[] = {
		{ "ais", "ais" },
		{ "aws", "aws" },
		{ "s3", "aws" },
		{ "gcp", "gcp" },
		{ "gs", "gcp" },
		{ "azure", "azure" },
		{ "az", "azure" },
		{ "oci", "oci" },
		{ "oc", "oci" },
		{ "ht", "ht" },
	};
	size_t i;

	if (p == NULL || p[0] == '\0') {
		return "ais";
	}
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(p, tab[i].name) == 0) {
			return tab[i].norm;
		}
	}
	return NULL;
}

/* Namespace directory component: "" for global, else "#name" or
 * "@uuid#name". NULL if the namespace is malformed. */
static const char *
ais_fqn_ns_dir(const char *ns)
{
	const char *hash;

	if (ns == NULL || ns[0] == '\0' || strcmp(ns, "@#") == 0) {
		return "";
	}
	hash = strchr(ns, '#');
	if (hash == NULL || strchr(ns, '/') != NULL
	    || strchr(hash + 1, '#') != NULL) {
		return NULL;
	}
	if (ns[0] == '#') {
		return ns; /* already "#name" */
	}
	if (ns[0] != '@') {
		return NULL;
	}
	if (hash == ns + 1) {
		return hash; /* "@#name" -> "#name" */
	}
	return ns; /* "@uuid#name" (or "@uuid#") */
}

ais_err
ais_bck_dir(char *buf, size_t len, const char *mpath, const char *provider,
    const char *ns, const char *bck)
{
	const char *prov, *nsdir;
	int n;

	prov = ais_provider_norm(provider);
	nsdir = ais_fqn_ns_dir(ns);
	if (buf == NULL || mpath == NULL || prov == NULL || nsdir == NULL
	    || bck == NULL) {
		return AIS_EINVAL;
	}
	if (bck[0] == '\0' || strchr(bck, '/') != NULL || strcmp(bck, ".") == 0
	    || strcmp(bck, "..") == 0) {
		return AIS_EINVAL;
	}
	if (nsdir[0] == '\0') {
		n = snprintf(buf, len, "%s/@%s/%s", mpath, prov, bck);
	} else {
		n = snprintf(
		    buf, len, "%s/@%s/%s/%s", mpath, prov, nsdir, bck);
	}
	if (n < 0 || (size_t) n >= len) {
		return AIS_EINVAL;
	}
	return AIS_OK;
}

ais_err
ais_fqn(char *buf, size_t len, const char *mpath, const char *provider,
    const char *ns, const char *bck, const char *kind, const char *obj)
{
	size_t off;
	int n;
	ais_err err;

	if (kind == NULL || kind[0] == '\0' || strchr(kind, '/') != NULL
	    || obj == NULL) {
		return AIS_EINVAL;
	}
	/* path safety only: a trailing '/' still stays inside the bucket */
	err = ais_objname_check(obj, strlen(obj), true);
	if (err != AIS_OK) {
		return err;
	}
	err = ais_bck_dir(buf, len, mpath, provider, ns, bck);
	if (err != AIS_OK) {
		return err;
	}
	off = strlen(buf);
	n = snprintf(buf + off, len - off, "/%s/%s", kind, obj);
	if (n < 0 || (size_t) n >= len - off) {
		buf[0] = '\0';
		return AIS_EINVAL;
	}
	return AIS_OK;
}

int
ais_mkdir_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	size_t len = strlen(path);

	if (len >= sizeof(dir)) {
		return ENAMETOOLONG;
	}
	memcpy(dir, path, len + 1);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir) {
		return 0;
	}
	*slash = '\0';
	if (mkdir(dir, 0755) == 0 || errno == EEXIST) {
		return 0;
	}
	if (errno != ENOENT) {
		return errno;
	}
	/* Some ancestors are missing too: create top-down. Concurrent
	 * creators of the same directories just see EEXIST. */
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/') {
			continue;
		}
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			int e = errno;

			*p = '/';
			return e;
		}
		*p = '/';
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		return errno;
	}
	return 0;
}
