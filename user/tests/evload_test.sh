#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Command-line behaviour of evload that needs no server: usage errors
# (exit 2) and a refused connection (exit 1).  Sending, acks and the
# verification are exercised against the module in the VM.  Prints
# TAP-like lines; exits 1 on any failure.
#
# usage: evload_test.sh EVLOAD

EVLOAD=$1
fails=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

. "$(dirname "$0")/testlib.sh"

A=127.0.0.1:9
run "--help" 0 "" "$EVLOAD" --help
grep -q '^JSON keys: events, conns' "$tmp/out" || { echo "not ok - help documents JSON keys"; fails=$((fails + 1)); }
run "no --addr" 2 "evload: missing --addr HOST:PORT" "$EVLOAD"
# What is wrong with an address, each its own message.
run "--addr unknown host" 2 "evload: invalid address 'nosuch.invalid:7000': unknown host" "$EVLOAD" --addr nosuch.invalid:7000
run "--addr without port" 2 "evload: invalid address 'localhost': missing port" "$EVLOAD" --addr localhost
run "--addr empty port" 2 "evload: invalid address '127.0.0.1:': missing port" "$EVLOAD" --addr 127.0.0.1:
run "--addr [IPv6] without port" 2 "evload: invalid address '[::1]': missing port" "$EVLOAD" --addr '[::1]'
run "--addr port out of range" 2 "evload: invalid address 'localhost:65536': port out of range (0..65535)" "$EVLOAD" --addr localhost:65536
run "--addr service name" 2 "evload: invalid address 'localhost:echo': port not a number" "$EVLOAD" --addr localhost:echo
run "--addr bracket not closed" 2 "evload: invalid address '[::1:7000': bad brackets" "$EVLOAD" --addr '[::1:7000'
run "--addr bracket not opened" 2 "evload: invalid address '::1]:7000': bad brackets" "$EVLOAD" --addr '::1]:7000'
run "--addr no colon after bracket" 2 "evload: invalid address '[::1]7000': bad brackets" "$EVLOAD" --addr '[::1]7000'
run "--addr IPv6 without brackets" 2 "evload: invalid address '::1:7000': an IPv6 address needs brackets" "$EVLOAD" --addr ::1:7000
run "--addr IPv4 in brackets" 2 "evload: invalid address '[127.0.0.1]:7000': not an IP address" "$EVLOAD" --addr '[127.0.0.1]:7000'
run "--addr unknown interface" 2 "evload: invalid address '[fe80::1%evs-nosuch0]:7000': unknown interface" "$EVLOAD" --addr '[fe80::1%evs-nosuch0]:7000'
run "--addr no host" 2 "evload: invalid address ':7000': missing host" "$EVLOAD" --addr :7000
run "--addr without value" 2 "evload: bad option '--addr'" "$EVLOAD" --addr
run "unknown option" 2 "evload: bad option '--bogus'" "$EVLOAD" --bogus
run "unknown short option" 2 "evload: unknown option '-z'" "$EVLOAD" -z
run "stray argument" 2 "evload: unexpected argument 'x'" "$EVLOAD" --addr $A x
run "--conns 0" 2 "evload: invalid --conns '0' (1..4096)" "$EVLOAD" --addr $A --conns 0
run "--conns too many" 2 "evload: invalid --conns '4097' (1..4096)" "$EVLOAD" --addr $A --conns 4097
run "--events 0" 2 "evload: invalid --events '0'" "$EVLOAD" --addr $A --events 0
run "--events -1" 2 "evload: invalid --events '-1'" "$EVLOAD" --addr $A --events -1
run "--size too big" 2 "evload: invalid --size '65537': out of range (0..65536 bytes)" "$EVLOAD" --addr $A --size 65537
run "--size 65K" 2 "evload: invalid --size '65K': out of range (0..65536 bytes)" "$EVLOAD" --addr $A --size 65K
run "--size 16E" 2 "evload: invalid --size '16E': out of range (0..65536 bytes)" "$EVLOAD" --addr $A --size 16E
run "--size -1" 2 "evload: invalid --size '-1': negative (0..65536 bytes)" "$EVLOAD" --addr $A --size -1
run "--size 4KB" 2 "evload: invalid --size '4KB': unknown unit (0..65536 bytes)" "$EVLOAD" --addr $A --size 4KB
run "--size empty" 2 "evload: invalid --size '': empty (0..65536 bytes)" "$EVLOAD" --addr $A --size ''
run "--size x" 2 "evload: invalid --size 'x': not a number (0..65536 bytes)" "$EVLOAD" --addr $A --size x
run "--topic too big" 2 "evload: invalid --topic '65536' (0..65535)" "$EVLOAD" --addr $A --topic 65536
run "--prio bad" 2 "evload: invalid --prio 'realtime' (rt, tx, batch, auto or mix)" "$EVLOAD" --addr $A --prio realtime
run "--rate 0" 2 "evload: invalid --rate '0'" "$EVLOAD" --addr $A --rate 0
run "--rate x" 2 "evload: invalid --rate 'x'" "$EVLOAD" --addr $A --rate x
run "--timeout -1" 2 "evload: invalid --timeout '-1'" "$EVLOAD" --addr $A --timeout -1
run "--timeout inf" 2 "evload: invalid --timeout 'inf'" "$EVLOAD" --addr $A --timeout inf
run "--verify small size" 2 "evload: --verify needs --size 24 or more" "$EVLOAD" --addr $A --verify --size 23
run "--verify too many per connection" 2 "evload: --verify: at most 2^32 events per connection" "$EVLOAD" --addr $A --verify --events 4294967297

