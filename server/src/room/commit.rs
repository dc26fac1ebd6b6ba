//! Staging and commit. A request is run through the raffle at once ("staged": its events exist
//! in memory, nobody has been told); once the store says they are on disk, everyone concerned
//! is told ("delivered"). If the write fails, the raffle is rebuilt from the log, which holds
//! only what is on disk, and every asker (and the hosts) hears that nothing changed. So nothing
//! is ever announced that a restart would take back.

use super::scene;
use super::{Audience, ConnId, Output, Room, RETRY_AFTER};
use crate::store::StoreError;
use crate::views;
use raffler_core::raffle::{Command, Event, EventKind, Millis, PlayerId, Raffle, Rejected, RemoteId, Token};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// A request run through the raffle whose events are not on disk yet.
pub enum Staged {
    /// A new raffle's first event; its host hears the code and token once it is saved.
    Started {
        conn: ConnId,
        token: Token,
        events: Vec<Event>,
    },
    /// `again`: the join id was seen before; `events` is empty and the phone gets its player
    /// back with everything it may have missed.
    Joined {
        conn: ConnId,
        player: PlayerId,
        token: Token,
        events: Vec<Event>,
        again: bool,
    },
    /// A phone became a remote; it hears its token once that is on disk.
    Paired {
        conn: ConnId,
        remote: RemoteId,
        token: Token,
        events: Vec<Event>,
    },
    /// `repeated`: the same draw asked again; the first result (the board) is the answer.
    Changed {
        conn: ConnId,
        events: Vec<Event>,
        repeated: bool,
    },
    /// `answer`: a join, whose session waits to hear that it did not get in.
    Refused {
        conn: ConnId,
        why: Rejected,
        answer: bool,
    },
    Revealed {
        events: Vec<Event>,
    },
    Closed {
        events: Vec<Event>,
    },
}

impl Staged {
    pub fn events(&self) -> &[Event] {
        match self {
            Staged::Started { events, .. }
            | Staged::Joined { events, .. }
            | Staged::Paired { events, .. }
            | Staged::Changed { events, .. }
            | Staged::Revealed { events }
            | Staged::Closed { events } => events,
            Staged::Refused { .. } => &[],
        }
    }
}

impl Room {
    pub(super) fn stage_join(
        &mut self,
        now: Millis,
        conn: ConnId,
        name: String,
        join_id: Option<String>,
        token: Token,
    ) -> Staged {
        let command = Command::Join { name, token: token.clone(), join_id: join_id.clone() };
        match self.raffle.handle(now, self.roster.actor(conn), command) {
            Ok(events) => match events.first().map(|e| &e.kind) {
                Some(EventKind::PlayerJoined { player, .. }) => {
                    Staged::Joined { conn, player: *player, token, events, again: false }
                }
                // The same join asked again: the player it made, with the token it was given.
                _ => {
                    let (player, token) = join_id
                        .as_deref()
                        .and_then(|id| self.raffle.joined_with(id))
                        .expect("a join that makes no event names a player who is in");
                    Staged::Joined { conn, player, token: token.clone(), events, again: true }
                }
            },
            Err(why) => Staged::Refused { conn, why, answer: true },
        }
    }

    pub(super) fn stage_pair(
        &mut self,
        now: Millis,
        conn: ConnId,
        link: Token,
        token: Token,
        pair_id: Option<String>,
    ) -> Staged {
        let command = Command::PairRemote { link, token: token.clone(), pair_id: pair_id.clone() };
        match self.raffle.handle(now, self.roster.actor(conn), command) {
            Ok(events) => match events.first().map(|e| &e.kind) {
                Some(EventKind::RemotePaired { remote, .. }) => {
                    Staged::Paired { conn, remote: *remote, token, events }
                }
                // The same pairing asked again (its answer was lost): the remote it made.
                _ => {
                    let (remote, token) = pair_id
                        .as_deref()
                        .and_then(|id| self.raffle.paired_with(id))
                        .expect("a pairing that makes no event names a remote that is on");
                    Staged::Paired { conn, remote, token: token.clone(), events }
                }
            },
            Err(why) => Staged::Refused { conn, why, answer: true },
        }
    }

    pub(super) fn stage_command(&mut self, now: Millis, conn: ConnId, command: Command) -> Staged {
        let repeatable = matches!(command, Command::Draw { .. } | Command::Redraw { .. });
        match self.raffle.handle(now, self.roster.actor(conn), command) {
            Ok(events) => Staged::Changed { conn, repeated: events.is_empty() && repeatable, events },
            Err(why) => Staged::Refused { conn, why, answer: false },
        }
    }

