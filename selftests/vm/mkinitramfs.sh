#!/bin/sh
# Packs the test VM's initramfs: busybox, the module, the tools with the
# shared libraries they load, the kselftest binaries and the VM scripts.
#
# usage: mkinitramfs.sh OUT.cpio.gz MODULES.ko TOOLS... -- TESTS...
# MODULES (comma-separated, the first is evstream.ko) land in
# /lib/modules, TOOLS in /usr/bin, TESTS in /tests; those named *_test
# or *_test.sh or *_fuzz run, in the order given, the rest are files
# they use.
#
# EVS_VM_KREL names the Debian kernel the VM boots: the kernel modules
# the tests need that it builds as modules (veth) come from its
# /lib/modules, decompressed, into /lib/modules/kernel/, which the
# guest loads at boot.  Unset for a kernel built with them in (the
# debug kernels).
set -eu
out=$1
module=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)

tools=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	tools="$tools $1"
	shift
done
[ $# -gt 0 ] && shift
tests="$*"

root=$(mktemp -d "${TMPDIR:-/tmp}/evs-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
# mktemp made it 0700: the guest's unprivileged tests must reach /proc.
chmod 755 "$root"
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
	"$root/lib/modules" "$root/tests" "$root/vm" "$root/proc" \
	"$root/sys" "$root/dev" "$root/tmp" "$root/run" "$root/etc"

busybox=$(command -v busybox || echo /bin/busybox)
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked' &&
   ! ldd "$busybox" 2>&1 | grep -q 'not a dynamic executable'; then
	echo "mkinitramfs: $busybox is not static: install busybox-static" >&2
	exit 1
fi
cp "$busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
cp "$here/check.sh" "$here/demo.sh" "$here/lib.sh" \
	"$here/../../bench/vm-bench.sh" "$root/vm/"
for m in $(echo "$module" | tr , ' '); do
	cp "$m" "$root/lib/modules/"
done
if [ -n "${EVS_VM_KREL:-}" ]; then
	mkdir -p "$root/lib/modules/kernel"
	for m in veth; do
		f=$(modinfo -k "$EVS_VM_KREL" -n "$m" 2>/dev/null) || {
			echo "mkinitramfs: no module $m for $EVS_VM_KREL" >&2
			exit 1
		}
		case $f in
		*.ko) cp "$f" "$root/lib/modules/kernel/$m.ko" ;;
		*.ko.xz) xz -dc "$f" >"$root/lib/modules/kernel/$m.ko" ;;
		*.ko.zst) zstd -dcq "$f" >"$root/lib/modules/kernel/$m.ko" ;;
		*.ko.gz) gzip -dc "$f" >"$root/lib/modules/kernel/$m.ko" ;;
		(builtin) ;;
		*) echo "mkinitramfs: $m: cannot load $f" >&2; exit 1 ;;
		esac
	done
fi
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
echo "nogroup:x:65534:" >>"$root/etc/group"

# Copies a dynamic executable's libraries (and the loader) to the root.
copy_libs()
{
	ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }' |
	while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

for t in $tools; do
	cp "$t" "$root/usr/bin/"
	copy_libs "$t"
done
: >"$root/tests/list"
for t in $tests; do
	cp "$t" "$root/tests/"
	copy_libs "$t"
	case $t in
	*_test | *_test.sh | *_fuzz) basename "$t" >>"$root/tests/list" ;;
	esac
done
chmod +x "$root/init" "$root"/vm/*.sh

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) |
	gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
