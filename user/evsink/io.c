// SPDX-License-Identifier: GPL-2.0
/*
 * I/O threads: accept, read, parse, push to the rings, acks, errors,
 * backpressure and closing; the userspace counterpart of kmod/conn.c and
 * kmod/listen.c.
 *
 * Each I/O thread has its own epoll and owns its connections for their
 * whole life, so everything about a connection but the pend window's
 * done marks is touched by one thread and needs no lock.  One listening
 * socket sits in every thread's epoll with EPOLLEXCLUSIVE; whoever
 * accepts hands the connection round-robin to a thread (SO_REUSEPORT
 * would spread by hash, which is lopsided with a handful of clients).
 *
 * Sockets are edge-triggered.  A connection that cannot take an event
 * (in-flight limit, full ring, full window) simply stops reading: the
 * bytes stay in the socket's receive queue, TCP closes the window and
 * the client slows down, exactly as when the module stops its
 * tcp_read_sock() actor; with edge-triggered epoll that needs no
 * epoll_ctl() to drop EPOLLIN, and resuming means reading again.  Bytes
 * already read but not parsed when the pause hit are kept in a small
 * per-connection stash.  Nothing accepted is ever dropped.
 *
 * Workers mark stored events done in the connection's pend window and
 * kick the connection to its I/O thread (a lock-free list and, only if
 * the thread sleeps in epoll_wait, its eventfd).  The I/O thread walks
 * the window from the oldest event while events are done and sends one
 * cumulative ACK for the run: acks only ever cover an unbroken run of
 * stored frames, as in the module.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "../lib/evs_wire.h"
#include "evsink.h"

/* Reads of one connection before the others get their turn. */
#define READS_PER_TURN		4
#define MAX_EVENTS		64
/*
 * A window-paused connection reads again once half its window is free,
 * not at the first free slot: one resume then fills hundreds of slots.
 */
#define WINDOW_RESUME		(EVS_CONN_WINDOW / 2)

/* epoll data of the two fds that are not connections. */
static char listen_tag, wake_tag;

static void conn_tx(struct evs_io *io, struct evs_conn *c);
static void conn_close(struct evs_io *io, struct evs_conn *c);

/* ---- references and hand-overs ---- */

static void conn_free(struct evs_conn *c)
{
	/* Unlinked and closed by now: only memory is left, any thread. */
	free(c->pend);
	free(c->stash);
	free(c);
}

void evs_conn_get(struct evs_conn *c)
{
	atomic_fetch_add_explicit(&c->ref, 1, memory_order_relaxed);
}

void evs_conn_put(struct evs_conn *c)
{
	if (atomic_fetch_sub_explicit(&c->ref, 1, memory_order_acq_rel) == 1)
		conn_free(c);
}

void evs_io_wake(struct evs_io *io)
{
	uint64_t one = 1;

	/*
	 * Pairs with the fence before epoll_wait() in evs_io_main(): either
	 * it sees what we published, or we see it going to sleep.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&io->sleeping, memory_order_relaxed) ||
	    !atomic_exchange(&io->sleeping, false))
		return;
	/* Cannot fail but with EAGAIN, when it is readable anyway. */
	if (write(io->evfd, &one, sizeof(one)) < 0)
		return;
}

/* Pushes @c on a lock-free list (llist_add); true if it was empty. */
static bool push_list(struct evs_llist *head, struct evs_conn *c,
		      struct evs_conn **link)
{
	struct evs_conn *old = atomic_load_explicit(&head->first,
						    memory_order_relaxed);

	do {
		*link = old;
	} while (!atomic_compare_exchange_weak_explicit(&head->first, &old, c,
							memory_order_release,
							memory_order_relaxed));
	return !old;
}

void evs_conn_kick(struct evs_conn *c)
{
	/*
	 * Already queued: the I/O thread has yet to clear the flag, and its
	 * exchange will see our done marks (acq_rel on both sides).
	 */
	if (atomic_exchange_explicit(&c->kicked, true, memory_order_acq_rel))
		return;
	evs_conn_get(c);	/* the list's reference */
	/* Whoever made the list non-empty wakes the thread. */
	if (push_list(&c->io->kicks, c, &c->kick_next))
		evs_io_wake(c->io);
}

static void io_runnable(struct evs_io *io, struct evs_conn *c)
{
	if (!evs_list_linked(&c->run_node))
		evs_list_add_tail(&c->run_node, &io->runnable);
}

