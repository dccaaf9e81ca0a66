// SPDX-License-Identifier: GPL-2.0
/*
 * Processor proxies: the parked CPU's loop and its proxy's passes.
 *
 * A parked CPU N sleeps in cpu_proxy_idle(), halted with interrupts on but
 * with nothing sent to it: IPIs addressed to it are redirected to its proxy
 * P (cpu_proxy_redirect_*()), and its clock-event device is replaced by
 * one whose expiry arms an hrtimer on P. P then runs a "pass" for N: it
 * switches its per-CPU base to N's (arch_cpu_proxy_run()) and does what an
 * interrupt on idle N would do, on P's hardware: irq_enter(), N's queued
 * calls and irq_work, N's expired timers, irq_exit() with N's softirqs,
 * and the nohz re-evaluation of N's idle tick.
 *
 * Who runs N's per-CPU context is decided by cpu_proxy_owner (see
 * include/linux/cpu_proxy.h): a pass takes it from HALTED to PROXY and back;
 * an interrupt that wakes N takes it to NATIVE, waiting for a pass to end.
 * What only N itself may run (task wakeups on its runqueue, requests bound
 * to its hardware) is left queued and N is woken to run it natively.
 *
 * Policy (which CPU proxies which) is the Rust core's; this file is the
 * mechanism. See Documentation/cpu-proxy.rst.
 */

#include <linux/clockchips.h>
#include <linux/context_tracking.h>
#include <linux/cpu.h>
#include <linux/cpu_proxy.h>
#include <linux/cpuidle.h>
#include <linux/delay.h>
#include <linux/hardirq.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/ktime.h>
#include <linux/mmu_context.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/idle.h>
#include <linux/smp.h>
#include <linux/tick.h>
#include <linux/workqueue.h>
#include <asm/irq_regs.h>

/*
 * A proxy that finds N on its way to hlt waits this long for it, with
 * interrupts off, then looks again after CPU_PROXY_HALT_RETRY_NS instead
 * of holding its own CPU: N needs a few instructions, unless its (virtual)
 * CPU is held up, and then spinning only keeps it held up longer. A proxy
 * interrupted with its bottom halves off looks again after that long too.
 */
#define CPU_PROXY_HALT_SPIN_NS		(10 * NSEC_PER_USEC)
#define CPU_PROXY_HALT_RETRY_NS		(50 * NSEC_PER_USEC)

/*
 * Unbinding N's per-CPU workqueue pools (cpu_proxy_cpu.wq_state): the
 * parker asks (REQ), N takes the request from its idle task (BUSY) and
 * does its half (DONE), the parker does the rest (IDLE again). A request
 * N has not taken yet is withdrawn by the parker (REQ to IDLE).
 */
enum {
	CPU_PROXY_WQ_IDLE,
	CPU_PROXY_WQ_REQ,
	CPU_PROXY_WQ_BUSY,
	CPU_PROXY_WQ_DONE,
};

/* The part of a parked CPU's state that its proxy works with. */
struct cpu_proxy_cpu {
	struct clock_event_device evt;	/* stands in for N's tick device */
	struct clock_event_device *saved_evt;
	struct hrtimer timer;		/* on the proxy: N's next expiry */
	struct hrtimer retry;		/* on the proxy: look again later */
	struct irq_work kick;		/* on the proxy: run a pass for N */
	ktime_t next_event;		/* what N programmed into evt */
	unsigned int cpu;
	int proxy;			/* -1: none assigned */
	bool installed;			/* N is in its park loop, evt installed */
	bool rearm;			/* next_event changed, timer not armed */
	bool native;			/* a pass left work for N itself */
	bool halting;			/* N is between its last check and hlt */
	bool unwatched;			/* the soft-lockup watchdog is off for N */
	bool wq_unbound;		/* N's per-CPU pools are unbound */
	bool waking;			/* the parker is waking N (cpu_proxy_wait()) */
	atomic_t wq_state;		/* CPU_PROXY_WQ_*: unbinding N's pools */
	atomic_t work;			/* calls were queued for N */
	atomic_t resched;		/* a resched kick was redirected */
	atomic_t moved;			/* the proxy changed: re-arm there */
};

