// SPDX-License-Identifier: GPL-2.0
/*
 * evctl route: the routing table, topic -> priority, which decides where
 * events sent with priority "auto" go.
 */
#include <stdio.h>
#include <stdlib.h>

#include "evctl.h"

struct route {
	uint16_t topic;
	uint8_t prio;
};

static const char *route_parse(const struct nlattr **tb, void *item)
{
	struct route *rt = item;

	if (evs_nl_get_u16(tb[EVS_A_TOPIC], &rt->topic) ||
	    evs_nl_get_u8(tb[EVS_A_PRIO], &rt->prio))
		return "bad or missing topic or priority";
	return NULL;
}

static int route_print(const void *item)
{
	const struct route *rt = item;
	char buf[8];

	print_u64(PRINT_ANY, "topic", "%s", rt->topic);
	print_string(PRINT_ANY, "prio", "%s",
		     evctl_prio_name(rt->prio, buf, sizeof(buf)));
	return EVCTL_OK;
}

static const char *const route_heads[] = { "TOPIC", "PRIO", NULL };

static const struct evctl_list route_list = {
	.cmd	= EVS_CMD_ROUTE_GET,
	.size	= sizeof(struct route),
	.parse	= route_parse,
	.print	= route_print,
	.heads	= route_heads,
	.align	= "rl",
};

enum { KEY_TOPIC, KEY_PRIO };
static const char *const add_keys[] = { "topic", "prio", NULL };
static const char *const del_keys[] = { "topic", NULL };

/*
 * "topic T [prio P]" in any order; @need_prio says whether prio is
 * required (add) or refused (del).
 */
static int route_args(int argc, char **argv, bool need_prio,
		      uint16_t *topic, uint8_t *prio)
{
	unsigned int seen = 0;
	uint64_t v;
	int i, k, ret;

	for (i = 0; i < argc; i += 2) {
		k = evctl_keyword(need_prio ? add_keys : del_keys, argv[i],
				  i + 1 < argc, &seen);
		if (k < 0)
			return EVCTL_USAGE;
		if (k == KEY_TOPIC) {
			ret = evctl_parse_u64("topic", argv[i + 1], UINT16_MAX,
					      &v);
			*topic = (uint16_t)v;
		} else {
			ret = evctl_parse_prio(argv[i + 1], prio);
		}
		if (ret)
			return ret;
	}
	if (!(seen & (1U << KEY_TOPIC)))
		return evctl_usage_err("missing 'topic'");
	if (need_prio && !(seen & (1U << KEY_PRIO)))
		return evctl_usage_err("missing 'prio'");
	return EVCTL_OK;
}

static int route_change(struct evctl *ctx, int argc, char **argv,
			bool add)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	char name[EVS_NL_NAME_LEN], pbuf[16];
	struct nlmsghdr *nlh;
	struct evs_nl *nl;
	uint16_t topic = 0;
	uint8_t prio = 0;
	int ret;

	ret = route_args(argc, argv, add, &topic, &prio);
	if (ret)
		return ret;
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, add ? EVS_CMD_ROUTE_ADD : EVS_CMD_ROUTE_DEL,
			 0);
	snprintf(name, sizeof(name), "topic %u", topic);
	evs_nl_name(nl, nlh, name);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, topic);
	if (add) {
		snprintf(name, sizeof(name), "prio %s",
			 evctl_prio_name(prio, pbuf, sizeof(pbuf)));
		evs_nl_name(nl, nlh, name);
		mnl_attr_put_u8(nlh, EVS_A_PRIO, prio);
	}
	return evctl_talk(ctx, nlh, NULL, NULL);
}

static int route_add(struct evctl *ctx, int argc, char **argv)
{
	return route_change(ctx, argc, argv, true);
}

static int route_del(struct evctl *ctx, int argc, char **argv)
{
	return route_change(ctx, argc, argv, false);
}

int evctl_route_save(struct evctl *ctx, FILE *out)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct route *v = NULL;
	struct nlmsghdr *nlh;
	struct evs_nl *nl;
	char prio[8];
	size_t i, nr = 0;
	int ret;

	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, EVS_CMD_ROUTE_GET, NLM_F_DUMP);
	/* ROUTE_ADD replaces a rule: these lines can be applied again. */
	ret = evctl_list_get(ctx, nlh, &route_list, (void **)&v, &nr);
	for (i = 0; !ret && i < nr; i++)
		fprintf(out, "route add topic %u prio %s\n", v[i].topic,
			evctl_prio_name(v[i].prio, prio, sizeof(prio)));
	free(v);
	return ret;
}

static int route_show(struct evctl *ctx, int argc, char **argv)
{
	return evctl_list_show(ctx, argc, argv, &route_list);
}

static const struct evctl_verb route_verbs[] = {
	{ "show", NULL, "the rules: which priority \"auto\" events of a topic get",
	  route_show },
	{ "add", "topic T prio P",
	  "add or replace the rule of topic T; P: realtime|transactional|batch",
	  route_add },
	{ "del", "topic T", "remove the rule of topic T", route_del },
	{ NULL }
};

const struct evctl_object evctl_obj_route = {
	.name	= "route",
	.verbs	= route_verbs,
	.notes	=
	"P may also be rt, tx, 0, 1 or 2.\n"
	"JSON: show gives an array of objects with the keys\n"
	"  topic, prio (\"realtime\", \"transactional\" or \"batch\");\n"
	"  see docs/json.md\n",
};
