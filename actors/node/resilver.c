/*
 * Resilver: lifecycle and invariants in resilver.h. This file holds the
 * coordinator thread, the per-mountpath joggers, the walk of the on-disk
 * layout and the object move.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "actors/node/resilver.h"
#include "core/fqn.h"
#include "core/hrw.h"
#include "core/log.h"
#include "core/lom.h"
#include "core/xreg.h"
#include "proto/msg.h"

#define RSL_COPY_BUF (256u * 1024u)
#define RSL_ERR_MAX  200

/* One walked mountpath. */
typedef struct rsl_mp {
	ais_mpath mp;
	bool waiting; /* waiting_dd: everything on it moves off */
	dev_t dev;    /* filesystem of its root (0 = unknown) */
} rsl_mp;

struct ais_resilver {
	ais_xact *x;        /* held */
	ais_resilver *prev; /* joined and freed by our coordinator */
	ais_resilver_opts o;
	char actor[32];
	size_t n;     /* available (HRW set) = walk[0..n) */
	size_t nwalk; /* available + waiting */
	rsl_mp *walk;
	ais_mpath *avail; /* [n]: HRW over these */
	pthread_t thr;
	atomic_llong moved, errors, dropped;
	atomic_uint seq; /* work-file names */
	pthread_mutex_t emu;
	char err[RSL_ERR_MAX]; /* first error (under emu) */
};

/* One jogger's walk state: the object path is built in place in fqn. */
typedef struct rsl_walk {
	ais_resilver *r;
	const rsl_mp *src;
	const char *provider; /* normalized */
	char ns[96];          /* "@#", "@#name" or "@uuid#name" */
	char bck[AIS_BCK_NAME_MAX + 1];
	char fqn[PATH_MAX];
	size_t objoff; /* where the object name starts in fqn */
	char *buf;     /* copy buffer (allocated on first copy) */
} rsl_walk;

static void rsl_fail(ais_resilver *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
rsl_fail(ais_resilver *r, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&r->errors, 1);
	pthread_mutex_lock(&r->emu);
	if (r->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(r->err, sizeof(r->err), fmt, ap);
		va_end(ap);
		AIS_LOGW("AIS-RESILVER-FAIL", "resilver[%s]: %s",
		    ais_xact_id(r->x), r->err);
	}
	pthread_mutex_unlock(&r->emu);
}

static bool
rsl_aborted(const ais_resilver *r)
{
	return ais_xact_aborted(r->x);
}

static bool
rsl_newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec
	    || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* Puts file `from` (same filesystem as dst) at dst without ever replacing
 * a newer copy (invariant 2). *dropped: from was older and is gone.
 * 0 or errno (ENOENT: from vanished -- deleted meanwhile). */
static int
rsl_place(const char *from, const char *dst, const struct timespec *from_mtime,
    bool *dropped)
{
	struct stat dst_st;

	*dropped = false;
	if (renameat2(AT_FDCWD, from, AT_FDCWD, dst, RENAME_NOREPLACE) == 0) {
		return 0;
	}
	if (errno != EEXIST && errno != EINVAL && errno != ENOSYS) {
		return errno;
	}
	/* There is a copy (or the filesystem lacks RENAME_NOREPLACE). */
	if (lstat(dst, &dst_st) != 0) {
		if (errno != ENOENT) {
			return errno;
		}
		return rename(from, dst) == 0 ? 0 : errno;
	}
	if (rsl_newer(from_mtime, &dst_st.st_mtim)) {
		return rename(from, dst) == 0 ? 0 : errno;
	}
	*dropped = true;
	return unlink(from) == 0 || errno == ENOENT ? 0 : errno;
}

/* Copies fd's content to a new work file on the destination's filesystem,
 * with the lom xattr, atime/mtime, fsync'ed. 0 or errno. */
