#!/bin/sh
# The long runs that stay out of `make check`, each ending with its own
# "<name>: N passed, N failed" line and a status to match:
#
#   suite.sh fuzz SECS     libFuzzer targets on the host, then the netlink
#                          and wire fuzzers in the VM, SECS seconds each
#   suite.sh stress        the stress suite in the VM at full size
#                          (EVS_STRESS_SCALE, EVS_STRESS_ROUNDS)
#   suite.sh debug TESTS   the kselftests on a debug kernel built from
#                          linux-source-6.1 (scripts/debug-kernel.sh)
#
# Called by make after the tools, the module and the kselftest binaries
# are built; the VM runs with slub_debug like `make check`.
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
	if ! selftests/vm/mkinitramfs.sh "$out/$name.cpio.gz" "$mods" \
			$tools -- "$@" >"$out/$name.mkinitramfs.log" 2>&1; then
		echo "not ok - $name: initramfs" | tee -a "$tap"
		sed 's/^/# /' "$out/$name.mkinitramfs.log"
		return
	fi
	selftests/vm/run.sh "$krel" "$out/$name.cpio.gz" check "$out/$name" |
		tee -a "$tap"
}

krel=$(scripts/krelease.sh "$(scripts/kdir.sh)")
case $what in
fuzz)
	secs=${2:-60}
	echo "# == libFuzzer targets, ${secs}s each =="
	scripts/fuzz.sh "$secs" | tee -a "$tap"
	echo "# == netlink and wire fuzzers in the VM, ${secs}s each =="
	EVS_VM_APPEND="EVS_FUZZ_SECS=$secs ${EVS_FUZZ_SEED:+EVS_FUZZ_SEED=$EVS_FUZZ_SEED} ${EVS_VM_APPEND:-}" \
	EVS_VM_TIMEOUT=$((secs * 4 + 600)) \
		vm vm-fuzz "$krel" kmod/evstream.ko \
		build/kselftest/nl_fuzz build/kselftest/wire_fuzz
	;;
stress)
	echo "# == stress suite in the VM =="
	EVS_VM_APPEND="${EVS_STRESS_SCALE:+EVS_STRESS_SCALE=$EVS_STRESS_SCALE} ${EVS_STRESS_ROUNDS:+EVS_STRESS_ROUNDS=$EVS_STRESS_ROUNDS} ${EVS_VM_APPEND:-}" \
	EVS_VM_TIMEOUT=${EVS_VM_TIMEOUT:-3600} \
		vm vm-stress "$krel" kmod/evstream.ko build/kselftest/stress_test
	;;
debug)
	shift
	echo "# == debug kernel (KASAN, lockdep, kmemleak, ...) =="
	if ! tree=$(scripts/debug-kernel.sh); then
		echo "not ok - debug kernel builds" | tee -a "$tap"
	else
		echo "ok - debug kernel builds ($(cat "$tree/../build-seconds") s the first time)" |
			tee -a "$tap"
		# The module and its fault-injection build, against that tree,
		# from copies of the sources: the normal build stays as it is.
		mod=$out/mod
		mkdir -p "$mod"
		cp -a Kbuild kmod include "$mod/"
		if $MAKE -s -C "$tree" M="$top/$mod" modules >"$out/module.log" 2>&1 &&
		   $MAKE -s KDIR="$tree" BUILD="$out" fault-module >>"$out/module.log" 2>&1; then
			echo "ok - module builds against the debug kernel" | tee -a "$tap"
			# Debug checks make everything slower: more time and memory.
			VMLINUZ=$tree/arch/x86/boot/bzImage \
			EVS_VM_TIMEOUT=${EVS_VM_TIMEOUT:-5400} \
			EVS_VM_MEM=${EVS_VM_MEM:-4096} \
			EVS_VM_APPEND="EVS_STRESS_QUICK=1 EVS_FUZZ_SECS=15 EVS_TEST_TIMEOUT=1800 ${EVS_VM_APPEND:-}" \
				vm vm-debug "$(scripts/krelease.sh "$tree")" \
				"$mod/kmod/evstream.ko,$out/fault/evstream-fault.ko" \
				"$@"
		else
			echo "not ok - module builds against the debug kernel" | tee -a "$tap"
			tail -n 40 "$out/module.log" | sed 's/^/# /'
		fi
	fi
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
