#!/bin/sh
# checkpatch --strict over the kernel, UAPI, portable and userspace C.
# Prints TAP, one line per file; exits 1 when any file has a finding.
# A finding accepted in part of the tree is listed, with its reason, in
# scripts/checkpatch.ignore.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
ksrc=$1
cp="$ksrc/scripts/checkpatch.pl"

# The message types accepted for file $1.
ignored_types()
{
	grep -v '^#' "$top/scripts/checkpatch.ignore" |
	while read -r glob type _; do
		[ -n "$type" ] || continue
		# shellcheck disable=SC2254
		case $1 in
		$glob) echo "$type" ;;
		esac
	done | paste -sd, -
}

cd "$top"
files=$(git ls-files -co --exclude-standard -- 'kmod/*.[ch]' 'include/*.h' \
	'user/*.[ch]' 'selftests/*.[ch]' 'bench/*.[ch]' | sort -u)
n=0
bad=0
for f in $files; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	ignore=$(ignored_types "$f")
	out=$(perl "$cp" --strict --no-tree --terse --show-types \
		${ignore:+--ignore "$ignore"} -f "$f" 2>&1 | grep -E 'ERROR|WARNING|CHECK')
	if [ -n "$out" ]; then
		echo "not ok - checkpatch $f"
		echo "$out" | sed 's/^/# /'
		bad=$((bad + 1))
	else
		echo "ok - checkpatch $f"
	fi
done
[ "$bad" -eq 0 ]
