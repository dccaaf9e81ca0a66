// SPDX-License-Identifier: GPL-2.0

//! Log messages that a user's write can cause, rate limited per call site
//! as C's `pr_warn_ratelimited()` is (`crate::ratelimit`).

/// `ratelimited!(pr_warn, "...", args)`: prints with the given `kernel`
/// print macro, at most `ratelimit::BURST` times in each 5 s from this
/// call site; the count dropped before is printed with the next one let
/// through. Process or interrupt context, not NMI (it reads the clock
/// with `ktime_get()`); callers at one site must not race
/// (`crate::ratelimit`).
macro_rules! ratelimited {
    ($print:ident, $($arg:tt)*) => {{
        static RL: $crate::ratelimit::RateLimit = $crate::ratelimit::RateLimit::new();
        if let Some(missed) = RL.check($crate::sys::sched::ktime_get_ns()) {
            if missed > 0 {
                ::kernel::$print!("{} messages like the next were dropped\n", missed);
            }
            ::kernel::$print!($($arg)*);
        }
    }};
}

pub(crate) use ratelimited;
