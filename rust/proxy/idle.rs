// SPDX-License-Identifier: GPL-2.0

//! The parked CPU's own side: its park loop.
//!
//! While told to park (`cpu_proxy_want_park`), or held by a
//! `stop_machine()` (`hold.rs`), a CPU N's idle task runs
//! [`cpu_proxy_idle`] in place of cpuidle. On the way in N takes its
//! proxy's stand-in as its tick device ([`install`]); in the loop it runs
//! what is left for it, looks at its work a last time, gives its context
//! to the proxy (`HALTED`) and halts (`cpu_proxy_halt()`, C: idle entry
//! code), and takes the context back (`NATIVE`) when an interrupt wakes
//! it; it leaves when unparked, or for a task, and gives the tick device
//! back on the way out ([`uninstall`]).
//!
//! A CPU about to be told to park is woken early ([`wake_early`])
//! and polls for its request ([`poll_soon`]), so that its parker does not
//! wait for a halted CPU to wake twice.
//!
//! What is decided here: what N takes on the way in and in what order;
//! when it runs a pass itself; when a wakeup counts, and why; when it may
//! leave; what its last look before the halt hands to the proxy.
//!
//! Each barrier names the one it pairs with: the parker's (`loop_ctl.rs`),
//! the proxy's (`service.rs`), the stop's (`hold.rs`). The transitions of
//! the owner word are those `host/` model-checks (`protocol.rs`).
//!
//! Context: N's idle task, interrupts off, unless said otherwise.

use crate::{
    cpumask::Cpumask,
    export::c_export,
    hold, protocol, service,
    state::{CpuState, Native},
    stats,
    sys::{
        atomic::{cpu_relax, smp_mb, smp_mb_after_atomic, Acquire, Full, Kernel, Relaxed, Release},
        cpu::CpuId,
        sched,
    },
    test_hooks,
};
use kernel::bindings;

/// `CPU_PROXY_EARLY_*`: not woken early; to poll for its request once
/// idle; polling (or told, and not installed yet).
const EARLY_NONE: i32 = bindings::CPU_PROXY_EARLY_NONE as i32;
const EARLY_SOON: i32 = bindings::CPU_PROXY_EARLY_SOON as i32;
const EARLY_POLLING: i32 = bindings::CPU_PROXY_EARLY_POLLING as i32;

/// How long a CPU woken early polls for its park request before it halts.
const SOON_NS: u64 = 100_000;

/// Take the stand-in as N's tick device and enter the loop.
fn install(n: &Native<'_>, s: &CpuState) {
    // SAFETY: N's idle task, interrupts off: it drops its lazy mm, and its
    // counters are folded by its proxy from here on.
    unsafe {
        bindings::leave_mm();
        bindings::vmstat_parked(true);
    }
    s.set_next_event(i64::MAX);
    s.leaving().store(false, Relaxed);
    // A reason left by the last pass before N left its loop last time is
    // not one for the first wakeup of this park. No pass runs for N before
    // it is installed.
    s.why().store(0, Relaxed);
    n.set_bh_since(0);
    // SAFETY: N's own tick device, swapped on N with interrupts off.
    n.set_saved_evt(unsafe { bindings::tick_swap_this_cpu_device(n.evt()) });
    // Installed before it is seen; `in_loop()` (`loop_ctl.rs`) acquires.
    s.installed().store_release(true, Release);
    // Installed before a parker's wakeup is looked for; pairs with
    // `wake_unless()` (`loop_ctl.rs`). A parker that did not see N
    // installed is sending it an interrupt: let it be sent.
    smp_mb();
    while s.waking().load(Relaxed) {
        cpu_relax();
    }
    // What reached N while it came here with interrupts off: that wakeup,
    // an early wakeup that landed late, a tick latched before the swap.
    // Taken now, not at the first hlt of the loop, where each would count
    // as a wakeup while parked.
    // SAFETY: on N, interrupts off.
    unsafe { bindings::arch_cpu_proxy_take_latched() };
    // Installed before no longer polling; `cpu_proxy_wake_idle()`
    // acquires. No new park can mark N before it leaves the loop.
    s.early().store_release(EARLY_NONE, Release);
}

/// Give N's tick device back and leave the loop.
fn uninstall(n: &Native<'_>, s: &CpuState) {
    // SAFETY: the timers are pinned to N's proxy, never N, and their
    // callbacks wait for nothing N holds (a bounded spin for N to halt).
    unsafe {
        s.timer().cancel();
        s.retry().cancel();
    }
    let saved = n.saved_evt();
    if !saved.is_null() {
        // SAFETY: N's own device, swapped back on N, interrupts off.
        unsafe { bindings::tick_swap_this_cpu_device(saved) };
    }
    n.set_saved_evt(core::ptr::null_mut());
    s.set_next_event(i64::MAX);
    s.rearm().store(false, Relaxed);
    // Leaving for good? Then watched again, before anything runs.
    if !s.want_park().load(Relaxed) {
        // SAFETY: on N, leaving its park for good.
        unsafe {
            bindings::lockup_detector_unparked();
            bindings::sched_parked_idle_exit();
        }
    }
    // Uninstalled before it is seen; `in_loop()` (`loop_ctl.rs`) acquires.
    s.installed().store_release(false, Release);
}

