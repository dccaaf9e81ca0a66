// SPDX-License-Identifier: GPL-2.0

//! Redirection: work sent to a parked CPU goes to its proxy.
//!
//! A sender that queued work for a parked CPU N (a cross-call, an
//! irq_work, a reschedule kick) would send N an IPI. The send path asks
//! here first (`cpu_proxy_redirect_*()`, called from `kernel/smp.c` and
//! the x86 reschedule IPI once `cpu_proxy_ipi_redirected()` saw N's owner
//! was not `NATIVE`). The work is flagged in N's state, and unless N has
//! taken its context back meanwhile, its proxy is kicked: an irq_work on
//! the proxy runs a pass for N (`cpu_proxy_service()` in
//! `kernel/cpu_proxy_proxy.c`). Otherwise the IPI goes to N, which sees
//! its work as any online CPU does.
//!
//! The decision is the ownership protocol's [`protocol::redirect`], with
//! C's atomics: the flag is published, with a full barrier, before the
//! owner is read. It pairs with the barrier of `cpu_proxy_pass()`, which
//! clears `work` before it takes N's queue, with the one after a proxy
//! gives N's context back in `cpu_proxy_service()`, and with the fully
//! ordered claim of `cpu_proxy_claim_slow()`.
//!
//! [`cpu_proxy_get_proxy`] tells C which CPU stands in for a parked one.
//!
//! Context: any but NMI; interrupts on or off. Nothing here sleeps,
//! allocates or can panic.

use crate::{
    export::c_export,
    protocol, stats,
    sys::{
        atomic::{self, Atomic, Kernel, Relaxed},
        cpu::CpuId,
        irq_work::IrqWork,
        percpu::PerCpu,
        warn_once,
    },
};
use core::{ptr::addr_of_mut, sync::atomic::Ordering};
use kernel::{
    bindings,
    ffi::{c_int, c_uint},
};

/// The mechanism's state of every CPU (`cpu_proxy_cpus`).
pub(crate) fn cpus() -> PerCpu<bindings::cpu_proxy_cpu> {
    // SAFETY: `cpu_proxy_cpus` is defined with `DEFINE_PER_CPU()` in
    // `kernel/cpu_proxy_proxy.c`; only its address is taken.
    unsafe { PerCpu::new(addr_of_mut!(bindings::cpu_proxy_cpus)) }
}

/// Who runs each CPU's context (`cpu_proxy_owner`).
fn owners() -> PerCpu<bindings::atomic_t> {
    // SAFETY: `cpu_proxy_owner` is defined with `DEFINE_PER_CPU()` in
    // `kernel/cpu_proxy_proxy.c`; only its address is taken.
    unsafe { PerCpu::new(addr_of_mut!(bindings::cpu_proxy_owner)) }
}

/// Who runs `cpu`'s context.
fn owner_of(cpu: CpuId) -> &'static Atomic {
    // SAFETY: a per-CPU `atomic_t` lives as long as the kernel, and is only
    // accessed atomically.
    unsafe { Atomic::from_ptr(owners().ptr(cpu)) }
}

// The owner's states are C's `enum cpu_proxy_owner`; "no proxy" is -1.
const _: () = {
    assert!(protocol::NATIVE == bindings::cpu_proxy_owner_CPU_PROXY_NATIVE as i32);
    assert!(protocol::HALTED == bindings::cpu_proxy_owner_CPU_PROXY_HALTED as i32);
    assert!(protocol::PROXY == bindings::cpu_proxy_owner_CPU_PROXY_PROXY as i32);
    assert!(protocol::STOPPED == bindings::cpu_proxy_owner_CPU_PROXY_STOPPED as i32);
    assert!(protocol::STOPPED_NMI == bindings::cpu_proxy_owner_CPU_PROXY_STOPPED_NMI as i32);
    assert!(protocol::NO_PROXY == -1);
};

