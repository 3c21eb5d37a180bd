#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The systemd units of packaging/systemd/: systemd-analyze verify finds
# nothing to say about any of them (skipped without systemd-analyze);
# evstream-metrics.service's command, run as systemd would run it with a
# fake-kernel evctl, replaces the collector's file atomically and removes
# it when evctl fails; evstream.service's start and reload commands apply
# packaging/evstream.conf, and again over what is up.  Prints TAP-like
# lines; exits 1 on any failure.
#
# usage: systemd_test.sh UNIT_DIR EVCTL_FAKE

dir=$1
FAKE=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
fails=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; fails=$((fails + 1)); }

units=$(ls "$dir"/*.service "$dir"/*.timer 2>/dev/null)
[ -n "$units" ] || not_ok "units in $dir"

# The units name evctl where `make install` puts it by default, and it
# puts the real place there, as this does: verify wants it to exist.
mkdir "$tmp/units"
for u in $units; do
	sed "s|/usr/local/bin/evctl|$FAKE|g" "$u" >"$tmp/units/$(basename "$u")"
done
# A template is verified as one of its instances too, %i filled in.
for u in "$tmp"/units/*@.service; do
	[ -e "$u" ] && cp "$u" "${u%@.service}@blue.service"
done

if command -v systemd-analyze >/dev/null; then
	for u in "$tmp"/units/*; do
		# --man=no: the pages of Documentation= need not be installed
		# here.  verify exits 0 on what it merely warns about (an
		# unknown key, a bad value it ignores): any output fails.
		# shellcheck disable=SC2086
		if systemd-analyze verify --man=no "$u" >"$tmp/verify" 2>&1 &&
		   [ ! -s "$tmp/verify" ]; then
			ok "systemd-analyze verify $(basename "$u")"
		else
			not_ok "systemd-analyze verify $(basename "$u")"
			sed 's/^/#  /' "$tmp/verify"
		fi
	done
else
	echo "ok - # SKIP systemd-analyze verify: no systemd-analyze (package systemd)"
fi

# ExecStart= of $1 as sh would get it from systemd: continuation lines
# joined, the /bin/sh -ec '...' wrapper taken off, $$ made $.  The unit
# uses no other systemd escapes, and the test fails if that changes.
exec_start() {
	sed -e ':a' -e '/\\$/{N;s/\\\n/ /;ba' -e '}' "$1" |
		sed -n "s|^ExecStart=/bin/sh -ec '\(.*\)'\$|\1|p" |
		sed 's/\$\$/$/g'
}

svc=$dir/evstream-metrics.service
cmd=$(exec_start "$svc")
case $cmd in
*\\*|*%*|"")
	not_ok "evstream-metrics.service: ExecStart in the form this test reads"
	echo "#  $cmd" ;;
*)
	ok "evstream-metrics.service: ExecStart in the form this test reads" ;;
esac

# evctl, as the command finds it on PATH: the fake-kernel build, which
# also notes where its output goes.
mkdir "$tmp/bin" "$tmp/collector"
cat >"$tmp/bin/evctl" <<EOF
#!/bin/sh
out=\$(readlink /proc/\$\$/fd/1)
echo "\$out" >"$tmp/stdout-of-evctl"
exec "$FAKE" "\$@"
EOF
chmod +x "$tmp/bin/evctl"
run_unit() {
	(
		export PATH="$tmp/bin:$PATH"
		export EVSTREAM_TEXTFILE_DIR="$tmp/collector"
		export EVSTREAM_TEXTFILE=evstream.prom
		export EVSTREAM_EVCTL_ARGS=
		sh -ec "$cmd"
	) >"$tmp/out" 2>&1
}

prom=$tmp/collector/evstream.prom
echo "stale" >"$prom"
if EVS_FAKE=ok run_unit; then ok "metrics unit: runs"; else not_ok "metrics unit: runs"; sed 's/^/#  /' "$tmp/out"; fi
EVS_FAKE=ok "$FAKE" -o prometheus stats >"$tmp/want"
if cmp -s "$prom" "$tmp/want"; then ok "metrics unit: evstream.prom is evctl -o prometheus stats"; else not_ok "metrics unit: evstream.prom is evctl -o prometheus stats"; fi
# Written elsewhere and renamed: never into the file a scrape reads, nor
# into one the collector would read (it reads *.prom).
out=$(cat "$tmp/stdout-of-evctl" 2>/dev/null)
case $out in
"$tmp/collector/"*.prom|"")
	not_ok "metrics unit: written to a temporary file first"; echo "#  evctl wrote to '$out'" ;;
"$tmp/collector/"*)
	ok "metrics unit: written to a temporary file first" ;;
*)
	not_ok "metrics unit: written to a temporary file first"; echo "#  evctl wrote to '$out', not in the directory" ;;
esac
if [ "$(ls -A "$tmp/collector")" = "evstream.prom" ]; then ok "metrics unit: no temporary file left"; else not_ok "metrics unit: no temporary file left"; ls -A "$tmp/collector" | sed 's/^/#  /'; fi
if [ "$(stat -c %a "$prom" 2>/dev/null)" = 644 ]; then ok "metrics unit: readable by node_exporter"; else not_ok "metrics unit: readable by node_exporter"; fi
if command -v promtool >/dev/null; then
	if promtool check metrics <"$prom" >"$tmp/out" 2>&1; then ok "metrics unit: promtool check metrics"; else not_ok "metrics unit: promtool check metrics"; sed 's/^/#  /' "$tmp/out"; fi
else
	echo "ok - # SKIP metrics unit: promtool check metrics: no promtool (package prometheus)"
fi

# The module gone: the unit fails, and no stale figures are left behind.
if EVS_FAKE=absent run_unit; then not_ok "metrics unit: fails without the module"; else ok "metrics unit: fails without the module"; fi
if [ -z "$(ls -A "$tmp/collector")" ]; then ok "metrics unit: nothing left without the module"; else not_ok "metrics unit: nothing left without the module"; ls -A "$tmp/collector" | sed 's/^/#  /'; fi

# evstream.service and evstream@.service: what they run, and that it works.
# key UNIT KEY: the value of KEY= in UNIT (one line each here).
key() { sed -n "s|^$2=||p" "$1"; }
svc=$dir/evstream.service
tmpl=$dir/evstream@.service
check_key() {
	if [ "$(key "$1" "$2")" = "$3" ]; then ok "$(basename "$1"): $2=$3"; else not_ok "$(basename "$1"): $2=$3"; echo "#  got '$(key "$1" "$2")'"; fi
}
check_key "$svc" ExecStartPre "/sbin/modprobe evstream"
check_key "$svc" ExecStart "/usr/local/bin/evctl -b /etc/evstream/evstream.conf"
check_key "$svc" ExecReload "/usr/local/bin/evctl -b /etc/evstream/evstream.conf"
check_key "$svc" Type oneshot
check_key "$svc" RemainAfterExit yes
check_key "$svc" After network-online.target
check_key "$svc" Wants network-online.target
check_key "$tmpl" ExecStartPre "/sbin/modprobe evstream"
check_key "$tmpl" ExecStart "/usr/local/bin/evctl -n %i -b /etc/evstream/%i.conf"
check_key "$tmpl" ExecReload "/usr/local/bin/evctl -n %i -b /etc/evstream/%i.conf"

# run_key UNIT KEY: runs that command, evctl the fake-kernel build and
# /etc/evstream/ in $tmp, as systemd would (no shell: plain words).
mkdir -p "$tmp/etc/evstream"
run_key() {
	# shellcheck disable=SC2046
	set -- $(key "$1" "$2" | sed -e "s|/usr/local/bin/evctl|$FAKE|" \
		-e "s|/etc/evstream/|$tmp/etc/evstream/|")
	EVS_FAKE_TRACE=$tmp/trace "$@" >"$tmp/out" 2>&1
}
# trace_has NAME ERE: a request the fake kernel got since the last call.
trace_has() {
	if grep -qE "$2" "$tmp/trace" 2>/dev/null; then ok "$1"; else not_ok "$1"; sed 's/^/#  /' "$tmp/trace" 2>/dev/null; fi
}
trace_lacks() {
	if grep -qE "$2" "$tmp/trace" 2>/dev/null; then not_ok "$1"; sed 's/^/#  /' "$tmp/trace"; else ok "$1"; fi
}

conf=$dir/../evstream.conf
cp "$conf" "$tmp/etc/evstream/evstream.conf"
rm -f "$tmp/trace"
if EVS_FAKE=ok run_key "$svc" ExecStart; then ok "evstream.service: the example as shipped applies"; else not_ok "evstream.service: the example as shipped applies"; sed 's/^/#  /' "$tmp/out"; fi
if [ ! -e "$tmp/trace" ]; then ok "the example as shipped: all commented out"; else not_ok "the example as shipped: all commented out"; sed 's/^/#  /' "$tmp/trace"; fi
# Its commands, uncommented: what an operator starts from.
sed -n 's/^#\(config set\|listen replace\|route add\) /\1 /p' "$conf" \
	>"$tmp/etc/evstream/evstream.conf"
if [ "$(grep -c . "$tmp/etc/evstream/evstream.conf")" -ge 5 ]; then ok "the example's commands: settings, listeners, routes"; else not_ok "the example's commands: settings, listeners, routes"; fi
if EVS_FAKE=empty run_key "$svc" ExecStart; then ok "evstream.service start: the example's commands apply"; else not_ok "evstream.service start: the example's commands apply"; sed 's/^/#  /' "$tmp/out"; fi
trace_has "start: listeners added" '^LISTEN_ADD ADDR_IN=127\.0\.0\.1 PORT=u16:7000$'
trace_has "start: settings sent" '^CONFIG_SET CONFIG\{ RING_SIZE=u32:4096 }$'
trace_has "start: routes sent" '^ROUTE_ADD TOPIC=u16:7 PRIO=u8:0$'
rm -f "$tmp/trace"
# Reload over what is up: the fake kernel has both listeners already.
if EVS_FAKE=ok run_key "$svc" ExecReload; then ok "evstream.service reload: applies again over what is up"; else not_ok "evstream.service reload: applies again over what is up"; sed 's/^/#  /' "$tmp/out"; fi
trace_lacks "reload: no listener added again" '^LISTEN_ADD'
trace_has "reload: settings sent again" '^CONFIG_SET'
rm -f "$tmp/trace"
if EVS_FAKE=absent run_key "$svc" ExecStart; then not_ok "evstream.service: fails without the module"; else ok "evstream.service: fails without the module"; fi

echo "$0: $fails failed"
[ "$fails" -eq 0 ]
