/* Mountpath sets and the persisted mountpath state: see mpset.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/metafile.h"
#include "core/mpset.h"

ais_err
ais_mpset_new_dd(const ais_mpath *avail, size_t n, const ais_mpath *waiting,
    size_t nw, const ais_mpath *disabled, size_t nd, int64_t version,
    ais_mpset **out)
{
	ais_mpset *s
	    = calloc(1, sizeof(*s) + (n + nw + nd) * sizeof(ais_mpath));
	if (s == NULL) {
		return AIS_ENOMEM;
	}
	if (n > 0) {
		memcpy(s->mem, avail, n * sizeof(ais_mpath));
	}
	if (nw > 0) {
		memcpy(s->mem + n, waiting, nw * sizeof(ais_mpath));
	}
	if (nd > 0) {
		memcpy(s->mem + n + nw, disabled, nd * sizeof(ais_mpath));
	}
	s->n = n;
	s->nwaiting = nw;
	s->ndisabled = nw + nd;
	s->avail = s->mem;
	s->disabled = s->mem + n;
	s->waiting = s->mem + n;
	s->version = version;
	*out = s;
	return AIS_OK;
}

ais_err
ais_mpset_new(const ais_mpath *avail, size_t n, const ais_mpath *disabled,
    size_t nd, int64_t version, ais_mpset **out)
{
	return ais_mpset_new_dd(avail, n, NULL, 0, disabled, nd, version, out);
}

void
ais_mpset_free_all(ais_mpset *s)
{
	while (s != NULL) {
		ais_mpset *next = s->retired;
		free(s);
		s = next;
	}
}

int
ais_mpset_find(const ais_mpset *s, const char *path, bool *disabled)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->avail[i].path, path) == 0) {
			if (disabled) {
				*disabled = false;
			}
			return (int) i;
		}
	}
	for (size_t i = 0; i < s->ndisabled; i++) {
		if (strcmp(s->disabled[i].path, path) == 0) {
			if (disabled) {
				*disabled = true;
			}
			return (int) i;
		}
	}
	return -1;
}

static json_t *
ais_mpset_paths(const ais_mpath *mps, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(a, json_string(mps[i].path)) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

json_t *
ais_mpset_to_json(const ais_mpset *s)
{
	json_t *j = json_object();

	if (j == NULL
	    || json_object_set_new(
	           j, "available", ais_mpset_paths(s->avail, s->n))
	        != 0
	    || json_object_set_new(
	           j, "waiting_dd", ais_mpset_paths(s->waiting, s->nwaiting))
	        != 0
	    || json_object_set_new(j, "disabled",
	           ais_mpset_paths(
	               s->disabled + s->nwaiting, s->ndisabled - s->nwaiting))
	        != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Paths and validation --------------------------------------------------- */

ais_err
ais_mpath_clean(
    const char *in, char *out, size_t outlen, char *errbuf, size_t errlen)
{
	size_t w = 0;
	const char *p = in;

	if (in == NULL || in[0] != '/') {
		ais_errbuf_set(errbuf, errlen,
		    "mountpath \"%s\" is not an absolute path", in ? in : "");
		return AIS_EINVAL;
	}
	while (*p != '\0') {
		const char *seg;
		size_t n;

		while (*p == '/') {
			p++;
		}
		seg = p;
		n = strcspn(seg, "/");
		p = seg + n;
		if (n == 0) {
			break;
		}
		if ((n == 1 && seg[0] == '.')
		    || (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			ais_errbuf_set(errbuf, errlen,
			    "mountpath \"%s\" must not contain \".\" or "
			    "\"..\"",
			    in);
			return AIS_EINVAL;
		}
		if (w + 1 + n >= outlen) {
			ais_errbuf_set(errbuf, errlen,
			    "mountpath \"%.64s...\" is too long", in);
			return AIS_EINVAL;
		}
		out[w++] = '/';
		memcpy(out + w, seg, n);
		w += n;
	}
	out[w] = '\0';
	if (w == 0) {
		ais_errbuf_set(errbuf, errlen,
		    "mountpath \"%s\" cannot be the root directory", in);
		return AIS_EINVAL;
	}
	return AIS_OK;
}

bool
ais_mpath_within(const char *a, const char *b)
{
	size_t bl = strlen(b);

	return strncmp(a, b, bl) == 0 && (a[bl] == '\0' || a[bl] == '/');
}

int
ais_vmd_find(const ais_vmd *v, const char *path)
{
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->mps[i].path, path) == 0) {
			return (int) i;
		}
	}
	return -1;
}

