// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzer of the evstream generic netlink family, run in the test VM for
 * a bounded time (EVS_FUZZ_SECS or --seconds, default 20; the seed from
 * EVS_FUZZ_SEED or --seed, printed either way).
 *
 * Random requests: command numbers valid and not, odd nlmsg flags, dump
 * or not, genlmsghdr version and reserved byte, attribute sets of every
 * type the family knows and a few beyond, right and wrong lengths,
 * CONFIG nests, bad nla_len, truncated messages, several messages in one
 * datagram.  Before sending, the fuzzer works out from the bytes what the
 * kernel must answer, the way the genetlink core and the family's
 * policies (docs/netlink.md) decide it: an exact errno for what the core
 * refuses (short header, reserved byte, flags, unknown command, missing
 * privilege, do/dump mismatch), "must fail" for what the policy or the
 * handler refuses, and the errnos a valid request may meet otherwise.
 * Every answer must come (a receive timeout catches a hang), be well
 * formed and agree; the socket must keep working.
 *
 * The same runs as root, as nobody (every admin command must fail with
 * EPERM) and as root of a user namespace of its own, all at once, while
 * real work goes on: listeners come and go on 127.0.0.1 and ::1, routes
 * and settings change, clients send frames, and another thread dumps
 * everything and listens to the monitor group.  At the end the settings
 * are restored, every listener is deleted, and a listener, a connection,
 * frames stored, acked and read back show the module still works.
 */
#include "fuzz_util.h"
#include <sys/wait.h>
#include "kselftest_harness.h"

/* ms without an answer that count as a hang, even in an emulated VM. */
#define NLF_TMO		15000
/* One fuzzed datagram: a few messages of a few hundred bytes each. */
#define NLF_DGRAM	8192
#define NLF_MAX_MSGS	3
/* Listeners the fuzzer keeps track of for its clients. */
#define NLF_MAX_LIS	24
#define NLF_PORT_BASE	20000
#define NLF_PORTS	64
/* Topics the clients write to and the dumps read. */
#define NLF_TOPICS	8
#define NLF_CLIENTS	4
/* The health check's topic: nobody else writes there. */
#define NLF_HEALTH_TOPIC 4242

static struct fz_opts nlf_opts;

/* ---- what the family takes, from docs/netlink.md ---- */

enum nlf_kind {
	NLF_NONE,	/* the command's policy refuses it */
	NLF_U8,
	NLF_U16,
	NLF_U32,
	NLF_U64,
	NLF_BIN4,	/* exactly 4 bytes */
	NLF_BIN16,	/* exactly 16 bytes */
	NLF_NEST,	/* EVS_A_CONFIG */
	NLF_STR,	/* replies only: a string */
	NLF_FLAG,	/* no payload */
};

struct nlf_cmd {
	const char *name;
	bool doit, dumpit, admin;
	uint8_t kind[EVS_A_MAX + 1];
};

static const struct nlf_cmd nlf_cmds[EVS_CMD_MAX + 1] = {
	[EVS_CMD_GET_VERSION] = { "GET_VERSION", .doit = true },
	[EVS_CMD_GET_STATS] = { "GET_STATS", .doit = true },
	[EVS_CMD_STATS_RESET] = { "STATS_RESET", .doit = true, .admin = true },
	[EVS_CMD_LISTEN_ADD] = {
		"LISTEN_ADD", .doit = true, .admin = true,
		.kind = { [EVS_A_ADDR_IN] = NLF_BIN4,
			  [EVS_A_ADDR_IN6] = NLF_BIN16,
			  [EVS_A_PORT] = NLF_U16,
			  [EVS_A_LISTEN_FREEBIND] = NLF_FLAG },
	},
	[EVS_CMD_LISTEN_DEL] = {
		"LISTEN_DEL", .doit = true, .admin = true,
		.kind = { [EVS_A_ADDR_IN] = NLF_BIN4,
			  [EVS_A_ADDR_IN6] = NLF_BIN16,
			  [EVS_A_PORT] = NLF_U16 },
	},
	[EVS_CMD_LISTEN_GET] = { "LISTEN_GET", .dumpit = true },
	[EVS_CMD_ROUTE_ADD] = {
		"ROUTE_ADD", .doit = true, .admin = true,
		.kind = { [EVS_A_TOPIC] = NLF_U16, [EVS_A_PRIO] = NLF_U8 },
	},
	[EVS_CMD_ROUTE_DEL] = {
		"ROUTE_DEL", .doit = true, .admin = true,
		.kind = { [EVS_A_TOPIC] = NLF_U16 },
	},
	[EVS_CMD_ROUTE_GET] = { "ROUTE_GET", .dumpit = true },
	[EVS_CMD_CONN_GET] = { "CONN_GET", .dumpit = true },
	[EVS_CMD_READ] = {
		"READ", .dumpit = true, .admin = true,
		.kind = { [EVS_A_TOPIC] = NLF_U16, [EVS_A_FROM] = NLF_U64,
			  [EVS_A_COUNT] = NLF_U32 },
	},
	[EVS_CMD_CONFIG_GET] = { "CONFIG_GET", .doit = true },
	[EVS_CMD_CONFIG_SET] = {
		"CONFIG_SET", .doit = true, .admin = true,
		.kind = { [EVS_A_CONFIG] = NLF_NEST },
	},
	[EVS_CMD_RING_GET] = { "RING_GET", .dumpit = true },
	[EVS_CMD_LATENCY_GET] = { "LATENCY_GET", .dumpit = true },
	[EVS_CMD_CONN_DEL] = {
		"CONN_DEL", .doit = true, .admin = true,
		.kind = { [EVS_A_CONN_ID] = NLF_U64 },
	},
};

static bool nlf_cmd_known(unsigned int cmd)
{
	return cmd <= EVS_CMD_MAX && nlf_cmds[cmd].name;
}

/* The natural type of every attribute, to make lengths right on purpose. */
static enum nlf_kind nlf_attr_kind(unsigned int type)
{
	switch (type) {
	case EVS_A_VERSION:
	case EVS_A_ERROR_MSG:
		return NLF_STR;
	case EVS_A_PROTO_VERSION:
	case EVS_A_PRIO:
	case EVS_A_CONN_STATE:
	case EVS_A_CONN_PAUSED:
	case EVS_A_CLOSE_REASON:
	case EVS_A_ERROR_KIND:
		return NLF_U8;
	case EVS_A_PORT:
	case EVS_A_LOCAL_PORT:
	case EVS_A_TOPIC:
		return NLF_U16;
	case EVS_A_LISTEN_CONNS:
	case EVS_A_CONN_ACKED:
	case EVS_A_CONN_INFLIGHT:
	case EVS_A_COUNT:
	case EVS_A_EVENT_CLIENT_SEQ:
	case EVS_A_EVENT_LEN:
	case EVS_A_EVENT_OFFSET:
	case EVS_A_CPU:
	case EVS_A_RING_COUNT:
	case EVS_A_RING_SIZE:
	case EVS_A_INTERVAL_MS:
		return NLF_U32;
	case EVS_A_ADDR_IN:
	case EVS_A_LOCAL_ADDR_IN:
		return NLF_BIN4;
	case EVS_A_ADDR_IN6:
	case EVS_A_LOCAL_ADDR_IN6:
		return NLF_BIN16;
	case EVS_A_LISTEN_FREEBIND:
		return NLF_FLAG;
	case EVS_A_STATS:
	case EVS_A_GAUGES:
	case EVS_A_LATENCY:
	case EVS_A_LAT_PRIO:
	case EVS_A_CONFIG:
		return NLF_NEST;
	case EVS_A_UNSPEC:
	case EVS_A_PAD:
	case EVS_A_EVENT_DATA:
		return NLF_NONE;
	default:
		return type <= EVS_A_MAX ? NLF_U64 : NLF_NONE;
	}
}

static unsigned int nlf_kind_len(enum nlf_kind k)
{
	static const unsigned int len[] = {
		[NLF_U8] = 1, [NLF_U16] = 2, [NLF_U32] = 4, [NLF_U64] = 8,
		[NLF_BIN4] = 4, [NLF_BIN16] = 16,
	};

	return k < ARRAY_SIZE(len) ? len[k] : 0;
}

/* The settings and their ranges (docs/netlink.md, "Settings"). */
struct nlf_cfg {
	enum nlf_kind kind;
	uint64_t min, max;
};

static const struct nlf_cfg nlf_cfgs[EVS_CFG_A_MAX + 1] = {
	[EVS_CFG_A_MAX_PAYLOAD] = { NLF_U32, 0, 65536 },
	[EVS_CFG_A_POOL_LIMIT] = { NLF_U32, 1, 1 << 24 },
	[EVS_CFG_A_PRESSURE] = { NLF_U8, 1, 100 },
	[EVS_CFG_A_RING_SIZE] = { NLF_U32, 64, 65536 },
	[EVS_CFG_A_STORE_LIMIT] = { NLF_U64, 0, 1ULL << 40 },
	[EVS_CFG_A_CONN_LIMIT] = { NLF_U32, 1, 1 << 20 },
	[EVS_CFG_A_BATCH] = { NLF_U32, 1, 65536 },
	[EVS_CFG_A_IDLE_TIMEOUT] = { NLF_U32, 0, 86400 },
	[EVS_CFG_A_ACK_DELAY] = { NLF_U32, 0, 1000000 },
};

/* Values as sane as the module's defaults, restored at the end. */
static const uint64_t nlf_cfg_defaults[EVS_CFG_A_MAX + 1] = {
	[EVS_CFG_A_MAX_PAYLOAD] = 4096,
	[EVS_CFG_A_POOL_LIMIT] = 65536,
	[EVS_CFG_A_PRESSURE] = 75,
	[EVS_CFG_A_RING_SIZE] = 4096,
	[EVS_CFG_A_STORE_LIMIT] = 64 << 20,
	[EVS_CFG_A_CONN_LIMIT] = 1024,
	[EVS_CFG_A_BATCH] = 64,
	[EVS_CFG_A_IDLE_TIMEOUT] = 0,
	[EVS_CFG_A_ACK_DELAY] = 0,
};

/*
 * In a namespace of another user namespace, CONFIG_SET may not raise a
 * setting above its userns_* ceiling (-EPERM), and such a namespace never
 * holds one above it: a value over the ceiling is always refused.  Read
 * before the fuzzing; 0 where a setting has none.  Only the userns child
 * sets nlf_ceilings_bind, in its own process.
 */
static const char *const nlf_ceiling_params[EVS_CFG_A_MAX + 1] = {
	[EVS_CFG_A_MAX_PAYLOAD] = "userns_max_payload",
	[EVS_CFG_A_POOL_LIMIT] = "userns_pool_limit",
	[EVS_CFG_A_RING_SIZE] = "userns_ring_size",
	[EVS_CFG_A_STORE_LIMIT] = "userns_store_limit",
	[EVS_CFG_A_CONN_LIMIT] = "userns_conn_limit",
};

static uint64_t nlf_ceiling[EVS_CFG_A_MAX + 1];
static bool nlf_ceilings_bind;

static int nlf_read_ceilings(void)
{
	unsigned int t;

	for (t = 0; t <= EVS_CFG_A_MAX; t++) {
		char val[32];
		int err;

		if (!nlf_ceiling_params[t])
			continue;
		err = evs_test_param(nlf_ceiling_params[t], "r", val,
				     sizeof(val));
		if (err)
			return err;
		nlf_ceiling[t] = strtoull(val, NULL, 10);
	}
	return 0;
}

static bool nlf_over_ceiling(unsigned int type, uint64_t v)
{
	return nlf_ceilings_bind && nlf_ceiling_params[type] &&
	       v > nlf_ceiling[type];
}

/* ---- errno sets ---- */

