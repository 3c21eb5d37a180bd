/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Single-producer single-consumer ring of pointers.
 *
 * The module keeps one per CPU and priority: the producer is the rx path
 * on that CPU with bottom halves disabled, the consumer is the ring's one
 * work item.  Exactly one of each is what makes it correct without locks:
 * each index is written by one side only, published with a release store
 * and read by the other side with an acquire load, so a slot's pointer is
 * visible before the index that hands it over.  Each side also keeps a
 * private copy of the other's index and rereads the shared one only when
 * the copy says full (or empty), and its own copy of the mask, so the two
 * cache lines bounce only then.
 */
#ifndef _EVSTREAM_RING_H
#define _EVSTREAM_RING_H

#include "compat.h"

struct evs_ring {
	/* Producer's line. */
	u32 head ____cacheline_aligned;	/* next slot to fill */
	u32 tail_seen;			/* producer's copy of @tail */
	u32 mask;			/* slots - 1, slots a power of two */
	/* Consumer's line. */
	u32 tail ____cacheline_aligned;	/* next slot to empty */
	u32 head_seen;			/* consumer's copy of @head */
	u32 cmask;			/* consumer's copy of @mask */
	void *slot[] ____cacheline_aligned;
};

/* Bytes to allocate for a ring of @slots (a power of two). */
static inline size_t evs_ring_bytes(u32 slots)
{
	return sizeof(struct evs_ring) + (size_t)slots * sizeof(void *);
}

static inline bool evs_ring_size_ok(u32 slots)
{
	return slots >= 2 && !(slots & (slots - 1));
}

/* @r points to evs_ring_bytes(@slots) bytes. */
static inline void evs_ring_init(struct evs_ring *r, u32 slots)
{
	r->head = 0;
	r->tail_seen = 0;
	r->mask = slots - 1;
	r->tail = 0;
	r->head_seen = 0;
	r->cmask = slots - 1;
}

/* Producer only.  Returns false, changing nothing, when the ring is full. */
static __always_inline bool evs_ring_push(struct evs_ring *r, void *p)
{
	u32 head = r->head;

	if (unlikely(head - r->tail_seen > r->mask)) {
		/* The consumer is done with slots below its tail. */
		r->tail_seen = smp_load_acquire(&r->tail);
		if (head - r->tail_seen > r->mask)
			return false;
	}
	r->slot[head & r->mask] = p;
	/* The slot is written before the consumer can see it counted. */
	smp_store_release(&r->head, head + 1);
	return true;
}

/*
 * Producer only: room for at least @n more pointers.  Compared as "n fits
 * in what is free" so that no @n can wrap the arithmetic.
 */
static inline bool evs_ring_has_room(struct evs_ring *r, u32 n)
{
	if (n <= r->mask + 1 - (r->head - r->tail_seen))
		return true;
	/* As in evs_ring_push(). */
	r->tail_seen = smp_load_acquire(&r->tail);
	return n <= r->mask + 1 - (r->head - r->tail_seen);
}

/* Consumer only.  Returns NULL when the ring is empty. */
static __always_inline void *evs_ring_pop(struct evs_ring *r)
{
	u32 tail = r->tail;
	void *p;

	if (unlikely(tail == r->head_seen)) {
		/* Pairs with the release in evs_ring_push(). */
		r->head_seen = smp_load_acquire(&r->head);
		if (tail == r->head_seen)
			return NULL;
	}
	p = r->slot[tail & r->cmask];
	/* The slot is read before the producer may reuse it. */
	smp_store_release(&r->tail, tail + 1);
	return p;
}

/* Anyone: how many pointers are in the ring, a snapshot. */
static inline u32 evs_ring_count(const struct evs_ring *r)
{
	u32 tail = READ_ONCE(r->tail);

	return READ_ONCE(r->head) - tail;
}

#endif /* _EVSTREAM_RING_H */
