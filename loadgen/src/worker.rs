//! A worker process: opens its share of player connections, paced, from its own source
//! addresses; joins them; then reports, per draw, when each phone heard the winner.
//! It talks to the coordinator in lines: it prints `joined …`, reads `draw N` and answers
//! `results …`, reads `quit` and answers `lost N`.

use crate::measure::now_micros;
use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use raffler_core::protocol::{ClientMsg, ServerMsg};
use std::collections::HashMap;
use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

enum Report {
    Joined,
    Failed(String),
    Result { draw: u32, at: u64 },
    Lost,
}

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
        let started = Instant::now();
        for i in 0..count {
            // Paced: connection i starts at i / rate seconds.
            tokio::time::sleep_until((started + Duration::from_micros(i as u64 * 1_000_000 / rate)).into())
                .await;
            let source = IpAddr::V4(Ipv4Addr::new(127, 0, 0, first + (i % addresses as usize) as u8));
            let name = format!("w{index} p{i}");
            tokio::spawn(phone(server, source, url.to_owned(), code.to_owned(), name, tx.clone()));
        }
        let (mut ok, mut failed) = (0usize, Vec::new());
        while ok + failed.len() < count {
            match rx.recv().await.expect("phones report") {
                Report::Joined => ok += 1,
                Report::Failed(why) => failed.push(why),
                _ => {}
            }
        }
        if let Some(first) = failed.first() {
            eprintln!("worker {index}: {} of {count} failed to join; first: {first}", failed.len());
        }
        println!("joined {ok} {} {}", failed.len(), started.elapsed().as_millis());

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
                    if matches!(report, Report::Lost) {
                        lost += 1;
                    }
                }
                println!("lost {lost}");
                return;
            }
            let draw: u32 = command.trim_start_matches("draw ").parse().expect("draw N");
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            while results.get(&draw).map_or(0, Vec::len) < ok {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(Report::Result { draw: d, at })) => results.entry(d).or_default().push(at),
                    Ok(Some(Report::Lost)) => lost += 1,
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

async fn phone(
    server: SocketAddr,
    source: IpAddr,
    url: String,
    code: String,
    name: String,
    tx: mpsc::UnboundedSender<Report>,
) {
    let socket = match connect(server, source).await {
        Ok(socket) => socket,
        Err(err) => return drop(tx.send(Report::Failed(format!("connect: {err}")))),
    };
    let mut ws = match tokio_tungstenite::client_async(url.as_str(), socket).await {
        Ok((ws, _)) => ws,
        Err(err) => return drop(tx.send(Report::Failed(format!("handshake: {err}")))),
    };
    if ws.send(Message::text(ClientMsg::Join { code, name, join_id: None }.to_json())).await.is_err() {
        return drop(tx.send(Report::Failed("send".into())));
    }
    let mut joined = false;
    while let Some(frame) = ws.next().await {
        let Ok(Message::Text(text)) = frame else {
            if frame.is_err() {
                break;
            }
            continue; // pings are answered by tungstenite as it reads
        };
        match serde_json::from_str::<ServerMsg>(text.as_str()) {
            Ok(ServerMsg::Joined { .. }) => {
                joined = true;
                let _ = tx.send(Report::Joined);
            }
            Ok(ServerMsg::WinnerDrawn { draw, .. }) => {
                let _ = tx.send(Report::Result { draw, at: now_micros() });
            }
            Ok(ServerMsg::Error { message, .. }) if !joined => {
                return drop(tx.send(Report::Failed(message)));
            }
            _ => {}
        }
    }
    let _ = tx.send(if joined { Report::Lost } else { Report::Failed("closed before joining".into()) });
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
