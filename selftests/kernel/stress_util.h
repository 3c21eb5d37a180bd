/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the evstream stress suite (stress_test.c).
 *
 * - The size of a run: --scale, --rounds, --quick and their environment
 *   variables.
 * - Clients whose every frame can be told apart when it is read back:
 *   the payload starts with the client's tag and the frame's seq, the
 *   rest is a pattern of both, and length and priority follow from them.
 * - A ledger per client of what it wrote whole, what the server acked
 *   and, after a clean end of stream, what the server must have stored.
 * - A connection engine that writes frames (blocking or not), reads ACKs
 *   and checks them against the ledger as they come.
 * - The exact check of the store against the ledgers: every frame that
 *   must be stored is there exactly once, nothing else is there but
 *   frames the client wrote whole (at most once, unchanged, in order
 *   within a priority).
 *
 * Worker threads never use the harness's ASSERT/EXPECT (they would
 * longjmp on another thread's stack): they count what went wrong in a
 * struct stress_errs, which the test's own thread then asserts on.
 */
#ifndef _EVS_STRESS_UTIL_H
#define _EVS_STRESS_UTIL_H

#include "evs_test.h"
#include <pthread.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>

/* ---- size of a run ---- */

struct stress_opts {
	double scale;		/* workload sizes, 1.0 for a full run */
	unsigned int rounds;	/* rmmod and netns deletions */
	int quick;
	char only[256];		/* comma-separated test names, "" for all */
};

static struct stress_opts stress_opts = { .scale = 1.0, .rounds = 50 };

/* --quick: the whole suite in well under a minute of emulated VM. */
#define STRESS_QUICK_SCALE	0.05
#define STRESS_QUICK_ROUNDS	3

/* @full scaled by --scale, never below @min. */
static inline unsigned int stress_n(unsigned int full, unsigned int min)
{
	double n = full * stress_opts.scale + 0.5;

	return n < min ? min : (unsigned int)n;
}

static inline uint64_t stress_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline uint64_t stress_now_ms(void)
{
	return stress_now_us() / 1000;
}

static inline void stress_sleep_us(unsigned int us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* murmur3's finaliser: a cheap hash that spreads every input bit. */
static inline uint32_t stress_mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6b;
	x ^= x >> 13;
	x *= 0xc2b2ae35;
	x ^= x >> 16;
	return x;
}

