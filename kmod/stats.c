// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace counters.
 *
 * Each CPU owns its own copy, so the data path counts without sharing a
 * cache line or doing an atomic read-modify-write.  A reset does not
 * write to other CPUs' copies (that would race with their writers); it
 * records the current totals as a baseline that readers subtract.
 */
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

static void evs_stats_sum(struct evs_net *en, u64 sum[EVS_NR_COUNTERS])
{
	u64 v[EVS_NR_COUNTERS];
	unsigned int start;
	int cpu, i;

	memset(sum, 0, sizeof(u64) * EVS_NR_COUNTERS);
	for_each_possible_cpu(cpu) {
		const struct evs_pcpu_stats *s = per_cpu_ptr(en->stats, cpu);

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < EVS_NR_COUNTERS; i++)
				v[i] = u64_stats_read(&s->ctr[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < EVS_NR_COUNTERS; i++)
			sum[i] += v[i];
	}
}

void evs_stats_read(struct evs_net *en, u64 out[EVS_NR_COUNTERS])
{
	int i;

	mutex_lock(&en->lock);
	evs_stats_sum(en, out);
	for (i = 0; i < EVS_NR_COUNTERS; i++)
		out[i] -= en->stats_base[i];
	mutex_unlock(&en->lock);
}

void evs_stats_reset(struct evs_net *en)
{
	mutex_lock(&en->lock);
	evs_stats_sum(en, en->stats_base);
	mutex_unlock(&en->lock);
}
