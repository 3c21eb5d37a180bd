#!/bin/sh
# Runs inside the VM for `make bench` (guest side): the in-kernel
# micro-benchmarks, then the end-to-end scenarios against three servers
# on the same loopback with the same evload client:
#   A  evstream.ko        (ingest, route, store, ack)
#   B  evsink             (the same pipeline in userspace)
#   C  evsink --raw       (read and discard: the raw limit)
# Prints one "run ..." line per evload run and the micro-benchmark lines;
# bench/report.py on the host turns them into tables.
#
# Knobs on the kernel command line: evs.bench.reps=N (default 5),
# evs.bench.quick=1 (a smaller matrix, for a smoke test).

reps=5
quick=0
servers="A B C"
sizes=""
conns_list=""
acks=""
micro=1
latency=1
for arg in $(cat /proc/cmdline); do
	case $arg in
	evs.bench.reps=*) reps=${arg#evs.bench.reps=} ;;
	evs.bench.quick=*) quick=${arg#evs.bench.quick=} ;;
	# Comma-separated subsets, for a run of one question.
	evs.bench.servers=*) servers=$(echo "${arg#*=}" | tr , ' ') ;;
	evs.bench.sizes=*) sizes=$(echo "${arg#*=}" | tr , ' ') ;;
	evs.bench.conns=*) conns_list=$(echo "${arg#*=}" | tr , ' ') ;;
	evs.bench.acks=*) acks=$(echo "${arg#*=}" | tr , ' ') ;;
	evs.bench.micro=*) micro=${arg#evs.bench.micro=} ;;
	evs.bench.latency=*) latency=${arg#evs.bench.latency=} ;;
	esac
done

echo "# machine: $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "# reps $reps"

# ---- in-kernel micro-benchmarks ----
if [ "$micro" = 1 ]; then
	insmod /lib/modules/evs_bench.ko && rmmod evs_bench
	dmesg | grep -v taint | sed -n 's/.*evs_bench: /micro /p'
fi

# ---- slab bytes per event: objects of the event caches ----
insmod /lib/modules/evstream.ko
awk '/^evs_(event|payload)_/ { printf "slab %s objsize %d objperslab %d pagesperslab %d\n", $1, $4, $5, $6 }' /proc/slabinfo

# busy and total CPU jiffies, all CPUs, from /proc/stat
cpu_busy()
{
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# run SERVER SIZE CONNS ACK EVENTS [RATE]: one evload run, one line.
run()
{
	server=$1 size=$2 conns=$3 ack=$4 events=$5 rate=${6:-0}
	set -- --addr 127.0.0.1:7000 --conns "$conns" --events "$events" \
		--size "$size" --prio tx --timeout 600 -j
	[ "$ack" = ack ] && set -- "$@" --ack
	[ "$rate" -gt 0 ] && set -- "$@" --rate "$rate"
	b0=$(cpu_busy)
	out=$(time -p evload "$@" 2>/tmp/evload.time)
	rc=$?
	b1=$(cpu_busy)
	if [ $rc -ne 0 ]; then
		echo "fail $server $size $conns $ack $events rc=$rc"
		cat /tmp/evload.time | sed 's/^/# /'
		return
	fi
	client=$(awk '$1 == "user" || $1 == "sys" { s += $2 } END { printf "%d", s * 100 }' /tmp/evload.time)
	echo "$out" | jq -r --arg s "$server" --arg a "$ack" \
		--arg busy "$((b1 - b0))" --arg client "$client" --arg rate "$rate" \
		'"run \($s) \(.size) \(.conns) \($a) \($rate) \(.events) \(.events_per_s) \(.mb_per_s) \(.ack_latency_us.p50 // 0) \(.ack_latency_us.p99 // 0) \(.ack_latency_us.p999 // 0) \($busy) \($client)"'
}

start_server()
{
	case $1 in
	A)
		evctl listen add 127.0.0.1:7000 >/dev/null
		;;
	B)
		evsink --listen 127.0.0.1:7000 2>/dev/null &
		server_pid=$!
		;;
	C)
		evsink --listen 127.0.0.1:7000 --raw 2>/dev/null &
		server_pid=$!
		;;
	esac
	# Ready when a connection is accepted.
	n=0
	while ! nc -z 127.0.0.1 7000 2>/dev/null && [ $n -lt 100 ]; do
		n=$((n + 1))
		sleep 0.05
	done
}

stop_server()
{
	case $1 in
	A)
		evctl listen del 127.0.0.1:7000
		# Each server starts from nothing: an empty store.
		rmmod evstream && insmod /lib/modules/evstream.ko
		;;
	B | C)
		kill "$server_pid"
		wait "$server_pid"
		;;
	esac
}

[ -n "$sizes" ] || sizes="64 512 4096"
[ -n "$acks" ] || acks="noack ack"
if [ -z "$conns_list" ]; then
	conns_list="1 4 16"
	[ "$quick" = 1 ] && conns_list="4"
fi

# events per run by size: long enough to measure, short enough to finish
events_for()
{
	case $1 in
	64) echo 200000 ;;
	512) echo 100000 ;;
	*) echo 40000 ;;
	esac
}

for server in $servers; do
	start_server $server
	for rep in $(seq "$reps"); do
		for size in $sizes; do
			for conns in $conns_list; do
				for ack in $acks; do
					# The raw sink reads and never acks.
					[ $server = C ] && [ $ack = ack ] && continue
					run $server "$size" "$conns" $ack "$(events_for "$size")"
				done
			done
		done
	done
	stop_server $server
done

[ "$latency" = 1 ] || exit 0

# Ack latency at half of A's peak rate, 4 connections, 512 bytes: the
# host computes the rate from the runs above and passes it back; here a
# fixed fraction of this run's own A peak is measured first.
peak=$(start_server A; run A 512 4 ack 100000 | awk '{ print $8 }'; stop_server A)
half=$(echo "$peak" | awk '{ printf "%d", $1 / 2 }')
echo "# half of A's acked 512 B peak: $half events/s"
for server in A B; do
	start_server $server
	for rep in $(seq "$reps"); do
		run $server 512 4 ack 50000 "$half"
	done
	stop_server $server
done
