#!/bin/sh
# Runs inside the VM for `make bench` (guest side), in one of two modes
# (evs.bench.mode, set by bench/run.sh):
#   det  one vCPU under QEMU's icount: guest time counts instructions, so
#        the busy time of a run is its instruction count, whatever the
#        host does.  End-to-end runs only.
#   par  multi-threaded TCG, 2 vCPUs: events/s and CPU per event, the ack
#        latency at half of A's peak, and the in-kernel micro-benchmarks.
# The servers, on the same loopback address and port, each fed by evload:
#   A  evstream.ko        (ingest, route, store, ack)
#   B  evsink             (the same protocol and store in userspace,
#                          each read pass run to completion per I/O thread)
#   C  evsink --raw       (read and discard: the raw limit; no acks)
#   D  nats-server        (core NATS: parse and drop; no acks)
#   E  nats-server -js    (a JetStream memory stream; acked runs only,
#                          which end at the last PubAck)
# Every repeat runs every scenario against every server in turn, each
# run on a server started from nothing, so that a drift of the machine
# falls on all servers alike.  One "run key=value ..." line per run;
# bench/report.py on the host turns them into tables.
#
# Knobs on the kernel command line: evs.bench.mode=det|par,
# evs.bench.reps=N (default 5), evs.bench.quick=1 (a smaller matrix),
# evs.bench.boot=N (a label for the report), and comma-separated subsets:
# evs.bench.servers=, .sizes=, .conns=, .acks=; evs.bench.micro=0|1 and
# evs.bench.latency=0|1 (par mode only), evs.bench.scale=P (P% of the
# events per run), evs.bench.store=SIZE (A and B's store limit, 8M).

mode=par
reps=5
quick=0
boot=1
servers="A B C D E"
sizes=""
conns_list=""
acks=""
micro=1
latency=1
scale=100
# The store limit of A and B: small enough that most of a run stores
# into a full store that recycles its memory, as a long-running server
# does.  A fresh 64 MiB store would spend every run filling: first
# touches of memory, whose zeroing counts one instruction per byte
# under icount, would then be most of what a run measures.
store=8M
for arg in $(cat /proc/cmdline); do
	case $arg in
	evs.bench.mode=*) mode=${arg#evs.bench.mode=} ;;
	evs.bench.reps=*) reps=${arg#evs.bench.reps=} ;;
	evs.bench.quick=*) quick=${arg#evs.bench.quick=} ;;
	evs.bench.boot=*) boot=${arg#evs.bench.boot=} ;;
	evs.bench.servers=*) servers=$(echo "${arg#*=}" | tr , ' ') ;;
	evs.bench.sizes=*) sizes=$(echo "${arg#*=}" | tr , ' ') ;;
	evs.bench.conns=*) conns_list=$(echo "${arg#*=}" | tr , ' ') ;;
	evs.bench.acks=*) acks=$(echo "${arg#*=}" | tr , ' ') ;;
	evs.bench.micro=*) micro=${arg#evs.bench.micro=} ;;
	evs.bench.latency=*) latency=${arg#evs.bench.latency=} ;;
	evs.bench.scale=*) scale=${arg#evs.bench.scale=} ;;
	evs.bench.store=*) store=${arg#evs.bench.store=} ;;
	esac
done
# Timings under icount are instruction counts: the micro-benchmarks and
# latencies mean something only in real time.
[ "$mode" = det ] && micro=0 latency=0

echo "# machine: $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "# mode $mode boot $boot reps $reps store-limit $store"
echo "# clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"

# D and E need nats-server in the initramfs and an evload that speaks
# NATS; without either they are left out, and the report says so.
nats=""
if ! command -v nats-server >/dev/null; then
	nats="no nats-server in the initramfs"
elif ! evload --help 2>&1 | grep -q -- --proto; then
	nats="evload has no --proto"
fi
if [ -n "$nats" ]; then
	for s in $servers; do
		case $s in
		D | E) echo "# skipped $s: $nats" ;;
		esac
	done
	servers=$(echo "$servers" | tr -d 'DE')
fi

# ---- in-kernel micro-benchmarks ----
if [ "$micro" = 1 ]; then
	insmod /lib/modules/evs_bench.ko && rmmod evs_bench
	dmesg | grep -v taint | sed -n 's/.*evs_bench: /micro /p'
fi

# ---- slab bytes per event: objects of the event caches ----
insmod /lib/modules/evstream.ko
awk '/^evs_(event|payload)_/ { printf "slab %s objsize %d objperslab %d pagesperslab %d\n", $1, $4, $5, $6 }' /proc/slabinfo
rmmod evstream

