// SPDX-License-Identifier: GPL-2.0

//! The calling task and its CPU: preemption, signals, sleeping, time.

use kernel::{bindings, ffi::c_ulong};

/// Preemption is off while this lives (`preempt_disable()`), and goes
/// back on, rescheduling if need be, when it is dropped
/// (`preempt_enable()`).
///
/// It is not `Send`: it must be dropped on the CPU it was made on.
pub(crate) struct PreemptGuard(core::marker::PhantomData<*mut ()>);

impl PreemptGuard {
    /// `preempt_disable()`.
    pub(crate) fn new() -> Self {
        // SAFETY: paired with `preempt_enable()` in `drop()`.
        unsafe { bindings::cpu_proxy_preempt_disable() };
        Self(core::marker::PhantomData)
    }
}

impl Drop for PreemptGuard {
    fn drop(&mut self) {
        // SAFETY: `new()` disabled preemption on this CPU; the guard is not
        // `Send`, so this is that CPU.
        unsafe { bindings::cpu_proxy_preempt_enable() };
    }
}

/// Whether the calling task has a fatal signal pending
/// (`fatal_signal_pending(current)`).
pub(crate) fn fatal_signal_pending() -> bool {
    // SAFETY: reads the calling task's own signal state.
    unsafe { bindings::cpu_proxy_fatal_signal_pending() }
}

/// `usleep_range(min_us, max_us)`: sleep, uninterruptibly.
///
/// # Safety
///
/// Process context, where the caller may sleep.
pub(crate) unsafe fn usleep_range(min_us: c_ulong, max_us: c_ulong) {
    // SAFETY: a sleep of the calling task, which may sleep, by the
    // function's safety requirements.
    unsafe { bindings::usleep_range_state(min_us, max_us, bindings::TASK_UNINTERRUPTIBLE) }
}

/// `local_clock()`: this CPU's scheduler clock, in nanoseconds; cheap, for
/// short spins. Any context.
pub(crate) fn local_clock() -> u64 {
    // SAFETY: reads this CPU's clock.
    unsafe { bindings::cpu_proxy_local_clock() }
}

/// `ktime_get_ns()`: monotonic time, in nanoseconds.
pub(crate) fn ktime_get_ns() -> u64 {
    // SAFETY: reads the clock; any context but NMI, with timekeeping
    // running (not in suspend).
    let t = unsafe { bindings::ktime_get() };
    // The monotonic clock starts at 0 at boot: never negative.
    t as u64
}