static const char *
ais_mp_state_name(ais_mp_state st)
{
	switch (st) {
	case AIS_MP_ENABLED:
		return "available";
	case AIS_MP_DETACHING:
		return "being detached";
	default:
		return "disabled";
	}
}

ais_err
ais_vmd_check_new(
    const ais_vmd *v, const char *path, char *errbuf, size_t errlen)
{
	struct stat st, ost;
	int i = ais_vmd_find(v, path);

	if (i >= 0) {
		ais_errbuf_set(errbuf, errlen,
		    "mountpath \"%s\" is already attached (%s)", path,
		    ais_mp_state_name(v->mps[i].state));
		return AIS_EEXIST;
	}
	if (stat(path, &st) != 0) {
		ais_errbuf_set(errbuf, errlen, "mountpath \"%s\": %s", path,
		    strerror(errno));
		return AIS_EINVAL;
	}
	if (!S_ISDIR(st.st_mode)) {
		ais_errbuf_set(errbuf, errlen,
		    "mountpath \"%s\" is not a directory", path);
		return AIS_EINVAL;
	}
	for (size_t k = 0; k < v->n; k++) {
		const char *o = v->mps[k].path;

		if (ais_mpath_within(path, o) || ais_mpath_within(o, path)) {
			bool inner = ais_mpath_within(path, o);
			ais_errbuf_set(errbuf, errlen,
			    "mountpath \"%s\" is nested in \"%s\"",
			    inner ? path : o, inner ? o : path);
			return AIS_EINVAL;
		}
		/* Another name (symlink, bind mount) of an attached one
		 * would make HRW count one disk twice. */
		if (stat(o, &ost) == 0 && ost.st_dev == st.st_dev
		    && ost.st_ino == st.st_ino) {
			ais_errbuf_set(errbuf, errlen,
			    "mountpath \"%s\" is the same directory as the "
			    "attached \"%s\"",
			    path, o);
			return AIS_EEXIST;
		}
	}
	if (v->n >= AIS_MAX_MPATHS) {
		ais_errbuf_set(errbuf, errlen, "too many mountpaths (max %d)",
		    AIS_MAX_MPATHS);
		return AIS_EINVAL;
	}
	return AIS_OK;
}

ais_err
ais_vmd_to_mpset(const ais_vmd *v, int64_t version, ais_mpset **out)
{
	ais_mpath *buf = calloc(3 * (v->n + 1), sizeof(ais_mpath));
	ais_mpath *av = buf, *wt, *ds;
	size_t na = 0, nw = 0, nd = 0;
	ais_err err = AIS_OK;

	if (buf == NULL) {
		return AIS_ENOMEM;
	}
	wt = buf + v->n + 1;
	ds = wt + v->n + 1;
	for (size_t i = 0; i < v->n && err == AIS_OK; i++) {
		const ais_vmd_mp *m = &v->mps[i];
		ais_mpath *dst = m->state == AIS_MP_ENABLED ? &av[na++]
		    : m->state == AIS_MP_DETACHING          ? &wt[nw++]
		                                            : &ds[nd++];
		err = ais_mpath_init(dst, m->path);
	}
	if (err == AIS_OK) {
		err = ais_mpset_new_dd(av, na, wt, nw, ds, nd, version, out);
	}
	free(buf);
	return err;
}

/* Persistence ------------------------------------------------------------ */

