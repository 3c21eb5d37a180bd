#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make install and make uninstall into a DESTDIR: the files where
# evctl(8) says they go, the man pages readable without a warning and in
# step with `evctl help` and `evload --help`, the bash completion
# loadable and offering what
# `evctl help` lists, the systemd units with this install's paths in
# them, the example configuration under /etc, never over an edited one.
# Prints TAP-like lines; exits 1 on any failure.
#
# usage: install_test.sh MAKE	(from user/)

MAKE=${1:-make}
fails=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
prefix=/usr/local
bin=$dest$prefix/bin
page=$dest$prefix/share/man/man8/evctl.8.gz
page1=$dest$prefix/share/man/man1/evload.1.gz
comp=$dest$prefix/share/bash-completion/completions/evctl
units=$dest$prefix/lib/systemd/system
etc=$dest/etc
pkg=../packaging

# check NAME CMD...: ok when CMD succeeds.
check() {
	name=$1
	shift
	if "$@"; then
		echo "ok - $name"
	else
		echo "not ok - $name"
		fails=$((fails + 1))
	fi
}

# quiet CMD...: its output only when it fails, as TAP comments.
quiet() {
	"$@" >"$tmp/log" 2>&1 && return 0
	sed 's/^/#  /' "$tmp/log"
	return 1
}

