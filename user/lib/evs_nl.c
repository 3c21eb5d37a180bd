// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink helpers over libmnl; see evs_nl.h for the contract.
 *
 * Replies are read with mnl_cb_run2() and their attributes parsed with
 * mnl_attr_parse_payload() and mnl_attr_parse_nested(), each checked
 * against its set's table with mnl_attr_validate().  What is still done
 * by hand, and why:
 *
 * - That the attributes fill a message or nest exactly: libmnl's walks
 *   stop quietly at the first attribute that does not fit (a bogus
 *   nla_len, a truncated message, trailing bytes), which would otherwise
 *   pass for a shorter, valid reply.  parse_attr() notes where each
 *   attribute ends; parse_attrs() compares.
 * - Repeated attributes: libmnl has no notion of them.
 * - A message's attributes end at nlmsg_len, not at nlmsg_len rounded up
 *   as mnl_attr_parse() has it (libmnl 1.0.4), so evs_nl_parse() and
 *   parse_extack() hand the exact length to mnl_attr_parse_payload().
 * - EVS_LAT_A_BUCKETS, a u64 array, which libmnl has no type for.
 * - check_datagram(), before mnl_cb_run2(): see there.
 * - The extended ACK (parse_extack() and below) is parsed leniently on
 *   purpose: a malformed piece is left out, the rest of the report kept.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>

#include "evs_nl.h"

static void errmsg_clear(struct evs_nl *nl)
{
	nl->errmsg[0] = '\0';
	nl->err_off = 0;
	nl->err_miss_type = 0;
	nl->err_name[0] = '\0';
	nl->err_range = EVS_NL_RANGE_NONE;
	nl->err_min.u = 0;
	nl->err_max.u = 0;
}

/*
 * What one attribute type of a set must look like, as the kernel's policy
 * for it promises.  MNL_TYPE_UNSPEC: a type the set does not use (or PAD),
 * skipped like one from a newer kernel.
 */
struct evs_nl_attr {
	enum mnl_attr_data_type type;
	uint16_t len;	/* MNL_TYPE_BINARY: exact payload length, 0: any */
	bool multi;	/* may repeat; tb[] keeps the first */
	const struct evs_nl_attrs *nested;	/* what a NESTED one holds */
};

struct evs_nl_attrs {
	unsigned int maxtype;
	const struct evs_nl_attr *attr;	/* maxtype + 1 entries */
	/* An array: every entry, typed by its index, is this. */
	const struct evs_nl_attr *each;
};

/* Enough for every set below; struct parse keeps a bit per type. */
#define ATTRS_MAXTYPE	255
_Static_assert(EVS_A_MAX <= ATTRS_MAXTYPE && CTRL_ATTR_MAX <= ATTRS_MAXTYPE,
	       "struct parse: seen[] too small");

#define U8	{ .type = MNL_TYPE_U8 }
#define U16	{ .type = MNL_TYPE_U16 }
#define U32	{ .type = MNL_TYPE_U32 }
#define U64	{ .type = MNL_TYPE_U64 }
#define STR	{ .type = MNL_TYPE_NUL_STRING }
#define FLAG	{ .type = MNL_TYPE_FLAG }
#define BIN(n)	{ .type = MNL_TYPE_BINARY, .len = (n) }
#define NEST(s)	{ .type = MNL_TYPE_NESTED, .nested = (s) }

static const struct evs_nl_attrs stats_attrs, gauge_attrs, lat_attrs,
	latency_attrs, mcast_grps_attrs, ctrl_nests_attrs;

static const struct evs_nl_attr cfg_attr[EVS_CFG_A_MAX + 1] = {
	[EVS_CFG_A_MAX_PAYLOAD]		= U32,
	[EVS_CFG_A_POOL_LIMIT]		= U32,
	[EVS_CFG_A_PRESSURE]		= U8,
	[EVS_CFG_A_RING_SIZE]		= U32,
	[EVS_CFG_A_STORE_LIMIT]		= U64,
	[EVS_CFG_A_CONN_LIMIT]		= U32,
	[EVS_CFG_A_BATCH]		= U32,
	[EVS_CFG_A_IDLE_TIMEOUT]	= U32,
	[EVS_CFG_A_ACK_DELAY]		= U32,
};

const struct evs_nl_attrs evs_nl_cfg_attrs = {
	.maxtype = EVS_CFG_A_MAX, .attr = cfg_attr,
};

