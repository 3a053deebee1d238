/*
 * A published, refcounted, immutable snapshot (Smap, BMD, cluster config).
 * The owner (an actor) publishes a new version by swapping the pointer;
 * readers (HTTP threads) take a held reference and keep it for the whole
 * request. The slot's mutex is held only to load the pointer and bump the
 * refcount -- nanoseconds, never across I/O -- which rules out the classic
 * load-then-hold race without hazard pointers.
 */
#ifndef AIS_CORE_SNAPSHOT_H
#define AIS_CORE_SNAPSHOT_H

#include <pthread.h>

typedef struct ais_snapslot {
	pthread_mutex_t mu;
	void *cur;                /* current snapshot or NULL */
	void (*hold)(void *p);    /* bump refcount */
	void (*rele)(void *p);    /* drop refcount (frees at zero) */
} ais_snapslot;

void ais_snapslot_init(ais_snapslot *s, void (*hold)(void *),
    void (*rele)(void *));
/* Releases the current snapshot. */
void ais_snapslot_fini(ais_snapslot *s);
/* Returns the current snapshot with a reference held for the caller (the
 * caller releases it), or NULL if none was published. Never blocks on I/O. */
void *ais_snapslot_get(ais_snapslot *s);
/* Publishes p, taking over the caller's reference; releases the old one. */
void ais_snapslot_set(ais_snapslot *s, void *p);

#endif
