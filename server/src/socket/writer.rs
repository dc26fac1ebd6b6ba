//! A connection's writing, in its own task: what the socket could not take when it was queued
//! goes out as the socket drains (most frames never wait: the raffle writes them straight to
//! the socket, `outbox.rs`), and a ping every heartbeat. A phone asleep in a pocket often
//! vanishes without a close frame, and only a missing answer tells; a phone that stopped
//! reading cannot answer either, so the same check hangs up a slow reader whose queue has not
//! yet overflowed.

use crate::metrics::Metrics;
use crate::outbox::{Ended, Frame, Outbox};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// Writes what waits, and pings every `heartbeat`, until the close frame is out, the outbox
/// hangs up, or nothing was heard from the other side for two heartbeats.
pub async fn keep_writing(outbox: &Outbox, alive: &Alive, metrics: &Metrics) -> Ended {
    let drain = outbox.drain(|written| {
        metrics.frames_out.inc_by(written.frames);
        if written.results > 0 {
            metrics.result_written();
        }
    });
    let mut drain = std::pin::pin!(drain);
    let mut next_ping = alive.started + alive.heartbeat;
    loop {
        // Woken for the next ping, or when the other side's time is up (it moves when it
        // speaks): a phone that stopped reading is hung up on time, not a heartbeat late.
        let wake = next_ping.min(alive.deadline());
        tokio::select! {
            ended = &mut drain => return ended,
            () = tokio::time::sleep_until(wake) => {
                if Instant::now() > alive.deadline() {
                    tracing::debug!("closing a connection that stopped answering pings");
                    return Ended::HungUp;
                }
                if Instant::now() >= next_ping {
                    metrics.frames_out.inc_by(outbox.send(Frame::ping()).frames);
                    next_ping += alive.heartbeat;
                }
            }
        }
    }
}

/// When the other side was last heard from: it has two heartbeats to say something.
pub struct Alive {
    pub heartbeat: Duration,
    pub started: Instant,
    /// Milliseconds after `started` of the last frame read.
    last_heard: AtomicU64,
}

impl Alive {
    pub fn new(heartbeat: Duration) -> Self {
        Self { heartbeat, started: Instant::now(), last_heard: AtomicU64::new(0) }
    }

    pub fn heard(&self) {
        self.last_heard.store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Two heartbeats after the other side was last heard.
    fn deadline(&self) -> Instant {
        self.started + Duration::from_millis(self.last_heard.load(Ordering::Relaxed)) + self.heartbeat * 2
    }
}