static const struct evs_nl_attr evs_attr[EVS_A_MAX + 1] = {
	[EVS_A_VERSION]			= STR,
	[EVS_A_PROTO_VERSION]		= U8,
	[EVS_A_STATS]			= NEST(&stats_attrs),
	[EVS_A_GAUGES]			= NEST(&gauge_attrs),
	[EVS_A_LATENCY]			= NEST(&latency_attrs),
	[EVS_A_LAT_PRIO]		= NEST(&lat_attrs),
	[EVS_A_ADDR_IN]			= BIN(4),
	[EVS_A_ADDR_IN6]		= BIN(16),
	[EVS_A_PORT]			= U16,
	[EVS_A_LOCAL_PORT]		= U16,
	[EVS_A_TOPIC]			= U16,
	[EVS_A_PRIO]			= U8,
	[EVS_A_LISTEN_ACCEPTED]		= U64,
	[EVS_A_LISTEN_CONNS]		= U32,
	[EVS_A_CONN_ID]			= U64,
	[EVS_A_CONN_STATE]		= U8,
	[EVS_A_CONN_EVENTS]		= U64,
	[EVS_A_CONN_BYTES]		= U64,
	[EVS_A_CONN_PAUSED]		= U8,
	[EVS_A_CONN_ACKED]		= U32,
	[EVS_A_CONN_INFLIGHT]		= U32,
	[EVS_A_FROM]			= U64,
	[EVS_A_COUNT]			= U32,
	[EVS_A_EVENT_SEQ]		= U64,
	[EVS_A_EVENT_CONN]		= U64,
	[EVS_A_EVENT_CLIENT_SEQ]	= U32,
	[EVS_A_EVENT_TS_INGEST]		= U64,
	[EVS_A_EVENT_TS_DEQUEUE]	= U64,
	[EVS_A_EVENT_TS_DONE]		= U64,
	[EVS_A_EVENT_LEN]		= U32,
	[EVS_A_EVENT_OFFSET]		= U32,
	[EVS_A_EVENT_DATA]		= BIN(0),
	[EVS_A_CONFIG]			= NEST(&evs_nl_cfg_attrs),
	[EVS_A_CPU]			= U32,
	[EVS_A_RING_COUNT]		= U32,
	[EVS_A_RING_SIZE]		= U32,
	[EVS_A_CONN_IDLE_MS]		= U64,
	[EVS_A_CLOSE_REASON]		= U8,
	[EVS_A_ERROR_KIND]		= U8,
	[EVS_A_ERROR_MSG]		= STR,
	[EVS_A_INTERVAL_MS]		= U32,
	[EVS_A_LISTEN_FREEBIND]		= FLAG,
	[EVS_A_LOCAL_ADDR_IN]		= BIN(4),
	[EVS_A_LOCAL_ADDR_IN6]		= BIN(16),
};

const struct evs_nl_attrs evs_nl_evs_attrs = {
	.maxtype = EVS_A_MAX, .attr = evs_attr,
};

/* Every type from the first counter up is a u64; PAD is skipped. */
static const struct evs_nl_attr stats_attr[EVS_STATS_A_MAX + 1] = {
	[EVS_STATS_A_FIRST_COUNTER ... EVS_STATS_A_MAX] = U64,
};

static const struct evs_nl_attrs stats_attrs = {
	.maxtype = EVS_STATS_A_MAX, .attr = stats_attr,
};

static const struct evs_nl_attr gauge_attr[EVS_GAUGE_A_MAX + 1] = {
	[EVS_GAUGE_A_FIRST ... EVS_GAUGE_A_MAX] = U64,
};

static const struct evs_nl_attrs gauge_attrs = {
	.maxtype = EVS_GAUGE_A_MAX, .attr = gauge_attr,
};

/*
 * BUCKETS is a u64 array, which libmnl has no type for: any length here,
 * evs_nl_parse_lat_prio() checks it.
 */
static const struct evs_nl_attr lat_attr[EVS_LAT_A_MAX + 1] = {
	[EVS_LAT_A_PRIO]		= U8,
	[EVS_LAT_A_BUCKETS]		= BIN(0),
};

static const struct evs_nl_attrs lat_attrs = {
	.maxtype = EVS_LAT_A_MAX, .attr = lat_attr,
};

/* EVS_A_LATENCY holds one EVS_A_LAT_PRIO per priority. */
static const struct evs_nl_attr latency_attr[EVS_A_LAT_PRIO + 1] = {
	[EVS_A_LAT_PRIO] = { .type = MNL_TYPE_NESTED, .nested = &lat_attrs,
			     .multi = true },
};

static const struct evs_nl_attrs latency_attrs = {
	.maxtype = EVS_A_LAT_PRIO, .attr = latency_attr,
};

static const struct evs_nl_attr grp_attr[CTRL_ATTR_MCAST_GRP_MAX + 1] = {
	[CTRL_ATTR_MCAST_GRP_NAME]	= STR,
	[CTRL_ATTR_MCAST_GRP_ID]	= U32,
};

const struct evs_nl_attrs evs_nl_mcast_grp_attrs = {
	.maxtype = CTRL_ATTR_MCAST_GRP_MAX, .attr = grp_attr,
};

static const struct evs_nl_attr ctrl_attr[CTRL_ATTR_MAX + 1] = {
	[CTRL_ATTR_FAMILY_ID]		= U16,
	[CTRL_ATTR_FAMILY_NAME]		= STR,
	[CTRL_ATTR_VERSION]		= U32,
	[CTRL_ATTR_HDRSIZE]		= U32,
	[CTRL_ATTR_MAXATTR]		= U32,
	[CTRL_ATTR_OPS]			= NEST(&ctrl_nests_attrs),
	[CTRL_ATTR_MCAST_GROUPS]	= NEST(&mcast_grps_attrs),
	[CTRL_ATTR_POLICY]		= NEST(NULL),
	[CTRL_ATTR_OP_POLICY]		= NEST(NULL),
	[CTRL_ATTR_OP]			= U32,
};

const struct evs_nl_attrs evs_nl_ctrl_attrs = {
	.maxtype = CTRL_ATTR_MAX, .attr = ctrl_attr,
};

