// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of the netlink helpers against the generic netlink controller
 * ("nlctrl"), which every kernel has: family resolution, doit and dump
 * replies, kernel errors with extended ACK, callback errors, and the
 * EVS_A_STATS parser on hand-built nests.  Needs no evstream module.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/evs_nl.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int failures;

#define CHECK(cond, ...)						\
	do {								\
		bool __ok = (cond);					\
									\
		printf(__ok ? "ok - " : "not ok - ");			\
		printf(__VA_ARGS__);					\
		putchar('\n');						\
		if (!__ok) {						\
			printf("#  %s:%d: %s\n", __FILE__, __LINE__,	\
			       #cond);					\
			failures++;					\
		}							\
	} while (0)

struct dump_count {
	unsigned int nr;
	unsigned int fail_at;	/* fail the callback at this message */
	bool saw_ctrl;
	bool multi;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct dump_count *c = data;
	const char *name;

	c->nr++;
	if (nlh->nlmsg_flags & NLM_F_MULTI)
		c->multi = true;
	if (c->fail_at && c->nr == c->fail_at) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (evs_nl_parse(nlh, tb, &evs_nl_ctrl_attrs) ||
	    evs_nl_get_str(tb[CTRL_ATTR_FAMILY_NAME], &name)) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (!strcmp(name, "nlctrl"))
		c->saw_ctrl = true;
	return MNL_CB_OK;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	unsigned int *nr = data;

	(void)nlh;
	(*nr)++;
	return MNL_CB_OK;
}

/*
 * Multicast groups, on nlctrl's own "notify" (its id is the family's), and
 * evs_nl_recv_ntf() on a reply left unread: a message of the family, then
 * an ACK that it must skip.
 */
static void test_mcast(struct evs_nl *nl)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;
	unsigned int nr = 0;
	uint32_t grp = 0;
	int err;

	err = evs_nl_mcast_group(nl, "nlctrl", "notify", &grp);
	CHECK(!err && grp == GENL_ID_CTRL, "nlctrl group \"notify\" is %u: %d",
	      grp, err);
	err = evs_nl_mcast_group(nl, "nlctrl", "evs-nosuchgroup", &grp);
	CHECK(err == -ENOENT, "unknown group: %d", err);
	err = evs_nl_mcast_group(nl, "evs-nosuchfam", "notify", &grp);
	CHECK(err == -ENOENT, "group of an unknown family: %d", err);
	err = evs_nl_join(nl, GENL_ID_CTRL);
	CHECK(!err, "join \"notify\": %s", strerror(-err));
	err = evs_nl_join(nl, 0);
	CHECK(err == -EINVAL, "join group 0 refused: %s", strerror(-err));

	nlh = evs_nl_genl_req(nl, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	CHECK(mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) ==
	      (ssize_t)nlh->nlmsg_len, "request sent");
	err = evs_nl_recv_ntf(nl, count_cb, &nr);
	CHECK(!err && nr == 1, "recv_ntf: the reply: %d, %u", err, nr);
	err = evs_nl_recv_ntf(nl, count_cb, &nr);
	CHECK(!err && nr == 1, "recv_ntf: the ACK skipped: %d, %u", err, nr);
}

/* evs_nl_family_group(): the family's id and the group's, or why not. */
static void test_family_group(struct evs_nl *nl)
{
	uint16_t fam = 1;
	uint32_t grp = 1;
	int err;

	err = evs_nl_family_group(nl, "nlctrl", "notify", &fam, &grp);
	CHECK(!err && fam == GENL_ID_CTRL && grp == GENL_ID_CTRL,
	      "family_group nlctrl/notify: %d, family %u group %u", err, fam,
	      grp);
	err = evs_nl_family_group(nl, "nlctrl", "evs-nosuchgroup", &fam,
				  &grp);
	CHECK(!err && fam == GENL_ID_CTRL && grp == 0,
	      "family_group: no such group is group 0: %d, %u %u", err, fam,
	      grp);
	err = evs_nl_family_group(nl, "evs-nosuchfam", "notify", &fam, &grp);
	CHECK(err == -ENOENT, "family_group: no such family: %d", err);
}

