/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection for tests: makes the Nth allocation at a given point
 * fail.  Only in test builds (make EVS_FAULT=y, `make fault-module`); in
 * the module users run every evs_should_fail() is a constant false.
 *
 * Each site has a countdown: 0 is off, N fails the Nth call from now
 * (once), a negative number every call until it is set back.  They are
 * set with the module parameter fault_load (the load
 * path, which runs before debugfs exists) and, once loaded, through
 * /sys/kernel/debug/evstream/fail_<site>; hits_<site> counts failures
 * injected.
 *
 * Delay points widen a race window that a test must be able to hit on
 * any machine: delay_<point>_ms makes each pass through the point sleep
 * that long (0, the default, is off).
 */
#ifndef _EVS_FAULT_H
#define _EVS_FAULT_H

#include <linux/types.h>

enum evs_fault_site {
	EVS_FAULT_LOAD,		/* caches, workqueues, family at load */
	EVS_FAULT_NET,		/* per-namespace state at namespace creation */
	EVS_FAULT_LISTEN,	/* listener, its rings, its socket */
	EVS_FAULT_CONN,		/* a new connection's state */
	EVS_FAULT_POOL,		/* an event, on the rx path */
	EVS_FAULT_STORE,	/* a topic's index in the store */
	EVS_FAULT_NR,
};

enum evs_delay_point {
	EVS_DELAY_CONN_OPEN,	/* a new connection, hooked, not yet announced */
	EVS_DELAY_LISTEN,	/* a new listener, listening, not yet listed */
	EVS_DELAY_NR,
};

#ifdef EVS_FAULT_INJECT
bool evs_should_fail(enum evs_fault_site site);
void evs_fault_delay(enum evs_delay_point point);
void evs_fault_init(void);
void evs_fault_exit(void);
#else
static inline bool evs_should_fail(enum evs_fault_site site)
{
	return false;
}

static inline void evs_fault_delay(enum evs_delay_point point)
{
}

static inline void evs_fault_init(void)
{
}

static inline void evs_fault_exit(void)
{
}
#endif

#endif /* _EVS_FAULT_H */
