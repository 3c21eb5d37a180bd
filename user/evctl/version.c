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
	struct json j;
	int ret;

	ret = evctl_request(ctx, argc, argv, EVS_CMD_GET_VERSION, 0,
			    version_cb, &r);
	if (ret)
		return ret;
	if (!r.seen || r.bad)
		return evctl_err("malformed reply from the kernel: %s",
				 r.bad ? r.bad : "empty");

	if (!ctx->json) {
		printf("evctl %s\n", EVS_VERSION);
		printf("module %s, wire protocol %u\n", r.module, r.proto);
		return EVCTL_OK;
	}
	evctl_json_begin(ctx, &j);
	json_object_start(&j);
	json_kv_string(&j, "evctl", EVS_VERSION);
	json_kv_string(&j, "module", r.module);
	json_kv_u64(&j, "protocol", r.proto);
	json_object_end(&j);
	return evctl_json_end(&j);
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
	"  evctl (its version), module (the module's), protocol (the wire\n"
	"  protocol version, a number)\n",
};
