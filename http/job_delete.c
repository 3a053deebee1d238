/*
 * The delete-listrange worker of a target, and the ListRange selector it
 * shares with the proxy.
 *
 * One detached thread per job. It copies what it needs from the node at
 * start -- a held Smap snapshot (placement stays the same for the whole
 * job, as a request keeps one snapshot), the mountpaths, its own ID -- and
 * never touches the node again, so a node shutting down under a running
 * job only loses the unfinished part. Names come from the list, the
 * template iterator, or (prefix templates) a sorted walk of the local
 * mountpaths; each object this target owns by HRW is unlinked on its HRW
 * mountpath, or on another one where a mountpath change left it. The
 * registry entry carries progress (objects, bytes) and the end.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fqn.h"
#include "core/hrw.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "http/jobs.h"
#include "http/lso.h"

#define HJD_ABORT_EVERY 64       /* names between abort checks */
#define HJD_WALK_CAP    10000    /* directory entries kept per level */
#define HJD_NAMES_MAX   10000000 /* same limit as templates */

typedef struct hjd_job {
	ais_xact *x;
	ais_xact_bck bck;
	ais_smap *smap; /* held */
	char self[AIS_ID_MAX + 1];
	ais_mpath *mps; /* copy of the node's */
	size_t nmps;
	http_lrange lr;
	int64_t missing;
	int64_t failed;
	char first_err[AIS_XACT_ERR_MAX];
} hjd_job;

/* Selector ------------------------------------------------------------------
 */

ais_err
http_lrange_parse(
    const json_t *value, http_lrange *lr, char *errbuf, size_t errlen)
{
	const json_t *names;
	const json_t *tmpl;

	memset(lr, 0, sizeof(*lr));
	if (value != NULL && !json_is_null(value) && !json_is_object(value)) {
		snprintf(errbuf, errlen,
		    "invalid list-range message: expected an object with "
		    "\"objnames\" or \"template\"");
		return AIS_EINVAL;
	}
	names = ais_json_get_ci(value, "objnames");
	tmpl = ais_json_get_ci(value, "template");
	if (names != NULL && !json_is_null(names)) {
		size_t i;
		const json_t *v;

		if (!json_is_array(names)) {
			snprintf(errbuf, errlen,
			    "invalid list-range message: \"objnames\" must be "
			    "an array of names");
			return AIS_EINVAL;
		}
		if (json_array_size(names) > HJD_NAMES_MAX) {
			snprintf(errbuf, errlen,
			    "too many object names (%zu, limit %d)",
			    json_array_size(names), HJD_NAMES_MAX);
			return AIS_EINVAL;
		}
		json_array_foreach(names, i, v)
		{
			const char *s = json_string_value(v);

			if (s == NULL
			    || ais_objname_check(
			           s, json_string_length(v), false)
			        != AIS_OK) {
				snprintf(errbuf, errlen,
				    "invalid object name \"%.200s\"",
				    s == NULL ? "(not a string)" : s);
				return AIS_EINVAL;
			}
		}
		if (json_array_size(names) > 0) {
			lr->names = json_incref((json_t *) names);
			return AIS_OK;
		}
	}
	if (tmpl != NULL && !json_is_null(tmpl) && !json_is_string(tmpl)) {
		snprintf(errbuf, errlen,
		    "invalid list-range message: \"template\" must be a "
		    "string");
		return AIS_EINVAL;
	}
	return ais_tmpl_parse(&lr->tmpl,
	    tmpl == NULL ? "" : json_string_value(tmpl), errbuf, errlen);
}

void
http_lrange_fini(http_lrange *lr)
{
	if (lr == NULL) {
		return;
	}
	json_decref(lr->names);
	lr->names = NULL;
	ais_tmpl_fini(&lr->tmpl);
}

/* Worker --------------------------------------------------------------------
 */

static void
hjd_fail(hjd_job *j, const char *name, int e)
{
	if (j->failed++ == 0) {
		snprintf(j->first_err, sizeof(j->first_err), "%.200s: %s",
		    name, strerror(e));
	}
}

/* Unlinks path; counts it. true if it existed. */
static bool
hjd_unlink(hjd_job *j, const char *name, const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		return false;
	}
	if (unlink(path) != 0) {
		if (errno != ENOENT) {
			hjd_fail(j, name, errno);
			return true;
		}
		return false;
	}
	ais_xact_add(j->x, 1, (int64_t) st.st_size);
	return true;
}

/* One named object: skipped unless this target owns it. */
static void
hjd_one(hjd_job *j, const char *name)
{
	char uname[AIS_OBJNAME_MAX + 256];
	char fqn[PATH_MAX];
	size_t ul;
	uint64_t digest;
	const ais_snode *owner = NULL;
	size_t hrw;

	if (ais_objname_check(name, strlen(name), false) != AIS_OK) {
		return;
	}
	ul = ais_uname(uname, sizeof(uname), j->bck.provider, j->bck.ns,
	    j->bck.name, name);
	if (ul == 0) {
		return;
	}
	digest = ais_hrw_digest(uname, ul);
	if (ais_hrw_target_digest(j->smap, digest, &owner) != AIS_OK
	    || strcmp(owner->id, j->self) != 0 || j->nmps == 0) {
		return;
	}
	hrw = ais_hrw_mpath(j->mps, j->nmps, digest);
	for (size_t i = 0; i <= j->nmps; i++) {
		size_t k = i == 0 ? hrw : i - 1;

		if (i > 0 && k == hrw) {
			continue;
		}
		if (ais_fqn(fqn, sizeof(fqn), j->mps[k].path, j->bck.provider,
		        j->bck.ns, j->bck.name, AIS_CT_OBJ, name)
		    != AIS_OK) {
			return;
		}
		if (hjd_unlink(j, name, fqn)) {
			return;
		}
	}
	j->missing++;
}

