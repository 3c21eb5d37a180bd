// SPDX-License-Identifier: GPL-2.0
/*
 * evctl listen: the namespace's listening sockets.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/evs_addr.h"
#include "evctl.h"
#include "table.h"

struct listener {
	struct evs_addr addr;
	uint64_t accepted;
	uint32_t conns;
};

struct listen_reply {
	struct listener *v;
	size_t nr;
	const char *bad;	/* why the reply is malformed, NULL if not */
};

static int listen_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct listen_reply *r = data;
	struct listener l;
	struct listener *v;

	if (r->bad)
		return MNL_CB_OK;
	if (evs_nl_parse(nlh, tb, EVS_A_MAX)) {
		r->bad = "bad attributes";
		return MNL_CB_OK;
	}
	if (evs_addr_get(tb[EVS_A_ADDR_IN], tb[EVS_A_ADDR_IN6],
			 tb[EVS_A_PORT], &l.addr) || !tb[EVS_A_PORT]) {
		r->bad = "bad or missing listener address";
		return MNL_CB_OK;
	}
	if (evs_nl_get_u64(tb[EVS_A_LISTEN_ACCEPTED], &l.accepted) ||
	    evs_nl_get_u32(tb[EVS_A_LISTEN_CONNS], &l.conns)) {
		r->bad = "bad or missing listener counters";
		return MNL_CB_OK;
	}
	v = realloc(r->v, (r->nr + 1) * sizeof(*v));
	if (!v)
		return MNL_CB_ERROR;	/* errno is ENOMEM */
	v[r->nr++] = l;
	r->v = v;
	return MNL_CB_OK;
}

static void listener_json(struct json *j, const struct listener *l)
{
	char host[INET6_ADDRSTRLEN];

	json_object_start(j);
	json_kv_string(j, "family", evs_addr_family_name(&l->addr));
	json_kv_string(j, "address",
		       evs_addr_ntop(&l->addr, host, sizeof(host)));
	json_kv_u64(j, "port", l->addr.port);
	json_kv_u64(j, "accepted", l->accepted);
	json_kv_u64(j, "conns", l->conns);
	json_object_end(j);
}

/*
 * Prints the listeners of @r, as a JSON array or as a table; @one prints
 * a single JSON object (the reply of `listen add`).
 */
static int listen_print(struct evctl *ctx, const struct listen_reply *r,
			bool one)
{
	static const char *const heads[] = {
		"ADDRESS", "ACCEPTED", "CONNS", NULL
	};
	char addr[EVS_ADDR_STRLEN];
	struct table t;
	struct json j;
	size_t i;

	if (ctx->json) {
		evctl_json_begin(ctx, &j);
		if (one) {
			listener_json(&j, &r->v[0]);
		} else {
			json_array_start(&j);
			for (i = 0; i < r->nr; i++)
				listener_json(&j, &r->v[i]);
			json_array_end(&j);
		}
		return evctl_json_end(&j);
	}
	table_init(&t, heads, "lrr");
	for (i = 0; i < r->nr; i++) {
		const struct listener *l = &r->v[i];

		table_cell(&t, "%s",
			   evs_addr_format(&l->addr, addr, sizeof(addr)));
		table_cell(&t, "%" PRIu64, l->accepted);
		table_cell(&t, "%" PRIu32, l->conns);
	}
	return table_print(&t);
}

static int listen_show(struct evctl *ctx, int argc, char **argv)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct listen_reply r = { 0 };
	struct nlmsghdr *nlh;
	struct evs_nl *nl;
	int ret;

	ret = evctl_no_args(argc, argv);
	if (ret)
		return ret;
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, EVS_CMD_LISTEN_GET, NLM_F_DUMP);
	ret = evctl_talk(ctx, nlh, listen_cb, &r);
	if (!ret && r.bad)
		ret = evctl_bad_reply(r.bad);
	if (!ret)
		ret = listen_print(ctx, &r, false);
	free(r.v);
	return ret;
}

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
	struct listen_reply r = { 0 };
	struct nlmsghdr *nlh;
	struct evs_addr a;
	struct evs_nl *nl;
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
	ret = evctl_talk(ctx, nlh, listen_cb, &r);
	if (!ret && !r.bad && r.nr != 1)
		r.bad = r.nr ? "more than one listener" : "no listener";
	if (!ret && r.bad)
		ret = evctl_bad_reply(r.bad);
	if (!ret)
		ret = listen_print(ctx, &r, true);
	free(r.v);
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
