// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of evs_read_topic() against the fake kernel (fake_kernel.c,
 * linked with --wrap): whole and fragmented payloads, FROM and COUNT,
 * stopping early, callback errors, interrupted dumps resumed from the
 * right event, and malformed dumps.  The fake's store of topic 7 holds
 * seqs 3..6; seq 5 is a 10000-byte payload sent in 3000-byte fragments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/evs_read.h"

static int failures;

#define CHECK(cond, ...)						\
	do {								\
		bool __ok = (cond);					\
									\
		printf(__ok ? "ok - " : "not ok - ");			\
		printf(__VA_ARGS__);					\
		putchar('\n');						\
		if (!__ok) {						\
			printf("#  %s:%d: %s\n", __FILE__, __LINE__,	\
			       #cond);					\
			failures++;					\
		}							\
	} while (0)

struct got {
	unsigned int nr;
	uint64_t seqs[16];
	bool big_ok;		/* seq 5 arrived whole and right */
	bool meta_ok;		/* every event's metadata as the fake has it */
	unsigned int stop_at;	/* return 1 at this call */
	int fail_with;		/* return this at the first call */
};

static bool big_payload_ok(const struct evs_event *ev)
{
	const unsigned char *p = ev->data;
	uint32_t i;

	if (ev->len != 10000)
		return false;
	for (i = 0; i < ev->len; i++)
		if (p[i] != (unsigned char)(i * 7 + 5))
			return false;
	return true;
}

static bool meta_ok(const struct evs_event *ev)
{
	if (ev->topic != 7 || ev->ts_ingest != 1000 * ev->seq ||
	    ev->ts_dequeue != 1000 * ev->seq + 250 ||
	    ev->ts_done != 1000 * ev->seq + 500)
		return false;
	switch (ev->seq) {
	case 3:
		return ev->conn == 1 && ev->client_seq == 10 &&
		       ev->prio == EVS_PRIO_RT && ev->len == 5 &&
		       !memcmp(ev->data, "hello", 5);
	case 4:
		return ev->conn == 1ULL << 40 &&
		       ev->client_seq == 4294967295U &&
		       ev->prio == EVS_PRIO_BATCH && ev->len == 0;
	case 5:
		return ev->conn == 1 && ev->client_seq == 11 &&
		       ev->prio == EVS_PRIO_TX && big_payload_ok(ev);
	case 6:
		return ev->conn == 1 && ev->client_seq == 12 &&
		       ev->len == 6 && !memcmp(ev->data, "\x00\xff" "bin\n", 6);
	default:
		return false;
	}
}

static int collect(const struct evs_event *ev, void *data)
{
	struct got *g = data;

	if (g->fail_with)
		return g->fail_with;
	if (g->nr < 16)
		g->seqs[g->nr] = ev->seq;
	g->nr++;
	if (!meta_ok(ev))
		g->meta_ok = false;
	if (ev->seq == 5)
		g->big_ok = big_payload_ok(ev);
	if (g->stop_at && g->nr == g->stop_at)
		return 1;
	return 0;
}

static bool seqs_are(const struct got *g, unsigned int nr, ...)
{
	va_list ap;
	unsigned int i;
	bool ok = g->nr == nr;

	va_start(ap, nr);
	for (i = 0; i < nr; i++)
		if (va_arg(ap, int) != (int)g->seqs[i] || i >= g->nr)
			ok = false;
	va_end(ap);
	return ok;
}

/* mkstemp() fills in the X. */
static char trace[32];

/* The requests the fake saw since the last call, lines joined by '|'. */
static char *take_trace(void)
{
	static char buf[4096];
	FILE *f = fopen(trace, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	for (n = 0; buf[n]; n++)
		if (buf[n] == '\n')
			buf[n] = '|';
	if (truncate(trace, 0))
		perror("truncate");
	return buf;
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '|';
	return n;
}

static int run(struct evs_nl *nl, const char *mode, uint16_t topic,
	       uint64_t from, uint32_t count, struct got *g)
{
	setenv("EVS_FAKE", mode, 1);
	g->meta_ok = true;
	return evs_read_topic(nl, topic, from, count, collect, g);
}

int main(void)
{
	struct evs_nl nl;
	struct got g;
	char *t;
	int fd, err;

	strcpy(trace, "/tmp/evs_read_test.XXXXXX");
	fd = mkstemp(trace);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	setenv("EVS_FAKE_TRACE", trace, 1);
	setenv("EVS_FAKE", "ok", 1);
	err = evs_nl_open(&nl);
	CHECK(!err, "open the fake family: %d", err);
	if (err)
		return 1;
	take_trace();

	memset(&g, 0, sizeof(g));
	err = run(&nl, "ok", 7, 0, EVS_READ_ALL, &g);
	CHECK(!err && seqs_are(&g, 4, 3, 4, 5, 6), "all events: %d, %u",
	      err, g.nr);
	CHECK(g.meta_ok && g.big_ok, "metadata and reassembled payload");
	t = take_trace();
	CHECK(!strcmp(t, "READ TOPIC=u16:7 FROM=u64:0|"),
	      "request without COUNT: %s", t);

	memset(&g, 0, sizeof(g));
	err = run(&nl, "ok", 7, 5, 1, &g);
	CHECK(!err && seqs_are(&g, 1, 5) && g.big_ok && g.meta_ok,
	      "from 5 count 1: %d, %u", err, g.nr);
	t = take_trace();
	CHECK(!strcmp(t, "READ TOPIC=u16:7 FROM=u64:5 COUNT=u32:1|"),
	      "request with COUNT: %s", t);

	memset(&g, 0, sizeof(g));
	err = run(&nl, "ok", 7, 0, 2, &g);
	CHECK(!err && seqs_are(&g, 2, 3, 4), "count 2: %d, %u", err, g.nr);

	memset(&g, 0, sizeof(g));
	err = run(&nl, "ok", 8, 0, EVS_READ_ALL, &g);
	CHECK(!err && g.nr == 0, "empty topic: %d, %u", err, g.nr);

	memset(&g, 0, sizeof(g));
	g.stop_at = 1;
	err = run(&nl, "ok", 7, 0, EVS_READ_ALL, &g);
	CHECK(!err && seqs_are(&g, 1, 3), "callback stops: %d, %u", err,
	      g.nr);

	memset(&g, 0, sizeof(g));
	g.fail_with = -ENOSPC;
	err = run(&nl, "ok", 7, 0, EVS_READ_ALL, &g);
	CHECK(err == -ENOSPC, "callback error returned: %d", err);
	memset(&g, 0, sizeof(g));
	err = run(&nl, "ok", 7, 6, EVS_READ_ALL, &g);
	CHECK(!err && seqs_are(&g, 1, 6), "usable after callback error: %d",
	      err);
	take_trace();

	/* Interrupted inside event 5: resumed at 5, nothing twice. */
	memset(&g, 0, sizeof(g));
	err = run(&nl, "intr", 7, 0, EVS_READ_ALL, &g);
	CHECK(!err && seqs_are(&g, 4, 3, 4, 5, 6) && g.big_ok && g.meta_ok,
	      "interrupted dump resumed: %d, %u", err, g.nr);
	t = take_trace();
	CHECK(!strcmp(t, "READ TOPIC=u16:7 FROM=u64:0|"
		      "READ TOPIC=u16:7 FROM=u64:5|"),
	      "resumed from seq 5: %s", t);

	memset(&g, 0, sizeof(g));
	err = run(&nl, "intr", 7, 0, 3, &g);
	CHECK(!err && seqs_are(&g, 3, 3, 4, 5) && g.big_ok,
	      "interrupted dump with count: %d, %u", err, g.nr);
	t = take_trace();
	CHECK(!strcmp(t, "READ TOPIC=u16:7 FROM=u64:0 COUNT=u32:3|"
		      "READ TOPIC=u16:7 FROM=u64:5 COUNT=u32:1|"),
	      "resumed with the count left: %s", t);

	memset(&g, 0, sizeof(g));
	err = run(&nl, "intr-always", 7, 0, EVS_READ_ALL, &g);
	t = take_trace();
	CHECK(err == -EINTR && g.nr == 0 &&
	      count_lines(t) == EVS_READ_RETRIES + 1,
	      "gives up after %u retries: %d, %u requests", EVS_READ_RETRIES,
	      err, count_lines(t));

	memset(&g, 0, sizeof(g));
	err = run(&nl, "bad", 7, 0, EVS_READ_ALL, &g);
	CHECK(err == -EPROTO && seqs_are(&g, 2, 3, 4),
	      "hole in a payload: %d, %u", err, g.nr);

	memset(&g, 0, sizeof(g));
	err = run(&nl, "cut", 7, 0, EVS_READ_ALL, &g);
	CHECK(err == -EPROTO && seqs_are(&g, 2, 3, 4),
	      "unfinished event, nothing after it: %d, %u", err, g.nr);

	memset(&g, 0, sizeof(g));
	err = run(&nl, "eperm", 7, 0, EVS_READ_ALL, &g);
	CHECK(err == -EPERM && g.nr == 0, "kernel error: %d", err);

	evs_nl_close(&nl);
	unlink(trace);
	printf("%s: %d failed\n", __FILE__, failures);
	return failures ? 1 : 0;
}
