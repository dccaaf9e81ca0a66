// SPDX-License-Identifier: GPL-2.0

//! CPU ids.
//!
//! The shape follows upstream's `kernel::cpu::CpuId` of later kernels.

use crate::cpumask::nr_cpu_ids;
use kernel::{
    bindings,
    ffi::{c_int, c_uint},
};

/// A CPU id that is a possible CPU's.
///
/// # Invariants
///
/// The id is less than `nr_cpu_ids` and in `cpu_possible_mask` (which is
/// fixed at boot): the CPU has its per-CPU areas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CpuId(u32);

impl CpuId {
    /// `id`, if it is a possible CPU's.
    pub(crate) fn from_u32(id: u32) -> Option<Self> {
        // SAFETY: reads `cpu_possible_mask`, fixed at boot, for an id below
        // `nr_cpu_ids`.
        let possible = id < nr_cpu_ids() && unsafe { bindings::cpu_proxy_cpu_possible(id) };
        // INVARIANT: checked here.
        possible.then_some(Self(id))
    }

    /// `id`, if it is not negative and a possible CPU's (C's "no CPU" is
    /// -1).
    pub(crate) fn from_i32(id: c_int) -> Option<Self> {
        u32::try_from(id).ok().and_then(Self::from_u32)
    }

    /// This CPU (`smp_processor_id()`): the caller cannot migrate (a debug
    /// kernel checks).
    pub(crate) fn this() -> Self {
        // SAFETY: reads this CPU's id.
        let id = unsafe { bindings::cpu_proxy_smp_processor_id() };
        // INVARIANT: the CPU this runs on is possible.
        Self(id as u32)
    }

    /// The id as C's `unsigned int`.
    pub(crate) fn as_u32(self) -> c_uint {
        self.0
    }

    /// The id as C's `int`.
    pub(crate) fn as_i32(self) -> c_int {
        // `nr_cpu_ids` fits an `int`, by the type's invariants.
        self.0 as c_int
    }
}
