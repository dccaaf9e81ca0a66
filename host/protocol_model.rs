// SPDX-License-Identifier: GPL-2.0

//! Model checking of the ownership protocol (`protocol.rs`)
//! with loom: every interleaving, up to a preemption bound, of a parked
//! CPU N, its proxies, a sender of cross-calls, a device interrupt on N,
//! NMIs on N, an unparker, a re-proxy and a `stop_machine()` that holds N.
//!
//! The model around the protocol is the kernel's, reduced to what the
//! protocol relies on:
//!
//! - N's call queue is a count: a sender adds to it (`llist_add()`, fully
//!   ordered) and sends an interrupt only if it was empty, as
//!   `__smp_call_single_queue()` does; whoever runs N's context takes the
//!   whole queue (`llist_del_all()`, fully ordered).
//! - An interrupt to N is latched until N takes it: `hlt` returns at once
//!   if one is latched. Sending one orders what the sender did before it
//!   (the kernel's IPI send has a full barrier).
//! - A kick is one irq_work per parked CPU: queued on a proxy only if not
//!   pending already (`irq_work_claim()`), run by that proxy, which
//!   clears it before it runs the handler.
//! - N's per-CPU context is a `loom::cell::UnsafeCell`: loom reports any
//!   two runs of it that are not ordered by the protocol.
//! - A stop's hold is `cpu_proxy_hold_parked()` (`hold.rs`), as written
//!   there, over the protocol's owner word: `HALTED -> STOPPED` once N
//!   halted, `STOPPED -> HALTED` and a kick as the stop ends.
//!
//! Every store is a swap of the same ordering: loom 0.7 can order a
//! plain store before a concurrent read-modify-write of the same word
//! that did not read it, which C11 forbids. A swap is placed as a store
//! may be, but it reads the store before it: it continues that store's
//! release sequence, and an acquire or SeqCst fence after it synchronises
//! with that store's writer. That is more order than a plain store gives,
//! so this model can miss a bug that needs a store to break a release
//! sequence.
//!
//! Once the threads are done, whatever is still in flight (a latched
//! interrupt, a queued kick, a proxy's retry timer) is delivered, in turn,
//! until nothing is. Then nothing may be left: no queued call, no
//! re-arm for the new proxy.

use crate::protocol::{
    Context, Fresh, Lkmm, Recheck, Service, Take, Word, HALTED, NATIVE, NO_PROXY, STOPPED,
    STOPPED_NMI,
};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{fence, AtomicI32, AtomicUsize, Ordering::*};
use loom::sync::Arc;
use loom::thread;
// Counts across executions, outside the model.
use std::sync::atomic::AtomicUsize as StdAtomicUsize;

/// The protocol in C11, mapped as `protocol.rs` documents.
struct C11;

impl Word for AtomicI32 {
    fn read(&self) -> i32 {
        self.load(Relaxed)
    }
    fn write(&self, v: i32) {
        self.swap(v, Relaxed);
    }
    fn write_release(&self, v: i32) {
        self.swap(v, Release);
    }
    fn cmpxchg_acquire(&self, old: i32, new: i32) -> i32 {
        match self.compare_exchange(old, new, Acquire, Relaxed) {
            Ok(v) | Err(v) => v,
        }
    }
    fn cmpxchg(&self, old: i32, new: i32) -> i32 {
        // A failed kernel cmpxchg orders nothing: no fence, and no
        // acquire, on failure. On success the kernel's is fully ordered;
        // the model has the fence after it only, which is weaker (it can
        // only add executions): a fence before it, taken on failure too,
        // ordered what the kernel does not and hid a missing release.
        match self.compare_exchange(old, new, AcqRel, Relaxed) {
            Ok(v) => {
                fence(SeqCst);
                v
            }
            Err(v) => v,
        }
    }
    fn xchg(&self, v: i32) -> i32 {
        fence(SeqCst);
        let old = self.swap(v, AcqRel);
        fence(SeqCst);
        old
    }
}

impl Fresh for C11 {
    fn word(v: i32) -> AtomicI32 {
        AtomicI32::new(v)
    }
}

impl Lkmm for C11 {
    type Word = AtomicI32;
    fn mb() {
        fence(SeqCst)
    }
    fn relax() {
        thread::yield_now()
    }
}

/// A broken instantiation: every operation relaxed, no barrier. The
/// checker must reject it.
struct Relaxed_;

/// A word whose operations are all relaxed.
struct RelaxedWord(AtomicI32);

