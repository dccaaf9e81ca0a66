// SPDX-License-Identifier: GPL-2.0

//! The parked CPU's loop, from the parker's side: tell a CPU to park and
//! wait until it is in its park loop ([`enter`]), tell it to leave and wait
//! until it is out ([`leave_set`], [`leave`]), give it a proxy
//! ([`set_proxy`]).
//!
//! The loop itself runs on the parked CPU N (`idle.rs`); this side and
//! that one agree through
//! N's `cpu_proxy_want_park` (told to park), its state's `installed`
//! (in the loop, its tick device handed over), `waking` (the parker is
//! sending N an interrupt) and `proxy`. Each barrier here names the one
//! on N's side it pairs with.
//!
//! Context: process context, under the park lock, `MapsGuard` (the CPU maps
//! lock), which serialises every parker; `unwatched` is touched only
//! under it.

use crate::{
    cpumask::Cpumask,
    state::CpuState,
    sys::{
        atomic::{cpu_relax, smp_mb, smp_wmb, Acquire, Flag, Relaxed, Release},
        cpu::CpuId,
        sched::{self, PreemptGuard},
        warn_once,
    },
};
use kernel::{bindings, prelude::*};

/// How long a waiter spins before it sleeps between looks.
const SPIN_NS: u64 = 200_000;
/// How often a waiter interrupts the CPU it waits for again.
const REKICK_NS: u64 = 1_000_000;
/// Nanoseconds in a second.
const NSEC_PER_SEC: u64 = 1_000_000_000;

/// A CPU's state as its parker sees it.
///
/// # Invariants
///
/// The holder of a `Parker` holds the park lock (`MapsGuard`), under which alone
/// `unwatched` of the state is accessed, and `proxy` written.
struct Parker {
    s: CpuState,
}

impl Parker {
    /// # Safety
    ///
    /// The caller holds the park lock (`MapsGuard`) for the life of the result.
    unsafe fn new(cpu: CpuId) -> Self {
        // SAFETY: an assertion (lockdep's, on a debug kernel) that the
        // lock is held; process context.
        unsafe { bindings::cpu_maps_assert_held() };
        // INVARIANT: the lock is held by the function's safety
        // requirements.
        Self {
            s: CpuState::of(cpu),
        }
    }

    /// Told to park (`cpu_proxy_want_park`).
    fn want_park(&self) -> &Flag {
        self.s.want_park()
    }

    fn unwatched(&self) -> bool {
        // SAFETY: the state is valid (`CpuState`'s invariants), and
        // `unwatched` only touched under the lock, which is held, by the
        // type's invariants.
        unsafe { (*self.s.as_ptr()).unwatched }
    }

    fn set_unwatched(&self, v: bool) {
        // SAFETY: as in `unwatched()`.
        unsafe { (*self.s.as_ptr()).unwatched = v };
    }

    /// In its park loop, its tick device handed over. The acquire pairs
    /// with the releases of `install()` and `uninstall()` (`idle.rs`).
    fn in_loop(&self) -> bool {
        self.s.installed().load_acquire(Acquire)
    }

    fn out_of_loop(&self) -> bool {
        !self.in_loop()
    }

    /// Wake the CPU unless `done(self)` already. A CPU that gets into its
    /// park loop meanwhile waits for the interrupt before it halts there,
    /// where the interrupt would count as a wakeup while parked
    /// (`install()`, `idle.rs`, spins while `waking` is set). Returns
    /// whether it was done.
    fn wake_unless(&self, done: fn(&Self) -> bool) -> bool {
        // The CPU spins while `waking` is set: no preemption in between.
        let _nopreempt = PreemptGuard::new();
        self.s.waking().store(true, Relaxed);
        // `waking` before `done` is read; pairs with `install()` (`idle.rs`).
        smp_mb();
        let ret = done(self);
        if !ret {
            // SAFETY: an interrupt to a possible CPU.
            unsafe { bindings::arch_cpu_proxy_wake(self.s.cpu().as_u32()) };
        }
        // Sent before released.
        self.s.waking().store_release(false, Release);
        ret
    }

