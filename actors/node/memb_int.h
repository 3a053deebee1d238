/*
 * Private to the membership actor (membership.c, memb_election.c,
 * memb_admin.c): its state and the helpers the three files share. One
 * actor, one thread: nothing here needs a lock.
 */
#ifndef AIS_ACTORS_NODE_MEMB_INT_H
#define AIS_ACTORS_NODE_MEMB_INT_H

#include "actors/node/node.h"
#include "proto/msg.h"

#define MEMB_JOIN_COOKIE 1
#define MEMB_JOIN_RETRY_MS 1000
#define MEMB_JOIN_CALL_MS 10000
#define MEMB_MAX_FAILED 16

typedef struct memb_state {
	ais_node *node;
	act_actor *self;
	int64_t join_deadline_ms; /* monotonic; 0 = no join in progress */
	int attempts;
	/* election (proxies): the term is (Smap version, lost primary) */
	int64_t elect_v;
	char elect_old[AIS_ID_MAX + 1];
	char cand[AIS_ID_MAX + 1];     /* whom we expect to win */
	int64_t cand_since_ms;
	size_t nfailed;                /* candidates that did not make it */
	char failed[MEMB_MAX_FAILED][AIS_ID_MAX + 1];
	/* our vote in the current term */
	int64_t voted_v;
	char voted_for[AIS_ID_MAX + 1];
	int64_t voted_ms;
} memb_state;

/* membership.c */
void memb_start_join(memb_state *st, const char *why);
ais_err memb_commit_smap(memb_state *st, const ais_smap *m,
    const char *reason);

/* memb_election.c */
ais_err memb_on_vote(void *state, act_ctx *ctx, const act_msg *msg);
void memb_primary_lost(memb_state *st);
void memb_no_quorum(memb_state *st);
/* Startup of a proxy that its persisted Smap calls primary: asks the other
 * proxies whether they moved on; installs a newer Smap if one answers.
 * Returns true if this node is (still) the primary afterwards. */
bool memb_discover(memb_state *st);
/* Any reply from the node's keepalive actor within timeout_ms. */
bool memb_ping(ais_node *n, const char *ctrl_url, int timeout_ms);
/* Asks each URL for its metadata (META_PULL) and installs whatever is
 * newer than ours through the local metasync. Returns the number of nodes
 * that answered. */
size_t memb_pull(memb_state *st, const char *const *urls, size_t n);

/* memb_admin.c */
ais_err memb_on_admin(void *state, act_ctx *ctx, const act_msg *msg);
ais_err memb_on_shutdown(void *state, act_ctx *ctx, const act_msg *msg);
void memb_node_silent(memb_state *st, const char *id);

#endif
