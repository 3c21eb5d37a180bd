/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a topic's stored events back (EVS_CMD_READ, needs CAP_NET_ADMIN):
 * the dump, the reassembly of payloads the kernel split over several
 * messages, and the retry after an interrupted dump, so that a caller sees
 * each stored event once, whole, in store order.
 *
 *	static int show(const struct evs_event *ev, void *data)
 *	{
 *		printf("%" PRIu64 ": %u bytes\n", ev->seq, ev->len);
 *		return 0;
 *	}
 *
 *	err = evs_read_topic(&nl, 7, 0, EVS_READ_ALL, show, NULL);
 */
#ifndef _EVS_READ_H
#define _EVS_READ_H

#include <stdint.h>

#include "evs_nl.h"

/* One stored event, as EVS_CMD_READ describes it (EVS_A_EVENT_*). */
struct evs_event {
	uint64_t seq;		/* store sequence number within the topic */
	uint64_t conn;		/* EVS_A_CONN_ID of the sender */
	uint64_t ts_ingest;	/* ns, CLOCK_MONOTONIC: frame parsed */
	uint64_t ts_dequeue;	/* ns: taken off its ring */
	uint64_t ts_done;	/* ns: stored */
	uint32_t client_seq;	/* seq of the frame header */
	uint32_t len;		/* payload length */
	uint16_t topic;
	uint8_t prio;		/* enum evs_prio, never AUTO */
	/* The whole payload; only valid until the callback returns. */
	const void *data;
};

/* @count for evs_read_topic(): no limit (EVS_A_COUNT is left out). */
#define EVS_READ_ALL		0
/*
 * Interrupted dumps in a row that delivered nothing new before
 * evs_read_topic() gives up with -EINTR.  A dump that makes progress
 * resets the count, so a topic that keeps changing is still read to its
 * end.
 */
#define EVS_READ_RETRIES	8

/*
 * Calls @cb for each event of @topic with a store sequence number of at
 * least @from, in store order, at most @count of them (EVS_READ_ALL: all).
 * Events evicted by the store limit are gone: the first one delivered may
 * have a higher sequence number than @from.
 *
 * When the kernel flags the dump as interrupted (the store changed under
 * it), the events already delivered stand (a stored event never changes)
 * and the read goes on from the first sequence number not yet delivered,
 * at most EVS_READ_RETRIES times in a row without progress.
 *
 * @cb returns 0 to go on, a positive value to stop early (not an error),
 * or a negative errno to stop with that error.  It must not use @nl.
 *
 * Returns 0, @cb's negative value, -EPROTO for a malformed reply (an
 * event of another topic, sequence numbers out of order, fragments that
 * do not add up, more events than @count), -EINTR when the retries ran
 * out, -ENOMEM, or what evs_nl_talk() returns (nl->errmsg says more).
 */
int evs_read_topic(struct evs_nl *nl, uint16_t topic, uint64_t from,
		   uint32_t count,
		   int (*cb)(const struct evs_event *ev, void *data),
		   void *data);

#endif /* _EVS_READ_H */
