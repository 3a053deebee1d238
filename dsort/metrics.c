/*
 * dSort job metrics and their JobInfo wire form (see metrics.h).
 *
 * Hot updates (counters, phase flags and times) are C11 atomics so worker
 * threads never take a lock; the message lists change rarely and take the
 * mutex. A snapshot reads each atomic once; it is not a consistent cut
 * across counters, which AIS's is not either and nobody needs.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/jsonx.h"
#include "core/xreg.h"
#include "dsort/metrics.h"

typedef struct dsort_phase_live {
	_Atomic int64_t start_ns;
	_Atomic int64_t end_ns;
	atomic_bool running;
	atomic_bool finished;
} dsort_phase_live;

typedef struct dsort_msgs {
	char *v[DSORT_MSGS_MAX];
	size_t n;
	size_t dropped; /* beyond DSORT_MSGS_MAX */
} dsort_msgs;

struct dsort_metrics {
	char id[DSORT_JOB_ID_MAX + 1];
	dsort_bck src;
	dsort_bck dst;
	char *description;
	dsort_phase_live phase[DSORT_PHASE__COUNT];
	_Atomic int64_t cnt[DSORT_CNT__COUNT];
	atomic_bool aborted;
	atomic_bool archived;
	pthread_mutex_t mu; /* warnings, errors */
	dsort_msgs warnings;
	dsort_msgs errors;
};

static const char *const dsort_phase_names[DSORT_PHASE__COUNT] = {
	[DSORT_PHASE_EXTRACT] = "local_extraction",
	[DSORT_PHASE_SORT] = "meta_sorting",
	[DSORT_PHASE_CREATE] = "shard_creation",
};

static const struct {
	const char *name;
	dsort_phase phase;
} dsort_cnt_info[DSORT_CNT__COUNT] = {
	[DSORT_CNT_TOTAL] = { "total_count", DSORT_PHASE_EXTRACT },
	[DSORT_CNT_EXTRACTED] = { "extracted_count", DSORT_PHASE_EXTRACT },
	[DSORT_CNT_EXTRACTED_SIZE] = { "extracted_size", DSORT_PHASE_EXTRACT },
	[DSORT_CNT_EXTRACTED_RECORDS]
	= { "extracted_record_count", DSORT_PHASE_EXTRACT },
	[DSORT_CNT_EXTRACTED_TO_DISK]
	= { "extracted_to_disk_count", DSORT_PHASE_EXTRACT },
	[DSORT_CNT_EXTRACTED_TO_DISK_SIZE]
	= { "extracted_to_disk_size", DSORT_PHASE_EXTRACT },
	[DSORT_CNT_TO_CREATE] = { "to_create", DSORT_PHASE_CREATE },
	[DSORT_CNT_CREATED] = { "created_count", DSORT_PHASE_CREATE },
	[DSORT_CNT_MOVED_SHARDS] = { "moved_shard_count", DSORT_PHASE_CREATE },
};

const char *
dsort_phase_name(dsort_phase p)
{
	return (unsigned) p < DSORT_PHASE__COUNT ? dsort_phase_names[p] : "?";
}

const char *
dsort_cnt_name(dsort_cnt c)
{
	return (unsigned) c < DSORT_CNT__COUNT ? dsort_cnt_info[c].name : "?";
}

dsort_phase
dsort_cnt_phase(dsort_cnt c)
{
	return (unsigned) c < DSORT_CNT__COUNT ? dsort_cnt_info[c].phase
	                                       : DSORT_PHASE_EXTRACT;
}

