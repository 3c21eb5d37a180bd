#!/bin/sh
# evctl as an operator's tool against the real module: named network
# namespaces (-n), the monitor, stats -w, ring and latency dumps, the
# /proc files.  Runs in a network namespace of its own.
[ -z "$EVS_IN_NETNS" ] && EVS_IN_NETNS=1 exec unshare -n "$0" "$@"
ip link set lo up
. "$(dirname "$0")/tap.sh"

tap_plan 26

# A named namespace, made the way `ip netns add` makes one.
mkdir -p /run/netns
unshare -n sleep 600 &
holder=$!
n=0
while [ "$(readlink /proc/$holder/ns/net)" = "$(readlink /proc/self/ns/net)" ] &&
      [ $n -lt 100 ]; do
	n=$((n + 1))
	sleep 0.05
done
touch /run/netns/evs1
mount --bind /proc/$holder/ns/net /run/netns/evs1

tap_cmd "-n: listen add in evs1" 0 evctl -n evs1 listen add 127.0.0.1:7100
tap_cmd "-n: evs1 shows its listener" 0 sh -c \
	"evctl -n evs1 -j listen show | jq -e 'length == 1 and .[0].local_port == 7100'"
tap_cmd "this namespace does not" 0 sh -c \
	"evctl -j listen show | jq -e 'length == 0'"
tap_cmd "-n with no such namespace: exit 1" 1 evctl -n nosuch stats
echo "$tap_err" | grep -q "cannot enter network namespace 'nosuch'"
tap_ok "-n error names the namespace: $tap_err" $?

# The monitor sees each change, in order, as it happens.  Rate summaries
# come in between once a second while a listener is up (more of them on
# a slow machine): they are left out of the comparison.
evctl -j monitor >/tmp/mon.json 2>/tmp/mon.err &
mon=$!
# It is listening once its group membership shows in /proc: a group
# besides the controller's "notify" (16, bit 0x8000), which it joins first.
n=0
while ! grep -q . /tmp/mon.json 2>/dev/null && [ $n -lt 100 ] &&
      ! awk '$4 ~ /^0*[1-9a-f]/ && $4 != "00008000"' /proc/net/netlink |
	grep -q .; do
	n=$((n + 1))
	sleep 0.05
done
evctl listen add 127.0.0.1:7000 >/dev/null
evctl route add topic 5 prio batch
evctl config set batch 32
printf 'garbage-frame-header' | nc 127.0.0.1 7000 >/dev/null
# nc is done once the server's FIN after the ERROR came; the server
# closes its side when nc's FIN follows: wait for that before going on.
n=0
while ! evctl -j conn show | jq -e 'length == 0' >/dev/null && [ $n -lt 200 ]; do
	n=$((n + 1))
	sleep 0.05
done
evctl route del topic 5
# The last change shows up: everything before it has too.
n=0
while ! grep -q '"route-del"' /tmp/mon.json && [ $n -lt 400 ]; do
	n=$((n + 1))
	sleep 0.05
done
kill $mon
wait $mon
grep -q '"route-del"' /tmp/mon.json
tap_ok "monitor shows the last change (route-del)" $?
sed 's/^/# /' /tmp/mon.json | grep -v '"event":"rate"'
events=$(jq -r 'select(.event != "rate") | .event' /tmp/mon.json | tr '\n' ' ')
echo "# events: $events"
[ "$events" = "listen-add route-add config conn-open proto-error conn-close route-del " ] ||
	[ "$events" = "listen-add route-add config conn-open conn-close proto-error route-del " ]
tap_ok "monitor saw listen-add, route-add, config, conn-open, proto-error, conn-close, route-del" $?
jq -s -e 'map(select(.event == "proto-error"))[0] | .error_kind == "magic" and .error_message == "bad magic"' \
	/tmp/mon.json >/dev/null
