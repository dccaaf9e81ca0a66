// SPDX-License-Identifier: GPL-2.0

//! Checks at compile time that a function Rust exports to C has the type
//! C declares for it.
//!
//! A `#[no_mangle] extern "C"` function is called by C through the
//! prototype in a header, which the Rust compiler never sees. bindgen does
//! see it: every header of the mechanism is in the kernel's
//! `bindings_helper.h`, so `kernel::bindings` declares each function C
//! calls. [`c_export!`] names the Rust function and that declaration as
//! the two arms of one `if`, and both arms must coerce to one function
//! pointer type. Any difference in an argument, the return type, the
//! calling convention or a pointer's constness fails the build. A safe
//! Rust function may stand for a C prototype: it coerces to the `unsafe`
//! pointer that bindgen declares.
//!
//! The check needs the prototype in a header bindgen reads: an exported
//! function without one does not build. `scripts/lint.sh` checks that
//! every `#[no_mangle]` function in `rust/proxy/` has its `c_export!`.

/// Checks that the exported function `$name` has the type its C prototype
/// declares; see the module documentation.
macro_rules! c_export {
    ($name:ident) => {
        const _: () = {
            let _ = if true {
                ::kernel::bindings::$name
            } else {
                $name
            };
        };
    };
}

pub(crate) use c_export;