impl Word for RelaxedWord {
    fn read(&self) -> i32 {
        self.0.load(Relaxed)
    }
    fn write(&self, v: i32) {
        self.0.swap(v, Relaxed);
    }
    fn write_release(&self, v: i32) {
        self.0.swap(v, Relaxed);
    }
    fn cmpxchg_acquire(&self, old: i32, new: i32) -> i32 {
        match self.0.compare_exchange(old, new, Relaxed, Relaxed) {
            Ok(v) | Err(v) => v,
        }
    }
    fn cmpxchg(&self, old: i32, new: i32) -> i32 {
        match self.0.compare_exchange(old, new, Relaxed, Relaxed) {
            Ok(v) | Err(v) => v,
        }
    }
    fn xchg(&self, v: i32) -> i32 {
        self.0.swap(v, Relaxed)
    }
}

impl Fresh for Relaxed_ {
    fn word(v: i32) -> RelaxedWord {
        RelaxedWord(AtomicI32::new(v))
    }
}

impl Lkmm for Relaxed_ {
    type Word = RelaxedWord;
    fn mb() {}
    fn relax() {
        thread::yield_now()
    }
}

/// A broken instantiation: C11, but `smp_mb()` is missing. The checker
/// must reject it.
struct NoMb;

impl Fresh for NoMb {
    fn word(v: i32) -> AtomicI32 {
        AtomicI32::new(v)
    }
}

impl Lkmm for NoMb {
    type Word = AtomicI32;
    fn mb() {}
    fn relax() {
        thread::yield_now()
    }
}

/// Where N's park loop stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NState {
    /// In `hlt`, with no interrupt latched when it got there.
    Halted,
    /// Out of its park loop, running itself.
    Left,
}

/// What N's per-CPU context holds, for the checks.
#[derive(Default)]
struct PerCpu {
    /// N left its park loop.
    left: bool,
    /// Passes run in N's context, by N or a proxy.
    passes: u32,
}

/// How a proxy treats N found on its way to `hlt`, and how N gets there.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Halting {
    /// As the kernel does: the proxy looks again later (the retry timer),
    /// and N looks at its work once more after it set `halting`.
    Retry,
    /// Wrongly: the proxy acts as if N would see the work itself.
    Ignore,
    /// Wrongly: N does not look at its work again after `halting`.
    NoRecheck,
}

/// How an NMI on N treats its context (`cpu_proxy_nmi_claim()`, C).
#[derive(Clone, Copy, PartialEq, Eq)]
enum NmiClaim {
    /// As the kernel does: it takes the context from `HALTED`, leaves
    /// `halting` as it found it, and gives the context back as it returns.
    Kernel,
    /// Wrongly: it clears `halting`, as an interrupt's claim does.
    ClearsHalting,
    /// Wrongly: it gives the context back as `HALTED`, whatever it took
    /// it from (a stop's `STOPPED` included).
    ReleasesHalted,
}

/// Where an NMI lands on N after N released its context.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nmi {
    /// Before `sti; hlt`, interrupts off: it returns there, and N halts.
    Window(NmiClaim),
    /// In the STI shadow, on the `hlt`: STI does not hold an NMI off. It
    /// gives the context back and returns to the `hlt` with interrupts on,
    /// where an interrupt latched meanwhile is taken first. `skip`: that
    /// interrupt, which took the context, returns past the `hlt`, and N
    /// goes on awake (`cpu_proxy_irq_claim()`, the kernel); otherwise it
    /// returns to the `hlt`, which sleeps.
    Shadow { skip: bool },
}

/// The machine around one parked CPU N and two possible proxies, 0 and 1.
struct Env<L: Fresh> {
    ctx: Context<L>,
    /// Calls queued for N.
    queue: AtomicUsize,
    /// Calls run, by N or a proxy.
    done: AtomicUsize,
    /// An interrupt latched at N.
    irq: AtomicUsize,
    /// N's kick: 0, or 1 + the proxy it is queued on.
    kick: AtomicI32,
    /// A proxy's retry timer for N is armed.
    retry: [AtomicUsize; 2],
    /// A proxy's timer for N's next event fired (`pc->timer`).
    timer: [AtomicUsize; 2],
    /// N is in its park loop (`pc->installed`).
    installed: AtomicUsize,
    /// N's per-CPU context.
    pcpu: UnsafeCell<PerCpu>,
    halting: Halting,
    /// Which proxy's hrtimer holds N's next event (`pc->timer`), or -1;
    /// tracked in the scenarios that say so ([`Scenario::timer_on`]).
    armed: AtomicI32,
    timer_on: Option<ArmCheck>,
    /// An NMI lands on N between its release of the context and `hlt`,
    /// the first time it gets there (1 until then); see [`Env::nmi_on_n`].
    nmi_due: AtomicUsize,
    nmi: Option<Nmi>,
    /// 1 while a `stop_machine()` holds N `STOPPED`, between the hold's
    /// two transitions ([`Env::stop`]): nothing may run N's context then
    /// but an NMI. Relaxed: only the protocol orders it.
    in_stop: AtomicUsize,
    /// The scenario has a stop: check `in_stop` (elsewhere its loads
    /// would only add interleavings).
    stop_checks: bool,
    /// What the executions reached, counted across them.
    seen: std::sync::Arc<Seen>,
}

