// SPDX-License-Identifier: GPL-2.0
/*
 * evctl config: the settings of the caller's network namespace.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../lib/evs_units.h"
#include "evctl.h"
#include "units.h"

/* How config set reads a value: see evs_units.h. */
enum cfg_kind {
	CFG_COUNT,		/* digits only */
	CFG_SIZE,		/* bytes, or 64K, 1GiB, ... */
	CFG_TIME,		/* in unit, or 5s, 200ms, ... */
};

struct cfg_key {
	const char *name;	/* on the command line and in text output */
	/* In JSON output, its unit in the name; config set takes it too. */
	const char *json;
	uint16_t type;		/* EVS_CFG_A_* */
	uint8_t size;		/* of the attribute: 1, 4 or 8 bytes */
	const char *unit;	/* after the value in config show */
	enum cfg_kind kind;
	enum evs_time_unit time;	/* CFG_TIME: the unit of the value */
};

/* In the order of the UAPI header, which is the order shown. */
static const struct cfg_key cfg_keys[] = {
	{ "max-payload", "max_payload_bytes", EVS_CFG_A_MAX_PAYLOAD, 4, "bytes",
	  CFG_SIZE, 0 },
	{ "pool-limit", "pool_limit", EVS_CFG_A_POOL_LIMIT, 4, "events",
	  CFG_COUNT, 0 },
	{ "pressure", "pressure_percent", EVS_CFG_A_PRESSURE, 1, "%",
	  CFG_COUNT, 0 },
	{ "ring-size", "ring_size", EVS_CFG_A_RING_SIZE, 4, "slots",
	  CFG_COUNT, 0 },
	{ "store-limit", "store_limit_bytes", EVS_CFG_A_STORE_LIMIT, 8, "bytes",
	  CFG_SIZE, 0 },
	{ "conn-limit", "conn_limit", EVS_CFG_A_CONN_LIMIT, 4, "connections",
	  CFG_COUNT, 0 },
	{ "batch", "batch", EVS_CFG_A_BATCH, 4, "events",
	  CFG_COUNT, 0 },
	{ "idle-timeout", "idle_timeout_s", EVS_CFG_A_IDLE_TIMEOUT, 4, "s",
	  CFG_TIME, EVS_S },
	/* "us" stands for evs_unit_us(): see cfg_unit(). */
	{ "ack-delay", "ack_delay_us", EVS_CFG_A_ACK_DELAY, 4, "us",
	  CFG_TIME, EVS_US },
};

#define NR_KEYS ARRAY_SIZE(cfg_keys)

/* µs only where the terminal can show it. */
static const char *cfg_unit(const struct cfg_key *k)
{
	return strcmp(k->unit, "us") ? k->unit : evs_unit_us();
}

static int get_value(const struct nlattr *attr, uint8_t size, uint64_t *v)
{
	uint8_t v8;
	uint32_t v32;

	switch (size) {
	case 1:
		if (evs_nl_get_u8(attr, &v8))
			return -1;
		*v = v8;
		return 0;
	case 4:
		if (evs_nl_get_u32(attr, &v32))
			return -1;
		*v = v32;
		return 0;
	default:
		return evs_nl_get_u64(attr, v) ? -1 : 0;
	}
}

const char *evctl_config_parse(const struct nlattr *nest,
			       struct evctl_config *cfg)
{
	const struct nlattr *tb[EVS_CFG_A_MAX + 1];
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	if (!nest || evs_nl_parse_nested(nest, tb, &evs_nl_cfg_attrs))
		return "bad or missing settings";
	/* Settings an older module lacks are left out, not shown as 0. */
	for (i = 0; i < NR_KEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (!tb[k->type])
			continue;
		if (get_value(tb[k->type], k->size, &cfg->val[k->type]))
			return "bad setting";
		cfg->present[k->type] = true;
	}
	return NULL;
}

struct config_reply {
	bool seen;
	const char *bad;	/* why the reply is malformed, NULL if not */
	struct evctl_config cfg;
};

static int config_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct config_reply *r = data;

	r->seen = true;
	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs))
		r->bad = "bad attributes";
	else
		r->bad = evctl_config_parse(tb[EVS_A_CONFIG], &r->cfg);
	return MNL_CB_OK;
}

/*
 * Values exactly as config set takes them, then, unless @numeric, the
 * unit; a size gets its human form too.
 */
