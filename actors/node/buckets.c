/*
 * buckets: the one writer of bucket metadata (spec native-api.md section 3).
 *
 * Runs on every node but acts only on the primary; elsewhere it answers
 * AIS_EPERM, and HTTP handlers on other proxies send their requests here
 * over NNG (act_call to the primary's "buckets"). One AIS_MSG_BCK_REQ is
 * one change: create-bck, destroy-bck, set-bprops or reset-bprops. Each
 * change clones the published BMD, edits the clone, bumps its version and
 * hands it to the local metasync (AIS_MSG_META_SYNC), which persists,
 * publishes and pushes it to every node; the reply (BckResp) carries the
 * new version so the caller can wait until its own node has it.
 *
 * Because the actor handles one message at a time, clone-edit-publish never
 * races with another bucket change. Errors come back as the reply status
 * plus a message that already names the bucket the AIS way
 * (`bucket "ais://b" does not exist`): http/ only maps the status.
 *
 * Bucket IDs: (new BMD version << 24) | 24 random bits. BMD versions only
 * grow and each version creates at most one bucket, so a BID is never
 * reused -- not even by a bucket re-created under the same name, which is
 * how targets tell the new bucket from the old one's leftovers.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "actors/node/node.h"
#include "actors/node/node_actors.h"
#include "core/bprops.h"
#include "core/fqn.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "proto/msg.h"

#define BCK_SYNC_CALL_MS 10000
#define BCK_ERR_MAX      512

typedef struct bck_state {
	ais_node *node;
	act_actor *self;
} bck_state;

/* One request being handled. */
typedef struct bck_req {
	const char *action;
	const char *provider; /* normalized */
	const char *ns;       /* "" or "@#name" */
	const char *name;
	json_t *value;   /* parsed ActMsg value or NULL */
	char cname[160]; /* ais://[#ns/]name, for messages */
} bck_req;

static ais_err bck_fail(act_ctx *ctx, ais_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ais_err
bck_fail(act_ctx *ctx, ais_err err, const char *fmt, ...)
{
	char msg[BCK_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return act_reply(ctx, AIS_MSG_BCK_RESP, err, msg, NULL, 0);
}

static const char *
bck_scheme(const char *provider)
{
	static const char *const tab[][2] = {
		{ "ais", "ais" },
		{ "aws", "s3" },
		{ "gcp", "gs" },
		{ "azure", "az" },
		{ "oci", "oc" },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(provider, tab[i][0]) == 0) {
			return tab[i][1];
		}
	}
	return provider;
}

/* <scheme>://[<ns>/]<bucket>: "@#name" prints as "#name". */
static void
bck_cname(bck_req *q)
{
	const char *ns = q->ns;

	if (ns[0] == '\0' || strcmp(ns, "@#") == 0) {
		snprintf(q->cname, sizeof(q->cname), "%s://%s",
		    bck_scheme(q->provider), q->name);
		return;
	}
	if (strncmp(ns, "@#", 2) == 0) {
		ns++;
	}
	snprintf(q->cname, sizeof(q->cname), "%s://%s/%s",
	    bck_scheme(q->provider), ns, q->name);
}

static int64_t
bck_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t
bck_new_bid(int64_t new_version)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t) sizeof(r)) {
		r = (uint32_t) bck_now_ns();
	}
	return ((uint64_t) new_version << 24) | (r & 0xffffffu);
}

/* Rules the props code cannot check alone: remote backends do not exist
 * yet, and EC needs D+P+1 targets (unless forced). */
static ais_err
bck_check_props(bck_state *st, const bck_req *q, const json_t *props,
    char *ebuf, size_t elen)
{
	const char *bname
	    = json_string_value(ais_json_path(props, "backend_bck.name"));

	if (bname != NULL && bname[0] != '\0') {
		const char *bp = json_string_value(
		    ais_json_path(props, "backend_bck.provider"));
		snprintf(ebuf, elen,
		    "%s: backend bucket %s://%s: remote backends are not "
		    "supported yet",
		    q->cname, bck_scheme(bp ? bp : ""), bname);
		return AIS_EINVAL;
	}
	if (json_is_true(ais_json_path(props, "ec.enabled"))) {
		bool force = false;
		ais_smap *m = ais_node_smap(st->node);
		int64_t d = json_integer_value(
		    ais_json_path(props, "ec.data_slices"));
		int64_t p = json_integer_value(
		    ais_json_path(props, "ec.parity_slices"));
		size_t nt = m ? m->ntargets : 0;

		ais_smap_rele(m);
		if (q->value != NULL) {
			ais_json_bool(q->value, "force", &force);
		}
		if (!force && (int64_t) nt < d + p + 1) {
			snprintf(ebuf, elen,
			    "%s: erasure coding with %" PRId64
			    " data and %" PRId64
			    " parity slices needs at least "
			    "%" PRId64 " targets, the cluster has %zu",
			    q->cname, d, p, d + p + 1, nt);
			return AIS_EINVAL;
		}
	}
	return AIS_OK;
}

