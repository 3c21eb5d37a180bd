// SPDX-License-Identifier: GPL-2.0
/*
 * parser_bench: throughput of the portable frame parser
 * (include/evstream/parser.h, evs_parse() with a memcpy copy op, as
 * evsink uses it) against plain memcpy() of the same bytes, in the same
 * run.
 *
 * A large buffer is filled with valid frames whose payload sizes are
 * drawn from a set (64, 512 and 4096 bytes by default, uniformly).  The
 * parser is fed the buffer in pieces (64 KiB, the size of a large read)
 * and copies every payload into a destination arena, one after the
 * other, as into freshly allocated events; the baseline memcpy()s the
 * same pieces into an arena of the same kind.  Both arenas are touched
 * before timing, so page faults are not measured.  Each repeat times
 * both, in alternating order; the table shows median, min and max over
 * the repeats, and the ratio parser / memcpy (median of the per-repeat
 * ratios, with its min and max).  The goal is a ratio of at least 0.5
 * for the mixed sizes.
 *
 * usage: parser_bench [--mb N] [--repeats N] [--chunk BYTES]
 *                     [--min-mb N] [--sizes A,B,...]
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <evstream/parser.h>

#include "bench.h"

#define MAX_SIZES	8

struct opts {
	size_t mb;		/* buffer of frames, MiB */
	size_t min_mb;		/* bytes per timed run, at least, MiB */
	size_t chunk;		/* bytes per evs_parse() call */
	unsigned int repeats;
	unsigned int nsizes;
	u32 sizes[MAX_SIZES];
};

struct arena {
	u8 *dst;
	size_t off;
	u64 frames;
};

static void *b_begin(void *ctx, const struct evs_frame *f, size_t off)
{
	struct arena *a = ctx;
	u8 *p = a->dst + a->off;

	(void)off;	/* a buffer as soon as the header is in */
	a->off += f->length;
	return p;
}

static bool b_end(void *ctx, const struct evs_frame *f, void *buf)
{
	struct arena *a = ctx;

	(void)f;
	(void)buf;
	a->frames++;
	return true;
}

static void b_copy(void *dst, const void *src, size_t off, size_t len)
{
	memcpy(dst, (const u8 *)src + off, len);
}

static const struct evs_parser_ops ops = {
	.begin = b_begin,
	.end = b_end,
	.copy = b_copy,
};

static u64 xorshift(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Fills @buf (@size bytes) with whole frames; returns the bytes used and
 * stores the frame count and payload total.
 */
static size_t make_frames(u8 *buf, size_t size, const struct opts *o,
			  u64 *frames, size_t *payload)
{
	u64 rng = 0x9e3779b97f4a7c15ULL;
	size_t len = 0;
	u32 seq = 0;

	*frames = 0;
	*payload = 0;
	for (;;) {
		u32 n = o->sizes[xorshift(&rng) % o->nsizes];
		struct evs_frame f = {
			.magic = EVS_WIRE_MAGIC,
			.version = EVS_WIRE_VERSION,
			.flags = EVS_WIRE_F_ACK_REQ,
			.length = n,
			.topic = (uint16_t)(seq % 7),
			.priority = (u8)(seq % 3),
			.seq = seq,
		};

		if (len + EVS_WIRE_HDR_LEN + n > size)
			break;
		evs_frame_encode(buf + len, &f);
		/* Non-zero, varying payload bytes. */
		memset(buf + len + EVS_WIRE_HDR_LEN, (int)(seq * 31 + 7), n);
		len += EVS_WIRE_HDR_LEN + n;
		*payload += n;
		(*frames)++;
		seq++;
	}
	return len;
}

/* One timed run of the parser over @passes passes; returns seconds. */
static double run_parser(const u8 *src, size_t len, u8 *dst,
			 size_t chunk, unsigned int passes, u64 *frames)
{
	struct arena a = { .dst = dst };
	struct evs_parser p;
	unsigned int pass;
	double t0, t1;
	size_t off, n, used;

	evs_parser_init(&p, EVS_WIRE_PAYLOAD_CAP);
	bench_barrier();
	t0 = bench_now();
	for (pass = 0; pass < passes; pass++) {
		a.off = 0;
		for (off = 0; off < len; off += n) {
			n = len - off < chunk ? len - off : chunk;
			if (evs_parse(&p, &ops, &a, src + off, n, &used) !=
			    EVS_PARSE_MORE || used != n) {
				fprintf(stderr, "parser_bench: parse failed at %zu\n",
					off);
				exit(1);
			}
		}
	}
	t1 = bench_now();
	bench_barrier();
	if (!evs_parser_idle(&p)) {
		fprintf(stderr, "parser_bench: parser not idle at the end\n");
		exit(1);
	}
	*frames = a.frames;
	return t1 - t0;
}

static double run_memcpy(const u8 *src, size_t len, u8 *dst,
			 size_t chunk, unsigned int passes)
{
	unsigned int pass;
	double t0, t1;
	size_t off, n;

	bench_barrier();
	t0 = bench_now();
	for (pass = 0; pass < passes; pass++)
		for (off = 0; off < len; off += n) {
			n = len - off < chunk ? len - off : chunk;
			memcpy(dst + off, src + off, n);
		}
	t1 = bench_now();
	bench_barrier();
	return t1 - t0;
}

/* The arena holds every payload of @src, in order: the parser is right. */
static bool check_arena(const u8 *src, size_t len, const u8 *dst)
{
	size_t off = 0, out = 0;
	struct evs_frame f;

	while (off < len) {
		evs_frame_decode(src + off, &f);
		if (memcmp(dst + out, src + off + EVS_WIRE_HDR_LEN, f.length))
			return false;
		out += f.length;
		off += EVS_WIRE_HDR_LEN + f.length;
	}
	return true;
}

static void sizes_name(const struct opts *o, char *buf, size_t size)
{
	size_t len = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < o->nsizes && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%u",
					i ? "," : "", o->sizes[i]);
}

