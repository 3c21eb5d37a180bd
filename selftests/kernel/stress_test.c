// SPDX-License-Identifier: GPL-2.0
/*
 * evstream under stress: connection storms, slow senders, clients that
 * stop reading their ACKs, module unload and namespace deletion under
 * full load, settings changed under load, a store held at its limit.
 *
 * Every test checks that nothing accepted was lost, exactly: a frame is
 * accepted once an ACK covered it, or once the client shut its side
 * down and read to EOF (docs/protocol.md); each such frame must be read
 * back with EVS_CMD_READ exactly once, unchanged.  Frames are told apart
 * by a tag (the client) and the seq at the start of their payload; see
 * stress_util.h.
 *
 * The size of a run:
 *   --scale X    workload sizes (default 1: some minutes in the VM)
 *   --rounds N   module unloads and namespace deletions (default 50)
 *   --quick      scale 0.05 and 3 rounds: the suite in under a minute
 *   --test NAME  only this test (comma-separated, or repeated)
 * EVS_STRESS_SCALE, EVS_STRESS_ROUNDS, EVS_STRESS_QUICK=1 and
 * EVS_STRESS_TESTS give the defaults; the command line wins.
 *
 * Waits are bounded and poll for a state (a gauge, an ACK, EOF); no
 * test sleeps and hopes.  Worker threads count their failures, the
 * test's own thread asserts on them.
 */
#include "stress_util.h"
#include "kselftest_harness.h"

#define TMO		30000	/* ms: one ACK, one EOF, one join */
#define IDLE_TMO	120000	/* ms: the server finishing every client */

FIXTURE(stress) {
	struct evs_nl nl;
};

FIXTURE_SETUP(stress)
{
	if (!evs_test_loaded())
		ASSERT_EQ(0, evs_test_load());
}

FIXTURE_TEARDOWN(stress)
{
	evs_nl_close(&self->nl);
	if (!evs_test_loaded())
		evs_test_load();
}

static int stress_selected(const char *name)
{
	const char *p = stress_opts.only;
	size_t len = strlen(name);

	while (*p) {
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return 1;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return !stress_opts.only[0];
}

/* First thing in a test: --test may leave it out. */
#define STRESS_BEGIN() do { \
	if (!stress_selected(_metadata->name)) \
		SKIP(return, "not selected by --test"); \
} while (0)

/* A namespace of its own for the calling process, with a listener. */
static int stress_ns_listen(struct evs_nl *nl, uint16_t *port)
{
	int err;

	err = evs_test_new_netns();
	if (!err)
		err = evs_nl_open(nl);
	if (!err)
		err = evs_test_listen(nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	if (err <= 0)
		return err ? err : -EPROTO;
	*port = err;
	return 0;
}

/* Writes @val to the sysctl file @path (of this namespace). */
static double stress_secs(uint64_t t0_us)
{
	return (stress_now_us() - t0_us) / 1e6;
}

static uint64_t stress_total_sent(const struct stress_ledger *l)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < l->n; i++)
		n += l->c[i].sent;
	return n;
}

/* Logs what the check found, so a failure says which frame. */
static void stress_report_check(const char *test, const struct stress_check *res)
{
	ksft_print_msg("%s: read back %llu events: %llu foreign, %llu corrupt, %llu twice, %llu never sent, %llu missing, %llu out of order, %llu holes%s%s\n",
		       test, (unsigned long long)res->events,
		       (unsigned long long)res->foreign,
		       (unsigned long long)res->corrupt,
		       (unsigned long long)res->dup,
		       (unsigned long long)res->unsent,
		       (unsigned long long)res->missing,
		       (unsigned long long)res->misorder,
		       (unsigned long long)res->holes,
		       res->first[0] ? "; first: " : "", res->first);
}

/* ---- storm: thousands of connections, half cut mid-frame ---- */

#define STORM_CONNS	4000	/* at scale 1 */
#define STORM_THREADS	16
#define STORM_AT_ONCE	4	/* connections a thread has open at once */
#define STORM_FRAMES	8	/* whole frames a connection sends, at most */
#define STORM_TOPICS	8
#define STORM_LEN_MAX	300

/* How a connection ends: even kinds cleanly, odd ones mid-frame. */
enum {
	STORM_CLEAN_ACK,	/* ACK_REQ frames, SHUT_WR, ACKs to EOF */
	STORM_CUT_AFTER_ACK,	/* frames acked, then part of one, close */
	STORM_CLEAN_NOACK,	/* no ACK_REQ, SHUT_WR, EOF and nothing else */
	STORM_CUT_AT_ONCE,	/* frames and part of one, close at once */
	STORM_KINDS,
};

struct storm {
	uint16_t port;
	struct stress_ledger led;
	unsigned int total;
	unsigned int next;		/* next client to start (atomic) */
	/* What the workers did (atomic). */
	unsigned int connects;
	unsigned int kinds[STORM_KINDS];
	unsigned int cut_in_header;
	unsigned int near_wrap;
	unsigned int empty;
	struct stress_errs errs;
};

static void storm_open(struct storm *s, struct stress_conn *sc,
		       unsigned int i, uint32_t *rnd)
{
	/* Every priority, auto and a mix; some seqs wrap past 2^32. */
	static const uint8_t prios[] = { EVS_PRIO_RT, EVS_PRIO_TX,
					 EVS_PRIO_BATCH, EVS_PRIO_AUTO,
					 STRESS_PRIO_MIX };
	uint32_t seq0 = i % 8 == 5 ? 0xfffffffdu : stress_rand(rnd);
	int fd;

	memset(sc, 0, sizeof(*sc));
	sc->fd = -1;
	if (stress_client_init(&s->led, i, 1 + i % STORM_TOPICS,
			       prios[i / STORM_KINDS % sizeof(prios)],
			       STRESS_TAG_LEN, STORM_LEN_MAX,
			       STORM_FRAMES + 1, seq0) ||
	    stress_conn_init(sc, -1, &s->led.c[i], 8192)) {
		stress_err(&s->errs, "client %u: out of memory", i);
		return;
	}
	if (i % 8 == 5)
		__atomic_add_fetch(&s->near_wrap, 1, __ATOMIC_RELAXED);
	fd = stress_connect(s->port, 0, 0, TMO, 0);
	if (fd < 0) {
		stress_err(&s->errs, "client %u: connect: %s", i,
			   strerror(-fd));
		return;
	}
	sc->fd = fd;
	__atomic_add_fetch(&s->connects, 1, __ATOMIC_RELAXED);
}

/* Writes the frames up to @upto (0: all) in one to three pieces. */
static int storm_write_split(struct stress_conn *sc, size_t upto,
			     uint32_t *rnd)
{
	unsigned int pieces = stress_rand(rnd) % 3;
	int err = 0;

	if (!upto)
		upto = sc->out_len;
	while (!err && pieces-- && upto - sc->out_off > 1)
		err = stress_write_upto(sc, sc->out_off + 1 + stress_rand(rnd) %
					(upto - sc->out_off - 1), 0);
	if (!err)
		err = stress_write_upto(sc, upto, 0);
	return err;
}

/*
 * Queues the last frame of a cut connection and writes all of it but
 * its last 1..size-1 bytes: the cut may fall in the header or the
 * payload.
 */
static int storm_cut(struct storm *s, struct stress_conn *sc, uint32_t *rnd)
{
	size_t start, size, keep;

	if (stress_queue(sc, 1, 0, 0) != 1)
		return -ENOSPC;
	/* Queueing moved what was left to the front: count from the end. */
	size = stress_frame_size(sc->cl, sc->cl->made - 1);
	start = sc->out_len - size;
	keep = 1 + stress_rand(rnd) % (size - 1);
	if (keep < EVS_WIRE_HDR_LEN)
		__atomic_add_fetch(&s->cut_in_header, 1, __ATOMIC_RELAXED);
	return storm_write_split(sc, start + keep, rnd);
}

static void storm_send(struct storm *s, struct stress_conn *sc,
		       uint32_t *rnd)
{
	unsigned int i = sc->cl->tag - s->led.tag0, kind = i % STORM_KINDS;
	unsigned int n = stress_rand(rnd) % (STORM_FRAMES + 1);
	int err;

	if (sc->fd < 0)
		return;
	if (!n)
		__atomic_add_fetch(&s->empty, 1, __ATOMIC_RELAXED);
	if (kind == STORM_CLEAN_ACK)
		stress_queue(sc, n, stress_rand(rnd) % 3, 1);
	else
		stress_queue(sc, n, 0, kind == STORM_CUT_AFTER_ACK);
	err = storm_write_split(sc, 0, rnd);
	if (!err && kind == STORM_CUT_AT_ONCE)
		err = storm_cut(s, sc, rnd);
	if (err)
		stress_err(&s->errs, "client %u: write: %s", i,
			   strerror(-err));
}

static void storm_end(struct storm *s, struct stress_conn *sc, uint32_t *rnd)
{
	struct stress_client *cl = sc->cl;
	unsigned int i = cl->tag - s->led.tag0, kind = i % STORM_KINDS;
	int err = 0;

	if (sc->fd < 0)
		goto out;
	switch (kind) {
	case STORM_CLEAN_ACK:
	case STORM_CLEAN_NOACK:
		err = stress_finish(sc, TMO);
		if (!err && kind == STORM_CLEAN_NOACK && sc->acks)
			stress_err(&s->errs, "client %u: %u ACKs, asked for none",
				   i, sc->acks);
		break;
	case STORM_CUT_AFTER_ACK:
	case STORM_CUT_AT_ONCE:
		if (kind == STORM_CUT_AFTER_ACK && cl->sent)
			err = stress_wait_acked(sc, cl->sent, TMO);
		if (kind == STORM_CUT_AFTER_ACK && !err)
			err = storm_cut(s, sc, rnd);
		/*
		 * Nothing unread (the one ACK asked for was read, if any),
		 * so close() sends a FIN, not a reset: the server gets
		 * every byte, then EOF in the middle of a frame.
		 */
		close(sc->fd);
		sc->fd = -1;
		/*
		 * A FIN is an end of stream like shutdown(): the server
		 * stores every whole frame before it (docs/protocol.md),
		 * so all of them must be there, not only those acked.
		 */
		cl->must = cl->sent;
		break;
	}
	if (err)
		stress_err(&s->errs, "client %u (kind %u): %s", i, kind,
			   strerror(-err));
	else
		__atomic_add_fetch(&s->kinds[kind], 1, __ATOMIC_RELAXED);
	if (sc->bad[0])
		stress_err(&s->errs, "client %u: %s", i, sc->bad);
out:
	stress_conn_close(sc);
}

static void *storm_worker(void *arg)
{
	struct stress_conn sc[STORM_AT_ONCE];
	struct storm *s = arg;
	uint32_t rnd = 0;

	for (;;) {
		unsigned int first, n, k;

		first = __atomic_fetch_add(&s->next, STORM_AT_ONCE,
					   __ATOMIC_RELAXED);
		if (first >= s->total)
			break;
		rnd = stress_mix(first + 1);
		n = s->total - first < STORM_AT_ONCE ? s->total - first :
			STORM_AT_ONCE;
		for (k = 0; k < n; k++)
			storm_open(s, &sc[k], first + k, &rnd);
		for (k = 0; k < n; k++)
			storm_send(s, &sc[k], &rnd);
		for (k = 0; k < n; k++)
			storm_end(s, &sc[k], &rnd);
	}
	return NULL;
}

/*
 * Thousands of connections, STORM_THREADS * STORM_AT_ONCE open at a
 * time, each sending 0..8 frames written in pieces cut anywhere; half
 * end cleanly (SHUT_WR, ACKs read to EOF), half close in the middle of a
 * frame (some right after an ACK, some at once, racing the accept).
 *
 * Asserted, once the gauges show no connection open (polled with a
 * deadline): every connect was accepted, none rejected (the limit is
 * raised above the clients), accepted == closed; truncated == the
 * number of connections cut mid-frame.  That is exact because every cut
 * connection ends with a FIN (it has nothing unread): even a close that
 * beats the accept leaves a socket in the accept queue with its bytes
 * and its FIN, which the server accepts and reads to EOF.  (A reset
 * racing the accept would leave a socket the server cannot even name,
 * and it would count for nothing; no client here resets.)  Every whole
 * frame of every connection is stored exactly once, unchanged, in order
 * within a priority; frames == stored == the whole frames written; no
 * protocol error is counted.
 */
