//! Screens that come back: phones that slept, hosts that reloaded, tokens that are not theirs.

use crate::common;

use common::{is_winner, TestServer};
use raffler_core::protocol::{ClientMsg, ErrorCode, ServerMsg};
use std::time::Duration;

#[tokio::test]
async fn a_phone_that_missed_the_draw_gets_its_result_exactly_once_when_it_returns() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    let ada = server.player(&code, "Ada").await;
    let grace = server.player(&code, "Grace").await;
    let (token, seen) = (ada.token.clone(), ada.seq);
    drop(ada); // the phone goes to sleep: its socket is gone

    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    let ServerMsg::WinnerDrawn { winner, .. } = host.recv_until(is_winner).await else { unreachable!() };

    let mut back = server.resume(&code, &token, Some(seen)).await;
    let ServerMsg::DrawStarted { draw: 1, spin_ms: 0, .. } = back.recv().await else {
        panic!("missed draw_started")
    };
    let ServerMsg::WinnerDrawn { draw: 1, winner: replayed, .. } = back.recv().await else {
        panic!("no result")
    };
    assert_eq!(replayed, winner);
    // Then the word that it is current, and nothing more: the result came exactly once.
    assert!(matches!(back.recv().await, ServerMsg::Resumed { .. }));
    back.expect_silence().await;
    drop(grace);
}

#[tokio::test]
async fn a_reloaded_phone_without_a_sequence_number_gets_a_snapshot_and_stays_the_same_player() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    let ada = server.player(&code, "Ada").await;
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    host.recv_until(is_winner).await;

    let mut reloaded = server.resume(&code, &ada.token, None).await;
    let ServerMsg::PlayerSnapshot { you, draws, ended: false, .. } = reloaded.recv().await else { panic!() };
    assert_eq!(you, ada.you);
    assert_eq!(draws[0].winner.as_ref(), Some(&ada.you));
    // Still one player in the raffle, not two.
    let ServerMsg::Presence { total: 1, .. } =
        host.recv_until(|m| matches!(m, ServerMsg::Presence { .. })).await
    else {
        panic!("a resume must not add a player")
    };
}

#[tokio::test]
async fn a_host_that_reconnects_sees_the_same_raffle_and_draws_the_next_prize() {
    let server = TestServer::start().await;
    let (mut host, code, host_token) = server.host().await;
    host.send(&ClientMsg::AddPrize { name: "Book".into() }).await;
    host.send(&ClientMsg::AddPrize { name: "Mug".into() }).await;
    for name in ["Ada", "Grace", "Linus"] {
        server.player(&code, name).await;
    }
    host.send(&ClientMsg::Draw { draw: 1, prize: Some(1) }).await;
    let ServerMsg::WinnerDrawn { winner: first, .. } = host.recv_until(is_winner).await else {
        unreachable!()
    };
    drop(host); // the laptop's Wi-Fi drops

    let mut host = server.resume(&code, &host_token, None).await;
    let ServerMsg::HostSnapshot { players, board, .. } = host.recv().await else { panic!("no snapshot") };
    assert_eq!(players.len(), 3);
    assert_eq!(board.prizes.len(), 2);
    assert_eq!(board.draws[0].winner.as_ref(), Some(&first));
    assert_eq!(board.next_draw, 2);

    host.send(&ClientMsg::Draw { draw: board.next_draw, prize: Some(2) }).await;
    let ServerMsg::WinnerDrawn { winner: second, prize, .. } = host.recv_until(is_winner).await else {
        unreachable!()
    };
    assert_eq!(prize.as_deref(), Some("Mug"));
    assert_ne!(second, first);
}

#[tokio::test]
async fn two_host_tabs_both_run_the_raffle_and_a_draw_from_each_happens_once() {
    let server = TestServer::start().await;
    let (mut tab1, code, host_token) = server.host().await;
    let mut tab2 = server.resume(&code, &host_token, None).await;
    assert!(matches!(tab2.recv().await, ServerMsg::HostSnapshot { .. }));
    server.player(&code, "Ada").await;
    server.player(&code, "Grace").await;
    tab1.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    tab2.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    for tab in [&mut tab1, &mut tab2] {
        tab.recv_until(|m| matches!(m, ServerMsg::WinnerDrawn { draw: 1, .. })).await;
    }
    let ServerMsg::Board { board, .. } =
        tab2.recv_until(|m| matches!(m, ServerMsg::Board { board, .. } if board.next_draw == 2)).await
    else {
        unreachable!()
    };
    assert_eq!(board.draws.len(), 1);
}

#[tokio::test]
async fn forged_foreign_and_spent_tokens_are_refused_clearly() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    let (_other_host, other_code, other_host_token) = server.host().await;
    let foreign = server.player(&other_code, "Eve").await;
    let ada = server.player(&code, "Ada").await;

    for token in ["0123456789abcdef0123456789abcdef", "", foreign.token.as_str(), other_host_token.as_str()] {
        let mut client = server.resume(&code, token, None).await;
        let ServerMsg::Error { code: ErrorCode::BadToken, message, .. } = client.recv().await else {
            panic!("token {token:?} was accepted")
        };
        assert!(message.contains("Join again"), "{message}");
    }

    // A removed player's token no longer works.
    host.send(&ClientMsg::RemovePlayer { player: ada.you.id }).await;
    host.recv_until(|m| matches!(m, ServerMsg::PlayersGone { .. })).await;
    let mut client = server.resume(&code, &ada.token, None).await;
    assert!(matches!(client.recv().await, ServerMsg::Error { code: ErrorCode::BadToken, .. }));
}

#[tokio::test]
async fn the_server_closes_connections_that_stop_answering_pings_and_keeps_their_players() {
    let server = TestServer::start_with(0, Duration::from_millis(200)).await;
    let (host, code, host_token) = server.host().await;
    let mut phone = server.player(&code, "Ada").await;
    // A client that never reads never answers a ping: like a phone asleep in a pocket.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(phone.client.is_closed_by_server().await);
    drop(host);
    let mut host = server.resume(&code, &host_token, None).await;
    let ServerMsg::HostSnapshot { players, connected, .. } = host.recv().await else { panic!() };
    assert_eq!((players.len(), connected), (1, 0), "the player is still in, just not connected");
}

#[tokio::test]
async fn a_winner_catching_up_later_gets_the_time_left_to_claim_not_a_fresh_countdown() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    host.send(&ClientMsg::SetClaimSeconds { seconds: 60 }).await;
    let ada = server.player(&code, "Ada").await;
    let (token, seen) = (ada.token.clone(), ada.seq);
    drop(ada);
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    host.recv_until(is_winner).await;
    tokio::time::sleep(Duration::from_millis(2_100)).await;

    let mut back = server.resume(&code, &token, Some(seen)).await;
    let ServerMsg::WinnerDrawn { claim_seconds, .. } = back.recv_until(is_winner).await else {
        unreachable!()
    };
    assert!((57..=58).contains(&claim_seconds), "{claim_seconds} s left");
}
