/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _EVSTREAM_VERSION_H
#define _EVSTREAM_VERSION_H

/* Release of the module and the tools; both report it. */
#define EVS_VERSION "0.1.0"

#endif /* _EVSTREAM_VERSION_H */
