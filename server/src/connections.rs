//! Connections before they are WebSockets, and the open files they all cost.
//!
//! `axum::serve` has neither a header timeout nor a way to see its connections, so the server
//! runs its own accept loop on hyper's HTTP/1 connection (the one axum uses), with:
//! - a **header timeout**: a request's head must arrive within `header_timeout`;
//! - an **idle timeout**: a connection that is not a WebSocket and moves no byte either way for
//!   `idle_timeout` is closed (a socket that never speaks, a browser's idle keep-alive);
//! - one **global cap** on such connections: when it is full, the next connection waits in the
//!   kernel's backlog until one finishes its handshake (a reconnect storm: each takes
//!   milliseconds), for at most `ADMIT_WAIT`; then the connection idle the longest is closed to
//!   make room (a slow client holding every place). Never a cap per address: a whole hall
//!   shares one address.
//! - an accept loop that, out of files (EMFILE), frees one, waits a little and says so at most
//!   every ten seconds, instead of spinning and filling the log.
//!
//! WebSockets are counted against what the open-file limit leaves ([`websocket_budget`]); one
//! over it is told `server_full` and closed with 1013 by the session (`socket/`).

use axum::{body::Body, extract::ConnectInfo, Router};
use hyper::{body::Incoming, server::conn::http1, Request};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// Files kept for everything but client connections: the database (file, journal, shared
/// memory, lock file), the listener, the runtime's own (epoll, eventfd, signals), stdio, and
/// WebSockets being told that the server is full before they close.
pub const RESERVED_FILES: u64 = 256;

/// How long a connection waits in the backlog for a place among those not yet WebSockets
/// before the idlest of them is closed to make room.
const ADMIT_WAIT: Duration = Duration::from_millis(500);
/// How long accepting pauses when the process is out of files.
const OUT_OF_FILES_PAUSE: Duration = Duration::from_millis(100);
/// Accept errors are logged at most this often (with how many there were).
const ACCEPT_ERROR_LOG_EVERY: Duration = Duration::from_secs(10);

/// The open-file limit the process runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFiles {
    /// The limit in force (the soft one).
    pub soft: u64,
    pub hard: u64,
    /// The soft limit before [`raise_open_file_limit`] raised it, if it did.
    pub raised_from: Option<u64>,
}

/// Raises the soft open-file limit to the hard one. A shell or a systemd unit starts a process
/// with a soft limit of 1,024, one file per connection: not even a small hall.
pub fn raise_open_file_limit() -> io::Result<OpenFiles> {
    let (before, hard) = rlimit::Resource::NOFILE.get()?;
    let soft = rlimit::increase_nofile_limit(u64::MAX)?;
    Ok(OpenFiles { soft, hard, raised_from: (soft > before).then_some(before) })
}

/// The open-file limit in force now.
pub fn open_files() -> io::Result<OpenFiles> {
    let (soft, hard) = rlimit::Resource::NOFILE.get()?;
    Ok(OpenFiles { soft, hard, raised_from: None })
}

/// How many connections not yet WebSockets there may be: the setting, but at most a quarter of
/// the open files, so that a low limit still leaves most of them to the WebSockets.
pub fn pending_cap(setting: usize, open_files: u64) -> usize {
    setting.min(usize::try_from(open_files / 4).unwrap_or(usize::MAX)).max(1)
}

/// How many WebSockets the open files leave room for, next to `pending` other connections and
/// the [`RESERVED_FILES`].
pub fn websocket_budget(open_files: u64, pending: usize) -> usize {
    let left = open_files.saturating_sub(RESERVED_FILES).saturating_sub(pending as u64);
    usize::try_from(left).unwrap_or(usize::MAX)
}

/// The timeouts and the cap for connections that are not WebSockets.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_pending: usize,
}