    /// Wait until `done(self)`, waking the CPU meanwhile. A `killable` wait
    /// ends with `EINTR` on a fatal signal and with `EBUSY` after
    /// `timeout_ns`; one that is not (the CPU is on its way out of its
    /// loop, and must be out before its proxy can be dropped) only says so
    /// after `timeout_ns`, and again every `timeout_ns`: a CPU that is told
    /// to leave its loop and woken leaves it, unless held by a
    /// `stop_machine()`, which is bounded too.
    fn wait(&self, done: fn(&Self) -> bool, timeout_ns: u64, killable: bool) -> Result {
        let start = sched::ktime_get_ns();
        let (mut kicked, mut warned) = (start, start);

        while !done(self) {
            let now = sched::ktime_get_ns();

            if killable && sched::fatal_signal_pending() {
                return Err(EINTR);
            }
            if killable && now.saturating_sub(start) > timeout_ns {
                return Err(EBUSY);
            }
            if now.saturating_sub(warned) > timeout_ns {
                pr_warn!(
                    "CPU{} has not left its park loop for {} s\n",
                    self.s.cpu().as_u32(),
                    now.saturating_sub(start) / NSEC_PER_SEC
                );
                warned = now;
            }
            if now.saturating_sub(kicked) > REKICK_NS {
                if self.wake_unless(done) {
                    break;
                }
                kicked = now;
            }
            // The CPU needs microseconds: spin, then sleep. Not longer: on
            // an overcommitted host a spinning vCPU takes the host CPUs the
            // vCPUs it waits for need to wake.
            if now.saturating_sub(start) < SPIN_NS {
                cpu_relax();
            } else {
                // SAFETY: process context, under a mutex: the parker may
                // sleep.
                unsafe { sched::usleep_range(10, 50) };
            }
        }
        Ok(())
    }

    /// Tell the CPU to leave its loop; false if it was not told to park.
    fn tell_leave(&self) -> bool {
        if !self.want_park().load(Relaxed) {
            return false;
        }
        if self.unwatched() {
            // SAFETY: process context, the lock held; the CPU is parked.
            unsafe { bindings::lockup_detector_unpark_cpu(self.s.cpu().as_u32()) };
        }
        // Asked before it leaves; pairs with `lockup_detector_unparked()`.
        smp_wmb();
        self.want_park().store(false, Relaxed);
        true
    }
}

/// Make a parking CPU enter its park loop; give up after `timeout_ns`, or
/// with 0 only tell it and do not wait.
///
/// Told before its tasks are pushed away, the CPU goes straight from its
/// last task into the park loop; a second call waits for it there. If the
/// wait fails (the writer was killed, or the CPU did not get there in
/// time), the CPU is made to leave again before this returns. Errors:
/// `EINVAL` (no proxy), `EBUSY` (did not enter in time) or `EINTR`.
///
/// # Safety
///
/// The caller holds the park lock (`MapsGuard`).
pub(crate) unsafe fn enter(cpu: CpuId, timeout_ns: u64) -> Result {
    // SAFETY: the lock is held, by the function's safety requirements.
    let p = unsafe { Parker::new(cpu) };
    if p.s.proxy() < 0 {
        warn_once!("CPU{} told to park has no proxy\n", cpu.as_u32());
        return Err(EINVAL);
    }
    if !p.want_park().load(Relaxed) {
        p.want_park().store(true, Relaxed);
        // Seen by the CPU's idle loop once it next goes idle.
        smp_mb();
    }
    if timeout_ns == 0 {
        return Ok(());
    }
    if let Err(e) = p.wait(Parker::in_loop, timeout_ns, true) {
        // SAFETY: the lock is held, by the function's safety requirements.
        unsafe { leave(cpu, timeout_ns) };
        return Err(e);
    }
    // SAFETY: process context, the lock held; the CPU is in its loop.
    unsafe { bindings::lockup_detector_park_cpu(cpu.as_u32()) };
    p.set_unwatched(true);
    Ok(())
}

