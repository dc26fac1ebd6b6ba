//! One task per raffle: the only owner of its [`Raffle`]. Sessions send it requests over a
//! bounded channel; it answers the asker, and fans events out to the hosts and the phones as
//! frames serialized once and shared by every connection.
//!
//! Nothing is announced before it is on disk. The task takes every request waiting in its inbox,
//! runs them through the raffle, writes the resulting events in one go, and only then answers
//! and broadcasts ("staged", then "delivered"). If the write fails, the raffle is rebuilt from
//! the events that are on disk and every asker is told that nothing changed.

// Deadlines run on a monotonic clock: a wall-clock step neither ends a spin early nor a raffle.
use crate::clock::now;
use crate::metrics::Metrics;
use crate::store::{SavedRaffle, Store, StoreError};
use crate::views;
use app::protocol::{ErrorCode, PlayerView, ServerMsg};
use app::raffle::{Actor, Command, Event, EventKind, Millis, PlayerId, Raffle, Rejected, Settings, Token};
use axum::extract::ws::Utf8Bytes;
use rand::{rngs::StdRng, SeedableRng};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use crate::outbox::Outbox;
pub type ConnId = u64;

/// How many requests may wait for a raffle before senders wait their turn.
const INBOX: usize = 1_024;
/// The most requests staged for one database write.
const MAX_STAGED: usize = 1_024;
/// The host's list of names is updated at most this often, however fast people join.
const HOST_BATCH: Duration = Duration::from_millis(100);
/// A returning phone that missed more than this many messages gets a snapshot instead; it also
/// keeps a replay well inside the phone's outbox.
const MAX_REPLAY: usize = 32;
/// An ended raffle stays reachable this long (at most the idle time), so that phones waking up
/// late learn that it ended rather than that it never existed.
const ENDED_GRACE: Duration = Duration::from_secs(60 * 60);
/// After a failed write, a reveal or a close is tried again this much later.
const RETRY_AFTER: Duration = Duration::from_secs(1);

pub struct Request {
    pub conn: ConnId,
    pub outbox: Outbox,
    pub kind: RequestKind,
}

pub enum RequestKind {
    /// Join under `name`, or, when `join_id` already made a player, be that player again;
    /// `done` learns whether it worked.
    Join { name: String, join_id: Option<String>, done: oneshot::Sender<bool> },
    /// Come back as whoever `token` names; `done` learns whether it did.
    Resume { token: String, last_seq: Option<u64>, done: oneshot::Sender<bool> },
    /// Any other command; the task knows who the connection is.
    Command(Command),
    /// The connection closed. Its player stays in the raffle.
    Disconnected,
}

/// What every raffle task shares with the server.
#[derive(Clone)]
pub struct TaskEnv {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// Cancelled when the server shuts down: tasks stop where they are (all they said is on disk).
    pub stop: CancellationToken,
    pub tasks: TaskTracker,
    /// A raffle with no event for this long is ended and closed.
    pub idle: Duration,
}

#[derive(Clone)]
pub struct RaffleHandle {
    tx: mpsc::Sender<Request>,
    /// Set once the host ends the raffle: it stays reachable (phones learn it ended) but no
    /// longer counts against the server's raffle limit.
    ended: Arc<AtomicBool>,
}

impl RaffleHandle {
    pub fn has_ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    /// Delivers a request; `false` if the raffle is gone.
    pub async fn send(&self, request: Request) -> bool {
        self.tx.send(request).await.is_ok()
    }
}

pub struct Start {
    pub code: String,
    pub join_url: String,
    pub settings: Settings,
    pub host_token: Token,
    pub host_conn: ConnId,
    pub host: Outbox,
}

/// Called once when the task closes its raffle for good (ended or idle), not at shutdown.
pub type OnClose = Box<dyn FnOnce() + Send>;

/// Starts a new raffle. Its host hears `raffle_started` once the raffle is on disk.
pub fn spawn(start: Start, env: TaskEnv, on_close: OnClose) -> RaffleHandle {
    let (raffle, first) = Raffle::new(
        start.settings,
        now(),
        &start.code,
        start.host_token.clone(),
        Box::new(StdRng::from_os_rng()),
    );
    let new_host = NewHost { first, token: start.host_token, conn: start.host_conn, outbox: start.host };
    launch(raffle, Vec::new(), start.code, start.join_url, env, on_close, Some(new_host))
}

