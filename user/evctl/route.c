// SPDX-License-Identifier: GPL-2.0
/*
 * evctl route: the routing table, topic -> priority, which decides where
 * events sent with priority "auto" go.
 */
#include <stdio.h>
#include <stdlib.h>

#include "evctl.h"
#include "table.h"

struct route {
	uint16_t topic;
	uint8_t prio;
};

struct route_reply {
	struct route *v;
	size_t nr;
	const char *bad;	/* why the reply is malformed, NULL if not */
};

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct route_reply *r = data;
	struct route *v;
	struct route rt;

	if (r->bad)
		return MNL_CB_OK;
	if (evs_nl_parse(nlh, tb, EVS_A_MAX) ||
	    evs_nl_get_u16(tb[EVS_A_TOPIC], &rt.topic) ||
	    evs_nl_get_u8(tb[EVS_A_PRIO], &rt.prio)) {
		r->bad = "bad or missing topic or priority";
		return MNL_CB_OK;
	}
	v = realloc(r->v, (r->nr + 1) * sizeof(*v));
	if (!v)
		return MNL_CB_ERROR;	/* errno is ENOMEM */
	v[r->nr++] = rt;
	r->v = v;
	return MNL_CB_OK;
}

static int route_print(struct evctl *ctx, const struct route_reply *r)
{
	static const char *const heads[] = { "TOPIC", "PRIO", NULL };
	struct table t;
	struct json j;
	char buf[8];
	size_t i;

	if (ctx->json) {
		evctl_json_begin(ctx, &j);
		json_array_start(&j);
		for (i = 0; i < r->nr; i++) {
			json_object_start(&j);
			json_kv_u64(&j, "topic", r->v[i].topic);
			json_kv_string(&j, "prio",
				       evctl_prio_name(r->v[i].prio, buf,
						       sizeof(buf)));
			json_object_end(&j);
		}
		json_array_end(&j);
		return evctl_json_end(&j);
	}
	table_init(&t, heads, "rl");
	for (i = 0; i < r->nr; i++) {
		table_cell(&t, "%u", r->v[i].topic);
		table_cell(&t, "%s", evctl_prio_name(r->v[i].prio, buf,
						     sizeof(buf)));
	}
	return table_print(&t);
}

static int route_show(struct evctl *ctx, int argc, char **argv)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct route_reply r = { 0 };
	struct nlmsghdr *nlh;
	struct evs_nl *nl;
	int ret;

	ret = evctl_no_args(argc, argv);
	if (ret)
		return ret;
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, EVS_CMD_ROUTE_GET, NLM_F_DUMP);
	ret = evctl_talk(ctx, nlh, route_cb, &r);
	if (!ret && r.bad)
		ret = evctl_bad_reply(r.bad);
	if (!ret)
		ret = route_print(ctx, &r);
	free(r.v);
	return ret;
}

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
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, topic);
	if (add)
		mnl_attr_put_u8(nlh, EVS_A_PRIO, prio);
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
	"  topic, prio (\"realtime\", \"transactional\" or \"batch\")\n",
};
