/*
 * mpath: mountpath admin on a target (contract in mpath.h).
 *
 * State: the persisted mountpath state (ais_vmd: paths, labels, states) and
 * the current resilver. One change = edit a scratch copy of the state, save
 * it to <confdir>/.ais.vmd (atomic; a failed save changes nothing), swap
 * it in, publish the set it describes (ais_node_mpset_publish), then start
 * a resilver. The actor is the only writer, so edit-save-publish never
 * races with another change; the resilver's walk runs on its own threads
 * and reports back with AIS_MSG_RESILVER_DONE. The actor's own disk work
 * per request -- a few stat(2)s, one xattr, one small fsync'ed file -- is
 * done inline: admin requests are rare and nothing else waits on this
 * mailbox; object data is never touched here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "actors/node/mpath.h"
#include "actors/node/node.h"
#include "actors/node/resilver.h"
#include "core/log.h"
#include "core/mpset.h"
#include "core/xreg.h"
#include "proto/msg.h"

#define MP_ERR_MAX      512
#define MP_NODEID_XATTR "user.ais.daemon_id"

typedef struct mp_state {
	ais_node *node;
	act_actor *self;
	ais_vmd *vmd;     /* current (persisted, published) */
	ais_vmd *scratch; /* the next one, while a change is being made */
	char file[PATH_MAX + 16];
	ais_resilver *rsl; /* running (or finished, not yet reported) */
} mp_state;

/* One request. */
typedef struct mp_req {
	const char *action;
	char path[PATH_MAX]; /* cleaned */
	const char *label;
	bool dntres;
} mp_req;

