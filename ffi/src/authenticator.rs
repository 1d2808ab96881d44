//! The authenticator of a C node: none, the built-in CMAC-AES-128 keys (kept in the node's
//! memory), or the host's MAC callbacks (an HSM or crypto accelerator: keys never enter
//! the library). And the descriptor a C host fills in to choose one.
//!
//! The node keeps its CMAC keys as bytes and expands one (a [`CmacKeys`]) for each message
//! it signs or checks, instead of keeping the core's [`CmacKeys`] with its expanded keys:
//! on x86 those hold SIMD registers aligned to 16 bytes, which would raise the node's
//! alignment past `BW_NODE_ALIGN` (8), which C99 callers cannot portably meet and compiled
//! programs already rely on. An AES-128 key expansion per message is noise beside a
//! heartbeat interval.

use core::ffi::{c_int, c_void};

use bellwether::protection::{UnknownKey, VerifyError};
use bellwether::{Authenticator, CmacKeys, KeyId};
use zeroize::Zeroizing;

use crate::pointers::slice;
use crate::result::bw_result;

/// The length of a CMAC-AES-128 key, in bytes.
pub const BW_CMAC_KEY_SIZE: usize = 16;

/// Computes a MAC for an authenticated node (`bw_node_set_mac_callbacks()`,
/// `bw_multi_set_mac_callbacks()`): writes the
/// leading `tag_len` bytes of the MAC of the `data_len` bytes at `data`, under key
/// `key_id`, to `tag`; returns 0, or non-zero if it holds no key `key_id` (the library then
/// writes nothing). `user` is the pointer given with the callbacks. Called from the node's
/// calls (never concurrently with them), with `data_len` and `tag_len` both 0 to check that
/// the current key is known. Must not call back into the node.
/// (`Option`: a C function pointer may be NULL, which the library checks.)
pub type bw_sign_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        key_id: u8,
        data: *const u8,
        data_len: usize,
        tag: *mut u8,
        tag_len: usize,
    ) -> c_int,
>;

/// Checks a MAC for an authenticated node (optional: without it the library signs with
/// `bw_sign_fn` and compares in constant time): returns 0 if the `tag_len` bytes at `tag`
/// are the leading bytes of the MAC of the `data_len` bytes at `data` under key `key_id`, 1
/// if they are not, 2 if it holds no key `key_id` (any other value counts as 1). Compare in
/// constant time.
pub type bw_verify_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        key_id: u8,
        data: *const u8,
        data_len: usize,
        tag: *const u8,
        tag_len: usize,
    ) -> c_int,
>;

/// Which authenticator a `bw_auth` describes (its `kind` field).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bw_auth_kind {
    /// CMAC-AES-128 with a key the library keeps in the node's memory: `key_id`, `key`.
    Cmac = 0,
    /// The host's MAC callbacks: `key_id` (the current key), `sign`, `verify`, `user`.
    Callbacks = 1,
}

/// How an authenticated node signs and checks its messages, given to
/// `bw_node_init_authenticated()`, `bw_node_restore_authenticated()` or
/// `bw_multi_init_authenticated()`: the node signs from its first message, so it needs
/// this before it starts. Fill in `kind` and the fields that kind names, zero the others.
/// Every member of a group (every node of a multi-group cluster) must hold the same keys.
/// Later changes: `bw_node_set_cmac_key()`, `bw_node_set_mac_callbacks()` (for a
/// multi-group node `bw_multi_set_cmac_key()`, `bw_multi_set_mac_callbacks()`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bw_auth {
    /// `sizeof(bw_auth)` as the caller's header declares it, so that a later library
    /// with a longer `bw_auth` still reads an older caller's correctly. A smaller size
    /// than this header's is refused (`BW_RESULT_CONFIG_SIZE`).
    pub struct_size: usize,
    /// A `bw_auth_kind` value.
    pub kind: u32,
    /// The current key's id: messages are signed with it.
    pub key_id: u8,
    /// CMAC: the key's `BW_CMAC_KEY_SIZE` bytes (copied into the node's memory).
    pub key: *const u8,
    /// CMAC: the length of `key`; anything but `BW_CMAC_KEY_SIZE` is refused with
    /// `BW_RESULT_BUFFER_TOO_SMALL` (shorter) or `BW_RESULT_INVALID_ARGUMENT` (longer).
    pub key_len: usize,
    /// Callbacks: computes MACs (required).
    pub sign: bw_sign_fn,
    /// Callbacks: checks MACs; NULL to sign and compare in constant time.
    pub verify: bw_verify_fn,
    /// Callbacks: passed to `sign` and `verify` as is.
    pub user: *mut c_void,
}

