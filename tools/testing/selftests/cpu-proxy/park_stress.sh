#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Park and unpark random CPU subsets, many times, while rcutorture and an
# IPI storm run, with native offline/online of an unparked CPU in the
# middle while others are parked; then offline and online random masks in
# one operation each (some while a CPU outside the mask is parked, which
# their stop_machine() must count as stopped). Passes if every write
# succeeds and the parked and offline files always tell the truth, the
# storm kept going, stop_machine() held parked CPUs, and rcutorture ends
# with SUCCESS. (The QEMU runner also fails the run on any BUG, WARNING,
# lockup or RCU stall in the console.)
#
# With TEXT_POKE=1 (the jump-label lane of make check), every tenth set
# also stays parked while a tracepoint is turned on and off, which patches
# kernel text: text_poke_bp() waits for a sync-core IPI to every online
# CPU, the parked ones through their proxies, and the CPUs then run the
# patched code once unparked. Only under single-threaded TCG: this QEMU's
# multi-threaded TCG runs stale code after text patching, parked CPUs or
# not (configs/base.config).

ksft_skip=4
P=/sys/devices/system/cpu/proxy
D=/sys/kernel/debug/cpu_proxy_test
CYCLES=${CYCLES:-1000}
MASK_CYCLES=${MASK_CYCLES:-300}
TEXT_POKE=${TEXT_POKE:-0}
TRACING=/sys/kernel/tracing

fail() { echo "not ok: $*"; cleanup; exit 1; }
cleanup() {
	echo 0 >$D/ipi_storm 2>/dev/null
	echo all >$P/unpark 2>/dev/null
	echo all >$P/online 2>/dev/null
	rmmod rcutorture 2>/dev/null
	echo 0 >$EXPEDITED 2>/dev/null
	echo 0 >$TRACING/events/sched/sched_wakeup/enable 2>/dev/null
}
EXPEDITED=/sys/kernel/rcu_expedited

# Unloads rcutorture and checks that it ended with SUCCESS.
torture_end() {
	rmmod rcutorture || fail "cannot unload rcutorture"
	verdict=$(dmesg | grep 'End of test' | tail -n 1)
	echo "# rcutorture: $verdict"
	echo "$verdict" | grep -q 'End of test: SUCCESS' || fail "rcutorture did not succeed"
}

[ -w $P/park ] || { echo "skip: CONFIG_CPU_PROXY is not enabled"; exit $ksft_skip; }
[ -w $D/ipi_storm ] || fail "$D/ipi_storm missing (CONFIG_TEST_CPU_PROXY)"

# Every CPU online to start from, even if an earlier test left some
# offline (nproc counts the online CPUs this shell may run on).
echo all >$P/online || fail "cannot bring every CPU online to start from"
ncpu=$(nproc)
last=$((ncpu - 1))
[ $ncpu -ge 3 ] || { echo "skip: needs 3 CPUs"; exit $ksft_skip; }
# Random subsets of the first (up to 30) CPUs: two $RANDOMs make 30 bits.
nrand=$((ncpu < 30 ? ncpu : 30))
echo all >$P/unpark || fail "cannot unpark everything to start from"
pokes=0
if ((TEXT_POKE)); then
	[ -d $TRACING/events ] || mount -t tracefs tracefs $TRACING ||
		fail "cannot mount tracefs"
	[ -w $TRACING/events/sched/sched_wakeup/enable ] ||
		fail "no sched_wakeup tracepoint to patch (CONFIG_FTRACE)"
fi

echo 0 >$D/passes
modprobe rcutorture stat_interval=15 || fail "cannot load rcutorture (CONFIG_RCU_TORTURE_TEST=m)"
echo 3600 >$D/ipi_storm || fail "cannot start the IPI storm"
storm0=$(awk '{ print $2 }' $D/ipi_storm)
held0=$(awk '$1 == "stop_machine_held" { print $2 }' $P/stats)

# The cpulist of the bits of $1, and the same as ranges (as "parked" shows).
list_of() {
	local m=$1 c out=
	for ((c = 0; c < nrand; c++)); do
		((m >> c & 1)) && out="${out:+$out,}$c"
	done
	echo "$out"
}
ranges_of() {
	local m=$1 c e out=
	for ((c = 0; c < nrand; c++)); do
		((m >> c & 1)) || continue
		e=$c
		while ((e + 1 < nrand && (m >> (e + 1) & 1))); do e=$((e + 1)); done
		out="${out:+$out,}$c"
		((e > c)) && out="$out-$e"
		c=$e
	done
	echo "$out"
}