/* xorshift32: per-thread randomness, reproducible from its seed. */
static inline uint32_t stress_rand(uint32_t *state)
{
	uint32_t x = *state ? *state : 0x9e3779b9;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* ---- what went wrong in a worker thread ---- */

struct stress_errs {
	pthread_mutex_t lock;	/* n and first */
	unsigned int n;
	char first[512];
};

#define STRESS_ERRS_INIT { .lock = PTHREAD_MUTEX_INITIALIZER }

static inline void __attribute__((format(printf, 2, 3)))
stress_err(struct stress_errs *e, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&e->lock);
	if (!e->n++) {
		va_start(ap, fmt);
		vsnprintf(e->first, sizeof(e->first), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&e->lock);
}

/* ---- clients and their frames ---- */

/* A priority per frame (fixed runs of the table below) instead of one. */
#define STRESS_PRIO_MIX		254
#define STRESS_TAG_LEN		8	/* payload bytes the tag and seq take */

struct stress_client {
	uint32_t tag;		/* first payload word: which client */
	uint32_t seq0;		/* seq of its frame 0 (wraps as it likes) */
	uint16_t topic;
	uint8_t prio;		/* EVS_PRIO_*, EVS_PRIO_AUTO, STRESS_PRIO_MIX */
	uint32_t len_min;	/* payload lengths, >= STRESS_TAG_LEN */
	uint32_t len_max;
	uint32_t cap;		/* frames it may make */
	/* Frame indexes (seq - seq0): counts of frames from index 0. */
	uint32_t made;		/* put in its connection's buffer */
	uint32_t sent;		/* written whole */
	uint32_t acked;		/* covered by an ACK */
	uint32_t must;		/* must be in the store */
	/* Filled by stress_check(). */
	unsigned char *seen;	/* times each frame was read back */
	int64_t last[EVS_PRIO_NR];	/* last index read back, per priority */
};

static const uint8_t stress_prio_table[] = {
	EVS_PRIO_TX, EVS_PRIO_RT, EVS_PRIO_BATCH, EVS_PRIO_AUTO,
};

static inline uint8_t stress_frame_prio(const struct stress_client *cl,
					uint32_t i)
{
	if (cl->prio != STRESS_PRIO_MIX)
		return cl->prio;
	return stress_prio_table[(i / 5) % sizeof(stress_prio_table)];
}

static inline uint32_t stress_frame_len(const struct stress_client *cl,
					uint32_t i)
{
	uint32_t span = cl->len_max - cl->len_min + 1;

	return cl->len_min + stress_mix(cl->tag * 0x9e3779b9u + i) % span;
}

static inline uint32_t stress_frame_hash(uint32_t tag, uint32_t seq)
{
	return stress_mix(tag ^ stress_mix(seq + 0x632be5ab));
}

static inline size_t stress_frame_size(const struct stress_client *cl,
				       uint32_t i)
{
	return EVS_WIRE_HDR_LEN + stress_frame_len(cl, i);
}

/* Frame @i of @cl at @buf; returns its size. */
static inline size_t stress_put_frame(const struct stress_client *cl,
				      uint32_t i, uint8_t flags,
				      unsigned char *buf)
{
	uint32_t seq = cl->seq0 + i, len = stress_frame_len(cl, i);
	uint32_t h = stress_frame_hash(cl->tag, seq);
	struct evs_frame f = {
		.magic = EVS_WIRE_MAGIC, .version = EVS_WIRE_VERSION,
		.flags = flags, .length = len, .topic = cl->topic,
		.priority = stress_frame_prio(cl, i), .seq = seq,
	};
	unsigned char *p = buf + EVS_WIRE_HDR_LEN;
	uint32_t k;

	evs_frame_encode(buf, &f);
	p[0] = cl->tag >> 24;
	p[1] = cl->tag >> 16;
	p[2] = cl->tag >> 8;
	p[3] = cl->tag;
	p[4] = seq >> 24;
	p[5] = seq >> 16;
	p[6] = seq >> 8;
	p[7] = seq;
	for (k = STRESS_TAG_LEN; k < len; k++)
		p[k] = (unsigned char)(h + k * 7);
	return EVS_WIRE_HDR_LEN + len;
}

static inline uint32_t stress_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* All clients of a test; client i has tag tag0 + i. */
struct stress_ledger {
	struct stress_client *c;
	unsigned int n;
	uint32_t tag0;
};

static inline int stress_ledger_init(struct stress_ledger *l, unsigned int n,
				     uint32_t tag0)
{
	l->c = calloc(n, sizeof(*l->c));
	l->n = n;
	l->tag0 = tag0;
	return l->c ? 0 : -ENOMEM;
}

static inline void stress_ledger_free(struct stress_ledger *l)
{
	unsigned int i;

	for (i = 0; l->c && i < l->n; i++)
		free(l->c[i].seen);
	free(l->c);
	l->c = NULL;
}

/* Client @i of @l, before it sends; 0 or -ENOMEM. */
static inline int stress_client_init(struct stress_ledger *l, unsigned int i,
				     uint16_t topic, uint8_t prio,
				     uint32_t len_min, uint32_t len_max,
				     uint32_t cap, uint32_t seq0)
{
	struct stress_client *cl = &l->c[i];

	memset(cl, 0, sizeof(*cl));
	cl->tag = l->tag0 + i;
	cl->seq0 = seq0;
	cl->topic = topic;
	cl->prio = prio;
	cl->len_min = len_min < STRESS_TAG_LEN ? STRESS_TAG_LEN : len_min;
	cl->len_max = len_max < cl->len_min ? cl->len_min : len_max;
	cl->cap = cap;
	cl->seen = calloc(cap ? cap : 1, 1);
	return cl->seen ? 0 : -ENOMEM;
}

/* ---- a client connection ---- */

struct stress_conn {
	int fd;
	struct stress_client *cl;
	/* Frames waiting to be written: out[off, len). */
	unsigned char *out;
	size_t out_cap, out_len, out_off;
	uint32_t *ends;		/* end offset in out of each queued frame */
	unsigned int nends, ends_done;
	uint32_t ackreq_idx;	/* index of the last ACK_REQ frame queued */
	int ackreq_any;
	/* Bytes of server frames not yet complete. */
	unsigned char in[EVS_WIRE_HDR_LEN + 256];
	size_t in_len;
	unsigned int acks;	/* ACK frames read */
	int eof;		/* the server closed its side */
	int err;		/* errno that ended the connection, or 0 */
	char bad[160];		/* the first thing the server got wrong */
};

static inline void __attribute__((format(printf, 2, 3)))
stress_conn_bad(struct stress_conn *sc, const char *fmt, ...)
{
	va_list ap;

	if (sc->bad[0])
		return;
	va_start(ap, fmt);
	vsnprintf(sc->bad, sizeof(sc->bad), fmt, ap);
	va_end(ap);
}

/*
 * A TCP connection to @port on 127.0.0.1.  @rcvbuf, @sndbuf: socket
 * buffer sizes to fix before connecting (0: autotuned).  @sndtimeo_ms
 * bounds a blocking send, so a server that stops reading for good fails
 * the test instead of hanging it.  @linger0: close() resets.
 */
static inline int stress_connect(uint16_t port, int rcvbuf, int sndbuf,
				 int sndtimeo_ms, int linger0)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { sndtimeo_ms / 1000, sndtimeo_ms % 1000 * 1000 };
	struct linger lg = { 1, 0 };
	int one = 1, fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (sndbuf)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (sndtimeo_ms)
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (linger0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* @out_cap: the most bytes of frames queued at once. */
static inline int stress_conn_init(struct stress_conn *sc, int fd,
				   struct stress_client *cl, size_t out_cap)
{
	memset(sc, 0, sizeof(*sc));
	sc->fd = fd;
	sc->cl = cl;
	sc->out_cap = out_cap;
	sc->out = malloc(out_cap);
	sc->ends = calloc(out_cap / EVS_WIRE_HDR_LEN + 1, sizeof(*sc->ends));
	return sc->out && sc->ends ? 0 : -ENOMEM;
}

static inline void stress_conn_close(struct stress_conn *sc)
{
	if (sc->fd >= 0)
		close(sc->fd);
	sc->fd = -1;
	free(sc->out);
	free(sc->ends);
	sc->out = NULL;
	sc->ends = NULL;
}

static inline size_t stress_conn_pending(const struct stress_conn *sc)
{
	return sc->out_len - sc->out_off;
}

/*
 * Queues up to @n more frames of the client.  ACK_REQ goes on every
 * frame whose index + 1 is a multiple of @ack_every (0: none) and, with
 * @ack_last, on the last one queued.  Returns the number queued.
 */
static inline unsigned int stress_queue(struct stress_conn *sc, unsigned int n,
					unsigned int ack_every, int ack_last)
{
	struct stress_client *cl = sc->cl;
	size_t last_off = 0;
	unsigned int k, j;

	/* Move what is left to the front; frame ends move with it. */
	if (sc->out_off) {
		memmove(sc->out, sc->out + sc->out_off, stress_conn_pending(sc));
		for (j = sc->ends_done; j < sc->nends; j++)
			sc->ends[j - sc->ends_done] = sc->ends[j] - sc->out_off;
		sc->nends -= sc->ends_done;
		sc->ends_done = 0;
		sc->out_len -= sc->out_off;
		sc->out_off = 0;
	}
	for (k = 0; k < n && cl->made < cl->cap; k++) {
		uint32_t i = cl->made;
		uint8_t flags = 0;

		if (sc->out_len + stress_frame_size(cl, i) > sc->out_cap)
			break;
		if (ack_every && (i + 1) % ack_every == 0)
			flags = EVS_WIRE_F_ACK_REQ;
		last_off = sc->out_len;
		sc->out_len += stress_put_frame(cl, i, flags,
						sc->out + sc->out_len);
		sc->ends[sc->nends++] = sc->out_len;
		if (flags) {
			sc->ackreq_idx = i;
			sc->ackreq_any = 1;
		}
		cl->made++;
	}
	if (k && ack_last) {
		/* Byte 3 of a header is its flags. */
		sc->out[last_off + 3] |= EVS_WIRE_F_ACK_REQ;
		sc->ackreq_idx = cl->made - 1;
		sc->ackreq_any = 1;
	}
	return k;
}

/*
 * Writes queued bytes up to offset @limit of the buffer (all of them
 * when @limit is 0).  @nonblock: stop at the first short write.
 * Returns 0 once written, -EAGAIN when the socket is full (or a blocking
 * send timed out), or -errno; the error ends the connection.
 */
static inline int stress_write_upto(struct stress_conn *sc, size_t limit,
				    int nonblock)
{
	int flags = MSG_NOSIGNAL | (nonblock ? MSG_DONTWAIT : 0);

	if (!limit || limit > sc->out_len)
		limit = sc->out_len;
	while (sc->out_off < limit) {
		ssize_t n = send(sc->fd, sc->out + sc->out_off,
				 limit - sc->out_off, flags);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -EAGAIN;
		if (n < 0) {
			sc->err = errno;
			return -errno;
		}
		sc->out_off += n;
		while (sc->ends_done < sc->nends &&
		       sc->ends[sc->ends_done] <= sc->out_off) {
			sc->ends_done++;
			sc->cl->sent++;
		}
		if (nonblock && sc->out_off < limit)
			return -EAGAIN;
	}
	return 0;
}

static inline int stress_write(struct stress_conn *sc, int nonblock)
{
	return stress_write_upto(sc, 0, nonblock);
}

/* Takes the complete server frames out of sc->in. */
static inline void stress_parse_in(struct stress_conn *sc)
{
	struct stress_client *cl = sc->cl;
	struct evs_frame f;
	size_t used = 0;

	while (sc->in_len - used >= EVS_WIRE_HDR_LEN) {
		evs_frame_decode(sc->in + used, &f);
		if (f.magic != EVS_WIRE_MAGIC || f.version != EVS_WIRE_VERSION ||
		    f.length > sizeof(sc->in) - EVS_WIRE_HDR_LEN) {
			stress_conn_bad(sc, "garbage from the server");
			sc->in_len = 0;
			return;
		}
		if (sc->in_len - used < EVS_WIRE_HDR_LEN + f.length)
			break;
		if (f.flags == EVS_WIRE_F_ACK && !f.length) {
			uint32_t idx = f.seq - cl->seq0;

			sc->acks++;
			if (!sc->ackreq_any)
				stress_conn_bad(sc, "ACK %u though no ACK_REQ was sent",
						f.seq);
			else if (idx >= cl->sent)
				stress_conn_bad(sc, "ACK %u for a frame not yet sent whole (%u sent)",
						f.seq, cl->sent);
			else if (idx + 1 < cl->acked)
				stress_conn_bad(sc, "ACK %u after ACK %u", f.seq,
						cl->seq0 + cl->acked - 1);
			else
				cl->acked = idx + 1;
		} else if (f.flags == EVS_WIRE_F_ERROR) {
			stress_conn_bad(sc, "ERROR frame, seq %u: %.*s", f.seq,
					(int)f.length,
					(char *)sc->in + used + EVS_WIRE_HDR_LEN);
		} else {
			stress_conn_bad(sc, "server frame with flags %#x",
					f.flags);
		}
		used += EVS_WIRE_HDR_LEN + f.length;
	}
	memmove(sc->in, sc->in + used, sc->in_len - used);
	sc->in_len -= used;
}

/*
 * Reads what the server sent, waiting up to @ms for the first byte (0:
 * not at all).  Returns 0 (also at EOF: sc->eof), or -errno when the
 * connection failed (sc->err).
 */
static inline int stress_read(struct stress_conn *sc, int ms)
{
	struct pollfd pfd = { .fd = sc->fd, .events = POLLIN };

	if (sc->eof || sc->err)
		return sc->err ? -sc->err : 0;
	if (ms && poll(&pfd, 1, ms) <= 0)
		return 0;
	for (;;) {
		ssize_t n = recv(sc->fd, sc->in + sc->in_len,
				 sizeof(sc->in) - sc->in_len, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0) {
			sc->err = errno;
			return -errno;
		}
		if (!n) {
			if (sc->in_len)
				stress_conn_bad(sc, "EOF inside a server frame");
			sc->eof = 1;
			return 0;
		}
		sc->in_len += n;
		stress_parse_in(sc);
	}
}

/* Waits until ACKs cover the first @count frames; 0 or -errno. */
static inline int stress_wait_acked(struct stress_conn *sc, uint32_t count,
				    int ms)
{
	uint64_t end = stress_now_ms() + ms;

	while (sc->cl->acked < count) {
		int64_t left = (int64_t)(end - stress_now_ms());
		int err;

		if (left <= 0)
			return -ETIMEDOUT;
		err = stress_read(sc, left > 200 ? 200 : (int)left);
		if (err)
			return err;
		if (sc->eof)
			return -ECONNRESET;
	}
	return 0;
}

/*
 * The clean end: write what is queued, shut down the sending side, read
 * ACKs until the server closes.  Then every frame written is stored
 * (docs/protocol.md, "End of stream"), and the last ACK must cover the
 * last frame that asked for one.  0 or -errno.
 */
static inline int stress_finish(struct stress_conn *sc, int ms)
{
	uint64_t end = stress_now_ms() + ms;
	int err;

	err = stress_write(sc, 0);
	if (err)
		return err;
	if (shutdown(sc->fd, SHUT_WR))
		return -errno;
	while (!sc->eof) {
		int64_t left = (int64_t)(end - stress_now_ms());

		if (left <= 0)
			return -ETIMEDOUT;
		err = stress_read(sc, left > 200 ? 200 : (int)left);
		if (err)
			return err;
	}
	sc->cl->must = sc->cl->sent;
	if (sc->ackreq_any && sc->cl->acked < sc->ackreq_idx + 1)
		stress_conn_bad(sc, "EOF, but the last ACK covers %u frames of %u asked",
				sc->cl->acked, sc->ackreq_idx + 1);
	return 0;
}

/* ---- the store against the ledgers ---- */

/* Per topic, as EVS_CMD_READ returned it. */
struct stress_topic {
	uint16_t topic;
	uint64_t count;		/* events read back */
	uint64_t first;		/* store seq of the first */
	uint64_t last;		/* and of the last */
	uint64_t gaps;		/* store seqs not one after the other */
};

struct stress_check {
	uint64_t events;	/* read back */
	uint64_t foreign;	/* no client of ours, or the wrong topic */
	uint64_t corrupt;	/* payload, length or priority not as sent */
	uint64_t dup;		/* a frame stored twice */
	uint64_t unsent;	/* a frame the client never wrote whole */
	uint64_t missing;	/* a frame that must be stored, not there */
	uint64_t misorder;	/* one priority of a client out of order */
	uint64_t holes;		/* (suffix) a frame evicted, a later one kept */
	uint64_t extra;		/* stored, though not known to be */
	char first[256];	/* the first problem found */
};

struct stress_check_ctx {
	struct stress_ledger *l;
	struct stress_check *res;
	struct stress_topic *t;
};

static inline void __attribute__((format(printf, 3, 4)))
stress_check_note(struct stress_check *res, uint64_t *ctr,
		  const char *fmt, ...)
{
	va_list ap;

	(*ctr)++;
	if (res->first[0])
		return;
	va_start(ap, fmt);
	vsnprintf(res->first, sizeof(res->first), fmt, ap);
	va_end(ap);
}

static inline int stress_check_cb(const struct evs_event *ev, void *data)
{
	struct stress_check_ctx *ctx = data;
	struct stress_check *res = ctx->res;
	const unsigned char *p = ev->data;
	struct stress_client *cl;
	uint32_t tag, idx, h, k;
	uint8_t prio;

	res->events++;
	if (ctx->t->count && ev->seq != ctx->t->last + 1)
		ctx->t->gaps++;
	if (!ctx->t->count)
		ctx->t->first = ev->seq;
	ctx->t->last = ev->seq;
	ctx->t->count++;

	tag = ev->len >= STRESS_TAG_LEN ? stress_be32(p) : 0;
	if (ev->len < STRESS_TAG_LEN || tag - ctx->l->tag0 >= ctx->l->n ||
	    ctx->l->c[tag - ctx->l->tag0].topic != ev->topic) {
		stress_check_note(res, &res->foreign,
				  "topic %u seq %llu: not a frame of ours",
				  ev->topic, (unsigned long long)ev->seq);
		return 0;
	}
	cl = &ctx->l->c[tag - ctx->l->tag0];
	idx = ev->client_seq - cl->seq0;
	if (idx >= cl->sent) {
		stress_check_note(res, &res->unsent,
				  "client %u: seq %u stored, only %u frames written whole",
				  tag, ev->client_seq, cl->sent);
		return 0;
	}
	h = stress_frame_hash(tag, ev->client_seq);
	prio = stress_frame_prio(cl, idx);
	for (k = STRESS_TAG_LEN; k < ev->len; k++)
		if (p[k] != (unsigned char)(h + k * 7))
			break;
	if (stress_be32(p + 4) != ev->client_seq ||
	    ev->len != stress_frame_len(cl, idx) || k < ev->len ||
	    ev->prio >= EVS_PRIO_NR ||
	    (prio != EVS_PRIO_AUTO && ev->prio != prio)) {
		stress_check_note(res, &res->corrupt,
				  "client %u seq %u: len %u prio %u, sent len %u prio %u%s",
				  tag, ev->client_seq, ev->len, ev->prio,
				  stress_frame_len(cl, idx), prio,
				  k < ev->len ? ", payload differs" : "");
		return 0;
	}
	if (cl->seen[idx]++) {
		stress_check_note(res, &res->dup,
				  "client %u seq %u stored twice", tag,
				  ev->client_seq);
		return 0;
	}
	/* Within one priority a connection's frames are stored in order. */
	if (prio != EVS_PRIO_AUTO) {
		if ((int64_t)idx < cl->last[prio])
			stress_check_note(res, &res->misorder,
					  "client %u prio %u: seq %u stored after seq %u",
					  tag, prio, ev->client_seq,
					  cl->seq0 + (uint32_t)cl->last[prio]);
		cl->last[prio] = idx;
	}
	return 0;
}

/*
 * Reads @ntopics topics back and checks every event against @l: fills
 * @res, and @t (one entry per topic) when not NULL.  With @suffix, a
 * client's frames may have been evicted, but only the oldest: those
 * stored must be its last ones.  Returns 0, or the error of the read.
 */
static inline int stress_check(struct evs_nl *nl, struct stress_ledger *l,
			       const uint16_t *topics, unsigned int ntopics,
			       int suffix, struct stress_check *res,
			       struct stress_topic *t)
{
	struct stress_topic tmp;
	struct stress_check_ctx ctx = { .l = l, .res = res };
	unsigned int i, p;
	uint32_t idx;
	int err;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < l->n; i++) {
		struct stress_client *cl = &l->c[i];

		if (cl->seen)
			memset(cl->seen, 0, cl->cap ? cl->cap : 1);
		for (p = 0; p < EVS_PRIO_NR; p++)
			cl->last[p] = -1;
	}
	for (i = 0; i < ntopics; i++) {
		ctx.t = t ? &t[i] : &tmp;
		memset(ctx.t, 0, sizeof(*ctx.t));
		ctx.t->topic = topics[i];
		err = evs_read_topic(nl, topics[i], 0, EVS_READ_ALL,
				     stress_check_cb, &ctx);
		if (err)
			return err;
	}
	for (i = 0; i < l->n; i++) {
		struct stress_client *cl = &l->c[i];
		uint32_t kept_from = cl->sent;

		if (!cl->seen)
			continue;
		for (idx = 0; idx < cl->sent; idx++) {
			if (cl->seen[idx] && kept_from == cl->sent)
				kept_from = idx;
			if (!cl->seen[idx] && idx < cl->must)
				stress_check_note(res, &res->missing,
						  "client %u: seq %u missing (%u must be stored)",
						  cl->tag, cl->seq0 + idx,
						  cl->must);
			else if (cl->seen[idx] && idx >= cl->must)
				res->extra++;
			if (suffix && !cl->seen[idx] && idx > kept_from)
				stress_check_note(res, &res->holes,
						  "client %u: seq %u evicted, older seq %u kept",
						  cl->tag, cl->seq0 + idx,
						  cl->seq0 + kept_from);
		}
	}
	return 0;
}

/* Nothing wrong found (missing only counts where frames must be there). */
static inline int stress_check_clean(const struct stress_check *res)
{
	return !res->foreign && !res->corrupt && !res->dup && !res->unsent &&
	       !res->missing && !res->misorder && !res->holes;
}

/* ---- counters, gauges, settings ---- */

#define STRESS_CTR(st, attr) \
	((st)->counters[(attr) - EVS_STATS_A_FIRST_COUNTER])
#define STRESS_GAUGE(g, attr) ((g)->values[(attr) - EVS_GAUGE_A_FIRST])

static inline uint64_t stress_errors(const struct evs_stats *st)
{
	return STRESS_CTR(st, EVS_STATS_A_ERR_MAGIC) +
	       STRESS_CTR(st, EVS_STATS_A_ERR_VERSION) +
	       STRESS_CTR(st, EVS_STATS_A_ERR_RESERVED) +
	       STRESS_CTR(st, EVS_STATS_A_ERR_LENGTH) +
	       STRESS_CTR(st, EVS_STATS_A_ERR_PRIORITY);
}

/*
 * Polls the gauges until no connection is open and no event is in
 * flight: the server has finished with every client.  0, -ETIMEDOUT
 * (@g holds the last sample), or the error of the request.
 */
static inline int stress_wait_idle(struct evs_nl *nl, struct evs_gauges *g,
				   int ms)
{
	uint64_t end = stress_now_ms() + ms;
	int err;

	for (;;) {
		err = evs_test_get_gauges(nl, g);
		if (err)
			return err;
		if (!STRESS_GAUGE(g, EVS_GAUGE_A_CONNS) &&
		    !STRESS_GAUGE(g, EVS_GAUGE_A_INFLIGHT))
			return 0;
		if (stress_now_ms() > end)
			return -ETIMEDOUT;
		stress_sleep_us(20000);
	}
}

/* One CONFIG_SET of several settings: @attrs[i] = @vals[i]. */
static inline int stress_config_many(struct evs_nl *nl, const int *attrs,
				     const uint64_t *vals, unsigned int n)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	unsigned int i;

	nlh = evs_nl_req(nl, buf, EVS_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
	for (i = 0; i < n; i++) {
		if (attrs[i] == EVS_CFG_A_PRESSURE)
			mnl_attr_put_u8(nlh, attrs[i], vals[i]);
		else if (attrs[i] == EVS_CFG_A_STORE_LIMIT)
			mnl_attr_put_u64(nlh, attrs[i], vals[i]);
		else
			mnl_attr_put_u32(nlh, attrs[i], vals[i]);
	}
	mnl_attr_nest_end(nlh, nest);
	return evs_nl_talk(nl, nlh, NULL, NULL);
}

static inline int stress_config_get_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1], *cfg[EVS_CFG_A_MAX + 1];
	uint64_t *vals = data;
	unsigned int i;

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) || !tb[EVS_A_CONFIG] ||
	    evs_nl_parse_nested(tb[EVS_A_CONFIG], cfg, &evs_nl_cfg_attrs))
		return MNL_CB_ERROR;
	for (i = EVS_CFG_A_MAX_PAYLOAD; i <= EVS_CFG_A_MAX; i++) {
		uint8_t v8;
		uint32_t v32;

		if (!cfg[i])
			continue;
		if (i == EVS_CFG_A_PRESSURE && !evs_nl_get_u8(cfg[i], &v8))
			vals[i] = v8;
		else if (i == EVS_CFG_A_STORE_LIMIT)
			evs_nl_get_u64(cfg[i], &vals[i]);
		else if (!evs_nl_get_u32(cfg[i], &v32))
			vals[i] = v32;
	}
	return MNL_CB_OK;
}

