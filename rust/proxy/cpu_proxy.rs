// SPDX-License-Identifier: GPL-2.0

//! Processor proxies and parallel hotplug: the core.
//!
//! A parked CPU stays in `cpu_online_mask` but runs nothing; a proxy CPU
//! stands in for it and runs its interrupt-side work under its per-CPU
//! identity. See `Documentation/core-api/cpu-proxy.rst` for the design.
//!
//! The logic lives here, in Rust; `kernel/cpu_proxy_glue.c` is the thin C
//! side that owns the sysfs attribute group and the hooks into core paths.
//! The C-facing API is `include/linux/cpu_proxy.h`; its Rust half is in
//! [`entry`], [`redirect`] and [`allow`]; the proxy's side of the
//! mechanism is [`service`], over the shared view of a CPU's state in
//! [`state`]. The mechanism's private contract with C is
//! `kernel/cpu_proxy_rust.h`, reached through the abstractions of [`sys`].
//! Modules with no kernel dependency ([`cpulist`], [`plan`], [`protocol`],
//! [`stats`]) are host-tested with `cargo test`, the protocol with loom
//! (see `host/` in the project repo).

use kernel::prelude::*;

mod allow;
mod cpulist;
mod cpumask;
mod entry;
mod export;
mod hold;
mod hotplug;
mod idle;
mod irqs;
mod loop_ctl;
mod mask_hotplug;
mod mask_seq;
mod park;
mod pass;
mod plan;
// The ownership protocol, instantiated with C's atomics: the redirection
// and the proxy's take and give-back run it here; the parked CPU's halt
// and claim are entry code, in C (kernel/cpu_proxy_proxy.c); loom checks
// them all on the host.
#[allow(dead_code)]
mod protocol;
mod ratelimit;
mod redirect;
mod service;
mod state;
mod stats;
mod sys;
mod sysfs;
mod test_hooks;

module! {
    type: CpuProxy,
    name: "cpu_proxy",
    author: "cpu-proxy developers",
    description: "Processor proxies and parallel hotplug",
    license: "GPL",
}

struct CpuProxy {
    _sysfs: sysfs::Registration,
}

impl kernel::Module for CpuProxy {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let sysfs = sysfs::Registration::new()?;
        pr_info!("ready, {} possible CPUs\n", cpumask::nr_cpu_ids());
        Ok(Self { _sysfs: sysfs })
    }
}
