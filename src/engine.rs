//! The engine's public face: one election group's state machine, the same for every
//! algorithm.

use core::fmt;

use crate::config::{Algorithm, Config, ConfigError, GroupId, MAX_MEMBERS, NodeId};
use crate::context::Context;
use crate::event::{Event, Reported, Role};
use crate::outbox::Recipient;
use crate::peers::PeerIndex;
use crate::time::Instant;
use crate::timer::Timer;
use crate::wire::{DecodeError, Destination, EncodeError, Kind, Message, Term};

use crate::protocol::Protocol;

#[cfg(feature = "invitation")]
use crate::invitation::Invitation;
#[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
use crate::ranked::{Ranked, Rules};
#[cfg(feature = "ring")]
use crate::ring::Ring;

/// The running algorithm's own state.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Machine {
    #[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
    Ranked(Ranked),
    #[cfg(feature = "invitation")]
    Invitation(Invitation),
    #[cfg(feature = "ring")]
    Ring(Ring),
}

impl Machine {
    fn new(algorithm: Algorithm) -> Machine {
        match algorithm {
            #[cfg(feature = "bully")]
            Algorithm::Bully(options) => {
                Machine::Ranked(Ranked::new(Rules::Bully, options.preemption))
            }
            #[cfg(feature = "next-in-line")]
            Algorithm::NextInLine(options) => Machine::Ranked(Ranked::new(
                Rules::NextInLine {
                    successors: usize::from(options.successors),
                },
                options.preemption,
            )),
            #[cfg(feature = "candidates")]
            Algorithm::Candidates(options) => Machine::Ranked(Ranked::new(
                Rules::Candidates {
                    tie_breaker_step: options.tie_breaker_step,
                },
                options.preemption,
            )),
            #[cfg(feature = "invitation")]
            Algorithm::Invitation(options) => Machine::Invitation(Invitation::new(options)),
            #[cfg(feature = "ring")]
            Algorithm::Ring(options) => Machine::Ring(Ring::new(options)),
        }
    }

    fn protocol<const N: usize>(&self) -> &dyn Protocol<N> {
        match *self {
            #[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
            Machine::Ranked(ref ranked) => ranked,
            #[cfg(feature = "invitation")]
            Machine::Invitation(ref invitation) => invitation,
            #[cfg(feature = "ring")]
            Machine::Ring(ref ring) => ring,
        }
    }

    fn protocol_mut<const N: usize>(&mut self) -> &mut dyn Protocol<N> {
        match *self {
            #[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
            Machine::Ranked(ref mut ranked) => ranked,
            #[cfg(feature = "invitation")]
            Machine::Invitation(ref mut invitation) => invitation,
            #[cfg(feature = "ring")]
            Machine::Ring(ref mut ring) => ring,
        }
    }
}

/// A message ready for the host to send: it was written to the start of the caller's
/// buffer by [`Engine::poll_transmit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct Transmit {
    /// Where to send it.
    pub to: Destination,
    /// How many bytes of the buffer it takes.
    pub len: usize,
}

/// Why a received message was rejected. The engine's state is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The bytes are not a valid message.
    Decode(DecodeError),
    /// The message belongs to another election group.
    WrongGroup(GroupId),
    /// The sender is not a configured member.
    UnknownSender(NodeId),
    /// The message claims to come from this node (a broadcast medium looping back).
    FromSelf,
    /// The message is addressed to another node.
    Misaddressed(NodeId),
}

impl From<DecodeError> for ReceiveError {
    fn from(error: DecodeError) -> Self {
        ReceiveError::Decode(error)
    }
}

impl fmt::Display for ReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiveError::Decode(error) => error.fmt(f),
            ReceiveError::WrongGroup(group) => write!(f, "the message belongs to {group}"),
            ReceiveError::UnknownSender(id) => write!(f, "{id} is not a member"),
            ReceiveError::FromSelf => f.write_str("the message comes from this node"),
            ReceiveError::Misaddressed(id) => write!(f, "the message is addressed to {id}"),
        }
    }
}

impl core::error::Error for ReceiveError {}

/// How many timers one [`Engine::handle_timeout`] call may fire, a guard that keeps the
/// call bounded whatever the timer state.
const MAX_FIRINGS_PER_CALL: usize = 16;

/// The election state machine of one node in one election group, for up to `N` members.
///
/// See the [crate documentation](crate) for the calling contract. Methods come in four
/// groups: getters (`&self`), inputs (`handle_*`), outputs (`poll_*`) and construction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Engine<const N: usize> {
    cx: Context<N>,
    machine: Machine,
    reported: Reported,
}

impl<const N: usize> Engine<N> {
    /// An engine for `config`, started at `now`. It knows no leader yet and waits one
    /// failure timeout to hear one before it starts an election.
    pub fn new(config: Config<N>, now: Instant) -> Result<Engine<N>, ConfigError> {
        const {
            assert!(
                N > 0 && N <= MAX_MEMBERS,
                "capacity must be 1..=MAX_MEMBERS"
            )
        };
        config.validate()?;
        let position = config
            .members()
            .binary_search_by_key(&config.node, |member| member.id)
            .map_err(|_| ConfigError::SelfNotMember)?;
        let me = PeerIndex::from_position(position).ok_or(ConfigError::TooManyMembers)?;
        let mut engine = Engine {
            machine: Machine::new(config.algorithm),
            cx: Context::new(config, me, now),
            reported: Reported::INITIAL,
        };
        engine.machine.protocol_mut().start(&mut engine.cx);
        Ok(engine)
    }

