//! Invitation election (Garcia-Molina, 1982). **Safety class: several leaders by design** — one per
//! group. While the network is partitioned each side (and, until it is invited, every node
//! that lost its leader) leads a group of its own; when the partition heals the groups
//! merge back into one.
//!
//! A group is identified by its leader and a term: every new group takes a term one above
//! the highest this node has seen. Messages carry the sender's group term. Rules, for a
//! node `p`:
//!
//! 1. **Start.** `p` leads a group containing only itself, in a new term.
//! 2. **Heartbeats.** A leader heartbeats every member of the configuration (the engine's
//!    shared heartbeat; nodes outside the group ignore it). A member answers each
//!    heartbeat of *its own* leader with `HeartbeatAck` and follows it again, adopting the
//!    term the heartbeat carries (a restarted leader numbers its terms afresh); this
//!    re-arms its failure detector. Heartbeats from any other node are ignored: groups
//!    merge only by invitation.
//! 3. **Member liveness.** Every failure timeout a leader sweeps its group: members it has
//!    heard nothing from since the last sweep leave. A leader that receives an ack in its
//!    term from a node outside its group counts that node as a member again (it follows
//!    this leader; its acks were lost, or the leader restarted).
//! 4. **Falling back.** A member whose failure detector suspects its leader leads a group
//!    of its own, in a new term.
//! 5. **Invitations.** A leader invites every member of the configuration outside its group
//!    (`Invite`, with its group size) every `invite_interval + δ`, where δ is its
//!    tie-breaker delay: `tie_breaker_step` × the number of members ranked above it. Its
//!    first round goes out δ after it starts, or — after it fell back — at the instant it
//!    last heard its leader plus the failure timeout plus the full failure jitter plus δ.
//!    So the nodes that lost the same leader all invite after every one of them has fallen
//!    back, highest-ranked first, and the step (which must exceed one round trip) lets its
//!    invitations arrive before the next node's round starts.
//! 6. **Merge rule.** A leader `r` invited by `l` compares (`l`'s group size, `l`'s rank)
//!    with (its own group size, its own rank). If `l`'s is larger, `r` sends `Accept` with
//!    its whole group (itself included) to `l`, `Join { leader: l }` to its members, and
//!    follows `l`. Otherwise it answers with a counter-`Invite`, so that the larger group
//!    absorbs the smaller at once. The leader of the larger group (ties: the higher rank)
//!    leads the merged group.
//! 7. **Accept.** A leader that receives `Accept` in its own term adds the sender and the
//!    listed members to its group (they are counted as heard for the current sweep); one
//!    from an older term is ignored (its sender follows this node and is counted on its
//!    first ack, rule 3). A set naming positions beyond the membership is ignored whole.
//!    A node that has joined
//!    another group since it invited (the invitation was overtaken) passes the accepting
//!    nodes on: `Join { leader: its own leader }` to the sender and every listed member.
//!    Likewise a node that no longer leads answers an ack from a node it did not hand
//!    over (which still follows it: its ack overtook its leader's merge) with `Join`.
//! 8. **Join.** A member that receives `Join { leader }` from its own leader follows the
//!    named leader in the term the message carries (the merged group's term). If the
//!    named leader is the member itself, two merges crossed and it follows a node that
//!    follows it: it leads a group of its own at once (its old leader, which follows it,
//!    is counted by rule 3 on its first ack). A `Join` naming no member is ignored.
//! 9. **Invitations to members.** A member ignores invitations from other nodes: their
//!    sender invites its leader too. A leader invited by a node it counts as its member
//!    drops that node (it evidently left) and applies rule 6. So an invitation from a
//!    member's own leader means the leader does not count it: it was dropped on an
//!    invitation it sent before it joined (overtaken in the network), swept, or the leader
//!    restarted. The member answers with `HeartbeatAck`, which counts it again at once
//!    (rule 3), and follows on. Acks are liveness traffic, not election messages; on a
//!    broadcast medium, where every invitation round reaches the whole group, they are
//!    what a round costs beyond the invitation itself.
//!
//! Message contents are built from this state when the host polls, and the engine's outbox
//! keeps one pending message per peer and kind; rule 3 repairs any group list that a
//! lost or superseded `Accept` left short.
//!
//! Heartbeats go to every configured member, not only to the group, on purpose: a node that
//! follows a leader which does not count it yet (its `Join` overtook its old leader's
//! `Accept`, or the leader restarted) hears the leader, acks, and is counted (rule 3).
//!
//! The canonical failover (nodes 1..6 in one group under 6; 6 fails) takes exactly 9
//! election messages: 5 invites 1, 2, 3, 4 and the crashed 6, and 1..4 accept (see
//! `tests/invitation.rs`). Heartbeats and acks are liveness traffic: per heartbeat
//! interval a leader of k members (n configured) sends n - 1 heartbeats and gets k - 1
//! acks.