/// What the executions of a scenario reached: a scenario whose event
/// never happened in any of them checks nothing.
#[derive(Default)]
struct Seen {
    /// Executions in which a stop held N.
    stops: StdAtomicUsize,
    /// NMIs that found N held by a stop.
    nmis_in_stop: StdAtomicUsize,
}

/// How a `stop_machine()` that holds N ends (`cpu_proxy_hold_parked()`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum StopEnd {
    /// As the kernel does: N back to `HALTED`, then a kick for its proxy,
    /// which looks at what was redirected to N meanwhile.
    Kick,
    /// Wrongly: N back to `HALTED`, and nothing else.
    NoKick,
}

/// How `arm()` arms N's timer, in a scenario that tracks where it is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ArmCheck {
    /// As the kernel does: it arms, then looks whether its CPU is still
    /// N's proxy, behind a barrier that pairs with the re-proxy's; if not,
    /// it takes the timer back and leaves `moved` for the new proxy.
    Recheck,
    /// Wrongly: it arms N's timer wherever it runs.
    None,
}

impl<L: Fresh> Env<L> {
    /// N in its park loop, proxied by 0, with nothing queued.
    fn new(
        halting: Halting,
        timer_on: Option<ArmCheck>,
        nmi: Option<Nmi>,
        stop_checks: bool,
        seen: std::sync::Arc<Seen>,
    ) -> Self {
        let ctx = Context::<L>::new();
        ctx.set_proxy(0);
        // Installed before any kick: the re-arm of set_proxy() is N's own.
        ctx.moved.write(0);
        ctx.tell_park();
        Self {
            ctx,
            queue: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            irq: AtomicUsize::new(0),
            kick: AtomicI32::new(0),
            retry: [AtomicUsize::new(0), AtomicUsize::new(0)],
            timer: [AtomicUsize::new(0), AtomicUsize::new(0)],
            installed: AtomicUsize::new(1),
            pcpu: UnsafeCell::new(PerCpu::default()),
            halting,
            armed: AtomicI32::new(0),
            timer_on,
            nmi_due: AtomicUsize::new(nmi.is_some() as usize),
            nmi,
            in_stop: AtomicUsize::new(0),
            stop_checks,
            seen,
        }
    }

    /// A stop's hold, if the scenario has one, is not under way: `what`
    /// would break it.
    fn not_in_stop(&self, what: &str) {
        if self.stop_checks {
            assert_eq!(
                self.in_stop.load(Relaxed),
                0,
                "a stop's hold broken: {what}"
            );
        }
    }

    /// Run N's per-CPU context: only its owner may.
    fn in_context(&self, f: impl FnOnce(&mut PerCpu)) {
        // SAFETY: the protocol gives N's context to one CPU at a time and
        // orders each run after the previous one; loom checks exactly that.
        self.pcpu.with_mut(|p| f(unsafe { &mut *p }));
    }

    /// An NMI on N (`irqentry_nmi_enter()` to `irqentry_nmi_exit()`): it
    /// takes N's context, waiting while a pass runs, runs its handler in
    /// it, and gives it back. Where N has given its context up and not
    /// halted yet, N then halts as if nothing had happened.
    fn nmi_on_n(&self, how: NmiClaim) {
        let halted = self.ctx.claim(true, || false, || false);
        if self.stop_checks && self.ctx.owner.read() == STOPPED_NMI {
            self.seen.nmis_in_stop.fetch_add(1, Relaxed);
        }
        if how == NmiClaim::ClearsHalting {
            self.ctx.halting.write(0);
        }
        // The handler reads N's per-CPU data.
        self.in_context(|_| {});
        if how == NmiClaim::ReleasesHalted {
            if halted {
                self.ctx.owner.write_release(HALTED);
            }
            return;
        }
        self.ctx.nmi_release(halted);
    }

    /// Send N an interrupt (`arch_cpu_proxy_wake()`, an IPI).
    fn interrupt_n(&self) {
        fence(SeqCst);
        self.irq.swap(1, Release);
    }

    /// `cpu_proxy_kick()`: queue N's kick on its proxy, or interrupt N if
    /// it has none.
    fn kick(&self) {
        let proxy = self.ctx.proxy.read();
        if proxy == NO_PROXY {
            self.interrupt_n();
            return;
        }
        // irq_work_claim(): fully ordered; not queued if pending already.
        fence(SeqCst);
        let _ = self.kick.compare_exchange(0, proxy + 1, AcqRel, Acquire);
        fence(SeqCst);
    }

