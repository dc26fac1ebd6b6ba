//! A whole evening as a hall lives it: several draws, phones asleep through some of them, one
//! shared address that guessed codes wrong, joins whose answers are lost, and an end that comes
//! while a draw spins or a prize waits for its claim. Every phone always knows where it stands.

use crate::common;

use common::{is_winner, TestServer};
use raffler_core::protocol::{ClaimView, ClientMsg, ErrorCode, ServerMsg};
use std::time::Duration;

fn join(code: &str, name: &str, join_id: &str) -> ClientMsg {
    ClientMsg::Join { code: code.into(), name: name.into(), join_id: Some(join_id.into()) }
}

/// A winner asleep through her own draw and the next one learns on waking that she won, and
/// can claim; a winner who has not claimed yet still can after the next draw started; and the
/// big screen can redraw an older unclaimed prize, not only the last one.
#[tokio::test]
async fn a_winner_asleep_through_several_draws_learns_she_won_and_claims() {
    let server = TestServer::start_with_spin(300).await;
    let (mut host, code, _) = server.host().await;
    for prize in ["Book", "Mug", "Hat"] {
        host.send(&ClientMsg::AddPrize { name: prize.into() }).await;
    }
    host.send(&ClientMsg::SetClaimSeconds { seconds: 600 }).await;
    let mut phones = Vec::new();
    for name in ["Ada", "Bob", "Cy", "Dee"] {
        phones.push(server.player(&code, name).await);
    }
    host.wait_for_players(4).await;

    // Everyone sleeps (sockets gone, no close frame) except the host.
    let asleep: Vec<_> = phones.into_iter().map(|p| (p.you, p.token, p.seq)).collect();
    let mut winners = Vec::new();
    for (draw, prize) in [(1, 1), (2, 2)] {
        host.send(&ClientMsg::Draw { draw, prize: Some(prize) }).await;
        let ServerMsg::WinnerDrawn { winner, .. } = host.recv_until(is_winner).await else { unreachable!() };
        winners.push(winner);
    }
    // The first winner wakes with the last sequence number she saw: she gets both results.
    let first = asleep.iter().find(|(you, _, _)| *you == winners[0]).unwrap();
    let mut woke = server.resume(&code, &first.1, Some(first.2)).await;
    let mut results = Vec::new();
    while results.len() < 2 {
        if let ServerMsg::WinnerDrawn { draw, winner, claim_seconds, .. } = woke.recv_until(is_winner).await {
            results.push((draw, winner.id, claim_seconds));
        }
    }
    assert_eq!(results[0].0, 1);
    assert_eq!(results[0].1, first.0.id, "she is told she won draw 1");
    assert!(results[0].2 > 500, "with the time she still has to claim: {results:?}");

    // The third draw starts spinning; the first winner claims draw 1 while it spins.
    host.send(&ClientMsg::Draw { draw: 3, prize: Some(3) }).await;
    woke.recv_until(|m| matches!(m, ServerMsg::DrawStarted { draw: 3, .. })).await;
    woke.send(&ClientMsg::Claim { draw: 1 }).await;
    woke.recv_until(|m| matches!(m, ServerMsg::PrizeClaimed { draw: 1, .. })).await;
    host.recv_until(|m| matches!(m, ServerMsg::PrizeClaimed { draw: 1, .. })).await;

    // Draw 2's winner never claims: the host redraws it although draw 3 came after.
    let ServerMsg::WinnerDrawn { draw: 3, .. } = host.recv_until(is_winner).await else { unreachable!() };
    tokio::time::sleep(Duration::from_millis(50)).await;
    host.send(&ClientMsg::Redraw { draw: 2 }).await;
    let ServerMsg::DrawStarted { draw: 4, redraw_of: Some(2), .. } =
        host.recv_until(|m| matches!(m, ServerMsg::DrawStarted { .. })).await
    else {
        panic!("the older prize is drawn again")
    };
    let ServerMsg::WinnerDrawn { draw: 4, winner, .. } = host.recv_until(is_winner).await else {
        unreachable!()
    };
    assert_ne!(winner, winners[1], "the absent winner is skipped");
}

/// After too many wrong codes from the hall's one address, that address may not guess codes,
/// but a phone with a valid token still gets back in and hears the next draw; a resume with an
/// unknown code is answered exactly like a bad token, and never counts as a wrong code.
#[tokio::test]
async fn a_valid_token_gets_back_in_from_an_address_locked_out_of_guessing() {
    let mut settings = TestServer::settings();
    settings.limits.wrong_codes_per_minute = 3;
    let server = TestServer::start_custom(settings).await;
    let (mut host, code, _) = server.host().await;
    let ada = server.player(&code, "Ada").await;
    host.wait_for_players(1).await;

    let mut guesser = server.client().await;
    for guess in ["AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD"] {
        guesser.send(&join(guess, "Eve", "eve")).await;
        guesser.recv().await;
    }
    guesser.send(&join(&code, "Eve", "eve")).await;
    let ServerMsg::Error { code: ErrorCode::RateLimited, retry_after_ms: Some(_), .. } = guesser.recv().await
    else {
        panic!("the address is locked out of guessing, even with the right code")
    };

    // Resumes neither count nor give codes away: unknown code and bad token read the same.
    let mut probe = server.resume("ZZZZZZ", "0123456789abcdef0123456789abcdef", None).await;
    let unknown = probe.recv().await;
    let mut probe = server.resume(&code, "0123456789abcdef0123456789abcdef", None).await;
    let bad_token = probe.recv().await;
    // The same words, but for the code each was asked about.
    let text = |m: &ServerMsg| match m {
        ServerMsg::Error { code: kind, message, .. } => {
            (*kind, message.replace("ZZZZZZ", "<code>").replace(&code, "<code>"))
        }
        other => panic!("expected an error, got {other:?}"),
    };
    assert_eq!(text(&unknown).0, ErrorCode::BadToken);
    assert_eq!(text(&unknown), text(&bad_token));

    // Ada's phone slept and comes back through the same address.
    drop(ada.client);
    let mut back = server.resume(&code, &ada.token, Some(ada.seq)).await;
    assert!(matches!(back.recv().await, ServerMsg::Resumed { .. }), "resumed, not refused");
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    let ServerMsg::WinnerDrawn { winner, .. } = back.recv_until(is_winner).await else { unreachable!() };
    assert_eq!(winner, ada.you);
}

