// SPDX-License-Identifier: GPL-2.0
/*
 * Event pools: one kmem_cache per payload size class, each behind the
 * per-CPU stash of pool.h.
 *
 * An event is its header and payload in one object, so the rx path makes
 * one allocation per frame and the store keeps the very object the rx
 * path filled.  Classes bound the waste to under 4x the payload for the
 * smallest frames and under 1.3x from 512 bytes up.  The namespace limit
 * counts events between parse and store ("in flight"): stored events are
 * bounded by the store's byte limit instead, or a full store would stop
 * ingest for good.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "evstream.h"
#include "pool.h"

static const u32 evs_class_payload[] = { 256, 1024, 4096, EVS_WIRE_PAYLOAD_CAP };

#define EVS_NR_CLASSES ARRAY_SIZE(evs_class_payload)

static struct evs_pool evs_pools[EVS_NR_CLASSES];

int __init evs_pool_init(void)
{
	char name[32];
	unsigned int i;

	for (i = 0; i < EVS_NR_CLASSES; i++) {
		snprintf(name, sizeof(name), "evs_event_%u",
			 evs_class_payload[i]);
		if (evs_should_fail(EVS_FAULT_LOAD) ||
		    evs_pool_create(&evs_pools[i], name,
				    sizeof(struct evs_event) +
				    evs_class_payload[i]))
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
}

static unsigned int evs_class_of(u32 len)
{
	unsigned int i;

	for (i = 0; i < EVS_NR_CLASSES - 1; i++)
		if (len <= evs_class_payload[i])
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

/*
 * For a namespace with a memory cgroup (see evs_memcg_take()), from the
 * cache itself and charged to the cgroup: a stash would hand one
 * cgroup's charged object to another's event.  GFP_NOWAIT rather than
 * GFP_ATOMIC, whose __GFP_HIGH lets a charge past memory.max: at the
 * limit the reader pauses until memory is back, as on a shortage.
 */
static struct evs_event *evs_event_alloc_charged(struct evs_net *en,
						 unsigned int cls)
{
	struct mem_cgroup *old = set_active_memcg(en->memcg);
	struct evs_event *ev;

	ev = kmem_cache_alloc(evs_pools[cls].cache,
			      GFP_NOWAIT | __GFP_NOWARN | __GFP_ACCOUNT);
	set_active_memcg(old);
	return ev;
}

/*
 * Called from the rx path in softirq: never sleeps.  An error means "not
 * now", and the caller pauses the connection instead of losing the
 * frame: -ENOBUFS when the pool limit is reached (consumers making room
 * wake it), -ENOMEM when memory is short (nothing will say when there is
 * more: it retries on a timer).
 */
struct evs_event *evs_event_alloc(struct evs_net *en, u32 len)
{
	unsigned int cls = evs_class_of(len);
	struct evs_event *ev;
	int n, err = -ENOBUFS;

	n = atomic_inc_return(&en->inflight);
	if (n > READ_ONCE(en->cfg.pool_limit))
		goto fail;
	err = -ENOMEM;
	if (evs_should_fail(EVS_FAULT_POOL))
		ev = NULL;
	else if (en->memcg)
		ev = evs_event_alloc_charged(en, cls);
	else
		ev = evs_pool_get(&evs_pools[cls], GFP_ATOMIC | __GFP_NOWARN);
	if (!ev)
		goto fail;
	evs_note_high(en, n);
	/* Memory is back: the next shortage starts with a short retry. */
	if (unlikely(READ_ONCE(en->nomem_delay)))
		WRITE_ONCE(en->nomem_delay, 0);
	ev->cls = cls;
	ev->charged = !!en->memcg;
	ev->len = len;
	return ev;
fail:
	atomic_dec(&en->inflight);
	evs_stats_inc(en, EVS_STATS_A_POOL_FAILS);
	return ERR_PTR(err);
}

void evs_events_landed(struct evs_net *en, unsigned int n)
{
	atomic_sub(n, &en->inflight);
}

void evs_event_free(struct evs_event *ev)
{
	if (ev->charged)
		kmem_cache_free(evs_pools[ev->cls].cache, ev);
	else
		evs_pool_put(&evs_pools[ev->cls], ev);
}

u32 evs_event_cost(const struct evs_event *ev)
{
	return sizeof(*ev) + evs_class_payload[ev->cls];
}
