//! The raffle itself: a pure state machine with no I/O, no clock and no entropy of its own.
//!
//! # Loop contract
//! The owner (the server's raffle task, a test, or a browser re-running a draw) drives it so:
//! 1. [`Raffle::handle`] for each command, with the current time and who is asking. It returns
//!    the events to publish, in order, or [`Rejected`] when the command was the user's mistake.
//!    A rejected command changes nothing; a repeated one (a double click) returns no events.
//! 2. [`Raffle::poll_timeout`] says when the raffle next wants to be woken (a spinning draw's
//!    reveal; after the end, an unclaimed prize's last moment). At that time, call
//!    [`Raffle::handle_timeout`] and publish what it returns.
//!
//! # The end of a raffle
//! Ending while a draw spins reveals that draw first, so no draw is left half done. A prize
//! won before the end can still be claimed after it, for [`CLAIM_AFTER_END`] or until its
//! claim countdown runs out, whichever is later; then it is recorded as unclaimed
//! (`ClaimExpired`). So nothing waits for a claim for ever.
//!
//! Every change is an [`Event`] with a sequence number one higher than the last, applied by one
//! function; [`Raffle::replay`] applies the same events to rebuild the same raffle. The random
//! source is injected, so the same seed and commands give the same winners.
//!
//! Size: over 400 lines on purpose: the whole public API of a raffle (getters, `handle_*`,
//! `poll_*`, the beacon's verbs) sits beside the loop contract above; what is decided lives in
//! `rules.rs`, what changes in `state.rs`.

pub mod beacon;
mod command;
mod draw;
mod error;
mod event;
pub mod fairness;
mod name;
mod remote;
mod rules;
mod state;
mod time;
mod token;

pub use command::{Actor, Command};
pub use error::Rejected;
pub use event::{BeaconValue, Event, EventKind, VoidReason};
pub use name::{
    collision_key, is_invisible, normalize_name, normalize_prize_name, MAX_NAME_CHARS, MAX_PRIZE_CHARS,
};
pub use remote::{Remote, RemoteId, REMOTE_LINK_TTL};
pub use state::{Claim, Draw, Player, PlayerId, Presence, Prize, PrizeId};
pub use time::Millis;
pub use token::Token;

use draw::pick_uniformly;
use fairness::{DrawInputs, Seed};
use rand::RngCore;
use state::State;

/// What the operator chose for every raffle on this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RaffleSettings {
    /// How long the names spin before the winner is revealed; zero reveals at once.
    pub spin: Millis,
    /// The longest player name accepted, in characters.
    pub max_name_chars: usize,
    /// The most players one raffle takes, counting everyone who ever joined.
    pub max_players: usize,
    /// The most prizes one raffle takes, counting every prize ever added: removed ones, and the
    /// unnamed prize a draw without a named prize adds (each is a draw on the board for good).
    pub max_prizes: usize,
    /// The beacon's clock, when this server draws with one (a raffle can still turn it off);
    /// `None`: every draw is from the seed alone.
    pub beacon: Option<BeaconClock>,
    /// How long after its round's time a draw waits for the beacon before it is void.
    pub beacon_timeout: Millis,
    /// New raffles start with the beacon off although the server has one (no relay answered):
    /// the host can still turn it on.
    pub start_without_beacon: bool,
}

/// When the beacon's rounds come out: all a draw needs to name a round still to come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeaconClock {
    /// Unix time in seconds of round 1.
    pub genesis_time: u64,
    /// Seconds between rounds.
    pub period: u64,
}

impl BeaconClock {
    /// The round a draw starting at `now` waits for: two after the latest one out, so that a
    /// server clock a few seconds slow still never names a round anybody can know.
    pub fn round_for_draw_at(&self, now: Millis) -> u64 {
        let seconds = now.0 / 1_000;
        let latest =
            if seconds < self.genesis_time { 0 } else { (seconds - self.genesis_time) / self.period + 1 };
        latest + 2
    }

    /// When `round` comes out.
    pub fn time_of(&self, round: u64) -> Millis {
        Millis((self.genesis_time + round.saturating_sub(1) * self.period) * 1_000)
    }
}

/// How long a draw waits for its beacon round, after the round's time, by default.
pub const BEACON_TIMEOUT: Millis = Millis(30_000);

/// Room for the biggest keynote hall, with a margin; configurable per server.
pub const MAX_PLAYERS: usize = 50_000;

