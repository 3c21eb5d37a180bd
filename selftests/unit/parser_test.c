// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the streaming frame parser in
 * include/evstream/parser.h, the code the module runs on every byte a
 * client sends.  TCP hands the module the stream cut wherever it likes,
 * and the module pauses the parser whenever the pipeline is full: the
 * frames that come out must depend on neither.  So each test builds a
 * stream from frames it knows, feeds it one way or another, and compares
 * what the callbacks saw with that list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <evstream/parser.h>
#include "kselftest_harness.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

/* Not the default, so a parser that ignored max_payload would show. */
#define TEST_MAX	6000

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

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

/* xorshift64*: reproducible from a seed, which failures print. */
static u64 rnd(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static u64 rnd_below(u64 *s, u64 n)
{
	return n ? rnd(s) % n : 0;
}

/* ---- Streams of known frames ---- */

struct stream {
	u8 *buf;
	size_t len;
	struct evs_frame *f;	/* the good frames, in stream order */
	size_t *end;		/* where each ends in buf */
	size_t n;
};

static struct evs_frame hdr(u32 length, u16 topic, u8 prio, u8 flags,
			    u32 seq)
{
	struct evs_frame f = {
		.magic = EVS_WIRE_MAGIC,
		.version = EVS_WIRE_VERSION,
		.flags = flags,
		.length = length,
		.topic = topic,
		.priority = prio,
		.seq = seq,
	};

	return f;
}

static void stream_put(struct stream *s, const void *p, size_t len)
{
	s->buf = xrealloc(s->buf, s->len + len);
	memcpy(s->buf + s->len, p, len);
	s->len += len;
}

/*
 * Appends the header of @f and @n payload bytes: @f->length for a good
 * frame, anything for a bad one.  The bytes are random so that a payload
 * copied from the wrong offset cannot match by luck.
 */
static void stream_raw(struct stream *s, const struct evs_frame *f,
		       size_t n, u64 *seed)
{
	u8 h[EVS_WIRE_HDR_LEN];
	size_t i;

	evs_frame_encode(h, f);
	stream_put(s, h, sizeof(h));
	s->buf = xrealloc(s->buf, s->len + n);
	for (i = 0; i < n; i++)
		s->buf[s->len + i] = (u8)(rnd(seed) >> 56);
	s->len += n;
}

static void stream_frame(struct stream *s, const struct evs_frame *f,
			 u64 *seed)
{
	stream_raw(s, f, f->length, seed);
	s->f = xrealloc(s->f, (s->n + 1) * sizeof(*s->f));
	s->end = xrealloc(s->end, (s->n + 1) * sizeof(*s->end));
	s->f[s->n] = *f;
	s->end[s->n] = s->len;
	s->n++;
}

static void stream_free(struct stream *s)
{
	free(s->buf);
	free(s->f);
	free(s->end);
	memset(s, 0, sizeof(*s));
}

static const u8 prios[] = {
	EVS_PRIO_RT, EVS_PRIO_TX, EVS_PRIO_BATCH, EVS_PRIO_AUTO,
};

/*
 * @nframes frames with lengths from 0 to @max: first the edge values in
 * turn, then mostly short ones (many headers, so many cuts land in one),
 * some up to @max.  Every field varies, extremes included.
 */
static void stream_varied(struct stream *s, u32 max, int nframes, u64 seed)
{
	static const u32 edges[] = {
		0, 1, 2, 15, 16, 17, 255, 256, 1000, 4095, 4096,
	};
	static const u32 seqs[] = {
		0, 1, 0x7fffffffu, 0x80000000u, 0xffffffffu,
	};
	static const u16 topics[] = { 0, 1, 0x7fff, 0x8000, 0xffff };
	int i;

	for (i = 0; i < nframes; i++) {
		u32 len;
		struct evs_frame f;

		if (i < (int)ARRAY_SIZE(edges))
			len = edges[i];
		else if (i == (int)ARRAY_SIZE(edges))
			len = max;
		else if (rnd(&seed) & 1)
			len = (u32)rnd_below(&seed, 41);
		else if (rnd(&seed) & 1)
			len = (u32)rnd_below(&seed, (u64)max + 1);
		else
			len = edges[rnd_below(&seed, ARRAY_SIZE(edges))];
		if (len > max)
			len = max;
		f = hdr(len,
			i < (int)ARRAY_SIZE(topics) ? topics[i] :
				(u16)rnd(&seed),
			prios[i % ARRAY_SIZE(prios)],
			(i / 2) % 2 ? EVS_WIRE_F_ACK_REQ : 0,
			i < (int)ARRAY_SIZE(seqs) ? seqs[i] : (u32)(i * 7919));
		stream_frame(s, &f, &seed);
	}
}

/* A short stream whose every split point is tried. */
static void stream_short(struct stream *s)
{
	static const u32 lens[] = { 0, 1, 3, 0, 0, 16, 2, 5 };
	u64 seed = 42;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		struct evs_frame f = hdr(lens[i], (u16)(i * 4099),
					 prios[i % ARRAY_SIZE(prios)],
					 i & 1 ? EVS_WIRE_F_ACK_REQ : 0,
					 0xfffffffdu + i);

		stream_frame(s, &f, &seed);
	}
}

/* ---- The parser's user: records frames, pauses on demand ---- */

struct got {
	struct evs_frame f;
	u8 *buf;
};

