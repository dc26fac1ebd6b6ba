//! A worker process: opens its share of player connections, paced, from its own source
//! addresses; joins them; then reports, per draw, when each phone heard the winner.
//! It talks to the coordinator in lines: it prints `joined …`, reads `draw N` and answers
//! `results …`, reads `storm N drop|wait` and answers `storm …`, reads `quit` and answers
//! `lost N`.
//!
//! Each phone behaves as the browser's socket does: when its connection ends it opens another
//! after the browser's own backoff (`app/src/backoff.rs`, full jitter) and resumes with its
//! token and the last `seq` it saw. A storm (`drop`) ends every connection at once; `wait`
//! is for a storm the coordinator causes itself (it kills the server).

use crate::backoff::{delay_ms, Retry};
use crate::measure::now_micros;
use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use raffler_core::protocol::{ClientMsg, ServerMsg};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// How long a storm may take before the phones not back yet are counted as lost.
const STORM_DEADLINE: Duration = Duration::from_secs(60);

enum Report {
    Joined,
    Failed(String),
    Result {
        draw: u32,
        at: u64,
    },
    /// A connection ended that was not ended by a storm.
    Lost,
    /// Phone `phone` is answered again after a reconnection (`resumed` or a snapshot).
    Back {
        phone: usize,
        at: u64,
    },
    /// Phone `phone` knows draw `draw`'s winner (live, replayed or in a snapshot).
    Knows {
        phone: usize,
        draw: u32,
        at: u64,
    },
    /// A resume was refused: the phone is out of the raffle.
    Refused,
    /// A connection closed before the phone joined; it tries again.
    Retried,
    /// A joined phone's reconnection failed (refused, or its handshake closed); it tries again.
    Unanswered,
}

/// Attempts at joining before a phone counts as failed.
const JOIN_ATTEMPTS: u32 = 8;

pub fn run(url: &str, spec: &str) -> anyhow::Result<()> {
    let parts: Vec<&str> = spec.split(':').collect();
    let [code, count, rate, first, addresses, index] = parts[..] else {
        anyhow::bail!("bad worker spec {spec}")
    };
    let (count, rate): (usize, u64) = (count.parse()?, rate.parse()?);
    let (first, addresses, index): (u8, u8, usize) = (first.parse()?, addresses.parse()?, index.parse()?);
    let server: SocketAddr = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .context("a ws:// URL")?
        .parse()
        .context("the URL's host must be an IP address and port")?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let (tx, mut rx) = mpsc::unbounded_channel();
        // Bumped by a storm: every phone drops its connection when it changes.
        let (storm_tx, storms) = watch::channel(0u32);
        let started = Instant::now();
        for i in 0..count {
            // Paced: connection i starts at i / rate seconds.
            tokio::time::sleep_until((started + Duration::from_micros(i as u64 * 1_000_000 / rate)).into())
                .await;
            let source = IpAddr::V4(Ipv4Addr::new(127, 0, 0, first + (i % addresses as usize) as u8));
            let phone = Phone {
                id: i,
                server,
                source,
                url: url.to_owned(),
                code: code.to_owned(),
                name: format!("w{index} p{i}"),
                tx: tx.clone(),
                storms: storms.clone(),
                rng: StdRng::seed_from_u64(((index as u64) << 32) | i as u64),
            };
            tokio::spawn(phone.run());
        }
        let (mut ok, mut failed, mut retried) = (0usize, Vec::new(), 0u64);
        while ok + failed.len() < count {
            match rx.recv().await.expect("phones report") {
                Report::Joined => ok += 1,
                Report::Failed(why) => failed.push(why),
                Report::Retried => retried += 1,
                _ => {}
            }
        }
        if let Some(first) = failed.first() {
            eprintln!("worker {index}: {} of {count} failed to join; first: {first}", failed.len());
        }
        println!("joined {ok} {} {} {retried}", failed.len(), started.elapsed().as_millis());

        let (cmd_tx, mut commands) = mpsc::unbounded_channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                if cmd_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut results: HashMap<u32, Vec<u64>> = HashMap::new();
        let mut lost = 0u64;
        while let Some(command) = commands.recv().await {
            if command == "quit" {
                while let Ok(report) = rx.try_recv() {
                    if matches!(report, Report::Lost | Report::Refused) {
                        lost += 1;
                    }
                }
                println!("lost {lost}");
                return;
            }
            if let Some(storm) = command.strip_prefix("storm ") {
                let (draw, how) = storm.split_once(' ').expect("storm N drop|wait");
                let draw: u32 = draw.parse().expect("storm N");
                if how == "drop" {
                    storm_tx.send_modify(|n| *n += 1);
                }
                println!("{}", storm_line(&mut rx, ok, draw).await);
                continue;
            }
            let draw: u32 = command.trim_start_matches("draw ").parse().expect("draw N");
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            while results.get(&draw).map_or(0, Vec::len) < ok {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(Report::Result { draw: d, at })) => results.entry(d).or_default().push(at),
                    Ok(Some(Report::Lost | Report::Refused)) => lost += 1,
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
            let got = results.remove(&draw).unwrap_or_default();
            let missing = ok - got.len().min(ok);
            let times: Vec<String> = got.iter().map(u64::to_string).collect();
            println!("results {missing} {}", times.join(" "));
        }
    });
    Ok(())
}

