use super::*;
use raffler_core::raffle::{Actor, Command, Millis, Raffle, RaffleSettings, Token};
use rand::{rngs::StdRng, SeedableRng};
use std::collections::HashMap;

/// A raffle's real events: started, `players` joined, one winner drawn.
fn events(players: usize) -> Vec<Event> {
    let settings = RaffleSettings { spin: Millis(0), ..RaffleSettings::default() };
    let (mut raffle, first) = Raffle::new(
        settings,
        Millis(1_000),
        "K7QX2M",
        Token::new("host"),
        Box::new(StdRng::seed_from_u64(7)),
    );
    let mut events = vec![first];
    for i in 0..players {
        let join =
            Command::Join { name: format!("Player {i}"), token: Token::new(format!("t{i}")), join_id: None };
        events.extend(raffle.handle(Millis(2_000), Actor::Guest, join).unwrap());
    }
    if players > 0 {
        let draw = Command::Draw { draw: raffle.next_draw(), prize: None };
        events.extend(raffle.handle(Millis(3_000), Actor::Host, draw).unwrap());
    }
    events
}

fn path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raffler.db");
    (dir, path)
}

fn open_at(path: &Path) -> Result<Opened, StoreError> {
    open(path, Arc::new(Metrics::default()))
}

#[tokio::test]
async fn events_written_are_read_back_in_order_after_a_restart() {
    let (_dir, path) = path();
    let opened = open_at(&path).unwrap();
    assert!(opened.open_raffles.is_empty());
    let (a, b) = (events(3), events(1));
    // Written in two goes, as a raffle task would.
    opened.store.append("AAAAAA", &a[..2]).await.unwrap();
    opened.store.append("BBBBBB", &b).await.unwrap();
    opened.store.append("AAAAAA", &a[2..]).await.unwrap();
    opened.store.stop().await;

    let reopened = open_at(&path).unwrap();
    let raffles: HashMap<_, _> = reopened.open_raffles.into_iter().map(|r| (r.code, r.events)).collect();
    assert_eq!(raffles["AAAAAA"], a);
    assert_eq!(raffles["BBBBBB"], b);
    assert_eq!(reopened.taken_codes, HashSet::from(["AAAAAA".to_owned(), "BBBBBB".to_owned()]));
}

#[tokio::test]
async fn an_event_written_twice_is_refused_and_the_others_in_its_batch_still_land() {
    let (_dir, path) = path();
    let opened = open_at(&path).unwrap();
    let a = events(1);
    opened.store.append("AAAAAA", &a).await.unwrap();
    let (again, other) =
        tokio::join!(opened.store.append("AAAAAA", &a[..1]), opened.store.append("BBBBBB", &a));
    assert!(again.is_err(), "a sequence number is written once");
    other.unwrap();
    opened.store.stop().await;
    let reopened = open_at(&path).unwrap();
    assert_eq!(reopened.open_raffles.len(), 2);
    assert!(reopened.open_raffles.iter().all(|r| r.events == a));
}

#[tokio::test]
async fn closed_raffles_are_not_loaded_and_are_purged_after_retention() {
    let (_dir, path) = path();
    let opened = open_at(&path).unwrap();
    opened.store.append("OLDOLD", &events(1)).await.unwrap();
    opened.store.append("NEWNEW", &events(1)).await.unwrap();
    opened.store.append("OPENED", &events(1)).await.unwrap();
    opened.store.close("OLDOLD", 10_000).await.unwrap();
    opened.store.close("NEWNEW", 50_000).await.unwrap();
    assert_eq!(opened.store.purge(20_000).await.unwrap(), vec!["OLDOLD".to_owned()]);
    opened.store.check(60_000).await.unwrap();
    opened.store.stop().await;

    let reopened = open_at(&path).unwrap();
    let open: Vec<_> = reopened.open_raffles.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(open, ["OPENED"]);
    // A closed raffle's code stays taken until it is purged.
    assert_eq!(reopened.taken_codes, HashSet::from(["NEWNEW".to_owned(), "OPENED".to_owned()]));
}

#[tokio::test]
async fn a_database_from_this_version_opens_after_a_migration_is_added() {
    let (_dir, path) = path();
    let opened = open_at(&path).unwrap();
    let written = events(5);
    opened.store.append("AAAAAA", &written).await.unwrap();
    opened.store.stop().await;

    // The next version adds a migration; today's database must open under it, data intact.
    let next = [
        Migration { name: MIGRATIONS[0].name, sql: MIGRATIONS[0].sql },
        Migration {
            name: "0002_test_note",
            sql: "ALTER TABLE raffles ADD COLUMN note TEXT; CREATE INDEX events_at ON events (at);",
        },
    ];
    assert_eq!(next.len(), MIGRATIONS.len() + 1, "keep this test's copy of MIGRATIONS complete");
    let migrated = open_with(&path, &next, Arc::new(Metrics::default())).unwrap();
    assert_eq!(migrated.open_raffles[0].events, written);
    migrated.store.append("BBBBBB", &events(0)).await.unwrap();
    migrated.store.stop().await;
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, 2);
    drop(conn);

    // And this version refuses the newer database rather than guess, leaving it as it was.
    let before = std::fs::read(&path).unwrap();
    assert!(matches!(open_at(&path).err(), Some(StoreError::TooNew { version: 2, known: 1 })));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_corrupt_file_is_refused_and_left_exactly_as_it_was() {
    let (dir, path) = path();
    let garbage: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = open_at(&path).err().expect("a corrupt file must not open");
    assert_eq!(err, StoreError::Corrupt);
    assert!(err.to_string().contains("left it exactly as it was"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!names.iter().any(|n| n.to_string_lossy().ends_with("-wal")), "no WAL was started: {names:?}");
}

#[tokio::test]
async fn a_database_with_a_damaged_page_is_refused() {
    let (_dir, path) = path();
    let opened = open_at(&path).unwrap();
    opened.store.append("AAAAAA", &events(200)).await.unwrap();
    opened.store.stop().await;
    // Scribble over the start of the second page: SQLite's own header stays, a page does not.
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 3 * 4_096, "the raffle spans several pages");
    bytes[4_096..4_096 + 512].fill(0xA5);
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(open_at(&path).err(), Some(StoreError::Corrupt));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn a_second_server_on_the_same_database_is_refused() {
    let (_dir, path) = path();
    let _first = open_at(&path).unwrap();
    assert_eq!(open_at(&path).err(), Some(StoreError::InUse));
}

#[test]
fn an_unreadable_event_stops_the_start_with_its_raffle_and_number() {
    let (_dir, path) = path();
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0].sql).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO raffles VALUES ('AAAAAA', 1, 1, NULL);
             INSERT INTO events VALUES ('AAAAAA', 1, 1, '{\"type\":\"started\",\"host_token\":\"h\"}');
             INSERT INTO events VALUES ('AAAAAA', 2, 1, '{\"type\":\"teleported\"}');",
        )
        .unwrap();
    }
    match open_at(&path).err() {
        Some(StoreError::Unreadable { code, seq, .. }) => assert_eq!((code.as_str(), seq), ("AAAAAA", 2)),
        other => panic!("expected unreadable, got {other:?}"),
    }
}
