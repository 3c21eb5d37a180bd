// SPDX-License-Identifier: GPL-2.0
/*
 * evctl stats: the counters, gauges and latency histograms of the
 * caller's network namespace, once or every few seconds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evctl.h"
#include "units.h"

/* ANSI: cursor home, clear the screen; what watch(1) and top(1) do. */
#define CLEAR_SCREEN	"\033[H\033[2J"
/* stats -w: from a tenth of a second to a day. */
#define WATCH_MIN_MS	100
#define WATCH_MAX_MS	86400000ULL

struct stats_reply {
	bool seen;
	const char *bad;	/* why the reply is malformed, NULL if not */
	char module[64];
	struct evs_stats st;
	struct evs_gauges g;
	struct evs_latency lat;
};

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct stats_reply *r = data;
	const char *s;

	r->seen = true;
	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs))
		r->bad = "bad attributes";
	else if (evs_nl_get_str(tb[EVS_A_VERSION], &s))
		r->bad = "bad or missing module version";
	else if (strlen(s) >= sizeof(r->module))
		r->bad = "module version too long";
	else if (!tb[EVS_A_STATS] || evs_nl_parse_stats(tb[EVS_A_STATS],
							&r->st))
		r->bad = "bad or missing counters";
	/* Both newer than the counters: an older module has neither. */
	else if (tb[EVS_A_GAUGES] &&
		 evs_nl_parse_gauges(tb[EVS_A_GAUGES], &r->g))
		r->bad = "bad gauges";
	else if (tb[EVS_A_LATENCY] &&
		 evs_nl_parse_latency(tb[EVS_A_LATENCY], &r->lat))
		r->bad = "bad latency histogram";
	else
		strcpy(r->module, s);
	return MNL_CB_OK;
}

/* GET_STATS into @r; prints what went wrong. */
static int stats_fetch(struct evctl *ctx, struct stats_reply *r)
{
	int ret;

	memset(r, 0, sizeof(*r));
	ret = evctl_request(ctx, 0, NULL, EVS_CMD_GET_STATS, 0, stats_cb, r);
	if (ret)
		return ret;
	if (!r->seen || r->bad)
		return evctl_bad_reply(r->bad ? r->bad : "empty");
	return EVCTL_OK;
}

/*
 * The header's name of attribute @attr, or "KIND_ATTR" for one added
 * without a name: a key that stays the same from one run to the next.
 */
static const char *attr_name(const char *name, const char *kind, int attr,
			     char *buf, size_t size)
{
	if (name)
		return name;
	snprintf(buf, size, "%s_%d", kind, attr);
	return buf;
}

const char *evctl_gauge_name(unsigned int i, char *buf, size_t size)
{
	int attr = EVS_GAUGE_A_FIRST + i;

	return attr_name(evs_gauge_name(attr), "gauge", attr, buf, size);
}

const char *evctl_counter_name(unsigned int i, char *buf, size_t size)
{
	int attr = EVS_STATS_A_FIRST_COUNTER + i;

	return attr_name(evs_counter_name(attr), "counter", attr, buf, size);
}

/* What counter @i counts, for its rate: "1.2k events/s". */
static const char *counter_unit(unsigned int i)
{
	switch (EVS_STATS_A_FIRST_COUNTER + i) {
	case EVS_STATS_A_FRAMES:
	case EVS_STATS_A_EARLY_BUFFERS:
	case EVS_STATS_A_STORED:
	case EVS_STATS_A_EVICTED:
	case EVS_STATS_A_ENQ_RT ... EVS_STATS_A_DONE_BATCH:
		return "events";
	case EVS_STATS_A_ERR_MAGIC ... EVS_STATS_A_ERR_PRIORITY:
		return "errors";
	case EVS_STATS_A_CONN_ACCEPTED ... EVS_STATS_A_CONN_REJECTED:
	case EVS_STATS_A_TRUNCATED:
		return "conns";
	case EVS_STATS_A_PAUSES:
		return "pauses";
	case EVS_STATS_A_RESUMES:
		return "resumes";
	case EVS_STATS_A_ACKS:
		return "acks";
	case EVS_STATS_A_POOL_FAILS:
	case EVS_STATS_A_NOMEM_RETRIES:
		return "fails";
	default:
		return "";
	}
}

