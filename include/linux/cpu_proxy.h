/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Processor proxies and parallel hotplug: the C-facing API.
 *
 * The core is Rust (rust/proxy/); its objects are opaque to C. Functions
 * marked "Rust" are implemented there, the others in kernel/cpu_proxy_glue.c.
 * See Documentation/core-api/cpu-proxy.rst.
 */
#ifndef _LINUX_CPU_PROXY_H
#define _LINUX_CPU_PROXY_H

#include <linux/array_size.h>
#include <linux/cpumask.h>
#include <linux/cpuhotplug.h>
#include <linux/atomic.h>
#include <linux/init.h>
#include <linux/jump_label.h>
#include <linux/jump_label_ratelimit.h>
#include <linux/llist.h>
#include <linux/percpu.h>
#include <linux/types.h>

struct pt_regs;

#ifdef CONFIG_CPU_PROXY

/*
 * Parked CPUs. A parked CPU stays in cpu_online_mask but leaves
 * cpu_active_mask and runs only its idle task (and per-CPU kthreads, until
 * proxies take their work over). The mask is written only by the Rust core,
 * under cpu_maps_update_begin(); the key is on while any CPU is parked (and,
 * with CONFIG_JUMP_LABEL, for a second after the last unparks), so that
 * with nothing parked the hooks below cost one static branch (a
 * patched-out jump with CONFIG_JUMP_LABEL, a load and a test without).
 * A hook must not take the key alone to mean that some CPU is parked.
 */
extern struct static_key_false_deferred cpu_proxy_parked_key;
extern struct cpumask __cpu_parked_mask;
#define cpu_parked_mask ((const struct cpumask *)&__cpu_parked_mask)

/*
 * Is any CPU parked? False while none is, as one static branch; true while
 * any is, and with CONFIG_JUMP_LABEL for up to a second after the last.
 */
static __always_inline bool cpu_proxy_any_parked(void)
{
	return static_branch_unlikely(&cpu_proxy_parked_key.key);
}

#else /* !CONFIG_CPU_PROXY */

/*
 * Nothing is ever parked: every hook below folds to nothing at compile
 * time, and callers may use the mask without an #ifdef. The functions
 * declared below that are not inline exist only with CONFIG_CPU_PROXY,
 * unless a stub follows them: call them behind cpu_proxy_any_parked(),
 * cpu_proxy_in_proxy() or cpu_proxy_parked(), or under #ifdef.
 */
#define cpu_parked_mask cpu_none_mask

static __always_inline bool cpu_proxy_any_parked(void)
{
	return false;
}

#endif /* CONFIG_CPU_PROXY */

/**
 * cpu_proxy_parked - is @cpu parked?
 * @cpu: the CPU
 *
 * Context: any. Stable only under cpu_maps_update_begin().
 * Return: true if @cpu is parked.
 */
static __always_inline bool cpu_proxy_parked(unsigned int cpu)
{
	return cpu_proxy_any_parked() &&
	       cpumask_test_cpu(cpu, cpu_parked_mask);
}

/*
 * Why a parked CPU was woken to run natively (rust/proxy/idle.rs); a
 * bit mask, each bit counted in stats as woken_<reason>.
 */
#define CPU_PROXY_WHY_CALL	0x01	/* a call not on the allow-list */
#define CPU_PROXY_WHY_TASK	0x02	/* a task to run (a per-CPU kthread) */
#define CPU_PROXY_WHY_SOFTIRQ	0x04	/* its softirqs, kept from its proxy */
#define CPU_PROXY_WHY_HW	0x08	/* hardware-bound work deferred to it */
#define CPU_PROXY_WHY_OTHER	0x10	/* anything else: a device interrupt */

/*
 * Who runs a parked CPU's interrupt-side work (kernel/cpu_proxy_proxy.c).
 *
 * NATIVE: the CPU itself, as usual (always so outside the park loop).
 * HALTED: nobody; the CPU sleeps in its park loop and its proxy may take
 *         over. PROXY: its proxy runs it, under the CPU's per-CPU base.
 * STOPPED: nobody, held so by stop_machine(), which counts the halted CPU
 *         as stopped (cpu_proxy_stop_parked()). STOPPED_NMI: the same,
 *         while an NMI runs on the CPU (NMIs run on stopped CPUs too); it
 *         is STOPPED again when the NMI returns.
 * Exactly one of the CPU or a proxy runs the CPU's per-CPU context at any
 * time: an interrupt that wakes a halted CPU first waits for a running
 * proxy to finish (cpu_proxy_irq_claim()).
 */