struct sink {
	struct got *v;		/* frames ended, in order */
	size_t n;
	u32 max;		/* what begin may be offered */
	void *open;		/* buffer given by begin, not yet ended */
	struct evs_frame open_f;
	size_t begins, ends;	/* calls */
	size_t misuse;		/* callback contract broken by the parser */
	/* Pausing: the next so many calls pause, or each first call. */
	unsigned int begin_nulls;
	unsigned int end_falses;
	bool begin_each;	/* begin pauses once for every frame */
	bool end_each;		/* end pauses after every frame */
	bool begin_paused;	/* the last begin call paused */
	u64 pause_seed;		/* non-zero: pause at random, 1 in 4 */
	size_t feed_at;		/* stream offset of the piece being fed */
	size_t frame_at;	/* stream offset of the frame being parsed */
};

/* Copies seen, to tell header bytes from payload bytes. */
static size_t copy_calls, copy_bytes;

static void *sink_begin(void *ctx, const struct evs_frame *f, size_t off)
{
	struct sink *k = ctx;
	bool pause = false;
	void *buf;

	k->begins++;
	/* Only good headers are offered, and never two at once. */
	if (k->open || evs_frame_check(f, k->max) != EVS_FRAME_OK)
		k->misuse++;
	/* @off says where in this piece the payload starts. */
	if (k->feed_at + off != k->frame_at + EVS_WIRE_HDR_LEN)
		k->misuse++;
	if (k->begin_nulls) {
		k->begin_nulls--;
		pause = true;
	} else if (k->begin_each && !k->begin_paused) {
		pause = true;
	} else if (k->pause_seed && rnd(&k->pause_seed) % 4 == 0) {
		pause = true;
	}
	k->begin_paused = pause;
	if (pause)
		return NULL;
	/*
	 * Exactly the payload's size, so ASan sees a write past it.  For a
	 * zero-length frame glibc and ASan still return a unique pointer,
	 * which ASan will not let anyone write to.
	 */
	buf = malloc(f->length);
	if (!buf)
		abort();
	k->open = buf;
	k->open_f = *f;
	return buf;
}

static bool sink_end(void *ctx, const struct evs_frame *f, void *buf)
{
	struct sink *k = ctx;

	k->ends++;
	/* The buffer begin gave, with the header begin saw. */
	if (!k->open || buf != k->open || memcmp(f, &k->open_f, sizeof(*f)))
		k->misuse++;
	k->v = xrealloc(k->v, (k->n + 1) * sizeof(*k->v));
	k->v[k->n].f = *f;
	k->v[k->n].buf = buf;
	k->n++;
	k->frame_at += EVS_WIRE_HDR_LEN + f->length;
	if (buf == k->open)
		k->open = NULL;
	if (k->end_falses) {
		k->end_falses--;
		return false;
	}
	if (k->end_each)
		return false;
	return !(k->pause_seed && rnd(&k->pause_seed) % 4 == 0);
}

static void sink_copy(void *dst, const void *src, size_t off, size_t len)
{
	copy_calls++;
	copy_bytes += len;
	memcpy(dst, (const u8 *)src + off, len);
}

static const struct evs_parser_ops sink_ops = {
	.begin = sink_begin,
	.end = sink_end,
	.copy = sink_copy,
};

/* The same, for a source that is the bytes: headers decoded in place. */
static const struct evs_parser_ops flat_ops = {
	.begin = sink_begin,
	.end = sink_end,
	.copy = sink_copy,
	.flat = true,
};

static void sink_free(struct sink *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->v[i].buf);
	free(k->v);
	free(k->open);
	memset(k, 0, sizeof(*k));
}

/* ---- Feeding ---- */

struct feeder {
	struct evs_parser p;
	struct sink k;
	size_t used;		/* bytes consumed, over all calls */
	size_t calls;
	size_t pauses;
	size_t bad_used;	/* calls that said MORE and left bytes */
	bool flat;		/* parse with flat_ops */
};

static void feeder_init(struct feeder *d, u32 max)
{
	memset(d, 0, sizeof(*d));
	evs_parser_init(&d->p, max);
	d->k.max = max;
	copy_calls = 0;
	copy_bytes = 0;
}

/*
 * One evs_parse() call.  It gets a private copy of exactly @len bytes,
 * so that ASan catches a read past what it was given.
 */
static enum evs_parse_status call(struct feeder *d, const u8 *src,
				  size_t len, size_t *used)
{
	u8 *piece = malloc(len);
	enum evs_parse_status st;

	if (!piece)
		abort();
	memcpy(piece, src, len);
	*used = SIZE_MAX;
	d->k.feed_at = d->used;
	st = evs_parse(&d->p, d->flat ? &flat_ops : &sink_ops, &d->k, piece,
		       len, used);
	free(piece);
	d->calls++;
	if (*used > len || (st == EVS_PARSE_MORE && *used != len))
		d->bad_used++;
	if (*used > len)
		*used = len;
	d->used += *used;
	return st;
}

/*
 * Feeds one piece, resuming after each pause at once, as the module
 * does when the pipeline drains.  Returns MORE or ERROR.
 */
static enum evs_parse_status feed(struct feeder *d, const u8 *src,
				  size_t len)
{
	enum evs_parse_status st;
	size_t used;

	for (;;) {
		st = call(d, src, len, &used);
		src += used;
		len -= used;
		if (st != EVS_PARSE_PAUSED)
			return st;
		d->pauses++;
	}
}

