// SPDX-License-Identifier: GPL-2.0

//! The kernel's atomic operations, with the kernel's memory model (LKMM),
//! on words that Rust shares with C.
//!
//! State that C's mechanism also touches is touched from Rust only through
//! C's own operations (`atomic_read()`, `atomic_xchg()`, `smp_mb()`, ...),
//! called through the helpers of `kernel/cpu_proxy_helpers.c`, never
//! through `core::sync::atomic`: the orderings are then the kernel's, as
//! `Documentation/atomic_t.txt` defines them, and a barrier that pairs
//! with one on the C side is the same barrier on both.
//!
//! The shape follows upstream's `kernel::sync::atomic::Atomic` of later
//! kernels: the ordering is a marker argument ([`Relaxed`], [`Release`],
//! [`Acquire`], [`Full`]), and only the combinations the kernel has exist.
//! The operations are those of `atomic_t`:
//!
//! | method                      | kernel                       |
//! |-----------------------------|------------------------------|
//! | `load(Relaxed)`             | `atomic_read()`              |
//! | `store(v, Relaxed)`         | `atomic_set()`               |
//! | `store(v, Release)`         | `atomic_set_release()`       |
//! | `xchg(v, Full)`             | `atomic_xchg()`              |
//! | `cmpxchg(o, n, Full)`       | `atomic_cmpxchg()`           |
//! | `cmpxchg(o, n, Acquire)`    | `atomic_cmpxchg_acquire()`   |
//! | `or(v, Relaxed)`            | `atomic_or()`                |
//! | [`smp_mb`], [`smp_wmb`]     | `smp_mb()`, `smp_wmb()`      |
//! | [`read_once`], [`write_once`] | `READ_ONCE()`, `WRITE_ONCE()` of an `int` |
//! | [`Flag`]                    | `READ_ONCE()`, `WRITE_ONCE()`, `smp_load_acquire()`, `smp_store_release()` of a `bool` |
//! | [`Int`]                     | the same, and `cmpxchg()`, of an `int` |
//! | [`smp_mb_before_atomic`], [`smp_mb_after_atomic`] | `smp_mb__before_atomic()`, `smp_mb__after_atomic()` |
//!
//! [`Kernel`] instantiates the ownership protocol ([`crate::protocol`])
//! with these operations; the host's loom model instantiates it with C11's.

use crate::protocol;
use kernel::{bindings, ffi::c_int, types::Opaque};

/// No ordering.
pub(crate) struct Relaxed;
/// A release: what came before is seen by an acquire that reads the value.
pub(crate) struct Release;
/// An acquire, if the operation succeeds.
pub(crate) struct Acquire;
/// Fully ordered, as `smp_mb()` before and after (if it succeeds, for a
/// cmpxchg).
pub(crate) struct Full;

/// A C `atomic_t` that C and Rust share.
///
/// # Invariants
///
/// Every access to the word, from C or Rust, is an atomic operation of the
/// kernel (`atomic_*()`, `READ_ONCE()`/`WRITE_ONCE()` of `counter`).
#[repr(transparent)]
pub(crate) struct Atomic(Opaque<bindings::atomic_t>);

impl Atomic {
    /// The `atomic_t` at `ptr`, for `'a`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an `atomic_t` that stays valid for `'a`, and
    /// that every other user accesses only with the kernel's atomic
    /// operations.
    pub(crate) unsafe fn from_ptr<'a>(ptr: *mut bindings::atomic_t) -> &'a Self {
        // SAFETY: `Atomic` is a transparent wrapper of an `atomic_t`, and the
        // word is valid for `'a`, by the function's safety requirements.
        unsafe { &*ptr.cast::<Self>() }
    }

    fn ptr(&self) -> *mut bindings::atomic_t {
        self.0.get()
    }

    /// `atomic_read()`.
    pub(crate) fn load(&self, _: Relaxed) -> i32 {
        // SAFETY: the word is valid for `&self`, by the type's invariants.
        unsafe { bindings::cpu_proxy_atomic_read(self.ptr()) }
    }

    /// `atomic_set()`.
    pub(crate) fn store(&self, v: i32, _: Relaxed) {
        // SAFETY: as in `load()`.
        unsafe { bindings::cpu_proxy_atomic_set(self.ptr(), v) }
    }

