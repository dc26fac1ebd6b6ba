//! One task per raffle: the only owner of its [`Raffle`]. Sessions send it requests over a
//! bounded channel; it answers the asker, and fans events out to the host and the phones as
//! frames serialized once and shared by every connection.

use app::protocol::{ErrorCode, Field, PlayerView, ServerMsg};
use app::raffle::{Command, Event, Millis, PlayerId, Raffle, Settings};
use axum::extract::ws::Utf8Bytes;
use rand::{rngs::StdRng, SeedableRng};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

/// A connection's queue of outgoing frames. Bounded: a phone that stops reading is dropped,
/// never allowed to grow the server's memory.
pub type Outbox = mpsc::Sender<Utf8Bytes>;
pub type ConnId = u64;

/// How many requests may wait for a raffle before senders wait their turn.
const INBOX: usize = 1_024;

pub struct Request {
    pub conn: ConnId,
    pub outbox: Outbox,
    pub kind: RequestKind,
}

pub enum RequestKind {
    /// Join under `name`; `joined` learns whether it worked.
    Join {
        name: String,
        joined: oneshot::Sender<bool>,
    },
    Draw,
    /// The connection closed. Its player stays in the raffle.
    Disconnected,
}

#[derive(Clone)]
pub struct RaffleHandle {
    tx: mpsc::Sender<Request>,
}

impl RaffleHandle {
    /// Delivers a request; `false` if the raffle is gone.
    pub async fn send(&self, request: Request) -> bool {
        self.tx.send(request).await.is_ok()
    }
}

pub struct Start {
    pub code: String,
    pub join_url: String,
    pub settings: Settings,
    pub host_conn: ConnId,
    pub host: Outbox,
}

pub fn spawn(start: Start) -> RaffleHandle {
    let (tx, rx) = mpsc::channel(INBOX);
    let welcome = ServerMsg::RaffleStarted {
        code: start.code.clone(),
        join_url: start.join_url,
        qr_svg_url: format!("/raffles/{}/qr.svg", start.code),
        spin_ms: start.settings.spin.0,
    };
    send_to(&start.host, &welcome);
    let task = RaffleTask {
        raffle: Raffle::new(start.settings, Box::new(StdRng::from_os_rng())),
        code: start.code,
        host: (start.host_conn, start.host),
        phones: HashMap::new(),
    };
    tokio::spawn(task.run(rx));
    RaffleHandle { tx }
}

struct RaffleTask {
    raffle: Raffle,
    code: String,
    host: (ConnId, Outbox),
    /// The phones connected now, by connection.
    phones: HashMap<ConnId, (Outbox, PlayerId)>,
}

impl RaffleTask {
    async fn run(mut self, mut rx: mpsc::Receiver<Request>) {
        loop {
            let wake = self.raffle.poll_timeout().map(|at| Duration::from_millis(at.saturating_sub(now()).0));
            tokio::select! {
                request = rx.recv() => match request {
                    Some(request) => self.on_request(request),
                    None => break,
                },
                () = sleep_or_never(wake) => {
                    let events = self.raffle.handle_timeout(now());
                    self.publish(events);
                }
            }
        }
    }

    fn on_request(&mut self, Request { conn, outbox, kind }: Request) {
        match kind {
            RequestKind::Join { name, joined } => {
                let ok = self.join(conn, outbox, name);
                let _ = joined.send(ok);
            }
            RequestKind::Draw if conn != self.host.0 => send_to(
                &outbox,
                &ServerMsg::error(ErrorCode::NotHost, Some(Field::Draw), "Only the host's screen can draw."),
            ),
            RequestKind::Draw => match self.raffle.handle(now(), Command::StartDraw) {
                Ok(events) => self.publish(events),
                Err(why) => send_to(&outbox, &ServerMsg::rejected(&why)),
            },
            RequestKind::Disconnected => {
                self.phones.remove(&conn);
            }
        }
    }

    fn join(&mut self, conn: ConnId, outbox: Outbox, name: String) -> bool {
        if self.phones.contains_key(&conn) || conn == self.host.0 {
            let msg = "This screen is already in the raffle.";
            send_to(&outbox, &ServerMsg::error(ErrorCode::AlreadyInRaffle, Some(Field::Name), msg));
            return false;
        }
        match self.raffle.handle(now(), Command::Join { name }) {
            Ok(events) => {
                for event in events {
                    if let Event::PlayerJoined(player) = &event {
                        let you = PlayerView::from(player);
                        send_to(&outbox, &ServerMsg::Joined { code: self.code.clone(), you });
                        self.phones.insert(conn, (outbox.clone(), player.id));
                    }
                    self.publish(vec![event]);
                }
                true
            }
            Err(why) => {
                send_to(&outbox, &ServerMsg::rejected(&why));
                false
            }
        }
    }

    fn publish(&mut self, events: Vec<Event>) {
        for event in events {
            match event {
                Event::PlayerJoined(player) => {
                    let total = self.raffle.players().len() as u32;
                    let msg = ServerMsg::PlayersJoined { players: vec![PlayerView::from(&player)], total };
                    send_to(&self.host.1, &msg);
                }
                Event::DrawStarted { draw, reveal_at } => {
                    tracing::info!(code = self.code, draw = draw.0, "draw started");
                    let spin_ms = reveal_at.saturating_sub(now()).0;
                    self.broadcast(&ServerMsg::DrawStarted { draw: draw.0, spin_ms });
                }
                Event::WinnerDrawn { draw, winner } => {
                    tracing::info!(code = self.code, draw = draw.0, winner = winner.id.0, "winner drawn");
                    self.broadcast(&ServerMsg::WinnerDrawn {
                        draw: draw.0,
                        winner: PlayerView::from(&winner),
                    });
                }
            }
        }
    }

    /// Serializes once; every connection gets the same bytes.
    fn broadcast(&mut self, msg: &ServerMsg) {
        let frame = Utf8Bytes::from(msg.to_json());
        let _ = self.host.1.try_send(frame.clone());
        self.phones.retain(|_, (outbox, _)| match outbox.try_send(frame.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => false,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!("dropping a phone that stopped reading");
                false
            }
        });
    }
}

/// Sends one message to one connection. A full or closed queue means that connection is
/// stuck or gone; the frame is dropped rather than stall the raffle for everyone else.
fn send_to(outbox: &Outbox, msg: &ServerMsg) {
    let _ = outbox.try_send(Utf8Bytes::from(msg.to_json()));
}

async fn sleep_or_never(wake: Option<Duration>) {
    match wake {
        Some(after) => tokio::time::sleep(after).await,
        None => std::future::pending().await,
    }
}

fn now() -> Millis {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Millis(since_epoch.as_millis() as u64)
}
