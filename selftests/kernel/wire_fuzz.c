// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzer of the evstream wire protocol, run in the test VM for a bounded
 * time (EVS_FUZZ_SECS or --seconds, default 20; the seed from
 * EVS_FUZZ_SEED or --seed, printed either way).
 *
 * Up to WF_SLOTS connections at a time, over IPv4 and IPv6, reconnecting
 * as they end, send streams of good frames (any size up to the payload
 * limit, any topic, priorities 0, 1, 2 and 255, ACK_REQ or not) mixed
 * with mutated ones (bits flipped in headers, bad magic, version,
 * reserved bits, length, priority, lengths over the limit, garbage), cut
 * into writes of 1 byte to 64 KiB.  Each connection ends one way:
 *
 *  ack	  its last frame asks for an ACK; it closes once the ACK covers
 *	  it, sometimes after writing part of one more frame;
 *  shut  shutdown(SHUT_WR), sometimes mid-frame, then reads to EOF;
 *  error a bad header, sometimes with bytes after it: reads the ACK owed
 *	  and the ERROR frame, then EOF;
 *  close close() once everything is written, sometimes mid-frame or right
 *	  after a bad header; such a connection never asks for an ACK, so
 *	  the server never writes to it and the close is an orderly FIN:
 *	  the server gets every byte, and what it makes of them is known
 *	  once it has closed its side too;
 *  reset SO_LINGER 0 and close(), at any point: the only ending whose
 *	  outcome the client cannot know, since a reset throws away what
 *	  was written but not yet sent.
 *
 * The client models the server's parser (docs/protocol.md) over the
 * bytes it wrote, so it knows which frames are good and come before the
 * first bad header.  Every client seq carries the connection (high 16
 * bits) and the frame (low 16), and every payload a pattern of seq and
 * topic.  The pass condition is counters that add up, per round:
 *
 *  - each connection of known outcome has exactly its good frames
 *    stored (none lost, nothing after a bad header, no duplicate), with
 *    their payloads, topics, priorities, in order within a priority;
 *    a reset connection has a prefix of them, at least what was acked;
 *  - ACKs only cover frames written, and the last one covers every
 *    ACK_REQ frame stored; the ERROR reason and seq name the first bad
 *    header; nothing follows an ERROR but the close;
 *  - frames = stored = events read = store_events, bytes = payload read,
 *    enqueued = processed per priority = events read per priority =
 *    latency samples, nothing evicted or rejected, every connection
 *    accepted closed;
 *  - err_* by kind and truncated equal the connections that sent a bad
 *    header of that kind, or ended inside a frame the server got part
 *    of; reset connections may or may not count (their bytes may never
 *    have left the client), so for them only the bounds are checked.
 *
 * Each round runs in a network namespace of its own, with settings drawn
 * at random (payload limit, pool limit, ring size, batch, ACK delay,
 * routes) and a store limit high enough that nothing is evicted, then is
 * checked and thrown away with its namespace, which also bounds the
 * memory the stores hold.
 */
#include "fuzz_util.h"
#include "kselftest_harness.h"

#define WF_SLOTS	16
/* Frames a connection plans at most: the low 16 bits of its seqs. */
#define WF_MAX_FRAMES	4000
/* Stream bytes a connection plans at most (one large frame may pass it). */
#define WF_STREAM_MAX	(512 << 10)
/* Slab memory the stored events of one round may take, roughly. */
#define WF_ROUND_COST	(64ULL << 20)
/* ms a connection may go without progress: the server is stuck. */
#define WF_STUCK_MS	30000
/* ms for the server to close every connection once the clients are done. */
#define WF_QUIESCE_MS	30000
#define WF_TOPICS	14
/* Connection ids of a fresh namespace run from 1: an array covers them. */
#define WF_MAX_IDS	(0x10000 + 64)
#define WF_ROUTES	3

static struct fz_opts wf_opts;

enum wf_end {
	WF_END_ACK,
	WF_END_SHUT,
	WF_END_CLOSE,
	WF_END_RESET,
	WF_END_NR,
};

static const char *const wf_end_name[WF_END_NR] = {
	"ack", "shut", "close", "reset",
};

/* docs/protocol.md: the ERROR payload for each kind, in check order. */
static const char *const wf_reason[] = {
	[EVS_ERR_MAGIC] = "bad magic",
	[EVS_ERR_VERSION] = "unsupported version",
	[EVS_ERR_RESERVED] = "reserved bits set",
	[EVS_ERR_LENGTH] = "payload length over limit",
	[EVS_ERR_PRIORITY] = "unknown priority",
};

#define WF_NKINDS (EVS_ERR_PRIORITY + 1)

/* A good frame the client wrote (or planned). */
struct wf_frame {
	uint32_t end;		/* stream offset just past it */
	uint32_t len;
	uint16_t topic;
	uint8_t prio;		/* as in the header: 0, 1, 2 or 255 */
	uint8_t ackreq:1;
	uint8_t seen:1;		/* read back from the store */
};

enum wf_state {
	WF_WRITING,
	WF_WAIT_ACK,		/* ack ending: for the last frame's ACK */
	WF_TAIL,		/* ack ending: writing the cut frame after it */
	WF_WAIT_EOF,		/* shut or error: reading to the end */
	WF_DONE,
};

struct wf_conn {
	int fd;
	uint32_t uid;		/* high 16 bits of its seqs */
	enum wf_end end;
	enum wf_state state;
	int family;
	bool shut;		/* error ending: SHUT_WR after writing */
	unsigned char *buf;	/* the planned stream, freed once done */
	size_t len;		/* bytes to write before the ending */
	size_t tail_len;	/* ack ending: a cut frame after the ACK */
	size_t sent;
	size_t reset_at;
	struct wf_frame *fr;
	uint32_t nfr, cap;
	uint32_t first_ackreq;	/* index of the first ACK_REQ frame */
	/* The first bad header, if the stream has one. */
	bool bad;
	uint8_t bad_kind;
	uint32_t bad_seq;
	size_t bad_end;
	/* What came back. */
	unsigned char rx[256];
	size_t rx_len;
	bool any_ack, got_error, eof, rst, peer_closed;
	bool urgent;		/* sent its one MSG_OOB byte */
	uint32_t ack_idx;	/* frame index the highest ACK covers */
	unsigned int nacks;
	uint64_t last_ms;
	/* Verdict. */
	bool known;		/* the outcome is known exactly */
	size_t got;		/* bytes the server may have: all of them if known */
	uint64_t conn_id;
	bool have_id;
	int ord_topic;
	int ord_last[EVS_PRIO_NR];
	uint32_t nseen;
};

/* What the monitor group said about a connection that closed. */
struct wf_close {
	uint64_t id, events;
	uint8_t reason;
};

/* Everything about one round. */
struct wf_round {
	unsigned int no;
	struct fz_rng *rng;
	struct fz_log *log;
	struct evs_nl nl;
	/* The monitor group: each closed connection's accepted events. */
	struct evs_nl mon;
	bool mon_ok;
	unsigned long ntf_lost;
	struct wf_close *closes;
	uint32_t ncloses, closes_cap;
	uint8_t *err_by_id;		/* NTF_PROTO_ERROR kind, by conn id */
	uint32_t *stored_by_id;		/* events read back, by conn id */
	uint16_t port4, port6;
	uint32_t max_payload;
	uint16_t topics[WF_TOPICS];
	int route[WF_ROUTES][2];	/* topic, prio */
	uint64_t topic_used[65536 / 64];
	struct wf_conn **conns;		/* by uid - 1 */
	uint32_t nconns, cap;
	uint64_t cost;
	/* What the counters must say. */
	uint64_t connects, acks_read;
	uint64_t err_min[WF_NKINDS], err_max[WF_NKINDS];
	uint64_t trunc_min, trunc_max;
	/* What was read back. */
	uint64_t events, bytes, by_prio[EVS_PRIO_NR];
	unsigned int ends[WF_END_NR], bads, cuts, urgents;
	uint64_t frames_planned;
};