bool evctl_counter_is_size(unsigned int i)
{
	return EVS_STATS_A_FIRST_COUNTER + i == EVS_STATS_A_BYTES;
}

bool evctl_gauge_is_size(unsigned int i)
{
	int attr = EVS_GAUGE_A_FIRST + i;

	return attr == EVS_GAUGE_A_STORE_BYTES ||
	       (attr >= EVS_GAUGE_A_MEM_INFLIGHT &&
		attr <= EVS_GAUGE_A_MEM_BUDGET);
}

/* A value in text: a size in KiB, MiB, ..., anything else as it is. */
static const char *value_text(uint64_t v, bool size, char *buf, size_t len)
{
	if (size)
		return evctl_fmt_bytes(v, buf, len);
	snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/* A counter's rate in text: "1.2k events/s". */
static const char *rate_text(double rate, unsigned int i, char *buf,
			     size_t size)
{
	char n[EVCTL_UNIT_LEN];

	snprintf(buf, size, "%s %s/s", evctl_fmt_count(rate, n, sizeof(n)),
		 counter_unit(i));
	return buf;
}

void evctl_counters_print(enum print_type type, const char *key,
			  const struct evs_stats *st, bool skip_zero)
{
	unsigned int i;
	char buf[32];

	print_open_object(key);
	for (i = 0; i < EVS_NR_COUNTERS; i++) {
		enum print_type t = type;
		uint64_t v = st->counters[i];
		const char *name;

		if (!st->present[i])
			continue;
		if (skip_zero && !v && t == PRINT_ANY)
			t = PRINT_JSON;
		name = evctl_counter_name(i, buf, sizeof(buf));
		if (t != PRINT_JSON)
			print_string(PRINT_TEXT, NULL, "%s", name);
		if (evctl_counter_is_size(i))
			print_size(t, name, "%s", v);
		else
			print_u64(t, name, "%s", v);
	}
	print_close_object();
}

void evctl_gauges_print(enum print_type type, const char *key,
			const struct evs_gauges *g)
{
	unsigned int i;
	char buf[32];

	print_open_object(key);
	for (i = 0; i < EVS_NR_GAUGES; i++) {
		uint64_t v = g->values[i];
		const char *name;

		if (!g->present[i])
			continue;
		name = evctl_gauge_name(i, buf, sizeof(buf));
		if (type != PRINT_JSON)
			print_string(PRINT_TEXT, NULL, "%s", name);
		if (evctl_gauge_is_size(i))
			print_size(type, name, "%s", v);
		else
			print_u64(type, name, "%s", v);
	}
	print_close_object();
}

static bool any_gauge(const struct evs_gauges *g)
{
	unsigned int i;

	for (i = 0; i < EVS_NR_GAUGES; i++)
		if (g->present[i])
			return true;
	return false;
}

/* Per second, in thousandths: exact for any count over any interval. */
static uint64_t rate_milli(uint64_t delta, uint64_t interval_ns)
{
	unsigned __int128 v = (unsigned __int128)delta * 1000000000000ULL /
			      (interval_ns ? interval_ns : 1);

	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

void evctl_rates_print(const char *key, const struct evs_stats *delta,
		       uint64_t interval_ns)
{
	unsigned int i;
	char buf[32];

	print_open_object(key);
	for (i = 0; i < EVS_NR_COUNTERS; i++)
		if (delta->present[i])
			print_decimal(PRINT_JSON,
				      evctl_counter_name(i, buf, sizeof(buf)),
				      NULL, rate_milli(delta->counters[i],
						       interval_ns), 3);
	print_close_object();
}

/*
 * Counters run, gauges now, then one row per priority of latency.  A log2
 * histogram only knows the bucket, so each quantile is the upper bound of
 * its bucket: at most twice the truth, and never less.  The title says
 * so.  Counters and gauges share one column layout, a blank line between
 * them.  Counters the module did not send (an older module) are left out
 * rather than shown as 0, which would be a lie.
 */
static int stats_print(struct evctl *ctx, const struct stats_reply *r)
{
	static const char *const heads[] = { "NAME", "VALUE", NULL };
	static const char *const lat_heads[] = {
		"PRIO", "EVENTS", "P50", "P99", "P99.9", NULL
	};
	int ret, lat_ret = EVCTL_OK;
	unsigned int p;

	print_start(ctx);
	print_open_object(NULL);
	print_string(PRINT_JSON, "module_version", NULL, r->module);
	print_table_body_start(heads, "lr");
	evctl_counters_print(PRINT_ANY, "counters", &r->st, false);
	if (any_gauge(&r->g))
		print_table_gap();
	evctl_gauges_print(PRINT_ANY, "gauges", &r->g);
	ret = print_table_end();

	for (p = 0; p < EVS_PRIO_NR; p++)
		if (r->lat.present[p])
			break;
	if (p < EVS_PRIO_NR)
		print_text("\nlatency, parsed to stored (upper bounds of log2 buckets):\n");
	print_table_start(lat_heads, "lrrrr");
	print_open_array("latency");
	for (p = 0; p < EVS_PRIO_NR; p++) {
		if (!r->lat.present[p])
			continue;
		print_open_object(NULL);
		evctl_latency_print(p, r->lat.buckets[p], false);
		print_close_object();
	}
	print_close_array();
	lat_ret = print_table_end();
	print_close_object();
	return print_end() ?: ret ?: lat_ret;
}

/* ---- stats -w ---- */

struct watch {
	uint64_t ms;		/* the interval asked for */
	uint64_t count;		/* frames to show, 0: until interrupted */
};

/* "1", "0.5", "2.25": seconds with at most three decimals, into ms. */
static int parse_interval(const char *s, uint64_t *ms)
{
	const char *p = s;
	uint64_t v = 0;
	int decimals = -1;

	for (; *p; p++) {
		if (*p == '.' && decimals < 0 && p != s && p[1]) {
			decimals = 0;
			continue;
		}
		if (*p < '0' || *p > '9' || decimals == 3 ||
		    v > WATCH_MAX_MS)
			goto bad;
		v = v * 10 + (uint64_t)(*p - '0');
		if (decimals >= 0)
			decimals++;
	}
	for (decimals = decimals < 0 ? 0 : decimals; decimals < 3; decimals++)
		v *= 10;
	if (!*s || v < WATCH_MIN_MS || v > WATCH_MAX_MS)
		goto bad;
	*ms = v;
	return EVCTL_OK;
bad:
	return evctl_usage_err("invalid interval '%s' (seconds, 0.1 to 86400)",
			       s);
}

enum { OPT_WATCH, OPT_COUNT };

static const struct evctl_opt show_opts[] = {
	[OPT_WATCH] = { "-w", "--watch" },
	[OPT_COUNT] = { NULL, "--count" },
	{ NULL, NULL }
};

static int show_opt(unsigned int opt, const char *val, void *data)
{
	struct watch *w = data;

	if (opt == OPT_WATCH)
		return parse_interval(val, &w->ms);
	if (evctl_parse_u64("count", val, UINT32_MAX, &w->count))
		return EVCTL_USAGE;
	if (!w->count)
		return evctl_usage_err("invalid count '0'");
	return EVCTL_OK;
}

static uint64_t ts_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000ULL + (uint64_t)t->tv_nsec;
}

/*
 * Counter changes from @prev to @cur.  A counter that went down was reset
 * (stats reset) in between: what it counted since is the best guess.
 */
static void stats_delta(const struct evs_stats *prev,
			const struct evs_stats *cur, struct evs_stats *d)
{
	unsigned int i;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < EVS_NR_COUNTERS; i++) {
		if (!prev->present[i] || !cur->present[i])
			continue;
		d->present[i] = true;
		d->counters[i] = cur->counters[i] >= prev->counters[i] ?
				 cur->counters[i] - prev->counters[i] :
				 cur->counters[i];
	}
}