static int64_t
dsort_metrics_now(int64_t now_ns)
{
	struct timespec ts;

	if (now_ns != 0) {
		return now_ns;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

ais_err
dsort_metrics_alloc(dsort_metrics **mp, const char *id, const dsort_bck *src,
    const dsort_bck *dst, const char *description)
{
	dsort_metrics *m;
	size_t idlen = id == NULL ? 0 : strlen(id);

	*mp = NULL;
	if (idlen == 0 || idlen > DSORT_JOB_ID_MAX) {
		return AIS_EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		return AIS_ENOMEM;
	}
	memcpy(m->id, id, idlen + 1);
	if (src != NULL) {
		m->src = *src;
	}
	if (dst != NULL) {
		m->dst = *dst;
	}
	m->description = strdup(description == NULL ? "" : description);
	if (m->description == NULL) {
		free(m);
		return AIS_ENOMEM;
	}
	for (int i = 0; i < DSORT_PHASE__COUNT; i++) {
		atomic_init(&m->phase[i].start_ns, 0);
		atomic_init(&m->phase[i].end_ns, 0);
		atomic_init(&m->phase[i].running, false);
		atomic_init(&m->phase[i].finished, false);
	}
	for (int i = 0; i < DSORT_CNT__COUNT; i++) {
		atomic_init(&m->cnt[i], 0);
	}
	atomic_init(&m->aborted, false);
	atomic_init(&m->archived, false);
	pthread_mutex_init(&m->mu, NULL);
	*mp = m;
	return AIS_OK;
}

static void
dsort_msgs_fini(dsort_msgs *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		free(ms->v[i]);
		ms->v[i] = NULL;
	}
	ms->n = 0;
}

void
dsort_metrics_free(dsort_metrics *m)
{
	if (m == NULL) {
		return;
	}
	dsort_msgs_fini(&m->warnings);
	dsort_msgs_fini(&m->errors);
	pthread_mutex_destroy(&m->mu);
	free(m->description);
	free(m);
}

void
dsort_metrics_phase_begin(dsort_metrics *m, dsort_phase p, int64_t now_ns)
{
	int64_t zero = 0;

	if ((unsigned) p >= DSORT_PHASE__COUNT) {
		return;
	}
	/* first begin wins: the start time is set once */
	if (atomic_compare_exchange_strong(
	        &m->phase[p].start_ns, &zero, dsort_metrics_now(now_ns))
	    && !atomic_load(&m->phase[p].finished)) {
		atomic_store(&m->phase[p].running, true);
	}
}

void
dsort_metrics_phase_finish(dsort_metrics *m, dsort_phase p, int64_t now_ns)
{
	int64_t zero = 0;
	int64_t now;

	if ((unsigned) p >= DSORT_PHASE__COUNT) {
		return;
	}
	now = dsort_metrics_now(now_ns);
	(void) atomic_compare_exchange_strong(
	    &m->phase[p].start_ns, &zero, now);
	zero = 0;
	if (atomic_compare_exchange_strong(&m->phase[p].end_ns, &zero, now)) {
		/* finished before running=false: a reader never sees neither
		 */
		atomic_store(&m->phase[p].finished, true);
		atomic_store(&m->phase[p].running, false);
	}
}

void
dsort_metrics_add(dsort_metrics *m, dsort_cnt c, int64_t delta)
{
	if ((unsigned) c < DSORT_CNT__COUNT) {
		atomic_fetch_add_explicit(
		    &m->cnt[c], delta, memory_order_relaxed);
	}
}

void
dsort_metrics_set(dsort_metrics *m, dsort_cnt c, int64_t v)
{
	if ((unsigned) c < DSORT_CNT__COUNT) {
		atomic_store(&m->cnt[c], v);
	}
}

int64_t
dsort_metrics_get(const dsort_metrics *m, dsort_cnt c)
{
	if ((unsigned) c >= DSORT_CNT__COUNT) {
		return 0;
	}
	return atomic_load((_Atomic int64_t *) &m->cnt[c]);
}

static ais_err
dsort_metrics_msg(
    dsort_metrics *m, dsort_msgs *ms, const char *fmt, va_list ap)
{
	char *s = NULL;
	ais_err err = AIS_OK;

	if (vasprintf(&s, fmt, ap) < 0) {
		return AIS_ENOMEM;
	}
	pthread_mutex_lock(&m->mu);
	if (ms->n < DSORT_MSGS_MAX) {
		ms->v[ms->n++] = s;
		s = NULL;
	} else {
		ms->dropped++;
	}
	pthread_mutex_unlock(&m->mu);
	free(s);
	return err;
}

ais_err
dsort_metrics_warn(dsort_metrics *m, const char *fmt, ...)
{
	va_list ap;
	ais_err err;

	va_start(ap, fmt);
	err = dsort_metrics_msg(m, &m->warnings, fmt, ap);
	va_end(ap);
	return err;
}

ais_err
dsort_metrics_error(dsort_metrics *m, const char *fmt, ...)
{
	va_list ap;
	ais_err err;

	va_start(ap, fmt);
	err = dsort_metrics_msg(m, &m->errors, fmt, ap);
	va_end(ap);
	return err;
}

void
dsort_metrics_set_aborted(dsort_metrics *m)
{
	atomic_store(&m->aborted, true);
}

void
dsort_metrics_set_archived(dsort_metrics *m)
{
	atomic_store(&m->archived, true);
}

bool
dsort_metrics_aborted(const dsort_metrics *m)
{
	return atomic_load((atomic_bool *) &m->aborted);
}

/* ---- snapshots ---------------------------------------------------------- */

static ais_err
dsort_strv_copy(char ***dstp, size_t *np, char *const *src, size_t n)
{
	char **v;

	*dstp = NULL;
	*np = 0;
	if (n == 0) {
		return AIS_OK;
	}
	v = calloc(n, sizeof(*v));
	if (v == NULL) {
		return AIS_ENOMEM;
	}
	*dstp = v;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(src[i]);
		if (v[i] == NULL) {
			return AIS_ENOMEM; /* caller's fini frees the prefix */
		}
		*np = i + 1;
	}
	return AIS_OK;
}

