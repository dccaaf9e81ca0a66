// SPDX-License-Identifier: GPL-2.0

//! Mask hotplug in the kernel: the checks before a mask offline or online,
//! the choice of the CPU that runs an offline, and the steps of
//! `kernel/cpu.c` ([`Kernel`]) that the sequence in [`mask_seq`] takes.
//!
//! An offline runs on a CPU that stays online and is not parked, in a
//! kernel thread bound to it (`work_on_cpu()`), as `cpu_down()` does: the
//! CPUs of the set must be able to go while it runs. An online runs in the
//! writer's own context.

use crate::{
    cpumask::Cpumask,
    hotplug::MapsGuard,
    mask_seq::{self, cpus, CpuSet, DownCheck, Failed, Refused, Steps, Target},
};
use kernel::{
    bindings,
    error::{code::*, to_result},
    ffi::{c_long, c_void},
    prelude::*,
};

/// `EOPNOTSUPP`, which the 6.12 `kernel` crate does not name.
fn eopnotsupp() -> Error {
    Error::from_errno(-(bindings::EOPNOTSUPP as kernel::ffi::c_int))
}

impl CpuSet for Cpumask {
    fn next_from(&self, from: u32) -> Option<u32> {
        if from >= crate::cpumask::nr_cpu_ids() {
            return None;
        }
        // `cpumask_next(from - 1)`: the first CPU at or after `from`.
        let n = i32::try_from(from).ok()? - 1;
        // SAFETY: the mask is ours, and valid (`Cpumask`'s invariants);
        // `n` is -1 or below `nr_cpu_ids`.
        let next = unsafe { bindings::cpu_proxy_cpumask_next(n, self.as_ptr()) };
        (next < crate::cpumask::nr_cpu_ids()).then_some(next)
    }

    fn test(&self, cpu: u32) -> bool {
        Cpumask::test(self, cpu)
    }

    fn set(&mut self, cpu: u32) {
        let bits = BITS_PER_LONG;
        if let Some(w) = self.words_mut().get_mut((cpu / bits) as usize) {
            *w |= 1 << (cpu % bits);
        }
    }

    fn clear(&mut self) {
        self.words_mut().fill(0);
    }
}

/// Bits in a cpumask word.
const BITS_PER_LONG: u32 = usize::BITS;

/// The `enum cpuhp_state` of a step's target.
fn state_of(target: Target) -> bindings::cpuhp_state {
    match target {
        Target::TeardownCpu => bindings::cpuhp_state_CPUHP_TEARDOWN_CPU,
        Target::BpKickAp => bindings::cpuhp_state_CPUHP_BP_KICK_AP,
        Target::ApOnlineIdle => bindings::cpuhp_state_CPUHP_AP_ONLINE_IDLE,
        Target::Online => bindings::cpuhp_state_CPUHP_ONLINE,
    }
}

/// The steps of a mask operation, as `kernel/cpu.c` takes them.
///
/// # Invariants
///
/// `cpu_maps_update_begin()` is held while this exists, by the task that
/// runs it or by the task that waits for it (`work_on_cpu()`); every CPU
/// id passed to a step is below `nr_cpu_ids`, because it comes from a
/// cpumask ([`CpuSet::next_from`]), and the sequence takes the locked
/// steps only between `write_lock` and `write_unlock`, which
/// `host/`'s model of the state machine checks.
struct Kernel(());

impl Kernel {
    /// # Safety
    ///
    /// The caller holds `cpu_maps_update_begin()`, or waits, holding it,
    /// for the task that runs the steps, while the returned value exists.
    unsafe fn new() -> Self {
        // INVARIANT: by the function's safety requirements.
        Self(())
    }
}

impl Steps for Kernel {
    type Err = Error;
    type Set = Cpumask;

    fn expedite(&mut self, on: bool) {
        // SAFETY: process context; nested, and balanced by the sequence.
        unsafe { bindings::cpuhp_mask_expedite(on) }
    }

    fn write_lock(&mut self) {
        // SAFETY: the maps lock is held (the type's invariants), which
        // `cpus_write_lock()` nests in, as in `_cpu_down()`.
        unsafe { bindings::cpuhp_mask_write_lock() }
    }

    fn write_unlock(&mut self) {
        // SAFETY: taken by `write_lock`; the sequence pairs them.
        unsafe { bindings::cpuhp_mask_write_unlock() }
    }

