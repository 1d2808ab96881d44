//! The engine's memory footprint: prints `size_of::<Engine<N>>()` for 8, 16 and 32 members
//! (run with `--nocapture` to see it) and holds `Engine<16>` to the RAM budget of 1 KiB,
//! plus 48 bytes per member for the replay windows when authentication is compiled in.
//!
//! The engine holds the state of whichever algorithm it runs, so its size is that of the
//! largest algorithm compiled in. With the default features that is quorum election, whose
//! leader keeps a per-member table of acknowledged heartbeats (it grows with `N`); the test
//! prints the algorithms compiled in, so that a figure is never read for the wrong build.

use core::mem::size_of;

use bellwether::Engine;

/// The RAM one engine for 16 members may take: the project's budget, in bytes.
const BUDGET_16: usize = 1024;

/// What authenticated messages add per member on top of the budget: the replay window and
/// freshness exchange state of one peer (session, newest counter, 64-bit window, the
/// outstanding request, the request to answer). The 1 KiB budget predates authentication
/// and cannot hold these windows (16 of them alone take 768 bytes): an engine built with
/// the `authentication` feature is held to the budget plus this allowance per member.
#[cfg(feature = "authentication")]
const REPLAY_STATE_PER_MEMBER: usize = 48;

/// The budget of this build for `Engine<16>`.
const fn budget_16() -> usize {
    #[cfg(feature = "authentication")]
    return BUDGET_16 + 16 * REPLAY_STATE_PER_MEMBER;
    #[cfg(not(feature = "authentication"))]
    return BUDGET_16;
}

/// The algorithm features this build has.
fn algorithms_compiled_in() -> Vec<&'static str> {
    [
        ("bully", cfg!(feature = "bully")),
        ("next-in-line", cfg!(feature = "next-in-line")),
        ("candidates", cfg!(feature = "candidates")),
        ("invitation", cfg!(feature = "invitation")),
        ("ring", cfg!(feature = "ring")),
        ("quorum", cfg!(feature = "quorum")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect()
}

/// `Engine<16>` fits this build's budget with every algorithm of this build compiled in
/// (quorum election included, in a default or `--all-features` build).
#[test]
fn engine_sizes() {
    println!(
        "algorithms compiled in: {}",
        algorithms_compiled_in().join(", ")
    );
    println!("size_of::<Engine<8>>()  = {} bytes", size_of::<Engine<8>>());
    println!(
        "size_of::<Engine<16>>() = {} bytes",
        size_of::<Engine<16>>()
    );
    println!(
        "size_of::<Engine<32>>() = {} bytes",
        size_of::<Engine<32>>()
    );
    println!(
        "authentication compiled in: {}",
        cfg!(feature = "authentication")
    );
    assert!(
        size_of::<Engine<16>>() <= budget_16(),
        "Engine<16> takes {} bytes, over this build's {}-byte budget",
        size_of::<Engine<16>>(),
        budget_16()
    );
}

/// A multi-group node's storage per group: a slot and the three queue entries the scale
/// report found enough (no item dropped when a node failed or was cut off at 10,000
/// groups) stay within 128 bytes.
#[cfg(feature = "multigroup")]
#[test]
fn multigroup_storage_per_group() {
    use bellwether::multigroup::{GroupSlot, QueuedItem};
    let slot = size_of::<GroupSlot>();
    let item = size_of::<QueuedItem>();
    println!(
        "GroupSlot: {slot} B, QueuedItem: {item} B, per group: {} B",
        slot + 3 * item
    );
    assert!(slot + 3 * item <= 128, "{slot} + 3 × {item}");
}
