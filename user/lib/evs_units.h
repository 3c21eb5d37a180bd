/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sizes and durations as evstream's tools take them on the command line,
 * so that evctl and evload agree on what "64K" means.
 *
 * A size is a whole decimal number of bytes with an optional suffix:
 * B, K, M, G, T, P, E (also k, m, g, t, p, e), or KiB, MiB, GiB, TiB,
 * PiB, EiB.  Every suffix is a power of 1024, as in the kernel's
 * memparse() and ip(8): "4K" and "4KiB" are both 4096.  "KB" is refused
 * rather than guessed at (1000 or 1024?).
 *
 * A duration is a whole decimal number with an optional unit: ns, us
 * (or µs), ms, s, m (or min), h, d.  Without a unit the number is in the
 * caller's unit, so plain numbers keep the meaning they always had.  A
 * duration that is not a whole number of the caller's unit ("200ms" for a
 * setting in seconds) is refused, not rounded.
 *
 * A count is a whole decimal number and nothing else: with no unit to
 * say whether K is 1000 or 1024, none is guessed.
 *
 * None takes a sign, white space, a fraction, hex or an exponent.
 */
#ifndef _EVS_UNITS_H
#define _EVS_UNITS_H

#include <stdint.h>

enum evs_unit_err {
	EVS_UNIT_OK = 0,
	EVS_UNIT_EMPTY,		/* "" */
	EVS_UNIT_NEGATIVE,	/* "-1" */
	EVS_UNIT_NAN,		/* no digits first: "x", "+1", " 1", ".5" */
	EVS_UNIT_SUFFIX,	/* digits, then something not a unit */
	EVS_UNIT_RANGE,		/* above the caller's maximum, or 2^64 */
	EVS_UNIT_FRACTION,	/* finer than the caller's unit */
};

/* The units a duration can be counted in, as the caller wants it. */
enum evs_time_unit {
	EVS_NS,
	EVS_US,
	EVS_MS,
	EVS_S,
};

/*
 * Parses count @s, at most @max, into *@v.  Returns EVS_UNIT_OK, or an
 * enum evs_unit_err with *@v untouched.
 */
int evs_parse_count(const char *s, uint64_t max, uint64_t *v);

/*
 * Parses size @s, at most @max bytes, into *@v.  Returns as
 * evs_parse_count().
 */
int evs_parse_size(const char *s, uint64_t max, uint64_t *v);

/*
 * Parses duration @s into *@v, counted in @unit (also the unit of a
 * number without one), at most @max of them.  Returns as evs_parse_count().
 */
int evs_parse_duration(const char *s, enum evs_time_unit unit, uint64_t max,
		       uint64_t *v);

/* Why, in a few words ("out of range"), for an error message. */
const char *evs_unit_strerror(int err);

/*
 * The symbol of @unit ("s"), for the range in an error message; EVS_US's
 * is evs_unit_us().
 */
const char *evs_time_unit_name(enum evs_time_unit unit);

/*
 * Reads the character set of the locale from the environment
 * (setlocale(LC_CTYPE, "")) and decides by it, once, what evs_unit_us()
 * returns.  The tools' main() calls it before printing anything.
 */
void evs_units_locale(void);

/*
 * "µs" in a UTF-8 locale, else "us": in any other character set the two
 * bytes of MICRO SIGN come out as garbage.  "us" until
 * evs_units_locale() has run.
 */
const char *evs_unit_us(void);

#endif /* _EVS_UNITS_H */
