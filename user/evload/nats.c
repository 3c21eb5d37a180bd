// SPDX-License-Identifier: GPL-2.0
/*
 * evload's NATS client: just what it takes to publish to nats-server,
 * core NATS or a JetStream stream, and to read what the server answers.
 *
 * Written by hand rather than with libnats (nats.c) on purpose: the
 * benchmark compares servers, so every server must be fed by the same
 * client, evload's pipelined sender, with the same batching and the
 * same cost per event.  A library client brings its own buffering,
 * flushing and threads, and the comparison would measure those too.
 *
 * The protocol (docs.nats.io, "Client Protocol"): the server greets with
 * INFO {json}; the client sends CONNECT {json}, then PUB subject [reply]
 * length, CRLF, payload, CRLF per message, and SUB subject sid for the
 * replies.  The server sends PING (answered with PONG), PONG (answering
 * our PING: it has processed everything we sent before), +OK, -ERR
 * 'reason', and MSG subject sid [reply] length, CRLF, payload, CRLF.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "nats.h"

#define NSEC	1000000000ULL

/*
 * verbose false: no +OK per PUB.  pedantic false: what the server checks
 * anyway.  headers false: nothing of ours needs them, and the server then
 * never sends HMSG.  Without "protocol":1 the server sends no INFO after
 * this one.  nats-server 2.9 needs no more without authentication; the
 * name shows in its connection list.
 */
static const char connect_line[] =
	"CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":false,\"name\":\"evload\"}\r\n";

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

/*
 * A literal subject (PUB takes no wildcards): dot-separated tokens of
 * printable characters, none empty, none "*" or ">".
 */
bool nats_subject_ok(const char *s)
{
	size_t tok = 0, n = 0;
	const char *t = s;

	for (; *s; s++, n++) {
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
		if (*s != '.') {
			tok++;
			continue;
		}
		if (!tok || (tok == 1 && (*t == '*' || *t == '>')))
			return false;
		tok = 0;
		t = s + 1;
	}
	return tok && !(tok == 1 && (*t == '*' || *t == '>')) &&
	       n <= NATS_NAME_MAX;
}

/* As nats-server 2.9 takes stream names: no blanks, dots or wildcards. */
bool nats_stream_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > NATS_NAME_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f ||
		    strchr(".*>/\\\"", *s))
			return false;
	return true;
}

size_t nats_put_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

int nats_send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

void nats_rd_init(struct nats_rd *rd, int fd)
{
	rd->fd = fd;
	rd->start = 0;
	rd->end = 0;
	rd->fills = 0;
}

bool nats_rd_idle(const struct nats_rd *rd)
{
	return rd->start == rd->end;
}

