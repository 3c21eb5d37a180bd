// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "evstream": the control plane.
 *
 * Every command works on the namespace of the caller's netlink socket.
 * resv_start_op is left at 0, so the core validates the reserved header
 * byte and applies strict validation everywhere.  Each command has a
 * policy of its own listing only the attributes it takes: anything else
 * is refused with an extended ack that points at it.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include "compat.h"
#include "evstream.h"

static struct genl_family evs_family;

enum evs_mcgrp {
	EVS_MCGRP_MONITOR_IDX,
};

static const struct genl_multicast_group evs_mcgrps[] = {
	/* No payloads travel here: open like the dumps it mirrors. */
	[EVS_MCGRP_MONITOR_IDX] = { .name = EVS_MCGRP_MONITOR },
};

/* ---- policies ---- */

/* Commands without attributes still get a policy: it refuses them all. */
static const struct nla_policy evs_none_policy[EVS_A_MAX + 1];

static const struct nla_policy evs_addr_policy[EVS_A_MAX + 1] = {
	[EVS_A_ADDR_IN]		= NLA_POLICY_EXACT_LEN(4),
	[EVS_A_ADDR_IN6]	= NLA_POLICY_EXACT_LEN(16),
	[EVS_A_PORT]		= { .type = NLA_U16 },
};

static const struct nla_policy evs_listen_add_policy[EVS_A_MAX + 1] = {
	[EVS_A_ADDR_IN]		= NLA_POLICY_EXACT_LEN(4),
	[EVS_A_ADDR_IN6]	= NLA_POLICY_EXACT_LEN(16),
	[EVS_A_PORT]		= { .type = NLA_U16 },
	[EVS_A_LISTEN_FREEBIND]	= { .type = NLA_FLAG },
};

static const struct nla_policy evs_conn_del_policy[EVS_A_MAX + 1] = {
	[EVS_A_CONN_ID]		= { .type = NLA_U64 },
};

static const struct nla_policy evs_route_policy[EVS_A_MAX + 1] = {
	[EVS_A_TOPIC]		= { .type = NLA_U16 },
	[EVS_A_PRIO]		= NLA_POLICY_MAX(NLA_U8, EVS_PRIO_NR - 1),
};

static const struct nla_policy evs_topic_policy[EVS_A_MAX + 1] = {
	[EVS_A_TOPIC]		= { .type = NLA_U16 },
};

static const struct nla_policy evs_read_policy[EVS_A_MAX + 1] = {
	[EVS_A_TOPIC]		= { .type = NLA_U16 },
	[EVS_A_FROM]		= { .type = NLA_U64 },
	[EVS_A_COUNT]		= NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy evs_config_policy[EVS_A_MAX + 1] = {
	[EVS_A_CONFIG]		= NLA_POLICY_NESTED(evs_cfg_policy),
};

/* ---- helpers ---- */

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

/* Starts one message of a dump. */
static void *evs_dump_put(struct sk_buff *skb, struct netlink_callback *cb,
			  u8 cmd)
{
	void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				cb->nlh->nlmsg_seq, &evs_family, NLM_F_MULTI,
				cmd);

	if (hdr)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

static struct evs_net *evs_dump_net(struct netlink_callback *cb)
{
	return evs_net(sock_net(cb->skb->sk));
}

static int evs_put_addr(struct sk_buff *msg, const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		return nla_put_in6_addr(msg, EVS_A_ADDR_IN6, &s6->sin6_addr) ?:
		       nla_put_u16(msg, EVS_A_PORT, ntohs(s6->sin6_port));
	}
	return nla_put_in_addr(msg, EVS_A_ADDR_IN,
			       ((const struct sockaddr_in *)ss)->sin_addr.s_addr) ?:
	       nla_put_u16(msg, EVS_A_PORT, evs_sockaddr_port(ss));
}

