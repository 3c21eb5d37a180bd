#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make e2e-check`: issue 15's "done when", as an operator does it on a
# Debian 12 machine.
#
#  1. `make deb`.
#  2. A scratch Debian 12 root (scripts/e2e-root.sh: minbase, systemd,
#     dkms and the headers of the kernels tested, cached as a tarball).
#  3. Both packages installed there by dpkg in a chroot, maintainer
#     scripts and all: evstream-dkms's postinst has DKMS build and install
#     the module for every kernel whose headers are there, by itself (no
#     `dkms autoinstall` here).  Then what an administrator does:
#     /etc/evstream/evstream.conf written (packaging/tests/e2e/), and
#     `systemctl enable evstream`.
#  4. That root, packed as an initramfs, booted with systemd as PID 1 on
#     each kernel of the matrix (scripts/kernel.sh: the newest 6.1 and
#     6.12 of KFLAVOUR, or the one KVER names), from the host's /boot
#     like every VM run (selftests/vm/run.sh).  evstream-e2e.service
#     runs packaging/tests/e2e/guest.sh after evstream.service: the
#     module loaded is DKMS's, the file applied, reload, `evctl save`
#     through a module reload, evstream@.service, a bad line.
#  5. `promtool check metrics` on the guest's `evctl -o prometheus stats`.
#  6. Both packages purged from the root: DKMS's modules go with them.
#
# The chroot's mounts (/proc, /sys, /dev) are made in a mount namespace
# of their own (unshare -m), so they cannot outlive it, and the root is
# deleted only when findmnt finds nothing mounted under it.
#
# EVS_VM_LOCK names a file to flock(1) around each VM run, on a machine
# where VM runs must take turns.
#
# TAP, then "e2e: N passed, N failed"; exits 1 on any failure.  Output
# in build/e2e/ (install log, each VM's console and results).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
MAKE=${MAKE:-make}
out=$top/build/e2e
root=$out/root
tap=$out/e2e.tap
here=$top/packaging/tests/e2e

t0=$(date +%s)
mkdir -p "$out"
: >"$tap"

ok() { echo "ok - $1" | tee -a "$tap"; }
not_ok() { echo "not ok - $1" | tee -a "$tap"; }
check()
{
	tname=$1
	shift
	if "$@"; then ok "$tname"; else not_ok "$tname"; fi
}
# Shows file $1 as TAP comments.
show() { sed 's/^/#  /' "$1"; }

finish()
{
	remove_root
	pass=$(grep -cE '^(# )*ok ' "$tap")
	fail=$(grep -cE '^(# )*not ok ' "$tap")
	# Each failure with the kernel whose VM it happened in.
	awk '/^# == e2e on / { k = $5 } /^(# )*not ok / { print "# failed" (k ? " on " k : "") ": " $0 }' "$tap"
	echo "# e2e took $(($(date +%s) - t0)) s"
	echo "e2e: $pass passed, $fail failed"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
	exit
}

# Deletes the root, never through a mount: anything still mounted under
# it (nothing should be, the mounts live in a namespace) is unmounted
# first, and if that fails the root stays.
remove_root()
{
	[ -e "$root" ] || return 0
	if findmnt -rn -o TARGET | grep -q "^$root\(/\|\$\)"; then
		umount -R "$root" 2>/dev/null
		for m in $(findmnt -rn -o TARGET | grep "^$root\(/\|\$\)" | sort -r); do
			umount -l "$m"
		done
	fi
	if findmnt -rn -o TARGET | grep -q "^$root\(/\|\$\)"; then
		echo "e2e: something is still mounted under $root: not deleting it" >&2
		return 1
	fi
	rm -rf "$root"
}

# in_root SCRIPT: runs the sh SCRIPT chrooted into the root, with /proc,
# /sys and /dev mounted in a private mount namespace that ends with it.
in_root()
{
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --propagation private sh -euc '
		r=$1
		trap "umount -R \"\$r/dev\" \"\$r/sys\" \"\$r/proc\" 2>/dev/null" EXIT
		mount -t proc proc "$r/proc"
		mount -t sysfs sysfs "$r/sys"
		mount --rbind /dev "$r/dev"
		chroot "$r" /bin/sh -euc "$2"
	' in_root "$root" "$1"
}

