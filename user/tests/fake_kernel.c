// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for the kernel side of the evstream family, linked into test
 * builds (evctl, read_test) with
 * -Wl,--wrap=mnl_socket_sendto,--wrap=mnl_socket_recvfrom so that requests
 * and reply parsing can be checked on a host that cannot load the module.
 * It answers the way the kernel does: reply and ACK as separate datagrams,
 * dumps as NLM_F_MULTI messages packed into datagrams and ended by
 * NLMSG_DONE, u64 values padded with nla_put_u64_64bit()'s rule, errors
 * capped with extended-ACK TLVs.  Requests are checked like a strict
 * policy would: an attribute of the wrong size or a missing required one
 * is refused with EINVAL and a message naming it.
 *
 * EVS_FAKE selects the behaviour: unset or "ok"; "absent" (no family);
 * "eperm" (commands fail with EPERM, no message); "eperm-msg" (EPERM with
 * the message of a userns ceiling); "einval" (commands fail
 * with EINVAL and an extended-ACK message); "partial" (stats without some
 * counters, with one this evctl does not know, and without gauges and
 * latency); "bad" (malformed replies, and a malformed notification in
 * the monitor script); for READ also "intr" (the first dump from below
 * seq 5 is interrupted in the middle of event 5),
 * "intr-always" (every READ dump is interrupted before any event) and
 * "cut" (event 5 stops after its first fragment, no interruption flagged);
 * "empty" (no listeners and no routes: a module just loaded, for a batch
 * that adds them); "stale" (leftovers of an abandoned request, a dump
 * flagged interrupted among them, ahead of every reply); "torn" (six
 * bytes of a message cut short after every evstream reply); "reload",
 * "reload-old" and "reload-stats" (the module goes away and comes back,
 * below); "enoent-stats" (GET_STATS after the first fails with ENOENT,
 * the module's own, while its family stays).
 *
 * "partial" is also an older module: no multicast groups, no rings (an
 * empty RING_GET dump, as before the first listener), no idle time on
 * connections and no idle timeout or ack delay settings.
 *
 * EVS_FAKE_VERSION replaces the module version GET_STATS reports, for
 * strings that need escaping.
 *
 * When EVS_FAKE_TRACE names a file, one line per request is appended to
 * it: the command and each attribute with its type, e.g.
 * "LISTEN_ADD ADDR_IN=127.0.0.1 PORT=u16:7000", so that tests can check
 * the exact message format.
 *
 * The "monitor" group and the controller's "notify" group: joining one
 * (NETLINK_ADD_MEMBERSHIP through mnl_socket_setsockopt, also wrapped)
 * starts a script of notifications for the socket that joined, one step
 * handed out each time it is polled empty (ppoll, wrapped); once they are
 * all out, the next poll is interrupted by a SIGINT, as if the user
 * pressed Ctrl-C.  Replies to requests queue apart from them, for the
 * socket that asked, as the kernel keeps them apart on two sockets.  A
 * notification reaches only a member of its group, as in the kernel.
 * When EVS_FAKE_GATE names a file, the second notification waits (up to
 * 10 s) until that file exists, so that a test can check that the first
 * one was written out before.
 *
 * Each load of the module is a registration of the family with ids of its
 * own (regs[] below), as the kernel gives a reloaded family and its groups
 * new ids, and the controller tells the "notify" group of each: the
 * groups going (DELMCAST_GRP), then the family (DELFAMILY); the family
 * coming (NEWFAMILY), then its groups (NEWMCAST_GRP).  Requests to a
 * family id that is gone fail with ENOENT.  "absent" starts unloaded and
 * its monitor script loads the module first.  The "reload" script unloads
 * and reloads it, has a malformed NEWFAMILY and another family's news, then
 * reloads twice in quick succession (all four notifications queued at
 * once), then once more with its news lost in an overrun (ENOBUFS);
 * "reload-old" brings back a module without the monitor group.
 * "reload-stats" is for stats -w: the module goes after the second
 * GET_STATS, comes back after two GETFAMILY found it gone, and after two
 * more GET_STATS is reloaded between two of them.  Counters restart at
 * each load.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "../lib/evs_nl.h"

/* Multicast group ids: another group first, so lookup by name matters. */
#define FAKE_GRP_OTHER	0x2b
/* Another family, whose news the monitor must ignore. */
#define FAKE_OTHER_FAMILY 0x40
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_DGRAMS	64
/* Dump datagrams are cut at this size, smaller than the reader's buffer. */
#define DGRAM_SIZE	8192

/* A registration of the family: its id and its "monitor" group's. */
struct fake_reg {
	uint16_t id;
	uint32_t mon_grp;
};

static const struct fake_reg regs[] = {
	{ 0x2a, 0x2c }, { 0x2d, 0x2e }, { 0x2f, 0x30 }, { 0x31, 0x34 },
};

static const struct fake_reg *reg;	/* the module loaded now, or NULL */
static bool reg_set;			/* reg was set up */
static bool old_module;			/* loaded without the monitor group */
static unsigned int stats_calls;	/* GET_STATS since the load */

struct dgram_queue {
	struct {
		char buf[DGRAM_SIZE] EVS_NL_ALIGNED;
		size_t len;
	} d[MAX_DGRAMS];
	unsigned int head, tail;
};

/* Replies, and notifications for the socket that joined a group. */
static struct dgram_queue rq, nq;
static struct dgram_queue *q = &rq;	/* where queue_msg() puts them */
/* Messages are built here, then queued; dumps pack several per datagram. */
static char msg_buf[DGRAM_SIZE] EVS_NL_ALIGNED;
static bool packing;	/* the reply is a dump */
static bool dgram_open;	/* the last datagram can take more of it */

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl,
				 const void *req, size_t siz);
ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf,
				   size_t siz);
int __wrap_mnl_socket_setsockopt(const struct mnl_socket *nl, int type,
				 void *buf, socklen_t len);
int __real_mnl_socket_setsockopt(const struct mnl_socket *nl, int type,
				 void *buf, socklen_t len);
int __wrap_ppoll(struct pollfd *fds, nfds_t nfds,
		 const struct timespec *tmo, const sigset_t *mask);
int __real_ppoll(struct pollfd *fds, nfds_t nfds,
		 const struct timespec *tmo, const sigset_t *mask);

static const char *mode(void)
{
	const char *m = getenv("EVS_FAKE");

	return m ? m : "ok";
}

static bool mode_is(const char *m)
{
	return !strcmp(mode(), m);
}

/* The registration loaded now, NULL when the module is not loaded. */
static const struct fake_reg *cur_reg(void)
{
	if (!reg_set) {
		reg_set = true;
		reg = mode_is("absent") ? NULL : &regs[0];
	}
	return reg;
}

static uint16_t fam_id(void)
{
	return cur_reg() ? reg->id : 0;
}

