#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host test of the test: spec_test.sh must fail on a spec the kernel's
# YNL schema rejects.  Each case copies what spec_test.sh reads into a
# scratch tree, breaks docs/evstream.yaml in one way, and wants the
# check that covers it to say "not ok" with the reason, and spec_test.sh
# to exit 1.  The unbroken copy first: it must pass, or a failure below
# proves nothing.
# Prints TAP; exit status 1 if anything fails.
#
# Usage: selftests/unit/spec_schema_test.sh [SCHEMA_DIR]
#   SCHEMA_DIR: the genetlink*.yaml schemas (default: build/ksrc-6.12/...,
#   extracted by make unit).
# The cases' $ is sed's last line, not the shell's.
# shellcheck disable=SC2016
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
schemas=${1:-$top/build/ksrc-6.12/Documentation/netlink}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0

files="include/uapi/linux/evstream.h include/evstream/stats_names.h
	docs/evstream.yaml docs/netlink.md docs/proc.md"

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; fails=$((fails + 1)); }

# fresh: a scratch tree with the files as they are in this one.
fresh() {
	rm -rf "$tmp/root"
	for f in $files; do
		mkdir -p "$tmp/root/${f%/*}"
		cp "$top/$f" "$tmp/root/$f" || return 1
	done
}

# run [SCHEMA_DIR]: spec_test.sh on the scratch tree, its exit status in
# $rc, its output in $tmp/out.
run() {
	"$here/spec_test.sh" "$tmp/root" "${1:-$schemas}" >"$tmp/out" 2>&1
	rc=$?
}

# broken NAME SED TEST REASON: break the spec with SED; the TAP line
# whose name starts with TEST must say not ok, with REASON (a fixed
# string) in its diagnostics, and spec_test.sh must exit 1.
broken() {
	fresh || { not_ok "$1: scratch tree"; return; }
	sed -i "$2" "$tmp/root/docs/evstream.yaml"
	if cmp -s "$top/docs/evstream.yaml" "$tmp/root/docs/evstream.yaml"; then
		not_ok "$1: the sed changed nothing"
		return
	fi
	run "${5:-}"
	# The test's line and its diagnostics up to the next result.
	found=0
	awk -v t="$3" '
		/^(not )?ok [0-9]+ - / {
			p = (index($0, " - " t) > 0 && $0 ~ /^not ok/)
			if (p) found = 1
		}
		p { print }
		END { exit !found }' "$tmp/out" >"$tmp/hit" && found=1
	if [ $found -eq 1 ] && [ "$rc" -eq 1 ] && grep -qF -- "$4" "$tmp/hit"; then
		ok "$1: '$3' fails: $4"
	else
		not_ok "$1: '$3' fails: $4 (exit status $rc)"
		grep -v '^ok ' "$tmp/out" | sed 's/^/#  /'
	fi
}

echo "TAP version 13"
echo "1..11"
fresh && run
if [ "$rc" -eq 0 ] && grep -q "^ok [0-9]* - the spec validates against" "$tmp/out"; then
	ok "the spec as it is passes in a scratch tree"
else
	not_ok "the spec as it is passes in a scratch tree (exit status $rc)"
	grep -v '^ok ' "$tmp/out" | sed 's/^/#  /'
fi

v="the spec validates against Linux 6.12's Documentation/netlink"
broken "an operation flag no schema has" \
	'0,/flags: \[ uns-admin-perm \]/s//flags: [ root-perm ]/' \
	"$v/genetlink-legacy.yaml" "'root-perm' is not one of"
broken "genetlink-c, whose schema lacks uns-admin-perm" \
	's/^protocol: genetlink-legacy$/protocol: genetlink-c/' \
	"$v/genetlink-c.yaml" "'uns-admin-perm' is not one of ['admin-perm']"
broken "an unknown top-level key" '$a colour: blue' \
	"$v/genetlink-legacy.yaml" "'colour' was unexpected"
broken "an attribute type that does not exist" \
	'0,/^\( *type:\) u32$/s//\1 u31/' \
	"$v/genetlink-legacy.yaml" "attributes/15/type: 'u31' is not one of"
broken "the family without its name" '/^name: evstream$/d' \
	"$v/genetlink-legacy.yaml" "'name' is a required property"
broken "a key only genetlink-legacy has" '$a kernel-policy: global' \
	"but for uns-admin-perm the spec is genetlink-c" \
	"'kernel-policy' was unexpected"
broken "a key given twice" '$a name: evstream2' \
	"docs/evstream.yaml: no key twice" "'name' again"
broken "not YAML at all" '0,/^  -$/s//  - [/' \
	"docs/evstream.yaml parses" "line"
broken "netlink-raw, not a genetlink level" \
	's/^protocol: genetlink-legacy$/protocol: netlink-raw/' \
	"protocol 'netlink-raw' is a genetlink protocol level" "one of"
broken "no schema to validate against" '$a # the spec as it is' \
	"$v/genetlink-legacy.yaml" "No such file" "$tmp/no-schemas"

[ "$n" -eq 11 ] || not_ok "ran $n of the 11 planned"
echo "# $((n - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