use crate::algorithms::Protocol;
use crate::config::{
    AlgorithmOptions, ConfigError, Member, NodeId, Timing, refuse_ordinary_members,
};
use crate::context::Context;
use crate::event::Role;
use crate::outbox::Recipient;
use crate::peers::{PeerIndex, PeerSet};
use crate::time::{Duration, Instant};
use crate::timer::{AlgorithmTimer, Slot};
use crate::wire::{Body, Kind, MemberSet, Successors, Term};

/// Options of invitation election.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct InvitationOptions {
    /// How often a group leader invites the members outside its group (plus its
    /// tie-breaker delay).
    pub invite_interval: Duration,
    /// The gap between neighbouring ranks' tie-breaker delays: a leader's invitation
    /// rounds come `tie_breaker_step` × (members ranked above it) later than the
    /// highest-ranked node's. It must exceed one round trip, so that after a leader fails
    /// the highest-ranked survivor's invitations arrive before the next one invites.
    pub tie_breaker_step: Duration,
}

impl InvitationOptions {
    /// Invitations every 300 ms plus a 50 ms tie-breaker step per higher-ranked member
    /// (the step equals [`Timing::LAN`](crate::Timing::LAN)'s round-trip timeout).
    pub const DEFAULT: InvitationOptions = InvitationOptions {
        invite_interval: Duration::from_millis(300),
        tie_breaker_step: Duration::from_millis(50),
    };

    /// Options with the given invitation interval and tie-breaker step.
    pub const fn new(invite_interval: Duration, tie_breaker_step: Duration) -> InvitationOptions {
        InvitationOptions {
            invite_interval,
            tie_breaker_step,
        }
    }
}

impl AlgorithmOptions for InvitationOptions {
    /// Invitation elects every member, so none may be ordinary; invitations need an
    /// interval.
    fn validate_without_timing(&self, members: &[Member]) -> Result<(), ConfigError> {
        refuse_ordinary_members(members)?;
        if self.invite_interval.is_zero() {
            return Err(ConfigError::ZeroInviteInterval);
        }
        Ok(())
    }

    /// The tie-breaker step must exceed one round trip.
    fn validate(&self, timing: &Timing) -> Result<(), ConfigError> {
        timing.validate_tie_breaker_step(self.tie_breaker_step)
    }
}

impl Default for InvitationOptions {
    fn default() -> Self {
        InvitationOptions::DEFAULT
    }
}

/// What a group leader waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InvitationTimer {
    /// Its next round of invitations to the members outside its group (rule 5).
    NextInvitations,
    /// The end of a liveness window: the members not heard from in it leave the group
    /// (rule 3).
    LivenessWindow,
}

impl AlgorithmTimer for InvitationTimer {
    const ALL: &'static [InvitationTimer] = &[
        InvitationTimer::NextInvitations,
        InvitationTimer::LivenessWindow,
    ];
}

/// The invitation state of one node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Invitation {
    options: InvitationOptions,
    /// The other members of the group this node leads; empty while it follows.
    members: PeerSet,
    /// The nodes this node's `Accept` brings to its new leader, itself included. An ack
    /// from any other node after the merge is answered with `Join` (rule 7).
    accepted: PeerSet,
    /// The highest term taken or seen in any message; a new group takes the next one.
    highest_term: Term,
}

