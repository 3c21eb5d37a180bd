// SPDX-License-Identifier: GPL-2.0
/*
 * I/O threads: accept, read, parse, route, store, ack, errors,
 * backpressure and closing; the userspace counterpart of kmod/conn.c,
 * kmod/listen.c and kmod/dispatch.c together.
 *
 * Each I/O thread has its own epoll and owns its connections for their
 * whole life, so nothing about a connection needs a lock.  One listening
 * socket sits in every thread's epoll with EPOLLEXCLUSIVE; whoever
 * accepts hands the connection round-robin to a thread (SO_REUSEPORT
 * would spread by hash, which is lopsided with a handful of clients).
 *
 * A read pass runs to completion on the thread that read: the frames of
 * one turn of a connection (a few reads) are parsed into pool events,
 * routed, and stored a chunk of one priority per store lock round; at
 * the end of the pass what is left is stored, realtime first, then
 * transactional, then batch, and the connection gets one cumulative ACK
 * if any of its frames asked for one.  Every frame accepted in a pass is
 * stored by its end, so an ack never covers a frame not stored.  Events
 * are never handed to another thread, so there are no rings, no worker
 * wake-ups and no connection references; the clock is read twice a
 * pass, not per event.
 *
 * Sockets are edge-triggered.  The pool limit bounds the events in
 * flight (parsed, not yet stored) over all threads; a thread takes
 * credits from the shared count a grant at a time and gives back what
 * it holds beyond its connections' unfinished events at the end of each
 * pass.  A connection that finds no credit simply stops reading: the
 * bytes stay in the socket's receive queue, TCP closes the window and
 * the client slows down, exactly as when the module stops its
 * tcp_read_sock() actor; with edge-triggered epoll that needs no
 * epoll_ctl() to drop EPOLLIN, and resuming means reading again.  Bytes
 * already read but not parsed when the pause hit are kept in a small
 * per-connection stash.  Nothing accepted is ever dropped.  Storing is
 * the reader's own work, so a thread that falls behind simply reads less
 * often: that is the backpressure.
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
 * Credits a thread takes from the shared in-flight count at a time:
 * enough for a full chunk of each priority and a few unfinished events,
 * so that one atomic covers many events.
 */
#define CREDIT_GRANT		(4 * EVS_STORE_CHUNK)

/* epoll data of the two fds that are not connections. */
static char listen_tag, wake_tag;

static void conn_tx(struct evs_io *io, struct evs_conn *c);
static void conn_close(struct evs_io *io, struct evs_conn *c);

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

static void io_runnable(struct evs_io *io, struct evs_conn *c)
{
	if (!evs_list_linked(&c->run_node))
		evs_list_add_tail(&c->run_node, &io->runnable);
}

/* ---- credits: the pool limit over all threads ---- */

/* Takes up to CREDIT_GRANT more credits; false when none are left. */
static bool credit_take(struct evs_io *io)
{
	struct evs_sink *s = io->s;
	int limit = (int)s->cfg.pool_limit;
	int cur = atomic_load_explicit(&s->inflight, memory_order_relaxed);
	int g;

	do {
		if (cur >= limit)
			return false;
		g = limit - cur < CREDIT_GRANT ? limit - cur : CREDIT_GRANT;
	} while (!atomic_compare_exchange_weak_explicit(&s->inflight, &cur,
							cur + g,
							memory_order_relaxed,
							memory_order_relaxed));
	io->held += (uint32_t)g;
	if ((uint64_t)(cur + g) > io->st.inflight_high)
		EVS_STAT_SET(io->st.inflight_high, (uint64_t)(cur + g));
	return true;
}

/*
 * Wakes the I/O threads whose connections wait for credits once the
 * count is back under three quarters of the limit, as the module does,
 * so that paused readers do not flap at the edge.
 */