tap_ok "proto-error says what and why" $?
jq -s -e 'map(select(.event == "conn-close"))[0].close_reason == "error"' /tmp/mon.json >/dev/null
tap_ok "conn-close gives the reason" $?
jq -s -e 'map(select(.event == "config"))[0].batch == 32' /tmp/mon.json >/dev/null
tap_ok "config carries the new settings" $?

tap_cmd "monitor rate summaries while a listener is up" 0 sh -c \
	"evctl -j monitor --count 4 | jq -s -e 'map(select(.event == \"rate\")) | length >= 1 and (.[0].interval_ms > 0)'"

tap_cmd "stats -w 1 --count 2: two frames" 0 sh -c \
	"evctl -j stats -w 1 --count 2 >/tmp/w.json && [ \$(wc -l </tmp/w.json) -eq 2 ]"
jq -s -e '.[0].deltas == null and (.[1].deltas | type == "object") and .[1].interval_ms > 0' \
	/tmp/w.json >/dev/null
tap_ok "stats -w: deltas and the interval from the second frame" $?

evload --addr 127.0.0.1:7000 --events 3000 --prio mix >/dev/null
tap_cmd "ring show: every CPU and priority, empty at rest" 0 sh -c \
	"evctl -j ring show | jq -e \"length == $(nproc) * 3 and all(.[]; .events == 0)\""
tap_cmd "latency show: events per priority add up" 0 sh -c \
	"evctl -j latency show | jq -e 'map(.events) | add == 3000'"

# /proc shows what netlink shows.
awk 'NR == 1 { ok = $0 == "address accepted conns" } NR == 2 { ok = ok && $1 == "127.0.0.1:7000" && $2 == 2 } END { exit !(ok && NR == 2) }' \
	/proc/net/evstream/listeners
tap_ok "/proc/net/evstream/listeners" $?
evctl route add topic 9 prio realtime
awk 'NR == 1 { ok = $0 == "topic prio" } NR == 2 { ok = ok && $1 == 9 && $2 == "realtime" } END { exit !(ok && NR == 2) }' \
	/proc/net/evstream/routes
tap_ok "/proc/net/evstream/routes" $?
head -n 1 /proc/net/evstream/stats | grep -qx 'name value'
tap_ok "/proc/net/evstream/stats has its header" $?

tap_cmd "config show has idle-timeout and ack-delay" 0 sh -c \
	"evctl -j config show | jq -e '.idle_timeout_s == 0 and .ack_delay_us == 0'"
tap_cmd "idle-timeout out of range" 1 evctl config set idle-timeout 86401
[ "$tap_err" = "evctl: idle-timeout 86401: out of range (allowed 0..86400)" ]
tap_ok "the refusal says the range: $tap_err" $?
tap_cmd "help for every object" 0 sh -c \
	'for o in version stats listen route conn ring latency read config monitor; do evctl help $o >/dev/null || exit 1; done'

# An unprivileged user's own namespace stops at the host's ceilings, and
# evctl passes on why, not a hint about capabilities.
in_own_userns()
{
	su -s /bin/sh nobody -c "unshare -Urn $*"
}
tap_cmd "own user namespace: pool-limit at the ceiling" 0 \
	in_own_userns evctl config set pool-limit 65536
tap_cmd "own user namespace: pool-limit over the ceiling" 1 \
	in_own_userns evctl config set pool-limit 65537
[ "$tap_err" = "evctl: Operation not permitted: pool_limit above its ceiling, userns_pool_limit" ]
tap_ok "the refusal names the ceiling: $tap_err" $?
echo 100000 >/sys/module/evstream/parameters/userns_pool_limit
tap_cmd "own user namespace: over the old ceiling once root raised it" 0 \
	in_own_userns evctl config set pool-limit 65537
echo 65536 >/sys/module/evstream/parameters/userns_pool_limit

evctl -n evs1 listen del 127.0.0.1:7100
umount /run/netns/evs1
rm -f /run/netns/evs1
kill $holder
tap_done
