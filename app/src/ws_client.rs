//! The browser's WebSocket to the raffle hub, shared by the host and player screens: it turns
//! server frames into calls of `on_message` and carries `ClientMsg`s out.
//!
//! This is the only module that differs between the browser and the server build. On the
//! server, pages render without ever opening a socket (effects run only in the browser), so the
//! server build of [`open`] has nothing to do.

use crate::protocol::{ClientMsg, ServerMsg};

/// Whether the screen can talk to the server right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Connecting,
    Open,
    Closed,
}

/// Sends messages to the server; cheap to clone. Messages sent before the socket opens wait.
#[derive(Clone)]
pub struct Socket {
    #[cfg(feature = "hydrate")]
    tx: futures::channel::mpsc::UnboundedSender<ClientMsg>,
}

impl Socket {
    pub fn send(&self, msg: ClientMsg) {
        #[cfg(feature = "hydrate")]
        let _ = self.tx.unbounded_send(msg);
        #[cfg(not(feature = "hydrate"))]
        let _ = msg;
    }
}

#[cfg(feature = "hydrate")]
pub fn open(on_message: impl Fn(ServerMsg) + 'static, on_link: impl Fn(LinkState) + 'static) -> Socket {
    use futures::{SinkExt, StreamExt};
    use gloo_net::websocket::{futures::WebSocket, Message};
    use leptos::task::spawn_local;

    let (tx, mut outgoing) = futures::channel::mpsc::unbounded::<ClientMsg>();
    let ws = match WebSocket::open(&socket_url()) {
        Ok(ws) => ws,
        Err(_) => {
            on_link(LinkState::Closed);
            return Socket { tx };
        }
    };
    let (mut write, mut read) = ws.split();
    spawn_local(async move {
        while let Some(msg) = outgoing.next().await {
            if write.send(Message::Text(msg.to_json())).await.is_err() {
                break;
            }
        }
    });
    spawn_local(async move {
        on_link(LinkState::Connecting);
        let mut opened = false;
        while let Some(Ok(frame)) = read.next().await {
            if !opened {
                opened = true;
                on_link(LinkState::Open);
            }
            let Message::Text(text) = frame else { continue };
            match serde_json::from_str::<ServerMsg>(&text) {
                Ok(msg) => on_message(msg),
                // A newer server may send messages this page does not know yet: skip them.
                Err(err) => leptos::logging::warn!("unreadable server message {text}: {err}"),
            }
        }
        on_link(LinkState::Closed);
    });
    Socket { tx }
}

#[cfg(not(feature = "hydrate"))]
pub fn open(_on_message: impl Fn(ServerMsg) + 'static, _on_link: impl Fn(LinkState) + 'static) -> Socket {
    Socket {}
}

/// The hub's address on the server that served this page: ws:// or wss:// to match.
#[cfg(feature = "hydrate")]
fn socket_url() -> String {
    let location = web_sys::window().expect("a browser window").location();
    let scheme = if location.protocol().as_deref() == Ok("https:") { "wss" } else { "ws" };
    let host = location.host().unwrap_or_default();
    format!("{scheme}://{host}/ws")
}
