// SPDX-License-Identifier: GPL-2.0
/*
 * Operating on one connection and on where listeners bind: CONN_DEL
 * (what the client sees, what is kept, what is counted, and every race
 * the close path guards against: the client closing at the same moment,
 * two deletes of one connection, a connection paused on the pool, an id
 * of another namespace), the connection's local address in CONN_GET, and
 * LISTEN_FREEBIND (an address the namespace does not have yet).
 *
 * Each test runs in a network namespace of its own.  Synchronisation is
 * by the protocol and the module's own answers, never by sleeping.
 */
#include "evs_test.h"
#include <pthread.h>
#include <sys/wait.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include "kselftest_harness.h"

#define TMO 20000		/* ms: generous for an emulated VM */
#define MAX_CONNS 64

struct conn_row {
	uint64_t id;
	uint16_t peer_port;
	uint8_t state, paused;
	int local_family;	/* 0: no local address sent */
	unsigned char local[16];
};

struct conn_list {
	struct conn_row v[MAX_CONNS];
	int n;
};

static int conns_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct conn_list *l = data;
	struct conn_row *r;

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) || l->n == MAX_CONNS)
		return MNL_CB_ERROR;
	r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	if (evs_nl_get_u64(tb[EVS_A_CONN_ID], &r->id) ||
	    evs_nl_get_u16(tb[EVS_A_PORT], &r->peer_port) ||
	    evs_nl_get_u8(tb[EVS_A_CONN_STATE], &r->state) ||
	    evs_nl_get_u8(tb[EVS_A_CONN_PAUSED], &r->paused))
		return MNL_CB_ERROR;
	if (tb[EVS_A_LOCAL_ADDR_IN]) {
		r->local_family = AF_INET;
		memcpy(r->local, mnl_attr_get_payload(tb[EVS_A_LOCAL_ADDR_IN]), 4);
	} else if (tb[EVS_A_LOCAL_ADDR_IN6]) {
		r->local_family = AF_INET6;
		memcpy(r->local, mnl_attr_get_payload(tb[EVS_A_LOCAL_ADDR_IN6]),
		       16);
	}
	return MNL_CB_OK;
}

static int conns(struct evs_nl *nl, struct conn_list *l)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;

	l->n = 0;
	return evs_nl_talk(nl, evs_nl_req(nl, buf, EVS_CMD_CONN_GET, NLM_F_DUMP),
			   conns_cb, l);
}

/*
 * The server's row for client socket @fd, or NULL after TMO.  connect()
 * returns once the handshake is done, which can be before the module's
 * accept work has listed the connection (seen on a KASAN kernel), so
 * the dump is asked again until the row is there.
 */
static const struct conn_row *conn_of(struct evs_nl *nl, struct conn_list *l,
				      int fd)
{
	uint64_t end = evs_test_now_ms() + TMO;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint16_t port;
	int i;

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return NULL;
	port = ntohs(ss.ss_family == AF_INET6 ?
		     ((struct sockaddr_in6 *)&ss)->sin6_port :
		     ((struct sockaddr_in *)&ss)->sin_port);
	do {
		if (conns(nl, l))
			return NULL;
		for (i = 0; i < l->n; i++)
			if (l->v[i].peer_port == port)
				return &l->v[i];
		usleep(10 * 1000);
	} while (evs_test_now_ms() < end);
	return NULL;
}

static uint64_t conn_id_of(struct evs_nl *nl, int fd)
{
	struct conn_list l;
	const struct conn_row *r = conn_of(nl, &l, fd);

	return r ? r->id : 0;
}

/* CONN_DEL of @id; @with_id false sends none.  0 or -errno. */
static int conn_del(struct evs_nl *nl, uint64_t id, bool with_id)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh = evs_nl_req(nl, buf, EVS_CMD_CONN_DEL, 0);

	if (with_id)
		mnl_attr_put_u64(nlh, EVS_A_CONN_ID, id);
	return evs_nl_talk(nl, nlh, NULL, NULL);
}

/* The client's view of the end: a reset, or EOF (1), or -ETIMEDOUT. */
static int client_end(int fd)
{
	char c[256];
	int err;

	do
		err = evs_test_read_full(fd, c, sizeof(c), TMO);
	while (!err);
	return err;
}

