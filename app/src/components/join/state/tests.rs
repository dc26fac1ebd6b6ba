//! Whole evenings on a phone, message by message and tap by tap, without a browser.

use super::*;
use crate::protocol::DrawView;

const CODE: &str = "K7QX2M";
const ME: u32 = 7;
const BOB: u32 = 8;

fn player(id: u32) -> PlayerView {
    PlayerView { id, name: if id == ME { "Ada".into() } else { "Bob".into() } }
}

fn joined(seq: u64) -> ServerMsg {
    ServerMsg::Joined {
        seq,
        code: CODE.into(),
        token: "secret".into(),
        you: player(ME),
        fingerprint: Some("ab12".into()),
    }
}

fn started(seq: u64, draw: u32, prize: &str) -> ServerMsg {
    ServerMsg::DrawStarted {
        seq,
        draw,
        prize: Some(prize.into()),
        spin_ms: 1_200,
        redraw_of: None,
        entries_hash: None,
        beacon_round: None,
    }
}

fn won(seq: u64, draw: u32, prize: &str, winner: u32, claim_seconds: u32) -> ServerMsg {
    ServerMsg::WinnerDrawn { seq, draw, prize: Some(prize.into()), winner: player(winner), claim_seconds }
}

fn view(
    draw: u32,
    prize: &str,
    winner: Option<u32>,
    claim: ClaimView,
    claim_ms_left: Option<u64>,
) -> DrawView {
    DrawView {
        draw,
        prize_id: draw,
        prize: Some(prize.into()),
        winner: winner.map(player),
        claim,
        started_at: 0,
        revealed_at: Some(0),
        claim_changed_at: None,
        redraw_of: None,
        claim_ms_left,
        beacon_round: None,
        void_reason: None,
    }
}

fn join_msg(join_id: &str) -> ClientMsg {
    ClientMsg::Join { code: CODE.into(), name: "Ada".into(), join_id: Some(join_id.into()) }
}

/// A phone that opened the QR code's link and joined as Ada.
fn in_the_raffle() -> PhoneState {
    let mut p = PhoneState::new(Some(CODE.into()));
    let _ = p.submit("", "Ada", |_| None, || "id-1".into());
    let _ = p.apply(&joined(2), 0.0);
    p
}

