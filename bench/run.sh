#!/bin/sh
# `make bench`: the whole benchmark suite, in one go, with the exact
# commands it ran.  Boots the test VM in bench mode (bench/vm-bench.sh:
# in-kernel micro-benchmarks, then the end-to-end runs against evstream.ko,
# evsink and the raw sink), runs the host micro-benchmarks, and prints the
# tables of docs/perf.md (also kept in build/bench/report.md).
#
# BENCH_REPS=N repeats (default 5); BENCH_QUICK=1 for a small matrix.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/bench
mkdir -p "$out"
krel=$1
reps=${BENCH_REPS:-5}
quick=${BENCH_QUICK:-0}

selftests/vm/mkinitramfs.sh "$out/initramfs.cpio.gz" \
	kmod/evstream.ko,kmod/bench/evs_bench.ko \
	user/bin/evctl user/bin/evload user/bin/evsink "$(command -v jq)" --

echo "# vm: EVS_VM_MEM=4096 selftests/vm/run.sh $krel $out/initramfs.cpio.gz bench" \
	"(evs.bench.reps=$reps evs.bench.quick=$quick)"
EVS_VM_MEM=4096 EVS_VM_TIMEOUT=${BENCH_TIMEOUT:-10800} \
EVS_VM_APPEND="evs.bench.reps=$reps evs.bench.quick=$quick" \
	selftests/vm/run.sh "$krel" "$out/initramfs.cpio.gz" bench "$out/vm" \
	>"$out/vm.txt"

echo "# host: bench/micro/run.sh"
bench/micro/run.sh >"$out/host.txt"

python3 bench/report.py "$out/vm.txt" "$out/host.txt" | tee "$out/report.md"