static void test_ctrl(void)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct dump_count c = { 0 };
	struct nlmsghdr *nlh;
	struct evs_nl nl;
	uint16_t id;
	int err;

	err = evs_nl_open_family(&nl, "nlctrl");
	if (err == -EAFNOSUPPORT || err == -EPROTONOSUPPORT ||
	    err == -EPERM || err == -EACCES) {
		printf("ok - # SKIP no generic netlink here: %s\n",
		       strerror(-err));
		return;
	}
	CHECK(!err, "open nlctrl: %s", strerror(-err));
	if (err)
		return;
	CHECK(nl.family == GENL_ID_CTRL && nl.version >= 1,
	      "nlctrl is family %u version %u", nl.family, nl.version);
	CHECK(nl.portid != 0, "bound to port %u", nl.portid);
	test_family_group(&nl);

	err = evs_nl_resolve_family(&nl, "evs-nosuchfam", &id, NULL);
	CHECK(err == -ENOENT, "unknown family: %s (%s)", strerror(-err),
	      nl.errmsg);

	/* Dump: many families, NLM_F_MULTI, ends with NLMSG_DONE. */
	nlh = evs_nl_genl_req(&nl, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
			      NLM_F_DUMP);
	err = evs_nl_talk(&nl, nlh, dump_cb, &c);
	CHECK(!err && c.nr > 1 && c.multi && c.saw_ctrl,
	      "dump: %d, %u families", err, c.nr);

	/* The callback fails half way: its error, and the socket stays sane. */
	memset(&c, 0, sizeof(c));
	c.fail_at = 1;
	nlh = evs_nl_genl_req(&nl, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
			      NLM_F_DUMP);
	err = evs_nl_talk(&nl, nlh, dump_cb, &c);
	CHECK(err == -EBADMSG && c.nr == 1, "callback error: %s, %u calls",
	      strerror(-err), c.nr);
	err = evs_nl_resolve_family(&nl, "nlctrl", &id, NULL);
	CHECK(!err && id == GENL_ID_CTRL, "usable after callback error: %d",
	      err);

	/* A u16 attribute one byte long: policy error with extended ACK. */
	nlh = evs_nl_genl_req(&nl, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_u8(nlh, CTRL_ATTR_FAMILY_ID, 1);
	err = evs_nl_talk(&nl, nlh, NULL, NULL);
	CHECK(err == -EINVAL || err == -ERANGE, "bad attribute: %s",
	      strerror(-err));
	CHECK(nl.err_off == NLMSG_HDRLEN + GENL_HDRLEN,
	      "offending attribute at offset %u", nl.err_off);
	CHECK(nl.errmsg[0], "extack message: \"%s\"", nl.errmsg);
	/* 5.10 and later add the policy: a u16's whole range. */
	CHECK(nl.err_range == EVS_NL_RANGE_NONE ||
	      (nl.err_range == EVS_NL_RANGE_U && nl.err_min.u == 0 &&
	       nl.err_max.u == 65535), "policy range %d: %" PRIu64 "..%" PRIu64,
	      nl.err_range, nl.err_min.u, nl.err_max.u);

	/* Without NETLINK_CAP_ACK the request is echoed before the TLVs. */
	{
		int zero = 0;

		err = mnl_socket_setsockopt(nl.sock, NETLINK_CAP_ACK, &zero,
					    sizeof(zero));
		CHECK(!err, "NETLINK_CAP_ACK off");
		nlh = evs_nl_genl_req(&nl, buf, GENL_ID_CTRL,
				      CTRL_CMD_GETFAMILY, 1, 0);
		mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "x");
		mnl_attr_put_u8(nlh, CTRL_ATTR_FAMILY_ID, 1);
		err = evs_nl_talk(&nl, nlh, NULL, NULL);
		CHECK((err == -EINVAL || err == -ERANGE) &&
		      nl.err_off == NLMSG_HDRLEN + GENL_HDRLEN + 8,
		      "uncapped error: %s: %s at %u", strerror(-err),
		      nl.errmsg, nl.err_off);
	}

	/* Success clears the message of the previous failure. */
	err = evs_nl_resolve_family(&nl, "nlctrl", NULL, NULL);
	CHECK(!err && !nl.errmsg[0] && !nl.err_off, "errmsg cleared");

	/* Neither ACK nor dump: the end of the reply could not be known. */
	nlh = evs_nl_genl_req(&nl, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	nlh->nlmsg_flags &= ~NLM_F_ACK;
	err = evs_nl_talk(&nl, nlh, NULL, NULL);
	CHECK(err == -EINVAL, "request without ACK refused: %d", err);

	test_mcast(&nl);

	evs_nl_close(&nl);
	evs_nl_close(&nl);
	CHECK(!nl.sock, "close is idempotent");

	/* evstream itself: present in the VM, absent on a build host. */
	err = evs_nl_open(&nl);
	CHECK(!err || err == -ENOENT, "open evstream: %s",
	      err ? strerror(-err) : "found");
	CHECK(err || nl.version >= 1, "evstream family version %u",
	      nl.version);
	evs_nl_close(&nl);
}

/* Like the kernel's nla_put_u64_64bit(): PAD so the u64 is 8-aligned. */
static void put_u64_64bit(struct nlmsghdr *nlh, uint16_t type, uint64_t v,
			  uint16_t pad)
{
	if ((uintptr_t)mnl_nlmsg_get_payload_tail(nlh) % 8 == 0)
		mnl_attr_put(nlh, pad, 0, NULL);
	mnl_attr_put_u64(nlh, type, v);
}

static void test_stats_parse(void)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct evs_nl nl = { 0 };
	struct nlmsghdr *nlh;
	struct evs_stats st;
	struct nlattr *nest;
	unsigned int i;
	bool ok;
	int err;

	nlh = evs_nl_genl_req(&nl, buf, 42, EVS_CMD_GET_STATS, 1, 0);
	mnl_attr_put_strz(nlh, EVS_A_VERSION, "0.1.0");
	nest = mnl_attr_nest_start(nlh, EVS_A_STATS);
	for (i = EVS_STATS_A_FIRST_COUNTER; i <= EVS_STATS_A_MAX; i++) {
		if (i == EVS_STATS_A_BYTES)
			continue;	/* an older module */
		put_u64_64bit(nlh, i, 1000ULL * i + (1ULL << 40),
			      EVS_STATS_A_PAD);
	}
	/* A counter from a newer module, then a bare pad. */
	put_u64_64bit(nlh, EVS_STATS_A_MAX + 1, 7, EVS_STATS_A_PAD);
	mnl_attr_put(nlh, EVS_STATS_A_PAD, 0, NULL);
	mnl_attr_nest_end(nlh, nest);

	err = evs_nl_parse(nlh, tb, &evs_nl_evs_attrs);
	CHECK(!err && tb[EVS_A_VERSION] && tb[EVS_A_STATS],
	      "parse message: %d", err);
	err = evs_nl_parse_stats(tb[EVS_A_STATS], &st);
	ok = !err;
	for (i = 0; i < EVS_NR_COUNTERS; i++) {
		unsigned int type = EVS_STATS_A_FIRST_COUNTER + i;

		if (type == EVS_STATS_A_BYTES)
			ok &= !st.present[i] && !st.counters[i];
		else
			ok &= st.present[i] &&
			      st.counters[i] == 1000ULL * type + (1ULL << 40);
	}
	CHECK(ok, "parse stats nest: %d", err);

	/* A counter that is not a u64. */
	nlh = evs_nl_genl_req(&nl, buf, 42, EVS_CMD_GET_STATS, 1, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_STATS);
	mnl_attr_put_u32(nlh, EVS_STATS_A_FRAMES, 1);
	mnl_attr_nest_end(nlh, nest);
	err = evs_nl_parse(nlh, tb, &evs_nl_evs_attrs);
	CHECK(err == -EPROTO && !tb[EVS_A_STATS], "u32 counter refused: %d",
	      err);
	CHECK(evs_nl_parse_stats(nest, &st) == -EPROTO && !st.present[0],
	      "u32 counter refused by the stats parser too");

	/* An attribute running past the end of the message. */
	nlh = evs_nl_genl_req(&nl, buf, 42, EVS_CMD_GET_STATS, 1, 0);
	mnl_attr_put_strz(nlh, EVS_A_VERSION, "0.1.0");
	nlh->nlmsg_len -= 4;
	CHECK(evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) == -EPROTO,
	      "truncated attribute refused");
}