/// A join whose answer never arrives (the phone's link dropped before it read `joined`) is sent
/// again with the same join id: the same player and token come back, and the host has one
/// player, not two. A removed player's join id is told so until the host lets them back in.
#[tokio::test]
async fn a_join_asked_again_is_the_same_player_and_a_removed_one_is_told_so() {
    let server = TestServer::start().await;
    let (mut host, code, host_token) = server.host().await;

    let mut lost = server.client().await;
    lost.send(&join(&code, "Ada", "ada-phone-1")).await;
    host.wait_for_players(1).await;
    drop(lost); // closed unread

    let mut retry = server.client().await;
    retry.send(&join(&code, "Ada", "ada-phone-1")).await;
    let ServerMsg::Joined { you, token, .. } = retry.recv().await else { panic!("joined again") };
    assert_eq!(you.id, 1);
    let ServerMsg::PlayerSnapshot { you: again, .. } = retry.recv().await else {
        panic!("a repeated join also gets what happened since")
    };
    assert_eq!(again, you);
    // The host never saw a second player (a second host screen counts them), and the token works.
    let mut host_view = server.resume(&code, &host_token, None).await;
    let ServerMsg::HostSnapshot { players, .. } = host_view.recv().await else { panic!() };
    assert_eq!(players.len(), 1);
    let mut resumed = server.resume(&code, &token, None).await;
    assert!(matches!(resumed.recv().await, ServerMsg::PlayerSnapshot { .. }));

    // Removed: the same browser is told so; let back in, it is the same player again.
    host.send(&ClientMsg::RemovePlayer { player: 1 }).await;
    host.recv_until(|m| matches!(m, ServerMsg::Board { board, .. } if board.removed.len() == 1)).await;
    let mut removed = server.client().await;
    removed.send(&join(&code, "Ada", "ada-phone-1")).await;
    let ServerMsg::Error { code: ErrorCode::Removed, message, .. } = removed.recv().await else {
        panic!("a removed player's browser is told it was removed")
    };
    assert!(message.contains("let you back in"), "{message}");
    host.send(&ClientMsg::ReadmitPlayer { player: 1 }).await;
    host.recv_until(|m| matches!(m, ServerMsg::Board { board, .. } if board.removed.is_empty())).await;
    removed.send(&join(&code, "Ada", "ada-phone-1")).await;
    let ServerMsg::Joined { you, token: same, .. } = removed.recv().await else { panic!("back in") };
    assert_eq!((you.id, same), (1, token));
}

/// "End raffle" while a draw spins reveals it first; its winner (and an earlier one) may still
/// claim after the end, and the board says when the raffle ended.
#[tokio::test]
async fn ending_during_a_spin_reveals_the_draw_and_claims_still_work() {
    let server = TestServer::start_with_spin(5_000).await;
    let (mut host, code, _) = server.host().await;
    let mut ada = server.player(&code, "Ada").await;
    host.wait_for_players(1).await;
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    ada.client.recv_until(|m| matches!(m, ServerMsg::DrawStarted { .. })).await;
    host.send(&ClientMsg::EndRaffle {}).await;
    let ServerMsg::WinnerDrawn { winner, .. } = ada.client.recv_until(is_winner).await else {
        unreachable!()
    };
    assert_eq!(winner, ada.you, "revealed at once, not left spinning");
    let ServerMsg::Ended { claim_ms_left, .. } = ada.client.recv().await else { panic!("then ended") };
    assert!(claim_ms_left > 9 * 60 * 1_000, "{claim_ms_left}");

    ada.client.send(&ClientMsg::Claim { draw: 1 }).await;
    ada.client.recv_until(|m| matches!(m, ServerMsg::PrizeClaimed { draw: 1, .. })).await;
    let ServerMsg::Board { board, .. } = host
        .recv_until(
            |m| matches!(m, ServerMsg::Board { board, .. } if board.draws[0].claim == ClaimView::Claimed),
        )
        .await
    else {
        unreachable!()
    };
    assert!(board.ended && board.ended_at.is_some());
    assert!(board.draws[0].claim_changed_at >= board.ended_at, "claimed after the end");
    // Nothing else happens after the end.
    host.send(&ClientMsg::Draw { draw: 2, prize: None }).await;
    let ServerMsg::Error { code: ErrorCode::Ended, .. } =
        host.recv_until(|m| matches!(m, ServerMsg::Error { .. })).await
    else {
        unreachable!()
    };
}