/// More prizes than any evening gives away, few enough that the host's board (every prize and
/// every draw, sent on each change) stays small.
pub const MAX_PRIZES: usize = 500;

impl Default for RaffleSettings {
    fn default() -> Self {
        Self {
            spin: Millis(3_000),
            max_name_chars: MAX_NAME_CHARS,
            max_players: MAX_PLAYERS,
            max_prizes: MAX_PRIZES,
            beacon: None,
            beacon_timeout: BEACON_TIMEOUT,
            start_without_beacon: false,
        }
    }
}

/// How long a winner who has not claimed yet may still claim once the raffle has ended (a
/// longer claim countdown still running at the end is kept).
pub const CLAIM_AFTER_END: Millis = Millis(10 * 60 * 1_000);

/// The number of a draw within a raffle: 1 for the first of the evening. A redraw is a new draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DrawNumber(pub u32);

/// One raffle: its players, prizes, draws and winners.
pub struct Raffle {
    settings: RaffleSettings,
    state: State,
    rng: Box<dyn RngCore + Send>,
}

impl Raffle {
    /// A new raffle with join code `code`, whose host proves itself with `host_token`. Its seed
    /// comes from `rng`, which must be a cryptographic generator seeded from the OS (tests pass
    /// a seeded one). Returns its first event.
    pub fn new(
        settings: RaffleSettings,
        now: Millis,
        code: &str,
        host_token: Token,
        mut rng: Box<dyn RngCore + Send>,
    ) -> (Self, Event) {
        let mut seed: Seed = [0; 32];
        rng.fill_bytes(&mut seed);
        let mut raffle = Self { settings, state: State::default(), rng };
        let started = EventKind::Started {
            host_token,
            code: code.to_owned(),
            seed: Some(seed),
            beacon: settings.beacon.is_some() && !settings.start_without_beacon,
        };
        let mut events = raffle.commit(now, vec![started]);
        (raffle, events.remove(0))
    }