/* The address a listener command names: one of ADDR_IN/ADDR_IN6, a port. */
static int evs_get_addr(struct genl_info *info, struct sockaddr_storage *ss)
{
	struct nlattr *in = info->attrs[EVS_A_ADDR_IN];
	struct nlattr *in6 = info->attrs[EVS_A_ADDR_IN6];
	u16 port;

	if (!in && !in6) {
		NL_SET_ERR_MSG(info->extack, "missing address (ADDR_IN or ADDR_IN6)");
		return -EINVAL;
	}
	if (in && in6) {
		NL_SET_ERR_MSG_ATTR(info->extack, in6,
				    "give one address, IPv4 or IPv6");
		return -EINVAL;
	}
	if (GENL_REQ_ATTR_CHECK(info, EVS_A_PORT)) {
		NL_SET_ERR_MSG(info->extack, "missing port");
		return -EINVAL;
	}
	port = nla_get_u16(info->attrs[EVS_A_PORT]);
	memset(ss, 0, sizeof(*ss));
	if (in6) {
		struct sockaddr_in6 *s6 = (void *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = nla_get_in6_addr(in6);
		s6->sin6_port = htons(port);
	} else {
		struct sockaddr_in *s4 = (void *)ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = nla_get_in_addr(in);
		s4->sin_port = htons(port);
	}
	return 0;
}

/* ---- version, stats ---- */

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

/* @n u64 values as attributes @first.. of a nest @type. */
static int evs_put_u64_nest(struct sk_buff *msg, int type, int first,
			    int pad, const u64 *val, int n)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(msg, type);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		if (nla_put_u64_64bit(msg, first + i, val[i], pad)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int evs_put_lat_prio(struct sk_buff *msg, u8 prio, const u64 *buckets)
{
	struct nlattr *pn = nla_nest_start(msg, EVS_A_LAT_PRIO);

	if (!pn || nla_put_u8(msg, EVS_LAT_A_PRIO, prio) ||
	    nla_put(msg, EVS_LAT_A_BUCKETS, EVS_LAT_BUCKETS * sizeof(u64),
		    buckets))
		return -EMSGSIZE;
	nla_nest_end(msg, pn);
	return 0;
}

static int evs_put_latency(struct sk_buff *msg, struct evs_net *en)
{
	u64 (*lat)[EVS_LAT_BUCKETS];
	struct nlattr *nest;
	int p, err = -EMSGSIZE;

	lat = kmalloc_array(EVS_PRIO_NR, sizeof(*lat), GFP_KERNEL);
	if (!lat)
		return -ENOMEM;
	evs_stats_read_latency(en, lat);
	nest = nla_nest_start(msg, EVS_A_LATENCY);
	if (!nest)
		goto out;
	for (p = 0; p < EVS_PRIO_NR; p++) {
		if (evs_put_lat_prio(msg, p, lat[p])) {
			nla_nest_cancel(msg, nest);
			goto out;
		}
	}
	nla_nest_end(msg, nest);
	err = 0;
out:
	kfree(lat);
	return err;
}

static int evs_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct evs_net *en = evs_net(genl_info_net(info));
	u64 ctr[EVS_NR_COUNTERS], gauge[EVS_NR_GAUGES];
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = evs_reply_new(info, EVS_CMD_GET_STATS, &hdr);
	if (!msg)
		return -ENOMEM;
	evs_stats_read(en, ctr);
	evs_gauges_read(en, gauge);
	err = -EMSGSIZE;
	if (nla_put_string(msg, EVS_A_VERSION, EVS_VERSION))
		goto err_free;
	err = evs_put_u64_nest(msg, EVS_A_STATS, EVS_STATS_A_FIRST_COUNTER,
			       EVS_STATS_A_PAD, ctr, EVS_NR_COUNTERS) ?:
	      evs_put_u64_nest(msg, EVS_A_GAUGES, EVS_GAUGE_A_FIRST,
			       EVS_GAUGE_A_PAD, gauge, EVS_NR_GAUGES) ?:
	      evs_put_latency(msg, en);
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

/* ---- listeners ---- */

static int evs_put_listener(struct sk_buff *msg, struct evs_net *en,
			    const struct evs_listener *l)
{
	u64 accepted;
	u32 nconns;

	spin_lock(&en->conns_lock);
	accepted = l->accepted;
	nconns = l->nconns;
	spin_unlock(&en->conns_lock);
	return evs_put_addr(msg, &l->addr) ?:
	       nla_put_u64_64bit(msg, EVS_A_LISTEN_ACCEPTED, accepted,
				 EVS_A_PAD) ?:
	       nla_put_u32(msg, EVS_A_LISTEN_CONNS, nconns) ?:
	       (l->freebind ? nla_put_flag(msg, EVS_A_LISTEN_FREEBIND) : 0);
}

static int evs_nl_listen_add(struct sk_buff *skb, struct genl_info *info)
{
	struct evs_net *en = evs_net(genl_info_net(info));
	struct sockaddr_storage ss;
	struct evs_listener *l;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = evs_get_addr(info, &ss);
	if (err)
		return err;
	msg = evs_reply_new(info, EVS_CMD_LISTEN_ADD, &hdr);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&en->lock);
	err = evs_listen_add(en, &ss,
			     nla_get_flag(info->attrs[EVS_A_LISTEN_FREEBIND]),
			     &l, info->extack);
	if (!err && evs_put_listener(msg, en, l))
		err = -EMSGSIZE;	/* cannot happen: the reply is tiny */
	mutex_unlock(&en->lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return evs_reply_send(msg, hdr, info);
}

static int evs_nl_listen_del(struct sk_buff *skb, struct genl_info *info)
{
	struct evs_net *en = evs_net(genl_info_net(info));
	struct sockaddr_storage ss;
	int err;

	err = evs_get_addr(info, &ss);
	if (err)
		return err;
	mutex_lock(&en->lock);
	err = evs_listen_del(en, &ss, info->extack);
	mutex_unlock(&en->lock);
	return err;
}

static int evs_nl_listen_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct evs_net *en = evs_dump_net(cb);
	struct evs_listener *l;
	long idx = 0;
	void *hdr;

	mutex_lock(&en->lock);
	cb->seq = en->listeners_gen;
	list_for_each_entry(l, &en->listeners, node) {
		if (idx++ < cb->args[0])
			continue;
		hdr = evs_dump_put(skb, cb, EVS_CMD_LISTEN_GET);
		if (!hdr)
			break;
		if (evs_put_listener(skb, en, l)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
	mutex_unlock(&en->lock);
	return skb->len;
}

/* ---- routes ---- */

static int evs_nl_route_add(struct sk_buff *skb, struct genl_info *info)
{
	struct evs_net *en = evs_net(genl_info_net(info));
	struct mem_cgroup *old_memcg;
	u16 topic;
	u8 prio;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, EVS_A_TOPIC) ||
	    GENL_REQ_ATTR_CHECK(info, EVS_A_PRIO)) {
		NL_SET_ERR_MSG(info->extack, "need a topic and a priority");
		return -EINVAL;
	}
	topic = nla_get_u16(info->attrs[EVS_A_TOPIC]);
	prio = nla_get_u8(info->attrs[EVS_A_PRIO]);
	mutex_lock(&en->lock);
	evs_memcg_take(en);
	old_memcg = set_active_memcg(en->memcg);
	err = xa_err(xa_store(&en->routes, topic, xa_mk_value(prio),
			      evs_gfp(en)));
	set_active_memcg(old_memcg);
	if (!err) {
		en->routes_gen++;
		evs_notify_route(en, topic, prio);
	}
	mutex_unlock(&en->lock);
	return err;
}

static int evs_nl_route_del(struct sk_buff *skb, struct genl_info *info)
{
	struct evs_net *en = evs_net(genl_info_net(info));
	int err = 0;

	if (GENL_REQ_ATTR_CHECK(info, EVS_A_TOPIC)) {
		NL_SET_ERR_MSG(info->extack, "need a topic");
		return -EINVAL;
	}
	mutex_lock(&en->lock);
	if (xa_erase(&en->routes, nla_get_u16(info->attrs[EVS_A_TOPIC]))) {
		en->routes_gen++;
		evs_notify_route(en, nla_get_u16(info->attrs[EVS_A_TOPIC]), -1);
	} else {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[EVS_A_TOPIC],
				    "no route for that topic");
		err = -ENOENT;
	}
	mutex_unlock(&en->lock);
	return err;
}