json_t *
ais_vmd_to_json(const ais_vmd *v)
{
	json_t *j = json_object();
	json_t *mps = json_array();
	json_t *cfg = json_array();
	bool ok = j != NULL && mps != NULL && cfg != NULL;

	for (size_t i = 0; ok && i < v->n; i++) {
		const ais_vmd_mp *m = &v->mps[i];
		json_t *e = json_pack("{s:s,s:s,s:b}", "path", m->path,
		    "label", m->label, "enabled", m->state == AIS_MP_ENABLED);

		if (e != NULL && m->state == AIS_MP_DETACHING) {
			ok = json_object_set_new(e, "detaching", json_true())
			    == 0;
		}
		ok = ok && e != NULL && json_array_append_new(mps, e) == 0;
	}
	for (size_t i = 0; ok && i < v->ncfg; i++) {
		ok = json_array_append_new(cfg, json_string(v->cfg[i])) == 0;
	}
	ok = ok
	    && json_object_set_new(j, "version", json_integer(v->version))
	        == 0;
	if (ok) {
		ok = json_object_set_new(j, "mountpaths", mps) == 0;
		mps = NULL;
	}
	if (ok) {
		ok = json_object_set_new(j, "config_fspaths", cfg) == 0;
		cfg = NULL;
	}
	json_decref(mps);
	json_decref(cfg);
	if (!ok) {
		json_decref(j);
		return NULL;
	}
	return j;
}

ais_err
ais_vmd_from_json(const json_t *j, ais_vmd *out, char *errbuf, size_t errlen)
{
	const json_t *mps = json_object_get(j, "mountpaths");
	const json_t *cfg = json_object_get(j, "config_fspaths");
	const json_t *e;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j) || !json_is_array(mps)
	    || (cfg != NULL && !json_is_array(cfg))) {
		ais_errbuf_set(errbuf, errlen,
		    "expected {version, mountpaths:[...], "
		    "config_fspaths:[...]}");
		return AIS_EINVAL;
	}
	if (ais_json_int64(j, "version", &out->version) != AIS_OK) {
		out->version = 0;
	}
	if (json_array_size(mps) > AIS_MAX_MPATHS
	    || json_array_size(cfg) > AIS_MAX_MPATHS) {
		ais_errbuf_set(errbuf, errlen, "too many mountpaths");
		return AIS_EINVAL;
	}
	json_array_foreach(mps, i, e)
	{
		const char *p = ais_json_str(e, "path");
		const char *l = ais_json_str(e, "label");
		bool en = true, dd = false;
		ais_vmd_mp *m = &out->mps[out->n];

		if (p == NULL
		    || ais_mpath_clean(
		           p, m->path, sizeof(m->path), errbuf, errlen)
		        != AIS_OK
		    || strcmp(m->path, p) != 0 || ais_vmd_find(out, p) >= 0) {
			ais_errbuf_set(errbuf, errlen,
			    "mountpaths[%zu]: bad or repeated path", i);
			return AIS_EINVAL;
		}
		if (l != NULL && strlen(l) > AIS_MPATH_LABEL_MAX) {
			ais_errbuf_set(errbuf, errlen,
			    "mountpaths[%zu]: label too long", i);
			return AIS_EINVAL;
		}
		snprintf(m->label, sizeof(m->label), "%s", l ? l : "");
		(void) ais_json_bool(e, "enabled", &en);
		(void) ais_json_bool(e, "detaching", &dd);
		m->state = dd ? AIS_MP_DETACHING
		    : en      ? AIS_MP_ENABLED
		              : AIS_MP_DISABLED;
		out->n++;
	}
	json_array_foreach(cfg, i, e)
	{
		const char *p = json_string_value(e);

		if (p == NULL || strlen(p) >= PATH_MAX) {
			ais_errbuf_set(errbuf, errlen,
			    "config_fspaths[%zu]: not a path", i);
			return AIS_EINVAL;
		}
		snprintf(out->cfg[out->ncfg++], PATH_MAX, "%s", p);
	}
	return AIS_OK;
}

