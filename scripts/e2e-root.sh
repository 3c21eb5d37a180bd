#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The scratch Debian 12 root `make e2e-check` installs the packages into:
# mmdebstrap's minbase, plus what the packages need to be installed and
# used (dkms, which brings gcc and make; kmod; libmnl0; systemd as init)
# and the images and headers of the kernels named, so that DKMS builds a
# module for each of them.  iproute2 makes network namespaces for evstream@.service.
#
# Built once and kept as a tarball in ~/.cache/evstream/ (EVS_CACHE),
# named after a hash of everything that goes into it (suite, mirrors,
# package list): a second run downloads nothing, and another kernel or
# package list gets a root of its own.  Prints the tarball's path.
#
# usage: e2e-root.sh KREL...
set -eu
[ $# -gt 0 ] || { echo "usage: e2e-root.sh KREL..." >&2; exit 2; }
cache=${EVS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/evstream}
mirror=${EVS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${EVS_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
suite=bookworm

pkgs="systemd systemd-sysv dkms kmod libmnl0 iproute2"
# Each kernel's image as well as its headers: 6.12's headers depend on
# it, and a machine DKMS builds for has the kernel installed.  The VM
# boots the host's /boot all the same.
for k in "$@"; do
	pkgs="$pkgs linux-image-$k linux-headers-$k"
done
# shellcheck disable=SC2086 # one name a word
pkgs=$(printf '%s\n' $pkgs | LC_ALL=C sort -u | tr '\n' ' ')
# The kernels' headers come from bookworm-security (6.12 only there).
sources="deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main"

key=$(printf 'minbase %s\n%s\n%s\nno update-initramfs\n' "$suite" "$sources" "$pkgs" |
	sha256sum | cut -c1-16)
tar=$cache/e2e-root-$key.tar.zst
if [ -s "$tar" ]; then
	echo "$tar"
	exit 0
fi

command -v mmdebstrap >/dev/null ||
	{ echo "e2e-root: mmdebstrap is missing (scripts/deps.sh)" >&2; exit 1; }
mkdir -p "$cache"
echo "e2e-root: building $tar: $pkgs" >&2
# Written under another name and renamed: an interrupted build leaves
# no tarball that a later run would take for a whole one.
rm -f "$tar.tmp.tar.zst"
# The kernels' initrds are never booted (the VM gets one made from the
# whole root): update-initramfs is diverted to true, which saves minutes
# and 40 MB a kernel.
# shellcheck disable=SC2086,SC2016 # the hook's $1 is mmdebstrap's
mmdebstrap --variant=minbase --include="$(echo $pkgs | tr ' ' ,)" \
	--aptopt='APT::Install-Recommends "false"' \
	--essential-hook='chroot "$1" dpkg-divert --quiet --local --rename \
		--divert /usr/sbin/update-initramfs.real --add /usr/sbin/update-initramfs &&
		ln -s /bin/true "$1/usr/sbin/update-initramfs"' \
	"$suite" "$tar.tmp.tar.zst" "$sources" >&2
mv "$tar.tmp.tar.zst" "$tar"
echo "$tar"
