//! Draws that wait for the drand beacon, against a local relay (no network): real recorded
//! quicknet rounds, forged and late rounds, and whole evenings whose downloaded record the
//! verify page's own check recomputes (with the beacon, without it, across a restart).
//!
//! With `RAFFLER_RECORD_OUT_DIR` set, the evenings' records are written there for
//! `scripts/verify_record.py` (scripts/test.sh runs it on them).

use crate::common;

use common::{is_winner, TestServer};
use raffler_core::protocol::{ClientMsg, ServerMsg, VoidView};
use raffler_core::raffle::Millis;
use relay_stub::Stub;
use server::beacon::BeaconSource;
use std::time::Duration;

/// A server whose draws wait for `stub`'s chain, fetched from `relays`.
fn settings_with(stub: &Stub, relays: Vec<String>, timeout: Duration) -> server::Settings {
    let mut settings = TestServer::settings();
    settings.raffle.beacon_timeout = Millis(timeout.as_millis() as u64);
    settings.beacon = Some(BeaconSource { chain: stub.chain.clone(), relays });
    settings
}

/// Draw `draw` (or redraw it) and wait for its end: the winner's id, or `None` if void, with
/// the round it waited for.
async fn draw(host: &mut common::Client, msg: ClientMsg) -> (Option<u64>, Result<u32, Option<VoidView>>) {
    host.send(&msg).await;
    let round = match host.recv_until(|m| matches!(m, ServerMsg::DrawStarted { .. })).await {
        ServerMsg::DrawStarted { beacon_round, .. } => beacon_round,
        _ => unreachable!(),
    };
    let end = host
        .recv_until_within(Duration::from_secs(20), |m| {
            is_winner(m) || matches!(m, ServerMsg::DrawVoided { .. })
        })
        .await;
    match end {
        ServerMsg::WinnerDrawn { winner, .. } => (round, Ok(winner.id)),
        ServerMsg::DrawVoided { reason, .. } => (round, Err(reason)),
        _ => unreachable!(),
    }
}

/// The host ends the raffle; then the verify page's check of its downloaded record.
async fn end_and_check(host: &mut common::Client, server: &TestServer, code: &str) -> verifier::Verdict {
    host.send(&ClientMsg::EndRaffle {}).await;
    host.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await;
    verifier::verdict(&record_json(server, code).await)
}

async fn record_json(server: &TestServer, code: &str) -> String {
    let (head, body) = server.http_get(&format!("/verify/{code}/record.json")).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body
}

#[tokio::test]
async fn a_draw_waits_for_a_recorded_quicknet_round_and_its_record_verifies() {
    // Quicknet itself, its genesis moved so that round 1,000 comes out 9 s from now.
    let stub = Stub::recorded(1_000, 9, 6);
    let url = stub.clone().spawn().await;
    let server = TestServer::start_custom(settings_with(&stub, vec![url], Duration::from_secs(10))).await;
    let (mut host, code, _) = server.host().await;
    for name in ["Ada", "Grace", "Edsger"] {
        server.player(&code, name).await;
    }
    host.wait_for_players(3).await;
    let started = std::time::Instant::now();
    let (round, outcome) = draw(&mut host, ClientMsg::Draw { draw: 1, prize: None }).await;
    assert_eq!(round, Some(1_000), "the draw names the round two after the latest one out");
    assert!(outcome.is_ok(), "{outcome:?}");
    assert!(started.elapsed() >= Duration::from_secs(5), "revealed before its round was out");
    let verdict = end_and_check(&mut host, &server, &code).await;
    assert_eq!(verdict.draws[0].status, "verified", "with the beacon, not seed only: {verdict:?}");
    // Quicknet's key, but its genesis was moved: the page says it is not quicknet as published.
    assert_eq!(verdict.status, "other_chain", "{verdict:?}");
}

#[tokio::test]
async fn a_forged_round_is_refused_and_the_genuine_one_from_another_relay_is_used() {
    let stub = Stub::recorded(1_000, 9, 6);
    let forger = stub.clone_with_own_misbehaviour();
    forger.forge(1_000);
    let (bad, good) = (forger.spawn().await, stub.clone().spawn().await);
    let server =
        TestServer::start_custom(settings_with(&stub, vec![bad, good], Duration::from_secs(10))).await;
    let (mut host, code, _) = server.host().await;
    server.player(&code, "Ada").await;
    server.player(&code, "Grace").await;
    host.wait_for_players(2).await;
    let (_, outcome) = draw(&mut host, ClientMsg::Draw { draw: 1, prize: None }).await;
    assert!(outcome.is_ok(), "{outcome:?}");
    let verdict = end_and_check(&mut host, &server, &code).await;
    assert_eq!(verdict.draws[0].status, "verified", "the genuine signature was kept: {verdict:?}");
}

