// SPDX-License-Identifier: GPL-2.0
/*
 * Workers: one thread per priority, the counterparts of the module's
 * three workqueues (kmod/dispatch.c).
 *
 * Worker p is the one consumer of ring p of every I/O thread, which is
 * what keeps each ring single-consumer.  It takes at most cfg.batch
 * events from one ring before it moves to the next, so one busy I/O
 * thread cannot starve the others, and for each event stamps the times,
 * appends it to the store, counts it and marks it done in its
 * connection's window.  At the end of each run of events from one
 * connection it kicks the connection to its I/O thread, which acks.
 *
 * An idle worker spins briefly (the next read of a busy I/O thread is
 * usually microseconds away), then sleeps on a futex; producers wake it
 * only when it sleeps, once per read pass, as the module queues its work
 * once per read.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "evsink.h"

/* Looks at the rings this many times before going to sleep. */
#define IDLE_SPINS	64

static void futex_wait(atomic_int *word, int val)
{
	/* Returns at once if *word != val: no lost wake-up. */
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void evs_workers_kick(struct evs_sink *s, unsigned int mask)
{
	unsigned int p;

	/*
	 * Pairs with the fence in worker_sleep(): either it sees what we
	 * pushed, or we see it asleep.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	for (p = 0; p < EVS_PRIO_NR; p++) {
		struct evs_worker *w = &s->w[p];

		if (!(mask & EVS_BIT(p)) ||
		    !atomic_load_explicit(&w->sleeping, memory_order_relaxed))
			continue;
		if (atomic_exchange(&w->sleeping, 0))
			futex_wake(&w->sleeping);
	}
}

void evs_worker_stop(struct evs_worker *w)
{
	atomic_store(&w->stop, true);
	atomic_store(&w->sleeping, 0);
	futex_wake(&w->sleeping);
}

/* The module's histogram: bucket ilog2(ns), 0 below 2 ns, last is open. */
static unsigned int lat_bucket(uint64_t ns)
{
	unsigned int b = ns < 2 ? 0 : 63 - (unsigned int)__builtin_clzll(ns);

	return b < EVS_LAT_BUCKETS ? b : EVS_LAT_BUCKETS - 1;
}

void evs_maybe_resume(struct evs_sink *s)
{
	uint64_t limit = s->cfg.pool_limit;
	unsigned int i;

	/* Pairs with the fence in the I/O thread's conn_pause(). */
	atomic_thread_fence(memory_order_seq_cst);
	/*
	 * Once the pool is back under three quarters of its limit, as the
	 * module does, so that paused readers do not flap at the edge.
	 */
	if ((uint64_t)atomic_load_explicit(&s->inflight,
					   memory_order_relaxed) * 4 > limit * 3)
		return;
	for (i = 0; i < s->nio; i++) {
		struct evs_io *io = &s->io[i];

		if (!(atomic_load_explicit(&io->wait, memory_order_relaxed) &
		      EVS_WAIT_POOL))
			continue;
		if (atomic_fetch_and(&io->wait, ~EVS_WAIT_POOL) &
		    EVS_WAIT_POOL) {
			atomic_store(&io->resume, true);
			evs_io_wake(io);
		}
	}
}

static void process(struct evs_worker *w, struct evs_event *ev)
{
	struct evs_sink *s = w->s;
	uint64_t lat, evicted;

	ev->t_done = evs_now_ns();
	lat = ev->t_done - ev->t_ingest;
	/* The store owns the event from here; it may even evict it. */
	evicted = evs_store_add(&s->store, ev, &w->pc);
	atomic_fetch_sub_explicit(&s->inflight, 1, memory_order_relaxed);
	EVS_STAT_INC(w->st.stored);
	if (evicted)
		EVS_STAT_ADD(w->st.evicted, evicted);
	EVS_STAT_INC(w->st.lat[lat_bucket(lat)]);
}

/* Takes at most @budget events off @ring; returns how many. */
static unsigned int drain(struct evs_worker *w, struct evs_ring *ring,
			  unsigned int budget)
{
	struct evs_conn *last = NULL;
	struct evs_event *ev;
	unsigned int n = 0;

	while (n < budget && (ev = evs_ring_pop(ring))) {
		struct evs_conn *c = ev->conn;
		uint32_t idx = ev->pend_idx;

		n++;
		ev->t_dequeue = evs_now_ns();
		ev->conn = NULL;
		if (c != last) {
			/*
			 * One reference per run of events from a connection,
			 * not per event.  It is safe to take: this event is
			 * not done, so its I/O thread still holds its own.
			 */
			evs_conn_get(c);
			if (last) {
				evs_conn_kick(last);
				evs_conn_put(last);
			}
			last = c;
		}
		process(w, ev);
		/* The I/O thread reads the slot after seeing done (acquire). */
		__atomic_store_n(&c->pend[idx % EVS_CONN_WINDOW].done, 1,
				 __ATOMIC_RELEASE);
	}
	if (last) {
		evs_conn_kick(last);
		evs_conn_put(last);
	}
	return n;
}

/* One pass over the rings of this priority; returns the events taken. */
static unsigned int worker_pass(struct evs_worker *w)
{
	struct evs_sink *s = w->s;
	unsigned int bit = EVS_BIT(w->prio), i, n, total = 0;

	for (i = 0; i < s->nio; i++) {
		struct evs_io *io = &s->io[i];

		n = drain(w, io->ring[w->prio], s->cfg.batch);
		if (!n)
			continue;
		total += n;
		/*
		 * Room made: tell the I/O thread if a reader waits for it.
		 * Pairs with the fence in conn_pause().
		 */
		atomic_thread_fence(memory_order_seq_cst);
		if ((atomic_load_explicit(&io->wait, memory_order_relaxed) & bit) &&
		    (atomic_fetch_and(&io->wait, ~bit) & bit)) {
			atomic_store(&io->resume, true);
			evs_io_wake(io);
		}
	}
	if (total)
		evs_maybe_resume(s);
	return total;
}

static bool worker_pending(struct evs_worker *w)
{
	struct evs_sink *s = w->s;
	unsigned int i;

	for (i = 0; i < s->nio; i++)
		if (evs_ring_count(s->io[i].ring[w->prio]))
			return true;
	return false;
}

static void worker_sleep(struct evs_worker *w)
{
	atomic_store_explicit(&w->sleeping, 1, memory_order_relaxed);
	/* Pairs with the fence in evs_workers_kick(). */
	atomic_thread_fence(memory_order_seq_cst);
	if (worker_pending(w) || atomic_load(&w->stop)) {
		atomic_store(&w->sleeping, 0);
		return;
	}
	EVS_STAT_INC(w->st.sleeps);
	while (atomic_load(&w->sleeping))
		futex_wait(&w->sleeping, 1);
}

void *evs_worker_main(void *arg)
{
	struct evs_worker *w = arg;
	unsigned int spin;

	for (;;) {
		if (worker_pass(w))
			continue;
		for (spin = 0; spin < IDLE_SPINS && !worker_pending(w); spin++)
			evs_cpu_relax();
		if (spin < IDLE_SPINS)
			continue;
		/*
		 * The I/O threads stopped before we were told to: empty
		 * rings now stay empty, and everything is stored.
		 */
		if (atomic_load(&w->stop))
			break;
		worker_sleep(w);
	}
	return NULL;
}