/* CONFIG_GET into @vals, indexed by EVS_CFG_A_*. */
static inline int stress_config_get(struct evs_nl *nl,
				    uint64_t vals[EVS_CFG_A_MAX + 1])
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;

	memset(vals, 0xff, sizeof(uint64_t) * (EVS_CFG_A_MAX + 1));
	return evs_nl_talk(nl, evs_nl_req(nl, buf, EVS_CMD_CONFIG_GET, 0),
			   stress_config_get_cb, vals);
}

/* One connection as CONN_GET shows it. */
struct stress_conn_info {
	uint64_t id;
	uint16_t port;		/* the client's port */
	uint8_t paused;
	uint32_t acked;		/* seq of the last ACK */
	uint32_t inflight;	/* accepted, not yet acked */
	uint64_t events;
};

#define STRESS_MAX_CONNS 64

struct stress_conns {
	struct stress_conn_info c[STRESS_MAX_CONNS];
	unsigned int n;
};

static inline int stress_conns_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct stress_conns *cs = data;
	struct stress_conn_info *ci = &cs->c[cs->n];

	if (cs->n == STRESS_MAX_CONNS)
		return MNL_CB_OK;
	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) ||
	    evs_nl_get_u64(tb[EVS_A_CONN_ID], &ci->id) ||
	    evs_nl_get_u16(tb[EVS_A_PORT], &ci->port) ||
	    evs_nl_get_u8(tb[EVS_A_CONN_PAUSED], &ci->paused) ||
	    evs_nl_get_u32(tb[EVS_A_CONN_ACKED], &ci->acked) ||
	    evs_nl_get_u32(tb[EVS_A_CONN_INFLIGHT], &ci->inflight) ||
	    evs_nl_get_u64(tb[EVS_A_CONN_EVENTS], &ci->events)) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	cs->n++;
	return MNL_CB_OK;
}