static DEFINE_PER_CPU(struct cpu_proxy_cpu, cpu_proxy_cpus);
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

/* Request functions a proxy must not run; filled at boot, then read-only. */
#define CPU_PROXY_MAX_HW_BOUND 32
static const cpu_proxy_func_t *cpu_proxy_hw_bound_funcs[CPU_PROXY_MAX_HW_BOUND];
static unsigned int cpu_proxy_hw_bound_nr[CPU_PROXY_MAX_HW_BOUND];
static unsigned int cpu_proxy_hw_bound_tables;

/**
 * cpu_proxy_register_hw_bound - name request functions bound to hardware
 * @funcs: functions that must run on the very CPU they were sent to
 * @n: how many
 *
 * Context: boot (initcalls), before any CPU can be parked.
 */
void __init cpu_proxy_register_hw_bound(const cpu_proxy_func_t *funcs,
					unsigned int n)
{
	if (WARN_ON(cpu_proxy_hw_bound_tables >= CPU_PROXY_MAX_HW_BOUND))
		return;
	cpu_proxy_hw_bound_funcs[cpu_proxy_hw_bound_tables] = funcs;
	cpu_proxy_hw_bound_nr[cpu_proxy_hw_bound_tables] = n;
	cpu_proxy_hw_bound_tables++;
}

/**
 * cpu_proxy_hw_bound - must @func run on the CPU it was sent to?
 * @func: the function of a queued call
 *
 * Context: any.
 */
bool cpu_proxy_hw_bound(cpu_proxy_func_t func)
{
	unsigned int t, i;

	for (t = 0; t < cpu_proxy_hw_bound_tables; t++)
		for (i = 0; i < cpu_proxy_hw_bound_nr[t]; i++)
			if (cpu_proxy_hw_bound_funcs[t][i] == func)
				return true;
	return false;
}

/* A pass found work only the parked CPU itself may run; see smp.c. */
void cpu_proxy_need_native(void)
{
	this_cpu_ptr(&cpu_proxy_cpus)->native = true;
}

static int cpu_proxy_evt_next(ktime_t expires, struct clock_event_device *evt)
{
	struct cpu_proxy_cpu *pc = container_of(evt, struct cpu_proxy_cpu, evt);

	WRITE_ONCE(pc->next_event, expires);
	pc->rearm = true;
	return 0;
}

static int cpu_proxy_evt_stop(struct clock_event_device *evt)
{
	return cpu_proxy_evt_next(KTIME_MAX, evt);
}

/* Queue a pass for @pc's CPU on its proxy. */
static void cpu_proxy_kick(struct cpu_proxy_cpu *pc)
{
	int proxy = READ_ONCE(pc->proxy);

	if (proxy >= 0)
		irq_work_queue_on(&pc->kick, proxy);
}

static bool cpu_proxy_pending(struct cpu_proxy_cpu *pc)
{
	return atomic_read(&pc->work) || atomic_read(&pc->resched) ||
	       atomic_read(&pc->moved) || pc->rearm ||
	       READ_ONCE(pc->next_event) <= ktime_get();
}

/*
 * One pass: what an interrupt on idle N does. Runs as N, either on N
 * itself or, through arch_cpu_proxy_run(), on its proxy's hardware.
 * Interrupts are off.
 */
static void cpu_proxy_pass(void *arg)
{
	struct cpu_proxy_cpu *pc = arg;
	/* The interrupted context: N's idle task, in the kernel. */
	struct pt_regs regs = {};
	struct pt_regs *old_regs = set_irq_regs(&regs);

	irq_enter();
	atomic_set(&pc->work, 0);
	/* Clear before taking the queue; pairs with cpu_proxy_redirect_call(). */
	smp_mb__after_atomic();
	generic_smp_call_function_single_interrupt();
	irq_work_run();
	if (READ_ONCE(pc->next_event) <= ktime_get()) {
		WRITE_ONCE(pc->next_event, KTIME_MAX);
		pc->evt.event_handler(&pc->evt);
	}
	irq_exit();
	set_irq_regs(old_regs);

	/* A redirected resched: run something, or just re-evaluate timers. */
	if (atomic_xchg(&pc->resched, 0) && sched_parked_idle_drop_resched())
		pc->native = true;
	if (need_resched())
		pc->native = true;
	else
		tick_nohz_idle_stop_tick();
}