TEST_F(stress, storm)
{
	uint16_t topics[STORM_TOPICS];
	pthread_t th[STORM_THREADS];
	struct stress_check res;
	struct evs_gauges g;
	struct evs_stats st;
	struct storm s = { .errs = STRESS_ERRS_INIT };
	uint64_t t0, sent;
	unsigned int i, cut;
	int err;

	STRESS_BEGIN();
	ASSERT_EQ(0, stress_ns_listen(&self->nl, &s.port));
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_CONN_LIMIT, 1048576));
	s.total = stress_n(STORM_CONNS, 64);
	ASSERT_EQ(0, stress_ledger_init(&s.led, s.total, 0x53000000));

	t0 = stress_now_us();
	for (i = 0; i < STORM_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, storm_worker, &s));
	for (i = 0; i < STORM_THREADS; i++)
		pthread_join(th[i], NULL);
	err = stress_wait_idle(&self->nl, &g, IDLE_TMO);
	ksft_print_msg("storm: %u connections (%u threads, %u at once each) in %.1f s; gauges: %llu conns, %llu in flight\n",
		       s.connects, STORM_THREADS, STORM_AT_ONCE,
		       stress_secs(t0),
		       (unsigned long long)STRESS_GAUGE(&g, EVS_GAUGE_A_CONNS),
		       (unsigned long long)STRESS_GAUGE(&g, EVS_GAUGE_A_INFLIGHT));
	cut = s.kinds[STORM_CUT_AFTER_ACK] + s.kinds[STORM_CUT_AT_ONCE];
	ksft_print_msg("storm: clean %u with ACKs, %u without; cut mid-frame %u after an ACK, %u at once (%u inside the header); %u sent no whole frame, %u seqs wrapped\n",
		       s.kinds[STORM_CLEAN_ACK], s.kinds[STORM_CLEAN_NOACK],
		       s.kinds[STORM_CUT_AFTER_ACK], s.kinds[STORM_CUT_AT_ONCE],
		       s.cut_in_header, s.empty, s.near_wrap);
	ASSERT_EQ(0, s.errs.n) TH_LOG("%u failures, first: %s", s.errs.n,
				      s.errs.first);
	ASSERT_EQ(s.total, s.connects);
	ASSERT_EQ(0, err) TH_LOG("connections still open");

	ASSERT_EQ(0, evs_test_get_stats(&self->nl, &st));
	sent = stress_total_sent(&s.led);
	ksft_print_msg("storm: server: accepted %llu, closed %llu, rejected %llu, truncated %llu, frames %llu, stored %llu (clients wrote %llu whole)\n",
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_CONN_ACCEPTED),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_CONN_CLOSED),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_CONN_REJECTED),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_TRUNCATED),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_FRAMES),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_STORED),
		       (unsigned long long)sent);
	EXPECT_EQ(s.connects, STRESS_CTR(&st, EVS_STATS_A_CONN_ACCEPTED));
	EXPECT_EQ(STRESS_CTR(&st, EVS_STATS_A_CONN_ACCEPTED),
		  STRESS_CTR(&st, EVS_STATS_A_CONN_CLOSED));
	EXPECT_EQ(0, STRESS_CTR(&st, EVS_STATS_A_CONN_REJECTED));
	EXPECT_EQ(cut, STRESS_CTR(&st, EVS_STATS_A_TRUNCATED));
	EXPECT_EQ(sent, STRESS_CTR(&st, EVS_STATS_A_FRAMES));
	EXPECT_EQ(sent, STRESS_CTR(&st, EVS_STATS_A_STORED));
	EXPECT_EQ(0, STRESS_CTR(&st, EVS_STATS_A_EVICTED));
	EXPECT_EQ(0, stress_errors(&st));

	for (i = 0; i < STORM_TOPICS; i++)
		topics[i] = 1 + i;
	ASSERT_EQ(0, stress_check(&self->nl, &s.led, topics, STORM_TOPICS, 0,
				  &res, NULL));
	stress_report_check("storm", &res);
	EXPECT_TRUE(stress_check_clean(&res));
	EXPECT_EQ(sent, res.events);
	stress_ledger_free(&s.led);
}

/* ---- slow senders: one byte per write ---- */

#define SLOW_SENDERS	6
#define SLOW_FRAMES	300	/* per slow sender, at scale 1 */
#define FAST_SENDERS	3
#define FAST_BATCH	256
/*
 * Batches a fast sender sends at most, at any scale: what they send must
 * all fit in the store (the check reads every frame back), and a faster
 * machine would otherwise send more than the VM's memory holds.
 */
#define FAST_MAX_BATCHES 256
#define SLOW_ACK_EVERY	16
#define SLOW_MAX_ACK_US	15000000	/* an ACK later than this: stuck */

struct slow_sender {
	pthread_t thread;
	struct stress_conn sc;
	struct stress_errs *errs;
	unsigned int frames;	/* slow: frames to send */
	int slow;
	int *stop;		/* fast: run until set */
	uint32_t rnd;
	unsigned long writes;
	unsigned int batches;
	uint64_t max_ack_us;	/* longest wait for an ACK */
	/* ACK_REQ frames written whole and not yet acked: index, time. */
	uint32_t req_idx[64];
	uint64_t req_t[64];
	unsigned int req_head, req_tail;
};

/* Times the ACK_REQ frames the latest ACK covers. */
static void slow_note_acks(struct slow_sender *ss)
{
	uint64_t now = stress_now_us();

	while (ss->req_head != ss->req_tail &&
	       ss->sc.cl->acked > ss->req_idx[ss->req_head % 64]) {
		uint64_t us = now - ss->req_t[ss->req_head % 64];

		if (us > ss->max_ack_us)
			ss->max_ack_us = us;
		ss->req_head++;
	}
}

static void slow_run(struct slow_sender *ss)
{
	struct stress_conn *sc = &ss->sc;
	unsigned int i;
	int err = 0;

	for (i = 0; i < ss->frames && !err; i++) {
		uint64_t t = 0;

		stress_queue(sc, 1, SLOW_ACK_EVERY, i == ss->frames - 1);
		while (!err && stress_conn_pending(sc)) {
			/* An ACK may come as soon as the last byte went. */
			if (stress_conn_pending(sc) == 1)
				t = stress_now_us();
			err = stress_write_upto(sc, sc->out_off + 1, 0);
			ss->writes++;
			if (stress_rand(&ss->rnd) % 4 == 0)
				stress_sleep_us(20 + stress_rand(&ss->rnd) % 180);
		}
		if ((i + 1) % SLOW_ACK_EVERY == 0 || i == ss->frames - 1) {
			/* Never more than 64 waiting: the ring is enough. */
			ss->req_idx[ss->req_tail % 64] = i;
			ss->req_t[ss->req_tail % 64] = t;
			ss->req_tail++;
		}
		if (!err)
			err = stress_read(sc, 0);
		slow_note_acks(ss);
		if (ss->req_tail - ss->req_head >= 64)
			err = -EOVERFLOW;
	}
	if (err)
		stress_err(ss->errs, "slow sender: frame %u: %s", i,
			   strerror(-err));
}

static void fast_run(struct slow_sender *ss)
{
	struct stress_conn *sc = &ss->sc;
	int err = 0;

	while (!err && !__atomic_load_n(ss->stop, __ATOMIC_RELAXED) &&
	       ss->batches < FAST_MAX_BATCHES) {
		uint64_t t;

		if (!stress_queue(sc, FAST_BATCH, 0, 1))
			break;
		err = stress_write(sc, 0);
		t = stress_now_us();
		if (!err)
			err = stress_wait_acked(sc, sc->cl->sent, TMO);
		if (stress_now_us() - t > ss->max_ack_us)
			ss->max_ack_us = stress_now_us() - t;
		ss->batches++;
	}
	if (err)
		stress_err(ss->errs, "fast sender, batch %u: %s", ss->batches,
			   strerror(-err));
}

static void *slow_main(void *arg)
{
	struct slow_sender *ss = arg;
	int err;

	if (ss->slow)
		slow_run(ss);
	else
		fast_run(ss);
	err = stress_finish(&ss->sc, TMO);
	slow_note_acks(ss);
	if (err)
		stress_err(ss->errs, "%s sender: end: %s",
			   ss->slow ? "slow" : "fast", strerror(-err));
	if (ss->sc.bad[0])
		stress_err(ss->errs, "%s sender: %s",
			   ss->slow ? "slow" : "fast", ss->sc.bad);
	return NULL;
}

/*
 * SLOW_SENDERS connections write every frame one byte per write(), with
 * short random sleeps, ACK_REQ on every 16th frame and the last; next to
 * them FAST_SENDERS connections send batches of 256 frames and wait for
 * each batch's ACK until the slow ones are done.  Asserted: every ACK a
 * slow sender asked for came within SLOW_MAX_ACK_US of the frame's last
 * byte, every fast batch was acked within TMO (nothing stuck behind the
 * trickle), every frame of every sender is stored exactly once and in
 * order, the last ACKs cover the last frames, the counters agree.
 */
TEST_F(stress, slow_senders)
{
	struct slow_sender ss[SLOW_SENDERS + FAST_SENDERS];
	struct stress_errs errs = STRESS_ERRS_INIT;
	uint16_t topics[SLOW_SENDERS + FAST_SENDERS];
	unsigned int i, n = SLOW_SENDERS + FAST_SENDERS;
	unsigned int frames = stress_n(SLOW_FRAMES, 20);
	uint64_t t0, sent, slow_max = 0, fast_max = 0;
	unsigned long writes = 0;
	unsigned int batches = 0;
	struct stress_ledger led;
	struct stress_check res;
	struct evs_gauges g;
	struct evs_stats st;
	uint16_t port;
	int stop = 0;

	STRESS_BEGIN();
	ASSERT_EQ(0, stress_ns_listen(&self->nl, &port));
	/* Room for everything: the check below reads all of it back. */
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_STORE_LIMIT,
				     512ULL << 20));
	ASSERT_EQ(0, stress_ledger_init(&led, n, 0x534c0000));
	memset(ss, 0, sizeof(ss));
	for (i = 0; i < n; i++) {
		int slow = i < SLOW_SENDERS, fd;

		topics[i] = 30 + i;
		ASSERT_EQ(0, stress_client_init(&led, i, topics[i],
						i % 2 ? STRESS_PRIO_MIX : i % 3,
						STRESS_TAG_LEN, slow ? 48 : 256,
						slow ? frames : 1 << 22,
						i * 0x10000000u));
		fd = stress_connect(port, 0, 0, TMO, 0);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, stress_conn_init(&ss[i].sc, fd, &led.c[i],
					      FAST_BATCH * 300));
		ss[i].slow = slow;
		ss[i].frames = frames;
		ss[i].stop = &stop;
		ss[i].errs = &errs;
		ss[i].rnd = stress_mix(i + 77);
	}
	t0 = stress_now_us();
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, pthread_create(&ss[i].thread, NULL, slow_main,
					    &ss[i]));
	for (i = 0; i < SLOW_SENDERS; i++)
		pthread_join(ss[i].thread, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = SLOW_SENDERS; i < n; i++)
		pthread_join(ss[i].thread, NULL);
	for (i = 0; i < n; i++) {
		if (ss[i].slow && ss[i].max_ack_us > slow_max)
			slow_max = ss[i].max_ack_us;
		if (!ss[i].slow && ss[i].max_ack_us > fast_max)
			fast_max = ss[i].max_ack_us;
		writes += ss[i].slow ? ss[i].writes : 0;
		batches += ss[i].batches;
		stress_conn_close(&ss[i].sc);
	}
	ksft_print_msg("slow_senders: %u slow senders x %u frames in %lu one-byte writes, %u fast senders did %u batches of %u, in %.1f s\n",
		       SLOW_SENDERS, frames, writes, FAST_SENDERS, batches,
		       FAST_BATCH, stress_secs(t0));
	ksft_print_msg("slow_senders: longest wait for an ACK: slow %.3f s, fast batch %.3f s\n",
		       slow_max / 1e6, fast_max / 1e6);
	ASSERT_EQ(0, errs.n) TH_LOG("%u failures, first: %s", errs.n,
				    errs.first);
	EXPECT_GT(SLOW_MAX_ACK_US, slow_max);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(led.c[i].sent, led.c[i].acked);
		/* Slow senders send all; fast ones got to send at all. */
		EXPECT_TRUE(ss[i].slow ? led.c[i].sent == frames :
			    ss[i].batches > 0) {
			TH_LOG("client %u: %llu sent", i,
			       (unsigned long long)led.c[i].sent);
		}
	}
	ASSERT_EQ(0, stress_wait_idle(&self->nl, &g, IDLE_TMO));
	ASSERT_EQ(0, evs_test_get_stats(&self->nl, &st));
	sent = stress_total_sent(&led);
	EXPECT_EQ(sent, STRESS_CTR(&st, EVS_STATS_A_FRAMES));
	EXPECT_EQ(sent, STRESS_CTR(&st, EVS_STATS_A_STORED));
	EXPECT_EQ(0, STRESS_CTR(&st, EVS_STATS_A_EVICTED));
	EXPECT_EQ(0, STRESS_CTR(&st, EVS_STATS_A_TRUNCATED));
	EXPECT_EQ(0, stress_errors(&st));
	EXPECT_EQ(n, STRESS_CTR(&st, EVS_STATS_A_CONN_CLOSED));
	ASSERT_EQ(0, stress_check(&self->nl, &led, topics, n, 0, &res, NULL));
	stress_report_check("slow_senders", &res);
	EXPECT_TRUE(stress_check_clean(&res));
	EXPECT_EQ(sent, res.events);
	stress_ledger_free(&led);
}