    /// Take N's queue and run it, in N's context.
    fn run_queue(&self) {
        fence(SeqCst);
        let n = self.queue.swap(0, AcqRel);
        fence(SeqCst);
        self.done.fetch_add(n, Relaxed);
    }

    /// One pass, by whoever owns N's context.
    fn pass(&self, proxied: bool) {
        self.not_in_stop("a pass ran in it");
        // A due timer event is run (its handler re-arms the next one).
        let _ = self.ctx.pass_begin();
        self.run_queue();
        self.in_context(|p| {
            assert!(!(proxied && p.left), "a pass after N left its loop");
            p.passes += 1;
        });
    }

    /// A sender queues a call for N (`smp_call_function_single()`).
    fn send_call(&self) {
        fence(SeqCst);
        let first = self.queue.fetch_add(1, AcqRel) == 0;
        fence(SeqCst);
        if !first {
            return;
        }
        if self.ctx.redirected() && self.ctx.redirect(&self.ctx.work) {
            self.kick();
        } else {
            self.interrupt_n();
        }
    }

    /// N's park loop, from its top, or from `hlt` (`woken`), until it
    /// halts with no interrupt latched or leaves (`cpu_proxy_idle()`).
    fn n_loop(&self, mut woken: bool) -> NState {
        let mut native = false;
        loop {
            if woken {
                // Interrupt entry, then its handler: a call IPI's.
                self.ctx.claim(false, || false, || false);
                self.not_in_stop("N ran in it");
                self.in_context(|_| {});
                self.run_queue();
                native = true;
            }
            if self.ctx.pending() || native {
                native = false;
                self.pass(false);
            }
            if self.ctx.may_leave() {
                self.in_context(|p| p.left = true);
                // cpu_proxy_uninstall(): out of the loop, seen by the parker.
                self.installed.swap(0, Release);
                return NState::Left;
            }
            self.ctx.halting();
            match self.ctx.halting_recheck() {
                Recheck::Work if self.halting != Halting::NoRecheck => self.kick(),
                // A re-arm for a new proxy, kicked on the way to hlt.
                Recheck::Kick => self.kick(),
                _ => {}
            }
            self.ctx.halt();
            match self.nmi {
                Some(nmi) if self.nmi_due.swap(0, AcqRel) != 0 => match nmi {
                    Nmi::Window(how) => self.nmi_on_n(how),
                    Nmi::Shadow { skip } => {
                        self.nmi_on_n(NmiClaim::Kernel);
                        // Interrupts on, at the hlt: a latched interrupt is
                        // taken there and claims the context.
                        if self.irq.swap(0, AcqRel) != 0 {
                            self.ctx.claim(false, || false, || false);
                            self.in_context(|_| {});
                            self.run_queue();
                            if skip {
                                // Past the hlt: N goes on awake.
                                woken = false;
                                native = true;
                                continue;
                            }
                        }
                        // The hlt sleeps (with the context given back, or
                        // wrongly owning it).
                        return NState::Halted;
                    }
                },
                _ => {}
            }
            // hlt: returns at once if an interrupt is latched.
            if self.irq.swap(0, AcqRel) == 0 {
                return NState::Halted;
            }
            woken = true;
        }
    }

    /// A kick or a retry timer ran on proxy `me` (`service()`, `service.rs`).
    fn service(&self, me: i32) {
        if self.ctx.service_here(me) == Service::HandOver {
            self.kick();
            return;
        }
        let mut passes = 0;
        loop {
            match self.ctx.proxy_take() {
                Take::Taken => {
                    self.pass(true);
                    if let Some(check) = self.timer_on {
                        self.service_tracked(me, check);
                        return;
                    }
                    // arm() (service.rs): re-arm N's timer here.
                    self.ctx.take_moved();
                    if self.ctx.proxy_give_back() {
                        passes += 1;
                        if passes < 2 {
                            continue;
                        }
                        self.kick();
                    }
                    return;
                }
                Take::Halting => {
                    if self.halting == Halting::Retry {
                        self.retry[me as usize].swap(1, Release);
                    }
                    return;
                }
                Take::Busy => return,
            }
        }
    }

    /// The rest of a service on proxy `me`, after a pass, where the
    /// scenario tracks N's timer: `arm()`, give N back, and kick N's proxy
    /// (the new one, if N was moved) if work is left (`service()`,
    /// `service.rs`). One pass
    /// per service, to keep the model small; the kernel's second pass in a
    /// row takes the same steps.
    fn service_tracked(&self, me: i32, check: ArmCheck) {
        if self.ctx.take_moved() {
            self.armed.swap(me, Release);
            // Armed before the proxy is read again; pairs with the barrier
            // of `reproxy_tracked()`.
            L::mb();
            if check == ArmCheck::Recheck && self.ctx.service_here(me) == Service::HandOver {
                let _ = self.armed.compare_exchange(me, -1, AcqRel, Acquire);
                self.ctx.moved.write(1);
            }
        }
        // What is left, `moved` included, goes to whoever is N's proxy now.
        if self.ctx.proxy_give_back() {
            self.kick();
        }
    }

