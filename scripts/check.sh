#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every test: host cargo tests, then the kselftests in QEMU at each SMP in
# $CHECK_SMP. Ends with one line "N passed, N failed" over all of them,
# and fails if anything failed or did not run. Gates that are not counted
# as tests: lint, and a build with CONFIG_CPU_PROXY=n.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# A lane is "N" or "N/topology": -smp N with that QEMU topology, so that
# the scheduler's SMT, core and package domains are exercised, not only
# one flat level.
CHECK_SMP=${CHECK_SMP:-"4 8/sockets=2,cores=2,threads=2"}
CHECK_JL_SMP=${CHECK_JL_SMP-4}
# The lockdep lane (configs/debug.config); empty to skip it.
CHECK_DEBUG=${CHECK_DEBUG-1}
export CHECK_T0=${CHECK_T0:-$(date +%s)}
RES=$OUT/results
rm -rf "$RES"; mkdir -p "$RES" "$OUT/logs"
status=0

set -e
bash "$REPO/scripts/setup.sh"
set +e

# host_tests NAME LOG COUNT RAN CMD...: runs CMD, output to out/logs/LOG;
# the awk program COUNT prints "passed failed" from the log into
# $RES/NAME, and a log without the line RAN (a build that did not get to
# run its tests) counts as one failure.
host_tests() {
	local name=$1 log=$2 count=$3 ran=$4

	shift 4
	if "$@" >"$OUT/logs/$log" 2>&1; then
		note "log: out/logs/$log"
	else
		status=1
		tail -n 40 "$OUT/logs/$log"
		echo "full log: $OUT/logs/$log"
	fi
	awk "$count" "$OUT/logs/$log" >"$RES/$name"
	grep -q "$ran" "$OUT/logs/$log" || echo "0 1" >"$RES/$name"
	note "$name: $(awk '{ print $1 " passed, " $2 " failed" }' "$RES/$name")"
}

step "host tests: cargo test (rust/proxy pure logic, loom model of the protocol)"
# "test result: ok. P passed; F failed; I ignored; ...", one line for
# each test binary, all of them run (--no-fail-fast): an ignored test did
# not run, and counts as failed.
host_tests host cargo-test.log \
	'/^test result:/ { p += $4; f += $6 + $8 } END { print p + 0, f + 0 }' \
	'^test result:' sh -c 'cd "$1" && cargo test --quiet --no-fail-fast' - "$REPO/host"

step "host tests: python3 (the QEMU runner's reading of the console)"
# unittest ends with "Ran N tests", then "OK" or "FAILED", each with its
# counts in brackets ("OK (skipped=S)", "FAILED (failures=F, errors=E)"):
# the failed are F + E, and the skipped and unexpected successes too (a
# test that did not run did not pass; an expected failure passed). The
# last summary counts; a run with neither line failed.
host_tests host-py py-test.log \
	'/^Ran [0-9]+ test/ { n = $2; ok = f = 0 }
	 /^(OK|FAILED)( |$)/ { ok = $1 == "OK"; k = split($0, w, /[(=, )]+/)
		for (i = 2; i < k; i++)
			if (w[i] ~ /^(failures|errors|skipped|successes)$/ && w[i - 1] != "expected")
				f += w[i + 1] }
	 END { if (!ok && !f) f = 1; print (n > f ? n - f : 0), f + 0 }' \
	'^Ran [0-9]* test' python3 "$REPO/scripts/test_qemu_run.py" -v

