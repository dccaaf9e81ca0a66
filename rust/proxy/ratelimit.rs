// SPDX-License-Identifier: GPL-2.0

//! A rate limit for log messages that a user's write can cause, as C's
//! `printk_ratelimited()` has (`___ratelimit()`): at most `BURST` in each
//! interval of `INTERVAL_NS`, one state per call site, and the count of the
//! messages dropped is reported with the next one let through.
//!
//! The state is a call site's own and only Rust uses it, so it is kept in
//! Rust atomics, without C's spinlock. The callers run one at a time: each
//! call site is in a park write, which holds the CPU maps lock. Callers
//! that raced would stay memory-safe but could see an interval start with
//! the last one's count, and drop a message the limit allows.
//!
//! Pure logic, with time passed in: `host/` tests it.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

/// Messages let through in each interval (`DEFAULT_RATELIMIT_BURST`).
pub(crate) const BURST: u32 = 10;
/// The interval, in nanoseconds (`DEFAULT_RATELIMIT_INTERVAL`, 5 s).
pub(crate) const INTERVAL_NS: u64 = 5_000_000_000;

/// One call site's rate limit.
///
/// # Invariants
///
/// `printed <= BURST`; `begin` is 0 until the first call, then the start
/// of the current interval (never 0).
pub(crate) struct RateLimit {
    /// The start of the current interval, in ns; 0 before the first call.
    begin: AtomicU64,
    /// Messages let through in the current interval.
    printed: AtomicU32,
    /// Messages dropped since the last one let through.
    missed: AtomicU32,
}

impl RateLimit {
    /// A rate limit that lets the next message through.
    pub(crate) const fn new() -> Self {
        Self {
            begin: AtomicU64::new(0),
            printed: AtomicU32::new(0),
            missed: AtomicU32::new(0),
        }
    }

    /// Whether a message at time `now` (ns, monotonic) may be printed:
    /// `Some(dropped)`, the messages dropped since the last one printed,
    /// or `None` when it is to be dropped.
    pub(crate) fn check(&self, now: u64) -> Option<u32> {
        let begin = self.begin.load(Relaxed);
        if begin == 0 || now.saturating_sub(begin) >= INTERVAL_NS {
            // A new interval: the caller that moves `begin` resets the
            // count. Time 0 is stored as 1: 0 means "never".
            if self
                .begin
                .compare_exchange(begin, now.max(1), Relaxed, Relaxed)
                .is_ok()
            {
                self.printed.store(0, Relaxed);
            }
        }
        let let_through = self
            .printed
            .fetch_update(Relaxed, Relaxed, |p| (p < BURST).then_some(p + 1))
            .is_ok();
        if let_through {
            Some(self.missed.swap(0, Relaxed))
        } else {
            // Saturating: a count that wrapped would report fewer.
            let _ = self
                .missed
                .fetch_update(Relaxed, Relaxed, |m| Some(m.saturating_add(1)));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn a_burst_then_nothing_until_the_interval_ends() {
        let rl = RateLimit::new();
        let through = (0..25).filter(|i| rl.check(100 * S + i).is_some()).count();
        assert_eq!(BURST as usize, through);
        assert_eq!(None, rl.check(100 * S + 4 * S));
        // The next interval: the 16 dropped are reported with its first.
        assert_eq!(Some(16), rl.check(100 * S + INTERVAL_NS));
        assert_eq!(Some(0), rl.check(100 * S + INTERVAL_NS + 1));
    }

    #[test]
    fn the_first_call_at_time_zero_starts_an_interval() {
        let rl = RateLimit::new();
        for _ in 0..BURST {
            assert!(rl.check(0).is_some());
        }
        assert_eq!(None, rl.check(0));
        assert_eq!(None, rl.check(INTERVAL_NS - 2));
        assert_eq!(Some(2), rl.check(INTERVAL_NS + 1));
    }

    #[test]
    fn messages_spread_out_all_go_through() {
        let rl = RateLimit::new();
        for i in 0..100 {
            assert_eq!(Some(0), rl.check(i * INTERVAL_NS / 5));
        }
    }

    #[test]
    fn a_clock_read_before_the_interval_began_counts_in_it() {
        // A caller that read the clock, then lost its CPU while another
        // started an interval: its time is before `begin`.
        let rl = RateLimit::new();
        for i in 0..BURST {
            assert_eq!(Some(0), rl.check(10 * S + u64::from(i)));
        }
        assert_eq!(None, rl.check(10 * S - 1));
        assert_eq!(Some(1), rl.check(10 * S + INTERVAL_NS));
    }
}
