// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of the userspace wire helpers (lib/evs_wire.c) and endpoint
 * parsing (lib/evs_addr.c): frame bytes written out by hand from
 * docs/protocol.md, server frames fed in every possible cut, cumulative
 * acks across the 2^32 wrap, and evload's self-checking payload, which
 * must catch any corrupted byte.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "../lib/evs_addr.h"
#include "../lib/evs_wire.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

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

static void test_put_frame(void)
{
	static const unsigned char want[] = {
		0x45, 0x76, 0x01, 0x01, 0x00, 0x00, 0x00, 0x03,
		0xbe, 0xef, 0xff, 0x00, 0xa1, 0xb2, 0xc3, 0xd4,
		'a', 'b', 'c',
	};
	unsigned char buf[64];
	size_t n;

	memset(buf, 0x55, sizeof(buf));
	n = evs_wire_put_frame(buf, EVS_WIRE_F_ACK_REQ, 0xbeef, EVS_PRIO_AUTO,
			       0xa1b2c3d4, "abc", 3);
	CHECK(n == sizeof(want) && !memcmp(buf, want, n) && buf[n] == 0x55,
	      "frame bytes as the protocol table says");
	n = evs_wire_put_frame(buf, 0, 1, EVS_PRIO_RT, 0, NULL, 0);
	CHECK(n == EVS_WIRE_HDR_LEN && buf[3] == 0 && buf[7] == 0,
	      "empty frame");
}

/* An ACK for seq 0x01020304, then ERROR "bad magic\n\x01" for seq 9. */
static const unsigned char srv_stream[] = {
	0x45, 0x76, 0x01, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04,
	0x45, 0x76, 0x01, 0x40, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0, 0, 9,
	'b', 'a', 'd', ' ', 'm', 'a', 'g', 'i', 'c', '\n', 0x01,
};

/* Feeds @len bytes in pieces of @step; true when both frames come out. */
static bool feed(size_t step)
{
	struct evs_srv_reader r;
	enum evs_srv_status st;
	size_t off = 0, used;
	bool ack = false, err = false;

	evs_srv_reader_init(&r);
	while (off < sizeof(srv_stream)) {
		size_t n = sizeof(srv_stream) - off < step ?
			   sizeof(srv_stream) - off : step;

		st = evs_srv_read(&r, srv_stream + off, n, &used);
		off += used;
		if (st == EVS_SRV_ACK)
			ack = !err && r.frame.seq == 0x01020304;
		else if (st == EVS_SRV_ERROR)
			err = ack && r.frame.seq == 9 &&
			      !strcmp(r.reason, "bad magic??");
		else if (st == EVS_SRV_BAD)
			return false;
		else if (used != n)
			return false;
	}
	return ack && err && evs_srv_reader_idle(&r);
}

static void test_srv_reader(void)
{
	unsigned char bad[EVS_WIRE_HDR_LEN];
	struct evs_srv_reader r;
	bool all = true;
	size_t step, used;

	for (step = 1; step <= sizeof(srv_stream); step++)
		all &= feed(step);
	CHECK(all, "ACK and ERROR read whatever the cuts");

	/* ACK with a payload, both flags, no flag: not from a server. */
	memcpy(bad, srv_stream, sizeof(bad));
	bad[7] = 1;
	evs_srv_reader_init(&r);
	CHECK(evs_srv_read(&r, bad, sizeof(bad), &used) == EVS_SRV_BAD &&
	      evs_srv_read(&r, bad, sizeof(bad), &used) == EVS_SRV_BAD &&
	      !used && !evs_srv_reader_idle(&r), "ACK with a length refused");
	bad[7] = 0;
	bad[3] = EVS_WIRE_F_ACK | EVS_WIRE_F_ERROR;
	evs_srv_reader_init(&r);
	CHECK(evs_srv_read(&r, bad, sizeof(bad), &used) == EVS_SRV_BAD,
	      "ACK|ERROR refused");
	bad[3] = 0;
	evs_srv_reader_init(&r);
	CHECK(evs_srv_read(&r, bad, sizeof(bad), &used) == EVS_SRV_BAD,
	      "client frame refused");
	bad[3] = EVS_WIRE_F_ACK;
	bad[0] = 0x46;
	evs_srv_reader_init(&r);
	CHECK(evs_srv_read(&r, bad, sizeof(bad), &used) == EVS_SRV_BAD,
	      "bad magic refused");
}

