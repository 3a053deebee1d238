/*
 * Rebalance receivers: actors "reb-recv-<i>" that turn REB_CHUNK streams
 * back into objects.
 *
 * A stream is one object from one sender, keyed by (sender node, uname),
 * so several senders -- or one sender re-sending after a failure -- never
 * share a work file. The first chunk (offset 0) decides: if this target
 * already has the object with the same checksum, or a copy written after
 * the sender's (a client PUT it here after the Smap change), the answer is
 * HAVE and nothing is written. Otherwise a work file is created under the
 * bucket's %wk on the object's HRW mountpath (same filesystem as the final
 * name); chunks are appended in order and hashed; the last one is checked
 * against the size and checksum in the sender's metadata, the metadata
 * (with this cluster's bucket ID) and times are set on the work file, it is
 * fsynced if the bucket asks for that, and renamed into %ob -- atomically,
 * and without replacing an object that appeared meanwhile (a PUT or a
 * get-from-neighbor fetch), which is then the newer copy. Anything wrong
 * discards the work file and answers an error; the sender keeps its copy.
 *
 * The bytes are written from the received message in place (the payload
 * framing is in rebalance_chunk.c). Writes of up to 1 MiB per message are
 * the only disk work on these actors;
 * there are AIS_REB_RECV_ACTORS of them so several objects land in
 * parallel. Streams idle for REB_STREAM_IDLE_MS (a sender that died) are
 * dropped by a timer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actors/node/rebalance_int.h"
#include "core/bprops.h"
#include "core/fqn.h"
#include "core/log.h"
#include "core/lom.h"
#include "proto/msg.h"

#define REB_STREAMS_MIN    16   /* stream table: initial size */
#define REB_STREAMS_MAX    1024 /* ... and its bound (objects in flight) */
#define REB_STREAM_IDLE_MS 60000
#define REB_RECV_TICK_MS   10000

typedef struct reb_stream {
	bool used;
	char from[AIS_ID_MAX + 1];
	char uname[AIS_OBJNAME_MAX + 256];
	int fd;
	char wfqn[PATH_MAX];
	char fqn[PATH_MAX];
	ais_cksum ck;
	ais_lom_md md;
	int64_t got;
	int64_t atime_ns, mtime_ns;
	bool replace; /* an older copy is in place: rename over it */
	bool fsync;
	int64_t last_ms;
} reb_stream;

typedef struct reb_recv {
	ais_node *node;
	reb_shared *sh;
	reb_stream *s; /* grows by doubling up to REB_STREAMS_MAX */
	size_t ns;
} reb_recv;

static atomic_uint_fast64_t reb_wk_seq;

static void
reb_stream_drop(reb_stream *s)
{
	if (!s->used) {
		return;
	}
	if (s->fd >= 0) {
		close(s->fd);
	}
	if (s->wfqn[0] != '\0' && unlink(s->wfqn) != 0 && errno != ENOENT) {
		AIS_LOGW("AIS-REB-WORK", "cannot remove %s: %s", s->wfqn,
		    strerror(errno));
	}
	ais_cksum_fini(&s->ck);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static reb_stream *
reb_stream_find(reb_recv *st, const char *from, const char *uname)
{
	for (size_t i = 0; i < st->ns; i++) {
		reb_stream *s = &st->s[i];

		if (s->used && strcmp(s->from, from) == 0
		    && strcmp(s->uname, uname) == 0) {
			return s;
		}
	}
	return NULL;
}

static reb_stream *
reb_stream_slot(reb_recv *st)
{
	reb_stream *oldest = NULL;

	for (size_t i = 0; i < st->ns; i++) {
		if (!st->s[i].used) {
			return &st->s[i];
		}
		if (oldest == NULL || st->s[i].last_ms < oldest->last_ms) {
			oldest = &st->s[i];
		}
	}
	if (st->ns < REB_STREAMS_MAX) {
		/* Every slot busy: more senders than ever before. No stream
		 * pointer is held across this (handlers look them up). */
		size_t n = st->ns * 2;
		reb_stream *g = realloc(st->s, n * sizeof(*g));

		if (g != NULL) {
			memset(g + st->ns, 0, (n - st->ns) * sizeof(*g));
			for (size_t i = st->ns; i < n; i++) {
				g[i].fd = -1;
			}
			st->s = g;
			st->ns = n;
			return &g[n / 2];
		}
	}
	if (reb_mono_ms() - oldest->last_ms > REB_STREAM_IDLE_MS) {
		reb_stream_drop(oldest);
		return oldest;
	}
	return NULL;
}

static int
reb_rename(const char *from, const char *to, bool replace)
{
	int rv = replace
	    ? rename(from, to)
	    : renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);

	if (rv != 0 && errno == EINVAL && !replace) {
		/* No RENAME_NOREPLACE on this filesystem: link() has the
		 * same no-clobber semantics. */
		if (link(from, to) != 0) {
			return errno;
		}
		(void) unlink(from);
		return 0;
	}
	return rv == 0 ? 0 : errno;
}