/* ---- clients that stop reading their ACKs ---- */

#define STUCK_CLIENTS	4
#define STUCK_ENOUGH	(STUCK_CLIENTS / 2)	/* see stuck_fill() */
#define STUCK_QUIET_MS	2000	/* no progress this long: stuck */
#define STUCK_GRACE_MS	60000	/* see stuck_fill() */
#define STUCK_CAP	400000	/* frames a stuck client may send */
#define BYSTANDER_FRAMES 2000	/* at scale 1 */

struct stuck {
	struct stress_conn sc;
	uint16_t port;		/* its local port: how CONN_GET names it */
	unsigned int eagain;	/* send() said EAGAIN */
	/* The server's side, as CONN_GET showed it last. */
	uint32_t srv_acked, srv_inflight;
	uint64_t srv_events;
	uint64_t srv_since_ms;	/* it has looked like that since */
	int srv_quiet;		/* paused, acks pending, nothing moving */
	uint64_t stuck_ms;
	int stuck;
	int shut;
};

/*
 * Whether the server has stopped on @sk: it does not read the client
 * (paused), has events it has not acked (in flight), and neither the
 * events it took, nor its last ACK, nor its count in flight have moved
 * for STUCK_QUIET_MS, while the client's send() says EAGAIN.  A send
 * buffer full of ACKs leaves it so: the tx work waits for write space,
 * so nothing in flight is acked, so reading stays paused.
 */
static void stuck_look(struct stuck *sk, const struct stress_conns *cs,
		       uint64_t now)
{
	const struct stress_conn_info *ci = stress_find_conn(cs, sk->port);

	if (!ci || !ci->paused || !ci->inflight || !sk->eagain) {
		sk->srv_quiet = 0;
		return;
	}
	if (!sk->srv_quiet || ci->acked != sk->srv_acked ||
	    ci->inflight != sk->srv_inflight || ci->events != sk->srv_events) {
		sk->srv_quiet = 1;
		sk->srv_acked = ci->acked;
		sk->srv_inflight = ci->inflight;
		sk->srv_events = ci->events;
		sk->srv_since_ms = now;
	}
}

/*
 * How long the stuck clients may take to get stuck, or to finish once
 * they read: a hang detector, not a speed goal.  On the KASAN kernel
 * under emulation, with the host busy, a quick run's fill took 60 s in
 * ack_nonreaders and over 132 s in ack_nonreaders_leave.
 */
#define STUCK_MS	(360000 + 240000 * stress_opts.scale)

/*
 * The stuck clients send ACK_REQ frames (8-byte payloads, one per
 * send(): the most ACKs per byte) from non-blocking sockets with small
 * buffers and never read, until send() says EAGAIN and the server has
 * stopped on them (stuck_look()).
 *
 * Not every one need get there: on the debug kernels one in four kept
 * being served a few ACKs a second for minutes (12,717 frames against
 * the others' 2,100-2,800), its window reopened a crack each time TCP
 * collapsed its receive queue.  So once STUCK_ENOUGH are stuck, the
 * rest get STUCK_GRACE_MS more; one still served then is no longer fed,
 * and the callers' checks hold for it too (it is one more connection
 * that neither reads nor sends).  Returns the number stuck, or -errno:
 * -ETIMEDOUT when that has not come to pass after @ms.
 */
static int stuck_fill(struct evs_nl *nl, struct stuck *sk, unsigned int n,
		      int ms)
{
	uint64_t t0 = stress_now_ms(), now = t0, enough_ms = 0;
	unsigned int nstuck = 0, i;
	struct stress_conns cs;

	while (nstuck < n &&
	       (!enough_ms || now - enough_ms < STUCK_GRACE_MS)) {
		struct pollfd pfd[STUCK_CLIENTS];
		int err;

		if (now - t0 > (uint64_t)ms) {
			/* What each looked like: for whoever reads the log. */
			for (i = 0; i < n; i++)
				ksft_print_msg("%s: client %u: %s, %u EAGAIN, %u frames sent; server: %s, acked %u, %u in flight, %llu events\n",
					       __func__, i,
					       sk[i].stuck ? "stuck" : "not stuck",
					       sk[i].eagain, sk[i].sc.cl->sent,
					       sk[i].srv_quiet ? "quiet" : "moving",
					       sk[i].srv_acked, sk[i].srv_inflight,
					       (unsigned long long)sk[i].srv_events);
			return -ETIMEDOUT;
		}
		for (i = 0; i < n; i++) {
			struct stress_conn *sc = &sk[i].sc;

			pfd[i].fd = sk[i].stuck ? -1 : sc->fd;
			pfd[i].events = POLLOUT;
			if (sk[i].stuck)
				continue;
			if (!stress_conn_pending(sc) &&
			    !stress_queue(sc, 512, 1, 0))
				return -ENOSPC;	/* STUCK_CAP frames: never stuck */
			do
				err = stress_write_upto(sc,
							sc->ends[sc->ends_done],
							1);
			while (!err && stress_conn_pending(sc));
			if (err == -EAGAIN)
				sk[i].eagain++;
			else if (err)
				return err;
		}
		if (poll(pfd, n, 250) < 0)
			return -errno;
		err = stress_get_conns(nl, &cs);
		if (err)
			return err;
		now = stress_now_ms();
		for (i = 0; i < n; i++) {
			if (sk[i].stuck)
				continue;
			if (pfd[i].revents & (POLLERR | POLLHUP))
				return -ECONNRESET;
			stuck_look(&sk[i], &cs, now);
			if (sk[i].srv_quiet &&
			    now - sk[i].srv_since_ms >= STUCK_QUIET_MS) {
				sk[i].stuck = 1;
				sk[i].stuck_ms = now - t0;
				nstuck++;
			}
		}
		if (nstuck >= STUCK_ENOUGH && !enough_ms)
			enough_ms = now;
	}
	for (i = 0; i < n; i++) {
		if (sk[i].stuck)
			continue;
		ksft_print_msg("%s: client %u still served after %u frames, %.1f s after %u of %u were stuck: no longer fed\n",
			       __func__, i, sk[i].sc.cl->sent,
			       (now - enough_ms) / 1e3, nstuck, n);
		sk[i].stuck_ms = now - t0;
	}
	return nstuck;
}

/*
 * Connects the STUCK_CLIENTS non-readers, with small non-blocking
 * sockets, as clients 0.. of @led.  0 or -errno.
 */
static int stuck_connect(struct stuck *sk, struct stress_ledger *led,
			 uint16_t port)
{
	unsigned int i;
	int fd, err;

	for (i = 0; i < STUCK_CLIENTS; i++) {
		fd = stress_connect(port, 2048, 4096, 0, 0);
		if (fd < 0)
			return fd;
		if (fcntl(fd, F_SETFL, O_NONBLOCK))
			return -errno;
		err = stress_conn_init(&sk[i].sc, fd, &led->c[i], 16384);
		if (err)
			return err;
		sk[i].port = stress_local_port(fd);
		if (!sk[i].port)
			return -EADDRNOTAVAIL;
	}
	return 0;
}

/* Reads the ACKs at last, writes the rest, SHUT_WR, EOF. */
static int stuck_drain(struct stuck *sk, unsigned int n, int ms)
{
	uint64_t t0 = stress_now_ms();
	unsigned int neof = 0, i;
	int big = 1 << 20;

	/* A reader now, and not a slow one: room for a full window. */
	for (i = 0; i < n; i++)
		setsockopt(sk[i].sc.fd, SOL_SOCKET, SO_RCVBUF, &big,
			   sizeof(big));

	while (neof < n) {
		struct pollfd pfd[STUCK_CLIENTS];

		if (stress_now_ms() - t0 > (uint64_t)ms)
			return -ETIMEDOUT;
		for (i = 0; i < n; i++) {
			struct stress_conn *sc = &sk[i].sc;

			pfd[i].fd = sc->eof ? -1 : sc->fd;
			pfd[i].events = POLLIN |
				(stress_conn_pending(sc) ? POLLOUT : 0);
		}
		if (poll(pfd, n, 500) < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			struct stress_conn *sc = &sk[i].sc;
			int err = 0;

			if (sc->eof)
				continue;
			if (pfd[i].revents & POLLOUT)
				err = stress_write(sc, 1);
			if (err && err != -EAGAIN)
				return err;
			if (!stress_conn_pending(sc) && !sk[i].shut) {
				if (shutdown(sc->fd, SHUT_WR))
					return -errno;
				sk[i].shut = 1;
			}
			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) {
				err = stress_read(sc, 0);
				if (err)
					return err;
			}
			if (sc->eof) {
				if (!sk[i].shut)
					return -ECONNRESET;
				sc->cl->must = sc->cl->sent;
				neof++;
			}
		}
	}
	return 0;
}

/*
 * A namespace of its own with a listener, small socket buffers, and
 * STUCK_CLIENTS non-readers stuck in it (their topics from @topic0, a
 * bystander's after them); 0 or -errno.
 */
static int stuck_setup(struct evs_nl *nl, struct stuck *sk,
		       struct stress_ledger *led, uint16_t *port,
		       uint16_t topic0, uint32_t tag)
{
	unsigned int i;
	int err;

	err = stress_ns_listen(nl, port);
	if (!err)
		err = evs_test_sysctl("/proc/sys/net/ipv4/tcp_wmem",
				      "4096 16384 65536");
	if (!err)
		err = evs_test_sysctl("/proc/sys/net/ipv4/tcp_rmem",
				      "4096 65536 262144");
	if (!err)
		err = stress_ledger_init(led, STUCK_CLIENTS + 1, tag);
	memset(sk, 0, sizeof(*sk) * STUCK_CLIENTS);
	for (i = 0; !err && i <= STUCK_CLIENTS; i++)
		err = stress_client_init(led, i, topic0 + i, i % 3,
					 STRESS_TAG_LEN, STRESS_TAG_LEN,
					 STUCK_CAP, 0x7fffff00u * i);
	if (!err)
		err = stuck_connect(sk, led, *port);
	if (!err)
		err = stuck_fill(nl, sk, STUCK_CLIENTS, STUCK_MS);
	return err < 0 ? err : 0;
}

/* How many of the stuck clients the server still has after @ms. */
static int stuck_wait_gone(struct evs_nl *nl, struct stuck *sk, int ms)
{
	uint64_t end = stress_now_ms() + ms;
	struct stress_conns cs;
	unsigned int i, left;
	int err;

	do {
		err = stress_get_conns(nl, &cs);
		if (err)
			return err;
		for (i = 0, left = 0; i < STUCK_CLIENTS; i++)
			left += !!stress_find_conn(&cs, sk[i].port);
		if (left)
			poll(NULL, 0, 50);
	} while (left && stress_now_ms() < end);
	return left;
}

