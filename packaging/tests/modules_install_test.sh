#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make modules_install` into scratch roots, from a scratch copy of the
# tree (never /lib/modules): INSTALL_MOD_PATH, DESTDIR and a relative
# path each put evstream.ko (compressed as the kernel's own modules are)
# in ROOT/lib/modules/KREL/extra/ and nothing else; depmod -b runs only
# with RUN_DEPMOD=1; a module built for another kernel is refused.  TAP
# on stdout; exits 1 on any failure.
#
# usage: modules_install_test.sh [KREL [BUILT]]
#   KREL   the kernel (default: scripts/kernel.sh release)
#   BUILT  a tree the module is built in for KREL already (MODULE_DIR),
#          as the Makefile's kbuild_copy leaves build/kernel/KREL/mod;
#          without it the module is built here (a minute or so)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MAKE=${MAKE:-make}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$top/packaging/tests/tap.sh"

krel=${1:-}
if [ -z "$krel" ] && ! krel=$("$top/scripts/kernel.sh" release 2>"$tmp/err"); then
	not_ok "a kernel to install for: $(cat "$tmp/err")"
	finish
fi
built=${2:-}

# The Makefile and its scripts, copied (so that a relative
# INSTALL_MOD_PATH lands in the scratch tree), and a module built for
# KREL in BUILT or here, as the Makefile's kbuild_copy does it.
src=$tmp/src
mkdir -p "$src"
(cd "$top" && cp -R Makefile scripts "$src/")
if [ -z "$built" ]; then
	built=$tmp/mod
	mkdir -p "$built"
	(cd "$top" && cp -R Kbuild kmod include "$built/")
	if "$MAKE" -C "/lib/modules/$krel/build" M="$built" modules \
			>"$tmp/build.log" 2>&1; then
		ok "$krel: the module builds"
	else
		not_ok "$krel: the module builds"
		tail -n 20 "$tmp/build.log" | sed 's/^/#  /'
		finish
	fi
fi
built=$(cd "$built" && pwd)
check "$krel: the module is built in $built" test -f "$built/kmod/evstream.ko"

# The file name the kernel's own modules have: compressed when it
# compresses them all.
kconfig=/lib/modules/$krel/build/.config
modfile=evstream.ko
if grep -q '^CONFIG_MODULE_COMPRESS_ALL=y' "$kconfig"; then
	grep -q '^CONFIG_MODULE_COMPRESS_XZ=y' "$kconfig" && modfile=evstream.ko.xz
	grep -q '^CONFIG_MODULE_COMPRESS_GZIP=y' "$kconfig" && modfile=evstream.ko.gz
	grep -q '^CONFIG_MODULE_COMPRESS_ZSTD=y' "$kconfig" && modfile=evstream.ko.zst
fi

# install NAME ROOT ARGS...: make modules_install ARGS; the module, and
# only it, lands in ROOT/lib/modules/KREL/extra/.
install()
{
	what=$1 root=$2
	shift 2
	if ! "$MAKE" -s -C "$src" modules_install KVER="$krel" MODULE_DIR="$built" "$@" \
			>"$tmp/log" 2>&1; then
		not_ok "$krel: make modules_install $what"
		sed 's/^/#  /' "$tmp/log"
		return
	fi
	want=$root/lib/modules/$krel/extra/$modfile
	got=$(find "$root" -type f)
	if [ "$got" = "$want" ]; then
		ok "$krel: make modules_install $what: lib/modules/$krel/extra/$modfile, nothing else"
	else
		not_ok "$krel: make modules_install $what: lib/modules/$krel/extra/$modfile, nothing else"
		echo "$got" | sed 's/^/#  got: /'
		return
	fi
	vermagic=$(modinfo -F vermagic "$want" | cut -d' ' -f1)
	check "$krel: $what: the module installed is built for $krel" \
		test "$vermagic" = "$krel"
}

install "INSTALL_MOD_PATH=DIR" "$tmp/imp" INSTALL_MOD_PATH="$tmp/imp"
install "DESTDIR=DIR" "$tmp/dest" DESTDIR="$tmp/dest"
install "INSTALL_MOD_PATH=relative" "$src/stage" INSTALL_MOD_PATH=stage
rm -rf "$src/stage"

# depmod -b only when asked.
if "$MAKE" -s -C "$src" modules_install KVER="$krel" MODULE_DIR="$built" INSTALL_MOD_PATH="$tmp/dep" \
		RUN_DEPMOD=1 >"$tmp/log" 2>&1; then
	check "$krel: RUN_DEPMOD=1: depmod -b lists extra/$modfile in modules.dep" \
		grep -q "^extra/$modfile:" "$tmp/dep/lib/modules/$krel/modules.dep"
else
	not_ok "$krel: make modules_install RUN_DEPMOD=1"
	sed 's/^/#  /' "$tmp/log"
fi

"$MAKE" -s -C "$src" modules_install KVER="$krel" MODULE_DIR="$built" INSTALL_MOD_PATH="$tmp/dir" \
	INSTALL_MOD_DIR=updates >"$tmp/log" 2>&1
check "$krel: INSTALL_MOD_DIR=updates: lib/modules/$krel/updates/$modfile" \
	test -f "$tmp/dir/lib/modules/$krel/updates/$modfile"

# A module built for one kernel does not go into another's tree.
other=$("$top/scripts/kernel.sh" list | sed 's/ .*//' | grep -vxF "$krel" | head -n 1)
if [ -n "$other" ] && [ -d "/lib/modules/$other/build" ]; then
	if "$MAKE" -s -C "$src" modules_install KVER="$other" MODULE_DIR="$built" \
			INSTALL_MOD_PATH="$tmp/other" >"$tmp/log" 2>&1; then
		not_ok "$krel: modules_install KVER=$other refuses a module built for $krel"
	else
		check "$krel: modules_install KVER=$other refuses a module built for $krel" \
			grep -q "is built for $krel, not $other" "$tmp/log"
	fi
	check "$krel: ... and installs nothing" test ! -e "$tmp/other"
else
	ok "$krel: modules_install refuses a module built for another kernel # SKIP one kernel only"
fi

finish
