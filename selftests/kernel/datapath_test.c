// SPDX-License-Identifier: GPL-2.0
/*
 * evstream data path, as a client and an operator see it: frames in over
 * TCP, acks and errors back, events stored and read back with
 * EVS_CMD_READ, counters that add up.  Each test runs in a network
 * namespace of its own with a listener on a port the kernel picked.
 *
 * Synchronisation is by the protocol, never by sleeping: an ACK for the
 * last frame means every frame before it is stored, and EOF after an
 * ERROR frame or our own shutdown means the server is done with us.
 */
#include "evs_test.h"
#include <pthread.h>
#include <sys/wait.h>
#include "kselftest_harness.h"

#define TMO 20000		/* ms: generous for an emulated VM */

FIXTURE(dp) {
	struct evs_nl nl;
	uint16_t port;
	unsigned char buf[1 << 20];
};

FIXTURE_SETUP(dp)
{
	int port;

	ASSERT_EQ(0, evs_test_new_netns());
	ASSERT_EQ(0, evs_nl_open(&self->nl));
	port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	ASSERT_LT(0, port) TH_LOG("listen add: %s %s", strerror(-port),
				  self->nl.errmsg);
	self->port = port;
}

FIXTURE_TEARDOWN(dp)
{
	evs_nl_close(&self->nl);
}

/* @n frames of @len bytes to @topic, seq 0.., ACK_REQ on the last. */
static size_t make_frames(unsigned char *buf, unsigned int n, uint16_t topic,
			  uint8_t prio, uint32_t len)
{
	return evs_test_frames(buf, n, topic, prio, 0, len);
}

TEST_F(dp, frames_are_stored_and_acked)
{
	size_t len = make_frames(self->buf, 1000, 1, EVS_PRIO_TX, 100);
	int fd = evs_test_connect(AF_INET, self->port);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 999, TMO));
	EXPECT_EQ(1000, evs_test_stored(&self->nl, 1));
	EXPECT_EQ(1000, evs_test_counter(&self->nl, EVS_STATS_A_FRAMES));
	EXPECT_EQ(100000, evs_test_counter(&self->nl, EVS_STATS_A_BYTES));
	EXPECT_EQ(1000, evs_test_counter(&self->nl, EVS_STATS_A_STORED));
	EXPECT_EQ(1000, evs_test_counter(&self->nl, EVS_STATS_A_ENQ_TX));
	EXPECT_EQ(1000, evs_test_counter(&self->nl, EVS_STATS_A_DONE_TX));
	EXPECT_EQ(1, evs_test_counter(&self->nl, EVS_STATS_A_CONN_ACCEPTED));
	close(fd);
}

TEST_F(dp, frames_split_byte_by_byte)
{
	size_t len = make_frames(self->buf, 20, 2, EVS_PRIO_RT, 33);
	int fd = evs_test_connect(AF_INET, self->port);
	size_t i;

	ASSERT_LE(0, fd);
	for (i = 0; i < len; i++)
		ASSERT_EQ(0, evs_test_write(fd, self->buf + i, 1));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 19, TMO));
	EXPECT_EQ(20, evs_test_stored(&self->nl, 2));
	EXPECT_EQ(20, evs_test_counter(&self->nl, EVS_STATS_A_DONE_RT));
	close(fd);
}

TEST_F(dp, many_frames_in_one_segment)
{
	/* 500 empty-ish frames fit one loopback segment several times over. */
	size_t len = make_frames(self->buf, 500, 3, EVS_PRIO_BATCH, 4);
	int fd = evs_test_connect(AF_INET, self->port);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 499, TMO));
	EXPECT_EQ(500, evs_test_stored(&self->nl, 3));
	EXPECT_EQ(500, evs_test_counter(&self->nl, EVS_STATS_A_DONE_BATCH));
	close(fd);
}

TEST_F(dp, zero_length_and_largest_payloads)
{
	size_t off = 0;
	int fd;

	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_MAX_PAYLOAD,
				     EVS_WIRE_PAYLOAD_CAP));
	off += evs_test_frame(self->buf + off, 0, 4, EVS_PRIO_TX, 0, 0);
	off += evs_test_frame(self->buf + off, 0, 4, EVS_PRIO_TX, 1,
			      EVS_WIRE_PAYLOAD_CAP);
	off += evs_test_frame(self->buf + off, EVS_WIRE_F_ACK_REQ, 4,
			      EVS_PRIO_TX, 2, 0);
	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, off));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 2, TMO));
	/* The 64 KiB payload comes back in pieces and is put together. */
	EXPECT_EQ(3, evs_test_stored(&self->nl, 4));
	close(fd);
}

TEST_F(dp, ipv6_listener)
{
	size_t len = make_frames(self->buf, 10, 5, EVS_PRIO_TX, 8);
	int port, fd;

	port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, "[::1]:0");
	ASSERT_LT(0, port);
	fd = evs_test_connect(AF_INET6, port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 9, TMO));
	EXPECT_EQ(10, evs_test_stored(&self->nl, 5));
	close(fd);
}

