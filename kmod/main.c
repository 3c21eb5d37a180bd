// SPDX-License-Identifier: GPL-2.0
/*
 * evstream: in-kernel event ingest pipeline.
 *
 * Module entry and exit, the module parameters (defaults of every
 * namespace's settings), and the per-network-namespace state that every
 * other stage hangs off.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <net/genetlink.h>
#include "evstream.h"

unsigned int evs_net_id __read_mostly;
/* Accept, per-connection rx/tx/close and resume work. */
struct workqueue_struct *evs_ctl_wq;

struct evs_config evs_default_config = {
	.max_payload = EVS_WIRE_PAYLOAD_DEFAULT,
	.pool_limit = 65536,
	.pressure = 75,
	.ring_size = 4096,
	.store_limit = 64ULL << 20,
	.conn_limit = 1024,
	.batch = 64,
	.idle_timeout = 0,
	.ack_delay = 0,
};

module_param_named(max_payload, evs_default_config.max_payload, uint, 0444);
MODULE_PARM_DESC(max_payload, "default payload limit per frame, bytes (4096, at most 65536)");
module_param_named(pool_limit, evs_default_config.pool_limit, uint, 0444);
MODULE_PARM_DESC(pool_limit, "default events in flight per namespace (65536, at most 16777216)");
module_param_named(pressure, evs_default_config.pressure, uint, 0444);
MODULE_PARM_DESC(pressure, "percent of pool_limit above which auto traffic goes to batch (75)");
module_param_named(ring_size, evs_default_config.ring_size, uint, 0444);
MODULE_PARM_DESC(ring_size, "slots per CPU and priority ring, a power of two (4096)");
module_param_named(store_limit, evs_default_config.store_limit, ullong, 0444);
MODULE_PARM_DESC(store_limit, "default bytes the topic stores of a namespace may hold (64 MiB, at most 1 TiB)");
module_param_named(conn_limit, evs_default_config.conn_limit, uint, 0444);
MODULE_PARM_DESC(conn_limit, "default connections open per namespace (1024, at most 1048576)");
module_param_named(batch, evs_default_config.batch, uint, 0444);
MODULE_PARM_DESC(batch, "events a consumer takes per run (64)");
module_param_named(idle_timeout, evs_default_config.idle_timeout, uint, 0444);
MODULE_PARM_DESC(idle_timeout, "seconds a connection may send nothing before it is closed, 0 never (0)");
module_param_named(ack_delay, evs_default_config.ack_delay, uint, 0444);
MODULE_PARM_DESC(ack_delay, "microseconds an ACK may wait to cover more frames (0)");

/*
 * What a namespace owned by another user namespace than the initial one
 * may raise its memory settings to.  Anyone can own one (unshare -Urn
 * gives CAP_NET_ADMIN over a namespace of one's own), so without these a
 * local user could set store_limit to 1 TiB.  Root of the initial user
 * namespace changes them at runtime through sysfs; the defaults are the
 * defaults of the settings.  Read with READ_ONCE: sysfs writes them under
 * the module's parameter lock only.
 */
struct evs_ceiling evs_userns_ceiling = {
	.max_payload = EVS_WIRE_PAYLOAD_DEFAULT,
	.pool_limit = 65536,
	.ring_size = 4096,
	.store_limit = 64ULL << 20,
	.conn_limit = 1024,
};

#define EVS_CEILING_OPS(name, type)					\
static const struct kernel_param_ops evs_ceiling_##name##_ops = {	\
	.set = evs_param_set_ceiling,					\
	.get = param_get_##type,					\
};									\
module_param_cb(userns_##name, &evs_ceiling_##name##_ops,		\
		&evs_userns_ceiling.name, 0644)

EVS_CEILING_OPS(max_payload, uint);
MODULE_PARM_DESC(userns_max_payload, "most max_payload a namespace of another user namespace may set (4096)");
EVS_CEILING_OPS(pool_limit, uint);
MODULE_PARM_DESC(userns_pool_limit, "most pool_limit a namespace of another user namespace may set (65536)");
EVS_CEILING_OPS(ring_size, uint);
MODULE_PARM_DESC(userns_ring_size, "most ring_size a namespace of another user namespace may set (4096)");
EVS_CEILING_OPS(store_limit, ullong);
MODULE_PARM_DESC(userns_store_limit, "most store_limit a namespace of another user namespace may set (64 MiB)");
EVS_CEILING_OPS(conn_limit, uint);
MODULE_PARM_DESC(userns_conn_limit, "most conn_limit a namespace of another user namespace may set (1024)");

/*
 * Once a second while a listener is up: the rate summary for the monitor
 * group and the idle-connection scan.  Stops itself with the last
 * listener, so an idle namespace costs no wake-ups.
 */
static void evs_tick_work_fn(struct work_struct *work)
{
	struct evs_net *en = container_of(to_delayed_work(work),
					  struct evs_net, tick_work);

	evs_rate_tick(en);
	evs_conn_idle_scan(en);
	if (READ_ONCE(en->nlisteners))
		queue_delayed_work(evs_ctl_wq, &en->tick_work, HZ);
}

/*
 * A listener came up: make sure the tick runs.  The first tick after a
 * quiet spell covers the whole spell; it says how long that was.
 */
void evs_tick_start(struct evs_net *en)
{
	queue_delayed_work(evs_ctl_wq, &en->tick_work, HZ);
}