static struct nlmsghdr *new_msg(const struct nlmsghdr *req, uint32_t portid,
				uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	nlh = mnl_nlmsg_put_header(msg_buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = portid;
	return nlh;
}

static void queue_msg(struct nlmsghdr *nlh)
{
	size_t len = NLMSG_ALIGN(nlh->nlmsg_len);
	unsigned int last = (q->tail - 1) % MAX_DGRAMS;

	if (packing && dgram_open && q->d[last].len + len <= DGRAM_SIZE) {
		memcpy(q->d[last].buf + q->d[last].len, nlh, len);
		q->d[last].len += len;
		return;
	}
	if (q->tail - q->head == MAX_DGRAMS)
		abort();
	memcpy(q->d[q->tail % MAX_DGRAMS].buf, nlh, len);
	q->d[q->tail % MAX_DGRAMS].len = len;
	q->tail++;
	dgram_open = packing;
}

static struct nlmsghdr *new_genl(const struct nlmsghdr *req, uint32_t portid,
				 uint16_t family, uint8_t cmd)
{
	uint16_t flags = packing ? NLM_F_MULTI : 0;
	struct nlmsghdr *nlh = new_msg(req, portid, family, flags);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

static void queue_err(const struct nlmsghdr *req, uint32_t portid, int err,
		      const char *msg, uint32_t off)
{
	uint16_t flags = NLM_F_CAPPED;
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;

	packing = false;
	if (err && (msg || off))
		flags |= NLM_F_ACK_TLVS;
	nlh = new_msg(req, portid, NLMSG_ERROR, flags);
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = err;
	e->msg = *req;
	if (err && msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	if (err && off)
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, off);
	queue_msg(nlh);
}

/* The end of a dump: NLMSG_DONE with its error code, appended. */
static void queue_done(const struct nlmsghdr *req, uint32_t portid,
		       uint16_t flags)
{
	struct nlmsghdr *nlh;
	int *err;

	nlh = new_msg(req, portid, NLMSG_DONE, NLM_F_MULTI | flags);
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	*err = 0;
	queue_msg(nlh);
	packing = false;
}

static void put_u64_64bit(struct nlmsghdr *nlh, uint16_t type, uint64_t v,
			  uint16_t pad)
{
	if ((uintptr_t)mnl_nlmsg_get_payload_tail(nlh) % 8 == 0)
		mnl_attr_put(nlh, pad, 0, NULL);
	mnl_attr_put_u64(nlh, type, v);
}

/*
 * A value outside its policy's range, answered as lib/nlattr.c and
 * netlink_ack() do on 6.1 and 6.12: ERANGE, "integer out of range", the
 * attribute's offset and the policy's range (NLMSGERR_ATTR_POLICY).
 * EVS_FAKE_EXTACK sends less, or garbage: "msg" the message only,
 * "errno" no TLVs at all, "signed" a signed range, "offs-past",
 * "offs-header" and "offs-mid" an offset past the request, into its
 * header or into the middle of the attribute, "policy-trunc" a policy
 * nest whose last attribute is cut, "policy-unknown" one with attributes
 * of types this evctl does not know, "msg-nonul" a message that is not
 * NUL-terminated and has a newline in it.
 */
static void queue_range_err(const struct nlmsghdr *req, uint32_t portid,
			    const struct nlattr *a, uint64_t min, uint64_t max)
{
	const char *how = getenv("EVS_FAKE_EXTACK");
	uint32_t off = (uint32_t)((const char *)a - (const char *)req);
	bool u8 = mnl_attr_get_payload_len(a) == 1;
	struct nlattr *pol, *cut;
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;

	if (!how)
		how = "full";
	packing = false;
	nlh = new_msg(req, portid, NLMSG_ERROR, NLM_F_CAPPED |
		      (strcmp(how, "errno") ? NLM_F_ACK_TLVS : 0));
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -ERANGE;
	e->msg = *req;
	if (!strcmp(how, "errno")) {
		queue_msg(nlh);
		return;
	}
	if (!strcmp(how, "msg-nonul"))
		mnl_attr_put(nlh, NLMSGERR_ATTR_MSG, 10, "too\nbig!!!");
	else
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG,
				  "integer out of range");
	if (!strcmp(how, "msg")) {
		queue_msg(nlh);
		return;
	}
	if (!strcmp(how, "offs-past"))
		off = req->nlmsg_len + 64;
	else if (!strcmp(how, "offs-header"))
		off = 4;
	else if (!strcmp(how, "offs-mid"))
		off += 2;
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, off);

	pol = mnl_attr_nest_start(nlh, NLMSGERR_ATTR_POLICY);
	mnl_attr_put_u32(nlh, NL_POLICY_TYPE_ATTR_TYPE,
			 u8 ? NL_ATTR_TYPE_U8 : NL_ATTR_TYPE_U32);
	if (!strcmp(how, "policy-unknown")) {
		mnl_attr_put_u32(nlh, NL_POLICY_TYPE_ATTR_MAX + 1, 7);
		mnl_attr_put_u64(nlh, 200, 1);
	}
	if (!strcmp(how, "signed")) {
		put_u64_64bit(nlh, NL_POLICY_TYPE_ATTR_MIN_VALUE_S,
			      (uint64_t)-5, NL_POLICY_TYPE_ATTR_PAD);
		put_u64_64bit(nlh, NL_POLICY_TYPE_ATTR_MAX_VALUE_S, max,
			      NL_POLICY_TYPE_ATTR_PAD);
	} else {
		put_u64_64bit(nlh, NL_POLICY_TYPE_ATTR_MIN_VALUE_U, min,
			      NL_POLICY_TYPE_ATTR_PAD);
	}
	if (!strcmp(how, "policy-trunc")) {
		/* MAX_VALUE_U claims 12 bytes, the nest holds 6 of them. */
		cut = mnl_nlmsg_get_payload_tail(nlh);
		mnl_attr_put_u64(nlh, NL_POLICY_TYPE_ATTR_MAX_VALUE_U, max);
		nlh->nlmsg_len -= 4;
		cut->nla_len = 12;
		mnl_attr_nest_end(nlh, pol);
		pol->nla_len -= 2;
	} else {
		if (strcmp(how, "signed"))
			put_u64_64bit(nlh, NL_POLICY_TYPE_ATTR_MAX_VALUE_U,
				      max, NL_POLICY_TYPE_ATTR_PAD);
		mnl_attr_nest_end(nlh, pol);
	}
	queue_msg(nlh);
}

/* CTRL_ATTR_MCAST_GROUPS: entries numbered from 1, as the kernel does. */
static void put_groups(struct nlmsghdr *nlh, const char *const *names,
		       const uint32_t *ids, unsigned int n)
{
	struct nlattr *all, *one;
	unsigned int i;

	all = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	for (i = 0; i < n; i++) {
		one = mnl_attr_nest_start(nlh, i + 1);
		mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, names[i]);
		mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, ids[i]);
		mnl_attr_nest_end(nlh, one);
	}
	mnl_attr_nest_end(nlh, all);
}

/* "reload-stats": GETFAMILY found the module gone this many times. */
static unsigned int gone_answers;

static void do_ctrl(const struct nlmsghdr *req, uint32_t portid)
{
	static const char *const names[] = { "other", EVS_MCGRP_MONITOR };
	static const char *const ctrl_names[] = { "notify" };
	static const uint32_t ctrl_ids[] = { GENL_ID_CTRL };
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct nlmsghdr *nlh;
	const char *name;

	if (evs_nl_parse(req, tb, &evs_nl_ctrl_attrs) ||
	    evs_nl_get_str(tb[CTRL_ATTR_FAMILY_NAME], &name))
		abort();
	if (!strcmp(name, "nlctrl")) {
		nlh = new_genl(req, portid, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
		mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
		mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, GENL_ID_CTRL);
		mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 2);
		put_groups(nlh, ctrl_names, ctrl_ids, 1);
		queue_msg(nlh);
		queue_err(req, portid, 0, NULL, 0);
		return;
	}
	if (!strcmp(name, EVS_GENL_NAME) && !cur_reg() &&
	    mode_is("reload-stats") && ++gone_answers > 2) {
		reg = &regs[1];
		stats_calls = 0;
	}
	if (strcmp(name, EVS_GENL_NAME) || !cur_reg()) {
		queue_err(req, portid, -ENOENT, NULL, 0);
		return;
	}
	nlh = new_genl(req, portid, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, EVS_GENL_NAME);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, reg->id);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, EVS_GENL_VERSION);
	if (!mode_is("partial")) {
		const uint32_t ids[] = { FAKE_GRP_OTHER, reg->mon_grp };

		put_groups(nlh, names, ids, old_module ? 1 : 2);
	}
	queue_msg(nlh);
	queue_err(req, portid, 0, NULL, 0);
}

/* ---- Request checking and tracing ---- */

enum kind {
	K_U8 = 1, K_U16 = 2, K_U32 = 4, K_U64 = 8, K_IN, K_IN6, K_NEST, K_FLAG
};

struct attr_desc {
	const char *name;
	enum kind kind;
};

