// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures, injected at every point of load, namespace
 * creation, listen, accept, rx and store, with the test build of the
 * module (make fault-module; see kmod/fault.h).  Each must end in a clean
 * error or in backpressure, never in corrupt state: the module keeps
 * working afterwards, and the VM's checks after the suite find no leak.
 */
#include "evs_test.h"
#include <sys/wait.h>
#include "kselftest_harness.h"

#define TMO 20000
/*
 * The harness's limit per test catches a hang; a debug kernel under
 * emulation (make check-debug) needs minutes for a hundred module loads.
 */
#define FAULT_TIMEOUT 900

/* Fail the @n-th allocation at @site from now. */
static int arm(const char *site, unsigned int n)
{
	char name[32];

	snprintf(name, sizeof(name), "fail_%s", site);
	return evs_test_knob(name, "w", &n);
}

static unsigned int hits(const char *site)
{
	unsigned int v = ~0U;
	char name[32];

	snprintf(name, sizeof(name), "hits_%s", site);
	evs_test_knob(name, "r", &v);
	return v;
}

static size_t frames(unsigned char *buf, unsigned int n, uint16_t topic)
{
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		off += evs_test_frame(buf + off,
				      i == n - 1 ? EVS_WIRE_F_ACK_REQ : 0,
				      topic, EVS_PRIO_TX, i, 32);
	return off;
}

FIXTURE(fault) {
	struct evs_nl nl;
	unsigned char buf[1 << 18];
};

/* Each test starts with the fault build loaded in a fresh namespace. */
FIXTURE_SETUP(fault)
{
	if (evs_test_loaded())
		ASSERT_EQ(0, evs_test_unload());
	ASSERT_EQ(0, evs_test_load_fault("")) {
		TH_LOG("no %s: make fault-module", EVS_FAULT_KO);
	}
	ASSERT_EQ(0, evs_test_new_netns());
	ASSERT_EQ(0, evs_nl_open(&self->nl));
}

/* And leaves the normal build loaded, as the other tests expect. */
FIXTURE_TEARDOWN(fault)
{
	evs_nl_close(&self->nl);
	if (evs_test_loaded())
		evs_test_unload();
	evs_test_load();
}

TEST_F_TIMEOUT(fault, load_fails_cleanly_at_every_point, FAULT_TIMEOUT)
{
	unsigned int n, failed = 0;
	char params[32];
	struct stat st;
	int err;

	evs_nl_close(&self->nl);
	ASSERT_EQ(0, evs_test_unload());
	for (n = 1; n < 100; n++) {
		snprintf(params, sizeof(params), "fault_load=%u", n);
		err = evs_test_load_fault(params);
		if (!err)
			break;		/* past the last failure point */
		EXPECT_EQ(-ENOMEM, err) TH_LOG("point %u", n);
		EXPECT_FALSE(evs_test_loaded());
		EXPECT_EQ(0, evs_test_slab_caches()) TH_LOG("point %u", n);
		EXPECT_NE(0, stat("/proc/net/evstream", &st));
		failed++;
	}
	/* Caches, workqueues, namespace state, the family: all seen. */
	EXPECT_LE(9, failed);
	ksft_print_msg("load: %u failure points, each a clean -ENOMEM\n",
		       failed);
	fflush(stdout);	/* the harness ends the test with _exit() */
	ASSERT_TRUE(evs_test_loaded());
	ASSERT_EQ(0, evs_nl_open(&self->nl));
	EXPECT_LT(0, evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD,
				     "127.0.0.1:0"));
}

TEST_F_TIMEOUT(fault, netns_creation_fails_cleanly, FAULT_TIMEOUT)
{
	unsigned int n;

	for (n = 1; n <= 2; n++) {
		pid_t pid;
		int status;

		ASSERT_EQ(0, arm("net", n));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			_exit(unshare(CLONE_NEWNET) ? errno : 0);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(ENOMEM, WEXITSTATUS(status)) TH_LOG("point %u", n);
	}
	EXPECT_EQ(2, hits("net"));
	/* And the next namespace is whole. */
	ASSERT_EQ(0, evs_test_new_netns());
	evs_nl_close(&self->nl);
	ASSERT_EQ(0, evs_nl_open(&self->nl));
	EXPECT_LT(0, evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD,
				     "127.0.0.1:0"));
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(unsigned int *)data)++;
	return MNL_CB_OK;
}

