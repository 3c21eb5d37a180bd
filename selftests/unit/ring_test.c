// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the single-producer single-consumer ring in
 * include/evstream/ring.h, the same code the module runs.  The
 * single-threaded tests pin down the index arithmetic (full, empty, the
 * free-running u32 indices wrapping); the stress test runs a real
 * producer and consumer on two threads, which is the only way the
 * acquire/release pairing gets exercised at all (build this file with
 * -fsanitize=thread instead of ASan to have the pairing checked too).
 */
#include <stdint.h>
#include <stdlib.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <evstream/ring.h>
#include "kselftest_harness.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#endif

/*
 * The harness ends each test's child with _exit(), so LeakSanitizer's
 * exit-time check never runs: ask for it by hand at the end of a test.
 */
static int leaks(void)
{
#ifdef __SANITIZE_ADDRESS__
	return __lsan_do_recoverable_leak_check();
#else
	return 0;
#endif
}

static size_t ring_alloc_bytes(u32 slots)
{
	/*
	 * aligned_alloc() wants a multiple of the alignment (ASan enforces
	 * it), which evs_ring_bytes() is not for 2 and 4 slots.
	 */
	return (evs_ring_bytes(slots) + SMP_CACHE_BYTES - 1) &
	       ~(size_t)(SMP_CACHE_BYTES - 1);
}

static struct evs_ring *ring_new(u32 slots)
{
	size_t bytes = ring_alloc_bytes(slots);
	struct evs_ring *r = aligned_alloc(SMP_CACHE_BYTES, bytes);

	if (!r)
		return NULL;
	/* Garbage, not zeroes: init must set everything the ring reads. */
	memset(r, 0xa5, bytes);
	evs_ring_init(r, slots);
#ifdef __SANITIZE_ADDRESS__
	/* The rounding must not hide an access past the last slot. */
	ASAN_POISON_MEMORY_REGION((char *)r + evs_ring_bytes(slots),
				  bytes - evs_ring_bytes(slots));
#endif
	return r;
}

static void ring_free(struct evs_ring *r, u32 slots)
{
#ifdef __SANITIZE_ADDRESS__
	ASAN_UNPOISON_MEMORY_REGION((char *)r + evs_ring_bytes(slots),
				    ring_alloc_bytes(slots) -
				    evs_ring_bytes(slots));
#endif
	free(r);
}

/* Distinct, never NULL (NULL is what pop says for empty). */
static void *val(u64 i)
{
	return (void *)(uintptr_t)(i + 1);
}

/*
 * The indices are free-running: start them anywhere by setting them
 * after init.  The private copies must move too: pop takes
 * tail != head_seen to mean "not empty".
 */
static void ring_set_index(struct evs_ring *r, u32 start)
{
	r->head = start;
	r->tail_seen = start;
	r->tail = start;
	r->head_seen = start;
}

static const u32 sizes[] = { 2, 4, 8, 64, 4096 };

/* Near the top of the u32 range, so a few operations cross zero. */
static const u32 wrap_starts[] = {
	0xffffffffu, 0xfffffffeu, 0xffffffffu - 3, 0xffffffffu - 4095,
	0x7fffffffu,
};

TEST(size_ok)
{
	u32 n;
	int bit;

	EXPECT_FALSE(evs_ring_size_ok(0));
	EXPECT_FALSE(evs_ring_size_ok(1));
	for (bit = 1; bit < 32; bit++)
		EXPECT_TRUE(evs_ring_size_ok(1u << bit));
	for (n = 0; n <= 70000; n++)
		EXPECT_EQ(n >= 2 && __builtin_popcount(n) == 1,
			  evs_ring_size_ok(n));
	EXPECT_FALSE(evs_ring_size_ok(0xffffffffu));
	EXPECT_FALSE(evs_ring_size_ok(0x80000001u));
	EXPECT_FALSE(evs_ring_size_ok(0xc0000000u));
}

TEST(layout_and_bytes)
{
	size_t slot_off = offsetof(struct evs_ring, slot);
	int bit;

	/* Producer and consumer indices on lines of their own. */
	EXPECT_EQ(0, offsetof(struct evs_ring, head) % SMP_CACHE_BYTES);
	EXPECT_EQ(0, offsetof(struct evs_ring, tail) % SMP_CACHE_BYTES);
	EXPECT_EQ(0, slot_off % SMP_CACHE_BYTES);
	EXPECT_LE(offsetof(struct evs_ring, mask) + sizeof(u32),
		  offsetof(struct evs_ring, tail));
	EXPECT_LE(offsetof(struct evs_ring, head_seen) + sizeof(u32),
		  slot_off);
	EXPECT_EQ(SMP_CACHE_BYTES, __alignof__(struct evs_ring));

	/* Enough for the header and every slot, and no overflow. */
	for (bit = 1; bit < 32; bit++) {
		u32 slots = 1u << bit;

		EXPECT_LE(slot_off + (size_t)slots * sizeof(void *),
			  evs_ring_bytes(slots));
	}
	/* Not computed in 32 bits. */
	EXPECT_LE(((size_t)1 << 31) * sizeof(void *),
		  evs_ring_bytes(0x80000000u));
}