static void maybe_resume(struct evs_sink *s)
{
	uint64_t limit = s->cfg.pool_limit;
	unsigned int i;

	/* Pairs with the fence in conn_pause(). */
	atomic_thread_fence(memory_order_seq_cst);
	if ((uint64_t)atomic_load_explicit(&s->inflight,
					   memory_order_relaxed) * 4 > limit * 3)
		return;
	for (i = 0; i < s->nio; i++) {
		struct evs_io *io = &s->io[i];

		if (atomic_load_explicit(&io->wait_pool, memory_order_relaxed) &&
		    atomic_exchange(&io->wait_pool, false)) {
			atomic_store(&io->resume, true);
			evs_io_wake(io);
		}
	}
}

/* End of a pass: gives back what no unfinished event holds. */
static void credit_settle(struct evs_io *io)
{
	uint32_t spare = io->held - io->used;

	if (!spare)
		return;
	io->held = io->used;
	atomic_fetch_sub_explicit(&io->s->inflight, (int)spare,
				  memory_order_relaxed);
	maybe_resume(io->s);
}

/* An event that was never accepted goes back; its credit stays held. */
static void drop_event(struct evs_io *io, struct evs_event *ev)
{
	evs_pool_free(&io->pc, ev);
	io->used--;
}

/* ---- storing ---- */

/* The module's histogram: bucket ilog2(ns), 0 below 2 ns, last is open. */
static unsigned int lat_bucket(uint64_t ns)
{
	unsigned int b = ns < 2 ? 0 : 63 - (unsigned int)__builtin_clzll(ns);

	return b < EVS_LAT_BUCKETS ? b : EVS_LAT_BUCKETS - 1;
}

/* Stores the events of priority @p waiting in this pass: one lock round. */
static void store_prio(struct evs_io *io, unsigned int p)
{
	unsigned int n = io->npend[p];
	uint64_t evicted;

	if (!n)
		return;
	io->npend[p] = 0;
	/* The store owns them from here; it may even evict them. */
	evicted = evs_store_add(&io->s->store, io->pend[p], n, &io->pc);
	io->used -= n;
	EVS_STAT_ADD(io->st.stored[p], n);
	EVS_STAT_INC(io->st.stores);
	if (evicted)
		EVS_STAT_ADD(io->st.evicted, evicted);
}

static void pass_begin(struct evs_io *io)
{
	struct evs_sink *s = io->s;

	io->t_pass = evs_now_ns();
	/* Auto traffic goes to batch above the mark: evs_route()'s test. */
	io->pressure = (uint64_t)atomic_load_explicit(&s->inflight,
						      memory_order_relaxed) * 100 >
		       (uint64_t)s->cfg.pool_limit * s->cfg.pressure;
}

/*
 * End of a pass: everything it accepted is stored, highest priority
 * first; then the latency (one clock read for all: each event's is at
 * most the pass's), the credits and the connection's ack.
 */
static void pass_end(struct evs_io *io, struct evs_conn *c)
{
	unsigned int p, b;
	uint64_t now;

	for (p = 0; p < EVS_PRIO_NR; p++)
		store_prio(io, p);
	now = evs_now_ns();
	b = lat_bucket(now - io->t_pass);
	for (p = 0; p < EVS_PRIO_NR; p++) {
		if (io->nlat[p])
			EVS_STAT_ADD(io->st.lat[p][b], io->nlat[p]);
		io->nlat[p] = 0;
	}
	if (io->carry_prio >= 0) {
		EVS_STAT_INC(io->st.lat[io->carry_prio][lat_bucket(now - io->carry_t)]);
		io->carry_prio = -1;
	}
	credit_settle(io);
	conn_tx(io, c);
}

/*
 * Header priority wins; AUTO takes the topic's rule, else transactional,
 * but goes to batch while the pool is above the pressure mark: the
 * module's evs_route().
 */