/// Waits until every joined phone is back and knows draw `draw`'s winner (or the deadline), and
/// says when each did: `storm <not back> <not current> <refused> <drops> <failed reconnections>
/// back <µs…> knows <µs…>`.
/// Drops during a storm are expected (that is the storm), so they are counted apart.
async fn storm_line(rx: &mut mpsc::UnboundedReceiver<Report>, phones: usize, draw: u32) -> String {
    let deadline = tokio::time::Instant::now() + STORM_DEADLINE;
    let mut back: HashMap<usize, u64> = HashMap::new();
    let mut knows: HashMap<usize, u64> = HashMap::new();
    let (mut refused, mut drops, mut unanswered) = (0usize, 0usize, 0usize);
    while back.len() < phones || knows.len() < phones {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Report::Back { phone, at })) => {
                back.entry(phone).or_insert(at);
            }
            Ok(Some(Report::Knows { phone, draw: d, at })) if d == draw => {
                knows.entry(phone).or_insert(at);
            }
            Ok(Some(Report::Refused)) => refused += 1,
            Ok(Some(Report::Lost)) => drops += 1,
            Ok(Some(Report::Unanswered)) => unanswered += 1,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let list = |m: &HashMap<usize, u64>| m.values().map(u64::to_string).collect::<Vec<_>>().join(" ");
    format!(
        "storm {} {} {refused} {drops} {unanswered} back {} knows {}",
        phones.saturating_sub(back.len()),
        phones.saturating_sub(knows.len()),
        list(&back),
        list(&knows)
    )
}

/// One player's phone: joins once, then keeps a connection up as the browser does.
struct Phone {
    id: usize,
    server: SocketAddr,
    source: IpAddr,
    url: String,
    code: String,
    name: String,
    tx: mpsc::UnboundedSender<Report>,
    storms: watch::Receiver<u32>,
    rng: StdRng,
}

/// How a connection ended.
enum End {
    /// The coordinator's storm: drop at once and come back.
    Storm,
    /// The server closed it or it failed.
    Closed,
    /// The server closed it with 1012: it is restarting.
    Restarting,
    /// The server turned the phone away for this many milliseconds.
    Told(u64),
    /// The worker is going away.
    Gone,
}

