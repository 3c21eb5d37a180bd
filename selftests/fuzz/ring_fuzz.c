// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the SPSC ring, include/evstream/ring.h: the input
 * is a sequence of producer and consumer operations on one thread, each
 * checked against a model that is just two counters (values go in and
 * come out numbered in order).  It covers the index arithmetic, the
 * private copies of the other side's index and the u32 wrap; the
 * two-thread ordering is the unit test's job (selftests/unit/ring_test.c).
 *
 * Input:
 *	byte 0		slots: 2 << (byte % 6), so 2 to 64
 *	bytes 1-4	start index, little endian, xor 0xffffff00: zero bytes
 *			start 256 below the wrap, so most runs cross it
 *	the rest	one operation per byte, see ring_op()
 *
 * From the top of the tree, with this file as SRC:
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *		-Iinclude/uapi -Iinclude -o ring_fuzz SRC
 *	./ring_fuzz CORPUS_DIR selftests/fuzz/corpus/ring
 *
 * CORPUS_DIR gets what the fuzzer finds: make it a copy of the seeds.
 *
 * has_room is asked about n up to slots + 2 and, now and then, near 2^32,
 * where the free-space arithmetic must not wrap.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sanitizer/asan_interface.h>
#include <evstream/ring.h>

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

struct model {
	u64 in, out;		/* values out..in-1 are in the ring */
	u32 slots;
};

/* Distinct and never NULL: NULL is what pop says for empty. */
static void *val(u64 i)
{
	return (void *)(uintptr_t)(i + 1);
}

/* What each side's private copy may be: behind, never ahead. */
static void check_indices(const struct evs_ring *r, const struct model *m)
{
	u32 used = r->head - r->tail;

	CHECK(used == m->in - m->out);
	CHECK(used <= m->slots);
	CHECK(evs_ring_count(r) == used);
	CHECK(r->mask == m->slots - 1);
	/* tail_seen <= tail and tail <= head_seen <= head, modulo 2^32. */
	CHECK(r->tail - r->tail_seen <= r->head - r->tail_seen);
	CHECK(r->head_seen - r->tail <= used);
}

static void ring_op(struct evs_ring *r, struct model *m, u8 b)
{
	u32 arg = b >> 2, i, n;
	void *p;

	switch (b & 3) {
	case 0:		/* push a burst */
		for (i = 0; i <= arg % 8; i++) {
			bool room = m->in - m->out < m->slots;

			CHECK(evs_ring_push(r, val(m->in)) == room);
			m->in += room;
		}
		break;
	case 1:		/* pop a burst */
		for (i = 0; i <= arg % 8; i++) {
			p = evs_ring_pop(r);
			CHECK(p == (m->in == m->out ? NULL : val(m->out)));
			m->out += !!p;
		}
		break;
	case 2:		/* producer asks for room */
		n = arg % (m->slots + 3);
		if (arg & 32)
			n = 0u - 1 - (arg & 7);
		CHECK(evs_ring_has_room(r, n) ==
		      (m->in - m->out + n <= m->slots));
		break;
	default:	/* fill or drain completely */
		if (arg & 1) {
			while (evs_ring_push(r, val(m->in)))
				m->in++;
			CHECK(m->in - m->out == m->slots);
		} else {
			while ((p = evs_ring_pop(r))) {
				CHECK(p == val(m->out));
				m->out++;
			}
			CHECK(m->in == m->out);
		}
		break;
	}
	check_indices(r, m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m = {};
	struct evs_ring *r;
	size_t bytes, i;
	u32 start;

	if (size < 5)
		return 0;
	m.slots = 2u << (data[0] % 6);
	start = ((u32)data[1] | (u32)data[2] << 8 | (u32)data[3] << 16 |
		 (u32)data[4] << 24) ^ 0xffffff00u;

	/* aligned_alloc() wants a multiple of the alignment. */
	bytes = (evs_ring_bytes(m.slots) + SMP_CACHE_BYTES - 1) &
		~(size_t)(SMP_CACHE_BYTES - 1);
	r = aligned_alloc(SMP_CACHE_BYTES, bytes);
	CHECK(r);
	memset(r, 0xa5, bytes);
	/* The rounding must not hide an access past the last slot. */
	ASAN_POISON_MEMORY_REGION((char *)r + evs_ring_bytes(m.slots),
				  bytes - evs_ring_bytes(m.slots));
	evs_ring_init(r, m.slots);
	/* Free-running indices: any start is as good as zero. */
	r->head = start;
	r->tail_seen = start;
	r->tail = start;
	r->head_seen = start;
	check_indices(r, &m);

	for (i = 5; i < size; i++)
		ring_op(r, &m, data[i]);
	ASAN_UNPOISON_MEMORY_REGION(r, bytes);
	free(r);
	return 0;
}
