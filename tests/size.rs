//! The engine's memory footprint: prints `size_of::<Engine<N>>()` for 8, 16 and 32 members
//! (run with `--nocapture` to see it) and holds `Engine<16>` to the RAM budget of 1 KiB.

use core::mem::size_of;

use bellwether::Engine;

/// The RAM one engine for 16 members may take: the project's budget, in bytes.
const BUDGET_16: usize = 1024;

#[test]
fn engine_sizes() {
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
