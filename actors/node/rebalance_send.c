/*
 * Rebalance senders: one thread per mountpath walks every bucket's %ob
 * tree there and moves each object this target does not own under the
 * job's Smap to its owner.
 *
 * An object travels as REB_CHUNKs of up to 1 MiB to receive actor
 * (digest % AIS_REB_RECV_ACTORS) of the owner; the first carries the
 * object's LOM xattr bytes as stored, so metadata moves unchanged. The
 * file is read straight into the outgoing message (act_call_start_fill,
 * framing in rebalance_chunk.c). Each chunk is a call whose reply is the
 * flow control: one chunk per object in flight, up to REB_FLIGHTS objects
 * per thread (a round trip per chunk would otherwise leave the disk, the
 * network and the receiver idle in turn). Once the owner answers STORED
 * (in place there) or HAVE (it already had this or a newer copy), the
 * local file is removed -- unless it was replaced meanwhile (another inode
 * at the path), which keeps the newer write. Any failure keeps the local
 * copy: GET still finds it through get-from-neighbor, and the next
 * rebalance (or a restart, via the marker) tries again.
 *
 * The last thread to finish tells every other target REB_DONE, retrying
 * the ones that did not answer for up to rebalance.dest_retry_time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "actors/node/rebalance_int.h"
#include "core/bprops.h"
#include "core/fqn.h"
#include "core/log.h"
#include "core/lom.h"
#include "proto/msg.h"

#define REB_SEND_TRIES 3  /* per object, transport failures */
#define REB_DEAD_MAX   32 /* destinations given up on, per thread */
#define REB_FLIGHTS    4  /* objects in flight per thread */

/* One object on its way: one chunk of it in flight at a time. */
typedef struct reb_flight {
	int fd; /* -1: the slot is free */
	struct stat st;
	const ais_bck *bck;
	const ais_snode *to;
	char actor[32];
	char path[PATH_MAX];
	const char *obj; /* in path: the name relative to %ob */
	char uname[AIS_OBJNAME_MAX + 256];
	uint8_t lom[AIS_LOM_MAX];
	size_t lom_len;
	int64_t off;   /* of the chunk in flight */
	size_t len;    /* its object bytes */
	int tries;     /* starts from offset 0 so far */
	act_call_h *h; /* the chunk's call (NULL: start failed, see err) */
	ais_err err;
	struct reb_sender *s;
} reb_flight;

/* One sender thread's working set. */
typedef struct reb_sender {
	reb_job *job;
	const ais_mpath *mp;
	const ais_bck *bck; /* bucket being walked */
	uint64_t bid;
	reb_flight f[REB_FLIGHTS];
	size_t ring[REB_FLIGHTS]; /* flights in the order they were sent */
	size_t rhead, rn;
	char dead[REB_DEAD_MAX][AIS_ID_MAX + 1]; /* unreachable owners */
	size_t ndead;
} reb_sender;

static bool
reb_stopped(const reb_job *j)
{
	return atomic_load(&((reb_job *) j)->stop) || ais_xact_aborted(j->x)
	    || atomic_load(&j->node->stopping);
}

static bool
reb_dead(const reb_sender *s, const char *id)
{
	for (size_t i = 0; i < s->ndead; i++) {
		if (strcmp(s->dead[i], id) == 0) {
			return true;
		}
	}
	return false;
}

/* Sleeps up to ms, waking early when the job stops. */
static void
reb_nap(const reb_job *j, int ms)
{
	for (int t = 0; t < ms && !reb_stopped(j); t += 50) {
		usleep(50 * 1000);
	}
}

/* The head of f's chunk in flight. */
static void
reb_flight_head(const reb_flight *f, Ais__RebChunk *c)
{
	const reb_job *j = f->s->job;

	*c = (Ais__RebChunk) AIS__REB_CHUNK__INIT;
	c->reb_id = (char *) j->id;
	c->smap_version = j->smap_v;
	c->provider = (char *) f->bck->provider;
	c->ns = (char *) f->bck->ns;
	c->bck = (char *) f->bck->name;
	c->obj = (char *) f->obj;
	c->size = (int64_t) f->st.st_size;
	c->offset = f->off;
	c->last = f->off + (int64_t) f->len == c->size;
	if (f->off == 0) { /* metadata travels once */
		c->lom.data = (uint8_t *) f->lom;
		c->lom.len = f->lom_len;
		c->atime_ns = (int64_t) f->st.st_atim.tv_sec * 1000000000LL
		    + f->st.st_atim.tv_nsec;
		c->mtime_ns = (int64_t) f->st.st_mtim.tv_sec * 1000000000LL
		    + f->st.st_mtim.tv_nsec;
	}
}

