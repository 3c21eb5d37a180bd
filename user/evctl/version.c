// SPDX-License-Identifier: GPL-2.0
/*
 * evctl version: versions of evctl, of the module, and of the wire protocol
 * the module speaks.
 */
#include <stdio.h>
#include <string.h>

#include <evstream/version.h>

#include "evctl.h"

struct version_reply {
	bool seen;
	const char *bad;	/* why the reply is malformed, NULL if not */
	char module[64];
	uint8_t proto;
};

static int version_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct version_reply *r = data;
	const char *s;

	r->seen = true;
	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs))
		r->bad = "bad attributes";
	else if (evs_nl_get_str(tb[EVS_A_VERSION], &s))
		r->bad = "bad or missing module version";
	else if (evs_nl_get_u8(tb[EVS_A_PROTO_VERSION], &r->proto))
		r->bad = "bad or missing protocol version";
	else if (strlen(s) >= sizeof(r->module))
		r->bad = "module version too long";
	else
		strcpy(r->module, s);
	return MNL_CB_OK;
}

static int version_show(struct evctl *ctx, int argc, char **argv)
{
	struct version_reply r = { 0 };
	int ret;

	ret = evctl_request(ctx, argc, argv, EVS_CMD_GET_VERSION, 0,
			    version_cb, &r);
	if (ret)
		return ret;
	if (!r.seen || r.bad)
		return evctl_err("malformed reply from the kernel: %s",
				 r.bad ? r.bad : "empty");

	print_start(ctx);
	print_open_object(NULL);
	print_string(PRINT_ANY, "evctl_version", "evctl %s\n", EVS_VERSION);
	print_string(PRINT_ANY, "module_version", "module %s", r.module);
	print_u64(PRINT_ANY, "protocol_version", ", wire protocol %s\n",
		  r.proto);
	print_close_object();
	return print_end();
}

static const struct evctl_verb version_verbs[] = {
	{ "show", NULL, "versions of evctl, the module and the wire protocol",
	  version_show },
	{ NULL }
};

const struct evctl_object evctl_obj_version = {
	.name	= "version",
	.verbs	= version_verbs,
	.notes	=
	"Also 'evctl -V'.\n"
	"JSON: an object with the keys\n"
	"  evctl_version, module_version, protocol_version (the wire\n"
	"  protocol's, a number); see docs/json.md\n",
};
