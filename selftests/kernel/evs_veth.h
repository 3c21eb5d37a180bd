/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Two network namespaces joined by a veth pair, for tests whose clients
 * must live in another namespace than the module's listener: the usual
 * container set-up, where the server's namespace can go away while its
 * clients' namespace lives on.  rtnetlink through libmnl; the guest
 * loads veth.ko at boot (selftests/vm/init).
 */
#ifndef _EVS_VETH_H
#define _EVS_VETH_H

#include "evs_test.h"
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

/* Sends one rtnetlink request on a new socket and waits for its ack. */
static inline int evs_rtnl_talk(struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	int err;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	err = mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
	if (!err) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0)
			err = -errno;
		else if (mnl_cb_run(buf, n, 1, 0, NULL, NULL) < 0)
			err = -errno;
	}
	mnl_socket_close(nl);
	return err;
}

/*
 * Makes a veth pair: @name here, @peer in the namespace of @peer_netns_fd
 * (an open /proc/PID/ns/net).
 */
static inline int evs_veth_add(const char *name, const char *peer,
			       int peer_netns_fd)
{
	char buf[1024] __attribute__((aligned(4)));
	struct nlattr *info, *data, *pn;
	struct ifinfomsg *ifi, *pifi;
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	pn = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, peer_netns_fd);
	mnl_attr_nest_end(nlh, pn);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return evs_rtnl_talk(nlh);
}

/* Brings @name up with the IPv4 address @addr/24, in this namespace. */
static inline int evs_veth_up(const char *name, const char *addr)
{
	char buf[512] __attribute__((aligned(4)));
	unsigned int idx = if_nametoindex(name);
	struct ifinfomsg *ifi;
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	struct in_addr in;
	int err;

	if (!idx)
		return -errno;
	if (inet_pton(AF_INET, addr, &in) != 1)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 24;
	ifa->ifa_index = idx;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(in), &in);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(in), &in);
	err = evs_rtnl_talk(nlh);
	if (err)
		return err;
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return evs_rtnl_talk(nlh);
}

/* Connects to @addr:@port over IPv4; a socket or -errno. */
static inline int evs_test_connect_to(const char *addr, uint16_t port)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int one = 1, fd;

	if (inet_pton(AF_INET, addr, &s4.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&s4, sizeof(s4))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

#endif /* _EVS_VETH_H */