/// Runs a raffle the database held when the server started, rebuilt from its events.
pub fn restore(
    saved: SavedRaffle,
    join_url: String,
    settings: Settings,
    env: TaskEnv,
    on_close: OnClose,
) -> RaffleHandle {
    let raffle = Raffle::replay(settings, &saved.events, Box::new(StdRng::from_os_rng()));
    launch(raffle, saved.events, saved.code, join_url, env, on_close, None)
}

fn launch(
    raffle: Raffle,
    log: Vec<Event>,
    code: String,
    join_url: String,
    env: TaskEnv,
    on_close: OnClose,
    new_host: Option<NewHost>,
) -> RaffleHandle {
    let (tx, rx) = mpsc::channel(INBOX);
    let ended = Arc::new(AtomicBool::new(raffle.has_ended()));
    env.metrics.raffles_open.inc();
    let task = RaffleTask {
        raffle,
        log,
        qr_svg_url: format!("/raffles/{code}/qr.svg"),
        code,
        join_url,
        hosts: HashMap::new(),
        phones: HashMap::new(),
        connected: HashMap::new(),
        batch: HostBatch::default(),
        board_sent_at: None,
        ended: ended.clone(),
        retry_at: None,
        env: env.clone(),
        on_close: Some(on_close),
    };
    env.tasks.spawn(task.run(rx, new_host));
    RaffleHandle { tx, ended }
}

/// The host who started a raffle, waiting for its first event to be saved.
struct NewHost {
    first: Event,
    token: Token,
    conn: ConnId,
    outbox: Outbox,
}

/// A request run through the raffle whose events are not on disk yet: nobody has been told.
enum Staged {
    /// `again`: the join id was seen before; `events` is empty and the phone gets its player back.
    Joined {
        conn: ConnId,
        outbox: Outbox,
        done: oneshot::Sender<bool>,
        player: PlayerId,
        token: Token,
        events: Vec<Event>,
        again: bool,
    },
    Changed {
        conn: ConnId,
        outbox: Outbox,
        events: Vec<Event>,
        repeated: bool,
    },
    Refused {
        outbox: Outbox,
        why: Rejected,
        done: Option<oneshot::Sender<bool>>,
    },
    Revealed {
        events: Vec<Event>,
    },
    Closed {
        events: Vec<Event>,
    },
}

impl Staged {
    fn events(&self) -> &[Event] {
        match self {
            Staged::Joined { events, .. }
            | Staged::Changed { events, .. }
            | Staged::Revealed { events }
            | Staged::Closed { events } => events,
            Staged::Refused { .. } => &[],
        }
    }
}

/// Changes for the hosts not sent yet: coalesced so that 1,000 joins a second reach the host as
/// 10 messages, and a host sending commands as fast as it can gets 10 boards a second, not one
/// board (prizes and draws, rebuilt and serialized) per command.
#[derive(Default)]
struct HostBatch {
    joined: Vec<PlayerView>,
    gone: Vec<u32>,
    presence: bool,
    /// The board changed since the hosts last got it.
    board: bool,
    flush_at: Option<Instant>,
}

struct RaffleTask {
    raffle: Raffle,
    /// Every event so far, `log[i].seq == i + 1`: what a returning phone missed comes from here.
    log: Vec<Event>,
    code: String,
    join_url: String,
    qr_svg_url: String,
    hosts: HashMap<ConnId, Outbox>,
    phones: HashMap<ConnId, (Outbox, PlayerId)>,
    /// Open connections per player, for "connected now".
    connected: HashMap<PlayerId, u32>,
    batch: HostBatch,
    /// When the hosts last got a board: the next one waits until `HOST_BATCH` after it.
    board_sent_at: Option<Instant>,
    ended: Arc<AtomicBool>,
    /// After a failed write: no reveal or close is tried before this.
    retry_at: Option<Instant>,
    env: TaskEnv,
    on_close: Option<OnClose>,
}

