//! A connection's writer: it drains the outbox into the socket and pings every heartbeat. A
//! phone asleep in a pocket often vanishes without a close frame, and only a missing answer
//! tells; a phone that stopped reading never finishes a write, so both are watched while a
//! write is pending too.
//!
//! Frames already queued go out together: fed to tungstenite one by one, flushed once, so a
//! draw's two frames cost one write to the socket.

use crate::metrics::Metrics;
use crate::outbox::{OutboxReceiver, Outgoing};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{stream::SplitSink, SinkExt};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// At most this many frames in one flush: the outbox's size.
const BATCH_FRAMES: u64 = 64;
/// How every `winner_drawn` frame begins.
const RESULT_PREFIX: &str = r#"{"type":"winner_drawn""#;

/// Writes queued frames, and pings every `heartbeat`; closes when nothing was heard from the
/// other side for two heartbeats, or when the outbox hangs up. Both are checked while a write
/// is pending too: a phone that stopped reading (its window is zero) never finishes one.
pub async fn write_frames(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: OutboxReceiver,
    heartbeat: Duration,
    started: Instant,
    last_heard: Arc<AtomicU64>,
    metrics: Arc<Metrics>,
) {
    let alive = Alive { heartbeat, started, last_heard };
    let mut ticker = tokio::time::interval_at(started + heartbeat, heartbeat);
    loop {
        tokio::select! {
            item = rx.frames.recv() => match item {
                Some(Outgoing::Text(frame)) => {
                    if let Written::Closed = write_queued(&mut sink, frame, &mut rx, &alive, &metrics).await {
                        return;
                    }
                }
                Some(Outgoing::Close(code, reason)) => {
                    let close = Message::Close(Some(CloseFrame { code, reason: reason.into() }));
                    alive.send(&mut sink, close, &rx).await;
                    return;
                }
                None => break,
            },
            () = rx.hang_up.notified() => break,
            _ = ticker.tick() => {
                if !alive.heard_lately() {
                    tracing::debug!("closing a connection that stopped answering pings");
                    break;
                }
                if !alive.send(&mut sink, Message::Ping(Default::default()), &rx).await {
                    return;
                }
            }
        }
    }
    // A close frame, if the peer still reads; not waited on past the same deadline.
    let _ = tokio::time::timeout_at(alive.deadline(), sink.close()).await;
}

/// Whether the connection is still open after a batch.
enum Written {
    Open,
    Closed,
}

/// Writes `first` and whatever else is queued already in one flush: a draw's `draw_started` and
/// `winner_drawn`, or a replay, cost one write to the socket rather than one each. Tungstenite
/// buffers each frame as it is fed (up to its write buffer size) and the flush writes them. At
/// most the outbox's worth, so a busy raffle cannot keep one connection's writer to itself. A
/// close queued behind the frames is sent after them.
async fn write_queued(
    sink: &mut SplitSink<WebSocket, Message>,
    first: Utf8Bytes,
    rx: &mut OutboxReceiver,
    alive: &Alive,
    metrics: &Metrics,
) -> Written {
    let (mut frames, mut results) = (0u64, 0u64);
    let mut close = None;
    let mut next = Some(first);
    while let Some(frame) = next.take() {
        // Serde writes the tag first: a draw's result, for the server's own fan-out time
        // (`Metrics::result_written`).
        results += u64::from(frame.as_str().starts_with(RESULT_PREFIX));
        frames += 1;
        if !alive.finish(sink.feed(Message::Text(frame)), rx).await {
            return Written::Closed;
        }
        if frames >= BATCH_FRAMES {
            break;
        }
        match rx.frames.try_recv() {
            Ok(Outgoing::Text(frame)) => next = Some(frame),
            Ok(Outgoing::Close(code, reason)) => close = Some((code, reason)),
            Err(_) => {}
        }
    }
    if !alive.finish(sink.flush(), rx).await {
        return Written::Closed;
    }
    metrics.frames_out.inc_by(frames);
    if results > 0 {
        metrics.result_written();
    }
    if let Some((code, reason)) = close {
        let close = Message::Close(Some(CloseFrame { code, reason: reason.into() }));
        alive.send(sink, close, rx).await;
        return Written::Closed;
    }
    Written::Open
}

/// When the other side was last heard from: it has two heartbeats to say something.
struct Alive {
    heartbeat: Duration,
    started: Instant,
    last_heard: Arc<AtomicU64>,
}

impl Alive {
    /// Two heartbeats after the other side was last heard.
    fn deadline(&self) -> Instant {
        self.started + Duration::from_millis(self.last_heard.load(Ordering::Relaxed)) + self.heartbeat * 2
    }

    fn heard_lately(&self) -> bool {
        Instant::now() <= self.deadline()
    }

    /// Writes one frame; `false` if the connection is gone, or the write is still pending when
    /// the other side has been silent two heartbeats or the outbox hangs up.
    async fn send(
        &self,
        sink: &mut SplitSink<WebSocket, Message>,
        message: Message,
        rx: &OutboxReceiver,
    ) -> bool {
        self.finish(sink.send(message), rx).await
    }

    /// Awaits a write (a feed, a flush, a send) under the same watch: `false` if it failed, or is
    /// still pending when the other side has been silent two heartbeats or the outbox hangs up.
    async fn finish<E>(&self, write: impl Future<Output = Result<(), E>>, rx: &OutboxReceiver) -> bool {
        let mut write = std::pin::pin!(write);
        // Most writes finish at once (the socket had room): then no timer and no waiter are
        // registered, which for every connection of a draw showed in the profile (Sleep::poll,
        // Alive::deadline).
        let first = std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx))).await;
        if let std::task::Poll::Ready(done) = first {
            return done.is_ok();
        }
        loop {
            tokio::select! {
                done = &mut write => return done.is_ok(),
                () = rx.hang_up.notified() => return false,
                // The deadline moves if the peer speaks meanwhile: a slow reader that still
                // answers pings keeps its connection.
                () = tokio::time::sleep_until(self.deadline()) => {
                    if !self.heard_lately() {
                        tracing::debug!("closing a connection that stopped reading");
                        return false;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RESULT_PREFIX;
    use crate::outbox::frame;
    use raffler_core::protocol::{PlayerView, ServerMsg};

    #[test]
    fn a_result_frame_is_recognised_by_its_first_bytes() {
        let winner = PlayerView { id: 1, name: "Ada".into() };
        let result = ServerMsg::WinnerDrawn { seq: 3, draw: 1, prize: None, winner, claim_seconds: 0 };
        assert!(frame(&result).as_str().starts_with(RESULT_PREFIX));
        assert!(!frame(&ServerMsg::Resumed { seq: 3 }).as_str().starts_with(RESULT_PREFIX));
    }
}
