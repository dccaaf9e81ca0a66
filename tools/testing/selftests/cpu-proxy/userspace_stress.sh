#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Programs written elsewhere, run while CPUs are parked and unparked under
# them, must not notice: the kernel's own rseq selftests (per-CPU data
# built on rseq), its futex selftests (a 30 ms futex timeout against a
# 10 ms usleep()), and a meter of how late nanosleep(10 ms) returns, whose
# tail under park churn must match the one measured with nothing parked.
# No hotplug: only park and unpark.
#
# ROUNDS (from the environment, make soak: CYCLES) scales the runs;
# NO_TIMING=1 skips the timing checks (on the lockdep kernel, whose own
# overhead moves them).

ksft_skip=4
P=/sys/devices/system/cpu/proxy
here=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-${CYCLES:+$((CYCLES / 1000))}}
ROUNDS=${ROUNDS:-1}
((ROUNDS < 1)) && ROUNDS=1
# NO_TIMING=1 (the lockdep lane of make check): skip what measures time.
TIMING=$((${NO_TIMING:-0} ? 0 : 1))
STOP=/tmp/cpu-proxy-churn.stop
PAUSE=/tmp/cpu-proxy-churn.pause
PAUSED=/tmp/cpu-proxy-churn.paused

fail() { echo "not ok: $*"; stop_churn; echo all >$P/unpark 2>/dev/null; exit 1; }

[ -w $P/park ] || { echo "skip: CONFIG_CPU_PROXY is not enabled"; exit $ksft_skip; }
echo all >$P/unpark || fail "cannot unpark everything to start from"
ncpu=$(nproc)
[ $ncpu -ge 3 ] || { echo "skip: needs 3 CPUs"; exit $ksft_skip; }
last=$((ncpu - 1))
if ! echo $last >$P/park 2>/dev/null; then
	echo "skip: this machine cannot park CPUs (see the kernel log)"
	exit $ksft_skip
fi
echo $last >$P/unpark

churn_pid=
# Parks and unparks random subsets of the CPUs (never all of them), or
# single random CPUs with "single", until $STOP appears; with a pause
# (a usleep argument) between cycles if one is given. With "noop", the
# same writes go to unpark only: the same writer, nothing parked.
start_churn() {
	rm -f $STOP $PAUSE $PAUSED
	(
		n=$((ncpu < 30 ? ncpu : 30))
		while [ ! -e $STOP ]; do
			if [ -e $PAUSE ]; then
				touch $PAUSED
				usleep 1000
				continue
			fi
			if [ "$1" = single ]; then
				list=$((RANDOM % ncpu))
			else
				mask=$(((RANDOM << 15 | RANDOM) % ((1 << n) - 1) + 1))
				list=
				for ((c = 0; c < n; c++)); do
					((mask >> c & 1)) && list="$list${list:+,}$c"
				done
			fi
			if [ "$1" = noop ]; then
				echo $list >$P/unpark
			else
				echo $list >$P/park 2>/dev/null
			fi
			if [ -n "$2" ]; then usleep $2; fi
			echo $list >$P/unpark || { echo "unpark $list failed"; exit 1; }
			if [ -n "$2" ]; then usleep $2; fi
		done
	) &
	churn_pid=$!
}

# A load with no parking: a shell in a busy loop, as busy as a churn.
start_spin() {
	rm -f $STOP
	( while [ ! -e $STOP ]; do :; done ) &
	churn_pid=$!
}

# Holds the churn with nothing parked, and lets it go again.
pause_churn() {
	touch $PAUSE
	while [ ! -e $PAUSED ]; do usleep 1000; done
}

resume_churn() {
	rm -f $PAUSE $PAUSED
}

# Runs a test program in the background ($! its pid) while the churn is
# held, for the 100 ms in which it takes its snapshot of the CPUs, then
# lets the churn go on under it. Per-CPU data indexed by CPU number is
# sized by the CPUs sched_getaffinity() reports, which are the active
# ones: parked CPUs are not among them, as offline ones are not. A test
# that took its snapshot with a CPU parked counts items only on the CPUs
# it saw, while the CPU it had not seen holds the rest once unparked; the
# same test fails so under native hotplug, as its source says ("unless
# some external actor is interfering with our allowed affinity").
# param_test runs one test per run and snapshots at its start; so this
# runs it. basic_percpu_ops_test snapshots in the middle of its run, and
# runs here in its mm_cid build only, which indexes by the rseq
# concurrency ID and takes no snapshot.
start_held() {
	pause_churn
	"$@" >/tmp/rseq.out 2>&1 &
	usleep 100000
	resume_churn
}

stop_churn() {
	[ -n "$churn_pid" ] || return 0
	touch $STOP
	wait $churn_pid
	local rc=$?
	churn_pid=
	rm -f $STOP
	[ -z "$(cat $P/parked)" ] || echo all >$P/unpark
	return $rc
}

parks0=$(awk '$1 == "parks" { print $2 }' $P/stats)

