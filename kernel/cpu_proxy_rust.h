/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Processor proxies: the private contract between the C mechanism
 * (kernel/cpu_proxy_proxy.c, kernel/cpu_proxy_glue.c and
 * kernel/cpu_proxy_helpers.c) and the Rust module (rust/proxy/).
 *
 * include/linux/cpu_proxy.h is what core code calls; this header is what
 * the two halves of the mechanism share, and only they include it
 * (kernel/cpu_proxy_*.c, rust/bindings). bindgen
 * reads it (rust/bindings/bindings_helper.h), so that every function Rust
 * exports here is checked against its prototype at compile time
 * (rust/proxy/export.rs), and every helper Rust calls has one.
 *
 * The helpers stand for C macros and inlines bindgen cannot reach: the
 * kernel's atomic and barrier operations, per_cpu_ptr(). State that both
 * halves touch is touched by both only through these operations, so that
 * each pairs with the C side as the comments at both ends say.
 */
#ifndef _KERNEL_CPU_PROXY_RUST_H
#define _KERNEL_CPU_PROXY_RUST_H

#include <linux/atomic.h>
#include <linux/clockchips.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/ktime.h>
#include <linux/llist.h>
#include <linux/percpu.h>
#include <linux/tick.h>
#include <linux/types.h>

/*
 * The part of a parked CPU's state that its proxy works with.
 *
 * Fields written in a pass (native, softirqs_left, no_softirq), and
 * bh_since, belong to whoever owns N's context (cpu_proxy_owner): N
 * itself, or the proxy in a pass. The proxy's timers are started by
 * whoever owns N's context, on its proxy, and cancelled there, by the
 * parker as it moves N (set_proxy(), rust/proxy/loop_ctl.rs) and by N
 * as it leaves its loop. rust/proxy/state.rs tells how each field is
 * accessed.
 */
struct cpu_proxy_cpu {
	struct clock_event_device evt;	/* stands in for N's tick device */
	struct clock_event_device *saved_evt;
	struct hrtimer timer;		/* on the proxy: N's next expiry */
	struct hrtimer retry;		/* on the proxy: look again later */
	struct irq_work kick;		/* on the proxy: run a pass for N */
	struct llist_head deferred;	/* hardware-bound work left for N */
	ktime_t next_event;		/* what N programmed into evt */
	u64 bh_since;			/* N's softirqs left by passes since */
	unsigned int cpu;
	int proxy;			/* -1: none assigned */
	int hw;				/* the CPU whose hardware runs a pass, or -1 */
	bool installed;			/* N is in its park loop, evt installed */
	bool rearm;			/* next_event changed, timer not armed */
	bool native;			/* a pass left work for N itself */
	bool leaving;			/* N leaves its loop to run a task */
	bool unwatched;			/* the soft-lockup watchdog is off for N */
	bool waking;			/* the parker is waking N (loop_ctl.rs) */
	bool no_softirq;		/* this pass must not run N's softirqs */
	bool softirqs_left;		/* a pass left N's softirqs pending */
	atomic_t why;			/* CPU_PROXY_WHY_*: why N was woken */
	atomic_t work;			/* calls were queued for N */
	atomic_t resched;		/* a resched kick was redirected */
	atomic_t moved;			/* the proxy changed: re-arm there */
	atomic_t halting;		/* 1 from N's last look until hlt returns */
};

DECLARE_PER_CPU(struct cpu_proxy_cpu, cpu_proxy_cpus);

/*
 * Rust (rust/proxy/service.rs): the callbacks cpu_proxy_init_cpus() installs,
 * the stand-in tick device's (on the parked CPU, or in a pass for it), the
 * kick's and the timers' (on the proxy, hard interrupt context).
 */
int cpu_proxy_evt_next(ktime_t expires, struct clock_event_device *evt);
int cpu_proxy_evt_stop(struct clock_event_device *evt);
void cpu_proxy_kick_fn(struct irq_work *work);
enum hrtimer_restart cpu_proxy_timer_fn(struct hrtimer *timer);
enum hrtimer_restart cpu_proxy_retry_fn(struct hrtimer *timer);

/* C (kernel/cpu_proxy_glue.c): create the sysfs directory, once (Rust). */
int cpu_proxy_sysfs_register(void);

/*
 * Rust (rust/proxy/state.rs): set every possible CPU's state up, once, at
 * boot (a core initcall, kernel/cpu_proxy_glue.c), before any can park.
 */
void cpu_proxy_init_cpus(void);

/*
 * A pass for @pc's CPU, as that CPU, interrupts off; the caller owns the
 * CPU's context. C (kernel/cpu_proxy_proxy.c): cpu_proxy_pass() is its
 * entry and exit (context tracking, lockdep), run on the CPU itself
 * (rust/proxy/idle.rs) or through arch_cpu_proxy_run() on its proxy
 * (rust/proxy/state.rs). Rust (rust/proxy/pass.rs): cpu_proxy_pass_body()
 * is everything between, as an interrupt handler (@proxied: on the
 * proxy's hardware). C: cpu_proxy_run_deferred() runs, on the CPU itself,
 * the hardware-bound work passes left for it.
 */
