/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lets the portable pieces of evstream (frame codec, ring) compile both in
 * the kernel and on the host, so the host unit tests and fuzzers exercise
 * the very code the module runs.
 */
#ifndef _EVSTREAM_COMPAT_H
#define _EVSTREAM_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/compiler.h>
#include <asm/byteorder.h>
#else
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <endian.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#define cpu_to_be16(x)	((__be16)htobe16(x))
#define cpu_to_be32(x)	((__be32)htobe32(x))
#define be16_to_cpu(x)	be16toh((__u16)(x))
#define be32_to_cpu(x)	be32toh((__u32)(x))

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif
#endif /* __KERNEL__ */

#endif /* _EVSTREAM_COMPAT_H */