# 1. rseq: per-CPU lists, spinlocks, buffers and counters, with single CPUs
# parked and unparked under them (the churn the failure was seen under).
start_churn single
for ((r = 0; r < ROUNDS; r++)); do
	"$here/rseq_basic_percpu_ops_mm_cid" >/tmp/rseq.out 2>&1 ||
		fail "rseq basic_percpu_ops_mm_cid_test: $(tail -n 3 /tmp/rseq.out)"
	for t in s l b m i r; do
		start_held "$here/rseq_param" -T $t -r 100 -t $((4 * ncpu))
		wait $! || fail "rseq param_test -T $t: $(tail -n 3 /tmp/rseq.out)"
		"$here/rseq_param_mm_cid" -T $t -r 100 -t $((4 * ncpu)) >/tmp/rseq.out 2>&1 ||
			fail "rseq param_test_mm_cid -T $t: $(tail -n 3 /tmp/rseq.out)"
	done
done
stop_churn || fail "the churn failed"
echo "# rseq: basic_percpu_ops_mm_cid_test, param_test and param_test_mm_cid -T s,l,b,m,i,r passed $ROUNDS times"

# 2. futex: a 30 ms timeout must not expire before a 10 ms usleep() ends,
# with CPUs parked and unparked every few milliseconds under the calls.
# (Back to back, parks share the vCPUs with the test and a busy writer
# can hold it off the CPU for that long on this host; see section 3.)
if ((TIMING)); then
	start_churn all 2000
	for ((r = 0; r < 50 * ROUNDS; r++)); do
		"$here/futex_wait" >/tmp/futex.out 2>&1 ||
			fail "futex_wait, run $r: $(grep -i -m 3 'fail\|error' /tmp/futex.out)"
		"$here/futex_requeue" >/tmp/futex.out 2>&1 ||
			fail "futex_requeue, run $r: $(grep -i -m 3 'fail\|error' /tmp/futex.out)"
	done
	stop_churn || fail "the churn failed"
	echo "# futex: futex_wait and futex_requeue passed $((50 * ROUNDS)) times each"
fi

# 3. Sleep overshoot. The tail of how late nanosleep(10 ms) returns, with
# parks every few milliseconds, matches that of the same writer with
# nothing parked (its writes go to unpark, which has nothing to do); with
# parks back to back, that of a busy loop with nothing parked (this
# host's vCPUs share two cores: any busy load moves the tail). Measured
# in turns, twice, so that all see the same host. The quiet tail, with
# no writer at all, is shown beside them.
overshoot() {	# prints "p99 max" in us
	"$here/sleep_overshoot" $((2 * ncpu)) 100 | awk '{ print $5, $9 }'
}
worst() {	# worst p99 and max so far in $1, from "p99 max" in $2
	local a b c d
	read -r a b <<<"$1"
	read -r c d <<<"$2"
	echo "$((a > c ? a : c)) $((b > d ? b : d))"
}
# Within 5 ms of the reference, or of twice it.
within() {
	local r=$1 v=$2
	((v <= (r * 2 > r + 5000 ? r * 2 : r + 5000)))
}
if ((TIMING)); then
	quiet="0 0" noop="0 0" paced="0 0" spin="0 0" tight="0 0"
	for ((r = 0; r < 2; r++)); do
		quiet=$(worst "$quiet" "$(overshoot)")
		start_churn noop 2000
		noop=$(worst "$noop" "$(overshoot)")
		stop_churn || fail "the no-op writer failed"
		start_churn all 2000
		paced=$(worst "$paced" "$(overshoot)")
		stop_churn || fail "the churn failed"
		start_spin
		spin=$(worst "$spin" "$(overshoot)")
		stop_churn
		start_churn
		tight=$(worst "$tight" "$(overshoot)")
		stop_churn || fail "the churn failed"
	done
	echo "# overshoot (p99 max, us): quiet $quiet; no-op writes every 2 ms $noop;" \
		"parks every 2 ms $paced; busy loop $spin; parks back to back $tight"
	read -r n99 nmax <<<"$noop"
	read -r p99 pmax <<<"$paced"
	read -r s99 smax <<<"$spin"
	read -r t99 tmax <<<"$tight"
	within $n99 $p99 || fail "p99 overshoot $p99 us with parks every 2 ms, $n99 us with no-op writes"
	within $nmax $pmax || fail "max overshoot $pmax us with parks every 2 ms, $nmax us with no-op writes"
	within $s99 $t99 || fail "p99 overshoot $t99 us with parks back to back, $s99 us with a busy loop"
	within $smax $tmax || fail "max overshoot $tmax us with parks back to back, $smax us with a busy loop"
fi

parks1=$(awk '$1 == "parks" { print $2 }' $P/stats)
echo "# $((parks1 - parks0)) CPUs parked under the programs"
((parks1 - parks0 > 100)) || fail "only $((parks1 - parks0)) parks: the churn did not run"
echo "ok: rseq and futex selftests pass, and sleeps end on time, under park churn"
exit 0
