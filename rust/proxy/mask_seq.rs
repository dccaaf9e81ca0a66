// SPDX-License-Identifier: GPL-2.0

//! The sequence of a mask hotplug operation: a set of CPUs taken offline,
//! or brought online, in one operation
//! (`/sys/devices/system/cpu/proxy/{offline,online}`).
//!
//! The hotplug state machine's internals (per-CPU `cpuhp_state`, the
//! hotplug threads, `stop_machine()`, the BP-side dead states) are static
//! in `kernel/cpu.c`, which keeps one step for each ([`Steps`]). The order
//! of the steps, what a failure undoes and which CPU reports it are
//! decided here, in pure code that `cargo test` on the host runs against
//! a model of the state machine.
//!
//! An offline ([`down`]), as `_cpu_down()` does for one CPU, for a set:
//!
//! 1. one `cpus_write_lock()` round, its grace periods expedited;
//! 2. the AP-side teardown of each CPU in turn, down to
//!    `CPUHP_TEARDOWN_CPU`, each in its hotplug thread: those callbacks
//!    were written for one CPU at a time (a deadline-bandwidth check that
//!    must see the CPUs before it gone, a successor picked among the
//!    online CPUs). The sched-domain and cpuset rebuild is done once, for
//!    the set ([`Steps::batch`]). A CPU whose callback fails is rolled
//!    back by its step, and the CPUs after it are not started;
//! 3. the hotplug threads of the set parked at once: asked first, waited
//!    for afterwards;
//! 4. one `stop_machine()` in which each CPU of the set, in turn, takes
//!    itself down; a CPU that refuses goes back to `CPUHP_TEARDOWN_CPU`;
//! 5. the BP-side dead states of each CPU that went down;
//! 6. on any failure, after the write lock is dropped, every CPU of the
//!    set that left `CPUHP_ONLINE` is brought back.
//!
//! An online ([`up`]):
//!
//! 1. one `cpus_write_lock()` round, its grace period expedited;
//! 2. the CPUs released one after the other up to `CPUHP_AP_ONLINE_IDLE`.
//!    Where the platform allows parallel bringup ([`Steps::parallel`]),
//!    each CPU is kicked (up to `CPUHP_BP_KICK_AP`, as the boot-time
//!    bringup does) before the one ahead of it is released, and runs its
//!    early bringup while that one comes up. Only one is kicked ahead: a
//!    kicked CPU spins until it is released, and spinning vCPUs slow down
//!    the one being released when the host has fewer CPUs than the guest.
//!    After a failure, only a CPU already kicked is still released, so
//!    that it does not spin on;
//! 3. the AP-side online states of each CPU in turn, the rebuild once;
//! 4. on a failure, after the write lock is dropped, every CPU of the set
//!    that came up, all the way or part of it, is taken down again.
//!
//! Either way the first failure is reported, with its CPU ([`Failed`]),
//! and the set is as it was before.

/// A set of CPU ids. The kernel's is a cpumask; the host's tests use
/// their own.
pub(crate) trait CpuSet {
    /// The first CPU of the set at or above `from`, if any
    /// (`cpumask_next()`).
    fn next_from(&self, from: u32) -> Option<u32>;
    /// Is `cpu` in the set?
    fn test(&self, cpu: u32) -> bool;
    /// Adds `cpu`.
    fn set(&mut self, cpu: u32);
    /// Empties the set.
    fn clear(&mut self);
    /// Is the set empty?
    fn is_empty(&self) -> bool {
        self.next_from(0).is_none()
    }
}

/// The CPUs of a set, in increasing order (`for_each_cpu()`).
pub(crate) struct Cpus<'a, S> {
    set: &'a S,
    from: Option<u32>,
}

impl<S: CpuSet> Iterator for Cpus<'_, S> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let cpu = self.set.next_from(self.from?)?;
        self.from = cpu.checked_add(1);
        Some(cpu)
    }
}

/// The CPUs of `set`, in increasing order.
pub(crate) fn cpus<S: CpuSet>(set: &S) -> Cpus<'_, S> {
    Cpus { set, from: Some(0) }
}

/// The hotplug states a step brings one CPU to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// `CPUHP_TEARDOWN_CPU`: the AP-side teardown done, the CPU still up.
    TeardownCpu,
    /// `CPUHP_BP_KICK_AP`: the CPU kicked, spinning until it is released.
    BpKickAp,
    /// `CPUHP_AP_ONLINE_IDLE`: the CPU up, in its idle loop.
    ApOnlineIdle,
    /// `CPUHP_ONLINE`.
    Online,
}

/// The steps of `kernel/cpu.c` that a mask operation is made of. Each
/// is one internal of the hotplug state machine, with no choice in it.
///
/// The contexts: process context, in a kernel thread on a CPU that
/// stays online (`work_on_cpu()`), with `cpu_maps_update_begin()` held
/// throughout. Steps marked "locked" run between [`Steps::write_lock`]
/// and [`Steps::write_unlock`]; the others outside.
pub(crate) trait Steps {
    /// A kernel error code.
    type Err: Copy;
    /// A set of CPUs.
    type Set: CpuSet;