# Busy time of all CPUs in ns: the sum of /proc/schedstat's rq_cpu_time
# (the 7th number of each cpuN line), the time every task but the idle
# task ran, summed when a task leaves its CPU.  /proc/stat counts in
# ticks (10 ms in the output, 4 ms underneath); this counts in ns.
busy_ns()
{
	awk '/^cpu[0-9]/ { s += $8 } END { printf "%.0f\n", s }' /proc/schedstat
}

# The same from /proc/stat, in USER_HZ ticks: a cross-check.
busy_ticks()
{
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# NET_RX softirqs run, all CPUs.
net_rx()
{
	awk '/NET_RX:/ { for (i = 2; i <= NF; i++) s += $i } END { print s + 0 }' /proc/softirqs
}

# One line per thread alive: tid, pid, run time in ns, name.  Builtins
# only (no fork), so that taking it costs little and adds no task.
tasks()
{
	for d in /proc/[0-9]*/task/[0-9]*; do
		read -r rt _ <"$d/schedstat" 2>/dev/null || continue
		read -r c <"$d/comm" 2>/dev/null || continue
		p=${d#/proc/}
		echo "${d##*/} ${p%%/*} $rt $c"
	done
}

# Run time per stage between two task lists: the server's threads (by
# pid), kworkers, ksoftirqd, the other threads that lived through the run
# (init, rcu), as "k=v" fields.  This shell is left out: the lists are
# taken outside the measured window, and it spends most of its time
# between them on them.  What ran in threads that exited (evload, and the
# few processes this script forks) and in this shell is the total busy
# time minus these, and is reported as the client.
stages()
{
	awk -v spid="${server_pid:-0}" -v self=$$ '
	FNR == NR { t0[$1] = $3; next }
	{
		d = $3 - ($1 in t0 ? t0[$1] : 0)
		if ($2 == self) next
		if ($2 == spid) s += d
		else if ($4 ~ /^kworker/) k += d
		else if ($4 ~ /^ksoftirqd/) q += d
		else o += d
	}
	END { printf "server_ns=%.0f kworker_ns=%.0f ksoftirqd_ns=%.0f other_ns=%.0f\n", s, k, q, o }
	' "$1" "$2"
}

# Under icount a string instruction with a rep prefix counts once per
# iteration: the kernel's copies to and from user space (rep movsb with
# ERMS or FSRM) and clear_user (rep stosb) count about one instruction
# per byte, where a vector loop on hardware would take a few per 32
# bytes.  Measured here, so that the report can say how much of a run
# is copying.  bytes_cost CMD...: instructions per byte of 128 MiB.
bytes_cost()
{
	b0=$(busy_ns)
	"$@"
	b1=$(busy_ns)
	echo "$b0 $b1" | awk '{ printf "%.2f", ($2 - $1) / 134217728 }'
}
if [ "$mode" = det ]; then
	echo "# cpu flags for copies: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -x -E 'erms|fsrm|avx2|avx512f' | tr '\n' ' ')"
	zero=$(bytes_cost dd if=/dev/zero of=/dev/null bs=65536 count=2048 2>/dev/null)
	pipe=$(bytes_cost sh -c 'dd if=/dev/zero bs=65536 count=2048 2>/dev/null | dd of=/dev/null bs=65536 2>/dev/null')
	echo "# instructions per byte: /dev/zero to /dev/null (clear_user) $zero; through a pipe (clear_user, copy in, copy out) $pipe"
fi

# run SERVER SIZE CONNS ACK EVENTS REP [RATE]: one evload run against a
# server started for it, one line.
run()
{
	server=$1 size=$2 conns=$3 ack=$4 events=$5 rep=$6 rate=${7:-0}
	set -- --addr 127.0.0.1:7000 --conns "$conns" --events "$events" \
		--size "$size" --timeout 600 -j
	case $server in
	D) set -- "$@" --proto nats --subject bench ;;
	E) set -- "$@" --proto jetstream --stream BENCH --subject bench ;;
	*) set -- "$@" --prio tx ;;
	esac
	[ "$ack" = ack ] && [ "$server" != E ] && set -- "$@" --ack
	[ "$rate" -gt 0 ] && set -- "$@" --rate "$rate"
	start_server "$server"
	tasks >/tmp/tasks0
	s0=$(net_rx)
	t0=$(busy_ticks)
	b0=$(busy_ns)
	out=$(evload "$@" 2>/tmp/evload.err)
	rc=$?
	# What the server still does after the client's end (a store
	# behind the reads) belongs to the run; idle time counts nothing.
	sleep 0.2
	b1=$(busy_ns)
	t1=$(busy_ticks)
	s1=$(net_rx)
	tasks >/tmp/tasks1
	st=$(stages /tmp/tasks0 /tmp/tasks1)
	stop_server "$server"
	if [ $rc -ne 0 ]; then
		echo "fail $mode $server $size $conns $ack $events rep=$rep rc=$rc"
		sed 's/^/# /' /tmp/evload.err
		return
	fi
	# evload's JSON, flattened without jq (whose start costs seconds of
	# emulated time): every key evload prints is unique.
	echo "$out" | tr ',{}' '\n\n\n' | awk -F: -v pre="run server=$server" \
		-v post="ack=$ack rate=$rate mode=$mode boot=$boot rep=$rep busy_ns=$((b1 - b0)) busy_ticks=$((t1 - t0)) net_rx=$((s1 - s0)) $st" '
	{ gsub(/[ \t"]/, ""); v[$1] = $2 }
	function n(k) { return v[k] == "" ? 0 : v[k] }
	END {
		printf "%s size=%s conns=%s %s events=%s eps=%s mbps=%s p50=%s p99=%s p999=%s\n",
			pre, v["size"], v["conns"], post, v["events"], v["events_per_s"],
			v["mb_per_s"], n("p50"), n("p99"), n("p999")
	}'
}

start_server()
{
	server_pid=""
	case $1 in
	A)
		# Loaded for each run: an empty store.
		insmod /lib/modules/evstream.ko &&
		evctl config set store-limit "$store" >/dev/null &&
		evctl listen add 127.0.0.1:7000 >/dev/null
		;;
	B)
		evsink --listen 127.0.0.1:7000 --store-limit "$store" 2>/dev/null &
		server_pid=$!
		;;
	C)
		evsink --listen 127.0.0.1:7000 --raw 2>/dev/null &
		server_pid=$!
		;;
	D)
		nats-server -a 127.0.0.1 -p 7000 >/dev/null 2>&1 &
		server_pid=$!
		;;
	E)
		rm -rf /tmp/js
		nats-server -a 127.0.0.1 -p 7000 -js -sd /tmp/js >/dev/null 2>&1 &
		server_pid=$!
		;;
	esac
	# Ready when it listens on 127.0.0.1:7000 (state 0A).  Busybox's nc
	# has no -z: probing with it never succeeds, and connecting would
	# give the server a connection of its own.
	n=0
	while ! grep -q '^ *[0-9]*: 0100007F:1B58 00000000:0000 0A' /proc/net/tcp &&
		[ $n -lt 200 ]; do
		n=$((n + 1))
		sleep 0.05
	done
	[ $n -lt 200 ] || echo "# server $1 not listening after 10 s"
}

