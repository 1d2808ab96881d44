//! Median ns/op of each candidate, all measured side by side: every round runs every
//! candidate once (ITERS calls each) in a rotating order, so machine noise hits all alike.
use std::hint::black_box;
use std::time::Instant;

use blake2::digest::consts::U16;
use cmac::{Cmac, Mac};
use crc::{CRC_16_IBM_3740, CRC_32_ISO_HDLC, Crc, NoTable};
use hmac::Hmac;

type CmacAes = Cmac<aes::Aes128>;
type HmacSha = Hmac<sha2::Sha256>;
type B2s = blake2::Blake2sMac<U16>;

const ROUNDS: usize = 31;
const ITERS: u32 = 100_000;

static CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);
static CRC32_NT: Crc<u32, NoTable> = Crc::<u32, NoTable>::new(&CRC_32_ISO_HDLC);
static CRC16: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);
static CRC16_NT: Crc<u16, NoTable> = Crc::<u16, NoTable>::new(&CRC_16_IBM_3740);

fn full<M: Mac + cmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> [u8; 16] {
    let mut m = <M as Mac>::new_from_slice(key).unwrap();
    m.update(msg);
    let out = m.finalize().into_bytes();
    let mut t = [0u8; 16];
    t.copy_from_slice(&out[..16]);
    t
}

fn cloned<M: Mac + Clone>(keyed: &M, msg: &[u8]) -> [u8; 16] {
    let mut m = keyed.clone();
    m.update(msg);
    let out = m.finalize().into_bytes();
    let mut t = [0u8; 16];
    t.copy_from_slice(&out[..16]);
    t
}

type Bench = (String, Box<dyn Fn() -> u32>);

fn main() {
    let key: [u8; 16] = core::array::from_fn(|i| i as u8 ^ 0x5a);
    let msg: [u8; 48] = core::array::from_fn(|i| (i * 7) as u8);
    let cm = <CmacAes as Mac>::new_from_slice(&key).unwrap();
    let hm = <HmacSha as Mac>::new_from_slice(&key).unwrap();
    let bm = <B2s as Mac>::new_from_slice(&key).unwrap();

    let mut benches: Vec<Bench> = Vec::new();
    for len in [24usize, 48] {
        benches.push((format!("cmac-aes128 new+mac {len}B"), Box::new(move || full::<CmacAes>(black_box(&key), black_box(&msg[..len]))[0] as u32)));
        benches.push((format!("hmac-sha256 new+mac {len}B"), Box::new(move || full::<HmacSha>(black_box(&key), black_box(&msg[..len]))[0] as u32)));
        benches.push((format!("blake2s-128 new+mac {len}B"), Box::new(move || full::<B2s>(black_box(&key), black_box(&msg[..len]))[0] as u32)));
        let c = cm.clone();
        benches.push((format!("cmac-aes128 clone+mac {len}B"), Box::new(move || cloned(black_box(&c), black_box(&msg[..len]))[0] as u32)));
        let h = hm.clone();
        benches.push((format!("hmac-sha256 clone+mac {len}B"), Box::new(move || cloned(black_box(&h), black_box(&msg[..len]))[0] as u32)));
        let b = bm.clone();
        benches.push((format!("blake2s-128 clone+mac {len}B"), Box::new(move || cloned(black_box(&b), black_box(&msg[..len]))[0] as u32)));
        benches.push((format!("crc32 table256 {len}B"), Box::new(move || CRC32.checksum(black_box(&msg[..len])))));
        benches.push((format!("crc32 notable {len}B"), Box::new(move || CRC32_NT.checksum(black_box(&msg[..len])))));
        benches.push((format!("crc16 table256 {len}B"), Box::new(move || CRC16.checksum(black_box(&msg[..len])) as u32)));
        benches.push((format!("crc16 notable {len}B"), Box::new(move || CRC16_NT.checksum(black_box(&msg[..len])) as u32)));
    }
    // key setup alone
    benches.push(("cmac-aes128 new only".into(), Box::new(move || { let m = <CmacAes as Mac>::new_from_slice(black_box(&key)).unwrap(); black_box(&m); 0 })));
    benches.push(("hmac-sha256 new only".into(), Box::new(move || { let m = <HmacSha as Mac>::new_from_slice(black_box(&key)).unwrap(); black_box(&m); 0 })));
    benches.push(("blake2s-128 new only".into(), Box::new(move || { let m = <B2s as Mac>::new_from_slice(black_box(&key)).unwrap(); black_box(&m); 0 })));
    // truncated-tag compare, 8 bytes
    let t1 = full::<B2s>(&key, &msg);
    let t2 = t1;
    benches.push(("ct-compare subtle 8B".into(), Box::new(move || { use subtle::ConstantTimeEq; let a = black_box(&t1); let b = black_box(&t2); a[..8].ct_eq(&b[..8]).unwrap_u8() as u32 })));
    benches.push(("ct-compare xor 8B".into(), Box::new(move || { let a = black_box(&t1); let b = black_box(&t2); let mut d = 0u8; for i in 0..8 { d |= a[i] ^ b[i]; } (black_box(d) == 0) as u32 })));

    // warm-up
    for (_, f) in &benches { for _ in 0..10_000 { black_box(f()); } }
    let n = benches.len();
    let mut samples = vec![Vec::with_capacity(ROUNDS); n];
    for r in 0..ROUNDS {
        for k in 0..n {
            let i = (k + r) % n;
            let f = &benches[i].1;
            let t0 = Instant::now();
            for _ in 0..ITERS { black_box(f()); }
            samples[i].push(t0.elapsed().as_nanos() as f64 / ITERS as f64);
        }
    }
    let mut med = vec![0.0; n];
    for i in 0..n {
        let s = &mut samples[i];
        s.sort_by(|a, b| a.partial_cmp(b).unwrap());
        med[i] = s[ROUNDS / 2];
    }
    let base = |name: &str| benches.iter().position(|b| b.0 == name).map(|i| med[i]);
    println!("| candidate | median ns/op | min | max | × blake2s-128 new+mac (same length) |");
    println!("|---|---:|---:|---:|---:|");
    for i in 0..n {
        let name = &benches[i].0;
        let len = if name.ends_with("24B") { "24B" } else { "48B" };
        let r = base(&format!("blake2s-128 new+mac {len}")).map(|b| format!("{:.2}", med[i] / b)).unwrap_or_default();
        println!("| {} | {:.1} | {:.1} | {:.1} | {} |", name, med[i], samples[i][0], samples[i][ROUNDS - 1], r);
    }
}