static const struct attr_desc top_attrs[EVS_A_MAX + 1] = {
	[EVS_A_ADDR_IN]	= { "ADDR_IN", K_IN },
	[EVS_A_ADDR_IN6] = { "ADDR_IN6", K_IN6 },
	[EVS_A_PORT]	= { "PORT", K_U16 },
	[EVS_A_TOPIC]	= { "TOPIC", K_U16 },
	[EVS_A_PRIO]	= { "PRIO", K_U8 },
	[EVS_A_FROM]	= { "FROM", K_U64 },
	[EVS_A_COUNT]	= { "COUNT", K_U32 },
	[EVS_A_CONFIG]	= { "CONFIG", K_NEST },
	[EVS_A_CONN_ID]	= { "CONN_ID", K_U64 },
	[EVS_A_LISTEN_FREEBIND] = { "LISTEN_FREEBIND", K_FLAG },
};

static const struct attr_desc cfg_attrs[EVS_CFG_A_MAX + 1] = {
	[EVS_CFG_A_MAX_PAYLOAD]	= { "MAX_PAYLOAD", K_U32 },
	[EVS_CFG_A_POOL_LIMIT]	= { "POOL_LIMIT", K_U32 },
	[EVS_CFG_A_PRESSURE]	= { "PRESSURE", K_U8 },
	[EVS_CFG_A_RING_SIZE]	= { "RING_SIZE", K_U32 },
	[EVS_CFG_A_STORE_LIMIT]	= { "STORE_LIMIT", K_U64 },
	[EVS_CFG_A_CONN_LIMIT]	= { "CONN_LIMIT", K_U32 },
	[EVS_CFG_A_BATCH]	= { "BATCH", K_U32 },
	[EVS_CFG_A_IDLE_TIMEOUT] = { "IDLE_TIMEOUT", K_U32 },
	[EVS_CFG_A_ACK_DELAY]	= { "ACK_DELAY", K_U32 },
};

static const char *const cmd_names[EVS_CMD_MAX + 1] = {
	[EVS_CMD_GET_VERSION]	= "GET_VERSION",
	[EVS_CMD_GET_STATS]	= "GET_STATS",
	[EVS_CMD_STATS_RESET]	= "STATS_RESET",
	[EVS_CMD_LISTEN_ADD]	= "LISTEN_ADD",
	[EVS_CMD_LISTEN_DEL]	= "LISTEN_DEL",
	[EVS_CMD_LISTEN_GET]	= "LISTEN_GET",
	[EVS_CMD_ROUTE_ADD]	= "ROUTE_ADD",
	[EVS_CMD_ROUTE_DEL]	= "ROUTE_DEL",
	[EVS_CMD_ROUTE_GET]	= "ROUTE_GET",
	[EVS_CMD_CONN_GET]	= "CONN_GET",
	[EVS_CMD_READ]		= "READ",
	[EVS_CMD_CONFIG_GET]	= "CONFIG_GET",
	[EVS_CMD_CONFIG_SET]	= "CONFIG_SET",
	[EVS_CMD_RING_GET]	= "RING_GET",
	[EVS_CMD_LATENCY_GET]	= "LATENCY_GET",
	[EVS_CMD_CONN_DEL]	= "CONN_DEL",
};

/* The request under check, and what went wrong with it. */
struct check {
	const struct nlmsghdr *req;
	FILE *trace;
	const char *why;
	uint32_t off;
};

static void check_fail(struct check *c, const struct nlattr *attr,
		       const char *why)
{
	if (c->why)
		return;
	c->why = why;
	c->off = attr ? (uint32_t)((const char *)attr -
				   (const char *)c->req) : 0;
}

/*
 * Checks and traces the attributes of @start..@len against @descs; @tb
 * gets them indexed.  Unknown types are refused, as a strict policy does.
 */
static void check_attrs(struct check *c, const void *start, size_t len,
			const struct attr_desc *descs, unsigned int maxtype,
			const struct nlattr **tb)
{
	size_t off = 0;

	memset(tb, 0, (maxtype + 1) * sizeof(*tb));
	while (len - off >= sizeof(struct nlattr)) {
		const struct nlattr *a = (const void *)((const char *)start +
							off);
		unsigned int type = a->nla_type & NLA_TYPE_MASK;
		size_t plen = mnl_attr_get_payload_len(a);
		const unsigned char *p = mnl_attr_get_payload(a);
		char host[INET6_ADDRSTRLEN];
		const struct attr_desc *d;
		uint64_t v = 0;

		if (a->nla_len < sizeof(*a) || a->nla_len > len - off) {
			check_fail(c, a, "fake: bad attribute length");
			return;
		}
		off += NLA_ALIGN(a->nla_len);
		d = type <= maxtype ? &descs[type] : NULL;
		if (!d || !d->name) {
			check_fail(c, a, "fake: unknown attribute");
			continue;
		}
		if (tb[type])
			check_fail(c, a, "fake: repeated attribute");
		tb[type] = a;
		switch (d->kind) {
		case K_U8:
		case K_U16:
		case K_U32:
		case K_U64:
			if (plen != d->kind) {
				check_fail(c, a, "fake: attribute of the wrong size");
				continue;
			}
			memcpy(&v, p, plen);	/* little endian host */
			if (c->trace)
				fprintf(c->trace, " %s=u%u:%" PRIu64, d->name,
					8 * d->kind, v);
			break;
		case K_IN:
		case K_IN6:
			if (plen != (d->kind == K_IN ? 4 : 16)) {
				check_fail(c, a, "fake: address of the wrong size");
				continue;
			}
			inet_ntop(d->kind == K_IN ? AF_INET : AF_INET6, p,
				  host, sizeof(host));
			if (c->trace)
				fprintf(c->trace, " %s=%s", d->name, host);
			break;
		case K_NEST:
			/* Strict validation (NL_VALIDATE_NESTED) wants it. */
			if (!(a->nla_type & NLA_F_NESTED))
				check_fail(c, a, "NLA_F_NESTED is missing");
			break;
		case K_FLAG:
			if (plen) {
				check_fail(c, a, "fake: flag with a payload");
				continue;
			}
			if (c->trace)
				fprintf(c->trace, " %s", d->name);
			break;
		}
	}
	if (off < len)
		check_fail(c, NULL, "fake: trailing bytes");
}

