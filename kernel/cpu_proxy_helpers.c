// SPDX-License-Identifier: GPL-2.0
/*
 * Processor proxies: the C macros and inlines the Rust module uses, one
 * function each, as kernel/cpu_proxy_rust.h declares them.
 *
 * Each does what its name says and nothing more, so that the ordering
 * a Rust caller gets is the kernel's own for that operation. They are not
 * traced: the mechanism calls them where the parked CPU's context is
 * being handed between CPUs.
 */

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/percpu.h>
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

/* smp_mb(). */
notrace void cpu_proxy_smp_mb(void)
{
	smp_mb();
}

/* cpu_relax(), in a loop that waits for another CPU. */
notrace void cpu_proxy_cpu_relax(void)
{
	cpu_relax();
}

/* WARN_ON(1): a warning with a backtrace; the message was printed. */
notrace void cpu_proxy_warn(void)
{
	WARN_ON(1);
}
