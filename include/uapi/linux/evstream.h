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

/*
 * Commands.  "admin" needs CAP_NET_ADMIN in the user namespace that owns
 * the network namespace; everything else is open to anyone in it.
 */
enum evs_cmd {
	EVS_CMD_UNSPEC,
	EVS_CMD_GET_VERSION,	/* reply: EVS_A_VERSION, EVS_A_PROTO_VERSION */
	EVS_CMD_GET_STATS,	/* reply: EVS_A_VERSION, EVS_A_STATS,
				 * EVS_A_GAUGES, EVS_A_LATENCY
				 */
	EVS_CMD_STATS_RESET,	/* admin: zero counters and histograms */
	EVS_CMD_LISTEN_ADD,	/* admin: ADDR_IN|ADDR_IN6, PORT (0: any),
				 * [LISTEN_FREEBIND]; reply: the listener as
				 * LISTEN_GET shows it
				 */
	EVS_CMD_LISTEN_DEL,	/* admin: ADDR_IN|ADDR_IN6, PORT; closes the
				 * listener and its connections
				 */
	EVS_CMD_LISTEN_GET,	/* dump: one message per listener */
	EVS_CMD_ROUTE_ADD,	/* admin: TOPIC, PRIO; replaces a rule */
	EVS_CMD_ROUTE_DEL,	/* admin: TOPIC */
	EVS_CMD_ROUTE_GET,	/* dump: one message per rule (TOPIC, PRIO) */
	EVS_CMD_CONN_GET,	/* dump: one message per connection: CONN_ID,
				 * peer ADDR_IN|ADDR_IN6 and PORT, LOCAL_PORT,
				 * CONN_STATE, CONN_EVENTS, CONN_BYTES,
				 * CONN_PAUSED, CONN_ACKED, CONN_INFLIGHT,
				 * CONN_IDLE_MS, LOCAL_ADDR_IN|LOCAL_ADDR_IN6
				 */
	EVS_CMD_READ,		/* admin, dump: TOPIC, [FROM], [COUNT >= 1];
				 * stored events, see EVS_A_EVENT_*
				 */
	EVS_CMD_CONFIG_GET,	/* reply: EVS_A_CONFIG */
	EVS_CMD_CONFIG_SET,	/* admin: EVS_A_CONFIG with what changes;
				 * all or nothing
				 */
	EVS_CMD_RING_GET,	/* dump: one message per possible CPU and
				 * priority: CPU, PRIO, RING_COUNT, RING_SIZE;
				 * empty until the first listener allocates
				 * the rings (and after a ring size change)
				 */
	EVS_CMD_LATENCY_GET,	/* dump: one message per priority, each with
				 * one EVS_A_LAT_PRIO nest
				 */

	/*
	 * Notifications on the "monitor" group (kernel to user only).  The
	 * group carries no payloads: anyone in the namespace may join.
	 */
	EVS_CMD_NTF_CONN_OPEN,	/* a connection as CONN_GET shows it */
	EVS_CMD_NTF_CONN_CLOSE,	/* the same, plus CLOSE_REASON */
	EVS_CMD_NTF_LISTEN_ADD,	/* a listener as LISTEN_GET shows it */
	EVS_CMD_NTF_LISTEN_DEL,	/* the same, after its connections closed */
	EVS_CMD_NTF_ROUTE_ADD,	/* TOPIC, PRIO */
	EVS_CMD_NTF_ROUTE_DEL,	/* TOPIC */
	EVS_CMD_NTF_CONFIG,	/* EVS_A_CONFIG: all settings, after every
				 * successful CONFIG_SET
				 */
	EVS_CMD_NTF_PROTO_ERROR,	/* CONN_ID, peer ADDR_IN|ADDR_IN6 and
					 * PORT, ERROR_KIND, ERROR_MSG,
					 * EVENT_CLIENT_SEQ (of the bad frame)
					 */
	EVS_CMD_NTF_RATE,	/* once a second while a listener is up:
				 * INTERVAL_MS, STATS (counter deltas over
				 * the interval, unaffected by STATS_RESET),
				 * GAUGES; the first interval after a spell
				 * without listeners covers the whole spell
				 */

