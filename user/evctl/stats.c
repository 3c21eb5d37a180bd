// SPDX-License-Identifier: GPL-2.0
/*
 * evctl stats: the counters of the caller's network namespace.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "evctl.h"

struct stats_reply {
	bool seen;
	const char *bad;	/* why the reply is malformed, NULL if not */
	char module[64];
	struct evs_stats st;
};

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct stats_reply *r = data;
	const char *s;

	r->seen = true;
	if (evs_nl_parse(nlh, tb, EVS_A_MAX))
		r->bad = "bad attributes";
	else if (evs_nl_get_str(tb[EVS_A_VERSION], &s))
		r->bad = "bad or missing module version";
	else if (strlen(s) >= sizeof(r->module))
		r->bad = "module version too long";
	else if (!tb[EVS_A_STATS] || evs_nl_parse_stats(tb[EVS_A_STATS],
							&r->st))
		r->bad = "bad or missing counters";
	else
		strcpy(r->module, s);
	return MNL_CB_OK;
}

/* The header's names, in case a counter was added without one. */
static const char *counter_name(unsigned int i, char *buf, size_t size)
{
	int attr = EVS_STATS_A_FIRST_COUNTER + i;
	const char *name = evs_counter_name(attr);

	if (name)
		return name;
	snprintf(buf, size, "counter_%d", attr);
	return buf;
}

static unsigned int u64_width(uint64_t v)
{
	unsigned int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/*
 * Counters the module did not send (an older module) are left out rather
 * than shown as 0, which would be a lie.
 */
static void stats_print(const struct evs_stats *st)
{
	unsigned int i, name_w = 0, val_w = 0;
	char buf[32];

	for (i = 0; i < EVS_NR_COUNTERS; i++) {
		const char *name = counter_name(i, buf, sizeof(buf));

		if (!st->present[i])
			continue;
		if (strlen(name) > name_w)
			name_w = strlen(name);
		if (u64_width(st->counters[i]) > val_w)
			val_w = u64_width(st->counters[i]);
	}
	for (i = 0; i < EVS_NR_COUNTERS; i++) {
		if (!st->present[i])
			continue;
		printf("%-*s  %*" PRIu64 "\n", (int)name_w,
		       counter_name(i, buf, sizeof(buf)), (int)val_w,
		       st->counters[i]);
	}
}

static void stats_json(struct json *j, const struct stats_reply *r)
{
	unsigned int i;
	char buf[32];

	json_object_start(j);
	json_kv_string(j, "version", r->module);
	json_key(j, "counters");
	json_object_start(j);
	for (i = 0; i < EVS_NR_COUNTERS; i++)
		if (r->st.present[i])
			json_kv_u64(j, counter_name(i, buf, sizeof(buf)),
				    r->st.counters[i]);
	json_object_end(j);
	json_object_end(j);
}

static int stats_show(struct evctl *ctx, int argc, char **argv)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct stats_reply r = { 0 };
	struct nlmsghdr *nlh;
	struct evs_nl *nl;
	struct json j;
	int ret;

	ret = evctl_no_args(argc, argv);
	if (ret)
		return ret;
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, EVS_CMD_GET_STATS, 0);
	ret = evctl_talk(ctx, nlh, stats_cb, &r);
	if (ret)
		return ret;
	if (!r.seen || r.bad)
		return evctl_err("malformed reply from the kernel: %s",
				 r.bad ? r.bad : "empty");

	if (!ctx->json) {
		stats_print(&r.st);
		return EVCTL_OK;
	}
	evctl_json_begin(ctx, &j);
	stats_json(&j, &r);
	return evctl_json_end(&j);
}

static int stats_reset(struct evctl *ctx, int argc, char **argv)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct evs_nl *nl;
	int ret;

	ret = evctl_no_args(argc, argv);
	if (ret)
		return ret;
	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, EVS_CMD_STATS_RESET, 0);
	return evctl_talk(ctx, nlh, NULL, NULL);
}

static const struct evctl_verb stats_verbs[] = {
	{ "show", NULL, "counters of this network namespace", stats_show },
	{ "reset", NULL, "zero the counters (needs CAP_NET_ADMIN)",
	  stats_reset },
	{ NULL }
};

const struct evctl_object evctl_obj_stats = {
	.name	= "stats",
	.verbs	= stats_verbs,
};