/* ---- the pool, in flight ---- */

/* An event that never reached a ring leaves the in-flight count. */
static void drop_event(struct evs_io *io, struct evs_event *ev)
{
	evs_pool_free(&io->pc, ev);
	atomic_fetch_sub_explicit(&io->s->inflight, 1, memory_order_relaxed);
	evs_maybe_resume(io->s);
}

/*
 * Header priority wins; AUTO takes the topic's rule, else transactional,
 * but goes to batch while the pool is above the pressure mark: the
 * module's evs_route().
 */
static uint8_t route(struct evs_sink *s, const struct evs_frame *f)
{
	uint64_t mark;

	if (f->priority != EVS_PRIO_AUTO)
		return f->priority;
	mark = (uint64_t)s->cfg.pool_limit * s->cfg.pressure;
	if ((uint64_t)atomic_load_explicit(&s->inflight,
					   memory_order_relaxed) * 100 > mark)
		return EVS_PRIO_BATCH;
	return s->route[f->topic] != EVS_NO_ROUTE ? s->route[f->topic] :
						    EVS_PRIO_TX;
}

/* ---- rx: the reader ---- */

/*
 * Stops reading @c.  A connection waiting for the pool or a ring goes on
 * the thread's paused list and says so in io->wait, where the workers
 * look after each batch; one waiting on its own window is resumed by
 * conn_tx() as its acks advance.
 */
static void conn_pause(struct evs_io *io, struct evs_conn *c, int why,
		       struct evs_ring *ring, unsigned int prio)
{
	struct evs_sink *s = io->s;
	bool room;

	if (!c->pause_why)
		EVS_STAT_INC(io->st.pauses);
	c->pause_why |= EVS_BIT(why);
	if (why == EVS_PAUSE_WINDOW)
		return;
	if (!evs_list_linked(&c->paused_node))
		evs_list_add_tail(&c->paused_node, &io->paused);
	atomic_fetch_or(&io->wait, ring ? EVS_BIT(prio) : EVS_WAIT_POOL);
	/*
	 * A worker may have made room between our failed attempt and the
	 * flag, and seen no flag.  Both sides write, fence, then read the
	 * other's side: one of us sees the other.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (ring)
		room = evs_ring_has_room(ring, 1);
	else
		room = atomic_load_explicit(&s->inflight, memory_order_relaxed) <
		       (int)s->cfg.pool_limit;
	if (room)
		io->retry = true;
}

/* Hands a complete event to its ring; false when it must wait. */
static bool conn_push(struct evs_io *io, struct evs_conn *c,
		      struct evs_event *ev)
{
	/*
	 * Once pushed, the event belongs to the consumer, which may store
	 * and free it before this returns: nothing of it is read after.
	 */
	const unsigned int prio = ev->prio;
	struct evs_ring *ring = io->ring[prio];
	uint32_t idx = c->pend_tail;
	struct evs_pend *pe = &c->pend[idx % EVS_CONN_WINDOW];

