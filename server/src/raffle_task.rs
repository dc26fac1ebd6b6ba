//! One task per raffle: the thin driver of its [`Room`]. It only awaits (the inbox, the store,
//! the room's next deadline) and performs what the room asks: the writes, and the sends, each
//! message serialized once and its bytes shared by every connection of its audience.
//!
//! Sessions send it requests over a bounded channel, each with the connection's outbox; the
//! task keeps those outboxes (the room knows connections only by number) and follows the
//! room's `Admit` and `Release` so that a broadcast reaches exactly the room's audience.
//!
//! A draw waiting for a beacon round: when the room wants it, a fetch runs beside the task (it
//! never blocks the inbox) and hands back the checked value, or nothing if no relay had it in
//! time; the room's own deadline then voids the draw.

use crate::beacon::Relays;
use crate::clock::now;
use crate::ids::new_token;
use crate::metrics::Metrics;
use crate::outbox::{frame, Frame, Outbox, Queued, Written};
use crate::room::{self, Audience, ConnId, Output, Role, Room, StoreOp};
use crate::store::{SavedRaffle, Store};
use raffler_core::raffle::{BeaconValue, Command, Millis, RaffleSettings, Token};
use rand::{rngs::StdRng, SeedableRng};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How many requests may wait for a raffle before senders wait their turn.
const INBOX: usize = 1_024;
/// The most requests staged for one database write.
const MAX_STAGED: usize = 1_024;
/// A request that comes less than this after the previous batch began waits for the rest of it,
/// with whatever else comes meanwhile: a hall joining at thousands a second then costs one
/// commit (an fsync) and one round of writes per 5 ms instead of one per handful of joins.
/// Measured at 18,000 joining as fast as the load generator goes: 204-340 commits instead of
/// 1,440-4,054, the server's CPU per join 101-104 µs instead of 117-142 (README, Performance).
/// A request in a quiet room (a draw, a claim, a phone coming back) never waits; in a busy
/// room one waits at most this long, and so does a timer (a reveal) that falls in the wait.
///
/// Counted from when the previous batch *began*, not from when its commit and writes were done:
/// a batch that took 5 ms or more (5-100 ms under load here, its commit included) already let
/// the next one gather, and a wait on top only left the cores idle while the hall queued behind
/// it (README, Performance: "The joins' idle time found").
const BATCH_SPACING: Duration = Duration::from_millis(5);

/// When a batch that may begin at `now` should begin, if the previous one began at `previous`:
/// `None` to begin at once.
fn batch_waits_until(previous: Option<Instant>, now: Instant) -> Option<Instant> {
    previous.map(|began| began + BATCH_SPACING).filter(|ready| now < *ready)
}

pub struct Request {
    pub conn: ConnId,
    pub outbox: Outbox,
    pub kind: RequestKind,
}

pub enum RequestKind {
    /// Join under `name`, or, when `join_id` already made a player, be that player again;
    /// `done` learns whether it worked.
    Join { name: String, join_id: Option<String>, done: oneshot::Sender<bool> },
    /// Become a remote with the host's pairing `link`; `done` learns whether it did.
    PairRemote { link: String, pair_id: Option<String>, done: oneshot::Sender<bool> },
    /// Come back as whoever `token` names; `done` learns whether it did.
    Resume { token: String, last_seq: Option<u64>, done: oneshot::Sender<bool> },
    /// Any other command; the room knows who the connection is.
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
    /// Where beacon rounds are fetched; `None`: the beacon is off on this server.
    pub beacon: Option<Relays>,
    /// How long after its round's time a draw waits for it (the raffle's `beacon_timeout`).
    pub beacon_timeout: Duration,
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
    pub settings: RaffleSettings,
    pub host_token: Token,
    pub host_conn: ConnId,
    pub host: Outbox,
}

/// Called once when the task closes its raffle for good (ended or idle), not at shutdown.
pub type OnClose = Box<dyn FnOnce() + Send>;

