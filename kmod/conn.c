// SPDX-License-Identifier: GPL-2.0
/*
 * One accepted TCP connection: the rx hook that cuts its stream into
 * events, backpressure, acks and errors, and its teardown.
 *
 * Reading happens in the socket's sk_data_ready, in softirq, whenever
 * the socket is not owned by a task; otherwise (the callback then runs
 * from release_sock() in process context) the rx work item reads later
 * under lock_sock().  Either way one reader at a time, and bottom halves
 * are off while it pushes to this CPU's rings.
 *
 * When an event cannot be taken (pool limit, full ring, too many of this
 * connection's events in flight) the reader stops and leaves the bytes in
 * the socket: TCP then closes the window and the client slows down.
 * Nothing accepted is dropped.
 *
 * Events of one connection must reach the store in order within a
 * priority, but the rx path can run on any CPU.  So a connection's
 * events in flight all sit in one CPU's rings (ring_cpu); when rx comes
 * in on another CPU, the reader waits (pauses) until they are stored,
 * the way RPS avoids reordering a flow it moves.
 *
 * Everything that sends (acks, the ERROR frame) runs in the tx work item:
 * sending takes the socket lock and may not run in softirq, and the
 * consumers must never wait for a slow client.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>
#include "compat.h"
#include "evstream.h"

static void evs_conn_queue(struct evs_conn *conn, struct work_struct *work)
{
	spin_lock_bh(&conn->lock);
	if (!test_bit(EVS_CONN_DEAD, &conn->flags))
		queue_work(evs_ctl_wq, work);
	spin_unlock_bh(&conn->lock);
}

void evs_conn_kick_tx(struct evs_conn *conn)
{
	evs_conn_queue(conn, &conn->tx_work);
}

static void evs_conn_free(struct evs_conn *conn)
{
	kvfree(conn->pend);
	kfree(conn);
}

void evs_conn_put(struct evs_conn *conn)
{
	if (refcount_dec_and_test(&conn->ref))
		evs_conn_free(conn);
}

void evs_conn_put_many(struct evs_conn *conn, unsigned int n)
{
	if (refcount_sub_and_test(n, &conn->ref))
		evs_conn_free(conn);
}

/* ---- rx: the reader ---- */

/*
 * An allocation failed for lack of memory: retry the paused readers
 * later, each time later while it keeps failing.  One timer for the
 * namespace; a failure while it is pending changes nothing, so that many
 * readers failing at once cost one retry, not a longer one.  Under
 * paused_lock.
 */
static void evs_nomem_retry(struct evs_net *en)
{
	unsigned int ms = en->nomem_delay;

	if (delayed_work_pending(&en->nomem_work))
		return;
	ms = ms ? min(ms * 2, EVS_NOMEM_RETRY_MAX_MS) : EVS_NOMEM_RETRY_MIN_MS;
	WRITE_ONCE(en->nomem_delay, ms);
	evs_stats_inc(en, EVS_STATS_A_NOMEM_RETRIES);
	queue_delayed_work(evs_ctl_wq, &en->nomem_work, msecs_to_jiffies(ms));
}

void evs_nomem_work_fn(struct work_struct *work)
{
	struct evs_net *en = container_of(to_delayed_work(work),
					  struct evs_net, nomem_work);

	queue_work(evs_ctl_wq, &en->resume_work);
}

/*
 * Stops reading.  A connection waiting on a namespace-wide resource (the
 * pool, memory, or @ring) goes on the paused list, where the consumers find it
 * once they made room; one waiting on its own events is resumed by its
 * tx work.
 */
static void evs_conn_pause(struct evs_conn *conn, int why,
			   struct evs_ring *ring)
{
	struct evs_net *en = conn->en;
	bool room;

	conn->stop = true;
	if (!conn->pause_why)
		evs_stats_inc(en, EVS_STATS_A_PAUSES);
	__set_bit(why, &conn->pause_why);

	if (why == EVS_PAUSE_WINDOW || why == EVS_PAUSE_CPU) {
		/* The tx work rechecks after every batch of stored events. */
		evs_conn_kick_tx(conn);
		return;
	}
	spin_lock(&en->paused_lock);
	if (!test_and_set_bit(EVS_CONN_PAUSED_NS, &conn->flags)) {
		refcount_inc(&conn->ref);
		list_add_tail(&conn->paused_node, &en->paused);
		WRITE_ONCE(en->npaused, en->npaused + 1);
	}
	if (why == EVS_PAUSE_NOMEM) {
		evs_nomem_retry(en);
		spin_unlock(&en->paused_lock);
		return;
	}
	spin_unlock(&en->paused_lock);
	/*
	 * A consumer may have made room between our failed attempt and the
	 * list insertion, and seen no one paused.  Both sides write, then
	 * fence, then read the other's side: one of us sees the other.
	 */
	smp_mb();
	if (ring)
		room = evs_ring_has_room(ring, 1);
	else
		room = atomic_read(&en->inflight) < READ_ONCE(en->cfg.pool_limit);
	if (room)
		queue_work(evs_ctl_wq, &en->resume_work);
}

/*
 * The consumers made room: let every connection waiting for it retry.
 * A connection stays flagged PAUSED_NS as long as it is on a list, this
 * one's private list included, and every change to either list is made
 * under paused_lock: a reader pausing again meanwhile, or a close,
 * always finds it where the flag says.
 */
