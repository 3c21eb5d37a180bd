// SPDX-License-Identifier: GPL-2.0
/*
 * evctl: control tool of the evstream module.
 *
 *	evctl [OPTIONS] OBJECT [VERB] [ARGS]
 *
 * The grammar follows ip(8).  Objects and verbs may be shortened to any
 * unique prefix.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/evs_units.h"
#include "evctl.h"

/* Where `ip netns add` puts its namespaces. */
#define NETNS_RUN_DIR	"/run/netns"

/* Has no verbs: `evctl help OBJECT` is help on OBJECT. */
static const struct evctl_object evctl_obj_help = {
	.name	= "help",
};

/* Listed in this order by `evctl help`; the order has no other meaning. */
static const struct evctl_object *const objects[] = {
	&evctl_obj_version,
	&evctl_obj_stats,
	&evctl_obj_listen,
	&evctl_obj_route,
	&evctl_obj_conn,
	&evctl_obj_ring,
	&evctl_obj_latency,
	&evctl_obj_read,
	&evctl_obj_config,
	&evctl_obj_save,
	&evctl_obj_monitor,
	&evctl_obj_help,
	NULL,
};

/* The batch line that messages are about; see evctl_batch_where(). */
static const char *where_file;
static unsigned long where_line;

void evctl_batch_where(const char *file, unsigned long line)
{
	where_file = file;
	where_line = line;
}

static void verr(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("evctl: ", stderr);
	if (where_file)
		fprintf(stderr, "%s:%lu: ", where_file, where_line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int evctl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
	return EVCTL_ERR;
}

int evctl_usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
	fputs("Try 'evctl help'.\n", stderr);
	return EVCTL_USAGE;
}

int evctl_no_args(int argc, char **argv)
{
	if (argc)
		return evctl_usage_err("unexpected argument '%s'", argv[0]);
	return EVCTL_OK;
}

int evctl_parse_u64(const char *what, const char *s, uint64_t max,
		    uint64_t *v)
{
	const char *p = s;
	uint64_t n = 0;

	/* strtoull() would take "-1", "+1", " 1" and "0x1". */
	if (!*p)
		goto bad;
	for (; *p; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (*p < '0' || *p > '9' || d > max || n > (max - d) / 10)
			goto bad;
		n = n * 10 + d;
	}
	*v = n;
	return EVCTL_OK;
bad:
	return evctl_usage_err("invalid %s '%s'", what, s);
}

int evctl_parse_prio(const char *s, uint8_t *prio)
{
	static const struct {
		const char *name;
		uint8_t prio;
	} names[] = {
		{ "realtime", EVS_PRIO_RT }, { "rt", EVS_PRIO_RT },
		{ "0", EVS_PRIO_RT },
		{ "transactional", EVS_PRIO_TX }, { "tx", EVS_PRIO_TX },
		{ "1", EVS_PRIO_TX },
		{ "batch", EVS_PRIO_BATCH }, { "2", EVS_PRIO_BATCH },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i].name)) {
			*prio = names[i].prio;
			return EVCTL_OK;
		}
	}
	return evctl_usage_err("invalid priority '%s' (realtime, transactional or batch)",
			       s);
}

const char *evctl_name_or(const char *name, unsigned int v, char *buf,
			  size_t size)
{
	if (name)
		return name;
	snprintf(buf, size, "%u", v);
	return buf;
}

const char *evctl_prio_name(unsigned int prio, char *buf, size_t size)
{
	return evctl_name_or(evs_prio_name((int)prio), prio, buf, size);
}

int evctl_keyword(const char *const *keys, const char *word, bool have_value,
		  unsigned int *seen)
{
	unsigned int i;

	for (i = 0; keys[i]; i++)
		if (!strcmp(word, keys[i]))
			break;
	if (!keys[i]) {
		evctl_usage_err("unexpected argument '%s'", word);
		return -1;
	}
	if (*seen & (1U << i)) {
		evctl_usage_err("'%s' given twice", word);
		return -1;
	}
	if (!have_value) {
		evctl_usage_err("'%s' needs a value", word);
		return -1;
	}
	*seen |= 1U << i;
	return (int)i;
}

/* Whether @arg is option @o; *@val gets the VALUE of "--long=VALUE". */
static bool opt_is(const struct evctl_opt *o, const char *arg,
		   const char **val)
{
	size_t n = strlen(o->long_name);

	*val = NULL;
	if (o->short_name && !strcmp(arg, o->short_name))
		return true;
	if (strncmp(arg, o->long_name, n))
		return false;
	if (arg[n] == '=')
		*val = arg + n + 1;
	return !arg[n] || arg[n] == '=';
}