    /// `atomic_set_release()`.
    pub(crate) fn store_release(&self, v: i32, _: Release) {
        // SAFETY: as in `load()`.
        unsafe { bindings::cpu_proxy_atomic_set_release(self.ptr(), v) }
    }

    /// `atomic_xchg()`: returns the old value.
    pub(crate) fn xchg(&self, v: i32, _: Full) -> i32 {
        // SAFETY: as in `load()`.
        unsafe { bindings::cpu_proxy_atomic_xchg(self.ptr(), v) }
    }

    /// `atomic_cmpxchg()`: returns the value found, `old` if it succeeded.
    pub(crate) fn cmpxchg(&self, old: i32, new: i32, _: Full) -> i32 {
        // SAFETY: as in `load()`.
        unsafe { bindings::cpu_proxy_atomic_cmpxchg(self.ptr(), old, new) }
    }

    /// `atomic_cmpxchg_acquire()`: returns the value found, `old` if it
    /// succeeded.
    pub(crate) fn cmpxchg_acquire(&self, old: i32, new: i32, _: Acquire) -> i32 {
        // SAFETY: as in `load()`.
        unsafe { bindings::cpu_proxy_atomic_cmpxchg_acquire(self.ptr(), old, new) }
    }

    /// `atomic_or()`.
    pub(crate) fn or(&self, v: i32, _: Relaxed) {
        // SAFETY: as in `load()`.
        unsafe { bindings::cpu_proxy_atomic_or(v, self.ptr()) }
    }
}

/// `smp_mb()`.
pub(crate) fn smp_mb() {
    // SAFETY: a barrier; no memory is accessed.
    unsafe { bindings::cpu_proxy_smp_mb() }
}

/// `smp_wmb()`.
pub(crate) fn smp_wmb() {
    // SAFETY: a barrier; no memory is accessed.
    unsafe { bindings::cpu_proxy_smp_wmb() }
}

/// `smp_mb__before_atomic()`: orders what comes before against the
/// non-value-returning atomic (bit) operation that follows.
pub(crate) fn smp_mb_before_atomic() {
    // SAFETY: a barrier; no memory is accessed.
    unsafe { bindings::cpu_proxy_smp_mb__before_atomic() }
}

/// `smp_mb__after_atomic()`: orders the non-value-returning atomic (bit)
/// operation before it against what follows.
pub(crate) fn smp_mb_after_atomic() {
    // SAFETY: a barrier; no memory is accessed.
    unsafe { bindings::cpu_proxy_smp_mb__after_atomic() }
}

/// `cpu_relax()`.
pub(crate) fn cpu_relax() {
    // SAFETY: a pause hint; no memory is accessed.
    unsafe { bindings::cpu_proxy_cpu_relax() }
}

/// `READ_ONCE()` of the C `int` at `p`.
///
/// # Safety
///
/// `p` must point to a valid `int` that C writes only with `WRITE_ONCE()`
/// (or under a lock the caller holds).
pub(crate) unsafe fn read_once(p: *const c_int) -> i32 {
    // SAFETY: `p` is valid, by the function's safety requirements.
    unsafe { bindings::cpu_proxy_read_once_int(p) }
}

/// `WRITE_ONCE()` of `v` to the C `int` at `p`.
///
/// # Safety
///
/// `p` must point to a valid `int` that others read only with
/// `READ_ONCE()` and that no one else writes meanwhile.
pub(crate) unsafe fn write_once(p: *mut c_int, v: i32) {
    // SAFETY: `p` is valid, by the function's safety requirements.
    unsafe { bindings::cpu_proxy_write_once_int(p, v) }
}

/// A C `bool` that C and Rust share.
///
/// # Invariants
///
/// Every access to the `bool` while others may access it, from C or Rust,
/// is `READ_ONCE()`/`WRITE_ONCE()`, `smp_load_acquire()` or
/// `smp_store_release()`.
#[repr(transparent)]
pub(crate) struct Flag(Opaque<bool>);

