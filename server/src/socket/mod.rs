//! One task per WebSocket: it reads text frames (tungstenite checks them, `wire.rs`), turns them
//! into requests for a raffle task, and, side by side in the same task, writes what its socket
//! could not take when it was queued and pings (`writer.rs`): a phone asleep in a pocket often
//! vanishes without a close frame, and only a missing answer tells. When either side ends, so
//! does the other. Broadcasts never pass through here: the raffle writes them to the socket
//! itself (`outbox.rs`). Every message it answers with is built in `views.rs`.

mod handshake;
mod wire;
mod writer;

use crate::app_state::AppState;
use crate::connections::upgraded_stream;
use crate::guards::{frame_limiter, ConnectionTicket, Refused};
use crate::ids::new_token;
use crate::outbox::{Ended, Outbox};
use crate::raffle_task::{RaffleHandle, Request, RequestKind};
use crate::room::ConnId;
use crate::views;
use axum::{
    extract::{ConnectInfo, Request as HttpRequest, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use raffler_core::protocol::{valid_join_id, ClientMsg, Field, ServerMsg};
use raffler_core::raffle::Command;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};
use wire::{next_message, Wire};
use writer::{keep_writing, Alive};

/// Frames waiting to be written to one connection before it counts as stuck (a batch's run of
/// frames to one audience, `Frame::then`, counts once). Most frames never wait: they are
/// written as they are queued, and only a full socket keeps them.
const OUTBOX_FRAMES: usize = 64;
/// Small read buffers: tungstenite's default 128 KiB per connection would cost 2 GiB at 18,000,
/// and it allocates and zero-fills the whole buffer up front. A phone's frames (a join, a
/// resume, a claim) are a few hundred bytes; a larger one (up to `max_frame_bytes`) still
/// reads, in more than one `read`. 512 rather than 4 KiB saves 3.5 KiB per idle phone.
const READ_BUFFER: usize = 512;

/// A connection whose frames keep being refused for flooding is closed after this many.
const FLOOD_STRIKES: u32 = 50;
/// How long a closing connection is given to take its close frame and answer it.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// WebSocket close codes (RFC 6455 section 7.4.1).
mod close_code {
    pub const INVALID_PAYLOAD: u16 = 1007;
    pub const POLICY_VIOLATION: u16 = 1008;
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    pub const SERVICE_RESTART: u16 = 1012;
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: HttpRequest,
) -> Response {
    // Cross-site WebSocket hijacking: a page on another site must not drive a raffle with the
    // visitor's browser.
    let headers = request.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if !state.guards.origin_allowed(origin, host, &state.public_url) {
        tracing::warn!(origin, "refused a WebSocket from a foreign origin");
        return handshake::refusal(StatusCode::FORBIDDEN, "This page may not open a raffle connection.")
            .into_response();
    }
    let handshake = match handshake::check(request) {
        Ok(handshake) => handshake,
        Err(refusal) => return refusal.into_response(),
    };
    let answer = handshake.accept();
    let on_upgrade = handshake.on_upgrade;
    let ip = peer.ip();
    let tasks = state.tasks.clone();
    tasks.spawn(async move {
        let Ok(upgraded) = on_upgrade.await else { return };
        match upgraded_stream(upgraded) {
            Some((stream, read_ahead)) => serve(stream, read_ahead, state, ip).await,
            None => tracing::error!("an upgraded connection is not a TCP stream of ours"),
        }
    });
    answer
}

async fn serve(stream: TcpStream, read_ahead: Bytes, state: AppState, ip: IpAddr) {
    state.metrics.connections_open.inc();
    let metrics = state.metrics.clone();
    serve_connection(stream, read_ahead, state, ip).await;
    metrics.connections_open.dec();
}

async fn serve_connection(stream: TcpStream, read_ahead: Bytes, state: AppState, ip: IpAddr) {
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let outbox = Outbox::new(stream, OUTBOX_FRAMES);
    let metrics = state.metrics.clone();
    // Frames up to `max_frame_bytes` are read; up to 16x that get a polite `frame_too_large`;
    // beyond, tungstenite refuses them and the connection closes with 1009.
    let hard_limit = state.max_frame_bytes.saturating_mul(16);
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(hard_limit))
        .max_frame_size(Some(hard_limit));
    let mut ws = wire::websocket(outbox.clone(), &read_ahead, config);
    drop(read_ahead);
    let alive = Alive::new(state.heartbeat);
    let ticket = match state.guards.connect(ip) {
        Ok(ticket) => ticket,
        // Boxed, like every path an idle phone's task never takes: its future's size is what
        // each idle phone costs.
        Err(refused) => return Box::pin(refuse(&outbox, refused, &alive, &metrics)).await,
    };
    let frames_per_second = state.guards.limits().frames_per_second;
    let stop = state.stop.clone();
    let mut session = Session {
        conn,
        ip,
        outbox: outbox.clone(),
        state,
        raffle: None,
        frames: frame_limiter(frames_per_second),
        strikes: 0,
        _ticket: ticket,
    };
    // Reading and writing side by side in this one task; when either ends, so does the other.
    let mut writing = std::pin::pin!(keep_writing(&outbox, &alive, &metrics));
    tokio::select! {
        _ = &mut writing => {}
        () = stop.cancelled() => {
            // Every event is on disk: the screen reconnects once the server is back, quietly.
            outbox.close(close_code::SERVICE_RESTART, "server restarting");
            let _ = Box::pin(tokio::time::timeout(CLOSE_GRACE, &mut writing)).await;
        }
        end = session.read_frames(&mut ws, &alive) => {
            if let Some((code, reason)) = end {
                outbox.close(code, reason);
                // Let the close frame out, and read (and drop) what the peer still sends until it
                // answers the close: closing a socket with unread data makes the kernel send a
                // reset, and the peer would never see why it was closed. Not waited on for long.
                let _ = Box::pin(tokio::time::timeout(CLOSE_GRACE, async {
                    if (&mut writing).await == Ended::Closed {
                        while next_message(&mut ws).await.is_ok() {}
                    }
                }))
                .await;
            }
        }
    }
    outbox.shut_down();
    // Boxed for the same reason as `on_text`: only a closing connection needs its state.
    Box::pin(session.disconnected()).await;
}

