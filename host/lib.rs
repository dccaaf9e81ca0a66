// SPDX-License-Identifier: GPL-2.0

//! Host-side build of the pure-logic modules of the kernel crate in
//! `rust/proxy/`, so that `cargo test` runs their unit tests. The files are
//! the kernel's own, included by path: what is tested here is what the
//! kernel builds.
//!
//! Among them, [`protocol`] is the ownership protocol of a parked CPU's
//! context, generic over its atomics: the kernel crate instantiates it
//! with C's, and [`protocol_model`] with loom's, to model-check it.

#![cfg_attr(not(test), no_std)]
// The kernel crate uses these modules through its entry points, which are
// not built here.
#![allow(dead_code)]

#[path = "../rust/proxy/cpulist.rs"]
mod cpulist;
#[path = "../rust/proxy/mask_seq.rs"]
mod mask_seq;
#[path = "../rust/proxy/plan.rs"]
mod plan;
#[path = "../rust/proxy/protocol.rs"]
mod protocol;
#[cfg(test)]
mod protocol_model;
#[path = "../rust/proxy/ratelimit.rs"]
mod ratelimit;
#[path = "../rust/proxy/stats.rs"]
mod stats;
