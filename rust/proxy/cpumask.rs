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

/// A `struct cpumask` that C owns and other CPUs may change meanwhile,
/// read and written with the kernel's bit operations (`cpumask_test_cpu()`,
/// the atomic `cpumask_set_cpu()` and `cpumask_clear_cpu()`,
/// `cpumask_next()`).
///
/// # Invariants
///
/// `mask` is valid for `'a`, and every write to it while others may read
/// it is an atomic bit operation.
#[derive(Clone, Copy)]
pub(crate) struct SharedCpumask<'a> {
    mask: *mut bindings::cpumask,
    _life: core::marker::PhantomData<&'a bindings::cpumask>,
}

impl SharedCpumask<'_> {
    /// The mask at `mask`.
    ///
    /// # Safety
    ///
    /// `mask` must be valid for `'a`; whoever else writes it must do so
    /// with atomic bit operations; and if the mask may not be written (a
    /// `const` one), the caller must not call [`Self::set`] or
    /// [`Self::clear`].
    pub(crate) unsafe fn from_raw(mask: *mut bindings::cpumask) -> Self {
        // INVARIANT: by the function's safety requirements.
        Self {
            mask,
            _life: core::marker::PhantomData,
        }
    }

    /// `cpumask_test_cpu()`.
    pub(crate) fn test(&self, cpu: CpuId) -> bool {
        // SAFETY: the mask is valid, by the type's invariants, and `cpu`
        // below `nr_cpu_ids` (`CpuId`'s).
        unsafe { bindings::cpu_proxy_cpumask_test_cpu(cpu.as_u32(), self.mask) }
    }

    /// `cpumask_set_cpu()`: atomic, unordered.
    pub(crate) fn set(&self, cpu: CpuId) {
        // SAFETY: as in `test()`; an atomic write, which the type's
        // invariants allow.
        unsafe { bindings::cpu_proxy_cpumask_set_cpu(cpu.as_u32(), self.mask) }
    }

    /// `cpumask_clear_cpu()`: atomic, unordered.
    pub(crate) fn clear(&self, cpu: CpuId) {
        // SAFETY: as in `set()`.
        unsafe { bindings::cpu_proxy_cpumask_clear_cpu(cpu.as_u32(), self.mask) }
    }

    /// The CPUs in the mask, in ascending order (`for_each_cpu()`): each
    /// bit is read as the iteration reaches it.
    pub(crate) fn iter(self) -> impl Iterator<Item = CpuId> {
        let mut n: i32 = -1;
        core::iter::from_fn(move || {
            // SAFETY: the mask is valid, by the type's invariants; `n` is
            // -1 or a CPU id found in it.
            let next = unsafe { bindings::cpu_proxy_cpumask_next(n, self.mask) };
            let cpu = CpuId::from_u32(next)?;
            n = cpu.as_i32();
            Some(cpu)
        })
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

    /// The mask, for C functions that write it.
    pub(crate) fn as_mut_ptr(&mut self) -> *mut bindings::cpumask {
        &mut *self.0
    }

    /// Whether `cpu` is in the mask (`cpumask_test_cpu()`).
    pub(crate) fn test(&self, cpu: u32) -> bool {
        let word = (cpu / BITS_PER_LONG) as usize;
        self.words()
            .get(word)
            .is_some_and(|w| w >> (cpu % BITS_PER_LONG) & 1 != 0)
    }

    /// Whether the mask is empty (`cpumask_empty()`).
    pub(crate) fn is_empty(&self) -> bool {
        self.words().iter().all(|&w| w == 0)
    }

    /// `a` and not `b` (`cpumask_andnot()`).
    pub(crate) fn assign_and_not(&mut self, a: &Cpumask, b: &Cpumask) {
        let words = self.words_mut().iter_mut();
        for ((d, &a), &b) in words.zip(a.words()).zip(b.words()) {
            *d = a & !b;
        }
    }

    /// This mask and `a` (`cpumask_and()`).
    pub(crate) fn and_assign(&mut self, a: &Cpumask) {
        for (d, &a) in self.words_mut().iter_mut().zip(a.words()) {
            *d &= a;
        }
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
