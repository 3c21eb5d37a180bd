// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of the size and duration parser that evctl and evload share
 * (lib/evs_units.c): every suffix, each limit and one past it, overflow
 * of 64 bits, and what must be refused rather than guessed at.
 */
#include <inttypes.h>
#include <stdio.h>

#include "../lib/evs_units.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define U32_MAX	4294967295ULL
#define K	1024ULL

/* unit SIZE: a size; COUNT: a count; else a duration in that unit. */
#define SIZE	(-1)
#define COUNT	(-2)

static const struct {
	int unit;
	const char *s;
	uint64_t max;
	int err;
	uint64_t want;
} cases[] = {
	{ SIZE, "0", UINT64_MAX, 0, 0 },
	{ SIZE, "4096", UINT64_MAX, 0, 4096 },
	{ SIZE, "4096B", UINT64_MAX, 0, 4096 },
	{ SIZE, "4K", UINT64_MAX, 0, 4 * K },
	{ SIZE, "4k", UINT64_MAX, 0, 4 * K },
	{ SIZE, "4KiB", UINT64_MAX, 0, 4 * K },
	{ SIZE, "64M", UINT64_MAX, 0, 64 * K * K },
	{ SIZE, "64m", UINT64_MAX, 0, 64 * K * K },
	{ SIZE, "64MiB", UINT64_MAX, 0, 64 * K * K },
	{ SIZE, "1G", UINT64_MAX, 0, K * K * K },
	{ SIZE, "1g", UINT64_MAX, 0, K * K * K },
	{ SIZE, "1GiB", UINT64_MAX, 0, K * K * K },
	{ SIZE, "2T", UINT64_MAX, 0, 2ULL << 40 },
	{ SIZE, "2t", UINT64_MAX, 0, 2ULL << 40 },
	{ SIZE, "2TiB", UINT64_MAX, 0, 2ULL << 40 },
	{ SIZE, "3P", UINT64_MAX, 0, 3ULL << 50 },
	{ SIZE, "3p", UINT64_MAX, 0, 3ULL << 50 },
	{ SIZE, "3PiB", UINT64_MAX, 0, 3ULL << 50 },
	{ SIZE, "1E", UINT64_MAX, 0, 1ULL << 60 },
	{ SIZE, "1e", UINT64_MAX, 0, 1ULL << 60 },
	{ SIZE, "1EiB", UINT64_MAX, 0, 1ULL << 60 },
	{ SIZE, "15E", UINT64_MAX, 0, 15ULL << 60 },
	{ SIZE, "0E", UINT64_MAX, 0, 0 },
	{ SIZE, "007K", UINT64_MAX, 0, 7 * K },
	{ SIZE, "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
	/* Overflow of 64 bits, by digits or by the suffix. */
	{ SIZE, "18446744073709551616", UINT64_MAX, EVS_UNIT_RANGE, 0 },
	{ SIZE, "16E", UINT64_MAX, EVS_UNIT_RANGE, 0 },
	{ SIZE, "16EiB", UINT64_MAX, EVS_UNIT_RANGE, 0 },
	{ SIZE, "17179869184G", UINT64_MAX, EVS_UNIT_RANGE, 0 },
	{ SIZE, "17179869183G", UINT64_MAX, 0, 17179869183ULL << 30 },
	{ SIZE, "99999999999G", UINT64_MAX, EVS_UNIT_RANGE, 0 },
	{ SIZE, "99999999999999999999999", UINT64_MAX, EVS_UNIT_RANGE, 0 },
	/* The caller's limit, and one past it. */
	{ SIZE, "65536", 65536, 0, 65536 },
	{ SIZE, "64K", 65536, 0, 65536 },
	{ SIZE, "64KiB", 65536, 0, 65536 },
	{ SIZE, "65537", 65536, EVS_UNIT_RANGE, 0 },
	{ SIZE, "65K", 65536, EVS_UNIT_RANGE, 0 },
	{ SIZE, "1M", 65536, EVS_UNIT_RANGE, 0 },
	{ SIZE, "4294967295", U32_MAX, 0, U32_MAX },
	{ SIZE, "3G", U32_MAX, 0, 3 * K * K * K },
	{ SIZE, "4G", U32_MAX, EVS_UNIT_RANGE, 0 },
	{ SIZE, "4294967296", U32_MAX, EVS_UNIT_RANGE, 0 },
	/* Hostile or mistaken. */
	{ SIZE, "", UINT64_MAX, EVS_UNIT_EMPTY, 0 },
	{ SIZE, "-1", UINT64_MAX, EVS_UNIT_NEGATIVE, 0 },
	{ SIZE, "-1K", UINT64_MAX, EVS_UNIT_NEGATIVE, 0 },
	{ SIZE, "-", UINT64_MAX, EVS_UNIT_NAN, 0 },
	{ SIZE, "+1", UINT64_MAX, EVS_UNIT_NAN, 0 },
	{ SIZE, " 1", UINT64_MAX, EVS_UNIT_NAN, 0 },
	{ SIZE, "K", UINT64_MAX, EVS_UNIT_NAN, 0 },
	{ SIZE, ".5K", UINT64_MAX, EVS_UNIT_NAN, 0 },
	{ SIZE, "1 ", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ SIZE, "1 K", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ SIZE, "0x10", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ SIZE, "1e3", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ SIZE, "1.5G", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ SIZE, "1KB", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ SIZE, "1kB", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ SIZE, "1kiB", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ SIZE, "1Ki", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ SIZE, "1KiBx", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ SIZE, "1iB", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ SIZE, "1b", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ SIZE, "1X", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ SIZE, "1s", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	/* A bad suffix is reported before an overflow. */
	{ SIZE, "99999999999999999999x", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },

	/* Counts: digits only. */
	{ COUNT, "0", 255, 0, 0 },
	{ COUNT, "255", 255, 0, 255 },
	{ COUNT, "256", 255, EVS_UNIT_RANGE, 0 },
	{ COUNT, "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
	{ COUNT, "18446744073709551616", UINT64_MAX, EVS_UNIT_RANGE, 0 },
	{ COUNT, "4K", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ COUNT, "10B", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ COUNT, "0x10", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ COUNT, "99999999999999999999x", UINT64_MAX, EVS_UNIT_SUFFIX, 0 },
	{ COUNT, "", UINT64_MAX, EVS_UNIT_EMPTY, 0 },
	{ COUNT, "-1", UINT64_MAX, EVS_UNIT_NEGATIVE, 0 },
	{ COUNT, "+1", UINT64_MAX, EVS_UNIT_NAN, 0 },

	/* Durations; a plain number is in the caller's unit. */
	{ EVS_S, "300", U32_MAX, 0, 300 },
	{ EVS_S, "5s", U32_MAX, 0, 5 },
	{ EVS_S, "1m", U32_MAX, 0, 60 },
	{ EVS_S, "1min", U32_MAX, 0, 60 },
	{ EVS_S, "2h", U32_MAX, 0, 7200 },
	{ EVS_S, "1d", U32_MAX, 0, 86400 },
	{ EVS_S, "1000ms", U32_MAX, 0, 1 },
	{ EVS_S, "2000000us", U32_MAX, 0, 2 },
	{ EVS_S, "3000000\xc2\xb5s", U32_MAX, 0, 3 },
	{ EVS_S, "1000000000ns", U32_MAX, 0, 1 },
	{ EVS_S, "0ms", U32_MAX, 0, 0 },
	{ EVS_S, "200ms", U32_MAX, EVS_UNIT_FRACTION, 0 },
	{ EVS_S, "1500ms", U32_MAX, EVS_UNIT_FRACTION, 0 },
	{ EVS_S, "86400", 86400, 0, 86400 },
	{ EVS_S, "86401", 86400, EVS_UNIT_RANGE, 0 },
	{ EVS_S, "1441m", 86400, EVS_UNIT_RANGE, 0 },
	{ EVS_S, "25h", 86400, EVS_UNIT_RANGE, 0 },
	{ EVS_S, "4294967295", U32_MAX, 0, U32_MAX },
	{ EVS_S, "4294967296", U32_MAX, EVS_UNIT_RANGE, 0 },
	{ EVS_S, "49711d", U32_MAX, EVS_UNIT_RANGE, 0 },
	{ EVS_US, "200", U32_MAX, 0, 200 },
	{ EVS_US, "200us", U32_MAX, 0, 200 },
	{ EVS_US, "200\xc2\xb5s", U32_MAX, 0, 200 },
	{ EVS_US, "1ms", U32_MAX, 0, 1000 },
	{ EVS_US, "1s", U32_MAX, 0, 1000000 },
	{ EVS_US, "2000ns", U32_MAX, 0, 2 },
	{ EVS_US, "1500ns", U32_MAX, EVS_UNIT_FRACTION, 0 },
	{ EVS_US, "1d", UINT64_MAX, 0, 86400000000ULL },
	{ EVS_US, "1d", U32_MAX, EVS_UNIT_RANGE, 0 },
	{ EVS_US, "213503982d", UINT64_MAX, 0, 213503982ULL * 86400000000ULL },
	{ EVS_US, "213503983d", UINT64_MAX, EVS_UNIT_RANGE, 0 },
	{ EVS_MS, "5s", U32_MAX, 0, 5000 },
	{ EVS_MS, "1m", U32_MAX, 0, 60000 },
	{ EVS_NS, "1h", UINT64_MAX, 0, 3600000000000ULL },
	{ EVS_NS, "18446744073709551615ns", UINT64_MAX, 0, UINT64_MAX },
	{ EVS_NS, "18446744073709551616", UINT64_MAX, EVS_UNIT_RANGE, 0 },
	{ EVS_NS, "18446744074s", UINT64_MAX, EVS_UNIT_RANGE, 0 },
	{ EVS_S, "", U32_MAX, EVS_UNIT_EMPTY, 0 },
	{ EVS_S, "-5s", U32_MAX, EVS_UNIT_NEGATIVE, 0 },
	{ EVS_S, "s", U32_MAX, EVS_UNIT_NAN, 0 },
	{ EVS_S, "5 s", U32_MAX, EVS_UNIT_SUFFIX, 0 },
	{ EVS_S, "5S", U32_MAX, EVS_UNIT_SUFFIX, 0 },
	{ EVS_S, "5sec", U32_MAX, EVS_UNIT_SUFFIX, 0 },
	{ EVS_S, "5K", U32_MAX, EVS_UNIT_SUFFIX, 0 },
	{ EVS_S, "1.5s", U32_MAX, EVS_UNIT_SUFFIX, 0 },
	{ EVS_S, "1m30s", U32_MAX, EVS_UNIT_SUFFIX, 0 },
	{ EVS_S, "99999999999999999999sx", U32_MAX, EVS_UNIT_SUFFIX, 0 },
	{ EVS_S, "99999999999999999999s", U32_MAX, EVS_UNIT_RANGE, 0 },
};

static const char *kind(int unit)
{
	if (unit == SIZE)
		return "size";
	if (unit == COUNT)
		return "count";
	return evs_time_unit_name((enum evs_time_unit)unit);
}

int main(void)
{
	unsigned int i;
	int failures = 0;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 12345, want;
		int err;

		if (cases[i].unit == SIZE)
			err = evs_parse_size(cases[i].s, cases[i].max, &v);
		else if (cases[i].unit == COUNT)
			err = evs_parse_count(cases[i].s, cases[i].max, &v);
		else
			err = evs_parse_duration(cases[i].s, cases[i].unit,
						 cases[i].max, &v);
		/* A refused value leaves *v alone. */
		want = 12345;
		if (!cases[i].err)
			want = cases[i].want;
		if (err != cases[i].err || v != want) {
			printf("not ok - %s \"%s\" max %" PRIu64
			       ": got %s %" PRIu64 ", want %s %" PRIu64 "\n",
			       kind(cases[i].unit), cases[i].s, cases[i].max,
			       evs_unit_strerror(err), v,
			       evs_unit_strerror(cases[i].err), cases[i].want);
			failures++;
		} else {
			printf("ok - %s \"%s\" max %" PRIu64 ": %s %" PRIu64 "\n",
			       kind(cases[i].unit), cases[i].s, cases[i].max,
			       evs_unit_strerror(err), v);
		}
	}
	printf("%s: %d failed\n", __FILE__, failures);
	return failures ? 1 : 0;
}
