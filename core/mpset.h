/*
 * A target's mountpath set at one moment: the available mountpaths (HRW
 * places objects over exactly these) and the disabled ones (still attached,
 * data kept, not served). Published by the node (actors/node) and read by
 * any thread without locks.
 *
 * Sets are immutable and never freed while the process runs: a data-path
 * request keeps plain pointers into the set it started with for its whole
 * length, and mountpath changes are rare admin actions, so retiring old
 * sets until exit (a few KiB each) is cheaper and simpler than refcounting
 * every request.
 */
#ifndef AIS_CORE_MPSET_H
#define AIS_CORE_MPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/hrw.h"

typedef struct ais_mpset {
	int64_t version;        /* bumped by every change */
	size_t n;               /* available */
	size_t ndisabled;
	const ais_mpath *avail; /* [n]: HRW over these */
	const ais_mpath *disabled; /* [ndisabled] */
	struct ais_mpset *retired; /* older sets (owner's list) */
	ais_mpath mem[];
} ais_mpset;

/* A new set with copies of avail[0..n) and disabled[0..nd). ENOMEM. */
ais_err ais_mpset_new(const ais_mpath *avail, size_t n,
    const ais_mpath *disabled, size_t nd, int64_t version, ais_mpset **out);
/* Frees s and every set on its retired list. Accepts NULL. */
void ais_mpset_free_all(ais_mpset *s);
/* Index of path in avail (or disabled), or -1. */
int ais_mpset_find(const ais_mpset *s, const char *path, bool *disabled);

#endif
