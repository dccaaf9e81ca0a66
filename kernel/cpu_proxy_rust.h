/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Processor proxies: the private contract between the C mechanism
 * (kernel/cpu_proxy_proxy.c, kernel/cpu_proxy_helpers.c) and the Rust
 * module (rust/proxy/).
 *
 * include/linux/cpu_proxy.h is what core code calls; this header is what
 * the two halves of the mechanism share and nothing else includes. bindgen
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
	bool halting;			/* set before N's last look, until hlt returns */
	bool leaving;			/* N leaves its loop to run a task */
	bool unwatched;			/* the soft-lockup watchdog is off for N */
	bool waking;			/* the parker is waking N (loop_ctl.rs) */
	bool no_softirq;		/* this pass must not run N's softirqs */
	bool softirqs_left;		/* a pass left N's softirqs pending */
	atomic_t why;			/* CPU_PROXY_WHY_*: why N was woken */
	atomic_t work;			/* calls were queued for N */
	atomic_t resched;		/* a resched kick was redirected */
	atomic_t moved;			/* the proxy changed: re-arm there */
};

DECLARE_PER_CPU(struct cpu_proxy_cpu, cpu_proxy_cpus);

/* Rust (rust/proxy/redirect.rs): queue a pass for @pc's CPU on its proxy. */
void cpu_proxy_kick(struct cpu_proxy_cpu *pc);

/*
 * Rust (rust/proxy/service.rs): the proxy's side.
 *
 * cpu_proxy_runnable(): would a pass for @pc's CPU run something (queued
 * calls, a resched kick, a due timer)? cpu_proxy_pending(): that, or the
 * proxy's timer must be (re)armed. Any context but NMI.
 *
 * The callbacks cpu_proxy_init() installs: the stand-in tick device's
 * (on the parked CPU, or in a pass for it), the kick's and the timers'
 * (on the proxy, hard interrupt context).
 */
bool cpu_proxy_runnable(struct cpu_proxy_cpu *pc);
bool cpu_proxy_pending(struct cpu_proxy_cpu *pc);
int cpu_proxy_evt_next(ktime_t expires, struct clock_event_device *evt);
int cpu_proxy_evt_stop(struct clock_event_device *evt);
void cpu_proxy_kick_fn(struct irq_work *work);
enum hrtimer_restart cpu_proxy_timer_fn(struct hrtimer *timer);
enum hrtimer_restart cpu_proxy_retry_fn(struct hrtimer *timer);

/*
 * C (kernel/cpu_proxy_proxy.c): run one pass for @pc's CPU on this CPU's
 * hardware, as that CPU. The caller owns the CPU's context (PROXY), with
 * interrupts off.
 */
void cpu_proxy_run_pass(struct cpu_proxy_cpu *pc);

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

#endif /* _KERNEL_CPU_PROXY_RUST_H */
