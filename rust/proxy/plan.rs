// SPDX-License-Identifier: GPL-2.0

//! Deciding what a park or unpark write changes.
//!
//! A write names a set of CPUs. Which of them actually change state, and
//! whether the write is refused, depends only on the request, the online
//! CPUs and the parked CPUs. That decision is made here, as a pure
//! function over bitmap words, so that it is host-tested; the caller
//! applies it under the hotplug lock.
//!
//! The rules (Documentation/admin-guide/cpu-proxy.rst, "Usage"):
//!
//! - every requested CPU must be online, else [`PlanError::NotOnline`]
//!   (`ENODEV`) and nothing changes;
//! - parking a parked CPU and unparking an active one are no-ops;
//! - a park that would leave no active CPU is refused with
//!   [`PlanError::NoActiveCpu`] (`EBUSY`) and nothing changes.

/// Why a request is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlanError {
    /// A requested CPU is not online (or not present).
    NotOnline,
    /// Parking would leave no active CPU.
    NoActiveCpu,
}

fn check_online(req: &[usize], online: &[usize]) -> Result<(), PlanError> {
    if req.iter().zip(online).any(|(r, o)| r & !o != 0) {
        return Err(PlanError::NotOnline);
    }
    Ok(())
}

fn count(words: &[usize]) -> u32 {
    words.iter().map(|w| w.count_ones()).sum()
}

/// Computes the CPUs a park of `req` changes into `out`; returns how many.
///
/// All slices have the same length; bits past the last possible CPU are
/// zero in all of them.
pub(crate) fn park(
    req: &[usize],
    online: &[usize],
    parked: &[usize],
    out: &mut [usize],
) -> Result<u32, PlanError> {
    check_online(req, online)?;
    let mut left_active = false;
    for i in 0..out.len() {
        out[i] = req[i] & !parked[i];
        left_active |= online[i] & !parked[i] & !out[i] != 0;
    }
    if !left_active {
        out.fill(0);
        return Err(PlanError::NoActiveCpu);
    }
    Ok(count(out))
}

/// Sets `out` to the CPUs of `req` that `bits(word index)` keeps; returns
/// how many.
fn select(req: &[usize], out: &mut [usize], bits: impl Fn(usize) -> usize) -> u32 {
    for (i, o) in out.iter_mut().enumerate() {
        *o = req[i] & bits(i);
    }
    count(out)
}

/// Computes the CPUs an unpark of `req` changes into `out`; returns how
/// many.
pub(crate) fn unpark(
    req: &[usize],
    online: &[usize],
    parked: &[usize],
    out: &mut [usize],
) -> Result<u32, PlanError> {
    check_online(req, online)?;
    Ok(select(req, out, |i| parked[i]))
}

/// Calls `f` with each set bit of `words`, lowest first.
pub(crate) fn for_each_bit(words: &[usize], mut f: impl FnMut(u32)) {
    for (i, &w) in words.iter().enumerate() {
        let mut w = w;
        while w != 0 {
            let b = w.trailing_zeros();
            f(i as u32 * usize::BITS + b);
            w &= w - 1;
        }
    }
}

/// Computes the CPUs a mask offline of `req` changes into `out`; returns
/// how many. CPUs already offline are left alone.
///
/// Refused, with nothing changed: a CPU that is not present
/// ([`PlanError::NotOnline`], `ENODEV`); a parked CPU in the set, or no
/// online, active, unparked CPU left ([`PlanError::NoActiveCpu`],
/// `EBUSY`).
pub(crate) fn offline(
    req: &[usize],
    present: &[usize],
    online: &[usize],
    active: &[usize],
    parked: &[usize],
    out: &mut [usize],
) -> Result<u32, PlanError> {
    check_online(req, present)?;
    let mut left = false;
    let mut parked_in_set = false;
    for i in 0..out.len() {
        out[i] = req[i] & online[i];
        parked_in_set |= out[i] & parked[i] != 0;
        left |= online[i] & active[i] & !parked[i] & !out[i] != 0;
    }
    if parked_in_set || !left {
        out.fill(0);
        return Err(PlanError::NoActiveCpu);
    }
    Ok(count(out))
}

