//! The browser build of the socket: the browser's WebSocket ([`conn::Conn`]), kept up by
//! [`link::run`] (backoff, the hello, "refused for now") and woken by [`wake::install`] (back
//! online, page shown again).

use super::LinkState;
use crate::protocol::{ClientMsg, DecodeError, ServerMsg};

/// Sends messages to the server; cheap to clone. A message sent while the link is down goes
/// out right after the next `hello`. When the last clone is dropped, the connection closes.
#[derive(Clone)]
pub struct Socket {
    tx: futures::channel::mpsc::UnboundedSender<ClientMsg>,
    kick: futures::channel::mpsc::UnboundedSender<()>,
}

impl Socket {
    pub fn send(&self, msg: ClientMsg) {
        let _ = self.tx.unbounded_send(msg);
    }

    /// Drops the current socket and opens a new one at once (which sends the hello again): for
    /// a request whose answer is overdue, on a socket that may be dead without knowing it.
    pub fn reconnect(&self) {
        let _ = self.kick.unbounded_send(());
    }
}

pub fn open(
    decode: fn(&str) -> Result<ServerMsg, DecodeError>,
    hello: impl Fn() -> Option<ClientMsg> + 'static,
    on_message: impl Fn(ServerMsg) + 'static,
    on_link: impl Fn(LinkState) + 'static,
) -> Socket {
    use futures::channel::mpsc::unbounded;
    let (tx, outgoing) = unbounded::<ClientMsg>();
    let (kick, kicks) = unbounded::<()>();
    let last_heard = std::rc::Rc::new(std::cell::Cell::new(0.0));
    wake::install(kick.clone(), tx.clone(), last_heard.clone());
    leptos::task::spawn_local(link::run(
        decode,
        Box::new(hello),
        Box::new(on_message),
        Box::new(on_link),
        outgoing,
        kicks,
        last_heard,
    ));
    Socket { tx, kick }
}

/// One WebSocket and what it says, as a stream of [`conn::Event`]s. Written on `web_sys` rather
/// than taken from gloo-net, whose `Sink`/`Stream` socket (split into halves behind a lock)
/// cost the phone's wasm several KiB for the four callbacks the link needs (issue 15).
mod conn {
    use futures::channel::mpsc::{unbounded, UnboundedReceiver};
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    pub enum Event {
        Open,
        Text(String),
        /// The socket closed (after an error too: the browser always fires `close` then), with
        /// the close code the server sent, or the browser's own (1006 when none was sent).
        Closed(u16),
    }

    /// An open or opening socket; dropping it closes it.
    pub struct Conn {
        ws: WebSocket,
        pub events: UnboundedReceiver<Event>,
        // Kept alive as long as the socket may call them.
        _on_open: Closure<dyn FnMut()>,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_close: Closure<dyn FnMut(CloseEvent)>,
    }

    impl Conn {
        /// Starts opening a socket to `url`; `None` if the browser refuses the address.
        pub fn open(url: &str) -> Option<Conn> {
            let ws = WebSocket::new(url).ok()?;
            let (tx, events) = unbounded();
            let on_open = {
                let tx = tx.clone();
                Closure::<dyn FnMut()>::new(move || {
                    let _ = tx.unbounded_send(Event::Open);
                })
            };
            let on_message = {
                let tx = tx.clone();
                // Text frames only: the server sends no binary ones.
                Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                    if let Some(text) = e.data().as_string() {
                        let _ = tx.unbounded_send(Event::Text(text));
                    }
                })
            };
            let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
                let _ = tx.unbounded_send(Event::Closed(e.code()));
            });
            ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
            Some(Conn { ws, events, _on_open: on_open, _on_message: on_message, _on_close: on_close })
        }

        /// Sends a text frame; `false` if the socket cannot take it.
        pub fn send(&self, text: &str) -> bool {
            self.ws.send_with_str(text).is_ok()
        }
    }

    impl Drop for Conn {
        fn drop(&mut self) {
            // Unhook first: the closures are freed with `self`, and the socket may still fire.
            self.ws.set_onopen(None);
            self.ws.set_onmessage(None);
            self.ws.set_onclose(None);
            let _ = self.ws.close();
        }
    }
}

mod link {
    use super::conn::{Conn, Event};
    use crate::backoff::{self, Retry};
    use crate::protocol::{ClientMsg, DecodeError, ServerMsg};
    use crate::ws_client::LinkState;
    use futures::channel::mpsc::UnboundedReceiver;
    use futures::{FutureExt, StreamExt};
    use gloo_timers::future::TimeoutFuture;
    use std::{cell::Cell, rc::Rc};

    const CONNECT_TIMEOUT_MS: u32 = 10_000;
    /// The close code a server sends when it shuts down to restart (RFC 6455 section 7.4.1).
    const SERVICE_RESTART: u16 = 1012;

