// SPDX-License-Identifier: GPL-2.0
/*
 * Processor proxies: the parked CPU's loop and its proxy's passes.
 *
 * A parked CPU N sleeps in cpu_proxy_idle(), halted with interrupts on but
 * with nothing sent to it: IPIs addressed to it are redirected to its proxy
 * P (cpu_proxy_redirect_*()), and its clock-event device is replaced by
 * one whose expiry arms an hrtimer on P. P then runs a "pass" for N: it
 * switches its per-CPU base to N's (arch_cpu_proxy_run()) and does what an
 * interrupt on idle N would do, on P's hardware: N leaves RCU's extended
 * quiescent state, and in hardirq context runs N's queued calls that are
 * on the allow-list (cpu_proxy_allow_calls()), its irq_work and its
 * expired timers, then N's softirqs, then the nohz re-evaluation of N's
 * idle tick, and N goes back to its quiescent state.
 *
 * The promise: a parked CPU stays online, and everything the kernel asks
 * of it is done, on it or as it, in bounded time. What the proxy may not
 * run (a task, a call not on the allow-list, hardware-bound timer work
 * deferred by its owner with cpu_proxy_defer_native()) is left queued for
 * N, and N is woken to run it natively; every such wakeup is counted with
 * its reason.
 *
 * Who runs N's per-CPU context is decided by cpu_proxy_owner (see
 * include/linux/cpu_proxy.h): a pass takes it from HALTED to PROXY and back;
 * an interrupt that wakes N takes it to NATIVE, waiting for a pass to end.
 *
 * The proxy's side (when it runs passes, how long it waits for N, when N
 * is woken, where N's timer is armed), the parked CPU's loop and what a
 * pass runs are Rust's (rust/proxy/). This file keeps what runs as N in
 * RCU's extended quiescent state or on entry: the pass's entry and exit,
 * the halt, the claim on interrupt and NMI entry, and the test hooks in
 * between; the start of a panic in a pass; and what reads C-only state:
 * the work deferred to N (cpu_proxy_defer_native()), N's tick device. See
 * Documentation/core-api/cpu-proxy.rst.
 */

#include <linux/clockchips.h>
#include <linux/context_tracking.h>
#include <linux/cpu.h>
#include <linux/cpu_proxy.h>
#include <linux/cpuidle.h>
#include <linux/ftrace.h>
#include <linux/instrumentation.h>
#include <linux/irqflags.h>
#include <linux/kprobes.h>
#include <linux/nmi.h>
#include <linux/panic.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/tick.h>

#include "cpu_proxy_rust.h"
#include "time/tick-internal.h"

DEFINE_PER_CPU(struct cpu_proxy_cpu, cpu_proxy_cpus);
DEFINE_PER_CPU(atomic_t, cpu_proxy_owner);
DEFINE_PER_CPU(bool, cpu_proxy_proxied);
DEFINE_PER_CPU(bool, cpu_proxy_want_park);
/*
 * About to be told to park: poll, do not halt (cpu_proxy_wake_early()).
 * The parker sets SOON, and NONE if the park is withdrawn; the CPU moves
 * SOON to POLLING and back, and POLLING to NONE once it stops polling or
 * is installed, so nothing polls or is thought to poll past its park.
 */
DEFINE_PER_CPU(int, cpu_proxy_early);
/* Parked CPUs a stop_machine() counts as stopped; under its mutex. */
struct cpumask cpu_proxy_held_mask;

#ifdef CONFIG_TEST_CPU_PROXY
/*
 * Test hook (lib/test_cpu_proxy.c): spin this many times between giving
 * the context to the proxy and hlt, to widen the window an NMI may land
 * in, and say which CPU is in it (its number plus one; 0: none). No
 * per-CPU data here: the proxy may run a pass for the CPU meanwhile.
 */
unsigned int cpu_proxy_test_halt_spin;
atomic_t cpu_proxy_test_in_window;
/* Test hook: interrupts that returned past the park loop's hlt. */
atomic_t cpu_proxy_test_skips;
/*
 * Test hook: between the look at the top of the park loop and the look
 * after halting, wait until the CPU's next timer is due, for at most this
 * many nanoseconds (rust/proxy/test_hooks.rs).
 */
