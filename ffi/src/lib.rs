//! The C API of bellwether: `libbellwether.a` and `libbellwether.so`, described by
//! `include/bellwether.h` (generated from this crate by cbindgen, so every doc comment on
//! an exported item is written for C readers: no rustdoc links).
//!
//! Conventions, after rustls-ffi: one prefix, `bw_`; an opaque node type that lives in
//! memory the caller provides ([`BW_NODE_SIZE`] bytes aligned to [`BW_NODE_ALIGN`]), so the
//! library never allocates; argument order object, inputs, outputs; every buffer pointer
//! followed by its length; every pointer checked for NULL, whatever length comes with it;
//! outputs written only on [`bw_result::Ok`]; time as `uint64_t` in the host's units
//! (milliseconds by default). Enumerations cross the boundary as `uint32_t`, whose size is
//! the same on every ABI (a C enum's is not: `arm-none-eabi-gcc` makes small ones one
//! byte); the header also names each as a C enum for `switch`. [`bw_config`] carries its
//! own size, so fields can be added without breaking compiled programs.
//!
//! The host's loop is the Rust one: after every input (`bw_node_handle_bytes`,
//! `bw_node_handle_timeout`), call `bw_node_poll_output` until it hands out
//! `BW_OUTPUT_KIND_TIMEOUT`: durable state to persist (quorum, persistent mode: write, then
//! `bw_node_confirm_persisted`), messages, events, and finally the next deadline. The
//! separate polls it is made of (`bw_node_poll_persist`, `_transmit`, `_event`,
//! `_timeout`) remain for hosts that drain step by step.
//!
//! No panic crosses into C, and the library needs no Rust standard library: the engine
//! never panics, and the release profile builds with `panic = "abort"` and this crate's own
//! panic handler, which calls the C library's `abort()` on a host and halts on bare metal.
//! Only a build with `panic = "unwind"` (cargo's dev and test profiles, whose libraries are
//! not for shipping) links `std`, for its unwinding runtime.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![allow(non_camel_case_types)]

// Unwinding needs std's panic runtime; everything else is `core`.
#[cfg(panic = "unwind")]
extern crate std;

mod authenticator;
mod config;
mod multigroup;
mod node;
mod output;
mod pointers;
mod record;
mod result;

pub use authenticator::{BW_CMAC_KEY_SIZE, bw_auth, bw_auth_kind, bw_sign_fn, bw_verify_fn};
pub use config::{
    bw_algorithm, bw_config, bw_config_init, bw_durability, bw_member, bw_preemption,
    bw_protection, bw_ring_variant,
};
pub use multigroup::{
    BW_GROUP_SLOT_ALIGN, BW_GROUP_SLOT_SIZE, BW_MULTI_ALIGN, BW_MULTI_DEFAULT_PREFERRED,
    BW_MULTI_MAX_GROUP_MEMBERS, BW_MULTI_MAX_GROUPS, BW_MULTI_MIN_DATAGRAM_SIZE,
    BW_MULTI_PERSIST_BATCH, BW_MULTI_SIZE, BW_QUEUED_ITEM_ALIGN, BW_QUEUED_ITEM_SIZE,
    bw_group_event, bw_group_record, bw_group_slot, bw_multi, bw_multi_add_group, bw_multi_align,
    bw_multi_config, bw_multi_config_init, bw_multi_confirm_persisted, bw_multi_counters,
    bw_multi_handle_bytes, bw_multi_handle_timeout, bw_multi_has_lease, bw_multi_init,
    bw_multi_is_alive, bw_multi_leader, bw_multi_leading, bw_multi_lease_until,
    bw_multi_poll_event, bw_multi_poll_persist, bw_multi_poll_timeout, bw_multi_poll_transmit,
    bw_multi_restore_group, bw_multi_role, bw_multi_size, bw_multi_statistics, bw_multi_storage,
    bw_multi_term, bw_multi_transfer_leadership, bw_queued_item,
};
pub use node::{
    BW_MAX_MEMBERS, BW_MAX_MESSAGE_SIZE, BW_MAX_TERM, BW_NODE_ALIGN, BW_NODE_SIZE,
    bw_durable_state, bw_node, bw_node_align, bw_node_confirm_persisted, bw_node_durable_state,
    bw_node_fencing_token, bw_node_handle_bytes, bw_node_handle_timeout, bw_node_has_lease,
    bw_node_init, bw_node_init_authenticated, bw_node_leader, bw_node_lease_until, bw_node_restore,
    bw_node_restore_authenticated, bw_node_retire_previous_key, bw_node_role, bw_node_set_cmac_key,
    bw_node_set_freshness, bw_node_set_mac_callbacks, bw_node_size, bw_node_statistics,
    bw_node_storage, bw_node_term, bw_node_transfer_leadership, bw_role, bw_statistics,
};
pub use output::{
    bw_cause, bw_cause_str, bw_event, bw_event_kind, bw_node_poll_event, bw_node_poll_output,
    bw_node_poll_persist, bw_node_poll_timeout, bw_node_poll_transmit, bw_output, bw_output_kind,
    bw_timeout, bw_transmit,
};
pub use record::{
    BW_RECORD_SIZE, bw_record_decode, bw_record_encode, bw_record_recover, bw_recovered, bw_slot,
    bw_slot_writer, bw_slot_writer_resume, bw_slot_writer_write,
};
pub use result::{bw_result, bw_result_str};

/// The library's major version.
pub const BELLWETHER_VERSION_MAJOR: u32 = 0;
/// The library's minor version.
pub const BELLWETHER_VERSION_MINOR: u32 = 1;
/// The library's patch version.
pub const BELLWETHER_VERSION_PATCH: u32 = 0;

/// The library's version as text, e.g. `"0.1.0"`: compare it with the header's
/// `BELLWETHER_VERSION_*` macros to detect a mismatched library at run time.
#[unsafe(no_mangle)]
pub extern "C" fn bw_version() -> *const core::ffi::c_char {
    const VERSION: &core::ffi::CStr = match core::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(version) => version,
        Err(_) => c"?",
    };
    VERSION.as_ptr()
}

/// What an unexpected panic does: abort the process, through the C library (hosts).
#[cfg(all(panic = "abort", not(target_os = "none")))]
#[panic_handler]
fn abort_on_panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: this is C's `void abort(void)`, which takes nothing, never returns, and may
    // be called at any time, so declaring it safe to call is sound.
    #[link(name = "c")]
    unsafe extern "C" {
        safe fn abort() -> !;
    }
    // Unreachable: the engine never panics. No unwinding: the C caller's frames stay intact.
    abort()
}

/// What an unexpected panic does: halt (bare metal, the firmware convention).
#[cfg(all(panic = "abort", target_os = "none"))]
#[panic_handler]
fn halt(_: &core::panic::PanicInfo<'_>) -> ! {
    // Unreachable: the engine never panics.
    loop {
        core::hint::spin_loop();
    }
}