static void
dsort_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i]);
	}
	free(v);
}

void
dsort_jobinfo_fini(dsort_jobinfo *ji)
{
	if (ji == NULL) {
		return;
	}
	free(ji->description);
	dsort_strv_free(ji->warnings, ji->nwarnings);
	dsort_strv_free(ji->errors, ji->nerrors);
	memset(ji, 0, sizeof(*ji));
}

ais_err
dsort_metrics_snapshot(
    const dsort_metrics *cm, int64_t now_ns, dsort_jobinfo *out)
{
	dsort_metrics *m = (dsort_metrics *) cm; /* atomics and the mutex */
	int64_t now = dsort_metrics_now(now_ns);
	ais_err err;

	memset(out, 0, sizeof(*out));
	memcpy(out->id, m->id, sizeof(out->id));
	out->src = m->src;
	out->dst = m->dst;
	for (int i = 0; i < DSORT_PHASE__COUNT; i++) {
		dsort_phase_live *pl = &m->phase[i];
		dsort_phase_info *pi = &out->phase[i];

		/* finished first: finish() stores it before clearing
		 * running, so we see at least one of them set */
		pi->finished = atomic_load(&pl->finished);
		pi->running = !pi->finished && atomic_load(&pl->running);
		pi->start_ns = atomic_load(&pl->start_ns);
		pi->end_ns = pi->finished ? atomic_load(&pl->end_ns) : 0;
		if (pi->finished) {
			pi->elapsed_ns = pi->end_ns - pi->start_ns;
		} else if (pi->start_ns != 0 && now > pi->start_ns) {
			pi->elapsed_ns = now - pi->start_ns;
		}
	}
	for (int i = 0; i < DSORT_CNT__COUNT; i++) {
		out->cnt[i] = atomic_load(&m->cnt[i]);
	}
	out->aborted = atomic_load(&m->aborted);
	out->archived = atomic_load(&m->archived);
	out->description = strdup(m->description);
	if (out->description == NULL) {
		dsort_jobinfo_fini(out);
		return AIS_ENOMEM;
	}
	pthread_mutex_lock(&m->mu);
	err = dsort_strv_copy(
	    &out->warnings, &out->nwarnings, m->warnings.v, m->warnings.n);
	if (err == AIS_OK) {
		err = dsort_strv_copy(
		    &out->errors, &out->nerrors, m->errors.v, m->errors.n);
	}
	pthread_mutex_unlock(&m->mu);
	if (err != AIS_OK) {
		dsort_jobinfo_fini(out);
	}
	return err;
}