    /// The parker moves N to proxy `to` (`set_proxy()`, `loop_ctl.rs`),
    /// where the scenario tracks N's timer: the new proxy, a barrier, N's
    /// timer cancelled wherever it is, `moved`, and a kick for the new
    /// proxy to arm it there.
    fn reproxy_tracked(&self, to: i32) {
        self.ctx.proxy.write(to);
        L::mb();
        self.armed.swap(-1, AcqRel);
        self.ctx.moved.write(1);
        self.kick();
    }

    /// Proxy `me`'s interrupts: its kick for N, or its retry timer.
    /// Returns whether it ran one.
    fn proxy_step(&self, me: i32) -> bool {
        if self.kick.load(Acquire) == me + 1 {
            // irq_work_single(): the work may be queued again from here.
            self.kick.swap(0, Release);
            fence(SeqCst);
            self.service(me);
            return true;
        }
        if self.retry[me as usize].swap(0, AcqRel) != 0 {
            self.service(me);
            return true;
        }
        if self.timer[me as usize].swap(0, AcqRel) != 0 {
            self.service(me);
            return true;
        }
        false
    }

    /// A `stop_machine()` that counts N, parked, as stopped
    /// (`cpu_proxy_hold_parked()`, `hold.rs`): it waits for N halted and
    /// no pass running, holds it `STOPPED` while the stop's work runs on
    /// the other CPUs, and gives it back.
    fn stop(&self, end: StopEnd) {
        // The kernel waits for that; the model looks twice and otherwise
        // stops nothing: the interleavings in which N halts later are
        // those in which the stop starts later. (A wait without end makes
        // loom run out of branches, each spin one step of another thread.)
        // So the model checks what a stop keeps safe, not that its wait
        // ends.
        let mut looks = 0;
        while self.ctx.owner.cmpxchg(HALTED, STOPPED) != HALTED {
            looks += 1;
            if looks == 2 {
                return;
            }
            L::relax();
        }
        self.seen.stops.fetch_add(1, Relaxed);
        self.in_stop.swap(1, Relaxed);
        // The stop's work, on the other CPUs.
        self.in_stop.swap(0, Relaxed);
        // An NMI on N gives it back as STOPPED as it returns: wait for that,
        // a few steps of N's (bounded here, so that a wait without end
        // fails the model rather than running it out of branches).
        let mut looks = 0;
        while self.ctx.owner.cmpxchg(STOPPED, HALTED) != STOPPED {
            looks += 1;
            assert!(looks < 64, "a stop's hold broken: its end found N not held");
            L::relax();
        }
        if end == StopEnd::Kick {
            self.kick();
        }
    }

    /// The unparker (`loop_ctl::leave()`, then the proxy is dropped).
    /// Returns whether it dropped the proxy; if N is not out of its loop
    /// yet, [`Env::settle`] waits for it and drops it.
    fn unpark(&self) -> bool {
        self.ctx.tell_leave();
        self.interrupt_n();
        for _ in 0..2 {
            if self.installed.load(Acquire) == 0 {
                self.ctx.set_proxy(NO_PROXY);
                return true;
            }
            thread::yield_now();
        }
        false
    }

    /// Deliver what is in flight until nothing is, then check that
    /// nothing was lost.
    fn settle(&self, mut n: NState, sent: usize) {
        for _ in 0..16 {
            let mut ran = false;
            if self.irq.swap(0, AcqRel) != 0 {
                ran = true;
                match n {
                    NState::Halted => n = self.n_loop(true),
                    NState::Left => self.run_queue(),
                }
            }
            for me in 0..2 {
                ran |= self.proxy_step(me);
            }
            if !ran {
                assert_eq!(
                    self.done.load(Relaxed),
                    sent,
                    "a call for N was lost: N {:?}, owner {}, work {}, queue {}, kick {}",
                    n,
                    self.ctx.owner.read(),
                    self.ctx.work.read(),
                    self.queue.load(Relaxed),
                    self.kick.load(Relaxed)
                );
                assert_eq!(self.queue.load(Relaxed), 0, "a call for N was lost");
                if n == NState::Left && self.ctx.proxy.read() != NO_PROXY {
                    // The unparker waited for N to leave, then drops its proxy.
                    self.ctx.set_proxy(NO_PROXY);
                    continue;
                }
                if n == NState::Halted {
                    assert_eq!(self.ctx.moved.read(), 0, "a re-arm was lost");
                    if self.timer_on.is_some() {
                        assert_eq!(
                            self.armed.load(Relaxed),
                            self.ctx.proxy.read(),
                            "N's timer is not on its proxy"
                        );
                    }
                    assert_eq!(self.ctx.expired.read(), 0, "a timer expiry was lost");
                    assert_ne!(self.ctx.owner.read(), NATIVE, "halted but NATIVE");
                }
                return;
            }
        }
        panic!("kicks still in flight after 16 rounds");
    }
}

