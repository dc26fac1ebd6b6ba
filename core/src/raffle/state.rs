//! The raffle's state, changed only by [`State::apply`]: one event at a time, the same way live
//! and on replay.

use super::fairness::{self, Hash, Seed};
use super::name::collision_key;
use super::remote::{OpenLink, Remote};
use super::{BeaconValue, DrawNumber, EventKind, Millis, Token, VoidReason};
use std::collections::HashMap;

/// A player's number within its raffle, given in joining order from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlayerId(pub u32);

/// A prize's number within its raffle, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PrizeId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    In,
    Left,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Player {
    pub id: PlayerId,
    pub name: String,
    pub presence: Presence,
    /// `None` for a walk-in, whom the host entered: no screen holds a token for them.
    pub(super) token: Option<Token>,
    /// The host hid this name from the stage (the projector); it is still in the raffle.
    pub hidden: bool,
}

impl Player {
    /// Entered by the host rather than joined from a phone.
    pub fn walk_in(&self) -> bool {
        self.token.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prize {
    pub id: PrizeId,
    /// `None` for the prize of a draw started without naming one.
    pub name: Option<String>,
    pub removed: bool,
    /// Winners who did not claim it: never drawn for this prize again.
    pub skipped: Vec<PlayerId>,
    /// Every draw made for it, first to last.
    pub draws: Vec<DrawNumber>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Waiting for the winner to say "I'm here".
    Open,
    Claimed {
        at: Millis,
    },
    Skipped {
        at: Millis,
    },
    /// The raffle ended and the winner did not claim in the time left after the end.
    Expired {
        at: Millis,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draw {
    pub number: DrawNumber,
    pub prize: PrizeId,
    pub started_at: Millis,
    pub reveal_at: Millis,
    /// `None` while spinning, and for a void draw.
    pub winner: Option<PlayerId>,
    pub revealed_at: Option<Millis>,
    pub void: bool,
    pub claim: Claim,
    pub redraw_of: Option<DrawNumber>,
    /// Who could win, frozen when the draw started, by ascending id.
    pub entries: Vec<PlayerId>,
    /// Their hash (`fairness::entries_hash`); `None` in a raffle without a seed.
    pub entries_hash: Option<Hash>,
    /// The beacon round the draw waits for; `None` for a draw from the seed alone.
    pub beacon_round: Option<u64>,
    /// The round's value, once it came.
    pub beacon: Option<BeaconValue>,
    /// Entries no longer in at the reveal, passed over by the pick.
    pub withdrawn: Vec<PlayerId>,
    pub void_reason: Option<VoidReason>,
}

impl Draw {
    pub fn is_spinning(&self) -> bool {
        self.revealed_at.is_none() && !self.void
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct State {
    pub host_token: Option<Token>,
    /// The join code: part of every draw's inputs.
    pub code: String,
    /// Keys every draw; published once the raffle has ended. `None`: not verifiable.
    pub seed: Option<Seed>,
    /// The seed's SHA-256, shown from the start; kept because every join's answer carries it.
    pub commitment: Option<Hash>,
    /// Whether new draws wait for the beacon.
    pub beacon_on: bool,
    pub players: Vec<Player>,
    /// Collision key -> player index, for players who are in. O(1) joins at 18,000 players.
    pub names: HashMap<String, usize>,
    pub tokens: HashMap<Token, PlayerId>,
    /// The phone-made id of each join, to answer a repeated join with the same player.
    pub join_ids: HashMap<String, PlayerId>,
    pub prizes: Vec<Prize>,
    pub draws: Vec<Draw>,
    pub joining_open: bool,
    pub repeat_winners: bool,
    pub claim_seconds: u32,
    pub ended: bool,
    pub ended_at: Option<Millis>,
    pub last_seq: u64,
    /// The link that pairs the next remote, while one is open.
    pub remote_link: Option<OpenLink>,
    pub remotes: Vec<Remote>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            host_token: None,
            code: String::new(),
            seed: None,
            commitment: None,
            beacon_on: false,
            players: Vec::new(),
            names: HashMap::new(),
            tokens: HashMap::new(),
            join_ids: HashMap::new(),
            prizes: Vec::new(),
            draws: Vec::new(),
            joining_open: true,
            repeat_winners: false,
            claim_seconds: 0,
            ended: false,
            ended_at: None,
            last_seq: 0,
            remote_link: None,
            remotes: Vec::new(),
        }
    }
}

impl State {
    pub fn player(&self, id: PlayerId) -> Option<&Player> {
        // Ids are handed out in order from 1 and players are never deleted: the id is the index.
        self.players.get((id.0 as usize).checked_sub(1)?)
    }

    pub fn prize(&self, id: PrizeId) -> Option<&Prize> {
        self.prizes.get((id.0 as usize).checked_sub(1)?)
    }

    pub fn draw(&self, number: DrawNumber) -> Option<&Draw> {
        self.draws.get((number.0 as usize).checked_sub(1)?)
    }

    pub fn spinning(&self) -> Option<&Draw> {
        self.draws.last().filter(|d| d.is_spinning())
    }

    pub fn next_draw(&self) -> DrawNumber {
        DrawNumber(self.draws.len() as u32 + 1)
    }

    /// The entries of `draw` who are no longer in.
    pub fn withdrawn(&self, draw: DrawNumber) -> Vec<PlayerId> {
        let entries = self.draw(draw).map(|d| d.entries.as_slice()).unwrap_or_default();
        entries
            .iter()
            .copied()
            .filter(|id| self.player(*id).is_none_or(|p| p.presence != Presence::In))
            .collect()
    }

    /// The player a join id names, whatever became of them.
    pub fn joined_with(&self, join_id: &str) -> Option<&Player> {
        self.player(*self.join_ids.get(join_id)?)
    }

    /// Who holds a prize: the winner of every draw not skipped (once per prize they hold).
    fn prize_holders(&self) -> impl Iterator<Item = PlayerId> + '_ {
        self.draws.iter().filter(|d| !matches!(d.claim, Claim::Skipped { .. })).filter_map(|d| d.winner)
    }

    /// Whether the prize has a winner who has not been skipped (or is being drawn now).
    pub fn prize_is_taken(&self, prize: &Prize) -> bool {
        prize
            .draws
            .iter()
            .filter_map(|n| self.draw(*n))
            .any(|d| !d.void && (d.is_spinning() || !matches!(d.claim, Claim::Skipped { .. })))
    }

    /// Who may win `prize` now: players who are in, not skipped for it, and, unless repeat
    /// winners are allowed, holding no prize yet.
    pub fn eligible(&self, prize: PrizeId) -> Vec<PlayerId> {
        let skipped = self.prize(prize).map(|p| p.skipped.as_slice()).unwrap_or_default();
        // The prize holders gathered once and searched, rather than every draw scanned for
        // every player: at 18,000 players and 40 draws that scan was 720,000 checks before a
        // draw could start (callgrind, docs/bench/draw-instructions-*.txt).
        let mut holders: Vec<PlayerId> =
            if self.repeat_winners { Vec::new() } else { self.prize_holders().collect() };
        holders.sort_unstable();
        self.players
            .iter()
            .filter(|p| p.presence == Presence::In)
            .filter(|p| !skipped.contains(&p.id))
            .filter(|p| holders.binary_search(&p.id).is_err())
            .map(|p| p.id)
            .collect()
    }

    pub fn apply(&mut self, seq: u64, at: Millis, kind: &EventKind) {
        assert_eq!(seq, self.last_seq + 1, "events are applied in order, without gaps");
        self.last_seq = seq;
        match kind {
            EventKind::Started { host_token, code, seed, beacon } => {
                self.host_token = Some(host_token.clone());
                self.code = code.clone();
                self.seed = *seed;
                self.commitment = seed.as_ref().map(fairness::commitment);
                self.beacon_on = *beacon;
            }
            EventKind::BeaconChanged { on } => self.beacon_on = *on,
            EventKind::PlayerJoined { player, name, token, join_id } => {
                self.names.insert(collision_key(name), self.players.len());
                self.tokens.insert(token.clone(), *player);
                if let Some(join_id) = join_id {
                    self.join_ids.insert(join_id.clone(), *player);
                }
                self.players.push(Player {
                    id: *player,
                    name: name.clone(),
                    presence: Presence::In,
                    token: Some(token.clone()),
                    hidden: false,
                });
            }
            EventKind::WalkInAdded { player, name } => {
                self.names.insert(collision_key(name), self.players.len());
                self.players.push(Player {
                    id: *player,
                    name: name.clone(),
                    presence: Presence::In,
                    token: None,
                    hidden: false,
                });
            }
            EventKind::PlayerLeft { player } => self.set_presence(*player, Presence::Left),
            EventKind::PlayerRemoved { player } => self.set_presence(*player, Presence::Removed),
            EventKind::PlayerReadmitted { player } => {
                let index = player.0 as usize - 1;
                let p = &mut self.players[index];
                p.presence = Presence::In;
                self.names.insert(collision_key(&p.name), index);
                if let Some(token) = &p.token {
                    self.tokens.insert(token.clone(), *player);
                }
            }
            EventKind::PrizeAdded { prize, name } => self.prizes.push(Prize {
                id: *prize,
                name: name.clone(),
                removed: false,
                skipped: Vec::new(),
                draws: Vec::new(),
            }),
            EventKind::PrizeRenamed { prize, name } => self.prize_mut(*prize).name = Some(name.clone()),
            EventKind::PrizeRemoved { prize } => self.prize_mut(*prize).removed = true,
            EventKind::JoiningChanged { open } => self.joining_open = *open,
            EventKind::RepeatWinnersChanged { allowed } => self.repeat_winners = *allowed,
            EventKind::ClaimSecondsChanged { seconds } => self.claim_seconds = *seconds,
            EventKind::DrawStarted { draw, prize, reveal_at, redraw_of, entries_hash, beacon_round } => {
                // Frozen now, from the state as it is: the same on replay.
                let entries = self.eligible(*prize);
                self.prize_mut(*prize).draws.push(*draw);
                self.draws.push(Draw {
                    number: *draw,
                    prize: *prize,
                    started_at: at,
                    reveal_at: *reveal_at,
                    winner: None,
                    revealed_at: None,
                    void: false,
                    claim: Claim::Open,
                    redraw_of: *redraw_of,
                    entries,
                    entries_hash: *entries_hash,
                    beacon_round: *beacon_round,
                    beacon: None,
                    withdrawn: Vec::new(),
                    void_reason: None,
                });
            }
            EventKind::WinnerDrawn { draw, winner, beacon } => {
                let withdrawn = self.withdrawn(*draw);
                let draw = self.draw_mut(*draw);
                draw.winner = Some(*winner);
                draw.revealed_at = Some(at);
                draw.beacon = beacon.clone();
                draw.withdrawn = withdrawn;
            }
            EventKind::DrawVoided { draw, reason } => {
                let withdrawn = self.withdrawn(*draw);
                let draw = self.draw_mut(*draw);
                draw.void = true;
                draw.void_reason = Some(*reason);
                draw.withdrawn = withdrawn;
            }
            EventKind::PrizeClaimed { draw, .. } => self.draw_mut(*draw).claim = Claim::Claimed { at },
            EventKind::WinnerSkipped { draw, player } => {
                let draw = self.draw_mut(*draw);
                draw.claim = Claim::Skipped { at };
                let prize = draw.prize;
                self.prize_mut(prize).skipped.push(*player);
            }
            EventKind::ClaimExpired { draw, .. } => self.draw_mut(*draw).claim = Claim::Expired { at },
            EventKind::Ended => {
                self.ended = true;
                self.ended_at = Some(at);
            }
            EventKind::NameHidden { player, hidden } => {
                if let Some(p) = player.0.checked_sub(1).and_then(|i| self.players.get_mut(i as usize)) {
                    p.hidden = *hidden;
                }
            }
            EventKind::RemoteLinkOpened { link, expires_at } => {
                self.remote_link = Some(OpenLink { link: link.clone(), expires_at: *expires_at });
            }
            EventKind::RemotePaired { remote, token, pair_id } => {
                self.remote_link = None;
                self.remotes.push(Remote {
                    id: *remote,
                    token: token.clone(),
                    paired_at: at,
                    revoked: false,
                    pair_id: pair_id.clone(),
                });
            }
            EventKind::RemoteRevoked { remote } => {
                if let Some(r) = self.remotes.iter_mut().find(|r| r.id == *remote) {
                    r.revoked = true;
                }
            }
        }
    }

    fn set_presence(&mut self, id: PlayerId, presence: Presence) {
        let index = id.0 as usize - 1;
        let player = &mut self.players[index];
        player.presence = presence;
        // The name is free again for someone new; the token no longer works.
        self.names.remove(&collision_key(&player.name));
        if let Some(token) = &player.token {
            self.tokens.remove(token);
        }
    }

    fn prize_mut(&mut self, id: PrizeId) -> &mut Prize {
        &mut self.prizes[id.0 as usize - 1]
    }

    fn draw_mut(&mut self, number: DrawNumber) -> &mut Draw {
        &mut self.draws[number.0 as usize - 1]
    }
}