#[test]
fn an_evening_from_the_qr_code_to_a_claimed_prize() {
    let mut p = PhoneState::new(Some(CODE.into()));
    assert_eq!(p.phase, Phase::Form);
    // A fresh phone has nothing to say on connecting: it waits for the form.
    assert_eq!(p.hello(None), (None, vec![]));

    // Joining: the join id is kept before the join is sent, and a timer watches for the answer.
    let effects = p.submit("ignored: the link gave the code", "Ada", |_| None, || "id-1".into());
    assert_eq!(
        effects,
        vec![
            Effect::SaveJoinId { code: CODE.into(), join_id: "id-1".into() },
            Effect::Send(join_msg("id-1")),
            Effect::RetryJoinIn { attempt: 1, after_ms: JOIN_TIMEOUT_MS },
        ]
    );
    assert_eq!(p.phase, Phase::Joining);
    // A socket that reconnects meanwhile asks the same join again.
    assert_eq!(p.hello(None), (Some(join_msg("id-1")), vec![]));

    // In: the token is kept, the address bar says where to come back, the screen stays on.
    let effects = p.apply(&joined(2), 0.0);
    assert_eq!(
        effects,
        vec![
            Effect::SaveToken { code: CODE.into(), token: "secret".into() },
            Effect::ReplacePath(format!("/join/{CODE}")),
            Effect::KeepScreenOn,
        ]
    );
    assert_eq!((p.phase, p.status(), p.fingerprint.as_deref()), (Phase::In, Status::Waiting, Some("ab12")));
    assert_eq!(p.me.as_ref().map(|me| me.name.as_str()), Some("Ada"));
    p.screen_kept_on(false);
    assert!(!p.screen_kept_on, "no wake lock: the page asks the person instead");
    // The join's timer, when it fires, finds the join answered and does nothing.
    assert_eq!(p.join_timed_out(1), vec![]);

    // A draw Bob wins: not this time.
    assert_eq!(p.apply(&started(3, 1, "Book"), 1_000.0), vec![]);
    assert_eq!(p.status(), Status::Drawing { prize: Some("Book".into()) });
    assert_eq!(p.apply(&won(4, 1, "Book", BOB, 60), 2_000.0), vec![]);
    assert_eq!(p.status(), Status::NotThisTime { winner: "Bob".into(), prize: Some("Book".into()) });

    // A draw Ada wins: the phone buzzes, and the win has a countdown.
    let _ = p.apply(&started(5, 2, "Mug"), 3_000.0);
    assert_eq!(p.apply(&won(6, 2, "Mug", ME, 60), 4_000.0), vec![Effect::Vibrate]);
    assert_eq!(p.status(), Status::Won);
    let win = &p.results.wins[0];
    assert_eq!((win.draw, win.claim, win.deadline), (2, ClaimView::Open, Some(64_000.0)));

    // The same reveal again (a replay after a reconnect) does not buzz twice.
    assert_eq!(p.apply(&won(6, 2, "Mug", ME, 60), 4_500.0), vec![]);

    // Claiming it.
    assert_eq!(p.claim(2), vec![Effect::Send(ClientMsg::Claim { draw: 2 })]);
    assert_eq!(p.apply(&ServerMsg::PrizeClaimed { seq: 7, draw: 2, player: ME }, 5_000.0), vec![]);
    assert_eq!(p.results.wins[0].claim, ClaimView::Claimed, "a claimed prize is still shown as won");

    // A later draw for someone else: the claimed prize stays above it.
    let _ = p.apply(&started(8, 3, "Hat"), 6_000.0);
    let _ = p.apply(&won(9, 3, "Hat", BOB, 60), 7_000.0);
    assert_eq!(p.status(), Status::NotThisTime { winner: "Bob".into(), prize: Some("Hat".into()) });
    assert_eq!(p.results.wins.len(), 1);

    // The end.
    assert_eq!(p.apply(&ServerMsg::Ended { seq: 10, claim_ms_left: 600_000 }, 8_000.0), vec![]);
    assert_eq!(p.status(), Status::Ended);
    assert_eq!(p.last_seq, Some(10), "a resume says the last message seen");
}

#[test]
fn a_win_not_claimed_in_time_is_drawn_again_and_missed() {
    let mut p = in_the_raffle();
    let _ = p.apply(&started(3, 1, "Book"), 0.0);
    assert_eq!(p.apply(&won(4, 1, "Book", ME, 30), 1_000.0), vec![Effect::Vibrate]);
    assert_eq!(p.results.wins[0].deadline, Some(31_000.0));
    let _ = p.apply(&ServerMsg::WinnerSkipped { seq: 5, draw: 1, player: ME }, 31_000.0);
    assert_eq!(p.status(), Status::Missed);
    assert!(p.results.wins.is_empty());
    assert_eq!(p.results.missed, ["Book"]);
    // The redraw: Bob this time.
    let _ = p.apply(&started(6, 2, "Book"), 32_000.0);
    let _ = p.apply(&won(7, 2, "Book", BOB, 30), 33_000.0);
    assert_eq!(p.status(), Status::NotThisTime { winner: "Bob".into(), prize: Some("Book".into()) });
    assert_eq!(p.results.missed, ["Book"], "the missed prize is still said");
}

