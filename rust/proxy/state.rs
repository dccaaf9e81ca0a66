// SPDX-License-Identifier: GPL-2.0

//! A CPU's state in the mechanism (`struct cpu_proxy_cpu`, declared in
//! `kernel/cpu_proxy_rust.h`, one per possible CPU in `cpu_proxy_cpus`),
//! and who runs its context (`cpu_proxy_owner`): one view of them for
//! every part of the crate, with each field reached the one way C and
//! Rust both reach it.
//!
//! | field                              | access                                  |
//! |------------------------------------|-----------------------------------------|
//! | `work`, `resched`, `why`, `moved`  | the kernel's atomics ([`Atomic`])        |
//! | `installed`, `waking`, `rearm`, `halting` | `READ_ONCE()`/`WRITE_ONCE()`, acquire/release ([`Flag`]) |
//! | `proxy`, `next_event`              | `READ_ONCE()`/`WRITE_ONCE()`            |
//! | `timer`, `retry`, `kick`           | the hrtimer and irq_work cores'         |
//! | `native`, `no_softirq`, `softirqs_left`, `bh_since` | plain, by the owner of the CPU's context only ([`Owned`]) |
//! | `unwatched`                        | plain, under `cpu_proxy_lock()` only (`loop_ctl.rs`) |
//!
//! `cpu`, `evt` and the callbacks are set once, at boot; `hw`, `leaving`,
//! `saved_evt` and `deferred` are C's alone.

use crate::{
    protocol::{self, Take},
    sys::{
        atomic::{self, Atomic, Flag, Kernel, Relaxed},
        cpu::CpuId,
        hrtimer::HrTimer,
        irq_work::IrqWork,
        percpu::PerCpu,
        warn_once,
    },
};
use core::ptr::addr_of_mut;
use kernel::bindings;

/// The mechanism's state of every CPU (`cpu_proxy_cpus`).
fn cpus() -> PerCpu<bindings::cpu_proxy_cpu> {
    // SAFETY: `cpu_proxy_cpus` is defined with `DEFINE_PER_CPU()` in
    // `kernel/cpu_proxy_proxy.c`; only its address is taken.
    unsafe { PerCpu::new(addr_of_mut!(bindings::cpu_proxy_cpus)) }
}

/// Who runs each CPU's context (`cpu_proxy_owner`).
fn owners() -> PerCpu<bindings::atomic_t> {
    // SAFETY: `cpu_proxy_owner` is defined with `DEFINE_PER_CPU()` in
    // `kernel/cpu_proxy_proxy.c`; only its address is taken.
    unsafe { PerCpu::new(addr_of_mut!(bindings::cpu_proxy_owner)) }
}

// The owner's states are C's `enum cpu_proxy_owner`; "no proxy" is -1.
const _: () = {
    assert!(protocol::NATIVE == bindings::cpu_proxy_owner_CPU_PROXY_NATIVE as i32);
    assert!(protocol::HALTED == bindings::cpu_proxy_owner_CPU_PROXY_HALTED as i32);
    assert!(protocol::PROXY == bindings::cpu_proxy_owner_CPU_PROXY_PROXY as i32);
    assert!(protocol::STOPPED == bindings::cpu_proxy_owner_CPU_PROXY_STOPPED as i32);
    assert!(protocol::STOPPED_NMI == bindings::cpu_proxy_owner_CPU_PROXY_STOPPED_NMI as i32);
    assert!(protocol::NO_PROXY == -1);
};

/// Who runs `cpu`'s context.
pub(crate) fn owner_of(cpu: CpuId) -> &'static Atomic {
    // SAFETY: a per-CPU `atomic_t` lives as long as the kernel, and is only
    // accessed atomically.
    unsafe { Atomic::from_ptr(owners().ptr(cpu)) }
}

/// One CPU's state.
///
/// # Invariants
///
/// `pc` is `cpu`'s copy of `cpu_proxy_cpus`, initialised at boot
/// (`cpu_proxy_init()`, a core initcall, before any CPU can park) and
/// never freed. Every field shared between CPUs is accessed, by C and by
/// Rust, as the module documentation's table says.
#[derive(Clone, Copy)]
pub(crate) struct CpuState {
    cpu: CpuId,
    pc: *mut bindings::cpu_proxy_cpu,
}

impl CpuState {
    /// `cpu`'s state.
    pub(crate) fn of(cpu: CpuId) -> Self {
        // INVARIANT: `cpus()` is `cpu_proxy_cpus`, and `cpu` a possible CPU.
        Self {
            cpu,
            pc: cpus().ptr(cpu),
        }
    }

    /// The state `pc` points to, as C hands it over; `None` (with a
    /// warning) if its `cpu` field names no possible CPU.
    ///
    /// # Safety
    ///
    /// `pc` must be a CPU's copy of `cpu_proxy_cpus`.
    pub(crate) unsafe fn from_raw(pc: *mut bindings::cpu_proxy_cpu) -> Option<Self> {
        // SAFETY: `pc` is valid, by the function's safety requirements, and
        // its `cpu` field is written once, at boot.
        let cpu = unsafe { (*pc).cpu };
        let Some(cpu) = CpuId::from_u32(cpu) else {
            warn_once!("cpu-proxy state for CPU{}, not a possible CPU\n", cpu);
            return None;
        };
        // INVARIANT: `pc` is `cpu`'s copy, by the function's safety
        // requirements.
        Some(Self { cpu, pc })
    }

