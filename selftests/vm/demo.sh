#!/bin/sh
# Runs inside the VM for `make demo`: shows what evstream does, command by
# command, exactly as a user would type it.

run()
{
	echo "# $*"
	"$@"
	echo
}

run insmod /lib/modules/evstream.ko
run evctl version
run evctl listen add 127.0.0.1:7000
run evctl route add topic 3 prio batch
run evctl listen show
# Every priority: explicit realtime, transactional, batch, and auto
# (which takes topic 3's rule).
run evload --addr 127.0.0.1:7000 --conns 4 --events 20000 --size 128 \
	--prio mix --topic 1 --ack --verify
run evload --addr 127.0.0.1:7000 --conns 1 --events 1000 --size 512 \
	--prio auto --topic 3
run evctl stats
run cat /proc/net/evstream/stats
run evctl read topic 1 count 3
run evctl -j read topic 3 count 1
run evctl listen del 127.0.0.1:7000
run rmmod evstream
