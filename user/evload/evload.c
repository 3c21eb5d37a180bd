// SPDX-License-Identifier: GPL-2.0
/*
 * evload: load generator and latency meter for an evstream listener.
 *
 * Each connection has a thread that sends its share of the events in
 * large write()s on a blocking socket, and a second thread that reads
 * what the server sends back: ACK frames (whose round trip is measured
 * with --ack) and ERROR frames.  At the end each connection shuts down
 * its write side and reads until EOF: the server stores everything it
 * was sent before it closes, so when evload reports, every event is
 * stored, and --verify can read them all back over netlink.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <evstream/version.h>

#include "../evctl/json.h"
#include "../lib/evs_addr.h"
#include "../lib/evs_read.h"
#include "../lib/evs_units.h"
#include "../lib/evs_wire.h"
#include "nats.h"

enum {
	EXIT_OK		= 0,
	EXIT_FAIL	= 1,	/* the run or its verification failed */
	EXIT_USAGE	= 2,
};

/* --prio mix: rt, tx, batch, auto, rt, ... per event of a connection. */
#define PRIO_MIX	-1
#define MAX_CONNS	4096
/* Bytes of frames handed to one write(), when that many are due. */
#define BATCH_BYTES	(256 * 1024)
/* Longest sleep between looks at the stop flag. */
#define SLICE_NS	(100 * 1000 * 1000LL)
#define NSEC		1000000000LL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum proto { P_EVSTREAM, P_NATS, P_JETSTREAM };

struct opts {
	enum proto proto;
	const char *subject;	/* nats, jetstream */
	const char *stream;	/* jetstream */
	struct evs_addr addr;
	unsigned int conns;
	uint64_t events;
	uint32_t size;
	uint16_t topic;
	int prio;		/* enum evs_prio, or PRIO_MIX */
	const char *prio_name;
	bool ack;
	bool json;
	bool verify;
	double rate;		/* events/s over all connections; 0: no limit */
	double timeout;		/* seconds, for the whole run */
};

struct conn {
	unsigned int idx;
	int fd;
	uint64_t nr;		/* events to send */
	pthread_t thread;
	bool started;

	/*
	 * --ack: per event, the send time (CLOCK_MONOTONIC ns) until its ack
	 * comes, then the latency.  The sender stamps events before it
	 * publishes them in @sent (release); the reader only looks at
	 * events below @sent (acquire), and an ack can only name events
	 * already written, hence published.
	 */
	uint64_t *stamp;
	atomic_ullong sent;
	uint64_t acked;		/* reader's: events acked so far */
	uint64_t ack_frames;	/* reader's: ACK frames seen */
	/* The sender has shut its side down (or given up): an EOF after
	 * this is the normal end, before it the server hung up on us.
	 */
	atomic_bool tx_done;
	uint64_t end_ns;	/* when EOF came (NATS: the last PONG or PubAck) */

	/* NATS: the reply inbox, its reader, and PubAcks seen, a bit each. */
	char inbox[NATS_INBOX_LEN + 1];
	struct nats_rd *rd;
	uint8_t *acked_bit;
	/*
	 * NATS: both threads write (the reader answers the server's PINGs),
	 * so writes take @wlock.  The reader never waits for it while the
	 * sender may be blocked in a long send(): it counts the PONG as owed
	 * and whoever holds the lock next sends it.
	 */
	pthread_mutex_t wlock;
	atomic_uint pongs_owed;
	/* One side gave up: the other's failures follow from it. */
	atomic_bool quit;
	bool broken;		/* sender's: a send() failed */

	/* What went wrong, one per thread so that no lock is needed. */
	char tx_err[256];
	char rx_err[320];
};

static struct opts o = {
	.conns = 1,
	.events = 10000,
	.size = 64,
	.topic = 1,
	.prio = EVS_PRIO_TX,
	.prio_name = "tx",
	.timeout = 60,
};

static const char *const proto_name[] = {
	[P_EVSTREAM] = "evstream", [P_NATS] = "nats", [P_JETSTREAM] = "jetstream",
};

static struct conn *conns;
/* jetstream: what a PubAck of the stream has, "stream":"<name>". */
static char stream_key[NATS_NAME_MAX + 16];
static uint64_t run_id;
static atomic_bool stop;	/* timeout or a failed start: everyone quits */