static uint64_t attr_val(const struct nlattr *a)
{
	uint64_t v = 0;

	memcpy(&v, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
	return v;
}

/* ---- Replies ---- */

static void put_addr(struct nlmsghdr *nlh, const char *addr, uint16_t port)
{
	unsigned char buf[16];

	if (strchr(addr, ':')) {
		inet_pton(AF_INET6, addr, buf);
		mnl_attr_put(nlh, EVS_A_ADDR_IN6, 16, buf);
	} else {
		inet_pton(AF_INET, addr, buf);
		mnl_attr_put(nlh, EVS_A_ADDR_IN, 4, buf);
	}
	mnl_attr_put_u16(nlh, EVS_A_PORT, port);
}

/* @bad: CONNS of the wrong size. */
static void listener_attrs(struct nlmsghdr *nlh, const char *addr,
			   uint16_t port, uint64_t accepted, uint32_t conns,
			   bool bad)
{
	put_addr(nlh, addr, port);
	put_u64_64bit(nlh, EVS_A_LISTEN_ACCEPTED, accepted, EVS_A_PAD);
	if (bad)
		mnl_attr_put_u16(nlh, EVS_A_LISTEN_CONNS, conns);
	else
		mnl_attr_put_u32(nlh, EVS_A_LISTEN_CONNS, conns);
}

static void put_listener(const struct nlmsghdr *req, uint32_t portid,
			 const char *addr, uint16_t port, uint64_t accepted,
			 uint32_t conns, bool freebind)
{
	struct nlmsghdr *nlh = new_genl(req, portid, fam_id(),
					EVS_CMD_LISTEN_GET);

	listener_attrs(nlh, addr, port, accepted, conns, mode_is("bad"));
	if (freebind)
		mnl_attr_put(nlh, EVS_A_LISTEN_FREEBIND, 0, "");
	queue_msg(nlh);
}

static void put_route(const struct nlmsghdr *req, uint32_t portid,
		      uint16_t topic, uint8_t prio)
{
	struct nlmsghdr *nlh = new_genl(req, portid, fam_id(),
					EVS_CMD_ROUTE_GET);

	mnl_attr_put_u16(nlh, EVS_A_TOPIC, topic);
	if (mode_is("bad"))
		mnl_attr_put_u16(nlh, EVS_A_PRIO, prio);
	else
		mnl_attr_put_u8(nlh, EVS_A_PRIO, prio);
	queue_msg(nlh);
}

struct fake_conn {
	uint64_t id;
	const char *peer, *local;
	uint16_t port, local_port;
	uint8_t state, paused;
	uint64_t events, bytes;
	uint32_t acked, inflight;
	uint64_t idle_ms;
};

static const struct fake_conn fake_conns[] = {
	{ 1, "127.0.0.1", "127.0.0.1", 40000, 7000, EVS_CONN_OPEN, 0, 10,
	  640, 9, 1, 1500 },
	{ 1ULL << 40, "2001:db8::1", "2001:db8::2", 40001, 7001,
	  EVS_CONN_DRAINING, 1, 1ULL << 40, 18446744073709551615ULL,
	  4294967295U, 0, 90061000 },
	/* Another client of the first listener, from another network. */
	{ 3, "192.0.2.77", "127.0.0.1", 50000, 7000, EVS_CONN_CLOSING, 0, 0,
	  0, 0, 0, 0 },
};

static void conn_attrs(struct nlmsghdr *nlh, const struct fake_conn *c)
{
	put_u64_64bit(nlh, EVS_A_CONN_ID, c->id, EVS_A_PAD);
	put_addr(nlh, c->peer, c->port);
	mnl_attr_put_u16(nlh, EVS_A_LOCAL_PORT, c->local_port);
	mnl_attr_put_u8(nlh, EVS_A_CONN_STATE, c->state);
	put_u64_64bit(nlh, EVS_A_CONN_EVENTS, c->events, EVS_A_PAD);
	put_u64_64bit(nlh, EVS_A_CONN_BYTES, c->bytes, EVS_A_PAD);
	mnl_attr_put_u8(nlh, EVS_A_CONN_PAUSED, c->paused);
	mnl_attr_put_u32(nlh, EVS_A_CONN_ACKED, c->acked);
	mnl_attr_put_u32(nlh, EVS_A_CONN_INFLIGHT, c->inflight);
	/* Newer than the rest: an older module does not send them. */
	if (!mode_is("partial")) {
		unsigned char buf[16];
		bool v6 = strchr(c->local, ':');

		put_u64_64bit(nlh, EVS_A_CONN_IDLE_MS, c->idle_ms, EVS_A_PAD);
		inet_pton(v6 ? AF_INET6 : AF_INET, c->local, buf);
		mnl_attr_put(nlh, v6 ? EVS_A_LOCAL_ADDR_IN6 :
				       EVS_A_LOCAL_ADDR_IN, v6 ? 16 : 4, buf);
	}
}

static void put_conn(const struct nlmsghdr *req, uint32_t portid,
		     const struct fake_conn *c)
{
	struct nlmsghdr *nlh = new_genl(req, portid, fam_id(),
					EVS_CMD_CONN_GET);

	conn_attrs(nlh, c);
	queue_msg(nlh);
}

/*
 * The store of topic 7: seqs 0..2 were evicted.  Event 5 is too big for
 * one message and goes out in fragments of FRAG bytes.
 */
#define FAKE_TOPIC	7
#define BIG_LEN		10000
#define FRAG		3000

struct fake_event {
	uint64_t seq, conn;
	uint32_t client_seq;
	uint8_t prio;
	uint32_t len;
	const char *data;	/* NULL: the BIG_LEN pattern */
};

static const struct fake_event fake_events[] = {
	{ 3, 1, 10, EVS_PRIO_RT, 5, "hello" },
	{ 4, 1ULL << 40, 4294967295U, EVS_PRIO_BATCH, 0, "" },
	{ 5, 1, 11, EVS_PRIO_TX, BIG_LEN, NULL },
	{ 6, 1, 12, EVS_PRIO_RT, 6, "\x00\xff" "bin\n" },
};

#define NR_EVENTS ARRAY_SIZE(fake_events)

/* The payload of the big event, also checked by read_test.c. */
static unsigned char big_byte(uint32_t i)
{
	return (unsigned char)(i * 7 + 5);
}

/*
 * One message of event @e: @len payload bytes from @off.  @flags go on
 * the message (NLM_F_DUMP_INTR).
 */
static void put_event_msg(const struct nlmsghdr *req, uint32_t portid,
			  const struct fake_event *e, uint32_t off,
			  uint32_t len, uint16_t flags)
{
	static unsigned char big[BIG_LEN];
	struct nlmsghdr *nlh = new_genl(req, portid, fam_id(),
					EVS_CMD_READ);
	const void *data = e->data;
	uint32_t i;

	if (!data) {
		for (i = 0; i < BIG_LEN; i++)
			big[i] = big_byte(i);
		data = big;
	}
	nlh->nlmsg_flags |= flags;
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, FAKE_TOPIC);
	put_u64_64bit(nlh, EVS_A_EVENT_SEQ, e->seq, EVS_A_PAD);
	put_u64_64bit(nlh, EVS_A_EVENT_CONN, e->conn, EVS_A_PAD);
	mnl_attr_put_u32(nlh, EVS_A_EVENT_CLIENT_SEQ, e->client_seq);
	mnl_attr_put_u8(nlh, EVS_A_PRIO, e->prio);
	put_u64_64bit(nlh, EVS_A_EVENT_TS_INGEST, 1000 * e->seq, EVS_A_PAD);
	put_u64_64bit(nlh, EVS_A_EVENT_TS_DEQUEUE, 1000 * e->seq + 250,
		      EVS_A_PAD);
	put_u64_64bit(nlh, EVS_A_EVENT_TS_DONE, 1000 * e->seq + 500,
		      EVS_A_PAD);
	mnl_attr_put_u32(nlh, EVS_A_EVENT_LEN, e->len);
	mnl_attr_put_u32(nlh, EVS_A_EVENT_OFFSET, off);
	mnl_attr_put(nlh, EVS_A_EVENT_DATA, len, (const char *)data + off);
	queue_msg(nlh);
}

static void do_read(const struct nlmsghdr *req, uint32_t portid,
		    const struct nlattr **tb)
{
	uint64_t from = tb[EVS_A_FROM] ? attr_val(tb[EVS_A_FROM]) : 0;
	uint64_t left = tb[EVS_A_COUNT] ? attr_val(tb[EVS_A_COUNT]) :
					  UINT64_MAX;
	bool intr = mode_is("intr") && from < 5;
	unsigned int i;
	uint32_t off;

	if (mode_is("intr-always")) {
		queue_done(req, portid, NLM_F_DUMP_INTR);
		return;
	}
	if (attr_val(tb[EVS_A_TOPIC]) != FAKE_TOPIC) {
		queue_done(req, portid, 0);
		return;
	}
	for (i = 0; i < NR_EVENTS && left; i++) {
		const struct fake_event *e = &fake_events[i];

		if (e->seq < from)
			continue;
		left--;
		if (e->len <= FRAG) {
			put_event_msg(req, portid, e, 0, e->len, 0);
			continue;
		}
		if (intr) {
			/* The store changed: flag it, and stop there. */
			put_event_msg(req, portid, e, 0, FRAG,
				      NLM_F_DUMP_INTR);
			queue_done(req, portid, NLM_F_DUMP_INTR);
			return;
		}
		for (off = 0; off < e->len; off += FRAG) {
			uint32_t n = e->len - off < FRAG ? e->len - off : FRAG;

			/* A hole in the payload. */
			if (mode_is("bad") && off == FRAG)
				continue;
			put_event_msg(req, portid, e, off, n, 0);
			if (mode_is("cut"))
				break;
		}
	}
	queue_done(req, portid, 0);
}

/*
 * Latency histograms.  rt: p50 in bucket 10, p99 in 12, p99.9 in 20; tx:
 * empty; batch: its one event in the open last bucket.
 */