/* The namespace's connections (CONN_GET dump), the first 64 of them. */
static inline int stress_get_conns(struct evs_nl *nl, struct stress_conns *cs)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	int err, tries = 0;

	do {
		cs->n = 0;
		err = evs_nl_talk(nl, evs_nl_req(nl, buf, EVS_CMD_CONN_GET,
						 NLM_F_DUMP),
				  stress_conns_cb, cs);
		/* Interrupted: the list changed under the dump, again. */
	} while (err == -EINTR && ++tries < 10);
	return err;
}

/* The entry of the connection from client port @port, or NULL. */
static inline const struct stress_conn_info *
stress_find_conn(const struct stress_conns *cs, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < cs->n; i++)
		if (cs->c[i].port == port)
			return &cs->c[i];
	return NULL;
}

/* The local port of a connected socket, 0 on error. */
static inline uint16_t stress_local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		return 0;
	return ntohs(sin.sin_port);
}

/*
 * RTM_NEWNSID: gives the network namespace of process @pid the id @nsid
 * in ours.  RTM_GETNSID (@pid 0): is there a live namespace of id @nsid?
 * 0, or -errno: -ENOENT when there is none, or when its destruction has
 * begun.  An id holds no reference on its namespace, so watching it
 * cannot keep the namespace alive.
 */