	/* The slot is free (the window was checked in begin), unpublished. */
	pe->seq = ev->client_seq;
	pe->flags = ev->flags;
	__atomic_store_n(&pe->done, 0, __ATOMIC_RELAXED);
	ev->pend_idx = idx;
	ev->conn = c;
	/* The push's release publishes the event and its slot. */
	if (!evs_ring_push(ring, ev)) {
		conn_pause(io, c, EVS_PAUSE_RING, ring, prio);
		return false;
	}
	c->pend_tail = idx + 1;
	io->pushed |= EVS_BIT(prio);
	EVS_STAT_INC(io->st.enq[prio]);
	return true;
}

static void *sink_begin(void *ctx, const struct evs_frame *f, size_t off)
{
	struct evs_conn *c = ctx;
	struct evs_io *io = c->io;
	struct evs_sink *s = io->s;
	struct evs_event *ev = NULL;
	int n;

	(void)off;	/* a buffer as soon as the header is in */
	if (c->pend_tail - c->pend_head >= EVS_CONN_WINDOW) {
		conn_pause(io, c, EVS_PAUSE_WINDOW, NULL, 0);
		return NULL;
	}
	/* One shared count, as the module's per-namespace atomic. */
	n = atomic_fetch_add_explicit(&s->inflight, 1,
				      memory_order_relaxed) + 1;
	if (n <= (int)s->cfg.pool_limit)
		ev = evs_pool_alloc(&io->pc, f->length);
	if (!ev) {
		atomic_fetch_sub_explicit(&s->inflight, 1,
					  memory_order_relaxed);
		EVS_STAT_INC(io->st.pool_fails);
		conn_pause(io, c, EVS_PAUSE_POOL, NULL, 0);
		return NULL;
	}
	if ((uint64_t)n > io->st.inflight_high)
		EVS_STAT_SET(io->st.inflight_high, (uint64_t)n);
	ev->t_ingest = evs_now_ns();
	ev->conn_id = c->id;
	ev->client_seq = f->seq;
	ev->topic = f->topic;
	ev->flags = f->flags;
	ev->conn = NULL;
	c->cur = ev;
	return ev->data;
}

static bool sink_end(void *ctx, const struct evs_frame *f, void *buf)
{
	struct evs_conn *c = ctx;
	struct evs_io *io = c->io;
	struct evs_event *ev = c->cur;

	(void)buf;	/* ev->data */
	c->cur = NULL;
	c->events++;
	c->bytes += f->length;
	EVS_STAT_INC(io->st.frames);
	EVS_STAT_ADD(io->st.bytes, f->length);
	ev->prio = route(io->s, f);
	if (conn_push(io, c, ev))
		return true;
	/* Accepted: it waits in @ready until the reader is resumed. */
	c->ready = ev;
	return false;
}

static void sink_copy(void *dst, const void *src, size_t off, size_t len)
{
	memcpy(dst, (const uint8_t *)src + off, len);
}

static const struct evs_parser_ops sink_ops = {
	.begin = sink_begin,
	.end = sink_end,
	.copy = sink_copy,
};

/*
 * Parses @len bytes at @buf (the stash when @from_stash).  Returns true
 * when all were consumed; false when parsing stopped (paused: the rest
 * is kept for the resume; error: the connection is on its way out).
 */
static bool conn_feed(struct evs_io *io, struct evs_conn *c,
		      const uint8_t *buf, size_t len, bool from_stash)
{
	enum evs_parse_status st;
	size_t used;

	st = evs_parse(&c->parser, &sink_ops, c, buf, len, &used);
	if (from_stash) {
		c->stash_off += (uint32_t)used;
		if (c->stash_off == c->stash_len) {
			free(c->stash);
			c->stash = NULL;
			c->stash_off = 0;
			c->stash_len = 0;
		}
	}
	if (st == EVS_PARSE_MORE)
		return true;
	if (st == EVS_PARSE_ERROR) {
		/*
		 * No more reading: bytes after the bad header are never
		 * parsed (conn_read() stops on @error).
		 */
		c->error = true;
		EVS_STAT_INC(io->st.err[c->parser.err]);
		conn_tx(io, c);
		return false;
	}
	if (!from_stash && used < len) {
		c->stash = malloc(len - used);
		if (!c->stash) {
			/* Not accepted yet, but we cannot keep them: give up. */
			fprintf(stderr, "evsink: connection %llu: out of memory, closing\n",
				(unsigned long long)c->id);
			conn_close(io, c);
			return false;
		}
		memcpy(c->stash, buf + used, len - used);
		c->stash_len = (uint32_t)(len - used);
		c->stash_off = 0;
	}
	return false;
}

/* The peer sent everything it will: store what is left, ack, close. */
static void conn_eof(struct evs_io *io, struct evs_conn *c)
{
	if (!evs_parser_idle(&c->parser)) {
		/* A frame cut short was never accepted: nothing to keep. */
		EVS_STAT_INC(io->st.truncated);
		if (c->cur) {
			drop_event(io, c->cur);
			c->cur = NULL;
		}
	}
	c->eof = true;
	conn_tx(io, c);
}

/* The reader: resumes a pause, then reads while the socket has bytes. */
static void conn_read(struct evs_io *io, struct evs_conn *c)
{
	unsigned int turns = READS_PER_TURN;
	ssize_t n;

	if (c->closed || c->error || c->eof || c->pause_why)
		return;
	if (c->ready) {
		if (!conn_push(io, c, c->ready))
			goto out;
		c->ready = NULL;
	}
	if (c->stash) {
		if (!conn_feed(io, c, c->stash + c->stash_off,
			       c->stash_len - c->stash_off, true))
			goto out;
	} else if (c->parser.state == EVS_PS_BUFFER) {
		/*
		 * Paused on a header whose payload buffer was refused: ask
		 * again now, or a zero-length frame that ended the stream
		 * would be taken for a truncated one.
		 */
		if (!conn_feed(io, c, NULL, 0, false))
			goto out;
	}
	while (c->readable && !c->rd_eof) {
		if (!turns--) {
			/* Fair to the thread's other connections. */
			io_runnable(io, c);
			goto out;
		}
		n = read(c->fd, io->buf, EVS_IO_BUF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->readable = false;
				break;
			}
			/* Reset: what was accepted stays accepted. */
			conn_close(io, c);
			goto out;
		}
		EVS_STAT_INC(io->st.reads);
		if (!n) {
			c->rd_eof = true;
			break;
		}
		EVS_STAT_ADD(io->st.rx_bytes, (uint64_t)n);
		if (!conn_feed(io, c, io->buf, (size_t)n, false))
			goto out;
		/*
		 * A short read emptied the socket: new bytes or a FIN raise a
		 * new edge, unless the FIN was already reported (then read
		 * on to see the 0).
		 */
		if ((size_t)n < EVS_IO_BUF && !c->rdhup)
			c->readable = false;
	}
	if (c->rd_eof)
		conn_eof(io, c);
out:
	/* Once per read pass, as the module queues its work once per read. */
	if (io->pushed) {
		evs_workers_kick(io->s, io->pushed);
		io->pushed = 0;
	}
}