/// Tell every CPU of `set` to leave its park loop, with one interrupt for
/// the set, so that the architecture can address them all at once;
/// [`leave`] then waits for each.
///
/// # Safety
///
/// The caller holds the park lock (`MapsGuard`).
pub(crate) unsafe fn leave_set(set: &Cpumask) {
    for cpu in set.iter() {
        // SAFETY: the lock is held, by the function's safety requirements.
        unsafe { Parker::new(cpu) }.tell_leave();
    }
    // Seen by the park loops once the wakeup below lands.
    smp_mb();
    // SAFETY: `set` is a valid mask; an interrupt to each of its CPUs.
    unsafe { bindings::arch_cpu_proxy_wake_mask(set.as_ptr()) };
}

/// Make a parked CPU leave its park loop, warning every `timeout_ns` until
/// it has.
///
/// Told (here, if [`leave_set`] did not), the CPU wakes and leaves its
/// loop, restarting its soft-lockup watchdog on the way. On return it owns
/// its context and clock-event device again, and its proxy may be
/// dropped. The wait is not killable and has no timeout: until the CPU is
/// out, its proxy is all that serves it. It is short: a CPU told to leave
/// and woken leaves at once, or once a `stop_machine()` holding it ends.
///
/// # Safety
///
/// The caller holds the park lock (`MapsGuard`).
pub(crate) unsafe fn leave(cpu: CpuId, timeout_ns: u64) {
    // SAFETY: the lock is held, by the function's safety requirements.
    let p = unsafe { Parker::new(cpu) };
    if p.tell_leave() {
        // Seen by the park loop once the wakeup below lands.
        smp_mb();
        // SAFETY: an interrupt to a possible CPU.
        unsafe { bindings::arch_cpu_proxy_wake(cpu.as_u32()) };
    }
    // Not killable: cannot fail.
    let _ = p.wait(Parker::out_of_loop, timeout_ns, false);
    if p.unwatched() {
        // SAFETY: process context, the lock held; the CPU left its loop.
        unsafe { bindings::lockup_detector_unpark_done(cpu.as_u32(), true) };
        p.set_unwatched(false);
    }
}

/// Choose the CPU that stands in for `cpu`: `proxy`, an active CPU, or
/// none (only once `cpu` left its loop). Moves `cpu`'s proxy timer to the
/// new proxy if it is running.
///
/// # Safety
///
/// The caller holds the park lock (`MapsGuard`), directly or as the hotplug thread
/// of a CPU going down.
pub(crate) unsafe fn set_proxy(cpu: CpuId, proxy: Option<CpuId>) {
    // SAFETY: the lock is held, by the function's safety requirements.
    let p = unsafe { Parker::new(cpu) };
    let new = proxy.map_or(crate::protocol::NO_PROXY, CpuId::as_i32);
    if p.s.proxy() == new {
        return;
    }
    // SAFETY: the lock is held, by the function's safety requirements.
    unsafe { p.s.set_proxy(new) };
    // The new proxy stored before `installed` is read, and before the
    // timers are cancelled. Pairs with `install()` (`idle.rs`): a CPU
    // installed meanwhile kicks the new proxy, or this sees it installed
    // and kicks it. Pairs with `arm()` (`service.rs`): an old proxy that
    // arms the timer after the cancel below sees the new proxy, and hands
    // the timer over.
    smp_mb();
    // Pairs with `install()` (`idle.rs`): a timer to move exists.
    if proxy.is_none() || !p.in_loop() {
        return;
    }
    // SAFETY: process context, preemptible. The callbacks run in hard
    // interrupt context (N's calls, irq_work, timers and softirqs in a
    // pass), and the parker holds only sleeping locks (the CPU maps lock,
    // the re-proxy mutex), which none of that can take; each callback is
    // bounded (a few passes, a 10 us spin). In the hotplug path this runs
    // on the old proxy itself, where no callback can run meanwhile.
    unsafe {
        p.s.timer().cancel();
        p.s.retry().cancel();
    }
    p.s.moved().store(1, Relaxed);
    let _nopreempt = PreemptGuard::new();
    p.s.kick();
}
