/*
 * Job registry: a bounded table of refcounted jobs under one mutex.
 *
 * Why a table and not an actor: status queries arrive on HTTP threads and
 * progress comes from worker threads; both only copy or bump a few fields,
 * so a mutex held for a table scan (at most AIS_XREG_CAP pointers) is
 * cheaper and simpler than a mailbox round trip. The hot counters are
 * atomics outside the lock; the strings (error, abort reason) change under
 * the job's own mutex.
 */
#include "core/xreg.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/jsonx.h"
#include "core/nodeid.h"

struct ais_xact {
	atomic_int refs;
	char id[AIS_XACT_ID_MAX + 1];
	char kind[AIS_XACT_KIND_MAX + 1];
	ais_xact_bck bck;
	int64_t start_ns;
	atomic_int_fast64_t end_ns; /* 0 while running */
	atomic_bool aborted;
	atomic_int_fast64_t objs;
	atomic_int_fast64_t bytes;
	atomic_int_fast64_t out_objs;
	atomic_int_fast64_t out_bytes;
	atomic_int_fast64_t in_objs;
	atomic_int_fast64_t in_bytes;
	pthread_mutex_t mu; /* err, abort_err */
	char err[AIS_XACT_ERR_MAX];
	char abort_err[AIS_XACT_ERR_MAX];
};

struct ais_xreg {
	pthread_mutex_t mu;
	ais_xact **tab; /* cap slots, NULL = free */
	size_t cap;
	size_t n;
};

static int64_t
ais_xreg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
ais_xreg_copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src == NULL ? "" : src);
}

/* Registry ---------------------------------------------------------------- */

ais_err
ais_xreg_alloc(size_t cap, ais_xreg **out)
{
	ais_xreg *reg;

	*out = NULL;
	if (cap == 0) {
		cap = AIS_XREG_CAP;
	}
	reg = calloc(1, sizeof(*reg));
	if (reg == NULL) {
		return AIS_ENOMEM;
	}
	reg->tab = calloc(cap, sizeof(*reg->tab));
	if (reg->tab == NULL) {
		free(reg);
		return AIS_ENOMEM;
	}
	reg->cap = cap;
	pthread_mutex_init(&reg->mu, NULL);
	*out = reg;
	return AIS_OK;
}

void
ais_xreg_free(ais_xreg *reg)
{
	if (reg == NULL) {
		return;
	}
	for (size_t i = 0; i < reg->cap; i++) {
		ais_xact_rele(reg->tab[i]);
	}
	pthread_mutex_destroy(&reg->mu);
	free(reg->tab);
	free(reg);
}

static ais_xreg *ais_xreg_the;
static pthread_once_t ais_xreg_once = PTHREAD_ONCE_INIT;

static void
ais_xreg_node_init(void)
{
	(void) ais_xreg_alloc(0, &ais_xreg_the);
}

ais_xreg *
ais_xreg_node(void)
{
	pthread_once(&ais_xreg_once, ais_xreg_node_init);
	return ais_xreg_the;
}

/* Under reg->mu. */
static ais_xact *
ais_xreg_lookup(ais_xreg *reg, const char *id)
{
	for (size_t i = 0; i < reg->cap; i++) {
		if (reg->tab[i] != NULL && strcmp(reg->tab[i]->id, id) == 0) {
			return reg->tab[i];
		}
	}
	return NULL;
}

/* A free slot, evicting the finished job that ended first if needed; -1 if
 * every job is running. Under reg->mu. */
static long
ais_xreg_slot(ais_xreg *reg)
{
	long victim = -1;
	int64_t oldest = 0;

	for (size_t i = 0; i < reg->cap; i++) {
		int64_t end;

		if (reg->tab[i] == NULL) {
			return (long) i;
		}
		end = atomic_load(&reg->tab[i]->end_ns);
		if (end != 0 && (victim < 0 || end < oldest)) {
			victim = (long) i;
			oldest = end;
		}
	}
	if (victim >= 0) {
		ais_xact_rele(reg->tab[victim]);
		reg->tab[victim] = NULL;
		reg->n--;
	}
	return victim;
}

