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
fails=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# run NAME WANT_RC WANT_STDERR_LINE1 CMD...: rc and first line of stderr.
run() {
	name=$1 want_rc=$2 want_err=$3
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	got_err=$(head -n 1 "$tmp/err")
	if [ "$rc" -ne "$want_rc" ] || [ "$got_err" != "$want_err" ]; then
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
for obj in version stats listen route conn read config; do
	stdout_has "help lists $obj" "^  evctl $obj "
done
stdout_has "help lists -r" "^  -r, --raw "
run "help read has the JSON keys" 0 "" "$EVCTL" help read
stdout_has "help read JSON keys" "ts_done, payload"

# Usage errors of the new verbs: exit 2 before any netlink traffic, so
# the real binary is enough.
run "listen add: no address" 2 "evctl: missing ADDR:PORT" "$EVCTL" listen add
run "listen add: no port" 2 "evctl: invalid address '127.0.0.1' (A.B.C.D:PORT or [IPV6]:PORT)" "$EVCTL" listen add 127.0.0.1
run "listen add: IPv6 without brackets" 2 "evctl: invalid address '::1:7000' (A.B.C.D:PORT or [IPV6]:PORT)" "$EVCTL" listen add ::1:7000
run "listen add: port too big" 2 "evctl: invalid address '[::1]:65536' (A.B.C.D:PORT or [IPV6]:PORT)" "$EVCTL" listen add '[::1]:65536'
run "listen add: extra" 2 "evctl: unexpected argument 'x'" "$EVCTL" listen add 127.0.0.1:1 x
run "listen del: no address" 2 "evctl: missing ADDR:PORT" "$EVCTL" listen del
run "listen del: name" 2 "evctl: invalid address 'localhost:1' (A.B.C.D:PORT or [IPV6]:PORT)" "$EVCTL" listen del localhost:1
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
run "config set: u8 overflow" 2 "evctl: invalid pressure '256'" "$EVCTL" config set pressure 256
run "config set: u32 overflow" 2 "evctl: invalid max-payload '4294967296'" "$EVCTL" config set max-payload 4294967296
run "config set: hex" 2 "evctl: invalid batch '0x10'" "$EVCTL" config set batch 0x10
run "config set: negative" 2 "evctl: invalid store-limit '-1'" "$EVCTL" config set store-limit -1
run "config show: extra" 2 "evctl: unexpected argument 'x'" "$EVCTL" config show x

export EVS_FAKE=ok
run "version" 0 "" "$FAKE" version
stdout_is "version text" "evctl 0.1.0
module 0.1.0-fake, wire protocol 1"
run "-V" 0 "" "$FAKE" -V
run "-j version" 0 "" "$FAKE" -j version
json "-j version keys" '.evctl == "0.1.0" and .module == "0.1.0-fake" and .protocol == 1'
stdout_is "-j version compact" '{"evctl":"0.1.0","module":"0.1.0-fake","protocol":1}'
run "-p version" 0 "" "$FAKE" -p version
json "-p version keys" '.protocol == 1'
run "stats" 0 "" "$FAKE" stats
grep -qE '^frames +6$' "$tmp/out" || { echo "not ok - stats line"; fails=$((fails + 1)); }
# 23 counters, a blank line, 7 gauges, a blank line, the latency title,
# its header and 3 priorities.
[ "$(wc -l <"$tmp/out")" -eq 37 ] || { echo "not ok - stats lines"; fails=$((fails + 1)); }
stdout_has "stats gauge" '^store_bytes +108$'
stdout_has "stats latency title" '^latency, .*\(us, upper bounds of log2 buckets\):$'
stdout_has "stats latency header" '^PRIO +EVENTS +P50_US +P99_US +P999_US$'
stdout_has "stats latency rt" '^realtime +1000 +2\.048 +8\.192 +2097\.152$'
stdout_has "stats latency empty" '^transactional +0 +- +- +-$'
stdout_has "stats latency open bucket" '^batch +1 +inf +inf +inf$'
run "st sh" 0 "" "$FAKE" st sh
run "-j stats" 0 "" "$FAKE" -j stats
json "-j stats keys" '.version == "0.1.0-fake" and .counters.frames == 6 and (.counters | length) == 23'
json "-j stats gauges" '(.gauges | length) == 7 and .gauges.listeners == 102 and .gauges.store_bytes == 108'
json "-j stats latency" '(.latency | length) == 3 and .latency[0] == {prio: "realtime", events: 1000, p50_us: 2.048, p99_us: 8.192, p999_us: 2097.152, buckets: [0,0,0,0,0,0,0,0,0,0,500,0,490,0,0,0,0,0,0,0,9,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0]}'
json "-j stats latency null" '.latency[1].events == 0 and .latency[1].p50_us == null and .latency[2].prio == "batch" and .latency[2].p999_us == null'
run "-p stats" 0 "" "$FAKE" --pretty stats
json "-p stats keys" '.counters.acks == 66'
run "stats reset" 0 "" "$FAKE" stats reset
stdout_is "stats reset is quiet" ""

export EVS_FAKE_TRACE="$tmp/trace"
rm -f "$tmp/trace"

run "listen" 0 "" "$FAKE" listen
stdout_is "listen text" "ADDRESS                     ACCEPTED  CONNS
127.0.0.1:7000                     3      1
[::1]:7001      18446744073709551615      0"
trace_is "listen request" "LISTEN_GET"
run "-j listen show" 0 "" "$FAKE" -j listen show
json "-j listen keys" '. == [{family: "inet", address: "127.0.0.1", port: 7000, accepted: 3, conns: 1}, {family: "inet6", address: "::1", port: 7001, accepted: 18446744073709551615, conns: 0}]'
rm -f "$tmp/trace"
run "listen add" 0 "" "$FAKE" listen add 127.0.0.1:0
stdout_is "listen add text" "ADDRESS          ACCEPTED  CONNS
127.0.0.1:43210         0      0"
trace_is "listen add request" "LISTEN_ADD ADDR_IN=127.0.0.1 PORT=u16:0"
run "-j listen add v6" 0 "" "$FAKE" -j listen add '[2001:db8::7]:7000'
json "-j listen add keys" '. == {family: "inet6", address: "2001:db8::7", port: 7000, accepted: 0, conns: 0}'
trace_is "listen add v6 request" "LISTEN_ADD ADDR_IN6=2001:db8::7 PORT=u16:7000"
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

run "conn" 0 "" "$FAKE" conn
stdout_is "conn text" "           ID  PEER                 LOCAL  STATE            EVENTS                 BYTES  PAUSED       ACKED  INFLIGHT
            1  127.0.0.1:40000       7000  open                 10                   640  no               9         1
1099511627776  [2001:db8::1]:40001   7001  draining  1099511627776  18446744073709551615  yes     4294967295         0"
run "-j conn" 0 "" "$FAKE" -j conn show
json "-j conn keys" '.[0] == {id: 1, family: "inet", peer: "127.0.0.1", peer_port: 40000, local_port: 7000, state: "open", events: 10, bytes: 640, paused: false, acked: 9, inflight: 1} and .[1].family == "inet6" and .[1].peer == "2001:db8::1" and .[1].state == "draining" and .[1].paused == true and .[1].acked == 4294967295'
trace_is "conn request" "CONN_GET
CONN_GET"

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
json "-j read keys" '.[0] == {topic: 7, seq: 3, conn: 1, client_seq: 10, prio: "realtime", len: 5, ts_ingest: 3000, ts_dequeue: 3250, ts_done: 3500, payload: "68656c6c6f"} and (. | length) == 4'
json "-j read payloads" '.[1].payload == "" and .[1].client_seq == 4294967295 and (.[2].payload | length) == 20000 and (.[2].payload | startswith("050c131a")) and .[3].payload == "00ff62696e0a"'
trace_is "-j read request" "READ TOPIC=u16:7 FROM=u64:3"
run "read empty topic" 0 "" "$FAKE" read topic 9
stdout_is "read empty topic prints nothing" ""
run "-j read empty topic" 0 "" "$FAKE" -j read topic 9
stdout_is "-j read empty topic" "[]"
rm -f "$tmp/trace"

run "config" 0 "" "$FAKE" config
stdout_is "config text" "max-payload  4096
pool-limit   65536
pressure     80
ring-size    1024
store-limit  68719476736
conn-limit   1024
batch        64"
run "-j config" 0 "" "$FAKE" -j config show
json "-j config keys" '. == {max_payload: 4096, pool_limit: 65536, pressure: 80, ring_size: 1024, store_limit: 68719476736, conn_limit: 1024, batch: 64}'
trace_is "config request" "CONFIG_GET
CONFIG_GET"
run "config set" 0 "" "$FAKE" config set store-limit 18446744073709551615 pressure 50 max-payload 8192 pool-limit 1 ring-size 64 conn-limit 2 batch 3
stdout_is "config set is quiet" ""
trace_is "config set request" "CONFIG_SET CONFIG{ MAX_PAYLOAD=u32:8192 POOL_LIMIT=u32:1 PRESSURE=u8:50 RING_SIZE=u32:64 STORE_LIMIT=u64:18446744073709551615 CONN_LIMIT=u32:2 BATCH=u32:3 }"
run "config set names the bad setting" 1 "evctl: pressure 101: Numerical result out of range: integer out of range (attribute type 4 at offset 24)" "$FAKE" config set batch 1 pressure 101
unset EVS_FAKE_TRACE

EVS_FAKE=partial
run "partial stats" 0 "" "$FAKE" -j stats
json "partial stats keys" '(.counters | length) == 12 and (.counters | has("bytes") | not) and .gauges == {} and .latency == []'
run "partial stats text" 0 "" "$FAKE" stats
[ "$(wc -l <"$tmp/out")" -eq 12 ] || { echo "not ok - partial stats lines"; fails=$((fails + 1)); }
run "partial config" 0 "" "$FAKE" -j config
json "partial config keys" '(. | length) == 6 and (. | has("conn_limit") | not)'

EVS_FAKE=absent
run "module not loaded" 1 "evctl: evstream module not loaded" "$FAKE" stats
run "module not loaded, -j" 1 "evctl: evstream module not loaded" "$FAKE" -j version
stdout_is "no output on error" ""

EVS_FAKE=eperm
run "EPERM" 1 "evctl: Operation not permitted (need CAP_NET_ADMIN)" "$FAKE" stats reset

EVS_FAKE=einval
run "extack" 1 'evctl: Invalid argument: Fake "quoted" failure (offset 20)' "$FAKE" stats

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
run "bad version reply" 1 "evctl: malformed reply from the kernel: bad or missing protocol version" "$FAKE" version
run "bad stats reply" 1 "evctl: malformed reply from the kernel: bad or missing counters" "$FAKE" stats
run "bad listen reply" 1 "evctl: malformed reply from the kernel: bad or missing listener counters" "$FAKE" listen
stdout_is "bad listen reply prints nothing" ""
run "bad route reply" 1 "evctl: malformed reply from the kernel: bad or missing topic or priority" "$FAKE" -j route
stdout_is "bad route reply prints nothing" ""
run "bad config reply" 1 "evctl: malformed reply from the kernel: bad setting" "$FAKE" config
run "bad read reply" 1 "evctl: malformed reply from the kernel: events out of order or incomplete" "$FAKE" read topic 7

echo "$0: $fails failed"
[ "$fails" -eq 0 ]
