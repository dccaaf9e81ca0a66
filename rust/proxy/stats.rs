// SPDX-License-Identifier: GPL-2.0

//! Event counters, shown in `/sys/devices/system/cpu/proxy/stats`.
//!
//! The file is a list of `key value` lines, one per counter, in a fixed
//! order, values in decimal. Keys are only ever added, never renamed, so
//! scripts can parse the file by key. Counters are monotonic over a boot.
//!
//! Pure logic: `cargo test` runs it on the host.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU64, Ordering};

/// The counters of this boot, read by the `stats` file.
pub(crate) static STATS: Stats = Stats::new();

/// The counters. Each one is bumped by the mechanism it names; none is
/// derived from another.
pub(crate) struct Stats {
    /// Successful park transitions, one per CPU.
    pub(crate) parks: AtomicU64,
    /// Successful unpark transitions, one per CPU.
    pub(crate) unparks: AtomicU64,
    /// IPIs addressed to a parked CPU and delivered to its proxy instead.
    pub(crate) proxied_ipis: AtomicU64,
    /// Times a proxy entered a parked CPU's context.
    pub(crate) proxy_entries: AtomicU64,
    /// Parks that outlived `defer_ms` and became real offlines.
    deferred_offlines: AtomicU64,
    /// Times a parked CPU left its halt loop.
    pub(crate) wakeups_while_parked: AtomicU64,
    /// Parked CPUs that a `stop_machine()` counted as stopped, left halted.
    pub(crate) stop_machine_held: AtomicU64,
    /// Of the wakeups: to run a cross-call not on the allow-list.
    woken_call: AtomicU64,
    /// Of the wakeups: to run a task (a per-CPU kthread, a work item's).
    woken_task: AtomicU64,
    /// Of the wakeups: to run softirqs its proxy could not run in time.
    woken_softirq: AtomicU64,
    /// Of the wakeups: to do hardware-bound work its proxy deferred to it.
    woken_hw: AtomicU64,
    /// Of the wakeups: anything else (a device interrupt, an NMI).
    woken_other: AtomicU64,
}

/// Why a parked CPU woke (a bit of `CPU_PROXY_WHY_*`); one or more per
/// wakeup, each counted in its own `woken_*` counter.
pub(crate) mod why {
    /// A cross-call not on the allow-list.
    pub(crate) const CALL: u32 = 0x01;
    /// A task to run.
    pub(crate) const TASK: u32 = 0x02;
    /// Softirqs its proxy could not run in time.
    pub(crate) const SOFTIRQ: u32 = 0x04;
    /// Hardware-bound work deferred to it.
    pub(crate) const HW: u32 = 0x08;
    /// Anything else.
    pub(crate) const OTHER: u32 = 0x10;
}

impl Stats {
    /// All counters at zero.
    pub(crate) const fn new() -> Self {
        Self {
            parks: AtomicU64::new(0),
            unparks: AtomicU64::new(0),
            proxied_ipis: AtomicU64::new(0),
            proxy_entries: AtomicU64::new(0),
            deferred_offlines: AtomicU64::new(0),
            wakeups_while_parked: AtomicU64::new(0),
            stop_machine_held: AtomicU64::new(0),
            woken_call: AtomicU64::new(0),
            woken_task: AtomicU64::new(0),
            woken_softirq: AtomicU64::new(0),
            woken_hw: AtomicU64::new(0),
            woken_other: AtomicU64::new(0),
        }
    }