impl Flag {
    /// The `bool` at `ptr`, for `'a`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a `bool` that stays valid for `'a`, and that
    /// every other user accesses as the type's invariants say.
    pub(crate) unsafe fn from_ptr<'a>(ptr: *mut bool) -> &'a Self {
        // SAFETY: `Flag` is a transparent wrapper of a `bool`, valid for
        // `'a` by the function's safety requirements.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// `READ_ONCE()`.
    pub(crate) fn load(&self, _: Relaxed) -> bool {
        // SAFETY: the flag is valid for `&self`, by the type's invariants.
        unsafe { bindings::cpu_proxy_read_once_bool(self.0.get()) }
    }

    /// `smp_load_acquire()`.
    pub(crate) fn load_acquire(&self, _: Acquire) -> bool {
        // SAFETY: as in `load()`.
        unsafe { bindings::cpu_proxy_load_acquire_bool(self.0.get()) }
    }

    /// `WRITE_ONCE()`.
    pub(crate) fn store(&self, v: bool, _: Relaxed) {
        // SAFETY: as in `load()`.
        unsafe { bindings::cpu_proxy_write_once_bool(self.0.get(), v) }
    }

    /// `smp_store_release()`.
    pub(crate) fn store_release(&self, v: bool, _: Release) {
        // SAFETY: as in `load()`.
        unsafe { bindings::cpu_proxy_store_release_bool(self.0.get(), v) }
    }
}

/// A C `int` that C and Rust share.
///
/// # Invariants
///
/// Every access to the `int` while others may access it, from C or Rust,
/// is `READ_ONCE()`/`WRITE_ONCE()`, `smp_load_acquire()`,
/// `smp_store_release()` or `cmpxchg()`.
#[repr(transparent)]
pub(crate) struct Int(Opaque<c_int>);

impl Int {
    /// The `int` at `ptr`, for `'a`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an `int` that stays valid for `'a`, and that
    /// every other user accesses as the type's invariants say.
    pub(crate) unsafe fn from_ptr<'a>(ptr: *mut c_int) -> &'a Self {
        // SAFETY: `Int` is a transparent wrapper of an `int`, valid for
        // `'a` by the function's safety requirements.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// `READ_ONCE()`.
    pub(crate) fn load(&self, _: Relaxed) -> i32 {
        // SAFETY: the `int` is valid for `&self`, by the type's invariants.
        unsafe { bindings::cpu_proxy_read_once_int(self.0.get()) }
    }

    /// `smp_load_acquire()`.
    pub(crate) fn load_acquire(&self, _: Acquire) -> i32 {
        // SAFETY: as in `load()`.
        unsafe { bindings::cpu_proxy_load_acquire_int(self.0.get()) }
    }

    /// `WRITE_ONCE()`.
    pub(crate) fn store(&self, v: i32, _: Relaxed) {
        // SAFETY: as in `load()`.
        unsafe { bindings::cpu_proxy_write_once_int(self.0.get(), v) }
    }

    /// `smp_store_release()`.
    pub(crate) fn store_release(&self, v: i32, _: Release) {
        // SAFETY: as in `load()`.
        unsafe { bindings::cpu_proxy_store_release_int(self.0.get(), v) }
    }

    /// `cmpxchg()`: fully ordered if it succeeds. Returns the old value.
    pub(crate) fn cmpxchg(&self, old: i32, new: i32, _: Full) -> i32 {
        // SAFETY: as in `load()`.
        unsafe { bindings::cpu_proxy_cmpxchg_int(self.0.get(), old, new) }
    }
}

/// The kernel's memory model, for the ownership protocol: its words are
/// C's `atomic_t`s, with the operations the protocol's module
/// documentation maps.
pub(crate) struct Kernel;

impl protocol::Word for Atomic {
    fn read(&self) -> i32 {
        self.load(Relaxed)
    }
    fn write(&self, v: i32) {
        self.store(v, Relaxed)
    }
    fn write_release(&self, v: i32) {
        self.store_release(v, Release)
    }
    fn cmpxchg_acquire(&self, old: i32, new: i32) -> i32 {
        Atomic::cmpxchg_acquire(self, old, new, Acquire)
    }
    fn cmpxchg(&self, old: i32, new: i32) -> i32 {
        Atomic::cmpxchg(self, old, new, Full)
    }
    fn xchg(&self, v: i32) -> i32 {
        Atomic::xchg(self, v, Full)
    }
}

impl protocol::Lkmm for Kernel {
    type Word = Atomic;
    fn mb() {
        smp_mb()
    }
    fn relax() {
        cpu_relax()
    }
}