/// A sign callback, checked not NULL.
type Sign = unsafe extern "C" fn(*mut c_void, u8, *const u8, usize, *mut u8, usize) -> c_int;

/// The host's MAC callbacks and the key they sign with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MacCallbacks {
    sign: Sign,
    verify: bw_verify_fn,
    current_key: KeyId,
    user: *mut c_void,
}

/// A CMAC-AES-128 key and its id; the key bytes are wiped when it is dropped (replaced by
/// a rotation, retired, or the node re-initialised in place).
#[derive(Clone)]
struct CmacKey {
    id: KeyId,
    key: Zeroizing<[u8; BW_CMAC_KEY_SIZE]>,
}

/// CMAC-AES-128 keys, as bytes: the current one, and the previous one while it is still
/// accepted (the core's [`CmacKeys`] rules).
#[derive(Clone)]
pub(crate) struct CmacKeyRing {
    current: CmacKey,
    previous: Option<CmacKey>,
}

impl CmacKeyRing {
    /// `key`, named `id`, as the current key and no previous key.
    pub(crate) fn new(id: u8, key: [u8; BW_CMAC_KEY_SIZE]) -> CmacKeyRing {
        CmacKeyRing {
            current: CmacKey {
                id: KeyId(id),
                key: Zeroizing::new(key),
            },
            previous: None,
        }
    }

    /// Makes `key` the current key; the current one becomes the previous one.
    pub(crate) fn rotate(&mut self, id: u8, key: [u8; BW_CMAC_KEY_SIZE]) {
        let current = CmacKey {
            id: KeyId(id),
            key: Zeroizing::new(key),
        };
        let previous = core::mem::replace(&mut self.current, current);
        self.previous = Some(previous);
    }

    /// Stops accepting the previous key; false if there was none.
    pub(crate) fn retire_previous(&mut self) -> bool {
        self.previous.take().is_some()
    }

    /// The expanded key named `id`, if held.
    fn expanded(&self, id: KeyId) -> Option<CmacKeys> {
        core::iter::once(&self.current)
            .chain(&self.previous)
            .find(|slot| slot.id == id)
            .map(|slot| CmacKeys::new(slot.id, &slot.key))
    }
}

impl Authenticator for CmacKeyRing {
    fn current_key(&self) -> KeyId {
        self.current.id
    }

    fn sign(&mut self, key: KeyId, data: &[u8], tag: &mut [u8]) -> Result<(), UnknownKey> {
        self.expanded(key).ok_or(UnknownKey)?.sign(key, data, tag)
    }
}

/// Shows the key ids only.
impl core::fmt::Debug for CmacKeyRing {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CmacKeyRing")
            .field("current", &self.current.id)
            .field("previous", &self.previous.as_ref().map(|slot| slot.id))
            .finish_non_exhaustive()
    }
}

/// What signs and checks a C node's messages.
#[derive(Clone, Debug, Default)]
pub(crate) enum FfiAuthenticator {
    /// No key: the node cannot run authenticated.
    #[default]
    None,
    /// The built-in CMAC-AES-128 keys.
    Cmac(CmacKeyRing),
    /// The host's callbacks.
    Callbacks(MacCallbacks),
}