struct listen_reply {
	uint16_t port;
	bool freebind;
};

static int listen_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct listen_reply *r = data;

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) ||
	    evs_nl_get_u16(tb[EVS_A_PORT], &r->port))
		return MNL_CB_ERROR;
	r->freebind = tb[EVS_A_LISTEN_FREEBIND];
	return MNL_CB_OK;
}

/* LISTEN_ADD of @addr (as evs_addr_parse() takes it), maybe with FREEBIND. */
static int listen_add(struct evs_nl *nl, const char *addr, bool freebind,
		      bool *got_freebind)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct listen_reply r = { 0 };
	struct nlmsghdr *nlh;
	struct evs_addr a;
	int err;

	if (evs_addr_parse(addr, &a))
		return -EINVAL;
	nlh = evs_nl_req(nl, buf, EVS_CMD_LISTEN_ADD, 0);
	evs_addr_put(nlh, sizeof(buf), &a);
	if (freebind)
		mnl_attr_put(nlh, EVS_A_LISTEN_FREEBIND, 0, "");
	err = evs_nl_talk(nl, nlh, listen_reply_cb, &r);
	if (err)
		return err;
	if (got_freebind)
		*got_freebind = r.freebind;
	return r.port;
}

/* Adds @addr/@plen to the loopback interface of this namespace. */
static int addr_add(int family, const char *addr, unsigned int plen)
{
	char buf[512] __attribute__((aligned(4)));
	struct mnl_socket *nl;
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	unsigned char a[16];
	int err = 0;

	if (inet_pton(family, addr, a) != 1)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
			   NLM_F_EXCL;
	nlh->nlmsg_seq = 1;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = if_nametoindex("lo");
	mnl_attr_put(nlh, IFA_LOCAL, family == AF_INET ? 4 : 16, a);
	mnl_attr_put(nlh, IFA_ADDRESS, family == AF_INET ? 4 : 16, a);
	if (family == AF_INET6)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
	} else {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0 || mnl_cb_run(buf, n, 1, 0, NULL, NULL) < 0)
			err = -errno;
	}
	mnl_socket_close(nl);
	return err;
}

/* A TCP connection to @addr (numeric, "192.0.2.1", "2001:db8::1"):@port. */
static int connect_addr(int family, const char *addr, uint16_t port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd, err = 0;

	if (inet_pton(family, addr, family == AF_INET ? (void *)&s4.sin_addr :
				(void *)&s6.sin6_addr) != 1)
		return -EINVAL;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (family == AF_INET6 ?
	    connect(fd, (struct sockaddr *)&s6, sizeof(s6)) :
	    connect(fd, (struct sockaddr *)&s4, sizeof(s4)))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

struct close_wait {
	uint64_t id;
	int reason;		/* -1 until the close of id is heard */
};

static int close_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct close_wait *w = data;
	uint64_t id;
	uint8_t reason;

	if (g->cmd != EVS_CMD_NTF_CONN_CLOSE || evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) ||
	    evs_nl_get_u64(tb[EVS_A_CONN_ID], &id) || id != w->id ||
	    evs_nl_get_u8(tb[EVS_A_CLOSE_REASON], &reason))
		return MNL_CB_OK;
	w->reason = reason;
	return MNL_CB_STOP;
}

FIXTURE(conn) {
	struct evs_nl nl;
	uint16_t port;
	unsigned char buf[1 << 16];
};

FIXTURE_SETUP(conn)
{
	int port;

	ASSERT_EQ(0, evs_test_new_netns());
	ASSERT_EQ(0, evs_nl_open(&self->nl));
	port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	ASSERT_LT(0, port) TH_LOG("listen add: %s %s", strerror(-port),
				  self->nl.errmsg);
	self->port = port;
}

FIXTURE_TEARDOWN(conn)
{
	evs_nl_close(&self->nl);
}

/* @n frames of @len bytes to @topic from seq @first, ACK_REQ on the last. */
static size_t frames(unsigned char *buf, unsigned int n, uint16_t topic,
		     uint32_t first, uint32_t len)
{
	return evs_test_frames(buf, n, topic, EVS_PRIO_TX, first, len);
}

