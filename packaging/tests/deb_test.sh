#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make deb`, then what it built: lintian has nothing to say that is not
# overridden (and every override says why), and both packages, unpacked
# by dpkg into a scratch root, put every file where it belongs.  TAP on
# stdout; exits 1 on any failure.
#
# The scratch root gets `dpkg --root=DIR --force-script-chrootless
# --unpack`: dpkg's own database there (status, conffiles, file lists),
# no chroot needed.  Only the unpack runs, not the configure step:
# evstream-dkms's postinst calls dkms, which would build and install the
# module on this machine, and evstream-tools's calls deb-systemd-helper;
# chrootless, both would act on the real system.  Of the maintainer
# scripts only evstream-tools's preinst runs, which does nothing on a
# first install.  The scripts are checked by what they say instead; the
# module build through DKMS is dkms_test.sh's.  Needs dpkg-dev, debhelper,
# dh-dkms and lintian (scripts/deps.sh).
#
# usage: deb_test.sh
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MAKE=${MAKE:-make}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$top/packaging/tests/tap.sh"

for c in dpkg-buildpackage dh dh_dkms lintian; do
	if ! command -v $c >/dev/null; then
		not_ok "$c is installed (scripts/deps.sh)"
		finish
	fi
done

ver=$("$top/scripts/version.sh")
arch=$(dpkg --print-architecture)
out=$top/build/deb
dkms_deb=$out/evstream-dkms_${ver}_all.deb
tools_deb=$out/evstream-tools_${ver}_$arch.deb
changes=$out/evstream_${ver}_$arch.changes

# What the machine's dpkg, DKMS and /usr/src hold: the test must not
# touch them.
machine()
{
	md5sum /var/lib/dpkg/status 2>&1
	ls /var/lib/dkms /usr/src /etc/evstream 2>&1
}
machine >"$tmp/machine.before"

# 1. The build.
check "debian/changelog's version is EVS_VERSION ($ver)" \
	test "$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)" = "$ver"
if ! (cd "$top" && $MAKE -s deb) >"$tmp/build" 2>&1; then
	not_ok "make deb builds the packages"
	tail -n 30 "$tmp/build" | sed 's/^/#  /'
	finish
fi
ok "make deb builds the packages"
check "build/deb/ holds evstream-dkms, evstream-tools, .changes and .buildinfo" \
	test -f "$dkms_deb" -a -f "$tools_deb" -a -f "$changes" \
	-a -f "$out/evstream_${ver}_${arch}.buildinfo"
field()
{
	dpkg-deb -f "$1" "$2"
}
check "evstream-dkms: Architecture: all, version $ver" \
	test "$(field "$dkms_deb" Architecture) $(field "$dkms_deb" Version)" = "all $ver"
check "evstream-dkms depends on dkms" \
	sh -c "dpkg-deb -f '$dkms_deb' Depends | grep -qE '(^|, )dkms( |,|\$)'"
check "evstream-tools: version $ver, depends on libmnl0 (shlibs)" \
	sh -c "[ '$(field "$tools_deb" Version)' = '$ver' ] &&
		dpkg-deb -f '$tools_deb' Depends | grep -q 'libmnl0'"
# Nothing the build leaves may be committed.
ignored=1
for f in build/deb/x.deb x.changes x.buildinfo debian/tmp/x debian/evstream-tools/x \
	debian/evstream-dkms/x debian/files debian/evstream-tools.substvars \
	debian/.debhelper/x debian/debhelper-build-stamp \
	debian/evstream-tools.debhelper.log debian/evstream-tools.postinst.debhelper; do
	git -C "$top" check-ignore -q "$f" || { echo "# not ignored: $f"; ignored=0; }
done
check "the build's output is in .gitignore" test $ignored -eq 1

# 2. lintian: the packages, the .changes and the .buildinfo (the .changes
# names them all).  Every E: or W: fails; I: tags are shown, but an
# override that no longer matches anything (unused-override) fails too.
lintian -I "$changes" >"$tmp/lintian" 2>"$tmp/lintian.err"
rc=$?
sed 's/^/#  /' "$tmp/lintian"
if [ $rc -gt 2 ] || grep -q '^[EW]: ' "$tmp/lintian"; then
	not_ok "lintian: no error or warning that is not overridden (rc $rc)"
	sed 's/^/#  /' "$tmp/lintian.err"
