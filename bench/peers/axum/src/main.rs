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
use rand::Rng;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// One raffle: its phones' shared channel, its players, and those the host has not heard of.
struct Raffle {
    host: mpsc::UnboundedSender<Utf8Bytes>,
    phones: broadcast::Sender<Utf8Bytes>,
    players: Vec<Value>,
    pending: Vec<Value>,
    seq: u64,
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
            if !raffle.pending.is_empty() {
                let players = std::mem::take(&mut raffle.pending);
                let msg =
                    json!({"type": "players_joined", "players": players, "total": raffle.players.len()});
                let _ = raffle.host.send(msg.to_string().into());
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
                let code: String = {
                    let mut rng = rand::rng();
                    (0..6)
                        .map(|_| b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[rng.random_range(0..32)] as char)
                        .collect()
                };
                let (phones, _) = broadcast::channel(64);
                let raffle =
                    Raffle { host: own_tx.clone(), phones, players: Vec::new(), pending: Vec::new(), seq: 1 };
                raffles.lock().expect("not poisoned").insert(code.clone(), raffle);
                send(json!({"type": "raffle_started", "code": code, "host_token": "0".repeat(32)}));
                hosting = Some(code);
            }
            Some("join") => {
                let code = msg["code"].as_str().unwrap_or_default().to_owned();
                let mut map = raffles.lock().expect("not poisoned");
                let Some(raffle) = map.get_mut(&code) else {
                    send(
                        json!({"type": "error", "code": "unknown_code", "field": "code", "message": "no such raffle"}),
                    );
                    continue;
                };
                let you = json!({"id": raffle.players.len() + 1, "name": msg["name"]});
                raffle.players.push(you.clone());
                raffle.pending.push(you.clone());
                raffle.seq += 1;
                let _ = sub_tx.send(raffle.phones.subscribe());
                send(
                    json!({"type": "joined", "seq": raffle.seq, "code": code, "token": "1".repeat(32), "you": you}),
                );
            }
            Some("draw") => {
                let mut map = raffles.lock().expect("not poisoned");
                let Some(raffle) = hosting.as_ref().and_then(|c| map.get_mut(c)) else { continue };
                if raffle.players.is_empty() {
                    continue;
                }
                let winner = raffle.players[rand::rng().random_range(0..raffle.players.len())].clone();
                raffle.seq += 2; // Raffler's draw_started and winner_drawn
                let frame = json!({"type": "winner_drawn", "seq": raffle.seq, "draw": msg["draw"], "prize": null, "winner": winner, "claim_seconds": 0});
                let _ = raffle.phones.send(frame.to_string().into());
            }
            Some("ping") => send(json!({"type": "pong"})),
            _ => {}
        }
    }
    writer.abort();
}