/* --raw: read and discard, no parsing; close at EOF. */
static void raw_read(struct evs_io *io, struct evs_conn *c)
{
	unsigned int turns = READS_PER_TURN;
	ssize_t n;

	while (!c->closed && c->readable) {
		if (!turns--) {
			io_runnable(io, c);
			return;
		}
		n = read(c->fd, io->buf, EVS_IO_BUF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->readable = false;
				return;
			}
			conn_close(io, c);
			return;
		}
		EVS_STAT_INC(io->st.reads);
		if (!n) {
			conn_close(io, c);
			return;
		}
		EVS_STAT_ADD(io->st.rx_bytes, (uint64_t)n);
		if ((size_t)n < EVS_IO_BUF && !c->rdhup)
			c->readable = false;
	}
}

/* ---- tx: acks, errors, closing ---- */

/*
 * Sends what is left of c->tx.  Returns 0 when all went; nonzero when
 * the caller must stop: the socket is full (EPOLLOUT brings us back) or
 * it failed and @c is closed.
 */
static int conn_flush(struct evs_io *io, struct evs_conn *c)
{
	ssize_t n;

	while (c->tx_off < c->tx_len) {
		n = send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -EAGAIN;
			conn_close(io, c);
			return -EPIPE;
		}
		c->tx_off += (uint16_t)n;
	}
	c->tx_off = 0;
	c->tx_len = 0;
	return 0;
}

/* Puts a frame in the empty c->tx: ACK (no payload) or ERROR. */
static void conn_put_frame(struct evs_conn *c, uint8_t flags, uint32_t seq,
			   const char *reason)
{
	uint32_t len = reason ? (uint32_t)strlen(reason) : 0;

	if (len > sizeof(c->tx) - EVS_WIRE_HDR_LEN)
		len = sizeof(c->tx) - EVS_WIRE_HDR_LEN;
	c->tx_len = (uint16_t)evs_wire_put_frame(c->tx, flags, 0, 0, seq,
						 reason, len);
	c->tx_off = 0;
}

/*
 * Walks the pend window from the oldest event while they are stored:
 * the cumulative ack can only cover an unbroken run.
 */
static void conn_advance(struct evs_conn *c)
{
	uint32_t head = c->pend_head;

	while (head != c->pend_tail) {
		struct evs_pend *pe = &c->pend[head % EVS_CONN_WINDOW];

		/* Pairs with the release in the worker's done mark. */
		if (!__atomic_load_n(&pe->done, __ATOMIC_ACQUIRE))
			break;
		if (!c->stored_any || (int32_t)(pe->seq - c->stored_seq) > 0)
			c->stored_seq = pe->seq;
		c->stored_any = true;
		if (pe->flags & EVS_WIRE_F_ACK_REQ)
			c->ack_due = true;
		head++;
	}
	c->pend_head = head;
}

/*
 * After workers stored events, after EOF or an error, and when the
 * socket has room again: ack, lift a window pause, and close once
 * everything accepted is stored and acked.
 */