/* Random piece sizes: many tiny ones, some empty, some huge. */
static size_t piece_len(u64 *seed, size_t left)
{
	switch (rnd(seed) % 8) {
	case 0:
		return 0;
	case 1:
	case 2:
		return rnd_below(seed, 17);
	case 3:
	case 4:
		return rnd_below(seed, 65);
	case 5:
		return rnd_below(seed, 4097);
	case 6:
		return rnd_below(seed, EVS_WIRE_HDR_LEN) + EVS_WIRE_HDR_LEN;
	default:
		return rnd_below(seed, left + 1);
	}
}

/* Feeds all of @s in random pieces; stops at an error. */
static enum evs_parse_status feed_random(struct feeder *d,
					 const struct stream *s, u64 seed)
{
	enum evs_parse_status st = EVS_PARSE_MORE;
	size_t off = 0;

	while (off < s->len) {
		size_t n = piece_len(&seed, s->len - off);

		if (n > s->len - off)
			n = s->len - off;
		st = feed(d, s->buf + off, n);
		off += n;
		if (st == EVS_PARSE_ERROR)
			break;
	}
	return st;
}

/*
 * The first @nexp frames of @s, in order, header and payload, and
 * nothing else: the property every test checks.  Logs the first
 * difference only.
 */
static bool same_frames(struct __test_metadata *_metadata,
			const struct feeder *d, const struct stream *s,
			size_t nexp)
{
	const struct sink *k = &d->k;
	size_t i;

	EXPECT_EQ(0, k->misuse);
	EXPECT_EQ(0, d->bad_used);
	EXPECT_EQ(nexp, k->n);
	if (k->misuse || d->bad_used || k->n != nexp)
		return false;
	for (i = 0; i < nexp; i++) {
		const struct evs_frame *w = &s->f[i], *g = &k->v[i].f;

		if (memcmp(w, g, sizeof(*w))) {
			TH_LOG("frame %zu: got len %u topic %u prio %u flags %#x seq %u",
			       i, g->length, g->topic, g->priority, g->flags,
			       g->seq);
			TH_LOG("frame %zu: want len %u topic %u prio %u flags %#x seq %u",
			       i, w->length, w->topic, w->priority, w->flags,
			       w->seq);
			EXPECT_TRUE(0);
			return false;
		}
		if (memcmp(k->v[i].buf, s->buf + s->end[i] - w->length,
			   w->length)) {
			TH_LOG("frame %zu: payload differs", i);
			EXPECT_TRUE(0);
			return false;
		}
	}
	return true;
}

/* Frames that end at or before @off: what must be out by then. */
static size_t frames_by(const struct stream *s, size_t off)
{
	size_t n = 0;

	while (n < s->n && s->end[n] <= off)
		n++;
	return n;
}

static bool is_boundary(const struct stream *s, size_t off)
{
	size_t n = frames_by(s, off);

	return off == 0 || (n && s->end[n - 1] == off);
}

/* ---- Good streams, cut every way ---- */

