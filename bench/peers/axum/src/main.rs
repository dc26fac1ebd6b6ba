//! The bench's bare axum peer: what a Rust developer would write for Raffler's frames with axum
//! alone. Raffles in a mutex-guarded map, no database, no tokens, no limits, no heartbeat; each
//! connection has a reader task and a writer task; a draw serializes its `winner_drawn` once and
//! sends it through the raffle's tokio broadcast channel, which every phone's writer drains.
//! The host hears `players_joined` batches at most ten times a second, as Raffler's does, so
//! that the load generator drives it unchanged. The floor the bench compares Raffler with.
//!
//! `peer-axum --port 3202` (WebSocket at `/ws`, on 127.0.0.1).

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

#[path = "../../roll.rs"]
mod roll;
use roll::Roll;

/// One raffle: its host's way in, its phones' shared channel, and its players.
struct Raffle {
    host: mpsc::UnboundedSender<Utf8Bytes>,
    phones: broadcast::Sender<Utf8Bytes>,
    roll: Roll,
}

type Raffles = Arc<Mutex<HashMap<String, Raffle>>>;

#[tokio::main]
async fn main() {
    let port: u16 =
        std::env::args().skip_while(|a| a != "--port").nth(1).and_then(|p| p.parse().ok()).unwrap_or(3202);
    let raffles: Raffles = Arc::default();
    tokio::spawn(batch_hosts(raffles.clone()));
    let app = axum::Router::new().route("/ws", get(upgrade)).with_state(raffles);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("a free port");
    eprintln!("axum peer pid={} on 127.0.0.1:{port}", std::process::id());
    axum::serve(listener, app).await.expect("serving");
}

/// New players to each host, at most ten times a second.
async fn batch_hosts(raffles: Raffles) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        for raffle in raffles.lock().expect("not poisoned").values_mut() {
            if let Some(batch) = raffle.roll.host_batch() {
                let _ = raffle.host.send(batch.to_string().into());
            }
        }
    }
}

async fn upgrade(ws: WebSocketUpgrade, State(raffles): State<Raffles>) -> Response {
    // The read buffer Raffler uses (tungstenite's default is 128 KiB per connection).
    ws.read_buffer_size(4096).on_upgrade(move |socket| session(socket, raffles))
}

async fn session(socket: WebSocket, raffles: Raffles) {
    let (mut sink, mut stream) = socket.split();
    // This connection's own frames (answers), and, once it joined, its raffle's broadcasts.
    let (own_tx, mut own_rx) = mpsc::unbounded_channel::<Utf8Bytes>();
    let (sub_tx, mut sub_rx) = mpsc::unbounded_channel::<broadcast::Receiver<Utf8Bytes>>();
    let writer = tokio::spawn(async move {
        let mut broadcasts: Option<broadcast::Receiver<Utf8Bytes>> = None;
        loop {
            let frame = tokio::select! {
                Some(frame) = own_rx.recv() => frame,
                Some(rx) = sub_rx.recv() => { broadcasts = Some(rx); continue; }
                frame = async { broadcasts.as_mut().expect("subscribed").recv().await }, if broadcasts.is_some() => {
                    match frame { Ok(frame) => frame, Err(_) => break }
                }
                else => break,
            };
            if sink.send(Message::Text(frame)).await.is_err() {
                break;
            }
        }
    });
    let mut hosting: Option<String> = None;
    while let Some(Ok(message)) = stream.next().await {
        let Message::Text(text) = message else { continue };
        let Ok(msg) = serde_json::from_str::<Value>(text.as_str()) else { continue };
        let send = |v: Value| drop(own_tx.send(v.to_string().into()));
        match msg["type"].as_str() {
            Some("start_raffle") => {
                let (code, roll, started) = Roll::start();
                let (phones, _) = broadcast::channel(64);
                let raffle = Raffle { host: own_tx.clone(), phones, roll };
                raffles.lock().expect("not poisoned").insert(code.clone(), raffle);
                send(started);
                hosting = Some(code);
            }
            Some("join") => {
                let code = msg["code"].as_str().unwrap_or_default();
                let mut map = raffles.lock().expect("not poisoned");
                let Some(raffle) = map.get_mut(code) else {
                    send(roll::unknown_code());
                    continue;
                };
                let _ = sub_tx.send(raffle.phones.subscribe());
                send(raffle.roll.join(code, &msg));
            }
            Some("draw") => {
                let mut map = raffles.lock().expect("not poisoned");
                let Some(raffle) = hosting.as_ref().and_then(|c| map.get_mut(c)) else { continue };
                if let Some(result) = raffle.roll.draw(&msg) {
                    let _ = raffle.phones.send(result.to_string().into());
                }
            }
            Some("ping") => send(json!({"type": "pong"})),
            _ => {}
        }
    }
    writer.abort();
}
