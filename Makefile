# SPDX-License-Identifier: GPL-2.0
#
# evstream top-level make targets.  `make` builds the module (kmod/) and
# the tools (user/); `make check` runs every test; `make demo` shows it
# working in a VM.  Kernel build options (W=1, C=1, V=1) pass through to
# kbuild.

# The kernel to build for and boot in the VM (scripts/kernel.sh): KVER a
# release or a series (6.1, 6.12), KFLAVOUR=rt for PREEMPT_RT; by default
# the running kernel, else the newest with headers and image installed.
# KDIR names a kernel build tree instead (the debug kernels do).
KVER	?=
KFLAVOUR ?=
export KVER KFLAVOUR
# Looked up once, when first needed: `make deps` must work without.
ifdef KDIR
KREL	= $(eval KREL := $(shell scripts/krelease.sh $(KDIR) 2>/dev/null))$(KREL)
else
KREL	= $(eval KREL := $(shell KVER='$(KVER)' KFLAVOUR='$(KFLAVOUR)' \
		 scripts/kernel.sh release 2>/dev/null))$(KREL)
KDIR	= /lib/modules/$(KREL)/build
endif
BUILD	:= build
KSRC	:= $(BUILD)/ksrc
# The YNL schemas docs/evstream.yaml is validated against, from 6.12.
KSRC_YNL := $(BUILD)/ksrc-6.12
YNL_SCHEMAS := $(addprefix Documentation/netlink/,genetlink.yaml \
		genetlink-c.yaml genetlink-legacy.yaml)
# What is built for and run on one kernel: builds for several kernels
# sit side by side.
KOUT	= $(BUILD)/kernel/$(KREL)

# Host compiler flags for the tests (the tools set their own in user/).
HOST_CFLAGS := -O1 -g -Wall -Wextra -Werror -std=gnu11 \
	-Iinclude/uapi -Iinclude -Iuser/lib -isystem $(KSRC)/tools/testing/selftests
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