enum cpu_proxy_owner {
	CPU_PROXY_NATIVE,
	CPU_PROXY_HALTED,
	CPU_PROXY_PROXY,
	CPU_PROXY_STOPPED,
	CPU_PROXY_STOPPED_NMI,
};

DECLARE_PER_CPU(atomic_t, cpu_proxy_owner);

bool cpu_proxy_claim_slow(bool nmi);
void cpu_proxy_nmi_release(bool halted);
/* Architecture: an interrupt taken on the parked CPU's hlt returns past it. */
bool arch_cpu_proxy_skip_halt(struct pt_regs *regs);
/* The hlt of the park loop's halt (arch_cpu_proxy_halt()), if it has one. */
extern const u8 cpu_proxy_hlt_insn[];

/**
 * cpu_proxy_irq_claim - make this CPU the owner of its context again
 * @regs: the interrupted registers
 *
 * Called first on interrupt and NMI entry: a parked CPU woken from its
 * halt takes its context back from its proxy, waiting for a proxy that is
 * running it to finish, and flushes its TLB and serialises (work acked by
 * the proxy on its behalf, see Documentation/core-api/cpu-proxy.rst). One
 * static branch while nothing is parked.
 *
 * An interrupt taken on the hlt of the park loop itself, before it ran
 * (the STI before it holds interrupts off until it ran, but an NMI taken
 * in that shadow returns to the hlt with interrupts on), returns past the
 * hlt: it took the context, and the CPU must not sleep owning it,
 * unserved by its proxy.
 */
static __always_inline void cpu_proxy_irq_claim(struct pt_regs *regs)
{
	if (cpu_proxy_any_parked() &&
	    raw_atomic_read(this_cpu_ptr(&cpu_proxy_owner)) != CPU_PROXY_NATIVE) {
		cpu_proxy_claim_slow(false);
		arch_cpu_proxy_skip_halt(regs);
	}
}

/**
 * cpu_proxy_nmi_claim - cpu_proxy_irq_claim() for NMI entry
 *
 * As cpu_proxy_irq_claim(), except that an NMI does not wait for a
 * stop_machine() that holds this CPU to end: it runs, as NMIs do on CPUs
 * that stop_machine() stopped, and the CPU stays held afterwards. Also
 * for exceptions entered as NMIs are (int3, #DB, #MC from kernel mode).
 *
 * Return: true if the NMI took the CPU's context from a halted park loop;
 * pass it to cpu_proxy_nmi_release() on NMI exit.
 */
static __always_inline bool cpu_proxy_nmi_claim(void)
{
	if (cpu_proxy_any_parked() &&
	    raw_atomic_read(this_cpu_ptr(&cpu_proxy_owner)) != CPU_PROXY_NATIVE)
		return cpu_proxy_claim_slow(true);
	return false;
}

/*
 * Redirection of IPIs to a parked CPU (Rust: rust/proxy/redirect.rs).
 *
 * cpu_proxy_redirect_call - calls were queued for @cpu, whose owner was
 * not NATIVE (cpu_proxy_ipi_redirected()): hand them to its proxy.
 * Return: true if the proxy runs them, false to send @cpu the IPI.
 *
 * cpu_proxy_redirect_call_mask - the same for each CPU of @mask; the CPUs
 * whose proxy takes the calls are cleared from @mask. Only with
 * cpu_proxy_any_parked().
 *
 * cpu_proxy_redirect_resched - a reschedule kick for @cpu, whose owner was
 * not NATIVE: its proxy's unless @cpu has a task to run.
 * Return: true if the proxy takes it, false to send @cpu the IPI.
 *
 * Context: any but NMI, interrupts on or off; they neither sleep nor spin.
 */
bool cpu_proxy_redirect_call(unsigned int cpu);
void cpu_proxy_redirect_call_mask(struct cpumask *mask);
bool cpu_proxy_redirect_resched(unsigned int cpu);
DECLARE_PER_CPU(bool, cpu_proxy_proxied);

