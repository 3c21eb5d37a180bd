#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the output of bench/vm-bench.sh (and the host micro-benchmarks)
into the tables of docs/perf.md: medians with their spread over the
repeats, the A/B and A/C ratios, and each goal of the performance issue
with what was measured.

usage: report.py VM_OUTPUT [HOST_MICRO_OUTPUT] > report.md
"""
import re
import statistics
import sys

USER_HZ = 100           # /proc/stat ticks per second in the guest


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def spread(xs):
    """Relative spread of a run: (max - min) / median, in percent."""
    m = med(xs)
    return 100.0 * (max(xs) - min(xs)) / m if xs and m else float("nan")


def parse_vm(path):
    runs = {}
    micro = []
    slabs = []
    notes = []
    fails = []
    for line in open(path, errors="replace"):
        f = line.split()
        if not f:
            continue
        if f[0] == "run" and len(f) == 14:
            (_, server, size, conns, ack, rate, events, eps, mbps,
             p50, p99, p999, busy, client) = f
            key = (server, int(size), int(conns), ack, int(rate))
            events = int(events)
            server_ticks = max(int(busy) - int(client), 0)
            runs.setdefault(key, []).append({
                "eps": float(eps), "mbps": float(mbps),
                "p50": float(p50), "p99": float(p99), "p999": float(p999),
                # ms of guest CPU per million events, the client's own
                # CPU time taken out
                "cpu": server_ticks * (1000.0 / USER_HZ) * 1e6 / events,
                "cpu_all": int(busy) * (1000.0 / USER_HZ) * 1e6 / events,
            })
        elif f[0] == "micro":
            micro.append(line.split(None, 1)[1].rstrip())
        elif f[0] == "slab":
            slabs.append(dict(name=f[1], objsize=int(f[3]),
                              per=int(f[5]), pages=int(f[7])))
        elif f[0] == "fail":
            fails.append(line.rstrip())
        elif line.startswith("# "):
            notes.append(line[2:].rstrip())
    return runs, micro, slabs, notes, fails


def fmt(x, digits=0):
    if x != x:
        return "-"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def cell(rs, key, digits=0):
    xs = [r[key] for r in rs]
    return f"{fmt(med(xs), digits)} ±{spread(xs):.0f}%"


def main():
    runs, micro, slabs, notes, fails = parse_vm(sys.argv[1])
    host = open(sys.argv[2]).read() if len(sys.argv) > 2 else ""
    out = []
    w = out.append

    w("### Machine\n")
    for n in notes:
        w(f"- {n}")
    w("")
    if fails:
        w("### Failed runs\n")
        for f in fails:
            w(f"- `{f}`")
        w("")

    w("### End to end (in the VM): A evstream.ko, B evsink, C raw sink\n")
    w("Median of the repeats, ± the spread (max - min) / median. "
      "CPU is guest CPU time per million events with evload's own "
      "time taken out.\n")
    w("| size | conns | acks | A events/s | B events/s | C events/s "
      "| A/B | A/C | A MB/s | C MB/s | A CPU ms/M | B CPU ms/M | A/B CPU |")
    w("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    keys = sorted({(k[1], k[2], k[3]) for k in runs if k[4] == 0})
    ratios = {}
    for size, conns, ack in keys:
        a = runs.get(("A", size, conns, ack, 0), [])
        b = runs.get(("B", size, conns, ack, 0), [])
        c = runs.get(("C", size, conns, "noack", 0), [])
        ma, mb, mc = (med([r["eps"] for r in x]) for x in (a, b, c))
        ca, cb = (med([r["cpu"] for r in x]) for x in (a, b))
        ab = ma / mb if mb else float("nan")
        ac = med([r["mbps"] for r in a]) / med([r["mbps"] for r in c]) \
            if c else float("nan")
        ratios[(size, conns, ack)] = dict(ab=ab, ac=ac,
                                          cpu=ca / cb if cb else float("nan"))
        w(f"| {size} | {conns} | {ack} | {cell(a, 'eps')} | {cell(b, 'eps')} "
          f"| {cell(c, 'eps') if c else '-'} | {fmt(ab, 2)} | {fmt(ac, 2)} "
          f"| {cell(a, 'mbps', 1)} | {cell(c, 'mbps', 1) if c else '-'} "
          f"| {fmt(ca)} | {fmt(cb)} | {fmt(ratios[(size, conns, ack)]['cpu'], 2)} |")
    w("")

    w("### Ack latency (µs): median over repeats of each run's percentiles\n")
    w("| size | conns | rate | server | p50 | p99 | p999 |")
    w("|---:|---:|---:|---|---:|---:|---:|")
    for k in sorted(k for k in runs if k[3] == "ack"):
        rs = runs[k]
        w(f"| {k[1]} | {k[2]} | {k[4] or 'max'} | {k[0]} | {cell(rs, 'p50', 1)} "
          f"| {cell(rs, 'p99', 1)} | {cell(rs, 'p999', 1)} |")
    w("")

    w("### In-kernel micro-benchmarks (evs_bench.ko, in the VM)\n")
    w("```")
    for m in micro:
        w(m)
    w("```\n")

    if host.strip():
        w("### Host micro-benchmarks (real hardware)\n")
        w("```")
        w(host.rstrip())
        w("```\n")

    w("### Kernel memory per event in flight\n")
    w("An event up to 4 KiB is one object of an `evs_event_N` cache (N: the "
      "payload it holds); a larger one is a header from `evs_event_head` "
      "and an object of an `evs_payload_N` cache.  Each also takes one "
      "ring slot (8 bytes).  The ratio is for a payload filling its class.\n")
    w("| cache | object | objects/slab | slab bytes/object | + header "
      "+ ring slot | payload class | ratio |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    mem = {}
    per = {s["name"]: s["pages"] * 4096 / s["per"] for s in slabs}
    head = per.get("evs_event_head", float("nan"))
    for s in slabs:
        if s["name"] == "evs_event_head":
            continue
        per_obj = per[s["name"]]
        cls = int(s["name"].rsplit("_", 1)[1])
        total = per_obj + 8
        if s["name"].startswith("evs_payload_"):
            total += head
        mem[cls] = total / cls
        w(f"| {s['name']} | {s['objsize']} | {s['per']} | {per_obj:.0f} "
          f"| {total:.0f} | {cls} | {total / cls:.2f} |")
    w("")

    # The goals of the performance issue, each with its measurement.
    def micro_ratio(name):
        for m in micro:
            if m.startswith(name):
                return float(m.split()[-1])
        return float("nan")

    def host_ratio(pattern):
        mm = re.search(pattern, host)
        return float(mm.group(1)) if mm else float("nan")

    half = [k for k in runs if k[4] > 0]
    p99a = med([r["p99"] for k in half if k[0] == "A" for r in runs[k]])
    p99b = med([r["p99"] for k in half if k[0] == "B" for r in runs[k]])
    goals = [
        ("A/B events/s, 64 B, 4 conns", ratios.get((64, 4, "noack"), {}).get("ab", float("nan")), ">=", 1.5),
        ("A/B events/s, 512 B, 4 conns", ratios.get((512, 4, "noack"), {}).get("ab", float("nan")), ">=", 1.5),
        ("A/B CPU per event, 64 B, 4 conns", ratios.get((64, 4, "noack"), {}).get("cpu", float("nan")), "<=", 0.6),
        ("A/B CPU per event, 512 B, 4 conns", ratios.get((512, 4, "noack"), {}).get("cpu", float("nan")), "<=", 0.6),
        ("A/C MB/s, 4 KiB, 4 conns", ratios.get((4096, 4, "noack"), {}).get("ac", float("nan")), ">=", 0.7),
        ("pool/kmalloc, 64 B, 256 in flight", micro_ratio("256 in flight 64 B, pool/kmalloc"), "<=", 0.8),
        ("pool/kmalloc, 512 B, 256 in flight", micro_ratio("256 in flight 512 B, pool/kmalloc"), "<=", 0.8),
        ("pool/kmalloc, 4096 B, 256 in flight", micro_ratio("256 in flight 4096 B, pool/kmalloc"), "<=", 0.8),
        ("ring vs mutex+spin queue (host), speedup", host_ratio(r"ratio evs_ring / mutex\+spin\s+([0-9.]+)x"), ">=", 10),
        ("ring vs mutex+condvar queue (host), speedup", host_ratio(r"ratio evs_ring / mutex\+condvar\s+([0-9.]+)x"), ">=", 10),
        ("parser vs memcpy, mixed frames (host)", host_ratio(r"uniform mix\).*?\n(?:.*\n){3}\s*ratio parser/memcpy\s+([0-9.]+)"), ">=", 0.5),
        ("ack p99 A/B at half of A's peak, 4 conns", p99a / p99b if p99b else float("nan"), "<=", 0.5),
    ]
    # Every class, the 64 KiB one included, within 1.25x its payload.
    for cls in sorted(mem):
        goals.append((f"bytes per event / payload, class {cls} B",
                      mem[cls], "<=", 1.25))
    if not mem:
        goals.append(("bytes per event / payload", float("nan"), "<=", 1.25))
    w("### Goals\n")
    w("| goal | measured | target | met |")
    w("|---|---:|---|---|")
    for name, val, op, target in goals:
        ok = val == val and (val >= target if op == ">=" else val <= target)
        w(f"| {name} | {fmt(val, 2)} | {op} {target} | {'yes' if ok else 'no'} |")
    w("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
