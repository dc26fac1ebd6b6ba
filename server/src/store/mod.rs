//! Raffles on disk: every event of every raffle, appended to a SQLite database before anyone
//! hears of it, so that a restart (or `kill -9`) takes nothing back.
//!
//! One thread owns the connection; raffle tasks hand it work over a bounded channel and await
//! the answer, so no database call ever runs on the async threads. The thread commits whatever
//! has queued up in one transaction (group commit): with `synchronous=FULL` every commit is an
//! fsync, and a room joining at once must not cost one fsync per phone.
//!
//! Reads for a page (`/verify/<CODE>`) open a read-only connection of their own on a blocking
//! thread: in WAL mode a reader sees every committed event and never holds up the writer.

mod rows;
mod schema;

pub use schema::{Migration, MIGRATIONS};

use crate::metrics::Metrics;
use raffler_core::raffle::Event;
use rows::StoredEvent;
use rusqlite::{params, Connection, OpenFlags};
use std::collections::HashSet;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Jobs waiting for the writer before raffle tasks wait their turn.
const QUEUE: usize = 4_096;
/// The most jobs committed together.
const MAX_BATCH: usize = 1_024;
/// How long a write waits for another program that holds the database's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error(
        "it is not a readable SQLite database (corrupt, or some other file). Raffler has left it \
         exactly as it was: restore it from a backup, or move it away to start with an empty one"
    )]
    Corrupt,
    #[error("another Raffler is already using it (stop that one, or give this one another --database)")]
    InUse,
    #[error("another program holds its lock and did not let go within 5 seconds")]
    Locked,
    #[error("the disk is full")]
    Full,
    #[error("it is read-only (check the file's and its folder's permissions)")]
    ReadOnly,
    #[error("it cannot be opened (check that its folder exists and is writable)")]
    CannotOpen,
    #[error(
        "it was written by a newer Raffler (schema version {version}; this one knows {known}). \
         Run the newer version, or restore a backup"
    )]
    TooNew { version: usize, known: usize },
    #[error("raffle {code}'s event {seq} cannot be read ({why}); was it written by a newer Raffler?")]
    Unreadable { code: String, seq: u64, why: String },
    #[error("the server is shutting down")]
    Closed,
    #[error("SQLite failed: {0}")]
    Sqlite(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match err.sqlite_error_code() {
            Some(C::NotADatabase | C::DatabaseCorrupt) => StoreError::Corrupt,
            Some(C::DatabaseBusy | C::DatabaseLocked) => StoreError::Locked,
            Some(C::DiskFull) => StoreError::Full,
            Some(C::ReadOnly) => StoreError::ReadOnly,
            Some(C::CannotOpen) => StoreError::CannotOpen,
            _ => StoreError::Sqlite(err.to_string()),
        }
    }
}

/// An open raffle as the database holds it.
pub struct SavedRaffle {
    pub code: String,
    /// All its events, first to last.
    pub events: Vec<Event>,
}

/// What [`open`] found.
pub struct Opened {
    pub store: Store,
    /// Raffles that were open when the server last stopped.
    pub open_raffles: Vec<SavedRaffle>,
    /// Every code the database still holds, open or closed: none may be given out again.
    pub taken_codes: HashSet<String>,
}

/// Sends work to the database thread; cheap to clone.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    /// The database file, for readers' own connections.
    path: Arc<PathBuf>,
}

enum Job {
    Append { code: String, events: Vec<StoredEvent>, done: oneshot::Sender<Result<(), StoreError>> },
    Close { code: String, at: u64, done: oneshot::Sender<Result<(), StoreError>> },
    Purge { closed_before: u64, done: oneshot::Sender<Result<Vec<String>, StoreError>> },
    Check { at: u64, done: oneshot::Sender<Result<(), StoreError>> },
    Stop { done: oneshot::Sender<()> },
}

/// Opens (or creates) the database at `path`, brings its schema up to date and reads back the
/// raffles that are still open. Nothing is written to a file that cannot be read.
pub fn open(path: &Path, metrics: Arc<Metrics>) -> Result<Opened, StoreError> {
    open_with(path, MIGRATIONS, metrics)
}

