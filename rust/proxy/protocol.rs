// SPDX-License-Identifier: GPL-2.0

//! The ownership protocol of a parked CPU's per-CPU context.
//!
//! A parked CPU N and its proxy P both run N's per-CPU context: N when it
//! wakes from its halt, P in a pass. One word, the owner, says who may:
//!
//! | owner    | who runs N's context                                    |
//! |----------|---------------------------------------------------------|
//! | `NATIVE` | N itself (awake, or on its way to halt)                 |
//! | `HALTED` | nobody: N sleeps in `hlt`, a proxy may take it          |
//! | `PROXY`  | a proxy, in a pass; N's interrupt entry waits for it    |
//!
//! The transitions, and who makes them:
//!
//! - N, in its park loop, looks at its work, sets `halting`
//!   ([`Context::halting`]), looks again ([`Context::halting_recheck`]):
//!   what it finds then it leaves to its proxy, kicked, which takes it
//!   after the halt. It gives the context up (`NATIVE -> HALTED`,
//!   release) and halts ([`Context::halt`]).
//! - A proxy takes it for a pass (`HALTED -> PROXY`, acquire) and gives
//!   it back (`PROXY -> HALTED`, release), then looks for work that came
//!   meanwhile ([`Context::proxy_take`], [`Context::proxy_give_back`]).
//! - An interrupt on N takes it back (`HALTED -> NATIVE`), waiting while a
//!   pass runs ([`Context::claim`]).
//! - A sender flags work for N, then reads the owner: `NATIVE` means N
//!   sees the flag itself, or is interrupted; anything else means the
//!   proxy is kicked ([`Context::redirect`]).
//! - Unparking tells N to leave ([`Context::tell_leave`]); N leaves only
//!   from `NATIVE`, so no pass can start after it left.
//! - A new proxy is installed with [`Context::set_proxy`]; a kick that
//!   reaches the old one is handed over ([`Context::service_here`]).
//!
//! The invariants, which `host/` checks with `loom` over every interleaving
//! of N, its proxies, a sender, an interrupt on N and an unparker:
//!
//! - one owner at a time: N's context is never run by two CPUs at once,
//!   and each runner sees everything the previous one wrote;
//! - no lost kick: work flagged for N is run, by a pass or by N, once the
//!   interrupts and kicks in flight are delivered;
//! - no pass after leave;
//! - no halt with work pending that nobody is told of.
//!
//! The module is generic over its atomics ([`Lkmm`]). The operations are
//! the kernel's, named as in `Documentation/atomic_t.txt`, and each
//! implementation maps them:
//!
//! | operation            | kernel                        | C11 (loom)                           |
//! |----------------------|-------------------------------|--------------------------------------|
//! | `read`               | `atomic_read()`, `READ_ONCE()`| relaxed load                         |
//! | `write`              | `atomic_set()`, `WRITE_ONCE()`| relaxed store                        |
//! | `write_release`      | `atomic_set_release()`        | release store                        |
//! | `cmpxchg_acquire`    | `atomic_cmpxchg_acquire()`    | acquire RMW (relaxed on failure)     |
//! | `cmpxchg`            | fully ordered RMW if it succeeds, unordered if it fails | AcqRel RMW (relaxed on failure), then a SeqCst fence if it succeeded |
//! | `xchg`               | fully ordered RMW             | SeqCst fence, AcqRel RMW, SeqCst fence |
//! | [`Lkmm::mb`]         | `smp_mb()`                    | SeqCst fence                         |
//!
//! loom checks the C11 model, not the LKMM, and not all of it. The
//! mapping is the usual conservative one: a fully ordered kernel RMW is
//! at least as strong as a C11 RMW between two SeqCst fences (`xchg`),
//! and `smp_mb()` as a SeqCst fence. A failed `cmpxchg` orders nothing in
//! the model, as in the kernel (`Documentation/atomic_t.txt`): modelled
//! with fences around it, it hid the missing release in
//! [`Context::nmi_release`], which the model finds without them. A
//! successful one lacks the kernel's barrier before it; that is weaker
//! than the kernel, so it can only add executions, never hide one. The
//! model is stronger than the kernel in one place: loom 0.7 orders any
//! two SeqCst fences by happens-before in the order it runs them, which
//! C11 does not. So loom finds a missing barrier where neither side has
//! one (it found the one in [`Context::halting`]), but can miss one where
//! the other side's fence stands in for it. `smp_mb__after_atomic()` is
//! not used: after `atomic_set()` it orders nothing. Where the kernel
//! relies on something C11 does not give (address or control
//! dependencies), the protocol does not.
//!
//! The kernel crate instantiates the module with C's own atomics
//! (`sys::atomic::Kernel`); the host's `cargo test` with loom's
//! (`host/protocol_model.rs`), with the same code. The redirection of work
//! to a proxy runs [`redirect`] from here (`rust/proxy/redirect.rs`), and
//! a proxy's take and give-back of N's context [`take`] and [`give_back`]
//! (`rust/proxy/state.rs`, for `rust/proxy/service.rs`), and the parked
//! CPU's mark before its last look [`halting`] (`last_look()` in
//! `rust/proxy/idle.rs`). What that look checks is the kernel's
//! (`service::pending()`: [`Context::halting_recheck`]'s work, due timer
//! and re-arm, and the kernel's `rearm` of an expiry N programmed); its
//! release to `HALTED` ([`Context::halt`]) is C's (`cpu_proxy_halt()`),
//! in the idle entry code. The claim on
//! interrupt and NMI entry and the NMI's release ([`Context::claim`],
//! [`Context::nmi_release`]) stay C: they run in `noinstr` entry code,
//! before RCU watches, which Rust code and these helpers (instrumented,
//! outside `.noinstr.text`) may not.

