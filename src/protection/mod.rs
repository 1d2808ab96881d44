//! How messages are protected on the wire: nothing, a checksum against corruption, or a
//! message authentication code (MAC) with a freshness value against forgery and replay.
//!
//! ## Modes
//!
//! | [`Protection`] | wire version | added bytes | refuses |
//! |---|---|---|---|
//! | `None` | 2 | 0 | malformed bytes only |
//! | `Checksum` (feature `checksum`) | 3 | 4 (CRC-32) | corrupted frames ([`DecodeError::BadChecksum`](crate::DecodeError::BadChecksum)) |
//! | `Authenticated` (feature `authentication`) | 4 | 1 (key id) + 2..15 (freshness) + 4, 8 or 16 (tag) | forged, corrupted, replayed and stale datagrams |
//!
//! An engine accepts the envelope it is configured for and no other
//! ([`ReceiveError::WrongEnvelope`](crate::ReceiveError::WrongEnvelope)): an attacker
//! cannot downgrade an authenticated group to plain messages.
//!
//! ## The authenticated envelope
//!
//! ```text
//! 4 | group | from | to | term | body | key id: u8 | session: varint u32 | counter: varint u64 | tag
//! ```
//!
//! The tag is the MAC of every byte before it, truncated to the configured
//! [`TagLength`]. The MAC is computed by an [`Authenticator`]: the built-in one
//! ([`CmacKeys`], feature `cmac`: CMAC-AES-128, the MAC AUTOSAR SecOC uses and that
//! microcontrollers with an AES peripheral compute in hardware) or the host's own, so that
//! a hardware security module can hold the keys and they never enter the engine's memory.
//! Tags are compared in constant time.
//!
//! ## Freshness: no datagram is accepted twice, across restarts too
//!
//! Each sender numbers its datagrams with a **session** (fixed for one boot; see
//! [`AuthOptions::session`]) and a **counter** (1, 2, 3, … within the session). Each
//! receiver keeps, per peer, the session it has synchronised with and a sliding window of
//! the last [`WINDOW`] counters it accepted, as DTLS and IPsec do: a datagram reordered
//! within the window is accepted once; a duplicate, or one older than the window, is
//! refused ([`ReceiveError::Replay`](crate::ReceiveError::Replay)).
//!
//! A receiver learns a peer's session by asking for it: when it has none for that peer
//! (it just started), or a datagram arrives from another session (the peer restarted, or
//! an attacker replays an old session's traffic), it refuses the datagram
//! ([`ReceiveError::Unsynchronised`](crate::ReceiveError::Unsynchronised)) and sends the
//! peer a freshness request. The request's own session and counter are its nonce: the
//! peer answers with an authenticated reply that echoes them and carries its current
//! session and counter. Only a reply that echoes the receiver's latest request counts, so
//! a replayed reply (or a replayed old session) changes nothing. A request from the
//! session the receiver is synchronised with is checked against the window like any
//! message; one from another session (the asker restarted) is answered whatever it is,
//! and the asker refuses the reply to a replayed one. Messages from the peer
//! are accepted from then on. A node that starts (or restarts, or lost its freshness state
//! in any other way) therefore rejoins after one round trip per peer, and captured traffic
//! of an earlier session is never accepted again.
//!
//! What this rests on: **a session never repeats across a node's boots** under the same
//! key. Hosts with storage keep a boot counter (increment it, write it, then start the
//! engine). Hosts without any storage (volatile quorum election on a device with no
//! flash to spare) draw the session from a hardware random number generator: two boots
//! then share a session with probability 2⁻³² per pair, and if they do, the second boot's
//! datagrams are refused as replays until its counter passes the first boot's while
//! traffic captured in the first boot beyond that counter could be replayed. A fixed
//! session (or one derived from a non-random seed) gives no replay protection across
//! restarts at all.
//!
//! ## Keys
//!
//! Key ids name keys. A sender signs with its authenticator's current key; a receiver
//! accepts any key its authenticator still holds, so keys rotate without a flag day:
//! install the new key on every node (each keeps the previous one), switch senders to it,
//! then retire the previous key everywhere. A tag made with a retired key is refused
//! ([`ReceiveError::UnknownKey`](crate::ReceiveError::UnknownKey)).
//!
//! ## What each tag length resists
//!
//! A forger who cannot compute the MAC guesses a tag: each guess succeeds with
//! probability 2⁻ᵇ for a b-bit tag, and every failed guess is refused and counted
//! ([`Statistics::bad_mac`]).
//!
//! | tag | one guess succeeds with | expected guesses for one success | use |
//! |---|---|---|---|
//! | 4 bytes | 2⁻³² | 2³¹ (25 days at 1,000 forged frames a second) | classic CAN and other tight links, with the refusal counters watched |
//! | 8 bytes | 2⁻⁶⁴ | 2⁶³ | the default: CAN FD, BLE, 802.15.4, UDP |
//! | 16 bytes | 2⁻¹²⁸ | 2¹²⁷ | the full CMAC tag, where bytes are cheap |