static int evs_nl_route_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct evs_net *en = evs_dump_net(cb);
	unsigned long topic;
	void *rule, *hdr;

	mutex_lock(&en->lock);
	cb->seq = en->routes_gen;
	xa_for_each_start(&en->routes, topic, rule, cb->args[0]) {
		hdr = evs_dump_put(skb, cb, EVS_CMD_ROUTE_GET);
		if (!hdr)
			break;
		if (nla_put_u16(skb, EVS_A_TOPIC, topic) ||
		    nla_put_u8(skb, EVS_A_PRIO, xa_to_value(rule))) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = topic + 1;
	}
	mutex_unlock(&en->lock);
	return skb->len;
}

/* ---- connections ---- */

/*
 * The address the client connected to, which tells which listener took
 * it.  The socket is there while the connection is listed, and when
 * its close is announced.
 */
static int evs_put_local_addr(struct sk_buff *msg, const struct evs_conn *conn)
{
	const struct sock *sk = conn->sock->sk;

#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		return nla_put_in6_addr(msg, EVS_A_LOCAL_ADDR_IN6,
					&sk->sk_v6_rcv_saddr);
#endif
	return nla_put_in_addr(msg, EVS_A_LOCAL_ADDR_IN, sk->sk_rcv_saddr);
}

