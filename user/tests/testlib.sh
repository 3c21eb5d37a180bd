# SPDX-License-Identifier: GPL-2.0
#
# What the shell tests of user/tests share: TAP-like result lines that
# count failures in $fails, and run, which checks a command's exit status
# and the first line of its stderr.  The caller sets fails=0 and tmp (a
# scratch directory) before using them.

ok() { echo "ok - $1"; }

# not_ok NAME [LINE...]: the failure, then each LINE as a comment.
not_ok() {
	echo "not ok - $1"
	shift
	for l in "$@"; do echo "#  $l"; done
	fails=$((fails + 1))
}

# run NAME WANT_RC WANT_STDERR_LINE1 CMD...: rc and first line of stderr.
run() {
	name=$1 want_rc=$2 want_err=$3
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	got_err=$(head -n 1 "$tmp/err")
	if [ "$rc" -ne "$want_rc" ] || [ "$got_err" != "$want_err" ]; then
		not_ok "$name" "rc $rc (want $want_rc), stderr: $(cat "$tmp/err")"
	else
		ok "$name"
	fi
}
