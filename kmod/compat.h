/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differences between the kernels evstream supports (Debian's 6.1
 * and 6.12, generic and PREEMPT_RT), in one place.  Each entry names the
 * kernel change it follows.  The stage files call these helpers and hold
 * no version checks of their own.
 *
 * Changes between 6.1 and 6.12 that the module meets without a helper
 * here, and why, are in docs/design.md ("Kernels").
 */
#ifndef _EVS_COMPAT_H
#define _EVS_COMPAT_H

#include <linux/slab.h>
#include <linux/version.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

/*
 * The parsed attributes of a dump request.  6.6 ("genetlink: add struct
 * genl_info to struct genl_dumpit_info", with genl_info_dump()) moved
 * them from genl_dumpit_info.attrs into a genl_info of the dump.
 */
static inline struct nlattr **evs_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/*
 * An extended ACK message with numbers in it (@fmt, @args), where the
 * kernel has a buffer for one: "netlink: add support for formatted extack
 * messages" (6.2).  6.1 takes only a constant string: @plain.
 */
#ifdef NL_SET_ERR_MSG_FMT
#define EVS_SET_ERR_MSG_FMT(extack, plain, fmt, args...)	\
	NL_SET_ERR_MSG_FMT(extack, fmt, ##args)
#else
#define EVS_SET_ERR_MSG_FMT(extack, plain, fmt, args...)	\
	NL_SET_ERR_MSG(extack, plain)
#endif

/*
 * Makes @sk, a kernel socket about to be released, hold a reference on
 * its namespace like a user's socket, so that an orphan it leaves (a FIN
 * in flight) keeps the namespace alive until its timers are done.  False
 * when the namespace is already being dismantled: then nothing may hold
 * it, and the caller resets the connection instead.
 *
 * 6.1 gives kernel sockets no hold on their namespace: the steps by hand.
 * "net: better track kernel sockets lifetime" (6.9) made them hold its
 * memory (net->passive), which only the kernel may give back, through
 * sk_net_refcnt_upgrade() (6.15, backported into 6.12.y; Kbuild tells
 * whether the headers have it).
 */
static inline bool evs_sk_hold_net(struct sock *sk)
{
	struct net *net = sock_net(sk);

	/* Our reference, taken only while someone else still holds one. */
	if (!maybe_get_net(net))
		return false;
#if defined(EVS_HAVE_SK_NET_REFCNT_UPGRADE)
	sk_net_refcnt_upgrade(sk);
	put_net(net);
#elif LINUX_VERSION_CODE < KERNEL_VERSION(6, 9, 0)
	/* Ours becomes the socket's: __sk_destruct() puts it. */
	sk->sk_net_refcnt = 1;
	netns_tracker_alloc(net, &sk->ns_tracker, GFP_KERNEL);
	sock_inuse_add(net, 1);
#else
#error "kernel sockets hold net->passive here, but there is no sk_net_refcnt_upgrade()"
#endif
	return true;
}

/*
 * Keeps a cache of ours out of another cache of the same size (slab
 * merging would put the 512-byte class into kmalloc-512), so that
 * /proc/slabinfo shows it, the unload check finds it, and a stray write
 * of ours lands in our own objects.  "mm/slab: introduce kmem_cache flag
 * SLAB_NO_MERGE" (6.5); on 6.1 the classes whose size another cache has
 * are merged.
 */
#ifdef SLAB_NO_MERGE
#define EVS_SLAB_NO_MERGE	SLAB_NO_MERGE
#else
#define EVS_SLAB_NO_MERGE	0
#endif

/*
 * The receive buffer in which TCP offers a window of @win bytes: the
 * inverse of tcp_win_from_space().  "tcp: get rid of
 * sysctl_tcp_adv_win_scale" (6.6) brought tcp_space_from_win() to the
 * header, with the window measured by scaling_ratio; before, the sysctl
 * told the share of the buffer that skb overhead takes.
 */
static inline int evs_tcp_space_from_win(const struct sock *sk, int win)
{
#if defined(EVS_HAVE_TCP_SPACE_FROM_WIN)
	return tcp_space_from_win(sk, win);
#else
	int scale = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_adv_win_scale);
	u64 space;

	if (scale <= 0)
		space = (u64)win << -scale;
	else
		space = div_u64((u64)win << scale, (1U << scale) - 1);
	return min_t(u64, space, INT_MAX);
#endif
}

#endif /* _EVS_COMPAT_H */