void evs_resume_work_fn(struct work_struct *work)
{
	struct evs_net *en = container_of(work, struct evs_net, resume_work);
	struct evs_conn *conn;
	LIST_HEAD(list);

	spin_lock_bh(&en->paused_lock);
	list_splice_init(&en->paused, &list);
	while ((conn = list_first_entry_or_null(&list, struct evs_conn,
						paused_node))) {
		list_del_init(&conn->paused_node);
		clear_bit(EVS_CONN_PAUSED_NS, &conn->flags);
		WRITE_ONCE(en->npaused, en->npaused - 1);
		spin_unlock_bh(&en->paused_lock);
		evs_conn_resume(conn, BIT(EVS_PAUSE_POOL) | BIT(EVS_PAUSE_RING) |
				BIT(EVS_PAUSE_NOMEM));
		evs_conn_put(conn);	/* the list's */
		spin_lock_bh(&en->paused_lock);
	}
	spin_unlock_bh(&en->paused_lock);
}

/* Events still in flight must all be on the rings of ring_cpu. */
static bool evs_conn_on_cpu(struct evs_conn *conn)
{
	int cpu = smp_processor_id();

	if (conn->ring_cpu == cpu)
		return true;
	/* Pairs with the release of the new head in evs_conn_advance(). */
	if (conn->pend_tail != smp_load_acquire(&conn->pend_head))
		return false;
	conn->ring_cpu = cpu;
	return true;
}

/* Hands a complete event to this CPU's ring; false when it must wait. */
static bool evs_conn_push(struct evs_conn *conn, struct evs_event *ev)
{
	struct evs_net *en = conn->en;
	/*
	 * Once pushed, the event is the consumer's, which may store it and
	 * let the store evict and free it: nothing of it is read after.
	 */
	const u8 prio = ev->prio;
	const u32 len = ev->len;
	struct evs_ring *ring;
	struct evs_pend *pe;
	u32 idx;

	if (!evs_conn_on_cpu(conn)) {
		evs_conn_pause(conn, EVS_PAUSE_CPU, NULL);
		return false;
	}
	ring = per_cpu_ptr(en->rings, conn->ring_cpu)->rw[prio].ring;
	if (!evs_ring_has_room(ring, 1)) {
		evs_conn_pause(conn, EVS_PAUSE_RING, ring);
		return false;
	}
	idx = conn->pend_tail;
	pe = &conn->pend[idx % EVS_CONN_WINDOW];
	pe->seq = ev->client_seq;
	pe->flags = ev->flags;
	pe->done = 0;
	ev->pend_idx = idx;
	/*
	 * Each event holds a reference to its connection, taken before a
	 * consumer can see it, from a handful the reader takes at once.
	 */
	if (!conn->rd_refs) {
		refcount_add(EVS_CONN_REF_CHUNK, &conn->ref);
		conn->rd_refs = EVS_CONN_REF_CHUNK;
	}
	conn->rd_refs--;
	ev->conn = conn;
	/* Publish the slot before the event can be stored and marked. */
	smp_store_release(&conn->pend_tail, idx + 1);
	evs_ring_push(ring, ev);
	conn->pushed |= BIT(prio);
	conn->rd_enq[prio]++;
	/*
	 * Counted once taken: a frame still waiting in @ready when the
	 * connection dies was never accepted (see evs_conn_close_work()).
	 */
	conn->events++;
	conn->bytes += len;
	conn->rd_frames++;
	conn->rd_bytes += len;
	return true;
}

/*
 * Makes room in the receive queue for a payload of @len bytes, as
 * tcp_set_rcvlowat() does (which we cannot call: it calls sk_data_ready,
 * which is us), with room for the next frame behind it.  False when the
 * namespace's tcp_rmem caps the buffer below that.
 */
static bool evs_conn_rcvbuf_fit(struct sock *sk, u32 len)
{
	int cap = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_rmem[2]);
	int win = 2 * len;
	int space;

	if (tcp_win_from_space(sk, READ_ONCE(sk->sk_rcvbuf)) >= win)
		return true;
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		return false;
	space = evs_tcp_space_from_win(sk, win);
	if (space > cap)
		return false;
	WRITE_ONCE(sk->sk_rcvbuf, space);
	if (tcp_sk(sk)->window_clamp < win)
		WRITE_ONCE(tcp_sk(sk)->window_clamp, win);
	return true;
}

/*
 * A frame's buffer is taken only once its whole payload is in the
 * socket's receive queue, as strparser waits for a whole message: a
 * client that sends a header and stalls, or trickles, costs socket
 * memory, which TCP bounds and accounts, and no event.  The parser has
 * the header; the payload stays queued, and sk_rcvlowat has TCP wake us
 * once all of it is there, or once the window is down to a segment.
 *
 * The buffer is taken early, and filled as bytes come (counted in
 * early_buffers), only when waiting could stall the client: when TCP
 * could not take the rest without our reading (the memory the queue
 * holds leaves less window than the rest needs, or so little that TCP
 * would advertise none), under TCP memory pressure, or when the
 * namespace's tcp_rmem caps the buffer below the frame.  By then the
 * client's bytes hold at least as much socket memory as the event will.
 * @off is where the payload starts in what the parser is being fed,
 * which starts at rd_seq.  True when the buffer may be taken.
 */
static bool evs_conn_payload_queued(struct evs_conn *conn, u32 len, size_t off)
{
	struct sock *sk = conn->sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	u32 pos = conn->rd_seq + off;
	u32 end = READ_ONCE(tp->rcv_nxt);
	u32 queued = end - pos, urg = 0;
	int free;

	/* All of it is in the piece the parser is reading. */
	if (likely(!conn->lowat) && off <= conn->rd_avail &&
	    len <= conn->rd_avail - off)
		return true;
	/* The urgent byte is left out of the stream (evs_conn_skip_urgent). */
	if (tp->urg_data && !before(tp->urg_seq, pos) &&
	    before(tp->urg_seq, end))
		urg = 1;
	queued -= urg;
	if (queued >= len)
		goto take;
	/* Nothing more is coming: read what came, the rest is cut short. */
	if (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN || sk->sk_err)
		goto take;
	if (!evs_conn_rcvbuf_fit(sk, len) || tcp_under_memory_pressure(sk))
		goto early;
	free = tcp_space(sk);
	if (free < (int)(len - queued) ||
	    (free < inet_csk(sk)->icsk_ack.rcv_mss &&
	     free < tcp_full_space(sk) / 2))
		goto early;
	/* Counted from copied_seq, which is @pos once this read is done. */
	WRITE_ONCE(sk->sk_rcvlowat, len + urg);
	WRITE_ONCE(conn->lowat, true);
	return false;
early:
	evs_stats_inc(conn->en, EVS_STATS_A_EARLY_BUFFERS);
take:
	if (conn->lowat) {
		WRITE_ONCE(sk->sk_rcvlowat, 1);
		WRITE_ONCE(conn->lowat, false);
	}
	return true;
}

