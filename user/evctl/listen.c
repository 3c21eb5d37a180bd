// SPDX-License-Identifier: GPL-2.0
/*
 * evctl listen: the namespace's listening sockets.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "evctl.h"
#include "table.h"

const char *evctl_listener_parse(const struct nlattr **tb, void *item)
{
	struct evctl_listener *l = item;

	if (evs_addr_get(tb[EVS_A_ADDR_IN], tb[EVS_A_ADDR_IN6],
			 tb[EVS_A_PORT], &l->addr) || !tb[EVS_A_PORT])
		return "bad or missing listener address";
	if (evs_nl_get_u64(tb[EVS_A_LISTEN_ACCEPTED], &l->accepted) ||
	    evs_nl_get_u32(tb[EVS_A_LISTEN_CONNS], &l->conns))
		return "bad or missing listener counters";
	return NULL;
}

void evctl_listener_json(struct json *j, const void *item)
{
	const struct evctl_listener *l = item;
	char host[INET6_ADDRSTRLEN];

	json_kv_string(j, "family", evs_addr_family_name(&l->addr));
	json_kv_string(j, "address",
		       evs_addr_ntop(&l->addr, host, sizeof(host)));
	json_kv_u64(j, "port", l->addr.port);
	json_kv_u64(j, "accepted", l->accepted);
	json_kv_u64(j, "conns", l->conns);
}

static void listener_row(struct table *t, const void *item)
{
	const struct evctl_listener *l = item;
	char addr[EVS_ADDR_STRLEN];

	table_cell(t, "%s", evs_addr_format(&l->addr, addr, sizeof(addr)));
	table_cell(t, "%" PRIu64, l->accepted);
	table_cell(t, "%" PRIu32, l->conns);
}

static const char *const listen_heads[] = {
	"ADDRESS", "ACCEPTED", "CONNS", NULL
};

static const struct evctl_list listen_list = {
	.cmd	= EVS_CMD_LISTEN_GET,
	.size	= sizeof(struct evctl_listener),
	.parse	= evctl_listener_parse,
	.json	= evctl_listener_json,
	.heads	= listen_heads,
	.align	= "lrr",
	.row	= listener_row,
};

/* The one argument of add and del: ADDR:PORT. */
static int listen_parse(int argc, char **argv, struct evs_addr *a)
{
	if (!argc)
		return evctl_usage_err("missing ADDR:PORT");
	if (argc > 1)
		return evctl_usage_err("unexpected argument '%s'", argv[1]);
	if (evs_addr_parse(argv[0], a))
		return evctl_usage_err("invalid address '%s' (A.B.C.D:PORT or [IPV6]:PORT)",
				       argv[0]);
	return EVCTL_OK;
}

static int listen_change(struct evctl *ctx, int argc, char **argv,
			 uint8_t cmd)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct evctl_listener *v;
	struct nlmsghdr *nlh;
	struct evs_addr a;
	struct evs_nl *nl;
	size_t nr;
	int ret;

	ret = listen_parse(argc, argv, &a);
	if (ret)
		return ret;
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, cmd, 0);
	if (evs_addr_put(nlh, sizeof(buf), &a))
		return evctl_err("request too big");
	if (cmd == EVS_CMD_LISTEN_DEL)
		return evctl_talk(ctx, nlh, NULL, NULL);

	/* The reply says which port "any" (0) turned out to be. */
	ret = evctl_list_get(ctx, nlh, &listen_list, (void **)&v, &nr);
	if (!ret && nr != 1)
		ret = evctl_bad_reply(nr ? "more than one listener" :
				      "no listener");
	if (!ret)
		ret = evctl_list_print(ctx, &listen_list, v, 1, true);
	free(v);
	return ret;
}

static int listen_add(struct evctl *ctx, int argc, char **argv)
{
	return listen_change(ctx, argc, argv, EVS_CMD_LISTEN_ADD);
}

static int listen_del(struct evctl *ctx, int argc, char **argv)
{
	return listen_change(ctx, argc, argv, EVS_CMD_LISTEN_DEL);
}

static int listen_show(struct evctl *ctx, int argc, char **argv)
{
	return evctl_list_show(ctx, argc, argv, &listen_list);
}

static const struct evctl_verb listen_verbs[] = {
	{ "show", NULL, "listening sockets and their connection counts",
	  listen_show },
	{ "add", "ADDR:PORT",
	  "listen on A.B.C.D:PORT or [IPV6]:PORT (port 0: any free one)",
	  listen_add },
	{ "del", "ADDR:PORT", "close a listener and its connections",
	  listen_del },
	{ NULL }
};

const struct evctl_object evctl_obj_listen = {
	.name	= "listen",
	.verbs	= listen_verbs,
	.notes	=
	"'add' prints the new listener, with the port the kernel chose.\n"
	"JSON: show gives an array, add one object, with the keys\n"
	"  family (\"inet\" or \"inet6\"), address, port, accepted, conns\n",
};
