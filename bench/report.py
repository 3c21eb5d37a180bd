#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the output of bench/vm-bench.sh (and the host micro-benchmarks)
into the tables of docs/perf.md.

Deterministic mode (--det, one file per boot): instructions per event per
server, the median of the per-repeat ratios A/B, A/C, A/D, A/E (events
per instruction: instr(X) / instr(A)) with their spread, how far each
figure moved between boots, and the stage breakdown.  Parallel mode
(--par): events/s and CPU per event, ratios, the ack latency at half of
A's peak, the in-kernel micro-benchmarks.  Every ratio reads "A's
advantage": above 1, A does better.

usage: report.py [--det BOOT.txt...] [--par PAR.txt] [--host HOST.txt]
                 [--times TIMES.txt] > report.md
"""
import argparse
import re
import statistics

USER_HZ = 100           # /proc/stat ticks per second in the guest
REPRO = 3.0             # % across boots a deterministic figure may move
SERVERS = "ABCDE"
NAMES = {"A": "evstream.ko", "B": "evsink", "C": "evsink --raw",
         "D": "nats-server", "E": "nats-server JetStream"}


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def spread(xs):
    """Relative spread: (max - min) / median, in percent."""
    m = med(xs)
    return 100.0 * (max(xs) - min(xs)) / m if xs and m else float("nan")


def fmt(x, digits=0):
    if x != x:
        return "-"
    return f"{x:,.{digits}f}"


def cell(xs, digits=0):
    if not xs:
        return "-"
    if len(xs) == 1:
        return fmt(xs[0], digits)
    return f"{fmt(med(xs), digits)} ±{spread(xs):.1f}%"


def parse(path):
    """Runs as dicts, and the other lines of one guest's output."""
    d = dict(runs=[], micro=[], slabs=[], notes=[], fails=[])
    for line in open(path, errors="replace"):
        f = line.split()
        if not f:
            continue
        if f[0] == "run":
            r = dict(kv.split("=", 1) for kv in f[1:] if "=" in kv)
            for k in list(r):
                if k not in ("server", "ack", "mode"):
                    r[k] = float(r[k])
            d["runs"].append(r)
        elif f[0] == "micro":
            d["micro"].append(line.split(None, 1)[1].rstrip())
        elif f[0] == "slab":
            d["slabs"].append(dict(name=f[1], objsize=int(f[3]),
                                   per=int(f[5]), pages=int(f[7])))
        elif f[0] in ("fail", "not"):
            d["fails"].append(line.rstrip())
        elif line.startswith("# "):
            d["notes"].append(line[2:].rstrip())
    return d


def scen(r):
    return (int(r["size"]), int(r["conns"]), r["ack"])


def partner(x, ack):
    """Whether server x runs in scenarios with this ack setting."""
    return {"C": ack == "noack", "D": ack == "noack",
            "E": ack == "ack"}.get(x, True)


def per_rep(runs, value):
    """{(boot, rep, scenario): {server: value}} of the runs at full rate."""
    out = {}
    for r in runs:
        if r["rate"]:
            continue
        k = (r["boot"], r["rep"], scen(r))
        out.setdefault(k, {})[r["server"]] = value(r)
    return out


def ratios(table, sc, x, better_low):
    """Per-repeat ratios of A against x in scenario sc, as (boot, ratio).
    better_low: the value is a cost (instructions, CPU), so the ratio is
    x / A; else a rate, A / x."""
    out = []
    for (boot, _, s), v in table.items():
        if s != sc or "A" not in v or x not in v or not v["A"] or not v[x]:
            continue
        out.append((boot, v[x] / v["A"] if better_low else v["A"] / v[x]))
    return out


def boot_diff(pairs):
    """Difference of the per-boot medians, % of their mean."""
    by = {}
    for b, v in pairs:
        by.setdefault(b, []).append(v)
    if len(by) < 2:
        return float("nan")
    ms = [med(v) for v in by.values()]
    return 100.0 * (max(ms) - min(ms)) / statistics.mean(ms)


