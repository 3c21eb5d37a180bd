// SPDX-License-Identifier: GPL-2.0
/*
 * evctl conn: the namespace's client connections.
 */
#include <inttypes.h>
#include <stdio.h>

#include "evctl.h"

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

int evctl_conn_print(const void *item)
{
	const struct evctl_conn *c = item;
	char buf[8];

	print_u64(PRINT_ANY, "conn_id", "%s", c->id);
	print_addr(PRINT_ANY, "peer", "%s", &c->peer);
	print_u64(PRINT_ANY, "local_port", "%s", c->local_port);
	print_string(PRINT_ANY, "state", "%s",
		     evctl_state_name(c->state, buf, sizeof(buf)));
	print_u64(PRINT_ANY, "events", "%s", c->events);
	print_size(PRINT_ANY, "bytes", "%s", c->bytes);
	print_bool(PRINT_ANY, "paused", "%s", c->paused);
	print_u64(PRINT_ANY, "acked_seq", "%s", c->acked);
	print_u64(PRINT_ANY, "inflight", "%s", c->inflight);
	if (c->has_idle)
		print_ms(PRINT_ANY, "idle_ms", "%s", c->idle_ms);
	else
		print_null(PRINT_ANY, "idle_ms", "%s");
	return EVCTL_OK;
}

static const char *const conn_heads[] = {
	"ID", "PEER", "LOCAL", "STATE", "EVENTS", "BYTES", "PAUSED", "ACKED",
	"INFLIGHT", "IDLE", NULL
};

static const struct evctl_list conn_list = {
	.cmd	= EVS_CMD_CONN_GET,
	.size	= sizeof(struct evctl_conn),
	.parse	= evctl_conn_parse,
	.print	= evctl_conn_print,
	.heads	= conn_heads,
	.align	= "rlrlrrlrrr",
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
	"  conn_id, family (\"inet\" or \"inet6\"), peer_addr, peer_port,\n"
	"  local_port, state (\"open\", \"draining\" or \"closing\"), events,\n"
	"  bytes, paused (boolean), acked_seq, inflight, idle_ms (null when\n"
	"  unknown); see docs/json.md\n",
};
