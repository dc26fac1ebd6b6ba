//! Walk-ins over the wire: the host enters a person by name, who can win; the host claims for
//! them; every host screen marks them as entered by the host; no phone can become them.

use crate::common;

use common::{is_winner, TestServer};
use raffler_core::protocol::{ClaimView, ClientMsg, ErrorCode, ServerMsg};

#[tokio::test]
async fn a_walk_in_entered_by_the_host_wins_and_the_host_claims_for_them() {
    let server = TestServer::start().await;
    let (mut host, code, host_token) = server.host().await;
    // Joining closed is for phones: the host still lets a walk-in in.
    host.send(&ClientMsg::SetJoining { open: false }).await;
    host.send(&ClientMsg::AddWalkIn { name: "  Ada  Lovelace ".into() }).await;
    let players = host.wait_for_players(1).await;
    assert_eq!(players[0].name, "Ada Lovelace");
    let ada = players[0].id;
    let ServerMsg::Board { board, .. } =
        host.recv_until(|m| matches!(m, ServerMsg::Board { board, .. } if !board.walk_ins.is_empty())).await
    else {
        unreachable!()
    };
    assert_eq!(board.walk_ins, [ada]);

    // Names are checked as for a join; a phone (not a host) may not enter anyone.
    host.send(&ClientMsg::AddWalkIn { name: "ada lovelace".into() }).await;
    host.recv_until(|m| matches!(m, ServerMsg::Error { code: ErrorCode::NameTaken, .. })).await;
    host.send(&ClientMsg::SetJoining { open: true }).await;
    let mut grace = server.player(&code, "Grace").await;
    grace.client.send(&ClientMsg::AddWalkIn { name: "Eve".into() }).await;
    grace.client.recv_until(|m| matches!(m, ServerMsg::Error { code: ErrorCode::NotAllowed, .. })).await;
    // Grace may not win now: only the walk-in is left to win the first prize.
    host.send(&ClientMsg::RemovePlayer { player: grace.you.id }).await;
    host.recv_until(|m| matches!(m, ServerMsg::PlayersGone { .. })).await;

    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    let ServerMsg::WinnerDrawn { winner, .. } = host.recv_until(is_winner).await else { unreachable!() };
    assert_eq!(winner.id, ada);
    // Ada has no phone: the host claims for her, and a second host screen sees it too.
    host.send(&ClientMsg::Claim { draw: 1 }).await;
    host.recv_until(|m| matches!(m, ServerMsg::PrizeClaimed { draw: 1, player, .. } if *player == ada)).await;

    let mut stage = server.resume(&code, &host_token, None).await;
    let ServerMsg::HostSnapshot { board, players, .. } = stage.recv().await else { panic!("no snapshot") };
    assert_eq!(board.walk_ins, [ada]);
    assert_eq!(board.draws[0].claim, ClaimView::Claimed);
    assert!(players.iter().any(|p| p.id == ada));
}