TEST_F(dp, listener_errors)
{
	char addr[32];

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", self->port);
	EXPECT_EQ(-EADDRINUSE, evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD,
					       addr));
	EXPECT_STREQ("address already in use", self->nl.errmsg);
	EXPECT_EQ(-ENOENT, evs_test_listen(&self->nl, EVS_CMD_LISTEN_DEL,
					   "127.0.0.1:1"));
	EXPECT_EQ(-EADDRNOTAVAIL, evs_test_listen(&self->nl,
						  EVS_CMD_LISTEN_ADD,
						  "192.0.2.1:7000"));
	EXPECT_EQ(0, evs_test_listen(&self->nl, EVS_CMD_LISTEN_DEL, addr));
	EXPECT_EQ(-ECONNREFUSED, evs_test_connect(AF_INET, self->port));
}

/*
 * A bad header after good frames: the good ones are acked and stay
 * stored, the client gets an ERROR frame with the reason, the connection
 * closes, and the error is counted by kind.
 */
struct bad_case {
	const char *reason;
	int counter;
	void (*spoil)(struct evs_frame *f);
};

static void spoil_magic(struct evs_frame *f) { f->magic = 0x7645; }
static void spoil_version(struct evs_frame *f) { f->version = 2; }
static void spoil_flags(struct evs_frame *f) { f->flags = EVS_WIRE_F_ACK; }
static void spoil_reserved(struct evs_frame *f) { f->reserved = 1; }
static void spoil_length(struct evs_frame *f) { f->length = 4097; }
static void spoil_prio(struct evs_frame *f) { f->priority = 3; }

static const struct bad_case bad_cases[] = {
	{ "bad magic", EVS_STATS_A_ERR_MAGIC, spoil_magic },
	{ "unsupported version", EVS_STATS_A_ERR_VERSION, spoil_version },
	{ "reserved bits set", EVS_STATS_A_ERR_RESERVED, spoil_flags },
	{ "reserved bits set", EVS_STATS_A_ERR_RESERVED, spoil_reserved },
	{ "payload length over limit", EVS_STATS_A_ERR_LENGTH, spoil_length },
	{ "unknown priority", EVS_STATS_A_ERR_PRIORITY, spoil_prio },
};

TEST_F(dp, bad_headers_close_only_their_connection)
{
	unsigned int i;
	int other;

	/* A bystander connection that must not notice a thing. */
	other = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, other);

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *bc = &bad_cases[i];
		uint16_t topic = 100 + i;
		struct evs_frame f = {
			.magic = EVS_WIRE_MAGIC, .version = EVS_WIRE_VERSION,
			.length = 0, .topic = topic, .priority = EVS_PRIO_TX,
			.seq = 5,
		};
		char text[64] = "";
		size_t len;
		int fd;

		len = make_frames(self->buf, 5, topic, EVS_PRIO_TX, 10);
		bc->spoil(&f);
		evs_frame_encode(self->buf + len, &f);
		len += EVS_WIRE_HDR_LEN;
		/* Bytes after the bad header are never read as a frame. */
		len += make_frames(self->buf + len, 3, topic, EVS_PRIO_TX, 10);

		fd = evs_test_connect(AF_INET, self->port);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
		/* First the ack for what was stored, then the error. */
		ASSERT_EQ(0, evs_test_wait_ack(fd, 4, TMO)) TH_LOG("%s", bc->reason);
		ASSERT_EQ(0, evs_test_read_frame(fd, &f, text, sizeof(text), TMO));
		EXPECT_EQ(EVS_WIRE_F_ERROR, f.flags);
		EXPECT_EQ(5, f.seq);
		EXPECT_STREQ(bc->reason, text);
		/* Then the server's FIN: an orderly EOF, not a reset. */
		EXPECT_EQ(1, evs_test_read_full(fd, text, 1, TMO)) {
			TH_LOG("no EOF after ERROR");
		}
		close(fd);
		EXPECT_EQ(5, evs_test_stored(&self->nl, topic)) TH_LOG("%s", bc->reason);
	}
	EXPECT_EQ(1, evs_test_counter(&self->nl, EVS_STATS_A_ERR_MAGIC));
	EXPECT_EQ(1, evs_test_counter(&self->nl, EVS_STATS_A_ERR_VERSION));
	EXPECT_EQ(2, evs_test_counter(&self->nl, EVS_STATS_A_ERR_RESERVED));
	EXPECT_EQ(1, evs_test_counter(&self->nl, EVS_STATS_A_ERR_LENGTH));
	EXPECT_EQ(1, evs_test_counter(&self->nl, EVS_STATS_A_ERR_PRIORITY));
	EXPECT_EQ(30, evs_test_counter(&self->nl, EVS_STATS_A_STORED));

	/* The bystander still works. */
	{
		size_t len = make_frames(self->buf, 3, 99, EVS_PRIO_TX, 1);

		ASSERT_EQ(0, evs_test_write(other, self->buf, len));
		EXPECT_EQ(0, evs_test_wait_ack(other, 2, TMO));
	}
	close(other);
}

