#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Command-line behaviour of evctl: usage errors and help with the real
# binary, everything that talks to the kernel with the fake-kernel build
# (tests/fake_kernel.c).  Prints TAP-like lines; exits 1 on any failure.
#
# usage: evctl_test.sh EVCTL EVCTL_FAKE

EVCTL=$1
FAKE=$2
fails=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# run NAME WANT_RC WANT_STDERR_LINE1 CMD...: rc and first line of stderr.
run() {
	name=$1 want_rc=$2 want_err=$3
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	got_err=$(head -n 1 "$tmp/err")
	if [ "$rc" -ne "$want_rc" ] || [ "$got_err" != "$want_err" ]; then
		echo "not ok - $name"
		echo "#  rc $rc (want $want_rc), stderr: $(cat "$tmp/err")"
		fails=$((fails + 1))
	else
		echo "ok - $name"
	fi
}

# The output of the last run must be valid JSON with these keys.
json() {
	name=$1 filter=$2
	if ! command -v jq >/dev/null; then
		echo "not ok - $name: jq missing (scripts/deps.sh installs it)"
		fails=$((fails + 1))
	elif jq -e "$filter" "$tmp/out" >/dev/null 2>&1; then
		echo "ok - $name"
	else
		echo "not ok - $name"
		echo "#  $(cat "$tmp/out")"
		fails=$((fails + 1))
	fi
}

stdout_is() {
	name=$1 want=$2
	if [ "$(cat "$tmp/out")" = "$want" ]; then
		echo "ok - $name"
	else
		echo "not ok - $name"
		echo "#  got: $(cat "$tmp/out")"
		fails=$((fails + 1))
	fi
}

run "help" 0 "" "$EVCTL" help
grep -q '^Usage: evctl' "$tmp/out" || { echo "not ok - help text"; fails=$((fails + 1)); }
run "-h" 0 "" "$EVCTL" -h
run "--help" 0 "" "$EVCTL" --help
run "stats help" 0 "" "$EVCTL" stats help
run "help stats" 0 "" "$EVCTL" help stats
run "h st" 0 "" "$EVCTL" h st
run "unknown object" 2 "evctl: unknown object 'bogus'" "$EVCTL" bogus
grep -qx "Try 'evctl help'." "$tmp/err" || { echo "not ok - try line"; fails=$((fails + 1)); }
run "unknown verb" 2 "evctl: unknown verb 'bogus'" "$EVCTL" stats bogus
run "extra argument" 2 "evctl: unexpected argument 'x'" "$EVCTL" stats show x
run "unknown option" 2 "evctl: unknown option '-z'" "$EVCTL" -z stats
run "unknown long option" 2 "evctl: unknown option '--zz'" "$EVCTL" --zz
run "no object" 2 "evctl: missing object" "$EVCTL"
run "help extra" 2 "evctl: unexpected argument 'x'" "$EVCTL" help stats x
run "stats help extra" 2 "evctl: unexpected argument 'x'" "$EVCTL" stats help x

export EVS_FAKE=ok
run "version" 0 "" "$FAKE" version
stdout_is "version text" "evctl 0.1.0
module 0.1.0-fake, wire protocol 1"
run "-V" 0 "" "$FAKE" -V
run "-j version" 0 "" "$FAKE" -j version
json "-j version keys" '.evctl == "0.1.0" and .module == "0.1.0-fake" and .protocol == 1'
stdout_is "-j version compact" '{"evctl":"0.1.0","module":"0.1.0-fake","protocol":1}'
run "-p version" 0 "" "$FAKE" -p version
json "-p version keys" '.protocol == 1'
run "stats" 0 "" "$FAKE" stats
grep -qE '^frames +6$' "$tmp/out" || { echo "not ok - stats line"; fails=$((fails + 1)); }
[ "$(wc -l <"$tmp/out")" -eq 21 ] || { echo "not ok - stats lines"; fails=$((fails + 1)); }
run "st sh" 0 "" "$FAKE" st sh
run "-j stats" 0 "" "$FAKE" -j stats
json "-j stats keys" '.version == "0.1.0-fake" and .counters.frames == 6 and (.counters | length) == 21'
run "-p stats" 0 "" "$FAKE" --pretty stats
json "-p stats keys" '.counters.acks == 66'
run "stats reset" 0 "" "$FAKE" stats reset
stdout_is "stats reset is quiet" ""

EVS_FAKE=partial
run "partial stats" 0 "" "$FAKE" -j stats
json "partial stats keys" '(.counters | length) == 11 and (.counters | has("bytes") | not)'

EVS_FAKE=absent
run "module not loaded" 1 "evctl: evstream module not loaded" "$FAKE" stats
run "module not loaded, -j" 1 "evctl: evstream module not loaded" "$FAKE" -j version
stdout_is "no output on error" ""

EVS_FAKE=eperm
run "EPERM" 1 "evctl: Operation not permitted (need CAP_NET_ADMIN)" "$FAKE" stats reset

EVS_FAKE=einval
run "extack" 1 'evctl: Invalid argument: Fake "quoted" failure (offset 20)' "$FAKE" stats

EVS_FAKE=bad
run "bad version reply" 1 "evctl: malformed reply from the kernel: bad or missing protocol version" "$FAKE" version
run "bad stats reply" 1 "evctl: malformed reply from the kernel: bad or missing counters" "$FAKE" stats

echo "$0: $fails failed"
[ "$fails" -eq 0 ]
