//! A whole raffle over real WebSockets: hosts, phones, draws, and raffles side by side.

mod common;

use app::protocol::{ClientMsg, ServerMsg};
use common::TestServer;
use futures_util::future::join_all;
use std::collections::HashSet;

#[tokio::test]
async fn two_hundred_players_join_and_exactly_one_wins() {
    let server = TestServer::start().await;
    let (mut host, code) = server.host().await;

    let phones = join_all((0..200).map(|i| {
        let (server, code) = (&server, code.clone());
        async move { server.player(&code, &format!("Player {i}")).await }
    }))
    .await;

    let mut names = HashSet::new();
    let mut total = 0;
    while names.len() < 200 {
        match host.recv().await {
            ServerMsg::PlayersJoined { players, total: t } => {
                names.extend(players.into_iter().map(|p| p.name));
                total = t;
            }
            other => panic!("host expected players_joined, got {other:?}"),
        }
    }
    assert_eq!(total, 200);
    assert_eq!(names, (0..200).map(|i| format!("Player {i}")).collect());

    host.send(&ClientMsg::Draw).await;
    assert!(matches!(host.recv().await, ServerMsg::DrawStarted { draw: 1, .. }));
    let ServerMsg::WinnerDrawn { draw: 1, winner } = host.recv().await else { panic!("host saw no winner") };

    let results = join_all(phones.into_iter().map(|(mut phone, me)| {
        let winner = winner.clone();
        async move {
            assert!(matches!(phone.recv().await, ServerMsg::DrawStarted { draw: 1, .. }));
            let ServerMsg::WinnerDrawn { draw: 1, winner: seen } = phone.recv().await else {
                panic!("no reveal")
            };
            assert_eq!(seen, winner, "every phone sees the same winner");
            phone.expect_silence().await; // exactly one result per draw
            seen.id == me.id
        }
    }))
    .await;
    let won = results.iter().filter(|won| **won).count();
    let lost = results.len() - won;
    assert_eq!((won, lost), (1, 199));
}

#[tokio::test]
async fn the_draw_spins_before_the_reveal() {
    let server = TestServer::start_with_spin(300).await;
    let (mut host, code) = server.host().await;
    let (mut phone, me) = server.player(&code, "Ada").await;
    host.recv().await; // players_joined

    let started = std::time::Instant::now();
    host.send(&ClientMsg::Draw).await;
    assert!(matches!(phone.recv().await, ServerMsg::DrawStarted { draw: 1, spin_ms } if spin_ms > 200));
    let ServerMsg::WinnerDrawn { winner, .. } = phone.recv().await else { panic!("no reveal") };
    assert_eq!(winner, me);
    assert!(started.elapsed() >= std::time::Duration::from_millis(250), "revealed before the spin ended");
}

#[tokio::test]
async fn later_draws_pick_someone_who_has_not_won() {
    let server = TestServer::start().await;
    let (mut host, code) = server.host().await;
    let mut phones = Vec::new();
    for name in ["Ada", "Grace", "Linus"] {
        phones.push(server.player(&code, name).await);
        host.recv().await;
    }
    let mut winners = HashSet::new();
    for draw in 1..=3 {
        host.send(&ClientMsg::Draw).await;
        host.recv().await;
        let ServerMsg::WinnerDrawn { draw: d, winner } = host.recv().await else { panic!() };
        assert_eq!(d, draw);
        assert!(winners.insert(winner.id), "{} won twice", winner.name);
    }
    assert_eq!(winners.len(), 3);
}

#[tokio::test]
async fn two_raffles_at_once_do_not_mix() {
    let server = TestServer::start().await;
    let (mut host_a, code_a) = server.host().await;
    let (mut host_b, code_b) = server.host().await;
    assert_ne!(code_a, code_b);

    let (mut ada, _) = server.player(&code_a, "Ada").await;
    let (mut grace, grace_view) = server.player(&code_b, "Grace").await;
    // The same name is fine in another raffle.
    let (_ada_in_b, _) = server.player(&code_b, "Ada").await;

    let ServerMsg::PlayersJoined { players, total: 1 } = host_a.recv().await else { panic!() };
    assert_eq!(players[0].name, "Ada");
    host_a.expect_silence().await;

    host_b.send(&ClientMsg::Draw).await;
    assert!(matches!(grace.recv().await, ServerMsg::DrawStarted { .. }));
    let ServerMsg::WinnerDrawn { winner, .. } = grace.recv().await else { panic!() };
    assert_ne!(winner.name, "", "{grace_view:?}");
    ada.expect_silence().await;
}
