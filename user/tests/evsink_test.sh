#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# evsink on the host, driven by evload and a tiny client: acks with every
# priority, 64 B, 4 KiB and 64 KiB payloads, routing, backpressure and
# eviction, a reader paused for the pool and resumed, acks only for
# stored frames across I/O threads, every kind of bad header (ERROR
# frame, then close), a frame cut by the FIN, SIGUSR1, the --report
# line, --raw; and at each SIGTERM
# or SIGINT a clean exit (status 0: evsink checks that every event went
# back to its pool) with nothing from the sanitizers.  Run it with a
# sanitized evsink.  Prints TAP-like lines; exits 1 on any failure.
#
# usage: evsink_test.sh EVSINK EVLOAD EVSINK_CLIENT

EVSINK=$1 EVLOAD=$2 CLIENT=$3
fails=0
tmp=$(mktemp -d) || exit 1
pids=
cleanup() {
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# A sanitizer report must fail the test, not just print.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

. "$(dirname "$0")/testlib.sh"

# check NAME COND_CMD...: ok when the command succeeds.
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}

# start NAME ARGS...: evsink on 127.0.0.1, any free port; sets $ADDR and
# the pid in $pid_NAME.  stderr in $tmp/NAME.err, stdout in $tmp/NAME.out.
start() {
	name=$1
	shift
	# The shell opens the files in the child it forks for &, maybe only
	# after the first look below: made here, they are there to read.
	: >"$tmp/$name.out"
	: >"$tmp/$name.err"
	"$EVSINK" --listen 127.0.0.1:0 "$@" >>"$tmp/$name.out" 2>>"$tmp/$name.err" &
	p=$!
	pids="$pids $p"
	eval "pid_$name=$p"
	i=0
	while [ $i -lt 100 ]; do
		ADDR=$(sed -n 's/^evsink: listening on \([0-9.:]*\),.*/\1/p' "$tmp/$name.err") ||
			break
		[ -n "$ADDR" ] && return 0
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	not_ok "$name: evsink starts" "$(cat "$tmp/$name.err")"
	return 1
}

# stop NAME [SIGNAL]: the signal, then a clean exit within 30 s.
stop() {
	name=$1 sig=${2:-TERM}
	eval "p=\$pid_$name"
	kill -"$sig" "$p"
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$p" 2>/dev/null; then
		not_ok "$name: exits after SIG$sig" "still running after 30 s"
		kill -KILL "$p"
		wait "$p" 2>/dev/null
		return 1
	fi
	wait "$p"
	rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "$name: exit status 0 after SIG$sig" "status $rc" \
			"$(tail -n 20 "$tmp/$name.err")"
	else
		ok "$name: exit status 0 after SIG$sig"
	fi
	if grep -qE 'Sanitizer|runtime error:' "$tmp/$name.err"; then
		not_ok "$name: no sanitizer report" \
			"$(grep -A 12 -E 'Sanitizer|runtime error:' "$tmp/$name.err" | head -n 30)"
	else
		ok "$name: no sanitizer report"
	fi
}