/// A CPU's state as the send path sees it: the flags senders set, its
/// proxy, its kick.
///
/// # Invariants
///
/// `pc` is `cpu`'s copy of `cpu_proxy_cpus`, initialised at boot
/// (`cpu_proxy_init()`, a core initcall, before any CPU can park) and
/// never freed. Its fields `work`, `resched`, `why` and `proxy` are
/// accessed by everyone with the kernel's atomic operations only (`proxy`
/// with `WRITE_ONCE()`/`READ_ONCE()`), and `kick` with irq_work's.
struct Target {
    cpu: CpuId,
    pc: *mut bindings::cpu_proxy_cpu,
}

impl Target {
    fn new(cpu: CpuId) -> Self {
        // INVARIANT: `cpus()` is `cpu_proxy_cpus`, and `cpu` a possible CPU.
        Self {
            cpu,
            pc: cpus().ptr(cpu),
        }
    }

    fn owner(&self) -> &Atomic {
        owner_of(self.cpu)
    }

    fn work(&self) -> &Atomic {
        // SAFETY: `pc` is valid and `work` only accessed atomically, by
        // the type's invariants.
        unsafe { Atomic::from_ptr(addr_of_mut!((*self.pc).work)) }
    }

    fn resched(&self) -> &Atomic {
        // SAFETY: as in `work()`.
        unsafe { Atomic::from_ptr(addr_of_mut!((*self.pc).resched)) }
    }

    fn why(&self) -> &Atomic {
        // SAFETY: as in `work()`.
        unsafe { Atomic::from_ptr(addr_of_mut!((*self.pc).why)) }
    }

    /// The CPU's proxy, or -1.
    fn proxy(&self) -> i32 {
        // SAFETY: `pc` is valid and `proxy` written with `WRITE_ONCE()`, by
        // the type's invariants.
        unsafe { atomic::read_once(addr_of_mut!((*self.pc).proxy)) }
    }

    /// Queue a pass for the CPU on its proxy. With no proxy (a park rolled
    /// back or an unpark, with the CPU on its way out of its loop), the CPU
    /// itself gets the interrupt: nothing sent to it is left without one.
    fn kick(&self) {
        match CpuId::from_i32(self.proxy()) {
            Some(proxy) => {
                // SAFETY: `kick` was initialised with `pc`, by the type's
                // invariants.
                let kick = unsafe { IrqWork::from_ptr(addr_of_mut!((*self.pc).kick)) };
                kick.queue_on(proxy);
            }
            // SAFETY: an IPI to a possible CPU, which takes any context.
            None => unsafe { bindings::arch_cpu_proxy_wake(self.cpu.as_u32()) },
        }
    }

    /// Flag `what` for the CPU, then hand it to the proxy unless the CPU
    /// runs itself. Returns true if the proxy takes it.
    fn redirect(&self, what: &Atomic) -> bool {
        if !protocol::redirect::<Kernel>(what, self.owner()) {
            return false;
        }
        stats::STATS.proxied_ipis.fetch_add(1, Ordering::Relaxed);
        self.kick();
        true
    }
}

/// Queue a pass for `cpu` on its proxy, or interrupt `cpu` if it has
/// none.
pub(crate) fn kick(cpu: CpuId) {
    Target::new(cpu).kick();
}

/// Queue a pass for `pc`'s CPU on its proxy, or interrupt the CPU if it
/// has none; see `kernel/cpu_proxy_rust.h`.
///
/// # Safety
///
/// `pc` must be a CPU's copy of `cpu_proxy_cpus`.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_kick(pc: *mut bindings::cpu_proxy_cpu) {
    // SAFETY: `pc` is a CPU's copy of `cpu_proxy_cpus`, by the function's
    // safety requirements, and its `cpu` field is written once, at boot.
    let cpu = unsafe { (*pc).cpu };
    match CpuId::from_u32(cpu) {
        // INVARIANT: `pc` is `cpu`'s copy of `cpu_proxy_cpus`.
        Some(cpu) => Target { cpu, pc }.kick(),
        None => warn_once!("a kick for CPU{}, not a possible CPU, is lost\n", cpu),
    }
}
c_export!(cpu_proxy_kick);

