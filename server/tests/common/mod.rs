//! A real server on a free port, and WebSocket clients that speak the documented protocol.

use futures_util::{SinkExt, StreamExt};
use raffler_core::protocol::{ClientMsg, PlayerView, ServerMsg};
use raffler_core::raffle;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::{connect_async, tungstenite::Message, MaybeTlsStream, WebSocketStream};

pub const MAX_FRAME_BYTES: usize = 4_096;

/// For `recv_until`: the reveal.
pub fn is_winner(msg: &ServerMsg) -> bool {
    matches!(msg, ServerMsg::WinnerDrawn { .. })
}

pub struct TestServer {
    pub addr: SocketAddr,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with_spin(0).await
    }

    pub async fn start_with_spin(spin_ms: u64) -> Self {
        Self::start_with(spin_ms, Duration::from_secs(15)).await
    }

    pub async fn start_with(spin_ms: u64, heartbeat: Duration) -> Self {
        let mut settings = Self::settings();
        settings.raffle.spin = raffle::Millis(spin_ms);
        settings.heartbeat = heartbeat;
        Self::start_custom(settings).await
    }

    /// The settings tests start from: production defaults, no spin.
    pub fn settings() -> server::Settings {
        server::Settings {
            public_url: "http://raffle.test".into(),
            raffle: raffle::RaffleSettings { spin: raffle::Millis(0), ..raffle::RaffleSettings::default() },
            max_frame_bytes: MAX_FRAME_BYTES,
            heartbeat: Duration::from_secs(15),
            limits: server::Limits::default(),
            leptos: leptos::config::LeptosOptions::builder().output_name("raffler").build(),
            database: fresh_database(),
            idle: Duration::from_secs(24 * 3_600),
            retention: Duration::from_secs(30 * 86_400),
            beacon: None,
        }
    }

    pub async fn start_custom(settings: server::Settings) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(server::run(listener, settings, std::future::pending()));
        TestServer { addr }
    }

    pub async fn client(&self) -> Client {
        let (ws, _) = connect_async(format!("ws://{}/ws", self.addr)).await.expect("connect");
        Client { ws, closed_with: None, transcript: Vec::new() }
    }

    /// A plain HTTP GET; returns the response's head and body.
    pub async fn http_get(&self, path: &str) -> (String, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr);
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        (head.to_owned(), body.to_owned())
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// A host connection with a running raffle; returns it, the join code and the host token.
    pub async fn host(&self) -> (Client, String, String) {
        let mut host = self.client().await;
        host.send(&ClientMsg::StartRaffle {}).await;
        let ServerMsg::RaffleStarted { code, host_token } = host.recv().await else {
            panic!("no raffle_started")
        };
        assert!(matches!(host.recv().await, ServerMsg::HostSnapshot { .. }));
        (host, code, host_token)
    }

    /// A phone that has joined `code` as `name`.
    pub async fn player(&self, code: &str, name: &str) -> Phone {
        let mut client = self.client().await;
        client.send(&ClientMsg::Join { code: code.into(), name: name.into(), join_id: None }).await;
        match client.recv().await {
            ServerMsg::Joined { you, token, seq, .. } => Phone { client, you, token, seq },
            other => panic!("{name} expected joined, got {other:?}"),
        }
    }

    /// A new connection that resumes with `token`, having seen events up to `last_seq`.
    pub async fn resume(&self, code: &str, token: &str, last_seq: Option<u64>) -> Client {
        let mut client = self.client().await;
        let resume = ClientMsg::Resume { code: code.into(), token: token.into(), last_seq };
        client.send(&resume).await;
        client
    }
}

/// A server that a test stops (as SIGTERM would) and starts again on the same database.
pub struct RunningServer {
    stop: tokio::sync::oneshot::Sender<()>,
    done: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl RunningServer {
    pub async fn start(settings: server::Settings) -> (TestServer, RunningServer) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(server::run(listener, settings, async move {
            let _ = stopped.await;
        }));
        (TestServer { addr }, RunningServer { stop, done })
    }

    /// Shuts the server down and waits until its database is closed.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.done.await.unwrap().unwrap();
    }
}

/// A database file of its own, in a folder under target/tmp that outlives the test for a
/// post-mortem look (`cargo clean` removes it).
pub fn fresh_database() -> std::path::PathBuf {
    let folder = tempfile::Builder::new()
        .prefix("raffler-test-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("a temp folder");
    folder.keep().join("raffler.db")
}

/// A player's connection, and what it was told when it joined.
pub struct Phone {
    pub client: Client,
    pub you: PlayerView,
    pub token: String,
    pub seq: u64,
}

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    closed_with: Option<u16>,
    /// Every text frame received, as sent: tests look for what must never be in one.
    pub transcript: Vec<String>,
}

