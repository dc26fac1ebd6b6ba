//! One raffle's server-side logic, sans I/O, in the shape of quinn-proto under quinn: the
//! [`Room`] takes requests, store results and the time, and returns what to write to the store
//! and which message goes to which [`Audience`]. It never awaits, never reads a clock, never
//! seeds itself and knows no socket; `raffle_task.rs` drives it and performs what it asks.
//!
//! The driver's loop, in this order:
//! 1. `handle_request(now, conn, request)` for each request in the inbox; whenever
//!    [`Room::must_store`] says so (a resume waits behind staged events), and after the last
//!    one, write: `poll_store(now)` gives a [`StoreOp`]; perform it, then `handle_stored(now,
//!    result)`; repeat until `poll_store` gives `None`.
//! 2. `poll_output()` until `None`: send each message once to its audience, follow `Admit` and
//!    `Release` (who gets broadcasts), answer `Entered`. A connection that cannot take a
//!    broadcast is reported back with `handle_unreachable`.
//! 3. Sleep until `poll_timeout()` (or the next request); then `handle_timeout(now)` and write.
//!
//! The concepts live apart and never call each other; this file wires them:
//! - `commit.rs`: staging (requests run through the raffle; nobody told) and commit (told once
//!   on disk), or taking back what the store refused;
//! - `roster.rs`: who each connection is (host, a player's phone) and who is connected;
//! - `catch_up.rs`: what a returning screen is told;
//! - `fanout.rs`: the queue of outputs and the hosts' coalesced feed.
//! - `io.rs`: what goes in and out ([`Request`], [`Output`], [`Audience`], [`StoreOp`]).
//! - `crate::views` builds every message; the room only decides when and to whom.
//!
//! Size: a little over 400 lines on purpose: the inputs, the outputs and the loop contract of
//! the `Room` read best in one place; each concept it wires lives in a sibling file.

mod catch_up;
mod commit;
mod fanout;
mod io;
mod roster;
#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;

use crate::store::StoreError;
use crate::views;
use commit::Staged;
use fanout::{Fanout, Scene};
use raffler_core::protocol::ServerMsg;
use raffler_core::raffle::{
    Actor, BeaconValue, Command, Event, Millis, PlayerId, Raffle, RaffleSettings, RemoteId, Token,
};
use rand::rngs::StdRng;
use rand::SeedableRng;
use roster::Roster;

pub use io::{Audience, Output, Request, Role, StoreOp};
use std::time::Duration;

pub type ConnId = u64;

/// An ended raffle stays reachable this long (at most the idle time), so that phones waking up
/// late learn that it ended rather than that it never existed.
const ENDED_GRACE: Duration = Duration::from_secs(60 * 60);
/// After a failed write, a reveal or a close is tried again this much later.
const RETRY_AFTER: Millis = Millis(1_000);

enum Writing {
    Append(Vec<Staged>),
    Close,
}

pub struct Room {
    raffle: Raffle,
    /// Every event on disk, `log[i].seq == i + 1`: what a returning phone missed comes from
    /// here, and a failed write replays it.
    log: catch_up::Log,
    code: String,
    join_url: String,
    roster: Roster,
    fanout: Fanout,
    /// Run through the raffle, not on disk yet: nobody has been told.
    staged: Vec<Staged>,
    /// Handed to the driver, result awaited.
    writing: Option<Writing>,
    /// A resume that arrived behind staged events: answered once they are on disk.
    deferred: Option<(ConnId, Token, Option<u64>)>,
    /// Joins asked again, in the write being delivered: they get the whole picture after it.
    rejoined: Vec<(ConnId, PlayerId)>,
    /// After a failed write: no reveal or close is tried before this.
    retry_at: Option<Millis>,
    /// A raffle with no event for this long is ended and closed.
    idle: Millis,
    /// A timer fired: once its events are written, see whether the raffle is due to close.
    check_close: bool,
    closing: bool,
    closed: bool,
    /// Seeds the raffle rebuilt after a failed write (the server passes an OS-seeded one).
    rng: StdRng,
}

