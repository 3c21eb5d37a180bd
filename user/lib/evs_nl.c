// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink helpers over libmnl; see evs_nl.h for the contract.
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
 * Calls @fn for each attribute in the @len bytes at @start and stops at
 * its first error.  Offsets rather than pointers, so that a bogus nla_len
 * never makes us compute a pointer past the buffer.  Returns 0, @fn's
 * error, or -EPROTO when the attributes do not fill @len exactly.
 */
static int walk_attrs(const void *start, size_t len,
		      int (*fn)(const struct nlattr *attr, void *data),
		      void *data)
{
	size_t off = 0;
	int err;

	while (len - off >= sizeof(struct nlattr)) {
		const struct nlattr *attr =
			(const void *)((const char *)start + off);

		if (attr->nla_len < sizeof(*attr) ||
		    attr->nla_len > len - off)
			return -EPROTO;
		err = fn(attr, data);
		if (err)
			return err;
		off += NLA_ALIGN(attr->nla_len);
		/* The last attribute's padding may be left out. */
		if (off > len)
			off = len;
	}
	return off == len ? 0 : -EPROTO;
}

/* Same over the attributes inside @nest. */
static int walk_nested(const struct nlattr *nest,
		       int (*fn)(const struct nlattr *attr, void *data),
		       void *data)
{
	if (!nest || nest->nla_len < NLA_HDRLEN)
		return -EPROTO;
	return walk_attrs(mnl_attr_get_payload(nest),
			  mnl_attr_get_payload_len(nest), fn, data);
}

struct index {
	const struct nlattr **tb;
	unsigned int maxtype;
};

static int index_attr(const struct nlattr *attr, void *data)
{
	struct index *ix = data;
	unsigned int type = attr->nla_type & NLA_TYPE_MASK;

	if (type <= ix->maxtype)
		ix->tb[type] = attr;
	return 0;
}

static int parse_attrs(const void *start, size_t len,
		       const struct nlattr **tb, unsigned int maxtype)
{
	struct index ix = { .tb = tb, .maxtype = maxtype };

	memset(tb, 0, (maxtype + 1) * sizeof(*tb));
	return walk_attrs(start, len, index_attr, &ix);
}

int evs_nl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
		 unsigned int maxtype)
{
	size_t hdrlen = NLMSG_HDRLEN + GENL_HDRLEN;

	if (nlh->nlmsg_len < hdrlen)
		return -EPROTO;
	return parse_attrs((const char *)nlh + hdrlen,
			   nlh->nlmsg_len - hdrlen, tb, maxtype);
}

int evs_nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			unsigned int maxtype)
{
	if (nest->nla_len < NLA_HDRLEN)
		return -EPROTO;
	return parse_attrs(mnl_attr_get_payload(nest),
			   mnl_attr_get_payload_len(nest), tb, maxtype);
}

/*
 * Attribute payloads are only 4-byte aligned (a u64 lands on 8 only thanks
 * to the kernel's PAD attribute), so copy rather than dereference.
 */
static int get_fixed(const struct nlattr *attr, void *val, size_t size)
{
	if (!attr || mnl_attr_get_payload_len(attr) != size)
		return -EPROTO;
	memcpy(val, mnl_attr_get_payload(attr), size);
	return 0;
}

int evs_nl_get_u8(const struct nlattr *attr, uint8_t *val)
{
	return get_fixed(attr, val, sizeof(*val));
}

int evs_nl_get_u16(const struct nlattr *attr, uint16_t *val)
{
	return get_fixed(attr, val, sizeof(*val));
}

int evs_nl_get_u32(const struct nlattr *attr, uint32_t *val)
{
	return get_fixed(attr, val, sizeof(*val));
}

int evs_nl_get_u64(const struct nlattr *attr, uint64_t *val)
{
	return get_fixed(attr, val, sizeof(*val));
}

int evs_nl_get_str(const struct nlattr *attr, const char **val)
{
	const char *s;
	size_t len;

	if (!attr)
		return -EPROTO;
	s = mnl_attr_get_payload(attr);
	len = mnl_attr_get_payload_len(attr);
	if (!len || s[len - 1] != '\0')
		return -EPROTO;
	*val = s;
	return 0;
}

