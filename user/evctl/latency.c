// SPDX-License-Identifier: GPL-2.0
/*
 * evctl latency: the latency histograms of the caller's network namespace,
 * frame parsed to event stored, per priority; and the quantile helpers
 * evctl stats shares.
 */
#include <inttypes.h>
#include <stdio.h>

#include "evctl.h"
#include "units.h"

/* Width of the longest histogram bar. */
#define BAR_WIDTH	40

/* Quantiles shown, in permille, and their JSON keys. */
static const unsigned int quantiles[EVCTL_NR_QUANTILES] = { 500, 990, 999 };

static const char *const quantile_keys[EVCTL_NR_QUANTILES] = {
	"p50_us", "p99_us", "p999_us"
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
 * The buckets that counted anything, each with its share and a bar
 * scaled to the fullest.
 */
static int histogram_print(const uint64_t *buckets, uint64_t n)
{
	static const char *const heads[] = {
		"LATENCY", "COUNT", "SHARE", "", NULL
	};
	char buf[2 * EVCTL_UNIT_LEN + 8];
	uint64_t max = 0;
	unsigned int i;

	for (i = 0; i < EVS_LAT_BUCKETS; i++)
		if (buckets[i] > max)
			max = buckets[i];
	print_table_start(heads, "lrrl");
	for (i = 0; i < EVS_LAT_BUCKETS; i++) {
		uint64_t c = buckets[i];
		double share;
		unsigned int bar;

		if (!c)
			continue;
		share = (double)BAR_WIDTH * c / max;
		bar = (unsigned int)share;
		/* Rounded up: every bucket that counted gets a mark. */
		if (bar < share)
			bar++;
		print_string(PRINT_TEXT, NULL, "%s",
			     bucket_text(i, buf, sizeof(buf)));
		print_u64(PRINT_TEXT, NULL, "%s", c);
		snprintf(buf, sizeof(buf), "%.1f%%", 100.0 * c / n);
		print_string(PRINT_TEXT, NULL, "%s", buf);
		print_string(PRINT_TEXT, NULL, "%s",
			     &"########################################"
			     [BAR_WIDTH - bar]);
	}
	return print_table_end();
}

int evctl_latency_print(unsigned int prio, const uint64_t *buckets,
			bool histogram)
{
	static const char *const line_fmt[EVCTL_NR_QUANTILES] = {
		", p50 %s", ", p99 %s", ", p99.9 %s"
	};
	uint64_t n = evctl_lat_events(buckets);
	char buf[EVCTL_UNIT_LEN];
	unsigned int q;

	print_string(PRINT_ANY, "prio", histogram ? "%s: " : "%s",
		     evctl_prio_name(prio, buf, sizeof(buf)));
	print_u64(PRINT_ANY, "events", histogram ? "%s event" : "%s", n);
	if (histogram && n != 1)
		print_text("s");
	for (q = 0; q < EVCTL_NR_QUANTILES; q++) {
		uint64_t ns = quantile_ns(buckets, q);

		if (!n || ns == UINT64_MAX)
			print_null(PRINT_JSON, quantile_keys[q], NULL);
		else
			print_decimal(PRINT_JSON, quantile_keys[q], NULL, ns, 3);
		/* The histogram's line has no quantiles of nothing. */
		if (!histogram || n)
			print_string(PRINT_TEXT, NULL,
				     histogram ? line_fmt[q] : "%s",
				     evctl_lat_quantile_text(buckets, q, buf,
							     sizeof(buf)));
	}
	print_open_array("buckets");
	for (q = 0; q < EVS_LAT_BUCKETS; q++)
		print_u64(PRINT_JSON, NULL, NULL, buckets[q]);
	print_close_array();
	if (!histogram)
		return EVCTL_OK;
	print_text("\n");
	return histogram_print(buckets, n);
}

static int lat_print(const void *item)
{
	const struct lat_item *l = item;

	return evctl_latency_print(l->prio, l->buckets, true);
}

static const struct evctl_list lat_list = {
	.cmd	= EVS_CMD_LATENCY_GET,
	.size	= sizeof(struct lat_item),
	.parse	= lat_parse,
	.print	= lat_print,
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
	"  when empty or in the open last bucket), buckets (the 40 counts);\n"
	"  see docs/json.md\n",
};