impl MacCallbacks {
    /// Callbacks that sign with `current_key`, checked by signing nothing with it.
    ///
    /// # Safety
    /// `sign` and `verify` must be safe to call with `user` and any valid buffers for as
    /// long as the node that keeps them lives.
    pub(crate) unsafe fn new(
        sign: bw_sign_fn,
        verify: bw_verify_fn,
        current_key: u8,
        user: *mut c_void,
    ) -> Result<MacCallbacks, bw_result> {
        let mut callbacks = MacCallbacks {
            sign: sign.ok_or(bw_result::NullPointer)?,
            verify,
            current_key: KeyId(current_key),
            user,
        };
        callbacks
            .sign(KeyId(current_key), &[], &mut [])
            .map_err(|_| bw_result::UnknownKey)?;
        Ok(callbacks)
    }
}

impl Authenticator for MacCallbacks {
    fn current_key(&self) -> KeyId {
        self.current_key
    }

    fn sign(&mut self, key: KeyId, data: &[u8], tag: &mut [u8]) -> Result<(), UnknownKey> {
        // SAFETY: `data` and `tag` are valid for their lengths for the call; the host
        // guaranteed `sign` safe to call with `user` while the node lives (`new`).
        let status = unsafe {
            (self.sign)(
                self.user,
                key.0,
                data.as_ptr(),
                data.len(),
                tag.as_mut_ptr(),
                tag.len(),
            )
        };
        if status == 0 { Ok(()) } else { Err(UnknownKey) }
    }

    fn verify(&mut self, key: KeyId, data: &[u8], tag: &[u8]) -> Result<(), VerifyError> {
        let Some(verify) = self.verify else {
            return default_verify(self, key, data, tag);
        };
        // SAFETY: as in `sign`: valid buffers, and the host's guarantee for `verify`.
        let status = unsafe {
            verify(
                self.user,
                key.0,
                data.as_ptr(),
                data.len(),
                tag.as_ptr(),
                tag.len(),
            )
        };
        match status {
            0 => Ok(()),
            2 => Err(VerifyError::UnknownKey),
            _ => Err(VerifyError::BadMac),
        }
    }
}

/// The trait's own `verify` (sign, then compare in constant time), for callbacks without
/// a verify function.
fn default_verify(
    authenticator: &mut MacCallbacks,
    key: KeyId,
    data: &[u8],
    tag: &[u8],
) -> Result<(), VerifyError> {
    /// Signs through the callbacks and keeps the trait's default `verify`.
    struct SignOnly<'a>(&'a mut MacCallbacks);
    impl Authenticator for SignOnly<'_> {
        fn current_key(&self) -> KeyId {
            self.0.current_key
        }
        fn sign(&mut self, key: KeyId, data: &[u8], tag: &mut [u8]) -> Result<(), UnknownKey> {
            self.0.sign(key, data, tag)
        }
    }
    SignOnly(authenticator).verify(key, data, tag)
}

impl Authenticator for FfiAuthenticator {
    fn current_key(&self) -> KeyId {
        match self {
            FfiAuthenticator::None => KeyId(0),
            FfiAuthenticator::Cmac(keys) => keys.current_key(),
            FfiAuthenticator::Callbacks(callbacks) => callbacks.current_key(),
        }
    }

    fn sign(&mut self, key: KeyId, data: &[u8], tag: &mut [u8]) -> Result<(), UnknownKey> {
        match self {
            FfiAuthenticator::None => Err(UnknownKey),
            FfiAuthenticator::Cmac(keys) => keys.sign(key, data, tag),
            FfiAuthenticator::Callbacks(callbacks) => callbacks.sign(key, data, tag),
        }
    }

    fn verify(&mut self, key: KeyId, data: &[u8], tag: &[u8]) -> Result<(), VerifyError> {
        match self {
            FfiAuthenticator::None => Err(VerifyError::UnknownKey),
            FfiAuthenticator::Cmac(keys) => keys.verify(key, data, tag),
            FfiAuthenticator::Callbacks(callbacks) => callbacks.verify(key, data, tag),
        }
    }
}

impl FfiAuthenticator {
    /// Installs the CMAC key `key`, named `id`, as the current key: the first one on an
    /// authenticator without CMAC keys replaces it (callbacks, or none); later ones rotate,
    /// the current key becoming the previous one (`bw_node_set_cmac_key`,
    /// `bw_multi_set_cmac_key`).
    pub(crate) fn set_cmac_key(&mut self, id: u8, key: [u8; BW_CMAC_KEY_SIZE]) {
        match self {
            FfiAuthenticator::Cmac(keys) => keys.rotate(id, key),
            _ => *self = FfiAuthenticator::Cmac(CmacKeyRing::new(id, key)),
        }
    }