/// What a scenario runs beside N and proxy 0.
#[derive(Clone, Copy, Default)]
struct Scenario {
    /// Cross-calls sent to N, from one sender.
    calls: usize,
    /// A device interrupt on N.
    device_irq: bool,
    /// N is unparked.
    unpark: bool,
    /// N's proxy becomes CPU 1.
    reproxy: bool,
    /// N's next timer event falls due, and proxy 0's timer for it fires.
    timer: bool,
    /// Track which proxy's hrtimer holds N's timer, and check at the end
    /// that it is N's proxy, with `arm()` as given. (Only here: the extra
    /// steps multiply the interleavings of every re-proxy scenario.)
    timer_on: Option<ArmCheck>,
    /// An NMI on N between its release of the context and `hlt`.
    nmi: Option<Nmi>,
    /// NMIs on N once it halted, one after another, each of which returns
    /// past the `hlt` (N then claims its context, as from an interrupt).
    nmis_halted: usize,
    /// How those NMIs treat the context (the kernel's way if `None`).
    nmi_halted_claim: Option<NmiClaim>,
    /// A `stop_machine()` holds N, from another CPU.
    stop: Option<StopEnd>,
}

/// Explores the scenario; returns what its executions reached.
fn run<L: Fresh + 'static>(s: Scenario, halting: Halting, bound: usize) -> std::sync::Arc<Seen>
where
    L::Word: Send + Sync,
{
    let seen = std::sync::Arc::new(Seen::default());
    let seen_in = seen.clone();
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(bound);
    b.check(move || {
        let env = Arc::new(Env::<L>::new(
            halting,
            s.timer_on,
            s.nmi,
            s.stop.is_some(),
            seen_in.clone(),
        ));
        let mut others = Vec::new();
        let e = env.clone();
        let n = thread::spawn(move || {
            let mut state = e.n_loop(false);
            for _ in 0..s.nmis_halted {
                if state == NState::Halted {
                    e.nmi_on_n(s.nmi_halted_claim.unwrap_or(NmiClaim::Kernel));
                    state = e.n_loop(true);
                }
            }
            state
        });
        // Each proxy's interrupts run on its own CPU; CPU 1 becomes a
        // proxy only in a re-proxy.
        let proxies = if s.reproxy { 2 } else { 1 };
        for me in 0..proxies {
            let e = env.clone();
            others.push(thread::spawn(move || {
                for _ in 0..3 {
                    if !e.proxy_step(me) {
                        break;
                    }
                }
            }));
        }
        if s.calls > 0 {
            let e = env.clone();
            others.push(thread::spawn(move || {
                for _ in 0..s.calls {
                    e.send_call();
                }
            }));
        }
        if let Some(end) = s.stop {
            let e = env.clone();
            others.push(thread::spawn(move || e.stop(end)));
        }
        if s.device_irq {
            let e = env.clone();
            others.push(thread::spawn(move || e.interrupt_n()));
        }
        if s.unpark {
            let e = env.clone();
            others.push(thread::spawn(move || {
                e.unpark();
            }));
        }
        // The re-proxy and the clock run on this thread, beside the
        // others: loom models at most five threads.
        if s.reproxy && s.timer_on.is_some() {
            env.reproxy_tracked(1);
        } else if s.reproxy && env.ctx.set_proxy(1) {
            env.kick();
        }
        if s.timer {
            // Time passes: the event is due, and the proxy's hrtimer for
            // it fires there (the interrupt orders it after the clock).
            env.ctx.expired.write(1);
            fence(SeqCst);
            env.timer[0].swap(1, Release);
        }
        let state = n.join().unwrap();
        for t in others {
            t.join().unwrap();
        }
        env.settle(state, s.calls);
    });
    seen
}

#[test]
fn a_call_is_run_once_and_never_lost() {
    run::<C11>(
        Scenario {
            calls: 2,
            ..Default::default()
        },
        Halting::Retry,
        3,
    );
}

#[test]
fn a_device_interrupt_claims_the_context_from_a_pass() {
    let s = Scenario {
        calls: 1,
        device_irq: true,
        ..Default::default()
    };
    run::<C11>(s, Halting::Retry, 3);
}