static void conn_tx(struct evs_io *io, struct evs_conn *c)
{
	uint32_t inflight;

	if (c->closed || conn_flush(io, c))
		return;
	conn_advance(c);
	inflight = c->pend_tail - c->pend_head;
	if (c->ack_due) {
		/* Coalesced: one ACK for everything stored since the last. */
		conn_put_frame(c, EVS_WIRE_F_ACK, c->stored_seq, NULL);
		c->ack_due = false;
		EVS_STAT_INC(io->st.acks);
		if (conn_flush(io, c))
			return;
	}
	if ((c->pause_why & EVS_BIT(EVS_PAUSE_WINDOW)) &&
	    inflight <= WINDOW_RESUME) {
		c->pause_why &= ~EVS_BIT(EVS_PAUSE_WINDOW);
		if (!c->pause_why) {
			EVS_STAT_INC(io->st.resumes);
			io_runnable(io, c);
		}
	}
	if (inflight)
		return;
	if (c->error) {
		if (!c->error_sent) {
			conn_put_frame(c, EVS_WIRE_F_ERROR, c->parser.frame.seq,
				       evs_frame_strerror(c->parser.err));
			c->error_sent = true;
		}
		if (!conn_flush(io, c))
			conn_close(io, c);
		return;
	}
	if (c->eof)
		conn_close(io, c);
}

/*
 * Closes the socket and drops what never reached a ring.  Events on the
 * rings stay accepted: they are stored, and the connection waits on the
 * dead list until the workers are done with it (io_reap()).
 */
static void conn_close(struct evs_io *io, struct evs_conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	close(c->fd);
	c->fd = -1;
	evs_list_del(&c->run_node);
	evs_list_del(&c->paused_node);
	if (c->cur) {
		drop_event(io, c->cur);
		c->cur = NULL;
	}
	if (c->ready) {
		drop_event(io, c->ready);
		c->ready = NULL;
	}
	free(c->stash);
	c->stash = NULL;
	c->stash_off = 0;
	c->stash_len = 0;
	EVS_STAT_INC(io->st.conn_closed);
	evs_list_del(&c->node);
	evs_list_add_tail(&c->node, &io->dead);
}

/* Closed connections whose events are all stored lose our reference. */
static void io_reap(struct evs_io *io)
{
	struct evs_list *p, *next;

	for (p = io->dead.next; p != &io->dead; p = next) {
		struct evs_conn *c = evs_container_of(p, struct evs_conn, node);

		next = p->next;
		conn_advance(c);
		if (c->pend_head != c->pend_tail)
			continue;
		evs_list_del(&c->node);
		evs_conn_put(c);
	}
}

/* ---- accepting ---- */

static struct evs_conn *conn_new(struct evs_sink *s, int fd)
{
	size_t size = (sizeof(struct evs_conn) + 63) & ~(size_t)63;
	struct evs_conn *c = aligned_alloc(64, size);
	int one = 1;

	if (!c)
		return NULL;
	memset(c, 0, size);
	c->fd = fd;
	c->id = atomic_fetch_add(&s->next_conn_id, 1) + 1;
	atomic_init(&c->ref, 1);	/* the owning I/O thread's */
	atomic_init(&c->kicked, false);
	evs_list_init(&c->node);
	evs_list_init(&c->paused_node);
	evs_list_init(&c->run_node);
	if (!s->cfg.raw) {
		c->pend = calloc(EVS_CONN_WINDOW, sizeof(*c->pend));
		if (!c->pend) {
			free(c);
			return NULL;
		}
		evs_parser_init(&c->parser, s->cfg.max_payload);
	}
	/* Acks are small and a client may wait for each: no Nagle. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return c;
}

/* Takes @c into @io: from now on only @io's thread touches it. */
static void io_add_conn(struct evs_io *io, struct evs_conn *c)
{
	struct epoll_event e = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = c,
	};

	c->io = io;
	evs_list_add_tail(&c->node, &io->conns);
	EVS_STAT_INC(io->st.conn_accepted);
	if (epoll_ctl(io->epfd, EPOLL_CTL_ADD, c->fd, &e)) {
		fprintf(stderr, "evsink: epoll_ctl: %s\n", strerror(errno));
		conn_close(io, c);
		return;
	}
	/* Bytes (even a FIN) may have come before: read at once. */
	c->readable = true;
	io_runnable(io, c);
}

