// SPDX-License-Identifier: GPL-2.0
/*
 * evctl monitor: the notifications of the "monitor" group as they come,
 * one line each: connections opening and closing, listeners, routes and
 * settings changing, protocol errors, and once a second the rates.  It
 * outlives the module: the genetlink controller's "notify" group tells
 * it of the module going and coming back, and it joins the group of the
 * new one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "evctl.h"

/* 1 MiB, room for a burst: a listener going away closes its connections. */
#define MONITOR_RCVBUF	1048576

struct monitor {
	struct evctl *ctx;
	struct evs_nl *req;	/* requests: ctx->nl */
	/*
	 * The groups joined, and no requests: evs_nl_talk() skips what is
	 * not its reply, which here would be notifications.
	 */
	struct evs_nl ntf;
	uint64_t count;		/* stop after this many, 0: never */
	uint64_t seen;
	bool wait;		/* --wait: for a module not loaded at start */
	bool joined;		/* to the group of the module loaded now */
	uint16_t family;	/* its family id while joined */
	int status;		/* why a callback ended the run */
};

/*
 * A line: the time (text: local, "2024-05-01T12:34:56.789"; JSON:
 * timestamp_ms, milliseconds since the epoch) and the kind, then its
 * fields as "key value" words or JSON keys.
 */
