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
# The expected output has µs, which needs a UTF-8 locale (Debian's libc-bin
# always has C.UTF-8); LC_ALL=C runs below check "us".
LC_ALL=C.UTF-8
export LC_ALL
fails=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

. "$(dirname "$0")/testlib.sh"

# run_once NAME WANT_RC WANT_STDERR CMD...: rc, and stderr is that one line.
run_once() {
	name=$1 want_rc=$2 want_err=$3
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne "$want_rc" ] || [ "$(cat "$tmp/err")" != "$want_err" ] ||
	   [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
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

# The requests the fake kernel saw since the last check, one per line.
trace_is() {
	name=$1 want=$2
	got=$(cat "$tmp/trace" 2>/dev/null)
	rm -f "$tmp/trace"
	if [ "$got" = "$want" ]; then
		echo "ok - $name"
	else
		echo "not ok - $name"
		echo "#  got: $got"
		echo "#  want: $want"
		fails=$((fails + 1))
	fi
}

# The output of the last run must match this extended regular expression.
stdout_has() {
	name=$1 re=$2
	if grep -qE "$re" "$tmp/out"; then
		echo "ok - $name"
	else
		echo "not ok - $name"
		echo "#  no line matches: $re"
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

# promtool check metrics on file $2: no finding, or a skip without it.
promtool_ok() {
	name=$1 file=$2
	if ! command -v promtool >/dev/null; then
		echo "ok - # SKIP $name: no promtool (scripts/deps.sh installs package prometheus)"
	elif promtool check metrics <"$file" >"$tmp/promtool" 2>&1; then
		echo "ok - $name"
	else
		echo "not ok - $name"
		sed 's/^/#  /' "$tmp/promtool"
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
run "help lists every object" 0 "" "$EVCTL" help
for obj in version stats listen route conn ring latency read config monitor; do
	stdout_has "help lists $obj" "^  evctl $obj "
done
stdout_has "help lists -r" "^  -r, --raw "
stdout_has "help lists -n" "^  -n, --netns NETNS "
stdout_has "help lists -b" "^  -b, --batch FILE "
stdout_has "help lists -force" "^  -force, --force "
stdout_has "help lists config show -N" "^  evctl config \[show\] \[-N\|--numeric\] "
stdout_has "help lists -o" "^  -o, --output FMT "
stdout_has "help lists stats -w" "^  evctl stats \[show\] \[-w SECONDS \[--count N\]\] "
stdout_has "help lists monitor --wait --count" "^  evctl monitor \[--wait\] \[--count N\] "
run "help read has the JSON keys" 0 "" "$EVCTL" help read
stdout_has "help read JSON keys" "ts_done_ns, payload"
# Every object's help names its verbs and the keys of its JSON output.
for obj in version stats listen route conn ring latency read config monitor; do
	run "help $obj" 0 "" "$EVCTL" help $obj
	stdout_has "help $obj: usage" "^Usage: evctl \[OPTIONS\] $obj "
	stdout_has "help $obj: JSON keys" "^JSON: "
	cp "$tmp/out" "$tmp/help1"
	run "$obj help" 0 "" "$EVCTL" $obj help
	if cmp -s "$tmp/out" "$tmp/help1"; then echo "ok - $obj help is help $obj"; else echo "not ok - $obj help is help $obj"; fails=$((fails + 1)); fi
done
run "monitor help" 0 "" "$EVCTL" monitor help
stdout_has "monitor help has no verb" "^Usage: evctl \[OPTIONS\] monitor \[ARGS\]$"
stdout_has "monitor help: rate keys" "rate: interval_ms, deltas"
run "help stats documents -w JSON" 0 "" "$EVCTL" help stats
stdout_has "help stats: -w keys" "1970-01-01 UTC\), counters, gauges, deltas \{NAME: n\},"
stdout_has "help stats: -o prometheus" "^-o prometheus: "

# Usage errors of the new verbs: exit 2 before any netlink traffic, so
# the real binary is enough.
run "listen add: no address" 2 "evctl: missing ADDR:PORT" "$EVCTL" listen add
run "listen add: no port" 2 "evctl: invalid address '127.0.0.1': missing port" "$EVCTL" listen add 127.0.0.1
run "listen add: IPv6 without brackets" 2 "evctl: invalid address '::1:7000': an IPv6 address needs brackets" "$EVCTL" listen add ::1:7000
run "listen add: port too big" 2 "evctl: invalid address '[::1]:65536': port out of range (0..65535)" "$EVCTL" listen add '[::1]:65536'
run "listen add: extra" 2 "evctl: unexpected argument 'x'" "$EVCTL" listen add 127.0.0.1:1 x
run "listen del: no address" 2 "evctl: missing ADDR:PORT" "$EVCTL" listen del
run "listen del: name" 2 "evctl: invalid address 'localhost:1': not an IP address" "$EVCTL" listen del localhost:1
run "listen add: bad brackets" 2 "evctl: invalid address '[::1:7000': bad brackets" "$EVCTL" listen add '[::1:7000'
run "listen add: unknown interface" 2 "evctl: invalid address '[fe80::1%evs-nosuch0]:7000': unknown interface" "$EVCTL" listen add '[fe80::1%evs-nosuch0]:7000'
run "listen add: a scope" 2 "evctl: invalid address '[fe80::1%lo]:7000': the module takes no interface; listen on [::]:7000" "$EVCTL" listen add '[fe80::1%lo]:7000'
run "listen del: a scope" 2 "evctl: invalid address '[fe80::1%1]:7000': the module takes no interface; listen on [::]:7000" "$EVCTL" listen del '[fe80::1%1]:7000'
run "listen show: extra" 2 "evctl: unexpected argument 'x'" "$EVCTL" listen show x
run "route add: no prio" 2 "evctl: missing 'prio'" "$EVCTL" route add topic 7
run "route add: no topic" 2 "evctl: missing 'topic'" "$EVCTL" route add prio rt
run "route add: nothing" 2 "evctl: missing 'topic'" "$EVCTL" route add
run "route add: bad prio" 2 "evctl: invalid priority 'auto' (realtime, transactional or batch)" "$EVCTL" route add topic 7 prio auto
run "route add: prio 3" 2 "evctl: invalid priority '3' (realtime, transactional or batch)" "$EVCTL" route add topic 7 prio 3
run "route add: topic too big" 2 "evctl: invalid topic '65536'" "$EVCTL" route add topic 65536 prio rt
run "route add: negative topic" 2 "evctl: invalid topic '-1'" "$EVCTL" route add topic -1 prio rt
run "route add: topic twice" 2 "evctl: 'topic' given twice" "$EVCTL" route add topic 1 topic 2 prio rt
run "route add: no value" 2 "evctl: 'prio' needs a value" "$EVCTL" route add topic 1 prio
run "route add: unknown keyword" 2 "evctl: unexpected argument 'queue'" "$EVCTL" route add topic 1 queue 2
run "route del: prio" 2 "evctl: unexpected argument 'prio'" "$EVCTL" route del topic 1 prio rt
run "route del: no topic" 2 "evctl: missing 'topic'" "$EVCTL" route del
run "route show: extra" 2 "evctl: unexpected argument 'x'" "$EVCTL" route show x
run "conn show: extra" 2 "evctl: unexpected argument 'x'" "$EVCTL" conn show x
run "conn: unknown verb" 2 "evctl: unknown verb 'add'" "$EVCTL" conn add
run "read: nothing" 2 "evctl: read: missing arguments" "$EVCTL" read
run "read: no topic" 2 "evctl: missing topic number" "$EVCTL" read topic
run "read: bad topic" 2 "evctl: invalid topic 'x'" "$EVCTL" read topic x
run "read: no verb" 2 "evctl: unknown verb '7'" "$EVCTL" read 7
run "read: from without value" 2 "evctl: 'from' needs a value" "$EVCTL" read topic 7 from
run "read: bad from" 2 "evctl: invalid from '1x'" "$EVCTL" read topic 7 from 1x
run "read: from too big" 2 "evctl: invalid from '18446744073709551616'" "$EVCTL" read topic 7 from 18446744073709551616
run "read: count 0" 2 "evctl: invalid count '0'" "$EVCTL" read topic 7 count 0
run "read: count too big" 2 "evctl: invalid count '4294967296'" "$EVCTL" read topic 7 count 4294967296
run "read: from twice" 2 "evctl: 'from' given twice" "$EVCTL" read topic 7 from 1 from 2
run "read: unknown keyword" 2 "evctl: unexpected argument 'to'" "$EVCTL" read topic 7 to 9
run "read: -r and -j" 2 "evctl: -r and -j exclude each other" "$EVCTL" -r -j read topic 7
run "config set: nothing" 2 "evctl: missing KEY VALUE" "$EVCTL" config set
run "config set: unknown key" 2 "evctl: unknown setting 'speed'" "$EVCTL" config set speed 1
run "config set: no value" 2 "evctl: 'batch' needs a value" "$EVCTL" config set pressure 1 batch
run "config set: twice" 2 "evctl: 'batch' given twice" "$EVCTL" config set batch 1 batch 2
run "config set: u8 overflow" 2 "evctl: invalid pressure '256': out of range (0..255 %)" "$EVCTL" config set pressure 256
run "config set: u32 overflow" 2 "evctl: invalid max-payload '4294967296': out of range (0..4294967295 bytes)" "$EVCTL" config set max-payload 4294967296
run "config set: hex" 2 "evctl: invalid batch '0x10': not a plain number (0..4294967295 events)" "$EVCTL" config set batch 0x10
run "config set: negative" 2 "evctl: invalid store-limit '-1': negative (0..18446744073709551615 bytes)" "$EVCTL" config set store-limit -1
run "config show: extra" 2 "evctl: unexpected argument 'x'" "$EVCTL" config show x
run "config set: idle-timeout overflow" 2 "evctl: invalid idle-timeout '4294967296': out of range (0..4294967295 s)" "$EVCTL" config set idle-timeout 4294967296
run "config set: ack-delay negative" 2 "evctl: invalid ack-delay '-1': negative (0..4294967295 µs)" "$EVCTL" config set ack-delay -1
run "ring show: extra" 2 "evctl: unexpected argument 'x'" "$EVCTL" ring show x
run "ring: unknown verb" 2 "evctl: unknown verb 'add'" "$EVCTL" ring add
run "latency show: extra" 2 "evctl: unexpected argument 'x'" "$EVCTL" latency show x
run "latency: option" 2 "evctl: unexpected argument '-w'" "$EVCTL" latency -w 1
run "stats -w: no value" 2 "evctl: '-w' needs a value" "$EVCTL" stats -w
run "stats --watch: no value" 2 "evctl: '--watch' needs a value" "$EVCTL" stats show --watch
run "stats -w 0" 2 "evctl: invalid interval '0' (seconds, 0.1 to 86400)" "$EVCTL" stats -w 0
run "stats -w 0.05" 2 "evctl: invalid interval '0.05' (seconds, 0.1 to 86400)" "$EVCTL" stats -w 0.05
run "stats -w 1.2345" 2 "evctl: invalid interval '1.2345' (seconds, 0.1 to 86400)" "$EVCTL" stats -w 1.2345
run "stats -w 86401" 2 "evctl: invalid interval '86401' (seconds, 0.1 to 86400)" "$EVCTL" stats -w 86401
run "stats -w .5" 2 "evctl: invalid interval '.5' (seconds, 0.1 to 86400)" "$EVCTL" stats -w .5
run "stats -w 1." 2 "evctl: invalid interval '1.' (seconds, 0.1 to 86400)" "$EVCTL" stats -w 1.
run "stats -w x" 2 "evctl: invalid interval 'x' (seconds, 0.1 to 86400)" "$EVCTL" stats -w x
run "stats -w twice" 2 "evctl: '--watch' given twice" "$EVCTL" stats -w 1 --watch 2
run "stats --count without -w" 2 "evctl: '--count' needs '--watch'" "$EVCTL" stats --count 2
run "stats --count 0" 2 "evctl: invalid count '0'" "$EVCTL" stats -w 1 --count 0
run "stats --count=x" 2 "evctl: invalid count 'x'" "$EVCTL" stats -w 1 --count=x
run "stats: unknown option" 2 "evctl: unknown option '-x'" "$EVCTL" stats -x
run "stats reset: option" 2 "evctl: unexpected argument '-w'" "$EVCTL" stats reset -w 1
run "-o bogus" 2 "evctl: invalid output format 'bogus' (text, json or prometheus)" "$EVCTL" -o bogus stats
run "-o: prefix is no format" 2 "evctl: invalid output format 'prom' (text, json or prometheus)" "$EVCTL" --output=prom stats
run "-o: no value" 2 "evctl: '-o' needs a value" "$EVCTL" -o
run "--output: no value" 2 "evctl: '--output' needs a value" "$EVCTL" --output
# Objects without a Prometheus form: refused before the kernel is asked.
run "-o prometheus conn" 2 "evctl: 'conn show' has no prometheus output (only 'stats show' has)" "$EVCTL" -o prometheus conn
run "-o prometheus latency" 2 "evctl: 'latency show' has no prometheus output (only 'stats show' has)" "$EVCTL" -o prometheus latency show
run "-o prometheus stats reset" 2 "evctl: 'stats reset' has no prometheus output (only 'stats show' has)" "$EVCTL" -o prometheus stats reset
run "-o prometheus monitor" 2 "evctl: 'monitor' has no prometheus output (only 'stats show' has)" "$EVCTL" --output prometheus monitor
run "-o prometheus stats -w" 2 "evctl: '--watch' has no prometheus output" "$EVCTL" -o prometheus stats -w 1
run "-o prometheus: help still works" 0 "" "$EVCTL" -o prometheus help stats
run "monitor: extra" 2 "evctl: unexpected argument 'x'" "$EVCTL" monitor x
run "monitor: unknown option" 2 "evctl: unknown option '--bogus'" "$EVCTL" monitor --bogus
run "monitor --count: no value" 2 "evctl: '--count' needs a value" "$EVCTL" monitor --count
run "monitor --count 0" 2 "evctl: invalid count '0'" "$EVCTL" monitor --count 0
run "monitor --count too big" 2 "evctl: invalid count '4294967296'" "$EVCTL" monitor --count 4294967296
run "monitor --wait=x" 2 "evctl: '--wait' takes no value" "$EVCTL" monitor --wait=x
run "monitor --wait twice" 2 "evctl: '--wait' given twice" "$EVCTL" monitor --wait --wait
run "-n: no value" 2 "evctl: '-n' needs a value" "$EVCTL" -n
run "--netns: no value" 2 "evctl: '--netns' needs a value" "$EVCTL" --netns
run "-n: empty name" 2 "evctl: invalid network namespace name ''" "$EVCTL" -n '' stats
run "-n: dot dot" 2 "evctl: invalid network namespace name '..'" "$EVCTL" -n .. stats
# Usage errors come first, and help needs no namespace.
run "-n missing, usage error" 2 "evctl: unknown object 'bogus'" "$EVCTL" -n evs-test-missing bogus
run "-n missing, help" 0 "" "$EVCTL" -n evs-test-missing help
# A namespace that is not there: exit 1, named, with the reason.
run "-n missing" 1 "evctl: cannot enter network namespace 'evs-test-missing': No such file or directory" "$EVCTL" -n evs-test-missing stats
stdout_is "-n missing prints nothing" ""
run "--netns=missing -j" 1 "evctl: cannot enter network namespace 'evs-test-missing': No such file or directory" "$EVCTL" --netns=evs-test-missing -j monitor
: >"$tmp/notns"
run "-n of a file that is no namespace" 1 "evctl: cannot enter network namespace '$tmp/notns': Invalid argument" "$EVCTL" -n "$tmp/notns" conn

export EVS_FAKE=ok
run "version" 0 "" "$FAKE" version
stdout_is "version text" "evctl 0.1.0
module 0.1.0-fake, wire protocol 1"
run "-V" 0 "" "$FAKE" -V
run "-j version" 0 "" "$FAKE" -j version
json "-j version keys" '.evctl_version == "0.1.0" and .module_version == "0.1.0-fake" and .protocol_version == 1'
stdout_is "-j version compact" '{"evctl_version":"0.1.0","module_version":"0.1.0-fake","protocol_version":1}'
run "-p version" 0 "" "$FAKE" -p version
json "-p version keys" '.protocol_version == 1'
run "stats" 0 "" "$FAKE" stats
grep -qE '^frames +6$' "$tmp/out" || { echo "not ok - stats line"; fails=$((fails + 1)); }
# 23 counters, a blank line, 7 gauges, a blank line, the latency title,
# its header and 3 priorities.
[ "$(wc -l <"$tmp/out")" -eq 45 ] || { echo "not ok - stats lines"; fails=$((fails + 1)); }
stdout_has "stats gauge" '^store_bytes +108 B$'
stdout_has "stats bytes as a size" '^bytes +1\.0 TiB$'
stdout_has "stats latency title" '^latency, parsed to stored \(upper bounds of log2 buckets\):$'
stdout_has "stats latency header" '^PRIO +EVENTS +P50 +P99 +P99\.9$'
stdout_has "stats latency rt" '^realtime +1000 +2\.0 µs +8\.2 µs +2\.1 ms$'
stdout_has "stats latency empty" '^transactional +0 +- +- +-$'
stdout_has "stats latency open bucket" '^batch +1 +inf +inf +inf$'
run "st sh" 0 "" "$FAKE" st sh
run "-j stats" 0 "" "$FAKE" -j stats
json "-j stats keys" '.module_version == "0.1.0-fake" and .counters.frames == 6 and (.counters | length) == 25'
json "-j stats gauges" '(.gauges | length) == 13 and .gauges.listeners == 102 and .gauges.store_bytes == 108'
json "-j stats latency" '(.latency | length) == 3 and .latency[0] == {prio: "realtime", events: 1000, p50_us: 2.048, p99_us: 8.192, p999_us: 2097.152, buckets: [0,0,0,0,0,0,0,0,0,0,500,0,490,0,0,0,0,0,0,0,9,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0]}'
json "-j stats latency null" '.latency[1].events == 0 and .latency[1].p50_us == null and .latency[2].prio == "batch" and .latency[2].p999_us == null'
run "-p stats" 0 "" "$FAKE" --pretty stats
json "-p stats keys" '.counters.acks == 66'
run "stats reset" 0 "" "$FAKE" stats reset
stdout_is "stats reset is quiet" ""

export EVS_FAKE_TRACE="$tmp/trace"
rm -f "$tmp/trace"

run "listen" 0 "" "$FAKE" listen
stdout_is "listen text" "ADDRESS                     ACCEPTED  CONNS  FREEBIND
127.0.0.1:7000                     3      1  no
[::1]:7001      18446744073709551615      0  yes"
trace_is "listen request" "LISTEN_GET"
run "-j listen show" 0 "" "$FAKE" -j listen show
json "-j listen keys" '. == [{family: "inet", local_addr: "127.0.0.1", local_port: 7000, accepted: 3, conns: 1, freebind: false}, {family: "inet6", local_addr: "::1", local_port: 7001, accepted: 18446744073709551615, conns: 0, freebind: true}]'
rm -f "$tmp/trace"
run "listen add" 0 "" "$FAKE" listen add 127.0.0.1:0
stdout_is "listen add text" "ADDRESS          ACCEPTED  CONNS  FREEBIND
127.0.0.1:43210         0      0  no"
trace_is "listen add request" "LISTEN_ADD ADDR_IN=127.0.0.1 PORT=u16:0"
run "-j listen add v6" 0 "" "$FAKE" -j listen add '[2001:db8::7]:7000'
json "-j listen add keys" '. == {family: "inet6", local_addr: "2001:db8::7", local_port: 7000, accepted: 0, conns: 0, freebind: false}'
trace_is "listen add v6 request" "LISTEN_ADD ADDR_IN6=2001:db8::7 PORT=u16:7000"
run "listen add freebind" 0 "" "$FAKE" -j listen add 192.0.2.9:7000 freebind
json "listen add freebind: shown" '.freebind == true and .local_addr == "192.0.2.9"'
trace_is "listen add freebind: the flag sent" "LISTEN_ADD ADDR_IN=192.0.2.9 PORT=u16:7000 LISTEN_FREEBIND"
run_once "listen add freebind: older module" 1 "evctl: freebind: not supported by this module (update evstream.ko)" env EVS_FAKE=partial "$FAKE" listen add 192.0.2.9:7000 freebind
run "listen add: freebind twice" 2 "evctl: unexpected argument 'freebind'" "$FAKE" listen add 192.0.2.9:7000 freebind freebind
run "listen add: option before the address" 2 "evctl: invalid address 'freebind': missing port" "$FAKE" listen add freebind 192.0.2.9:7000
run "listen add: unknown option" 2 "evctl: unexpected argument 'freebnd'" "$FAKE" listen add 192.0.2.9:7000 freebnd
run "listen del takes no freebind" 2 "evctl: unexpected argument 'freebind'" "$FAKE" listen del 192.0.2.9:7000 freebind
trace_is "listen add freebind: usage errors send nothing" "LISTEN_ADD ADDR_IN=192.0.2.9 PORT=u16:7000 LISTEN_FREEBIND"
run "listen del" 0 "" "$FAKE" listen del '[::]:7001'
stdout_is "listen del is quiet" ""
trace_is "listen del request" "LISTEN_DEL ADDR_IN6=:: PORT=u16:7001"

run "route" 0 "" "$FAKE" route
stdout_is "route text" "TOPIC  PRIO
    7  realtime
    8  transactional
65535  batch"
run "-j route" 0 "" "$FAKE" -j route show
json "-j route keys" '. == [{topic: 7, prio: "realtime"}, {topic: 8, prio: "transactional"}, {topic: 65535, prio: "batch"}]'
rm -f "$tmp/trace"
run "route add" 0 "" "$FAKE" route add topic 7 prio realtime
stdout_is "route add is quiet" ""
run "route add tx, keywords swapped" 0 "" "$FAKE" route add prio tx topic 8
run "route add 2" 0 "" "$FAKE" route add topic 65535 prio 2
trace_is "route add requests" "ROUTE_ADD TOPIC=u16:7 PRIO=u8:0
ROUTE_ADD TOPIC=u16:8 PRIO=u8:1
ROUTE_ADD TOPIC=u16:65535 PRIO=u8:2"
run "route del" 0 "" "$FAKE" route del topic 9
trace_is "route del request" "ROUTE_DEL TOPIC=u16:9"
run_once "route del: no such route" 1 "evctl: topic 404: No such file or directory: no route for that topic" "$FAKE" route del topic 404
rm -f "$tmp/trace"

run "conn" 0 "" "$FAKE" conn
stdout_is "conn text" "           ID  PEER                              LOCAL  STATE            EVENTS     BYTES  PAUSED       ACKED  INFLIGHT   IDLE
            1  127.0.0.1:40000          127.0.0.1:7000  open                 10     640 B  no               9         1  1.5 s
1099511627776  [2001:db8::1]:40001  [2001:db8::2]:7001  draining  1099511627776  16.0 EiB  yes     4294967295         0  1d01h
            3  192.0.2.77:50000         127.0.0.1:7000  closing               0       0 B  no               0         0   0 ms"
run "-j conn" 0 "" "$FAKE" -j conn show
json "-j conn keys" '.[0] == {conn_id: 1, family: "inet", peer_addr: "127.0.0.1", peer_port: 40000, local_addr: "127.0.0.1", local_port: 7000, state: "open", events: 10, bytes: 640, paused: false, acked_seq: 9, inflight: 1, idle_ms: 1500} and .[1].family == "inet6" and .[1].peer_addr == "2001:db8::1" and .[1].state == "draining" and .[1].paused == true and .[1].acked_seq == 4294967295 and .[1].bytes == 18446744073709551615 and .[1].idle_ms == 90061000'
trace_is "conn request" "CONN_GET
CONN_GET"

# conn show filters, applied to the dump: ids of what is left.
conn_ids() {
	name=$1 want=$2
	shift 2
	run "$name" 0 "" "$FAKE" -j conn show "$@"
	json "$name: ids $want" "[.[].conn_id] == [$want]"
}
conn_ids "filter state" 1 state open
conn_ids "filter state twice: either" "1, 3" state open state closing
conn_ids "filter peer address" 3 peer 192.0.2.77
conn_ids "filter peer prefix" 3 peer 192.0.2.0/24
conn_ids "filter peer prefix /0: IPv4 only" "1, 3" peer 0.0.0.0/0
conn_ids "filter peer prefix and port" 3 peer 192.0.2.0/24:50000
conn_ids "filter peer prefix, other port" "" peer 192.0.2.0/24:50001
conn_ids "filter peer port alone" 1099511627776 peer :40001
conn_ids "filter peer *:port" 1 peer '*:40000'
conn_ids "filter peer bare IPv6 prefix" 1099511627776 peer 2001:db8::/32
conn_ids "filter peer IPv6 in brackets with port" 1099511627776 peer '[2001:db8::1]:40001'
conn_ids "filter peer IPv6 /127 still holds ::1" 1099511627776 peer '[2001:db8::]/127'
conn_ids "filter peer IPv6 /128 of another" "" peer '[2001:db8::]/128'
conn_ids "filter peer odd prefix length" 3 peer 192.0.2.76/31
conn_ids "filter listener" "1, 3" listener 127.0.0.1:7000
conn_ids "filter listener, wildcard address" "1, 3" listener 0.0.0.0:7000
conn_ids "filter listener, IPv6 wildcard" 1099511627776 listener '[::]:7001'
conn_ids "filter listener, other address" "" listener '[::1]:7001'
conn_ids "filter listener, other family" "" listener 0.0.0.0:7001
conn_ids "filters together" 3 listener 127.0.0.1:7000 peer 192.0.2.0/24 state closing
conn_ids "filters together, no match" "" listener 127.0.0.1:7000 state draining
EVS_FAKE=partial conn_ids "filter listener, module without local addresses: by port" "1, 3" listener 10.9.9.9:7000
run "filter: no match, text" 0 "" "$FAKE" conn show state draining peer 10.0.0.0/8
stdout_is "filter: no match prints nothing" ""
rm -f "$tmp/trace"
run "filter: bad state" 2 "evctl: invalid state 'established' (open, draining or closing)" "$FAKE" conn show state established
run "filter: bad peer" 2 "evctl: invalid peer '192.0.2.300': not an IP address" "$FAKE" conn show peer 192.0.2.300
run "filter: prefix too long" 2 "evctl: invalid peer '192.0.2.0/33': bad prefix length" "$FAKE" conn show peer 192.0.2.0/33
run "filter: IPv6 prefix too long" 2 "evctl: invalid peer '2001:db8::/129': bad prefix length" "$FAKE" conn show peer 2001:db8::/129
run "filter: empty prefix length" 2 "evctl: invalid peer '192.0.2.0/': bad prefix length" "$FAKE" conn show peer 192.0.2.0/
run "filter: bad port" 2 "evctl: invalid peer '192.0.2.1:70000': port out of range (0..65535)" "$FAKE" conn show peer 192.0.2.1:70000
run "filter: port missing" 2 "evctl: invalid peer ':': missing port" "$FAKE" conn show peer :
run "filter: star alone" 2 "evctl: invalid peer '*': missing port" "$FAKE" conn show peer '*'
run "filter: junk after brackets" 2 "evctl: invalid peer '[::1]x': unexpected text after the address" "$FAKE" conn show peer '[::1]x'
run "filter: unclosed bracket" 2 "evctl: invalid peer '[::1': bad brackets" "$FAKE" conn show peer '[::1'
run "filter: host names are not looked up" 2 "evctl: invalid peer 'localhost': not an IP address" "$FAKE" conn show peer localhost
run "filter: listener without port" 2 "evctl: invalid listener '127.0.0.1': missing port (ADDR:PORT as 'listen show' prints it)" "$FAKE" conn show listener 127.0.0.1
run "filter: keyword without value" 2 "evctl: 'peer' needs a value" "$FAKE" conn show peer
run "filter: peer twice" 2 "evctl: 'peer' given twice" "$FAKE" conn show peer 10.0.0.1 peer 10.0.0.2
run "filter: unknown keyword" 2 "evctl: unexpected argument 'dport'" "$FAKE" conn show dport 7000
trace_is "filter: usage errors send nothing" ""

# conn del
run "conn del" 0 "" "$FAKE" conn del 42
stdout_is "conn del is quiet" ""
trace_is "conn del request" "CONN_DEL CONN_ID=u64:42"
run "conn del: 2^64-1" 0 "" "$FAKE" conn del 18446744073709551615
run_once "conn del: no such connection" 1 "evctl: conn 404: No such file or directory: no connection 404 in this network namespace" "$FAKE" conn del 404
run_once "conn del: older module" 1 "evctl: conn del: not supported by this module (update evstream.ko)" env EVS_FAKE=partial "$FAKE" conn del 42
EVS_FAKE=eperm run "conn del: not admin" 1 "evctl: Operation not permitted (need CAP_NET_ADMIN)" "$FAKE" conn del 42
rm -f "$tmp/trace"
run "conn del: no id" 2 "evctl: missing connection ID" "$FAKE" conn del
run "conn del: not a number" 2 "evctl: invalid connection ID 'x1'" "$FAKE" conn del x1
run "conn del: negative" 2 "evctl: invalid connection ID '-1'" "$FAKE" conn del -1
run "conn del: above 2^64-1" 2 "evctl: invalid connection ID '18446744073709551616'" "$FAKE" conn del 18446744073709551616
run "conn del: two ids" 2 "evctl: unexpected argument '2'" "$FAKE" conn del 1 2
trace_is "conn del: usage errors send nothing" ""

run "read" 0 "" "$FAKE" read topic 7 count 2
stdout_is "read hex text" "SEQ         CONN      CLIENT_SEQ  PRIO             LEN  TS_INGEST         TS_DEQUEUE        TS_DONE
3           1         10          realtime           5  3000              3250              3500
  0000  68656c6c6f
4           1099511627776  4294967295  batch              0  4000              4250              4500"
trace_is "read request" "READ TOPIC=u16:7 FROM=u64:0 COUNT=u32:2"
run "read big" 0 "" "$FAKE" read t 7 from 5 count 1
# 10000 bytes: 313 lines of 32, the last one 16 bytes.
[ "$(wc -l <"$tmp/out")" -eq 315 ] || { echo "not ok - read big lines"; fails=$((fails + 1)); }
stdout_has "read big last line" '^  2700  050c131a21282f363d444b525960676e$'
run "-r read" 0 "" "$FAKE" -r read topic 7 from 6
printf '\000\377bin\n' >"$tmp/want"
if cmp -s "$tmp/out" "$tmp/want"; then echo "ok - -r read bytes"; else echo "not ok - -r read bytes"; fails=$((fails + 1)); fi
run "--raw read all" 0 "" "$FAKE" --raw read topic 7
[ "$(wc -c <"$tmp/out")" -eq 10011 ] || { echo "not ok - --raw read size"; fails=$((fails + 1)); }
rm -f "$tmp/trace"
run "-j read" 0 "" "$FAKE" -j read topic 7 from 3
json "-j read keys" '.[0] == {topic: 7, seq: 3, conn_id: 1, client_seq: 10, prio: "realtime", len_bytes: 5, ts_ingest_ns: 3000, ts_dequeue_ns: 3250, ts_done_ns: 3500, payload: "68656c6c6f"} and (. | length) == 4'
json "-j read payloads" '.[1].payload == "" and .[1].client_seq == 4294967295 and (.[2].payload | length) == 20000 and (.[2].payload | startswith("050c131a")) and .[3].payload == "00ff62696e0a"'
trace_is "-j read request" "READ TOPIC=u16:7 FROM=u64:3"
run "read empty topic" 0 "" "$FAKE" read topic 9
stdout_is "read empty topic prints nothing" ""
run "-j read empty topic" 0 "" "$FAKE" -j read topic 9
stdout_is "-j read empty topic" "[]"
rm -f "$tmp/trace"

run "config" 0 "" "$FAKE" config
stdout_is "config text" "max-payload          4096  bytes (4.0 KiB)
pool-limit          65536  events
pressure               80  %
ring-size            1024  slots
store-limit   68719476736  bytes (64.0 GiB)
conn-limit           1024  connections
batch                  64  events
idle-timeout          300  s
ack-delay             200  µs"
run "-j config" 0 "" "$FAKE" -j config show
json "-j config keys" '. == {max_payload_bytes: 4096, pool_limit: 65536, pressure_percent: 80, ring_size: 1024, store_limit_bytes: 68719476736, conn_limit: 1024, batch: 64, idle_timeout_s: 300, ack_delay_us: 200}'
trace_is "config request" "CONFIG_GET
CONFIG_GET"
run "config set" 0 "" "$FAKE" config set store-limit 18446744073709551615 pressure 50 max-payload 8192 pool-limit 1 ring-size 64 conn-limit 2 batch 3
stdout_is "config set is quiet" ""
trace_is "config set request" "CONFIG_SET CONFIG{ MAX_PAYLOAD=u32:8192 POOL_LIMIT=u32:1 PRESSURE=u8:50 RING_SIZE=u32:64 STORE_LIMIT=u64:18446744073709551615 CONN_LIMIT=u32:2 BATCH=u32:3 }"
run_once "config set names the bad setting" 1 "evctl: pressure 101: out of range (allowed 1..100)" "$FAKE" config set batch 1 pressure 101
rm -f "$tmp/trace"
run "config set idle-timeout, ack-delay" 0 "" "$FAKE" config set ack-delay 1000000 idle-timeout 0
trace_is "config set idle-timeout, ack-delay request" "CONFIG_SET CONFIG{ IDLE_TIMEOUT=u32:0 ACK_DELAY=u32:1000000 }"
run_once "config set idle-timeout out of range" 1 "evctl: idle-timeout 86401: out of range (allowed 0..86400)" "$FAKE" config set idle-timeout 86401
run_once "config set ack-delay out of range" 1 "evctl: ack-delay 1000001: out of range (allowed 0..1000000)" "$FAKE" config set idle-timeout 1 ack-delay 1000001
run_once "config set below the range" 1 "evctl: pressure 0: out of range (allowed 1..100)" "$FAKE" config set pressure 0
# The kernel's extended ACK with less in it, or garbage: one line each.
extack() {
	EVS_FAKE_EXTACK=$1 run_once "extack $1: $2" 1 "evctl: $2" "$FAKE" config set batch 1 pressure 101
}
extack signed "pressure 101: out of range (allowed -5..100)"
extack msg "out of range"
extack errno "Numerical result out of range"
extack offs-past "out of range (allowed 1..100)"
extack offs-header "out of range (allowed 1..100)"
extack offs-mid "out of range (allowed 1..100)"
extack policy-trunc "pressure 101: out of range"
extack policy-unknown "pressure 101: out of range (allowed 1..100)"
extack msg-nonul "pressure 101: Numerical result out of range: too?big!!! (allowed 1..100)"
rm -f "$tmp/trace"

run "ring" 0 "" "$FAKE" ring
stdout_is "ring text" "CPU  PRIO           COUNT  SIZE  FILL%
  0  realtime           0  1024    0.0
  0  transactional    512  1024   50.0
  0  batch           1024  1024  100.0
  1  realtime           1  1024    0.1
  1  transactional      0  1024    0.0
  1  batch              3  1024    0.3"
trace_is "ring request" "RING_GET"
run "-j ring" 0 "" "$FAKE" -j ring show
json "-j ring keys" 'length == 6 and .[0] == {cpu: 0, prio: "realtime", events: 0, slots: 1024} and .[2] == {cpu: 0, prio: "batch", events: 1024, slots: 1024} and .[5] == {cpu: 1, prio: "batch", events: 3, slots: 1024}'
rm -f "$tmp/trace"

# µs only in a UTF-8 locale: elsewhere its bytes would be garbage.
LC_ALL=C run "latency, LC_ALL=C" 0 "" "$FAKE" latency
stdout_has "latency, LC_ALL=C: us" '^1\.0 us \.\. 2\.0 us    500'
if grep -q 'µ' "$tmp/out"; then echo "not ok - latency, LC_ALL=C: no µ"; fails=$((fails + 1)); else echo "ok - latency, LC_ALL=C: no µ"; fi
LC_ALL=C run "stats, LC_ALL=C" 0 "" "$FAKE" stats
stdout_has "stats latency rt, LC_ALL=C" '^realtime +1000 +2\.0 us +8\.2 us +2\.1 ms$'
LC_ALL=C run "config show, LC_ALL=C" 0 "" "$FAKE" config show
stdout_has "config show ack-delay, LC_ALL=C" '^ack-delay +200  us$'
LC_ALL=C run "config set ack-delay 1500ns, LC_ALL=C" 2 "evctl: invalid ack-delay '1500ns': not a whole number of the unit (0..4294967295 us)" "$FAKE" config set ack-delay 1500ns
LANG=C.UTF-8 LC_ALL= run "latency, LANG=C.UTF-8" 0 "" "$FAKE" latency
stdout_has "latency, LANG=C.UTF-8: µs" '^1\.0 µs \.\. 2\.0 µs    500'
LC_ALL=C.UTF-8 LC_CTYPE=C run "latency, LC_ALL wins over LC_CTYPE" 0 "" "$FAKE" latency
stdout_has "latency, LC_ALL wins over LC_CTYPE: µs" '^1\.0 µs'
rm -f "$tmp/trace"
run "latency" 0 "" "$FAKE" latency
stdout_is "latency text" "realtime: 1000 events, p50 2.0 µs, p99 8.2 µs, p99.9 2.1 ms
LATENCY           COUNT  SHARE
1.0 µs .. 2.0 µs    500  50.0%  ########################################
4.1 µs .. 8.2 µs    490  49.0%  ########################################
1.0 ms .. 2.1 ms      9   0.9%  #
1.1 s .. 2.1 s        1   0.1%  #

transactional: 0 events

batch: 1 event, p50 inf, p99 inf, p99.9 inf
LATENCY     COUNT   SHARE
>= 549.8 s      1  100.0%  ########################################"
trace_is "latency request" "LATENCY_GET"
run "-j latency" 0 "" "$FAKE" -j latency show
json "-j latency keys" 'length == 3 and .[0] == {prio: "realtime", events: 1000, p50_us: 2.048, p99_us: 8.192, p999_us: 2097.152, buckets: [0,0,0,0,0,0,0,0,0,0,500,0,490,0,0,0,0,0,0,0,9,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0]} and .[1].events == 0 and .[1].p50_us == null and .[2].p999_us == null and (.[2].buckets | length) == 40'
# The same histograms as stats shows.
"$FAKE" -j stats | jq -c .latency >"$tmp/lat1" 2>/dev/null
"$FAKE" -j latency | jq -c . >"$tmp/lat2" 2>/dev/null
if [ -s "$tmp/lat1" ] && cmp -s "$tmp/lat1" "$tmp/lat2"; then echo "ok - latency show is stats latency"; else echo "not ok - latency show is stats latency"; fails=$((fails + 1)); fi
rm -f "$tmp/trace"

# -o prometheus: the same figures as -j stats, in the exposition format.
run "-o prometheus stats" 0 "" "$FAKE" -o prometheus stats
cp "$tmp/out" "$tmp/prom"
promtool_ok "-o prometheus stats: promtool check metrics" "$tmp/prom"
trace_is "-o prometheus stats request" "GET_STATS"
# Every counter and gauge of -j stats, under the name and labels
# docs/evctl.8 gives it, with its value.
"$FAKE" -j stats >"$tmp/json"
jq -r '
	def prio: {rt: "realtime", tx: "transactional", batch: "batch"}[.];
	(.counters | to_entries[] |
		if (.key | test("^(enqueued|processed)_")) then
			(.key | capture("^(?<f>[a-z]+)_(?<p>[a-z]+)$")) as $m |
			"evstream_\($m.f)_total{netns=\"default\",priority=\"\($m.p | prio)\"} \(.value)"
		elif (.key | startswith("err_")) then
			"evstream_protocol_errors_total{netns=\"default\",kind=\"\(.key[4:])\"} \(.value)"
		else
			"evstream_\(.key)_total{netns=\"default\"} \(.value)"
		end),
	(.gauges | to_entries[] |
		"evstream_\(.key)\(if (.key | startswith("mem_")) then "_bytes" else "" end){netns=\"default\"} \(.value)")
' "$tmp/json" >"$tmp/want" 2>/dev/null
missing=$(grep -vxF -f "$tmp/prom" "$tmp/want")
if [ "$(wc -l <"$tmp/want")" -eq 38 ] && [ -z "$missing" ]; then
	echo "ok - -o prometheus: every counter and gauge with its value"
else
	echo "not ok - -o prometheus: every counter and gauge with its value"; echo "#  missing: $missing"; fails=$((fails + 1))
fi
# And nothing else: the samples but the module's version and latency.
n=$(grep -v '^#' "$tmp/prom" | grep -cv '^evstream_\(module_info\|latency_seconds_\)')
[ "$n" -eq 38 ] && echo "ok - -o prometheus: no other samples" || { echo "not ok - -o prometheus: no other samples ($n)"; fails=$((fails + 1)); }
stdout_has "-o prometheus: bytes in bytes" '^evstream_bytes_total\{netns="default"\} 1099511627776$'
stdout_has "-o prometheus: module version" '^evstream_module_info\{netns="default",version="0\.1\.0-fake"\} 1$'
# One HELP and one TYPE per family, before its samples, of the right type.
if awk '
	/^# HELP / { help[$3] = 1; next }
	/^# TYPE / { if (!help[$3] || type[$3]) exit 1; type[$3] = $4; nf++; next }
	{
		name = $1; sub(/\{.*/, "", name); fam = name
		if (!type[fam]) sub(/_(bucket|sum|count)$/, "", fam)
		if (!type[fam]) exit 1
		if (fam ~ /_total$/ && type[fam] != "counter") exit 1
		if (type[fam] == "counter" && fam !~ /_total$/) exit 1
	}
	END { if (nf != 32 || type["evstream_latency_seconds"] != "histogram") exit 1 }
' "$tmp/prom"; then
	echo "ok - -o prometheus: HELP and TYPE for each family"
else
	echo "not ok - -o prometheus: HELP and TYPE for each family"; fails=$((fails + 1))
fi
# Histograms: per priority 39 bounded buckets with rising le and
# cumulative counts, then +Inf equal to _count, which is the events of
# -j stats; _sum from the bucket middles (realtime: 500 * 1536 ns +
# 490 * 6144 ns + 9 * 1.5 * 2^20 ns + 1.5 * 2^30 ns).
if awk '
	/^evstream_latency_seconds_bucket/ {
		match($0, /priority="[a-z]+"/); p = substr($0, RSTART + 10, RLENGTH - 11)
		match($0, /le="[^"]+"/); le = substr($0, RSTART + 4, RLENGTH - 5)
		if (p in inf) exit 1
		if (le == "+Inf") { inf[p] = $2; if ($2 < last[p] || nb[p] != 39) exit 1; next }
		if (nb[p] && (le + 0 <= lastle[p] || $2 < last[p])) exit 1
		nb[p]++; last[p] = $2; lastle[p] = le + 0
		next
	}
	/^evstream_latency_seconds_count/ {
		match($0, /priority="[a-z]+"/); p = substr($0, RSTART + 10, RLENGTH - 11)
		if (!(p in inf) || inf[p] != $2) exit 1
		nc++
	}
	END { if (nc != 3) exit 1 }
' "$tmp/prom"; then
	echo "ok - -o prometheus: buckets cumulative, +Inf is _count"
else
	echo "not ok - -o prometheus: buckets cumulative, +Inf is _count"; fails=$((fails + 1))
fi
for p in realtime transactional batch; do
	want=$(jq ".latency[] | select(.prio == \"$p\") | .events" "$tmp/json")
	grep -qxF "evstream_latency_seconds_count{netns=\"default\",priority=\"$p\"} $want" "$tmp/prom" &&
		echo "ok - -o prometheus: $p _count is its events" ||
		{ echo "not ok - -o prometheus: $p _count is its events"; fails=$((fails + 1)); }
done
stdout_has "-o prometheus: le of bucket 10" '^evstream_latency_seconds_bucket\{netns="default",priority="realtime",le="0\.000002047"\} 500$'
stdout_has "-o prometheus: last bounded bucket" '^evstream_latency_seconds_bucket\{netns="default",priority="batch",le="549\.755813887"\} 0$'
stdout_has "-o prometheus: _sum" '^evstream_latency_seconds_sum\{netns="default",priority="realtime"\} 1\.628547072$'
stdout_has "-o prometheus: _sum of the open bucket" '^evstream_latency_seconds_sum\{netns="default",priority="batch"\} 549\.755813888$'
stdout_has "-o prometheus: empty _sum" '^evstream_latency_seconds_sum\{netns="default",priority="transactional"\} 0\.000000000$'
# Label values escaped: backslash, double quote and line feed; a byte
# that is not UTF-8 replaced.
export EVS_FAKE_VERSION="$(printf '1.0 "q" \\b\nx\377')"
run "-o prometheus: escaping" 0 "" "$FAKE" -o prometheus stats
unset EVS_FAKE_VERSION
want=$(printf 'evstream_module_info{netns="default",version="1.0 \\"q\\" \\\\b\\nx\357\277\275"} 1')
if grep -qxF "$want" "$tmp/out"; then
	echo "ok - -o prometheus: label escaped"
else
	echo "not ok - -o prometheus: label escaped"; grep module_info "$tmp/out" | sed 's/^/#  /'; fails=$((fails + 1))
fi
promtool_ok "-o prometheus: escaped labels pass promtool" "$tmp/out"
rm -f "$tmp/trace"
# -o, -j and -p: the last one wins, before or after the verb.
"$FAKE" -j stats >"$tmp/j1"
run "-o json is -j" 0 "" "$FAKE" -o json stats
cmp -s "$tmp/out" "$tmp/j1" && echo "ok - -o json is -j" || { echo "not ok - -o json is -j"; fails=$((fails + 1)); }
run "-o prometheus, then -j after the verb" 0 "" "$FAKE" -o prometheus stats -j
cmp -s "$tmp/out" "$tmp/j1" && echo "ok - -j after -o prometheus" || { echo "not ok - -j after -o prometheus"; fails=$((fails + 1)); }
"$FAKE" stats >"$tmp/t1"
run "-p -o text" 0 "" "$FAKE" -p -o text stats
cmp -s "$tmp/out" "$tmp/t1" && echo "ok - -o text after -p" || { echo "not ok - -o text after -p"; fails=$((fails + 1)); }
run "-j -o prometheus" 0 "" "$FAKE" -j -o prometheus stats
cmp -s "$tmp/out" "$tmp/prom" && echo "ok - -o prometheus after -j" || { echo "not ok - -o prometheus after -j"; fails=$((fails + 1)); }
rm -f "$tmp/trace"
run "-o prometheus conn: nothing sent" 2 "evctl: 'conn show' has no prometheus output (only 'stats show' has)" "$FAKE" -o prometheus conn
trace_is "-o prometheus conn: nothing sent" ""
# -n NAME is the netns label, escaped like any label value.
if [ "$(id -u)" -eq 0 ]; then
	ns="$tmp/ns \"a\" \\b
c"
	ln -s /proc/self/ns/net "$ns"
	run "-o prometheus -n: netns label" 0 "" "$FAKE" -n "$ns" -o prometheus stats
	if grep -qxF "evstream_frames_total{netns=\"$tmp/ns \\\"a\\\" \\\\b\\nc\"} 6" "$tmp/out"; then
		echo "ok - -o prometheus -n: label escaped"
	else
		echo "not ok - -o prometheus -n: label escaped"; grep frames_total "$tmp/out" | sed 's/^/#  /'; fails=$((fails + 1))
	fi
	[ "$(grep -c 'netns="default"' "$tmp/out")" -eq 0 ] && echo "ok - -o prometheus -n: no default label" || { echo "not ok - -o prometheus -n: no default label"; fails=$((fails + 1)); }
	promtool_ok "-o prometheus -n: promtool check metrics" "$tmp/out"
	rm -f "$ns" "$tmp/trace"
else
	echo "ok - # SKIP -o prometheus -n: setns needs CAP_SYS_ADMIN"
fi

# stats -w: frames one after another, counters with deltas and rates.
run "stats -w --count 2" 0 "" "$FAKE" stats -w 0.1 --count 2
[ "$(grep -c '^Every 0.1 s: evctl stats ' "$tmp/out")" -eq 2 ] || { echo "not ok - stats -w: two frames"; fails=$((fails + 1)); }
stdout_has "stats -w: first frame has no delta" '^frames +6 +- +-$'
stdout_has "stats -w: delta and rate" '^frames +26 +20 +[0-9]+\.[0-9]k? events/s$'
stdout_has "stats -w: bytes as sizes" '^bytes +1\.0 TiB +1\.5 MiB +[0-9]+\.[0-9] [KMG]iB/s$'
stdout_has "stats -w: errors per second" '^err_magic +156 +120 +[0-9.]+k? errors/s$'
stdout_has "stats -w: interval" '^Every 0\.1 s: evctl stats  [0-9:]{8}  \(interval 0\.[0-9]{3} s\)$'
stdout_has "stats -w: gauges" '^store_bytes +108 B$'
stdout_has "stats -w: frames apart" '^$'
trace_is "stats -w requests" "GET_STATS
GET_STATS"
if grep -q "$(printf '\033')" "$tmp/out"; then echo "not ok - stats -w: no escapes into a file"; fails=$((fails + 1)); else echo "ok - stats -w: no escapes into a file"; fi
before_ms=$(($(date +%s) * 1000))
# Frames are due at fixed times, so a slow first read shortens the
# interval to the second: the rate must match the interval measured, not
# the one asked for.
run "stats -w -j --count 2" 0 "" "$FAKE" stats --watch=0.1 --count=2 -j
after_ms=$((($(date +%s) + 1) * 1000))
[ "$(wc -l <"$tmp/out")" -eq 2 ] || { echo "not ok - stats -w -j: one line per frame"; fails=$((fails + 1)); }
if jq -se 'length == 2 and (.[0] | keys) == ["counters", "deltas", "gauges", "interval_ms", "rates", "timestamp_ms"] and .[0].deltas == null and .[0].rates == null and .[0].interval_ms == null and .[0].counters.frames == 6 and (.[1] | keys) == ["counters", "deltas", "gauges", "interval_ms", "rates", "timestamp_ms"] and .[1].counters.frames == 26 and .[1].deltas.frames == 20 and .[1].deltas.bytes == 1572864 and (.[1].deltas | length) == 25 and .[1].interval_ms > 0 and .[1].interval_ms < 5000 and (.[1].interval_ms | . == floor) and (.[1].rates.frames * .[1].interval_ms / 1000 - 20 | fabs) < 0.5 and .[1].gauges.conns == 103' "$tmp/out" >/dev/null; then
	echo "ok - stats -w -j keys"
else
	echo "not ok - stats -w -j keys"; echo "#  $(cat "$tmp/out")"; fails=$((fails + 1))
fi
# Wall-clock milliseconds, taken when each frame's counters were read.
if jq -se --argjson lo "$before_ms" --argjson hi "$after_ms" 'all(.[]; .timestamp_ms | type == "number" and . == floor and . >= $lo and . <= $hi) and .[1].timestamp_ms >= .[0].timestamp_ms' "$tmp/out" >/dev/null; then
	echo "ok - stats -w -j: timestamp_ms"
else
	echo "not ok - stats -w -j: timestamp_ms"; echo "#  $before_ms..$after_ms: $(jq -c .timestamp_ms "$tmp/out" 2>&1)"; fails=$((fails + 1))
fi
run "-p stats -w" 0 "" "$FAKE" -p stats -w 0.1 --count 1
json "-p stats -w" '.deltas == null and .counters.frames == 6'
# On a terminal the screen is cleared before each frame.
if command -v script >/dev/null; then
	script -qec "$FAKE stats -w 0.1 --count 2" /dev/null >"$tmp/out" 2>&1
	if [ "$(grep -c "$(printf '\033\\[H\033\\[2J')" "$tmp/out")" -eq 2 ]; then echo "ok - stats -w: clears a terminal"; else echo "not ok - stats -w: clears a terminal"; fails=$((fails + 1)); fi
else
	echo "ok - # SKIP stats -w on a terminal: no script(1)"
fi
# Until interrupted: SIGINT and SIGTERM end it at once, with status 0.
for sig in INT TERM; do
	# Emptied here, not by the job's own redirection: that one runs in
	# the child, later, and until then the wait below would find the
	# previous run's frames and signal too early.
	: >"$tmp/out"
	"$FAKE" stats -w 30 >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	# Its first frame comes after its handlers are in place; a signal
	# before that would be lost (a background job starts with SIGINT
	# ignored).  Wait for it, on a busy machine too, but not forever.
	n=0
	while [ $n -lt 1200 ] && ! grep -q '^frames' "$tmp/out"; do sleep 0.05; n=$((n + 1)); done
	if ! grep -q '^frames' "$tmp/out"; then
		kill -KILL $pid
		echo "not ok - stats -w: SIG$sig exits 0"; echo "#  no first frame in 60 s"; fails=$((fails + 1))
		wait $pid
		continue
	fi
	kill -$sig $pid
	start=$(date +%s)
	wait $pid
	rc=$?
	if [ $rc -eq 0 ] && [ $(($(date +%s) - start)) -lt 5 ] && [ ! -s "$tmp/err" ]; then
		echo "ok - stats -w: SIG$sig exits 0"
	else
		echo "not ok - stats -w: SIG$sig exits 0"; echo "#  rc $rc, $(cat "$tmp/err")"; fails=$((fails + 1))
	fi
done
rm -f "$tmp/trace"

# monitor: the fake kernel delivers its script, then "presses Ctrl-C".
run "monitor" 0 "" "$FAKE" monitor
[ "$(wc -l <"$tmp/out")" -eq 10 ] || { echo "not ok - monitor: 10 lines"; fails=$((fails + 1)); }
if grep -vqE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} [a-z-]+( |$)' "$tmp/out"; then
	echo "not ok - monitor: every line starts with a timestamp and a kind"; fails=$((fails + 1))
else
	echo "ok - monitor: every line starts with a timestamp and a kind"
fi
cut -d' ' -f2- "$tmp/out" >"$tmp/mon"
cat >"$tmp/want" <<'WANT'
listen-add local 127.0.0.1:7000 accepted 3 conns 0 freebind no
conn-open conn-id 1 peer 127.0.0.1:40000 local-addr 127.0.0.1 local-port 7000 state open events 10 bytes 640 paused no acked-seq 9 inflight 1 idle-ms 1500
route-add topic 7 prio realtime
route-del topic 7
config max-payload-bytes 4096 pool-limit 65536 pressure-percent 80 ring-size 1024 store-limit-bytes 68719476736 conn-limit 1024 batch 64 idle-timeout-s 300 ack-delay-us 200
proto-error conn-id 1099511627776 peer [2001:db8::1]:40001 error-kind magic client-seq 7 error-message "bad \"magic\"\x0a"
rate interval-ms 500 frames 1200 bytes 76800 listeners 102 conns 103 paused 104 inflight 105 inflight-high 106 store-events 107 store-bytes 108 mem-inflight 109 mem-conns 110 mem-rings 111 mem-other 112 mem-used 113 mem-budget 114
conn-close conn-id 1099511627776 peer [2001:db8::1]:40001 local-addr 2001:db8::2 local-port 7001 state draining events 1099511627776 bytes 18446744073709551615 paused yes acked-seq 4294967295 inflight 0 idle-ms 90061000 close-reason error
listen-del local 127.0.0.1:7000 accepted 3 conns 0 freebind no
unknown cmd 200
WANT
if cmp -s "$tmp/mon" "$tmp/want"; then echo "ok - monitor text"; else echo "not ok - monitor text"; diff "$tmp/want" "$tmp/mon" | sed 's/^/#  /'; fails=$((fails + 1)); fi
trace_is "monitor sends no evstream request" ""
run "monitor --count 3" 0 "" "$FAKE" monitor --count 3
[ "$(wc -l <"$tmp/out")" -eq 3 ] || { echo "not ok - monitor --count 3: 3 lines"; fails=$((fails + 1)); }
stdout_has "monitor --count 3: third" ' route-add topic 7 prio realtime$'
run "monitor --count 8: in the middle of a datagram" 0 "" "$FAKE" monitor --count=8
[ "$(wc -l <"$tmp/out")" -eq 8 ] || { echo "not ok - monitor --count 8: 8 lines"; fails=$((fails + 1)); }
before_ms=$(($(date +%s) * 1000))
run "-j monitor" 0 "" "$FAKE" -j monitor
after_ms=$((($(date +%s) + 1) * 1000))
[ "$(wc -l <"$tmp/out")" -eq 10 ] || { echo "not ok - -j monitor: one line per event"; fails=$((fails + 1)); }
if jq -se '
	length == 10 and
	([.[].event] == ["listen-add", "conn-open", "route-add", "route-del", "config", "proto-error", "rate", "conn-close", "listen-del", "unknown"]) and
	all(.[]; .timestamp_ms | type == "number" and . == floor and . >= $lo and . <= $hi) and
	(.[0] | del(.timestamp_ms)) == {event: "listen-add", family: "inet", local_addr: "127.0.0.1", local_port: 7000, accepted: 3, conns: 0, freebind: false} and
	(.[1] | del(.timestamp_ms)) == {event: "conn-open", conn_id: 1, family: "inet", peer_addr: "127.0.0.1", peer_port: 40000, local_addr: "127.0.0.1", local_port: 7000, state: "open", events: 10, bytes: 640, paused: false, acked_seq: 9, inflight: 1, idle_ms: 1500} and
	(.[2] | del(.timestamp_ms)) == {event: "route-add", topic: 7, prio: "realtime"} and
	(.[3] | del(.timestamp_ms)) == {event: "route-del", topic: 7} and
	(.[4] | del(.timestamp_ms)) == {event: "config", max_payload_bytes: 4096, pool_limit: 65536, pressure_percent: 80, ring_size: 1024, store_limit_bytes: 68719476736, conn_limit: 1024, batch: 64, idle_timeout_s: 300, ack_delay_us: 200} and
	(.[5] | del(.timestamp_ms)) == {event: "proto-error", conn_id: 1099511627776, family: "inet6", peer_addr: "2001:db8::1", peer_port: 40001, error_kind: "magic", client_seq: 7, error_message: "bad \"magic\"\n"} and
	(.[6] | keys) == ["deltas", "event", "gauges", "interval_ms", "rates", "timestamp_ms"] and
	.[6].interval_ms == 500 and .[6].deltas.frames == 1200 and .[6].deltas.acks == 0 and (.[6].deltas | length) == 25 and
	.[6].rates.frames == 2400 and .[6].rates.bytes == 153600 and .[6].gauges.conns == 103 and
	.[7].event == "conn-close" and .[7].close_reason == "error" and .[7].conn_id == 1099511627776 and .[7].family == "inet6" and .[7].bytes == 18446744073709551615 and
	(.[8] | del(.timestamp_ms)) == {event: "listen-del", family: "inet", local_addr: "127.0.0.1", local_port: 7000, accepted: 3, conns: 0, freebind: false} and
	(.[9] | del(.timestamp_ms)) == {event: "unknown", cmd: 200}
' --argjson lo "$before_ms" --argjson hi "$after_ms" "$tmp/out" >/dev/null; then
	echo "ok - -j monitor keys"
else
	echo "not ok - -j monitor keys"; sed 's/^/#  /' "$tmp/out"; fails=$((fails + 1))
fi
# --wait with the module loaded: as without it, nothing said of waiting.
run "monitor --wait, module loaded" 0 "" "$FAKE" monitor --wait
cut -d' ' -f2- "$tmp/out" | cmp -s - "$tmp/want" && echo "ok - monitor --wait, module loaded: the same lines" || { echo "not ok - monitor --wait, module loaded: the same lines"; fails=$((fails + 1)); }
run "monitor -j after the object" 0 "" "$FAKE" monitor -j --count 1
json "monitor -j after the object" '.event == "listen-add"'
# Each line is out as soon as it is whole, also into a file: the fake
# holds the second notification back until the first one was read.
rm -f "$tmp/gate"
: >"$tmp/out"	# not left to the job: see the stats -w signal test
EVS_FAKE_GATE="$tmp/gate" "$FAKE" monitor --count 2 >"$tmp/out" 2>"$tmp/err" &
pid=$!
n=0
while [ $n -lt 1200 ] && [ "$(wc -l <"$tmp/out")" -lt 1 ]; do sleep 0.05; n=$((n + 1)); done
lines=$(wc -l <"$tmp/out")
touch "$tmp/gate"
wait $pid
rc=$?
if [ "$lines" -eq 1 ] && [ $rc -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 2 ]; then
	echo "ok - monitor: line-buffered into a file"
else
	echo "not ok - monitor: line-buffered into a file"; echo "#  $lines line(s) before the gate, rc $rc"; fails=$((fails + 1))
fi
rm -f "$tmp/trace"
if [ "$(id -u)" -eq 0 ]; then
	run "-n with a path" 0 "" "$FAKE" -n /proc/self/ns/net route
	stdout_has "-n with a path: output" '^65535  batch$'
	trace_is "-n with a path: request" "ROUTE_GET"
else
	echo "ok - # SKIP -n with a path: setns needs CAP_SYS_ADMIN"
fi
run "-n missing: nothing sent" 1 "evctl: cannot enter network namespace 'evs-test-missing': No such file or directory" "$FAKE" -n evs-test-missing route
trace_is "-n missing: nothing sent" ""
# Sizes and durations in config set: every suffix, the limits, hostile
# values (lib/evs_units.c has the exhaustive cases).
for sfx in B:1 K:1024 k:1024 KiB:1024 M:1048576 m:1048576 MiB:1048576 \
	   G:1073741824 g:1073741824 GiB:1073741824 T:1099511627776 \
	   t:1099511627776 TiB:1099511627776 P:1125899906842624 \
	   p:1125899906842624 PiB:1125899906842624 E:1152921504606846976 \
	   e:1152921504606846976 EiB:1152921504606846976; do
	run "config set store-limit 3${sfx%%:*}" 0 "" "$FAKE" config set store-limit "3${sfx%%:*}"
	trace_is "config set store-limit 3${sfx%%:*} request" "CONFIG_SET CONFIG{ STORE_LIMIT=u64:$((3 * ${sfx#*:})) }"
done
run "config set: sizes and durations" 0 "" "$FAKE" config set max-payload 64K store-limit 15E idle-timeout 5m ack-delay 200ms
trace_is "config set: sizes and durations request" "CONFIG_SET CONFIG{ MAX_PAYLOAD=u32:65536 STORE_LIMIT=u64:17293822569102704640 IDLE_TIMEOUT=u32:300 ACK_DELAY=u32:200000 }"
run "config set: durations in every unit" 0 "" "$FAKE" config set idle-timeout 1d ack-delay 1s
run "config set: h, min" 0 "" "$FAKE" config set idle-timeout 1h ack-delay 1000000ns
run "config set: plain numbers keep their unit" 0 "" "$FAKE" config set idle-timeout 60 ack-delay 500
run "config set: s, us" 0 "" "$FAKE" config set idle-timeout 30s ack-delay 250us
run "config set: micro sign" 0 "" "$FAKE" config set ack-delay 7µs
run "config set: min" 0 "" "$FAKE" config set idle-timeout 2min
trace_is "config set: durations requests" "CONFIG_SET CONFIG{ IDLE_TIMEOUT=u32:86400 ACK_DELAY=u32:1000000 }
CONFIG_SET CONFIG{ IDLE_TIMEOUT=u32:3600 ACK_DELAY=u32:1000 }
CONFIG_SET CONFIG{ IDLE_TIMEOUT=u32:60 ACK_DELAY=u32:500 }
CONFIG_SET CONFIG{ IDLE_TIMEOUT=u32:30 ACK_DELAY=u32:250 }
CONFIG_SET CONFIG{ ACK_DELAY=u32:7 }
CONFIG_SET CONFIG{ IDLE_TIMEOUT=u32:120 }"
# The widest value of the attribute goes through; the kernel checks the range.
run "config set max-payload at u32 max" 0 "" "$FAKE" config set max-payload 4294967295
run "config set max-payload 3G" 0 "" "$FAKE" config set max-payload 3G
trace_is "config set: u32 limits reach the kernel" "CONFIG_SET CONFIG{ MAX_PAYLOAD=u32:4294967295 }
CONFIG_SET CONFIG{ MAX_PAYLOAD=u32:3221225472 }"
run_once "config set idle-timeout 25h: the kernel's range" 1 "evctl: idle-timeout 25h: out of range (allowed 0..86400)" "$FAKE" config set idle-timeout 25h
run_once "config set ack-delay 2s: the kernel's range" 1 "evctl: ack-delay 2s: out of range (allowed 0..1000000)" "$FAKE" config set ack-delay 2s
rm -f "$tmp/trace"
U32B='(0..4294967295 bytes)'
U64B='(0..18446744073709551615 bytes)'
run "config set max-payload 4G" 2 "evctl: invalid max-payload '4G': out of range $U32B" "$FAKE" config set max-payload 4G
run "config set max-payload 4194304K" 2 "evctl: invalid max-payload '4194304K': out of range $U32B" "$FAKE" config set max-payload 4194304K
run "config set store-limit 16E" 2 "evctl: invalid store-limit '16E': out of range $U64B" "$FAKE" config set store-limit 16E
run "config set store-limit 99999999999G" 2 "evctl: invalid store-limit '99999999999G': out of range $U64B" "$FAKE" config set store-limit 99999999999G
run "config set store-limit 2^64" 2 "evctl: invalid store-limit '18446744073709551616': out of range $U64B" "$FAKE" config set store-limit 18446744073709551616
run "config set store-limit -1K" 2 "evctl: invalid store-limit '-1K': negative $U64B" "$FAKE" config set store-limit -1K
run "config set store-limit 4KB" 2 "evctl: invalid store-limit '4KB': unknown unit $U64B" "$FAKE" config set store-limit 4KB
run "config set store-limit 1.5G" 2 "evctl: invalid store-limit '1.5G': unknown unit $U64B" "$FAKE" config set store-limit 1.5G
run "config set store-limit '4 K'" 2 "evctl: invalid store-limit '4 K': unknown unit $U64B" "$FAKE" config set store-limit '4 K'
run "config set store-limit 4s" 2 "evctl: invalid store-limit '4s': unknown unit $U64B" "$FAKE" config set store-limit 4s
run "config set store-limit ''" 2 "evctl: invalid store-limit '': empty $U64B" "$FAKE" config set store-limit ''
run "config set store-limit +1" 2 "evctl: invalid store-limit '+1': not a number $U64B" "$FAKE" config set store-limit +1
run "config set store-limit M" 2 "evctl: invalid store-limit 'M': not a number $U64B" "$FAKE" config set store-limit M
run "config set idle-timeout 200ms" 2 "evctl: invalid idle-timeout '200ms': not a whole number of the unit (0..4294967295 s)" "$FAKE" config set idle-timeout 200ms
run "config set ack-delay 1500ns" 2 "evctl: invalid ack-delay '1500ns': not a whole number of the unit (0..4294967295 µs)" "$FAKE" config set ack-delay 1500ns
run "config set idle-timeout 49711d" 2 "evctl: invalid idle-timeout '49711d': out of range (0..4294967295 s)" "$FAKE" config set idle-timeout 49711d
run "config set idle-timeout 5sec" 2 "evctl: invalid idle-timeout '5sec': unknown unit (0..4294967295 s)" "$FAKE" config set idle-timeout 5sec
run "config set idle-timeout 5M" 2 "evctl: invalid idle-timeout '5M': unknown unit (0..4294967295 s)" "$FAKE" config set idle-timeout 5M
run "config set batch 4K: counts take no unit" 2 "evctl: invalid batch '4K': not a plain number (0..4294967295 events)" "$FAKE" config set batch 4K
run "config set ring-size 1m" 2 "evctl: invalid ring-size '1m': not a plain number (0..4294967295 slots)" "$FAKE" config set ring-size 1m
trace_is "config set: nothing bad is sent" ""

# config show -j's keys are config set's keys, and -N prints what set takes.
run "config set with JSON keys" 0 "" "$FAKE" config set max_payload 8K idle_timeout 10 ack-delay 5 conn_limit 7
trace_is "config set with JSON keys request" "CONFIG_SET CONFIG{ MAX_PAYLOAD=u32:8192 CONN_LIMIT=u32:7 IDLE_TIMEOUT=u32:10 ACK_DELAY=u32:5 }"
run "config set: both spellings of one key" 2 "evctl: 'max-payload' given twice" "$FAKE" config set max_payload 1 max-payload 2
run "config set: _ only for -" 2 "evctl: unknown setting 'maxpayload'" "$FAKE" config set maxpayload 1
run "config show -N" 0 "" "$FAKE" config show -N
stdout_is "config show -N text" "max-payload          4096
pool-limit          65536
pressure               80
ring-size            1024
store-limit   68719476736
conn-limit           1024
batch                  64
idle-timeout          300
ack-delay             200"
cp "$tmp/out" "$tmp/numeric"
run "config --numeric" 0 "" "$FAKE" config --numeric
if cmp -s "$tmp/out" "$tmp/numeric"; then echo "ok - config --numeric is config show -N"; else echo "not ok - config --numeric is config show -N"; fails=$((fails + 1)); fi
run "-j config show -N: JSON as before" 0 "" "$FAKE" -j config show -N
json "-j config show -N keys" '.max_payload_bytes == 4096 and .ack_delay_us == 200'
run "config show -N extra" 2 "evctl: unexpected argument 'x'" "$FAKE" config show -N x
rm -f "$tmp/trace"
# What show prints, set takes: -N words and -j keys alike.
# shellcheck disable=SC2046
run "config set \$(config show -N)" 0 "" "$FAKE" config set $(cat "$tmp/numeric")
"$FAKE" -j config show >"$tmp/json"
# shellcheck disable=SC2046
run "config set from config show -j" 0 "" "$FAKE" config set $(jq -r 'to_entries[] | "\(.key) \(.value)"' "$tmp/json")
want="CONFIG_SET CONFIG{ MAX_PAYLOAD=u32:4096 POOL_LIMIT=u32:65536 PRESSURE=u8:80 RING_SIZE=u32:1024 STORE_LIMIT=u64:68719476736 CONN_LIMIT=u32:1024 BATCH=u32:64 IDLE_TIMEOUT=u32:300 ACK_DELAY=u32:200 }"
trace_is "config show round-trips through config set" "$want
CONFIG_GET
$want"

# evctl -b: one command a line.  The fake kernel's trace shows which
# lines reached it.
printf 'route add topic 1 prio rt\nroute del topic 2\nconfig set pressure 101\nroute del topic 4\nroute del topic 5\n' >"$tmp/b-kern"
run_once "-b: kernel error on line 3" 1 "evctl: $tmp/b-kern:3: pressure 101: out of range (allowed 1..100)" "$FAKE" -b "$tmp/b-kern"
trace_is "-b: lines 1-3 sent, 4 and on not" "ROUTE_ADD TOPIC=u16:1 PRIO=u8:0
ROUTE_DEL TOPIC=u16:2
CONFIG_SET CONFIG{ PRESSURE=u8:101 }"
printf 'route add topic 1 prio rt\nroute del topic 2\nconfig set speed 1\nroute del topic 4\n' >"$tmp/b-usage"
run "-b: usage error on line 3" 2 "evctl: $tmp/b-usage:3: unknown setting 'speed'" "$FAKE" -b "$tmp/b-usage"
trace_is "-b: lines 1-2 sent, 3 and on not" "ROUTE_ADD TOPIC=u16:1 PRIO=u8:0
ROUTE_DEL TOPIC=u16:2"
run "-force: every line" 1 "evctl: $tmp/b-kern:3: pressure 101: out of range (allowed 1..100)" "$FAKE" -force -b "$tmp/b-kern"
if [ "$(tail -n 1 "$tmp/err")" = "evctl: $tmp/b-kern: 1 of 5 commands failed" ]; then echo "ok - -force: how many failed"; else echo "not ok - -force: how many failed"; echo "#  $(cat "$tmp/err")"; fails=$((fails + 1)); fi
trace_is "-force: lines after the failed one sent" "ROUTE_ADD TOPIC=u16:1 PRIO=u8:0
ROUTE_DEL TOPIC=u16:2
CONFIG_SET CONFIG{ PRESSURE=u8:101 }
ROUTE_DEL TOPIC=u16:4
ROUTE_DEL TOPIC=u16:5"
# -force counts commands: blank and comment lines are none, and a line
# that cannot be parsed is one that failed.
{
	printf '# set-up\n\nroute del topic 1\n   # indented\n\t\n'
	printf 'config set pressure 101\nroute add topic "7 prio rt\n'
	printf 'route del topic 2\000x\n# the end\nroute del topic 3'
} >"$tmp/b-count"
run "-force: commands among comments" 2 "evctl: $tmp/b-count:6: pressure 101: out of range (allowed 1..100)" "$FAKE" -force -b "$tmp/b-count"
want="evctl: $tmp/b-count:6: pressure 101: out of range (allowed 1..100)
evctl: $tmp/b-count:7: unterminated quote
Try 'evctl help'.
evctl: $tmp/b-count:8: NUL byte in line
Try 'evctl help'.
evctl: $tmp/b-count: 3 of 5 commands failed"
if [ "$(cat "$tmp/err")" = "$want" ]; then echo "ok - -force: 3 of 5 commands, comments not counted"; else echo "not ok - -force: 3 of 5 commands, comments not counted"; sed 's/^/#  /' "$tmp/err"; fails=$((fails + 1)); fi
trace_is "-force: the good commands among comments sent" "ROUTE_DEL TOPIC=u16:1
CONFIG_SET CONFIG{ PRESSURE=u8:101 }
ROUTE_DEL TOPIC=u16:3"
printf '# nothing but\n\n  # comments\n' >"$tmp/b-none"
run "-force: comments only" 0 "" "$FAKE" -force -b "$tmp/b-none"
if [ ! -s "$tmp/err" ]; then echo "ok - -force: comments only, no count"; else echo "not ok - -force: comments only, no count"; sed 's/^/#  /' "$tmp/err"; fails=$((fails + 1)); fi
trace_is "-force: comments only, nothing sent" ""
printf 'config set speed 1\nconfig set pressure 101\nroute del topic 3\n' >"$tmp/b-both"
run "--force: a usage error makes it 2" 2 "evctl: $tmp/b-both:1: unknown setting 'speed'" "$FAKE" -b "$tmp/b-both" --force
trace_is "--force: the good lines sent" "CONFIG_SET CONFIG{ PRESSURE=u8:101 }
ROUTE_DEL TOPIC=u16:3"
run "-force without -b" 2 "evctl: '-force' needs '-b'" "$FAKE" -force route
run "-b with a command" 2 "evctl: unexpected argument 'route'" "$FAKE" -b "$tmp/b-kern" route
run "-b without a file" 2 "evctl: '-b' needs a value" "$FAKE" -b
run "-b and -V" 2 "evctl: '-V' and '-b' exclude each other" "$FAKE" -V -b "$tmp/b-kern"
trace_is "-b usage errors: nothing sent" ""

# Comments, blank lines, quotes, tabs and CRLF.
{
	printf '# a comment\n\n   \n\t# an indented one\n'
	printf 'route add topic "7" prio '"'"'rt'"'"' # after a command\n'
	printf 'route\tdel\t topic 8\r\n'
	printf 'config set "store""-limit" 4K\n'
	printf 'route del topic 9'
} >"$tmp/b-syntax"
run "-b: comments, quotes, tabs, CRLF, no last newline" 0 "" "$FAKE" -b "$tmp/b-syntax"
stdout_is "-b: quiet commands print nothing" ""
trace_is "-b: comments, quotes requests" "ROUTE_ADD TOPIC=u16:7 PRIO=u8:0
ROUTE_DEL TOPIC=u16:8
CONFIG_SET CONFIG{ STORE_LIMIT=u64:4096 }
ROUTE_DEL TOPIC=u16:9"
printf 'config set "store limit" 1\n' >"$tmp/b-q"
run "-b: a quoted blank stays in the word" 2 "evctl: $tmp/b-q:1: unknown setting 'store limit'" "$FAKE" -b "$tmp/b-q"
printf 'route del topic 1\nroute add topic "7 prio rt\nroute del topic 3\n' >"$tmp/b-q"
run "-b: unterminated quote" 2 "evctl: $tmp/b-q:2: unterminated quote" "$FAKE" -b "$tmp/b-q"
printf 'route del topic 1\nroute del topic "#2"\nroute del topic#3\n' >"$tmp/b-q"
run "-b: # inside a word is no comment" 2 "evctl: $tmp/b-q:2: invalid topic '#2'" "$FAKE" -force -b "$tmp/b-q"
if grep -qx "evctl: $tmp/b-q:3: unexpected argument 'topic#3'" "$tmp/err"; then echo "ok - -b: # inside a word, line 3"; else echo "not ok - -b: # inside a word, line 3"; sed 's/^/#  /' "$tmp/err"; fails=$((fails + 1)); fi
printf 'route\n-j route\n' >"$tmp/b-q"
run "-b: no options in a line" 2 "evctl: $tmp/b-q:2: '-j': options go before -b" "$FAKE" -b "$tmp/b-q"
printf 'route add topic 1\000 prio rt\nroute del topic 2\n' >"$tmp/b-q"
run "-b: NUL byte" 2 "evctl: $tmp/b-q:1: NUL byte in line" "$FAKE" -b "$tmp/b-q"
trace_is "-b: bad lines sent nothing" "ROUTE_DEL TOPIC=u16:1
ROUTE_DEL TOPIC=u16:1
ROUTE_GET"

# The longest line, and one byte more: refused, not cut.
line=$(printf 'route del topic 6%4079s' '')
{ echo "$line"; echo "${line}x"; echo "route del topic 7"; } >"$tmp/b-long"
[ "$(head -n 1 "$tmp/b-long" | wc -c)" -eq 4097 ] || { echo "not ok - -b: line of 4096 bytes"; fails=$((fails + 1)); }
run "-b: a line over 4096 bytes" 2 "evctl: $tmp/b-long:2: line longer than 4096 bytes" "$FAKE" -b "$tmp/b-long"
trace_is "-b: the 4096-byte line ran, the longer one stopped it" "ROUTE_DEL TOPIC=u16:6"
run "-force: past a long line" 2 "evctl: $tmp/b-long:2: line longer than 4096 bytes" "$FAKE" -force -b "$tmp/b-long"
trace_is "-force: the line after the long one ran" "ROUTE_DEL TOPIC=u16:6
ROUTE_DEL TOPIC=u16:7"
head -c 100000 /dev/zero | tr '\0' 'a' >"$tmp/b-huge"
run "-b: a 100000-byte line without newline" 2 "evctl: $tmp/b-huge:1: line longer than 4096 bytes" "$FAKE" -b "$tmp/b-huge"

# stdin, an empty file, a file that is not there.
printf 'route del topic 1\nroute add topic 2\n' | "$FAKE" -b - >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && [ "$(head -n 1 "$tmp/err")" = "evctl: stdin:2: missing 'prio'" ]; then echo "ok - -b -: stdin"; else echo "not ok - -b -: stdin"; echo "#  rc $rc, $(cat "$tmp/err")"; fails=$((fails + 1)); fi
trace_is "-b -: stdin request" "ROUTE_DEL TOPIC=u16:1"
: >"$tmp/b-empty"
run "-b: empty file" 0 "" "$FAKE" -b "$tmp/b-empty"
stdout_is "-b: empty file prints nothing" ""
printf '# nothing\n\n  # to do\n' >"$tmp/b-comments"
run "-b: comments only" 0 "" "$FAKE" -b "$tmp/b-comments"
run "-b: no such file" 1 "evctl: cannot open batch file '$tmp/b-missing': No such file or directory" "$FAKE" -b "$tmp/b-missing"
run "-b: a directory" 1 "evctl: cannot read batch file '$tmp': Is a directory" "$FAKE" -b "$tmp"
trace_is "-b: empty, missing: nothing sent" ""

# Options before -b hold for every line; a line's own -j does not leak.
printf 'route\nlisten\n' >"$tmp/b-j"
run "-j -b" 0 "" "$FAKE" -j -b "$tmp/b-j"
if jq -se 'length == 2 and .[0][0] == {topic: 7, prio: "realtime"} and .[1][0].local_port == 7000' "$tmp/out" >/dev/null 2>&1; then echo "ok - -j -b: every line in JSON"; else echo "not ok - -j -b: every line in JSON"; echo "#  $(cat "$tmp/out")"; fails=$((fails + 1)); fi
printf 'stats -j\nroute\n' >"$tmp/b-j"
run "-b: stats -j, then route" 0 "" "$FAKE" -b "$tmp/b-j"
stdout_has "-b: route after stats -j is text" '^65535  batch$'
run "-n missing -b" 1 "evctl: $tmp/b-j:1: cannot enter network namespace 'evs-test-missing': No such file or directory" "$FAKE" -n evs-test-missing -b "$tmp/b-j"
# listen replace: kept when there, added when not; never "any port".
version=$("$FAKE" -V | sed -n 's/^evctl //p')
rm -f "$tmp/trace"
run "listen replace: there already" 0 "" "$FAKE" listen replace '[::1]:7001'
stdout_has "listen replace: prints the one kept" '^\[::1\]:7001 +18446744073709551615 +0 +yes$'
trace_is "listen replace: looks, adds nothing" "LISTEN_GET"
run "listen replace: not there" 0 "" "$FAKE" -j listen replace 127.0.0.1:7001
json "listen replace: the new one" '. == {family: "inet", local_addr: "127.0.0.1", local_port: 7001, accepted: 0, conns: 0, freebind: false}'
trace_is "listen replace: looks, then adds" "LISTEN_GET
LISTEN_ADD ADDR_IN=127.0.0.1 PORT=u16:7001"
run "listen replace: port 0" 2 "evctl: '127.0.0.1:0': replace needs a port, not 0" "$FAKE" listen replace 127.0.0.1:0
run "listen replace: no address" 2 "evctl: missing ADDR:PORT" "$FAKE" listen replace
trace_is "listen replace: usage errors send nothing" ""

# evctl save: exactly this file, for the fake kernel's state.
save_want="# evstream configuration, written by evctl $version on 2023-11-14T22:13:20Z
# Apply with: evctl [-n NETNS] -b FILE

# settings
config set max-payload 4096
config set pool-limit 65536
config set pressure 80
config set ring-size 1024
config set store-limit 68719476736
config set conn-limit 1024
config set batch 64
config set idle-timeout 300
config set ack-delay 200

# listeners
listen replace 127.0.0.1:7000
listen replace [::1]:7001 freebind

# routes
route add topic 7 prio realtime
route add topic 8 prio transactional
route add topic 65535 prio batch"
SOURCE_DATE_EPOCH=1700000000 run "save" 0 "" "$FAKE" save
stdout_is "save: the whole configuration, settings first" "$save_want"
trace_is "save: reads config, listeners, routes" "CONFIG_GET
LISTEN_GET
ROUTE_GET"
cp "$tmp/out" "$tmp/saved"
# Applied to a module just loaded: everything is sent, in that order.
set_req() { echo "CONFIG_SET CONFIG{ $1 }"; }
apply_want="$(set_req MAX_PAYLOAD=u32:4096)
$(set_req POOL_LIMIT=u32:65536)
$(set_req PRESSURE=u8:80)
$(set_req RING_SIZE=u32:1024)
$(set_req STORE_LIMIT=u64:68719476736)
$(set_req CONN_LIMIT=u32:1024)
$(set_req BATCH=u32:64)
$(set_req IDLE_TIMEOUT=u32:300)
$(set_req ACK_DELAY=u32:200)"
EVS_FAKE=empty run "-b FILE of save, fresh module" 0 "" "$FAKE" -b "$tmp/saved"
trace_is "-b FILE of save: settings, listeners, routes" "$apply_want
LISTEN_GET
LISTEN_ADD ADDR_IN=127.0.0.1 PORT=u16:7000
LISTEN_GET
LISTEN_ADD ADDR_IN6=::1 PORT=u16:7001 LISTEN_FREEBIND
ROUTE_ADD TOPIC=u16:7 PRIO=u8:0
ROUTE_ADD TOPIC=u16:8 PRIO=u8:1
ROUTE_ADD TOPIC=u16:65535 PRIO=u8:2"
# Applied again where it all holds already (a reload): no listener added.
run "-b FILE of save, again" 0 "" "$FAKE" -b "$tmp/saved"
trace_is "-b FILE of save again: the listeners kept" "$apply_want
LISTEN_GET
LISTEN_GET
ROUTE_ADD TOPIC=u16:7 PRIO=u8:0
ROUTE_ADD TOPIC=u16:8 PRIO=u8:1
ROUTE_ADD TOPIC=u16:65535 PRIO=u8:2"
SOURCE_DATE_EPOCH=1700000000 run "save -n NETNS" 1 "evctl: cannot enter network namespace 'evs-test-missing': No such file or directory" "$FAKE" -n evs-test-missing save
stdout_is "save -n NETNS: nothing printed on failure" ""
run "save -j" 2 "evctl: 'save' has no JSON output" "$FAKE" -j save
run "save: no arguments" 2 "evctl: unexpected argument 'x'" "$FAKE" save x
run "save help" 0 "" "$FAKE" save help
stdout_has "save help: its notes" '^Every line can be applied again'
EVS_FAKE=bad run "save: bad reply" 1 "evctl: malformed reply from the kernel: bad attributes" "$FAKE" save
stdout_is "save: nothing printed on a bad reply" ""
trace_is "save: usage errors and failures" "CONFIG_GET"

rm -f "$tmp/trace"
unset EVS_FAKE_TRACE

# Every key of every JSON output is in docs/json.md's tables with its
# type, and every row there is in some output (the fake kernel sends
# every attribute, an unknown notification included).
keys="$(dirname "$0")/json_keys.sh"
jdoc="$(dirname "$0")/../../docs/json.md"
mkdir -p "$tmp/jk"
jk_n=0
jk() {
	jk_n=$((jk_n + 1))
	if ! "$FAKE" "$@" >"$tmp/jk/$jk_n" 2>"$tmp/err" || [ -s "$tmp/err" ]; then
		echo "not ok - json keys: evctl $*: $(cat "$tmp/err")"; fails=$((fails + 1))
	fi
}
jk -j version
jk -j stats
jk -j stats -w 0.1 --count 2
jk -j listen show
jk -j listen add '[2001:db8::7]:7000'
jk -j listen replace 127.0.0.1:7001
jk -j route show
jk -j conn show
jk -j read topic 7 from 3
jk -j config show
jk -j ring show
jk -j latency show
jk -j monitor
jk -p conn show
# keys_check NAME WANT_RC ARGS...: json_keys.sh's status, its findings shown.
keys_check() {
	name=$1 want=$2
	shift 2
	"$keys" "$@" >"$tmp/keys.out" 2>&1
	rc=$?
	if [ $rc -eq "$want" ]; then
		echo "ok - $name"
	else
		echo "not ok - $name (rc $rc, want $want)"; sed 's/^/#  /' "$tmp/keys.out"; fails=$((fails + 1))
	fi
}
keys_check "json keys: every output's keys documented, every row printed" 0 -a "$jdoc" "$tmp"/jk/*
# The check can fail: a key not in the table, a value of the wrong type,
# a name in the wrong map, a row no output has.
printf '%s\n' '[{"conn_id":1,"bogus":2}]' >"$tmp/jk-bad1"
keys_check "json keys: an undocumented key fails" 1 "$jdoc" "$tmp/jk-bad1"
grep -qx 'bogus: not in the table (value 2)' "$tmp/keys.out" || { echo "not ok - json keys: names the undocumented key"; fails=$((fails + 1)); }
printf '%s\n' '{"conn_id":"1"}' '{"paused":0}' '{"idle_ms":1.5}' '{"buckets":[1,null]}' >"$tmp/jk-bad2"
keys_check "json keys: a wrong type fails" 1 "$jdoc" "$tmp/jk-bad2"
[ "$(wc -l <"$tmp/keys.out")" -eq 4 ] || { echo "not ok - json keys: each wrong type found"; fails=$((fails + 1)); }
printf '%s\n' '{"gauges":{"frames":1}}' '{"counters":{"frames":1.5}}' '{"rates":{"nosuch":1}}' >"$tmp/jk-bad3"
keys_check "json keys: a counter as a gauge, a fraction, an unknown name fail" 1 "$jdoc" "$tmp/jk-bad3"
[ "$(wc -l <"$tmp/keys.out")" -eq 3 ] || { echo "not ok - json keys: each bad name found"; fails=$((fails + 1)); }
keys_check "json keys: a row no output prints fails with -a" 1 -a "$jdoc" "$tmp/jk/1"
grep -qx 'cmd: in the table, in no output' "$tmp/keys.out" || { echo "not ok - json keys: names the row not printed"; fails=$((fails + 1)); }
printf '%s\n' '{"idle_ms":null,"p50_us":2.048,"deltas":null}' >"$tmp/jk-ok"
keys_check "json keys: null and decimals where the table allows them" 0 "$jdoc" "$tmp/jk-ok"
printf '# no tables\n' >"$tmp/jk-doc"
keys_check "json keys: a document without the tables cannot check" 2 "$tmp/jk-doc" "$tmp/jk-ok"
printf '%s\n' '{"conn_id":' >"$tmp/jk-trunc"
keys_check "json keys: output that is not JSON cannot pass" 2 "$jdoc" "$tmp/jk-trunc"

EVS_FAKE=partial
run "partial stats" 0 "" "$FAKE" -j stats
json "partial stats keys" '(.counters | length) == 13 and (.counters | has("bytes") | not) and .gauges == {} and .latency == []'
run "partial stats -o prometheus" 0 "" "$FAKE" -o prometheus stats
promtool_ok "partial stats -o prometheus: promtool check metrics" "$tmp/out"
[ "$(grep -c '^evstream_[a-z_]*_total{' "$tmp/out")" -eq 13 ] && echo "ok - partial stats -o prometheus: the 13 counters" || { echo "not ok - partial stats -o prometheus: the 13 counters"; fails=$((fails + 1)); }
if grep -q 'bytes_total\|latency\|evstream_conns' "$tmp/out"; then echo "not ok - partial stats -o prometheus: nothing it lacks"; fails=$((fails + 1)); else echo "ok - partial stats -o prometheus: nothing it lacks"; fi
run "partial stats text" 0 "" "$FAKE" stats
[ "$(wc -l <"$tmp/out")" -eq 13 ] || { echo "not ok - partial stats lines"; fails=$((fails + 1)); }
run "partial config" 0 "" "$FAKE" -j config
json "partial config keys" '(. | length) == 6 and (. | has("conn_limit") | not)'
run "partial conn: no idle time" 0 "" "$FAKE" -j conn
json "partial conn: idle_ms null" '.[0].idle_ms == null and .[1].idle_ms == null'
run "partial conn text" 0 "" "$FAKE" conn
stdout_has "partial conn text: IDLE -" '^ +1  127\.0\.0\.1:40000 .*  -$'
run "partial ring: none yet" 0 "" "$FAKE" ring
stdout_is "partial ring prints nothing" ""
run "-j partial ring" 0 "" "$FAKE" -j ring
stdout_is "-j partial ring" "[]"
run "monitor without the group" 1 'evctl: the evstream module is too old: no "monitor" group' "$FAKE" monitor
stdout_is "monitor without the group prints nothing" ""

EVS_FAKE=absent
run "module not loaded" 1 "evctl: evstream module not loaded" "$FAKE" stats
run "module not loaded, -j" 1 "evctl: evstream module not loaded" "$FAKE" -j version
stdout_is "no output on error" ""
run "module not loaded, monitor" 1 "evctl: evstream module not loaded" "$FAKE" monitor
stdout_is "module not loaded, monitor prints nothing" ""
# --wait: it says so, then the module comes (the fake's script loads it).
run_once "monitor --wait: says it waits" 0 "evctl: evstream module not loaded; waiting for it" "$FAKE" monitor --wait
cut -d' ' -f2- "$tmp/out" >"$tmp/mon"
{ echo module-load; cat "$tmp/want"; } >"$tmp/want-wait"
if cmp -s "$tmp/mon" "$tmp/want-wait"; then echo "ok - monitor --wait: module-load, then the notifications"; else echo "not ok - monitor --wait: module-load, then the notifications"; diff "$tmp/want-wait" "$tmp/mon" | sed 's/^/#  /'; fails=$((fails + 1)); fi
run "-j monitor --wait --count 2" 0 "evctl: evstream module not loaded; waiting for it" "$FAKE" -j monitor --wait --count 2
json "-j monitor --wait: module-load has event and timestamp_ms only" '(.event == "module-load" and (keys == ["event", "timestamp_ms"])) or .event == "listen-add"'
[ "$(wc -l <"$tmp/out")" -eq 2 ] || { echo "not ok - -j monitor --wait --count 2: 2 lines"; fails=$((fails + 1)); }
run "module not loaded, stats -w" 1 "evctl: evstream module not loaded" "$FAKE" stats -w 1
run "module not loaded, -o prometheus" 1 "evctl: evstream module not loaded" "$FAKE" -o prometheus stats
stdout_is "module not loaded, -o prometheus prints nothing" ""
stdout_is "module not loaded, stats -w prints nothing" ""

EVS_FAKE=eperm
run "EPERM" 1 "evctl: Operation not permitted (need CAP_NET_ADMIN)" "$FAKE" stats reset
run "EPERM ring" 1 "evctl: Operation not permitted (need CAP_NET_ADMIN)" "$FAKE" ring

EVS_FAKE=eperm-msg
run "EPERM with a reason: no capability hint" 1 "evctl: Operation not permitted: pool_limit above its ceiling, userns_pool_limit" "$FAKE" config set pool-limit 70000

EVS_FAKE=einval
run_once "extack" 1 'evctl: Invalid argument: Fake "quoted" failure' "$FAKE" stats

EVS_FAKE=eperm
run "read EPERM" 1 "evctl: Operation not permitted (need CAP_NET_ADMIN)" "$FAKE" read topic 7
run "-j read EPERM" 1 "evctl: Operation not permitted (need CAP_NET_ADMIN)" "$FAKE" -j read topic 7
stdout_is "-j read EPERM: still valid JSON" "[]"
run "listen add EPERM" 1 "evctl: Operation not permitted (need CAP_NET_ADMIN)" "$FAKE" listen add 127.0.0.1:1
stdout_is "listen add EPERM prints nothing" ""

EVS_FAKE=intr
run "read interrupted, resumed" 0 "" "$FAKE" -j read topic 7
json "read interrupted: each event once" '[.[].seq] == [3, 4, 5, 6] and (.[2].payload | length) == 20000'
EVS_FAKE=intr-always
run "read interrupted for good" 1 "evctl: the topic changed too often while it was read; try again" "$FAKE" read topic 7

EVS_FAKE=bad
run "bad version reply" 1 "evctl: malformed reply from the kernel: bad attributes" "$FAKE" version
run "bad stats reply" 1 "evctl: malformed reply from the kernel: bad attributes" "$FAKE" stats
run "bad listen reply" 1 "evctl: malformed reply from the kernel: bad attributes" "$FAKE" listen
stdout_is "bad listen reply prints nothing" ""
run "bad route reply" 1 "evctl: malformed reply from the kernel: bad attributes" "$FAKE" -j route
stdout_is "bad route reply prints nothing" ""
run "bad config reply" 1 "evctl: malformed reply from the kernel: bad attributes" "$FAKE" config
run "bad read reply" 1 "evctl: malformed reply from the kernel: events out of order or incomplete" "$FAKE" read topic 7
run "bad ring reply" 1 "evctl: malformed reply from the kernel: bad attributes" "$FAKE" ring
stdout_is "bad ring reply prints nothing" ""
run "bad latency reply" 1 "evctl: malformed reply from the kernel: bad or missing latency histogram" "$FAKE" -j latency
stdout_is "bad latency reply prints nothing" ""
run "bad stats -w reply" 1 "evctl: malformed reply from the kernel: bad attributes" "$FAKE" stats -w 1
# A malformed notification is reported and skipped; the rest go on.
run "bad notification" 0 "evctl: malformed route-add notification: bad attributes" "$FAKE" monitor
[ "$(wc -l <"$tmp/out")" -eq 10 ] || { echo "not ok - bad notification: the others still come"; fails=$((fails + 1)); }

# Leftovers of an abandoned request, an interrupted dump among them, are
# skipped: the reply is read as if they were not there.
EVS_FAKE=ok
run "routes, to compare with" 0 "" "$FAKE" -j route
cp "$tmp/out" "$tmp/route.ok"
EVS_FAKE=stale
run "leftovers of another request skipped" 0 "" "$FAKE" -j route
stdout_is "leftovers skipped: the same routes" "$(cat "$tmp/route.ok")"
run "leftovers skipped in a read" 0 "" "$FAKE" -j read topic 7
json "leftovers skipped: every event, no retry" '[.[].seq] == [3, 4, 5, 6]'
# A message cut short at the end of a datagram: the reply is refused.
EVS_FAKE=torn
run "message cut short in a reply" 1 "evctl: Protocol error" "$FAKE" version
stdout_is "message cut short in a reply: nothing printed" ""
run "message cut short in a dump" 1 "evctl: Protocol error" "$FAKE" route
stdout_is "message cut short in a dump: nothing printed" ""

# The module goes and comes back under the monitor (see fake_kernel.c):
# another family's news and a malformed NEWFAMILY are passed over, the
# reloaded module's group is joined (the route-add reaches only a member),
# two reloads in quick succession are one, a notification of the first
# module, after that, is not shown, and a reload lost in an overrun is
# found by asking.
EVS_FAKE=reload
run "reload: monitor goes on" 0 "evctl: malformed controller notification: bad attributes or no family name or id" "$FAKE" monitor
printf '%s\n' "evctl: malformed controller notification: bad attributes or no family name or id" "evctl: notifications lost: the receive buffer overran" >"$tmp/want-err"
cmp -s "$tmp/err" "$tmp/want-err" && echo "ok - reload: stderr" || { echo "not ok - reload: stderr"; sed 's/^/#  /' "$tmp/err"; fails=$((fails + 1)); }
cut -d' ' -f2- "$tmp/out" >"$tmp/mon"
cat >"$tmp/want-reload" <<'WANT'
listen-add local 127.0.0.1:7000 accepted 3 conns 0 freebind no
module-unload
module-load
route-add topic 7 prio realtime
module-unload
module-load
config max-payload-bytes 4096 pool-limit 65536 pressure-percent 80 ring-size 1024 store-limit-bytes 68719476736 conn-limit 1024 batch 64 idle-timeout-s 300 ack-delay-us 200
module-unload
module-load
route-del topic 7
WANT
if cmp -s "$tmp/mon" "$tmp/want-reload"; then echo "ok - reload: monitor text"; else echo "not ok - reload: monitor text"; diff "$tmp/want-reload" "$tmp/mon" | sed 's/^/#  /'; fails=$((fails + 1)); fi
if grep -vqE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} [a-z-]+( |$)' "$tmp/out"; then
	echo "not ok - reload: every line starts with a timestamp and a kind"; fails=$((fails + 1))
else
	echo "ok - reload: every line starts with a timestamp and a kind"
fi
run "reload: -j monitor" 0 "evctl: malformed controller notification: bad attributes or no family name or id" "$FAKE" -j monitor
if jq -se '
	[.[].event] == ["listen-add", "module-unload", "module-load", "route-add", "module-unload", "module-load", "config", "module-unload", "module-load", "route-del"] and
	all(.[] | select(.event | startswith("module-")); keys == ["event", "timestamp_ms"]) and
	all(.[]; .timestamp_ms | type == "number" and . > 1600000000000)
' "$tmp/out" >/dev/null; then
	echo "ok - reload: -j monitor events"
else
	echo "not ok - reload: -j monitor events"; sed 's/^/#  /' "$tmp/out"; fails=$((fails + 1))
fi
cp "$tmp/out" "$tmp/jk-reload-mon"
keys_check "json keys: monitor across reloads" 0 "$jdoc" "$tmp/jk-reload-mon"
run "reload: monitor --count 2 stops at module-unload" 0 "evctl: malformed controller notification: bad attributes or no family name or id" "$FAKE" monitor --count 2
[ "$(wc -l <"$tmp/out")" -eq 2 ] && tail -n 1 "$tmp/out" | grep -q ' module-unload$' && echo "ok - reload: --count 2: 2 lines" || { echo "not ok - reload: --count 2: 2 lines"; sed 's/^/#  /' "$tmp/out"; fails=$((fails + 1)); }
# The second module-unload comes of a resync that would also print a
# module-load: the count holds between the two.
run "reload: monitor --count 5" 0 "evctl: malformed controller notification: bad attributes or no family name or id" "$FAKE" monitor --count 5
[ "$(wc -l <"$tmp/out")" -eq 5 ] && tail -n 1 "$tmp/out" | grep -q ' module-unload$' && echo "ok - reload: --count 5: 5 lines" || { echo "not ok - reload: --count 5: 5 lines"; sed 's/^/#  /' "$tmp/out"; fails=$((fails + 1)); }
rm -f "$tmp/trace"
run "reload: monitor sends no evstream request" 0 "evctl: malformed controller notification: bad attributes or no family name or id" env EVS_FAKE_TRACE="$tmp/trace" "$FAKE" monitor
trace_is "reload: monitor sends no evstream request" ""

# Back without the group: said, and the end, after what came before.
EVS_FAKE=reload-old
run_once "reload-old: monitor exits 1" 1 'evctl: the evstream module is too old: no "monitor" group' "$FAKE" monitor
cut -d' ' -f2- "$tmp/out" >"$tmp/mon"
printf 'listen-add local 127.0.0.1:7000 accepted 3 conns 0 freebind no\nmodule-unload\n' >"$tmp/want-old"
if cmp -s "$tmp/mon" "$tmp/want-old"; then echo "ok - reload-old: listen-add, module-unload"; else echo "not ok - reload-old: listen-add, module-unload"; sed 's/^/#  /' "$tmp/mon"; fails=$((fails + 1)); fi

# stats -w: the module goes after two frames, is back two looks later
# (new family id, counters from the start), and two frames after that is
# reloaded between two looks.  Each first frame of a module has no delta.
EVS_FAKE=reload-stats
"$FAKE" stats -w 0.1 --count 6 >"$tmp/out" 2>"$tmp/err"
rc=$?
printf '%s\n' "evctl: module unloaded; waiting for it to be loaded again" "evctl: module loaded again; counters restarted" "evctl: module reloaded; counters restarted" >"$tmp/want-err"
if [ $rc -eq 0 ] && cmp -s "$tmp/err" "$tmp/want-err"; then echo "ok - reload-stats: stats -w says it, and goes on"; else echo "not ok - reload-stats: stats -w says it, and goes on"; echo "#  rc $rc, stderr: $(cat "$tmp/err")"; fails=$((fails + 1)); fi
if [ "$(grep -c '^Every 0.1 s: evctl stats ' "$tmp/out")" -eq 6 ] &&
   [ "$(grep -cE '^Every 0\.1 s: evctl stats  [0-9:]{8}  \(counters restarted: module reloaded\)$' "$tmp/out")" -eq 2 ] &&
   [ "$(grep -E '^frames ' "$tmp/out" | tr -s ' ' | cut -d' ' -f2,3 | tr '\n' ,)" = "6 -,26 20,6 -,26 20,6 -,26 20," ]; then
	echo "ok - reload-stats: six frames, two restarted"
else
	echo "not ok - reload-stats: six frames, two restarted"; grep -E '^(Every|frames )' "$tmp/out" | sed 's/^/#  /'; fails=$((fails + 1))
fi
if grep -q 'No such file' "$tmp/out" "$tmp/err"; then echo "not ok - reload-stats: no ENOENT text"; fails=$((fails + 1)); else echo "ok - reload-stats: no ENOENT text"; fi
run "reload-stats: -j stats -w" 0 "evctl: module unloaded; waiting for it to be loaded again" "$FAKE" -j stats -w 0.1 --count 6
if jq -se 'length == 6 and ([.[].counters.frames] == [6, 26, 6, 26, 6, 26]) and ([.[].deltas.frames] == [null, 20, null, 20, null, 20]) and ([.[].interval_ms | type] == ["null", "number", "null", "number", "null", "number"]) and ([.[].rates | type] == ["null", "object", "null", "object", "null", "object"]) and all(.[]; keys == ["counters", "deltas", "gauges", "interval_ms", "rates", "timestamp_ms"])' "$tmp/out" >/dev/null; then
	echo "ok - reload-stats: -j frames"
else
	echo "not ok - reload-stats: -j frames"; sed 's/^/#  /' "$tmp/out"; fails=$((fails + 1))
fi
cp "$tmp/out" "$tmp/jk-reload-w"
keys_check "json keys: stats -w across reloads" 0 "$jdoc" "$tmp/jk-reload-w"
# The module's own ENOENT, its family still there, is an error as ever.
EVS_FAKE=enoent-stats
run_once "enoent-stats: stats -w fails" 1 "evctl: No such file or directory: the module's own ENOENT" "$FAKE" stats -w 0.1 --count 3
[ "$(grep -c '^Every ' "$tmp/out")" -eq 1 ] && echo "ok - enoent-stats: the one frame before" || { echo "not ok - enoent-stats: the one frame before"; fails=$((fails + 1)); }

echo "$0: $fails failed"
[ "$fails" -eq 0 ]
