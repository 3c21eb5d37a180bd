#!/bin/sh
# Takes the few files evstream needs from Debian's linux-source-6.1 tarball
# (checkpatch and its data, the kselftest headers) into $1, once: they are
# build inputs, not part of the tree.
set -eu
out=$1
tarball=${KSRC_TARBALL:-$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1)}
if [ -z "$tarball" ]; then
	echo "ksrc: no /usr/src/linux-source-6.1.tar.*: run scripts/deps.sh" >&2
	exit 1
fi
stamp="$out/.from-$(basename "$tarball")-$(stat -c %Y "$tarball")"
[ -e "$stamp" ] && exit 0

top=$(basename "$tarball" | sed 's/\.tar\..*//')
files="scripts/checkpatch.pl scripts/spelling.txt
	scripts/const_structs.checkpatch
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_harness.h"
rm -rf "$out"
mkdir -p "$out"
paths=""
for f in $files; do
	paths="$paths $top/$f"
done
# shellcheck disable=SC2086
tar -xf "$tarball" -C "$out" --strip-components=1 $paths
touch "$stamp"