static unsigned int listeners(struct evs_nl *nl)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	unsigned int n = 0;

	if (evs_nl_talk(nl, evs_nl_req(nl, buf, EVS_CMD_LISTEN_GET, NLM_F_DUMP),
			count_cb, &n))
		return ~0U;
	return n;
}

/* The listener, its per-CPU rings (each one) and its socket. */
TEST_F_TIMEOUT(fault, listen_fails_cleanly_at_every_point, FAULT_TIMEOUT)
{
	unsigned int n, failed = 0;
	int port = 0;

	for (n = 1; n < 100; n++) {
		ASSERT_EQ(0, arm("listen", n));
		port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD,
				       "127.0.0.1:0");
		if (port > 0)
			break;
		EXPECT_EQ(-ENOMEM, port) TH_LOG("point %u", n);
		EXPECT_EQ(0, listeners(&self->nl));
		failed++;
	}
	ASSERT_EQ(0, arm("listen", 0));
	EXPECT_LE(4, failed);
	ksft_print_msg("listen: %u failure points, each a clean -ENOMEM\n",
		       failed);
	fflush(stdout);	/* the harness ends the test with _exit() */
	ASSERT_LT(0, port);
	EXPECT_EQ(1, listeners(&self->nl));
	/* It works. */
	{
		size_t len = frames(self->buf, 10, 1);
		int fd = evs_test_connect(AF_INET, port);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
		EXPECT_EQ(0, evs_test_wait_ack(fd, 9, TMO));
		close(fd);
	}
}

/* A connection whose state cannot be allocated is closed; others work. */
TEST_F_TIMEOUT(fault, accept_failure_closes_only_that_connection, FAULT_TIMEOUT)
{
	int port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	unsigned int n;

	ASSERT_LT(0, port);
	for (n = 1; n <= 2; n++) {
		size_t len = frames(self->buf, 5, 2);
		char c;
		int fd;

		ASSERT_EQ(0, arm("conn", n));
		fd = evs_test_connect(AF_INET, port);
		ASSERT_LE(0, fd);
		/* Refused after accept: closed, never served. */
		evs_test_write(fd, self->buf, len);
		EXPECT_NE(0, evs_test_read_full(fd, &c, 1, TMO)) TH_LOG("point %u", n);
		close(fd);
		EXPECT_EQ(n, hits("conn"));
	}
	{
		size_t len = frames(self->buf, 5, 2);
		int fd = evs_test_connect(AF_INET, port);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
		EXPECT_EQ(0, evs_test_wait_ack(fd, 4, TMO));
		close(fd);
	}
	EXPECT_EQ(5, evs_test_stored(&self->nl, 2));
	/* Every connection the kernel took is counted one way or the other. */
	EXPECT_EQ(2, evs_test_counter(&self->nl, EVS_STATS_A_CONN_REJECTED));
	EXPECT_EQ(1, evs_test_counter(&self->nl, EVS_STATS_A_CONN_ACCEPTED));
}

/* An event that cannot be allocated on the rx path is backpressure. */
TEST_F_TIMEOUT(fault, rx_allocation_failure_loses_nothing, FAULT_TIMEOUT)
{
	int port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	unsigned int n;
	int fd;

	ASSERT_LT(0, port);
	fd = evs_test_connect(AF_INET, port);
	ASSERT_LE(0, fd);
	for (n = 1; n <= 20; n++) {
		size_t len = frames(self->buf, 100, 3);

		ASSERT_EQ(0, arm("pool", n * 3));
		ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
		ASSERT_EQ(0, evs_test_wait_ack(fd, 99, TMO)) TH_LOG("round %u", n);
	}
	close(fd);
	EXPECT_EQ(20, hits("pool"));
	EXPECT_EQ(2000, evs_test_stored(&self->nl, 3));
	EXPECT_LE(20, evs_test_counter(&self->nl, EVS_STATS_A_PAUSES));
	EXPECT_EQ(20, evs_test_counter(&self->nl, EVS_STATS_A_POOL_FAILS));
}

/*
 * Memory that stays short: the reader retries on a timer whose delay
 * doubles from 10 ms to 1 s, never in a loop; once memory is back every
 * frame gets through.  Before the retry timer, a failed allocation woke
 * its connection at once (the pool had room), which failed again, and so
 * on, as fast as the CPU went.
 */
