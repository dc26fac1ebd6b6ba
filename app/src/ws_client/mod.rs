//! The browser's connection to the raffle hub, shared by every screen. It keeps itself up: when
//! the socket closes it reconnects with exponential backoff and full jitter (`backoff`, capped at
//! a few seconds), and at once when the phone comes back online or its page is shown again. A
//! socket can look open while it is dead (a phone that slept), so on "shown again" it asks the
//! server for a `pong` and reconnects if none comes.
//!
//! Every time a socket opens, the page's `hello` is sent first (a `ping` when it has nothing to
//! say): that is how a page resumes with its token and the last sequence number it saw. The
//! link counts as open only once the server has answered the hello. An answer that refuses it
//! for a while (an `error` with `retry_after_ms`: too many connections, the server full) is
//! shown by the page, and the socket is closed and opened again once that time has passed: a
//! refused screen never sits on a socket that says "Live" and hears nothing.
//!
//! A screen opens its socket with [`ScreenSocket`], the one hook every screen shares. The
//! implementation is chosen once, here: [`web`] in the browser build, [`noop`] on the server.

use crate::protocol::{ClientMsg, DecodeError, ServerMsg};
use leptos::prelude::*;

#[cfg(feature = "hydrate")]
mod web;
#[cfg(feature = "hydrate")]
use web::{open, Socket};

#[cfg(not(feature = "hydrate"))]
mod noop;
#[cfg(not(feature = "hydrate"))]
use noop::{open, Socket};

/// Whether the screen can talk to the server right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Connecting,
    Open,
    Reconnecting,
    /// The server said it is restarting (close code 1012): nothing is wrong, it will be back.
    Restarting,
    /// The server turned the screen away for now and said when to try again; the page shows why.
    Waiting,
}

/// A screen's socket and the state of its link: made first (the screen's state may need to send
/// from its handlers), opened with [`ScreenSocket::open`] once the screen knows its hello and
/// how it takes messages. Copy, like a signal, so handlers capture it freely.
#[derive(Clone, Copy)]
pub struct ScreenSocket {
    socket: StoredValue<Option<Socket>>,
    link: RwSignal<LinkState>,
}

impl ScreenSocket {
    #[allow(clippy::new_without_default)] // Made inside a component, where its signals belong.
    pub fn new() -> Self {
        ScreenSocket { socket: StoredValue::new(None), link: RwSignal::new(LinkState::Connecting) }
    }

    /// Opens the socket, in the browser only (from an effect, which the server never runs):
    /// `hello` is asked on every (re)connection, `on_message` gets every message `decode`
    /// reads (`ServerMsg::decode`, or `ServerMsg::decode_for_phone` for the phone's page: then
    /// the host screens' messages' decoding stays out of the phone's wasm).
    pub fn open(
        self,
        decode: fn(&str) -> Result<ServerMsg, DecodeError>,
        hello: impl Fn() -> Option<ClientMsg> + 'static,
        on_message: impl Fn(ServerMsg) + 'static,
    ) {
        let mut parts = Some((hello, on_message));
        Effect::new(move |_| {
            // An effect may run again; the socket opens once.
            if let Some((hello, on_message)) = parts.take() {
                let link = self.link;
                let socket = open(decode, hello, on_message, move |state| link.set(state));
                self.socket.set_value(Some(socket));
            }
        });
    }

    /// Whether the screen can talk to the server now.
    pub fn link(&self) -> ReadSignal<LinkState> {
        self.link.read_only()
    }

    /// Sends `msg`; before the socket opens (the server's render), nothing.
    pub fn send(&self, msg: ClientMsg) {
        self.socket.with_value(|s| s.as_ref().map(|s| s.send(msg)));
    }

    /// See `Socket::reconnect`: a fresh socket at once, which says the hello again.
    pub fn reconnect(&self) {
        self.socket.with_value(|s| s.as_ref().map(Socket::reconnect));
    }
}
