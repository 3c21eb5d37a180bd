/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the host micro-benchmarks share: a clock, a summary of repeats
 * (median and spread) and a checked number parser.  Real hardware time
 * from CLOCK_MONOTONIC; nothing here is sanitized or instrumented.
 */
#ifndef _EVS_BENCH_H
#define _EVS_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <evstream/compat.h>

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Keeps the compiler from moving memory work across a timing point. */
static inline void bench_barrier(void)
{
	__asm__ __volatile__("" ::: "memory");
}

struct bench_summary {
	double median, min, max;
};

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median (the mean of the middle two for an even count), min and max. */
static inline struct bench_summary bench_summarize(const double *v,
						   unsigned int n)
{
	struct bench_summary s = { 0, 0, 0 };
	double *c = malloc(n * sizeof(*c));

	if (!c || !n) {
		free(c);
		return s;
	}
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), bench_cmp_double);
	s.median = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	s.min = c[0];
	s.max = c[n - 1];
	free(c);
	return s;
}

/* Decimal in [min, max], or exit with a usage error naming @what. */
static inline u64 bench_num(const char *s, u64 min, u64 max, const char *what)
{
	char *end;
	u64 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || v < min || v > max) {
		fprintf(stderr, "invalid %s '%s' (%llu..%llu)\n", what, s,
			(unsigned long long)min, (unsigned long long)max);
		exit(2);
	}
	return v;
}

#endif /* _EVS_BENCH_H */
