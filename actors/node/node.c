/*
 * The node's shared view: snapshot accessors over the published Smap, BMD
 * and cluster config, and the shutdown request that any thread (an actor
 * that learned the node was refused, the supervisor giving up) may raise.
 */
#include "actors/node/node.h"
#include "proto/msg.h"

#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Typed refcount functions behind the slot's void * callbacks (calling one
 * through the other's pointer type would be undefined behaviour). */
static void
node_smap_hold(void *p)
{
	ais_smap_hold(p);
}

static void
node_smap_rele(void *p)
{
	ais_smap_rele(p);
}

static void
node_bmd_hold(void *p)
{
	ais_bmd_hold(p);
}

static void
node_bmd_rele(void *p)
{
	ais_bmd_rele(p);
}

static void
node_ccfg_hold(void *p)
{
	ais_cconfig_hold(p);
}

static void
node_ccfg_rele(void *p)
{
	ais_cconfig_rele(p);
}

void
ais_node_snapslots_init(ais_node *n)
{
	ais_snapslot_init(&n->smap, node_smap_hold, node_smap_rele);
	ais_snapslot_init(&n->bmd, node_bmd_hold, node_bmd_rele);
	ais_snapslot_init(&n->ccfg, node_ccfg_hold, node_ccfg_rele);
}

void
ais_node_snapslots_fini(ais_node *n)
{
	ais_mpset_free_all(atomic_exchange(&n->mps, NULL));
	ais_snapslot_fini(&n->smap);
	ais_snapslot_fini(&n->bmd);
	ais_snapslot_fini(&n->ccfg);
}

ais_smap *
ais_node_smap(ais_node *n)
{
	return ais_snapslot_get(&n->smap);
}

ais_bmd *
ais_node_bmd(ais_node *n)
{
	return ais_snapslot_get(&n->bmd);
}

ais_cconfig *
ais_node_ccfg(ais_node *n)
{
	return ais_snapslot_get(&n->ccfg);
}

static const ais_mpset node_no_mpaths = { .n = 0 };

const ais_mpset *
ais_node_mpset(ais_node *n)
{
	const ais_mpset *s = atomic_load_explicit(&n->mps, memory_order_acquire);
	return s != NULL ? s : &node_no_mpaths;
}

void
ais_node_mpset_publish(ais_node *n, ais_mpset *s)
{
	ais_mpset *old = atomic_load(&n->mps);
	s->retired = old;
	atomic_store_explicit(&n->mps, s, memory_order_release);
}

bool
ais_node_is_primary(ais_node *n)
{
	ais_smap *m = ais_node_smap(n);
	bool yes = m != NULL && strcmp(m->primary, n->self.id) == 0;
	ais_smap_rele(m);
	return yes;
}

void
ais_node_meta_path(const ais_node *n, const char *what, char *buf, size_t len)
{
	snprintf(buf, len, "%s/.ais.%s", n->lcfg.confdir, what);
}

void
ais_node_shutdown(ais_node *n, int code)
{
	int zero = 0;
	if (code != 0) {
		atomic_compare_exchange_strong(&n->exit_code, &zero, code);
	}
	atomic_store(&n->stopping, true);
	/* main() waits in sigwait(); a signal is the one wake-up it hears. */
	kill(getpid(), SIGTERM);
}

ais_err
ais_node_meta_commit(ais_node *n, const ais_smap *m, const ais_bmd *b,
    const ais_cconfig *c, const char *reason, int timeout_ms)
{
	Ais__MetaPush mp = AIS__META_PUSH__INIT;
	char *ms = m ? ais_smap_dumps(m) : NULL;
	char *bs = b ? ais_bmd_dumps(b) : NULL;
	char *cs = c ? ais_cconfig_dumps(c) : NULL;
	ais_err err = AIS_ENOMEM;
	uint8_t *buf = NULL;
	act_reply_buf rep = { 0 };

	if ((m && !ms) || (b && !bs) || (c && !cs)) {
		goto out;
	}
	mp.smap_json = ms ? ms : "";
	mp.bmd_json = bs ? bs : "";
	mp.config_json = cs ? cs : "";
	mp.reason = (char *) reason;
	size_t len = ais__meta_push__get_packed_size(&mp);
	if ((buf = malloc(len)) == NULL) {
		goto out;
	}
	ais__meta_push__pack(&mp, buf);
	err = act_call(n->rt, NULL, AIS_ACTOR_METASYNC, AIS_MSG_META_SYNC,
	    buf, len, timeout_ms, &rep);
	if (err == AIS_OK) {
		err = rep.status;
	}
	act_reply_buf_fini(&rep);
out:
	free(buf);
	free(ms);
	free(bs);
	free(cs);
	return err;
}