static void *evs_parse_begin(void *ctx, const struct evs_frame *f, size_t off)
{
	struct evs_conn *conn = ctx;
	struct evs_event *ev;

	if (conn->pend_tail - READ_ONCE(conn->pend_head) >= EVS_CONN_WINDOW) {
		evs_conn_pause(conn, EVS_PAUSE_WINDOW, NULL);
		return NULL;
	}
	if (!evs_conn_payload_queued(conn, f->length, off))
		return NULL;
	ev = evs_event_alloc(conn->en, f->length, &conn->rd_credits);
	if (IS_ERR(ev)) {
		evs_conn_pause(conn, PTR_ERR(ev) == -ENOMEM ? EVS_PAUSE_NOMEM :
				     EVS_PAUSE_POOL, NULL);
		return NULL;
	}
	conn->rd_mem += evs_event_cost(ev);
	ev->t_ingest = conn->rd_now;
	ev->conn_id = conn->id;
	ev->client_seq = f->seq;
	ev->topic = f->topic;
	ev->flags = f->flags;
	ev->conn = NULL;
	conn->cur = ev;
	return ev->data;
}

static bool evs_parse_end(void *ctx, const struct evs_frame *f, void *buf)
{
	struct evs_conn *conn = ctx;
	struct evs_event *ev = conn->cur;
	struct evs_net *en = conn->en;

	conn->cur = NULL;
	ev->prio = evs_route(en, f);
	if (evs_conn_push(conn, ev))
		return true;
	/* Whole: it waits in @ready until the reader is resumed. */
	conn->ready = ev;
	return false;
}

static void evs_parse_copy(void *dst, const void *src, size_t off, size_t len)
{
	memcpy(dst, (const u8 *)src + off, len);
}

static const struct evs_parser_ops evs_parser_ops = {
	.begin = evs_parse_begin,
	.end = evs_parse_end,
	.copy = evs_parse_copy,
	.flat = true,
};

/*
 * The parser is fed each contiguous piece of the skb (its head, then
 * each page fragment), so that a frame's header and payload are plain
 * memcpy()s from the piece rather than an skb_copy_bits() walk each.
 */
static int evs_recv_actor(read_descriptor_t *desc, struct sk_buff *skb,
			  unsigned int offset, size_t len)
{
	struct evs_conn *conn = desc->arg.data;
	enum evs_parse_status status = EVS_PARSE_MORE;
	struct skb_seq_state st;
	unsigned int done = 0;

	/* tcp_read_sock() calls again after a short count: say stop. */
	if (conn->stop)
		return 0;
	skb_prepare_seq_read(skb, offset, offset + len, &st);
	while (done < len) {
		const u8 *data;
		unsigned int n = skb_seq_read(done, &data, &st);
		size_t used;

		/* Cannot be: tcp_read_sock() hands us bytes the skb holds. */
		if (WARN_ON_ONCE(!n))
			break;
		n = min_t(size_t, n, len - done);
		conn->rd_avail = n;
		status = evs_parse(&conn->parser, &evs_parser_ops, conn, data,
				   n, &used);
		conn->rd_seq += used;
		done += used;
		if (status != EVS_PARSE_MORE)
			break;
	}
	/* Unmaps the piece in hand, if any; nothing to do otherwise. */
	skb_abort_seq_read(&st);
	conn->rd_avail = 0;
	if (status != EVS_PARSE_MORE) {
		conn->stop = true;
		desc->count = 0;
	}
	if (status == EVS_PARSE_ERROR)
		set_bit(EVS_CONN_ERROR, &conn->flags);
	return done;
}

/*
 * Counts what one read did, gives back the references it took and did
 * not hand to events, and kicks the consumers of the rings it filled.
 */
static void evs_conn_read_done(struct evs_conn *conn)
{
	struct evs_net *en = conn->en;
	int p;

	for (p = 0; p < EVS_PRIO_NR; p++)
		if (conn->rd_enq[p])
			evs_stats_add(en, EVS_STATS_A_ENQ_RT + p,
				      conn->rd_enq[p]);
	if (conn->rd_refs) {
		/* The connection's own reference keeps this above zero. */
		evs_conn_put_many(conn, conn->rd_refs);
		conn->rd_refs = 0;
	}
	if (conn->rd_mem) {
		atomic_long_add(conn->rd_mem, &en->inflight_mem);
		conn->rd_mem = 0;
	}
	evs_credits_return(en, &conn->rd_credits);
	if (conn->rd_frames) {
		evs_stats_add(en, EVS_STATS_A_FRAMES, conn->rd_frames);
		evs_stats_add(en, EVS_STATS_A_BYTES, conn->rd_bytes);
	}
	if (conn->pushed)
		evs_rings_kick(en, conn->pushed);
}

