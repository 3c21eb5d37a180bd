// SPDX-License-Identifier: GPL-2.0
/*
 * evctl stats: the counters, gauges and latency histograms of the
 * caller's network namespace.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "evctl.h"
#include "table.h"

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
	if (evs_nl_parse(nlh, tb, EVS_A_MAX))
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

static const char *gauge_name(unsigned int i, char *buf, size_t size)
{
	int attr = EVS_GAUGE_A_FIRST + i;
	const char *name = evs_gauge_name(attr);

	if (name)
		return name;
	snprintf(buf, size, "gauge_%d", attr);
	return buf;
}

/* Quantiles shown, in permille. */
static const unsigned int quantiles[] = { 500, 990, 999 };
static const char *const quantile_keys[] = { "p50_us", "p99_us", "p999_us" };

#define NR_QUANTILES ARRAY_SIZE(quantiles)

/*
 * The upper bound of the bucket holding quantile @q of @buckets, in ns;
 * UINT64_MAX for the open last bucket, 0 for an empty histogram.
 */
static uint64_t quantile_ns(const uint64_t *buckets, unsigned int q)
{
	int b = evs_lat_quantile(buckets, q, NULL);

	return b < 0 ? 0 : evs_lat_bucket_upper_ns(b);
}

static uint64_t lat_events(const uint64_t *buckets)
{
	uint64_t total;

	evs_lat_quantile(buckets, 500, &total);
	return total;
}

/* ns as µs with three decimals, "-" for none, "inf" for no bound. */
static const char *us_text(uint64_t ns, bool empty, char *buf, size_t size)
{
	if (empty)
		snprintf(buf, size, "-");
	else if (ns == UINT64_MAX)
		snprintf(buf, size, "inf");
	else
		snprintf(buf, size, "%" PRIu64 ".%03" PRIu64, ns / 1000,
			 ns % 1000);
	return buf;
}

/* The header's names, in case a counter was added without one. */
static const char *counter_name(unsigned int i, char *buf, size_t size)
{
	int attr = EVS_STATS_A_FIRST_COUNTER + i;
	const char *name = evs_counter_name(attr);

	if (name)
		return name;
	snprintf(buf, size, "counter_%d", attr);
	return buf;
}

