//! The wire format of a multi-group node: one *bundle* per datagram, carrying the
//! node-level liveness fields and any number of per-group items.
//!
//! Layout: a version byte ([`BUNDLE_WIRE_VERSION`], or [`CHECKSUM_BUNDLE_WIRE_VERSION`]
//! with a CRC-32 of every byte before it at the end), the postcard-encoded [`Header`],
//! then items ([`Item`]) until the end of the datagram (the checksum excluded).

use serde::{Deserialize, Serialize};

use crate::config::{GroupId, NodeId};
#[cfg(feature = "checksum")]
use crate::crc::crc32;
#[cfg(feature = "authentication")]
use crate::protection::{Authenticator, Freshness, KeyId, TagLength};
use crate::wire::{DecodeError, EncodeError, Term};

/// Version byte of a plain bundle.
pub const BUNDLE_WIRE_VERSION: u8 = 5;
/// Version byte of a bundle that ends with a CRC-32 of every byte before it.
pub const CHECKSUM_BUNDLE_WIRE_VERSION: u8 = 6;
/// Version byte of an authenticated bundle: key id and freshness after the header, a MAC
/// of every byte before it at the end.
pub const AUTHENTICATED_BUNDLE_WIRE_VERSION: u8 = 7;

/// Bytes of the CRC-32 that ends a checksummed bundle.
#[cfg(feature = "checksum")]
const CHECKSUM_SIZE: usize = 4;

/// The largest encoded [`Header`]: version byte, cluster, from, to, incarnation and echoed
/// incarnation (5 bytes each as varints), sent-at and echo (10 each), epoch (5).
pub(crate) const MAX_HEADER_SIZE: usize = 1 + 5 * 5 + 10 * 2 + 5;

/// The largest encoded [`Item`]: group (3), term (10), kind (1), round (5).
pub(crate) const MAX_ITEM_SIZE: usize = 3 + 10 + 1 + 5;

/// The node-level fields every bundle carries: together they are the liveness exchange
/// between two nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    /// The node set's identifier: bundles of another cluster are refused.
    pub(crate) cluster: GroupId,
    pub(crate) from: NodeId,
    pub(crate) to: NodeId,
    /// The sender's session: it changes at every start.
    pub(crate) incarnation: u32,
    /// The sender's clock when it sent the bundle, in milliseconds.
    pub(crate) sent_at: u64,
    /// The newest `sent_at` the sender received from the receiver, plus one (0: none).
    pub(crate) echo: u64,
    /// The receiver's session that `echo` belongs to: an echo of a clock reading from
    /// the receiver's previous run (its clock may have restarted) supports nothing.
    pub(crate) echo_incarnation: u32,
    /// How many times the sender stopped following the receiver in a group, counted
    /// after this bundle's own `Unfollow` items.
    pub(crate) epoch: u32,
}

/// What one item says about one group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum ItemKind {
    /// "Would you vote for me in `term`?" (which is the sender's term + 1); the round
    /// names the attempt.
    PreVote { round: u32 },
    /// "I would", echoing the round.
    PreVoteGranted { round: u32 },
    /// "Vote for me in `term`."
    RequestVote,
    /// "I vote for you in `term`."
    VoteGranted,
    /// "I lead the group in `term`": the receiver follows and answers `LeadAck`.
    Lead,
    /// "I follow you in `term`."
    LeadAck,
    /// "I stopped following you in `term`."
    Unfollow,
    /// "I no longer lead in `term`."
    Resign,
    /// "I no longer lead in `term`; stand now."
    TimeoutNow,
    /// "My term is `term`, newer than the one you sent."
    Newer,
}

/// One per-group item of a bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Item {
    /// The group's index in both nodes' tables.
    pub(crate) group: u16,
    pub(crate) term: Term,
    pub(crate) kind: ItemKind,
}