/* ---- JSON out ----------------------------------------------------------- */

/* AIS cmn.Bck: {"name","provider","namespace":{"uuid","name"}}; our ns
 * is "" or "@uuid#name". */
static json_t *
dsort_bck_json(const dsort_bck *b)
{
	char uuid[80] = "";
	const char *name = "";

	if (b->ns[0] == '@') {
		const char *hash = strchr(b->ns + 1, '#');

		if (hash == NULL) {
			snprintf(uuid, sizeof(uuid), "%s", b->ns + 1);
		} else {
			snprintf(uuid, sizeof(uuid), "%.*s",
			    (int) (hash - b->ns - 1), b->ns + 1);
			name = hash + 1;
		}
	}
	return json_pack("{s:s,s:s,s:{s:s,s:s}}", "name", b->name, "provider",
	    b->provider, "namespace", "uuid", uuid, "name", name);
}

static int
dsort_json_set_str(json_t *o, const char *key, const char *v)
{
	return json_object_set_new(o, key, json_string(v));
}

static int
dsort_json_set_time(json_t *o, const char *key, int64_t ns)
{
	char buf[48];

	ais_xact_time_fmt(ns, buf, sizeof(buf));
	return dsort_json_set_str(o, key, buf);
}

static int
dsort_json_set_cnt(json_t *o, const char *key, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long) v);
	return dsort_json_set_str(o, key, buf);
}

static json_t *
dsort_strv_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

static json_t *
dsort_phase_json(const dsort_jobinfo *ji, dsort_phase p)
{
	const dsort_phase_info *pi = &ji->phase[p];
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL) {
		return NULL;
	}
	rc |= dsort_json_set_time(o, "started_time", pi->start_ns);
	rc |= dsort_json_set_time(o, "end_time", pi->end_ns);
	rc |= json_object_set_new(
	    o, "elapsed", json_integer((json_int_t) pi->elapsed_ns));
	rc |= json_object_set_new(o, "running", json_boolean(pi->running));
	rc |= json_object_set_new(o, "finished", json_boolean(pi->finished));
	for (int c = 0; c < DSORT_CNT__COUNT; c++) {
		if (dsort_cnt_info[c].phase == p) {
			rc |= dsort_json_set_cnt(
			    o, dsort_cnt_info[c].name, ji->cnt[c]);
		}
	}
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
dsort_jobinfo_metrics_json(const dsort_jobinfo *ji)
{
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL) {
		return NULL;
	}
	for (int p = 0; p < DSORT_PHASE__COUNT; p++) {
		rc |= json_object_set_new(
		    o, dsort_phase_names[p], dsort_phase_json(ji, p));
	}
	rc |= dsort_json_set_str(
	    o, "description", ji->description == NULL ? "" : ji->description);
	rc |= json_object_set_new(
	    o, "warnings", dsort_strv_json(ji->warnings, ji->nwarnings));
	rc |= json_object_set_new(
	    o, "errors", dsort_strv_json(ji->errors, ji->nerrors));
	rc |= json_object_set_new(o, "aborted", json_boolean(ji->aborted));
	rc |= json_object_set_new(o, "archived", json_boolean(ji->archived));
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
dsort_jobinfo_to_json(const dsort_jobinfo *ji)
{
	const dsort_phase_info *ph = ji->phase;
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL) {
		return NULL;
	}
	/* AIS Metrics.ToJobInfo: start of extraction, end of creation,
	 * each phase's elapsed under the "started_/finished_" names */
	rc |= dsort_json_set_str(o, "id", ji->id);
	rc |= json_object_set_new(o, "src-bck", dsort_bck_json(&ji->src));
	rc |= json_object_set_new(o, "dst-bck", dsort_bck_json(&ji->dst));
	rc |= dsort_json_set_time(
	    o, "started_time", ph[DSORT_PHASE_EXTRACT].start_ns);
	rc |= dsort_json_set_time(
	    o, "finish_time", ph[DSORT_PHASE_CREATE].end_ns);
	rc |= json_object_set_new(o, "started_meta_sorting",
	    json_integer(ph[DSORT_PHASE_EXTRACT].elapsed_ns));
	rc |= json_object_set_new(o, "started_shard_creation",
	    json_integer(ph[DSORT_PHASE_SORT].elapsed_ns));
	rc |= json_object_set_new(o, "finished_shard_creation",
	    json_integer(ph[DSORT_PHASE_CREATE].elapsed_ns));
	rc |= dsort_json_set_cnt(o, "loc-objs", ji->cnt[DSORT_CNT_EXTRACTED]);
	rc |= dsort_json_set_cnt(
	    o, "loc-bytes", ji->cnt[DSORT_CNT_EXTRACTED_SIZE]);
	rc |= json_object_set_new(
	    o, "Metrics", dsort_jobinfo_metrics_json(ji));
	rc |= json_object_set_new(o, "aborted", json_boolean(ji->aborted));
	rc |= json_object_set_new(o, "archived", json_boolean(ji->archived));
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- JSON in ------------------------------------------------------------ */

