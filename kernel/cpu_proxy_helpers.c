// SPDX-License-Identifier: GPL-2.0
/*
 * Processor proxies: the C macros and inlines the Rust module uses, one
 * function each, as kernel/cpu_proxy_rust.h declares them.
 *
 * Each does what its name says and nothing more, so that the ordering
 * a Rust caller gets is the kernel's own for that operation. They are
 * notrace, as the mechanism's C is where it hands a parked CPU's context
 * between CPUs, but not noinstr: nothing in noinstr code (the claim on
 * interrupt entry) may call them, or any Rust.
 */

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/cpumask.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/irqflags.h>
#include <linux/llist.h>
#include <linux/lockdep.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <linux/workqueue.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/idle.h>
#include <linux/sched/isolation.h>
#include <linux/sched/signal.h>
#include <asm/irq_regs.h>
#include <asm/processor.h>

#include "cpu_proxy_rust.h"

/* per_cpu_ptr(). */
notrace void *cpu_proxy_per_cpu_ptr(void __percpu *ptr, unsigned int cpu)
{
	return per_cpu_ptr(ptr, cpu);
}

/* atomic_read(): no ordering. */
notrace int cpu_proxy_atomic_read(const atomic_t *v)
{
	return atomic_read(v);
}

/* atomic_set(): no ordering. */
notrace void cpu_proxy_atomic_set(atomic_t *v, int i)
{
	atomic_set(v, i);
}

/* atomic_set_release(): a release store. */
notrace void cpu_proxy_atomic_set_release(atomic_t *v, int i)
{
	atomic_set_release(v, i);
}

/* atomic_xchg(): fully ordered. */
notrace int cpu_proxy_atomic_xchg(atomic_t *v, int i)
{
	return atomic_xchg(v, i);
}

/* atomic_cmpxchg(): fully ordered if it succeeds. */
notrace int cpu_proxy_atomic_cmpxchg(atomic_t *v, int old, int new)
{
	return atomic_cmpxchg(v, old, new);
}

/* atomic_cmpxchg_acquire(): an acquire if it succeeds. */
notrace int cpu_proxy_atomic_cmpxchg_acquire(atomic_t *v, int old, int new)
{
	return atomic_cmpxchg_acquire(v, old, new);
}

/* atomic_or(): no ordering. */
notrace void cpu_proxy_atomic_or(int i, atomic_t *v)
{
	atomic_or(i, v);
}

/* READ_ONCE() of an int: no ordering. */
notrace int cpu_proxy_read_once_int(const int *p)
{
	return READ_ONCE(*p);
}

/* WRITE_ONCE() of an int: no ordering. */
notrace void cpu_proxy_write_once_int(int *p, int v)
{
	WRITE_ONCE(*p, v);
}

/* READ_ONCE() of an s64 (a ktime_t): no ordering. */
notrace s64 cpu_proxy_read_once_s64(const s64 *p)
{
	return READ_ONCE(*p);
}

/* WRITE_ONCE() of an s64: no ordering. */
notrace void cpu_proxy_write_once_s64(s64 *p, s64 v)
{
	WRITE_ONCE(*p, v);
}

/* READ_ONCE() of a bool: no ordering. */
notrace bool cpu_proxy_read_once_bool(const bool *p)
{
	return READ_ONCE(*p);
}

/* WRITE_ONCE() of a bool: no ordering. */
notrace void cpu_proxy_write_once_bool(bool *p, bool v)
{
	WRITE_ONCE(*p, v);
}

/* smp_load_acquire() of a bool. */
notrace bool cpu_proxy_load_acquire_bool(const bool *p)
{
	/* Each Rust caller's comment names the release this pairs with. */
	return smp_load_acquire(p);
}

/* smp_store_release() of a bool. */
notrace void cpu_proxy_store_release_bool(bool *p, bool v)
{
	/* Each Rust caller's comment names the acquire this pairs with. */
	smp_store_release(p, v);
}

/* smp_mb(). */
notrace void cpu_proxy_smp_mb(void)
{
	/* Each Rust caller's comment names the barrier this pairs with. */
	smp_mb();
}

/* smp_wmb(). */
notrace void cpu_proxy_smp_wmb(void)
{
	/* Each Rust caller's comment names the barrier this pairs with. */
	smp_wmb();
}

/* cpu_relax(), in a loop that waits for another CPU. */
notrace void cpu_proxy_cpu_relax(void)
{
	cpu_relax();
}

/* WARN(): a warning with a backtrace, for the Rust call site @file:@line. */
notrace void cpu_proxy_warn(const char *file, int line)
{
	WARN(1, "cpu_proxy: warning at %s:%d\n", file, line);
}

/* cpu_possible(). */
notrace bool cpu_proxy_cpu_possible(unsigned int cpu)
{
	return cpu_possible(cpu);
}

/* preempt_disable(). */
notrace void cpu_proxy_preempt_disable(void)
{
	preempt_disable();
}

/* preempt_enable(): may reschedule. */
notrace void cpu_proxy_preempt_enable(void)
{
	preempt_enable();
}

/* fatal_signal_pending(current). */
notrace bool cpu_proxy_fatal_signal_pending(void)
{
	return fatal_signal_pending(current);
}

