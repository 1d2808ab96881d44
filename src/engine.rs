//! The engine's public face: one election group's state machine, the same for every
//! algorithm.

use core::fmt;
use core::hash::{Hash, Hasher};

use crate::algorithms::Machine;
#[cfg(feature = "quorum")]
use crate::algorithms::quorum::{Durability, Quorum, TransferRefusal};
use crate::config::{Algorithm, Config, ConfigError, GroupId, MAX_MEMBERS, NodeId};
use crate::context::{Context, Due};
#[cfg(feature = "quorum")]
use crate::durable::DurableState;
use crate::event::{Cause, Event, Reported, Role};
use crate::outbox::Recipient;
use crate::peers::PeerIndex;
use crate::protection::{Authenticator, Statistics, Unauthenticated};
#[cfg(feature = "authentication")]
use crate::protection::{FreshnessGuard, FreshnessRefusal, KeyId, Protection, VerifyError};
use crate::time::Instant;
use crate::trace::trace_at;
use crate::wire::{
    AUTHENTICATED_WIRE_VERSION, Body, CHECKSUM_WIRE_VERSION, DecodeError, Destination, EncodeError,
    Kind, MAX_MESSAGE_SIZE, Message, Term, WIRE_VERSION, version_of,
};

/// A message ready for the host to send: it was written to the start of the caller's
/// buffer by [`Engine::poll_transmit`].
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub struct Transmit {
    /// Where to send it.
    pub to: Destination,
    /// How many bytes of the buffer it takes.
    pub len: usize,
}

/// Why a received message was refused. The election state is unchanged (the refusal is
/// counted in [`Engine::statistics`], and an unsynchronised message queues a freshness
/// request).
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The bytes are not a valid message (a checksummed one whose checksum does not match
    /// is [`DecodeError::BadChecksum`]).
    Decode(DecodeError),
    /// The message comes in another envelope (version byte) than the engine's
    /// [`Protection`] asks for: plain or checksummed bytes at an authenticated engine, or
    /// the reverse. Holds the version byte.
    WrongEnvelope(u8),
    /// The authentication tag does not match: forged or corrupted.
    BadMac,
    /// The tag was made with a key the authenticator does not hold (retired, or never
    /// installed). Holds the key id.
    UnknownKey(u8),
    /// The message was already accepted, or is older than the replay window; or a
    /// freshness reply answers no current request.
    Replay,
    /// The sender's session is not the one this node synchronised with (or it has not
    /// synchronised yet): a freshness request to the sender was queued.
    Unsynchronised,
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
            ReceiveError::WrongEnvelope(version) => {
                write!(
                    f,
                    "the message's envelope (version {version}) is not the one configured"
                )
            }
            ReceiveError::BadMac => f.write_str("the message's authentication tag does not match"),
            ReceiveError::UnknownKey(id) => {
                write!(f, "the message is signed with unknown key {id}")
            }
            ReceiveError::Replay => f.write_str("the message is a replay or too old"),
            ReceiveError::Unsynchronised => {
                f.write_str("the sender's session is not synchronised yet")
            }
            ReceiveError::WrongGroup(group) => write!(f, "the message belongs to {group}"),
            ReceiveError::UnknownSender(id) => write!(f, "{id} is not a member"),
            ReceiveError::FromSelf => f.write_str("the message comes from this node"),
            ReceiveError::Misaddressed(id) => write!(f, "the message is addressed to {id}"),
        }
    }
}

impl core::error::Error for ReceiveError {}

impl Statistics {
    /// Counts one received message by its outcome.
    pub(crate) fn count(&mut self, result: &Result<(), ReceiveError>) {
        let counter = match result {
            Ok(()) => &mut self.accepted,
            Err(ReceiveError::Decode(DecodeError::BadChecksum)) => &mut self.bad_checksum,
            Err(ReceiveError::Decode(_)) => &mut self.malformed,
            Err(ReceiveError::WrongEnvelope(_)) => &mut self.wrong_envelope,
            Err(ReceiveError::BadMac) => &mut self.bad_mac,
            Err(ReceiveError::UnknownKey(_)) => &mut self.unknown_key,
            Err(ReceiveError::Replay) => &mut self.replay,
            Err(ReceiveError::Unsynchronised) => &mut self.unsynchronised,
            Err(
                ReceiveError::WrongGroup(_)
                | ReceiveError::UnknownSender(_)
                | ReceiveError::FromSelf
                | ReceiveError::Misaddressed(_),
            ) => &mut self.not_for_this_node,
        };
        *counter = counter.saturating_add(1);
    }
}

