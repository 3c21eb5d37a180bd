# SPDX-License-Identifier: GPL-2.0
#
# TAP helpers the packaging tests share; sourced, after each has set
# $tmp (its scratch directory).  Counts failures in $fails.

fails=0

ok()
{
	echo "ok - $1"
}

not_ok()
{
	echo "not ok - $1"
	fails=$((fails + 1))
}

# check NAME CMD...: ok when CMD succeeds.
check()
{
	tname=$1
	shift
	if "$@"; then ok "$tname"; else not_ok "$tname"; fi
}

# same NAME WANT GOT: two lists, sorted, equal and not empty.
same()
{
	printf '%s\n' "$2" | sort >"$tmp/want"
	printf '%s\n' "$3" | sort >"$tmp/got"
	if [ -n "$2" ] && cmp -s "$tmp/want" "$tmp/got"; then
		ok "$1"
	else
		not_ok "$1"
		diff "$tmp/want" "$tmp/got" | sed 's/^/#  /'
	fi
}

# The closing line, and the exit status: 1 when anything failed.
finish()
{
	echo "# $0: $fails failed"
	[ "$fails" -eq 0 ]
	exit
}