/// Starts a new raffle. Its host hears `raffle_started` once the raffle is on disk.
pub fn spawn(start: Start, env: TaskEnv, on_close: OnClose) -> RaffleHandle {
    let Start { code, join_url, mut settings, host_token, host_conn, host } = start;
    if env.beacon.as_ref().is_some_and(|relays| !relays.is_reachable()) {
        // Its draws say "seed only" from the start; a first draw would only be void.
        tracing::warn!(code, "no beacon relay answers: this raffle starts with the beacon off");
        settings.start_without_beacon = true;
    }
    let rng = StdRng::from_os_rng();
    let room = Room::start(settings, now(), host_token, host_conn, code, join_url, env.idle, rng);
    launch(room, env, on_close, Some((host_conn, host)))
}

/// Runs a raffle the database held when the server started, rebuilt from its events.
pub fn restore(
    saved: SavedRaffle,
    join_url: String,
    settings: RaffleSettings,
    env: TaskEnv,
    on_close: OnClose,
) -> RaffleHandle {
    let rng = StdRng::from_os_rng();
    let room = Room::restore(settings, saved.events, saved.code, join_url, env.idle, rng);
    launch(room, env, on_close, None)
}

fn launch(room: Room, env: TaskEnv, on_close: OnClose, host: Option<(ConnId, Outbox)>) -> RaffleHandle {
    let (tx, rx) = mpsc::channel(INBOX);
    let ended = Arc::new(AtomicBool::new(room.has_ended()));
    env.metrics.raffles_open.inc();
    let (beacon_tx, beacon_rx) = mpsc::channel(1);
    let mut task = RaffleTask {
        room,
        fetching: None,
        beacon_tx,
        links: Links::default(),
        dirty: Vec::new(),
        result_since: None,
        answers: HashMap::new(),
        ended: ended.clone(),
        closed: false,
        last_batch: None,
        env: env.clone(),
        on_close: Some(on_close),
    };
    if let Some((conn, outbox)) = host {
        task.links.asking.insert(conn, outbox);
    }
    env.tasks.spawn(task.run(rx, beacon_rx));
    RaffleHandle { tx, ended }
}

/// The outboxes the room's audiences resolve to.
#[derive(Default)]
struct Links {
    /// Connections with a request in the batch at hand, for the answers to them.
    asking: HashMap<ConnId, Outbox>,
    hosts: HashMap<ConnId, Outbox>,
    phones: HashMap<ConnId, Outbox>,
}

impl Links {
    fn get(&self, conn: ConnId) -> Option<&Outbox> {
        self.asking.get(&conn).or_else(|| self.hosts.get(&conn)).or_else(|| self.phones.get(&conn))
    }
}

struct RaffleTask {
    room: Room,
    /// The beacon round a fetch is under way for, or was given up on (never asked for again:
    /// the room's deadline voids its draw).
    fetching: Option<u64>,
    /// Where fetches hand back their round: `(round, value or None when given up)`.
    beacon_tx: mpsc::Sender<(u64, Option<BeaconValue>)>,
    links: Links,
    /// Connections a frame was queued on in this batch while their queue was empty: each is
    /// written once, at the end of the batch (a draw's two frames in one write).
    dirty: Vec<Outbox>,
    /// When the fan-out of a result began, until its frames are written.
    result_since: Option<std::time::Instant>,
    /// Sessions waiting to hear whether their join or resume got in.
    answers: HashMap<ConnId, oneshot::Sender<bool>>,
    ended: Arc<AtomicBool>,
    closed: bool,
    /// When the last batch of requests began (see [`BATCH_SPACING`]).
    last_batch: Option<Instant>,
    env: TaskEnv,
    on_close: Option<OnClose>,
}

