//! A connection's way out: its socket, written to by whoever has frames for it, and a small
//! bounded queue for what the socket cannot take yet.
//!
//! A broadcast is framed once ([`frame`]: a server's frames are not masked, so every phone gets
//! the very same bytes) and each connection's share is a reference to them. The raffle task
//! queues a batch of frames on every connection of its audience and then writes each
//! connection's queue straight to its socket ([`Outbox::flush`]): one `writev` per connection
//! per batch, with no task to wake and no copy. Only when a socket is full does the queue hold
//! frames; then the connection's own task is woken and writes the rest as the socket drains
//! ([`Outbox::drain`]). When the queue is full the connection is hung up: a phone too slow to
//! read is dropped (it will reconnect and resume) rather than allowed to grow the server's
//! memory or make the raffle wait.
//!
//! Every write happens under the queue's lock, so frames never interleave, whoever writes
//! them; the lock is never held across an `.await` (a write that would block returns at once).

use bytes::{Buf, Bytes, BytesMut};
use raffler_core::protocol::ServerMsg;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tungstenite::protocol::frame::Frame as WsFrame;
use tungstenite::protocol::CloseFrame;

/// Frames one `writev` hands the kernel at most (Linux allows 1,024 slices).
const WRITE_SLICES: usize = 64;

/// Complete WebSocket frames (header and payload; usually one, or a batch's run of broadcasts
/// to the same audience, [`Frame::then`]), shared by every connection they go to.
#[derive(Clone, Debug)]
pub struct Frame {
    bytes: Bytes,
    /// How many WebSocket frames `bytes` holds, for `frames_out`.
    count: u32,
    /// It holds a draw's result, for the server's own fan-out time (`Metrics::result_written`).
    result: bool,
}

impl Frame {
    /// The frame as it goes on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn is_result(&self) -> bool {
        self.result
    }

    /// A frame of bytes already framed (tungstenite's own: a pong, a close echo).
    pub fn raw(bytes: Bytes) -> Self {
        Self { bytes, count: 1, result: false }
    }

    /// These frames, then `next`'s, as one run of bytes: a connection queues, and its socket
    /// takes, a draw's `draw_started` and `winner_drawn` as one piece, not two (one queue entry
    /// and one slice of the `writev` per phone instead of two).
    pub fn then(self, next: Frame) -> Self {
        // A run is built before anyone shares it, so its bytes are extended in place: a phone's
        // catch-up (up to 32 messages) costs one growing buffer, not a copy per message.
        let mut bytes = self.bytes.try_into_mut().unwrap_or_else(|shared| BytesMut::from(&shared[..]));
        bytes.extend_from_slice(&next.bytes);
        Self { bytes: bytes.freeze(), count: self.count + next.count, result: self.result || next.result }
    }

    fn ws(frame: WsFrame) -> Self {
        let mut out = Vec::with_capacity(frame.len());
        frame.format(&mut out).expect("formatting into a Vec cannot fail");
        Self::raw(out.into())
    }

    /// A ping with no payload: the heartbeat.
    pub fn ping() -> Self {
        Self::ws(WsFrame::ping(Bytes::new()))
    }

    /// A close frame: after it, nothing more goes out.
    pub fn close(code: u16, reason: &'static str) -> Self {
        Self::ws(WsFrame::close(Some(CloseFrame { code: CloseCode::from(code), reason: reason.into() })))
    }
}

/// A message as the text frame every connection it goes to shares: serialized and framed once.
pub fn frame(msg: &ServerMsg) -> Frame {
    let text = WsFrame::message(msg.to_json(), OpCode::Data(Data::Text), true);
    Frame { result: matches!(msg, ServerMsg::WinnerDrawn { .. }), ..Frame::ws(text) }
}

/// What queueing a frame did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    /// It waits behind frames the connection's task is already writing.
    Behind,
    /// The queue was empty: whoever queued it must [`Outbox::flush`] soon (after its batch).
    First,
    /// The connection is gone or was too far behind and is hung up: send it nothing more.
    Lost,
}

/// What a flush wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub frames: u64,
    pub results: u64,
}

impl std::ops::AddAssign for Written {
    fn add_assign(&mut self, other: Self) {
        self.frames += other.frames;
        self.results += other.results;
    }
}