    /// Rebuilds a raffle from all its events, first to last. The random source is only used for
    /// draws still to come.
    pub fn replay<'a>(
        settings: RaffleSettings,
        events: impl IntoIterator<Item = &'a Event>,
        rng: Box<dyn RngCore + Send>,
    ) -> Self {
        let mut state = State::default();
        for event in events {
            state.apply(event.seq, event.at, &event.kind);
        }
        Self { settings, state, rng }
    }

    /// Applies one command from `actor`. On `Err`, nothing changed.
    pub fn handle(&mut self, now: Millis, actor: Actor, command: Command) -> Result<Vec<Event>, Rejected> {
        let kinds = rules::decide(&self.state, &self.settings, now, actor, command)?;
        // Ending while the names spin: that draw is revealed first, never left half done (a draw
        // waiting for its beacon cannot be: `rules` refuses the end until it is revealed).
        let mut events = if kinds.contains(&EventKind::Ended) { self.reveal(now, None) } else { Vec::new() };
        events.extend(self.commit(now, kinds));
        // A draw with no spin is revealed by the same command.
        events.extend(self.handle_timeout(now));
        Ok(events)
    }

    /// When the raffle next wants [`Raffle::handle_timeout`] to be called.
    pub fn poll_timeout(&self) -> Option<Millis> {
        let reveal = self.state.spinning().map(|d| match d.beacon_round {
            // Woken to give up on a beacon that did not come; `wants_beacon` says when to fetch it.
            Some(round) => self.beacon_deadline(round, d.reveal_at),
            None => d.reveal_at,
        });
        let expiry = if self.state.ended {
            self.open_claims().filter_map(|d| self.claim_deadline(d)).min()
        } else {
            None
        };
        reveal.into_iter().chain(expiry).min()
    }

    /// Reveals a spinning draw whose time has come, and after the end records prizes whose
    /// time to claim ran out; returns no events otherwise.
    pub fn handle_timeout(&mut self, now: Millis) -> Vec<Event> {
        let mut events = match self.state.spinning() {
            Some(draw) => match draw.beacon_round {
                Some(round) if now >= self.beacon_deadline(round, draw.reveal_at) => {
                    let kind = EventKind::DrawVoided { draw: draw.number, reason: VoidReason::BeaconLate };
                    self.commit(now, vec![kind])
                }
                Some(_) => Vec::new(),
                None if now >= draw.reveal_at => self.reveal(now, None),
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        if self.state.ended {
            let expired: Vec<EventKind> = self
                .open_claims()
                .filter(|d| self.claim_deadline(d).is_some_and(|at| now >= at))
                .filter_map(|d| Some(EventKind::ClaimExpired { draw: d.number, player: d.winner? }))
                .collect();
            events.extend(self.commit(now, expired));
        }
        events
    }

    /// The beacon round the spinning draw waits for, and when to ask for it: at its time, and
    /// not before the spin's end.
    pub fn wants_beacon(&self) -> Option<(u64, Millis)> {
        let draw = self.state.spinning()?;
        let round = draw.beacon_round?;
        let clock = self.settings.beacon?;
        Some((round, clock.time_of(round).max(draw.reveal_at)))
    }

    /// The beacon round the spinning draw waits for has come (its signature checked by the
    /// caller): the winner is picked now. Any other round changes nothing.
    pub fn handle_beacon(&mut self, now: Millis, value: BeaconValue) -> Vec<Event> {
        match self.state.spinning() {
            Some(draw) if draw.beacon_round == Some(value.round) => self.reveal(now, Some(value)),
            _ => Vec::new(),
        }
    }

    /// The timeout runs from when the round is asked for: its time, or the spin's end if later
    /// (a long spin must not void a round that came on time).
    fn beacon_deadline(&self, round: u64, reveal_at: Millis) -> Millis {
        let due = self.settings.beacon.map_or(Millis(0), |clock| clock.time_of(round));
        due.max(reveal_at).plus(self.settings.beacon_timeout)
    }

    /// Picks the spinning draw's winner now, whatever its reveal time.
    fn reveal(&mut self, now: Millis, beacon: Option<BeaconValue>) -> Vec<Event> {
        let Some(draw) = self.state.spinning() else { return Vec::new() };
        let number = draw.number;
        // Picked at the reveal, not at the start: until now nobody could know the winner, and
        // the winner is someone who is in the raffle at this moment.
        let winner = match (&self.state.seed, &draw.entries_hash) {
            // raffler-draw/1: from published inputs, among the entries frozen at the start.
            (Some(seed), Some(entries_hash)) => {
                let still_in: Vec<bool> = draw
                    .entries
                    .iter()
                    .map(|id| self.state.player(*id).is_some_and(|p| p.presence == Presence::In))
                    .collect();
                let inputs = DrawInputs {
                    code: &self.state.code,
                    draw: number.0,
                    entries_hash,
                    randomness: beacon.as_ref().map(|b| &b.randomness),
                };
                fairness::pick(seed, &inputs, &still_in).map(|index| draw.entries[index])
            }
            // A raffle from before verifiable draws: as it always drew.
            _ => {
                let eligible = self.state.eligible(draw.prize);
                pick_uniformly(&mut *self.rng, &eligible)
            }
        };
        let kind = match winner {
            Some(winner) => EventKind::WinnerDrawn { draw: number, winner, beacon },
            None => EventKind::DrawVoided { draw: number, reason: VoidReason::NobodyLeft },
        };
        self.commit(now, vec![kind])
    }

    /// The seed, once it may be published: the raffle has ended and no draw spins.
    pub fn revealed_seed(&self) -> Option<Seed> {
        self.state.seed.filter(|_| self.state.ended && self.state.spinning().is_none())
    }

    /// The commitment to the seed, shown from the start; `None` for a raffle from before.
    pub fn commitment(&self) -> Option<fairness::Hash> {
        self.state.commitment
    }

    /// Whether new draws wait for the beacon.
    pub fn beacon_on(&self) -> bool {
        self.state.beacon_on
    }

    /// Revealed draws whose winner has neither claimed nor been skipped.
    fn open_claims(&self) -> impl Iterator<Item = &Draw> {
        self.state.draws.iter().filter(|d| d.winner.is_some() && d.claim == Claim::Open)
    }

    /// When the winner of `draw` runs out of time to claim: the countdown's end (if the host set
    /// one), and after the raffle's end at least [`CLAIM_AFTER_END`] after it. `None` while no
    /// deadline applies, or when the claim is settled.
    pub fn claim_deadline(&self, draw: &Draw) -> Option<Millis> {
        if draw.claim != Claim::Open {
            return None;
        }
        let revealed = draw.revealed_at?;
        let seconds = self.state.claim_seconds;
        let countdown = (seconds > 0).then(|| revealed.plus(Millis(u64::from(seconds) * 1_000)));
        match self.state.ended_at {
            Some(ended) => {
                Some(countdown.map_or(ended.plus(CLAIM_AFTER_END), |c| c.max(ended.plus(CLAIM_AFTER_END))))
            }
            None => countdown,
        }
    }

    /// The player a phone's join id made, if they are in, with their token: the answer to a
    /// join asked again.
    pub fn joined_with(&self, join_id: &str) -> Option<(PlayerId, &Token)> {
        let player = self.state.joined_with(join_id).filter(|p| p.presence == Presence::In)?;
        Some((player.id, player.token.as_ref()?))
    }

    /// When the host ended the raffle.
    pub fn ended_at(&self) -> Option<Millis> {
        self.state.ended_at
    }

    /// Who a token belongs to: the host, a remote that is not revoked, a player who is in, or
    /// nobody.
    pub fn identify(&self, token: &Token) -> Option<Actor> {
        if self.state.host_token.as_ref() == Some(token) {
            return Some(Actor::Host);
        }
        if let Some(remote) = self.state.remotes.iter().find(|r| !r.revoked && r.token == *token) {
            return Some(Actor::Remote(remote.id));
        }
        self.state.tokens.get(token).map(|id| Actor::Player(*id))
    }

    /// The link that pairs a remote, with when it stops working, if one is open at `now`.
    pub fn remote_link(&self, now: Millis) -> Option<(&Token, Millis)> {
        let open = self.state.remote_link.as_ref().filter(|open| now < open.expires_at)?;
        Some((&open.link, open.expires_at))
    }

    /// The remote (still on) that a phone's pairing id made, with its token: the answer to a
    /// pairing asked again.
    pub fn paired_with(&self, pair_id: &str) -> Option<(RemoteId, &Token)> {
        remote::paired_with(&self.state, pair_id).map(|r| (r.id, &r.token))
    }

    /// Every remote ever paired, revoked ones included, in pairing order.
    pub fn remotes(&self) -> &[Remote] {
        &self.state.remotes
    }

    pub fn settings(&self) -> RaffleSettings {
        self.settings
    }

    /// The sequence number of the last event.
    pub fn last_seq(&self) -> u64 {
        self.state.last_seq
    }

    /// Everyone who ever joined, in joining order, including those who left or were removed.
    pub fn players(&self) -> &[Player] {
        &self.state.players
    }

    pub fn player(&self, id: PlayerId) -> Option<&Player> {
        self.state.player(id)
    }

    /// How many players are in now.
    pub fn players_in(&self) -> usize {
        self.state.names.len()
    }

    pub fn prizes(&self) -> &[Prize] {
        &self.state.prizes
    }

    pub fn prize(&self, id: PrizeId) -> Option<&Prize> {
        self.state.prize(id)
    }

    /// Every draw so far, redraws included, in order.
    pub fn draws(&self) -> &[Draw] {
        &self.state.draws
    }

    pub fn draw(&self, number: DrawNumber) -> Option<&Draw> {
        self.state.draw(number)
    }

    pub fn next_draw(&self) -> DrawNumber {
        self.state.next_draw()
    }

    pub fn spinning(&self) -> Option<&Draw> {
        self.state.spinning()
    }

    /// Who could win `prize` if it were drawn now.
    pub fn eligible(&self, prize: PrizeId) -> Vec<PlayerId> {
        self.state.eligible(prize)
    }

    pub fn joining_open(&self) -> bool {
        self.state.joining_open
    }

    pub fn repeat_winners(&self) -> bool {
        self.state.repeat_winners
    }

    pub fn claim_seconds(&self) -> u32 {
        self.state.claim_seconds
    }

    pub fn has_ended(&self) -> bool {
        self.state.ended
    }

    /// Whether two raffles are in the same state (the random source aside).
    pub fn same_state_as(&self, other: &Raffle) -> bool {
        self.state == other.state
    }

    fn commit(&mut self, now: Millis, kinds: Vec<EventKind>) -> Vec<Event> {
        kinds
            .into_iter()
            .map(|kind| {
                let event = Event { seq: self.state.last_seq + 1, at: now, kind };
                self.state.apply(event.seq, event.at, &event.kind);
                event
            })
            .collect()
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