/// Unparked, and no `stop_machine()` counts on N to stay in its loop?
/// While one does, N stays; `cpu_proxy_unstop_parked()` wakes it.
fn may_leave(s: &CpuState) -> bool {
    if s.want_park().load(Relaxed) {
        return false;
    }
    // Pairs with `cpu_proxy_stop_parked()` (`hold.rs`).
    smp_mb();
    !hold::held(s.cpu())
}

/// Woken early ([`wake_early`]): poll, interrupts on, until told
/// to park, for at most [`SOON_NS`], so that the parker does not have to
/// wake a halted CPU again. Returns with interrupts on.
fn poll_soon(s: &CpuState) {
    let early = s.early();
    let end = sched::local_clock().saturating_add(SOON_NS);
    let mut next = EARLY_NONE;

    // Fully ordered: polling before the request is read.
    early.cmpxchg(EARLY_SOON, EARLY_POLLING, Full);
    // SAFETY: the idle task, done with what needed interrupts off.
    unsafe { bindings::cpu_proxy_local_irq_enable() };
    while early.load(Relaxed) == EARLY_POLLING {
        // Told: POLLING until installed.
        if s.want_park().load(Relaxed) {
            return;
        }
        // SAFETY: reads this task's flags.
        if unsafe { bindings::cpu_proxy_need_resched() } {
            // Poll again once idle again.
            next = EARLY_SOON;
            break;
        }
        // Not told in time: halt as usual until it is.
        if sched::local_clock() > end {
            break;
        }
        cpu_relax();
    }
    // Withdrawn meanwhile (NONE), or marked again (SOON)? Then that
    // stands. Fully ordered: not polling before the idle loop looks for a
    // request again; pairs with `cpu_proxy_wake_idle()`.
    early.cmpxchg(EARLY_POLLING, next, Full);
}

/// The last look before the halt, with `halting` set: what is seen here
/// goes to the proxy.
///
/// Halting before N looks at its work once more; pairs with `service()`
/// (`service.rs`). A kick or a proxy timer that came since the look at the
/// top of the loop found N `NATIVE` and not halting, and left its work to
/// it: it is seen here. One that comes after sees halting and looks again
/// after the hlt (`host/protocol_model.rs`, `Context::halting`). The clock
/// is read after the barrier: a timer that fired before it is due by then.
///
/// What is seen here goes to the proxy, which takes it once N has halted,
/// as it takes a kick that sees halting; not a pass here and a look again,
/// which a timer falling due between the looks every time would repeat
/// without end (and `cpu_proxy_hold_parked()` wait for this hlt as long).
/// The proxy also re-arms what N programmed, or re-arms it where it moved.
fn last_look(s: &CpuState) {
    protocol::halting::<Kernel>(s.halting());
    if service::pending(s) {
        s.kick();
    }
}

/// Run what is left for N, and say whether it may leave. After a halt,
/// `woke` counts the wakeup.
fn run_left(n: &Native<'_>, s: &CpuState, woke: bool) -> bool {
    // Whatever came while N ran itself, or woke it.
    if service::pending(s) || n.native() || s.has_deferred() {
        n.set_native(false);
        n.set_no_softirq(false);
        n.run_pass();
    }
    // Woken to be unparked: not a wakeup while parked.
    if !n.native() && may_leave(s) {
        return true;
    }
    if woke {
        let mut why = s.why().xchg(0, Full) as u32;
        if why == 0 {
            // SAFETY: reads this task's flags.
            why = if unsafe { bindings::cpu_proxy_need_resched() } {
                stats::why::TASK
            } else {
                stats::why::OTHER
            };
        }
        stats::STATS.note_wakeup(why);
    }
    false
}

/// A task to run (`native` after a pass on N says the same): leave, unless
/// a `stop_machine()` holds N. A stopped CPU runs no task, and one run here
/// could wait for a task the stop keeps off its CPU while the stop waits
/// for N to halt. Held, N waits for `cpu_proxy_unstop_parked()` to wake
/// it. Returns whether N leaves.
fn leave_for_task(n: &Native<'_>, s: &CpuState) -> bool {
    // SAFETY: the idle task's own polling flag.
    if !n.native() && !unsafe { bindings::cpu_proxy_current_clr_polling_and_test() } {
        return false;
    }
    s.leaving().store(true, Relaxed);
    // Pairs with `cpu_proxy_stop_parked()`: held, or not held.
    smp_mb();
    if !hold::held(s.cpu()) {
        return true;
    }
    s.leaving().store(false, Relaxed);
    // Held: back to sleep. A call queued while N polled was sent no IPI
    // (`set_nr_if_polling()`), and its sender, which saw N `NATIVE`, did
    // not kick the proxy: stop polling, then run what is queued, as the
    // idle loop does when it stops polling. Later senders interrupt N, or
    // find it `HALTED`.
    // SAFETY: the idle task's own polling flag.
    unsafe { bindings::cpu_proxy_current_clr_polling() };
    // Not polling before the queue is read; pairs with
    // `set_nr_if_polling()`.
    smp_mb_after_atomic();
    n.set_no_softirq(false);
    n.run_pass();
    false
}