static const uint64_t lat_rt[EVS_LAT_BUCKETS] = {
	[10] = 500, [12] = 490, [20] = 9, [30] = 1
};

static const uint64_t lat_tx[EVS_LAT_BUCKETS];
static const uint64_t lat_batch[EVS_LAT_BUCKETS] = {
	[EVS_LAT_BUCKETS - 1] = 1
};

static const uint64_t *const lat[EVS_PRIO_NR] = { lat_rt, lat_tx, lat_batch };

/* One EVS_A_LAT_PRIO nest; @len is the size of the buckets attribute. */
static void put_lat_prio(struct nlmsghdr *nlh, uint8_t prio, size_t len)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, EVS_A_LAT_PRIO);

	mnl_attr_put_u8(nlh, EVS_LAT_A_PRIO, prio);
	mnl_attr_put(nlh, EVS_LAT_A_BUCKETS, len, lat[prio]);
	mnl_attr_nest_end(nlh, nest);
}

/*
 * Counter @attr after @calls earlier GET_STATS: each call adds attr * 10,
 * bytes 1.5 MiB, so that stats -w has deltas to show.
 */
static uint64_t counter_val(unsigned int attr, unsigned int calls)
{
	if (attr == EVS_STATS_A_BYTES)
		return (1ULL << 40) + calls * 1572864ULL;
	return attr * 3 + calls * attr * 10;
}

/* The counters nest; @only_even leaves out every other one. */
static void put_counters(struct nlmsghdr *nlh, uint16_t type,
			 unsigned int calls, bool only_even, bool bad)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);
	unsigned int i;

	for (i = EVS_STATS_A_FIRST_COUNTER; i <= EVS_STATS_A_MAX; i++) {
		if (only_even && i % 2)
			continue;
		if (bad && i == EVS_STATS_A_ACKS)
			mnl_attr_put_u32(nlh, i, 1);
		else
			put_u64_64bit(nlh, i, counter_val(i, calls),
				      EVS_STATS_A_PAD);
	}
	if (only_even)
		put_u64_64bit(nlh, EVS_STATS_A_MAX + 5, 99, EVS_STATS_A_PAD);
	mnl_attr_nest_end(nlh, nest);
}

static void put_gauges(struct nlmsghdr *nlh)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, EVS_A_GAUGES);
	unsigned int i;

	for (i = EVS_GAUGE_A_FIRST; i <= EVS_GAUGE_A_MAX; i++)
		put_u64_64bit(nlh, i, 100 + i, EVS_GAUGE_A_PAD);
	mnl_attr_nest_end(nlh, nest);
}

static void do_stats(const struct nlmsghdr *req, uint32_t portid, bool bad)
{
	const char *version = getenv("EVS_FAKE_VERSION");
	bool partial = mode_is("partial");
	struct nlattr *nest;
	struct nlmsghdr *nlh;
	unsigned int i;

	nlh = new_genl(req, portid, fam_id(), EVS_CMD_GET_STATS);
	mnl_attr_put_strz(nlh, EVS_A_VERSION, version ? version : "0.1.0-fake");
	put_counters(nlh, EVS_A_STATS, stats_calls++, partial, bad);
	if (partial) {
		queue_msg(nlh);
		return;
	}
	put_gauges(nlh);
	nest = mnl_attr_nest_start(nlh, EVS_A_LATENCY);
	for (i = 0; i < EVS_PRIO_NR; i++)
		put_lat_prio(nlh, i, sizeof(lat_rt));
	mnl_attr_nest_end(nlh, nest);
	queue_msg(nlh);
}

/* LATENCY_GET: one message per priority; "bad" cuts the buckets short. */
static void do_latency(const struct nlmsghdr *req, uint32_t portid, bool bad)
{
	struct nlmsghdr *nlh;
	unsigned int i;

	for (i = 0; i < EVS_PRIO_NR; i++) {
		nlh = new_genl(req, portid, fam_id(), EVS_CMD_LATENCY_GET);
		put_lat_prio(nlh, i, bad ? 12 : sizeof(lat_rt));
		queue_msg(nlh);
	}
	queue_done(req, portid, 0);
}

/*
 * RING_GET: two CPUs, three priorities each, 1024 slots; an empty dump
 * for an older module, as before the first listener.
 */
static void do_ring(const struct nlmsghdr *req, uint32_t portid, bool bad)
{
	static const uint32_t counts[2][EVS_PRIO_NR] = {
		{ 0, 512, 1024 }, { 1, 0, 3 }
	};
	struct nlmsghdr *nlh;
	unsigned int cpu, p;

	for (cpu = 0; cpu < 2 && !mode_is("partial"); cpu++) {
		for (p = 0; p < EVS_PRIO_NR; p++) {
			nlh = new_genl(req, portid, fam_id(),
				       EVS_CMD_RING_GET);
			mnl_attr_put_u32(nlh, EVS_A_CPU, cpu);
			mnl_attr_put_u8(nlh, EVS_A_PRIO, p);
			mnl_attr_put_u32(nlh, EVS_A_RING_COUNT, counts[cpu][p]);
			if (bad)
				mnl_attr_put_u16(nlh, EVS_A_RING_SIZE, 1024);
			else
				mnl_attr_put_u32(nlh, EVS_A_RING_SIZE, 1024);
			queue_msg(nlh);
		}
	}
	queue_done(req, portid, 0);
}

/* The EVS_A_CONFIG nest of CONFIG_GET and NTF_CONFIG. */
static void config_attrs(struct nlmsghdr *nlh, bool bad)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);

	mnl_attr_put_u32(nlh, EVS_CFG_A_MAX_PAYLOAD, 4096);
	mnl_attr_put_u32(nlh, EVS_CFG_A_POOL_LIMIT, 65536);
	if (bad)
		mnl_attr_put_u32(nlh, EVS_CFG_A_PRESSURE, 80);
	else
		mnl_attr_put_u8(nlh, EVS_CFG_A_PRESSURE, 80);
	mnl_attr_put_u32(nlh, EVS_CFG_A_RING_SIZE, 1024);
	put_u64_64bit(nlh, EVS_CFG_A_STORE_LIMIT, 1ULL << 36, EVS_CFG_A_PAD);
	if (!mode_is("partial"))
		mnl_attr_put_u32(nlh, EVS_CFG_A_CONN_LIMIT, 1024);
	mnl_attr_put_u32(nlh, EVS_CFG_A_BATCH, 64);
	if (!mode_is("partial")) {
		mnl_attr_put_u32(nlh, EVS_CFG_A_IDLE_TIMEOUT, 300);
		mnl_attr_put_u32(nlh, EVS_CFG_A_ACK_DELAY, 200);
	}
	mnl_attr_nest_end(nlh, nest);
}

static void do_config_get(const struct nlmsghdr *req, uint32_t portid,
			  bool bad)
{
	struct nlmsghdr *nlh;

	nlh = new_genl(req, portid, fam_id(), EVS_CMD_CONFIG_GET);
	config_attrs(nlh, bad);
	queue_msg(nlh);
}

/*
 * "reload-stats", after each GET_STATS: gone after the second (back in
 * do_ctrl()), reloaded at once after the fourth.
 */
static void reload_stats_step(void)
{
	static unsigned int served;

	if (++served == 2) {
		reg = NULL;
	} else if (served == 4) {
		reg = &regs[2];
		stats_calls = 0;
	}
}