static void test_latency_parse(void)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	const struct nlattr *tb[EVS_A_MAX + 1];
	uint64_t b[EVS_LAT_BUCKETS + 2] = { 0 };
	struct evs_nl nl = { 0 };
	struct evs_latency lat;
	struct evs_gauges g;
	struct nlmsghdr *nlh;
	struct nlattr *nest, *p;
	uint64_t total;
	int err;

	nlh = evs_nl_genl_req(&nl, buf, 42, EVS_CMD_GET_STATS, 1, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_GAUGES);
	put_u64_64bit(nlh, EVS_GAUGE_A_CONNS, 5, EVS_GAUGE_A_PAD);
	put_u64_64bit(nlh, EVS_GAUGE_A_MAX + 1, 6, EVS_GAUGE_A_PAD);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, EVS_A_LATENCY);
	/* tx: 2 events below 2 ns, 1 in [2^3, 2^4); a newer module's
	 * extra buckets fold into the last one.
	 */
	b[0] = 2;
	b[3] = 1;
	b[EVS_LAT_BUCKETS] = 4;
	b[EVS_LAT_BUCKETS + 1] = 5;
	p = mnl_attr_nest_start(nlh, EVS_A_LAT_PRIO);
	mnl_attr_put_u8(nlh, EVS_LAT_A_PRIO, EVS_PRIO_TX);
	mnl_attr_put(nlh, EVS_LAT_A_BUCKETS, sizeof(b), b);
	mnl_attr_nest_end(nlh, p);
	/* A priority this header does not know: ignored. */
	p = mnl_attr_nest_start(nlh, EVS_A_LAT_PRIO);
	mnl_attr_put_u8(nlh, EVS_LAT_A_PRIO, EVS_PRIO_NR);
	mnl_attr_put(nlh, EVS_LAT_A_BUCKETS, 8, b);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, nest);

	err = evs_nl_parse(nlh, tb, &evs_nl_evs_attrs);
	CHECK(!err && !evs_nl_parse_gauges(tb[EVS_A_GAUGES], &g) &&
	      g.present[EVS_GAUGE_A_CONNS - EVS_GAUGE_A_FIRST] &&
	      g.values[EVS_GAUGE_A_CONNS - EVS_GAUGE_A_FIRST] == 5 &&
	      !g.present[0], "parse gauges");
	err = evs_nl_parse_latency(tb[EVS_A_LATENCY], &lat);
	CHECK(!err && lat.present[EVS_PRIO_TX] && !lat.present[EVS_PRIO_RT] &&
	      !lat.present[EVS_PRIO_BATCH] &&
	      lat.buckets[EVS_PRIO_TX][0] == 2 &&
	      lat.buckets[EVS_PRIO_TX][3] == 1 &&
	      lat.buckets[EVS_PRIO_TX][EVS_LAT_BUCKETS - 1] == 9,
	      "parse latency: %d", err);

	CHECK(evs_lat_quantile(lat.buckets[EVS_PRIO_TX], 500, &total) ==
	      EVS_LAT_BUCKETS - 1 && total == 12,
	      "median of 12 events in the last bucket");
	CHECK(evs_lat_quantile(lat.buckets[EVS_PRIO_TX], 166, NULL) == 0,
	      "p16.6: rank 2 is the last in bucket 0");
	CHECK(evs_lat_quantile(lat.buckets[EVS_PRIO_TX], 1, NULL) == 0,
	      "lowest quantile in bucket 0");
	CHECK(evs_lat_quantile(lat.buckets[EVS_PRIO_TX], 250, NULL) == 3,
	      "p25: rank 3 is the first in bucket 3");
	CHECK(evs_lat_quantile(lat.buckets[EVS_PRIO_TX], 999, NULL) ==
	      EVS_LAT_BUCKETS - 1, "p99.9 in the last bucket");
	CHECK(evs_lat_quantile(lat.buckets[EVS_PRIO_RT], 500, &total) == -1 &&
	      total == 0, "empty histogram");
	CHECK(evs_lat_bucket_upper_ns(0) == 2 &&
	      evs_lat_bucket_upper_ns(10) == 2048 &&
	      evs_lat_bucket_upper_ns(EVS_LAT_BUCKETS - 2) == 1ULL << 39 &&
	      evs_lat_bucket_upper_ns(EVS_LAT_BUCKETS - 1) == UINT64_MAX,
	      "bucket upper bounds");
	b[0] = UINT64_MAX / 2;
	b[1] = UINT64_MAX / 2;
	CHECK(evs_lat_quantile(b, 999, NULL) == 1,
	      "no overflow with huge counts");

	/* Buckets not a multiple of 8 bytes, or no priority. */
	nlh = evs_nl_genl_req(&nl, buf, 42, EVS_CMD_GET_STATS, 1, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_LATENCY);
	p = mnl_attr_nest_start(nlh, EVS_A_LAT_PRIO);
	mnl_attr_put_u8(nlh, EVS_LAT_A_PRIO, EVS_PRIO_RT);
	mnl_attr_put(nlh, EVS_LAT_A_BUCKETS, 12, b);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, nest);
	err = evs_nl_parse(nlh, tb, &evs_nl_evs_attrs);
	CHECK(!err && evs_nl_parse_latency(tb[EVS_A_LATENCY], &lat) == -EPROTO,
	      "odd bucket array refused");
	nlh = evs_nl_genl_req(&nl, buf, 42, EVS_CMD_GET_STATS, 1, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_LATENCY);
	p = mnl_attr_nest_start(nlh, EVS_A_LAT_PRIO);
	mnl_attr_put(nlh, EVS_LAT_A_BUCKETS, 8, b);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, nest);
	err = evs_nl_parse(nlh, tb, &evs_nl_evs_attrs);
	CHECK(!err && evs_nl_parse_latency(tb[EVS_A_LATENCY], &lat) == -EPROTO,
	      "histogram without priority refused");

	/* A priority of the wrong size: refused by the message's parse. */
	nlh = evs_nl_genl_req(&nl, buf, 42, EVS_CMD_GET_STATS, 1, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_LATENCY);
	p = mnl_attr_nest_start(nlh, EVS_A_LAT_PRIO);
	mnl_attr_put_u16(nlh, EVS_LAT_A_PRIO, EVS_PRIO_RT);
	mnl_attr_put(nlh, EVS_LAT_A_BUCKETS, 8, b);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, nest);
	err = evs_nl_parse(nlh, tb, &evs_nl_evs_attrs);
	CHECK(err == -EPROTO, "u16 priority in a histogram refused: %d", err);
}

