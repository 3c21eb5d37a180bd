#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# evload --proto nats and --proto jetstream against Debian's nats-server
# on free loopback ports (the counts checked with the server's own
# monitoring), and against tests/nats_fake.py, a server that misbehaves
# on purpose.  Prints TAP-like lines; exits 1 on any failure.  Skips
# (exit 0) when nats-server, curl, jq or python3 is missing.
#
# usage: evload_nats_test.sh EVLOAD

EVLOAD=$1
here=$(cd "$(dirname "$0")" && pwd)
fails=0
for tool in nats-server curl jq python3; do
	if ! command -v $tool >/dev/null; then
		echo "ok - # SKIP $tool not installed"
		exit 0
	fi
done
tmp=$(mktemp -d) || exit 1
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

. "$(dirname "$0")/testlib.sh"


# check NAME JQ_EXPR FILE: the JSON in FILE satisfies JQ_EXPR.
check() {
	if jq -e "$2" "$3" >/dev/null 2>&1; then
		ok "$1"
	else
		not_ok "$1" "want $2 of: $(cat "$3")"
	fi
}

# start_nats NAME ARGS...: a nats-server on free ports; sets PORT and MON.
start_nats() {
	d=$tmp/$1
	shift
	mkdir -p "$d"
	nats-server -a 127.0.0.1 -p -1 -m -1 --ports_file_dir "$d" "$@" \
		>"$d/log" 2>&1 &
	pids="$pids $!"
	# It writes the ports file once it listens.
	i=0
	while [ ! -s "$d/nats-server_$!.ports" ] && [ $i -lt 200 ] &&
	      kill -0 $! 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	if [ ! -s "$d/nats-server_$!.ports" ]; then
		echo "not ok - nats-server $* started"
		sed 's/^/#  /' "$d/log"
		exit 1
	fi
	PORT=$(jq -r '.nats[0]' "$d/nats-server_$!.ports" | sed 's/.*://')
	MON=$(jq -r '.monitoring[0]' "$d/nats-server_$!.ports")
}