/* Arrays of nests, typed by index: the operations, the groups. */
static const struct evs_nl_attr ctrl_nest = NEST(NULL);

static const struct evs_nl_attrs ctrl_nests_attrs = { .each = &ctrl_nest };

static const struct evs_nl_attr mcast_grp = NEST(&evs_nl_mcast_grp_attrs);

static const struct evs_nl_attrs mcast_grps_attrs = { .each = &mcast_grp };

struct parse {
	const struct evs_nl_attrs *set;
	const struct nlattr **tb;	/* NULL: only validate */
	const char *start;
	size_t end;			/* just past the last attribute */
	uint64_t seen[(ATTRS_MAXTYPE + 1) / 64];
};

static int parse_attrs(const void *start, size_t len,
		       const struct evs_nl_attrs *set, const struct nlattr **tb);

static const struct evs_nl_attr *attr_policy(const struct evs_nl_attrs *set,
					     uint16_t type)
{
	if (set->each)
		return set->each;
	if (type > set->maxtype || set->attr[type].type == MNL_TYPE_UNSPEC)
		return NULL;
	return &set->attr[type];
}

static int validate(const struct nlattr *attr, const struct evs_nl_attr *a)
{
	if (a->len)
		return mnl_attr_validate2(attr, a->type, a->len);
	return mnl_attr_validate(attr, a->type);
}

static int parse_attr(const struct nlattr *attr, void *data)
{
	struct parse *p = data;
	uint16_t type = mnl_attr_get_type(attr);
	const struct evs_nl_attr *a = attr_policy(p->set, type);
	uint64_t bit = 1ULL << (type % 64);

	p->end = (const char *)attr - p->start + MNL_ALIGN(attr->nla_len);
	/* Newer kernels add attributes: not an error. */
	if (!a)
		return MNL_CB_OK;
	if (!a->multi && !p->set->each) {
		if (p->seen[type / 64] & bit)
			goto bad;
		p->seen[type / 64] |= bit;
	}
	if (validate(attr, a) < 0)
		goto bad;
	if (a->nested && parse_attrs(mnl_attr_get_payload(attr),
				     mnl_attr_get_payload_len(attr),
				     a->nested, NULL))
		goto bad;
	if (p->tb && !p->set->each && !p->tb[type])
		p->tb[type] = attr;
	return MNL_CB_OK;
bad:
	errno = EPROTO;
	return MNL_CB_ERROR;
}

/*
 * mnl_attr_parse_payload() rather than mnl_attr_parse(): the latter walks up
 * to the message length rounded up to 4, past a message that ends
 * unaligned.  Either stops quietly at an attribute that does not fit, so
 * the walk must have ended where the bytes do.
 */
static int parse_attrs(const void *start, size_t len,
		       const struct evs_nl_attrs *set, const struct nlattr **tb)
{
	struct parse p = { .set = set, .tb = tb, .start = start };
	size_t tb_size = (set->maxtype + 1) * sizeof(*tb);

	if (tb)
		memset(tb, 0, tb_size);
	if (mnl_attr_parse_payload(start, len, parse_attr, &p) < MNL_CB_OK ||
	    p.end < len) {
		if (tb)
			memset(tb, 0, tb_size);
		return -EPROTO;
	}
	return 0;
}

int evs_nl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
		 const struct evs_nl_attrs *set)
{
	size_t hdrlen = NLMSG_HDRLEN + GENL_HDRLEN;

	if (nlh->nlmsg_len < hdrlen) {
		memset(tb, 0, (set->maxtype + 1) * sizeof(*tb));
		return -EPROTO;
	}
	return parse_attrs(mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN),
			   nlh->nlmsg_len - hdrlen, set, tb);
}

int evs_nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			const struct evs_nl_attrs *set)
{
	/* Below the header, the payload length would wrap around. */
	if (!nest || nest->nla_len < NLA_HDRLEN) {
		memset(tb, 0, (set->maxtype + 1) * sizeof(*tb));
		return -EPROTO;
	}
	return parse_attrs(mnl_attr_get_payload(nest),
			   mnl_attr_get_payload_len(nest), set, tb);
}

/* Attributes come from a parse that checked their size against the set. */
int evs_nl_get_u8(const struct nlattr *attr, uint8_t *val)
{
	if (!attr)
		return -EPROTO;
	*val = mnl_attr_get_u8(attr);
	return 0;
}

int evs_nl_get_u16(const struct nlattr *attr, uint16_t *val)
{
	if (!attr)
		return -EPROTO;
	*val = mnl_attr_get_u16(attr);
	return 0;
}

int evs_nl_get_u32(const struct nlattr *attr, uint32_t *val)
{
	if (!attr)
		return -EPROTO;
	*val = mnl_attr_get_u32(attr);
	return 0;
}

/* mnl_attr_get_u64() copies: a u64 payload is only 4-byte aligned. */
int evs_nl_get_u64(const struct nlattr *attr, uint64_t *val)
{
	if (!attr)
		return -EPROTO;
	*val = mnl_attr_get_u64(attr);
	return 0;
}

int evs_nl_get_str(const struct nlattr *attr, const char **val)
{
	if (!attr)
		return -EPROTO;
	*val = mnl_attr_get_str(attr);
	return 0;
}

