//! The roster: which connections are the raffle's hosts, and which are the phones of which
//! player. It answers "who is this connection?" (the `Actor` a command comes from) and "how
//! many players have a screen open?" (presence), and nothing else: it sends nothing and knows
//! no outbox. Each change returns what the room must pass on (a presence change), so that the
//! roster never calls fan-out and fan-out never edits the roster.

use super::ConnId;
use raffler_core::raffle::{Actor, PlayerId, RemoteId};
use std::collections::{HashMap, HashSet};

#[derive(Default)]
pub struct Roster {
    hosts: HashSet<ConnId>,
    /// The host connections that are a paired remote (a phone), not the host's own screens.
    remotes: HashMap<ConnId, RemoteId>,
    phones: HashMap<ConnId, PlayerId>,
    /// Open connections per player, for "connected now". A player with none has no entry.
    connected: HashMap<PlayerId, u32>,
}

impl Roster {
    /// Who a connection is: the host if it presented the host token, a remote if it presented
    /// a remote's, else the player whose phone it is, else nobody yet.
    pub fn actor(&self, conn: ConnId) -> Actor {
        if let Some(remote) = self.remotes.get(&conn) {
            Actor::Remote(*remote)
        } else if self.hosts.contains(&conn) {
            Actor::Host
        } else if let Some(player) = self.phones.get(&conn) {
            Actor::Player(*player)
        } else {
            Actor::Guest
        }
    }

    pub fn is_host(&self, conn: ConnId) -> bool {
        self.hosts.contains(&conn)
    }

    #[cfg(test)]
    pub fn is_phone(&self, conn: ConnId) -> bool {
        self.phones.contains_key(&conn)
    }

    /// How many players have at least one connection open.
    pub fn connected(&self) -> usize {
        self.connected.len()
    }

    pub fn add_host(&mut self, conn: ConnId) {
        self.hosts.insert(conn);
    }

    /// A host connection that is remote `remote`.
    pub fn add_remote(&mut self, conn: ConnId, remote: RemoteId) {
        self.hosts.insert(conn);
        self.remotes.insert(conn, remote);
    }

    /// `true` if it was a host (or a remote).
    pub fn remove_host(&mut self, conn: ConnId) -> bool {
        self.remotes.remove(&conn);
        self.hosts.remove(&conn)
    }

    /// A remote was revoked: its connections are no host any more. Returns them (they are told).
    pub fn remove_remote(&mut self, remote: RemoteId) -> Vec<ConnId> {
        let mut conns: Vec<ConnId> =
            self.remotes.iter().filter(|(_, r)| **r == remote).map(|(c, _)| *c).collect();
        // Sorted, like `remove_player`: the same evening makes the same outputs.
        conns.sort_unstable();
        for conn in &conns {
            self.remove_host(*conn);
        }
        conns
    }

    /// Makes `conn` a phone of `player` (a connection is one player's phone at most; if it was
    /// another's, that one loses it). Presence always changes.
    pub fn add_phone(&mut self, conn: ConnId, player: PlayerId) {
        if let Some(old) = self.phones.insert(conn, player) {
            self.forget(old);
        }
        *self.connected.entry(player).or_default() += 1;
    }

    /// Forgets a phone's connection; `true` if it was one (presence changed).
    pub fn remove_phone(&mut self, conn: ConnId) -> bool {
        match self.phones.remove(&conn) {
            Some(player) => {
                self.forget(player);
                true
            }
            None => false,
        }
    }

    /// A player is out: its phones stop being its phones. Returns them (they are told why).
    pub fn remove_player(&mut self, player: PlayerId) -> Vec<ConnId> {
        let mut conns: Vec<ConnId> =
            self.phones.iter().filter(|(_, p)| **p == player).map(|(c, _)| *c).collect();
        // Sorted: the same evening always makes the same outputs (the simulation replays seeds).
        conns.sort_unstable();
        for conn in &conns {
            self.phones.remove(conn);
        }
        self.connected.remove(&player);
        conns
    }

    fn forget(&mut self, player: PlayerId) {
        if let Some(count) = self.connected.get_mut(&player) {
            *count -= 1;
            if *count == 0 {
                self.connected.remove(&player);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_is_host_player_or_guest() {
        let mut roster = Roster::default();
        roster.add_host(1);
        roster.add_phone(2, PlayerId(7));
        assert_eq!(roster.actor(1), Actor::Host);
        assert_eq!(roster.actor(2), Actor::Player(PlayerId(7)));
        assert_eq!(roster.actor(3), Actor::Guest);
    }

    #[test]
    fn presence_counts_players_not_connections() {
        let mut roster = Roster::default();
        roster.add_phone(1, PlayerId(1));
        roster.add_phone(2, PlayerId(1));
        roster.add_phone(3, PlayerId(2));
        assert_eq!(roster.connected(), 2);
        assert!(roster.remove_phone(1));
        assert_eq!(roster.connected(), 2, "player 1 still has a phone");
        assert!(roster.remove_phone(2));
        assert_eq!(roster.connected(), 1);
        assert!(!roster.remove_phone(2), "gone already");
    }

    #[test]
    fn a_connection_that_becomes_another_player_leaves_the_first() {
        let mut roster = Roster::default();
        roster.add_phone(1, PlayerId(1));
        roster.add_phone(1, PlayerId(2));
        assert_eq!(roster.actor(1), Actor::Player(PlayerId(2)));
        assert_eq!(roster.connected(), 1);
    }

    #[test]
    fn removing_a_player_returns_all_its_phones() {
        let mut roster = Roster::default();
        roster.add_phone(4, PlayerId(1));
        roster.add_phone(2, PlayerId(1));
        roster.add_phone(3, PlayerId(2));
        assert_eq!(roster.remove_player(PlayerId(1)), vec![2, 4]);
        assert_eq!(roster.actor(4), Actor::Guest);
        assert_eq!(roster.connected(), 1);
    }
}