def det_section(w, boots):
    runs = [r for d in boots for r in d["runs"]]
    ipe = per_rep(runs, lambda r: r["busy_ns"] / r["events"])
    scens = sorted({k[2] for k in ipe})
    nboots = len({r["boot"] for r in runs})
    w("### Deterministic: instructions per event\n")
    w(f"One vCPU under icount (1 ns of guest time = 1 instruction), "
      f"{nboots} boot(s).  A server cell: the median over all repeats of "
      "the guest's total busy time per event (every CPU-consuming task "
      "and the softirqs run on them, the client's included), ± the spread "
      "(max - min) / median.  A/x: the median of the per-repeat ratios "
      "instr(x) / instr(A), events per instruction of A over x; above 1, "
      "A needs fewer.  C and D run without acks only, E with acks "
      "only.  Boots: the largest difference between the "
      "per-boot medians of the row's figures (all of them in the next "
      "table).\n")
    hdr = "| size | conns | acks | " + " | ".join(
        f"{s} instr/ev" for s in SERVERS) + " | A/B | A/C | A/D | A/E | boots |"
    w(hdr)
    w("|---:|---:|---|" + "---:|" * 9 + "---|")
    repro = []
    for sc in scens:
        cells, diffs = [], {}
        for s in SERVERS:
            pairs = [(k[0], v[s]) for k, v in ipe.items()
                     if k[2] == sc and s in v]
            cells.append(cell([v for _, v in pairs]))
            if pairs:
                diffs[s] = boot_diff(pairs)
        rcells = []
        for x in "BCDE":
            pairs = ratios(ipe, sc, x, True)
            rcells.append(cell([v for _, v in pairs], 2))
            if pairs:
                diffs["A/" + x] = boot_diff(pairs)
        known = {k: v for k, v in diffs.items() if v == v}
        if known:
            worst = max(known, key=known.get)
            bad = [k for k, v in known.items() if round(v, 1) > REPRO]
            b = f"{known[worst]:.1f}% ({worst})"
            if bad:
                b = f"**{b}: {', '.join(bad)} do not reproduce within {REPRO:.0f}%**"
        else:
            b = "one boot"
        repro.append((sc, diffs))
        w(f"| {sc[0]} | {sc[1]} | {sc[2]} | " + " | ".join(cells)
          + " | " + " | ".join(rcells) + f" | {b} |")
    w("")
    if nboots > 1:
        w("#### Difference between boots, per figure\n")
        w(f"(max - min) / mean of the per-boot medians; over {REPRO:.0f}% is "
          "flagged **!**.\n")
        figs = list(SERVERS) + ["A/B", "A/C", "A/D", "A/E"]
        w("| size | conns | acks | " + " | ".join(figs) + " |")
        w("|---:|---:|---|" + "---:|" * len(figs))
        for sc, diffs in repro:
            cs = []
            for f in figs:
                v = diffs.get(f, float("nan"))
                cs.append("-" if v != v else
                          f"{v:.1f}%" + (" **!**" if round(v, 1) > REPRO else ""))
            w(f"| {sc[0]} | {sc[1]} | {sc[2]} | " + " | ".join(cs) + " |")
        w("")

    w("#### Where the instructions go (deterministic, median per event)\n")
    w("From `/proc/PID/task/TID/schedstat` (each thread's run time) taken "
      "before and after each run.  Debian's kernels have no "
      "`IRQ_TIME_ACCOUNTING`: a softirq is billed to whatever task it "
      "interrupted or ran in, so the loopback's receive work (the "
      "module's parsing, TCP for every server) mostly lands on the "
      "sender, evload, and whatever runs after an interrupt on an idle "
      "CPU is not counted at all.  *client* is the total minus every "
      "thread that outlived the run: evload, the few short processes "
      "the bench script forks (`sleep`, `awk`) and the bench shell's "
      "work inside the window; *other* is the threads that outlived it "
      "besides the server, kworkers and ksoftirqd (init, rcu).  NET_RX: "
      "receive softirqs run per event.\n")
    w("| size | conns | acks | server | total | client | server threads "
      "| kworkers | ksoftirqd | other | NET_RX/ev |")
    w("|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for sc in scens:
        for s in SERVERS:
            rs = [r for r in runs if not r["rate"] and scen(r) == sc
                  and r["server"] == s]
            if not rs:
                continue

            def m(f):
                return fmt(med([f(r) / r["events"] for r in rs]))
            rest = ("server_ns", "kworker_ns", "ksoftirqd_ns", "other_ns")
            w(f"| {sc[0]} | {sc[1]} | {sc[2]} | {s} "
              f"| {m(lambda r: r['busy_ns'])} "
              f"| {m(lambda r: r['busy_ns'] - sum(r[k] for k in rest))} "
              f"| {m(lambda r: r['server_ns'])} | {m(lambda r: r['kworker_ns'])} "
              f"| {m(lambda r: r['ksoftirqd_ns'])} | {m(lambda r: r['other_ns'])} "
              f"| {fmt(med([r['net_rx'] / r['events'] for r in rs]), 3)} |")
    w("")
    clock_check(w, runs)


def clock_check(w, runs):
    ns = sum(r["busy_ns"] for r in runs)
    ticks = sum(r["busy_ticks"] for r in runs)
    if ticks:
        w(f"Cross-check of the busy time: `/proc/schedstat` says "
          f"{ns / 1e9:.2f} s over these runs, `/proc/stat` "
          f"{ticks / USER_HZ:.2f} s (in ticks; ratio "
          f"{ns / 1e9 / (ticks / USER_HZ):.3f}).\n")


def par_section(w, d):
    runs = d["runs"]
    eps = per_rep(runs, lambda r: r["eps"])
    cpu = per_rep(runs, lambda r: r["busy_ns"] / r["events"] / 1e3)
    scens = sorted({k[2] for k in eps})
    w("### Parallel: events/s (2 vCPUs, multi-threaded TCG)\n")
    w("Median of the repeats ± the spread (max - min) / median.  A/x: the "
      "median of the per-repeat ratios of events/s, A over x.\n")
    w("| size | conns | acks | " + " | ".join(SERVERS)
      + " | A/B | A/C | A/D | A/E |")
    w("|---:|---:|---|" + "---:|" * 9)
    for sc in scens:
        cs = [cell([v[s] for k, v in eps.items() if k[2] == sc and s in v])
              for s in SERVERS]
        rs = [cell([v for _, v in ratios(eps, sc, x, False)], 2)
              for x in "BCDE"]
        w(f"| {sc[0]} | {sc[1]} | {sc[2]} | " + " | ".join(cs + rs) + " |")
    w("")
    w("### Parallel: CPU per event (µs)\n")
    w("The guest's total busy time (both vCPUs, every task and the "
      "softirqs run on them, the client's included, from "
      "`/proc/schedstat`) per event.  A/x: the median of the per-repeat "
      "ratios cpu(x) / cpu(A); above 1, A costs less.  The guest's clock "
      "runs on while the host has taken a vCPU's thread away, so this "
      "includes that stolen time and grows with the host's load.\n")
    w("| size | conns | acks | " + " | ".join(SERVERS)
      + " | A/B | A/C | A/D | A/E |")
    w("|---:|---:|---|" + "---:|" * 9)
    for sc in scens:
        cs = [cell([v[s] for k, v in cpu.items() if k[2] == sc and s in v], 1)
              for s in SERVERS]
        rs = [cell([v for _, v in ratios(cpu, sc, x, True)], 2)
              for x in "BCDE"]
        w(f"| {sc[0]} | {sc[1]} | {sc[2]} | " + " | ".join(cs + rs) + " |")
    w("")
    clock_check(w, runs)

    paced = [r for r in runs if r["rate"]]
    if paced:
        w("### Ack latency at half of A's peak (µs), 512 B, 4 connections\n")
        w("Median over the repeats of each run's percentile ± the spread.\n")
        w("| server | rate | p50 | p99 | p999 |")
        w("|---|---:|---:|---:|---:|")
        for s in "AB":
            rs = [r for r in paced if r["server"] == s]
            if rs:
                w(f"| {s} | {int(rs[0]['rate'])} "
                  f"| {cell([r['p50'] for r in rs], 1)} "
                  f"| {cell([r['p99'] for r in rs], 1)} "
                  f"| {cell([r['p999'] for r in rs], 1)} |")
        w(f"\np99 A/B, median of the per-repeat ratios: "
          f"{fmt(p99_ratio(runs), 3)}\n")
    return eps


def p99_ratio(runs):
    by = {}
    for r in runs:
        if r["rate"]:
            by.setdefault(r["rep"], {})[r["server"]] = r["p99"]
    return med([v["A"] / v["B"] for v in by.values()
                if "A" in v and v.get("B")])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--det", nargs="+", default=[])
    ap.add_argument("--par")
    ap.add_argument("--host")
    ap.add_argument("--times")
    a = ap.parse_args()
    boots = [parse(p) for p in a.det]
    par = parse(a.par) if a.par else None
    host = open(a.host).read() if a.host else ""
    out = []
    w = out.append

    w("### Machine\n")
    seen = set()
    for d in boots + ([par] if par else []):
        for n in d["notes"]:
            if n not in seen:
                seen.add(n)
                w(f"- {n}")
    if a.times:
        for line in open(a.times):
            w(f"- took: {line.lstrip('# ').rstrip()}")
    w("")
    fails = [f for d in boots + ([par] if par else []) for f in d["fails"]]
    if fails:
        w("### Failed runs\n")
        for f in fails:
            w(f"- `{f}`")
        w("")

    w("Servers: " + ", ".join(f"{s} {n}" for s, n in NAMES.items()) + ".\n")
    det_ipe = {}
    if boots:
        det_section(w, boots)
        det_ipe = per_rep([r for d in boots for r in d["runs"]],
                          lambda r: r["busy_ns"] / r["events"])
    par_eps = {}
    if par:
        par_eps = par_section(w, par)
        w("### In-kernel micro-benchmarks (evs_bench.ko, in the VM)\n")
        w("```")
        for m in par["micro"]:
            w(m)
        w("```\n")
    if host.strip():
        w("### Host micro-benchmarks (real hardware)\n")
        w("```")
        w(host.rstrip())
        w("```\n")

    slabs = (par or (boots[0] if boots else {"slabs": []}))["slabs"]
    mem = memory(w, slabs)
    goals(w, det_ipe, par_eps, par, mem, host)
    print("\n".join(out))


def memory(w, slabs):
    if not slabs:
        return {}
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
    # Where the header cache is merged into kmalloc's (6.1), it does not
    # show in /proc/slabinfo: its objects are kmalloc-128's.
    head = per.get("evs_event_head", 128.0)
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
          f"| {fmt(total)} | {cls} | {fmt(total / cls, 2)} |")
    w("")
    return mem