void evctl_config_print(const struct evctl_config *cfg, bool numeric)
{
	char buf[EVCTL_UNIT_LEN];
	unsigned int i;

	for (i = 0; i < NR_KEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		uint64_t v = cfg->val[k->type];

		if (!cfg->present[k->type])
			continue;
		print_string(PRINT_TEXT, NULL, "%s", k->name);
		print_u64(PRINT_ANY, k->json, "%s", v);
		/* An empty last cell ends the line with the value. */
		if (numeric) {
			print_string(PRINT_TEXT, NULL, "%s", "");
		} else if (!strcmp(k->unit, "bytes") && v >= 1024) {
			print_string(PRINT_TEXT, NULL, "bytes (%s)",
				     evctl_fmt_bytes(v, buf, sizeof(buf)));
		} else if (k->type == EVS_CFG_A_IDLE_TIMEOUT && !v) {
			print_string(PRINT_TEXT, NULL, "%s", "s (never)");
		} else {
			print_string(PRINT_TEXT, NULL, "%s", cfg_unit(k));
		}
	}
}

int evctl_config_get(struct evctl *ctx, struct evctl_config *cfg)
{
	struct config_reply r = { 0 };
	int ret;

	ret = evctl_request(ctx, 0, NULL, EVS_CMD_CONFIG_GET, 0, config_cb,
			    &r);
	if (ret)
		return ret;
	if (!r.seen || r.bad)
		return evctl_bad_reply(r.bad ? r.bad : "empty");
	*cfg = r.cfg;
	return EVCTL_OK;
}

/*
 * One line a setting, though one `config set` would apply them all or
 * none: a line each is what an operator edits and diffs, and a ceiling
 * that refuses one setting (EPERM) then leaves the others applied, with
 * the line that failed named.
 */
void evctl_config_save(FILE *out, const struct evctl_config *cfg)
{
	unsigned int i;

	for (i = 0; i < NR_KEYS; i++)
		if (cfg->present[cfg_keys[i].type])
			fprintf(out, "config set %s %" PRIu64 "\n",
				cfg_keys[i].name, cfg->val[cfg_keys[i].type]);
}

static int config_show(struct evctl *ctx, int argc, char **argv)
{
	static const char *const heads[] = { "KEY", "VALUE", "", NULL };
	struct config_reply r = { 0 };
	bool numeric = false;
	int ret;

	/* A flag without a value, which evctl_parse_opts() does not take. */
	while (argc && (!strcmp(argv[0], "-N") ||
			!strcmp(argv[0], "--numeric"))) {
		numeric = true;
		argc--;
		argv++;
	}
	ret = evctl_request(ctx, argc, argv, EVS_CMD_CONFIG_GET, 0, config_cb,
			    &r);
	if (ret)
		return ret;
	if (!r.seen || r.bad)
		return evctl_bad_reply(r.bad ? r.bad : "empty");

	print_start(ctx);
	print_table_body_start(heads, "lrl");
	print_open_object(NULL);
	evctl_config_print(&r.cfg, numeric);
	print_close_object();
	ret = print_table_end();
	return print_end() ?: ret;
}

/* Whether @word is @name, '-' and '_' taken for each other. */
static bool key_is(const char *word, const char *name)
{
	for (; *word && *name; word++, name++)
		if (*word != *name &&
		    !(strchr("-_", *word) && strchr("-_", *name)))
			return false;
	return !*word && !*name;
}

/* As text names it, or as config show -j does: what show prints, set takes. */
static const struct cfg_key *find_key(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_KEYS; i++)
		if (key_is(name, cfg_keys[i].name) ||
		    key_is(name, cfg_keys[i].json))
			return &cfg_keys[i];
	return NULL;
}

/*
 * Checks @s against the width of @k's attribute only: the ranges are the
 * kernel's to enforce (they may differ between module versions), and its
 * extended ACK says what is wrong.  Returns EVCTL_OK or EVCTL_USAGE, with
 * a message naming the setting and the widest range.
 */
static int parse_value(const struct cfg_key *k, const char *s, uint64_t *v)
{
	uint64_t max = k->size == 8 ? UINT64_MAX :
		       (1ULL << (8 * k->size)) - 1;
	const char *why;
	int err;

	switch (k->kind) {
	case CFG_SIZE:
		err = evs_parse_size(s, max, v);
		break;
	case CFG_TIME:
		err = evs_parse_duration(s, k->time, max, v);
		break;
	default:
		err = evs_parse_count(s, max, v);
		break;
	}
	if (!err)
		return EVCTL_OK;
	why = evs_unit_strerror(err);
	if (k->kind == CFG_COUNT && err == EVS_UNIT_SUFFIX)
		why = "not a plain number";
	return evctl_usage_err("invalid %s '%s': %s (0..%" PRIu64 " %s)",
			       k->name, s, why, max, cfg_unit(k));
}