impl Invitation {
    /// A node that has not started yet; [`Protocol::start`] makes it lead alone.
    pub(crate) fn new(options: InvitationOptions) -> Invitation {
        Invitation {
            options,
            members: PeerSet::EMPTY,
            accepted: PeerSet::EMPTY,
            highest_term: Term(0),
        }
    }

    /// The size of the group this node leads, itself included.
    fn group_size(&self) -> usize {
        1 + self.members.len()
    }

    /// This node's tie-breaker delay δ (rule 5).
    fn tie_breaker_delay<const N: usize>(&self, cx: &Context<N>) -> Duration {
        cx.tie_breaker_delay(self.options.tie_breaker_step)
    }

    /// Whether this node follows `peer`.
    fn follows<const N: usize>(cx: &Context<N>, peer: PeerIndex) -> bool {
        cx.role() == Role::Follower && cx.leader() == Some(peer)
    }

    /// Leads a group of its own in a new term (rules 1 and 4); the first invitations go
    /// out at `first_invitations` (or at once, if that has passed).
    fn lead_alone<const N: usize>(&mut self, cx: &mut Context<N>, first_invitations: Instant) {
        self.highest_term = self.highest_term.max(cx.term()).next();
        self.members = PeerSet::EMPTY;
        self.accepted = PeerSet::EMPTY;
        cx.lead(self.highest_term);
        let _stale = cx.take_heard();
        cx.arm_at(
            InvitationTimer::NextInvitations,
            first_invitations.max(cx.now()),
        );
        let window = cx.config().timing.failure_timeout;
        cx.arm(InvitationTimer::LivenessWindow, window);
    }

    /// Follows `leader` in `term`: this node's own group, if it had one, is handed over.
    fn follow<const N: usize>(&mut self, cx: &mut Context<N>, leader: PeerIndex, term: Term) {
        self.members = PeerSet::EMPTY;
        cx.follow(leader, term);
        cx.cancel(InvitationTimer::NextInvitations);
        cx.cancel(InvitationTimer::LivenessWindow);
    }

    /// Rules 6 and 9: `from` invites this node into its group of `group_size`.
    fn on_invite<const N: usize>(
        &mut self,
        cx: &mut Context<N>,
        from: PeerIndex,
        term: Term,
        group_size: u8,
    ) {
        if Self::follows(cx, from) {
            self.follow(cx, from, term);
            cx.send(from, Kind::HeartbeatAck);
            return;
        }
        if cx.role() != Role::Leader {
            return;
        }
        self.members.remove(from);
        let theirs = (usize::from(group_size), cx.rank(from));
        let ours = (self.group_size(), cx.rank(cx.me()));
        if theirs > ours {
            let former = self.members;
            self.accepted = former;
            self.accepted.insert(cx.me());
            self.follow(cx, from, term);
            cx.send(from, Kind::Accept);
            cx.send_many(former, Kind::Join);
        } else {
            cx.send(from, Kind::Invite);
        }
    }

    /// Rule 7: `from` accepted this node's invitation and brings `members`.
    fn on_accept<const N: usize>(
        &mut self,
        cx: &mut Context<N>,
        from: PeerIndex,
        term: Term,
        members: MemberSet,
    ) {
        let Some(mut joining) = PeerSet::from_wire(members, cx.config().members().len()) else {
            return;
        };
        joining.insert(from);
        joining.remove(cx.me());
        match cx.role() {
            Role::Leader if term == cx.term() => {
                for peer in joining.iter() {
                    self.members.insert(peer);
                    cx.record_heard(peer);
                }
            }
            Role::Follower => cx.send_many(joining, Kind::Join),
            _ => {}
        }
    }

    /// Rule 8: this node's leader `from` merged into `leader`'s group.
    fn on_join<const N: usize>(
        &mut self,
        cx: &mut Context<N>,
        from: PeerIndex,
        term: Term,
        leader: NodeId,
    ) {
        if !Self::follows(cx, from) {
            return;
        }
        match cx.index_of(leader) {
            Some(leader) if leader == cx.me() => {
                let first_invitations = cx.now() + self.tie_breaker_delay(cx);
                self.lead_alone(cx, first_invitations);
            }
            Some(leader) => self.follow(cx, leader, term),
            None => {}
        }
    }