/*
 * A client that goes on writing after its bad header, more than the
 * socket buffers hold: the server discards it, so the ACK and the ERROR
 * reach the client whole, followed by an orderly EOF rather than a reset;
 * the connection closes once the client does.
 */
TEST_F(dp, error_survives_bytes_after_the_bad_header)
{
	const size_t garbage = 4 << 20;
	struct evs_frame f = {
		.magic = 0xdead, .version = EVS_WIRE_VERSION, .seq = 7,
	};
	unsigned char *junk;
	uint64_t closed;
	char text[64];
	size_t len;
	int fd;

	junk = calloc(1, garbage);
	ASSERT_NE(NULL, junk);
	len = make_frames(self->buf, 7, 300, EVS_PRIO_RT, 100);
	evs_frame_encode(self->buf + len, &f);
	len += EVS_WIRE_HDR_LEN;
	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	/* Blocks until the server, done with the good frames, drains. */
	ASSERT_EQ(0, evs_test_write(fd, junk, garbage));
	free(junk);
	ASSERT_EQ(0, evs_test_wait_ack(fd, 6, TMO));
	ASSERT_EQ(0, evs_test_read_frame(fd, &f, text, sizeof(text), TMO));
	EXPECT_EQ(EVS_WIRE_F_ERROR, f.flags);
	EXPECT_STREQ("bad magic", text);
	EXPECT_EQ(1, evs_test_read_full(fd, text, 1, TMO));
	close(fd);
	EXPECT_EQ(0, evs_test_wait_counter(&self->nl,
					   EVS_STATS_A_CONN_CLOSED, 1, TMO,
					   &closed)) {
		TH_LOG("%llu connections closed", (unsigned long long)closed);
	}
	EXPECT_EQ(7, evs_test_stored(&self->nl, 300));
	EXPECT_EQ(7, evs_test_counter(&self->nl, EVS_STATS_A_FRAMES));
	EXPECT_EQ(0, evs_test_counter(&self->nl, EVS_STATS_A_TRUNCATED));
}

/* A client that stops mid-frame: what came before is kept, counted. */
TEST_F(dp, truncated_frame_at_close)
{
	size_t len = make_frames(self->buf, 4, 6, EVS_PRIO_TX, 50);
	char c;
	int fd;

	len += evs_test_frame(self->buf + len, 0, 6, EVS_PRIO_TX, 4, 50) - 20;
	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	/* The server stores what it can, acks, then closes. */
	ASSERT_EQ(0, evs_test_wait_ack(fd, 3, TMO));
	EXPECT_EQ(1, evs_test_read_full(fd, &c, 1, TMO));
	close(fd);
	EXPECT_EQ(4, evs_test_stored(&self->nl, 6));
	EXPECT_EQ(1, evs_test_counter(&self->nl, EVS_STATS_A_TRUNCATED));
}

/*
 * A zero-length frame right before the FIN, with the pool so small that
 * the reader keeps pausing between a header and its buffer: the frame
 * must still be stored and acked, not counted as cut short.
 */
TEST_F(dp, zero_length_frame_before_fin_while_paused)
{
	unsigned int round;

	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_POOL_LIMIT, 1));
	for (round = 0; round < 20; round++) {
		size_t len = make_frames(self->buf, 30, 17, EVS_PRIO_TX, 8);
		char c;
		int fd;

		len += evs_test_frame(self->buf + len, EVS_WIRE_F_ACK_REQ, 17,
				      EVS_PRIO_TX, 30, 0);
		fd = evs_test_connect(AF_INET, self->port);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
		ASSERT_EQ(0, shutdown(fd, SHUT_WR));
		ASSERT_EQ(0, evs_test_wait_ack(fd, 30, TMO)) TH_LOG("round %u", round);
		EXPECT_EQ(1, evs_test_read_full(fd, &c, 1, TMO));
		close(fd);
	}
	EXPECT_EQ(0, evs_test_counter(&self->nl, EVS_STATS_A_TRUNCATED));
	EXPECT_EQ(20 * 31, evs_test_stored(&self->nl, 17));
}

/* Every ACK covers exactly the frames stored: check after each one. */
TEST_F(dp, acks_cover_exactly_what_is_stored)
{
	int fd = evs_test_connect(AF_INET, self->port);
	uint32_t seq;

	ASSERT_LE(0, fd);
	for (seq = 1000; seq < 1040; seq++) {
		size_t len = evs_test_frame(self->buf, EVS_WIRE_F_ACK_REQ, 7,
					    seq % 3, seq, 20);
		struct evs_frame f;

		ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
		ASSERT_EQ(0, evs_test_read_frame(fd, &f, NULL, 0, TMO));
		ASSERT_EQ(EVS_WIRE_F_ACK, f.flags);
		ASSERT_EQ(seq, f.seq);
		ASSERT_EQ((int)(seq - 999), evs_test_stored(&self->nl, 7));
	}
	EXPECT_EQ(40, evs_test_counter(&self->nl, EVS_STATS_A_ACKS));
	close(fd);
}