/* Server text for an error message: printable, cut at @max. */
static void quote(char *out, size_t size, const char *s, size_t len)
{
	size_t i, k = 0;

	for (i = 0; i < len && k + 1 < size; i++)
		out[k++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	out[k] = 0;
}

/* More bytes: 1, or 0 at EOF, or -1 (errno; ETIMEDOUT past @deadline). */
static int fill(struct nats_rd *rd, uint64_t deadline)
{
	ssize_t n;

	if (rd->start) {
		memmove(rd->buf, rd->buf + rd->start, rd->end - rd->start);
		rd->end -= rd->start;
		rd->start = 0;
	}
	for (;;) {
		if (deadline) {
			struct pollfd pfd = { .fd = rd->fd, .events = POLLIN };
			uint64_t now = mono_ns();
			int r;

			if (now >= deadline) {
				errno = ETIMEDOUT;
				return -1;
			}
			r = poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -1;
			if (!r)
				continue;
		}
		n = read(rd->fd, rd->buf + rd->end, sizeof(rd->buf) - rd->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			return 0;
		rd->end += (size_t)n;
		rd->fills++;
		return 1;
	}
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* MSG subject sid [reply] length: the subject and the length. */
static bool parse_msg(char *args, struct nats_item *it)
{
	char *tok[4], *save = NULL, *end;
	unsigned long len;
	int n = 0;

	for (char *t = strtok_r(args, " \t", &save); t;
	     t = strtok_r(NULL, " \t", &save)) {
		if (n == 4)
			return false;
		tok[n++] = t;
	}
	if (n < 3)
		return false;
	errno = 0;
	len = strtoul(tok[n - 1], &end, 10);
	if (errno || *end || end == tok[n - 1] || !isdigit(*tok[n - 1]) ||
	    len > NATS_RD_SIZE)
		return false;
	it->text = tok[0];
	it->text_len = strlen(tok[0]);
	it->len = len;
	return true;
}

int nats_next(struct nats_rd *rd, uint64_t deadline, struct nats_item *it,
	      char *err, size_t errlen)
{
	char *line, *eol, *args, q[80];
	size_t llen;
	int r;

	for (;;) {
		line = rd->buf + rd->start;
		eol = memmem(line, rd->end - rd->start, "\r\n", 2);
		if (eol)
			break;
		if (rd->end - rd->start >= sizeof(rd->buf) - 1) {
			snprintf(err, errlen, "server line longer than %d bytes",
				 NATS_RD_SIZE);
			return NATS_RD_FAIL;
		}
		r = fill(rd, deadline);
		if (r > 0)
			continue;
		if (r == 0 && nats_rd_idle(rd))
			return NATS_RD_EOF;
		if (r == 0)
			snprintf(err, errlen, "server closed the connection mid-line");
		else if (errno == ETIMEDOUT)
			snprintf(err, errlen, "no answer from the server in time");
		else
			snprintf(err, errlen, "%s", errno == ECONNRESET ?
				 "connection reset by the server" :
				 strerror(errno));
		return NATS_RD_FAIL;
	}
	*eol = 0;
	llen = (size_t)(eol - line);
	args = line + strcspn(line, " \t");
	args += strspn(args, " \t");
	memset(it, 0, sizeof(*it));

	if (!strncasecmp(line, "MSG", 3) && blank(line[3])) {
		size_t need, hdr = llen + 2;

		quote(q, sizeof(q), line, llen);
		if (!parse_msg(args, it)) {
			snprintf(err, errlen, "malformed line from the server: '%s'", q);
			return NATS_RD_FAIL;
		}
		need = hdr + it->len + 2;
		while (rd->end - rd->start < need) {
			/* fill() moves the data: keep offsets, not pointers. */
			size_t subj = (size_t)(it->text - line);

			if (need > sizeof(rd->buf)) {
				snprintf(err, errlen, "server message too large: '%s'", q);
				return NATS_RD_FAIL;
			}
			r = fill(rd, deadline);
			if (r <= 0) {
				snprintf(err, errlen, "%s", r ? strerror(errno) :
					 "server closed the connection mid-message");
				return NATS_RD_FAIL;
			}
			line = rd->buf + rd->start;
			it->text = line + subj;
		}
		it->data = line + hdr;
		if (memcmp(it->data + it->len, "\r\n", 2)) {
			snprintf(err, errlen, "server message longer than announced: '%s'", q);
			return NATS_RD_FAIL;
		}
		it->op = NATS_MSG;
		rd->start += need;
		return NATS_RD_OK;
	}
	rd->start += llen + 2;
	if (!strcasecmp(line, "PING")) {
		it->op = NATS_PING;
	} else if (!strcasecmp(line, "PONG")) {
		it->op = NATS_PONG;
	} else if (!strcasecmp(line, "+OK")) {
		it->op = NATS_OK;
	} else if (!strncasecmp(line, "INFO", 4) && blank(line[4])) {
		it->op = NATS_INFO;
		it->text = args;
		it->text_len = strlen(args);
	} else if (!strncasecmp(line, "-ERR", 4) && (!line[4] || blank(line[4]))) {
		size_t n = strlen(args);

		/* -ERR 'reason': the quotes are the protocol's. */
		if (n >= 2 && args[0] == '\'' && args[n - 1] == '\'') {
			args++;
			n -= 2;
		}
		it->op = NATS_ERR;
		it->text = args;
		it->text_len = n;
	} else {
		quote(q, sizeof(q), line, llen);
		snprintf(err, errlen, "unexpected line from the server: '%s'", q);
		return NATS_RD_FAIL;
	}
	return NATS_RD_OK;
}

/* Whether the JSON @js has "key":true; nats-server writes no blanks. */
static bool json_true(const char *js, size_t len, const char *key)
{
	char pat[64];

	snprintf(pat, sizeof(pat), "\"%s\":true", key);
	return !!memmem(js, len, pat, strlen(pat));
}

/* The "description" of an "error" object in @js, if there is one. */
static bool json_error(const char *js, size_t len, char *out, size_t size)
{
	static const char key[] = "\"description\":\"";
	const char *e = memmem(js, len, "\"error\":", 8), *d, *end = js + len;
	size_t k = 0;

	if (!e)
		return false;
	d = memmem(e, (size_t)(end - e), key, sizeof(key) - 1);
	if (!d) {
		quote(out, size, e, (size_t)(end - e));
		return true;
	}
	for (d += sizeof(key) - 1; d < end && *d != '"' && k + 1 < size; d++) {
		if (*d == '\\' && d + 1 < end)
			d++;
		out[k++] = isprint((unsigned char)*d) ? *d : '?';
	}
	out[k] = 0;
	return true;
}

static int fail_on(const struct nats_item *it, char *err, size_t errlen)
{
	char q[200];

	if (it->op == NATS_ERR) {
		quote(q, sizeof(q), it->text, it->text_len);
		snprintf(err, errlen, "server sent -ERR '%s'", q);
	} else {
		snprintf(err, errlen, "unexpected message from the server");
	}
	return NATS_RD_FAIL;
}

/* Reads until the PONG to our PING, answering the server's. */
static int wait_pong(struct nats_rd *rd, uint64_t deadline, char *err,
		     size_t errlen)
{
	struct nats_item it;
	int r;

	for (;;) {
		r = nats_next(rd, deadline, &it, err, errlen);
		if (r == NATS_RD_EOF) {
			snprintf(err, errlen, "server closed the connection");
			return NATS_RD_FAIL;
		}
		if (r)
			return r;
		switch (it.op) {
		case NATS_PONG:
			return 0;
		case NATS_PING:
			if (nats_send_all(rd->fd, "PONG\r\n", 6)) {
				snprintf(err, errlen, "send: %s", strerror(errno));
				return NATS_RD_FAIL;
			}
			break;
		case NATS_INFO:
		case NATS_OK:
			break;
		default:
			return fail_on(&it, err, errlen);
		}
	}
}

/*
 * The greeting: INFO, then CONNECT (and SUB @inbox*, if given) and a
 * PING whose PONG says the server took them.
 */
int nats_hello(struct nats_rd *rd, uint64_t deadline, const char *inbox,
	       bool jetstream, char *err, size_t errlen)
{
	char out[sizeof(connect_line) + NATS_INBOX_LEN + 32];
	struct nats_item it;
	size_t n;
	int r;

	r = nats_next(rd, deadline, &it, err, errlen);
	if (r == NATS_RD_EOF)
		snprintf(err, errlen, "server closed the connection before its INFO");
	if (r)
		return NATS_RD_FAIL;
	if (it.op == NATS_ERR)
		return fail_on(&it, err, errlen);
	if (it.op != NATS_INFO) {
		snprintf(err, errlen, "not a NATS server: no INFO first");
		return NATS_RD_FAIL;
	}
	if (json_true(it.text, it.text_len, "tls_required") ||
	    json_true(it.text, it.text_len, "auth_required")) {
		snprintf(err, errlen, "the server requires %s, which evload does not do",
			 json_true(it.text, it.text_len, "tls_required") ?
			 "TLS" : "authentication");
		return NATS_RD_FAIL;
	}
	if (jetstream && !json_true(it.text, it.text_len, "jetstream")) {
		snprintf(err, errlen, "the server has no JetStream (nats-server -js)");
		return NATS_RD_FAIL;
	}
	n = (size_t)snprintf(out, sizeof(out), "%s", connect_line);
	if (inbox)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "SUB %s* 1\r\n",
				      inbox);
	n += (size_t)snprintf(out + n, sizeof(out) - n, "PING\r\n");
	if (nats_send_all(rd->fd, out, n)) {
		snprintf(err, errlen, "send: %s", strerror(errno));
		return NATS_RD_FAIL;
	}
	return wait_pong(rd, deadline, err, errlen);
}

/*
 * $JS.API.STREAM.CREATE.<name> with a memory stream on @subject and the
 * server's defaults for the rest.  nats-server answers a request for a
 * stream that exists with the same configuration as for a new one, and
 * with an error when the configuration differs.
 */
int nats_stream_create(struct nats_rd *rd, uint64_t deadline,
		       const char *inbox, const char *name,
		       const char *subject, char *err, size_t errlen)
{
	char body[3 * NATS_NAME_MAX], req[sizeof(body) + 2 * NATS_NAME_MAX];
	char reason[256];
	struct nats_item it;
	size_t k = 0;
	int r, n;

	/* Names are checked: no quotes, no control characters. */
	n = snprintf(body, sizeof(body),
		     "{\"name\":\"%s\",\"subjects\":[\"", name);
	k = (size_t)n;
	for (; *subject && k + 40 < sizeof(body); subject++) {
		if (*subject == '"' || *subject == '\\')
			body[k++] = '\\';
		body[k++] = *subject;
	}
	k += (size_t)snprintf(body + k, sizeof(body) - k,
			      "\"],\"storage\":\"memory\"}");
	n = snprintf(req, sizeof(req), "PUB $JS.API.STREAM.CREATE.%s %s1 %zu\r\n%s\r\n",
		     name, inbox, k, body);
	if (nats_send_all(rd->fd, req, (size_t)n)) {
		snprintf(err, errlen, "send: %s", strerror(errno));
		return NATS_RD_FAIL;
	}
	for (;;) {
		r = nats_next(rd, deadline, &it, err, errlen);
		if (r == NATS_RD_EOF)
			snprintf(err, errlen, "server closed the connection");
		if (r)
			return NATS_RD_FAIL;
		if (it.op == NATS_PING) {
			if (nats_send_all(rd->fd, "PONG\r\n", 6)) {
				snprintf(err, errlen, "send: %s", strerror(errno));
				return NATS_RD_FAIL;
			}
			continue;
		}
		if (it.op == NATS_INFO || it.op == NATS_OK)
			continue;
		if (it.op != NATS_MSG)
			return fail_on(&it, err, errlen);
		break;
	}
	if (json_error(it.data, it.len, reason, sizeof(reason))) {
		snprintf(err, errlen, "creating stream %s: %s", name, reason);
		return NATS_RD_FAIL;
	}
	if (!memmem(it.data, it.len, "\"config\":", 9)) {
		quote(reason, sizeof(reason), it.data, it.len);
		snprintf(err, errlen, "creating stream %s: unexpected reply '%s'",
			 name, reason);
		return NATS_RD_FAIL;
	}
	return 0;
}

int nats_puback(const char *data, size_t len, const char *stream_key,
		char *err, size_t errlen)
{
	char reason[200];

	if (json_error(data, len, reason, errlen < sizeof(reason) ?
		       errlen : sizeof(reason))) {
		snprintf(err, errlen, "%s", reason);
		return -1;
	}
	if (!memmem(data, len, stream_key, strlen(stream_key)) ||
	    !memmem(data, len, "\"seq\":", 6)) {
		quote(reason, sizeof(reason), data, len);
		snprintf(err, errlen, "not a PubAck of this stream: '%s'", reason);
		return -1;
	}
	return 0;
}