/// Accepts connections and serves `app` on each until `stop` is cancelled; then stops
/// accepting, lets requests in flight finish (idle connections close at once) for at most
/// `grace`, and returns. WebSocket sessions are not waited for here: they have their own.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    stop: CancellationToken,
    grace: Duration,
) -> io::Result<()> {
    let pending = Pending::new(limits.max_pending);
    let connections = TaskTracker::new();
    let mut errors = AcceptErrors::default();
    // Whether the places stayed taken through a whole wait: from then on the idlest is closed
    // at once for each newcomer, until there is room again.
    let mut held = false;
    loop {
        // Full: the next connection waits in the kernel's backlog for a while, as a hall's
        // reconnect storm needs (its handshakes finish in milliseconds, each making room),
        // and only then is the idlest closed for it. Clients that hold every place (slow or
        // silent on purpose) make only the first newcomer wait, not each one.
        if !pending.is_full() {
            held = false;
        } else if !held {
            tokio::select! {
                () = stop.cancelled() => break,
                () = pending.room_within(ADMIT_WAIT) => {}
            }
            held = pending.is_full();
        }
        let accepted = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                if errors.on_error(&err, &pending) {
                    tokio::select! {
                        () = stop.cancelled() => break,
                        () = tokio::time::sleep(OUT_OF_FILES_PAUSE) => {}
                    }
                }
                continue;
            }
        };
        let entry = pending.admit();
        connections.spawn(serve_connection(
            stream,
            peer,
            app.clone(),
            entry,
            pending.clone(),
            limits,
            stop.clone(),
        ));
    }
    drop(listener);
    connections.close();
    if tokio::time::timeout(grace, connections.wait()).await.is_err() {
        tracing::warn!("some page requests were still running at shutdown");
    }
    Ok(())
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    entry: Arc<Entry>,
    pending: Pending,
    limits: HttpLimits,
    stop: CancellationToken,
) {
    let io = TokioIo::new(Tracked { inner: stream, entry: entry.clone() });
    // Handlers read the client's address as axum's `ConnectInfo`, as with `axum::serve`.
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(request)
    });
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let mut connection = pin!(builder.serve_connection(io, service).with_upgrades());
    let mut stopping = false;
    loop {
        let idle_until = tokio::time::Instant::from_std(entry.last_active() + limits.idle_timeout);
        tokio::select! {
            // Done, or became a WebSocket (its session owns the socket from now on).
            _ = connection.as_mut() => break,
            // Closed to make room for a newer one.
            () = entry.evicted.cancelled() => break,
            () = stop.cancelled(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(idle_until) => {
                if entry.last_active().elapsed() >= limits.idle_timeout {
                    break;
                }
            }
        }
    }
    pending.remove(entry.id);
}

/// The connections that are not WebSockets, by id.
#[derive(Clone)]
struct Pending {
    inner: Arc<Mutex<PendingInner>>,
    /// Told when a connection leaves (became a WebSocket, or closed).
    freed: Arc<tokio::sync::Notify>,
    cap: usize,
    epoch: Instant,
}

struct PendingInner {
    entries: HashMap<u64, Arc<Entry>>,
    next_id: u64,
}

struct Entry {
    id: u64,
    epoch: Instant,
    /// Milliseconds after `epoch` of the last byte read or written.
    last_active_ms: AtomicU64,
    evicted: CancellationToken,
}

impl Entry {
    fn touch(&self) {
        self.last_active_ms.store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn last_active(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last_active_ms.load(Ordering::Relaxed))
    }
}

impl Pending {
    fn new(cap: usize) -> Self {
        let inner = PendingInner { entries: HashMap::new(), next_id: 0 };
        let freed = Arc::new(tokio::sync::Notify::new());
        Self { inner: Arc::new(Mutex::new(inner)), freed, cap: cap.max(1), epoch: Instant::now() }
    }

    fn is_full(&self) -> bool {
        self.inner.lock().expect("connection registry lock poisoned").entries.len() >= self.cap
    }

    /// Returns once there is room, or after `wait` (then `admit` closes the idlest).
    async fn room_within(&self, wait: Duration) {
        let _ = tokio::time::timeout(wait, async {
            loop {
                let freed = self.freed.notified();
                let mut freed = pin!(freed);
                // Registered before looking, so a place freed in between is not missed.
                freed.as_mut().enable();
                if !self.is_full() {
                    return;
                }
                freed.await;
            }
        })
        .await;
    }

    /// Registers a new connection; when the cap is reached, closes the one idle longest first.
    fn admit(&self) -> Arc<Entry> {
        let mut inner = self.inner.lock().expect("connection registry lock poisoned");
        if inner.entries.len() >= self.cap {
            inner.evict_idlest();
        }
        inner.next_id += 1;
        let entry = Arc::new(Entry {
            id: inner.next_id,
            epoch: self.epoch,
            last_active_ms: AtomicU64::new(0),
            evicted: CancellationToken::new(),
        });
        entry.touch();
        inner.entries.insert(entry.id, entry.clone());
        entry
    }

    fn remove(&self, id: u64) {
        self.inner.lock().expect("connection registry lock poisoned").entries.remove(&id);
        self.freed.notify_waiters();
    }

    /// Closes the connection idle longest, to free its file; `false` if there is none.
    fn evict_idlest(&self) -> bool {
        self.inner.lock().expect("connection registry lock poisoned").evict_idlest()
    }
}

impl PendingInner {
    fn evict_idlest(&mut self) -> bool {
        let idlest =
            self.entries.values().min_by_key(|e| e.last_active_ms.load(Ordering::Relaxed)).map(|e| e.id);
        match idlest.and_then(|id| self.entries.remove(&id)) {
            Some(entry) => {
                entry.evicted.cancel();
                true
            }
            None => false,
        }
    }
}