impl Phone {
    async fn run(mut self) {
        // The token once joined, and the last seq heard.
        let mut token: Option<String> = None;
        let mut last_seq: Option<u64> = None;
        let mut failures = 0u32;
        // Set by a 1012 close until the server answers again, as in the browser.
        let mut restarting = false;
        loop {
            let end = match self.connect().await {
                Ok(ws) => self.session(ws, &mut token, &mut last_seq, &mut failures).await,
                // A handshake closed while the machine is too busy (the server closes the idlest
                // of too many half-open connections) is tried again, as the browser would: the
                // bench measures fan-out to the whole room, and counts the retries.
                Err(err) if token.is_none() && failures >= JOIN_ATTEMPTS => {
                    return drop(self.tx.send(Report::Failed(err)));
                }
                Err(_) if token.is_none() => End::Closed,
                Err(_) => {
                    let _ = self.tx.send(Report::Unanswered);
                    End::Closed
                }
            };
            if failures == 0 {
                restarting = false;
            }
            let mut told = None;
            match end {
                End::Gone => return,
                End::Storm => failures = 0,
                End::Closed | End::Restarting if token.is_none() && failures >= JOIN_ATTEMPTS => {
                    return drop(self.tx.send(Report::Failed("closed before joining".into())));
                }
                End::Closed | End::Restarting if token.is_none() => {
                    let _ = self.tx.send(Report::Retried);
                }
                End::Restarting => {
                    restarting = true;
                    failures = 0;
                    let _ = self.tx.send(Report::Lost);
                }
                End::Told(ms) => told = Some(ms),
                End::Closed if failures == 0 => {
                    let _ = self.tx.send(Report::Lost);
                }
                End::Closed => {}
            }
            failures += 1;
            let retry = match told {
                Some(after_ms) => Retry::Told { after_ms },
                None if restarting => Retry::Restarting { failures },
                None => Retry::Dropped { failures },
            };
            let delay = delay_ms(retry, self.rng.random::<f64>());
            tokio::time::sleep(Duration::from_millis(delay.into())).await;
        }
    }

    async fn connect(&self) -> Result<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>, String> {
        let socket = connect(self.server, self.source).await.map_err(|err| format!("connect: {err}"))?;
        let (ws, _) =
            tokio_tungstenite::client_async_with_config(self.url.as_str(), socket, Some(read_config()))
                .await
                .map_err(|err| format!("handshake: {err}"))?;
        Ok(ws)
    }

    /// One connection: the hello (a join, or a resume once joined), then frames until it ends.
    async fn session(
        &mut self,
        mut ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
        token: &mut Option<String>,
        last_seq: &mut Option<u64>,
        failures: &mut u32,
    ) -> End {
        let resuming = token.is_some();
        let hello = match token {
            Some(token) => {
                ClientMsg::Resume { code: self.code.clone(), token: token.clone(), last_seq: *last_seq }
            }
            // A join id: a join sent again (its answer lost with its connection) is the same player.
            None => ClientMsg::Join {
                code: self.code.clone(),
                name: self.name.clone(),
                join_id: Some(self.name.replace(' ', "-")),
            },
        };
        if ws.send(Message::text(hello.to_json())).await.is_err() {
            return End::Closed;
        }
        self.storms.mark_unchanged();
        let mut answered = false;
        loop {
            let frame = tokio::select! {
                frame = ws.next() => frame,
                changed = self.storms.changed() => {
                    // Dropped as a phone drops: no close frame, the socket just goes.
                    return if changed.is_ok() { End::Storm } else { End::Gone };
                }
            };
            let text = match frame {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(Some(close)))) if close.code == CloseCode::Restart => {
                    return End::Restarting;
                }
                Some(Ok(_)) => continue, // pings are answered by tungstenite as it reads
                _ => return End::Closed,
            };
            // The time it arrived, before any parsing: the parse is the load generator's cost.
            let at = now_micros();
            // A draw brings every phone two frames; their few fields are read without building
            // the whole message (names, prizes): on the cores it shares with the server it
            // measures, the load generator should cost as little per frame as it can. The
            // rarer answers (joined, resumed, a snapshot, an error) are read in full below.
            let Ok(head) = serde_json::from_str::<Head>(text.as_str()) else { continue };
            if let Some(seq) = head.seq {
                *last_seq = Some(last_seq.map_or(seq, |s| s.max(seq)));
            }
            match (head.kind, head.draw) {
                ("winner_drawn", Some(draw)) => {
                    let _ = self.tx.send(Report::Result { draw, at });
                    let _ = self.tx.send(Report::Knows { phone: self.id, draw, at });
                    continue;
                }
                ("draw_started" | "pong" | "presence", _) => continue,
                _ => {}
            }
            let Ok(msg) = serde_json::from_str::<ServerMsg>(text.as_str()) else { continue };
            match msg {
                ServerMsg::Joined { token: given, .. } => {
                    *token = Some(given);
                    answered = true;
                    *failures = 0;
                    let _ = self.tx.send(Report::Joined);
                }
                ServerMsg::Resumed { .. } => {
                    answered = true;
                    *failures = 0;
                    let _ = self.tx.send(Report::Back { phone: self.id, at });
                }
                ServerMsg::PlayerSnapshot { draws, .. } => {
                    answered = true;
                    *failures = 0;
                    let _ = self.tx.send(Report::Back { phone: self.id, at });
                    for d in draws.iter().filter(|d| d.winner.is_some()) {
                        let _ = self.tx.send(Report::Knows { phone: self.id, draw: d.draw, at });
                    }
                }
                ServerMsg::WinnerDrawn { draw, .. } => {
                    let _ = self.tx.send(Report::Result { draw, at });
                    let _ = self.tx.send(Report::Knows { phone: self.id, draw, at });
                }
                ServerMsg::Error { retry_after_ms: Some(ms), .. } if !answered => return End::Told(ms),
                ServerMsg::Error { message, .. } if !answered => {
                    if resuming {
                        let _ = self.tx.send(Report::Refused);
                        return End::Gone;
                    }
                    let _ = self.tx.send(Report::Failed(message));
                    return End::Gone;
                }
                _ => {}
            }
        }
    }
}

