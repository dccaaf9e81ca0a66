// SPDX-License-Identifier: GPL-2.0

//! The `/sys/devices/system/cpu/proxy/` directory.
//!
//! The attribute group itself is C (`kernel/cpu_proxy_glue.c`), built the
//! way `kernel/cpu.c` builds its SMT group; its `show`/`store` callbacks
//! call back into this crate. This module only owns its lifetime.

use kernel::{bindings, error::to_result, prelude::*};

/// The registered directory; removed again on drop.
pub(crate) struct Registration(());

impl Registration {
    /// Creates the directory and its files.
    pub(crate) fn new() -> Result<Self> {
        // Called from this module's init (process context, after the cpu
        // subsystem exists); undone once, in `drop`.
        // SAFETY: process context; not registered yet (see above).
        to_result(unsafe { bindings::cpu_proxy_sysfs_register() })?;
        Ok(Self(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: `self` exists only if registration succeeded, and is
        // dropped once.
        unsafe { bindings::cpu_proxy_sysfs_unregister() };
    }
}
