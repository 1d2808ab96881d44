//! `size_of::<Engine<N>>()` on the target, for 8, 16 and 32 members: each figure is the
//! size of a symbol (`ENGINE_SIZE_8`, `ENGINE_SIZE_16`, `ENGINE_SIZE_32`), a zeroed array
//! of exactly that many bytes, which `arm-none-eabi-nm --print-size` reads from the ELF.
//! A separate image, so the footprint image carries no such arrays. Without an algorithm
//! feature it is an empty firmware. With `authentication` the engine holds a replay window
//! per peer; with `cmac` it is `Engine<N, CmacKeys>`, the expanded keys included.
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

#[entry]
fn main() -> ! {
    #[cfg(engine)]
    sizes::keep();
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