    fn batch(&mut self, on: bool) {
        // SAFETY: under the write lock (the type's invariants).
        unsafe { bindings::cpuhp_mask_set_batch(on) }
    }

    fn rebuild(&mut self) {
        // SAFETY: under the write lock (the type's invariants).
        unsafe { bindings::cpuhp_mask_rebuild() }
    }

    fn kick_ap(&mut self, cpu: u32, target: Target) -> Result {
        // SAFETY: under the write lock, `cpu` a possible CPU (the type's
        // invariants).
        to_result(unsafe { bindings::cpuhp_mask_kick_ap(cpu, state_of(target)) })
    }

    fn at(&self, cpu: u32, target: Target) -> bool {
        // SAFETY: as in `kick_ap`.
        unsafe { bindings::cpuhp_mask_state(cpu) == state_of(target) }
    }

    fn teardown_injected(&mut self, cpu: u32) -> Result {
        // SAFETY: as in `kick_ap`.
        to_result(unsafe { bindings::cpuhp_mask_teardown_injected(cpu) })
    }

    fn teardown_start(&mut self, cpu: u32) -> bool {
        // SAFETY: as in `kick_ap`; the sequence starts the state only for
        // a CPU at `CPUHP_TEARDOWN_CPU`.
        unsafe { bindings::cpuhp_mask_teardown_start(cpu) }
    }

    fn park_wait(&mut self, cpu: u32) {
        // SAFETY: as in `kick_ap`; the park was asked for.
        unsafe { bindings::cpuhp_mask_park_wait(cpu) }
    }

    fn stop(&mut self, set: &Cpumask) -> Result {
        // SAFETY: under the write lock; `set` is a valid mask, whose CPUs
        // all started `CPUHP_TEARDOWN_CPU`.
        to_result(unsafe { bindings::cpuhp_mask_stop(set.as_ptr()) })
    }

    fn online(&self, cpu: u32) -> bool {
        // SAFETY: `cpu` is a possible CPU (the type's invariants).
        unsafe { bindings::cpu_proxy_cpu_online(cpu) }
    }

    fn refused(&mut self, cpu: u32) {
        // SAFETY: as in `kick_ap`; `cpu` stayed up in the stop.
        unsafe { bindings::cpuhp_mask_refused(cpu) }
    }

    fn reap(&mut self, cpu: u32) {
        // SAFETY: as in `kick_ap`; `cpu` went down in the stop.
        unsafe { bindings::cpuhp_mask_reap(cpu) }
    }

    fn stop_end(&mut self) {
        // SAFETY: ends the `stop` before it.
        unsafe { bindings::cpuhp_mask_stop_end() }
    }

    fn dead(&mut self, cpu: u32) {
        // SAFETY: as in `reap`, and reaped.
        unsafe { bindings::cpuhp_mask_dead(cpu) }
    }

    fn bringup(&mut self, cpu: u32, target: Target) -> Result {
        // SAFETY: as in `kick_ap`; `cpu` is offline and present, checked
        // before the operation ([`online`]).
        to_result(unsafe { bindings::cpuhp_mask_bringup(cpu, state_of(target)) })
    }

    fn smt_update(&mut self) {
        // SAFETY: process context, the maps lock held, not the write
        // lock, as after `_cpu_down()`.
        unsafe { bindings::cpuhp_mask_smt_update() }
    }

    fn undo_down(&mut self, cpu: u32) {
        // SAFETY: the maps lock held, not the write lock, which
        // `_cpu_up()` takes.
        unsafe { bindings::cpuhp_mask_undo_down(cpu) }
    }

    fn undo_up(&mut self, cpu: u32) {
        // SAFETY: as in `undo_down`, for `_cpu_down()`.
        unsafe { bindings::cpuhp_mask_undo_up(cpu) }
    }

    fn parallel(&self) -> bool {
        // SAFETY: reads a boot-time setting.
        unsafe { bindings::cpuhp_mask_parallel() }
    }

    fn busy(&self) -> Error {
        EBUSY
    }
}

/// The errno of a refusal.
fn refused(why: Refused) -> Error {
    match why {
        Refused::NotSupported => eopnotsupp(),
        Refused::Busy => EBUSY,
        Refused::NotPermitted => EPERM,
    }
}

/// A mask offline, handed to the CPU that runs it.
struct DownWork<'a> {
    set: &'a Cpumask,
    undo: Cpumask,
    parking: Cpumask,
    ret: core::result::Result<(), Failed<Error>>,
}

