// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "evstream": the control plane.
 *
 * Every command works on the namespace of the caller's netlink socket.
 * resv_start_op is left at 0, so the core validates the reserved header
 * byte and rejects attributes a command has no policy for.
 */
#include <net/genetlink.h>
#include "evstream.h"

static struct genl_family evs_family;

/* Starts a reply to @info for @cmd; NULL when out of memory. */
static struct sk_buff *evs_reply_new(struct genl_info *info, u8 cmd,
				     void **hdr)
{
	struct sk_buff *msg;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, info, &evs_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int evs_reply_send(struct sk_buff *msg, void *hdr,
			  struct genl_info *info)
{
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int evs_nl_get_version(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = evs_reply_new(info, EVS_CMD_GET_VERSION, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, EVS_A_VERSION, EVS_VERSION) ||
	    nla_put_u8(msg, EVS_A_PROTO_VERSION, EVS_WIRE_VERSION)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return evs_reply_send(msg, hdr, info);
}

static int evs_put_counters(struct sk_buff *msg, struct evs_net *en)
{
	u64 ctr[EVS_NR_COUNTERS];
	struct nlattr *nest;
	int i;

	evs_stats_read(en, ctr);
	nest = nla_nest_start(msg, EVS_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < EVS_NR_COUNTERS; i++) {
		if (nla_put_u64_64bit(msg, EVS_STATS_A_FIRST_COUNTER + i,
				      ctr[i], EVS_STATS_A_PAD)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int evs_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct evs_net *en = evs_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = evs_reply_new(info, EVS_CMD_GET_STATS, &hdr);
	if (!msg)
		return -ENOMEM;
	err = -EMSGSIZE;
	if (nla_put_string(msg, EVS_A_VERSION, EVS_VERSION))
		goto err_free;
	err = evs_put_counters(msg, en);
	if (err)
		goto err_free;
	return evs_reply_send(msg, hdr, info);

err_free:
	nlmsg_free(msg);
	return err;
}

static int evs_nl_stats_reset(struct sk_buff *skb, struct genl_info *info)
{
	evs_stats_reset(evs_net(genl_info_net(info)));
	return 0;
}

/*
 * No command takes attributes yet; without a policy the core rejects any
 * attribute it is sent, which is what strict validation should do.
 */
static const struct genl_ops evs_ops[] = {
	{
		.cmd = EVS_CMD_GET_VERSION,
		.doit = evs_nl_get_version,
	},
	{
		.cmd = EVS_CMD_GET_STATS,
		.doit = evs_nl_get_stats,
	},
	{
		.cmd = EVS_CMD_STATS_RESET,
		.doit = evs_nl_stats_reset,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family evs_family __ro_after_init = {
	.name = EVS_GENL_NAME,
	.version = EVS_GENL_VERSION,
	.maxattr = EVS_A_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = evs_ops,
	.n_ops = ARRAY_SIZE(evs_ops),
};

int __init evs_netlink_init(void)
{
	return genl_register_family(&evs_family);
}

void evs_netlink_exit(void)
{
	genl_unregister_family(&evs_family);
}
