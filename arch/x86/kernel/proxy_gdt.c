// SPDX-License-Identifier: GPL-2.0
/*
 * Processor proxies on x86_64: run code on this CPU's hardware as another.
 *
 * The kernel finds "this CPU" through the GS base: per-CPU data, current,
 * the preempt count and smp_processor_id() are all GS-relative. A proxy
 * switches its GS base to the parked CPU's per-CPU offset, so that the code
 * it then runs sees the parked CPU's identity and data, while the hardware
 * (local APIC, MSRs, TLB, FPU) stays the proxy's own. It also runs that
 * code on the parked CPU's hardirq stack, which the halted CPU does not
 * use, so that an unwinder started in the pass (a WARN's backtrace, say)
 * finds a stack it knows.
 *
 * The GDT, and with it the per-CPU segment and TSC_AUX that paranoid entry
 * (NMI, #MC, #DB) uses to find its CPU, is not switched: with FSGSBASE,
 * paranoid entry loads the GS base of the CPU it runs on from there, so an
 * NMI on the proxy during a pass runs as the proxy. Without FSGSBASE, or
 * with FRED, it would run as the parked CPU: parking is refused then
 * (arch_cpu_proxy_supported()). Maskable interrupts could not tell, so the
 * proxy keeps them out with the task priority register even where the
 * proxied code (softirqs) turns interrupts on. An exception taken in a pass
 * (a fault with a fixup, a kprobe's int3) runs as the parked CPU, as it
 * would in that CPU's interrupt handler; cpu_proxy_claim_slow() tells it
 * from the parked CPU's own wakeup by this hardware CPU's number, read from
 * the GDT (arch_cpu_proxy_hw_cpu()).
 *
 * See Documentation/core-api/cpu-proxy.rst for what is proxied and what is not.
 */

#include <linux/cpu_proxy.h>
#include <linux/irqflags.h>
#include <linux/kprobes.h>
#include <linux/objtool.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <asm/apic.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/irq_stack.h>
#include <asm/msr.h>
#include <asm/ptrace.h>
#include <asm/segment.h>
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

/*
 * Are spinlock waiters halted, and kicked awake, by the hypervisor
 * (paravirt qspinlock: KVM's PV_UNHALT, Hyper-V, Xen)? A waiter records
 * smp_processor_id() as the vCPU to kick (pv_init_node()): in a pass that
 * is the parked CPU, so the proxy would halt with interrupts off and the
 * unlock would wake the parked CPU's vCPU instead.
 */
static bool cpu_proxy_pv_spinlocks(void)
{
	/* Set at boot (paravirt_set_cap()) when !pv_is_native_spin_unlock(). */
	return boot_cpu_has(X86_FEATURE_PVUNLOCK);
}

/**
 * arch_cpu_proxy_supported - can this machine's CPUs be parked?
 *
 * A proxy's pass runs under the parked CPU's GS base. Paranoid entry (NMI,
 * #MC, #DB) taken in a pass must find the proxy's own per-CPU base: with
 * FSGSBASE it loads it from the GDT's per-CPU segment, which a pass does
 * not switch. Without FSGSBASE it keeps the GS base it finds, and with
 * FRED events from kernel mode keep it too: an NMI on the proxy would then
 * run as the parked CPU, and wait in cpu_proxy_nmi_claim() for the pass it
 * interrupted. Refuse to park then, and under paravirt spinlocks
 * (cpu_proxy_pv_spinlocks()).
 *
 * Context: any.
 * Return: 0, or -EOPNOTSUPP (with a log line saying why).
 */