#[test]
fn no_pass_after_leave_and_no_call_lost_across_it() {
    let s = Scenario {
        calls: 1,
        unpark: true,
        ..Default::default()
    };
    run::<C11>(s, Halting::Retry, 3);
}

#[test]
fn a_reproxy_hands_kicks_over_and_rearms_once() {
    let s = Scenario {
        calls: 1,
        reproxy: true,
        ..Default::default()
    };
    run::<C11>(s, Halting::Retry, 3);
}

#[test]
fn a_timer_that_fires_while_n_heads_for_hlt_is_not_lost() {
    let s = Scenario {
        timer: true,
        ..Default::default()
    };
    run::<C11>(s, Halting::Retry, 3);
}

/// The checker can fail: a timer that fires on the proxy while N is
/// between its look at its work and `halting` finds N `NATIVE` and not
/// halting, and leaves it to N; if N does not look again, it is lost.
#[test]
#[should_panic(expected = "a timer expiry was lost")]
fn without_the_recheck_a_timer_is_lost() {
    let s = Scenario {
        timer: true,
        ..Default::default()
    };
    run::<C11>(s, Halting::NoRecheck, 3);
}

/// The checker can fail: without `smp_mb()`, a re-proxy's re-arm is lost
/// (N misses `moved`, the new proxy misses `halting`).
#[test]
#[should_panic(expected = "lost")]
fn without_smp_mb_a_rearm_is_lost() {
    let s = Scenario {
        reproxy: true,
        ..Default::default()
    };
    run::<NoMb>(s, Halting::Retry, 3);
}

/// The checker can fail: with every operation relaxed, a pass and N
/// are no longer ordered, and loom sees the race on N's context.
#[test]
#[should_panic(expected = "Causality violation")]
fn relaxed_atomics_are_rejected() {
    let s = Scenario {
        calls: 1,
        device_irq: true,
        ..Default::default()
    };
    run::<Relaxed_>(s, Halting::Retry, 3);
}

/// The checker can fail: a proxy that drops a kick it got while N was on
/// its way to `hlt` loses the re-arm for the new proxy.
#[test]
#[should_panic(expected = "lost")]
fn a_proxy_that_ignores_halting_loses_a_rearm() {
    let s = Scenario {
        reproxy: true,
        ..Default::default()
    };
    run::<C11>(s, Halting::Ignore, 3);
}

/// After a re-proxy, N's timer is on the new proxy: an old proxy that
/// armed it as the parker moved N takes it back and leaves the re-arm to
/// the new one.
#[test]
fn after_a_reproxy_n_s_timer_is_on_the_new_proxy() {
    let s = Scenario {
        calls: 1,
        reproxy: true,
        timer_on: Some(ArmCheck::Recheck),
        ..Default::default()
    };
    run::<C11>(s, Halting::Retry, 2);
}

/// The checker can fail: a proxy that arms N's timer after it was moved
/// away, without looking at N's proxy again, keeps N's timer (`arm()`
/// before the fix of 36d3000).
#[test]
#[should_panic(expected = "N's timer is not on its proxy")]
fn an_old_proxy_that_arms_without_looking_keeps_the_timer() {
    let s = Scenario {
        calls: 1,
        reproxy: true,
        timer_on: Some(ArmCheck::None),
        ..Default::default()
    };
    run::<C11>(s, Halting::Retry, 2);
}

/// An NMI on N between its release of the context and `hlt` takes the
/// context and gives it back; a timer of N's that fires on the proxy
/// meanwhile finds N on its way to `hlt` (`halting`), and the proxy runs
/// it once N halts; a call sent meanwhile finds N `NATIVE` and interrupts
/// it, and N's `hlt` returns at once. (`promise.an_nmi_before_hlt_*` aim
/// NMIs there in QEMU.)
#[test]
fn an_nmi_before_hlt_loses_no_timer() {
    let s = Scenario {
        calls: 1,
        timer: true,
        nmi: Some(Nmi::Window(NmiClaim::Kernel)),
        ..Default::default()
    };
    run::<C11>(s, Halting::Retry, 3);
}

/// The checker can fail: an NMI whose claim clears `halting`, as an
/// interrupt's does, makes a timer that fires on the proxy meanwhile look
/// like N's own to run; N then halts, and the expiry is lost.
#[test]
#[should_panic(expected = "a timer expiry was lost")]
fn an_nmi_that_clears_halting_loses_a_timer() {
    let s = Scenario {
        timer: true,
        nmi: Some(Nmi::Window(NmiClaim::ClearsHalting)),
        ..Default::default()
    };
    run::<C11>(s, Halting::Retry, 3);
}

