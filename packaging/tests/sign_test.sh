#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make sign` on a copy of a built module, with a throwaway key and
# certificate made by openssl: the signature carries that signer, key id
# and hash, and verifies over the module with the certificate; signing
# again replaces the signature; a bad KEY, CERT or module stops with a
# message that names it and leaves the module as it was.  TAP on stdout;
# exits 1 on any failure.
#
# usage: sign_test.sh MODULE.ko[.xz] [KREL]   (KREL: whose sign-file)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MAKE=${MAKE:-make}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$top/packaging/tests/tap.sh"
[ $# -ge 1 ] || {
	echo "usage: sign_test.sh MODULE.ko [KREL]" >&2
	exit 2
}
src=$1
kver=${2:-${KVER:-}}
ko=$tmp/evstream.ko
cn="evstream sign_test key"

# sign ARGS...: make sign on the copy; output in $tmp/log.
sign()
{
	"$MAKE" -s -C "$top" sign KVER="$kver" SIGN_MODULE="$ko" "$@" >"$tmp/log" 2>&1
}

# refused NAME PATTERN ARGS...: make sign fails, says PATTERN, and the
# module is unchanged.
refused()
{
	name=$1 pattern=$2
	shift 2
	cp "$ko" "$tmp/before.ko"
	if sign "$@"; then
		not_ok "$name: refused"
	elif ! grep -q -- "$pattern" "$tmp/log"; then
		not_ok "$name: says '$pattern'"
		sed 's/^/#  /' "$tmp/log"
	elif ! cmp -s "$ko" "$tmp/before.ko"; then
		not_ok "$name: the module is as it was"
	else
		ok "$name"
	fi
}

# The signature's parts: $tmp/body (what is signed) and $tmp/sig.p7
# (PKCS#7, DER); see scripts/sign.sh for the layout.
split_sig()
{
	siglen=$(tail -c 40 "$1" | head -c 12 | od -An -tu1 -j8 |
		awk '{ print ((($1 * 256 + $2) * 256 + $3) * 256 + $4) }')
	size=$(wc -c <"$1")
	head -c $((size - 40 - siglen)) "$1" >"$tmp/body"
	tail -c $((40 + siglen)) "$1" | head -c "$siglen" >"$tmp/sig.p7"
}

# verifies CERT: the module's signature verifies over its body.
verifies()
{
	split_sig "$ko"
	openssl cms -verify -binary -inform DER -in "$tmp/sig.p7" \
		-content "$tmp/body" -certfile "$1" -nointern -noverify \
		-out /dev/null 2>"$tmp/verify.log"
}

case $src in
*.ko.xz) xz -dc "$src" >"$ko" ;;
*.ko) cp "$src" "$ko" ;;
*) echo "sign_test.sh: $src: a .ko or .ko.xz" >&2; exit 2 ;;
esac
# An unsigned module to start from (DKMS signs its own).
objcopy "$ko" "$tmp/plain.ko" && mv "$tmp/plain.ko" "$ko"
check "the module starts unsigned" test -z "$(modinfo -F signer "$ko")"

openssl req -new -x509 -nodes -days 2 -subj "/CN=$cn" -newkey rsa:2048 \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
openssl x509 -in "$tmp/cert.pem" -outform DER -out "$tmp/cert.der"
serial=$(openssl x509 -in "$tmp/cert.pem" -noout -serial | sed 's/^serial=//')
openssl req -new -x509 -nodes -days 2 -subj "/CN=another key" -newkey rsa:2048 \
	-keyout "$tmp/other.pem" -out "$tmp/other.crt" >/dev/null 2>&1

cp "$ko" "$tmp/unsigned.ko"
if sign KEY="$tmp/key.pem" CERT="$tmp/cert.pem"; then
	ok "make sign KEY=key.pem CERT=cert.pem"
else
	not_ok "make sign KEY=key.pem CERT=cert.pem"
	sed 's/^/#  /' "$tmp/log"
fi
check "signer is the certificate's CN" test "$(modinfo -F signer "$ko")" = "$cn"
check "sig_key is the certificate's serial" \
	test "$(modinfo -F sig_key "$ko" | tr -d ':')" = "$serial"
check "sig_hashalgo is sha256 by default" test "$(modinfo -F sig_hashalgo "$ko")" = sha256
check "the signature verifies over the module with the certificate" verifies "$tmp/cert.pem"
check "what is signed is the module as built" cmp -s "$tmp/body" "$tmp/unsigned.ko"
if verifies "$tmp/other.crt"; then
	not_ok "it does not verify with another certificate"
else
	ok "it does not verify with another certificate"
fi

# Again, with a DER certificate and sha512: one signature, the new one.
if sign KEY="$tmp/key.pem" CERT="$tmp/cert.der" SIGN_HASH=sha512; then
	ok "make sign CERT=cert.der SIGN_HASH=sha512"
else
	not_ok "make sign CERT=cert.der SIGN_HASH=sha512"
	sed 's/^/#  /' "$tmp/log"
fi
check "signing again: sha512" test "$(modinfo -F sig_hashalgo "$ko")" = sha512
check "signing again replaces the signature" verifies "$tmp/cert.pem"
check "signing again: the module under it is the module as built" \
	cmp -s "$tmp/body" "$tmp/unsigned.ko"

# KEY holding both the key and the certificate, no CERT.
cat "$tmp/key.pem" "$tmp/cert.pem" >"$tmp/both.pem"
if sign KEY="$tmp/both.pem"; then
	ok "make sign KEY=both.pem (key and certificate in one file)"
else
	not_ok "make sign KEY=both.pem (key and certificate in one file)"
	sed 's/^/#  /' "$tmp/log"
fi
check "KEY=both.pem: the certificate's signer" test "$(modinfo -F signer "$ko")" = "$cn"

# What goes wrong says what, and changes nothing.
refused "a KEY that does not exist" "KEY $tmp/nokey.pem: no such file" \
	KEY="$tmp/nokey.pem" CERT="$tmp/cert.pem"
refused "a KEY that is a directory" "KEY $tmp: not a file" \
	KEY="$tmp" CERT="$tmp/cert.pem"
refused "no KEY" "KEY is not set" KEY= CERT="$tmp/cert.pem"
refused "a CERT that does not exist" "CERT $tmp/nocert.pem: no such file" \
	KEY="$tmp/key.pem" CERT="$tmp/nocert.pem"
refused "a KEY that is not CERT's" "sign-file failed" \
	KEY="$tmp/other.pem" CERT="$tmp/cert.pem"
refused "a sign-file that is not there" "no sign-file at $tmp/sign-file" \
	KEY="$tmp/key.pem" CERT="$tmp/cert.pem" SIGN_FILE="$tmp/sign-file"
if "$MAKE" -s -C "$top" sign KVER="$kver" SIGN_MODULE="$tmp/none.ko" \
		KEY="$tmp/key.pem" CERT="$tmp/cert.pem" >"$tmp/log" 2>&1; then
	not_ok "a module that is not there: refused"
else
	check "a module that is not there: says run make" grep -q "run make first" "$tmp/log"
fi

finish