int evctl_parse_opts(struct evctl *ctx, int argc, char **argv,
		     const struct evctl_opt *opts,
		     int (*fn)(unsigned int opt, const char *val, void *data),
		     void *data)
{
	unsigned int k, seen = 0;
	const char *val;
	int i, ret;

	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "-j") || !strcmp(arg, "--json")) {
			ctx->json = true;
			ctx->prom = false;
			continue;
		}
		if (!strcmp(arg, "-p") || !strcmp(arg, "--pretty")) {
			ctx->json = true;
			ctx->pretty = true;
			ctx->prom = false;
			continue;
		}
		for (k = 0; opts[k].long_name; k++)
			if (opt_is(&opts[k], arg, &val))
				break;
		if (!opts[k].long_name) {
			if (arg[0] == '-')
				return evctl_usage_err("unknown option '%s'",
						       arg);
			return evctl_usage_err("unexpected argument '%s'", arg);
		}
		if (seen & (1U << k))
			return evctl_usage_err("'%s' given twice",
					       opts[k].long_name);
		seen |= 1U << k;
		if (opts[k].flag) {
			if (val)
				return evctl_usage_err("'%s' takes no value",
						       opts[k].long_name);
		} else if (!val) {
			if (i + 1 == argc)
				return evctl_usage_err("'%s' needs a value",
						       arg);
			val = argv[++i];
		}
		ret = fn(k, val, data);
		if (ret)
			return ret;
	}
	return EVCTL_OK;
}

/* Lock-free: besides volatile sig_atomic_t, what C11 lets a handler set. */
static atomic_bool stop;

static void on_stop(int sig)
{
	(void)sig;
	atomic_store(&stop, true);
}

/*
 * SA_RESETHAND: a second Ctrl-C kills, should a request to the kernel
 * ever hang (the flag is only looked at between requests).
 */
void evctl_catch_stop(void)
{
	struct sigaction sa = {
		.sa_handler	= on_stop,
		.sa_flags	= SA_RESETHAND,
	};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* The time from now to @deadline; false when it has passed. */
static bool time_left(const struct timespec *deadline, struct timespec *left)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left->tv_sec = deadline->tv_sec - now.tv_sec;
	left->tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_nsec += 1000000000L;
		left->tv_sec--;
	}
	return left->tv_sec >= 0;
}

int evctl_wait(int fd, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec left;
	sigset_t block, orig;
	int n, ret;

	/*
	 * Blocked from the look at the flag until ppoll() unblocks them
	 * atomically: a signal in between would otherwise be lost and the
	 * wait go on.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	for (;;) {
		if (atomic_load(&stop)) {
			ret = -1;
			break;
		}
		if (deadline && !time_left(deadline, &left)) {
			ret = 0;
			break;
		}
		n = ppoll(fd >= 0 ? &pfd : NULL, fd >= 0,
			  deadline ? &left : NULL, &orig);
		if (n > 0) {
			ret = 1;
			break;
		}
		/* A timeout comes round to time_left(), EINTR to the flag. */
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return ret;
}

int evctl_bad_reply(const char *why)
{
	return evctl_err("malformed reply from the kernel: %s", why);
}

/*
 * Enters the network namespace `ip netns add NAME` made, or the one a
 * path with a slash in it names (/proc/PID/ns/net), so that every socket
 * opened from now on lives there.
 */
static int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else if (snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name) >=
		 (int)sizeof(path))
		err = ENAMETOOLONG;
	if (!err) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			err = errno;
		if (fd >= 0)
			close(fd);
	}
	if (err)
		return evctl_err("cannot enter network namespace '%s': %s",
				 name, strerror(err));
	return EVCTL_OK;
}

/*
 * @family NULL: the socket whether the module is loaded or not.  One that
 * monitor opened so, in a batch (-b), resolves the family on next use.
 */
static int nl_open(struct evctl *ctx, const char *family, struct evs_nl **nl)
{
	struct evs_nl *n = &ctx->nl;
	int err = 0;

	if (!n->sock) {
		if (ctx->netns) {
			err = enter_netns(ctx->netns);
			if (err)
				return err;
			/* Once only, even if opening fails below. */
			ctx->netns = NULL;
		}
		err = evs_nl_open_family(n, family);
	} else if (family && !n->family) {
		err = evs_nl_resolve_family(n, family, &n->family, &n->version);
	}
	if (err == -ENOENT)
		return evctl_err("evstream module not loaded");
	if (err)
		return evctl_err("cannot talk to the kernel: %s",
				 strerror(-err));
	*nl = n;
	return EVCTL_OK;
}