/// [`open`] with a given list of migrations: tests add one to prove old databases still open.
pub fn open_with(path: &Path, migrations: &[Migration], metrics: Arc<Metrics>) -> Result<Opened, StoreError> {
    let lock = lock(path)?;
    let flags =
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Read everything once before writing anything: a damaged file is refused as it is.
    let check: String = conn.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    if check != "ok" {
        return Err(StoreError::Corrupt);
    }
    // WAL with FULL: a commit is on disk when it returns (NORMAL could lose the last ones on a
    // power cut), and readers such as a backup never block the writer.
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Sqlite(format!("could not switch to WAL mode (got {mode})")));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    schema::migrate(&mut conn, migrations)?;
    let open_raffles = load_open(&conn)?;
    let taken_codes = conn
        .prepare("SELECT code FROM raffles")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;

    let (jobs, rx) = mpsc::channel(QUEUE);
    std::thread::Builder::new()
        .name("raffler-store".into())
        .spawn(move || {
            let stopped = write_loop(conn, rx, &metrics);
            // Whoever asked for the stop may open the database again as soon as it hears back.
            drop(lock);
            if let Some(done) = stopped {
                let _ = done.send(());
            }
        })
        .map_err(|err| StoreError::Sqlite(format!("cannot start the database thread: {err}")))?;
    Ok(Opened { store: Store { jobs, path: Arc::new(path.to_owned()) }, open_raffles, taken_codes })
}

/// One Raffler per database: a second one would interleave its events with ours.
fn lock(path: &Path) -> Result<File, StoreError> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(PathBuf::from(lock_path))
        .map_err(|_| StoreError::CannotOpen)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::InUse),
        Err(TryLockError::Error(err)) => Err(StoreError::Sqlite(format!("cannot lock the database: {err}"))),
    }
}

fn load_open(conn: &Connection) -> Result<Vec<SavedRaffle>, StoreError> {
    let codes: Vec<String> = conn
        .prepare("SELECT code FROM raffles WHERE closed_at IS NULL ORDER BY started_at")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut raffles = Vec::with_capacity(codes.len());
    for code in codes {
        let events = events_of(conn, &code)?;
        if !events.is_empty() {
            raffles.push(SavedRaffle { code, events });
        }
    }
    Ok(raffles)
}

/// Every event of raffle `code`, first to last (none if the database has no such raffle).
fn events_of(conn: &Connection, code: &str) -> Result<Vec<Event>, StoreError> {
    let stored = conn
        .prepare_cached("SELECT seq, at, kind FROM events WHERE code = ?1 ORDER BY seq")?
        .query_map([code], |row| Ok(StoredEvent { seq: row.get(0)?, at: row.get(1)?, kind: row.get(2)? }))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut events = Vec::with_capacity(stored.len());
    for (i, row) in stored.iter().enumerate() {
        let unreadable = |why: String| StoreError::Unreadable { code: code.to_owned(), seq: row.seq, why };
        if row.seq != i as u64 + 1 {
            return Err(unreadable(format!("expected event {}", i + 1)));
        }
        events.push(rows::decode(row).map_err(|err| unreadable(err.to_string()))?);
    }
    Ok(events)
}

impl Store {
    /// Appends a raffle's new events; when this returns `Ok` they are on disk.
    pub async fn append<'a>(
        &self,
        code: &str,
        events: impl IntoIterator<Item = &'a Event>,
    ) -> Result<(), StoreError> {
        let events = events.into_iter().map(rows::encode).collect();
        self.ask(|done| Job::Append { code: code.to_owned(), events, done }).await?
    }

    /// Marks a raffle closed at `at` (milliseconds since the epoch): it is not loaded again.
    pub async fn close(&self, code: &str, at: u64) -> Result<(), StoreError> {
        self.ask(|done| Job::Close { code: code.to_owned(), at, done }).await?
    }

    /// Deletes every raffle closed before `closed_before`, with its events; returns their codes.
    pub async fn purge(&self, closed_before: u64) -> Result<Vec<String>, StoreError> {
        self.ask(|done| Job::Purge { closed_before, done }).await?
    }

    /// Proves the database takes writes.
    pub async fn check(&self, at: u64) -> Result<(), StoreError> {
        self.ask(|done| Job::Check { at, done }).await?
    }

    /// Every event on disk of raffle `code`, open or closed (empty if there is none, or it was
    /// purged), read on a connection of its own.
    pub async fn read_events(&self, code: &str) -> Result<Vec<Event>, StoreError> {
        let (path, code) = (self.path.clone(), code.to_owned());
        tokio::task::spawn_blocking(move || {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = Connection::open_with_flags(path.as_path(), flags)?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            events_of(&conn, &code)
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }

    /// Finishes what is queued, checkpoints the WAL into the database file and stops the thread.
    pub async fn stop(&self) {
        let _ = self.ask(|done| Job::Stop { done }).await;
    }

    async fn ask<T>(&self, job: impl FnOnce(oneshot::Sender<T>) -> Job) -> Result<T, StoreError> {
        let (done, answer) = oneshot::channel();
        self.jobs.send(job(done)).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)
    }
}

