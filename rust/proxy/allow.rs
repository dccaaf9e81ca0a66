// SPDX-License-Identifier: GPL-2.0

//! The allow-list: the cross-call functions a proxy may handle for a
//! parked CPU, and how.
//!
//! Built-in code names its functions with `CPU_PROXY_CALLS()` (see
//! `include/linux/cpu_proxy.h`), whose core initcall hands its table here
//! ([`cpu_proxy_allow_calls`]). A pass asks, for each call queued for the
//! parked CPU, what it may do with it ([`cpu_proxy_call_how`]): run it,
//! run it and acknowledge it early, or leave it for the CPU itself, which
//! is then woken. A function not listed is left: the list allows, it never
//! forbids. See `Documentation/core-api/cpu-proxy.rst`, "The allow-list".
//!
//! Tables are added during boot, before any CPU can be parked, and never
//! removed: they are static data of built-in code.

use crate::{export::c_export, sys::warn_once};
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use kernel::{bindings, ffi::c_uint};

/// How many tables the list holds; `CPU_PROXY_CALLS()` is used a dozen
/// times in the tree.
const MAX_TABLES: usize = 32;

/// The registered tables.
///
/// # Invariants
///
/// The first `n` entries of `tables` and `lens` are set, each a table of
/// `lens[i]` `struct cpu_proxy_call` in static storage, before `n` is
/// raised past them (a release, which the reader's acquire of `n` pairs
/// with). Entries are never changed once set.
struct Registry {
    tables: [AtomicPtr<bindings::cpu_proxy_call>; MAX_TABLES],
    lens: [AtomicUsize; MAX_TABLES],
    n: AtomicUsize,
}

static REGISTRY: Registry = Registry {
    tables: [const { AtomicPtr::new(core::ptr::null_mut()) }; MAX_TABLES],
    lens: [const { AtomicUsize::new(0) }; MAX_TABLES],
    n: AtomicUsize::new(0),
};

impl Registry {
    /// The calls of every table, in the order the tables were added.
    fn calls(&self) -> impl Iterator<Item = &'static bindings::cpu_proxy_call> + '_ {
        let n = self.n.load(Ordering::Acquire).min(MAX_TABLES);
        self.tables[..n]
            .iter()
            .zip(&self.lens[..n])
            .flat_map(|(t, len)| {
                let (t, len) = (t.load(Ordering::Relaxed), len.load(Ordering::Relaxed));
                if t.is_null() {
                    return <&[bindings::cpu_proxy_call]>::default().iter();
                }
                // SAFETY: entries below `n` are tables of `len` calls in
                // static storage, never changed, by the type's invariants,
                // and this one is not null.
                unsafe { core::slice::from_raw_parts(t, len) }.iter()
            })
    }
}

/// Puts `n` calls on the allow-list; see `include/linux/cpu_proxy.h`.
///
/// Boot only (initcalls run one at a time), before any CPU can park.
///
/// # Safety
///
/// `calls` must point to `n` `struct cpu_proxy_call` in static storage of
/// built-in code, never changed afterwards.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_allow_calls(calls: *const bindings::cpu_proxy_call, n: c_uint) {
    let r = &REGISTRY;
    let i = r.n.load(Ordering::Relaxed);
    if i >= MAX_TABLES {
        warn_once!("allow-list full: {} calls left off it\n", n);
        return;
    }
    r.tables[i].store(calls.cast_mut(), Ordering::Relaxed);
    r.lens[i].store(n as usize, Ordering::Relaxed);
    // INVARIANT: the entry is set before `n` covers it.
    r.n.store(i + 1, Ordering::Release);
}
c_export!(cpu_proxy_allow_calls);

/// What may a proxy do with a call of `func`: `CPU_PROXY_CALL_RUN` or
/// `CPU_PROXY_CALL_ACK` if it is on the allow-list,
/// `CPU_PROXY_CALL_NATIVE` (the parked CPU must run it) if not.
///
/// Context: any; in a pass, hard interrupt context.
#[no_mangle]
extern "C" fn cpu_proxy_call_how(func: bindings::cpu_proxy_func_t) -> bindings::cpu_proxy_call_how {
    let Some(func) = func else {
        return bindings::cpu_proxy_call_how_CPU_PROXY_CALL_NATIVE;
    };
    REGISTRY
        .calls()
        .find(|c| c.func.is_some_and(|f| f as usize == func as usize))
        .map_or(bindings::cpu_proxy_call_how_CPU_PROXY_CALL_NATIVE, |c| {
            c.how
        })
}
c_export!(cpu_proxy_call_how);
