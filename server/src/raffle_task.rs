//! One task per raffle: the only owner of its [`Raffle`]. Sessions send it requests over a
//! bounded channel; it answers the asker, and fans events out to the hosts and the phones as
//! frames serialized once and shared by every connection.

use crate::views;
use app::protocol::{ErrorCode, Field, PlayerView, ServerMsg};
use app::raffle::{Actor, Command, Event, EventKind, Millis, PlayerId, Raffle, Settings, Token};
use axum::extract::ws::Utf8Bytes;
use rand::{rngs::StdRng, SeedableRng};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

pub use crate::outbox::Outbox;
pub type ConnId = u64;

/// How many requests may wait for a raffle before senders wait their turn.
const INBOX: usize = 1_024;
/// The host's list of names is updated at most this often, however fast people join.
const HOST_BATCH: Duration = Duration::from_millis(100);
/// A returning phone that missed more than this many messages gets a snapshot instead; it also
/// keeps a replay well inside the phone's outbox.
const MAX_REPLAY: usize = 32;

pub struct Request {
    pub conn: ConnId,
    pub outbox: Outbox,
    pub kind: RequestKind,
}

pub enum RequestKind {
    /// Join under `name`; `done` learns whether it worked.
    Join { name: String, done: oneshot::Sender<bool> },
    /// Come back as whoever `token` names; `done` learns whether it did.
    Resume { token: String, last_seq: Option<u64>, done: oneshot::Sender<bool> },
    /// Any other command; the task knows who the connection is.
    Command(Command),
    /// The connection closed. Its player stays in the raffle.
    Disconnected,
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

pub fn spawn(start: Start) -> RaffleHandle {
    let (tx, rx) = mpsc::channel(INBOX);
    let ended = Arc::new(AtomicBool::new(false));
    let (raffle, first) =
        Raffle::new(start.settings, now(), start.host_token.clone(), Box::new(StdRng::from_os_rng()));
    let mut task = RaffleTask {
        raffle,
        log: vec![first],
        qr_svg_url: format!("/raffles/{}/qr.svg", start.code),
        code: start.code,
        join_url: start.join_url,
        hosts: HashMap::new(),
        phones: HashMap::new(),
        connected: HashMap::new(),
        batch: HostBatch::default(),
        ended: ended.clone(),
    };
    send_to(
        &start.host,
        &ServerMsg::RaffleStarted { code: task.code.clone(), host_token: start.host_token.expose().into() },
    );
    task.attach_host(start.host_conn, start.host);
    tokio::spawn(task.run(rx));
    RaffleHandle { tx, ended }
}

/// Changes to the host's player list not sent yet: coalesced so that 1,000 joins a second
/// reach the host as 10 messages.
#[derive(Default)]
struct HostBatch {
    joined: Vec<PlayerView>,
    gone: Vec<u32>,
    presence: bool,
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
    ended: Arc<AtomicBool>,
}

impl RaffleTask {
    async fn run(mut self, mut rx: mpsc::Receiver<Request>) {
        loop {
            let reveal = self.raffle.poll_timeout().map(|at| Instant::now() + millis_until(at));
            let wake = [reveal, self.batch.flush_at].into_iter().flatten().min();
            tokio::select! {
                request = rx.recv() => match request {
                    Some(request) => self.on_request(request),
                    None => break,
                },
                () = sleep_until_or_never(wake) => {
                    let events = self.raffle.handle_timeout(now());
                    self.publish(events);
                    if self.batch.flush_at.is_some_and(|at| at <= Instant::now()) {
                        self.flush_host_batch();
                    }
                }
            }
        }
    }

    fn on_request(&mut self, Request { conn, outbox, kind }: Request) {
        match kind {
            RequestKind::Join { name, done } => {
                let _ = done.send(self.join(conn, outbox, name));
            }
            RequestKind::Resume { token, last_seq, done } => {
                let _ = done.send(self.resume(conn, outbox, &Token::new(token), last_seq));
            }
            RequestKind::Command(command) => self.command(conn, outbox, command),
            RequestKind::Disconnected => self.detach(conn),
        }
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

    fn join(&mut self, conn: ConnId, outbox: Outbox, name: String) -> bool {
        let token = crate::hub::new_token();
        let command = Command::Join { name, token: token.clone() };
        match self.raffle.handle(now(), self.actor(conn), command) {
            Ok(events) => {
                let Some(EventKind::PlayerJoined { player, .. }) = events.first().map(|e| &e.kind) else {
                    unreachable!("a join that succeeds reports the player")
                };
                let you = views::player_view(self.raffle.player(*player).expect("just joined"));
                let seq = events.last().map_or(0, |e| e.seq);
                let token = token.expose().to_owned();
                send_to(&outbox, &ServerMsg::Joined { seq, code: self.code.clone(), token, you });
                self.attach_phone(conn, outbox, *player);
                self.publish(events);
                true
            }
            Err(why) => {
                send_to(&outbox, &ServerMsg::rejected(&why));
                false
            }
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
                let msg = "This screen is no longer in the raffle: it left or was removed. Join again.";
                send_to(&outbox, &ServerMsg::error(ErrorCode::BadToken, Some(Field::Name), msg));
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
            }
            _ => {
                let you = views::player_view(self.raffle.player(player).expect("identified players exist"));
                let draws =
                    self.raffle.draws().iter().map(|d| views::draw_view(&self.raffle, d, now)).collect();
                let seq = self.raffle.last_seq();
                let ended = self.raffle.has_ended();
                send_to(
                    outbox,
                    &ServerMsg::PlayerSnapshot { seq, code: self.code.clone(), you, ended, draws },
                );
            }
        }
    }

    fn command(&mut self, conn: ConnId, outbox: Outbox, command: Command) {
        let repeatable = matches!(command, Command::Draw { .. } | Command::Redraw { .. });
        match self.raffle.handle(now(), self.actor(conn), command) {
            // The same draw asked again: the first result is the answer.
            Ok(events) if events.is_empty() && repeatable => send_to(&outbox, &self.board_msg()),
            Ok(events) => self.publish(events),
            Err(why) => send_to(&outbox, &ServerMsg::rejected(&why)),
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
                EventKind::WinnerDrawn { draw, winner } => {
                    tracing::info!(code = self.code, draw = draw.0, winner = winner.0, "winner drawn")
                }
                EventKind::Ended => {
                    self.ended.store(true, Ordering::Relaxed);
                    tracing::info!(code = self.code, "raffle ended")
                }
                _ => {}
            }
            if let Some(msg) = views::public_message(&self.raffle, &event, now) {
                self.broadcast(&msg);
            }
            self.log.push(event);
        }
        if board_changed {
            self.flush_host_batch();
            let frame = frame(&self.board_msg());
            self.hosts.retain(|_, outbox| outbox.send(frame.clone()));
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

    fn flush_host_batch(&mut self) {
        let batch = std::mem::take(&mut self.batch);
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

pub fn now() -> Millis {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Millis(since_epoch.as_millis() as u64)
}
