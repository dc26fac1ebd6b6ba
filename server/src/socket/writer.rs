//! A connection's writer: it drains the outbox into the socket and pings every heartbeat. A
//! phone asleep in a pocket often vanishes without a close frame, and only a missing answer
//! tells; a phone that stopped reading never finishes a write, so both are watched while a
//! write is pending too.

use crate::metrics::Metrics;
use crate::outbox::{OutboxReceiver, Outgoing};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{stream::SplitSink, SinkExt};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

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
                    // Serde writes the tag first: a draw's result, for the server's own
                    // fan-out time (`Metrics::result_written`).
                    let result = frame.as_str().starts_with(RESULT_PREFIX);
                    if !alive.send(&mut sink, Message::Text(frame), &rx).await {
                        return;
                    }
                    metrics.frames_out.inc();
                    if result {
                        metrics.result_written();
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
        let mut send = std::pin::pin!(sink.send(message));
        loop {
            tokio::select! {
                sent = &mut send => return sent.is_ok(),
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
