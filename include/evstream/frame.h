/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Wire-frame header codec, shared by the module, the userspace tools, the
 * host unit tests and the fuzzers.  docs/protocol.md is the normative text.
 */
#ifndef _EVSTREAM_FRAME_H
#define _EVSTREAM_FRAME_H

#include "compat.h"
#include <linux/evstream.h>

/* A decoded header, in host byte order. */
struct evs_frame {
	u16 magic;
	u8 version;
	u8 flags;
	u32 length;
	u16 topic;
	u8 priority;
	u8 reserved;
	u32 seq;
};

/*
 * Why a header was refused: the UAPI's enum evs_error_kind, which the
 * monitor group reports and whose order the EVS_STATS_A_ERR_* counters
 * follow.
 */
enum evs_frame_err {
	EVS_FRAME_OK = EVS_ERR_NONE,
	EVS_FRAME_ERR_MAGIC = EVS_ERR_MAGIC,
	EVS_FRAME_ERR_VERSION = EVS_ERR_VERSION,
	EVS_FRAME_ERR_RESERVED = EVS_ERR_RESERVED,
	EVS_FRAME_ERR_LENGTH = EVS_ERR_LENGTH,
	EVS_FRAME_ERR_PRIORITY = EVS_ERR_PRIORITY,
	EVS_FRAME_ERR_NR,
};

static inline void evs_frame_decode(const void *buf, struct evs_frame *f)
{
	struct evs_wire_hdr h;

	/* The header may sit at any alignment inside a stream buffer. */
	memcpy(&h, buf, sizeof(h));
	f->magic = be16_to_cpu(h.magic);
	f->version = h.version;
	f->flags = h.flags;
	f->length = be32_to_cpu(h.length);
	f->topic = be16_to_cpu(h.topic);
	f->priority = h.priority;
	f->reserved = h.reserved;
	f->seq = be32_to_cpu(h.seq);
}

static inline void evs_frame_encode(void *buf, const struct evs_frame *f)
{
	struct evs_wire_hdr h;

	h.magic = cpu_to_be16(f->magic);
	h.version = f->version;
	h.flags = f->flags;
	h.length = cpu_to_be32(f->length);
	h.topic = cpu_to_be16(f->topic);
	h.priority = f->priority;
	h.reserved = f->reserved;
	h.seq = cpu_to_be32(f->seq);
	memcpy(buf, &h, sizeof(h));
}

/*
 * Checks a header a client sent.  @max_payload is the namespace's current
 * limit (never above EVS_WIRE_PAYLOAD_CAP).  The checks run in wire order
 * so that the first bad field is the one reported.
 */
static inline enum evs_frame_err
evs_frame_check(const struct evs_frame *f, u32 max_payload)
{
	if (f->magic != EVS_WIRE_MAGIC)
		return EVS_FRAME_ERR_MAGIC;
	if (f->version != EVS_WIRE_VERSION)
		return EVS_FRAME_ERR_VERSION;
	/* ACK and ERROR are server-to-client only; the rest is reserved. */
	if ((f->flags & ~EVS_WIRE_F_CLIENT_MASK) || f->reserved)
		return EVS_FRAME_ERR_RESERVED;
	if (f->length > max_payload || f->length > EVS_WIRE_PAYLOAD_CAP)
		return EVS_FRAME_ERR_LENGTH;
	if (f->priority >= EVS_PRIO_NR && f->priority != EVS_PRIO_AUTO)
		return EVS_FRAME_ERR_PRIORITY;
	return EVS_FRAME_OK;
}

/* The reason sent to the client in the ERROR frame, and logged. */
static inline const char *evs_frame_strerror(enum evs_frame_err err)
{
	switch (err) {
	case EVS_FRAME_OK:
		return "ok";
	case EVS_FRAME_ERR_MAGIC:
		return "bad magic";
	case EVS_FRAME_ERR_VERSION:
		return "unsupported version";
	case EVS_FRAME_ERR_RESERVED:
		return "reserved bits set";
	case EVS_FRAME_ERR_LENGTH:
		return "payload length over limit";
	case EVS_FRAME_ERR_PRIORITY:
		return "unknown priority";
	default:
		return "unknown error";
	}
}

#endif /* _EVSTREAM_FRAME_H */
