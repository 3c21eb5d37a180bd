/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the EVS_STATS_A_* counters: the keys of /proc/net/evstream/stats
 * and of `evctl -j stats`, kept in one place so the two never disagree.
 */
#ifndef _EVSTREAM_STATS_NAMES_H
#define _EVSTREAM_STATS_NAMES_H

#include <linux/evstream.h>

#define EVS_NR_COUNTERS (EVS_STATS_A_MAX - EVS_STATS_A_FIRST_COUNTER + 1)

/* @attr is an EVS_STATS_A_* counter; NULL for anything else. */
static inline const char *evs_counter_name(int attr)
{
	switch (attr) {
	case EVS_STATS_A_FRAMES:	return "frames";
	case EVS_STATS_A_BYTES:		return "bytes";
	case EVS_STATS_A_STORED:	return "stored";
	case EVS_STATS_A_EVICTED:	return "evicted";
	case EVS_STATS_A_ENQ_RT:	return "enqueued_rt";
	case EVS_STATS_A_ENQ_TX:	return "enqueued_tx";
	case EVS_STATS_A_ENQ_BATCH:	return "enqueued_batch";
	case EVS_STATS_A_DONE_RT:	return "processed_rt";
	case EVS_STATS_A_DONE_TX:	return "processed_tx";
	case EVS_STATS_A_DONE_BATCH:	return "processed_batch";
	case EVS_STATS_A_ERR_MAGIC:	return "err_magic";
	case EVS_STATS_A_ERR_VERSION:	return "err_version";
	case EVS_STATS_A_ERR_RESERVED:	return "err_reserved";
	case EVS_STATS_A_ERR_LENGTH:	return "err_length";
	case EVS_STATS_A_ERR_PRIORITY:	return "err_priority";
	case EVS_STATS_A_CONN_ACCEPTED:	return "conn_accepted";
	case EVS_STATS_A_CONN_CLOSED:	return "conn_closed";
	case EVS_STATS_A_CONN_REJECTED:	return "conn_rejected";
	case EVS_STATS_A_PAUSES:	return "pauses";
	case EVS_STATS_A_RESUMES:	return "resumes";
	case EVS_STATS_A_ACKS:		return "acks";
	default:			return NULL;
	}
}

#endif /* _EVSTREAM_STATS_NAMES_H */