TEST(init_gives_empty_ring)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		u32 slots = sizes[i];
		struct evs_ring *r = ring_new(slots);

		ASSERT_NE(NULL, r);
		EXPECT_EQ(slots - 1, r->mask);
		EXPECT_EQ(slots - 1, r->cmask);
		EXPECT_EQ(0, evs_ring_count(r));
		EXPECT_EQ(NULL, evs_ring_pop(r));
		EXPECT_TRUE(evs_ring_has_room(r, 0));
		EXPECT_TRUE(evs_ring_has_room(r, slots));
		EXPECT_FALSE(evs_ring_has_room(r, slots + 1));
		ring_free(r, slots);
	}
	EXPECT_EQ(0, leaks());
}

/* Fill, check the failed push, drain, check the failed pop. */
static void fill_and_drain(struct __test_metadata *_metadata,
			   struct evs_ring *r, u32 slots, u64 base)
{
	size_t bytes = evs_ring_bytes(slots);
	unsigned char *snap = malloc(bytes);
	u32 start = r->head;
	u32 i;

	ASSERT_NE(NULL, snap);
	for (i = 0; i < slots; i++) {
		ASSERT_TRUE(evs_ring_push(r, val(base + i)));
		EXPECT_EQ(i + 1, evs_ring_count(r));
	}
	EXPECT_EQ((u32)(start + slots), r->head);
	EXPECT_FALSE(evs_ring_has_room(r, 1));
	EXPECT_TRUE(evs_ring_has_room(r, 0));

	/* Exactly @slots fit; the next push fails and changes nothing. */
	memcpy(snap, r, bytes);
	EXPECT_FALSE(evs_ring_push(r, val(~0ull - 1)));
	EXPECT_FALSE(evs_ring_push(r, val(~0ull - 2)));
	EXPECT_EQ(0, memcmp(snap, r, bytes));
	EXPECT_EQ(slots, evs_ring_count(r));

	/* Out in the order they went in. */
	for (i = 0; i < slots; i++) {
		EXPECT_EQ(val(base + i), evs_ring_pop(r));
		EXPECT_EQ(slots - i - 1, evs_ring_count(r));
	}

	/* Empty: NULL, and again, and the ring is left as it was. */
	memcpy(snap, r, bytes);
	EXPECT_EQ(NULL, evs_ring_pop(r));
	EXPECT_EQ(NULL, evs_ring_pop(r));
	EXPECT_EQ(0, memcmp(snap, r, bytes));
	EXPECT_EQ(0, evs_ring_count(r));
	EXPECT_EQ((u32)(start + slots), r->tail);
	free(snap);
}

TEST(push_until_full_pop_until_empty)
{
	unsigned int i;
	int round;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		u32 slots = sizes[i];
		struct evs_ring *r = ring_new(slots);

		ASSERT_NE(NULL, r);
		/* Several rounds: the second starts where the first ended. */
		for (round = 0; round < 3; round++)
			fill_and_drain(_metadata, r, slots,
				       (u64)round * slots);
		ring_free(r, slots);
	}
	EXPECT_EQ(0, leaks());
}

TEST(full_push_after_stale_copy)
{
	/*
	 * The producer's tail_seen lags after pops: a push that finds the
	 * ring full by its copy must reread tail and succeed.
	 */
	u32 slots = 8, i;
	struct evs_ring *r = ring_new(slots);

	ASSERT_NE(NULL, r);
	for (i = 0; i < slots; i++)
		ASSERT_TRUE(evs_ring_push(r, val(i)));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(val(i), evs_ring_pop(r));
	EXPECT_EQ(0, r->tail_seen);
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(evs_ring_push(r, val(slots + i)));
	EXPECT_FALSE(evs_ring_push(r, val(100)));
	EXPECT_EQ(slots, evs_ring_count(r));
	for (i = 3; i < slots + 3; i++)
		EXPECT_EQ(val(i), evs_ring_pop(r));
	EXPECT_EQ(NULL, evs_ring_pop(r));
	ring_free(r, slots);
	EXPECT_EQ(0, leaks());
}

