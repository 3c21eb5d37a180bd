// SPDX-License-Identifier: GPL-2.0
/*
 * evctl listen: the namespace's listening sockets.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evctl.h"

const char *evctl_listener_parse(const struct nlattr **tb, void *item)
{
	struct evctl_listener *l = item;

	if (evs_addr_get(tb[EVS_A_ADDR_IN], tb[EVS_A_ADDR_IN6],
			 tb[EVS_A_PORT], &l->addr) || !tb[EVS_A_PORT])
		return "bad or missing listener address";
	if (evs_nl_get_u64(tb[EVS_A_LISTEN_ACCEPTED], &l->accepted) ||
	    evs_nl_get_u32(tb[EVS_A_LISTEN_CONNS], &l->conns))
		return "bad or missing listener counters";
	/* A flag: there or not; an older module has no such listener. */
	l->freebind = tb[EVS_A_LISTEN_FREEBIND];
	return NULL;
}

int evctl_listener_print(const void *item)
{
	const struct evctl_listener *l = item;

	print_addr(PRINT_ANY, "local", "%s", &l->addr);
	print_u64(PRINT_ANY, "accepted", "%s", l->accepted);
	print_u64(PRINT_ANY, "conns", "%s", l->conns);
	print_bool(PRINT_ANY, "freebind", "%s", l->freebind);
	return EVCTL_OK;
}

static const char *const listen_heads[] = {
	"ADDRESS", "ACCEPTED", "CONNS", "FREEBIND", NULL
};

static const struct evctl_list listen_list = {
	.cmd	= EVS_CMD_LISTEN_GET,
	.size	= sizeof(struct evctl_listener),
	.parse	= evctl_listener_parse,
	.print	= evctl_listener_print,
	.heads	= listen_heads,
	.align	= "lrrl",
};

/*
 * The arguments of add, replace and del: ADDR:PORT, then for the first
 * two (@freebind not NULL) the option "freebind".
 */
static int listen_parse(int argc, char **argv, struct evs_addr *a,
			bool *freebind)
{
	int err, used = 1;

	if (!argc)
		return evctl_usage_err("missing ADDR:PORT");
	err = evs_addr_lookup(argv[0], 0, a);
	if (err)
		return evctl_usage_err("invalid address '%s': %s", argv[0],
				       evs_addr_strerror(err));
	if (freebind) {
		*freebind = argc > 1 && !strcmp(argv[1], "freebind");
		used += *freebind;
	}
	if (argc > used)
		return evctl_usage_err("unexpected argument '%s'", argv[used]);
	/*
	 * The family has no attribute for it: the module would bind a
	 * link-local address without its interface, which fails.
	 */
	if (a->scope_id)
		return evctl_usage_err("invalid address '%s': %s; listen on [::]:%u",
				       argv[0], "the module takes no interface",
				       a->port);
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
	bool freebind;
	size_t nr;
	int ret;

	ret = listen_parse(argc, argv, &a,
			   cmd == EVS_CMD_LISTEN_ADD ? &freebind : NULL);
	if (ret)
		return ret;
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, cmd, 0);
	if (evs_addr_put(nlh, sizeof(buf), &a))
		return evctl_err("request too big");
	/* Named, so that a module from before it is said to lack it. */
	if (cmd == EVS_CMD_LISTEN_ADD && freebind) {
		evs_nl_name(nl, nlh, "freebind");
		if (!mnl_attr_put_check(nlh, sizeof(buf),
					EVS_A_LISTEN_FREEBIND, 0, ""))
			return evctl_err("request too big");
	}
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

static bool addr_eq(const struct evs_addr *a, const struct evs_addr *b)
{
	return a->port == b->port && evs_addr_same_host(a, b);
}

/* The listeners of the namespace into *@v (freed by the caller). */
static int listen_get(struct evctl *ctx, struct evctl_listener **v,
		      size_t *nr)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct evs_nl *nl;
	int ret;

	*v = NULL;
	*nr = 0;
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, EVS_CMD_LISTEN_GET, NLM_F_DUMP);
	return evctl_list_get(ctx, nlh, &listen_list, (void **)v, nr);
}

/*
 * What lets a batch file be applied again (systemctl reload): a listener
 * already on ADDR:PORT is kept as it is, with its connections, where add
 * would fail with EADDRINUSE.  Looked up first rather than after that
 * error, which a socket outside evstream causes too.  Its one option,
 * freebind, matters only to bind(): a listener that is up keeps it as
 * it is, with or without.
 */
static int listen_replace(struct evctl *ctx, int argc, char **argv)
{
	struct evctl_listener *v;
	struct evs_addr a;
	bool freebind;
	size_t i, nr;
	int ret;

	ret = listen_parse(argc, argv, &a, &freebind);
	if (ret)
		return ret;
	/* "Any free port" names no listener to keep. */
	if (!a.port)
		return evctl_usage_err("'%s': replace needs a port, not 0",
				       argv[0]);
	ret = listen_get(ctx, &v, &nr);
	for (i = 0; !ret && i < nr; i++)
		if (addr_eq(&v[i].addr, &a))
			break;
	if (!ret && i < nr)
		ret = evctl_list_print(ctx, &listen_list, &v[i], 1, true);
	else if (!ret)
		ret = listen_change(ctx, argc, argv, EVS_CMD_LISTEN_ADD);
	free(v);
	return ret;
}

int evctl_listen_save(struct evctl *ctx, FILE *out)
{
	char addr[EVS_ADDR_STRLEN];
	struct evctl_listener *v;
	size_t i, nr;
	int ret;

	ret = listen_get(ctx, &v, &nr);
	for (i = 0; !ret && i < nr; i++)
		fprintf(out, "listen replace %s%s\n",
			evs_addr_format(&v[i].addr, addr, sizeof(addr)),
			v[i].freebind ? " freebind" : "");
	free(v);
	return ret;
}

static int listen_show(struct evctl *ctx, int argc, char **argv)
{
	return evctl_list_show(ctx, argc, argv, &listen_list);
}

static const struct evctl_verb listen_verbs[] = {
	{ "show", NULL, "listening sockets and their connection counts",
	  listen_show },
	{ "add", "ADDR:PORT [freebind]",
	  "listen on A.B.C.D:PORT or [IPV6]:PORT (port 0: any free one)",
	  listen_add },
	{ "replace", "ADDR:PORT [freebind]",
	  "add, or keep the listener already on ADDR:PORT as it is",
	  listen_replace },
	{ "del", "ADDR:PORT", "close a listener and its connections",
	  listen_del },
	{ NULL }
};

const struct evctl_object evctl_obj_listen = {
	.name	= "listen",
	.verbs	= listen_verbs,
	.notes	=
	"'add' prints the new listener, with the port the kernel chose.\n"
	"'replace' is 'add' that a batch file can run again: a listener on\n"
	"  ADDR:PORT already is kept, connections and all, and printed; the\n"
	"  form 'evctl save' writes.\n"
	"'freebind' binds an address the namespace does not have (yet), as\n"
	"  IP_FREEBIND does: clients reach the listener once the address is\n"
	"  added (at boot, before the network is up).  Without it such an\n"
	"  address fails: Cannot assign requested address.\n"
	"JSON: show gives an array, add one object, with the keys\n"
	"  family (\"inet\" or \"inet6\"), local_addr, local_port, accepted,\n"
	"  conns, freebind (boolean); see docs/json.md\n",
};