    /// Counts a wakeup of a parked CPU, and each reason in `reasons` (bits
    /// of [`why`]); a wakeup with none is counted as [`why::OTHER`].
    pub(crate) fn note_wakeup(&self, reasons: u32) {
        self.wakeups_while_parked.fetch_add(1, Ordering::Relaxed);
        let reasons = if reasons == 0 { why::OTHER } else { reasons };
        for (bit, counter) in [
            (why::CALL, &self.woken_call),
            (why::TASK, &self.woken_task),
            (why::SOFTIRQ, &self.woken_softirq),
            (why::HW, &self.woken_hw),
            (why::OTHER, &self.woken_other),
        ] {
            if reasons & bit != 0 {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn entries(&self) -> [(&'static str, &AtomicU64); 12] {
        [
            ("parks", &self.parks),
            ("unparks", &self.unparks),
            ("proxied_ipis", &self.proxied_ipis),
            ("proxy_entries", &self.proxy_entries),
            ("deferred_offlines", &self.deferred_offlines),
            ("wakeups_while_parked", &self.wakeups_while_parked),
            ("stop_machine_held", &self.stop_machine_held),
            ("woken_call", &self.woken_call),
            ("woken_task", &self.woken_task),
            ("woken_softirq", &self.woken_softirq),
            ("woken_hw", &self.woken_hw),
            ("woken_other", &self.woken_other),
        ]
    }

    /// Writes the `key value` lines to `w`.
    pub(crate) fn show(&self, w: &mut impl Write) -> fmt::Result {
        for (key, val) in self.entries() {
            writeln!(w, "{} {}", key, val.load(Ordering::Relaxed))?;
        }
        Ok(())
    }
}

/// A [`Write`] sink over a byte buffer that fails, rather than truncates,
/// when the buffer is full: a sysfs `show()` must never emit half a line.
pub(crate) struct SliceWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceWriter<'a> {
    /// A writer that fills `buf` from its start.
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Number of bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Forget what was written after the first `len` bytes.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
}

impl Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::{str, vec::Vec};

    #[test]
    fn show_lists_every_key_once_in_order() {
        let s = Stats::new();
        s.proxied_ipis.store(7, Ordering::Relaxed);
        s.wakeups_while_parked.store(u64::MAX, Ordering::Relaxed);
        let mut buf = [0u8; 4096];
        let mut w = SliceWriter::new(&mut buf);
        s.show(&mut w).unwrap();
        let n = w.len();
        let text = str::from_utf8(&buf[..n]).unwrap();
        let lines: Vec<(&str, u64)> = text
            .lines()
            .map(|l| {
                let (k, v) = l.split_once(' ').unwrap();
                (k, v.parse().unwrap())
            })
            .collect();
        assert_eq!(
            lines,
            [
                ("parks", 0),
                ("unparks", 0),
                ("proxied_ipis", 7),
                ("proxy_entries", 0),
                ("deferred_offlines", 0),
                ("wakeups_while_parked", u64::MAX),
                ("stop_machine_held", 0),
                ("woken_call", 0),
                ("woken_task", 0),
                ("woken_softirq", 0),
                ("woken_hw", 0),
                ("woken_other", 0),
            ]
        );
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn a_wakeup_counts_each_reason_once() {
        let s = Stats::new();
        s.note_wakeup(why::CALL | why::TASK);
        s.note_wakeup(0);
        s.note_wakeup(why::HW);
        s.note_wakeup(why::SOFTIRQ | why::OTHER | 0x100);
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        assert_eq!(get(&s.wakeups_while_parked), 4);
        assert_eq!(get(&s.woken_call), 1);
        assert_eq!(get(&s.woken_task), 1);
        assert_eq!(get(&s.woken_softirq), 1);
        assert_eq!(get(&s.woken_hw), 1);
        assert_eq!(get(&s.woken_other), 2);
    }

    #[test]
    fn slice_writer_refuses_to_overflow() {
        let mut buf = [0u8; 8];
        let mut w = SliceWriter::new(&mut buf);
        assert!(w.write_str("12345").is_ok());
        assert!(w.write_str("6789").is_err());
        assert_eq!(w.len(), 5);
        assert!(w.write_str("678").is_ok());
        assert_eq!(&buf, b"12345678");
    }

    #[test]
    fn stats_do_not_fit_in_a_tiny_buffer() {
        let s = Stats::new();
        let mut buf = [0u8; 16];
        assert!(s.show(&mut SliceWriter::new(&mut buf)).is_err());
    }
}