/* act_fill_fn: the head, then the chunk read from the file in place. */
static ais_err
reb_fill(
    void *arg, uint8_t *buf, size_t max, size_t *used, char *eb, size_t elen)
{
	reb_flight *f = arg;
	Ais__RebChunk c;
	size_t head, got = 0;

	reb_flight_head(f, &c);
	if (reb_chunk_head_size(&c) + f->len > max) {
		snprintf(eb, elen, "chunk larger than its message");
		return AIS_EINTERNAL;
	}
	head = reb_chunk_head_pack(&c, buf);
	while (got < f->len) {
		ssize_t n = pread(f->fd, buf + head + got, f->len - got,
		    (off_t) (f->off + (int64_t) got));

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			/* shorter than it was: truncated underneath */
			snprintf(eb, elen, "read %s", f->path);
			return n == 0 ? AIS_EIO : ais_err_from_errno(errno);
		}
		got += (size_t) n;
	}
	*used = head + f->len;
	return AIS_OK;
}

/* Sends f's chunk at f->off and queues f behind the others in flight. */
static void
reb_flight_send(reb_sender *s, reb_flight *f)
{
	Ais__RebChunk c;
	int64_t left = (int64_t) f->st.st_size - f->off;

	f->len
	    = left < (int64_t) REB_CHUNK_SIZE ? (size_t) left : REB_CHUNK_SIZE;
	reb_flight_head(f, &c);
	f->err = act_call_start_fill(s->job->node->rt, f->to->ctrl.url,
	    f->actor, AIS_MSG_REB_CHUNK, reb_chunk_head_size(&c) + f->len,
	    reb_fill, f, REB_CHUNK_CALL_MS, &f->h);
	s->ring[(s->rhead + s->rn) % REB_FLIGHTS] = (size_t) (f - s->f);
	s->rn++;
}

/* Removes path if it is still the file that was sent. */
static void
reb_drop_local(const char *path, const struct stat *sent)
{
	struct stat now;

	if (stat(path, &now) != 0 || now.st_ino != sent->st_ino
	    || now.st_dev != sent->st_dev
	    || now.st_mtim.tv_sec != sent->st_mtim.tv_sec
	    || now.st_mtim.tv_nsec != sent->st_mtim.tv_nsec) {
		return; /* rewritten here meanwhile: keep the newer write */
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		AIS_LOGW("AIS-REB-UNLINK", "cannot remove %s: %s", path,
		    strerror(errno));
	}
}

/* The object is done with (moved, or given up on): the slot is free. */
static void
reb_flight_end(reb_sender *s, reb_flight *f, ais_err err, int verdict)
{
	reb_job *j = s->job;

	close(f->fd);
	f->fd = -1;
	if (err != AIS_OK) {
		if (err != AIS_ESTOPPED && !reb_stopped(j)) {
			atomic_fetch_add(&j->errs, 1);
			AIS_LOGW("AIS-REB-SEND", "%s: %s to t[%s]: %s", j->id,
			    f->uname, f->to->id, ais_strerror(err));
			if ((err == AIS_ETIMEDOUT || err == AIS_ECLOSED
			        || (err & AIS_ENNG) != 0)
			    && s->ndead < REB_DEAD_MAX
			    && !reb_dead(s, f->to->id)) {
				snprintf(s->dead[s->ndead++],
				    sizeof(s->dead[0]), "%s", f->to->id);
			}
		}
		return;
	}
	if (verdict == AIS__REB_VERDICT__REB_STORED) {
		ais_xact_add_out(j->x, 1, (int64_t) f->st.st_size);
	}
	reb_drop_local(f->path, &f->st);
}

/* Waits for the oldest chunk in flight and acts on its answer: the next
 * chunk, the end of the object, or a retry from the start. */
