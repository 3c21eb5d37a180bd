#!/bin/sh
# Runs inside the VM: every kselftest listed in /tests/list, as TAP.
# A binary that dies without reporting, or reports fewer results than it
# planned, counts as a failure.  Last come the checks that the module
# left no trace in the kernel: no warning, no bad page, no slab residue.
# shellcheck source=selftests/vm/lib.sh
. /vm/lib.sh

echo "TAP version 13"
# Leaks from before the tests (boot) are not ours: forget them.
[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak
vm_insmod || { echo "not ok - insmod evstream.ko"; exit 1; }
echo "ok - insmod evstream.ko"

# Each binary's limit catches a hang, not slowness: the quick stress
# suite needs about 90 s of an idle 2-core host and took over 300 s on
# one running a kernel build and two other VMs.
for t in $(cat /tests/list); do
	echo "# selftest: $t"
	log=/tmp/$t.log
	timeout -s KILL "${EVS_TEST_TIMEOUT:-900}" "/tests/$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | head -n 1)
	got=$(grep -cE '^(not )?ok ' "$log")
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$log"; then
		echo "not ok - $t: exited with status $rc"
	elif [ -z "$plan" ] || [ "$got" -ne "$plan" ]; then
		echo "not ok - $t: $got results for a plan of ${plan:-none}"
	fi
	# A test may unload the module; the next one expects it back.
	[ -d /sys/module/evstream ] || vm_insmod
done

vm_unload_checks