ais_err
ais_xreg_start(ais_xreg *reg, const char *id, const char *kind,
    const ais_xact_bck *bck, ais_xact **out)
{
	ais_xact *x;
	char gen[AIS_XACT_ID_LEN + 1];
	long slot;

	*out = NULL;
	if (kind == NULL || kind[0] == '\0'
	    || strlen(kind) > AIS_XACT_KIND_MAX) {
		return AIS_EINVAL;
	}
	if (id != NULL && id[0] != '\0' && !ais_xact_id_valid(id)) {
		return AIS_EINVAL;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		return AIS_ENOMEM;
	}
	atomic_init(&x->refs, 2); /* the registry's and the caller's */
	ais_xreg_copy(x->kind, sizeof(x->kind), kind);
	if (bck != NULL) {
		x->bck = *bck;
	}
	x->start_ns = ais_xreg_now();
	atomic_init(&x->end_ns, 0);
	atomic_init(&x->aborted, false);
	atomic_init(&x->objs, 0);
	atomic_init(&x->bytes, 0);
	atomic_init(&x->out_objs, 0);
	atomic_init(&x->out_bytes, 0);
	atomic_init(&x->in_objs, 0);
	atomic_init(&x->in_bytes, 0);
	pthread_mutex_init(&x->mu, NULL);

	pthread_mutex_lock(&reg->mu);
	if (id == NULL || id[0] == '\0') {
		do {
			ais_xact_id_new(gen);
		} while (ais_xreg_lookup(reg, gen) != NULL);
		id = gen;
	} else if (ais_xreg_lookup(reg, id) != NULL) {
		pthread_mutex_unlock(&reg->mu);
		pthread_mutex_destroy(&x->mu);
		free(x);
		return AIS_EEXIST;
	}
	slot = ais_xreg_slot(reg);
	if (slot < 0) {
		pthread_mutex_unlock(&reg->mu);
		pthread_mutex_destroy(&x->mu);
		free(x);
		return AIS_EBUSY;
	}
	ais_xreg_copy(x->id, sizeof(x->id), id);
	reg->tab[slot] = x;
	reg->n++;
	pthread_mutex_unlock(&reg->mu);
	*out = x;
	return AIS_OK;
}

ais_xact *
ais_xreg_find(ais_xreg *reg, const char *id)
{
	ais_xact *x;

	if (id == NULL) {
		return NULL;
	}
	pthread_mutex_lock(&reg->mu);
	x = ais_xreg_lookup(reg, id);
	if (x != NULL) {
		ais_xact_hold(x);
	}
	pthread_mutex_unlock(&reg->mu);
	return x;
}

static bool
ais_xreg_match(ais_xact *x, const ais_xact_query *q)
{
	if (q == NULL) {
		return true;
	}
	if (q->id != NULL && q->id[0] != '\0' && strcmp(q->id, x->id) != 0) {
		return false;
	}
	if (q->kind != NULL && q->kind[0] != '\0'
	    && strcmp(q->kind, x->kind) != 0) {
		return false;
	}
	if (q->bck != NULL && q->bck->name[0] != '\0') {
		if (strcmp(q->bck->name, x->bck.name) != 0) {
			return false;
		}
		if (q->bck->provider[0] != '\0'
		    && strcmp(q->bck->provider, x->bck.provider) != 0) {
			return false;
		}
	}
	if (q->only_running && atomic_load(&x->end_ns) != 0) {
		return false;
	}
	return true;
}

static int
ais_xreg_cmp_start(const void *a, const void *b)
{
	const ais_xact_snap *x = a;
	const ais_xact_snap *y = b;

	if (x->start_ns != y->start_ns) {
		return x->start_ns < y->start_ns ? -1 : 1;
	}
	return strcmp(x->id, y->id);
}

ais_err
ais_xreg_query(
    ais_xreg *reg, const ais_xact_query *q, ais_xact_snap **out, size_t *n)
{
	ais_xact **held;
	ais_xact_snap *snaps;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	/* Hold the matches under the lock, copy them outside it. */
	pthread_mutex_lock(&reg->mu);
	held = calloc(reg->n == 0 ? 1 : reg->n, sizeof(*held));
	if (held == NULL) {
		pthread_mutex_unlock(&reg->mu);
		return AIS_ENOMEM;
	}
	for (size_t i = 0; i < reg->cap && k < reg->n; i++) {
		if (reg->tab[i] != NULL && ais_xreg_match(reg->tab[i], q)) {
			ais_xact_hold(reg->tab[i]);
			held[k++] = reg->tab[i];
		}
	}
	pthread_mutex_unlock(&reg->mu);
	if (k == 0) {
		free(held);
		return AIS_OK;
	}
	snaps = calloc(k, sizeof(*snaps));
	if (snaps == NULL) {
		for (size_t i = 0; i < k; i++) {
			ais_xact_rele(held[i]);
		}
		free(held);
		return AIS_ENOMEM;
	}
	for (size_t i = 0; i < k; i++) {
		ais_xact_snap_get(held[i], &snaps[i]);
		ais_xact_rele(held[i]);
	}
	free(held);
	qsort(snaps, k, sizeof(*snaps), ais_xreg_cmp_start);
	*out = snaps;
	*n = k;
	return AIS_OK;
}