impl RaffleTask {
    async fn run(mut self, mut rx: mpsc::Receiver<Request>, new_host: Option<NewHost>) {
        if let Some(host) = new_host {
            if !self.announce_start(host).await {
                self.close_for_good();
                self.env.metrics.raffles_open.dec();
                return;
            }
        }
        loop {
            let reveal = self.raffle.poll_timeout().map(|at| Instant::now() + millis_until(at));
            let close = Some(Instant::now() + millis_until(self.close_at()));
            let due =
                [reveal, close].into_iter().flatten().min().map(|at| at.max(self.retry_at.unwrap_or(at)));
            let wake = [due, self.batch.flush_at].into_iter().flatten().min();
            tokio::select! {
                biased;
                () = self.env.stop.cancelled() => break,
                request = rx.recv() => {
                    let Some(first) = request else { break };
                    let mut requests = vec![first];
                    while requests.len() < MAX_STAGED {
                        let Ok(request) = rx.try_recv() else { break };
                        requests.push(request);
                    }
                    self.on_requests(requests).await;
                }
                () = sleep_until_or_never(wake) => {
                    if self.batch.flush_at.is_some_and(|at| at <= Instant::now()) {
                        self.flush_host_batch();
                    }
                    if self.retry_at.is_some_and(|at| at > Instant::now()) {
                        continue;
                    }
                    self.retry_at = None;
                    let events = self.raffle.handle_timeout(now());
                    if !events.is_empty() {
                        self.commit(vec![Staged::Revealed { events }]).await;
                    }
                    if now() >= self.close_at() && self.close().await {
                        break;
                    }
                }
            }
        }
        self.env.metrics.raffles_open.dec();
    }

    /// Saves a new raffle's first event, then tells its host the code and token.
    async fn announce_start(&mut self, host: NewHost) -> bool {
        if let Err(err) = self.env.store.append(&self.code, [&host.first]).await {
            tracing::error!(code = self.code, %err, "could not save a new raffle");
            let msg = format!("The raffle could not be started: the server cannot save it ({err}).");
            send_to(&host.outbox, &ServerMsg::error(ErrorCode::NotSaved, None, msg));
            return false;
        }
        self.log.push(host.first);
        tracing::info!(code = self.code, "raffle started");
        let started =
            ServerMsg::RaffleStarted { code: self.code.clone(), host_token: host.token.expose().into() };
        send_to(&host.outbox, &started);
        self.attach_host(host.conn, host.outbox);
        true
    }

    /// When the raffle closes unless something happens: some time after its last event.
    fn close_at(&self) -> Millis {
        let last = self.log.last().map_or(Millis(0), |e| e.at);
        let wait = if self.raffle.has_ended() { ENDED_GRACE.min(self.env.idle) } else { self.env.idle };
        last.plus(Millis(wait.as_millis() as u64))
    }

    /// Ends the raffle if it has not ended (every screen is told), then marks it closed: it is
    /// not loaded again. `false` if that could not be saved; it is tried again later.
    async fn close(&mut self) -> bool {
        if !self.raffle.has_ended() {
            tracing::info!(code = self.code, "ending a raffle that has been idle too long");
            let events = self.raffle.handle(now(), Actor::Host, Command::End).unwrap_or_default();
            self.commit(vec![Staged::Closed { events }]).await;
            if !self.raffle.has_ended() {
                return false;
            }
        }
        if let Err(err) = self.env.store.close(&self.code, now().0).await {
            tracing::error!(code = self.code, %err, "could not close a raffle; will try again");
            self.retry_at = Some(Instant::now() + RETRY_AFTER);
            return false;
        }
        tracing::info!(code = self.code, "raffle closed");
        self.close_for_good();
        true
    }

    fn close_for_good(&mut self) {
        if let Some(on_close) = self.on_close.take() {
            on_close();
        }
    }

    async fn on_requests(&mut self, requests: Vec<Request>) {
        let mut staged = Vec::new();
        for Request { conn, outbox, kind } in requests {
            match kind {
                RequestKind::Join { name, join_id, done } => {
                    staged.push(self.stage_join(conn, outbox, name, join_id, done))
                }
                RequestKind::Command(command) => staged.push(self.stage_command(conn, outbox, command)),
                RequestKind::Resume { token, last_seq, done } => {
                    // A returning screen is shown the raffle as it is on disk, never ahead of it.
                    self.commit(std::mem::take(&mut staged)).await;
                    let _ = done.send(self.resume(conn, outbox, &Token::new(token), last_seq));
                }
                RequestKind::Disconnected => self.detach(conn),
            }
        }
        self.commit(staged).await;
    }

