/* Global rebalance: placeholder until the rebalance actor lands. */
#include "actors/node/node.h"

void
ais_tgt_smap_changed(ais_node *n, const ais_smap *old, const ais_smap *nw)
{
	(void) n;
	(void) old;
	(void) nw;
}
