#!/bin/sh
# TAP helpers for the shell kselftests: plan, then one ok/not ok per check.
# The script's exit status is 1 when any check failed.

tap_n=0
tap_failed=0

tap_plan()
{
	echo "TAP version 13"
	echo "1..$1"
}

# tap_ok NAME STATUS: passes when STATUS is 0.
tap_ok()
{
	tap_n=$((tap_n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $tap_n $1"
	else
		echo "not ok $tap_n $1"
		tap_failed=1
	fi
}

# tap_cmd NAME WANT_RC CMD...: runs CMD, keeps its output in $tap_out and
# $tap_err, and passes when it exits with WANT_RC.
tap_cmd()
{
	name=$1
	want=$2
	shift 2
	"$@" >/tmp/tap.out 2>/tmp/tap.err
	rc=$?
	tap_out=$(cat /tmp/tap.out)
	tap_err=$(cat /tmp/tap.err)
	if [ "$rc" -ne "$want" ]; then
		echo "# $*: exit $rc, want $want"
		sed 's/^/# stdout: /' /tmp/tap.out
		sed 's/^/# stderr: /' /tmp/tap.err
	fi
	[ "$rc" -eq "$want" ]
	tap_ok "$name" $?
}

tap_done()
{
	exit $tap_failed
}
