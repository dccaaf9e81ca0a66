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
//! [`entry`]. Modules with no kernel dependency ([`cpulist`], [`plan`],
//! [`stats`])
//! are host-tested with `cargo test` (see `host/` in the project repo).

use kernel::prelude::*;

mod cpulist;
mod cpumask;
mod entry;
mod export;
mod hotplug;
mod park;
mod plan;
mod stats;
mod sysfs;

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
