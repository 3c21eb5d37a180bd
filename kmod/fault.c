// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for tests (see fault.h); built only with EVS_FAULT=y.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/module.h>
#include "fault.h"

static atomic_t evs_fault_nth[EVS_FAULT_NR];
static atomic_t evs_fault_hits[EVS_FAULT_NR];
static atomic_t evs_delay_ms[EVS_DELAY_NR];
static struct dentry *evs_fault_dir;

static const char *const evs_fault_names[EVS_FAULT_NR] = {
	[EVS_FAULT_LOAD] = "load",
	[EVS_FAULT_NET] = "net",
	[EVS_FAULT_LISTEN] = "listen",
	[EVS_FAULT_CONN] = "conn",
	[EVS_FAULT_POOL] = "pool",
	[EVS_FAULT_STORE] = "store",
};

static const char *const evs_delay_names[EVS_DELAY_NR] = {
	[EVS_DELAY_CONN_OPEN] = "conn_open",
	[EVS_DELAY_LISTEN] = "listen",
};

static unsigned int fault_load;
module_param(fault_load, uint, 0444);
MODULE_PARM_DESC(fault_load, "test builds: fail the Nth allocation of the load path");

bool evs_should_fail(enum evs_fault_site site)
{
	atomic_t *nth = &evs_fault_nth[site];
	int n = atomic_read(nth);

	/* Armed with a negative number: every call fails until disarmed. */
	if (n < 0) {
		atomic_inc(&evs_fault_hits[site]);
		return true;
	}
	/* Count down only while armed; the call that reaches 0 fails. */
	while (n > 0) {
		int seen = atomic_cmpxchg(nth, n, n - 1);

		if (seen == n) {
			if (n > 1)
				return false;
			atomic_inc(&evs_fault_hits[site]);
			return true;
		}
		n = seen;
	}
	return false;
}

/* Process context only: the points are where sleeping is allowed. */
void evs_fault_delay(enum evs_delay_point point)
{
	int ms = atomic_read(&evs_delay_ms[point]);

	if (ms > 0)
		msleep(ms);
}

/* First thing at load: arms the load path and makes the knobs. */
void evs_fault_init(void)
{
	char name[32];
	int i;

	atomic_set(&evs_fault_nth[EVS_FAULT_LOAD], fault_load);
	evs_fault_dir = debugfs_create_dir("evstream", NULL);
	for (i = 0; i < EVS_FAULT_NR; i++) {
		snprintf(name, sizeof(name), "fail_%s", evs_fault_names[i]);
		debugfs_create_atomic_t(name, 0600, evs_fault_dir,
					&evs_fault_nth[i]);
		snprintf(name, sizeof(name), "hits_%s", evs_fault_names[i]);
		debugfs_create_atomic_t(name, 0400, evs_fault_dir,
					&evs_fault_hits[i]);
	}
	for (i = 0; i < EVS_DELAY_NR; i++) {
		snprintf(name, sizeof(name), "delay_%s_ms", evs_delay_names[i]);
		debugfs_create_atomic_t(name, 0600, evs_fault_dir,
					&evs_delay_ms[i]);
	}
}

void evs_fault_exit(void)
{
	debugfs_remove_recursive(evs_fault_dir);
}
