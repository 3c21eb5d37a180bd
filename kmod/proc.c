// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/evstream/: the namespace's figures as text, for people and
 * scripts without evctl.  Every file is a header line, then one record
 * per line (docs/proc.md); names are the ones `evctl -j` uses.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include "evstream.h"

/* One "name value" line per counter, then per gauge. */
static int evs_proc_stats_show(struct seq_file *seq, void *v)
{
	struct evs_net *en = evs_net(seq_file_single_net(seq));
	u64 ctr[EVS_NR_COUNTERS], gauge[EVS_NR_GAUGES];
	int i;

	seq_puts(seq, "name value\n");
	evs_stats_read(en, ctr);
	evs_gauges_read(en, gauge);
	for (i = 0; i < EVS_NR_COUNTERS; i++)
		seq_printf(seq, "%-16s %llu\n",
			   evs_counter_name(EVS_STATS_A_FIRST_COUNTER + i), ctr[i]);
	for (i = 0; i < EVS_NR_GAUGES; i++)
		seq_printf(seq, "%-16s %llu\n",
			   evs_gauge_name(EVS_GAUGE_A_FIRST + i), gauge[i]);
	return 0;
}

/* A header line, then one line per open connection. */
static int evs_proc_conns_show(struct seq_file *seq, void *v)
{
	struct evs_net *en = evs_net(seq_file_single_net(seq));
	struct evs_conn *conn;

	seq_puts(seq, "id peer local_port state events bytes inflight paused acked idle_ms\n");
	spin_lock(&en->conns_lock);
	list_for_each_entry(conn, &en->conns, node) {
		static const char *const names[] = {
			[EVS_CONN_OPEN] = "open",
			[EVS_CONN_DRAINING] = "draining",
			[EVS_CONN_CLOSING] = "closing",
		};

		seq_printf(seq, "%llu %pISpc %u %s %llu %llu %u %u %u %llu\n",
			   conn->id, &conn->peer, conn->local_port,
			   names[evs_conn_state(conn)],
			   READ_ONCE(conn->events), READ_ONCE(conn->bytes),
			   READ_ONCE(conn->pend_tail) - READ_ONCE(conn->pend_head),
			   !!READ_ONCE(conn->pause_why),
			   READ_ONCE(conn->acked_seq),
			   evs_conn_idle_ms(conn));
	}
	spin_unlock(&en->conns_lock);
	return 0;
}

static int evs_proc_listeners_show(struct seq_file *seq, void *v)
{
	struct evs_net *en = evs_net(seq_file_single_net(seq));
	struct evs_listener *l;

	seq_puts(seq, "address accepted conns\n");
	mutex_lock(&en->lock);
	list_for_each_entry(l, &en->listeners, node) {
		spin_lock(&en->conns_lock);
		seq_printf(seq, "%pISpc %llu %u\n", &l->addr, l->accepted,
			   l->nconns);
		spin_unlock(&en->conns_lock);
	}
	mutex_unlock(&en->lock);
	return 0;
}

static int evs_proc_routes_show(struct seq_file *seq, void *v)
{
	struct evs_net *en = evs_net(seq_file_single_net(seq));
	unsigned long topic;
	void *rule;

	seq_puts(seq, "topic prio\n");
	mutex_lock(&en->lock);
	xa_for_each(&en->routes, topic, rule)
		seq_printf(seq, "%lu %s\n", topic,
			   evs_prio_name(xa_to_value(rule)));
	mutex_unlock(&en->lock);
	return 0;
}

int evs_proc_init_net(struct evs_net *en)
{
	struct net *net = en->net;

	en->proc_dir = proc_net_mkdir(net, "evstream", net->proc_net);
	if (!en->proc_dir)
		return -ENOMEM;
	if (!proc_create_net_single("stats", 0444, en->proc_dir,
				    evs_proc_stats_show, NULL) ||
	    !proc_create_net_single("conns", 0444, en->proc_dir,
				    evs_proc_conns_show, NULL) ||
	    !proc_create_net_single("listeners", 0444, en->proc_dir,
				    evs_proc_listeners_show, NULL) ||
	    !proc_create_net_single("routes", 0444, en->proc_dir,
				    evs_proc_routes_show, NULL))
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
