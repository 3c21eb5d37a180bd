#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the seed inputs of the evstream fuzzers.

    selftests/fuzz/mkcorpus.py [OUTDIR]

OUTDIR defaults to selftests/fuzz/corpus next to this script; seeds go to
OUTDIR/parser/ and OUTDIR/ring/.  The headers are packed here with
struct, from docs/protocol.md, not with the C codec under test.  Seeds
are small on purpose: libFuzzer grows them, and a seed only has to reach
each path once (good frames, every kind of bad header, truncation,
pauses, cuts inside headers).  The input layouts are described at the
top of parser_fuzz.c and ring_fuzz.c.
"""

import os
import struct
import sys

MAGIC = 0x4576
ACK_REQ = 0x01

# Indices into max_payloads[] in parser_fuzz.c.
MAX_0 = 0
MAX_17 = 5
MAX_100 = 6
MAX_4096 = 11
MAX_CAP = 14


def hdr(length, topic=0, prio=0, flags=0, seq=0, magic=MAGIC, version=1,
        reserved=0):
    return struct.pack(">HBBIHBBI", magic, version, flags, length, topic,
                       prio, reserved, seq)


def frame(length, **kw):
    # Payload bytes that differ by position, so misplaced copies show.
    return hdr(length, **kw) + bytes((i * 7 + length) & 0xff
                                     for i in range(length))


def parser_seed(max_idx, stream, cuts=(), pauses=0):
    assert len(cuts) <= 32
    return bytes([max_idx, pauses, len(cuts)]) + bytes(cuts) + stream


def parser_seeds():
    good = (frame(0, topic=1, prio=0, seq=1) +
            frame(5, topic=0xffff, prio=255, flags=ACK_REQ, seq=2) +
            frame(17, topic=7, prio=2, seq=0xffffffff))
    bad = {
        "magic": hdr(4, magic=0x7645),
        "version": hdr(4, version=2),
        "flags": hdr(4, flags=0x80),
        "reserved": hdr(4, reserved=1),
        "length": hdr(101),
        "priority": hdr(4, prio=3),
    }
    seeds = {
        "one-frame": parser_seed(MAX_4096, frame(3, topic=2, prio=1)),
        "three-frames": parser_seed(MAX_4096, good),
        "three-frames-cut": parser_seed(MAX_4096, good,
                                        cuts=(1, 15, 16, 0, 3, 9),
                                        pauses=0x35),
        "bytewise-paused": parser_seed(MAX_100, good, cuts=(1,),
                                       pauses=0xff),
        "zero-length-max-0": parser_seed(MAX_0,
                                         frame(0, seq=5) + frame(0, seq=6),
                                         cuts=(16, 0, 8)),
        "length-at-max": parser_seed(MAX_17, frame(17) + frame(0),
                                     cuts=(20, 5)),
        "truncated-payload": parser_seed(MAX_4096, good + hdr(40) + b"abc",
                                         cuts=(7,)),
        "truncated-header": parser_seed(MAX_4096, good + hdr(0)[:9]),
        "cap": parser_seed(MAX_CAP, hdr(65536) + b"\x00" * 32,
                           cuts=(230, 3)),
    }
    for kind, h in bad.items():
        seeds["bad-" + kind] = parser_seed(MAX_100, good + h + b"\x00" * 4 +
                                           frame(1), cuts=(2, 14, 0),
                                           pauses=0x12)
    return seeds


def ring_seed(slots_sel, start, ops):
    return bytes([slots_sel]) + struct.pack("<I", start ^ 0xffffff00) + \
        bytes(ops)


PUSH, POP, ROOM, FILLDRAIN = 0, 1, 2, 3


def op(kind, arg):
    return (arg << 2) | kind


def ring_seeds():
    fill, drain = op(FILLDRAIN, 1), op(FILLDRAIN, 0)
    return {
        "fill-drain-2": ring_seed(0, 0xffffffff, [fill, drain] * 4),
        "fill-drain-64": ring_seed(5, 0xffffff00, [fill, drain] * 8),
        "mixed-8": ring_seed(2, 0xfffffff0,
                             [op(PUSH, 7), op(POP, 2), op(ROOM, 4),
                              op(PUSH, 3), op(ROOM, 10), op(POP, 7),
                              op(POP, 7), op(ROOM, 0)] * 6),
        "from-zero-4": ring_seed(1, 0, [op(PUSH, 2), op(ROOM, 2),
                                        op(POP, 0), op(PUSH, 1),
                                        fill, op(ROOM, 1), drain] * 4),
    }


def write(outdir, name, seeds):
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    for fname, data in sorted(seeds.items()):
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(here, "corpus")
    write(outdir, "parser", parser_seeds())
    write(outdir, "ring", ring_seeds())


if __name__ == "__main__":
    main()