static int
rsl_copy(rsl_walk *w, int fd, const struct stat *st, const char *wfqn)
{
	uint8_t lom[AIS_LOM_MAX];
	ssize_t lomlen = fgetxattr(fd, AIS_LOM_XATTR, lom, sizeof(lom));
	int out, e = 0;

	if (lomlen < 0 && errno != ENODATA && errno != ENOTSUP) {
		return errno;
	}
	if (w->buf == NULL && (w->buf = malloc(RSL_COPY_BUF)) == NULL) {
		return ENOMEM;
	}
	if ((e = ais_mkdir_parent(wfqn)) != 0) {
		return e;
	}
	out = open(wfqn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		return errno;
	}
	for (;;) {
		ssize_t n = read(fd, w->buf, RSL_COPY_BUF);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			e = errno;
			break;
		}
		if (n == 0) {
			break;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t k
			    = write(out, w->buf + off, (size_t) (n - off));
			if (k < 0) {
				if (errno == EINTR) {
					continue;
				}
				e = errno;
				break;
			}
			off += k;
		}
		if (e != 0 || rsl_aborted(w->r)) {
			e = e ? e : ECANCELED;
			break;
		}
	}
	if (e == 0 && lomlen > 0
	    && fsetxattr(out, AIS_LOM_XATTR, lom, (size_t) lomlen, 0) != 0) {
		e = errno;
	}
	if (e == 0) {
		const struct timespec ts[2] = { st->st_atim, st->st_mtim };
		if (futimens(out, ts) != 0 || fsync(out) != 0) {
			e = errno;
		}
	}
	if (close(out) != 0 && e == 0) {
		e = errno;
	}
	if (e != 0) {
		unlink(wfqn);
	}
	return e;
}

/* Moves the object at w->fqn (lstat'ed: st) to mountpath dst. */
static void
rsl_move(
    rsl_walk *w, const struct stat *st, const ais_mpath *dst, dev_t dst_dev)
{
	ais_resilver *r = w->r;
	const char *obj = w->fqn + w->objoff;
	char to[PATH_MAX], wfqn[PATH_MAX], wname[64];
	bool dropped = false;
	int e;

	if (ais_fqn(to, sizeof(to), dst->path, w->provider, w->ns, w->bck,
	        AIS_CT_OBJ, obj)
	    != AIS_OK) {
		rsl_fail(r, "%s: destination path too long on %s", w->fqn,
		    dst->path);
		return;
	}
	if ((e = ais_mkdir_parent(to)) != 0) {
		rsl_fail(r, "%s: %s", to, strerror(e));
		return;
	}
	if (!r->o.force_copy && dst_dev != 0 && dst_dev == st->st_dev) {
		e = rsl_place(w->fqn, to, &st->st_mtim, &dropped);
		if (e == ENOENT) {
			return; /* deleted meanwhile */
		}
		if (e != 0) {
			rsl_fail(
			    r, "rename %s -> %s: %s", w->fqn, to, strerror(e));
			return;
		}
		goto done;
	}
	int fd = open(w->fqn, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT) {
			rsl_fail(r, "open %s: %s", w->fqn, strerror(errno));
		}
		return;
	}
	snprintf(wname, sizeof(wname), "rsl.%s.%u", ais_xact_id(r->x),
	    atomic_fetch_add(&r->seq, 1));
	if (ais_fqn(wfqn, sizeof(wfqn), dst->path, w->provider, w->ns, w->bck,
	        AIS_CT_WORK, wname)
	    != AIS_OK) {
		close(fd);
		rsl_fail(r, "%s: work path too long", dst->path);
		return;
	}
	e = rsl_copy(w, fd, st, wfqn);
	close(fd);
	if (e == ECANCELED) {
		return;
	}
	if (e == 0) {
		e = rsl_place(wfqn, to, &st->st_mtim, &dropped);
		if (e != 0) {
			unlink(wfqn);
		}
	}
	if (e != 0) {
		rsl_fail(r, "copy %s -> %s: %s", w->fqn, to, strerror(e));
		return;
	}
	/* The destination now holds this object or a newer one. */
	if (unlink(w->fqn) != 0 && errno != ENOENT) {
		rsl_fail(r, "unlink %s: %s", w->fqn, strerror(errno));
		return;
	}
