// SPDX-License-Identifier: GPL-2.0

//! The `/sys/devices/system/cpu/proxy/` directory.
//!
//! The attribute group itself is C (`kernel/cpu_proxy_glue.c`), built the
//! way `kernel/cpu.c` builds its SMT group; its `show`/`store` callbacks
//! call back into this crate (`entry.rs`), but for `parked`, which prints
//! the mask. This module creates it.

use kernel::{bindings, error::to_result, prelude::*};

/// The registered directory. The crate is built in, never unloaded, so
/// the directory is never removed.
pub(crate) struct Registration(());

impl Registration {
    /// Creates the directory and its files.
    pub(crate) fn new() -> Result<Self> {
        // Called once, from this module's init (process context, after the
        // cpu subsystem exists).
        // SAFETY: process context; not registered yet (see above).
        to_result(unsafe { bindings::cpu_proxy_sysfs_register() })?;
        Ok(Self(()))
    }
}