static const int nlf_errs[] = {
	0, EINVAL, ERANGE, EPERM, EOPNOTSUPP, EADDRINUSE, EADDRNOTAVAIL,
	ENOENT, EBUSY, EACCES, EAFNOSUPPORT, ENOMEM, ENOBUFS, EMSGSIZE,
};

#define NLF_NERRS ARRAY_SIZE(nlf_errs)

static int nlf_err_idx(int err)
{
	unsigned int i;

	for (i = 0; i < NLF_NERRS; i++)
		if (nlf_errs[i] == err)
			return i;
	return -1;
}

static uint32_t nlf_bit(int err)
{
	int i = nlf_err_idx(err);

	return i < 0 ? 0 : 1U << i;
}

#define NLF_OK		nlf_bit(0)
#define NLF_MUST_FAIL	(nlf_bit(EINVAL) | nlf_bit(ERANGE))
/* Memory can run short anywhere; never for long, and it is counted. */
#define NLF_NOMEM	(nlf_bit(ENOMEM) | nlf_bit(ENOBUFS))

/* ---- one request and what must come back ---- */

struct nlf_exp {
	uint32_t seq;
	uint8_t cmd;
	bool dump;
	bool final;		/* an ERROR or DONE must come back */
	bool none;		/* nothing may come back */
	uint32_t allowed;	/* errnos (as nlf_bit) the answer may carry */
	const char *why;	/* what decided it, for the log */
	size_t off, len;	/* where it is in the datagram */
	int topic;		/* READ: the topic asked for, or -1 */
	int port;		/* LISTEN_ADD: the port asked for, or -1 */
	/* What came back. */
	bool done;
	int err;
	unsigned int data;
};

struct nlf_stats {
	unsigned long reqs, msgs, hangs, intr, data, perm_checked;
	unsigned long errs[NLF_NERRS], other_errs;
	unsigned long by_cmd_ok[EVS_CMD_MAX + 1];
};

struct nlf_shared;

/* One fuzzing socket and its generator: root, nobody, or a userns root. */
struct nlf_ctx {
	const char *who;
	bool priv;
	struct evs_nl nl;
	struct fz_rng rng;
	struct fz_log *log;
	struct nlf_shared *sh;	/* listeners for the clients, or NULL */
	struct nlf_stats st;
	char dgram[NLF_DGRAM] EVS_NL_ALIGNED;
	char rx[EVS_NL_RX_SIZE] EVS_NL_ALIGNED;
};

/* State the root fuzzer shares with its helper threads. */
struct nlf_shared {
	pthread_mutex_t lock;
	struct {
		int family;
		uint16_t port;
	} lis[NLF_MAX_LIS];
	unsigned int nlis;
	int stop;
	uint64_t seed;
	struct fz_log *log;
	/* Counted by the helper threads, read after they are joined. */
	unsigned long dumps, dump_intr, dump_msgs, reads, events;
	unsigned long ntf, ntf_lost;
	unsigned long conns, conn_fail, aborts, frames, acks, errors;
};

static bool nlf_stopped(struct nlf_shared *sh)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE);
}

/* ---- checking what the kernel sends ---- */

static bool nlf_u8(const struct nlattr *a, uint8_t max)
{
	uint8_t v;

	return !evs_nl_get_u8(a, &v) && v <= max;
}

static bool nlf_u16(const struct nlattr *a)
{
	uint16_t v;

	return !evs_nl_get_u16(a, &v);
}

static bool nlf_u32(const struct nlattr *a)
{
	uint32_t v;

	return !evs_nl_get_u32(a, &v);
}

static bool nlf_u64(const struct nlattr *a)
{
	uint64_t v;

	return !evs_nl_get_u64(a, &v);
}

/* An address as the family sends it: exactly one of ADDR_IN, ADDR_IN6. */
static bool nlf_addr_ok(const struct nlattr **tb)
{
	struct evs_addr a;

	return !evs_addr_get(tb[EVS_A_ADDR_IN], tb[EVS_A_ADDR_IN6],
			     tb[EVS_A_PORT], &a);
}

static const char *nlf_check_config(const struct nlattr *nest)
{
	const struct nlattr *c[EVS_CFG_A_MAX + 1];
	unsigned int t;

	if (!nest || evs_nl_parse_nested(nest, c, &evs_nl_cfg_attrs))
		return "CONFIG nest malformed";
	for (t = EVS_CFG_A_MAX_PAYLOAD; t <= EVS_CFG_A_MAX; t++) {
		const struct nlf_cfg *cf = &nlf_cfgs[t];
		uint64_t v = 0;
		uint32_t v32;
		uint8_t v8;

		if (cf->kind == NLF_U8 && !evs_nl_get_u8(c[t], &v8))
			v = v8;
		else if (cf->kind == NLF_U32 && !evs_nl_get_u32(c[t], &v32))
			v = v32;
		else if (cf->kind != NLF_U64 || evs_nl_get_u64(c[t], &v))
			return "CONFIG setting missing or mistyped";
		if (v < cf->min || v > cf->max)
			return "CONFIG setting out of its range";
		if (t == EVS_CFG_A_RING_SIZE && (v & (v - 1)))
			return "CONFIG ring size not a power of two";
	}
	return NULL;
}

/*
 * Checks one data message the family sent for @cmd; returns what is
 * wrong, or NULL.  @topic: the topic a READ asked for, or -1.
 */
static const char *nlf_check_data(const struct nlmsghdr *nlh, uint8_t cmd,
				  int topic)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct evs_stats st;
	struct evs_gauges ga;
	struct evs_latency lat;
	uint64_t buckets[EVS_LAT_BUCKETS];
	uint64_t t0, t1, t2;
	uint32_t len, off, cnt, size;
	uint16_t top;
	uint8_t prio;
	const char *s;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return "message shorter than a genetlink header";
	if (g->cmd != cmd)
		return "reply carries another command";
	if (g->version != EVS_GENL_VERSION)
		return "reply carries another family version";
	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs))
		return "attributes malformed";

	switch (cmd) {
	case EVS_CMD_GET_VERSION:
		if (evs_nl_get_str(tb[EVS_A_VERSION], &s) ||
		    !nlf_u8(tb[EVS_A_PROTO_VERSION], 255) ||
		    mnl_attr_get_u8(tb[EVS_A_PROTO_VERSION]) != EVS_WIRE_VERSION)
			return "GET_VERSION reply incomplete";
		break;
	case EVS_CMD_GET_STATS:
		if (evs_nl_get_str(tb[EVS_A_VERSION], &s) ||
		    evs_nl_parse_stats(tb[EVS_A_STATS], &st) ||
		    evs_nl_parse_gauges(tb[EVS_A_GAUGES], &ga) ||
		    evs_nl_parse_latency(tb[EVS_A_LATENCY], &lat))
			return "GET_STATS reply malformed";
		if (!st.present[EVS_NR_COUNTERS - 1] ||
		    !ga.present[EVS_NR_GAUGES - 1] ||
		    !lat.present[EVS_PRIO_NR - 1])
			return "GET_STATS reply lacks values";
		break;
	case EVS_CMD_LISTEN_ADD:
	case EVS_CMD_LISTEN_GET:
		if (!nlf_addr_ok(tb) || !nlf_u64(tb[EVS_A_LISTEN_ACCEPTED]) ||
		    !nlf_u32(tb[EVS_A_LISTEN_CONNS]))
			return "listener malformed";
		if (!mnl_attr_get_u16(tb[EVS_A_PORT]))
			return "listener on port 0";
		break;
	case EVS_CMD_ROUTE_GET:
		if (!nlf_u16(tb[EVS_A_TOPIC]) ||
		    !nlf_u8(tb[EVS_A_PRIO], EVS_PRIO_NR - 1))
			return "route malformed";
		break;
	case EVS_CMD_CONN_GET:
		if (!nlf_u64(tb[EVS_A_CONN_ID]) || !nlf_addr_ok(tb) ||
		    !nlf_u16(tb[EVS_A_LOCAL_PORT]) ||
		    !nlf_u8(tb[EVS_A_CONN_STATE], EVS_CONN_CLOSING) ||
		    !nlf_u64(tb[EVS_A_CONN_EVENTS]) ||
		    !nlf_u64(tb[EVS_A_CONN_BYTES]) ||
		    !nlf_u8(tb[EVS_A_CONN_PAUSED], 1) ||
		    !nlf_u32(tb[EVS_A_CONN_ACKED]) ||
		    !nlf_u32(tb[EVS_A_CONN_INFLIGHT]) ||
		    !nlf_u64(tb[EVS_A_CONN_IDLE_MS]))
			return "connection malformed";
		break;
	case EVS_CMD_READ:
		if (evs_nl_get_u16(tb[EVS_A_TOPIC], &top) ||
		    !nlf_u64(tb[EVS_A_EVENT_SEQ]) ||
		    !nlf_u64(tb[EVS_A_EVENT_CONN]) ||
		    !nlf_u32(tb[EVS_A_EVENT_CLIENT_SEQ]) ||
		    !nlf_u8(tb[EVS_A_PRIO], EVS_PRIO_NR - 1) ||
		    evs_nl_get_u64(tb[EVS_A_EVENT_TS_INGEST], &t0) ||
		    evs_nl_get_u64(tb[EVS_A_EVENT_TS_DEQUEUE], &t1) ||
		    evs_nl_get_u64(tb[EVS_A_EVENT_TS_DONE], &t2) ||
		    evs_nl_get_u32(tb[EVS_A_EVENT_LEN], &len) ||
		    evs_nl_get_u32(tb[EVS_A_EVENT_OFFSET], &off) ||
		    !tb[EVS_A_EVENT_DATA])
			return "event malformed";
		if (topic >= 0 && top != topic)
			return "event of another topic";
		if (t0 > t1 || t1 > t2)
			return "event time stamps out of order";
		if (off > len ||
		    mnl_attr_get_payload_len(tb[EVS_A_EVENT_DATA]) > len - off)
			return "event data beyond its length";
		break;
	case EVS_CMD_CONFIG_GET:
		return nlf_check_config(tb[EVS_A_CONFIG]);
	case EVS_CMD_RING_GET:
		if (!nlf_u32(tb[EVS_A_CPU]) ||
		    !nlf_u8(tb[EVS_A_PRIO], EVS_PRIO_NR - 1) ||
		    evs_nl_get_u32(tb[EVS_A_RING_COUNT], &cnt) ||
		    evs_nl_get_u32(tb[EVS_A_RING_SIZE], &size))
			return "ring malformed";
		if (size < 64 || size > 65536 || (size & (size - 1)) ||
		    cnt > size)
			return "ring size or count impossible";
		break;
	case EVS_CMD_LATENCY_GET:
		if (evs_nl_parse_lat_prio(tb[EVS_A_LAT_PRIO], &prio, buckets) ||
		    prio >= EVS_PRIO_NR)
			return "latency malformed";
		break;
	default:
		return "data for a command that sends none";
	}
	return NULL;
}

/* ---- predicting the answer from the bytes ---- */

struct nlf_attrs {
	bool bad;		/* the policy refuses something */
	bool seen[EVS_A_MAX + 1];
	bool ring_not_pow2;
	bool over_ceiling;	/* a setting above its userns ceiling */
	int topic, port;
};

/* A u8..u64 at @a of @len bytes (the kernel's host order). */
static uint64_t nlf_val(const void *p, unsigned int len)
{
	uint64_t v64 = 0;
	uint32_t v32;
	uint16_t v16;
	uint8_t v8;

	switch (len) {
	case 1:
		memcpy(&v8, p, 1);
		return v8;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	default:
		memcpy(&v64, p, 8);
		return v64;
	}
}

