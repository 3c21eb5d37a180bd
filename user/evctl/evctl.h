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
#include <stddef.h>
#include <stdint.h>

#include "../lib/evs_nl.h"
#include "json.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Exit status: a stable interface, scripts test it. */
enum {
	EVCTL_OK	= 0,
	EVCTL_ERR	= 1,	/* the kernel (or the system) said no */
	EVCTL_USAGE	= 2,	/* bad command line */
};

struct evctl {
	bool json;
	bool pretty;
	bool raw;		/* -r: payloads as raw bytes (read) */
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
	/*
	 * verbs[0] does not run without its name: for `evctl read topic 7`,
	 * where "topic" is the one verb and `evctl read` alone is an error.
	 */
	bool verb_required;
	/* More for `evctl help OBJECT`, such as the JSON keys; may be NULL. */
	const char *notes;
};

extern const struct evctl_object evctl_obj_version;
extern const struct evctl_object evctl_obj_stats;
extern const struct evctl_object evctl_obj_listen;
extern const struct evctl_object evctl_obj_route;
extern const struct evctl_object evctl_obj_conn;
extern const struct evctl_object evctl_obj_read;
extern const struct evctl_object evctl_obj_config;

/* "evctl: <message>" on stderr; returns EVCTL_ERR. */
int evctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "evctl: <message>" and "Try 'evctl help'." on stderr; EVCTL_USAGE. */
int evctl_usage_err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* EVCTL_USAGE, with a message, unless @argc is 0. */
int evctl_no_args(int argc, char **argv);

/*
 * Parses a decimal number (digits only) of at most @max into *@v; on a
 * bad one prints "invalid WHAT 'S'" and returns EVCTL_USAGE.
 */
int evctl_parse_u64(const char *what, const char *s, uint64_t max,
		    uint64_t *v);

/*
 * A priority for a rule: realtime|transactional|batch, rt|tx, or 0|1|2.
 * Returns EVCTL_OK or EVCTL_USAGE with a message.
 */
int evctl_parse_prio(const char *s, uint8_t *prio);

/* evs_prio_name(), or the number for one this evctl does not know. */
const char *evctl_prio_name(unsigned int prio, char *buf, size_t size);

/*
 * For verbs that take "KEYWORD VALUE" pairs in any order: returns the
 * index of @word in @keys (NULL-terminated), or prints a usage error and
 * returns -1 for an unknown keyword, a repeated one (@seen tracks them),
 * or a keyword without its value (@have_value false).
 */
int evctl_keyword(const char *const *keys, const char *word, bool have_value,
		  unsigned int *seen);

/* "malformed reply from the kernel: WHY"; returns EVCTL_ERR. */
int evctl_bad_reply(const char *why);

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
 * Prints the error @err of a request on ctx->nl (nothing when 0), with the
 * kernel's message; returns the exit status.
 */
int evctl_nl_err(struct evctl *ctx, int err);

/*
 * JSON output on stdout, pretty if asked.  evctl_json_end() returns the
 * exit status: a misused writer is a bug worth failing loudly on.
 */
void evctl_json_begin(struct evctl *ctx, struct json *j);
int evctl_json_end(struct json *j);

#endif /* _EVCTL_H */