else
	ok "lintian: no error or warning that is not overridden"
fi
check "lintian: no unused or mismatched override" \
	test -z "$(grep -E 'unused-override|mismatched-override' "$tmp/lintian")"
# Each override comes after a comment that says why.
bare=$(awk 'FNR == 1 { c = 0 } /^#/ { c = 1; next } /^[[:space:]]*$/ { next }
	{ if (!c) print FILENAME ": " $0; c = 0 }' "$top"/debian/*.lintian-overrides)
check "lintian overrides: each says why, in a comment above it" test -z "$bare"
[ -z "$bare" ] || printf '%s\n' "$bare" | sed 's/^/#  /'

# 3. Both into a scratch root.
root=$tmp/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
if dpkg --root="$root" --log="$tmp/dpkg.log" --force-not-root \
	--force-script-chrootless --unpack "$dkms_deb" "$tools_deb" \
	>"$tmp/dpkg" 2>&1; then
	ok "dpkg --root unpacks both packages into a scratch root"
else
	not_ok "dpkg --root unpacks both packages into a scratch root"
	sed 's/^/#  /' "$tmp/dpkg"
	finish
fi
q()
{
	dpkg-query --admindir="$root/var/lib/dpkg" "$@"
}
check "dpkg's database there: both packages unpacked" test \
	"$(q -W -f='${Package} ${Status}\n' evstream-dkms evstream-tools)" = \
	"evstream-dkms install ok unpacked
evstream-tools install ok unpacked"

# evctl(8) is a system administrator's command (it configures a kernel
# module) that every user may run to read figures, as ip(8): /usr/bin.
for f in usr/bin/evctl usr/bin/evload; do
	check "/$f: installed, executable" test -x "$root/$f"
done
check "/usr/share/man/man8/evctl.8.gz: evctl(8)" \
	sh -c "zcat '$root/usr/share/man/man8/evctl.8.gz' | grep -q '^\\.TH EVCTL 8 '"
# evload(1): a load generator any user runs.
check "/usr/share/man/man1/evload.1.gz: evload(1)" \
	sh -c "zcat '$root/usr/share/man/man1/evload.1.gz' | grep -q '^\\.TH EVLOAD 1 '"
check "/usr/share/bash-completion/completions/evctl" \
	cmp -s "$top/user/completion/evctl" "$root/usr/share/bash-completion/completions/evctl"
# debhelper 13.11 on bookworm takes units from /lib/systemd/system only.
same "/lib/systemd/system: the four units of packaging/systemd" \
	"$(cd "$top/packaging/systemd" && ls)" "$(ls "$root/lib/systemd/system")"
check "units run /usr/bin/evctl and read /etc/evstream/" sh -c "
	grep -h '^Exec' '$root/lib/systemd/system/evstream.service' \
		'$root/lib/systemd/system/evstream@.service' >'$tmp/exec' &&
	! grep -q /usr/local '$root'/lib/systemd/system/* &&
	grep -q '/usr/bin/evctl -b /etc/evstream/evstream.conf' '$tmp/exec' &&
	grep -q '/usr/bin/evctl -n %i -b /etc/evstream/%i.conf' '$tmp/exec'"
same "conffiles: /etc/evstream/evstream.conf, modprobe.d, modules-load.d" \
	"/etc/evstream/evstream.conf
/etc/modprobe.d/evstream.conf
/etc/modules-load.d/evstream.conf" \
	"$(q -W -f='${Conffiles}\n' evstream-tools | awk 'NF { print $1 }')"
# Unpacked, not configured: dpkg leaves each conffile as .dpkg-new until
# the configure step moves it in place (or keeps the administrator's).
check "/etc/evstream/evstream.conf (.dpkg-new until configured): the example of packaging/" \
	cmp -s "$top/packaging/evstream.conf" "$root/etc/evstream/evstream.conf.dpkg-new"

# The DKMS tree: what `make dkms-source` lays out, file for file.
src=usr/src/evstream-$ver
(cd "$top" && $MAKE -s dkms-source DESTDIR="$tmp/dkms-source") >/dev/null 2>&1
same "/$src: the files make dkms-source lays out" \
	"$(cd "$tmp/dkms-source/$src" 2>/dev/null && find . -type f | sort)" \
	"$(cd "$root/$src" 2>/dev/null && find . -type f | sort)"
check "/$src: the same contents" diff -r "$tmp/dkms-source/$src" "$root/$src"
check "/$src/dkms.conf: PACKAGE_VERSION=\"$ver\", no placeholder left" sh -c "
	grep -qx 'PACKAGE_VERSION=\"$ver\"' '$root/$src/dkms.conf' &&
	! grep -q '#MODULE_VERSION#' '$root/$src/dkms.conf'"

# The maintainer scripts, by what they say.
dpkg-deb -e "$dkms_deb" "$tmp/ctl-dkms"
dpkg-deb -e "$tools_deb" "$tmp/ctl-tools"
check "evstream-dkms postinst: dkms builds evstream/$ver (dh_dkms)" sh -c "
	grep -qx 'DKMS_NAME=evstream' '$tmp/ctl-dkms/postinst' &&
	grep -qx 'DKMS_VERSION=$ver' '$tmp/ctl-dkms/postinst' &&
	grep -q common.postinst '$tmp/ctl-dkms/postinst'"
check "evstream-dkms prerm: dkms remove evstream/$ver" \
	grep -q 'dkms remove -m $DKMS_NAME -v $DKMS_VERSION --all' "$tmp/ctl-dkms/prerm"
# dh_installsystemd --no-enable --no-start --no-stop-on-upgrade: nothing
# started, nothing stopped on upgrade, and only units the administrator
# enabled before are enabled again; debian/evstream-tools.prerm stops
# them on removal.
check "evstream-tools: no unit started or restarted by the package" \
	test -z "$(cat "$tmp"/ctl-tools/p* | grep -E 'deb-systemd-invoke (start|restart|try-restart)|systemctl (start|restart)')"
check "evstream-tools: nothing stopped on upgrade (no preinst)" \
	test ! -e "$tmp/ctl-tools/preinst"
check "evstream-tools prerm: the units stopped on removal only" sh -c "
	grep -q '^if \\[ \"\\\$1\" = remove \\]' '$tmp/ctl-tools/prerm' &&
	grep -q 'deb-systemd-invoke stop evstream-metrics.timer' '$tmp/ctl-tools/prerm'"
for u in evstream.service evstream-metrics.timer; do
	check "evstream-tools postinst: $u enabled only if it was before" \
		grep -q "deb-systemd-helper debian-installed '$u'" "$tmp/ctl-tools/postinst"
done

# 4. The installed evctl runs: `help` exits 0; `version` prints evctl's
# version with the module loaded, else exits 1 saying it is not.
check "installed evctl help: exit 0, the usage" \
	sh -c "'$root/usr/bin/evctl' help | grep -q '^Usage: evctl '"
"$root/usr/bin/evctl" version >"$tmp/v.out" 2>"$tmp/v.err"
rc=$?
if { [ $rc -eq 0 ] && grep -qx "evctl $ver" "$tmp/v.out"; } ||
	{ [ $rc -eq 1 ] && grep -q 'evstream module not loaded' "$tmp/v.err"; }; then
	ok "installed evctl version: evctl $ver, or exit 1 without the module (rc $rc)"
else
	not_ok "installed evctl version: evctl $ver, or exit 1 without the module (rc $rc)"
	sed 's/^/#  /' "$tmp/v.out" "$tmp/v.err"
fi
check "installed evload --help: exit 0" sh -c "'$root/usr/bin/evload' --help >/dev/null"

machine >"$tmp/machine.after"
check "this machine's dpkg database, DKMS tree and /usr/src are untouched" \
	cmp -s "$tmp/machine.before" "$tmp/machine.after"
finish
