/*
 * Snapshot slot: the one mutable pointer behind an immutable, refcounted
 * Smap/BMD/config. The mutex covers exactly "load pointer + take a
 * reference" (readers) and "swap pointer" (the owner); the old snapshot is
 * released after unlocking, because dropping the last reference frees a
 * whole map and that should not stall readers.
 */
#include "core/snapshot.h"

#include <stdlib.h>

void
ais_snapslot_init(ais_snapslot *s, void (*hold)(void *),
    void (*rele)(void *))
{
	/* A default mutex cannot fail to initialize on Linux; if it ever
	 * did, every later lock would be undefined behaviour. */
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		abort();
	}
	s->cur = NULL;
	s->hold = hold;
	s->rele = rele;
}

void
ais_snapslot_fini(ais_snapslot *s)
{
	void *p = s->cur;
	s->cur = NULL;
	if (p != NULL) {
		s->rele(p);
	}
	pthread_mutex_destroy(&s->mu);
}

void *
ais_snapslot_get(ais_snapslot *s)
{
	void *p;
	pthread_mutex_lock(&s->mu);
	p = s->cur;
	if (p != NULL) {
		s->hold(p);
	}
	pthread_mutex_unlock(&s->mu);
	return p;
}

void
ais_snapslot_set(ais_snapslot *s, void *p)
{
	void *old;
	pthread_mutex_lock(&s->mu);
	old = s->cur;
	s->cur = p;
	pthread_mutex_unlock(&s->mu);
	if (old != NULL) {
		s->rele(old);
	}
}