/*
 * A message of @len bytes in a buffer of exactly that size, so that ASan
 * catches a read past its end.
 */
static struct nlmsghdr *exact_copy(const struct nlmsghdr *nlh, size_t len)
{
	struct nlmsghdr *c = malloc(len);

	if (!c)
		abort();
	memcpy(c, nlh, len);
	c->nlmsg_len = len;
	return c;
}

/* An NLMSG_ERROR for @req as the kernel sends it, TLVs to come. */
static struct nlmsghdr *err_start(void *buf, const struct nlmsghdr *req,
				  int error, bool tlvs)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | (tlvs ? NLM_F_ACK_TLVS : 0);
	nlh->nlmsg_seq = req->nlmsg_seq;
	e->error = error;
	e->msg = *req;
	return nlh;
}

static struct nlattr *put_policy(struct nlmsghdr *nlh, uint16_t min_type,
				 uint64_t min, uint16_t max_type, uint64_t max)
{
	struct nlattr *pol = mnl_attr_nest_start(nlh, NLMSGERR_ATTR_POLICY);

	mnl_attr_put_u32(nlh, NL_POLICY_TYPE_ATTR_TYPE, NL_ATTR_TYPE_U8);
	mnl_attr_put_u64(nlh, min_type, min);
	mnl_attr_put_u64(nlh, max_type, max);
	mnl_attr_nest_end(nlh, pol);
	return pol;
}

/*
 * Parses @nlh, cut to @len bytes, as the end of @req; checks the line
 * evs_nl_strerror() makes of it and the name of the attribute at fault.
 */
static void check_end(struct evs_nl *nl, const struct nlmsghdr *req,
		      const struct nlmsghdr *nlh, size_t len, int want_err,
		      const char *want_name, const char *want_line,
		      const char *what)
{
	struct nlmsghdr *c = exact_copy(nlh, len);
	char line[512];
	int err;

	err = evs_nl_parse_end(nl, c, req);
	evs_nl_strerror(nl, err, line, sizeof(line));
	CHECK(err == want_err && !strcmp(nl->err_name, want_name) &&
	      !strcmp(line, want_line) && !strchr(line, '\n'),
	      "%s: %d, \"%s\", \"%s\"", what, err, nl->err_name, line);
	free(c);
}

/*
 * The extended ACK of a refused CONFIG_SET, from what 6.1 and 6.12 send
 * down to nothing, and hostile ones: none may crash (ASan) and each gives
 * one sensible line.
 */