int evs_nl_parse_stats(const struct nlattr *nest, struct evs_stats *st)
{
	const struct nlattr *tb[EVS_STATS_A_MAX + 1];
	unsigned int type;
	int err;

	memset(st, 0, sizeof(*st));
	err = evs_nl_parse_nested(nest, tb, &stats_attrs);
	if (err)
		return err;
	for (type = EVS_STATS_A_FIRST_COUNTER; type <= EVS_STATS_A_MAX;
	     type++) {
		unsigned int i = type - EVS_STATS_A_FIRST_COUNTER;

		st->present[i] = !evs_nl_get_u64(tb[type], &st->counters[i]);
	}
	return 0;
}

int evs_nl_parse_gauges(const struct nlattr *nest, struct evs_gauges *g)
{
	const struct nlattr *tb[EVS_GAUGE_A_MAX + 1];
	unsigned int type;
	int err;

	memset(g, 0, sizeof(*g));
	err = evs_nl_parse_nested(nest, tb, &gauge_attrs);
	if (err)
		return err;
	for (type = EVS_GAUGE_A_FIRST; type <= EVS_GAUGE_A_MAX; type++) {
		unsigned int i = type - EVS_GAUGE_A_FIRST;

		g->present[i] = !evs_nl_get_u64(tb[type], &g->values[i]);
	}
	return 0;
}

int evs_nl_parse_lat_prio(const struct nlattr *nest, uint8_t *prio,
			  uint64_t *buckets)
{
	const struct nlattr *tb[EVS_LAT_A_MAX + 1];
	const char *p;
	size_t len, n, i;
	int err;

	err = evs_nl_parse_nested(nest, tb, &lat_attrs);
	if (err)
		return err;
	if (evs_nl_get_u8(tb[EVS_LAT_A_PRIO], prio) || !tb[EVS_LAT_A_BUCKETS])
		return -EPROTO;
	len = mnl_attr_get_payload_len(tb[EVS_LAT_A_BUCKETS]);
	if (!len || len % sizeof(uint64_t))
		return -EPROTO;

	p = mnl_attr_get_payload(tb[EVS_LAT_A_BUCKETS]);
	n = len / sizeof(uint64_t);
	memset(buckets, 0, EVS_LAT_BUCKETS * sizeof(*buckets));
	for (i = 0; i < n; i++) {
		size_t b = i < EVS_LAT_BUCKETS ? i : EVS_LAT_BUCKETS - 1;
		uint64_t v;

		/* Only 4-byte aligned inside the message. */
		memcpy(&v, p + i * sizeof(v), sizeof(v));
		buckets[b] += v;
	}
	return 0;
}

/*
 * EVS_A_LAT_PRIO repeats inside EVS_A_LATENCY, so a tb[] (first one only)
 * does not fit: take each as the walk meets it.
 */
static int lat_prio_attr(const struct nlattr *attr, void *data)
{
	struct evs_latency *lat = data;
	uint64_t buckets[EVS_LAT_BUCKETS];
	uint8_t prio;

	if (mnl_attr_get_type(attr) != EVS_A_LAT_PRIO)
		return MNL_CB_OK;
	if (evs_nl_parse_lat_prio(attr, &prio, buckets))
		return MNL_CB_ERROR;
	/* A newer module may have more priorities: not ours to show. */
	if (prio >= EVS_PRIO_NR)
		return MNL_CB_OK;
	memcpy(lat->buckets[prio], buckets, sizeof(buckets));
	lat->present[prio] = true;
	return MNL_CB_OK;
}

int evs_nl_parse_latency(const struct nlattr *nest, struct evs_latency *lat)
{
	const struct nlattr *tb[EVS_A_LAT_PRIO + 1];

	memset(lat, 0, sizeof(*lat));
	/* Checks the whole nest, so the walk below meets no surprise. */
	if (evs_nl_parse_nested(nest, tb, &latency_attrs))
		return -EPROTO;
	if (mnl_attr_parse_nested(nest, lat_prio_attr, lat) < MNL_CB_OK) {
		memset(lat, 0, sizeof(*lat));
		return -EPROTO;
	}
	return 0;
}

uint64_t evs_lat_bucket_upper_ns(unsigned int i)
{
	if (i >= EVS_LAT_BUCKETS - 1)
		return UINT64_MAX;
	return 2ULL << i;
}

int evs_lat_quantile(const uint64_t *buckets, unsigned int permille,
		     uint64_t *total)
{
	unsigned __int128 rank;
	uint64_t sum = 0, run = 0;
	unsigned int i;

	for (i = 0; i < EVS_LAT_BUCKETS; i++)
		sum += buckets[i];
	if (total)
		*total = sum;
	if (!sum)
		return -1;
	/* 128 bits: sum * 999 overflows for counts a long run can reach. */
	rank = ((unsigned __int128)sum * permille + 999) / 1000;
	if (!rank)
		rank = 1;
	for (i = 0; i < EVS_LAT_BUCKETS; i++) {
		run += buckets[i];
		if (run >= rank)
			return i;
	}
	return EVS_LAT_BUCKETS - 1;
}

struct extack {
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
};

/*
 * Types this header does not know are skipped, so that a newer kernel's
 * TLVs do not hide the ones we understand; so is one of the wrong size,
 * which leaves that piece of the report out rather than the whole of it.
 */