    fn stage_join(
        &mut self,
        conn: ConnId,
        outbox: Outbox,
        name: String,
        join_id: Option<String>,
        done: oneshot::Sender<bool>,
    ) -> Staged {
        let token = crate::hub::new_token();
        let command = Command::Join { name, token: token.clone(), join_id: join_id.clone() };
        match self.raffle.handle(now(), self.actor(conn), command) {
            Ok(events) => match events.first().map(|e| &e.kind) {
                Some(EventKind::PlayerJoined { player, .. }) => {
                    Staged::Joined { conn, outbox, done, player: *player, token, events, again: false }
                }
                // The same join asked again: the player it made, with the token it was given.
                _ => {
                    let (player, token) = join_id
                        .as_deref()
                        .and_then(|id| self.raffle.joined_with(id))
                        .expect("a join that makes no event names a player who is in");
                    Staged::Joined { conn, outbox, done, player, token: token.clone(), events, again: true }
                }
            },
            Err(why) => Staged::Refused { outbox, why, done: Some(done) },
        }
    }

    fn stage_command(&mut self, conn: ConnId, outbox: Outbox, command: Command) -> Staged {
        let repeatable = matches!(command, Command::Draw { .. } | Command::Redraw { .. });
        match self.raffle.handle(now(), self.actor(conn), command) {
            // The same draw asked again: the first result is the answer.
            Ok(events) => Staged::Changed { conn, outbox, repeated: events.is_empty() && repeatable, events },
            Err(why) => Staged::Refused { outbox, why, done: None },
        }
    }

    /// Writes the staged events, then tells everyone; or, if the write fails, takes them back.
    async fn commit(&mut self, staged: Vec<Staged>) {
        if staged.is_empty() {
            return;
        }
        let events = staged.iter().flat_map(Staged::events);
        if staged.iter().any(|s| !s.events().is_empty()) {
            if let Err(err) = self.env.store.append(&self.code, events).await {
                return self.take_back(staged, err);
            }
        }
        for s in staged {
            self.deliver(s);
        }
    }

    fn deliver(&mut self, staged: Staged) {
        match staged {
            Staged::Joined { conn, outbox, done, player, token, events, again } => {
                let you = views::player_view(self.raffle.player(player).expect("joined players exist"));
                let seq = events.last().map_or(self.raffle.last_seq(), |e| e.seq);
                let token = token.expose().to_owned();
                let fingerprint = views::fingerprint(&self.raffle);
                send_to(
                    &outbox,
                    &ServerMsg::Joined { seq, code: self.code.clone(), token, you, fingerprint },
                );
                if again {
                    // Draws may have happened since the first answer was lost: the whole picture.
                    self.send_missed(&outbox, player, None);
                }
                self.attach_phone(conn, outbox, player);
                self.publish(events);
                let _ = done.send(true);
            }
            Staged::Changed { outbox, repeated: true, .. } => send_to(&outbox, &self.board_msg()),
            Staged::Changed { events, .. } | Staged::Revealed { events } | Staged::Closed { events } => {
                self.publish(events)
            }
            Staged::Refused { outbox, why, done } => {
                send_to(&outbox, &ServerMsg::rejected(&why));
                if let Some(done) = done {
                    let _ = done.send(false);
                }
            }
        }
    }

    /// The staged events could not be saved: back to the raffle as it is on disk, and everyone
    /// who asked (and the host, whoever asked) hears that nothing changed.
    fn take_back(&mut self, staged: Vec<Staged>, err: StoreError) {
        tracing::error!(code = self.code, %err, "could not save a raffle's events; nothing was announced");
        self.raffle = Raffle::replay(self.raffle.settings(), &self.log, Box::new(StdRng::from_os_rng()));
        self.retry_at = Some(Instant::now() + RETRY_AFTER);
        let msg = ServerMsg::error(
            ErrorCode::NotSaved,
            None,
            format!("The server could not save that, so nothing changed: {err}. Tell the organizer."),
        );
        for s in staged {
            match s {
                Staged::Joined { outbox, done, .. } => {
                    send_to(&outbox, &msg);
                    let _ = done.send(false);
                }
                Staged::Changed { conn, outbox, .. } if !self.hosts.contains_key(&conn) => {
                    send_to(&outbox, &msg)
                }
                Staged::Refused { outbox, why, done } => {
                    send_to(&outbox, &ServerMsg::rejected(&why));
                    if let Some(done) = done {
                        let _ = done.send(false);
                    }
                }
                Staged::Changed { .. } | Staged::Revealed { .. } | Staged::Closed { .. } => {}
            }
        }
        let frame = frame(&msg);
        self.hosts.retain(|_, outbox| outbox.send(frame.clone()));
    }

    fn actor(&self, conn: ConnId) -> Actor {
        if self.hosts.contains_key(&conn) {
            Actor::Host
        } else if let Some((_, player)) = self.phones.get(&conn) {
            Actor::Player(*player)
        } else {
            Actor::Guest
        }
    }

