#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make sign`: signs a built module with the kernel's sign-file, as
# kbuild's modules_sign would, for kernels that only load signed modules
# (Secure Boot, module.sig_enforce=1; docs/install.md).  A module signed
# before is signed again, not twice: its old signature goes first.
#
# usage: sign.sh SIGN-FILE HASH KEY CERT MODULE
#
# KEY is the private key (PEM, or a pkcs11: URI), CERT its X.509
# certificate (PEM or DER; KEY again when one PEM file holds both).
# sign-file reads the passphrase of an encrypted KEY from KBUILD_SIGN_PIN.
set -eu
[ $# -eq 5 ] || {
	echo "usage: sign.sh SIGN-FILE HASH KEY CERT MODULE" >&2
	exit 2
}
sign_file=$1 hash=$2 key=$3 cert=$4 ko=$5
magic='~Module signature appended~'

fail()
{
	echo "sign: $*" >&2
	exit 1
}

# readable WHAT FILE: stops with what is wrong with FILE.
readable()
{
	[ -e "$2" ] || fail "$1 $2: no such file"
	[ -f "$2" ] || fail "$1 $2: not a file"
	[ -r "$2" ] || fail "$1 $2: not readable"
}

[ -n "$key" ] ||
	fail "KEY is not set: make sign KEY=signing_key.pem CERT=signing_key.x509 (docs/install.md)"
case $key in
pkcs11:*) ;;
*) readable KEY "$key" ;;
esac
readable CERT "$cert"
[ -f "$ko" ] || fail "no module $ko: run make first (or SIGN_MODULE=FILE)"
case $ko in
*.ko) ;;
*) fail "$ko: sign-file signs an uncompressed .ko" ;;
esac
[ -x "$sign_file" ] ||
	fail "no sign-file at $sign_file: install the kernel's headers (Debian: /usr/lib/linux-kbuild-VERSION/scripts/sign-file), or SIGN_FILE=PATH"

# Signed in a copy that replaces the module only once it is signed.
tmp=$ko.signing.ko
trap 'rm -f "$tmp"' EXIT
cp "$ko" "$tmp"

# The signature sits after the ELF image: the signature, then a 12-byte
# struct module_signature (the signature's length, big-endian, in its
# last 4 bytes), then the magic line.  Cut it off before signing.
if [ "$(tail -c 28 "$tmp")" = "$magic" ]; then
	siglen=$(tail -c 40 "$tmp" | head -c 12 | od -An -tu1 -j8 |
		awk '{ print ((($1 * 256 + $2) * 256 + $3) * 256 + $4) }')
	keep=$(($(wc -c <"$tmp") - 40 - siglen))
	[ "$keep" -gt 0 ] || fail "$ko: its signature trailer makes no sense"
	head -c "$keep" "$ko" >"$tmp"
	echo "  UNSIGN  $ko (signed before)"
fi

"$sign_file" "$hash" "$key" "$cert" "$tmp" ||
	fail "$sign_file failed (above): $ko is as it was"
signer=$(modinfo -F signer "$tmp")
[ -n "$signer" ] || fail "$ko: no signature after sign-file: $ko is as it was"
mv "$tmp" "$ko"
echo "  SIGN    $ko: $hash, signer \"$signer\", key $(modinfo -F sig_key "$ko")"