/*
 * Walks attributes as the kernel's strict validation does: stops at the
 * first one that does not fit, and bytes left over are an error.  Calls
 * @fn for each; returns false when the stream itself is malformed.
 */
static bool nlf_walk(const char *p, int rem,
		     void (*fn)(const struct nlattr *a, void *data), void *data)
{
	while (rem >= NLA_HDRLEN) {
		struct nlattr a;

		memcpy(&a, p, sizeof(a));
		if (a.nla_len < NLA_HDRLEN || a.nla_len > rem)
			break;
		fn((const struct nlattr *)p, data);
		rem -= NLA_ALIGN(a.nla_len);
		p += NLA_ALIGN(a.nla_len);
	}
	return rem <= 0;
}

struct nlf_cfg_walk {
	bool bad;
	bool ring_not_pow2;
	uint64_t last[EVS_CFG_A_MAX + 1];
	bool seen[EVS_CFG_A_MAX + 1];
};

static void nlf_cfg_attr(const struct nlattr *a, void *data)
{
	struct nlf_cfg_walk *w = data;
	unsigned int type = a->nla_type & NLA_TYPE_MASK;
	unsigned int len = a->nla_len - NLA_HDRLEN;
	const struct nlf_cfg *cf;
	uint64_t v;

	if (type < EVS_CFG_A_MAX_PAYLOAD || type > EVS_CFG_A_MAX ||
	    (a->nla_type & NLA_F_NESTED)) {
		w->bad = true;
		return;
	}
	cf = &nlf_cfgs[type];
	if (len != nlf_kind_len(cf->kind)) {
		w->bad = true;
		return;
	}
	v = nlf_val(mnl_attr_get_payload(a), len);
	if (v < cf->min || v > cf->max)
		w->bad = true;
	/* The last one counts (nla_parse keeps the last). */
	if (type == EVS_CFG_A_RING_SIZE)
		w->ring_not_pow2 = v & (v - 1);
	w->last[type] = v;
	w->seen[type] = true;
}

struct nlf_top_walk {
	uint8_t cmd;
	struct nlf_attrs *at;
};

static void nlf_top_attr(const struct nlattr *a, void *data)
{
	struct nlf_top_walk *w = data;
	struct nlf_attrs *at = w->at;
	unsigned int type = a->nla_type & NLA_TYPE_MASK;
	unsigned int len = a->nla_len - NLA_HDRLEN;
	const void *pl = mnl_attr_get_payload(a);
	struct nlf_cfg_walk cw = { 0 };
	enum nlf_kind k;
	unsigned int t;

	if (type == 0 || type > EVS_A_MAX) {
		at->bad = true;
		return;
	}
	k = nlf_cmds[w->cmd].kind[type];
	if (k == NLF_NONE) {
		at->bad = true;
		return;
	}
	at->seen[type] = true;
	if (k == NLF_NEST) {
		/* Strict validation wants the flag; an empty nest is fine. */
		if (!(a->nla_type & NLA_F_NESTED) || (len && len < NLA_HDRLEN) ||
		    !nlf_walk(pl, len, nlf_cfg_attr, &cw) || cw.bad)
			at->bad = true;
		at->ring_not_pow2 = cw.ring_not_pow2;
		at->over_ceiling = false;
		for (t = 0; t <= EVS_CFG_A_MAX; t++)
			if (cw.seen[t] && nlf_over_ceiling(t, cw.last[t]))
				at->over_ceiling = true;
		return;
	}
	if ((a->nla_type & NLA_F_NESTED) || len != nlf_kind_len(k)) {
		at->bad = true;
		return;
	}
	if (type == EVS_A_PRIO && nlf_val(pl, len) >= EVS_PRIO_NR)
		at->bad = true;
	if (type == EVS_A_COUNT && !nlf_val(pl, len))
		at->bad = true;
	if (type == EVS_A_TOPIC)
		at->topic = nlf_val(pl, len);
	if (type == EVS_A_PORT)
		at->port = nlf_val(pl, len);
}

/* Errnos a request that passed its policy may meet, by command. */
static uint32_t nlf_may(uint8_t cmd, const struct nlf_attrs *at,
			const char **why)
{
	bool in = at->seen[EVS_A_ADDR_IN], in6 = at->seen[EVS_A_ADDR_IN6];

	switch (cmd) {
	case EVS_CMD_LISTEN_ADD:
	case EVS_CMD_LISTEN_DEL:
		if (in == in6 || !at->seen[EVS_A_PORT]) {
			*why = "address or port missing, or both families";
			return nlf_bit(EINVAL);
		}
		*why = "listener request";
		if (cmd == EVS_CMD_LISTEN_DEL)
			return NLF_OK | nlf_bit(ENOENT);
		/* Whatever bind() says about the address. */
		return NLF_OK | nlf_bit(EADDRINUSE) | nlf_bit(EADDRNOTAVAIL) |
		       nlf_bit(EINVAL) | nlf_bit(EACCES) |
		       nlf_bit(EAFNOSUPPORT);
	case EVS_CMD_ROUTE_ADD:
		if (!at->seen[EVS_A_TOPIC] || !at->seen[EVS_A_PRIO]) {
			*why = "topic or priority missing";
			return nlf_bit(EINVAL);
		}
		break;
	case EVS_CMD_ROUTE_DEL:
		if (!at->seen[EVS_A_TOPIC]) {
			*why = "topic missing";
			return nlf_bit(EINVAL);
		}
		*why = "route delete";
		return NLF_OK | nlf_bit(ENOENT);
	case EVS_CMD_CONN_DEL:
		if (!at->seen[EVS_A_CONN_ID]) {
			*why = "connection id missing";
			return nlf_bit(EINVAL);
		}
		/* The clients' connections come and go: any id may be there. */
		*why = "connection delete";
		return NLF_OK | nlf_bit(ENOENT);
	case EVS_CMD_READ:
		if (!at->seen[EVS_A_TOPIC]) {
			*why = "topic missing";
			return nlf_bit(EINVAL);
		}
		break;
	case EVS_CMD_CONFIG_SET:
		if (!at->seen[EVS_A_CONFIG] || at->ring_not_pow2) {
			*why = "CONFIG missing or ring size not a power of two";
			return nlf_bit(EINVAL);
		}
		/* The ring's EBUSY comes first, then the ceilings. */
		if (at->over_ceiling) {
			*why = "config set above a userns ceiling";
			return nlf_bit(EPERM) | nlf_bit(EBUSY);
		}
		*why = "config set";
		return NLF_OK | nlf_bit(EBUSY);
	}
	*why = "valid request";
	return NLF_OK;
}

/*
 * Whether genetlink looks up a command's do or dump before it checks the
 * permission: from 6.2, see evs_test_wrong_op_unprivileged_err().  Set
 * once, before the fuzzing starts.
 */
static bool nlf_split_ops;

/* What one message must get, from its bytes, as genetlink decides. */
static void nlf_predict_one(const char *p, struct nlf_exp *e, bool priv)
{
	const struct nlmsghdr *nlh = (const void *)p;
	const struct genlmsghdr *g = (const void *)(p + NLMSG_HDRLEN);
	struct nlf_attrs at = { .topic = -1, .port = -1 };
	struct nlf_top_walk w = { .at = &at };
	uint16_t flags = nlh->nlmsg_flags;
	const struct nlf_cmd *c;

	e->seq = nlh->nlmsg_seq;
	e->dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
	e->final = flags & NLM_F_ACK;
	e->topic = -1;
	e->port = -1;
	/* Not a request: the kernel only acks it, if asked to. */
	if (!(flags & NLM_F_REQUEST)) {
		e->cmd = 0;
		e->dump = false;
		e->none = !e->final;
		e->allowed = NLF_OK;
		e->why = "not a request";
		return;
	}
	/* Errors are always answered. */
	e->final = true;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
		e->cmd = 0;
		e->dump = false;
		e->allowed = nlf_bit(EINVAL);
		e->why = "no room for a genetlink header";
		return;
	}
	e->cmd = g->cmd;
	if (g->reserved) {
		e->allowed = nlf_bit(EINVAL);
		e->why = "reserved byte set";
		return;
	}
	if (e->dump)
		flags &= ~NLM_F_DUMP;
	if (flags & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)) {
		e->allowed = nlf_bit(EINVAL);
		e->why = "odd nlmsg flags";
		return;
	}
	if (!nlf_cmd_known(g->cmd)) {
		e->allowed = nlf_bit(EOPNOTSUPP);
		e->why = "unknown command";
		return;
	}
	c = &nlf_cmds[g->cmd];
	/* 6.2 and later look up do or dump before the permission. */
	if (nlf_split_ops && (e->dump ? !c->dumpit : !c->doit)) {
		e->allowed = nlf_bit(EOPNOTSUPP);
		e->why = e->dump ? "dump of a do command" :
				   "do of a dump command";
		return;
	}
	if (c->admin && !priv) {
		e->allowed = nlf_bit(EPERM);
		e->why = "admin command without CAP_NET_ADMIN";
		return;
	}
	if (e->dump ? !c->dumpit : !c->doit) {
		e->allowed = nlf_bit(EOPNOTSUPP);
		e->why = e->dump ? "dump of a do command" :
				   "do of a dump command";
		return;
	}
	w.cmd = g->cmd;
	if (!nlf_walk(p + NLMSG_HDRLEN + GENL_HDRLEN,
		      nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN,
		      nlf_top_attr, &w) || at.bad) {
		e->allowed = NLF_MUST_FAIL;
		e->why = "attributes the policy refuses";
		return;
	}
	e->topic = at.topic;
	e->port = at.port;
	e->allowed = nlf_may(g->cmd, &at, &e->why) | NLF_NOMEM;
	/* A successful do without NLM_F_ACK may send nothing at all. */
	if (!e->dump && !(nlh->nlmsg_flags & NLM_F_ACK))
		e->final = false;
}

/*
 * Splits a datagram as netlink_rcv_skb() does and predicts each message.
 * A length that does not fit ends the datagram: nothing after it is read.
 * Returns the number of messages found, up to @max.
 */
static int nlf_predict(const char *buf, size_t len, bool priv,
		       struct nlf_exp *e, int max)
{
	size_t off = 0;
	int n = 0;

	while (len - off >= NLMSG_HDRLEN && n < max) {
		const struct nlmsghdr *nlh = (const void *)(buf + off);

		memset(&e[n], 0, sizeof(e[n]));
		e[n].seq = nlh->nlmsg_seq;
		e[n].off = off;
		e[n].len = len - off < nlh->nlmsg_len ? len - off :
			   nlh->nlmsg_len;
		if (nlh->nlmsg_len < NLMSG_HDRLEN ||
		    nlh->nlmsg_len > len - off) {
			e[n].none = true;
			e[n].why = "nlmsg_len does not fit";
			return n + 1;
		}
		nlf_predict_one(buf + off, &e[n], priv);
		n++;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
		if (off > len)
			off = len;
	}
	return n;
}

/* ---- building requests ---- */

static size_t nlf_put(char *buf, size_t off, size_t room, uint16_t type,
		      const void *data, size_t len)
{
	struct nlattr a = { .nla_len = NLA_HDRLEN + len, .nla_type = type };

	if (off + NLA_ALIGN(NLA_HDRLEN + len) > room)
		return off;
	memcpy(buf + off, &a, sizeof(a));
	memcpy(buf + off + NLA_HDRLEN, data, len);
	memset(buf + off + NLA_HDRLEN + len, 0,
	       NLA_ALIGN(NLA_HDRLEN + len) - NLA_HDRLEN - len);
	return off + NLA_ALIGN(NLA_HDRLEN + len);
}

