/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An object pool over a kmem_cache with a small per-CPU stash.
 *
 * The stash is refilled and drained with kmem_cache_alloc_bulk() and
 * kmem_cache_free_bulk(), so the slab allocator is entered once per half
 * stash rather than once per object, and a recycled object skips the
 * zeroing that init_on_alloc (on in Debian's kernel) does on every
 * allocation.  Users initialise every field they read.  Objects freed on
 * one CPU may be taken on another: the stash is per CPU, not per object.
 *
 * Shared by pool.c and the benchmark module, which measures exactly this
 * code against kmalloc().
 */
#ifndef _EVS_POOL_H
#define _EVS_POOL_H

#include <linux/bottom_half.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include "compat.h"

struct evs_stash {
	unsigned int n;
	void *obj[];
};

struct evs_pool {
	struct kmem_cache *cache;
	struct evs_stash __percpu *stash;
	unsigned int cap;		/* objects a stash holds, even */
};

/*
 * 64 objects a stash up to 4 KiB objects (at most 270 KiB per CPU and
 * class), fewer for the largest: a refill or drain then moves 32 at once,
 * and at 4 KiB a busy CPU still recycles rather than zeroes.
 */
static inline unsigned int evs_pool_stash_cap(unsigned int size)
{
	return clamp(524288U / size, 8U, 64U) & ~1U;
}

static inline int evs_pool_create(struct evs_pool *p, const char *name,
				  unsigned int size)
{
	p->cap = evs_pool_stash_cap(size);
	p->cache = kmem_cache_create(name, size, 0,
				     SLAB_HWCACHE_ALIGN | EVS_SLAB_NO_MERGE, NULL);
	if (!p->cache)
		return -ENOMEM;
	p->stash = __alloc_percpu(struct_size(p->stash, obj, p->cap),
				  __alignof__(struct evs_stash));
	if (!p->stash) {
		kmem_cache_destroy(p->cache);
		p->cache = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Every object must be back (put) before this. */
static inline void evs_pool_destroy(struct evs_pool *p)
{
	int cpu;

	if (!p->cache)
		return;
	for_each_possible_cpu(cpu) {
		struct evs_stash *s = per_cpu_ptr(p->stash, cpu);

		kmem_cache_free_bulk(p->cache, s->n, s->obj);
		s->n = 0;
	}
	free_percpu(p->stash);
	kmem_cache_destroy(p->cache);
	p->cache = NULL;
}

/*
 * Any context with interrupts enabled.  Bottom halves are disabled around
 * the stash because the rx path (softirq) and the consumers (process
 * context) share each CPU's stash.
 */
static inline void *evs_pool_get(struct evs_pool *p, gfp_t gfp)
{
	struct evs_stash *s;
	void *obj = NULL;

	local_bh_disable();
	s = this_cpu_ptr(p->stash);
	if (unlikely(!s->n))
		s->n = kmem_cache_alloc_bulk(p->cache, gfp, p->cap / 2, s->obj);
	if (likely(s->n))
		obj = s->obj[--s->n];
	local_bh_enable();
	return obj;
}

static inline void evs_pool_put(struct evs_pool *p, void *obj)
{
	struct evs_stash *s;

	local_bh_disable();
	s = this_cpu_ptr(p->stash);
	if (unlikely(s->n == p->cap)) {
		kmem_cache_free_bulk(p->cache, p->cap / 2,
				     s->obj + p->cap / 2);
		s->n = p->cap / 2;
	}
	s->obj[s->n++] = obj;
	local_bh_enable();
}

#endif /* _EVS_POOL_H */