static void line_start(struct monitor *m, const char *kind)
{
	struct timespec ts;
	char buf[40];
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%03ld", ts.tv_nsec / 1000000L);

	print_start(m->ctx);
	print_open_object(NULL);
	print_string(PRINT_JSON, "event", NULL, kind);
	print_u64(PRINT_JSON, "timestamp_ms", NULL,
		  (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
	print_text("%s %s", buf, kind);
	print_words_start();
}

static int line_end(struct monitor *m)
{
	(void)m;
	print_words_end();
	print_text("\n");
	print_close_object();
	return print_end();
}

/* NTF_CONN_OPEN and NTF_CONN_CLOSE: the connection as conn show has it. */
static const char *show_conn(struct monitor *m, const struct nlattr **tb,
			     const char *kind)
{
	bool close = !strcmp(kind, "conn-close");
	struct evctl_conn c;
	uint8_t reason = 0;
	const char *bad;
	char buf[8];

	bad = evctl_conn_parse(tb, &c);
	if (bad)
		return bad;
	if (close && evs_nl_get_u8(tb[EVS_A_CLOSE_REASON], &reason))
		return "bad or missing close reason";

	line_start(m, kind);
	evctl_conn_print(&c);
	if (close)
		print_string(PRINT_ANY, "close_reason", "%s",
			     evctl_name_or(evs_close_reason_name(reason),
					   reason, buf, sizeof(buf)));
	return NULL;
}

/* NTF_LISTEN_ADD and NTF_LISTEN_DEL: the listener as listen show has it. */
static const char *show_listen(struct monitor *m, const struct nlattr **tb,
			       const char *kind)
{
	struct evctl_listener l;
	const char *bad;

	bad = evctl_listener_parse(tb, &l);
	if (bad)
		return bad;
	line_start(m, kind);
	evctl_listener_print(&l);
	return NULL;
}

/* NTF_ROUTE_ADD (topic, prio) and NTF_ROUTE_DEL (topic). */
static const char *show_route(struct monitor *m, const struct nlattr **tb,
			      const char *kind)
{
	bool add = !strcmp(kind, "route-add");
	uint16_t topic;
	uint8_t prio = 0;
	char buf[8];

	if (evs_nl_get_u16(tb[EVS_A_TOPIC], &topic) ||
	    (add && evs_nl_get_u8(tb[EVS_A_PRIO], &prio)))
		return "bad or missing topic or priority";
	line_start(m, kind);
	print_u64(PRINT_ANY, "topic", "%s", topic);
	if (add)
		print_string(PRINT_ANY, "prio", "%s",
			     evctl_prio_name(prio, buf, sizeof(buf)));
	return NULL;
}

/* NTF_CONFIG: every setting, as config show names them. */
static const char *show_config(struct monitor *m, const struct nlattr **tb,
			       const char *kind)
{
	struct evctl_config cfg;
	const char *bad;

	bad = evctl_config_parse(tb[EVS_A_CONFIG], &cfg);
	if (bad)
		return bad;
	line_start(m, kind);
	evctl_config_print(&cfg, false);
	return NULL;
}

/* The ERROR_KIND of a protocol error: "magic" for EVS_ERR_MAGIC. */
static const char *error_kind(uint8_t kind, char *buf, size_t size)
{
	return evctl_name_or(evs_error_kind_name(kind), kind, buf, size);
}

/* NTF_PROTO_ERROR: which connection sent what, and what it was told. */
static const char *show_proto_error(struct monitor *m,
				    const struct nlattr **tb,
				    const char *kind)
{
	const char *msg;
	char buf[8];
	struct evs_addr peer;
	uint32_t client_seq;
	uint64_t conn;
	uint8_t err;

	if (evs_nl_get_u64(tb[EVS_A_CONN_ID], &conn) ||
	    evs_addr_get(tb[EVS_A_ADDR_IN], tb[EVS_A_ADDR_IN6],
			 tb[EVS_A_PORT], &peer) || !tb[EVS_A_PORT] ||
	    evs_nl_get_u8(tb[EVS_A_ERROR_KIND], &err) ||
	    evs_nl_get_str(tb[EVS_A_ERROR_MSG], &msg) ||
	    evs_nl_get_u32(tb[EVS_A_EVENT_CLIENT_SEQ], &client_seq))
		return "bad or missing error attribute";
	line_start(m, kind);
	print_u64(PRINT_ANY, "conn_id", "%s", conn);
	print_addr(PRINT_ANY, "peer", "%s", &peer);
	print_string(PRINT_ANY, "error_kind", "%s",
		     error_kind(err, buf, sizeof(buf)));
	print_u64(PRINT_ANY, "client_seq", "%s", client_seq);
	print_string(PRINT_ANY, "error_message", "%s", msg);
	return NULL;
}

/*
 * NTF_RATE: counter deltas over the interval and the gauges.  The text
 * line leaves out the counters that did not move; JSON has them all.
 */
static const char *show_rate(struct monitor *m, const struct nlattr **tb,
			     const char *kind)
{
	struct evs_stats d;
	struct evs_gauges g;
	uint32_t ms;

	memset(&g, 0, sizeof(g));
	if (evs_nl_get_u32(tb[EVS_A_INTERVAL_MS], &ms) ||
	    evs_nl_parse_stats(tb[EVS_A_STATS], &d) ||
	    (tb[EVS_A_GAUGES] && evs_nl_parse_gauges(tb[EVS_A_GAUGES], &g)))
		return "bad or missing interval, counters or gauges";
	line_start(m, kind);
	print_u64(PRINT_ANY, "interval_ms", "%s", ms);
	evctl_counters_print(PRINT_ANY, "deltas", &d, true);
	evctl_rates_print("rates", &d, ms * 1000000ULL);
	evctl_gauges_print(PRINT_ANY, "gauges", &g);
	return NULL;
}

/*
 * Each notification: its name on the line (the "event" key in JSON) and
 * the function that checks it and, only once it is whole, prints it.
 */
static const struct ntf_kind {
	uint8_t cmd;
	const char *name;
	const char *(*show)(struct monitor *m, const struct nlattr **tb,
			    const char *kind);
} kinds[] = {
	{ EVS_CMD_NTF_CONN_OPEN, "conn-open", show_conn },
	{ EVS_CMD_NTF_CONN_CLOSE, "conn-close", show_conn },
	{ EVS_CMD_NTF_LISTEN_ADD, "listen-add", show_listen },
	{ EVS_CMD_NTF_LISTEN_DEL, "listen-del", show_listen },
	{ EVS_CMD_NTF_ROUTE_ADD, "route-add", show_route },
	{ EVS_CMD_NTF_ROUTE_DEL, "route-del", show_route },
	{ EVS_CMD_NTF_CONFIG, "config", show_config },
	{ EVS_CMD_NTF_PROTO_ERROR, "proto-error", show_proto_error },
	{ EVS_CMD_NTF_RATE, "rate", show_rate },
};

static bool counted_out(const struct monitor *m)
{
	return m->count && m->seen == m->count;
}

/* module-unload, module-load: the kind and the time, nothing else. */
static int module_line(struct monitor *m, const char *kind)
{
	int ret;

	line_start(m, kind);
	ret = line_end(m);
	if (!ret)
		m->seen++;
	return ret;
}

/* The module went away, and with it the group and our membership. */
static int module_gone(struct monitor *m)
{
	m->joined = false;
	m->family = 0;
	/* A batch's next line resolves the family again. */
	m->req->family = 0;
	return module_line(m, "module-unload");
}

/*
 * Joins the "monitor" group of the module loaded now, as the controller
 * has it: after a reload the family and the group have new ids.  Says
 * "module-load" unless @quiet (at start) or it was joined to this very
 * module already; says "module-unload" first when the module it was
 * joined to is gone, which a lost DELFAMILY left untold.  Returns the
 * exit status, after printing why not when monitor cannot go on.
 */
static int resync(struct monitor *m, bool quiet)
{
	bool again = m->joined;
	uint32_t group;
	uint16_t id;
	int ret, err;

	err = evs_nl_family_group(m->req, EVS_GENL_NAME, EVS_MCGRP_MONITOR,
				  &id, &group);
	if (err == -ENOENT)
		return m->joined ? module_gone(m) : EVCTL_OK;
	if (err)
		return evctl_nl_err(m->ctx, err);
	if (!group)
		return evctl_err("the evstream module is too old: no \"%s\" group",
				 EVS_MCGRP_MONITOR);
	if (m->joined && id != m->family) {
		again = false;
		ret = module_gone(m);
		if (ret || counted_out(m))
			return ret;
	}
	/* Joining again is harmless, and after a loss the group may differ. */
	err = evs_nl_join(&m->ntf, group);
	if (err)
		return evctl_err("cannot join the \"%s\" group: %s",
				 EVS_MCGRP_MONITOR, strerror(-err));
	m->joined = true;
	m->family = id;
	m->req->family = id;
	return quiet || again ? EVCTL_OK : module_line(m, "module-load");
}

/*
 * The controller's news of a family: only evstream's matter.  A DELFAMILY
 * or NEWFAMILY of a registration that is not the current one is old news
 * (two reloads in quick succession): resync() asks what is loaded now.
 */
static int ctrl_ntf(struct monitor *m, const struct nlmsghdr *nlh)
{
	struct evs_nl_family_ntf f;
	int ret;

	ret = evs_nl_parse_family_ntf(nlh, &f);
	if (ret < 0) {
		evctl_err("malformed controller notification: bad attributes or no family name or id");
		return EVCTL_OK;
	}
	if (!ret || strcmp(f.name, EVS_GENL_NAME))
		return EVCTL_OK;
	if (f.cmd == CTRL_CMD_DELFAMILY)
		return m->joined && f.id == m->family ? module_gone(m) :
							EVCTL_OK;
	if (m->joined && f.id == m->family)
		return EVCTL_OK;
	return resync(m, false);
}

static int ntf_cb(const struct nlmsghdr *nlh, void *data);

/* Every message on the socket: the controller's, or the module's. */
static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct monitor *m = data;

	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		m->status = ctrl_ntf(m, nlh);
		if (m->status)
			return MNL_CB_ERROR;
		return counted_out(m) ? MNL_CB_STOP : MNL_CB_OK;
	}
	/* Another family's, or the last module's, sent before it went. */
	if (!m->joined || nlh->nlmsg_type != m->family)
		return MNL_CB_OK;
	return ntf_cb(nlh, m);
}

