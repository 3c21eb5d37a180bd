#!/bin/sh
# Runs inside the VM for `make demo`: shows what evstream does, command by
# command, exactly as a user would type it.
# shellcheck source=selftests/vm/lib.sh
. /vm/lib.sh

run()
{
	echo "# $*"
	"$@"
	echo
}

run insmod /lib/modules/evstream.ko
run evctl version
run evctl stats
run cat /proc/net/evstream/stats
run evctl -j stats
run rmmod evstream