# usr1 NAME: SIGUSR1, then wait until NAME printed one more block.
usr1() {
	before=$(grep -c '^evsink .*: pipeline' "$tmp/$1.err")
	eval "kill -USR1 \$pid_$1"
	i=0
	while [ "$(grep -c '^evsink .*: pipeline' "$tmp/$1.err")" -le "$before" ] &&
	      [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# wait_counter NAME KEY VALUE: SIGUSR1 until KEY is at least VALUE (30 s).
wait_counter() {
	i=0
	while [ $i -lt 300 ]; do
		usr1 "$1"
		[ "$(counter "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# counter NAME KEY: the value in the last statistics block of NAME.
counter() {
	awk -v k="$2" '$1 == k { v = $2 } END { print v }' "$tmp/$1.err"
}

# expect NAME KEY VALUE
expect() {
	got=$(counter "$1" "$2")
	if [ "$got" = "$3" ]; then
		ok "$1: $2 = $3"
	else
		not_ok "$1: $2 = $3" "got '$got'"
	fi
}

# load NAME WANT_RC ARGS...: evload against $ADDR.
load() {
	name=$1 want=$2
	shift 2
	"$EVLOAD" --addr "$ADDR" --timeout 120 "$@" >"$tmp/load.out" 2>"$tmp/load.err"
	rc=$?
	if [ $rc -ne "$want" ]; then
		not_ok "$name" "evload $* exited $rc (want $want)" \
			"$(cat "$tmp/load.err")"
		return 1
	fi
	ok "$name"
}

# client NAME MODE WANT [GOOD]: the tiny client's exchange (GOOD good
# frames first, 3 by default), as "LAST_ACK|ERROR" (or just "LAST_ACK"):
# the last ACK covers the good frames, any ERROR comes after every ACK,
# and the server closes last (orderly, or with a reset when it left
# bytes unread).
client() {
	name=$1 mode=$2 want=$3
	"$CLIENT" "$ADDR" "$mode" "${4:-3}" >"$tmp/client.out" 2>&1
	rc=$?
	got=$({ grep '^ack ' "$tmp/client.out" | tail -n 1
		grep -v '^ack ' "$tmp/client.out"; } | tr '\n' '|')
	if [ $rc -eq 0 ] &&
	   { [ "$got" = "$want|eof|" ] || [ "$got" = "$want|reset|" ]; } &&
	   awk '/^error /{ e = 1; next } e && /^ack /{ bad = 1 } END { exit bad }' \
		"$tmp/client.out"; then
		ok "$name"
	else
		not_ok "$name" "status $rc, got: $(tr '\n' '|' <"$tmp/client.out")" \
			"want: $want|eof"
	fi
}

# ---- usage ----

usage() {
	name=$1 want=$2 want_err=$3
	shift 3
	"$EVSINK" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
	rc=$?
	if [ $rc -ne "$want" ] || [ "$(head -n 1 "$tmp/u.err")" != "$want_err" ]; then
		not_ok "$name" "status $rc (want $want), stderr: $(cat "$tmp/u.err")"
	else
		ok "$name"
	fi
}

usage "--help" 0 "" --help
usage "no --listen" 2 "evsink: missing --listen ADDR:PORT"
usage "bad --listen" 2 "evsink: invalid address 'localhost:1' (A.B.C.D:PORT or [IPV6]:PORT)" --listen localhost:1
usage "--pool-limit 0" 2 "evsink: invalid --pool-limit '0' (1..16777216)" --listen 127.0.0.1:0 --pool-limit 0
usage "--max-payload over the cap" 2 "evsink: invalid --max-payload '65537' (0..65536)" --listen 127.0.0.1:0 --max-payload 65537
usage "bad --route" 2 "evsink: invalid --route '7:urgent' (TOPIC:rt|tx|batch)" --listen 127.0.0.1:0 --route 7:urgent
usage "bad --stats-fd" 2 "evsink: invalid --stats-fd '99' (an open file descriptor)" --listen 127.0.0.1:0 --stats-fd 99
usage "unknown option" 2 "evsink: bad option '--bogus'" --listen 127.0.0.1:0 --bogus

# ---- the pipeline, default limits ----

if start main --threads 2 --route 7:rt; then
	load "64 B, 4 connections, priority mix, acks" 0 \
		--conns 4 --events 200000 --size 64 --prio mix --ack
	load "4 KiB, 3 connections, priority mix, acks" 0 \
		--conns 3 --events 20000 --size 4096 --prio mix --ack
	load "auto priority follows --route" 0 \
		--events 1000 --size 100 --topic 7 --prio auto --ack
	# µs only in a UTF-8 locale, as evctl prints it.
	LC_ALL=C load "acks, LC_ALL=C" 0 --events 100 --size 64 --ack
	check "... the ack line in us" grep -q \
		'^ack  *p50 [0-9.]* us, p99 [0-9.]* us, p99.9 [0-9.]* us, max [0-9.]* us (' \
		"$tmp/load.out"
	LC_ALL=C.UTF-8 load "acks, LC_ALL=C.UTF-8" 0 --events 100 --size 64 --ack
	check "... the ack line in µs" grep -q \
		'^ack  *p50 [0-9.]* µs, p99 [0-9.]* µs, p99.9 [0-9.]* µs, max [0-9.]* µs (' \
		"$tmp/load.out"
	load "a payload over the limit fails the run" 1 \
		--events 10 --size 4097 --ack
	check "... with the server's reason" \
		grep -q "server sent ERROR: payload length over limit (frame seq 0)" "$tmp/load.err"

	client "bad magic: ack, ERROR, close" magic "ack 2|error 1000 bad magic"
	client "bad version: ack, ERROR, close" version "ack 2|error 1000 unsupported version"
	client "reserved bits: ack, ERROR, close" reserved "ack 2|error 1000 reserved bits set"
	client "length over the cap: ack, ERROR, close" length "ack 2|error 1000 payload length over limit"
	client "bad priority: ack, ERROR, close" priority "ack 2|error 1000 unknown priority"
	client "bytes after a bad header: ack, ERROR, close" junk "ack 2|error 1000 bad magic"
	client "a frame cut by the FIN: ack, close" truncated "ack 2"

	usr1 main
	check "SIGUSR1 prints the counters" grep -q '^frames  *221221$' "$tmp/main.err"

	stop main
	# 200000 + 20000 + 1000 + 2 x 100 (tx) from evload, 3 good frames
	# from each of 7 client runs.  evload's mix is rt, tx, batch, auto (-> tx) in turn
	# from each connection's first event: 4 x 50000 events give 50000,
	# 100000, 50000; 6667 + 6667 + 6666 give 5001, 9999, 5000.  The
	# client sends rt, tx, batch; topic 7's auto is routed to rt.
	expect main frames 221221
	expect main stored 221221
	expect main enqueued_rt 56008
	expect main enqueued_tx 110206
	expect main enqueued_batch 55007
	expect main processed_rt 56008
	expect main processed_tx 110206
	expect main processed_batch 55007
	expect main err_magic 2
	expect main err_version 1
	expect main err_reserved 1
	expect main err_length 2
	expect main err_priority 1
	expect main errors 7
	expect main truncated 1
	# evload: 4 + 3 + 1 + 1 + 1 + 1, the client 7.
	expect main conn_accepted 18
	expect main conn_closed 18
	expect main inflight 0
fi

# ---- 64 KiB payloads ----

if start big --threads 1 --max-payload 65536; then
	load "64 KiB payloads with --max-payload 65536, acks" 0 \
		--conns 2 --events 2000 --size 65536 --prio mix --ack
	stop big INT
	expect big frames 2000
	expect big stored 2000
	expect big bytes 131072000
fi

# ---- units: µs only in a UTF-8 locale, as evctl and evload ----

for loc in C C.UTF-8; do
	u=us
	[ $loc = C ] || u=µs
	if LC_ALL=$loc start units; then
		load "LC_ALL=$loc: 100 events" 0 --events 100 --size 64 --prio tx
		stop units
		check "LC_ALL=$loc: the latency line in $u" grep -qx \
			"latency_tx  *p50 <= [0-9.]* $u, p99 <= [0-9.]* $u, 100 events" \
			"$tmp/units.err"
	fi
done

# ---- backpressure and eviction ----

if start tight --threads 2 --pool-limit 32 --store-limit 64K; then
	load "tiny pool and store: everything stored and acked" 0 \
		--conns 8 --events 50000 --size 512 --prio mix --ack
	stop tight
	expect tight frames 50000
	expect tight stored 50000
	check "tight: every pause resumed" [ "$(counter tight pauses)" = "$(counter tight resumes)" ]
	check "tight: the store evicted" [ "$(counter tight evicted)" -gt 49000 ]
	check "tight: in flight never above the pool limit" [ "$(counter tight inflight_high)" -le 32 ]
fi

# ---- one event in flight at a time ----

if start one --threads 1 --pool-limit 1; then
	i=0
	while [ $i -lt 20 ]; do
		client "pool of one, a zero-length frame last ($i)" zero "ack 50" 50
		i=$((i + 1))
	done
	stop one
	expect one frames 1020
	expect one stored 1020
	expect one truncated 0
fi

# A connection holds the pool's one event, half received; another sends
# one frame with no payload and its FIN, and must pause on that header
# with nothing left to read but the FIN.  Once the first frame is done,
# the resume must take the second, not call it cut.
if start hold --threads 1 --pool-limit 1; then
	mkfifo "$tmp/hold.go"
	"$CLIENT" "$ADDR" hold 0 <"$tmp/hold.go" >"$tmp/hold.client" 2>&1 &
	hold_client=$!
	exec 3>"$tmp/hold.go"
	check "hold: the half-sent frame holds the pool" wait_counter hold inflight 1
	# Not holding the FIFO open: the first client waits for its end.
	"$CLIENT" "$ADDR" zero 0 >"$tmp/zero.client" 2>&1 3>&- &
	zero_client=$!
	check "hold: the zero-length frame waits for it" wait_counter hold pauses 1
	exec 3>&-
	wait $hold_client
	check "hold: the held frame is acked" [ "$(tr '\n' '|' <"$tmp/hold.client")" = "ack 1000|eof|" ]
	wait $zero_client
	check "hold: the waiting frame is acked after the resume" \
		[ "$(tr '\n' '|' <"$tmp/zero.client")" = "ack 0|eof|" ]
	stop hold
	expect hold frames 2
	expect hold stored 2
	expect hold truncated 0
	expect hold resumes 1
fi

# ---- an ack means stored, with several I/O threads ----

# Eight clients on four threads each send 500 frames, wait for the ACK
# of the last and stay connected: by then every frame must be in the
# store, not waiting for more to fill a chunk.
if start acked --threads 4; then
	mkfifo "$tmp/acked.go"
	clients=
	for i in 1 2 3 4 5 6 7 8; do
		: >"$tmp/acked.$i"
		"$CLIENT" "$ADDR" idle 500 <"$tmp/acked.go" >"$tmp/acked.$i" 2>&1 &
		clients="$clients $!"
	done
	exec 3>"$tmp/acked.go"
	i=0
	while [ "$(cat "$tmp"/acked.[1-8] | grep -c '^acked$')" -lt 8 ] &&
	      [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	check "acked: every client has the ACK of its last frame" \
		[ "$(cat "$tmp"/acked.[1-8] | grep -c '^acked$')" -eq 8 ]
	usr1 acked
	expect acked stored 4000
	exec 3>&-
	for p in $clients; do
		wait "$p"
	done
	check "acked: every client closed cleanly" \
		[ "$(cat "$tmp"/acked.[1-8] | grep -c '^eof$')" -eq 8 ]
	stop acked
	expect acked frames 4000
	expect acked conn_accepted 8
fi

# ---- --raw, --report ----

if start raw --raw --threads 2 --report; then
	load "--raw: evload without acks" 0 \
		--conns 4 --events 100000 --size 4096
	stop raw
	check "--raw --report: one JSON line on stdout" \
		grep -q "^{\"mode\":\"raw\",\"threads\":2,.*\"frames\":0,.*\"rx_bytes\":411200000,.*\"leaked\":0," "$tmp/raw.out"
	check "--raw --report: nothing else on stdout" [ "$(wc -l <"$tmp/raw.out")" -eq 1 ]
fi

echo "$0: $fails failed"
[ "$fails" -eq 0 ]
