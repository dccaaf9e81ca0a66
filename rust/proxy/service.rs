// SPDX-License-Identifier: GPL-2.0

//! The proxy's side: passes for a parked CPU N, run on its proxy P, and
//! the stand-in for N's tick device.
//!
//! Three things bring P here, each in hard interrupt context with
//! interrupts off: N's `kick` irq_work (work was redirected to N, or N saw
//! work as it went to sleep), N's `timer` (N's next expiry, which P's
//! hrtimer follows) and N's `retry` (look again a little later). Each runs
//! [`service`]: while N is halted and has work, P takes N's context
//! (`HALTED` to `PROXY`), runs a pass (`Owned::run_pass()`: what an
//! interrupt on idle N would do, on P's hardware, as N), re-arms its timer
//! for N, and gives the context back.
//!
//! What is decided here: whether P is still N's proxy; how long P waits
//! for N to halt, and when it looks again instead; when N's softirqs,
//! which a pass could not run, are given to N to run itself; when N is
//! woken for work only N may run; how many passes run back to back
//! before P lets its own work in; where N's timer is armed.
//!
//! N's tick device, while parked, is `evt` of its state: programming it
//! ([`cpu_proxy_evt_next`], on N or in a pass) records the expiry and asks
//! P to re-arm; P arms its `timer` at the expiry ([`arm`]).
//!
//! Each barrier names the one it pairs with; the protocol's transitions
//! are those `host/` model-checks (`rust/proxy/protocol.rs`).

use crate::{
    export::c_export,
    protocol::Take,
    state::CpuState,
    stats,
    sys::{
        atomic::{cpu_relax, smp_mb, Full, Relaxed},
        hrtimer::Mode,
        sched,
    },
};
use core::sync::atomic::Ordering;
use kernel::{bindings, container_of, ffi::c_int};

/// No expiry (`KTIME_MAX`).
const KTIME_MAX: i64 = i64::MAX;
/// A proxy that finds N on its way to hlt waits this long for it, with
/// interrupts off, then looks again after [`RETRY_NS`] instead of holding
/// its own CPU: N needs a few instructions, unless its (virtual) CPU is
/// held up, and then spinning only keeps it held up longer.
const HALT_SPIN_NS: u64 = 10_000;
/// How long a proxy waits before it looks again: for N to halt, or for
/// its own bottom halves to be on again.
const RETRY_NS: i64 = 50_000;
/// How long passes may leave N's softirqs pending (the proxy's bottom
/// halves off, or its FPU in use) before N is woken to run them itself.
const SOFTIRQ_MAX_NS: u64 = 1_000_000;
/// Passes in a row for one N, in one service; then the proxy queues the
/// next one behind its own work.
const PASSES_IN_A_ROW: u32 = 4;

/// Would a pass run something: queued calls, a resched kick, a due timer?
fn runnable(s: &CpuState) -> bool {
    s.work().load(Relaxed) != 0
        || s.resched().load(Relaxed) != 0
        // SAFETY: reads the clock; any context but NMI.
        || s.next_event() <= unsafe { bindings::ktime_get() }
}

/// [`runnable`], or the proxy's timer for N must be (re)armed.
pub(crate) fn pending(s: &CpuState) -> bool {
    runnable(s) || s.moved().load(Relaxed) != 0 || s.rearm().load(Relaxed)
}

