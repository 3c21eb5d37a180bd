#!/bin/sh
# Prints the kernel build directory to build the module against.
# KFLAVOUR=rt picks the newest Debian PREEMPT_RT headers
# (linux-headers-rt-amd64); otherwise the running kernel's headers when
# they are installed, else the newest non-RT headers from Debian's
# linux-headers-* packages (the kernel the VM boots).
set -eu
flavour=${KFLAVOUR:-}
newest()
{
	# $1: a grep -E pattern on the release name
	ls -d /lib/modules/*/build 2>/dev/null | grep -E "$1" | sort -V | tail -n 1
}
case $flavour in
rt)
	best=$(newest '/[^/]*-rt-[^/]*/build$')
	;;
"")
	run=/lib/modules/$(uname -r)/build
	if [ -d "$run" ]; then
		echo "$run"
		exit 0
	fi
	best=$(newest '/[^/]*/build$' | grep -v -- '-rt-' || true)
	[ -n "$best" ] || best=$(ls -d /lib/modules/*/build 2>/dev/null |
		grep -v -- '-rt-' | sort -V | tail -n 1)
	;;
*)
	best=$(newest "/[^/]*-$flavour/build\$")
	;;
esac
if [ -z "$best" ]; then
	echo "no ${flavour:+$flavour }kernel headers in /lib/modules/*/build: run scripts/deps.sh" >&2
	echo /lib/modules/NONE/build
	exit 0
fi
echo "$best"
