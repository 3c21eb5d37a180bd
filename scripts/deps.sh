#!/bin/sh
# Installs the Debian 12 packages evstream needs to build, test and demo,
# skipping what is already installed.  Safe to run any number of times.
#
# Every kernel `make check` runs on comes with it: Debian 12's 6.1 and
# its 6.12 (from bookworm-security), generic and PREEMPT_RT, each image
# with its headers.  The meta packages follow the newest of each series.
#
# prometheus is there for its promtool, which checks the output of
# `evctl -o prometheus stats`; Debian ships no promtool on its own.
#
# dkms and openssl: make dkms-check builds the module with dkms, the
# signing tests make their keys with openssl.
#
# debhelper, dh-dkms, lintian, fakeroot and dpkg-dev: make deb builds the
# Debian packages with them, make deb-check runs lintian on them.
#
# systemd: its systemd-analyze verifies the units in packaging/ (a test
# without it would only skip).
#
# python3-yaml and python3-jsonschema: make unit reads the YNL spec
# docs/evstream.yaml with a real YAML parser and validates it against
# the kernel's genetlink schema, which comes from linux-source-6.12 (the
# newer of the two series; the debug kernels build from it too).
#
# nats-server: make bench runs it in the VM as the external peers D
# (core NATS) and E (a JetStream memory stream); linux-perf: make bench
# profiles the guest with it.
#
# mmdebstrap and zstd: make e2e-check builds a scratch Debian root
# (scripts/e2e-root.sh) and caches it as a .tar.zst.
#
# usage: deps.sh          what make check, demo, fuzz, stress and bench need
#        deps.sh debug    also what make check-debug builds its kernels with
set -eu

pkgs="build-essential pkg-config qemu-system-x86 busybox-static cpio gzip
	xz-utils libmnl-dev linux-source-6.1 sparse clang libclang-rt-14-dev
	jq iproute2 kmod perl python3 groff-base man-db bash prometheus
	dkms openssl systemd python3-yaml python3-jsonschema linux-source-6.12
	debhelper dh-dkms lintian fakeroot dpkg-dev mmdebstrap zstd
	nats-server linux-perf
	linux-image-amd64 linux-headers-amd64
	linux-image-rt-amd64 linux-headers-rt-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64"

# Building a kernel from source (linux-source-6.12, above): kbuild's
# host tools.
[ "${1:-}" = debug ] &&
	pkgs="$pkgs flex bison bc libelf-dev libssl-dev"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "deps: missing packages and not root:$missing" >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