/// Deliver calls queued for `cpu` to its proxy; see
/// `include/linux/cpu_proxy.h`. Returns true if the proxy will run them,
/// false to send the IPI to `cpu`.
#[no_mangle]
extern "C" fn cpu_proxy_redirect_call(cpu: c_uint) -> bool {
    let Some(cpu) = CpuId::from_u32(cpu) else {
        return false;
    };
    let t = Target::new(cpu);
    t.redirect(t.work())
}
c_export!(cpu_proxy_redirect_call);

/// [`cpu_proxy_redirect_call`] for each CPU of `mask`; the CPUs whose
/// proxy takes the calls are cleared from it.
///
/// # Safety
///
/// `mask` must be a valid cpumask that only the caller writes.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_redirect_call_mask(mask: *mut bindings::cpumask) {
    const BITS: u32 = usize::BITS;
    let n = crate::cpumask::nr_cpu_ids().div_ceil(BITS) as usize;
    for w in 0..n {
        // SAFETY: a cpumask has at least `nr_cpu_ids` bits, and only the
        // caller writes it, by the function's safety requirements; others
        // may read it, so every access is through a raw pointer.
        let word = unsafe { addr_of_mut!((*mask).bits).cast::<usize>().add(w) };
        // SAFETY: as above.
        let mut bits = unsafe { word.read() };
        let mut taken = 0usize;
        while bits != 0 {
            let b = bits.trailing_zeros();
            bits &= bits - 1;
            let Some(cpu) = CpuId::from_u32(w as u32 * BITS + b) else {
                break;
            };
            // Most CPUs of a mask run themselves: one look at the owner
            // (`cpu_proxy_ipi_redirected()`) before anything else.
            if owner_of(cpu).load(Relaxed) == protocol::NATIVE {
                continue;
            }
            let t = Target::new(cpu);
            if t.redirect(t.work()) {
                taken |= 1 << b;
            }
        }
        if taken != 0 {
            // SAFETY: as above.
            unsafe { word.write(word.read() & !taken) };
        }
    }
}
c_export!(cpu_proxy_redirect_call_mask);

/// Deliver a reschedule kick for `cpu` to its proxy; see
/// `include/linux/cpu_proxy.h`.
///
/// A kick with a task to run must wake the CPU; one without (a timer
/// queued from afar wants the idle CPU to re-evaluate its tick) is the
/// proxy's. Returns true if the proxy takes it, false to send the IPI.
#[no_mangle]
extern "C" fn cpu_proxy_redirect_resched(cpu: c_uint) -> bool {
    let Some(cpu) = CpuId::from_u32(cpu) else {
        return false;
    };
    let t = Target::new(cpu);
    // SAFETY: `idle_cpu()` reads the runqueue of a possible CPU locklessly.
    if unsafe { bindings::idle_cpu(cpu.as_i32()) } == 0 {
        t.why().or(bindings::CPU_PROXY_WHY_TASK as i32, Relaxed);
        return false;
    }
    t.redirect(t.resched())
}
c_export!(cpu_proxy_redirect_resched);

/// The CPU that stands in for `cpu`, or -1 if `cpu` is not parked (or not
/// a possible CPU); see `include/linux/cpu_proxy.h`. A snapshot, unless
/// the caller holds `cpu_proxy_lock()`.
#[no_mangle]
pub(crate) extern "C" fn cpu_proxy_get_proxy(cpu: c_uint) -> c_int {
    CpuId::from_u32(cpu).map_or(protocol::NO_PROXY, |cpu| Target::new(cpu).proxy())
}
c_export!(cpu_proxy_get_proxy);