# same NAME FILE1 FILE2: the two lists, sorted, are the same.
same() {
	sort -u "$2" >"$tmp/a"
	sort -u "$3" >"$tmp/b"
	if [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		diff "$tmp/a" "$tmp/b" | sed 's/^/#  /'
		fails=$((fails + 1))
	fi
}

# SANITIZE= : the plain build, whatever the calling make was asked for.
check "make install DESTDIR" quiet "$MAKE" -s install DESTDIR="$dest" SANITIZE=
check "bin/evctl" test -x "$bin/evctl"
check "bin/evload" test -x "$bin/evload"
check "man8/evctl.8.gz" test -f "$page"
check "man1/evload.1.gz" test -f "$page1"
check "completions/evctl" test -f "$comp"
"$bin/evctl" help >"$tmp/help"
check "the installed evctl runs" test -s "$tmp/help"
check "the man pages are gzipped" gzip -t "$page" "$page1"
for u in evstream.service evstream@.service evstream-metrics.service \
	 evstream-metrics.timer; do
	check "lib/systemd/system/$u" test -f "$units/$u"
done
check "etc/evstream/evstream.conf" cmp -s "$pkg/evstream.conf" "$etc/evstream/evstream.conf"
check "etc/modprobe.d/evstream.conf" cmp -s "$pkg/modprobe.d/evstream.conf" "$etc/modprobe.d/evstream.conf"
check "etc/modules-load.d/evstream.conf" cmp -s "$pkg/modules-load.d/evstream.conf" "$etc/modules-load.d/evstream.conf"
check "nothing else installed" test "$(find "$dest" -type f | wc -l)" -eq 12
# exec_is NAME UNIT KEY WANT: the unit runs what this install put there.
exec_is() {
	got=$(sed -n "s|^$3=||p" "$2")
	if [ "$got" = "$4" ]; then
		echo "ok - $1"
	else
		echo "not ok - $1"; echo "#  $3=$got"; fails=$((fails + 1))
	fi
}
exec_is "evstream.service: the installed evctl, /etc/evstream" \
	"$units/evstream.service" ExecStart "$prefix/bin/evctl -b /etc/evstream/evstream.conf"
exec_is "evstream.service: reload the same" \
	"$units/evstream.service" ExecReload "$prefix/bin/evctl -b /etc/evstream/evstream.conf"
exec_is "evstream@.service: the installed evctl, /etc/evstream/%i.conf" \
	"$units/evstream@.service" ExecStart "$prefix/bin/evctl -n %i -b /etc/evstream/%i.conf"

# The configuration is the administrator's: kept when edited.
echo "listen replace 127.0.0.1:7000" >>"$etc/evstream/evstream.conf"
cp "$etc/evstream/evstream.conf" "$tmp/edited"
check "install again" quiet "$MAKE" -s install DESTDIR="$dest" SANITIZE=
check "install again keeps an edited evstream.conf" cmp -s "$tmp/edited" "$etc/evstream/evstream.conf"

# The pages render without a warning, with groff and with man.
if command -v groff >/dev/null; then
	for p in "$page" "$page1"; do
		zcat "$p" | groff -man -Tutf8 -ww -z >/dev/null 2>"$tmp/err"
		check "${p##*/}: groff -ww: no warnings" test ! -s "$tmp/err"
		sed 's/^/#  /' "$tmp/err"
	done
else
	echo "ok - # SKIP groff is not installed"
fi
if command -v man >/dev/null; then
	MANWIDTH=200 man -l "$page1" >"$tmp/man1" 2>"$tmp/err"
	check "evload.1.gz: man -l reads it" test -s "$tmp/man1"
	check "evload.1.gz: man -l: nothing on stderr" test ! -s "$tmp/err"
	sed 's/^/#  /' "$tmp/err"
	# Every option of `evload --help`, with its argument as the help
	# spells it, heads an entry of OPTIONS, and OPTIONS has no other.
	"$bin/evload" --help >"$tmp/lhelp"
	sed -n 's/^  \(-[a-z], \)\{0,1\}\(--[a-z]*\)\( [A-Z:]*\)\{0,1\}  .*/\1\2\3/p' \
		"$tmp/lhelp" >"$tmp/lopts"
	check "evload --help lists options" test "$(wc -l <"$tmp/lopts")" -ge 12
	while read -r opt; do
		grep -qE -- "^ {7}$opt( |\$)" "$tmp/man1" ||
			{ echo "not ok - evload(1) has option '$opt'"; fails=$((fails + 1)); }
	done <"$tmp/lopts"
	# (Debian's awk, mawk, has no {7}.)
	awk '/^[A-Z]/ { s = ($0 == "OPTIONS") } s && /^       -/' "$tmp/man1" |
		grep -oE -- '(^|[ ,])--?[a-z]+' | tr -d ' ,' >"$tmp/got"
	grep -oE -- '(^|[ ,])--?[a-z]+' "$tmp/lopts" | tr -d ' ,' >"$tmp/want"
	same "evload(1): the options of evload --help, no other" "$tmp/want" "$tmp/got"
	# The JSON keys of the help, each an entry of JSON OUTPUT, no other.
	tr '\n' ' ' <"$tmp/lhelp" | sed -n 's/.*JSON keys: \(.*\)\. *Exit status:.*/\1/p' |
		sed 's/([^)]*)//g' | tr -s ', ' '\n' >"$tmp/want"
	awk '/^[A-Z]/ { s = ($0 == "JSON OUTPUT") } s && /^       [a-z]/ { print $1 }' \
		"$tmp/man1" >"$tmp/got"
	same "evload(1): the JSON keys of evload --help, no other" "$tmp/want" "$tmp/got"
	MANWIDTH=200 man -l "$page" >"$tmp/man" 2>"$tmp/err"
	check "evctl.8.gz: man -l reads it" test -s "$tmp/man"
	check "evctl.8.gz: man -l: nothing on stderr" test ! -s "$tmp/err"
	sed 's/^/#  /' "$tmp/err"
	# Every verb's synopsis of `evctl help` is in the page as it is.
	sed -n 's/^  \(evctl [a-z][a-z]* [^ ].*\)$/\1/p' "$tmp/help" |
		sed 's/  .*//' | grep -v '^evctl help ' >"$tmp/syn"
	check "help lists verbs" test -s "$tmp/syn"
	while read -r syn; do
		grep -qF -- "$syn" "$tmp/man" ||
			{ echo "not ok - man page has '$syn'"; fails=$((fails + 1)); }
	done <"$tmp/syn"
	for key in $("$bin/evctl" help config |
		     sed -n '/^KEY is one of/,/^VALUE/s/^  \([a-z][a-z-]*\) .*/\1/p'); do
		grep -qE "^ +$key( |\$)" "$tmp/man" ||
			{ echo "not ok - man page has config key $key"; fails=$((fails + 1)); }
	done
else
	echo "ok - # SKIP man is not installed"
fi

# The completion: loadable, and it offers what evctl help lists.
if command -v bash >/dev/null; then
	check "completion: bash -n" bash -n "$comp"
	cat >"$tmp/comp.sh" <<'EOS'
. "$1"
c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _evctl; printf '%s\n' "${COMPREPLY[@]}"; }
case $2 in
objects)	c evctl "" ;;
verbs)		c evctl "$3" "" | grep -v -e '^-' -e '^help$' ;;
keys)		c evctl config set "" ;;
prio)		c evctl route add topic 7 prio "" ;;
netns)		c evctl -n "" ;;
options)	c evctl - ;;
esac
EOS
	sed -n 's/^  evctl \([a-z][a-z]*\) .*/\1/p' "$tmp/help" | sort -u >"$tmp/want"
	bash "$tmp/comp.sh" "$comp" objects >"$tmp/got"
	same "completion: the objects of evctl help" "$tmp/want" "$tmp/got"
	cp "$tmp/want" "$tmp/objects"
	while read -r obj; do
		[ "$obj" = help ] && continue
		sed -n "s/^  evctl $obj \[\{0,1\}\([a-z][a-z]*\)\]\{0,1\}\( .*\)\{0,1\}$/\1/p" \
			"$tmp/help" >"$tmp/want_v"
		bash "$tmp/comp.sh" "$comp" verbs "$obj" >"$tmp/got_v"
		if [ -s "$tmp/want_v" ]; then
			same "completion: the verbs of $obj" "$tmp/want_v" "$tmp/got_v"
		else
			check "completion: $obj has no verbs" test ! -s "$tmp/got_v"
		fi
	done <"$tmp/objects"
	"$bin/evctl" help config |
		sed -n '/^KEY is one of/,/^VALUE/s/^  \([a-z][a-z-]*\) .*/\1/p' \
		>"$tmp/want"
	bash "$tmp/comp.sh" "$comp" keys >"$tmp/got"
	same "completion: the config keys of evctl help config" "$tmp/want" "$tmp/got"
	printf '%s\n' realtime transactional batch rt tx >"$tmp/want"
	bash "$tmp/comp.sh" "$comp" prio >"$tmp/got"
	same "completion: priority words" "$tmp/want" "$tmp/got"
	# -force has one dash, as in ip(8).
	"$bin/evctl" help | sed -n 's/^  \(-[a-zA-Z][a-z]*\), \(--[a-z]*\).*/\1\n\2/p' >"$tmp/want"
	bash "$tmp/comp.sh" "$comp" options >"$tmp/got"
	same "completion: the options of evctl help" "$tmp/want" "$tmp/got"