/* Acks are cumulative: one ACK may answer many ACK_REQ frames. */
TEST_F(dp, acks_are_coalesced_and_cumulative)
{
	size_t off = 0;
	uint32_t i;
	int fd;

	for (i = 0; i < 2000; i++)
		off += evs_test_frame(self->buf + off, EVS_WIRE_F_ACK_REQ, 8,
				      EVS_PRIO_TX, i, 8);
	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, off));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 1999, TMO));
	EXPECT_GE(2000, evs_test_counter(&self->nl, EVS_STATS_A_ACKS));
	EXPECT_EQ(2000, evs_test_stored(&self->nl, 8));
	close(fd);
}

/*
 * A pool of 4 events and a fast sender: the module pauses reading, TCP
 * holds the client back, and nothing is lost.
 */
TEST_F(dp, backpressure_loses_nothing)
{
	size_t len = make_frames(self->buf, 5000, 9, EVS_PRIO_BATCH, 64);
	int fd;

	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_POOL_LIMIT, 4));
	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 4999, TMO));
	EXPECT_EQ(5000, evs_test_stored(&self->nl, 9));
	EXPECT_LT(0, evs_test_counter(&self->nl, EVS_STATS_A_PAUSES));
	EXPECT_EQ(evs_test_counter(&self->nl, EVS_STATS_A_PAUSES),
		  evs_test_counter(&self->nl, EVS_STATS_A_RESUMES));
	EXPECT_LT(0, evs_test_counter(&self->nl, EVS_STATS_A_POOL_FAILS));
	close(fd);
}

TEST_F(dp, tiny_rings_lose_nothing)
{
	size_t len = make_frames(self->buf, 5000, 10, EVS_PRIO_RT, 16);
	int port, fd;

	/* Ring size changes only while no listener is up. */
	EXPECT_EQ(-EBUSY, evs_test_config(&self->nl, EVS_CFG_A_RING_SIZE, 64));
	{
		char addr[32];

		snprintf(addr, sizeof(addr), "127.0.0.1:%u", self->port);
		ASSERT_EQ(0, evs_test_listen(&self->nl, EVS_CMD_LISTEN_DEL,
					     addr));
	}
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_RING_SIZE, 64));
	port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	ASSERT_LT(0, port);
	fd = evs_test_connect(AF_INET, port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 4999, TMO));
	EXPECT_EQ(5000, evs_test_stored(&self->nl, 10));
	close(fd);
}

TEST_F(dp, connection_limit)
{
	size_t len = make_frames(self->buf, 1, 11, EVS_PRIO_TX, 1);
	int fd[3], i;
	char c;

	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_CONN_LIMIT, 2));
	for (i = 0; i < 2; i++) {
		fd[i] = evs_test_connect(AF_INET, self->port);
		ASSERT_LE(0, fd[i]);
		/* An ack proves the server took this one. */
		ASSERT_EQ(0, evs_test_write(fd[i], self->buf, len));
		ASSERT_EQ(0, evs_test_wait_ack(fd[i], 0, TMO));
	}
	fd[2] = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd[2]);
	/* Over the limit: closed at once (EOF or reset), never served. */
	EXPECT_NE(0, evs_test_read_full(fd[2], &c, 1, TMO));
	EXPECT_EQ(1, evs_test_counter(&self->nl, EVS_STATS_A_CONN_REJECTED));
	EXPECT_EQ(2, evs_test_counter(&self->nl, EVS_STATS_A_CONN_ACCEPTED));
	for (i = 0; i < 3; i++)
		close(fd[i]);
}

/* Bad headers the namespace's connections sent, of every kind. */
static uint64_t header_errors(struct evs_nl *nl)
{
	uint64_t n = 0;
	int a;

	for (a = EVS_STATS_A_ERR_MAGIC; a <= EVS_STATS_A_ERR_PRIORITY; a++)
		n += evs_test_counter(nl, a);
	return n;
}

/*
 * An urgent byte (MSG_OOB) in the middle of a header: no part of the
 * stream, as for any socket without SO_OOBINLINE.  The frames around it
 * are stored whole, none is in error, and the connection still ends at
 * the client's FIN.  (tcp_read_sock() stops in front of an urgent byte
 * for good: such a connection once never read on, nor closed.)
 */
