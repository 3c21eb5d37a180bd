#!/bin/sh
# Builds (once) a debug kernel from Debian's linux-source-SERIES (6.1 or
# 6.12) for `make check-debug`: x86_64_defconfig plus what the test VM needs plus
# every debugging option that combines with the others here (KASAN,
# lockdep, atomic-sleep checks, kmemleak, list and refcount checks), and
# memory cgroups, so that memcg_test runs there too.
# KCSAN is left out: it cannot be built together with KASAN.
#
# The tree is cached under ~/.cache/evstream/, keyed by a hash of the
# source tarball's name and of the options below, so a second run only
# prints where it is.  Prints the build directory on its last line.
#
# usage: debug-kernel.sh SERIES
set -eu
series=${1:-6.1}
tarball=$(ls /usr/src/linux-source-"$series".tar.* 2>/dev/null | head -n 1)
if [ -z "$tarball" ]; then
	echo "debug-kernel: no /usr/src/linux-source-$series.tar.*: apt-get install linux-source-$series (scripts/deps.sh debug)" >&2
	exit 1
fi
cache=${EVS_CACHE:-$HOME/.cache/evstream}
jobs=${EVS_JOBS:-$(nproc)}

# What the VM needs on top of defconfig, and the debugging.  The VM has
# a serial console and no NIC, disk, display or USB: those drivers go,
# and a KASAN build, slow as it is, need not compile them.
options="
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
CONFIG_MODULE_SIG=n
CONFIG_NET_NS=y
CONFIG_USER_NS=y
CONFIG_IPV6=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_DEVTMPFS=y
CONFIG_TMPFS=y
CONFIG_DEBUG_FS=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_HOTPLUG_CPU=y
CONFIG_VETH=y
CONFIG_MEMCG=y
CONFIG_DRM=n
CONFIG_AGP=n
CONFIG_SOUND=n
CONFIG_USB_SUPPORT=n
CONFIG_WIRELESS=n
CONFIG_WLAN=n
CONFIG_CFG80211=n
CONFIG_ETHERNET=n
CONFIG_DEBUG_INFO_NONE=y
CONFIG_KASAN=y
CONFIG_KASAN_GENERIC=y
CONFIG_KASAN_INLINE=y
CONFIG_PROVE_LOCKING=y
CONFIG_DEBUG_ATOMIC_SLEEP=y
CONFIG_DEBUG_KMEMLEAK=y
CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN=n
CONFIG_DEBUG_LIST=y
CONFIG_DEBUG_OBJECTS=y
CONFIG_DEBUG_OBJECTS_WORK=y
CONFIG_DEBUG_OBJECTS_TIMERS=y
CONFIG_SLUB_DEBUG=y
CONFIG_PANIC_ON_OOPS=y
CONFIG_WERROR=n
"
key=$( (basename "$tarball"; stat -c %s "$tarball"; echo "$options") |
	sha256sum | cut -c1-16)
dir=$cache/debug-$key
src=$dir/linux

if [ -f "$dir/.built" ]; then
	echo "$src"
	exit 0
fi
mkdir -p "$dir"
if [ ! -f "$src/Makefile" ]; then
	echo "debug-kernel: unpacking $tarball" >&2
	rm -rf "$src"
	mkdir -p "$src"
	tar -xf "$tarball" -C "$src" --strip-components=1
fi
cd "$src"
echo "debug-kernel: configuring (key $key)" >&2
make -s x86_64_defconfig
echo "$options" | grep . >"$dir/options.config"
scripts/kconfig/merge_config.sh -m .config "$dir/options.config" >/dev/null
make -s olddefconfig
# merge_config does not complain about options Kconfig dropped: check.
missing=""
for opt in $(sed -n 's/=y$//p' "$dir/options.config"); do
	grep -q "^$opt=y" .config || missing="$missing $opt"
done
if [ -n "$missing" ]; then
	echo "debug-kernel: not set after olddefconfig:$missing" >&2
	exit 1
fi
start=$(date +%s)
echo "debug-kernel: building with $jobs jobs, log in $dir/build.log" >&2
make -j"$jobs" bzImage modules >"$dir/build.log" 2>&1
echo "$(( $(date +%s) - start ))" >"$dir/build-seconds"
touch "$dir/.built"
echo "debug-kernel: built in $(cat "$dir/build-seconds") s" >&2
echo "$src"