/*
 * The client is reset; what was accepted stays; the frame it was in the
 * middle of is dropped and counted; the monitor hears reason "admin";
 * the id is gone afterwards, and a second delete finds nothing.
 */
TEST_F(conn, del_resets_keeps_accepted_drops_partial)
{
	struct close_wait w = { .reason = -1 };
	size_t len = frames(self->buf, 10, 5, 0, 100);
	char want[64], want61[] = "no such connection in this network namespace";
	struct conn_list l;
	struct evs_nl mon;
	uint32_t grp;
	int fd;

	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 9, TMO));
	/* Frame 10: its header and 100 of its 1000 bytes. */
	evs_test_frame(self->buf, EVS_WIRE_F_ACK_REQ, 5, EVS_PRIO_TX, 10, 1000);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, EVS_WIRE_HDR_LEN + 100));
	/* The header is read, the payload waits in the socket. */
	ASSERT_EQ(0, evs_test_wait_server_queued(self->port, 1, 100, TMO));

	ASSERT_EQ(0, evs_nl_open(&mon));
	ASSERT_EQ(0, evs_nl_mcast_group(&mon, EVS_GENL_NAME, EVS_MCGRP_MONITOR,
					&grp));
	ASSERT_EQ(0, evs_nl_join(&mon, grp));
	w.id = conn_id_of(&self->nl, fd);
	ASSERT_NE(0, w.id);
	ASSERT_EQ(0, conn_del(&self->nl, w.id, true)) TH_LOG("%s", self->nl.errmsg);
	/* Announced before CONN_DEL returned. */
	while (w.reason < 0)
		ASSERT_EQ(0, evs_nl_recv_ntf(&mon, close_cb, &w));
	EXPECT_EQ(EVS_CLOSE_ADMIN, w.reason);
	evs_nl_close(&mon);

	EXPECT_EQ(-ECONNRESET, client_end(fd));
	close(fd);
	ASSERT_EQ(0, conns(&self->nl, &l));
	EXPECT_EQ(0, l.n);
	EXPECT_EQ(10, evs_test_stored(&self->nl, 5));
	EXPECT_EQ(10, evs_test_counter(&self->nl, EVS_STATS_A_FRAMES));
	EXPECT_EQ(1, evs_test_counter(&self->nl, EVS_STATS_A_TRUNCATED));
	EXPECT_EQ(1, evs_test_counter(&self->nl, EVS_STATS_A_CONN_CLOSED));

	/* Twice: not found, the extended ACK at CONN_ID, naming the id. */
	EXPECT_EQ(-ENOENT, conn_del(&self->nl, w.id, true));
	snprintf(want, sizeof(want), "no connection %llu in this network namespace",
		 (unsigned long long)w.id);
	EXPECT_STREQ(evs_test_kernel_at_least(6, 2) ? want : want61,
		     self->nl.errmsg);
	EXPECT_NE(0, self->nl.err_off);
	EXPECT_EQ(1, evs_test_counter(&self->nl, EVS_STATS_A_CONN_CLOSED));
	EXPECT_EQ(1, evs_test_counter(&self->nl, EVS_STATS_A_TRUNCATED));
}

/* Between frames: nothing is counted as cut short. */
TEST_F(conn, del_between_frames_counts_no_truncation)
{
	size_t len = frames(self->buf, 3, 6, 0, 10);
	int fd = evs_test_connect(AF_INET, self->port);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 2, TMO));
	ASSERT_EQ(0, conn_del(&self->nl, conn_id_of(&self->nl, fd), true));
	EXPECT_EQ(-ECONNRESET, client_end(fd));
	close(fd);
	EXPECT_EQ(3, evs_test_stored(&self->nl, 6));
	EXPECT_EQ(0, evs_test_counter(&self->nl, EVS_STATS_A_TRUNCATED));
}

TEST_F(conn, del_unknown_or_missing_id)
{
	EXPECT_EQ(-ENOENT, conn_del(&self->nl, 12345, true));
	EXPECT_NE(0, self->nl.err_off);
	EXPECT_EQ(-ENOENT, conn_del(&self->nl, 0, true));
	EXPECT_EQ(-ENOENT, conn_del(&self->nl, UINT64_MAX, true));
	EXPECT_EQ(-EINVAL, conn_del(&self->nl, 0, false));
	EXPECT_STREQ("need a connection id", self->nl.errmsg);
	EXPECT_EQ(EVS_A_CONN_ID, self->nl.err_miss_type);
}

