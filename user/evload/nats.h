/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The client side of the NATS protocol that evload needs to load
 * nats-server (core publish, and JetStream publish with PubAcks) from
 * the same pipelined sender it uses for evstream.  See nats.c.
 */
#ifndef EVLOAD_NATS_H
#define EVLOAD_NATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest subject or stream name evload takes: bounds a PUB line. */
#define NATS_NAME_MAX	255
/* Reply inboxes: "_INBOX." 16 hex digits "." */
#define NATS_INBOX_LEN	24
/* Largest line or message the server may send us (INFO, PubAcks). */
#define NATS_RD_SIZE	(64 * 1024)

enum nats_op { NATS_INFO, NATS_PING, NATS_PONG, NATS_OK, NATS_ERR, NATS_MSG };

/* One thing the server said; the pointers live until the next read. */
struct nats_item {
	enum nats_op op;
	const char *text;	/* INFO: its JSON; -ERR: the reason; MSG: subject */
	size_t text_len;
	const char *data;	/* MSG: the payload */
	size_t len;
};

struct nats_rd {
	int fd;
	size_t start, end;
	unsigned long fills;	/* read()s that brought data, for clock reuse */
	char buf[NATS_RD_SIZE];
};

enum { NATS_RD_OK = 0, NATS_RD_EOF = 1, NATS_RD_FAIL = -1 };

bool nats_subject_ok(const char *s);
bool nats_stream_name_ok(const char *s);
void nats_rd_init(struct nats_rd *rd, int fd);
bool nats_rd_idle(const struct nats_rd *rd);
/* Next item; @deadline (CLOCK_MONOTONIC ns) or 0 to block.  On
 * NATS_RD_FAIL, @err says why (also for a read error: errno is kept).
 */
int nats_next(struct nats_rd *rd, uint64_t deadline, struct nats_item *it,
	      char *err, size_t errlen);
int nats_hello(struct nats_rd *rd, uint64_t deadline, const char *inbox,
	       bool jetstream, char *err, size_t errlen);
int nats_stream_create(struct nats_rd *rd, uint64_t deadline,
		       const char *inbox, const char *name,
		       const char *subject, char *err, size_t errlen);
/*
 * A PubAck: 0 for a good one, else -1 and the server's reason in @err.
 * @stream_key: "stream":"<name>", made once per run.
 */
int nats_puback(const char *data, size_t len, const char *stream_key,
		char *err, size_t errlen);
int nats_send_all(int fd, const char *buf, size_t len);
/* Decimal digits of @v at @p; returns their number. */
size_t nats_put_u64(char *p, uint64_t v);

#endif