else
	echo "ok - # SKIP bash is not installed"
fi

check "make uninstall DESTDIR" quiet "$MAKE" -s uninstall DESTDIR="$dest" SANITIZE=
check "uninstall keeps the edited evstream.conf" cmp -s "$tmp/edited" "$etc/evstream/evstream.conf"
rm "$etc/evstream/evstream.conf"
check "uninstall removes every other file" test "$(find "$dest" -type f | wc -l)" -eq 0

# PREFIX=/usr: units where the distribution's are, evctl in /usr/bin.
check "make install PREFIX=/usr DESTDIR" quiet "$MAKE" -s install PREFIX=/usr DESTDIR="$dest" SANITIZE=
exec_is "PREFIX=/usr: evstream.service in /usr/lib/systemd/system runs /usr/bin/evctl" \
	"$dest/usr/lib/systemd/system/evstream.service" ExecStart "/usr/bin/evctl -b /etc/evstream/evstream.conf"
check "PREFIX=/usr: configuration in /etc" test -f "$etc/evstream/evstream.conf"
check "make uninstall PREFIX=/usr DESTDIR" quiet "$MAKE" -s uninstall PREFIX=/usr DESTDIR="$dest" SANITIZE=
check "PREFIX=/usr: uninstall removes every file" test "$(find "$dest" -type f | wc -l)" -eq 0

# UNITDIR and SYSCONFDIR as given, the units pointing at SYSCONFDIR.
check "make install UNITDIR SYSCONFDIR" quiet "$MAKE" -s install DESTDIR="$dest" \
	UNITDIR=/lib/systemd/system SYSCONFDIR=/opt/etc SANITIZE=
exec_is "UNITDIR, SYSCONFDIR: in the unit" "$dest/lib/systemd/system/evstream.service" \
	ExecStart "$prefix/bin/evctl -b /opt/etc/evstream/evstream.conf"
check "SYSCONFDIR: configuration there" test -f "$dest/opt/etc/modprobe.d/evstream.conf"
check "make uninstall UNITDIR SYSCONFDIR" quiet "$MAKE" -s uninstall DESTDIR="$dest" \
	UNITDIR=/lib/systemd/system SYSCONFDIR=/opt/etc SANITIZE=
check "UNITDIR, SYSCONFDIR: uninstall removes every file" test "$(find "$dest" -type f | wc -l)" -eq 0

# PREFIX alone, no DESTDIR.
check "make install PREFIX" quiet "$MAKE" -s install PREFIX="$tmp/prefix" SANITIZE=
check "PREFIX: bin, man1, man8, completions" test -x "$tmp/prefix/bin/evctl" -a \
	-f "$tmp/prefix/share/man/man1/evload.1.gz" -a \
	-f "$tmp/prefix/share/man/man8/evctl.8.gz" -a \
	-f "$tmp/prefix/share/bash-completion/completions/evctl"
# A prefix of one's own: nothing outside it, /etc included.
exec_is "PREFIX: the units in it, with its evctl and etc" \
	"$tmp/prefix/lib/systemd/system/evstream.service" ExecStart \
	"$tmp/prefix/bin/evctl -b $tmp/prefix/etc/evstream/evstream.conf"
check "PREFIX: configuration in PREFIX/etc" test -f "$tmp/prefix/etc/evstream/evstream.conf"
check "make uninstall PREFIX" quiet "$MAKE" -s uninstall PREFIX="$tmp/prefix" SANITIZE=
check "PREFIX: uninstall removes every file" \
	test "$(find "$tmp/prefix" -type f | wc -l)" -eq 0

# The sanitized build is for tests only: install refuses it at once.
if "$MAKE" -s install DESTDIR="$tmp/san" SANITIZE=1 >"$tmp/log" 2>&1; then
	echo "not ok - install refuses SANITIZE=1"; fails=$((fails + 1))
else
	check "install refuses SANITIZE=1" grep -q "run it without SANITIZE=1" "$tmp/log"
fi
check "SANITIZE=1 install left nothing" test ! -e "$tmp/san"

echo "$0: $fails failed"
[ "$fails" -eq 0 ]
