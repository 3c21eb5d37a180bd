#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The systemd units of packaging/systemd/: systemd-analyze verify finds
# nothing to say about any of them (skipped without systemd-analyze), and
# evstream-metrics.service's command, run as systemd would run it with a
# fake-kernel evctl, replaces the collector's file atomically and removes
# it when evctl fails.  Prints TAP-like lines; exits 1 on any failure.
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

if command -v systemd-analyze >/dev/null; then
	for u in $units; do
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

echo "$0: $fails failed"
[ "$fails" -eq 0 ]