/* A new client on @port gets 64 frames acked; 0 or -errno. */
static int stuck_newcomer(uint16_t port, struct stress_client *cl)
{
	struct stress_conn by;
	int fd, err;

	fd = stress_connect(port, 0, 0, TMO, 0);
	if (fd < 0)
		return fd;
	err = stress_conn_init(&by, fd, cl, 64 * 220);
	if (!err && stress_queue(&by, 64, 50, 1) != 64)
		err = -EMSGSIZE;
	if (!err)
		err = stress_write(&by, 0);
	if (!err)
		err = stress_wait_acked(&by, 64, TMO);
	if (!err)
		err = stress_finish(&by, TMO);
	stress_conn_close(&by);
	return err;
}

/*
 * STUCK_CLIENTS non-readers get stuck as in ack_nonreaders, and then
 * leave without reading: half with a reset (close with ACKs unread),
 * half with a shutdown and then a close.  Each connection must go
 * within TMO, whatever its ACK or in-flight state (once, nothing sent
 * the stuck ACK again after the reset, and such a connection stayed for
 * good, holding its slot of conn_limit); then a new client is served.
 */
TEST_F(stress, ack_nonreaders_leave)
{
	struct stuck sk[STUCK_CLIENTS];
	struct stress_ledger led;
	uint64_t closed;
	unsigned int i;
	uint16_t port;
	int left;

	STRESS_BEGIN();
	ASSERT_EQ(0, stuck_setup(&self->nl, sk, &led, &port, 40, 0x4c454100));
	for (i = 0; i < STUCK_CLIENTS; i++) {
		if (i & 1)
			shutdown(sk[i].sc.fd, SHUT_WR);
		stress_conn_close(&sk[i].sc);
	}
	left = stuck_wait_gone(&self->nl, sk, TMO);
	EXPECT_EQ(0, left) TH_LOG("%d of %u stuck connections stayed", left,
				  STUCK_CLIENTS);
	EXPECT_EQ(0, evs_test_wait_counter(&self->nl, EVS_STATS_A_CONN_CLOSED,
					   STUCK_CLIENTS, TMO, &closed));
	EXPECT_EQ(0, stuck_newcomer(port, &led.c[STUCK_CLIENTS]));
	stress_ledger_free(&led);
}

/*
 * STUCK_CLIENTS non-readers get stuck and stay, neither reading nor
 * sending: with an idle timeout they are closed as idle (once, a
 * connection paused with events in flight never counted as idle, so
 * they stayed for good whatever the timeout), and a new client is
 * served.  The idle timeout is set once they are stuck, so that it
 * cannot close them while they fill.
 */
TEST_F(stress, ack_nonreaders_closed_when_idle)
{
	struct stuck sk[STUCK_CLIENTS];
	struct stress_ledger led;
	unsigned int i;
	uint16_t port;
	uint64_t t0;
	int left;

	STRESS_BEGIN();
	ASSERT_EQ(0, stuck_setup(&self->nl, sk, &led, &port, 50, 0x49444c00));
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_IDLE_TIMEOUT, 2));
	t0 = stress_now_ms();
	left = stuck_wait_gone(&self->nl, sk, TMO);
	ksft_print_msg("ack_nonreaders_closed_when_idle: %d of %u left %.1f s after the idle timeout of 2 s was set\n",
		       left, STUCK_CLIENTS, (stress_now_ms() - t0) / 1e3);
	EXPECT_EQ(0, left) TH_LOG("%d of %u stuck connections stayed", left,
				  STUCK_CLIENTS);
	for (i = 0; i < STUCK_CLIENTS; i++)
		stress_conn_close(&sk[i].sc);
	EXPECT_EQ(0, stuck_newcomer(port, &led.c[STUCK_CLIENTS]));
	stress_ledger_free(&led);
}

/*
 * STUCK_CLIENTS connections send ACK_REQ frames without reading until
 * they are stuck (see stuck_fill()).  While they are: the paused gauge
 * counts them; a connection opened before and one opened after the
 * stall still get BYSTANDER_FRAMES frames stored and acked within TMO
 * (the server's consumers and its other connections do not wait on a
 * full socket) and read back exactly; the stuck ones are still open and
 * still stuck.  Then they read: every frame they wrote is acked (the
 * last ACK covers the last frame), EOF follows their SHUT_WR, every
 * frame is stored exactly once; no frame evicted, no error counted.
 */
TEST_F(stress, ack_nonreaders)
{
	uint16_t topics[STUCK_CLIENTS + 2];
	unsigned int nby = stress_n(BYSTANDER_FRAMES, 200);
	struct stuck sk[STUCK_CLIENTS];
	struct stress_conn by[2];
	struct stress_ledger led;
	struct stress_check res;
	struct evs_gauges g;
	struct evs_stats st;
	unsigned int i;
	uint64_t t0, sent;
	int err, fd, nstuck;
	uint16_t port;

	STRESS_BEGIN();
	ASSERT_EQ(0, stress_ns_listen(&self->nl, &port));
	/*
	 * On loopback TCP sizes a new socket's send buffer for ten 64 KiB
	 * segments: megabytes, some 10^5 ACKs to fill, and ten times as
	 * many frames to store.  A 64 KiB cap (this namespace only) fills
	 * the same way, sooner.  The receive side is capped so that what
	 * the paused server leaves unread stays small too.
	 */
	ASSERT_EQ(0, evs_test_sysctl("/proc/sys/net/ipv4/tcp_wmem",
				     "4096 16384 65536"));
	ASSERT_EQ(0, evs_test_sysctl("/proc/sys/net/ipv4/tcp_rmem",
				     "4096 65536 262144"));
	/* Room for everything: the check below needs all of it. */
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_STORE_LIMIT,
				     512ULL << 20));
	ASSERT_EQ(0, stress_ledger_init(&led, STUCK_CLIENTS + 2, 0x41430000));
	memset(sk, 0, sizeof(sk));
	for (i = 0; i < STUCK_CLIENTS + 2; i++) {
		topics[i] = 20 + i;
		ASSERT_EQ(0, stress_client_init(&led, i, topics[i],
						i < STUCK_CLIENTS ? i % 3 :
						STRESS_PRIO_MIX,
						STRESS_TAG_LEN,
						i < STUCK_CLIENTS ?
						STRESS_TAG_LEN : 200,
						i < STUCK_CLIENTS ? STUCK_CAP :
						nby, 0x7fffff00u * i));
	}
	ASSERT_EQ(0, stuck_connect(sk, &led, port));
	/* The early bystander connects before the stall, idles through it. */
	fd = stress_connect(port, 0, 0, TMO, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, stress_conn_init(&by[0], fd, &led.c[STUCK_CLIENTS],
				      nby * 220));

	t0 = stress_now_us();
	nstuck = stuck_fill(&self->nl, sk, STUCK_CLIENTS, STUCK_MS);
	for (i = 0; i < STUCK_CLIENTS; i++) {
		int unread = 0;

		ioctl(sk[i].sc.fd, FIONREAD, &unread);
		ksft_print_msg("ack_nonreaders: client %u: %u frames written before %s at %.1f s, %u EAGAIN, %d bytes of ACKs unread\n",
			       i, led.c[i].sent,
			       sk[i].stuck ? "stuck" : "no longer fed",
			       sk[i].stuck_ms / 1e3, sk[i].eagain, unread);
	}
	ASSERT_LE(0, nstuck) TH_LOG("never stuck: %s", strerror(-nstuck));
	ASSERT_EQ(0, evs_test_get_gauges(&self->nl, &g));
	ksft_print_msg("ack_nonreaders: %d of %u stuck after %.1f s; gauges: %llu paused, %llu in flight\n",
		       nstuck, STUCK_CLIENTS, stress_secs(t0),
		       (unsigned long long)STRESS_GAUGE(&g, EVS_GAUGE_A_PAUSED),
		       (unsigned long long)STRESS_GAUGE(&g, EVS_GAUGE_A_INFLIGHT));
	/* Not reading them is all the server can do about them. */
	EXPECT_LE(nstuck, STRESS_GAUGE(&g, EVS_GAUGE_A_PAUSED));

	/* Meanwhile other connections are served, old and new. */
	fd = stress_connect(port, 0, 0, TMO, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, stress_conn_init(&by[1], fd, &led.c[STUCK_CLIENTS + 1],
				      nby * 220));
	for (i = 0; i < 2; i++) {
		uint64_t t = stress_now_us();

		ASSERT_EQ(nby, stress_queue(&by[i], nby, 50, 1));
		ASSERT_EQ(0, stress_write(&by[i], 0));
		ASSERT_EQ(0, stress_wait_acked(&by[i], nby, TMO))
			TH_LOG("%s bystander not acked while others are stuck",
			       i ? "new" : "old");
		ksft_print_msg("ack_nonreaders: %s bystander: %u frames acked in %.2f s while the others are stuck\n",
			       i ? "new" : "old", nby, stress_secs(t));
		ASSERT_EQ(0, stress_finish(&by[i], TMO));
		EXPECT_STREQ("", by[i].bad);
		stress_conn_close(&by[i]);
	}
	ASSERT_EQ(0, stress_check(&self->nl, &led, topics + STUCK_CLIENTS, 2,
				  0, &res, NULL));
	stress_report_check("ack_nonreaders (bystanders)", &res);
	EXPECT_TRUE(stress_check_clean(&res));
	EXPECT_EQ(2 * nby, res.events);

	/*
	 * The stuck ones are still connected: the server does not give up
	 * on a slow reader.  Whether each is still stuck is TCP's business
	 * (the peer's window may open a crack when its receive queue is
	 * collapsed, and a few ACKs drain): reported, not asserted.
	 */
	{
		struct stress_conns cs;
		unsigned int still = 0;

		ASSERT_EQ(0, stress_get_conns(&self->nl, &cs));
		for (i = 0; i < STUCK_CLIENTS; i++) {
			const struct stress_conn_info *ci;
			struct pollfd pfd = { .fd = sk[i].sc.fd };

			ci = stress_find_conn(&cs, sk[i].port);
			EXPECT_NE(NULL, ci) TH_LOG("client %u closed", i);
			EXPECT_EQ(0, poll(&pfd, 1, 0))
				TH_LOG("client %u: revents %#x", i, pfd.revents);
			still += ci && ci->paused &&
				 ci->events == sk[i].srv_events;
		}
		ksft_print_msg("ack_nonreaders: %u of %u still stuck after the bystanders\n",
			       still, STUCK_CLIENTS);
	}

	t0 = stress_now_us();
	err = stuck_drain(sk, STUCK_CLIENTS, STUCK_MS);
	ksft_print_msg("ack_nonreaders: the stuck clients read and finished in %.1f s\n",
		       stress_secs(t0));
	ASSERT_EQ(0, err) TH_LOG("%s", strerror(-err));
	for (i = 0; i < STUCK_CLIENTS; i++) {
		EXPECT_STREQ("", sk[i].sc.bad);
		EXPECT_EQ(led.c[i].sent, led.c[i].acked);
		EXPECT_LT(0, sk[i].eagain);
		stress_conn_close(&sk[i].sc);
	}
	ASSERT_EQ(0, stress_wait_idle(&self->nl, &g, IDLE_TMO));
	ASSERT_EQ(0, evs_test_get_stats(&self->nl, &st));
	sent = stress_total_sent(&led);
	EXPECT_EQ(sent, STRESS_CTR(&st, EVS_STATS_A_FRAMES));
	EXPECT_EQ(sent, STRESS_CTR(&st, EVS_STATS_A_STORED));
	EXPECT_EQ(0, STRESS_CTR(&st, EVS_STATS_A_EVICTED));
	EXPECT_EQ(0, stress_errors(&st));
	ASSERT_EQ(0, stress_check(&self->nl, &led, topics, STUCK_CLIENTS + 2, 0,
				  &res, NULL));
	stress_report_check("ack_nonreaders", &res);
	EXPECT_TRUE(stress_check_clean(&res));
	EXPECT_EQ(sent, res.events);
	stress_ledger_free(&led);
}