/// On the proxy, as itself: follow N's expiry with the proxy's hrtimer,
/// if N programmed its device since, or N's proxy changed to this one.
///
/// A proxy that is N's no more (`set_proxy()`, `loop_ctl.rs`, moved N
/// meanwhile) must not keep N's timer: it leaves `moved` set, and its
/// caller kicks the new proxy, which arms it there.
fn arm(s: &CpuState) {
    if !s.rearm().load(Relaxed) && s.moved().xchg(0, Full) == 0 {
        return;
    }
    if !s.proxied_here() {
        s.moved().store(1, Relaxed);
        return;
    }
    s.rearm().store(false, Relaxed);
    let next = s.next_event();
    if next == KTIME_MAX {
        s.timer().try_to_cancel();
        return;
    }
    s.timer().start(next, Mode::AbsPinnedHard);
    // Armed here before the proxy is read again; pairs with the barrier
    // of `set_proxy()` between its new proxy and its cancel of the timer:
    // either that cancel finds what was armed here and dequeues it
    // (waiting for the callback if it runs), or this sees the new proxy.
    // Then the timer is dequeued here unless its callback runs now (it is
    // this CPU's own, or runs elsewhere: `start()` left it there); a
    // timer left enqueued on a CPU that is not N's proxy only hands its
    // expiry over ([`service`]). `moved` makes the new proxy arm it.
    smp_mb();
    if !s.proxied_here() {
        s.timer().try_to_cancel();
        s.moved().store(1, Relaxed);
    }
}

/// Have the proxy look again a little later. A proxy that is N's no more
/// kicks the new one instead, so that no timer of N's is left on it.
fn look_again(s: &CpuState) {
    if s.proxied_here() {
        s.retry().start(RETRY_NS, Mode::RelPinnedHard);
    } else {
        s.kick();
    }
}

/// On the proxy, interrupts off: run passes for N while it is halted and
/// has work. If N runs itself, it sees its work before it halts.
fn service(s: CpuState) {
    // SAFETY: an assertion (lockdep's) about this CPU's interrupts.
    unsafe { bindings::cpu_proxy_lockdep_assert_irqs_disabled() };
    if !s.proxied_here() {
        // N's proxy changed since this was queued or armed: hand it over.
        // The parker kicked the new proxy too, but what brought this here
        // may have come after that proxy looked.
        s.kick();
        return;
    }
    let mut passes = 0;
    let mut spin_until = None;
    loop {
        // The barrier after a failed take orders the read of `halting`
        // after the kick or timer that brought this here; it pairs with
        // the barrier after `halting` in `last_look()` (`idle.rs`). (For a
        // kick `irq_work_single()`'s barrier does it already; this does
        // not rely on it.)
        let owned = match s.take() {
            Ok(owned) => owned,
            // NATIVE while N is on its way to hlt (it kicked this CPU
            // before it gave its context up), or in an NMI taken there:
            // wait the few instructions until it halts, then look again a
            // little later.
            Err(Take::Halting) => {
                let now = sched::ktime_get_ns();
                let until = *spin_until.get_or_insert(now.saturating_add(HALT_SPIN_NS));
                if now < until {
                    cpu_relax();
                    continue;
                }
                look_again(&s);
                return;
            }
            // N runs itself and will look at its work, or another pass or
            // a stop holds it.
            Err(_) => return,
        };

        // A pass runs N's softirqs on this CPU's hardware. If this CPU was
        // interrupted with its bottom halves off (`spin_lock_bh()`) or in
        // a softirq, a softirq handler of N's may want the very lock it
        // holds and spin on it forever; if it is in a kernel FPU section,
        // one of N's may use the FPU it has live. Run the rest of the pass
        // now (a synchronous call waits for it) and N's softirqs later.
        // SAFETY: both read this CPU's own state, interrupts off.
        let bh_unsafe =
            unsafe { bindings::cpu_proxy_softirq_count() != 0 || !bindings::irq_fpu_usable() };
        owned.set_no_softirq(bh_unsafe);
        stats::STATS.proxy_entries.fetch_add(1, Ordering::Relaxed);
        owned.run_pass();
        arm(&s);

        // N's softirqs left pending: look again soon, and if this CPU
        // keeps its bottom halves off for too long, N runs them itself.
        let mut native = owned.take_native();
        let mut retry = false;
        if !owned.softirqs_left() || native {
            owned.set_bh_since(0);
        } else {
            let now = sched::ktime_get_ns();
            if owned.bh_since() == 0 {
                owned.set_bh_since(now);
            }
            if now.saturating_sub(owned.bh_since()) > SOFTIRQ_MAX_NS {
                owned.set_bh_since(0);
                native = true;
                s.why().or(bindings::CPU_PROXY_WHY_SOFTIRQ as i32, Relaxed);
            } else {
                retry = true;
            }
        }
        owned.give_back();

        if native {
            // SAFETY: an interrupt to a possible CPU.
            unsafe { bindings::arch_cpu_proxy_wake(s.cpu().as_u32()) };
            return;
        }
        if !s.proxied_here() {
            // Moved meanwhile: what is left is the new proxy's, `moved`
            // included, which `arm()` left set. Kicked only now: while
            // this CPU held N, the new proxy could not take it.
            if retry || pending(&s) {
                s.kick();
            }
            return;
        }
        if retry {
            look_again(&s);
        }
        if !pending(&s) {
            return;
        }
        passes += 1;
        if passes >= PASSES_IN_A_ROW {
            s.kick();
            return;
        }
    }
}

