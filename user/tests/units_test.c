// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of evctl's human number forms (units.c): rounding at every
 * unit boundary, so that 999999 is "1.0M" and never "1000.0k".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../evctl/units.h"
#include "../lib/evs_units.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The two argument types of the formatters, behind one signature. */
enum fmt { COUNT, BYTES, NS, MS };

static const struct {
	enum fmt fmt;
	double v;		/* COUNT, BYTES */
	unsigned long long n;	/* NS, MS */
	const char *want;
} cases[] = {
	{ COUNT, 0, 0, "0.0" },
	{ COUNT, 999, 0, "999.0" },
	{ COUNT, 999.94, 0, "999.9" },
	{ COUNT, 999.96, 0, "1.0k" },
	{ COUNT, 1234567, 0, "1.2M" },
	{ COUNT, 999949, 0, "999.9k" },
	{ COUNT, 999999, 0, "1.0M" },
	{ COUNT, 3.4e9, 0, "3.4G" },
	{ COUNT, 18446744073709551615.0, 0, "18.4E" },
	{ BYTES, 0, 0, "0 B" },
	{ BYTES, 0.4, 0, "0 B" },
	{ BYTES, 1023, 0, "1023 B" },
	{ BYTES, 1024, 0, "1.0 KiB" },
	{ BYTES, 1536, 0, "1.5 KiB" },
	{ BYTES, 1048565, 0, "1.0 MiB" },
	{ BYTES, 68719476736.0, 0, "64.0 GiB" },
	{ BYTES, 18446744073709551615.0, 0, "16.0 EiB" },
	{ NS, 0, 0, "0 ns" },
	{ NS, 0, 999, "999 ns" },
	{ NS, 0, 1000, "1.0 µs" },
	{ NS, 0, 3400, "3.4 µs" },
	{ NS, 0, 999960, "1.0 ms" },
	{ NS, 0, 1200000, "1.2 ms" },
	{ NS, 0, 2500000000ULL, "2.5 s" },
	{ NS, 0, 1ULL << 39, "549.8 s" },
	{ MS, 0, 0, "0 ms" },
	{ MS, 0, 999, "999 ms" },
	{ MS, 0, 1000, "1.0 s" },
	{ MS, 0, 12345, "12.3 s" },
	{ MS, 0, 59949, "59.9 s" },
	{ MS, 0, 59960, "1m00s" },
	{ MS, 0, 60000, "1m00s" },
	{ MS, 0, 125000, "2m05s" },
	{ MS, 0, 3600000, "1h00m" },
	{ MS, 0, 90061000, "1d01h" },
	{ MS, 0, 18446744073709551615ULL, "213503982334d14h" },
};

static int check_us(const char *locale, const char *want)
{
	char buf[EVCTL_UNIT_LEN];
	const char *got = evctl_fmt_ns(3400, buf, sizeof(buf));
	bool ok = !strcmp(got, want);

	printf("%s - %s: 3400 ns is \"%s\"\n", ok ? "ok" : "not ok", locale,
	       got);
	return !ok;
}

int main(void)
{
	static const char *const names[] = { "count", "bytes", "ns", "ms" };
	char buf[EVCTL_UNIT_LEN];
	const char *got = NULL;
	unsigned int i;
	int failures = 0;

	/* Before the tools decide: the one spelling every terminal shows. */
	failures += check_us("before evs_units_locale()", "3.4 us");
	setenv("LC_ALL", "C", 1);
	evs_units_locale();
	failures += check_us("LC_ALL=C", "3.4 us");
	setenv("LC_ALL", "POSIX", 1);
	evs_units_locale();
	failures += check_us("LC_ALL=POSIX", "3.4 us");
	/* Debian's libc-bin always has it; the table below wants µs. */
	setenv("LC_ALL", "C.UTF-8", 1);
	evs_units_locale();
	failures += check_us("LC_ALL=C.UTF-8", "3.4 µs");

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		switch (cases[i].fmt) {
		case COUNT:
			got = evctl_fmt_count(cases[i].v, buf, sizeof(buf));
			break;
		case BYTES:
			got = evctl_fmt_bytes(cases[i].v, buf, sizeof(buf));
			break;
		case NS:
			got = evctl_fmt_ns(cases[i].n, buf, sizeof(buf));
			break;
		case MS:
			got = evctl_fmt_ms(cases[i].n, buf, sizeof(buf));
			break;
		}
		if (strcmp(got, cases[i].want)) {
			printf("not ok - %s %.2f/%llu: got \"%s\", want \"%s\"\n",
			       names[cases[i].fmt], cases[i].v, cases[i].n, got,
			       cases[i].want);
			failures++;
		} else {
			printf("ok - %s %.2f/%llu is %s\n", names[cases[i].fmt],
			       cases[i].v, cases[i].n, cases[i].want);
		}
	}
	printf("%s: %d failed\n", __FILE__, failures);
	return failures ? 1 : 0;
}