/// Why [`Engine::restore`] refused to resume from a durable state. Nothing is built.
#[cfg(feature = "quorum")]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RestoreError {
    /// The configuration itself is refused, as [`Engine::new`] would.
    Config(ConfigError),
    /// The algorithm or mode keeps no durable state: only quorum election in persistent
    /// mode restores one.
    NotPersistent,
    /// The state's term is above [`Term::MAX`].
    TermOutOfRange(u64),
    /// The state names a vote for a node that is not a member.
    VoteForNonMember(NodeId),
}

#[cfg(feature = "quorum")]
impl From<ConfigError> for RestoreError {
    fn from(error: ConfigError) -> Self {
        RestoreError::Config(error)
    }
}

#[cfg(feature = "quorum")]
impl fmt::Display for RestoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestoreError::Config(error) => error.fmt(f),
            RestoreError::NotPersistent => {
                f.write_str("only quorum election in persistent mode restores durable state")
            }
            RestoreError::TermOutOfRange(term) => write!(
                f,
                "the restored term {term} is above the largest term, {}",
                Term::MAX.0
            ),
            RestoreError::VoteForNonMember(id) => {
                write!(f, "the restored vote names {id}, which is not a member")
            }
        }
    }
}

#[cfg(feature = "quorum")]
impl core::error::Error for RestoreError {}

/// Why [`QuorumMut::transfer_leadership`] refused a transfer. The engine's state is
/// unchanged.
#[cfg(feature = "quorum")]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransferError {
    /// Only the leader can hand leadership over.
    NotLeader,
    /// The named node is not a member.
    UnknownMember(NodeId),
    /// The named node is this node.
    ToSelf,
    /// The named member is ordinary: it never campaigns.
    NotCandidate(NodeId),
}

#[cfg(feature = "quorum")]
impl fmt::Display for TransferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransferError::NotLeader => f.write_str("this node does not lead"),
            TransferError::UnknownMember(id) => write!(f, "{id} is not a member"),
            TransferError::ToSelf => f.write_str("the named node is this node"),
            TransferError::NotCandidate(id) => write!(f, "{id} is ordinary and never leads"),
        }
    }
}

#[cfg(feature = "quorum")]
impl core::error::Error for TransferError {}

/// Why [`Engine::confirm_persisted`] refused a confirmation. The engine's state is
/// unchanged.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfirmError {
    /// The confirmed state is not the engine's current durable state: an older write
    /// completed after a newer change, or the engine persists nothing (an algorithm other
    /// than quorum election, or volatile mode).
    NotCurrent,
}

impl fmt::Display for ConfirmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfirmError::NotCurrent => f.write_str("that is not the current durable state"),
        }
    }
}

impl core::error::Error for ConfirmError {}

/// The next thing the host must do, from [`Engine::poll_output`], in the order that keeps
/// the engine's promises: persist, then transmit, then report events, then sleep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
#[non_exhaustive]
pub enum Output {
    /// Write this durable state (quorum election, persistent mode), then call
    /// [`Engine::confirm_persisted`]: until then no message leaves.
    #[cfg(feature = "quorum")]
    Persist(DurableState),
    /// A message was written to the start of the buffer: send it.
    Transmit(Transmit),
    /// A leadership change to act on.
    Event(Event),
    /// Nothing else to do now: call [`Engine::handle_timeout`] at this instant (or earlier,
    /// or when a message arrives). `None`: no timer is armed.
    Timeout(Option<Instant>),
}

/// How many timers one [`Engine::handle_timeout`] call may fire, a guard that keeps the
/// call bounded whatever the timer state.
const MAX_FIRINGS_PER_CALL: usize = 16;

