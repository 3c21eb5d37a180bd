#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make e2e-check, inside the booted Debian root (packaging/tests/e2e_test.sh
# built it): systemd is PID 1, evstream-dkms and evstream-tools are
# installed with their maintainer scripts, evstream.service is enabled and
# /etc/evstream/evstream.conf is packaging/tests/e2e/evstream.conf.  Run by
# evstream-e2e.service after evstream.service.  Checks, as an operator
# would, that the module loaded is the one DKMS built, that the unit
# applied the file and applies it again on reload, that `evctl save`
# survives a module reload, that a bad line fails the unit with its line
# number in the journal, and evstream@.service for a named namespace.
#
# TAP on the second serial port, the one the host reads; the plan comes
# last.  `evctl -o prometheus stats` goes there too, each line prefixed
# with "#prom ", for the host's promtool.  Then the end marker that
# selftests/vm/run.sh waits for, and poweroff.
exec >/dev/ttyS1 2>&1
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# Two saves of one state compare equal, the date included.
export SOURCE_DATE_EPOCH=1700000000
conf=/etc/evstream/evstream.conf
n=0
krel=$(uname -r)

ok()
{
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok()
{
	n=$((n + 1))
	echo "not ok $n - $1"
}

# check NAME CMD...: ok when CMD succeeds; what it prints becomes comments.
check()
{
	name=$1
	shift
	if "$@" >/tmp/out 2>&1; then ok "$name"; else not_ok "$name"; fi
	sed 's/^/# /' /tmp/out
}

# fails NAME CMD...: ok when CMD fails (and its output shown as comments).
fails()
{
	name=$1
	shift
	if "$@" >/tmp/out 2>&1; then
		not_ok "$name"
	else
		ok "$name"
	fi
	sed 's/^/# /' /tmp/out
}

# journal_has TEXT: the unit's journal since mark_journal has TEXT.
journal_has()
{
	journalctl --no-pager -o cat -u evstream.service \
		--after-cursor="$(cat /tmp/cursor)" >/tmp/journal
	sed 's/^/# journal: /' /tmp/journal
	grep -qF "$1" /tmp/journal
}
mark_journal()
{
	journalctl --no-pager -n 0 --show-cursor | sed -n 's/^-- cursor: //p' >/tmp/cursor
}

save() { evctl save >"$1" 2>&1; }
has_line() { grep -qxF "$2" "$1"; }
no_line() { ! grep -qxF "$2" "$1"; }
listening() { evctl ${2:+-n "$2"} listen show | awk -v a="$1" '$1 == a { f = 1 } END { exit !f }'; }
accepted() { evctl listen show | awk -v a="$1" '$1 == a { print $2 }'; }

echo "TAP version 13"
echo "# Linux $krel, systemd $(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')"

# 1. The boot: the unit ran and the module is DKMS's.
check "evstream.service is active after boot" systemctl -q is-active evstream.service
systemctl --no-pager status evstream.service 2>&1 | sed 's/^/# /'
check "evstream.service ran evctl of evstream-tools, /usr/bin/evctl" \
	sh -c 'systemctl show -p ExecStart evstream.service | grep -q "path=/usr/bin/evctl "'
check "evstream is loaded" test -d /sys/module/evstream
file=$(modinfo -n evstream 2>&1)
echo "# modinfo -n evstream: $file"
case $file in
"/lib/modules/$krel/updates/dkms/evstream.ko"*) ok "modprobe's evstream is DKMS's, in /lib/modules/$krel/updates/dkms" ;;
*) not_ok "modprobe's evstream is DKMS's, in /lib/modules/$krel/updates/dkms" ;;
esac
loaded=$(cat /sys/module/evstream/srcversion 2>&1)
built=$(modinfo -F srcversion "$file" 2>&1)
echo "# srcversion: loaded $loaded, $file $built"
check "the module loaded is that file (srcversion)" \
	test -n "$built" -a "$loaded" = "$built"
check "the file was built for $krel (vermagic)" \
	sh -c "modinfo -F vermagic '$file' | grep -q '^$krel '"

# 2. The configuration file applied.
save /tmp/boot.conf
sed 's/^/# /' /tmp/boot.conf
check "config applied: max-payload 32K" has_line /tmp/boot.conf "config set max-payload 32768"
check "config applied: conn-limit 200" has_line /tmp/boot.conf "config set conn-limit 200"
check "config applied: route for topic 7" has_line /tmp/boot.conf "route add topic 7 prio realtime"
check "config applied: listener 127.0.0.1:7000" listening 127.0.0.1:7000
check "config applied: listener [::1]:7001" listening '[::1]:7001'
check "a client's events are acked on 127.0.0.1:7000" \
	evload --addr 127.0.0.1:7000 --events 200 --ack
check "listen show counts that connection" test "$(accepted 127.0.0.1:7000)" = 1