unsigned int cpu_proxy_test_look_ns;

static __always_inline void cpu_proxy_test_halt_delay(unsigned int cpu)
{
	unsigned int i, n = READ_ONCE(cpu_proxy_test_halt_spin);

	if (!n)
		return;
	raw_atomic_set(&cpu_proxy_test_in_window, cpu + 1);
	for (i = 0; i < n; i++)
		cpu_relax();
	raw_atomic_set(&cpu_proxy_test_in_window, 0);
}

/* Test hook: how long passes keep their proxy's interrupts off (Rust). */
struct cpu_proxy_test_passes cpu_proxy_test_passes;

/* Test hook: the CPU with the do_timer duty. */
int cpu_proxy_test_timekeeper(void)
{
	return READ_ONCE(tick_do_timer_cpu);
}
#else
static __always_inline void cpu_proxy_test_halt_delay(unsigned int cpu)
{
}
#endif

/* cpu_proxy_defer_native(), in a pass: queue @w for the parked CPU. */
bool __cpu_proxy_defer_native(struct cpu_proxy_native *w)
{
	if (!test_and_set_bit(0, &w->pending))
		llist_add(&w->node, &this_cpu_ptr(&cpu_proxy_cpus)->deferred);
	cpu_proxy_need_native(CPU_PROXY_WHY_HW);
	return true;
}

/**
 * cpu_proxy_panic - a panic begins; leave a pass if it runs in one
 *
 * The panic goes on as the proxy (arch_cpu_proxy_leave_context()). The
 * parked CPU, if woken meanwhile, stops waiting for the pass once the
 * panic has begun (cpu_proxy_claim_slow()), so that the panic can stop it.
 *
 * Context: the very start of panic(), before anything there reads the
 * per-CPU base.
 */
noinline void cpu_proxy_panic(void)
{
	if (cpu_proxy_in_proxy())
		arch_cpu_proxy_leave_context();
}

/*
 * On the parked CPU itself, at the start of a pass it runs itself
 * (rust/proxy/pass.rs): run what passes deferred to it.
 */
void cpu_proxy_run_deferred(struct cpu_proxy_cpu *pc)
{
	struct llist_node *list = llist_del_all(&pc->deferred);
	struct cpu_proxy_native *w, *tmp;

	list = llist_reverse_order(list);
	llist_for_each_entry_safe(w, tmp, list, node) {
		clear_bit(0, &w->pending);
		w->func(w);
	}
}

/*
 * One pass: what an interrupt on idle N does. Runs as N, either on N
 * itself or, through arch_cpu_proxy_run(), on its proxy's hardware.
 * Interrupts are off. This is its entry and exit; what runs in it, in
 * what order, and what is left for N is Rust's (rust/proxy/pass.rs).
 *
 * A pass on the proxy is an interrupt taken by N in its idle sleep, where
 * N has entered RCU's extended quiescent state and lockdep has N's
 * interrupts on (ct_cpuidle_enter(): the halt enables them). It enters as
 * irqentry_enter() does for the idle task (lockdep's interrupts off,
 * ct_irq_enter()), runs the handlers between irq_enter_rcu() and
 * irq_exit_rcu() (N's softirqs), then, with RCU still watching, the idle
 * task's re-check of its tick, and leaves as irqentry_exit() does when
 * it returns there. A pass N runs itself in its loop has interrupts off
 * and RCU watching, and only nests. With no_softirq, N's bottom halves
 * stay off throughout (the proxy's own are off, or its FPU is in use):
 * its softirqs are left pending for a later pass, and the tick is not
 * stopped meanwhile.
 * Its entry and exit run as N in RCU's extended quiescent state: noinstr,
 * as irqentry_enter() and irqentry_exit() are, with what runs once RCU
 * watches (the tracing of the interrupt state, and the handlers' part,
 * cpu_proxy_pass_body(), Rust) between instrumentation_begin() and
 * instrumentation_end().
 */
