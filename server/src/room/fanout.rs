//! Fan-out: the room's outputs, in the order they must be performed, and the hosts' feed.
//!
//! Every message goes out once, to an [`Audience`] (everyone, the hosts, some connections), never
//! as one entry per connection: the driver serializes it once and hands every connection the
//! same bytes. What the hosts learn of the players is coalesced: 1,000 joins a second reach
//! them as 10 messages, and a host sending commands as fast as it can gets 10 boards a second,
//! not one board (prizes and draws, rebuilt and serialized) per command.
//!
//! Fan-out never looks at the roster: the caller passes the number of players connected, and
//! a connection that cannot keep up is reported back to the room by the driver
//! (`Room::handle_unreachable`), not dropped from here.

use super::{Audience, ConnId, Output, Role};
use crate::views;
use raffler_core::protocol::{PlayerView, ServerMsg};
use raffler_core::raffle::{Millis, Raffle};
use std::collections::VecDeque;

/// The host's list of names and its board are updated at most this often.
pub const HOST_BATCH: Millis = Millis(100);

#[derive(Default)]
pub struct Fanout {
    queue: VecDeque<Output>,
    feed: HostFeed,
    /// When the hosts last got a board: the next one waits until `HOST_BATCH` after it.
    board_sent_at: Option<Millis>,
}

/// Changes for the hosts not sent yet.
#[derive(Default)]
struct HostFeed {
    joined: Vec<PlayerView>,
    gone: Vec<u32>,
    presence: bool,
    /// The board changed since the hosts last got it.
    board: bool,
    flush_at: Option<Millis>,
}

/// What the hosts' messages are built from, at the moment they are built.
pub struct Scene<'a> {
    pub raffle: &'a Raffle,
    pub code: &'a str,
    pub connected: usize,
    pub now: Millis,
}

impl Fanout {
    pub fn push(&mut self, output: Output) {
        self.queue.push_back(output);
    }

    pub fn send(&mut self, to: Audience, msg: ServerMsg) {
        self.push(Output::Send { to, msg });
    }

    pub fn tell(&mut self, conn: ConnId, msg: ServerMsg) {
        self.send(Audience::Conn(conn), msg);
    }

    pub fn poll(&mut self) -> Option<Output> {
        self.queue.pop_front()
    }

    /// When the hosts' pending changes are due, if any are pending.
    pub fn flush_at(&self) -> Option<Millis> {
        self.feed.flush_at
    }

    pub fn player_joined(&mut self, view: PlayerView, now: Millis) {
        self.feed.joined.push(view);
        self.presence_changed(now);
    }

    pub fn player_gone(&mut self, player: u32, now: Millis) {
        self.feed.gone.push(player);
        self.presence_changed(now);
    }

    /// The number of players connected changed: the hosts learn it with the next batch.
    pub fn presence_changed(&mut self, now: Millis) {
        self.feed.presence = true;
        self.feed.flush_at.get_or_insert(now.plus(HOST_BATCH));
    }

    /// Serialized once by the driver; every screen gets the same bytes. The hosts' pending list
    /// goes first, so that a host never learns of a winner before it learns the winner joined.
    pub fn broadcast(&mut self, scene: &Scene, msg: ServerMsg) {
        self.flush_hosts(scene);
        self.send(Audience::Everyone, msg);
    }

    /// The hosts get the new board now if their last one is `HOST_BATCH` old, or else when it
    /// is: a single change shows at once, a flood of them ten times a second. The board is
    /// built when it is sent, so it is always the latest.
    pub fn board_changed(&mut self, scene: &Scene) {
        self.feed.board = true;
        match self.board_sent_at.map(|at| at.plus(HOST_BATCH)).filter(|due| *due > scene.now) {
            Some(due) => self.feed.flush_at = Some(self.feed.flush_at.map_or(due, |at| at.min(due))),
            None => self.flush_hosts(scene),
        }
    }

    /// Sends the hosts what changed; the board only if its turn has come (else it stays
    /// pending, due `HOST_BATCH` after the last one), after the player list, so that a host
    /// never sees a winner it has not seen join.
    pub fn flush_hosts(&mut self, scene: &Scene) {
        let now = scene.now;
        let board_not_before = self.board_sent_at.map(|at| at.plus(HOST_BATCH)).filter(|due| *due > now);
        let mut feed = std::mem::take(&mut self.feed);
        if let (true, Some(due)) = (feed.board, board_not_before) {
            feed.board = false;
            self.feed.board = true;
            self.feed.flush_at = Some(due);
        }
        let connected = feed.presence.then_some(scene.connected);
        for msg in views::host_updates(scene.raffle, feed.joined, feed.gone, connected) {
            self.send(Audience::Hosts, msg);
        }
        if feed.board {
            self.send(Audience::Hosts, views::board_msg(scene.raffle, scene.code, now));
            self.board_sent_at = Some(now);
        }
    }

    /// From here on, broadcasts to `role` reach `conn`.
    pub fn admit(&mut self, conn: ConnId, role: Role) {
        self.push(Output::Admit { conn, role });
    }

    /// From here on, broadcasts to `role` no longer reach `conn`.
    pub fn release(&mut self, conn: ConnId, role: Role) {
        self.push(Output::Release { conn, role });
    }
}
