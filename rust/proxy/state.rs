// SPDX-License-Identifier: GPL-2.0

//! A CPU's state in the mechanism (`struct cpu_proxy_cpu`, declared in
//! `kernel/cpu_proxy_rust.h`, one per possible CPU in `cpu_proxy_cpus`),
//! and who runs its context (`cpu_proxy_owner`): one view of them for
//! every part of the crate, with each field reached the one way C and
//! Rust both reach it.
//!
//! | field                              | access                                  |
//! |------------------------------------|-----------------------------------------|
//! | `work`, `resched`, `why`, `moved`, `halting` | the kernel's atomics ([`Atomic`]) |
//! | `installed`, `waking`, `rearm`, `leaving` | `READ_ONCE()`/`WRITE_ONCE()`, acquire/release ([`Flag`]) |
//! | `proxy`, `next_event`              | `READ_ONCE()`/`WRITE_ONCE()`            |
//! | `timer`, `retry`, `kick`           | the hrtimer and irq_work cores'         |
//! | `deferred`                         | the llist operations                    |
//! | `native`, `no_softirq`, `softirqs_left`, `bh_since` | plain, by the owner of the CPU's context only ([`Owner`]) |
//! | `saved_evt`                        | plain, by the CPU itself only ([`Native`]) |
//! | `unwatched`                        | plain, under the park lock (`MapsGuard`) only (`loop_ctl.rs`) |
//!
//! `cpu`, `evt` and the callbacks are set once, at boot
//! ([`cpu_proxy_init_cpus`]); `hw` is written with `WRITE_ONCE()` by the
//! proxy around a pass ([`Owned::run_pass`]) and read with `READ_ONCE()`
//! by C (`cpu_proxy_claim_slow()`). Beside the state, per CPU:
//! `cpu_proxy_owner` ([`CpuState::owner`]), `cpu_proxy_want_park`
//! ([`CpuState::want_park`]) and `cpu_proxy_early`
//! ([`CpuState::early`]).

use crate::{
    cpumask::nr_cpu_ids,
    export::c_export,
    protocol::{self, Take},
    sys::{
        atomic::{self, Atomic, Flag, Int, Kernel},
        cpu::CpuId,
        hrtimer::HrTimer,
        irq_work::IrqWork,
        percpu::PerCpu,
        warn_once,
    },
    test_hooks,
};
use core::{marker::PhantomData, ops::Deref, ptr::addr_of_mut};
use kernel::{bindings, ffi::c_ulong};

/// The mechanism's state of every CPU (`cpu_proxy_cpus`).
fn cpus() -> PerCpu<bindings::cpu_proxy_cpu> {
    // SAFETY: `cpu_proxy_cpus` is defined with `DEFINE_PER_CPU()` in
    // `kernel/cpu_proxy_proxy.c`; only its address is taken.
    unsafe { PerCpu::new(addr_of_mut!(bindings::cpu_proxy_cpus)) }
}

/// Which CPUs are told to park (`cpu_proxy_want_park`).
fn want_parks() -> PerCpu<bool> {
    // SAFETY: `cpu_proxy_want_park` is defined with `DEFINE_PER_CPU()` in
    // `kernel/cpu_proxy_proxy.c`; only its address is taken.
    unsafe { PerCpu::new(addr_of_mut!(bindings::cpu_proxy_want_park)) }
}

/// Which CPUs were woken ahead of their park request (`cpu_proxy_early`).
fn earlies() -> PerCpu<i32> {
    // SAFETY: `cpu_proxy_early` is defined with `DEFINE_PER_CPU()` in
    // `kernel/cpu_proxy_proxy.c`; only its address is taken.
    unsafe { PerCpu::new(addr_of_mut!(bindings::cpu_proxy_early)) }
}

