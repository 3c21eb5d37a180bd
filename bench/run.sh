#!/bin/sh
# `make bench`: the benchmark suite, with the exact commands it ran.
# Packs the test VM's initramfs (the module, the tools, nats-server when
# installed), boots it in bench mode (bench/vm-bench.sh runs in the
# guest) in one or both modes, runs the host micro-benchmarks, and
# prints the tables of docs/perf.md (also kept in build/bench/report.md).
#
#   BENCH_MODE=det|par|both   (default both)
#     det: BENCH_BOOTS boots (default 2), each one vCPU under icount:
#          instructions per event.  Single-threaded and independent of
#          the host's load: needs no VM lock.
#     par: one boot, multi-threaded TCG with 2 vCPUs: events/s, CPU per
#          event, ack latency, the in-kernel micro-benchmarks; then the
#          host micro-benchmarks.  BENCH_LOCK=FILE holds flock(1) on FILE
#          for this boot and the host micro-benchmarks only.
#   BENCH_REPS=N   repeats per boot (default 3 in det, 5 in par)
#   BENCH_QUICK=1  a small matrix (64/512/4096 B, 4 connections)
#   BENCH_OUT      where the results go (default build/bench)
#   BENCH_APPEND   more guest knobs (bench/vm-bench.sh), e.g.
#                  "evs.bench.servers=A,B evs.bench.sizes=512"
#
# usage: run.sh KREL
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=${BENCH_OUT:-build/bench}
mkdir -p "$out"
krel=$1
mode=${BENCH_MODE:-both}
boots=${BENCH_BOOTS:-2}
quick=${BENCH_QUICK:-0}
extra=${BENCH_APPEND:-}
case $mode in
det | par | both) ;;
*) echo "run.sh: BENCH_MODE=$mode: det, par or both" >&2; exit 2 ;;
esac

tools="user/bin/evctl user/bin/evload user/bin/evsink"
# nats-server (Debian's links only libc) for servers D and E; without
# it the guest skips them and says so.
if nats=$(command -v nats-server); then
	tools="$tools $nats"
else
	echo "# no nats-server on the host (apt-get install nats-server): D and E skipped"
fi
# shellcheck disable=SC2086
selftests/vm/mkinitramfs.sh "$out/initramfs.cpio.gz" \
	kmod/evstream.ko,kmod/bench/evs_bench.ko $tools --

: >"$out/times.txt"
status=0
rm -f "$out"/det-*.txt "$out/par.txt" "$out/host.txt"

# boot NAME APPEND [ENV...]: one VM boot, its results in $out/NAME.txt.
boot()
{
	name=$1 append=$2
	shift 2
	echo "# vm: $* EVS_VM_MEM=4096 EVS_VM_APPEND=\"$append\" selftests/vm/run.sh $krel $out/initramfs.cpio.gz bench $out/vm-$name > $out/$name.txt"
	t0=$(date +%s)
	env "$@" EVS_VM_MEM=4096 EVS_VM_TIMEOUT="${BENCH_TIMEOUT:-10800}" \
		EVS_VM_APPEND="$append" \
		selftests/vm/run.sh "$krel" "$out/initramfs.cpio.gz" bench \
		"$out/vm-$name" >"$out/$name.txt" || {
		echo "# $name: the guest failed: see $out/$name.txt and $out/vm-$name/console.log"
		status=1
	}
	echo "# $name: $(($(date +%s) - t0)) s" | tee -a "$out/times.txt"
}

det=""
if [ "$mode" != par ]; then
	reps=${BENCH_REPS:-3}
	for i in $(seq "$boots"); do
		boot "det-$i" "evs.bench.mode=det evs.bench.boot=$i evs.bench.reps=$reps evs.bench.quick=$quick $extra" EVS_VM_ICOUNT=1
		det="$det $out/det-$i.txt"
	done
fi

par=""
if [ "$mode" != det ]; then
	reps=${BENCH_REPS:-5}
	if [ -n "${BENCH_LOCK:-}" ]; then
		echo "# waiting for $BENCH_LOCK (flock)"
		exec 9>"$BENCH_LOCK"
		flock 9
	fi
	boot par "evs.bench.mode=par evs.bench.reps=$reps evs.bench.quick=$quick $extra" EVS_VM_CPUS=2
	par="--par $out/par.txt"
	echo "# host: bench/micro/run.sh > $out/host.txt"
	t0=$(date +%s)
	bench/micro/run.sh >"$out/host.txt" || status=1
	echo "# host micro-benchmarks: $(($(date +%s) - t0)) s" | tee -a "$out/times.txt"
	[ -z "${BENCH_LOCK:-}" ] || exec 9>&-
fi

echo "# report: python3 bench/report.py${det:+ --det$det} $par${par:+ --host $out/host.txt} --times $out/times.txt"
# shellcheck disable=SC2086
python3 bench/report.py ${det:+--det$det} $par ${par:+--host $out/host.txt} \
	--times "$out/times.txt" | tee "$out/report.md"
exit $status
