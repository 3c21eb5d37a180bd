#!/bin/sh
# evctl against the real module, as an operator uses it.  Runs in a
# network namespace of its own (it re-executes itself under unshare -n).
[ -z "$EVS_IN_NETNS" ] && EVS_IN_NETNS=1 exec unshare -n "$0" "$@"
ip link set lo up
. "$(dirname "$0")/tap.sh"

# Runs "$@" as nobody, with no capabilities; words must not need quoting.
as_nobody()
{
	su -s /bin/sh nobody -c "$*"
}

tap_plan 16

tap_cmd "version exits 0" 0 evctl version
modver=$(cat /sys/module/evstream/version)
echo "$tap_out" | grep -q "$modver"
tap_ok "version names the loaded module's version ($modver)" $?

tap_cmd "-j version is JSON with the module version" 0 \
	sh -c "evctl -j version | jq -e '.module == \"$modver\" and .protocol == 1'"

tap_cmd "stats exits 0" 0 evctl stats

# Every counter /proc shows appears in evctl's JSON with the same value.
tap_cmd "-j stats parses" 0 sh -c 'evctl -j stats >/tmp/stats.json && jq -e .counters /tmp/stats.json'
ok=0
while read -r name value; do
	got=$(jq -r "(.counters + .gauges).$name" /tmp/stats.json)
	[ "$got" = "$value" ] || { echo "# $name: proc $value, evctl $got"; ok=1; }
done <<EOF
$(tail -n +2 /proc/net/evstream/stats)
EOF
tap_ok "-j stats matches /proc/net/evstream/stats" $ok
n_proc=$(($(wc -l </proc/net/evstream/stats) - 1))
n_json=$(jq '(.counters + .gauges) | length' /tmp/stats.json)
[ "$n_proc" -eq "$n_json" ]
tap_ok "-j stats has as many values as /proc ($n_proc)" $?

tap_cmd "-p stats is JSON too" 0 sh -c 'evctl -p stats | jq -e .counters'
tap_cmd "stats reset as root" 0 evctl stats reset

tap_cmd "stats as nobody" 0 as_nobody evctl stats
tap_cmd "stats reset as nobody is refused" 1 as_nobody evctl stats reset
[ "$tap_err" = "evctl: Operation not permitted (need CAP_NET_ADMIN)" ]
tap_ok "refusal says why: $tap_err" $?

tap_cmd "unknown object is a usage error" 2 evctl frobnicate
tap_cmd "stray argument is a usage error" 2 evctl stats show extra

rmmod evstream
tap_cmd "without the module: exit 1" 1 evctl stats
[ "$tap_err" = "evctl: evstream module not loaded" ]
tap_ok "without the module: says so" $?
insmod /lib/modules/evstream.ko

tap_done
