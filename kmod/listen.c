// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel listening sockets, one per address a user adds, in the network
 * namespace of the netlink caller.
 *
 * New connections are accepted by a work item the listener's
 * sk_data_ready queues, until kernel_accept() says -EAGAIN: no thread
 * per listener or per connection.  Accepted sockets inherit the
 * listener's callbacks, so the listener's sk_user_data is marked NOCOPY
 * (children start with none) and its callback acts only on the listener.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/slab.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>
#include "compat.h"
#include "evstream.h"

#define EVS_LISTEN_BACKLOG 128

u16 evs_sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* Same family, address and port (port 0 matches nothing but 0). */
static bool evs_sockaddr_equal(const struct sockaddr_storage *a,
			       const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family ||
	    evs_sockaddr_port(a) != evs_sockaddr_port(b))
		return false;
	if (a->ss_family == AF_INET6)
		return ipv6_addr_equal(&((const struct sockaddr_in6 *)a)->sin6_addr,
				       &((const struct sockaddr_in6 *)b)->sin6_addr);
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

/*
 * Releases one of our kernel sockets, listener or connection.  What TCP
 * keeps of it afterwards (an orphan finishing its FIN, handshakes still
 * in progress on a listener) must keep its namespace until it is done,
 * as a user's socket would.  A namespace being dismantled can be kept by
 * nothing: then the connection is reset, which leaves nothing behind.
 */
void evs_sock_release(struct socket *sock)
{
	if (!evs_sk_hold_net(sock->sk))
		sock_no_linger(sock->sk);
	sock_release(sock);
}