/* Runs the comparison for @o->sizes; returns the median ratio. */
static double bench(const struct opts *o, bool goal)
{
	size_t size = o->mb << 20, len, payload;
	u8 *src = malloc(size), *dst_p, *dst_m;
	double *tp = calloc(o->repeats, sizeof(double));
	double *tm = calloc(o->repeats, sizeof(double));
	double *gp = calloc(o->repeats, sizeof(double));
	double *gm = calloc(o->repeats, sizeof(double));
	double *ratio = calloc(o->repeats, sizeof(double));
	struct bench_summary sp, sm, sr;
	u64 frames, got;
	unsigned int passes, r;
	char name[64];

	if (!src || !tp || !tm || !gp || !gm || !ratio) {
		fprintf(stderr, "parser_bench: out of memory\n");
		exit(1);
	}
	len = make_frames(src, size, o, &frames, &payload);
	dst_p = malloc(payload ? payload : 1);
	dst_m = malloc(len);
	if (!dst_p || !dst_m) {
		fprintf(stderr, "parser_bench: out of memory\n");
		exit(1);
	}
	/* Fault every page in before anything is timed. */
	memset(dst_p, 0, payload ? payload : 1);
	memset(dst_m, 0, len);
	passes = (unsigned int)(((o->min_mb << 20) + len - 1) / len);
	if (!passes)
		passes = 1;

	/* A warm-up pass of each, and the parser's output checked. */
	run_parser(src, len, dst_p, o->chunk, 1, &got);
	if (got != frames || !check_arena(src, len, dst_p)) {
		fprintf(stderr, "parser_bench: wrong output (%llu of %llu frames)\n",
			(unsigned long long)got, (unsigned long long)frames);
		exit(1);
	}
	run_memcpy(src, len, dst_m, o->chunk, 1);

	for (r = 0; r < o->repeats; r++) {
		/* Alternate who goes first: neither always gets a warm cache. */
		if (r % 2) {
			tm[r] = run_memcpy(src, len, dst_m, o->chunk, passes);
			tp[r] = run_parser(src, len, dst_p, o->chunk, passes, &got);
		} else {
			tp[r] = run_parser(src, len, dst_p, o->chunk, passes, &got);
			tm[r] = run_memcpy(src, len, dst_m, o->chunk, passes);
		}
		gp[r] = (double)len * passes / tp[r] / 1e9;
		gm[r] = (double)len * passes / tm[r] / 1e9;
		ratio[r] = gp[r] / gm[r];
	}
	sp = bench_summarize(gp, o->repeats);
	sm = bench_summarize(gm, o->repeats);
	sr = bench_summarize(ratio, o->repeats);

	sizes_name(o, name, sizeof(name));
	printf("\npayload size%s %s%s: %zu frames, %.1f MiB of frames, %u pass%s per run\n",
	       o->nsizes > 1 ? "s" : "", name,
	       o->nsizes > 1 ? " (uniform mix)" : " only", (size_t)frames,
	       (double)len / (1 << 20), passes, passes == 1 ? "" : "es");
	printf("  %-22s %9s %9s %9s %12s\n", "", "median", "min", "max",
	       "Mframes/s");
	printf("  %-22s %9.2f %9.2f %9.2f %12.1f   GB/s\n",
	       "evs_parse + memcpy op", sp.median, sp.min, sp.max,
	       sp.median * 1e9 / ((double)len / frames) / 1e6);
	printf("  %-22s %9.2f %9.2f %9.2f %12s   GB/s\n", "memcpy", sm.median,
	       sm.min, sm.max, "-");
	printf("  %-22s %9.3f %9.3f %9.3f%s\n", "ratio parser/memcpy",
	       sr.median, sr.min, sr.max,
	       goal ? (sr.median >= 0.5 ? "   goal >= 0.5: met" :
				  "   goal >= 0.5: NOT met") : "");
	free(src);
	free(dst_p);
	free(dst_m);
	free(tp);
	free(tm);
	free(gp);
	free(gm);
	free(ratio);
	return sr.median;
}