/// N runs its own context.
pub(crate) const NATIVE: i32 = 0;
/// N sleeps; a proxy may take its context.
pub(crate) const HALTED: i32 = 1;
/// A proxy runs N's context in a pass.
pub(crate) const PROXY: i32 = 2;
/// `stop_machine()` counts N as stopped; N stays halted.
pub(crate) const STOPPED: i32 = 3;
/// As `STOPPED`, while an NMI runs on N.
pub(crate) const STOPPED_NMI: i32 = 4;

/// No proxy assigned.
pub(crate) const NO_PROXY: i32 = -1;

/// An `int` shared between CPUs, with the kernel's operations on it.
pub(crate) trait Word {
    /// `atomic_read()`, `READ_ONCE()`: no ordering.
    fn read(&self) -> i32;
    /// `atomic_set()`, `WRITE_ONCE()`: no ordering.
    fn write(&self, v: i32);
    /// `atomic_set_release()`, `smp_store_release()`.
    fn write_release(&self, v: i32);
    /// `atomic_cmpxchg_acquire()`: returns the old value; orders what
    /// follows after it only if it succeeded.
    fn cmpxchg_acquire(&self, old: i32, new: i32) -> i32;
    /// `atomic_cmpxchg()`: fully ordered if it succeeds.
    fn cmpxchg(&self, old: i32, new: i32) -> i32;
    /// `atomic_xchg()`: fully ordered.
    fn xchg(&self, v: i32) -> i32;
}

/// The memory model the protocol is instantiated in.
pub(crate) trait Lkmm {
    /// The shared word.
    type Word: Word;
    /// `smp_mb()`; also `smp_mb__after_atomic()` after a non-value-returning
    /// atomic.
    fn mb();
    /// `cpu_relax()`, in a loop that waits for another CPU.
    fn relax();
}

/// A model whose words the protocol can make itself: the host's, where a
/// [`Context`] holds its own words. The kernel's words are fields of C's
/// structures, which the kernel finds in place.
pub(crate) trait Fresh: Lkmm {
    /// A word holding `v`.
    fn word(v: i32) -> Self::Word;
}

/// A sender queued work for a parked CPU N and flagged it in `what`:
/// decide who runs it (`cpu_proxy_redirect_*()`). Returns true if N's
/// proxy must be kicked, false if N must be interrupted itself (it owns
/// its context, `NATIVE`, and sees the flag or the interrupt).
///
/// The flag is published before the owner is read: the full barrier pairs
/// with the one in [`Context::claim`] (N reads its work after it took its
/// context), with [`Context::pass_begin`] (a pass clears `work` before it
/// takes the queue) and with [`Context::proxy_give_back`] (a proxy reads
/// the flags after it gave the context up): whichever reads second sees
/// the other's write.
pub(crate) fn redirect<L: Lkmm>(what: &L::Word, owner: &L::Word) -> bool {
    what.write(1);
    L::mb();
    owner.read() != NATIVE
}