TEST_F_TIMEOUT(fault, persistent_allocation_failure_backs_off, FAULT_TIMEOUT)
{
	int port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	size_t len = frames(self->buf, 100, 4);
	uint64_t t0, ms, retries;
	unsigned int tries;
	struct evs_gauges g;
	int fd;

	ASSERT_LT(0, port);
	fd = evs_test_connect(AF_INET, port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, arm("pool", ~0U));		/* every allocation fails */
	t0 = evs_test_now_ms();
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	/* The window in which retries are counted, not a wait for them. */
	sleep(3);
	ASSERT_EQ(0, evs_test_get_gauges(&self->nl, &g));
	tries = hits("pool");
	ms = evs_test_now_ms() - t0;
	retries = evs_test_counter(&self->nl, EVS_STATS_A_NOMEM_RETRIES);
	ASSERT_EQ(0, arm("pool", 0));

	/* At most one retry per 10 ms, however fast the machine. */
	EXPECT_LE(tries, ms / 10 + 2) TH_LOG("%u tries in %llu ms", tries,
					     (unsigned long long)ms);
	EXPECT_LE(1, tries);
	EXPECT_LE(1, retries);
	EXPECT_LE(retries, tries);
	EXPECT_EQ(1, g.values[EVS_GAUGE_A_PAUSED - EVS_GAUGE_A_FIRST]);
	EXPECT_EQ(0, evs_test_stored(&self->nl, 4));

	/* Memory back: within the longest delay, everything is stored. */
	EXPECT_EQ(0, evs_test_wait_ack(fd, 99, TMO));
	EXPECT_EQ(100, evs_test_stored(&self->nl, 4));
	EXPECT_EQ(tries, evs_test_counter(&self->nl, EVS_STATS_A_POOL_FAILS));
	close(fd);
}

/*
 * No memory for a topic's index: its events are counted as stored and
 * evicted at once, never lost without a trace; the topic works after.
 */
TEST_F_TIMEOUT(fault, store_index_failure_is_counted, FAULT_TIMEOUT)
{
	int port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	struct evs_gauges g;
	uint64_t evicted;
	size_t len;
	int fd, kept;

	ASSERT_LT(0, port);
	fd = evs_test_connect(AF_INET, port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, arm("store", 1));
	len = frames(self->buf, 3, 4);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 2, TMO));
	/* Past the topic's first 64 events its index grows: fail that. */
	ASSERT_EQ(0, arm("store", 2));
	len = frames(self->buf, 200, 4);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 199, TMO));
	close(fd);

	EXPECT_EQ(2, hits("store"));
	EXPECT_EQ(203, evs_test_counter(&self->nl, EVS_STATS_A_STORED));
	kept = evs_test_stored(&self->nl, 4);
	EXPECT_LT(0, kept);
	evicted = evs_test_counter(&self->nl, EVS_STATS_A_EVICTED);
	EXPECT_EQ(203 - kept, (int)evicted);
	ASSERT_EQ(0, evs_test_get_gauges(&self->nl, &g));
	EXPECT_EQ(kept, (int)g.values[EVS_GAUGE_A_STORE_EVENTS -
				      EVS_GAUGE_A_FIRST]);
}

/* Connection notifications in the order the monitor got them. */
struct ntf_log {
	unsigned int n, closes;
	uint8_t cmd[64];
	uint64_t id[64];
};

static int ntf_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct ntf_log *log = data;

	if (g->cmd != EVS_CMD_NTF_CONN_OPEN && g->cmd != EVS_CMD_NTF_CONN_CLOSE)
		return MNL_CB_OK;
	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) || log->n == ARRAY_SIZE(log->id) ||
	    evs_nl_get_u64(tb[EVS_A_CONN_ID], &log->id[log->n])) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	log->cmd[log->n++] = g->cmd;
	log->closes += g->cmd == EVS_CMD_NTF_CONN_CLOSE;
	return MNL_CB_OK;
}

/*
 * Clients that break the protocol or reset the moment they are accepted,
 * while their connection is being announced: the delay point holds the
 * accept work between the hook and the OPEN notification.  Seen first on
 * 6.12 as a use-after-free, the close freeing the connection under its
 * announcement; with the delay it happens on every kernel.  Each
 * connection is announced, then closed, in that order, and nothing is
 * left behind (the VM's checks after the suite).
 */