static int evs_put_conn(struct sk_buff *msg, const struct evs_conn *conn)
{
	u32 inflight = READ_ONCE(conn->pend_tail) - READ_ONCE(conn->pend_head);

	return nla_put_u64_64bit(msg, EVS_A_CONN_ID, conn->id, EVS_A_PAD) ?:
	       evs_put_addr(msg, &conn->peer) ?:
	       nla_put_u16(msg, EVS_A_LOCAL_PORT, conn->local_port) ?:
	       nla_put_u8(msg, EVS_A_CONN_STATE, evs_conn_state(conn)) ?:
	       nla_put_u64_64bit(msg, EVS_A_CONN_EVENTS, READ_ONCE(conn->events),
				 EVS_A_PAD) ?:
	       nla_put_u64_64bit(msg, EVS_A_CONN_BYTES, READ_ONCE(conn->bytes),
				 EVS_A_PAD) ?:
	       nla_put_u8(msg, EVS_A_CONN_PAUSED, !!READ_ONCE(conn->pause_why)) ?:
	       nla_put_u32(msg, EVS_A_CONN_ACKED, READ_ONCE(conn->acked_seq)) ?:
	       nla_put_u32(msg, EVS_A_CONN_INFLIGHT, inflight) ?:
	       nla_put_u64_64bit(msg, EVS_A_CONN_IDLE_MS, evs_conn_idle_ms(conn),
				 EVS_A_PAD) ?:
	       evs_put_local_addr(msg, conn);
}

static int evs_nl_conn_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct evs_net *en = evs_dump_net(cb);
	struct evs_conn *conn;
	void *hdr;

	/* Ids grow along the list: resume after the last one sent. */
	spin_lock(&en->conns_lock);
	cb->seq = en->conns_gen;
	list_for_each_entry(conn, &en->conns, node) {
		if (conn->id <= (u64)cb->args[0])
			continue;
		hdr = evs_dump_put(skb, cb, EVS_CMD_CONN_GET);
		if (!hdr)
			break;
		if (evs_put_conn(skb, conn)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = conn->id;
	}
	spin_unlock(&en->conns_lock);
	return skb->len;
}

static int evs_nl_conn_del(struct sk_buff *skb, struct genl_info *info)
{
	struct evs_net *en = evs_net(genl_info_net(info));
	struct nlattr *id = info->attrs[EVS_A_CONN_ID];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, EVS_A_CONN_ID)) {
		NL_SET_ERR_MSG(info->extack, "need a connection id");
		return -EINVAL;
	}
	mutex_lock(&en->lock);
	err = evs_conn_del(en, nla_get_u64(id), info->extack);
	mutex_unlock(&en->lock);
	if (err)
		NL_SET_BAD_ATTR(info->extack, id);
	return err;
}

/* ---- reading the store ---- */

/* cb->args of a READ dump. */
enum {
	EVS_RD_TOPIC,
	EVS_RD_SEQ,		/* next event to send */
	EVS_RD_OFF,		/* payload offset within it */
	EVS_RD_LEFT,		/* events still wanted */
	EVS_RD_GAPS,		/* evictions noticed mid-dump */
	EVS_RD_STARTED,		/* a part of the dump went out */
};