static ais_err
hjd_prefix(hjd_job *j, const char *prefix)
{
	char(*dirs)[PATH_MAX] = calloc(j->nmps + 1, sizeof(*dirs));
	const char **roots = calloc(j->nmps + 1, sizeof(*roots));
	http_lso_walk *w = NULL;
	const char *name;
	const char *path;
	size_t n = 0;
	uint64_t k = 0;
	ais_err err;

	if (dirs == NULL || roots == NULL) {
		free(dirs);
		free(roots);
		return AIS_ENOMEM;
	}
	for (size_t i = 0; i < j->nmps; i++) {
		size_t dl;

		if (ais_bck_dir(dirs[n], PATH_MAX - 8, j->mps[i].path,
		        j->bck.provider, j->bck.ns, j->bck.name)
		    != AIS_OK) {
			continue;
		}
		dl = strlen(dirs[n]);
		snprintf(dirs[n] + dl, PATH_MAX - dl, "/%s", AIS_CT_OBJ);
		roots[n] = dirs[n];
		n++;
	}
	err = http_lso_walk_open(roots, n, prefix, NULL, HJD_WALK_CAP, &w);
	while (err == AIS_OK
	    && (err = http_lso_walk_next(w, &name, &path, NULL)) == AIS_OK) {
		if (++k % HJD_ABORT_EVERY == 0 && ais_xact_aborted(j->x)) {
			break;
		}
		(void) hjd_unlink(j, name, path);
	}
	http_lso_walk_close(w);
	free(dirs);
	free(roots);
	return err == AIS_ENOENT ? AIS_OK : err;
}

static void
hjd_free(hjd_job *j)
{
	ais_smap_rele(j->smap);
	http_lrange_fini(&j->lr);
	ais_xact_rele(j->x);
	free(j->mps);
	free(j);
}

static void *
hjd_run(void *arg)
{
	hjd_job *j = arg;
	char err[AIS_XACT_ERR_MAX] = "";
	ais_err werr = AIS_OK;
	uint64_t k = 0;

	ais_log_set_thread("xdelete");
	if (j->lr.names != NULL) {
		size_t i;
		const json_t *v;

		json_array_foreach(j->lr.names, i, v)
		{
			if (++k % HJD_ABORT_EVERY == 0
			    && ais_xact_aborted(j->x)) {
				break;
			}
			hjd_one(j, json_string_value(v));
		}
	} else if (ais_tmpl_is_prefix(&j->lr.tmpl)) {
		werr = hjd_prefix(j, ais_tmpl_prefix(&j->lr.tmpl));
	} else {
		const char *name;

		while ((name = ais_tmpl_next(&j->lr.tmpl, NULL)) != NULL) {
			if (++k % HJD_ABORT_EVERY == 0
			    && ais_xact_aborted(j->x)) {
				break;
			}
			hjd_one(j, name);
		}
	}
	if (werr != AIS_OK) {
		snprintf(err, sizeof(err), "t[%s]: walk failed: %s", j->self,
		    ais_strerror(werr));
	} else if (j->failed > 0) {
		snprintf(err, sizeof(err),
		    "t[%s]: failed to delete %lld object(s), first: %.160s",
		    j->self, (long long) j->failed, j->first_err);
	}
	{
		ais_xact_snap s;

		ais_xact_snap_get(j->x, &s);
		AIS_LOGI("AIS-XACT-END",
		    "%s[%s] %s://%s: %lld deleted (%lld bytes), %lld not "
		    "found here, %lld failed%s",
		    s.kind, s.id, j->bck.provider, j->bck.name,
		    (long long) s.objs, (long long) s.bytes,
		    (long long) j->missing, (long long) j->failed,
		    s.aborted ? ", aborted" : "");
	}
	ais_xact_finish(j->x, err[0] != '\0' ? err : NULL);
	hjd_free(j);
	return NULL;
}

ais_err
http_job_delete_start(
    ais_node *n, const char *id, const ais_xact_bck *bck, http_lrange *lr)
{
	ais_xreg *reg = ais_xreg_node();
	hjd_job *j;
	pthread_attr_t attr;
	pthread_t th;
	ais_err err;
	int rc;

	if (reg == NULL) {
		return AIS_ENOMEM;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		return AIS_ENOMEM;
	}
	j->smap = ais_node_smap(n);
	if (j->smap == NULL) {
		free(j);
		return AIS_EAGAIN;
	}
	j->bck = *bck;
	snprintf(j->self, sizeof(j->self), "%s", n->self.id);
	const ais_mpset *mset = ais_node_mpset(n);
	size_t nmp = mset->n + mset->nwaiting; /* incl. waiting_dd */
	j->nmps = nmp < AIS_MAX_MPATHS ? nmp : AIS_MAX_MPATHS;
	j->mps = calloc(j->nmps + 1, sizeof(*j->mps));
	if (j->mps == NULL) {
		hjd_free(j);
		return AIS_ENOMEM;
	}
	memcpy(j->mps, mset->avail, j->nmps * sizeof(j->mps[0]));
	err = ais_xreg_start(reg, id, HTTP_JOB_DELETE, bck, &j->x);
	if (err != AIS_OK) {
		hjd_free(j);
		return err;
	}
	j->lr = *lr; /* ours from here on */
	memset(lr, 0, sizeof(*lr));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&th, &attr, hjd_run, j);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		ais_xact_finish(j->x, "cannot start a worker thread");
		/* give the selector back: the caller still frees it */
		*lr = j->lr;
		memset(&j->lr, 0, sizeof(j->lr));
		hjd_free(j);
		return AIS_EAGAIN;
	}
	return AIS_OK;
}