bool
ais_xreg_abort(ais_xreg *reg, const char *id, const char *why)
{
	ais_xact *x = ais_xreg_find(reg, id);
	bool ok;

	if (x == NULL) {
		return false;
	}
	ok = ais_xact_abort(x, why);
	ais_xact_rele(x);
	return ok;
}

size_t
ais_xreg_count(ais_xreg *reg)
{
	size_t n;

	pthread_mutex_lock(&reg->mu);
	n = reg->n;
	pthread_mutex_unlock(&reg->mu);
	return n;
}

/* Jobs ----------------------------------------------------------------------
 */

void
ais_xact_hold(ais_xact *x)
{
	atomic_fetch_add(&x->refs, 1);
}

void
ais_xact_rele(ais_xact *x)
{
	if (x == NULL) {
		return;
	}
	if (atomic_fetch_sub(&x->refs, 1) == 1) {
		pthread_mutex_destroy(&x->mu);
		free(x);
	}
}

const char *
ais_xact_id(const ais_xact *x)
{
	return x->id;
}

void
ais_xact_add(ais_xact *x, int64_t objs, int64_t bytes)
{
	atomic_fetch_add(&x->objs, objs);
	atomic_fetch_add(&x->bytes, bytes);
}

void
ais_xact_add_out(ais_xact *x, int64_t objs, int64_t bytes)
{
	atomic_fetch_add(&x->out_objs, objs);
	atomic_fetch_add(&x->out_bytes, bytes);
}

void
ais_xact_add_in(ais_xact *x, int64_t objs, int64_t bytes)
{
	atomic_fetch_add(&x->in_objs, objs);
	atomic_fetch_add(&x->in_bytes, bytes);
}

bool
ais_xact_aborted(const ais_xact *x)
{
	return atomic_load(&((ais_xact *) x)->aborted);
}

bool
ais_xact_abort(ais_xact *x, const char *why)
{
	bool ok = false;

	pthread_mutex_lock(&x->mu);
	if (atomic_load(&x->end_ns) == 0 && !atomic_load(&x->aborted)) {
		ais_xreg_copy(x->abort_err, sizeof(x->abort_err),
		    why == NULL || why[0] == '\0' ? "aborted" : why);
		atomic_store(&x->aborted, true);
		ok = true;
	}
	pthread_mutex_unlock(&x->mu);
	return ok;
}

void
ais_xact_finish(ais_xact *x, const char *err)
{
	int64_t zero = 0;
	int64_t now = ais_xreg_now();

	pthread_mutex_lock(&x->mu);
	if (atomic_compare_exchange_strong(&x->end_ns, &zero, now)
	    && err != NULL) {
		ais_xreg_copy(x->err, sizeof(x->err), err);
	}
	pthread_mutex_unlock(&x->mu);
}

bool
ais_xact_finished(const ais_xact *x)
{
	return atomic_load(&((ais_xact *) x)->end_ns) != 0;
}

void
ais_xact_snap_get(ais_xact *x, ais_xact_snap *out)
{
	memset(out, 0, sizeof(*out));
	ais_xreg_copy(out->id, sizeof(out->id), x->id);
	ais_xreg_copy(out->kind, sizeof(out->kind), x->kind);
	out->bck = x->bck;
	out->start_ns = x->start_ns;
	out->objs = atomic_load(&x->objs);
	out->bytes = atomic_load(&x->bytes);
	out->out_objs = atomic_load(&x->out_objs);
	out->out_bytes = atomic_load(&x->out_bytes);
	out->in_objs = atomic_load(&x->in_objs);
	out->in_bytes = atomic_load(&x->in_bytes);
	pthread_mutex_lock(&x->mu);
	out->end_ns = atomic_load(&x->end_ns);
	out->aborted = atomic_load(&x->aborted);
	ais_xreg_copy(out->err, sizeof(out->err), x->err);
	ais_xreg_copy(out->abort_err, sizeof(out->abort_err), x->abort_err);
	pthread_mutex_unlock(&x->mu);
}

