// SPDX-License-Identifier: GPL-2.0
/*
 * Tearing evstream down under load: `listen del`, module unload and
 * namespace exit while eight connections are sending as fast as they
 * can, many times in a row.  The kernel must restore every callback,
 * release every socket and free every event: with slub_debug and
 * panic_on_warn in the VM a leak or a use after free ends the run, and
 * the checks after the suite look for slab caches left behind.
 */
#include "evs_test.h"
#include "evs_veth.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include "kselftest_harness.h"

/*
 * The harness's limit per test is there to catch a hang: a debug kernel
 * under emulation (make check-debug) needs minutes for these rounds, and
 * once took more than 600 s for the rmmod ones beside four other VMs
 * (slow, not stuck: the unload finished, the module loaded again later).
 */
#define TD_TIMEOUT	1800
#define NSENDERS	8
#define ROUNDS		20
#define TMO		20000

struct sender {
	pthread_t thread;
	uint16_t port;
	int fd;
	unsigned long sent;	/* frames written before the end */
	int end;		/* errno that ended it, 0 for EOF */
};

/* Sends frames until the server closes the connection. */
static void *sender_main(void *arg)
{
	static __thread unsigned char buf[64 * 1024];
	struct sender *s = arg;
	size_t len = 0;
	uint32_t seq = 0;

	while (len + 200 < sizeof(buf))
		len += evs_test_frame(buf + len, 0, 1, seq % 3, seq, 100), seq++;
	for (;;) {
		ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->end = errno;
			break;
		}
		__atomic_add_fetch(&s->sent, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int start_senders(struct sender *s, uint16_t port)
{
	int i;

	for (i = 0; i < NSENDERS; i++) {
		s[i].port = port;
		s[i].sent = 0;
		s[i].end = 0;
		s[i].fd = evs_test_connect(AF_INET, port);
		if (s[i].fd < 0)
			return s[i].fd;
		if (pthread_create(&s[i].thread, NULL, sender_main, &s[i]))
			return -EAGAIN;
	}
	return 0;
}

/* Waits until every sender has written at least once: they are busy. */
static bool senders_busy(struct sender *s)
{
	struct timespec ts = { 0, 1000000 };
	int i, tries;

	for (tries = 0; tries < TMO; tries++) {
		for (i = 0; i < NSENDERS; i++)
			if (!__atomic_load_n(&s[i].sent, __ATOMIC_RELAXED))
				break;
		if (i == NSENDERS)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/*
 * Every sender must see its connection end: a closed socket fails its
 * next send.  A sender blocked on a full window is woken by the reset.
 */
static int join_senders(struct sender *s)
{
	int i, ended = 0;

	for (i = 0; i < NSENDERS; i++) {
		pthread_join(s[i].thread, NULL);
		close(s[i].fd);
		if (s[i].end == EPIPE || s[i].end == ECONNRESET)
			ended++;
	}
	return ended;
}

FIXTURE(td) {
	struct sender s[NSENDERS];
};

FIXTURE_SETUP(td)
{
	if (!evs_test_loaded())
		ASSERT_EQ(0, evs_test_load());
}

FIXTURE_TEARDOWN(td)
{
	if (!evs_test_loaded())
		evs_test_load();
}

TEST_F_TIMEOUT(td, listen_del_with_busy_connections, TD_TIMEOUT)
{
	struct evs_gauges g;
	struct evs_nl nl;
	int round, port;

	ASSERT_EQ(0, evs_test_new_netns());
	ASSERT_EQ(0, evs_nl_open(&nl));
	for (round = 0; round < ROUNDS; round++) {
		port = evs_test_listen(&nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
		ASSERT_LT(0, port);
		ASSERT_EQ(0, start_senders(self->s, port));
		ASSERT_TRUE(senders_busy(self->s));
		{
			char addr[32];

			snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
			ASSERT_EQ(0, evs_test_listen(&nl, EVS_CMD_LISTEN_DEL,
						     addr));
		}
		/* listen del returns once its connections are closed. */
		ASSERT_EQ(0, evs_test_get_gauges(&nl, &g));
		EXPECT_EQ(0, g.values[EVS_GAUGE_A_CONNS - EVS_GAUGE_A_FIRST]);
		EXPECT_EQ(0, g.values[EVS_GAUGE_A_LISTENERS - EVS_GAUGE_A_FIRST]);
		EXPECT_EQ(NSENDERS, join_senders(self->s));
	}
	/*
	 * Every connection accepted was closed.  (A sender can be busy
	 * before it is accepted: TCP took its bytes into the accept queue,
	 * and the listener's close resets it without it ever being ours.)
	 */
	EXPECT_EQ(evs_test_counter(&nl, EVS_STATS_A_CONN_ACCEPTED),
		  evs_test_counter(&nl, EVS_STATS_A_CONN_CLOSED));
	EXPECT_LT(0, evs_test_counter(&nl, EVS_STATS_A_CONN_CLOSED));
	evs_nl_close(&nl);
}

TEST_F_TIMEOUT(td, rmmod_with_busy_connections, TD_TIMEOUT)
{
	struct evs_nl nl;
	int round, port;

	ASSERT_EQ(0, evs_test_new_netns());
	for (round = 0; round < ROUNDS; round++) {
		ASSERT_EQ(0, evs_nl_open(&nl));
		port = evs_test_listen(&nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
		ASSERT_LT(0, port);
		evs_nl_close(&nl);
		ASSERT_EQ(0, start_senders(self->s, port));
		ASSERT_TRUE(senders_busy(self->s));
		ASSERT_EQ(0, evs_test_unload());
		EXPECT_EQ(NSENDERS, join_senders(self->s));
		ASSERT_EQ(0, evs_test_load());
	}
}

/* The namespace dies with its listener and busy connections in it. */
TEST_F_TIMEOUT(td, netns_exit_with_busy_connections, TD_TIMEOUT)
{
	int round;

	for (round = 0; round < ROUNDS; round++) {
		pid_t pid = fork();
		int status;

		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct evs_nl nl;
			int port;

			if (evs_test_new_netns() || evs_nl_open(&nl))
				_exit(10);
			port = evs_test_listen(&nl, EVS_CMD_LISTEN_ADD,
					       "127.0.0.1:0");
			if (port <= 0)
				_exit(11);
			if (start_senders(self->s, port) ||
			    !senders_busy(self->s))
				_exit(12);
			/* Exit with everything open: the netns goes. */
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
	}
}

/*
 * A server in a network namespace of its own, its clients in the test's
 * namespace, joined by a veth pair (the usual container set-up).  The
 * server is a child process that runs commands sent down a pipe, one
 * byte each, and answers each with one byte, 0 for success: its
 * namespace lives as long as the child, unless something else holds it.
 */
struct td_server {
	pid_t pid;
	int cmd, reply;		/* our ends of the pipes */
};

#define TD_ADDR		"10.77.0.1"
#define TD_PORT		7000
#define TD_CLIENTS	4

static void td_server_main(int cmd, int reply)
{
	struct evs_nl nl;
	char c, ok;

	if (evs_test_new_netns())
		_exit(1);
	ok = 0;
	if (write(reply, &ok, 1) != 1)
		_exit(1);
	while (read(cmd, &c, 1) == 1) {
		switch (c) {
		case 'u':	/* the peer end is here: up it goes */
			ok = evs_veth_up("evs_srv", TD_ADDR) || evs_nl_open(&nl);
			break;
		case 'l':
			ok = evs_test_listen(&nl, EVS_CMD_LISTEN_ADD,
					     TD_ADDR ":7000") != TD_PORT;
			break;
		case 'd':
			ok = evs_test_listen(&nl, EVS_CMD_LISTEN_DEL,
					     TD_ADDR ":7000") != 0;
			break;
		default:	/* exit: the namespace goes, unless held */
			_exit(0);
		}
		if (write(reply, &ok, 1) != 1)
			_exit(1);
	}
	_exit(1);
}

/* Sends @c and waits for the server's answer: 0, or -1. */
static int td_server_do(struct td_server *srv, char c)
{
	char ok;

	if (write(srv->cmd, &c, 1) != 1 || read(srv->reply, &ok, 1) != 1)
		return -1;
	return ok ? -1 : 0;
}

/* Forks the server and joins its namespace to ours with the veth pair. */
static int td_server_start(struct td_server *srv)
{
	int cmd[2], reply[2], nsfd, err;
	char path[64], ok;

	if (pipe(cmd) || pipe(reply))
		return -errno;
	srv->pid = fork();
	if (srv->pid < 0)
		return -errno;
	if (srv->pid == 0) {
		close(cmd[1]);
		close(reply[0]);
		td_server_main(cmd[0], reply[1]);
	}
	close(cmd[0]);
	close(reply[1]);
	srv->cmd = cmd[1];
	srv->reply = reply[0];
	if (read(srv->reply, &ok, 1) != 1 || ok)
		return -EIO;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", srv->pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return -errno;
	err = evs_veth_add("evs_cli", "evs_srv", nsfd);
	close(nsfd);
	if (err)
		return err;
	err = evs_veth_up("evs_cli", "10.77.0.2");
	if (err)
		return err;
	return td_server_do(srv, 'u') || td_server_do(srv, 'l') ? -EIO : 0;
}

/* Ends the server process; its namespace goes once nothing holds it. */
static int td_server_exit(struct td_server *srv)
{
	int status;

	if (write(srv->cmd, "q", 1) != 1 ||
	    waitpid(srv->pid, &status, 0) != srv->pid)
		return -1;
	close(srv->cmd);
	close(srv->reply);
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

/*
 * The veth pair goes with the server's namespace: gone within @ms once
 * nothing holds the namespace.  0 when it went.
 */
static int td_server_gone(int ms)
{
	int i;

	for (i = 0; i < ms / 10 && if_nametoindex("evs_cli"); i++)
		poll(NULL, 0, 10);
	return if_nametoindex("evs_cli") ? -1 : 0;
}

/* TD_CLIENTS clients with four frames each stored and acked. */
static int td_clients(int *fd)
{
	unsigned char buf[4 * 128];
	size_t len = 0;
	int i;

	for (i = 0; i < 4; i++)
		len += evs_test_frame(buf + len, EVS_WIRE_F_ACK_REQ, 1,
				      EVS_PRIO_TX, i, 64);
	for (i = 0; i < TD_CLIENTS; i++) {
		fd[i] = evs_test_connect_to(TD_ADDR, TD_PORT);
		if (fd[i] < 0 || evs_test_write(fd[i], buf, len) ||
		    evs_test_wait_ack(fd[i], 3, TMO))
			return -1;
	}
	return 0;
}

/* What the server's close looks like to a client: 0 for EOF, or -errno. */
static int td_client_end(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, TMO) != 1)
		return -ETIMEDOUT;
	if (recv(fd, &c, 1, 0) < 0)
		return -errno;
	return 0;
}

/*
 * What reached a client whose link is gone: -ECONNRESET, -EAGAIN for
 * nothing, 0 for a FIN.  Once the veth pair is gone nothing more can
 * arrive: a packet still queued to it was delivered or dropped.
 */
static int td_client_got(int fd)
{
	char c;

	if (recv(fd, &c, 1, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

/*
 * The server's namespace goes while its clients' lives on, and the
 * connections are still open.  Closed at namespace exit, they must leave
 * no orphan: on 6.1 nothing keeps the namespace for a kernel socket, so
 * an orphan's FIN timers would run on freed memory.  They are reset
 * instead.  The reset races with the veth pair's own teardown (the pair
 * goes with the namespace), so a slow kernel may drop some with the
 * link: never a FIN, and most resets must arrive.  Tests whose clients
 * share the server's namespace keep it alive and cannot see this.
 */
TEST_F_TIMEOUT(td, netns_del_with_clients_in_another_namespace, TD_TIMEOUT)
{
	int round, i, fd[TD_CLIENTS], resets = 0, lost = 0;
	struct td_server srv;

	ASSERT_EQ(0, evs_test_new_netns());	/* the clients' */
	for (round = 0; round < 5; round++) {
		ASSERT_EQ(0, td_server_start(&srv));
		ASSERT_EQ(0, td_clients(fd)) TH_LOG("round %d", round);
		/* Nothing unread: a plain close would be a FIN and an orphan. */
		ASSERT_EQ(0, td_server_exit(&srv));
		ASSERT_EQ(0, td_server_gone(TMO));
		for (i = 0; i < TD_CLIENTS; i++) {
			int got = td_client_got(fd[i]);

			resets += got == -ECONNRESET;
			lost += got == -EAGAIN;
			EXPECT_TRUE(got == -ECONNRESET || got == -EAGAIN)
				TH_LOG("round %d client %d: %s", round, i,
				       got ? strerror(-got) : "a FIN");
			close(fd[i]);
		}
	}
	TH_LOG("%d resets seen, %d lost with the link", resets, lost);
	EXPECT_LE(lost, resets);
}

/*
 * The listener deleted first, so each connection closes with a FIN while
 * its namespace lives, and the FINs are lost (the clients' link is
 * down); then the server's namespace is deleted.  The orphans finishing
 * those FINs must keep the namespace until they are done, as a user's
 * socket would: when the link comes back, each client gets its FIN, and
 * once the clients close too the namespace goes.
 */
TEST_F_TIMEOUT(td, orphans_keep_their_namespace, TD_TIMEOUT)
{
	int i, fd[TD_CLIENTS];
	struct td_server srv;

	ASSERT_EQ(0, evs_test_new_netns());
	ASSERT_EQ(0, td_server_start(&srv));
	ASSERT_EQ(0, td_clients(fd));
	ASSERT_EQ(0, system("ip link set evs_cli down"));
	ASSERT_EQ(0, td_server_do(&srv, 'd'));
	ASSERT_EQ(0, td_server_exit(&srv));
	/* Held by the orphans: the pair is still there for the FINs. */
	ASSERT_EQ(-1, td_server_gone(1000));
	ASSERT_EQ(0, system("ip link set evs_cli up"));
	for (i = 0; i < TD_CLIENTS; i++) {
		EXPECT_EQ(0, td_client_end(fd[i])) TH_LOG("client %d", i);
		close(fd[i]);
	}
	EXPECT_EQ(0, td_server_gone(TMO));
}

/*
 * listen del with the clients in another namespace: each connection ends
 * with a FIN the client sees, the address can be listened on again at
 * once and serves, and the server's namespace goes once the clients are
 * done with the old connections.
 */
TEST_F_TIMEOUT(td, listen_del_with_clients_in_another_namespace, TD_TIMEOUT)
{
	int round, i, fd[TD_CLIENTS];
	struct td_server srv;

	ASSERT_EQ(0, evs_test_new_netns());
	ASSERT_EQ(0, td_server_start(&srv));
	for (round = 0; round < 5; round++) {
		ASSERT_EQ(0, td_clients(fd)) TH_LOG("round %d", round);
		ASSERT_EQ(0, td_server_do(&srv, 'd'));
		for (i = 0; i < TD_CLIENTS; i++) {
			EXPECT_EQ(0, td_client_end(fd[i]))
				TH_LOG("round %d client %d", round, i);
			close(fd[i]);
		}
		ASSERT_EQ(0, td_server_do(&srv, 'l')) TH_LOG("round %d", round);
	}
	ASSERT_EQ(0, td_server_exit(&srv));
	EXPECT_EQ(0, td_server_gone(TMO));
}

/*
 * rmmod with connections from another namespace open: the module goes
 * while the server's namespace lives, its sockets are closed as a user's
 * would be (a FIN, or a reset), and whatever TCP still does with them
 * afterwards runs without the module.  Then the namespace goes.
 */
TEST_F_TIMEOUT(td, rmmod_with_clients_in_another_namespace, TD_TIMEOUT)
{
	int round, i, fd[TD_CLIENTS];
	struct td_server srv;

	ASSERT_EQ(0, evs_test_new_netns());
	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, td_server_start(&srv));
		ASSERT_EQ(0, td_clients(fd)) TH_LOG("round %d", round);
		ASSERT_EQ(0, evs_test_unload());
		for (i = 0; i < TD_CLIENTS; i++) {
			int end = td_client_end(fd[i]);

			EXPECT_TRUE(end == 0 || end == -ECONNRESET)
				TH_LOG("round %d client %d: %s", round, i,
				       strerror(-end));
			close(fd[i]);
		}
		ASSERT_EQ(0, td_server_exit(&srv));
		EXPECT_EQ(0, td_server_gone(TMO)) TH_LOG("round %d", round);
		ASSERT_EQ(0, evs_test_load());
	}
}

TEST_HARNESS_MAIN