/// The election state machine of one node in one election group, for up to `N` members,
/// signing and checking messages with `A` when its configuration asks for authenticated
/// [`Protection`].
///
/// See the [crate documentation](crate) for the calling contract. Methods come in four
/// groups: getters (`&self`), inputs (`handle_*`), outputs (`poll_*`) and construction.
///
/// Two engines compare equal (and hash alike) when their election state, freshness state
/// and authenticator are: [`Engine::statistics`] are observations, not state.
#[derive(Clone, Debug)]
pub struct Engine<const N: usize, A = Unauthenticated> {
    cx: Context<N>,
    machine: Machine<N>,
    reported: Reported,
    statistics: Statistics,
    authenticator: A,
    /// This node's freshness and its peers' replay windows (authenticated mode).
    #[cfg(feature = "authentication")]
    freshness: FreshnessGuard<N>,
}

impl<const N: usize, A: PartialEq> PartialEq for Engine<N, A> {
    fn eq(&self, other: &Self) -> bool {
        #[cfg(feature = "authentication")]
        if self.freshness != other.freshness {
            return false;
        }
        self.cx == other.cx
            && self.machine == other.machine
            && self.reported == other.reported
            && self.authenticator == other.authenticator
    }
}

impl<const N: usize, A: Eq> Eq for Engine<N, A> {}

impl<const N: usize, A: Hash> Hash for Engine<N, A> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cx.hash(state);
        self.machine.hash(state);
        self.reported.hash(state);
        self.authenticator.hash(state);
        #[cfg(feature = "authentication")]
        self.freshness.hash(state);
    }
}

impl<const N: usize> Engine<N> {
    /// An engine for `config`, started at `now`. It knows no leader yet and waits one
    /// failure timeout to hear one before it starts an election.
    ///
    /// A configuration with authenticated protection needs
    /// [`Engine::with_authenticator`] ([`ConfigError::NoAuthenticator`]).
    pub fn new(config: Config<N>, now: Instant) -> Result<Engine<N>, ConfigError> {
        Engine::with_authenticator(config, now, Unauthenticated)
    }

    /// An engine for `config` that resumes, at `now`, from the durable state its host
    /// persisted before a restart (quorum election in persistent mode only).
    ///
    /// Fails with [`RestoreError::Config`] where [`Engine::new`] fails,
    /// [`RestoreError::NotPersistent`] for any other algorithm or mode,
    /// [`RestoreError::TermOutOfRange`] if the state's term is above [`Term::MAX`], and
    /// [`RestoreError::VoteForNonMember`] if the state names a vote for a node outside the
    /// membership.
    #[cfg(feature = "quorum")]
    pub fn restore(
        config: Config<N>,
        now: Instant,
        state: DurableState,
    ) -> Result<Engine<N>, RestoreError> {
        Engine::restore_with_authenticator(config, now, state, Unauthenticated)
    }
}

impl<const N: usize, A: Authenticator> Engine<N, A> {
    /// An engine for `config`, started at `now`, that signs and checks messages with
    /// `authenticator` when `config.protection` is authenticated (and ignores it
    /// otherwise).
    ///
    /// Fails as [`Engine::new`] does, and with [`ConfigError::NoAuthenticator`] if the
    /// protection is authenticated and `authenticator` cannot sign with its current key.
    pub fn with_authenticator(
        config: Config<N>,
        now: Instant,
        authenticator: A,
    ) -> Result<Engine<N, A>, ConfigError> {
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
        #[cfg(feature = "authentication")]
        let (session, authenticator) = {
            let mut authenticator = authenticator;
            let session = match config.protection {
                Protection::Authenticated(options) => {
                    let key = authenticator.current_key();
                    authenticator
                        .sign(key, &[], &mut [])
                        .map_err(|_| ConfigError::NoAuthenticator)?;
                    options.session
                }
                _ => 0,
            };
            (session, authenticator)
        };
        let mut engine = Engine {
            machine: Machine::new(config.algorithm),
            cx: Context::new(config, me, now),
            reported: Reported::INITIAL,
            statistics: Statistics::default(),
            authenticator,
            #[cfg(feature = "authentication")]
            freshness: FreshnessGuard::new(session),
        };
        engine.machine.protocol_mut().start(&mut engine.cx);
        Ok(engine)
    }

