// SPDX-License-Identifier: GPL-2.0

//! The `extern "C"` entry points that `include/linux/cpu_proxy.h` declares.
//!
//! Each converts raw pointers into safe views, calls the logic, and turns a
//! Rust error into a negative errno at the boundary. Each is checked against
//! its C prototype at compile time ([`c_export!`]).

use crate::{
    cpulist,
    cpumask::{CpumaskMut, SharedCpumask},
    export::c_export,
    park,
    state::CpuState,
    stats,
};
use core::{
    fmt::{self, Write},
    ptr::addr_of_mut,
};
use kernel::{bindings, ffi, ffi::c_char, ffi::c_int, page::PAGE_SIZE, prelude::*};

fn parse_errno(e: cpulist::ParseError) -> Error {
    match e {
        cpulist::ParseError::Invalid => EINVAL,
        cpulist::ParseError::Range => ERANGE,
        cpulist::ParseError::Overflow => Error::from_errno(-(bindings::EOVERFLOW as c_int)),
    }
}

/// The bytes a C caller passed as `buf`, `len`.
///
/// # Safety
///
/// `buf` must be valid for reads of `len` bytes for `'a`, unless `len` is 0.
unsafe fn input<'a>(buf: *const c_char, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: valid for reads of `len` bytes, by the function's safety
    // requirements, and `len` is not zero.
    unsafe { core::slice::from_raw_parts(buf, len) }
}

/// Parses the cpulist in `buf[0..len]` into `dst`.
///
/// A drop-in for `cpulist_parse()`: same language, same result, same
/// errnos (`-EINVAL`, `-ERANGE`, `-EOVERFLOW`), but bounded by `len`
/// rather than by a terminator, so it can take a sysfs write as it is.
///
/// # Safety
///
/// `buf` must be valid for reads of `len` bytes, and `dst` must point to a
/// `struct cpumask` that nothing else accesses during the call.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_cpulist_parse(
    buf: *const c_char,
    len: usize,
    dst: *mut bindings::cpumask,
) -> c_int {
    // SAFETY: `buf` is valid for reads of `len` bytes, by the function's
    // safety requirements.
    let input = unsafe { input(buf, len) };
    // SAFETY: `dst` is valid and exclusively ours for the call, by the
    // function's safety requirements.
    let mut mask = unsafe { CpumaskMut::from_raw(dst) };
    match cpulist::parse(input, &mut mask) {
        Ok(()) => 0,
        Err(e) => parse_errno(e).to_errno(),
    }
}
c_export!(cpu_proxy_cpulist_parse);

/// Fills a sysfs `show()` buffer with what `f` writes: the number of
/// bytes written, or `-EOVERFLOW` if it did not fit in `PAGE_SIZE - 1`
/// bytes, as `sysfs_emit()` leaves room for the NUL that sysfs adds.
///
/// # Safety
///
/// `buf` must be valid for writes of `PAGE_SIZE` bytes.
unsafe fn show(
    buf: *mut c_char,
    f: impl FnOnce(&mut stats::SliceWriter<'_>) -> fmt::Result,
) -> isize {
    // SAFETY: valid for writes of `PAGE_SIZE` bytes, by the function's
    // safety requirements.
    let out = unsafe { core::slice::from_raw_parts_mut(buf, PAGE_SIZE - 1) };
    let mut w = stats::SliceWriter::new(out);
    match f(&mut w) {
        Ok(()) => w.len() as isize,
        Err(_) => Error::from_errno(-(bindings::EOVERFLOW as c_int)).to_errno() as isize,
    }
}

/// Formats the counters into `buf` for the `stats` file.
///
/// Returns the number of bytes written or a negative errno.
///
/// # Safety
///
/// `buf` must be valid for writes of `PAGE_SIZE` bytes (a sysfs `show()`
/// buffer).
#[no_mangle]
unsafe extern "C" fn cpu_proxy_stats_show(buf: *mut c_char) -> isize {
    // SAFETY: a `show()` buffer, by the function's safety requirements.
    unsafe { show(buf, |w| stats::STATS.show(w)) }
}
c_export!(cpu_proxy_stats_show);

/// Formats each parked CPU and its proxy into `buf` for the `proxy_map`
/// file, a line each: a snapshot, as any sysfs read of changing state. A
/// page holds at least some 400 lines: past that, the list ends at the
/// last whole line that fits.
///
/// # Safety
///
/// As [`cpu_proxy_stats_show`].
#[no_mangle]
unsafe extern "C" fn cpu_proxy_proxy_map_show(buf: *mut c_char) -> isize {
    // SAFETY: `__cpu_parked_mask` is static, written only with atomic bit
    // operations (`cpu_proxy_set_parked()`), and not written here.
    let parked = unsafe { SharedCpumask::from_raw(addr_of_mut!(bindings::__cpu_parked_mask)) };
    let lines = |w: &mut stats::SliceWriter<'_>| -> fmt::Result {
        for cpu in parked.iter() {
            let whole = w.len();
            if writeln!(w, "{} {}", cpu.as_u32(), CpuState::of(cpu).proxy()).is_err() {
                w.truncate(whole);
                break;
            }
        }
        Ok(())
    };
    // SAFETY: a `show()` buffer, by the function's safety requirements.
    unsafe { show(buf, lines) }
}
c_export!(cpu_proxy_proxy_map_show);