/// Writes until stopped (returns who asked) or until every sender is gone.
fn write_loop(
    mut conn: Connection,
    mut jobs: mpsc::Receiver<Job>,
    metrics: &Metrics,
) -> Option<oneshot::Sender<()>> {
    let mut stopped = None;
    while stopped.is_none() {
        let Some(first) = jobs.blocking_recv() else { break };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let outcomes = write_batch(&mut conn, &batch);
        metrics.db_write_seconds.observe(started.elapsed().as_secs_f64());
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            match job {
                Job::Append { done, .. } | Job::Close { done, .. } | Job::Check { done, .. } => {
                    let _ = done.send(outcome.map(|_| ()));
                }
                Job::Purge { done, .. } => {
                    let _ = done.send(outcome);
                }
                Job::Stop { done } => stopped = Some(done),
            }
        }
    }
    if let Err(err) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
        tracing::warn!(%err, "could not checkpoint the database on the way out; the WAL keeps it all");
    }
    drop(conn);
    tracing::info!("database closed");
    stopped
}

/// Runs every job in one transaction, each in its own savepoint so that one failing job does
/// not fail the others; returns one outcome per job (purged codes for a purge).
fn write_batch(conn: &mut Connection, batch: &[Job]) -> Vec<Result<Vec<String>, StoreError>> {
    let mut tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(err) => {
            let err = StoreError::from(err);
            return batch.iter().map(|_| Err(err.clone())).collect();
        }
    };
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        let outcome = match tx.savepoint() {
            Ok(sp) => match run(&sp, job) {
                Ok(out) => sp.commit().map(|()| out).map_err(StoreError::from),
                Err(err) => Err(err),
            },
            Err(err) => Err(err.into()),
        };
        outcomes.push(outcome);
    }
    if let Err(err) = tx.commit() {
        let err = StoreError::from(err);
        tracing::error!(%err, "a database commit failed; nothing in it was announced");
        return batch.iter().map(|_| Err(err.clone())).collect();
    }
    outcomes
}

fn run(tx: &Connection, job: &Job) -> Result<Vec<String>, StoreError> {
    match job {
        Job::Append { code, events, .. } => {
            let Some(last) = events.last() else { return Ok(Vec::new()) };
            tx.prepare_cached(
                "INSERT INTO raffles (code, started_at, last_event_at) VALUES (?1, ?2, ?2)
                 ON CONFLICT (code) DO UPDATE SET last_event_at = excluded.last_event_at",
            )?
            .execute(params![code, last.at])?;
            let mut insert =
                tx.prepare_cached("INSERT INTO events (code, seq, at, kind) VALUES (?1, ?2, ?3, ?4)")?;
            for event in events {
                insert.execute(params![code, event.seq, event.at, event.kind])?;
            }
            Ok(Vec::new())
        }
        Job::Close { code, at, .. } => {
            tx.prepare_cached("UPDATE raffles SET closed_at = ?2 WHERE code = ?1")?
                .execute(params![code, at])?;
            Ok(Vec::new())
        }
        Job::Purge { closed_before, .. } => {
            let codes: Vec<String> = tx
                .prepare_cached("SELECT code FROM raffles WHERE closed_at < ?1")?
                .query_map([closed_before], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            for code in &codes {
                tx.prepare_cached("DELETE FROM events WHERE code = ?1")?.execute([code])?;
                tx.prepare_cached("DELETE FROM raffles WHERE code = ?1")?.execute([code])?;
            }
            Ok(codes)
        }
        Job::Check { at, .. } => {
            tx.prepare_cached(
                "INSERT INTO health (id, checked_at) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
            )?
            .execute([at])?;
            Ok(Vec::new())
        }
        Job::Stop { .. } => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests;
