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
	uint64_t nr;
};

/*
 * Events stream out as they come, so the columns cannot be sized to the
 * widest value as in the other tables: the widths fit common values, and
 * a longer one only pushes the rest of its row.
 */
static void event_print(const struct evs_event *ev, bool first)
{
	const unsigned char *p = ev->data;
	uint32_t off, i;
	char buf[8];

	if (first)
		print_text("%-10s  %-8s  %-10s  %-13s  %5s  %-16s  %-16s  %s\n",
			   "SEQ", "CONN", "CLIENT_SEQ", "PRIO", "LEN",
			   "TS_INGEST", "TS_DEQUEUE", "TS_DONE");
	print_open_object(NULL);
	print_u64(PRINT_JSON, "topic", NULL, ev->topic);
	print_u64(PRINT_ANY, "seq", "%-10s  ", ev->seq);
	print_u64(PRINT_ANY, "conn_id", "%-8s  ", ev->conn);
	print_u64(PRINT_ANY, "client_seq", "%-10s  ", ev->client_seq);
	print_string(PRINT_ANY, "prio", "%-13s  ",
		     evctl_prio_name(ev->prio, buf, sizeof(buf)));
	print_u64(PRINT_ANY, "len_bytes", "%5s  ", ev->len);
	print_u64(PRINT_ANY, "ts_ingest_ns", "%-16s  ", ev->ts_ingest);
	print_u64(PRINT_ANY, "ts_dequeue_ns", "%-16s  ", ev->ts_dequeue);
	print_u64(PRINT_ANY, "ts_done_ns", "%s\n", ev->ts_done);
	print_hex(PRINT_JSON, "payload", NULL, ev->data, ev->len);
	print_close_object();
	/* Text: the payload in hex, HEX_LINE bytes a line after its offset. */
	for (off = 0; !print_is_json() && off < ev->len; off += HEX_LINE) {
		print_text("  %04" PRIx32 "  ", off);
		for (i = off; i < ev->len && i < off + HEX_LINE; i++)
			print_text("%02x", p[i]);
		print_text("\n");
	}
}

static int read_cb(const struct evs_event *ev, void *data)
{
	struct read_out *o = data;

	if (o->ctx->raw)
		fwrite(ev->data, 1, ev->len, stdout);
	else
		event_print(ev, !o->nr);
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

	if (!ctx->raw) {
		print_start(ctx);
		print_open_array(NULL);
	}
	err = evs_read_topic(nl, (uint16_t)topic, from, (uint32_t)count,
			     read_cb, &o);
	if (!ctx->raw) {
		/* Valid JSON even after an error, which the status tells. */
		print_close_array();
		ret = print_end();
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
	"  topic, seq, conn_id, client_seq, prio, len_bytes, ts_ingest_ns,\n"
	"  ts_dequeue_ns, ts_done_ns, payload (hex string); see docs/json.md\n",
};