    fn resume(&mut self, conn: ConnId, outbox: Outbox, token: &Token, last_seq: Option<u64>) -> bool {
        match self.raffle.identify(token) {
            Some(Actor::Host) => {
                self.attach_host(conn, outbox);
                true
            }
            Some(Actor::Player(player)) => {
                self.send_missed(&outbox, player, last_seq);
                self.attach_phone(conn, outbox, player);
                true
            }
            _ => {
                send_to(&outbox, &views::resume_refused(&self.code));
                false
            }
        }
    }

    /// What a returning phone missed, one message per event, or a snapshot when that is
    /// shorter or the gap is unknown.
    fn send_missed(&self, outbox: &Outbox, player: PlayerId, last_seq: Option<u64>) {
        let now = now();
        let missed = last_seq.filter(|seen| *seen <= self.raffle.last_seq()).map(|seen| {
            self.log[seen as usize..]
                .iter()
                .filter_map(|e| views::public_message(&self.raffle, e, now))
                .collect::<Vec<_>>()
        });
        match missed {
            Some(messages) if messages.len() <= MAX_REPLAY => {
                for msg in &messages {
                    send_to(outbox, msg);
                }
                send_to(outbox, &ServerMsg::Resumed { seq: self.raffle.last_seq() });
            }
            _ => {
                let you = views::player_view(self.raffle.player(player).expect("identified players exist"));
                let draws =
                    self.raffle.draws().iter().map(|d| views::draw_view(&self.raffle, d, now)).collect();
                let seq = self.raffle.last_seq();
                let ended = self.raffle.has_ended();
                send_to(
                    outbox,
                    &ServerMsg::PlayerSnapshot {
                        seq,
                        code: self.code.clone(),
                        you,
                        ended,
                        draws,
                        fingerprint: views::fingerprint(&self.raffle),
                    },
                );
            }
        }
    }

    fn attach_host(&mut self, conn: ConnId, outbox: Outbox) {
        self.flush_host_batch();
        let msg = ServerMsg::HostSnapshot {
            seq: self.raffle.last_seq(),
            join_url: self.join_url.clone(),
            qr_svg_url: self.qr_svg_url.clone(),
            players: views::players_in(&self.raffle),
            connected: self.connected.len() as u32,
            board: views::board(&self.raffle, &self.code, now()),
        };
        send_to(&outbox, &msg);
        self.hosts.insert(conn, outbox);
    }

    fn attach_phone(&mut self, conn: ConnId, outbox: Outbox, player: PlayerId) {
        if let Some((_, old)) = self.phones.insert(conn, (outbox, player)) {
            self.forget_connection(old);
        }
        *self.connected.entry(player).or_default() += 1;
        self.presence_changed();
    }

    fn detach(&mut self, conn: ConnId) {
        self.hosts.remove(&conn);
        if let Some((_, player)) = self.phones.remove(&conn) {
            self.forget_connection(player);
        }
    }

    fn forget_connection(&mut self, player: PlayerId) {
        if let Some(count) = self.connected.get_mut(&player) {
            *count -= 1;
            if *count == 0 {
                self.connected.remove(&player);
            }
        }
        self.presence_changed();
    }

    fn publish(&mut self, events: Vec<Event>) {
        let now = now();
        let mut board_changed = false;
        for event in events {
            board_changed |= views::changes_board(&event);
            match &event.kind {
                EventKind::PlayerJoined { player, .. } => {
                    let player = self.raffle.player(*player).expect("joined players exist");
                    self.batch.joined.push(views::player_view(player));
                    self.env.metrics.players_joined.inc();
                    self.presence_changed();
                }
                EventKind::PlayerReadmitted { player } => {
                    let player = self.raffle.player(*player).expect("readmitted players exist");
                    self.batch.joined.push(views::player_view(player));
                    self.presence_changed();
                }
                EventKind::PlayerLeft { player } => {
                    self.farewell(*player, ServerMsg::Left { seq: event.seq })
                }
                EventKind::PlayerRemoved { player } => {
                    self.farewell(*player, ServerMsg::Removed { seq: event.seq })
                }
                EventKind::DrawStarted { draw, .. } => {
                    tracing::info!(code = self.code, draw = draw.0, "draw started")
                }
                EventKind::WinnerDrawn { draw, winner, .. } => {
                    tracing::info!(code = self.code, draw = draw.0, winner = winner.0, "winner drawn")
                }
                EventKind::Ended => {
                    self.ended.store(true, Ordering::Relaxed);
                    tracing::info!(code = self.code, "raffle ended")
                }
                _ => {}
            }
            if let Some(msg) = views::public_message(&self.raffle, &event, now) {
                let started = Instant::now();
                self.broadcast(&msg);
                if matches!(event.kind, EventKind::WinnerDrawn { .. }) {
                    self.env.metrics.draw_fanout_seconds.observe(started.elapsed().as_secs_f64());
                }
            }
            self.log.push(event);
        }
        if board_changed {
            self.board_changed();
        }
    }