/* IDs ------------------------------------------------------------------------
 */

void
ais_xact_id_new(char out[AIS_XACT_ID_LEN + 1])
{
	ais_nodeid_random(out, AIS_XACT_ID_LEN);
	out[AIS_XACT_ID_LEN] = '\0';
}

bool
ais_xact_id_valid(const char *id)
{
	size_t n;

	if (id == NULL) {
		return false;
	}
	n = strlen(id);
	if (n == 0 || n > AIS_XACT_ID_MAX) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		        || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
			return false;
		}
	}
	return id[0] != '-' && id[0] != '_' && id[n - 1] != '-'
	    && id[n - 1] != '_';
}

/* JSON
 * ------------------------------------------------------------------------ */

void
ais_xact_time_fmt(int64_t ns, char *buf, size_t len)
{
	time_t sec;
	struct tm tm;
	char frac[16] = "";
	long nsec;

	if (ns == 0) {
		snprintf(buf, len, "0001-01-01T00:00:00Z");
		return;
	}
	sec = (time_t) (ns / 1000000000LL);
	nsec = (long) (ns % 1000000000LL);
	if (nsec < 0) {
		sec--;
		nsec += 1000000000L;
	}
	gmtime_r(&sec, &tm);
	if (nsec != 0) {
		size_t n;

		snprintf(frac, sizeof(frac), ".%09ld", nsec);
		n = strlen(frac);
		while (n > 1 && frac[n - 1] == '0') {
			frac[--n] = '\0';
		}
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%sZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, frac);
}

static bool
ais_xact_digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

ais_err
ais_xact_time_parse(const char *s, int64_t *ns)
{
	struct tm tm;
	int y, mo, d, h, mi, sec;
	int64_t frac = 0;
	int64_t off = 0;
	const char *p;
	time_t t;

	*ns = 0;
	if (s == NULL || strlen(s) < 20 || s[4] != '-' || s[7] != '-'
	    || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':'
	    || s[16] != ':') {
		return AIS_EINVAL;
	}
	if (!ais_xact_digits(s, 4, &y) || !ais_xact_digits(s + 5, 2, &mo)
	    || !ais_xact_digits(s + 8, 2, &d)
	    || !ais_xact_digits(s + 11, 2, &h)
	    || !ais_xact_digits(s + 14, 2, &mi)
	    || !ais_xact_digits(s + 17, 2, &sec)) {
		return AIS_EINVAL;
	}
	p = s + 19;
	if (*p == '.') {
		int n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, n++) {
			if (n < 9) {
				frac = frac * 10 + (*p - '0');
			}
		}
		if (n == 0) {
			return AIS_EINVAL;
		}
		for (; n < 9; n++) {
			frac *= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;

		if (strlen(p) < 6 || p[3] != ':'
		    || !ais_xact_digits(p + 1, 2, &oh)
		    || !ais_xact_digits(p + 4, 2, &om)) {
			return AIS_EINVAL;
		}
		off = (int64_t) (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return AIS_EINVAL;
	}
	if (*p != '\0') {
		return AIS_EINVAL;
	}
	if (y == 1 && mo == 1 && d == 1 && h == 0 && mi == 0 && sec == 0
	    && frac == 0) {
		return AIS_OK; /* Go's zero time */
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*ns = ((int64_t) t - off) * 1000000000LL + frac;
	return AIS_OK;
}

/* "@uuid#name" -> {"uuid","name"}; "" and "@#" -> empty strings. */
static json_t *
ais_xact_ns_json(const char *ns)
{
	char uuid[80] = "";
	const char *name = "";
	const char *hash;

	if (ns != NULL && ns[0] != '\0') {
		const char *s = ns[0] == '@' ? ns + 1 : ns;

		hash = strchr(s, '#');
		if (hash == NULL) {
			ais_xreg_copy(uuid, sizeof(uuid), s);
		} else {
			snprintf(
			    uuid, sizeof(uuid), "%.*s", (int) (hash - s), s);
			name = hash + 1;
		}
	}
	return json_pack("{s:s,s:s}", "uuid", uuid, "name", name);
}

static json_t *
ais_xact_bck_json(const ais_xact_bck *b)
{
	json_t *ns = ais_xact_ns_json(b == NULL ? "" : b->ns);

	if (ns == NULL) {
		return NULL;
	}
	return json_pack("{s:s,s:s,s:o}", "name", b == NULL ? "" : b->name,
	    "provider", b == NULL ? "" : b->provider, "namespace", ns);
}

json_t *
ais_xact_snap_to_json(const ais_xact_snap *s)
{
	char st[48];
	char et[48];
	char objs[24];
	char bytes[24];
	char oo[24], ob[24], io[24], ib[24];
	json_t *stats;
	json_t *bck = ais_xact_bck_json(&s->bck);
	json_t *src = ais_xact_bck_json(NULL);
	json_t *dst = ais_xact_bck_json(NULL);

	ais_xact_time_fmt(s->start_ns, st, sizeof(st));
	ais_xact_time_fmt(s->end_ns, et, sizeof(et));
	snprintf(objs, sizeof(objs), "%lld", (long long) s->objs);
	snprintf(bytes, sizeof(bytes), "%lld", (long long) s->bytes);
	snprintf(oo, sizeof(oo), "%lld", (long long) s->out_objs);
	snprintf(ob, sizeof(ob), "%lld", (long long) s->out_bytes);
	snprintf(io, sizeof(io), "%lld", (long long) s->in_objs);
	snprintf(ib, sizeof(ib), "%lld", (long long) s->in_bytes);
	stats = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "loc-objs", objs,
	    "loc-bytes", bytes, "out-objs", oo, "out-bytes", ob, "in-objs", io,
	    "in-bytes", ib);
	if (bck == NULL || src == NULL || dst == NULL || stats == NULL) {
		json_decref(bck);
		json_decref(src);
		json_decref(dst);
		json_decref(stats);
		return NULL;
	}
	/* json_pack's "o" steals the references, also on failure. */
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:s,s:s,s:s,s:o,"
	                 "s:b,s:b}",
	    "id", s->id, "kind", s->kind, "start-time", st, "end-time", et,
	    "bck", bck, "src-bck", src, "dst-bck", dst, "ctlmsg", "",
	    "abort-err", s->abort_err, "err", s->err, "glob.id", "0", "stats",
	    stats, "aborted", s->aborted, "is_idle", s->end_ns != 0);
}