/* Should @cpu's IPI go to its proxy? One branch while nothing is parked. */
static __always_inline bool cpu_proxy_ipi_redirected(unsigned int cpu)
{
	return cpu_proxy_any_parked() &&
	       atomic_read(per_cpu_ptr(&cpu_proxy_owner, cpu)) != CPU_PROXY_NATIVE;
}

/* In a proxy, running a parked CPU's work under its per-CPU base? */
static __always_inline bool cpu_proxy_in_proxy(void)
{
	return cpu_proxy_any_parked() &&
	       this_cpu_read(cpu_proxy_proxied);
}

/* Architecture: the CPU whose hardware runs this, whatever the per-CPU base. */
unsigned int arch_cpu_proxy_hw_cpu(void);

/*
 * The CPU whose hardware runs this: smp_processor_id(), except in a
 * proxy's pass, where smp_processor_id() is the parked CPU. For locks a
 * CPU may take again in an NMI that interrupted it while it held them: an
 * NMI on the proxy, which runs as the proxy, must find a lock its pass
 * holds to be its own.
 */
static __always_inline unsigned int cpu_proxy_hw_cpu(void)
{
	return cpu_proxy_in_proxy() ? arch_cpu_proxy_hw_cpu() : smp_processor_id();
}

/* cpu_proxy_hw_cpu() for where raw_smp_processor_id() is meant. */
static __always_inline unsigned int raw_cpu_proxy_hw_cpu(void)
{
	return cpu_proxy_in_proxy() ? arch_cpu_proxy_hw_cpu() :
				      raw_smp_processor_id();
}

/*
 * The idle loop of a CPU told to park (rust/proxy/idle.rs), or that a
 * stop_machine() counts as stopped in its park loop.
 */
DECLARE_PER_CPU(bool, cpu_proxy_want_park);

/* cpu_proxy_early: a CPU woken ahead of its park request (rust/proxy/idle.rs). */
enum {
	CPU_PROXY_EARLY_NONE,		/* not woken early */
	CPU_PROXY_EARLY_SOON,		/* to poll for its request when idle */
	CPU_PROXY_EARLY_POLLING,	/* polling; or told, and not yet installed */
};
DECLARE_PER_CPU(int, cpu_proxy_early);
extern struct cpumask cpu_proxy_held_mask;
void cpu_proxy_idle(void);

static __always_inline bool cpu_proxy_idle_parks(void)
{
	return cpu_proxy_any_parked() &&
	       (this_cpu_read(cpu_proxy_want_park) ||
		this_cpu_read(cpu_proxy_early) != CPU_PROXY_EARLY_NONE ||
		cpumask_test_cpu(smp_processor_id(), &cpu_proxy_held_mask));
}

/*
 * The allow-list: the only cross-calls a proxy handles for a parked CPU.
 * Every other call sent to a parked CPU is left on its queue, and the CPU
 * is woken to run it itself. A function may be listed only if it touches
 * per-CPU software state alone, never the hardware it runs on:
 *
 * RUN: the proxy runs it, as the parked CPU, on the proxy's hardware.
 * ACK: the proxy completes the call without running it, because the
 *      parked CPU does what it asks before it runs anything once it
 *      wakes (a full TLB flush and a serialising instruction,
 *      arch_cpu_proxy_resume()).
 *
 * List functions next to their definition, each with a comment saying
 * why it qualifies:
 *
 *	CPU_PROXY_CALLS(tlb, CPU_PROXY_ACK(flush_tlb_func), ...);
 *
 * irq_work is always the proxy's (CSD_TYPE_IRQ_WORK), task wakeups never
 * (CSD_TYPE_TTWU). See Documentation/core-api/cpu-proxy.rst, "The allow-list".
 */
typedef void (*cpu_proxy_func_t)(void *info);

enum cpu_proxy_call_how {
	CPU_PROXY_CALL_NATIVE,
	CPU_PROXY_CALL_RUN,
	CPU_PROXY_CALL_ACK,
};

struct cpu_proxy_call {
	cpu_proxy_func_t func;
	enum cpu_proxy_call_how how;
};

#define CPU_PROXY_RUN(fn)	{ .func = (fn), .how = CPU_PROXY_CALL_RUN }
#define CPU_PROXY_ACK(fn)	{ .func = (fn), .how = CPU_PROXY_CALL_ACK }

