#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make modules_install`: kmod/evstream.ko, built by `make` for kernel
# KREL in the tree MODDIR (the top of the tree, or a copy such as
# build/kernel/KREL/mod), installed by kbuild's own modules_install
# (which strips it with INSTALL_MOD_STRIP and compresses it as the
# kernel's own modules are) into ROOT/lib/modules/KREL/DIR/.
#
# usage: modules-install.sh KDIR KREL ROOT DIR RUN_DEPMOD MODDIR
#
# ROOT empty is the real root: needs root, and depmod runs.  Any other
# ROOT is a staging tree (a package, an image): depmod -b ROOT runs only
# when RUN_DEPMOD is 1.  kbuild's own depmod is turned off either way; it
# skips itself anyway with Debian's headers, which have no System.map.
set -eu
[ $# -eq 6 ] || {
	echo "usage: modules-install.sh KDIR KREL ROOT DIR RUN_DEPMOD MODDIR" >&2
	exit 2
}
kdir=$1 krel=$2 root=$3 dir=$4 run_depmod=$5
moddir=$(cd "$6" && pwd)
ko=$moddir/kmod/evstream.ko
MAKE=${MAKE:-make}

fail()
{
	echo "modules_install: $*" >&2
	exit 1
}

[ -f "$ko" ] || fail "no $ko: run make (KVER=$krel) first"
built=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
[ "$built" = "$krel" ] ||
	fail "$ko is built for $built, not $krel: make KVER=$krel, or make modules_install KVER=$built"
case $dir in
'' | /* | *..*) fail "INSTALL_MOD_DIR=$dir: a directory below lib/modules/$krel/" ;;
esac
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
	fail "/lib/modules/$krel needs root (or INSTALL_MOD_PATH=/ DESTDIR= a staging tree)"
fi

# With CONFIG_MODULE_SIG_ALL kbuild signs what it installs with the
# kernel's own key, and goes on when it cannot.  Debian's headers have no
# key: there it only prints sign-file's errors, so it is turned off;
# `make sign` signs with a key of one's own (docs/install.md).
set -- M="$moddir" INSTALL_MOD_PATH="$root" INSTALL_MOD_DIR="$dir" DEPMOD=true
sigkey=$(sed -n 's/^CONFIG_MODULE_SIG_KEY="\(.*\)"$/\1/p' "$kdir/.config")
case $sigkey in
pkcs11:*) havekey=1 ;;
/*) [ -f "$sigkey" ] && havekey=1 || havekey=0 ;;
'') havekey=0 ;;
*) [ -f "$kdir/$sigkey" ] && havekey=1 || havekey=0 ;;
esac
[ "$havekey" = 1 ] || set -- "$@" CONFIG_MODULE_SIG_ALL=

# DEPMOD=true: kbuild's own depmod (its depmod.sh) does nothing.
"$MAKE" -C "$kdir" "$@" modules_install

# kbuild keeps the module's directory below M (kmod/): the module goes
# up into DIR itself, where DKMS puts its own too.
mods=$root/lib/modules/$krel
for f in "$mods/$dir"/kmod/evstream.ko*; do
	[ -e "$f" ] && mv -f "$f" "$mods/$dir/"
done
rmdir "$mods/$dir/kmod" 2>/dev/null || true
installed=$(find "$mods/$dir" -maxdepth 1 -name 'evstream.ko*' | head -n 1)
[ -n "$installed" ] || fail "kbuild installed no evstream.ko in $mods/$dir"
echo "  INSTALL $installed"

# depmod for the kernel's own tree only when the module goes there, or
# when asked; -F checks the module's symbols against the kernel's.
sysmap=/boot/System.map-$krel
if [ -z "$root" ]; then
	echo "  DEPMOD  $krel"
	if [ -r "$sysmap" ]; then
		depmod -a -F "$sysmap" "$krel"
	else
		depmod -a "$krel"
	fi
	# depmod searches updates/ first: a DKMS copy hides this one.
	for d in "$mods"/updates/dkms/evstream.ko*; do
		[ -e "$d" ] || continue
		echo "modules_install: note: modprobe loads $d (DKMS) before $installed;" \
			"make dkms-remove to use this one" >&2
	done
elif [ "$run_depmod" = 1 ]; then
	echo "  DEPMOD  $krel (-b $root)"
	depmod -a -b "$root" "$krel"
fi