/// A connection's socket and queue; cheap to clone (every clone is the same connection).
#[derive(Clone)]
pub struct Outbox(Arc<Link>);

struct Link {
    stream: TcpStream,
    queue: Mutex<Queue>,
    /// Wakes the connection's task: the socket was full with frames still queued, or the
    /// connection is hung up.
    wake: Notify,
    capacity: usize,
}

#[derive(Default)]
struct Queue {
    /// Frames not yet written; the first may be partly written already.
    frames: VecDeque<Frame>,
    /// The socket was full: the connection's task writes the rest when it can take more.
    blocked: bool,
    /// Nothing more may be queued: a close frame is queued, or the connection is hung up.
    closing: bool,
    /// Stop writing at all: the socket failed, or the queue overflowed.
    hung_up: bool,
}

/// Why the connection's writing ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Everything up to and including the close frame is written.
    Closed,
    /// Hung up: too far behind, or the socket failed.
    HungUp,
}

impl Outbox {
    /// The way out of `stream`, holding at most `capacity` frames (or runs of frames) the socket
    /// cannot take yet.
    pub fn new(stream: TcpStream, capacity: usize) -> Self {
        Self(Arc::new(Link { stream, queue: Mutex::new(Queue::default()), wake: Notify::new(), capacity }))
    }