static void
ais_xact_bck_from(const json_t *j, ais_xact_bck *b)
{
	const json_t *ns;
	const char *v;

	memset(b, 0, sizeof(*b));
	if (!json_is_object(j)) {
		return;
	}
	ais_xreg_copy(b->name, sizeof(b->name), ais_json_str(j, "name"));
	ais_xreg_copy(
	    b->provider, sizeof(b->provider), ais_json_str(j, "provider"));
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
	} else if ((v = json_string_value(ns)) != NULL) {
		ais_xreg_copy(b->ns, sizeof(b->ns), v);
	}
}

ais_err
ais_xact_snap_from_json(const json_t *j, ais_xact_snap *out)
{
	const char *id = ais_json_str(j, "id");
	const char *kind = ais_json_str(j, "kind");
	const json_t *stats;
	bool b;

	memset(out, 0, sizeof(*out));
	if (id == NULL || kind == NULL) {
		return AIS_EINVAL;
	}
	ais_xreg_copy(out->id, sizeof(out->id), id);
	ais_xreg_copy(out->kind, sizeof(out->kind), kind);
	if (ais_xact_time_parse(ais_json_str(j, "start-time"), &out->start_ns)
	        != AIS_OK
	    || ais_xact_time_parse(ais_json_str(j, "end-time"), &out->end_ns)
	        != AIS_OK) {
		return AIS_EINVAL;
	}
	ais_xact_bck_from(ais_json_get_ci(j, "bck"), &out->bck);
	ais_xreg_copy(out->err, sizeof(out->err), ais_json_str(j, "err"));
	ais_xreg_copy(out->abort_err, sizeof(out->abort_err),
	    ais_json_str(j, "abort-err"));
	if (ais_json_bool(j, "aborted", &b) == AIS_OK) {
		out->aborted = b;
	}
	stats = ais_json_get_ci(j, "stats");
	if (json_is_object(stats)) {
		(void) ais_json_int64(stats, "loc-objs", &out->objs);
		(void) ais_json_int64(stats, "loc-bytes", &out->bytes);
		(void) ais_json_int64(stats, "out-objs", &out->out_objs);
		(void) ais_json_int64(stats, "out-bytes", &out->out_bytes);
		(void) ais_json_int64(stats, "in-objs", &out->in_objs);
		(void) ais_json_int64(stats, "in-bytes", &out->in_bytes);
	}
	return AIS_OK;
}
