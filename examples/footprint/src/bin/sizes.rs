//! `size_of::<Engine<N>>()` on the target, for 8, 16 and 32 members: each figure is the
//! size of a symbol (`ENGINE_SIZE_8`, `ENGINE_SIZE_16`, `ENGINE_SIZE_32`), a zeroed array
//! of exactly that many bytes, which `arm-none-eabi-nm --print-size` reads from the ELF.
//! A separate image, so the footprint image carries no such arrays. Without an algorithm
//! feature it is an empty firmware. With `authentication` the engine holds a replay window
//! per peer; with `cmac` it is `Engine<N, CmacKeys>`, the expanded keys included.
//!
//! With `multigroup` the symbols are `MULTIGROUP_NODE_SIZE`, the node's fixed part
//! (`size_of::<MultiGroupNode<'static, 8>>()`: configuration, peers, schedule; replay
//! windows with `authentication`, expanded keys with `cmac`), and `MULTIGROUP_GROUP_SIZE`,
//! the caller's storage per group (`size_of::<GroupSlot>()` and three `QueuedItem`s).
#![no_std]
#![no_main]

use core::panic::PanicInfo;

use cortex_m_rt::entry;

#[cfg(engine)]
mod sizes {
    use core::mem::size_of;

    /// The engine the image holds: with the built-in MAC, its keys are part of it.
    #[cfg(feature = "cmac")]
    type Engine<const N: usize> = bellwether::Engine<N, bellwether::CmacKeys>;
    #[cfg(not(feature = "cmac"))]
    use bellwether::Engine;

    #[unsafe(no_mangle)]
    pub(super) static ENGINE_SIZE_8: [u8; size_of::<Engine<8>>()] = [0; size_of::<Engine<8>>()];
    #[unsafe(no_mangle)]
    pub(super) static ENGINE_SIZE_16: [u8; size_of::<Engine<16>>()] = [0; size_of::<Engine<16>>()];
    #[unsafe(no_mangle)]
    pub(super) static ENGINE_SIZE_32: [u8; size_of::<Engine<32>>()] = [0; size_of::<Engine<32>>()];

    /// Keeps the three symbols in the image: the linker drops what nothing refers to.
    pub(super) fn keep() {
        // SAFETY: volatile reads of the first byte of immutable statics.
        unsafe {
            core::ptr::read_volatile(ENGINE_SIZE_8.as_ptr());
            core::ptr::read_volatile(ENGINE_SIZE_16.as_ptr());
            core::ptr::read_volatile(ENGINE_SIZE_32.as_ptr());
        }
    }
}

#[cfg(feature = "multigroup")]
mod multigroup_sizes {
    use core::mem::size_of;

    use bellwether::multigroup::{GroupSlot, MultiGroupNode, QueuedItem};

    /// What signs and checks datagrams: with the built-in MAC, its keys are in the node.
    #[cfg(feature = "cmac")]
    type Keys = bellwether::CmacKeys;
    #[cfg(not(feature = "cmac"))]
    type Keys = bellwether::Unauthenticated;

    /// The node's fixed part, for a node set of up to 8.
    const NODE: usize = size_of::<MultiGroupNode<'static, 8, Keys>>();
    /// The caller's storage per group: a slot and three queue entries.
    const GROUP: usize = size_of::<GroupSlot>() + 3 * size_of::<QueuedItem>();

    #[unsafe(no_mangle)]
    pub(super) static MULTIGROUP_NODE_SIZE: [u8; NODE] = [0; NODE];
    #[unsafe(no_mangle)]
    pub(super) static MULTIGROUP_GROUP_SIZE: [u8; GROUP] = [0; GROUP];

    /// Keeps the two symbols in the image: the linker drops what nothing refers to.
    pub(super) fn keep() {
        // SAFETY: volatile reads of the first byte of immutable statics.
        unsafe {
            core::ptr::read_volatile(MULTIGROUP_NODE_SIZE.as_ptr());
            core::ptr::read_volatile(MULTIGROUP_GROUP_SIZE.as_ptr());
        }
    }
}

#[entry]
fn main() -> ! {
    #[cfg(engine)]
    sizes::keep();
    #[cfg(feature = "multigroup")]
    multigroup_sizes::keep();
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
