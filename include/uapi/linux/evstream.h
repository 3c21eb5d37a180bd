/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * evstream: in-kernel event ingest pipeline.
 *
 * The one header shared by the module and userspace: the generic netlink
 * family (name, version, commands, attributes) and the TCP wire format.
 * docs/protocol.md and docs/netlink.md are the prose for what is here;
 * enums only ever grow at the end.
 */
#ifndef _UAPI_LINUX_EVSTREAM_H
#define _UAPI_LINUX_EVSTREAM_H

#include <linux/types.h>

#define EVS_GENL_NAME		"evstream"
#define EVS_GENL_VERSION	1

/* ---- Wire protocol v1 (TCP, network byte order) ---- */

#define EVS_WIRE_MAGIC		0x4576	/* "Ev" */
#define EVS_WIRE_VERSION	1
#define EVS_WIRE_HDR_LEN	16
/* Default and hard cap for the payload length of one frame. */
#define EVS_WIRE_PAYLOAD_DEFAULT	4096
#define EVS_WIRE_PAYLOAD_CAP		65536

/* Header flags. */
#define EVS_WIRE_F_ACK_REQ	0x01	/* client: ack this frame once stored */
#define EVS_WIRE_F_ERROR	0x40	/* server: payload is a reason, close follows */
#define EVS_WIRE_F_ACK		0x80	/* server: seq is the highest stored */
#define EVS_WIRE_F_CLIENT_MASK	EVS_WIRE_F_ACK_REQ

/* Event priorities: header byte 10, and the routing table's values. */
enum evs_prio {
	EVS_PRIO_RT = 0,	/* realtime */
	EVS_PRIO_TX = 1,	/* transactional */
	EVS_PRIO_BATCH = 2,	/* batch */
	EVS_PRIO_NR,
	EVS_PRIO_AUTO = 255,	/* routing table decides */
};

/*
 * On-wire frame header.  Every multi-byte field is big endian; the layout
 * has no padding (16 bytes, naturally aligned fields).
 */
struct evs_wire_hdr {
	__be16	magic;
	__u8	version;
	__u8	flags;
	__be32	length;
	__be16	topic;
	__u8	priority;
	__u8	reserved;
	__be32	seq;
};

/* ---- Generic netlink family "evstream" ---- */

enum evs_cmd {
	EVS_CMD_UNSPEC,
	EVS_CMD_GET_VERSION,	/* reply: EVS_A_VERSION, EVS_A_PROTO_VERSION */
	EVS_CMD_GET_STATS,	/* reply: EVS_A_VERSION, EVS_A_STATS */
	EVS_CMD_STATS_RESET,	/* admin: zero the counters of this netns */

	__EVS_CMD_MAX,
};

#define EVS_CMD_MAX (__EVS_CMD_MAX - 1)

enum evs_attr {
	EVS_A_UNSPEC,
	EVS_A_PAD,
	EVS_A_VERSION,		/* string: module version, "MAJOR.MINOR.PATCH" */
	EVS_A_PROTO_VERSION,	/* u8: wire protocol version spoken */
	EVS_A_STATS,		/* nest: EVS_STATS_A_* */

	__EVS_A_MAX,
};

#define EVS_A_MAX (__EVS_A_MAX - 1)

/*
 * Counters of one network namespace, all u64, monotonic since the module
 * was loaded or the last EVS_CMD_STATS_RESET.  Every attribute from
 * EVS_STATS_A_FRAMES on is a counter, so a reader can walk them in order.
 */
enum evs_stats_attr {
	EVS_STATS_A_UNSPEC,
	EVS_STATS_A_PAD,
	EVS_STATS_A_FRAMES,		/* frames accepted from clients */
	EVS_STATS_A_BYTES,		/* payload bytes accepted */
	EVS_STATS_A_STORED,		/* events appended to a topic store */
	EVS_STATS_A_EVICTED,		/* events evicted by the store limit */
	EVS_STATS_A_ENQ_RT,		/* events queued, per priority */
	EVS_STATS_A_ENQ_TX,
	EVS_STATS_A_ENQ_BATCH,
	EVS_STATS_A_DONE_RT,		/* events processed, per priority */
	EVS_STATS_A_DONE_TX,
	EVS_STATS_A_DONE_BATCH,
	EVS_STATS_A_ERR_MAGIC,		/* protocol errors, by kind */
	EVS_STATS_A_ERR_VERSION,
	EVS_STATS_A_ERR_RESERVED,
	EVS_STATS_A_ERR_LENGTH,
	EVS_STATS_A_ERR_PRIORITY,
	EVS_STATS_A_CONN_ACCEPTED,	/* connections accepted */
	EVS_STATS_A_CONN_CLOSED,	/* connections closed, for any reason */
	EVS_STATS_A_CONN_REJECTED,	/* closed at once: over the limit */
	EVS_STATS_A_PAUSES,		/* reads paused by backpressure */
	EVS_STATS_A_RESUMES,		/* paused reads resumed */
	EVS_STATS_A_ACKS,		/* ACK frames sent */

	__EVS_STATS_A_MAX,
};

#define EVS_STATS_A_MAX (__EVS_STATS_A_MAX - 1)
#define EVS_STATS_A_FIRST_COUNTER EVS_STATS_A_FRAMES

#endif /* _UAPI_LINUX_EVSTREAM_H */
