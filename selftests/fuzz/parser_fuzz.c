// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the streaming frame parser, include/evstream/
 * parser.h.  The module runs that code on bytes from anyone who can
 * reach a listener, cut wherever TCP cuts them, so the fuzzer checks
 * three things agree on every input: a model of the protocol written
 * from docs/protocol.md, the parser fed the stream in one call, and the
 * parser fed it in pieces while its callbacks pause it.
 *
 * Input:
 *	byte 0		max_payload, an index into max_payloads[]
 *	byte 1		pauses: low nibble for begin, high nibble for end
 *	byte 2		k, the number of piece lengths (k % 33)
 *	k bytes		piece lengths, used in turn until the stream is fed
 *	the rest	the stream
 *
 * From the top of the tree, with this file as SRC:
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *		-Iinclude/uapi -Iinclude -o parser_fuzz SRC
 *	./parser_fuzz CORPUS_DIR selftests/fuzz/corpus/parser
 *
 * CORPUS_DIR gets what the fuzzer finds: make it a copy of the seeds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <evstream/parser.h>

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

/* Limits either side of every edge, and one above the hard cap. */
static const u32 max_payloads[16] = {
	0, 1, 2, 15, 16, 17, 100, 255, 256, 1000, 4095,
	EVS_WIRE_PAYLOAD_DEFAULT, 4097, EVS_WIRE_PAYLOAD_CAP - 1,
	EVS_WIRE_PAYLOAD_CAP, 0xffffffffu,
};

/* ---- The model: what docs/protocol.md says should come out ---- */

struct model_frame {
	struct evs_frame f;
	size_t payload;		/* offset of the payload in the stream */
};

struct model {
	struct model_frame *v;
	size_t n;
	enum evs_parse_status st;	/* MORE or ERROR */
	enum evs_frame_err err;
	size_t used;
	bool idle;
};

static u32 be(const u8 *p, int bytes)
{
	u32 v = 0;

	while (bytes--)
		v = v << 8 | *p++;
	return v;
}

/* Decoded by hand, not by evs_frame_decode(), and checked in wire order. */
static enum evs_frame_err model_header(const u8 *h, u32 max,
				       struct evs_frame *f)
{
	u32 limit = max < EVS_WIRE_PAYLOAD_CAP ? max : EVS_WIRE_PAYLOAD_CAP;

	f->magic = (u16)be(h, 2);
	f->version = h[2];
	f->flags = h[3];
	f->length = be(h + 4, 4);
	f->topic = (u16)be(h + 8, 2);
	f->priority = h[10];
	f->reserved = h[11];
	f->seq = be(h + 12, 4);
	if (f->magic != 0x4576)
		return EVS_FRAME_ERR_MAGIC;
	if (f->version != 1)
		return EVS_FRAME_ERR_VERSION;
	if ((f->flags & 0xfe) || f->reserved)
		return EVS_FRAME_ERR_RESERVED;
	if (f->length > limit)
		return EVS_FRAME_ERR_LENGTH;
	if (f->priority > 2 && f->priority != 255)
		return EVS_FRAME_ERR_PRIORITY;
	return EVS_FRAME_OK;
}

static void model_run(struct model *m, const u8 *s, size_t len, u32 max)
{
	size_t pos = 0;

	memset(m, 0, sizeof(*m));
	/* Frames are at least a header: this many at most. */
	m->v = malloc((len / EVS_WIRE_HDR_LEN + 1) * sizeof(*m->v));
	CHECK(m->v);
	m->st = EVS_PARSE_MORE;
	for (;;) {
		struct evs_frame f;

		if (len - pos < EVS_WIRE_HDR_LEN) {
			/* A partial header is consumed, and waits. */
			m->used = len;
			m->idle = pos == len;
			return;
		}
		m->err = model_header(s + pos, max, &f);
		if (m->err != EVS_FRAME_OK) {
			m->st = EVS_PARSE_ERROR;
			m->used = pos + EVS_WIRE_HDR_LEN;
			return;
		}
		if (len - pos - EVS_WIRE_HDR_LEN < f.length) {
			m->used = len;
			return;
		}
		m->v[m->n].f = f;
		m->v[m->n].payload = pos + EVS_WIRE_HDR_LEN;
		m->n++;
		pos += EVS_WIRE_HDR_LEN + f.length;
	}
}

/* ---- The parser's user: checks each frame against the model ---- */

struct sink {
	const struct model *m;
	const u8 *stream;
	u32 max;
	size_t n;		/* frames ended */
	void *open;		/* buffer from begin, not yet ended */
	struct evs_frame open_f;
	u8 begin_pat, end_pat;	/* which calls pause, by call number */
	unsigned int begins, ends;
	bool begin_paused;
};