/* The peer sent everything it will: what is left must be stored, then close. */
static void evs_conn_eof(struct evs_conn *conn)
{
	if (!evs_parser_idle(&conn->parser)) {
		/* A frame cut short was never accepted: nothing to keep. */
		evs_stats_inc(conn->en, EVS_STATS_A_TRUNCATED);
		if (conn->cur) {
			evs_events_landed(conn->en, 1,
					  evs_event_cost(conn->cur));
			evs_event_free(conn->cur);
			conn->cur = NULL;
			/* Room that no consumer run will announce. */
			evs_maybe_resume(conn->en, false);
		}
	}
	set_bit(EVS_CONN_EOF, &conn->flags);
	evs_conn_kick_tx(conn);
}

/*
 * TCP urgent data is no part of an evstream: as for a socket without
 * SO_OOBINLINE, the urgent byte is left out of the stream.  But
 * tcp_read_sock() stops in front of it for good (only tcp_recvmsg()
 * steps over it), and EOF waits for an empty queue, so one MSG_OOB byte
 * would wedge the connection.  The reader steps over the byte as
 * tcp_recvmsg() does; true when it did and reading can go on.  The
 * caller holds the socket as tcp_read_sock() wants it.
 */
static bool evs_conn_skip_urgent(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	/* The byte must have arrived, and be the next one to read. */
	if (likely(!tp->urg_data) || tp->urg_seq != tp->copied_seq ||
	    !before(tp->urg_seq, tp->rcv_nxt))
		return false;
	WRITE_ONCE(tp->copied_seq, tp->copied_seq + 1);
	WRITE_ONCE(tp->urg_data, 0);
	tcp_fast_path_check(sk);
	return true;
}

/* After the ERROR: bytes the client still sends are read and dropped. */
static int evs_discard_actor(read_descriptor_t *desc, struct sk_buff *skb,
			     unsigned int offset, size_t len)
{
	return len;
}

static void evs_conn_linger_read(struct evs_conn *conn)
{
	struct sock *sk = conn->sock->sk;
	read_descriptor_t desc = { .count = 1 };

	do {
		tcp_read_sock(sk, &desc, evs_discard_actor);
	} while (evs_conn_skip_urgent(sk));
	if (skb_queue_empty_lockless(&sk->sk_receive_queue) &&
	    (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN || sk->sk_err))
		evs_conn_close(conn, EVS_CLOSE_ERROR);
}

/*
 * The reader.  The caller holds the socket (softirq with the socket not
 * owned, or lock_sock()) and has bottom halves off.
 */
static void evs_conn_read(struct evs_conn *conn)
{
	struct sock *sk = conn->sock->sk;
	read_descriptor_t desc;

	if (test_bit(EVS_CONN_LINGER, &conn->flags)) {
		evs_conn_linger_read(conn);
		return;
	}
	if (conn->pause_why || !test_bit(EVS_CONN_STARTED, &conn->flags) ||
	    test_bit(EVS_CONN_EOF, &conn->flags) ||
	    test_bit(EVS_CONN_ERROR, &conn->flags))
		return;
	conn->stop = false;
	conn->pushed = 0;
	conn->rd_frames = 0;
	conn->rd_bytes = 0;
	memset(conn->rd_enq, 0, sizeof(conn->rd_enq));
	/* One stamp for every frame of this read: cheaper, and as true. */
	conn->rd_now = ktime_get_ns();
	conn->parser.max_payload = READ_ONCE(conn->en->cfg.max_payload);

	if (conn->ready) {
		if (!evs_conn_push(conn, conn->ready))
			goto out;
		conn->ready = NULL;
	}
	/*
	 * Paused between a header and its buffer: finish that frame first.
	 * A zero-length frame needs no more bytes, and none may come: the
	 * FIN after it would leave it undelivered.
	 */
	conn->rd_seq = tcp_sk(sk)->copied_seq;
	if (conn->parser.state == EVS_PS_BUFFER) {
		size_t used;

		if (evs_parse(&conn->parser, &evs_parser_ops, conn, NULL, 0,
			      &used) != EVS_PARSE_MORE)
			goto out;
	}
	desc.written = 0;
	desc.count = 1;
	desc.arg.data = conn;
	desc.error = 0;
	do {
		conn->rd_seq = tcp_sk(sk)->copied_seq;
		if (tcp_read_sock(sk, &desc, evs_recv_actor) > 0)
			WRITE_ONCE(conn->last_rx, get_jiffies_64());
	} while (!conn->stop && evs_conn_skip_urgent(sk));
out:
	evs_conn_read_done(conn);
	if (test_bit(EVS_CONN_ERROR, &conn->flags)) {
		evs_stats_inc(conn->en, EVS_STATS_A_ERR_MAGIC +
			      conn->parser.err - EVS_FRAME_ERR_MAGIC);
		evs_conn_kick_tx(conn);
		return;
	}
	if (!conn->stop && skb_queue_empty_lockless(&sk->sk_receive_queue) &&
	    (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN || sk->sk_err))
		evs_conn_eof(conn);
}

static void evs_conn_data_ready(struct sock *sk)
{
	struct evs_conn *conn;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (!conn)
		goto out;
	/*
	 * From release_sock(), in the task that owned the socket: read
	 * later, in our own work item, under lock_sock().
	 */
	if (sock_owned_by_user_nocheck(sk))
		evs_conn_queue(conn, &conn->rx_work);
	else
		evs_conn_read(conn);
out:
	read_unlock_bh(&sk->sk_callback_lock);
}

static void evs_conn_rx_work(struct work_struct *work)
{
	struct evs_conn *conn = container_of(work, struct evs_conn, rx_work);
	struct sock *sk = conn->sock->sk;
	unsigned long req;

	lock_sock(sk);
	/*
	 * Only a resume lifts a pause, and only the reasons it names: the
	 * tx work knows nothing of the pool, the resume work nothing of the
	 * connection's own window.
	 */
	req = atomic_long_xchg(&conn->resume_req, 0);
	if (req & conn->pause_why) {
		conn->pause_why &= ~req;
		if (!conn->pause_why)
			evs_stats_inc(conn->en, EVS_STATS_A_RESUMES);
	}
	local_bh_disable();
	evs_conn_read(conn);
	local_bh_enable();
	release_sock(sk);
}

