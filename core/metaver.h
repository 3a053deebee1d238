/*
 * Version rules shared by Smap, BMD and cluster config: a node applies a
 * received version only if it is newer than what it has and (once the node
 * knows its cluster) carries the same cluster UUID.
 */
#ifndef AIS_CORE_METAVER_H
#define AIS_CORE_METAVER_H

#include <stdint.h>

typedef enum ais_metaver_verdict {
	AIS_METAVER_APPLY = 0, /* newer: persist and publish */
	AIS_METAVER_SAME,      /* equal version: nothing to do */
	AIS_METAVER_OLDER,     /* older: ignore and log, never apply */
	AIS_METAVER_FOREIGN,   /* different cluster uuid: refuse */
} ais_metaver_verdict;

/* cur_uuid may be "" or NULL (node does not know its cluster yet). */
ais_metaver_verdict ais_metaver_check(int64_t cur_version,
    const char *cur_uuid, int64_t new_version, const char *new_uuid);
const char *ais_metaver_str(ais_metaver_verdict v);

#endif