#[tokio::test]
async fn a_forged_round_alone_voids_the_draw() {
    let stub = Stub::signed(11, 1);
    let url = stub.clone().spawn().await;
    let server = TestServer::start_custom(settings_with(&stub, vec![url], Duration::from_secs(2))).await;
    let (mut host, code, _) = server.host().await;
    server.player(&code, "Ada").await;
    host.wait_for_players(1).await;
    // Every round the draw could name is forged.
    let now = stub.chain.round_at(Millis(now_ms()));
    for round in now..now + 10 {
        stub.forge(round);
    }
    let (round, outcome) = draw(&mut host, ClientMsg::Draw { draw: 1, prize: None }).await;
    assert!(stub.was_asked(round.unwrap()), "the server asked for the round, and refused what it got");
    assert_eq!(outcome, Err(Some(VoidView::BeaconLate)), "never finished from the seed alone");
}

#[tokio::test]
async fn a_late_round_voids_the_draw_and_the_next_draw_works() {
    let stub = Stub::signed(12, 1);
    let url = stub.clone().spawn().await;
    let server = TestServer::start_custom(settings_with(&stub, vec![url], Duration::from_secs(2))).await;
    let (mut host, code, _) = server.host().await;
    for name in ["Ada", "Grace"] {
        server.player(&code, name).await;
    }
    host.wait_for_players(2).await;
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    let ServerMsg::DrawStarted { beacon_round: Some(round), .. } =
        host.recv_until(|m| matches!(m, ServerMsg::DrawStarted { .. })).await
    else {
        panic!("the draw names no round")
    };
    stub.withhold(round);
    let voided = host
        .recv_until_within(Duration::from_secs(20), |m| {
            is_winner(m) || matches!(m, ServerMsg::DrawVoided { .. })
        })
        .await;
    assert!(
        matches!(voided, ServerMsg::DrawVoided { draw: 1, reason: Some(VoidView::BeaconLate), .. }),
        "{voided:?}"
    );
    let (next, outcome) = draw(&mut host, ClientMsg::Draw { draw: 2, prize: None }).await;
    assert!(next > Some(round) && outcome.is_ok(), "{next:?} {outcome:?}");
    let verdict = end_and_check(&mut host, &server, &code).await;
    let statuses: Vec<&str> = verdict.draws.iter().map(|d| d.status).collect();
    assert_eq!(statuses, ["void", "verified"], "{verdict:?}");
    assert!(
        verdict.message.contains("1 draw(s) void because the beacon round did not come in time"),
        "{verdict:?}"
    );
}

/// 50 players, three draws and a redraw of the first (its winner left), then the end. Returns
/// the code and everything shown before the end (the record, the verify page, every frame the
/// host and a phone got), to prove the seed was in none of it.
async fn evening(server: &TestServer, beacon: bool) -> (String, Vec<String>) {
    let (mut host, code, _) = server.host().await;
    let mut phones = Vec::new();
    for i in 0..50 {
        phones.push(server.player(&code, &format!("Player {i}")).await);
    }
    host.wait_for_players(50).await;
    let mut winners = Vec::new();
    for n in 1..=3 {
        let (round, outcome) = draw(&mut host, ClientMsg::Draw { draw: n, prize: None }).await;
        assert_eq!(round.is_some(), beacon);
        winners.push(outcome.expect("a winner"));
    }
    // The first winner leaves; the first prize is drawn again.
    let first = phones.iter_mut().find(|p| p.you.id == winners[0]).unwrap();
    first.client.send(&ClientMsg::Leave {}).await;
    let (_, again) = draw(&mut host, ClientMsg::Redraw { draw: 1 }).await;
    assert_ne!(again.expect("a winner"), winners[0]);
    let mut before = vec![record_json(server, &code).await];
    before.extend(server.http_get(&format!("/verify/{code}")).await.1.lines().map(str::to_owned));
    host.send(&ClientMsg::EndRaffle {}).await;
    host.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await;
    // What the host and a phone were told, all of it sent before the seed was out.
    before.append(&mut host.transcript);
    let phone = &mut phones[1].client;
    while let Ok(msg) = tokio::time::timeout(Duration::from_millis(200), phone.recv()).await {
        let _ = msg;
    }
    before.append(&mut phone.transcript);
    (code, before)
}

fn keep(name: &str, json: &str) {
    if let Ok(dir) = std::env::var("RAFFLER_RECORD_OUT_DIR") {
        std::fs::write(std::path::Path::new(&dir).join(name), json).unwrap();
    }
}