/* Which attributes each command requires, and whether it is a dump. */
static bool cmd_ok(struct check *c, uint8_t cmd, const struct nlattr **tb)
{
	bool dump = (c->req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	bool want_dump = cmd == EVS_CMD_LISTEN_GET ||
			 cmd == EVS_CMD_ROUTE_GET || cmd == EVS_CMD_CONN_GET ||
			 cmd == EVS_CMD_READ || cmd == EVS_CMD_RING_GET ||
			 cmd == EVS_CMD_LATENCY_GET;

	if (dump != want_dump)
		check_fail(c, NULL, "fake: NLM_F_DUMP where it does not belong");
	switch (cmd) {
	case EVS_CMD_LISTEN_ADD:
	case EVS_CMD_LISTEN_DEL:
		if (!tb[EVS_A_ADDR_IN] == !tb[EVS_A_ADDR_IN6] ||
		    !tb[EVS_A_PORT])
			check_fail(c, NULL, "fake: need one address and a port");
		break;
	case EVS_CMD_ROUTE_ADD:
		if (!tb[EVS_A_TOPIC] || !tb[EVS_A_PRIO])
			check_fail(c, NULL, "fake: need topic and prio");
		break;
	case EVS_CMD_ROUTE_DEL:
	case EVS_CMD_READ:
		if (!tb[EVS_A_TOPIC])
			check_fail(c, NULL, "fake: need topic");
		break;
	case EVS_CMD_CONN_DEL:
		if (!tb[EVS_A_CONN_ID])
			check_fail(c, NULL, "fake: need conn id");
		break;
	case EVS_CMD_CONFIG_SET:
		if (!tb[EVS_A_CONFIG])
			check_fail(c, NULL, "fake: need config");
		break;
	}
	return !c->why;
}

static void do_evs(const struct nlmsghdr *req, uint32_t portid)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(req);
	const struct nlattr *tb[EVS_A_MAX + 1];
	const struct nlattr *cfg[EVS_CFG_A_MAX + 1];
	struct check c = { .req = req };
	const char *trace = getenv("EVS_FAKE_TRACE");
	bool bad = mode_is("bad");
	struct nlmsghdr *nlh;
	unsigned int i;

	if (trace) {
		c.trace = fopen(trace, "a");
		if (!c.trace)
			abort();
		fprintf(c.trace, "%s", g->cmd <= EVS_CMD_MAX &&
			cmd_names[g->cmd] ? cmd_names[g->cmd] : "?");
	}
	check_attrs(&c, (const char *)g + GENL_HDRLEN,
		    req->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, top_attrs,
		    EVS_A_MAX, tb);
	if (tb[EVS_A_CONFIG]) {
		if (c.trace)
			fprintf(c.trace, " CONFIG{");
		check_attrs(&c, mnl_attr_get_payload(tb[EVS_A_CONFIG]),
			    mnl_attr_get_payload_len(tb[EVS_A_CONFIG]),
			    cfg_attrs, EVS_CFG_A_MAX, cfg);
		if (c.trace)
			fprintf(c.trace, " }");
	}
	if (c.trace) {
		fputc('\n', c.trace);
		fclose(c.trace);
	}

	if (mode_is("eperm")) {
		queue_err(req, portid, -EPERM, NULL, 0);
		return;
	}
	if (mode_is("eperm-msg")) {
		queue_err(req, portid, -EPERM,
			  "pool_limit above its ceiling, userns_pool_limit", 0);
		return;
	}
	if (mode_is("einval")) {
		queue_err(req, portid, -EINVAL, "Fake \"quoted\" failure",
			  NLMSG_HDRLEN + GENL_HDRLEN);
		return;
	}
	if (!cmd_ok(&c, g->cmd, tb)) {
		queue_err(req, portid, -EINVAL, c.why, c.off);
		return;
	}
	/* An older module: neither the command nor the flag. */
	if (mode_is("partial") && g->cmd == EVS_CMD_CONN_DEL) {
		queue_err(req, portid, -EOPNOTSUPP, NULL, 0);
		return;
	}
	if (mode_is("partial") && tb[EVS_A_LISTEN_FREEBIND]) {
		queue_err(req, portid, -EINVAL, "Unknown attribute type",
			  (uint32_t)((const char *)tb[EVS_A_LISTEN_FREEBIND] -
				     (const char *)req));
		return;
	}
	packing = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	dgram_open = false;
	switch (g->cmd) {
	case EVS_CMD_GET_VERSION:
		nlh = new_genl(req, portid, fam_id(), g->cmd);
		mnl_attr_put_strz(nlh, EVS_A_VERSION, "0.1.0-fake");
		if (bad)
			mnl_attr_put_u32(nlh, EVS_A_PROTO_VERSION, 1);
		else
			mnl_attr_put_u8(nlh, EVS_A_PROTO_VERSION, 1);
		queue_msg(nlh);
		break;
	case EVS_CMD_GET_STATS:
		if (mode_is("enoent-stats") && stats_calls) {
			queue_err(req, portid, -ENOENT,
				  "the module's own ENOENT", 0);
			return;
		}
		do_stats(req, portid, bad);
		if (mode_is("reload-stats"))
			reload_stats_step();
		break;
	case EVS_CMD_ROUTE_DEL:
		/* As the module answers for a topic without a route. */
		if (attr_val(tb[EVS_A_TOPIC]) == 404) {
			queue_err(req, portid, -ENOENT,
				  "no route for that topic",
				  (uint32_t)((const char *)tb[EVS_A_TOPIC] -
					     (const char *)req));
			return;
		}
		break;
	case EVS_CMD_STATS_RESET:
	case EVS_CMD_LISTEN_DEL:
	case EVS_CMD_ROUTE_ADD:
		break;
	case EVS_CMD_CONN_DEL:
		/* As the module answers (on 6.2 and later) for a missing id. */
		if (attr_val(tb[EVS_A_CONN_ID]) == 404) {
			queue_err(req, portid, -ENOENT,
				  "no connection 404 in this network namespace",
				  (uint32_t)((const char *)tb[EVS_A_CONN_ID] -
					     (const char *)req));
			return;
		}
		break;
	case EVS_CMD_LISTEN_ADD: {
		char host[INET6_ADDRSTRLEN];
		uint16_t port = (uint16_t)attr_val(tb[EVS_A_PORT]);

		if (tb[EVS_A_ADDR_IN])
			inet_ntop(AF_INET, mnl_attr_get_payload(tb[EVS_A_ADDR_IN]),
				  host, sizeof(host));
		else
			inet_ntop(AF_INET6,
				  mnl_attr_get_payload(tb[EVS_A_ADDR_IN6]),
				  host, sizeof(host));
		/* Port 0: the kernel picks one. */
		put_listener(req, portid, host, port ? port : 43210, 0, 0,
			     tb[EVS_A_LISTEN_FREEBIND]);
		break;
	}
	case EVS_CMD_LISTEN_GET:
		if (mode_is("empty")) {
			queue_done(req, portid, 0);
			return;
		}
		put_listener(req, portid, "127.0.0.1", 7000, 3, 1, false);
		put_listener(req, portid, "::1", 7001,
			     18446744073709551615ULL, 0, !mode_is("partial"));
		queue_done(req, portid, 0);
		return;
	case EVS_CMD_ROUTE_GET:
		if (mode_is("empty")) {
			queue_done(req, portid, 0);
			return;
		}
		put_route(req, portid, 7, EVS_PRIO_RT);
		put_route(req, portid, 8, EVS_PRIO_TX);
		put_route(req, portid, 65535, EVS_PRIO_BATCH);
		queue_done(req, portid, 0);
		return;
	case EVS_CMD_CONN_GET:
		for (i = 0; i < ARRAY_SIZE(fake_conns); i++)
			put_conn(req, portid, &fake_conns[i]);
		queue_done(req, portid, 0);
		return;
	case EVS_CMD_READ:
		do_read(req, portid, tb);
		return;
	case EVS_CMD_RING_GET:
		do_ring(req, portid, bad);
		return;
	case EVS_CMD_LATENCY_GET:
		do_latency(req, portid, bad);
		return;
	case EVS_CMD_CONFIG_GET:
		do_config_get(req, portid, bad);
		break;
	case EVS_CMD_CONFIG_SET: {
		/* Ranges of the policy that the tests cross. */
		static const struct {
			uint16_t type;
			uint64_t min, max;
		} ranges[] = {
			{ EVS_CFG_A_PRESSURE, 1, 100 },
			{ EVS_CFG_A_IDLE_TIMEOUT, 0, 86400 },
			{ EVS_CFG_A_ACK_DELAY, 0, 1000000 },
		};
		const struct nlattr *a;

		for (i = 0; i < ARRAY_SIZE(ranges); i++) {
			a = cfg[ranges[i].type];
			if (a && (attr_val(a) > ranges[i].max ||
				  attr_val(a) < ranges[i].min)) {
				queue_range_err(req, portid, a, ranges[i].min,
						ranges[i].max);
				return;
			}
		}
		break;
	}
	default:
		queue_err(req, portid, -EOPNOTSUPP, NULL, 0);
		return;
	}
	queue_err(req, portid, 0, NULL, 0);
}