done:
	if (dropped) {
		atomic_fetch_add(&r->dropped, 1);
	} else {
		atomic_fetch_add(&r->moved, 1);
		ais_xact_add(r->x, 1, st->st_size);
	}
}

/* One object file at w->fqn. */
static void
rsl_object(rsl_walk *w, const struct stat *st)
{
	ais_resilver *r = w->r;
	const char *obj = w->fqn + w->objoff;
	char uname[PATH_MAX + 256];
	size_t ulen
	    = ais_uname(uname, sizeof(uname), w->provider, w->ns, w->bck, obj);
	size_t d;

	if (ulen == 0 || r->n == 0) {
		return;
	}
	d = ais_hrw_mpath(r->avail, r->n, ais_hrw_digest(uname, ulen));
	if (!w->src->waiting
	    && strcmp(r->avail[d].path, w->src->mp.path) == 0) {
		return; /* in place */
	}
	rsl_move(w, st, &r->avail[d], r->walk[d].dev);
}

/* Walks the directory w->fqn (length len) recursively. */
static void
rsl_walk_dir(rsl_walk *w, size_t len)
{
	DIR *d = opendir(w->fqn);
	struct dirent *e;

	if (d == NULL) {
		if (errno != ENOENT && errno != ENOTDIR) {
			rsl_fail(
			    w->r, "opendir %s: %s", w->fqn, strerror(errno));
		}
		return;
	}
	while (!rsl_aborted(w->r) && (e = readdir(d)) != NULL) {
		struct stat st;
		size_t nl = strlen(e->d_name);

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0
		    || len + 1 + nl >= sizeof(w->fqn)) {
			continue;
		}
		w->fqn[len] = '/';
		memcpy(w->fqn + len + 1, e->d_name, nl + 1);
		if (lstat(w->fqn, &st) != 0) {
			continue; /* gone meanwhile */
		}
		if (S_ISDIR(st.st_mode)) {
			rsl_walk_dir(w, len + 1 + nl);
		} else if (S_ISREG(st.st_mode)) {
			rsl_object(w, &st);
		}
	}
	w->fqn[len] = '\0';
	closedir(d);
}

static void
rsl_walk_bck(rsl_walk *w, const char *bck)
{
	int n;

	size_t bl = strlen(bck);

	if (bl >= sizeof(w->bck) || ais_bckname_check(bck) != AIS_OK) {
		return; /* not a bucket (e.g. the trash) */
	}
	memcpy(w->bck, bck, bl + 1);
	if (ais_bck_dir(w->fqn, sizeof(w->fqn), w->src->mp.path, w->provider,
	        w->ns, bck)
	    != AIS_OK) {
		return;
	}
	n = (int) strlen(w->fqn);
	if (snprintf(
	        w->fqn + n, sizeof(w->fqn) - (size_t) n, "/%s", AIS_CT_OBJ)
	    >= (int) sizeof(w->fqn) - n) {
		return;
	}
	w->objoff = strlen(w->fqn) + 1;
	rsl_walk_dir(w, w->objoff - 1);
}

/* Buckets in dir (one provider, one namespace). */
static void
rsl_walk_bcks(rsl_walk *w, const char *dir, bool ns_level)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL) {
		return;
	}
	while (!rsl_aborted(w->r) && (e = readdir(d)) != NULL) {
		const char *nm = e->d_name;

		if (nm[0] == '.') {
			continue;
		}
		if (ns_level && (nm[0] == '#' || nm[0] == '@')) {
			char sub[PATH_MAX];
			/* "#name" is the local namespace "@#name";
			 * "@uuid#name" a remote one, kept as is. */
			int k = snprintf(w->ns, sizeof(w->ns), "%s%s",
			    nm[0] == '#' ? "@" : "", nm);
			if (k < 0 || (size_t) k >= sizeof(w->ns)
			    || snprintf(sub, sizeof(sub), "%s/%s", dir, nm)
			        >= (int) sizeof(sub)) {
				continue;
			}
			rsl_walk_bcks(w, sub, false);
			continue;
		}
		if (ns_level) {
			snprintf(w->ns, sizeof(w->ns), "@#");
		}
		rsl_walk_bck(w, nm);
	}
	closedir(d);
}

