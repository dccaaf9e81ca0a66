// SPDX-License-Identifier: GPL-2.0

//! Per-CPU variables that C defines (`DEFINE_PER_CPU()`).
//!
//! A per-CPU variable's symbol is the address of its template; each CPU's
//! copy is at that address plus the CPU's offset, which `per_cpu_ptr()`
//! adds (through a helper). Whether a copy may be touched, and how, is the
//! variable's business: this only finds it. The symbol itself (bindgen
//! declares it as an `extern static` of type `T`) is the template, below
//! any CPU's copy: it is never read or written, only its address taken.

use super::cpu::CpuId;
use kernel::bindings;

/// A per-CPU variable of type `T`.
///
/// # Invariants
///
/// `base` is the address of a variable defined with `DEFINE_PER_CPU()`
/// (in the `.data..percpu` section), of type `T`.
pub(crate) struct PerCpu<T> {
    base: *mut T,
}

impl<T> PerCpu<T> {
    /// The per-CPU variable whose symbol is at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the address of a variable of type `T` defined with
    /// `DEFINE_PER_CPU()` (for example `addr_of_mut!` of its bindgen
    /// `extern static`), not a CPU's copy of it.
    pub(crate) const unsafe fn new(base: *mut T) -> Self {
        // INVARIANT: by the function's safety requirements.
        Self { base }
    }

    /// `per_cpu_ptr()`: `cpu`'s copy. It is valid for as long as the
    /// kernel runs; who may access it, and how, is up to the variable.
    pub(crate) fn ptr(&self, cpu: CpuId) -> *mut T {
        // SAFETY: `base` is a per-CPU variable, by the type's invariants,
        // and `cpu` a possible CPU (`CpuId`'s invariants), so it has a copy.
        unsafe { bindings::cpu_proxy_per_cpu_ptr(self.base.cast(), cpu.as_u32()).cast() }
    }
}
