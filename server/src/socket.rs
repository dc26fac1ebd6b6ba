//! One session per WebSocket: it reads text frames, turns them into requests for a raffle task,
//! and writes whatever lands in its outbox. Reading and writing run side by side; when either
//! ends, so does the other.

use crate::raffle_task::{ConnId, Outbox, RaffleHandle, Request, RequestKind};
use crate::{hub::Hub, AppState};
use app::protocol::{ClientMsg, ErrorCode, Field, ServerMsg};
use axum::{
    extract::{
        ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade},
        State,
    },
    response::Response,
};
use futures_util::{stream::SplitStream, SinkExt, StreamExt};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

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
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut rx) = mpsc::channel::<Utf8Bytes>(OUTBOX_FRAMES);
    let mut writer = tokio::spawn(async move {
        while let Some(frame) = rx.recv().await {
            if sink.send(Message::Text(frame)).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let mut session =
        Session { conn, outbox, hub: state.hub, max_frame_bytes: state.max_frame_bytes, raffle: None };
    tokio::select! {
        _ = &mut writer => {}
        () = session.read_frames(&mut stream) => {}
    }
    writer.abort();
    session.disconnected().await;
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
    async fn read_frames(&mut self, stream: &mut SplitStream<WebSocket>) {
        while let Some(Ok(message)) = stream.next().await {
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
        match ClientMsg::decode(text) {
            Ok(ClientMsg::StartRaffle) => self.start_raffle(),
            Ok(ClientMsg::Join { code, name }) => self.join(&code, name).await,
            Ok(ClientMsg::Draw) => self.draw().await,
            Err(err) => self.reply(err.to_server_msg()),
        }
    }

    fn start_raffle(&mut self) {
        if self.raffle.is_some() {
            return self.reply(already_in_raffle(None));
        }
        let (code, handle) = self.hub.start_raffle(self.conn, self.outbox.clone());
        self.raffle = Some((code, handle));
    }

    async fn join(&mut self, typed_code: &str, name: String) {
        if self.raffle.is_some() {
            return self.reply(already_in_raffle(Some(Field::Code)));
        }
        let Some((code, handle)) = self.hub.find(typed_code) else {
            let msg = if typed_code.trim().is_empty() {
                "Please type the join code from the big screen.".to_owned()
            } else {
                format!("No raffle has the code {}. Check the big screen.", typed_code.trim())
            };
            return self.reply(ServerMsg::error(ErrorCode::UnknownCode, Some(Field::Code), msg));
        };
        let (joined, answer) = oneshot::channel();
        let request = Request {
            conn: self.conn,
            outbox: self.outbox.clone(),
            kind: RequestKind::Join { name, joined },
        };
        if handle.send(request).await && answer.await == Ok(true) {
            self.raffle = Some((code, handle));
        }
    }

    async fn draw(&mut self) {
        let Some((_, handle)) = &self.raffle else {
            let msg = "Only the host's screen can draw.";
            return self.reply(ServerMsg::error(ErrorCode::NotHost, Some(Field::Draw), msg));
        };
        handle.send(Request { conn: self.conn, outbox: self.outbox.clone(), kind: RequestKind::Draw }).await;
    }

    async fn disconnected(self) {
        if let Some((_, handle)) = self.raffle {
            handle
                .send(Request { conn: self.conn, outbox: self.outbox, kind: RequestKind::Disconnected })
                .await;
        }
    }

    fn reply(&self, msg: ServerMsg) {
        let _ = self.outbox.try_send(Utf8Bytes::from(msg.to_json()));
    }
}

fn already_in_raffle(field: Option<Field>) -> ServerMsg {
    ServerMsg::error(
        ErrorCode::AlreadyInRaffle,
        field,
        "This screen is already in a raffle. Reload the page to start over.",
    )
}