static void
dsort_bck_parse(const json_t *j, dsort_bck *b)
{
	const json_t *ns;
	const char *v;

	memset(b, 0, sizeof(*b));
	if (!json_is_object(j)) {
		return;
	}
	v = ais_json_str(j, "name");
	snprintf(b->name, sizeof(b->name), "%s", v == NULL ? "" : v);
	v = ais_json_str(j, "provider");
	snprintf(b->provider, sizeof(b->provider), "%s", v == NULL ? "" : v);
	ns = ais_json_get_ci(j, "namespace");
	if (json_is_object(ns)) {
		const char *uuid = ais_json_str(ns, "uuid");
		const char *name = ais_json_str(ns, "name");

		if ((uuid != NULL && uuid[0] != '\0')
		    || (name != NULL && name[0] != '\0')) {
			snprintf(b->ns, sizeof(b->ns), "@%s#%s",
			    uuid == NULL ? "" : uuid,
			    name == NULL ? "" : name);
		}
	}
}

static ais_err
dsort_strv_parse(const json_t *a, const char *field, char ***vp, size_t *np,
    char *errbuf, size_t errlen)
{
	size_t n;

	if (a == NULL || json_is_null(a)) {
		return AIS_OK;
	}
	if (!json_is_array(a)) {
		ais_errbuf_set(errbuf, errlen, "%s: expected an array", field);
		return AIS_EINVAL;
	}
	n = json_array_size(a);
	if (n == 0) {
		return AIS_OK;
	}
	*vp = calloc(n, sizeof(**vp));
	if (*vp == NULL) {
		return AIS_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		if (s == NULL) {
			ais_errbuf_set(errbuf, errlen,
			    "%s[%zu]: expected a string", field, i);
			return AIS_EINVAL;
		}
		(*vp)[i] = strdup(s);
		if ((*vp)[i] == NULL) {
			return AIS_ENOMEM;
		}
		*np = i + 1;
	}
	return AIS_OK;
}