for ((i = 1; i <= CYCLES; i++)); do
	mask=$(((RANDOM << 15 | RANDOM) & ((1 << nrand) - 1)))
	((mask == (1 << ncpu) - 1)) && continue	# never all CPUs
	((mask)) || continue
	list=$(list_of $mask)
	echo "$list" >$P/park || fail "cycle $i: park $list"
	[ "$(cat $P/parked)" = "$(ranges_of $mask)" ] ||
		fail "cycle $i: parked is '$(cat $P/parked)', want '$(ranges_of $mask)'"
	if ((TEXT_POKE && i % 10 == 0)); then
		echo 1 >$TRACING/events/sched/sched_wakeup/enable &&
			echo 0 >$TRACING/events/sched/sched_wakeup/enable ||
			fail "cycle $i: cannot toggle a tracepoint with $list parked"
		pokes=$((pokes + 1))
	fi
	echo "$list" >$P/unpark || fail "cycle $i: unpark $list"
	if ((i == CYCLES / 2)); then
		# Native hotplug of the last CPU while CPU 1 is parked.
		echo 1 >$P/park || fail "park 1"
		echo 0 >/sys/devices/system/cpu/cpu$last/online || fail "offline cpu$last"
		echo 1 >/sys/devices/system/cpu/cpu$last/online || fail "online cpu$last"
		echo 1 >$P/unpark || fail "unpark 1"
	fi
	((i % 100)) || echo "# $i cycles"
done

# Mask hotplug expedites RCU grace periods for its batch, which
# rcutorture's writer, cycling rcu_expedite_gp() itself, would report as
# someone else's: a second rcutorture run, with grace periods expedited
# from its start, covers this phase. CPU 0 stays; every fourth round the
# highest CPU outside the mask (if not 0) is parked meanwhile.
torture_end
echo 1 >$EXPEDITED || fail "cannot expedite RCU grace periods"
modprobe rcutorture stat_interval=15 || fail "cannot load rcutorture again"
for ((i = 1; i <= MASK_CYCLES; i++)); do
	mask=$(((RANDOM << 15 | RANDOM) & ((1 << nrand) - 2)))
	((mask)) || continue
	list=$(list_of $mask)
	parked=
	if ((i % 4 == 0)); then
		for ((c = nrand - 1; c > 0; c--)); do
			((mask >> c & 1)) || { parked=$c; break; }
		done
		[ -n "$parked" ] && { echo $parked >$P/park || fail "mask $i: park $parked"; }
	fi
	echo "$list" >$P/offline || fail "mask $i: offline $list"
	[ "$(cat /sys/devices/system/cpu/offline)" = "$(ranges_of $mask)" ] ||
		fail "mask $i: offline is '$(cat /sys/devices/system/cpu/offline)', want '$(ranges_of $mask)'"
	echo "$list" >$P/online || fail "mask $i: online $list"
	[ -z "$(cat /sys/devices/system/cpu/offline)" ] ||
		fail "mask $i: still offline: $(cat /sys/devices/system/cpu/offline)"
	[ -n "$parked" ] && { echo $parked >$P/unpark || fail "mask $i: unpark $parked"; }
	((i % 50)) || echo "# $i mask cycles"
done

if ((TEXT_POKE)); then
	((pokes > 0)) || fail "no tracepoint toggled with CPUs parked"
	echo "# kernel text patched $((2 * pokes)) times with CPUs parked"
fi

storm1=$(awk '{ print $2 }' $D/ipi_storm)
echo 0 >$D/ipi_storm
[ -z "$(cat $P/parked)" ] || fail "CPUs left parked: $(cat $P/parked)"
((storm1 > storm0)) || fail "the IPI storm made no progress ($storm0 -> $storm1)"
echo "# IPI storm: $((storm1 - storm0)) rounds during the cycles"
# Each native and mask offline above ran a stop_machine() with a CPU
# parked: parked CPUs are counted as stopped, not woken to stop.
held1=$(awk '$1 == "stop_machine_held" { print $2 }' $P/stats)
((held1 > held0)) || fail "no stop_machine() counted a parked CPU as stopped"
echo "# stop_machine(): $((held1 - held0)) parked CPUs counted as stopped"

torture_end
echo 0 >$EXPEDITED
# How long proxies kept their own interrupts off for a pass (a measure).
echo "# proxy passes: $(cat $D/passes)"
echo "ok: $CYCLES park/unpark cycles and $MASK_CYCLES mask offline/online cycles under rcutorture and an IPI storm"
exit 0