/*
 * One frame; @d is NULL for the first, which has nothing to compare, and
 * for the first after the module came back (@restarted: the header says
 * why).  @wall is when its counters were read: lines saved to a file or sent on
 * can be placed in time without the reader's clock.  JSON has the
 * counters, their changes and their rates as three objects; text one
 * table with a row per counter.
 */
static int frame_print(struct evctl *ctx, const struct watch *w,
		       const struct stats_reply *r, const struct evs_stats *d,
		       uint64_t interval_ns, const struct timespec *wall,
		       bool restarted)
{
	static const char *const heads[] = {
		"COUNTER", "VALUE", "DELTA", "RATE", NULL
	};
	static const char *const gauge_heads[] = { "GAUGE", "VALUE", NULL };
	char name[32], buf[2 * EVCTL_UNIT_LEN], stamp[16];
	int ret, gauge_ret;
	unsigned int i;
	struct tm tm;

	print_start(ctx);
	print_open_object(NULL);
	print_u64(PRINT_JSON, "timestamp_ms", NULL,
		  (uint64_t)wall->tv_sec * 1000 +
		  (uint64_t)wall->tv_nsec / 1000000);
	strftime(stamp, sizeof(stamp), "%H:%M:%S",
		 localtime_r(&wall->tv_sec, &tm));
	print_text("Every %g s: evctl stats  %s", w->ms / 1000.0, stamp);
	if (d) {
		print_u64(PRINT_JSON, "interval_ms", NULL,
			  (interval_ns + 500000) / 1000000);
		print_text("  (interval %.3f s)", interval_ns / 1e9);
	} else {
		print_null(PRINT_JSON, "interval_ms", NULL);
		if (restarted)
			print_text("  (counters restarted: module reloaded)");
	}
	print_text("\n\n");

	evctl_counters_print(PRINT_JSON, "counters", &r->st, false);
	if (d) {
		evctl_counters_print(PRINT_JSON, "deltas", d, false);
		evctl_rates_print("rates", d, interval_ns);
	} else {
		print_null(PRINT_JSON, "deltas", NULL);
		print_null(PRINT_JSON, "rates", NULL);
	}
	print_table_start(heads, "lrrl");
	for (i = 0; i < EVS_NR_COUNTERS; i++) {
		bool size = evctl_counter_is_size(i);
		double rate;

		if (!r->st.present[i])
			continue;
		print_string(PRINT_TEXT, NULL, "%s",
			     evctl_counter_name(i, name, sizeof(name)));
		print_string(PRINT_TEXT, NULL, "%s",
			     value_text(r->st.counters[i], size, buf,
					sizeof(buf)));
		if (!d || !d->present[i]) {
			print_string(PRINT_TEXT, NULL, "%s", "-");
			print_string(PRINT_TEXT, NULL, "%s", "-");
			continue;
		}
		print_string(PRINT_TEXT, NULL, "%s",
			     value_text(d->counters[i], size, buf,
					sizeof(buf)));
		rate = d->counters[i] * 1e9 / (interval_ns ? interval_ns : 1);
		if (size)
			print_string(PRINT_TEXT, NULL, "%s/s",
				     evctl_fmt_bytes(rate, buf, sizeof(buf)));
		else
			print_string(PRINT_TEXT, NULL, "%s",
				     rate_text(rate, i, buf, sizeof(buf)));
	}
	ret = print_table_end();

	if (any_gauge(&r->g))
		print_text("\n");
	print_table_start(gauge_heads, "lr");
	evctl_gauges_print(PRINT_ANY, "gauges", &r->g);
	gauge_ret = print_table_end();
	print_close_object();
	return print_end() ?: ret ?: gauge_ret;
}

