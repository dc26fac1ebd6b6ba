//! The bench's bound: not a server anyone would deploy, but the least any server can do for a
//! draw on this bench, measured with the same load generator as Raffler and the peers.
//!
//! A draw frames its `winner_drawn` once and writes those bytes to every phone's socket with one
//! `write(2)` each, from one thread per core, and does nothing else: no queue, no task to wake,
//! no bookkeeping, no database, no heartbeat. What is left of its time per result is the
//! kernel's (on loopback the sending `write` also runs the receiving socket's TCP path) and the
//! load generator's, which every server on this bench pays as well. So its p99 is what a
//! server's p99 could at best come down to here, and Raffler's distance from it is all that
//! better code could still win (README, Performance).
//!
//! Joins, the host's `players_joined` batches (at most ten a second) and answers go through
//! tokio-tungstenite as in any server; the draw's writes bypass it. That is sound here because
//! after its `joined` a phone is sent nothing else through tungstenite, and a phone's socket is
//! taken out of its raffle (under the raffle's lock, which a draw holds while writing) before it
//! is closed.
//!
//! `peer-bound --port 3204` (WebSocket at any path, on 127.0.0.1).

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

#[path = "../../roll.rs"]
mod roll;
use roll::Roll;

/// One raffle: its host's way in, its phones' sockets, and its players.
struct Raffle {
    host: mpsc::UnboundedSender<String>,
    /// Every joined phone's socket by connection number: a draw writes to these.
    phones: HashMap<u64, RawFd>,
    roll: Roll,
}

type Raffles = Arc<Mutex<HashMap<String, Raffle>>>;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 =
        std::env::args().skip_while(|a| a != "--port").nth(1).and_then(|p| p.parse().ok()).unwrap_or(3204);
    let raffles: Raffles = Arc::default();
    tokio::spawn(batch_hosts(raffles.clone()));
    // The backlog Raffler's listener has (tokio's `bind` would give 1,024): a hall joining at
    // once waits in the kernel, not in SYN retries, here as there.
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(([127, 0, 0, 1], port).into())?;
    let listener = socket.listen(4096)?;
    eprintln!("bound peer pid={} on 127.0.0.1:{port}", std::process::id());
    let mut next = 0;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                next += 1;
                tokio::spawn(session(stream, next, raffles.clone()));
            }
            // Out of files: the next accept may succeed once a connection has gone.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// New players to each host, at most ten times a second.
async fn batch_hosts(raffles: Raffles) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        for raffle in raffles.lock().expect("not poisoned").values_mut() {
            if let Some(batch) = raffle.roll.host_batch() {
                let _ = raffle.host.send(batch.to_string());
            }
        }
    }
}

async fn session(stream: TcpStream, id: u64, raffles: Raffles) {
    let fd = stream.as_raw_fd();
    // The read buffer Raffler and the bench's other peers use.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else { return };
    let (host_tx, mut host_rx) = mpsc::unbounded_channel::<String>();
    let mut hosting: Option<String> = None;
    let mut joined: Option<String> = None;
    loop {
        let text = tokio::select! {
            Some(batch) = host_rx.recv() => {
                if ws.send(Message::text(batch)).await.is_err() { break }
                continue;
            }
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(_)) => continue,
                _ => break,
            },
        };
        let Ok(msg) = serde_json::from_str::<Value>(text.as_str()) else { continue };
        let answer = match msg["type"].as_str() {
            Some("start_raffle") => {
                let (code, roll, started) = Roll::start();
                let raffle = Raffle { host: host_tx.clone(), phones: HashMap::new(), roll };
                raffles.lock().expect("not poisoned").insert(code.clone(), raffle);
                hosting = Some(code);
                started
            }
            Some("join") => {
                let code = msg["code"].as_str().unwrap_or_default();
                let mut map = raffles.lock().expect("not poisoned");
                match map.get_mut(code) {
                    Some(raffle) => {
                        raffle.phones.insert(id, fd);
                        joined = Some(code.to_owned());
                        raffle.roll.join(code, &msg)
                    }
                    None => roll::unknown_code(),
                }
            }
            Some("draw") => {
                let mut map = raffles.lock().expect("not poisoned");
                let Some(raffle) = hosting.as_ref().and_then(|c| map.get_mut(c)) else { continue };
                let Some(result) = raffle.roll.draw(&msg) else { continue };
                let fds: Vec<RawFd> = raffle.phones.values().copied().collect();
                // The lock stays held while writing: no phone's socket closes under the writes.
                let failed = write_to_all(&fds, &framed(result.to_string()));
                if failed > 0 {
                    eprintln!("{failed} of {} sockets could not take the result at once", fds.len());
                }
                continue;
            }
            Some("ping") => json!({"type": "pong"}),
            _ => continue,
        };
        if ws.send(Message::text(answer.to_string())).await.is_err() {
            break;
        }
    }
    // Out of the raffle before the socket closes (when `ws` drops, below).
    if let Some(code) = joined {
        if let Some(raffle) = raffles.lock().expect("not poisoned").get_mut(&code) {
            raffle.phones.remove(&id);
        }
    }
    drop(ws);
}

/// A text message as one unmasked WebSocket frame, header and payload: the same bytes for every
/// phone.
fn framed(text: String) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 4);
    Frame::message(text, OpCode::Data(Data::Text), true).format(&mut out).expect("a Vec takes any frame");
    out
}

/// Writes `bytes` to every socket, the sockets shared out over one thread per core; returns how
/// many did not take all of them at once (an idle phone's socket always does: its send buffer
/// is empty).
fn write_to_all(fds: &[RawFd], bytes: &[u8]) -> usize {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = fds.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let others: Vec<_> =
            fds.chunks(share).skip(1).map(|part| scope.spawn(move || write_each(part, bytes))).collect();
        let first = fds.chunks(share).next().map_or(0, |part| write_each(part, bytes));
        first
            + others.into_iter().map(|writer| writer.join().expect("a writer does not panic")).sum::<usize>()
    })
}

fn write_each(fds: &[RawFd], bytes: &[u8]) -> usize {
    fds.iter()
        .filter(|&&fd| {
            // SAFETY: `fd` is an open socket: its session takes it out of the raffle, under the
            // lock the caller holds, before closing it. The slice outlives the call.
            let written = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
            written != bytes.len() as isize
        })
        .count()
}