#[cfg(feature = "authentication")]
mod freshness;

#[cfg(feature = "cmac")]
mod cmac;

#[cfg(feature = "cmac")]
pub use cmac::CmacKeys;
#[cfg(feature = "authentication")]
pub use freshness::WINDOW;
#[cfg(feature = "authentication")]
pub(crate) use freshness::{FreshnessGuard, FreshnessRefusal};

use core::fmt;

use serde::{Deserialize, Serialize};

/// A sender's freshness value: its boot session and the datagram's counter within it.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Freshness {
    /// The sender's session ([`AuthOptions::session`](AuthOptions::session)).
    pub session: u32,
    /// The datagram's number within the session, from 1.
    pub counter: u64,
}

/// How an engine protects the messages it sends and which it accepts.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protection {
    /// Plain messages (wire version 2): anyone who can reach the transport can forge,
    /// replay or corrupt them into a different valid message.
    #[default]
    None,
    /// A CRC-32 after every message (wire version 3): a frame corrupted on the link is
    /// refused instead of changing a term or a sender. No defence against forgery.
    /// Feature `checksum`.
    #[cfg(feature = "checksum")]
    Checksum,
    /// A key id, a freshness value and a truncated MAC on every message (wire version 4):
    /// forged, corrupted and replayed datagrams are refused. Needs an [`Authenticator`]
    /// ([`Engine::with_authenticator`](crate::Engine::with_authenticator)). Feature
    /// `authentication`.
    #[cfg(feature = "authentication")]
    Authenticated(AuthOptions),
}

impl Protection {
    /// Whether messages carry a CRC-32 (false whenever the `checksum` feature is off, so
    /// that an engine built without it carries no checksum code).
    pub(crate) const fn is_checksummed(&self) -> bool {
        #[cfg(feature = "checksum")]
        return matches!(self, Protection::Checksum);
        #[cfg(not(feature = "checksum"))]
        return false;
    }
}

/// The options of [`Protection::Authenticated`].
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AuthOptions {
    /// How many bytes of the MAC each message carries.
    pub tag: TagLength,
    /// This boot's session: the first half of every freshness value this node sends. It
    /// must never repeat across this node's boots: a boot counter kept in storage, or 32
    /// bits from a hardware random number generator (see the [module
    /// documentation](crate::protection)).
    pub session: u32,
}

impl AuthOptions {
    /// 8-byte tags in `session`.
    pub const fn new(session: u32) -> AuthOptions {
        AuthOptions {
            tag: TagLength::Bytes8,
            session,
        }
    }

    /// The same options with tags of `tag` bytes.
    pub const fn with_tag(self, tag: TagLength) -> AuthOptions {
        AuthOptions { tag, ..self }
    }
}

/// How many bytes of the MAC a message carries (the leading bytes of the full MAC).
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TagLength {
    /// 32 bits, for the tightest links (classic CAN).
    Bytes4 = 4,
    /// 64 bits.
    Bytes8 = 8,
    /// 128 bits: the whole CMAC-AES-128 tag.
    Bytes16 = 16,
}

impl TagLength {
    /// The longest tag, in bytes.
    pub const MAX: usize = 16;

    /// The tag's length in bytes.
    pub const fn bytes(self) -> usize {
        self as usize
    }
}