    /// Expedites RCU grace periods, or stops doing so
    /// (`rcu_expedite_gp()`, `rcu_unexpedite_gp()`); nested.
    fn expedite(&mut self, on: bool);
    /// `cpus_write_lock()`; no tasks are frozen (`cpuhp_tasks_frozen`).
    fn write_lock(&mut self);
    /// `cpus_write_unlock()`.
    fn write_unlock(&mut self);
    /// Locked. Marks the AP-side states that follow as one batch
    /// (`cpuhp_mask_batch`): the scheduler leaves its sched-domain and
    /// cpuset rebuild to [`Steps::rebuild`].
    fn batch(&mut self, on: bool);
    /// Locked. The sched-domain and cpuset rebuild
    /// (`cpuset_update_active_cpus()`).
    fn rebuild(&mut self);
    /// Locked. Runs `cpu`'s AP-side states up or down to `target`
    /// ([`Target::TeardownCpu`] or [`Target::Online`]) in its hotplug
    /// thread, and waits; on a failure rolls it back to where it started
    /// (`cpuhp_kick_ap()`).
    fn kick_ap(&mut self, cpu: u32, target: Target) -> Result<(), Self::Err>;
    /// Locked. Is `cpu` at `target`?
    fn at(&self, cpu: u32, target: Target) -> bool;
    /// Locked. `cpu` is at `CPUHP_TEARDOWN_CPU`: the error injected for
    /// that state (`cpuN/hotplug/fail`), consumed, as the state machine
    /// would return it when it runs the state's callback.
    fn teardown_injected(&mut self, cpu: u32) -> Result<(), Self::Err>;
    /// Locked. `cpu`, at `CPUHP_TEARDOWN_CPU`, starts that state: it is
    /// to go offline, and its hotplug thread is asked to park
    /// (`kthread_park_start()`). Returns whether the thread must be
    /// waited for ([`Steps::park_wait`]); false if it was parked already.
    fn teardown_start(&mut self, cpu: u32) -> bool;
    /// Locked. Waits for `cpu`'s hotplug thread to park
    /// (`kthread_park_wait()`).
    fn park_wait(&mut self, cpu: u32);
    /// Locked. `irq_lock_sparse()`, then one `stop_machine()` in which
    /// each CPU of `set`, in turn, takes itself down (`take_cpu_down()`).
    /// Returns the first error of a CPU that refused, if any.
    fn stop(&mut self, set: &Self::Set) -> Result<(), Self::Err>;
    /// Is `cpu` online?
    fn online(&self, cpu: u32) -> bool;
    /// Locked. `cpu` refused to go down in [`Steps::stop`]: back to
    /// `CPUHP_TEARDOWN_CPU`, its hotplug thread unparked.
    fn refused(&mut self, cpu: u32);
    /// Locked. Waits for `cpu`, which went down in [`Steps::stop`], to
    /// reach `CPUHP_AP_IDLE_DEAD`.
    fn reap(&mut self, cpu: u32);
    /// Locked. `irq_unlock_sparse()`, the end of [`Steps::stop`].
    fn stop_end(&mut self);
    /// Locked. The BP-side dead states of `cpu`, which went down:
    /// `__cpu_die()`, the tick and RCU callbacks taken over, then the
    /// states down to `CPUHP_OFFLINE` (a failure there is a kernel bug,
    /// and warns).
    fn dead(&mut self, cpu: u32);
    /// Locked. Brings offline `cpu` up to `target` ([`Target::BpKickAp`]
    /// or [`Target::ApOnlineIdle`]), from where it is
    /// (`_cpu_up()`); rolls it back on a failure, where it can.
    fn bringup(&mut self, cpu: u32, target: Target) -> Result<(), Self::Err>;
    /// `arch_smt_update()`.
    fn smt_update(&mut self);
    /// Brings `cpu` back online, undoing a failed offline (`_cpu_up()`;
    /// a failure warns).
    fn undo_down(&mut self, cpu: u32);
    /// Takes `cpu` offline, undoing a failed online (`_cpu_down()`; a
    /// failure warns).
    fn undo_up(&mut self, cpu: u32);
    /// May the CPUs be brought up in parallel, each kicked ahead?
    fn parallel(&self) -> bool;
    /// `EBUSY`: the error of a CPU that stayed up through a
    /// [`Steps::stop`] that reported none.
    fn busy(&self) -> Self::Err;
}

/// The first failure of a mask operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Failed<E> {
    /// The error.
    pub(crate) err: E,
    /// The CPU it came from.
    pub(crate) cpu: u32,
}

/// Keeps the first failure of an operation.
struct First<E>(Option<Failed<E>>);

impl<E: Copy> First<E> {
    fn note(&mut self, err: E, cpu: u32) {
        if self.0.is_none() {
            self.0 = Some(Failed { err, cpu });
        }
    }

    fn failed(&self) -> bool {
        self.0.is_some()
    }