static void io_accept(struct evs_io *io)
{
	struct evs_sink *s = io->s;
	struct evs_conn *c;
	struct evs_io *to;
	int fd;

	for (;;) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fprintf(stderr, "evsink: accept: %s\n",
					strerror(errno));
			return;
		}
		c = conn_new(s, fd);
		if (!c) {
			fprintf(stderr, "evsink: out of memory for a connection\n");
			close(fd);
			continue;
		}
		to = &s->io[atomic_fetch_add(&s->next_io, 1) % s->nio];
		c->io = to;
		if (to == io)
			io_add_conn(io, c);
		else if (push_list(&to->inbox, c, &c->inbox_next))
			evs_io_wake(to);
	}
}

static void io_take_inbox(struct evs_io *io)
{
	struct evs_conn *c, *next;

	if (!atomic_load_explicit(&io->inbox.first, memory_order_relaxed))
		return;
	c = atomic_exchange_explicit(&io->inbox.first, NULL, memory_order_acquire);
	for (; c; c = next) {
		next = c->inbox_next;
		io_add_conn(io, c);
	}
}

/* ---- the loop ---- */

static void io_take_kicks(struct evs_io *io)
{
	struct evs_conn *c, *next;

	if (!atomic_load_explicit(&io->kicks.first, memory_order_relaxed))
		return;
	c = atomic_exchange_explicit(&io->kicks.first, NULL, memory_order_acquire);
	for (; c; c = next) {
		/* Read before the flag goes: a new kick rewrites the link. */
		next = c->kick_next;
		/*
		 * Cleared before the done marks are read, with acq_rel: a
		 * worker that marks more after this queues it again.
		 */
		atomic_exchange_explicit(&c->kicked, false,
					 memory_order_acq_rel);
		conn_tx(io, c);
		evs_conn_put(c);
	}
}

/* Connections waiting for the pool or a ring try again. */
static void io_resume(struct evs_io *io)
{
	struct evs_list list;

	if (evs_list_empty(&io->paused))
		return;
	/* Those that pause again go back on io->paused, not on @list. */
	evs_list_splice_init(&io->paused, &list);
	while (!evs_list_empty(&list)) {
		struct evs_conn *c = evs_container_of(list.next,
						      struct evs_conn,
						      paused_node);

		evs_list_del(&c->paused_node);
		c->pause_why &= ~(EVS_BIT(EVS_PAUSE_POOL) |
				  EVS_BIT(EVS_PAUSE_RING));
		if (c->pause_why)
			continue;	/* still its window: conn_tx() */
		EVS_STAT_INC(io->st.resumes);
		conn_read(io, c);
	}
}

static void io_run(struct evs_io *io)
{
	struct evs_list list;

	if (evs_list_empty(&io->runnable))
		return;
	/* One turn each; who has more goes back on io->runnable. */
	evs_list_splice_init(&io->runnable, &list);
	while (!evs_list_empty(&list)) {
		struct evs_conn *c = evs_container_of(list.next,
						      struct evs_conn,
						      run_node);

		evs_list_del(&c->run_node);
		if (io->s->cfg.raw)
			raw_read(io, c);
		else
			conn_read(io, c);
	}
}

static void io_event(struct evs_io *io, const struct epoll_event *e)
{
	struct evs_conn *c = e->data.ptr;
	uint64_t v;

	if (e->data.ptr == &wake_tag) {
		if (read(io->evfd, &v, sizeof(v)) < 0)
			return;	/* EAGAIN: another wake got there first */
		return;
	}
	if (e->data.ptr == &listen_tag) {
		io_accept(io);
		return;
	}
	if (c->closed)
		return;
	if (e->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		c->readable = true;
		if (e->events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			c->rdhup = true;
		if (io->s->cfg.raw)
			raw_read(io, c);
		else
			conn_read(io, c);
	}
	if ((e->events & EPOLLOUT) && c->tx_len && !c->closed)
		conn_tx(io, c);
}

void *evs_io_main(void *arg)
{
	struct evs_io *io = arg;
	struct epoll_event ev[MAX_EVENTS];
	int i, n, timeout;

	while (!atomic_load_explicit(&io->stop, memory_order_relaxed)) {
		timeout = -1;
		if (!evs_list_empty(&io->runnable) || io->retry) {
			timeout = 0;
		} else {
			atomic_store_explicit(&io->sleeping, true,
					      memory_order_relaxed);
			/* Pairs with the fence in evs_io_wake(). */
			atomic_thread_fence(memory_order_seq_cst);
			if (atomic_load_explicit(&io->kicks.first, memory_order_relaxed) ||
			    atomic_load_explicit(&io->inbox.first, memory_order_relaxed) ||
			    atomic_load_explicit(&io->resume, memory_order_relaxed) ||
			    atomic_load_explicit(&io->stop, memory_order_relaxed))
				timeout = 0;
		}
		n = epoll_wait(io->epfd, ev, MAX_EVENTS, timeout);
		atomic_store_explicit(&io->sleeping, false,
				      memory_order_relaxed);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "evsink: epoll_wait: %s\n",
				strerror(errno));
			break;
		}
		for (i = 0; i < n; i++)
			io_event(io, &ev[i]);
		io_take_inbox(io);
		io_take_kicks(io);
		if (atomic_load_explicit(&io->resume, memory_order_relaxed) &&
		    atomic_exchange(&io->resume, false))
			io->retry = true;
		if (io->retry) {
			io->retry = false;
			io_resume(io);
		}
		io_run(io);
		io_reap(io);
	}
	return NULL;
}

