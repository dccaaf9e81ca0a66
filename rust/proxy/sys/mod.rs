// SPDX-License-Identifier: GPL-2.0

//! Small abstractions over the kernel facilities the mechanism uses, which
//! the 6.12 `kernel` crate does not provide.
//!
//! Each follows the shape of the upstream abstraction of a later kernel
//! where there is one (`kernel::sync::atomic`, `kernel::cpu::CpuId`), so
//! that the crate can move to upstream's when the project moves kernels;
//! none is copied from it. C macros and inlines are reached through the
//! helpers of `kernel/cpu_proxy_helpers.c`, declared in the private
//! contract `kernel/cpu_proxy_rust.h`.

pub(crate) mod atomic;
pub(crate) mod bug;
pub(crate) mod cpu;
pub(crate) mod hrtimer;
pub(crate) mod irq_work;
pub(crate) mod percpu;
pub(crate) mod printk;
pub(crate) mod sched;

pub(crate) use bug::warn_once;
pub(crate) use printk::ratelimited;
