/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small generic netlink helpers over libmnl, shared by evctl, the C
 * kselftests and the other tools.  They know how to talk to any genetlink
 * family; the evstream-specific pieces are evs_nl_open() (which resolves
 * "evstream"), the attribute sets of its replies and the parsers of its
 * statistics.
 *
 * Typical use:
 *
 *	struct evs_nl nl;
 *	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED, line[512];
 *	struct nlmsghdr *nlh;
 *	int err;
 *
 *	err = evs_nl_open(&nl);		// -ENOENT: module not loaded
 *	nlh = evs_nl_req(&nl, buf, EVS_CMD_GET_STATS, 0);
 *	err = evs_nl_talk(&nl, nlh, my_cb, &my_data);
 *	if (err)
 *		fprintf(stderr, "%s\n", evs_nl_strerror(&nl, err, line,
 *							sizeof(line)));
 *	evs_nl_close(&nl);
 *
 * Not thread safe: one struct evs_nl per thread.
 */
#ifndef _EVS_NL_H
#define _EVS_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/evstream.h>
#include <evstream/stats_names.h>

/*
 * Room for one request.  libmnl's MNL_SOCKET_BUFFER_SIZE is computed at run
 * time, which would make every request buffer a VLA; requests are small.
 */
#define EVS_NL_REQ_SIZE		8192
/*
 * Room for one received datagram.  The kernel sizes dump skbs after the
 * largest recvmsg() buffer it has seen, capped at 32 KiB, so a buffer this
 * big never sees MSG_TRUNC.
 */
#define EVS_NL_RX_SIZE		32768
/* Request buffers hold a struct nlmsghdr at offset 0. */
#define EVS_NL_ALIGNED		__attribute__((aligned(8)))

/* What NLMSGERR_ATTR_POLICY said of the values the attribute may take. */
enum evs_nl_range {
	EVS_NL_RANGE_NONE,
	EVS_NL_RANGE_U,		/* err_min.u .. err_max.u */
	EVS_NL_RANGE_S,		/* err_min.s .. err_max.s */
};

/* Attributes of one request that evs_nl_name() can name. */
#define EVS_NL_NAMES		16
#define EVS_NL_NAME_LEN		64

struct evs_nl {
	struct mnl_socket *sock;
	uint16_t family;	/* genetlink family id, 0 when unresolved */
	uint32_t version;	/* family version the kernel reports */
	uint32_t seq;		/* last sequence number handed out */
	uint32_t portid;	/* our netlink port id */
	/*
	 * The extended ACK of the last failed request, as far as the kernel
	 * sent one.  errmsg is the kernel's message on one line (control
	 * characters replaced), empty when it gave none.
	 */
	char errmsg[256];
	/*
	 * Offset of the offending attribute in the request; 0 when none, or
	 * when the kernel's offset does not fall on the request's attributes.
	 */
	uint32_t err_off;
	/* Type of a missing required attribute; 0 when none. */
	uint32_t err_miss_type;
	/* What evs_nl_name() called the offending attribute; "" when none. */
	char err_name[EVS_NL_NAME_LEN];
	enum evs_nl_range err_range;
	union {
		uint64_t u;
		int64_t s;
	} err_min, err_max;
	/* The names of the request being built; see evs_nl_name(). */
	uint32_t names_seq;
	unsigned int nr_names;
	struct {
		uint32_t off;
		char name[EVS_NL_NAME_LEN];
	} names[EVS_NL_NAMES];
};

/*
 * Opens a NETLINK_GENERIC socket with extended ACKs and resolves @family
 * (NULL: resolve nothing, nl->family stays 0).  Returns 0, -ENOENT when the
 * family does not exist, or another negative errno.  On failure nothing is
 * left open and evs_nl_close() is still safe to call.
 */
int evs_nl_open_family(struct evs_nl *nl, const char *family);

/* evs_nl_open_family(nl, EVS_GENL_NAME): -ENOENT means module not loaded. */
int evs_nl_open(struct evs_nl *nl);

/* Closes the socket.  Idempotent; fine on a zeroed struct. */
void evs_nl_close(struct evs_nl *nl);