    pub async fn run(
        decode: fn(&str) -> Result<ServerMsg, DecodeError>,
        hello: Box<dyn Fn() -> Option<ClientMsg>>,
        on_message: Box<dyn Fn(ServerMsg)>,
        on_link: Box<dyn Fn(LinkState)>,
        mut outgoing: UnboundedReceiver<ClientMsg>,
        mut kicks: UnboundedReceiver<()>,
        last_heard: Rc<Cell<f64>>,
    ) {
        let mut failures = 0u32;
        // Set by a "restarting" close, until the server answers again.
        let mut restarting = false;
        let down =
            |restarting: bool| if restarting { LinkState::Restarting } else { LinkState::Reconnecting };
        loop {
            on_link(if failures == 0 && !restarting { LinkState::Connecting } else { down(restarting) });
            // Set when the server turned this screen away for now: wait this long.
            let mut retry_after = None;
            if let Some(mut conn) = Conn::open(&socket_url()) {
                // The hello goes out once the socket opens; a close before that, a timeout or a
                // kick ends the wait.
                let hello = hello().unwrap_or(ClientMsg::Ping {});
                let opened = futures::select! {
                    event = conn.events.next() => matches!(event, Some(Event::Open)),
                    () = TimeoutFuture::new(CONNECT_TIMEOUT_MS).fuse() => false,
                    _ = kicks.next() => false,
                };
                let greeted = opened && conn.send(&hello.to_json());
                if greeted {
                    restarting = false;
                    let mut answered = false;
                    loop {
                        futures::select! {
                            event = conn.events.next() => match event {
                                Some(Event::Text(text)) => {
                                    last_heard.set(js_sys::Date::now());
                                    // Not serde: its derived decoder was a sixth of this wasm (core's protocol/decode.rs).
                                    match decode(&text) {
                                        Ok(msg) => {
                                            // Only a server that answers properly resets the
                                            // backoff: one that takes the socket and closes it at
                                            // once (too many connections) is not retried 5x a second.
                                            if !matches!(msg, ServerMsg::Error { .. }) {
                                                failures = 0;
                                            }
                                            let refused = match &msg {
                                                ServerMsg::Error { retry_after_ms: Some(ms), .. } if !answered => Some(*ms),
                                                _ => None,
                                            };
                                            if !answered {
                                                answered = true;
                                                on_link(if refused.is_some() { LinkState::Waiting } else { LinkState::Open });
                                            }
                                            on_message(msg);
                                            if refused.is_some() {
                                                retry_after = refused;
                                                break;
                                            }
                                        }
                                        // A newer server may send messages this page does not know: skip them.
                                        Err(err) => leptos::logging::warn!("unreadable server message {text}: {err}"),
                                    }
                                }
                                Some(Event::Closed(SERVICE_RESTART)) => {
                                    // Start the backoff afresh: the server is back in a second or two.
                                    restarting = true;
                                    failures = 0;
                                    break;
                                }
                                _ => break,
                            },
                            msg = outgoing.next() => match msg {
                                Some(msg) => if !conn.send(&msg.to_json()) { break },
                                // The page is gone: dropping the socket closes it.
                                None => return,
                            },
                            _ = kicks.next() => break,
                        }
                    }
                }
            }
            failures += 1;
            // Full jitter on every path (see `backoff`), so a hall of phones does not return in step.
            let retry = match retry_after {
                Some(after_ms) => Retry::Told { after_ms },
                None if restarting => Retry::Restarting { failures },
                None => Retry::Dropped { failures },
            };
            if retry_after.is_none() {
                on_link(down(restarting));
            }
            let delay = backoff::delay_ms(retry, js_sys::Math::random());
            futures::select! {
                () = TimeoutFuture::new(delay).fuse() => {}
                _ = kicks.next() => {}
            }
        }
    }

    /// The hub's address on the server that served this page: ws:// or wss:// to match.
    fn socket_url() -> String {
        let location = web_sys::window().expect("a browser window").location();
        let scheme = if location.protocol().as_deref() == Ok("https:") { "wss" } else { "ws" };
        format!("{scheme}://{}/ws", location.host().unwrap_or_default())
    }
}

mod wake {
    use crate::protocol::ClientMsg;
    use futures::channel::mpsc::UnboundedSender;
    use std::{cell::Cell, rc::Rc};
    use wasm_bindgen::{closure::Closure, JsCast};

    /// How long a shown-again page waits for a `pong` before it calls the socket dead.
    const PROBE_MS: u32 = 1_200;

    /// Reconnects at once when the network returns, and probes the socket when the page is
    /// shown again. The listeners live as long as the page.
    pub fn install(kick: UnboundedSender<()>, tx: UnboundedSender<ClientMsg>, last_heard: Rc<Cell<f64>>) {
        let Some(window) = web_sys::window() else { return };
        let online = {
            let kick = kick.clone();
            Closure::<dyn Fn()>::new(move || {
                let _ = kick.unbounded_send(());
            })
        };
        let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        online.forget();

        let visible = Closure::<dyn Fn()>::new(move || {
            let hidden = web_sys::window().and_then(|w| w.document()).is_none_or(|d| d.hidden());
            if hidden || tx.is_closed() {
                return;
            }
            let asked = js_sys::Date::now();
            let _ = tx.unbounded_send(ClientMsg::Ping {});
            let (kick, last_heard) = (kick.clone(), last_heard.clone());
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(PROBE_MS).await;
                if last_heard.get() < asked {
                    let _ = kick.unbounded_send(());
                }
            });
        });
        if let Some(document) = window.document() {
            let _ = document
                .add_event_listener_with_callback("visibilitychange", visible.as_ref().unchecked_ref());
        }
        visible.forget();
    }
}