/* ---- the model of the server's header check (docs/protocol.md) ---- */

static uint8_t wf_check(const unsigned char *h, uint32_t max_payload)
{
	struct evs_wire_hdr w;
	uint32_t len;

	memcpy(&w, h, sizeof(w));
	if (ntohs(w.magic) != EVS_WIRE_MAGIC)
		return EVS_ERR_MAGIC;
	if (w.version != EVS_WIRE_VERSION)
		return EVS_ERR_VERSION;
	if ((w.flags & ~EVS_WIRE_F_ACK_REQ) || w.reserved)
		return EVS_ERR_RESERVED;
	len = ntohl(w.length);
	if (len > max_payload || len > EVS_WIRE_PAYLOAD_CAP)
		return EVS_ERR_LENGTH;
	if (w.priority > EVS_PRIO_BATCH && w.priority != EVS_PRIO_AUTO)
		return EVS_ERR_PRIORITY;
	return EVS_ERR_NONE;
}

static void wf_hdr(unsigned char *h, uint8_t flags, uint32_t len,
		   uint16_t topic, uint8_t prio, uint32_t seq)
{
	struct evs_wire_hdr w = {
		.magic = htons(EVS_WIRE_MAGIC), .version = EVS_WIRE_VERSION,
		.flags = flags, .length = htonl(len), .topic = htons(topic),
		.priority = prio, .seq = htonl(seq),
	};

	memcpy(h, &w, sizeof(w));
}

/* The payload every good frame carries: a function of seq and topic. */
static void wf_payload(unsigned char *p, uint32_t seq, uint16_t topic,
		       uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seq * 31 + topic + i);
}

/* Slab bytes one stored event of @len costs, roughly, debug included. */
static uint64_t wf_cost(uint32_t len)
{
	if (len <= 256)
		return 256 + 256;
	if (len <= 1024)
		return 1024 + 256;
	if (len <= 4096)
		return 8192;
	return 128 << 10;
}

/* ---- planning a connection's stream ---- */

static bool wf_grow(struct wf_conn *c, size_t need)
{
	size_t cap = need + (need >> 1) + 4096;
	unsigned char *p;

	if (need <= c->cap)
		return true;
	p = realloc(c->buf, cap);
	if (!p)
		return false;
	c->buf = p;
	c->cap = cap;
	return true;
}

static uint32_t wf_seq(const struct wf_conn *c, uint32_t idx)
{
	return c->uid << 16 | idx;
}

static uint16_t wf_topic(struct wf_round *rd)
{
	if (fz_chance(rd->rng, 95))
		return rd->topics[fz_below(rd->rng, WF_TOPICS)];
	return fz_rand(rd->rng);
}

static uint8_t wf_prio(struct fz_rng *r)
{
	return fz_chance(r, 20) ? EVS_PRIO_AUTO : fz_below(r, EVS_PRIO_NR);
}

/* Flips one to three bits of a header, never in seq (bytes 12..15). */
static void wf_flip(struct fz_rng *r, unsigned char *h)
{
	unsigned int i, n = fz_range(r, 1, 3);

	for (i = 0; i < n; i++)
		h[fz_below(r, 12)] ^= 1 << fz_below(r, 8);
}

/* A header that is bad in a way chosen at random; seq is @seq. */
static void wf_bad_hdr(struct wf_round *rd, unsigned char *h, uint32_t seq)
{
	struct fz_rng *r = rd->rng;
	struct evs_wire_hdr w;
	uint32_t len;

	wf_hdr(h, fz_chance(r, 50) ? EVS_WIRE_F_ACK_REQ : 0,
	       fz_below(r, 64), wf_topic(rd), wf_prio(r), seq);
	memcpy(&w, h, sizeof(w));
	switch (fz_below(r, 8)) {
	case 0:
		w.magic = htons(EVS_WIRE_MAGIC ^ (1 + fz_below(r, 0xffff)));
		break;
	case 1:
		w.version = fz_chance(r, 50) ? 0 : EVS_WIRE_VERSION + 1 +
						   fz_below(r, 254);
		break;
	case 2:
		w.flags |= 1 << fz_range(r, 1, 7);
		break;
	case 3:
		w.reserved = fz_range(r, 1, 255);
		break;
	case 4:
		len = fz_chance(r, 40) ? rd->max_payload + 1 :
		      fz_chance(r, 50) ? EVS_WIRE_PAYLOAD_CAP + 1 :
		      fz_range(r, (uint64_t)rd->max_payload + 1, UINT32_MAX);
		w.length = htonl(len);
		break;
	case 5:
		w.priority = fz_range(r, EVS_PRIO_NR, EVS_PRIO_AUTO - 1);
		break;
	case 6:
		/* Garbage, seq included. */
		fz_fill(r, &w, sizeof(w));
		break;
	default:
		memcpy(h, &w, sizeof(w));
		do {
			wf_flip(r, h);
		} while (!wf_check(h, rd->max_payload));
		return;
	}
	memcpy(h, &w, sizeof(w));
	/* Garbage may happen to be a good header: make it bad. */
	if (!wf_check(h, rd->max_payload))
		h[0] ^= 0x80;
}

/* The size profile of one connection: most frames small, some not. */
static uint32_t wf_len(struct fz_rng *r, uint32_t max, unsigned int profile)
{
	static const uint32_t caps[] = { 16, 256, 4096, 1 << 30 };
	uint32_t cap = caps[profile];

	return fz_size(r, max < cap ? max : cap);
}

static bool wf_add_frame(struct wf_conn *c, const struct wf_frame *f)
{
	if (c->nfr % 256 == 0) {
		struct wf_frame *p = realloc(c->fr, (c->nfr + 256) * sizeof(*p));

		if (!p)
			return false;
		c->fr = p;
	}
	c->fr[c->nfr++] = *f;
	return true;
}

/*
 * Plans the stream of @c: good frames, then maybe a bad header and bytes
 * after it, or a frame cut short.  Returns false when out of memory.
 */
