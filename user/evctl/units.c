// SPDX-License-Identifier: GPL-2.0
/*
 * Human forms of numbers; see units.h.
 */
#include <inttypes.h>
#include <stdio.h>

#include "../lib/evs_units.h"

#include "units.h"

/*
 * @v scaled down by @base until it shows below @base with one decimal:
 * 999999 is "1.0M", not "1000.0k".  Returns the index of its suffix.
 */
static unsigned int scale(double *v, double base, unsigned int nr)
{
	unsigned int i = 0;

	while (i + 1 < nr && *v >= base - 0.05) {
		*v /= base;
		i++;
	}
	return i;
}

const char *evctl_fmt_count(double v, char *buf, size_t size)
{
	static const char *const sfx[] = { "", "k", "M", "G", "T", "P", "E" };
	unsigned int i = scale(&v, 1000, 7);

	snprintf(buf, size, "%.1f%s", v, sfx[i]);
	return buf;
}

const char *evctl_fmt_bytes(double v, char *buf, size_t size)
{
	static const char *const sfx[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	unsigned int i = scale(&v, 1024, 7);

	/* Whole bytes need no decimal; a rate below 1 KiB/s rounds. */
	if (!i)
		snprintf(buf, size, "%.0f B", v);
	else
		snprintf(buf, size, "%.1f %s", v, sfx[i]);
	return buf;
}

const char *evctl_fmt_ns(uint64_t ns, char *buf, size_t size)
{
	const char *const sfx[] = { evs_unit_us(), "ms", "s" };
	double v = ns / 1000.0;
	unsigned int i;

	if (ns < 1000) {
		snprintf(buf, size, "%" PRIu64 " ns", ns);
		return buf;
	}
	i = scale(&v, 1000, 3);
	snprintf(buf, size, "%.1f %s", v, sfx[i]);
	return buf;
}

const char *evctl_fmt_ms(uint64_t ms, char *buf, size_t size)
{
	/* Tenths rounded below a minute (59.96 s is "1m00s"), then cut. */
	uint64_t tenths = ms < 60000 ? (ms + 50) / 100 : 600;
	uint64_t s = ms < 60000 ? 60 : ms / 1000;

	if (ms < 1000)
		snprintf(buf, size, "%" PRIu64 " ms", ms);
	else if (tenths < 600)
		snprintf(buf, size, "%" PRIu64 ".%" PRIu64 " s", tenths / 10,
			 tenths % 10);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60,
			 s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
			 s / 60 % 60);
	else
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400,
			 s / 3600 % 24);
	return buf;
}