    // ---- Getters ----

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.cx.config.node
    }

    /// The election group this engine belongs to.
    pub fn group(&self) -> GroupId {
        self.cx.config.group
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config<N> {
        &self.cx.config
    }

    /// The leader this node knows of, if any (itself when it leads).
    pub fn leader(&self) -> Option<NodeId> {
        self.cx.leader.map(|peer| self.cx.id_of(peer))
    }

    /// This node's role.
    pub fn role(&self) -> Role {
        self.cx.role
    }

    /// Whether this node leads.
    pub fn is_leader(&self) -> bool {
        self.cx.role == Role::Leader
    }

    /// The current leader's term (its epoch for rank-based algorithms). While this node
    /// leads, this is its fencing token.
    pub fn term(&self) -> Term {
        self.cx.term
    }

    // ---- Inputs ----

    /// Handles a message received as bytes. On error nothing changes.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) -> Result<(), ReceiveError> {
        let message = Message::decode(bytes)?;
        self.handle_message(now, &message)
    }

    /// Handles a message that is already decoded (for hosts that demultiplex groups
    /// themselves, or pass messages in memory). On error nothing changes.
    pub fn handle_message(&mut self, now: Instant, message: &Message) -> Result<(), ReceiveError> {
        if message.group != self.cx.config.group {
            return Err(ReceiveError::WrongGroup(message.group));
        }
        if message.from == self.cx.config.node {
            return Err(ReceiveError::FromSelf);
        }
        if let Destination::Node(to) = message.to
            && to != self.cx.config.node
        {
            return Err(ReceiveError::Misaddressed(to));
        }
        let from = self
            .cx
            .index_of(message.from)
            .ok_or(ReceiveError::UnknownSender(message.from))?;
        self.advance(now);
        self.cx.heard.insert(from);
        self.machine
            .protocol_mut()
            .handle_message(&mut self.cx, from, message.term, &message.body);
        Ok(())
    }

    /// Fires every timer due at `now`. Calling it early, late or repeatedly is harmless:
    /// timers not yet due are left alone.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        let now = self.cx.now;
        for _ in 0..MAX_FIRINGS_PER_CALL {
            if self.cx.detector.take_expired(now) {
                self.machine
                    .protocol_mut()
                    .handle_leader_silent(&mut self.cx);
            } else if let Some(timer) = self.cx.timers.take_expired(now) {
                match timer {
                    Timer::Heartbeat => self.cx.heartbeat(),
                    other => self
                        .machine
                        .protocol_mut()
                        .handle_timer(&mut self.cx, other),
                }
            } else {
                return;
            }
        }
    }

    // ---- Outputs ----

    /// Writes the next outgoing message into `buf` and says where it goes, or returns
    /// `Ok(None)` when nothing is waiting. A buffer of
    /// [`MAX_MESSAGE_SIZE`](crate::MAX_MESSAGE_SIZE) bytes always suffices; if `buf` is
    /// too small the message stays queued and `BufferTooSmall` is returned.
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Result<Option<Transmit>, EncodeError> {
        while let Some((recipient, kind)) = self.cx.outbox.peek() {
            let Some(message) = self.build(recipient, kind) else {
                self.cx.outbox.remove(recipient, kind);
                continue;
            };
            let len = message.encode(buf)?;
            self.cx.outbox.remove(recipient, kind);
            return Ok(Some(Transmit {
                to: message.to,
                len,
            }));
        }
        Ok(None)
    }

    /// Takes the next outgoing message without encoding it (for in-memory transports).
    pub fn poll_message(&mut self) -> Option<Message> {
        while let Some((recipient, kind)) = self.cx.outbox.peek() {
            self.cx.outbox.remove(recipient, kind);
            if let Some(message) = self.build(recipient, kind) {
                return Some(message);
            }
        }
        None
    }

    /// The next leadership event, if the state changed since the last one was taken.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.reported.next_event(self.cx.leadership())
    }

    /// When [`Engine::handle_timeout`] should next be called. A host may sleep until
    /// then; it may also call earlier, on a fixed tick.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.cx.next_deadline()
    }

    /// Whether a message is waiting to be taken by `poll_transmit` or `poll_message`.
    pub fn has_transmit(&self) -> bool {
        !self.cx.outbox.is_empty()
    }

    fn build(&self, recipient: Recipient, kind: Kind) -> Option<Message> {
        let to = match recipient {
            Recipient::All => Destination::All,
            Recipient::Peer(peer) => Destination::Node(self.cx.id_of(peer)),
        };
        let protocol = self.machine.protocol();
        Some(Message {
            group: self.cx.config.group,
            from: self.cx.config.node,
            to,
            term: protocol.message_term(&self.cx, kind),
            body: protocol.body(&self.cx, kind)?,
        })
    }

    fn advance(&mut self, now: Instant) {
        self.cx.now = self.cx.now.max(now);
    }
}
