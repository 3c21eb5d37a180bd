// SPDX-License-Identifier: GPL-2.0
/*
 * evsink: the evstream pipeline as a userspace server, the peer the
 * module is benchmarked against; with --raw, a sink that only reads and
 * discards, the limit of what TCP can deliver.  See evsink.h for the
 * layout and io.c, pool.c and store.c for the stages.
 *
 * This file: options, setup, signals, statistics and shutdown.  The main
 * thread does no I/O: it waits for signals.  SIGUSR1 prints the counters;
 * SIGTERM or SIGINT stops the I/O threads (between passes, so everything
 * accepted is stored), frees everything and prints the counters (or,
 * with --report, one line of JSON).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <evstream/version.h>

#include "../evctl/json.h"
#include "../lib/evs_units.h"
#include "evsink.h"

enum {
	EXIT_OK		= 0,
	EXIT_FAIL	= 1,
	EXIT_USAGE	= 2,
};

#define MAX_THREADS	256	/* bad_opt("threads") says so too */
#define ADDR_FORMS	"A.B.C.D:PORT or [IPV6]:PORT"

/* Static: its members are cache-line aligned. */
static struct evs_sink sink;

static void usage_text(FILE *f)
{
	fprintf(f,
		"Usage: evsink --listen ADDR:PORT [OPTIONS]\n"
		"\n"
		"The evstream pipeline in userspace, for benchmarks against the module:\n"
		"each epoll I/O thread reads its connections, parses frames with the\n"
		"module's parser, routes them by priority and stores them in bounded\n"
		"per-topic logs, a chunk per lock round, all in the same read pass;\n"
		"clients get cumulative ACKs once their frames are stored, and ERROR\n"
		"frames, as docs/protocol.md says.  With --raw, only read and discard.\n"
		"\n"
		"  --listen ADDR:PORT   A.B.C.D:PORT or [IPV6]:PORT; port 0 picks a free\n"
		"                       one (the line on stderr says which)\n"
		"  --threads N          I/O threads, 1..%u (default: CPUs available)\n"
		"  --raw                read and discard, no parsing, no acks\n"
		"  --max-payload N      payload limit per frame, 0..65536 (4096)\n"
		"  --pool-limit N       events in flight (parsed, not yet stored) over all\n"
		"                       threads, counted as the credits they take for\n"
		"                       them up to 128 at a time, 1..16777216 (65536)\n"
		"  --pressure PCT       auto traffic goes to batch above this percent of\n"
		"                       the pool limit, 1..100 (75)\n"
		"  --store-limit BYTES  bytes the topic stores hold, K/M/G suffixes (64M)\n"

		"  --route TOPIC:PRIO   auto traffic of TOPIC goes to PRIO (rt, tx, batch);\n"
		"                       repeatable\n"
		"  --stats-fd FD        write statistics to FD instead of stderr (text)\n"
		"                       or stdout (--report)\n"
		"  --report             at exit, one line of JSON instead of the text\n"
		"  -h, --help           this help\n"
		"\n"
		"SIGUSR1 prints the counters; SIGTERM or SIGINT stops, frees everything\n"
		"and prints them.  Counter names are those of /proc/net/evstream/stats.\n"
		"Exit status: 0 clean, 1 a failure (setup, or memory left over at exit),\n"
		"2 usage error.\n",
		MAX_THREADS);
}

static int usage_err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("evsink: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'evsink --help'.\n", stderr);
	return EXIT_USAGE;
}

/* Names the option being parsed (getopt's @optarg) and what it takes. */
#define bad_opt(name, range) \
	usage_err("invalid --%s '%s' (%s)", name, optarg, range)

/* Decimal, nothing else around it, within [min, max]. */
static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end && *v >= min && *v <= max;
}

/* Bytes, with an optional binary K, M or G. */
static bool parse_bytes(const char *s, uint64_t *v)
{
	static const char units[] = "KMG";
	size_t len = strlen(s);
	const char *u;
	char num[32];
	unsigned int shift = 0;

	if (!len || len >= sizeof(num))
		return false;
	memcpy(num, s, len + 1);
	u = strchr(units, num[len - 1]);
	if (u && num[len - 1]) {
		shift = 10 * (unsigned int)(u - units + 1);
		num[len - 1] = '\0';
	}
	if (!parse_u64(num, 0, 1ULL << 40, v) || *v > (1ULL << 40) >> shift)
		return false;
	*v <<= shift;
	return true;
}