noinstr void cpu_proxy_pass(void *arg)
{
	struct cpu_proxy_cpu *pc = arg;
	bool proxied = cpu_proxy_in_proxy();

	if (proxied)
		lockdep_hardirqs_off(CALLER_ADDR0);
	ct_irq_enter();
	instrumentation_begin();
	if (proxied)
		trace_hardirqs_off_finish();
	cpu_proxy_pass_body(pc, proxied);
	if (proxied) {
		trace_hardirqs_on_prepare();
		lockdep_hardirqs_on_prepare();
	}
	instrumentation_end();
	ct_irq_exit();
	if (proxied)
		lockdep_hardirqs_on(CALLER_ADDR0);
}

/**
 * cpu_proxy_claim_slow - take this CPU's context back from its proxy
 * @nmi: called on NMI entry (or an NMI-like exception entry)
 *
 * See cpu_proxy_irq_claim(). Waits while a pass runs; a pass never waits
 * for this CPU, so the wait is as short as a pass. While stop_machine()
 * holds this CPU stopped, an interrupt waits, interrupts off, for the stop
 * to end, as it would on a CPU in multi_cpu_stop(); an NMI runs
 * (STOPPED_NMI while it does), and the CPU is STOPPED again after it.
 *
 * Two callers find the context owned by a pass and must not wait:
 *
 * - An exception taken in the pass itself (a fault with a fixup, a
 *   kprobe's int3): its entry runs on the proxy's hardware, under the
 *   parked CPU's per-CPU base, and finds that CPU's owner at PROXY. The
 *   pass's hardware CPU, recorded in the parked CPU's state, tells it: it
 *   runs in proxy context, as an exception in an interrupt handler would.
 * - The parked CPU itself after a panic has begun (on the proxy, in a
 *   pass, say): it must get to the stop the panicking CPU asks of it.
 *
 * An NMI that finds the CPU halted, or stopped while halted, gives the
 * context back as it returns (cpu_proxy_nmi_release()): it may have hit
 * between the CPU's last look at its work and its hlt, and the CPU then
 * sleeps on.
 *
 * Return: true if an NMI took the context from HALTED or STOPPED.
 */
noinstr bool cpu_proxy_claim_slow(bool nmi)
{
	struct cpu_proxy_cpu *pc = this_cpu_ptr(&cpu_proxy_cpus);
	atomic_t *owner = this_cpu_ptr(&cpu_proxy_owner);
	int old = raw_atomic_read(owner);
	int new;

	for (;;) {
		/*
		 * STOPPED_NMI: this CPU is in an NMI taken while stopped, and
		 * this is that NMI or an exception nested in it (a fault with
		 * a fixup): it owns the context already.
		 */
		if (old == CPU_PROXY_NATIVE || old == CPU_PROXY_STOPPED_NMI)
			return false;
		if (old == CPU_PROXY_PROXY &&
		    READ_ONCE(pc->hw) == (int)arch_cpu_proxy_hw_cpu())
			return false;
		if (old == CPU_PROXY_HALTED) {
			new = CPU_PROXY_NATIVE;
		} else if (nmi && old == CPU_PROXY_STOPPED) {
			new = CPU_PROXY_STOPPED_NMI;
		} else {
			/* A pass runs, or a stop: wait, unless in a panic. */
			if (raw_atomic_read(&panic_cpu) != PANIC_CPU_INVALID)
				return false;
			cpu_relax();
			old = raw_atomic_read(owner);
			continue;
		}
		/*
		 * Fully ordered: pairs with the barrier of protocol::redirect()
		 * (rust/proxy/protocol.rs). A sender that still saw the context
		 * away from NATIVE kicked the proxy; one that sees NATIVE now
		 * interrupts this CPU, and its flag is seen by what runs next.
		 */
		if (raw_atomic_try_cmpxchg(owner, &old, new))
			break;
	}
	/* An NMI leaves halting as it was: see cpu_proxy_nmi_release(). */
	if (!nmi)
		raw_atomic_set(&pc->halting, 0);
	arch_cpu_proxy_resume();
	return nmi;
}