static ais_err mp_fail(act_ctx *ctx, ais_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ais_err
mp_fail(act_ctx *ctx, ais_err err, const char *fmt, ...)
{
	char msg[MP_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return act_reply(ctx, AIS_MSG_MPATH_RESP, err, msg, NULL, 0);
}

static size_t
mp_count(const ais_vmd *v, ais_mp_state s)
{
	size_t k = 0;

	for (size_t i = 0; i < v->n; i++) {
		k += v->mps[i].state == s;
	}
	return k;
}

/* Saves `next` and makes it current: persisted first, then published. */
static ais_err
mp_commit(mp_state *st, ais_vmd *next, char *ebuf, size_t elen)
{
	ais_mpset *set = NULL;
	ais_err err;

	next->version = st->vmd->version + 1;
	err = ais_vmd_to_mpset(next, next->version, &set);
	if (err != AIS_OK) {
		ais_errbuf_set(ebuf, elen,
		    "cannot build the mountpath set: %s", ais_strerror(err));
		return err;
	}
	err = ais_vmd_save(st->file, next);
	if (err != AIS_OK) {
		ais_mpset_free_all(set);
		ais_errbuf_set(ebuf, elen, "cannot persist %s: %s", st->file,
		    ais_strerror(err));
		return err;
	}
	st->scratch = st->vmd;
	st->vmd = next;
	ais_node_mpset_publish(st->node, set);
	return AIS_OK;
}

/* Starts a resilver over the published set; "" when it could not start. */
static void
mp_resilver(mp_state *st, const char *why, char *id, size_t idlen)
{
	ais_resilver_opts o = {
		.rt = st->node->rt,
		.actor = AIS_ACTOR_MPATH,
	};
	ais_resilver *r = NULL;
	ais_err err
	    = ais_resilver_start(ais_node_mpset(st->node), st->rsl, &o, &r);

	id[0] = '\0';
	if (err != AIS_OK) {
		AIS_LOGE("AIS-RESILVER-NOSTART",
		    "%s: cannot start resilver: %s", why, ais_strerror(err));
		return;
	}
	st->rsl = r; /* owns the previous one now */
	snprintf(id, idlen, "%s", ais_resilver_id(r));
	AIS_LOGN("AIS-MPATH-RESILVER", "%s: resilver[%s]", why, id);
}

static ais_err
mp_reply_ok(act_ctx *ctx, const char *rsl_id, int64_t version, bool changed)
{
	Ais__MpathResp m = AIS__MPATH_RESP__INIT;
	uint8_t buf[128];
	size_t len;

	m.resilver_id = (char *) rsl_id;
	m.version = version;
	m.changed = changed;
	len = ais__mpath_resp__pack(&m, buf);
	return act_reply(ctx, AIS_MSG_MPATH_RESP, AIS_OK, NULL, buf, len);
}

/* Commits the scratch state. moved: the available set changed, so objects
 * have new places -- resilver, unless told not to (then the running one,
 * which works towards a set that is gone, is only aborted). */
static ais_err
mp_apply(mp_state *st, act_ctx *ctx, const mp_req *q, bool moved)
{
	char ebuf[MP_ERR_MAX], id[AIS_XACT_ID_MAX + 1] = "",
	                                            why[PATH_MAX + 64];
	ais_err err = mp_commit(st, st->scratch, ebuf, sizeof(ebuf));

	if (err != AIS_OK) {
		AIS_LOGE(
		    "AIS-MPATH-COMMIT", "%s %s: %s", q->action, q->path, ebuf);
		return mp_fail(
		    ctx, err, "%s %s: %s", q->action, q->path, ebuf);
	}
	AIS_LOGN("AIS-MPATH-CHANGE", "%s %s: mountpaths v%lld", q->action,
	    q->path, (long long) st->vmd->version);
	snprintf(why, sizeof(why), "%s %s", q->action, q->path);
	if (moved && !q->dntres) {
		mp_resilver(st, why, id, sizeof(id));
	} else if (moved && st->rsl != NULL) {
		/* It could fill a just-disabled mountpath; its DONE frees
		 * it. */
		ais_resilver_abort(st->rsl, "mountpaths changed");
	}
	return mp_reply_ok(ctx, id, st->vmd->version, true);
}

/* The xattr user.ais.daemon_id on a new mountpath: ours, or none yet. */
static ais_err
mp_claim(mp_state *st, const char *path, char *ebuf, size_t elen)
{
	char id[AIS_ID_MAX + 2];
	ssize_t n = getxattr(path, MP_NODEID_XATTR, id, AIS_ID_MAX);

	if (n >= 0) {
		id[n] = '\0';
		if (strcmp(id, st->node->self.id) != 0) {
			ais_errbuf_set(ebuf, elen,
			    "mountpath \"%s\" belongs to target %s (xattr %s)",
			    path, id, MP_NODEID_XATTR);
			return AIS_ECONFLICT;
		}
		return AIS_OK;
	}
	if (errno != ENODATA && errno != ENOTSUP && errno != ERANGE) {
		ais_errbuf_set(
		    ebuf, elen, "mountpath \"%s\": %s", path, strerror(errno));
		return ais_err_from_errno(errno);
	}
	if (setxattr(path, MP_NODEID_XATTR, st->node->self.id,
	        strlen(st->node->self.id), 0)
	    != 0) {
		if (errno == ENOTSUP) {
			AIS_LOGW("AIS-NODEID-NOXATTR",
			    "mountpath %s: no user xattrs; node ID kept in "
			    "confdir only",
			    path);
			return AIS_OK;
		}
		ais_errbuf_set(ebuf, elen, "mountpath \"%s\": setting %s: %s",
		    path, MP_NODEID_XATTR, strerror(errno));
		return ais_err_from_errno(errno);
	}
	return AIS_OK;
}

static ais_err
mp_attach(mp_state *st, act_ctx *ctx, const mp_req *q)
{
	char ebuf[MP_ERR_MAX];
	ais_vmd *v = st->scratch;
	ais_err err;

	if (q->label != NULL && strlen(q->label) > AIS_MPATH_LABEL_MAX) {
		return mp_fail(ctx, AIS_EINVAL,
		    "mountpath label \"%.32s...\" is too long (max %d)",
		    q->label, AIS_MPATH_LABEL_MAX);
	}
	err = ais_vmd_check_new(st->vmd, q->path, ebuf, sizeof(ebuf));
	if (err == AIS_OK) {
		err = mp_claim(st, q->path, ebuf, sizeof(ebuf));
	}
	if (err != AIS_OK) {
		return mp_fail(ctx, err, "%s", ebuf);
	}
	memcpy(v, st->vmd, sizeof(*v));
	ais_vmd_mp *m = &v->mps[v->n++];
	snprintf(m->path, sizeof(m->path), "%s", q->path);
	snprintf(m->label, sizeof(m->label), "%s", q->label ? q->label : "");
	m->state = AIS_MP_ENABLED;
	return mp_apply(st, ctx, q, true);
}

/* Removes entry i from v. */
static void
mp_remove(ais_vmd *v, size_t i)
{
	memmove(
	    &v->mps[i], &v->mps[i + 1], (v->n - i - 1) * sizeof(v->mps[0]));
	v->n--;
}

/* enable-mp, disable-mp, detach-mp, rescan-mp, fshc-mp on an attached
 * mountpath (index i in the current state). */
static ais_err
mp_change(mp_state *st, act_ctx *ctx, const mp_req *q, size_t i)
{
	ais_vmd *v = st->scratch;
	const ais_vmd_mp *cur = &st->vmd->mps[i];
	size_t navail = mp_count(st->vmd, AIS_MP_ENABLED);
	struct stat sb;

	memcpy(v, st->vmd, sizeof(*v));
	if (strcmp(q->action, "enable-mp") == 0) {
		if (cur->state == AIS_MP_ENABLED) {
			return mp_reply_ok(ctx, "", st->vmd->version, false);
		}
		if (stat(q->path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			return mp_fail(ctx, AIS_EINVAL,
			    "cannot enable mountpath \"%s\": not an "
			    "accessible "
			    "directory",
			    q->path);
		}
		v->mps[i].state = AIS_MP_ENABLED;
		return mp_apply(st, ctx, q, true);
	}
	if (strcmp(q->action, "disable-mp") == 0) {
		if (cur->state == AIS_MP_DISABLED) {
			return mp_reply_ok(ctx, "", st->vmd->version, false);
		}
		if (cur->state == AIS_MP_DETACHING) {
			return mp_fail(ctx, AIS_EINVAL,
			    "mountpath \"%s\" is being detached", q->path);
		}
		if (navail <= 1) {
			return mp_fail(ctx, AIS_EINVAL,
			    "cannot disable \"%s\": it is the last available "
			    "mountpath",
			    q->path);
		}
		v->mps[i].state = AIS_MP_DISABLED;
		return mp_apply(st, ctx, q, true);
	}
	if (strcmp(q->action, "detach-mp") == 0) {
		if (cur->state == AIS_MP_ENABLED && navail <= 1) {
			return mp_fail(ctx, AIS_EINVAL,
			    "cannot detach \"%s\": it is the last available "
			    "mountpath",
			    q->path);
		}
		if (cur->state == AIS_MP_DISABLED || q->dntres) {
			/* Nothing to move (or told not to). */
			mp_remove(v, i);
			return mp_apply(
			    st, ctx, q, cur->state != AIS_MP_DISABLED);
		}
		if (cur->state == AIS_MP_DETACHING) {
			char id[AIS_XACT_ID_MAX + 1], why[PATH_MAX + 32];
			snprintf(
			    why, sizeof(why), "detach-mp %s (retry)", q->path);
			mp_resilver(st, why, id, sizeof(id));
			return mp_reply_ok(ctx, id, st->vmd->version, false);
		}
		v->mps[i].state = AIS_MP_DETACHING;
		return mp_apply(st, ctx, q, true);
	}
	if (strcmp(q->action, "rescan-mp") == 0) {
		char id[AIS_XACT_ID_MAX + 1] = "", why[PATH_MAX + 32];
		snprintf(why, sizeof(why), "rescan-mp %s", q->path);
		if (!q->dntres) {
			mp_resilver(st, why, id, sizeof(id));
		}
		return mp_reply_ok(ctx, id, st->vmd->version, false);
	}
	if (strcmp(q->action, "fshc-mp") == 0) {
		char probe[PATH_MAX + 32];
		int fd;
		bool ok = stat(q->path, &sb) == 0 && S_ISDIR(sb.st_mode);

		snprintf(probe, sizeof(probe), "%s/.ais.fshc.%d", q->path,
		    (int) getpid());
		if (ok && cur->state != AIS_MP_DISABLED) {
			fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			ok = fd >= 0 && write(fd, "ok", 2) == 2;
			if (fd >= 0) {
				ok = close(fd) == 0 && ok;
				unlink(probe);
			}
		}
		if (ok || cur->state != AIS_MP_ENABLED) {
			return mp_reply_ok(ctx, "", st->vmd->version, false);
		}
		AIS_LOGE("AIS-MPATH-FSHC",
		    "mountpath %s failed its health "
		    "check: disabling",
		    q->path);
		if (navail <= 1) {
			return mp_fail(ctx, AIS_EIO,
			    "mountpath \"%s\" failed its health check (it is "
			    "the last available one: kept)",
			    q->path);
		}
		v->mps[i].state = AIS_MP_DISABLED;
		return mp_apply(st, ctx, q, true);
	}
	return mp_fail(
	    ctx, AIS_EINVAL, "invalid mountpath action \"%s\"", q->action);
}

static bool
mp_action_known(const char *a)
{
	static const char *const acts[] = { "attach-mp", "enable-mp",
		"detach-mp", "disable-mp", "rescan-mp", "fshc-mp" };

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		if (strcmp(a, acts[i]) == 0) {
			return true;
		}
	}
	return false;
}

static ais_err
mp_on_req(void *state, act_ctx *ctx, const act_msg *msg)
{
	mp_state *st = state;
	char ebuf[MP_ERR_MAX];
	mp_req q = { 0 };
	ais_err err;
	int i;

	Ais__MpathReq *rq = ais__mpath_req__unpack(NULL, msg->len, msg->data);
	if (rq == NULL) {
		(void) mp_fail(ctx, AIS_EPROTO, "malformed mountpath request");
		return AIS_OK;
	}
	q.action = rq->action ? rq->action : "";
	q.label = rq->label;
	q.dntres = rq->dont_resilver;
	if (!mp_action_known(q.action)) {
		err = mp_fail(ctx, AIS_EINVAL,
		    "invalid mountpath action \"%s\"", q.action);
		goto out;
	}
	if (rq->path == NULL || rq->path[0] == '\0') {
		err = mp_fail(ctx, AIS_EINVAL,
		    "%s: missing mountpath (ActMsg value)", q.action);
		goto out;
	}
	if (ais_mpath_clean(
	        rq->path, q.path, sizeof(q.path), ebuf, sizeof(ebuf))
	    != AIS_OK) {
		err = mp_fail(ctx, AIS_EINVAL, "%s: %s", q.action, ebuf);
		goto out;
	}
	if (strcmp(q.action, "attach-mp") == 0) {
		err = mp_attach(st, ctx, &q);
		goto out;
	}
	i = ais_vmd_find(st->vmd, q.path);
	if (i < 0) {
		err = mp_fail(ctx, AIS_ENOENT,
		    "%s: mountpath \"%s\" is not attached to t[%s]", q.action,
		    q.path, st->node->self.id);
		goto out;
	}
	err = mp_change(st, ctx, &q, (size_t) i);
out:
	ais__mpath_req__free_unpacked(rq, NULL);
	/* Every outcome was replied with its own status. */
	(void) err;
	return AIS_OK;
}

static ais_err
mp_on_resilver_done(void *state, act_ctx *ctx, const act_msg *msg)
{
	mp_state *st = state;
	char ebuf[MP_ERR_MAX];
	ais_vmd *v = st->scratch;
	(void) ctx;

	Ais__ResilverDone *d
	    = ais__resilver_done__unpack(NULL, msg->len, msg->data);
	if (d == NULL) {
		return AIS_EPROTO;
	}
	if (st->rsl == NULL || d->id == NULL
	    || strcmp(d->id, ais_resilver_id(st->rsl)) != 0) {
		/* A superseded one: its successor joined it. */
		ais__resilver_done__free_unpacked(d, NULL);
		return AIS_OK;
	}
	ais_resilver_join_free(st->rsl); /* it has finished: no wait */
	st->rsl = NULL;
	size_t nwait = mp_count(st->vmd, AIS_MP_DETACHING);
	if (nwait > 0 && (d->aborted || d->errors > 0)) {
		AIS_LOGW("AIS-MPATH-DETACH-PENDING",
		    "resilver[%s] %s (%lld errors): %zu mountpath(s) stay "
		    "waiting for detach; detach-mp again to retry",
		    d->id, d->aborted ? "aborted" : "ended",
		    (long long) d->errors, nwait);
	} else if (nwait > 0) {
		memcpy(v, st->vmd, sizeof(*v));
		for (size_t i = v->n; i-- > 0;) {
			if (v->mps[i].state == AIS_MP_DETACHING) {
				AIS_LOGN("AIS-MPATH-DETACHED",
				    "mountpath %s detached", v->mps[i].path);
				mp_remove(v, i);
			}
		}
		if (mp_commit(st, v, ebuf, sizeof(ebuf)) != AIS_OK) {
			AIS_LOGE("AIS-MPATH-COMMIT", "detach: %s", ebuf);
		}
	}
	ais__resilver_done__free_unpacked(d, NULL);
	return AIS_OK;
}

/* True if set s is what v describes. */
static bool
mp_set_matches(const ais_mpset *s, const ais_vmd *v)
{
	ais_mpset *want = NULL;
	bool same;

	if (ais_vmd_to_mpset(v, 0, &want) != AIS_OK) {
		return false;
	}
	same = want->n == s->n && want->nwaiting == s->nwaiting
	    && want->ndisabled == s->ndisabled;
	for (size_t i = 0; same && i < s->n + s->ndisabled; i++) {
		same = strcmp(want->mem[i].path, s->mem[i].path) == 0;
	}
	ais_mpset_free_all(want);
	return same;
}

static ais_err
mp_init(void *state, act_actor *self, void *arg)
{
	mp_state *st = state;
	const ais_mpset *cur;
	char ebuf[256];
	ais_err err;

	st->node = arg;
	st->self = self;
	snprintf(st->file, sizeof(st->file), "%s/%s", st->node->lcfg.confdir,
	    AIS_VMD_FILE);
	st->vmd = calloc(1, sizeof(*st->vmd));
	st->scratch = calloc(1, sizeof(*st->scratch));
	if (st->vmd == NULL || st->scratch == NULL) {
		free(st->vmd);
		free(st->scratch);
		st->vmd = st->scratch = NULL;
		return AIS_ENOMEM;
	}
	cur = ais_node_mpset(st->node);
	err = ais_vmd_load(st->file, st->vmd, ebuf, sizeof(ebuf));
	if (err != AIS_OK) {
		/* Startup could not persist: the published set is the truth
		 * (labels unknown). */
		AIS_LOGW("AIS-MPATH-VMD", "%s; using the published set", ebuf);
		memset(st->vmd, 0, sizeof(*st->vmd));
		st->vmd->version = cur->version;
		for (size_t i = 0; i < cur->n + cur->ndisabled; i++) {
			ais_vmd_mp *m = &st->vmd->mps[st->vmd->n++];
			snprintf(
			    m->path, sizeof(m->path), "%s", cur->mem[i].path);
			m->state = i < cur->n            ? AIS_MP_ENABLED
			    : i < cur->n + cur->nwaiting ? AIS_MP_DETACHING
			                                 : AIS_MP_DISABLED;
		}
	} else if (!mp_set_matches(cur, st->vmd)) {
		ais_mpset *set = NULL;
		if (ais_vmd_to_mpset(st->vmd, cur->version + 1, &set)
		    == AIS_OK) {
			ais_node_mpset_publish(st->node, set);
		}
	}
	if (mp_count(st->vmd, AIS_MP_DETACHING) > 0) {
		char id[AIS_XACT_ID_MAX + 1];
		mp_resilver(
		    st, "finishing an interrupted detach", id, sizeof(id));
	}
	return AIS_OK;
}

static void
mp_fini(void *state)
{
	mp_state *st = state;

	if (st->rsl != NULL) {
		ais_resilver_abort(st->rsl, "node stopping");
		ais_resilver_join_free(st->rsl);
		st->rsl = NULL;
	}
	free(st->vmd);
	free(st->scratch);
	st->vmd = st->scratch = NULL;
}

static const act_handler mp_handlers[AIS_MSG__COUNT] = {
	[AIS_MSG_MPATH_REQ] = mp_on_req,
	[AIS_MSG_RESILVER_DONE] = mp_on_resilver_done,
};

const act_ops ais_mpath_ops = {
	.name = AIS_ACTOR_MPATH,
	.state_size = sizeof(mp_state),
	.init = mp_init,
	.reset = NULL, /* fini + init: state comes back from .ais.vmd */
	.fini = mp_fini,
	.handlers = mp_handlers,
	.nhandlers = AIS_MSG__COUNT,
};