/* A value of @len bytes for attribute @type, near what matters. */
static void nlf_value(struct fz_rng *r, unsigned int type, void *out,
		      unsigned int len)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	static const uint8_t mapped6[16] = { [10] = 0xff, [11] = 0xff,
					     [12] = 127, [15] = 1 };
	static const uint8_t ll6[16] = { 0xfe, 0x80, [15] = 1 };
	uint64_t v = fz_rand(r);
	uint8_t a4[4] = { 127, 0, 0, 1 };

	switch (type) {
	case EVS_A_ADDR_IN:
		if (fz_chance(r, 15))
			memset(a4, 0, sizeof(a4));
		else if (fz_chance(r, 15))
			fz_fill(r, a4 + 1, 3);
		else if (fz_chance(r, 25))
			fz_fill(r, a4, 4);
		memcpy(out, a4, len < 4 ? len : 4);
		if (len > 4)
			fz_fill(r, (char *)out + 4, len - 4);
		return;
	case EVS_A_ADDR_IN6:
		fz_fill(r, out, len);
		if (fz_chance(r, 25))
			return;
		if (fz_chance(r, 10))
			memset(out, 0, len);
		else
			memcpy(out, fz_chance(r, 80) ? lo6 :
				    fz_chance(r, 50) ? mapped6 : ll6,
			       len < 16 ? len : 16);
		return;
	case EVS_A_PORT:
		v = fz_chance(r, 30) ? 0 : fz_chance(r, 70) ?
		    NLF_PORT_BASE + fz_below(r, NLF_PORTS) : v;
		break;
	case EVS_A_TOPIC:
		v = fz_chance(r, 60) ? fz_range(r, 1, NLF_TOPICS) :
		    fz_chance(r, 30) ? (fz_chance(r, 50) ? 0 : 65535) : v;
		break;
	case EVS_A_PRIO:
		v = fz_chance(r, 70) ? fz_below(r, EVS_PRIO_NR) :
		    fz_chance(r, 50) ? EVS_PRIO_NR : v;
		break;
	case EVS_A_FROM:
		v = fz_chance(r, 50) ? 0 : fz_chance(r, 60) ?
		    fz_below(r, 64) : v;
		break;
	case EVS_A_COUNT:
		v = fz_chance(r, 20) ? 0 : fz_chance(r, 70) ?
		    fz_range(r, 1, 16) : v;
		break;
	default:
		if (fz_chance(r, 50))
			v = fz_below(r, 4);
		break;
	}
	memset(out, 0, len);
	memcpy(out, &v, len < sizeof(v) ? len : sizeof(v));
	if (len > sizeof(v))
		fz_fill(r, (char *)out + sizeof(v), len - sizeof(v));
}

/* A setting's value: its limits and one past them, mostly. */
static uint64_t nlf_cfg_value(struct fz_rng *r, unsigned int type, bool sane)
{
	const struct nlf_cfg *cf = type <= EVS_CFG_A_MAX ? &nlf_cfgs[type] :
				   NULL;

	if (!cf || !cf->kind)
		return fz_rand(r);
	switch (fz_below(r, sane ? 30 : 10)) {
	case 0:
		return cf->min ? cf->min - 1 : 0;
	case 1:
		return cf->min;
	case 2:
		return cf->max;
	case 3:
		return cf->max + 1;
	case 4:
		return fz_rand(r);
	case 5:
		/* Powers of two, for the ring size. */
		return 1ULL << fz_range(r, 5, 17);
	default:
		return type == EVS_CFG_A_STORE_LIMIT && fz_chance(r, 80) ?
		       fz_range(r, 1 << 20, 1ULL << 28) :
		       fz_range(r, cf->min, cf->max);
	}
}

/* Puts a CONFIG nest of random settings; returns the new offset. */
static size_t nlf_gen_config(struct nlf_ctx *c, char *buf, size_t off,
			     size_t room, bool sane)
{
	struct fz_rng *r = &c->rng;
	size_t start = off, n, i;
	struct nlattr nest = {
		.nla_type = EVS_A_CONFIG |
			     (fz_chance(r, sane ? 99 : 95) ? NLA_F_NESTED : 0),
	};

	if (off + NLA_HDRLEN > room)
		return off;
	off += NLA_HDRLEN;
	n = fz_below(r, 5);
	for (i = 0; i < n; i++) {
		unsigned int type = fz_chance(r, sane ? 97 : 80) ?
				    fz_range(r, EVS_CFG_A_MAX_PAYLOAD, EVS_CFG_A_MAX) :
				    fz_range(r, 0, EVS_CFG_A_MAX + 2);
		unsigned int len = type <= EVS_CFG_A_MAX ?
				   nlf_kind_len(nlf_cfgs[type].kind) : 4;
		uint64_t v = nlf_cfg_value(r, type, sane);
		char val[16];

		if (!len || fz_chance(r, sane ? 2 : 10))
			len = fz_size(r, 12);
		memset(val, 0, sizeof(val));
		memcpy(val, &v, sizeof(v));
		off = nlf_put(buf, off, room,
			      type | (fz_chance(r, 3) ? NLA_F_NESTED : 0),
			      val, len);
	}
	/* A stray byte or two after the settings. */
	if (!sane && fz_chance(r, 3) && off + 3 <= room) {
		fz_fill(r, buf + off, 3);
		off += fz_range(r, 1, 3);
	}
	nest.nla_len = off - start;
	memcpy(buf + start, &nest, sizeof(nest));
	return off;
}

static uint8_t nlf_pick_cmd(struct fz_rng *r)
{
	uint64_t x = fz_below(r, 100);

	if (x < 75)
		return fz_range(r, 1, EVS_CMD_LATENCY_GET);
	if (x < 85)
		return fz_range(r, EVS_CMD_NTF_CONN_OPEN, EVS_CMD_MAX);
	if (x < 90)
		return 0;
	if (x < 95)
		return fz_range(r, EVS_CMD_MAX + 1, EVS_CMD_MAX + 4);
	return fz_rand(r);
}

static uint16_t nlf_pick_flags(struct fz_rng *r, uint8_t cmd)
{
	static const uint16_t odd[] = {
		NLM_F_ECHO, NLM_F_ROOT, NLM_F_MATCH, NLM_F_ATOMIC,
		NLM_F_MULTI, NLM_F_DUMP_INTR, NLM_F_DUMP_FILTERED,
		NLM_F_EXCL, NLM_F_CREATE, NLM_F_APPEND, 0x1000, 0x8000,
	};
	bool dump = nlf_cmd_known(cmd) && nlf_cmds[cmd].dumpit;
	uint16_t f = NLM_F_REQUEST | NLM_F_ACK;

	if (fz_chance(r, dump ? 85 : 10))
		f |= NLM_F_DUMP;
	if (fz_chance(r, 8))
		f |= odd[fz_below(r, ARRAY_SIZE(odd))];
	if (fz_chance(r, 5))
		f &= ~NLM_F_ACK;
	if (fz_chance(r, 2))
		f &= ~NLM_F_REQUEST;
	if (fz_chance(r, 1))
		f = fz_rand(r);
	return f;
}

/* One attribute of @type, its length right but for @wrong percent. */
static size_t nlf_gen_attr(struct nlf_ctx *c, char *buf, size_t off,
			   size_t room, unsigned int type, unsigned int wrong,
			   bool sane)
{
	struct fz_rng *r = &c->rng;
	unsigned int len;
	char val[320];

	if (type == EVS_A_CONFIG && fz_chance(r, 85))
		return nlf_gen_config(c, buf, off, room, sane);
	len = nlf_kind_len(nlf_attr_kind(type));
	if ((!len && nlf_attr_kind(type) != NLF_FLAG) || fz_chance(r, wrong))
		len = fz_size(r, 300);
	nlf_value(r, type, val, len);
	if (fz_chance(r, wrong / 4))
		type |= NLA_F_NESTED;
	if (fz_chance(r, wrong / 4))
		type |= NLA_F_NET_BYTEORDER;
	return nlf_put(buf, off, room, type, val, len);
}

/*
 * Attributes for a request that is well formed, mostly: those the
 * command takes, each at random, the right length, then maybe one thing
 * wrong.  Random attribute soup rarely gets past the policy; this does,
 * and reaches the handlers.
 */
static size_t nlf_gen_sane(struct nlf_ctx *c, char *buf, size_t off,
			   size_t room, uint8_t cmd)
{
	const struct nlf_cmd *cm = &nlf_cmds[cmd];
	struct fz_rng *r = &c->rng;
	bool v6 = fz_chance(r, 50);
	unsigned int t;

	for (t = 1; t <= EVS_A_MAX; t++) {
		if (!cm->kind[t] || !fz_chance(r, 85))
			continue;
		/* One address family, mostly. */
		if (fz_chance(r, 90) &&
		    ((t == EVS_A_ADDR_IN && v6) || (t == EVS_A_ADDR_IN6 && !v6)))
			continue;
		off = nlf_gen_attr(c, buf, off, room, t, 0, true);
	}
	switch (fz_below(r, 8)) {
	case 0:
		/* An attribute it does not take. */
		off = nlf_gen_attr(c, buf, off, room,
				   fz_range(r, 0, EVS_A_MAX + 3), 10, false);
		break;
	case 1:
		/* A byte flipped anywhere after the genetlink header. */
		if (off > NLMSG_HDRLEN + GENL_HDRLEN)
			buf[fz_range(r, NLMSG_HDRLEN + GENL_HDRLEN, off - 1)] ^=
				1 << fz_below(r, 8);
		break;
	}
	return off;
}

/* One request at @buf; returns its length (nlmsg_len). */
static size_t nlf_gen_msg(struct nlf_ctx *c, char *buf, size_t room)
{
	struct fz_rng *r = &c->rng;
	struct nlmsghdr nlh = { 0 };
	struct genlmsghdr g = { 0 };
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	unsigned int i, n;

	nlh.nlmsg_type = c->nl.family;
	nlh.nlmsg_seq = ++c->nl.seq;
	if (fz_chance(r, 45)) {
		g.cmd = fz_range(r, 1, EVS_CMD_LATENCY_GET);
		g.version = EVS_GENL_VERSION;
		nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		if (nlf_cmds[g.cmd].dumpit)
			nlh.nlmsg_flags |= NLM_F_DUMP;
		else if (fz_chance(r, 10))
			nlh.nlmsg_flags &= ~NLM_F_ACK;
		off = nlf_gen_sane(c, buf, off, room, g.cmd);
		goto out;
	}
	g.cmd = nlf_pick_cmd(r);
	g.version = fz_chance(r, 90) ? EVS_GENL_VERSION : fz_rand(r);
	g.reserved = fz_chance(r, 95) ? 0 : fz_range(r, 1, 0xffff);
	nlh.nlmsg_flags = nlf_pick_flags(r, g.cmd);
	/* The kernel answers to the socket, whatever pid the request says. */
	nlh.nlmsg_pid = fz_chance(r, 5) ? fz_rand(r) : 0;

	n = fz_chance(r, 20) ? 0 : fz_range(r, 1, 6);
	for (i = 0; i < n; i++) {
		const struct nlf_cmd *cm = nlf_cmd_known(g.cmd) ?
					   &nlf_cmds[g.cmd] : NULL;
		unsigned int type = fz_range(r, 0, EVS_A_MAX + 3);

		if (cm && fz_chance(r, 65)) {
			unsigned int t, tries;

			/* One of the attributes this command takes. */
			for (tries = 0; tries < 8; tries++) {
				t = fz_range(r, 1, EVS_A_MAX);
				if (cm->kind[t]) {
					type = t;
					break;
				}
			}
		}
		off = nlf_gen_attr(c, buf, off, room, type, 15, false);
	}
	/* Break one attribute's length, or leave stray bytes at the end. */
	if (off > NLMSG_HDRLEN + GENL_HDRLEN && fz_chance(r, 4)) {
		struct nlattr a;

		memcpy(&a, buf + NLMSG_HDRLEN + GENL_HDRLEN, sizeof(a));
		a.nla_len = fz_below(r, off + 16);
		memcpy(buf + NLMSG_HDRLEN + GENL_HDRLEN, &a, sizeof(a));
	}
	if (fz_chance(r, 3) && off + 3 <= room) {
		fz_fill(r, buf + off, 3);
		off += fz_range(r, 1, 3);
	}
out:
	nlh.nlmsg_len = off;
	memcpy(buf, &nlh, sizeof(nlh));
	memcpy(buf + NLMSG_HDRLEN, &g, sizeof(g));
	return off;
}