	EVS_CMD_CONN_DEL,	/* admin: CONN_ID; resets that connection and
				 * returns once it is closed (CLOSE_ADMIN)
				 */

	__EVS_CMD_MAX,
};

#define EVS_CMD_MAX (__EVS_CMD_MAX - 1)

enum evs_attr {
	EVS_A_UNSPEC,
	EVS_A_PAD,
	EVS_A_VERSION,		/* string: module version, "MAJOR.MINOR.PATCH" */
	EVS_A_PROTO_VERSION,	/* u8: wire protocol version spoken */
	EVS_A_STATS,		/* nest: EVS_STATS_A_* counters */
	EVS_A_GAUGES,		/* nest: EVS_GAUGE_A_* current values */
	EVS_A_LATENCY,		/* nest: EVS_A_LAT_PRIO, one per priority */
	EVS_A_LAT_PRIO,		/* nest: EVS_LAT_A_* */

	/* Addresses: listeners (local), connections (peer). */
	EVS_A_ADDR_IN,		/* binary, 4 bytes: IPv4 address, network order */
	EVS_A_ADDR_IN6,		/* binary, 16 bytes: IPv6 address */
	EVS_A_PORT,		/* u16: TCP port, host order */
	EVS_A_LOCAL_PORT,	/* u16: connection's local (listener) port */

	EVS_A_TOPIC,		/* u16 */
	EVS_A_PRIO,		/* u8: enum evs_prio, never AUTO */

	/* Listener (LISTEN_GET) */
	EVS_A_LISTEN_ACCEPTED,	/* u64: connections accepted by it */
	EVS_A_LISTEN_CONNS,	/* u32: its connections open now */

	/* Connection (CONN_GET) */
	EVS_A_CONN_ID,		/* u64: unique in the namespace, never reused */
	EVS_A_CONN_STATE,	/* u8: enum evs_conn_state */
	EVS_A_CONN_EVENTS,	/* u64: events accepted */
	EVS_A_CONN_BYTES,	/* u64: payload bytes accepted */
	EVS_A_CONN_PAUSED,	/* u8: 1 while reading is paused */
	EVS_A_CONN_ACKED,	/* u32: seq of the last ACK sent */
	EVS_A_CONN_INFLIGHT,	/* u32: events accepted, not yet stored
				 * or stored behind an unsent ACK
				 */

	/* READ request */
	EVS_A_FROM,		/* u64: first store sequence number wanted */
	EVS_A_COUNT,		/* u32: at most this many events */

	/*
	 * READ reply: one message per event, or several for a payload too
	 * big for one message (same EVENT_SEQ, increasing EVENT_OFFSET).
	 */
	EVS_A_EVENT_SEQ,	/* u64: store sequence number within the topic */
	EVS_A_EVENT_CONN,	/* u64: EVS_A_CONN_ID of the sender */
	EVS_A_EVENT_CLIENT_SEQ,	/* u32: seq from the frame header */
	EVS_A_EVENT_TS_INGEST,	/* u64: ns, CLOCK_MONOTONIC: frame parsed */
	EVS_A_EVENT_TS_DEQUEUE,	/* u64: ns: taken off its ring */
	EVS_A_EVENT_TS_DONE,	/* u64: ns: stored */
	EVS_A_EVENT_LEN,	/* u32: whole payload length */
	EVS_A_EVENT_OFFSET,	/* u32: where EVENT_DATA starts in the payload */
	EVS_A_EVENT_DATA,	/* binary: payload bytes from EVENT_OFFSET */

	EVS_A_CONFIG,		/* nest: EVS_CFG_A_* */

