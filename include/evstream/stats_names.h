/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of counters, gauges, priorities and states: the keys and words of
 * /proc/net/evstream/ and of evctl, kept in one place so they never
 * disagree.
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
	case EVS_STATS_A_POOL_FAILS:	return "pool_fails";
	case EVS_STATS_A_TRUNCATED:	return "truncated";
	case EVS_STATS_A_NOMEM_RETRIES:	return "nomem_retries";
	case EVS_STATS_A_EARLY_BUFFERS:	return "early_buffers";
	default:			return NULL;
	}
}

#define EVS_NR_GAUGES (EVS_GAUGE_A_MAX - EVS_GAUGE_A_FIRST + 1)

/* @attr is an EVS_GAUGE_A_* value; NULL for anything else. */
static inline const char *evs_gauge_name(int attr)
{
	switch (attr) {
	case EVS_GAUGE_A_LISTENERS:	return "listeners";
	case EVS_GAUGE_A_CONNS:		return "conns";
	case EVS_GAUGE_A_PAUSED:	return "paused";
	case EVS_GAUGE_A_INFLIGHT:	return "inflight";
	case EVS_GAUGE_A_INFLIGHT_HIGH:	return "inflight_high";
	case EVS_GAUGE_A_STORE_EVENTS:	return "store_events";
	case EVS_GAUGE_A_STORE_BYTES:	return "store_bytes";
	case EVS_GAUGE_A_MEM_INFLIGHT:	return "mem_inflight";
	case EVS_GAUGE_A_MEM_CONNS:	return "mem_conns";
	case EVS_GAUGE_A_MEM_RINGS:	return "mem_rings";
	case EVS_GAUGE_A_MEM_OTHER:	return "mem_other";
	case EVS_GAUGE_A_MEM_USED:	return "mem_used";
	case EVS_GAUGE_A_MEM_BUDGET:	return "mem_budget";
	default:			return NULL;
	}
}

/* Priority names, as evctl and /proc spell them. */
static inline const char *evs_prio_name(int prio)
{
	switch (prio) {
	case EVS_PRIO_RT:	return "realtime";
	case EVS_PRIO_TX:	return "transactional";
	case EVS_PRIO_BATCH:	return "batch";
	case EVS_PRIO_AUTO:	return "auto";
	default:		return NULL;
	}
}

/* Names of enum evs_conn_state. */
static inline const char *evs_conn_state_name(int state)
{
	switch (state) {
	case EVS_CONN_OPEN:	return "open";
	case EVS_CONN_DRAINING:	return "draining";
	case EVS_CONN_CLOSING:	return "closing";
	default:		return NULL;
	}
}

/* Names of enum evs_error_kind. */
static inline const char *evs_error_kind_name(int kind)
{
	switch (kind) {
	case EVS_ERR_MAGIC:	return "magic";
	case EVS_ERR_VERSION:	return "version";
	case EVS_ERR_RESERVED:	return "reserved";
	case EVS_ERR_LENGTH:	return "length";
	case EVS_ERR_PRIORITY:	return "priority";
	default:		return NULL;
	}
}

/* Names of enum evs_close_reason. */
static inline const char *evs_close_reason_name(int reason)
{
	switch (reason) {
	case EVS_CLOSE_PEER:		return "peer";
	case EVS_CLOSE_ERROR:		return "error";
	case EVS_CLOSE_IDLE:		return "idle";
	case EVS_CLOSE_LISTENER:	return "listener";
	case EVS_CLOSE_SHUTDOWN:	return "shutdown";
	case EVS_CLOSE_SEND:		return "send";
	case EVS_CLOSE_ADMIN:		return "admin";
	default:			return NULL;
	}
}

#endif /* _EVSTREAM_STATS_NAMES_H */
