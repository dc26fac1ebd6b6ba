//! A real server on a free port, and WebSocket clients that speak the documented protocol.

#![allow(dead_code)] // each test binary uses its own subset

use app::protocol::{ClientMsg, PlayerView, ServerMsg};
use app::raffle;
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::{connect_async, tungstenite::Message, MaybeTlsStream, WebSocketStream};

pub const MAX_FRAME_BYTES: usize = 4_096;

pub struct TestServer {
    pub addr: SocketAddr,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with_spin(0).await
    }

    pub async fn start_with_spin(spin_ms: u64) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let settings = server::Settings {
            public_url: format!("http://{addr}"),
            raffle: raffle::Settings {
                spin: raffle::Millis(spin_ms),
                max_name_chars: raffle::MAX_NAME_CHARS,
            },
            max_frame_bytes: MAX_FRAME_BYTES,
            leptos: leptos::config::LeptosOptions::builder().output_name("raffler").build(),
        };
        tokio::spawn(server::run(listener, settings, std::future::pending()));
        TestServer { addr }
    }

    pub async fn client(&self) -> Client {
        let (ws, _) = connect_async(format!("ws://{}/ws", self.addr)).await.expect("connect");
        Client { ws }
    }

    /// A host connection with a running raffle; returns it and the join code.
    pub async fn host(&self) -> (Client, String) {
        let mut host = self.client().await;
        host.send(&ClientMsg::StartRaffle).await;
        match host.recv().await {
            ServerMsg::RaffleStarted { code, .. } => (host, code),
            other => panic!("expected raffle_started, got {other:?}"),
        }
    }

    /// A phone that has joined `code` as `name`.
    pub async fn player(&self, code: &str, name: &str) -> (Client, PlayerView) {
        let mut phone = self.client().await;
        phone.send(&ClientMsg::Join { code: code.into(), name: name.into() }).await;
        match phone.recv().await {
            ServerMsg::Joined { you, .. } => (phone, you),
            other => panic!("{name} expected joined, got {other:?}"),
        }
    }
}

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
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
        loop {
            let next = tokio::time::timeout(Duration::from_secs(5), self.ws.next()).await;
            match next.expect("timed out waiting for a message") {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(text.as_str())
                        .unwrap_or_else(|e| panic!("bad frame {text}: {e}"))
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a text frame, got {other:?}"),
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
