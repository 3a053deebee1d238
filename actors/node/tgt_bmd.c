/*
 * Target side of a BMD change: a bucket that the new BMD no longer has (or
 * has under a different BID, i.e. destroyed and created again) must lose
 * its data on every mountpath.
 *
 * Called by metasync right after it published the new BMD, on the actor's
 * thread, so it must not walk directory trees. Each bucket directory is
 * renamed into <mountpath>/.ais.trash/ -- one rename, the bucket is gone
 * from the namespace at once and a re-created bucket starts empty -- and a
 * detached thread then deletes the trash entries (nftw, depth first).
 * Proxies keep no bucket data: a no-op there.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actors/node/node.h"
#include "core/fqn.h"
#include "core/jsonx.h"
#include "core/log.h"

#define TGT_TRASH_DIR ".ais.trash"
#define TGT_NFTW_FDS  16

/* Paths to delete, owned by the deleting thread. */
typedef struct tgt_trash {
	size_t n;
	char **paths;
} tgt_trash;

static atomic_uint_fast64_t tgt_trash_seq;

static const char *
tgt_errstr(int e)
{
	return ais_strerror(ais_err_from_errno(e));
}

static void
tgt_trash_free(tgt_trash *t)
{
	if (t == NULL) {
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		free(t->paths[i]);
	}
	free(t->paths);
	free(t);
}

static int
tgt_trash_rm(
    const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void) sb;
	(void) ftw;
	if (flag == FTW_DP || flag == FTW_D) {
		if (rmdir(path) != 0 && errno != ENOENT) {
			AIS_LOGW("AIS-TGT-TRASH", "rmdir %s: %s", path,
			    tgt_errstr(errno));
		}
	} else if (unlink(path) != 0 && errno != ENOENT) {
		AIS_LOGW(
		    "AIS-TGT-TRASH", "unlink %s: %s", path, tgt_errstr(errno));
	}
	return 0; /* keep going: delete as much as possible */
}

static void *
tgt_trash_main(void *arg)
{
	tgt_trash *t = arg;

	for (size_t i = 0; i < t->n; i++) {
		if (nftw(t->paths[i], tgt_trash_rm, TGT_NFTW_FDS,
		        FTW_DEPTH | FTW_PHYS)
		        != 0
		    && errno != ENOENT) {
			AIS_LOGW("AIS-TGT-TRASH", "removing %s: %s",
			    t->paths[i], tgt_errstr(errno));
		}
	}
	AIS_LOGI("AIS-TGT-TRASH", "removed %zu bucket director%s", t->n,
	    t->n == 1 ? "y" : "ies");
	tgt_trash_free(t);
	return NULL;
}

static bool
tgt_trash_add(tgt_trash *t, char *path)
{
	char **p = realloc(t->paths, (t->n + 1) * sizeof(*p));

	if (p == NULL) {
		return false;
	}
	t->paths = p;
	t->paths[t->n++] = path;
	return true;
}

/* Moves one bucket directory (if there is one) into the mountpath's trash
 * and records the trash path in t (on ENOMEM it is only logged). */