int evctl_nl(struct evctl *ctx, struct evs_nl **nl)
{
	return nl_open(ctx, EVS_GENL_NAME, nl);
}

int evctl_nl_any(struct evctl *ctx, struct evs_nl **nl)
{
	return nl_open(ctx, NULL, nl);
}

int evctl_talk(struct evctl *ctx, struct nlmsghdr *req, mnl_cb_t cb,
	       void *data)
{
	return evctl_nl_err(ctx, evs_nl_talk(&ctx->nl, req, cb, data));
}

int evctl_request(struct evctl *ctx, int argc, char **argv, uint8_t cmd,
		  uint16_t nlmsg_flags, mnl_cb_t cb, void *data)
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
	nlh = evs_nl_req(nl, buf, cmd, nlmsg_flags);
	return evctl_talk(ctx, nlh, cb, data);
}

int evctl_nl_err(struct evctl *ctx, int err)
{
	const struct evs_nl *nl = &ctx->nl;
	const char *hint = "";
	char line[512];

	if (!err)
		return EVCTL_OK;
	/*
	 * An attribute past the module's last one, the kernel's words for
	 * it: one newer than the module (listen add ... freebind).
	 */
	if (err == -EINVAL && nl->err_name[0] &&
	    !strcmp(nl->errmsg, "Unknown attribute type"))
		return evctl_err("%s: not supported by this module (update evstream.ko)",
				 nl->err_name);
	/*
	 * Policy, not a bug: say what would make it work.  An EPERM the
	 * module explains (a userns ceiling) is not about the capability.
	 */
	if (err == -EPERM && !nl->errmsg[0])
		hint = " (need CAP_NET_ADMIN)";
	evs_nl_strerror(nl, err, line, sizeof(line));
	return evctl_err("%s%s%s%s", nl->err_name, nl->err_name[0] ? ": " : "",
			 line, hint);
}

/* Unique-prefix lookup; an exact match wins over longer names. */
struct match {
	const char *word;
	const void *hit;
	unsigned int nr;	/* prefix matches seen */
	bool exact;
};

static void match_try(struct match *m, const char *name, const void *item)
{
	if (m->exact)
		return;
	if (!strcmp(m->word, name)) {
		m->exact = true;
		m->hit = item;
	} else if (*m->word && !strncmp(m->word, name, strlen(m->word))) {
		m->nr++;
		m->hit = item;
	}
}

/* Returns the match, or NULL after printing why there is none. */
static const void *match_result(const struct match *m, const char *what)
{
	if (m->exact || m->nr == 1)
		return m->hit;
	if (m->nr)
		evctl_usage_err("ambiguous %s '%s'", what, m->word);
	else
		evctl_usage_err("unknown %s '%s'", what, m->word);
	return NULL;
}

static const struct evctl_object *find_object(const char *word)
{
	struct match m = { .word = word };
	unsigned int i;

	for (i = 0; objects[i]; i++)
		match_try(&m, objects[i]->name, objects[i]);
	return match_result(&m, "object");
}

/* Every object also takes "help", so it is matched like a verb. */
static const struct evctl_verb verb_help = { .name = "help" };

static const struct evctl_verb *find_verb(const struct evctl_object *obj,
					  const char *word)
{
	struct match m = { .word = word };
	const struct evctl_verb *v;

	for (v = obj->verbs; v->name; v++)
		match_try(&m, v->name, v);
	match_try(&m, verb_help.name, &verb_help);
	return match_result(&m, "verb");
}

static int synopsis(const struct evctl_object *obj, const struct evctl_verb *v,
		    char *buf, size_t size)
{
	bool dflt = v == obj->verbs && !obj->verb_required;

	if (obj->verbless)
		return snprintf(buf, size, "evctl %s%s%s", obj->name,
				v->args ? " " : "", v->args ? v->args : "");
	return snprintf(buf, size, "evctl %s %s%s%s%s%s", obj->name,
			dflt ? "[" : "", v->name, dflt ? "]" : "",
			v->args ? " " : "", v->args ? v->args : "");
}

static int synopsis_width(const struct evctl_object *obj)
{
	const struct evctl_verb *v;
	int width = 0;

	for (v = obj->verbs; v && v->name; v++) {
		int n = synopsis(obj, v, NULL, 0);

		if (n > width)
			width = n;
	}
	return width;
}