#[test]
fn a_phone_asleep_through_draws_catches_up_when_it_resumes() {
    let mut p = in_the_raffle();
    // Asleep in a pocket: the socket dies. On waking it resumes with its token and last seq.
    let (hello, effects) = p.hello(Some("secret".into()));
    assert_eq!(
        hello,
        Some(ClientMsg::Resume { code: CODE.into(), token: "secret".into(), last_seq: Some(2) })
    );
    assert_eq!(effects, vec![Effect::KeepScreenOn], "the wake lock went with the sleep");

    // A short gap: what it missed is replayed, then `resumed`. Its win buzzes on waking.
    let replay = [started(3, 1, "Book"), won(4, 1, "Book", ME, 60), started(5, 2, "Mug")];
    let buzzes: Vec<_> = replay.iter().flat_map(|msg| p.apply(msg, 10_000.0)).collect();
    assert_eq!(buzzes, vec![Effect::Vibrate]);
    assert_eq!(p.apply(&ServerMsg::Resumed { seq: 5 }, 10_000.0), vec![]);
    assert_eq!(p.status(), Status::Drawing { prize: Some("Mug".into()) });
    assert_eq!(p.results.wins.iter().map(|w| (w.draw, w.claim)).collect::<Vec<_>>(), [(1, ClaimView::Open)]);

    // A long gap: a snapshot. Bob won the Mug, a Hat spins; the open Book is still there and
    // its countdown is what the server says is left.
    let snapshot = ServerMsg::PlayerSnapshot {
        seq: 40,
        code: CODE.into(),
        you: player(ME),
        ended: false,
        draws: vec![
            view(1, "Book", Some(ME), ClaimView::Open, Some(20_000)),
            view(2, "Mug", Some(BOB), ClaimView::Open, Some(50_000)),
            view(3, "Hat", None, ClaimView::Spinning, None),
        ],
        fingerprint: Some("ab12".into()),
    };
    assert_eq!(p.apply(&snapshot, 100_000.0), vec![Effect::KeepScreenOn], "no second buzz: known win");
    assert_eq!(p.status(), Status::Drawing { prize: Some("Hat".into()) });
    assert_eq!(p.results.wins[0].deadline, Some(120_000.0));
    assert_eq!(p.last_seq, Some(40));

    // A reloaded page knows nothing yet: its snapshot brings the win back, with a buzz.
    let mut reloaded = PhoneState::new(Some(CODE.into()));
    let (hello, _) = reloaded.hello(Some("secret".into()));
    assert_eq!(hello, Some(ClientMsg::Resume { code: CODE.into(), token: "secret".into(), last_seq: None }));
    assert_eq!(reloaded.apply(&snapshot, 0.0), vec![Effect::KeepScreenOn, Effect::Vibrate]);
    assert_eq!(reloaded.phase, Phase::In);
}

#[test]
fn a_removed_phone_forgets_its_place_and_may_join_again() {
    let mut p = in_the_raffle();
    assert_eq!(p.apply(&ServerMsg::Removed { seq: 3 }, 0.0), vec![Effect::ForgetToken { code: CODE.into() }]);
    assert_eq!(p.phase, Phase::Removed);
    p.join_again();
    assert_eq!(p.phase, Phase::Form);
    // The host has not let it back in: its join id says it was removed.
    let saved = |code: &str| (code == CODE).then(|| "id-1".to_owned());
    let effects = p.submit("", "Ada", saved, || unreachable!("the join id is kept"));
    assert_eq!(effects[0], Effect::Send(join_msg("id-1")), "the same join id: the same person");
    let refused = ServerMsg::error(ErrorCode::Removed, Some(Field::Name), "You were removed.");
    assert_eq!(p.apply(&refused, 0.0), vec![]);
    assert_eq!(p.phase, Phase::Removed);
    assert_eq!(p.hello(None), (None, vec![]), "nothing left to ask on a reconnect");
}

#[test]
fn a_phone_that_leaves_forgets_its_place() {
    let mut p = in_the_raffle();
    assert_eq!(p.leave(), vec![Effect::Send(ClientMsg::Leave {})]);
    assert_eq!(p.apply(&ServerMsg::Left { seq: 3 }, 0.0), vec![Effect::ForgetToken { code: CODE.into() }]);
    assert_eq!(p.phase, Phase::Left);
}

#[test]
fn the_end_while_a_win_is_open_leaves_it_claimable_until_it_expires() {
    let mut p = in_the_raffle();
    let _ = p.apply(&won(3, 1, "Book", ME, 0), 0.0);
    let _ = p.apply(&ServerMsg::Ended { seq: 4, claim_ms_left: 600_000 }, 1_000.0);
    assert_eq!(p.status(), Status::Ended);
    assert_eq!(p.results.wins[0].deadline, Some(601_000.0));
    let _ = p.apply(&ServerMsg::ClaimExpired { seq: 5, draw: 1, player: ME }, 601_000.0);
    assert_eq!(p.results.wins[0].claim, ClaimView::Expired);
}