/// An NMI in the STI shadow of the halt returns to the `hlt` with
/// interrupts on; a call sent while it held N's context interrupted N,
/// and that interrupt, taken on the `hlt`, returns past it
/// (`cpu_proxy_irq_claim()`): N goes on awake and runs it, and a timer
/// that fell due is run too.
#[test]
fn an_nmi_on_the_hlt_returns_past_it() {
    let s = Scenario {
        calls: 1,
        timer: true,
        nmi: Some(Nmi::Shadow { skip: true }),
        ..Default::default()
    };
    run::<C11>(s, Halting::Retry, 3);
}

/// The checker can fail: an interrupt taken on the `hlt` after an NMI in
/// the STI shadow, which returns to the `hlt` (the kernel before the
/// fix), claims N's context there; N then sleeps owning it, and no proxy
/// serves it.
#[test]
#[should_panic(expected = "halted but NATIVE")]
fn an_nmi_that_returns_to_the_hlt_leaves_n_asleep_native() {
    let s = Scenario {
        calls: 1,
        nmi: Some(Nmi::Shadow { skip: false }),
        ..Default::default()
    };
    run::<C11>(s, Halting::Retry, 3);
}

/// A `stop_machine()` holds N `STOPPED` while N is halted: no pass runs
/// then. A call sent to N meanwhile is redirected to its proxy, which
/// finds N held and leaves it; the stop's kick as it ends has the proxy
/// run it.
#[test]
fn a_stop_holds_n_and_loses_no_call() {
    let s = Scenario {
        calls: 1,
        stop: Some(StopEnd::Kick),
        ..Default::default()
    };
    let seen = run::<C11>(s, Halting::Retry, 3);
    assert_ne!(seen.stops.load(Relaxed), 0);
}

/// An NMI on N while a stop holds it runs (`STOPPED_NMI`) and leaves N
/// `STOPPED`; N, past its `hlt`, waits for the stop to end before it runs
/// its context, and a timer that fell due is run once.
#[test]
fn an_nmi_during_a_stop_leaves_n_stopped() {
    let s = Scenario {
        timer: true,
        nmis_halted: 1,
        stop: Some(StopEnd::Kick),
        ..Default::default()
    };
    let seen = run::<C11>(s, Halting::Retry, 3);
    assert_ne!(seen.nmis_in_stop.load(Relaxed), 0);
}

/// A stop takes N between its release of the context and `hlt`, and an
/// NMI lands there: it runs (`STOPPED_NMI`), gives N back to the stop
/// (`STOPPED`), and N halts; the stop ends with N `HALTED`, and a timer
/// that fell due meanwhile is run by the proxy.
#[test]
fn a_stop_and_an_nmi_before_hlt_lose_nothing() {
    let s = Scenario {
        timer: true,
        nmi: Some(Nmi::Window(NmiClaim::Kernel)),
        stop: Some(StopEnd::Kick),
        ..Default::default()
    };
    let seen = run::<C11>(s, Halting::Retry, 3);
    assert_ne!(seen.nmis_in_stop.load(Relaxed), 0);
}

/// The checker can fail: an NMI that gives N's context back as `HALTED`
/// while a stop holds N takes N out of the stop's hands: the stop's end
/// finds N not `STOPPED`, or N's proxy runs a pass in the stop, or N runs
/// in it (loom reports the first it finds).
#[test]
#[should_panic(expected = "a stop's hold broken")]
fn an_nmi_that_gives_back_halted_breaks_a_stop() {
    let s = Scenario {
        timer: true,
        nmis_halted: 1,
        nmi_halted_claim: Some(NmiClaim::ReleasesHalted),
        stop: Some(StopEnd::Kick),
        ..Default::default()
    };
    run::<C11>(s, Halting::Retry, 3);
}

/// The checker can fail: a stop that ends without kicking N's proxy
/// loses a call that was redirected to N while it held N.
#[test]
#[should_panic(expected = "a call for N was lost")]
fn a_stop_that_ends_without_a_kick_loses_a_call() {
    let s = Scenario {
        calls: 1,
        stop: Some(StopEnd::NoKick),
        ..Default::default()
    };
    run::<C11>(s, Halting::Retry, 3);
}

/// NMIs on halted N, one after another, each take its context from the
/// proxy (waiting while a pass runs) and give it back, and N, past its
/// `hlt`, takes it and halts again: a call sent meanwhile is run once,
/// by N or its proxy. (With a timer as well, the model takes three
/// minutes; `an_nmi_before_hlt_loses_no_timer` has one NMI and a timer.)
#[test]
fn nmis_one_after_another_lose_nothing() {
    let s = Scenario {
        calls: 1,
        nmis_halted: 2,
        ..Default::default()
    };
    run::<C11>(s, Halting::Retry, 3);
}