int evs_nl_parse_stats(const struct nlattr *nest, struct evs_stats *st)
{
	const struct nlattr *tb[EVS_STATS_A_MAX + 1];
	unsigned int type;
	int err;

	memset(st, 0, sizeof(*st));
	if (!nest)
		return -EPROTO;
	err = evs_nl_parse_nested(nest, tb, EVS_STATS_A_MAX);
	if (err)
		return err;
	for (type = EVS_STATS_A_FIRST_COUNTER; type <= EVS_STATS_A_MAX;
	     type++) {
		unsigned int i = type - EVS_STATS_A_FIRST_COUNTER;

		if (!tb[type])
			continue;
		err = evs_nl_get_u64(tb[type], &st->counters[i]);
		if (err)
			return err;
		st->present[i] = true;
	}
	return 0;
}

int evs_nl_parse_gauges(const struct nlattr *nest, struct evs_gauges *g)
{
	const struct nlattr *tb[EVS_GAUGE_A_MAX + 1];
	unsigned int type;
	int err;

	memset(g, 0, sizeof(*g));
	if (!nest)
		return -EPROTO;
	err = evs_nl_parse_nested(nest, tb, EVS_GAUGE_A_MAX);
	if (err)
		return err;
	for (type = EVS_GAUGE_A_FIRST; type <= EVS_GAUGE_A_MAX; type++) {
		unsigned int i = type - EVS_GAUGE_A_FIRST;

		if (!tb[type])
			continue;
		err = evs_nl_get_u64(tb[type], &g->values[i]);
		if (err)
			return err;
		g->present[i] = true;
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

	if (!nest)
		return -EPROTO;
	err = evs_nl_parse_nested(nest, tb, EVS_LAT_A_MAX);
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
 * EVS_A_LAT_PRIO repeats inside EVS_A_LATENCY, so evs_nl_parse_nested()
 * (last one wins) does not fit: take each as the walk meets it.
 */
static int lat_prio_attr(const struct nlattr *attr, void *data)
{
	struct evs_latency *lat = data;
	uint64_t buckets[EVS_LAT_BUCKETS];
	uint8_t prio;
	int err;

	if ((attr->nla_type & NLA_TYPE_MASK) != EVS_A_LAT_PRIO)
		return 0;
	err = evs_nl_parse_lat_prio(attr, &prio, buckets);
	if (err)
		return err;
	/* A newer module may have more priorities: not ours to show. */
	if (prio >= EVS_PRIO_NR)
		return 0;
	memcpy(lat->buckets[prio], buckets, sizeof(buckets));
	lat->present[prio] = true;
	return 0;
}

int evs_nl_parse_latency(const struct nlattr *nest, struct evs_latency *lat)
{
	memset(lat, 0, sizeof(*lat));
	return walk_nested(nest, lat_prio_attr, lat);
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
	/* Malformed TLVs end the walk; those before them still count. */
	mnl_attr_parse(nlh, (unsigned int)off, extack_attr, &x);

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
 * The error a request ends with: the kernel's own, unless a callback failed
 * first, or the dump was interrupted (the kernel's state changed while it
 * ran, so the caller got an inconsistent picture and should retry).
 */
static int talk_result(int cb_err, bool intr, int kernel_err)
{
	if (cb_err)
		return cb_err;
	if (kernel_err)
		return kernel_err;
	return intr ? -EINTR : 0;
}

int evs_nl_talk(struct evs_nl *nl, struct nlmsghdr *req,
		mnl_cb_t data_cb, void *data)
{
	/* Netlink messages are 4-byte aligned; u64 payloads get memcpy'd. */
	char buf[EVS_NL_RX_SIZE] EVS_NL_ALIGNED;
	uint32_t seq = req->nlmsg_seq;
	bool calling = data_cb;
	bool intr = false;
	int err = 0;
	ssize_t n;

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
		const struct nlmsghdr *nlh = (const void *)buf;
		int len;

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
		len = n;

		for (; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			int ret;

			/* Leftovers of an earlier, abandoned request. */
			if (nlh->nlmsg_seq != seq ||
			    (nlh->nlmsg_pid && nlh->nlmsg_pid != nl->portid))
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;

			switch (nlh->nlmsg_type) {
			case NLMSG_NOOP:
				continue;
			case NLMSG_OVERRUN:
				return -ENOBUFS;
			case NLMSG_ERROR:
				ret = parse_error(nl, nlh, req);
				return talk_result(err, intr, ret);
			case NLMSG_DONE:
				ret = parse_done(nl, nlh, req);
				return talk_result(err, intr, ret);
			}
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE || !calling)
				continue;

			errno = 0;
			ret = data_cb(nlh, data);
			if (ret == MNL_CB_STOP) {
				calling = false;
			} else if (ret < MNL_CB_OK) {
				err = errno ? -errno : -EPROTO;
				calling = false;
			}
		}
		/* A partial message in a datagram: the kernel never does it. */
		if (len > 0)
			return err ? err : -EPROTO;
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

	if (evs_nl_parse_nested(attr, tb, CTRL_ATTR_MCAST_GRP_MAX) ||
	    evs_nl_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME], &name) ||
	    evs_nl_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID], &id))
		return -EPROTO;
	if (!strcmp(name, r->group)) {
		r->group_id = id;
		r->group_found = true;
	}
	return 0;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct family_reply *r = data;

	if (evs_nl_parse(nlh, tb, CTRL_ATTR_MAX) ||
	    evs_nl_get_u16(tb[CTRL_ATTR_FAMILY_ID], &r->id))
		goto bad;
	/* Every kernel sends it; be lenient all the same. */
	if (evs_nl_get_u32(tb[CTRL_ATTR_VERSION], &r->version))
		r->version = 0;
	/* A family without groups has no CTRL_ATTR_MCAST_GROUPS at all. */
	if (r->group && tb[CTRL_ATTR_MCAST_GROUPS] &&
	    walk_nested(tb[CTRL_ATTR_MCAST_GROUPS], group_attr, r))
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