static void test_extack(void)
{
	char rbuf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	const uint32_t at = NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN;
	struct evs_nl nl = { 0 };
	struct nlmsghdr *req, *nlh;
	struct nlattr *nest, *a;
	char line[16], big[300], want[512];
	int *done_err;

	req = evs_nl_genl_req(&nl, rbuf, 42, EVS_CMD_CONFIG_SET, 1, 0);
	nest = mnl_attr_nest_start(req, EVS_A_CONFIG);
	evs_nl_name(&nl, req, "pressure 101");
	mnl_attr_put_u8(req, EVS_CFG_A_PRESSURE, 101);
	evs_nl_name(&nl, req, "batch 0");
	mnl_attr_put_u32(req, EVS_CFG_A_BATCH, 0);
	mnl_attr_nest_end(req, nest);

	/* What the kernel sends: message, offset, policy. */
	nlh = err_start(buf, req, -ERANGE, true);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "integer out of range");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, at);
	put_policy(nlh, NL_POLICY_TYPE_ATTR_MIN_VALUE_U, 1,
		   NL_POLICY_TYPE_ATTR_MAX_VALUE_U, 100);
	check_end(&nl, req, nlh, nlh->nlmsg_len, -ERANGE, "pressure 101",
		  "out of range (allowed 1..100)", "full extack");
	CHECK(nl.err_off == at && !strcmp(nl.errmsg, "integer out of range"),
	      "offset %u, message \"%s\"", nl.err_off, nl.errmsg);

	/* The second attribute, a signed range. */
	nlh = err_start(buf, req, -ERANGE, true);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, at + 8);
	put_policy(nlh, NL_POLICY_TYPE_ATTR_MIN_VALUE_S, (uint64_t)-5,
		   NL_POLICY_TYPE_ATTR_MAX_VALUE_S, (uint64_t)INT64_MAX);
	check_end(&nl, req, nlh, nlh->nlmsg_len, -ERANGE, "batch 0",
		  "out of range (allowed -5..9223372036854775807)",
		  "signed range, no message");

	nlh = err_start(buf, req, -ERANGE, true);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "integer out of range");
	check_end(&nl, req, nlh, nlh->nlmsg_len, -ERANGE, "", "out of range",
		  "message only");

	nlh = err_start(buf, req, -ERANGE, false);
	check_end(&nl, req, nlh, nlh->nlmsg_len, -ERANGE, "",
		  "Numerical result out of range", "errno only");

	nlh = err_start(buf, req, -EINVAL, true);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "Invalid argument");
	check_end(&nl, req, nlh, nlh->nlmsg_len, -EINVAL, "",
		  "Invalid argument", "a message that repeats the errno");

	nlh = err_start(buf, req, -EINVAL, true);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, 7);
	check_end(&nl, req, nlh, nlh->nlmsg_len, -EINVAL, "",
		  "Invalid argument (missing attribute type 7)",
		  "missing attribute");

	/* Offsets that do not land on a named attribute. */
	{
		static const struct {
			uint32_t off, err_off;
			const char *what;
		} offs[] = {
			{ 0, 0, "offset 0" },
			{ 8, 0, "offset into the nlmsghdr" },
			{ NLMSG_HDRLEN + 2, 0, "offset into the genlmsghdr" },
			{ NLMSG_HDRLEN + GENL_HDRLEN, NLMSG_HDRLEN + GENL_HDRLEN,
			  "offset of an unnamed attribute" },
			{ at + 2, at + 2, "offset into an attribute" },
			{ 36, 36, "offset into the last attribute" },
			{ 38, 0, "offset of the last 2 bytes" },
			{ 40, 0, "offset of the end of the request" },
			{ 4096, 0, "offset past the request" },
			{ UINT32_MAX, 0, "offset UINT32_MAX" },
		};
		unsigned int i;

		CHECK(req->nlmsg_len == 40, "request of 40 bytes: %u",
		      req->nlmsg_len);
		for (i = 0; i < ARRAY_SIZE(offs); i++) {
			nlh = err_start(buf, req, -ERANGE, true);
			mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, offs[i].off);
			put_policy(nlh, NL_POLICY_TYPE_ATTR_MIN_VALUE_U, 1,
				   NL_POLICY_TYPE_ATTR_MAX_VALUE_U, 100);
			check_end(&nl, req, nlh, nlh->nlmsg_len, -ERANGE, "",
				  "out of range (allowed 1..100)",
				  offs[i].what);
			CHECK(nl.err_off == offs[i].err_off, "%s: err_off %u",
			      offs[i].what, nl.err_off);
		}
	}

	/* An offset of the wrong size is no offset. */
	nlh = err_start(buf, req, -ERANGE, true);
	mnl_attr_put_u16(nlh, NLMSGERR_ATTR_OFFS, (uint16_t)at);
	check_end(&nl, req, nlh, nlh->nlmsg_len, -ERANGE, "",
		  "Numerical result out of range", "u16 offset");

	/* The policy's last attribute cut short inside the nest. */
	nlh = err_start(buf, req, -ERANGE, true);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, at);
	nest = put_policy(nlh, NL_POLICY_TYPE_ATTR_MIN_VALUE_U, 1,
			  NL_POLICY_TYPE_ATTR_MAX_VALUE_U, 100);
	nest->nla_len -= 6;
	check_end(&nl, req, nlh, nlh->nlmsg_len - 6, -ERANGE, "pressure 101",
		  "Numerical result out of range", "policy cut in the nest");

	/* The policy nest itself running past the message. */
	nlh = err_start(buf, req, -ERANGE, true);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "integer out of range");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, at);
	put_policy(nlh, NL_POLICY_TYPE_ATTR_MIN_VALUE_U, 1,
		   NL_POLICY_TYPE_ATTR_MAX_VALUE_U, 100);
	check_end(&nl, req, nlh, nlh->nlmsg_len - 4, -ERANGE, "pressure 101",
		  "out of range", "policy past the message");

	/* Unknown attributes in the policy, and bounds of the wrong size. */
	nlh = err_start(buf, req, -ERANGE, true);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, at);
	nest = mnl_attr_nest_start(nlh, NLMSGERR_ATTR_POLICY);
	mnl_attr_put_u64(nlh, NL_POLICY_TYPE_ATTR_MAX + 1, 7);
	mnl_attr_put_u32(nlh, 0xffff, 7);
	mnl_attr_put(nlh, 0, 0, NULL);
	mnl_attr_put_u64(nlh, NL_POLICY_TYPE_ATTR_MIN_VALUE_U, 1);
	mnl_attr_put_u64(nlh, NL_POLICY_TYPE_ATTR_MAX_VALUE_U, 100);
	mnl_attr_nest_end(nlh, nest);
	check_end(&nl, req, nlh, nlh->nlmsg_len, -ERANGE, "pressure 101",
		  "out of range (allowed 1..100)", "unknown policy attributes");
	nlh = err_start(buf, req, -ERANGE, true);
	nest = mnl_attr_nest_start(nlh, NLMSGERR_ATTR_POLICY);
	mnl_attr_put_u32(nlh, NL_POLICY_TYPE_ATTR_MIN_VALUE_U, 1);
	mnl_attr_put_u64(nlh, NL_POLICY_TYPE_ATTR_MAX_VALUE_U, 100);
	mnl_attr_nest_end(nlh, nest);
	check_end(&nl, req, nlh, nlh->nlmsg_len, -ERANGE, "",
		  "Numerical result out of range", "a u32 bound: no range");
	nlh = err_start(buf, req, -ERANGE, true);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_POLICY, 1);
	check_end(&nl, req, nlh, nlh->nlmsg_len, -ERANGE, "",
		  "Numerical result out of range", "a policy that is no nest");

	/* A message without its NUL, ending the datagram, unaligned. */
	nlh = err_start(buf, req, -ERANGE, true);
	mnl_attr_put(nlh, NLMSGERR_ATTR_MSG, 3, "abc");
	check_end(&nl, req, nlh, nlh->nlmsg_len - 1, -ERANGE, "",
		  "Numerical result out of range: abc", "unterminated message");
	/* A message whose last byte lies past the unaligned end. */
	nlh = err_start(buf, req, -ERANGE, true);
	mnl_attr_put(nlh, NLMSGERR_ATTR_MSG, 4, "abcd");
	check_end(&nl, req, nlh, nlh->nlmsg_len - 1, -ERANGE, "",
		  "Numerical result out of range", "message past the end");
	nlh = err_start(buf, req, -EINVAL, true);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "a\x1b[2Jb\nc\td");
	check_end(&nl, req, nlh, nlh->nlmsg_len, -EINVAL, "",
		  "Invalid argument: a?[2Jb?c?d", "control characters");
	memset(big, 'x', sizeof(big));
	nlh = err_start(buf, req, -EINVAL, true);
	mnl_attr_put(nlh, NLMSGERR_ATTR_MSG, sizeof(big), big);
	/* errmsg keeps 255 of the 300. */
	snprintf(want, sizeof(want), "Invalid argument: %.255s", big);
	check_end(&nl, req, nlh, nlh->nlmsg_len, -EINVAL, "", want,
		  "a message longer than errmsg");

	/* An echoed request claiming to be longer than the message. */
	nlh = err_start(buf, req, -ERANGE, true);
	nlh->nlmsg_flags &= ~NLM_F_CAPPED;
	((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->msg.nlmsg_len = 4000;
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, at);
	check_end(&nl, req, nlh, nlh->nlmsg_len, -ERANGE, "",
		  "Numerical result out of range", "echo longer than the message");

	/* A dump's error. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI | NLM_F_ACK_TLVS;
	done_err = mnl_nlmsg_put_extra_header(nlh, sizeof(*done_err));
	*done_err = -ERANGE;
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, at);
	put_policy(nlh, NL_POLICY_TYPE_ATTR_MIN_VALUE_U, 1,
		   NL_POLICY_TYPE_ATTR_MAX_VALUE_U, 100);
	check_end(&nl, req, nlh, nlh->nlmsg_len, -ERANGE, "pressure 101",
		  "out of range (allowed 1..100)", "NLMSG_DONE");

	/* Names belong to their request only. */
	a = (struct nlattr *)((char *)req + at);
	CHECK(mnl_attr_get_type(a) == EVS_CFG_A_PRESSURE, "pressure at %u", at);
	nlh = err_start(buf, req, -ERANGE, true);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, at);
	evs_nl_genl_req(&nl, buf + 4096, 42, EVS_CMD_CONFIG_SET, 1, 0);
	check_end(&nl, req, nlh, nlh->nlmsg_len, -ERANGE, "",
		  "Numerical result out of range", "names of another request");

	/* A buffer too small for the line: cut, terminated. */
	nl.err_range = EVS_NL_RANGE_U;
	evs_nl_strerror(&nl, -ERANGE, line, sizeof(line));
	CHECK(strlen(line) == sizeof(line) - 1, "cut line: \"%s\"", line);
}