/// The park loop; see the module documentation.
fn park_loop(n: &Native<'_>, s: &CpuState) {
    let mut woke = false;

    loop {
        if run_left(n, s, woke) || leave_for_task(n, s) {
            return;
        }
        n.set_native(false);
        // A tick still periodic at install (`cpu_proxy_can_park()`) is
        // handed over once it went one-shot, in N's own tick.
        if n.saved_evt().is_null() {
            // SAFETY: as in `install()`.
            n.set_saved_evt(unsafe { bindings::tick_swap_this_cpu_device(n.evt()) });
        }
        test_hooks::look_delay(s);
        last_look(s);
        n.halt();
        s.halting().store(0, Relaxed);
        // The pass at the top runs N's softirqs here: a wait for a
        // proxy's bottom halves starts again at the next pass that leaves
        // them. N owns its context: a proxy wrote this before it gave it
        // back, and the claim's cmpxchg orders that before here.
        n.set_bh_since(0);
        // SAFETY: the idle task's own polling flag.
        unsafe { bindings::cpu_proxy_current_set_polling() };
        woke = true;
        // Look at what woke N.
        n.set_native(true);
    }
}

/// The idle loop of a parked CPU; see `include/linux/cpu_proxy.h`.
///
/// Replaces `cpuidle_idle_call()` while the CPU is told to park, held by a
/// stop, or woken early. Returns, with interrupts on, when the CPU has
/// something to run or is unparked; its tick device is its own again
/// outside this function.
#[no_mangle]
extern "C" fn cpu_proxy_idle() {
    // SAFETY: an assertion (lockdep's) about this CPU's interrupts.
    unsafe { bindings::cpu_proxy_lockdep_assert_irqs_disabled() };
    let s = CpuState::of(CpuId::this());
    if !s.want_park().load(Relaxed) && !hold::held(s.cpu()) {
        poll_soon(&s);
        return;
    }
    // SAFETY: the idle task, interrupts off, owning its context: nothing
    // else runs as N while N runs.
    let n = unsafe { Native::new(&s) };
    // SAFETY: on N, entering its park.
    unsafe { bindings::sched_parked_idle_enter() };
    install(&n, &s);
    // SAFETY: N's idle task, interrupts off, its stand-in installed.
    unsafe { bindings::tick_nohz_idle_stop_tick() };
    park_loop(&n, &s);
    // SAFETY: the idle task's own polling flag.
    unsafe { bindings::cpu_proxy_current_set_polling() };
    uninstall(&n, &s);
    // SAFETY: the idle task, out of its park loop.
    unsafe { bindings::cpu_proxy_local_irq_enable() };
}
c_export!(cpu_proxy_idle);

/// Wake the CPUs of `set`, just marked parked and about to be told to
/// park.
///
/// Waking a halted (v)CPU is the longest step of a park. Woken now, before
/// their proxies are chosen and they are told, the CPUs poll in their idle
/// loop until told (`enter(cpu, 0)`, `loop_ctl.rs`), unparked, or
/// [`SOON_NS`] have passed. One interrupt for the set, so that the
/// architecture can address them all at once.
///
/// # Safety
///
/// Process context, the park lock (`MapsGuard`) held.
pub(crate) unsafe fn wake_early(set: &Cpumask) {
    // SAFETY: an assertion that the lock is held, as the function's safety
    // requirements say.
    unsafe { bindings::cpu_maps_assert_held() };
    for cpu in set.iter() {
        CpuState::of(cpu).early().store(EARLY_SOON, Relaxed);
    }
    // Seen by the CPUs' idle loops once the wakeup lands.
    smp_mb();
    // SAFETY: `set` is a valid mask; an interrupt to each of its CPUs.
    unsafe { bindings::arch_cpu_proxy_wake_mask(set.as_ptr()) };
}

/// Wake an idle CPU told to park, unless it needs no wakeup; see
/// `include/linux/cpu_proxy.h`.
///
/// A CPU in its park loop already, polling for its request after an early
/// wakeup, or about to (the early wakeup still on its way, or the CPU back
/// in its idle loop after a task), finds the request by itself: a wakeup
/// would only wake it once more, later, after the park, while its proxy
/// stands in for it. Context: `sched_cpu_park()`.
#[no_mangle]
extern "C" fn cpu_proxy_wake_idle(cpu: u32) {
    let Some(cpu) = CpuId::from_u32(cpu) else {
        return;
    };
    let s = CpuState::of(cpu);
    // Told before polling is read; pairs with `poll_soon()`.
    smp_mb();
    // SOON: it polls before it halts again (`cpu_proxy_idle_parks()`).
    // Pairs with `install()`: not polling, then installed.
    if s.early().load_acquire(Acquire) != EARLY_NONE || s.installed().load(Relaxed) {
        return;
    }
    // SAFETY: an interrupt to a possible CPU.
    unsafe { bindings::arch_cpu_proxy_wake(cpu.as_u32()) };
}
c_export!(cpu_proxy_wake_idle);
