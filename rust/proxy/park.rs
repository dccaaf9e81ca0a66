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
//! nothing.

use crate::{cpulist, cpumask::Cpumask, hotplug::MapsGuard, plan, stats::STATS};
use core::sync::atomic::Ordering;
use kernel::prelude::*;

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

    let guard = MapsGuard::lock();
    let online = guard.online()?;
    let parked = guard.parked()?;
    let (req, online, parked) = (req.words(), online.words(), parked.words());
    if park {
        let n = plan::park(req, online, parked, change.words_mut()).map_err(plan_error)?;
        park_set(&guard, &change)?;
        STATS.parks.fetch_add(n.into(), Ordering::Relaxed);
    } else {
        let n = plan::unpark(req, online, parked, change.words_mut()).map_err(plan_error)?;
        unpark_set(&guard, &change);
        STATS.unparks.fetch_add(n.into(), Ordering::Relaxed);
    }
    Ok(())
}

fn park_set(guard: &MapsGuard, set: &Cpumask) -> Result {
    let cpus = set.words();
    plan::for_each_bit(cpus, |cpu| guard.set_parked(cpu, true));
    // Device interrupts first, while the CPUs are still active.
    if let Err(e) = guard.irqs_park(set) {
        plan::for_each_bit(cpus, |cpu| guard.set_parked(cpu, false));
        return Err(e);
    }
    plan::for_each_bit(cpus, |cpu| guard.sched_park(cpu));
    let mut result = Ok(());
    plan::for_each_bit(cpus, |cpu| {
        if result.is_ok() {
            result = guard.sched_park_wait(cpu, DRAIN_TIMEOUT_NS);
        }
    });
    if result.is_err() {
        pr_warn!("park: a CPU did not drain its tasks; rolled back\n");
        unpark_set(guard, set);
    }
    result
}

fn unpark_set(guard: &MapsGuard, set: &Cpumask) {
    let cpus = set.words();
    plan::for_each_bit(cpus, |cpu| guard.sched_unpark(cpu));
    guard.irqs_unpark(set);
    plan::for_each_bit(cpus, |cpu| guard.set_parked(cpu, false));
}
