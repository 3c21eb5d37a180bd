/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the evstream kselftests (run as root inside the VM).
 */
#ifndef _EVS_TEST_H
#define _EVS_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "evs_nl.h"

#define EVS_NOBODY 65534

/*
 * Moves the calling process into a new network namespace with its
 * loopback up, so every test starts from a namespace nobody else uses.
 */
static inline int evs_test_new_netns(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, err;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!err) {
		ifr.ifr_flags |= IFF_UP;
		err = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	err = err ? -errno : 0;
	close(fd);
	return err;
}

/* Becomes nobody, which drops every capability. */
static inline int evs_test_drop_privileges(void)
{
	if (setgroups(0, NULL) || setresgid(EVS_NOBODY, EVS_NOBODY, EVS_NOBODY) ||
	    setresuid(EVS_NOBODY, EVS_NOBODY, EVS_NOBODY))
		return -errno;
	return 0;
}

static inline int evs_test_stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];

	if (evs_nl_parse(nlh, tb, EVS_A_MAX) || !tb[EVS_A_STATS])
		return MNL_CB_ERROR;
	if (evs_nl_parse_stats(tb[EVS_A_STATS], data))
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

/* The namespace's counters through EVS_CMD_GET_STATS. */
static inline int evs_test_get_stats(struct evs_nl *nl, struct evs_stats *st)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;

	memset(st, 0, sizeof(*st));
	return evs_nl_talk(nl, evs_nl_req(nl, buf, EVS_CMD_GET_STATS, 0),
			   evs_test_stats_cb, st);
}

/*
 * The namespace's counters through /proc/net/evstream/stats.  Returns the
 * number of lines read, -errno when the file cannot be opened, or -EPROTO
 * for a line with an unknown name, or a known name twice.
 */
static inline int evs_test_proc_stats(struct evs_stats *st)
{
	FILE *f = fopen("/proc/net/evstream/stats", "r");
	unsigned long long v;
	char name[64];
	int i, n = 0;

	memset(st, 0, sizeof(*st));
	if (!f)
		return -errno;
	while (fscanf(f, "%63s %llu", name, &v) == 2) {
		for (i = 0; i < EVS_NR_COUNTERS; i++)
			if (!strcmp(name,
				    evs_counter_name(EVS_STATS_A_FIRST_COUNTER + i)))
				break;
		if (i == EVS_NR_COUNTERS || st->present[i]) {
			n = -EPROTO;
			break;
		}
		st->counters[i] = v;
		st->present[i] = true;
		n++;
	}
	if (n >= 0 && !feof(f))
		n = -EPROTO;
	fclose(f);
	return n;
}

#endif /* _EVS_TEST_H */
