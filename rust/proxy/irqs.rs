// SPDX-License-Identifier: GPL-2.0

//! Device interrupts of parked CPUs: moved off as CPUs park ([`park`]),
//! given back as they unpark ([`unpark`]).
//!
//! A parked CPU should take no device interrupt: one would wake it. Every
//! requested, movable (not per-CPU, not managed) interrupt that targets a
//! CPU being parked gets the active, unparked part of its affinity, or all
//! active unparked CPUs if that part is empty, and its affinity is
//! remembered. An interrupt the chip refuses to move stays, and is served
//! by its CPU (counted as a wakeup). As the CPU unparks, each interrupt
//! gets its affinity back, unless it was set again meanwhile (through
//! `/proc/irq`, by its driver, or because the interrupt was freed and its
//! number reused): that later choice stands.
//!
//! The C side (`kernel/cpu_proxy_glue.c`) walks the interrupts under the
//! sparse interrupt lock and reads each one's state under its lock; what
//! moves, where, and what is given back is decided here.
//!
//! Context: process context, the park lock held ([`MapsGuard`]).

use crate::{
    cpumask::Cpumask,
    hotplug::MapsGuard,
    sys::{cpu::CpuId, warn_once},
};
use core::{
    cell::{Cell, UnsafeCell},
    ptr::addr_of,
};
use kernel::{alloc::KVec, bindings, prelude::*};

/// An interrupt moved off a parked CPU.
struct Moved {
    irq: u32,
    /// The parked CPU it targeted.
    cpu: u32,
    /// Its affinity before.
    saved: Cpumask,
    /// The affinity parking gave it.
    moved: Cpumask,
    /// Moved by the park under way, which undoes it if it fails.
    fresh: bool,
}

impl Moved {
    fn new() -> Result<Self> {
        Ok(Self {
            irq: 0,
            cpu: 0,
            saved: Cpumask::new()?,
            moved: Cpumask::new()?,
            fresh: false,
        })
    }
}

/// The interrupts moved off parked CPUs; a slot is `None` once given
/// back, and used again by a later park, so that giving back needs no
/// memory.
///
/// # Invariants
///
/// `list` is accessed only under the park lock (`MapsGuard`), through
/// [`MovedIrqs::with`], which does not nest (`busy`).
struct MovedIrqs {
    list: UnsafeCell<KVec<Option<Moved>>>,
    busy: Cell<bool>,
}

// SAFETY: only accessed under the park lock (`MapsGuard`), by the type's
// invariants: never by two threads at once.
unsafe impl Sync for MovedIrqs {}

impl MovedIrqs {
    /// Run `f` on the list, under the lock `_guard` holds. A nested call
    /// (a bug) warns and runs nothing.
    fn with<R>(
        &self,
        _guard: &MapsGuard,
        f: impl FnOnce(&mut KVec<Option<Moved>>) -> R,
    ) -> Option<R> {
        if self.busy.replace(true) {
            warn_once!("cpu-proxy: the moved interrupts' list is in use\n");
            return None;
        }
        // SAFETY: the lock is held (`_guard`), so no other thread is here,
        // and `busy` says no other reference of this thread is live.
        let r = f(unsafe { &mut *self.list.get() });
        self.busy.set(false);
        Some(r)
    }
}

static MOVED: MovedIrqs = MovedIrqs {
    list: UnsafeCell::new(KVec::new()),
    busy: Cell::new(false),
};

/// Walks the interrupts in use under the sparse interrupt lock.
struct SparseLock;

impl SparseLock {
    fn lock() -> Self {
        // SAFETY: process context; released on drop.
        unsafe { bindings::cpu_proxy_irqs_lock() };
        Self
    }

    /// The interrupt numbers in use, ascending (`for_each_active_irq()`).
    fn irqs(&self) -> impl Iterator<Item = u32> + '_ {
        // SAFETY: `nr_irqs` is fixed once interrupts are set up, at boot.
        let nr = u32::try_from(unsafe { bindings::nr_irqs }).unwrap_or(0);
        // SAFETY: reads the sparse interrupt tree, whose lock is held.
        let mut next = unsafe { bindings::irq_get_next_irq(0) };
        core::iter::from_fn(move || {
            if next >= nr {
                return None;
            }
            let irq = next;
            // SAFETY: as above.
            next = unsafe { bindings::irq_get_next_irq(irq + 1) };
            Some(irq)
        })
    }
}