/* Publishes `nb` (version already bumped) and replies with its version. */
static ais_err
bck_commit(bck_state *st, act_ctx *ctx, const bck_req *q, ais_bmd *nb)
{
	char reason[224];
	ais_err err;

	snprintf(reason, sizeof(reason), "%s %s", q->action, q->cname);
	err = ais_node_meta_commit(st->node, NULL, nb, NULL, reason,
	    BCK_SYNC_CALL_MS);
	if (err != AIS_OK) {
		AIS_LOGE("AIS-BCK-SYNC", "%s: BMD v%lld not committed: %s",
		    reason, (long long) nb->version, ais_strerror(err));
		return bck_fail(ctx, err, "%s: failed to commit BMD v%lld: %s",
		    q->cname, (long long) nb->version, ais_strerror(err));
	}
	AIS_LOGN("AIS-BCK-CHANGE", "%s: BMD v%lld", reason,
	    (long long) nb->version);
	Ais__BckResp br = AIS__BCK_RESP__INIT;
	br.bmd_version = nb->version;
	uint8_t buf[32];
	size_t len = ais__bck_resp__pack(&br, buf);
	return act_reply(ctx, AIS_MSG_BCK_RESP, AIS_OK, NULL, buf, len);
}

/* Replaces (or adds, props != NULL) / removes (props == NULL) the bucket
 * in a clone of cur, bumps the version and commits. */
static ais_err
bck_publish(bck_state *st, act_ctx *ctx, const bck_req *q, const ais_bmd *cur,
    bool present, const json_t *props)
{
	ais_bmd *nb = NULL;
	ais_err err = ais_bmd_clone(cur, &nb);

	if (err == AIS_OK && present) {
		err = ais_bmd_del(nb, q->provider, q->ns, q->name);
	}
	if (err == AIS_OK && props != NULL) {
		err = ais_bmd_add(nb, q->provider, q->ns, q->name, props);
	}
	if (err != AIS_OK) {
		ais_bmd_rele(nb);
		return bck_fail(ctx, err, "%s: cannot update BMD: %s",
		    q->cname, ais_strerror(err));
	}
	nb->version = cur->version + 1;
	err = bck_commit(st, ctx, q, nb);
	ais_bmd_rele(nb);
	return err;
}

static ais_err
bck_create(bck_state *st, act_ctx *ctx, const bck_req *q, const ais_bmd *cur)
{
	char ebuf[BCK_ERR_MAX];
	json_t *props = NULL;
	ais_cconfig *c;
	ais_err err;

	if (ais_bmd_get(cur, q->provider, q->ns, q->name) != NULL) {
		return bck_fail(
		    ctx, AIS_EEXIST, "bucket \"%s\" already exists", q->cname);
	}
	c = ais_node_ccfg(st->node);
	err = ais_bprops_new(c, q->provider, bck_new_bid(cur->version + 1),
	    bck_now_ns(), &props);
	ais_cconfig_rele(c);
	if (err != AIS_OK) {
		return bck_fail(ctx, err, "%s: cannot make bucket props: %s",
		    q->cname, ais_strerror(err));
	}
	ebuf[0] = '\0';
	err = ais_bprops_apply(props, q->value, ebuf, sizeof(ebuf));
	if (err == AIS_OK) {
		err = bck_check_props(st, q, props, ebuf, sizeof(ebuf));
	}
	if (err != AIS_OK) {
		json_decref(props);
		return bck_fail(ctx, err, "failed to create bucket %s: %s",
		    q->cname, ebuf);
	}
	err = bck_publish(st, ctx, q, cur, false, props);
	json_decref(props);
	return err;
}

static ais_err
bck_set_props(bck_state *st, act_ctx *ctx, const bck_req *q,
    const ais_bck *have, const ais_bmd *cur, bool reset)
{
	char ebuf[BCK_ERR_MAX];
	json_t *props = NULL;
	ais_err err;

	ebuf[0] = '\0';
	if (reset) {
		/* Back to the current cluster defaults; the bucket keeps its
		 * identity (bid, creation time). */
		ais_bprops v;
		ais_cconfig *c = ais_node_ccfg(st->node);
		ais_bprops_view(have->props, &v);
		err = ais_bprops_new(c, q->provider, v.bid, v.created, &props);
		ais_cconfig_rele(c);
	} else {
		if (q->value == NULL || !json_is_object(q->value)) {
			return bck_fail(ctx, AIS_EINVAL,
			    "%s: set-bprops requires the properties to set "
			    "(a JSON object value)",
			    q->cname);
		}
		props = json_deep_copy(have->props);
		err = props
		    ? ais_bprops_apply(props, q->value, ebuf, sizeof(ebuf))
		    : AIS_ENOMEM;
		if (err == AIS_OK) {
			err = bck_check_props(
			    st, q, props, ebuf, sizeof(ebuf));
		}
	}
	if (err != AIS_OK) {
		json_decref(props);
		return bck_fail(ctx, err, "failed to %s %s: %s", q->action,
		    q->cname, ebuf[0] ? ebuf : ais_strerror(err));
	}
	err = bck_publish(st, ctx, q, cur, true, props);
	json_decref(props);
	return err;
}