    pub(crate) fn cpu(&self) -> CpuId {
        self.cpu
    }

    /// The C structure, for C functions that take it.
    pub(crate) fn as_ptr(&self) -> *mut bindings::cpu_proxy_cpu {
        self.pc
    }

    /// Who runs the CPU's context (`cpu_proxy_owner`).
    pub(crate) fn owner(&self) -> &'static Atomic {
        owner_of(self.cpu)
    }

    /// Calls were queued for the CPU.
    pub(crate) fn work(&self) -> &'static Atomic {
        // SAFETY: `pc` is valid and `work` only accessed atomically, by
        // the type's invariants.
        unsafe { Atomic::from_ptr(addr_of_mut!((*self.pc).work)) }
    }

    /// A reschedule kick was redirected.
    pub(crate) fn resched(&self) -> &'static Atomic {
        // SAFETY: as in `work()`.
        unsafe { Atomic::from_ptr(addr_of_mut!((*self.pc).resched)) }
    }

    /// `CPU_PROXY_WHY_*`: why the CPU was woken.
    pub(crate) fn why(&self) -> &'static Atomic {
        // SAFETY: as in `work()`.
        unsafe { Atomic::from_ptr(addr_of_mut!((*self.pc).why)) }
    }

    /// The proxy changed: its timer must be armed where it is now.
    pub(crate) fn moved(&self) -> &'static Atomic {
        // SAFETY: as in `work()`.
        unsafe { Atomic::from_ptr(addr_of_mut!((*self.pc).moved)) }
    }

    /// In its park loop, its tick device handed over.
    pub(crate) fn installed(&self) -> &'static Flag {
        // SAFETY: `pc` is valid and `installed` accessed as a `Flag`, by
        // the type's invariants.
        unsafe { Flag::from_ptr(addr_of_mut!((*self.pc).installed)) }
    }

    /// A parker is sending the CPU an interrupt (`loop_ctl.rs`).
    pub(crate) fn waking(&self) -> &'static Flag {
        // SAFETY: as in `installed()`.
        unsafe { Flag::from_ptr(addr_of_mut!((*self.pc).waking)) }
    }

    /// The CPU programmed its stand-in tick device; the proxy's timer does
    /// not follow it yet.
    pub(crate) fn rearm(&self) -> &'static Flag {
        // SAFETY: as in `installed()`.
        unsafe { Flag::from_ptr(addr_of_mut!((*self.pc).rearm)) }
    }

    /// Set before the CPU's last look at its work, until its hlt returns.
    pub(crate) fn halting(&self) -> &'static Flag {
        // SAFETY: as in `installed()`.
        unsafe { Flag::from_ptr(addr_of_mut!((*self.pc).halting)) }
    }

    /// The CPU's proxy, or -1 (`READ_ONCE()`).
    pub(crate) fn proxy(&self) -> i32 {
        // SAFETY: `pc` is valid and `proxy` written with `WRITE_ONCE()`, by
        // the type's invariants.
        unsafe { atomic::read_once(addr_of_mut!((*self.pc).proxy)) }
    }

    /// Whether this CPU (`smp_processor_id()`) is the CPU's proxy.
    pub(crate) fn proxied_here(&self) -> bool {
        // SAFETY: reads this CPU's id; the caller cannot migrate (a
        // `smp_processor_id()` that says so on a debug kernel).
        self.proxy() == unsafe { bindings::cpu_proxy_smp_processor_id() }
    }

    /// Set the CPU's proxy (`WRITE_ONCE()`).
    ///
    /// # Safety
    ///
    /// The caller holds `cpu_proxy_lock()`, which serialises every writer.
    pub(crate) unsafe fn set_proxy(&self, proxy: i32) {
        // SAFETY: `pc` is valid; `proxy` is written only under the lock,
        // which the caller holds, with `WRITE_ONCE()`.
        unsafe { atomic::write_once(addr_of_mut!((*self.pc).proxy), proxy) }
    }

    /// What the CPU programmed into its stand-in tick device, in
    /// monotonic nanoseconds (`KTIME_MAX`: nothing).
    pub(crate) fn next_event(&self) -> i64 {
        // SAFETY: `pc` is valid and `next_event` accessed with
        // `READ_ONCE()`/`WRITE_ONCE()`, by the type's invariants.
        unsafe { bindings::cpu_proxy_read_once_s64(addr_of_mut!((*self.pc).next_event)) }
    }

    pub(crate) fn set_next_event(&self, t: i64) {
        // SAFETY: as in `next_event()`.
        unsafe { bindings::cpu_proxy_write_once_s64(addr_of_mut!((*self.pc).next_event), t) }
    }

    /// On the proxy: the CPU's next expiry.
    pub(crate) fn timer(&self) -> &'static HrTimer {
        // SAFETY: `cpu_proxy_init()` initialised it, with its callback.
        unsafe { HrTimer::from_ptr(addr_of_mut!((*self.pc).timer)) }
    }

    /// On the proxy: look again a little later.
    pub(crate) fn retry(&self) -> &'static HrTimer {
        // SAFETY: as in `timer()`.
        unsafe { HrTimer::from_ptr(addr_of_mut!((*self.pc).retry)) }
    }

    /// Queue a pass for the CPU on its proxy (its `kick` irq_work). With
    /// no proxy (a park rolled back or an unpark, with the CPU on its way
    /// out of its loop), the CPU itself gets the interrupt: nothing sent
    /// to it is left without one.
    pub(crate) fn kick(&self) {
        let proxy = self.proxy();
        if let Some(proxy) = CpuId::from_i32(proxy) {
            // SAFETY: `cpu_proxy_init()` initialised `kick`, which lives as
            // long as `pc`.
            let kick = unsafe { IrqWork::from_ptr(addr_of_mut!((*self.pc).kick)) };
            kick.queue_on(proxy);
            return;
        }
        if proxy != protocol::NO_PROXY {
            warn_once!(
                "CPU{} has proxy {}, not a possible CPU\n",
                self.cpu.as_u32(),
                proxy
            );
        }
        // SAFETY: an IPI to a possible CPU, which takes any context.
        unsafe { bindings::arch_cpu_proxy_wake(self.cpu.as_u32()) }
    }

    /// Take the CPU's context for a pass on this CPU
    /// ([`protocol::take`]: `HALTED` to `PROXY`, with acquire ordering, so
    /// that what the CPU, or the last proxy, wrote before it gave the
    /// context up is seen). Otherwise says whether the CPU is on its way
    /// to halt.
    pub(crate) fn take(&self) -> Result<Owned<'_>, Take> {
        match protocol::take::<Kernel>(self.owner(), || self.halting().load(Relaxed)) {
            // INVARIANT: this CPU took the context, from HALTED, just now.
            Take::Taken => Ok(Owned { s: self }),
            other => Err(other),
        }
    }
}