static void test_acks(void)
{
	uint64_t n;

	CHECK(!evs_ack_advance(0, 10, 0, 4, &n) && n == 5, "ack 4 of 0..9");
	CHECK(!evs_ack_advance(5, 10, 0, 4, &n) && n == 5, "ack 4 again");
	CHECK(!evs_ack_advance(5, 10, 0, 2, &n) && n == 5, "older ack");
	CHECK(!evs_ack_advance(5, 10, 0, 9, &n) && n == 10, "ack of all");
	CHECK(evs_ack_advance(5, 10, 0, 10, &n) == -ERANGE && n == 5,
	      "ack of an event not sent");
	CHECK(!evs_ack_advance(10, 10, 0, 9, &n) && n == 10,
	      "repeated ack when nothing is outstanding");
	/* Seqs 0xfffffffe, 0xffffffff, 0, 1, 2: the wrap. */
	CHECK(!evs_ack_advance(0, 5, 0xfffffffe, 1, &n) && n == 4,
	      "ack across the wrap");
	CHECK(!evs_ack_advance(4, 5, 0xfffffffe, 0xffffffff, &n) && n == 4,
	      "old ack from before the wrap");
	/* Past 2^32 events on one connection. */
	CHECK(!evs_ack_advance((1ULL << 32) + 7, (1ULL << 32) + 20, 0, 10,
			       &n) && n == (1ULL << 32) + 11,
	      "after 2^32 events");
}

static void test_load_payload(void)
{
	struct evs_load_id id = { 0x0123456789abcdefULL, 3, 77 }, got;
	unsigned char buf[300], copy[300];
	bool all = true;
	uint32_t i;

	evs_load_fill(buf, sizeof(buf), &id);
	CHECK(buf[0] == 0x45 && buf[1] == 0x76 && buf[2] == 0x4c &&
	      buf[3] == 0x64 && buf[8] == 0x01 && buf[15] == 0xef &&
	      buf[19] == 3 && buf[23] == 77, "header layout");
	CHECK(evs_fnv1a32("a", 1, EVS_FNV1A_INIT) == 0xe40c292c &&
	      evs_fnv1a32("foobar", 6, EVS_FNV1A_INIT) == 0xbf9cf968,
	      "FNV-1a 32 test vectors");
	CHECK(evs_load_check(buf, sizeof(buf), id.run, &got) == EVS_LOAD_OK &&
	      got.run == id.run && got.conn == 3 && got.index == 77,
	      "own payload checks out");
	CHECK(evs_load_check(buf, sizeof(buf), id.run + 1, &got) ==
	      EVS_LOAD_FOREIGN, "other run is foreign");
	CHECK(evs_load_check(buf, EVS_LOAD_HDR_LEN - 1, id.run, &got) ==
	      EVS_LOAD_FOREIGN, "short payload is foreign");
	CHECK(evs_load_check(buf, sizeof(buf) - 1, id.run, &got) ==
	      EVS_LOAD_BAD_SUM, "truncated payload caught");

	/* Every single flipped bit after the magic and run id is caught. */
	for (i = 4; i < sizeof(buf) * 8 && all; i++) {
		enum evs_load_check c;

		if (i / 8 >= 8 && i / 8 < 16)
			continue;	/* the run id: foreign, tested above */
		if (i / 8 < 4)
			continue;
		memcpy(copy, buf, sizeof(buf));
		copy[i / 8] ^= 1 << (i % 8);
		c = evs_load_check(copy, sizeof(copy), id.run, &got);
		all = c == EVS_LOAD_BAD_SUM || c == EVS_LOAD_BAD_FILL;
	}
	CHECK(all, "every flipped bit caught");

	/* A consistent payload of another event: sum fine, filler not. */
	id.index = 78;
	evs_load_fill(copy, sizeof(copy), &id);
	memcpy(copy + EVS_LOAD_HDR_LEN, buf + EVS_LOAD_HDR_LEN,
	       sizeof(buf) - EVS_LOAD_HDR_LEN);
	memset(copy + 4, 0, 4);
	{
		uint32_t sum = evs_fnv1a32(copy + 8, sizeof(copy) - 8,
					   EVS_FNV1A_INIT);

		copy[4] = (unsigned char)(sum >> 24);
		copy[5] = (unsigned char)(sum >> 16);
		copy[6] = (unsigned char)(sum >> 8);
		copy[7] = (unsigned char)sum;
	}
	CHECK(evs_load_check(copy, sizeof(copy), id.run, &got) ==
	      EVS_LOAD_BAD_FILL, "filler of another event caught");

	/* Neighbouring events get different filler. */
	id.index = 77;
	evs_load_fill(buf, 64, &id);
	id.index = 78;
	evs_load_fill(copy, 64, &id);
	CHECK(memcmp(buf + EVS_LOAD_HDR_LEN, copy + EVS_LOAD_HDR_LEN,
		     64 - EVS_LOAD_HDR_LEN), "filler differs per event");
	evs_load_fill(buf, EVS_LOAD_HDR_LEN, &id);
	CHECK(evs_load_check(buf, EVS_LOAD_HDR_LEN, id.run, &got) ==
	      EVS_LOAD_OK, "header-only payload");
}

