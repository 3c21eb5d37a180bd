// SPDX-License-Identifier: GPL-2.0
/*
 * Per-topic bounded event log.
 *
 * Each topic keeps its events in a circular array indexed by store
 * sequence number, so a reader finds any sequence number at once.  All
 * topics of a namespace share one byte limit; when it is exceeded the
 * oldest events of the namespace go first (a FIFO across topics), and
 * each eviction is counted.  Appends come from the consumers, reads from
 * netlink dumps: process context only, under one spinlock per namespace.
 *
 * The arrays count against the byte limit like the events, and a topic
 * whose last event goes gives its array back: what the topics of a
 * namespace hold, indexes included, stays within store_limit (but for
 * the topics themselves, a few words each, kept so that a topic's
 * sequence numbers go on where they stopped).
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include "evstream.h"

#define EVS_TOPIC_MIN_SLOTS 64

/* What an index of @cap slots is charged. */
static u64 evs_index_cost(u32 cap)
{
	return (u64)cap * sizeof(struct evs_event *);
}

/*
 * An index no topic uses any more, linked through its own first bytes
 * until it is freed outside the lock (vfree() may sleep).
 */
struct evs_dead_index {
	struct list_head node;
};

/* @t just lost its last event: its index goes; store lock held. */
static void evs_topic_drop_index(struct evs_store *st, struct evs_topic *t,
				 struct list_head *dead)
{
	struct evs_dead_index *d = (void *)t->slot;

	BUILD_BUG_ON(sizeof(*d) > EVS_TOPIC_MIN_SLOTS * sizeof(*t->slot));
	st->bytes -= evs_index_cost(t->cap);
	list_add(&d->node, dead);
	t->slot = NULL;
	t->cap = 0;
}

static void evs_free_dead_indexes(struct list_head *dead)
{
	struct evs_dead_index *d, *tmp;

	list_for_each_entry_safe(d, tmp, dead, node)
		kvfree(d);
}

void evs_store_init(struct evs_store *st)
{
	spin_lock_init(&st->lock);
	INIT_LIST_HEAD(&st->fifo);
	xa_init(&st->topics);
}

void evs_store_exit(struct evs_store *st)
{
	struct evs_event *ev, *tmp;
	struct evs_topic *t;
	unsigned long id;

	list_for_each_entry_safe(ev, tmp, &st->fifo, fifo)
		evs_event_free(ev);
	INIT_LIST_HEAD(&st->fifo);
	xa_for_each(&st->topics, id, t) {
		kvfree(t->slot);
		kfree(t);
	}
	xa_destroy(&st->topics);
	st->bytes = 0;
	st->events = 0;
}

static struct evs_topic *evs_topic_get(struct evs_store *st, u16 id,
				       gfp_t gfp)
{
	struct evs_topic *t, *old;

	t = xa_load(&st->topics, id);
	if (t)
		return t;
	/* No index yet: the first event makes one (evs_topic_grow()). */
	t = evs_should_fail(EVS_FAULT_STORE) ? NULL :
	    kzalloc(sizeof(*t), gfp);
	if (!t)
		return NULL;
	t->id = id;
	/* Another consumer may have made it meanwhile: use theirs. */
	old = xa_cmpxchg(&st->topics, id, NULL, t, gfp);
	if (old || xa_is_err(old)) {
		kfree(t);
		return xa_is_err(old) ? NULL : old;
	}
	return t;
}

/*
 * Doubles @t's array if it is full (makes the first one of a topic that
 * has none).  The allocation sleeps, so it runs unlocked; whoever loses
 * a race frees their copy.  Returns false only when memory is short and
 * the array is still full.
 */
static bool evs_topic_grow(struct evs_store *st, struct evs_topic *t,
			   gfp_t gfp)
{
	struct evs_event **slot, **old;
	u32 cap, ncap;
	u64 s;

	spin_lock(&st->lock);
	cap = t->cap;
	spin_unlock(&st->lock);

	ncap = cap ? cap * 2 : EVS_TOPIC_MIN_SLOTS;
	slot = evs_should_fail(EVS_FAULT_STORE) ? NULL :
	       kvcalloc(ncap, sizeof(*slot), gfp);

	spin_lock(&st->lock);
	if (t->cap != cap || t->next_seq - t->first_seq < cap) {
		spin_unlock(&st->lock);
		kvfree(slot);
		return true;
	}
	if (!slot) {
		spin_unlock(&st->lock);
		return false;
	}
	for (s = t->first_seq; s != t->next_seq; s++)
		slot[s & (ncap - 1)] = t->slot[s & (cap - 1)];
	old = t->slot;
	t->slot = slot;
	t->cap = ncap;
	st->bytes += evs_index_cost(ncap) - evs_index_cost(cap);
	spin_unlock(&st->lock);
	kvfree(old);
	return true;
}