/*
 * A datagram of one to NLF_MAX_MSGS requests, sometimes cut short or with
 * a length that lies.  Returns its size.
 */
static size_t nlf_gen_dgram(struct nlf_ctx *c)
{
	struct fz_rng *r = &c->rng;
	unsigned int i, n = fz_chance(r, 90) ? 1 : fz_range(r, 2, NLF_MAX_MSGS);
	size_t off = 0, last = 0, room = (NLF_DGRAM - 64) / NLF_MAX_MSGS;
	struct nlmsghdr nlh;
	bool dump = false;

	for (i = 0; i < n; i++) {
		size_t len;

		last = off;
		len = nlf_gen_msg(c, c->dgram + off, room);
		memcpy(&nlh, c->dgram + off, sizeof(nlh));
		/* Two dumps in one datagram: the second would find the first busy. */
		if ((nlh.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP) {
			if (dump) {
				nlh.nlmsg_flags &= ~NLM_F_DUMP;
				memcpy(c->dgram + off, &nlh, sizeof(nlh));
			}
			dump = true;
		}
		off += NLMSG_ALIGN(len);
	}
	switch (fz_below(r, 40)) {
	case 0:
		/* Cut the last message short, its length saying so. */
		off = last + fz_range(r, NLMSG_HDRLEN, off - last);
		memcpy(&nlh, c->dgram + last, sizeof(nlh));
		nlh.nlmsg_len = off - last;
		memcpy(c->dgram + last, &nlh, sizeof(nlh));
		break;
	case 1:
		/* A length beyond the datagram, or below a header. */
		memcpy(&nlh, c->dgram + last, sizeof(nlh));
		nlh.nlmsg_len = fz_chance(r, 50) ? off - last + fz_range(r, 1, 64) :
			       fz_below(r, NLMSG_HDRLEN);
		memcpy(c->dgram + last, &nlh, sizeof(nlh));
		break;
	case 2:
		/* Fewer trailing bytes than a header: ignored. */
		fz_fill(r, c->dgram + off, 15);
		off += fz_range(r, 1, 15);
		break;
	}
	return off;
}

/* ---- talking ---- */

static struct nlf_exp *nlf_find(struct nlf_exp *e, int n, uint32_t seq)
{
	int i;

	for (i = 0; i < n; i++)
		if (e[i].seq == seq)
			return &e[i];
	return NULL;
}

static bool nlf_pending(const struct nlf_exp *e, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (e[i].final && !e[i].done)
			return true;
	return false;
}

/*
 * Reads answers until every message of @e that must be answered was, and
 * checks each as it comes.  Returns 0, or -ETIMEDOUT when the kernel went
 * quiet (the socket is then in an unknown state).
 */
static int nlf_collect(struct nlf_ctx *c, struct nlf_exp *e, int n)
{
	while (nlf_pending(e, n)) {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(c->nl.sock),
				      .events = POLLIN };
		const struct nlmsghdr *nlh = (const void *)c->rx;
		ssize_t len;
		int left, i;

		if (poll(&pfd, 1, NLF_TMO) <= 0) {
			for (i = 0; i < n; i++)
				if (e[i].final && !e[i].done)
					fz_fail(c->log, "seq %u (cmd %u, %s): no answer",
						e[i].seq, e[i].cmd,
						e[i].why);
			c->st.hangs++;
			return -ETIMEDOUT;
		}
		len = recv(pfd.fd, c->rx, sizeof(c->rx), MSG_TRUNC);
		if (len < 0) {
			fz_fail(c->log, "recv: %s", strerror(errno));
			return -ETIMEDOUT;
		}
		if ((size_t)len > sizeof(c->rx)) {
			fz_fail(c->log, "a %zd-byte answer", len);
			len = sizeof(c->rx);
		}
		left = len;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			struct nlf_exp *x = nlf_find(e, n, nlh->nlmsg_seq);
			const char *bad;
			int err;

			if (!x) {
				fz_fail(c->log, "answer (type %u) with seq %u, never asked",
					nlh->nlmsg_type, nlh->nlmsg_seq);
				continue;
			}
			if (x->none || x->done) {
				fz_fail(c->log, "answer (type %u) to seq %u: %s",
					nlh->nlmsg_type, x->seq,
					x->none ? "the kernel should have dropped it" :
						  "after its final message");
				continue;
			}
			if (nlh->nlmsg_pid != c->nl.portid)
				fz_fail(c->log, "answer to seq %u for port %u, we are %u",
					x->seq, nlh->nlmsg_pid,
					c->nl.portid);
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				c->st.intr++;
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE) {
				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err)) {
					fz_fail(c->log, "seq %u: short final message",
						x->seq);
					err = 0;
				} else {
					memcpy(&err, mnl_nlmsg_get_payload(nlh),
					       sizeof(err));
				}
				if (nlh->nlmsg_type == NLMSG_DONE && !x->dump)
					fz_fail(c->log, "seq %u: DONE for a do request",
						x->seq);
				x->done = true;
				x->err = err;
				continue;
			}
			if (nlh->nlmsg_type != c->nl.family) {
				fz_fail(c->log, "seq %u: message of type %u",
					x->seq, nlh->nlmsg_type);
				continue;
			}
			x->data++;
			c->st.data++;
			if (!!(nlh->nlmsg_flags & NLM_F_MULTI) != x->dump)
				fz_fail(c->log, "seq %u (cmd %u): NLM_F_MULTI %s",
					x->seq, x->cmd,
					x->dump ? "missing in a dump" :
						  "in a do reply");
			bad = nlf_check_data(nlh, x->cmd, x->topic);
			if (bad)
				fz_fail(c->log, "seq %u (cmd %u): %s",
					x->seq, x->cmd, bad);
			if (!bad && x->cmd == EVS_CMD_LISTEN_ADD && x->port > 0) {
				const struct nlattr *tb[EVS_A_MAX + 1];

				if (!evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) &&
				    mnl_attr_get_u16(tb[EVS_A_PORT]) != x->port)
					fz_fail(c->log, "LISTEN_ADD of port %d got port %u",
						x->port,
						mnl_attr_get_u16(tb[EVS_A_PORT]));
			}
		}
		if (left > 0)
			fz_fail(c->log, "%d bytes of a partial message",
				left);
	}
	return 0;
}

/* The first bytes of a request, in hex, for a failure to show. */
static void nlf_hex(struct nlf_ctx *c, const struct nlf_exp *e)
{
	char hex[2 * 96 + 1];
	size_t i, n = e->len < 96 ? e->len : 96;

	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x",
			 (unsigned char)c->dgram[e->off + i]);
	hex[2 * n] = 0;
	fz_note(c->log, "  request (%zu bytes): %s", e->len, hex);
}

/* Compares what came back with the prediction, and counts it. */
static void nlf_judge(struct nlf_ctx *c, struct nlf_exp *e)
{
	int err = e->done ? -e->err : 0;
	int idx = nlf_err_idx(err);

	if (e->none)
		return;
	if (e->done && (e->err > 0 || e->err < -4095))
		fz_fail(c->log, "seq %u: error %d is no errno", e->seq, e->err);
	if (idx < 0)
		c->st.other_errs++;
	else
		c->st.errs[idx]++;
	if (!err && e->cmd <= EVS_CMD_MAX)
		c->st.by_cmd_ok[e->cmd]++;
	if (e->allowed == nlf_bit(EPERM))
		c->st.perm_checked++;
	if (!(nlf_bit(err) & e->allowed)) {
		fz_fail(c->log, "seq %u cmd %u (%s)%s: got %s (%d), expected %s",
			e->seq, e->cmd,
			nlf_cmd_known(e->cmd) ? nlf_cmds[e->cmd].name : "?",
			e->dump ? " dump" : "", err ? strerror(err) : "success",
			-err, e->why);
		if (e->len)
			nlf_hex(c, e);
	}
	if (e->data && err && !e->dump)
		fz_fail(c->log, "seq %u: a reply and an error %d", e->seq, -err);
}

static int nlf_reopen(struct nlf_ctx *c)
{
	int err;

	evs_nl_close(&c->nl);
	err = evs_nl_open(&c->nl);
	if (!err)
		err = fz_set_rcvtimeo(mnl_socket_get_fd(c->nl.sock), NLF_TMO);
	if (err)
		fz_fail(c->log, "cannot reopen the socket: %s", strerror(-err));
	return err;
}

/*
 * Sends one fuzzed datagram and checks the answers.  When an answer may
 * or may not come, a GET_VERSION follows: its answer comes after any
 * other, so once it is in nothing more will come for the rest.
 */
static int nlf_one(struct nlf_ctx *c)
{
	struct nlf_exp e[NLF_MAX_MSGS + 1];
	size_t len = nlf_gen_dgram(c);
	bool sync = false;
	int n, i;

	n = nlf_predict(c->dgram, len, c->priv, e, NLF_MAX_MSGS);
	for (i = 0; i < n; i++)
		if (!e[i].final)
			sync = true;
	if (mnl_socket_sendto(c->nl.sock, c->dgram, len) < 0) {
		fz_fail(c->log, "sendto: %s", strerror(errno));
		return nlf_reopen(c);
	}
	c->st.reqs++;
	c->st.msgs += n;
	if (sync) {
		char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
		struct nlmsghdr *nlh = evs_nl_req(&c->nl, buf,
						  EVS_CMD_GET_VERSION, 0);

		memset(&e[n], 0, sizeof(e[n]));
		e[n].seq = nlh->nlmsg_seq;
		e[n].cmd = EVS_CMD_GET_VERSION;
		e[n].final = true;
		e[n].allowed = NLF_OK;
		e[n].why = "the GET_VERSION after it";
		e[n].topic = -1;
		e[n].port = -1;
		if (mnl_socket_sendto(c->nl.sock, nlh, nlh->nlmsg_len) < 0) {
			fz_fail(c->log, "sendto: %s", strerror(errno));
			return nlf_reopen(c);
		}
		n++;
	}
	if (nlf_collect(c, e, n))
		return nlf_reopen(c);
	for (i = 0; i < n; i++)
		nlf_judge(c, &e[i]);
	return 0;
}

/* ---- requests that do something on purpose ---- */

static int nlf_talk(struct nlf_ctx *c, struct nlmsghdr *nlh, uint32_t allowed,
		    const char *what)
{
	int err = evs_nl_talk(&c->nl, nlh, NULL, NULL);

	if (err == -EAGAIN) {
		fz_fail(c->log, "%s: no answer in %d ms", what,
			NLF_TMO);
		c->st.hangs++;
		nlf_reopen(c);
		return err;
	}
	if (!(nlf_bit(-err) & (allowed | NLF_NOMEM)))
		fz_fail(c->log, "%s: %s (%s)", what,
			strerror(-err), c->nl.errmsg);
	return err;
}