static void bad_args(void)
{
	fprintf(stderr,
		"usage: parser_bench [--mb N] [--min-mb N] [--repeats N]\n"
		"                    [--chunk BYTES] [--sizes A,B,...] [--mix-only]\n");
}

static void parse_sizes(const char *s, struct opts *o)
{
	char *copy = strdup(s), *tok, *save = NULL;

	o->nsizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->nsizes == MAX_SIZES) {
			fprintf(stderr, "at most %d sizes\n", MAX_SIZES);
			exit(2);
		}
		o->sizes[o->nsizes++] = (u32)bench_num(tok, 0,
					EVS_WIRE_PAYLOAD_CAP, "size");
	}
	free(copy);
	if (!o->nsizes)
		exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {
		.mb = 256,
		.min_mb = 1024,
		.chunk = 65536,
		.repeats = 7,
		.nsizes = 3,
		.sizes = { 64, 512, 4096 },
	};
	bool singles = true;
	unsigned int i;
	int a;

	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(arg, "--mix-only")) {
			singles = false;
			continue;
		}
		if (!val) {
			bad_args();
			return 2;
		}
		a++;
		if (!strcmp(arg, "--mb")) {
			o.mb = bench_num(val, 1, 4096, arg);
		} else if (!strcmp(arg, "--min-mb")) {
			o.min_mb = bench_num(val, 0, 1 << 20, arg);
		} else if (!strcmp(arg, "--repeats")) {
			o.repeats = (unsigned int)bench_num(val, 5, 1000, arg);
		} else if (!strcmp(arg, "--chunk")) {
			o.chunk = bench_num(val, 1, 1 << 30, arg);
		} else if (!strcmp(arg, "--sizes")) {
			parse_sizes(val, &o);
		} else {
			bad_args();
			return 2;
		}
	}

	printf("parser_bench: evs_parse() with a memcpy copy op vs memcpy() of the same bytes\n");
	printf("buffer %zu MiB in %zu-byte pieces, >= %zu MiB per timed run\n",
	       o.mb, o.chunk, o.min_mb);
	printf("%u repeats, order alternating\n", o.repeats);
	printf("GB/s are bytes of frames (headers included) per second, 10^9 bytes\n");
	bench(&o, true);
	if (singles && o.nsizes > 1) {
		struct opts one = o;

		for (i = 0; i < o.nsizes; i++) {
			one.nsizes = 1;
			one.sizes[0] = o.sizes[i];
			bench(&one, false);
		}
	}
	return 0;
}