def goals(w, ipe, eps, par, mem, host):
    """The goals of the performance issues, each with its measurement."""
    nan = float("nan")

    def det(sc, x):
        pairs = ratios(ipe, sc, x, True)
        return med([v for _, v in pairs]) if pairs else nan

    def micro_ratio(name):
        for m in (par["micro"] if par else []):
            if m.startswith(name):
                return float(m.split()[-1])
        return nan

    def host_ratio(pattern):
        mm = re.search(pattern, host)
        return float(mm.group(1)) if mm else nan

    g = []
    for size in (64, 512):
        g.append((f"det A/B instr, {size} B, 4 conns", det((size, 4, "noack"), "B"), ">=", 1.5))
    g.append(("det A/B instr, 4096 B, 4 conns", det((4096, 4, "noack"), "B"), ">=", 1.0))
    for size in (64, 512):
        g.append((f"det A/D instr, {size} B, 4 conns", det((size, 4, "noack"), "D"), ">=", 1.0))
    g.append(("det A/C instr, 512 B, 4 conns", det((512, 4, "noack"), "C"), ">=", 1 / 1.5))
    if eps:
        scens = sorted({k[2] for k in eps})
        worst = min((med([v for _, v in ratios(eps, sc, "B", False)]), sc)
                    for sc in scens)
        g.append((f"par A/B events/s, worst scenario ({worst[1][0]} B, "
                  f"{worst[1][1]} conns, {worst[1][2]})", worst[0], ">=", 1.0))
        for size in sorted({sc[0] for sc in scens}):
            for ack in ("noack", "ack"):
                one = [v["A"] for k, v in eps.items() if k[2] == (size, 1, ack) and "A" in v]
                four = [v["A"] for k, v in eps.items() if k[2] == (size, 4, ack) and "A" in v]
                if one and four:
                    g.append((f"par A events/s 4 conns / 1 conn, {size} B, {ack}",
                              med(four) / med(one), ">", 1.0))
    if par:
        g.append(("par ack p99 A/B at half of A's peak", p99_ratio(par["runs"]), "<=", 0.5))
        for size in (64, 512, 4096):
            g.append((f"pool/kmalloc, {size} B, 256 in flight",
                      micro_ratio(f"256 in flight {size} B, pool/kmalloc"), "<=", 0.8))
    if host:
        g.append(("ring vs mutex+spin queue (host), speedup", host_ratio(r"ratio evs_ring / mutex\+spin\s+([0-9.]+)x"), ">=", 10))
        g.append(("ring vs mutex+condvar queue (host), speedup", host_ratio(r"ratio evs_ring / mutex\+condvar\s+([0-9.]+)x"), ">=", 10))
        g.append(("parser vs memcpy, mixed frames (host)", host_ratio(r"uniform mix\).*?\n(?:.*\n){3}\s*ratio parser/memcpy\s+([0-9.]+)"), ">=", 0.5))
    # 1.25x the payload, or the payload + 128 bytes where that is more:
    # below 416 bytes the 96-byte header weighs (docs/design.md, "Pools").
    for cls in sorted(mem):
        g.append((f"bytes per event / payload, class {cls} B", mem[cls], "<=",
                  round(max(1.25, (cls + 128) / cls), 2)))
    w("### Goals\n")
    w("| goal | measured | target | met |")
    w("|---|---:|---|---|")
    for name, val, op, target in g:
        ok = val == val and {">=": val >= target, ">": val > target,
                             "<=": val <= target}[op]
        w(f"| {name} | {fmt(val, 2)} | {op} {target:.2f} | "
          f"{'yes' if ok else 'no' if val == val else '-'} |")
    w("")


if __name__ == "__main__":
    main()
