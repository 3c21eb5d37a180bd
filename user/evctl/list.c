// SPDX-License-Identifier: GPL-2.0
/*
 * Dumps shown as lists; see struct evctl_list.
 */
#include <stdlib.h>

#include "evctl.h"

struct list_reply {
	const struct evctl_list *l;
	char *v;
	size_t nr, size;
	const char *bad;	/* why the reply is malformed, NULL if not */
};

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct list_reply *r = data;

	/* After a bad message, read the rest only to keep the socket sane. */
	if (r->bad)
		return MNL_CB_OK;
	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs)) {
		r->bad = "bad attributes";
		return MNL_CB_OK;
	}
	if (r->nr == r->size) {
		size_t size = r->size ? 2 * r->size : 16;
		char *v = realloc(r->v, size * r->l->size);

		if (!v)
			return MNL_CB_ERROR;	/* errno is ENOMEM */
		r->v = v;
		r->size = size;
	}
	r->bad = r->l->parse(tb, r->v + r->nr * r->l->size);
	if (!r->bad)
		r->nr++;
	return MNL_CB_OK;
}

/* The exit status of a request that returned @ret and collected @r. */
static int list_status(const struct list_reply *r, int ret)
{
	if (!ret && r->bad)
		return evctl_bad_reply(r->bad);
	return ret;
}

int evctl_list_get(struct evctl *ctx, struct nlmsghdr *req,
		   const struct evctl_list *l, void **items, size_t *nr)
{
	struct list_reply r = { .l = l };
	int ret;

	ret = list_status(&r, evctl_talk(ctx, req, list_cb, &r));
	*items = r.v;
	*nr = r.nr;
	return ret;
}

int evctl_list_print(struct evctl *ctx, const struct evctl_list *l,
		     const void *items, size_t nr, bool one)
{
	const char *v = items;
	int ret = EVCTL_OK;
	size_t i;

	print_start(ctx);
	if (!one)
		print_open_array(NULL);
	if (l->heads)
		print_table_start(l->heads, l->align);
	for (i = 0; i < (one ? 1 : nr); i++) {
		if (i && !l->heads)
			print_text("\n");
		print_open_object(NULL);
		ret = l->print(v + i * l->size);
		print_close_object();
		if (ret)
			break;
	}
	if (l->heads) {
		int t = print_table_end();

		ret = ret ?: t;
	}
	if (!one)
		print_close_array();
	return print_end() ?: ret;
}

int evctl_list_show(struct evctl *ctx, int argc, char **argv,
		    const struct evctl_list *l)
{
	struct list_reply r = { .l = l };
	int ret;

	ret = evctl_request(ctx, argc, argv, l->cmd, NLM_F_DUMP, list_cb, &r);
	ret = list_status(&r, ret);
	if (!ret)
		ret = evctl_list_print(ctx, l, r.v, r.nr, false);
	free(r.v);
	return ret;
}