static int ntf_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct ntf_kind *k = NULL;
	struct monitor *m = data;
	const char *bad;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i].cmd == g->cmd)
			k = &kinds[i];
	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs)) {
		evctl_err("malformed %s notification: bad attributes",
			  k ? k->name : "unknown");
		return MNL_CB_OK;
	}
	if (k) {
		bad = k->show(m, tb, k->name);
		if (bad) {
			/* Nothing printed yet: the line is all or nothing. */
			evctl_err("malformed %s notification: %s", k->name,
				  bad);
			return MNL_CB_OK;
		}
	} else {
		/* A newer module: say that something happened. */
		line_start(m, "unknown");
		print_u64(PRINT_ANY, "cmd", "%s", g->cmd);
	}
	if (line_end(m))
		return MNL_CB_ERROR;
	m->seen++;
	return counted_out(m) ? MNL_CB_STOP : MNL_CB_OK;
}

enum { OPT_COUNT, OPT_WAIT };

static const struct evctl_opt monitor_opts[] = {
	[OPT_COUNT] = { NULL, "--count" },
	[OPT_WAIT] = { NULL, "--wait", .flag = true },
	{ NULL, NULL }
};

static int monitor_opt(unsigned int opt, const char *val, void *data)
{
	struct monitor *m = data;

	if (opt == OPT_WAIT) {
		m->wait = true;
		return EVCTL_OK;
	}
	if (evctl_parse_u64("count", val, UINT32_MAX, &m->count))
		return EVCTL_USAGE;
	if (!m->count)
		return evctl_usage_err("invalid count '0'");
	return EVCTL_OK;
}

