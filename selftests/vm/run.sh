#!/bin/sh
# Boots Debian's kernel under QEMU with an evstream initramfs and runs one
# mode in it (check, demo or shell).  The guest writes its results to the
# second serial port; this script prints them and decides the exit status:
# 0 only when the guest reached its end marker and, in check mode, no
# result says "not ok".  A guest that panics (a
# WARN is a panic here) or hangs past the timeout fails the run, with the
# tail of the kernel console shown.
#
# usage: run.sh KREL INITRAMFS MODE OUTDIR
set -u
krel=$1
initrd=$2
mode=$3
outdir=$4
kernel=${VMLINUZ:-/boot/vmlinuz-$krel}
# A hang detector for the whole guest: make check's suite takes 5 to 10
# minutes of an idle host, several times that on a loaded one.
timeout=${EVS_VM_TIMEOUT:-2700}
mem=${EVS_VM_MEM:-2048}
cpus=${EVS_VM_CPUS:-2}

if [ ! -r "$kernel" ]; then
	# On stdout too, as TAP: whoever counts the results counts this.
	echo "not ok - vm: no kernel image $kernel: apt-get install linux-image-$krel (scripts/deps.sh)"
	exit 1
fi
mkdir -p "$outdir"
console="$outdir/console.log"
results="$outdir/results.txt"
rm -f "$console" "$results"

# Software emulation by default: on these machines /dev/kvm can exist and
# open and yet never run a guest (nested virtualisation), which would hang
# the run.  EVS_VM_KVM=1 opts in where KVM is known to work.
accel="-accel tcg,thread=multi -cpu max"
if [ -n "${EVS_VM_KVM:-}" ]; then
	accel="-accel kvm -cpu host"
fi
# EVS_VM_ICOUNT=1: deterministic emulation for benchmarks.  One vCPU,
# one host thread, and the guest clock counts instructions (icount
# shift=0: one nanosecond per instruction, never waiting for the host),
# so a guest CPU time is an instruction count, whatever the host is
# doing.  The TSC then ticks with that clock: the guest may trust it,
# rather than falling back to an emulated HPET read per clock_gettime().
clock=""
if [ -n "${EVS_VM_ICOUNT:-}" ]; then
	accel="-accel tcg,thread=single -icount shift=0,align=off,sleep=off -cpu max"
	cpus=1
	clock="clocksource=tsc tsc=reliable"
elif [ "$mode" = bench ]; then
	# Multi-threaded TCG's TSC is steady enough for clock reads; the
	# kernel's own watchdog would otherwise pick the HPET.
	clock="clocksource=tsc tsc=reliable"
fi
# A WARN or an oops panics the guest, and panic=-1 turns that into a
# reboot that -no-reboot turns into QEMU's exit: a crash ends the run
# at once instead of waiting for the timeout.
append="console=ttyS0 panic=-1 panic_on_warn=1 oops=panic loglevel=4"
# Slab debugging catches memory errors in tests, and would be what a
# benchmark measures: benchmarks run on the kernel as Debian ships it.
[ "$mode" = bench ] || append="$append slub_debug=FZPU"
append="$append $clock evs.mode=$mode ${EVS_VM_APPEND:-}"

if [ "$mode" = shell ]; then
	# shellcheck disable=SC2086
	exec qemu-system-x86_64 -machine q35 $accel -smp "$cpus" -m "$mem" \
		-nographic -no-reboot -nic none -kernel "$kernel" \
		-initrd "$initrd" -append "$append" \
		-serial mon:stdio -serial "file:$results"
fi

# shellcheck disable=SC2086
timeout -s KILL "$timeout" qemu-system-x86_64 -machine q35 $accel \
	-smp "$cpus" -m "$mem" -display none -no-reboot -nic none \
	-monitor none -kernel "$kernel" -initrd "$initrd" -append "$append" \
	-serial "file:$console" -serial "file:$results" </dev/null
rc=$?

# The guest's output, without the serial port's carriage returns.
[ -f "$results" ] && tr -d '\r' <"$results" | grep -v '^EVS-VM-DONE$'
if [ -f "$results" ] && tr -d '\r' <"$results" | grep -q '^EVS-VM-DONE$'; then
	[ "$mode" = check ] && tr -d '\r' <"$results" | grep -qE '^(# )*not ok ' &&
		exit 1
	exit 0
fi
if [ "$rc" -eq 137 ]; then
	why="timed out after ${timeout}s"
else
	why="stopped before its end (qemu status $rc): panic or crash"
fi
echo "not ok - vm: guest $why"
echo "# last kernel console lines ($console):"
tail -n 60 "$console" 2>/dev/null | tr -d '\r' | sed 's/^/# /'
exit 1
