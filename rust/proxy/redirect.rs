// SPDX-License-Identifier: GPL-2.0

//! Redirection: work sent to a parked CPU goes to its proxy.
//!
//! A sender that queued work for a parked CPU N (a cross-call, an
//! irq_work, a reschedule kick) would send N an IPI. The send path asks
//! here first (`cpu_proxy_redirect_*()`, called from `kernel/smp.c` and
//! the x86 reschedule IPI once `cpu_proxy_ipi_redirected()` saw N's owner
//! was not `NATIVE`). The work is flagged in N's state, and unless N has
//! taken its context back meanwhile, its proxy is kicked: an irq_work on
//! the proxy runs a pass for N ([`crate::service`]). Otherwise the IPI goes to N, which sees
//! its work as any online CPU does.
//!
//! The decision is the ownership protocol's [`protocol::redirect`], with
//! C's atomics: the flag is published, with a full barrier, before the
//! owner is read. It pairs with the barrier of `cpu_proxy_pass()`, which
//! clears `work` before it takes N's queue, with the one after a proxy
//! gives N's context back ([`crate::state::Owned::give_back`]), and with the fully
//! ordered claim of `cpu_proxy_claim_slow()`.
//!
//! [`cpu_proxy_get_proxy`] tells C which CPU stands in for a parked one.
//!
//! Context: any but NMI; interrupts on or off. Nothing here sleeps,
//! allocates or can panic.

use crate::{
    export::c_export,
    protocol,
    state::{owner_of, CpuState},
    stats,
    sys::{
        atomic::{Atomic, Kernel, Relaxed},
        cpu::CpuId,
    },
};
use core::{ptr::addr_of_mut, sync::atomic::Ordering};
use kernel::{
    bindings,
    ffi::{c_int, c_uint},
};

/// Flag `what` for the CPU of `s`, then hand it to the proxy unless the
/// CPU runs itself. Returns true if the proxy takes it.
fn redirect(s: &CpuState, what: &Atomic) -> bool {
    if !protocol::redirect::<Kernel>(what, s.owner()) {
        return false;
    }
    stats::STATS.proxied_ipis.fetch_add(1, Ordering::Relaxed);
    s.kick();
    true
}

/// Deliver calls queued for `cpu` to its proxy; see
/// `include/linux/cpu_proxy.h`. Returns true if the proxy will run them,
/// false to send the IPI to `cpu`.
#[no_mangle]
extern "C" fn cpu_proxy_redirect_call(cpu: c_uint) -> bool {
    let Some(cpu) = CpuId::from_u32(cpu) else {
        return false;
    };
    let s = CpuState::of(cpu);
    redirect(&s, s.work())
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
            let s = CpuState::of(cpu);
            if redirect(&s, s.work()) {
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
    let s = CpuState::of(cpu);
    // SAFETY: `idle_cpu()` reads the runqueue of a possible CPU locklessly.
    if unsafe { bindings::idle_cpu(cpu.as_i32()) } == 0 {
        s.why().or(bindings::CPU_PROXY_WHY_TASK as i32, Relaxed);
        return false;
    }
    redirect(&s, s.resched())
}
c_export!(cpu_proxy_redirect_resched);

/// The CPU that stands in for `cpu`, or -1 if `cpu` is not parked (or not
/// a possible CPU); see `include/linux/cpu_proxy.h`. A snapshot, unless
/// the caller holds the park lock (`MapsGuard`).
#[no_mangle]
pub(crate) extern "C" fn cpu_proxy_get_proxy(cpu: c_uint) -> c_int {
    CpuId::from_u32(cpu).map_or(protocol::NO_PROXY, |cpu| CpuState::of(cpu).proxy())
}
c_export!(cpu_proxy_get_proxy);