/*
 * The allow-list (Rust: rust/proxy/allow.rs).
 *
 * cpu_proxy_allow_calls - put the @n functions of @calls on it, as
 * CPU_PROXY_CALLS() does. Context: boot (initcalls), before any CPU can be
 * parked; @calls is static data of built-in code, never changed.
 *
 * cpu_proxy_call_how - what may a proxy do with a call of @func?
 * Context: any. Return: CPU_PROXY_CALL_RUN or CPU_PROXY_CALL_ACK if @func
 * is on the list, CPU_PROXY_CALL_NATIVE (the parked CPU runs it) if not.
 */
void cpu_proxy_allow_calls(const struct cpu_proxy_call *calls, unsigned int n);
enum cpu_proxy_call_how cpu_proxy_call_how(cpu_proxy_func_t func);

#ifdef CONFIG_CPU_PROXY
#define CPU_PROXY_CALLS(name, ...)					\
	static const struct cpu_proxy_call name##_cpu_proxy_calls[] = {	\
		__VA_ARGS__						\
	};								\
	static int __init name##_cpu_proxy_calls_init(void)		\
	{								\
		cpu_proxy_allow_calls(name##_cpu_proxy_calls,		\
				      ARRAY_SIZE(name##_cpu_proxy_calls)); \
		return 0;						\
	}								\
	core_initcall(name##_cpu_proxy_calls_init)
#else
#define CPU_PROXY_CALLS(name, ...)	static_assert(1, #name)
#endif

/* A pass found work only the parked CPU may run (CPU_PROXY_WHY_*). */
void cpu_proxy_need_native(unsigned int why);

/*
 * Hardware-bound work met in a pass (a timer that polls the CPU's own
 * machine-check banks, say), deferred to the parked CPU itself.
 */
struct cpu_proxy_native {
	struct llist_node node;
	unsigned long pending;
	void (*func)(struct cpu_proxy_native *w);
};

static inline void cpu_proxy_native_init(struct cpu_proxy_native *w,
					 void (*func)(struct cpu_proxy_native *w))
{
	w->pending = 0;
	w->func = func;
}

/* Only through cpu_proxy_defer_native(), in a pass. */
bool __cpu_proxy_defer_native(struct cpu_proxy_native *w);

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
static inline bool cpu_proxy_defer_native(struct cpu_proxy_native *w)
{
	return cpu_proxy_in_proxy() && __cpu_proxy_defer_native(w);
}

#ifdef CONFIG_TEST_CPU_PROXY
/* Test hooks: widen the last steps of a parked CPU before hlt ... */
extern unsigned int cpu_proxy_test_halt_spin;
extern atomic_t cpu_proxy_test_in_window;
extern unsigned int cpu_proxy_test_look_ns;
/* ... and count the interrupts that returned past its hlt. */
extern atomic_t cpu_proxy_test_skips;
/* ... and how long passes keep their proxy's interrupts off. */
struct cpu_proxy_test_passes {
	u64 max_ns;
	atomic_long_t passes;
	atomic_long_t over_100us;
	atomic_long_t over_1ms;
};

extern struct cpu_proxy_test_passes cpu_proxy_test_passes;
/* ... and the CPU with the do_timer duty (kernel/time/tick-common.c). */
int cpu_proxy_test_timekeeper(void);
#endif

/* irq_work was queued in a pass; see kernel/irq_work.c. */
void cpu_proxy_raise_irq_work(void);

/* Park loop entry and exit, proxy assignment (driven by the Rust core). */
int cpu_proxy_get_proxy(unsigned int cpu);	/* Rust */

/*
 * The CPU to queue work on for one queued from @cpu with no CPU asked for:
 * @cpu, unless it is parked (the work comes from its proxy's pass), then
 * its proxy. One static branch while nothing is parked.
 */
static __always_inline int cpu_proxy_queue_cpu(int cpu)
{
	if (cpu_proxy_parked(cpu)) {
		int proxy = cpu_proxy_get_proxy(cpu);

		if (proxy >= 0)
			return proxy;
	}
	return cpu;
}

u32 cpu_proxy_cpu_package(unsigned int cpu);
u32 cpu_proxy_cpu_core(unsigned int cpu);
int cpu_proxy_cpu_down(unsigned int cpu);	/* Rust */

/*
 * stop_machine(): parked CPUs in their park loop count as stopped
 * (rust/proxy/hold.rs). Called under the stopper's mutex.
 */
bool cpu_proxy_stop_parked(struct cpumask *stopping, const struct cpumask *keep);
void cpu_proxy_hold_parked(bool stop);
void cpu_proxy_unstop_parked(void);

/* Architecture: can CPUs be parked here? 0 or -EOPNOTSUPP. */
int arch_cpu_proxy_supported(void);
/* Architecture: run @fn(@arg) on this CPU's hardware as @cpu. */
void arch_cpu_proxy_run(unsigned int cpu, void (*fn)(void *), void *arg);
/* Architecture: leave a pass for good, as this CPU's hardware (a panic). */
void arch_cpu_proxy_leave_context(void);
/* A panic begins: if in a pass, it goes on as the proxy. */
#ifdef CONFIG_CPU_PROXY
void cpu_proxy_panic(void);
#else
static inline void cpu_proxy_panic(void)
{
}
#endif
/* Architecture: an interrupt that wakes @cpu itself, never redirected. */
void arch_cpu_proxy_wake(unsigned int cpu);
/* Architecture: the same for every CPU of @mask, at once where it can. */
void arch_cpu_proxy_wake_mask(const struct cpumask *mask);
/* Wake an idle CPU told to park, if it needs it (sched_cpu_park()). */
void cpu_proxy_wake_idle(unsigned int cpu);
/* Architecture: flush and serialise what a proxy acknowledged for us. */
void arch_cpu_proxy_resume(void);
/* Architecture: take, now, the interrupts this CPU latched. */
void arch_cpu_proxy_take_latched(void);
/* Architecture: before a parked CPU gives its context to its proxy. */
void arch_cpu_proxy_halt_prepare(void);
/* Architecture: "sti; hlt", for a parked CPU. */
void arch_cpu_proxy_halt(void);

/* Timekeeping: hand this CPU's tick to another device and back. */
struct clock_event_device;
struct clock_event_device *
tick_swap_this_cpu_device(struct clock_event_device *newdev);

/* Soft-lockup watchdog: stop and restart watching a parked CPU. */
void lockup_detector_park_cpu(unsigned int cpu);
void lockup_detector_unpark_cpu(unsigned int cpu);
void lockup_detector_unparked(void);
void lockup_detector_unpark_done(unsigned int cpu, bool left);
bool lockup_detector_watching(unsigned int cpu);

/* Scheduler: a parked idle CPU with nothing to run drops a resched kick. */
bool sched_parked_idle_drop_resched(void);
/*
 * Scheduler: a CPU entering its park loop stops its idle fair server and
 * leaves the nohz idle balancing; leaving the loop unparked, it is busy.
 */
void sched_parked_idle_enter(void);
void sched_parked_idle_exit(void);

/* Implemented in kernel/sched/core.c. */
int sched_cpu_park(unsigned int cpu);
int sched_cpu_park_wait(unsigned int cpu, u64 timeout_ns);
void sched_cpu_unpark(unsigned int cpu);

/* Implemented in kernel/cpu.c. */
void cpu_maps_assert_held(void);

/**
 * cpu_proxy_park_write - handle a write to the park or unpark file (Rust)
 * @buf: the cpulist written
 * @len: its length
 * @park: true for park, false for unpark
 *
 * Context: process context; may sleep.
 * Return: @len, or -EINVAL (malformed list), -ENODEV (CPU not present or
 * offline), -EBUSY (no active CPU would be left, or a CPU did not drain in
 * 30 s), -EINTR (killed while waiting for a CPU to drain).
 */
ssize_t cpu_proxy_park_write(const char *buf, size_t len, bool park);

/**
 * cpu_proxy_hotplug_write - handle a write to the offline or online file (Rust)
 * @buf: the cpulist written
 * @len: its length
 * @up: true for online, false for offline
 *
 * The whole set changes in one hotplug operation, or nothing does.
 * Context: process context; may sleep.
 * Return: @len, or -EINVAL (malformed list), -ENODEV (CPU not present),
 * -EBUSY (a parked CPU in the set, no active CPU would be left, or hotplug
 * disabled), -EPERM (a CPU that may not go offline, or come online),
 * -EOPNOTSUPP (the platform cannot take CPUs offline) or -ENOMEM, nothing
 * changed; or the error of the CPU that failed, the set rolled back.
 */
ssize_t cpu_proxy_hotplug_write(const char *buf, size_t len, bool up);

/*
 * Mask hotplug: the steps of kernel/cpu.c that the Rust crate's sequence
 * takes (rust/proxy/mask_seq.rs), and the devices' side in the glue.
 */
void cpu_proxy_mask_devices(const struct cpumask *mask);
bool cpuhp_mask_offline_supported(void);
bool cpuhp_mask_enabled(void);
bool cpuhp_mask_may_offline(unsigned int cpu);
int cpuhp_mask_may_online(unsigned int cpu);
bool cpuhp_mask_parallel(void);
void cpuhp_mask_expedite(bool on);
void cpuhp_mask_write_lock(void);
void cpuhp_mask_write_unlock(void);
void cpuhp_mask_set_batch(bool on);
void cpuhp_mask_rebuild(void);
int cpuhp_mask_kick_ap(unsigned int cpu, enum cpuhp_state target);
enum cpuhp_state cpuhp_mask_state(unsigned int cpu);
int cpuhp_mask_teardown_injected(unsigned int cpu);
bool cpuhp_mask_teardown_start(unsigned int cpu);
void cpuhp_mask_park_wait(unsigned int cpu);
int cpuhp_mask_stop(const struct cpumask *mask);
void cpuhp_mask_refused(unsigned int cpu);
void cpuhp_mask_reap(unsigned int cpu);
void cpuhp_mask_stop_end(void);
void cpuhp_mask_dead(unsigned int cpu);
int cpuhp_mask_bringup(unsigned int cpu, enum cpuhp_state target);
void cpuhp_mask_smt_update(void);
void cpuhp_mask_undo_down(unsigned int cpu);
void cpuhp_mask_undo_up(unsigned int cpu);

/* Is a mask offline or online running its CPUs' AP-side states at once? */
extern bool cpuhp_mask_batch;

static inline bool cpu_proxy_mask_batch(void)
{
	return IS_ENABLED(CONFIG_CPU_PROXY) && READ_ONCE(cpuhp_mask_batch);
}

/*
 * Unpark every parked CPU, with cpu_maps_update_begin() held by the caller
 * (suspend, freeze_secondary_cpus()) (Rust).
 */
#ifdef CONFIG_CPU_PROXY
void cpu_proxy_unpark_all_locked(void);
#else
static inline void cpu_proxy_unpark_all_locked(void)
{
}
#endif

/* Glue called by the Rust core; see kernel/cpu_proxy_glue.c. */
void cpu_proxy_set_parked(unsigned int cpu, bool parked);
void cpu_proxy_irqs_lock(void);
void cpu_proxy_irqs_unlock(void);
int cpu_proxy_irq_target(unsigned int irq, const struct cpumask *set,
			 struct cpumask *affinity);
bool cpu_proxy_irq_has_affinity(unsigned int irq, const struct cpumask *affinity);

/**
 * cpu_proxy_cpulist_parse - parse a cpulist of bounded length (Rust)
 * @buf: the list, not necessarily NUL-terminated
 * @len: bytes of @buf to look at; a NUL or newline ends the list earlier
 * @dst: the resulting mask, sized for nr_cpu_ids bits
 *
 * Accepts exactly what cpulist_parse() accepts and yields the same mask.
 * Context: any; does not sleep or allocate.
 * Return: 0, or -EINVAL (malformed), -ERANGE (CPU >= nr_cpu_ids),
 * -EOVERFLOW (number does not fit in 32 bits).
 */
int cpu_proxy_cpulist_parse(const char *buf, size_t len, struct cpumask *dst);

/**
 * cpu_proxy_stats_show - format the event counters (Rust)
 * @buf: a sysfs show() buffer of PAGE_SIZE bytes
 *
 * Return: bytes written, or a negative errno.
 */
ssize_t cpu_proxy_stats_show(char *buf);

/**
 * cpu_proxy_proxy_map_show - list each parked CPU and its proxy (Rust)
 * @buf: a sysfs show() buffer of PAGE_SIZE bytes
 *
 * One line per parked CPU, "<cpu> <proxy>", the proxy -1 if it has none.
 * Return: bytes written, or a negative errno.
 */
ssize_t cpu_proxy_proxy_map_show(char *buf);

#endif /* _LINUX_CPU_PROXY_H */