/*
 * Removes the oldest event of the namespace, and the index of its topic
 * if that was the topic's last (onto @dead); store lock held.
 */
/*
 * @t caches the topic of the last event evicted: the oldest events of a
 * namespace tend to come in runs of one topic.
 */
static void evs_store_evict_one(struct evs_store *st, struct evs_topic **t,
				struct list_head *evicted,
				struct list_head *dead)
{
	struct evs_event *ev;

	ev = list_first_entry(&st->fifo, struct evs_event, fifo);
	list_move_tail(&ev->fifo, evicted);
	if (!*t || (*t)->id != ev->topic)
		*t = xa_load(&st->topics, ev->topic);
	/* The namespace's oldest is also its topic's oldest. */
	WARN_ON_ONCE(ev->seq != (*t)->first_seq);
	(*t)->slot[(*t)->first_seq & ((*t)->cap - 1)] = NULL;
	(*t)->first_seq++;
	if ((*t)->first_seq == (*t)->next_seq) {
		evs_topic_drop_index(st, *t, dead);
		*t = NULL;
	}
	st->bytes -= evs_event_cost(ev);
	st->events--;
}

static u64 evs_store_evict_to(struct evs_store *st, u64 limit,
			      struct list_head *evicted, struct list_head *dead)
{
	struct evs_topic *t = NULL;
	u64 n = 0;

	while (st->bytes > limit && !list_empty(&st->fifo)) {
		evs_store_evict_one(st, &t, evicted, dead);
		n++;
	}
	return n;
}

/* Counts and frees, outside the store lock, what left the store. */
static void evs_store_drop(struct evs_net *en, struct list_head *evicted,
			   u64 n, struct list_head *dead)
{
	struct evs_event *ev, *tmp;

	if (n)
		evs_stats_add(en, EVS_STATS_A_EVICTED, n);
	list_for_each_entry_safe(ev, tmp, evicted, fifo)
		evs_event_free(ev);
	evs_free_dead_indexes(dead);
}

/*
 * Appends @n events, each to its topic, and takes ownership: any of them
 * may be evicted (and freed) before this returns.  One lock round for
 * the lot.  When no memory can be found for a topic's index, its event
 * is counted as stored and evicted at once rather than lost silently.
 */
void evs_store_add(struct evs_net *en, struct evs_event **evs, unsigned int n)
{
	struct evs_store *st = &en->store;
	u64 limit = READ_ONCE(en->cfg.store_limit);
	struct evs_topic *t[EVS_STORE_CHUNK];
	struct mem_cgroup *old_memcg;
	gfp_t gfp = evs_gfp(en);
	LIST_HEAD(evicted);
	LIST_HEAD(dead);
	unsigned long bytes = 0;
	u64 nevicted = 0;
	unsigned int i;

	/* The indexes belong to the namespace's clients like the events. */
	old_memcg = set_active_memcg(en->memcg);
	/* Topics first: making one sleeps. */
	for (i = 0; i < n; i++) {
		t[i] = i && evs[i]->topic == evs[i - 1]->topic ? t[i - 1] :
			evs_topic_get(st, evs[i]->topic, gfp);
		/* Read now: once stored, another consumer may evict it. */
		bytes += evs_event_cost(evs[i]);
	}

	spin_lock(&st->lock);
	for (i = 0; i < n; i++) {
		struct evs_event *ev = evs[i];

		while (t[i] && t[i]->next_seq - t[i]->first_seq == t[i]->cap) {
			spin_unlock(&st->lock);
			if (!evs_topic_grow(st, t[i], gfp))
				t[i] = NULL;
			spin_lock(&st->lock);
		}
		if (!t[i]) {
			list_add_tail(&ev->fifo, &evicted);
			nevicted++;
			continue;
		}
		ev->seq = t[i]->next_seq++;
		t[i]->slot[ev->seq & (t[i]->cap - 1)] = ev;
		list_add_tail(&ev->fifo, &st->fifo);
		st->bytes += evs_event_cost(ev);
		st->events++;
	}
	nevicted += evs_store_evict_to(st, limit, &evicted, &dead);
	spin_unlock(&st->lock);
	set_active_memcg(old_memcg);

	evs_events_landed(en, n, bytes);
	evs_stats_add(en, EVS_STATS_A_STORED, n);
	evs_store_drop(en, &evicted, nevicted, &dead);
}

/*
 * Evicts down to a lowered store_limit now rather than at the next event:
 * when stored events fill a memory cgroup, ingest waits for memory that
 * only this frees.
 */
void evs_store_trim(struct evs_net *en)
{
	struct evs_store *st = &en->store;
	LIST_HEAD(evicted);
	LIST_HEAD(dead);
	u64 n;

	spin_lock(&st->lock);
	n = evs_store_evict_to(st, READ_ONCE(en->cfg.store_limit), &evicted,
			       &dead);
	spin_unlock(&st->lock);
	evs_store_drop(en, &evicted, n, &dead);
}
