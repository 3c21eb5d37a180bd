/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Numbers as a human reads them best, for text output only: JSON always
 * carries the raw numbers.  Each returns @buf; EVCTL_UNIT_LEN bytes are
 * always enough.
 *
 *	evctl_fmt_count(1234567, buf, sizeof(buf))	"1.2M"
 *	evctl_fmt_bytes(1536, buf, sizeof(buf))		"1.5 KiB"
 *	evctl_fmt_ns(3400, buf, sizeof(buf))		"3.4 µs"
 *	evctl_fmt_ms(125000, buf, sizeof(buf))		"2m05s"
 */
#ifndef _EVCTL_UNITS_H
#define _EVCTL_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define EVCTL_UNIT_LEN	32

/* One decimal and a k, M, G, T, P or E (powers of 1000) suffix: "999.0". */
const char *evctl_fmt_count(double v, char *buf, size_t size);

/* "640 B", else one decimal and KiB, MiB, ... EiB (powers of 1024). */
const char *evctl_fmt_bytes(double v, char *buf, size_t size);

/* "512 ns", else one decimal and µs, ms or s. */
const char *evctl_fmt_ns(uint64_t ns, char *buf, size_t size);

/* A duration: "850 ms", "12.3 s", "4m03s", "2h05m", "3d04h". */
const char *evctl_fmt_ms(uint64_t ms, char *buf, size_t size);

#endif /* _EVCTL_UNITS_H */
