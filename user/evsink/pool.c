// SPDX-License-Identifier: GPL-2.0
/*
 * Event pools: one slab per payload size class, the userspace stand-in
 * for the module's kmem_caches (kmod/pool.c), with the same classes.
 *
 * Objects are carved from chunks that go back to malloc only at exit.
 * Each thread keeps two magazines per class (Bonwick's magazine layer,
 * which is what SLUB's per-CPU slabs amount to): a loaded one it
 * allocates from and frees to, and a spare that is either full or
 * empty, so that a thread working at a magazine's edge does not go to
 * the shared depot on every call.  Whole magazines move between a
 * thread and the depot under the class's mutex: one lock round trip per
 * magazine, not per event.  Here an I/O thread allocates as it parses
 * and frees what its stores evict, which may be older events of any
 * thread: magazines only go through the depot when one thread evicts
 * more than it parses.
 *
 * In sanitized builds a free object is poisoned for ASan (all but its
 * two link words), so a use after free inside the pool is still caught.
 */
#include <stdlib.h>
#include <string.h>

#include "evsink.h"

#if defined(__SANITIZE_ADDRESS__)
#define EVS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EVS_ASAN 1
#endif
#endif

#ifdef EVS_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)	ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n)	((void)(p), (void)(n))
#define UNPOISON(p, n)	((void)(p), (void)(n))
#endif

/* A free object: its first two words link it. */
struct slab_obj {
	struct slab_obj *next;		/* within a magazine */
	struct slab_obj *mag_next;	/* first object: next full magazine */
};

#define CHUNK_HDR	64		/* keeps objects cache-line aligned */

struct slab_chunk {
	struct slab_chunk *next;
	size_t size;
};

struct slab_class {
	pthread_mutex_t lock;		/* depot, chunks, bytes */
	struct slab_obj *depot;		/* full magazines */
	struct slab_chunk *chunks;
	uint64_t bytes;
	size_t obj_size;
	unsigned int mag_size;
};

static const uint32_t class_payload[EVS_NR_CLASSES] = {
	256, 1024, 4096, EVS_WIRE_PAYLOAD_CAP
};

/*
 * Objects per magazine (and per chunk): about 24 KiB of small objects,
 * fewer of the big ones so that an idle thread does not sit on much.
 */
static const unsigned int class_mag[EVS_NR_CLASSES] = { 64, 32, 16, 4 };

static struct slab_class classes[EVS_NR_CLASSES];

static unsigned int class_of(uint32_t len)
{
	unsigned int i;

	for (i = 0; i < EVS_NR_CLASSES - 1; i++)
		if (len <= class_payload[i])
			break;
	return i;
}

int evs_pool_init(void)
{
	unsigned int i;

	for (i = 0; i < EVS_NR_CLASSES; i++) {
		struct slab_class *sc = &classes[i];
		size_t size = sizeof(struct evs_event) + class_payload[i];

		memset(sc, 0, sizeof(*sc));
		if (pthread_mutex_init(&sc->lock, NULL))
			return -1;
		/* As SLAB_HWCACHE_ALIGN: no two events share a line. */
		sc->obj_size = (size + 63) & ~(size_t)63;
		sc->mag_size = class_mag[i];
	}
	return 0;
}

void evs_pool_exit(void)
{
	unsigned int i;

	for (i = 0; i < EVS_NR_CLASSES; i++) {
		struct slab_class *sc = &classes[i];
		struct slab_chunk *ch, *next;

		for (ch = sc->chunks; ch; ch = next) {
			next = ch->next;
			UNPOISON(ch, ch->size);
			free(ch);
		}
		sc->chunks = NULL;
		sc->depot = NULL;
		sc->bytes = 0;
		pthread_mutex_destroy(&sc->lock);
	}
}

static void obj_poison(const struct slab_class *sc, struct slab_obj *o)
{
	POISON((char *)o + sizeof(*o), sc->obj_size - sizeof(*o));
}

/* A full magazine for @m: from the depot, else from a new chunk. */
static bool refill(struct slab_class *sc, struct evs_mag *m)
{
	struct slab_obj *head = NULL;
	struct slab_chunk *ch;
	size_t size;
	unsigned int i;

	pthread_mutex_lock(&sc->lock);
	if (sc->depot) {
		head = sc->depot;
		sc->depot = head->mag_next;
	}
	pthread_mutex_unlock(&sc->lock);
	if (head) {
		m->head = head;
		m->n = sc->mag_size;
		return true;
	}

	/* malloc may take its time: not under the lock. */
	size = CHUNK_HDR + (size_t)sc->mag_size * sc->obj_size;
	ch = aligned_alloc(64, size);
	if (!ch)
		return false;
	ch->size = size;
	for (i = sc->mag_size; i-- > 0;) {
		struct slab_obj *o = (struct slab_obj *)((char *)ch + CHUNK_HDR +
							 i * sc->obj_size);

		o->next = head;
		obj_poison(sc, o);
		head = o;
	}
	pthread_mutex_lock(&sc->lock);
	ch->next = sc->chunks;
	sc->chunks = ch;
	sc->bytes += size;
	pthread_mutex_unlock(&sc->lock);
	m->head = head;
	m->n = sc->mag_size;
	return true;
}

struct evs_event *evs_pool_alloc(struct evs_pcache *pc, uint32_t len)
{
	unsigned int cls = class_of(len);
	struct slab_class *sc = &classes[cls];
	struct evs_mag *m = &pc->loaded[cls];
	struct evs_event *ev;
	struct slab_obj *o;

	if (!m->n) {
		struct evs_mag *spare = &pc->prev[cls];

		if (spare->n) {
			*m = *spare;
			spare->head = NULL;
			spare->n = 0;
		} else if (!refill(sc, m)) {
			return NULL;
		}
	}
	o = m->head;
	m->head = o->next;
	m->n--;
	UNPOISON(o, sc->obj_size);
	pc->allocs++;
	ev = (struct evs_event *)o;
	ev->cls = (uint8_t)cls;
	ev->len = len;
	return ev;
}

void evs_pool_free(struct evs_pcache *pc, struct evs_event *ev)
{
	unsigned int cls = ev->cls;
	struct slab_class *sc = &classes[cls];
	struct evs_mag *m = &pc->loaded[cls];
	struct slab_obj *o = (struct slab_obj *)ev;

	if (m->n == sc->mag_size) {
		struct evs_mag *spare = &pc->prev[cls];

		/* The spare is full too: it goes to the depot. */
		if (spare->n) {
			struct slab_obj *full = spare->head;

			pthread_mutex_lock(&sc->lock);
			full->mag_next = sc->depot;
			sc->depot = full;
			pthread_mutex_unlock(&sc->lock);
		}
		*spare = *m;
		m->head = NULL;
		m->n = 0;
	}
	o->next = m->head;
	obj_poison(sc, o);
	m->head = o;
	m->n++;
	pc->frees++;
}

uint32_t evs_event_cost(const struct evs_event *ev)
{
	return (uint32_t)sizeof(*ev) + class_payload[ev->cls];
}

uint64_t evs_pool_bytes(void)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < EVS_NR_CLASSES; i++) {
		pthread_mutex_lock(&classes[i].lock);
		sum += classes[i].bytes;
		pthread_mutex_unlock(&classes[i].lock);
	}
	return sum;
}