/*
 * The topic is required, but start() has no extended ack to say so in
 * 6.1: mark it missing and let the first dump call refuse, with a reason.
 */
static int evs_nl_read_start(struct netlink_callback *cb)
{
	struct nlattr **tb = evs_dump_attrs(cb);

	cb->args[EVS_RD_TOPIC] = tb[EVS_A_TOPIC] ?
				 nla_get_u16(tb[EVS_A_TOPIC]) : -1;
	cb->args[EVS_RD_SEQ] = tb[EVS_A_FROM] ? nla_get_u64(tb[EVS_A_FROM]) : 0;
	cb->args[EVS_RD_OFF] = 0;
	cb->args[EVS_RD_LEFT] = tb[EVS_A_COUNT] ? nla_get_u32(tb[EVS_A_COUNT]) :
					      LONG_MAX;
	cb->args[EVS_RD_GAPS] = 0;
	cb->args[EVS_RD_STARTED] = 0;
	return 0;
}

/* Room a message needs besides its payload chunk, generously. */
#define EVS_READ_OVERHEAD 256

/* One message for @ev from payload offset @off; returns bytes sent or < 0. */
static int evs_put_event(struct sk_buff *skb, struct netlink_callback *cb,
			 const struct evs_event *ev, u32 off)
{
	int room = skb_tailroom(skb) - EVS_READ_OVERHEAD;
	u32 chunk = ev->len - off;
	void *hdr;

	if (room <= 0 || (chunk && room < 64))
		return -EMSGSIZE;
	chunk = min_t(u32, chunk, room);
	hdr = evs_dump_put(skb, cb, EVS_CMD_READ);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u16(skb, EVS_A_TOPIC, ev->topic) ||
	    nla_put_u64_64bit(skb, EVS_A_EVENT_SEQ, ev->seq, EVS_A_PAD) ||
	    nla_put_u64_64bit(skb, EVS_A_EVENT_CONN, ev->conn_id, EVS_A_PAD) ||
	    nla_put_u32(skb, EVS_A_EVENT_CLIENT_SEQ, ev->client_seq) ||
	    nla_put_u8(skb, EVS_A_PRIO, ev->prio) ||
	    nla_put_u64_64bit(skb, EVS_A_EVENT_TS_INGEST, ev->t_ingest,
			      EVS_A_PAD) ||
	    nla_put_u64_64bit(skb, EVS_A_EVENT_TS_DEQUEUE, ev->t_dequeue,
			      EVS_A_PAD) ||
	    nla_put_u64_64bit(skb, EVS_A_EVENT_TS_DONE, ev->t_done, EVS_A_PAD) ||
	    nla_put_u32(skb, EVS_A_EVENT_LEN, ev->len) ||
	    nla_put_u32(skb, EVS_A_EVENT_OFFSET, off) ||
	    nla_put(skb, EVS_A_EVENT_DATA, chunk, ev->data + off)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return chunk;
}

/*
 * Copies events out under the store lock, which also keeps them from
 * being evicted meanwhile.  A payload that does not fit one message goes
 * out in pieces.  Events evicted between two parts of the dump make a
 * gap the reader is told of (NLM_F_DUMP_INTR).
 */
static int evs_nl_read_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct evs_store *st = &evs_dump_net(cb)->store;
	u64 seq = cb->args[EVS_RD_SEQ];
	u32 off = cb->args[EVS_RD_OFF];
	struct evs_topic *t;
	int n;

	if (cb->args[EVS_RD_TOPIC] < 0) {
		NL_SET_ERR_MSG(cb->extack, "need a topic");
		return -EINVAL;
	}
	spin_lock(&st->lock);
	t = xa_load(&st->topics, cb->args[EVS_RD_TOPIC]);
	if (!t)
		goto out;
	if (seq < t->first_seq) {
		/*
		 * Evicted before we got to them: normal for the first part,
		 * a gap the reader must hear of after that.
		 */
		if (cb->args[EVS_RD_STARTED])
			cb->args[EVS_RD_GAPS]++;
		seq = t->first_seq;
		off = 0;
	}
	cb->args[EVS_RD_STARTED] = 1;
	cb->seq = 1 + cb->args[EVS_RD_GAPS];
	while (seq < t->next_seq && cb->args[EVS_RD_LEFT]) {
		const struct evs_event *ev = t->slot[seq & (t->cap - 1)];

		n = evs_put_event(skb, cb, ev, off);
		if (n < 0)
			break;
		off += n;
		if (off < ev->len)
			continue;
		seq++;
		off = 0;
		cb->args[EVS_RD_LEFT]--;
	}