# 3. systemctl reload evstream applies the file again, over what is up.
cp "$conf" /tmp/good.conf
sed -i 's/^config set max-payload 32K$/config set max-payload 16K/' "$conf"
echo "listen replace 127.0.0.1:7002" >>"$conf"
check "systemctl reload evstream" systemctl reload evstream.service
save /tmp/reload.conf
check "reload: the new max-payload" has_line /tmp/reload.conf "config set max-payload 16384"
check "reload: the new listener" listening 127.0.0.1:7002
check "reload: the listener kept, with its count" test "$(accepted 127.0.0.1:7000)" = 1
check "reload: the unit still active" systemctl -q is-active evstream.service

# 4. evctl save, re-applied after the module's reload, saves the same.
save /tmp/save1.conf
check "evctl save: every listener" sh -c \
	"[ \$(grep -c '^listen replace ' /tmp/save1.conf) -eq 3 ]"
check "modprobe -r evstream" modprobe -r evstream
check "module gone" test ! -e /sys/module/evstream
check "modprobe evstream" modprobe evstream
save /tmp/fresh.conf
check "reloaded module: the configuration is gone" sh -c \
	'! cmp -s /tmp/save1.conf /tmp/fresh.conf && ! grep -q "^listen" /tmp/fresh.conf'
check "evctl -b the saved file" evctl -b /tmp/save1.conf
save /tmp/save2.conf
cmp /tmp/save1.conf /tmp/save2.conf | sed 's/^/# /'
check "evctl save after -b: identical" cmp -s /tmp/save1.conf /tmp/save2.conf

# 5. Metrics, with events behind them: promtool checks them on the host.
check "events on the restored listener" \
	evload --addr '[::1]:7001' --events 300 --ack
if evctl -o prometheus stats >/tmp/prom 2>&1; then
	ok "evctl -o prometheus stats"
else
	not_ok "evctl -o prometheus stats"
fi
frames=$(sed -n 's/^evstream_frames_total{netns="default"} //p' /tmp/prom)
check "prometheus: evstream_frames_total counts the 300 events ($frames)" \
	test "${frames:-0}" -ge 300
check "prometheus: a latency histogram" grep -q '^evstream_latency_seconds_bucket{' /tmp/prom
echo "#prom-begin"
sed 's/^/#prom /' /tmp/prom
echo "#prom-end"

# 6. evstream@NETNS.service: its own file in its own namespace.
ip netns add blue && ip -n blue link set lo up
echo "listen replace 127.0.0.1:7100" >/etc/evstream/blue.conf
check "systemctl start evstream@blue" systemctl start evstream@blue.service
check "evstream@blue: the listener in blue" listening 127.0.0.1:7100 blue
check "evstream@blue: not in the host's namespace" sh -c '! evctl listen show | grep -q ":7100 "'

# 7. A bad line: the reload fails and says where, what came before it is
# applied, what comes after is not, and the unit stays up; a restart with
# it fails the unit.
cat >"$conf" <<'EOF'
# a line the kernel refuses, the third
config set conn-limit 300
config set max-payload 70000000
listen replace 127.0.0.1:7003
EOF
mark_journal
fails "reload with a bad line fails" systemctl reload evstream.service
check "the journal names the file and line 3" journal_has "$conf:3: "
save /tmp/bad.conf
check "bad file: the line before it applied" has_line /tmp/bad.conf "config set conn-limit 300"
check "bad file: the line after it not run" no_line /tmp/bad.conf "listen replace 127.0.0.1:7003"
check "bad file: the rest kept (max-payload)" has_line /tmp/bad.conf "config set max-payload 16384"
check "a failed reload leaves the unit active" systemctl -q is-active evstream.service
mark_journal
fails "restart with a bad line fails" systemctl restart evstream.service
check "systemctl is-failed evstream" systemctl -q is-failed evstream.service
systemctl --no-pager status evstream.service >/tmp/status 2>&1
sed 's/^/# /' /tmp/status
check "systemctl status says failed" grep -q 'Active: failed' /tmp/status
check "the journal names the line again" journal_has "$conf:3: "
check "bad file: the listeners still up" listening 127.0.0.1:7000
cp /tmp/good.conf "$conf"
check "good file back: restart succeeds" systemctl restart evstream.service
check "good file back: the unit active" systemctl -q is-active evstream.service

if dmesg | grep -E 'WARNING:|BUG[: ]|Oops|Call Trace' >/tmp/bad.log; then
	not_ok "kernel log is clean"
	sed 's/^/# /' /tmp/bad.log
else
	ok "kernel log is clean"
fi

echo "1..$n"
echo "EVS-VM-DONE"
sync
# Not "systemctl poweroff", which asks logind first, over a D-Bus this
# root does not have.
systemctl --no-block --job-mode=replace-irreversibly start poweroff.target