TEST(one_call)
{
	struct stream s = {};
	struct feeder d;

	stream_varied(&s, TEST_MAX, 200, 1);
	feeder_init(&d, TEST_MAX);
	EXPECT_EQ(EVS_PARSE_MORE, feed(&d, s.buf, s.len));
	EXPECT_EQ(s.len, d.used);
	EXPECT_EQ(1, d.calls);
	EXPECT_TRUE(evs_parser_idle(&d.p));
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

TEST(byte_by_byte)
{
	struct stream s = {};
	struct feeder d;
	size_t off;

	stream_varied(&s, TEST_MAX, 200, 2);
	feeder_init(&d, TEST_MAX);
	EXPECT_TRUE(evs_parser_idle(&d.p));
	for (off = 0; off < s.len; off++) {
		ASSERT_EQ(EVS_PARSE_MORE, feed(&d, s.buf + off, 1));
		/* Each frame is out the moment its last byte is in. */
		ASSERT_EQ(frames_by(&s, off + 1), d.k.n);
		ASSERT_EQ(is_boundary(&s, off + 1), evs_parser_idle(&d.p));
	}
	EXPECT_EQ(s.len, d.used);
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

TEST(random_cuts)
{
	struct stream s = {};
	int trial;

	stream_varied(&s, TEST_MAX, 200, 3);
	for (trial = 0; trial < 300; trial++) {
		u64 seed = 0x5eed0000u + trial;
		struct feeder d;
		bool ok;

		feeder_init(&d, TEST_MAX);
		EXPECT_EQ(EVS_PARSE_MORE, feed_random(&d, &s, seed));
		EXPECT_EQ(s.len, d.used);
		EXPECT_TRUE(evs_parser_idle(&d.p));
		ok = same_frames(_metadata, &d, &s, s.n) && d.used == s.len;
		sink_free(&d.k);
		if (!ok) {
			TH_LOG("cut seed %#llx", (unsigned long long)seed);
			break;
		}
	}
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

static void check_every_split_point(struct __test_metadata *_metadata, bool flat)
{
	struct stream s = {};
	size_t a, b;

	stream_short(&s);
	/* One cut anywhere, checking the state at the cut. */
	for (a = 0; a <= s.len; a++) {
		struct feeder d;

		feeder_init(&d, TEST_MAX);
		d.flat = flat;
		ASSERT_EQ(EVS_PARSE_MORE, feed(&d, s.buf, a));
		EXPECT_EQ(frames_by(&s, a), d.k.n);
		EXPECT_EQ(is_boundary(&s, a), evs_parser_idle(&d.p));
		ASSERT_EQ(EVS_PARSE_MORE, feed(&d, s.buf + a, s.len - a));
		EXPECT_EQ(s.len, d.used);
		EXPECT_TRUE(evs_parser_idle(&d.p));
		if (!same_frames(_metadata, &d, &s, s.n))
			TH_LOG("cut at %zu", a);
		sink_free(&d.k);
	}
	/* And every pair of cuts, empty pieces included. */
	for (a = 0; a <= s.len; a++) {
		for (b = a; b <= s.len; b++) {
			struct feeder d;
			bool ok;

			feeder_init(&d, TEST_MAX);
			d.flat = flat;
			feed(&d, s.buf, a);
			feed(&d, s.buf + a, b - a);
			feed(&d, s.buf + b, s.len - b);
			ok = same_frames(_metadata, &d, &s, s.n) &&
			     d.used == s.len && evs_parser_idle(&d.p);
			sink_free(&d.k);
			if (!ok) {
				TH_LOG("cuts at %zu and %zu", a, b);
				ASSERT_TRUE(ok);
			}
		}
	}
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

TEST(every_split_point)
{
	check_every_split_point(_metadata, false);
}

/* Headers decoded in place where whole, copied where cut: the same frames. */
TEST(every_split_point_flat)
{
	check_every_split_point(_metadata, true);
}

TEST(payload_at_hard_cap)
{
	static const u32 lens[] = {
		EVS_WIRE_PAYLOAD_CAP, 0, EVS_WIRE_PAYLOAD_CAP - 1, 1,
		EVS_WIRE_PAYLOAD_CAP,
	};
	struct stream s = {};
	struct feeder d;
	u64 seed = 7;
	unsigned int i;
	size_t off;
	int trial;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		struct evs_frame f = hdr(lens[i], (u16)i, EVS_PRIO_AUTO,
					 EVS_WIRE_F_ACK_REQ, i);

		stream_frame(&s, &f, &seed);
	}
	feeder_init(&d, EVS_WIRE_PAYLOAD_CAP);
	EXPECT_EQ(EVS_PARSE_MORE, feed(&d, s.buf, s.len));
	EXPECT_TRUE(evs_parser_idle(&d.p));
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);

	feeder_init(&d, EVS_WIRE_PAYLOAD_CAP);
	for (off = 0; off < s.len; off++)
		ASSERT_EQ(EVS_PARSE_MORE, feed(&d, s.buf + off, 1));
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);

	for (trial = 0; trial < 20; trial++) {
		feeder_init(&d, EVS_WIRE_PAYLOAD_CAP);
		EXPECT_EQ(EVS_PARSE_MORE, feed_random(&d, &s, trial + 1));
		EXPECT_EQ(s.len, d.used);
		same_frames(_metadata, &d, &s, s.n);
		sink_free(&d.k);
	}
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

TEST(zero_length_frames)
{
	struct stream s = {};
	struct feeder d;
	u64 seed = 9;
	size_t off;
	int i;

	for (i = 0; i < 300; i++) {
		struct evs_frame f = hdr(0, (u16)(i * 31), prios[i % 4],
					 i % 3 ? EVS_WIRE_F_ACK_REQ : 0,
					 (u32)i);

		stream_frame(&s, &f, &seed);
	}

	/* In one piece: one copy per header and none for the payloads. */
	feeder_init(&d, TEST_MAX);
	EXPECT_EQ(EVS_PARSE_MORE, feed(&d, s.buf, s.len));
	EXPECT_EQ(300, copy_calls);
	EXPECT_EQ(300 * EVS_WIRE_HDR_LEN, copy_bytes);
	EXPECT_EQ(300, d.k.begins);
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);

	/* Byte by byte: each frame ends with its header's last byte. */
	feeder_init(&d, TEST_MAX);
	for (off = 0; off < s.len; off++) {
		ASSERT_EQ(EVS_PARSE_MORE, feed(&d, s.buf + off, 1));
		ASSERT_EQ((off + 1) / EVS_WIRE_HDR_LEN, d.k.n);
		ASSERT_EQ((off + 1) % EVS_WIRE_HDR_LEN == 0,
			  evs_parser_idle(&d.p));
	}
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);

	/* A zero-length max_payload still takes them. */
	feeder_init(&d, 0);
	EXPECT_EQ(EVS_PARSE_MORE, feed(&d, s.buf, s.len));
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

TEST(zero_length_frame_resumes_on_empty_call)
{
	/*
	 * Paused at a zero-length frame's header with nothing left: the
	 * next call, even with no bytes, finishes the frame.
	 */
	struct stream s = {};
	struct evs_frame f = hdr(0, 3, EVS_PRIO_RT, 0, 77);
	struct feeder d;
	u64 seed = 1;
	size_t used;

	stream_frame(&s, &f, &seed);
	feeder_init(&d, TEST_MAX);
	d.k.begin_nulls = 1;
	EXPECT_EQ(EVS_PARSE_PAUSED, call(&d, s.buf, s.len, &used));
	EXPECT_EQ(EVS_WIRE_HDR_LEN, used);
	EXPECT_EQ(0, d.k.n);
	EXPECT_FALSE(evs_parser_idle(&d.p));
	EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf + s.len, 0, &used));
	EXPECT_EQ(0, used);
	EXPECT_TRUE(evs_parser_idle(&d.p));
	same_frames(_metadata, &d, &s, 1);
	sink_free(&d.k);
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