int arch_cpu_proxy_supported(void)
{
	if (cpu_feature_enabled(X86_FEATURE_FRED)) {
		pr_warn_ratelimited("cpu-proxy: cannot park CPUs with FRED: NMIs taken by a proxy would run as the parked CPU\n");
		return -EOPNOTSUPP;
	}
	if (!boot_cpu_has(X86_FEATURE_FSGSBASE)) {
		pr_warn_ratelimited("cpu-proxy: cannot park CPUs without FSGSBASE (absent, or nofsgsbase): NMIs taken by a proxy would run as the parked CPU\n");
		return -EOPNOTSUPP;
	}
	if (cpu_feature_enabled(X86_FEATURE_XENPV) ||
	    cpu_feature_enabled(X86_FEATURE_TDX_GUEST)) {
		pr_warn_ratelimited("cpu-proxy: cannot park CPUs of a Xen PV or TDX guest: a parked CPU halts with the native hlt (arch_cpu_proxy_halt())\n");
		return -EOPNOTSUPP;
	}
	if (cpu_proxy_pv_spinlocks()) {
		pr_warn_ratelimited("cpu-proxy: cannot park CPUs with paravirt spinlocks: a lock waiter in a proxy's pass would halt the proxy and be kicked as the parked CPU\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

/**
 * arch_cpu_proxy_hw_cpu - the number of the CPU whose hardware runs this
 *
 * Read from the limit of the GDT's per-CPU segment, as paranoid entry and
 * the vDSO do, not from the GS base: in a proxy's pass this is the proxy's
 * number while smp_processor_id() is the parked CPU's.
 *
 * Context: any, noinstr.
 * Return: the hardware's CPU number.
 */
noinstr unsigned int arch_cpu_proxy_hw_cpu(void)
{
	unsigned int p;

	asm volatile("lsl %[seg], %[p]" : [p] "=r" (p) : [seg] "r" (__CPUNODE_SEG));
	return p & VDSO_CPUNODE_MASK;
}

struct cpu_proxy_thunk {
	void (*fn)(void *arg);
	void *arg;
};

/*
 * The pass a proxy runs as this CPU, set in this CPU's slot by the proxy
 * that owns its context, read on its hardirq stack as this CPU.
 */
static DEFINE_PER_CPU(struct cpu_proxy_thunk *, cpu_proxy_thunk_now);

/*
 * Runs under the parked CPU's GS base before the pass tells RCU: not
 * traced, not probed, as the noinstr entry of the pass it calls
 * (cpu_proxy_pass()).
 */
static notrace void cpu_proxy_thunk(void)
{
	struct cpu_proxy_thunk *c = __this_cpu_read(cpu_proxy_thunk_now);

	c->fn(c->arg);
}

NOKPROBE_SYMBOL(cpu_proxy_thunk);

/**
 * arch_cpu_proxy_run - run @fn(@arg) on this CPU's hardware as CPU @cpu
 * @cpu: the parked CPU to stand in for
 * @fn: what to run; it sees @cpu's per-CPU data, current and identity
 * @arg: its argument
 *
 * @fn runs on @cpu's hardirq stack, which @cpu, halted in its idle task
 * and waiting in cpu_proxy_irq_claim() for this to end if woken, does not
 * use meanwhile; marked in use, so that nothing nests onto it again.
 * Noinline, and @fn is called through a pointer: the compiler must not
 * carry a "stable" per-CPU read (current, cpu_number) across the switch.
 * This CPU's user FPU state, if live, is saved first: kernel FPU use in
 * @fn would see @cpu's (idle) task and not save it. If this CPU's FPU is
 * not usable here (it is in a kernel FPU section, or its bottom halves are
 * off), the caller must keep @fn from using it: see service() in
 * rust/proxy/service.rs, which runs such a pass without softirqs, so that
 * irq_fpu_usable() is false for @cpu too.
 *
 * Context: interrupts off; the caller owns @cpu's context.
 */
noinline void arch_cpu_proxy_run(unsigned int cpu, void (*fn)(void *), void *arg)
{
	unsigned long self = this_cpu_read(this_cpu_off);
	struct cpu_proxy_thunk c = { .fn = fn, .arg = arg };
	unsigned long tpr;
	bool fpu;

	lockdep_assert_irqs_disabled();
	fpu = irq_fpu_usable();
	if (fpu)
		kernel_fpu_begin();
	tpr = cpu_proxy_read_tpr();
	cpu_proxy_write_tpr(15);

	per_cpu(cpu_proxy_thunk_now, cpu) = &c;
	native_wrmsrl(MSR_GS_BASE, per_cpu_offset(cpu));
	__this_cpu_write(pcpu_hot.hardirq_stack_inuse, true);
	call_on_stack(__this_cpu_read(pcpu_hot.hardirq_stack_ptr),
		      cpu_proxy_thunk, ASM_CALL_ARG0);
	__this_cpu_write(pcpu_hot.hardirq_stack_inuse, false);
	native_wrmsrl(MSR_GS_BASE, self);

	cpu_proxy_write_tpr(tpr);
	if (fpu)
		kernel_fpu_end();
}

/**
 * arch_cpu_proxy_leave_context - go back to this hardware's own identity
 *
 * For a panic raised in a pass: the rest of the panic runs as the proxy,
 * which can stop the other CPUs, the parked one included, and be stopped
 * by none. The pass is never finished, and the parked CPU's context is
 * left as it was.
 *
 * Context: a pass (proxy context), interrupts off.
 */
void arch_cpu_proxy_leave_context(void)
{
	native_wrmsrl(MSR_GS_BASE, per_cpu_offset(arch_cpu_proxy_hw_cpu()));
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
 * arch_cpu_proxy_halt_prepare - what the parked CPU does before it halts
 *
 * The idle buffer clearing (MDS, x86_idle_clear_cpu_buffers()), done
 * before the CPU gives its context to its proxy rather than just before
 * the hlt: from that release on, the proxy may acknowledge a text-poke
 * sync (do_sync_core()) for this CPU, which has not serialised, so no
 * patchable branch may lie between the release and the hlt, and the
 * clearing has one (cpu_buf_idle_clear). What runs after it, up to the
 * hlt, stores the owner word and nothing secret.
 *
 * Context: the parked CPU's idle task, interrupts off.
 */
noinstr void arch_cpu_proxy_halt_prepare(void)
{
	x86_idle_clear_cpu_buffers();
}

/**
 * arch_cpu_proxy_halt - sleep until an interrupt, as a parked CPU
 *
 * native_safe_halt() ("sti; hlt"), with its hlt at a known address (not
 * paravirtualized: arch_cpu_proxy_supported() refuses the guests whose
 * halt is not the native one). STI
 * holds maskable interrupts off until after the hlt, so that one that
 * comes meanwhile ends the halt; it does not hold an NMI off (QEMU's TCG
 * delivers one there, and the architecture does not promise to block
 * it; with IDT delivery, not FRED, whose return restores the shadow). An
 * NMI taken there returns to the hlt with interrupts on, and an
 * interrupt latched meanwhile is then taken before the hlt: see
 * arch_cpu_proxy_skip_halt().
 *
 * Context: the parked CPU's idle task, interrupts off; on again on return.
 */
noinstr void arch_cpu_proxy_halt(void)
{
	/* The hlt's address is taken, but it is no indirect branch target. */
	asm volatile("sti\n"
		     ANNOTATE_NOENDBR
		     ".globl cpu_proxy_hlt_insn\n"
		     "cpu_proxy_hlt_insn: hlt"
		     ::: "memory");
}

/**
 * arch_cpu_proxy_skip_halt - make an interrupt return past the halt's hlt
 * @regs: the interrupt's registers
 *
 * If the interrupt was taken on the hlt of arch_cpu_proxy_halt(), before
 * it ran (after an NMI in the STI shadow returned there with interrupts
 * on), it returns after the hlt instead, as if it had ended it.
 *
 * Context: interrupt entry, noinstr.
 * Return: true if it did; the CPU then goes on awake.
 */
noinstr bool arch_cpu_proxy_skip_halt(struct pt_regs *regs)
{
	if (user_mode(regs) || regs->ip != (unsigned long)cpu_proxy_hlt_insn)
		return false;
	regs->ip += 1;		/* hlt is one byte, 0xf4 */
#ifdef CONFIG_TEST_CPU_PROXY
	raw_atomic_inc(&cpu_proxy_test_skips);
#endif
	return true;
}

/*
 * Flush this CPU's whole TLB, global entries and every PCID included, as
 * __flush_tlb_all() does, but in noinstr code: with INVPCID, or by
 * toggling CR4.PGE in this CPU's CR4 as it is (not as the shadow says).
 */
static __always_inline void cpu_proxy_flush_tlb_all(void)
{
	unsigned long cr4;

	if (cpu_feature_enabled(X86_FEATURE_INVPCID)) {
		struct { u64 d[2]; } desc = { { 0, 0 } };

		asm volatile("invpcid %[desc], %[type]"
			     : : [desc] "m" (desc), [type] "r" (2UL /* all, globals too */)
			     : "memory");
		return;
	}
	asm volatile("mov %%cr4, %0" : "=r" (cr4) : : "memory");
	asm volatile("mov %0, %%cr4" : : "r" (cr4 ^ X86_CR4_PGE) : "memory");
	asm volatile("mov %0, %%cr4" : : "r" (cr4) : "memory");
}

/**
 * arch_cpu_proxy_resume - catch up on what a proxy acknowledged
 *
 * A parked CPU's proxy acknowledges TLB shootdowns and text-patching
 * syncs on its behalf; before the CPU runs anything of its own it flushes
 * its whole TLB, global entries and all PCIDs included, and serialises.
 * Nothing here may be traced or probed: RCU does not watch this CPU yet.
 *
 * Context: interrupt or NMI entry of a waking parked CPU, before anything
 * else runs.
 */
noinstr void arch_cpu_proxy_resume(void)
{
	cpu_proxy_flush_tlb_all();
	sync_core();
}