static bool wf_plan(struct wf_round *rd, struct wf_conn *c)
{
	struct fz_rng *r = rd->rng;
	unsigned int profile = fz_below(r, 4), ackpct;
	bool cut, mutated_bad = false;
	uint32_t n, i;
	size_t off = 0;

	c->end = fz_below(r, WF_END_NR);
	c->bad = fz_chance(r, 25) && c->end != WF_END_ACK;
	/* An ending with close() must never leave an ACK unread. */
	ackpct = c->end == WF_END_CLOSE ? 0 :
		 ((unsigned int[]){ 0, 5, 30, 100 })[fz_below(r, 4)];
	n = fz_chance(r, 50) ? fz_below(r, 8) :
	    fz_chance(r, 70) ? fz_below(r, 200) : fz_below(r, WF_MAX_FRAMES);
	if (c->end == WF_END_ACK && !n)
		n = 1;

	for (i = 0; i < n && off < WF_STREAM_MAX; i++) {
		struct wf_frame f = {
			.topic = wf_topic(rd), .prio = wf_prio(r),
			.ackreq = fz_chance(r, ackpct),
		};
		unsigned char *h;
		struct evs_wire_hdr w;
		uint8_t kind;

		f.len = wf_len(r, rd->max_payload, profile);
		if (!wf_grow(c, off + EVS_WIRE_HDR_LEN))
			return false;
		h = c->buf + off;
		wf_hdr(h, f.ackreq ? EVS_WIRE_F_ACK_REQ : 0, f.len, f.topic,
		       f.prio, wf_seq(c, i));
		/* A mutated header: still good, or the first bad one. */
		if (fz_chance(r, 3)) {
			wf_flip(r, h);
			if (c->end == WF_END_CLOSE)
				h[3] &= ~EVS_WIRE_F_ACK_REQ;
			kind = wf_check(h, rd->max_payload);
			if (kind) {
				c->bad = true;
				mutated_bad = true;
				break;
			}
			memcpy(&w, h, sizeof(w));
			f.len = ntohl(w.length);
			f.topic = ntohs(w.topic);
			f.prio = w.priority;
			f.ackreq = w.flags & EVS_WIRE_F_ACK_REQ;
		}
		if (!wf_grow(c, off + EVS_WIRE_HDR_LEN + f.len))
			return false;
		h = c->buf + off;
		wf_payload(h + EVS_WIRE_HDR_LEN, wf_seq(c, i), f.topic, f.len);
		off += EVS_WIRE_HDR_LEN + f.len;
		f.end = off;
		if (!wf_add_frame(c, &f))
			return false;
		rd->topic_used[f.topic / 64] |= 1ULL << (f.topic % 64);
		rd->cost += wf_cost(f.len);
	}
	rd->frames_planned += c->nfr;
	c->first_ackreq = UINT32_MAX;
	for (i = 0; i < c->nfr && c->first_ackreq == UINT32_MAX; i++)
		if (c->fr[i].ackreq)
			c->first_ackreq = i;
	/* An ack ending wants its last frame acked: it asks for that. */
	if (c->end == WF_END_ACK && c->nfr && !mutated_bad) {
		struct wf_frame *f = &c->fr[c->nfr - 1];

		c->buf[f->end - f->len - EVS_WIRE_HDR_LEN + 3] |= EVS_WIRE_F_ACK_REQ;
		f->ackreq = 1;
		if (c->first_ackreq == UINT32_MAX)
			c->first_ackreq = c->nfr - 1;
	}
	/* A header gone bad by mutation: the client reads to the end then. */
	if (c->end == WF_END_ACK && mutated_bad)
		c->end = WF_END_SHUT;

	if (c->bad) {
		/* The mutated header is in place already, or make one. */
		if (!wf_grow(c, off + EVS_WIRE_HDR_LEN + 4096))
			return false;
		if (!mutated_bad)
			wf_bad_hdr(rd, c->buf + off, wf_seq(c, c->nfr));
		c->bad_kind = wf_check(c->buf + off, rd->max_payload);
		c->bad_seq = ntohl(((struct evs_wire_hdr *)(c->buf + off))->seq);
		off += EVS_WIRE_HDR_LEN;
		c->bad_end = off;
		/* Never read by the server: garbage or more frames. */
		if (fz_chance(r, 50)) {
			size_t extra = fz_range(r, 1, 4096);

			fz_fill(r, c->buf + off, extra);
			off += extra;
		}
		c->shut = fz_chance(r, 50);
		c->len = off;
		rd->bads++;
	} else {
		c->len = off;
		cut = (c->end == WF_END_SHUT || c->end == WF_END_CLOSE) &&
		      fz_chance(r, 35);
		if (cut || (c->end == WF_END_ACK && fz_chance(r, 25))) {
			uint32_t len = wf_len(r, rd->max_payload, profile);
			size_t part = fz_range(r, 1, EVS_WIRE_HDR_LEN + len - 1);

			if (!wf_grow(c, off + EVS_WIRE_HDR_LEN + len))
				return false;
			wf_hdr(c->buf + off, 0, len, wf_topic(rd), wf_prio(r),
			       wf_seq(c, c->nfr));
			wf_payload(c->buf + off + EVS_WIRE_HDR_LEN,
				   wf_seq(c, c->nfr), 0, len);
			if (c->end == WF_END_ACK)
				c->tail_len = part;
			else
				c->len += part;
			rd->cuts++;
		}
	}
	c->reset_at = fz_chance(r, 30) ? c->len : fz_range(r, 0, c->len);
	return true;
}

/* ---- running a connection ---- */

