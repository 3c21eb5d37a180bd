#!/bin/sh
# scripts/kernel.sh against made-up /boot and /lib/modules trees: which
# kernel each KVER/KFLAVOUR picks, and what it says when a half is
# missing.  TAP on stdout.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export EVS_BOOT_DIR=$tmp/boot EVS_MODULES_DIR=$tmp/modules
mkdir -p "$EVS_BOOT_DIR" "$EVS_MODULES_DIR"
n=0
fails=0

# kernel: image and headers, image only, or headers only.
kernel()
{
	case $2 in
	both | image) : >"$EVS_BOOT_DIR/vmlinuz-$1" ;;
	esac
	case $2 in
	both | headers) mkdir -p "$EVS_MODULES_DIR/$1/build" ;;
	esac
}

# expect NAME WANT-STATUS WANT-OUTPUT-PATTERN ENV... -- ARGS
expect()
{
	name=$1 want_rc=$2 want=$3
	shift 3
	envs=""
	while [ "$1" != -- ]; do
		envs="$envs $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	out=$(env -u KVER -u KFLAVOUR $envs "$top/scripts/kernel.sh" "$@" 2>&1)
	rc=$?
	n=$((n + 1))
	if [ "$rc" -eq "$want_rc" ] && printf '%s\n' "$out" | grep -qE -- "$want"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "# status $rc, output:"
		printf '%s\n' "$out" | sed 's/^/#   /'
		fails=$((fails + 1))
	fi
}

echo "TAP version 13"
echo "1..13"
kernel 6.1.0-50-amd64 both
kernel 6.1.0-57-amd64 both
kernel 6.1.0-57-rt-amd64 both
kernel 6.12.107+deb12-amd64 both
kernel 6.12.117+deb12-amd64 both
kernel 6.12.117+deb12-rt-amd64 both
kernel 6.12.117+deb12-cloud-amd64 both
# Newer, but half installed: never picked by default.
kernel 6.12.118+deb12-amd64 headers
kernel 6.1.0-58-amd64 image

expect "default: newest usable generic kernel" 0 '^6\.12\.117\+deb12-amd64$' -- release
expect "default skips a kernel with headers only, and says why" 0 \
	'skipping 6\.12\.118\+deb12-amd64: apt-get install linux-image-6\.12\.118\+deb12-amd64' -- release
expect "KVER=6.1 is the newest usable 6.1, not a 6.12" 0 '^6\.1\.0-57-amd64$' KVER=6.1 -- release
expect "KFLAVOUR=rt picks the RT kernel" 0 '^6\.12\.117\+deb12-rt-amd64$' KFLAVOUR=rt -- release
expect "KVER=6.1 KFLAVOUR=rt" 0 '^6\.1\.0-57-rt-amd64$' KVER=6.1 KFLAVOUR=rt -- release
expect "a release by name" 0 '^6\.12\.107\+deb12-amd64$' KVER=6.12.107+deb12-amd64 -- release
expect "headers without image stops, naming the image package" 1 \
	'6\.12\.118\+deb12-amd64 is not usable: apt-get install linux-image-6\.12\.118\+deb12-amd64$' \
	KVER=6.12.118+deb12-amd64 -- release
expect "image without headers stops, naming the headers package" 1 \
	'6\.1\.0-58-amd64 is not usable: apt-get install linux-headers-6\.1\.0-58-amd64$' \
	KVER=6.1.0-58-amd64 -- release
expect "a series with no kernel names its packages" 1 \
	'no Linux 6\.6 kernel: apt-get install linux-image-6\.6-amd64 linux-headers-6\.6-amd64' \
	KVER=6.6 -- release
expect "matrix: the newest 6.1 and 6.12" 0 '^6\.1\.0-57-amd64 6\.12\.117\+deb12-amd64$' -- matrix
expect "matrix with KFLAVOUR=rt: both RT kernels" 0 \
	'^6\.1\.0-57-rt-amd64 6\.12\.117\+deb12-rt-amd64$' KFLAVOUR=rt -- matrix
expect "matrix with KVER: that kernel only" 0 '^6\.12\.117\+deb12-amd64$' KVER=6.12 -- matrix
rm -rf "$EVS_MODULES_DIR/6.1.0-57-rt-amd64"
expect "matrix stops when a series has only half a kernel" 1 \
	'6\.1\.0-57-rt-amd64 has only half of what is needed: apt-get install linux-headers-6\.1\.0-57-rt-amd64' \
	KFLAVOUR=rt -- matrix
[ "$fails" -eq 0 ]