static int extack_attr(const struct nlattr *attr, void *data)
{
	struct extack *x = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, NLMSGERR_ATTR_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case NLMSGERR_ATTR_OFFS:
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_OK;
		break;
	case NLMSGERR_ATTR_POLICY:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return MNL_CB_OK;
		break;
	}
	x->tb[type] = attr;
	return MNL_CB_OK;
}

struct policy {
	const struct nlattr *tb[NL_POLICY_TYPE_ATTR_MAX + 1];
};

static int policy_attr(const struct nlattr *attr, void *data)
{
	struct policy *p = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, NL_POLICY_TYPE_ATTR_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case NL_POLICY_TYPE_ATTR_MIN_VALUE_S:
	case NL_POLICY_TYPE_ATTR_MAX_VALUE_S:
	case NL_POLICY_TYPE_ATTR_MIN_VALUE_U:
	case NL_POLICY_TYPE_ATTR_MAX_VALUE_U:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return MNL_CB_OK;
		p->tb[type] = attr;
		break;
	}
	return MNL_CB_OK;
}

/* A u64 payload is only 4-byte aligned in the message. */
static uint64_t get_u64(const struct nlattr *attr)
{
	uint64_t v;

	memcpy(&v, mnl_attr_get_payload(attr), sizeof(v));
	return v;
}

/*
 * The range the offending attribute had to be in.  Both bounds or none:
 * half a range would print as a wrong one.
 */
static void parse_policy(struct evs_nl *nl, const struct nlattr *nest)
{
	struct policy p = { 0 };

	/* A truncated nest ends the walk early; what came before stands. */
	if (mnl_attr_parse_nested(nest, policy_attr, &p) < MNL_CB_STOP)
		return;
	if (p.tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_U] &&
	    p.tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_U]) {
		nl->err_range = EVS_NL_RANGE_U;
		nl->err_min.u = get_u64(p.tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_U]);
		nl->err_max.u = get_u64(p.tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_U]);
	} else if (p.tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_S] &&
		   p.tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_S]) {
		nl->err_range = EVS_NL_RANGE_S;
		nl->err_min.s = (int64_t)get_u64(p.tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_S]);
		nl->err_max.s = (int64_t)get_u64(p.tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_S]);
	}
}

/*
 * The kernel's message, which need not be NUL-terminated within its
 * attribute, onto one line: it ends up on a terminal.
 */
static void copy_msg(struct evs_nl *nl, const struct nlattr *attr)
{
	const char *s = mnl_attr_get_payload(attr);
	size_t len = mnl_attr_get_payload_len(attr);
	size_t i;

	for (i = 0; i < len && i < sizeof(nl->errmsg) - 1 && s[i]; i++)
		nl->errmsg[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ?
				'?' : s[i];
	nl->errmsg[i] = '\0';
}

/*
 * The offending attribute's name, when the offset the kernel gave lands
 * exactly on an attribute that evs_nl_name() named in this request.  An
 * offset into a header, into the middle of an attribute or past the end
 * matches none and names nothing.
 */
static void find_name(struct evs_nl *nl, const struct nlmsghdr *req,
		      uint32_t off)
{
	unsigned int i;

	if (off < NLMSG_HDRLEN + GENL_HDRLEN || req->nlmsg_len < NLA_HDRLEN ||
	    off > req->nlmsg_len - NLA_HDRLEN)
		return;
	nl->err_off = off;
	if (req->nlmsg_seq != nl->names_seq)
		return;
	for (i = 0; i < nl->nr_names; i++) {
		if (nl->names[i].off == off) {
			memcpy(nl->err_name, nl->names[i].name,
			       sizeof(nl->err_name));
			return;
		}
	}
}

/*
 * Takes in the extended ACK TLVs of an NLMSG_ERROR or NLMSG_DONE message;
 * @off is where they start in its payload.
 */
static void parse_extack(struct evs_nl *nl, const struct nlmsghdr *nlh,
			 size_t off, const struct nlmsghdr *req)
{
	struct extack x = { 0 };

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    off > mnl_nlmsg_get_payload_len(nlh))
		return;
	/*
	 * Malformed TLVs end the walk; those before them still count.  Not
	 * mnl_attr_parse(): it would walk up to nlmsg_len rounded up.
	 */
	mnl_attr_parse_payload((const char *)mnl_nlmsg_get_payload(nlh) + off,
			       mnl_nlmsg_get_payload_len(nlh) - off,
			       extack_attr, &x);

	if (x.tb[NLMSGERR_ATTR_MSG])
		copy_msg(nl, x.tb[NLMSGERR_ATTR_MSG]);
	if (x.tb[NLMSGERR_ATTR_OFFS])
		find_name(nl, req, mnl_attr_get_u32(x.tb[NLMSGERR_ATTR_OFFS]));
	if (x.tb[NLMSGERR_ATTR_POLICY])
		parse_policy(nl, x.tb[NLMSGERR_ATTR_POLICY]);
	if (x.tb[NLMSGERR_ATTR_MISS_TYPE])
		nl->err_miss_type =
			mnl_attr_get_u32(x.tb[NLMSGERR_ATTR_MISS_TYPE]);
}

