// SPDX-License-Identifier: GPL-2.0
/*
 * evctl -o prometheus stats: the counters, gauges and latency histograms
 * of GET_STATS in the Prometheus text exposition format (0.0.4), for the
 * node_exporter textfile collector (docs/monitoring.md) or anything else
 * that reads it.
 *
 * Metric names are built from the names the text and JSON output use
 * (stats_names.h, through evctl_counter_name() and evctl_gauge_name()):
 * "evstream_" NAME, "_bytes" for a size whose name does not say so, and
 * "_total" for a counter.  Counters that split one quantity by priority
 * or by kind of error become one family with a label, which is how
 * PromQL sums and compares them.  No timestamps: the textfile collector
 * refuses them, and a scrape's own time is the right one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <evstream/stats_names.h>

#include "evctl.h"
#include "json.h"

#define PROM_PREFIX		"evstream_"
/* The netns label without -n: evctl's own namespace, whatever it is. */
#define PROM_NETNS_DEFAULT	"default"
#define NSEC_PER_SEC		1000000000U

/* Longest name: prefix, a counter or gauge name, "_bytes_total". */
#define PROM_NAME_LEN		80

struct prom {
	FILE *f;
	const char *netns;
};

/*
 * Counters that are one quantity split by priority or by error kind:
 * attributes @first to @last, the k-th labelled @label="@value(k)".  The
 * asserts tie the attribute order to the enums the label values name.
 */
struct prom_group {
	int first, last;
	const char *family;
	const char *label;
	const char *(*value)(int k);
	const char *help;
};

_Static_assert(EVS_STATS_A_ENQ_BATCH - EVS_STATS_A_ENQ_RT ==
	       EVS_PRIO_BATCH - EVS_PRIO_RT, "enqueued_* follow enum evs_prio");
_Static_assert(EVS_STATS_A_DONE_BATCH - EVS_STATS_A_DONE_RT ==
	       EVS_PRIO_BATCH - EVS_PRIO_RT, "processed_* follow enum evs_prio");
_Static_assert(EVS_STATS_A_ERR_PRIORITY - EVS_STATS_A_ERR_MAGIC ==
	       EVS_ERR_PRIORITY - EVS_ERR_MAGIC,
	       "err_* follow enum evs_error_kind");

static const char *group_prio(int k)
{
	return evs_prio_name(EVS_PRIO_RT + k);
}

static const char *group_error(int k)
{
	return evs_error_kind_name(EVS_ERR_MAGIC + k);
}

static const struct prom_group groups[] = {
	{ EVS_STATS_A_ENQ_RT, EVS_STATS_A_ENQ_BATCH, "enqueued", "priority",
	  group_prio, "Events queued to a ring, by priority." },
	{ EVS_STATS_A_DONE_RT, EVS_STATS_A_DONE_BATCH, "processed", "priority",
	  group_prio, "Events processed by a consumer, by priority." },
	{ EVS_STATS_A_ERR_MAGIC, EVS_STATS_A_ERR_PRIORITY, "protocol_errors",
	  "kind", group_error,
	  "Frames refused for a bad header, by what was wrong with it." },
};

/* HELP text; proc.md's table says the same at more length. */
static const char *const counter_help[EVS_STATS_A_MAX + 1] = {
	[EVS_STATS_A_FRAMES]	= "Frames accepted from clients.",
	[EVS_STATS_A_BYTES]	= "Payload bytes accepted from clients.",
	[EVS_STATS_A_STORED]	= "Events appended to a topic store.",
	[EVS_STATS_A_EVICTED]	= "Events evicted by the store limit.",
	[EVS_STATS_A_CONN_ACCEPTED] = "Connections accepted.",
	[EVS_STATS_A_CONN_CLOSED] = "Connections closed, for any reason.",
	[EVS_STATS_A_CONN_REJECTED] =
		"Connections closed at accept: over the limit or out of memory.",
	[EVS_STATS_A_PAUSES]	= "Socket reads paused by backpressure.",
	[EVS_STATS_A_RESUMES]	= "Paused socket reads resumed.",
	[EVS_STATS_A_ACKS]	= "ACK frames sent.",
	[EVS_STATS_A_POOL_FAILS] =
		"Event allocations refused: pool limit reached or out of memory.",
	[EVS_STATS_A_TRUNCATED]	= "Connections that ended in the middle of a frame.",
	[EVS_STATS_A_NOMEM_RETRIES] =
		"Retries of reads paused for lack of memory.",
	[EVS_STATS_A_EARLY_BUFFERS] =
		"Frames given their buffer before all their payload arrived.",
};

