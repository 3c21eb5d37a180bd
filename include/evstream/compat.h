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

#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif

#ifndef __always_inline
#define __always_inline	inline __attribute__((__always_inline__))
#endif

/* The kernel's memory-ordering primitives, from the C11 builtins. */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

#define SMP_CACHE_BYTES		64
#define ____cacheline_aligned	__attribute__((__aligned__(SMP_CACHE_BYTES)))
#endif /* __KERNEL__ */

#endif /* _EVSTREAM_COMPAT_H */
