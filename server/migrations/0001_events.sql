-- Every raffle, and every event of every raffle, in order. A raffle's state is rebuilt by
-- replaying its events (app::raffle::Raffle::replay); nothing else is stored about it.
CREATE TABLE raffles (
    code TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL,      -- milliseconds since the Unix epoch
    last_event_at INTEGER NOT NULL,
    closed_at INTEGER                 -- NULL while the raffle is open (loaded at start)
) STRICT;

CREATE TABLE events (
    code TEXT NOT NULL,
    seq INTEGER NOT NULL,             -- 1, 2, 3, ... per raffle, no gaps
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,               -- JSON, see server/src/store/rows.rs
    PRIMARY KEY (code, seq)
) STRICT, WITHOUT ROWID;

CREATE INDEX raffles_closed_at ON raffles (closed_at);

-- /healthz writes here to prove the database is writable.
CREATE TABLE health (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL
) STRICT;