/*
 * Parses @nlh cut to @len bytes, in a buffer of exactly that size, as
 * message of @set; a failure must leave tb all NULL.
 */
static int parse_exact(const struct nlmsghdr *nlh, size_t len,
		       const struct nlattr **tb, unsigned int maxtype,
		       const struct evs_nl_attrs *set)
{
	struct nlmsghdr *c = exact_copy(nlh, len);
	unsigned int i;
	int err;

	for (i = 0; i <= maxtype; i++)
		tb[i] = (const void *)c;
	err = evs_nl_parse(c, tb, set);
	for (i = 0; err && i <= maxtype; i++)
		if (tb[i])
			err = -EFAULT;
	free(c);
	return err;
}

/* @nlh's attributes from byte @off of its payload on, as a struct nlattr. */
static struct nlattr *attr_at(struct nlmsghdr *nlh, size_t off)
{
	return (struct nlattr *)((char *)mnl_nlmsg_get_payload(nlh) +
				 GENL_HDRLEN + off);
}

/*
 * Every attribute the UAPI header names is in its set's table: one left
 * out would be skipped as a newer kernel's, and its value silently lost
 * (as LISTEN_FREEBIND once was).  A known type given three bytes is
 * either taken (strings, binary of any length) or refused; only an
 * unknown one is skipped without a word.
 */
static void known_types(const char *name, const struct evs_nl_attrs *set,
			unsigned int first, unsigned int maxtype,
			unsigned int skip)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct evs_nl nl = { 0 };
	unsigned int type, lost = 0;

	for (type = first; type <= maxtype; type++) {
		struct nlmsghdr *nlh;

		if (type == skip)
			continue;
		nlh = evs_nl_genl_req(&nl, buf, 0x20, EVS_CMD_GET_STATS,
				      EVS_GENL_VERSION, 0);
		mnl_attr_put(nlh, (uint16_t)type, 3, "ab");
		if (!parse_exact(nlh, nlh->nlmsg_len, tb, maxtype, set) &&
		    !tb[type]) {
			printf("#  %s: type %u is not in the table\n", name,
			       type);
			lost++;
		}
	}
	CHECK(!lost, "every %s attribute of the UAPI header is known", name);
}

/*
 * Replies a broken or hostile kernel could send: each one is refused
 * whole with -EPROTO (ASan watches for reads past the end), but for
 * attributes this header does not know, which are skipped.
 */
static void test_hostile(void)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	const struct nlattr *tb[EVS_A_MAX + 1];
	const struct nlattr *ctb[CTRL_ATTR_MAX + 1];
	struct evs_nl nl = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *nest, *a;
	uint16_t topic;
	uint64_t v64;
	int err;

