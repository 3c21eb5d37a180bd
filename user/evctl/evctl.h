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
#include <stdio.h>
#include <time.h>

#include "../lib/evs_addr.h"
#include "../lib/evs_nl.h"
#include "print.h"

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
	bool prom;		/* -o prometheus: only an object's prom_verb */
	bool raw;		/* -r: payloads as raw bytes (read) */
	const char *netns;	/* -n: entered before the first socket */
	/* -n as given, kept after entering: the netns label of -o prometheus */
	const char *netns_name;
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
	/*
	 * verbs[0] is the only verb and has no name to type: everything
	 * after the object is its arguments (`evctl monitor --count 3`).
	 */
	bool verbless;
	/* More for `evctl help OBJECT`, such as the JSON keys; may be NULL. */
	const char *notes;
	/* The one verb with a Prometheus form (-o prometheus), or NULL. */
	const struct evctl_verb *prom_verb;
};

extern const struct evctl_object evctl_obj_version;
extern const struct evctl_object evctl_obj_stats;
extern const struct evctl_object evctl_obj_listen;
extern const struct evctl_object evctl_obj_route;
extern const struct evctl_object evctl_obj_conn;
extern const struct evctl_object evctl_obj_read;
extern const struct evctl_object evctl_obj_config;
extern const struct evctl_object evctl_obj_ring;
extern const struct evctl_object evctl_obj_latency;
extern const struct evctl_object evctl_obj_monitor;
extern const struct evctl_object evctl_obj_save;

/* "evctl: <message>" on stderr; returns EVCTL_ERR. */
int evctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "evctl: <message>" and "Try 'evctl help'." on stderr; EVCTL_USAGE. */
int evctl_usage_err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * In a batch (-b), every message of evctl_err() and evctl_usage_err()
 * names the file and the line it is about: "evctl: FILE:LINE: ...".
 * @file NULL ends that.
 */
void evctl_batch_where(const char *file, unsigned long line);

/* Longest line of a batch, without its newline; a longer one is refused. */
#define EVCTL_BATCH_LINE_MAX	4096

/*
 * evctl -b: runs the commands of @path ("-": stdin), one a line, and
 * stops at the first that fails, unless @force.  Returns the status of
 * the line that failed, with @force the highest; EVCTL_ERR when the file
 * cannot be read.
 */
int evctl_batch(struct evctl *ctx, const char *path, bool force);

/* Runs the command OBJECT [VERB] [ARGS] in @argv; returns its status. */
int evctl_run(struct evctl *ctx, int argc, char **argv);

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

/*
 * Options of a verb (stats -w, monitor --count): "-w 1", "--watch 1" and
 * "--watch=1" all work.  -j/--json and -p/--pretty may follow the verb
 * too and are taken here.
 */
struct evctl_opt {
	const char *short_name;	/* "-w", or NULL */
	const char *long_name;	/* "--watch"; NULL ends a table */
	bool flag;		/* takes no value: fn gets NULL */
};

/*
 * Walks @argv: calls @fn with the index in @opts (NULL-terminated by
 * long_name) and the value of each option found, at most once each.
 * Returns EVCTL_OK, @fn's status, or EVCTL_USAGE with a message for
 * anything else.
 */
int evctl_parse_opts(struct evctl *ctx, int argc, char **argv,
		     const struct evctl_opt *opts,
		     int (*fn)(unsigned int opt, const char *val, void *data),
		     void *data);

/*
 * For the verbs that run until interrupted (stats -w, monitor), which
 * then exit 0: from evctl_catch_stop() on, the first SIGINT or SIGTERM
 * ends the current or next evctl_wait(), whenever it comes.
 */
void evctl_catch_stop(void);

/*
 * Waits until @fd (if >= 0) is readable, the CLOCK_MONOTONIC time
 * @deadline (if not NULL) has come, or SIGINT or SIGTERM arrived (also
 * before the call).  Returns 1 for readable, 0 for the deadline, -1 for a
 * signal: stop.
 */
int evctl_wait(int fd, const struct timespec *deadline);

/* "malformed reply from the kernel: WHY"; returns EVCTL_ERR. */
int evctl_bad_reply(const char *why);

