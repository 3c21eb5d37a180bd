// SPDX-License-Identifier: GPL-2.0
/*
 * evctl save: the configuration of the network namespace as a batch file
 * that `evctl -b FILE` applies again.
 *
 * Sections come in the order a fresh namespace takes them: the settings
 * first, since the ring size is refused (EBUSY) once a listener is up;
 * then the listeners; then the routes.  Every line can also be applied
 * where it already holds: `config set` of a value in force changes
 * nothing, `listen replace` keeps a listener that is there, `route add`
 * replaces a rule.  So the same file serves a boot and a reload.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <evstream/version.h>

#include "evctl.h"

/*
 * SOURCE_DATE_EPOCH (reproducible-builds.org) fixes the date, so that
 * two saves of one state compare equal, in tests and in version control.
 */
static void save_header(const struct evctl *ctx, FILE *out)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	uint64_t secs;
	char date[32];
	struct tm tm;
	time_t t;

	if (!epoch || evctl_parse_u64("SOURCE_DATE_EPOCH", epoch, INT32_MAX,
				      &secs))
		t = time(NULL);
	else
		t = (time_t)secs;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);

	fprintf(out, "# evstream configuration, written by evctl %s on %s\n",
		EVS_VERSION, date);
	if (ctx->netns_name)
		fprintf(out, "# from network namespace %s\n",
			ctx->netns_name);
	fprintf(out, "# Apply with: evctl [-n NETNS] -b FILE\n");
}

static int save_settings(struct evctl *ctx, FILE *out)
{
	struct evctl_config cfg;
	int ret;

	ret = evctl_config_get(ctx, &cfg);
	if (!ret)
		evctl_config_save(out, &cfg);
	return ret;
}

static const struct {
	const char *title;
	int (*save)(struct evctl *ctx, FILE *out);
} sections[] = {
	{ "settings", save_settings },
	{ "listeners", evctl_listen_save },
	{ "routes", evctl_route_save },
	/*
	 * Groups, when they come, go here: after the routes, which exist
	 * without them, and before anything that names a group.
	 */
};

static int save_run(struct evctl *ctx, int argc, char **argv)
{
	char *text = NULL;
	size_t len = 0;
	unsigned int i;
	FILE *out;
	int ret;

	if (ctx->json)
		return evctl_usage_err("'save' has no JSON output");
	ret = evctl_no_args(argc, argv);
	if (ret)
		return ret;
	/*
	 * Written out only once whole: a save that fails halfway must not
	 * leave a file that looks complete and restores half the state.
	 */
	out = open_memstream(&text, &len);
	if (!out)
		return evctl_err("cannot save: %s", strerror(errno));
	save_header(ctx, out);
	for (i = 0; !ret && i < ARRAY_SIZE(sections); i++) {
		fprintf(out, "\n# %s\n", sections[i].title);
		ret = sections[i].save(ctx, out);
	}
	if (fclose(out) && !ret)
		ret = evctl_err("cannot save: %s", strerror(errno));
	if (!ret)
		fwrite(text, 1, len, stdout);
	free(text);
	return ret;
}

static const struct evctl_verb save_verbs[] = {
	{ "save", NULL,
	  "the settings, listeners and routes as a file for 'evctl -b'",
	  save_run },
	{ NULL }
};

const struct evctl_object evctl_obj_save = {
	.name		= "save",
	.verbs		= save_verbs,
	.verbless	= true,
	.notes		=
	"Prints the network namespace's whole configuration: every setting\n"
	"  (config set lines), every listener (listen replace) and every\n"
	"  routing rule (route add), in the order 'evctl -b FILE' applies\n"
	"  them to a fresh namespace, with a comment naming evctl's version\n"
	"  and the date (SOURCE_DATE_EPOCH, if set).\n"
	"Every line can be applied again: a setting already in force, a\n"
	"  listener already there or a rule already set changes nothing, so\n"
	"  the file also serves a reload.  Applying it adds and changes, never\n"
	"  removes: listeners and rules the file lacks stay.  The ring size\n"
	"  cannot change while a listener is up (the line fails, EBUSY).\n"
	"Nothing is printed unless all of it was read.\n",
};
