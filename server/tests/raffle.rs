//! A whole raffle over real WebSockets: hosts, phones, draws, and raffles side by side.

use crate::common;

use common::{is_winner, TestServer};
use futures_util::future::join_all;
use raffler_core::protocol::{ClientMsg, ServerMsg};
use std::collections::HashSet;

fn draw(n: u32) -> ClientMsg {
    ClientMsg::Draw { draw: n, prize: None }
}

#[tokio::test]
async fn two_hundred_players_join_and_exactly_one_wins() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;

    let phones = join_all((0..200).map(|i| {
        let (server, code) = (&server, code.clone());
        async move { server.player(&code, &format!("Player {i}")).await }
    }))
    .await;

    let names: HashSet<String> = host.wait_for_players(200).await.into_iter().map(|p| p.name).collect();
    assert_eq!(names, (0..200).map(|i| format!("Player {i}")).collect());

    host.send(&draw(1)).await;
    let ServerMsg::WinnerDrawn { draw: 1, winner, .. } = host.recv_until(is_winner).await else {
        unreachable!()
    };

    let results = join_all(phones.into_iter().map(|mut phone| {
        let winner = winner.clone();
        async move {
            assert!(matches!(phone.client.recv().await, ServerMsg::DrawStarted { draw: 1, .. }));
            let ServerMsg::WinnerDrawn { draw: 1, winner: seen, .. } = phone.client.recv().await else {
                panic!("no reveal")
            };
            assert_eq!(seen, winner, "every phone sees the same winner");
            phone.client.expect_silence().await; // exactly one result per draw
            seen.id == phone.you.id
        }
    }))
    .await;
    let won = results.iter().filter(|won| **won).count();
    assert_eq!((won, results.len() - won), (1, 199));
}

#[tokio::test]
async fn the_draw_spins_before_the_reveal() {
    let server = TestServer::start_with_spin(300).await;
    let (mut host, code, _) = server.host().await;
    let mut phone = server.player(&code, "Ada").await;

    let started = std::time::Instant::now();
    host.send(&draw(1)).await;
    assert!(
        matches!(phone.client.recv().await, ServerMsg::DrawStarted { draw: 1, spin_ms, .. } if spin_ms > 200)
    );
    let ServerMsg::WinnerDrawn { winner, .. } = phone.client.recv().await else { panic!("no reveal") };
    assert_eq!(winner, phone.you);
    assert!(started.elapsed() >= std::time::Duration::from_millis(250), "revealed before the spin ended");
}

#[tokio::test]
async fn a_thousand_players_and_five_prizes_give_five_different_winners() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    for prize in ["Book", "Mug", "Sticker", "T-shirt", "Ticket"] {
        host.send(&ClientMsg::AddPrize { name: prize.into() }).await;
    }
    let phones = join_all((0..1_000).map(|i| {
        let (server, code) = (&server, code.clone());
        async move { server.player(&code, &format!("P{i}")).await }
    }))
    .await;
    host.wait_for_players(1_000).await;

    let mut winners = HashSet::new();
    for (n, prize) in (1..=5).zip(1..=5) {
        host.send(&ClientMsg::Draw { draw: n, prize: Some(prize) }).await;
        let ServerMsg::WinnerDrawn { draw, winner, prize: name, .. } = host.recv_until(is_winner).await
        else {
            unreachable!()
        };
        assert_eq!(draw, n);
        assert!(name.is_some());
        assert!(winners.insert(winner.id), "{} won twice", winner.name);
    }
    assert_eq!(winners.len(), 5);
    drop(phones);
}

#[tokio::test]
async fn a_double_click_draws_once_and_gets_the_first_result_back() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    let mut phone = server.player(&code, "Ada").await;
    server.player(&code, "Grace").await;
    host.send(&draw(1)).await;
    host.send(&draw(1)).await;
    let ServerMsg::Board { board, .. } = host.recv_until(|m| matches!(m, ServerMsg::Board { board, .. } if board.draws.len() == 1 && board.draws[0].winner.is_some())).await else { unreachable!() };
    // The second request is answered with the board again, still with one draw.
    let ServerMsg::Board { board: again, .. } =
        host.recv_until(|m| matches!(m, ServerMsg::Board { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(again.draws, board.draws);
    assert!(matches!(phone.client.recv().await, ServerMsg::DrawStarted { .. }));
    assert!(matches!(phone.client.recv().await, ServerMsg::WinnerDrawn { .. }));
    phone.client.expect_silence().await;
}

#[tokio::test]
async fn two_raffles_at_once_do_not_mix() {
    let server = TestServer::start().await;
    let (mut host_a, code_a, _) = server.host().await;
    let (mut host_b, code_b, _) = server.host().await;
    assert_ne!(code_a, code_b);

    let mut ada = server.player(&code_a, "Ada").await;
    let mut grace = server.player(&code_b, "Grace").await;
    // The same name is fine in another raffle.
    server.player(&code_b, "Ada").await;

    let players = host_a.wait_for_players(1).await;
    assert_eq!(players[0].name, "Ada");

    host_b.send(&draw(1)).await;
    assert!(matches!(grace.client.recv().await, ServerMsg::DrawStarted { .. }));
    assert!(matches!(grace.client.recv().await, ServerMsg::WinnerDrawn { .. }));
    ada.client.expect_silence().await;
    host_a.send(&draw(1)).await;
    let ServerMsg::WinnerDrawn { winner, .. } = host_a.recv_until(is_winner).await else { unreachable!() };
    assert_eq!(winner.name, "Ada");
}