if bash "$REPO/scripts/kernel.sh" && bash "$REPO/scripts/initramfs.sh"; then
	# Style gates (checkpatch --strict, rustfmtcheck, clippy) fail the
	# check but are not counted as tests.
	bash "$REPO/scripts/lint.sh" >"$OUT/logs/lint.log" 2>&1 ||
		{ status=1; cat "$OUT/logs/lint.log"; }
	note "lint: $(tail -n 1 "$OUT/logs/lint.log")"
	# lint's clippy pass leaves the Rust object to be rebuilt by rustc.
	bash "$REPO/scripts/kernel.sh" >/dev/null || status=1
	for lane in $CHECK_SMP; do
		smp=${lane%%/*}
		step "kselftests in QEMU, -smp $lane"
		# -smp 8 takes 6-7 min here; room for a machine twice as slow.
		python3 "$REPO/scripts/qemu-run.py" --job test --smp "$lane" \
			--timeout 1800 --log "$OUT/logs/qemu-test-smp$smp.log" \
			--expect "$OUT/kselftest/kselftest-list.txt" \
			--results "$RES/qemu-smp$smp" || status=1
	done
	# The jump-label lane: the kernel with CONFIG_JUMP_LABEL=y, where the
	# hooks are patched branches and parking patches text, under
	# single-threaded TCG (configs/base.config says why); its stress also
	# patches text while CPUs are parked (TEXT_POKE). Counted as tests.
	# One vCPU runs at a time there, so no NMI lands in the STI shadow
	# of a parked CPU's hlt: that case skips, as on hardware, and
	# qemu-run.py allows it under single-threaded TCG; the multi-threaded
	# lanes run it.
	if [ -n "$CHECK_JL_SMP" ] && ! { JUMP_LABEL=1 bash "$REPO/scripts/kernel.sh" &&
		JUMP_LABEL=1 bash "$REPO/scripts/initramfs.sh"; }; then
		status=1
		echo "0 1" >"$RES/build-jl"
	else
		for smp in $CHECK_JL_SMP; do
			step "kselftests in QEMU, -smp $smp, CONFIG_JUMP_LABEL=y, single-threaded TCG"
			python3 "$REPO/scripts/qemu-run.py" --job test --smp "$smp" \
				--jump-label --append TEXT_POKE=1 \
				--timeout 1800 --log "$OUT/logs/qemu-test-jl-smp$smp.log" \
				--expect "$OUT/kselftest/kselftest-list.txt" \
				--results "$RES/qemu-jl-smp$smp" || status=1
		done
	fi
	# Boots of the test kernel with a command line of their own, each
	# running the tests it concerns (counted as tests):
	# - nofsgsbase: parking is refused (EOPNOTSUPP), the park tests skip;
	# - clearcpuid=arat: a local APIC timer that stops in deep idle, and
	#   parking is refused;
	# - isolcpus=1: no proxy is an isolated CPU;
	# - a panic in a proxy's pass stops the machine (it must reboot).
	step "kselftests in QEMU, -smp 4, nofsgsbase: parking refused, park tests skip"
	python3 "$REPO/scripts/qemu-run.py" --job test --smp 4 --append nofsgsbase \
		--only cpu-proxy:sysfs_test,cpu-proxy:park_test,cpu-proxy:proxy_test,cpu-proxy:promise_test \
		--allow-skip cpu-proxy:park_test,cpu-proxy:proxy_test,cpu-proxy:promise_test \
		--timeout 600 --log "$OUT/logs/qemu-test-nofsgsbase.log" \
		--expect "$OUT/kselftest/kselftest-list.txt" \
		--results "$RES/qemu-nofsgsbase" || status=1
	step "kselftests in QEMU, -smp 4, clearcpuid=arat: parking refused"
	python3 "$REPO/scripts/qemu-run.py" --job test --smp 4 --append clearcpuid=arat \
		--only cpu-proxy:sysfs_test --timeout 600 \
		--log "$OUT/logs/qemu-test-noarat.log" \
		--expect "$OUT/kselftest/kselftest-list.txt" \
		--results "$RES/qemu-noarat" || status=1
	step "kselftests in QEMU, -smp 4, isolcpus=1: proxies are housekeeping CPUs"
	python3 "$REPO/scripts/qemu-run.py" --job test --smp 4 --append isolcpus=1 \
		--only cpu-proxy:proxy_test --timeout 600 \
		--log "$OUT/logs/qemu-test-isolcpus.log" \
		--expect "$OUT/kselftest/kselftest-list.txt" \
		--results "$RES/qemu-isolcpus" || status=1
	step "QEMU, -smp 4: a panic in a proxy's pass reboots the machine"
	if python3 "$REPO/scripts/qemu-run.py" --job panic --smp 4 --timeout 120 \
		--log "$OUT/logs/qemu-panic.log"; then
		echo "1 0" >"$RES/qemu-panic"
	else
		status=1
		echo "0 1" >"$RES/qemu-panic"
	fi
	# The lockdep lane: the test kernel with lockdep, RCU and object
	# debugging (configs/debug.config), every kselftest at -smp 4, the
	# stress shortened, time-sensitive checks off; its console must stay
	# as clean as the others'.
	if [ -n "$CHECK_DEBUG" ] && DEBUG=1 bash "$REPO/scripts/kernel.sh" &&
		DEBUG=1 bash "$REPO/scripts/initramfs.sh"; then
		step "kselftests in QEMU, -smp 4, lockdep kernel (PROVE_LOCKING, PROVE_RCU, DEBUG_OBJECTS)"
		python3 "$REPO/scripts/qemu-run.py" --job test --smp 4 \
			--kernel "$OUT/bzImage-debug" --initrd "$OUT/initramfs-debug.cpio.gz" \
			--append "CYCLES=200 MASK_CYCLES=60 NO_TIMING=1" \
			--timeout 1800 --log "$OUT/logs/qemu-test-debug-smp4.log" \
			--expect "$OUT/kselftest/kselftest-list.txt" \
			--results "$RES/qemu-debug-smp4" || status=1
	elif [ -n "$CHECK_DEBUG" ]; then
		status=1
		echo "0 1" >"$RES/build-debug"
	fi
	# A gate like lint: the series must build with CONFIG_CPU_PROXY=n,
	# its hooks compiled away (3.5-6 min here with a cold ccache).
	if NOPROXY=1 bash "$REPO/scripts/kernel.sh" >"$OUT/logs/build-noproxy-check.log" 2>&1; then
		note "build with CONFIG_CPU_PROXY=n: ok (out/build-noproxy)"
	else
		status=1
		tail -n 40 "$OUT/logs/build-noproxy-check.log"
		echo "build with CONFIG_CPU_PROXY=n FAILED; full log: $OUT/logs/build-noproxy-check.log"
	fi
else
	status=1
	echo "0 1" >"$RES/build"
fi

read -r passed failed < <(cat "$RES"/* | awk '{ p += $1; f += $2 } END { print p + 0, f + 0 }')
[ "$failed" -eq 0 ] || status=1
echo
if [ $status -eq 0 ]; then
	echo "${C_G}${C_B}check: all tests passed${C_0}"
else
	echo "${C_R}${C_B}check: FAILED (logs in out/logs/)${C_0}"
fi
t=$(($(date +%s) - CHECK_T0))
note "make check took $((t / 60)) min $((t % 60)) s"
echo "$passed passed, $failed failed"
exit $status