/* ---- settings changed under load ---- */

#define CHURN_SENDERS	6
#define CHURN_FRAMES	8000	/* per sender, at scale 1 */
#define CHURN_BATCH	64
#define CHURN_WINDOW	4	/* batches in flight before waiting */
#define CHURN_LEN_MAX	1024

struct churn_sender {
	pthread_t thread;
	struct stress_conn sc;
	struct stress_errs *errs;
	unsigned int frames;
};

static void *churn_sender_main(void *arg)
{
	struct churn_sender *cs = arg;
	struct stress_conn *sc = &cs->sc;
	uint32_t ends[CHURN_WINDOW];
	unsigned int b = 0;
	int err = 0;

	while (!err && sc->cl->made < cs->frames) {
		stress_queue(sc, CHURN_BATCH, 0, 1);
		ends[b % CHURN_WINDOW] = sc->cl->made;
		err = stress_write(sc, 0);
		b++;
		if (!err && b >= CHURN_WINDOW)
			err = stress_wait_acked(sc, ends[b % CHURN_WINDOW],
						4 * TMO);
	}
	if (!err)
		err = stress_finish(sc, 4 * TMO);
	if (err)
		stress_err(cs->errs, "sender of topic %u, batch %u: %s",
			   sc->cl->topic, b, strerror(-err));
	if (sc->bad[0])
		stress_err(cs->errs, "sender of topic %u: %s", sc->cl->topic,
			   sc->bad);
	return NULL;
}

/* Runs @n senders to their end: 0, or the error starting one. */
static int churn_senders_run(struct churn_sender *cs, unsigned int n)
{
	unsigned int i, started;
	int err = 0;

	for (started = 0; started < n; started++) {
		err = pthread_create(&cs[started].thread, NULL,
				     churn_sender_main, &cs[started]);
		if (err)
			break;
	}
	for (i = 0; i < started; i++)
		pthread_join(cs[i].thread, NULL);
	return err;
}

enum {
	CH_POOL, CH_PRESSURE, CH_BATCH, CH_PAYLOAD, CH_STORE, CH_ACK_DELAY,
	CH_IDLE, CH_ALL, CH_NR
};

static const char * const churn_names[CH_NR] = {
	"pool-limit", "pressure", "batch", "max-payload", "store-limit",
	"ack-delay", "idle-timeout", "all at once",
};

struct churn {
	pthread_t thread;
	uint16_t port;
	int stop;		/* atomic */
	unsigned int ops[CH_NR];
	unsigned int gets;	/* CONFIG_GETs compared with what was set */
	uint64_t cfg[EVS_CFG_A_MAX + 1];	/* what was set */
	struct stress_errs *errs;
};

/* A new value for one setting; none of them can make a frame an error. */
static uint64_t churn_value(struct churn *c, int attr, uint32_t *rnd)
{
	static const uint32_t pools[] = { 1, 2, 8, 64, 1024, 65536 };
	uint32_t r = stress_rand(rnd);

	switch (attr) {
	case EVS_CFG_A_POOL_LIMIT:
		return r % 2 ? pools[r / 2 % 6] : 1 + r / 2 % 100000;
	case EVS_CFG_A_PRESSURE:
		return 1 + r % 100;
	case EVS_CFG_A_BATCH:
		return r % 16 ? 1 + r / 16 % 512 : 65536;
	case EVS_CFG_A_MAX_PAYLOAD:
		/* Raised only, from the senders' largest payload up. */
		return c->cfg[attr] + 1 + r % 128 > EVS_WIRE_PAYLOAD_CAP ?
			EVS_WIRE_PAYLOAD_CAP : c->cfg[attr] + 1 + r % 128;
	case EVS_CFG_A_STORE_LIMIT:
		/* Always above what this test stores: nothing evicted. */
		return (256ULL << 20) + (uint64_t)r % (768ULL << 20);
	case EVS_CFG_A_ACK_DELAY:
		return r % 3 ? r / 3 % 2000 : r / 3 % 20000;
	default:	/* EVS_CFG_A_IDLE_TIMEOUT: long, never reached */
		return 3600 + r % (86400 - 3600);
	}
}

static void *churn_main(void *arg)
{
	static const int attrs[CH_ALL] = {
		EVS_CFG_A_POOL_LIMIT, EVS_CFG_A_PRESSURE, EVS_CFG_A_BATCH,
		EVS_CFG_A_MAX_PAYLOAD, EVS_CFG_A_STORE_LIMIT,
		EVS_CFG_A_ACK_DELAY, EVS_CFG_A_IDLE_TIMEOUT,
	};
	struct churn *c = arg;
	uint64_t vals[CH_ALL], got[EVS_CFG_A_MAX + 1];
	uint32_t rnd = 12345;
	struct evs_nl nl;
	unsigned int k, n = 0;
	int err;

	if (evs_nl_open(&nl)) {
		stress_err(c->errs, "config thread: no netlink socket");
		return NULL;
	}
	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		int op = stress_rand(&rnd) % CH_NR;

		for (k = 0; k < CH_ALL; k++)
			vals[k] = op == CH_ALL || op == (int)k ?
				churn_value(c, attrs[k], &rnd) :
				c->cfg[attrs[k]];
		if (op == CH_ALL)
			err = stress_config_many(&nl, attrs, vals, CH_ALL);
		else
			err = stress_config_many(&nl, &attrs[op], &vals[op], 1);
		if (err) {
			stress_err(c->errs, "config set %s: %s (%s)",
				   churn_names[op], strerror(-err), nl.errmsg);
			break;
		}
		for (k = 0; k < CH_ALL; k++)
			c->cfg[attrs[k]] = vals[k];
		c->ops[op]++;
		if (++n % 16 == 0) {
			err = stress_config_get(&nl, got);
			for (k = 0; !err && k < CH_ALL; k++)
				if (got[attrs[k]] != c->cfg[attrs[k]])
					err = -EPROTO;
			if (err) {
				stress_err(c->errs, "config get after set: %s",
					   strerror(-err));
				break;
			}
			c->gets++;
		}
		stress_sleep_us(stress_rand(&rnd) % 1000);
	}
	evs_nl_close(&nl);
	return NULL;
}

/*
 * CHURN_SENDERS connections send CHURN_FRAMES frames each (payloads up
 * to 1 KiB, every priority and auto), ACK_REQ closing every batch of 64,
 * at most four batches unacked, while another thread changes pool-limit
 * (down to 1), pressure, batch, max-payload (raised only, starting at
 * the senders' largest payload), store-limit (above what the test
 * stores), ack-delay and idle-timeout (hours) one at a time and all at
 * once, as fast as it can, comparing CONFIG_GET with what it set every
 * 16 changes.  Asserted: every change succeeds and reads back; every
 * frame is acked, stored exactly once and in order; no error counted,
 * nothing evicted, frames == stored.
 */
TEST_F(stress, config_churn)
{
	struct churn_sender cs[CHURN_SENDERS];
	struct stress_errs errs = STRESS_ERRS_INIT;
	unsigned int frames = stress_n(CHURN_FRAMES, 1000);
	struct churn c = { .errs = &errs };
	uint16_t topics[CHURN_SENDERS];
	struct stress_ledger led;
	struct stress_check res;
	struct evs_gauges g;
	struct evs_stats st;
	unsigned int i, ops = 0;
	uint64_t t0, sent;
	char line[256];
	size_t off = 0;
	uint16_t port;
	int fd;

	STRESS_BEGIN();
	ASSERT_EQ(0, stress_ns_listen(&self->nl, &port));
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_MAX_PAYLOAD,
				     CHURN_LEN_MAX));
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_STORE_LIMIT,
				     256ULL << 20));
	ASSERT_EQ(0, stress_config_get(&self->nl, c.cfg));
	ASSERT_EQ(0, stress_ledger_init(&led, CHURN_SENDERS, 0x43480000));
	for (i = 0; i < CHURN_SENDERS; i++) {
		topics[i] = 40 + i;
		ASSERT_EQ(0, stress_client_init(&led, i, topics[i],
						i % 2 ? STRESS_PRIO_MIX :
						i % 3, STRESS_TAG_LEN,
						CHURN_LEN_MAX, frames, i));
		fd = stress_connect(port, 0, 0, 4 * TMO, 0);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, stress_conn_init(&cs[i].sc, fd, &led.c[i],
					      CHURN_BATCH * (CHURN_LEN_MAX + 16)));
		cs[i].errs = &errs;
		cs[i].frames = frames;
	}
	t0 = stress_now_us();
	ASSERT_EQ(0, pthread_create(&c.thread, NULL, churn_main, &c));
	ASSERT_EQ(0, churn_senders_run(cs, CHURN_SENDERS));
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELAXED);
	pthread_join(c.thread, NULL);
	for (i = 0; i < CH_NR; i++) {
		ops += c.ops[i];
		off += snprintf(line + off, sizeof(line) - off, "%s%s %u",
				i ? ", " : "", churn_names[i], c.ops[i]);
	}
	ksft_print_msg("config_churn: %u senders x %u frames in %.1f s under %u config changes (%u read back): %s\n",
		       CHURN_SENDERS, frames, stress_secs(t0), ops, c.gets,
		       line);
	ksft_print_msg("config_churn: max-payload ended at %llu\n",
		       (unsigned long long)c.cfg[EVS_CFG_A_MAX_PAYLOAD]);
	ASSERT_EQ(0, errs.n) TH_LOG("%u failures, first: %s", errs.n,
				    errs.first);
	EXPECT_LT(0, ops);
	for (i = 0; i < CHURN_SENDERS; i++) {
		EXPECT_EQ(frames, led.c[i].sent);
		EXPECT_EQ(frames, led.c[i].acked);
		stress_conn_close(&cs[i].sc);
	}
	ASSERT_EQ(0, stress_wait_idle(&self->nl, &g, IDLE_TMO));
	ASSERT_EQ(0, evs_test_get_stats(&self->nl, &st));
	sent = stress_total_sent(&led);
	ksft_print_msg("config_churn: server: %llu frames, %llu stored, %llu pauses, %llu resumes, %llu pool fails, %llu acks\n",
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_FRAMES),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_STORED),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_PAUSES),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_RESUMES),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_POOL_FAILS),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_ACKS));
	EXPECT_EQ(sent, STRESS_CTR(&st, EVS_STATS_A_FRAMES));
	EXPECT_EQ(sent, STRESS_CTR(&st, EVS_STATS_A_STORED));
	EXPECT_EQ(0, STRESS_CTR(&st, EVS_STATS_A_EVICTED));
	EXPECT_EQ(0, stress_errors(&st));
	EXPECT_EQ(CHURN_SENDERS, STRESS_CTR(&st, EVS_STATS_A_CONN_CLOSED));
	ASSERT_EQ(0, stress_check(&self->nl, &led, topics, CHURN_SENDERS, 0,
				  &res, NULL));
	stress_report_check("config_churn", &res);
	EXPECT_TRUE(stress_check_clean(&res));
	EXPECT_EQ(sent, res.events);
	stress_ledger_free(&led);
}

/* ---- a store at its byte limit ---- */

#define LIMIT_BYTES	(1u << 20)
#define LIMIT_SENDERS	8
#define LIMIT_TOPICS	4
#define LIMIT_FRAMES	5000	/* per sender, at scale 1 */
#define LIMIT_LEN_MAX	1024
/*
 * What one event may cost the store at most (a payload up to 1952 bytes
 * and its header share one 2048-byte object, docs/security.md; with
 * room to spare), and a chunk of them: the most a consumer adds before
 * it evicts.
 */
#define LIMIT_EV_COST	(2 * LIMIT_LEN_MAX + 512)
#define LIMIT_CHUNK	(32 * LIMIT_EV_COST)

struct limit_watch {
	pthread_t sampler, reader;
	int stop;			/* atomic */
	struct stress_ledger *led;
	struct stress_errs *errs;
	/* Sampler. */
	unsigned int samples, over;
	uint64_t max_bytes, max_events;
	/* Reader. */
	unsigned int reads, gave_up;
	uint64_t read_events;
};

