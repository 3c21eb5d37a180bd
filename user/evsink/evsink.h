/* SPDX-License-Identifier: GPL-2.0 */
/*
 * evsink: the evstream pipeline in userspace, as a benchmark peer of the
 * module.  Same wire protocol, same portable parser, same bounded store;
 * built as a userspace server would be rather than as a copy of the
 * module's stages: each I/O thread runs its connections to completion
 * (read, parse, route, store, ack) with no hand-over to other threads, a
 * slab with per-thread magazines stands in for the kmem_caches.
 *
 * Who may touch what:
 * - struct evs_io and every connection it owns: its I/O thread only,
 *   except the fields marked "shared" (other threads write them, with
 *   atomics).
 * - store: its mutex.
 * - sink->inflight: atomics, taken and given back a grant at a time.
 * - counters: each thread writes its own (relaxed stores, so that the
 *   main thread may read them at any time for SIGUSR1).
 */
#ifndef _EVSINK_H
#define _EVSINK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <evstream/parser.h>
#include <evstream/stats_names.h>

#include "../lib/evs_addr.h"

#define EVS_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define EVS_BIT(n)		(1U << (n))
#define EVS_NSEC		1000000000ULL

/* Payload size classes of the pool, as kmod/pool.c. */
#define EVS_NR_CLASSES		4
/* Bytes one read() may bring in: large, to keep syscalls few. */
#define EVS_IO_BUF		(256 * 1024)
#define EVS_NO_ROUTE		0xff

/* ---- a minimal intrusive list (the kernel's list.h, trimmed) ---- */

struct evs_list {
	struct evs_list *next, *prev;
};

static inline void evs_list_init(struct evs_list *h)
{
	h->next = h;
	h->prev = h;
}

static inline bool evs_list_empty(const struct evs_list *h)
{
	return h->next == h;
}

