// SPDX-License-Identifier: GPL-2.0

//! High-resolution timers that C initialises (`hrtimer_init()`, with
//! their callback set): start and cancel them from Rust.
//!
//! The shape follows upstream's `kernel::time::hrtimer` of later kernels
//! where it can (an absolute or relative expiry in a chosen mode), without
//! its ownership of the callback's data: the timers here are fields of C
//! structures that live as long as the kernel, and their callbacks are
//! `extern "C"` functions C set at initialisation.

use kernel::bindings;
use kernel::types::Opaque;

/// How a timer is started: when its expiry counts from, and where it
/// runs. Only the modes the mechanism uses.
#[derive(Clone, Copy)]
pub(crate) enum Mode {
    /// `HRTIMER_MODE_ABS_PINNED_HARD`: at an absolute monotonic time, on
    /// this CPU, in hard interrupt context.
    AbsPinnedHard,
    /// `HRTIMER_MODE_REL_PINNED_HARD`: after a delay, on this CPU, in hard
    /// interrupt context.
    RelPinnedHard,
}

impl Mode {
    fn as_raw(self) -> bindings::hrtimer_mode {
        match self {
            Mode::AbsPinnedHard => bindings::hrtimer_mode_HRTIMER_MODE_ABS_PINNED_HARD,
            Mode::RelPinnedHard => bindings::hrtimer_mode_HRTIMER_MODE_REL_PINNED_HARD,
        }
    }
}

/// A C `struct hrtimer`, initialised by C.
///
/// # Invariants
///
/// The timer was initialised with `hrtimer_init()`, its callback set, and
/// it stays valid while any `&HrTimer` to it exists. Only the hrtimer
/// core's functions touch it.
#[repr(transparent)]
pub(crate) struct HrTimer(Opaque<bindings::hrtimer>);

impl HrTimer {
    /// The timer at `ptr`, for `'a`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an initialised `struct hrtimer`, with its
    /// callback set, that stays valid for `'a`.
    pub(crate) unsafe fn from_ptr<'a>(ptr: *mut bindings::hrtimer) -> &'a Self {
        // SAFETY: `HrTimer` is a transparent wrapper of a `struct hrtimer`,
        // valid for `'a` by the function's safety requirements.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// `hrtimer_start()`: (re)start the timer to expire at `expires`
    /// (monotonic nanoseconds, or a delay in them, as `mode` says). A
    /// pinned timer moves to this CPU, unless its callback runs
    /// elsewhere right now: then it stays where it is.
    ///
    /// Any context but NMI.
    pub(crate) fn start(&self, expires: i64, mode: Mode) {
        // SAFETY: the timer is initialised and valid, by the type's
        // invariants; the hrtimer core serialises its own accesses.
        unsafe { bindings::hrtimer_start_range_ns(self.0.get(), expires, 0, mode.as_raw()) }
    }

    /// `hrtimer_try_to_cancel()`: dequeue the timer if it is queued, and
    /// its callback does not run now (on this CPU or another). Returns 1
    /// if it dequeued it, 0 if it was not queued, -1 if its callback runs
    /// (the timer is then left as it is). Any context but NMI.
    pub(crate) fn try_to_cancel(&self) -> i32 {
        // SAFETY: as in `start()`.
        unsafe { bindings::hrtimer_try_to_cancel(self.0.get()) }
    }

    /// `hrtimer_cancel()`: dequeue the timer, and wait for its callback
    /// if it runs now.
    ///
    /// # Safety
    ///
    /// The caller must not hold anything the callback waits for, nor run
    /// in the callback itself or with interrupts off on the CPU it runs
    /// on (process context is always fine).
    pub(crate) unsafe fn cancel(&self) {
        // SAFETY: as in `start()`; the wait cannot deadlock, by the
        // function's safety requirements.
        unsafe { bindings::hrtimer_cancel(self.0.get()) };
    }
}