static uint8_t route(const struct evs_io *io, const struct evs_frame *f)
{
	const struct evs_sink *s = io->s;

	if (f->priority != EVS_PRIO_AUTO)
		return f->priority;
	if (io->pressure)
		return EVS_PRIO_BATCH;
	return s->route[f->topic] != EVS_NO_ROUTE ? s->route[f->topic] :
						    EVS_PRIO_TX;
}

/* ---- rx: the reader ---- */

/*
 * Stops reading @c until credits come back; the thread says so in
 * io->wait_pool, where whoever gives credits back looks.
 */
static void conn_pause(struct evs_io *io, struct evs_conn *c)
{
	struct evs_sink *s = io->s;

	if (!c->paused)
		EVS_STAT_INC(io->st.pauses);
	c->paused = true;
	if (!evs_list_linked(&c->paused_node))
		evs_list_add_tail(&c->paused_node, &io->paused);
	atomic_store_explicit(&io->wait_pool, true, memory_order_relaxed);
	/*
	 * Credits may have come back between our failed attempt and the
	 * flag, from a thread that saw no flag.  Both sides write, fence,
	 * then read the other's side: one of us sees the other.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&s->inflight, memory_order_relaxed) <
	    (int)s->cfg.pool_limit)
		io->retry = true;
}

/*
 * A credit for one more event: one held, else more from the shared
 * count, else (the pool is at its limit) what this pass has parsed is
 * stored now to free some.
 */
static bool credit_get(struct evs_io *io)
{
	unsigned int p;

	if (io->used < io->held || credit_take(io))
		return true;
	for (p = 0; p < EVS_PRIO_NR; p++)
		store_prio(io, p);
	return io->used < io->held;
}

static void *sink_begin(void *ctx, const struct evs_frame *f, size_t off)
{
	struct evs_conn *c = ctx;
	struct evs_io *io = c->io;
	struct evs_event *ev;

	(void)off;	/* a buffer as soon as the header is in */
	if (!credit_get(io)) {
		conn_pause(io, c);
		return NULL;
	}
	ev = evs_pool_alloc(&io->pc, f->length);
	if (!ev) {
		EVS_STAT_INC(io->st.pool_fails);
		conn_pause(io, c);
		return NULL;
	}
	io->used++;
	ev->t_ingest = io->t_pass;
	ev->topic = f->topic;
	c->cur = ev;
	return ev->data;
}

static bool sink_end(void *ctx, const struct evs_frame *f, void *buf)
{
	struct evs_conn *c = ctx;
	struct evs_io *io = c->io;
	struct evs_event *ev = c->cur;
	uint8_t p = route(io, f);

	(void)buf;	/* ev->data */
	c->cur = NULL;
	c->events++;
	c->bytes += f->length;
	if (!c->any || (int32_t)(f->seq - c->last_seq) > 0)
		c->last_seq = f->seq;
	c->any = true;
	if (f->flags & EVS_WIRE_F_ACK_REQ)
		c->ack_req = true;
	EVS_STAT_INC(io->st.frames);
	EVS_STAT_ADD(io->st.bytes, f->length);
	EVS_STAT_INC(io->st.enq[p]);
	ev->prio = p;
	/* Begun in an earlier pass: at most one, this connection's cur. */
	if (ev->t_ingest == io->t_pass) {
		io->nlat[p]++;
	} else {
		io->carry_t = ev->t_ingest;
		io->carry_prio = p;
	}
	io->pend[p][io->npend[p]++] = ev;
	if (io->npend[p] == EVS_STORE_CHUNK)
		store_prio(io, p);
	return true;
}

static void sink_copy(void *dst, const void *src, size_t off, size_t len)
{
	memcpy(dst, (const uint8_t *)src + off, len);
}

static const struct evs_parser_ops sink_ops = {
	.begin = sink_begin,
	.end = sink_end,
	.copy = sink_copy,
	.flat = true,	/* a read buffer: headers decoded in place */
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
		 * parsed (conn_read() stops on @error).  The ERROR frame
		 * goes out at the end of the pass, after the ack.
		 */
		c->error = true;
		EVS_STAT_INC(io->st.err[c->parser.err]);
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

/* The peer sent everything it will: the pass's end acks and closes. */
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
}

/*
 * The reader, one pass: resumes a pause, reads while the socket has
 * bytes (a few reads at most), then stores and acks everything.
 */
static void conn_read(struct evs_io *io, struct evs_conn *c)
{
	unsigned int turns = READS_PER_TURN;
	ssize_t n;

	if (c->closed || c->error || c->eof || c->paused)
		return;
	pass_begin(io);
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
	pass_end(io, c);
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
 * At the end of a pass (everything accepted is stored) and when the
 * socket has room again: ack, then the ERROR frame or the close.
 */
static void conn_tx(struct evs_io *io, struct evs_conn *c)
{
	if (c->closed || conn_flush(io, c))
		return;
	if (c->ack_req) {
		/* Coalesced: one ACK for everything stored since the last. */
		conn_put_frame(c, EVS_WIRE_F_ACK, c->last_seq, NULL);
		c->ack_req = false;
		EVS_STAT_INC(io->st.acks);
		if (conn_flush(io, c))
			return;
	}
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
 * Closes the socket and drops the event being filled.  Events already
 * parsed wait in io->pend, not in the connection: they are stored at the
 * end of the pass all the same.  The memory goes at io_reap(), after
 * this loop's epoll events, which may still name the connection.
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
	free(c->stash);
	c->stash = NULL;
	c->stash_off = 0;
	c->stash_len = 0;
	EVS_STAT_INC(io->st.conn_closed);
	evs_list_del(&c->node);
	evs_list_add_tail(&c->node, &io->dead);
}

static void io_reap(struct evs_io *io)
{
	while (!evs_list_empty(&io->dead)) {
		struct evs_conn *c = evs_container_of(io->dead.next,
						      struct evs_conn, node);

		evs_list_del(&c->node);
		free(c);
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
	evs_list_init(&c->node);
	evs_list_init(&c->paused_node);
	evs_list_init(&c->run_node);
	if (!s->cfg.raw)
		evs_parser_init(&c->parser, s->cfg.max_payload);
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

/* Connections waiting for credits try again. */
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
		c->paused = false;
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
			if (atomic_load_explicit(&io->inbox.first, memory_order_relaxed) ||
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

	memset(io, 0, sizeof(*io));
	io->s = s;
	io->idx = idx;
	io->epfd = -1;
	io->evfd = -1;
	io->carry_prio = -1;
	evs_list_init(&io->conns);
	evs_list_init(&io->dead);
	evs_list_init(&io->paused);
	evs_list_init(&io->runnable);
	atomic_init(&io->inbox.first, NULL);
	atomic_init(&io->wait_pool, false);
	atomic_init(&io->resume, false);
	atomic_init(&io->sleeping, false);
	atomic_init(&io->stop, false);

	io->buf = malloc(EVS_IO_BUF);
	io->epfd = epoll_create1(EPOLL_CLOEXEC);
	io->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!io->buf || io->epfd < 0 || io->evfd < 0)
		return -1;
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

	/* Handed over but never taken in: nothing of theirs was read. */
	c = atomic_exchange(&io->inbox.first, NULL);
	for (; c; c = next) {
		next = c->inbox_next;
		close(c->fd);
		free(c);
	}
	/* Between passes: every event is stored but the unfinished ones. */
	while (!evs_list_empty(&io->conns))
		conn_close(io, evs_container_of(io->conns.next,
						struct evs_conn, node));
	io_reap(io);
	atomic_fetch_sub(&io->s->inflight, (int)io->held);
	io->held = 0;
}

void evs_io_free(struct evs_io *io)
{
	if (io->epfd >= 0)
		close(io->epfd);
	if (io->evfd >= 0)
		close(io->evfd);
	free(io->buf);
}
