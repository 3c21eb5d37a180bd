#!/bin/sh
# Installs the Debian 12 packages evstream needs to build, test and demo,
# skipping what is already installed.  Safe to run any number of times.
set -eu

pkgs="build-essential pkg-config linux-image-amd64 linux-headers-amd64
	qemu-system-x86 busybox-static cpio gzip xz-utils libmnl-dev
	linux-source-6.1 sparse clang libclang-rt-14-dev jq iproute2 kmod
	perl python3 groff-base man-db bash"

# make check KFLAVOUR=rt runs on Debian's PREEMPT_RT kernel as well.
[ "${KFLAVOUR:-}" = rt ] && pkgs="$pkgs linux-image-rt-amd64 linux-headers-rt-amd64"

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