ais_err
ais_vmd_load(const char *file, ais_vmd *out, char *errbuf, size_t errlen)
{
	char *txt = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *j;
	ais_err err = ais_metafile_load(file, &txt, &len);

	if (err != AIS_OK) {
		ais_errbuf_set(
		    errbuf, errlen, "%s: %s", file, ais_strerror(err));
		return err;
	}
	j = json_loadb(txt, len, 0, &jerr);
	free(txt);
	if (j == NULL) {
		ais_errbuf_set(errbuf, errlen, "%s: %s", file, jerr.text);
		return AIS_EINVAL;
	}
	err = ais_vmd_from_json(j, out, errbuf, errlen);
	json_decref(j);
	return err;
}

ais_err
ais_vmd_save(const char *file, const ais_vmd *v)
{
	json_t *j = ais_vmd_to_json(v);
	char *txt
	    = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	ais_err err;

	json_decref(j);
	if (txt == NULL) {
		return AIS_ENOMEM;
	}
	err = ais_metafile_save(file, txt, strlen(txt));
	free(txt);
	return err;
}

static bool
ais_vmd_cfg_has(const ais_vmd *v, const char *path)
{
	for (size_t i = 0; i < v->ncfg; i++) {
		if (strcmp(v->cfg[i], path) == 0) {
			return true;
		}
	}
	return false;
}

static void
ais_vmd_add(ais_vmd *v, const char *path, const char *label)
{
	ais_vmd_mp *m = &v->mps[v->n++];

	snprintf(m->path, sizeof(m->path), "%s", path);
	snprintf(m->label, sizeof(m->label), "%s", label ? label : "");
	m->state = AIS_MP_ENABLED;
}

ais_err
ais_vmd_startup(const char *file, char *const *fspaths, char *const *labels,
    size_t nfs, ais_vmd *out, bool *changed)
{
	char ebuf[256];
	ais_err err = ais_vmd_load(file, out, ebuf, sizeof(ebuf));
	bool have = err == AIS_OK;

	*changed = !have;
	if (!have) {
		if (err != AIS_ENOENT) {
			AIS_LOGE("AIS-MPATH-VMD-BAD",
			    "%s; starting from the config's fspaths", ebuf);
		}
		memset(out, 0, sizeof(*out));
	}
	for (size_t i = 0; i < nfs && out->n < AIS_MAX_MPATHS; i++) {
		if (ais_vmd_find(out, fspaths[i]) >= 0
		    || (have && ais_vmd_cfg_has(out, fspaths[i]))) {
			continue; /* known, or detached by the admin */
		}
		if (have) {
			AIS_LOGN("AIS-MPATH-CFG-NEW",
			    "mountpath %s is new in the config: attached",
			    fspaths[i]);
		}
		ais_vmd_add(out, fspaths[i], labels ? labels[i] : "");
		*changed = true;
	}
	for (size_t i = 0; i < out->n; i++) {
		struct stat st;
		ais_vmd_mp *m = &out->mps[i];

		if (m->state == AIS_MP_DISABLED
		    || (stat(m->path, &st) == 0 && S_ISDIR(st.st_mode))) {
			continue;
		}
		AIS_LOGE("AIS-MPATH-MISSING",
		    "mountpath %s is not an accessible directory: disabled",
		    m->path);
		m->state = AIS_MP_DISABLED;
		*changed = true;
	}
	bool same = out->ncfg == nfs;
	for (size_t i = 0; same && i < nfs; i++) {
		same = strcmp(out->cfg[i], fspaths[i]) == 0;
	}
	if (!same) {
		out->ncfg = 0;
		for (size_t i = 0; i < nfs; i++) {
			snprintf(
			    out->cfg[out->ncfg++], PATH_MAX, "%s", fspaths[i]);
		}
		*changed = true;
	}
	if (*changed) {
		out->version++;
	}
	return AIS_OK;
}
