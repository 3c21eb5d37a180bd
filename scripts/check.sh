#!/bin/sh
# `make check`: every stage a change must pass, as one TAP stream, ending
# with "N passed, N failed".  Stages run even after an earlier one failed
# (when they can), so one run shows everything that is wrong.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mkdir -p build
tap=build/check.tap
: >"$tap"
MAKE=${MAKE:-make}

# stage NAME COMMAND...: runs a command whose output is TAP.
stage()
{
	name=$1
	shift
	echo "# == $name =="
	"$@" 2>&1 | tee -a "$tap"
}

# step NAME COMMAND...: one TAP line for a command that is not TAP itself;
# its output is shown only when it fails.
step()
{
	name=$1
	shift
	if out=$("$@" 2>&1); then
		echo "ok - $name" | tee -a "$tap"
	else
		echo "not ok - $name" | tee -a "$tap"
		echo "$out" | tail -n 40 | sed 's/^/# /'
	fi
}

# A build whose output shows any compiler or sparse warning fails.
warning_free()
{
	out=$("$@" 2>&1)
	rc=$?
	echo "$out"
	[ $rc -eq 0 ] || return 1
	! echo "$out" | grep -E 'warning:|error:|sparse: '
}

echo "TAP version 13"
# The host part once, then every kernel's builds and VM suite.
step "tools build with -Wall -Wextra -Werror" $MAKE -s user
stage lint $MAKE -s lint
stage "host unit tests (ASan+UBSan)" $MAKE -s unit
stage "userspace tests (ASan+UBSan)" $MAKE -s -C user SANITIZE=1 check
stage "short fuzz pass" scripts/fuzz.sh 15
# dkms itself, into scratch trees, on the kernels of the matrix below.
step "DKMS: make dkms-install builds the module for 6.1 and 6.12, dkms-remove removes it" \
	$MAKE -s dkms-check
# make deb, lintian, both packages unpacked into a scratch root.
step "Debian packages: make deb builds evstream-dkms and evstream-tools, lintian-clean, files in place" \
	$MAKE -s deb-check
# Both packages installed in a scratch Debian 12 root, DKMS building the
# module for the matrix's kernels there, the root booted with systemd on
# each (make e2e-check; the root is cached in ~/.cache/evstream/).
stage "end to end: the packages in a scratch Debian root, booted with systemd" \
	packaging/tests/e2e_test.sh

if ! kernels=$(scripts/kernel.sh matrix 2>build/kernels.err); then
	echo "not ok - kernels to test on: $(cat build/kernels.err)" | tee -a "$tap"
	kernels=""
fi
for k in $kernels; do
	echo "# == Linux $k ==" | tee -a "$tap"
	step "$k: module builds with W=1 and sparse (C=1), no warnings" \
		warning_free $MAKE -s KVER="$k" W=1 C=1 "build/kernel/$k/evstream.ko"
	# Both on what the step above built, in build/kernel/$k/mod.
	step "$k: make sign signs the module, with a throwaway key" \
		packaging/tests/sign_test.sh "build/kernel/$k/evstream.ko" "$k"
	step "$k: make modules_install honours INSTALL_MOD_PATH and DESTDIR" \
		packaging/tests/modules_install_test.sh "$k" "build/kernel/$k/mod"
	step "$k: benchmark module builds with W=1 and sparse (C=1), no warnings" \
		warning_free $MAKE -s KVER="$k" W=1 C=1 bench-module-copy
	step "$k: fault-injection test build with W=1 and sparse (C=1), no warnings" \
		warning_free $MAKE -s KVER="$k" W=1 C=1 fault-module
	# Same flags: the VM run reuses what the steps above built.
	stage "VM kselftests on $k" $MAKE -s KVER="$k" W=1 C=1 vm-check
	# Slab debugging pads every object: the memory the cgroup sees
	# matches what the module counts only on the kernel as shipped.
	stage "VM memory budget on $k, without slab debugging" \
		$MAKE -s KVER="$k" W=1 C=1 VM_OUT=check-nodebug \
		KSELFTESTS="build/kselftest/memcg_test selftests/kernel/slab_classes_test.sh selftests/kernel/tap.sh" \
		EVS_VM_APPEND="slub_debug=-" vm-check
done

pass=$(grep -cE '^(# )*ok ' "$tap")
fail=$(grep -cE '^(# )*not ok ' "$tap")
# Each failure with the kernel it happened on.
awk '/^# == Linux / { k = $4 } /^(# )*not ok / { print "# failed" (k ? " on " k : "") ": " $0 }' "$tap"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