TEST_F(dp, urgent_byte_is_left_out_of_the_stream)
{
	size_t len = make_frames(self->buf, 5, 12, EVS_PRIO_TX, 40);
	int fd = evs_test_connect(AF_INET, self->port);
	char c;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, 10));
	ASSERT_EQ(1, send(fd, "U", 1, MSG_OOB));
	ASSERT_EQ(0, evs_test_write(fd, self->buf + 10, len - 10));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 4, TMO));
	EXPECT_EQ(5, evs_test_stored(&self->nl, 12));
	EXPECT_EQ(5, evs_test_counter(&self->nl, EVS_STATS_A_FRAMES));
	EXPECT_EQ(0, header_errors(&self->nl));
	/* An urgent byte last of all, then the FIN: the server closes. */
	ASSERT_EQ(1, send(fd, "U", 1, MSG_OOB));
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	EXPECT_EQ(1, evs_test_read_full(fd, &c, 1, TMO)) TH_LOG("no EOF");
	close(fd);
}

/*
 * Clients that send one urgent byte and go: each connection ends, so
 * they cannot use up the connection limit, and the next client is
 * served.
 */
TEST_F(dp, urgent_bytes_do_not_use_up_the_connection_limit)
{
	size_t len = make_frames(self->buf, 3, 13, EVS_PRIO_TX, 8);
	uint64_t closed;
	int fd, i;

	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_CONN_LIMIT, 4));
	for (i = 0; i < 4; i++) {
		fd = evs_test_connect(AF_INET, self->port);
		ASSERT_LE(0, fd);
		ASSERT_EQ(1, send(fd, "U", 1, MSG_OOB));
		close(fd);
	}
	ASSERT_EQ(0, evs_test_wait_counter(&self->nl, EVS_STATS_A_CONN_CLOSED,
					   4, TMO, &closed))
		TH_LOG("%llu of 4 closed", (unsigned long long)closed);
	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	EXPECT_EQ(0, evs_test_wait_ack(fd, 2, TMO));
	EXPECT_EQ(0, evs_test_counter(&self->nl, EVS_STATS_A_CONN_REJECTED));
	close(fd);
}

#define STALL_LEN 40000		/* more than a 16 KiB tcp_rmem can buffer */

/*
 * @n clients that each send a header and part of its payload, then
 * stall.  A payload is taken only once the socket holds all of it, but
 * this namespace caps socket buffers (tcp_rmem) below STALL_LEN: so each
 * staller gets its buffer early and holds one event of the pool while it
 * waits for the rest.  Returns once the pool counts all @n in flight.
 */
static int stallers(struct evs_nl *nl, uint16_t port, int *fd, int n)
{
	struct evs_frame h = {
		.magic = EVS_WIRE_MAGIC, .version = EVS_WIRE_VERSION,
		.length = STALL_LEN, .topic = 16, .priority = EVS_PRIO_TX,
	};
	unsigned char f[EVS_WIRE_HDR_LEN + 10] = {};
	uint64_t end = evs_test_now_ms() + TMO;
	struct evs_gauges g;
	int i;

	if (evs_test_sysctl("/proc/sys/net/ipv4/tcp_rmem", "4096 16384 16384") ||
	    evs_test_config(nl, EVS_CFG_A_MAX_PAYLOAD, 65536))
		return -1;
	evs_frame_encode(f, &h);
	for (i = 0; i < n; i++) {
		fd[i] = evs_test_connect(AF_INET, port);
		if (fd[i] < 0 || evs_test_write(fd[i], f, EVS_WIRE_HDR_LEN + 10))
			return -1;
	}
	do {
		if (evs_test_get_gauges(nl, &g))
			return -1;
		if (g.values[EVS_GAUGE_A_INFLIGHT - EVS_GAUGE_A_FIRST] ==
		    (uint64_t)n)
			return evs_test_counter(nl, EVS_STATS_A_EARLY_BUFFERS) ==
			       (uint64_t)n ? 0 : -1;
		poll(NULL, 0, 10);
	} while (evs_test_now_ms() < end);
	return -ETIMEDOUT;
}

/*
 * A header and part of a 64 KiB payload, then nothing: the module reads
 * the header, leaves the payload in the socket and takes no buffer until
 * the rest is there (once, each such client held a 64 KiB event, on a
 * 128 KiB slab, for as long as it stalled).  Then the rest comes, and
 * every frame is stored and acked.
 */
