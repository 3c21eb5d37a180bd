/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Streaming frame parser: bytes in, frames out, whatever the cuts between
 * the pieces it is fed.  The module feeds it skbs from tcp_read_sock(),
 * the host tools and tests feed it buffers; both run this code.
 *
 * The parser owns no memory.  For each good header it asks its user for
 * a buffer for the payload (ops->begin), copies the payload into it with
 * ops->copy, and hands the finished frame back (ops->end).  Either
 * callback can pause the parser: it then stops consuming, and the next
 * call carries on exactly where it stopped, so bytes it did not consume
 * stay with the caller (in the module: in the socket's receive queue,
 * which is what makes TCP slow the client down).
 */
#ifndef _EVSTREAM_PARSER_H
#define _EVSTREAM_PARSER_H

#include "frame.h"

enum evs_parser_state {
	EVS_PS_HEADER,		/* collecting header bytes */
	EVS_PS_BUFFER,		/* header good, waiting for ops->begin */
	EVS_PS_PAYLOAD,		/* copying payload */
	EVS_PS_ERROR,		/* a bad header was seen: stays here */
};

struct evs_parser {
	enum evs_parser_state state;
	u32 have;		/* header or payload bytes so far */
	u32 max_payload;	/* the limit evs_frame_check() applies */
	enum evs_frame_err err;	/* why, in EVS_PS_ERROR */
	struct evs_frame frame;	/* the header being handled */
	void *buf;		/* payload destination from ops->begin */
	u8 hdr[EVS_WIRE_HDR_LEN];
};

struct evs_parser_ops {
	/*
	 * A header passed the checks: return where its payload goes
	 * (frame.length bytes, may be 0), or NULL to pause before it.  The
	 * payload starts at @off of the source being fed (0 when the parser
	 * is called again with no bytes after a pause), so a user that knows
	 * how much its source holds beyond what it fed can tell whether the
	 * whole payload is there yet.
	 */
	void *(*begin)(void *ctx, const struct evs_frame *f, size_t off);
	/*
	 * The frame is complete and is the user's from now on.  Return
	 * false to pause after it.
	 */
	bool (*end)(void *ctx, const struct evs_frame *f, void *buf);
	/* Copy @len bytes at @off of the source into @dst. */
	void (*copy)(void *dst, const void *src, size_t off, size_t len);
	/*
	 * The source is the bytes themselves (copy is a memcpy at @off): a
	 * header that lies whole in it is decoded in place, not copied
	 * into the parser first.
	 */
	bool flat;
};

enum evs_parse_status {
	EVS_PARSE_MORE,		/* consumed everything it was given */
	EVS_PARSE_PAUSED,	/* a callback asked to pause */
	EVS_PARSE_ERROR,	/* bad header: see parser->err */
};

static inline void evs_parser_init(struct evs_parser *p, u32 max_payload)
{
	memset(p, 0, sizeof(*p));
	p->state = EVS_PS_HEADER;
	p->max_payload = max_payload;
}

/* True between frames: a stream that ends here ended cleanly. */
static inline bool evs_parser_idle(const struct evs_parser *p)
{
	return p->state == EVS_PS_HEADER && p->have == 0;
}

/*
 * Feeds @len bytes of @src (offsets 0..len-1 for ops->copy).  Stores the
 * number consumed in *@used and says why it stopped.  Always inlined so
 * that the callbacks, known at the call site, are direct calls.
 */
static __always_inline enum evs_parse_status
evs_parse(struct evs_parser *p, const struct evs_parser_ops *ops, void *ctx,
	  const void *src, size_t len, size_t *used)
{
	size_t off = 0;
	u32 n;

	for (;;) {
		switch (p->state) {
		case EVS_PS_HEADER:
			if (off == len)
				goto more;
			if (ops->flat && !p->have &&
			    len - off >= EVS_WIRE_HDR_LEN) {
				evs_frame_decode((const u8 *)src + off,
						 &p->frame);
				off += EVS_WIRE_HDR_LEN;
				goto check;
			}
			n = EVS_WIRE_HDR_LEN - p->have;
			if (n > len - off)
				n = (u32)(len - off);
			ops->copy(p->hdr + p->have, src, off, n);
			p->have += n;
			off += n;
			if (p->have < EVS_WIRE_HDR_LEN)
				goto more;
			evs_frame_decode(p->hdr, &p->frame);
check:
			p->err = evs_frame_check(&p->frame, p->max_payload);
			if (p->err != EVS_FRAME_OK) {
				p->state = EVS_PS_ERROR;
				*used = off;
				return EVS_PARSE_ERROR;
			}
			p->state = EVS_PS_BUFFER;
			fallthrough;
		case EVS_PS_BUFFER:
			p->buf = ops->begin(ctx, &p->frame, off);
			if (!p->buf) {
				*used = off;
				return EVS_PARSE_PAUSED;
			}
			p->have = 0;
			p->state = EVS_PS_PAYLOAD;
			fallthrough;
		case EVS_PS_PAYLOAD:
			n = p->frame.length - p->have;
			if (n > len - off)
				n = (u32)(len - off);
			if (n) {
				ops->copy((u8 *)p->buf + p->have, src, off, n);
				p->have += n;
				off += n;
			}
			if (p->have < p->frame.length)
				goto more;
			p->state = EVS_PS_HEADER;
			p->have = 0;
			if (!ops->end(ctx, &p->frame, p->buf)) {
				*used = off;
				return EVS_PARSE_PAUSED;
			}
			break;
		case EVS_PS_ERROR:
		default:
			*used = off;
			return EVS_PARSE_ERROR;
		}
	}
more:
	*used = off;
	return EVS_PARSE_MORE;
}

#endif /* _EVSTREAM_PARSER_H */