static int nlf_listen(struct nlf_ctx *c, uint8_t cmd, int family,
		      uint16_t port, uint16_t *got)
{
	char a[EVS_ADDR_STRLEN];
	int err;

	snprintf(a, sizeof(a), family == AF_INET6 ? "[::1]:%u" :
		 "127.0.0.1:%u", port);
	err = evs_test_listen(&c->nl, cmd, a);
	if (err == -EAGAIN) {
		fz_fail(c->log, "listener %s: no answer", a);
		nlf_reopen(c);
		return err;
	}
	if (err < 0 && err != -EADDRINUSE && err != -ENOENT)
		fz_fail(c->log, "listener %s %s: %s (%s)",
			cmd == EVS_CMD_LISTEN_ADD ? "add" : "del", a,
			strerror(-err), c->nl.errmsg);
	if (err > 0 && got)
		*got = err;
	return err < 0 ? err : 0;
}

static void nlf_lis_add(struct nlf_shared *sh, int family, uint16_t port)
{
	pthread_mutex_lock(&sh->lock);
	if (sh->nlis < NLF_MAX_LIS) {
		sh->lis[sh->nlis].family = family;
		sh->lis[sh->nlis].port = port;
		sh->nlis++;
	}
	pthread_mutex_unlock(&sh->lock);
}

/* Takes a random tracked listener off the list; false when none. */
static bool nlf_lis_take(struct nlf_shared *sh, struct fz_rng *r, int *family,
			 uint16_t *port)
{
	unsigned int i;
	bool found = false;

	pthread_mutex_lock(&sh->lock);
	if (sh->nlis) {
		i = fz_below(r, sh->nlis);
		*family = sh->lis[i].family;
		*port = sh->lis[i].port;
		sh->lis[i] = sh->lis[--sh->nlis];
		found = true;
	}
	pthread_mutex_unlock(&sh->lock);
	return found;
}

struct nlf_lis_list {
	unsigned int n;
	struct evs_addr a[256];
};

static int nlf_lis_list_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct nlf_lis_list *l = data;

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) || l->n >= ARRAY_SIZE(l->a) ||
	    evs_addr_get(tb[EVS_A_ADDR_IN], tb[EVS_A_ADDR_IN6], tb[EVS_A_PORT],
			 &l->a[l->n]))
		return MNL_CB_ERROR;
	l->n++;
	return MNL_CB_OK;
}

/* Every listener of the namespace, whoever made it. */
static int nlf_lis_dump(struct nlf_ctx *c, struct nlf_lis_list *l)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	int err, tries;

	for (tries = 0; tries < 10; tries++) {
		l->n = 0;
		err = evs_nl_talk(&c->nl, evs_nl_req(&c->nl, buf,
						     EVS_CMD_LISTEN_GET,
						     NLM_F_DUMP),
				  nlf_lis_list_cb, l);
		if (err != -EINTR)
			break;
	}
	return err;
}

/* Deletes every listener; returns how many are left (0) or -errno. */
static int nlf_lis_del_all(struct nlf_ctx *c)
{
	struct nlf_lis_list l;
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	unsigned int i;
	int err;

	if (c->sh) {
		pthread_mutex_lock(&c->sh->lock);
		c->sh->nlis = 0;
		pthread_mutex_unlock(&c->sh->lock);
	}
	err = nlf_lis_dump(c, &l);
	if (err)
		return err;
	for (i = 0; i < l.n; i++) {
		struct nlmsghdr *nlh = evs_nl_req(&c->nl, buf,
						  EVS_CMD_LISTEN_DEL, 0);

		evs_addr_put(nlh, sizeof(buf), &l.a[i]);
		nlf_talk(c, nlh, NLF_OK, "listener delete");
	}
	err = nlf_lis_dump(c, &l);
	return err ? err : (int)l.n;
}

static int nlf_route(struct nlf_ctx *c, uint8_t cmd, uint16_t topic,
		     uint8_t prio)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh = evs_nl_req(&c->nl, buf, cmd, 0);

	mnl_attr_put_u16(nlh, EVS_A_TOPIC, topic);
	if (cmd == EVS_CMD_ROUTE_ADD)
		mnl_attr_put_u8(nlh, EVS_A_PRIO, prio);
	return nlf_talk(c, nlh, NLF_OK | nlf_bit(ENOENT), "route");
}

/* CONFIG_SET of the settings in @v that @set says, each by its width. */
static int nlf_config(struct nlf_ctx *c, const uint64_t *v, const bool *set,
		      uint32_t allowed)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh = evs_nl_req(&c->nl, buf, EVS_CMD_CONFIG_SET, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
	unsigned int t;

	for (t = EVS_CFG_A_MAX_PAYLOAD; t <= EVS_CFG_A_MAX; t++) {
		if (!set[t])
			continue;
		if (nlf_cfgs[t].kind == NLF_U8)
			mnl_attr_put_u8(nlh, t, v[t]);
		else if (nlf_cfgs[t].kind == NLF_U64)
			mnl_attr_put_u64(nlh, t, v[t]);
		else
			mnl_attr_put_u32(nlh, t, v[t]);
	}
	mnl_attr_nest_end(nlh, nest);
	return nlf_talk(c, nlh, allowed, "config set");
}

/* What a CONFIG_SET of valid values gets: the ceilings may refuse it. */
static uint32_t nlf_config_allowed(const uint64_t *v, const bool *set)
{
	unsigned int t;

	for (t = EVS_CFG_A_MAX_PAYLOAD; t <= EVS_CFG_A_MAX; t++)
		if (set[t] && nlf_over_ceiling(t, v[t]))
			return nlf_bit(EPERM);
	return NLF_OK;
}

/* Settings that keep the clients going, drawn at random. */
static void nlf_config_random(struct nlf_ctx *c)
{
	static const uint64_t payload[] = { 256, 4096, 65536 };
	static const uint64_t pool[] = { 8, 1024, 65536 };
	static const uint64_t batch[] = { 1, 8, 64 };
	static const uint64_t delay[] = { 0, 0, 500 };
	static const uint64_t pressure[] = { 10, 75, 100 };
	static const uint64_t store[] = { 1 << 20, 64 << 20 };
	struct fz_rng *r = &c->rng;
	uint64_t v[EVS_CFG_A_MAX + 1] = { 0 };
	bool set[EVS_CFG_A_MAX + 1] = { 0 };

	v[EVS_CFG_A_MAX_PAYLOAD] = payload[fz_below(r, ARRAY_SIZE(payload))];
	v[EVS_CFG_A_POOL_LIMIT] = pool[fz_below(r, ARRAY_SIZE(pool))];
	v[EVS_CFG_A_BATCH] = batch[fz_below(r, ARRAY_SIZE(batch))];
	v[EVS_CFG_A_ACK_DELAY] = delay[fz_below(r, ARRAY_SIZE(delay))];
	v[EVS_CFG_A_PRESSURE] = pressure[fz_below(r, ARRAY_SIZE(pressure))];
	v[EVS_CFG_A_STORE_LIMIT] = store[fz_below(r, ARRAY_SIZE(store))];
	set[EVS_CFG_A_MAX_PAYLOAD] = fz_chance(r, 50);
	set[EVS_CFG_A_POOL_LIMIT] = fz_chance(r, 50);
	set[EVS_CFG_A_BATCH] = fz_chance(r, 50);
	set[EVS_CFG_A_ACK_DELAY] = fz_chance(r, 30);
	set[EVS_CFG_A_PRESSURE] = fz_chance(r, 30);
	set[EVS_CFG_A_STORE_LIMIT] = fz_chance(r, 30);
	nlf_config(c, v, set, nlf_config_allowed(v, set));
}

/*
 * Changes the ring size, which only works without a listener: take them
 * all down first.  Only this thread adds listeners in this namespace, so
 * the change must succeed.
 */
static void nlf_ring_cycle(struct nlf_ctx *c)
{
	uint64_t v[EVS_CFG_A_MAX + 1] = { 0 };
	bool set[EVS_CFG_A_MAX + 1] = { 0 };
	uint16_t port;
	int left;

	left = nlf_lis_del_all(c);
	if (left) {
		fz_fail(c->log, "%d listeners left after deleting all",
			left);
		return;
	}
	v[EVS_CFG_A_RING_SIZE] = 1ULL << fz_range(&c->rng, 6, 12);
	set[EVS_CFG_A_RING_SIZE] = true;
	nlf_config(c, v, set, nlf_config_allowed(v, set));
	if (!nlf_listen(c, EVS_CMD_LISTEN_ADD, AF_INET, 0, &port) && c->sh)
		nlf_lis_add(c->sh, AF_INET, port);
}

static void nlf_purposeful(struct nlf_ctx *c)
{
	struct fz_rng *r = &c->rng;
	uint64_t x = fz_below(r, 100);
	int family = fz_chance(r, 50) ? AF_INET6 : AF_INET;
	uint16_t port;

	if (x < 30) {
		port = fz_chance(r, 50) ? 0 : NLF_PORT_BASE +
					      fz_below(r, NLF_PORTS);
		if (!nlf_listen(c, EVS_CMD_LISTEN_ADD, family, port, &port) &&
		    c->sh)
			nlf_lis_add(c->sh, family, port);
	} else if (x < 50) {
		if (c->sh && nlf_lis_take(c->sh, r, &family, &port))
			nlf_listen(c, EVS_CMD_LISTEN_DEL, family, port, NULL);
		else
			nlf_listen(c, EVS_CMD_LISTEN_DEL, family,
				   NLF_PORT_BASE + fz_below(r, NLF_PORTS), NULL);
	} else if (x < 65) {
		nlf_route(c, EVS_CMD_ROUTE_ADD, fz_range(r, 1, NLF_TOPICS),
			  fz_below(r, EVS_PRIO_NR));
	} else if (x < 75) {
		nlf_route(c, EVS_CMD_ROUTE_DEL, fz_range(r, 1, NLF_TOPICS), 0);
	} else if (x < 92) {
		nlf_config_random(c);
	} else if (x < 97) {
		char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;

		nlf_talk(c, evs_nl_req(&c->nl, buf, EVS_CMD_STATS_RESET, 0),
			 NLF_OK, "stats reset");
	} else {
		nlf_ring_cycle(c);
	}
}

/* The socket still answers a plain request. */
static void nlf_alive(struct nlf_ctx *c)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;

	nlf_talk(c, evs_nl_req(&c->nl, buf, EVS_CMD_GET_VERSION, 0), NLF_OK,
		 "GET_VERSION between fuzzed requests");
}

/* Fuzzes until @deadline; purposeful requests too when @c->priv. */
static void nlf_fuzz(struct nlf_ctx *c, uint64_t deadline)
{
	unsigned long i;

	for (i = 0; evs_test_now_ms() < deadline; i++) {
		if (!c->nl.sock && nlf_reopen(c))
			return;
		if (c->priv && fz_chance(&c->rng, 20))
			nlf_purposeful(c);
		else
			nlf_one(c);
		if (i % 64 == 63)
			nlf_alive(c);
	}
}

static void nlf_report(struct nlf_ctx *c)
{
	char line[512];
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < NLF_NERRS && off < sizeof(line); i++)
		if (c->st.errs[i])
			off += snprintf(line + off, sizeof(line) - off, " %s %lu",
					nlf_errs[i] ? strerrorname_np(nlf_errs[i]) :
						      "ok",
					c->st.errs[i]);
	fz_note(c->log, "%lu datagrams, %lu messages, %lu hangs",
		c->st.reqs, c->st.msgs, c->st.hangs);
	fz_note(c->log, "%lu data messages (%lu interrupted), %lu EPERM predicted",
		c->st.data, c->st.intr, c->st.perm_checked);
	fz_note(c->log, "answers:%s, other %lu", off ? line : " none", c->st.other_errs);
	off = 0;
	for (i = 1; i <= EVS_CMD_MAX && off < sizeof(line); i++)
		if (nlf_cmd_known(i))
			off += snprintf(line + off, sizeof(line) - off, " %s %lu",
					nlf_cmds[i].name, c->st.by_cmd_ok[i]);
	fz_note(c->log, "succeeded by command:%s", line);
}