TEST_F(conn, del_needs_cap_net_admin)
{
	int fd = evs_test_connect(AF_INET, self->port);
	uint64_t id;
	pid_t pid;
	int st;

	ASSERT_LE(0, fd);
	id = conn_id_of(&self->nl, fd);
	ASSERT_NE(0, id);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct evs_nl nl;

		if (evs_test_drop_privileges() || evs_nl_open(&nl))
			_exit(100);
		_exit(-conn_del(&nl, id, true));
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(EPERM, WEXITSTATUS(st));
	/* Still there, still served. */
	evs_test_frame(self->buf, EVS_WIRE_F_ACK_REQ, 7, EVS_PRIO_TX, 1, 8);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, EVS_WIRE_HDR_LEN + 8));
	EXPECT_EQ(0, evs_test_wait_ack(fd, 1, TMO));
	close(fd);
}

/*
 * Ids are per namespace: from another one, this connection's id is not
 * found, even where that namespace has a connection of its own with the
 * same number; and this one lives on.
 */
TEST_F(conn, del_of_another_namespace_is_not_found)
{
	int fd = evs_test_connect(AF_INET, self->port);
	uint64_t id;
	pid_t pid;
	int st;

	ASSERT_LE(0, fd);
	id = conn_id_of(&self->nl, fd);
	ASSERT_EQ(1, id);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct evs_nl nl;
		int err, port, cfd;

		if (evs_test_new_netns() || evs_nl_open(&nl))
			_exit(100);
		err = conn_del(&nl, id, true);
		if (err != -ENOENT)
			_exit(101);
		/* Its own connection 1 is its own to close. */
		port = evs_test_listen(&nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
		cfd = port > 0 ? evs_test_connect(AF_INET, port) : -1;
		if (cfd < 0 || conn_id_of(&nl, cfd) != id)
			_exit(102);
		_exit(-conn_del(&nl, id, true));
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	evs_test_frame(self->buf, EVS_WIRE_F_ACK_REQ, 7, EVS_PRIO_TX, 1, 8);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, EVS_WIRE_HDR_LEN + 8));
	EXPECT_EQ(0, evs_test_wait_ack(fd, 1, TMO));
	EXPECT_EQ(0, evs_test_counter(&self->nl, EVS_STATS_A_CONN_CLOSED));
	close(fd);
}

struct racer {
	pthread_barrier_t *go;
	uint64_t id;
	int fd;			/* >= 0: close it instead */
	int err;
};

static void *race_fn(void *arg)
{
	struct racer *r = arg;
	struct evs_nl nl;

	if (r->fd < 0 && evs_nl_open(&nl)) {
		r->err = -EBADF;
		return NULL;
	}
	pthread_barrier_wait(r->go);
	if (r->fd >= 0) {
		/* Unread bytes would make it a reset: this is a FIN. */
		r->err = close(r->fd);
		return NULL;
	}
	r->err = conn_del(&nl, r->id, true);
	evs_nl_close(&nl);
	return NULL;
}

/*
 * The client closing, or a second delete, at the same moment as a
 * delete: each delete succeeds or finds nothing, at least one succeeds
 * where nothing else closes, every connection is closed exactly once,
 * and everything acked is stored.
 */