/**
 * cpu_proxy_nmi_release - give back what cpu_proxy_nmi_claim() took
 * @halted: what it returned: the NMI took the context from HALTED, or
 *	    from STOPPED
 *
 * The NMI found this CPU halted in its park loop, or between its last
 * look at its work and its hlt; either way the CPU goes on (or goes) to
 * sleep once the NMI returns, so the context must be as the NMI found it:
 * its proxy's (HALTED), or the stop's (STOPPED), which hands it to the
 * proxy as the stop ends. If the NMI ended a hlt, the CPU takes it back
 * itself just after, as from any interrupt (cpu_proxy_claim_slow()).
 * While the NMI runs, NATIVE or STOPPED_NMI says which it was: nothing
 * else changes either (cpu_proxy_hold_parked() waits for STOPPED_NMI).
 *
 * An NMI taken in the STI shadow of the hlt (arch_cpu_proxy_halt())
 * returns to the hlt with interrupts on: an interrupt latched meanwhile is
 * taken there, before the hlt, and returns past it
 * (cpu_proxy_irq_claim()). The NMI itself cannot return past it: on
 * x86-64 an NMI from kernel mode returns through a copy of its frame made
 * before exc_nmi() runs (the "iret" frame of entry_64.S; pt_regs holds
 * the "outermost" copy). It returns to the hlt, its proxy in charge.
 *
 * Context: NMI exit, noinstr.
 */
noinstr void cpu_proxy_nmi_release(bool halted)
{
	atomic_t *owner = this_cpu_ptr(&cpu_proxy_owner);
	int old = CPU_PROXY_NATIVE;

	if (!halted)
		return;
	/*
	 * From STOPPED_NMI the cmpxchg fails, which orders nothing: the store
	 * back to STOPPED is a release, so that the proxy that takes the
	 * context once the stop ends sees what this NMI wrote in it: the
	 * stop's fully ordered STOPPED -> HALTED (rust/proxy/hold.rs) reads
	 * it, and the proxy's acquire of HALTED (take() in
	 * rust/proxy/protocol.rs) reads that.
	 */
	if (!raw_atomic_try_cmpxchg(owner, &old, CPU_PROXY_HALTED) &&
	    old == CPU_PROXY_STOPPED_NMI)
		raw_atomic_set_release(owner, CPU_PROXY_STOPPED);
}

/*
 * On N itself, in its park loop (rust/proxy/idle.rs), having looked at its
 * work for the last time: give its context to its proxy (HALTED) and
 * sleep until an interrupt, then take the context back. Idle entry code:
 * from ct_cpuidle_enter() to the claim nothing may touch N's per-CPU data
 * (a pass may run as N meanwhile), nor be traced.
 *
 * No hard-lockup report for the time N sleeps: its watchdog timer is off
 * while it is parked. Only the hard lockup detector's touch:
 * touch_nmi_watchdog() would also touch the workqueue watchdog,
 * machine-wide, and hide a stall of N's bound pools, which work for N
 * now relies on.
 */
notrace void cpu_proxy_halt(struct cpu_proxy_cpu *pc)
{
	atomic_t *owner = this_cpu_ptr(&cpu_proxy_owner);
	unsigned int cpu = pc->cpu;

	arch_touch_nmi_watchdog();
	ct_cpuidle_enter();
	arch_cpu_proxy_halt_prepare();
	raw_atomic_set_release(owner, CPU_PROXY_HALTED);
	cpu_proxy_test_halt_delay(cpu);
	arch_cpu_proxy_halt();
	raw_local_irq_disable();
	cpu_proxy_claim_slow(false);
	ct_cpuidle_exit();
}

NOKPROBE_SYMBOL(cpu_proxy_halt);

/*
 * The tick device of @cpu, which rust/proxy/hotplug.rs reads to tell
 * whether a proxy can stand in for it. Under the park lock (MapsGuard,
 * rust/proxy/hotplug.rs): @cpu is online, and its device can change only
 * as it goes offline.
 */
struct clock_event_device *cpu_proxy_tick_device(unsigned int cpu)
{
	return per_cpu(tick_cpu_device, cpu).evtdev;
}
