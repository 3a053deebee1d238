/* Mountpath sets: see mpset.h. */
#include <stdlib.h>
#include <string.h>

#include "core/mpset.h"

ais_err
ais_mpset_new(const ais_mpath *avail, size_t n, const ais_mpath *disabled,
    size_t nd, int64_t version, ais_mpset **out)
{
	ais_mpset *s = calloc(1, sizeof(*s) + (n + nd) * sizeof(ais_mpath));
	if (s == NULL) {
		return AIS_ENOMEM;
	}
	if (n > 0) {
		memcpy(s->mem, avail, n * sizeof(ais_mpath));
	}
	if (nd > 0) {
		memcpy(s->mem + n, disabled, nd * sizeof(ais_mpath));
	}
	s->n = n;
	s->ndisabled = nd;
	s->avail = s->mem;
	s->disabled = s->mem + n;
	s->version = version;
	*out = s;
	return AIS_OK;
}

void
ais_mpset_free_all(ais_mpset *s)
{
	while (s != NULL) {
		ais_mpset *next = s->retired;
		free(s);
		s = next;
	}
}

int
ais_mpset_find(const ais_mpset *s, const char *path, bool *disabled)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->avail[i].path, path) == 0) {
			if (disabled) {
				*disabled = false;
			}
			return (int) i;
		}
	}
	for (size_t i = 0; i < s->ndisabled; i++) {
		if (strcmp(s->disabled[i].path, path) == 0) {
			if (disabled) {
				*disabled = true;
			}
			return (int) i;
		}
	}
	return -1;
}