/// Which envelope bundles travel in: each has its own version byte, and a node accepts
/// only its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Envelope {
    Plain,
    /// A CRC-32 of every byte before it at the end (feature `checksum`: without it, a
    /// node carries no checksum code).
    #[cfg(feature = "checksum")]
    Checksummed,
    /// A [`Seal`] after the header and a MAC of every byte before it at the end.
    #[cfg(feature = "authentication")]
    Authenticated(TagLength),
}

impl Envelope {
    /// Checksummed when the `checksum` feature is on, plain otherwise.
    #[cfg(feature = "checksum")]
    pub(crate) const DEFAULT: Envelope = Envelope::Checksummed;
    #[cfg(not(feature = "checksum"))]
    pub(crate) const DEFAULT: Envelope = Envelope::Plain;

    pub(crate) const fn version(self) -> u8 {
        match self {
            Envelope::Plain => BUNDLE_WIRE_VERSION,
            #[cfg(feature = "checksum")]
            Envelope::Checksummed => CHECKSUM_BUNDLE_WIRE_VERSION,
            #[cfg(feature = "authentication")]
            Envelope::Authenticated(_) => AUTHENTICATED_BUNDLE_WIRE_VERSION,
        }
    }

    /// Bytes at the end: checksum or tag.
    pub(crate) const fn trailer(self) -> usize {
        match self {
            Envelope::Plain => 0,
            #[cfg(feature = "checksum")]
            Envelope::Checksummed => CHECKSUM_SIZE,
            #[cfg(feature = "authentication")]
            Envelope::Authenticated(tag) => tag.bytes(),
        }
    }
}

/// The freshness fields of an authenticated bundle, after its header: the key the tag was
/// made with, the sender's freshness, whether it asks the receiver for its freshness, and
/// the receiver's request it answers.
#[cfg(feature = "authentication")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Seal {
    /// The id of the key the tag was made with.
    pub(crate) key: u8,
    pub(crate) freshness: Freshness,
    pub(crate) request: bool,
    pub(crate) echo: Option<Freshness>,
}

/// The largest encoded [`Seal`]: key (1), freshness (5 + 10), request (1), echo (1 + 15).
#[cfg(feature = "authentication")]
pub(crate) const MAX_SEAL_SIZE: usize = 1 + 15 + 1 + 16;

/// Writes bundles into a caller's buffer: the header (and seal) first, then items while
/// they fit.
pub(crate) struct BundleWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
    envelope: Envelope,
    /// Items written.
    pub(crate) items: usize,
}