    fn result(self) -> Result<(), Failed<E>> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The AP-side states of each CPU of `set`, in turn, to `target`, as one
/// batch, then the rebuild. Stops at the first CPU that fails (its step
/// rolled it back); the CPUs before it stay at `target`. Locked.
fn ap_states<T: Steps>(steps: &mut T, set: &T::Set, target: Target) -> Result<(), Failed<T::Err>> {
    steps.batch(true);
    let mut ret = Ok(());
    for cpu in cpus(set) {
        if let Err(err) = steps.kick_ap(cpu, target) {
            ret = Err(Failed { err, cpu });
            break;
        }
    }
    steps.batch(false);
    ret
}

/// Takes the CPUs of `set` offline in one operation; on a failure, brings
/// back those that went, and returns the first failure. `undo` and
/// `parking` are scratch sets.
///
/// The caller checked that the set may go offline, and runs this on a CPU
/// that stays online.
pub(crate) fn down<T: Steps>(
    steps: &mut T,
    set: &T::Set,
    undo: &mut T::Set,
    parking: &mut T::Set,
) -> Result<(), Failed<T::Err>> {
    undo.clear();
    if set.is_empty() {
        return Ok(());
    }
    // The grace periods the batch waits for are expedited, from the one of
    // `cpus_write_lock()` itself to those of the AP-side teardown.
    steps.expedite(true);
    steps.write_lock();
    let first = ap_states(steps, set, Target::TeardownCpu);
    steps.expedite(false);
    // Done once for the set: done per CPU, a rebuild moves the CPUs still
    // on their way down to the default root domain, whose deadline
    // bandwidth check then finds no capacity and fails them.
    steps.rebuild();
    let mut first = First(first.err());
    if first.failed() {
        // The failed CPU is back online; bring back those before it.
        for cpu in cpus(set) {
            if steps.at(cpu, Target::TeardownCpu) {
                undo.set(cpu);
            }
        }
    } else {
        stop(steps, set, undo, parking, &mut first);
    }
    steps.write_unlock();
    steps.smt_update();
    for cpu in cpus(undo) {
        steps.undo_down(cpu);
    }
    first.result()
}

/// `CPUHP_TEARDOWN_CPU` for every CPU of `set`, which is there: its
/// hotplug thread parked, one `stop_machine()` for the set, then the
/// BP-side dead states. What must be brought back goes to `undo`. Locked.
fn stop<T: Steps>(
    steps: &mut T,
    set: &T::Set,
    undo: &mut T::Set,
    parking: &mut T::Set,
    first: &mut First<T::Err>,
) {
    // A failure injected for `CPUHP_TEARDOWN_CPU` fails the set there,
    // before anything of the state ran, as it fails one CPU's offline.
    for cpu in cpus(set) {
        if let Err(err) = steps.teardown_injected(cpu) {
            first.note(err, cpu);
            for cpu in cpus(set) {
                undo.set(cpu);
            }
            return;
        }
    }
    // The hotplug threads of the set park at once: asked first, waited
    // for afterwards.
    parking.clear();
    for cpu in cpus(set) {
        if steps.teardown_start(cpu) {
            parking.set(cpu);
        }
    }
    for cpu in cpus(parking) {
        steps.park_wait(cpu);
    }
    let stopped = steps.stop(set);
    for cpu in cpus(set) {
        if steps.online(cpu) {
            // It refused to die: back to `CPUHP_TEARDOWN_CPU`, and the
            // whole set back online. A CPU that stayed although the stop
            // reports no error is busy.
            steps.refused(cpu);
            match stopped {
                Err(err) => first.note(err, cpu),
                Ok(()) => first.note(steps.busy(), cpu),
            }
            undo.set(cpu);
        } else {
            steps.reap(cpu);
        }
    }
    steps.stop_end();
    for cpu in cpus(set) {
        if steps.online(cpu) {
            continue;
        }
        steps.dead(cpu);
        if first.failed() {
            undo.set(cpu);
        }
    }
}

/// Brings the CPUs of `set` online in one operation; on a failure, takes
/// down those that came up, and returns the first failure.
///
/// The caller checked that the set may come online.
pub(crate) fn up<T: Steps>(steps: &mut T, set: &T::Set) -> Result<(), Failed<T::Err>> {
    if set.is_empty() {
        return Ok(());
    }
    let kick = steps.parallel();
    steps.expedite(true);
    steps.write_lock();
    steps.expedite(false);
    let mut first = First(None);
    let mut prev = None;
    for cpu in cpus(set) {
        if kick {
            bringup(steps, cpu, Target::BpKickAp, &mut first);
        }
        if let Some(p) = prev {
            bringup(steps, p, Target::ApOnlineIdle, &mut first);
        }
        prev = Some(cpu);
    }
    if let Some(p) = prev {
        bringup(steps, p, Target::ApOnlineIdle, &mut first);
    }
    if !first.failed() {
        if let Err(f) = ap_states(steps, set, Target::Online) {
            first.note(f.err, f.cpu);
        }
        steps.rebuild();
    }
    steps.write_unlock();
    steps.smt_update();
    if first.failed() {
        // Take down what came up, all the way or part of it.
        for cpu in cpus(set) {
            if steps.online(cpu) {
                steps.undo_up(cpu);
            }
        }
    }
    first.result()
}

/// Brings `cpu` to `target`, unless an earlier CPU failed; a CPU kicked
/// ahead is still released then, so that it does not spin on. Locked.
fn bringup<T: Steps>(steps: &mut T, cpu: u32, target: Target, first: &mut First<T::Err>) {
    if first.failed() && !steps.at(cpu, Target::BpKickAp) {
        return;
    }
    if let Err(err) = steps.bringup(cpu, target) {
        first.note(err, cpu);
    }
}

/// Why a mask operation is refused before it starts; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The platform cannot take CPUs offline (`EOPNOTSUPP`).
    NotSupported,
    /// Hotplug is disabled, or no CPU would be left to run the operation
    /// (`EBUSY`).
    Busy,
    /// A CPU of the set may not go offline (`EPERM`).
    NotPermitted,
}

