// SPDX-License-Identifier: GPL-2.0
/*
 * Event pools: one kmem_cache per size class, each behind the per-CPU
 * stash of pool.h.
 *
 * Up to 4 KiB an event is its header and payload in one object, so the
 * rx path makes one allocation per frame and the store keeps the very
 * object the rx path filled.  Below 4 KiB the objects are powers of two,
 * which the slab allocator packs without waste, the smallest 512 bytes
 * so that the header is under a fifth of any class; the 4 KiB class
 * (the default max_payload) is a page and a header, 7 to an order-3
 * slab.  A larger payload has an object of its own, a power of two again
 * (an object of 64 KiB and a header would take a 128 KiB slab alone), and
 * the header comes from its own cache.  So an event filling its class
 * costs at most 1.25 times its payload in slab memory (docs/perf.md
 * measures it); one just above a class boundary up to about twice that.
 *
 * The namespace limit counts events between parse and store ("in
 * flight"): stored events are bounded by the store's byte limit instead,
 * or a full store would stop ingest for good.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cache.h>
#include "evstream.h"
#include "pool.h"

/* The largest object that holds its header too. */
#define EVS_INLINE_MAX	(4096 + sizeof(struct evs_event))

/*
 * Object sizes, smallest first; the last holds EVS_WIRE_PAYLOAD_CAP.
 * Steps of about 1.5x, so that an event filling its class wastes little
 * whatever its size: a 64-byte event in a 512-byte object would cost
 * eight times its payload in memory, and as much again in zeroing
 * (init_on_alloc) each time its slab grows.  Below 512 the sizes are
 * those whose slabs waste little: a 384-byte object fits ten to a page
 * and leaves 256 bytes.
 */
static const u32 evs_class_size[] = {
	192, 256, 320, 448, 512, 768, 1024, 1536, 2048, 3072, EVS_INLINE_MAX,
	8192, 16384, 32768, 65536,
};

#define EVS_NR_CLASSES ARRAY_SIZE(evs_class_size)

static_assert(EVS_WIRE_PAYLOAD_CAP == 65536);

u32 evs_class_costs[EVS_NR_CLASSES] __read_mostly;
static struct evs_pool evs_pools[EVS_NR_CLASSES];
static struct evs_pool evs_heads;	/* headers of the large classes */

static bool evs_class_inline(unsigned int cls)
{
	return evs_class_size[cls] <= EVS_INLINE_MAX;
}

/* The payload a class holds. */
static u32 evs_class_payload(unsigned int cls)
{
	u32 size = evs_class_size[cls];

	return evs_class_inline(cls) ? size - sizeof(struct evs_event) : size;
}

/* Its objects as the slab allocator lays them out (SLAB_HWCACHE_ALIGN). */
static u32 evs_cost_of_class(unsigned int cls)
{
	u32 line = cache_line_size();
	u32 size = evs_class_size[cls];

	if (evs_class_inline(cls))
		return ALIGN(size, line);
	return size + ALIGN(sizeof(struct evs_event), line);
}

int __init evs_pool_init(void)
{
	char name[32];
	unsigned int i;

	if (evs_should_fail(EVS_FAULT_LOAD) ||
	    evs_pool_create(&evs_heads, "evs_event_head",
			    sizeof(struct evs_event)))
		goto err;
	for (i = 0; i < EVS_NR_CLASSES; i++) {
		evs_class_costs[i] = evs_cost_of_class(i);
		/* Named by the payload they hold: evs_event_96, evs_payload_8192. */
		snprintf(name, sizeof(name), "%s_%u",
			 evs_class_inline(i) ? "evs_event" : "evs_payload",
			 evs_class_payload(i));
		if (evs_should_fail(EVS_FAULT_LOAD) ||
		    evs_pool_create(&evs_pools[i], name, evs_class_size[i]))
			goto err;
	}
	return 0;
err:
	evs_pool_exit();
	return -ENOMEM;
}

void evs_pool_exit(void)
{
	unsigned int i;

	for (i = 0; i < EVS_NR_CLASSES; i++)
		evs_pool_destroy(&evs_pools[i]);
	evs_pool_destroy(&evs_heads);
}

static unsigned int evs_class_of(u32 len)
{
	unsigned int i;

	for (i = 0; i < EVS_NR_CLASSES - 1; i++)
		if (len <= evs_class_payload(i))
			break;
	return i;
}

static void evs_note_high(struct evs_net *en, int n)
{
	int high = atomic_read(&en->inflight_high);

	while (n > high) {
		int seen = atomic_cmpxchg(&en->inflight_high, high, n);

		if (seen == high)
			break;
		high = seen;
	}
}

/* One object of @pool, or NULL; never sleeps. */
static void *evs_obj_get(struct evs_pool *pool, struct mem_cgroup *memcg)
{
	struct mem_cgroup *old;
	void *obj;

	if (!memcg)
		return evs_pool_get(pool, GFP_ATOMIC | __GFP_NOWARN);
	/*
	 * For a namespace with a memory cgroup (see evs_memcg_take()), from
	 * the cache itself and charged to the cgroup: a stash would hand one
	 * cgroup's charged object to another's event.  GFP_NOWAIT rather
	 * than GFP_ATOMIC, whose __GFP_HIGH lets a charge past memory.max:
	 * at the limit the reader pauses until memory is back, as on a
	 * shortage.
	 */
	old = set_active_memcg(memcg);
	obj = kmem_cache_alloc(pool->cache,
			       GFP_NOWAIT | __GFP_NOWARN | __GFP_ACCOUNT);
	set_active_memcg(old);
	return obj;
}

