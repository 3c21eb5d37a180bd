#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Checks evctl's JSON output against the tables of docs/json.md: every
# key an output has must be a row of "Keys" with a value of that row's
# type, every key inside counters, deltas, rates and gauges a row of
# "Counter and gauge names" of its kind.  With -a, every row must also
# have been seen in some output (-x KEY, repeatable: but KEY, which these
# outputs cannot have).  Prints one line per finding; exits 1 if there
# is any, 2 when it cannot check at all.
#
# usage: json_keys.sh [-a] [-x KEY]... JSON.MD OUTPUT...
# Each OUTPUT holds JSON documents (one or more, as evctl prints them).
# Needs sh, awk and jq: it runs in the test VM too.

all=0
except=""
while [ $# -gt 0 ]; do
	case $1 in
	-a) all=1 ;;
	-x) except="$except $2"; shift ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 2 ] || { echo "usage: json_keys.sh [-a] [-x KEY]... JSON.MD OUTPUT..." >&2; exit 2; }
doc=$1
shift

# The two tables as one JSON object: {keys: {KEY: TYPE}, names: {NAME:
# KIND}}.  A row is a line "| `KEY` | TYPE | ..." under its heading.
tables=$(awk '
	/^## / { sec = $0; next }
	/^\| `/ {
		n = split($0, f, "|")
		key = f[2]; type = f[3]
		gsub(/^[ `]+|[ `]+$/, "", key)
		gsub(/^ +| +$/, "", type)
		if (sec == "## Keys") {
			keys = keys sep1 "\"" key "\":\"" type "\""
			sep1 = ","
		} else if (sec == "## Counter and gauge names") {
			names = names sep2 "\"" key "\":\"" type "\""
			sep2 = ","
		}
	}
	END { printf "{\"keys\":{%s},\"names\":{%s}}\n", keys, names }
' "$doc")
if ! echo "$tables" | jq -e '(.keys | length) > 0 and (.names | length) > 0' >/dev/null 2>&1; then
	echo "json_keys: no tables in $doc" >&2
	exit 2
fi

# Every key of every document with its parent's key and value; then the
# findings, and with -a the rows no document had.
jq -n -r --argjson t "$tables" --argjson all "$all" \
	--arg except "$except" '
	def pairs($parent):
		if type == "object" then
			to_entries[] |
			{key, parent: $parent, value},
			(.key as $k | .value | pairs($k))
		elif type == "array" then .[] | pairs($parent)
		else empty end;
	def is($want):
		($want | sub(" or null$"; "")) as $base |
		((($want | endswith(" or null")) and . == null) or
		 (if $base == "integer" then type == "number" and . == floor
		  elif $base == "array of integer" then
			type == "array" and
			all(.[]; type == "number" and . == floor)
		  else type == $base end));
	def tname:
		if type == "number" and . == floor then "integer" else type end;
	def kind($parent):
		if $parent == "gauges" then "gauge"
		elif $parent == "counters" or $parent == "deltas" or
		     $parent == "rates" then "counter"
		else null end;
	[inputs | pairs(null)] as $seen |
	($seen[] | .key as $k | .value as $v | .parent as $p |
	 kind($p) as $kind |
	 if $kind then
		if $t.names[$k] != $kind then
			"\($p).\($k): not a \($kind) name in the table"
		elif $v | is(if $p == "rates" then "number"
			     else "integer" end) | not then
			"\($p).\($k): \($v | tname), not a number of its kind"
		else empty end
	 elif $t.keys | has($k) | not then
		"\($k): not in the table (value \($v | tojson | .[0:60]))"
	 elif $v | is($t.keys[$k]) | not then
		"\($k): \($v | tname), the table says \($t.keys[$k])"
	 else empty end),
	(if $all == 1 then
		($seen | map(select(kind(.parent) == null) | .key) | unique) as $k |
		($seen | map(select(kind(.parent)) | .key) | unique) as $n |
		($except | split(" ") | map(select(. != ""))) as $x |
		((($t.keys | keys) - $k - $x)[] |
		 "\(.): in the table, in no output"),
		((($t.names | keys) - $n - $x)[] |
		 "\(.): a name in the table, in no output")
	 else empty end)
' "$@" >"${TMPDIR:-/tmp}/json_keys.$$" 2>&1
rc=$?
out=$(cat "${TMPDIR:-/tmp}/json_keys.$$")
rm -f "${TMPDIR:-/tmp}/json_keys.$$"
if [ $rc -ne 0 ]; then
	echo "json_keys: jq failed ($rc): $out" >&2
	exit 2
fi
[ -z "$out" ] && exit 0
echo "$out"
exit 1
