//! A connection's bounded queue of outgoing frames. When it is full the connection is hung up:
//! a phone too slow to read is dropped (it will reconnect and resume) rather than allowed to
//! grow the server's memory or make the raffle wait.

use axum::extract::ws::Utf8Bytes;
use std::sync::Arc;
use tokio::sync::{mpsc, Notify};

#[derive(Clone)]
pub struct Outbox {
    frames: mpsc::Sender<Utf8Bytes>,
    hang_up: Arc<Notify>,
}

pub struct OutboxReceiver {
    pub frames: mpsc::Receiver<Utf8Bytes>,
    pub hang_up: Arc<Notify>,
}

pub fn outbox(capacity: usize) -> (Outbox, OutboxReceiver) {
    let (tx, rx) = mpsc::channel(capacity);
    let hang_up = Arc::new(Notify::new());
    (Outbox { frames: tx, hang_up: hang_up.clone() }, OutboxReceiver { frames: rx, hang_up })
}

impl Outbox {
    /// Queues a frame. `false` if the connection is gone, or was too far behind and is being
    /// hung up; either way it should not be sent to again.
    pub fn send(&self, frame: Utf8Bytes) -> bool {
        match self.frames.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!("hanging up a connection that stopped reading; it will resume");
                // notify_one keeps the signal even if the writer is not waiting right now.
                self.hang_up.notify_one();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}