#[test]
fn a_refused_join_says_why_beside_the_field() {
    let mut p = PhoneState::new(None);
    let _ = p.submit(" k7qx-2m ", "Ada", |_| Some("id-1".into()), || unreachable!());
    assert_eq!(p.hello(None).0, Some(join_msg("id-1")), "the typed code is normalized");
    let wrong = ServerMsg::error(ErrorCode::UnknownCode, Some(Field::Code), "No raffle has that code.");
    assert_eq!(p.apply(&wrong, 0.0), vec![]);
    assert_eq!((p.phase, p.code_error.as_deref()), (Phase::Form, Some("No raffle has that code.")));
    assert_eq!(p.hello(None), (None, vec![]), "a refused join is not asked again");

    // Sent again: the old error goes; a name taken is said beside the name.
    let _ = p.submit(CODE, "Ada", |_| Some("id-1".into()), || unreachable!());
    assert_eq!(p.code_error, None);
    let taken = ServerMsg::error(ErrorCode::NameTaken, Some(Field::Name), "That name is taken.");
    let _ = p.apply(&taken, 0.0);
    assert_eq!((p.phase, p.name_error.as_deref()), (Phase::Form, Some("That name is taken.")));

    // Any other refusal shows under the form.
    let _ = p.submit(CODE, "Ada 2", |_| Some("id-1".into()), || unreachable!());
    let _ = p.apply(&ServerMsg::error(ErrorCode::JoiningClosed, None, "Joining is closed."), 0.0);
    assert_eq!((p.phase, p.page_error.as_deref()), (Phase::Form, Some("Joining is closed.")));
}

#[test]
fn a_join_turned_away_for_now_is_asked_again_when_told() {
    let mut p = PhoneState::new(Some(CODE.into()));
    let _ = p.submit("", "Ada", |_| Some("id-1".into()), || unreachable!());
    let busy = ServerMsg::Error {
        code: ErrorCode::RateLimited,
        field: Some(Field::Name),
        message: "Too many joins: trying again shortly.".into(),
        retry_after_ms: Some(3_000),
    };
    assert_eq!(p.apply(&busy, 0.0), vec![Effect::RetryJoinIn { attempt: 2, after_ms: 3_000 }]);
    assert_eq!(
        (p.phase, p.name_error.as_deref()),
        (Phase::Joining, Some("Too many joins: trying again shortly."))
    );
    // The first timer is stale; the second asks again on a fresh socket.
    assert_eq!(p.join_timed_out(1), vec![]);
    assert_eq!(
        p.join_timed_out(2),
        vec![Effect::Reconnect, Effect::RetryJoinIn { attempt: 3, after_ms: JOIN_TIMEOUT_MS }]
    );
    assert_eq!(p.hello(None).0, Some(join_msg("id-1")));
    let _ = p.apply(&joined(2), 0.0);
    assert_eq!((p.phase, p.name_error.as_deref()), (Phase::In, None), "in: the old errors go");
}

#[test]
fn a_join_answered_twice_keeps_the_first_answer() {
    let mut p = in_the_raffle();
    let twice = ServerMsg::error(ErrorCode::AlreadyJoined, Some(Field::Name), "Already joined.");
    assert_eq!(p.apply(&twice, 0.0), vec![]);
    assert_eq!((p.phase, p.name_error.as_deref()), (Phase::In, None));
}

#[test]
fn a_place_that_is_gone_starts_over_with_the_form() {
    // A token the server no longer knows (an old raffle on a reload).
    let mut p = in_the_raffle();
    let bad = ServerMsg::error(ErrorCode::BadToken, None, "That place is gone: join again.");
    assert_eq!(p.apply(&bad, 0.0), vec![Effect::ForgetToken { code: CODE.into() }]);
    assert_eq!(
        (p.phase, p.me.clone(), p.page_error.as_deref()),
        (Phase::Form, None, Some("That place is gone: join again."))
    );

    // A raffle that closed while the phone was away.
    let mut p = in_the_raffle();
    let closed = ServerMsg::error(ErrorCode::UnknownCode, None, "This raffle has closed.");
    assert_eq!(p.apply(&closed, 0.0), vec![Effect::ForgetToken { code: CODE.into() }]);
    assert_eq!(p.phase, Phase::Form);
}

#[test]
fn a_draw_nobody_won_says_so() {
    let mut p = in_the_raffle();
    let _ = p.apply(&started(3, 1, "Book"), 0.0);
    let _ = p.apply(&ServerMsg::DrawVoided { seq: 4, draw: 1, reason: None }, 0.0);
    assert_eq!(p.status(), Status::NoWinner);
}