/*
 * Asks the genetlink controller for family @name.  @id and @version may be
 * NULL.  Returns 0, -ENOENT when there is no such family, or a negative
 * errno.
 */
int evs_nl_resolve_family(struct evs_nl *nl, const char *name,
			  uint16_t *id, uint32_t *version);

/*
 * Looks up the multicast group @group of family @family and stores the
 * id to join in *@id.  Returns 0, -ENOENT when the family does not exist
 * or has no such group, or another negative errno.
 */
int evs_nl_mcast_group(struct evs_nl *nl, const char *family,
		       const char *group, uint32_t *id);

/*
 * evs_nl_mcast_group() that also stores the family's id in *@family_id,
 * both from the one reply, so that they belong to the same registration
 * of the family: a module reload gives it a new id and, often, its groups
 * new ids.  *@group_id is 0 when the family has no such group (0 is never
 * a group's id).  Returns 0, -ENOENT when the family does not exist, or
 * another negative errno.
 */
int evs_nl_family_group(struct evs_nl *nl, const char *family,
			const char *group, uint16_t *family_id,
			uint32_t *group_id);

/*
 * A family registered or unregistered, as the genetlink controller tells
 * the members of its "notify" group (join evs_nl_mcast_group(nl, "nlctrl",
 * "notify")): CTRL_CMD_NEWFAMILY or CTRL_CMD_DELFAMILY, with the family's
 * name and id.  @name points into the received message.
 */
struct evs_nl_family_ntf {
	uint8_t cmd;
	uint16_t id;
	const char *name;
};

/*
 * Takes in a message of the controller (nlmsg_type GENL_ID_CTRL).  Returns
 * 1 with @f filled for NEWFAMILY and DELFAMILY, 0 for any other command
 * (the controller also tells of multicast groups, which come and go with
 * their family), or -EPROTO when the message is malformed (its attributes
 * are checked as evs_nl_parse() checks them against evs_nl_ctrl_attrs) or
 * has no family name or id.
 */
int evs_nl_parse_family_ntf(const struct nlmsghdr *nlh,
			    struct evs_nl_family_ntf *f);

/*
 * Joins multicast group @group (NETLINK_ADD_MEMBERSHIP); from then on
 * the socket receives its notifications.  Returns 0 or a negative errno.
 */
int evs_nl_join(struct evs_nl *nl, uint32_t group);

/*
 * Waits for one datagram and calls @cb for each message in it of
 * nl->family: the notifications of a joined group.  Acks, errors and other
 * families' messages are skipped.  @cb returns as for evs_nl_talk();
 * MNL_CB_STOP skips the rest of the datagram.  Returns 0, the callback's
 * -errno, -EPROTO for a malformed datagram, or the negative errno of the
 * receive: -EINTR when a signal came first, -ENOBUFS when notifications
 * were lost because the receive buffer overran (the socket stays usable).
 */
int evs_nl_recv_ntf(struct evs_nl *nl, mnl_cb_t cb, void *data);

/*
 * evs_nl_recv_ntf() for a socket in the groups of several families (the
 * controller's "notify" too): @cb gets the messages of every family, to
 * tell apart by nlmsg_type; only netlink's own (acks, errors) are skipped.
 */
int evs_nl_recv_any(struct evs_nl *nl, mnl_cb_t cb, void *data);

/*
 * Starts a request in @buf (EVS_NL_REQ_SIZE bytes, EVS_NL_ALIGNED):
 * nlmsghdr for @family with NLM_F_REQUEST | NLM_F_ACK | @nlmsg_flags and a
 * fresh sequence number, then a genlmsghdr with @cmd and @version.  Add
 * attributes with mnl_attr_put*_check(nlh, EVS_NL_REQ_SIZE, ...).
 */
struct nlmsghdr *evs_nl_genl_req(struct evs_nl *nl, void *buf,
				 uint16_t family, uint8_t cmd, uint8_t version,
				 uint16_t nlmsg_flags);