static ais_err
dsort_time_parse(const json_t *o, const char *key, const char *where,
    int64_t *ns, char *errbuf, size_t errlen)
{
	const json_t *v = ais_json_get_ci(o, key);

	*ns = 0;
	if (v == NULL || json_is_null(v)) {
		return AIS_OK;
	}
	if (!json_is_string(v)
	    || ais_xact_time_parse(json_string_value(v), ns) != AIS_OK) {
		ais_errbuf_set(errbuf, errlen, "%s.%s: bad time", where, key);
		return AIS_EINVAL;
	}
	return AIS_OK;
}

static ais_err
dsort_phase_parse(const json_t *metrics, dsort_phase p, dsort_jobinfo *ji,
    char *errbuf, size_t errlen)
{
	const char *pname = dsort_phase_names[p];
	const json_t *o = ais_json_get_ci(metrics, pname);
	dsort_phase_info *pi = &ji->phase[p];
	ais_err err;

	if (!json_is_object(o)) {
		ais_errbuf_set(errbuf, errlen, "missing %s", pname);
		return AIS_EINVAL;
	}
	err = dsort_time_parse(
	    o, "started_time", pname, &pi->start_ns, errbuf, errlen);
	if (err == AIS_OK) {
		err = dsort_time_parse(
		    o, "end_time", pname, &pi->end_ns, errbuf, errlen);
	}
	if (err != AIS_OK) {
		return err;
	}
	err = ais_json_int64(o, "elapsed", &pi->elapsed_ns);
	if (err != AIS_OK && err != AIS_ENOENT) {
		ais_errbuf_set(
		    errbuf, errlen, "%s.elapsed: not an integer", pname);
		return AIS_EINVAL;
	}
	if (ais_json_bool(o, "running", &pi->running) == AIS_EINVAL
	    || ais_json_bool(o, "finished", &pi->finished) == AIS_EINVAL) {
		ais_errbuf_set(
		    errbuf, errlen, "%s: running/finished not a bool", pname);
		return AIS_EINVAL;
	}
	for (int c = 0; c < DSORT_CNT__COUNT; c++) {
		if (dsort_cnt_info[c].phase != p) {
			continue;
		}
		err = ais_json_int64(o, dsort_cnt_info[c].name, &ji->cnt[c]);
		if (err == AIS_EINVAL) {
			ais_errbuf_set(errbuf, errlen, "%s.%s: not an integer",
			    pname, dsort_cnt_info[c].name);
			return AIS_EINVAL;
		}
	}
	return AIS_OK;
}

ais_err
dsort_jobinfo_from_json(
    const json_t *j, dsort_jobinfo *out, char *errbuf, size_t errlen)
{
	const json_t *metrics;
	const char *v;
	bool b;
	ais_err err = AIS_EINVAL;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j)) {
		ais_errbuf_set(errbuf, errlen, "expected a JSON object");
		return AIS_EINVAL;
	}
	/* JobInfo nests the phases under "Metrics"; a bare Metrics object
	 * (SDK 1.2.2's per-target shape) has them at the top */
	metrics = ais_json_get_ci(j, "Metrics");
	if (metrics == NULL) {
		metrics = j;
	} else if (!json_is_object(metrics)) {
		ais_errbuf_set(errbuf, errlen, "Metrics: expected an object");
		return AIS_EINVAL;
	}
	v = ais_json_str(j, "id");
	if (v != NULL) {
		if (strlen(v) > DSORT_JOB_ID_MAX) {
			ais_errbuf_set(errbuf, errlen, "id: too long");
			return AIS_EINVAL;
		}
		memcpy(out->id, v, strlen(v) + 1);
	}
	dsort_bck_parse(ais_json_get_ci(j, "src-bck"), &out->src);
	dsort_bck_parse(ais_json_get_ci(j, "dst-bck"), &out->dst);
	for (int p = 0; p < DSORT_PHASE__COUNT; p++) {
		err = dsort_phase_parse(metrics, p, out, errbuf, errlen);
		if (err != AIS_OK) {
			goto fail;
		}
	}
	v = ais_json_str(metrics, "description");
	out->description = strdup(v == NULL ? "" : v);
	if (out->description == NULL) {
		err = AIS_ENOMEM;
		goto fail;
	}
	err = dsort_strv_parse(ais_json_get_ci(metrics, "warnings"),
	    "warnings", &out->warnings, &out->nwarnings, errbuf, errlen);
	if (err == AIS_OK) {
		err = dsort_strv_parse(ais_json_get_ci(metrics, "errors"),
		    "errors", &out->errors, &out->nerrors, errbuf, errlen);
	}
	if (err != AIS_OK) {
		goto fail;
	}
	/* either level may say so (AIS sets both from the same atomics) */
	if (ais_json_bool(j, "aborted", &b) == AIS_OK && b) {
		out->aborted = true;
	}
	if (ais_json_bool(metrics, "aborted", &b) == AIS_OK && b) {
		out->aborted = true;
	}
	if (ais_json_bool(j, "archived", &b) == AIS_OK && b) {
		out->archived = true;
	}
	if (ais_json_bool(metrics, "archived", &b) == AIS_OK && b) {
		out->archived = true;
	}
	return AIS_OK;
