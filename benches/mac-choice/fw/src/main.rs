//! One MAC/CRC per image (chosen by feature); no feature = baseline.
//! Inputs (message, key, expected tag, truncation length) are read volatile from statics,
//! outputs written volatile, so nothing is constant-folded.
#![no_std]
#![no_main]

use core::ptr::{read_volatile, write_volatile};
use cortex_m_rt::entry;
use panic_halt as _;

const MSG_LEN: usize = 48;

static mut MSG: [u8; MSG_LEN] = [0; MSG_LEN];
static mut KEY: [u8; 16] = [0; 16];
static mut TAG: [u8; 16] = [0; 16];
#[cfg(any(feature = "cmp-subtle", feature = "cmp-xor"))]
static mut EXPECTED: [u8; 16] = [0; 16];
#[cfg(any(feature = "cmp-subtle", feature = "cmp-xor"))]
static mut TRUNC: usize = 8;
#[cfg(any(feature = "cmp-subtle", feature = "cmp-xor"))]
static mut OK: u8 = 0;

#[inline(never)]
fn load(dst: &mut [u8], src: *const u8) {
    for (i, b) in dst.iter_mut().enumerate() {
        // SAFETY: callers pass a static at least dst.len() long.
        *b = unsafe { read_volatile(src.add(i)) };
    }
}

#[inline(never)]
fn store(dst: *mut u8, src: &[u8]) {
    for (i, &b) in src.iter().enumerate() {
        // SAFETY: callers pass a static at least src.len() long.
        unsafe { write_volatile(dst.add(i), b) };
    }
}

#[cfg(feature = "cmac")]
fn tag(key: &[u8; 16], msg: &[u8]) -> [u8; 16] {
    use cmac::{Cmac, Mac};
    let mut m = <Cmac<aes::Aes128> as Mac>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().into()
}

#[cfg(feature = "hmac")]
fn tag(key: &[u8; 16], msg: &[u8]) -> [u8; 16] {
    use hmac::{Hmac, Mac};
    let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).unwrap();
    m.update(msg);
    let full = m.finalize().into_bytes();
    let mut t = [0u8; 16];
    t.copy_from_slice(&full[..16]);
    t
}

#[cfg(feature = "blake2s")]
fn tag(key: &[u8; 16], msg: &[u8]) -> [u8; 16] {
    use blake2::digest::{Mac, consts::U16};
    let mut m = <blake2::Blake2sMac<U16> as Mac>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().into()
}

#[cfg(any(feature = "crc32", feature = "crc32-notable", feature = "crc32-t1", feature = "crc32-t16"))]
fn tag(_key: &[u8; 16], msg: &[u8]) -> [u8; 16] {
    use crc::{CRC_32_ISO_HDLC, Crc};
    #[cfg(feature = "crc32")]
    static CRC: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);
    #[cfg(feature = "crc32-t1")]
    static CRC: Crc<u32, crc::Table<1>> = Crc::<u32, crc::Table<1>>::new(&CRC_32_ISO_HDLC);
    #[cfg(feature = "crc32-notable")]
    static CRC: Crc<u32, crc::NoTable> = Crc::<u32, crc::NoTable>::new(&CRC_32_ISO_HDLC);
    #[cfg(feature = "crc32-t16")]
    static CRC: Crc<u32, crc::Table<16>> = Crc::<u32, crc::Table<16>>::new(&CRC_32_ISO_HDLC);
    let mut t = [0u8; 16];
    t[..4].copy_from_slice(&CRC.checksum(msg).to_le_bytes());
    t
}

#[cfg(any(feature = "crc16", feature = "crc16-notable"))]
fn tag(_key: &[u8; 16], msg: &[u8]) -> [u8; 16] {
    use crc::{CRC_16_IBM_3740, Crc};
    #[cfg(feature = "crc16")]
    static CRC: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);
    #[cfg(feature = "crc16-notable")]
    static CRC: Crc<u16, crc::NoTable> = Crc::<u16, crc::NoTable>::new(&CRC_16_IBM_3740);
    let mut t = [0u8; 16];
    t[..2].copy_from_slice(&CRC.checksum(msg).to_le_bytes());
    t
}

#[cfg(not(any(
    feature = "cmac", feature = "hmac", feature = "blake2s",
    feature = "crc32", feature = "crc32-notable", feature = "crc32-t1", feature = "crc32-t16",
    feature = "crc16", feature = "crc16-notable"
)))]
fn tag(key: &[u8; 16], msg: &[u8]) -> [u8; 16] {
    // baseline: no computation; black_box keeps the loaded message live
    core::hint::black_box(msg);
    *key
}

/// Constant-time compare of the first `n` (4, 8 or 16) bytes.
#[cfg(feature = "cmp-subtle")]
#[inline(never)]
fn tag_eq(a: &[u8; 16], b: &[u8; 16], n: usize) -> bool {
    use subtle::ConstantTimeEq;
    let n = n.min(16);
    a[..n].ct_eq(&b[..n]).into()
}

#[cfg(all(feature = "cmp-xor", not(feature = "cmp-subtle")))]
#[inline(never)]
fn tag_eq(a: &[u8; 16], b: &[u8; 16], n: usize) -> bool {
    let n = n.min(16);
    let mut d = 0u8;
    for i in 0..n {
        d |= a[i] ^ b[i];
    }
    core::hint::black_box(d) == 0
}

#[cfg(feature = "sizes")]
mod sizes {
    #[used]
    #[unsafe(no_mangle)]
    static SIZE_CMAC_AES128: [u8; core::mem::size_of::<cmac::Cmac<aes::Aes128>>()] =
        [0; core::mem::size_of::<cmac::Cmac<aes::Aes128>>()];
    #[used]
    #[unsafe(no_mangle)]
    static SIZE_AES128: [u8; core::mem::size_of::<aes::Aes128>()] =
        [0; core::mem::size_of::<aes::Aes128>()];
    #[used]
    #[unsafe(no_mangle)]
    static SIZE_HMAC_SHA256: [u8; core::mem::size_of::<hmac::Hmac<sha2::Sha256>>()] =
        [0; core::mem::size_of::<hmac::Hmac<sha2::Sha256>>()];
    #[used]
    #[unsafe(no_mangle)]
    static SIZE_BLAKE2S_MAC16: [u8; core::mem::size_of::<blake2::Blake2sMac<blake2::digest::consts::U16>>()] =
        [0; core::mem::size_of::<blake2::Blake2sMac<blake2::digest::consts::U16>>()];
}

#[entry]
fn main() -> ! {
    let mut key = [0u8; 16];
    let mut msg = [0u8; MSG_LEN];
    load(&mut key, (&raw const KEY).cast());
    load(&mut msg, (&raw const MSG).cast());
    let t = tag(&key, &msg);
    store((&raw mut TAG).cast(), &t);
    #[cfg(any(feature = "cmp-subtle", feature = "cmp-xor"))]
    {
        let mut exp = [0u8; 16];
        load(&mut exp, (&raw const EXPECTED).cast());
        // SAFETY: plain volatile accesses to statics.
        let n = unsafe { read_volatile(&raw const TRUNC) };
        let ok = tag_eq(&t, &exp, n);
        unsafe { write_volatile(&raw mut OK, ok as u8) };
    }
    loop {
        core::hint::spin_loop();
    }
}