static void evs_obj_put(struct evs_pool *pool, void *obj, bool charged)
{
	if (charged)
		kmem_cache_free(pool->cache, obj);
	else
		evs_pool_put(pool, obj);
}

/* An event of class @cls, its data pointing where its payload goes. */
static struct evs_event *evs_event_get(struct evs_net *en, unsigned int cls)
{
	struct evs_event *ev;
	void *data;

	if (evs_class_inline(cls)) {
		ev = evs_obj_get(&evs_pools[cls], en->memcg);
		if (ev)
			ev->data = ev->inline_data;
		return ev;
	}
	ev = evs_obj_get(&evs_heads, en->memcg);
	if (!ev)
		return NULL;
	data = evs_obj_get(&evs_pools[cls], en->memcg);
	if (!data) {
		evs_obj_put(&evs_heads, ev, en->memcg);
		return NULL;
	}
	ev->data = data;
	return ev;
}

/*
 * Takes a slot of the pool limit from @credits, the reader's reserve,
 * refilled a chunk at a time: the namespace-wide counter is written
 * once per chunk, not once per event.  Never past the limit, so that a
 * reserve cannot make the pool look fuller than the limit allows.
 */
static bool evs_credit_take(struct evs_net *en, u32 *credits)
{
	int limit, cur, take;

	if (likely(*credits))
		goto take;
	limit = READ_ONCE(en->cfg.pool_limit);
	cur = atomic_read(&en->inflight);
	do {
		take = min(limit - cur, EVS_CREDIT_CHUNK);
		if (take <= 0)
			return false;
	} while (!atomic_try_cmpxchg(&en->inflight, &cur, cur + take));
	evs_note_high(en, cur + take);
	*credits = take;
take:
	(*credits)--;
	return true;
}

/*
 * A reader's unused slots may be what another reader was denied: with
 * nothing in flight, no consumer would come to wake it.  Only then is
 * anyone woken here, so that a reader paused for memory, which retries
 * on a timer, is not woken by its own slots coming back.
 */
void evs_credits_return(struct evs_net *en, u32 *credits)
{
	if (!*credits)
		return;
	atomic_sub(*credits, &en->inflight);
	*credits = 0;
	/* Pairs with the barrier in evs_conn_pause(): see there. */
	smp_mb__after_atomic();
	if (READ_ONCE(en->pool_denied)) {
		WRITE_ONCE(en->pool_denied, false);
		evs_maybe_resume(en, false);
	}
}

/*
 * Called from the rx path in softirq: never sleeps.  An error means "not
 * now", and the caller pauses the connection instead of losing the
 * frame: -ENOBUFS when the pool limit is reached (consumers making room
 * wake it), -ENOMEM when memory is short (nothing will say when there is
 * more: it retries on a timer).  The event's slot of the pool limit
 * comes from @credits (see evs_credit_take()); its memory is the
 * caller's to add to inflight_mem, once per read.
 */
struct evs_event *evs_event_alloc(struct evs_net *en, u32 len, u32 *credits)
{
	unsigned int cls = evs_class_of(len);
	struct evs_event *ev;

	if (!evs_credit_take(en, credits)) {
		WRITE_ONCE(en->pool_denied, true);
		evs_stats_inc(en, EVS_STATS_A_POOL_FAILS);
		return ERR_PTR(-ENOBUFS);
	}
	ev = evs_should_fail(EVS_FAULT_POOL) ? NULL : evs_event_get(en, cls);
	if (!ev) {
		/* Back to the reserve, which the read gives back. */
		(*credits)++;
		evs_stats_inc(en, EVS_STATS_A_POOL_FAILS);
		return ERR_PTR(-ENOMEM);
	}
	/* Memory is back: the next shortage starts with a short retry. */
	if (unlikely(READ_ONCE(en->nomem_delay)))
		WRITE_ONCE(en->nomem_delay, 0);
	ev->cls = cls;
	ev->charged = !!en->memcg;
	ev->len = len;
	return ev;
}

void evs_events_landed(struct evs_net *en, unsigned int n, unsigned long bytes)
{
	atomic_long_sub(bytes, &en->inflight_mem);
	atomic_sub(n, &en->inflight);
}

void evs_event_free(struct evs_event *ev)
{
	bool charged = ev->charged;

	if (evs_class_inline(ev->cls)) {
		evs_obj_put(&evs_pools[ev->cls], ev, charged);
		return;
	}
	evs_obj_put(&evs_pools[ev->cls], ev->data, charged);
	evs_obj_put(&evs_heads, ev, charged);
}

u32 evs_class_cost(u32 len)
{
	return evs_class_costs[evs_class_of(len)];
}