static ais_err
bck_on_req(void *state, act_ctx *ctx, const act_msg *msg)
{
	bck_state *st = state;
	ais_node *n = st->node;
	ais_bmd *cur = NULL;
	bck_req q = { 0 };
	ais_err err;

	if (!ais_node_is_primary(n)) {
		return bck_fail(
		    ctx, AIS_EPERM, "%s is not the primary", n->self.id);
	}
	Ais__BckReq *rq = ais__bck_req__unpack(NULL, msg->len, msg->data);
	if (rq == NULL) {
		return bck_fail(ctx, AIS_EPROTO, "malformed bucket request");
	}
	q.action = rq->action ? rq->action : "";
	q.provider = ais_provider_norm(rq->provider);
	q.ns = rq->ns ? rq->ns : "";
	q.name = rq->name ? rq->name : "";
	if (q.provider == NULL) {
		err = bck_fail(ctx, AIS_EINVAL,
		    "invalid backend provider \"%s\"",
		    rq->provider ? rq->provider : "");
		goto out;
	}
	bck_cname(&q);
	if (ais_bckname_check(q.name) != AIS_OK) {
		err = bck_fail(
		    ctx, AIS_EINVAL, "invalid bucket name \"%s\"", q.name);
		goto out;
	}
	if (rq->value_json != NULL && rq->value_json[0] != '\0') {
		json_error_t jerr;
		q.value = json_loads(rq->value_json, JSON_DECODE_ANY, &jerr);
		if (q.value == NULL) {
			err = bck_fail(ctx, AIS_EINVAL,
			    "%s: invalid JSON value: %s", q.cname, jerr.text);
			goto out;
		}
		if (json_is_null(q.value)) {
			json_decref(q.value);
			q.value = NULL;
		}
	}
	cur = ais_node_bmd(n);
	if (cur == NULL) {
		err = bck_fail(
		    ctx, AIS_EAGAIN, "bucket metadata is not available yet");
		goto out;
	}
	const ais_bck *have = ais_bmd_get(cur, q.provider, q.ns, q.name);
	if (strcmp(q.action, "create-bck") == 0) {
		err = bck_create(st, ctx, &q, cur);
	} else if (have == NULL
	    && (strcmp(q.action, "destroy-bck") == 0
	        || strcmp(q.action, "set-bprops") == 0
	        || strcmp(q.action, "reset-bprops") == 0)) {
		err = bck_fail(
		    ctx, AIS_ENOENT, "bucket \"%s\" does not exist", q.cname);
	} else if (strcmp(q.action, "destroy-bck") == 0) {
		err = bck_publish(st, ctx, &q, cur, true, NULL);
	} else if (strcmp(q.action, "set-bprops") == 0) {
		err = bck_set_props(st, ctx, &q, have, cur, false);
	} else if (strcmp(q.action, "reset-bprops") == 0) {
		err = bck_set_props(st, ctx, &q, have, cur, true);
	} else {
		err = bck_fail(ctx, AIS_EINVAL,
		    "%s: unsupported bucket action \"%s\"", q.cname, q.action);
	}
out:
	json_decref(q.value);
	ais_bmd_rele(cur);
	ais__bck_req__free_unpacked(rq, NULL);
	/* Every outcome was replied with its own status; err is only the
	 * reply's transport result, nothing the runtime can act on. */
	(void) err;
	return AIS_OK;
}

static ais_err
bck_init(void *state, act_actor *self, void *arg)
{
	bck_state *st = state;

	st->node = arg;
	st->self = self;
	return AIS_OK;
}

/* No state beyond the node: a restart is a fresh init. */
static ais_err
bck_reset(void *state, act_actor *self, void *arg)
{
	memset(state, 0, sizeof(bck_state));
	return bck_init(state, self, arg);
}

static const act_handler bck_handlers[AIS_MSG__COUNT] = {
	[AIS_MSG_BCK_REQ] = bck_on_req,
};

const act_ops ais_buckets_ops = {
	.name = AIS_ACTOR_BUCKETS,
	.state_size = sizeof(bck_state),
	.init = bck_init,
	.reset = bck_reset,
	.handlers = bck_handlers,
	.nhandlers = AIS_MSG__COUNT,
};