/* Why each bad endpoint is refused, and scopes and names. */
static void test_addr_lookup(void)
{
	static const struct {
		const char *s;
		int err;
	} bad[] = {
		{ "127.0.0.1", EVS_ADDR_E_NO_PORT },
		{ "127.0.0.1:", EVS_ADDR_E_NO_PORT },
		{ "[::1]", EVS_ADDR_E_NO_PORT },
		{ "127.0.0.1:65536", EVS_ADDR_E_PORT_RANGE },
		{ "127.0.0.1:99999999999999999999999", EVS_ADDR_E_PORT_RANGE },
		{ "127.0.0.1:+1", EVS_ADDR_E_PORT },
		{ "127.0.0.1:x", EVS_ADDR_E_PORT },
		{ "[::1]7000", EVS_ADDR_E_BRACKETS },
		{ "[::1:7000", EVS_ADDR_E_BRACKETS },
		{ "::1]:7000", EVS_ADDR_E_BRACKETS },
		{ "[[::1]:7000", EVS_ADDR_E_BRACKETS },
		{ "::1:7000", EVS_ADDR_E_NEED_BRACKETS },
		{ "fe80::1%lo:7000", EVS_ADDR_E_NEED_BRACKETS },
		{ "[1.2.3.4]:1", EVS_ADDR_E_HOST },
		{ "[localhost]:1", EVS_ADDR_E_HOST },
		{ ":1", EVS_ADDR_E_NO_HOST },
		{ "[]:1", EVS_ADDR_E_NO_HOST },
		{ "[fe80::1%]:1", EVS_ADDR_E_SCOPE },
		{ "[fe80::1%0]:1", EVS_ADDR_E_SCOPE },
		{ "[fe80::1%4294967296]:1", EVS_ADDR_E_SCOPE },
		{ "[fe80::1%evs-nosuch0]:1", EVS_ADDR_E_SCOPE },
		{ "[fe80::1%aaaaaaaaaaaaaaaaaaaaaaa]:1", EVS_ADDR_E_SCOPE },
		{ "[fe80::1%%lo]:1", EVS_ADDR_E_SCOPE },
	};
	char buf[EVS_ADDR_STRLEN], name[IF_NAMESIZE];
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	unsigned int i, lo = if_nametoindex("lo");
	struct evs_addr a;
	int err;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err = evs_addr_lookup(bad[i].s, EVS_ADDR_NAME, &a);
		CHECK(err == bad[i].err, "'%s': %s", bad[i].s,
		      evs_addr_strerror(err));
	}
	CHECK(!strcmp(evs_addr_strerror(EVS_ADDR_E_PORT_RANGE),
		      "port out of range (0..65535)"), "port range message");

	/* A scope by name and by number, kept for the socket. */
	CHECK(lo, "lo is interface %u", lo);
	err = evs_addr_lookup("[fe80::1%lo]:7000", 0, &a);
	CHECK(!err && a.family == AF_INET6 && a.scope_id == lo &&
	      a.port == 7000 &&
	      !strcmp(evs_addr_format(&a, buf, sizeof(buf)),
		      "[fe80::1%lo]:7000") &&
	      !strcmp(evs_addr_ntop(&a, buf, sizeof(buf)), "fe80::1"),
	      "scope by name: %s", evs_addr_strerror(err));
	CHECK(evs_addr_sockaddr(&a, &ss) == sizeof(*sin6) &&
	      sin6->sin6_scope_id == lo && sin6->sin6_port == htons(7000),
	      "scope in the sockaddr");
	snprintf(buf, sizeof(buf), "[fe80::1%%%u]:1", lo);
	err = evs_addr_lookup(buf, 0, &a);
	CHECK(!err && a.scope_id == lo &&
	      !strcmp(evs_addr_format(&a, buf, sizeof(buf)), "[fe80::1%lo]:1"),
	      "scope by number, shown by name");
	a.scope_id = 4000000000U;
	CHECK(!if_indextoname(a.scope_id, name) &&
	      !strcmp(evs_addr_format(&a, buf, sizeof(buf)),
		      "[fe80::1%4000000000]:1"), "a scope without a name");

	/* Names only when asked for; the port is never a service name. */
	CHECK(evs_addr_lookup("localhost:7", 0, &a) == EVS_ADDR_E_HOST,
	      "no names without EVS_ADDR_NAME");
	err = evs_addr_lookup("localhost:7", EVS_ADDR_NAME, &a);
	CHECK(!err && a.port == 7 &&
	      ((a.family == AF_INET && a.in.s_addr == htonl(0x7f000001)) ||
	       (a.family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a.in6))),
	      "localhost: %s", evs_addr_strerror(err));
	CHECK(evs_addr_lookup("localhost:echo", EVS_ADDR_NAME, &a) ==
	      EVS_ADDR_E_PORT, "no service names");
	CHECK(evs_addr_lookup("127.0.0.1:7", EVS_ADDR_NAME, &a) == 0 &&
	      a.family == AF_INET, "numeric with names allowed");
}

