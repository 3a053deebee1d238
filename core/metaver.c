/*
 * Metadata version rules, one place for Smap, BMD and cluster config: a
 * received copy replaces ours only if it belongs to our cluster and is
 * strictly newer. Equal versions are a no-op (metasync resends are common),
 * older ones are logged and dropped so a lagging sender can never roll a
 * node back.
 */
#include "core/metaver.h"

#include <stdbool.h>
#include <string.h>

static bool
ais_metaver_uuid_known(const char *uuid)
{
	return uuid != NULL && uuid[0] != '\0';
}

ais_metaver_verdict
ais_metaver_check(int64_t cur_version, const char *cur_uuid,
    int64_t new_version, const char *new_uuid)
{
	/* Identity first: a newer version of another cluster's map is still
	 * foreign. Once we know our cluster, metadata without a UUID is not
	 * "ours" either. */
	if (ais_metaver_uuid_known(cur_uuid) &&
	    (!ais_metaver_uuid_known(new_uuid) ||
	        strcmp(cur_uuid, new_uuid) != 0)) {
		return AIS_METAVER_FOREIGN;
	}
	if (new_version > cur_version) {
		return AIS_METAVER_APPLY;
	}
	if (new_version == cur_version) {
		return AIS_METAVER_SAME;
	}
	return AIS_METAVER_OLDER;
}

const char *
ais_metaver_str(ais_metaver_verdict v)
{
	switch (v) {
	case AIS_METAVER_APPLY:
		return "apply";
	case AIS_METAVER_SAME:
		return "same";
	case AIS_METAVER_OLDER:
		return "older";
	case AIS_METAVER_FOREIGN:
		return "foreign";
	}
	return "unknown";
}