/* The terminal message of a request: returns its error (0 for an ACK). */
static int parse_error(struct evs_nl *nl, const struct nlmsghdr *nlh,
		       const struct nlmsghdr *req)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return -EPROTO;
	if (e->error > 0 || e->error < -4095)
		return -EPROTO;
	if (!e->error)
		return 0;
	/* Without NETLINK_CAP_ACK the request's payload is echoed back. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return e->error;
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	}
	parse_extack(nl, nlh, off, req);
	return e->error;
}

/* NLMSG_DONE carries the dump's error code, then its extended ACK. */
static int parse_done(struct evs_nl *nl, const struct nlmsghdr *nlh,
		      const struct nlmsghdr *req)
{
	int err;

	/* Old kernels may send a bare NLMSG_DONE. */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return 0;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err > 0 || err < -4095)
		return -EPROTO;
	if (err)
		parse_extack(nl, nlh, sizeof(err), req);
	return err;
}

int evs_nl_parse_end(struct evs_nl *nl, const struct nlmsghdr *nlh,
		     const struct nlmsghdr *req)
{
	errmsg_clear(nl);
	if (nlh->nlmsg_type == NLMSG_DONE)
		return parse_done(nl, nlh, req);
	if (nlh->nlmsg_type == NLMSG_ERROR)
		return parse_error(nl, nlh, req);
	return -EPROTO;
}

void evs_nl_name(struct evs_nl *nl, const struct nlmsghdr *nlh,
		 const char *name)
{
	unsigned int i = nl->nr_names;

	if (nlh->nlmsg_seq != nl->names_seq || i >= EVS_NL_NAMES)
		return;
	nl->names[i].off = nlh->nlmsg_len;
	snprintf(nl->names[i].name, sizeof(nl->names[i].name), "%s", name);
	nl->nr_names++;
}

/*
 * What lib/nlattr.c says of a value outside the policy's range: nothing
 * that "out of range (allowed MIN..MAX)" does not say better.
 */
static bool generic_range_msg(const char *msg)
{
	return !strcmp(msg, "integer out of range");
}

const char *evs_nl_strerror(const struct evs_nl *nl, int err, char *buf,
			    size_t size)
{
	const char *msg = nl->errmsg;
	bool oor = err == -ERANGE &&
		   (*msg ? generic_range_msg(msg) :
			   nl->err_range != EVS_NL_RANGE_NONE);
	const char *what = oor ? "out of range" : strerror(-err);
	size_t len;

	len = snprintf(buf, size, "%s", what);
	if (*msg && !oor && strcasecmp(msg, what) && len < size)
		len += snprintf(buf + len, size - len, ": %s", msg);
	else if (!*msg && nl->err_miss_type && len < size)
		len += snprintf(buf + len, size - len,
				" (missing attribute type %u)",
				nl->err_miss_type);
	if (len >= size)
		return buf;
	if (nl->err_range == EVS_NL_RANGE_U)
		snprintf(buf + len, size - len,
			 " (allowed %" PRIu64 "..%" PRIu64 ")",
			 nl->err_min.u, nl->err_max.u);
	else if (nl->err_range == EVS_NL_RANGE_S)
		snprintf(buf + len, size - len,
			 " (allowed %" PRId64 "..%" PRId64 ")",
			 nl->err_min.s, nl->err_max.s);
	return buf;
}

/*
 * mnl_cb_run2() gives up on a datagram at the first message flagged
 * NLM_F_DUMP_INTR, whoever's it is: the rest of an interrupted dump would
 * go unread, and a leftover of an abandoned request would cut the current
 * one short.  It also stops quietly at a message cut short.  So the
 * datagram is looked over first: the flag comes off every message (noted
 * in *@intr when one of request @seq had it) and the messages must fill
 * the datagram exactly.
 */
static int check_datagram(void *buf, size_t n, uint32_t seq, bool *intr)
{
	struct nlmsghdr *nlh = buf;
	int len = n;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (!(nlh->nlmsg_flags & NLM_F_DUMP_INTR))
			continue;
		if (intr && nlh->nlmsg_seq == seq)
			*intr = true;
		nlh->nlmsg_flags &= ~NLM_F_DUMP_INTR;
	}
	return len > 0 ? -EPROTO : 0;
}

struct talk {
	struct evs_nl *nl;
	const struct nlmsghdr *req;
	mnl_cb_t data_cb;
	void *data;
	bool calling;	/* data_cb wants more */
	bool intr;	/* the kernel flagged the dump as interrupted */
	int cb_err;	/* data_cb's error */
	int end_err;	/* the kernel's, from NLMSG_ERROR or NLMSG_DONE */
};

/* Not leftovers of an earlier, abandoned request. */
static bool talk_ours(const struct talk *t, const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_seq == t->req->nlmsg_seq &&
	       (!nlh->nlmsg_pid || nlh->nlmsg_pid == t->nl->portid);
}

/*
 * Whatever data_cb says, the reply is read on to its end so that the
 * socket stays usable; only the calls stop.
 */
static int talk_data(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int ret;

	if (!talk_ours(t, nlh) || !t->calling)
		return MNL_CB_OK;
	errno = 0;
	ret = t->data_cb(nlh, t->data);
	if (ret == MNL_CB_STOP) {
		t->calling = false;
	} else if (ret < MNL_CB_OK) {
		t->cb_err = errno ? -errno : -EPROTO;
		t->calling = false;
	}
	return MNL_CB_OK;
}

