// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the C mechanisms that park and unpark use: the
//! hotplug map lock, the parked mask and the scheduler's park hooks.
//!
//! Every operation that needs the lock takes a [`MapsGuard`], so holding
//! it is checked by the type system rather than by convention.

use crate::{
    cpumask::{Cpumask, SharedCpumask},
    loop_ctl,
    mask_hotplug::{self, MaskError},
    plan::Place,
    redirect,
    sys::{cpu::CpuId, ratelimited, warn_once},
};
use kernel::{bindings, error::to_result, prelude::*};

/// `EOPNOTSUPP`, which the 6.12 `kernel` crate does not name.
fn eopnotsupp() -> Error {
    Error::from_errno(-(bindings::EOPNOTSUPP as kernel::ffi::c_int))
}

/// Holds the park lock: `cpu_maps_update_begin()`, under which no CPU goes
/// online or offline, and no other park or unpark runs, while this
/// exists. [`MapsGuard::lock`] also takes `lock_device_hotplug()` before
/// it, as a write to `cpuN/online` does; [`MapsGuard::assume_held`] stands
/// for a caller's hold of the maps lock alone (a hotplug callback, or
/// suspend).
///
/// # Invariants
///
/// The lock is held for as long as this exists; `owned` says whether it
/// was taken by [`MapsGuard::lock`], and is then released on drop.
pub(crate) struct MapsGuard {
    owned: bool,
}

impl MapsGuard {
    /// Takes the lock; may sleep.
    pub(crate) fn lock() -> Self {
        // Taken before the maps lock, as a write to `cpuN/online` does: the
        // lock `cpu_up()` and `cpu_down()` take first, so that the online
        // and parked masks are stable for the holder.
        // SAFETY: called from process context (sysfs writes); released in
        // `drop`, in the reverse order.
        unsafe {
            bindings::lock_device_hotplug();
            bindings::cpu_maps_update_begin();
        }
        // INVARIANT: the lock was just taken, and is ours to release.
        Self { owned: true }
    }

    /// Stands for the lock a caller already holds, and does not release
    /// it.
    ///
    /// # Safety
    ///
    /// The caller holds `cpu_maps_update_begin()` for as long as the
    /// returned guard exists.
    pub(crate) unsafe fn assume_held() -> Self {
        // INVARIANT: held by the caller, by the function's safety
        // requirements; not ours to release.
        Self { owned: false }
    }

    /// Can the CPUs of `set` be parked on this machine? `EOPNOTSUPP`, with
    /// a log line, if not.
    ///
    /// The architecture's preconditions (`arch_cpu_proxy_supported()`),
    /// and for each CPU a tick device the proxy can stand in for: a per-CPU
    /// device that keeps running in deep idle. One that stops there
    /// (`CLOCK_EVT_FEAT_C3STOP`, a local APIC timer without ARAT) relies
    /// on the broadcast device and is never handed over
    /// (`tick_swap_this_cpu_device()`); a pass would then program it on
    /// the proxy's hardware. So is a dummy device (the broadcast device
    /// ticks for it), one without one-shot mode, or one shared with other
    /// CPUs. A CPU whose tick is still periodic (it came online a tick
    /// ago) parks: it takes its own periodic tick, and hands its device
    /// over once the tick goes one-shot (`idle.rs`).
    pub(crate) fn can_park(&self, set: &Cpumask) -> Result {
        // SAFETY: process context; the architecture's checks.
        to_result(unsafe { bindings::arch_cpu_proxy_supported() })?;
        for cpu in set.iter() {
            // SAFETY: the lock is held (`self`): `cpu` is online, and its
            // device stays while it is.
            let dev = unsafe { bindings::cpu_proxy_tick_device(cpu.as_u32()) };
            if dev.is_null() {
                ratelimited!(
                    pr_warn,
                    "cannot park CPU{}: it has no tick device\n",
                    cpu.as_u32()
                );
                return Err(eopnotsupp());
            }
            // SAFETY: a registered device stays valid while it is the
            // CPU's tick device. Its features, name and mask are set
            // before it is registered and not written after; they are
            // read through the pointer, with no reference to the device,
            // whose other fields its CPU writes meanwhile.
            let (features, name, mask) = unsafe { ((*dev).features, (*dev).name, (*dev).cpumask) };
            // SAFETY: the device's name is a C string, as long-lived as it.
            let name = unsafe { CStr::from_char_ptr(name) };
            if features & bindings::CLOCK_EVT_FEAT_C3STOP != 0 {
                ratelimited!(
                    pr_warn,
                    "cannot park CPU{}: its tick device {} stops in deep idle (no ARAT?); a proxy cannot stand in for it\n",
                    cpu.as_u32(),
                    name
                );
                return Err(eopnotsupp());
            }
            // SAFETY: the device's mask, valid with it, and only read.
            let mask = unsafe { SharedCpumask::from_raw(mask.cast_mut()) };
            let own = mask.iter().eq(core::iter::once(cpu));
            if features & bindings::CLOCK_EVT_FEAT_DUMMY != 0
                || features & bindings::CLOCK_EVT_FEAT_ONESHOT == 0
                || !own
            {
                ratelimited!(
                    pr_warn,
                    "cannot park CPU{}: its tick device {} is not a one-shot device of its own; a proxy cannot stand in for it\n",
                    cpu.as_u32(),
                    name
                );
                return Err(eopnotsupp());
            }
        }
        Ok(())
    }