echo "TAP version 13"
if ! kernels=$(scripts/kernel.sh matrix 2>"$out/kernels.err"); then
	not_ok "kernels to test on: $(cat "$out/kernels.err")"
	finish
fi
echo "# kernels: $kernels"

# 1. The packages.
if ! $MAKE -s deb >"$out/deb.log" 2>&1; then
	not_ok "make deb"
	tail -n 30 "$out/deb.log" | sed 's/^/#  /'
	finish
fi
ok "make deb"
ver=$(scripts/version.sh)
debs="build/deb/evstream-dkms_${ver}_all.deb build/deb/evstream-tools_${ver}_$(dpkg --print-architecture).deb"

# 2. The root.
start=$(date +%s)
# shellcheck disable=SC2086
if ! base=$(scripts/e2e-root.sh $kernels 2>"$out/root.log"); then
	not_ok "scratch Debian 12 root (mmdebstrap)"
	tail -n 30 "$out/root.log" | sed 's/^/#  /'
	finish
fi
ok "scratch Debian 12 root: $(basename "$base") ($(($(date +%s) - start)) s)"
remove_root || finish
mkdir -p "$root"
if ! tar --zstd --numeric-owner -xpf "$base" -C "$root"; then
	not_ok "root unpacked"
	finish
fi

# 3. The packages installed, maintainer scripts run.
mkdir -p "$root/tmp/debs"
# shellcheck disable=SC2086
cp $debs "$root/tmp/debs/"
start=$(date +%s)
if in_root 'dpkg -i /tmp/debs/*.deb' >"$out/install.log" 2>&1; then
	ok "dpkg -i evstream-dkms evstream-tools in the chroot: configured ($(($(date +%s) - start)) s)"
else
	not_ok "dpkg -i evstream-dkms evstream-tools in the chroot: configured"
fi
show "$out/install.log"
# shellcheck disable=SC2016 # dpkg-query's own ${} fields
in_root 'dpkg-query -W -f="\${Package} \${Status}\n" evstream-dkms evstream-tools' \
	>"$out/status" 2>&1
check "both packages 'install ok installed'" \
	test "$(grep -c ' install ok installed$' "$out/status")" -eq 2
in_root 'dkms status' >"$out/dkms-status" 2>&1
show "$out/dkms-status"
for k in $kernels; do
	# Whatever the suffix DKMS compressed it with.
	ko=$(find "$root/lib/modules/$k/updates/dkms" -name 'evstream.ko*' 2>/dev/null | head -n 1)
	check "$k: DKMS built and installed evstream (dkms status)" \
		grep -q "^evstream/$ver, $k, [^:]*: installed" "$out/dkms-status"
	check "$k: /lib/modules/$k/updates/dkms/${ko##*/}" test -n "$ko"
	# Nothing here runs dkms: the package's postinst did it all.
	check "$k: evstream-dkms's postinst had DKMS install it" \
		grep -qF "Installing to /lib/modules/$k/updates/dkms/" "$out/install.log"
	check "$k: depmod knows it (modules.dep)" \
		grep -q '^updates/dkms/evstream\.ko[^:]*:' "$root/lib/modules/$k/modules.dep"
done

# What an administrator does: the configuration, and the unit enabled.
# Plus the checks' own unit (not part of any package).
cp "$here/evstream.conf" "$root/etc/evstream/evstream.conf"
mkdir -p "$root/usr/local/lib/evstream-e2e"
cp "$here/guest.sh" "$root/usr/local/lib/evstream-e2e/"
chmod 755 "$root/usr/local/lib/evstream-e2e/guest.sh"
cp "$here/evstream-e2e.service" "$root/etc/systemd/system/"
if in_root 'systemctl enable evstream.service evstream-e2e.service' \
	>"$out/enable.log" 2>&1; then
	ok "systemctl enable evstream.service"
else
	not_ok "systemctl enable evstream.service"
	show "$out/enable.log"
fi