# fake MODE: tests/nats_fake.py on a free port; sets FAKE_PORT, FAKE_PID.
fake() {
	rm -f "$tmp/fake.port"
	python3 "$here/nats_fake.py" "$1" "$tmp/fake.port" >"$tmp/fake.out" 2>&1 &
	FAKE_PID=$!
	pids="$pids $FAKE_PID"
	i=0
	while [ ! -s "$tmp/fake.port" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	FAKE_PORT=$(cat "$tmp/fake.port")
}

# ---- core NATS ----
start_nats core
A=127.0.0.1:$PORT
run "nats: 20000 events, 3 connections" 0 "" \
	"$EVLOAD" --proto nats --subject bench.core --addr $A --events 20000 \
	--conns 3 --size 100 -j
cp "$tmp/out" "$tmp/core.json"
check "nats: JSON counts and keys" '.events == 20000 and .conns == 3 and
	.size == 100 and .payload_bytes == 2000000 and .proto == "nats" and
	.subject == "bench.core" and .stream == null and .topic == null and
	.prio == null and .ack_frames == 0 and .ack_latency_us == null and
	.verified == false and .events_per_s > 0 and .elapsed_s > 0' \
	"$tmp/core.json"
# The PONG came after every PUB was processed: the server counted them all.
curl -sf "$MON/varz" >"$tmp/varz" || not_ok "nats: /varz"
check "nats: server in_msgs == --events" '.in_msgs == 20000 and
	.in_bytes == 2000000' "$tmp/varz"
run "nats: 0-byte payloads, more connections than events" 0 "" \
	"$EVLOAD" --proto nats --subject bench.core --addr $A --events 3 \
	--conns 5 --size 0 -j
curl -sf "$MON/varz" >"$tmp/varz"
check "nats: in_msgs then 20003" '.in_msgs == 20003' "$tmp/varz"
# Paced: event k is due at k/rate, so 200 events at 1000/s take 0.199 s.
run "nats: --rate" 0 "" "$EVLOAD" --proto nats --subject bench.core \
	--addr $A --events 200 --rate 1000 -j
check "nats: --rate paces the run" '.elapsed_s >= 0.199' "$tmp/out"
"$EVLOAD" --proto nats --subject bench.core --addr $A --events 10 \
	>"$tmp/out" 2>"$tmp/err"
if [ $? -eq 0 ] && grep -q '^target .*, nats subject bench.core, 1 connection, 64-byte payloads$' "$tmp/out" &&
   grep -q '^events     10 in .* s, all processed (PONG)$' "$tmp/out" &&
   ! grep -q '^ack' "$tmp/out"; then
	ok "nats: text output"
else
	not_ok "nats: text output" "$(cat "$tmp/out" "$tmp/err")"
fi
run "jetstream on a server without it" 1 \
	"evload: stream S: the server has no JetStream (nats-server -js)" \
	"$EVLOAD" --proto jetstream --stream S --subject s --addr $A

# ---- JetStream ----
start_nats js -js -sd "$tmp/js/store"
A=127.0.0.1:$PORT
run "jetstream: 20000 events, 3 connections" 0 "" \
	"$EVLOAD" --proto jetstream --stream BENCH --subject bench.js \
	--addr $A --events 20000 --conns 3 --size 100 -j
cp "$tmp/out" "$tmp/js.json"
check "jetstream: JSON, a PubAck per event" '.events == 20000 and
	.proto == "jetstream" and .stream == "BENCH" and
	.subject == "bench.js" and .ack_frames == 20000 and
	(.ack_latency_us | .p50 > 0 and .p50 <= .p99 and .p99 <= .p999 and
	 .p999 <= .max)' "$tmp/js.json"
curl -sf "$MON/jsz?streams=true&config=true" >"$tmp/jsz"
check "jetstream: a memory stream on the subject holding --events" \
	'.account_details[0].stream_detail |
	 map(select(.name == "BENCH"))[0] |
	 .config.storage == "memory" and .config.subjects == ["bench.js"] and
	 .state.messages == 20000 and .state.bytes > 2000000' "$tmp/jsz"
# The same configuration: the stream is reused, and grows.
run "jetstream: reuses the stream" 0 "" \
	"$EVLOAD" --proto jetstream --stream BENCH --subject bench.js \
	--addr $A --events 500 --conns 2
curl -sf "$MON/jsz?streams=true" >"$tmp/jsz"
check "jetstream: then 20500 messages" '.account_details[0].stream_detail |
	map(select(.name == "BENCH"))[0].state.messages == 20500' "$tmp/jsz"
if grep -q '^events     500 in .* s, all stored (PubAck)$' "$tmp/out" &&
   grep -q '^ack        p50 .* (500 PubAcks)$' "$tmp/out"; then
	ok "jetstream: text output"
else
	not_ok "jetstream: text output" "$(cat "$tmp/out")"
fi
run "jetstream: stream exists on another subject" 1 \
	"evload: creating stream BENCH: stream name already in use with a different configuration" \
	"$EVLOAD" --proto jetstream --stream BENCH --subject other --addr $A
run "jetstream: subject of another stream" 1 \
	"evload: creating stream OTHER: subjects overlap with an existing stream" \
	"$EVLOAD" --proto jetstream --stream OTHER --subject bench.js --addr $A
curl -sf "$MON/jsz" >"$tmp/jsz"
check "jetstream: failed runs created nothing" '.streams == 1 and
	.messages == 20500' "$tmp/jsz"

# ---- a server that refuses what it is sent ----
printf 'max_payload: 1024\n' >"$tmp/small.conf"
start_nats small -c "$tmp/small.conf"
run "nats: -ERR from the server fails the run" 1 \
	"evload: connection 0: server sent -ERR 'Maximum Payload Violation'" \
	"$EVLOAD" --proto nats --subject s --addr 127.0.0.1:$PORT --size 2000 \
	--events 10 -j
[ ! -s "$tmp/out" ] && ok "nats: no output on failure" ||
	not_ok "nats: no output on failure" "$(cat "$tmp/out")"

# ---- nothing there ----
run "nats: connection refused" 1 \
	"evload: connection 0: connect to 127.0.0.1:9: Connection refused" \
	"$EVLOAD" --proto nats --subject s --addr 127.0.0.1:9 --timeout 5
run "jetstream: connection refused" 1 \
	"evload: stream S: connect to 127.0.0.1:9: Connection refused" \
	"$EVLOAD" --proto jetstream --stream S --subject s --addr 127.0.0.1:9 \
	--timeout 5

# ---- odd servers ----
# fake_run NAME MODE WANT_RC WANT_STDERR [WANT_FAKE_OUTPUT] ARGS...
fake_run() {
	name=$1 mode=$2 want_rc=$3 want_err=$4 want_fake=$5
	shift 5
	fake "$mode"
	run "$name" "$want_rc" "$want_err" "$EVLOAD" --addr "127.0.0.1:$FAKE_PORT" \
		--timeout 20 "$@"
	wait "$FAKE_PID"
	if [ -n "$want_fake" ] && [ "$(cat "$tmp/fake.out")" != "$want_fake" ]; then
		not_ok "$name: the server saw '$want_fake'" "it saw: $(cat "$tmp/fake.out")"
	fi
}
fake_run "not a NATS server" hello 1 \
	"evload: connection 0: unexpected line from the server: 'HELLO'" "" \
	--proto nats --subject s
fake_run "-ERR for the CONNECT" autherr 1 \
	"evload: connection 0: server sent -ERR 'Authorization Violation'" "" \
	--proto nats --subject s
fake_run "-ERR in the middle of the run" err 1 \
	"evload: connection 0: server sent -ERR 'Boom'" "" \
	--proto nats --subject s --events 100000
# Closed with our data unread, the connection is reset as often as not.
fake close
"$EVLOAD" --addr "127.0.0.1:$FAKE_PORT" --proto nats --subject s \
	--events 100000 --timeout 20 >"$tmp/out" 2>"$tmp/err"
rc=$?
wait "$FAKE_PID"
case "$rc $(cat "$tmp/err")" in
"1 evload: connection 0: server closed the connection" | \
"1 evload: connection 0: connection reset by the server")
	ok "server closes in the middle of the run" ;;
*)
	not_ok "server closes in the middle of the run" "rc $rc, stderr: $(cat "$tmp/err")" ;;
esac
fake_run "a MSG longer than announced" badlen 1 \
	"evload: connection 0: server message longer than announced: 'MSG x 1 2'" "" \
	--proto nats --subject s --events 1000
fake_run "server PINGs are answered" ping 0 "" "pubs 5000 pong" \
	--proto nats --subject s --events 5000
fake_run "an error in a PubAck fails the run" pubackerr 1 \
	"evload: connection 0: PubAck for event 0: maximum messages exceeded" "" \
	--proto jetstream --stream S --subject s --events 1000

echo "$0: $fails failed"
[ "$fails" -eq 0 ]