/* evs_nl_genl_req() for the resolved family at EVS_GENL_VERSION. */
struct nlmsghdr *evs_nl_req(struct evs_nl *nl, void *buf, uint8_t cmd,
			    uint16_t nlmsg_flags);

/*
 * Sends @req and reads replies until its final ACK, NLMSG_DONE or error,
 * calling @data_cb (may be NULL) for each data message of this request.
 * Messages that belong to another sequence number are skipped.  @req must
 * carry NLM_F_ACK or NLM_F_DUMP so that the end of the reply is known.
 *
 * @data_cb returns MNL_CB_OK to go on, MNL_CB_STOP to ignore the remaining
 * data messages, or MNL_CB_ERROR with errno set.  Either way the replies
 * are still read up to the end so the socket stays usable.
 *
 * Returns 0, the callback's -errno, the negative errno the kernel reported
 * (with nl->errmsg and the other err_ fields filled from the extended ACK;
 * evs_nl_strerror() puts them in words), -EINTR when the kernel flagged a dump as interrupted
 * (NLM_F_DUMP_INTR: the data may be inconsistent, retry), or a negative
 * errno from the socket.
 */
int evs_nl_talk(struct evs_nl *nl, struct nlmsghdr *req,
		mnl_cb_t data_cb, void *data);

/*
 * Names the attribute that is put next into @nlh (a request that
 * evs_nl_genl_req() started), as the user spelled it ("pressure 101"), so
 * that an error the kernel reports against it can say so: evs_nl_talk()
 * copies the name to nl->err_name.  Up to EVS_NL_NAMES a request; longer
 * names are cut.
 */
void evs_nl_name(struct evs_nl *nl, const struct nlmsghdr *nlh,
		 const char *name);

/*
 * Why the last request failed with @err, on one line and without the
 * attribute's name (nl->err_name, for the caller to put first): "out of
 * range (allowed 1..100)" when the kernel refused a value and sent the
 * range, else the errno's text, then the kernel's message unless it only
 * repeats that, then the allowed range when the kernel sent one.
 * Returns @buf.
 */
const char *evs_nl_strerror(const struct evs_nl *nl, int err, char *buf,
			    size_t size);

/*
 * Takes in the NLMSG_ERROR or NLMSG_DONE message @nlh that ends the reply
 * to @req: fills nl->errmsg and the other err_ fields from its extended
 * ACK and returns its error (0 for an ACK), or -EPROTO when it is
 * malformed.  evs_nl_talk() does this; it is here for tests, and for
 * callers that read replies themselves.
 */
int evs_nl_parse_end(struct evs_nl *nl, const struct nlmsghdr *nlh,
		     const struct nlmsghdr *req);

/*
 * An attribute set: for each attribute type, what the kernel's policy
 * promises of it (u8, u16, u32, u64, NUL-terminated string, binary of a
 * given length, or a nest of another set), checked with libmnl's
 * mnl_attr_validate().
 */
struct evs_nl_attrs;

extern const struct evs_nl_attrs evs_nl_evs_attrs;	/* EVS_A_* */
extern const struct evs_nl_attrs evs_nl_cfg_attrs;	/* EVS_CFG_A_* */
extern const struct evs_nl_attrs evs_nl_ctrl_attrs;	/* CTRL_ATTR_* */
/* CTRL_ATTR_MCAST_GRP_*: one entry of CTRL_ATTR_MCAST_GROUPS. */
extern const struct evs_nl_attrs evs_nl_mcast_grp_attrs;

/*
 * Indexes the attributes of a genetlink message of attribute set @set:
 * tb[type] for each type, tb having the set's maximum type + 1 entries
 * (EVS_A_MAX + 1 for evs_nl_evs_attrs, EVS_CFG_A_MAX + 1 for
 * evs_nl_cfg_attrs, and so on).
 * Every attribute the set knows is validated, nests down to the bottom:
 * one of the wrong size or type, a string without its NUL, a repeated
 * one (but for those that repeat by design, such as the priorities of
 * EVS_A_LATENCY), or attributes that do not fill the message exactly make
 * it -EPROTO, with tb all NULL.  Types the set does not know (PAD, those
 * of a newer kernel) are skipped.  Returns 0 or -EPROTO.
 */
