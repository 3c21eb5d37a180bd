#!/bin/sh
# The long runs that stay out of `make check`, each ending with its own
# "<name>: N passed, N failed" line and a status to match:
#
#   suite.sh fuzz SECS     libFuzzer targets on the host, then the netlink
#                          and wire fuzzers in the VM, SECS seconds each
#   suite.sh stress        the stress suite in the VM at full size
#                          (EVS_STRESS_SCALE, EVS_STRESS_ROUNDS), then
#                          memcg_test's memory budget at full size
#   suite.sh debug TESTS   the kselftests on debug kernels built from
#                          linux-source-6.1 and -6.12
#                          (scripts/debug-kernel.sh)
#
# The VM parts run on every kernel of the matrix (scripts/kernel.sh
# matrix: 6.1 and 6.12 of KFLAVOUR, or the one KVER names), each in a
# TAP section of its own.  Called by make after the tools and the
# kselftest binaries are built; the VM runs with slub_debug like `make
# check`.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
what=$1
MAKE=${MAKE:-make}
out=build/$what
mkdir -p "$out"
tap=$out/$what.tap
: >"$tap"
tools="user/bin/evctl user/bin/evload user/bin/evsink $(command -v jq)"

# vm NAME KERNEL_RELEASE MODULES TESTS...: one VM run, its TAP to $tap.
vm()
{
	name=$1
	krel=$2
	mods=$3
	shift 3
	# A debug kernel (VMLINUZ) has its modules built in.
	kmods_of=$krel
	[ -n "${VMLINUZ:-}" ] && kmods_of=
	if ! EVS_VM_KREL=$kmods_of \
		selftests/vm/mkinitramfs.sh "$out/$name.cpio.gz" "$mods" \
			$tools -- "$@" >"$out/$name.mkinitramfs.log" 2>&1; then
		echo "not ok - $name: initramfs" | tee -a "$tap"
		sed 's/^/# /' "$out/$name.mkinitramfs.log"
		return
	fi
	selftests/vm/run.sh "$krel" "$out/$name.cpio.gz" check "$out/$name" |
		tee -a "$tap"
}

# modules KERNEL_RELEASE [KDIR]: builds the module and its test build for
# that kernel; prints their paths as vm() takes them, or fails.
modules()
{
	kout=build/kernel/$1
	if ! $MAKE -s ${2:+KDIR=$2} KVER="$1" kmods >"$out/$1.build.log" 2>&1; then
		echo "not ok - module builds for $1" | tee -a "$tap" >&2
		tail -n 40 "$out/$1.build.log" | sed 's/^/# /' >&2
		return 1
	fi
	echo "$kout/evstream.ko,$kout/evstream-fault.ko"
}

if [ "$what" != debug ]; then
	if ! kernels=$(scripts/kernel.sh matrix 2>"$out/kernels.err"); then
		echo "not ok - kernels to run on: $(cat "$out/kernels.err")" |
			tee -a "$tap"
		kernels=""
	fi
fi
case $what in
fuzz)
	secs=${2:-60}
	echo "# == libFuzzer targets, ${secs}s each =="
	scripts/fuzz.sh "$secs" | tee -a "$tap"
	for k in $kernels; do
		echo "# == netlink and wire fuzzers on $k, ${secs}s each =="
		mods=$(modules "$k") || continue
		# The guest gives each test EVS_TEST_TIMEOUT s: nl_fuzz runs
		# 1.25 SECS, and each checks for a while after.
		EVS_VM_APPEND="EVS_FUZZ_SECS=$secs EVS_TEST_TIMEOUT=$((secs * 2 + 300)) ${EVS_FUZZ_SEED:+EVS_FUZZ_SEED=$EVS_FUZZ_SEED} ${EVS_VM_APPEND:-}" \
		EVS_VM_TIMEOUT=$((secs * 5 + 900)) \
			vm "vm-fuzz-$k" "$k" "$mods" \
			build/kselftest/nl_fuzz build/kselftest/wire_fuzz
	done
	;;
stress)
	for k in $kernels; do
		echo "# == stress suite on $k =="
		mods=$(modules "$k") || continue
		EVS_VM_APPEND="${EVS_STRESS_SCALE:+EVS_STRESS_SCALE=$EVS_STRESS_SCALE} ${EVS_STRESS_ROUNDS:+EVS_STRESS_ROUNDS=$EVS_STRESS_ROUNDS} ${EVS_VM_APPEND:-}" \
		EVS_VM_TIMEOUT=${EVS_VM_TIMEOUT:-3600} \
			vm "vm-stress-$k" "$k" "$mods" build/kselftest/stress_test
		# The memory budget at full size, where objects are not
		# padded by slab debugging (see scripts/check.sh).
		echo "# == memory budget at full size on $k, without slab debugging =="
		EVS_VM_APPEND="slub_debug=- ${EVS_VM_APPEND:-}" \
		EVS_VM_TIMEOUT=${EVS_VM_TIMEOUT:-3600} \
			vm "vm-stress-memory-$k" "$k" "$mods" \
			build/kselftest/memcg_test \
			selftests/kernel/slab_classes_test.sh selftests/kernel/tap.sh
	done
	;;
debug)
	shift
	case ${KVER:-} in
	"") series="6.1 6.12" ;;
	6.1 | 6.1.* | 6.1-*) series=6.1 ;;
	6.12 | 6.12.* | 6.12-*) series=6.12 ;;
	*)
		echo "not ok - debug kernel for KVER=$KVER: only 6.1 and 6.12" |
			tee -a "$tap"
		series=""
		;;
	esac
	for s in $series; do
		echo "# == debug kernel from linux-source-$s (KASAN, lockdep, kmemleak, ...) =="
		if ! tree=$(scripts/debug-kernel.sh "$s"); then
			echo "not ok - $s debug kernel builds" | tee -a "$tap"
			continue
		fi
		echo "ok - $s debug kernel builds ($(cat "$tree/../build-seconds") s the first time)" |
			tee -a "$tap"
		krel=$(scripts/krelease.sh "$tree")
		mods=$(modules "$krel" "$tree") || continue
		echo "ok - module builds against the $s debug kernel" | tee -a "$tap"
		# Debug checks make everything slower: more time and memory.
		# An RCU stall there can be emulation, not a bug: the KASAN
		# quarantine's flush at rmmod, checking the poison of every
		# freed object, once held a CPU for 21 s.  Two minutes is
		# still a hang.
		VMLINUZ=$tree/arch/x86/boot/bzImage \
		EVS_VM_TIMEOUT=${EVS_VM_TIMEOUT:-5400} \
		EVS_VM_MEM=${EVS_VM_MEM:-4096} \
		EVS_VM_APPEND="EVS_STRESS_QUICK=1 EVS_FUZZ_SECS=15 EVS_TEST_TIMEOUT=1800 rcupdate.rcu_cpu_stall_timeout=120 ${EVS_VM_APPEND:-}" \
			vm "vm-debug-$s" "$krel" "$mods" "$@"
	done
	;;
*)
	echo "usage: suite.sh fuzz SECS | stress | debug TESTS..." >&2
	exit 2
	;;
esac

pass=$(grep -cE '^(# )*ok ' "$tap")
fail=$(grep -cE '^(# )*not ok ' "$tap")
echo "$what: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