fail:
	dsort_jobinfo_fini(out);
	return err;
}

/* ---- aggregation -------------------------------------------------------- */

void
dsort_job_agg_init(dsort_job_agg *a)
{
	memset(a, 0, sizeof(*a));
	a->archived = true; /* "every target": true until one says no */
}

void
dsort_job_agg_add(dsort_job_agg *a, const char *tid, const dsort_jobinfo *ji)
{
	const dsort_phase_info *cr = &ji->phase[DSORT_PHASE_CREATE];
	int64_t st = ji->phase[DSORT_PHASE_EXTRACT].start_ns;
	bool all_done_before = a->ntargets == 0 || a->finish_ns != 0;

	a->ntargets++;
	a->aborted = a->aborted || ji->aborted;
	a->archived = a->archived && ji->archived;
	if (st != 0 && (a->started_ns == 0 || st < a->started_ns)) {
		a->started_ns = st;
	}
	/* finish time only means something once every target finished */
	if (cr->finished && all_done_before) {
		if (cr->end_ns > a->finish_ns) {
			a->finish_ns = cr->end_ns;
		}
	} else {
		a->finish_ns = 0;
	}
	a->created += ji->cnt[DSORT_CNT_CREATED];
	a->to_create += ji->cnt[DSORT_CNT_TO_CREATE];
	if (ji->nerrors > 0 && a->nerrors == 0) {
		snprintf(a->first_err, sizeof(a->first_err), "%s: %s",
		    tid == NULL ? "?" : tid, ji->errors[0]);
	}
	a->nerrors += ji->nerrors;
	a->finished = a->aborted || a->finish_ns != 0;
}

ais_err
dsort_job_agg_json(
    const json_t *map, dsort_job_agg *out, char *errbuf, size_t errlen)
{
	const char *tid;
	json_t *v;
	char sub[200];

	dsort_job_agg_init(out);
	if (!json_is_object(map)) {
		ais_errbuf_set(errbuf, errlen, "expected {target: JobInfo}");
		return AIS_EINVAL;
	}
	json_object_foreach((json_t *) map, tid, v)
	{
		dsort_jobinfo ji;
		ais_err err
		    = dsort_jobinfo_from_json(v, &ji, sub, sizeof(sub));

		if (err != AIS_OK) {
			ais_errbuf_set(errbuf, errlen, "target %s: %s", tid,
			    err == AIS_EINVAL ? sub : ais_strerror(err));
			dsort_job_agg_init(out);
			return err;
		}
		dsort_job_agg_add(out, tid, &ji);
		dsort_jobinfo_fini(&ji);
	}
	if (out->ntargets == 0) {
		out->archived = false;
	}
	return AIS_OK;
}