/* On the proxy, as itself: follow N's expiry with the proxy's hrtimer. */
static void cpu_proxy_arm(struct cpu_proxy_cpu *pc)
{
	ktime_t next;

	if (!pc->rearm && !atomic_xchg(&pc->moved, 0))
		return;
	pc->rearm = false;
	next = READ_ONCE(pc->next_event);
	if (next == KTIME_MAX)
		hrtimer_try_to_cancel(&pc->timer);
	else
		hrtimer_start(&pc->timer, next, HRTIMER_MODE_ABS_PINNED_HARD);
}

/*
 * On the proxy, interrupts off: run passes for @pc's CPU while it is halted
 * and has work. If the CPU runs itself, it sees its work before it halts.
 */
static void cpu_proxy_service(struct cpu_proxy_cpu *pc)
{
	atomic_t *owner = per_cpu_ptr(&cpu_proxy_owner, pc->cpu);
	unsigned int passes = 0;
	u64 spin_until = 0;
	bool native;
	int old;

	lockdep_assert_irqs_disabled();
	if (READ_ONCE(pc->proxy) != smp_processor_id()) {
		/* Proxy changed since this was queued: hand it over. */
		cpu_proxy_kick(pc);
		return;
	}
	/*
	 * A pass runs N's softirqs on this CPU's hardware. If this CPU was
	 * interrupted with its bottom halves off (spin_lock_bh()) or in a
	 * softirq, a softirq handler of N's may want the very lock it holds
	 * and spin on it forever: look again once this CPU is out of there.
	 */
	if (softirq_count()) {
		hrtimer_start(&pc->retry, ns_to_ktime(CPU_PROXY_HALT_RETRY_NS),
			      HRTIMER_MODE_REL_PINNED_HARD);
		return;
	}
again:
	old = atomic_cmpxchg_acquire(owner, CPU_PROXY_HALTED, CPU_PROXY_PROXY);
	if (old != CPU_PROXY_HALTED) {
		/*
		 * NATIVE while N is on its way to hlt (it kicked us before it
		 * gave its context up): wait the few instructions until it
		 * halts, then look again a little later. Otherwise N runs
		 * itself and will look at its work.
		 */
		if (old == CPU_PROXY_NATIVE && READ_ONCE(pc->halting)) {
			if (!spin_until)
				spin_until = ktime_get_ns() + CPU_PROXY_HALT_SPIN_NS;
			if (ktime_get_ns() < spin_until) {
				cpu_relax();
				goto again;
			}
			hrtimer_start(&pc->retry, ns_to_ktime(CPU_PROXY_HALT_RETRY_NS),
				      HRTIMER_MODE_REL_PINNED_HARD);
		}
		return;
	}

	cpu_proxy_note_proxy_entry();
	WRITE_ONCE(per_cpu(cpu_proxy_proxied, pc->cpu), true);
	arch_cpu_proxy_run(pc->cpu, cpu_proxy_pass, pc);
	WRITE_ONCE(per_cpu(cpu_proxy_proxied, pc->cpu), false);
	cpu_proxy_arm(pc);
	native = pc->native;
	pc->native = false;
	atomic_set_release(owner, CPU_PROXY_HALTED);
	/* Release before looking for new work; pairs with the redirects. */
	smp_mb__after_atomic();

	if (native) {
		arch_cpu_proxy_wake(pc->cpu);
		return;
	}
	if (cpu_proxy_pending(pc)) {
		if (++passes < 4)
			goto again;
		cpu_proxy_kick(pc);
	}
}

static void cpu_proxy_kick_fn(struct irq_work *work)
{
	cpu_proxy_service(container_of(work, struct cpu_proxy_cpu, kick));
}

