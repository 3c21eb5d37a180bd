// SPDX-License-Identifier: GPL-2.0
/*
 * The memory budget of a namespace: what the module holds for it now,
 * by kind, and the most that can be under the current settings, however
 * its clients behave.  docs/security.md ("Memory budget") gives the same
 * formula; evctl stats and /proc show both.
 *
 * Every figure is what the allocator takes, not what the structure
 * needs: kmalloc rounds up to its bucket, and the event classes are
 * their objects (pool.c).  Stored events and their indexes are the
 * store's own count, which store_limit bounds.  The kernel's socket
 * buffers are TCP's, bounded by tcp_rmem and tcp_wmem, and are not
 * counted here; nor are the slab caches' per-CPU stashes, which are the
 * module's, not a namespace's.
 */
#include <linux/slab.h>
#include <linux/xarray.h>
#include "evstream.h"

/* Topic ids are u16: every one of them may come to exist. */
#define EVS_TOPICS_MAX	(U16_MAX + 1)

/* One entry's share of an xarray node (topics, routes). */
static size_t evs_xa_entry_cost(void)
{
	return DIV_ROUND_UP(sizeof(struct xa_node), XA_CHUNK_SIZE);
}

static size_t evs_conn_cost(void)
{
	return kmalloc_size_roundup(sizeof(struct evs_conn)) +
	       kmalloc_size_roundup(EVS_CONN_WINDOW * sizeof(struct evs_pend));
}

static size_t evs_topic_cost(void)
{
	return kmalloc_size_roundup(sizeof(struct evs_topic)) +
	       evs_xa_entry_cost();
}

/*
 * Rings of @size slots for every possible CPU and priority.  kvmalloc()
 * takes them from kmalloc when it can, which rounds a ring past a power
 * of two up to the next one (a 4096-slot ring takes 64 KiB).
 */
static u64 evs_rings_cost(u32 size)
{
	size_t ring = kmalloc_size_roundup(evs_ring_bytes(size));

	return (u64)num_possible_cpus() *
	       (sizeof(struct evs_cpu_rings) + EVS_PRIO_NR * ring);
}

static unsigned long evs_xa_count(struct xarray *xa)
{
	unsigned long idx, n = 0;
	void *entry;

	xa_for_each(xa, idx, entry)
		n++;
	return n;
}

void evs_mem_read(struct evs_net *en, struct evs_mem *m)
{
	u32 rings_size = READ_ONCE(en->rings_size);
	u64 topics = evs_xa_count(&en->store.topics);
	u64 routes = evs_xa_count(&en->routes);
	u64 fixed, listeners;
	struct evs_config cfg;

	mutex_lock(&en->lock);
	cfg = en->cfg;
	listeners = (u64)en->nlisteners *
		    kmalloc_size_roundup(sizeof(struct evs_listener));
	mutex_unlock(&en->lock);

	m->inflight = max(atomic_long_read(&en->inflight_mem), 0L);
	spin_lock(&en->store.lock);
	m->store = en->store.bytes;
	spin_unlock(&en->store.lock);
	m->conns = (u64)READ_ONCE(en->nconns) * evs_conn_cost();
	m->rings = rings_size ? evs_rings_cost(rings_size) : 0;
	fixed = listeners + routes * evs_xa_entry_cost();
	m->other = fixed + topics * evs_topic_cost();
	m->used = m->inflight + m->store + m->conns + m->rings + m->other;

	/*
	 * Rings are made with the first listener at the ring_size of the
	 * time, and kept until the last goes.
	 */
	m->budget = (u64)cfg.pool_limit * evs_class_cost(cfg.max_payload) +
		    cfg.store_limit +
		    (u64)cfg.conn_limit * evs_conn_cost() +
		    evs_rings_cost(rings_size ?: cfg.ring_size) +
		    fixed + (u64)EVS_TOPICS_MAX * evs_topic_cost();
}