/// Computes the CPUs a mask online of `req` changes into `out`; returns
/// how many. CPUs already online are left alone; a CPU that is not present
/// is refused ([`PlanError::NotOnline`], `ENODEV`).
pub(crate) fn online(
    req: &[usize],
    present: &[usize],
    online: &[usize],
    out: &mut [usize],
) -> Result<u32, PlanError> {
    check_online(req, present)?;
    Ok(select(req, out, |i| !online[i]))
}

/// No proxy assigned.
pub(crate) const NO_PROXY: i32 = -1;

fn bit(words: &[usize], cpu: usize) -> bool {
    let b = usize::BITS as usize;
    words
        .get(cpu / b)
        .is_some_and(|w| (w >> (cpu % b)) & 1 == 1)
}

/// Where a CPU sits, for proxy choice: its physical package, its core (a
/// number SMT siblings share, unique in the system), and whether it does
/// the kernel's housekeeping (it is not isolated from the scheduler or
/// the tick by `isolcpus=` or `nohz_full=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    /// The physical package.
    pub(crate) package: u32,
    /// The core: its first CPU.
    pub(crate) core: u32,
    /// A housekeeping CPU, which may take a parked CPU's interrupt work.
    pub(crate) housekeeping: bool,
}

/// Chooses a proxy for every parked CPU.
///
/// `proxy[cpu]` holds each CPU's current proxy, or [`NO_PROXY`], and is
/// updated in place; `load` is scratch of the same length. A parked CPU
/// keeps its proxy while that stays active (so a park write moves no
/// existing assignment it does not have to). Otherwise it gets an active
/// housekeeping CPU if there is one: a CPU isolated for latency-sensitive
/// work is not given another CPU's timers and softirqs. Among those, an
/// SMT sibling (the same `place(cpu).core`), else a CPU of its own
/// package, else any; among those, the one that proxies the fewest parked
/// CPUs, ties to the lowest CPU number. Proxies stay close to the CPU
/// whose data they touch (a sibling shares its caches, and has its core
/// to itself while it is parked), and are spread. A CPU that is not
/// parked gets [`NO_PROXY`].
///
/// Returns false, leaving some parked CPU without a proxy, only if no CPU
/// is active.
pub(crate) fn assign_proxies(
    parked: &[usize],
    active: &[usize],
    place: impl Fn(u32) -> Place,
    proxy: &mut [i32],
    load: &mut [u32],
) -> bool {
    let n = proxy.len().min(load.len());
    load.fill(0);
    for (c, p) in proxy.iter_mut().enumerate().take(n) {
        if !bit(parked, c) || *p < 0 || *p as usize >= n || !bit(active, *p as usize) {
            *p = NO_PROXY;
        } else {
            load[*p as usize] += 1;
        }
    }
    for (c, slot) in proxy.iter_mut().enumerate().take(n) {
        if !bit(parked, c) || *slot != NO_PROXY {
            continue;
        }
        let home = place(c as u32);
        let mut best: Option<(bool, bool, bool, u32, usize)> = None;
        for p in (0..n).filter(|&p| bit(active, p)) {
            let there = place(p as u32);
            let key = (
                !there.housekeeping,
                there.package != home.package,
                there.core != home.core,
                load[p],
                p,
            );
            match best {
                Some(b) if b <= key => {}
                _ => best = Some(key),
            }
        }
        match best {
            Some((_, _, _, _, p)) => {
                *slot = p as i32;
                load[p] += 1;
            }
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    const W: usize = 2;

    fn m(cpus: &[u32]) -> [usize; W] {
        let mut w = [0usize; W];
        for &c in cpus {
            w[(c / usize::BITS) as usize] |= 1 << (c % usize::BITS);
        }
        w
    }

    fn bits(w: &[usize]) -> Vec<u32> {
        let mut v = Vec::new();
        for_each_bit(w, |b| v.push(b));
        v
    }

    #[test]
    fn park_changes_only_active_cpus() {
        let online = m(&[0, 1, 2, 3]);
        let mut out = [0; W];
        assert_eq!(park(&m(&[2, 3]), &online, &m(&[3]), &mut out), Ok(1));
        assert_eq!(bits(&out), [2]);
    }

    #[test]
    fn park_of_parked_is_a_no_op() {
        let mut out = [0; W];
        assert_eq!(park(&m(&[3]), &m(&[0, 1, 2, 3]), &m(&[3]), &mut out), Ok(0));
        assert_eq!(bits(&out), []);
    }

    #[test]
    fn park_refuses_offline_and_absent_cpus() {
        let mut out = [0; W];
        let online = m(&[0, 1, 3]);
        assert_eq!(
            park(&m(&[2]), &online, &m(&[]), &mut out),
            Err(PlanError::NotOnline)
        );
        assert_eq!(
            park(&m(&[1, 2]), &online, &m(&[]), &mut out),
            Err(PlanError::NotOnline)
        );
        assert_eq!(
            park(&m(&[100]), &online, &m(&[]), &mut out),
            Err(PlanError::NotOnline)
        );
    }

    #[test]
    fn park_keeps_one_active_cpu() {
        let online = m(&[0, 1, 2, 3]);
        let mut out = [0; W];
        assert_eq!(
            park(&m(&[0, 1, 2, 3]), &online, &m(&[]), &mut out),
            Err(PlanError::NoActiveCpu)
        );
        assert_eq!(bits(&out), []);
        assert_eq!(
            park(&m(&[0]), &online, &m(&[1, 2, 3]), &mut out),
            Err(PlanError::NoActiveCpu)
        );
        assert_eq!(park(&m(&[1, 2, 3]), &online, &m(&[]), &mut out), Ok(3));
        // The last active CPU need not be CPU 0.
        assert_eq!(park(&m(&[0, 1, 2]), &online, &m(&[]), &mut out), Ok(3));
        // A CPU in the second word counts as active.
        let online = m(&[0, 70]);
        assert_eq!(park(&m(&[0]), &online, &m(&[]), &mut out), Ok(1));
    }

    #[test]
    fn unpark_changes_only_parked_cpus() {
        let online = m(&[0, 1, 2, 3, 65]);
        let mut out = [0; W];
        assert_eq!(
            unpark(&m(&[1, 2, 65]), &online, &m(&[2, 3, 65]), &mut out),
            Ok(2)
        );
        assert_eq!(bits(&out), [2, 65]);
        assert_eq!(unpark(&m(&[0]), &online, &m(&[2]), &mut out), Ok(0));
        assert_eq!(
            unpark(&m(&[5]), &online, &m(&[2]), &mut out),
            Err(PlanError::NotOnline)
        );
    }

    #[test]
    fn for_each_bit_visits_in_order() {
        assert_eq!(bits(&m(&[0, 5, 63, 64, 127])), [0, 5, 63, 64, 127]);
        assert_eq!(bits(&[0, 0]), []);
    }

    /// Exhaustive over 4 online CPUs: park never leaves zero active CPUs,
    /// never changes an offline or parked CPU, and a refusal changes nothing.
    #[test]
    fn park_invariants_exhaustive() {
        for online in 1usize..16 {
            for parked in 0usize..16 {
                if parked & !online != 0 || parked == online {
                    continue;
                }
                for req in 0usize..32 {
                    let mut out = [usize::MAX; 1];
                    match park(&[req], &[online], &[parked], &mut out) {
                        Ok(n) => {
                            assert_eq!(req & !online, 0);
                            assert_eq!(out[0], req & !parked);
                            assert_eq!(n, out[0].count_ones());
                            assert_ne!(online & !(parked | out[0]), 0);
                        }
                        Err(PlanError::NotOnline) => assert_ne!(req & !online, 0),
                        Err(PlanError::NoActiveCpu) => {
                            assert_eq!(out[0], 0);
                            assert_eq!(online & !(parked | req), 0);
                        }
                    }
                }
            }
        }
    }

    /// Proxy choice where every CPU is a core of its own.
    fn assign(parked: &[u32], active: &[u32], pkg: &[u32], proxy: &mut [i32]) -> bool {
        assign_smt(parked, active, pkg, &[0, 1, 2, 3, 4, 5, 6, 7], proxy)
    }

    fn assign_smt(
        parked: &[u32],
        active: &[u32],
        pkg: &[u32],
        core: &[u32],
        proxy: &mut [i32],
    ) -> bool {
        assign_hk(parked, active, pkg, core, &[], proxy)
    }

    /// As `assign_smt`, with the CPUs of `isolated` not housekeeping.
    fn assign_hk(
        parked: &[u32],
        active: &[u32],
        pkg: &[u32],
        core: &[u32],
        isolated: &[u32],
        proxy: &mut [i32],
    ) -> bool {
        let mut load = [0u32; 8];
        let place = |c: u32| Place {
            package: pkg[c as usize],
            core: core[c as usize],
            housekeeping: !isolated.contains(&c),
        };
        assign_proxies(
            &m(parked),
            &m(active),
            place,
            proxy,
            &mut load[..proxy.len()],
        )
    }

    /// Proxy choice on two packages of two cores of two threads, numbered
    /// as QEMU numbers them.
    fn two_packages(parked: &[u32], active: &[u32], proxy: &mut [i32]) -> bool {
        let pkg = [0, 0, 0, 0, 1, 1, 1, 1];
        assign_smt(parked, active, &pkg, &[0, 0, 2, 2, 4, 4, 6, 6], proxy)
    }

    /// The CPUs of 8 not in `x`.
    fn all_but(x: &[u32]) -> Vec<u32> {
        (0..8).filter(|c| !x.contains(c)).collect()
    }

    #[test]
    fn an_smt_sibling_comes_first() {
        let mut proxy = [NO_PROXY; 8];
        assert!(two_packages(&[7], &all_but(&[7]), &mut proxy));
        assert_eq!(proxy[7], 6);
        // Before a less loaded CPU of the package: 4 proxies nothing.
        let mut proxy = [NO_PROXY; 8];
        assert!(two_packages(&[5, 7], &all_but(&[5, 7]), &mut proxy));
        assert_eq!(proxy, [-1, -1, -1, -1, -1, 4, -1, 6]);
    }

    #[test]
    fn without_a_sibling_the_package_then_any() {
        // 6 and 7 parked: the package's other core, spread over both.
        let mut proxy = [NO_PROXY; 8];
        assert!(two_packages(&[6, 7], &all_but(&[6, 7]), &mut proxy));
        assert_eq!(&proxy[6..], &[4, 5]);
        // The whole package parked: the other one.
        let mut proxy = [NO_PROXY; 8];
        assert!(two_packages(
            &[4, 5, 6, 7],
            &all_but(&[4, 5, 6, 7]),
            &mut proxy
        ));
        assert_eq!(&proxy[4..], &[0, 1, 2, 3]);
    }

    #[test]
    fn a_sibling_that_parks_hands_over() {
        let mut proxy = [NO_PROXY; 8];
        assert!(two_packages(&[7], &all_but(&[7]), &mut proxy));
        assert_eq!(proxy[7], 6);
        // 6 parks too: both go to the package's other core.
        assert!(two_packages(&[6, 7], &all_but(&[6, 7]), &mut proxy));
        assert_eq!(&proxy[6..], &[4, 5]);
        // 6 comes back: 7 keeps 5, which is still active.
        assert!(two_packages(&[7], &all_but(&[7]), &mut proxy));
        assert_eq!(proxy, [-1, -1, -1, -1, -1, -1, -1, 5]);
    }

    #[test]
    fn housekeeping_cpus_come_first() {
        // CPU 1 is isolated: CPU 0's proxy is 2, not 1, on one package.
        let pkg = [0; 8];
        let core = [0, 1, 2, 3, 4, 5, 6, 7];
        let mut proxy = [NO_PROXY; 8];
        assert!(assign_hk(
            &[0],
            &all_but(&[0]),
            &pkg,
            &core,
            &[1],
            &mut proxy
        ));
        assert_eq!(proxy[0], 2);
        // Before an SMT sibling that is isolated, and before the package.
        let mut proxy = [NO_PROXY; 8];
        let (pkg2, core2) = ([0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 2, 2, 4, 4, 6, 6]);
        assert!(assign_hk(
            &[7],
            &all_but(&[7]),
            &pkg2,
            &core2,
            &[0, 1, 2, 3, 6],
            &mut proxy
        ));
        assert_eq!(proxy[7], 4);
        // With no housekeeping CPU active, an isolated one rather than none.
        let mut proxy = [NO_PROXY; 8];
        assert!(assign_hk(&[0], &[1, 2], &pkg, &core, &[1, 2], &mut proxy));
        assert_eq!(proxy[0], 1);
    }

    #[test]
    fn proxies_are_active_spread_and_local() {
        let pkg = [0, 0, 0, 0, 1, 1, 1, 1];
        let mut proxy = [NO_PROXY; 8];
        assert!(assign(&[1, 2, 5, 6, 7], &[0, 3, 4], &pkg, &mut proxy));
        assert_eq!(proxy, [-1, 0, 3, -1, -1, 4, 4, 4]);
    }

    #[test]
    fn assignments_survive_while_their_proxy_is_active() {
        let pkg = [0; 8];
        let mut proxy = [-1, 3, -1, -1, -1, -1, -1, -1];
        assert!(assign(&[1, 2], &[0, 3], &pkg, &mut proxy));
        assert_eq!(proxy[1], 3);
        assert_eq!(proxy[2], 0);
        // The proxy of 1 parks: 1 moves, 2 stays.
        assert!(assign(&[1, 2, 3], &[0], &pkg, &mut proxy));
        assert_eq!(&proxy[..4], &[-1, 0, 0, 0]);
    }

    #[test]
    fn unparked_cpus_lose_their_proxy() {
        let pkg = [0; 8];
        let mut proxy = [-1, 0, 0, -1, -1, -1, -1, -1];
        assert!(assign(&[2], &[0, 1], &pkg, &mut proxy));
        assert_eq!(&proxy[..3], &[-1, -1, 0]);
    }

    #[test]
    fn no_active_cpu_is_reported() {
        let pkg = [0; 8];
        let mut proxy = [NO_PROXY; 8];
        assert!(!assign(&[0, 1], &[], &pkg, &mut proxy));
    }

    #[test]
    fn assign_invariants_exhaustive() {
        // Every parked CPU of 6 gets an active proxy: a housekeeping one if
        // one is active; among those, an SMT sibling if one is active, else
        // one of its package if one is active. With every CPU its own core,
        // and with two cores of two threads; with no CPU isolated, and with
        // some.
        let pkg = [0, 0, 0, 1, 1, 1];
        let isolations: [&[u32]; 3] = [&[], &[1], &[0, 4]];
        for core in [[0, 1, 2, 3, 4, 5], [0, 0, 2, 3, 3, 5]] {
            for isolated in isolations {
                for parked in 0u32..64 {
                    check_assignment(parked, &pkg, &core, isolated);
                }
            }
        }
    }

    fn check_assignment(parked: u32, pkg: &[u32; 6], core: &[u32; 6], isolated: &[u32]) {
        let active: Vec<u32> = (0..6).filter(|c| parked & (1 << c) == 0).collect();
        let pk: Vec<u32> = (0..6).filter(|c| parked & (1 << c) != 0).collect();
        let mut proxy = [NO_PROXY; 6];
        let ok = assign_hk(&pk, &active, pkg, core, isolated, &mut proxy);
        assert_eq!(ok, !active.is_empty() || pk.is_empty());
        if !ok {
            return;
        }
        let hk = |a: u32| !isolated.contains(&a);
        // The candidates: the housekeeping active CPUs, if there are any.
        let cand: Vec<u32> = if active.iter().any(|&a| hk(a)) {
            active.iter().copied().filter(|&a| hk(a)).collect()
        } else {
            active.clone()
        };
        let near = |same: &dyn Fn(u32) -> bool| cand.iter().any(|&a| same(a));
        for c in 0..6u32 {
            let p = proxy[c as usize];
            let (ci, pi) = (c as usize, p as usize);
            if !pk.contains(&c) {
                assert_eq!(p, NO_PROXY);
                continue;
            }
            assert!(
                cand.contains(&(p as u32)),
                "{parked:#x} {isolated:?}: {c} -> {p}"
            );
            if near(&|a| core[a as usize] == core[ci]) {
                assert_eq!(core[pi], core[ci], "{parked:#x} {isolated:?}: {c} -> {p}");
            } else if near(&|a| pkg[a as usize] == pkg[ci]) {
                assert_eq!(pkg[pi], pkg[ci], "{parked:#x} {isolated:?}: {c} -> {p}");
            }
        }
    }

    #[test]
    fn offline_changes_online_cpus_and_keeps_one() {
        let all = m(&[0, 1, 2, 3]);
        let mut out = [0; W];
        assert_eq!(
            Ok(2),
            offline(&m(&[1, 2]), &all, &all, &all, &m(&[]), &mut out)
        );
        assert_eq!(bits(&out), [1, 2]);
        // Already offline: a no-op.
        let on = m(&[0, 1, 3]);
        assert_eq!(
            Ok(1),
            offline(&m(&[2, 3]), &all, &on, &on, &m(&[]), &mut out)
        );
        assert_eq!(bits(&out), [3]);
        // All of them, or all but a parked one: EBUSY, nothing changes.
        let e = Err(PlanError::NoActiveCpu);
        assert_eq!(e, offline(&all, &all, &all, &all, &m(&[]), &mut out));
        assert_eq!(bits(&out), []);
        let act = m(&[1, 2, 3]);
        assert_eq!(
            e,
            offline(&m(&[1, 2, 3]), &all, &all, &act, &m(&[0]), &mut out)
        );
        // A parked CPU in the set: EBUSY.
        assert_eq!(
            e,
            offline(&m(&[1, 2]), &all, &all, &m(&[0, 1, 3]), &m(&[2]), &mut out)
        );
        // Not present: ENODEV.
        let three = m(&[0, 1, 2]);
        let e = Err(PlanError::NotOnline);
        assert_eq!(
            e,
            offline(&m(&[3]), &three, &three, &three, &m(&[]), &mut out)
        );
    }

    #[test]
    fn online_changes_offline_present_cpus() {
        let all = m(&[0, 1, 2, 3]);
        let mut out = [0; W];
        assert_eq!(Ok(2), online(&m(&[1, 2, 3]), &all, &m(&[0, 1]), &mut out));
        assert_eq!(bits(&out), [2, 3]);
        assert_eq!(Ok(0), online(&m(&[0]), &all, &all, &mut out));
        let e = Err(PlanError::NotOnline);
        assert_eq!(e, online(&m(&[5]), &all, &all, &mut out));
    }
}
