// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace counters, latency histograms and gauges.
 *
 * Each CPU owns its own copy of the counters and histograms, so the data
 * path counts without sharing a cache line or doing an atomic
 * read-modify-write.  A reset does not write to other CPUs' copies (that
 * would race with their writers); it records the current totals as a
 * baseline that readers subtract.
 */
#include <linux/log2.h>
#include "evstream.h"

int evs_stats_init(struct evs_net *en)
{
	int cpu;

	en->stats = alloc_percpu(struct evs_pcpu_stats);
	if (!en->stats)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(en->stats, cpu)->syncp);
	return 0;
}

void evs_stats_exit(struct evs_net *en)
{
	free_percpu(en->stats);
	en->stats = NULL;
}

/* @n events that each took @ns. */
void evs_stats_latency(struct evs_net *en, u8 prio, u64 ns, unsigned int n)
{
	unsigned int b = ns < 2 ? 0 : min(ilog2(ns), EVS_LAT_BUCKETS - 1);
	struct evs_pcpu_stats *s = get_cpu_ptr(en->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_add(&s->lat[prio][b], n);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
	put_cpu_ptr(en->stats);
}

/* Sums every CPU's copy; counters and latency, either may be NULL. */
static void evs_stats_sum(struct evs_net *en, u64 ctr[EVS_NR_COUNTERS],
			  u64 lat[EVS_PRIO_NR][EVS_LAT_BUCKETS])
{
	u64 c[EVS_NR_COUNTERS], l[EVS_PRIO_NR][EVS_LAT_BUCKETS];
	unsigned int start;
	int cpu, i, p;

	if (ctr)
		memset(ctr, 0, sizeof(c));
	if (lat)
		memset(lat, 0, sizeof(l));
	for_each_possible_cpu(cpu) {
		const struct evs_pcpu_stats *s = per_cpu_ptr(en->stats, cpu);

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; ctr && i < EVS_NR_COUNTERS; i++)
				c[i] = u64_stats_read(&s->ctr[i]);
			for (p = 0; lat && p < EVS_PRIO_NR; p++)
				for (i = 0; i < EVS_LAT_BUCKETS; i++)
					l[p][i] = u64_stats_read(&s->lat[p][i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; ctr && i < EVS_NR_COUNTERS; i++)
			ctr[i] += c[i];
		for (p = 0; lat && p < EVS_PRIO_NR; p++)
			for (i = 0; i < EVS_LAT_BUCKETS; i++)
				lat[p][i] += l[p][i];
	}
}

void evs_stats_read(struct evs_net *en, u64 out[EVS_NR_COUNTERS])
{
	int i;

	mutex_lock(&en->lock);
	evs_stats_sum(en, out, NULL);
	for (i = 0; i < EVS_NR_COUNTERS; i++)
		out[i] -= en->stats_base[i];
	mutex_unlock(&en->lock);
}

/* Counters without the reset baseline: for deltas across a reset. */
void evs_stats_read_raw(struct evs_net *en, u64 out[EVS_NR_COUNTERS])
{
	evs_stats_sum(en, out, NULL);
}

/*
 * One tick of the rate summary: counter deltas since the last tick, to
 * the monitor group.  Only the tick work touches tick_ctr and tick_last.
 */
void evs_rate_tick(struct evs_net *en)
{
	u64 now[EVS_NR_COUNTERS], delta[EVS_NR_COUNTERS];
	unsigned long t = jiffies;
	int i;

	evs_stats_read_raw(en, now);
	for (i = 0; i < EVS_NR_COUNTERS; i++)
		delta[i] = now[i] - en->tick_ctr[i];
	evs_notify_rate(en, jiffies_to_msecs(t - en->tick_last), delta);
	memcpy(en->tick_ctr, now, sizeof(now));
	en->tick_last = t;
}

void evs_stats_read_latency(struct evs_net *en,
			    u64 out[EVS_PRIO_NR][EVS_LAT_BUCKETS])
{
	int i, p;

	mutex_lock(&en->lock);
	evs_stats_sum(en, NULL, out);
	for (p = 0; p < EVS_PRIO_NR; p++)
		for (i = 0; i < EVS_LAT_BUCKETS; i++)
			out[p][i] -= en->lat_base[p][i];
	mutex_unlock(&en->lock);
}

void evs_stats_reset(struct evs_net *en)
{
	mutex_lock(&en->lock);
	evs_stats_sum(en, en->stats_base, en->lat_base);
	mutex_unlock(&en->lock);
}

/* Current values; each is exact, together they are a close snapshot. */
void evs_gauges_read(struct evs_net *en, u64 out[EVS_NR_GAUGES])
{
#define G(attr) out[(attr) - EVS_GAUGE_A_FIRST]
	struct evs_conn *conn;
	struct evs_mem mem;
	u64 paused = 0;

	mutex_lock(&en->lock);
	G(EVS_GAUGE_A_LISTENERS) = en->nlisteners;
	mutex_unlock(&en->lock);
	spin_lock(&en->conns_lock);
	G(EVS_GAUGE_A_CONNS) = en->nconns;
	list_for_each_entry(conn, &en->conns, node)
		paused += !!READ_ONCE(conn->pause_why);
	spin_unlock(&en->conns_lock);
	G(EVS_GAUGE_A_PAUSED) = paused;
	G(EVS_GAUGE_A_INFLIGHT) = max(atomic_read(&en->inflight), 0);
	G(EVS_GAUGE_A_INFLIGHT_HIGH) = atomic_read(&en->inflight_high);
	spin_lock(&en->store.lock);
	G(EVS_GAUGE_A_STORE_EVENTS) = en->store.events;
	G(EVS_GAUGE_A_STORE_BYTES) = en->store.bytes;
	spin_unlock(&en->store.lock);
	evs_mem_read(en, &mem);
	G(EVS_GAUGE_A_MEM_INFLIGHT) = mem.inflight;
	G(EVS_GAUGE_A_MEM_CONNS) = mem.conns;
	G(EVS_GAUGE_A_MEM_RINGS) = mem.rings;
	G(EVS_GAUGE_A_MEM_OTHER) = mem.other;
	G(EVS_GAUGE_A_MEM_USED) = mem.used;
	G(EVS_GAUGE_A_MEM_BUDGET) = mem.budget;
#undef G
}
