//! The built-in authenticator: CMAC-AES-128 (NIST SP 800-38B, RFC 4493) with two key
//! slots, from the RustCrypto crates.

use core::fmt;

use aes::Aes128;
use cmac::digest::KeyInit;
use cmac::{Cmac, Mac};

use super::{Authenticator, KeyId, UnknownKey};

/// CMAC-AES-128 with two key slots: messages are signed with the current key, and tags
/// of the current and the previous key are accepted, so keys rotate without a flag day.
///
/// Each slot keeps the expanded AES key, so a message costs no key schedule. The expanded
/// keys are wiped from memory when a slot is dropped (by [`CmacKeys::retire_previous`], a
/// second rotation, or dropping the keys). `Debug` shows the key ids only.
#[derive(Clone)]
pub struct CmacKeys {
    current: Slot,
    previous: Option<Slot>,
}

#[derive(Clone)]
struct Slot {
    id: KeyId,
    mac: Cmac<Aes128>,
}

impl Slot {
    fn new(id: KeyId, key: &[u8; 16]) -> Slot {
        Slot {
            id,
            mac: <Cmac<Aes128> as KeyInit>::new(key.into()),
        }
    }
}

impl CmacKeys {
    /// Keys with `key`, named `id`, as the current key and no previous key.
    pub fn new(id: KeyId, key: &[u8; 16]) -> CmacKeys {
        CmacKeys {
            current: Slot::new(id, key),
            previous: None,
        }
    }

    /// Makes `key`, named `id`, the current key; the current key becomes the previous
    /// one, still accepted until [`CmacKeys::retire_previous`]. Give each key a new id.
    pub fn rotate(&mut self, id: KeyId, key: &[u8; 16]) {
        let previous = core::mem::replace(&mut self.current, Slot::new(id, key));
        self.previous = Some(previous);
    }

    /// Stops accepting the previous key: its tags are refused as unknown from now on.
    pub fn retire_previous(&mut self) {
        self.previous = None;
    }

    /// The previous key's id, while it is still accepted.
    pub fn previous_key(&self) -> Option<KeyId> {
        self.previous.as_ref().map(|slot| slot.id)
    }

    fn slot(&self, id: KeyId) -> Option<&Slot> {
        core::iter::once(&self.current)
            .chain(&self.previous)
            .find(|slot| slot.id == id)
    }
}

impl Authenticator for CmacKeys {
    fn current_key(&self) -> KeyId {
        self.current.id
    }

    fn sign(&mut self, key: KeyId, data: &[u8], tag: &mut [u8]) -> Result<(), UnknownKey> {
        let mut mac = self.slot(key).ok_or(UnknownKey)?.mac.clone();
        mac.update(data);
        let full = mac.finalize().into_bytes();
        for (out, byte) in tag.iter_mut().zip(full) {
            *out = byte;
        }
        Ok(())
    }
}

impl fmt::Debug for CmacKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CmacKeys")
            .field("current", &self.current.id)
            .field("previous", &self.previous_key())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protection::VerifyError;

    /// RFC 4493, section 4: the key and the 16-byte example message.
    const KEY: [u8; 16] = [
        0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
        0x3c,
    ];

    #[test]
    fn matches_rfc_4493() {
        let message = [
            0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93,
            0x17, 0x2a,
        ];
        let expected = [
            0x07, 0x0a, 0x16, 0xb4, 0x6b, 0x4d, 0x41, 0x44, 0xf7, 0x9b, 0xdd, 0x9d, 0xd0, 0x4a,
            0x28, 0x7c,
        ];
        let mut keys = CmacKeys::new(KeyId(1), &KEY);
        let mut tag = [0u8; 16];
        keys.sign(KeyId(1), &message, &mut tag).unwrap();
        assert_eq!(tag, expected);
        let mut short = [0u8; 4];
        keys.sign(KeyId(1), &message, &mut short).unwrap();
        assert_eq!(short, expected[..4]);
        keys.verify(KeyId(1), &message, &expected[..8]).unwrap();
    }

    #[test]
    fn rotation_accepts_the_previous_key_until_it_is_retired() {
        let mut old = CmacKeys::new(KeyId(1), &KEY);
        let mut tag = [0u8; 8];
        old.sign(KeyId(1), b"hello", &mut tag).unwrap();
        let mut keys = old.clone();
        keys.rotate(KeyId(2), &[7; 16]);
        assert_eq!(keys.current_key(), KeyId(2));
        keys.verify(KeyId(1), b"hello", &tag).unwrap();
        assert_eq!(
            keys.verify(KeyId(2), b"hello", &tag),
            Err(VerifyError::BadMac)
        );
        keys.retire_previous();
        assert_eq!(
            keys.verify(KeyId(1), b"hello", &tag),
            Err(VerifyError::UnknownKey)
        );
        let mut shown = heapless::String::<128>::new();
        core::fmt::write(&mut shown, format_args!("{keys:?}")).unwrap();
        assert_eq!(shown, "CmacKeys { current: KeyId(2), previous: None, .. }");
    }
}