impl RaffleTask {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<Request>,
        mut beacon_rx: mpsc::Receiver<(u64, Option<BeaconValue>)>,
    ) {
        self.store().await;
        self.perform();
        self.links.asking.clear();
        while !self.closed {
            self.fetch_beacon();
            let wake = self.room.poll_timeout().map(|at| Instant::now() + millis_until(at));
            tokio::select! {
                biased;
                () = self.env.stop.cancelled() => break,
                request = rx.recv() => {
                    let Some(first) = request else { break };
                    // A busy room takes its inbox at most every BATCH_SPACING: what queued
                    // meanwhile is one batch, one commit, one round of writes.
                    if let Some(ready) = batch_waits_until(self.last_batch, Instant::now()) {
                        tokio::time::sleep_until(ready).await;
                    }
                    let mut requests = vec![first];
                    while requests.len() < MAX_STAGED {
                        let Ok(request) = rx.try_recv() else { break };
                        requests.push(request);
                    }
                    self.last_batch = Some(Instant::now());
                    self.on_requests(requests).await;
                }
                () = sleep_until_or_never(wake) => {
                    self.room.handle_timeout(now());
                    self.store().await;
                    self.perform();
                }
                Some((round, value)) = beacon_rx.recv() => {
                    // A late answer for a draw already voided leaves the current fetch alone.
                    if let Some(value) = value.filter(|_| self.fetching == Some(round)) {
                        self.fetching = None;
                        tracing::info!(code = self.room.code(), round, "beacon round checked: revealing");
                        self.room.handle_beacon(now(), value);
                        self.store().await;
                        self.perform();
                    }
                }
            }
        }
        self.env.metrics.raffles_open.dec();
    }

    /// Starts fetching the beacon round the room waits for, unless a fetch for it runs already.
    fn fetch_beacon(&mut self) {
        let (Some((round, at)), Some(relays)) = (self.room.wants_beacon(), &self.env.beacon) else { return };
        if self.fetching == Some(round) {
            return;
        }
        let start = Instant::now() + millis_until(at);
        let give_up = start + self.env.beacon_timeout;
        if Instant::now() >= give_up {
            return; // the room's own deadline voids the draw
        }
        self.fetching = Some(round);
        let (relays, tx, stop) = (relays.clone(), self.beacon_tx.clone(), self.env.stop.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = stop.cancelled() => {}
                value = async {
                    tokio::time::sleep_until(start).await;
                    relays.fetch(round, give_up).await
                } => { let _ = tx.send((round, value)).await; }
            }
        });
    }

    async fn on_requests(&mut self, requests: Vec<Request>) {
        for Request { conn, outbox, kind } in requests {
            self.links.asking.insert(conn, outbox);
            let request = match kind {
                RequestKind::Join { name, join_id, done } => {
                    self.answers.insert(conn, done);
                    room::Request::Join { name, join_id, token: new_token() }
                }
                RequestKind::PairRemote { link, pair_id, done } => {
                    self.answers.insert(conn, done);
                    room::Request::PairRemote { link: Token::new(link), token: new_token(), pair_id }
                }
                RequestKind::Resume { token, last_seq, done } => {
                    self.answers.insert(conn, done);
                    room::Request::Resume { token: Token::new(token), last_seq }
                }
                RequestKind::Command(command) => room::Request::Command(command),
                RequestKind::Disconnected => room::Request::Disconnected,
            };
            self.room.handle_request(now(), conn, request);
            if self.room.must_store() {
                self.store().await;
            }
        }
        self.store().await;
        self.perform();
        // Only the room's hosts and phones are kept: a refused join's outbox is let go.
        self.links.asking.clear();
    }

    /// Performs the writes the room asks for, one after the other, until it asks for none.
    async fn store(&mut self) {
        while let Some(op) = self.room.poll_store(now()) {
            let code = self.room.code().to_owned();
            let result = match op {
                StoreOp::Append(events) => self.env.store.append(&code, &events).await,
                StoreOp::Close => self.env.store.close(&code, now().0).await,
            };
            self.room.handle_stored(now(), result);
        }
    }

    /// Performs the room's outputs in order. Messages in a row to the same audience (a draw's
    /// `draw_started` and `winner_drawn`) are queued as one run of frames: each phone's queue
    /// and write take one piece, not one per message. A run ends at any other output, so
    /// nothing is reordered: an `Admit` or a `Release` still falls between the same messages.
    fn perform(&mut self) {
        let mut run: Option<(Audience, Frame)> = None;
        while let Some(output) = self.room.poll_output() {
            let goes_on =
                matches!((&run, &output), (Some((audience, _)), Output::Send { to, .. }) if audience == to);
            if !goes_on {
                if let Some((audience, frames)) = run.take() {
                    self.send(audience, frames);
                }
            }
            match output {
                Output::Send { to, msg } => {
                    let next = frame(&msg);
                    run = Some(match run.take() {
                        Some((_, frames)) => (to, frames.then(next)),
                        None => (to, next),
                    });
                }
                Output::Admit { conn, role } => {
                    if let Some(outbox) = self.links.get(conn).cloned() {
                        self.links_of(role).insert(conn, outbox);
                    }
                }
                Output::Release { conn, role } => {
                    self.links_of(role).remove(&conn);
                }
                Output::Entered { conn, ok } => {
                    if let Some(done) = self.answers.remove(&conn) {
                        let _ = done.send(ok);
                    }
                }
                Output::PlayerJoined => {
                    self.env.metrics.players_joined.inc();
                }
                Output::Ended => self.ended.store(true, Ordering::Relaxed),
                Output::Closed => {
                    self.closed = true;
                    if let Some(on_close) = self.on_close.take() {
                        on_close();
                    }
                }
            }
        }
        if let Some((audience, frames)) = run {
            self.send(audience, frames);
        }
        self.write_out();
    }

    /// Writes every connection the batch queued frames on, straight to its socket: no task is
    /// woken unless its socket is full.
    fn write_out(&mut self) {
        let written = write_all(&self.dirty, WRITES_PER_THREAD);
        self.dirty.clear();
        let metrics = &self.env.metrics;
        metrics.frames_out.inc_by(written.frames);
        if written.results > 0 {
            metrics.result_written();
        }
        if let Some(since) = self.result_since.take() {
            metrics.draw_fanout_seconds.observe(since.elapsed().as_secs_f64());
        }
    }

    fn links_of(&mut self, role: Role) -> &mut HashMap<ConnId, Outbox> {
        match role {
            Role::Host => &mut self.links.hosts,
            Role::Phone => &mut self.links.phones,
        }
    }

    /// Every connection of the audience queues the same bytes (serialized and framed once, by
    /// `perform`), written at the end of the batch (`write_out`). A connection that cannot take
    /// a broadcast is hung up (its outbox says so) and stops getting them; it resumes.
    fn send(&mut self, to: Audience, frame: Frame) {
        let (links, dirty) = (&mut self.links, &mut self.dirty);
        let mut queue = |outbox: &Outbox| match outbox.queue(frame.clone()) {
            Queued::First => {
                dirty.push(outbox.clone());
                true
            }
            Queued::Behind => true,
            Queued::Lost => false,
        };
        let mut lost = Vec::new();
        match &to {
            Audience::Conn(conn) => {
                if let Some(outbox) = links.get(*conn) {
                    queue(outbox);
                }
            }
            Audience::Conns(conns) => {
                for outbox in conns.iter().filter_map(|conn| links.get(*conn)) {
                    queue(outbox);
                }
            }
            Audience::Hosts | Audience::Everyone => {
                let mut send_all = |links: &mut HashMap<ConnId, Outbox>, role: Role| {
                    links.retain(|conn, outbox| {
                        let queued = queue(outbox);
                        if !queued {
                            lost.push((*conn, role));
                        }
                        queued
                    });
                };
                send_all(&mut links.hosts, Role::Host);
                if to == Audience::Everyone {
                    send_all(&mut links.phones, Role::Phone);
                }
            }
        }
        if frame.is_result() && to == Audience::Everyone {
            self.result_since.get_or_insert_with(std::time::Instant::now);
            self.env.metrics.result_queued();
        }
        for (conn, role) in lost {
            self.room.handle_unreachable(now(), conn, role);
        }
    }
}