out:
	spin_unlock(&st->lock);
	cb->args[EVS_RD_SEQ] = seq;
	cb->args[EVS_RD_OFF] = off;
	return skb->len;
}

/* ---- rings and latency ---- */

/* One message per possible CPU and priority; cb->args[0] is the index. */
static int evs_nl_ring_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct evs_net *en = evs_dump_net(cb);
	long idx = 0;
	void *hdr;
	int cpu, p;

	/* The lock keeps a ring size change from freeing the rings. */
	mutex_lock(&en->lock);
	if (!en->rings)
		goto out;
	for_each_possible_cpu(cpu) {
		struct evs_cpu_rings *cr = per_cpu_ptr(en->rings, cpu);

		for (p = 0; p < EVS_PRIO_NR; p++) {
			if (idx++ < cb->args[0])
				continue;
			hdr = evs_dump_put(skb, cb, EVS_CMD_RING_GET);
			if (!hdr)
				goto out;
			if (nla_put_u32(skb, EVS_A_CPU, cpu) ||
			    nla_put_u8(skb, EVS_A_PRIO, p) ||
			    nla_put_u32(skb, EVS_A_RING_COUNT,
					evs_ring_count(cr->rw[p].ring)) ||
			    nla_put_u32(skb, EVS_A_RING_SIZE, en->rings_size)) {
				genlmsg_cancel(skb, hdr);
				goto out;
			}
			genlmsg_end(skb, hdr);
			cb->args[0] = idx;
		}
	}
out:
	mutex_unlock(&en->lock);
	return skb->len;
}

static int evs_nl_latency_dump(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	struct evs_net *en = evs_dump_net(cb);
	u64 (*lat)[EVS_LAT_BUCKETS];
	void *hdr;
	int p;

	if (cb->args[0] >= EVS_PRIO_NR)
		return 0;
	lat = kmalloc_array(EVS_PRIO_NR, sizeof(*lat), GFP_KERNEL);
	if (!lat)
		return -ENOMEM;
	evs_stats_read_latency(en, lat);
	for (p = cb->args[0]; p < EVS_PRIO_NR; p++) {
		hdr = evs_dump_put(skb, cb, EVS_CMD_LATENCY_GET);
		if (!hdr)
			break;
		if (evs_put_lat_prio(skb, p, lat[p])) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = p + 1;
	}
	kfree(lat);
	return skb->len;
}

/* ---- configuration ---- */

static int evs_nl_config_get(struct sk_buff *skb, struct genl_info *info)
{
	struct evs_net *en = evs_net(genl_info_net(info));
	struct evs_config cfg;
	struct sk_buff *msg;
	void *hdr;

	msg = evs_reply_new(info, EVS_CMD_CONFIG_GET, &hdr);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&en->lock);
	cfg = en->cfg;
	mutex_unlock(&en->lock);
	if (evs_config_put(msg, &cfg)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return evs_reply_send(msg, hdr, info);
}

/* Checks everything first, then applies everything: never half a set. */
static int evs_nl_config_set(struct sk_buff *skb, struct genl_info *info)
{
	struct evs_net *en = evs_net(genl_info_net(info));
	struct nlattr *tb[EVS_CFG_A_MAX + 1];
	struct evs_config c;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, EVS_A_CONFIG)) {
		NL_SET_ERR_MSG(info->extack, "need a CONFIG nest");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, EVS_CFG_A_MAX, info->attrs[EVS_A_CONFIG],
			       evs_cfg_policy, info->extack);
	if (err)
		return err;

	mutex_lock(&en->lock);
	c = en->cfg;
	err = evs_config_parse(&c, tb, info->extack);
	if (err)
		goto out;
	if (c.ring_size != en->cfg.ring_size && en->nlisteners) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[EVS_CFG_A_RING_SIZE],
				    "ring size can change only while no listener is up");
		err = -EBUSY;
		goto out;
	}

	/*
	 * The ceilings bind whoever lacks CAP_NET_ADMIN over the initial user
	 * namespace: in the initial network namespace that is nobody who got
	 * this far, elsewhere the root of a container or of unshare -Urn.
	 */
	if (!netlink_capable(skb, CAP_NET_ADMIN)) {
		err = evs_config_check_ceiling(&en->cfg, &c, info->extack);
		if (err)
			goto out;
	}

	if (c.ring_size != en->rings_size)
		evs_rings_free(en);	/* the next listener allocates anew */
	evs_config_store(&en->cfg, &c);
	evs_notify_config(en);