TEST(wrap_around_u32_indices)
{
	unsigned int i, s;
	int round;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (s = 0; s < ARRAY_SIZE(wrap_starts); s++) {
			u32 slots = sizes[i];
			struct evs_ring *r = ring_new(slots);

			ASSERT_NE(NULL, r);
			ring_set_index(r, wrap_starts[s]);
			EXPECT_EQ(0, evs_ring_count(r));
			EXPECT_EQ(NULL, evs_ring_pop(r));
			EXPECT_TRUE(evs_ring_has_room(r, slots));
			EXPECT_FALSE(evs_ring_has_room(r, slots + 1));
			/* A few full rounds carry head and tail past zero. */
			for (round = 0; round < 4; round++)
				fill_and_drain(_metadata, r, slots,
					       (u64)round << 32);
			ring_free(r, slots);
		}
	}
	EXPECT_EQ(0, leaks());
}

TEST(wrap_slot_is_index_and_mask)
{
	/* The index is masked on use, so the slot after 0xffffffff is 0. */
	u32 slots = 4;
	struct evs_ring *r = ring_new(slots);

	ASSERT_NE(NULL, r);
	ring_set_index(r, 0xfffffffeu);
	ASSERT_TRUE(evs_ring_push(r, val(1)));
	ASSERT_TRUE(evs_ring_push(r, val(2)));
	ASSERT_TRUE(evs_ring_push(r, val(3)));
	EXPECT_EQ(val(1), r->slot[2]);
	EXPECT_EQ(val(2), r->slot[3]);
	EXPECT_EQ(val(3), r->slot[0]);
	EXPECT_EQ(1, r->head);
	EXPECT_EQ(3, evs_ring_count(r));
	EXPECT_EQ(val(1), evs_ring_pop(r));
	EXPECT_EQ(val(2), evs_ring_pop(r));
	EXPECT_EQ(0, r->tail);
	EXPECT_EQ(val(3), evs_ring_pop(r));
	EXPECT_EQ(NULL, evs_ring_pop(r));
	ring_free(r, slots);
	EXPECT_EQ(0, leaks());
}

TEST(has_room_every_fill_level)
{
	unsigned int i, s;

	/* Not the 4096-slot ring: this is quadratic in slots. */
	for (i = 0; i < ARRAY_SIZE(sizes) - 1; i++) {
		for (s = 0; s < ARRAY_SIZE(wrap_starts); s++) {
			u32 slots = sizes[i], c, n, k;
			struct evs_ring *r = ring_new(slots);

			ASSERT_NE(NULL, r);
			ring_set_index(r, wrap_starts[s]);
			for (c = 0; c <= slots; c++) {
				for (n = 0; n <= slots + 2; n++)
					EXPECT_EQ(c + n <= slots,
						  evs_ring_has_room(r, n));
				if (c < slots)
					ASSERT_TRUE(evs_ring_push(r, val(c)));
			}
			/*
			 * Draining from the consumer side: has_room must
			 * reread tail rather than trust the producer's copy.
			 */
			for (k = 1; k <= slots; k++) {
				ASSERT_EQ(val(k - 1), evs_ring_pop(r));
				EXPECT_TRUE(evs_ring_has_room(r, k));
				EXPECT_FALSE(evs_ring_has_room(r, k + 1));
			}
			ring_free(r, slots);
		}
	}
	EXPECT_EQ(0, leaks());
}

/* An @n near 2^32 must not wrap the free-space arithmetic into "room". */
TEST(has_room_huge_n)
{
	u32 slots = 4;
	struct evs_ring *r = ring_new(slots);

	ASSERT_NE(NULL, r);
	ASSERT_TRUE(evs_ring_push(r, val(0)));
	EXPECT_FALSE(evs_ring_has_room(r, 0xffffffffu));
	EXPECT_FALSE(evs_ring_has_room(r, 0xfffffffdu));
	EXPECT_TRUE(evs_ring_has_room(r, 3));
	EXPECT_FALSE(evs_ring_has_room(r, 4));
	ring_free(r, slots);
	EXPECT_EQ(0, leaks());
}

/* xorshift64*: a reproducible sequence from a seed. */
static u64 rnd(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

TEST(random_ops_against_model)
{
	unsigned int i, s;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (s = 0; s < ARRAY_SIZE(wrap_starts); s++) {
			u32 slots = sizes[i];
			struct evs_ring *r = ring_new(slots);
			u64 seed = 0x9e3779b97f4a7c15ull * (i * 8 + s + 1);
			u64 in = 0, out = 0;	/* model: values in [out, in) */
			int step;

			ASSERT_NE(NULL, r);
			ring_set_index(r, wrap_starts[s]);
			for (step = 0; step < 20000; step++) {
				u64 x = rnd(&seed);
				/* Bias towards pushes, then pops, in phases. */
				bool push = (x & 7) < ((step / 500) & 1 ? 2 : 6);

				if (push) {
					bool ok = evs_ring_push(r, val(in));

					ASSERT_EQ(in - out < slots, ok);
					in += ok;
				} else {
					void *p = evs_ring_pop(r);

					ASSERT_EQ(in == out ? NULL : val(out), p);
					out += !!p;
				}
				ASSERT_EQ(in - out, evs_ring_count(r));
			}
			ring_free(r, slots);
		}
	}
	EXPECT_EQ(0, leaks());
}