static void test_addr(void)
{
	char buf[EVS_ADDR_STRLEN];
	struct evs_addr a;

	CHECK(!evs_addr_parse("127.0.0.1:7000", &a) && a.family == AF_INET &&
	      a.port == 7000 && a.in.s_addr == htonl(0x7f000001) &&
	      !strcmp(evs_addr_format(&a, buf, sizeof(buf)),
		      "127.0.0.1:7000"), "IPv4");
	CHECK(!evs_addr_parse("[2001:db8::1]:65535", &a) &&
	      a.family == AF_INET6 && a.port == 65535 &&
	      !strcmp(evs_addr_format(&a, buf, sizeof(buf)),
		      "[2001:db8::1]:65535") &&
	      !strcmp(evs_addr_ntop(&a, buf, sizeof(buf)), "2001:db8::1"),
	      "IPv6");
	CHECK(!evs_addr_parse("0.0.0.0:0", &a) && a.port == 0, "any, port 0");
	CHECK(evs_addr_parse("127.0.0.1", &a) == -EINVAL &&
	      evs_addr_parse("127.0.0.1:", &a) == -EINVAL &&
	      evs_addr_parse("127.0.0.1:65536", &a) == -EINVAL &&
	      evs_addr_parse("127.0.0.1:+1", &a) == -EINVAL &&
	      evs_addr_parse("127.0.0.1:x", &a) == -EINVAL &&
	      evs_addr_parse("::1:7000", &a) == -EINVAL &&
	      evs_addr_parse("[::1]7000", &a) == -EINVAL &&
	      evs_addr_parse("[::1:7000", &a) == -EINVAL &&
	      evs_addr_parse("[1.2.3.4]:1", &a) == -EINVAL &&
	      evs_addr_parse("localhost:1", &a) == -EINVAL &&
	      evs_addr_parse(":1", &a) == -EINVAL, "bad endpoints refused");
	test_addr_lookup();
}

int main(void)
{
	test_put_frame();
	test_srv_reader();
	test_acks();
	test_load_payload();
	test_addr();
	printf("%s: %d failed\n", __FILE__, failures);
	return failures ? 1 : 0;
}
