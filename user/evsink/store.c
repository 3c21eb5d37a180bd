// SPDX-License-Identifier: GPL-2.0
/*
 * Per-topic bounded event log, the design of kmod/store.c.
 *
 * Each topic keeps its events in a circular array indexed by store
 * sequence number, so a reader could find any sequence number at once.
 * All topics share one byte limit; when it is exceeded the oldest events
 * go first (a FIFO across topics) and are counted.  The I/O threads
 * append a chunk of events per round of one mutex, as the module's
 * consumers do under one spinlock; arrays grow by doubling with the
 * allocation outside the lock, and evicted events are freed after it is
 * dropped.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "evsink.h"

#define EVS_NR_TOPICS		65536
#define EVS_TOPIC_MIN_SLOTS	64

int evs_store_init(struct evs_store *st, uint64_t limit)
{
	pthread_mutexattr_t attr;
	int err;

	memset(st, 0, sizeof(*st));
	st->limit = limit;
	/* A flat table: topic ids are 16 bits, lookups are one load. */
	st->topics = calloc(EVS_NR_TOPICS, sizeof(*st->topics));
	if (!st->topics)
		return -1;
	/*
	 * The module takes a spinlock here.  The critical section is a few
	 * stores, so a sleeping mutex would pay a futex round trip whenever
	 * two threads meet; an adaptive one spins briefly first, as a
	 * spinlock would, but still sleeps if the holder was preempted.
	 */
	if (pthread_mutexattr_init(&attr))
		goto err;
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	err = pthread_mutex_init(&st->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (err)
		goto err;
	return 0;
err:
	free(st->topics);
	st->topics = NULL;
	return -1;
}

void evs_store_exit(struct evs_store *st, struct evs_pcache *pc)
{
	struct evs_event *ev, *next;
	unsigned int i;

	if (!st->topics)
		return;
	for (ev = st->fifo_head; ev; ev = next) {
		next = ev->fifo_next;
		evs_pool_free(pc, ev);
	}
	st->fifo_head = NULL;
	st->fifo_tail = NULL;
	for (i = 0; i < EVS_NR_TOPICS; i++) {
		if (!st->topics[i])
			continue;
		free(st->topics[i]->slot);
		free(st->topics[i]);
	}
	free(st->topics);
	st->topics = NULL;
	st->bytes = 0;
	st->events = 0;
	pthread_mutex_destroy(&st->lock);
}

/* The topic, made if new; store lock held, dropped meanwhile if need be. */
static struct evs_topic *topic_get(struct evs_store *st, uint16_t id)
{
	struct evs_topic *t = st->topics[id];

	if (t)
		return t;
	pthread_mutex_unlock(&st->lock);
	t = calloc(1, sizeof(*t));
	if (t) {
		t->cap = EVS_TOPIC_MIN_SLOTS;
		t->slot = calloc(t->cap, sizeof(*t->slot));
		if (!t->slot) {
			free(t);
			t = NULL;
		}
	}
	pthread_mutex_lock(&st->lock);
	/* Another thread may have made it meanwhile: use theirs. */
	if (st->topics[id]) {
		if (t) {
			free(t->slot);
			free(t);
		}
		return st->topics[id];
	}
	st->topics[id] = t;
	return t;
}

/*
 * Doubles @t's array if it is full; store lock held, dropped for the
 * allocation.  Returns false only when memory is short and the array is
 * still full.
 */
static bool topic_grow(struct evs_store *st, struct evs_topic *t)
{
	struct evs_event **slot, **old;
	uint32_t cap = t->cap;
	uint64_t s;

	pthread_mutex_unlock(&st->lock);
	slot = calloc((size_t)cap * 2, sizeof(*slot));
	pthread_mutex_lock(&st->lock);
	if (t->cap != cap || t->next_seq - t->first_seq < cap) {
		free(slot);	/* someone else grew it, or it drained */
		return true;
	}
	if (!slot)
		return false;
	for (s = t->first_seq; s != t->next_seq; s++)
		slot[s & (cap * 2 - 1)] = t->slot[s & (cap - 1)];
	old = t->slot;
	t->slot = slot;
	t->cap = cap * 2;
	free(old);
	return true;
}

/* Removes the oldest event of all topics; store lock held. */
static struct evs_event *evict_one(struct evs_store *st)
{
	struct evs_event *ev = st->fifo_head;
	struct evs_topic *t = st->topics[ev->topic];

	st->fifo_head = ev->fifo_next;
	if (!st->fifo_head)
		st->fifo_tail = NULL;
	/* The oldest of all is also its topic's oldest. */
	t->slot[t->first_seq & (t->cap - 1)] = NULL;
	t->first_seq++;
	st->bytes -= evs_event_cost(ev);
	st->events--;
	return ev;
}

uint64_t evs_store_add(struct evs_store *st, struct evs_event **evs,
		       unsigned int n, struct evs_pcache *pc)
{
	struct evs_event *evicted = NULL, *victim;
	struct evs_topic *t = NULL;
	uint64_t nevicted = 0;
	unsigned int i, topic = 0;

	pthread_mutex_lock(&st->lock);
	for (i = 0; i < n; i++) {
		struct evs_event *ev = evs[i];

		/*
		 * Runs of one topic are the common case: one lookup a run.
		 * Its id is kept here, not read from the previous event: once
		 * stored, that one may be evicted by another thread while
		 * topic_get() or topic_grow() drops the lock.
		 */
		if (!t || ev->topic != topic) {
			t = topic_get(st, ev->topic);
			topic = ev->topic;
		}
		while (t && t->next_seq - t->first_seq == t->cap)
			if (!topic_grow(st, t))
				t = NULL;
		if (!t) {
			/* No memory for the index: stored and evicted at once. */
			ev->fifo_next = evicted;
			evicted = ev;
			nevicted++;
			continue;
		}
		ev->seq = t->next_seq++;
		t->slot[ev->seq & (t->cap - 1)] = ev;
		ev->fifo_next = NULL;
		if (st->fifo_tail)
			st->fifo_tail->fifo_next = ev;
		else
			st->fifo_head = ev;
		st->fifo_tail = ev;
		st->bytes += evs_event_cost(ev);
		st->events++;
	}
	while (st->bytes > st->limit && st->fifo_head) {
		victim = evict_one(st);
		victim->fifo_next = evicted;
		evicted = victim;
		nevicted++;
	}
	pthread_mutex_unlock(&st->lock);

	while (evicted) {
		victim = evicted;
		evicted = victim->fifo_next;
		evs_pool_free(pc, victim);
	}
	return nevicted;
}

void evs_store_gauges(struct evs_store *st, uint64_t *events, uint64_t *bytes)
{
	pthread_mutex_lock(&st->lock);
	*events = st->events;
	*bytes = st->bytes;
	pthread_mutex_unlock(&st->lock);
}
