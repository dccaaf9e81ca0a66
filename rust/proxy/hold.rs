// SPDX-License-Identifier: GPL-2.0

//! `stop_machine()` and parked CPUs: a parked CPU in its park loop counts
//! as stopped.
//!
//! A parked CPU runs nothing of its own and is sent nothing: it needs no
//! stopper to be stopped, only to stay in its loop. `stop_machine()` asks
//! [`cpu_proxy_stop_parked`] which CPUs it need not wake, and those are
//! *held*: they stay in their loop until the stop is over, even if
//! unparked meanwhile (`may_leave()`, `idle.rs`). While the other CPUs
//! gather in `multi_cpu_stop()`, interrupts on, a held CPU's work goes on
//! as usual, on its proxy or on itself; when they all turn interrupts
//! off, [`cpu_proxy_hold_parked`] stops it too, and releases it before
//! they turn them back on. [`cpu_proxy_unstop_parked`] ends the hold.
//!
//! The held CPUs are `cpu_proxy_held_mask`, which the idle fast path
//! (`cpu_proxy_idle_parks()`) also reads. Only one stop holds CPUs at a
//! time: every function here runs under the stopper's mutex.

use crate::{
    cpumask::SharedCpumask,
    export::c_export,
    protocol::{HALTED, STOPPED},
    state::CpuState,
    stats,
    sys::{
        atomic::{cpu_relax, smp_mb_after_atomic, smp_mb_before_atomic, Acquire, Full, Relaxed},
        cpu::CpuId,
    },
};
use core::{ptr::addr_of_mut, sync::atomic::Ordering};
use kernel::bindings;

/// The CPUs a `stop_machine()` holds (`cpu_proxy_held_mask`).
fn held_mask() -> SharedCpumask<'static> {
    // SAFETY: a global mask, written only here, with atomic bit operations.
    unsafe { SharedCpumask::from_raw(addr_of_mut!(bindings::cpu_proxy_held_mask)) }
}

/// Whether a `stop_machine()` holds `cpu` in its park loop.
pub(crate) fn held(cpu: CpuId) -> bool {
    held_mask().test(cpu)
}

/// Count the parked CPUs of `stopping` as stopped; see
/// `include/linux/cpu_proxy.h`.
///
/// A CPU in its park loop is held and cleared from `stopping`, unless it
/// is in `keep` (it must run the stop function itself). A CPU being
/// parked, not in its loop yet, or leaving it, is stopped the usual way.
/// Returns whether any CPU was held.
///
/// # Safety
///
/// `stopping` must be a valid mask the caller owns; `keep` null or a
/// valid mask. The caller holds the stopper's mutex.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_stop_parked(
    stopping: *mut bindings::cpumask,
    keep: *const bindings::cpumask,
) -> bool {
    // SAFETY: valid and the caller's, by the function's safety
    // requirements; written here with atomic bit operations only.
    let stopping = unsafe { SharedCpumask::from_raw(stopping) };
    // SAFETY: valid if not null, by the function's safety requirements,
    // and only read.
    let keep = (!keep.is_null()).then(|| unsafe { SharedCpumask::from_raw(keep.cast_mut()) });
    let held = held_mask();
    let mut any = false;

    for cpu in stopping.iter() {
        let s = CpuState::of(cpu);

        if keep.is_some_and(|k| k.test(cpu)) {
            continue;
        }
        // In its park loop; pairs with `install()` (`idle.rs`).
        if !s.want_park().load(Relaxed) || !s.installed().load_acquire(Acquire) {
            continue;
        }
        held.set(cpu);
        // Held before the unpark check and before the check that it is
        // not leaving for a task; pairs with `may_leave()` and
        // `leave_for_task()` (`idle.rs`). Either the CPU sees itself held
        // and stays, or it is stopped the usual way.
        smp_mb_after_atomic();
        if !s.want_park().load(Relaxed) || s.leaving().load(Relaxed) {
            held.clear(cpu);
            // Stopped the usual way, so it must be awake. Both sides may
            // have seen each other: it saw itself held and went back to
            // sleep, with need_resched already set, so that the wakeup of
            // its stopper sends no IPI (`resched_curr()`). Interrupt it:
            // it looks again.
            // SAFETY: an interrupt to a possible CPU.
            unsafe { bindings::arch_cpu_proxy_wake(cpu.as_u32()) };
            continue;
        }
        stopping.clear(cpu);
        stats::STATS
            .stop_machine_held
            .fetch_add(1, Ordering::Relaxed);
        any = true;
    }
    any
}
c_export!(cpu_proxy_stop_parked);

/// Stop, or release, the held CPUs; see `include/linux/cpu_proxy.h`.
///
/// Stopping (`stop`) waits for each held CPU to be halted, its proxy done
/// with it, and marks it `STOPPED`. A held CPU awake for an interrupt, or
/// for a per-CPU kthread, goes back to its halt in a moment: it cannot
/// leave its loop, and the CPUs it may wait for still take interrupts.
/// Releasing puts it back to `HALTED` (after any NMI on it returned)
/// before any stopped CPU runs again, and has its proxy look at what was
/// redirected meanwhile: a CPU leaving the stop may at once wait for the
/// held CPU's work.
///
/// Context: `multi_cpu_stop()`, the last CPU to reach a state: to stop,
/// the last to end `MULTI_STOP_PREPARE`, before any CPU turns interrupts
/// off; to release, the last to end `MULTI_STOP_RUN`, interrupts off.
#[no_mangle]
extern "C" fn cpu_proxy_hold_parked(stop: bool) {
    for cpu in held_mask().iter() {
        let s = CpuState::of(cpu);
        let owner = s.owner();

        if stop {
            while owner.cmpxchg(HALTED, STOPPED, Full) != HALTED {
                cpu_relax();
            }
            continue;
        }
        // An NMI that took the CPU while stopped gives it back as STOPPED
        // as it returns (`cpu_proxy_nmi_release()`): wait for that, a few
        // instructions.
        while owner.cmpxchg(STOPPED, HALTED, Full) != STOPPED {
            cpu_relax();
        }
        s.kick();
    }
}
c_export!(cpu_proxy_hold_parked);

/// End the hold; see `include/linux/cpu_proxy.h`.
///
/// The held CPUs may leave their loop again; those unparked during the
/// stop, or with a task woken meanwhile, are woken to do so. Context: the
/// stopper's mutex held, the stop over.
#[no_mangle]
extern "C" fn cpu_proxy_unstop_parked() {
    let held = held_mask();
    for cpu in held.iter() {
        // Released before it may leave; pairs with `may_leave()`
        // (`idle.rs`).
        smp_mb_before_atomic();
        held.clear(cpu);
        // Released before the CPU's flags are read; pairs with
        // `leave_for_task()` (`idle.rs`): either it sees itself released
        // and leaves, or this sees what it leaves for and wakes it.
        smp_mb_after_atomic();
        // SAFETY: reads the flags of a possible CPU's idle task.
        let resched = unsafe { bindings::cpu_proxy_idle_need_resched(cpu.as_u32()) };
        if !CpuState::of(cpu).want_park().load(Relaxed) || resched {
            // SAFETY: an interrupt to a possible CPU.
            unsafe { bindings::arch_cpu_proxy_wake(cpu.as_u32()) };
        }
    }
}
c_export!(cpu_proxy_unstop_parked);