impl Client {
    pub async fn send(&mut self, msg: &ClientMsg) {
        self.send_raw(msg.to_json()).await;
    }

    pub async fn send_raw(&mut self, text: impl Into<String>) {
        self.ws.send(Message::text(text.into())).await.expect("send");
    }

    pub async fn send_message(&mut self, message: Message) {
        self.ws.send(message).await.expect("send");
    }

    /// The next protocol message; fails the test after 5 s of silence.
    pub async fn recv(&mut self) -> ServerMsg {
        self.recv_within(Duration::from_secs(5)).await
    }

    /// The next protocol message; fails the test after `wait` of silence.
    pub async fn recv_within(&mut self, wait: Duration) -> ServerMsg {
        loop {
            let next = tokio::time::timeout(wait, self.ws.next()).await;
            match next.expect("timed out waiting for a message") {
                Some(Ok(Message::Text(text))) => {
                    self.transcript.push(text.as_str().to_owned());
                    return serde_json::from_str(text.as_str())
                        .unwrap_or_else(|e| panic!("bad frame {text}: {e}"));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// The next message that `wanted` accepts, skipping the host's list and presence updates
    /// and anything else it does not accept.
    pub async fn recv_until(&mut self, wanted: impl Fn(&ServerMsg) -> bool) -> ServerMsg {
        loop {
            let msg = self.recv().await;
            if wanted(&msg) {
                return msg;
            }
        }
    }

    /// [`Client::recv_until`], waiting up to `wait` for each message.
    pub async fn recv_until_within(
        &mut self,
        wait: Duration,
        wanted: impl Fn(&ServerMsg) -> bool,
    ) -> ServerMsg {
        loop {
            let msg = self.recv_within(wait).await;
            if wanted(&msg) {
                return msg;
            }
        }
    }

    /// Waits until the host has seen `total` players in.
    pub async fn wait_for_players(&mut self, total: u32) -> Vec<PlayerView> {
        let mut seen = Vec::new();
        loop {
            match self.recv().await {
                ServerMsg::PlayersJoined { players, total: t } => {
                    seen.extend(players);
                    if t == total {
                        return seen;
                    }
                }
                ServerMsg::HostSnapshot { players, .. } if players.len() as u32 == total => return players,
                _ => {}
            }
        }
    }

    /// The next protocol message, or `None` once the server closed the connection (its close
    /// code is then in `last_close_code`).
    pub async fn recv_or_close(&mut self) -> Option<ServerMsg> {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(5), self.ws.next()).await.expect("timed out");
            match next {
                Some(Ok(Message::Text(text))) => {
                    return Some(serde_json::from_str(text.as_str()).expect("a server message"))
                }
                Some(Ok(Message::Close(frame))) => {
                    self.closed_with = frame.map(|f| u16::from(f.code));
                    return None;
                }
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    }

    pub fn last_close_code(&self) -> Option<u16> {
        self.closed_with
    }

    /// The close code the server ended this connection with (within 5 s); `None` if it stays
    /// open or ends without a close frame.
    pub async fn close_code(&mut self) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
    }

    /// Whether the server closed this connection (within 5 s).
    pub async fn is_closed_by_server(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Asserts that nothing arrives for a short while.
    pub async fn expect_silence(&mut self) {
        if let Ok(Some(msg)) = tokio::time::timeout(Duration::from_millis(200), self.ws.next()).await {
            panic!("expected silence, got {msg:?}");
        }
    }
}

impl TestServer {
    /// A WebSocket from the source address `ip` (any 127.0.0.x works on Linux): another
    /// client address, for the per-address limits.
    pub async fn client_from(&self, ip: std::net::IpAddr) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(ip, 0)).unwrap();
        let stream = socket.connect(self.addr).await.expect("connect");
        let (ws, _) = tokio_tungstenite::client_async(self.ws_url(), MaybeTlsStream::Plain(stream))
            .await
            .expect("upgrade");
        Client { ws, closed_with: None, transcript: Vec::new() }
    }

    /// The value of a gauge or counter on /metrics.
    pub async fn metric(&self, name: &str) -> f64 {
        let (_, body) = self.http_get("/metrics").await;
        body.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no metric {name} in {body}"))
    }
}

/// Tests that hold thousands of sockets take turns: side by side in the one test program they
/// would pass the open-file limit (5,000 silent sockets and their server ends; 2,000 phones and
/// theirs). Held for the whole test.
pub async fn many_sockets() -> tokio::sync::MutexGuard<'static, ()> {
    static MANY_SOCKETS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    MANY_SOCKETS.lock().await
}

/// Raises this process's open-file limit to the hard limit (tests that open thousands of
/// sockets), and returns it.
pub fn raise_open_files() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).expect("the open-file limit")
}