/// Connections one thread writes at least, before a second helps: a hall's broadcast (thousands
/// of sockets, each write also running the kernel's TCP path) is spread over the cores; a few
/// hosts' screens are not worth a thread. A write costs ~10 µs here (the loopback's receiving
/// side included), so 512 sockets are ~5 ms of work against a thread started and joined in
/// tens of µs: a room of 2,000 is written on two cores, not one.
const WRITES_PER_THREAD: usize = 512;

/// Writes every outbox's queue to its socket, on as many cores as the machine has and the
/// number of connections is worth. Each outbox is written by one thread only, under its lock,
/// so every connection still gets its frames in order.
fn write_all(outboxes: &[Outbox], per_thread: usize) -> Written {
    // Asked once: the standard library reads the cgroup's CPU quota from /sys on every call
    // (open, read, close), and this runs after every batch (1-4 % of the server's CPU in the
    // join profiles).
    static CORES: std::sync::LazyLock<usize> =
        std::sync::LazyLock::new(|| std::thread::available_parallelism().map_or(1, usize::from));
    let cores = *CORES;
    let threads = cores.min(outboxes.len() / per_thread.max(1)).max(1);
    let write = |part: &[Outbox]| {
        let mut written = Written::default();
        for outbox in part {
            written += outbox.flush();
        }
        written
    };
    if threads == 1 {
        return write(outboxes);
    }
    let mut parts = outboxes.chunks(outboxes.len().div_ceil(threads));
    let mine = parts.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let mut written = Written::default();
        let mut others = Vec::new();
        for part in parts {
            // A thread the OS refuses (a limit reached) is no reason to leave sockets unwritten:
            // this one writes that part too.
            match std::thread::Builder::new().spawn_scoped(scope, move || write(part)) {
                Ok(other) => others.push(other),
                Err(_) => written += write(part),
            }
        }
        written += write(mine);
        for other in others {
            // A panic in a write is a bug, but the raffle carries on: the sockets that thread
            // did not reach are hung up by their heartbeat and resume.
            written += other.join().unwrap_or_else(|_| {
                tracing::error!("a thread writing a broadcast panicked");
                Written::default()
            });
        }
        written
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[test]
    fn a_batch_waits_only_for_what_is_left_of_the_spacing_since_the_previous_one_began() {
        let began = Instant::now();
        assert_eq!(batch_waits_until(None, began), None, "a quiet room's first request never waits");
        let soon = began + BATCH_SPACING / 5;
        assert_eq!(batch_waits_until(Some(began), soon), Some(began + BATCH_SPACING));
        // A batch whose commit and writes took the whole spacing or more: the next begins at once.
        assert_eq!(batch_waits_until(Some(began), began + BATCH_SPACING), None);
        assert_eq!(batch_waits_until(Some(began), began + 4 * BATCH_SPACING), None);
    }

    #[tokio::test]
    async fn a_broadcast_written_on_several_threads_reaches_every_socket_in_order() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut outboxes = Vec::new();
        let mut clients = Vec::new();
        for _ in 0..8 {
            let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            outboxes.push(Outbox::new(server, 4));
            clients.push(client);
        }
        for outbox in &outboxes {
            outbox.queue(Frame::raw(bytes::Bytes::from_static(b"first ")));
            outbox.queue(Frame::raw(bytes::Bytes::from_static(b"second")));
        }
        // Two per thread: as many threads as the machine has cores, up to four.
        assert_eq!(write_all(&outboxes, 2).frames, 16);
        for client in &mut clients {
            let mut got = [0u8; 12];
            client.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"first second");
        }
    }
}
