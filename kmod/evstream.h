/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal declarations shared by the stages of evstream.ko.
 */
#ifndef _EVS_EVSTREAM_H
#define _EVS_EVSTREAM_H

#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/evstream.h>
#include <evstream/stats_names.h>
#include <evstream/version.h>

struct proc_dir_entry;

/* One CPU's share of a namespace's counters; see stats.c. */
struct evs_pcpu_stats {
	u64_stats_t ctr[EVS_NR_COUNTERS];
	struct u64_stats_sync syncp;
};

/* Everything evstream keeps for one network namespace. */
struct evs_net {
	struct net *net;
	/* Serialises control-plane changes of this namespace. */
	struct mutex lock;
	struct evs_pcpu_stats __percpu *stats;
	/* Counter values at the last reset, under @lock; see stats.c. */
	u64 stats_base[EVS_NR_COUNTERS];
	struct proc_dir_entry *proc_dir;
};

extern unsigned int evs_net_id;

static inline struct evs_net *evs_net(const struct net *net)
{
	return net_generic(net, evs_net_id);
}

/* stats.c */
int evs_stats_init(struct evs_net *en);
void evs_stats_exit(struct evs_net *en);
void evs_stats_read(struct evs_net *en, u64 out[EVS_NR_COUNTERS]);
void evs_stats_reset(struct evs_net *en);

/*
 * Adds @n to counter @attr (an EVS_STATS_A_* counter) of this CPU.  Safe
 * from any context: per-CPU data, no atomic read-modify-write.
 */
static inline void evs_stats_add(struct evs_net *en, int attr, u64 n)
{
	struct evs_pcpu_stats *s = get_cpu_ptr(en->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_add(&s->ctr[attr - EVS_STATS_A_FIRST_COUNTER], n);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
	put_cpu_ptr(en->stats);
}

/* netlink.c */
int evs_netlink_init(void);
void evs_netlink_exit(void);

/* proc.c */
int evs_proc_init_net(struct evs_net *en);
void evs_proc_exit_net(struct evs_net *en);

#endif /* _EVS_EVSTREAM_H */