TEST_F(dp, a_stalled_frame_holds_no_buffer)
{
	enum { N = 32, PART = 1000, LEN = 65536 };
	unsigned char *f = self->buf;
	struct evs_gauges g;
	int fd[N], i;

	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_MAX_PAYLOAD, LEN));
	evs_test_frame(f, EVS_WIRE_F_ACK_REQ, 30, EVS_PRIO_TX, 7, LEN);
	for (i = 0; i < N; i++) {
		fd[i] = evs_test_connect(AF_INET, self->port);
		ASSERT_LE(0, fd[i]);
		ASSERT_EQ(0, evs_test_write(fd[i], f, EVS_WIRE_HDR_LEN + PART));
	}
	/* Each header read, each payload left where it is. */
	ASSERT_EQ(0, evs_test_get_gauges(&self->nl, &g));
	ASSERT_EQ(0, evs_test_wait_server_queued(self->port, N, N * PART, TMO))
		TH_LOG("early_buffers %llu, inflight %llu",
		       (unsigned long long)evs_test_counter(&self->nl,
					EVS_STATS_A_EARLY_BUFFERS),
		       (unsigned long long)g.values[EVS_GAUGE_A_INFLIGHT -
						    EVS_GAUGE_A_FIRST]);
	ASSERT_EQ(0, evs_test_get_gauges(&self->nl, &g));
	EXPECT_EQ(0, g.values[EVS_GAUGE_A_INFLIGHT - EVS_GAUGE_A_FIRST]);
	EXPECT_EQ(0, evs_test_counter(&self->nl, EVS_STATS_A_EARLY_BUFFERS));
	EXPECT_EQ(0, evs_test_counter(&self->nl, EVS_STATS_A_POOL_FAILS));

	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, evs_test_write(fd[i], f + EVS_WIRE_HDR_LEN + PART,
					    LEN - PART));
		EXPECT_EQ(0, evs_test_wait_ack(fd[i], 7, TMO));
	}
	EXPECT_EQ(N, evs_test_stored(&self->nl, 30));
	EXPECT_EQ(0, evs_test_counter(&self->nl, EVS_STATS_A_EARLY_BUFFERS));
	for (i = 0; i < N; i++)
		close(fd[i]);
}

/*
 * A payload trickling in slower than the idle timeout allows for the
 * whole frame: bytes that arrive are progress, even left unread in the
 * socket, so the connection is not closed as idle.
 */
TEST_F(dp, a_trickled_payload_is_not_idle)
{
	enum { LEN = 4000, SLOW = 40 };
	unsigned char *f = self->buf;
	size_t off;
	int fd, i;

	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_IDLE_TIMEOUT, 1));
	evs_test_frame(f, EVS_WIRE_F_ACK_REQ, 31, EVS_PRIO_TX, 3, LEN);
	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, f, EVS_WIRE_HDR_LEN));
	off = EVS_WIRE_HDR_LEN;
	/* One byte each 100 ms: 4 s in all, against a 1 s idle timeout. */
	for (i = 0; i < SLOW; i++, off++) {
		ASSERT_EQ(0, evs_test_write(fd, f + off, 1));
		poll(NULL, 0, 100);
	}
	ASSERT_EQ(0, evs_test_write(fd, f + off,
				    EVS_WIRE_HDR_LEN + LEN - off));
	EXPECT_EQ(0, evs_test_wait_ack(fd, 3, TMO));
	EXPECT_EQ(1, evs_test_stored(&self->nl, 31));
	EXPECT_EQ(0, evs_test_counter(&self->nl, EVS_STATS_A_CONN_CLOSED));
	close(fd);
}

/*
 * The pool full of frames half received; a well-behaved client waits,
 * paused.  When the stallers go, their half frames leave the pool with
 * no consumer run to say so: the waiting client must be woken all the
 * same (once, it waited until some unrelated settings change).
 */
TEST_F(dp, pool_freed_by_closing_stallers_wakes_the_paused)
{
	size_t len = make_frames(self->buf, 50, 17, EVS_PRIO_TX, 20);
	int fd[8], victim, i;

	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_POOL_LIMIT, 8));
	ASSERT_EQ(0, stallers(&self->nl, self->port, fd, 8));
	victim = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, victim);
	ASSERT_EQ(0, evs_test_write(victim, self->buf, len));
	EXPECT_NE(0, evs_test_wait_ack(victim, 49, 500));	/* no room */
	for (i = 0; i < 8; i++)
		close(fd[i]);
	EXPECT_EQ(0, evs_test_wait_ack(victim, 49, TMO));
	EXPECT_EQ(50, evs_test_stored(&self->nl, 17));
	close(victim);
}

/*
 * More than a quarter of the pool held by stallers: room enough for a
 * well-behaved client, which must get all its frames through even
 * though the pool never drops under three quarters of its limit (once,
 * it stayed paused with 15 of 64 slots free).
 */
TEST_F(dp, stallers_above_a_quarter_of_the_pool_do_not_stop_others)
{
	size_t len = make_frames(self->buf, 200, 18, EVS_PRIO_TX, 20);
	int fd[49], victim, i;

	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_POOL_LIMIT, 64));
	ASSERT_EQ(0, stallers(&self->nl, self->port, fd, 49));
	victim = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, victim);
	ASSERT_EQ(0, evs_test_write(victim, self->buf, len));
	EXPECT_EQ(0, evs_test_wait_ack(victim, 199, TMO));
	EXPECT_EQ(200, evs_test_stored(&self->nl, 18));
	close(victim);
	for (i = 0; i < 49; i++)
		close(fd[i]);
}

