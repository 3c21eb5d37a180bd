// SPDX-License-Identifier: GPL-2.0
/*
 * evstream: in-kernel event ingest pipeline.
 *
 * Module entry and exit, and the per-network-namespace state that every
 * other stage hangs off.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>
#include "evstream.h"

unsigned int evs_net_id __read_mostly;

static int __net_init evs_net_init(struct net *net)
{
	struct evs_net *en = evs_net(net);
	int err;

	en->net = net;
	mutex_init(&en->lock);
	err = evs_stats_init(en);
	if (err)
		return err;
	err = evs_proc_init_net(en);
	if (err)
		goto err_stats;
	return 0;

err_stats:
	evs_stats_exit(en);
	return err;
}

static void __net_exit evs_net_exit(struct net *net)
{
	struct evs_net *en = evs_net(net);

	evs_proc_exit_net(en);
	evs_stats_exit(en);
	mutex_destroy(&en->lock);
}

static struct pernet_operations evs_net_ops = {
	.init = evs_net_init,
	.exit = evs_net_exit,
	.id = &evs_net_id,
	.size = sizeof(struct evs_net),
};

static int __init evs_init(void)
{
	int err;

	err = register_pernet_subsys(&evs_net_ops);
	if (err)
		return err;
	/* Last: once the family exists, requests can arrive. */
	err = evs_netlink_init();
	if (err)
		goto err_pernet;
	pr_info("version %s loaded\n", EVS_VERSION);
	return 0;

err_pernet:
	unregister_pernet_subsys(&evs_net_ops);
	return err;
}

static void __exit evs_exit(void)
{
	/* First: no request may run while the namespaces' state goes. */
	evs_netlink_exit();
	unregister_pernet_subsys(&evs_net_ops);
	pr_info("unloaded\n");
}

module_init(evs_init);
module_exit(evs_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("evstream: in-kernel TCP event ingest pipeline");
MODULE_VERSION(EVS_VERSION);
MODULE_ALIAS_GENL_FAMILY(EVS_GENL_NAME);
