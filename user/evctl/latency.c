// SPDX-License-Identifier: GPL-2.0
/*
 * evctl latency: the latency histograms of the caller's network namespace,
 * frame parsed to event stored, per priority; and the quantile helpers
 * evctl stats shares.
 */
#include <inttypes.h>
#include <stdio.h>

#include "evctl.h"
#include "table.h"
#include "units.h"

/* Width of the longest histogram bar. */
#define BAR_WIDTH	40

/* Quantiles shown, in permille, and their JSON keys. */
static const unsigned int quantiles[EVCTL_NR_QUANTILES] = { 500, 990, 999 };

static const char *const quantile_keys[EVCTL_NR_QUANTILES] = {
	"p50_us", "p99_us", "p999_us"
};

static const char *const quantile_names[EVCTL_NR_QUANTILES] = {
	"p50", "p99", "p99.9"
};

uint64_t evctl_lat_events(const uint64_t *buckets)
{
	uint64_t total;

	evs_lat_quantile(buckets, 500, &total);
	return total;
}

/*
 * The upper bound of the bucket holding quantile @q of @buckets, in ns;
 * UINT64_MAX for the open last bucket, 0 for an empty histogram.  A log2
 * histogram only knows the bucket: at most twice the truth, never less.
 */
static uint64_t quantile_ns(const uint64_t *buckets, unsigned int q)
{
	int b = evs_lat_quantile(buckets, quantiles[q], NULL);

	return b < 0 ? 0 : evs_lat_bucket_upper_ns(b);
}

const char *evctl_lat_quantile_text(const uint64_t *buckets, unsigned int q,
				    char *buf, size_t size)
{
	uint64_t ns = quantile_ns(buckets, q);

	if (!ns)
		snprintf(buf, size, "-");
	else if (ns == UINT64_MAX)
		snprintf(buf, size, "inf");
	else
		evctl_fmt_ns(ns, buf, size);
	return buf;
}

void evctl_latency_json(struct json *j, unsigned int prio,
			const uint64_t *buckets)
{
	uint64_t n = evctl_lat_events(buckets);
	unsigned int q;
	char buf[8];

	json_kv_string(j, "prio", evctl_prio_name(prio, buf, sizeof(buf)));
	json_kv_u64(j, "events", n);
	for (q = 0; q < EVCTL_NR_QUANTILES; q++) {
		uint64_t ns = quantile_ns(buckets, q);

		json_key(j, quantile_keys[q]);
		if (!n || ns == UINT64_MAX)
			json_null(j);
		else
			json_decimal(j, ns, 3);
	}
	json_key(j, "buckets");
	json_array_start(j);
	for (q = 0; q < EVS_LAT_BUCKETS; q++)
		json_u64(j, buckets[q]);
	json_array_end(j);
}

struct lat_item {
	uint8_t prio;
	uint64_t buckets[EVS_LAT_BUCKETS];
};

static const char *lat_parse(const struct nlattr **tb, void *item)
{
	struct lat_item *l = item;

	if (evs_nl_parse_lat_prio(tb[EVS_A_LAT_PRIO], &l->prio, l->buckets))
		return "bad or missing latency histogram";
	return NULL;
}

/* "1.0 µs .. 2.0 µs": the bounds of bucket @i, [2^i, 2^(i+1)) ns. */
static const char *bucket_text(unsigned int i, char *buf, size_t size)
{
	char lo[EVCTL_UNIT_LEN], hi[EVCTL_UNIT_LEN];

	if (i == EVS_LAT_BUCKETS - 1)
		snprintf(buf, size, ">= %s",
			 evctl_fmt_ns(1ULL << i, lo, sizeof(lo)));
	else
		snprintf(buf, size, "%s .. %s",
			 evctl_fmt_ns(i ? 1ULL << i : 0, lo, sizeof(lo)),
			 evctl_fmt_ns(evs_lat_bucket_upper_ns(i), hi,
				      sizeof(hi)));
	return buf;
}

/*
 * A priority: its count and quantiles on one line, then the buckets that
 * counted anything, each with its share and a bar scaled to the fullest.
 */
static int lat_print_one(const struct lat_item *l)
{
	static const char *const heads[] = {
		"LATENCY", "COUNT", "SHARE", "", NULL
	};
	char buf[2 * EVCTL_UNIT_LEN + 8];
	uint64_t n = evctl_lat_events(l->buckets), max = 0;
	struct table t;
	unsigned int i;

	printf("%s: %" PRIu64 " event%s",
	       evctl_prio_name(l->prio, buf, sizeof(buf)), n,
	       n == 1 ? "" : "s");
	for (i = 0; n && i < EVCTL_NR_QUANTILES; i++)
		printf(", %s %s", quantile_names[i],
		       evctl_lat_quantile_text(l->buckets, i, buf,
					       sizeof(buf)));
	putchar('\n');

	for (i = 0; i < EVS_LAT_BUCKETS; i++)
		if (l->buckets[i] > max)
			max = l->buckets[i];
	table_init(&t, heads, "lrrl");
	for (i = 0; i < EVS_LAT_BUCKETS; i++) {
		uint64_t c = l->buckets[i];
		double share = (double)BAR_WIDTH * c / max;
		unsigned int bar = (unsigned int)share;

		if (!c)
			continue;
		/* Rounded up: every bucket that counted gets a mark. */
		if (bar < share)
			bar++;
		table_cell(&t, "%s", bucket_text(i, buf, sizeof(buf)));
		table_cell(&t, "%" PRIu64, c);
		table_cell(&t, "%.1f%%", 100.0 * c / n);
		table_cell(&t, "%.*s", (int)bar,
			   "########################################");
	}
	return table_print(&t);
}

static void lat_json(struct json *j, const void *item)
{
	const struct lat_item *l = item;

	evctl_latency_json(j, l->prio, l->buckets);
}

static int lat_text(const void *items, size_t nr)
{
	const struct lat_item *v = items;
	size_t i;
	int ret;

	for (i = 0; i < nr; i++) {
		if (i)
			putchar('\n');
		ret = lat_print_one(&v[i]);
		if (ret)
			return ret;
	}
	return EVCTL_OK;
}

static const struct evctl_list lat_list = {
	.cmd	= EVS_CMD_LATENCY_GET,
	.size	= sizeof(struct lat_item),
	.parse	= lat_parse,
	.json	= lat_json,
	.text	= lat_text,
};

static int lat_show(struct evctl *ctx, int argc, char **argv)
{
	return evctl_list_show(ctx, argc, argv, &lat_list);
}

static const struct evctl_verb lat_verbs[] = {
	{ "show", NULL, "latency histograms, parsed to stored, per priority",
	  lat_show },
	{ NULL }
};

const struct evctl_object evctl_obj_latency = {
	.name	= "latency",
	.verbs	= lat_verbs,
	.notes	=
	"Per priority: events counted and the p50, p99 and p99.9 latency, then\n"
	"each bucket that counted anything: its range, count, share and a bar.\n"
	"Bucket 0 holds latencies below 2 ns, bucket i those in\n"
	"[2^i, 2^(i+1)) ns, the last everything above; a quantile is the upper\n"
	"bound of its bucket, so at most twice the truth and never less.\n"
	"JSON: an array of objects with the keys\n"
	"  prio, events, p50_us, p99_us, p999_us (number with 3 decimals, null\n"
	"  when empty or in the open last bucket), buckets (the 40 counts)\n",
};