# --proto nats and jetstream: what they need, what they refuse.
run "--proto bad" 2 "evload: invalid --proto 'mqtt' (evstream, nats or jetstream)" "$EVLOAD" --addr $A --proto mqtt
run "--proto nats without --subject" 2 "evload: --proto nats needs --subject SUBJ" "$EVLOAD" --addr $A --proto nats
run "--proto jetstream without --stream" 2 "evload: --proto jetstream needs --stream NAME" "$EVLOAD" --addr $A --proto jetstream --subject s
run "--subject without --proto" 2 "evload: --subject needs --proto nats or jetstream" "$EVLOAD" --addr $A --subject s
run "--stream without --proto" 2 "evload: --stream needs --proto nats or jetstream" "$EVLOAD" --addr $A --stream S
run "--stream with --proto nats" 2 "evload: --stream needs --proto jetstream (core NATS has no streams)" "$EVLOAD" --addr $A --proto nats --subject s --stream S
run "--ack with --proto nats" 2 "evload: --ack: core NATS has no acks (--proto jetstream acks every event)" "$EVLOAD" --addr $A --proto nats --subject s --ack
run "--verify with --proto nats" 2 "evload: --verify reads the evstream module back: not with --proto nats" "$EVLOAD" --addr $A --proto nats --subject s --verify
run "--topic with --proto jetstream" 2 "evload: --topic has no meaning with --proto jetstream" "$EVLOAD" --addr $A --proto jetstream --stream S --subject s --topic 3
run "--prio with --proto nats" 2 "evload: --prio has no meaning with --proto nats" "$EVLOAD" --addr $A --proto nats --subject s --prio rt
for subj in '' 'a b' 'a.*' '>' 'a..b' '.a' 'a.' "$(printf 'a\tb')"; do
	run "--subject '$subj'" 2 "evload: invalid --subject '$subj' (a NATS subject to publish to: dot-separated tokens without blanks or wildcards, at most 255 bytes)" "$EVLOAD" --addr $A --proto nats --subject "$subj"
done
long=$(printf '%0256d' 0)
run "--subject of 256 bytes" 2 "evload: invalid --subject '$long' (a NATS subject to publish to: dot-separated tokens without blanks or wildcards, at most 255 bytes)" "$EVLOAD" --addr $A --proto nats --subject "$long"
for name in '' 'a.b' 'a*' 'a>' 'a b' 'a/b'; do
	run "--stream '$name'" 2 "evload: invalid --stream '$name' (a JetStream stream name: no blanks, '.', '*', '>', '/', '\\' or '\"', at most 255 bytes)" "$EVLOAD" --addr $A --proto jetstream --subject s --stream "$name"
done
# Wildcards only as whole tokens: these are literal subjects.
for subj in 'a*b.c' 'x>' '$JS.x' 'a-b_c'; do
	run "--subject '$subj'" 1 "evload: connection 0: connect to 127.0.0.1:9: Connection refused" "$EVLOAD" --addr $A --proto nats --subject "$subj" --timeout 5
done

# Nothing listens on the discard port of a test machine; if something
# does, the run fails differently and this test says so.
run "connection refused" 1 "evload: connection 0: connect to 127.0.0.1:9: Connection refused" "$EVLOAD" --addr $A --timeout 5
run "connection refused, -j" 1 "evload: connection 0: connect to 127.0.0.1:9: Connection refused" "$EVLOAD" -j --addr $A --conns 1 --timeout 5
[ ! -s "$tmp/out" ] || { echo "not ok - no output on failure"; fails=$((fails + 1)); }
# A host name and a scoped address get as far as connecting.  localhost
# may come first as ::1.
"$EVLOAD" --addr localhost:9 --timeout 5 >"$tmp/out" 2>"$tmp/err"
rc=$?
case "$rc $(cat "$tmp/err")" in
"1 evload: connection 0: connect to 127.0.0.1:9: Connection refused" | \
"1 evload: connection 0: connect to [::1]:9: Connection refused")
	echo "ok - --addr localhost:9" ;;
*)
	echo "not ok - --addr localhost:9"
	echo "#  rc $rc, stderr: $(cat "$tmp/err")"
	fails=$((fails + 1)) ;;
esac
# The scope of a loopback address means nothing to connect(), but it is
# kept: index 1 is lo, shown by its name.
if [ -e /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; then
	run "--addr with a scope by name" 1 "evload: connection 0: connect to [::1%lo]:9: Connection refused" "$EVLOAD" --addr '[::1%lo]:9' --timeout 5
	lo=$(cat /sys/class/net/lo/ifindex)
	run "--addr with a scope by number" 1 "evload: connection 0: connect to [::1%lo]:9: Connection refused" "$EVLOAD" --addr "[::1%$lo]:9" --timeout 5
else
	echo "ok - # SKIP no IPv6 loopback"
fi
# Sizes as evctl takes them: parsed, then the run gets as far as connecting.
for size in 64K 64KiB 4k 512B 65536; do
	run "--size $size" 1 "evload: connection 0: connect to 127.0.0.1:9: Connection refused" "$EVLOAD" --addr $A --size $size --timeout 5
done
# The value, not only the syntax: 23B is 23, below what --verify needs.
run "--verify --size 23B" 2 "evload: --verify needs --size 24 or more" "$EVLOAD" --addr $A --verify --size 23B

echo "$0: $fails failed"
[ "$fails" -eq 0 ]