/*
 * What an abandoned earlier request left on the socket, in one datagram:
 * part of its dump flagged interrupted, an overrun, an error and its end.
 */
static void queue_stale(const struct nlmsghdr *req, uint32_t portid)
{
	struct nlmsghdr old = *req;
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;

	old.nlmsg_seq--;
	packing = true;
	dgram_open = false;
	nlh = new_genl(&old, portid, fam_id(), EVS_CMD_ROUTE_GET);
	nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 1);
	queue_msg(nlh);
	queue_msg(new_msg(&old, portid, NLMSG_OVERRUN, 0));
	nlh = new_msg(&old, portid, NLMSG_ERROR, NLM_F_CAPPED);
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EIO;
	e->msg = old;
	queue_msg(nlh);
	queue_done(&old, portid, NLM_F_DUMP_INTR);
}

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl,
				 const void *req, size_t siz)
{
	const struct nlmsghdr *nlh = req;
	uint32_t portid = mnl_socket_get_portid(nl);
	bool evs;

	if (siz < NLMSG_HDRLEN + GENL_HDRLEN || nlh->nlmsg_len != siz ||
	    !(nlh->nlmsg_flags & NLM_F_REQUEST) ||
	    !(nlh->nlmsg_flags & NLM_F_ACK))
		abort();
	/* Asked before a reload-stats reload that this request may make. */
	evs = fam_id() && nlh->nlmsg_type == fam_id();
	if (mode_is("stale"))
		queue_stale(nlh, portid);
	if (nlh->nlmsg_type == GENL_ID_CTRL)
		do_ctrl(nlh, portid);
	else if (evs)
		do_evs(nlh, portid);
	else
		queue_err(nlh, portid, -ENOENT, NULL, 0);
	/* Half a message header after the last message of the reply. */
	if (mode_is("torn") && evs) {
		unsigned int last = (q->tail - 1) % MAX_DGRAMS;

		if (q->d[last].len + 6 > DGRAM_SIZE)
			abort();
		memset(q->d[last].buf + q->d[last].len, 0x11, 6);
		q->d[last].len += 6;
	}
	return siz;
}

/* ---- The "monitor" group ---- */

static const struct mnl_socket *ntf_sock;	/* the one that joined */
static bool ctrl_member;	/* of the controller's "notify" group */
static uint32_t mon_member;	/* the "monitor" group joined, or 0 */
static unsigned int ntf_next;

/* A notification: no sequence number, from the kernel (port 0). */
static struct nlmsghdr *new_ntf(uint16_t family, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(msg_buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = family;
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

/*
 * Queues a notification for the socket that joined, as the kernel would:
 * only when it is a member of the notification's group.  @same_dgram
 * appends it to the last datagram instead of a new one.
 */
static void queue_ntf_to(struct nlmsghdr *nlh, bool same_dgram, bool always)
{
	bool member = nlh->nlmsg_type == GENL_ID_CTRL ? ctrl_member :
		      cur_reg() && nlh->nlmsg_type == reg->id &&
		      mon_member == reg->mon_grp;

	if (!member && !always)
		return;
	q = &nq;
	packing = same_dgram;
	dgram_open = same_dgram;
	queue_msg(nlh);
	packing = false;
	q = &rq;
}

/* The socket's receive buffer overran: its next receive fails ENOBUFS. */
static void queue_overrun(void)
{
	if (nq.tail - nq.head == MAX_DGRAMS)
		abort();
	nq.d[nq.tail % MAX_DGRAMS].len = 0;
	nq.tail++;
}

static void queue_ntf(struct nlmsghdr *nlh, bool same_dgram)
{
	queue_ntf_to(nlh, same_dgram, false);
}

/* The controller's news of a family, as ctrl_build_family_msg() has it. */
static void ctrl_family_ntf(uint8_t cmd, const char *name, uint16_t id)
{
	struct nlmsghdr *nlh = new_ntf(GENL_ID_CTRL, cmd);

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, id);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	queue_ntf(nlh, false);
}

/* And of one group, as ctrl_build_mcgrp_msg() has it. */
static void ctrl_group_ntf(uint8_t cmd, const char *family, uint16_t id,
			   const char *group, uint32_t grp_id)
{
	struct nlmsghdr *nlh = new_ntf(GENL_ID_CTRL, cmd);

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, family);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, id);
	put_groups(nlh, &group, &grp_id, 1);
	queue_ntf(nlh, false);
}

/* rmmod: the group goes, its members with it, then the family. */
static void fake_unload(void)
{
	if (!old_module)
		ctrl_group_ntf(CTRL_CMD_DELMCAST_GRP, EVS_GENL_NAME, reg->id,
			       EVS_MCGRP_MONITOR, reg->mon_grp);
	ctrl_family_ntf(CTRL_CMD_DELFAMILY, EVS_GENL_NAME, reg->id);
	reg = NULL;
	mon_member = 0;
}

/* insmod: registration @i, @old without the monitor group. */
static void fake_load(unsigned int i, bool old)
{
	reg = &regs[i];
	old_module = old;
	stats_calls = 0;
	ctrl_family_ntf(CTRL_CMD_NEWFAMILY, EVS_GENL_NAME, reg->id);
	if (!old)
		ctrl_group_ntf(CTRL_CMD_NEWMCAST_GRP, EVS_GENL_NAME, reg->id,
			       EVS_MCGRP_MONITOR, reg->mon_grp);
}

static void ntf_listener(uint8_t cmd, bool same_dgram)
{
	struct nlmsghdr *nlh = new_ntf(fam_id(), cmd);

	listener_attrs(nlh, "127.0.0.1", 7000, 3, 0, false);
	queue_ntf(nlh, same_dgram);
}

static void ntf_conn(uint8_t cmd, const struct fake_conn *c, int reason)
{
	struct nlmsghdr *nlh = new_ntf(fam_id(), cmd);

	conn_attrs(nlh, c);
	if (reason >= 0)
		mnl_attr_put_u8(nlh, EVS_A_CLOSE_REASON, (uint8_t)reason);
	queue_ntf(nlh, false);
}

static void ntf_route(uint8_t cmd, uint16_t topic, int prio)
{
	struct nlmsghdr *nlh = new_ntf(fam_id(), cmd);

	mnl_attr_put_u16(nlh, EVS_A_TOPIC, topic);
	if (prio >= 0)
		mnl_attr_put_u8(nlh, EVS_A_PRIO, (uint8_t)prio);
	queue_ntf(nlh, false);
}

static void ntf_proto_error(void)
{
	struct nlmsghdr *nlh = new_ntf(fam_id(), EVS_CMD_NTF_PROTO_ERROR);

	put_u64_64bit(nlh, EVS_A_CONN_ID, 1ULL << 40, EVS_A_PAD);
	put_addr(nlh, "2001:db8::1", 40001);
	mnl_attr_put_u8(nlh, EVS_A_ERROR_KIND, EVS_ERR_MAGIC);
	mnl_attr_put_strz(nlh, EVS_A_ERROR_MSG, "bad \"magic\"\n");
	mnl_attr_put_u32(nlh, EVS_A_EVENT_CLIENT_SEQ, 7);
	queue_ntf(nlh, false);
}

