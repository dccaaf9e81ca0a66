// SPDX-License-Identifier: GPL-2.0

//! A safe view of a C `struct cpumask`.
//!
//! 6.12 has no cpumask abstraction; this is the one place in the crate that
//! touches the bits of a `struct cpumask` directly. Only the operations the
//! crate needs are provided.

use crate::{cpulist::Bits, sys::cpu::CpuId};
use kernel::{alloc::KBox, bindings, prelude::*};

const BITS_PER_LONG: u32 = usize::BITS;

/// The number of possible CPU ids, `nr_cpu_ids`.
pub(crate) fn nr_cpu_ids() -> u32 {
    // SAFETY: `nr_cpu_ids` is written once, by `setup_nr_cpu_ids()` during
    // early boot, before any initcall runs; afterwards it is only read.
    unsafe { bindings::nr_cpu_ids }
}

/// An exclusive borrow of a `struct cpumask` that C code owns.
pub(crate) struct CpumaskMut<'a> {
    mask: &'a mut bindings::cpumask,
    nbits: u32,
}

impl<'a> CpumaskMut<'a> {
    /// Borrows the mask at `ptr`, sized for `nr_cpu_ids` bits.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct cpumask` of at least
    /// `cpumask_size()` bytes that nothing else reads or writes for `'a`.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::cpumask) -> Self {
        Self {
            // SAFETY: valid and exclusive for `'a`, by the function's
            // safety requirements.
            mask: unsafe { &mut *ptr },
            nbits: nr_cpu_ids(),
        }
    }

    fn words(&mut self) -> &mut [usize] {
        // Never touch words past `nbits`: an off-stack cpumask is only
        // `cpumask_size()` long, which may be shorter than `NR_CPUS` bits.
        let n = self.nbits.div_ceil(BITS_PER_LONG) as usize;
        let bits = &mut self.mask.bits;
        let n = n.min(bits.len());
        &mut bits[..n]
    }
}

impl Bits for CpumaskMut<'_> {
    fn nbits(&self) -> u32 {
        self.nbits
    }

    fn clear_all(&mut self) {
        self.words().fill(0);
    }

    fn set(&mut self, bit: u32) {
        let word = (bit / BITS_PER_LONG) as usize;
        if let Some(w) = self.words().get_mut(word) {
            *w |= 1usize << (bit % BITS_PER_LONG);
        }
    }
}

/// A `struct cpumask` of this crate's own, on the heap (a cpumask can be
/// `NR_CPUS` bits, too large for the stack in general).
pub(crate) struct Cpumask(KBox<bindings::cpumask>);

impl Cpumask {
    /// An empty mask.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: `struct cpumask` is an array of integers; all zeroes is
        // the empty mask.
        let zero: bindings::cpumask = unsafe { core::mem::zeroed() };
        Ok(Self(KBox::new(zero, GFP_KERNEL)?))
    }

    /// A copy of a mask that C owns, such as `cpu_online_mask`.
    ///
    /// # Safety
    ///
    /// `src` must be valid, and the caller must hold whatever lock keeps
    /// it from being written during the copy.
    pub(crate) unsafe fn copy_of(src: *const bindings::cpumask) -> Result<Self> {
        let mut m = Self::new()?;
        // SAFETY: `src` is valid and not written concurrently, by the
        // function's safety requirements; the destination is ours.
        unsafe { core::ptr::copy_nonoverlapping(src, &mut *m.0, 1) };
        Ok(m)
    }

    /// The mask, for C functions that read it.
    pub(crate) fn as_ptr(&self) -> *const bindings::cpumask {
        &*self.0
    }

    /// The mask's words.
    pub(crate) fn words(&self) -> &[usize] {
        &self.0.bits
    }

    /// The CPUs in the mask, in ascending order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = CpuId> + '_ {
        self.words()
            .iter()
            .enumerate()
            .flat_map(|(w, &bits)| {
                (0..BITS_PER_LONG)
                    .filter(move |b| bits >> b & 1 != 0)
                    .map(move |b| w as u32 * BITS_PER_LONG + b)
            })
            .map_while(CpuId::from_u32)
    }

    /// The mask's words, for writing.
    pub(crate) fn words_mut(&mut self) -> &mut [usize] {
        &mut self.0.bits
    }

    /// The mask as a parser target, sized for `nr_cpu_ids` bits.
    pub(crate) fn as_bits(&mut self) -> CpumaskMut<'_> {
        CpumaskMut {
            nbits: nr_cpu_ids(),
            mask: &mut self.0,
        }
    }
}