/* Start line and bookkeeping, under @lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
static unsigned int nr_ready, nr_finished;
static bool go;
static uint64_t t_start;	/* ns: when sending began */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static void set_err(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Keeps the first failure of a thread: the later ones follow from it. */
static void set_err(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (buf[0])
		return;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

#define TX_ERR(c, ...) set_err((c)->tx_err, sizeof((c)->tx_err), __VA_ARGS__)
#define RX_ERR(c, ...) set_err((c)->rx_err, sizeof((c)->rx_err), __VA_ARGS__)

static void usage_text(FILE *f)
{
	fprintf(f,
		"Usage: evload --addr HOST:PORT [OPTIONS]\n"
		"       evload --proto nats --subject SUBJ --addr HOST:PORT [OPTIONS]\n"
		"       evload --proto jetstream --stream NAME --subject SUBJ --addr ...\n"
		"\n"
		"Sends events to an evstream listener and measures the throughput and,\n"
		"with --ack, the ack round trip.  Done means stored: each connection\n"
		"ends with shutdown(SHUT_WR) and reads until the server closes.\n"
		"With --proto nats, publishes each event to nats-server instead; done\n"
		"is the PONG to a last PING.  With --proto jetstream, creates (or\n"
		"reuses) the memory stream NAME on SUBJ and publishes each event with\n"
		"a reply subject; every event is acked, done is the last PubAck.\n"
		"\n"
		"  --proto P          evstream (default), nats or jetstream\n"
		"  --subject SUBJ     nats, jetstream: the subject to publish to\n"
		"  --stream NAME      jetstream: the stream\n"
		"  --addr HOST:PORT   listener (required): a host name, A.B.C.D or\n"
		"                     [IPV6], with an interface for a link-local\n"
		"                     one, [fe80::1%%eth0]:PORT; PORT a number\n"
		"  --conns N          connections, one thread each (default 1)\n"
		"  --events N         events in all, split across connections (10000)\n"
		"  --size BYTES       payload size, 0..65536 or 64K (default 64;\n"
		"                     --verify: at least %u); K, KiB, B as evctl(8)\n"
		"  --topic T          topic, 0..65535 (default 1); evstream only\n"
		"  --prio P           rt, tx, batch, auto, or mix: rt, tx, batch, auto\n"
		"                     in turn, event by event (default tx); evstream only\n"
		"  --ack              ask for an ack of every event and measure the time\n"
		"                     from its write() to the ACK that covers it; not\n"
		"                     with nats, implied by jetstream (PubAcks)\n"
		"  --rate N           events/s over all connections (default: no limit)\n"
		"  --verify           then read the topic back (needs CAP_NET_ADMIN):\n"
		"                     each event of this run stored once, intact, in send\n"
		"                     order per connection and priority; evstream only\n"
		"  --timeout SEC      for the whole run, verification included (60)\n"
		"  -j, --json         JSON output\n"
		"  -h, --help         this help\n"
		"\n"
		"JSON keys: events, conns, size, topic, prio, payload_bytes, elapsed_s,\n"
		"events_per_s, mb_per_s (10^6 payload bytes/s), ack_frames (ACK frames\n"
		"received), ack_latency_us (null without --ack, else an object with p50,\n"
		"p99, p999, max), verified (true when --verify passed, else false),\n"
		"proto, subject, stream (null where they do not apply; so are topic and\n"
		"prio with nats and jetstream; ack_frames counts PubAcks there).\n"
		"Exit status: 0 success, 1 failure (server ERROR or -ERR, a PubAck\n"
		"error, reset, timeout, a verification error), 2 usage error.\n",
		EVS_LOAD_HDR_LEN);
}

static int usage_err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("evload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'evload --help'.\n", stderr);
	return EXIT_USAGE;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("evload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

/* Decimal digits only, at most @max: evctl's counts, as evctl reads them. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	return evs_parse_count(s, max, v) == EVS_UNIT_OK;
}

static bool parse_positive(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return !errno && end != s && !*end && isfinite(*v) && *v > 0;
}

static int parse_opts(int argc, char **argv)
{
	enum { O_ADDR = 256, O_CONNS, O_EVENTS, O_SIZE, O_TOPIC, O_PRIO,
	       O_ACK, O_RATE, O_VERIFY, O_TIMEOUT, O_PROTO, O_SUBJECT,
	       O_STREAM };
	static const struct option longopts[] = {
		{ "addr",	required_argument, NULL, O_ADDR },
		{ "conns",	required_argument, NULL, O_CONNS },
		{ "events",	required_argument, NULL, O_EVENTS },
		{ "size",	required_argument, NULL, O_SIZE },
		{ "topic",	required_argument, NULL, O_TOPIC },
		{ "prio",	required_argument, NULL, O_PRIO },
		{ "ack",	no_argument,	   NULL, O_ACK },
		{ "rate",	required_argument, NULL, O_RATE },
		{ "verify",	no_argument,	   NULL, O_VERIFY },
		{ "timeout",	required_argument, NULL, O_TIMEOUT },
		{ "proto",	required_argument, NULL, O_PROTO },
		{ "subject",	required_argument, NULL, O_SUBJECT },
		{ "stream",	required_argument, NULL, O_STREAM },
		{ "json",	no_argument,	   NULL, 'j' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL }
	};
	static const struct {
		const char *name;
		int prio;
	} prios[] = {
		{ "rt", EVS_PRIO_RT }, { "tx", EVS_PRIO_TX },
		{ "batch", EVS_PRIO_BATCH }, { "auto", EVS_PRIO_AUTO },
		{ "mix", PRIO_MIX },
	};
	bool have_addr = false, have_topic = false, have_prio = false;
	unsigned int i;
	uint64_t v;
	int c, err;

	opterr = 0;
	for (;;) {
		const char *arg = argv[optind];

		c = getopt_long(argc, argv, "jh", longopts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case O_ADDR:
			err = evs_addr_lookup(optarg, EVS_ADDR_NAME, &o.addr);
			if (err)
				return usage_err("invalid address '%s': %s",
						 optarg, evs_addr_strerror(err));
			have_addr = true;
			break;
		case O_CONNS:
			if (!parse_u64(optarg, MAX_CONNS, &v) || !v)
				return usage_err("invalid --conns '%s' (1..%u)",
						 optarg, MAX_CONNS);
			o.conns = (unsigned int)v;
			break;
		case O_EVENTS:
			if (!parse_u64(optarg, INT64_MAX, &o.events) ||
			    !o.events)
				return usage_err("invalid --events '%s'",
						 optarg);
			break;
		case O_SIZE:
			/* As evctl reads max-payload: 64K, 4KiB, 512B. */
			err = evs_parse_size(optarg, EVS_WIRE_PAYLOAD_CAP, &v);
			if (err)
				return usage_err("invalid --size '%s': %s (0..%u bytes)",
						 optarg, evs_unit_strerror(err),
						 EVS_WIRE_PAYLOAD_CAP);
			o.size = (uint32_t)v;
			break;
		case O_TOPIC:
			if (!parse_u64(optarg, UINT16_MAX, &v))
				return usage_err("invalid --topic '%s' (0..65535)",
						 optarg);
			o.topic = (uint16_t)v;
			have_topic = true;
			break;
		case O_PRIO:
			for (i = 0; i < ARRAY_SIZE(prios); i++)
				if (!strcmp(optarg, prios[i].name))
					break;
			if (i == ARRAY_SIZE(prios))
				return usage_err("invalid --prio '%s' (rt, tx, batch, auto or mix)",
						 optarg);
			o.prio = prios[i].prio;
			o.prio_name = prios[i].name;
			have_prio = true;
			break;
		case O_ACK:
			o.ack = true;
			break;
		case O_RATE:
			if (!parse_positive(optarg, &o.rate))
				return usage_err("invalid --rate '%s'", optarg);
			break;
		case O_VERIFY:
			o.verify = true;
			break;
		case O_TIMEOUT:
			if (!parse_positive(optarg, &o.timeout) ||
			    o.timeout > 1e6)
				return usage_err("invalid --timeout '%s'",
						 optarg);
			break;
		case O_PROTO:
			for (i = 0; i < ARRAY_SIZE(proto_name); i++)
				if (!strcmp(optarg, proto_name[i]))
					break;
			if (i == ARRAY_SIZE(proto_name))
				return usage_err("invalid --proto '%s' (evstream, nats or jetstream)",
						 optarg);
			o.proto = (enum proto)i;
			break;
		case O_SUBJECT:
			if (!nats_subject_ok(optarg))
				return usage_err("invalid --subject '%s' (a NATS subject to publish to: dot-separated tokens without blanks or wildcards, at most %u bytes)",
						 optarg, NATS_NAME_MAX);
			o.subject = optarg;
			break;
		case O_STREAM:
			if (!nats_stream_name_ok(optarg))
				return usage_err("invalid --stream '%s' (a JetStream stream name: no blanks, '.', '*', '>', '/', '\\' or '\"', at most %u bytes)",
						 optarg, NATS_NAME_MAX);
			o.stream = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			usage_text(stdout);
			exit(EXIT_OK);
		default:
			if (optopt && optopt < 256 && arg && arg[1] != '-')
				return usage_err("unknown option '-%c'",
						 optopt);
			/* Unknown, or a known long one without its value. */
			return usage_err("bad option '%s'", arg ? arg : "");
		}
	}
	if (optind < argc)
		return usage_err("unexpected argument '%s'", argv[optind]);
	if (!have_addr)
		return usage_err("missing --addr HOST:PORT");
	if (o.proto == P_EVSTREAM && (o.subject || o.stream))
		return usage_err("--%s needs --proto nats or jetstream",
				 o.subject ? "subject" : "stream");
	if (o.proto != P_EVSTREAM) {
		const char *p = proto_name[o.proto];

		if (!o.subject)
			return usage_err("--proto %s needs --subject SUBJ", p);
		if (o.proto == P_JETSTREAM && !o.stream)
			return usage_err("--proto jetstream needs --stream NAME");
		if (o.proto == P_NATS && o.stream)
			return usage_err("--stream needs --proto jetstream (core NATS has no streams)");
		if (o.proto == P_NATS && o.ack)
			return usage_err("--ack: core NATS has no acks (--proto jetstream acks every event)");
		if (o.verify)
			return usage_err("--verify reads the evstream module back: not with --proto %s",
					 p);
		if (have_topic || have_prio)
			return usage_err("--%s has no meaning with --proto %s",
					 have_topic ? "topic" : "prio", p);
		/* Every event is acked: measure them as --ack does. */
		if (o.proto == P_JETSTREAM)
			o.ack = true;
	}
	if (o.verify && o.size < EVS_LOAD_HDR_LEN)
		return usage_err("--verify needs --size %u or more",
				 EVS_LOAD_HDR_LEN);
	/* The payload numbers events of a connection with 32 bits. */
	if (o.verify && (o.events - 1) / o.conns >= 1ULL << 32)
		return usage_err("--verify: at most 2^32 events per connection");
	return EXIT_OK;
}