impl<'b> BundleWriter<'b> {
    /// Starts a bundle in `buf`, at most `limit` bytes long in all; an authenticated one
    /// needs its `seal`.
    pub(crate) fn start(
        buf: &'b mut [u8],
        limit: usize,
        header: &Header,
        envelope: Envelope,
        #[cfg(feature = "authentication")] seal: Option<&Seal>,
    ) -> Result<BundleWriter<'b>, EncodeError> {
        let limit = limit.min(buf.len());
        let buf = buf.get_mut(..limit).ok_or(EncodeError::BufferTooSmall)?;
        let (first, rest) = buf.split_first_mut().ok_or(EncodeError::BufferTooSmall)?;
        *first = envelope.version();
        let room = rest.len().saturating_sub(envelope.trailer());
        let rest = rest.get_mut(..room).ok_or(EncodeError::BufferTooSmall)?;
        let len = postcard::to_slice(header, &mut *rest)
            .map_err(|_| EncodeError::BufferTooSmall)?
            .len();
        #[cfg(feature = "authentication")]
        let len = match seal {
            Some(seal) => {
                let after = rest.get_mut(len..).ok_or(EncodeError::BufferTooSmall)?;
                len + postcard::to_slice(seal, after)
                    .map_err(|_| EncodeError::BufferTooSmall)?
                    .len()
            }
            None => len,
        };
        Ok(BundleWriter {
            buf,
            len: 1 + len,
            envelope,
            items: 0,
        })
    }

    /// Whether another item of any kind surely fits.
    pub(crate) fn has_room(&self) -> bool {
        self.len + MAX_ITEM_SIZE + self.envelope.trailer() <= self.buf.len()
    }

    /// Appends `item`; false (and nothing written) if it does not fit.
    pub(crate) fn push(&mut self, item: &Item) -> bool {
        let end = self.buf.len().saturating_sub(self.envelope.trailer());
        let Some(room) = self.buf.get_mut(self.len..end) else {
            return false;
        };
        match postcard::to_slice(item, room) {
            Ok(written) => {
                self.len += written.len();
                self.items += 1;
                true
            }
            Err(_) => false,
        }
    }

    /// Ends the bundle, appending its checksum or (signed by `authenticator` with the
    /// seal's key) its tag; returns its length.
    pub(crate) fn finish(
        self,
        #[cfg(feature = "authentication")] sign: Option<(KeyId, &mut dyn Authenticator)>,
    ) -> Result<usize, EncodeError> {
        let (covered, rest) = self.buf.split_at_mut(self.len);
        let trailer = rest
            .get_mut(..self.envelope.trailer())
            .ok_or(EncodeError::BufferTooSmall)?;
        match self.envelope {
            Envelope::Plain => {}
            #[cfg(feature = "checksum")]
            Envelope::Checksummed => trailer.copy_from_slice(&crc32(covered).to_le_bytes()),
            #[cfg(feature = "authentication")]
            Envelope::Authenticated(_) => {
                let (key, authenticator) = sign.ok_or(EncodeError::UnknownKey)?;
                authenticator
                    .sign(key, covered, trailer)
                    .map_err(|_| EncodeError::UnknownKey)?;
            }
        }
        Ok(self.len + self.envelope.trailer())
    }
}

/// A received bundle whose layout and every item were checked: nothing of it has been
/// applied yet, and an authenticated one's tag is not checked yet.
pub(crate) struct Bundle<'b> {
    pub(crate) header: Header,
    items: &'b [u8],
    /// Authenticated: the seal, the bytes the tag covers, and the tag.
    #[cfg(feature = "authentication")]
    pub(crate) sealed: Option<(Seal, &'b [u8], &'b [u8])>,
}

impl<'b> Bundle<'b> {
    /// Checks untrusted bytes: envelope, header and every item. Never panics.
    pub(crate) fn decode(bytes: &'b [u8], envelope: Envelope) -> Result<Bundle<'b>, DecodeError> {
        let split = bytes
            .len()
            .checked_sub(envelope.trailer())
            .ok_or(DecodeError::Truncated)?;
        let (covered, trailer) = bytes.split_at(split);
        #[cfg(feature = "checksum")]
        if envelope == Envelope::Checksummed && trailer != crc32(covered).to_le_bytes() {
            return Err(DecodeError::BadChecksum);
        }
        #[cfg(not(feature = "checksum"))]
        let _ = trailer;
        let (&version, rest) = covered.split_first().ok_or(DecodeError::Truncated)?;
        if version != envelope.version() {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let (header, rest) = postcard::take_from_bytes::<Header>(rest)?;
        #[cfg(feature = "authentication")]
        let (sealed, rest) = match envelope {
            Envelope::Authenticated(_) => {
                let (seal, rest) = postcard::take_from_bytes::<Seal>(rest)?;
                (Some((seal, covered, trailer)), rest)
            }
            _ => (None, rest),
        };
        let bundle = Bundle {
            header,
            items: rest,
            #[cfg(feature = "authentication")]
            sealed,
        };
        for item in bundle.items() {
            let item = item?;
            if !item.term.is_valid() {
                return Err(DecodeError::TermOutOfRange(item.term.0));
            }
        }
        Ok(bundle)
    }

    /// The items, in order.
    pub(crate) fn items(&self) -> Items<'b> {
        Items { rest: self.items }
    }
}

/// The items of a bundle, decoded one by one.
pub(crate) struct Items<'b> {
    rest: &'b [u8],
}