/// A phone's WebSocket settings: a small read buffer. tungstenite zeroes its whole read buffer
/// (128 KiB by default) before every read, and a phone reads twice per draw (the frames, then
/// nothing left): with the default, that memset was 40 % of the load generator's CPU in a draw
/// at 18,000, and the generator shares the cores with the server it measures. A longer frame
/// (a snapshot) still arrives whole: the buffer grows to fit a frame once its header is read.
fn read_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(READ_BUFFER)
}

/// Bytes a phone reads at most per `read`: a draw's two frames are a few hundred bytes.
const READ_BUFFER: usize = 4096;

/// The fields of a server frame the load generator times and resumes by; the rest is skipped.
#[derive(serde::Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    seq: Option<u64>,
    draw: Option<u32>,
}

/// A TCP connection from `source`. IP_BIND_ADDRESS_NO_PORT lets the kernel pick the port at
/// connect time, so binds stay fast even with earlier runs' sockets in TIME_WAIT.
fn bind_address_no_port(socket: &socket2::Socket) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor, and a pointer to an int that lives across the call,
    // with its size: what setsockopt(2) asks for.
    let result = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

async fn connect(server: SocketAddr, source: IpAddr) -> std::io::Result<tokio::net::TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    bind_address_no_port(&socket)?;
    socket.set_nonblocking(true)?;
    socket.set_tcp_nodelay(true)?;
    socket.bind(&SocketAddr::new(source, 0).into())?;
    let socket = tokio::net::TcpSocket::from_std_stream(socket.into());
    socket.connect(server).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The small read buffer costs nothing in what a phone can read: a frame longer than it
    /// (a snapshot of a long evening) arrives whole, after the short ones before it.
    #[tokio::test]
    async fn a_frame_longer_than_the_read_buffer_arrives_whole() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let long = "x".repeat(READ_BUFFER * 5 + 17);
        let sent = long.clone();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(socket).await.unwrap();
            ws.send(Message::text("short")).await.unwrap();
            ws.send(Message::text(sent)).await.unwrap();
            ws.send(Message::text("after")).await.unwrap();
        });
        let socket = tokio::net::TcpStream::connect(address).await.unwrap();
        let (mut ws, _) = tokio_tungstenite::client_async_with_config(
            format!("ws://{address}/ws"),
            socket,
            Some(read_config()),
        )
        .await
        .unwrap();
        let mut got = Vec::new();
        while got.len() < 3 {
            match ws.next().await.unwrap().unwrap() {
                Message::Text(text) => got.push(text.to_string()),
                _ => continue,
            }
        }
        assert_eq!(got, ["short".to_string(), long, "after".to_string()]);
        server.await.unwrap();
    }
}