/// Which CPUs' contexts run in a pass on a proxy (`cpu_proxy_proxied`).
fn proxieds() -> PerCpu<bool> {
    // SAFETY: `cpu_proxy_proxied` is defined with `DEFINE_PER_CPU()` in
    // `kernel/cpu_proxy_proxy.c`; only its address is taken.
    unsafe { PerCpu::new(addr_of_mut!(bindings::cpu_proxy_proxied)) }
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
/// (`cpu_proxy_init_cpus()`, a core initcall, before any CPU can park) and
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

    /// Told to park (`cpu_proxy_want_park`): written by its parker only,
    /// under the park lock, `MapsGuard` (`loop_ctl.rs`).
    pub(crate) fn want_park(&self) -> &'static Flag {
        // SAFETY: a per-CPU `bool` lives as long as the kernel; C reads it
        // with `READ_ONCE()`/`this_cpu_read()`, and only `loop_ctl.rs`
        // writes it, with `WRITE_ONCE()`.
        unsafe { Flag::from_ptr(want_parks().ptr(self.cpu)) }
    }

    /// `CPU_PROXY_EARLY_*` (`cpu_proxy_early`): woken ahead of its park
    /// request (`idle.rs`).
    pub(crate) fn early(&self) -> &'static Int {
        // SAFETY: a per-CPU `int` lives as long as the kernel; C reads it
        // with `this_cpu_read()` only, Rust as an `Int`.
        unsafe { Int::from_ptr(earlies().ptr(self.cpu)) }
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

    /// 1 from the CPU's last look at its work until its hlt returns
    /// (`protocol::halting()`).
    pub(crate) fn halting(&self) -> &'static Atomic {
        // SAFETY: as in `work()`.
        unsafe { Atomic::from_ptr(addr_of_mut!((*self.pc).halting)) }
    }

    /// The CPU leaves its park loop for a task (`idle.rs`): a
    /// `stop_machine()` must stop it the usual way (`hold.rs`).
    pub(crate) fn leaving(&self) -> &'static Flag {
        // SAFETY: as in `installed()`.
        unsafe { Flag::from_ptr(addr_of_mut!((*self.pc).leaving)) }
    }

    /// Hardware-bound work was left for the CPU (`cpu_proxy_defer_native()`).
    pub(crate) fn has_deferred(&self) -> bool {
        // SAFETY: `pc` is valid; `deferred` is an llist, which
        // `llist_empty()` reads locklessly.
        unsafe { !bindings::cpu_proxy_llist_empty(addr_of_mut!((*self.pc).deferred)) }
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
    /// The caller holds the park lock (`MapsGuard`), which serialises every writer.
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
        // SAFETY: `cpu_proxy_init_cpus()` initialised it, with its callback.
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
            // SAFETY: `cpu_proxy_init_cpus()` initialised `kick`, which lives as
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
        match protocol::take::<Kernel>(self.owner(), self.halting()) {
            // INVARIANT: this CPU took the context, from HALTED, just now.
            Take::Taken => Ok(Owned {
                o: Owner::new(self),
            }),
            other => Err(other),
        }
    }
}

/// The fields only the owner of the CPU's context touches: the CPU
/// itself while it runs ([`Native`]), or the proxy that took the context
/// for a pass ([`Owned`]).
///
/// # Invariants
///
/// The holder owns the CPU's context, interrupts off, for the life of the
/// `Owner`, or runs nested in the execution of one that does (a pass, run
/// by the holder of an [`Owned`] or [`Native`] on the same CPU, makes its
/// own with [`Owner::in_pass`]): no other CPU touches `native`,
/// `no_softirq`, `softirqs_left` or `bh_since` meanwhile. Every access is
/// a read or write through the raw pointer, never a Rust reference, so
/// nested holders on one CPU do not alias. Not `Send`.
pub(crate) struct Owner<'a> {
    s: CpuState,
    _life: PhantomData<(&'a CpuState, *mut ())>,
}

impl Owner<'_> {
    fn new(s: &CpuState) -> Self {
        Self {
            s: *s,
            _life: PhantomData,
        }
    }

    /// The owner of the CPU's context in a pass for it.
    ///
    /// # Safety
    ///
    /// The caller runs a pass for `s`'s CPU (it owns the CPU's context,
    /// interrupts off) for the life of the result.
    pub(crate) unsafe fn in_pass(s: CpuState) -> Self {
        // INVARIANT: by the function's safety requirements.
        Self::new(&s)
    }

    /// Whether a pass left work only the CPU may run.
    pub(crate) fn native(&self) -> bool {
        // SAFETY: `pc` is valid, and only the owner touches `native`, by
        // the type's invariants.
        unsafe { (*self.s.pc).native }
    }

    pub(crate) fn set_native(&self, v: bool) {
        // SAFETY: as in `native()`.
        unsafe { (*self.s.pc).native = v };
    }

    /// Take the flag a pass sets when it left work only the CPU may run.
    pub(crate) fn take_native(&self) -> bool {
        let v = self.native();
        self.set_native(false);
        v
    }

    /// Whether the last pass left the CPU's softirqs pending.
    pub(crate) fn softirqs_left(&self) -> bool {
        // SAFETY: as in `native()`.
        unsafe { (*self.s.pc).softirqs_left }
    }

    pub(crate) fn set_softirqs_left(&self, v: bool) {
        // SAFETY: as in `native()`.
        unsafe { (*self.s.pc).softirqs_left = v };
    }

    /// Whether this pass must leave the CPU's softirqs pending.
    pub(crate) fn no_softirq(&self) -> bool {
        // SAFETY: as in `native()`.
        unsafe { (*self.s.pc).no_softirq }
    }

    /// Whether the next pass must leave the CPU's softirqs pending.
    pub(crate) fn set_no_softirq(&self, v: bool) {
        // SAFETY: as in `native()`.
        unsafe { (*self.s.pc).no_softirq = v };
    }

    /// Since when passes left the CPU's softirqs pending (0: they did not).
    pub(crate) fn bh_since(&self) -> u64 {
        // SAFETY: as in `native()`.
        unsafe { (*self.s.pc).bh_since }
    }

    pub(crate) fn set_bh_since(&self, t: u64) {
        // SAFETY: as in `native()`.
        unsafe { (*self.s.pc).bh_since = t };
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
/// `Owned` is dropped ([`Owner`]'s invariants hold meanwhile). It is given
/// back on the CPU that took it, with interrupts off throughout.
#[must_use = "dropping it gives the context back at once"]
pub(crate) struct Owned<'a> {
    o: Owner<'a>,
}

