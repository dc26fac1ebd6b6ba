//! One session per WebSocket: it reads text frames, turns them into requests for a raffle task,
//! and writes whatever lands in its outbox. Reading and writing run side by side; when either
//! ends, so does the other. The writer also pings: a phone asleep in a pocket often vanishes
//! without a close frame, and only a missing answer tells.

use crate::outbox::{outbox, Outbox, OutboxReceiver};
use crate::raffle_task::{ConnId, RaffleHandle, Request, RequestKind};
use crate::{hub::Hub, AppState};
use app::protocol::{ClientMsg, ErrorCode, Field, ServerMsg};
use app::raffle::{Command, DrawNumber, PlayerId, PrizeId};
use axum::{
    extract::{
        ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade},
        State,
    },
    response::Response,
};
use futures_util::{
    stream::{SplitSink, SplitStream},
    SinkExt, StreamExt,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// Frames waiting to be written to one connection before it counts as stuck.
const OUTBOX_FRAMES: usize = 64;
/// Small read buffers: tungstenite's default 128 KiB per connection would cost 2 GiB at 18,000.
const READ_BUFFER: usize = 4_096;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

pub async fn upgrade(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    // Frames up to `max_frame_bytes` are read; up to 16x that get a polite `frame_too_large`;
    // beyond, the socket layer closes the connection rather than buffer megabytes.
    let hard_limit = state.max_frame_bytes.saturating_mul(16);
    ws.read_buffer_size(READ_BUFFER)
        .max_message_size(hard_limit)
        .max_frame_size(hard_limit)
        .on_upgrade(move |socket| serve(socket, state))
}

async fn serve(socket: WebSocket, state: AppState) {
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let (sink, mut stream) = socket.split();
    let (outbox, rx) = outbox(OUTBOX_FRAMES);
    let started = Instant::now();
    let last_heard = Arc::new(AtomicU64::new(0));
    let mut writer = tokio::spawn(write_frames(sink, rx, state.heartbeat, started, last_heard.clone()));
    let mut session =
        Session { conn, outbox, hub: state.hub, max_frame_bytes: state.max_frame_bytes, raffle: None };
    tokio::select! {
        _ = &mut writer => {}
        () = session.read_frames(&mut stream, started, &last_heard) => {}
    }
    writer.abort();
    session.disconnected().await;
}

/// Writes queued frames, and pings every `heartbeat`; closes when nothing was heard from the
/// other side for two heartbeats, or when the outbox hangs up.
async fn write_frames(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: OutboxReceiver,
    heartbeat: Duration,
    started: Instant,
    last_heard: Arc<AtomicU64>,
) {
    let mut ticker = tokio::time::interval_at(started + heartbeat, heartbeat);
    loop {
        tokio::select! {
            frame = rx.frames.recv() => match frame {
                Some(frame) => if sink.send(Message::Text(frame)).await.is_err() { return },
                None => break,
            },
            () = rx.hang_up.notified() => break,
            _ = ticker.tick() => {
                let silent_for = started.elapsed().saturating_sub(Duration::from_millis(last_heard.load(Ordering::Relaxed)));
                if silent_for > heartbeat * 2 {
                    tracing::debug!("closing a connection that stopped answering pings");
                    break;
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
        }
    }
    let _ = sink.close().await;
}

struct Session {
    conn: ConnId,
    outbox: Outbox,
    hub: Hub,
    max_frame_bytes: usize,
    /// The raffle this connection hosts or has joined; at most one.
    raffle: Option<(String, RaffleHandle)>,
}

impl Session {
    async fn read_frames(
        &mut self,
        stream: &mut SplitStream<WebSocket>,
        started: Instant,
        last_heard: &AtomicU64,
    ) {
        while let Some(Ok(message)) = stream.next().await {
            last_heard.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
            match message {
                Message::Text(text) => self.on_text(text.as_str()).await,
                Message::Binary(_) => self.reply(ServerMsg::error(
                    ErrorCode::MalformedFrame,
                    None,
                    "Send JSON in text frames, not binary ones.",
                )),
                Message::Close(_) => break,
                Message::Ping(_) | Message::Pong(_) => {}
            }
        }
    }

    async fn on_text(&mut self, text: &str) {
        if text.len() > self.max_frame_bytes {
            let max = self.max_frame_bytes;
            let msg = format!("That message is too large: {max} bytes at most.");
            return self.reply(ServerMsg::error(ErrorCode::FrameTooLarge, None, msg));
        }
        let msg = match ClientMsg::decode(text) {
            Ok(msg) => msg,
            Err(err) => return self.reply(err.to_server_msg()),
        };
        match msg {
            ClientMsg::Ping {} => self.reply(ServerMsg::Pong),
            ClientMsg::StartRaffle {} => self.start_raffle(),
            ClientMsg::Join { code, name } => {
                self.enter(&code, |done| RequestKind::Join { name, done }).await;
            }
            ClientMsg::Resume { code, token, last_seq } => {
                self.enter(&code, |done| RequestKind::Resume { token, last_seq, done }).await;
            }
            other => self.command(to_command(other)).await,
        }
    }

    fn start_raffle(&mut self) {
        if self.raffle.is_some() {
            return self.reply(already_in_raffle(None));
        }
        let (code, handle) = self.hub.start_raffle(self.conn, self.outbox.clone());
        self.raffle = Some((code, handle));
    }

    /// Joins or resumes the raffle with this code; this connection belongs to it if that works.
    async fn enter(&mut self, typed_code: &str, kind: impl FnOnce(oneshot::Sender<bool>) -> RequestKind) {
        let Some((code, handle)) = self.hub.find(typed_code) else {
            let msg = if typed_code.trim().is_empty() {
                "Please type the join code from the big screen.".to_owned()
            } else {
                format!("No raffle has the code {}. Check the big screen.", typed_code.trim())
            };
            return self.reply(ServerMsg::error(ErrorCode::UnknownCode, Some(Field::Code), msg));
        };
        if self.raffle.as_ref().is_some_and(|(current, _)| *current != code) {
            return self.reply(already_in_raffle(Some(Field::Code)));
        }
        let (done, answer) = oneshot::channel();
        let request = Request { conn: self.conn, outbox: self.outbox.clone(), kind: kind(done) };
        if handle.send(request).await && answer.await == Ok(true) {
            self.raffle = Some((code, handle));
        }
    }

    async fn command(&mut self, command: Command) {
        let Some((_, handle)) = &self.raffle else {
            let msg = "Join or start a raffle first.";
            return self.reply(ServerMsg::error(ErrorCode::NotAllowed, None, msg));
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
        self.outbox.send(Utf8Bytes::from(msg.to_json()));
    }
}

/// The raffle command a message asks for. Messages handled by the session itself never get here.
fn to_command(msg: ClientMsg) -> Command {
    match msg {
        ClientMsg::Leave {} => Command::Leave,
        ClientMsg::Claim { draw } => Command::Claim { draw: DrawNumber(draw) },
        ClientMsg::AddPrize { name } => Command::AddPrize { name },
        ClientMsg::RenamePrize { prize, name } => Command::RenamePrize { prize: PrizeId(prize), name },
        ClientMsg::RemovePrize { prize } => Command::RemovePrize { prize: PrizeId(prize) },
        ClientMsg::Draw { draw, prize } => {
            Command::Draw { draw: DrawNumber(draw), prize: prize.map(PrizeId) }
        }
        ClientMsg::Redraw { draw } => Command::Redraw { draw: DrawNumber(draw) },
        ClientMsg::SetJoining { open } => Command::SetJoining { open },
        ClientMsg::SetRepeatWinners { allowed } => Command::SetRepeatWinners { allowed },
        ClientMsg::SetClaimSeconds { seconds } => Command::SetClaimSeconds { seconds },
        ClientMsg::RemovePlayer { player } => Command::RemovePlayer { player: PlayerId(player) },
        ClientMsg::EndRaffle {} => Command::End,
        ClientMsg::Ping {}
        | ClientMsg::StartRaffle {}
        | ClientMsg::Join { .. }
        | ClientMsg::Resume { .. } => {
            unreachable!("handled by the session")
        }
    }
}

fn already_in_raffle(field: Option<Field>) -> ServerMsg {
    ServerMsg::error(
        ErrorCode::AlreadyInRaffle,
        field,
        "This screen is already in another raffle. Reload the page.",
    )
}