/* ---- setup and teardown ---- */

int evs_io_init(struct evs_io *io, struct evs_sink *s, unsigned int idx)
{
	struct epoll_event e = { .events = EPOLLIN };
	/* Both indexes on lines of their own: aligned, whole lines. */
	size_t ring_bytes = (evs_ring_bytes(s->cfg.ring_size) + 63) & ~(size_t)63;
	unsigned int p;

	memset(io, 0, sizeof(*io));
	io->s = s;
	io->idx = idx;
	io->epfd = -1;
	io->evfd = -1;
	evs_list_init(&io->conns);
	evs_list_init(&io->dead);
	evs_list_init(&io->paused);
	evs_list_init(&io->runnable);
	atomic_init(&io->kicks.first, NULL);
	atomic_init(&io->inbox.first, NULL);
	atomic_init(&io->wait, 0);
	atomic_init(&io->resume, false);
	atomic_init(&io->sleeping, false);
	atomic_init(&io->stop, false);

	io->buf = malloc(EVS_IO_BUF);
	io->epfd = epoll_create1(EPOLL_CLOEXEC);
	io->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!io->buf || io->epfd < 0 || io->evfd < 0)
		return -1;
	if (!s->cfg.raw) {
		for (p = 0; p < EVS_PRIO_NR; p++) {
			io->ring[p] = aligned_alloc(64, ring_bytes);
			if (!io->ring[p])
				return -1;
			evs_ring_init(io->ring[p], s->cfg.ring_size);
		}
	}
	e.data.ptr = &wake_tag;
	if (epoll_ctl(io->epfd, EPOLL_CTL_ADD, io->evfd, &e))
		return -1;
	/* Level-triggered, and only one thread woken per connection. */
	e.events = EPOLLIN | EPOLLEXCLUSIVE;
	e.data.ptr = &listen_tag;
	if (epoll_ctl(io->epfd, EPOLL_CTL_ADD, s->lfd, &e))
		return -1;
	return 0;
}

void evs_io_teardown(struct evs_io *io)
{
	struct evs_conn *c, *next;

	/* Kicks still queued hold references. */
	c = atomic_exchange(&io->kicks.first, NULL);
	for (; c; c = next) {
		next = c->kick_next;
		atomic_store(&c->kicked, false);
		evs_conn_put(c);
	}
	/* Handed over but never taken in: nothing of theirs was read. */
	c = atomic_exchange(&io->inbox.first, NULL);
	for (; c; c = next) {
		next = c->inbox_next;
		close(c->fd);
		evs_conn_put(c);
	}
	/*
	 * Every ring is empty now (the workers drained them before they
	 * stopped), so every event left is in a connection's hands.
	 */
	while (!evs_list_empty(&io->conns))
		conn_close(io, evs_container_of(io->conns.next,
						struct evs_conn, node));
	while (!evs_list_empty(&io->dead)) {
		c = evs_container_of(io->dead.next, struct evs_conn, node);
		evs_list_del(&c->node);
		evs_conn_put(c);
	}
}

void evs_io_free(struct evs_io *io)
{
	unsigned int p;

	for (p = 0; p < EVS_PRIO_NR; p++)
		free(io->ring[p]);
	if (io->epfd >= 0)
		close(io->epfd);
	if (io->evfd >= 0)
		close(io->evfd);
	free(io->buf);
}
