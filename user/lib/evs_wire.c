// SPDX-License-Identifier: GPL-2.0
/*
 * Wire-protocol helpers for userspace; see evs_wire.h.
 */
#include <errno.h>
#include <string.h>

#include "evs_wire.h"

size_t evs_wire_put_frame(void *buf, uint8_t flags, uint16_t topic,
			  uint8_t prio, uint32_t seq, const void *payload,
			  uint32_t len)
{
	struct evs_frame f = {
		.magic = EVS_WIRE_MAGIC,
		.version = EVS_WIRE_VERSION,
		.flags = flags,
		.length = len,
		.topic = topic,
		.priority = prio,
		.seq = seq,
	};

	evs_frame_encode(buf, &f);
	if (len)
		memcpy((uint8_t *)buf + EVS_WIRE_HDR_LEN, payload, len);
	return EVS_WIRE_HDR_LEN + (size_t)len;
}

void evs_srv_reader_init(struct evs_srv_reader *r)
{
	memset(r, 0, sizeof(*r));
}

bool evs_srv_reader_idle(const struct evs_srv_reader *r)
{
	return !r->bad && !r->in_payload && !r->have;
}

static bool srv_frame_ok(const struct evs_frame *f)
{
	if (f->magic != EVS_WIRE_MAGIC || f->version != EVS_WIRE_VERSION ||
	    f->reserved)
		return false;
	if (f->flags == EVS_WIRE_F_ACK)
		return f->length == 0;
	if (f->flags == EVS_WIRE_F_ERROR)
		return f->length <= EVS_WIRE_PAYLOAD_CAP;
	return false;
}

enum evs_srv_status evs_srv_read(struct evs_srv_reader *r, const void *buf,
				 size_t len, size_t *used)
{
	const uint8_t *src = buf;
	size_t off = 0, n, i;

	if (r->bad) {
		*used = 0;
		return EVS_SRV_BAD;
	}
	if (!r->in_payload) {
		n = EVS_WIRE_HDR_LEN - r->have;
		if (n > len)
			n = len;
		memcpy(r->hdr + r->have, src, n);
		r->have += n;
		off = n;
		if (r->have < EVS_WIRE_HDR_LEN) {
			*used = off;
			return EVS_SRV_MORE;
		}
		evs_frame_decode(r->hdr, &r->frame);
		if (!srv_frame_ok(&r->frame)) {
			r->bad = true;
			*used = off;
			return EVS_SRV_BAD;
		}
		r->have = 0;
		r->in_payload = true;
		r->reason[0] = '\0';
	}

	n = r->frame.length - r->have;
	if (n > len - off)
		n = len - off;
	/* Keep the start of the reason, printable, for a message. */
	for (i = 0; i < n; i++) {
		uint32_t at = r->have + (uint32_t)i;
		uint8_t c = src[off + i];

		if (at < EVS_SRV_REASON_MAX) {
			r->reason[at] = c >= 0x20 && c < 0x7f ? (char)c : '?';
			r->reason[at + 1] = '\0';
		}
	}
	r->have += (uint32_t)n;
	off += n;
	*used = off;
	if (r->have < r->frame.length)
		return EVS_SRV_MORE;

	r->have = 0;
	r->in_payload = false;
	return r->frame.flags == EVS_WIRE_F_ACK ? EVS_SRV_ACK : EVS_SRV_ERROR;
}

int evs_ack_advance(uint64_t acked, uint64_t sent, uint32_t first_seq,
		    uint32_t ack_seq, uint64_t *new_acked)
{
	/* How far past the first unacked event the ack reaches, minus 1. */
	uint32_t d = ack_seq - (uint32_t)(first_seq + acked);

	*new_acked = acked;
	/* Behind the first unacked event, in wrap-around order: old news. */
	if ((int32_t)d < 0)
		return 0;
	if (d >= sent - acked)
		return -ERANGE;
	*new_acked = acked + d + 1;
	return 0;
}

uint32_t evs_fnv1a32(const void *p, size_t len, uint32_t hash)
{
	const uint8_t *s = p;

	while (len--) {
		hash ^= *s++;
		hash *= 0x01000193u;
	}
	return hash;
}

/* splitmix64 (Steele, Lea, Flood): tiny, fast, good enough for filler. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t load_seed(const struct evs_load_id *id)
{
	uint64_t s = id->run;
	uint64_t mixed = splitmix64(&s);

	/* Two rounds, so that neighbouring events get unrelated streams. */
	s = mixed ^ (((uint64_t)id->conn << 32) | id->index);
	return splitmix64(&s);
}

static void load_filler(uint8_t *p, size_t len, const struct evs_load_id *id)
{
	uint64_t state = load_seed(id);

	while (len) {
		uint64_t x = splitmix64(&state);
		size_t i, n = len < 8 ? len : 8;

		for (i = 0; i < n; i++)
			p[i] = (uint8_t)(x >> (8 * i));
		p += n;
		len -= n;
	}
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

void evs_load_fill(void *buf, uint32_t len, const struct evs_load_id *id)
{
	uint8_t *p = buf;

	put_be32(p, EVS_LOAD_MAGIC);
	put_be32(p + 8, (uint32_t)(id->run >> 32));
	put_be32(p + 12, (uint32_t)id->run);
	put_be32(p + 16, id->conn);
	put_be32(p + 20, id->index);
	load_filler(p + EVS_LOAD_HDR_LEN, len - EVS_LOAD_HDR_LEN, id);
	put_be32(p + 4, evs_fnv1a32(p + 8, len - 8, EVS_FNV1A_INIT));
}

enum evs_load_check evs_load_check(const void *buf, uint32_t len,
				   uint64_t run, struct evs_load_id *id)
{
	const uint8_t *p = buf;
	uint64_t state;
	size_t off;

	if (len < EVS_LOAD_HDR_LEN || get_be32(p) != EVS_LOAD_MAGIC)
		return EVS_LOAD_FOREIGN;
	id->run = (uint64_t)get_be32(p + 8) << 32 | get_be32(p + 12);
	id->conn = get_be32(p + 16);
	id->index = get_be32(p + 20);
	if (id->run != run)
		return EVS_LOAD_FOREIGN;
	if (get_be32(p + 4) != evs_fnv1a32(p + 8, len - 8, EVS_FNV1A_INIT))
		return EVS_LOAD_BAD_SUM;

	/* Same stream as load_filler(), compared as it is generated. */
	state = load_seed(id);
	for (off = EVS_LOAD_HDR_LEN; off < len; off += 8) {
		uint64_t x = splitmix64(&state);
		size_t i, n = len - off < 8 ? len - off : 8;

		for (i = 0; i < n; i++)
			if (p[off + i] != (uint8_t)(x >> (8 * i)))
				return EVS_LOAD_BAD_FILL;
	}
	return EVS_LOAD_OK;
}
