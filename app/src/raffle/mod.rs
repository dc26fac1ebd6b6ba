//! The raffle itself: a pure state machine with no I/O, no clock and no entropy of its own.
//!
//! # Loop contract
//! The owner (the server's raffle task, a test, or a browser re-running a draw) drives it so:
//! 1. [`Raffle::handle`] for each command, passing the current time. It returns the events to
//!    publish, in order, or [`Rejected`] when the command was the user's mistake. A rejected
//!    command changes nothing.
//! 2. [`Raffle::poll_timeout`] says when the raffle next wants to be woken (a spinning draw's
//!    reveal). At that time, call [`Raffle::handle_timeout`] and publish what it returns.
//!
//! The random source is injected at construction, so the same seed and the same commands give
//! the same winners: in tests, in audits, and on any machine.

mod command;
mod draw;
mod error;
mod event;
mod name;
mod roster;
mod time;

pub use command::Command;
pub use error::Rejected;
pub use event::Event;
pub use name::{normalize_name, MAX_NAME_CHARS};
pub use roster::{Player, PlayerId};
pub use time::Millis;

use draw::{pick_uniformly, PendingDraw};
use rand::RngCore;
use roster::Roster;

/// What the host (or the operator) chose for this raffle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// How long the names spin before the winner is revealed; zero reveals at once.
    pub spin: Millis,
    /// The longest name accepted, in characters.
    pub max_name_chars: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            spin: Millis(3_000),
            max_name_chars: MAX_NAME_CHARS,
        }
    }
}

/// The number of a draw within a raffle: 1 for the first prize of the evening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DrawNumber(pub u32);

/// One raffle: its players, its draws and its winners.
pub struct Raffle {
    settings: Settings,
    roster: Roster,
    /// Winners in draw order; `winners[i]` won draw `i + 1`.
    winners: Vec<Player>,
    pending: Option<PendingDraw>,
    rng: Box<dyn RngCore + Send>,
}

impl Raffle {
    pub fn new(settings: Settings, rng: Box<dyn RngCore + Send>) -> Self {
        Self {
            settings,
            roster: Roster::default(),
            winners: Vec::new(),
            pending: None,
            rng,
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// Everyone who has joined, in joining order.
    pub fn players(&self) -> &[Player] {
        self.roster.players()
    }

    pub fn player(&self, id: PlayerId) -> Option<&Player> {
        self.roster.get(id)
    }

    /// Winners in draw order.
    pub fn winners(&self) -> &[Player] {
        &self.winners
    }

    /// The draw that is spinning now, if any.
    pub fn spinning(&self) -> Option<DrawNumber> {
        self.pending.map(|p| p.draw)
    }

    /// Applies one command. On `Err`, nothing changed.
    pub fn handle(&mut self, now: Millis, command: Command) -> Result<Vec<Event>, Rejected> {
        match command {
            Command::Join { name } => self.join(&name),
            Command::StartDraw => self.start_draw(now),
        }
    }

    /// When the raffle next wants [`Raffle::handle_timeout`] to be called.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.pending.map(|p| p.reveal_at)
    }

    /// Reveals a spinning draw whose time has come; returns no events otherwise.
    pub fn handle_timeout(&mut self, now: Millis) -> Vec<Event> {
        match self.pending {
            Some(pending) if now >= pending.reveal_at => {
                self.pending = None;
                vec![self.reveal(pending.draw)]
            }
            _ => Vec::new(),
        }
    }

    fn join(&mut self, raw_name: &str) -> Result<Vec<Event>, Rejected> {
        let name = normalize_name(raw_name, self.settings.max_name_chars)?;
        let player = self.roster.add(name)?;
        Ok(vec![Event::PlayerJoined(player.clone())])
    }

    fn start_draw(&mut self, now: Millis) -> Result<Vec<Event>, Rejected> {
        if self.pending.is_some() {
            return Err(Rejected::DrawInProgress);
        }
        if self.roster.is_empty() {
            return Err(Rejected::NoPlayers);
        }
        if self.eligible().is_empty() {
            return Err(Rejected::NoEligiblePlayers);
        }
        let draw = DrawNumber(self.winners.len() as u32 + 1);
        let reveal_at = now.plus(self.settings.spin);
        self.pending = Some(PendingDraw { draw, reveal_at });
        let mut events = vec![Event::DrawStarted { draw, reveal_at }];
        events.extend(self.handle_timeout(now));
        Ok(events)
    }

    /// Players who may win the next draw: everyone who has not won yet.
    fn eligible(&self) -> Vec<PlayerId> {
        self.roster
            .players()
            .iter()
            .filter(|p| !self.winners.iter().any(|w| w.id == p.id))
            .map(|p| p.id)
            .collect()
    }

    /// Picks the winner at reveal time, so the winner is always a current player.
    fn reveal(&mut self, draw: DrawNumber) -> Event {
        let eligible = self.eligible();
        // start_draw refused to spin with nobody eligible, and nobody can leave during a spin.
        let id = pick_uniformly(&mut *self.rng, &eligible)
            .expect("a spinning draw has an eligible player");
        let winner = self
            .roster
            .get(id)
            .expect("eligible ids come from the roster")
            .clone();
        self.winners.push(winner.clone());
        Event::WinnerDrawn { draw, winner }
    }
}

#[cfg(test)]
mod tests;