    /// The socket, for the connection's own reads.
    pub fn stream(&self) -> &TcpStream {
        &self.0.stream
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding it cannot leave the queue half-changed (each change is one
        // push or pop), so a poisoned lock is still a good queue.
        self.0.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a frame, without writing it; see [`Queued`] for who writes it.
    pub fn queue(&self, frame: Frame) -> Queued {
        let mut queue = self.lock();
        if queue.closing {
            return Queued::Lost;
        }
        if queue.frames.len() >= self.0.capacity {
            tracing::warn!("hanging up a connection that stopped reading; it will resume");
            queue.hang_up();
            drop(queue);
            self.0.wake.notify_one();
            return Queued::Lost;
        }
        let first = queue.frames.is_empty() && !queue.blocked;
        queue.frames.push_back(frame);
        if first {
            Queued::First
        } else {
            Queued::Behind
        }
    }

    /// Queues a frame and writes what the socket takes now. `false` if the connection is gone.
    pub fn send(&self, frame: Frame) -> Written {
        match self.queue(frame) {
            Queued::First => self.flush(),
            Queued::Behind | Queued::Lost => Written::default(),
        }
    }

    /// Queues one message for this connection alone, and writes it.
    pub fn send_msg(&self, msg: &ServerMsg) -> Written {
        self.send(frame(msg))
    }

    /// Closes the connection with a close code, after the frames already queued; nothing
    /// queued after it goes out.
    pub fn close(&self, code: u16, reason: &'static str) {
        let frame = Frame::close(code, reason);
        let first = {
            let mut queue = self.lock();
            if queue.closing {
                return;
            }
            let first = queue.frames.is_empty() && !queue.blocked;
            queue.frames.push_back(frame);
            queue.closing = true;
            first
        };
        if first {
            self.flush();
        }
        // The connection's task learns that the close is queued (or out already): it stops
        // once the close frame is written.
        self.0.wake.notify_one();
    }

    /// Writes what is queued as far as the socket takes it now; if it fills, the connection's
    /// task is woken to write the rest as the socket drains. Never waits.
    pub fn flush(&self) -> Written {
        let mut queue = self.lock();
        if queue.blocked {
            return Written::default(); // the connection's task has it
        }
        let (written, full) = queue.write_to(&self.0.stream);
        if full {
            queue.blocked = true;
        }
        // The connection's task takes over a full socket, ends on a hang-up, and stops once
        // the close frame is out (it may be written here, queued behind this batch's frames).
        let wake = full || queue.hung_up || (queue.closing && queue.frames.is_empty());
        drop(queue);
        if wake {
            self.0.wake.notify_one();
        }
        written
    }

    /// Stops writing for good (the session is over): what is queued is dropped, and the socket
    /// is shut down now rather than when the raffle lets go of its last reference.
    pub fn shut_down(&self) {
        self.lock().hang_up();
        self.0.wake.notify_one();
        let _ = socket2::SockRef::from(&self.0.stream).shutdown(std::net::Shutdown::Both);
    }

    /// The connection's own task: writes what the socket could not take when it was queued,
    /// as the socket drains, until the close frame is out or the connection is hung up.
    /// Cancel-safe: nothing is lost if it is dropped while it waits.
    pub async fn drain(&self, on_written: impl Fn(Written)) -> Ended {
        loop {
            {
                let mut queue = self.lock();
                if queue.hung_up {
                    return Ended::HungUp;
                }
                if queue.blocked {
                    let (written, full) = queue.write_to(&self.0.stream);
                    queue.blocked = full;
                    on_written(written);
                }
                if queue.hung_up {
                    return Ended::HungUp;
                }
                if queue.closing && queue.frames.is_empty() {
                    return Ended::Closed;
                }
            }
            let blocked = self.lock().blocked;
            if blocked {
                // A hang-up (the queue overflowed behind a phone that stopped reading) wakes it
                // too: that socket may never become writable again.
                tokio::select! {
                    ready = self.0.stream.writable() => {
                        if ready.is_err() {
                            self.lock().hang_up();
                            return Ended::HungUp;
                        }
                    }
                    () = self.0.wake.notified() => {}
                }
            } else {
                self.0.wake.notified().await;
            }
        }
    }
}

impl Queue {
    fn hang_up(&mut self) {
        self.hung_up = true;
        self.closing = true;
        self.blocked = false;
        self.frames.clear();
    }

    /// Writes queued frames, several per `writev`, until the queue is empty or the socket is
    /// full (`true`). A failed socket hangs the connection up.
    fn write_to(&mut self, stream: &TcpStream) -> (Written, bool) {
        let mut written = Written::default();
        while !self.frames.is_empty() && !self.hung_up {
            let result = if let (1, Some(only)) = (self.frames.len(), self.frames.front()) {
                // The usual case (a batch's broadcasts are one run of frames, `Frame::then`):
                // a plain write, without filling the slices' array (a third of this
                // function's instructions per phone, counted by callgrind).
                stream.try_write(&only.bytes)
            } else {
                let mut slices = [IoSlice::new(&[]); WRITE_SLICES];
                let mut count = 0;
                for (slot, frame) in slices.iter_mut().zip(&self.frames) {
                    *slot = IoSlice::new(&frame.bytes);
                    count += 1;
                }
                stream.try_write_vectored(&slices[..count])
            };
            match result {
                Ok(mut n) => {
                    while n > 0 {
                        let head = self.frames.front_mut().expect("the kernel wrote no more than given");
                        if n < head.bytes.len() {
                            head.bytes.advance(n);
                            break;
                        }
                        n -= head.bytes.len();
                        let done = self.frames.pop_front().expect("checked above");
                        written.frames += u64::from(done.count);
                        written.results += u64::from(done.result);
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return (written, true),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => self.hang_up(),
            }
        }
        (written, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raffler_core::protocol::PlayerView;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (server, client)
    }

    #[test]
    fn a_result_frame_is_marked_and_framed_as_unmasked_text() {
        let winner = PlayerView { id: 1, name: "Ada".into() };
        let result =
            frame(&ServerMsg::WinnerDrawn { seq: 3, draw: 1, prize: None, winner, claim_seconds: 0 });
        assert!(result.is_result());
        assert!(!frame(&ServerMsg::Resumed { seq: 3 }).is_result());
        let bytes = result.as_bytes();
        assert_eq!(bytes[0], 0x81, "FIN and the text opcode");
        assert_eq!(usize::from(bytes[1]), bytes.len() - 2, "no mask bit, a short length");
        assert!(std::str::from_utf8(&bytes[2..]).unwrap().starts_with(r#"{"type":"winner_drawn""#));
    }

    #[tokio::test]
    async fn queued_frames_go_out_in_order_in_one_flush() {
        let (server, mut client) = pair().await;
        let outbox = Outbox::new(server, 4);
        assert_eq!(outbox.queue(Frame::raw(Bytes::from_static(b"one "))), Queued::First);
        assert_eq!(outbox.queue(Frame::raw(Bytes::from_static(b"two"))), Queued::Behind);
        assert_eq!(outbox.flush(), Written { frames: 2, results: 0 });
        let mut got = [0u8; 7];
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"one two");
    }

    #[tokio::test]
    async fn a_run_of_frames_is_one_entry_counted_as_its_frames() {
        let (server, mut client) = pair().await;
        let outbox = Outbox::new(server, 4);
        let winner = PlayerView { id: 1, name: "Ada".into() };
        let result =
            frame(&ServerMsg::WinnerDrawn { seq: 4, draw: 1, prize: None, winner, claim_seconds: 0 });
        let (first, second) = (frame(&ServerMsg::Resumed { seq: 2 }), frame(&ServerMsg::Resumed { seq: 3 }));
        let run = first.clone().then(second.clone()).then(result.clone());
        assert!(run.is_result(), "a run with a result in it counts for the fan-out time");
        let expected = [first.as_bytes(), second.as_bytes(), result.as_bytes()].concat();
        assert_eq!(run.as_bytes(), &expected[..], "the frames whole, in order");
        assert_eq!(outbox.send(run), Written { frames: 3, results: 1 });
        let mut got = vec![0u8; expected.len()];
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(got, expected);
    }

    #[tokio::test]
    async fn a_reader_that_stops_reading_is_hung_up_not_waited_for() {
        let (server, mut client) = pair().await;
        let outbox = Outbox::new(server, 8);
        let big = Frame::raw(Bytes::from(vec![7u8; 1 << 20]));
        // The socket fills: the rest waits in the queue, for the connection's task.
        outbox.send(big.clone());
        let mut lost = false;
        for _ in 0..64 {
            if outbox.queue(big.clone()) == Queued::Lost {
                lost = true;
                break;
            }
        }
        assert!(lost, "a full queue hangs up instead of growing");
        assert_eq!(outbox.drain(|_| {}).await, Ended::HungUp);
        let mut sink = vec![0u8; 1 << 16];
        let _ = client.read(&mut sink).await;
    }

    #[tokio::test]
    async fn a_task_waiting_on_a_full_socket_learns_of_the_hang_up() {
        let (server, _client) = pair().await;
        let outbox = Outbox::new(server, 8);
        let big = Frame::raw(Bytes::from(vec![7u8; 1 << 20]));
        while outbox.send(big.clone()).frames > 0 {}
        // The socket is full: the task waits for it to drain, which never happens.
        let task = {
            let outbox = outbox.clone();
            tokio::spawn(async move { outbox.drain(|_| {}).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        while outbox.queue(big.clone()) != Queued::Lost {}
        let ended = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        assert_eq!(ended.expect("woken by the hang-up").unwrap(), Ended::HungUp);
    }

    #[tokio::test]
    async fn a_close_written_by_someone_else_s_flush_ends_the_task() {
        let (server, _client) = pair().await;
        let outbox = Outbox::new(server, 8);
        // The raffle queued a frame first and will flush it; the session closes behind it.
        assert_eq!(outbox.queue(Frame::ping()), Queued::First);
        outbox.close(1008, "protocol error");
        let task = {
            let outbox = outbox.clone();
            tokio::spawn(async move { outbox.drain(|_| {}).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(outbox.flush().frames, 2);
        let ended = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        assert_eq!(ended.expect("woken once the close is out").unwrap(), Ended::Closed);
    }

    #[tokio::test]
    async fn the_task_writes_what_a_full_socket_left_then_the_close() {
        let (server, mut client) = pair().await;
        let outbox = Outbox::new(server, 64);
        let big = Frame::raw(Bytes::from(vec![1u8; 4 << 20]));
        outbox.send(big);
        outbox.close(1012, "server restarting");
        let reader = tokio::spawn(async move {
            let mut all = Vec::new();
            client.read_to_end(&mut all).await.unwrap();
            all
        });
        let total = std::sync::atomic::AtomicU64::new(0);
        let ended = outbox.drain(|w| {
            total.fetch_add(w.frames, std::sync::atomic::Ordering::Relaxed);
        });
        assert_eq!(ended.await, Ended::Closed);
        outbox.shut_down();
        drop(outbox);
        let all = reader.await.unwrap();
        let close = Frame::close(1012, "server restarting");
        assert_eq!(all.len(), (4 << 20) + close.as_bytes().len());
        assert!(all.ends_with(close.as_bytes()), "the close frame comes last");
    }

    #[tokio::test]
    async fn nothing_goes_out_after_the_close_frame() {
        let (server, _client) = pair().await;
        let outbox = Outbox::new(server, 4);
        outbox.close(1000, "bye");
        assert_eq!(outbox.queue(Frame::ping()), Queued::Lost);
    }
}