static int wf_connect(struct wf_round *rd, struct wf_conn *c)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(rd->port6),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(rd->port4),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd;

	c->family = fz_chance(rd->rng, 50) ? AF_INET6 : AF_INET;
	fd = socket(c->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c->family == AF_INET6 ?
	    connect(fd, (struct sockaddr *)&s6, sizeof(s6)) :
	    connect(fd, (struct sockaddr *)&s4, sizeof(s4))) {
		int err = -errno;

		close(fd);
		return err;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void wf_close(struct wf_conn *c, bool reset)
{
	if (reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(c->fd);
	c->fd = -1;
	c->state = WF_DONE;
	free(c->buf);
	c->buf = NULL;
}

/* The index of the last complete good frame within @bytes, plus one. */
static uint32_t wf_complete(const struct wf_conn *c, size_t bytes)
{
	uint32_t lo = 0, hi = c->nfr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (c->fr[mid].end <= bytes)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Checks and takes in the frames the server sent; false: stop reading. */
static bool wf_parse_rx(struct wf_round *rd, struct wf_conn *c)
{
	while (c->rx_len >= EVS_WIRE_HDR_LEN) {
		struct evs_frame f;
		size_t whole;
		uint32_t idx;

		evs_frame_decode(c->rx, &f);
		whole = EVS_WIRE_HDR_LEN + f.length;
		if (c->got_error) {
			fz_fail(rd->log, "uid %u: bytes after the ERROR frame",
				c->uid);
			return false;
		}
		if (f.magic != EVS_WIRE_MAGIC || f.version != EVS_WIRE_VERSION ||
		    f.topic || f.priority || f.reserved ||
		    (f.flags != EVS_WIRE_F_ACK && f.flags != EVS_WIRE_F_ERROR) ||
		    f.length > 64 || (f.flags == EVS_WIRE_F_ACK && f.length)) {
			fz_fail(rd->log, "uid %u: server sent a bad frame (flags %#x length %u)",
				c->uid, f.flags, f.length);
			return false;
		}
		if (c->rx_len < whole)
			return true;
		if (f.flags == EVS_WIRE_F_ACK) {
			idx = f.seq & 0xffff;
			c->nacks++;
			rd->acks_read++;
			if (f.seq >> 16 != c->uid || idx >= c->nfr ||
			    c->fr[idx].end > c->sent ||
			    (c->bad && c->fr[idx].end > c->bad_end))
				fz_fail(rd->log, "uid %u: ACK %#x for no good frame written (%zu bytes sent)",
					c->uid, f.seq, c->sent);
			else if (idx < c->first_ackreq)
				fz_fail(rd->log, "uid %u: ACK %#x and no ACK_REQ frame up to it",
					c->uid, f.seq);
			else if (c->any_ack && idx < c->ack_idx)
				fz_fail(rd->log, "uid %u: ACK %#x after ACK of frame %u",
					c->uid, f.seq, c->ack_idx);
			else
				c->ack_idx = idx;
			c->any_ack = true;
		} else {
			char text[72];

			memcpy(text, c->rx + EVS_WIRE_HDR_LEN, f.length);
			text[f.length] = 0;
			c->got_error = true;
			if (!c->bad || c->sent < c->bad_end)
				fz_fail(rd->log, "uid %u: ERROR \"%s\" and no bad header was sent",
					c->uid, text);
			else if (strcmp(text, wf_reason[c->bad_kind]) ||
				 f.seq != c->bad_seq)
				fz_fail(rd->log, "uid %u: ERROR \"%s\" seq %#x, expected \"%s\" seq %#x",
					c->uid, text, f.seq,
					wf_reason[c->bad_kind], c->bad_seq);
		}
		memmove(c->rx, c->rx + whole, c->rx_len - whole);
		c->rx_len -= whole;
	}
	return true;
}

static void wf_read(struct wf_round *rd, struct wf_conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->rx + c->rx_len,
				 sizeof(c->rx) - c->rx_len, 0);

		if (n > 0) {
			c->rx_len += n;
			c->last_ms = evs_test_now_ms();
			if (!wf_parse_rx(rd, c)) {
				c->eof = true;
				return;
			}
			continue;
		}
		if (n == 0) {
			c->eof = true;
			c->last_ms = evs_test_now_ms();
		} else if (errno == ECONNRESET || errno == EPIPE) {
			/* The server closed with our bytes unread: after an ERROR. */
			c->rst = true;
			c->eof = true;
		} else if (errno != EAGAIN && errno != EINTR) {
			fz_fail(rd->log, "uid %u: recv: %s", c->uid,
				strerror(errno));
			c->eof = true;
		}
		return;
	}
}

/* A write size: single bytes, segments, and up to 64 KiB. */
static size_t wf_chunk(struct fz_rng *r)
{
	switch (fz_below(r, 4)) {
	case 0:
		return fz_range(r, 1, 16);
	case 1:
		return fz_range(r, 17, 1500);
	default:
		return fz_range(r, 1, 65536);
	}
}

/* Writes toward @target; false when the server closed on us. */
static bool wf_write(struct wf_round *rd, struct wf_conn *c, size_t target)
{
	while (c->sent < target) {
		size_t n = wf_chunk(rd->rng);
		ssize_t w;

		if (n > target - c->sent)
			n = target - c->sent;
		/*
		 * Now and then one urgent byte, no part of the stream (no
		 * SO_OOBINLINE): the server must leave it out.  One only:
		 * TCP has one urgent mark, and a second would turn the first
		 * byte into stream data.
		 */
		if (!c->urgent && fz_chance(rd->rng, 3) &&
		    send(c->fd, "!", 1, MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL) == 1) {
			c->urgent = true;
			rd->urgents++;
		}
		w = send(c->fd, c->buf + c->sent, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (w < 0) {
			c->peer_closed = true;
			if (!c->bad || c->sent < c->bad_end)
				fz_fail(rd->log, "uid %u (%s): send: %s after %zu of %zu bytes, no bad header",
					c->uid, wf_end_name[c->end],
					strerror(errno), c->sent, target);
			return false;
		}
		c->sent += w;
		c->last_ms = evs_test_now_ms();
	}
	return true;
}

/*
 * The connection is over: works out what the server must have made of
 * it and adds that to the round's expectations.
 */
static void wf_finish(struct wf_round *rd, struct wf_conn *c, bool reset)
{
	uint32_t good;
	size_t last;

	if (c->fd >= 0)
		wf_close(c, reset);
	rd->ends[c->end]++;
	c->got = c->sent;
	c->known = !reset;
	if (reset) {
		/* Any prefix of what was written may have reached the server. */
		if (c->sent)
			rd->trunc_max++;
		if (c->bad && c->sent >= c->bad_end)
			rd->err_max[c->bad_kind]++;
		return;
	}
	if (c->bad && c->got >= c->bad_end) {
		rd->err_min[c->bad_kind]++;
		rd->err_max[c->bad_kind]++;
		return;
	}
	good = wf_complete(c, c->got);
	last = good ? c->fr[good - 1].end : 0;
	if (c->got > last) {
		rd->trunc_min++;
		rd->trunc_max++;
	}
}

/* Checks that the ACKs read cover every ACK_REQ frame stored. */
static void wf_check_owed(struct wf_round *rd, struct wf_conn *c)
{
	uint32_t good = wf_complete(c, c->bad ? c->bad_end : c->sent), i;

	for (i = good; i > 0; i--) {
		if (!c->fr[i - 1].ackreq)
			continue;
		if (!c->any_ack || c->ack_idx < i - 1)
			fz_fail(rd->log, "uid %u (%s%s): %u ACKs, last for frame %d, owed for frame %u of %u; %zu of %zu bytes sent",
				c->uid, wf_end_name[c->end],
				c->bad ? ", bad header" : "", c->nacks,
				c->any_ack ? (int)c->ack_idx : -1, i - 1,
				c->nfr, c->sent, c->len);
		return;
	}
}

/* Moves a connection on; true when its state changed (go again). */
static bool wf_advance(struct wf_round *rd, struct wf_conn *c)
{
	enum wf_state was = c->state;

	switch (c->state) {
	case WF_WRITING:
		if (c->end == WF_END_RESET) {
			if (!c->eof)
				wf_write(rd, c, c->reset_at);
			if (c->sent >= c->reset_at || c->eof || c->peer_closed)
				wf_finish(rd, c, true);
			break;
		}
		if (c->eof && !c->bad) {
			fz_fail(rd->log, "uid %u (%s): server closed after %zu of %zu bytes",
				c->uid, wf_end_name[c->end], c->sent, c->len);
			wf_finish(rd, c, true);
			break;
		}
		if (!wf_write(rd, c, c->len) || c->eof) {
			/* Closed after a bad header: what it sent is all it read. */
			c->state = WF_WAIT_EOF;
			break;
		}
		if (c->sent < c->len)
			break;
		if (c->end == WF_END_CLOSE) {
			wf_finish(rd, c, false);
		} else if (c->end == WF_END_ACK) {
			c->state = WF_WAIT_ACK;
		} else {
			/* After a bad header the server may be gone already. */
			if ((c->end == WF_END_SHUT || c->shut) &&
			    shutdown(c->fd, SHUT_WR) && (!c->bad || errno != ENOTCONN))
				fz_fail(rd->log, "uid %u: shutdown: %s",
					c->uid, strerror(errno));
			c->state = WF_WAIT_EOF;
		}
		break;
	case WF_WAIT_ACK:
		if (c->any_ack && c->ack_idx == c->nfr - 1) {
			c->len += c->tail_len;
			c->state = WF_TAIL;
		} else if (c->eof) {
			fz_fail(rd->log, "uid %u: EOF while waiting for the ACK of frame %u (got %s%u)",
				c->uid, c->nfr - 1, c->any_ack ? "" : "none, ",
				c->ack_idx);
			wf_finish(rd, c, true);
		}
		break;
	case WF_TAIL:
		if (!wf_write(rd, c, c->len)) {
			wf_finish(rd, c, true);
		} else if (c->sent == c->len) {
			wf_check_owed(rd, c);
			wf_finish(rd, c, false);
		}
		break;
	case WF_WAIT_EOF:
		if (!c->eof)
			break;
		wf_check_owed(rd, c);
		if (c->bad && !c->got_error)
			fz_fail(rd->log, "uid %u: EOF%s without an ERROR frame",
				c->uid, c->rst ? " (reset)" : "");
		/* Only unread bytes after a bad header make the server reset. */
		if (!c->bad && c->rst)
			fz_fail(rd->log, "uid %u (%s): reset by the server",
				c->uid, wf_end_name[c->end]);
		wf_finish(rd, c, false);
		break;
	case WF_DONE:
		break;
	}
	return c->state != was;
}

/* One step of a connection, after poll() said something. */
static void wf_step(struct wf_round *rd, struct wf_conn *c, short revents)
{
	if (revents & (POLLIN | POLLERR | POLLHUP))
		wf_read(rd, c);
	while (wf_advance(rd, c))
		;
	if (c->state != WF_DONE && evs_test_now_ms() - c->last_ms > WF_STUCK_MS) {
		fz_fail(rd->log, "uid %u (%s): stuck %d ms: state %d, sent %zu of %zu, %u ACKs (frame %u of %u)",
			c->uid, wf_end_name[c->end], WF_STUCK_MS, c->state,
			c->sent, c->len, c->nacks, c->ack_idx, c->nfr);
		wf_finish(rd, c, true);
	}
}

static struct wf_conn *wf_new_conn(struct wf_round *rd)
{
	struct wf_conn *c;

	if (rd->nconns >= 0xffff)
		return NULL;
	if (rd->nconns == rd->cap) {
		struct wf_conn **p = realloc(rd->conns,
					     (rd->cap + 256) * sizeof(*p));

		if (!p)
			return NULL;
		rd->conns = p;
		rd->cap += 256;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	rd->conns[rd->nconns++] = c;
	c->uid = rd->nconns;
	c->fd = -1;
	c->ord_topic = -1;
	if (!wf_plan(rd, c)) {
		c->state = WF_DONE;
		c->known = true;
		return NULL;
	}
	c->fd = wf_connect(rd, c);
	if (c->fd < 0) {
		fz_fail(rd->log, "uid %u: connect: %s", c->uid, strerror(-c->fd));
		c->state = WF_DONE;
		c->sent = 0;
		c->known = true;
		return c;
	}
	rd->connects++;
	c->last_ms = evs_test_now_ms();
	c->state = WF_WRITING;
	return c;
}

/* ---- after the round: what the server made of it ---- */

static int wf_event_cb(const struct evs_event *ev, void *data)
{
	struct wf_round *rd = data;
	uint32_t uid = ev->client_seq >> 16, idx = ev->client_seq & 0xffff;
	const unsigned char *p = ev->data;
	const struct wf_frame *f;
	struct wf_conn *c;
	unsigned int i;
	uint8_t want;

	rd->events++;
	rd->bytes += ev->len;
	if (ev->conn < WF_MAX_IDS)
		rd->stored_by_id[ev->conn]++;
	else
		fz_fail(rd->log, "event of connection id %llu, more than were made",
			(unsigned long long)ev->conn);
	if (ev->prio < EVS_PRIO_NR)
		rd->by_prio[ev->prio]++;
	if (!uid || uid > rd->nconns || idx >= rd->conns[uid - 1]->nfr) {
		fz_fail(rd->log, "event topic %u seq %llu: client seq %#x was never sent",
			ev->topic, (unsigned long long)ev->seq, ev->client_seq);
		return 0;
	}
	c = rd->conns[uid - 1];
	f = &c->fr[idx];
	if (f->seen) {
		fz_fail(rd->log, "uid %u frame %u stored twice", uid, idx);
		return 0;
	}
	c->fr[idx].seen = 1;
	c->nseen++;
	if (f->topic != ev->topic || f->len != ev->len)
		fz_fail(rd->log, "uid %u frame %u: topic %u len %u, sent %u len %u",
			uid, idx, ev->topic, ev->len, f->topic, f->len);
	for (i = 0; i < ev->len && i < f->len; i++)
		if (p[i] != (unsigned char)(ev->client_seq * 31 + f->topic + i))
			break;
	if (i < ev->len)
		fz_fail(rd->log, "uid %u frame %u: payload differs at byte %u",
			uid, idx, i);
	if (f->prio != EVS_PRIO_AUTO) {
		want = f->prio;
	} else {
		want = EVS_PRIO_TX;
		for (i = 0; i < WF_ROUTES; i++)
			if (rd->route[i][0] == f->topic)
				want = rd->route[i][1];
	}
	/* Auto traffic goes to batch above the pressure mark. */
	if (ev->prio != want &&
	    !(f->prio == EVS_PRIO_AUTO && ev->prio == EVS_PRIO_BATCH))
		fz_fail(rd->log, "uid %u frame %u: priority %u, expected %u",
			uid, idx, ev->prio, want);
	if (ev->ts_ingest > ev->ts_dequeue || ev->ts_dequeue > ev->ts_done)
		fz_fail(rd->log, "uid %u frame %u: time stamps out of order",
			uid, idx);
	if (!c->have_id) {
		c->conn_id = ev->conn;
		c->have_id = true;
	} else if (c->conn_id != ev->conn) {
		fz_fail(rd->log, "uid %u: events from connections %llu and %llu",
			uid, (unsigned long long)c->conn_id,
			(unsigned long long)ev->conn);
	}
	/* In order within a priority (and a topic: the store's order). */
	if (c->ord_topic != ev->topic) {
		c->ord_topic = ev->topic;
		for (i = 0; i < EVS_PRIO_NR; i++)
			c->ord_last[i] = -1;
	}
	if (ev->prio < EVS_PRIO_NR) {
		if ((int)idx <= c->ord_last[ev->prio])
			fz_fail(rd->log, "uid %u: frame %u stored after frame %d, same priority %u",
				uid, idx, c->ord_last[ev->prio], ev->prio);
		c->ord_last[ev->prio] = idx;
	}
	return 0;
}

static int wf_cmp_id(const void *a, const void *b)
{
	const struct wf_conn *x = *(struct wf_conn * const *)a;
	const struct wf_conn *y = *(struct wf_conn * const *)b;

	return x->conn_id < y->conn_id ? -1 : x->conn_id > y->conn_id;
}

/* Each connection's events against what it sent. */
static void wf_check_conns(struct wf_round *rd)
{
	struct wf_conn **ids = calloc(rd->nconns + 1, sizeof(*ids));
	uint32_t i, k, n = 0;

	for (i = 0; i < rd->nconns; i++) {
		struct wf_conn *c = rd->conns[i];
		uint32_t want, acked;

		if (c->have_id && ids)
			ids[n++] = c;
		want = wf_complete(c, c->bad && c->bad_end < c->got ?
				   c->bad_end : c->got);
		if (c->known) {
			for (k = 0; k < c->nfr; k++) {
				bool should = k < want;

				if (!!c->fr[k].seen == should)
					continue;
				fz_fail(rd->log, "uid %u (%s%s, %zu bytes): frame %u of %u %s",
					c->uid, wf_end_name[c->end],
					c->bad ? ", bad header" : "", c->got,
					k, want, k < want ? "lost" :
					"stored but never complete or after a bad header");
				break;
			}
			continue;
		}
		/* Reset: a prefix, covering at least what was acked. */
		acked = c->any_ack ? c->ack_idx + 1 : 0;
		for (k = 0; k < c->nfr; k++)
			if (!c->fr[k].seen)
				break;
		if (k < acked || k > want || c->nseen != k)
			fz_fail(rd->log, "uid %u (reset after %zu bytes): %u events stored, not the first %u..%u frames",
				c->uid, c->sent, c->nseen, acked, want);
	}
	if (!ids)
		return;
	/* One server connection per client connection. */
	qsort(ids, n, sizeof(*ids), wf_cmp_id);
	for (i = 1; i < n; i++)
		if (ids[i]->conn_id == ids[i - 1]->conn_id)
			fz_fail(rd->log, "uids %u and %u share connection %llu",
				ids[i - 1]->uid, ids[i]->uid,
				(unsigned long long)ids[i]->conn_id);
	free(ids);
}

#define WF_CTR(st, a) ((st)->counters[(a) - EVS_STATS_A_FIRST_COUNTER])
#define WF_GAUGE(g, a) ((g)->values[(a) - EVS_GAUGE_A_FIRST])

static void wf_conn_dump(struct wf_round *rd);

/*
 * Waits until the server closed every connection and has nothing in
 * flight, and every accepted connection is counted closed (the counter
 * moves just after the gauge).  Then gives the stored counter a moment
 * to catch up with frames, which it must: each accepted frame is stored.
 */
static int wf_quiesce(struct wf_round *rd)
{
	uint64_t end = evs_test_now_ms() + WF_QUIESCE_MS;
	struct evs_gauges g;
	struct evs_stats st;
	bool quiet = false;

	for (;;) {
		if (evs_test_get_gauges(&rd->nl, &g) ||
		    evs_test_get_stats(&rd->nl, &st)) {
			fz_fail(rd->log, "GET_STATS: %s", rd->nl.errmsg);
			return -EIO;
		}
		if (!quiet && !WF_GAUGE(&g, EVS_GAUGE_A_CONNS) &&
		    !WF_GAUGE(&g, EVS_GAUGE_A_INFLIGHT) &&
		    WF_CTR(&st, EVS_STATS_A_CONN_CLOSED) ==
		    WF_CTR(&st, EVS_STATS_A_CONN_ACCEPTED)) {
			quiet = true;
			end = evs_test_now_ms() + 2000;
		}
		if (quiet && WF_CTR(&st, EVS_STATS_A_STORED) ==
			     WF_CTR(&st, EVS_STATS_A_FRAMES))
			return 0;
		if (evs_test_now_ms() > end)
			break;
		fz_sleep_ms(20);
	}
	if (quiet)
		return 0;
	fz_fail(rd->log, "round %u: not quiet after %d ms: %llu connections, %llu in flight, %llu paused",
		rd->no, WF_QUIESCE_MS,
		(unsigned long long)WF_GAUGE(&g, EVS_GAUGE_A_CONNS),
		(unsigned long long)WF_GAUGE(&g, EVS_GAUGE_A_INFLIGHT),
		(unsigned long long)WF_GAUGE(&g, EVS_GAUGE_A_PAUSED));
	fz_fail(rd->log, "round %u: accepted %llu closed %llu",
		rd->no,
		(unsigned long long)WF_CTR(&st, EVS_STATS_A_CONN_ACCEPTED),
		(unsigned long long)WF_CTR(&st, EVS_STATS_A_CONN_CLOSED));
	wf_conn_dump(rd);
	return -ETIMEDOUT;
}

static int wf_conn_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct wf_round *rd = data;
	uint64_t id = 0, ev = 0, idle = 0;
	uint32_t infl = 0, acked = 0;
	uint8_t state = 0, paused = 0;

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs))
		return MNL_CB_ERROR;
	evs_nl_get_u64(tb[EVS_A_CONN_ID], &id);
	evs_nl_get_u64(tb[EVS_A_CONN_EVENTS], &ev);
	evs_nl_get_u64(tb[EVS_A_CONN_IDLE_MS], &idle);
	evs_nl_get_u32(tb[EVS_A_CONN_INFLIGHT], &infl);
	evs_nl_get_u32(tb[EVS_A_CONN_ACKED], &acked);
	evs_nl_get_u8(tb[EVS_A_CONN_STATE], &state);
	evs_nl_get_u8(tb[EVS_A_CONN_PAUSED], &paused);
	fz_note(rd->log, "  conn %llu: state %u paused %u events %llu inflight %u acked %#x idle %llu ms",
		(unsigned long long)id, state, paused, (unsigned long long)ev,
		infl, acked, (unsigned long long)idle);
	return MNL_CB_OK;
}

