// SPDX-License-Identifier: GPL-2.0
/*
 * Routing and processing: per-CPU rings, one per priority, each drained
 * by its own work item on the workqueue of that priority.
 *
 * wq_rt is WQ_HIGHPRI (a nice -20 worker on the producing CPU), wq_tx an
 * ordinary per-CPU queue, wq_batch WQ_UNBOUND: batch work may run on any
 * CPU, which keeps it off the CPUs busy with rx.  Wherever it runs, each
 * ring has exactly one work item, and a work item never runs concurrently
 * with itself on one workqueue, so each ring has exactly one consumer.
 * A consumer takes at most cfg.batch events, and at most
 * EVS_CONSUMER_SLICE_NS, per run and queues itself again if more are
 * left, so one busy ring cannot hog a CPU.  The time bound keeps runs far
 * below the 10 ms after which 6.5 and later mark a per-CPU work item
 * CPU-intensive and let the rest of its pool run beside it, where 6.1
 * would hold the pool back: on both kernels the other rings' consumers
 * and the connections' work on that CPU wait at most one slice.
 *
 * wq_batch is WQ_SYSFS: its CPUs (cpumask, and from 6.6 affinity_scope)
 * can be set under /sys/devices/virtual/workqueue/evs_batch/.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/slab.h>
#include "evstream.h"

static struct workqueue_struct *evs_wq[EVS_PRIO_NR];

/* A consumer run stops after this long, even with budget left. */
#define EVS_CONSUMER_SLICE_NS (2 * NSEC_PER_MSEC)

int __init evs_dispatch_init(void)
{
	static const unsigned int flags[EVS_PRIO_NR] = {
		[EVS_PRIO_RT] = WQ_HIGHPRI,
		[EVS_PRIO_TX] = 0,
		[EVS_PRIO_BATCH] = WQ_UNBOUND | WQ_SYSFS,
	};
	static const char *const names[EVS_PRIO_NR] = {
		[EVS_PRIO_RT] = "evs_rt",
		[EVS_PRIO_TX] = "evs_tx",
		[EVS_PRIO_BATCH] = "evs_batch",
	};
	int p;

	for (p = 0; p < EVS_PRIO_NR; p++)
		evs_wq[p] = evs_should_fail(EVS_FAULT_LOAD) ? NULL :
			    alloc_workqueue(names[p], flags[p], 0);
	if (!evs_wq[EVS_PRIO_RT] || !evs_wq[EVS_PRIO_TX] ||
	    !evs_wq[EVS_PRIO_BATCH]) {
		evs_dispatch_exit();
		return -ENOMEM;
	}
	return 0;
}

void evs_dispatch_exit(void)
{
	int p;

	for (p = 0; p < EVS_PRIO_NR; p++) {
		if (evs_wq[p])
			destroy_workqueue(evs_wq[p]);
		evs_wq[p] = NULL;
	}
}

/*
 * Header priority wins; AUTO takes the topic's rule, else transactional,
 * but goes to batch while the pool is above the pressure mark so that
 * explicit realtime and transactional traffic keeps its room.
 */
u8 evs_route(struct evs_net *en, const struct evs_frame *f)
{
	void *rule;
	u64 mark;

	if (f->priority != EVS_PRIO_AUTO)
		return f->priority;
	mark = (u64)READ_ONCE(en->cfg.pool_limit) * READ_ONCE(en->cfg.pressure);
	if ((u64)atomic_read(&en->inflight) * 100 > mark)
		return EVS_PRIO_BATCH;
	rule = xa_load(&en->routes, f->topic);
	return rule ? xa_to_value(rule) : EVS_PRIO_TX;
}

/*
 * Stores a chunk of events taken off one ring: stamps, latency, one trip
 * to the store, then each event marked done in its connection's window.
 * Events of one connection come in runs; its tx work (acks, resume) is
 * kicked and its references dropped once per run.
 */
/* Returns the time the events were stored. */
static u64 evs_process(struct evs_net *en, u8 prio, struct evs_event **evs,
		       unsigned int n)
{
	struct evs_conn *conn[EVS_STORE_CHUNK];
	u32 idx[EVS_STORE_CHUNK];
	unsigned int i, run;
	u64 now = ktime_get_ns();

	for (i = 0; i < n; i++) {
		struct evs_event *ev = evs[i];

		conn[i] = ev->conn;
		idx[i] = ev->pend_idx;
		ev->conn = NULL;
		ev->t_dequeue = now;
	}
	now = ktime_get_ns();
	/*
	 * The frames of one read share their ingest stamp: counted once
	 * per run of equal stamps.
	 */
	for (i = 0, run = 0; i < n; i++) {
		evs[i]->t_done = now;
		run++;
		if (i + 1 < n && evs[i + 1]->t_ingest == evs[i]->t_ingest)
			continue;
		evs_stats_latency(en, prio, now - evs[i]->t_ingest, run);
		run = 0;
	}
	/* The store owns the events from here; it may even evict them. */
	evs_store_add(en, evs, n);
	evs_stats_add(en, EVS_STATS_A_DONE_RT + prio, n);

	for (i = 0, run = 0; i < n; i++) {
		evs_conn_event_done(conn[i], idx[i]);
		run++;
		if (i + 1 < n && conn[i + 1] == conn[i])
			continue;
		evs_conn_kick_tx(conn[i]);
		evs_conn_put_many(conn[i], run);
		run = 0;
	}
	return now;
}