static void *limit_sampler(void *arg)
{
	struct limit_watch *w = arg;
	struct evs_gauges g;
	struct evs_nl nl;

	if (evs_nl_open(&nl)) {
		stress_err(w->errs, "sampler: no netlink socket");
		return NULL;
	}
	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		uint64_t b;

		if (evs_test_get_gauges(&nl, &g)) {
			stress_err(w->errs, "sampler: GET_STATS failed");
			break;
		}
		b = STRESS_GAUGE(&g, EVS_GAUGE_A_STORE_BYTES);
		w->samples++;
		if (b > w->max_bytes)
			w->max_bytes = b;
		if (STRESS_GAUGE(&g, EVS_GAUGE_A_STORE_EVENTS) > w->max_events)
			w->max_events = STRESS_GAUGE(&g, EVS_GAUGE_A_STORE_EVENTS);
		if (b > LIMIT_BYTES + LIMIT_CHUNK)
			w->over++;
		stress_sleep_us(2000);
	}
	evs_nl_close(&nl);
	return NULL;
}

/* Frames read while the store evicts under the reader: whole, ours. */
static int limit_read_cb(const struct evs_event *ev, void *data)
{
	struct limit_watch *w = data;
	const unsigned char *p = ev->data;
	const struct stress_client *cl;
	uint32_t tag, h, k;

	w->read_events++;
	tag = ev->len >= STRESS_TAG_LEN ? stress_be32(p) : 0;
	if (tag - w->led->tag0 >= w->led->n)
		return -EBADMSG;
	cl = &w->led->c[tag - w->led->tag0];
	h = stress_frame_hash(tag, ev->client_seq);
	if (cl->topic != ev->topic ||
	    ev->len != stress_frame_len(cl, ev->client_seq - cl->seq0))
		return -EBADMSG;
	for (k = STRESS_TAG_LEN; k < ev->len; k++)
		if (p[k] != (unsigned char)(h + k * 7))
			return -EBADMSG;
	return 0;
}

static void *limit_reader(void *arg)
{
	struct limit_watch *w = arg;
	struct evs_nl nl;
	unsigned int n = 0;

	if (evs_nl_open(&nl)) {
		stress_err(w->errs, "reader: no netlink socket");
		return NULL;
	}
	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		int err = evs_read_topic(&nl, 60 + n++ % LIMIT_TOPICS, 0,
					 EVS_READ_ALL, limit_read_cb, w);

		/* Evicted under a dump again and again: not an error. */
		if (err == -EINTR) {
			w->gave_up++;
		} else if (err) {
			stress_err(w->errs, "reader: READ: %s %s",
				   strerror(-err), nl.errmsg);
			break;
		}
		w->reads++;
	}
	evs_nl_close(&nl);
	return NULL;
}

/*
 * A store limit of 1 MiB and LIMIT_SENDERS connections sending ~20 times
 * that to LIMIT_TOPICS topics (payloads up to 1 KiB, one priority per
 * connection), while one thread samples the gauges every 2 ms and
 * another reads the topics back as they are evicted under it.
 * Asserted: no sample of store_bytes above the limit plus one chunk (32
 * of the costliest events); at the end store_bytes <= limit and above
 * limit - one event (the store is full, not emptied); frames == stored
 * == the frames written; evicted == stored - store_events; READ gives
 * each topic's newest events: store seqs contiguous from the first kept
 * up to the topic's last, their number summing to store_events; every
 * frame read is whole and ours, never twice, and what is kept of a
 * connection is its last frames (oldest evicted first); the concurrent
 * reads found nothing corrupt.
 */
TEST_F(stress, store_at_limit)
{
	struct stress_errs errs = STRESS_ERRS_INIT;
	struct churn_sender cs[LIMIT_SENDERS];
	struct stress_topic t[LIMIT_TOPICS];
	unsigned int frames = stress_n(LIMIT_FRAMES, 300);
	uint64_t per_topic[LIMIT_TOPICS] = { 0 };
	uint16_t topics[LIMIT_TOPICS];
	struct limit_watch w = { .errs = &errs };
	struct stress_ledger led;
	struct stress_check res;
	uint64_t t0, sent, kept = 0, bytes, events;
	struct evs_gauges g;
	struct evs_stats st;
	unsigned int i;
	uint16_t port;
	int fd;

	STRESS_BEGIN();
	ASSERT_EQ(0, stress_ns_listen(&self->nl, &port));
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_STORE_LIMIT,
				     LIMIT_BYTES));
	ASSERT_EQ(0, stress_ledger_init(&led, LIMIT_SENDERS, 0x4c490000));
	for (i = 0; i < LIMIT_TOPICS; i++)
		topics[i] = 60 + i;
	for (i = 0; i < LIMIT_SENDERS; i++) {
		ASSERT_EQ(0, stress_client_init(&led, i, topics[i % LIMIT_TOPICS],
						i % 3, STRESS_TAG_LEN,
						LIMIT_LEN_MAX, frames,
						0xfffff000u + i));
		fd = stress_connect(port, 0, 0, 4 * TMO, 0);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, stress_conn_init(&cs[i].sc, fd, &led.c[i],
					      CHURN_BATCH * (LIMIT_LEN_MAX + 16)));
		cs[i].errs = &errs;
		cs[i].frames = frames;
	}
	w.led = &led;
	t0 = stress_now_us();
	ASSERT_EQ(0, pthread_create(&w.sampler, NULL, limit_sampler, &w));
	ASSERT_EQ(0, pthread_create(&w.reader, NULL, limit_reader, &w));
	ASSERT_EQ(0, churn_senders_run(cs, LIMIT_SENDERS));
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELAXED);
	pthread_join(w.sampler, NULL);
	pthread_join(w.reader, NULL);
	for (i = 0; i < LIMIT_SENDERS; i++)
		stress_conn_close(&cs[i].sc);
	ksft_print_msg("store_at_limit: %u senders x %u frames into a %u-byte store in %.1f s; %u samples: at most %llu bytes, %llu events; %u over the limit + a chunk\n",
		       LIMIT_SENDERS, frames, LIMIT_BYTES, stress_secs(t0),
		       w.samples, (unsigned long long)w.max_bytes,
		       (unsigned long long)w.max_events, w.over);
	ksft_print_msg("store_at_limit: %u reads under eviction returned %llu events, %u gave up after repeated interruptions\n",
		       w.reads, (unsigned long long)w.read_events, w.gave_up);
	ASSERT_EQ(0, errs.n) TH_LOG("%u failures, first: %s", errs.n,
				    errs.first);
	EXPECT_EQ(0, w.over);
	EXPECT_LT(0, w.samples);
	ASSERT_EQ(0, stress_wait_idle(&self->nl, &g, IDLE_TMO));
	ASSERT_EQ(0, evs_test_get_stats(&self->nl, &st));
	sent = stress_total_sent(&led);
	bytes = STRESS_GAUGE(&g, EVS_GAUGE_A_STORE_BYTES);
	events = STRESS_GAUGE(&g, EVS_GAUGE_A_STORE_EVENTS);
	ksft_print_msg("store_at_limit: server: %llu frames, %llu stored, %llu evicted; store now %llu events, %llu bytes\n",
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_FRAMES),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_STORED),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_EVICTED),
		       (unsigned long long)events, (unsigned long long)bytes);
	EXPECT_EQ(sent, STRESS_CTR(&st, EVS_STATS_A_FRAMES));
	EXPECT_EQ(sent, STRESS_CTR(&st, EVS_STATS_A_STORED));
	EXPECT_EQ(STRESS_CTR(&st, EVS_STATS_A_STORED) - events,
		  STRESS_CTR(&st, EVS_STATS_A_EVICTED));
	EXPECT_GE(LIMIT_BYTES, bytes);
	EXPECT_LT(LIMIT_BYTES - LIMIT_EV_COST, bytes);
	EXPECT_EQ(0, stress_errors(&st));

	/* Evicted frames are gone: what is kept is checked, not what must be. */
	for (i = 0; i < LIMIT_SENDERS; i++)
		led.c[i].must = 0;
	ASSERT_EQ(0, stress_check(&self->nl, &led, topics, LIMIT_TOPICS, 1,
				  &res, t));
	stress_report_check("store_at_limit", &res);
	EXPECT_TRUE(stress_check_clean(&res));
	for (i = 0; i < LIMIT_SENDERS; i++)
		per_topic[i % LIMIT_TOPICS] += led.c[i].sent;
	for (i = 0; i < LIMIT_TOPICS; i++) {
		ksft_print_msg("store_at_limit: topic %u: %llu sent, kept %llu: seqs %llu..%llu, %llu gaps\n",
			       t[i].topic, (unsigned long long)per_topic[i],
			       (unsigned long long)t[i].count,
			       (unsigned long long)t[i].first,
			       (unsigned long long)t[i].last,
			       (unsigned long long)t[i].gaps);
		kept += t[i].count;
		EXPECT_EQ(0, t[i].gaps);
		if (!t[i].count)
			continue;
		/* The newest: up to the topic's last store seq. */
		EXPECT_EQ(per_topic[i] - 1, t[i].last);
		EXPECT_EQ(t[i].last - t[i].first + 1, t[i].count);
	}
	EXPECT_EQ(events, kept);
	EXPECT_LT(0, kept);
	stress_ledger_free(&led);
}

/* ---- full load for unloads and namespace deletions ---- */

#define LOAD_SENDERS	6
#define LOAD_BATCH	64
#define LOAD_CAP	(1u << 20)	/* frames a sender may send */

struct load;

struct load_sender {
	pthread_t thread;
	struct load *ld;
	struct stress_conn sc;
	int ackreq;		/* ACK_REQ closes each batch */
	unsigned long batches;	/* atomic */
	int end;		/* errno that ended it, -1 for EOF */
};

struct load {
	struct load_sender s[LOAD_SENDERS];
	struct stress_ledger led;
	uint16_t topics[LOAD_SENDERS];
	pthread_mutex_t lock;	/* pause, paused, alive */
	pthread_cond_t cond;
	int pause;
	unsigned int paused;
	unsigned int alive;
	struct stress_errs errs;
};

static void load_sender_end(struct load_sender *s, int end)
{
	struct load *ld = s->ld;

	s->end = end;
	pthread_mutex_lock(&ld->lock);
	ld->alive--;
	pthread_cond_broadcast(&ld->cond);
	pthread_mutex_unlock(&ld->lock);
}

/*
 * Sends batches until the connection ends.  Asked to pause, it first
 * waits until the server acked everything it wrote (if it asks for
 * ACKs), so that the store can be checked against it.
 */
static void *load_sender_main(void *arg)
{
	struct load_sender *s = arg;
	struct stress_conn *sc = &s->sc;
	struct load *ld = s->ld;
	int err;

	for (;;) {
		pthread_mutex_lock(&ld->lock);
		if (ld->pause) {
			pthread_mutex_unlock(&ld->lock);
			err = s->ackreq ?
				stress_wait_acked(sc, sc->cl->sent, TMO) : 0;
			if (err)
				stress_err(&ld->errs, "topic %u: not acked before pause: %s",
					   sc->cl->topic, strerror(-err));
			pthread_mutex_lock(&ld->lock);
			ld->paused++;
			pthread_cond_broadcast(&ld->cond);
			while (ld->pause)
				pthread_cond_wait(&ld->cond, &ld->lock);
			ld->paused--;
		}
		pthread_mutex_unlock(&ld->lock);
		if (sc->cl->made == sc->cl->cap) {
			/* Nothing left to send: wait for the end. */
			err = stress_read(sc, 100);
			if (err || sc->eof)
				break;
			continue;
		}
		stress_queue(sc, LOAD_BATCH, 0, s->ackreq);
		err = stress_write(sc, 0);
		if (!err && s->ackreq)
			err = stress_read(sc, 0);
		if (err || sc->eof)
			break;
		__atomic_add_fetch(&s->batches, 1, __ATOMIC_RELAXED);
	}
	load_sender_end(s, sc->eof && !err ? -1 : -err);
	return NULL;
}

static void load_free(struct load *ld)
{
	unsigned int i;

	for (i = 0; i < LOAD_SENDERS; i++)
		stress_conn_close(&ld->s[i].sc);
	stress_ledger_free(&ld->led);
}