/// Names a key: sent with every authenticated message so that the receiver knows which
/// key to check the tag with.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub u8);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key {}", self.0)
    }
}

/// The authenticator holds no key of that id (never installed, or retired).
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnknownKey;

/// Why a tag was refused.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VerifyError {
    /// The tag is not the MAC of the message under that key.
    BadMac,
    /// No key of that id is held.
    UnknownKey,
}

impl From<UnknownKey> for VerifyError {
    fn from(_: UnknownKey) -> Self {
        VerifyError::UnknownKey
    }
}

/// Computes and checks message authentication codes for [`Protection::Authenticated`]:
/// the built-in [`CmacKeys`] (feature `cmac`), or the host's own implementation (a
/// hardware security module, a crypto accelerator).
///
/// Every member of a group uses the same keys (one key per group, or per installation):
/// the MAC proves a message comes from a holder of the key, and the envelope's sender and
/// freshness, which the MAC covers, do the rest.
pub trait Authenticator {
    /// The key new messages are signed with.
    fn current_key(&self) -> KeyId;

    /// Writes the leading `tag.len()` bytes of the MAC of `data` under `key` into `tag`.
    fn sign(&mut self, key: KeyId, data: &[u8], tag: &mut [u8]) -> Result<(), UnknownKey>;

    /// Checks that `tag` is the leading `tag.len()` bytes of the MAC of `data` under
    /// `key`. The default signs and compares in constant time; override it to verify in
    /// hardware, where the expected tag never leaves the security module.
    fn verify(&mut self, key: KeyId, data: &[u8], tag: &[u8]) -> Result<(), VerifyError> {
        let mut expected = [0u8; TagLength::MAX];
        let expected = expected.get_mut(..tag.len()).ok_or(VerifyError::BadMac)?;
        self.sign(key, data, expected)?;
        if constant_time_eq(expected, tag) {
            Ok(())
        } else {
            Err(VerifyError::BadMac)
        }
    }
}

impl<A: Authenticator + ?Sized> Authenticator for &mut A {
    fn current_key(&self) -> KeyId {
        (**self).current_key()
    }

    fn sign(&mut self, key: KeyId, data: &[u8], tag: &mut [u8]) -> Result<(), UnknownKey> {
        (**self).sign(key, data, tag)
    }

    fn verify(&mut self, key: KeyId, data: &[u8], tag: &[u8]) -> Result<(), VerifyError> {
        (**self).verify(key, data, tag)
    }
}

/// The authenticator of an engine that authenticates nothing ([`Engine::new`]): it holds
/// no key.
///
/// [`Engine::new`]: crate::Engine::new
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Unauthenticated;

impl Authenticator for Unauthenticated {
    fn current_key(&self) -> KeyId {
        KeyId(0)
    }

    fn sign(&mut self, _: KeyId, _: &[u8], _: &mut [u8]) -> Result<(), UnknownKey> {
        Err(UnknownKey)
    }
}

/// Whether `a` and `b` are equal, in time that depends on their lengths only.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}

/// What an engine received, counted by outcome: the refusal counters show an attack or a
/// bad link. Counters saturate at `u32::MAX`.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Statistics {
    /// Messages accepted (freshness requests and replies included).
    pub accepted: u32,
    /// Datagrams sent.
    pub sent: u32,
    /// Bytes that are not a message of a known version and layout.
    pub malformed: u32,
    /// Messages in another envelope than the engine's [`Protection`].
    pub wrong_envelope: u32,
    /// Checksummed messages whose checksum did not match.
    pub bad_checksum: u32,
    /// Authenticated messages whose tag did not match.
    pub bad_mac: u32,
    /// Authenticated messages signed with a key the authenticator does not hold.
    pub unknown_key: u32,
    /// Authenticated messages already accepted, or too old for the replay window, and
    /// freshness replies that answer no current request.
    pub replay: u32,
    /// Authenticated messages from a session not (yet) synchronised with.
    pub unsynchronised: u32,
    /// Messages of another group, from a non-member or this node, or for another node.
    pub not_for_this_node: u32,
}