static const char *const gauge_help[EVS_GAUGE_A_MAX + 1] = {
	[EVS_GAUGE_A_LISTENERS]	= "Listening sockets open.",
	[EVS_GAUGE_A_CONNS]	= "Client connections open.",
	[EVS_GAUGE_A_PAUSED]	= "Connections paused by backpressure.",
	[EVS_GAUGE_A_INFLIGHT]	= "Events accepted and not yet stored.",
	[EVS_GAUGE_A_INFLIGHT_HIGH] =
		"Highest number of events in flight since the module was loaded.",
	[EVS_GAUGE_A_STORE_EVENTS] = "Events held in the topic stores.",
	[EVS_GAUGE_A_STORE_BYTES] = "Bytes charged to the store limit.",
	[EVS_GAUGE_A_MEM_INFLIGHT] = "Kernel memory held by events in flight.",
	[EVS_GAUGE_A_MEM_CONNS]	=
		"Kernel memory held by connections and their windows.",
	[EVS_GAUGE_A_MEM_RINGS]	= "Kernel memory held by the per-CPU rings.",
	[EVS_GAUGE_A_MEM_OTHER]	=
		"Kernel memory held by topics, listeners and routes.",
	[EVS_GAUGE_A_MEM_USED]	= "Kernel memory the module holds in all.",
	[EVS_GAUGE_A_MEM_BUDGET] =
		"The most kernel memory the module can hold under the current settings.",
};

/*
 * A label value as the format wants it: backslash, double quote and line
 * feed escaped, and valid UTF-8 (a stray byte becomes U+FFFD).  Network
 * namespace names are file names, so any byte but '/' and NUL can come.
 */
static void label_value(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t n = json_utf8_len(s);

		if (!n) {
			fputs("\xef\xbf\xbd", f);
			s++;
			continue;
		}
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fwrite(s, 1, n, f);
		s += n;
	}
}

/* HELP text is ours: plain ASCII without backslashes or line feeds. */
static void family(const struct prom *p, const char *name, const char *type,
		   const char *help)
{
	fprintf(p->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * "NAME{netns="..."[,KEY="VAL"]" of a sample, left open so that a bucket
 * can add its le; @key NULL for no second label.
 */
static void sample_open(const struct prom *p, const char *name,
			const char *suffix, const char *key, const char *val)
{
	fprintf(p->f, "%s%s{netns=\"", name, suffix);
	label_value(p->f, p->netns);
	fputc('"', p->f);
	if (key) {
		fprintf(p->f, ",%s=\"", key);
		label_value(p->f, val);
		fputc('"', p->f);
	}
}

static void sample(const struct prom *p, const char *name, const char *key,
		   const char *val, uint64_t v)
{
	sample_open(p, name, "", key, val);
	fprintf(p->f, "} %" PRIu64 "\n", v);
}

/* evstream_NAME[_bytes][_total] */
static const char *metric_name(const char *base, bool size, bool counter,
			       char *buf, size_t len)
{
	size_t n = strlen(base);
	bool says_bytes = n >= 5 && !strcmp(base + n - 5, "bytes");

	snprintf(buf, len, PROM_PREFIX "%s%s%s", base,
		 size && !says_bytes ? "_bytes" : "",
		 counter ? "_total" : "");
	return buf;
}

static const struct prom_group *group_of(int attr)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(groups); i++)
		if (attr >= groups[i].first && attr <= groups[i].last)
			return &groups[i];
	return NULL;
}

static void group_print(const struct prom *p, const struct prom_group *gr,
			const struct evs_stats *st)
{
	char name[PROM_NAME_LEN], buf[16];
	bool any = false;
	int attr;

	for (attr = gr->first; attr <= gr->last; attr++)
		any |= st->present[attr - EVS_STATS_A_FIRST_COUNTER];
	if (!any)
		return;
	metric_name(gr->family, false, true, name, sizeof(name));
	family(p, name, "counter", gr->help);
	for (attr = gr->first; attr <= gr->last; attr++) {
		unsigned int i = attr - EVS_STATS_A_FIRST_COUNTER;
		int k = attr - gr->first;

		if (st->present[i])
			sample(p, name, gr->label,
			       evctl_name_or(gr->value(k), k, buf,
					     sizeof(buf)),
			       st->counters[i]);
	}
}

static void counters_print(const struct prom *p, const struct evs_stats *st)
{
	char name[PROM_NAME_LEN], buf[32], help[64];
	const char *base;
	unsigned int i;

	for (i = 0; i < EVS_NR_COUNTERS; i++) {
		int attr = EVS_STATS_A_FIRST_COUNTER + i;
		const struct prom_group *gr = group_of(attr);

		if (gr) {
			if (attr == gr->first)
				group_print(p, gr, st);
			continue;
		}
		if (!st->present[i])
			continue;
		base = evctl_counter_name(i, buf, sizeof(buf));
		metric_name(base, evctl_counter_is_size(i), true, name,
			    sizeof(name));
		/* A counter newer than this table still gets some help. */
		snprintf(help, sizeof(help), "The evstream counter %s.", base);
		family(p, name, "counter",
		       counter_help[attr] ? counter_help[attr] : help);
		sample(p, name, NULL, NULL, st->counters[i]);
	}
}