TEST_F_TIMEOUT(fault, connection_closed_while_announced, FAULT_TIMEOUT)
{
	int port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	const struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	unsigned char bad[EVS_WIRE_HDR_LEN];
	struct ntf_log log = { 0 };
	unsigned int i, j, k = 4, ms = 500;
	uint64_t last, errs;
	struct evs_nl mon;
	uint32_t grp;

	ASSERT_LT(0, port);
	ASSERT_EQ(0, evs_nl_open(&mon));
	ASSERT_EQ(0, evs_nl_mcast_group(&mon, EVS_GENL_NAME, EVS_MCGRP_MONITOR,
					&grp));
	ASSERT_EQ(0, evs_nl_join(&mon, grp));
	ASSERT_EQ(0, evs_test_knob("delay_conn_open_ms", "w", &ms));
	memset(bad, 0xee, sizeof(bad));
	for (i = 0; i < k; i++) {
		struct evs_frame f;
		int fd = evs_test_connect(AF_INET, port);

		ASSERT_LE(0, fd);
		/* Counted once hooked: from here its bytes wake the module. */
		ASSERT_EQ(0, evs_test_wait_counter(&self->nl,
						   EVS_STATS_A_CONN_ACCEPTED,
						   i + 1, TMO, &last));
		ASSERT_EQ(0, evs_test_write(fd, bad, sizeof(bad)));
		if (i & 1) {
			ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_LINGER,
						&rst, sizeof(rst)));
		} else {
			/* The ERROR, then our FIN ends its linger. */
			EXPECT_EQ(0, evs_test_read_frame(fd, &f, NULL, 0, TMO));
			EXPECT_EQ(EVS_WIRE_F_ERROR, f.flags);
		}
		close(fd);
	}
	while (log.closes < k) {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(mon.sock),
				      .events = POLLIN };

		ASSERT_EQ(1, poll(&pfd, 1, TMO)) TH_LOG("%u closes", log.closes);
		ASSERT_EQ(0, evs_nl_recv_ntf(&mon, ntf_cb, &log));
	}
	ms = 0;
	ASSERT_EQ(0, evs_test_knob("delay_conn_open_ms", "w", &ms));
	evs_nl_close(&mon);

	ASSERT_EQ(2 * k, log.n);
	for (i = 0; i < log.n; i++) {
		if (log.cmd[i] != EVS_CMD_NTF_CONN_CLOSE)
			continue;
		for (j = 0; j < i; j++)
			if (log.id[j] == log.id[i] &&
			    log.cmd[j] == EVS_CMD_NTF_CONN_OPEN)
				break;
		EXPECT_LT(j, i) TH_LOG("connection %llu closed before its open",
				       (unsigned long long)log.id[i]);
	}
	EXPECT_EQ(k, evs_test_counter(&self->nl, EVS_STATS_A_CONN_CLOSED));
	/* Those that waited for their ERROR were read; a reset may not be. */
	errs = evs_test_counter(&self->nl, EVS_STATS_A_ERR_MAGIC);
	EXPECT_LE(k / 2, errs);
	EXPECT_GE(k, errs);
}

/*
 * A client that connects the moment a new listener listens, before
 * LISTEN_ADD is done with it: the delay point holds LISTEN_ADD right
 * after kernel_listen().  The accept work once found no socket there.
 * The client must be served like any other.
 */
TEST_F_TIMEOUT(fault, connect_while_listener_is_added, FAULT_TIMEOUT)
{
	unsigned int ms = 500;
	uint16_t port = 7411;
	char addr[32];
	int status;
	pid_t pid;

	ASSERT_EQ(0, evs_test_knob("delay_listen_ms", "w", &ms));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		size_t len = frames(self->buf, 3, 5);
		uint64_t end = evs_test_now_ms() + TMO;
		int fd = -1;

		/* Refused until it listens; then served. */
		while (fd < 0 && evs_test_now_ms() < end) {
			fd = evs_test_connect(AF_INET, port);
			if (fd < 0)
				poll(NULL, 0, 2);
		}
		_exit(fd < 0 ? 1 : evs_test_write(fd, self->buf, len) ? 2 :
		      evs_test_wait_ack(fd, 2, TMO) ? 3 : 0);
	}
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	EXPECT_EQ(port, evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, addr));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ms = 0;
	ASSERT_EQ(0, evs_test_knob("delay_listen_ms", "w", &ms));
	EXPECT_EQ(3, evs_test_stored(&self->nl, 5));
}

TEST_HARNESS_MAIN