/// Accept errors: ones about a single connection are ignored; running out of files (or memory)
/// frees the idlest connection, pauses accepting briefly, and is logged once per interval.
#[derive(Default)]
struct AcceptErrors {
    last_logged: Option<Instant>,
    unlogged: u64,
}

impl AcceptErrors {
    /// Whether to pause before accepting again.
    fn on_error(&mut self, err: &io::Error, pending: &Pending) -> bool {
        use io::ErrorKind as K;
        if matches!(
            err.kind(),
            K::ConnectionAborted | K::ConnectionReset | K::ConnectionRefused | K::Interrupted
        ) {
            return false; // that client gave up before we took it: nothing wrong here
        }
        let freed = pending.evict_idlest();
        self.unlogged += 1;
        if self.last_logged.is_none_or(|at| at.elapsed() >= ACCEPT_ERROR_LOG_EVERY) {
            // EMFILE (this process) or ENFILE (the whole system), as Linux numbers them.
            if matches!(err.raw_os_error(), Some(24 | 23)) {
                tracing::error!(
                    errors = self.unlogged,
                    freed_an_idle_connection = freed,
                    "cannot accept connections: too many open files. Raise the open-file limit \
                     (LimitNOFILE= in the systemd unit, `ulimit -n` in the shell) or lower \
                     --max-connections"
                );
            } else {
                tracing::error!(%err, errors = self.unlogged, "cannot accept connections");
            }
            self.last_logged = Some(Instant::now());
            self.unlogged = 0;
        }
        true
    }
}

/// The TCP stream under a connection hyper upgraded (a WebSocket), with the bytes hyper had
/// read past the request already. The WebSocket session writes to the socket itself: a
/// broadcast goes straight from the raffle to each socket (`outbox.rs`).
pub fn upgraded_stream(upgraded: hyper::upgrade::Upgraded) -> Option<(TcpStream, bytes::Bytes)> {
    let parts = upgraded.downcast::<TokioIo<Tracked>>().ok()?;
    Some((parts.io.into_inner().inner, parts.read_buf))
}

/// A TCP stream that notes when it last moved a byte, for the idle timeout and the eviction.
struct Tracked {
    inner: TcpStream,
    entry: Arc<Entry>,
}

impl AsyncRead for Tracked {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.entry.touch();
        }
        read
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.entry.touch();
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.entry.touch();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_registry_closes_the_connection_idle_longest() {
        let pending = Pending::new(2);
        let (a, b) = (pending.admit(), pending.admit());
        std::thread::sleep(Duration::from_millis(5));
        a.touch(); // a moved a byte since; b did not
        let c = pending.admit();
        assert!(b.evicted.is_cancelled() && !a.evicted.is_cancelled() && !c.evicted.is_cancelled());
        assert_eq!(pending.inner.lock().unwrap().entries.len(), 2);
        pending.remove(a.id);
        pending.remove(c.id);
        assert!(!pending.evict_idlest(), "nothing left to close");
    }

    #[tokio::test]
    async fn a_full_registry_waits_for_room_before_closing_anyone() {
        let pending = Pending::new(1);
        let first = pending.admit();
        assert!(pending.is_full());
        let waiting = {
            let pending = pending.clone();
            tokio::spawn(async move { pending.room_within(Duration::from_secs(30)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "waits while every place is taken");
        pending.remove(first.id);
        tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("room made").unwrap();
        assert!(!first.evicted.is_cancelled(), "nobody was closed for it");
        // No room within the wait: it returns, and admitting closes the idlest.
        let second = pending.admit();
        pending.room_within(Duration::from_millis(10)).await;
        let _third = pending.admit();
        assert!(second.evicted.is_cancelled());
    }

    #[test]
    fn the_budget_leaves_files_for_the_database_and_pending_connections() {
        assert_eq!(pending_cap(1_024, 20_000), 1_024);
        assert_eq!(pending_cap(1_024, 1_024), 256, "a low limit keeps most files for WebSockets");
        assert_eq!(websocket_budget(20_000, 1_024), 20_000 - 256 - 1_024);
        assert_eq!(websocket_budget(1_024, 256), 512);
        assert_eq!(websocket_budget(100, 256), 0);
    }

    #[test]
    fn out_of_files_pauses_and_logs_once_per_interval() {
        let pending = Pending::new(4);
        let _idle = pending.admit();
        let mut errors = AcceptErrors::default();
        let emfile = io::Error::from_raw_os_error(24);
        assert!(errors.on_error(&emfile, &pending), "pauses");
        assert!(_idle.evicted.is_cancelled(), "frees the idle connection's file");
        for _ in 0..1_000 {
            errors.on_error(&emfile, &pending);
        }
        assert_eq!(errors.unlogged, 1_000, "logged once, then counted until the next interval");
        let reset = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert!(!errors.on_error(&reset, &pending), "one client's problem: no pause");
    }
}