/// Over the per-address limit, or the server's open files: says so on the page, then closes;
/// the browser retries later.
async fn refuse(outbox: &Outbox, refused: Refused, alive: &Alive, metrics: &crate::metrics::Metrics) {
    let reason = match refused {
        Refused::TooManyFromAddress => "too many connections",
        Refused::ServerFull => "server full",
    };
    outbox.send_msg(&views::connection_refused(refused));
    outbox.close(close_code::TRY_AGAIN_LATER, reason);
    let _ = tokio::time::timeout(CLOSE_GRACE, keep_writing(outbox, alive, metrics)).await;
    outbox.shut_down();
}

struct Session {
    conn: ConnId,
    ip: IpAddr,
    outbox: Outbox,
    state: AppState,
    /// The raffle this connection hosts or has joined; at most one.
    raffle: Option<(String, RaffleHandle)>,
    frames: governor::DefaultDirectRateLimiter,
    /// Frames refused for flooding since the last one accepted.
    strikes: u32,
    _ticket: ConnectionTicket,
}

impl Session {
    /// Reads until the connection ends; returns the close code to send, if the server ends it.
    async fn read_frames(&mut self, ws: &mut WebSocket<Wire>, alive: &Alive) -> Option<(u16, &'static str)> {
        loop {
            let message = match next_message(ws).await {
                Ok(message) => message,
                Err(err) => return close_for(err),
            };
            alive.heard();
            self.state.metrics.frames_in.inc();
            if !matches!(message, Message::Close(_) | Message::Pong(_)) && !self.within_frame_budget() {
                if self.strikes >= FLOOD_STRIKES {
                    tracing::warn!(ip = %self.ip, "closing a connection that keeps flooding");
                    return Some((close_code::POLICY_VIOLATION, "too many messages"));
                }
                continue;
            }
            match message {
                // Boxed: answering a message awaits the raffle with the message's fields held
                // across, a future several times the size of the rest of the session, which
                // every idle connection's task would otherwise carry (the heap profile).
                Message::Text(text) => Box::pin(self.on_text(text.as_str())).await,
                Message::Binary(_) => self.reply(views::binary_frame()),
                Message::Close(_) => {
                    // tungstenite queued the echo of the close: out it goes.
                    let _ = ws.flush();
                    return None;
                }
                Message::Ping(_) => {
                    let _ = ws.flush(); // the pong tungstenite queued
                }
                Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }

    /// Whether this frame fits the connection's rate; answers the ones that do not.
    fn within_frame_budget(&mut self) -> bool {
        match self.frames.check() {
            Ok(()) => {
                self.strikes = 0;
                true
            }
            Err(not_until) => {
                self.strikes += 1;
                let wait = not_until.wait_time_from(governor::clock::Clock::now(crate::guards::clock()));
                if self.strikes == 1 {
                    self.reply(views::too_fast(wait));
                }
                false
            }
        }
    }

    async fn on_text(&mut self, text: &str) {
        if text.len() > self.state.max_frame_bytes {
            return self.reply(views::frame_too_large(self.state.max_frame_bytes));
        }
        let msg = match ClientMsg::decode(text) {
            Ok(msg) => msg,
            Err(err) => return self.reply(err.to_server_msg()),
        };
        match msg {
            ClientMsg::Ping {} => self.reply(views::pong()),
            ClientMsg::StartRaffle {} => self.start_raffle(),
            ClientMsg::Join { code, name, join_id } => {
                if join_id.as_deref().is_some_and(|id| !valid_join_id(id)) {
                    return self.reply(views::bad_join_id());
                }
                // Joins per address are limited (bots filling the raffle); resumes never are.
                if let Err(wait) = self.state.guards.join(self.ip) {
                    return self.reply(views::too_many_joins(wait));
                }
                self.enter(&code, false, |done| RequestKind::Join { name, join_id, done }).await;
            }
            ClientMsg::Resume { code, token, last_seq } => {
                self.enter(&code, true, |done| RequestKind::Resume { token, last_seq, done }).await;
            }
            // An unknown code counts against the address like a join's (a wrong link does not:
            // 128 bits cannot be guessed).
            ClientMsg::PairRemote { code, link, pair_id } => {
                if pair_id.as_deref().is_some_and(|id| !valid_join_id(id)) {
                    return self.reply(views::bad_pair_id());
                }
                self.enter(&code, false, |done| RequestKind::PairRemote { link, pair_id, done }).await;
            }
            // The link is a secret like a token, so the server makes it, not the browser.
            ClientMsg::OpenRemoteLink {} => self.command(Command::OpenRemoteLink { link: new_token() }).await,
            other => {
                let command = other.into_command().expect("the session answers the rest itself");
                self.command(command).await
            }
        }
    }

    fn start_raffle(&mut self) {
        if self.raffle.is_some() {
            return self.reply(views::already_in_raffle(None));
        }
        if let Err(wait) = self.state.guards.start_raffle(self.ip) {
            return self.reply(views::too_many_raffles(wait));
        }
        match self.state.hub.start_raffle(self.conn, self.outbox.clone()) {
            Some((code, handle)) => self.raffle = Some((code, handle)),
            None => {
                self.reply(views::no_room_for_raffles());
            }
        }
    }

    /// Joins or resumes the raffle with this code; this connection belongs to it if that works.
    ///
    /// Joins with a code no raffle has count against the address, and an address over its
    /// allowance may not join any raffle for a while (so a lucky guess does not get in). A
    /// resume is never held back by that, nor counted: a hall shares one address, and a phone
    /// with a valid token must always get back in. A resume cannot be used to guess codes
    /// either: an unknown code and a bad token get the very same answer.
    async fn enter(
        &mut self,
        typed_code: &str,
        resume: bool,
        kind: impl FnOnce(oneshot::Sender<bool>) -> RequestKind,
    ) {
        if !resume {
            if let Err(wait) = self.state.guards.may_try_codes(self.ip) {
                return self.reply(views::too_many_wrong_codes(wait));
            }
        }
        let Some((code, handle)) = self.state.hub.find(typed_code) else {
            if resume {
                return self.reply(views::resume_refused(typed_code));
            }
            if let Err(wait) = self.state.guards.wrong_code(self.ip) {
                return self.reply(views::too_many_wrong_codes(wait));
            }
            return self.reply(views::unknown_code(typed_code));
        };
        if self.raffle.as_ref().is_some_and(|(current, _)| *current != code) {
            return self.reply(views::already_in_raffle(Some(Field::Code)));
        }
        let (done, answer) = oneshot::channel();
        let request = Request { conn: self.conn, outbox: self.outbox.clone(), kind: kind(done) };
        let answer = if handle.send(request).await { answer.await.ok() } else { None };
        match answer {
            Some(true) => self.raffle = Some((code, handle)),
            Some(false) => {}
            // Shutting down: the 1012 close says all there is to say.
            None if self.state.stop.is_cancelled() => {}
            // The raffle closed (ended long ago, or idle) between the look-up and the answer.
            None if resume => self.reply(views::resume_refused(&code)),
            None => self.reply(views::raffle_closed(&code)),
        }
    }

    async fn command(&mut self, command: Command) {
        let Some((_, handle)) = &self.raffle else {
            return self.reply(views::join_first());
        };
        let request =
            Request { conn: self.conn, outbox: self.outbox.clone(), kind: RequestKind::Command(command) };
        handle.send(request).await;
    }

    async fn disconnected(self) {
        if let Some((_, handle)) = self.raffle {
            handle
                .send(Request { conn: self.conn, outbox: self.outbox, kind: RequestKind::Disconnected })
                .await;
        }
    }

    fn reply(&self, msg: ServerMsg) {
        let written = self.outbox.send_msg(&msg);
        self.state.metrics.frames_out.inc_by(written.frames);
    }
}

/// The close code for a connection tungstenite gave up on.
fn close_for(err: tungstenite::Error) -> Option<(u16, &'static str)> {
    use tungstenite::error::ProtocolError;
    match err {
        // The phone went without a close frame (asleep, out of range, a storm): nobody to tell,
        // and a hall of them must not cost a close frame and a wait each.
        tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        tungstenite::Error::Capacity(_) => Some((close_code::MESSAGE_TOO_BIG, "message too big")),
        tungstenite::Error::Utf8(_) => Some((close_code::INVALID_PAYLOAD, "text frames must be UTF-8")),
        tungstenite::Error::Protocol(_) => Some((close_code::POLICY_VIOLATION, "protocol error")),
        _ => None, // the connection is gone: nobody to tell
    }
}
