/* The node's actors, started by cmd/aisnode in this order (and stopped in
 * reverse): metasync, then membership (which uses metasync). */
#ifndef AIS_ACTORS_NODE_NODE_ACTORS_H
#define AIS_ACTORS_NODE_NODE_ACTORS_H

#include "actors/runtime/actor.h"

extern const act_ops ais_metasync_ops;   /* arg: ais_node * */
extern const act_ops ais_membership_ops; /* arg: ais_node * */
extern const act_ops ais_buckets_ops;    /* arg: ais_node *; after membership */
extern const act_ops ais_keepalive_ops;  /* arg: ais_node *; after membership */

#endif