/* The priority byte of event @i of a connection. */
static uint8_t event_prio(uint64_t i)
{
	static const uint8_t mix[] = {
		EVS_PRIO_RT, EVS_PRIO_TX, EVS_PRIO_BATCH, EVS_PRIO_AUTO
	};

	if (o.prio == PRIO_MIX)
		return mix[i % 4];
	return (uint8_t)o.prio;
}

/* ---- The connection threads ---- */

/* A connection is done, for good or bad: main may be waiting for all. */
static void finished(void)
{
	pthread_mutex_lock(&lock);
	nr_finished++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

/* Connects @c->fd (non-blocking until then) within the run's deadline. */
static int do_connect(struct conn *c, uint64_t deadline)
{
	struct sockaddr_storage ss;
	socklen_t len = evs_addr_sockaddr(&o.addr, &ss);
	char addr[EVS_ADDR_STRLEN];
	int one = 1, err = 0, flags;
	socklen_t elen = sizeof(err);

	evs_addr_format(&o.addr, addr, sizeof(addr));
	if (connect(c->fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		TX_ERR(c, "connect to %s: %s", addr, strerror(errno));
		return -1;
	}
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		int64_t left = (int64_t)(deadline - now_ns());
		int n;

		if (atomic_load(&stop) || left <= 0)
			return -1;	/* main reports the timeout */
		n = poll(&pfd, 1, left > SLICE_NS ? 100 : (int)(left / 1000000));
		if (n < 0 && errno != EINTR) {
			TX_ERR(c, "poll: %s", strerror(errno));
			return -1;
		}
		if (n > 0)
			break;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) || err) {
		TX_ERR(c, "connect to %s: %s", addr, strerror(err ? err : errno));
		return -1;
	}
	/* From here on blocking, as promised; we batch, so no Nagle. */
	flags = fcntl(c->fd, F_GETFL);
	if (flags < 0 || fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK) ||
	    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))) {
		TX_ERR(c, "socket setup: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Records the acks up to @new_acked: their latency replaces the stamp. */
static void acks_done(struct conn *c, uint64_t new_acked)
{
	uint64_t now = now_ns(), i;

	for (i = c->acked; i < new_acked; i++)
		c->stamp[i] = now - c->stamp[i];
	c->acked = new_acked;
}

/* One complete server frame; returns false when reading must stop. */
static bool rx_frame(struct conn *c, const struct evs_srv_reader *r,
		     enum evs_srv_status st)
{
	uint64_t acked, sent;

	if (st == EVS_SRV_BAD) {
		RX_ERR(c, "malformed frame from the server (flags 0x%02x, length %" PRIu32 ")",
		       r->frame.flags, r->frame.length);
		return false;
	}
	if (st == EVS_SRV_ERROR) {
		/* The server closes next: that EOF is no news. */
		RX_ERR(c, "server sent ERROR: %s (frame seq %" PRIu32 ")",
		       r->reason[0] ? r->reason : "(no reason)", r->frame.seq);
		return true;
	}
	c->ack_frames++;
	if (!o.ack)
		return true;	/* we asked for none: harmless */
	sent = atomic_load_explicit(&c->sent, memory_order_acquire);
	if (evs_ack_advance(c->acked, sent, 0, r->frame.seq, &acked)) {
		RX_ERR(c, "ACK for seq %" PRIu32 ", not sent yet (%" PRIu64 " sent)",
		       r->frame.seq, sent);
		return false;
	}
	acks_done(c, acked);
	return true;
}

/* The server closed: fine only after our FIN, between frames, all acked. */
static void rx_eof(struct conn *c, const struct evs_srv_reader *r)
{
	uint64_t sent = atomic_load(&c->sent);

	c->end_ns = now_ns();
	if (atomic_load(&stop))
		return;
	if (!atomic_load_explicit(&c->tx_done, memory_order_acquire))
		RX_ERR(c, "server closed the connection while we sent");
	else if (!evs_srv_reader_idle(r))
		RX_ERR(c, "server closed the connection mid-frame");
	else if (o.ack && c->acked < sent)
		RX_ERR(c, "server closed the connection with %" PRIu64 " of %" PRIu64
		       " events not acked", sent - c->acked, sent);
}

/* Reads what the server sends until EOF; see struct conn for the rules. */
static void *rx_main(void *arg)
{
	static const size_t size = 64 * 1024;
	struct evs_srv_reader r;
	struct conn *c = arg;
	uint8_t *buf = malloc(size);
	bool more = true;

	evs_srv_reader_init(&r);
	if (!buf) {
		RX_ERR(c, "out of memory");
		return NULL;
	}
	while (more) {
		ssize_t n = read(c->fd, buf, size);
		size_t off = 0, used;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (!atomic_load(&stop))
				RX_ERR(c, "%s", errno == ECONNRESET ?
				       "connection reset by the server" :
				       strerror(errno));
			break;
		}
		if (!n) {
			rx_eof(c, &r);
			break;
		}
		while (more && off < (size_t)n) {
			enum evs_srv_status st;

			st = evs_srv_read(&r, buf + off, (size_t)n - off, &used);
			off += used;
			if (st != EVS_SRV_MORE)
				more = rx_frame(c, &r, st);
		}
	}
	free(buf);
	return NULL;
}

/* ---- NATS (see nats.c) ---- */

/* Sends the PONGs owed, unless someone else is writing: then they will. */
static int pay_pongs(struct conn *c)
{
	unsigned int n;
	int err = 0;

	if (pthread_mutex_trylock(&c->wlock))
		return 0;
	for (n = atomic_exchange(&c->pongs_owed, 0); n && !err; n--)
		err = nats_send_all(c->fd, "PONG\r\n", 6);
	pthread_mutex_unlock(&c->wlock);
	return err;
}

/* The write of the sender: under @wlock, then the PONGs owed meanwhile. */
static int nats_write(struct conn *c, const void *buf, size_t len)
{
	int err;

	pthread_mutex_lock(&c->wlock);
	err = nats_send_all(c->fd, buf, len);
	pthread_mutex_unlock(&c->wlock);
	if (!err && atomic_load(&c->pongs_owed))
		err = pay_pongs(c);
	if (err && !atomic_load(&stop) && !atomic_load(&c->quit)) {
		TX_ERR(c, "send: %s", strerror(errno));
		/* The reader, left alone, reads what the server said last. */
		c->broken = true;
	}
	return err ? -1 : 0;
}

/* Greets the server (and subscribes to the inbox) before the start. */
static int nats_setup(struct conn *c, uint64_t deadline)
{
	char err[256];

	c->rd = malloc(sizeof(*c->rd));
	if (!c->rd) {
		TX_ERR(c, "out of memory");
		return -1;
	}
	nats_rd_init(c->rd, c->fd);
	if (nats_hello(c->rd, deadline, o.proto == P_JETSTREAM ? c->inbox : NULL,
		       o.proto == P_JETSTREAM, err, sizeof(err))) {
		if (!atomic_load(&stop))
			TX_ERR(c, "%s", err);
		return -1;
	}
	return 0;
}

/* A PubAck: MSG <inbox><n>, n the event's index in its connection. */
static bool puback(struct conn *c, const struct nats_item *it, uint64_t now)
{
	const char *p = it->text + NATS_INBOX_LEN;
	const char *end = it->text + it->text_len;
	uint64_t n = 0, sent;
	char err[256];

	if (it->text_len <= NATS_INBOX_LEN || end - p > 19 ||
	    memcmp(it->text, c->inbox, NATS_INBOX_LEN)) {
		RX_ERR(c, "message on a subject evload did not subscribe to: %.*s",
		       (int)(it->text_len < 80 ? it->text_len : 80), it->text);
		return false;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	sent = atomic_load_explicit(&c->sent, memory_order_acquire);
	if (p != end || n >= sent) {
		RX_ERR(c, "PubAck on %.*s: no such event sent (%" PRIu64 " sent)",
		       (int)it->text_len, it->text, sent);
		return false;
	}
	if (c->acked_bit[n / 8] & (1U << (n % 8))) {
		RX_ERR(c, "second PubAck for event %" PRIu64, n);
		return false;
	}
	if (nats_puback(it->data, it->len, stream_key, err, sizeof(err))) {
		RX_ERR(c, "PubAck for event %" PRIu64 ": %s", n, err);
		return false;
	}
	c->acked_bit[n / 8] |= (uint8_t)(1U << (n % 8));
	c->stamp[n] = now - c->stamp[n];
	c->acked++;
	c->ack_frames++;
	return true;
}

/*
 * The reader of a NATS connection: answers PINGs, fails on -ERR, counts
 * PubAcks; done at the PONG to the sender's last PING (core NATS) or at
 * the last PubAck (JetStream).
 */
static void *nats_rx_main(void *arg)
{
	struct conn *c = arg;
	unsigned long fills = 0;
	struct nats_item it;
	uint64_t now = 0;
	bool done = o.proto == P_JETSTREAM && !c->nr;
	char err[256];
	int r;

	while (!done) {
		r = nats_next(c->rd, 0, &it, err, sizeof(err));
		if (atomic_load(&stop) || atomic_load(&c->quit))
			break;
		if (r == NATS_RD_EOF) {
			RX_ERR(c, "server closed the connection");
			break;
		}
		if (r) {
			RX_ERR(c, "%s", err);
			break;
		}
		/* One clock read per read(), as an ACK frame gets one. */
		if (c->rd->fills != fills) {
			fills = c->rd->fills;
			now = now_ns();
		}
		switch (it.op) {
		case NATS_PING:
			atomic_fetch_add(&c->pongs_owed, 1);
			if (pay_pongs(c)) {
				RX_ERR(c, "send: %s", strerror(errno));
				goto out;
			}
			break;
		case NATS_PONG:
			if (o.proto != P_NATS ||
			    !atomic_load_explicit(&c->tx_done, memory_order_acquire)) {
				RX_ERR(c, "PONG from the server without a PING");
				goto out;
			}
			c->end_ns = now;
			done = true;
			break;
		case NATS_INFO:
		case NATS_OK:
			break;
		case NATS_ERR:
			RX_ERR(c, "server sent -ERR '%.*s'",
			       (int)(it.text_len < 200 ? it.text_len : 200), it.text);
			goto out;
		case NATS_MSG:
			if (o.proto != P_JETSTREAM) {
				RX_ERR(c, "message from the server on %.*s, to no subscription",
				       (int)(it.text_len < 80 ? it.text_len : 80), it.text);
				goto out;
			}
			if (!puback(c, &it, now))
				goto out;
			if (c->acked == c->nr) {
				c->end_ns = now;
				done = true;
			}
			break;
		}
	}
out:
	if (!done) {
		/* Wakes the sender, whose failure is this one's. */
		atomic_store(&c->quit, true);
		shutdown(c->fd, SHUT_RDWR);
	}
	return NULL;
}

/* Writes all of @buf, or fails. */
static int write_all(struct conn *c, const uint8_t *buf, size_t len)
{
	if (o.proto != P_EVSTREAM)
		return nats_write(c, buf, len);
	while (len) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (!atomic_load(&stop))
				TX_ERR(c, "send: %s", strerror(errno));
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sleeps until @t (CLOCK_MONOTONIC ns), at most one slice. */
static void sleep_until(uint64_t t)
{
	uint64_t now = now_ns();
	struct timespec ts;

	if (t <= now)
		return;
	if (t - now > SLICE_NS)
		t = now + SLICE_NS;
	ts.tv_sec = (time_t)(t / NSEC);
	ts.tv_nsec = (long)(t % NSEC);
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/*
 * PUB lines: "PUB <subject> <size>\r\n" (core NATS) or "PUB <subject>
 * <inbox><n> <size>\r\n" (JetStream: the PubAck comes to <inbox><n>),
 * made of a fixed head and tail, and the event number between them.
 */
struct pub {
	char head[NATS_NAME_MAX + NATS_INBOX_LEN + 8];
	char tail[16];
	size_t head_len, tail_len;
};

static void pub_init(struct pub *p, const struct conn *c)
{
	int n;

	n = snprintf(p->head, sizeof(p->head), "PUB %s %s", o.subject,
		     o.proto == P_JETSTREAM ? c->inbox : "");
	p->head_len = (size_t)n;
	n = snprintf(p->tail, sizeof(p->tail), "%s%" PRIu32 "\r\n",
		     o.proto == P_JETSTREAM ? " " : "", o.size);
	p->tail_len = (size_t)n;
}

/* One PUB of event @i with its payload; returns its length. */
static size_t pub_put(uint8_t *buf, const struct pub *p, uint64_t i,
		      const uint8_t *payload)
{
	uint8_t *at = buf;

	memcpy(at, p->head, p->head_len);
	at += p->head_len;
	if (o.proto == P_JETSTREAM)
		at += nats_put_u64((char *)at, i);
	memcpy(at, p->tail, p->tail_len);
	at += p->tail_len;
	memcpy(at, payload, o.size);
	at += o.size;
	*at++ = '\r';
	*at++ = '\n';
	return (size_t)(at - buf);
}

static void send_events(struct conn *c)
{
	struct pub pub;
	/* The longest event on the wire: a frame, or a PUB with its index. */
	size_t frame = o.proto == P_EVSTREAM ? EVS_WIRE_HDR_LEN + o.size :
		       sizeof(pub.head) + 20 + sizeof(pub.tail) + o.size + 2;
	size_t cap = frame > BATCH_BYTES ? frame : BATCH_BYTES;
	double rate = o.rate / o.conns;
	uint8_t flags = o.ack ? EVS_WIRE_F_ACK_REQ : 0;
	uint8_t *buf = malloc(cap);
	/* calloc(0) may return NULL: ask for a byte at least. */
	uint8_t *payload = calloc(1, o.size ? o.size : 1);
	uint64_t i = 0, t0;

	if (!buf || !payload) {
		TX_ERR(c, "out of memory");
		goto out;
	}
	if (o.proto != P_EVSTREAM)
		pub_init(&pub, c);
	pthread_mutex_lock(&lock);
	t0 = t_start;
	pthread_mutex_unlock(&lock);

	while (i < c->nr && !atomic_load(&stop)) {
		uint64_t due = c->nr, stamp, j;
		size_t len = 0;

		if (rate > 0) {
			/* Event k is due at t0 + k / rate. */
			double since = (double)(now_ns() - t0) / NSEC;

			due = (uint64_t)(since * rate) + 1;
			if (due > c->nr)
				due = c->nr;
			if (due <= i) {
				sleep_until(t0 + (uint64_t)((double)i / rate *
							    NSEC));
				continue;
			}
		}
		for (j = i; j < due && len + frame <= cap; j++) {
			if (o.verify) {
				struct evs_load_id id = {
					run_id, c->idx, (uint32_t)j
				};

				evs_load_fill(payload, o.size, &id);
			}
			if (o.proto != P_EVSTREAM) {
				len += pub_put(buf + len, &pub, j, payload);
				continue;
			}
			len += evs_wire_put_frame(buf + len, flags, o.topic,
						  event_prio(j), (uint32_t)j,
						  payload, o.size);
		}
		if (o.ack) {
			stamp = now_ns();
			for (; i < j; i++)
				c->stamp[i] = stamp;
		}
		i = j;
		atomic_store_explicit(&c->sent, i, memory_order_release);
		if (write_all(c, buf, len))
			break;
	}
out:
	free(buf);
	free(payload);
}

/*
 * The end of a NATS connection: core NATS asks for a PONG, which comes
 * once the server has processed every PUB before its PING; the reader
 * waits for it, or for the last PubAck.  On failure, the reader is woken.
 */
static void nats_end(struct conn *c, bool rx_started, pthread_t rx)
{
	bool ok = rx_started && !c->tx_err[0] && !atomic_load(&stop) &&
		  !atomic_load(&c->quit);

	/* Before the PING goes out: a PONG from now on is the answer. */
	atomic_store_explicit(&c->tx_done, true, memory_order_release);
	if (ok && o.proto == P_NATS)
		ok = !nats_write(c, "PING\r\n", 6);
	if (!rx_started)
		return;
	/*
	 * A connection broken under the sender ends the reader too, after
	 * what the server sent before it went (the -ERR that says why).
	 */
	if (!ok && !c->broken) {
		atomic_store(&c->quit, true);
		shutdown(c->fd, SHUT_RDWR);
	}
	pthread_join(rx, NULL);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	uint64_t deadline = now_ns() + (uint64_t)(o.timeout * NSEC);
	pthread_t rx = 0;
	bool rx_started = false;
	int err;

	if (!do_connect(c, deadline) &&
	    (o.proto == P_EVSTREAM || !nats_setup(c, deadline))) {
		err = pthread_create(&rx, NULL, o.proto == P_EVSTREAM ?
				     rx_main : nats_rx_main, c);
		if (err)
			TX_ERR(c, "pthread_create: %s", strerror(err));
		rx_started = !err;
	}

	/* Everyone connected first, so that the clock measures sending. */
	pthread_mutex_lock(&lock);
	nr_ready++;
	pthread_cond_broadcast(&cond);
	while (!go)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);

	if (rx_started && !c->tx_err[0] && !atomic_load(&stop))
		send_events(c);
	if (o.proto != P_EVSTREAM) {
		nats_end(c, rx_started, rx);
		finished();
		return NULL;
	}
	/* Set before the FIN goes out: an EOF from now on is the answer. */
	atomic_store_explicit(&c->tx_done, true, memory_order_release);
	if (rx_started) {
		if (shutdown(c->fd, SHUT_WR) && !atomic_load(&stop))
			TX_ERR(c, "shutdown: %s", strerror(errno));
		pthread_join(rx, NULL);
	}
	finished();
	return NULL;
}

/* ---- Results ---- */

/* Wakes every thread stuck in connect, send, read or a sleep. */
static void stop_all(void)
{
	unsigned int i;

	atomic_store(&stop, true);
	for (i = 0; i < o.conns; i++)
		if (conns[i].fd >= 0)
			shutdown(conns[i].fd, SHUT_RDWR);
}

static bool wait_for(unsigned int *counter, uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline / NSEC),
		.tv_nsec = (long)(deadline % NSEC),
	};
	bool ok = true;

	pthread_mutex_lock(&lock);
	while (*counter < o.conns && ok)
		ok = pthread_cond_timedwait(&cond, &lock, &ts) != ETIMEDOUT ||
		     *counter == o.conns;
	pthread_mutex_unlock(&lock);
	return ok;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct latency {
	uint64_t p50, p99, p999, max;	/* ns */
};

/* Value at quantile @permille of the sorted @v: the ceil(q n)-th. */
static uint64_t quantile(const uint64_t *v, uint64_t n, unsigned int permille)
{
	uint64_t rank = (n * permille + 999) / 1000;

	return v[rank ? rank - 1 : 0];
}

/* All the ack latencies, sorted.  Returns false when out of memory. */
static bool ack_latency(struct latency *lat)
{
	uint64_t *all, n = 0, i, k;

	for (i = 0; i < o.conns; i++)
		n += conns[i].acked;
	memset(lat, 0, sizeof(*lat));
	if (!n)
		return true;
	all = malloc(n * sizeof(*all));
	if (!all)
		return false;
	for (i = 0, k = 0; i < o.conns; i++) {
		memcpy(all + k, conns[i].stamp, conns[i].acked * sizeof(*all));
		k += conns[i].acked;
	}
	qsort(all, n, sizeof(*all), cmp_u64);
	lat->p50 = quantile(all, n, 500);
	lat->p99 = quantile(all, n, 990);
	lat->p999 = quantile(all, n, 999);
	lat->max = all[n - 1];
	free(all);
	return true;
}

/* ---- --verify ---- */

struct verify {
	struct evs_nl nl;
	uint8_t **seen;		/* per connection, a bit per event */
	int64_t (*last)[EVS_PRIO_NR];	/* per connection and priority */
	uint64_t *conn_id;	/* per connection: the kernel's id */
	uint64_t ours, foreign, problems;
	char first[256];	/* the first problem */
};

static void problem(struct verify *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct verify *v, const char *fmt, ...)
{
	va_list ap;

	if (!v->problems++) {
		va_start(ap, fmt);
		vsnprintf(v->first, sizeof(v->first), fmt, ap);
		va_end(ap);
	}
}

/* A problem with the event at store seq @seq. */
#define EV_PROBLEM(v, seq, fmt, ...) \
	problem(v, "store seq %" PRIu64 ": " fmt, seq, ##__VA_ARGS__)

static int verify_cb(const struct evs_event *ev, void *data)
{
	struct verify *v = data;
	struct evs_load_id id;
	uint8_t sent_prio;
	uint8_t *bit;
	uint8_t mask;

	switch (evs_load_check(ev->data, ev->len, run_id, &id)) {
	case EVS_LOAD_FOREIGN:
		/* Another run's (or another tool's) event: not ours. */
		v->foreign++;
		return 0;
	case EVS_LOAD_BAD_SUM:
		EV_PROBLEM(v, ev->seq, "payload checksum wrong");
		return 0;
	case EVS_LOAD_BAD_FILL:
		EV_PROBLEM(v, ev->seq, "payload bytes wrong");
		return 0;
	case EVS_LOAD_OK:
		break;
	}
	if (id.conn >= o.conns || id.index >= conns[id.conn].nr ||
	    ev->len != o.size) {
		EV_PROBLEM(v, ev->seq, "connection %" PRIu32 " event %" PRIu32
			   " of %u bytes was never sent", id.conn, id.index,
			   ev->len);
		return 0;
	}
	bit = &v->seen[id.conn][id.index / 8];
	mask = (uint8_t)(1U << (id.index % 8));
	if (*bit & mask) {
		EV_PROBLEM(v, ev->seq, "connection %" PRIu32 " event %" PRIu32
			   " stored twice", id.conn, id.index);
		return 0;
	}
	*bit |= mask;
	v->ours++;

	if (ev->client_seq != id.index)
		EV_PROBLEM(v, ev->seq, "client seq %" PRIu32 ", sent as %" PRIu32,
			   ev->client_seq, id.index);
	/* One kernel connection per evload connection. */
	if (v->conn_id[id.conn] == UINT64_MAX)
		v->conn_id[id.conn] = ev->conn;
	else if (v->conn_id[id.conn] != ev->conn)
		EV_PROBLEM(v, ev->seq, "connection %" PRIu32
			   " stored as kernel connection %" PRIu64 " and %" PRIu64,
			   id.conn, v->conn_id[id.conn], ev->conn);

	sent_prio = event_prio(id.index);
	if (ev->prio >= EVS_PRIO_NR) {
		EV_PROBLEM(v, ev->seq, "priority %u", ev->prio);
		return 0;
	}
	/* An explicit priority is the header's; only auto is routed. */
	if (sent_prio != EVS_PRIO_AUTO && ev->prio != sent_prio)
		EV_PROBLEM(v, ev->seq, "stored with priority %u, sent with %u",
			   ev->prio, sent_prio);
	/*
	 * Order holds per connection and priority (the queue an event
	 * went through, so the stored one: an auto event shares its queue
	 * with the explicit ones routed alike).
	 */
	if (v->last[id.conn][ev->prio] >= (int64_t)id.index)
		EV_PROBLEM(v, ev->seq, "connection %" PRIu32 " event %" PRIu32
			   " stored after its event %" PRId64
			   " of the same priority", id.conn, id.index,
			   v->last[id.conn][ev->prio]);
	else
		v->last[id.conn][ev->prio] = id.index;
	return 0;
}

static void verify_free(struct verify *v)
{
	unsigned int i;

	for (i = 0; v->seen && i < o.conns; i++)
		free(v->seen[i]);
	free(v->seen);
	free(v->last);
	free(v->conn_id);
	evs_nl_close(&v->nl);
}

/* Reads the topic back and checks every event of this run. */
static int check_stored(uint64_t deadline)
{
	struct verify v = { 0 };
	uint64_t total = 0, left;
	struct timeval tv;
	unsigned int i, p;
	int err, ret = EXIT_FAIL;

	v.seen = calloc(o.conns, sizeof(*v.seen));
	v.last = calloc(o.conns, sizeof(*v.last));
	v.conn_id = calloc(o.conns, sizeof(*v.conn_id));
	if (!v.seen || !v.last || !v.conn_id)
		goto oom;
	for (i = 0; i < o.conns; i++) {
		v.seen[i] = calloc(conns[i].nr / 8 + 1, 1);
		if (!v.seen[i])
			goto oom;
		for (p = 0; p < EVS_PRIO_NR; p++)
			v.last[i][p] = -1;
		v.conn_id[i] = UINT64_MAX;
		total += conns[i].nr;
	}

	err = evs_nl_open(&v.nl);
	if (err) {
		ret = fail("verify: %s", err == -ENOENT ?
			   "evstream module not loaded" : strerror(-err));
		goto out;
	}
	/* The read counts against --timeout too. */
	left = deadline > now_ns() ? (deadline - now_ns()) / 1000 : 0;
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	/* All zero would mean no timeout at all. */
	if (!left)
		tv.tv_usec = 1;
	setsockopt(mnl_socket_get_fd(v.nl.sock), SOL_SOCKET, SO_RCVTIMEO,
		   &tv, sizeof(tv));

	err = evs_read_topic(&v.nl, o.topic, 0, EVS_READ_ALL, verify_cb, &v);
	if (err == -EAGAIN) {
		ret = fail("verify: timeout after %g s while reading topic %u back",
			   o.timeout, o.topic);
		goto out;
	}
	if (err) {
		char line[512];

		evs_nl_strerror(&v.nl, err, line, sizeof(line));
		ret = fail("verify: reading topic %u: %s%s", o.topic, line,
			   err == -EPERM && !v.nl.errmsg[0] ?
			   " (need CAP_NET_ADMIN)" : "");
		goto out;
	}
	if (v.ours < total) {
		/* Name the first missing event: where to look. */
		for (i = 0; i < o.conns; i++) {
			uint64_t k;

			for (k = 0; k < conns[i].nr; k++)
				if (!(v.seen[i][k / 8] & (1U << (k % 8))))
					break;
			if (k < conns[i].nr) {
				problem(&v, "%" PRIu64 " of %" PRIu64
					" events missing, the first connection %u event %" PRIu64
					" (evicted by the store limit?)",
					total - v.ours, total, i, k);
				break;
			}
		}
	}
	if (v.problems) {
		ret = fail("verify: %" PRIu64 " problem%s; the first: %s",
			   v.problems, v.problems == 1 ? "" : "s", v.first);
		goto out;
	}
	ret = EXIT_OK;
	goto out;
oom:
	ret = fail("verify: out of memory");
out:
	verify_free(&v);
	return ret;
}

/* ---- main ---- */

/* --proto jetstream: the stream, on a connection of its own. */
static int create_stream(uint64_t deadline)
{
	struct conn c = { .fd = -1 };
	char err[256];
	int ret = -1;

	snprintf(c.inbox, sizeof(c.inbox), "_INBOX.%016" PRIx64 ".", ~run_id);
	c.fd = socket(o.addr.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c.fd < 0) {
		fail("socket: %s", strerror(errno));
		return -1;
	}
	if (do_connect(&c, deadline) || nats_setup(&c, deadline)) {
		fail("stream %s: %s", o.stream, c.tx_err[0] ? c.tx_err :
		     "timeout");
		goto out;
	}
	if (nats_stream_create(c.rd, deadline, c.inbox, o.stream, o.subject,
			       err, sizeof(err))) {
		fail("%s", err);
		goto out;
	}
	ret = 0;
out:
	close(c.fd);
	free(c.rd);
	return ret;
}

static void report(uint64_t elapsed, const struct latency *lat, bool verified)
{
	uint64_t events = o.events, bytes = o.events * o.size, acks = 0;
	double secs = (double)elapsed / NSEC;
	/* Rounded; MB/s kept in thousandths for three exact decimals. */
	uint64_t eps = secs > 0 ? (uint64_t)((double)events / secs + 0.5) : 0;
	uint64_t mbps_milli = secs > 0 ?
			      (uint64_t)((double)bytes / secs / 1e3 + 0.5) : 0;
	const char *us = evs_unit_us();
	char addr[EVS_ADDR_STRLEN];
	unsigned int i;
	struct json j;

	for (i = 0; i < o.conns; i++)
		acks += conns[i].ack_frames;

	if (o.json) {
		json_init(&j, stdout, false);
		json_object_start(&j);
		json_kv_u64(&j, "events", events);
		json_kv_u64(&j, "conns", o.conns);
		json_kv_u64(&j, "size", o.size);
		if (o.proto == P_EVSTREAM) {
			json_kv_u64(&j, "topic", o.topic);
			json_kv_string(&j, "prio", o.prio_name);
		} else {
			json_key(&j, "topic");
			json_null(&j);
			json_key(&j, "prio");
			json_null(&j);
		}
		json_kv_u64(&j, "payload_bytes", bytes);
		json_kv_decimal(&j, "elapsed_s", elapsed / 1000, 6);
		json_kv_u64(&j, "events_per_s", eps);
		json_kv_decimal(&j, "mb_per_s", mbps_milli, 3);
		json_kv_u64(&j, "ack_frames", acks);
		json_key(&j, "ack_latency_us");
		if (o.ack) {
			json_object_start(&j);
			json_kv_decimal(&j, "p50", lat->p50, 3);
			json_kv_decimal(&j, "p99", lat->p99, 3);
			json_kv_decimal(&j, "p999", lat->p999, 3);
			json_kv_decimal(&j, "max", lat->max, 3);
			json_object_end(&j);
		} else {
			json_null(&j);
		}
		json_kv_bool(&j, "verified", verified);
		json_kv_string(&j, "proto", proto_name[o.proto]);
		json_key(&j, "subject");
		if (o.subject)
			json_string(&j, o.subject);
		else
			json_null(&j);
		json_key(&j, "stream");
		if (o.stream)
			json_string(&j, o.stream);
		else
			json_null(&j);
		json_object_end(&j);
		json_finish(&j);
		return;
	}
	evs_addr_format(&o.addr, addr, sizeof(addr));
	if (o.proto == P_EVSTREAM)
		printf("target     %s, topic %u, prio %s", addr, o.topic,
		       o.prio_name);
	else if (o.proto == P_NATS)
		printf("target     %s, nats subject %s", addr, o.subject);
	else
		printf("target     %s, jetstream stream %s subject %s", addr,
		       o.stream, o.subject);
	printf(", %u connection%s, %" PRIu32 "-byte payloads\n",
	       o.conns, o.conns == 1 ? "" : "s", o.size);
	printf("events     %" PRIu64 " in %.6f s, %s\n", events, secs,
	       o.proto == P_NATS ? "all processed (PONG)" :
	       o.proto == P_JETSTREAM ? "all stored (PubAck)" : "all stored");
	printf("rate       %" PRIu64 " events/s, %" PRIu64 ".%03" PRIu64 " MB/s of payload\n",
	       eps, mbps_milli / 1000, mbps_milli % 1000);
	if (o.ack)
		printf("ack        p50 %.1f %s, p99 %.1f %s, p99.9 %.1f %s, max %.1f %s (%" PRIu64
		       " %s)\n",
		       lat->p50 / 1e3, us, lat->p99 / 1e3, us, lat->p999 / 1e3,
		       us, lat->max / 1e3, us, acks,
		       o.proto == P_JETSTREAM ? "PubAcks" : "ACK frames");
	if (verified)
		printf("verified   each event stored once, intact, in order\n");
}

int main(int argc, char **argv)
{
	pthread_condattr_t ca;
	uint64_t deadline, elapsed = 0, end = 0;
	struct latency lat = { 0 };
	bool timed_out = false, verified = false;
	int ret, err, failed = 0;
	unsigned int i;

	evs_units_locale();
	ret = parse_opts(argc, argv);
	if (ret)
		return ret;
	deadline = now_ns() + (uint64_t)(o.timeout * NSEC);
	if (getrandom(&run_id, sizeof(run_id), 0) != sizeof(run_id))
		return fail("getrandom: %s", strerror(errno));

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cond, &ca);
	pthread_condattr_destroy(&ca);

	conns = calloc(o.conns, sizeof(*conns));
	if (!conns)
		return fail("out of memory");
	for (i = 0; i < o.conns; i++)
		conns[i].fd = -1;
	for (i = 0; i < o.conns; i++) {
		struct conn *c = &conns[i];

		c->idx = i;
		c->nr = o.events / o.conns + (i < o.events % o.conns);
		/* Made here, so that stop_all() never races its creation. */
		c->fd = socket(o.addr.family,
			       SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (c->fd < 0) {
			TX_ERR(c, "socket: %s", strerror(errno));
			break;
		}
		if (o.ack) {
			c->stamp = calloc(c->nr ? c->nr : 1, sizeof(*c->stamp));
			if (!c->stamp) {
				TX_ERR(c, "out of memory");
				break;
			}
		}
		pthread_mutex_init(&c->wlock, NULL);
		/* A random inbox per connection: several runs may share a server. */
		snprintf(c->inbox, sizeof(c->inbox), "_INBOX.%016" PRIx64 ".",
			 (uint64_t)(run_id * 0x9e3779b97f4a7c15ULL + i));
		if (o.proto == P_JETSTREAM) {
			c->acked_bit = calloc(c->nr / 8 + 1, 1);
			if (!c->acked_bit) {
				TX_ERR(c, "out of memory");
				break;
			}
		}
	}
	snprintf(stream_key, sizeof(stream_key), "\"stream\":\"%s\"",
		 o.stream ? o.stream : "");
	if (o.proto == P_JETSTREAM && !conns[0].tx_err[0] && conns[0].fd >= 0 &&
	    create_stream(deadline)) {
		ret = EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < o.conns && !conns[i].tx_err[0] && conns[i].fd >= 0;
	     i++) {
		err = pthread_create(&conns[i].thread, NULL, conn_main,
				     &conns[i]);
		if (err) {
			TX_ERR(&conns[i], "pthread_create: %s", strerror(err));
			break;
		}
		conns[i].started = true;
	}
	/* Threads that never started count as ready and finished. */
	pthread_mutex_lock(&lock);
	for (i = 0; i < o.conns; i++)
		if (!conns[i].started) {
			nr_ready++;
			nr_finished++;
		}
	pthread_mutex_unlock(&lock);

	if (!wait_for(&nr_ready, deadline))
		timed_out = true;
	for (i = 0; i < o.conns; i++)
		if (conns[i].tx_err[0] || !conns[i].started)
			failed = 1;
	if (timed_out || failed)
		stop_all();
	pthread_mutex_lock(&lock);
	t_start = now_ns();
	go = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);

	if (!wait_for(&nr_finished, deadline)) {
		timed_out = true;
		stop_all();
	}
	for (i = 0; i < o.conns; i++)
		if (conns[i].started)
			pthread_join(conns[i].thread, NULL);

	ret = EXIT_OK;
	for (i = 0; i < o.conns; i++) {
		struct conn *c = &conns[i];

		if (c->rx_err[0] && o.proto != P_EVSTREAM) {
			/* What the server said, or how it went: it says why. */
			ret = fail("connection %u: %s", i, c->rx_err);
		} else if (c->rx_err[0] || c->tx_err[0]) {
			/* The server's word first: it says why. */
			ret = fail("connection %u: %s%s%s", i,
				   c->rx_err[0] ? c->rx_err : c->tx_err,
				   c->rx_err[0] && c->tx_err[0] ? "; then " : "",
				   c->rx_err[0] ? c->tx_err : "");
		}
		if (c->end_ns > end)
			end = c->end_ns;
	}
	if (timed_out) {
		uint64_t sent = 0;

		for (i = 0; i < o.conns; i++)
			sent += atomic_load(&conns[i].sent);
		ret = fail("timeout after %g s: %" PRIu64 " of %" PRIu64
			   " events sent, not all stored",
			   o.timeout, sent, o.events);
	}
	if (ret)
		goto out;

	elapsed = end > t_start ? end - t_start : 0;
	if (o.ack && !ack_latency(&lat)) {
		ret = fail("out of memory");
		goto out;
	}
	if (o.verify) {
		ret = check_stored(deadline);
		if (ret)
			goto out;
		verified = true;
	}
	report(elapsed, &lat, verified);
	if (fflush(stdout) || ferror(stdout))
		ret = fail("write error: %s", strerror(errno));
out:
	for (i = 0; i < o.conns; i++) {
		if (conns[i].fd >= 0)
			close(conns[i].fd);
		free(conns[i].stamp);
		free(conns[i].rd);
		free(conns[i].acked_bit);
	}
	free(conns);
	pthread_cond_destroy(&cond);
	return ret;
}