static void print_verbs(const struct evctl_object *obj, int width)
{
	const struct evctl_verb *v;
	char buf[128];

	for (v = obj->verbs; v && v->name; v++) {
		synopsis(obj, v, buf, sizeof(buf));
		printf("  %-*s  %s\n", width, buf, v->help);
	}
}

static int help_object(const struct evctl_object *obj)
{
	printf("Usage: evctl [OPTIONS] %s %s[ARGS]\n\n", obj->name,
	       obj->verbless ? "" : "[VERB] ");
	print_verbs(obj, synopsis_width(obj));
	if (obj->notes)
		printf("\n%s", obj->notes);
	return EVCTL_OK;
}

static int help_all(void)
{
	static const char help_syn[] = "evctl help [OBJECT]";
	int width = sizeof(help_syn) - 1;
	unsigned int i;

	for (i = 0; objects[i]; i++) {
		int n = synopsis_width(objects[i]);

		if (n > width)
			width = n;
	}

	printf("Usage: evctl [OPTIONS] OBJECT [VERB] [ARGS]\n\n");
	for (i = 0; objects[i]; i++)
		print_verbs(objects[i], width);
	printf("  %-*s  %s\n", width, help_syn,
	       "this help, or the verbs of OBJECT");
	printf("  %-*s  %s\n", width, "evctl OBJECT help",
	       "the verbs of OBJECT");
	printf("\nOptions:\n"
	       "  -o, --output FMT   text (the default), json (same as -j) or\n"
	       "                     prometheus (stats show only)\n"
	       "  -j, --json         JSON output\n"
	       "  -p, --pretty       pretty-printed JSON output (implies -j)\n"
	       "  -r, --raw          read: payloads as raw bytes, nothing else\n"
	       "  -n, --netns NETNS  act in network namespace NETNS: a name of\n"
	       "                     'ip netns' (" NETNS_RUN_DIR "/NETNS) or a path\n"
	       "                     with a slash, such as /proc/PID/ns/net\n"
	       "  -b, --batch FILE   run the commands in FILE ('-': stdin), one a\n"
	       "                     line, as OBJECT [VERB] [ARGS]; stop at the\n"
	       "                     first that fails, saying which line\n"
	       "  -force, --force    with -b: go on after a failed line; the exit\n"
	       "                     status says one failed\n"
	       "  -V, --version      same as 'evctl version'\n"
	       "  -h, --help         this help\n"
	       "\nstats and monitor also take -j and -p after the verb.\n"
	       "Objects and verbs may be abbreviated to a unique prefix.\n"
	       "'evctl help OBJECT' also lists the keys of its JSON output.\n"
	       "Exit status: 0 success, 1 kernel error, 2 usage error.\n"
	       "See evctl(8).\n");
	return EVCTL_OK;
}

static int do_help(struct evctl *ctx, int argc, char **argv)
{
	const struct evctl_object *obj;

	(void)ctx;
	if (!argc)
		return help_all();
	obj = find_object(argv[0]);
	if (!obj)
		return EVCTL_USAGE;
	if (argc > 1)
		return evctl_usage_err("unexpected argument '%s'", argv[1]);
	return obj == &evctl_obj_help ? help_all() : help_object(obj);
}

/*
 * Refused before anything is sent: text or JSON in place of the
 * Prometheus format asked for would break whatever scrapes it.
 */
static int run_verb(struct evctl *ctx, const struct evctl_object *obj,
		    const struct evctl_verb *v, int argc, char **argv)
{
	static const char fmt[] =
		"'%s%s%s' has no prometheus output (only 'stats show' has)";

	if (ctx->prom && v != obj->prom_verb)
		return evctl_usage_err(fmt, obj->name,
				       obj->verbless ? "" : " ",
				       obj->verbless ? "" : v->name);
	return v->run(ctx, argc, argv);
}

static int run_object(struct evctl *ctx, const struct evctl_object *obj,
		      int argc, char **argv)
{
	const struct evctl_verb *v = obj->verbs;

	if (!v)
		return do_help(ctx, argc, argv);
	if (obj->verbless) {
		if (argc == 1 && !strcmp(argv[0], verb_help.name))
			return help_object(obj);
		return run_verb(ctx, obj, v, argc, argv);
	}

	if (!argc && obj->verb_required)
		return evctl_usage_err("%s: missing arguments", obj->name);
	/* `evctl stats -w 1`: options alone go to the default verb. */
	if (argc && !(argv[0][0] == '-' && !obj->verb_required)) {
		v = find_verb(obj, argv[0]);
		if (!v)
			return EVCTL_USAGE;
		argc--;
		argv++;
		if (v == &verb_help) {
			if (argc)
				return evctl_no_args(argc, argv);
			return help_object(obj);
		}
	}
	return run_verb(ctx, obj, v, argc, argv);
}