# 4. The root as an initramfs: what the boot does not need stays out
# (the kernels' images and their own modules, which the VM takes from
# the host's /boot and does not load; the compiler and its runtime
# libraries, the kernels' headers, documentation, apt's lists); the
# rest, DKMS's modules and state included, goes in as is.
rm -rf "$root/tmp/debs"
if (cd "$root" && find . \( -path ./boot -o -path './usr/lib/modules/*/kernel' \
		-o -path ./usr/src -o -path ./usr/lib/gcc \
		-o -path ./usr/libexec/gcc -o -path ./usr/include \
		-o -path './usr/bin/x86_64-linux-gnu-lto-dump-*' \
		-o -path './usr/lib/x86_64-linux-gnu/lib[atlh]*san.so*' \
		-o -path './usr/lib/x86_64-linux-gnu/libgprofng.so*' \
		-o -path './usr/lib/linux-kbuild-*' -o -path ./usr/share/doc \
		-o -path ./usr/share/man -o -path ./usr/share/locale \
		-o -path ./usr/share/info -o -path ./var/cache/apt \
		-o -path ./var/lib/apt/lists -o -path ./usr/share/perl \
		-o -path ./usr/lib/x86_64-linux-gnu/perl \
		-o -path './var/lib/dkms/*/*/build' \) -prune -o -print |
		LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1 \
		>"$out/root.cpio.gz"); then
	ok "root packed as an initramfs ($(du -m "$out/root.cpio.gz" | cut -f1) MiB)"
else
	not_ok "root packed as an initramfs"
	finish
fi

for k in $kernels; do
	echo "# == e2e on $k ==" | tee -a "$tap"
	echo "# systemd boots the root on $k"
	vm=$out/vm-$k
	start=$(date +%s)
	EVS_VM_APPEND="rdinit=/lib/systemd/systemd ${EVS_VM_APPEND:-}" \
	EVS_VM_TIMEOUT=${EVS_E2E_TIMEOUT:-1800} \
	EVS_VM_MEM=${EVS_VM_MEM:-2048} \
		${EVS_VM_LOCK:+flock "$EVS_VM_LOCK"} selftests/vm/run.sh "$k" "$out/root.cpio.gz" check "$vm" \
		>"$out/vm-$k.out"
	grep -v '^#prom' "$out/vm-$k.out" | tee -a "$tap"
	sed -n 's/^#prom //p' "$out/vm-$k.out" >"$vm/metrics.prom"
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$out/vm-$k.out")
	ran=$(grep -cE '^(not )?ok [0-9]+ ' "$out/vm-$k.out")
	check "$k: the guest ran all its checks ($ran of plan ${plan:-none}, $(($(date +%s) - start)) s)" \
		test -n "$plan" -a "$ran" = "${plan:-x}" -a "$ran" -gt 0
	# An empty file would pass promtool: the checks above need metrics.
	check "$k: the guest's metrics, evstream_module_info among them" \
		grep -q '^evstream_module_info{' "$vm/metrics.prom"
	if promtool check metrics <"$vm/metrics.prom" >"$vm/promtool.out" 2>&1; then
		ok "$k: promtool check metrics on evctl -o prometheus stats"
	else
		not_ok "$k: promtool check metrics on evctl -o prometheus stats"
		show "$vm/promtool.out"
	fi
done

# 6. Removal: evstream-dkms's prerm has DKMS remove the module from every
# kernel.
if in_root 'dpkg --purge evstream-tools evstream-dkms' >"$out/purge.log" 2>&1; then
	ok "dpkg --purge evstream-tools evstream-dkms"
else
	not_ok "dpkg --purge evstream-tools evstream-dkms"
	show "$out/purge.log"
fi
for k in $kernels; do
	check "$k: purged: no evstream.ko left in /lib/modules/$k" sh -c \
		"! find '$root/lib/modules/$k' -name 'evstream.ko*' | grep -q ."
done
check "purged: nothing left in /usr/src, /var/lib/dkms, /etc/evstream" sh -c \
	"! ls -d '$root'/usr/src/evstream-* '$root/var/lib/dkms/evstream' '$root/etc/evstream' 2>/dev/null | grep -q ."
finish