    /// Rule 5: one round of invitations to every member outside the group.
    fn invite_outsiders<const N: usize>(&mut self, cx: &mut Context<N>) {
        let members = self.members;
        let outside = cx.peers().filter(|peer| !members.contains(peer));
        cx.send_many(outside, Kind::Invite);
        // Never zero: configuration validation refuses a zero interval.
        let period = self.options.invite_interval + self.tie_breaker_delay(cx);
        cx.arm(InvitationTimer::NextInvitations, period);
    }

    /// Rule 3: members not heard from since the last sweep leave the group.
    fn sweep<const N: usize>(&mut self, cx: &mut Context<N>) {
        let heard = cx.take_heard();
        self.members = self.members.filter(|peer| heard.contains(peer));
        let window = cx.config().timing.failure_timeout;
        cx.arm(InvitationTimer::LivenessWindow, window);
    }
}

impl<const N: usize> Protocol<N> for Invitation {
    fn start(&mut self, cx: &mut Context<N>) {
        let first_invitations = cx.now() + self.tie_breaker_delay(cx);
        self.lead_alone(cx, first_invitations);
    }

    fn handle_message(&mut self, cx: &mut Context<N>, from: PeerIndex, term: Term, body: &Body) {
        self.highest_term = self.highest_term.max(term);
        match *body {
            Body::Heartbeat { .. } if Self::follows(cx, from) => {
                self.follow(cx, from, term);
                cx.send(from, Kind::HeartbeatAck);
            }
            Body::HeartbeatAck if cx.role() == Role::Leader && term == cx.term() => {
                self.members.insert(from);
            }
            Body::HeartbeatAck if cx.role() == Role::Follower && !self.accepted.contains(from) => {
                cx.send(from, Kind::Join);
            }
            Body::Invite { group_size } => self.on_invite(cx, from, term, group_size),
            Body::Accept { members } => self.on_accept(cx, from, term, members),
            Body::Join { leader } => self.on_join(cx, from, term, leader),
            _ => {}
        }
    }

    fn handle_timer(&mut self, cx: &mut Context<N>, timer: Slot) {
        if cx.role() != Role::Leader {
            return;
        }
        match timer.timer() {
            Some(InvitationTimer::NextInvitations) => self.invite_outsiders(cx),
            Some(InvitationTimer::LivenessWindow) => self.sweep(cx),
            None => {}
        }
    }

    fn handle_leader_silent(&mut self, cx: &mut Context<N>) {
        if cx.role() == Role::Leader {
            return;
        }
        let timing = cx.config().timing;
        let first_invitations = cx.leader_heard_at()
            + timing.failure_timeout
            + timing.failure_jitter
            + self.tie_breaker_delay(cx);
        self.lead_alone(cx, first_invitations);
    }

    /// The term of this node's group: its own while it leads, its leader's while it
    /// follows.
    fn message_term(&self, cx: &Context<N>, _kind: Kind) -> Term {
        cx.term()
    }

    fn body(&self, cx: &Context<N>, kind: Kind, _to: Recipient) -> Option<Body> {
        let leading = cx.role() == Role::Leader;
        let leader = cx.leader().filter(|_| cx.role() == Role::Follower);
        Some(match (kind, leader) {
            (Kind::Heartbeat, _) if leading => Body::Heartbeat {
                successors: Successors::new(),
            },
            (Kind::Invite, _) if leading => Body::Invite {
                group_size: u8::try_from(self.group_size()).unwrap_or(u8::MAX),
            },
            (Kind::HeartbeatAck, Some(_)) => Body::HeartbeatAck,
            (Kind::Accept, Some(_)) => Body::Accept {
                members: self.accepted.to_wire(),
            },
            (Kind::Join, Some(leader)) => Body::Join {
                leader: cx.id_of(leader),
            },
            _ => return None,
        })
    }
}