/* ---- Pausing ---- */

/* A 10, B 20, C 0, D 5 bytes of payload. */
static void stream_abcd(struct stream *s)
{
	static const u32 lens[] = { 10, 20, 0, 5 };
	u64 seed = 5;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		struct evs_frame f = hdr(lens[i], (u16)(100 + i),
					 prios[i], EVS_WIRE_F_ACK_REQ, i + 1);

		stream_frame(s, &f, &seed);
	}
}

TEST(begin_pause_stops_before_payload)
{
	struct stream s = {};
	struct feeder d;
	size_t used;

	stream_abcd(&s);

	/* Stops with exactly the header consumed, and resumes there. */
	feeder_init(&d, TEST_MAX);
	d.k.begin_nulls = 1;
	EXPECT_EQ(EVS_PARSE_PAUSED, call(&d, s.buf, s.len, &used));
	EXPECT_EQ(EVS_WIRE_HDR_LEN, used);
	EXPECT_EQ(1, d.k.begins);
	EXPECT_EQ(0, d.k.n);
	EXPECT_FALSE(evs_parser_idle(&d.p));
	EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf + used, s.len - used, &used));
	EXPECT_EQ(s.len - EVS_WIRE_HDR_LEN, used);
	/* One begin per frame, plus the one that paused. */
	EXPECT_EQ(5, d.k.begins);
	EXPECT_TRUE(evs_parser_idle(&d.p));
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);

	/* Paused again on the retry: nothing more is consumed. */
	feeder_init(&d, TEST_MAX);
	d.k.begin_nulls = 2;
	EXPECT_EQ(EVS_PARSE_PAUSED, call(&d, s.buf, s.len, &used));
	EXPECT_EQ(EVS_WIRE_HDR_LEN, used);
	EXPECT_EQ(EVS_PARSE_PAUSED, call(&d, s.buf + EVS_WIRE_HDR_LEN,
					 s.len - EVS_WIRE_HDR_LEN, &used));
	EXPECT_EQ(0, used);
	EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf + EVS_WIRE_HDR_LEN,
				       s.len - EVS_WIRE_HDR_LEN, &used));
	EXPECT_EQ(s.len - EVS_WIRE_HDR_LEN, used);
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);

	/* Header split, pause where it completes, resume with no bytes. */
	feeder_init(&d, TEST_MAX);
	EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf, 10, &used));
	EXPECT_EQ(10, used);
	EXPECT_EQ(0, d.k.begins);
	d.k.begin_nulls = 1;
	EXPECT_EQ(EVS_PARSE_PAUSED, call(&d, s.buf + 10, 6, &used));
	EXPECT_EQ(6, used);
	EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf + 16, 0, &used));
	EXPECT_EQ(0, used);
	EXPECT_EQ(2, d.k.begins);
	EXPECT_EQ(0, d.k.n);
	EXPECT_FALSE(evs_parser_idle(&d.p));
	EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf + 16, s.len - 16, &used));
	EXPECT_EQ(s.len - 16, used);
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

TEST(begin_pause_every_frame)
{
	struct stream s = {};
	struct feeder d;
	const u8 *src;
	size_t left, used, i = 0;
	enum evs_parse_status st;

	stream_varied(&s, TEST_MAX, 60, 11);
	feeder_init(&d, TEST_MAX);
	d.k.begin_each = true;
	src = s.buf;
	left = s.len;
	while ((st = call(&d, src, left, &used)) == EVS_PARSE_PAUSED) {
		src += used;
		left -= used;
		/* Each stop is right after a header, before its payload. */
		ASSERT_LT(i, s.n);
		EXPECT_EQ(s.end[i] - s.f[i].length, d.used);
		EXPECT_EQ(i, d.k.n);
		i++;
	}
	EXPECT_EQ(EVS_PARSE_MORE, st);
	EXPECT_EQ(s.n, i);
	EXPECT_EQ(s.len, d.used);
	EXPECT_EQ(2 * s.n, d.k.begins);
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

TEST(end_pause_stops_after_frame)
{
	struct stream s = {};
	struct feeder d;
	size_t used, i;

	stream_abcd(&s);

	/* Stops right after the frame; the rest stays with the caller. */
	feeder_init(&d, TEST_MAX);
	d.k.end_falses = 1;
	EXPECT_EQ(EVS_PARSE_PAUSED, call(&d, s.buf, s.len, &used));
	EXPECT_EQ(s.end[0], used);
	EXPECT_EQ(1, d.k.n);
	EXPECT_TRUE(evs_parser_idle(&d.p));
	EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf + used, s.len - used, &used));
	EXPECT_EQ(s.len - s.end[0], used);
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);

	/* After every frame, the last one included. */
	feeder_init(&d, TEST_MAX);
	d.k.end_each = true;
	for (i = 0; i < s.n; i++) {
		size_t at = i ? s.end[i - 1] : 0;

		EXPECT_EQ(EVS_PARSE_PAUSED,
			  call(&d, s.buf + at, s.len - at, &used));
		EXPECT_EQ(s.end[i] - at, used);
		EXPECT_EQ(i + 1, d.k.n);
		EXPECT_TRUE(evs_parser_idle(&d.p));
	}
	EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf + s.len, 0, &used));
	EXPECT_EQ(0, used);
	EXPECT_EQ(s.len, d.used);
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