/* The target's copy is as good as the sender's: same content, or written
 * after it. */
static bool
reb_have(const char *fqn, const ais_lom_md *md, int64_t mtime_ns, uint64_t bid,
    bool *present)
{
	ais_lom_md cur;
	struct stat st;

	*present = false;
	if (stat(fqn, &st) != 0 || !S_ISREG(st.st_mode)
	    || ais_lom_load(fqn, &cur) != AIS_OK
	    || (bid != 0 && cur.lid != 0 && cur.lid != bid)) {
		/* nothing, or not an object of this bucket: overwrite */
		*present = stat(fqn, &st) == 0;
		return false;
	}
	*present = true;
	if (cur.size == md->size && cur.cksum_type == md->cksum_type
	    && md->cksum_type != AIS_CKSUM_NONE
	    && strcmp(cur.cksum_value, md->cksum_value) == 0) {
		return true;
	}
	return (int64_t) st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec
	    >= mtime_ns;
}

static ais_err
reb_ack(act_ctx *ctx, Ais__RebVerdict v)
{
	Ais__RebChunkAck a = AIS__REB_CHUNK_ACK__INIT;
	uint8_t buf[16];
	size_t len;

	a.verdict = v;
	len = ais__reb_chunk_ack__pack(&a, buf);
	return act_reply(ctx, AIS_MSG_REB_CHUNK_ACK, AIS_OK, NULL, buf, len);
}

static ais_err
reb_fail(act_ctx *ctx, reb_stream *s, ais_err err, const char *what)
{
	if (s != NULL) {
		AIS_LOGW("AIS-REB-RECV", "%s from t[%s]: %s: %s", s->uname,
		    s->from, what, ais_strerror(err));
		reb_stream_drop(s);
	}
	return act_reply(ctx, AIS_MSG_REB_CHUNK_ACK, err, what, NULL, 0);
}