#define NEW() evs_nl_genl_req(&nl, buf, 42, EVS_CMD_CONN_GET, 1, 0)
#define PARSE(nlh, len) parse_exact(nlh, len, tb, EVS_A_MAX, &evs_nl_evs_attrs)

	nlh = NEW();
	CHECK(PARSE(nlh, nlh->nlmsg_len) == 0 && !tb[EVS_A_TOPIC],
	      "no attributes at all");
	CHECK(PARSE(nlh, NLMSG_HDRLEN + 2) == -EPROTO,
	      "message shorter than its genetlink header");

	/* nla_len past the end of the message. */
	nlh = NEW();
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 7);
	mnl_attr_put_u64(nlh, EVS_A_CONN_ID, 1);
	attr_at(nlh, 8)->nla_len = 64;
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO, "nla_len past the end");
	/* The same, the message itself cut inside the attribute. */
	nlh = NEW();
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 7);
	mnl_attr_put_u64(nlh, EVS_A_CONN_ID, 1);
	CHECK(PARSE(nlh, nlh->nlmsg_len - 4) == -EPROTO,
	      "message cut inside its last attribute");

	/* nla_len below the header, 0 and 3. */
	nlh = NEW();
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 7);
	mnl_attr_put_u16(nlh, EVS_A_PORT, 7);
	attr_at(nlh, 8)->nla_len = 0;
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO, "nla_len 0");
	attr_at(nlh, 8)->nla_len = 3;
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO, "nla_len 3");

	/* Scalars of the wrong size, either way. */
	nlh = NEW();
	mnl_attr_put_u32(nlh, EVS_A_CONN_ID, 1);
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO,
	      "u64 attribute of 4 bytes");
	nlh = NEW();
	mnl_attr_put_u32(nlh, EVS_A_TOPIC, 7);
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO,
	      "u16 attribute of 4 bytes");
	nlh = NEW();
	mnl_attr_put(nlh, EVS_A_PRIO, 0, NULL);
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO,
	      "u8 attribute of 0 bytes");
	nlh = NEW();
	mnl_attr_put(nlh, EVS_A_ADDR_IN, 5, "\x7f\0\0\1\1");
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO,
	      "IPv4 address of 5 bytes");
	nlh = NEW();
	mnl_attr_put(nlh, EVS_A_ADDR_IN6, 4, "\x7f\0\0\1");
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO,
	      "IPv6 address of 4 bytes");

	/* Strings: without their NUL, empty, and one ending the message. */
	nlh = NEW();
	mnl_attr_put(nlh, EVS_A_VERSION, 4, "0.1.");
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO,
	      "string without its NUL");
	nlh = NEW();
	mnl_attr_put(nlh, EVS_A_ERROR_MSG, 0, NULL);
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO, "empty string");
	nlh = NEW();
	mnl_attr_put(nlh, EVS_A_ERROR_MSG, 3, "ab");
	err = PARSE(nlh, nlh->nlmsg_len - 1);
	CHECK(!err && tb[EVS_A_ERROR_MSG],
	      "string ending the message unpadded: %d", err);

	/* Nests whose content is garbage. */
	nlh = NEW();
	nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
	mnl_attr_put(nlh, 0, 2, "xx");
	mnl_attr_nest_end(nlh, nest);
	nest->nla_len = NLA_HDRLEN + 2;		/* 2 bytes: no attribute */
	CHECK(PARSE(nlh, NLMSG_HDRLEN + GENL_HDRLEN + 8) == -EPROTO,
	      "nest of 2 bytes");
	nlh = NEW();
	nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
	mnl_attr_put_u32(nlh, EVS_CFG_A_BATCH, 1);
	mnl_attr_put_u32(nlh, EVS_CFG_A_ACK_DELAY, 1);
	mnl_attr_nest_end(nlh, nest);
	a = (struct nlattr *)mnl_attr_get_payload(nest);
	a->nla_len = 12;			/* runs into the next one */
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO,
	      "attribute in a nest running past the next one");
	a->nla_len = 20;			/* past the nest, not the message */
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 7);
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO,
	      "attribute running past its nest");
	nlh = NEW();
	nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
	mnl_attr_put_u64(nlh, EVS_CFG_A_BATCH, 1);
	mnl_attr_nest_end(nlh, nest);
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO,
	      "a setting of the wrong size, deep in its nest");
	nlh = NEW();
	nest = mnl_attr_nest_start(nlh, EVS_A_STATS);
	mnl_attr_put_u64(nlh, EVS_STATS_A_FRAMES, 1);
	mnl_attr_put(nlh, 0, 2, "xx");
	mnl_attr_nest_end(nlh, nest);
	nest->nla_len -= 2;			/* 2 bytes left over */
	attr_at(nlh, 16)->nla_len = 0;
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO,
	      "trailing bytes in a nest");

	/* Trailing bytes after the last attribute. */
	nlh = NEW();
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 7);
	memset(attr_at(nlh, 8), 0xff, 4);
	CHECK(PARSE(nlh, nlh->nlmsg_len + 2) == -EPROTO,
	      "2 bytes after the last attribute");
	memset(attr_at(nlh, 8), 0, 4);
	CHECK(PARSE(nlh, nlh->nlmsg_len + 4) == -EPROTO,
	      "4 zero bytes after the last attribute");

	/*
	 * A message ending unaligned, its last attribute claiming the bytes
	 * up to the next multiple of 4: they are not the message's.
	 */
	nlh = NEW();
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 7);
	mnl_attr_put(nlh, EVS_A_EVENT_DATA, 4, "abcd");
	CHECK(PARSE(nlh, nlh->nlmsg_len - 3) == -EPROTO,
	      "attribute past an unaligned end of the message");

	/* Unknown types, type 0 and PAD are skipped; flags are no type. */
	nlh = NEW();
	mnl_attr_put_u32(nlh, EVS_A_MAX + 1, 1);
	mnl_attr_put(nlh, 0x3fff, 3, "abc");
	mnl_attr_put(nlh, EVS_A_UNSPEC, 0, NULL);
	mnl_attr_put(nlh, EVS_A_PAD, 0, NULL);
	mnl_attr_put(nlh, EVS_A_PAD, 0, NULL);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC | NLA_F_NET_BYTEORDER, 7);
	nest = mnl_attr_nest_start(nlh, EVS_A_STATS);
	mnl_attr_put_u64(nlh, EVS_STATS_A_MAX + 1, 1);
	mnl_attr_put_u16(nlh, EVS_STATS_A_MAX + 2, 1);
	mnl_attr_nest_end(nlh, nest);
	err = PARSE(nlh, nlh->nlmsg_len);
	CHECK(!err && !evs_nl_get_u16(tb[EVS_A_TOPIC], &topic) && topic == 7 &&
	      tb[EVS_A_STATS] && !tb[EVS_A_UNSPEC] && !tb[EVS_A_PAD],
	      "unknown types skipped: %d", err);

	/* A repeated attribute, top level and in a nest. */
	nlh = NEW();
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 7);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 8);
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO, "repeated attribute");
	nlh = NEW();
	nest = mnl_attr_nest_start(nlh, EVS_A_STATS);
	mnl_attr_put_u64(nlh, EVS_STATS_A_FRAMES, 1);
	mnl_attr_put_u64(nlh, EVS_STATS_A_FRAMES, 2);
	mnl_attr_nest_end(nlh, nest);
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO,
	      "repeated counter in a nest");
	nlh = NEW();
	mnl_attr_put_u64(nlh, EVS_A_MAX + 1, 1);
	mnl_attr_put_u64(nlh, EVS_A_MAX + 1, 2);
	CHECK(PARSE(nlh, nlh->nlmsg_len) == 0,
	      "a repeated unknown attribute is still skipped");

	/* A nest of the wrong type, and nothing for the getters. */
	nlh = NEW();
	mnl_attr_put_u32(nlh, EVS_A_CONFIG, 1);
	CHECK(PARSE(nlh, nlh->nlmsg_len) == -EPROTO,
	      "a u32 where a nest belongs");
	nlh = NEW();
	mnl_attr_put_u32(nlh, EVS_A_CONFIG, NLA_HDRLEN);
	CHECK(PARSE(nlh, nlh->nlmsg_len) == 0 && tb[EVS_A_CONFIG],
	      "a u32 that happens to be a well-formed nest");
	nlh = NEW();
	mnl_attr_put_u64(nlh, EVS_A_CONN_ID, 1);
	CHECK(PARSE(nlh, nlh->nlmsg_len) == 0 &&
	      !evs_nl_get_u64(tb[EVS_A_CONN_ID], &v64) && v64 == 1 &&
	      evs_nl_get_u64(tb[EVS_A_CONN_BYTES], &v64) == -EPROTO,
	      "getters: present, absent");
	CHECK(evs_nl_parse_nested(NULL, tb, &evs_nl_evs_attrs) == -EPROTO,
	      "no nest");
	a = attr_at(nlh, 0);
	a->nla_len = 2;
	CHECK(evs_nl_parse_nested(a, tb, &evs_nl_cfg_attrs) == -EPROTO,
	      "a nest shorter than its header");

	/* The controller's groups: an entry that is no group. */
	nlh = evs_nl_genl_req(&nl, buf, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY, 1, 0);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 42);
	nest = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	a = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "monitor");
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 9);
	mnl_attr_nest_end(nlh, a);
	a = mnl_attr_nest_start(nlh, 2);
	mnl_attr_put_u16(nlh, CTRL_ATTR_MCAST_GRP_ID, 9);
	mnl_attr_nest_end(nlh, a);
	mnl_attr_nest_end(nlh, nest);
	CHECK(parse_exact(nlh, nlh->nlmsg_len, ctb, CTRL_ATTR_MAX,
			  &evs_nl_ctrl_attrs) == -EPROTO,
	      "multicast group with a u16 id");
	a->nla_len = NLA_HDRLEN;		/* an empty group */
	nest->nla_len -= 8;
	CHECK(parse_exact(nlh, nlh->nlmsg_len - 8, ctb, CTRL_ATTR_MAX,
			  &evs_nl_ctrl_attrs) == 0,
	      "an empty group entry is well formed");