int evs_nl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
		 const struct evs_nl_attrs *set);

/* Same for the attributes inside the nest @nest (NULL: -EPROTO). */
int evs_nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			const struct evs_nl_attrs *set);

/*
 * Getters for the attributes of a tb[] that evs_nl_parse*() filled, and
 * so validated: return 0 and store the value, or -EPROTO when @attr is
 * NULL (the kernel did not send it).  The attribute must be of the type
 * the getter reads, as its set says.  The string points into the receive
 * buffer: copy it before the callback returns.
 */
int evs_nl_get_u8(const struct nlattr *attr, uint8_t *val);
int evs_nl_get_u16(const struct nlattr *attr, uint16_t *val);
int evs_nl_get_u32(const struct nlattr *attr, uint32_t *val);
int evs_nl_get_u64(const struct nlattr *attr, uint64_t *val);
int evs_nl_get_str(const struct nlattr *attr, const char **val);

/*
 * The counters of an EVS_A_STATS nest: index i holds attribute
 * EVS_STATS_A_FIRST_COUNTER + i, named evs_counter_name() of that.
 */
struct evs_stats {
	uint64_t counters[EVS_NR_COUNTERS];
	bool present[EVS_NR_COUNTERS];
};

/*
 * Fills @st from an EVS_A_STATS nest.  Counters the kernel did not send
 * stay 0 with present[i] false; attributes newer than this header and
 * EVS_STATS_A_PAD are ignored.  Returns 0 or -EPROTO when the nest or a
 * counter is malformed.
 */
int evs_nl_parse_stats(const struct nlattr *nest, struct evs_stats *st);

/*
 * The values of an EVS_A_GAUGES nest: index i holds attribute
 * EVS_GAUGE_A_FIRST + i, named evs_gauge_name() of that.
 */
struct evs_gauges {
	uint64_t values[EVS_NR_GAUGES];
	bool present[EVS_NR_GAUGES];
};

/* Same contract as evs_nl_parse_stats(), for EVS_A_GAUGES. */
int evs_nl_parse_gauges(const struct nlattr *nest, struct evs_gauges *g);

/*
 * The histograms of an EVS_A_LATENCY nest, per priority: buckets as the
 * UAPI header defines them (bucket 0 below 2 ns, bucket i in
 * [2^i, 2^(i+1)) ns, the last one everything above).
 */
struct evs_latency {
	uint64_t buckets[EVS_PRIO_NR][EVS_LAT_BUCKETS];
	bool present[EVS_PRIO_NR];
};

/*
 * One EVS_A_LAT_PRIO nest (inside EVS_A_LATENCY, or a LATENCY_GET message):
 * its priority, which may be one this header does not know, and its
 * EVS_LAT_BUCKETS buckets, more of them folded into the last.  Returns 0
 * or -EPROTO.
 */
int evs_nl_parse_lat_prio(const struct nlattr *nest, uint8_t *prio,
			  uint64_t *buckets);

/*
 * Fills @lat from an EVS_A_LATENCY nest.  Priorities the kernel did not
 * send stay absent; unknown priorities are ignored.  A histogram with more
 * buckets than this header knows has the extra ones folded into the last,
 * which already means "everything above".  Returns 0 or -EPROTO.
 */
int evs_nl_parse_latency(const struct nlattr *nest, struct evs_latency *lat);

/*
 * The upper bound, in ns, of latency bucket @i: 2^(i+1).  The last bucket
 * has none: returns UINT64_MAX for it.
 */
uint64_t evs_lat_bucket_upper_ns(unsigned int i);

/*
 * The bucket holding the @permille quantile (500: median, 999: p99.9) of
 * @buckets: the first bucket whose running total reaches
 * ceil(total * permille / 1000).  Stores the total in *@total (may be
 * NULL).  Returns -1 when the histogram is empty.
 */
int evs_lat_quantile(const uint64_t *buckets, unsigned int permille,
		     uint64_t *total);

#endif /* _EVS_NL_H */