/// Handles a write to the `park` (`park == true`) or `unpark` file.
///
/// Returns `len` or a negative errno; see `include/linux/cpu_proxy.h`.
///
/// # Safety
///
/// `buf` must be valid for reads of `len` bytes.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_park_write(buf: *const c_char, len: usize, park: bool) -> isize {
    // SAFETY: `buf` is valid for reads of `len` bytes, by the function's
    // safety requirements.
    let input = unsafe { input(buf, len) };
    match park::write(input, park) {
        Ok(()) => len as isize,
        Err(e) => e.to_errno() as isize,
    }
}
c_export!(cpu_proxy_park_write);

/// Handles a write to the `offline` (`up == false`) or `online` file.
///
/// Returns `len` or a negative errno; see `include/linux/cpu_proxy.h`.
///
/// # Safety
///
/// `buf` must be valid for reads of `len` bytes.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_hotplug_write(buf: *const c_char, len: usize, up: bool) -> isize {
    // SAFETY: `buf` is valid for reads of `len` bytes, by the function's
    // safety requirements.
    let input = unsafe { input(buf, len) };
    match park::hotplug_write(input, up) {
        Ok(()) => len as isize,
        Err(e) => e.to_errno() as isize,
    }
}
c_export!(cpu_proxy_hotplug_write);

// The reasons a parked CPU wakes are bits C sets and Rust counts.
const _: () = {
    assert!(stats::why::CALL == bindings::CPU_PROXY_WHY_CALL);
    assert!(stats::why::TASK == bindings::CPU_PROXY_WHY_TASK);
    assert!(stats::why::SOFTIRQ == bindings::CPU_PROXY_WHY_SOFTIRQ);
    assert!(stats::why::HW == bindings::CPU_PROXY_WHY_HW);
    assert!(stats::why::OTHER == bindings::CPU_PROXY_WHY_OTHER);
};

/// Unparks every parked CPU; see `include/linux/cpu_proxy.h`.
///
/// # Safety
///
/// The caller holds `cpu_maps_update_begin()`.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_unpark_all_locked() {
    // SAFETY: the caller holds the lock, by the function's safety
    // requirements.
    unsafe { park::unpark_all_locked() };
}
c_export!(cpu_proxy_unpark_all_locked);

/// Re-proxies the CPUs that `cpu`, going down, stands in for.
///
/// Returns 0 or a negative errno.
///
/// # Safety
///
/// Called by the CPU hotplug machinery while `cpu` goes down, with
/// `cpu_maps_update_begin()` held by the caller of `cpu_down()`.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_cpu_down(cpu: ffi::c_uint) -> c_int {
    let _ = cpu;
    // SAFETY: the offliner holds the lock, by the function's safety
    // requirements; `cpu` is no longer active.
    match unsafe { park::reproxy() } {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
c_export!(cpu_proxy_cpu_down);