#undef NEW
#undef PARSE
}

/* A controller notification as the kernel builds it, or spoilt. */
static struct nlmsghdr *ctrl_ntf(void *buf, uint8_t cmd, const char *how)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = GENL_ID_CTRL;
	g->cmd = cmd;
	g->version = 2;
	if (!strcmp(how, "id-u32"))
		mnl_attr_put_u32(nlh, CTRL_ATTR_FAMILY_ID, 0x2a);
	else if (!strcmp(how, "id-u8"))
		mnl_attr_put_u8(nlh, CTRL_ATTR_FAMILY_ID, 0x2a);
	else if (strcmp(how, "no-id"))
		mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x2a);
	if (!strcmp(how, "id-twice"))
		mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x2b);
	if (!strcmp(how, "name-nonul"))
		mnl_attr_put(nlh, CTRL_ATTR_FAMILY_NAME, 8, "evstream");
	else if (!strcmp(how, "name-empty"))
		mnl_attr_put(nlh, CTRL_ATTR_FAMILY_NAME, 0, NULL);
	else if (strcmp(how, "no-name"))
		mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "evstream");
	/* A group entry with a u16 id: the whole message is checked. */
	if (!strcmp(how, "bad-group")) {
		struct nlattr *grps, *grp;

		grps = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
		grp = mnl_attr_nest_start(nlh, 1);
		mnl_attr_put_u16(nlh, CTRL_ATTR_MCAST_GRP_ID, 3);
		mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "monitor");
		mnl_attr_nest_end(nlh, grp);
		mnl_attr_nest_end(nlh, grps);
	}
	/* What a newer kernel might add. */
	mnl_attr_put_u32(nlh, CTRL_ATTR_MAX + 3, 7);
	/* Bytes past the last attribute, too few for another. */
	if (!strcmp(how, "tail")) {
		memset((char *)nlh + nlh->nlmsg_len, 0, 2);
		nlh->nlmsg_len += 2;
	}
	return nlh;
}

static void test_family_ntf(void)
{
	static const char *const bad[] = {
		"id-u32", "id-u8", "no-id", "name-nonul", "name-empty",
		"no-name", "id-twice", "bad-group", "tail",
	};
	char buf[512] EVS_NL_ALIGNED;
	struct evs_nl_family_ntf f = { 0 };
	struct nlmsghdr *nlh;
	unsigned int i;
	int ret;

	ret = evs_nl_parse_family_ntf(ctrl_ntf(buf, CTRL_CMD_DELFAMILY, ""),
				      &f);
	CHECK(ret == 1 && f.cmd == CTRL_CMD_DELFAMILY && f.id == 0x2a &&
	      !strcmp(f.name, "evstream"), "family_ntf: DELFAMILY: %d", ret);
	ret = evs_nl_parse_family_ntf(ctrl_ntf(buf, CTRL_CMD_NEWFAMILY, ""),
				      &f);
	CHECK(ret == 1 && f.cmd == CTRL_CMD_NEWFAMILY,
	      "family_ntf: NEWFAMILY: %d", ret);
	ret = evs_nl_parse_family_ntf(ctrl_ntf(buf, CTRL_CMD_NEWMCAST_GRP,
					       "no-name"), &f);
	CHECK(ret == 0, "family_ntf: a group's notification is not one: %d",
	      ret);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = evs_nl_parse_family_ntf(ctrl_ntf(buf, CTRL_CMD_NEWFAMILY,
						       bad[i]), &f);
		CHECK(ret == -EPROTO, "family_ntf: %s refused: %d", bad[i],
		      ret);
	}
	nlh = ctrl_ntf(buf, CTRL_CMD_NEWFAMILY, "");
	nlh->nlmsg_type = GENL_ID_CTRL + 1;
	ret = evs_nl_parse_family_ntf(nlh, &f);
	CHECK(ret == -EPROTO, "family_ntf: another family's message: %d", ret);
	nlh = ctrl_ntf(buf, CTRL_CMD_NEWFAMILY, "");
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	ret = evs_nl_parse_family_ntf(nlh, &f);
	CHECK(ret == -EPROTO, "family_ntf: no genl header: %d", ret);
}

int main(void)
{
	test_ctrl();
	test_extack();
	test_stats_parse();
	test_latency_parse();
	test_hostile();
	test_family_ntf();
	known_types("EVS_A", &evs_nl_evs_attrs, EVS_A_UNSPEC + 1,
		    EVS_A_MAX, EVS_A_PAD);
	known_types("EVS_CFG_A", &evs_nl_cfg_attrs, EVS_CFG_A_UNSPEC + 1,
		    EVS_CFG_A_MAX, EVS_CFG_A_PAD);
	printf("%s: %d failed\n", __FILE__, failures);
	return failures ? 1 : 0;
}