/*
 * LOAD_SENDERS connections to @port, half of them asking for ACKs, with
 * every priority, sending as fast as they can.  @linger0: some of them
 * reset when closed.
 */
static int load_start(struct load *ld, uint16_t port, int linger0)
{
	unsigned int i;
	int err;

	memset(ld, 0, sizeof(*ld));
	pthread_mutex_init(&ld->lock, NULL);
	pthread_cond_init(&ld->cond, NULL);
	pthread_mutex_init(&ld->errs.lock, NULL);
	err = stress_ledger_init(&ld->led, LOAD_SENDERS, 0x4c4f0000);
	for (i = 0; !err && i < LOAD_SENDERS; i++) {
		struct load_sender *s = &ld->s[i];
		int fd;

		s->sc.fd = -1;
		ld->topics[i] = 70 + i;
		err = stress_client_init(&ld->led, i, ld->topics[i],
					 i < 3 ? i : STRESS_PRIO_MIX,
					 STRESS_TAG_LEN, 512, LOAD_CAP, i);
		if (err)
			break;
		fd = stress_connect(port, 0, 0, TMO, linger0 && i % 2);
		if (fd < 0)
			return fd;
		err = stress_conn_init(&s->sc, fd, &ld->led.c[i],
				       LOAD_BATCH * 530);
		s->ld = ld;
		s->ackreq = i % 2 == 0;
	}
	for (i = 0; !err && i < LOAD_SENDERS; i++) {
		err = -pthread_create(&ld->s[i].thread, NULL, load_sender_main,
				      &ld->s[i]);
		if (!err)
			ld->alive++;
	}
	return err;
}

/* Waits until every sender has sent @batches more batches. */
static int load_busy(struct load *ld, unsigned long batches, int ms)
{
	unsigned long base[LOAD_SENDERS];
	uint64_t end = stress_now_ms() + ms;
	unsigned int i;

	for (i = 0; i < LOAD_SENDERS; i++)
		base[i] = __atomic_load_n(&ld->s[i].batches, __ATOMIC_RELAXED);
	for (i = 0; i < LOAD_SENDERS;) {
		if (__atomic_load_n(&ld->s[i].batches, __ATOMIC_RELAXED) >=
		    base[i] + batches) {
			i++;
			continue;
		}
		if (stress_now_ms() > end)
			return -ETIMEDOUT;
		stress_sleep_us(1000);
	}
	return 0;
}

/*
 * Stops the senders; the ones asking for ACKs have then had everything
 * acked.  Checks the store: each frame an ACK covered is there exactly
 * once, and nothing is there that was not written whole, or twice, or
 * out of order.  Lets them go on.  0, or -errno (@res says more).
 */
static int load_pause_check(struct load *ld, struct evs_nl *nl,
			    struct stress_check *res, uint64_t *acked)
{
	struct timespec ts;
	unsigned int i;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += TMO / 1000;
	pthread_mutex_lock(&ld->lock);
	ld->pause = 1;
	while (!err && ld->paused < ld->alive)
		err = -pthread_cond_timedwait(&ld->cond, &ld->lock, &ts);
	if (!err && ld->alive < LOAD_SENDERS)
		err = -ECONNRESET;
	pthread_mutex_unlock(&ld->lock);
	for (i = 0; !err && i < LOAD_SENDERS; i++) {
		struct stress_client *cl = &ld->led.c[i];

		cl->must = ld->s[i].ackreq ? cl->acked : 0;
		*acked += cl->must;
	}
	if (!err)
		err = stress_check(nl, &ld->led, ld->topics, LOAD_SENDERS, 0,
				   res, NULL);
	pthread_mutex_lock(&ld->lock);
	ld->pause = 0;
	pthread_cond_broadcast(&ld->cond);
	pthread_mutex_unlock(&ld->lock);
	return err;
}

/*
 * Joins the senders within @ms; returns how many saw their connection
 * end (reset, broken pipe or EOF), or -ETIMEDOUT.
 */
static int load_join(struct load *ld, int ms, unsigned int *how)
{
	struct timespec ts;
	unsigned int i;
	int ended = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	for (i = 0; i < LOAD_SENDERS; i++) {
		int end;

		if (pthread_timedjoin_np(ld->s[i].thread, NULL, &ts))
			return -ETIMEDOUT;
		end = ld->s[i].end;
		if (end == ECONNRESET || end == EPIPE || end == -1)
			ended++;
		how[end == ECONNRESET ? 0 : end == EPIPE ? 1 :
		    end == -1 ? 2 : 3]++;
	}
	return ended;
}

/*
 * --rounds times: LOAD_SENDERS connections send as fast as they can
 * (half with ACK_REQ on every batch); they pause, the ones asking for
 * ACKs wait until everything is acked, and the store is checked: every
 * acked frame there exactly once, nothing unwritten, doubled or out of
 * order.  They go on; once each has sent two more batches, the module
 * is removed (delete_module, as rmmod does) under that load.  Asserted:
 * the removal succeeds (a hang is the harness's timeout), every sender
 * sees its connection end (reset, EPIPE or EOF) within TMO, the module
 * loads again.  Nothing is checked in the store after the removal: it
 * went with the module.  Leaks and warnings are what the VM's checks
 * after the suite catch.
 */
TEST_F(stress, rmmod_under_load)
{
	unsigned int rounds = stress_opts.rounds, r, how[4] = { 0 };
	uint64_t acked = 0, frames = 0, t0 = stress_now_us(), max_us = 0;
	unsigned int busy_inflight = 0;
	struct stress_check res;
	struct evs_gauges g;
	struct load ld;
	int port, ended;

	STRESS_BEGIN();
	ASSERT_EQ(0, evs_test_new_netns());
	for (r = 0; r < rounds; r++) {
		uint64_t t;

		if (!evs_test_loaded())
			ASSERT_EQ(0, evs_test_load());
		ASSERT_EQ(0, evs_nl_open(&self->nl));
		port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD,
				       "127.0.0.1:0");
		ASSERT_LT(0, port);
		ASSERT_EQ(0, load_start(&ld, port, 0));
		ASSERT_EQ(0, load_busy(&ld, 2, TMO)) TH_LOG("round %u", r);
		ASSERT_EQ(0, load_pause_check(&ld, &self->nl, &res, &acked))
			TH_LOG("round %u: %s", r, ld.errs.first);
		if (!stress_check_clean(&res) || ld.errs.n)
			stress_report_check("rmmod_under_load", &res);
		ASSERT_TRUE(stress_check_clean(&res)) TH_LOG("round %u", r);
		ASSERT_EQ(0, ld.errs.n) TH_LOG("round %u: %s", r,
					       ld.errs.first);
		ASSERT_EQ(0, load_busy(&ld, 2, TMO)) TH_LOG("round %u", r);
		ASSERT_EQ(0, evs_test_get_gauges(&self->nl, &g));
		busy_inflight += !!STRESS_GAUGE(&g, EVS_GAUGE_A_INFLIGHT);
		EXPECT_EQ(LOAD_SENDERS, STRESS_GAUGE(&g, EVS_GAUGE_A_CONNS));
		evs_nl_close(&self->nl);

		t = stress_now_us();
		ASSERT_EQ(0, evs_test_unload()) TH_LOG("round %u", r);
		t = stress_now_us() - t;
		max_us = t > max_us ? t : max_us;
		ended = load_join(&ld, TMO, how);
		frames += stress_total_sent(&ld.led);
		load_free(&ld);
		ASSERT_EQ(LOAD_SENDERS, ended) TH_LOG("round %u", r);
		ASSERT_EQ(0, evs_test_load());
	}
	ksft_print_msg("rmmod_under_load: %u rounds in %.1f s: %llu frames sent, %llu acked ones checked in the store before each unload; removal took at most %.3f s, %u rounds had events in flight just before it\n",
		       rounds, stress_secs(t0), (unsigned long long)frames,
		       (unsigned long long)acked, max_us / 1e6, busy_inflight);
	ksft_print_msg("rmmod_under_load: senders saw the end by reset %u, broken pipe %u, EOF %u, otherwise %u\n",
		       how[0], how[1], how[2], how[3]);
}

/* What a namespace's child tells its parent before the namespace goes. */
struct netns_report {
	int err;
	char msg[200];
	uint64_t acked;		/* acked frames checked in the store */
	uint64_t conns, inflight, paused, frames;
};

static void netns_child(int wfd, const char *path)
{
	struct netns_report rep = { 0 };
	struct stress_check res;
	struct evs_gauges g;
	struct evs_stats st;
	struct evs_nl nl;
	struct load ld;
	int fd, port;

	rep.err = evs_test_new_netns();
	if (rep.err) {
		snprintf(rep.msg, sizeof(rep.msg), "unshare");
		goto out;
	}
	/* What `ip netns add` does: the bind mount keeps it alive. */
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0 || close(fd) ||
	    mount("/proc/self/ns/net", path, "none", MS_BIND, NULL)) {
		rep.err = -errno;
		snprintf(rep.msg, sizeof(rep.msg), "mount %s", path);
		goto out;
	}
	rep.err = evs_nl_open(&nl);
	port = rep.err ? rep.err :
		evs_test_listen(&nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	if (port <= 0) {
		rep.err = port ? port : -EPROTO;
		snprintf(rep.msg, sizeof(rep.msg), "listen");
		goto out;
	}
	rep.err = load_start(&ld, port, 1);
	if (!rep.err)
		rep.err = load_busy(&ld, 2, TMO);
	if (!rep.err)
		rep.err = load_pause_check(&ld, &nl, &res, &rep.acked);
	if (!rep.err && (!stress_check_clean(&res) || ld.errs.n)) {
		rep.err = -EBADMSG;
		snprintf(rep.msg, sizeof(rep.msg), "%.190s", ld.errs.n ?
			 ld.errs.first : res.first);
		goto out;
	}
	if (!rep.err)
		rep.err = load_busy(&ld, 2, TMO);
	if (!rep.err)
		rep.err = evs_test_get_gauges(&nl, &g) ?:
			evs_test_get_stats(&nl, &st);
	if (rep.err) {
		snprintf(rep.msg, sizeof(rep.msg), "load: %.190s",
			 ld.errs.n ? ld.errs.first : "");
		goto out;
	}
	rep.conns = STRESS_GAUGE(&g, EVS_GAUGE_A_CONNS);
	rep.inflight = STRESS_GAUGE(&g, EVS_GAUGE_A_INFLIGHT);
	rep.paused = STRESS_GAUGE(&g, EVS_GAUGE_A_PAUSED);
	rep.frames = STRESS_CTR(&st, EVS_STATS_A_FRAMES);
out:
	if (write(wfd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(1);
	/* Under full load until the parent deletes the namespace. */
	for (;;)
		pause();
}

/*
 * --rounds times: a child process makes a named namespace the way `ip
 * netns add` does (bind mount of its /proc/PID/ns/net under
 * /run/netns), listens in it, starts LOAD_SENDERS busy connections
 * (half of them reset when closed), checks the store as
 * rmmod_under_load does (every acked frame there exactly once), lets
 * them run again and reports.  The parent gives the namespace an id
 * (RTM_NEWNSID, which holds no reference), deletes it as `ip netns del`
 * does (detach the mount, remove the name) and kills the child, so the
 * namespace goes with a listener, live connections and events in
 * flight.  Asserted: the child's check; the namespace's destruction
 * begins within IDLE_TMO (its id goes: nothing keeps it alive); after
 * the last round, every namespace is freed (net_namespace objects in
 * /proc/slabinfo back to where they were).
 */
TEST_F(stress, netns_del_under_load)
{
	unsigned int rounds = stress_opts.rounds, r, busy_inflight = 0;
	uint64_t acked = 0, frames = 0, t0 = stress_now_us(), max_ms = 0;
	long base = stress_slab_objects("net_namespace"), now = 0;
	char path[64];
	uint64_t t;

	STRESS_BEGIN();
	mkdir("/run/netns", 0755);
	for (r = 0; r < rounds; r++) {
		int32_t nsid = 1000 + r;
		struct netns_report rep;
		struct pollfd pfd;
		int p[2], status, err;
		pid_t pid;

		snprintf(path, sizeof(path), "/run/netns/evs-stress-%u", r);
		ASSERT_EQ(0, pipe(p));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(p[0]);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			netns_child(p[1], path);
		}
		close(p[1]);
		pfd.fd = p[0];
		pfd.events = POLLIN;
		ASSERT_EQ(1, poll(&pfd, 1, 4 * TMO)) TH_LOG("round %u", r);
		ASSERT_EQ((ssize_t)sizeof(rep), read(p[0], &rep, sizeof(rep)));
		close(p[0]);
		EXPECT_EQ(0, stress_nsid(RTM_NEWNSID, nsid, pid));

		/* `ip netns del`: then the child's exit drops the rest. */
		EXPECT_EQ(0, umount2(path, MNT_DETACH));
		EXPECT_EQ(0, unlink(path));
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, rep.err) TH_LOG("round %u: %s: %s", r, rep.msg,
					     strerror(-rep.err));
		EXPECT_EQ(LOAD_SENDERS, rep.conns);
		busy_inflight += !!rep.inflight;
		acked += rep.acked;
		frames += rep.frames;

		t = stress_now_ms();
		while ((err = stress_nsid(RTM_GETNSID, nsid, 0)) == 0 &&
		       stress_now_ms() - t < IDLE_TMO)
			stress_sleep_us(5000);
		ASSERT_EQ(-ENOENT, err) TH_LOG("round %u: namespace still alive",
					       r);
		t = stress_now_ms() - t;
		max_ms = t > max_ms ? t : max_ms;
	}
	t = stress_now_ms();
	while (base >= 0 && stress_now_ms() - t < IDLE_TMO) {
		now = stress_slab_objects("net_namespace");
		if (now <= base)
			break;
		stress_sleep_us(10000);
	}
	ksft_print_msg("netns_del_under_load: %u named namespaces deleted under load in %.1f s: %llu frames taken, %llu acked ones checked in the store first; %u rounds had events in flight at the last look; destruction began within %.3f s at most\n",
		       rounds, stress_secs(t0), (unsigned long long)frames,
		       (unsigned long long)acked, busy_inflight, max_ms / 1e3);
	if (base < 0)
		ksft_print_msg("netns_del_under_load: no net_namespace in /proc/slabinfo: freeing not checked\n");
	else
		EXPECT_GE(base, now) TH_LOG("%ld namespaces, %ld before", now,
					    base);
}