static void
reb_pump(reb_sender *s)
{
	reb_job *j = s->job;
	reb_flight *f = &s->f[s->ring[s->rhead]];
	act_reply_buf rep;
	ais_err err = f->err;
	int verdict = -1;

	s->rhead = (s->rhead + 1) % REB_FLIGHTS;
	s->rn--;
	memset(&rep, 0, sizeof(rep));
	if (f->h != NULL) {
		err = act_call_finish(f->h, &rep);
		f->h = NULL;
		if (err == AIS_OK) {
			err = rep.status;
		}
		if (err == AIS_OK) {
			Ais__RebChunkAck *a = ais__reb_chunk_ack__unpack(
			    NULL, rep.len, rep.data);

			if (a == NULL) {
				err = AIS_EPROTO;
			} else {
				verdict = a->verdict;
				ais__reb_chunk_ack__free_unpacked(a, NULL);
			}
			if (verdict != AIS__REB_VERDICT__REB_CONT
			    && verdict != AIS__REB_VERDICT__REB_STORED
			    && verdict != AIS__REB_VERDICT__REB_HAVE) {
				err = AIS_EPROTO; /* never drop the local copy
				                   * on an answer we do not
				                   * know */
			}
		}
		act_reply_buf_fini(&rep);
	}
	if (err == AIS_OK && verdict == AIS__REB_VERDICT__REB_CONT) {
		if (f->off + (int64_t) f->len >= (int64_t) f->st.st_size) {
			err = AIS_EPROTO; /* the last chunk must not be CONT */
		} else if (reb_stopped(j)) {
			err = AIS_ESTOPPED;
		} else {
			f->off += (int64_t) f->len;
			reb_flight_send(s, f);
			return;
		}
	}
	/* Retry what may pass soon (no receiver actor yet, busy); a timeout
	 * already cost seconds and a dead node is for the next Smap. */
	if (err != AIS_OK && !reb_stopped(j) && ++f->tries < REB_SEND_TRIES
	    && err != AIS_ECKSUM && err != AIS_EINVAL && err != AIS_ESTALE
	    && err != AIS_EEXIST && err != AIS_ETIMEDOUT && err != AIS_EIO
	    && err != AIS_EINTERNAL) {
		reb_nap(j, 500 * f->tries);
		f->off = 0;
		reb_flight_send(s, f);
		return;
	}
	reb_flight_end(s, f, err, verdict);
}

static reb_flight *
reb_free_flight(reb_sender *s)
{
	for (;;) {
		for (size_t i = 0; i < REB_FLIGHTS; i++) {
			if (s->f[i].fd < 0) {
				return &s->f[i];
			}
		}
		reb_pump(s); /* every slot busy: ring is not empty */
	}
}

/* One file under %ob: obj is its name relative to %ob. */
static void
reb_send_obj(reb_sender *s, const char *path, const char *obj)
{
	reb_job *j = s->job;
	reb_flight *f;
	const ais_snode *to = NULL;
	ais_lom_md md;
	ssize_t lom_len;
	size_t ulen;

	f = reb_free_flight(s);
	ulen = ais_uname(f->uname, sizeof(f->uname), s->bck->provider,
	    s->bck->ns, s->bck->name, obj);
	if (ulen == 0 || ais_hrw_target(j->smap, f->uname, ulen, &to) != AIS_OK
	    || strcmp(to->id, j->node->self.id) == 0) {
		return;
	}
	if (reb_dead(s, to->id)) {
		atomic_fetch_add(&j->errs, 1); /* stays here, counted */
		return;
	}
	if (strlen(path) >= sizeof(f->path)) {
		return;
	}
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (f->fd < 0) {
		return; /* gone meanwhile (deleted, or moved by resilver) */
	}
	lom_len = fgetxattr(f->fd, AIS_LOM_XATTR, f->lom, sizeof(f->lom));
	if (fstat(f->fd, &f->st) != 0 || !S_ISREG(f->st.st_mode)
	    || lom_len <= 0
	    || ais_lom_decode(f->lom, (size_t) lom_len, &md) != AIS_OK
	    || md.size != (int64_t) f->st.st_size
	    || (s->bid != 0 && md.lid != 0 && md.lid != s->bid)) {
		/* Not an object (no or bad metadata, or an older bucket
		 * incarnation's leftover): GET would not serve it either. */
		close(f->fd);
		f->fd = -1;
		return;
	}
	f->s = s;
	f->bck = s->bck;
	f->to = to;
	f->lom_len = (size_t) lom_len;
	f->off = 0;
	f->tries = 0;
	memcpy(f->path, path, strlen(path) + 1);
	f->obj = f->path + (obj - path);
	snprintf(f->actor, sizeof(f->actor), "%s",
	    ais_reb_recv_name(
	        ais_hrw_digest(f->uname, ulen) % AIS_REB_RECV_ACTORS));
	reb_flight_send(s, f);
}

/* Depth-first over dir (path in buf, len bytes used; rel = the part after
 * %ob/). Returns false to stop. */
