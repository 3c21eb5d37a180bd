#!/bin/sh
# Prints the release string of the kernel whose build directory is $1
# (what `uname -r` says once that kernel boots).
set -eu
sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$1/include/generated/utsrelease.h"