impl<'a> Deref for Owned<'a> {
    type Target = Owner<'a>;
    fn deref(&self) -> &Owner<'a> {
        &self.o
    }
}

impl Owned<'_> {
    /// Run one pass for the CPU on this CPU's hardware, as the CPU
    /// (`arch_cpu_proxy_run()` of `cpu_proxy_pass()`).
    ///
    /// While it runs, `hw` names this CPU, so that an exception taken in
    /// the pass knows it runs in proxy context (`cpu_proxy_claim_slow()`
    /// reads it with `READ_ONCE()`), and the CPU's `cpu_proxy_proxied`
    /// says so to the hooks (`cpu_proxy_in_proxy()`).
    pub(crate) fn run_pass(&self) {
        let pc = self.o.s.pc;
        let cpu = self.o.s.cpu;
        let t0 = test_hooks::pass_start();
        // SAFETY: checks lockdep's view of this CPU's interrupts.
        unsafe { bindings::cpu_proxy_lockdep_assert_irqs_disabled() };
        // SAFETY: `pc` is valid; the owner of the context writes `hw`.
        let hw = unsafe { addr_of_mut!((*pc).hw) };
        let proxied = proxieds().ptr(cpu);
        // SAFETY: `hw` and `proxied` are valid for the kernel's life, and
        // written only by the owner of the CPU's context, which this CPU
        // is, by the type's invariants.
        unsafe {
            atomic::write_once(hw, bindings::arch_cpu_proxy_hw_cpu() as i32);
            bindings::cpu_proxy_write_once_bool(proxied, true);
        }
        // SAFETY: this CPU owns the CPU's context with interrupts off, by
        // the type's invariants, and `pc` is the CPU's state, which
        // `cpu_proxy_pass()` takes.
        unsafe {
            bindings::arch_cpu_proxy_run(cpu.as_u32(), Some(bindings::cpu_proxy_pass), pc.cast())
        };
        // SAFETY: as above.
        unsafe {
            bindings::cpu_proxy_write_once_bool(proxied, false);
            atomic::write_once(hw, -1);
        }
        test_hooks::pass_end(t0);
    }

    /// Give the context back now: see the type's documentation.
    pub(crate) fn give_back(self) {
        drop(self);
    }
}

impl Drop for Owned<'_> {
    fn drop(&mut self) {
        protocol::give_back::<Kernel>(self.o.s.owner());
    }
}

/// The CPU itself, in its park loop, owning its context (`NATIVE`): the
/// idle task, interrupts off.
///
/// # Invariants
///
/// Made on the CPU, by its idle task, with interrupts off, which stay off
/// for the life of the `Native` except inside the halt
/// ([`Native::halt`]), which gives the context to the proxy and takes it
/// back before it returns. [`Owner`]'s invariants hold outside the halt,
/// and `saved_evt` is touched by this CPU only.
pub(crate) struct Native<'a> {
    o: Owner<'a>,
}

impl<'a> Deref for Native<'a> {
    type Target = Owner<'a>;
    fn deref(&self) -> &Owner<'a> {
        &self.o
    }
}

impl<'a> Native<'a> {
    /// # Safety
    ///
    /// `s` is this CPU's state, and the caller is its idle task, with
    /// interrupts off, owning its context (`NATIVE`).
    pub(crate) unsafe fn new(s: &'a CpuState) -> Self {
        // INVARIANT: by the function's safety requirements.
        Self { o: Owner::new(s) }
    }

    /// Run one pass as the CPU, on itself (`cpu_proxy_pass()`).
    pub(crate) fn run_pass(&self) {
        // SAFETY: this is the CPU, owning its context with interrupts off,
        // by the type's invariants, and `pc` is its state.
        unsafe { bindings::cpu_proxy_pass(self.o.s.pc.cast()) };
    }

