// SPDX-License-Identifier: GPL-2.0

//! Host-side build of the pure-logic modules of the kernel crate in
//! `rust/proxy/`, so that `cargo test` runs their unit tests. The files are
//! the kernel's own, included by path: what is tested here is what the
//! kernel builds.
//!
//! Beside them, [`protocol`] is the ownership protocol that
//! `kernel/cpu_proxy_proxy.c` implements, written generic over its atomics
//! so that it can be model-checked here ([`protocol_model`], with loom),
//! and instantiated by the kernel crate once the mechanism moves there.

#![cfg_attr(not(test), no_std)]
// The kernel crate uses these modules through its entry points, which are
// not built here.
#![allow(dead_code)]

#[path = "../rust/proxy/cpulist.rs"]
mod cpulist;
#[path = "../rust/proxy/plan.rs"]
mod plan;
mod protocol;
#[cfg(test)]
mod protocol_model;
#[path = "../rust/proxy/stats.rs"]
mod stats;