TEST_F(dp, routes_decide_auto_priority)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;
	size_t len;
	int fd;

	nlh = evs_nl_req(&self->nl, buf, EVS_CMD_ROUTE_ADD, 0);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 12);
	mnl_attr_put_u8(nlh, EVS_A_PRIO, EVS_PRIO_RT);
	ASSERT_EQ(0, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	nlh = evs_nl_req(&self->nl, buf, EVS_CMD_ROUTE_ADD, 0);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 12);
	mnl_attr_put_u8(nlh, EVS_A_PRIO, 3);
	EXPECT_EQ(-ERANGE, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_NE(0, self->nl.errmsg[0]);

	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	/* topic 12 -> realtime by rule, topic 13 -> transactional default. */
	len = make_frames(self->buf, 10, 12, EVS_PRIO_AUTO, 4);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 9, TMO));
	len = make_frames(self->buf, 7, 13, EVS_PRIO_AUTO, 4);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 6, TMO));
	EXPECT_EQ(10, evs_test_counter(&self->nl, EVS_STATS_A_ENQ_RT));
	EXPECT_EQ(7, evs_test_counter(&self->nl, EVS_STATS_A_ENQ_TX));

	nlh = evs_nl_req(&self->nl, buf, EVS_CMD_ROUTE_DEL, 0);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 12);
	ASSERT_EQ(0, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	nlh = evs_nl_req(&self->nl, buf, EVS_CMD_ROUTE_DEL, 0);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 12);
	EXPECT_EQ(-ENOENT, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	len = make_frames(self->buf, 5, 12, EVS_PRIO_AUTO, 4);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 4, TMO));
	EXPECT_EQ(12, evs_test_counter(&self->nl, EVS_STATS_A_ENQ_TX));
	close(fd);
}

/*
 * Under pool pressure auto traffic goes to batch, whatever its topic's
 * rule: with a pool of one event, that one event is already above any
 * mark below 100%.
 */
TEST_F(dp, pressure_sends_auto_traffic_to_batch)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;
	size_t len;
	int fd;

	nlh = evs_nl_req(&self->nl, buf, EVS_CMD_ROUTE_ADD, 0);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 20);
	mnl_attr_put_u8(nlh, EVS_A_PRIO, EVS_PRIO_RT);
	ASSERT_EQ(0, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_POOL_LIMIT, 1));
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_PRESSURE, 99));
	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	len = make_frames(self->buf, 30, 20, EVS_PRIO_AUTO, 4);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 29, TMO));
	EXPECT_EQ(30, evs_test_counter(&self->nl, EVS_STATS_A_ENQ_BATCH));
	EXPECT_EQ(0, evs_test_counter(&self->nl, EVS_STATS_A_ENQ_RT));

	/* At 100% there is no pressure mark: the rule applies again. */
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_PRESSURE, 100));
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 29, TMO));
	EXPECT_EQ(30, evs_test_counter(&self->nl, EVS_STATS_A_ENQ_RT));
	EXPECT_EQ(60, evs_test_stored(&self->nl, 20));
	close(fd);
}

/*
 * A CPU going offline and back while a connection streams: its rings'
 * consumers move elsewhere and nothing accepted is lost.
 */
static int set_cpu_online(int cpu, int on)
{
	char path[64];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	err = fprintf(f, "%d\n", on) < 0 ? -EIO : 0;
	if (fclose(f))
		err = -errno;
	return err;
}

struct hotplug_arg {
	int stop;
	int flips;
	int err;
};

static void *hotplug_main(void *p)
{
	struct hotplug_arg *a = p;

	while (!__atomic_load_n(&a->stop, __ATOMIC_RELAXED) && !a->err) {
		a->err = set_cpu_online(1, 0) ?: set_cpu_online(1, 1);
		a->flips++;
	}
	return NULL;
}

TEST_F(dp, cpu_hotplug_under_load)
{
	struct hotplug_arg arg = { 0 };
	pthread_t thread;
	unsigned int round;
	int fd;

	if (sysconf(_SC_NPROCESSORS_CONF) < 2)
		SKIP(return, "needs two CPUs");
	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pthread_create(&thread, NULL, hotplug_main, &arg));
	for (round = 0; round < 10; round++) {
		size_t len = make_frames(self->buf, 2000, 21, round % 3, 32);

		ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
		ASSERT_EQ(0, evs_test_wait_ack(fd, 1999, TMO));
	}
	__atomic_store_n(&arg.stop, 1, __ATOMIC_RELAXED);
	pthread_join(thread, NULL);
	EXPECT_EQ(0, arg.err);
	EXPECT_LT(0, arg.flips);
	EXPECT_EQ(20000, evs_test_stored(&self->nl, 21));
	close(fd);
	set_cpu_online(1, 1);
}