TEST_F(conn, del_races_client_close_and_second_del)
{
	enum { ROUNDS = 40, N = 20 };
	pthread_barrier_t go;
	struct conn_list l;
	uint64_t closed;
	int round;

	for (round = 0; round < ROUNDS; round++) {
		size_t len = frames(self->buf, N, 8, round * N, 30);
		struct racer r[2] = {};
		pthread_t t[2];
		bool two_dels = round % 2;
		int fd, i;

		fd = evs_test_connect(AF_INET, self->port);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
		ASSERT_EQ(0, evs_test_wait_ack(fd, round * N + N - 1, TMO));
		ASSERT_EQ(0, pthread_barrier_init(&go, NULL, 2));
		for (i = 0; i < 2; i++) {
			r[i].go = &go;
			r[i].id = conn_id_of(&self->nl, fd);
			r[i].fd = i && !two_dels ? fd : -1;
			ASSERT_NE(0, r[i].id);
			ASSERT_EQ(0, pthread_create(&t[i], NULL, race_fn, &r[i]));
		}
		for (i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&go);
		EXPECT_TRUE(r[0].err == 0 || r[0].err == -ENOENT)
			TH_LOG("round %d: %d", round, r[0].err);
		if (two_dels) {
			EXPECT_TRUE(r[1].err == 0 || r[1].err == -ENOENT);
			EXPECT_TRUE(!r[0].err || !r[1].err) TH_LOG("round %d", round);
			close(fd);
		} else {
			EXPECT_EQ(0, r[1].err);
		}
	}
	EXPECT_EQ(0, evs_test_wait_counter(&self->nl, EVS_STATS_A_CONN_CLOSED,
					   ROUNDS, TMO, &closed))
		TH_LOG("%llu closed", (unsigned long long)closed);
	ASSERT_EQ(0, conns(&self->nl, &l));
	EXPECT_EQ(0, l.n);
	EXPECT_EQ(ROUNDS * N, evs_test_stored(&self->nl, 8));
	EXPECT_EQ(0, evs_test_counter(&self->nl, EVS_STATS_A_TRUNCATED));
}

#define STALL_LEN 40000		/* more than a 16 KiB tcp_rmem can buffer */

/*
 * A connection paused on the pool, which a staller holds (its buffer
 * taken early: see datapath_test's stallers): deleted while paused, it
 * leaves the paused list and its cut frame is counted; then the staller,
 * deleted with its event half filled, gives the pool back.
 */
TEST_F(conn, del_while_paused)
{
	struct evs_frame h = {
		.magic = EVS_WIRE_MAGIC, .version = EVS_WIRE_VERSION,
		.length = STALL_LEN, .topic = 16, .priority = EVS_PRIO_TX,
	};
	uint64_t end = evs_test_now_ms() + TMO;
	struct conn_list l;
	const struct conn_row *row;
	struct evs_gauges g;
	uint64_t early;
	int staller, fd;

	ASSERT_EQ(0, evs_test_sysctl("/proc/sys/net/ipv4/tcp_rmem",
				     "4096 16384 16384"));
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_MAX_PAYLOAD, 65536));
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_POOL_LIMIT, 1));
	evs_frame_encode(self->buf, &h);
	staller = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, staller);
	ASSERT_EQ(0, evs_test_write(staller, self->buf, EVS_WIRE_HDR_LEN + 10));
	ASSERT_EQ(0, evs_test_wait_counter(&self->nl, EVS_STATS_A_EARLY_BUFFERS,
					   1, TMO, &early));

	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	evs_test_frame(self->buf, EVS_WIRE_F_ACK_REQ, 9, EVS_PRIO_TX, 0, 8);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, EVS_WIRE_HDR_LEN + 8));
	do {
		row = conn_of(&self->nl, &l, fd);
		ASSERT_NE(NULL, row);
		if (row->paused)
			break;
		poll(NULL, 0, 10);
	} while (evs_test_now_ms() < end);
	ASSERT_EQ(1, row->paused);
	ASSERT_EQ(0, evs_test_get_gauges(&self->nl, &g));
	EXPECT_EQ(1, g.values[EVS_GAUGE_A_PAUSED - EVS_GAUGE_A_FIRST]);

	ASSERT_EQ(0, conn_del(&self->nl, row->id, true));
	EXPECT_EQ(-ECONNRESET, client_end(fd));
	close(fd);
	ASSERT_EQ(0, evs_test_get_gauges(&self->nl, &g));
	EXPECT_EQ(0, g.values[EVS_GAUGE_A_PAUSED - EVS_GAUGE_A_FIRST]);
	EXPECT_EQ(1, g.values[EVS_GAUGE_A_INFLIGHT - EVS_GAUGE_A_FIRST]);
	EXPECT_EQ(1, evs_test_counter(&self->nl, EVS_STATS_A_TRUNCATED));

	ASSERT_EQ(0, conn_del(&self->nl, conn_id_of(&self->nl, staller), true));
	EXPECT_EQ(-ECONNRESET, client_end(staller));
	close(staller);
	ASSERT_EQ(0, evs_test_get_gauges(&self->nl, &g));
	EXPECT_EQ(0, g.values[EVS_GAUGE_A_INFLIGHT - EVS_GAUGE_A_FIRST]);
	EXPECT_EQ(2, evs_test_counter(&self->nl, EVS_STATS_A_TRUNCATED));
	EXPECT_EQ(0, evs_test_stored(&self->nl, 9));
	ASSERT_EQ(0, conns(&self->nl, &l));
	EXPECT_EQ(0, l.n);
}

