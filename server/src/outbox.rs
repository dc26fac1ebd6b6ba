//! A connection's bounded queue of outgoing frames. When it is full the connection is hung up:
//! a phone too slow to read is dropped (it will reconnect and resume) rather than allowed to
//! grow the server's memory or make the raffle wait.

use axum::extract::ws::Utf8Bytes;
use raffler_core::protocol::ServerMsg;
use std::sync::Arc;
use tokio::sync::{mpsc, Notify};

pub enum Outgoing {
    Text(Utf8Bytes),
    /// Close the connection with this WebSocket close code and reason, after what is queued.
    Close(u16, &'static str),
}

#[derive(Clone)]
pub struct Outbox {
    frames: mpsc::Sender<Outgoing>,
    hang_up: Arc<Notify>,
}

pub struct OutboxReceiver {
    pub frames: mpsc::Receiver<Outgoing>,
    pub hang_up: Arc<Notify>,
}

pub fn outbox(capacity: usize) -> (Outbox, OutboxReceiver) {
    let (tx, rx) = mpsc::channel(capacity);
    let hang_up = Arc::new(Notify::new());
    (Outbox { frames: tx, hang_up: hang_up.clone() }, OutboxReceiver { frames: rx, hang_up })
}

/// A message as the frame every connection it goes to shares: serialized once.
pub fn frame(msg: &ServerMsg) -> Utf8Bytes {
    Utf8Bytes::from(msg.to_json())
}

impl Outbox {
    /// Queues one message for this connection alone.
    pub fn send_msg(&self, msg: &ServerMsg) -> bool {
        self.send(frame(msg))
    }

    /// Queues a frame. `false` if the connection is gone, or was too far behind and is being
    /// hung up; either way it should not be sent to again.
    pub fn send(&self, frame: Utf8Bytes) -> bool {
        self.push(Outgoing::Text(frame))
    }

    /// Closes the connection with a close code, after the frames already queued.
    pub fn close(&self, code: u16, reason: &'static str) {
        self.push(Outgoing::Close(code, reason));
    }

    fn push(&self, item: Outgoing) -> bool {
        match self.frames.try_send(item) {
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