    /// Give the context to the proxy and sleep until an interrupt, then
    /// take it back (`cpu_proxy_halt()`).
    pub(crate) fn halt(&self) {
        // SAFETY: as in `run_pass()`.
        unsafe { bindings::cpu_proxy_halt(self.o.s.pc) };
    }

    /// The CPU's own tick device, while the stand-in replaces it (null:
    /// not handed over yet).
    pub(crate) fn saved_evt(&self) -> *mut bindings::clock_event_device {
        // SAFETY: `pc` is valid, and only this CPU touches `saved_evt`, by
        // the type's invariants.
        unsafe { (*self.o.s.pc).saved_evt }
    }

    pub(crate) fn set_saved_evt(&self, evt: *mut bindings::clock_event_device) {
        // SAFETY: as in `saved_evt()`.
        unsafe { (*self.o.s.pc).saved_evt = evt };
    }

    /// The stand-in tick device.
    pub(crate) fn evt(&self) -> *mut bindings::clock_event_device {
        // SAFETY: `pc` is valid; only the address of `evt` is taken.
        unsafe { addr_of_mut!((*self.o.s.pc).evt) }
    }
}

/// Sets `pc` up for `cpu`: no proxy, no pass, no next event, the stand-in
/// tick device, the proxy's timers and kick with their callbacks
/// (`service.rs`). Its other fields start as the zeroed per-CPU copy has
/// them (an empty `deferred` list is a null one, as `init_llist_head()`
/// leaves it).
///
/// # Safety
///
/// `pc` is `cpu`'s copy of `cpu_proxy_cpus`, which nothing else uses yet.
unsafe fn init_cpu(pc: *mut bindings::cpu_proxy_cpu, cpu: CpuId) {
    // SAFETY: valid, and ours alone, by the function's safety requirements:
    // other CPUs run, but every reader of the state is behind
    // `cpu_proxy_parked_key`, off until the first park, or is this crate,
    // whose module init comes later.
    let pc = unsafe { &mut *pc };
    pc.cpu = cpu.as_u32();
    pc.proxy = protocol::NO_PROXY;
    pc.hw = -1;
    pc.next_event = i64::MAX;
    let evt = &mut pc.evt;
    evt.name = c"cpu-proxy".as_ptr().cast();
    evt.features = bindings::CLOCK_EVT_FEAT_ONESHOT | bindings::CLOCK_EVT_FEAT_KTIME;
    evt.set_next_ktime = Some(bindings::cpu_proxy_evt_next);
    evt.set_state_shutdown = Some(bindings::cpu_proxy_evt_stop);
    evt.set_state_oneshot_stopped = Some(bindings::cpu_proxy_evt_stop);
    evt.mult = 1;
    evt.min_delta_ns = 1;
    evt.max_delta_ns = i64::MAX as u64;
    evt.min_delta_ticks = 1;
    evt.max_delta_ticks = c_ulong::MAX;
    // SAFETY: `cpu` is a possible CPU, whose mask is static.
    evt.cpumask = unsafe { bindings::cpu_proxy_cpumask_of(cpu.as_u32()) };
    let mono = bindings::CLOCK_MONOTONIC as bindings::clockid_t;
    // SAFETY: the timers and the kick are ours, not in use: initialised
    // here once, their callbacks set before anything can start them.
    unsafe {
        bindings::hrtimer_init(
            &mut pc.timer,
            mono,
            bindings::hrtimer_mode_HRTIMER_MODE_ABS_PINNED_HARD,
        );
        bindings::hrtimer_init(
            &mut pc.retry,
            mono,
            bindings::hrtimer_mode_HRTIMER_MODE_REL_PINNED_HARD,
        );
        bindings::cpu_proxy_init_irq_work_hard(&mut pc.kick, Some(bindings::cpu_proxy_kick_fn));
    }
    pc.timer.function = Some(bindings::cpu_proxy_timer_fn);
    pc.retry.function = Some(bindings::cpu_proxy_retry_fn);
}

/// Sets every possible CPU's state up; see `kernel/cpu_proxy_rust.h`.
///
/// # Safety
///
/// Called once, at boot, before any CPU can be parked: nothing else uses
/// the state yet.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_init_cpus() {
    for cpu in (0..nr_cpu_ids()).filter_map(CpuId::from_u32) {
        // SAFETY: `cpu`'s copy, not in use yet, by the function's safety
        // requirements.
        unsafe { init_cpu(cpus().ptr(cpu), cpu) };
    }
}
c_export!(cpu_proxy_init_cpus);
