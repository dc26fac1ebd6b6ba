//! A whole evening on the stage, message by message and key by key, without a browser.

use super::*;
use crate::components::fixtures::{draw_view, host_snapshot as snapshot, player};
use crate::protocol::{DrawView, PrizeView};

fn board(prizes: &[(&str, bool)], draws: Vec<DrawView>) -> Board {
    Board {
        code: "K7QX2M".into(),
        joining_open: true,
        next_draw: draws.len() as u32 + 1,
        prizes: prizes
            .iter()
            .enumerate()
            .map(|(i, (name, drawn))| PrizeView { id: i as u32 + 1, name: (*name).into(), drawn: *drawn })
            .collect(),
        draws,
        ..Board::default()
    }
}

fn draw(n: u32, prize: &str, winner: Option<PlayerView>, claim: ClaimView, ms_left: Option<u64>) -> DrawView {
    draw_view(n, Some(prize), winner, claim, ms_left)
}

fn board_msg(board: Board) -> ServerMsg {
    ServerMsg::Board { seq: 0, board }
}

#[test]
fn an_evening_on_the_stage() {
    let mut s = StageState::default();
    assert_eq!(s.scene(), Scene::Starting);
    // Space before the raffle is known does nothing.
    assert_eq!(s.key(" ", true), vec![]);

    s.apply(&snapshot(vec![], board(&[("Book", false), ("Mug", false)], vec![])), 0.0);
    assert_eq!(s.scene(), Scene::Waiting);
    assert!(s.qr_large());
    assert_eq!(s.key(" ", true), vec![], "nobody to draw from");
    assert_eq!(s.notice.as_deref(), Some("Nobody has joined yet."));

    s.apply(&ServerMsg::PlayersJoined { players: vec![player(1, "Ada"), player(2, "Bob")], total: 2 }, 0.0);
    s.apply(&ServerMsg::Presence { connected: 2, total: 2 }, 0.0);
    assert_eq!((s.scene(), s.total, s.connected), (Scene::Ready, 2, 2));
    assert_eq!(s.wall().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Bob", "Ada"]);
    assert_eq!(s.next_prize().as_deref(), Some("Book"));

    // Space draws the next prize; while the link is down it waits for the host to press again.
    assert_eq!(s.key(" ", false), vec![]);
    let space = s.key(" ", true);
    assert_eq!(space, vec![Effect::Send(ClientMsg::Draw { draw: 1, prize: Some(1) })]);
    assert_eq!(s.notice, None);
    // A second press before the board moves asks for the same draw, which the core does once.
    assert_eq!(s.key(" ", true), space);

    let spinning = vec![draw(1, "Book", None, ClaimView::Spinning, None)];
    s.apply(&board_msg(board(&[("Book", true), ("Mug", false)], spinning.clone())), 0.0);
    assert_eq!(s.scene(), Scene::Spinning { draw: 1, prize: Some("Book".into()) });
    assert!(!s.qr_large(), "the QR code shrinks once the show starts");
    assert_eq!(s.key(" ", true), vec![], "no second draw while the names spin");

    // The reveal: seen live, so it celebrates.
    s.apply(
        &ServerMsg::WinnerDrawn {
            seq: 5,
            draw: 1,
            prize: Some("Book".into()),
            winner: player(2, "Bob"),
            claim_seconds: 60,
        },
        10_000.0,
    );
    assert_eq!(s.celebrate, Some(1));
    let revealed = vec![draw(1, "Book", Some(player(2, "Bob")), ClaimView::Open, Some(60_000))];
    s.apply(&board_msg(board(&[("Book", true), ("Mug", false)], revealed)), 10_000.0);
    assert_eq!(
        s.scene(),
        Scene::Revealed {
            draw: 1,
            prize: Some("Book".into()),
            winner: "Bob".into(),
            claim: ClaimView::Open,
            walk_in: false
        }
    );
    assert_eq!(s.seconds_left(1, 10_000.0), Some(60));
    assert_eq!(s.seconds_left(1, 69_500.0), Some(1));
    assert_eq!(s.seconds_left(1, 80_000.0), Some(0));

    // Bob is not here: redrawn from the controls; Ada wins and claims.
    let mut draws = vec![
        draw(1, "Book", Some(player(2, "Bob")), ClaimView::Skipped, None),
        draw(2, "Book", Some(player(1, "Ada")), ClaimView::Claimed, None),
    ];
    draws[1].redraw_of = Some(1);
    s.apply(&board_msg(board(&[("Book", true), ("Mug", false)], draws.clone())), 20_000.0);
    assert_eq!(s.seconds_left(1, 20_000.0), None, "a settled claim has no countdown");
    assert!(matches!(s.scene(), Scene::Revealed { draw: 2, claim: ClaimView::Claimed, .. }));
    let names: Vec<_> = s.winners().into_iter().map(|w| (w.draw, w.name)).collect();
    assert_eq!(names, [(2, "Ada".to_owned())], "a skipped winner is not a winner of the evening");

    // The next Space is for the Mug, draw 3.
    assert_eq!(s.key(" ", true), vec![Effect::Send(ClientMsg::Draw { draw: 3, prize: Some(2) })]);
    // The core refuses it (say, nobody left who may win): the stage says why, until the next draw.
    s.apply(&ServerMsg::error(ErrorCode::NoEligiblePlayers, Some(Field::Draw), "Nobody left to win."), 0.0);
    assert_eq!(s.notice.as_deref(), Some("Nobody left to win."));
    s.apply(
        &ServerMsg::DrawStarted {
            seq: 9,
            draw: 3,
            prize: Some("Mug".into()),
            spin_ms: 0,
            redraw_of: None,
            entries_hash: None,
            beacon_round: None,
        },
        0.0,
    );
    assert_eq!(s.notice, None);

    // Ada leaves; the wall forgets her.
    s.apply(&ServerMsg::PlayersGone { players: vec![1], total: 1 }, 0.0);
    assert_eq!(s.wall().map(|p| p.id).collect::<Vec<_>>(), [2]);

    // The end: nothing more to draw; F and Esc still work.
    let mut ended = board(&[("Book", true), ("Mug", false)], draws);
    ended.ended = true;
    s.apply(&board_msg(ended), 0.0);
    assert_eq!(s.scene(), Scene::Ended);
    assert_eq!(s.key(" ", true), vec![]);
    assert_eq!(s.key("f", true), vec![Effect::ToggleFullScreen]);
    assert_eq!(s.key("F", true), vec![Effect::ToggleFullScreen]);
    assert_eq!(s.key("Escape", true), vec![Effect::LeaveFullScreen]);
    assert_eq!(s.key("d", true), vec![]);
}

#[test]
fn a_reloaded_stage_does_not_celebrate_an_old_reveal() {
    let mut s = StageState::default();
    let revealed = vec![draw(1, "Book", Some(player(1, "Ada")), ClaimView::Open, None)];
    s.apply(&snapshot(vec![player(1, "Ada")], board(&[("Book", true)], revealed)), 0.0);
    assert!(matches!(s.scene(), Scene::Revealed { draw: 1, .. }));
    assert_eq!(s.celebrate, None);
    // Without prizes left, Space draws for a winner alone.
    assert_eq!(s.key(" ", true), vec![Effect::Send(ClientMsg::Draw { draw: 2, prize: None })]);
}

#[test]
fn the_wall_keeps_only_the_newest_names() {
    let mut s = StageState::default();
    let many: Vec<_> = (1..=WALL_NAMES as u32 + 50).map(|i| player(i, &format!("P{i}"))).collect();
    s.apply(&snapshot(many, board(&[], vec![])), 0.0);
    assert_eq!(s.wall().count(), WALL_NAMES);
    assert_eq!(s.wall().next().map(|p| p.id), Some(WALL_NAMES as u32 + 50));
    s.apply(&ServerMsg::PlayersJoined { players: vec![player(9_999, "New")], total: 351 }, 0.0);
    assert_eq!(s.wall().count(), WALL_NAMES);
    assert_eq!(s.wall().next().map(|p| p.name.as_str()), Some("New"));
    assert_eq!(s.total, 351);
}

#[test]
fn a_browser_that_is_not_the_host_gives_up() {
    let mut s = StageState::default();
    s.apply(&ServerMsg::error(ErrorCode::BadToken, None, "no"), 0.0);
    assert!(s.gone);
}

#[test]
fn a_walk_in_who_wins_is_told_to_claim_at_the_host() {
    let mut s = StageState::default();
    let mut b =
        board(&[("Book", true)], vec![draw(1, "Book", Some(player(1, "Ada")), ClaimView::Open, None)]);
    b.walk_ins = vec![1];
    s.apply(&snapshot(vec![player(1, "Ada")], b), 0.0);
    assert!(matches!(s.scene(), Scene::Revealed { walk_in: true, .. }));
}

#[test]
fn the_stage_says_what_each_draw_is_random_from_and_where_to_check_it() {
    let mut s = StageState::default();
    let ada = player(1, "Ada");
    let mut spinning = draw(1, "A mug", None, ClaimView::Spinning, None);
    spinning.beacon_round = Some(1_000);
    s.apply(&snapshot(vec![ada.clone()], board(&[("A mug", true)], vec![spinning.clone()])), 0.0);
    assert_eq!(s.fairness_line().as_deref(), Some("Waiting for public randomness: drand round 1000"));
    let mut late = spinning;
    late.claim = ClaimView::Void;
    late.void_reason = Some(VoidView::BeaconLate);
    s.apply(&board_msg(board(&[("A mug", true)], vec![late])), 0.0);
    assert_eq!(s.scene(), Scene::Void { beacon_late: true });
    assert_eq!(s.fairness_line().as_deref(), Some("Public randomness: drand round 1000"));
    let seed_only = draw(2, "A mug", Some(ada), ClaimView::Open, None);
    s.apply(&board_msg(board(&[("A mug", true)], vec![seed_only])), 0.0);
    assert_eq!(s.fairness_line().as_deref(), Some("Seed only: trusts the server's operator"));
    assert_eq!(s.verify_url().as_deref(), Some("http://10.0.0.2:3000/verify/K7QX2M"));
}

#[test]
fn the_reveal_sound_plays_only_when_turned_on_and_only_at_a_reveal() {
    let mut s = StageState::default();
    let players = vec![player(1, "Ada"), player(2, "Bob")];
    let spinning = vec![draw(1, "Book", None, ClaimView::Spinning, None)];
    let started = ServerMsg::DrawStarted {
        seq: 2,
        draw: 1,
        prize: Some("Book".into()),
        spin_ms: 0,
        redraw_of: None,
        entries_hash: None,
        beacon_round: None,
    };
    let reveal = |draw: u32| ServerMsg::WinnerDrawn {
        seq: 3,
        draw,
        prize: Some("Book".into()),
        winner: player(2, "Bob"),
        claim_seconds: 60,
    };
    assert_eq!(s.apply(&snapshot(players.clone(), board(&[("Book", true)], spinning)), 0.0), vec![]);
    assert!(!s.sound, "off by default");
    assert_eq!(s.apply(&reveal(1), 0.0), vec![], "a reveal is silent while the sound is off");

    assert_eq!(s.toggle_sound(), vec![Effect::RememberSound(true)]);
    // Everything but a reveal stays silent, the sound on or not.
    let revealed = vec![draw(1, "Book", Some(player(2, "Bob")), ClaimView::Open, Some(60_000))];
    let quiet = [
        snapshot(players.clone(), board(&[("Book", true)], revealed.clone())),
        board_msg(board(&[("Book", true)], revealed)),
        started,
        ServerMsg::PlayersJoined { players: vec![player(3, "Cy")], total: 3 },
        ServerMsg::Presence { connected: 3, total: 3 },
        ServerMsg::PrizeClaimed { seq: 4, draw: 1, player: 2 },
        ServerMsg::Ended { seq: 5, claim_ms_left: 0 },
    ];
    for msg in &quiet {
        assert_eq!(s.apply(msg, 0.0), vec![], "{msg:?}");
    }
    assert_eq!(s.apply(&reveal(2), 0.0), vec![Effect::PlaySound]);
    // Keys never play it.
    for key in [" ", "f", "Escape"] {
        assert!(!s.key(key, true).contains(&Effect::PlaySound));
    }

    assert_eq!(s.toggle_sound(), vec![Effect::RememberSound(false)]);
    assert_eq!(s.apply(&reveal(3), 0.0), vec![]);
}

#[test]
fn a_name_the_host_hid_is_off_the_wall_and_the_reel_and_wins_as_name_hidden() {
    let mut s = StageState::default();
    let players = vec![player(1, "Ada"), player(2, "Rude Name"), player(3, "Grace")];
    s.apply(&snapshot(players, board(&[("Mug", false)], vec![])), 0.0);
    let hidden = Board { hidden: vec![2], ..board(&[("Mug", false)], vec![]) };
    s.apply(&board_msg(hidden.clone()), 0.0);
    let wall: Vec<&str> = s.wall().map(|p| p.name.as_str()).collect();
    assert_eq!(wall, ["Grace", "Ada"]);
    assert!(s.reel_players().iter().all(|p| p.name != "Rude Name"));
    // The hidden player still counts and can win; the stage does not say who.
    assert_eq!(s.total, 3);
    let won = draw(1, "Mug", Some(player(2, "Rude Name")), ClaimView::Open, None);
    s.apply(&board_msg(Board { draws: vec![won], ..hidden }), 0.0);
    assert!(matches!(s.scene(), Scene::Revealed { winner, .. } if winner == HIDDEN_NAME));
    assert_eq!(s.winners()[0].name, HIDDEN_NAME);
}
