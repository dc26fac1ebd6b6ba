//! Schema migrations, kept in `server/migrations/` and applied in order. SQLite's
//! `user_version` says how many have been applied; each runs in the transaction that bumps it.

use super::StoreError;
use rusqlite::Connection;

pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration this version knows, oldest first. Only ever append to this list.
pub const MIGRATIONS: &[Migration] =
    &[Migration { name: "0001_events", sql: include_str!("../../migrations/0001_events.sql") }];

/// Brings the database up to `migrations`. A database from a newer Raffler (more migrations
/// than this version knows) is refused rather than touched.
pub fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<(), StoreError> {
    let applied: usize = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if applied > migrations.len() {
        return Err(StoreError::TooNew { version: applied, known: migrations.len() });
    }
    for (version, migration) in migrations.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(migration.sql)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        tracing::info!(migration = migration.name, "applied a database migration");
    }
    Ok(())
}