/*
 * An address the namespace does not have: refused without FREEBIND,
 * with a message that names it; bound with it; reachable once the
 * address is added, and the connection's local address is that one.
 */
static void freebind_case(struct __test_metadata *_metadata,
			  struct evs_nl *nl, unsigned char *buf, int family,
			  const char *host, const char *addr_port,
			  unsigned int plen)
{
	unsigned char want[16];
	const struct conn_row *row;
	struct conn_list l;
	uint64_t deadline;
	bool fb = false;
	int port, fd;

	port = listen_add(nl, addr_port, false, NULL);
	ASSERT_EQ(-EADDRNOTAVAIL, port);
	EXPECT_NE(NULL, strstr(nl->errmsg, "freebind")) TH_LOG("%s", nl->errmsg);
	port = listen_add(nl, addr_port, true, &fb);
	ASSERT_LT(0, port) TH_LOG("%s", nl->errmsg);
	EXPECT_TRUE(fb);
	/* Nothing there to reach yet. */
	fd = connect_addr(family, host, port);
	EXPECT_GT(0, fd);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, addr_add(family, host, plen));
	/*
	 * IPv6 installs the address's local route from a work item after
	 * RTM_NEWADDR is acked (NODAD or not): until then the address is
	 * unreachable, so ask again, bounded by TMO.
	 */
	deadline = evs_test_now_ms() + TMO;
	while ((fd = connect_addr(family, host, port)) == -ENETUNREACH &&
	       evs_test_now_ms() < deadline)
		usleep(10 * 1000);
	ASSERT_LE(0, fd) TH_LOG("connect: %s", strerror(-fd));
	ASSERT_EQ(0, evs_test_write(fd, buf, frames(buf, 5, 11, 0, 20)));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 4, TMO));
	row = conn_of(nl, &l, fd);
	ASSERT_NE(NULL, row);
	ASSERT_EQ(family, row->local_family);
	inet_pton(family, host, want);
	EXPECT_EQ(0, memcmp(want, row->local, family == AF_INET ? 4 : 16));
	close(fd);
}

TEST_F(conn, freebind_ipv4)
{
	char ap[32];
	bool fb = true;

	freebind_case(_metadata, &self->nl, self->buf, AF_INET, "192.0.2.1",
		      "192.0.2.1:7000", 32);
	EXPECT_EQ(5, evs_test_stored(&self->nl, 11));
	/* Bound already: freebind does not make a taken address free. */
	snprintf(ap, sizeof(ap), "127.0.0.1:%u", self->port);
	EXPECT_EQ(-EADDRINUSE, listen_add(&self->nl, ap, true, &fb));
}

TEST_F(conn, freebind_ipv6)
{
	freebind_case(_metadata, &self->nl, self->buf, AF_INET6, "2001:db8::7",
		      "[2001:db8::7]:7000", 128);
	EXPECT_EQ(5, evs_test_stored(&self->nl, 11));
}

/* The flag changes nothing for an address the namespace has. */
TEST_F(conn, freebind_on_a_local_address)
{
	bool fb = false;
	int port = listen_add(&self->nl, "127.0.0.1:0", true, &fb), fd;

	ASSERT_LT(0, port);
	EXPECT_TRUE(fb);
	fd = evs_test_connect(AF_INET, port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, frames(self->buf, 2, 12, 0, 4)));
	EXPECT_EQ(0, evs_test_wait_ack(fd, 1, TMO));
	close(fd);
}

TEST_HARNESS_MAIN
