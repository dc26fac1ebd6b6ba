//! Connections that never become WebSockets, and WebSockets that stop reading (issue 11): none
//! of them may keep a file of the server's for as long as the client likes.

use crate::common;

use common::{raise_open_files, TestServer};
use futures_util::SinkExt;
use raffler_core::protocol::{ClientMsg, ServerMsg};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
const IDLE_TIMEOUT: Duration = Duration::from_secs(3);

fn settings() -> server::Settings {
    let mut settings = TestServer::settings();
    settings.limits.header_timeout = HEADER_TIMEOUT;
    settings.limits.idle_timeout = IDLE_TIMEOUT;
    settings
}

/// Waits until the server closes `stream` (end of file or reset); `Err` with what it sent if it
/// is still open at `deadline`.
async fn closed_by(mut stream: TcpStream, deadline: tokio::time::Instant) -> Result<Instant, String> {
    let mut buf = [0u8; 4_096];
    let mut got = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return Ok(Instant::now()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return Err(String::from_utf8_lossy(&got).into_owned()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_silent_connections_are_closed_while_a_phone_joins() {
    const SILENT: usize = 5_000;
    let _turn = common::many_sockets().await;
    assert!(raise_open_files() >= 2 * SILENT as u64 + 500, "this test needs 10,500 open files");
    let server = TestServer::start_custom(settings()).await;
    let started = Instant::now();
    let mut silent = Vec::with_capacity(SILENT);
    let mut phone_joined = None;
    for i in 0..SILENT {
        silent.push(TcpStream::connect(server.addr).await.expect("the server accepts"));
        if i == SILENT / 2 {
            // A real phone, in the middle of the flood: the cap closes the idlest sockets, never
            // one that is talking.
            let (_host, code, _) = server.host().await;
            let phone = server.player(&code, "Ada").await;
            phone_joined = Some(phone);
        }
    }
    let opened = started.elapsed();
    assert!(phone_joined.is_some());
    // Every silent socket is closed within the header timeout of its opening (the oldest ones
    // sooner, to make room).
    let deadline = tokio::time::Instant::now() + HEADER_TIMEOUT + Duration::from_secs(2);
    let results = futures_util::future::join_all(silent.into_iter().map(|s| closed_by(s, deadline))).await;
    let open = results.iter().filter(|r| r.is_err()).count();
    assert_eq!(open, 0, "{open} of {SILENT} silent sockets still open (opening them took {opened:?})");
    // And the phone is still in: its socket was not one of them.
    let mut phone = phone_joined.unwrap();
    phone.client.send(&ClientMsg::Ping {}).await;
    assert_eq!(phone.client.recv().await, ServerMsg::Pong);
}

/// A request answered on a kept-alive connection, which then says nothing more.
async fn kept_alive(server: &TestServer) -> (TcpStream, Instant) {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = [0u8; 1_024];
    let n = stream.read(&mut buf).await.unwrap();
    let head = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200") && head.ends_with("ok\n"), "{head}");
    (stream, Instant::now())
}

/// hyper (1.12) starts its header timer when it waits for a request head: at the accept, and
/// again after each response. So the header timeout alone closes both a socket that never
/// speaks and an idle keep-alive connection (checked here, not assumed: it differed between
/// hyper versions).
#[tokio::test]
async fn a_silent_connection_and_an_idle_keep_alive_one_close_at_the_header_timeout() {
    let mut settings = settings();
    settings.limits.idle_timeout = Duration::from_secs(60); // out of the way
    let server = TestServer::start_custom(settings).await;
    let silent = TcpStream::connect(server.addr).await.unwrap();
    let opened = Instant::now();
    let (idle, answered) = kept_alive(&server).await;
    let deadline = tokio::time::Instant::now() + HEADER_TIMEOUT + Duration::from_secs(2);
    let (silent, idle) = tokio::join!(closed_by(silent, deadline), closed_by(idle, deadline));
    let silent = silent.expect("the silent socket is closed") - opened;
    let idle = idle.expect("the idle keep-alive connection is closed") - answered;
    for after in [silent, idle] {
        assert!(after >= HEADER_TIMEOUT - Duration::from_millis(100), "too soon: {after:?}");
        assert!(after <= HEADER_TIMEOUT + Duration::from_secs(1), "too late: {after:?}");
    }
}

/// The idle timeout is the server's own, whatever hyper does: any connection that is not a
/// WebSocket and moves no byte for that long is closed.
#[tokio::test]
async fn the_idle_timeout_closes_a_connection_that_moves_no_byte() {
    let mut settings = settings();
    settings.limits.header_timeout = Duration::from_secs(60); // out of the way
    settings.limits.idle_timeout = Duration::from_secs(2);
    let server = TestServer::start_custom(settings).await;
    let silent = TcpStream::connect(server.addr).await.unwrap();
    let opened = Instant::now();
    let (idle, answered) = kept_alive(&server).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
    let (silent, idle) = tokio::join!(closed_by(silent, deadline), closed_by(idle, deadline));
    let silent = silent.expect("the silent socket is closed") - opened;
    let idle = idle.expect("the idle keep-alive connection is closed") - answered;
    for after in [silent, idle] {
        assert!(after >= Duration::from_millis(1_900), "too soon: {after:?}");
        assert!(after <= Duration::from_secs(3), "too late: {after:?}");
    }
}

#[tokio::test]
async fn a_request_head_sent_a_byte_at_a_time_is_cut_at_the_header_timeout() {
    let server = TestServer::start_custom(settings()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    // Never idle (a byte every 300 ms), never done: only the header timeout ends it.
    let slow = async {
        for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: ".iter().chain(std::iter::repeat(&b'a')) {
            if stream.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    };
    let _ = tokio::time::timeout(HEADER_TIMEOUT + Duration::from_secs(3), slow).await;
    let took = started.elapsed();
    assert!(took < HEADER_TIMEOUT + Duration::from_secs(2), "still open after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_that_never_reads_is_closed_within_two_heartbeats_while_writes_pend() {
    const HEARTBEAT: Duration = Duration::from_secs(2);
    const PRIZES: usize = 3_000;
    let mut settings = settings();
    settings.heartbeat = HEARTBEAT;
    settings.limits.frames_per_second = 100_000;
    settings.raffle.max_prizes = PRIZES + 1;
    let server = TestServer::start_custom(settings).await;
    let (mut host, code, host_token) = server.host().await;
    // A board of about 250 KB: ten a second fill the kernel's buffers (up to 4 MiB on
    // loopback) within the two heartbeats, so writes to a screen that does not read pend.
    for i in 0..PRIZES {
        let name = format!("{i:04} A prize with a name long enough to fill the board");
        host.send(&ClientMsg::AddPrize { name }).await;
    }
    loop {
        if let ServerMsg::Board { board, .. } = host.recv().await {
            if board.prizes.len() == PRIZES {
                break;
            }
        }
    }
    // A second screen of the host that never reads, with a tiny receive window.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(2_048).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let (mut deaf, _) =
        tokio_tungstenite::client_async(server.ws_url(), stream).await.expect("the upgrade works");
    let resume = ClientMsg::Resume { code: code.clone(), token: host_token.clone(), last_seq: None };
    deaf.send(tokio_tungstenite::tungstenite::Message::text(resume.to_json())).await.unwrap();
    let last_spoke = Instant::now();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.metric("raffler_connections_open").await, 2.0, "the host and its deaf screen");

    // The host changes the board 200 times over 4 s.
    let changes = async {
        for seconds in 1..=200 {
            host.send(&ClientMsg::SetClaimSeconds { seconds }).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let watch = async {
        loop {
            if server.metric("raffler_connections_open").await <= 1.0 {
                return last_spoke.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert!(last_spoke.elapsed() < HEARTBEAT * 5, "the deaf screen is never closed");
        }
    };
    let (closed_after, ()) = tokio::join!(watch, changes);
    assert!(
        closed_after <= HEARTBEAT * 2 + Duration::from_millis(500),
        "closed {closed_after:?} after it last spoke; heartbeat {HEARTBEAT:?}"
    );
    drop(deaf);
}