/* The store keeps the newest within its byte limit, and counts the rest. */
TEST_F(dp, store_limit_evicts_oldest)
{
	size_t len = make_frames(self->buf, 100, 14, EVS_PRIO_TX, 200);
	struct evs_stats st;
	int fd;

	/* Room for about ten 256-byte-class events. */
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_STORE_LIMIT, 3000));
	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 99, TMO));
	ASSERT_EQ(0, evs_test_get_stats(&self->nl, &st));
	EXPECT_EQ(100, st.counters[EVS_STATS_A_STORED - EVS_STATS_A_FIRST_COUNTER]);
	EXPECT_EQ(100 - evs_test_stored(&self->nl, 14),
		  (int)st.counters[EVS_STATS_A_EVICTED - EVS_STATS_A_FIRST_COUNTER]);
	EXPECT_LT(0, evs_test_stored(&self->nl, 14));
	EXPECT_GT(20, evs_test_stored(&self->nl, 14));
	close(fd);
}

/*
 * A reset zeroes counters and histograms, but not what is current (the
 * gauges) and never the store.
 */
TEST_F(dp, stats_reset_keeps_store_and_gauges)
{
	size_t len = make_frames(self->buf, 50, 16, EVS_PRIO_RT, 10);
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct evs_gauges before, after;
	struct evs_latency lat;
	struct nlmsghdr *nlh;
	struct evs_stats st;
	unsigned int i, p;
	int fd;

	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 49, TMO));
	ASSERT_EQ(0, evs_test_get_gauges(&self->nl, &before));
	nlh = evs_nl_req(&self->nl, buf, EVS_CMD_STATS_RESET, 0);
	ASSERT_EQ(0, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	ASSERT_EQ(0, evs_test_get_stats(&self->nl, &st));
	for (i = 0; i < EVS_NR_COUNTERS; i++)
		EXPECT_EQ(0, st.counters[i]) TH_LOG("counter %u", i);
	ASSERT_EQ(0, evs_test_get_latency(&self->nl, &lat));
	for (p = 0; p < EVS_PRIO_NR; p++)
		for (i = 0; i < EVS_LAT_BUCKETS; i++)
			EXPECT_EQ(0, lat.buckets[p][i]);
	ASSERT_EQ(0, evs_test_get_gauges(&self->nl, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	EXPECT_EQ(50, evs_test_stored(&self->nl, 16));
	/* Counting starts again from zero. */
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 49, TMO));
	EXPECT_EQ(50, evs_test_counter(&self->nl, EVS_STATS_A_FRAMES));
	ASSERT_EQ(0, evs_test_get_latency(&self->nl, &lat));
	{
		uint64_t n = 0;

		for (i = 0; i < EVS_LAT_BUCKETS; i++)
			n += lat.buckets[EVS_PRIO_RT][i];
		EXPECT_EQ(50, n);
	}
	close(fd);
}

/* A namespace sees only its own listeners, counters and events. */
TEST_F(dp, namespaces_are_isolated)
{
	size_t len = make_frames(self->buf, 10, 15, EVS_PRIO_TX, 4);
	int fd = evs_test_connect(AF_INET, self->port);
	pid_t pid;
	int status;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, self->buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, 9, TMO));
	close(fd);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct evs_nl nl;

		if (evs_test_new_netns() || evs_nl_open(&nl))
			_exit(10);
		if (evs_test_counter(&nl, EVS_STATS_A_FRAMES) != 0)
			_exit(11);
		if (evs_test_stored(&nl, 15) != 0)
			_exit(12);
		if (evs_test_connect(AF_INET, self->port) != -ECONNREFUSED)
			_exit(13);
		/* The same port is free here. */
		{
			char addr[32];

			snprintf(addr, sizeof(addr), "127.0.0.1:%u", self->port);
			if (evs_test_listen(&nl, EVS_CMD_LISTEN_ADD, addr) !=
			    self->port)
				_exit(14);
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(10, evs_test_stored(&self->nl, 15));
}

TEST_F(dp, unprivileged_cannot_read_or_listen)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;

	ASSERT_EQ(0, evs_test_drop_privileges());
	EXPECT_EQ(-EPERM, evs_test_stored(&self->nl, 1));
	EXPECT_EQ(-EPERM, evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD,
					  "127.0.0.1:0"));
	nlh = evs_nl_req(&self->nl, buf, EVS_CMD_ROUTE_ADD, 0);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 1);
	mnl_attr_put_u8(nlh, EVS_A_PRIO, 1);
	EXPECT_EQ(-EPERM, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_EQ(-EPERM, evs_test_config(&self->nl, EVS_CFG_A_BATCH, 8));
	/* Reading what is public still works. */
	nlh = evs_nl_req(&self->nl, buf, EVS_CMD_LISTEN_GET, NLM_F_DUMP);
	EXPECT_EQ(0, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	nlh = evs_nl_req(&self->nl, buf, EVS_CMD_CONN_GET, NLM_F_DUMP);
	EXPECT_EQ(0, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	nlh = evs_nl_req(&self->nl, buf, EVS_CMD_CONFIG_GET, 0);
	EXPECT_EQ(0, evs_nl_talk(&self->nl, nlh, NULL, NULL));
}

TEST_HARNESS_MAIN
