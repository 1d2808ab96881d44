//! The engine's memory footprint: prints `size_of::<Engine<N>>()` for 8, 16 and 32 members
//! (run with `--nocapture` to see it) and holds `Engine<16>` to the RAM budget of 1 KiB.
//!
//! The engine holds the state of whichever algorithm it runs, so its size is that of the
//! largest algorithm compiled in. With the default features that is quorum election, whose
//! leader keeps a per-member table of acknowledged heartbeats (it grows with `N`); the test
//! prints the algorithms compiled in, so that a figure is never read for the wrong build.

use core::mem::size_of;

use bellwether::Engine;

/// The RAM one engine for 16 members may take: the project's budget, in bytes.
const BUDGET_16: usize = 1024;

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

/// `Engine<16>` fits the 1 KiB budget with every algorithm of this build compiled in
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
    assert!(
        size_of::<Engine<16>>() <= BUDGET_16,
        "Engine<16> takes {} bytes, over the {BUDGET_16}-byte budget",
        size_of::<Engine<16>>()
    );
}