/*
 * Opens the netlink socket on first use, so that `evctl help` works without
 * the module; with -n it enters that network namespace first.  Returns
 * EVCTL_OK with *nl set, or prints why not and returns EVCTL_ERR.
 */
int evctl_nl(struct evctl *ctx, struct evs_nl **nl);

/*
 * evctl_nl() that does not need the module: a socket opened here has
 * nl->family 0, to be resolved by the caller (monitor, which waits for the
 * module).  A socket already open is returned as it is.
 */
int evctl_nl_any(struct evctl *ctx, struct evs_nl **nl);

/* evs_nl_talk() that prints the kernel's error; returns the exit status. */
int evctl_talk(struct evctl *ctx, struct nlmsghdr *req, mnl_cb_t cb,
	       void *data);

/*
 * Prints the error @err of a request on ctx->nl (nothing when 0) on one
 * line: the setting at fault as the user typed it, when evs_nl_name()
 * named it, then evs_nl_strerror(); returns the exit status.
 */
int evctl_nl_err(struct evctl *ctx, int err);

/*
 * A verb without arguments that sends one request, @cmd with @nlmsg_flags
 * (NLM_F_DUMP or 0), and hands each data message of the reply to @cb (may
 * be NULL).  Returns the exit status, after printing what went wrong.
 */
int evctl_request(struct evctl *ctx, int argc, char **argv, uint8_t cmd,
		  uint16_t nlmsg_flags, mnl_cb_t cb, void *data);

/*
 * Things shown as a list, one per message of a dump: the show verbs of
 * conn, listen, route, ring and latency differ only in the command, how
 * one message is read and how one thing is shown.
 */
struct evctl_list {
	uint8_t cmd;		/* EVS_CMD_*_GET */
	size_t size;		/* of one item */
	/*
	 * Fills @item from one message, its attributes indexed in @tb (up to
	 * EVS_A_MAX).  Returns NULL, or why the message is malformed.
	 */
	const char *(*parse)(const struct nlattr **tb, void *item);
	/*
	 * Prints one item (print.h) inside its JSON object: the object's
	 * keys, and in text the cells of its row under @heads, or, without
	 * @heads, whatever shows it best, a blank line between two items.
	 * Returns the exit status.
	 */
	int (*print)(const void *item);
	/* Text: a table with these headings and alignments, a row each. */
	const char *const *heads;
	const char *align;
};

/*
 * Sends @req and collects the items of its reply into *@items (freed by
 * the caller, also on failure), *@nr of them.  Returns the exit status,
 * after printing what went wrong.
 */
int evctl_list_get(struct evctl *ctx, struct nlmsghdr *req,
		   const struct evctl_list *l, void **items, size_t *nr);

/*
 * Prints @nr items: a table, or a JSON array of objects; @one prints the
 * first item as one JSON object instead (`listen add`).
 */
int evctl_list_print(struct evctl *ctx, const struct evctl_list *l,
		     const void *items, size_t nr, bool one);

/* A whole show verb: no arguments, dump @l->cmd, print, free. */
int evctl_list_show(struct evctl *ctx, int argc, char **argv,
		    const struct evctl_list *l);

/*
 * One connection (CONN_GET, NTF_CONN_*) and one listener (LISTEN_GET,
 * NTF_LISTEN_*), shared by their show verbs and the monitor.
 */
struct evctl_conn {
	uint64_t id;
	struct evs_addr peer;
	uint16_t local_port;
	uint8_t state;
	uint8_t paused;
	uint64_t events;
	uint64_t bytes;
	uint32_t acked;
	uint32_t inflight;
	uint64_t idle_ms;
	bool has_idle;		/* an older module does not send it */
	struct evs_addr local;	/* its port is local_port */
	bool has_local;		/* an older module does not send it */
};

struct evctl_listener {
	struct evs_addr addr;
	uint64_t accepted;
	uint32_t conns;
	bool freebind;
};

/* evctl_list parse() functions, for struct evctl_conn and _listener. */
const char *evctl_conn_parse(const struct nlattr **tb, void *item);
const char *evctl_listener_parse(const struct nlattr **tb, void *item);

/*
 * Prints a struct evctl_conn, a struct evctl_listener (print.h): JSON
 * keys inside an object the caller opened, the cells of a conn show or
 * listen show row, or "key value" words.
 */
int evctl_conn_print(const void *item);
int evctl_listener_print(const void *item);