	EVS_A_CPU,		/* u32: CPU number (RING_GET) */
	EVS_A_RING_COUNT,	/* u32: events on the ring now */
	EVS_A_RING_SIZE,	/* u32: its slots */
	EVS_A_CONN_IDLE_MS,	/* u64: ms since bytes were last read from the
				 * connection (grows while it is paused)
				 */
	EVS_A_CLOSE_REASON,	/* u8: enum evs_close_reason */
	EVS_A_ERROR_KIND,	/* u8: enum evs_error_kind */
	EVS_A_ERROR_MSG,	/* string: the reason sent in the ERROR frame */
	EVS_A_INTERVAL_MS,	/* u32: length of a NTF_RATE interval */
	EVS_A_LISTEN_FREEBIND,	/* flag: the listener may bind an address
				 * the namespace does not have (yet), as
				 * IP_FREEBIND does
				 */
	EVS_A_LOCAL_ADDR_IN,	/* binary, 4 bytes: connection's local
				 * address (IPv4)
				 */
	EVS_A_LOCAL_ADDR_IN6,	/* binary, 16 bytes: the same, IPv6 */

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
	EVS_STATS_A_CONN_REJECTED,	/* closed at once: over the limit or
					 * out of memory
					 */
	EVS_STATS_A_PAUSES,		/* reads paused by backpressure */
	EVS_STATS_A_RESUMES,		/* paused reads resumed */
	EVS_STATS_A_ACKS,		/* ACK frames sent */
	EVS_STATS_A_POOL_FAILS,		/* event allocations refused: pool
					 * limit reached or out of memory
					 */
	EVS_STATS_A_TRUNCATED,		/* connections that ended mid-frame */
	EVS_STATS_A_NOMEM_RETRIES,	/* retries of readers paused for lack
					 * of memory, each after a delay
					 */
	EVS_STATS_A_EARLY_BUFFERS,	/* frames given their buffer before
					 * the socket held all their payload
					 */

	__EVS_STATS_A_MAX,
};

#define EVS_STATS_A_MAX (__EVS_STATS_A_MAX - 1)
#define EVS_STATS_A_FIRST_COUNTER EVS_STATS_A_FRAMES

/* Current values of one network namespace, all u64; never reset. */
enum evs_gauge_attr {
	EVS_GAUGE_A_UNSPEC,
	EVS_GAUGE_A_PAD,
	EVS_GAUGE_A_LISTENERS,		/* listeners open */
	EVS_GAUGE_A_CONNS,		/* connections open */
	EVS_GAUGE_A_PAUSED,		/* connections paused by backpressure */
	EVS_GAUGE_A_INFLIGHT,		/* events accepted, not yet stored */
	EVS_GAUGE_A_INFLIGHT_HIGH,	/* highest INFLIGHT since load */
	EVS_GAUGE_A_STORE_EVENTS,	/* events in the topic stores */
	EVS_GAUGE_A_STORE_BYTES,	/* bytes charged to the store limit */
	/*
	 * Kernel memory the module holds for the namespace, bytes, as its
	 * objects take it; see docs/security.md ("Memory budget").
	 */
	EVS_GAUGE_A_MEM_INFLIGHT,	/* events in flight */
	EVS_GAUGE_A_MEM_CONNS,		/* connections and their windows */
	EVS_GAUGE_A_MEM_RINGS,		/* the per-CPU rings */
	EVS_GAUGE_A_MEM_OTHER,		/* topics, listeners, routes */
	EVS_GAUGE_A_MEM_USED,		/* all of it: the above and
					 * STORE_BYTES
					 */
	EVS_GAUGE_A_MEM_BUDGET,		/* the most MEM_USED can reach
					 * under the current settings
					 */

	__EVS_GAUGE_A_MAX,
};

#define EVS_GAUGE_A_MAX (__EVS_GAUGE_A_MAX - 1)
#define EVS_GAUGE_A_FIRST EVS_GAUGE_A_LISTENERS

