//! The host's controls over the wire: prizes, claims, redraws, joining, removing, ending.

use crate::common;

use common::{is_winner, TestServer};
use raffler_core::protocol::{ClaimView, ClientMsg, ErrorCode, ServerMsg};

#[tokio::test]
async fn a_winner_claims_and_the_host_sees_it() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    host.send(&ClientMsg::SetClaimSeconds { seconds: 60 }).await;
    let mut ada = server.player(&code, "Ada").await;
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    ada.client.recv().await;
    let ServerMsg::WinnerDrawn { claim_seconds: 60, .. } = ada.client.recv().await else { panic!() };
    ada.client.send(&ClientMsg::Claim { draw: 1 }).await;
    assert!(matches!(ada.client.recv().await, ServerMsg::PrizeClaimed { draw: 1, .. }));
    let ServerMsg::Board { board, .. } = host
        .recv_until(|m| matches!(m, ServerMsg::Board { board, .. } if board.draws.first().is_some_and(|d| d.claim == ClaimView::Claimed)))
        .await
    else {
        unreachable!()
    };
    assert!(board.draws[0].claim_changed_at.is_some());
}

#[tokio::test]
async fn an_unclaimed_prize_is_redrawn_without_its_absent_winner_and_the_history_keeps_both() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    host.send(&ClientMsg::AddPrize { name: "Book".into() }).await;
    let mut phones = Vec::new();
    for name in ["Ada", "Grace"] {
        phones.push(server.player(&code, name).await);
    }
    host.send(&ClientMsg::Draw { draw: 1, prize: Some(1) }).await;
    let ServerMsg::WinnerDrawn { winner: absent, .. } = host.recv_until(is_winner).await else {
        unreachable!()
    };
    host.send(&ClientMsg::Redraw { draw: 1 }).await;
    let ServerMsg::WinnerDrawn { draw: 2, winner: present, prize, .. } = host.recv_until(is_winner).await
    else {
        panic!("no redraw")
    };
    assert_ne!(present, absent);
    assert_eq!(prize.as_deref(), Some("Book"));

    // The skipped phone is told, and its late claim is refused.
    let skipped = phones.iter_mut().find(|p| p.you == absent).unwrap();
    skipped.client.recv_until(|m| matches!(m, ServerMsg::WinnerSkipped { draw: 1, .. })).await;
    skipped.client.send(&ClientMsg::Claim { draw: 1 }).await;
    skipped.client.recv_until(|m| matches!(m, ServerMsg::Error { code: ErrorCode::ClaimTooLate, .. })).await;

    let ServerMsg::Board { board, .. } =
        host.recv_until(|m| matches!(m, ServerMsg::Board { board, .. } if board.draws.len() == 2 && board.draws[1].winner.is_some())).await
    else {
        unreachable!()
    };
    assert_eq!(board.draws[0].claim, ClaimView::Skipped);
    assert_eq!(board.draws[1].redraw_of, Some(1));
}

#[tokio::test]
async fn closing_joining_turns_late_joiners_away_until_it_reopens() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    host.send(&ClientMsg::SetJoining { open: false }).await;
    host.recv_until(|m| matches!(m, ServerMsg::Board { board, .. } if !board.joining_open)).await;
    let mut late = server.client().await;
    late.send(&ClientMsg::Join { code: code.clone(), name: "Late".into(), join_id: None }).await;
    let ServerMsg::Error { code: ErrorCode::JoiningClosed, message, .. } = late.recv().await else {
        panic!()
    };
    assert!(message.contains("closed"));
    host.send(&ClientMsg::SetJoining { open: true }).await;
    host.recv_until(|m| matches!(m, ServerMsg::Board { board, .. } if board.joining_open)).await;
    late.send(&ClientMsg::Join { code, name: "Late".into(), join_id: None }).await;
    assert!(matches!(late.recv().await, ServerMsg::Joined { .. }));
}

#[tokio::test]
async fn a_removed_phone_is_told_and_is_never_drawn() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    let mut mallory = server.player(&code, "Mallory").await;
    let ada = server.player(&code, "Ada").await;
    host.send(&ClientMsg::RemovePlayer { player: mallory.you.id }).await;
    assert!(matches!(mallory.client.recv().await, ServerMsg::Removed { .. }));
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    let ServerMsg::WinnerDrawn { winner, .. } = host.recv_until(is_winner).await else { unreachable!() };
    assert_eq!(winner, ada.you);
    mallory.client.expect_silence().await;
}

#[tokio::test]
async fn a_player_can_leave_and_ending_the_raffle_tells_every_phone() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    let mut ada = server.player(&code, "Ada").await;
    let mut grace = server.player(&code, "Grace").await;
    grace.client.send(&ClientMsg::Leave {}).await;
    assert!(matches!(grace.client.recv().await, ServerMsg::Left { .. }));
    host.recv_until(
        |m| matches!(m, ServerMsg::PlayersGone { players, total: 1 } if players == &vec![grace.you.id]),
    )
    .await;

    host.send(&ClientMsg::EndRaffle {}).await;
    assert!(matches!(ada.client.recv().await, ServerMsg::Ended { .. }));
    host.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await;
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    host.recv_until(|m| matches!(m, ServerMsg::Error { code: ErrorCode::Ended, .. })).await;
}

#[tokio::test]
async fn prizes_can_be_renamed_and_removed_before_they_are_drawn_only() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    server.player(&code, "Ada").await;
    host.send(&ClientMsg::AddPrize { name: "Bok".into() }).await;
    host.send(&ClientMsg::AddPrize { name: "Mug".into() }).await;
    host.send(&ClientMsg::RenamePrize { prize: 1, name: "Book".into() }).await;
    host.send(&ClientMsg::RemovePrize { prize: 2 }).await;
    let ServerMsg::Board { board, .. } = host
        .recv_until(|m| matches!(m, ServerMsg::Board { board, .. } if board.prizes.len() == 1 && board.prizes[0].name == "Book"))
        .await
    else {
        unreachable!()
    };
    assert!(!board.prizes[0].drawn);
    host.send(&ClientMsg::Draw { draw: 1, prize: Some(1) }).await;
    host.recv_until(is_winner).await;
    host.send(&ClientMsg::RenamePrize { prize: 1, name: "Books".into() }).await;
    host.recv_until(|m| matches!(m, ServerMsg::Error { code: ErrorCode::PrizeAlreadyDrawn, .. })).await;
    host.send(&ClientMsg::AddPrize { name: "   ".into() }).await;
    host.recv_until(|m| matches!(m, ServerMsg::Error { code: ErrorCode::PrizeNameEmpty, .. })).await;
}