/// N, in its park loop, has looked at its work and found none: mark
/// `halting`, before it looks again. See [`Context::halting`].
pub(crate) fn halting<L: Lkmm>(halting: &L::Word) {
    halting.write(1);
    L::mb();
}

/// A proxy tries to take N's context for a pass (`HALTED -> PROXY`).
/// See [`Context::proxy_take`].
pub(crate) fn take<L: Lkmm>(owner: &L::Word, halting: &L::Word) -> Take {
    match owner.cmpxchg_acquire(HALTED, PROXY) {
        HALTED => Take::Taken,
        NATIVE => {
            L::mb();
            if halting.read() != 0 {
                Take::Halting
            } else {
                Take::Busy
            }
        }
        _ => Take::Busy,
    }
}

/// A proxy gives N's context back after a pass (`PROXY -> HALTED`); the
/// caller then looks for work that came meanwhile. See
/// [`Context::proxy_give_back`].
pub(crate) fn give_back<L: Lkmm>(owner: &L::Word) {
    owner.write_release(HALTED);
    L::mb();
}

/// What [`Context::proxy_take`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Take {
    /// The caller owns N's context: run a pass, then
    /// [`Context::proxy_give_back`].
    Taken,
    /// N is between its last look at its work and `hlt`: look again in a
    /// few microseconds.
    Halting,
    /// N runs itself and looks at its work before it halts, or another
    /// pass or a stop holds it: nothing to do.
    Busy,
}

/// What N must do on its way to `hlt` ([`Context::halting_recheck`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recheck {
    /// Work came or a timer fell due since N last looked: kick the proxy,
    /// which sees `halting` and runs a pass once N halted, then halt. Not
    /// a pass on N and a look again: a timer that fell due between the two
    /// looks every time would keep N from its halt without end, and a
    /// `stop_machine()` waits for that halt.
    Work,
    /// N's proxy changed: kick it to re-arm N's timer there, then halt.
    Kick,
    /// Halt.
    Halt,
}

/// What a kick that reached a proxy should do ([`Context::service_here`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Service {
    /// This CPU is N's proxy: try to take N's context.
    Here,
    /// N's proxy changed since the kick was sent: kick the new one.
    HandOver,
}

/// The shared state of one parked CPU N: what its proxies, its senders and
/// N itself agree through.
///
/// # Invariants
///
/// - `owner` is one of the `NATIVE`..`STOPPED_NMI` constants. Only the
///   transitions the module documentation lists are made, each by the
///   party it names.
/// - Whoever moved `owner` to `NATIVE` (N) or `PROXY` (a proxy) is the
///   only one to run N's per-CPU context until it moves it away again.
/// - `work` is 1 from a sender's [`Context::redirect`] until the next pass
///   starts ([`Context::pass_begin`]); a pass clears it before it takes
///   N's queued work.
pub(crate) struct Context<L: Lkmm> {
    /// Who runs N's context: `NATIVE`, `HALTED`, `PROXY`, ...
    pub(crate) owner: L::Word,
    /// 1 while N is between its last look at its work and `hlt`.
    pub(crate) halting: L::Word,
    /// 1: work was queued for N since the last pass began.
    pub(crate) work: L::Word,
    /// 1: N's proxy changed; the new one re-arms N's timer.
    pub(crate) moved: L::Word,
    /// 1: N's next timer event is due (the kernel: `next_event <=
    /// ktime_get()`); a pass runs it.
    pub(crate) expired: L::Word,
    /// 1 while N is told to stay parked.
    pub(crate) want_park: L::Word,
    /// N's proxy, or `NO_PROXY`.
    pub(crate) proxy: L::Word,
}