/// Runs a mask offline in a kernel thread on the CPU that stays.
///
/// # Safety
///
/// `arg` points to a [`DownWork`] that nothing else uses until this
/// returns, and the task that passed it holds `cpu_maps_update_begin()`
/// and waits for this to return (`work_on_cpu()`).
unsafe extern "C" fn down_on_cpu(arg: *mut c_void) -> c_long {
    // SAFETY: by the function's safety requirements.
    let work = unsafe { &mut *arg.cast::<DownWork<'_>>() };
    // SAFETY: the maps lock is held by the task waiting for this one.
    let mut steps = unsafe { Kernel::new() };
    work.ret = mask_seq::down(&mut steps, work.set, &mut work.undo, &mut work.parking);
    0
}

/// A failure of a mask operation: its error, and the CPU that failed, or
/// -1 for a refusal before any CPU was touched.
pub(crate) type MaskError = (Error, i32);

fn before(err: Error) -> MaskError {
    (err, -1)
}

fn failed(f: Failed<Error>) -> MaskError {
    (f.err, i32::try_from(f.cpu).unwrap_or(-1))
}

/// Takes the CPUs of `set`, all online, offline in one operation.
///
/// A refusal, or `ENOMEM` for the masks it works with, comes before any
/// CPU is touched, with -1 for the CPU.
pub(crate) fn offline(maps: &MapsGuard, set: &Cpumask) -> core::result::Result<(), MaskError> {
    let check = DownCheck {
        // SAFETY: reads a setting fixed at boot.
        supported: unsafe { bindings::cpuhp_mask_offline_supported() },
        // SAFETY: reads a count written under the maps lock, which `maps`
        // holds.
        enabled: unsafe { bindings::cpuhp_mask_enabled() },
    };
    // SAFETY: device hotplug is locked, so each CPU's device and its flag
    // are stable: a mask operation is reached only from a write, whose
    // `MapsGuard::lock()` takes `lock_device_hotplug()` first.
    let may_offline = |cpu| unsafe { bindings::cpuhp_mask_may_offline(cpu) };
    mask_seq::check_down(check, set, may_offline).map_err(|why| before(refused(why)))?;
    if CpuSet::is_empty(set) {
        return Ok(());
    }
    // Run it on a CPU that stays, as `cpu_down_maps_locked()` does.
    let active = maps.active().map_err(before)?;
    let parked = maps.parked().map_err(before)?;
    // SAFETY: reads the boot-time housekeeping mask.
    let housekeeping = |cpu: &u32| unsafe { bindings::cpu_proxy_housekeeping(*cpu, false) };
    let candidates = cpus(&active).filter(housekeeping);
    let cpu = mask_seq::control_cpu(candidates, set, |c| Cpumask::test(&parked, c))
        .ok_or(before(EBUSY))?;
    let mut work = DownWork {
        set,
        undo: Cpumask::new().map_err(before)?,
        parking: Cpumask::new().map_err(before)?,
        ret: Ok(()),
    };
    // SAFETY: `work` lives until `work_on_cpu()` returns, which waits for
    // `down_on_cpu`; the maps lock is held (`maps`) throughout; `cpu` is
    // online and stays so, as the lock keeps hotplug out.
    unsafe {
        bindings::cpu_proxy_work_on_cpu(
            cpu,
            Some(down_on_cpu),
            core::ptr::from_mut(&mut work).cast(),
        )
    };
    work.ret.map_err(failed)
}

/// Brings the CPUs of `set`, all offline and present, online in one
/// operation.
pub(crate) fn online(_maps: &MapsGuard, set: &Cpumask) -> core::result::Result<(), MaskError> {
    // SAFETY: reads a count written under the maps lock (`_maps`).
    if !unsafe { bindings::cpuhp_mask_enabled() } {
        return Err(before(EBUSY));
    }
    for cpu in cpus(set) {
        // SAFETY: `cpu` is a present CPU; the maps lock is held, which
        // `try_online_node()` nests in, as for a write to cpuN/online.
        to_result(unsafe { bindings::cpuhp_mask_may_online(cpu) }).map_err(before)?;
    }
    // SAFETY: the maps lock is held (`_maps`) while `steps` exists.
    let mut steps = unsafe { Kernel::new() };
    mask_seq::up(&mut steps, set).map_err(failed)
}