    /// Stops accepting the previous CMAC key: `Ok`, or `Empty` if there is none (or no
    /// CMAC key at all) (`bw_node_retire_previous_key`, `bw_multi_retire_previous_key`).
    pub(crate) fn retire_previous_key(&mut self) -> bw_result {
        match self {
            FfiAuthenticator::Cmac(keys) => {
                if keys.retire_previous() {
                    bw_result::Ok
                } else {
                    bw_result::Empty
                }
            }
            _ => bw_result::Empty,
        }
    }

    /// Replaces the authenticator with the host's callbacks, checked as
    /// [`MacCallbacks::new`] checks them; unchanged on an error
    /// (`bw_node_set_mac_callbacks`, `bw_multi_set_mac_callbacks`).
    ///
    /// # Safety
    /// As [`MacCallbacks::new`].
    pub(crate) unsafe fn set_mac_callbacks(
        &mut self,
        sign: bw_sign_fn,
        verify: bw_verify_fn,
        current_key: u8,
        user: *mut c_void,
    ) -> Result<(), bw_result> {
        // SAFETY: the caller's guarantees are those `MacCallbacks::new` needs.
        let callbacks = unsafe { MacCallbacks::new(sign, verify, current_key, user) }?;
        *self = FfiAuthenticator::Callbacks(callbacks);
        Ok(())
    }
}

/// A CMAC key from a C buffer: NULL refused, a length other than `BW_CMAC_KEY_SIZE` too.
///
/// # Safety
/// `key` must be NULL or point to `key_len` readable bytes.
pub(crate) unsafe fn cmac_key(
    key: *const u8,
    key_len: usize,
) -> Result<[u8; BW_CMAC_KEY_SIZE], bw_result> {
    // SAFETY: the caller guarantees `key` is NULL or readable for `key_len` bytes.
    let key = unsafe { slice(key, key_len) }?;
    if key.len() < BW_CMAC_KEY_SIZE {
        return Err(bw_result::BufferTooSmall);
    }
    key.try_into().map_err(|_| bw_result::InvalidArgument)
}

impl bw_auth {
    /// The authenticator `auth` describes, its `struct_size` checked before anything else
    /// is read.
    ///
    /// # Safety
    /// `auth` must point to a readable `usize` (its `struct_size`) and, if that is at least
    /// this header's size, to a whole valid `bw_auth` whose `key` is NULL or readable for
    /// `key_len` bytes and whose callbacks are safe to call with `user` while the node
    /// lives.
    pub(crate) unsafe fn read(auth: *const bw_auth) -> Result<FfiAuthenticator, bw_result> {
        // SAFETY: the caller guarantees the first field is readable.
        let struct_size = unsafe { core::ptr::addr_of!((*auth).struct_size).read_unaligned() };
        if struct_size < core::mem::size_of::<bw_auth>() {
            return Err(bw_result::ConfigSize);
        }
        // SAFETY: at least this header's bw_auth is there, valid as the caller guarantees.
        unsafe { (*auth).authenticator() }
    }

    /// The authenticator this descriptor names.
    ///
    /// # Safety
    /// `key` must be NULL or readable for `key_len` bytes; the callbacks, if any, safe to
    /// call with `user` while the node lives.
    unsafe fn authenticator(&self) -> Result<FfiAuthenticator, bw_result> {
        match self.kind {
            0 => {
                // SAFETY: the caller guarantees `key` and `key_len`.
                let key = unsafe { cmac_key(self.key, self.key_len) }?;
                Ok(FfiAuthenticator::Cmac(CmacKeyRing::new(self.key_id, key)))
            }
            // SAFETY: the caller guarantees the callbacks.
            1 => Ok(FfiAuthenticator::Callbacks(unsafe {
                MacCallbacks::new(self.sign, self.verify, self.key_id, self.user)
            }?)),
            _ => Err(bw_result::InvalidArgument),
        }
    }
}