    /// [`Engine::restore`] for an engine with an authenticator: see
    /// [`Engine::with_authenticator`].
    #[cfg(feature = "quorum")]
    pub fn restore_with_authenticator(
        config: Config<N>,
        now: Instant,
        state: DurableState,
        authenticator: A,
    ) -> Result<Engine<N, A>, RestoreError> {
        let persistent = matches!(
            config.algorithm,
            Algorithm::Quorum(options) if options.durability == Durability::Persistent
        );
        if !persistent {
            return Err(RestoreError::NotPersistent);
        }
        if !state.term.is_valid() {
            return Err(RestoreError::TermOutOfRange(state.term.0));
        }
        let mut engine = Engine::with_authenticator(config, now, authenticator)?;
        if let Some(vote) = state.voted_for
            && engine.cx.index_of(vote).is_none()
        {
            return Err(RestoreError::VoteForNonMember(vote));
        }
        if let Some(quorum) = engine.machine.quorum_mut() {
            quorum.restore(&mut engine.cx, state);
        }
        engine.reported = Reported::INITIAL;
        Ok(engine)
    }

    // ---- Getters ----

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.cx.config().node
    }

    /// The election group this engine belongs to.
    pub fn group(&self) -> GroupId {
        self.cx.config().group
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config<N> {
        self.cx.config()
    }

    /// The leader this node knows of, if any (itself when it leads).
    pub fn leader(&self) -> Option<NodeId> {
        self.cx.leader().map(|peer| self.cx.id_of(peer))
    }

    /// This node's role.
    pub fn role(&self) -> Role {
        self.cx.role()
    }

    /// Whether this node leads.
    pub fn is_leader(&self) -> bool {
        self.cx.role() == Role::Leader
    }

    /// The current leader's term (its epoch for rank-based algorithms). While this node
    /// leads, this is its fencing token.
    pub fn term(&self) -> Term {
        self.cx.term()
    }

    /// What this engine received and sent, counted by outcome: refusals by reason
    /// (forged, replayed, corrupted, misaddressed…).
    pub fn statistics(&self) -> Statistics {
        self.statistics
    }

    /// The authenticator (to read its keys).
    pub fn authenticator(&self) -> &A {
        &self.authenticator
    }

    /// The authenticator, to rotate or retire keys.
    pub fn authenticator_mut(&mut self) -> &mut A {
        &mut self.authenticator
    }

    /// Quorum election's own state (leases, fencing tokens, durable state), or `None` for
    /// any other algorithm.
    #[cfg(feature = "quorum")]
    pub fn quorum(&self) -> Option<QuorumRef<'_, N, A>> {
        let quorum = self.machine.quorum()?;
        Some(QuorumRef {
            engine: self,
            quorum,
        })
    }

    /// Quorum election's own commands (freshness, leadership transfer), or `None` for any
    /// other algorithm.
    #[cfg(feature = "quorum")]
    pub fn quorum_mut(&mut self) -> Option<QuorumMut<'_, N, A>> {
        self.machine.quorum()?;
        Some(QuorumMut { engine: self })
    }

    // ---- Inputs ----

    /// Handles a message received as bytes, in the envelope of the engine's
    /// [`Protection`]. On error the election state is unchanged: the refusal is counted in
    /// [`Engine::statistics`] (and an unsynchronised message queues a freshness request).
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) -> Result<(), ReceiveError> {
        let result = self.receive(now, bytes);
        self.count(&result);
        result
    }

    /// Handles a message that is already decoded (for hosts that demultiplex groups
    /// themselves, or pass messages in memory). On error nothing changes. An authenticated
    /// engine refuses it ([`ReceiveError::WrongEnvelope`]): only bytes carry a tag.
    pub fn handle_message(&mut self, now: Instant, message: &Message) -> Result<(), ReceiveError> {
        let result = match self.cx.config().protection {
            #[cfg(feature = "authentication")]
            Protection::Authenticated(_) => Err(ReceiveError::WrongEnvelope(WIRE_VERSION)),
            _ => self.deliver(now, message),
        };
        self.count(&result);
        result
    }

    /// Counts a received message by its outcome, and traces a refusal.
    fn count(&mut self, result: &Result<(), ReceiveError>) {
        self.statistics.count(result);
        if let Err(error) = result {
            trace_at!(
                debug,
                "{}: refused a message: {}",
                self.cx.config().node,
                error
            );
        }
    }

    /// Opens `bytes` in the configured envelope and hands the message on.
    fn receive(&mut self, now: Instant, bytes: &[u8]) -> Result<(), ReceiveError> {
        let protection = self.cx.config().protection;
        if let Some(&version) = bytes.first()
            && version != version_of(&protection)
            && matches!(
                version,
                WIRE_VERSION | CHECKSUM_WIRE_VERSION | AUTHENTICATED_WIRE_VERSION
            )
        {
            return Err(ReceiveError::WrongEnvelope(version));
        }
        match protection {
            #[cfg(feature = "authentication")]
            Protection::Authenticated(options) => {
                self.receive_authenticated(now, bytes, options.tag)
            }
            _ => {
                let checksummed = protection.is_checksummed();
                self.deliver(now, &Message::decode_unauthenticated(bytes, checksummed)?)
            }
        }
    }

    /// Checks an authenticated message's tag, then its envelope, then its freshness.
    #[cfg(feature = "authentication")]
    fn receive_authenticated(
        &mut self,
        now: Instant,
        bytes: &[u8],
        tag: crate::protection::TagLength,
    ) -> Result<(), ReceiveError> {
        let sealed = Message::decode_authenticated(bytes, tag)?;
        let KeyId(key) = sealed.key;
        self.authenticator
            .verify(sealed.key, sealed.signed, sealed.tag)
            .map_err(|error| match error {
                VerifyError::BadMac => ReceiveError::BadMac,
                VerifyError::UnknownKey => ReceiveError::UnknownKey(key),
            })?;
        let message = sealed.message;
        let freshness = sealed.freshness;
        let from = self.accept(&message)?;
        let refusal = |refusal| match refusal {
            FreshnessRefusal::Replay => ReceiveError::Replay,
            FreshnessRefusal::Unsynchronised => ReceiveError::Unsynchronised,
        };
        match message.body {
            // A request in the session this node is synchronised with must be fresh like
            // any message. One from another session (the asker restarted) is answered
            // whatever it is: a replayed one only earns a reply its asker refuses.
            Body::FreshnessRequest => {
                match self.freshness.check(from, freshness) {
                    Ok(()) => self.freshness.accept(from, freshness),
                    Err(FreshnessRefusal::Replay) => return Err(ReceiveError::Replay),
                    Err(FreshnessRefusal::Unsynchronised) => {}
                }
                self.freshness.requested(from, freshness);
                self.cx.send(from, Kind::FreshnessReply);
                Ok(())
            }
            Body::FreshnessReply { echo } => self
                .freshness
                .synchronise(from, echo, freshness)
                .map_err(refusal),
            _ => {
                if let Err(error) = self.freshness.check(from, freshness) {
                    if error == FreshnessRefusal::Unsynchronised {
                        self.cx.send(from, Kind::FreshnessRequest);
                    }
                    return Err(refusal(error));
                }
                self.freshness.accept(from, freshness);
                self.run(now, from, &message);
                Ok(())
            }
        }
    }

    /// Checks a plain (or checksummed) message and hands it to the algorithm.
    fn deliver(&mut self, now: Instant, message: &Message) -> Result<(), ReceiveError> {
        let from = self.accept(message)?;
        if matches!(
            message.body,
            Body::FreshnessRequest | Body::FreshnessReply { .. }
        ) {
            // Freshness belongs to the authenticated envelope only.
            return Err(ReceiveError::WrongEnvelope(version_of(
                &self.cx.config().protection,
            )));
        }
        self.run(now, from, message);
        Ok(())
    }

    /// Hands an accepted message from `from` to the algorithm.
    fn run(&mut self, now: Instant, from: PeerIndex, message: &Message) {
        self.advance(now);
        self.cx.record_heard(from);
        let idle = self.cx.because(if message.term > self.cx.term() {
            Cause::NewerTerm { from: message.from }
        } else {
            Cause::ElectionCalled { by: message.from }
        });
        self.machine
            .protocol_mut()
            .handle_message(&mut self.cx, from, message.term, &message.body);
        self.cx.because(idle);
    }

    /// The checks a message must pass before it reaches the algorithm; returns the
    /// sender's index.
    fn accept(&self, message: &Message) -> Result<PeerIndex, ReceiveError> {
        if message.group != self.cx.config().group {
            return Err(ReceiveError::WrongGroup(message.group));
        }
        if !message.term.is_valid() {
            return Err(ReceiveError::Decode(DecodeError::TermOutOfRange(
                message.term.0,
            )));
        }
        if message.from == self.cx.config().node {
            return Err(ReceiveError::FromSelf);
        }
        if let Destination::Node(to) = message.to
            && to != self.cx.config().node
        {
            return Err(ReceiveError::Misaddressed(to));
        }
        self.cx
            .index_of(message.from)
            .ok_or(ReceiveError::UnknownSender(message.from))
    }

    /// Fires every timer due at `now`. Calling it early, late or repeatedly is harmless:
    /// timers not yet due are left alone.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        for _ in 0..MAX_FIRINGS_PER_CALL {
            let protocol = self.machine.protocol_mut();
            // A timer that changes leadership fires because no leader made itself heard
            // in time; an algorithm names a more specific cause itself.
            let idle = self.cx.because(Cause::LeaderSilent);
            let due = self.cx.take_due();
            match due {
                Some(Due::LeaderSilent) => protocol.handle_leader_silent(&mut self.cx),
                Some(Due::Heartbeat) => protocol.heartbeat(&mut self.cx),
                Some(Due::Timer(timer)) => protocol.handle_timer(&mut self.cx, timer),
                None => {}
            }
            self.cx.because(idle);
            if due.is_none() {
                return;
            }
        }
    }

    /// The host finished writing `state` (handed out by [`Engine::poll_persist`] or
    /// [`Output::Persist`]). Once the current state is confirmed, the messages that waited
    /// for it can be sent.
    #[cfg(feature = "quorum")]
    pub fn confirm_persisted(&mut self, state: DurableState) -> Result<(), ConfirmError> {
        let confirmed = self
            .machine
            .quorum_mut()
            .is_some_and(|quorum| quorum.confirm_persisted(&self.cx, state));
        if confirmed {
            Ok(())
        } else {
            Err(ConfirmError::NotCurrent)
        }
    }

    // ---- Outputs ----

    /// The next output in the order the calling contract asks for: the durable state to
    /// persist, then messages (written into `buf`, as [`Engine::poll_transmit`] does), then
    /// leadership events, and finally [`Output::Timeout`], which ends the drain. After every
    /// input, call it until it returns `Timeout`:
    ///
    /// ```
    /// # use bellwether::{Engine, Output};
    /// # fn drain<const N: usize>(engine: &mut Engine<N>) -> Result<(), bellwether::EncodeError> {
    /// let mut buf = [0u8; bellwether::MAX_MESSAGE_SIZE];
    /// let deadline = loop {
    ///     match engine.poll_output(&mut buf)? {
    ///         Output::Persist(state) => {
    ///             // Write `state` to storage; once written:
    ///             let _ = engine.confirm_persisted(state);
    ///         }
    ///         Output::Transmit(transmit) => { /* send &buf[..transmit.len] to transmit.to */ }
    ///         Output::Event(event) => { /* act on it */ }
    ///         Output::Timeout(deadline) => break deadline,
    ///         _ => {}
    ///     }
    /// };
    /// # let _ = deadline;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// A persisted state that is not confirmed holds the messages back: the drain then
    /// goes on to events and the deadline, and the messages follow once it is confirmed.
    /// Fails only when `buf` is too small for the next message, which then stays queued.
    pub fn poll_output(&mut self, buf: &mut [u8]) -> Result<Output, EncodeError> {
        #[cfg(feature = "quorum")]
        if let Some(state) = self.poll_persist() {
            return Ok(Output::Persist(state));
        }
        if let Some(transmit) = self.poll_transmit(buf)? {
            return Ok(Output::Transmit(transmit));
        }
        if let Some(event) = self.poll_event() {
            return Ok(Output::Event(event));
        }
        Ok(Output::Timeout(self.poll_timeout()))
    }

    /// The durable state the host must write before this node's next messages may leave
    /// (quorum election in persistent mode), once per change; `None` for any other
    /// algorithm or mode. Write it, then call [`Engine::confirm_persisted`]; until then
    /// `poll_transmit` hands out nothing.
    #[cfg(feature = "quorum")]
    pub fn poll_persist(&mut self) -> Option<DurableState> {
        self.machine.quorum_mut()?.poll_persist(&self.cx)
    }

    /// Writes the next outgoing message into `buf` and says where it goes, or returns
    /// `Ok(None)` when nothing is waiting. A buffer of
    /// [`MAX_MESSAGE_SIZE`](crate::MAX_MESSAGE_SIZE) bytes always suffices; if `buf` is
    /// too small the message stays queued, `buf` is left untouched and `BufferTooSmall` is
    /// returned.
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Result<Option<Transmit>, EncodeError> {
        if self.withholds() {
            return Ok(None);
        }
        while let Some((recipient, kind)) = self.cx.next_message() {
            let Some(message) = self.build(recipient, kind) else {
                self.cx.message_taken(recipient, kind);
                continue;
            };
            // Sealed aside first, so a short buffer is left untouched.
            let mut datagram = [0u8; MAX_MESSAGE_SIZE];
            let Some(len) = self.seal(&message, &mut datagram)? else {
                return Ok(None);
            };
            let (Some(out), Some(bytes)) = (buf.get_mut(..len), datagram.get(..len)) else {
                return Err(EncodeError::BufferTooSmall);
            };
            out.copy_from_slice(bytes);
            self.sent(recipient, kind);
            return Ok(Some(Transmit {
                to: message.to,
                len,
            }));
        }
        Ok(None)
    }

    /// Writes `message` in the configured envelope; `None` once the freshness counter is
    /// exhausted (authenticated mode, after 2⁶⁴ − 1 datagrams: never, in practice).
    fn seal(&mut self, message: &Message, out: &mut [u8]) -> Result<Option<usize>, EncodeError> {
        match self.cx.config().protection {
            #[cfg(feature = "authentication")]
            Protection::Authenticated(options) => {
                let Some(freshness) = self.freshness.next() else {
                    return Ok(None);
                };
                let key = self.authenticator.current_key();
                message
                    .encode_authenticated(out, options.tag, key, freshness, &mut self.authenticator)
                    .map(Some)
            }
            protection => message
                .encode_unauthenticated(out, protection.is_checksummed())
                .map(Some),
        }
    }

    /// A message of `kind` to `recipient` left.
    fn sent(&mut self, recipient: Recipient, kind: Kind) {
        #[cfg(feature = "authentication")]
        if matches!(self.cx.config().protection, Protection::Authenticated(_)) {
            if let (Recipient::Peer(peer), Some(freshness)) = (recipient, self.freshness.next()) {
                match kind {
                    Kind::FreshnessRequest => self.freshness.challenged(peer, freshness.counter),
                    Kind::FreshnessReply => self.freshness.answered(peer),
                    _ => {}
                }
            }
            self.freshness.consume();
        }
        self.statistics.sent = self.statistics.sent.saturating_add(1);
        self.cx.message_taken(recipient, kind);
    }

    /// Takes the next outgoing message without encoding it (for in-memory transports).
    pub fn poll_message(&mut self) -> Option<Message> {
        if self.withholds() {
            return None;
        }
        while let Some((recipient, kind)) = self.cx.next_message() {
            self.cx.message_taken(recipient, kind);
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

    /// Whether a message is ready to be taken by `poll_transmit` or `poll_message` (not
    /// while it waits for durable state to be confirmed written).
    pub fn has_transmit(&self) -> bool {
        !self.withholds() && self.cx.has_messages()
    }

    fn withholds(&self) -> bool {
        self.machine.protocol().withholds(&self.cx)
    }

    fn build(&self, recipient: Recipient, kind: Kind) -> Option<Message> {
        let to = match recipient {
            Recipient::All => Destination::All,
            Recipient::Peer(peer) => Destination::Node(self.cx.id_of(peer)),
        };
        let protocol = self.machine.protocol();
        let (term, body) = match (kind, recipient) {
            (Kind::FreshnessRequest, _) => (self.cx.term(), Body::FreshnessRequest),
            #[cfg(feature = "authentication")]
            (Kind::FreshnessReply, Recipient::Peer(peer)) => (
                self.cx.term(),
                Body::FreshnessReply {
                    echo: self.freshness.request_of(peer)?,
                },
            ),
            (Kind::FreshnessReply, _) => return None,
            _ => (
                protocol.message_term(&self.cx, kind),
                protocol.body(&self.cx, kind, recipient)?,
            ),
        };
        Some(Message {
            group: self.cx.config().group,
            from: self.cx.config().node,
            to,
            term,
            body,
        })
    }

    fn advance(&mut self, now: Instant) {
        self.cx.advance(now);
    }
}

/// Quorum election's state, read through [`Engine::quorum`].
#[cfg(feature = "quorum")]
#[derive(Clone, Copy, Debug)]
pub struct QuorumRef<'a, const N: usize, A = Unauthenticated> {
    engine: &'a Engine<N, A>,
    quorum: &'a Quorum<N>,
}