impl Drop for SparseLock {
    fn drop(&mut self) {
        // SAFETY: taken in `lock()`.
        unsafe { bindings::cpu_proxy_irqs_unlock() };
    }
}

/// `irq_set_affinity()`; true if it moved.
fn set_affinity(irq: u32, mask: &Cpumask) -> bool {
    // SAFETY: process context; `mask` is valid.
    unsafe { bindings::irq_set_affinity(irq, mask.as_ptr()) == 0 }
}

/// A free slot of `list`, made if need be.
fn free_slot(list: &mut KVec<Option<Moved>>) -> Result<usize> {
    if let Some(i) = list.iter().position(Option::is_none) {
        return Ok(i);
    }
    list.push(None, GFP_KERNEL)?;
    Ok(list.len() - 1)
}

/// Move what targets CPUs of `set` off them, recording each in `list`
/// (`fresh`) before it moves: once moved, it must be recorded, or it
/// would never be given back.
fn move_off(
    walk: &SparseLock,
    list: &mut KVec<Option<Moved>>,
    set: &Cpumask,
    parked: &Cpumask,
    active: &Cpumask,
) -> Result {
    let mut m = Moved::new()?;

    for irq in walk.irqs() {
        // SAFETY: the sparse lock is held (`walk`); both masks are valid.
        let cpu =
            unsafe { bindings::cpu_proxy_irq_target(irq, set.as_ptr(), m.saved.as_mut_ptr()) };
        let Some(cpu) = CpuId::from_i32(cpu) else {
            continue;
        };
        let slot = free_slot(list)?;
        let next = Moved::new()?;
        m.moved.assign_and_not(&m.saved, parked);
        m.moved.and_assign(active);
        if m.moved.is_empty() {
            m.moved.assign_and_not(active, parked);
        }
        if !set_affinity(irq, &m.moved) {
            continue;
        }
        m.irq = irq;
        m.cpu = cpu.as_u32();
        m.fresh = true;
        list[slot] = Some(core::mem::replace(&mut m, next));
    }
    Ok(())
}

/// Move the device interrupts that target CPUs of `set` (already in
/// `cpu_parked_mask`) off them: one walk over the interrupts for the whole
/// set, as the hotplug core walks them. `ENOMEM`, with nothing moved, if
/// memory runs out.
pub(crate) fn park(guard: &MapsGuard, set: &Cpumask) -> Result {
    // SAFETY: the lock is held (`guard`), so neither mask changes.
    let (parked, active) = unsafe {
        (
            Cpumask::copy_of(addr_of!(bindings::__cpu_parked_mask))?,
            Cpumask::copy_of(addr_of!(bindings::__cpu_active_mask))?,
        )
    };
    let walk = SparseLock::lock();
    let done = MOVED.with(guard, |list| {
        let result = move_off(&walk, list, set, &parked, &active);
        for slot in list.iter_mut() {
            let Some(m) = slot.as_mut().filter(|m| m.fresh) else {
                continue;
            };
            m.fresh = false;
            if result.is_err() {
                set_affinity(m.irq, &m.saved);
                *slot = None;
            }
        }
        result
    });
    done.unwrap_or(Err(EBUSY))
}

/// Give back the interrupts [`park`] moved off CPUs of `set`, now active
/// again and out of `cpu_parked_mask`, unless set again meanwhile.
pub(crate) fn unpark(guard: &MapsGuard, set: &Cpumask) {
    let _walk = SparseLock::lock();
    MOVED.with(guard, |list| {
        for slot in list.iter_mut() {
            let Some(m) = slot.as_ref() else {
                continue;
            };
            if !set.test(m.cpu) {
                continue;
            }
            // SAFETY: the sparse lock is held; the mask is valid.
            if unsafe { bindings::cpu_proxy_irq_has_affinity(m.irq, m.moved.as_ptr()) } {
                set_affinity(m.irq, &m.saved);
            }
            *slot = None;
        }
    });
}