static void gauges_print(const struct prom *p, const struct evs_gauges *g)
{
	char name[PROM_NAME_LEN], buf[32], help[64];
	const char *base;
	unsigned int i;

	for (i = 0; i < EVS_NR_GAUGES; i++) {
		int attr = EVS_GAUGE_A_FIRST + i;

		if (!g->present[i])
			continue;
		base = evctl_gauge_name(i, buf, sizeof(buf));
		metric_name(base, evctl_gauge_is_size(i), false, name,
			    sizeof(name));
		snprintf(help, sizeof(help), "The evstream gauge %s.", base);
		family(p, name, "gauge",
		       gauge_help[attr] ? gauge_help[attr] : help);
		sample(p, name, NULL, NULL, g->values[i]);
	}
}

/*
 * Nanoseconds as seconds, exactly: 128 bits hold any sum of u64 counts
 * times bucket bounds.
 */
static void seconds(FILE *f, unsigned __int128 ns)
{
	unsigned __int128 s = ns / NSEC_PER_SEC;
	char buf[48];
	size_t i = sizeof(buf);

	buf[--i] = '\0';
	do {
		buf[--i] = (char)('0' + (unsigned int)(s % 10));
		s /= 10;
	} while (s);
	fprintf(f, "%s.%09u", buf + i, (unsigned int)(ns % NSEC_PER_SEC));
}

/*
 * Where _sum counts the events of bucket @i: its middle, 1.5 * 2^i ns,
 * which is at most 1.5 and at least 0.75 times the truth; the open last
 * bucket at its lower bound, the least they can have taken.  The module
 * keeps no sum, so this is the best the buckets allow.
 */
static uint64_t bucket_mid_ns(unsigned int i)
{
	if (!i)
		return 1;
	if (i == EVS_LAT_BUCKETS - 1)
		return 1ULL << i;
	return 3ULL << (i - 1);
}

/*
 * One priority's histogram.  Bucket i holds whole nanoseconds in
 * [2^i, 2^(i+1)), that is up to 2^(i+1) - 1 ns, which is its le: exact,
 * where 2^(i+1) would claim the events of that one nanosecond the next
 * bucket counts.  The last bucket has no bound: it is only in +Inf.
 * Cumulative counts wrap as the module's u64 counts do, so +Inf is
 * always _count.
 */
static void histogram_print(const struct prom *p, const char *name,
			    const char *prio, const uint64_t *buckets)
{
	unsigned __int128 sum_ns = 0;
	uint64_t run = 0;
	unsigned int i;

	for (i = 0; i < EVS_LAT_BUCKETS; i++) {
		run += buckets[i];
		sum_ns += (unsigned __int128)buckets[i] * bucket_mid_ns(i);
		if (i == EVS_LAT_BUCKETS - 1)
			break;
		sample_open(p, name, "_bucket", "priority", prio);
		fputs(",le=\"", p->f);
		seconds(p->f, evs_lat_bucket_upper_ns(i) - 1);
		fprintf(p->f, "\"} %" PRIu64 "\n", run);
	}
	sample_open(p, name, "_bucket", "priority", prio);
	fprintf(p->f, ",le=\"+Inf\"} %" PRIu64 "\n", run);
	sample_open(p, name, "_sum", "priority", prio);
	fputs("} ", p->f);
	seconds(p->f, sum_ns);
	fputc('\n', p->f);
	sample_open(p, name, "_count", "priority", prio);
	fprintf(p->f, "} %" PRIu64 "\n", run);
}

static void latency_print(const struct prom *p, const struct evs_latency *lat)
{
	static const char name[] = PROM_PREFIX "latency_seconds";
	unsigned int prio;
	bool any = false;
	char buf[16];

	for (prio = 0; prio < EVS_PRIO_NR; prio++)
		any |= lat->present[prio];
	if (!any)
		return;
	family(p, name, "histogram",
	       "Time from frame parsed to event stored, by priority (log2 buckets; _sum estimated from them).");
	for (prio = 0; prio < EVS_PRIO_NR; prio++)
		if (lat->present[prio])
			histogram_print(p, name,
					evctl_prio_name(prio, buf, sizeof(buf)),
					lat->buckets[prio]);
}

int evctl_prom_stats(const struct evctl *ctx, const char *module,
		     const struct evs_stats *st, const struct evs_gauges *g,
		     const struct evs_latency *lat)
{
	const struct prom p = {
		.f	= stdout,
		.netns	= ctx->netns_name ? ctx->netns_name :
			  PROM_NETNS_DEFAULT,
	};
	static const char info[] = PROM_PREFIX "module_info";

	family(&p, info, "gauge",
	       "The evstream module's version, in its label; always 1.");
	sample(&p, info, "version", module, 1);
	counters_print(&p, st);
	gauges_print(&p, g);
	latency_print(&p, lat);
	return EVCTL_OK;
}