impl<L: Fresh> Context<L> {
    /// A CPU that runs itself, not parked, with no proxy.
    pub(crate) fn new() -> Self {
        Self {
            owner: L::word(NATIVE),
            halting: L::word(0),
            work: L::word(0),
            moved: L::word(0),
            expired: L::word(0),
            want_park: L::word(0),
            proxy: L::word(NO_PROXY),
        }
    }
}

impl<L: Lkmm> Context<L> {
    /// Whether an interrupt for N goes to its proxy: one look, before the
    /// work is flagged (`cpu_proxy_ipi_redirected()`).
    pub(crate) fn redirected(&self) -> bool {
        self.owner.read() != NATIVE
    }

    /// A sender queued work for N: flag it, then decide who runs it
    /// ([`redirect`]).
    pub(crate) fn redirect(&self, what: &L::Word) -> bool {
        redirect::<L>(what, &self.owner)
    }

    /// Whether a pass has something to do (`cpu_proxy_pending()`).
    pub(crate) fn pending(&self) -> bool {
        self.runnable() || self.moved.read() != 0
    }

    /// Whether a pass would run something: queued work or a due timer.
    pub(crate) fn runnable(&self) -> bool {
        self.work.read() != 0 || self.expired.read() != 0
    }

    /// The start of a pass, by N or its proxy, before it takes N's queued
    /// work: the flag is cleared before the queue is read, so that work
    /// queued after the read is flagged again (`cpu_proxy_pass()`).
    /// Returns whether N's timer event is due: the pass runs it.
    pub(crate) fn pass_begin(&self) -> bool {
        self.work.write(0);
        L::mb();
        self.expired.xchg(0) != 0
    }

    /// N, in its park loop, has looked at its work and found none: it is
    /// on its way to halt (`smp_store_mb(pc->halting, true)`).
    ///
    /// A kick or a timer from here on finds N `NATIVE` and `halting`, and
    /// looks again later ([`Take::Halting`]) instead of dropping it. One
    /// that came before found N `NATIVE` and not `halting`, and left it to
    /// N: so N looks at its work once more ([`Context::halting_recheck`]).
    /// `halting` is set before that look; this pairs with the barrier in
    /// [`Context::proxy_take`].
    pub(crate) fn halting(&self) {
        halting::<L>(&self.halting);
    }

    /// N's look after [`Context::halting`]. Returns what N must do before
    /// it may halt: kick its proxy (work, a due timer, a timer to re-arm
    /// on a new proxy), or nothing. `halting` stays set until the halt
    /// returns.
    pub(crate) fn halting_recheck(&self) -> Recheck {
        if self.runnable() {
            Recheck::Work
        } else if self.moved.read() != 0 {
            Recheck::Kick
        } else {
            Recheck::Halt
        }
    }

    /// N gives its context up, just before `hlt`. After this N touches no
    /// per-CPU data until [`Context::claim`]. The release orders
    /// everything N did in its context before a proxy's acquire in
    /// [`Context::proxy_take`].
    pub(crate) fn halt(&self) {
        self.owner.write_release(HALTED);
    }

    /// N takes its context back, on interrupt entry or after `hlt`
    /// (`cpu_proxy_claim_slow()`), waiting while a pass runs. `nmi`: an
    /// NMI, which also takes it from `STOPPED`. `in_own_pass`: the
    /// caller is an exception inside a pass for N, on the proxy's
    /// hardware (`pc->hw` is this CPU): it runs in the pass's context.
    /// `panicking`: a panic has begun, and N must get to the stop the
    /// panicking CPU asks of it.
    ///
    /// Returns true if an NMI took the context from `HALTED` or
    /// `STOPPED`: pass it to [`Context::nmi_release`] on NMI exit.
    ///
    /// The fully ordered cmpxchg orders N's later reads of its work after
    /// it took the context: a sender that saw `HALTED` kicked the proxy,
    /// and its flag is seen here (see [`Context::redirect`]).
    pub(crate) fn claim(
        &self,
        nmi: bool,
        in_own_pass: impl Fn() -> bool,
        panicking: impl Fn() -> bool,
    ) -> bool {
        let mut old = self.owner.read();
        loop {
            if old == NATIVE || old == STOPPED_NMI {
                return false;
            }
            if old == PROXY && in_own_pass() {
                return false;
            }
            let new = if old == HALTED {
                NATIVE
            } else if nmi && old == STOPPED {
                STOPPED_NMI
            } else {
                // A pass runs, or a stop holds N: wait, unless in a panic.
                if panicking() {
                    return false;
                }
                L::relax();
                old = self.owner.read();
                continue;
            };
            let seen = self.owner.cmpxchg(old, new);
            if seen == old {
                break;
            }
            old = seen;
        }
        // An NMI leaves `halting` as it was: see nmi_release().
        if !nmi {
            self.halting.write(0);
        }
        nmi
    }