#[cfg(feature = "quorum")]
impl<const N: usize, A: Authenticator> QuorumRef<'_, N, A> {
    /// Whether this node persists its term and vote ([`Durability::Persistent`]) or not.
    pub fn durability(&self) -> Durability {
        self.quorum.durability()
    }

    /// Until when (on this node's clock) no other leader can exist, while this node leads
    /// with a lease (`None` otherwise, during a leadership transfer, and while its term is
    /// not yet confirmed durable).
    pub fn lease_until(&self) -> Option<Instant> {
        if self.engine.withholds() {
            return None;
        }
        self.quorum.lease_until(&self.engine.cx)
    }

    /// Whether this node leads with a lease valid at `now`: no other node can lead until
    /// the lease ends. Gate side effects that must not run on two nodes at once on it.
    ///
    /// A `now` earlier than the latest time the engine was given (a clock stepped back)
    /// counts as that latest time: the engine's clock never runs backwards, so a stepped
    /// clock cannot bring an expired lease back.
    pub fn has_lease(&self, now: Instant) -> bool {
        let now = now.max(self.engine.cx.now());
        self.lease_until().is_some_and(|until| now < until)
    }

    /// The fencing token to attach to this leader's side effects: its term, while it leads
    /// (persistent mode, where terms are never led twice) and that term is confirmed
    /// durable. A store that remembers the highest token it saw can refuse a deposed
    /// leader's late writes.
    pub fn fencing_token(&self) -> Option<Term> {
        let durable = self.durability() == Durability::Persistent && !self.engine.withholds();
        (self.engine.is_leader() && durable).then_some(self.engine.cx.term())
    }

    /// The term and vote as they stand now.
    pub fn durable_state(&self) -> DurableState {
        self.quorum.durable_state(&self.engine.cx)
    }
}