impl Iterator for Items<'_> {
    type Item = Result<Item, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match postcard::take_from_bytes::<Item>(self.rest) {
            Ok((item, rest)) => {
                self.rest = rest;
                Some(Ok(item))
            }
            Err(error) => {
                self.rest = &[];
                Some(Err(error.into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            cluster: GroupId(u32::MAX),
            from: NodeId(u32::MAX),
            to: NodeId(u32::MAX),
            incarnation: u32::MAX,
            sent_at: u64::MAX,
            echo: u64::MAX,
            echo_incarnation: u32::MAX,
            epoch: u32::MAX,
        }
    }

    fn start(buf: &mut [u8], limit: usize, envelope: Envelope) -> BundleWriter<'_> {
        BundleWriter::start(
            buf,
            limit,
            &header(),
            envelope,
            #[cfg(feature = "authentication")]
            None,
        )
        .unwrap()
    }

    fn finish(writer: BundleWriter<'_>) -> usize {
        writer
            .finish(
                #[cfg(feature = "authentication")]
                None,
            )
            .unwrap()
    }

    fn widest_item() -> Item {
        Item {
            group: u16::MAX,
            term: Term::MAX,
            kind: ItemKind::PreVoteGranted { round: u32::MAX },
        }
    }

    #[test]
    fn size_bounds_hold_for_the_widest_fields() {
        let mut buf = [0; 128];
        let mut writer = start(&mut buf, 128, Envelope::Plain);
        assert_eq!(writer.len, MAX_HEADER_SIZE);
        let before = writer.len;
        assert!(writer.push(&widest_item()));
        assert!(writer.len - before <= MAX_ITEM_SIZE);
    }

    #[test]
    #[cfg(feature = "checksum")]
    fn a_bundle_round_trips_in_both_envelopes() {
        for envelope in [Envelope::Plain, Envelope::Checksummed] {
            let mut buf = [0; 256];
            let mut writer = start(&mut buf, 256, envelope);
            let items = [
                widest_item(),
                Item {
                    group: 3,
                    term: Term(9),
                    kind: ItemKind::Lead,
                },
            ];
            for item in &items {
                assert!(writer.push(item));
            }
            let len = finish(writer);
            let bundle = Bundle::decode(&buf[..len], envelope).unwrap();
            assert_eq!(bundle.header, header());
            let decoded: Result<heapless::Vec<Item, 4>, _> = bundle.items().collect();
            assert_eq!(decoded.unwrap().as_slice(), &items);
        }
    }

    #[test]
    #[cfg(feature = "checksum")]
    fn the_writer_stops_at_the_limit() {
        let mut buf = [0; 256];
        let mut writer = start(&mut buf, 112, Envelope::Checksummed);
        let mut pushed = 0;
        while writer.push(&widest_item()) {
            pushed += 1;
        }
        let len = finish(writer);
        assert!(len <= 112, "{len}");
        assert_eq!(
            pushed,
            (112 - MAX_HEADER_SIZE - CHECKSUM_SIZE) / MAX_ITEM_SIZE
        );
    }

    #[test]
    #[cfg(feature = "checksum")]
    fn every_truncation_and_flip_is_refused_or_decodes_cleanly() {
        let mut buf = [0; 128];
        let mut writer = start(&mut buf, 128, Envelope::Checksummed);
        assert!(writer.push(&widest_item()));
        let len = finish(writer);
        for cut in 0..len {
            assert!(Bundle::decode(&buf[..cut], Envelope::Checksummed).is_err());
        }
        for byte in 0..len {
            for bit in 0..8 {
                let mut flipped = buf;
                flipped[byte] ^= 1 << bit;
                assert_eq!(
                    Bundle::decode(&flipped[..len], Envelope::Checksummed).err(),
                    Some(DecodeError::BadChecksum)
                );
            }
        }
    }
}
