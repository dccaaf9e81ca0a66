// SPDX-License-Identifier: GPL-2.0

//! A pass: what an interrupt on idle N does, run as N, on N itself
//! (`idle.rs`) or on its proxy's hardware (`service.rs`).
//!
//! The pass's entry and exit are C (`cpu_proxy_pass()` in
//! `kernel/cpu_proxy_proxy.c`: context tracking and lockdep, as
//! `irqentry_enter()` and `irqentry_exit()` for the idle task), because
//! they run as N in RCU's extended quiescent state: `noinstr`. Everything
//! between is here ([`cpu_proxy_pass_body`]): the interrupt registers,
//! `irq_enter_rcu()`/`irq_exit_rcu()`, N's bottom halves, and what runs
//! inside, in what order, and what is left for N to run itself:
//! [`pass_irq`] in hard interrupt context, [`pass_done`] after
//! `irq_exit_rcu()` has run N's softirqs.
//!
//! Context: a pass, as N, interrupts off; the caller owns N's context.

use crate::{
    export::c_export,
    state::{CpuState, Owner},
    stats,
    sys::{
        atomic::{smp_mb, Full, Relaxed},
        cpu::CpuId,
        warn_once,
    },
};
use core::ptr::addr_of_mut;
use kernel::bindings;

/// The owner of the pass's CPU, for the length of a pass.
///
/// # Safety
///
/// `pc` is a CPU's copy of `cpu_proxy_cpus`, and the caller runs a pass
/// for it (it owns the CPU's context, interrupts off).
unsafe fn in_pass<'a>(pc: *mut bindings::cpu_proxy_cpu) -> Option<(CpuState, Owner<'a>)> {
    // SAFETY: by the function's safety requirements.
    let s = unsafe { CpuState::from_raw(pc) }?;
    // SAFETY: the caller owns the context, interrupts off, by the
    // function's safety requirements.
    Some((s, unsafe { Owner::in_pass(s) }))
}

/// A pass for `pc`'s CPU, between its entry and its exit
/// (`cpu_proxy_pass()`): an interrupt handler's part, N's softirqs, then
/// the idle task's re-check of its tick. `proxied`: on the proxy.
///
/// With `no_softirq` (the proxy's own bottom halves are off, or its FPU
/// is in use), N's bottom halves stay off throughout: `irq_exit_rcu()`
/// then leaves N's softirqs pending for a later pass, and [`pass_done`]
/// does not stop the tick meanwhile.
///
/// # Safety
///
/// `pc` is a CPU's copy of `cpu_proxy_cpus`; the caller runs a pass for
/// it (it owns the CPU's context, interrupts off), as that CPU, entered
/// as an interrupt is (RCU watching, lockdep's interrupts off).
#[no_mangle]
unsafe extern "C" fn cpu_proxy_pass_body(pc: *mut bindings::cpu_proxy_cpu, proxied: bool) {
    // SAFETY: a pass runs, by the function's safety requirements.
    let Some((_, owner)) = (unsafe { in_pass(pc) }) else {
        return;
    };
    let softirqs = !owner.no_softirq();
    if !softirqs {
        // SAFETY: as N, interrupts off; enabled again below, without
        // running softirqs.
        unsafe { bindings::cpu_proxy_local_bh_disable() };
    }
    // The interrupted context: N's idle task, in the kernel.
    // SAFETY: `pt_regs` is plain integers, for which zero is valid.
    let mut regs: bindings::pt_regs = unsafe { core::mem::zeroed() };
    // SAFETY: as N, interrupts off: N's interrupt registers point to
    // `regs` until they are set back, before `regs` goes out of scope.
    let old_regs = unsafe { bindings::cpu_proxy_set_irq_regs(&mut regs) };
    // SAFETY: entered as an interrupt, interrupts off, by the function's
    // safety requirements; left just after.
    unsafe { bindings::irq_enter_rcu() };
    // SAFETY: a pass runs, between `irq_enter_rcu()` and `irq_exit_rcu()`.
    unsafe { pass_irq(pc, proxied) };
    // SAFETY: pairs with `irq_enter_rcu()` above; runs N's softirqs
    // unless they are off.
    unsafe { bindings::irq_exit_rcu() };
    // SAFETY: as above: `old_regs` is what `regs` replaced.
    unsafe { bindings::cpu_proxy_set_irq_regs(old_regs) };
    // SAFETY: a pass runs, after `irq_exit_rcu()`, RCU watching.
    unsafe { pass_done(pc) };
    if !softirqs {
        // SAFETY: pairs with `cpu_proxy_local_bh_disable()` above; leaves
        // N's softirqs pending.
        unsafe { bindings::_local_bh_enable() };
    }
}
c_export!(cpu_proxy_pass_body);

