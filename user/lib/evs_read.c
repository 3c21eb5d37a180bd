// SPDX-License-Identifier: GPL-2.0
/*
 * EVS_CMD_READ: dump, reassembly and retry; see evs_read.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "evs_read.h"

struct read_state {
	uint16_t topic;
	int (*cb)(const struct evs_event *ev, void *data);
	void *data;

	/* Progress over all passes. */
	uint64_t from;		/* FROM of the current pass */
	uint64_t last_seq;	/* of the last event delivered */
	bool delivered_any;
	bool limited;		/* a COUNT was asked for */
	uint32_t left;		/* events still wanted, when limited */
	unsigned int pass_delivered;
	bool stopped;		/* the callback asked to stop */
	int cb_err;		/* the callback's error */

	/* The event being put together from fragments. */
	bool partial;
	struct evs_event ev;
	uint32_t have;		/* payload bytes so far */
	bool cut;		/* an event was left unfinished */
	uint8_t *buf;
	size_t buf_size;
};

/* errno for evs_nl_talk(), which turns MNL_CB_ERROR into -errno. */
static int proto_err(void)
{
	errno = EPROTO;
	return MNL_CB_ERROR;
}

static int deliver(struct read_state *st, const struct evs_event *ev)
{
	int ret;

	if (st->limited && !st->left)
		return proto_err();
	ret = st->cb(ev, st->data);
	st->last_seq = ev->seq;
	st->delivered_any = true;
	st->pass_delivered++;
	if (st->limited)
		st->left--;
	if (ret < 0) {
		st->cb_err = ret;
		errno = -ret;
		return MNL_CB_ERROR;
	}
	if (ret > 0) {
		st->stopped = true;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

/* The metadata every message of an event carries. */
static int parse_meta(const struct nlattr **tb, struct evs_event *ev)
{
	if (evs_nl_get_u16(tb[EVS_A_TOPIC], &ev->topic) ||
	    evs_nl_get_u64(tb[EVS_A_EVENT_SEQ], &ev->seq) ||
	    evs_nl_get_u64(tb[EVS_A_EVENT_CONN], &ev->conn) ||
	    evs_nl_get_u32(tb[EVS_A_EVENT_CLIENT_SEQ], &ev->client_seq) ||
	    evs_nl_get_u8(tb[EVS_A_PRIO], &ev->prio) ||
	    evs_nl_get_u64(tb[EVS_A_EVENT_TS_INGEST], &ev->ts_ingest) ||
	    evs_nl_get_u64(tb[EVS_A_EVENT_TS_DEQUEUE], &ev->ts_dequeue) ||
	    evs_nl_get_u64(tb[EVS_A_EVENT_TS_DONE], &ev->ts_done) ||
	    evs_nl_get_u32(tb[EVS_A_EVENT_LEN], &ev->len))
		return -EPROTO;
	return 0;
}

static int read_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct read_state *st = data;
	struct evs_event ev = { 0 };
	const void *chunk = NULL;
	uint32_t off, clen = 0;

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) || parse_meta(tb, &ev) ||
	    evs_nl_get_u32(tb[EVS_A_EVENT_OFFSET], &off))
		return proto_err();
	if (tb[EVS_A_EVENT_DATA]) {
		chunk = mnl_attr_get_payload(tb[EVS_A_EVENT_DATA]);
		clen = mnl_attr_get_payload_len(tb[EVS_A_EVENT_DATA]);
	}
	if (ev.topic != st->topic || ev.len > EVS_WIRE_PAYLOAD_CAP ||
	    off > ev.len || clen > ev.len - off || ev.seq < st->from ||
	    (st->delivered_any && ev.seq <= st->last_seq))
		return proto_err();

	if (st->partial && ev.seq != st->ev.seq) {
		/*
		 * The rest of the last event never came.  Fine if the dump
		 * turns out interrupted, an error if not; either way nothing
		 * after it may be delivered, or a retry (which starts after
		 * the last event delivered) would skip it.
		 */
		st->partial = false;
		st->cut = true;
		return MNL_CB_STOP;
	}
	if (st->partial) {
		/* Only the payload goes on; the metadata must not change. */
		if (off != st->have || ev.len != st->ev.len ||
		    ev.conn != st->ev.conn ||
		    ev.client_seq != st->ev.client_seq)
			return proto_err();
	} else {
		if (off)
			return proto_err();
		/* Common case, a whole event: no copy. */
		if (clen == ev.len) {
			ev.data = chunk;
			return deliver(st, &ev);
		}
		if (st->buf_size < ev.len) {
			uint8_t *p = realloc(st->buf, ev.len);

			if (!p)
				return MNL_CB_ERROR;	/* errno is ENOMEM */
			st->buf = p;
			st->buf_size = ev.len;
		}
		st->ev = ev;
		st->have = 0;
		st->partial = true;
	}
	if (clen)
		memcpy(st->buf + st->have, chunk, clen);
	st->have += clen;
	if (st->have < st->ev.len)
		return MNL_CB_OK;
	st->partial = false;
	st->ev.data = st->buf;
	return deliver(st, &st->ev);
}

/* One EVS_CMD_READ dump from st->from; returns evs_nl_talk()'s result. */
static int read_pass(struct evs_nl *nl, struct read_state *st)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;

	nlh = evs_nl_req(nl, buf, EVS_CMD_READ, NLM_F_DUMP);
	if (!mnl_attr_put_u16_check(nlh, sizeof(buf), EVS_A_TOPIC, st->topic) ||
	    !mnl_attr_put_u64_check(nlh, sizeof(buf), EVS_A_FROM, st->from) ||
	    (st->limited &&
	     !mnl_attr_put_u32_check(nlh, sizeof(buf), EVS_A_COUNT, st->left)))
		return -EMSGSIZE;
	st->partial = false;
	st->cut = false;
	st->pass_delivered = 0;
	return evs_nl_talk(nl, nlh, read_cb, st);
}

int evs_read_topic(struct evs_nl *nl, uint16_t topic, uint64_t from,
		   uint32_t count,
		   int (*cb)(const struct evs_event *ev, void *data),
		   void *data)
{
	struct read_state st = {
		.topic = topic,
		.cb = cb,
		.data = data,
		.from = from,
		.limited = count != EVS_READ_ALL,
		.left = count,
	};
	unsigned int idle = 0;
	int err;

	for (;;) {
		err = read_pass(nl, &st);
		if (st.cb_err) {
			err = st.cb_err;
			break;
		}
		if (st.stopped || (st.limited && !st.left)) {
			/* Got all that was wanted; an interruption after
			 * that does not matter.
			 */
			if (err == -EINTR)
				err = 0;
			break;
		}
		if (err != -EINTR) {
			/* A complete dump must not end in the middle of an
			 * event, nor leave one unfinished.
			 */
			if (!err && (st.partial || st.cut))
				err = -EPROTO;
			break;
		}
		idle = st.pass_delivered ? 0 : idle + 1;
		if (idle > EVS_READ_RETRIES)
			break;
		/* Restart at the first event not delivered, whole. */
		if (st.delivered_any) {
			if (st.last_seq == UINT64_MAX) {
				err = 0;
				break;
			}
			st.from = st.last_seq + 1;
		}
	}
	free(st.buf);
	return err;
}
