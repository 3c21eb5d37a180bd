#!/bin/sh
# Runs host unit test binaries (kselftest harness, TAP on stdout).  A
# binary that dies without a result, or reports fewer results than it
# planned (a sanitizer abort, say), is a failure of its own.
set -u
status=0
for t in "$@"; do
	name=$(basename "$t")
	echo "# selftest: $name"
	out=$("$t" 2>&1)
	rc=$?
	echo "$out"
	plan=$(echo "$out" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p' | head -n 1)
	got=$(echo "$out" | grep -cE '^(not )?ok ')
	if [ $rc -ne 0 ] && ! echo "$out" | grep -q '^not ok '; then
		echo "not ok - $name: exited with status $rc"
		status=1
	elif [ -z "$plan" ] || [ "$got" -ne "$plan" ]; then
		echo "not ok - $name: $got results for a plan of ${plan:-none}"
		status=1
	fi
	[ $rc -eq 0 ] || status=1
done
exit $status
