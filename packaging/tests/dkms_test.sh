#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make dkms-install` and `make dkms-remove` with the real dkms, into a
# scratch DKMS tree, source tree and install tree (never the machine's):
# the source tree DKMS gets holds what the module build reads and nothing
# else, the module builds for each kernel, each evstream.ko has that
# kernel's vermagic, the version of include/evstream/version.h and the
# signature of the MOK key dkms was given, and dkms-remove leaves nothing.
# TAP on stdout; exits 1 on any failure.  Needs root (dkms install does).
#
# usage: dkms_test.sh [KREL...]   default: the newest usable 6.1 and 6.12
#                                 (scripts/kernel.sh matrix, KFLAVOUR)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MAKE=${MAKE:-make}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$top/packaging/tests/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	not_ok "dkms_test.sh runs as root (dkms install needs it)"
	finish
fi
if ! command -v dkms >/dev/null; then
	not_ok "dkms is installed (scripts/deps.sh)"
	finish
fi
if [ $# -eq 0 ]; then
	if ! kernels=$("$top/scripts/kernel.sh" matrix 2>"$tmp/err"); then
		not_ok "kernels to build for: $(cat "$tmp/err")"
		finish
	fi
	# shellcheck disable=SC2086
	set -- $kernels
fi
ver=$("$top/scripts/version.sh")
name=evstream

# What the machine's DKMS, /usr/src and /lib/modules hold, before and
# after: the test must not touch them.
machine()
{
	ls -la /var/lib/dkms 2>&1
	find /var/lib/dkms /usr/src -maxdepth 2 -name "$name*" 2>&1
	find /lib/modules/ -name "$name.ko*" 2>&1
}
machine >"$tmp/machine.before"

# 1. The source tree DKMS gets.
"$top/scripts/dkms.sh" source "$tmp/layout"
shipped=$(cd "$tmp/layout" && find . -type f | sed 's|^\./||')
same "DKMS source tree: the module's sources, Makefile and dkms.conf" \
	"$("$top/scripts/dkms.sh" files; printf 'Makefile\ndkms.conf\n')" "$shipped"
check "dkms.conf: PACKAGE_VERSION is EVS_VERSION ($ver)" \
	grep -qx "PACKAGE_VERSION=\"$ver\"" "$tmp/layout/dkms.conf"
check "dkms.conf: AUTOINSTALL=yes" grep -qx 'AUTOINSTALL="yes"' "$tmp/layout/dkms.conf"
check "dkms.conf: no placeholder left" \
	test -z "$(grep -n '#MODULE_VERSION#' "$tmp/layout/dkms.conf")"
# Every header is included by a file shipped beside it: nothing unused.
unused=""
for h in $(printf '%s\n' "$shipped" | grep '\.h$'); do
	b=$(basename "$h")
	# shellcheck disable=SC2046
	grep -qE "^#include [<\"]([a-z]+/)?${b}[>\"]" $(printf '%s\n' "$shipped" |
		grep -E '\.[ch]$' | sed "s|^|$tmp/layout/|") ||
		unused="$unused $h"
done
if [ -z "$unused" ]; then
	ok "DKMS source tree: every header is included"
else
	not_ok "DKMS source tree: included by nothing shipped:$unused"
fi

# 2. make dkms-install into scratch trees, dkms signing with a scratch
# MOK key: dkms takes sign_file, mok_signing_key and mok_certificate
# from its environment unless /etc/dkms/framework.conf sets them.
dk=$tmp/dkms
mkdir -p "$dk/tree" "$dk/src"
for k in "$@"; do
	mkdir -p "$dk/lib/modules/$k"
done
export DKMS="dkms --dkmstree $dk/tree --sourcetree $dk/src --installtree $dk/lib/modules --no-depmod"
export DKMS_SOURCETREE="$dk/src"
export mok_signing_key="$dk/mok.key" mok_certificate="$dk/mok.der"
framework_signs=$(grep -hsE '^[[:space:]]*(mok_signing_key|mok_certificate)=' \
	/etc/dkms/framework.conf /etc/dkms/framework.conf.d/*.conf)
if "$MAKE" -s -C "$top" dkms-install DKMS_KERNELS="$*" >"$tmp/install.log" 2>&1; then
	ok "make dkms-install for $*"
else
	not_ok "make dkms-install for $*"
	sed 's/^/#  /' "$tmp/install.log" | tail -n 30
fi

for k in "$@"; do
	ko=$(find "$dk/lib/modules/$k" -name "$name.ko*")
	check "$k: installed at updates/dkms/" \
		test "${ko%/*}" = "$dk/lib/modules/$k/updates/dkms"
	[ -n "$ko" ] || continue
	vermagic=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
	check "$k: vermagic is $k (got $vermagic)" test "$vermagic" = "$k"
	check "$k: version is $ver" test "$(modinfo -F version "$ko")" = "$ver"
	if [ -n "$framework_signs" ]; then
		ok "$k: signed # SKIP /etc/dkms/framework.conf sets the MOK key"
	elif [ -f "$mok_certificate" ]; then
		serial=$(openssl x509 -inform DER -in "$mok_certificate" -noout -serial |
			sed 's/^serial=//')
		check "$k: signed by the scratch MOK key" \
			test "$(modinfo -F signer "$ko")" = "DKMS module signing key"
		check "$k: sig_key is the MOK certificate's serial" \
			test "$(modinfo -F sig_key "$ko" | tr -d ':')" = "$serial"
	else
		not_ok "$k: dkms made the scratch MOK key $mok_certificate"
	fi
	# Every source shipped was compiled.
	log=$dk/tree/$name/$ver/$k/x86_64/log/make.log
	same "$k: every .c shipped is compiled" \
		"$(printf '%s\n' "$shipped" | grep '\.c$')" \
		"$(sed -n 's|^  CC \[M\]  .*/build/\(kmod/.*\)\.o$|\1.c|p' "$log" |
			grep -v '\.mod\.c$')"
	check "$k: dkms status says installed" \
		grep -qx "$name/$ver, $k, x86_64: installed" "$tmp/install.log"
done

# 3. make dkms-remove: nothing left in any of the scratch trees.
if "$MAKE" -s -C "$top" dkms-remove >"$tmp/remove.log" 2>&1; then
	ok "make dkms-remove"
else
	not_ok "make dkms-remove"
	sed 's/^/#  /' "$tmp/remove.log" | tail -n 30
fi
check "dkms-remove: no module left installed" \
	test -z "$(find "$dk/lib/modules" -name "$name.ko*")"
check "dkms-remove: nothing left in the DKMS tree" test ! -e "$dk/tree/$name"
check "dkms-remove: the source tree is gone" test ! -e "$dk/src/$name-$ver"

machine >"$tmp/machine.after"
if cmp -s "$tmp/machine.before" "$tmp/machine.after"; then
	ok "the machine's DKMS tree, /usr/src and /lib/modules are untouched"
else
	not_ok "the machine's DKMS tree, /usr/src and /lib/modules are untouched"
	diff "$tmp/machine.before" "$tmp/machine.after" | sed 's/^/#  /'
fi
finish