/* @name, or @v as a number in @buf for what this evctl has no name for. */
const char *evctl_name_or(const char *name, unsigned int v, char *buf,
			  size_t size);

/* evs_conn_state_name(), or the number of a state this evctl lacks. */
const char *evctl_state_name(uint8_t state, char *buf, size_t size);

/* The settings of an EVS_A_CONFIG nest, indexed by EVS_CFG_A_*. */
struct evctl_config {
	uint64_t val[EVS_CFG_A_MAX + 1];
	bool present[EVS_CFG_A_MAX + 1];
};

/* Returns NULL, or why @nest is malformed. */
const char *evctl_config_parse(const struct nlattr *nest,
			       struct evctl_config *cfg);

/*
 * Prints the settings present (print.h): JSON keys inside an object the
 * caller opened, "KEY VALUE UNIT" rows of a three-column table (only
 * KEY VALUE if @numeric), or "key value" words.
 */
void evctl_config_print(const struct evctl_config *cfg, bool numeric);

/* CONFIG_GET into *@cfg; returns the exit status, after saying why not. */
int evctl_config_get(struct evctl *ctx, struct evctl_config *cfg);

/*
 * evctl save: the settings present as "config set KEY VALUE" lines, in
 * config show -N's names and numbers, to @out.
 */
void evctl_config_save(FILE *out, const struct evctl_config *cfg);

/*
 * evctl save: every listener ("listen replace ADDR:PORT") and every rule
 * ("route add topic T prio P") of the namespace, a line each, to @out.
 * Returns the exit status, after saying what went wrong; @out may then
 * hold part of it.
 */
int evctl_listen_save(struct evctl *ctx, FILE *out);
int evctl_route_save(struct evctl *ctx, FILE *out);

/* Counter and gauge names; a made-up one for what this evctl lacks. */
const char *evctl_counter_name(unsigned int i, char *buf, size_t size);
const char *evctl_gauge_name(unsigned int i, char *buf, size_t size);

/* Whether counter or gauge @i is a size in bytes. */
bool evctl_counter_is_size(unsigned int i);
bool evctl_gauge_is_size(unsigned int i);

/*
 * The counters or gauges present as the object @key {NAME: n} (print.h):
 * in text "NAME VALUE" rows of a two-column table, or "name value"
 * words; a counter of @type PRINT_ANY that is 0 is left out of text
 * when @skip_zero.
 */
void evctl_counters_print(enum print_type type, const char *key,
			  const struct evs_stats *st, bool skip_zero);
void evctl_gauges_print(enum print_type type, const char *key,
			const struct evs_gauges *g);

/*
 * Counter deltas over @interval_ns as the JSON object @key
 * {NAME: per second}, numbers with three decimals.
 */
void evctl_rates_print(const char *key, const struct evs_stats *delta,
		       uint64_t interval_ns);

/* Quantiles shown: p50, p99, p99.9. */
#define EVCTL_NR_QUANTILES	3

/* The events a histogram counted. */
uint64_t evctl_lat_events(const uint64_t *buckets);

/*
 * Quantile @q (0 to EVCTL_NR_QUANTILES - 1) of a histogram, as text: the
 * upper bound of its bucket ("8.2 µs"), "-" when empty, "inf" in the open
 * last bucket.  Returns @buf.
 */
const char *evctl_lat_quantile_text(const uint64_t *buckets, unsigned int q,
				    char *buf, size_t size);

/*
 * One priority's latency histogram (print.h): JSON keys (prio, events,
 * p50_us, p99_us, p999_us, buckets) inside an object the caller opened;
 * in text, with @histogram, a line of its quantiles and a table of its
 * buckets (latency show), else the cells of a stats row: PRIO, EVENTS,
 * P50, P99, P99.9.  Returns the exit status.
 */
int evctl_latency_print(unsigned int prio, const uint64_t *buckets,
			bool histogram);

/*
 * stats show -o prometheus: what GET_STATS returned (@module the module's
 * version), in the Prometheus text exposition format on stdout.  Returns
 * the exit status.
 */
int evctl_prom_stats(const struct evctl *ctx, const char *module,
		     const struct evs_stats *st, const struct evs_gauges *g,
		     const struct evs_latency *lat);

#endif /* _EVCTL_H */
