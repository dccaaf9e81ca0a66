// SPDX-License-Identifier: GPL-2.0

//! Park and unpark: what a write to the `park` or `unpark` file does.
//!
//! A write parses its cpulist, takes the hotplug map lock, decides with
//! [`plan`] which CPUs change, and applies that: device interrupts that
//! target the CPUs move away, then every CPU of the set is kicked first
//! and waited for afterwards, so that parking k CPUs costs
//! about one push round, not k. A CPU that does not drain in time fails the
//! whole write with `EBUSY` (`EINTR` if the writer is killed meanwhile)
//! and the set is rolled back: a write either changes all it names or
//! nothing. A rollback waits, whatever happens to the writer, until every
//! CPU it touched is out of its park loop before it drops that CPU's
//! proxy: until then the proxy is all that serves the CPU.

use crate::{
    cpulist,
    cpumask::{self, Cpumask},
    hotplug::{self, MapsGuard},
    plan,
    stats::STATS,
    sys::ratelimited,
};
use core::sync::atomic::Ordering;
use kernel::{bindings, prelude::*};

/// How long a parking CPU may take to push its tasks away. A task in a
/// long non-preemptible kernel section keeps its CPU until it reaches a
/// preemption point (a native offline would wait for it too); past this,
/// or if the writer is killed, the write fails and is rolled back.
const DRAIN_TIMEOUT_NS: u64 = 30_000_000_000;

fn parse_error(e: cpulist::ParseError) -> Error {
    match e {
        cpulist::ParseError::Invalid | cpulist::ParseError::Overflow => EINVAL,
        // A CPU number past nr_cpu_ids is a CPU that is not present.
        cpulist::ParseError::Range => ENODEV,
    }
}

fn plan_error(e: plan::PlanError) -> Error {
    match e {
        plan::PlanError::NotOnline => ENODEV,
        plan::PlanError::NoActiveCpu => EBUSY,
    }
}

/// Handles a write of `input` to `park` (`park == true`) or `unpark`.
pub(crate) fn write(input: &[u8], park: bool) -> Result {
    let mut req = Cpumask::new()?;
    cpulist::parse(input, &mut req.as_bits()).map_err(parse_error)?;
    let mut change = Cpumask::new()?;

    let mut guard = MapsGuard::lock();
    let online = guard.online()?;
    let parked = guard.parked()?;
    let (req, online, parked) = (req.words(), online.words(), parked.words());
    let n = if park {
        plan::park(req, online, parked, change.words_mut())
    } else {
        plan::unpark(req, online, parked, change.words_mut())
    }
    .map_err(plan_error)?;
    // A write that changes nothing (every CPU already as asked) does
    // nothing: no proxy choice, no pass over the interrupts.
    if n == 0 {
        return Ok(());
    }
    if park {
        guard.can_park(&change)?;
        park_set(&mut guard, &change)?;
        STATS.parks.fetch_add(n.into(), Ordering::Relaxed);
    } else {
        unpark_set(&mut guard, &change);
        STATS.unparks.fetch_add(n.into(), Ordering::Relaxed);
    }
    Ok(())
}

/// Re-assigns proxies after the parked or active CPUs changed: every
/// parked CPU gets an active proxy ([`plan::assign_proxies`]).
///
/// # Safety
///
/// The caller holds `cpu_maps_update_begin()`, directly or as the hotplug
/// thread of a CPU going down, so that the masks are stable.
pub(crate) unsafe fn reproxy() -> Result {
    let n = cpumask::nr_cpu_ids();
    // SAFETY: valid statics, stable under the lock the caller holds.
    let parked = unsafe { Cpumask::copy_of(core::ptr::addr_of!(bindings::__cpu_parked_mask))? };
    // SAFETY: as above.
    let mut active = unsafe { Cpumask::copy_of(core::ptr::addr_of!(bindings::__cpu_active_mask))? };
    for (a, p) in active.words_mut().iter_mut().zip(parked.words()) {
        *a &= !p;
    }
    let (old, place) = hotplug::proxies(n)?;
    let mut proxy = KVec::with_capacity(n as usize, GFP_KERNEL)?;
    let mut load = KVec::with_capacity(n as usize, GFP_KERNEL)?;
    for &p in old.iter() {
        proxy.push(p, GFP_KERNEL)?;
        load.push(0u32, GFP_KERNEL)?;
    }
    let at = |cpu: u32| place[cpu as usize];
    if !plan::assign_proxies(parked.words(), active.words(), at, &mut proxy, &mut load) {
        return Err(EBUSY);
    }
    // New assignments first, then the ones that went away, so that a
    // parked CPU always has a proxy.
    for cpu in 0..n as usize {
        if proxy[cpu] != old[cpu] && proxy[cpu] != plan::NO_PROXY {
            // SAFETY: the caller holds the lock; the proxy is active.
            unsafe { hotplug::set_proxy(cpu as u32, proxy[cpu]) };
        }
    }
    for cpu in 0..n as usize {
        if proxy[cpu] != old[cpu] && proxy[cpu] == plan::NO_PROXY {
            // SAFETY: the caller holds the lock; the CPU left its loop.
            unsafe { hotplug::set_proxy(cpu as u32, plan::NO_PROXY) };
        }
    }
    Ok(())
}

