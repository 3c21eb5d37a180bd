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
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include "kselftest_harness.h"

/*
 * The harness's limit per test is there to catch a hang: a debug kernel
 * under emulation (make check-debug) needs minutes for these rounds.
 */
#define TD_TIMEOUT	600
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

TEST_HARNESS_MAIN