static inline void evs_list_add_tail(struct evs_list *n, struct evs_list *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

/* Leaves @n pointing at itself, so that a second del is harmless. */
static inline void evs_list_del(struct evs_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	evs_list_init(n);
}

/* Moves every entry of non-empty @from to empty @to; @from ends empty. */
static inline void evs_list_splice_init(struct evs_list *from,
					struct evs_list *to)
{
	*to = *from;
	to->next->prev = to;
	to->prev->next = to;
	evs_list_init(from);
}

static inline bool evs_list_linked(const struct evs_list *n)
{
	return n->next != n;
}

#define evs_container_of(p, type, member) \
	((type *)((char *)(p) - offsetof(type, member)))

/* ---- relaxed counters: one writer, any reader ---- */

static inline void evs_stat_add(uint64_t *ctr, uint64_t n)
{
	__atomic_store_n(ctr, *ctr + n, __ATOMIC_RELAXED);
}

#define EVS_STAT_ADD(field, n)	evs_stat_add(&(field), (n))
#define EVS_STAT_INC(field)	evs_stat_add(&(field), 1)
#define EVS_STAT_SET(field, v) \
	__atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define EVS_STAT_READ(field)	__atomic_load_n(&(field), __ATOMIC_RELAXED)

/* ---- events and the pool (pool.c) ---- */

/*
 * One event: header and payload in one object, as in the module, so the
 * parser copies the payload straight into what the store keeps.
 */
struct evs_event {
	struct evs_event *fifo_next;	/* store: age order; free: list link */
	uint64_t t_ingest;		/* ns: its read pass began */
	uint64_t seq;			/* store sequence in its topic */
	uint32_t len;
	uint16_t topic;
	uint8_t prio;
	uint8_t cls;			/* pool size class */
	uint8_t data[] __attribute__((aligned(8)));
};

/* One thread's magazines: a full or partly full one, and a spare. */
struct evs_mag {
	void *head;
	unsigned int n;
};

struct evs_pcache {
	struct evs_mag loaded[EVS_NR_CLASSES];
	struct evs_mag prev[EVS_NR_CLASSES];
	uint64_t allocs;		/* objects handed out by this thread */
	uint64_t frees;			/* objects given back to it */
};

int evs_pool_init(void);
/* Frees every chunk: all threads must be done with the pool. */
void evs_pool_exit(void);
struct evs_event *evs_pool_alloc(struct evs_pcache *pc, uint32_t len);
void evs_pool_free(struct evs_pcache *pc, struct evs_event *ev);
/* What an event costs in memory: the store charges this. */
uint32_t evs_event_cost(const struct evs_event *ev);
/* Bytes the pool took from malloc, for the statistics. */
uint64_t evs_pool_bytes(void);

/* ---- store (store.c) ---- */

/* Events appended per store lock round, as the module's EVS_STORE_CHUNK. */
#define EVS_STORE_CHUNK		32

struct evs_topic {
	uint64_t first_seq;		/* oldest still stored */
	uint64_t next_seq;		/* the next one to store */
	uint32_t cap;			/* slots, a power of two */
	struct evs_event **slot;	/* [seq & (cap - 1)] */
};

struct evs_store {
	pthread_mutex_t lock;		/* everything below */
	struct evs_event *fifo_head;	/* every stored event, oldest first */
	struct evs_event *fifo_tail;
	uint64_t bytes;
	uint64_t events;
	uint64_t limit;			/* bytes */
	struct evs_topic **topics;	/* [65536], made on first use */
};

int evs_store_init(struct evs_store *st, uint64_t limit);
/* Frees every stored event into @pc, and the topics. */
void evs_store_exit(struct evs_store *st, struct evs_pcache *pc);
/*
 * Appends @n events (at most EVS_STORE_CHUNK) in one lock round and
 * takes ownership: any may be evicted before this returns.  Evicted
 * events are freed into @pc; returns how many.
 */
uint64_t evs_store_add(struct evs_store *st, struct evs_event **evs,
		       unsigned int n, struct evs_pcache *pc);
void evs_store_gauges(struct evs_store *st, uint64_t *events,
		      uint64_t *bytes);

/* ---- connections and I/O threads (io.c) ---- */

struct evs_conn {
	struct evs_list node;		/* io->conns, then io->dead */
	struct evs_list paused_node;	/* io->paused: waits for the pool */
	struct evs_list run_node;	/* io->runnable: more to read */
	struct evs_io *io;
	int fd;
	uint64_t id;

	/* Reader. */
	struct evs_parser parser;
	struct evs_event *cur;		/* being filled */
	uint8_t *stash;			/* bytes read, not parsed (paused) */
	uint32_t stash_off, stash_len;
	bool paused;			/* waits for the pool */
	bool readable;			/* no EAGAIN since the last edge */
	bool rdhup;			/* the peer's FIN was reported */
	bool rd_eof;			/* read() returned 0 */
	bool eof;			/* ... and everything was parsed */
	bool error;			/* protocol error: ERROR, then close */
	bool error_sent;
	bool closed;

	/*
	 * Acks.  Every frame accepted in a read pass is stored by its end,
	 * so what was accepted is what is stored when the ack goes out.
	 */
	uint32_t last_seq;		/* highest client seq accepted */
	bool any;			/* ... there is one */
	bool ack_req;			/* an ACK_REQ frame since the last ack */
	uint16_t tx_len, tx_off;
	uint8_t tx[96];			/* ACK and ERROR frames going out */
	uint64_t events;
	uint64_t bytes;

	/* Shared: the acceptor hands the connection over, once. */
	struct evs_conn *inbox_next;
};

struct evs_io_stats {
	uint64_t frames, bytes, rx_bytes, reads, stores;
	uint64_t enq[EVS_PRIO_NR];
	uint64_t stored[EVS_PRIO_NR];
	uint64_t evicted;
	uint64_t err[EVS_FRAME_ERR_NR];
	uint64_t conn_accepted, conn_closed;
	uint64_t pauses, resumes, acks, pool_fails, truncated;
	uint64_t inflight_high;		/* the highest this thread saw */
	uint64_t lat[EVS_PRIO_NR][EVS_LAT_BUCKETS];	/* parse to stored */
};

/* A lock-free list of connections (the kernel's llist_head). */
struct evs_llist {
	struct evs_conn *_Atomic first;
};

struct evs_sink;

struct evs_io {
	struct evs_sink *s;
	unsigned int idx;
	pthread_t thread;
	bool started;
	int epfd;
	int evfd;			/* wakes it from epoll_wait */
	uint8_t *buf;			/* reads land here */
	struct evs_list conns;		/* open */
	struct evs_list dead;		/* closed, to free */
	struct evs_list paused;
	struct evs_list runnable;
	bool retry;			/* room came back while pausing */
	bool pressure;			/* this pass: auto traffic to batch */

	/*
	 * In flight: @held credits taken from sink->inflight, @used of them
	 * by events not yet stored (those waiting in @pend and the
	 * connections' @cur).
	 */
	uint32_t held, used;
	/* This read pass: complete events waiting to be stored, by prio. */
	struct evs_event *pend[EVS_PRIO_NR][EVS_STORE_CHUNK];
	unsigned int npend[EVS_PRIO_NR];
	uint64_t t_pass;		/* the pass's clock */
	uint32_t nlat[EVS_PRIO_NR];	/* stored this pass, begun in it */
	uint64_t carry_t;		/* one begun in an earlier pass */
	int carry_prio;			/* -1: none */

	struct evs_pcache pc;
	struct evs_io_stats st;

	/* Shared. */
	struct evs_llist inbox __attribute__((aligned(64)));
	atomic_bool wait_pool;		/* a connection waits for credits */
	atomic_bool resume;		/* another thread gave credits back */
	atomic_bool sleeping;		/* in (or going into) epoll_wait */
	atomic_bool stop;
};

int evs_io_init(struct evs_io *io, struct evs_sink *s, unsigned int idx);
void evs_io_free(struct evs_io *io);
void *evs_io_main(void *arg);
/* Wakes @io if it sleeps in epoll_wait; after publishing work for it. */
void evs_io_wake(struct evs_io *io);
/* Shutdown, single-threaded: closes and frees every connection of @io. */
void evs_io_teardown(struct evs_io *io);

/* ---- the whole sink (evsink.c) ---- */

struct evs_cfg {
	struct evs_addr listen;
	unsigned int threads;
	bool raw;
	uint32_t max_payload;
	uint32_t pool_limit;
	uint32_t pressure;		/* percent of pool_limit */
	uint64_t store_limit;
	int stats_fd;			/* -1: stderr (text), stdout (JSON) */
	bool report;
};

struct evs_sink {
	struct evs_cfg cfg;
	int lfd;			/* the listening socket */
	unsigned int nio;
	struct evs_io *io;
	struct evs_store store;
	uint8_t route[65536];		/* topic -> prio, or EVS_NO_ROUTE */

	/* Credits taken by the I/O threads, at most cfg.pool_limit. */
	atomic_int inflight __attribute__((aligned(64)));
	atomic_ullong next_conn_id;
	atomic_uint next_io;		/* round-robin of new connections */
};

static inline uint64_t evs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * EVS_NSEC + (uint64_t)ts.tv_nsec;
}

#endif /* _EVSINK_H */