static void
tgt_bck_trash(const char *mpath, const ais_bck *b, tgt_trash *t)
{
	char dir[PATH_MAX], trash[PATH_MAX], dst[PATH_MAX + 128];
	struct timespec ts;
	uint64_t seq = atomic_fetch_add(&tgt_trash_seq, 1);

	if (ais_bck_dir(dir, sizeof(dir), mpath, b->provider, b->ns, b->name)
	    != AIS_OK) {
		AIS_LOGW("AIS-TGT-BCK-RM", "%s: no directory for %s/%s/%s",
		    mpath, b->provider, b->ns, b->name);
		return;
	}
	snprintf(trash, sizeof(trash), "%s/%s", mpath, TGT_TRASH_DIR);
	if (mkdir(trash, 0755) != 0 && errno != EEXIST) {
		AIS_LOGW("AIS-TGT-BCK-RM", "mkdir %s: %s", trash,
		    tgt_errstr(errno));
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(dst, sizeof(dst), "%s/%s.%" PRId64 ".%d.%" PRIu64, trash,
	    b->name, (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec,
	    (int) getpid(), seq);
	if (rename(dir, dst) != 0) {
		if (errno != ENOENT) {
			AIS_LOGW("AIS-TGT-BCK-RM", "rename %s -> %s: %s", dir,
			    dst, tgt_errstr(errno));
		}
		return;
	}
	char *copy = strdup(dst);
	if (copy == NULL || !tgt_trash_add(t, copy)) {
		free(copy);
		AIS_LOGW(
		    "AIS-TGT-BCK-RM", "out of memory: %s left in trash", dst);
	}
}

static uint64_t
tgt_bck_bid(const ais_bck *b)
{
	uint64_t bid = 0;

	if (ais_json_uint64(b->props, "bid", &bid) != AIS_OK) {
		return 0;
	}
	return bid;
}

/* Hands t to a detached remover thread (which frees it). */
static void
tgt_trash_start(tgt_trash *t)
{
	pthread_attr_t attr;
	pthread_t tid;
	int rc = pthread_attr_init(&attr);
	if (rc == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&tid, &attr, tgt_trash_main, t);
		pthread_attr_destroy(&attr);
	}
	if (rc != 0) {
		/* The data is already out of the bucket's way; the trash
		 * stays on disk until a later removal succeeds. */
		AIS_LOGW("AIS-TGT-TRASH",
		    "cannot start the remover: %s; %zu "
		    "director%s left in %s",
		    tgt_errstr(rc), t->n, t->n == 1 ? "y" : "ies",
		    TGT_TRASH_DIR);
		tgt_trash_free(t);
	}
}

void
ais_tgt_bmd_changed(ais_node *n, const ais_bmd *old, const ais_bmd *nw)
{
	tgt_trash *t;

	const ais_mpset *s = n ? ais_node_mpset(n) : NULL;
	if (n == NULL || n->role != AIS_ROLE_TARGET || old == NULL
	    || nw == NULL || s->n + s->ndisabled == 0) {
		return;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		AIS_LOGE("AIS-TGT-BCK-RM", "out of memory");
		return;
	}
	for (size_t i = 0; i < old->nbcks; i++) {
		const ais_bck *b = &old->bcks[i];
		const ais_bck *nb
		    = ais_bmd_get(nw, b->provider, b->ns, b->name);

		if (nb != NULL && tgt_bck_bid(nb) == tgt_bck_bid(b)) {
			continue;
		}
		AIS_LOGN("AIS-TGT-BCK-RM",
		    "bucket %s/%s/%s %s: removing its "
		    "data (BMD v%lld)",
		    b->provider, b->ns, b->name,
		    nb ? "re-created" : "destroyed", (long long) nw->version);
		for (size_t m = 0; m < s->n + s->ndisabled; m++) {
			tgt_bck_trash(m < s->n ? s->avail[m].path
					       : s->disabled[m - s->n].path,
			    b, t);
		}
	}
	if (t->n == 0) {
		tgt_trash_free(t);
		return;
	}
	tgt_trash_start(t);
}

void
ais_tgt_trash_sweep(ais_node *n)
{
	tgt_trash *t;

	const ais_mpset *s = n ? ais_node_mpset(n) : NULL;
	if (n == NULL || n->role != AIS_ROLE_TARGET || s->n + s->ndisabled == 0) {
		return;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		return;
	}
	/* Whatever a previous run moved to the trash but did not finish
	 * removing (the process stopped mid-way) goes now. */
	for (size_t m = 0; m < s->n + s->ndisabled; m++) {
		char trash[PATH_MAX + 16];
		snprintf(trash, sizeof(trash), "%s/%s",
		    m < s->n ? s->avail[m].path : s->disabled[m - s->n].path,
		    TGT_TRASH_DIR);
		DIR *d = opendir(trash);
		if (d == NULL) {
			continue;
		}
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0) {
				continue;
			}
			char *path = NULL;
			if (asprintf(&path, "%s/%s", trash, e->d_name) < 0) {
				break;
			}
			if (!tgt_trash_add(t, path)) {
				free(path);
				break;
			}
		}
		closedir(d);
	}
	if (t->n == 0) {
		tgt_trash_free(t);
		return;
	}
	tgt_trash_start(t);
}
