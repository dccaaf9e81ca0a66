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
 * is woken, where N's timer is armed) is Rust's: rust/proxy/service.rs,
 * which calls cpu_proxy_run_pass() here for each pass. This file keeps the
 * pass itself, the parked CPU's own loop, and the entry and stop_machine()
 * code. See Documentation/core-api/cpu-proxy.rst.
 */

#include <linux/clockchips.h>
#include <linux/context_tracking.h>
#include <linux/cpu.h>
#include <linux/cpu_proxy.h>
#include <linux/cpuidle.h>
#include <linux/ftrace.h>
#include <linux/hardirq.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/mmu_context.h>
#include <linux/nmi.h>
#include <linux/panic.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/idle.h>
#include <linux/smp.h>
#include <linux/tick.h>
#include <linux/vmstat.h>
#include <asm/irq_regs.h>

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
/*
 * Test hook: between the look at the top of the park loop and the look
 * after halting, wait until the CPU's next timer is due, for at most this
 * many nanoseconds: a short periodic timer of the CPU then falls due in
 * between every time.
 */
unsigned int cpu_proxy_test_look_ns;

static __always_inline void cpu_proxy_test_look_delay(const ktime_t *next_event)
{
	unsigned int ns = READ_ONCE(cpu_proxy_test_look_ns);
	u64 end;

	if (!ns)
		return;
	end = ktime_get_ns() + ns;
	while (ktime_get() < READ_ONCE(*next_event) && ktime_get_ns() < end)
		cpu_relax();
}

static __always_inline void cpu_proxy_test_halt_delay(unsigned int cpu)
{
	unsigned int i, n = READ_ONCE(cpu_proxy_test_halt_spin);

	if (!n)
		return;
	atomic_set(&cpu_proxy_test_in_window, cpu + 1);
	for (i = 0; i < n; i++)
		cpu_relax();
	atomic_set(&cpu_proxy_test_in_window, 0);
}

/*
 * Test hook: how long passes keep their proxy's interrupts off (the
 * longest, and how many took over 100 us and over 1 ms). Racy updates,
 * for a measurement.
 */
struct cpu_proxy_test_passes cpu_proxy_test_passes;

static void cpu_proxy_test_note_pass(u64 ns)
{
	struct cpu_proxy_test_passes *t = &cpu_proxy_test_passes;

	if (ns > READ_ONCE(t->max_ns))
		WRITE_ONCE(t->max_ns, ns);
	if (ns > 100 * NSEC_PER_USEC)
		atomic_long_inc(&t->over_100us);
	if (ns > NSEC_PER_MSEC)
		atomic_long_inc(&t->over_1ms);
	atomic_long_inc(&t->passes);
}

/* Test hook: the CPU with the do_timer duty. */
int cpu_proxy_test_timekeeper(void)
{
	return READ_ONCE(tick_do_timer_cpu);
}
#else
static inline void cpu_proxy_test_note_pass(u64 ns)
{
}

static __always_inline void cpu_proxy_test_halt_delay(unsigned int cpu)
{
}

static __always_inline void cpu_proxy_test_look_delay(const ktime_t *next_event)
{
}
#endif

/**
 * cpu_proxy_need_native - a pass found work only the parked CPU may run
 * @why: CPU_PROXY_WHY_*, counted when the CPU wakes
 *
 * The proxy wakes the CPU once the pass is over.
 * Context: a pass (proxy context), interrupts off.
 */
void cpu_proxy_need_native(unsigned int why)
{
	struct cpu_proxy_cpu *pc = this_cpu_ptr(&cpu_proxy_cpus);

	pc->native = true;
	atomic_or(why, &pc->why);
}

/**
 * cpu_proxy_defer_native - leave hardware-bound work for the parked CPU
 * @w: the work, with its function set (cpu_proxy_native_init())
 *
 * For work found in a pass that must touch the parked CPU's own hardware
 * (its machine-check banks, say): if this runs in a proxy's pass, @w is
 * queued for the parked CPU, which is woken to run it natively, first
 * thing; if not, nothing is done and the caller goes on.
 *
 * Context: any; interrupts off in a pass.
 * Return: true if @w was deferred (the caller must not do the work now).
 */