/* What the module did since the last look; see watch_fetch(). */
enum watch_module {
	MODULE_UP,	/* the same module as at the last frame */
	MODULE_BACK,	/* loaded since: its counters started again */
	MODULE_GONE,	/* not loaded */
};

/*
 * GET_STATS for stats -w, which outlives the module: *@state says what
 * became of it, and with MODULE_GONE there is no frame.  The family id of
 * a module loaded again is new, so an ENOENT for the one we had means it
 * went away, perhaps to come back at once.  What it did is said on
 * stderr, the way tail -F tells of its file.  Returns the exit status,
 * after printing what went wrong.
 */
static int watch_fetch(struct evctl *ctx, struct stats_reply *r,
		       enum watch_module *state)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct evs_nl *nl;
	uint16_t id;
	int ret, err;

	/* Open since the first frame; its family is 0 while gone. */
	ret = evctl_nl_any(ctx, &nl);
	if (ret)
		return ret;
	if (*state != MODULE_GONE) {
		memset(r, 0, sizeof(*r));
		nlh = evs_nl_req(nl, buf, EVS_CMD_GET_STATS, 0);
		err = evs_nl_talk(nl, nlh, stats_cb, r);
		if (err != -ENOENT) {
			*state = MODULE_UP;
			if (err)
				return evctl_nl_err(ctx, err);
			if (!r->seen || r->bad)
				return evctl_bad_reply(r->bad ? r->bad : "empty");
			return EVCTL_OK;
		}
	}
	err = evs_nl_resolve_family(nl, EVS_GENL_NAME, &id, &nl->version);
	if (err == -ENOENT) {
		if (*state != MODULE_GONE)
			evctl_err("module unloaded; waiting for it to be loaded again");
		*state = MODULE_GONE;
		nl->family = 0;
		return EVCTL_OK;
	}
	if (err)
		return evctl_nl_err(ctx, err);
	if (*state == MODULE_GONE) {
		evctl_err("module loaded again; counters restarted");
		*state = MODULE_BACK;
	} else if (id != nl->family) {
		evctl_err("module reloaded; counters restarted");
		*state = MODULE_BACK;
	} else {
		/* The module's own ENOENT: asked again, for its message. */
		*state = MODULE_UP;
	}
	nl->family = id;
	return stats_fetch(ctx, r);
}