stop_server()
{
	case $1 in
	A)
		evctl listen del 127.0.0.1:7000
		rmmod evstream
		;;
	*)
		kill "$server_pid"
		wait "$server_pid"
		;;
	esac
	rm -rf /tmp/js
}

# Which servers take a scenario: C and D never ack, E always does.
takes()
{
	case $1/$2 in
	C/ack | D/ack | E/noack) return 1 ;;
	esac
	return 0
}

if [ -z "$sizes" ]; then
	sizes="64 512 4096"
fi
[ -n "$acks" ] || acks="noack ack"
# Scaling with connections is the parallel mode's question; on one vCPU
# the deterministic runs take the 4 connections.
if [ -z "$conns_list" ]; then
	conns_list="1 4 16"
	[ "$quick" = 1 ] || [ "$mode" = det ] && conns_list="4"
fi

# Events per run by size, the same in both modes.  A run has a fixed
# cost (evload's start, its connections, the server's first touches of
# memory: some 17 million instructions) and the cost per event still
# falls with the length of the run, so instructions per event hold for
# these counts only; the quick matrix's det runs, a quarter as long, are
# not comparable with the full one's.
events_for()
{
	case $1 in
	64) echo 200000 ;;
	512) echo 100000 ;;
	*) echo 40000 ;;
	esac
}
[ "$quick" = 1 ] && [ "$mode" = det ] && [ "$scale" = 100 ] && scale=25
echo "# events per run: $((200000 * scale / 100)) at 64 B, $((100000 * scale / 100)) at 512 B, $((40000 * scale / 100)) larger"

for rep in $(seq "$reps"); do
	for size in $sizes; do
		for conns in $conns_list; do
			nev=$(($(events_for "$size") * scale / 100))
			for ack in $acks; do
				for server in $servers; do
					takes "$server" "$ack" || continue
					run "$server" "$size" "$conns" "$ack" "$nev" "$rep"
				done
			done
		done
	done
done

[ "$latency" = 1 ] || exit 0

# Ack latency at half of A's peak acked rate, 4 connections, 512 bytes,
# A and B in turn in every repeat.
peak=$(run A 512 4 ack 100000 0 | sed -n 's/.* eps=\([0-9.]*\) .*/\1/p')
half=$(echo "$peak" | awk '{ printf "%d", $1 / 2 }')
echo "# A's acked 512 B peak, 4 connections: ${peak:-failed} events/s; half: $half"
if [ "$half" -gt 0 ]; then
	for rep in $(seq "$reps"); do
		for server in A B; do
			run $server 512 4 ack 50000 "$rep" "$half"
		done
	done
fi