static bool
reb_walk(reb_sender *s, char *buf, size_t len, size_t rel)
{
	DIR *d = opendir(buf);
	struct dirent *e;

	if (d == NULL) {
		return true;
	}
	while ((e = readdir(d)) != NULL) {
		size_t nl = strlen(e->d_name);
		unsigned char type = e->d_type;

		if (reb_stopped(s->job)) {
			closedir(d);
			return false;
		}
		if (strcmp(e->d_name, ".") == 0
		    || strcmp(e->d_name, "..") == 0) {
			continue;
		}
		if (len + 1 + nl + 1 > PATH_MAX) {
			continue;
		}
		buf[len] = '/';
		memcpy(buf + len + 1, e->d_name, nl + 1);
		if (type == DT_UNKNOWN) {
			struct stat st;

			if (lstat(buf, &st) != 0) {
				continue;
			}
			type = S_ISDIR(st.st_mode) ? DT_DIR
			    : S_ISREG(st.st_mode)  ? DT_REG
			                           : DT_UNKNOWN;
		}
		if (type == DT_DIR) {
			if (!reb_walk(s, buf, len + 1 + nl, rel)) {
				closedir(d);
				return false;
			}
		} else if (type == DT_REG) {
			reb_send_obj(s, buf, buf + rel);
		}
		buf[len] = '\0';
	}
	closedir(d);
	buf[len] = '\0';
	return true;
}

static void
reb_walk_mpath(reb_sender *s)
{
	const ais_bmd *b = s->job->bmd;
	char *buf;

	if (b == NULL || s->mp == NULL) {
		return;
	}
	buf = malloc(PATH_MAX);
	if (buf == NULL) {
		atomic_fetch_add(&s->job->errs, 1);
		return;
	}
	for (size_t i = 0; i < b->nbcks && !reb_stopped(s->job); i++) {
		ais_bprops bp;
		size_t len;

		s->bck = &b->bcks[i];
		s->bid = ais_bprops_view(s->bck->props, &bp) == AIS_OK ? bp.bid
		                                                       : 0;
		if (ais_fqn(buf, PATH_MAX, s->mp->path, s->bck->provider,
		        s->bck->ns, s->bck->name, AIS_CT_OBJ, "x")
		    != AIS_OK) {
			continue;
		}
		len = strlen(buf) - 2; /* drop "/x": the %ob directory */
		buf[len] = '\0';
		(void) reb_walk(s, buf, len, len + 1);
	}
	free(buf);
}

/* Tells every other target REB_DONE(job), retrying the silent ones. */
static void
reb_notify_done(reb_job *j)
{
	Ais__RebDone d = AIS__REB_DONE__INIT;
	uint8_t buf[64];
	size_t len, n = 0;
	const char **urls;
	ais_err *res;
	act_reply_buf *reps;
	int64_t t0 = reb_mono_ms();

	d.reb_id = j->id;
	d.smap_version = j->smap_v;
	len = ais__reb_done__pack(&d, buf);
	urls = calloc(j->smap->ntargets + 1, sizeof(*urls));
	res = calloc(j->smap->ntargets + 1, sizeof(*res));
	reps = calloc(j->smap->ntargets + 1, sizeof(*reps));
	if (urls == NULL || res == NULL || reps == NULL) {
		goto out;
	}
	for (size_t i = 0; i < j->smap->ntargets; i++) {
		if (strcmp(j->smap->targets[i].id, j->node->self.id) != 0) {
			urls[n++] = j->smap->targets[i].ctrl.url;
		}
	}
	while (n > 0 && !reb_stopped(j)) {
		size_t k = 0;

		memset(reps, 0, n * sizeof(*reps));
		(void) act_call_many(j->node->rt, urls, n, AIS_ACTOR_REBALANCE,
		    AIS_MSG_REB_DONE, buf, len, REB_DONE_CALL_MS, res, reps);
		for (size_t i = 0; i < n; i++) {
			bool ok = res[i] == AIS_OK && reps[i].status == AIS_OK;

			act_reply_buf_fini(&reps[i]);
			if (!ok) {
				urls[k++] = urls[i];
			}
		}
		n = k;
		if (n > 0) {
			if (reb_mono_ms() - t0 > j->retry_ms) {
				AIS_LOGW("AIS-REB-DONE-LOST",
				    "%s: %zu target(s) never took REB_DONE",
				    j->id, n);
				break;
			}
			reb_nap(j, 1000);
		}
	}
out:
	free(urls);
	free(res);
	free(reps);
}

void *
reb_send_main(void *arg)
{
	reb_worker *w = arg;
	reb_job *j = w->job;
	reb_sender *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		atomic_fetch_add(&j->errs, 1);
	} else {
		s->job = j;
		s->mp = w->mp;
		for (size_t i = 0; i < REB_FLIGHTS; i++) {
			s->f[i].fd = -1;
		}
		reb_walk_mpath(s);
		while (s->rn > 0) {
			reb_pump(
			    s); /* stopped or not: every call is finished */
		}
		free(s);
	}
	if (atomic_fetch_sub(&j->to_walk, 1) == 1) {
		/* Last one out: all this target's objects were handed over
		 * (acked), so the peers may count on us now. */
		if (!reb_stopped(j)) {
			reb_notify_done(j);
		}
		atomic_store(&j->walked, true);
	}
	atomic_fetch_sub(&j->walking, 1);
	return NULL;
}
