#!/bin/sh
# Which Debian kernel to build the module against and boot in the VM.
# A kernel is usable when both halves are installed: its headers
# (/lib/modules/REL/build, linux-headers-REL) and its image
# (/boot/vmlinuz-REL, linux-image-REL).
#
#   kernel.sh release   the kernel of a single build or VM run
#   kernel.sh matrix    the kernels `make check` and the long suites run on,
#                       on one line
#   kernel.sh list      every release found, with what it lacks
#
# KVER picks: a release (6.12.117+deb12-amd64), or a series (6.1, 6.12)
# for the newest usable kernel of that series.  KFLAVOUR picks the
# flavour of a series: empty for the generic amd64 kernels, rt for
# PREEMPT_RT (cloud works too).  Without KVER, `release` gives the
# running kernel when it is usable, else the newest usable one, and
# `matrix` gives the newest usable 6.1 and 6.12 of the flavour.
#
# A kernel asked for that lacks a half, or a series with no usable
# kernel, stops with the name of the package to install.
set -eu
flavour=${KFLAVOUR:-}
kver=${KVER:-}
series="6.1 6.12"
boot=${EVS_BOOT_DIR:-/boot}
mods=${EVS_MODULES_DIR:-/lib/modules}

# Releases with headers or an image, one per line, oldest first.
releases()
{
	{
		for d in "$mods"/*/build; do
			[ -d "$d" ] && basename "$(dirname "$d")"
		done
		for f in "$boot"/vmlinuz-*; do
			[ -f "$f" ] && basename "$f" | sed 's/^vmlinuz-//'
		done
	} 2>/dev/null | sort -u | sort -V
}

has_headers() { [ -d "$mods/$1/build" ]; }
has_image() { [ -r "$boot/vmlinuz-$1" ]; }
usable() { has_headers "$1" && has_image "$1"; }

# The flavour of release $1: rt, cloud, empty for generic, ? for others.
flavour_of()
{
	case $1 in
	*-rt-amd64) echo rt ;;
	*-cloud-amd64) echo cloud ;;
	*-amd64) echo "" ;;
	*) echo "?" ;;
	esac
}

of_flavour() { [ "$(flavour_of "$1")" = "$flavour" ]; }

# Is $1 of series $2 (6.1 is not 6.12)?
of_series()
{
	case $1 in
	"$2".* | "$2"-*) true ;;
	*) false ;;
	esac
}

# What to install to make release $1 usable.
missing_pkgs()
{
	p=""
	has_headers "$1" || p="linux-headers-$1"
	has_image "$1" || p="$p${p:+ }linux-image-$1"
	echo "$p"
}

# Debian's packages that always bring the newest kernel of a series.
series_pkgs()
{
	fl=${flavour:+$flavour-}amd64
	case $1 in
	6.1) echo "linux-image-$fl linux-headers-$fl" ;;
	*) echo "linux-image-$1-$fl linux-headers-$1-$fl" ;;
	esac
}

fail()
{
	echo "kernel: $*" >&2
	exit 1
}

# The newest usable kernel of series $1 and the flavour; stops if none.
newest_of_series()
{
	best=""
	partial=""
	for r in $(releases); do
		of_series "$r" "$1" && of_flavour "$r" || continue
		if usable "$r"; then
			best=$r
		else
			partial=$r
		fi
	done
	[ -n "$best" ] && { echo "$best"; return; }
	if [ -n "$partial" ]; then
		fail "$partial has only half of what is needed: apt-get install $(missing_pkgs "$partial")"
	fi
	fail "no Linux $1${flavour:+ $flavour} kernel: apt-get install $(series_pkgs "$1")"
}

# A kernel named by KVER: a release or a series.
named()
{
	case $kver in
	*-*)
		usable "$kver" ||
			fail "$kver is not usable: apt-get install $(missing_pkgs "$kver")"
		echo "$kver"
		;;
	*)
		newest_of_series "$kver"
		;;
	esac
}

# The default single kernel: running, else newest usable of the flavour.
default_release()
{
	run=$(uname -r)
	if usable "$run" && of_flavour "$run"; then
		echo "$run"
		return
	fi
	best=""
	for r in $(releases); do
		if of_flavour "$r" && usable "$r"; then
			best=$r
		elif of_flavour "$r"; then
			echo "kernel: skipping $r: apt-get install $(missing_pkgs "$r") to use it" >&2
		fi
	done
	[ -n "$best" ] && { echo "$best"; return; }
	fail "no usable${flavour:+ $flavour} kernel (headers and image): apt-get install $(series_pkgs 6.1) (scripts/deps.sh)"
}

case ${1:-release} in
release)
	if [ -n "$kver" ]; then named; else default_release; fi
	;;
matrix)
	if [ -n "$kver" ]; then
		named
	else
		m=""
		for s in $series; do
			m="$m${m:+ }$(newest_of_series "$s")" || exit 1
		done
		echo "$m"
	fi
	;;
list)
	for r in $(releases); do
		m=$(missing_pkgs "$r")
		echo "$r${m:+ (missing: $m)}"
	done
	;;
*)
	echo "usage: kernel.sh [release|matrix|list]" >&2
	exit 2
	;;
esac