static int config_set(struct evctl *ctx, int argc, char **argv)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	const char *given[NR_KEYS] = { NULL };
	uint64_t val[NR_KEYS];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct evs_nl *nl;
	char name[EVS_NL_NAME_LEN];
	unsigned int i;
	uint64_t v;
	int ret;

	if (!argc)
		return evctl_usage_err("missing KEY VALUE");
	for (i = 0; i < (unsigned int)argc; i += 2) {
		const struct cfg_key *k = find_key(argv[i]);

		if (!k)
			return evctl_usage_err("unknown setting '%s'", argv[i]);
		if (given[k - cfg_keys])
			return evctl_usage_err("'%s' given twice", argv[i]);
		if (i + 1 == (unsigned int)argc)
			return evctl_usage_err("'%s' needs a value", argv[i]);
		ret = parse_value(k, argv[i + 1], &val[k - cfg_keys]);
		if (ret)
			return ret;
		given[k - cfg_keys] = argv[i + 1];
	}

	ret = evctl_nl(ctx, &nl);
	if (ret)
		return ret;
	nlh = evs_nl_req(nl, buf, EVS_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
	for (i = 0; i < NR_KEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (!given[i])
			continue;
		v = val[i];
		/* As typed: the kernel's range is about what it was given. */
		snprintf(name, sizeof(name), "%s %s", k->name, given[i]);
		evs_nl_name(nl, nlh, name);
		if (k->size == 1)
			mnl_attr_put_u8(nlh, k->type, (uint8_t)v);
		else if (k->size == 4)
			mnl_attr_put_u32(nlh, k->type, (uint32_t)v);
		else
			mnl_attr_put_u64(nlh, k->type, v);
	}
	mnl_attr_nest_end(nlh, nest);

	return evctl_talk(ctx, nlh, NULL, NULL);
}

static const struct evctl_verb config_verbs[] = {
	{ "show", "[-N|--numeric]", "the settings of this network namespace",
	  config_show },
	{ "set", "KEY VALUE [KEY VALUE ...]",
	  "change settings, all or none (needs CAP_NET_ADMIN)", config_set },
	{ NULL }
};

const struct evctl_object evctl_obj_config = {
	.name	= "config",
	.verbs	= config_verbs,
	.notes	=
	"KEY is one of (or as JSON spells it, max_payload_bytes; '_' and '-'\n"
	"are the same):\n"
	"  max-payload   bytes per frame, at most 65536\n"
	"  pool-limit    events in flight\n"
	"  pressure      percent of pool-limit above which \"auto\" events go\n"
	"                to batch, 1..100\n"
	"  ring-size     slots per ring, a power of two, 64..65536; only while\n"
	"                there is no listener\n"
	"  store-limit   bytes the topic stores may hold\n"
	"  conn-limit    connections open at once\n"
	"  batch         events a consumer takes per run\n"
	"  idle-timeout  seconds a connection may send nothing before it is\n"
	"                closed, 0..86400; 0: never\n"
	"  ack-delay     microseconds an ACK may wait to cover more frames,\n"
	"                0..1000000; 0: at once\n"
	"VALUE is a whole decimal number; the kernel checks its range.  A size\n"
	"  (max-payload, store-limit) may end in K, M, G, T, P, E or KiB, MiB,\n"
	"  GiB, TiB, PiB, EiB, all powers of 1024 (64K is 65536), or B.  A time\n"
	"  (idle-timeout, ack-delay) may end in ns, us, ms, s, m, h or d (5s,\n"
	"  200ms); without a unit it is in the unit above, and it must come to\n"
	"  a whole number of that unit.\n"
	"show prints each value as set takes it, then its unit; with -N\n"
	"  (--numeric), KEY VALUE only, for scripts.\n"
	"JSON: show gives an object with the keys max_payload_bytes,\n"
	"  pool_limit, pressure_percent, ring_size, store_limit_bytes,\n"
	"  conn_limit, batch, idle_timeout_s, ack_delay_us (a setting the\n"
	"  module lacks is left out), which set takes as KEY; see\n"
	"  docs/json.md\n",
};
