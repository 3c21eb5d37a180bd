#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host test: the YNL spec docs/evstream.yaml, docs/netlink.md and
# docs/proc.md agree with include/uapi/linux/evstream.h, the source of
# truth.  Every command, attribute and enum value of the header must be
# in the spec with the same name (mapped mechanically, see the top of the
# spec) and value, and everything in the spec must be in the header; the
# spec validates against the kernel's YNL schema for its protocol level
# (build/ksrc-6.12, extracted by make unit).
# Prints TAP; exit status 1 if anything fails.
#
# Usage: selftests/unit/spec_test.sh [ROOT [SCHEMA_DIR]]
#   ROOT: top of a tree to check (default: the tree this script is in).
#   SCHEMA_DIR: the genetlink*.yaml schemas (default: in ROOT's build/).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=${1:-$here/../..}

# The python3 first in PATH may be a private one without Debian's
# python3-yaml and python3-jsonschema (scripts/deps.sh): then the
# system's.
py=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import yaml, jsonschema' >/dev/null 2>&1; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "TAP version 13"
	echo "1..1"
	echo "not ok 1 - spec_test: no python3 with the yaml and jsonschema" \
		"modules (python3-yaml, python3-jsonschema: scripts/deps.sh)"
	exit 1
fi
exec "$py" "$here/spec_check.py" ${2:+--schema-dir "$2"} "$root"
