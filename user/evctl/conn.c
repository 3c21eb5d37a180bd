// SPDX-License-Identifier: GPL-2.0
/*
 * evctl conn: the namespace's client connections.
 */
#include <inttypes.h>
#include <stdio.h>

#include "evctl.h"
#include "table.h"
#include "units.h"

const char *evctl_conn_parse(const struct nlattr **tb, void *item)
{
	struct evctl_conn *c = item;

	if (evs_addr_get(tb[EVS_A_ADDR_IN], tb[EVS_A_ADDR_IN6],
			 tb[EVS_A_PORT], &c->peer) || !tb[EVS_A_PORT])
		return "bad or missing peer address";
	if (evs_nl_get_u64(tb[EVS_A_CONN_ID], &c->id) ||
	    evs_nl_get_u16(tb[EVS_A_LOCAL_PORT], &c->local_port) ||
	    evs_nl_get_u8(tb[EVS_A_CONN_STATE], &c->state) ||
	    evs_nl_get_u64(tb[EVS_A_CONN_EVENTS], &c->events) ||
	    evs_nl_get_u64(tb[EVS_A_CONN_BYTES], &c->bytes) ||
	    evs_nl_get_u8(tb[EVS_A_CONN_PAUSED], &c->paused) ||
	    evs_nl_get_u32(tb[EVS_A_CONN_ACKED], &c->acked) ||
	    evs_nl_get_u32(tb[EVS_A_CONN_INFLIGHT], &c->inflight))
		return "bad or missing connection attribute";
	/* Newer than the rest: an older module does not send it. */
	c->has_idle = tb[EVS_A_CONN_IDLE_MS];
	c->idle_ms = 0;
	if (c->has_idle && evs_nl_get_u64(tb[EVS_A_CONN_IDLE_MS], &c->idle_ms))
		return "bad connection idle time";
	return NULL;
}

const char *evctl_state_name(uint8_t state, char *buf, size_t size)
{
	return evctl_name_or(evs_conn_state_name(state), state, buf, size);
}

void evctl_conn_json(struct json *j, const void *item)
{
	const struct evctl_conn *c = item;
	char host[INET6_ADDRSTRLEN], buf[8];

	json_kv_u64(j, "id", c->id);
	json_kv_string(j, "family", evs_addr_family_name(&c->peer));
	json_kv_string(j, "peer", evs_addr_ntop(&c->peer, host, sizeof(host)));
	json_kv_u64(j, "peer_port", c->peer.port);
	json_kv_u64(j, "local_port", c->local_port);
	json_kv_string(j, "state", evctl_state_name(c->state, buf, sizeof(buf)));
	json_kv_u64(j, "events", c->events);
	json_kv_u64(j, "bytes", c->bytes);
	json_kv_bool(j, "paused", c->paused);
	json_kv_u64(j, "acked", c->acked);
	json_kv_u64(j, "inflight", c->inflight);
	json_key(j, "idle_ms");
	if (c->has_idle)
		json_u64(j, c->idle_ms);
	else
		json_null(j);
}

static void conn_row(struct table *t, const void *item)
{
	const struct evctl_conn *c = item;
	char addr[EVS_ADDR_STRLEN], buf[EVCTL_UNIT_LEN];

	table_cell(t, "%" PRIu64, c->id);
	table_cell(t, "%s", evs_addr_format(&c->peer, addr, sizeof(addr)));
	table_cell(t, "%u", c->local_port);
	table_cell(t, "%s", evctl_state_name(c->state, buf, sizeof(buf)));
	table_cell(t, "%" PRIu64, c->events);
	table_cell(t, "%s", evctl_fmt_bytes(c->bytes, buf, sizeof(buf)));
	table_cell(t, "%s", c->paused ? "yes" : "no");
	table_cell(t, "%" PRIu32, c->acked);
	table_cell(t, "%" PRIu32, c->inflight);
	table_cell(t, "%s", c->has_idle ?
		   evctl_fmt_ms(c->idle_ms, buf, sizeof(buf)) : "-");
}

static const char *const conn_heads[] = {
	"ID", "PEER", "LOCAL", "STATE", "EVENTS", "BYTES", "PAUSED", "ACKED",
	"INFLIGHT", "IDLE", NULL
};

static const struct evctl_list conn_list = {
	.cmd	= EVS_CMD_CONN_GET,
	.size	= sizeof(struct evctl_conn),
	.parse	= evctl_conn_parse,
	.json	= evctl_conn_json,
	.heads	= conn_heads,
	.align	= "rlrlrrlrrr",
	.row	= conn_row,
};

static int conn_show(struct evctl *ctx, int argc, char **argv)
{
	return evctl_list_show(ctx, argc, argv, &conn_list);
}

static const struct evctl_verb conn_verbs[] = {
	{ "show", NULL, "client connections and what each has sent",
	  conn_show },
	{ NULL }
};

const struct evctl_object evctl_obj_conn = {
	.name	= "conn",
	.verbs	= conn_verbs,
	.notes	=
	"EVENTS and BYTES count what the connection sent and was accepted;\n"
	"ACKED is the client seq of the last ACK sent, INFLIGHT the events\n"
	"accepted but not yet stored, IDLE the time since it last sent\n"
	"anything (\"-\" from a module that does not say).\n"
	"JSON: an array of objects with the keys\n"
	"  id, family (\"inet\" or \"inet6\"), peer, peer_port, local_port,\n"
	"  state (\"open\", \"draining\" or \"closing\"), events, bytes,\n"
	"  paused (boolean), acked, inflight, idle_ms (null when unknown)\n",
};
