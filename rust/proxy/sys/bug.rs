// SPDX-License-Identifier: GPL-2.0

//! Warnings with a backtrace, as C's `WARN_ON_ONCE()` gives them.

/// Prints its arguments as `pr_err!` does, then warns with a backtrace
/// (`WARN()`, naming this call site), once per call site, ever. For a
/// broken contract between the crate and its callers: the caller goes on.
macro_rules! warn_once {
    ($($arg:tt)*) => {{
        static WARNED: ::core::sync::atomic::AtomicBool =
            ::core::sync::atomic::AtomicBool::new(false);
        if !WARNED.swap(true, ::core::sync::atomic::Ordering::Relaxed) {
            ::kernel::pr_err!($($arg)*);
            // SAFETY: a warning, which takes any context; both strings are
            // NUL-terminated and static.
            unsafe {
                ::kernel::bindings::cpu_proxy_warn(
                    ::kernel::c_str!(file!()).as_char_ptr(),
                    line!() as ::kernel::ffi::c_int,
                )
            };
        }
    }};
}

pub(crate) use warn_once;