bool cpu_proxy_defer_native(struct cpu_proxy_native *w)
{
	if (!cpu_proxy_in_proxy())
		return false;
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

/* On the parked CPU itself: run what passes deferred to it. */
static void cpu_proxy_run_deferred(struct cpu_proxy_cpu *pc)
{
	struct llist_node *list = llist_del_all(&pc->deferred);
	struct cpu_proxy_native *w, *tmp;

	list = llist_reverse_order(list);
	llist_for_each_entry_safe(w, tmp, list, node) {
		clear_bit(0, &w->pending);
		w->func(w);
	}
}

/**
 * cpu_proxy_raise_irq_work - irq_work was queued in a pass
 *
 * The pass queued it as the parked CPU, whose interrupt for it would be
 * the proxy's own (a self-IPI on the proxy's hardware): look at the CPU's
 * lists again once the pass is over, instead.
 * Context: a pass (proxy context), interrupts off.
 */
void cpu_proxy_raise_irq_work(void)
{
	atomic_set(&this_cpu_ptr(&cpu_proxy_cpus)->work, 1);
}

/*
 * One pass: what an interrupt on idle N does. Runs as N, either on N
 * itself or, through arch_cpu_proxy_run(), on its proxy's hardware.
 * Interrupts are off.
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
 * Its entry runs as N in RCU's extended quiescent state: not traced,
 * not probed.
 */
static notrace void cpu_proxy_pass(void *arg)
{
	struct cpu_proxy_cpu *pc = arg;
	bool proxied = cpu_proxy_in_proxy();
	bool softirqs = !pc->no_softirq;
	/* The interrupted context: N's idle task, in the kernel. */
	struct pt_regs regs = {};
	struct pt_regs *old_regs;

	if (proxied)
		lockdep_hardirqs_off(CALLER_ADDR0);
	ct_irq_enter();
	if (proxied)
		trace_hardirqs_off_finish();
	if (!softirqs)
		local_bh_disable();
	old_regs = set_irq_regs(&regs);
	irq_enter_rcu();
	/* What passes deferred to N; N runs it itself, first. */
	if (!proxied)
		cpu_proxy_run_deferred(pc);
	atomic_set(&pc->work, 0);
	/*
	 * Clear before taking the queue; pairs with the barrier of
	 * protocol::redirect() (rust/proxy/protocol.rs), which the senders of
	 * rust/proxy/redirect.rs run.
	 */
	smp_mb();
	generic_smp_call_function_single_interrupt();
	irq_work_run();
	if (READ_ONCE(pc->next_event) <= ktime_get()) {
		WRITE_ONCE(pc->next_event, KTIME_MAX);
		pc->evt.event_handler(&pc->evt);
	}
	irq_exit_rcu();
	set_irq_regs(old_regs);

	pc->softirqs_left = local_softirq_pending();
	/* What the pass counted, folded as an idle CPU folds it. */
	vmstat_parked(false);
	/* A redirected resched: run something, or just re-evaluate timers. */
	if (atomic_xchg(&pc->resched, 0) && sched_parked_idle_drop_resched())
		cpu_proxy_need_native(CPU_PROXY_WHY_TASK);
	if (need_resched())
		cpu_proxy_need_native(CPU_PROXY_WHY_TASK);
	else if (!pc->softirqs_left)
		tick_nohz_idle_stop_tick();
	if (!softirqs)
		_local_bh_enable();
	if (proxied) {
		trace_hardirqs_on_prepare();
		lockdep_hardirqs_on_prepare();
	}
	ct_irq_exit();
	if (proxied)
		lockdep_hardirqs_on(CALLER_ADDR0);
}

NOKPROBE_SYMBOL(cpu_proxy_pass);

/*
 * On the proxy (rust/proxy/service.rs), owning N's context, interrupts
 * off: run one pass for N on this CPU's hardware, as N. While it runs, N's
 * owner is PROXY and pc->hw names this CPU, so that an exception taken in
 * the pass knows it runs in proxy context (cpu_proxy_claim_slow()).
 */
void cpu_proxy_run_pass(struct cpu_proxy_cpu *pc)
{
	u64 t0 = IS_ENABLED(CONFIG_TEST_CPU_PROXY) ? local_clock() : 0;

	lockdep_assert_irqs_disabled();
	pc->hw = arch_cpu_proxy_hw_cpu();
	WRITE_ONCE(per_cpu(cpu_proxy_proxied, pc->cpu), true);
	arch_cpu_proxy_run(pc->cpu, cpu_proxy_pass, pc);
	WRITE_ONCE(per_cpu(cpu_proxy_proxied, pc->cpu), false);
	pc->hw = -1;
	if (IS_ENABLED(CONFIG_TEST_CPU_PROXY))
		cpu_proxy_test_note_pass(local_clock() - t0);
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
		WRITE_ONCE(pc->halting, false);
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
 * Context: NMI exit, noinstr.
 */
noinstr void cpu_proxy_nmi_release(bool halted)
{
	atomic_t *owner = this_cpu_ptr(&cpu_proxy_owner);
	int old = CPU_PROXY_NATIVE;

	if (halted && !raw_atomic_try_cmpxchg(owner, &old, CPU_PROXY_HALTED) &&
	    old == CPU_PROXY_STOPPED_NMI)
		raw_atomic_set(owner, CPU_PROXY_STOPPED);
}

static void cpu_proxy_install(struct cpu_proxy_cpu *pc)
{
	leave_mm();
	/* Its counters are folded by its proxy from here on. */
	vmstat_parked(true);
	WRITE_ONCE(pc->next_event, KTIME_MAX);
	WRITE_ONCE(pc->leaving, false);
	/*
	 * A reason left by the last pass before the CPU left its loop last
	 * time is not one for the first wakeup of this park. No pass runs
	 * for it before it is installed.
	 */
	atomic_set(&pc->why, 0);
	pc->bh_since = 0;
	pc->saved_evt = tick_swap_this_cpu_device(&pc->evt);
	/* Installed before it is seen; in_loop() (loop_ctl.rs) acquires. */
	smp_store_release(&pc->installed, true);
	/*
	 * Installed before a parker's wakeup is looked for; pairs with
	 * wake_unless() (loop_ctl.rs). A parker that did not see this CPU
	 * installed is sending it an interrupt: let it be sent.
	 */
	smp_mb();
	while (READ_ONCE(pc->waking))
		cpu_relax();
	/*
	 * What reached this CPU while it came here with interrupts off: that
	 * wakeup, an early wakeup (cpu_proxy_wake_early()) that landed late,
	 * a tick latched before the swap. Taken now, not at the first hlt
	 * of the loop, where each would count as a wakeup while parked.
	 */
	arch_cpu_proxy_take_latched();
	/*
	 * Installed before no longer polling; cpu_proxy_wake_idle() acquires.
	 * No new park can mark this CPU before it leaves the loop.
	 */
	smp_store_release(this_cpu_ptr(&cpu_proxy_early), CPU_PROXY_EARLY_NONE);
}

static void cpu_proxy_uninstall(struct cpu_proxy_cpu *pc)
{
	hrtimer_cancel(&pc->timer);
	hrtimer_cancel(&pc->retry);
	if (pc->saved_evt)
		tick_swap_this_cpu_device(pc->saved_evt);
	pc->saved_evt = NULL;
	WRITE_ONCE(pc->next_event, KTIME_MAX);
	WRITE_ONCE(pc->rearm, false);
	/* Leaving for good? Then watched again, before anything runs. */
	if (!this_cpu_read(cpu_proxy_want_park)) {
		lockup_detector_unparked();
		sched_parked_idle_exit();
	}
	/* Uninstalled before it is seen; in_loop() (loop_ctl.rs) acquires. */
	smp_store_release(&pc->installed, false);
}

/*
 * Unparked, and no stop_machine() counts on this CPU to stay in its loop?
 * While one does, the CPU stays; cpu_proxy_unstop_parked() wakes it.
 */
static bool cpu_proxy_may_leave(void)
{
	if (this_cpu_read(cpu_proxy_want_park))
		return false;
	/* Pairs with cpu_proxy_stop_parked(). */
	smp_mb();
	return !cpumask_test_cpu(smp_processor_id(), &cpu_proxy_held_mask);
}

/* How long a CPU woken early polls for its park request before it halts. */
#define CPU_PROXY_SOON_NS	(100 * NSEC_PER_USEC)

/*
 * Woken early (cpu_proxy_wake_early()): poll, interrupts on, until told to
 * park, for at most CPU_PROXY_SOON_NS, so that the parker does not have to
 * wake a halted CPU again. Returns with interrupts on.
 */
static void cpu_proxy_poll_soon(void)
{
	int *early = this_cpu_ptr(&cpu_proxy_early);
	u64 end = local_clock() + CPU_PROXY_SOON_NS;
	int next = CPU_PROXY_EARLY_NONE;

	/* Fully ordered: polling before the request is read. */
	cmpxchg(early, CPU_PROXY_EARLY_SOON, CPU_PROXY_EARLY_POLLING);
	local_irq_enable();
	while (READ_ONCE(*early) == CPU_PROXY_EARLY_POLLING) {
		/* Told: POLLING until installed (cpu_proxy_install()). */
		if (READ_ONCE(*this_cpu_ptr(&cpu_proxy_want_park)))
			return;
		if (need_resched()) {
			/* Poll again once idle again. */
			next = CPU_PROXY_EARLY_SOON;
			break;
		}
		/* Not told in time: halt as usual until it is. */
		if (local_clock() > end)
			break;
		cpu_relax();
	}
	/*
	 * Withdrawn meanwhile (NONE), or marked again (SOON)? Then that
	 * stands. Fully ordered: not polling before the idle loop looks for
	 * a request again; pairs with cpu_proxy_wake_idle().
	 */
	cmpxchg(early, CPU_PROXY_EARLY_POLLING, next);
}

/**
 * cpu_proxy_wake_early - wake CPUs that are about to be told to park
 * @set: CPUs just marked parked
 *
 * Waking a halted (v)CPU is the longest step of a park. Woken now, before
 * their proxies are chosen and they are told, the CPUs of @set poll in
 * their idle loop until told (enter(cpu, 0), loop_ctl.rs), unparked, or
 * CPU_PROXY_SOON_NS have passed. One interrupt for the set, so that the
 * architecture can address them all at once.
 * Context: process context, cpu_proxy_lock() held.
 */
void cpu_proxy_wake_early(const struct cpumask *set)
{
	unsigned int cpu;

	cpu_maps_assert_held();
	for_each_cpu(cpu, set)
		WRITE_ONCE(per_cpu(cpu_proxy_early, cpu), CPU_PROXY_EARLY_SOON);
	/* Seen by the CPUs' idle loops once the wakeup lands. */
	smp_mb();
	arch_cpu_proxy_wake_mask(set);
}

/**
 * cpu_proxy_wake_idle - wake an idle CPU told to park, unless it needs none
 * @cpu: a CPU told to park (enter(@cpu, 0), loop_ctl.rs) whose runqueue was
 *       idle
 *
 * A CPU in its park loop already, polling for its request after an early
 * wakeup, or about to (the early wakeup still on its way, or the CPU back
 * in its idle loop after a task), finds the request by itself: a wakeup
 * would only wake it once more, later, after the park, while its proxy
 * stands in for it.
 * Context: sched_cpu_park().
 */
void cpu_proxy_wake_idle(unsigned int cpu)
{
	struct cpu_proxy_cpu *pc = per_cpu_ptr(&cpu_proxy_cpus, cpu);

	/* Told before polling is read; pairs with cpu_proxy_poll_soon(). */
	smp_mb();
	/*
	 * SOON: it polls before it halts again (cpu_proxy_idle_parks()).
	 * Pairs with cpu_proxy_install(): not polling, then installed.
	 */
	if (smp_load_acquire(per_cpu_ptr(&cpu_proxy_early, cpu)) !=
	    CPU_PROXY_EARLY_NONE || READ_ONCE(pc->installed))
		return;
	arch_cpu_proxy_wake(cpu);
}

/**
 * cpu_proxy_idle - the idle loop of a parked CPU
 *
 * Replaces cpuidle_idle_call() while cpu_proxy_want_park is set. Returns,
 * with interrupts on, when the CPU has something to run or is unparked;
 * its clock-event device is its own again outside this function.
 *
 * Context: the idle task, interrupts off.
 */
void cpu_proxy_idle(void)
{
	struct cpu_proxy_cpu *pc = this_cpu_ptr(&cpu_proxy_cpus);
	atomic_t *owner = this_cpu_ptr(&cpu_proxy_owner);
	bool woke = false;

	lockdep_assert_irqs_disabled();
	if (!this_cpu_read(cpu_proxy_want_park) &&
	    !cpumask_test_cpu(smp_processor_id(), &cpu_proxy_held_mask)) {
		cpu_proxy_poll_soon();
		return;
	}
	sched_parked_idle_enter();
	cpu_proxy_install(pc);
	tick_nohz_idle_stop_tick();

	for (;;) {
		/* Whatever came while this CPU ran itself, or woke it. */
		if (cpu_proxy_pending(pc) || pc->native ||
		    !llist_empty(&pc->deferred)) {
			pc->native = false;
			pc->no_softirq = false;
			cpu_proxy_pass(pc);
		}
		/* Woken to be unparked: not a wakeup while parked. */
		if (!pc->native && cpu_proxy_may_leave())
			break;
		if (woke) {
			unsigned int why = atomic_xchg(&pc->why, 0);

			if (!why)
				why = need_resched() ? CPU_PROXY_WHY_TASK :
						       CPU_PROXY_WHY_OTHER;
			cpu_proxy_note_wakeup(why);
			woke = false;
		}
		/*
		 * A task to run (pc->native after a pass on itself says the
		 * same). Not while a stop_machine() holds this CPU: a stopped
		 * CPU runs no task, and one run here could wait for a task the
		 * stop keeps off its CPU while the stop waits for this one to
		 * halt. It waits for cpu_proxy_unstop_parked() to wake it.
		 */
		if (pc->native || current_clr_polling_and_test()) {
			WRITE_ONCE(pc->leaving, true);
			/* Pairs with cpu_proxy_stop_parked(): held, or not held. */
			smp_mb();
			if (!cpumask_test_cpu(smp_processor_id(), &cpu_proxy_held_mask))
				break;
			WRITE_ONCE(pc->leaving, false);
			/*
			 * Held: back to sleep. A call queued while this CPU
			 * polled was sent no IPI (set_nr_if_polling()), and
			 * its sender, which saw it NATIVE, did not kick the
			 * proxy: stop polling, then run what is queued, as
			 * the idle loop does when it stops polling. Later
			 * senders interrupt it, or find it HALTED.
			 */
			__current_clr_polling();
			/* Not polling before the queue is read; pairs with set_nr_if_polling(). */
			smp_mb__after_atomic();
			pc->no_softirq = false;
			cpu_proxy_pass(pc);
		}
		pc->native = false;

		/*
		 * A tick still periodic at install (cpu_proxy_can_park()) is
		 * handed over once it went one-shot, in this CPU's own tick.
		 */
		if (unlikely(!pc->saved_evt))
			pc->saved_evt = tick_swap_this_cpu_device(&pc->evt);
		cpu_proxy_test_look_delay(&pc->next_event);
		/*
		 * Halting before this CPU looks at its work once more; pairs
		 * with service() (rust/proxy/service.rs). A kick or a proxy
		 * timer that came since the look at the top of the loop found
		 * this CPU NATIVE and not halting, and left its work to it: it
		 * is seen here. One that comes after sees halting and looks
		 * again after the hlt (host/protocol.rs, Context::halting).
		 * ktime_get() in cpu_proxy_runnable() reads the clock after the
		 * barrier: a timer that fired before it is due by then.
		 *
		 * What is seen here goes to the proxy, which takes it once this
		 * CPU has halted, as it takes a kick that sees halting; not a
		 * pass here and a look again, which a timer falling due between
		 * the looks every time would repeat without end (and
		 * cpu_proxy_hold_parked() wait for this hlt as long). The proxy
		 * also re-arms what this CPU programmed, or re-arms it where it
		 * moved.
		 */
		smp_store_mb(pc->halting, true);
		if (cpu_proxy_runnable(pc) || READ_ONCE(pc->rearm) ||
		    atomic_read(&pc->moved))
			cpu_proxy_kick(pc);
		/*
		 * No hard-lockup report for the time this CPU sleeps: its
		 * watchdog timer is off while it is parked. Only the hard
		 * lockup detector's touch: touch_nmi_watchdog() would also
		 * touch the workqueue watchdog, machine-wide, and hide a stall
		 * of this CPU's bound pools, which work for it now relies on.
		 */
		arch_touch_nmi_watchdog();

		/* From here to hlt, nothing may touch this CPU's per-CPU data. */
		ct_cpuidle_enter();
		atomic_set_release(owner, CPU_PROXY_HALTED);
		cpu_proxy_test_halt_delay(pc->cpu);
		raw_safe_halt();
		raw_local_irq_disable();
		cpu_proxy_claim_slow(false);
		ct_cpuidle_exit();

		WRITE_ONCE(pc->halting, false);
		/*
		 * The pass below runs N's softirqs here: a wait for a proxy's
		 * bottom halves starts again at the next pass that leaves
		 * them. N owns its context: a proxy wrote this before it gave
		 * it back, and the claim's cmpxchg orders that before here.
		 */
		pc->bh_since = 0;
		__current_set_polling();
		woke = true;
		pc->native = true;	/* look at what woke us */
	}
	__current_set_polling();
	cpu_proxy_uninstall(pc);
	local_irq_enable();
}

static void __init cpu_proxy_init_cpu(struct cpu_proxy_cpu *pc, unsigned int cpu)
{
	pc->cpu = cpu;
	pc->proxy = -1;
	pc->hw = -1;
	init_llist_head(&pc->deferred);
	pc->next_event = KTIME_MAX;
	pc->evt.name = "cpu-proxy";
	pc->evt.features = CLOCK_EVT_FEAT_ONESHOT | CLOCK_EVT_FEAT_KTIME;
	pc->evt.set_next_ktime = cpu_proxy_evt_next;
	pc->evt.set_state_shutdown = cpu_proxy_evt_stop;
	pc->evt.set_state_oneshot_stopped = cpu_proxy_evt_stop;
	pc->evt.mult = 1;
	pc->evt.min_delta_ns = 1;
	pc->evt.max_delta_ns = KTIME_MAX;
	pc->evt.min_delta_ticks = 1;
	pc->evt.max_delta_ticks = ULONG_MAX;
	pc->evt.cpumask = cpumask_of(cpu);
	hrtimer_init(&pc->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_PINNED_HARD);
	pc->timer.function = cpu_proxy_timer_fn;
	hrtimer_init(&pc->retry, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	pc->retry.function = cpu_proxy_retry_fn;
	pc->kick = IRQ_WORK_INIT_HARD(cpu_proxy_kick_fn);
}

/* Every possible CPU starts with no proxy (not CPU 0) and its devices set. */
static int __init cpu_proxy_init(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		cpu_proxy_init_cpu(per_cpu_ptr(&cpu_proxy_cpus, cpu), cpu);
	return 0;
}
core_initcall(cpu_proxy_init);

/**
 * cpu_proxy_can_park - can the CPUs of @set be parked on this machine?
 * @set: CPUs about to be parked
 *
 * The architecture's preconditions (arch_cpu_proxy_supported()), and for
 * each CPU a tick device the proxy can stand in for: a per-CPU device
 * that keeps running in deep idle. One that stops there
 * (CLOCK_EVT_FEAT_C3STOP, a local APIC timer without ARAT) relies on the
 * broadcast device and is never handed over (tick_swap_this_cpu_device());
 * a pass would then program it on the proxy's hardware. So is a dummy
 * device, one without one-shot mode, or one that is not the CPU's own. A CPU whose tick
 * is still periodic (it came online a tick ago) parks: it takes its own
 * periodic tick, and hands its device over once the tick goes one-shot.
 *
 * Context: process context, cpu_proxy_lock() held.
 * Return: 0, or -EOPNOTSUPP with a log line.
 */
int cpu_proxy_can_park(const struct cpumask *set)
{
	unsigned int cpu;
	int ret;

	cpu_maps_assert_held();
	ret = arch_cpu_proxy_supported();
	if (ret)
		return ret;
	for_each_cpu(cpu, set) {
		struct clock_event_device *dev = per_cpu(tick_cpu_device, cpu).evtdev;

		if (!dev || (dev->features & CLOCK_EVT_FEAT_C3STOP)) {
			pr_warn_ratelimited("cpu-proxy: cannot park CPU%u: its tick device %s stops in deep idle (no ARAT?); a proxy cannot stand in for it\n",
					    cpu, dev ? dev->name : "(none)");
			return -EOPNOTSUPP;
		}
		/*
		 * A dummy device (the broadcast device ticks for it), one that
		 * cannot go one-shot, or one shared with other CPUs is never
		 * handed over either.
		 */
		if ((dev->features & CLOCK_EVT_FEAT_DUMMY) ||
		    !(dev->features & CLOCK_EVT_FEAT_ONESHOT) ||
		    !cpumask_equal(dev->cpumask, cpumask_of(cpu))) {
			pr_warn_ratelimited("cpu-proxy: cannot park CPU%u: its tick device %s is not a one-shot device of its own; a proxy cannot stand in for it\n",
					    cpu, dev->name);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/**
 * cpu_proxy_stop_parked - count parked CPUs as stopped
 * @stopping: the CPUs stop_machine() is to stop; those it need not wake
 *            are cleared
 * @keep: CPUs that must run the stop function themselves, or NULL
 *
 * A parked CPU in its park loop runs nothing of its own and is sent
 * nothing: it needs no stopper to be stopped, only to stay in its loop.
 * Until the stop is over it does (cpu_proxy_may_leave()), even if
 * unparked meanwhile. While the other CPUs gather in multi_cpu_stop(),
 * interrupts on, its work goes on as usual, on its proxy or on itself;
 * when they all turn interrupts off, cpu_proxy_hold_parked() stops it too.
 * A CPU being parked, not in its loop yet, is stopped the usual way.
 *
 * Context: the stopper's mutex held, so only one stop holds CPUs.
 * Return: true if any CPU was left out of @stopping.
 */
bool cpu_proxy_stop_parked(struct cpumask *stopping, const struct cpumask *keep)
{
	unsigned int cpu;
	bool any = false;

	for_each_cpu(cpu, stopping) {
		struct cpu_proxy_cpu *pc = per_cpu_ptr(&cpu_proxy_cpus, cpu);

		if (keep && cpumask_test_cpu(cpu, keep))
			continue;
		if (!READ_ONCE(per_cpu(cpu_proxy_want_park, cpu)) ||
		    /* In its park loop; pairs with cpu_proxy_install(). */
		    !smp_load_acquire(&pc->installed))
			continue;
		cpumask_set_cpu(cpu, &cpu_proxy_held_mask);
		/*
		 * Held before the unpark check and before the check that it
		 * is not leaving for a task; pairs with cpu_proxy_may_leave()
		 * and with cpu_proxy_idle(). Either the CPU sees itself held
		 * and stays, or it is stopped the usual way.
		 */
		smp_mb__after_atomic();
		if (!READ_ONCE(per_cpu(cpu_proxy_want_park, cpu)) ||
		    READ_ONCE(pc->leaving)) {
			cpumask_clear_cpu(cpu, &cpu_proxy_held_mask);
			/*
			 * Stopped the usual way, so it must be awake. Both
			 * sides may have seen each other: it saw itself held
			 * and went back to sleep, with need_resched already
			 * set, so that the wakeup of its stopper sends no
			 * IPI (resched_curr()). Interrupt it: it looks again.
			 */
			arch_cpu_proxy_wake(cpu);
			continue;
		}
		__cpumask_clear_cpu(cpu, stopping);
		cpu_proxy_note_stop_held();
		any = true;
	}
	return any;
}

/**
 * cpu_proxy_hold_parked - stop, or release, what cpu_proxy_stop_parked() left out
 * @stop: true as the stopped CPUs turn their interrupts off, false as they
 *        are about to turn them back on
 *
 * Stopping waits for each held CPU to be halted, its proxy done with it,
 * and marks it STOPPED. A held CPU awake for an interrupt, or for a
 * per-CPU kthread, goes back to its halt in a moment: it cannot leave its
 * loop, and the CPUs it may wait for still take interrupts. Releasing puts
 * it back to HALTED (or NATIVE if an NMI took it) before any stopped CPU
 * runs again, and has its proxy look at what was redirected meanwhile:
 * a CPU leaving the stop may at once wait for the held CPU's work.
 *
 * Context: multi_cpu_stop(), the last CPU to reach a state.
 */
void cpu_proxy_hold_parked(bool stop)
{
	unsigned int cpu;

	for_each_cpu(cpu, &cpu_proxy_held_mask) {
		atomic_t *owner = per_cpu_ptr(&cpu_proxy_owner, cpu);
		int old = CPU_PROXY_STOPPED;

		if (stop) {
			while (atomic_cmpxchg(owner, CPU_PROXY_HALTED,
					      CPU_PROXY_STOPPED) != CPU_PROXY_HALTED)
				cpu_relax();
			continue;
		}
		/*
		 * An NMI that took the CPU while stopped gives it back as
		 * STOPPED as it returns: wait for that, a few instructions.
		 */
		while (!atomic_try_cmpxchg(owner, &old, CPU_PROXY_HALTED)) {
			cpu_relax();
			old = CPU_PROXY_STOPPED;
		}
		cpu_proxy_kick(per_cpu_ptr(&cpu_proxy_cpus, cpu));
	}
}

/**
 * cpu_proxy_unstop_parked - end what cpu_proxy_stop_parked() began
 *
 * The held CPUs may leave their loop again; those unparked during the
 * stop, or with a task woken meanwhile, are woken to do so.
 * Context: the stopper's mutex held, the stop over.
 */
void cpu_proxy_unstop_parked(void)
{
	unsigned int cpu;

	for_each_cpu(cpu, &cpu_proxy_held_mask) {
		/* Released before it may leave; pairs with cpu_proxy_may_leave(). */
		smp_mb__before_atomic();
		cpumask_clear_cpu(cpu, &cpu_proxy_held_mask);
		if (!READ_ONCE(per_cpu(cpu_proxy_want_park, cpu)) ||
		    test_tsk_need_resched(idle_task(cpu)))
			arch_cpu_proxy_wake(cpu);
	}
}
