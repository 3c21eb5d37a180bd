// SPDX-License-Identifier: GPL-2.0
/*
 * Sizes and durations from the command line; see evs_units.h.
 */
#include <langinfo.h>
#include <locale.h>
#include <stdbool.h>
#include <string.h>

#include "evs_units.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The leading digits of @s into *@n, *@end after them.  strtoull() is not
 * used: it takes "-1" (as 2^64 - 1), " 1", "+1" and "0x1".  The digits
 * are all read even past 2^64 - 1, so that "99999999999999999999x" is
 * refused for its suffix, the mistake to fix first.
 */
static int parse_digits(const char *s, uint64_t *n, const char **end)
{
	bool over = false;
	uint64_t v = 0;

	if (!*s)
		return EVS_UNIT_EMPTY;
	if (*s == '-' && is_digit(s[1]))
		return EVS_UNIT_NEGATIVE;
	if (!is_digit(*s))
		return EVS_UNIT_NAN;
	for (; is_digit(*s); s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	*end = s;
	*n = v;
	return over ? EVS_UNIT_RANGE : EVS_UNIT_OK;
}

int evs_parse_count(const char *s, uint64_t max, uint64_t *v)
{
	const char *end;
	uint64_t n;
	int err;

	err = parse_digits(s, &n, &end);
	if (err && err != EVS_UNIT_RANGE)
		return err;
	if (*end)
		return EVS_UNIT_SUFFIX;
	if (err || n > max)
		return EVS_UNIT_RANGE;
	*v = n;
	return EVS_UNIT_OK;
}

/* The power of 1024 that @sfx names: 0 for none or "B", -1 for no size. */
static int size_shift(const char *sfx)
{
	static const char letters[] = "KMGTPE";
	const char *p;
	char c = *sfx;

	if (!c || !strcmp(sfx, "B"))
		return 0;
	/* Lower case as memparse() takes it; "kiB" is no one's spelling. */
	if (c >= 'a' && c <= 'z' && !sfx[1])
		c = (char)(c - 'a' + 'A');
	p = strchr(letters, c);
	if (!p || (sfx[1] && strcmp(sfx + 1, "iB")))
		return -1;
	return 10 * (int)(p - letters + 1);
}

int evs_parse_size(const char *s, uint64_t max, uint64_t *v)
{
	const char *end;
	uint64_t n;
	int shift, err;

	err = parse_digits(s, &n, &end);
	if (err && err != EVS_UNIT_RANGE)
		return err;
	shift = size_shift(end);
	if (shift < 0)
		return EVS_UNIT_SUFFIX;
	if (err)
		return err;
	if (n > (UINT64_MAX >> shift) || n << shift > max)
		return EVS_UNIT_RANGE;
	*v = n << shift;
	return EVS_UNIT_OK;
}

/* Nanoseconds per unit; "m" is a minute, as in systemd.time(7). */
static const struct {
	const char *name;
	uint64_t ns;
} time_units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 },		/* µs, MICRO SIGN in UTF-8 */
	{ "ms", 1000000 },
	{ "s", 1000000000ULL },
	{ "m", 60000000000ULL },
	{ "min", 60000000000ULL },
	{ "h", 3600000000000ULL },
	{ "d", 86400000000000ULL },
};

/* Indexed by enum evs_time_unit. */
static const uint64_t caller_ns[] = { 1, 1000, 1000000, 1000000000ULL };
static const char *const caller_name[] = { "ns", "us", "ms", "s" };

const char *evs_time_unit_name(enum evs_time_unit unit)
{
	return unit == EVS_US ? evs_unit_us() : caller_name[unit];
}

static const char *micro = "us";

void evs_units_locale(void)
{
	/* LC_CTYPE only: numbers must keep their "." whatever LC_NUMERIC. */
	setlocale(LC_CTYPE, "");
	micro = !strcmp(nl_langinfo(CODESET), "UTF-8") ? "\xc2\xb5s" : "us";
}

const char *evs_unit_us(void)
{
	return micro;
}

int evs_parse_duration(const char *s, enum evs_time_unit unit, uint64_t max,
		       uint64_t *v)
{
	uint64_t n, ns = caller_ns[unit], per;
	const char *end;
	unsigned int i;
	int err;

	err = parse_digits(s, &n, &end);
	if (err && err != EVS_UNIT_RANGE)
		return err;
	if (*end) {
		for (i = 0; i < ARRAY_SIZE(time_units); i++)
			if (!strcmp(end, time_units[i].name))
				break;
		if (i == ARRAY_SIZE(time_units))
			return EVS_UNIT_SUFFIX;
		ns = time_units[i].ns;
	}
	if (err)
		return err;
	/* Every unit divides the next one up: the ratios are exact. */
	if (ns >= caller_ns[unit]) {
		per = ns / caller_ns[unit];
		if (n > UINT64_MAX / per)
			return EVS_UNIT_RANGE;
		n *= per;
	} else {
		per = caller_ns[unit] / ns;
		if (n % per)
			return EVS_UNIT_FRACTION;
		n /= per;
	}
	if (n > max)
		return EVS_UNIT_RANGE;
	*v = n;
	return EVS_UNIT_OK;
}

const char *evs_unit_strerror(int err)
{
	switch (err) {
	case EVS_UNIT_OK:
		return "no error";
	case EVS_UNIT_EMPTY:
		return "empty";
	case EVS_UNIT_NEGATIVE:
		return "negative";
	case EVS_UNIT_NAN:
		return "not a number";
	case EVS_UNIT_SUFFIX:
		return "unknown unit";
	case EVS_UNIT_RANGE:
		return "out of range";
	case EVS_UNIT_FRACTION:
		return "not a whole number of the unit";
	}
	return "invalid";
}