/* What the server still holds, for a failure to show. */
static void wf_conn_dump(struct wf_round *rd)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;

	evs_nl_talk(&rd->nl, evs_nl_req(&rd->nl, buf, EVS_CMD_CONN_GET,
					NLM_F_DUMP),
		    wf_conn_dump_cb, rd);
}

static void wf_expect(struct wf_round *rd, const char *what, uint64_t got,
		      uint64_t min, uint64_t max)
{
	if (got < min || got > max)
		fz_fail(rd->log, "round %u: %s is %llu, expected %llu..%llu",
			rd->no, what, (unsigned long long)got,
			(unsigned long long)min, (unsigned long long)max);
}

/* The counters against the events read and the connections' fates. */
static void wf_check_counters(struct wf_round *rd)
{
	static const char *const err_name[WF_NKINDS] = {
		NULL, "err_magic", "err_version", "err_reserved", "err_length",
		"err_priority",
	};
	struct evs_latency lat;
	struct evs_gauges g;
	struct evs_stats st;
	uint64_t enq = 0, sum;
	unsigned int p, i;

	if (evs_test_get_stats(&rd->nl, &st) ||
	    evs_test_get_gauges(&rd->nl, &g) ||
	    evs_test_get_latency(&rd->nl, &lat)) {
		fz_fail(rd->log, "round %u: GET_STATS failed", rd->no);
		return;
	}
	wf_expect(rd, "frames", WF_CTR(&st, EVS_STATS_A_FRAMES), rd->events,
		  rd->events);
	wf_expect(rd, "stored", WF_CTR(&st, EVS_STATS_A_STORED), rd->events,
		  rd->events);
	wf_expect(rd, "store_events", WF_GAUGE(&g, EVS_GAUGE_A_STORE_EVENTS),
		  rd->events, rd->events);
	wf_expect(rd, "bytes", WF_CTR(&st, EVS_STATS_A_BYTES), rd->bytes,
		  rd->bytes);
	wf_expect(rd, "evicted", WF_CTR(&st, EVS_STATS_A_EVICTED), 0, 0);
	for (p = 0; p < EVS_PRIO_NR; p++) {
		uint64_t done = WF_CTR(&st, EVS_STATS_A_DONE_RT + p);

		enq += WF_CTR(&st, EVS_STATS_A_ENQ_RT + p);
		wf_expect(rd, "enqueued (per priority)",
			  WF_CTR(&st, EVS_STATS_A_ENQ_RT + p), done, done);
		wf_expect(rd, "processed (per priority)", done,
			  rd->by_prio[p], rd->by_prio[p]);
		for (sum = 0, i = 0; i < EVS_LAT_BUCKETS; i++)
			sum += lat.buckets[p][i];
		wf_expect(rd, "latency samples (per priority)", sum, done,
			  done);
	}
	wf_expect(rd, "enqueued", enq, rd->events, rd->events);
	for (i = EVS_ERR_MAGIC; i < WF_NKINDS; i++)
		wf_expect(rd, err_name[i],
			  WF_CTR(&st, EVS_STATS_A_ERR_MAGIC + i - EVS_ERR_MAGIC),
			  rd->err_min[i], rd->err_max[i]);
	wf_expect(rd, "truncated", WF_CTR(&st, EVS_STATS_A_TRUNCATED),
		  rd->trunc_min, rd->trunc_max);
	wf_expect(rd, "conn_accepted", WF_CTR(&st, EVS_STATS_A_CONN_ACCEPTED),
		  rd->connects, rd->connects);
	wf_expect(rd, "conn_closed", WF_CTR(&st, EVS_STATS_A_CONN_CLOSED),
		  rd->connects, rd->connects);
	wf_expect(rd, "conn_rejected", WF_CTR(&st, EVS_STATS_A_CONN_REJECTED),
		  0, 0);
	wf_expect(rd, "acks", WF_CTR(&st, EVS_STATS_A_ACKS), rd->acks_read,
		  UINT64_MAX);
	wf_expect(rd, "paused", WF_GAUGE(&g, EVS_GAUGE_A_PAUSED), 0, 0);
	fz_note(rd->log, "round %u: %llu pauses, %llu resumes, %llu pool fails, %llu ACKs sent, %llu truncated",
		rd->no,
		(unsigned long long)WF_CTR(&st, EVS_STATS_A_PAUSES),
		(unsigned long long)WF_CTR(&st, EVS_STATS_A_RESUMES),
		(unsigned long long)WF_CTR(&st, EVS_STATS_A_POOL_FAILS),
		(unsigned long long)WF_CTR(&st, EVS_STATS_A_ACKS),
		(unsigned long long)WF_CTR(&st, EVS_STATS_A_TRUNCATED));
	fz_note(rd->log, "round %u: errors magic %llu version %llu reserved %llu length %llu priority %llu",
		rd->no,
		(unsigned long long)WF_CTR(&st, EVS_STATS_A_ERR_MAGIC),
		(unsigned long long)WF_CTR(&st, EVS_STATS_A_ERR_VERSION),
		(unsigned long long)WF_CTR(&st, EVS_STATS_A_ERR_RESERVED),
		(unsigned long long)WF_CTR(&st, EVS_STATS_A_ERR_LENGTH),
		(unsigned long long)WF_CTR(&st, EVS_STATS_A_ERR_PRIORITY));
}

