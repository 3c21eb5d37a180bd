/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the in-VM fuzzers (nl_fuzz, wire_fuzz): run time and
 * seed from the environment or the command line, a seeded generator so
 * that a seed replays the same choices, clocks, and a failure log that
 * threads and forked children can share.
 */
#ifndef _EVS_FUZZ_UTIL_H
#define _EVS_FUZZ_UTIL_H

#include "evs_test.h"
#include <inttypes.h>
#include <pthread.h>

/* Run time when neither EVS_FUZZ_SECS nor --seconds says otherwise. */
#define FZ_DEFAULT_SECS 20

struct fz_opts {
	unsigned int secs;
	uint64_t seed;
};

static inline bool fz_parse_u64(const char *s, uint64_t *val)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*val = strtoull(s, &end, 0);
	return !errno && !*end;
}

/*
 * EVS_FUZZ_SECS and EVS_FUZZ_SEED, overridden by --seconds N and
 * --seed N: the VM's init passes no environment, so the command line must
 * work on its own.  Without a seed, one is made up and printed, so that
 * any run can be replayed.
 */
static inline void fz_opts_parse(struct fz_opts *o, int argc, char **argv)
{
	uint64_t v;
	int i;

	o->secs = FZ_DEFAULT_SECS;
	o->seed = 0;
	if (fz_parse_u64(getenv("EVS_FUZZ_SECS"), &v))
		o->secs = v;
	if (fz_parse_u64(getenv("EVS_FUZZ_SEED"), &v))
		o->seed = v;
	for (i = 1; i < argc; i++) {
		bool secs = !strcmp(argv[i], "--seconds");

		if ((secs || !strcmp(argv[i], "--seed")) && i + 1 < argc &&
		    fz_parse_u64(argv[i + 1], &v)) {
			if (secs)
				o->secs = v;
			else
				o->seed = v;
			i++;
			continue;
		}
		fprintf(stderr, "usage: %s [--seconds N] [--seed N]\n",
			argv[0]);
		exit(2);
	}
	if (!o->seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		o->seed = ((uint64_t)ts.tv_sec << 32) ^ ts.tv_nsec ^ getpid();
	}
	if (o->secs < 1)
		o->secs = 1;
}

/* ---- randomness: splitmix64, small, fast, and the same everywhere ---- */

struct fz_rng {
	uint64_t s;
};

static inline void fz_rng_init(struct fz_rng *r, uint64_t seed, uint64_t tag)
{
	/* Each user of one seed gets a stream of its own. */
	r->s = seed ^ (tag * 0xd1b54a32d192ed03ULL);
}

static inline uint64_t fz_rand(struct fz_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0: the high half of a 128-bit product. */
static inline uint64_t fz_below(struct fz_rng *r, uint64_t n)
{
	return (uint64_t)(((__uint128_t)fz_rand(r) * n) >> 64);
}

/* Uniform in [lo, hi]. */
static inline uint64_t fz_range(struct fz_rng *r, uint64_t lo, uint64_t hi)
{
	if (hi - lo == UINT64_MAX)
		return fz_rand(r);
	return lo + fz_below(r, hi - lo + 1);
}

/* True with probability @pct percent. */
static inline bool fz_chance(struct fz_rng *r, unsigned int pct)
{
	return fz_below(r, 100) < pct;
}

static inline void fz_fill(struct fz_rng *r, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		uint64_t v = fz_rand(r);
		size_t n = len < sizeof(v) ? len : sizeof(v);

		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
}

/*
 * A size in [0, max] that favours the small ones and the edges: most
 * frames and attributes are short, bugs live at the limits.
 */
static inline uint32_t fz_size(struct fz_rng *r, uint32_t max)
{
	switch (fz_below(r, 8)) {
	case 0:
		return max;
	case 1:
		return max ? max - fz_below(r, max < 3 ? max + 1 : 3) : 0;
	case 2:
	case 3:
		return fz_range(r, 0, max < 16 ? max : 16);
	case 4:
	case 5:
		return fz_range(r, 0, max < 512 ? max : 512);
	default:
		return fz_range(r, 0, max);
	}
}

/* ---- time ---- */

static inline void fz_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A receive timeout on @fd: a kernel that never answers fails the run. */
static inline int fz_set_rcvtimeo(int fd, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ?
	       -errno : 0;
}

/* ---- failures: counted, the first few printed ---- */

#define FZ_MAX_PRINTED 40

struct fz_log {
	pthread_mutex_t lock;
	const char *who;
	unsigned int fails;
	unsigned int printed;
};

static inline void fz_log_init(struct fz_log *log, const char *who)
{
	pthread_mutex_init(&log->lock, NULL);
	log->who = who;
	log->fails = 0;
	log->printed = 0;
}

/* One write per line: children and threads share stderr. */
static inline void fz_fail_str(struct fz_log *log, const char *line)
{
	bool print;

	pthread_mutex_lock(&log->lock);
	log->fails++;
	print = log->printed < FZ_MAX_PRINTED;
	if (print)
		log->printed++;
	pthread_mutex_unlock(&log->lock);
	if (print)
		fprintf(stderr, "# %s: FAIL: %s\n", log->who, line);
}

/*
 * Macros rather than variadic functions, so that the compiler checks the
 * formats through snprintf() without attributes.
 */
#define fz_fail(log, ...) do {						\
	char _fz_line[512];						\
									\
	snprintf(_fz_line, sizeof(_fz_line), __VA_ARGS__);		\
	fz_fail_str(log, _fz_line);					\
} while (0)

#define fz_note(log, ...) do {						\
	char _fz_line[1024];						\
									\
	snprintf(_fz_line, sizeof(_fz_line), __VA_ARGS__);		\
	fprintf(stderr, "# %s: %s\n", (log)->who, _fz_line);		\
} while (0)

static inline unsigned int fz_fails(struct fz_log *log)
{
	unsigned int n;

	pthread_mutex_lock(&log->lock);
	n = log->fails;
	pthread_mutex_unlock(&log->lock);
	return n;
}

/*
 * A new user namespace and, owned by it, a new network namespace with
 * loopback up: the caller is root there and nowhere else.  The caller
 * must be single-threaded (unshare(CLONE_NEWUSER) demands it).
 */
static inline int fz_new_userns_netns(void)
{
	if (unshare(CLONE_NEWUSER))
		return -errno;
	return evs_test_new_netns();
}

#endif /* _EVS_FUZZ_UTIL_H */
