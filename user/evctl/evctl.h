/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pieces shared by the evctl objects.  An object is a table of verbs; each
 * verb gets the arguments after it and returns the exit status.  Adding an
 * object means one file with its verbs and one line in objects[] in
 * evctl.c.
 */
#ifndef _EVCTL_H
#define _EVCTL_H

#include <stdbool.h>

#include "../lib/evs_nl.h"
#include "json.h"

/* Exit status: a stable interface, scripts test it. */
enum {
	EVCTL_OK	= 0,
	EVCTL_ERR	= 1,	/* the kernel (or the system) said no */
	EVCTL_USAGE	= 2,	/* bad command line */
};

struct evctl {
	bool json;
	bool pretty;
	struct evs_nl nl;	/* opened on first use by evctl_nl() */
};

struct evctl_verb {
	const char *name;
	const char *args;	/* synopsis of the arguments, NULL if none */
	const char *help;	/* one line for `evctl help` */
	int (*run)(struct evctl *ctx, int argc, char **argv);
};

struct evctl_object {
	const char *name;
	/*
	 * Terminated by an entry with a NULL name.  verbs[0] runs when no
	 * verb is given, so `evctl stats` is `evctl stats show`.
	 */
	const struct evctl_verb *verbs;
};

extern const struct evctl_object evctl_obj_version;
extern const struct evctl_object evctl_obj_stats;

/* "evctl: <message>" on stderr; returns EVCTL_ERR. */
int evctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "evctl: <message>" and "Try 'evctl help'." on stderr; EVCTL_USAGE. */
int evctl_usage_err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* EVCTL_USAGE, with a message, unless @argc is 0. */
int evctl_no_args(int argc, char **argv);

/*
 * Opens the netlink socket on first use, so that `evctl help` works without
 * the module.  Returns EVCTL_OK with *nl set, or prints why not and
 * returns EVCTL_ERR.
 */
int evctl_nl(struct evctl *ctx, struct evs_nl **nl);

/* evs_nl_talk() that prints the kernel's error; returns the exit status. */
int evctl_talk(struct evctl *ctx, struct nlmsghdr *req, mnl_cb_t cb,
	       void *data);

/*
 * JSON output on stdout, pretty if asked.  evctl_json_end() returns the
 * exit status: a misused writer is a bug worth failing loudly on.
 */
void evctl_json_begin(struct evctl *ctx, struct json *j);
int evctl_json_end(struct json *j);

#endif /* _EVCTL_H */