static int wf_ntf_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct wf_round *rd = data;
	struct wf_close cl = { 0 };
	uint8_t kind;

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) ||
	    (g->cmd != EVS_CMD_NTF_CONN_CLOSE &&
	     g->cmd != EVS_CMD_NTF_PROTO_ERROR))
		return MNL_CB_OK;
	if (evs_nl_get_u64(tb[EVS_A_CONN_ID], &cl.id) || cl.id >= WF_MAX_IDS) {
		fz_fail(rd->log, "monitor: notification %u without a sane id",
			g->cmd);
		return MNL_CB_OK;
	}
	if (g->cmd == EVS_CMD_NTF_PROTO_ERROR) {
		if (evs_nl_get_u8(tb[EVS_A_ERROR_KIND], &kind))
			fz_fail(rd->log, "monitor: PROTO_ERROR without a kind");
		else
			rd->err_by_id[cl.id] = kind;
		return MNL_CB_OK;
	}
	if (evs_nl_get_u64(tb[EVS_A_CONN_EVENTS], &cl.events) ||
	    evs_nl_get_u8(tb[EVS_A_CLOSE_REASON], &cl.reason)) {
		fz_fail(rd->log, "monitor: CONN_CLOSE malformed");
		return MNL_CB_OK;
	}
	if (rd->ncloses == rd->closes_cap) {
		struct wf_close *p = realloc(rd->closes,
					     (rd->closes_cap + 256) * sizeof(*p));

		if (!p)
			return MNL_CB_OK;
		rd->closes = p;
		rd->closes_cap += 256;
	}
	rd->closes[rd->ncloses++] = cl;
	return MNL_CB_OK;
}