/* ---- Two threads ---- */

static void relax(void)
{
	/*
	 * Yield at once: with a CPU each that costs little, and when the
	 * two threads end up sharing one (a loaded machine), the other side
	 * can only make progress once this one gets off it.
	 */
	sched_yield();
}

struct stress {
	struct evs_ring *r;
	u32 slots;
	u64 n;
	/* Consumer's findings, read after join. */
	u64 received;
	u64 bad_at;		/* first value out of order, + 1 */
	void *bad_val;
	/* count() seen above slots: never, from either side. */
	u32 prod_count_bad;
	u32 cons_count_bad;
	u64 full_spins;
	u64 empty_spins;
};

static void *producer(void *arg)
{
	struct stress *s = arg;
	u64 i;

	for (i = 0; i < s->n; i++) {
		while (!evs_ring_push(s->r, val(i))) {
			s->full_spins++;
			/* head is ours, tail only grows: at most slots. */
			if (evs_ring_count(s->r) > s->slots)
				s->prod_count_bad++;
			relax();
		}
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct stress *s = arg;
	u64 next = 0;

	/*
	 * In-order receipt of 0..n-1 means each arrived exactly once.  On a
	 * mismatch keep draining, so the producer can finish; the test then
	 * fails on bad_at.
	 */
	while (next < s->n) {
		void *p = evs_ring_pop(s->r);

		if (!p) {
			s->empty_spins++;
			if (evs_ring_count(s->r) > s->slots)
				s->cons_count_bad++;
			relax();
			continue;
		}
		if (p != val(next) && !s->bad_at) {
			s->bad_at = next + 1;
			s->bad_val = p;
		}
		next++;
		s->received++;
	}
	return NULL;
}

FIXTURE(stress) {
	struct stress s;
};

FIXTURE_VARIANT(stress) {
	u32 slots;
	u64 n;
};

/*
 * Under half a second per 5M values with ASan on two CPUs, except with
 * two slots, where nearly every value waits for the other side: there
 * 2M take about a second, but when both threads share one busy CPU each
 * handoff waits for a time slice (2M took over 30 s with a kernel build
 * on the other cores).  500k values still wrap the indices and fill and
 * empty the ring a quarter of a million times each.
 */
FIXTURE_VARIANT_ADD(stress, slots_2) {
	.slots = 2,
	.n = 500000,
};

FIXTURE_VARIANT_ADD(stress, slots_64) {
	.slots = 64,
	.n = 5000000,
};

FIXTURE_VARIANT_ADD(stress, slots_4096) {
	.slots = 4096,
	.n = 5000000,
};

FIXTURE_SETUP(stress)
{
	memset(&self->s, 0, sizeof(self->s));
	self->s.slots = variant->slots;
	self->s.n = variant->n;
	self->s.r = ring_new(variant->slots);
	ASSERT_NE(NULL, self->s.r);
	/* Half way through, the indices wrap past zero. */
	ring_set_index(self->s.r, (u32)(0 - variant->n / 2));
}

FIXTURE_TEARDOWN(stress)
{
	ring_free(self->s.r, self->s.slots);
}

/* Time on a loaded machine, not work: the test counts, it does not time. */
TEST_F_TIMEOUT(stress, spsc_in_order_exactly_once, 300)
{
	struct stress *s = &self->s;
	pthread_t prod, cons;
	u32 start = s->r->head;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, pthread_create(&cons, NULL, consumer, s));
	ASSERT_EQ(0, pthread_create(&prod, NULL, producer, s));
	ASSERT_EQ(0, pthread_join(prod, NULL));
	ASSERT_EQ(0, pthread_join(cons, NULL));
	clock_gettime(CLOCK_MONOTONIC, &t1);

	TH_LOG("slots %u: %llu values in %.2f s, %llu full spins, %llu empty spins",
	       s->slots, (unsigned long long)s->n,
	       (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (unsigned long long)s->full_spins,
	       (unsigned long long)s->empty_spins);
	EXPECT_EQ(s->n, s->received);
	if (s->bad_at)
		TH_LOG("value %llu arrived as %p",
		       (unsigned long long)s->bad_at - 1, s->bad_val);
	EXPECT_EQ(0, s->bad_at);
	EXPECT_EQ(0, s->prod_count_bad);
	EXPECT_EQ(0, s->cons_count_bad);
	EXPECT_EQ(NULL, evs_ring_pop(s->r));
	EXPECT_EQ(0, evs_ring_count(s->r));
	EXPECT_EQ((u32)(start + s->n), s->r->head);
	EXPECT_EQ((u32)(start + s->n), s->r->tail);
}

TEST_HARNESS_MAIN