/* Walks one mountpath: <mp>/@<provider>/... */
static void
rsl_walk_mp(ais_resilver *r, const rsl_mp *src)
{
	rsl_walk *w = calloc(1, sizeof(*w));
	DIR *d;
	struct dirent *e;

	if (w == NULL) {
		rsl_fail(r, "%s: out of memory", src->mp.path);
		return;
	}
	w->r = r;
	w->src = src;
	if ((d = opendir(src->mp.path)) == NULL) {
		rsl_fail(r, "opendir %s: %s", src->mp.path, strerror(errno));
		free(w);
		return;
	}
	while (!rsl_aborted(r) && (e = readdir(d)) != NULL) {
		char pdir[PATH_MAX];

		if (e->d_name[0] != '@'
		    || (w->provider = ais_provider_norm(e->d_name + 1)) == NULL
		    || strcmp(w->provider, e->d_name + 1) != 0
		    || snprintf(pdir, sizeof(pdir), "%s/%s", src->mp.path,
		           e->d_name)
		        >= (int) sizeof(pdir)) {
			continue;
		}
		rsl_walk_bcks(w, pdir, true);
	}
	closedir(d);
	free(w->buf);
	free(w);
}

typedef struct rsl_jog {
	ais_resilver *r;
	const rsl_mp *src;
	pthread_t thr;
	bool started;
} rsl_jog;

static void *
rsl_jog_main(void *arg)
{
	rsl_jog *j = arg;

	rsl_walk_mp(j->r, j->src);
	return NULL;
}

static void
rsl_send_done(ais_resilver *r)
{
	Ais__ResilverDone m = AIS__RESILVER_DONE__INIT;
	uint8_t buf[128];
	size_t len;

	if (r->o.rt == NULL) {
		return;
	}
	m.id = (char *) ais_xact_id(r->x);
	m.aborted = ais_xact_aborted(r->x);
	m.errors = atomic_load(&r->errors);
	m.moved = atomic_load(&r->moved);
	if (ais__resilver_done__get_packed_size(&m) > sizeof(buf)) {
		return;
	}
	len = ais__resilver_done__pack(&m, buf);
	/* The actor may be stopping (then it joins us anyway). */
	(void) act_send(
	    r->o.rt, NULL, r->actor, AIS_MSG_RESILVER_DONE, buf, len);
}

static void *
rsl_main(void *arg)
{
	ais_resilver *r = arg;
	rsl_jog *jogs = NULL;

	ais_resilver_join_free(r->prev);
	r->prev = NULL;
	AIS_LOGN("AIS-RESILVER-START",
	    "resilver[%s]: %zu available, %zu waiting for detach",
	    ais_xact_id(r->x), r->n, r->nwalk - r->n);
	for (size_t i = 0; i < r->nwalk; i++) {
		struct stat st;
		r->walk[i].dev
		    = stat(r->walk[i].mp.path, &st) == 0 ? st.st_dev : 0;
	}
	if (r->n == 0 && r->nwalk > 0) {
		rsl_fail(r, "no available mountpath to move objects to");
	} else if (!rsl_aborted(r)
	    && (jogs = calloc(r->nwalk, sizeof(*jogs))) == NULL) {
		rsl_fail(r, "out of memory");
	}
	for (size_t i = 0; jogs != NULL && i < r->nwalk; i++) {
		jogs[i].r = r;
		jogs[i].src = &r->walk[i];
		jogs[i].started = pthread_create(&jogs[i].thr, NULL,
		                      rsl_jog_main, &jogs[i])
		    == 0;
		if (!jogs[i].started) {
			rsl_walk_mp(r, &r->walk[i]); /* no thread: inline */
		}
	}
	for (size_t i = 0; jogs != NULL && i < r->nwalk; i++) {
		if (jogs[i].started) {
			pthread_join(jogs[i].thr, NULL);
		}
	}
	free(jogs);
	for (size_t i = r->n; i < r->nwalk && r->n > 0 && !rsl_aborted(r);
	     i++) {
		rsl_walk_mp(r, &r->walk[i]);
	}
	pthread_mutex_lock(&r->emu);
	ais_xact_finish(r->x, r->err[0] ? r->err : NULL);
	pthread_mutex_unlock(&r->emu);
	AIS_LOGN("AIS-RESILVER-END",
	    "resilver[%s]: %s; moved %lld, stale copies removed %lld, "
	    "errors %lld",
	    ais_xact_id(r->x), rsl_aborted(r) ? "aborted" : "done",
	    (long long) atomic_load(&r->moved),
	    (long long) atomic_load(&r->dropped),
	    (long long) atomic_load(&r->errors));
	rsl_send_done(r);
	return NULL;
}