/* Takes in every notification waiting; never blocks. */
static void wf_drain_monitor(struct wf_round *rd)
{
	int err;

	if (!rd->mon_ok)
		return;
	for (;;) {
		err = evs_nl_recv_ntf(&rd->mon, wf_ntf_cb, rd);
		if (err == -ENOBUFS) {
			rd->ntf_lost++;
			continue;
		}
		if (err)
			break;
	}
	if (err != -EAGAIN)
		fz_fail(rd->log, "monitor: %s", strerror(-err));
}

static struct wf_conn *wf_conn_by_id(struct wf_round *rd, uint64_t id)
{
	uint32_t i;

	for (i = 0; i < rd->nconns; i++)
		if (rd->conns[i]->have_id && rd->conns[i]->conn_id == id)
			return rd->conns[i];
	return NULL;
}

/*
 * Per connection, as the server saw it: the events it said it accepted
 * when it closed must all be in the store, whatever the client did, and
 * why it closed and which error it reported must fit the client's story.
 */
static void wf_check_closes(struct wf_round *rd)
{
	uint32_t i;

	wf_drain_monitor(rd);
	if (!rd->mon_ok || rd->ntf_lost) {
		fz_note(rd->log, "round %u: monitor lost notifications: per-connection counts not checked",
			rd->no);
		return;
	}
	wf_expect(rd, "CONN_CLOSE notifications", rd->ncloses, rd->connects,
		  rd->connects);
	for (i = 0; i < rd->ncloses; i++) {
		const struct wf_close *cl = &rd->closes[i];
		struct wf_conn *c = wf_conn_by_id(rd, cl->id);
		uint8_t kind = rd->err_by_id[cl->id];

		if (cl->events != rd->stored_by_id[cl->id])
			fz_fail(rd->log, "round %u: connection %llu (uid %u, %s, close reason %u): %llu events accepted, %u stored",
				rd->no, (unsigned long long)cl->id,
				c ? c->uid : 0, c ? wf_end_name[c->end] : "?",
				cl->reason, (unsigned long long)cl->events,
				rd->stored_by_id[cl->id]);
		/* Stored events name the connection; a known fate says more. */
		if (!c || !c->known)
			continue;
		if (c->bad && c->got >= c->bad_end) {
			if (kind != c->bad_kind || cl->reason != EVS_CLOSE_ERROR)
				fz_fail(rd->log, "uid %u: error kind %u close reason %u, expected kind %u reason error",
					c->uid, kind, cl->reason, c->bad_kind);
		} else if (kind || cl->reason != EVS_CLOSE_PEER) {
			fz_fail(rd->log, "uid %u (%s): error kind %u close reason %u, expected peer",
				c->uid, wf_end_name[c->end], kind, cl->reason);
		}
	}
}

/* Reads every topic used back and checks it all. */
static void wf_verify(struct wf_round *rd)
{
	unsigned int t;
	int err;

	for (t = 0; t < 65536; t++) {
		if (!(rd->topic_used[t / 64] & (1ULL << (t % 64))))
			continue;
		err = evs_read_topic(&rd->nl, t, 0, EVS_READ_ALL, wf_event_cb,
				     rd);
		if (err)
			fz_fail(rd->log, "round %u: READ of topic %u: %s (%s)",
				rd->no, t, strerror(-err), rd->nl.errmsg);
	}
	wf_check_conns(rd);
	wf_check_counters(rd);
	wf_check_closes(rd);
}

/* ---- a round ---- */