static void evs_ring_work_fn(struct work_struct *work)
{
	struct evs_ring_work *rw = container_of(work, struct evs_ring_work,
						work);
	struct evs_event *evs[EVS_STORE_CHUNK];
	struct evs_net *en = rw->en;
	u32 budget = READ_ONCE(en->cfg.batch);
	u64 start = ktime_get_ns();
	unsigned int n;

	while (budget) {
		for (n = 0; n < min_t(u32, budget, EVS_STORE_CHUNK); n++) {
			evs[n] = evs_ring_pop(rw->ring);
			if (!evs[n])
				break;
		}
		if (!n)
			break;
		budget -= n;
		if (evs_process(en, rw->prio, evs, n) - start >
		    EVS_CONSUMER_SLICE_NS)
			break;
	}
	/*
	 * More to do: run again, on the ring's CPU while it is online (its
	 * producer's cache), else wherever this runs: a ring of a CPU gone
	 * offline still has this one consumer.
	 */
	if (evs_ring_count(rw->ring)) {
		if (cpu_online(rw->cpu))
			queue_work_on(rw->cpu, evs_wq[rw->prio], &rw->work);
		else
			queue_work(evs_wq[rw->prio], &rw->work);
	}
	evs_maybe_resume(en, evs_ring_count(rw->ring));
}

void evs_rings_kick(struct evs_net *en, unsigned int prio_mask)
{
	int cpu = smp_processor_id();
	struct evs_cpu_rings *cr = per_cpu_ptr(en->rings, cpu);
	int p;

	for (p = 0; p < EVS_PRIO_NR; p++)
		if (prio_mask & BIT(p))
			queue_work_on(cpu, evs_wq[p], &cr->rw[p].work);
}

static void evs_rings_release(struct evs_net *en)
{
	int cpu, p;

	for_each_possible_cpu(cpu) {
		struct evs_cpu_rings *cr = per_cpu_ptr(en->rings, cpu);

		for (p = 0; p < EVS_PRIO_NR; p++)
			kvfree(cr->rw[p].ring);
	}
	free_percpu(en->rings);
	en->rings = NULL;
	en->rings_size = 0;
}

/* Called under set_active_memcg(en->memcg). */
int evs_rings_alloc(struct evs_net *en)
{
	u32 size = en->cfg.ring_size;
	int cpu, p;

	en->rings = evs_should_fail(EVS_FAULT_LISTEN) ? NULL :
		    alloc_percpu_gfp(struct evs_cpu_rings, evs_gfp(en));
	if (!en->rings)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct evs_cpu_rings *cr = per_cpu_ptr(en->rings, cpu);

		for (p = 0; p < EVS_PRIO_NR; p++) {
			struct evs_ring_work *rw = &cr->rw[p];

			rw->ring = evs_should_fail(EVS_FAULT_LISTEN) ? NULL :
				   kvmalloc_node(evs_ring_bytes(size),
						 evs_gfp(en), cpu_to_node(cpu));
			if (!rw->ring)
				goto err;
			evs_ring_init(rw->ring, size);
			rw->en = en;
			rw->cpu = cpu;
			rw->prio = p;
			INIT_WORK(&rw->work, evs_ring_work_fn);
		}
	}
	en->rings_size = size;
	return 0;
err:
	/* Nothing was queued yet: no consumer to wait for. */
	evs_rings_release(en);
	return -ENOMEM;
}

/*
 * Teardown, once no producer is left: stop each consumer and drop what
 * its ring still holds.  Used when the namespace goes away, so there is
 * nothing to store the events for; their connections are closed.
 */
void evs_rings_drain(struct evs_net *en)
{
	struct evs_event *ev;
	int cpu, p;

	if (!en->rings)
		return;
	for_each_possible_cpu(cpu) {
		struct evs_cpu_rings *cr = per_cpu_ptr(en->rings, cpu);

		for (p = 0; p < EVS_PRIO_NR; p++) {
			struct evs_ring_work *rw = &cr->rw[p];

			cancel_work_sync(&rw->work);
			while ((ev = evs_ring_pop(rw->ring))) {
				evs_conn_put(ev->conn);
				evs_events_landed(en, 1, evs_event_cost(ev));
				evs_event_free(ev);
			}
		}
	}
}

/*
 * Lets every consumer run until the rings are empty: for a change of
 * ring size, when the connections are gone but their events not yet
 * stored.
 */
static void evs_rings_flush(struct evs_net *en)
{
	int cpu, p;
	bool busy;

	do {
		busy = false;
		for_each_possible_cpu(cpu) {
			struct evs_cpu_rings *cr = per_cpu_ptr(en->rings, cpu);

			for (p = 0; p < EVS_PRIO_NR; p++) {
				flush_work(&cr->rw[p].work);
				if (evs_ring_count(cr->rw[p].ring))
					busy = true;
			}
		}
	} while (busy);
}

void evs_rings_free(struct evs_net *en)
{
	if (!en->rings)
		return;
	evs_rings_flush(en);
	evs_rings_release(en);
}

/*
 * Paused connections wait for room in the pool (or a ring).  While a
 * consumer still has events queued, room is coming: they are woken once
 * the pool is back under three quarters of its limit, so that they do
 * not flap at the edge.  Otherwise (the consumer's ring is empty, or
 * events left the pool another way) they are woken whenever there is
 * room at all: the events still counted may be held by connections
 * themselves (a frame half received, or whole and waiting for a ring),
 * which only a resume lets go on, and no consumer run would come.
 */
void evs_maybe_resume(struct evs_net *en, bool more_coming)
{
	u32 limit = READ_ONCE(en->cfg.pool_limit);
	u64 n;

	/* Pairs with the barrier in evs_conn_pause(): see there. */
	smp_mb();
	if (!READ_ONCE(en->npaused))
		return;
	n = atomic_read(&en->inflight);
	if (n >= limit || (more_coming && n * 4 > (u64)limit * 3))
		return;
	queue_work(evs_ctl_wq, &en->resume_work);
}