    /// The hosts get the new board now if their last one is `HOST_BATCH` old, or else when it
    /// is: a single change shows at once, a flood of them ten times a second. The board is
    /// built when it is sent, so it is always the latest.
    fn board_changed(&mut self) {
        self.batch.board = true;
        match self.board_sent_at.map(|at| at + HOST_BATCH).filter(|due| *due > Instant::now()) {
            Some(due) => self.batch.flush_at = Some(self.batch.flush_at.map_or(due, |at| at.min(due))),
            None => self.flush_host_batch(),
        }
    }

    /// Tells a player's phones that it is out, and stops treating them as that player.
    fn farewell(&mut self, player: PlayerId, msg: ServerMsg) {
        self.batch.gone.push(player.0);
        let frame = frame(&msg);
        let conns: Vec<ConnId> =
            self.phones.iter().filter(|(_, (_, p))| *p == player).map(|(c, _)| *c).collect();
        for conn in conns {
            if let Some((outbox, _)) = self.phones.remove(&conn) {
                outbox.send(frame.clone());
            }
        }
        self.connected.remove(&player);
        self.presence_changed();
    }

    fn board_msg(&self) -> ServerMsg {
        ServerMsg::Board { seq: self.raffle.last_seq(), board: views::board(&self.raffle, &self.code, now()) }
    }

    fn presence_changed(&mut self) {
        self.batch.presence = true;
        self.batch.flush_at.get_or_insert_with(|| Instant::now() + HOST_BATCH);
    }

    /// Sends the hosts what changed; the board only if its turn has come (else it stays
    /// pending, due `HOST_BATCH` after the last one), after the player list, so that a host
    /// never sees a winner it has not seen join.
    fn flush_host_batch(&mut self) {
        let now = Instant::now();
        let board_not_before = self.board_sent_at.map(|at| at + HOST_BATCH).filter(|due| *due > now);
        let mut batch = std::mem::take(&mut self.batch);
        if let (true, Some(due)) = (batch.board, board_not_before) {
            batch.board = false;
            self.batch.board = true;
            self.batch.flush_at = Some(due);
        }
        let total = self.raffle.players_in() as u32;
        let mut messages = Vec::new();
        if !batch.joined.is_empty() {
            messages.push(ServerMsg::PlayersJoined { players: batch.joined, total });
        }
        if !batch.gone.is_empty() {
            messages.push(ServerMsg::PlayersGone { players: batch.gone, total });
        }
        if batch.presence {
            messages.push(ServerMsg::Presence { connected: self.connected.len() as u32, total });
        }
        if batch.board {
            messages.push(self.board_msg());
            self.board_sent_at = Some(now);
        }
        for msg in messages {
            let frame = frame(&msg);
            self.hosts.retain(|_, outbox| outbox.send(frame.clone()));
        }
    }

    /// Serializes once; every connection gets the same bytes. The host's pending list goes
    /// first, so that it never learns of a winner before it learns the winner joined.
    fn broadcast(&mut self, msg: &ServerMsg) {
        self.flush_host_batch();
        let frame = frame(msg);
        self.hosts.retain(|_, outbox| outbox.send(frame.clone()));
        let mut dropped = Vec::new();
        self.phones.retain(|_, (outbox, player)| {
            let sent = outbox.send(frame.clone());
            if !sent {
                dropped.push(*player);
            }
            sent
        });
        for player in dropped {
            self.forget_connection(player);
        }
    }
}

fn frame(msg: &ServerMsg) -> Utf8Bytes {
    Utf8Bytes::from(msg.to_json())
}

/// Sends one message to one connection; a stuck connection is hung up, never waited for.
fn send_to(outbox: &Outbox, msg: &ServerMsg) {
    outbox.send(frame(msg));
}

async fn sleep_until_or_never(wake: Option<Instant>) {
    match wake {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn millis_until(at: Millis) -> Duration {
    Duration::from_millis(at.saturating_sub(now()).0)
}