/// The state whose field `$f` `$ptr` points to.
macro_rules! state_of {
    ($ptr:expr, $f:ident) => {{
        // SAFETY: the callers' C structures are fields `$f` of CPUs' copies
        // of `cpu_proxy_cpus`: `cpu_proxy_init_cpus()` set them up so, and the
        // callback is only ever called for them.
        unsafe { CpuState::from_raw(container_of!($ptr, bindings::cpu_proxy_cpu, $f).cast_mut()) }
    }};
}

/// `set_next_ktime()` of a parked CPU's stand-in tick device: record the
/// expiry, and have the proxy arm its timer for it. On the CPU, or in a
/// pass for it, as it, interrupts off.
///
/// # Safety
///
/// `evt` must be the `evt` of a CPU's copy of `cpu_proxy_cpus`.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_evt_next(
    expires: bindings::ktime_t,
    evt: *mut bindings::clock_event_device,
) -> c_int {
    if let Some(s) = state_of!(evt, evt) {
        s.set_next_event(expires);
        s.rearm().store(true, Relaxed);
    }
    0
}
c_export!(cpu_proxy_evt_next);

/// `set_state_shutdown()` and `set_state_oneshot_stopped()` of the
/// stand-in device: no expiry.
///
/// # Safety
///
/// As for [`cpu_proxy_evt_next`].
#[no_mangle]
unsafe extern "C" fn cpu_proxy_evt_stop(evt: *mut bindings::clock_event_device) -> c_int {
    // SAFETY: by the function's safety requirements.
    unsafe { cpu_proxy_evt_next(KTIME_MAX, evt) }
}
c_export!(cpu_proxy_evt_stop);

/// N's `kick` irq_work, on its proxy: run passes for N.
///
/// # Safety
///
/// `work` must be the `kick` of a CPU's copy of `cpu_proxy_cpus`.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_kick_fn(work: *mut bindings::irq_work) {
    if let Some(s) = state_of!(work, kick) {
        service(s);
    }
}
c_export!(cpu_proxy_kick_fn);

/// N's `timer`, on its proxy: N's next expiry is due.
///
/// # Safety
///
/// `timer` must be the `timer` of a CPU's copy of `cpu_proxy_cpus`.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_timer_fn(
    timer: *mut bindings::hrtimer,
) -> bindings::hrtimer_restart {
    if let Some(s) = state_of!(timer, timer) {
        service(s);
    }
    bindings::hrtimer_restart_HRTIMER_NORESTART
}
c_export!(cpu_proxy_timer_fn);

/// N's `retry`, on its proxy: look again.
///
/// # Safety
///
/// `timer` must be the `retry` of a CPU's copy of `cpu_proxy_cpus`.
#[no_mangle]
unsafe extern "C" fn cpu_proxy_retry_fn(
    timer: *mut bindings::hrtimer,
) -> bindings::hrtimer_restart {
    if let Some(s) = state_of!(timer, retry) {
        service(s);
    }
    bindings::hrtimer_restart_HRTIMER_NORESTART
}
c_export!(cpu_proxy_retry_fn);
