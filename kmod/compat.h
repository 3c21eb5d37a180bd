/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differences between the kernels evstream supports (Debian's 6.1
 * and 6.12, generic and PREEMPT_RT), in one place.  Each entry names the
 * kernel change it follows.  The stage files call these helpers and hold
 * no version checks of their own.
 *
 * Changes between 6.1 and 6.12 that the module meets without a helper
 * here, and why, are in docs/design.md ("Kernels").
 */
#ifndef _EVS_COMPAT_H
#define _EVS_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>

/*
 * The parsed attributes of a dump request.  6.6 ("genetlink: add struct
 * genl_info to struct genl_dumpit_info", with genl_info_dump()) moved
 * them from genl_dumpit_info.attrs into a genl_info of the dump.
 */
static inline struct nlattr **evs_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

#endif /* _EVS_COMPAT_H */
