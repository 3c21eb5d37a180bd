// SPDX-License-Identifier: GPL-2.0
/*
 * evctl conn: the namespace's client connections.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	/* Newer still. */
	c->has_local = tb[EVS_A_LOCAL_ADDR_IN] || tb[EVS_A_LOCAL_ADDR_IN6];
	memset(&c->local, 0, sizeof(c->local));
	c->local.family = c->peer.family;
	c->local.port = c->local_port;
	if (c->has_local &&
	    evs_addr_get(tb[EVS_A_LOCAL_ADDR_IN], tb[EVS_A_LOCAL_ADDR_IN6],
			 tb[EVS_A_LOCAL_PORT], &c->local))
		return "bad connection local address";
	return NULL;
}

const char *evctl_state_name(uint8_t state, char *buf, size_t size)
{
	return evctl_name_or(evs_conn_state_name(state), state, buf, size);
}

/*
 * The family is the peer's (print_addr() gave it), so the local address
 * is printed by hand: in JSON and monitor words its address (null from a
 * module that does not send it) and port apart, in a table one ADDR:PORT
 * cell, or the port alone.
 */
static void conn_print_local(const struct evctl_conn *c)
{
	char buf[EVS_ADDR_STRLEN];

	if (c->has_local) {
		print_string(PRINT_ANY, "local_addr", NULL,
			     evs_addr_ntop(&c->local, buf, sizeof(buf)));
		print_string(PRINT_TEXT, NULL, "%s",
			     evs_addr_format(&c->local, buf, sizeof(buf)));
	} else {
		print_null(PRINT_ANY, "local_addr", NULL);
		print_u64(PRINT_TEXT, NULL, "%s", c->local_port);
	}
	print_u64(PRINT_ANY, "local_port", NULL, c->local_port);
}

int evctl_conn_print(const void *item)
{
	const struct evctl_conn *c = item;
	char buf[8];

	print_u64(PRINT_ANY, "conn_id", "%s", c->id);
	print_addr(PRINT_ANY, "peer", "%s", &c->peer);
	conn_print_local(c);
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

/* ---- conn show filters ---- */

/* What conn show keeps; each part given must match. */
struct conn_filter {
	bool listener_set;
	struct evs_addr listener;
	bool peer_set;
	struct evs_prefix peer;
	unsigned int states;	/* bit per EVS_CONN_*; 0: any */
};

enum { KEY_LISTENER, KEY_PEER, KEY_STATE };

static const char *const filter_keys[] = { "listener", "peer", "state", NULL };

/*
 * Whether listener @l took @c: same family and port, and the address @c
 * was reached at, unless @l listens on the wildcard address.  Two
 * listeners can share a port only on different specific addresses, so
 * this names one.  A module that does not send the local address leaves
 * the port and family.
 */
static bool conn_of_listener(const struct evctl_conn *c,
			     const struct evs_addr *l)
{
	if (c->local.family != l->family || c->local_port != l->port)
		return false;
	return !c->has_local || evs_addr_is_any(l) ||
	       evs_addr_same_host(&c->local, l);
}

static bool conn_match(const struct conn_filter *f, const struct evctl_conn *c)
{
	if (f->states && (c->state >= 32 || !(f->states & (1U << c->state))))
		return false;
	if (f->peer_set && !evs_prefix_match(&f->peer, &c->peer))
		return false;
	return !f->listener_set || conn_of_listener(c, &f->listener);
}

static int conn_state_parse(const char *s, unsigned int *states)
{
	unsigned int i;

	for (i = 0; evs_conn_state_name((int)i); i++) {
		if (!strcmp(s, evs_conn_state_name((int)i))) {
			*states |= 1U << i;
			return EVCTL_OK;
		}
	}
	return evctl_usage_err("invalid state '%s' (open, draining or closing)",
			       s);
}

static int conn_filter_parse(int argc, char **argv, struct conn_filter *f)
{
	unsigned int seen = 0;
	int i, k, err;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < argc; i += 2) {
		k = evctl_keyword(filter_keys, argv[i], i + 1 < argc, &seen);
		if (k < 0)
			return EVCTL_USAGE;
		if (k == KEY_STATE) {
			/* Given again, it adds a state, as in ss(8). */
			seen &= ~(1U << KEY_STATE);
			err = conn_state_parse(argv[i + 1], &f->states);
			if (err)
				return err;
		} else if (k == KEY_PEER) {
			err = evs_prefix_parse(argv[i + 1], &f->peer);
			if (err)
				return evctl_usage_err("invalid peer '%s': %s",
						       argv[i + 1],
						       evs_addr_strerror(err));
			f->peer_set = true;
		} else {
			err = evs_addr_lookup(argv[i + 1], 0, &f->listener);
			if (!err && f->listener.scope_id)
				err = EVS_ADDR_E_TRAILING;
			if (err)
				return evctl_usage_err("invalid listener '%s': %s %s",
						       argv[i + 1],
						       evs_addr_strerror(err),
						       "(ADDR:PORT as 'listen show' prints it)");
			f->listener_set = true;
		}
	}
	return EVCTL_OK;
}