fn seed_of(json: &str) -> Option<String> {
    let record: serde_json::Value = serde_json::from_str(json).unwrap();
    record["seed"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn an_evening_with_the_beacon_verifies_from_its_downloaded_record() {
    let stub = Stub::signed(13, 1);
    let url = stub.clone().spawn().await;
    let server = TestServer::start_custom(settings_with(&stub, vec![url], Duration::from_secs(10))).await;
    let (code, before) = evening(&server, true).await;
    assert_eq!(seed_of(&before[0]), None, "no seed before the end");
    let json = record_json(&server, &code).await;
    let seed = seed_of(&json).expect("the seed, once ended");
    let verdict = verifier::verdict(&json);
    assert_eq!(verdict.status, "other_chain", "the test chain is not quicknet: {verdict:?}");
    let statuses: Vec<&str> = verdict.draws.iter().map(|d| d.status).collect();
    assert_eq!(statuses, ["verified"; 4]);
    assert!(before.len() > 10 && !before.iter().any(|text| text.contains(&seed)), "the seed was out early");
    keep("beacon.json", &json);
}

#[tokio::test]
async fn an_evening_without_the_beacon_verifies_as_seed_only() {
    let server = TestServer::start().await;
    let (code, _) = evening(&server, false).await;
    let json = record_json(&server, &code).await;
    let verdict = verifier::verdict(&json);
    let statuses: Vec<&str> = verdict.draws.iter().map(|d| d.status).collect();
    assert_eq!(statuses, ["seed_only"; 4], "{verdict:?}");
    keep("seed-only.json", &json);
}

#[tokio::test]
async fn an_evening_across_a_restart_still_verifies() {
    let stub = Stub::signed(14, 1);
    let url = stub.clone().spawn().await;
    let settings = settings_with(&stub, vec![url], Duration::from_secs(10));
    let (first, stop) = common::RunningServer::start(settings.clone()).await;
    let (mut host, code, host_token) = first.host().await;
    for i in 0..10 {
        first.player(&code, &format!("Player {i}")).await;
    }
    host.wait_for_players(10).await;
    for n in 1..=2 {
        assert!(draw(&mut host, ClientMsg::Draw { draw: n, prize: None }).await.1.is_ok());
    }
    stop.stop().await;
    let (second, _stop) = common::RunningServer::start(settings).await;
    let mut host = second.client().await;
    host.send(&ClientMsg::Resume { code: code.clone(), token: host_token, last_seq: None }).await;
    host.recv_until(|m| matches!(m, ServerMsg::HostSnapshot { .. })).await;
    assert!(draw(&mut host, ClientMsg::Draw { draw: 3, prize: None }).await.1.is_ok());
    let verdict = end_and_check(&mut host, &second, &code).await;
    let statuses: Vec<&str> = verdict.draws.iter().map(|d| d.status).collect();
    assert_eq!(statuses, ["verified"; 3], "{verdict:?}");
}

#[tokio::test]
async fn a_draw_waiting_for_its_round_when_the_server_restarts_is_revealed_after_it() {
    let stub = Stub::signed(16, 1);
    let url = stub.clone().spawn().await;
    let settings = settings_with(&stub, vec![url], Duration::from_secs(10));
    let (first, stop) = common::RunningServer::start(settings.clone()).await;
    let (mut host, code, host_token) = first.host().await;
    let ada = first.player(&code, "Ada").await;
    host.wait_for_players(1).await;
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    let ServerMsg::DrawStarted { beacon_round: Some(round), .. } =
        host.recv_until(|m| matches!(m, ServerMsg::DrawStarted { .. })).await
    else {
        panic!("the draw names no round")
    };
    stub.withhold(round);
    stop.stop().await;
    stub.release(round);
    let (second, _stop) = common::RunningServer::start(settings).await;
    let mut phone = second.resume(&code, &ada.token, Some(ada.seq)).await;
    let won = phone.recv_until_within(Duration::from_secs(15), is_winner).await;
    assert!(matches!(won, ServerMsg::WinnerDrawn { draw: 1, .. }), "{won:?}");
    let mut host = second.client().await;
    host.send(&ClientMsg::Resume { code: code.clone(), token: host_token, last_seq: None }).await;
    host.recv_until(|m| matches!(m, ServerMsg::HostSnapshot { .. })).await;
    let verdict = end_and_check(&mut host, &second, &code).await;
    assert_eq!(verdict.draws[0].status, "verified", "{verdict:?}");
}

#[tokio::test]
async fn a_code_that_is_no_raffle_gets_a_clear_404() {
    let server = TestServer::start().await;
    let (head, body) = server.http_get("/verify/ZZZZZZ/record.json").await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert!(body.contains("No raffle with that code"), "{body}");
    let (head, body) = server.http_get("/verify/K7QX2M").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(body.contains("Verify raffle K7QX2M") && body.contains("/verifier/verify.js"));
    let (head, _) = server.http_get("/verify/%3Cscript%3E").await;
    assert!(head.starts_with("HTTP/1.1 404"), "a code is never echoed unless it could be one: {head}");
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

#[tokio::test]
async fn a_raffle_started_while_no_relay_answers_draws_seed_only_at_once() {
    let stub = Stub::signed(15, 1);
    // Nothing listens on port 9 here: the relays' probe fails at once.
    let settings = settings_with(&stub, vec!["http://127.0.0.1:9".into()], Duration::from_secs(10));
    let server = TestServer::start_custom(settings).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (mut host, code, _) = server.host().await;
    server.player(&code, "Ada").await;
    host.wait_for_players(1).await;
    let started = std::time::Instant::now();
    let (round, outcome) = draw(&mut host, ClientMsg::Draw { draw: 1, prize: None }).await;
    assert_eq!(round, None, "seed only, said in draw_started");
    assert!(
        outcome.is_ok() && started.elapsed() < Duration::from_secs(3),
        "no wait for a beacon that cannot come"
    );
}