static int parse_prio(const char *s)
{
	if (!strcmp(s, "rt") || !strcmp(s, "realtime") || !strcmp(s, "0"))
		return EVS_PRIO_RT;
	if (!strcmp(s, "tx") || !strcmp(s, "transactional") || !strcmp(s, "1"))
		return EVS_PRIO_TX;
	if (!strcmp(s, "batch") || !strcmp(s, "2"))
		return EVS_PRIO_BATCH;
	return -1;
}

static unsigned int cpus_available(void)
{
	cpu_set_t set;
	long n;

	if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
		return (unsigned int)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned int)n : 1;
}

/* Returns -1 to go on, else the exit status. */
static int parse_opts(int argc, char **argv, struct evs_sink *s)
{
	enum {
		O_LISTEN = 256, O_THREADS, O_RAW, O_MAX_PAYLOAD, O_POOL_LIMIT,
		O_PRESSURE, O_STORE_LIMIT, O_ROUTE,
		O_STATS_FD, O_REPORT,
	};
	static const struct option longopts[] = {
		{ "listen",	 required_argument, NULL, O_LISTEN },
		{ "threads",	 required_argument, NULL, O_THREADS },
		{ "raw",	 no_argument,	    NULL, O_RAW },
		{ "max-payload", required_argument, NULL, O_MAX_PAYLOAD },
		{ "pool-limit",	 required_argument, NULL, O_POOL_LIMIT },
		{ "pressure",	 required_argument, NULL, O_PRESSURE },
		{ "store-limit", required_argument, NULL, O_STORE_LIMIT },
		{ "route",	 required_argument, NULL, O_ROUTE },
		{ "stats-fd",	 required_argument, NULL, O_STATS_FD },
		{ "report",	 no_argument,	    NULL, O_REPORT },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct evs_cfg *cfg = &s->cfg;
	bool have_listen = false;
	uint64_t v, topic;
	char *colon;
	int c, prio;

	cfg->threads = cpus_available();
	if (cfg->threads > MAX_THREADS)
		cfg->threads = MAX_THREADS;
	cfg->max_payload = EVS_WIRE_PAYLOAD_DEFAULT;
	cfg->pool_limit = 65536;
	cfg->pressure = 75;
	cfg->store_limit = 64ULL << 20;
	cfg->stats_fd = -1;
	memset(s->route, EVS_NO_ROUTE, sizeof(s->route));

	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, "h", longopts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case O_LISTEN:
			if (evs_addr_parse(optarg, &cfg->listen))
				return usage_err("invalid address '%s' (%s)",
						 optarg, ADDR_FORMS);
			have_listen = true;
			break;
		case O_THREADS:
			if (!parse_u64(optarg, 1, MAX_THREADS, &v))
				return bad_opt("threads", "1..256");
			cfg->threads = (unsigned int)v;
			break;
		case O_RAW:
			cfg->raw = true;
			break;
		case O_MAX_PAYLOAD:
			if (!parse_u64(optarg, 0, EVS_WIRE_PAYLOAD_CAP, &v))
				return bad_opt("max-payload", "0..65536");
			cfg->max_payload = (uint32_t)v;
			break;
		case O_POOL_LIMIT:
			if (!parse_u64(optarg, 1, 16777216, &v))
				return bad_opt("pool-limit", "1..16777216");
			cfg->pool_limit = (uint32_t)v;
			break;
		case O_PRESSURE:
			if (!parse_u64(optarg, 1, 100, &v))
				return bad_opt("pressure", "1..100");
			cfg->pressure = (uint32_t)v;
			break;
		case O_STORE_LIMIT:
			if (!parse_bytes(optarg, &v))
				return bad_opt("store-limit",
					       "0..1T, K/M/G suffixes");
			cfg->store_limit = v;
			break;
		case O_ROUTE:
			colon = strchr(optarg, ':');
			if (colon)
				*colon = '\0';
			prio = colon ? parse_prio(colon + 1) : -1;
			if (!colon || prio < 0 || !parse_u64(optarg, 0, 65535, &topic)) {
				if (colon)
					*colon = ':';
				return bad_opt("route", "TOPIC:rt|tx|batch");
			}
			s->route[topic] = (uint8_t)prio;
			break;
		case O_STATS_FD:
			if (!parse_u64(optarg, 0, INT32_MAX, &v) ||
			    fcntl((int)v, F_GETFD) < 0)
				return bad_opt("stats-fd",
					       "an open file descriptor");
			cfg->stats_fd = (int)v;
			break;
		case O_REPORT:
			cfg->report = true;
			break;
		case 'h':
			usage_text(stdout);
			return EXIT_OK;
		default:
			if (optopt && optopt < 256)
				return usage_err("unknown option '-%c'", optopt);
			return usage_err("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_err("unexpected argument '%s'", argv[optind]);
	if (!have_listen)
		return usage_err("missing --listen ADDR:PORT");
	return -1;
}

/* ---- statistics ---- */

#define CTR(t, attr)	((t)->ctr[(attr) - EVS_STATS_A_FIRST_COUNTER])

struct totals {
	uint64_t ctr[EVS_NR_COUNTERS];
	uint64_t errors, rx_bytes, reads, store_rounds;
	uint64_t conns, inflight, inflight_high, paused;
	uint64_t store_events, store_bytes, pool_bytes;
	uint64_t lat[EVS_PRIO_NR][EVS_LAT_BUCKETS];
	uint64_t leaked;		/* pool objects not given back */
	unsigned int threads;
	double elapsed;
};

/* Sums the threads' counters; they may be running (relaxed reads). */
static void totals_read(struct evs_sink *s, struct totals *t)
{
	unsigned int i, k, b;

	memset(t, 0, sizeof(*t));
	t->threads = s->nio;
	for (i = 0; i < s->nio; i++) {
		struct evs_io_stats *st = &s->io[i].st;

		CTR(t, EVS_STATS_A_FRAMES) += EVS_STAT_READ(st->frames);
		CTR(t, EVS_STATS_A_BYTES) += EVS_STAT_READ(st->bytes);
		for (k = 0; k < EVS_PRIO_NR; k++)
			CTR(t, EVS_STATS_A_ENQ_RT + k) += EVS_STAT_READ(st->enq[k]);
		for (k = EVS_FRAME_ERR_MAGIC; k < EVS_FRAME_ERR_NR; k++) {
			uint64_t n = EVS_STAT_READ(st->err[k]);

			CTR(t, EVS_STATS_A_ERR_MAGIC + k - EVS_FRAME_ERR_MAGIC) += n;
			t->errors += n;
		}
		CTR(t, EVS_STATS_A_CONN_ACCEPTED) += EVS_STAT_READ(st->conn_accepted);
		CTR(t, EVS_STATS_A_CONN_CLOSED) += EVS_STAT_READ(st->conn_closed);
		CTR(t, EVS_STATS_A_PAUSES) += EVS_STAT_READ(st->pauses);
		CTR(t, EVS_STATS_A_RESUMES) += EVS_STAT_READ(st->resumes);
		CTR(t, EVS_STATS_A_ACKS) += EVS_STAT_READ(st->acks);
		CTR(t, EVS_STATS_A_POOL_FAILS) += EVS_STAT_READ(st->pool_fails);
		CTR(t, EVS_STATS_A_TRUNCATED) += EVS_STAT_READ(st->truncated);
		t->rx_bytes += EVS_STAT_READ(st->rx_bytes);
		t->reads += EVS_STAT_READ(st->reads);
		t->store_rounds += EVS_STAT_READ(st->stores);
		if (EVS_STAT_READ(st->inflight_high) > t->inflight_high)
			t->inflight_high = EVS_STAT_READ(st->inflight_high);
		CTR(t, EVS_STATS_A_EVICTED) += EVS_STAT_READ(st->evicted);
		for (k = 0; k < EVS_PRIO_NR; k++) {
			uint64_t n = EVS_STAT_READ(st->stored[k]);

			CTR(t, EVS_STATS_A_STORED) += n;
			CTR(t, EVS_STATS_A_DONE_RT + k) += n;
			for (b = 0; b < EVS_LAT_BUCKETS; b++)
				t->lat[k][b] += EVS_STAT_READ(st->lat[k][b]);
		}
	}
	t->conns = CTR(t, EVS_STATS_A_CONN_ACCEPTED) -
		   CTR(t, EVS_STATS_A_CONN_CLOSED);
	t->inflight = (uint64_t)atomic_load(&s->inflight);
	if (s->store.topics)
		evs_store_gauges(&s->store, &t->store_events, &t->store_bytes);
	t->pool_bytes = evs_pool_bytes();
}

/*
 * The upper bound of the histogram bucket holding quantile @permille, in
 * ns: the module's buckets are powers of two, so this is what they say.
 */
static uint64_t lat_quantile(const uint64_t *lat, unsigned int permille)
{
	uint64_t n = 0, rank, seen = 0;
	unsigned int b;

	for (b = 0; b < EVS_LAT_BUCKETS; b++)
		n += lat[b];
	if (!n)
		return 0;
	rank = (n * permille + 999) / 1000;
	for (b = 0; b < EVS_LAT_BUCKETS; b++) {
		seen += lat[b];
		if (seen >= rank)
			break;
	}
	return 2ULL << b;
}

static uint64_t lat_count(const uint64_t *lat)
{
	uint64_t n = 0;
	unsigned int b;

	for (b = 0; b < EVS_LAT_BUCKETS; b++)
		n += lat[b];
	return n;
}

static const char *mode_name(const struct evs_sink *s)
{
	return s->cfg.raw ? "raw" : "pipeline";
}

static void print_text(struct evs_sink *s, const struct totals *t, FILE *f)
{
	const char *us = evs_unit_us();
	int attr, p;

	fprintf(f, "evsink %s: %s, %u I/O thread%s, %.3f s\n", EVS_VERSION,
		mode_name(s), t->threads, t->threads == 1 ? "" : "s",
		t->elapsed);
	for (attr = EVS_STATS_A_FIRST_COUNTER; attr <= EVS_STATS_A_MAX; attr++)
		if (evs_counter_name(attr))
			fprintf(f, "%-16s %" PRIu64 "\n", evs_counter_name(attr),
				CTR(t, attr));
	fprintf(f, "%-16s %" PRIu64 "\n", "errors", t->errors);
	fprintf(f, "%-16s %" PRIu64 "\n", "rx_bytes", t->rx_bytes);
	fprintf(f, "%-16s %" PRIu64 "\n", "reads", t->reads);
	fprintf(f, "%-16s %" PRIu64 "\n", "conns", t->conns);
	fprintf(f, "%-16s %" PRIu64 "\n", "inflight", t->inflight);
	fprintf(f, "%-16s %" PRIu64 "\n", "inflight_high", t->inflight_high);
	fprintf(f, "%-16s %" PRIu64 "\n", "store_events", t->store_events);
	fprintf(f, "%-16s %" PRIu64 "\n", "store_bytes", t->store_bytes);
	fprintf(f, "%-16s %" PRIu64 "\n", "pool_bytes", t->pool_bytes);
	fprintf(f, "%-16s %" PRIu64 "\n", "store_rounds", t->store_rounds);
	for (p = 0; p < EVS_PRIO_NR; p++) {
		if (!lat_count(t->lat[p]))
			continue;
		fprintf(f, "latency_%-8s p50 <= %.3f %s, p99 <= %.3f %s, %" PRIu64 " events\n",
			p == EVS_PRIO_RT ? "rt" : p == EVS_PRIO_TX ? "tx" : "batch",
			lat_quantile(t->lat[p], 500) / 1e3, us,
			lat_quantile(t->lat[p], 990) / 1e3, us,
			lat_count(t->lat[p]));
	}
	fflush(f);
}

static void print_json(struct evs_sink *s, const struct totals *t, FILE *f)
{
	struct json j;
	int attr, p;

	json_init(&j, f, false);
	json_object_start(&j);
	json_kv_string(&j, "mode", mode_name(s));
	json_kv_u64(&j, "threads", t->threads);
	json_kv_decimal(&j, "elapsed_s", (uint64_t)(t->elapsed * 1e6 + 0.5), 6);
	for (attr = EVS_STATS_A_FIRST_COUNTER; attr <= EVS_STATS_A_MAX; attr++)
		if (evs_counter_name(attr))
			json_kv_u64(&j, evs_counter_name(attr), CTR(t, attr));
	json_kv_u64(&j, "errors", t->errors);
	json_kv_u64(&j, "rx_bytes", t->rx_bytes);
	json_kv_u64(&j, "reads", t->reads);
	json_kv_u64(&j, "conns", t->conns);
	json_kv_u64(&j, "inflight", t->inflight);
	json_kv_u64(&j, "inflight_high", t->inflight_high);
	json_kv_u64(&j, "store_events", t->store_events);
	json_kv_u64(&j, "store_bytes", t->store_bytes);
	json_kv_u64(&j, "pool_bytes", t->pool_bytes);
	json_kv_u64(&j, "store_rounds", t->store_rounds);
	json_kv_u64(&j, "leaked", t->leaked);
	json_key(&j, "latency_us");
	json_object_start(&j);
	for (p = 0; p < EVS_PRIO_NR; p++) {
		json_key(&j, evs_prio_name(p));
		json_object_start(&j);
		json_kv_u64(&j, "events", lat_count(t->lat[p]));
		json_kv_decimal(&j, "p50_max", lat_quantile(t->lat[p], 500), 3);
		json_kv_decimal(&j, "p99_max", lat_quantile(t->lat[p], 990), 3);
		json_object_end(&j);
	}
	json_object_end(&j);
	json_object_end(&j);
	json_finish(&j);
	fflush(f);
}

/* ---- setup and shutdown ---- */

/* Many connections need many descriptors: take what we may. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int listen_open(struct evs_sink *s)
{
	struct evs_addr *a = &s->cfg.listen;
	struct sockaddr_storage ss;
	socklen_t len = evs_addr_sockaddr(a, &ss);
	char addr[EVS_ADDR_STRLEN];
	int one = 1;

	s->lfd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (s->lfd < 0)
		goto err;
	if (setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->lfd, (struct sockaddr *)&ss, len) ||
	    listen(s->lfd, SOMAXCONN))
		goto err;
	len = sizeof(ss);
	if (getsockname(s->lfd, (struct sockaddr *)&ss, &len))
		goto err;
	/* Port 0 asked for any: say which we got. */
	a->port = ntohs(ss.ss_family == AF_INET6 ?
			((struct sockaddr_in6 *)&ss)->sin6_port :
			((struct sockaddr_in *)&ss)->sin_port);
	return 0;
err:
	fprintf(stderr, "evsink: listen on %s: %s\n",
		evs_addr_format(a, addr, sizeof(addr)), strerror(errno));
	return -1;
}

/* Stops the I/O threads; each stops between passes. */
static void threads_stop(struct evs_sink *s)
{
	unsigned int i;

	for (i = 0; i < s->nio; i++) {
		atomic_store(&s->io[i].stop, true);
		evs_io_wake(&s->io[i]);
	}
	for (i = 0; i < s->nio; i++)
		if (s->io[i].started)
			pthread_join(s->io[i].thread, NULL);
}

static int threads_start(struct evs_sink *s)
{
	char name[16];
	unsigned int i;
	int err;

	for (i = 0; i < s->nio; i++) {
		err = pthread_create(&s->io[i].thread, NULL, evs_io_main,
				     &s->io[i]);
		if (err)
			goto err;
		s->io[i].started = true;
		snprintf(name, sizeof(name), "evs-io/%u", i % 1000);
		pthread_setname_np(s->io[i].thread, name);
	}
	return 0;
err:
	fprintf(stderr, "evsink: pthread_create: %s\n", strerror(err));
	return -1;
}

static int setup(struct evs_sink *s)
{
	unsigned int i;
	size_t size;

	s->lfd = -1;
	atomic_init(&s->inflight, 0);
	atomic_init(&s->next_conn_id, 0);
	atomic_init(&s->next_io, 0);
	if (evs_pool_init() ||
	    (!s->cfg.raw && evs_store_init(&s->store, s->cfg.store_limit))) {
		fprintf(stderr, "evsink: out of memory\n");
		return -1;
	}
	if (listen_open(s))
		return -1;
	size = sizeof(*s->io) * s->cfg.threads;
	s->io = aligned_alloc(64, size);
	if (!s->io) {
		fprintf(stderr, "evsink: out of memory\n");
		return -1;
	}
	for (i = 0; i < s->cfg.threads; i++) {
		/* Counted first, so that cleanup frees a half-made one. */
		s->nio = i + 1;
		if (evs_io_init(&s->io[i], s, i)) {
			fprintf(stderr, "evsink: cannot set up I/O thread %u: %s\n",
				i, strerror(errno));
			return -1;
		}
	}
	return threads_start(s);
}

/* Frees everything; single-threaded.  Stores the leak count in @t. */
static void cleanup(struct evs_sink *s, struct totals *t)
{
	struct evs_pcache main_pc = { 0 };
	uint64_t allocs = 0, frees = 0;
	unsigned int i;

	for (i = 0; i < s->nio; i++)
		evs_io_teardown(&s->io[i]);
	/* The counters and gauges, now that nothing moves any more. */
	totals_read(s, t);
	evs_store_exit(&s->store, &main_pc);
	for (i = 0; i < s->nio; i++) {
		allocs += s->io[i].pc.allocs;
		frees += s->io[i].pc.frees;
	}
	frees += main_pc.frees;
	t->leaked = allocs - frees;
	if (t->leaked || atomic_load(&s->inflight))
		fprintf(stderr, "evsink: %" PRIu64 " events leaked, %d in flight\n",
			t->leaked, atomic_load(&s->inflight));
	for (i = 0; i < s->nio; i++)
		evs_io_free(&s->io[i]);
	free(s->io);
	s->io = NULL;
	s->nio = 0;
	if (s->lfd >= 0)
		close(s->lfd);
	evs_pool_exit();
}

int main(int argc, char **argv)
{
	struct evs_sink *s = &sink;
	char addr[EVS_ADDR_STRLEN];
	struct totals t;
	uint64_t t0;
	sigset_t set;
	FILE *out = NULL;
	int ret, sig;

	evs_units_locale();
	ret = parse_opts(argc, argv, s);
	if (ret >= 0)
		return ret;
	raise_nofile();
	/* Signals go to the main thread's sigwait(), never to an I/O thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (s->cfg.stats_fd >= 0) {
		out = fdopen(s->cfg.stats_fd, "w");
		if (!out) {
			fprintf(stderr, "evsink: --stats-fd %d: %s\n",
				s->cfg.stats_fd, strerror(errno));
			return EXIT_FAIL;
		}
	}

	t0 = evs_now_ns();
	ret = EXIT_OK;
	if (setup(s)) {
		ret = EXIT_FAIL;
	} else {
		fprintf(stderr, "evsink: listening on %s, %s, %u I/O thread%s\n",
			evs_addr_format(&s->cfg.listen, addr, sizeof(addr)),
			mode_name(s), s->nio, s->nio == 1 ? "" : "s");
		fflush(stderr);
		for (;;) {
			if (sigwait(&set, &sig))
				continue;
			if (sig != SIGUSR1)
				break;
			totals_read(s, &t);
			t.elapsed = (double)(evs_now_ns() - t0) / EVS_NSEC;
			print_text(s, &t, out ? out : stderr);
		}
	}
	threads_stop(s);
	cleanup(s, &t);
	t.elapsed = (double)(evs_now_ns() - t0) / EVS_NSEC;
	if (t.leaked)
		ret = EXIT_FAIL;
	if (!ret) {
		if (s->cfg.report)
			print_json(s, &t, out ? out : stdout);
		else
			print_text(s, &t, out ? out : stderr);
	}
	if (out)
		fclose(out);
	return ret;
}