/* ---- the helper threads: dumps and monitor, clients ---- */

struct nlf_dump_state {
	struct nlf_shared *sh;
	uint8_t cmd;
	int64_t last;		/* ROUTE_GET topic, CONN_GET id: ascending */
	const char *bad;
	unsigned int msgs;
};

static int nlf_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlf_dump_state *ds = data;
	const struct nlattr *tb[EVS_A_MAX + 1];
	const char *bad = nlf_check_data(nlh, ds->cmd, -1);
	int64_t key = -1;

	ds->msgs++;
	if (bad) {
		if (!ds->bad)
			ds->bad = bad;
		return MNL_CB_OK;
	}
	evs_nl_parse(nlh, tb, &evs_nl_evs_attrs);
	if (ds->cmd == EVS_CMD_ROUTE_GET)
		key = mnl_attr_get_u16(tb[EVS_A_TOPIC]);
	if (ds->cmd == EVS_CMD_CONN_GET)
		evs_nl_get_u64(tb[EVS_A_CONN_ID], (uint64_t *)&key);
	if (key >= 0) {
		if (key <= ds->last && !ds->bad)
			ds->bad = ds->cmd == EVS_CMD_ROUTE_GET ?
				  "routes not in topic order" :
				  "connections not oldest first";
		ds->last = key;
	}
	return MNL_CB_OK;
}

static int nlf_read_cb(const struct evs_event *ev, void *data)
{
	unsigned long *n = data;

	(*n)++;
	return evs_test_payload_ok(ev) ? 0 : -EBADMSG;
}

/* Drains the monitor socket: every notification must be well formed. */
static void nlf_drain_monitor(struct nlf_shared *sh, struct evs_nl *mon,
			      char *rx, size_t size)
{
	for (;;) {
		const struct nlmsghdr *nlh = (const void *)rx;
		ssize_t len = recv(mnl_socket_get_fd(mon->sock), rx, size,
				   MSG_DONTWAIT);
		int left;

		if (len < 0 && errno == ENOBUFS) {
			/* Best effort by design: a loss is said, not hidden. */
			sh->ntf_lost++;
			continue;
		}
		if (len <= 0)
			return;
		left = len;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlattr *tb[EVS_A_MAX + 1];
			const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

			sh->ntf++;
			if (nlh->nlmsg_type != mon->family ||
			    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
			    g->cmd < EVS_CMD_NTF_CONN_OPEN || g->cmd > EVS_CMD_MAX ||
			    evs_nl_parse(nlh, tb, &evs_nl_evs_attrs))
				fz_fail(sh->log, "monitor: malformed notification (type %u cmd %u)",
					nlh->nlmsg_type, g->cmd);
		}
	}
}

static void *nlf_dump_main(void *arg)
{
	static const uint8_t cmds[] = {
		EVS_CMD_LISTEN_GET, EVS_CMD_CONN_GET, EVS_CMD_ROUTE_GET,
		EVS_CMD_RING_GET, EVS_CMD_LATENCY_GET, EVS_CMD_READ,
		EVS_CMD_GET_STATS, EVS_CMD_CONFIG_GET,
	};
	struct nlf_shared *sh = arg;
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	char *rx = malloc(EVS_NL_RX_SIZE);
	struct evs_nl nl, mon;
	struct fz_rng r;
	uint32_t grp;
	bool have_mon;

	fz_rng_init(&r, sh->seed, 2);
	if (!rx || evs_nl_open(&nl) ||
	    fz_set_rcvtimeo(mnl_socket_get_fd(nl.sock), NLF_TMO)) {
		fz_fail(sh->log, "dumps: cannot open a socket");
		free(rx);
		return NULL;
	}
	have_mon = !evs_nl_open(&mon) &&
		   !evs_nl_mcast_group(&mon, EVS_GENL_NAME, EVS_MCGRP_MONITOR,
				       &grp) &&
		   !evs_nl_join(&mon, grp);
	if (!have_mon)
		fz_fail(sh->log, "dumps: cannot join the monitor group");

	while (!nlf_stopped(sh)) {
		struct nlf_dump_state ds = { .sh = sh, .last = -1 };
		uint8_t cmd = cmds[fz_below(&r, ARRAY_SIZE(cmds))];
		struct nlmsghdr *nlh;
		int err;

		if (cmd == EVS_CMD_READ) {
			unsigned long n = 0;

			err = evs_read_topic(&nl, fz_range(&r, 1, NLF_TOPICS),
					     fz_chance(&r, 50) ? 0 : fz_below(&r, 256),
					     fz_chance(&r, 50) ? EVS_READ_ALL :
					     fz_range(&r, 1, 64),
					     nlf_read_cb, &n);
			sh->reads++;
			sh->events += n;
			if (err && err != -EINTR)
				fz_fail(sh->log, "dumps: READ: %s (%s)",
					strerror(-err), nl.errmsg);
		} else {
			ds.cmd = cmd;
			nlh = evs_nl_req(&nl, buf, cmd,
					 nlf_cmds[cmd].dumpit ? NLM_F_DUMP : 0);
			err = evs_nl_talk(&nl, nlh, nlf_dump_cb, &ds);
			sh->dumps++;
			sh->dump_msgs += ds.msgs;
			if (err == -EINTR)
				sh->dump_intr++;
			else if (err)
				fz_fail(sh->log, "dumps: %s: %s (%s)",
					nlf_cmds[cmd].name, strerror(-err),
					nl.errmsg);
			/* An interrupted dump may repeat or skip: no order then. */
			if (ds.bad && (err != -EINTR || !strstr(ds.bad, "order")))
				fz_fail(sh->log, "dumps: %s: %s",
					nlf_cmds[cmd].name, ds.bad);
		}
		if (err == -EAGAIN) {
			evs_nl_close(&nl);
			if (evs_nl_open(&nl))
				break;
			fz_set_rcvtimeo(mnl_socket_get_fd(nl.sock), NLF_TMO);
		}
		if (have_mon)
			nlf_drain_monitor(sh, &mon, rx, EVS_NL_RX_SIZE);
	}
	evs_nl_close(&nl);
	evs_nl_close(&mon);
	free(rx);
	return NULL;
}

struct nlf_client {
	int fd;
	uint32_t seq;
	unsigned char out[4096];
	size_t out_len, out_off;
	unsigned char in[256];
	size_t in_len;
};

static void nlf_client_close(struct nlf_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
	cl->out_len = 0;
	cl->out_off = 0;
	cl->in_len = 0;
}

/* A non-blocking connect to a tracked listener, given two seconds. */
static int nlf_client_connect(struct nlf_shared *sh, struct fz_rng *r)
{
	struct sockaddr_storage ss;
	struct evs_addr a = { 0 };
	struct pollfd pfd;
	socklen_t sl;
	int fd, one = 1;

	pthread_mutex_lock(&sh->lock);
	if (sh->nlis) {
		unsigned int i = fz_below(r, sh->nlis);

		a.family = sh->lis[i].family;
		a.port = sh->lis[i].port;
	}
	pthread_mutex_unlock(&sh->lock);
	if (!a.family)
		return -ENOENT;
	if (a.family == AF_INET6)
		a.in6 = in6addr_loopback;
	else
		a.in.s_addr = htonl(INADDR_LOOPBACK);
	sl = evs_addr_sockaddr(&a, &ss);
	fd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) {
		close(fd);
		return -ECONNREFUSED;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 2000) != 1 || (pfd.revents & (POLLERR | POLLHUP))) {
		close(fd);
		return -ECONNREFUSED;
	}
	return fd;
}

/* Reads what the server sent: ACK and ERROR frames only. */
static bool nlf_client_read(struct nlf_shared *sh, struct nlf_client *cl)
{
	for (;;) {
		ssize_t n = recv(cl->fd, cl->in + cl->in_len,
				 sizeof(cl->in) - cl->in_len, MSG_DONTWAIT);
		struct evs_frame f;

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return false;
		if (n < 0)
			return true;
		cl->in_len += n;
		while (cl->in_len >= EVS_WIRE_HDR_LEN) {
			size_t whole;

			evs_frame_decode(cl->in, &f);
			whole = EVS_WIRE_HDR_LEN + f.length;
			if (f.magic != EVS_WIRE_MAGIC || f.length > 128 ||
			    (f.flags != EVS_WIRE_F_ACK &&
			     f.flags != EVS_WIRE_F_ERROR)) {
				fz_fail(sh->log, "clients: server sent flags %#x length %u",
					f.flags, f.length);
				return false;
			}
			if (cl->in_len < whole)
				break;
			if (f.flags == EVS_WIRE_F_ACK)
				sh->acks++;
			else
				sh->errors++;
			memmove(cl->in, cl->in + whole, cl->in_len - whole);
			cl->in_len -= whole;
		}
	}
}

/* A few good frames, to any topic and priority, some asking for an ACK. */
static void nlf_client_fill(struct nlf_shared *sh, struct fz_rng *r,
			    struct nlf_client *c)
{
	unsigned int i, n = fz_range(r, 1, 8);

	c->out_len = 0;
	c->out_off = 0;
	for (i = 0; i < n; i++) {
		uint8_t prio = fz_chance(r, 20) ? EVS_PRIO_AUTO :
			       fz_below(r, EVS_PRIO_NR);

		c->out_len += evs_test_frame(c->out + c->out_len,
					     fz_chance(r, 30) ?
					     EVS_WIRE_F_ACK_REQ : 0,
					     fz_range(r, 1, NLF_TOPICS), prio,
					     c->seq++, fz_below(r, 400));
		sh->frames++;
	}
}

/* Ends @c the moment it is connected, with a bad header or a reset. */
static void nlf_client_abort(struct nlf_shared *sh, struct fz_rng *r,
			     struct nlf_client *c)
{
	static const struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	unsigned char hdr[EVS_WIRE_HDR_LEN];

	if (fz_chance(r, 50)) {
		memset(hdr, 0xee, sizeof(hdr));
		send(c->fd, hdr, sizeof(hdr), MSG_DONTWAIT | MSG_NOSIGNAL);
	} else {
		nlf_client_fill(sh, r, c);
		send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
	}
	sh->aborts++;
	nlf_client_close(c);
}

/* A few clients sending good frames while the settings change under them. */
static void *nlf_client_main(void *arg)
{
	struct nlf_client cl[NLF_CLIENTS];
	struct nlf_shared *sh = arg;
	struct fz_rng r;
	unsigned int i;

	fz_rng_init(&r, sh->seed, 3);
	for (i = 0; i < NLF_CLIENTS; i++)
		cl[i].fd = -1;
	while (!nlf_stopped(sh)) {
		for (i = 0; i < NLF_CLIENTS; i++) {
			struct nlf_client *c = &cl[i];
			ssize_t n;

			if (c->fd < 0) {
				c->fd = nlf_client_connect(sh, &r);
				if (c->fd < 0) {
					sh->conn_fail++;
					c->fd = -1;
					continue;
				}
				c->seq = 0;
				sh->conns++;
				/*
				 * Some break off at once: a bad header, or a
				 * frame and a reset, while the module may
				 * still be setting the connection up.
				 */
				if (fz_chance(&r, 10)) {
					nlf_client_abort(sh, &r, c);
					continue;
				}
			}
			if (!nlf_client_read(sh, c) || fz_chance(&r, 2)) {
				nlf_client_close(c);
				continue;
			}
			if (c->out_off == c->out_len)
				nlf_client_fill(sh, &r, c);
			n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN) {
				nlf_client_close(c);
				continue;
			}
			if (n > 0)
				c->out_off += n;
		}
		fz_sleep_ms(2);
	}
	for (i = 0; i < NLF_CLIENTS; i++)
		nlf_client_close(&cl[i]);
	return NULL;
}