/*
 * A namespace other than the initial one is usually a container's, and
 * what its clients make the module hold (events, connections, indexes,
 * rings) belongs in the container's memory cgroup, or memory.max would
 * not contain it.  The cgroup is that of the task adding the first
 * listener or route: the namespace's owner setting up its service.  Nothing ties
 * a namespace to a cgroup, so this is the best witness there is; it
 * holds until the namespace goes, wherever that task moves.  The initial
 * namespace's memory is the system's, as is the root cgroup's.
 */
void evs_memcg_take(struct evs_net *en)
{
	struct mem_cgroup *memcg;

	lockdep_assert_held(&en->lock);
	if (en->memcg || net_eq(en->net, &init_net) || !current->mm)
		return;
	memcg = get_mem_cgroup_from_mm(current->mm);
	if (memcg && !parent_mem_cgroup(memcg)) {
		mem_cgroup_put(memcg);
		memcg = NULL;
	}
	en->memcg = memcg;
}

static int __net_init evs_net_init(struct net *net)
{
	struct evs_net *en = evs_net(net);
	int err;

	en->net = net;
	mutex_init(&en->lock);
	en->cfg = evs_default_config;
	if (net->user_ns != &init_user_ns)
		evs_config_clamp(&en->cfg);
	INIT_LIST_HEAD(&en->listeners);
	spin_lock_init(&en->conns_lock);
	INIT_LIST_HEAD(&en->conns);
	xa_init(&en->routes);
	spin_lock_init(&en->paused_lock);
	INIT_LIST_HEAD(&en->paused);
	INIT_WORK(&en->resume_work, evs_resume_work_fn);
	INIT_DELAYED_WORK(&en->nomem_work, evs_nomem_work_fn);
	INIT_DELAYED_WORK(&en->tick_work, evs_tick_work_fn);
	en->tick_last = jiffies;
	evs_store_init(&en->store);
	/* Generation 0 would mean "unknown" to dump consistency checks. */
	en->listeners_gen = 1;
	en->conns_gen = 1;
	en->routes_gen = 1;

	err = evs_should_fail(EVS_FAULT_NET) || evs_should_fail(EVS_FAULT_LOAD) ?
	      -ENOMEM : evs_stats_init(en);
	if (err)
		return err;
	err = evs_should_fail(EVS_FAULT_NET) || evs_should_fail(EVS_FAULT_LOAD) ?
	      -ENOMEM : evs_proc_init_net(en);
	if (err)
		goto err_stats;
	return 0;

err_stats:
	evs_stats_exit(en);
	return err;
}

/*
 * Before any namespace exit runs: kernel sockets hold no reference on
 * their namespace, so they must all be gone while TCP still knows it.
 * Closing the listeners closes their connections; then no producer is
 * left and the rings can be emptied.
 */
static void __net_exit evs_net_pre_exit(struct net *net)
{
	struct evs_net *en = evs_net(net);

	evs_listen_close_all(en, EVS_CLOSE_SHUTDOWN);
	cancel_delayed_work_sync(&en->tick_work);
	evs_rings_drain(en);
	/* The retry queues the resume: first the one, then the other. */
	cancel_delayed_work_sync(&en->nomem_work);
	cancel_work_sync(&en->resume_work);
}

static void __net_exit evs_net_exit(struct net *net)
{
	struct evs_net *en = evs_net(net);

	evs_proc_exit_net(en);
	evs_rings_free(en);
	evs_store_exit(&en->store);
	xa_destroy(&en->routes);
	WARN_ON_ONCE(atomic_read(&en->inflight));
	evs_stats_exit(en);
	/* Last: what was charged is freed (uncharged) by now. */
	mem_cgroup_put(en->memcg);
	mutex_destroy(&en->lock);
}

static struct pernet_operations evs_net_ops = {
	.init = evs_net_init,
	.pre_exit = evs_net_pre_exit,
	.exit = evs_net_exit,
	.id = &evs_net_id,
	.size = sizeof(struct evs_net),
};

static int __init evs_init(void)
{
	int err;

	err = evs_config_check_params(&evs_default_config);
	if (err)
		return err;
	evs_fault_init();
	err = evs_pool_init();
	if (err)
		goto err_fault;
	err = evs_dispatch_init();
	if (err)
		goto err_pool;
	err = -ENOMEM;
	evs_ctl_wq = evs_should_fail(EVS_FAULT_LOAD) ? NULL :
		     alloc_workqueue("evs_ctl", 0, 0);
	if (!evs_ctl_wq)
		goto err_dispatch;
	err = register_pernet_subsys(&evs_net_ops);
	if (err)
		goto err_wq;
	/* Last: once the family exists, requests can arrive. */
	err = evs_should_fail(EVS_FAULT_LOAD) ? -ENOMEM : evs_netlink_init();
	if (err)
		goto err_pernet;
	pr_info("version %s loaded\n", EVS_VERSION);
	return 0;

err_pernet:
	unregister_pernet_subsys(&evs_net_ops);
err_wq:
	destroy_workqueue(evs_ctl_wq);
err_dispatch:
	evs_dispatch_exit();
err_pool:
	evs_pool_exit();
err_fault:
	evs_fault_exit();
	return err;
}

static void __exit evs_exit(void)
{
	/* First: no request may run while the namespaces' state goes. */
	evs_netlink_exit();
	unregister_pernet_subsys(&evs_net_ops);
	destroy_workqueue(evs_ctl_wq);
	evs_dispatch_exit();
	evs_pool_exit();
	evs_fault_exit();
	pr_info("unloaded\n");
}

module_init(evs_init);
module_exit(evs_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("evstream: in-kernel TCP event ingest pipeline");
MODULE_VERSION(EVS_VERSION);
MODULE_ALIAS_GENL_FAMILY(EVS_GENL_NAME);