/*
 * The peer closed or reset.  Data may still sit in the receive queue (a
 * segment with data and FIN signals the FIN first): let the reader drain
 * it; it notices EOF when the queue is empty.  The sender is told too: a
 * reader that is paused or past an ERROR does not read, and an ACK or
 * ERROR stuck in a full socket is sent again only by the tx work, which
 * then finds the reset and closes.
 */
static void evs_conn_state_change(struct sock *sk)
{
	struct evs_conn *conn;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (conn && sk->sk_state != TCP_ESTABLISHED) {
		evs_conn_queue(conn, &conn->rx_work);
		evs_conn_queue(conn, &conn->tx_work);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void evs_conn_write_space(struct sock *sk)
{
	struct evs_conn *conn;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (conn && sk_stream_is_writeable(sk)) {
		clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		evs_conn_queue(conn, &conn->tx_work);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

/* Lifts the pause reasons @why (EVS_PAUSE_* bits), in the rx work. */
void evs_conn_resume(struct evs_conn *conn, unsigned long why)
{
	atomic_long_or(why, &conn->resume_req);
	evs_conn_queue(conn, &conn->rx_work);
}

/* ---- tx: acks, errors, closing ---- */

/* Sends what is left of txbuf; -EAGAIN when the socket is full. */
static int evs_conn_flush_tx(struct evs_conn *conn)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec iov;
	int n;

	while (conn->tx_off < conn->tx_len) {
		iov.iov_base = conn->txbuf + conn->tx_off;
		iov.iov_len = conn->tx_len - conn->tx_off;
		n = kernel_sendmsg(conn->sock, &msg, &iov, 1, iov.iov_len);
		if (n < 0)
			return n;
		conn->tx_off += n;
	}
	conn->tx_off = 0;
	conn->tx_len = 0;
	return 0;
}

static void evs_conn_put_frame(struct evs_conn *conn, u8 flags, u32 seq,
			       const char *payload)
{
	size_t len = payload ? strlen(payload) : 0;
	struct evs_frame f = {
		.magic = EVS_WIRE_MAGIC,
		.version = EVS_WIRE_VERSION,
		.flags = flags,
		.length = len,
		.seq = seq,
	};

	evs_frame_encode(conn->txbuf, &f);
	memcpy(conn->txbuf + EVS_WIRE_HDR_LEN, payload, len);
	conn->tx_len = EVS_WIRE_HDR_LEN + len;
	conn->tx_off = 0;
}

/*
 * Walks the pend window from the oldest event while they are stored:
 * the cumulative ack can only cover an unbroken run.
 */
static bool evs_conn_advance(struct evs_conn *conn)
{
	/* Pairs with the release in evs_conn_push(): slots are filled. */
	u32 tail = smp_load_acquire(&conn->pend_tail);
	u32 head = conn->pend_head;
	bool moved = head != tail;

	while (head != tail) {
		struct evs_pend *pe = &conn->pend[head % EVS_CONN_WINDOW];

		/* Pairs with the release in evs_conn_event_done(). */
		if (!smp_load_acquire(&pe->done))
			break;
		if (!conn->stored_any ||
		    (s32)(pe->seq - conn->stored_seq) > 0)
			conn->stored_seq = pe->seq;
		conn->stored_any = true;
		if (pe->flags & EVS_WIRE_F_ACK_REQ)
			set_bit(EVS_CONN_ACK_DUE, &conn->flags);
		head++;
	}
	moved = moved && head != conn->pend_head;
	conn->unacked += head - conn->pend_head;
	/* The reader may reuse the slots once it sees the new head. */
	smp_store_release(&conn->pend_head, head);
	return moved;
}

/*
 * With an ACK delay configured, a due ACK waits that long for more
 * frames to cover, unless the connection is ending: then the client is
 * owed its final ACK at once.  True while it waits.
 */
static bool evs_conn_ack_wait(struct evs_conn *conn)
{
	u32 delay = READ_ONCE(conn->en->cfg.ack_delay);

	if (!delay || test_bit(EVS_CONN_ACK_NOW, &conn->flags) ||
	    test_bit(EVS_CONN_EOF, &conn->flags) ||
	    test_bit(EVS_CONN_ERROR, &conn->flags))
		return false;
	spin_lock_bh(&conn->lock);
	if (!test_bit(EVS_CONN_DEAD, &conn->flags) &&
	    !test_and_set_bit(EVS_CONN_ACK_TIMER, &conn->flags))
		queue_delayed_work(evs_ctl_wq, &conn->ack_work,
				   usecs_to_jiffies(delay));
	spin_unlock_bh(&conn->lock);
	return true;
}

static void evs_conn_ack_work(struct work_struct *work)
{
	struct evs_conn *conn = container_of(to_delayed_work(work),
					     struct evs_conn, ack_work);

	clear_bit(EVS_CONN_ACK_TIMER, &conn->flags);
	set_bit(EVS_CONN_ACK_NOW, &conn->flags);
	evs_conn_kick_tx(conn);
}

static void evs_conn_linger_work(struct work_struct *work)
{
	struct evs_conn *conn = container_of(to_delayed_work(work),
					     struct evs_conn, linger_work);

	evs_conn_close(conn, EVS_CLOSE_ERROR);
}

/*
 * The ERROR frame is queued: end our side with a FIN behind it and wait
 * for the client's.  Closing at once, with the client's bytes after the
 * bad header unread, would make TCP send a reset that can overtake the
 * ACK and the ERROR still in flight.
 */
static void evs_conn_linger(struct evs_conn *conn)
{
	if (test_and_set_bit(EVS_CONN_LINGER, &conn->flags))
		return;
	kernel_sock_shutdown(conn->sock, SHUT_WR);
	spin_lock_bh(&conn->lock);
	if (!test_bit(EVS_CONN_DEAD, &conn->flags)) {
		queue_delayed_work(evs_ctl_wq, &conn->linger_work,
				   msecs_to_jiffies(EVS_CONN_LINGER_MS));
		queue_work(evs_ctl_wq, &conn->rx_work);
	}
	spin_unlock_bh(&conn->lock);
}

/*
 * An ACK owed while @inflight more of the connection's events are on
 * their way to the store waits for them, up to EVS_ACK_COALESCE frames:
 * storing them kicks the tx work again, and the last one finds nothing
 * in flight.  A client streaming frames gets one ACK per burst rather
 * than one per consumer run, and one waiting for its ACK gets it as
 * soon as the pipeline is through with its frames.
 */
static bool evs_conn_ack_coalesce(struct evs_conn *conn, u32 inflight)
{
	return inflight && conn->unacked < EVS_ACK_COALESCE &&
	       !test_bit(EVS_CONN_ACK_NOW, &conn->flags) &&
	       !test_bit(EVS_CONN_EOF, &conn->flags) &&
	       !test_bit(EVS_CONN_ERROR, &conn->flags);
}

/*
 * Sends the ACK the stored events are owed, unless it may wait for more.
 * 0, or the error of the send (-EAGAIN: write_space kicks us again).
 */
static int evs_conn_send_ack(struct evs_conn *conn, u32 inflight)
{
	if (!test_bit(EVS_CONN_ACK_DUE, &conn->flags) ||
	    evs_conn_ack_coalesce(conn, inflight) || evs_conn_ack_wait(conn))
		return 0;
	clear_bit(EVS_CONN_ACK_DUE, &conn->flags);
	clear_bit(EVS_CONN_ACK_NOW, &conn->flags);
	evs_conn_put_frame(conn, EVS_WIRE_F_ACK, conn->stored_seq, NULL);
	conn->acked_seq = conn->stored_seq;
	conn->unacked = 0;
	evs_stats_inc(conn->en, EVS_STATS_A_ACKS);
	return evs_conn_flush_tx(conn);
}

/* A reader waiting on its own events: room again, or all on one CPU. */
static void evs_conn_resume_own(struct evs_conn *conn, u32 inflight)
{
	unsigned long lift = 0;

	if (inflight == 0)
		lift = BIT(EVS_PAUSE_WINDOW) | BIT(EVS_PAUSE_CPU);
	else if (inflight < EVS_CONN_WINDOW)
		lift = BIT(EVS_PAUSE_WINDOW);
	/* A stale look costs one wake-up: the reader decides. */
	if (READ_ONCE(conn->pause_why) & lift)
		evs_conn_resume(conn, lift);
}

/* Everything accepted is stored and acked: the ERROR, then the linger. */
static void evs_conn_send_error(struct evs_conn *conn)
{
	int err;

	if (!test_and_set_bit(EVS_CONN_ERROR_SENT, &conn->flags)) {
		evs_conn_put_frame(conn, EVS_WIRE_F_ERROR,
				   conn->parser.frame.seq,
				   evs_frame_strerror(conn->parser.err));
		evs_notify_proto_error(conn);
	}
	err = evs_conn_flush_tx(conn);
	if (err == -EAGAIN)
		return;
	if (err)
		evs_conn_close(conn, EVS_CLOSE_ERROR);
	else
		evs_conn_linger(conn);
}

/*
 * The sender: what is left of the last frame, then the ACK, then (once
 * nothing is in flight) the ERROR or the close after EOF.  It also lets
 * a reader go on that waited for its own events.
 */
static void evs_conn_tx_work(struct work_struct *work)
{
	struct evs_conn *conn = container_of(work, struct evs_conn, tx_work);
	bool error, eof;
	u32 inflight = 0;
	int err;

	if (test_bit(EVS_CONN_DEAD, &conn->flags))
		return;
	/*
	 * Whether the connection is ending is read once, before the ACK is
	 * decided: a reader setting ERROR or EOF after this kicks us again,
	 * and that run sends the ACK it owes before the ERROR or the close.
	 */
	error = test_bit(EVS_CONN_ERROR, &conn->flags);
	eof = test_bit(EVS_CONN_EOF, &conn->flags);
	err = evs_conn_flush_tx(conn);
	if (!err) {
		evs_conn_advance(conn);
		inflight = READ_ONCE(conn->pend_tail) - conn->pend_head;
		err = evs_conn_send_ack(conn, inflight);
	}
	if (err) {
		if (err != -EAGAIN)	/* -EAGAIN: write_space kicks us */
			evs_conn_close(conn, EVS_CLOSE_SEND);
		return;
	}
	evs_conn_resume_own(conn, inflight);
	if (inflight)
		return;
	if (error)
		evs_conn_send_error(conn);
	else if (eof)
		evs_conn_close(conn, EVS_CLOSE_PEER);
}

/*
 * The reader stopped between a frame's first header byte and its end,
 * with nothing of it in an event (the payload waits in the socket, or
 * the header is partial).  The peer's EOF counts its own cut (see
 * evs_conn_eof()), and a bad header is an error, not a cut.  Only once
 * no reader can run.
 */
static bool evs_conn_mid_frame(const struct evs_conn *conn)
{
	return !test_bit(EVS_CONN_EOF, &conn->flags) &&
	       conn->parser.state != EVS_PS_ERROR &&
	       !evs_parser_idle(&conn->parser);
}

/*
 * Tears the connection down; runs only in close_work, so it happens once
 * and never under a caller's locks.  After the callbacks are restored no
 * callback can see the connection, after the cancels no work item runs
 * for it, and the events still on the rings hold their own references.
 */
static void evs_conn_close_work(struct work_struct *work)
{
	struct evs_conn *conn = container_of(work, struct evs_conn,
					     close_work);
	struct evs_net *en = conn->en;
	struct sock *sk;
	bool done;

	/* A second run (a racing close_sync()) finds it closed. */
	spin_lock_bh(&conn->lock);
	done = test_and_set_bit(EVS_CONN_DEAD, &conn->flags);
	spin_unlock_bh(&conn->lock);
	if (done)
		return;

	sk = conn->sock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = conn->saved_data_ready;
	sk->sk_state_change = conn->saved_state_change;
	sk->sk_write_space = conn->saved_write_space;
	sk->sk_user_data = NULL;
	write_unlock_bh(&sk->sk_callback_lock);

	cancel_work_sync(&conn->rx_work);
	cancel_work_sync(&conn->tx_work);
	cancel_delayed_work_sync(&conn->ack_work);
	cancel_delayed_work_sync(&conn->linger_work);

	spin_lock_bh(&en->paused_lock);
	if (test_and_clear_bit(EVS_CONN_PAUSED_NS, &conn->flags)) {
		list_del(&conn->paused_node);
		WRITE_ONCE(en->npaused, en->npaused - 1);
		evs_conn_put(conn);
	}
	spin_unlock_bh(&en->paused_lock);

	/*
	 * Never pushed, so not on any ring: ours to drop.  It was never
	 * accepted either (never counted, never acked): the connection
	 * ended inside a frame, as far as the counters go.
	 */
	if (conn->cur || conn->ready) {
		struct evs_event *ev = conn->cur ?: conn->ready;

		evs_stats_inc(en, EVS_STATS_A_TRUNCATED);
		evs_events_landed(en, 1, evs_event_cost(ev));
		evs_event_free(ev);
		conn->cur = NULL;
		conn->ready = NULL;
		evs_maybe_resume(en, false);
	} else if (evs_conn_mid_frame(conn)) {
		/* Closed by us with part of a frame read: cut short too. */
		evs_stats_inc(en, EVS_STATS_A_TRUNCATED);
	}

	spin_lock(&en->conns_lock);
	list_del(&conn->node);
	en->nconns--;
	en->conns_gen++;
	if (conn->listener)
		conn->listener->nconns--;
	conn->listener = NULL;
	spin_unlock(&en->conns_lock);

	/* Counted and announced before the client can see the close. */
	evs_stats_inc(en, EVS_STATS_A_CONN_CLOSED);
	evs_notify_conn(conn, EVS_CMD_NTF_CONN_CLOSE);
	/*
	 * An administrator's close is a reset, as ss -K's: the client learns
	 * at once, and ACKs still unsent tell it nothing false by going.
	 */
	if (conn->close_reason == EVS_CLOSE_ADMIN)
		sock_no_linger(sk);
	evs_sock_release(conn->sock);
	conn->sock = NULL;
	evs_conn_put(conn);
}

/* Asks for @conn to be closed; the first reason asked for is kept. */
void evs_conn_close(struct evs_conn *conn, u8 reason)
{
	spin_lock_bh(&conn->lock);
	if (!test_bit(EVS_CONN_DEAD, &conn->flags) &&
	    !test_and_set_bit(EVS_CONN_CLOSE_REQ, &conn->flags)) {
		conn->close_reason = reason;
		queue_work(evs_ctl_wq, &conn->close_work);
	}
	spin_unlock_bh(&conn->lock);
}

/*
 * Closes @conn and returns once it is closed.  The caller holds a
 * reference, so @conn outlives the close work.
 */
void evs_conn_close_sync(struct evs_conn *conn, u8 reason)
{
	evs_conn_close(conn, reason);
	flush_work(&conn->close_work);
}

/*
 * CONN_DEL: closes connection @id of @en, as any other close does, and
 * returns once it is closed.  Under en->lock, which keeps its listener
 * (and the accept work that may still be announcing it) from going.  A
 * connection closing already, for whatever reason, is waited for and
 * keeps its reason; one gone already is not found.
 */
int evs_conn_del(struct evs_net *en, u64 id, struct netlink_ext_ack *extack)
{
	struct evs_listener *l = NULL;
	struct evs_conn *conn;
	bool found = false;

	lockdep_assert_held(&en->lock);
	spin_lock(&en->conns_lock);
	list_for_each_entry(conn, &en->conns, node) {
		/* Ids grow along the list. */
		if (conn->id >= id) {
			found = conn->id == id;
			break;
		}
	}
	if (found) {
		/* Listed: its own reference is still there. */
		refcount_inc(&conn->ref);
		l = conn->listener;
	}
	spin_unlock(&en->conns_lock);
	if (!found) {
		EVS_SET_ERR_MSG_FMT(extack,
				    "no such connection in this network namespace",
				    "no connection %llu in this network namespace",
				    id);
		return -ENOENT;
	}
	/*
	 * Listed but not yet announced: its OPEN must come before its
	 * CLOSE.  The accept work announces it and goes on at once.
	 */
	if (!test_bit(EVS_CONN_STARTED, &conn->flags))
		flush_work(&l->accept_work);
	evs_conn_close_sync(conn, EVS_CLOSE_ADMIN);
	evs_conn_put(conn);
	return 0;
}

/*
 * Closes connections that made no progress for the idle timeout: sent
 * nothing, and took nothing we had for them.  Those paused (they have
 * sent: we are not reading) or with events in flight (they are owed
 * ACKs) are waiting on us, unless a frame of ours has been waiting for
 * them: a client that reads neither its ACKs nor its ERROR holds its
 * window paused for good and would never be idle otherwise.  (A frame
 * half sent stays in txbuf only while the socket is full; tx_len is
 * read racily, a stale look costs one scan.)
 */
void evs_conn_idle_scan(struct evs_net *en)
{
	u32 timeout = READ_ONCE(en->cfg.idle_timeout);
	struct evs_conn *conn;

	if (!timeout)
		return;
	spin_lock(&en->conns_lock);
	list_for_each_entry(conn, &en->conns, node) {
		/*
		 * Not started: its creator is announcing it.  Lingering
		 * after its ERROR: the linger timer closes it.  (An
		 * ERROR still unsent, to a client that reads nothing, is
		 * left to this scan like any idle connection.)
		 */
		bool waits_on_us = READ_ONCE(conn->pause_why) ||
			READ_ONCE(conn->pend_tail) != READ_ONCE(conn->pend_head);

		/*
		 * A payload arriving byte by byte stays in the socket
		 * unread (evs_conn_payload_queued()): what TCP received
		 * since the last scan is progress all the same.  The
		 * socket is there while the connection is listed.
		 */
		if (READ_ONCE(conn->lowat)) {
			u32 nxt = READ_ONCE(tcp_sk(conn->sock->sk)->rcv_nxt);

			if (nxt != conn->idle_rcv_nxt) {
				conn->idle_rcv_nxt = nxt;
				WRITE_ONCE(conn->last_rx, get_jiffies_64());
			}
		}

		if ((waits_on_us && !READ_ONCE(conn->tx_len)) ||
		    !test_bit(EVS_CONN_STARTED, &conn->flags) ||
		    test_bit(EVS_CONN_LINGER, &conn->flags) ||
		    evs_conn_idle_ms(conn) < timeout * 1000ULL)
			continue;
		evs_conn_close(conn, EVS_CLOSE_IDLE);
	}
	spin_unlock(&en->conns_lock);
}

int evs_conn_create(struct evs_listener *l, struct socket *sock)
{
	struct evs_net *en = l->en;
	struct sock *sk = sock->sk;
	struct mem_cgroup *old_memcg;
	struct evs_conn *conn;

	old_memcg = set_active_memcg(en->memcg);
	conn = evs_should_fail(EVS_FAULT_CONN) ? NULL :
	       kzalloc(sizeof(*conn), evs_gfp(en));
	if (conn)
		conn->pend = evs_should_fail(EVS_FAULT_CONN) ? NULL :
			     kvcalloc(EVS_CONN_WINDOW, sizeof(*conn->pend),
				      evs_gfp(en));
	set_active_memcg(old_memcg);
	if (!conn)
		return -ENOMEM;
	if (!conn->pend) {
		kfree(conn);
		return -ENOMEM;
	}
	/*
	 * A client that reset before we accepted has no peer address any
	 * more: it is still a connection, counted and closed by its reader.
	 */
	if (kernel_getpeername(sock, (struct sockaddr *)&conn->peer) < 0) {
		memset(&conn->peer, 0, sizeof(conn->peer));
		conn->peer.ss_family = sk->sk_family;
	}
	/*
	 * Its own reference, dropped by its close, and ours until we are
	 * done here: once it reads, a client's bad frame or reset can close
	 * it at any moment.
	 */
	refcount_set(&conn->ref, 2);
	conn->en = en;
	conn->sock = sock;
	conn->listener = l;
	conn->local_port = evs_sockaddr_port(&l->addr);
	conn->ring_cpu = -1;
	spin_lock_init(&conn->lock);
	INIT_LIST_HEAD(&conn->paused_node);
	INIT_WORK(&conn->rx_work, evs_conn_rx_work);
	INIT_WORK(&conn->tx_work, evs_conn_tx_work);
	INIT_WORK(&conn->close_work, evs_conn_close_work);
	INIT_DELAYED_WORK(&conn->ack_work, evs_conn_ack_work);
	INIT_DELAYED_WORK(&conn->linger_work, evs_conn_linger_work);
	conn->last_rx = get_jiffies_64();
	evs_parser_init(&conn->parser, READ_ONCE(en->cfg.max_payload));
	/* Acks are small and a client may wait for each: no Nagle. */
	tcp_sock_set_nodelay(sk);

	spin_lock(&en->conns_lock);
	if (en->nconns >= READ_ONCE(en->cfg.conn_limit)) {
		spin_unlock(&en->conns_lock);
		evs_conn_free(conn);
		return -EMFILE;
	}
	/* Taken with the list place: ids grow along the list (dumps). */
	conn->id = ++en->last_conn_id;
	list_add_tail(&conn->node, &en->conns);
	en->nconns++;
	en->conns_gen++;
	l->nconns++;
	l->accepted++;
	/*
	 * Listed and hooked at once: whoever finds it on the list and
	 * closes it finds the callbacks to restore.
	 */
	write_lock_bh(&sk->sk_callback_lock);
	conn->saved_data_ready = sk->sk_data_ready;
	conn->saved_state_change = sk->sk_state_change;
	conn->saved_write_space = sk->sk_write_space;
	sk->sk_user_data = conn;
	sk->sk_data_ready = evs_conn_data_ready;
	sk->sk_state_change = evs_conn_state_change;
	sk->sk_write_space = evs_conn_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
	spin_unlock(&en->conns_lock);
	evs_stats_inc(en, EVS_STATS_A_CONN_ACCEPTED);

	/*
	 * Announced before it starts: until STARTED nothing reads it, and
	 * only its reader can find an error or the peer's close (the idle
	 * scan waits for STARTED too), so its OPEN comes before its CLOSE
	 * and nothing frees it under us.
	 */
	evs_fault_delay(EVS_DELAY_CONN_OPEN);
	evs_notify_conn(conn, EVS_CMD_NTF_CONN_OPEN);
	set_bit(EVS_CONN_STARTED, &conn->flags);
	/* Bytes (even a FIN) may have arrived before the hook: read now. */
	evs_conn_queue(conn, &conn->rx_work);
	evs_conn_put(conn);
	return 0;
}