static void check_random_cuts_and_pauses(struct __test_metadata *_metadata,
					 bool flat)
{
	struct stream s = {};
	int trial;

	stream_varied(&s, TEST_MAX, 200, 4);
	for (trial = 0; trial < 200; trial++) {
		u64 seed = 0xca75u + trial;
		struct feeder d;
		bool ok;

		feeder_init(&d, TEST_MAX);
		d.flat = flat;
		d.k.pause_seed = seed * 2 + 1;
		EXPECT_EQ(EVS_PARSE_MORE, feed_random(&d, &s, seed));
		EXPECT_TRUE(evs_parser_idle(&d.p));
		EXPECT_NE(0, d.pauses);
		ok = same_frames(_metadata, &d, &s, s.n) && d.used == s.len;
		sink_free(&d.k);
		if (!ok) {
			TH_LOG("seed %#llx", (unsigned long long)seed);
			break;
		}
	}
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

TEST(random_cuts_and_pauses)
{
	check_random_cuts_and_pauses(_metadata, false);
}

TEST(random_cuts_and_pauses_flat)
{
	check_random_cuts_and_pauses(_metadata, true);
}

/* A header whole in the piece is never copied: only payloads are. */
TEST(flat_copies_payloads_only)
{
	struct stream s = {};
	struct feeder d;
	size_t i, payload = 0;

	stream_varied(&s, TEST_MAX, 50, 5);
	for (i = 0; i < s.n; i++)
		payload += s.f[i].length;
	feeder_init(&d, TEST_MAX);
	d.flat = true;
	ASSERT_EQ(EVS_PARSE_MORE, feed(&d, s.buf, s.len));
	EXPECT_EQ(payload, copy_bytes);
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

/*
 * The module's source is not bytes but a {skb, offset} descriptor that
 * only its copy callback understands; this one is the same idea.
 */
struct desc_src {
	const u8 *base;
	size_t offset;
};

static void desc_copy(void *dst, const void *src, size_t off, size_t len)
{
	const struct desc_src *d = src;

	memcpy(dst, d->base + d->offset + off, len);
}

static const struct evs_parser_ops desc_ops = {
	.begin = sink_begin,
	.end = sink_end,
	.copy = desc_copy,
};

TEST(source_only_reaches_copy)
{
	struct stream s = {};
	struct feeder d;
	u64 seed = 21;
	size_t off = 0;

	stream_varied(&s, TEST_MAX, 100, 6);
	feeder_init(&d, TEST_MAX);
	d.k.pause_seed = 77;
	while (off < s.len) {
		size_t n = piece_len(&seed, s.len - off), used;
		/* Its own allocation: reading past it is an ASan report. */
		struct desc_src *src = malloc(sizeof(*src));
		enum evs_parse_status st;

		ASSERT_NE(NULL, src);
		if (n > s.len - off)
			n = s.len - off;
		src->base = s.buf;
		src->offset = off;
		do {
			d.k.feed_at = src->offset;
			st = evs_parse(&d.p, &desc_ops, &d.k, src,
				       off + n - src->offset, &used);
			src->offset += used;
		} while (st == EVS_PARSE_PAUSED);
		used = src->offset;
		free(src);
		ASSERT_EQ(EVS_PARSE_MORE, st);
		ASSERT_EQ(off + n, used);
		off += n;
	}
	EXPECT_TRUE(evs_parser_idle(&d.p));
	same_frames(_metadata, &d, &s, s.n);
	sink_free(&d.k);
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

/* ---- Bad headers ---- */

enum field { F_MAGIC, F_VERSION, F_FLAGS, F_RESERVED, F_LENGTH, F_PRIO };

static const struct bad_case {
	enum field field;
	u32 value;
	enum evs_frame_err err;
} bad_cases[] = {
	{ F_MAGIC, 0x7645, EVS_FRAME_ERR_MAGIC },
	{ F_MAGIC, 0x4577, EVS_FRAME_ERR_MAGIC },
	{ F_MAGIC, 0, EVS_FRAME_ERR_MAGIC },
	{ F_VERSION, 0, EVS_FRAME_ERR_VERSION },
	{ F_VERSION, 2, EVS_FRAME_ERR_VERSION },
	{ F_VERSION, 0xff, EVS_FRAME_ERR_VERSION },
	{ F_FLAGS, 0x02, EVS_FRAME_ERR_RESERVED },
	{ F_FLAGS, 0x04, EVS_FRAME_ERR_RESERVED },
	{ F_FLAGS, 0x08, EVS_FRAME_ERR_RESERVED },
	{ F_FLAGS, 0x10, EVS_FRAME_ERR_RESERVED },
	{ F_FLAGS, 0x20, EVS_FRAME_ERR_RESERVED },
	{ F_FLAGS, EVS_WIRE_F_ERROR, EVS_FRAME_ERR_RESERVED },
	{ F_FLAGS, EVS_WIRE_F_ACK, EVS_FRAME_ERR_RESERVED },
	{ F_FLAGS, EVS_WIRE_F_ACK | EVS_WIRE_F_ACK_REQ,
	  EVS_FRAME_ERR_RESERVED },
	{ F_FLAGS, 0xff, EVS_FRAME_ERR_RESERVED },
	{ F_RESERVED, 1, EVS_FRAME_ERR_RESERVED },
	{ F_RESERVED, 0x80, EVS_FRAME_ERR_RESERVED },
	{ F_LENGTH, TEST_MAX + 1, EVS_FRAME_ERR_LENGTH },
	{ F_LENGTH, EVS_WIRE_PAYLOAD_CAP + 1, EVS_FRAME_ERR_LENGTH },
	{ F_LENGTH, 0x80000000u, EVS_FRAME_ERR_LENGTH },
	{ F_LENGTH, 0xffffffffu, EVS_FRAME_ERR_LENGTH },
	{ F_PRIO, EVS_PRIO_NR, EVS_FRAME_ERR_PRIORITY },
	{ F_PRIO, 128, EVS_FRAME_ERR_PRIORITY },
	{ F_PRIO, 254, EVS_FRAME_ERR_PRIORITY },
};

static struct evs_frame bad_hdr(const struct bad_case *c)
{
	struct evs_frame f = hdr(8, 1, EVS_PRIO_TX, EVS_WIRE_F_ACK_REQ, 99);

	switch (c->field) {
	case F_MAGIC:
		f.magic = (u16)c->value;
		break;
	case F_VERSION:
		f.version = (u8)c->value;
		break;
	case F_FLAGS:
		f.flags = (u8)c->value;
		break;
	case F_RESERVED:
		f.reserved = (u8)c->value;
		break;
	case F_LENGTH:
		f.length = c->value;
		break;
	case F_PRIO:
		f.priority = (u8)c->value;
		break;
	}
	return f;
}

/*
 * @ngood good frames (none longer than @max), the bad header, bytes that
 * would have been its payload, and two more good frames that must never
 * come out.  Returns where the bad header starts.
 */
static size_t stream_with_bad(struct stream *s, const struct evs_frame *bad,
			      int ngood, u32 max)
{
	static const u32 lens[] = { 0, 7, 100 };
	struct evs_frame f;
	u64 seed = 13;
	size_t bad_off;
	int i;

	for (i = 0; i < ngood; i++) {
		f = hdr(lens[i % 3] < max ? lens[i % 3] : max, (u16)i,
			prios[i % 4], 0, i);
		stream_frame(s, &f, &seed);
	}
	bad_off = s->len;
	stream_raw(s, bad, 24, &seed);
	f = hdr(0, 9, EVS_PRIO_RT, 0, 1000);
	stream_raw(s, &f, 0, &seed);
	f = hdr(3, 9, EVS_PRIO_RT, 0, 1001);
	stream_raw(s, &f, 3, &seed);
	return bad_off;
}

/* Stays in error: every later call consumes nothing and says so. */
static void check_stuck(struct __test_metadata *_metadata,
			struct feeder *d, const struct stream *s,
			enum evs_frame_err err)
{
	size_t n = d->k.n, begins = d->k.begins, used;

	EXPECT_EQ(EVS_PARSE_ERROR, call(d, s->buf + d->used,
					s->len - d->used, &used));
	EXPECT_EQ(0, used);
	EXPECT_EQ(EVS_PARSE_ERROR, call(d, s->buf, 0, &used));
	EXPECT_EQ(0, used);
	EXPECT_EQ(EVS_PARSE_ERROR, call(d, s->buf, s->len, &used));
	EXPECT_EQ(0, used);
	EXPECT_EQ(err, d->p.err);
	EXPECT_FALSE(evs_parser_idle(&d->p));
	EXPECT_EQ(n, d->k.n);
	EXPECT_EQ(begins, d->k.begins);
}

TEST(bad_header_each_kind)
{
	unsigned int c;
	int ngood;

	for (c = 0; c < ARRAY_SIZE(bad_cases); c++) {
		for (ngood = 0; ngood <= 3; ngood += 3) {
			const struct bad_case *bc = &bad_cases[c];
			struct evs_frame bad = bad_hdr(bc);
			struct stream s = {};
			size_t bad_end, off, cut, used;
			struct feeder d;

			/* The checker itself agrees it is bad, and how. */
			ASSERT_EQ(bc->err, evs_frame_check(&bad, TEST_MAX));
			bad_end = stream_with_bad(&s, &bad, ngood, TEST_MAX) +
				  EVS_WIRE_HDR_LEN;

			/* (a) One call: good frames out, then the error. */
			feeder_init(&d, TEST_MAX);
			EXPECT_EQ(EVS_PARSE_ERROR, call(&d, s.buf, s.len,
							&used));
			EXPECT_EQ(bad_end, used);
			EXPECT_EQ(bc->err, d.p.err);
			EXPECT_EQ((size_t)ngood, d.k.begins);
			same_frames(_metadata, &d, &s, ngood);
			check_stuck(_metadata, &d, &s, bc->err);
			sink_free(&d.k);

			/* (b) Byte by byte: the header's last byte errs. */
			feeder_init(&d, TEST_MAX);
			for (off = 0; off < s.len; off++) {
				enum evs_parse_status st;

				st = call(&d, s.buf + off, 1, &used);
				if (off + 1 < bad_end) {
					ASSERT_EQ(EVS_PARSE_MORE, st);
					ASSERT_EQ(1, used);
				} else {
					ASSERT_EQ(EVS_PARSE_ERROR, st);
					ASSERT_EQ(off + 1 == bad_end, used);
				}
			}
			EXPECT_EQ(bad_end, d.used);
			EXPECT_EQ(bc->err, d.p.err);
			same_frames(_metadata, &d, &s, ngood);
			check_stuck(_metadata, &d, &s, bc->err);
			sink_free(&d.k);

			/* (c) Every single cut, with pauses everywhere. */
			for (cut = 0; cut <= s.len; cut++) {
				enum evs_parse_status st;

				feeder_init(&d, TEST_MAX);
				d.k.begin_each = cut & 1;
				d.k.end_each = cut & 2;
				st = feed(&d, s.buf, cut);
				if (st != EVS_PARSE_ERROR)
					st = feed(&d, s.buf + cut,
						  s.len - cut);
				EXPECT_EQ(EVS_PARSE_ERROR, st);
				EXPECT_EQ(bad_end, d.used);
				EXPECT_EQ(bc->err, d.p.err);
				if (!same_frames(_metadata, &d, &s, ngood))
					TH_LOG("case %u cut %zu", c, cut);
				sink_free(&d.k);
			}
			stream_free(&s);
		}
	}
	EXPECT_EQ(0, leaks());
}

TEST(length_limit_follows_max_payload)
{
	static const u32 maxes[] = { 0, 1, 4096, EVS_WIRE_PAYLOAD_CAP };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(maxes); i++) {
		struct evs_frame f = hdr(maxes[i], 1, EVS_PRIO_RT, 0, 1);
		struct stream s = {};
		struct feeder d;
		size_t used;

		/* Exactly max is fine, one more is not. */
		ASSERT_EQ(0, stream_with_bad(&s, &f, 0, maxes[i]));
		feeder_init(&d, maxes[i]);
		/* Only the header: the 24 filler bytes are not its payload. */
		EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf, EVS_WIRE_HDR_LEN,
					       &used));
		EXPECT_EQ(1, d.k.begins);
		sink_free(&d.k);
		stream_free(&s);

		f.length = maxes[i] + 1;
		stream_with_bad(&s, &f, 3, maxes[i]);
		feeder_init(&d, maxes[i]);
		EXPECT_EQ(EVS_PARSE_ERROR, feed(&d, s.buf, s.len));
		EXPECT_EQ(EVS_FRAME_ERR_LENGTH, d.p.err);
		/* The frames before it are out; it never starts. */
		EXPECT_EQ(3, d.k.begins);
		same_frames(_metadata, &d, &s, 3);
		sink_free(&d.k);
		stream_free(&s);
	}
	EXPECT_EQ(0, leaks());
}