    /// An NMI that took N's context from a halted park loop gives it back
    /// as it returns (`cpu_proxy_nmi_release()`): N sleeps on.
    ///
    /// From `STOPPED_NMI` the cmpxchg fails, and a failed cmpxchg orders
    /// nothing: the store back to `STOPPED` is a release, so that the
    /// proxy that takes the context once the stop ends sees what the NMI
    /// wrote in it. The stop's fully ordered `STOPPED -> HALTED`
    /// (`rust/proxy/hold.rs`) reads it, and the proxy's acquire in
    /// [`Context::proxy_take`] reads that. Pairs with the same store in
    /// C's `cpu_proxy_nmi_release()`.
    pub(crate) fn nmi_release(&self, halted: bool) {
        if halted && self.owner.cmpxchg(NATIVE, HALTED) == STOPPED_NMI {
            self.owner.write_release(STOPPED);
        }
    }

    /// A kick for N reached CPU `me`: is `me` still N's proxy
    /// (`service()` in `service.rs`)?
    pub(crate) fn service_here(&self, me: i32) -> Service {
        if self.proxy.read() == me {
            Service::Here
        } else {
            Service::HandOver
        }
    }

    /// A proxy tries to take N's context for a pass.
    ///
    /// The acquire pairs with N's release in [`Context::halt`] and with the
    /// last proxy's in [`Context::proxy_give_back`]: the pass sees what
    /// the context's last runner wrote.
    ///
    /// A failed cmpxchg orders nothing; the barrier after it orders the
    /// read of `halting` after the kick that brought the proxy here was
    /// taken, and pairs with the one in [`Context::halting`]. (The
    /// kernel's irq_work already has a full barrier before it runs a
    /// kick; this one does not rely on it.)
    pub(crate) fn proxy_take(&self) -> Take {
        take::<L>(&self.owner, &self.halting)
    }

    /// A proxy gives N's context back after a pass. Returns whether work
    /// came meanwhile: the caller runs another pass (or kicks itself).
    ///
    /// The context is released before the flags are read; this pairs
    /// with [`Context::redirect`]: a sender that read `PROXY` has its flag
    /// seen here.
    pub(crate) fn proxy_give_back(&self) -> bool {
        give_back::<L>(&self.owner);
        self.pending()
    }

    /// Tell N to park (`loop_ctl::enter()`), with `proxy` standing in.
    pub(crate) fn tell_park(&self) {
        self.want_park.write(1);
        // Seen by N's idle loop once it next looks.
        L::mb();
    }

    /// N's loop: may it leave (`cpu_proxy_may_leave()`)? Only N asks, and
    /// only while it owns its context.
    pub(crate) fn may_leave(&self) -> bool {
        self.want_park.read() == 0
    }

    /// Tell N to leave its loop (`Parker::tell_leave()`); the caller
    /// then interrupts N itself, never its proxy.
    pub(crate) fn tell_leave(&self) {
        self.want_park.write(0);
        // Seen by N once the interrupt lands.
        L::mb();
    }

    /// Install `proxy` as N's proxy (`loop_ctl::set_proxy()`). Returns
    /// true if the new proxy must be kicked to re-arm N's timer there.
    pub(crate) fn set_proxy(&self, proxy: i32) -> bool {
        if self.proxy.read() == proxy {
            return false;
        }
        self.proxy.write(proxy);
        if proxy == NO_PROXY {
            return false;
        }
        self.moved.write(1);
        true
    }

    /// The first thing in a pass that re-arms N's timer on its proxy:
    /// whether the proxy changed.
    pub(crate) fn take_moved(&self) -> bool {
        self.moved.xchg(0) != 0
    }
}