/// The pass's hard interrupt part: what was left for N (on N itself),
/// N's queued calls, its irq_work, its tick. `proxied`: on the proxy.
///
/// # Safety
///
/// A pass for `pc`'s CPU runs, between `irq_enter_rcu()` and
/// `irq_exit_rcu()`.
unsafe fn pass_irq(pc: *mut bindings::cpu_proxy_cpu, proxied: bool) {
    // SAFETY: a pass runs, by the function's safety requirements.
    let Some((s, _owner)) = (unsafe { in_pass(pc) }) else {
        return;
    };
    // What passes deferred to N; N runs it itself, first.
    if !proxied {
        // SAFETY: on N, in a pass, as the function requires.
        unsafe { bindings::cpu_proxy_run_deferred(pc) };
    }
    s.work().store(0, Relaxed);
    // Cleared before the queue is taken; pairs with the barrier of
    // `protocol::redirect()`, which the senders of `redirect.rs` run.
    smp_mb();
    // SAFETY: hard interrupt context, as N: N's call queue and irq_work.
    unsafe {
        bindings::generic_smp_call_function_single_interrupt();
        bindings::irq_work_run();
    }
    // SAFETY: reads the clock.
    if s.next_event() <= unsafe { bindings::ktime_get() } {
        s.set_next_event(i64::MAX);
        // SAFETY: `pc` is valid; `evt` is N's stand-in tick device, whose
        // handler the tick core set when it installed it, and which runs
        // as N, in hard interrupt context, as here.
        let evt = unsafe { addr_of_mut!((*pc).evt) };
        // SAFETY: as above.
        match unsafe { (*evt).event_handler } {
            // SAFETY: as above.
            Some(handler) => unsafe { handler(evt) },
            // The tick core always installs one, if only a no-op.
            None => warn_once!(
                "CPU{}'s stand-in tick device has no handler\n",
                s.cpu().as_u32()
            ),
        }
    }
}

/// The pass's end, after N's softirqs: what is left for N, and the idle
/// task's re-check of its tick.
///
/// # Safety
///
/// A pass for `pc`'s CPU runs, after `irq_exit_rcu()`, RCU watching.
unsafe fn pass_done(pc: *mut bindings::cpu_proxy_cpu) {
    // SAFETY: a pass runs, by the function's safety requirements.
    let Some((s, owner)) = (unsafe { in_pass(pc) }) else {
        return;
    };
    // SAFETY: reads N's pending softirqs, as N.
    let softirqs_left = unsafe { bindings::cpu_proxy_local_softirq_pending() } != 0;
    owner.set_softirqs_left(softirqs_left);
    // What the pass counted, folded as an idle CPU folds it.
    // SAFETY: as N, interrupts off.
    unsafe { bindings::vmstat_parked(false) };
    // A redirected resched: run something, or just re-evaluate timers.
    // SAFETY: as N, interrupts off.
    if s.resched().xchg(0, Full) != 0 && unsafe { bindings::sched_parked_idle_drop_resched() } {
        need_native(&s, &owner, stats::why::TASK);
    }
    // SAFETY: reads N's idle task's flags, as N.
    if unsafe { bindings::cpu_proxy_need_resched() } {
        need_native(&s, &owner, stats::why::TASK);
    } else if !softirqs_left {
        // SAFETY: as N's idle task, interrupts off, RCU watching.
        unsafe { bindings::tick_nohz_idle_stop_tick() };
    }
}

/// N must run something itself (`why`, `CPU_PROXY_WHY_*`): the owner of
/// the pass wakes it once the pass is over, and it counts why.
fn need_native(s: &CpuState, owner: &Owner<'_>, why: u32) {
    owner.set_native(true);
    s.why().or(why as i32, Relaxed);
}

/// A pass found work only the parked CPU may run; see
/// `include/linux/cpu_proxy.h`.
///
/// # Safety
///
/// Called in a pass, as its CPU N (`cpu_proxy_in_proxy()`): the caller
/// owns N's context.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_need_native(why: u32) {
    let s = CpuState::of(CpuId::this());
    // SAFETY: in a pass, as N, by the function's safety requirements.
    let owner = unsafe { Owner::in_pass(s) };
    need_native(&s, &owner, why);
}
c_export!(cpu_proxy_need_native);

/// irq_work was queued in a pass; see `include/linux/cpu_proxy.h`.
///
/// The pass queued it as N, whose interrupt for it would be the proxy's
/// own (a self-IPI on the proxy's hardware): the proxy looks at N's lists
/// again once the pass is over, instead. Context: a pass, as N.
#[no_mangle]
extern "C" fn cpu_proxy_raise_irq_work() {
    CpuState::of(CpuId::this()).work().store(1, Relaxed);
}
c_export!(cpu_proxy_raise_irq_work);