/// Quorum election's commands, reached through [`Engine::quorum_mut`].
#[cfg(feature = "quorum")]
#[derive(Debug)]
pub struct QuorumMut<'a, const N: usize, A = Unauthenticated> {
    engine: &'a mut Engine<N, A>,
}

#[cfg(feature = "quorum")]
impl<const N: usize, A: Authenticator> QuorumMut<'_, N, A> {
    /// Sets this node's freshness (e.g. its log position): members vote only for
    /// candidates at least as fresh as themselves. All start at 0.
    pub fn set_freshness(&mut self, freshness: u64) {
        if let Some(quorum) = self.engine.machine.quorum_mut() {
            quorum.set_freshness(freshness);
        }
    }

    /// Hands leadership to member `to`, which campaigns at once. This node claims no lease
    /// meanwhile, and gives up the transfer if no new leader appears within the election
    /// timeout.
    pub fn transfer_leadership(&mut self, now: Instant, to: NodeId) -> Result<(), TransferError> {
        let engine = &mut *self.engine;
        let peer = engine
            .cx
            .index_of(to)
            .ok_or(TransferError::UnknownMember(to))?;
        let Some(quorum) = engine.machine.quorum_mut() else {
            return Err(TransferError::NotLeader);
        };
        // A refused command changes nothing, not even the clock.
        let me = engine.cx.config().node;
        quorum
            .check_transfer(&engine.cx, peer)
            .map_err(|refusal| match refusal {
                TransferRefusal::NotLeader => TransferError::NotLeader,
                TransferRefusal::ToSelf => TransferError::ToSelf,
                TransferRefusal::NotCandidate => TransferError::NotCandidate(to),
            })
            .inspect_err(|error| {
                trace_at!(info, "{}: transfer to {} refused: {}", me, to, error)
            })?;
        trace_at!(info, "{}: hands leadership to {}", me, to);
        engine.cx.advance(now);
        let idle = engine.cx.because(Cause::TransferRequested { to });
        quorum.transfer(&mut engine.cx, peer);
        engine.cx.because(idle);
        Ok(())
    }
}
