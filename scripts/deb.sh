#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make deb`: the Debian packages evstream-dkms and evstream-tools
# (debian/), built with dpkg-buildpackage from a copy of the tree in
# build/deb/src/evstream-VERSION, so that the .deb, .changes and
# .buildinfo files land in build/deb/ (dpkg-buildpackage writes them to
# the parent of the tree it builds) and debhelper's staging directories
# stay out of the working tree.  The copy is what git tracks plus any
# file not yet added that .gitignore does not exclude.
#
# debian/changelog's version must be EVS_VERSION (scripts/version.sh);
# the build stops when it is not.
#
# usage: deb.sh [OUTDIR]    default build/deb
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/deb}

fail()
{
	echo "deb: $*" >&2
	exit 1
}

for c in dpkg-buildpackage dh dh_dkms; do
	command -v $c >/dev/null ||
		fail "$c is missing: apt-get install dpkg-dev debhelper dh-dkms (scripts/deps.sh)"
done
ver=$("$top/scripts/version.sh")
cl=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
[ "$cl" = "$ver" ] ||
	fail "debian/changelog says $cl, include/evstream/version.h $ver: add a changelog entry (dch -v $ver)"

rm -rf "$out"
src=$out/src/evstream-$ver
mkdir -p "$src"
(
	cd "$top"
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\n" "$f"; done' sh
) | tar -C "$top" -cf - -T - | tar -C "$src" -xf -
# -b: binary packages only, -us -uc: unsigned; nothing of the calling
# make (-s, a jobserver) reaches the package build.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
(cd "$src" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	fail "dpkg-buildpackage failed: $out/build.log"
}
mv "$out/src/"*.deb "$out/src/"*.changes "$out/src/"*.buildinfo "$out/"
ls "$out/"*.deb "$out/"*.changes