/// The CPU's context, taken by this proxy for a pass ([`CpuState::take`]).
///
/// Given back ([`protocol::give_back`]: `PROXY` to `HALTED`, release, so
/// that what the pass wrote is seen by the next owner, then a full
/// barrier, so that nothing after it is read before) when dropped, on
/// every path: a context left at `PROXY` would keep the CPU's next
/// interrupt waiting, interrupts off, for ever. The barrier pairs with
/// [`protocol::redirect`]'s and with `set_proxy()` (`loop_ctl.rs`): a
/// sender, or a new proxy, that still saw `PROXY` left its work to the
/// look the caller makes next. (`smp_mb__after_atomic()` would not do:
/// the store is no RMW.)
///
/// # Invariants
///
/// The CPU's owner is `PROXY`, set by this CPU, which keeps it until the
/// `Owned` is dropped: no one else touches the fields only an owner may
/// (`native`, `no_softirq`, `softirqs_left`, `bh_since`) meanwhile. Not
/// `Send`: it is given back on the CPU that took it, with interrupts off
/// throughout.
#[must_use = "dropping it gives the context back at once"]
pub(crate) struct Owned<'a> {
    s: &'a CpuState,
}

impl Owned<'_> {
    /// Run one pass for the CPU on this CPU's hardware, as the CPU
    /// (`cpu_proxy_run_pass()`).
    pub(crate) fn run_pass(&self) {
        // SAFETY: this CPU owns the CPU's context, by the type's
        // invariants, with interrupts off.
        unsafe { bindings::cpu_proxy_run_pass(self.s.pc) };
    }

    /// Take the flag a pass sets when it left work only the CPU may run.
    pub(crate) fn take_native(&self) -> bool {
        // SAFETY: `pc` is valid, and only the owner touches `native`, by
        // the type's invariants.
        unsafe { core::mem::replace(&mut (*self.s.pc).native, false) }
    }

    /// Whether the last pass left the CPU's softirqs pending.
    pub(crate) fn softirqs_left(&self) -> bool {
        // SAFETY: as in `take_native()`.
        unsafe { (*self.s.pc).softirqs_left }
    }

    /// Whether the next pass must leave the CPU's softirqs pending.
    pub(crate) fn set_no_softirq(&self, v: bool) {
        // SAFETY: as in `take_native()`.
        unsafe { (*self.s.pc).no_softirq = v };
    }

    /// Since when passes left the CPU's softirqs pending (0: they did not).
    pub(crate) fn bh_since(&self) -> u64 {
        // SAFETY: as in `take_native()`.
        unsafe { (*self.s.pc).bh_since }
    }

    pub(crate) fn set_bh_since(&self, t: u64) {
        // SAFETY: as in `take_native()`.
        unsafe { (*self.s.pc).bh_since = t };
    }

    /// Give the context back now: see the type's documentation.
    pub(crate) fn give_back(self) {
        drop(self);
    }
}

impl Drop for Owned<'_> {
    fn drop(&mut self) {
        protocol::give_back::<Kernel>(self.s.owner());
    }
}
