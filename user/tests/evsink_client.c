// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny client for the evsink tests: sends what evload cannot (a bad
 * header, a frame cut short by the FIN) after a few good frames, shuts
 * its side down and prints, one per line, what the server sent back:
 *
 *	ack SEQ
 *	error SEQ REASON
 *	eof			(orderly close)
 *	reset			(the server closed with bytes unread: RST)
 *
 * usage: evsink_client ADDR:PORT MODE [GOOD]
 *
 * MODE is magic, version, reserved, length, priority (a header with that
 * field wrong, seq 1000, after GOOD good frames with seqs 0..GOOD-1 that
 * ask for an ack), junk (a bad magic followed by bytes the server must
 * never read), truncated (GOOD good frames, then half a frame), zero
 * (GOOD good frames, then one with no payload and seq GOOD, the last
 * bytes before the FIN), good (GOOD good frames only), hold (GOOD good
 * frames, then a header with seq 1000 and half its payload; the other
 * half once stdin reaches EOF) or idle (GOOD good frames; once an ACK
 * covers them all, "acked" and, at stdin's EOF, the FIN).  Exit status
 * 0 when the exchange ended in eof or reset, 1 otherwise (timeout,
 * malformed reply), 2 usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "../lib/evs_addr.h"
#include "../lib/evs_wire.h"

#define BAD_SEQ		1000
#define PAYLOAD		100

static int bad_args(void)
{
	fprintf(stderr, "usage: evsink_client ADDR:PORT MODE [GOOD]\n"
		"MODE: magic, version, reserved, length, priority, junk,\n"
		"      truncated, zero, good, hold or idle\n");
	return 2;
}

static int send_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Blocks until stdin reaches EOF (the test closes its end of a FIFO). */
static void wait_stdin(void)
{
	char c[64];
	ssize_t n;

	do {
		n = read(0, c, sizeof(c));
	} while (n > 0 || (n < 0 && errno == EINTR));
}

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	struct timeval tv = { .tv_sec = 20 };
	struct evs_frame f = {
		.magic = EVS_WIRE_MAGIC,
		.version = EVS_WIRE_VERSION,
		.flags = EVS_WIRE_F_ACK_REQ,
		.topic = 3,
		.priority = EVS_PRIO_TX,
		.seq = BAD_SEQ,
	};
	uint8_t payload[PAYLOAD];
	struct sockaddr_storage ss;
	struct evs_srv_reader r;
	struct evs_addr addr;
	socklen_t slen;
	const char *mode;
	unsigned long good = 3, i;
	size_t len = 0, held = 0;
	bool idle;
	int fd;

	if (argc < 3 || argc > 4 || evs_addr_parse(argv[1], &addr))
		return bad_args();
	mode = argv[2];
	if (argc == 4)
		good = strtoul(argv[3], NULL, 10);
	/* The good frames, the last one and its junk fit in buf. */
	if ((good + 1) * (EVS_WIRE_HDR_LEN + PAYLOAD) + 1000 > sizeof(buf))
		return bad_args();

	memset(payload, 0xa5, sizeof(payload));
	for (i = 0; i < good; i++)
		len += evs_wire_put_frame(buf + len, EVS_WIRE_F_ACK_REQ, 3,
					  (uint8_t)(i % 3), (uint32_t)i,
					  payload, PAYLOAD);
	if (!strcmp(mode, "magic") || !strcmp(mode, "junk"))
		f.magic = 0x4577;
	else if (!strcmp(mode, "version"))
		f.version = 2;
	else if (!strcmp(mode, "reserved"))
		f.flags |= 0x02;
	else if (!strcmp(mode, "length"))
		f.length = EVS_WIRE_PAYLOAD_CAP + 1;
	else if (!strcmp(mode, "priority"))
		f.priority = 3;
	else if (strcmp(mode, "truncated") && strcmp(mode, "good") &&
		 strcmp(mode, "zero") && strcmp(mode, "hold") &&
		 strcmp(mode, "idle"))
		return bad_args();
	idle = !strcmp(mode, "idle");

	if (!strcmp(mode, "truncated") || !strcmp(mode, "hold")) {
		/* A header and half its payload: the FIN cuts it. */
		len += evs_wire_put_frame(buf + len, EVS_WIRE_F_ACK_REQ, 3, 1,
					  BAD_SEQ, payload, PAYLOAD);
		len -= PAYLOAD / 2;
		if (mode[0] == 'h') {
			/* The other half, the last bytes of the frame. */
			len += PAYLOAD / 2;
			held = PAYLOAD / 2;
		}
	} else if (!strcmp(mode, "zero")) {
		len += evs_wire_put_frame(buf + len, EVS_WIRE_F_ACK_REQ, 3, 2,
					  (uint32_t)good, NULL, 0);
	} else if (strcmp(mode, "good") && !idle) {
		evs_frame_encode(buf + len, &f);
		len += EVS_WIRE_HDR_LEN;
		if (!strcmp(mode, "junk")) {
			memset(buf + len, 0x5a, 1000);
			len += 1000;
		}
	}

	slen = evs_addr_sockaddr(&addr, &ss);
	fd = socket(addr.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&ss, slen) ||
	    send_all(fd, buf, len - held)) {
		perror("evsink_client");
		return 1;
	}
	if (held) {
		/* The server holds our unfinished frame until stdin ends. */
		wait_stdin();
		if (send_all(fd, buf + len - held, held)) {
			perror("evsink_client");
			return 1;
		}
	}
	if (!idle && shutdown(fd, SHUT_WR)) {
		perror("evsink_client");
		return 1;
	}

	evs_srv_reader_init(&r);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		size_t off = 0, used;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET) {
			printf("reset\n");
			return 0;
		}
		if (n < 0) {
			perror("evsink_client: read");
			return 1;
		}
		if (!n) {
			printf("eof%s\n", evs_srv_reader_idle(&r) ? "" : " mid-frame");
			return 0;
		}
		while (off < (size_t)n) {
			enum evs_srv_status st;

			st = evs_srv_read(&r, buf + off, (size_t)n - off, &used);
			off += used;
			if (st == EVS_SRV_ACK) {
				printf("ack %u\n", r.frame.seq);
				if (idle && good && r.frame.seq == good - 1) {
					/* All acked: then quiet until stdin ends. */
					printf("acked\n");
					fflush(stdout);
					wait_stdin();
					idle = false;
					if (shutdown(fd, SHUT_WR)) {
						perror("evsink_client");
						return 1;
					}
				}
			} else if (st == EVS_SRV_ERROR) {
				printf("error %u %s\n", r.frame.seq, r.reason);
			} else if (st == EVS_SRV_BAD) {
				printf("malformed flags 0x%02x length %u\n",
				       r.frame.flags, r.frame.length);
				return 1;
			}
		}
		fflush(stdout);
	}
}
