#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host test: the YNL spec docs/evstream.yaml, docs/netlink.md and
# docs/proc.md agree with include/uapi/linux/evstream.h, the source of
# truth.  Every command, attribute and enum value of the header must be
# in the spec with the same name (mapped mechanically, see the top of the
# spec) and value, and everything in the spec must be in the header.
# Prints TAP; exit status 1 if anything fails.
#
# Usage: selftests/unit/spec_test.sh [ROOT]
#   ROOT: top of a tree to check (default: the tree this script is in).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=${1:-$here/../..}

if ! command -v python3 >/dev/null 2>&1; then
	echo "TAP version 13"
	echo "1..1"
	echo "not ok 1 - spec_test: python3 not found"
	exit 1
fi
exec python3 "$here/spec_check.py" "$root"
