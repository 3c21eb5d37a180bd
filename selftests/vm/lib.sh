#!/bin/sh
# Shared by the VM's check and demo scripts.

vm_insmod()
{
	insmod /lib/modules/evstream.ko "$@"
}

# Unloads the module and reports, as TAP, anything it left behind.
vm_unload_checks()
{
	if rmmod evstream; then
		echo "ok - rmmod evstream"
	else
		echo "not ok - rmmod evstream"
	fi
	if grep -q '^evs_' /proc/slabinfo; then
		echo "not ok - no evstream slab caches after unload"
		grep '^evs_' /proc/slabinfo | sed 's/^/# /'
	else
		echo "ok - no evstream slab caches after unload"
	fi
	# Kernel log lines that mean something went wrong somewhere.
	bad='WARNING:|BUG[: ]|Oops|general protection|Call Trace|still has objects|refcount_t:|list_add corruption|list_del corruption|UBSAN|KASAN|INFO: task .* blocked'
	if dmesg | grep -E "$bad" >/tmp/bad.log; then
		echo "not ok - kernel log is clean"
		# With the lines before the first one: what it is about.
		dmesg | grep -E -m 1 -B 12 -A 30 "$bad" | sed 's/^/# /'
		[ "$(wc -l </tmp/bad.log)" -gt 1 ] &&
			sed -n '2,20s/^/# /p' /tmp/bad.log
	else
		echo "ok - kernel log is clean"
	fi
	# On a kernel with kmemleak (make check-debug): what leaked since
	# check.sh cleared the list.  Two scans: an object is reported only
	# once a scan finds it unreferenced and old enough.
	if [ -w /sys/kernel/debug/kmemleak ]; then
		# kmemleak ignores objects younger than 5 s: let the last
		# test's age past that.
		sleep 6
		echo scan >/sys/kernel/debug/kmemleak
		echo scan >/sys/kernel/debug/kmemleak
		if grep -q 'unreferenced object' /sys/kernel/debug/kmemleak; then
			echo "not ok - kmemleak finds no leak"
			head -n 60 /sys/kernel/debug/kmemleak | sed 's/^/# /'
		else
			echo "ok - kmemleak finds no leak"
		fi
	fi
	# Taint other than O (out-of-tree, 4096) and E (unsigned, 8192).
	taint=$(cat /proc/sys/kernel/tainted)
	if [ $((taint & ~(4096 | 8192))) -ne 0 ]; then
		echo "not ok - kernel not tainted (tainted=$taint)"
	else
		echo "ok - kernel not tainted"
	fi
}