/* The controller's "notify" group: families registered and unregistered. */
static int join_ctrl(struct monitor *m)
{
	uint32_t group;
	int err;

	err = evs_nl_open_family(&m->ntf, NULL);
	if (err)
		return evctl_err("cannot talk to the kernel: %s",
				 strerror(-err));
	err = evs_nl_mcast_group(m->req, "nlctrl", "notify", &group);
	if (!err)
		err = evs_nl_join(&m->ntf, group);
	if (err)
		return evctl_err("cannot join the genetlink controller's \"notify\" group: %s",
				 strerror(-err));
	return EVCTL_OK;
}

static int monitor_loop(struct monitor *m)
{
	int rcvbuf = MONITOR_RCVBUF;
	int fd, ret, err;

	/* Before the module is looked up: a reload from now on is told. */
	ret = join_ctrl(m);
	if (ret)
		return ret;
	fd = mnl_socket_get_fd(m->ntf.sock);
	/* Best effort: capped by net.core.rmem_max, and losses are told. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	ret = resync(m, true);
	if (ret)
		return ret;
	if (!m->joined) {
		if (!m->wait)
			return evctl_err("evstream module not loaded");
		evctl_err("evstream module not loaded; waiting for it");
	}

	/* A line as soon as it is whole, also into a pipe or a file. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	evctl_catch_stop();
	while (!counted_out(m)) {
		if (evctl_wait(fd, NULL) < 0)
			break;
		err = evs_nl_recv_any(&m->ntf, msg_cb, m);
		if (m->status)
			return m->status;
		if (err == -ENOBUFS) {
			evctl_err("notifications lost: the receive buffer overran");
			/* Perhaps the module's going or coming among them. */
			ret = resync(m, false);
			if (ret)
				return ret;
			continue;
		}
		if (err == -EINTR || err == -EAGAIN)
			continue;
		if (ferror(stdout))
			return evctl_err("write error");
		if (err)
			return evctl_err("cannot receive notifications: %s",
					 strerror(-err));
	}
	return EVCTL_OK;
}

static int monitor_run(struct evctl *ctx, int argc, char **argv)
{
	struct monitor m = { .ctx = ctx };
	int ret;

	ret = evctl_parse_opts(ctx, argc, argv, monitor_opts, monitor_opt,
			       &m);
	if (ret)
		return ret;
	ret = evctl_nl_any(ctx, &m.req);
	if (ret)
		return ret;
	ret = monitor_loop(&m);
	evs_nl_close(&m.ntf);
	return ret;
}

static const struct evctl_verb monitor_verbs[] = {
	{ "monitor", "[--wait] [--count N]",
	  "print notifications as they come, until Ctrl-C", monitor_run },
	{ NULL }
};

const struct evctl_object evctl_obj_monitor = {
	.name		= "monitor",
	.verbs		= monitor_verbs,
	.verbless	= true,
	.notes		=
	"One line per notification: local time with milliseconds, the kind,\n"
	"then \"key value\" words (the JSON keys with - for _; peer and local\n"
	"are ADDR:PORT; a value with a blank is quoted).  Kinds: conn-open,\n"
	"conn-close, listen-add, listen-del, route-add, route-del, config,\n"
	"proto-error, rate (once a second while a listener is up; its text\n"
	"leaves out counters that did not move), and unknown for one this\n"
	"evctl does not know.  --count N stops after N lines.\n"
	"Anyone in the namespace may watch.\n"
	"It outlives the module: module-unload when it is unloaded, module-load\n"
	"when it is loaded again and monitor has joined its group (what the\n"
	"module sent in between is lost).  A module not loaded at start is an\n"
	"error, unless --wait: then monitor waits for it, and says module-load.\n"
	"JSON: one object per line with the keys event (the kind) and\n"
	"  timestamp_ms (milliseconds since 1970-01-01 UTC), and by kind:\n"
	"  conn-open, conn-close: the keys of conn show; conn-close adds\n"
	"    close_reason (\"peer\", \"error\", \"idle\", \"listener\", \"shutdown\", \"send\")\n"
	"  listen-add, listen-del: the keys of listen show\n"
	"  route-add: topic, prio; route-del: topic\n"
	"  config: the keys of config show\n"
	"  proto-error: conn_id, family, peer_addr, peer_port, error_kind\n"
	"    (\"magic\", \"version\", \"reserved\", \"length\", \"priority\"),\n"
	"    client_seq, error_message\n"
	"  rate: interval_ms, deltas {NAME: n}, rates {NAME: per second},\n"
	"    gauges {NAME: n}\n"
	"  unknown: cmd\n"
	"  module-unload, module-load: no more keys\n"
	"  See docs/json.md.\n",
};
