//! What an operator relies on: /healthz, /metrics, idle raffles closing, and a database that
//! another program locks.

use crate::common;

use common::{is_winner, TestServer};
use raffler_core::protocol::{ClientMsg, ErrorCode, ServerMsg};
use std::time::Duration;

/// The value of a metric line `name value` in the Prometheus text.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no metric {name} in:\n{text}"))
}

#[tokio::test]
async fn healthz_says_ok_and_metrics_count_what_happened() {
    let server = TestServer::start().await;
    let (head, body) = server.http_get("/healthz").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, "ok\n");

    let (mut host, code, _) = server.host().await;
    let mut phones = Vec::new();
    for name in ["Ada", "Grace", "Linus"] {
        phones.push(server.player(&code, name).await);
    }
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    host.recv_until(is_winner).await;
    for phone in &mut phones {
        phone.client.recv_until(is_winner).await;
    }

    let (head, text) = server.http_get("/metrics").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("openmetrics-text"), "{head}");
    assert_eq!(metric(&text, "raffler_raffles_open"), 1.0);
    assert_eq!(metric(&text, "raffler_players_joined_total"), 3.0);
    assert_eq!(metric(&text, "raffler_connections_open"), 4.0);
    assert!(metric(&text, "raffler_frames_in_total") >= 5.0, "start, three joins, a draw");
    assert!(metric(&text, "raffler_frames_out_total") >= 8.0);
    assert_eq!(metric(&text, "raffler_draw_fanout_seconds_count"), 1.0);
    assert!(metric(&text, "raffler_db_write_seconds_count") >= 5.0, "the start, the joins, the draw");
}

#[tokio::test]
async fn an_idle_raffle_is_ended_for_everyone_and_closed() {
    let mut settings = TestServer::settings();
    settings.idle = Duration::from_millis(1_500);
    let server = TestServer::start_custom(settings).await;
    let (mut host, code, _) = server.host().await;
    let mut ada = server.player(&code, "Ada").await;

    // Nothing happens for the idle time: the raffle ends, and every screen is told.
    let ended = |m: &ServerMsg| matches!(m, ServerMsg::Ended { .. });
    ada.client.recv_until(ended).await;
    host.recv_until(|m| matches!(m, ServerMsg::Board { board, .. } if board.ended)).await;

    // Then it is closed: its code no longer finds it.
    let mut late = server.client().await;
    late.send(&ClientMsg::Join { code: code.clone(), name: "Grace".into(), join_id: None }).await;
    let ServerMsg::Error { code: ErrorCode::UnknownCode, .. } = late.recv().await else {
        panic!("a closed raffle must not take players")
    };
    let (_, text) = server.http_get("/metrics").await;
    assert_eq!(metric(&text, "raffler_raffles_open"), 0.0);
}

#[tokio::test]
async fn a_database_locked_by_another_program_is_reported_and_loses_nothing() {
    let settings = TestServer::settings();
    let database = settings.database.clone();
    let server = TestServer::start_custom(settings).await;
    let (mut host, code, host_token) = server.host().await;
    server.player(&code, "Ada").await;
    host.wait_for_players(1).await;

    // Another program (say, a careless `sqlite3` session) takes the write lock and keeps it.
    let other = rusqlite::Connection::open(&database).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();

    let mut grace = server.client().await;
    grace.send(&ClientMsg::Join { code: code.clone(), name: "Grace".into(), join_id: None }).await;
    let refused = grace.recv_within(Duration::from_secs(15)).await;
    let ServerMsg::Error { code: ErrorCode::NotSaved, message, .. } = refused else {
        panic!("expected not_saved, got {refused:?}")
    };
    assert!(message.contains("nothing changed") && message.contains("holds its lock"), "{message}");
    // The big screen says so too, though the host did not ask.
    let told = host.recv_until(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(matches!(told, ServerMsg::Error { code: ErrorCode::NotSaved, .. }), "{told:?}");
    let (head, body) = server.http_get("/healthz").await;
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert!(body.contains("holds its lock"), "{body}");

    // Once the lock is let go, the same phone joins, and the raffle is as it was plus Grace.
    other.execute_batch("ROLLBACK").unwrap();
    grace.send(&ClientMsg::Join { code: code.clone(), name: "Grace".into(), join_id: None }).await;
    let ServerMsg::Joined { .. } = grace.recv_within(Duration::from_secs(10)).await else {
        panic!("Grace could not join after the lock was released")
    };
    let mut again = server.resume(&code, &host_token, None).await;
    let ServerMsg::HostSnapshot { players, .. } = again.recv().await else { panic!("no snapshot") };
    let names: Vec<_> = players.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Ada", "Grace"]);
}
