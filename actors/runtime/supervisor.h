/*
 * Per-node supervisor: starts actors in order, watches them, restarts a
 * failed one with exponential back-off, gives up past its restart budget
 * (more than max_restarts within window_ms), and stops everything in reverse
 * start order. A give-up is reported through on_giveup (the node then shuts
 * down with a non-zero exit) and in act_sup_status.
 */
#ifndef AIS_ACTORS_RUNTIME_SUPERVISOR_H
#define AIS_ACTORS_RUNTIME_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>

#include "actors/runtime/actor.h"
#include "core/err.h"

typedef struct act_sup act_sup;

typedef struct act_sup_policy {
	int max_restarts;    /* restarts allowed within window_ms */
	int64_t window_ms;
	int64_t backoff_min_ms; /* first restart delay, doubled each time */
	int64_t backoff_max_ms;
	/* Called once (from the supervisor thread) when an actor exceeded its
	 * budget; may be NULL. */
	void (*on_giveup)(void *cookie, const char *actor, ais_err last);
	void *cookie;
} act_sup_policy;

typedef enum act_child_state {
	ACT_CHILD_RUNNING = 0,
	ACT_CHILD_BACKOFF,  /* failed, waiting to restart */
	ACT_CHILD_GAVEUP,   /* past the budget; stays stopped */
	ACT_CHILD_STOPPED,
} act_child_state;

typedef struct act_child_status {
	act_child_state state;
	int restarts; /* total restarts so far */
} act_child_status;

ais_err act_sup_open(act_rt *rt, const act_sup_policy *policy,
    act_sup **out);
/* Starts a child (calls its init synchronously); children stop in reverse
 * order. arg is passed to init/reset and must outlive the supervisor. */
ais_err act_sup_start_child(act_sup *sup, const act_ops *ops, void *arg,
    act_actor **out);
ais_err act_sup_status(act_sup *sup, const char *name,
    act_child_status *out);
/* Stops every child in reverse order and frees the supervisor. */
void act_sup_close(act_sup *sup);

#endif
