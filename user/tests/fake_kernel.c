// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for the kernel side of the evstream family, linked into a test
 * build of evctl with -Wl,--wrap=mnl_socket_sendto,--wrap=mnl_socket_recvfrom
 * so that evctl's requests and reply parsing can be checked on a host that
 * cannot load the module.  It answers the way the kernel does: reply and
 * ACK as separate datagrams, u64 counters padded with nla_put_u64_64bit()'s
 * rule, errors capped with extended-ACK TLVs.
 *
 * EVS_FAKE selects the behaviour: unset or "ok"; "absent" (no family);
 * "eperm" (commands fail with EPERM, no message); "einval" (commands fail
 * with EINVAL and an extended-ACK message); "partial" (stats without some
 * counters and with one this evctl does not know); "bad" (malformed
 * replies).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/evs_nl.h"

#define FAKE_FAMILY	0x2a
#define MAX_DGRAMS	4

static struct {
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	size_t len;
} q[MAX_DGRAMS];
static unsigned int q_head, q_tail;

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl,
				 const void *req, size_t siz);
ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf,
				   size_t siz);

static const char *mode(void)
{
	const char *m = getenv("EVS_FAKE");

	return m ? m : "ok";
}

static struct nlmsghdr *new_msg(const struct nlmsghdr *req, uint32_t portid,
				uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	if (q_tail - q_head == MAX_DGRAMS)
		abort();
	nlh = mnl_nlmsg_put_header(q[q_tail % MAX_DGRAMS].buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = portid;
	return nlh;
}

static void queue_msg(struct nlmsghdr *nlh)
{
	q[q_tail % MAX_DGRAMS].len = nlh->nlmsg_len;
	q_tail++;
}

static struct nlmsghdr *new_genl(const struct nlmsghdr *req, uint32_t portid,
				 uint16_t family, uint8_t cmd)
{
	struct nlmsghdr *nlh = new_msg(req, portid, family, 0);
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

static void put_u64_64bit(struct nlmsghdr *nlh, uint16_t type, uint64_t v)
{
	if ((uintptr_t)mnl_nlmsg_get_payload_tail(nlh) % 8 == 0)
		mnl_attr_put(nlh, EVS_STATS_A_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, type, v);
}

static void do_ctrl(const struct nlmsghdr *req, uint32_t portid)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct nlmsghdr *nlh;
	const char *name;

	if (evs_nl_parse(req, tb, CTRL_ATTR_MAX) ||
	    evs_nl_get_str(tb[CTRL_ATTR_FAMILY_NAME], &name))
		abort();
	if (strcmp(name, EVS_GENL_NAME) || !strcmp(mode(), "absent")) {
		queue_err(req, portid, -ENOENT, NULL, 0);
		return;
	}
	nlh = new_genl(req, portid, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, EVS_GENL_NAME);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAKE_FAMILY);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, EVS_GENL_VERSION);
	queue_msg(nlh);
	queue_err(req, portid, 0, NULL, 0);
}

static void do_evs(const struct nlmsghdr *req, uint32_t portid)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(req);
	bool bad = !strcmp(mode(), "bad");
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	unsigned int i;

	if (!strcmp(mode(), "eperm")) {
		queue_err(req, portid, -EPERM, NULL, 0);
		return;
	}
	if (!strcmp(mode(), "einval")) {
		queue_err(req, portid, -EINVAL, "Fake \"quoted\" failure",
			  NLMSG_HDRLEN + GENL_HDRLEN);
		return;
	}
	switch (g->cmd) {
	case EVS_CMD_GET_VERSION:
		nlh = new_genl(req, portid, FAKE_FAMILY, g->cmd);
		mnl_attr_put_strz(nlh, EVS_A_VERSION, "0.1.0-fake");
		if (bad)
			mnl_attr_put_u32(nlh, EVS_A_PROTO_VERSION, 1);
		else
			mnl_attr_put_u8(nlh, EVS_A_PROTO_VERSION, 1);
		queue_msg(nlh);
		break;
	case EVS_CMD_GET_STATS:
		nlh = new_genl(req, portid, FAKE_FAMILY, g->cmd);
		mnl_attr_put_strz(nlh, EVS_A_VERSION, "0.1.0-fake");
		nest = mnl_attr_nest_start(nlh, EVS_A_STATS);
		for (i = EVS_STATS_A_FIRST_COUNTER; i <= EVS_STATS_A_MAX;
		     i++) {
			if (!strcmp(mode(), "partial") && i % 2)
				continue;
			if (bad && i == EVS_STATS_A_ACKS)
				mnl_attr_put_u32(nlh, i, 1);
			else
				put_u64_64bit(nlh, i, i == EVS_STATS_A_BYTES ?
					      18446744073709551615ULL : i * 3);
		}
		if (!strcmp(mode(), "partial"))
			put_u64_64bit(nlh, EVS_STATS_A_MAX + 5, 99);
		mnl_attr_nest_end(nlh, nest);
		queue_msg(nlh);
		break;
	case EVS_CMD_STATS_RESET:
		break;
	default:
		queue_err(req, portid, -EOPNOTSUPP, NULL, 0);
		return;
	}
	queue_err(req, portid, 0, NULL, 0);
}

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl,
				 const void *req, size_t siz)
{
	const struct nlmsghdr *nlh = req;
	uint32_t portid = mnl_socket_get_portid(nl);

	if (siz < NLMSG_HDRLEN + GENL_HDRLEN || nlh->nlmsg_len != siz ||
	    !(nlh->nlmsg_flags & NLM_F_REQUEST) ||
	    !(nlh->nlmsg_flags & NLM_F_ACK))
		abort();
	if (nlh->nlmsg_type == GENL_ID_CTRL)
		do_ctrl(nlh, portid);
	else if (nlh->nlmsg_type == FAKE_FAMILY)
		do_evs(nlh, portid);
	else
		queue_err(nlh, portid, -ENOENT, NULL, 0);
	return siz;
}

ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf,
				   size_t siz)
{
	size_t len;

	(void)nl;
	/* evctl would block forever on a real socket: a bug, fail loudly. */
	if (q_head == q_tail)
		abort();
	len = q[q_head % MAX_DGRAMS].len;
	if (len > siz) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(buf, q[q_head % MAX_DGRAMS].buf, len);
	q_head++;
	return len;
}
