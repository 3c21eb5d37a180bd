// SPDX-License-Identifier: GPL-2.0
/*
 * evctl conn: the namespace's client connections.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "../lib/evs_addr.h"
#include "evctl.h"
#include "table.h"

struct conn {
	uint64_t id;
	struct evs_addr peer;
	uint16_t local_port;
	uint8_t state;
	uint8_t paused;
	uint64_t events;
	uint64_t bytes;
	uint32_t acked;
	uint32_t inflight;
};

struct conn_reply {
	struct conn *v;
	size_t nr;
	const char *bad;	/* why the reply is malformed, NULL if not */
};

static int conn_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct conn_reply *r = data;
	struct conn c, *v;

	if (r->bad)
		return MNL_CB_OK;
	if (evs_nl_parse(nlh, tb, EVS_A_MAX)) {
		r->bad = "bad attributes";
		return MNL_CB_OK;
	}
	if (evs_addr_get(tb[EVS_A_ADDR_IN], tb[EVS_A_ADDR_IN6],
			 tb[EVS_A_PORT], &c.peer) || !tb[EVS_A_PORT]) {
		r->bad = "bad or missing peer address";
		return MNL_CB_OK;
	}
	if (evs_nl_get_u64(tb[EVS_A_CONN_ID], &c.id) ||
	    evs_nl_get_u16(tb[EVS_A_LOCAL_PORT], &c.local_port) ||
	    evs_nl_get_u8(tb[EVS_A_CONN_STATE], &c.state) ||
	    evs_nl_get_u64(tb[EVS_A_CONN_EVENTS], &c.events) ||
	    evs_nl_get_u64(tb[EVS_A_CONN_BYTES], &c.bytes) ||
	    evs_nl_get_u8(tb[EVS_A_CONN_PAUSED], &c.paused) ||
	    evs_nl_get_u32(tb[EVS_A_CONN_ACKED], &c.acked) ||
	    evs_nl_get_u32(tb[EVS_A_CONN_INFLIGHT], &c.inflight)) {
		r->bad = "bad or missing connection attribute";
		return MNL_CB_OK;
	}
	v = realloc(r->v, (r->nr + 1) * sizeof(*v));
	if (!v)
		return MNL_CB_ERROR;	/* errno is ENOMEM */
	v[r->nr++] = c;
	r->v = v;
	return MNL_CB_OK;
}

/* evs_conn_state_name(), or the number of a state this evctl lacks. */
static const char *state_name(uint8_t state, char *buf, size_t size)
{
	const char *name = evs_conn_state_name(state);

	if (name)
		return name;
	snprintf(buf, size, "%u", state);
	return buf;
}

static void conn_json(struct json *j, const struct conn *c)
{
	char host[INET6_ADDRSTRLEN], buf[8];

	json_object_start(j);
	json_kv_u64(j, "id", c->id);
	json_kv_string(j, "family", evs_addr_family_name(&c->peer));
	json_kv_string(j, "peer", evs_addr_ntop(&c->peer, host, sizeof(host)));
	json_kv_u64(j, "peer_port", c->peer.port);
	json_kv_u64(j, "local_port", c->local_port);
	json_kv_string(j, "state", state_name(c->state, buf, sizeof(buf)));
	json_kv_u64(j, "events", c->events);
	json_kv_u64(j, "bytes", c->bytes);
	json_kv_bool(j, "paused", c->paused);
	json_kv_u64(j, "acked", c->acked);
	json_kv_u64(j, "inflight", c->inflight);
	json_object_end(j);
}

static int conn_print(struct evctl *ctx, const struct conn_reply *r)
{
	static const char *const heads[] = {
		"ID", "PEER", "LOCAL", "STATE", "EVENTS", "BYTES", "PAUSED",
		"ACKED", "INFLIGHT", NULL
	};
	char addr[EVS_ADDR_STRLEN], buf[8];
	struct table t;
	struct json j;
	size_t i;

	if (ctx->json) {
		evctl_json_begin(ctx, &j);
		json_array_start(&j);
		for (i = 0; i < r->nr; i++)
			conn_json(&j, &r->v[i]);
		json_array_end(&j);
		return evctl_json_end(&j);
	}
	table_init(&t, heads, "rlrlrrlrr");
	for (i = 0; i < r->nr; i++) {
		const struct conn *c = &r->v[i];

		table_cell(&t, "%" PRIu64, c->id);
		table_cell(&t, "%s",
			   evs_addr_format(&c->peer, addr, sizeof(addr)));
		table_cell(&t, "%u", c->local_port);
		table_cell(&t, "%s", state_name(c->state, buf, sizeof(buf)));
		table_cell(&t, "%" PRIu64, c->events);
		table_cell(&t, "%" PRIu64, c->bytes);
		table_cell(&t, "%s", c->paused ? "yes" : "no");
		table_cell(&t, "%" PRIu32, c->acked);
		table_cell(&t, "%" PRIu32, c->inflight);
	}
	return table_print(&t);
}

static int conn_show(struct evctl *ctx, int argc, char **argv)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct conn_reply r = { 0 };
	struct nlmsghdr *nlh;
	struct evs_nl *nl;
	int ret;

	ret = evctl_no_args(argc, argv);
	if (ret)
		return ret;
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, EVS_CMD_CONN_GET, NLM_F_DUMP);
	ret = evctl_talk(ctx, nlh, conn_cb, &r);
	if (!ret && r.bad)
		ret = evctl_bad_reply(r.bad);
	if (!ret)
		ret = conn_print(ctx, &r);
	free(r.v);
	return ret;
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
	"accepted but not yet stored.\n"
	"JSON: an array of objects with the keys\n"
	"  id, family (\"inet\" or \"inet6\"), peer, peer_port, local_port,\n"
	"  state (\"open\", \"draining\" or \"closing\"), events, bytes,\n"
	"  paused (boolean), acked, inflight\n",
};