/*
 * Frames at fixed times (start + n * interval), so they do not drift by
 * the time each takes; a frame that comes too late (a stopped process, a
 * slow system) moves the schedule rather than being caught up in a burst.
 * While the module is not loaded there are no frames; the first after it
 * came back has nothing to compare with, like the very first.
 */
static int stats_watch(struct evctl *ctx, const struct watch *w)
{
	bool tty = !ctx->json && isatty(STDOUT_FILENO);
	enum watch_module state = MODULE_UP;
	struct stats_reply r[2];
	struct timespec t[2], next, wall, now;
	struct evs_stats d;
	uint64_t n = 0, interval_ns = 0;
	unsigned int c = 0;	/* r[c], t[c]: this frame; [!c] the last */
	bool fresh = true;	/* no last frame to compare with */
	int ret;

	/* The first look as for any command: no module, no watch. */
	ret = stats_fetch(ctx, &r[c]);
	if (ret)
		return ret;
	evctl_catch_stop();
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		ret = n ? watch_fetch(ctx, &r[c], &state) : EVCTL_OK;
		if (ret)
			return ret;
		if (state == MODULE_BACK)
			fresh = true;
		if (state != MODULE_GONE) {
			struct stats_reply *cur = &r[c], *prev = &r[!c];

			clock_gettime(CLOCK_MONOTONIC, &t[c]);
			clock_gettime(CLOCK_REALTIME, &wall);
			if (!fresh) {
				interval_ns = ts_ns(&t[c]) - ts_ns(&t[!c]);
				stats_delta(&prev->st, &cur->st, &d);
			}
			if (!ctx->json)
				fputs(tty ? CLEAR_SCREEN : n ? "\n" : "",
				      stdout);
			ret = frame_print(ctx, w, cur, fresh ? NULL : &d,
					  interval_ns, &wall,
					  state == MODULE_BACK);
			if (ret)
				return ret;
			/* Each frame whole, as it comes, also into a pipe. */
			if (fflush(stdout) || ferror(stdout))
				return evctl_err("write error");
			fresh = false;
			c = !c;
			if (++n == w->count)
				break;
		}

		next.tv_sec += (time_t)(w->ms / 1000);
		next.tv_nsec += (long)(w->ms % 1000) * 1000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ts_ns(&next) < ts_ns(&now))
			next = now;
		if (evctl_wait(-1, &next) < 0)
			break;
	}
	return EVCTL_OK;
}