UNIT_TESTS	:= $(patsubst selftests/unit/%.c,$(BUILD)/unit/%, \
			$(wildcard selftests/unit/*_test.c))
# Run in this order in the VM; module_test unloads and reloads the module.
KSELFTESTS	:= $(BUILD)/kselftest/control_test $(BUILD)/kselftest/netlink_test \
		   $(BUILD)/kselftest/datapath_test $(BUILD)/kselftest/conn_test \
		   $(BUILD)/kselftest/memcg_test \
		   selftests/kernel/evctl_test.sh selftests/kernel/evctl_ops_test.sh \
		   selftests/kernel/evctl_save_test.sh \
		   selftests/kernel/evctl_reload_test.sh \
		   selftests/kernel/evload_test.sh \
		   selftests/kernel/tap.sh $(BUILD)/kselftest/teardown_test \
		   user/tests/json_keys.sh docs/json.md \
		   $(BUILD)/kselftest/fault_test \
		   $(BUILD)/kselftest/nl_fuzz $(BUILD)/kselftest/wire_fuzz \
		   $(BUILD)/kselftest/stress_test \
		   $(BUILD)/kselftest/module_test
KSELFTEST_BINS	:= $(filter $(BUILD)/%,$(KSELFTESTS))
# jq lets the guest's tests check evctl's JSON with a real parser.
TOOLS		:= user/bin/evctl user/bin/evload user/bin/evsink
VM_TOOLS	:= $(TOOLS) $(shell command -v jq)

.PHONY: FORCE all module user deps lint unit fuzz kselftests initramfs fault-module \
	kernel-check kmods bench-module-copy kernels \
	vm-check check demo vm-shell install uninstall clean help bench \
	bench-run bench-module fuzz-run stress stress-run check-debug \
	check-debug-run modules_install sign dkms-source dkms-install \
	dkms-remove dkms-check packaging-check deb deb-check e2e-check

all: module user

help:
	@echo "make          build kmod/evstream.ko and the tools in user/bin/"
	@echo "make check    every test: lint, host unit tests, the VM kselftests on 6.1 and 6.12"
	@echo "make demo     boot a VM, load the module, show it working"
	@echo "make lint     checkpatch --strict over the C sources"
	@echo "make vm-check the VM kselftests on one kernel (KVER)"
	@echo "make vm-shell boot the test VM with a shell on the console"
	@echo "make install  evctl, evload, man page, completion (PREFIX, DESTDIR)"
	@echo "make modules_install  the module into /lib/modules/KREL/extra (INSTALL_MOD_PATH, DESTDIR)"
	@echo "make dkms-install     the module under DKMS, for every kernel (dkms-remove undoes it)"
	@echo "make deb      the Debian packages evstream-dkms and evstream-tools, into build/deb/"
	@echo "make e2e-check  the packages installed in a scratch Debian root, booted with systemd in the VM"
	@echo "make sign KEY=... CERT=...  sign kmod/evstream.ko with the kernel's sign-file"
	@echo "make bench    the benchmark suite; results as in docs/perf.md:"
	@echo "              BENCH_MODE=det|par|both (both), BENCH_QUICK=1, BENCH_REPS,"
	@echo "              BENCH_BOOTS (det, 2), BENCH_LOCK=FILE (flock for par)"
	@echo "make fuzz     host and VM fuzzers, FUZZ_TIME s each (now $(FUZZ_TIME))"
	@echo "make stress   the stress suite at full size in the VM"
	@echo "make check-debug  every kselftest on KASAN/lockdep/kmemleak kernels"
	@echo "make kernels  the kernels installed, and which ones make check uses"
	@echo "KVER=...      a release or a series (6.1, 6.12) (now $(KREL))"
	@echo "KFLAVOUR=rt   build for and test on Debian's PREEMPT_RT kernels"
	@echo "KDIR=...      a kernel build tree instead of KVER"

kernels:
	@scripts/kernel.sh list
	@echo "make check runs on: $$(scripts/kernel.sh matrix)"
	@echo "a single build or VM run uses: $$(scripts/kernel.sh release)"

deps:
	@scripts/deps.sh

# Stops with what to install when no kernel is usable.
kernel-check:
	@[ -n "$(KREL)" ] || { scripts/kernel.sh release >/dev/null; exit 1; }

# kbuild and user/Makefile know their own dependencies: always ask them.
module kmod/evstream.ko: kernel-check FORCE
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

user user/lib/libevs.a $(TOOLS): FORCE
	$(MAKE) -C user

$(KSRC)/.stamp: scripts/ksrc.sh
	scripts/ksrc.sh $(KSRC)
	@touch $@

$(KSRC_YNL)/.stamp: scripts/ksrc.sh
	scripts/ksrc.sh $(KSRC_YNL) 6.12 $(YNL_SCHEMAS)
	@touch $@

lint: $(KSRC)/.stamp
	@scripts/lint.sh $(KSRC)

$(BUILD)/unit/%: selftests/unit/%.c $(KSRC)/.stamp $(wildcard include/evstream/*.h) \
		include/uapi/linux/evstream.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -o $@ $< -lpthread

# spec_test checks the UAPI header against docs/evstream.yaml and the docs,
# and the spec against the kernel's YNL schema; spec_schema_test feeds
# it broken copies of the spec.
unit: $(UNIT_TESTS) $(KSRC_YNL)/.stamp
	@scripts/run-unit.sh $(UNIT_TESTS) selftests/unit/spec_test.sh \
		selftests/unit/spec_schema_test.sh \
		selftests/unit/kernel_select_test.sh selftests/unit/vm_run_test.sh

# FUZZ_TIME seconds per target, on the host and in the VM; make check
# runs a short pass of each.
FUZZ_TIME ?= 60
fuzz: deps
	@$(MAKE) -s fuzz-run

fuzz-run: $(TOOLS) $(BUILD)/kselftest/nl_fuzz $(BUILD)/kselftest/wire_fuzz
	@scripts/suite.sh fuzz $(FUZZ_TIME)

# The stress suite at full size (EVS_STRESS_SCALE, EVS_STRESS_ROUNDS);
# make check runs it small.
stress: deps
	@$(MAKE) -s stress-run

stress-run: $(TOOLS) $(BUILD)/kselftest/stress_test
	@scripts/suite.sh stress

# Every kselftest on debug kernels (KASAN, lockdep, kmemleak, ...), built
# once from linux-source-6.1 and -6.12 (KVER=6.1 or 6.12: one of them)
# and cached in ~/.cache/evstream/.
check-debug:
	@scripts/deps.sh debug
	@$(MAKE) -s check-debug-run

check-debug-run: $(TOOLS) kselftests
	@scripts/suite.sh debug $(KSELFTESTS)

$(BUILD)/kselftest/%: selftests/kernel/%.c $(wildcard selftests/kernel/*.h) \
		$(KSRC)/.stamp user/lib/libevs.a include/uapi/linux/evstream.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $< user/lib/libevs.a -lmnl -lpthread

kselftests: $(KSELFTEST_BINS)

# The module, its test build with fault injection (kmod/fault.h) and the
# benchmark module for one kernel, each built in a copy of the sources
# under $(KOUT), so that the tree's own kmod/ stays as `make` left it.
KO	= $(KOUT)/evstream.ko
FAULT_KO = $(KOUT)/evstream-fault.ko
BENCH_KO = $(KOUT)/evs_bench.ko

# $(call kbuild_copy,DIR,KBUILD-ARGS,MODULE-DIR): sources (no build
# output) copied to DIR, then built there.
define kbuild_copy
	@mkdir -p $(1)
	@find Kbuild kmod include -type f \( -name '*.[ch]' -o -name 'Kbuild*' \
		-o -name Makefile \) | tar -cf - -T - | tar -xf - -C $(1)
	$(MAKE) -C $(KDIR) M=$(abspath $(1)/$(3)) $(2) modules
endef

kmods: $(KO) $(FAULT_KO)

$(KO): kernel-check FORCE
	$(call kbuild_copy,$(KOUT)/mod,,)
	cp $(KOUT)/mod/kmod/evstream.ko $@

fault-module $(FAULT_KO): kernel-check FORCE
	$(call kbuild_copy,$(KOUT)/fault,EVS_FAULT=y,)
	cp $(KOUT)/fault/kmod/evstream.ko $(FAULT_KO)

bench-module-copy $(BENCH_KO): kernel-check FORCE
	$(call kbuild_copy,$(KOUT)/bench,,kmod/bench)
	cp $(KOUT)/bench/kmod/bench/evs_bench.ko $(BENCH_KO)

initramfs: $(KO) $(FAULT_KO) $(TOOLS) kselftests
	EVS_VM_KREL=$(KREL) selftests/vm/mkinitramfs.sh $(KOUT)/initramfs.cpio.gz \
		$(KO),$(FAULT_KO) $(VM_TOOLS) -- $(KSELFTESTS)

# The fuzzers and the stress suite run small here (make fuzz, make stress
# run them long); the guest gets these as environment variables.
VM_CHECK_ENV ?= EVS_FUZZ_SECS=15 EVS_STRESS_QUICK=1

# Fails when the guest does not finish or any test says "not ok".  The
# console log and results go to $(KOUT)/$(VM_OUT).
VM_OUT ?= check
vm-check: initramfs
	@EVS_VM_APPEND="$(VM_CHECK_ENV) $(EVS_VM_APPEND)" selftests/vm/run.sh \
		$(KREL) $(KOUT)/initramfs.cpio.gz check $(KOUT)/$(VM_OUT)

vm-shell: initramfs
	selftests/vm/run.sh $(KREL) $(KOUT)/initramfs.cpio.gz shell $(KOUT)/shell

check: deps
	@scripts/check.sh

demo: deps
	@$(MAKE) -s initramfs >/dev/null
	@echo "== evstream demo: Debian $(KREL) under QEMU =="
	@selftests/vm/run.sh $(KREL) $(KOUT)/initramfs.cpio.gz demo $(KOUT)/demo

# The in-kernel micro-benchmarks: a module of their own, never part of
# evstream.ko.
bench-module kmod/bench/evs_bench.ko: kernel-check FORCE
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod/bench modules

# After deps, in a new make: on a fresh machine KDIR only exists then.
bench: deps
	@$(MAKE) bench-run

# bench/run.sh reads its knobs from the environment (BENCH_MODE,
# BENCH_QUICK, BENCH_REPS, BENCH_BOOTS, BENCH_LOCK, BENCH_APPEND, BENCH_OUT).
export BENCH_MODE BENCH_QUICK BENCH_REPS BENCH_BOOTS BENCH_LOCK BENCH_APPEND BENCH_OUT
bench-run: all bench-module
	$(MAKE) -C bench/micro
	@bench/run.sh $(KREL)

# evctl, evload, the man page and bash completion (PREFIX, DESTDIR); the
# module itself installs with the kernel's own modules_install.
install uninstall:
	$(MAKE) -C user $@

# kmod/evstream.ko, as `make` built it for KREL (MODULE_DIR: the tree it
# was built in), by kbuild's own modules_install (which compresses it as
# that kernel's modules are) into
# $(INSTALL_MOD_PATH)/lib/modules/$(KREL)/extra/; DESTDIR means the same
# as INSTALL_MOD_PATH.  extra/ on every kernel (6.1's default, where 6.12
# would say updates/): evstream overrides no module of the kernel's own,
# and DKMS's copy in updates/dkms/ comes first.  depmod runs for the real
# root, and for INSTALL_MOD_PATH only with RUN_DEPMOD=1 (depmod -b).
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR ?= extra
RUN_DEPMOD ?=
MODULE_DIR ?= $(CURDIR)
modules_install: kernel-check
	@MAKE='$(MAKE)' scripts/modules-install.sh '$(KDIR)' '$(KREL)' \
		'$(abspath $(INSTALL_MOD_PATH))' '$(INSTALL_MOD_DIR)' '$(RUN_DEPMOD)' \
		'$(MODULE_DIR)'

# Signs a built module (kmod/evstream.ko, or SIGN_MODULE) with the
# kernel's sign-file (scripts/sign.sh): KEY a private key (PEM, or a
# pkcs11: URI), CERT its X.509 certificate (PEM or DER; KEY itself when
# it holds both).  KBUILD_SIGN_PIN is the key's passphrase, if it has one.
SIGN_MODULE ?= kmod/evstream.ko
SIGN_HASH ?= sha256
SIGN_FILE ?= $(KDIR)/scripts/sign-file
sign: kernel-check
	@scripts/sign.sh '$(SIGN_FILE)' '$(SIGN_HASH)' '$(KEY)' '$(or $(CERT),$(KEY))' \
		'$(SIGN_MODULE)'

# DKMS (packaging/dkms/, scripts/dkms.sh), as root: the sources into
# /usr/src/evstream-VERSION, then dkms add, build and install for every
# kernel with headers and image (KVER: that one; DKMS_KERNELS: a list);
# dkms builds it for every kernel installed later.  dkms-source lays the
# tree out under DESTDIR only (packages).
EVS_VERSION = $(shell scripts/version.sh)
DKMS_KERNELS ?= $(if $(KVER),$(KREL))
dkms-source:
	@scripts/dkms.sh source '$(DESTDIR)/usr/src/evstream-$(EVS_VERSION)'

dkms-install: $(if $(KVER),kernel-check)
	@scripts/dkms.sh install $(DKMS_KERNELS)

dkms-remove:
	@scripts/dkms.sh remove

# DKMS builds on the newest usable 6.1 and 6.12 (KVER: one kernel), in
# scratch trees.
dkms-check: $(if $(KVER),kernel-check)
	@packaging/tests/dkms_test.sh $(if $(KVER),$(KREL))

# The Debian packages (debian/, scripts/deb.sh): evstream-dkms and
# evstream-tools, built by dpkg-buildpackage from a copy of the tree, into
# build/deb/.  deb-check builds them, runs lintian and installs them into
# a scratch root (packaging/tests/deb_test.sh); it builds no module.
deb:
	@scripts/deb.sh

deb-check:
	@packaging/tests/deb_test.sh

# Issue 15's "done when" on a scratch Debian 12 root: make deb, both
# packages installed by dpkg in a chroot (DKMS builds the module for the
# 6.1 and 6.12 headers there), the root booted with systemd in the VM on
# each kernel, evstream.service applying /etc/evstream/evstream.conf,
# evctl save through a module reload, promtool on the metrics
# (packaging/tests/e2e_test.sh).  The root is cached in ~/.cache/evstream/.
e2e-check: deps
	@packaging/tests/e2e_test.sh

# make sign and make modules_install on the module built for KREL, then
# dkms-check.
packaging-check: $(KO)
	@packaging/tests/sign_test.sh $(KO) $(KREL)
	@packaging/tests/modules_install_test.sh $(KREL) $(KOUT)/mod
	@$(MAKE) -s dkms-check

FORCE:

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod/bench clean
	$(MAKE) -C user clean
	rm -rf $(BUILD)