/* -o; of -o, -j and -p, the last one given wins. */
static int set_output(struct evctl *ctx, const char *fmt)
{
	ctx->json = !strcmp(fmt, "json");
	ctx->prom = !strcmp(fmt, "prometheus");
	if (!ctx->json)
		ctx->pretty = false;
	if (ctx->json || ctx->prom || !strcmp(fmt, "text"))
		return EVCTL_OK;
	return evctl_usage_err("invalid output format '%s' (text, json or prometheus)",
			       fmt);
}

int evctl_run(struct evctl *ctx, int argc, char **argv)
{
	const struct evctl_object *obj;

	if (!argc)
		return evctl_usage_err("missing object");
	obj = find_object(argv[0]);
	if (!obj)
		return EVCTL_USAGE;
	return run_object(ctx, obj, argc - 1, argv + 1);
}

static const struct option long_options[] = {
	{ "batch",	required_argument, NULL, 'b' },
	/* Long only, as ip's -force is; 'F' is not a short option. */
	{ "force",	no_argument,	NULL, 'F' },
	{ "output",	required_argument, NULL, 'o' },
	{ "json",	no_argument,	NULL, 'j' },
	{ "pretty",	no_argument,	NULL, 'p' },
	{ "raw",	no_argument,	NULL, 'r' },
	{ "netns",	required_argument, NULL, 'n' },
	{ "version",	no_argument,	NULL, 'V' },
	{ "help",	no_argument,	NULL, 'h' },
	{ NULL }
};

int main(int argc, char **argv)
{
	struct evctl ctx = { 0 };
	bool version = false, help = false, force = false;
	const char *batch = NULL;
	int ret, c;

	evs_units_locale();
	/* Our own messages, in the same format as every other usage error. */
	opterr = 0;
	/*
	 * "+": options end at the object; what follows belongs to it.
	 * ":": a missing value is ':', not '?'.
	 */
	for (;;) {
		/* getopt moves optind past the argument it failed on. */
		const char *arg = argv[optind];

		/* ip(8) spells it with one dash, which getopt cannot take. */
		if (arg && !strcmp(arg, "-force")) {
			force = true;
			optind++;
			continue;
		}
		c = getopt_long(argc, argv, "+:o:b:jprVhn:", long_options,
				NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'o':
			ret = set_output(&ctx, optarg);
			if (ret)
				return ret;
			break;
		case 'j':
			ctx.json = true;
			ctx.prom = false;
			break;
		case 'p':
			ctx.json = true;
			ctx.pretty = true;
			ctx.prom = false;
			break;
		case 'r':
			ctx.raw = true;
			break;
		case 'b':
			batch = optarg;
			break;
		case 'F':
			force = true;
			break;
		case 'V':
			version = true;
			break;
		case 'h':
			help = true;
			break;
		case 'n':
			/* Names are file names in NETNS_RUN_DIR. */
			if (!*optarg || !strcmp(optarg, ".") ||
			    !strcmp(optarg, ".."))
				return evctl_usage_err("invalid network namespace name '%s'",
						       optarg);
			ctx.netns = optarg;
			ctx.netns_name = optarg;
			break;
		case ':':
			if (!strncmp(arg, "--", 2))
				return evctl_usage_err("'%s' needs a value",
						       arg);
			return evctl_usage_err("'-%c' needs a value", optopt);
		default:
			if (!strncmp(arg, "--", 2))
				return evctl_usage_err("unknown option '%s'",
						       arg);
			return evctl_usage_err("unknown option '-%c'",
					       optopt);
		}
	}
	argc -= optind;
	argv += optind;

	if (force && !batch && !help)
		return evctl_usage_err("'-force' needs '-b'");
	if (help) {
		ret = help_all();
	} else if (batch) {
		if (version)
			ret = evctl_usage_err("'-V' and '-b' exclude each other");
		else
			ret = evctl_no_args(argc, argv);
		if (!ret)
			ret = evctl_batch(&ctx, batch, force);
	} else if (version) {
		ret = evctl_no_args(argc, argv);
		if (!ret)
			ret = run_object(&ctx, &evctl_obj_version, 0, argv);
	} else {
		ret = evctl_run(&ctx, argc, argv);
	}

	evs_nl_close(&ctx.nl);
	/* A full disk or closed pipe must not pass for success. */
	if (fflush(stdout) || ferror(stdout)) {
		if (!ret)
			ret = evctl_err("write error: %s", strerror(errno));
	}
	return ret;
}
