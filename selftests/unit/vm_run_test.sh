#!/bin/sh
# selftests/vm/run.sh's verdict, with a stand-in for QEMU that writes a
# given result file to the second serial port: a check run passes only
# when the guest finished and no result says "not ok".  TAP on stdout.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
: >"$tmp/vmlinuz"
# The fake QEMU copies $FAKE_RESULTS to the file of the second -serial.
cat >"$tmp/bin/qemu-system-x86_64" <<'FAKE'
#!/bin/sh
n=0
while [ $# -gt 0 ]; do
	if [ "$1" = -serial ]; then
		n=$((n + 1))
		[ "$n" -eq 2 ] && cp "$FAKE_RESULTS" "${2#file:}"
	fi
	shift
done
exit "${FAKE_STATUS:-0}"
FAKE
chmod +x "$tmp/bin/qemu-system-x86_64"
n=0
fails=0

# expect NAME WANT-STATUS MODE RESULT-LINES...
expect()
{
	name=$1 want=$2 mode=$3
	shift 3
	printf '%s\n' "$@" >"$tmp/results"
	PATH=$tmp/bin:$PATH VMLINUZ=$tmp/vmlinuz FAKE_RESULTS=$tmp/results \
		"$top/selftests/vm/run.sh" test "$tmp/initrd" "$mode" "$tmp/out" \
		>"$tmp/log" 2>&1
	rc=$?
	n=$((n + 1))
	if [ "$rc" -eq "$want" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (status $rc, want $want)"
		sed 's/^/# /' "$tmp/log"
		fails=$((fails + 1))
	fi
}

echo "TAP version 13"
echo "1..7"
expect "all ok and finished: passes" 0 check "ok 1 a" "ok 2 b" EVS-VM-DONE
expect "a not ok line fails the run" 1 check "ok 1 a" "not ok 2 b" EVS-VM-DONE
expect "a nested not ok line fails the run" 1 check "# not ok 3 sub" EVS-VM-DONE
expect "a guest that never finished fails" 1 check "ok 1 a"
expect "'ok' in a comment is not a failure" 0 check "ok 1 a" "# this is not ok-ish" EVS-VM-DONE
expect "demo mode does not judge results" 0 demo "not ok 1 shown" EVS-VM-DONE

# No kernel image: a failure whoever counts the TAP lines sees.
n=$((n + 1))
if out=$(PATH=$tmp/bin:$PATH VMLINUZ=$tmp/none "$top/selftests/vm/run.sh" \
		test "$tmp/initrd" check "$tmp/out" 2>/dev/null); then
	echo "not ok $n - a missing kernel image fails (status 0)"
	fails=$((fails + 1))
elif printf '%s\n' "$out" | grep -q '^not ok - vm: no kernel image'; then
	echo "ok $n - a missing kernel image fails with a not ok line"
else
	echo "not ok $n - a missing kernel image says so as TAP: $out"
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ]