/*
 * Latency from frame parsed to event stored, per priority: a log2
 * histogram.  Bucket 0 counts latencies below 2 ns, bucket i (i > 0)
 * those in [2^i, 2^(i+1)) ns, and the last bucket everything above.
 */
#define EVS_LAT_BUCKETS 40

enum evs_lat_attr {
	EVS_LAT_A_UNSPEC,
	EVS_LAT_A_PRIO,			/* u8: enum evs_prio */
	EVS_LAT_A_BUCKETS,		/* binary: u64[EVS_LAT_BUCKETS] */

	__EVS_LAT_A_MAX,
};

#define EVS_LAT_A_MAX (__EVS_LAT_A_MAX - 1)

/* Settings of one network namespace (CONFIG_GET, CONFIG_SET). */
enum evs_cfg_attr {
	EVS_CFG_A_UNSPEC,
	EVS_CFG_A_PAD,
	EVS_CFG_A_MAX_PAYLOAD,		/* u32: 0..65536 bytes per frame */
	EVS_CFG_A_POOL_LIMIT,		/* u32: events in flight, 1..16777216 */
	EVS_CFG_A_PRESSURE,		/* u8: percent of POOL_LIMIT above which
					 * AUTO traffic goes to batch, 1..100
					 */
	EVS_CFG_A_RING_SIZE,		/* u32: slots per ring, power of two,
					 * 64..65536; only while no listener
					 */
	EVS_CFG_A_STORE_LIMIT,		/* u64: bytes the stores may hold,
					 * 0..1099511627776 (1 TiB)
					 */
	EVS_CFG_A_CONN_LIMIT,		/* u32: connections open at once,
					 * 1..1048576
					 */
	EVS_CFG_A_BATCH,		/* u32: events a consumer takes per run,
					 * 1..65536
					 */
	EVS_CFG_A_IDLE_TIMEOUT,		/* u32: seconds a connection may send
					 * nothing before it is closed,
					 * 0..86400, 0: never
					 */
	EVS_CFG_A_ACK_DELAY,		/* u32: us an ACK may wait to cover
					 * more frames, 0..1000000, 0: at once
					 */

	__EVS_CFG_A_MAX,
};

#define EVS_CFG_A_MAX (__EVS_CFG_A_MAX - 1)

/*
 * Protocol errors (NTF_PROTO_ERROR), in the order the server checks a
 * header; each has its counter, EVS_STATS_A_ERR_*, in the same order.
 */
enum evs_error_kind {
	EVS_ERR_NONE,
	EVS_ERR_MAGIC,			/* bad magic */
	EVS_ERR_VERSION,		/* unsupported version */
	EVS_ERR_RESERVED,		/* reserved flag bits or byte set */
	EVS_ERR_LENGTH,			/* payload length over the limit */
	EVS_ERR_PRIORITY,		/* priority not 0, 1, 2 or 255 */
};

/* Why a connection closed (NTF_CONN_CLOSE). */
enum evs_close_reason {
	EVS_CLOSE_PEER,			/* the client closed (or reset) */
	EVS_CLOSE_ERROR,		/* protocol error, after an ERROR frame */
	EVS_CLOSE_IDLE,			/* sent nothing for IDLE_TIMEOUT */
	EVS_CLOSE_LISTENER,		/* its listener was deleted */
	EVS_CLOSE_SHUTDOWN,		/* namespace or module going away */
	EVS_CLOSE_SEND,			/* sending an ACK or ERROR failed */
	EVS_CLOSE_ADMIN,		/* CONN_DEL: reset by an administrator */
};

/* Multicast groups of the family. */
#define EVS_MCGRP_MONITOR	"monitor"

enum evs_conn_state {
	EVS_CONN_OPEN,			/* reading frames */
	EVS_CONN_DRAINING,		/* peer closed, or sent a bad frame:
					 * storing what it sent before
					 */
	EVS_CONN_CLOSING,		/* being torn down */
};

#endif /* _UAPI_LINUX_EVSTREAM_H */