/* NLMSG_ERROR (an ACK too) or NLMSG_DONE: the end of the reply. */
static int talk_end(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;

	if (!talk_ours(t, nlh))
		return MNL_CB_OK;
	t->end_err = evs_nl_parse_end(t->nl, nlh, t->req);
	return MNL_CB_STOP;
}

static int talk_overrun(const struct nlmsghdr *nlh, void *data)
{
	if (!talk_ours(data, nlh))
		return MNL_CB_OK;
	errno = ENOBUFS;
	return MNL_CB_ERROR;
}

/* NULL entries (NOOP, reserved types) are skipped. */
static mnl_cb_t talk_ctl[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = talk_end,
	[NLMSG_DONE] = talk_end,
	[NLMSG_OVERRUN] = talk_overrun,
};

/*
 * The error a request ends with: the kernel's own, unless a callback failed
 * first, or the dump was interrupted (the kernel's state changed while it
 * ran, so the caller got an inconsistent picture and should retry).
 */
static int talk_result(const struct talk *t)
{
	if (t->cb_err)
		return t->cb_err;
	if (t->end_err)
		return t->end_err;
	return t->intr ? -EINTR : 0;
}

int evs_nl_talk(struct evs_nl *nl, struct nlmsghdr *req,
		mnl_cb_t data_cb, void *data)
{
	/* Netlink messages are 4-byte aligned; u64 payloads get memcpy'd. */
	char buf[EVS_NL_RX_SIZE] EVS_NL_ALIGNED;
	struct talk t = {
		.nl = nl, .req = req, .data_cb = data_cb, .data = data,
		.calling = data_cb,
	};
	ssize_t n;
	int ret;

	errmsg_clear(nl);
	if (!nl->sock)
		return -EBADF;
	if (!(req->nlmsg_flags & NLM_F_ACK) &&
	    (req->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		return -EINVAL;

	n = mnl_socket_sendto(nl->sock, req, req->nlmsg_len);
	if (n < 0)
		return -errno;
	if ((size_t)n != req->nlmsg_len)
		return -EMSGSIZE;

	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/*
			 * ENOSPC (truncated datagram) or ENOBUFS (overrun):
			 * the end of the reply may be lost, so stop here;
			 * the next request skips leftovers by their seq.
			 */
			return -errno;
		}
		/* A partial message in a datagram: the kernel never does it. */
		if (check_datagram(buf, n, req->nlmsg_seq, &t.intr))
			return t.cb_err ? t.cb_err : -EPROTO;
		/*
		 * Sequence and port are checked by talk_ours(), which skips
		 * leftovers where libmnl would fail on them.
		 */
		ret = mnl_cb_run2(buf, n, 0, 0, talk_data, &t, talk_ctl,
				  NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR)
			return -errno;
		if (ret == MNL_CB_STOP)
			return talk_result(&t);
	}
}

struct nlmsghdr *evs_nl_genl_req(struct evs_nl *nl, void *buf,
				 uint16_t family, uint8_t cmd, uint8_t version,
				 uint16_t nlmsg_flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | nlmsg_flags;
	nlh->nlmsg_seq = ++nl->seq;
	nl->names_seq = nlh->nlmsg_seq;
	nl->nr_names = 0;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

struct nlmsghdr *evs_nl_req(struct evs_nl *nl, void *buf, uint8_t cmd,
			    uint16_t nlmsg_flags)
{
	return evs_nl_genl_req(nl, buf, nl->family, cmd, EVS_GENL_VERSION,
			       nlmsg_flags);
}

struct family_reply {
	uint16_t id;
	uint32_t version;
	bool found;
	const char *group;	/* multicast group to look for, or NULL */
	uint32_t group_id;
	bool group_found;
};

/* One entry of CTRL_ATTR_MCAST_GROUPS: a nest typed by its index. */
static int group_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1];
	struct family_reply *r = data;
	const char *name;
	uint32_t id;

	if (evs_nl_parse_nested(attr, tb, &evs_nl_mcast_grp_attrs) ||
	    evs_nl_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME], &name) ||
	    evs_nl_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID], &id))
		return MNL_CB_ERROR;
	if (!strcmp(name, r->group)) {
		r->group_id = id;
		r->group_found = true;
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct family_reply *r = data;

	if (evs_nl_parse(nlh, tb, &evs_nl_ctrl_attrs) ||
	    evs_nl_get_u16(tb[CTRL_ATTR_FAMILY_ID], &r->id))
		goto bad;
	/* Every kernel sends it; be lenient all the same. */
	if (evs_nl_get_u32(tb[CTRL_ATTR_VERSION], &r->version))
		r->version = 0;
	/* A family without groups has no CTRL_ATTR_MCAST_GROUPS at all. */
	if (r->group && tb[CTRL_ATTR_MCAST_GROUPS] &&
	    mnl_attr_parse_nested(tb[CTRL_ATTR_MCAST_GROUPS], group_attr,
				  r) < MNL_CB_OK)
		goto bad;
	r->found = true;
	return MNL_CB_OK;
bad:
	errno = EPROTO;
	return MNL_CB_ERROR;
}