static void *sink_begin(void *ctx, const struct evs_frame *f, size_t off)
{
	struct sink *k = ctx;
	bool pause;
	void *buf;

	(void)off;	/* a buffer as soon as the header is in */
	CHECK(!k->open);
	CHECK(evs_frame_check(f, k->max) == EVS_FRAME_OK);
	pause = k->begin_pat >> (k->begins++ & 3) & 1;
	/* Never twice in a row, or a pattern of all ones never ends. */
	if (k->begin_paused)
		pause = false;
	k->begin_paused = pause;
	if (pause)
		return NULL;
	buf = malloc(f->length);	/* non-NULL for 0 too, in glibc */
	CHECK(buf);
	k->open = buf;
	k->open_f = *f;
	return buf;
}

static bool sink_end(void *ctx, const struct evs_frame *f, void *buf)
{
	struct sink *k = ctx;
	const struct model_frame *w;

	CHECK(k->open && buf == k->open);
	CHECK(!memcmp(f, &k->open_f, sizeof(*f)));
	CHECK(k->n < k->m->n);
	w = &k->m->v[k->n];
	CHECK(!memcmp(f, &w->f, sizeof(*f)));
	CHECK(!memcmp(buf, k->stream + w->payload, f->length));
	free(buf);
	k->open = NULL;
	k->n++;
	return !(k->end_pat >> (k->ends++ & 3) & 1);
}

static void sink_copy(void *dst, const void *src, size_t off, size_t len)
{
	memcpy(dst, (const u8 *)src + off, len);
}

static const struct evs_parser_ops sink_ops = {
	.begin = sink_begin,
	.end = sink_end,
	.copy = sink_copy,
};

/* One call on a private copy of exactly @len bytes, for ASan's sake. */
static enum evs_parse_status call(struct evs_parser *p, struct sink *k,
				  const u8 *src, size_t len, size_t *used)
{
	enum evs_parse_status st;
	u8 *piece = malloc(len ? len : 1);

	CHECK(piece);
	memcpy(piece, src, len);
	*used = SIZE_MAX;
	st = evs_parse(p, &sink_ops, k, piece, len, used);
	free(piece);
	CHECK(*used <= len);
	CHECK(st != EVS_PARSE_MORE || *used == len);
	CHECK(st != EVS_PARSE_ERROR || p->err != EVS_FRAME_OK);
	return st;
}

static size_t piece_len(u8 b)
{
	/* Mostly short pieces, so cuts land inside headers; a few long. */
	return b < 224 ? b : (size_t)(b - 223) * 128;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const u8 *cuts, *s;
	size_t ncuts, len, off, used, total, i, fed_in_round;
	enum evs_parse_status st;
	struct evs_parser p;
	struct sink k;
	struct model m;
	u32 max;

	if (size < 3)
		return 0;
	max = max_payloads[data[0] & 15];
	ncuts = data[2] % 33;
	if (size < 3 + ncuts)
		return 0;
	cuts = data + 3;
	s = cuts + ncuts;
	len = size - 3 - ncuts;

	model_run(&m, s, len, max);

	/* In one call, never paused: exactly the model. */
	memset(&k, 0, sizeof(k));
	k.m = &m;
	k.stream = s;
	k.max = max;
	evs_parser_init(&p, max);
	st = evs_parse(&p, &sink_ops, &k, s, len, &used);
	CHECK(st == m.st);
	CHECK(used == m.used);
	CHECK(k.n == m.n);
	CHECK(st != EVS_PARSE_ERROR || p.err == m.err);
	CHECK(evs_parser_idle(&p) == m.idle);
	free(k.open);

	/* In pieces, resuming after every pause: the same. */
	memset(&k, 0, sizeof(k));
	k.m = &m;
	k.stream = s;
	k.max = max;
	k.begin_pat = data[1] & 15;
	k.end_pat = data[1] >> 4;
	evs_parser_init(&p, max);
	st = EVS_PARSE_MORE;
	off = 0;
	i = 0;
	fed_in_round = 0;
	while (st != EVS_PARSE_ERROR) {
		size_t n = ncuts ? piece_len(cuts[i % ncuts]) : len - off;

		/* A round of empty pieces would never end: finish. */
		if (ncuts && i && i % ncuts == 0) {
			if (!fed_in_round)
				n = len - off;
			fed_in_round = 0;
		}
		if (n > len - off)
			n = len - off;
		i++;
		fed_in_round += n;
		total = 0;
		do {
			st = call(&p, &k, s + off + total, n - total, &used);
			total += used;
		} while (st == EVS_PARSE_PAUSED);
		off += total;
		if (off == len && st == EVS_PARSE_MORE)
			break;
	}
	CHECK(st == m.st);
	CHECK(off == m.used);
	CHECK(k.n == m.n);
	CHECK(st != EVS_PARSE_ERROR || p.err == m.err);
	CHECK(evs_parser_idle(&p) == m.idle);
	if (st == EVS_PARSE_ERROR) {
		/* Stuck: nothing more is consumed or delivered. */
		CHECK(call(&p, &k, s + off, len - off, &used) ==
		      EVS_PARSE_ERROR);
		CHECK(used == 0 && k.n == m.n && p.err == m.err);
	}
	free(k.open);
	free(m.v);
	return 0;
}