struct family_ntf_attrs {
	const struct nlattr *name, *id;
};

/* Types this header does not know, newer kernels' additions, are skipped. */
static int family_ntf_attr(const struct nlattr *attr, void *data)
{
	struct family_ntf_attrs *a = data;

	switch (mnl_attr_get_type(attr)) {
	case CTRL_ATTR_FAMILY_NAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		a->name = attr;
		break;
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		a->id = attr;
		break;
	}
	return MNL_CB_OK;
}

int evs_nl_parse_family_ntf(const struct nlmsghdr *nlh,
			    struct evs_nl_family_ntf *f)
{
	struct family_ntf_attrs a = { 0 };
	const struct genlmsghdr *g;

	if (nlh->nlmsg_type != GENL_ID_CTRL ||
	    mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -EPROTO;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->cmd != CTRL_CMD_NEWFAMILY && g->cmd != CTRL_CMD_DELFAMILY)
		return 0;
	if (mnl_attr_parse(nlh, GENL_HDRLEN, family_ntf_attr, &a) <
	    MNL_CB_STOP || !a.name || !a.id)
		return -EPROTO;
	f->cmd = g->cmd;
	f->name = mnl_attr_get_str(a.name);
	f->id = mnl_attr_get_u16(a.id);
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

/* One datagram's messages to @cb: of nl->family only, or with @any all. */
static int recv_ntf(struct evs_nl *nl, bool any, mnl_cb_t cb, void *data)
{
	char buf[EVS_NL_RX_SIZE] EVS_NL_ALIGNED;
	const struct nlmsghdr *nlh = (const void *)buf;
	ssize_t n;
	int len;

	if (!nl->sock)
		return -EBADF;
	n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	for (len = n; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		int ret;

		/* Acks and errors of requests, other families' messages. */
		if (any ? nlh->nlmsg_type < NLMSG_MIN_TYPE :
			  nlh->nlmsg_type != nl->family || !nl->family)
			continue;
		errno = 0;
		ret = cb(nlh, data);
		if (ret == MNL_CB_STOP)
			return 0;
		if (ret < MNL_CB_OK)
			return errno ? -errno : -EPROTO;
	}
	return len > 0 ? -EPROTO : 0;
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