static inline int stress_nsid(uint16_t type, int32_t nsid, pid_t pid)
{
	char buf[8192] EVS_NL_ALIGNED;
	struct mnl_socket *sock;
	struct nlmsghdr *nlh;
	struct rtgenmsg *rt;
	unsigned int portid;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_NSID, (uint32_t)nsid);
	if (pid)
		mnl_attr_put_u32(nlh, NETNSA_PID, pid);
	sock = mnl_socket_open(NETLINK_ROUTE);
	if (!sock)
		return -errno;
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(sock);
	do {
		ret = mnl_socket_recvfrom(sock, buf, sizeof(buf));
		if (ret > 0)
			ret = mnl_cb_run(buf, ret, 1, portid, NULL, NULL);
	} while (ret > 0);
	ret = ret < 0 ? -errno : 0;
out:
	mnl_socket_close(sock);
	return ret;
}

/* Objects in use of slab cache @name (/proc/slabinfo), or -errno. */
static inline long stress_slab_objects(const char *name)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512], cache[128];
	long active = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		long n;

		if (sscanf(line, "%127s %ld", cache, &n) == 2 &&
		    !strcmp(cache, name)) {
			active = n;
			break;
		}
	}
	fclose(f);
	return active;
}

#endif /* _EVS_STRESS_UTIL_H */