out:
	mutex_unlock(&en->lock);
	if (err)
		return err;
	evs_store_trim(en);
	/* A larger pool may free paused readers. */
	evs_maybe_resume(en, false);
	return 0;
}

/* ---- notifications ---- */

/* A message for the monitor group of @en's namespace, or NULL. */
static struct sk_buff *evs_ntf_new(struct evs_net *en, u8 cmd, void **hdr)
{
	struct sk_buff *msg;

	if (!genl_has_listeners(&evs_family, en->net, EVS_MCGRP_MONITOR_IDX))
		return NULL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &evs_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Sends, or drops when filling failed (@err): a monitor is best effort. */
static void evs_ntf_send(struct evs_net *en, struct sk_buff *msg, void *hdr,
			 int err)
{
	if (err) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&evs_family, en->net, msg, 0,
				EVS_MCGRP_MONITOR_IDX, GFP_KERNEL);
}

void evs_notify_conn(struct evs_conn *conn, u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = evs_ntf_new(conn->en, cmd, &hdr);
	if (!msg)
		return;
	err = evs_put_conn(msg, conn);
	if (!err && cmd == EVS_CMD_NTF_CONN_CLOSE)
		err = nla_put_u8(msg, EVS_A_CLOSE_REASON, conn->close_reason);
	evs_ntf_send(conn->en, msg, hdr, err);
}

void evs_notify_listener(struct evs_net *en, const struct evs_listener *l,
			 u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;

	msg = evs_ntf_new(en, cmd, &hdr);
	if (msg)
		evs_ntf_send(en, msg, hdr, evs_put_listener(msg, en, l));
}

/* @prio < 0: the rule for @topic was deleted. */
void evs_notify_route(struct evs_net *en, u16 topic, int prio)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = evs_ntf_new(en, prio < 0 ? EVS_CMD_NTF_ROUTE_DEL :
				EVS_CMD_NTF_ROUTE_ADD, &hdr);
	if (!msg)
		return;
	err = nla_put_u16(msg, EVS_A_TOPIC, topic);
	if (!err && prio >= 0)
		err = nla_put_u8(msg, EVS_A_PRIO, prio);
	evs_ntf_send(en, msg, hdr, err);
}

/* Called with en->lock held, after a change. */
void evs_notify_config(struct evs_net *en)
{
	struct sk_buff *msg;
	void *hdr;

	msg = evs_ntf_new(en, EVS_CMD_NTF_CONFIG, &hdr);
	if (msg)
		evs_ntf_send(en, msg, hdr, evs_config_put(msg, &en->cfg));
}

void evs_notify_proto_error(struct evs_conn *conn)
{
	const struct evs_parser *p = &conn->parser;
	struct sk_buff *msg;
	void *hdr;

	msg = evs_ntf_new(conn->en, EVS_CMD_NTF_PROTO_ERROR, &hdr);
	if (!msg)
		return;
	evs_ntf_send(conn->en, msg, hdr,
		     nla_put_u64_64bit(msg, EVS_A_CONN_ID, conn->id,
				       EVS_A_PAD) ?:
		     evs_put_addr(msg, &conn->peer) ?:
		     nla_put_u8(msg, EVS_A_ERROR_KIND, p->err) ?:
		     nla_put_string(msg, EVS_A_ERROR_MSG,
				    evs_frame_strerror(p->err)) ?:
		     nla_put_u32(msg, EVS_A_EVENT_CLIENT_SEQ, p->frame.seq));
}