static void
rsl_free(ais_resilver *r)
{
	if (r == NULL) {
		return;
	}
	ais_xact_rele(r->x);
	pthread_mutex_destroy(&r->emu);
	free(r->walk);
	free(r->avail);
	free(r);
}

ais_err
ais_resilver_start(const ais_mpset *s, ais_resilver *prev,
    const ais_resilver_opts *o, ais_resilver **out)
{
	ais_xreg *reg = ais_xreg_node();
	ais_resilver *r = calloc(1, sizeof(*r));
	ais_err err;
	int rc;

	if (r == NULL || reg == NULL) {
		free(r);
		return AIS_ENOMEM;
	}
	pthread_mutex_init(&r->emu, NULL);
	r->o = *o;
	snprintf(r->actor, sizeof(r->actor), "%s", o->actor ? o->actor : "");
	r->n = s->n;
	r->nwalk = s->n + s->nwaiting;
	r->walk = calloc(r->nwalk + 1, sizeof(*r->walk));
	r->avail = calloc(r->n + 1, sizeof(*r->avail));
	if (r->walk == NULL || r->avail == NULL) {
		rsl_free(r);
		return AIS_ENOMEM;
	}
	for (size_t i = 0; i < r->nwalk; i++) {
		/* avail and waiting are contiguous (mpset.h layout) */
		r->walk[i].mp = s->avail[i];
		r->walk[i].waiting = i >= s->n;
	}
	if (r->n > 0) {
		memcpy(r->avail, s->avail, r->n * sizeof(ais_mpath));
	}
	err = ais_xreg_start(reg, NULL, AIS_RESILVER_KIND, NULL, &r->x);
	if (err != AIS_OK) {
		rsl_free(r);
		return err;
	}
	if (prev != NULL) {
		ais_resilver_abort(prev, "superseded by a new resilver");
	}
	r->prev = prev;
	rc = pthread_create(&r->thr, NULL, rsl_main, r);
	if (rc != 0) {
		ais_xact_finish(r->x, "cannot start a thread");
		r->prev = NULL;
		rsl_free(r);
		return AIS_ESYS | rc;
	}
	*out = r;
	return AIS_OK;
}

const char *
ais_resilver_id(const ais_resilver *r)
{
	return ais_xact_id(r->x);
}

void
ais_resilver_abort(ais_resilver *r, const char *why)
{
	if (r != NULL) {
		(void) ais_xact_abort(r->x, why);
	}
}

void
ais_resilver_join_free(ais_resilver *r)
{
	if (r == NULL) {
		return;
	}
	pthread_join(r->thr, NULL);
	rsl_free(r);
}

void
ais_resilver_stats(
    const ais_resilver *r, int64_t *moved, int64_t *errors, int64_t *dropped)
{
	*moved = atomic_load(&((ais_resilver *) r)->moved);
	*errors = atomic_load(&((ais_resilver *) r)->errors);
	*dropped = atomic_load(&((ais_resilver *) r)->dropped);
}
