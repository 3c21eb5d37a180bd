// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/evstream/: the namespace's figures as text, for people and
 * scripts without evctl.  The names are the ones `evctl -j stats` uses.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include "evstream.h"

static int evs_proc_stats_show(struct seq_file *seq, void *v)
{
	struct evs_net *en = evs_net(seq_file_single_net(seq));
	u64 ctr[EVS_NR_COUNTERS];
	int i;

	evs_stats_read(en, ctr);
	for (i = 0; i < EVS_NR_COUNTERS; i++)
		seq_printf(seq, "%-16s %llu\n",
			   evs_counter_name(EVS_STATS_A_FIRST_COUNTER + i), ctr[i]);
	return 0;
}

int evs_proc_init_net(struct evs_net *en)
{
	struct net *net = en->net;

	en->proc_dir = proc_net_mkdir(net, "evstream", net->proc_net);
	if (!en->proc_dir)
		return -ENOMEM;
	if (!proc_create_net_single("stats", 0444, en->proc_dir,
				    evs_proc_stats_show, NULL))
		goto err;
	return 0;
err:
	remove_proc_subtree("evstream", net->proc_net);
	en->proc_dir = NULL;
	return -ENOMEM;
}

void evs_proc_exit_net(struct evs_net *en)
{
	if (en->proc_dir)
		remove_proc_subtree("evstream", en->net->proc_net);
	en->proc_dir = NULL;
}