TEST(first_bad_field_reported)
{
	/* Everything wrong at once: the parser reports the magic. */
	struct evs_frame f = hdr(1 << 20, 1, 7, 0x80, 1);
	struct stream s = {};
	struct feeder d;

	f.magic = 1;
	f.version = 9;
	f.reserved = 1;
	stream_with_bad(&s, &f, 3, TEST_MAX);
	feeder_init(&d, TEST_MAX);
	EXPECT_EQ(EVS_PARSE_ERROR, feed(&d, s.buf, s.len));
	EXPECT_EQ(EVS_FRAME_ERR_MAGIC, d.p.err);
	same_frames(_metadata, &d, &s, 3);
	sink_free(&d.k);
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

/* ---- Idle ---- */

TEST(idle_at_and_between_boundaries)
{
	struct stream s = {};
	struct feeder d;
	size_t used, off;

	stream_abcd(&s);
	feeder_init(&d, TEST_MAX);
	EXPECT_TRUE(evs_parser_idle(&d.p));

	/* Inside A's header, then its payload: not idle. */
	for (off = 0; off < s.end[0] - 1; off++) {
		EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf + off, 1, &used));
		EXPECT_FALSE(evs_parser_idle(&d.p));
	}
	/* A's last byte. */
	EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf + off, 1, &used));
	EXPECT_TRUE(evs_parser_idle(&d.p));
	off++;

	/* B waiting for a buffer is not idle; ending B is. */
	d.k.begin_nulls = 1;
	d.k.end_falses = 1;
	EXPECT_EQ(EVS_PARSE_PAUSED, call(&d, s.buf + off, s.len - off,
					 &used));
	EXPECT_EQ(EVS_WIRE_HDR_LEN, used);
	EXPECT_FALSE(evs_parser_idle(&d.p));
	off += used;
	EXPECT_EQ(EVS_PARSE_PAUSED, call(&d, s.buf + off, s.len - off,
					 &used));
	off += used;
	EXPECT_EQ(s.end[1], off);
	EXPECT_TRUE(evs_parser_idle(&d.p));

	/* C has no payload: idle again after its sixteenth byte. */
	EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf + off, 15, &used));
	EXPECT_FALSE(evs_parser_idle(&d.p));
	off += used;
	EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf + off, 1, &used));
	EXPECT_TRUE(evs_parser_idle(&d.p));
	off += used;
	EXPECT_EQ(s.end[2], off);
	EXPECT_EQ(3, d.k.n);

	/* D, all but its last byte; then the rest. */
	EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf + off, s.len - off - 1,
				       &used));
	EXPECT_FALSE(evs_parser_idle(&d.p));
	off += used;
	EXPECT_EQ(EVS_PARSE_MORE, call(&d, s.buf + off, 1, &used));
	EXPECT_TRUE(evs_parser_idle(&d.p));
	same_frames(_metadata, &d, &s, s.n);

	/* And an error is not a clean end. */
	{
		static const u8 junk[EVS_WIRE_HDR_LEN] = { 0x12, 0x34 };

		EXPECT_EQ(EVS_PARSE_ERROR, call(&d, junk, sizeof(junk),
						&used));
		EXPECT_FALSE(evs_parser_idle(&d.p));
	}
	sink_free(&d.k);
	stream_free(&s);
	EXPECT_EQ(0, leaks());
}

TEST_HARNESS_MAIN