fn park_set(guard: &mut MapsGuard, set: &Cpumask) -> Result {
    let cpus = set.words();
    plan::for_each_bit(cpus, |cpu| guard.set_parked(cpu, true));
    // The CPUs wake now, while this writer chooses their proxies, and
    // wait for their request polling.
    guard.wake_early(set);
    // A proxy for every parked CPU first, re-proxying those whose proxy
    // parks now.
    // SAFETY: `guard` holds the lock.
    if let Err(e) = unsafe { reproxy() } {
        plan::for_each_bit(cpus, |cpu| guard.set_parked(cpu, false));
        // SAFETY: `guard` holds the lock.
        let _ = unsafe { reproxy() };
        return Err(e);
    }
    // Told next, each CPU goes from its last task straight into its park
    // loop. Telling cannot fail: every CPU of the set has a proxy now.
    // Leaving the active CPUs can: the deadline bandwidth admitted must
    // still fit on those that stay, as for an offline. Meanwhile this
    // writer moves the device interrupts off the set: one that fires on a
    // CPU before it moved is handled there, in or out of its loop.
    let mut result = Ok(());
    plan::for_each_bit(cpus, |cpu| {
        if result.is_ok() {
            let _ = guard.proxy_tell(cpu);
            result = guard.sched_park(cpu);
        }
    });
    if result.is_ok() {
        result = guard.irqs_park(set);
    }
    plan::for_each_bit(cpus, |cpu| {
        if result.is_ok() {
            result = guard
                .sched_park_wait(cpu, DRAIN_TIMEOUT_NS)
                .and_then(|()| guard.proxy_enter(cpu, DRAIN_TIMEOUT_NS));
        }
    });
    if result.is_err() {
        ratelimited!(pr_warn, "park: the set did not park; rolled back\n");
        unpark_set(guard, set);
    }
    result
}

fn unpark_set(guard: &mut MapsGuard, set: &Cpumask) {
    let cpus = set.words();
    // Every CPU is told first, with one wakeup, and they wake together;
    // this writer waits for each, and only then drops their proxies.
    // Their device interrupts come back once they are out of
    // `cpu_parked_mask`: an affinity programmed while a CPU is in it
    // leaves the CPU out (`irq_do_set_affinity()`), so that one given
    // back to CPUs of which only some unpark goes to those.
    guard.proxy_leave_set(set);
    plan::for_each_bit(cpus, |cpu| guard.proxy_leave(cpu, DRAIN_TIMEOUT_NS));
    plan::for_each_bit(cpus, |cpu| guard.sched_unpark(cpu));
    plan::for_each_bit(cpus, |cpu| guard.set_parked(cpu, false));
    guard.irqs_unpark(set);
    // Dropping proxies cannot fail for want of an active CPU; only for
    // memory, and then stale proxies of unparked CPUs are harmless
    // (nothing is sent to them).
    // SAFETY: `guard` holds the lock.
    let _ = unsafe { reproxy() };
}

/// Unparks every parked CPU, for a caller that already holds
/// `cpu_maps_update_begin()` (suspend takes every CPU but one down).
///
/// # Safety
///
/// The caller holds `cpu_maps_update_begin()`.
pub(crate) unsafe fn unpark_all_locked() {
    // SAFETY: the caller holds the lock, by the function's safety
    // requirements, for the whole of this function.
    let mut guard = unsafe { MapsGuard::assume_held() };
    let Ok(parked) = guard.parked() else {
        pr_err!("unpark: out of memory; parked CPUs left parked\n");
        return;
    };
    let n: u32 = parked.words().iter().map(|w| w.count_ones()).sum();
    if n == 0 {
        return;
    }
    pr_info!("unparking {} CPUs\n", n);
    unpark_set(&mut guard, &parked);
    STATS.unparks.fetch_add(n.into(), Ordering::Relaxed);
}

/// Handles a write of `input` to `offline` (`up == false`) or `online`:
/// the whole set changes in one hotplug operation, or nothing does.
pub(crate) fn hotplug_write(input: &[u8], up: bool) -> Result {
    let mut req = Cpumask::new()?;
    cpulist::parse(input, &mut req.as_bits()).map_err(parse_error)?;
    let mut change = Cpumask::new()?;

    let guard = MapsGuard::lock();
    let present = guard.present()?;
    let online = guard.online()?;
    let (reqw, pw, ow) = (req.words(), present.words(), online.words());
    let n = if up {
        plan::online(reqw, pw, ow, change.words_mut()).map_err(plan_error)?
    } else {
        let active = guard.active()?;
        let parked = guard.parked()?;
        plan::offline(
            reqw,
            pw,
            ow,
            active.words(),
            parked.words(),
            change.words_mut(),
        )
        .map_err(plan_error)?
    };
    if n == 0 {
        return Ok(());
    }
    guard.hotplug_mask(&change, up).map_err(|(e, cpu)| {
        // A refusal before any CPU was touched (-1) is the errno alone, as
        // for a write to cpuN/online; a CPU that failed is named.
        if cpu >= 0 {
            let what = if up { "online" } else { "offline" };
            pr_warn!(
                "{}: CPU{} failed (error {}); the set was rolled back\n",
                what,
                cpu,
                e.to_errno()
            );
        }
        e
    })
}