static enum hrtimer_restart cpu_proxy_timer_fn(struct hrtimer *timer)
{
	cpu_proxy_service(container_of(timer, struct cpu_proxy_cpu, timer));
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart cpu_proxy_retry_fn(struct hrtimer *timer)
{
	cpu_proxy_service(container_of(timer, struct cpu_proxy_cpu, retry));
	return HRTIMER_NORESTART;
}

/*
 * Flag @what for @pc's CPU, then hand it to the proxy unless the CPU runs
 * itself. Return: true if the proxy takes it.
 */
static bool cpu_proxy_redirect(struct cpu_proxy_cpu *pc, atomic_t *what)
{
	atomic_set(what, 1);
	/* Publish the work before reading the owner; pairs with the pass. */
	smp_mb__after_atomic();
	if (atomic_read(per_cpu_ptr(&cpu_proxy_owner, pc->cpu)) == CPU_PROXY_NATIVE)
		return false;
	cpu_proxy_note_proxied_ipi();
	cpu_proxy_kick(pc);
	return true;
}

/**
 * cpu_proxy_redirect_call - deliver queued calls for @cpu to its proxy
 * @cpu: a CPU whose owner is not NATIVE
 *
 * Context: any; called from the IPI send path in kernel/smp.c.
 * Return: true if the proxy will run them, false to send the IPI to @cpu.
 */
bool cpu_proxy_redirect_call(unsigned int cpu)
{
	struct cpu_proxy_cpu *pc = per_cpu_ptr(&cpu_proxy_cpus, cpu);

	return cpu_proxy_redirect(pc, &pc->work);
}

/**
 * cpu_proxy_redirect_call_mask - cpu_proxy_redirect_call() for a mask
 * @mask: the CPUs to send to; those whose proxy takes over are cleared
 */
void cpu_proxy_redirect_call_mask(struct cpumask *mask)
{
	unsigned int cpu;

	for_each_cpu(cpu, mask)
		if (cpu_proxy_ipi_redirected(cpu) && cpu_proxy_redirect_call(cpu))
			__cpumask_clear_cpu(cpu, mask);
}

/**
 * cpu_proxy_redirect_resched - deliver a reschedule kick to @cpu's proxy
 * @cpu: a CPU whose owner is not NATIVE
 *
 * A kick with a task to run must wake the CPU; one without (a timer queued
 * from afar wants the idle CPU to re-evaluate its tick) is the proxy's.
 * Return: true if the proxy takes it, false to send the IPI to @cpu.
 */
bool cpu_proxy_redirect_resched(unsigned int cpu)
{
	struct cpu_proxy_cpu *pc = per_cpu_ptr(&cpu_proxy_cpus, cpu);

	if (!idle_cpu(cpu))
		return false;
	return cpu_proxy_redirect(pc, &pc->resched);
}

/**
 * cpu_proxy_claim_slow - take this CPU's context back from its proxy
 * @nmi: called on NMI entry
 *
 * See cpu_proxy_irq_claim(). Waits while a pass runs; a pass never waits
 * for this CPU, so the wait is as short as a pass. While stop_machine()
 * holds this CPU stopped, an interrupt waits, interrupts off, for the stop
 * to end, as it would on a CPU in multi_cpu_stop(); an NMI runs, and the
 * CPU stays stopped after it (STOPPED_NMI).
 */
noinstr void cpu_proxy_claim_slow(bool nmi)
{
	atomic_t *owner = this_cpu_ptr(&cpu_proxy_owner);
	int old = raw_atomic_read(owner);
	int new;

	for (;;) {
		if (old == CPU_PROXY_NATIVE ||
		    (nmi && old == CPU_PROXY_STOPPED_NMI))
			return;
		if (old == CPU_PROXY_HALTED)
			new = CPU_PROXY_NATIVE;
		else if (nmi && old == CPU_PROXY_STOPPED)
			new = CPU_PROXY_STOPPED_NMI;
		else
			new = -1;	/* a pass runs, or a stop: wait */
		if (new < 0) {
			cpu_relax();
			old = raw_atomic_read(owner);
			continue;
		}
		if (raw_atomic_try_cmpxchg(owner, &old, new))
			break;
	}
	this_cpu_ptr(&cpu_proxy_cpus)->halting = false;
	arch_cpu_proxy_resume();
}

static void cpu_proxy_install(struct cpu_proxy_cpu *pc)
{
	leave_mm();
	pc->next_event = KTIME_MAX;
	pc->saved_evt = tick_swap_this_cpu_device(&pc->evt);
	/* Installed before it is seen; cpu_proxy_in_loop() acquires. */
	smp_store_release(&pc->installed, true);
	/*
	 * Installed before a parker's wakeup is looked for; pairs with
	 * cpu_proxy_wake_unless(). A parker that did not see this CPU
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
	pc->next_event = KTIME_MAX;
	pc->rearm = false;
	/* Leaving for good? Then watched again, before anything runs. */
	if (!this_cpu_read(cpu_proxy_want_park)) {
		lockup_detector_unparked();
		sched_parked_idle_exit();
	}
	/* Uninstalled before it is seen; cpu_proxy_in_loop() acquires. */
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

/*
 * N's half of unbinding its per-CPU pools, if the parker asked for it: in
 * the idle task no worker of N is between the checks that make this safe
 * only on N (workqueue_park_cpu_local()). The parker does the other half.
 */
static void cpu_proxy_wq_local(struct cpu_proxy_cpu *pc)
{
	/* Fully ordered: after the caller saw cpu_proxy_want_park. */
	if (atomic_cmpxchg(&pc->wq_state, CPU_PROXY_WQ_REQ,
			   CPU_PROXY_WQ_BUSY) != CPU_PROXY_WQ_REQ)
		return;
	workqueue_park_cpu_local(pc->cpu);
	/* Pairs with cpu_proxy_wq_done(). */
	atomic_set_release(&pc->wq_state, CPU_PROXY_WQ_DONE);
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
 * their idle loop until told (cpu_proxy_enter(cpu, 0)), unparked, or
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
 * @cpu: a CPU told to park (cpu_proxy_enter(@cpu, 0)) whose runqueue was
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
	cpu_proxy_wq_local(pc);
	sched_parked_idle_enter();
	cpu_proxy_install(pc);
	tick_nohz_idle_stop_tick();

	for (;;) {
		/* Whatever came while this CPU ran itself, or woke it. */
		if (cpu_proxy_pending(pc) || pc->native) {
			pc->native = false;
			cpu_proxy_pass(pc);
		}
		/* Woken to be unparked: not a wakeup while parked. */
		if (!pc->native && cpu_proxy_may_leave())
			break;
		if (woke) {
			cpu_proxy_note_wakeup();
			woke = false;
		}
		if (pc->native || current_clr_polling_and_test())
			break;

		/*
		 * The proxy must arm what this CPU programmed; it waits for
		 * the hlt below (halting) before it takes the context.
		 */
		WRITE_ONCE(pc->halting, true);
		if (pc->rearm)
			cpu_proxy_kick(pc);

		/* From here to hlt, nothing may touch this CPU's per-CPU data. */
		ct_cpuidle_enter();
		atomic_set_release(owner, CPU_PROXY_HALTED);
		raw_safe_halt();
		raw_local_irq_disable();
		cpu_proxy_claim_slow(false);
		ct_cpuidle_exit();

		WRITE_ONCE(pc->halting, false);
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

static bool cpu_proxy_in_loop(struct cpu_proxy_cpu *pc)
{
	/* Pairs with cpu_proxy_install() and cpu_proxy_uninstall(). */
	return smp_load_acquire(&pc->installed);
}

static bool cpu_proxy_out_of_loop(struct cpu_proxy_cpu *pc)
{
	return !cpu_proxy_in_loop(pc);
}

static bool cpu_proxy_wq_done(struct cpu_proxy_cpu *pc)
{
	/* Pairs with cpu_proxy_wq_local(). */
	return atomic_read_acquire(&pc->wq_state) == CPU_PROXY_WQ_DONE;
}

/*
 * Wake @pc's CPU unless @done(@pc) already. A CPU that gets into its park
 * loop meanwhile waits for the interrupt before it halts there, where the
 * interrupt would count as a wakeup while parked (cpu_proxy_install()).
 */
static bool cpu_proxy_wake_unless(struct cpu_proxy_cpu *pc,
				  bool (*done)(struct cpu_proxy_cpu *))
{
	bool ret;

	/* The CPU spins while this is set: no preemption in between. */
	preempt_disable();
	WRITE_ONCE(pc->waking, true);
	/* Waking before @done is read; pairs with cpu_proxy_install(). */
	smp_mb();
	ret = done(pc);
	if (!ret)
		arch_cpu_proxy_wake(pc->cpu);
	/* Sent before released. */
	smp_store_release(&pc->waking, false);
	preempt_enable();
	return ret;
}

/* Wait until @done(@pc), waking @pc's CPU meanwhile. */
static int cpu_proxy_wait(struct cpu_proxy_cpu *pc,
			  bool (*done)(struct cpu_proxy_cpu *), u64 timeout_ns)
{
	u64 start = ktime_get_ns(), kicked = start;

	while (!done(pc)) {
		u64 now = ktime_get_ns();

		if (fatal_signal_pending(current))
			return -EINTR;
		if (now - start > timeout_ns)
			return -EBUSY;
		if (now - kicked > NSEC_PER_MSEC) {
			if (cpu_proxy_wake_unless(pc, done))
				break;
			kicked = now;
		}
		/*
		 * The CPU needs microseconds: spin, then sleep. Not longer:
		 * on an overcommitted host a spinning vCPU takes the host
		 * CPUs the vCPUs it waits for need to wake.
		 */
		if (now - start < 200 * NSEC_PER_USEC)
			cpu_relax();
		else
			usleep_range(10, 50);
	}
	return 0;
}

/**
 * cpu_proxy_wq_lock - start parking a set of CPUs
 *
 * Until cpu_proxy_wq_unlock(), workers do not attach to or detach from
 * any pool, so that each parking CPU and the parker can unbind its
 * per-CPU pools in halves (workqueue_park_lock()).
 * Context: process context, cpu_proxy_lock() held; may sleep.
 */
void cpu_proxy_wq_lock(void)
{
	cpu_maps_assert_held();
	workqueue_park_lock();
}

/* The parker's half, once @pc's CPU did its own. */
static void cpu_proxy_wq_finish(struct cpu_proxy_cpu *pc)
{
	workqueue_park_cpu_unbind(pc->cpu);
	pc->wq_unbound = true;
	atomic_set(&pc->wq_state, CPU_PROXY_WQ_IDLE);
}

/**
 * cpu_proxy_wq_unbind - unbind a parking CPU's per-CPU pools
 * @cpu: a CPU told to park (cpu_proxy_enter(@cpu, 0))
 * @timeout_ns: give up after this long
 *
 * Waits for @cpu to reach its idle task and do its half, then does the
 * rest: its workers may run, and work queued for it is served, elsewhere.
 * Context: process context, cpu_proxy_wq_lock() held.
 * Return: 0, -EBUSY (@cpu did not go idle in time) or -EINTR.
 */
int cpu_proxy_wq_unbind(unsigned int cpu, u64 timeout_ns)
{
	struct cpu_proxy_cpu *pc = per_cpu_ptr(&cpu_proxy_cpus, cpu);
	int ret;

	if (atomic_read(&pc->wq_state) == CPU_PROXY_WQ_IDLE)
		return 0;
	ret = cpu_proxy_wait(pc, cpu_proxy_wq_done, timeout_ns);
	if (!ret)
		cpu_proxy_wq_finish(pc);
	return ret;
}

/**
 * cpu_proxy_wq_unlock - end what cpu_proxy_wq_lock() started
 *
 * Finishes the unbinding of every CPU that did its half, withdraws the
 * requests no CPU took (their pools stay bound), and lets workers attach
 * and detach again.
 * Context: process context, cpu_proxy_wq_lock() held.
 */
void cpu_proxy_wq_unlock(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct cpu_proxy_cpu *pc = per_cpu_ptr(&cpu_proxy_cpus, cpu);
		int old = atomic_cmpxchg(&pc->wq_state, CPU_PROXY_WQ_REQ,
					 CPU_PROXY_WQ_IDLE);

		if (old == CPU_PROXY_WQ_IDLE || old == CPU_PROXY_WQ_REQ)
			continue;
		/* Taken: the CPU's half is short, with interrupts off. */
		while (!cpu_proxy_wq_done(pc))
			cpu_relax();
		cpu_proxy_wq_finish(pc);
	}
	workqueue_park_unlock();
}

/**
 * cpu_proxy_enter - make a parking CPU enter its park loop
 * @cpu: a CPU being parked, with a proxy assigned
 * @timeout_ns: give up after this long; 0: only tell the CPU, do not wait
 *
 * Told before its tasks are pushed away, the CPU goes straight from its
 * last task into the park loop, on the way doing its half of unbinding its
 * per-CPU pools (cpu_proxy_wq_unbind()); a second call, once the pools
 * are unbound, waits for the loop.
 * Context: process context, cpu_proxy_lock() held; cpu_proxy_wq_lock()
 * held to tell, not held to wait.
 * Return: 0, -EINVAL (no proxy), -EBUSY (did not enter in time) or -EINTR.
 */
int cpu_proxy_enter(unsigned int cpu, u64 timeout_ns)
{
	struct cpu_proxy_cpu *pc = per_cpu_ptr(&cpu_proxy_cpus, cpu);
	int ret;

	cpu_maps_assert_held();
	if (WARN_ON_ONCE(pc->proxy < 0))
		return -EINVAL;
	if (!per_cpu(cpu_proxy_want_park, cpu)) {
		atomic_set(&pc->wq_state, CPU_PROXY_WQ_REQ);
		/* Asked before it parks; pairs with cpu_proxy_wq_local(). */
		smp_wmb();
		WRITE_ONCE(per_cpu(cpu_proxy_want_park, cpu), true);
		/* Seen by the CPU's idle loop once it next goes idle. */
		smp_mb();
	}
	if (!timeout_ns)
		return 0;
	ret = cpu_proxy_wait(pc, cpu_proxy_in_loop, timeout_ns);
	if (ret) {
		cpu_proxy_leave(cpu, timeout_ns);
		return ret;
	}
	lockup_detector_park_cpu(cpu);
	pc->unwatched = true;
	return 0;
}

/* Tell @pc's CPU to leave its loop; false if it was not told to park. */
static bool cpu_proxy_tell_leave(struct cpu_proxy_cpu *pc)
{
	WARN_ON_ONCE(atomic_read(&pc->wq_state) != CPU_PROXY_WQ_IDLE);
	if (!per_cpu(cpu_proxy_want_park, pc->cpu))
		return false;
	if (pc->unwatched)
		lockup_detector_unpark_cpu(pc->cpu);
	/* Asked before it leaves; pairs with lockup_detector_unparked(). */
	smp_wmb();
	WRITE_ONCE(per_cpu(cpu_proxy_want_park, pc->cpu), false);
	return true;
}

/*
 * While @pc's CPU wakes: its workers may run on it again as soon as it
 * runs tasks, and work queued for it waits for it from here on.
 */
static void cpu_proxy_rebind(struct cpu_proxy_cpu *pc)
{
	if (pc->wq_unbound) {
		workqueue_unpark_cpu(pc->cpu);
		pc->wq_unbound = false;
	}
}

/**
 * cpu_proxy_leave_set - tell parked CPUs to leave their park loops
 * @set: parked CPUs
 *
 * Tells every CPU of @set to leave, with one interrupt for the set, so
 * that the architecture can address them all at once, and binds their
 * per-CPU pools again; cpu_proxy_leave() then waits for each.
 * Context: process context, cpu_proxy_lock() held, cpu_proxy_wq_lock()
 * not held.
 */
void cpu_proxy_leave_set(const struct cpumask *set)
{
	unsigned int cpu;

	cpu_maps_assert_held();
	for_each_cpu(cpu, set)
		cpu_proxy_tell_leave(per_cpu_ptr(&cpu_proxy_cpus, cpu));
	/* Seen by the park loops once the wakeup below lands. */
	smp_mb();
	arch_cpu_proxy_wake_mask(set);
	for_each_cpu(cpu, set)
		cpu_proxy_rebind(per_cpu_ptr(&cpu_proxy_cpus, cpu));
}

/**
 * cpu_proxy_leave - make a parked CPU leave its park loop
 * @cpu: a parked CPU, or one cpu_proxy_leave_set() told to leave
 * @timeout_ns: give up after this long
 *
 * Told (here, if cpu_proxy_leave_set() did not), the CPU wakes and leaves
 * its loop, restarting its soft-lockup watchdog on the way; meanwhile its
 * per-CPU pools are bound to it again. On return it owns its context and
 * clock-event device again.
 * Context: process context, cpu_proxy_lock() held, cpu_proxy_wq_lock()
 * not held.
 * Return: 0, -EBUSY or -EINTR.
 */
int cpu_proxy_leave(unsigned int cpu, u64 timeout_ns)
{
	struct cpu_proxy_cpu *pc = per_cpu_ptr(&cpu_proxy_cpus, cpu);
	int ret;

	cpu_maps_assert_held();
	if (cpu_proxy_tell_leave(pc)) {
		/* Seen by the park loop once the wakeup below lands. */
		smp_mb();
		arch_cpu_proxy_wake(cpu);
	}
	cpu_proxy_rebind(pc);
	ret = cpu_proxy_wait(pc, cpu_proxy_out_of_loop, timeout_ns);
	if (pc->unwatched) {
		lockup_detector_unpark_done(cpu, !ret);
		pc->unwatched = !!ret;
	}
	return ret;
}

/**
 * cpu_proxy_set_proxy - choose the CPU that stands in for @cpu
 * @cpu: a parked or parking CPU
 * @proxy: an active CPU, or -1 for none (only once @cpu left its loop)
 *
 * Moves @cpu's proxy timer to @proxy if it is running.
 * Context: process context, cpu_proxy_lock() held.
 */
void cpu_proxy_set_proxy(unsigned int cpu, int proxy)
{
	struct cpu_proxy_cpu *pc = per_cpu_ptr(&cpu_proxy_cpus, cpu);

	cpu_maps_assert_held();
	if (pc->proxy == proxy)
		return;
	WRITE_ONCE(pc->proxy, proxy);
	/* Pairs with cpu_proxy_install(): a timer to move exists. */
	if (proxy < 0 || !smp_load_acquire(&pc->installed))
		return;
	hrtimer_cancel(&pc->timer);
	hrtimer_cancel(&pc->retry);
	atomic_set(&pc->moved, 1);
	preempt_disable();
	cpu_proxy_kick(pc);
	preempt_enable();
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
		if (keep && cpumask_test_cpu(cpu, keep))
			continue;
		if (!READ_ONCE(per_cpu(cpu_proxy_want_park, cpu)) ||
		    /* In its park loop; pairs with cpu_proxy_install(). */
		    !smp_load_acquire(&per_cpu(cpu_proxy_cpus, cpu).installed))
			continue;
		cpumask_set_cpu(cpu, &cpu_proxy_held_mask);
		/* Held before the unpark check; pairs with cpu_proxy_may_leave(). */
		smp_mb__after_atomic();
		if (!READ_ONCE(per_cpu(cpu_proxy_want_park, cpu))) {
			cpumask_clear_cpu(cpu, &cpu_proxy_held_mask);
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
		if (!atomic_try_cmpxchg(owner, &old, CPU_PROXY_HALTED) &&
		    old == CPU_PROXY_STOPPED_NMI)
			atomic_set(owner, CPU_PROXY_NATIVE);
		cpu_proxy_kick(per_cpu_ptr(&cpu_proxy_cpus, cpu));
	}
}

/**
 * cpu_proxy_unstop_parked - end what cpu_proxy_stop_parked() began
 *
 * The held CPUs may leave their loop again; those unparked during the
 * stop are woken to do so.
 * Context: the stopper's mutex held, the stop over.
 */
void cpu_proxy_unstop_parked(void)
{
	unsigned int cpu;

	for_each_cpu(cpu, &cpu_proxy_held_mask) {
		/* Released before it may leave; pairs with cpu_proxy_may_leave(). */
		smp_mb__before_atomic();
		cpumask_clear_cpu(cpu, &cpu_proxy_held_mask);
		if (!READ_ONCE(per_cpu(cpu_proxy_want_park, cpu)))
			arch_cpu_proxy_wake(cpu);
	}
}

/**
 * cpu_proxy_get_proxy - the CPU that stands in for @cpu, or -1
 * @cpu: a CPU
 */
int cpu_proxy_get_proxy(unsigned int cpu)
{
	return READ_ONCE(per_cpu_ptr(&cpu_proxy_cpus, cpu)->proxy);
}