/* ---- the end: settings back, listeners gone, and it still works ---- */

/*
 * A listener, a connection, @n frames stored and acked and read back
 * whole; then the listener goes.  Returns the number of problems.
 */
static int nlf_health(struct nlf_ctx *c, int family, uint16_t topic)
{
	unsigned char *buf = malloc(64 << 10);
	unsigned int fails = fz_fails(c->log);
	const unsigned int n = 200;
	size_t off = 0;
	uint16_t port = 0;
	unsigned int i;
	int fd, got;

	if (!buf)
		return 1;
	if (nlf_listen(c, EVS_CMD_LISTEN_ADD, family, 0, &port) || !port) {
		fz_fail(c->log, "health: no listener");
		free(buf);
		return 1;
	}
	for (i = 0; i < n; i++)
		off += evs_test_frame(buf + off,
				      i == n - 1 ? EVS_WIRE_F_ACK_REQ : 0,
				      topic, i % 2 ? EVS_PRIO_AUTO : i % 3, i,
				      i % 100);
	fd = evs_test_connect(family, port);
	if (fd < 0) {
		fz_fail(c->log, "health: connect: %s", strerror(-fd));
	} else {
		if (evs_test_write(fd, buf, off))
			fz_fail(c->log, "health: write failed");
		got = evs_test_wait_ack(fd, n - 1, NLF_TMO);
		if (got)
			fz_fail(c->log, "health: no ACK for frame %u: %d",
				n - 1, got);
		close(fd);
	}
	got = evs_test_stored(&c->nl, topic);
	if (got != (int)n)
		fz_fail(c->log, "health: %d events of topic %u read back, %u sent",
			got, topic, n);
	nlf_listen(c, EVS_CMD_LISTEN_DEL, family, port, NULL);
	free(buf);
	return fz_fails(c->log) - fails;
}

struct nlf_routes {
	uint64_t bits[65536 / 64];
};

static int nlf_routes_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct nlf_routes *rt = data;
	uint16_t topic;

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) ||
	    evs_nl_get_u16(tb[EVS_A_TOPIC], &topic))
		return MNL_CB_ERROR;
	rt->bits[topic / 64] |= 1ULL << (topic % 64);
	return MNL_CB_OK;
}

/* Back to the defaults, then nothing the fuzzer made is left. */
static void nlf_restore(struct nlf_ctx *c)
{
	bool set[EVS_CFG_A_MAX + 1] = { 0 };
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlf_routes *rt = calloc(1, sizeof(*rt));
	unsigned int t;
	int left, err;

	left = nlf_lis_del_all(c);
	if (left)
		fz_fail(c->log, "%d listeners left after deleting all",
			left);
	for (t = EVS_CFG_A_MAX_PAYLOAD; t <= EVS_CFG_A_MAX; t++)
		set[t] = true;
	if (nlf_config(c, nlf_cfg_defaults, set, NLF_OK))
		fz_fail(c->log, "cannot restore the settings");
	if (!rt)
		return;
	/* The routes the random requests made too, whatever their topic. */
	do {
		memset(rt, 0, sizeof(*rt));
		err = evs_nl_talk(&c->nl, evs_nl_req(&c->nl, buf,
						     EVS_CMD_ROUTE_GET,
						     NLM_F_DUMP),
				  nlf_routes_cb, rt);
	} while (err == -EINTR);
	if (err)
		fz_fail(c->log, "ROUTE_GET: %s", strerror(-err));
	for (t = 0; !err && t < 65536; t++)
		if (rt->bits[t / 64] & (1ULL << (t % 64)))
			nlf_route(c, EVS_CMD_ROUTE_DEL, t, 0);
	free(rt);
}

/* ---- the children: nobody, and root of a user namespace ---- */

static void nlf_ctx_init(struct nlf_ctx *c, const char *who, bool priv,
			 struct fz_log *log, uint64_t tag)
{
	memset(&c->st, 0, sizeof(c->st));
	c->who = who;
	c->priv = priv;
	c->log = log;
	c->sh = NULL;
	c->nl.sock = NULL;
	fz_rng_init(&c->rng, nlf_opts.seed, tag);
}

/* Debian's switch for user namespaces made by the unprivileged. */
static bool nlf_userns_root_only(void)
{
	FILE *f = fopen("/proc/sys/kernel/unprivileged_userns_clone", "r");
	int v = 1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 1;
		fclose(f);
	}
	return !v;
}

/* Runs in a forked child; exits 0 when nothing failed. */
static void nlf_child(bool userns, uint64_t deadline)
{
	struct nlf_ctx *c = calloc(1, sizeof(*c));
	struct fz_log log;
	int err;

	fz_log_init(&log, userns ? "userns" : "nobody");
	if (!c)
		_exit(1);
	if (userns) {
		err = nlf_read_ceilings();
		if (err) {
			fz_fail(&log, "userns_* ceilings: %s", strerror(-err));
			_exit(1);
		}
		nlf_ceilings_bind = true;
	}
	nlf_ctx_init(c, log.who, userns, &log, userns ? 5 : 4);
	if (userns && nlf_userns_root_only()) {
		/* Unprivileged user namespaces are off: make it as root. */
		fz_note(&log, "unprivileged user namespaces disabled: as root");
		err = 0;
	} else {
		err = evs_test_drop_privileges();
	}
	if (!err && userns)
		err = fz_new_userns_netns();
	if (err) {
		fz_fail(&log, "cannot become %s: %s", log.who, strerror(-err));
		_exit(1);
	}
	if (nlf_reopen(c))
		_exit(1);
	nlf_fuzz(c, deadline);
	if (userns) {
		/* Its namespace works like any other; then it dies with it. */
		nlf_restore(c);
		nlf_health(c, AF_INET, NLF_HEALTH_TOPIC);
		nlf_health(c, AF_INET6, NLF_HEALTH_TOPIC + 1);
		nlf_listen(c, EVS_CMD_LISTEN_ADD, AF_INET, 0, NULL);
	}
	nlf_report(c);
	evs_nl_close(&c->nl);
	_exit(fz_fails(&log) ? 2 : 0);
}

static pid_t nlf_spawn(bool userns, uint64_t deadline)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		nlf_child(userns, deadline);
	return pid;
}

/* ---- the test ---- */

FIXTURE(nlf) {
	unsigned int secs;
	struct nlf_ctx c;
	struct nlf_shared sh;
	struct fz_log log;
};

/*
 * plain: the module as users run it.  slow_setup: the test build with
 * every new connection held between its hook and its announcement, a
 * window that the clients breaking off at once then hit nearly every
 * time instead of almost never (a use-after-free lived there).
 */
FIXTURE_VARIANT(nlf) {
	unsigned int conn_open_delay_ms;
};

FIXTURE_VARIANT_ADD(nlf, plain) {
	.conn_open_delay_ms = 0,
};

FIXTURE_VARIANT_ADD(nlf, slow_setup) {
	.conn_open_delay_ms = 5,
};

FIXTURE_SETUP(nlf)
{
	unsigned int ms = variant->conn_open_delay_ms;

	nlf_split_ops = evs_test_wrong_op_unprivileged_err() == -EOPNOTSUPP;
	self->secs = nlf_opts.secs;
	if (ms) {
		/* A quarter of the time: it is the same fuzzing, slower. */
		self->secs = nlf_opts.secs / 4 > 15 ? nlf_opts.secs / 4 :
			     nlf_opts.secs;
		if (evs_test_loaded())
			ASSERT_EQ(0, evs_test_unload());
		ASSERT_EQ(0, evs_test_load_fault("")) {
			TH_LOG("no %s: make fault-module", EVS_FAULT_KO);
		}
		ASSERT_EQ(0, evs_test_knob("delay_conn_open_ms", "w", &ms));
	}
	ASSERT_EQ(0, evs_test_new_netns());
	fz_log_init(&self->log, "root");
	nlf_ctx_init(&self->c, "root", true, &self->log, 1);
	ASSERT_EQ(0, nlf_reopen(&self->c));
	pthread_mutex_init(&self->sh.lock, NULL);
	self->sh.seed = nlf_opts.seed;
	self->sh.log = &self->log;
	self->c.sh = &self->sh;
}

FIXTURE_TEARDOWN(nlf)
{
	evs_nl_close(&self->c.nl);
	/* The normal build back, as the other tests expect. */
	if (variant->conn_open_delay_ms) {
		if (evs_test_loaded())
			evs_test_unload();
		evs_test_load();
	}
}

TEST_F_TIMEOUT(nlf, random_requests, 600)
{
	uint64_t deadline = evs_test_now_ms() + self->secs * 1000ULL;
	struct nlf_shared *sh = &self->sh;
	struct nlf_ctx *c = &self->c;
	pthread_t dumper, clients;
	pid_t kids[2];
	unsigned int i;
	int status;

	ksft_print_msg("nl_fuzz: seed %llu, %u s (replay: --seed %llu --seconds %u)\n",
		       (unsigned long long)nlf_opts.seed, self->secs,
		       (unsigned long long)nlf_opts.seed, nlf_opts.secs);
	/* Children first: a user namespace wants a single-threaded caller. */
	kids[0] = nlf_spawn(false, deadline);
	kids[1] = nlf_spawn(true, deadline);
	ASSERT_LT(0, kids[0]);
	ASSERT_LT(0, kids[1]);
	ASSERT_EQ(0, pthread_create(&dumper, NULL, nlf_dump_main, sh));
	ASSERT_EQ(0, pthread_create(&clients, NULL, nlf_client_main, sh));

	nlf_fuzz(c, deadline);

	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	pthread_join(dumper, NULL);
	pthread_join(clients, NULL);
	for (i = 0; i < ARRAY_SIZE(kids); i++) {
		const char *who = i ? "userns" : "nobody";

		ASSERT_EQ(kids[i], waitpid(kids[i], &status, 0));
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fz_fail(&self->log, "%s child: status %#x", who, status);
	}
	if (!c->nl.sock)
		ASSERT_EQ(0, nlf_reopen(c));
	nlf_restore(c);
	nlf_health(c, AF_INET, NLF_HEALTH_TOPIC);
	nlf_health(c, AF_INET6, NLF_HEALTH_TOPIC + 1);
	if (nlf_lis_del_all(c))
		fz_fail(&self->log, "listeners left after the health check");

	nlf_report(c);
	fz_note(&self->log, "dumps: %lu (%lu interrupted, %lu messages)",
		sh->dumps, sh->dump_intr, sh->dump_msgs);
	fz_note(&self->log, "READs: %lu (%lu events); monitor: %lu messages, %lu overruns",
		sh->reads, sh->events, sh->ntf, sh->ntf_lost);
	fz_note(&self->log, "clients: %lu connections (%lu refused, %lu broken off at once), %lu frames",
		sh->conns, sh->conn_fail, sh->aborts, sh->frames);
	fz_note(&self->log, "clients: %lu ACKs, %lu ERRORs", sh->acks,
		sh->errors);
	EXPECT_EQ(0, fz_fails(&self->log)) {
		TH_LOG("seed %llu: %u failures",
		       (unsigned long long)nlf_opts.seed, fz_fails(&self->log));
	}
}

/*
 * Not TEST_HARNESS_MAIN: the run time and seed come from the command
 * line, and the harness timeout must cover the run time.
 */
static void __attribute__((constructor)) nlf_constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	fz_opts_parse(&nlf_opts, argc, argv);
	/* The fuzzing, then the checks, in an emulated VM: be generous. */
	_nlf_random_requests_object.timeout = nlf_opts.secs * 2 + 120;
	return test_harness_run(argc, argv);
}