impl Room {
    /// A new raffle; its host (`host_conn`) hears `raffle_started` once it is on disk.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        settings: RaffleSettings,
        now: Millis,
        host_token: Token,
        host_conn: ConnId,
        code: String,
        join_url: String,
        idle: Duration,
        mut rng: StdRng,
    ) -> Self {
        let seeded = Box::new(StdRng::from_rng(&mut rng));
        let (raffle, first) = Raffle::new(settings, now, &code, host_token.clone(), seeded);
        let mut room = Self::with(raffle, Vec::new(), code, join_url, idle, rng);
        room.staged.push(Staged::Started { conn: host_conn, token: host_token, events: vec![first] });
        room
    }

    /// A raffle rebuilt from its log (a restart).
    pub fn restore(
        settings: RaffleSettings,
        log: Vec<Event>,
        code: String,
        join_url: String,
        idle: Duration,
        mut rng: StdRng,
    ) -> Self {
        let raffle = Raffle::replay(settings, &log, Box::new(StdRng::from_rng(&mut rng)));
        Self::with(raffle, log, code, join_url, idle, rng)
    }

    fn with(
        raffle: Raffle,
        log: Vec<Event>,
        code: String,
        join_url: String,
        idle: Duration,
        rng: StdRng,
    ) -> Self {
        Self {
            raffle,
            log: catch_up::Log::new(log),
            code,
            join_url,
            roster: Roster::default(),
            fanout: Fanout::default(),
            staged: Vec::new(),
            writing: None,
            deferred: None,
            rejoined: Vec::new(),
            retry_at: None,
            idle: Millis(idle.as_millis() as u64),
            check_close: false,
            closing: false,
            closed: false,
            rng,
        }
    }

    // Getters.

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn has_ended(&self) -> bool {
        self.raffle.has_ended()
    }

    /// The raffle as it is on disk (and ahead of it while events are staged).
    #[cfg(test)]
    pub fn raffle(&self) -> &Raffle {
        &self.raffle
    }

    /// Every event on disk.
    #[cfg(test)]
    pub fn log(&self) -> &[Event] {
        self.log.as_slice()
    }

    /// `true` when the room wants a write before it takes the next request.
    pub fn must_store(&self) -> bool {
        self.deferred.is_some()
    }

    /// Whether the room still knows this connection (as a host or a phone).
    #[cfg(test)]
    pub fn knows(&self, conn: ConnId) -> bool {
        self.roster.is_host(conn) || self.roster.is_phone(conn)
    }

    // Inputs.

    pub fn handle_request(&mut self, now: Millis, conn: ConnId, request: Request) {
        match request {
            Request::Join { name, join_id, token } => {
                let staged = self.stage_join(now, conn, name, join_id, token);
                self.staged.push(staged);
            }
            Request::PairRemote { link, token, pair_id } => {
                let staged = self.stage_pair(now, conn, link, token, pair_id);
                self.staged.push(staged);
            }
            Request::Command(command) => {
                let staged = self.stage_command(now, conn, command);
                self.staged.push(staged);
            }
            // A returning screen is shown the raffle as it is on disk, never ahead of it.
            Request::Resume { token, last_seq } if !self.staged.is_empty() => {
                self.deferred = Some((conn, token, last_seq));
            }
            Request::Resume { token, last_seq } => self.resume(now, conn, &token, last_seq),
            Request::Disconnected => self.detach(now, conn),
        }
    }

    /// A connection could not take a broadcast (its outbox is full or gone): the driver
    /// stopped sending to it; the room stops counting it.
    pub fn handle_unreachable(&mut self, now: Millis, conn: ConnId, role: Role) {
        match role {
            Role::Host => {
                self.roster.remove_host(conn);
            }
            Role::Phone => {
                if self.roster.remove_phone(conn) {
                    self.fanout.presence_changed(now);
                }
            }
        }
    }

    /// The next write, if one is due. One at a time: `None` until `handle_stored`.
    pub fn poll_store(&mut self, now: Millis) -> Option<StoreOp> {
        if self.writing.is_some() || self.closed {
            return None;
        }
        loop {
            if !self.staged.is_empty() {
                let staged = std::mem::take(&mut self.staged);
                let events: Vec<Event> = staged.iter().flat_map(Staged::events).cloned().collect();
                if events.is_empty() {
                    // Only refusals and repeats: nothing to write, answered at once.
                    self.handle_written(now, staged, Ok(()));
                    continue;
                }
                self.writing = Some(Writing::Append(staged));
                return Some(StoreOp::Append(events));
            }
            if std::mem::take(&mut self.check_close) && now >= self.close_at() {
                self.closing = true;
            }
            if !self.closing {
                return None;
            }
            if self.raffle.has_ended() {
                self.writing = Some(Writing::Close);
                return Some(StoreOp::Close);
            }
            tracing::info!(code = self.code, "ending a raffle that has been idle too long");
            let events = self.raffle.handle(now, Actor::Host, Command::End).unwrap_or_default();
            if events.is_empty() {
                self.closing = false;
                self.retry_at = Some(now.plus(RETRY_AFTER));
                return None;
            }
            self.staged.push(Staged::Closed { events });
        }
    }

    /// The result of the write `poll_store` asked for.
    pub fn handle_stored(&mut self, now: Millis, result: Result<(), StoreError>) {
        match self.writing.take() {
            Some(Writing::Append(staged)) => self.handle_written(now, staged, result),
            Some(Writing::Close) => match result {
                Ok(()) => {
                    tracing::info!(code = self.code, "raffle closed");
                    self.closed = true;
                    self.fanout.push(Output::Closed);
                }
                Err(err) => {
                    tracing::error!(code = self.code, %err, "could not close a raffle; will try again");
                    self.retry_at = Some(now.plus(RETRY_AFTER));
                    self.closing = false;
                }
            },
            None => {}
        }
    }

    fn handle_written(&mut self, now: Millis, staged: Vec<Staged>, result: Result<(), StoreError>) {
        match result {
            Ok(()) => {
                for s in staged {
                    self.deliver(now, s);
                }
            }
            Err(err) => self.take_back(now, staged, &err),
        }
        for (conn, player) in std::mem::take(&mut self.rejoined) {
            for msg in catch_up::missed(&self.raffle, &self.log, &self.code, player, None, now) {
                self.fanout.tell(conn, msg);
            }
            self.attach_phone(now, conn, player);
            self.fanout.push(Output::Entered { conn, ok: true });
        }
        if let Some((conn, token, last_seq)) = self.deferred.take() {
            self.resume(now, conn, &token, last_seq);
        }
    }

    /// Timers: the hosts' batch, a spin's reveal, a claim's expiry, the idle close.
    pub fn handle_timeout(&mut self, now: Millis) {
        if self.fanout.flush_at().is_some_and(|at| at <= now) {
            self.flush_hosts(now);
        }
        if self.retry_at.is_some_and(|at| at > now) {
            return;
        }
        self.retry_at = None;
        let events = self.raffle.handle_timeout(now);
        if !events.is_empty() {
            self.staged.push(Staged::Revealed { events });
        }
        self.check_close = true;
    }

    /// The beacon round the spinning draw waits for, and when to start asking relays for it.
    pub fn wants_beacon(&self) -> Option<(u64, Millis)> {
        self.raffle.wants_beacon()
    }

    /// A beacon round came, its signature checked: the draw waiting for it is revealed (staged,
    /// then written and told like a timed reveal). Any other round changes nothing.
    pub fn handle_beacon(&mut self, now: Millis, value: BeaconValue) {
        let events = self.raffle.handle_beacon(now, value);
        if !events.is_empty() {
            self.staged.push(Staged::Revealed { events });
        }
        self.check_close = true;
    }

    // Outputs.

    pub fn poll_output(&mut self) -> Option<Output> {
        self.fanout.poll()
    }

    /// When `handle_timeout` is next due, if ever.
    pub fn poll_timeout(&self) -> Option<Millis> {
        if self.closed {
            return None;
        }
        let due = [self.raffle.poll_timeout(), Some(self.close_at())]
            .into_iter()
            .flatten()
            .min()
            .map(|at| at.max(self.retry_at.unwrap_or(at)));
        [due, self.fanout.flush_at()].into_iter().flatten().min()
    }

    /// When the raffle closes unless something happens: some time after its last event.
    fn close_at(&self) -> Millis {
        let last = self.log.last().map_or(Millis(0), |e| e.at);
        let grace = Millis(ENDED_GRACE.as_millis() as u64);
        let wait = if self.raffle.has_ended() { grace.min(self.idle) } else { self.idle };
        last.plus(wait)
    }

    // The roster, wired to fan-out.

    fn resume(&mut self, now: Millis, conn: ConnId, token: &Token, last_seq: Option<u64>) {
        let ok = match self.raffle.identify(token) {
            Some(Actor::Host) => {
                self.attach_host(now, conn);
                true
            }
            Some(Actor::Remote(remote)) => {
                self.attach_remote(now, conn, remote);
                true
            }
            Some(Actor::Player(player)) => {
                for msg in catch_up::missed(&self.raffle, &self.log, &self.code, player, last_seq, now) {
                    self.fanout.tell(conn, msg);
                }
                self.attach_phone(now, conn, player);
                true
            }
            _ => {
                self.fanout.tell(conn, views::resume_refused(&self.code));
                false
            }
        };
        self.fanout.push(Output::Entered { conn, ok });
    }

    fn attach_host(&mut self, now: Millis, conn: ConnId) {
        self.flush_hosts(now);
        let connected = self.roster.connected();
        let snapshot = views::host_snapshot(&self.raffle, &self.code, &self.join_url, connected, now);
        self.fanout.tell(conn, snapshot);
        self.roster.add_host(conn);
        self.fanout.admit(conn, Role::Host);
    }

    /// A remote is a host screen that the roster knows as that remote (so it can be revoked).
    fn attach_remote(&mut self, now: Millis, conn: ConnId, remote: RemoteId) {
        self.attach_host(now, conn);
        self.roster.add_remote(conn, remote);
    }

    /// A revoked remote's screens are told, and get nothing more.
    fn revoke_remote(&mut self, remote: RemoteId, msg: ServerMsg) {
        let conns = self.roster.remove_remote(remote);
        if !conns.is_empty() {
            self.fanout.send(Audience::Conns(conns.clone()), msg);
        }
        for conn in conns {
            self.fanout.release(conn, Role::Host);
        }
    }

    fn attach_phone(&mut self, now: Millis, conn: ConnId, player: PlayerId) {
        self.roster.add_phone(conn, player);
        self.fanout.admit(conn, Role::Phone);
        self.fanout.presence_changed(now);
    }

    fn detach(&mut self, now: Millis, conn: ConnId) {
        if self.roster.remove_host(conn) {
            self.fanout.release(conn, Role::Host);
        }
        if self.roster.remove_phone(conn) {
            self.fanout.release(conn, Role::Phone);
            self.fanout.presence_changed(now);
        }
    }

    /// Tells a player's phones that it is out, and stops treating them as that player.
    fn farewell(&mut self, now: Millis, player: PlayerId, msg: ServerMsg) {
        self.fanout.player_gone(player.0, now);
        let conns = self.roster.remove_player(player);
        if !conns.is_empty() {
            self.fanout.send(Audience::Conns(conns.clone()), msg);
        }
        for conn in conns {
            self.fanout.release(conn, Role::Phone);
        }
    }

    fn flush_hosts(&mut self, now: Millis) {
        let scene = scene(&self.raffle, &self.code, &self.roster, now);
        self.fanout.flush_hosts(&scene);
    }
}

/// What the hosts' messages are built from. A function of the fields, not a method of the
/// room, so that it borrows them apart from fan-out, which it is handed to.
fn scene<'a>(raffle: &'a Raffle, code: &'a str, roster: &Roster, now: Millis) -> Scene<'a> {
    Scene { raffle, code, connected: roster.connected(), now }
}
