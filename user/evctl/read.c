// SPDX-License-Identifier: GPL-2.0
/*
 * evctl read: the events stored in a topic, with their payloads.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "../lib/evs_read.h"
#include "evctl.h"

/* Payload bytes per line of the hex dump. */
#define HEX_LINE	32

struct read_out {
	struct evctl *ctx;
	struct json *j;
	uint64_t nr;
};

static void event_json(struct json *j, const struct evs_event *ev)
{
	char buf[8];

	json_object_start(j);
	json_kv_u64(j, "topic", ev->topic);
	json_kv_u64(j, "seq", ev->seq);
	json_kv_u64(j, "conn", ev->conn);
	json_kv_u64(j, "client_seq", ev->client_seq);
	json_kv_string(j, "prio", evctl_prio_name(ev->prio, buf, sizeof(buf)));
	json_kv_u64(j, "len", ev->len);
	json_kv_u64(j, "ts_ingest", ev->ts_ingest);
	json_kv_u64(j, "ts_dequeue", ev->ts_dequeue);
	json_kv_u64(j, "ts_done", ev->ts_done);
	json_kv_hex(j, "payload", ev->data, ev->len);
	json_object_end(j);
}

/*
 * Events stream out as they come, so the columns cannot be sized to the
 * widest value as in the other tables: the widths fit common values, and
 * a longer one only pushes the rest of its row.
 */
#define ROW_FMT "%-10s  %-8s  %-10s  %-13s  %5s  %-16s  %-16s  %s\n"

static void event_text(const struct evs_event *ev, bool first)
{
	const unsigned char *p = ev->data;
	char buf[8], seq[24], conn[24], cseq[12], len[12];
	char ingest[24], dequeue[24], done[24];
	uint32_t off, i;

	if (first)
		printf(ROW_FMT, "SEQ", "CONN", "CLIENT_SEQ", "PRIO", "LEN",
		       "TS_INGEST", "TS_DEQUEUE", "TS_DONE");
	snprintf(seq, sizeof(seq), "%" PRIu64, ev->seq);
	snprintf(conn, sizeof(conn), "%" PRIu64, ev->conn);
	snprintf(cseq, sizeof(cseq), "%" PRIu32, ev->client_seq);
	snprintf(len, sizeof(len), "%" PRIu32, ev->len);
	snprintf(ingest, sizeof(ingest), "%" PRIu64, ev->ts_ingest);
	snprintf(dequeue, sizeof(dequeue), "%" PRIu64, ev->ts_dequeue);
	snprintf(done, sizeof(done), "%" PRIu64, ev->ts_done);
	printf(ROW_FMT, seq, conn, cseq,
	       evctl_prio_name(ev->prio, buf, sizeof(buf)), len, ingest,
	       dequeue, done);
	for (off = 0; off < ev->len; off += HEX_LINE) {
		printf("  %04" PRIx32 "  ", off);
		for (i = off; i < ev->len && i < off + HEX_LINE; i++)
			printf("%02x", p[i]);
		putchar('\n');
	}
}

static int read_cb(const struct evs_event *ev, void *data)
{
	struct read_out *o = data;

	if (o->ctx->raw)
		fwrite(ev->data, 1, ev->len, stdout);
	else if (o->j)
		event_json(o->j, ev);
	else
		event_text(ev, !o->nr);
	o->nr++;
	/* Nobody reads us any more: stop the dump rather than finish it. */
	if (ferror(stdout))
		return -EIO;
	return 0;
}

enum { KEY_FROM, KEY_COUNT };
static const char *const read_keys[] = { "from", "count", NULL };

static int read_topic(struct evctl *ctx, int argc, char **argv)
{
	struct read_out o = { .ctx = ctx };
	uint64_t topic, from = 0, count = EVS_READ_ALL;
	unsigned int seen = 0;
	struct evs_nl *nl;
	struct json j;
	int i, k, ret, err;

	if (ctx->raw && ctx->json)
		return evctl_usage_err("-r and -j exclude each other");
	if (!argc)
		return evctl_usage_err("missing topic number");
	ret = evctl_parse_u64("topic", argv[0], UINT16_MAX, &topic);
	if (ret)
		return ret;
	for (i = 1; i < argc; i += 2) {
		k = evctl_keyword(read_keys, argv[i], i + 1 < argc, &seen);
		if (k < 0)
			return EVCTL_USAGE;
		if (k == KEY_FROM) {
			ret = evctl_parse_u64("from", argv[i + 1], UINT64_MAX,
					      &from);
		} else {
			ret = evctl_parse_u64("count", argv[i + 1], UINT32_MAX,
					      &count);
			if (!ret && !count)
				ret = evctl_usage_err("invalid count '0'");
		}
		if (ret)
			return ret;
	}
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;

	if (ctx->json && !ctx->raw) {
		o.j = &j;
		evctl_json_begin(ctx, &j);
		json_array_start(&j);
	}
	err = evs_read_topic(nl, (uint16_t)topic, from, (uint32_t)count,
			     read_cb, &o);
	if (o.j) {
		/* Valid JSON even after an error, which the status tells. */
		json_array_end(&j);
		ret = evctl_json_end(&j);
	}
	if (err == -EPROTO && !nl->errmsg[0])
		return evctl_bad_reply("events out of order or incomplete");
	if (err == -EINTR)
		return evctl_err("the topic changed too often while it was read; try again");
	if (err == -EIO && ferror(stdout))
		return evctl_err("write error");
	if (err)
		return evctl_nl_err(ctx, err);
	return ret;
}

static const struct evctl_verb read_verbs[] = {
	{ "topic", "T [from N] [count N]",
	  "stored events of topic T from store seq N on (needs CAP_NET_ADMIN)",
	  read_topic },
	{ NULL }
};

const struct evctl_object evctl_obj_read = {
	.name		= "read",
	.verbs		= read_verbs,
	.verb_required	= true,
	.notes		=
	"Each event: store seq, sender connection id, client seq, priority,\n"
	"payload length and timestamps (ns, CLOCK_MONOTONIC: parsed, dequeued,\n"
	"stored), then the payload in hex, 32 bytes a line after its offset.\n"
	"With -r only the payloads, as raw bytes, back to back.\n"
	"JSON: an array of objects with the keys\n"
	"  topic, seq, conn, client_seq, prio, len, ts_ingest, ts_dequeue,\n"
	"  ts_done, payload (hex string)\n",
};