/* Counter deltas as the second GET_STATS would show them, over 500 ms. */
static void ntf_rate(void)
{
	struct nlmsghdr *nlh = new_ntf(fam_id(), EVS_CMD_NTF_RATE);
	struct nlattr *nest;
	unsigned int i;

	mnl_attr_put_u32(nlh, EVS_A_INTERVAL_MS, 500);
	nest = mnl_attr_nest_start(nlh, EVS_A_STATS);
	for (i = EVS_STATS_A_FIRST_COUNTER; i <= EVS_STATS_A_MAX; i++)
		put_u64_64bit(nlh, i, i == EVS_STATS_A_FRAMES ? 1200 :
			      i == EVS_STATS_A_BYTES ? 76800 : 0,
			      EVS_STATS_A_PAD);
	mnl_attr_nest_end(nlh, nest);
	put_gauges(nlh);
	queue_ntf(nlh, false);
}

/* The "reload" script; see the top of the file. */
static bool reload_step(unsigned int step)
{
	struct nlmsghdr *nlh;

	switch (step) {
	case 0:
		ntf_listener(EVS_CMD_NTF_LISTEN_ADD, false);
		return true;
	case 1:
		/* Another family's going and coming: not evstream's. */
		ctrl_group_ntf(CTRL_CMD_DELMCAST_GRP, "other",
			       FAKE_OTHER_FAMILY, "other", FAKE_GRP_OTHER);
		ctrl_family_ntf(CTRL_CMD_DELFAMILY, "other", FAKE_OTHER_FAMILY);
		ctrl_family_ntf(CTRL_CMD_NEWFAMILY, "other", FAKE_OTHER_FAMILY);
		return true;
	case 2:
		/* Malformed: the family id is a u32. */
		nlh = new_ntf(GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
		mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, EVS_GENL_NAME);
		mnl_attr_put_u32(nlh, CTRL_ATTR_FAMILY_ID, regs[1].id);
		queue_ntf(nlh, false);
		return true;
	case 3:
		fake_unload();
		return true;
	case 4:
		fake_load(1, false);
		return true;
	case 5:
		/* Reaches the monitor only if it joined the new group. */
		ntf_route(EVS_CMD_NTF_ROUTE_ADD, 7, EVS_PRIO_RT);
		return true;
	case 6:
		/* Twice in quick succession: all of it before it looks. */
		fake_unload();
		fake_load(2, false);
		fake_unload();
		fake_load(3, false);
		return true;
	case 7:
		nlh = new_ntf(fam_id(), EVS_CMD_NTF_CONFIG);
		config_attrs(nlh, false);
		queue_ntf(nlh, false);
		/* One of the first module, never to be shown now. */
		nlh = new_ntf(regs[0].id, EVS_CMD_NTF_ROUTE_DEL);
		mnl_attr_put_u16(nlh, EVS_A_TOPIC, 9);
		queue_ntf_to(nlh, false, true);
		return true;
	case 8:
		/* A reload whose news are lost in an overrun. */
		reg = &regs[1];
		mon_member = 0;
		queue_overrun();
		return true;
	case 9:
		ntf_route(EVS_CMD_NTF_ROUTE_DEL, 7, -1);
		return true;
	default:
		return false;
	}
}

/* "reload-old": back without the monitor group. */
static bool reload_old_step(unsigned int step)
{
	switch (step) {
	case 0:
		ntf_listener(EVS_CMD_NTF_LISTEN_ADD, false);
		return true;
	case 1:
		fake_unload();
		return true;
	case 2:
		fake_load(1, true);
		return true;
	default:
		return false;
	}
}

/*
 * Queues the next step of the script, which may be several datagrams or
 * several messages in one; returns false when the script is over.
 */
static bool queue_next_ntf(void)
{
	const char *gate = getenv("EVS_FAKE_GATE");
	struct nlmsghdr *nlh;
	int i;

	if (mode_is("reload"))
		return reload_step(ntf_next++);
	if (mode_is("reload-old"))
		return reload_old_step(ntf_next++);
	/* "absent": the module is loaded first. */
	if (!cur_reg()) {
		fake_load(0, false);
		return true;
	}
	if (ntf_next == 1 && gate)
		for (i = 0; i < 1000 && access(gate, F_OK); i++)
			usleep(10000);
	switch (ntf_next++) {
	case 0:
		/* Another family's news first: not for the monitor. */
		ctrl_family_ntf(CTRL_CMD_NEWFAMILY, "other", FAKE_OTHER_FAMILY);
		ntf_listener(EVS_CMD_NTF_LISTEN_ADD, false);
		return true;
	case 1:
		ntf_conn(EVS_CMD_NTF_CONN_OPEN, &fake_conns[0], -1);
		return true;
	case 2:
		ntf_route(EVS_CMD_NTF_ROUTE_ADD, 7, EVS_PRIO_RT);
		/* A malformed one: the prio is a u16.  Only in "bad". */
		if (mode_is("bad")) {
			nlh = new_ntf(fam_id(), EVS_CMD_NTF_ROUTE_ADD);
			mnl_attr_put_u16(nlh, EVS_A_TOPIC, 8);
			mnl_attr_put_u16(nlh, EVS_A_PRIO, 1);
			queue_ntf(nlh, true);
		}
		ntf_route(EVS_CMD_NTF_ROUTE_DEL, 7, -1);
		return true;
	case 3:
		nlh = new_ntf(fam_id(), EVS_CMD_NTF_CONFIG);
		config_attrs(nlh, false);
		queue_ntf(nlh, false);
		return true;
	case 4:
		ntf_proto_error();
		return true;
	case 5:
		ntf_rate();
		return true;
	case 6:
		ntf_conn(EVS_CMD_NTF_CONN_CLOSE, &fake_conns[1],
			 EVS_CLOSE_ERROR);
		/* Two in one datagram. */
		ntf_listener(EVS_CMD_NTF_LISTEN_DEL, true);
		return true;
	case 7:
		/* A command from a newer module. */
		nlh = new_ntf(fam_id(), 200);
		queue_ntf(nlh, false);
		return true;
	default:
		return false;
	}
}

int __wrap_mnl_socket_setsockopt(const struct mnl_socket *nl, int type,
				 void *buf, socklen_t len)
{
	uint32_t group;

	if (type != NETLINK_ADD_MEMBERSHIP)
		return __real_mnl_socket_setsockopt(nl, type, buf, len);
	memcpy(&group, buf, sizeof(group));
	if (len == sizeof(group) && group == GENL_ID_CTRL) {
		ctrl_member = true;
	} else if (len == sizeof(group) && cur_reg() && !old_module &&
		   group == reg->mon_grp) {
		mon_member = group;
	} else {
		errno = EINVAL;
		return -1;
	}
	/* One socket for notifications: the tools have no more. */
	if (ntf_sock && ntf_sock != nl)
		abort();
	ntf_sock = nl;
	return 0;
}

/*
 * The monitor's wait for a notification: there is one at once while the
 * script lasts, then the user presses Ctrl-C.  Sleeps (nfds 0) are real.
 */
int __wrap_ppoll(struct pollfd *fds, nfds_t nfds,
		 const struct timespec *tmo, const sigset_t *mask)
{
	sigset_t old;

	if (!nfds)
		return __real_ppoll(fds, nfds, tmo, mask);
	/* Only the socket that joined is ever waited for. */
	if (!ntf_sock || fds[0].fd != mnl_socket_get_fd(ntf_sock))
		abort();
	/* A step may have nothing for this socket's groups. */
	while (nq.head == nq.tail && queue_next_ntf())
		;
	if (nq.head != nq.tail) {
		fds[0].revents = POLLIN;
		return 1;
	}
	/* As the kernel does: the signal comes in with @mask in force. */
	sigprocmask(SIG_SETMASK, mask, &old);
	raise(SIGINT);
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = EINTR;
	return -1;
}

ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf,
				   size_t siz)
{
	struct dgram_queue *from = nl == ntf_sock ? &nq : &rq;
	size_t len;

	/* evctl would block forever on a real socket: a bug, fail loudly. */
	if (from->head == from->tail)
		abort();
	len = from->d[from->head % MAX_DGRAMS].len;
	if (!len) {
		from->head++;
		errno = ENOBUFS;
		return -1;
	}
	if (len > siz) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(buf, from->d[from->head % MAX_DGRAMS].buf, len);
	from->head++;
	return len;
}
