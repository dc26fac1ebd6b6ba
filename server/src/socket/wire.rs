//! What tungstenite reads a phone's frames from, and writes its own few frames to (a pong, the
//! echo of a close): the connection's socket, read without waiting (tungstenite keeps a
//! partial frame until the rest arrives), and its outbox, so that tungstenite's frames queue
//! behind the broadcasts already there instead of cutting into one.

use crate::outbox::{Frame, Outbox};
use bytes::Bytes;
use std::io::{self, Read, Write};
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::{Message, WebSocket};

pub struct Wire {
    outbox: Outbox,
}

impl Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.outbox.stream().try_read(buf)
    }
}

impl Write for Wire {
    /// tungstenite hands over whole frames; they are queued whole, so they never interleave
    /// with a broadcast.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.outbox.send(Frame::raw(Bytes::copy_from_slice(buf)));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The server's side of a WebSocket over `outbox`'s socket; `read_ahead` is what was read past
/// the handshake already.
pub fn websocket(outbox: Outbox, read_ahead: &[u8], config: WebSocketConfig) -> WebSocket<Wire> {
    // Written through at once: the outbox is the only buffer on the way out.
    let config = config.write_buffer_size(0);
    WebSocket::from_partially_read(Wire { outbox }, read_ahead.to_vec(), Role::Server, Some(config))
}

/// The next message from the phone, waiting until the socket has one.
pub async fn next_message(ws: &mut WebSocket<Wire>) -> tungstenite::Result<Message> {
    loop {
        match ws.read() {
            Err(tungstenite::Error::Io(err)) if err.kind() == io::ErrorKind::WouldBlock => {
                ws.get_ref().outbox.stream().readable().await?;
            }
            other => return other,
        }
    }
}
