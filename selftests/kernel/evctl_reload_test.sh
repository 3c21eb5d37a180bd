#!/bin/sh
# evctl monitor and evctl stats -w while the module is unloaded and loaded
# again (rmmod, insmod): each says so, the monitor joins the new module's
# group and shows its notifications, stats -w starts its deltas over.
# Runs in a network namespace of its own.
[ -z "$EVS_IN_NETNS" ] && EVS_IN_NETNS=1 exec unshare -n "$0" "$@"
ip link set lo up
. "$(dirname "$0")/tap.sh"

tap_plan 20

# wait_for FILE EXTENDED-REGEX: up to 30 s for a line of FILE to match.
wait_for()
{
	n=0
	while ! grep -qE "$2" "$1" 2>/dev/null && [ $n -lt 300 ]; do
		n=$((n + 1))
		sleep 0.1
	done
	grep -qE "$2" "$1" 2>/dev/null
}

# wait_json FILE JQ-FILTER: up to 30 s for the lines of FILE, slurped,
# to pass FILTER.
wait_json()
{
	n=0
	while ! jq -se "$2" "$1" >/dev/null 2>&1 && [ $n -lt 300 ]; do
		n=$((n + 1))
		sleep 0.1
	done
	jq -se "$2" "$1" >/dev/null 2>&1
}

mon=/tmp/reload-mon.json
w=/tmp/reload-w.json
wait_mon=/tmp/reload-wait.json
: >"$mon"
: >"$w"
: >"$wait_mon"
evctl -j monitor >"$mon" 2>/tmp/reload-mon.err &
mon_pid=$!
evctl -j stats -w 0.2 >"$w" 2>/tmp/reload-w.err &
w_pid=$!

# The monitor is in its group once it shows a change: until then, each
# try may come before it joined.
n=0
while ! grep -q '"event":"config"' "$mon" && [ $n -lt 100 ]; do
	evctl config set batch 32
	n=$((n + 1))
	sleep 0.2
done
wait_for "$mon" '"event":"config".*"batch":32'
tap_ok "monitor is listening (config batch 32)" $?

# Counters that a restart would show going back to 0.
evctl listen add 127.0.0.1:7400 >/dev/null
evload --addr 127.0.0.1:7400 --events 100 >/dev/null
wait_json "$w" 'map(.counters.frames) | max >= 100'
tap_ok "stats -w counts 100 frames" $?

rmmod evstream
[ ! -d /sys/module/evstream ]
tap_ok "rmmod evstream" $?
wait_for "$mon" '"event":"module-unload"'
tap_ok "monitor: module-unload" $?
wait_for /tmp/reload-w.err 'module unloaded'
tap_ok "stats -w: module unloaded" $?

# While it is gone: monitor fails as any command, or with --wait waits.
tap_cmd "monitor without the module: exit 1" 1 evctl monitor
[ "$tap_err" = "evctl: evstream module not loaded" ]
tap_ok "monitor without the module says so: $tap_err" $?
evctl -j monitor --wait >"$wait_mon" 2>/tmp/reload-wait.err &
wait_pid=$!
wait_for /tmp/reload-wait.err 'waiting for it'
tap_ok "monitor --wait: waiting for it" $?

insmod /lib/modules/evstream.ko
wait_for "$mon" '"event":"module-load"'
tap_ok "monitor: module-load" $?
wait_for "$wait_mon" '"event":"module-load"'
tap_ok "monitor --wait: module-load" $?

# A notification of the new module reaches both: they joined its group
# before they said module-load.
evctl config set batch 48
wait_for "$mon" '"event":"config".*"batch":48'
tap_ok "monitor: the new module's config change (batch 48)" $?
wait_for "$wait_mon" '"event":"config".*"batch":48'
tap_ok "monitor --wait: the new module's config change (batch 48)" $?

# Two frames of the new module: the first has nothing to compare with.
wait_json "$w" '(map(.deltas == null) | indices(true) | length) == 2 and
	(map(.deltas == null) | rindex(true)) < length - 1'
tap_ok "stats -w: two frames after the reload" $?

kill -TERM $mon_pid $w_pid $wait_pid
wait $mon_pid
mon_rc=$?
wait $w_pid
w_rc=$?
wait $wait_pid
wait_rc=$?

sed 's/^/# monitor: /' "$mon" | grep -v '"event":"rate"'
events=$(jq -r 'select(.event | test("^(config|module-)")) |
	.event + (if .event == "config" then " \(.batch)" else "" end)' "$mon" |
	uniq | tr '\n' ,)
echo "# events: $events"
[ "$events" = "config 32,module-unload,module-load,config 48," ]
tap_ok "monitor: config, module-unload, module-load, config, in order" $?
jq -se 'map(select(.event | startswith("module-")) | keys == ["event", "timestamp_ms"]) | all' \
	"$mon" >/dev/null
tap_ok "monitor: module lines have event and timestamp_ms" $?
[ $mon_rc -eq 0 ] && [ ! -s /tmp/reload-mon.err ]
tap_ok "monitor: SIGTERM exits 0, nothing on stderr (rc $mon_rc)" $?
[ $wait_rc -eq 0 ] &&
	[ "$(cat /tmp/reload-wait.err)" = "evctl: evstream module not loaded; waiting for it" ]
tap_ok "monitor --wait: SIGTERM exits 0, one line on stderr (rc $wait_rc)" $?

sed 's/^/# stats -w stderr: /' /tmp/reload-w.err
printf '%s\n' "evctl: module unloaded; waiting for it to be loaded again" \
	"evctl: module loaded again; counters restarted" >/tmp/reload-w.want
[ $w_rc -eq 0 ] && cmp -s /tmp/reload-w.err /tmp/reload-w.want
tap_ok "stats -w: unloaded, loaded again, SIGTERM exits 0 (rc $w_rc)" $?
# The frame after the restart starts over at 0: no delta, no negative
# rate; the next one has deltas again.
jq -c '[.counters.frames, .deltas.frames]' "$w" | sed 's/^/# stats -w: /' | uniq -c
jq -se '(map(.deltas == null) | rindex(true)) as $i |
	.[$i].counters.frames == 0 and .[$i - 1].counters.frames >= 100 and
	.[$i + 1].deltas.frames == 0 and
	all(.[1:][]; .deltas == null or all(.rates[]; . >= 0))' \
	"$w" >/dev/null
tap_ok "stats -w: counters restart at 0, deltas again after" $?
! grep -q 'No such file' /tmp/reload-w.err /tmp/reload-mon.err "$w" "$mon"
tap_ok "no 'No such file or directory' anywhere" $?

tap_done
