/*
 * Actor timers. Each actor keeps its timers in a small array sorted by
 * deadline (ties in arming order), touched only by the actor's own thread,
 * so there is no lock and no timer thread: the mailbox loop sleeps in its
 * receive until the nearest deadline, then delivers every due timer as an
 * AIS_MSG_TIMER message (payload: the 8-byte little-endian cookie) through
 * the same handler table as any other message. A periodic timer is re-armed
 * after its handler returns, unless the handler cancelled it.
 *
 * An actor has a handful of timers (retries, keepalives), so insertion into
 * a sorted array beats a heap in code and in practice.
 */
#include <stdlib.h>
#include <string.h>

#include "actors/runtime/runtime_int.h"
#include "core/log.h"
#include "proto/msg.h"

static ais_err
act_timer_insert(act_actor *a, const act_timer *t)
{
	size_t i;

	if (a->ntimers == a->timers_cap) {
		size_t cap = a->timers_cap > 0 ? a->timers_cap * 2 : 8;
		act_timer *nt = realloc(a->timers, cap * sizeof(*nt));

		if (nt == NULL) {
			return AIS_ENOMEM;
		}
		a->timers = nt;
		a->timers_cap = cap;
	}
	/* After every timer due no later: equal deadlines fire in order. */
	for (i = a->ntimers; i > 0 && a->timers[i - 1].due_ms > t->due_ms;
	     i--) { }
	memmove(
	    &a->timers[i + 1], &a->timers[i], (a->ntimers - i) * sizeof(*t));
	a->timers[i] = *t;
	a->ntimers++;
	return AIS_OK;
}

static void
act_timer_remove(act_actor *a, size_t i)
{
	memmove(&a->timers[i], &a->timers[i + 1],
	    (a->ntimers - i - 1) * sizeof(a->timers[0]));
	a->ntimers--;
}

ais_err
act_timer_start(act_actor *self, uint64_t cookie, int64_t delay_ms,
    bool periodic, uint32_t *id_out)
{
	act_timer t;
	ais_err err;

	/* A zero period would fire forever without ever receiving. */
	if (self == NULL || delay_ms < 0 || (periodic && delay_ms == 0)) {
		return AIS_EINVAL;
	}
	if (++self->timer_seq == 0) {
		self->timer_seq = 1; /* 0 means "no timer" */
	}
	t = (act_timer) {
		.id = self->timer_seq,
		.cookie = cookie,
		.due_ms = act_now_ms() + delay_ms,
		.period_ms = periodic ? delay_ms : 0,
	};
	if ((err = act_timer_insert(self, &t)) != AIS_OK) {
		return err;
	}
	if (id_out != NULL) {
		*id_out = t.id;
	}
	return AIS_OK;
}

void
act_timer_cancel(act_actor *self, uint32_t id)
{
	if (self == NULL || id == 0) {
		return;
	}
	if (id == self->firing_id) {
		self->firing_cancelled = true;
	}
	for (size_t i = 0; i < self->ntimers; i++) {
		if (self->timers[i].id == id) {
			act_timer_remove(self, i);
			return;
		}
	}
}

void
act_timer_clear(act_actor *a)
{
	a->ntimers = 0;
	a->firing_id = 0;
	a->firing_cancelled = false;
}

int
act_timer_wait_ms(act_actor *a)
{
	int64_t d;

	if (a->ntimers == 0) {
		return NNG_DURATION_INFINITE;
	}
	d = a->timers[0].due_ms - act_now_ms();
	if (d <= 0) {
		/* NNG_DURATION_ZERO would poll; 1 ms still lets a waiting
		 * request in before the next round of timers. */
		return 1;
	}
	return d < INT32_MAX ? (int) d : INT32_MAX;
}

ais_err
act_timer_fire(act_actor *a)
{
	/* Only what is due now: a handler arming a zero-delay timer must not
	 * starve the mailbox. */
	int64_t now = act_now_ms();

	while (a->ntimers > 0 && a->timers[0].due_ms <= now
	    && !atomic_load(&a->stopping)) {
		act_timer t = a->timers[0];
		uint8_t le[8];
		act_ctx ctx = { .actor = a, .has_ctx = false };
		act_msg msg = {
			.type = AIS_MSG_TIMER,
			.sender = "",
			.data = le,
			.len = sizeof(le),
		};
		ais_err st;

		act_timer_remove(a, 0);
		for (int i = 0; i < 8; i++) {
			le[i] = (uint8_t) (t.cookie >> (8 * i));
		}
		a->firing_id = t.id;
		a->firing_cancelled = false;
		st = act_dispatch(a, &ctx, &msg);
		a->firing_id = 0;
		if (st == AIS_EINTERNAL) {
			return st;
		}
		if (t.period_ms > 0 && !a->firing_cancelled) {
			/* Keep the cadence, but never try to catch up on
			 * ticks missed while a handler ran long. */
			t.due_ms += t.period_ms;
			if (t.due_ms <= now) {
				t.due_ms = now + t.period_ms;
			}
			if (act_timer_insert(a, &t) != AIS_OK) {
				AIS_LOGE("AIS-ACT-TIMER",
				    "%s: periodic timer %u "
				    "dropped: out of memory",
				    a->ops->name, (unsigned) t.id);
			}
		}
	}
	return AIS_OK;
}