void cpu_proxy_pass(void *arg);
void cpu_proxy_pass_body(struct cpu_proxy_cpu *pc, bool proxied);
void cpu_proxy_run_deferred(struct cpu_proxy_cpu *pc);

/*
 * C (kernel/cpu_proxy_proxy.c), on a parked CPU itself, in its park loop
 * (rust/proxy/idle.rs), owning its context, interrupts off: give the
 * context to its proxy, halt, and take it back.
 */
void cpu_proxy_halt(struct cpu_proxy_cpu *pc);

/* C (kernel/cpu_proxy_proxy.c): @cpu's tick device (rust/proxy/hotplug.rs). */
struct clock_event_device *cpu_proxy_tick_device(unsigned int cpu);

/*
 * Helpers (kernel/cpu_proxy_helpers.c), one per macro or inline, with its
 * name and ordering: see Documentation/atomic_t.txt and
 * Documentation/memory-barriers.txt.
 */
void *cpu_proxy_per_cpu_ptr(void __percpu *ptr, unsigned int cpu);
int cpu_proxy_atomic_read(const atomic_t *v);
void cpu_proxy_atomic_set(atomic_t *v, int i);
void cpu_proxy_atomic_set_release(atomic_t *v, int i);
int cpu_proxy_atomic_xchg(atomic_t *v, int i);
int cpu_proxy_atomic_cmpxchg(atomic_t *v, int old, int new);
int cpu_proxy_atomic_cmpxchg_acquire(atomic_t *v, int old, int new);
void cpu_proxy_atomic_or(int i, atomic_t *v);
int cpu_proxy_read_once_int(const int *p);
void cpu_proxy_write_once_int(int *p, int v);
s64 cpu_proxy_read_once_s64(const s64 *p);
void cpu_proxy_write_once_s64(s64 *p, s64 v);
bool cpu_proxy_read_once_bool(const bool *p);
void cpu_proxy_write_once_bool(bool *p, bool v);
bool cpu_proxy_load_acquire_bool(const bool *p);
void cpu_proxy_store_release_bool(bool *p, bool v);
void cpu_proxy_smp_mb(void);
void cpu_proxy_smp_wmb(void);
void cpu_proxy_cpu_relax(void);
void cpu_proxy_warn(const char *file, int line);
bool cpu_proxy_cpu_possible(unsigned int cpu);
void cpu_proxy_preempt_disable(void);
void cpu_proxy_preempt_enable(void);
bool cpu_proxy_fatal_signal_pending(void);
int cpu_proxy_smp_processor_id(void);
unsigned int cpu_proxy_softirq_count(void);
void cpu_proxy_lockdep_assert_irqs_disabled(void);
int cpu_proxy_cmpxchg_int(int *p, int old, int new);
int cpu_proxy_load_acquire_int(const int *p);
void cpu_proxy_store_release_int(int *p, int v);
void cpu_proxy_smp_mb__before_atomic(void);
void cpu_proxy_smp_mb__after_atomic(void);
bool cpu_proxy_cpumask_test_cpu(unsigned int cpu, const struct cpumask *m);
void cpu_proxy_cpumask_set_cpu(unsigned int cpu, struct cpumask *m);
void cpu_proxy_cpumask_clear_cpu(unsigned int cpu, struct cpumask *m);
unsigned int cpu_proxy_cpumask_next(int n, const struct cpumask *m);
bool cpu_proxy_cpu_online(unsigned int cpu);
bool cpu_proxy_housekeeping(unsigned int cpu, bool tick);
long cpu_proxy_work_on_cpu(unsigned int cpu, long (*fn)(void *), void *arg);
bool cpu_proxy_llist_empty(const struct llist_head *head);
bool cpu_proxy_need_resched(void);
unsigned int cpu_proxy_local_softirq_pending(void);
u64 cpu_proxy_local_clock(void);
bool cpu_proxy_idle_need_resched(unsigned int cpu);
bool cpu_proxy_current_clr_polling_and_test(void);
void cpu_proxy_current_clr_polling(void);
void cpu_proxy_current_set_polling(void);
void cpu_proxy_local_irq_enable(void);
void cpu_proxy_local_bh_disable(void);
struct pt_regs *cpu_proxy_set_irq_regs(struct pt_regs *regs);
const struct cpumask *cpu_proxy_cpumask_of(unsigned int cpu);
void cpu_proxy_init_irq_work_hard(struct irq_work *work,
				  void (*func)(struct irq_work *));
#ifdef CONFIG_TEST_CPU_PROXY
void cpu_proxy_atomic_long_inc(atomic_long_t *v);
#endif

#endif /* _KERNEL_CPU_PROXY_RUST_H */
