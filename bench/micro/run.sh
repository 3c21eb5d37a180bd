#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Builds and runs the host micro-benchmarks, printing each command line
# exactly as run and the machine it ran on.  Extra arguments go to both
# benchmarks' builds as make variables (e.g. CC=clang).
#
# usage: bench/micro/run.sh [MAKEVAR=VALUE ...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)

run() {
	echo "+ $*"
	"$@"
	echo
}

echo "# host: $(uname -srm), $(nproc) CPUs online"
echo "# cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "# compiler: $(${CC:-gcc} --version | head -n 1)"
echo
run make -s -C "$here" "$@"
run "$here/build/parser_bench" --mb 256 --min-mb 1024 --chunk 65536 --repeats 7
run "$here/build/parser_bench" --mb 1 --min-mb 1024 --chunk 65536 --repeats 7
run "$here/build/ring_bench" --items 20000000 --slots 4096 --repeats 7 --cpus 0,1