static int stats_show(struct evctl *ctx, int argc, char **argv)
{
	struct watch w = { 0 };
	struct stats_reply r;
	int ret;

	ret = evctl_parse_opts(ctx, argc, argv, show_opts, show_opt, &w);
	if (ret)
		return ret;
	if (w.count && !w.ms)
		return evctl_usage_err("'--count' needs '--watch'");
	/* A scrape is one snapshot; rates are the scraper's business. */
	if (w.ms && ctx->prom)
		return evctl_usage_err("'--watch' has no prometheus output");
	if (w.ms)
		return stats_watch(ctx, &w);

	ret = stats_fetch(ctx, &r);
	if (ret)
		return ret;
	if (ctx->prom)
		return evctl_prom_stats(ctx, r.module, &r.st, &r.g, &r.lat);
	return stats_print(ctx, &r);
}

static int stats_reset(struct evctl *ctx, int argc, char **argv)
{
	return evctl_request(ctx, argc, argv, EVS_CMD_STATS_RESET, 0, NULL,
			     NULL);
}

static const struct evctl_verb stats_verbs[] = {
	{ "show", "[-w SECONDS [--count N]]",
	  "counters, gauges and latency; with -w every SECONDS",
	  stats_show },
	{ "reset", NULL, "zero the counters (needs CAP_NET_ADMIN)",
	  stats_reset },
	{ NULL }
};

const struct evctl_object evctl_obj_stats = {
	.name	= "stats",
	.verbs	= stats_verbs,
	.prom_verb = &stats_verbs[0],
	.notes	=
	"Counters run since load or reset; gauges are values now.  Latency is\n"
	"from frame parsed to event stored, per priority, from log2\n"
	"histograms: a quantile is the upper bound of its bucket.\n"
	"-w, --watch SECONDS: show counters and gauges again every SECONDS\n"
	"  (0.1 to 86400, decimals allowed) with each counter's change since\n"
	"  the last frame and its rate per second, until Ctrl-C; the screen is\n"
	"  cleared between frames on a terminal.  --count N stops after N\n"
	"  frames.  The first frame has nothing to compare with.  Should the\n"
	"  module be unloaded, it says so on stderr and waits; the first frame\n"
	"  after it is back has nothing to compare with either.\n"
	"JSON: an object with the keys\n"
	"  module_version, counters {NAME: n}, gauges {NAME: n},\n"
	"  latency [{prio, events, p50_us, p99_us, p999_us, buckets}]\n"
	"  (p*_us: number with 3 decimals, null when empty or past the last\n"
	"  bucket's bound; buckets: the 40 counts, bucket i < 2^(i+1) ns).\n"
	"  With -w one object per line and frame, with the keys\n"
	"  timestamp_ms (when its counters were read: milliseconds since\n"
	"  1970-01-01 UTC), counters, gauges, deltas {NAME: n},\n"
	"  rates {NAME: per second}, interval_ms (since the last frame;\n"
	"  deltas, rates and interval_ms are null in the first frame and in\n"
	"  the first after the module came back).\n"
	"  See docs/json.md.\n"
	"-o prometheus: counters, gauges and latency histograms in the\n"
	"  Prometheus text format, names evstream_*, labels netns (the -n\n"
	"  argument, else \"default\"), priority and kind (of protocol\n"
	"  error); not with -w.  See evctl(8) and docs/monitoring.md.\n",
};