    /// A snapshot of `cpu_online_mask`.
    pub(crate) fn online(&self) -> Result<Cpumask> {
        // SAFETY: `__cpu_online_mask` is a valid static; it changes only
        // under the lock that `self` holds.
        unsafe { Cpumask::copy_of(core::ptr::addr_of!(bindings::__cpu_online_mask)) }
    }

    /// A snapshot of the parked mask.
    pub(crate) fn parked(&self) -> Result<Cpumask> {
        // SAFETY: `__cpu_parked_mask` is a valid static; it is written only
        // by `set_parked`, under the lock that `self` holds.
        unsafe { Cpumask::copy_of(core::ptr::addr_of!(bindings::__cpu_parked_mask)) }
    }

    /// A snapshot of `cpu_present_mask`.
    pub(crate) fn present(&self) -> Result<Cpumask> {
        // SAFETY: `__cpu_present_mask` is a valid static; CPUs become
        // present or not only under the lock that `self` holds.
        unsafe { Cpumask::copy_of(core::ptr::addr_of!(bindings::__cpu_present_mask)) }
    }

    /// A snapshot of `cpu_active_mask`.
    pub(crate) fn active(&self) -> Result<Cpumask> {
        // SAFETY: `__cpu_active_mask` is a valid static; it changes only
        // under the lock that `self` holds (hotplug, park).
        unsafe { Cpumask::copy_of(core::ptr::addr_of!(bindings::__cpu_active_mask)) }
    }

    /// Takes the CPUs of `set` offline (`up == false`) or online in one
    /// operation ([`mask_hotplug`]), and their devices follow. On failure
    /// the set is rolled back and the error comes with the CPU that failed
    /// (-1 if none did in particular).
    pub(crate) fn hotplug_mask(&self, set: &Cpumask, up: bool) -> Result<(), MaskError> {
        let ret = if up {
            mask_hotplug::online(self, set)
        } else {
            mask_hotplug::offline(self, set)
        };
        // SAFETY: the lock is held (`self`); `set` is a valid mask.
        unsafe { bindings::cpu_proxy_mask_devices(set.as_ptr()) };
        ret
    }

    /// Marks `cpu` parked or not in the mask the C hooks read.
    pub(crate) fn set_parked(&self, cpu: u32, parked: bool) {
        // SAFETY: the lock is held (`self`); `cpu` is below `nr_cpu_ids`
        // because it came from a mask of online CPUs.
        unsafe { bindings::cpu_proxy_set_parked(cpu, parked) };
    }

    /// Wakes the CPUs of `set`, just marked parked, to poll in their idle
    /// loops until they are told to park: waking a halted CPU is the
    /// longest step of a park, and this overlaps it with the rest of the
    /// writer's work. `set_parked(cpu, false)` withdraws it.
    pub(crate) fn wake_early(&self, set: &Cpumask) {
        // SAFETY: the lock is held (`self`), in process context.
        unsafe { crate::idle::wake_early(set) };
    }

    /// Moves the device interrupts that target CPUs of `set` to other
    /// CPUs. Needs `set_parked(cpu, true)` for each first.
    pub(crate) fn irqs_park(&self, set: &Cpumask) -> Result {
        crate::irqs::park(self, set)
    }

    /// Gives back the interrupts `irqs_park` moved off CPUs of `set`.
    /// Needs `set_parked(cpu, false)` for each first.
    pub(crate) fn irqs_unpark(&self, set: &Cpumask) {
        crate::irqs::unpark(self, set)
    }

    /// Starts parking `cpu`: inactive, tasks pushed away. Needs
    /// `set_parked(cpu, true)` first. `EBUSY`, with nothing changed, if
    /// the deadline bandwidth admitted would no longer fit on the CPUs
    /// that stay active.
    pub(crate) fn sched_park(&self, cpu: u32) -> Result {
        // SAFETY: the lock is held (`self`); `cpu` is online and marked
        // parked by the caller.
        to_result(unsafe { bindings::sched_cpu_park(cpu) })
    }

    /// Waits until `cpu` runs only its idle task; `EBUSY` after
    /// `timeout_ns`.
    pub(crate) fn sched_park_wait(&self, cpu: u32, timeout_ns: u64) -> Result {
        // SAFETY: process context; `cpu` was passed to `sched_park`.
        to_result(unsafe { bindings::sched_cpu_park_wait(cpu, timeout_ns) })
    }

