#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the benchmark in QEMU at each SMP in $SMP (default 4), then print the
# table and write out/bench.json and out/bench.svg. PIN=1 pins vCPU n's
# thread to host CPU n modulo their number (see README).
#
# JL=1 measures the CONFIG_JUMP_LABEL=y kernel instead (make initramfs-jl),
# under single-threaded TCG as its tests run (configs/base.config):
# the vCPUs take turns on one host thread, so only its ratios within the
# boot mean anything, such as what patching the parked key in costs a park.
# Its results go to out/bench-jl*.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SMP=${SMP:-4}
REPS=${REPS:-11}
JL=${JL:-}
sfx=
if [ -n "$JL" ]; then
	[ -z "${PIN:-}" ] || die "PIN=1 needs a host thread per vCPU; JL=1 runs them on one"
	sfx=-jl
fi
files=
for smp in $SMP; do
	step "benchmark in QEMU, -smp $smp ($REPS reps${JL:+, CONFIG_JUMP_LABEL=y, single-threaded TCG})"
	rm -f "$OUT/bench$sfx-smp$smp.json"
	python3 "$REPO/scripts/qemu-run.py" --job bench --smp "$smp" ${PIN:+--pin} ${JL:+--jump-label} \
		--append "bench_reps=$REPS ${BENCH_APPEND:-}" \
		--log "$OUT/logs/qemu-bench$sfx-smp$smp.log" --json "$OUT/bench$sfx-smp$smp.json"
	files="$files $OUT/bench$sfx-smp$smp.json"
done
step "results"
python3 "$REPO/scripts/bench-report.py" $files --json "$OUT/bench$sfx.json" --svg "$OUT/bench$sfx.svg"