/* A monitor socket with room for a round's notifications, non-blocking. */
static int wf_monitor_open(struct wf_round *rd)
{
	int size = 32 << 20, fd, err;
	uint32_t grp;

	err = evs_nl_open(&rd->mon);
	if (!err)
		err = evs_nl_mcast_group(&rd->mon, EVS_GENL_NAME,
					 EVS_MCGRP_MONITOR, &grp);
	if (!err)
		err = evs_nl_join(&rd->mon, grp);
	if (err)
		return err;
	fd = mnl_socket_get_fd(rd->mon.sock);
	/* As root, past rmem_max: a lost notification spoils the check. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) ? -errno : 0;
}

static int wf_setup(struct wf_round *rd)
{
	struct fz_rng *r = rd->rng;
	uint32_t payload, pool, ring, batch, delay, pressure;
	int port, i;

	if (evs_test_new_netns() || evs_nl_open(&rd->nl))
		return -EIO;
	fz_set_rcvtimeo(mnl_socket_get_fd(rd->nl.sock), 30000);
	switch (fz_below(r, 8)) {
	case 0:
		payload = EVS_WIRE_PAYLOAD_CAP;
		break;
	case 1:
		payload = fz_below(r, 65);
		break;
	case 2:
	case 3:
		payload = fz_range(r, 1, 16384);
		break;
	default:
		payload = EVS_WIRE_PAYLOAD_DEFAULT;
		break;
	}
	pool = fz_chance(r, 60) ? 65536 : fz_chance(r, 50) ?
	       fz_range(r, 1, 64) : fz_range(r, 256, 4096);
	ring = fz_chance(r, 60) ? 4096 : 64U << fz_below(r, 5);
	batch = ((uint32_t[]){ 1, 4, 64, 1024 })[fz_below(r, 4)];
	delay = fz_chance(r, 70) ? 0 : fz_range(r, 1, 2000);
	pressure = fz_chance(r, 70) ? 75 : fz_range(r, 1, 100);
	rd->max_payload = payload;
	if (evs_test_config(&rd->nl, EVS_CFG_A_MAX_PAYLOAD, payload) ||
	    evs_test_config(&rd->nl, EVS_CFG_A_POOL_LIMIT, pool) ||
	    evs_test_config(&rd->nl, EVS_CFG_A_RING_SIZE, ring) ||
	    evs_test_config(&rd->nl, EVS_CFG_A_BATCH, batch) ||
	    evs_test_config(&rd->nl, EVS_CFG_A_ACK_DELAY, delay) ||
	    evs_test_config(&rd->nl, EVS_CFG_A_PRESSURE, pressure) ||
	    evs_test_config(&rd->nl, EVS_CFG_A_STORE_LIMIT, 1ULL << 40)) {
		fz_fail(rd->log, "round %u: config: %s", rd->no, rd->nl.errmsg);
		return -EIO;
	}
	for (i = 0; i < WF_TOPICS; i++)
		rd->topics[i] = i == 0 ? 0 : i == 1 ? 65535 : fz_rand(r);
	for (i = 0; i < WF_ROUTES; i++) {
		char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
		struct nlmsghdr *nlh;

		rd->route[i][0] = rd->topics[fz_below(r, WF_TOPICS)];
		rd->route[i][1] = fz_below(r, EVS_PRIO_NR);
		nlh = evs_nl_req(&rd->nl, buf, EVS_CMD_ROUTE_ADD, 0);
		mnl_attr_put_u16(nlh, EVS_A_TOPIC, rd->route[i][0]);
		mnl_attr_put_u8(nlh, EVS_A_PRIO, rd->route[i][1]);
		if (evs_nl_talk(&rd->nl, nlh, NULL, NULL))
			return -EIO;
	}
	rd->err_by_id = calloc(WF_MAX_IDS, sizeof(*rd->err_by_id));
	rd->stored_by_id = calloc(WF_MAX_IDS, sizeof(*rd->stored_by_id));
	if (!rd->err_by_id || !rd->stored_by_id)
		return -ENOMEM;
	rd->mon_ok = wf_monitor_open(rd) == 0;
	if (!rd->mon_ok)
		fz_fail(rd->log, "round %u: cannot join the monitor group", rd->no);
	port = evs_test_listen(&rd->nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	if (port <= 0)
		return -EIO;
	rd->port4 = port;
	port = evs_test_listen(&rd->nl, EVS_CMD_LISTEN_ADD, "[::1]:0");
	if (port <= 0)
		return -EIO;
	rd->port6 = port;
	fz_note(rd->log, "round %u: max_payload %u pool_limit %u ring_size %u batch %u ack_delay %u pressure %u",
		rd->no, payload, pool, ring, batch, delay, pressure);
	return 0;
}

static void wf_round_free(struct wf_round *rd)
{
	uint32_t i;

	for (i = 0; i < rd->nconns; i++) {
		struct wf_conn *c = rd->conns[i];

		if (c->fd >= 0)
			close(c->fd);
		free(c->buf);
		free(c->fr);
		free(c);
	}
	free(rd->conns);
	rd->conns = NULL;
	rd->nconns = 0;
	free(rd->closes);
	free(rd->err_by_id);
	free(rd->stored_by_id);
	evs_nl_close(&rd->mon);
	evs_nl_close(&rd->nl);
}

/* Runs connections until @until or the memory budget; then checks. */
static void wf_round(struct wf_round *rd, uint64_t until)
{
	struct wf_conn *slot[WF_SLOTS] = { 0 };
	struct pollfd pfd[WF_SLOTS + 1];
	bool more = true;
	unsigned int i, active;
	uint64_t t0 = evs_test_now_ms();

	if (wf_setup(rd)) {
		fz_fail(rd->log, "round %u: setup failed: %s", rd->no,
			rd->nl.errmsg);
		return;
	}
	for (;;) {
		active = 0;
		more = more && evs_test_now_ms() < until && rd->cost < WF_ROUND_COST;
		for (i = 0; i < WF_SLOTS; i++) {
			if (slot[i] && slot[i]->state == WF_DONE)
				slot[i] = NULL;
			if (!slot[i] && more)
				slot[i] = wf_new_conn(rd);
			if (!slot[i] || slot[i]->state == WF_DONE) {
				pfd[i].fd = -1;
				continue;
			}
			pfd[i].fd = slot[i]->fd;
			pfd[i].events = POLLIN;
			if (slot[i]->state == WF_WRITING ||
			    slot[i]->state == WF_TAIL)
				pfd[i].events |= POLLOUT;
			pfd[i].revents = 0;
			active++;
		}
		if (!active && !more)
			break;
		pfd[WF_SLOTS].fd = rd->mon_ok ? mnl_socket_get_fd(rd->mon.sock) : -1;
		pfd[WF_SLOTS].events = POLLIN;
		pfd[WF_SLOTS].revents = 0;
		if (poll(pfd, WF_SLOTS + 1, 100) < 0 && errno != EINTR) {
			fz_fail(rd->log, "poll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < WF_SLOTS; i++)
			if (slot[i] && pfd[i].fd >= 0)
				wf_step(rd, slot[i], pfd[i].revents);
		if (pfd[WF_SLOTS].revents)
			wf_drain_monitor(rd);
	}
	fz_note(rd->log, "round %u: %u connections (ack %u shut %u close %u reset %u; %u bad headers, %u cut frames, %u urgent bytes), %llu frames planned, %llu ms",
		rd->no, rd->nconns, rd->ends[WF_END_ACK], rd->ends[WF_END_SHUT],
		rd->ends[WF_END_CLOSE], rd->ends[WF_END_RESET], rd->bads,
		rd->cuts, rd->urgents, (unsigned long long)rd->frames_planned,
		(unsigned long long)(evs_test_now_ms() - t0));
	/* Even when it did not quiet down: the details say more. */
	wf_quiesce(rd);
	wf_verify(rd);
	fz_note(rd->log, "round %u: %llu events (%llu bytes) read back, rt %llu tx %llu batch %llu; %llu ms in all",
		rd->no, (unsigned long long)rd->events,
		(unsigned long long)rd->bytes,
		(unsigned long long)rd->by_prio[EVS_PRIO_RT],
		(unsigned long long)rd->by_prio[EVS_PRIO_TX],
		(unsigned long long)rd->by_prio[EVS_PRIO_BATCH],
		(unsigned long long)(evs_test_now_ms() - t0));
}

/* ---- the test ---- */

FIXTURE(wire) {
	struct fz_log log;
};

FIXTURE_SETUP(wire)
{
	fz_log_init(&self->log, "wire");
}

FIXTURE_TEARDOWN(wire)
{
}

TEST_F_TIMEOUT(wire, streams, 600)
{
	uint64_t start = evs_test_now_ms(), end = start + wf_opts.secs * 1000ULL;
	/* Rounds of a few seconds: each is checked, then its namespace goes. */
	uint64_t round_ms = wf_opts.secs * 1000ULL / 4;
	struct fz_rng rng;
	unsigned int no;

	if (round_ms < 4000)
		round_ms = 4000;
	ksft_print_msg("wire_fuzz: seed %llu, %u s (replay: --seed %llu --seconds %u)\n",
		       (unsigned long long)wf_opts.seed, wf_opts.secs,
		       (unsigned long long)wf_opts.seed, wf_opts.secs);
	fz_rng_init(&rng, wf_opts.seed, 1);
	for (no = 0; no == 0 || evs_test_now_ms() + 1000 < end; no++) {
		struct wf_round *rd = calloc(1, sizeof(*rd));
		uint64_t until = evs_test_now_ms() + round_ms;

		ASSERT_NE(NULL, rd);
		rd->no = no;
		rd->rng = &rng;
		rd->log = &self->log;
		wf_round(rd, until < end ? until : end);
		wf_round_free(rd);
		free(rd);
	}
	EXPECT_EQ(0, fz_fails(&self->log)) {
		TH_LOG("seed %llu: %u failures",
		       (unsigned long long)wf_opts.seed, fz_fails(&self->log));
	}
}

/*
 * Not TEST_HARNESS_MAIN: the run time and seed come from the command
 * line, and the harness timeout must cover the run time.
 */
static void __attribute__((constructor)) wf_constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	fz_opts_parse(&wf_opts, argc, argv);
	_wire_streams_object.timeout = wf_opts.secs * 2 + 180;
	return test_harness_run(argc, argv);
}
