// SPDX-License-Identifier: GPL-2.0
/*
 * ring_bench: one producer and one consumer on two cores pass N pointers
 * one at a time through
 *
 *   evs_ring        the SPSC ring of include/evstream/ring.h
 *   mutex+spin      a circular buffer of the same capacity under a
 *                   pthread mutex; a side that finds it full (empty)
 *                   unlocks, pauses and retries
 *   mutex+condvar   the same buffer under a mutex, a side that finds it
 *                   full (empty) sleeps on a condition variable; the
 *                   other signals only when someone waits
 *
 * Same item count, same capacity, no batching anywhere: push one, pop
 * one.  The producer runs on CPU 0 and the consumer on CPU 1 when the
 * process may use two CPUs.  The time is from the producer's first push
 * to the consumer's last pop; the consumer checks that it got every
 * item in order.  The table shows median, min and max ops/s over the
 * repeats and the ratio evs_ring / mutex queue (median of per-repeat
 * ratios, min and max).  The goal is evs_ring at least 10x.
 *
 * usage: ring_bench [--items N] [--repeats N] [--slots N] [--cpus A,B]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <evstream/ring.h>

#include "bench.h"

/* A spin-wait hint, as evsink's; a compiler barrier off x86-64. */
static inline void cpu_relax(void)
{
#ifdef __x86_64__
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* ---- the queues ---- */

/* A mutex-protected circular buffer of pointers: the usual queue. */
struct mq {
	pthread_mutex_t lock;
	pthread_cond_t not_full, not_empty;
	unsigned int wait_full, wait_empty;	/* sleepers, under @lock */
	u32 head, tail, mask;
	void **slot;
};

enum kind { K_RING, K_SPIN, K_COND, K_NR };

static const char *const kind_name[K_NR] = {
	"evs_ring", "mutex+spin", "mutex+condvar"
};

struct run {
	enum kind kind;
	u64 items;
	struct evs_ring *ring;
	struct mq *mq;
	int cpu[2];			/* producer, consumer; -1: unpinned */
	atomic_int ready;
	atomic_bool go;
	double t_start, t_end;
	bool bad;
};

static void mq_push_spin(struct mq *q, void *p)
{
	for (;;) {
		pthread_mutex_lock(&q->lock);
		if (q->head - q->tail <= q->mask) {
			q->slot[q->head++ & q->mask] = p;
			pthread_mutex_unlock(&q->lock);
			return;
		}
		pthread_mutex_unlock(&q->lock);
		cpu_relax();
	}
}

static void *mq_pop_spin(struct mq *q)
{
	void *p;

	for (;;) {
		pthread_mutex_lock(&q->lock);
		if (q->head != q->tail) {
			p = q->slot[q->tail++ & q->mask];
			pthread_mutex_unlock(&q->lock);
			return p;
		}
		pthread_mutex_unlock(&q->lock);
		cpu_relax();
	}
}

static void mq_push_cond(struct mq *q, void *p)
{
	pthread_mutex_lock(&q->lock);
	while (q->head - q->tail > q->mask) {
		q->wait_full++;
		pthread_cond_wait(&q->not_full, &q->lock);
		q->wait_full--;
	}
	q->slot[q->head++ & q->mask] = p;
	if (q->wait_empty)
		pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

static void *mq_pop_cond(struct mq *q)
{
	void *p;

	pthread_mutex_lock(&q->lock);
	while (q->head == q->tail) {
		q->wait_empty++;
		pthread_cond_wait(&q->not_empty, &q->lock);
		q->wait_empty--;
	}
	p = q->slot[q->tail++ & q->mask];
	if (q->wait_full)
		pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	return p;
}

/* ---- the two threads ---- */

static void pin_to(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		fprintf(stderr, "ring_bench: cannot pin to CPU %d\n", cpu);
}

static void start_line(struct run *r)
{
	atomic_fetch_add(&r->ready, 1);
	while (!atomic_load_explicit(&r->go, memory_order_acquire))
		cpu_relax();
}

static void *producer(void *arg)
{
	struct run *r = arg;
	u64 i;

	pin_to(r->cpu[0]);
	start_line(r);
	r->t_start = bench_now();
	/* Items are 1..N: a NULL is the ring's "empty". */
	for (i = 1; i <= r->items; i++) {
		void *p = (void *)(uintptr_t)i;

		switch (r->kind) {
		case K_RING:
			while (!evs_ring_push(r->ring, p))
				cpu_relax();
			break;
		case K_SPIN:
			mq_push_spin(r->mq, p);
			break;
		default:
			mq_push_cond(r->mq, p);
			break;
		}
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct run *r = arg;
	u64 i;
	void *p;

	pin_to(r->cpu[1]);
	start_line(r);
	for (i = 1; i <= r->items; i++) {
		switch (r->kind) {
		case K_RING:
			while (!(p = evs_ring_pop(r->ring)))
				cpu_relax();
			break;
		case K_SPIN:
			p = mq_pop_spin(r->mq);
			break;
		default:
			p = mq_pop_cond(r->mq);
			break;
		}
		if ((uintptr_t)p != i)
			r->bad = true;
	}
	r->t_end = bench_now();
	return NULL;
}

/* One run of @kind; returns ops/s (items through the queue per second). */
static double run_once(enum kind kind, u64 items, u32 slots,
		       const int cpu[2])
{
	struct run r = { .kind = kind, .items = items };
	pthread_t tp, tc;
	struct mq q;

	r.cpu[0] = cpu[0];
	r.cpu[1] = cpu[1];
	atomic_init(&r.ready, 0);
	atomic_init(&r.go, false);
	if (kind == K_RING) {
		r.ring = aligned_alloc(64, (evs_ring_bytes(slots) + 63) & ~(size_t)63);
		if (!r.ring)
			exit(1);
		evs_ring_init(r.ring, slots);
	} else {
		memset(&q, 0, sizeof(q));
		pthread_mutex_init(&q.lock, NULL);
		pthread_cond_init(&q.not_full, NULL);
		pthread_cond_init(&q.not_empty, NULL);
		q.mask = slots - 1;
		q.slot = calloc(slots, sizeof(*q.slot));
		if (!q.slot)
			exit(1);
		r.mq = &q;
	}
	if (pthread_create(&tc, NULL, consumer, &r) ||
	    pthread_create(&tp, NULL, producer, &r)) {
		fprintf(stderr, "ring_bench: pthread_create failed\n");
		exit(1);
	}
	while (atomic_load(&r.ready) < 2)
		cpu_relax();
	atomic_store_explicit(&r.go, true, memory_order_release);
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	if (r.bad) {
		fprintf(stderr, "ring_bench: %s lost or reordered items\n",
			kind_name[kind]);
		exit(1);
	}
	if (kind == K_RING) {
		free(r.ring);
	} else {
		pthread_mutex_destroy(&q.lock);
		pthread_cond_destroy(&q.not_full);
		pthread_cond_destroy(&q.not_empty);
		free(q.slot);
	}
	return (double)items / (r.t_end - r.t_start);
}

int main(int argc, char **argv)
{
	u64 items = 20000000;
	unsigned int repeats = 7, r, k;
	u32 slots = 4096;
	int cpu[2] = { 0, 1 };
	double *ops[K_NR], *ratio[K_NR];
	struct bench_summary s[K_NR], sr;
	cpu_set_t set;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--items") && a + 1 < argc) {
			items = bench_num(argv[++a], 1, 1ULL << 40, "--items");
		} else if (!strcmp(argv[a], "--repeats") && a + 1 < argc) {
			repeats = (unsigned int)bench_num(argv[++a], 5, 1000,
							  "--repeats");
		} else if (!strcmp(argv[a], "--slots") && a + 1 < argc) {
			slots = (u32)bench_num(argv[++a], 2, 1 << 24,
						    "--slots");
			if (!evs_ring_size_ok(slots)) {
				fprintf(stderr, "--slots: a power of two\n");
				return 2;
			}
		} else if (!strcmp(argv[a], "--cpus") && a + 1 < argc) {
			if (sscanf(argv[++a], "%d,%d", &cpu[0], &cpu[1]) != 2) {
				fprintf(stderr, "--cpus A,B\n");
				return 2;
			}
		} else {
			fprintf(stderr,
				"usage: ring_bench [--items N] [--repeats N]\n"
				"                  [--slots N] [--cpus A,B]\n");
			return 2;
		}
	}
	if (sched_getaffinity(0, sizeof(set), &set) || CPU_COUNT(&set) < 2 ||
	    !CPU_ISSET(cpu[0], &set) || !CPU_ISSET(cpu[1], &set)) {
		cpu[0] = -1;
		cpu[1] = -1;
	}

	for (k = 0; k < K_NR; k++) {
		ops[k] = calloc(repeats, sizeof(double));
		ratio[k] = calloc(repeats, sizeof(double));
		if (!ops[k] || !ratio[k])
			return 1;
	}
	printf("ring_bench: SPSC evs_ring vs mutex queues, one item at a time\n");
	printf("%llu items, %u slots, %u repeats\n",
	       (unsigned long long)items, slots, repeats);
	if (cpu[0] >= 0)
		printf("producer pinned to CPU %d, consumer to CPU %d\n",
		       cpu[0], cpu[1]);
	else
		printf("fewer than two usable CPUs: threads not pinned\n");

	/* Warm-up: page faults, CPU frequency, thread creation paths. */
	for (k = 0; k < K_NR; k++)
		run_once(k, items / 20 + 1, slots, cpu);
	for (r = 0; r < repeats; r++) {
		/* Rotate the order, so no kind always runs first. */
		for (k = 0; k < K_NR; k++) {
			enum kind kind = (k + r) % K_NR;

			ops[kind][r] = run_once(kind, items, slots, cpu);
		}
		for (k = 1; k < K_NR; k++)
			ratio[k][r] = ops[K_RING][r] / ops[k][r];
	}

	printf("  %-16s %10s %10s %10s   Mops/s\n", "", "median", "min", "max");
	for (k = 0; k < K_NR; k++) {
		s[k] = bench_summarize(ops[k], repeats);
		printf("  %-16s %10.2f %10.2f %10.2f\n", kind_name[k],
		       s[k].median / 1e6, s[k].min / 1e6, s[k].max / 1e6);
	}
	for (k = 1; k < K_NR; k++) {
		sr = bench_summarize(ratio[k], repeats);
		printf("  ratio evs_ring / %-14s %7.1fx (min %.1fx, max %.1fx)",
		       kind_name[k], sr.median, sr.min, sr.max);
		printf("   goal >= 10x: %s\n", sr.median >= 10 ? "met" : "NOT met");
	}
	for (k = 0; k < K_NR; k++) {
		free(ops[k]);
		free(ratio[k]);
	}
	return 0;
}