/* ---- listeners added and deleted under a connect storm ---- */

#define CHURN_PORTS	4
#define CHURN_THREADS	4
#define CHURN_PORT_BASE	7600
#define CHURN_TOPIC	61
#define CHURN_ACK_MS	3000	/* a connection whose listener goes */
/*
 * Rounds the churn makes at least, however long they take: on a starved
 * guest (a debug kernel beside other VMs) a bare time window once held
 * no round at all.
 */
#define CHURN_MIN_ROUNDS (4 * CHURN_PORTS)

struct lchurn {
	int stop;		/* atomic: the churn is over */
	unsigned long acked_live;	/* atomic: acks so far, all clients */
	unsigned long connects, refused, sent, acked, cut;
	pthread_mutex_t lock;
};

/*
 * Connects to any of the ports as fast as it can; each connection sends
 * one frame and waits for its ACK, which a delete may cut short (reset,
 * EOF): counted, not a failure.  A frame acked must be stored.
 */
static void *lchurn_client(void *arg)
{
	struct lchurn *c = arg;
	unsigned long connects = 0, refused = 0, sent = 0, acked = 0, cut = 0;
	unsigned char buf[128];
	uint32_t x = (uint32_t)(uintptr_t)&x, seq = 0;

	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		uint16_t port;
		size_t len;
		int fd;

		x = stress_mix(x + 1);
		port = CHURN_PORT_BASE + x % CHURN_PORTS;
		fd = evs_test_connect(AF_INET, port);
		if (fd < 0) {
			refused++;
			sched_yield();
			continue;
		}
		connects++;
		len = evs_test_frame(buf, EVS_WIRE_F_ACK_REQ, CHURN_TOPIC,
				     EVS_PRIO_TX, seq, 32);
		if (!evs_test_write(fd, buf, len)) {
			sent++;
			if (!evs_test_wait_ack(fd, seq, CHURN_ACK_MS)) {
				acked++;
				__atomic_fetch_add(&c->acked_live, 1,
						   __ATOMIC_RELAXED);
			} else {
				cut++;
			}
		} else {
			cut++;
		}
		seq++;
		close(fd);
	}
	pthread_mutex_lock(&c->lock);
	c->connects += connects;
	c->refused += refused;
	c->sent += sent;
	c->acked += acked;
	c->cut += cut;
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/*
 * LISTEN_ADD and LISTEN_DEL on the same ports, over and over, while
 * clients connect to them as fast as they can: a handshake completing
 * while a listener comes up (once a NULL dereference, before its socket
 * was set) or while it goes, thousands of times.  Every add succeeds (a
 * deleted listener leaves nothing bound), every delete finds its
 * listener, every acked frame is stored, and at the end nothing is left:
 * no listener, no connection, nothing in flight, connections accepted
 * equal to those closed.  On the RT kernel the accept and teardown run
 * preemptible, which widens the windows.
 */
TEST_F(stress, listener_churn_under_connect_storm)
{
	struct lchurn c = { .lock = PTHREAD_MUTEX_INITIALIZER };
	unsigned int rounds = 0, adds_failed = 0, dels_failed = 0, i;
	pthread_t th[CHURN_THREADS];
	uint64_t secs = stress_n(60, 3), t0, deadline, cap;
	struct evs_gauges g;
	struct evs_stats st;
	char addr[32];
	int stored, err;

	STRESS_BEGIN();
	ASSERT_EQ(0, evs_test_new_netns());
	ASSERT_EQ(0, evs_nl_open(&self->nl));
	t0 = stress_now_ms();
	deadline = t0 + secs * 1000;
	/* Past this, a round or an ack that never comes is a failure. */
	cap = deadline + 4 * TMO;
	for (i = 0; i < CHURN_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, lchurn_client, &c));
	while (stress_now_ms() < cap &&
	       (stress_now_ms() < deadline || rounds < CHURN_MIN_ROUNDS ||
		!__atomic_load_n(&c.acked_live, __ATOMIC_RELAXED))) {
		uint16_t port = CHURN_PORT_BASE + rounds % CHURN_PORTS;

		snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
		if (evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, addr) != port)
			adds_failed++;
		/* The other ports keep one listener up meanwhile. */
		snprintf(addr, sizeof(addr), "127.0.0.1:%u",
			 CHURN_PORT_BASE + (rounds + CHURN_PORTS / 2) % CHURN_PORTS);
		if (rounds >= CHURN_PORTS / 2 &&
		    evs_test_listen(&self->nl, EVS_CMD_LISTEN_DEL, addr))
			dels_failed++;
		rounds++;
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < CHURN_THREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < CHURN_PORTS; i++) {
		snprintf(addr, sizeof(addr), "127.0.0.1:%u", CHURN_PORT_BASE + i);
		evs_test_listen(&self->nl, EVS_CMD_LISTEN_DEL, addr);
	}
	err = stress_wait_idle(&self->nl, &g, IDLE_TMO);
	stored = evs_test_stored(&self->nl, CHURN_TOPIC);
	ASSERT_EQ(0, evs_test_get_stats(&self->nl, &st));
	ksft_print_msg("listener_churn: %u adds and deletes in %.1f s; clients: %lu connections (%lu refused), %lu frames, %lu acked, %lu cut by a delete; server: accepted %llu, rejected %llu, closed %llu, stored %d\n",
		       rounds, (stress_now_ms() - t0) / 1e3, c.connects,
		       c.refused, c.sent, c.acked, c.cut,
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_CONN_ACCEPTED),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_CONN_REJECTED),
		       (unsigned long long)STRESS_CTR(&st, EVS_STATS_A_CONN_CLOSED),
		       stored);
	EXPECT_EQ(0, adds_failed);
	EXPECT_EQ(0, dels_failed);
	EXPECT_EQ(0, err) TH_LOG("connections or events left");
	EXPECT_EQ(0, STRESS_GAUGE(&g, EVS_GAUGE_A_LISTENERS));
	/* Both sides of the windows were crossed. */
	EXPECT_LT(0, c.acked);
	EXPECT_LE(CHURN_MIN_ROUNDS, rounds);
	EXPECT_LE((long)c.acked, stored);
	EXPECT_GE((long)c.sent, stored);
	EXPECT_EQ(STRESS_CTR(&st, EVS_STATS_A_CONN_ACCEPTED),
		  STRESS_CTR(&st, EVS_STATS_A_CONN_CLOSED));
}

/* ---- the size of the run, then the harness ---- */

static int stress_parse_scale(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v > 0) || v > 1000)
		return -EINVAL;
	stress_opts.scale = v;
	return 0;
}

static int stress_parse_rounds(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || *end || !v || v > 100000)
		return -EINVAL;
	stress_opts.rounds = v;
	return 0;
}

static void stress_add_only(const char *names)
{
	size_t len = strlen(stress_opts.only);

	snprintf(stress_opts.only + len, sizeof(stress_opts.only) - len,
		 "%s%s", len ? "," : "", names);
}

static void stress_quick(void)
{
	stress_opts.quick = 1;
	stress_opts.scale = STRESS_QUICK_SCALE;
	stress_opts.rounds = STRESS_QUICK_ROUNDS;
}

static int stress_usage(const char *argv0, int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: %s [--quick] [--scale X] [--rounds N] [--test NAME]...\n"
		"  --scale X   workload sizes (1: the full run; env EVS_STRESS_SCALE)\n"
		"  --rounds N  module unloads and namespace deletions (50; EVS_STRESS_ROUNDS)\n"
		"  --quick     scale %g, %u rounds (EVS_STRESS_QUICK=1)\n"
		"  --test NAME only these tests, comma-separated (EVS_STRESS_TESTS)\n",
		argv0, STRESS_QUICK_SCALE, STRESS_QUICK_ROUNDS);
	return rc;
}

/*
 * The environment gives the defaults, the command line overrides them;
 * at either level --scale and --rounds override what --quick implies.
 */
static int stress_parse_args(int argc, char **argv)
{
	const char *env;
	int i;

	env = getenv("EVS_STRESS_QUICK");
	if (env && *env && strcmp(env, "0"))
		stress_quick();
	env = getenv("EVS_STRESS_SCALE");
	if (env && *env && stress_parse_scale(env))
		return stress_usage(argv[0], 2);
	env = getenv("EVS_STRESS_ROUNDS");
	if (env && *env && stress_parse_rounds(env))
		return stress_usage(argv[0], 2);
	env = getenv("EVS_STRESS_TESTS");
	if (env)
		stress_add_only(env);

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--quick"))
			stress_quick();
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(arg, "--quick"))
			continue;
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
			return stress_usage(argv[0], 0) ?: 1;
		if (!val)
			return stress_usage(argv[0], 2);
		if (!strcmp(arg, "--scale") && !stress_parse_scale(val))
			i++;
		else if (!strcmp(arg, "--rounds") && !stress_parse_rounds(val))
			i++;
		else if (!strcmp(arg, "--test"))
			stress_add_only(argv[++i]);
		else
			return stress_usage(argv[0], 2);
	}
	return 0;
}

/* As TEST_HARNESS_MAIN: tests run in the order they are written. */
static void __attribute__((constructor)) stress_constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	struct __fixture_metadata *f;
	struct __test_metadata *t;
	unsigned int tmo;
	int rc;

	/* Each test ends in _exit(): a buffered line would be lost. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = stress_parse_args(argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	/*
	 * The harness kills a test after its timeout: a backstop only, as
	 * every wait has its own deadline, so make it follow the size.
	 */
	tmo = 300 + 1800 * stress_opts.scale + 60 * stress_opts.rounds;
	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout = tmo;
	printf("# stress: scale %g, %u rounds%s%s%s; a test times out after %u s\n",
	       stress_opts.scale, stress_opts.rounds,
	       stress_opts.quick ? " (quick)" : "",
	       stress_opts.only[0] ? "; only " : "", stress_opts.only, tmo);
	return test_harness_run(1, argv);
}