    /// The staged request's events are on disk: tell everyone concerned.
    pub(super) fn deliver(&mut self, now: Millis, staged: Staged) {
        match staged {
            Staged::Started { conn, token, events } => {
                tracing::info!(code = self.code, "raffle started");
                self.log.extend(events);
                self.fanout.tell(conn, views::raffle_started(&self.code, &token));
                self.attach_host(now, conn);
            }
            Staged::Joined { conn, player, token, events, again: false } => {
                // The seq it joined at: an overdue reveal committed with the join comes after it,
                // and the phone (which may have won it) hears it like everyone else.
                let seq = events.first().map_or(self.raffle.last_seq(), |e| e.seq);
                self.fanout.tell(conn, views::joined(&self.raffle, &self.code, player, &token, seq));
                self.attach_phone(now, conn, player);
                self.publish(now, events);
                self.fanout.push(Output::Entered { conn, ok: true });
            }
            Staged::Joined { conn, player, token, events, again: true } => {
                // As of what has been delivered so far: the raffle may be ahead, with what the
                // rest of this write will broadcast.
                let seq = self.log.len() as u64;
                self.fanout.tell(conn, views::joined(&self.raffle, &self.code, player, &token, seq));
                // Draws may have happened since the first answer was lost: the whole picture,
                // once everything written with it is delivered, so that the phone is told each
                // result once (in the snapshot), not again by a broadcast (found by the
                // simulation: a join asked again while a reveal was overdue).
                self.publish(now, events);
                self.rejoined.push((conn, player));
            }
            Staged::Paired { conn, remote, token, events } => {
                tracing::info!(code = self.code, remote = remote.0, "remote paired");
                self.fanout.tell(conn, views::remote_paired(&self.code, remote, &token));
                self.publish(now, events);
                self.attach_remote(now, conn, remote);
                self.fanout.push(Output::Entered { conn, ok: true });
            }
            Staged::Changed { conn, repeated: true, .. } => {
                self.fanout.tell(conn, views::board_msg(&self.raffle, &self.code, now))
            }
            Staged::Changed { conn, events, .. } => {
                let opened = events.iter().any(|e| matches!(e.kind, EventKind::RemoteLinkOpened { .. }));
                self.publish(now, events);
                // The link goes to the screen that asked, alone: not in the hosts' board, which
                // remotes and the stage get too.
                if let Some(msg) = opened
                    .then(|| views::remote_link(&self.raffle, &self.code, &self.join_url, now))
                    .flatten()
                {
                    self.fanout.tell(conn, msg);
                }
            }
            Staged::Revealed { events } | Staged::Closed { events } => self.publish(now, events),
            Staged::Refused { conn, why, answer } => {
                self.fanout.tell(conn, views::rejected(&why));
                if answer {
                    self.fanout.push(Output::Entered { conn, ok: false });
                }
            }
        }
    }

    /// The staged events could not be saved: back to the raffle as it is on disk, and everyone
    /// who asked (and the hosts, whoever asked) hears that nothing changed.
    pub(super) fn take_back(&mut self, now: Millis, staged: Vec<Staged>, err: &StoreError) {
        if let Some(Staged::Started { conn, .. }) = staged.first() {
            tracing::error!(code = self.code, %err, "could not save a new raffle");
            self.fanout.tell(*conn, views::not_started(err));
            self.closed = true;
            self.fanout.push(Output::Closed);
            return;
        }
        tracing::error!(code = self.code, %err, "could not save a raffle's events; nothing was announced");
        let rng = Box::new(StdRng::from_rng(&mut self.rng));
        self.raffle = Raffle::replay(self.raffle.settings(), &self.log, rng);
        self.retry_at = Some(now.plus(RETRY_AFTER));
        // An idle close whose end was not saved is tried again later.
        self.closing = false;
        let msg = views::not_saved(err);
        for s in staged {
            match s {
                Staged::Joined { conn, .. } | Staged::Paired { conn, .. } => {
                    self.fanout.tell(conn, msg.clone());
                    self.fanout.push(Output::Entered { conn, ok: false });
                }
                Staged::Changed { conn, .. } if !self.roster.is_host(conn) => {
                    self.fanout.tell(conn, msg.clone())
                }
                Staged::Refused { conn, why, answer } => {
                    self.fanout.tell(conn, views::rejected(&why));
                    if answer {
                        self.fanout.push(Output::Entered { conn, ok: false });
                    }
                }
                Staged::Started { .. }
                | Staged::Changed { .. }
                | Staged::Revealed { .. }
                | Staged::Closed { .. } => {}
            }
        }
        self.fanout.send(Audience::Hosts, msg);
    }

    /// Committed events: into the log, and out to whoever sees them.
    fn publish(&mut self, now: Millis, events: Vec<Event>) {
        let mut board_changed = false;
        for event in events {
            board_changed |= views::changes_board(&event);
            match &event.kind {
                EventKind::PlayerJoined { player, .. }
                | EventKind::PlayerReadmitted { player }
                | EventKind::WalkInAdded { player, .. } => {
                    let view = views::player_view(self.raffle.player(*player).expect("joined players exist"));
                    self.fanout.player_joined(view, now);
                    if matches!(event.kind, EventKind::PlayerJoined { .. }) {
                        self.fanout.push(Output::PlayerJoined);
                    }
                }
                EventKind::DrawStarted { draw, .. } => {
                    tracing::info!(code = self.code, draw = draw.0, "draw started")
                }
                EventKind::WinnerDrawn { draw, winner, .. } => {
                    tracing::info!(code = self.code, draw = draw.0, winner = winner.0, "winner drawn")
                }
                EventKind::Ended => {
                    self.fanout.push(Output::Ended);
                    tracing::info!(code = self.code, "raffle ended")
                }
                _ => {}
            }
            if let Some((player, msg)) = views::farewell(&event) {
                self.farewell(now, player, msg);
            }
            if let Some((remote, msg)) = views::remote_farewell(&event) {
                self.revoke_remote(remote, msg);
            }
            if let Some(msg) = views::public_message(&self.raffle, &event, now) {
                let scene = scene(&self.raffle, &self.code, &self.roster, now);
                self.fanout.broadcast(&scene, msg);
            }
            self.log.push(event);
        }
        if board_changed {
            let scene = scene(&self.raffle, &self.code, &self.roster, now);
            self.fanout.board_changed(&scene);
        }
    }
}
