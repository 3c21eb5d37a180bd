#!/bin/sh
# Takes the few files evstream needs from one of Debian's linux-source
# tarballs into DIR, once: they are build inputs, not part of the tree.
#
# usage: ksrc.sh DIR                  from linux-source-6.1: checkpatch
#                                     and its data, the kselftest headers
#        ksrc.sh DIR SERIES PATH...   PATHs (relative to the top of the
#                                     kernel tree) from linux-source-SERIES
set -eu
out=$1
series=${2:-6.1}
tarball=$(ls /usr/src/linux-source-"$series".tar.* 2>/dev/null | head -n 1)
if [ $# -gt 2 ]; then
	shift 2
	files=$*
else
	files="scripts/checkpatch.pl scripts/spelling.txt
		scripts/const_structs.checkpatch
		tools/testing/selftests/kselftest.h
		tools/testing/selftests/kselftest_harness.h"
	# Stands in for the 6.1 tarball, for these files only.
	tarball=${KSRC_TARBALL:-$tarball}
fi
if [ -z "$tarball" ]; then
	echo "ksrc: no /usr/src/linux-source-$series.tar.*: run scripts/deps.sh" >&2
	exit 1
fi
# Another tarball, or other files: extract again.
# shellcheck disable=SC2086
stamp="$out/.from-$(basename "$tarball")-$(stat -c %Y "$tarball")-$(echo $files | cksum | cut -d' ' -f1)"
[ -e "$stamp" ] && exit 0

top=$(basename "$tarball" | sed 's/\.tar\..*//')
rm -rf "$out"
mkdir -p "$out"
paths=""
for f in $files; do
	paths="$paths $top/$f"
done
# shellcheck disable=SC2086
tar -xf "$tarball" -C "$out" --strip-components=1 $paths
touch "$stamp"
