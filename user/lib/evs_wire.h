/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The client and server side of the wire protocol for userspace tools
 * (evload, a userspace evsink, tests): building frames, reading what a
 * server sends back, acks with wrap-around, and the self-checking payload
 * evload sends.  docs/protocol.md is the normative text; the header codec
 * itself is include/evstream/frame.h, shared with the module.
 */
#ifndef _EVS_WIRE_H
#define _EVS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <evstream/frame.h>

/* ---- Frames ---- */

/*
 * Writes one frame (header, then @len bytes of @payload, which may be
 * NULL when @len is 0) at @buf, which has room for EVS_WIRE_HDR_LEN + @len
 * bytes.  Returns the bytes written.
 */
size_t evs_wire_put_frame(void *buf, uint8_t flags, uint16_t topic,
			  uint8_t prio, uint32_t seq, const void *payload,
			  uint32_t len);

/*
 * Reads the frames a server sends to a client: ACKs and ERRORs.  Feed it
 * the bytes as they come, whatever the cuts; it stops after each complete
 * frame so that the caller sees every one.
 */
enum evs_srv_status {
	EVS_SRV_MORE,		/* used everything, no frame complete */
	EVS_SRV_ACK,		/* an ACK: frame.seq */
	EVS_SRV_ERROR,		/* an ERROR: frame.seq, reason */
	EVS_SRV_BAD,		/* not a valid server frame: stays here */
};

/* Reason text kept from an ERROR frame; the rest is dropped. */
#define EVS_SRV_REASON_MAX	255

struct evs_srv_reader {
	struct evs_frame frame;	/* the frame being read, host order */
	uint32_t have;		/* header bytes, then payload bytes */
	bool in_payload;
	bool bad;
	uint8_t hdr[EVS_WIRE_HDR_LEN];
	/* ERROR payload, NUL-terminated, non-printable bytes as '?'. */
	char reason[EVS_SRV_REASON_MAX + 1];
};

void evs_srv_reader_init(struct evs_srv_reader *r);

/*
 * Consumes bytes of @buf up to the end of the next frame and stores how
 * many in *@used.  A server frame has the magic, version 1, reserved 0,
 * and either flag ACK alone with length 0 or flag ERROR alone with a
 * length up to EVS_WIRE_PAYLOAD_CAP.
 */
enum evs_srv_status evs_srv_read(struct evs_srv_reader *r, const void *buf,
				 size_t len, size_t *used);

/* True between frames: a stream that ends here ended cleanly. */
bool evs_srv_reader_idle(const struct evs_srv_reader *r);

/*
 * Cumulative acks.  Events 0, 1, 2, ... of a connection went out with
 * client seqs @first_seq, @first_seq + 1, ... (mod 2^32); the first
 * @acked are acked and @sent were sent.  For an ACK carrying @ack_seq,
 * stores the new number of acked events in *@new_acked: unchanged for an
 * ack of something already acked (seqs compare with wrap-around, like
 * TCP's, so fewer than 2^31 events may be outstanding).  Returns 0, or
 * -ERANGE when @ack_seq names an event not sent yet.
 */
int evs_ack_advance(uint64_t acked, uint64_t sent, uint32_t first_seq,
		    uint32_t ack_seq, uint64_t *new_acked);

/* ---- The self-checking payload of evload ---- */

/*
 * Layout (all big endian), EVS_LOAD_HDR_LEN bytes of header then filler:
 *
 *	0   u32  magic EVS_LOAD_MAGIC ("EvLd")
 *	4   u32  FNV-1a 32 of bytes 8 .. len-1 (everything after this field)
 *	8   u64  run id: random per evload run, tells runs apart in a store
 *	16  u32  connection index within the run (0 .. conns-1)
 *	20  u32  index of the event within its connection (0, 1, ...)
 *	24  ...  filler: splitmix64 stream seeded from (run, conn, index),
 *		 each 64-bit output written little end first
 *
 * The checksum catches corruption anywhere; the filler can also be
 * recomputed, so a checker can say which bytes are wrong and a payload
 * copied from another event (same checksum arithmetic, other seed) is
 * caught too.
 */
#define EVS_LOAD_MAGIC		0x45764c64
#define EVS_LOAD_HDR_LEN	24

struct evs_load_id {
	uint64_t run;
	uint32_t conn;
	uint32_t index;
};

enum evs_load_check {
	EVS_LOAD_OK,
	EVS_LOAD_FOREIGN,	/* not from this run: too short, other magic
				 * or other run id
				 */
	EVS_LOAD_BAD_SUM,	/* the checksum does not match */
	EVS_LOAD_BAD_FILL,	/* checksum fine, filler not what the seed
				 * gives
				 */
};

/* FNV-1a 32 of @len bytes, continuing from @hash (start: EVS_FNV1A_INIT). */
#define EVS_FNV1A_INIT		0x811c9dc5u
uint32_t evs_fnv1a32(const void *p, size_t len, uint32_t hash);

/* Fills @len >= EVS_LOAD_HDR_LEN bytes at @buf for event @id. */
void evs_load_fill(void *buf, uint32_t len, const struct evs_load_id *id);

/*
 * Checks a stored payload against run @run; on EVS_LOAD_OK and the BAD
 * results stores what its header says in *@id.
 */
enum evs_load_check evs_load_check(const void *buf, uint32_t len,
				   uint64_t run, struct evs_load_id *id);

#endif /* _EVS_WIRE_H */
