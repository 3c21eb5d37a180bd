// SPDX-License-Identifier: GPL-2.0
/*
 * evctl ring: how full the per-CPU, per-priority rings between the
 * receive path and the workqueues are.
 */
#include <inttypes.h>
#include <stdio.h>

#include "evctl.h"

struct ring {
	uint32_t cpu;
	uint8_t prio;
	uint32_t count;
	uint32_t size;
};

static const char *ring_parse(const struct nlattr **tb, void *item)
{
	struct ring *r = item;

	if (evs_nl_get_u32(tb[EVS_A_CPU], &r->cpu) ||
	    evs_nl_get_u8(tb[EVS_A_PRIO], &r->prio) ||
	    evs_nl_get_u32(tb[EVS_A_RING_COUNT], &r->count) ||
	    evs_nl_get_u32(tb[EVS_A_RING_SIZE], &r->size))
		return "bad or missing ring attribute";
	return NULL;
}

static int ring_print(const void *item)
{
	const struct ring *r = item;
	char buf[16];

	print_u64(PRINT_ANY, "cpu", "%s", r->cpu);
	print_string(PRINT_ANY, "prio", "%s",
		     evctl_prio_name(r->prio, buf, sizeof(buf)));
	print_u64(PRINT_ANY, "events", "%s", r->count);
	print_u64(PRINT_ANY, "slots", "%s", r->size);
	/* A ring of size 0 would be a kernel bug; show it, not crash. */
	if (r->size)
		snprintf(buf, sizeof(buf), "%.1f", 100.0 * r->count / r->size);
	else
		snprintf(buf, sizeof(buf), "-");
	print_string(PRINT_TEXT, NULL, "%s", buf);
	return EVCTL_OK;
}

static const char *const ring_heads[] = {
	"CPU", "PRIO", "COUNT", "SIZE", "FILL%", NULL
};

static const struct evctl_list ring_list = {
	.cmd	= EVS_CMD_RING_GET,
	.size	= sizeof(struct ring),
	.parse	= ring_parse,
	.print	= ring_print,
	.heads	= ring_heads,
	.align	= "rlrrr",
};

static int ring_show(struct evctl *ctx, int argc, char **argv)
{
	return evctl_list_show(ctx, argc, argv, &ring_list);
}

static const struct evctl_verb ring_verbs[] = {
	{ "show", NULL, "events waiting on each CPU's ring, per priority",
	  ring_show },
	{ NULL }
};

const struct evctl_object evctl_obj_ring = {
	.name	= "ring",
	.verbs	= ring_verbs,
	.notes	=
	"One row per possible CPU and priority: COUNT events on the ring now,\n"
	"SIZE its slots, FILL% the share in use.  Nothing is shown before the\n"
	"first listener of the namespace was added: the rings come with it.\n"
	"JSON: an array of objects with the keys\n"
	"  cpu, prio (\"realtime\", \"transactional\" or \"batch\"), events\n"
	"  (COUNT), slots (SIZE); see docs/json.md\n",
};
