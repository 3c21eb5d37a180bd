#!/bin/sh
# Prints the kernel build directory to build the module against: the
# running kernel's, when its headers are installed, else the newest one
# installed from Debian's linux-headers-* packages (the kernel the VM boots).
set -eu
run=/lib/modules/$(uname -r)/build
if [ -d "$run" ]; then
	echo "$run"
	exit 0
fi
best=$(ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1)
if [ -z "$best" ]; then
	echo "no kernel headers in /lib/modules/*/build: run scripts/deps.sh" >&2
	echo /lib/modules/NONE/build
	exit 0
fi
echo "$best"
