// SPDX-License-Identifier: GPL-2.0
/*
 * Processor proxies on x86_64: run code on this CPU's hardware as another.
 *
 * The kernel finds "this CPU" through the GS base: per-CPU data, current,
 * the preempt count and smp_processor_id() are all GS-relative. A proxy
 * switches its GS base to the parked CPU's per-CPU offset, so that the code
 * it then runs sees the parked CPU's identity and data, while the hardware
 * (local APIC, MSRs, TLB, FPU) stays the proxy's own.
 *
 * The GDT, and with it the per-CPU segment and TSC_AUX that paranoid entry
 * (NMI, #MC, #DB) uses to find its CPU, is not switched: an NMI on the
 * proxy during a pass still runs as the proxy. Maskable interrupts could
 * not tell, so the proxy keeps them out with the task priority register
 * even where the proxied code (softirqs) turns interrupts on.
 *
 * See Documentation/cpu-proxy.rst for what is proxied and what is not.
 */

#include <linux/cpu_proxy.h>
#include <linux/instrumentation.h>
#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <asm/apic.h>
#include <asm/fpu/api.h>
#include <asm/msr.h>
#include <asm/sync_core.h>
#include <asm/tlbflush.h>

/* CR8 is the local APIC's task priority: 15 blocks every vector. */
static __always_inline unsigned long cpu_proxy_read_tpr(void)
{
	unsigned long tpr;

	asm volatile("mov %%cr8, %0" : "=r" (tpr));
	return tpr;
}

static __always_inline void cpu_proxy_write_tpr(unsigned long tpr)
{
	asm volatile("mov %0, %%cr8" : : "r" (tpr) : "memory");
}

/**
 * arch_cpu_proxy_run - run @fn(@arg) on this CPU's hardware as CPU @cpu
 * @cpu: the parked CPU to stand in for
 * @fn: what to run; it sees @cpu's per-CPU data, current and identity
 * @arg: its argument
 *
 * Noinline, and @fn is called through a pointer: the compiler must not
 * carry a "stable" per-CPU read (current, cpu_number) across the switch.
 * This CPU's user FPU state, if live, is saved first, since kernel FPU use
 * in @fn would see @cpu's (idle) task and not save it.
 *
 * Context: interrupts off; the caller owns @cpu's context.
 */
noinline void arch_cpu_proxy_run(unsigned int cpu, void (*fn)(void *), void *arg)
{
	unsigned long self = this_cpu_read(this_cpu_off);
	unsigned long tpr;
	bool fpu;

	lockdep_assert_irqs_disabled();
	fpu = irq_fpu_usable();
	if (fpu)
		kernel_fpu_begin();
	tpr = cpu_proxy_read_tpr();
	cpu_proxy_write_tpr(15);

	wrmsrl(MSR_GS_BASE, per_cpu_offset(cpu));
	fn(arg);
	wrmsrl(MSR_GS_BASE, self);

	cpu_proxy_write_tpr(tpr);
	if (fpu)
		kernel_fpu_end();
}

/**
 * arch_cpu_proxy_wake - interrupt @cpu itself
 * @cpu: a CPU, parked or not
 *
 * A reschedule vector sent straight to @cpu, past the redirection that
 * smp_send_reschedule() applies to parked CPUs.
 */
void arch_cpu_proxy_wake(unsigned int cpu)
{
	__apic_send_IPI(cpu, RESCHEDULE_VECTOR);
}

/**
 * arch_cpu_proxy_wake_mask - interrupt every CPU of @mask itself
 * @mask: CPUs, parked or not
 *
 * As arch_cpu_proxy_wake(), with one IPI for the mask where the APIC
 * driver can address several CPUs at once (one ICR write in logical flat
 * mode, one per cluster in x2APIC cluster mode). Under emulation each ICR
 * write is an exit that serialises with the targets' wakeups, so parking
 * k CPUs does not pay k of them in a row.
 */
void arch_cpu_proxy_wake_mask(const struct cpumask *mask)
{
	__apic_send_IPI_mask(mask, RESCHEDULE_VECTOR);
}

/**
 * arch_cpu_proxy_take_latched - take the interrupts this CPU has latched
 *
 * A parked CPU hands its tick to its proxy with interrupts off; a timer
 * interrupt its local APIC latched before that would end its first halt,
 * a wakeup for nothing. One instruction with interrupts on takes it now:
 * STI holds interrupts off for the instruction after it, so "sti; cli"
 * would take none, and the NOP is the window. (Not PAUSE: QEMU's TCG
 * leaves the STI shadow set across it.)
 *
 * Context: interrupts off, as they are again on return.
 */
void arch_cpu_proxy_take_latched(void)
{
	lockdep_assert_irqs_disabled();
	local_irq_enable();
	asm volatile("nop" ::: "memory");
	local_irq_disable();
}

/**
 * arch_cpu_proxy_resume - catch up on what a proxy acknowledged
 *
 * A parked CPU's proxy acknowledges TLB shootdowns and text-patching
 * syncs on its behalf; before the CPU runs anything of its own it flushes
 * its whole TLB, global entries and all PCIDs included, and serialises.
 *
 * Context: interrupt or NMI entry of a waking parked CPU, before anything
 * else runs.
 */
noinstr void arch_cpu_proxy_resume(void)
{
	instrumentation_begin();
	__flush_tlb_all();
	sync_core();
	instrumentation_end();
}