/* smp_processor_id(): checked on a debug kernel. */
notrace int cpu_proxy_smp_processor_id(void)
{
	return smp_processor_id();
}

/* softirq_count(): in a softirq, or bottom halves off, on this CPU? */
notrace unsigned int cpu_proxy_softirq_count(void)
{
	return softirq_count();
}

/* lockdep_assert_irqs_disabled(). */
notrace void cpu_proxy_lockdep_assert_irqs_disabled(void)
{
	lockdep_assert_irqs_disabled();
}

/* cmpxchg() of an int: fully ordered. */
notrace int cpu_proxy_cmpxchg_int(int *p, int old, int new)
{
	return cmpxchg(p, old, new);
}

/* smp_load_acquire() of an int. */
notrace int cpu_proxy_load_acquire_int(const int *p)
{
	/* Each Rust caller's comment names the release this pairs with. */
	return smp_load_acquire(p);
}

/* smp_store_release() of an int. */
notrace void cpu_proxy_store_release_int(int *p, int v)
{
	/* Each Rust caller's comment names the acquire this pairs with. */
	smp_store_release(p, v);
}

/* smp_mb__before_atomic(). */
notrace void cpu_proxy_smp_mb__before_atomic(void)
{
	/* Each Rust caller's comment names the barrier this pairs with. */
	smp_mb__before_atomic();
}

/* smp_mb__after_atomic(). */
notrace void cpu_proxy_smp_mb__after_atomic(void)
{
	/* Each Rust caller's comment names the barrier this pairs with. */
	smp_mb__after_atomic();
}

/* cpumask_test_cpu(). */
notrace bool cpu_proxy_cpumask_test_cpu(unsigned int cpu, const struct cpumask *m)
{
	return cpumask_test_cpu(cpu, m);
}

/* cpumask_set_cpu(): atomic. */
notrace void cpu_proxy_cpumask_set_cpu(unsigned int cpu, struct cpumask *m)
{
	cpumask_set_cpu(cpu, m);
}

/* cpumask_clear_cpu(): atomic. */
notrace void cpu_proxy_cpumask_clear_cpu(unsigned int cpu, struct cpumask *m)
{
	cpumask_clear_cpu(cpu, m);
}

/* cpumask_next(): the next CPU of @m after @n, or nr_cpu_ids. */
notrace unsigned int cpu_proxy_cpumask_next(int n, const struct cpumask *m)
{
	return cpumask_next(n, m);
}

/* cpu_online(). */
bool cpu_proxy_cpu_online(unsigned int cpu)
{
	return cpu_online(cpu);
}

/* housekeeping_cpu(@cpu, HK_TYPE_DOMAIN), and HK_TYPE_TICK if @tick. */
bool cpu_proxy_housekeeping(unsigned int cpu, bool tick)
{
	return housekeeping_cpu(cpu, HK_TYPE_DOMAIN) &&
	       (!tick || housekeeping_cpu(cpu, HK_TYPE_TICK));
}

/* work_on_cpu(): run @fn(@arg) in a kernel thread bound to @cpu, and wait. */
long cpu_proxy_work_on_cpu(unsigned int cpu, long (*fn)(void *), void *arg)
{
	return work_on_cpu(cpu, fn, arg);
}

/* llist_empty(). */
notrace bool cpu_proxy_llist_empty(const struct llist_head *head)
{
	return llist_empty(head);
}

/* need_resched(). */
notrace bool cpu_proxy_need_resched(void)
{
	return need_resched();
}

/* local_clock(). */
notrace u64 cpu_proxy_local_clock(void)
{
	return local_clock();
}

/* local_softirq_pending(). */
notrace unsigned int cpu_proxy_local_softirq_pending(void)
{
	return local_softirq_pending();
}

/* test_tsk_need_resched(idle_task(@cpu)). */
notrace bool cpu_proxy_idle_need_resched(unsigned int cpu)
{
	return test_tsk_need_resched(idle_task(cpu));
}

/* current_clr_polling_and_test(). */
notrace bool cpu_proxy_current_clr_polling_and_test(void)
{
	return current_clr_polling_and_test();
}

/* __current_clr_polling(). */
notrace void cpu_proxy_current_clr_polling(void)
{
	__current_clr_polling();
}

/* __current_set_polling(). */
notrace void cpu_proxy_current_set_polling(void)
{
	__current_set_polling();
}

/* local_irq_enable(). */
notrace void cpu_proxy_local_irq_enable(void)
{
	local_irq_enable();
}

notrace void cpu_proxy_local_bh_disable(void)
{
	local_bh_disable();
}

notrace struct pt_regs *cpu_proxy_set_irq_regs(struct pt_regs *regs)
{
	return set_irq_regs(regs);
}

notrace const struct cpumask *cpu_proxy_cpumask_of(unsigned int cpu)
{
	return cpumask_of(cpu);
}

notrace void cpu_proxy_init_irq_work_hard(struct irq_work *work,
					  void (*func)(struct irq_work *))
{
	*work = IRQ_WORK_INIT_HARD(func);
}

#ifdef CONFIG_TEST_CPU_PROXY
notrace void cpu_proxy_atomic_long_inc(atomic_long_t *v)
{
	atomic_long_inc(v);
}
#endif
