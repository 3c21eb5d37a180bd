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

tap_plan 19

tap_cmd "version exits 0" 0 evctl version
modver=$(cat /sys/module/evstream/version)
echo "$tap_out" | grep -q "$modver"
tap_ok "version names the loaded module's version ($modver)" $?

tap_cmd "-j version is JSON with the module version" 0 \
	sh -c "evctl -j version | jq -e '.module_version == \"$modver\" and .protocol_version == 1'"

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

# Every JSON output against the real module: each key is in
# docs/json.md's table with its type, and each row of the table is in
# some output but cmd (only for a notification evctl does not know).
jk=/tmp/jk
mkdir -p $jk
evctl -j monitor >$jk/monitor 2>/tmp/mon.err &
mon=$!
# It is listening once it is in a group besides the controller's
# "notify" (16, bit 0x8000), which it joins first.
n=0
while ! awk '$4 ~ /^0*[1-9a-f]/ && $4 != "00008000"' /proc/net/netlink |
	grep -q . && [ $n -lt 100 ]; do
	n=$((n + 1))
	sleep 0.05
done
evctl -j listen add 127.0.0.1:7400 >$jk/listen-add
evctl -j listen replace 127.0.0.1:7400 >$jk/listen-replace
evctl route add topic 2 prio realtime
evctl config set batch 32
evload --addr 127.0.0.1:7400 --events 20 --topic 2 --prio auto >/dev/null
# A client that stays while conn show looks, then one that sends garbage
# (proto-error, conn-close).
sleep 3 | nc 127.0.0.1 7400 >/dev/null &
n=0
while [ "$(evctl -j conn show | jq length)" -lt 1 ] && [ $n -lt 100 ]; do
	n=$((n + 1))
	sleep 0.05
done
evctl -j conn show >$jk/conn
printf 'garbage-frame-header' | nc 127.0.0.1 7400 >/dev/null
evctl -j version >$jk/version
evctl -j stats >$jk/stats
evctl -j stats -w 1 --count 2 >$jk/stats-w
evctl -j listen show >$jk/listen
evctl -j route show >$jk/route
evctl -j read topic 2 count 3 >$jk/read
evctl -j config show >$jk/config
evctl -j ring show >$jk/ring
evctl -j latency show >$jk/latency
evctl route del topic 2
evctl listen del 127.0.0.1:7400
n=0
while ! grep -q '"listen-del"' $jk/monitor && [ $n -lt 400 ]; do
	n=$((n + 1))
	sleep 0.05
done
kill $mon
wait $mon
for f in conn read monitor; do
	[ -s $jk/$f ] || echo "# $f: empty"
done
jq -e 'length >= 1' $jk/conn >/dev/null && jq -e 'length == 3' $jk/read >/dev/null &&
	grep -q '"proto-error"' $jk/monitor && grep -q '"rate"' $jk/monitor
tap_ok "json keys: every kind of output was produced" $?
tap_cmd "json keys: every key documented with its type, every row printed" 0 \
	"$(dirname "$0")/json_keys.sh" -a -x cmd "$(dirname "$0")/json.md" $jk/*
printf '{"conn_id":1,"bogus":2}\n' >/tmp/jk-bad
tap_cmd "json keys: an undocumented key fails here too" 1 \
	"$(dirname "$0")/json_keys.sh" "$(dirname "$0")/json.md" /tmp/jk-bad

rmmod evstream
tap_cmd "without the module: exit 1" 1 evctl stats
[ "$tap_err" = "evctl: evstream module not loaded" ]
tap_ok "without the module: says so" $?
insmod /lib/modules/evstream.ko

tap_done