/* CTRL_CMD_GETFAMILY for @name; fills @r. */
static int get_family(struct evs_nl *nl, const char *name,
		      struct family_reply *r)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;
	int err;

	nlh = evs_nl_genl_req(nl, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	if (!mnl_attr_put_strz_check(nlh, sizeof(buf), CTRL_ATTR_FAMILY_NAME,
				     name))
		return -ENAMETOOLONG;
	err = evs_nl_talk(nl, nlh, family_cb, r);
	if (err)
		return err;
	return r->found ? 0 : -EPROTO;
}

int evs_nl_resolve_family(struct evs_nl *nl, const char *name,
			  uint16_t *id, uint32_t *version)
{
	struct family_reply r = { 0 };
	int err;

	err = get_family(nl, name, &r);
	if (err)
		return err;
	if (id)
		*id = r.id;
	if (version)
		*version = r.version;
	return 0;
}

int evs_nl_mcast_group(struct evs_nl *nl, const char *family,
		       const char *group, uint32_t *id)
{
	struct family_reply r = { .group = group };
	int err;

	err = get_family(nl, family, &r);
	if (err)
		return err;
	if (!r.group_found)
		return -ENOENT;
	*id = r.group_id;
	return 0;
}

int evs_nl_family_group(struct evs_nl *nl, const char *family,
			const char *group, uint16_t *family_id,
			uint32_t *group_id)
{
	struct family_reply r = { .group = group };
	int err;

	err = get_family(nl, family, &r);
	if (err)
		return err;
	*family_id = r.id;
	*group_id = r.group_found ? r.group_id : 0;
	return 0;
}

int evs_nl_parse_family_ntf(const struct nlmsghdr *nlh,
			    struct evs_nl_family_ntf *f)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	const struct genlmsghdr *g;

	if (nlh->nlmsg_type != GENL_ID_CTRL ||
	    mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -EPROTO;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->cmd != CTRL_CMD_NEWFAMILY && g->cmd != CTRL_CMD_DELFAMILY)
		return 0;
	/* The controller fills them as it fills a GETFAMILY reply. */
	if (evs_nl_parse(nlh, tb, &evs_nl_ctrl_attrs) ||
	    evs_nl_get_str(tb[CTRL_ATTR_FAMILY_NAME], &f->name) ||
	    evs_nl_get_u16(tb[CTRL_ATTR_FAMILY_ID], &f->id))
		return -EPROTO;
	f->cmd = g->cmd;
	return 1;
}

int evs_nl_join(struct evs_nl *nl, uint32_t group)
{
	if (!nl->sock)
		return -EBADF;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		return -errno;
	return 0;
}

struct ntf {
	uint16_t family;
	bool any;	/* every family's messages, not only @family's */
	mnl_cb_t cb;
	void *data;
	int err;
};

/* Other families' messages: what was once asked on this socket. */
static int ntf_data(const struct nlmsghdr *nlh, void *data)
{
	struct ntf *t = data;
	int ret;

	if (!t->any && (nlh->nlmsg_type != t->family || !t->family))
		return MNL_CB_OK;
	errno = 0;
	ret = t->cb(nlh, t->data);
	if (ret < MNL_CB_STOP)
		t->err = errno ? -errno : -EPROTO;
	return ret;
}

/* All NULL: acks and errors of requests are skipped. */
static mnl_cb_t ntf_ctl[NLMSG_MIN_TYPE];

/* One datagram's messages to @cb: of nl->family only, or with @any all. */
static int recv_ntf(struct evs_nl *nl, bool any, mnl_cb_t cb, void *data)
{
	char buf[EVS_NL_RX_SIZE] EVS_NL_ALIGNED;
	struct ntf t = {
		.family = nl->family, .any = any, .cb = cb, .data = data,
	};
	ssize_t n;

	if (!nl->sock)
		return -EBADF;
	n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if (check_datagram(buf, n, 0, NULL))
		return -EPROTO;
	if (mnl_cb_run2(buf, n, 0, 0, ntf_data, &t, ntf_ctl,
			NLMSG_MIN_TYPE) < MNL_CB_STOP)
		return t.err;
	return 0;
}

int evs_nl_recv_ntf(struct evs_nl *nl, mnl_cb_t cb, void *data)
{
	return recv_ntf(nl, false, cb, data);
}

int evs_nl_recv_any(struct evs_nl *nl, mnl_cb_t cb, void *data)
{
	return recv_ntf(nl, true, cb, data);
}

int evs_nl_open_family(struct evs_nl *nl, const char *family)
{
	int one = 1;
	int err;

	memset(nl, 0, sizeof(*nl));
	nl->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one,
				  sizeof(one)) < 0)
		goto fail_errno;
	/*
	 * Only saves echoing the request in every error; kernels without it
	 * still work because parse_error() honours NLM_F_CAPPED.
	 */
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail_errno;
	nl->portid = mnl_socket_get_portid(nl->sock);
	/* Distinct per run, so a trace tells runs apart. */
	nl->seq = (uint32_t)time(NULL);

	if (family) {
		err = evs_nl_resolve_family(nl, family, &nl->family,
					    &nl->version);
		if (err)
			goto fail;
	}
	return 0;

fail_errno:
	err = -errno;
fail:
	evs_nl_close(nl);
	return err;
}

int evs_nl_open(struct evs_nl *nl)
{
	return evs_nl_open_family(nl, EVS_GENL_NAME);
}

void evs_nl_close(struct evs_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
	nl->family = 0;
}