/// What an offline of a set needs, as the machine reports it.
pub(crate) struct DownCheck {
    /// The platform can take CPUs offline.
    pub(crate) supported: bool,
    /// Hotplug is enabled.
    pub(crate) enabled: bool,
}

/// May a set go offline? `may_offline` says whether each CPU's device may
/// (x86's boot CPU's may not); that is what `device_offline()` checks.
pub(crate) fn check_down<S: CpuSet>(
    check: DownCheck,
    set: &S,
    mut may_offline: impl FnMut(u32) -> bool,
) -> Result<(), Refused> {
    if !check.supported {
        return Err(Refused::NotSupported);
    }
    if !check.enabled {
        return Err(Refused::Busy);
    }
    if cpus(set).all(&mut may_offline) {
        Ok(())
    } else {
        Err(Refused::NotPermitted)
    }
}

/// The CPU to run an offline of `set` on, as `cpu_down_maps_locked()`
/// chooses one: the first of `candidates` (the active housekeeping CPUs)
/// that is neither in the set nor parked. None if there is none: the
/// offline is refused ([`Refused::Busy`]).
pub(crate) fn control_cpu<S: CpuSet>(
    mut candidates: impl Iterator<Item = u32>,
    set: &S,
    mut parked: impl FnMut(u32) -> bool,
) -> Option<u32> {
    candidates.find(|&cpu| !set.test(cpu) && !parked(cpu))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::{collections::BTreeSet, vec, vec::Vec};

    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    struct Set(BTreeSet<u32>);

    impl Set {
        fn of(cpus: &[u32]) -> Self {
            Self(cpus.iter().copied().collect())
        }
    }

    impl CpuSet for Set {
        fn next_from(&self, from: u32) -> Option<u32> {
            self.0.range(from..).next().copied()
        }
        fn test(&self, cpu: u32) -> bool {
            self.0.contains(&cpu)
        }
        fn set(&mut self, cpu: u32) {
            self.0.insert(cpu);
        }
        fn clear(&mut self) {
            self.0.clear();
        }
    }

    /// A CPU's place in the model of the hotplug state machine.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum St {
        Offline,
        /// Kicked, spinning until released.
        KickAp,
        OnlineIdle,
        /// At `CPUHP_TEARDOWN_CPU`.
        Teardown,
        /// Running `CPUHP_TEARDOWN_CPU`, to go offline.
        TakingDown,
        /// Gone in the stop, not yet dead.
        Dying,
        Online,
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Thread {
        Running,
        Parking,
        Parked,
    }

    const EIO: i32 = -5;
    const EBUSY: i32 = -16;
    const EAGAIN: i32 = -11;

    /// A model of the hotplug state machine: every step checks that it is
    /// taken where the sequence may take it, and failures are injected.
    struct Machine {
        st: Vec<St>,
        thread: Vec<Thread>,
        locked: bool,
        expedited: i32,
        batch: bool,
        sparse: bool,
        rebuilds: u32,
        smt_updates: u32,
        stops: u32,
        parallel: bool,
        /// `kick_ap()` of this CPU to this target fails.
        fail_kick: Option<(u32, Target)>,
        /// `bringup()` of this CPU to this target fails.
        fail_bringup: Vec<(u32, Target)>,
        /// These CPUs stay up in the stop...
        refuse: BTreeSet<u32>,
        /// ... which reports this error, or none.
        stop_err: Option<i32>,
        /// An error injected for this CPU's `CPUHP_TEARDOWN_CPU`.
        fail_teardown: Option<u32>,
        /// Hotplug threads already parked when their teardown starts.
        pre_parked: BTreeSet<u32>,
        /// The steps taken, in order, with their CPU.
        log: Vec<(&'static str, u32)>,
    }

    impl Machine {
        fn new(n: u32, online: &[u32]) -> Self {
            let st = (0..n)
                .map(|c| {
                    if online.contains(&c) {
                        St::Online
                    } else {
                        St::Offline
                    }
                })
                .collect::<Vec<_>>();
            let thread = st
                .iter()
                .map(|s| {
                    if *s == St::Online {
                        Thread::Running
                    } else {
                        Thread::Parked
                    }
                })
                .collect();
            Self {
                st,
                thread,
                locked: false,
                expedited: 0,
                batch: false,
                sparse: false,
                rebuilds: 0,
                smt_updates: 0,
                stops: 0,
                parallel: false,
                fail_kick: None,
                fail_bringup: vec![],
                refuse: BTreeSet::new(),
                stop_err: None,
                fail_teardown: None,
                pre_parked: BTreeSet::new(),
                log: vec![],
            }
        }

        fn at_(&self, cpu: u32) -> St {
            self.st[cpu as usize]
        }

        fn set_st(&mut self, cpu: u32, st: St) {
            self.st[cpu as usize] = st;
        }

        fn th(&self, cpu: u32) -> Thread {
            self.thread[cpu as usize]
        }

        fn set_th(&mut self, cpu: u32, t: Thread) {
            self.thread[cpu as usize] = t;
        }

        fn log(&mut self, step: &'static str, cpu: u32) {
            self.log.push((step, cpu));
        }

        fn first(&self, step: &str) -> Option<usize> {
            self.log.iter().position(|(s, _)| *s == step)
        }

        fn last(&self, step: &str) -> Option<usize> {
            self.log.iter().rposition(|(s, _)| *s == step)
        }

        /// What must hold once an operation returned.
        fn assert_quiet(&self) {
            assert!(!self.locked, "the write lock is still held");
            assert_eq!(self.expedited, 0, "expedited grace periods left on");
            assert!(!self.batch, "the batch is still marked");
            assert!(!self.sparse, "irq_lock_sparse() is still held");
            for (cpu, st) in self.st.iter().enumerate() {
                let t = self.thread[cpu];
                match st {
                    St::Online => assert_eq!(t, Thread::Running, "CPU{cpu}'s thread"),
                    St::Offline => assert_eq!(t, Thread::Parked, "CPU{cpu}'s thread"),
                    _ => panic!("CPU{cpu} left at {st:?}"),
                }
            }
        }
    }

    impl Steps for Machine {
        type Err = i32;
        type Set = Set;

        fn expedite(&mut self, on: bool) {
            self.expedited += if on { 1 } else { -1 };
            assert!(self.expedited >= 0);
        }
        fn write_lock(&mut self) {
            assert!(!self.locked, "write lock taken twice");
            self.locked = true;
            self.log("lock", 0);
        }
        fn write_unlock(&mut self) {
            assert!(self.locked, "write lock released, not held");
            assert!(!self.batch && !self.sparse);
            self.locked = false;
            self.log("unlock", 0);
        }
        fn batch(&mut self, on: bool) {
            assert!(self.locked && self.batch != on);
            self.batch = on;
        }
        fn rebuild(&mut self) {
            assert!(self.locked && !self.batch, "rebuild inside the batch");
            self.rebuilds += 1;
            self.log("rebuild", 0);
        }
        fn kick_ap(&mut self, cpu: u32, target: Target) -> Result<(), i32> {
            assert!(self.locked && self.batch, "AP states outside the batch");
            self.log("kick_ap", cpu);
            let fail = self.fail_kick == Some((cpu, target));
            match target {
                Target::TeardownCpu => {
                    assert_eq!((self.at_(cpu), self.th(cpu)), (St::Online, Thread::Running));
                    if fail {
                        return Err(EIO);
                    }
                    self.set_st(cpu, St::Teardown);
                }
                Target::Online => {
                    assert_eq!(self.at_(cpu), St::OnlineIdle);
                    if fail {
                        return Err(EIO);
                    }
                    self.set_st(cpu, St::Online);
                }
                _ => panic!("kick_ap() to {target:?}"),
            }
            Ok(())
        }
        fn at(&self, cpu: u32, target: Target) -> bool {
            assert!(self.locked);
            let st = self.at_(cpu);
            match target {
                Target::TeardownCpu => st == St::Teardown,
                Target::BpKickAp => st == St::KickAp,
                Target::ApOnlineIdle => st == St::OnlineIdle,
                Target::Online => st == St::Online,
            }
        }
        fn teardown_injected(&mut self, cpu: u32) -> Result<(), i32> {
            assert!(self.locked && !self.batch);
            assert_eq!(self.at_(cpu), St::Teardown);
            if self.fail_teardown == Some(cpu) {
                self.fail_teardown = None;
                return Err(EAGAIN);
            }
            Ok(())
        }
        fn teardown_start(&mut self, cpu: u32) -> bool {
            assert!(self.locked && !self.batch);
            assert_eq!(self.at_(cpu), St::Teardown);
            self.log("teardown_start", cpu);
            self.set_st(cpu, St::TakingDown);
            if self.pre_parked.contains(&cpu) {
                self.set_th(cpu, Thread::Parked);
                return false;
            }
            assert_eq!(self.th(cpu), Thread::Running);
            self.set_th(cpu, Thread::Parking);
            true
        }
        fn park_wait(&mut self, cpu: u32) {
            assert!(self.locked);
            assert_eq!(
                self.th(cpu),
                Thread::Parking,
                "CPU{cpu}: a wait for no park"
            );
            self.log("park_wait", cpu);
            self.set_th(cpu, Thread::Parked);
        }
        fn stop(&mut self, set: &Set) -> Result<(), i32> {
            assert!(self.locked && !self.sparse);
            self.sparse = true;
            self.stops += 1;
            self.log("stop", 0);
            for cpu in cpus(set) {
                assert_eq!(
                    (self.at_(cpu), self.th(cpu)),
                    (St::TakingDown, Thread::Parked)
                );
                if !self.refuse.contains(&cpu) {
                    self.set_st(cpu, St::Dying);
                }
            }
            match (self.refuse.is_empty(), self.stop_err) {
                (false, Some(err)) => Err(err),
                _ => Ok(()),
            }
        }
        fn online(&self, cpu: u32) -> bool {
            !matches!(self.at_(cpu), St::Offline | St::Dying | St::KickAp)
        }
        fn refused(&mut self, cpu: u32) {
            assert!(self.locked && self.sparse);
            assert_eq!(self.at_(cpu), St::TakingDown);
            self.set_st(cpu, St::Teardown);
            self.set_th(cpu, Thread::Running);
        }
        fn reap(&mut self, cpu: u32) {
            assert!(self.locked && self.sparse);
            assert_eq!(self.at_(cpu), St::Dying);
            self.log("reap", cpu);
        }
        fn stop_end(&mut self) {
            assert!(self.sparse);
            self.sparse = false;
        }
        fn dead(&mut self, cpu: u32) {
            assert!(self.locked && !self.sparse);
            assert_eq!(self.at_(cpu), St::Dying);
            assert!(
                self.log.contains(&("reap", cpu)),
                "CPU{cpu} dead before it was reaped"
            );
            self.set_st(cpu, St::Offline);
        }
        fn bringup(&mut self, cpu: u32, target: Target) -> Result<(), i32> {
            assert!(self.locked && !self.batch);
            self.log("bringup", cpu);
            let fail = self.fail_bringup.contains(&(cpu, target));
            match target {
                Target::BpKickAp => assert_eq!(self.at_(cpu), St::Offline),
                Target::ApOnlineIdle => {
                    assert!(matches!(self.at_(cpu), St::Offline | St::KickAp))
                }
                _ => panic!("bringup() to {target:?}"),
            }
            if fail {
                self.set_st(cpu, St::Offline);
                return Err(EAGAIN);
            }
            if target == Target::BpKickAp {
                self.set_st(cpu, St::KickAp);
            } else {
                self.set_st(cpu, St::OnlineIdle);
                self.set_th(cpu, Thread::Running);
            }
            Ok(())
        }
        fn smt_update(&mut self) {
            assert!(!self.locked);
            self.smt_updates += 1;
        }
        fn undo_down(&mut self, cpu: u32) {
            assert!(!self.locked, "CPU{cpu} brought back under the write lock");
            self.log("undo_down", cpu);
            match (self.at_(cpu), self.th(cpu)) {
                (St::Teardown, Thread::Running) | (St::Offline, Thread::Parked) => {}
                other => panic!("CPU{cpu} brought back from {other:?}"),
            }
            self.set_st(cpu, St::Online);
            self.set_th(cpu, Thread::Running);
        }
        fn undo_up(&mut self, cpu: u32) {
            assert!(!self.locked, "CPU{cpu} taken down under the write lock");
            self.log("undo_up", cpu);
            assert!(matches!(self.at_(cpu), St::OnlineIdle | St::Online));
            self.set_st(cpu, St::Offline);
            self.set_th(cpu, Thread::Parked);
        }
        fn parallel(&self) -> bool {
            self.parallel
        }
        fn busy(&self) -> i32 {
            EBUSY
        }
    }

    const N: u32 = 5;

    /// Every non-empty subset of CPUs 1..N (CPU 0 runs the operation).
    fn sets() -> impl Iterator<Item = Set> {
        (1u32..(1 << (N - 1)))
            .map(|bits| Set((1..N).filter(|c| bits & (1 << (c - 1)) != 0).collect()))
    }

    fn run_down(m: &mut Machine, set: &Set) -> Result<(), Failed<i32>> {
        let (mut undo, mut parking) = (Set::default(), Set::default());
        let ret = down(m, set, &mut undo, &mut parking);
        m.assert_quiet();
        assert_eq!(m.smt_updates, 1);
        assert_eq!(m.rebuilds, 1, "one rebuild for the set");
        ret
    }

    fn all_online() -> Vec<u32> {
        (0..N).collect()
    }

    fn assert_down_undone(m: &Machine) {
        for cpu in 0..N {
            assert_eq!(m.at_(cpu), St::Online, "CPU{cpu} not brought back");
        }
    }

    #[test]
    fn an_offline_takes_the_set_down_and_nothing_else() {
        for set in sets() {
            for pre in [false, true] {
                let mut m = Machine::new(N, &all_online());
                if pre {
                    m.pre_parked = set.0.iter().take(1).copied().collect();
                }
                assert_eq!(run_down(&mut m, &set), Ok(()));
                for cpu in 0..N {
                    let want = if set.test(cpu) {
                        St::Offline
                    } else {
                        St::Online
                    };
                    assert_eq!(m.at_(cpu), want, "CPU{cpu}, set {set:?}");
                }
                assert_eq!(m.stops, 1, "one stop_machine() for the set");
                // Every park is asked for before the first is waited for.
                if let (Some(ask), Some(wait)) = (m.last("teardown_start"), m.first("park_wait")) {
                    assert!(ask < wait, "a park waited for before all were asked");
                }
                let waits = m.log.iter().filter(|(s, _)| *s == "park_wait").count();
                assert_eq!(waits, set.0.len() - usize::from(pre));
            }
        }
    }

    #[test]
    fn an_offline_whose_ap_state_fails_brings_the_set_back() {
        for set in sets() {
            for &bad in &set.0 {
                let mut m = Machine::new(N, &all_online());
                m.fail_kick = Some((bad, Target::TeardownCpu));
                let ret = run_down(&mut m, &set);
                assert_eq!(ret, Err(Failed { err: EIO, cpu: bad }));
                assert_down_undone(&m);
                assert_eq!(m.stops, 0, "a stop after a failed AP state");
                // The CPUs after the failed one were not started.
                for (step, cpu) in &m.log {
                    if *step == "kick_ap" {
                        assert!(*cpu <= bad, "CPU{cpu} started after CPU{bad} failed");
                    }
                }
                // Only those before it, which went to CPUHP_TEARDOWN_CPU,
                // are brought back; the failed one rolled itself back.
                let undone: Vec<u32> = m
                    .log
                    .iter()
                    .filter(|(s, _)| *s == "undo_down")
                    .map(|(_, c)| *c)
                    .collect();
                let want: Vec<u32> = set.0.iter().copied().filter(|&c| c < bad).collect();
                assert_eq!(undone, want);
            }
        }
    }

    #[test]
    fn an_offline_a_cpu_refuses_in_the_stop_brings_the_set_back() {
        for set in sets() {
            for &bad in &set.0 {
                for stop_err in [Some(EAGAIN), None] {
                    let mut m = Machine::new(N, &all_online());
                    m.refuse.insert(bad);
                    m.stop_err = stop_err;
                    let ret = run_down(&mut m, &set);
                    let err = stop_err.unwrap_or(EBUSY);
                    assert_eq!(ret, Err(Failed { err, cpu: bad }));
                    assert_down_undone(&m);
                    // Every CPU that went down was reaped, and its dead
                    // states run (the model checks the order), before
                    // the lock was dropped and it was brought back.
                    let unlock = m.first("unlock").unwrap();
                    for (i, (s, c)) in m.log.iter().enumerate() {
                        if *s == "undo_down" {
                            assert!(i > unlock, "CPU{c} brought back under the lock");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn an_offline_with_a_failure_injected_at_teardown_brings_the_set_back() {
        for set in sets() {
            for &bad in &set.0 {
                let mut m = Machine::new(N, &all_online());
                m.fail_teardown = Some(bad);
                assert_eq!(
                    run_down(&mut m, &set),
                    Err(Failed {
                        err: EAGAIN,
                        cpu: bad
                    })
                );
                assert_down_undone(&m);
                assert_eq!(m.fail_teardown, None, "the injected failure not consumed");
                assert_eq!(m.stops, 0, "a stop after a failure at CPUHP_TEARDOWN_CPU");
                assert_eq!(m.first("teardown_start"), None);
            }
        }
    }

    #[test]
    fn an_offline_reports_the_first_of_two_refusals() {
        let set = Set::of(&[1, 2, 3]);
        let mut m = Machine::new(N, &all_online());
        m.refuse = [3, 2].into_iter().collect();
        m.stop_err = Some(EAGAIN);
        assert_eq!(
            run_down(&mut m, &set),
            Err(Failed {
                err: EAGAIN,
                cpu: 2
            })
        );
        assert_down_undone(&m);
    }

    #[test]
    fn an_empty_offline_does_nothing() {
        let mut m = Machine::new(N, &all_online());
        let (mut undo, mut parking) = (Set::of(&[1]), Set::default());
        assert_eq!(
            down(&mut m, &Set::default(), &mut undo, &mut parking),
            Ok(())
        );
        assert!(m.log.is_empty() && undo.is_empty());
        assert_eq!(up(&mut m, &Set::default()), Ok(()));
        assert!(m.log.is_empty());
    }

    fn run_up(m: &mut Machine, set: &Set) -> Result<(), Failed<i32>> {
        let ret = up(m, set);
        m.assert_quiet();
        assert_eq!(m.smt_updates, 1);
        ret
    }

    fn only_cpu0() -> Vec<u32> {
        vec![0]
    }

    fn assert_up_undone(m: &Machine) {
        for cpu in 1..N {
            assert_eq!(m.at_(cpu), St::Offline, "CPU{cpu} not taken back down");
        }
    }

    #[test]
    fn an_online_brings_the_set_up_and_nothing_else() {
        for set in sets() {
            for parallel in [false, true] {
                let mut m = Machine::new(N, &only_cpu0());
                m.parallel = parallel;
                assert_eq!(run_up(&mut m, &set), Ok(()));
                assert_eq!(m.rebuilds, 1);
                for cpu in 0..N {
                    let want = if cpu == 0 || set.test(cpu) {
                        St::Online
                    } else {
                        St::Offline
                    };
                    assert_eq!(m.at_(cpu), want, "CPU{cpu}, set {set:?}");
                }
                // In parallel, each CPU but the first is kicked before the
                // one ahead of it is released: bringups alternate.
                let order: Vec<u32> = m
                    .log
                    .iter()
                    .filter(|(s, _)| *s == "bringup")
                    .map(|(_, c)| *c)
                    .collect();
                let cpus: Vec<u32> = set.0.iter().copied().collect();
                let mut want = vec![];
                for (i, &c) in cpus.iter().enumerate() {
                    if parallel {
                        want.push(c);
                    }
                    if i > 0 {
                        want.push(cpus[i - 1]);
                    }
                }
                want.push(*cpus.last().unwrap());
                assert_eq!(order, want, "parallel {parallel}");
            }
        }
    }

    #[test]
    fn an_online_that_fails_takes_the_set_back_down() {
        for set in sets() {
            for &bad in &set.0 {
                for parallel in [false, true] {
                    let targets: &[Target] = if parallel {
                        &[Target::BpKickAp, Target::ApOnlineIdle, Target::Online]
                    } else {
                        &[Target::ApOnlineIdle, Target::Online]
                    };
                    for &target in targets {
                        let mut m = Machine::new(N, &only_cpu0());
                        m.parallel = parallel;
                        if target == Target::Online {
                            m.fail_kick = Some((bad, target));
                        } else {
                            m.fail_bringup.push((bad, target));
                        }
                        let ret = run_up(&mut m, &set);
                        let err = if target == Target::Online {
                            EIO
                        } else {
                            EAGAIN
                        };
                        assert_eq!(ret, Err(Failed { err, cpu: bad }), "{target:?}, {set:?}");
                        // No CPU left kicked and spinning, nor part way up.
                        assert_up_undone(&m);
                        let rebuilds = u32::from(target == Target::Online);
                        assert_eq!(m.rebuilds, rebuilds);
                    }
                }
            }
        }
    }

    #[test]
    fn an_online_releases_a_cpu_kicked_ahead_of_a_failure() {
        // CPU 1 fails to come up after CPU 2 was kicked: CPU 2 is still
        // released, CPU 3 is not kicked, and CPU 2 is taken down again.
        let set = Set::of(&[1, 2, 3]);
        let mut m = Machine::new(N, &only_cpu0());
        m.parallel = true;
        m.fail_bringup.push((1, Target::ApOnlineIdle));
        assert_eq!(
            run_up(&mut m, &set),
            Err(Failed {
                err: EAGAIN,
                cpu: 1
            })
        );
        let steps: Vec<(&str, u32)> = m
            .log
            .iter()
            .copied()
            .filter(|(s, _)| *s != "lock" && *s != "unlock")
            .collect();
        assert_eq!(
            steps,
            [
                ("bringup", 1),
                ("bringup", 2),
                ("bringup", 1),
                ("bringup", 2),
                ("undo_up", 2)
            ]
        );
        assert_up_undone(&m);
    }

    #[test]
    fn an_online_reports_the_first_failure() {
        // CPU 2's kick fails before CPU 1's release does.
        let set = Set::of(&[1, 2, 3]);
        let mut m = Machine::new(N, &only_cpu0());
        m.parallel = true;
        m.fail_bringup = vec![(2, Target::BpKickAp), (1, Target::ApOnlineIdle)];
        assert_eq!(
            run_up(&mut m, &set),
            Err(Failed {
                err: EAGAIN,
                cpu: 2
            })
        );
        assert_up_undone(&m);
    }

    #[test]
    fn an_offline_is_checked_before_it_starts() {
        let set = Set::of(&[1, 2]);
        let ok = DownCheck {
            supported: true,
            enabled: true,
        };
        assert_eq!(check_down(ok, &set, |_| true), Ok(()));
        let no = DownCheck {
            supported: false,
            enabled: true,
        };
        assert_eq!(check_down(no, &set, |_| true), Err(Refused::NotSupported));
        let off = DownCheck {
            supported: true,
            enabled: false,
        };
        assert_eq!(check_down(off, &set, |_| true), Err(Refused::Busy));
        let ok = DownCheck {
            supported: true,
            enabled: true,
        };
        assert_eq!(check_down(ok, &set, |c| c != 2), Err(Refused::NotPermitted));
    }

    #[test]
    fn an_offline_runs_on_a_cpu_that_stays() {
        let set = Set::of(&[0, 2]);
        assert_eq!(control_cpu(0..4, &set, |_| false), Some(1));
        assert_eq!(control_cpu(0..4, &set, |c| c == 1), Some(3));
        assert_eq!(control_cpu(0..4, &set, |c| c != 2), None);
        assert_eq!(control_cpu([2, 0].into_iter(), &set, |_| false), None);
    }
}