/* Offset 0: checks, then opens the work file. NULL after replying. */
static reb_stream *
reb_stream_open(reb_recv *st, act_ctx *ctx, const char *from,
    const Ais__RebChunk *c, const char *provider, const char *uname,
    bool *replied)
{
	const ais_mpset *mps = ais_node_mpset(st->node);
	const ais_mpath *mp;
	ais_bmd *bmd = ais_node_bmd(st->node);
	const ais_bck *b = NULL;
	ais_bprops bp;
	ais_lom_md md;
	reb_stream *s;
	char name[64];
	bool present = false;
	int e;

	*replied = true;
	if (bmd != NULL) {
		b = ais_bmd_get(bmd, provider, c->ns, c->bck);
	}
	if (b == NULL || ais_bprops_view(b->props, &bp) != AIS_OK) {
		ais_bmd_rele(bmd);
		(void) reb_fail(ctx, NULL, AIS_ENOENT, "no such bucket here");
		return NULL;
	}
	ais_bmd_rele(bmd);
	if (c->lom.len == 0
	    || ais_lom_decode(c->lom.data, c->lom.len, &md) != AIS_OK
	    || md.size != c->size) {
		(void) reb_fail(ctx, NULL, AIS_EPROTO, "bad object metadata");
		return NULL;
	}
	if (mps->n == 0) {
		(void) reb_fail(ctx, NULL, AIS_ENOSPC, "no mountpaths");
		return NULL;
	}
	mp = &mps->avail[ais_hrw_mpath(
	    mps->avail, mps->n, ais_hrw_digest(uname, strlen(uname)))];
	s = reb_stream_slot(st);
	if (s == NULL) {
		(void) reb_fail(ctx, NULL, AIS_EBUSY, "too many streams");
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (ais_fqn(s->fqn, sizeof(s->fqn), mp->path, provider, c->ns, c->bck,
	        AIS_CT_OBJ, c->obj)
	    != AIS_OK) {
		(void) reb_fail(ctx, NULL, AIS_EINVAL, "name too long");
		return NULL;
	}
	if (reb_have(s->fqn, &md, c->mtime_ns, bp.bid, &present)) {
		(void) reb_ack(ctx, AIS__REB_VERDICT__REB_HAVE);
		return NULL;
	}
	snprintf(name, sizeof(name), "reb.%016llx.%d.%llx",
	    (unsigned long long) ais_hrw_digest(uname, strlen(uname))
	        ^ ais_hrw_digest(from, strlen(from)),
	    (int) getpid(),
	    (unsigned long long) atomic_fetch_add(&reb_wk_seq, 1));
	if (ais_fqn(s->wfqn, sizeof(s->wfqn), mp->path, provider, c->ns,
	        c->bck, AIS_CT_WORK, name)
	    != AIS_OK) {
		s->wfqn[0] = '\0';
		(void) reb_fail(ctx, NULL, AIS_EINVAL, "name too long");
		return NULL;
	}
	s->used = true;
	snprintf(s->from, sizeof(s->from), "%s", from);
	snprintf(s->uname, sizeof(s->uname), "%s", uname);
	s->md = md;
	s->md.lid = bp.bid;
	s->atime_ns = c->atime_ns;
	s->mtime_ns = c->mtime_ns;
	s->replace = present;
	s->fsync = (bp.features & AIS_FEAT_FSYNC_PUT) != 0;
	s->last_ms = reb_mono_ms();
	s->fd = open(s->wfqn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (s->fd < 0 && errno == ENOENT && ais_mkdir_parent(s->wfqn) == 0) {
		s->fd = open(
		    s->wfqn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	}
	if (s->fd < 0) {
		e = errno;
		s->wfqn[0] = '\0';
		(void) reb_fail(ctx, s, ais_err_from_errno(e), "work file");
		return NULL;
	}
	if (ais_cksum_init(&s->ck, md.cksum_type) != AIS_OK) {
		(void) reb_fail(ctx, s, AIS_ENOMEM, "checksum");
		return NULL;
	}
	*replied = false;
	return s;
}

/* The last chunk is in: verify, metadata, rename. */
static ais_err
reb_stream_commit(act_ctx *ctx, reb_recv *st, reb_stream *s, int64_t v)
{
	char sum[AIS_CKSUM_HEX_MAX];
	struct timespec ts[2];
	int64_t size = s->got;
	ais_err err;
	int e;

	if (s->got != s->md.size) {
		return reb_fail(ctx, s, AIS_EPROTO, "size mismatch");
	}
	ais_cksum_final(&s->ck, sum);
	if (s->md.cksum_type != AIS_CKSUM_NONE && s->md.cksum_value[0] != '\0'
	    && strcmp(sum, s->md.cksum_value) != 0) {
		return reb_fail(ctx, s, AIS_ECKSUM, "checksum mismatch");
	}
	err = ais_lom_store_fd(s->fd, &s->md);
	if (err != AIS_OK) {
		return reb_fail(ctx, s, err, "metadata");
	}
	ts[0].tv_sec = (time_t) (s->atime_ns / 1000000000LL);
	ts[0].tv_nsec = (long) (s->atime_ns % 1000000000LL);
	ts[1].tv_sec = (time_t) (s->mtime_ns / 1000000000LL);
	ts[1].tv_nsec = (long) (s->mtime_ns % 1000000000LL);
	(void) futimens(s->fd, ts); /* LRU and "newer" checks keep working */
	if (s->fsync && fsync(s->fd) != 0) {
		return reb_fail(ctx, s, ais_err_from_errno(errno), "fsync");
	}
	close(s->fd);
	s->fd = -1;
	e = reb_rename(s->wfqn, s->fqn, s->replace);
	if (e == ENOENT && ais_mkdir_parent(s->fqn) == 0) {
		e = reb_rename(s->wfqn, s->fqn, s->replace);
	}
	if (e == EEXIST) {
		/* A PUT or a GFN fetch placed it meanwhile: theirs stays. */
		reb_stream_drop(s);
		return reb_ack(ctx, AIS__REB_VERDICT__REB_HAVE);
	}
	if (e != 0) {
		return reb_fail(ctx, s, ais_err_from_errno(e), "rename");
	}
	s->wfqn[0] = '\0'; /* it is the object now */
	reb_stream_drop(s);
	reb_shared_count_in(st->sh, v, size);
	return reb_ack(ctx, AIS__REB_VERDICT__REB_STORED);
}

static ais_err
reb_recv_on_chunk(void *state, act_ctx *ctx, const act_msg *msg)
{
	reb_recv *st = state;
	Ais__RebChunk *c;
	const uint8_t *data = NULL;
	size_t dlen = 0;
	char uname[AIS_OBJNAME_MAX + 256];
	const char *provider;
	reb_stream *s;
	const char *from;
	int64_t newest;
	ais_err err;
	bool replied;

	if (reb_chunk_parse(msg->data, msg->len, &c, &data, &dlen) != AIS_OK) {
		(void) reb_fail(ctx, NULL, AIS_EPROTO, "malformed chunk");
		return AIS_OK;
	}
	provider = ais_provider_norm(c->provider);
	/* Streams are keyed by sender: a local call ("") is this node. */
	from = msg->sender != NULL && msg->sender[0] != '\0'
	    ? msg->sender
	    : st->node->self.id;
	if (provider == NULL || c->ns == NULL || c->bck == NULL
	    || c->obj == NULL || ais_bckname_check(c->bck) != AIS_OK
	    || ais_objname_check(c->obj, strlen(c->obj), false) != AIS_OK
	    || c->offset < 0 || c->size < 0
	    || ais_uname(uname, sizeof(uname), provider, c->ns, c->bck, c->obj)
	        == 0) {
		err = reb_fail(ctx, NULL, AIS_EINVAL, "bad chunk");
		goto out;
	}
	pthread_mutex_lock(&st->sh->mu);
	newest = st->sh->job_smap_v;
	pthread_mutex_unlock(&st->sh->mu);
	if (c->smap_version < newest) {
		/* Placed by a Smap this target already rebalanced past. */
		err = reb_fail(ctx, NULL, AIS_ESTALE, "stale rebalance");
		goto out;
	}
	s = reb_stream_find(st, from, uname);
	if (c->offset == 0) {
		if (s != NULL) {
			reb_stream_drop(s); /* the sender starts over */
		}
		s = reb_stream_open(
		    st, ctx, from, c, provider, uname, &replied);
		if (s == NULL) {
			err = AIS_OK;
			goto out;
		}
	} else if (s == NULL || c->offset != s->got) {
		err = reb_fail(ctx, s, AIS_EPROTO, "out-of-order chunk");
		goto out;
	}
	if (s->got + (int64_t) dlen > s->md.size) {
		err = reb_fail(ctx, s, AIS_EPROTO, "more data than the size");
		goto out;
	}
	for (size_t off = 0; off < dlen;) {
		ssize_t n = write(s->fd, data + off, dlen - off);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			err = reb_fail(
			    ctx, s, ais_err_from_errno(errno), "write");
			goto out;
		}
		off += (size_t) n;
	}
	ais_cksum_update(&s->ck, data, dlen);
	s->got += (int64_t) dlen;
	s->last_ms = reb_mono_ms();
	if (c->last) {
		err = reb_stream_commit(ctx, st, s, c->smap_version);
	} else {
		err = reb_ack(ctx, AIS__REB_VERDICT__REB_CONT);
	}
out:
	ais__reb_chunk__free_unpacked(c, NULL);
	return err == AIS_EINTERNAL ? AIS_EINTERNAL : AIS_OK;
}

static ais_err
reb_recv_on_tick(void *state, act_ctx *ctx, const act_msg *msg)
{
	reb_recv *st = state;
	int64_t now = reb_mono_ms();

	(void) ctx;
	(void) msg;
	for (size_t i = 0; i < st->ns; i++) {
		reb_stream *s = &st->s[i];

		if (s->used && now - s->last_ms > REB_STREAM_IDLE_MS) {
			AIS_LOGW("AIS-REB-RECV-IDLE",
			    "%s from t[%s]: sender went silent, dropped",
			    s->uname, s->from);
			reb_stream_drop(s);
		}
	}
	return AIS_OK;
}

static ais_err
reb_recv_init(void *state, act_actor *self, void *arg)
{
	reb_recv *st = state;
	uint32_t tid;

	st->node = arg;
	st->sh = reb_shared_of(st->node);
	if (st->sh == NULL) {
		return AIS_ENOMEM;
	}
	st->s = calloc(REB_STREAMS_MIN, sizeof(*st->s));
	if (st->s == NULL) {
		return AIS_ENOMEM;
	}
	st->ns = REB_STREAMS_MIN;
	for (size_t i = 0; i < st->ns; i++) {
		st->s[i].fd = -1;
	}
	return act_timer_start(self, 1, REB_RECV_TICK_MS, true, &tid);
}

static void
reb_recv_fini(void *state)
{
	reb_recv *st = state;

	for (size_t i = 0; i < st->ns; i++) {
		reb_stream_drop(&st->s[i]);
	}
	free(st->s);
	st->s = NULL;
	st->ns = 0;
}

static const act_handler reb_recv_handlers[AIS_MSG__COUNT] = {
	[AIS_MSG_TIMER] = reb_recv_on_tick,
	[AIS_MSG_REB_CHUNK] = reb_recv_on_chunk,
};

static const char *const reb_recv_names[AIS_REB_RECV_ACTORS] = {
	"reb-recv-0",
	"reb-recv-1",
	"reb-recv-2",
	"reb-recv-3",
};

const char *
ais_reb_recv_name(size_t i)
{
	return reb_recv_names[i % AIS_REB_RECV_ACTORS];
}

#define REB_RECV_OPS(i)                                                       \
	{                                                                     \
		.name = "reb-recv-" #i, .state_size = sizeof(reb_recv),       \
		.init = reb_recv_init, .fini = reb_recv_fini,                 \
		.handlers = reb_recv_handlers, .nhandlers = AIS_MSG__COUNT,   \
	}

const act_ops reb_recv_ops[AIS_REB_RECV_ACTORS] = {
	REB_RECV_OPS(0),
	REB_RECV_OPS(1),
	REB_RECV_OPS(2),
	REB_RECV_OPS(3),
};
