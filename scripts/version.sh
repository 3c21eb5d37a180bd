#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Prints evstream's release, EVS_VERSION of include/evstream/version.h:
# the one place it is written (the module's MODULE_VERSION, evctl's
# `version`, the DKMS package's version all come from it).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
v=$(sed -n 's/^#define EVS_VERSION "\([^"]*\)"$/\1/p' "$top/include/evstream/version.h")
case $v in
[0-9]*.[0-9]*.[0-9]*) echo "$v" ;;
*)
	echo "version.sh: no EVS_VERSION \"X.Y.Z\" in include/evstream/version.h" >&2
	exit 1
	;;
esac