void evs_notify_rate(struct evs_net *en, u32 interval_ms, const u64 *delta)
{
	u64 gauge[EVS_NR_GAUGES];
	struct sk_buff *msg;
	void *hdr;

	msg = evs_ntf_new(en, EVS_CMD_NTF_RATE, &hdr);
	if (!msg)
		return;
	evs_gauges_read(en, gauge);
	evs_ntf_send(en, msg, hdr,
		     nla_put_u32(msg, EVS_A_INTERVAL_MS, interval_ms) ?:
		     evs_put_u64_nest(msg, EVS_A_STATS,
				      EVS_STATS_A_FIRST_COUNTER,
				      EVS_STATS_A_PAD, delta,
				      EVS_NR_COUNTERS) ?:
		     evs_put_u64_nest(msg, EVS_A_GAUGES, EVS_GAUGE_A_FIRST,
				      EVS_GAUGE_A_PAD, gauge, EVS_NR_GAUGES));
}

/* ---- the family ---- */

#define EVS_OP(_cmd, _doit, _policy, _flags) {		\
	.cmd = _cmd,					\
	.doit = _doit,					\
	.policy = _policy,				\
	.maxattr = EVS_A_MAX,				\
	.flags = _flags,				\
}

#define EVS_DUMP_OP(_cmd, _start, _dumpit, _policy, _flags) {	\
	.cmd = _cmd,					\
	.start = _start,				\
	.dumpit = _dumpit,				\
	.policy = _policy,				\
	.maxattr = EVS_A_MAX,				\
	.flags = _flags,				\
}

static const struct genl_ops evs_ops[] = {
	EVS_OP(EVS_CMD_GET_VERSION, evs_nl_get_version, evs_none_policy, 0),
	EVS_OP(EVS_CMD_GET_STATS, evs_nl_get_stats, evs_none_policy, 0),
	EVS_OP(EVS_CMD_STATS_RESET, evs_nl_stats_reset, evs_none_policy,
	       GENL_UNS_ADMIN_PERM),
	EVS_OP(EVS_CMD_LISTEN_ADD, evs_nl_listen_add, evs_listen_add_policy,
	       GENL_UNS_ADMIN_PERM),
	EVS_OP(EVS_CMD_LISTEN_DEL, evs_nl_listen_del, evs_addr_policy,
	       GENL_UNS_ADMIN_PERM),
	EVS_DUMP_OP(EVS_CMD_LISTEN_GET, NULL, evs_nl_listen_dump,
		    evs_none_policy, 0),
	EVS_OP(EVS_CMD_ROUTE_ADD, evs_nl_route_add, evs_route_policy,
	       GENL_UNS_ADMIN_PERM),
	EVS_OP(EVS_CMD_ROUTE_DEL, evs_nl_route_del, evs_topic_policy,
	       GENL_UNS_ADMIN_PERM),
	EVS_DUMP_OP(EVS_CMD_ROUTE_GET, NULL, evs_nl_route_dump,
		    evs_none_policy, 0),
	EVS_DUMP_OP(EVS_CMD_CONN_GET, NULL, evs_nl_conn_dump,
		    evs_none_policy, 0),
	EVS_DUMP_OP(EVS_CMD_READ, evs_nl_read_start, evs_nl_read_dump,
		    evs_read_policy, GENL_UNS_ADMIN_PERM),
	EVS_OP(EVS_CMD_CONFIG_GET, evs_nl_config_get, evs_none_policy, 0),
	EVS_OP(EVS_CMD_CONFIG_SET, evs_nl_config_set, evs_config_policy,
	       GENL_UNS_ADMIN_PERM),
	EVS_DUMP_OP(EVS_CMD_RING_GET, NULL, evs_nl_ring_dump,
		    evs_none_policy, 0),
	EVS_DUMP_OP(EVS_CMD_LATENCY_GET, NULL, evs_nl_latency_dump,
		    evs_none_policy, 0),
	EVS_OP(EVS_CMD_CONN_DEL, evs_nl_conn_del, evs_conn_del_policy,
	       GENL_UNS_ADMIN_PERM),
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
	.mcgrps = evs_mcgrps,
	.n_mcgrps = ARRAY_SIZE(evs_mcgrps),
};

int __init evs_netlink_init(void)
{
	return genl_register_family(&evs_family);
}

void evs_netlink_exit(void)
{
	genl_unregister_family(&evs_family);
}
