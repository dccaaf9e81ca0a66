#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the benchmark in QEMU at each SMP in $SMP (default 4), then print the
# table and write out/bench.json and out/bench.svg. PIN=1 pins vCPU n's
# thread to host CPU n modulo their number (see README).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SMP=${SMP:-4}
REPS=${REPS:-11}
files=
for smp in $SMP; do
	step "benchmark in QEMU, -smp $smp ($REPS reps)"
	rm -f "$OUT/bench-smp$smp.json"
	python3 "$REPO/scripts/qemu-run.py" --job bench --smp "$smp" ${PIN:+--pin} \
		--append "bench_reps=$REPS ${BENCH_APPEND:-}" \
		--log "$OUT/logs/qemu-bench-smp$smp.log" --json "$OUT/bench-smp$smp.json"
	files="$files $OUT/bench-smp$smp.json"
done
step "results"
python3 "$REPO/scripts/bench-report.py" $files --json "$OUT/bench.json" --svg "$OUT/bench.svg"
