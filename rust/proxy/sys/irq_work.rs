// SPDX-License-Identifier: GPL-2.0

//! irq_work: a callback that runs in hard interrupt context on a chosen
//! CPU, queued from any context but NMI for another CPU.

use super::cpu::CpuId;
use kernel::{bindings, types::Opaque};

/// A C `struct irq_work`, initialised by C.
///
/// # Invariants
///
/// The work was initialised (`init_irq_work()`, `IRQ_WORK_INIT_HARD()`)
/// and stays valid while any `&IrqWork` to it exists.
#[repr(transparent)]
pub(crate) struct IrqWork(Opaque<bindings::irq_work>);

impl IrqWork {
    /// The `struct irq_work` at `ptr`, for `'a`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an initialised `struct irq_work` that stays
    /// valid for `'a`.
    pub(crate) unsafe fn from_ptr<'a>(ptr: *mut bindings::irq_work) -> &'a Self {
        // SAFETY: `IrqWork` is a transparent wrapper of a `struct
        // irq_work`, valid for `'a` by the function's safety requirements.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// `irq_work_queue_on()`: run the work on `cpu` (at once, on this
    /// CPU). Returns false if it was already queued and has not begun.
    /// Not from NMI context, for another CPU.
    pub(crate) fn queue_on(&self, cpu: CpuId) -> bool {
        // SAFETY: the work is initialised and valid, by the type's
        // invariants, and irq_work serialises its own queueing.
        unsafe { bindings::irq_work_queue_on(self.0.get(), cpu.as_i32()) }
    }
}