/*
 * The filters are applied here, to the dump: it carries every field
 * they look at, and a namespace's connections are few enough to list.
 */
static int conn_show(struct evctl *ctx, int argc, char **argv)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct evctl_conn *v;
	struct conn_filter f;
	struct evs_nl *nl;
	size_t i, n = 0, nr;
	int ret;

	ret = conn_filter_parse(argc, argv, &f);
	if (ret)
		return ret;
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	ret = evctl_list_get(ctx, evs_nl_req(nl, buf, EVS_CMD_CONN_GET,
					     NLM_F_DUMP),
			     &conn_list, (void **)&v, &nr);
	for (i = 0; !ret && i < nr; i++)
		if (conn_match(&f, &v[i]))
			v[n++] = v[i];
	if (!ret)
		ret = evctl_list_print(ctx, &conn_list, v, n, false);
	free(v);
	return ret;
}

static int conn_del(struct evctl *ctx, int argc, char **argv)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED, name[32];
	struct nlmsghdr *nlh;
	struct evs_nl *nl;
	uint64_t id;
	int ret, err;

	if (!argc)
		return evctl_usage_err("missing connection ID");
	if (argc > 1)
		return evctl_usage_err("unexpected argument '%s'", argv[1]);
	ret = evctl_parse_u64("connection ID", argv[0], UINT64_MAX, &id);
	if (ret)
		return ret;
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, EVS_CMD_CONN_DEL, 0);
	snprintf(name, sizeof(name), "conn %" PRIu64, id);
	evs_nl_name(nl, nlh, name);
	if (!mnl_attr_put_u64_check(nlh, sizeof(buf), EVS_A_CONN_ID, id))
		return evctl_err("request too big");
	err = evs_nl_talk(nl, nlh, NULL, NULL);
	/* The family has no such command: a module from before it. */
	if (err == -EOPNOTSUPP)
		return evctl_err("conn del: not supported by this module (update evstream.ko)");
	return evctl_nl_err(ctx, err);
}

static const struct evctl_verb conn_verbs[] = {
	{ "show", "[listener ADDR:PORT] [peer PREFIX] [state STATE]...",
	  "client connections and what each has sent", conn_show },
	{ "del", "ID", "close connection ID: the client gets a reset",
	  conn_del },
	{ NULL }
};

const struct evctl_object evctl_obj_conn = {
	.name	= "conn",
	.verbs	= conn_verbs,
	.notes	=
	"EVENTS and BYTES count what the connection sent and was accepted;\n"
	"ACKED is the client seq of the last ACK sent, INFLIGHT the events\n"
	"accepted but not yet stored, IDLE the time since it last sent\n"
	"anything (\"-\" from a module that does not say).  LOCAL is the\n"
	"address:port the client connected to (the port alone from a module\n"
	"that does not send the address).\n"
	"show filters, all of which must match: 'listener ADDR:PORT' as\n"
	"  'listen show' prints it; 'peer PREFIX', the client's address,\n"
	"  as ss(8) takes it: 192.0.2.1, 192.0.2.0/24, 192.0.2.1:40000,\n"
	"  192.0.2.0/24:40000, 2001:db8::/32, [2001:db8::1]:40000, :40000\n"
	"  (any address); 'state open|draining|closing', given again for\n"
	"  more than one.  No match prints nothing (JSON: []).\n"
	"del: the connection's accepted events are kept and stored, a frame\n"
	"  partly received is dropped (counted in truncated); returns once\n"
	"  it is closed.  The id must be one 'conn show' lists: an unknown\n"
	"  one, or one of another network namespace, fails with ENOENT.\n"
	"JSON: an array of objects with the keys\n"
	"  conn_id, family (\"inet\" or \"inet6\"), peer_addr, peer_port,\n"
	"  local_addr (null when unknown), local_port, state (\"open\",\n"
	"  \"draining\" or \"closing\"), events, bytes, paused (boolean),\n"
	"  acked_seq, inflight, idle_ms (null when unknown); see docs/json.md\n",
};
