#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module under DKMS (packaging/dkms/dkms.conf), rebuilt by dkms for
# every kernel installed, now and later.
#
#   dkms.sh files            the sources the DKMS tree gets, one a line
#   dkms.sh source DIR       lay that tree out in DIR (which must not exist):
#                            Kbuild, kmod/, include/, packaging/dkms's
#                            Makefile and dkms.conf with the version in it
#   dkms.sh install [KREL..] as root: the tree into $DKMS_SOURCETREE/
#                            evstream-VERSION (an older copy of the same
#                            version removed first), dkms add, then dkms
#                            build and install for each KREL, by default
#                            every kernel with headers and image installed
#   dkms.sh remove           as root: dkms remove --all, and the tree
#
# DKMS is the dkms command and DKMS_SOURCETREE where it looks for
# sources (/usr/src); the test points both at a scratch tree
# (packaging/tests/dkms_test.sh).  The version is EVS_VERSION of
# include/evstream/version.h (scripts/version.sh).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
DKMS=${DKMS:-dkms}
srctree=${DKMS_SOURCETREE:-/usr/src}
name=evstream

fail()
{
	echo "dkms: $*" >&2
	exit 1
}

# The module build reads these and nothing else; dkms_test.sh checks
# both halves (each source compiled, each header included).  fault.c and
# kmod/bench/ are test and benchmark builds only.
files()
{
	(
		cd "$top"
		echo Kbuild
		echo kmod/Kbuild
		echo kmod/Kbuild.features
		for f in kmod/*.c kmod/*.h include/uapi/linux/evstream.h \
			include/evstream/*.h; do
			[ "$f" = kmod/fault.c ] || echo "$f"
		done
	)
}

# source DIR: the DKMS source tree, laid out in DIR.
lay_out()
{
	dir=$1
	[ -e "$dir" ] && fail "$dir exists already"
	umask 022
	mkdir -p "$dir"
	for f in $(files); do
		mkdir -p "$dir/$(dirname "$f")"
		cp "$top/$f" "$dir/$f"
	done
	cp "$top/packaging/dkms/Makefile" "$dir/Makefile"
	sed "s/#MODULE_VERSION#/$ver/" "$top/packaging/dkms/dkms.conf" \
		>"$dir/dkms.conf"
	grep -q "^PACKAGE_VERSION=\"$ver\"$" "$dir/dkms.conf" ||
		fail "no PACKAGE_VERSION in $dir/dkms.conf"
}

need_dkms()
{
	[ "$(id -u)" -eq 0 ] || fail "run as root (sudo make $1)"
	# shellcheck disable=SC2086
	command -v ${DKMS%% *} >/dev/null ||
		fail "dkms is not installed: apt-get install dkms"
}

# Is this version added to the DKMS tree?
added()
{
	# shellcheck disable=SC2086
	$DKMS status -m "$name" -v "$ver" 2>/dev/null | grep -q "^$name/$ver"
}

# Every kernel with both headers and image (scripts/kernel.sh list).
kernels()
{
	"$top/scripts/kernel.sh" list | grep -v '(missing' || true
}

ver=$("$top/scripts/version.sh")
# dkms runs make itself: nothing of the make that ran this (-s, W=1, a
# jobserver) goes into its build.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
files)
	files
	;;
source)
	[ $# -eq 1 ] || fail "usage: dkms.sh source DIR"
	lay_out "$1"
	;;
install)
	need_dkms dkms-install
	# shellcheck disable=SC2046
	[ $# -gt 0 ] || set -- $(kernels)
	[ $# -gt 0 ] || fail "no kernel has both headers and image installed (make kernels)"
	if added; then
		echo "dkms: $name/$ver was added before: removing it first"
		$DKMS remove -m "$name" -v "$ver" --all
	fi
	rm -rf "$srctree/$name-$ver"
	lay_out "$srctree/$name-$ver"
	# shellcheck disable=SC2086
	$DKMS add -m "$name" -v "$ver"
	failed=""
	for k in "$@"; do
		rc=0
		# shellcheck disable=SC2086
		$DKMS build -m "$name" -v "$ver" -k "$k" || rc=$?
		case $rc in
		0)
			# shellcheck disable=SC2086
			$DKMS install -m "$name" -v "$ver" -k "$k" ||
				failed="$failed $k"
			;;
		77)
			echo "dkms: $k skipped: older than 6.1 (BUILD_EXCLUSIVE_KERNEL in dkms.conf)"
			;;
		*)
			failed="$failed $k"
			;;
		esac
	done
	# shellcheck disable=SC2086
	$DKMS status -m "$name" -v "$ver"
	[ -z "$failed" ] || fail "$name/$ver did not build or install for:$failed"
	;;
remove)
	need_dkms dkms-remove
	if added; then
		# shellcheck disable=SC2086
		$DKMS remove -m "$name" -v "$ver" --all
	else
		echo "dkms: $name/$ver is not added"
	fi
	rm -rf "$srctree/$name-$ver"
	;;
*)
	echo "usage: dkms.sh files | source DIR | install [KREL...] | remove" >&2
	exit 2
	;;
esac
