// SPDX-License-Identifier: GPL-2.0

//! The test hooks of `lib/test_cpu_proxy.c` that the mechanism's Rust
//! calls: with `CONFIG_TEST_CPU_PROXY`, what the test module set (C
//! globals of `kernel/cpu_proxy_proxy.c`, which it writes with
//! `WRITE_ONCE()`) widens a window or records a measurement; without it,
//! each is nothing.

pub(crate) use imp::{look_delay, pass_end, pass_start};

#[cfg(CONFIG_TEST_CPU_PROXY)]
mod imp {
    use crate::{
        state::CpuState,
        sys::{
            atomic::{cpu_relax, read_once},
            sched::{ktime_get_ns, local_clock},
        },
    };
    use core::ptr::{addr_of, addr_of_mut};
    use kernel::bindings;

    /// The time now, in monotonic nanoseconds.
    fn now() -> i64 {
        // Below `i64::MAX`: it counts from boot.
        ktime_get_ns() as i64
    }

    /// Before N's last look at its work: wait until N's next timer is
    /// due, for at most `cpu_proxy_test_look_ns` nanoseconds, so that a
    /// short periodic timer of N falls due between its two looks every
    /// time.
    pub(crate) fn look_delay(s: &CpuState) {
        // An `unsigned int`, read as the `int` of the same size and bits.
        // SAFETY: a static the test module writes with `WRITE_ONCE()`.
        let ns = unsafe { read_once(addr_of!(bindings::cpu_proxy_test_look_ns).cast()) } as u32;
        if ns == 0 {
            return;
        }
        let end = now().saturating_add(i64::from(ns));
        while now() < s.next_event() && now() < end {
            cpu_relax();
        }
    }

    /// When a pass starts, for [`pass_end`].
    pub(crate) fn pass_start() -> u64 {
        local_clock()
    }

    /// A pass that started at `t0` ended: how long it kept its proxy's
    /// interrupts off (`cpu_proxy_test_passes`: the longest, and how many
    /// took over 100 us and over 1 ms). Racy updates, for a measurement.
    pub(crate) fn pass_end(t0: u64) {
        let ns = local_clock().wrapping_sub(t0);
        // SAFETY: a static for the kernel's life; `max_ns` is read and
        // written with `READ_ONCE()`/`WRITE_ONCE()`, the counters with the
        // kernel's atomics, by this and by the test module.
        unsafe {
            let t = addr_of_mut!(bindings::cpu_proxy_test_passes);
            // A `u64`, read and written as the `s64` of the same bits.
            let max = addr_of_mut!((*t).max_ns).cast::<i64>();
            if ns > bindings::cpu_proxy_read_once_s64(max) as u64 {
                bindings::cpu_proxy_write_once_s64(max, ns as i64);
            }
            if ns > 100_000 {
                bindings::cpu_proxy_atomic_long_inc(addr_of_mut!((*t).over_100us));
            }
            if ns > 1_000_000 {
                bindings::cpu_proxy_atomic_long_inc(addr_of_mut!((*t).over_1ms));
            }
            bindings::cpu_proxy_atomic_long_inc(addr_of_mut!((*t).passes));
        }
    }
}

/// Without the test module, each hook is nothing.
#[cfg(not(CONFIG_TEST_CPU_PROXY))]
mod imp {
    use crate::state::CpuState;

    pub(crate) fn look_delay(_s: &CpuState) {}

    pub(crate) fn pass_start() -> u64 {
        0
    }

    pub(crate) fn pass_end(_t0: u64) {}
}