    /// Tells `cpu` to park: it goes from its last task into its park loop.
    /// Needs `set_parked(cpu, true)` and a proxy (`set_proxy`) first.
    pub(crate) fn proxy_tell(&self, cpu: u32) -> Result {
        let cpu = CpuId::from_u32(cpu).ok_or(EINVAL)?;
        // SAFETY: the lock is held (`self`).
        unsafe { loop_ctl::enter(cpu, 0) }
    }

    /// Waits until `cpu`, told to park ([`Self::proxy_tell`]), is in its
    /// park loop, where its proxy stands in for it; `EBUSY` after
    /// `timeout_ns`, `EINTR` if the writer is killed, and then `cpu` is
    /// out of the loop again.
    pub(crate) fn proxy_enter(&self, cpu: u32, timeout_ns: u64) -> Result {
        if timeout_ns == 0 {
            return Err(EINVAL);
        }
        let cpu = CpuId::from_u32(cpu).ok_or(EINVAL)?;
        // SAFETY: the lock is held (`self`).
        unsafe { loop_ctl::enter(cpu, timeout_ns) }
    }

    /// Tells every CPU of `set` to leave its park loop, with one wakeup
    /// for the set; [`Self::proxy_leave`] then waits for each.
    pub(crate) fn proxy_leave_set(&self, set: &Cpumask) {
        // SAFETY: the lock is held (`self`).
        unsafe { loop_ctl::leave_set(set) };
    }

    /// Makes `cpu` leave its park loop and run its own context again, and
    /// waits for it (tells it too, unless [`Self::proxy_leave_set`] did).
    /// The wait can neither be killed nor time out: until `cpu` is out,
    /// its proxy is all that serves it, so its proxy may not be dropped.
    /// It warns every `warn_ns` meanwhile; it is short, as a CPU told to
    /// leave and woken leaves at once (or once a `stop_machine()` that
    /// holds it ends).
    pub(crate) fn proxy_leave(&self, cpu: u32, warn_ns: u64) {
        if let Some(cpu) = CpuId::from_u32(cpu) {
            // SAFETY: the lock is held (`self`).
            unsafe { loop_ctl::leave(cpu, warn_ns) };
        }
    }

    /// Lets `cpu` run tasks again.
    pub(crate) fn sched_unpark(&self, cpu: u32) {
        // SAFETY: the lock is held (`self`); `cpu` was passed to
        // `sched_park`.
        unsafe { bindings::sched_cpu_unpark(cpu) };
    }
}

/// The proxy of every CPU, as the C side has it ([`crate::plan::NO_PROXY`] for
/// none), and where each sits.
pub(crate) fn proxies(n: u32) -> Result<(KVec<i32>, KVec<Place>)> {
    let mut proxy = KVec::with_capacity(n as usize, GFP_KERNEL)?;
    let mut place = KVec::with_capacity(n as usize, GFP_KERNEL)?;
    for cpu in 0..n {
        proxy.push(redirect::cpu_proxy_get_proxy(cpu), GFP_KERNEL)?;
        // SAFETY: `cpu` is below `nr_cpu_ids`; all three only read.
        let (package, core, housekeeping) = unsafe {
            (
                bindings::cpu_proxy_cpu_package(cpu),
                bindings::cpu_proxy_cpu_core(cpu),
                // A proxy runs another CPU's timers and softirqs: not a
                // CPU isolated from the scheduler's domains (`isolcpus=`)
                // or from the tick (`nohz_full=`).
                bindings::cpu_proxy_housekeeping(cpu, true),
            )
        };
        place.push(
            Place {
                package,
                core,
                housekeeping,
            },
            GFP_KERNEL,
        )?;
    }
    Ok((proxy, place))
}

/// Gives `cpu` the proxy `proxy` ([`crate::plan::NO_PROXY`]: none).
///
/// # Safety
///
/// The caller holds `cpu_maps_update_begin()`, directly or as the hotplug
/// thread of a CPU going down; `proxy` is active or `NO_PROXY`.
pub(crate) unsafe fn set_proxy(cpu: u32, proxy: i32) {
    let new = CpuId::from_i32(proxy);
    let (Some(cpu), true) = (
        CpuId::from_u32(cpu),
        new.is_some() || proxy == crate::plan::NO_PROXY,
    ) else {
        warn_once!("no proxy {} for CPU{}: not a possible CPU\n", proxy, cpu);
        return;
    };
    // SAFETY: the lock is held, by the function's safety requirements.
    unsafe { loop_ctl::set_proxy(cpu, new) };
}

impl Drop for MapsGuard {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: `self` took the lock in `lock` (type invariant), and
            // is dropped once.
            unsafe {
                bindings::cpu_maps_update_done();
                bindings::unlock_device_hotplug();
            }
        }
    }
}