static void evs_listen_data_ready(struct sock *sk)
{
	struct evs_listener *l;

	read_lock_bh(&sk->sk_callback_lock);
	l = __locked_read_sk_user_data_with_flags(sk, SK_USER_DATA_NOCOPY);
	/* Children inherit this callback, with no user data, until hooked. */
	if (l && !l->dead && sk->sk_state == TCP_LISTEN)
		queue_work(evs_ctl_wq, &l->accept_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void evs_accept_work(struct work_struct *work)
{
	struct evs_listener *l = container_of(work, struct evs_listener,
					      accept_work);
	struct socket *sock;
	int err;

	for (;;) {
		err = kernel_accept(l->sock, &sock, O_NONBLOCK);
		if (err) {
			if (err != -EAGAIN)
				pr_warn_ratelimited("accept: %d\n", err);
			return;
		}
		/*
		 * The child inherited the listener's callback: give it back
		 * the default, whatever becomes of it below.
		 */
		write_lock_bh(&sock->sk->sk_callback_lock);
		sock->sk->sk_data_ready = l->saved_data_ready;
		write_unlock_bh(&sock->sk->sk_callback_lock);
		/* Over the limit or out of memory: closed, and counted. */
		if (evs_conn_create(l, sock)) {
			evs_stats_inc(l->en, EVS_STATS_A_CONN_REJECTED);
			evs_sock_release(sock);
		}
	}
}

static int evs_listen_open(struct evs_net *en, struct evs_listener *l,
			   struct netlink_ext_ack *extack)
{
	int addrlen = l->addr.ss_family == AF_INET6 ?
		      sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	struct socket *sock;
	struct sock *sk;
	int err;

	err = evs_should_fail(EVS_FAULT_LISTEN) ? -ENOMEM :
	      sock_create_kern(en->net, l->addr.ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot create socket");
		return err;
	}
	sk = sock->sk;
	sock_set_reuseaddr(sk);
	/* An IPv6 listener takes IPv6 only: IPv4 has listeners of its own. */
	if (l->addr.ss_family == AF_INET6)
		ip6_sock_set_v6only(sk);
	/*
	 * An address that is not up yet (boot before the network, a VIP
	 * that moves here later): IPv6's bind() checks the same flag.
	 */
	if (l->freebind)
		ip_sock_set_freebind(sk);
	err = kernel_bind(sock, (struct sockaddr *)&l->addr, addrlen);
	if (err) {
		if (err == -EADDRINUSE)
			NL_SET_ERR_MSG(extack, "address already in use");
		else if (err == -EADDRNOTAVAIL)
			NL_SET_ERR_MSG(extack,
				       "no such address in this network namespace (freebind listens on it anyway)");
		else
			NL_SET_ERR_MSG(extack, "cannot bind to that address");
		goto err;
	}
	err = kernel_getsockname(sock, (struct sockaddr *)&l->addr);
	if (err < 0)
		goto err;

	/*
	 * The accept work may run the moment the socket listens: it must
	 * find the socket.
	 */
	l->sock = sock;
	write_lock_bh(&sk->sk_callback_lock);
	__rcu_assign_sk_user_data_with_flags(sk, l, SK_USER_DATA_NOCOPY);
	l->saved_data_ready = sk->sk_data_ready;
	sk->sk_data_ready = evs_listen_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);

	err = kernel_listen(sock, EVS_LISTEN_BACKLOG);
	evs_fault_delay(EVS_DELAY_LISTEN);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot listen");
		goto err_unhook;
	}
	return 0;

err_unhook:
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = l->saved_data_ready;
	rcu_assign_sk_user_data(sk, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
err:
	l->sock = NULL;
	sock_release(sock);
	return err;
}

int evs_listen_add(struct evs_net *en, const struct sockaddr_storage *ss,
		   bool freebind, struct evs_listener **out,
		   struct netlink_ext_ack *extack)
{
	struct mem_cgroup *old_memcg;
	struct evs_listener *l;
	int err;

	lockdep_assert_held(&en->lock);
	evs_memcg_take(en);
	old_memcg = set_active_memcg(en->memcg);
	l = evs_should_fail(EVS_FAULT_LISTEN) ? NULL :
	    kzalloc(sizeof(*l), evs_gfp(en));
	err = l && !en->rings ? evs_rings_alloc(en) : 0;
	set_active_memcg(old_memcg);
	if (!l)
		return -ENOMEM;
	l->en = en;
	l->addr = *ss;
	l->freebind = freebind;
	INIT_WORK(&l->accept_work, evs_accept_work);
	if (err) {
		NL_SET_ERR_MSG(extack, "no memory for the rings");
		goto err;
	}
	err = evs_listen_open(en, l, extack);
	if (err)
		goto err;
	list_add_tail(&l->node, &en->listeners);
	en->nlisteners++;
	en->listeners_gen++;
	evs_tick_start(en);
	evs_notify_listener(en, l, EVS_CMD_NTF_LISTEN_ADD);
	*out = l;
	return 0;
err:
	kfree(l);
	return err;
}

/*
 * Stops @l accepting, closes it and every connection it accepted.  The
 * callback is restored and marked dead under sk_callback_lock, so once
 * the accept work is cancelled nothing can queue it again.
 */
static void evs_listen_close(struct evs_listener *l, u8 reason)
{
	struct sock *sk = l->sock->sk;
	struct evs_conn *conn;
	unsigned int i;

	write_lock_bh(&sk->sk_callback_lock);
	l->dead = true;
	sk->sk_data_ready = l->saved_data_ready;
	rcu_assign_sk_user_data(sk, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	cancel_work_sync(&l->accept_work);

	/* Close in batches: references taken under the lock, closed outside. */
	for (;;) {
		struct evs_conn *batch[16];
		unsigned int n = 0;

		spin_lock(&l->en->conns_lock);
		list_for_each_entry(conn, &l->en->conns, node) {
			if (conn->listener != l)
				continue;
			refcount_inc(&conn->ref);
			batch[n++] = conn;
			if (n == ARRAY_SIZE(batch))
				break;
		}
		spin_unlock(&l->en->conns_lock);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			evs_conn_close_sync(batch[i], reason);
			evs_conn_put(batch[i]);
		}
	}
	/* Children never accepted are reset by the listener's close. */
	evs_sock_release(l->sock);
	l->sock = NULL;
}

int evs_listen_del(struct evs_net *en, const struct sockaddr_storage *ss,
		   struct netlink_ext_ack *extack)
{
	struct evs_listener *l;

	lockdep_assert_held(&en->lock);
	list_for_each_entry(l, &en->listeners, node) {
		if (!evs_sockaddr_equal(&l->addr, ss))
			continue;
		list_del(&l->node);
		en->nlisteners--;
		en->listeners_gen++;
		evs_listen_close(l, EVS_CLOSE_LISTENER);
		evs_notify_listener(en, l, EVS_CMD_NTF_LISTEN_DEL);
		kfree(l);
		return 0;
	}
	NL_SET_ERR_MSG(extack, "no listener on that address");
	return -ENOENT;
}

void evs_listen_close_all(struct evs_net *en, u8 reason)
{
	struct evs_listener *l, *tmp;

	mutex_lock(&en->lock);
	list_for_each_entry_safe(l, tmp, &en->listeners, node) {
		list_del(&l->node);
		en->nlisteners--;
		en->listeners_gen++;
		evs_listen_close(l, reason);
		kfree(l);
	}
	mutex_unlock(&en->lock);
}
