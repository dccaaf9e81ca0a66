# SPDX-License-Identifier: GPL-2.0
#
# cpu-proxy: processor proxies and parallel hotplug for Linux 6.12.
#
#   make demo    set up, build the patched kernel, boot it, run the benchmark
#   make check   set up, host tests, build, every QEMU test
#
# Outputs and logs go to out/ (ignored by git).

SMP ?= 4
DEMO_SMP ?= 4 8
CHECK_SMP ?= 4 8/sockets=2,cores=2,threads=2
CHECK_JL_SMP ?= 4
REPS ?= 11

.PHONY: all demo check setup kernel initramfs host-test qemu-test bench \
	anatomy series series-check soak shell lint build-noproxy initramfs-jl \
	qemu-test-jl initramfs-debug qemu-test-debug sloc clean distclean

all: check

demo: initramfs
	SMP="$(DEMO_SMP)" REPS=$(REPS) bash scripts/bench.sh

CHECK_DEBUG ?= 1

check:
	CHECK_SMP="$(CHECK_SMP)" CHECK_JL_SMP="$(CHECK_JL_SMP)" CHECK_DEBUG="$(CHECK_DEBUG)" \
		bash scripts/check.sh

setup:
	bash scripts/setup.sh

kernel: setup
	bash scripts/kernel.sh

initramfs: kernel
	bash scripts/initramfs.sh

host-test:
	cd host && cargo test
	python3 scripts/test_qemu_run.py

qemu-test: initramfs
	python3 scripts/qemu-run.py --job test --smp $(SMP) \
		--log out/logs/qemu-test-smp$(SMP).log \
		--expect out/kselftest/kselftest-list.txt

# The kernel with CONFIG_JUMP_LABEL=y and its initramfs (out/bzImage-jl,
# out/initramfs-jl.cpio.gz), for make qemu-test-jl, bench JL=1, soak JL=1.
initramfs-jl: initramfs
	JUMP_LABEL=1 bash scripts/kernel.sh
	JUMP_LABEL=1 bash scripts/initramfs.sh

# The kselftests on the kernel with CONFIG_JUMP_LABEL=y, under
# single-threaded TCG: configs/base.config says why (and qemu-run.py
# which case may skip there).
qemu-test-jl: initramfs-jl
	python3 scripts/qemu-run.py --job test --smp $(SMP) --jump-label --append TEXT_POKE=1 \
		--log out/logs/qemu-test-jl-smp$(SMP).log \
		--expect out/kselftest/kselftest-list.txt

# The lockdep kernel (configs/debug.config) and its initramfs, and the
# kselftests on it, as the lockdep lane of make check runs them.
initramfs-debug: initramfs
	DEBUG=1 bash scripts/kernel.sh
	DEBUG=1 bash scripts/initramfs.sh

qemu-test-debug: initramfs-debug
	python3 scripts/qemu-run.py --job test --smp $(SMP) \
		--kernel out/bzImage-debug --initrd out/initramfs-debug.cpio.gz \
		--append "CYCLES=200 MASK_CYCLES=60 NO_TIMING=1" --timeout 1800 \
		--log out/logs/qemu-test-debug-smp$(SMP).log \
		--expect out/kselftest/kselftest-list.txt

bench: initramfs $(if $(JL),initramfs-jl)
	SMP="$(SMP)" REPS=$(REPS) PIN="$(PIN)" JL="$(JL)" bash scripts/bench.sh

# Long runs, not part of make check: every kselftest with the stress
# tests at SOAK_CYCLES cycles, at each size in SOAK_SMP (N, or
# N/topology as in CHECK_SMP). JL=1: on the CONFIG_JUMP_LABEL=y kernel,
# as its lane of make check runs it.
SOAK_SMP ?= 8 16/sockets=2,cores=4,threads=2
SOAK_CYCLES ?= 10000
soak: initramfs $(if $(JL),initramfs-jl)
	for lane in $(SOAK_SMP); do \
		smp=$${lane%%/*}; \
		python3 scripts/qemu-run.py --job test --smp $$lane --timeout 14400 \
			$(if $(JL),--jump-label) \
			--append "CYCLES=$(SOAK_CYCLES) kselftest_override_timeout=14000 $(if $(JL),TEXT_POKE=1)" \
			--log out/logs/qemu-soak$(if $(JL),-jl)-smp$$smp.log \
			--expect out/kselftest/kselftest-list.txt || exit 1; \
	done

# Which cpuhp callbacks a native offline/online runs, with their times.
anatomy: initramfs
	python3 scripts/qemu-run.py --job anatomy --smp $(SMP) \
		--log out/logs/qemu-anatomy.log --out out/anatomy.txt
	python3 scripts/anatomy-report.py out/anatomy.txt

# An interactive guest shell on the serial console (exit with Ctrl-A X).
shell: initramfs
	qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp $(SMP) -m 1024 \
		-nographic -no-reboot -kernel out/bzImage -initrd out/initramfs.cpio.gz \
		-append "console=ttyS0 panic=-1 job=shell"

# The series with CONFIG_CPU_PROXY=n, bzImage only, in out/build-noproxy:
# it must build with the feature off (make check runs it too).
build-noproxy: setup
	NOPROXY=1 bash scripts/kernel.sh

# The whole change as a git format-patch series in out/series/patches/.
series: setup
	bash scripts/series.sh

# Build every commit of that series in order (it must bisect): slow, not
# part of make check. FROM=N resumes at the Nth commit.
series-check: setup
	bash scripts/series-check.sh

lint: kernel
	bash scripts/lint.sh

# Non-comment lines of C and Rust in the mechanism, and its long C functions.
sloc:
	python3 scripts/sloc.py

clean:
	rm -rf out/build out/initramfs out/kselftest out/results out/logs \
		out/bzImage out/initramfs.cpio.gz out/build-jl out/initramfs-jl \
		out/bzImage-jl out/initramfs-jl.cpio.gz out/modules-jl \
		out/build-debug out/initramfs-debug out/bzImage-debug \
		out/initramfs-debug.cpio.gz out/modules-debug out/series \
		out/build-series
	cd host && cargo clean

distclean:
	rm -rf out host/target