static unsigned int u64_width(uint64_t v)
{
	unsigned int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/*
 * Counters the module did not send (an older module) are left out rather
 * than shown as 0, which would be a lie.  Counters and gauges share one
 * column layout, a blank line between them.
 */
static void stats_print(const struct stats_reply *r)
{
	const struct evs_stats *st = &r->st;
	const struct evs_gauges *g = &r->g;
	unsigned int i, name_w = 0, val_w = 0;
	bool any_gauge = false;
	char buf[32];

	for (i = 0; i < EVS_NR_COUNTERS; i++) {
		const char *name = counter_name(i, buf, sizeof(buf));

		if (!st->present[i])
			continue;
		if (strlen(name) > name_w)
			name_w = strlen(name);
		if (u64_width(st->counters[i]) > val_w)
			val_w = u64_width(st->counters[i]);
	}
	for (i = 0; i < EVS_NR_GAUGES; i++) {
		const char *name = gauge_name(i, buf, sizeof(buf));

		if (!g->present[i])
			continue;
		any_gauge = true;
		if (strlen(name) > name_w)
			name_w = strlen(name);
		if (u64_width(g->values[i]) > val_w)
			val_w = u64_width(g->values[i]);
	}
	for (i = 0; i < EVS_NR_COUNTERS; i++) {
		if (!st->present[i])
			continue;
		printf("%-*s  %*" PRIu64 "\n", (int)name_w,
		       counter_name(i, buf, sizeof(buf)), (int)val_w,
		       st->counters[i]);
	}
	if (any_gauge)
		putchar('\n');
	for (i = 0; i < EVS_NR_GAUGES; i++) {
		if (!g->present[i])
			continue;
		printf("%-*s  %*" PRIu64 "\n", (int)name_w,
		       gauge_name(i, buf, sizeof(buf)), (int)val_w,
		       g->values[i]);
	}
}

/*
 * One row per priority.  A log2 histogram only knows the bucket, so each
 * quantile is the upper bound of its bucket: at most twice the truth, and
 * never less.  The header says so.
 */
static int latency_print(const struct evs_latency *lat)
{
	static const char *const heads[] = {
		"PRIO", "EVENTS", "P50_US", "P99_US", "P999_US", NULL
	};
	unsigned int p, q;
	struct table t;
	char buf[32];

	for (p = 0; p < EVS_PRIO_NR; p++)
		if (lat->present[p])
			break;
	if (p == EVS_PRIO_NR)
		return EVCTL_OK;

	printf("\nlatency, parsed to stored (us, upper bounds of log2 buckets):\n");
	table_init(&t, heads, "lrrrr");
	for (p = 0; p < EVS_PRIO_NR; p++) {
		const uint64_t *b = lat->buckets[p];
		uint64_t n;

		if (!lat->present[p])
			continue;
		n = lat_events(b);
		table_cell(&t, "%s", evctl_prio_name(p, buf, sizeof(buf)));
		table_cell(&t, "%" PRIu64, n);
		for (q = 0; q < NR_QUANTILES; q++)
			table_cell(&t, "%s",
				   us_text(quantile_ns(b, quantiles[q]), !n,
					   buf, sizeof(buf)));
	}
	return table_print(&t);
}

static void stats_json(struct json *j, const struct stats_reply *r)
{
	unsigned int i;
	char buf[32];

	json_object_start(j);
	json_kv_string(j, "version", r->module);
	json_key(j, "counters");
	json_object_start(j);
	for (i = 0; i < EVS_NR_COUNTERS; i++)
		if (r->st.present[i])
			json_kv_u64(j, counter_name(i, buf, sizeof(buf)),
				    r->st.counters[i]);
	json_object_end(j);
	json_key(j, "gauges");
	json_object_start(j);
	for (i = 0; i < EVS_NR_GAUGES; i++)
		if (r->g.present[i])
			json_kv_u64(j, gauge_name(i, buf, sizeof(buf)),
				    r->g.values[i]);
	json_object_end(j);
	json_key(j, "latency");
	json_array_start(j);
	for (i = 0; i < EVS_PRIO_NR; i++) {
		const uint64_t *b = r->lat.buckets[i];
		uint64_t n = lat_events(b);
		unsigned int q;

		if (!r->lat.present[i])
			continue;
		json_object_start(j);
		json_kv_string(j, "prio", evctl_prio_name(i, buf, sizeof(buf)));
		json_kv_u64(j, "events", n);
		for (q = 0; q < NR_QUANTILES; q++) {
			uint64_t ns = quantile_ns(b, quantiles[q]);

			json_key(j, quantile_keys[q]);
			if (!n || ns == UINT64_MAX)
				json_null(j);
			else
				json_decimal(j, ns, 3);
		}
		json_key(j, "buckets");
		json_array_start(j);
		for (q = 0; q < EVS_LAT_BUCKETS; q++)
			json_u64(j, b[q]);
		json_array_end(j);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

static int stats_show(struct evctl *ctx, int argc, char **argv)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct stats_reply r = { 0 };
	struct nlmsghdr *nlh;
	struct evs_nl *nl;
	struct json j;
	int ret;

	ret = evctl_no_args(argc, argv);
	if (ret)
		return ret;
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, EVS_CMD_GET_STATS, 0);
	ret = evctl_talk(ctx, nlh, stats_cb, &r);
	if (ret)
		return ret;
	if (!r.seen || r.bad)
		return evctl_err("malformed reply from the kernel: %s",
				 r.bad ? r.bad : "empty");

	if (!ctx->json) {
		stats_print(&r);
		return latency_print(&r.lat);
	}
	evctl_json_begin(ctx, &j);
	stats_json(&j, &r);
	return evctl_json_end(&j);
}

static int stats_reset(struct evctl *ctx, int argc, char **argv)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct evs_nl *nl;
	int ret;

	ret = evctl_no_args(argc, argv);
	if (ret)
		return ret;
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, EVS_CMD_STATS_RESET, 0);
	return evctl_talk(ctx, nlh, NULL, NULL);
}

static const struct evctl_verb stats_verbs[] = {
	{ "show", NULL, "counters, gauges and latency of this network namespace",
	  stats_show },
	{ "reset", NULL, "zero the counters (needs CAP_NET_ADMIN)",
	  stats_reset },
	{ NULL }
};

const struct evctl_object evctl_obj_stats = {
	.name	= "stats",
	.verbs	= stats_verbs,
	.notes	=
	"Counters run since load or reset; gauges are values now.  Latency is\n"
	"from frame parsed to event stored, per priority, from log2\n"
	"histograms: a quantile is the upper bound of its bucket, in us.\n"
	"JSON: an object with the keys\n"
	"  version, counters {NAME: n}, gauges {NAME: n},\n"
	"  latency [{prio, events, p50_us, p99_us, p999_us, buckets}]\n"
	"  (p*_us: number with 3 decimals, null when empty or past the last\n"
	"  bucket's bound; buckets: the 40 counts, bucket i < 2^(i+1) ns)\n",
};
