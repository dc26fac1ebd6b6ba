//! The room's unit tests: each drives a `Room` by hand (no runtime, no clock, no socket) and
//! reads its outputs.

use super::*;
use raffler_core::raffle::DrawNumber;

const T0: Millis = Millis(1_000_000);
const HOST: ConnId = 1;

fn settings(spin: u64) -> RaffleSettings {
    RaffleSettings { spin: Millis(spin), ..RaffleSettings::default() }
}

fn new_room(spin: u64) -> Room {
    room_with(settings(spin))
}

fn room_with(settings: RaffleSettings) -> Room {
    let rng = StdRng::seed_from_u64(7);
    Room::start(
        settings,
        T0,
        Token::new("host"),
        HOST,
        "ABCDEF".into(),
        "u".into(),
        Duration::from_secs(3_600),
        rng,
    )
}

/// Writes what the room asks (always successfully) and returns its outputs.
fn settle(room: &mut Room, now: Millis) -> Vec<Output> {
    while let Some(op) = room.poll_store(now) {
        room.handle_stored(now, Ok(()));
        let _ = op;
    }
    std::iter::from_fn(|| room.poll_output()).collect()
}

fn sends(outputs: &[Output]) -> Vec<(&Audience, &ServerMsg)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send { to, msg } => Some((to, msg)),
            _ => None,
        })
        .collect()
}

fn join(room: &mut Room, conn: ConnId, name: &str, now: Millis) -> Vec<Output> {
    let request = Request::Join { name: name.into(), join_id: None, token: Token::new(format!("t-{name}")) };
    room.handle_request(now, conn, request);
    settle(room, now)
}

#[test]
fn the_host_hears_nothing_until_the_raffle_is_on_disk() {
    let mut room = new_room(0);
    assert!(room.poll_output().is_none(), "nothing before the write");
    assert!(matches!(room.poll_store(T0), Some(StoreOp::Append(events)) if events.len() == 1));
    assert!(room.poll_output().is_none(), "nothing while it is written");
    room.handle_stored(T0, Ok(()));
    let out: Vec<Output> = std::iter::from_fn(|| room.poll_output()).collect();
    let sent = sends(&out);
    assert!(matches!(sent[0], (Audience::Conn(HOST), ServerMsg::RaffleStarted { .. })));
    assert!(matches!(sent[1], (Audience::Conn(HOST), ServerMsg::HostSnapshot { .. })));
    assert!(out.iter().any(|o| matches!(o, Output::Admit { conn: HOST, role: Role::Host })));
}

#[test]
fn a_raffle_that_cannot_be_saved_is_never_started() {
    let mut room = new_room(0);
    assert!(room.poll_store(T0).is_some());
    room.handle_stored(T0, Err(StoreError::Full));
    let out: Vec<Output> = std::iter::from_fn(|| room.poll_output()).collect();
    assert!(matches!(sends(&out)[0].1, ServerMsg::Error { .. }));
    assert!(matches!(out.last(), Some(Output::Closed)));
    assert_eq!(room.poll_timeout(), None);
}

#[test]
fn a_join_is_answered_and_the_hosts_hear_of_it_in_a_batch() {
    let mut room = new_room(0);
    settle(&mut room, T0);
    let out = join(&mut room, 10, "Ada", T0);
    assert!(matches!(sends(&out)[0], (Audience::Conn(10), ServerMsg::Joined { .. })));
    assert!(out.iter().any(|o| matches!(o, Output::Admit { conn: 10, role: Role::Phone })));
    assert!(out.iter().any(|o| matches!(o, Output::Entered { conn: 10, ok: true })));
    assert!(!sends(&out).iter().any(|(to, _)| **to == Audience::Hosts), "batched, not at once");
    let due = room.poll_timeout().expect("a batch is due");
    assert_eq!(due, T0.plus(fanout::HOST_BATCH));
    room.handle_timeout(due);
    let out = settle(&mut room, due);
    let to_hosts: Vec<_> = sends(&out).into_iter().filter(|(to, _)| **to == Audience::Hosts).collect();
    assert!(matches!(to_hosts[0].1, ServerMsg::PlayersJoined { total: 1, .. }));
    assert!(matches!(to_hosts[1].1, ServerMsg::Presence { connected: 1, total: 1 }));
}

#[test]
fn a_result_is_one_output_for_everyone_however_many_phones() {
    let mut room = new_room(0);
    settle(&mut room, T0);
    for conn in 10..60 {
        join(&mut room, conn, &format!("P{conn}"), T0);
    }
    room.handle_request(T0, HOST, Request::Command(Command::Draw { draw: DrawNumber(1), prize: None }));
    let out = settle(&mut room, T0);
    let to_everyone: Vec<_> = sends(&out).into_iter().filter(|(to, _)| **to == Audience::Everyone).collect();
    assert_eq!(to_everyone.len(), 2, "draw started and winner drawn, once each: {to_everyone:?}");
    assert!(matches!(to_everyone[1].1, ServerMsg::WinnerDrawn { .. }));
    // One after the other, nothing between: the driver queues them on each phone as one run.
    let at: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o, Output::Send { to: Audience::Everyone, .. }))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at[1], at[0] + 1, "adjacent outputs: {out:?}");
}

#[test]
fn a_failed_write_takes_everything_back_and_says_so() {
    let mut room = new_room(0);
    settle(&mut room, T0);
    room.handle_request(T0, 10, Request::Join { name: "Ada".into(), join_id: None, token: Token::new("a") });
    assert!(matches!(room.poll_store(T0), Some(StoreOp::Append(_))));
    room.handle_stored(T0, Err(StoreError::Full));
    let out: Vec<Output> = std::iter::from_fn(|| room.poll_output()).collect();
    assert!(matches!(sends(&out)[0], (Audience::Conn(10), ServerMsg::Error { .. })));
    assert!(out.iter().any(|o| matches!(o, Output::Entered { conn: 10, ok: false })));
    assert!(matches!(sends(&out).last(), Some((Audience::Hosts, ServerMsg::Error { .. }))));
    assert_eq!(room.raffle().players_in(), 0, "rebuilt from the log");
    assert_eq!(room.raffle().last_seq(), room.log().len() as u64);
}

#[test]
fn a_resume_behind_staged_events_waits_for_them_to_be_written() {
    let mut room = new_room(0);
    settle(&mut room, T0);
    join(&mut room, 10, "Ada", T0);
    room.handle_request(T0, 11, Request::Join { name: "Bob".into(), join_id: None, token: Token::new("b") });
    room.handle_request(T0, 12, Request::Resume { token: Token::new("t-Ada"), last_seq: Some(2) });
    assert!(room.must_store(), "the resume must see Bob on disk first");
    let out = settle(&mut room, T0);
    let to_12: Vec<_> = sends(&out).into_iter().filter(|(to, _)| **to == Audience::Conn(12)).collect();
    assert!(matches!(to_12[0].1, ServerMsg::Resumed { seq: 3 }), "{to_12:?}");
}

#[test]
fn a_player_who_leaves_is_told_on_its_phones_only_and_released() {
    let mut room = new_room(0);
    settle(&mut room, T0);
    join(&mut room, 10, "Ada", T0);
    room.handle_request(T0, 11, Request::Resume { token: Token::new("t-Ada"), last_seq: None });
    settle(&mut room, T0);
    room.handle_request(T0, 10, Request::Command(Command::Leave));
    let out = settle(&mut room, T0);
    assert!(matches!(sends(&out)[0], (Audience::Conns(c), ServerMsg::Left { .. }) if *c == vec![10, 11]));
    assert!(out.iter().any(|o| matches!(o, Output::Release { conn: 10, role: Role::Phone })));
    assert!(out.iter().any(|o| matches!(o, Output::Release { conn: 11, role: Role::Phone })));
    assert!(!room.knows(10) && !room.knows(11));
}

#[test]
fn a_phone_that_cannot_keep_up_stops_counting_as_connected() {
    let mut room = new_room(0);
    settle(&mut room, T0);
    join(&mut room, 10, "Ada", T0);
    room.handle_unreachable(T0, 10, Role::Phone);
    assert!(!room.knows(10));
    assert_eq!(room.roster.connected(), 0);
}

#[test]
fn a_spin_is_revealed_by_the_timer_once_written() {
    let mut room = new_room(3_000);
    settle(&mut room, T0);
    join(&mut room, 10, "Ada", T0);
    room.handle_request(T0, HOST, Request::Command(Command::Draw { draw: DrawNumber(1), prize: None }));
    settle(&mut room, T0);
    let reveal = T0.plus(Millis(3_000));
    assert_eq!(room.poll_timeout(), Some(reveal));
    room.handle_timeout(reveal);
    assert!(room.poll_output().is_none(), "not announced before written");
    let out = settle(&mut room, reveal);
    assert!(sends(&out).iter().any(|(to, msg)| **to == Audience::Everyone
        && matches!(msg, ServerMsg::WinnerDrawn { winner, .. } if winner.id == 1)));
}

#[test]
fn an_idle_raffle_is_ended_then_closed() {
    let mut room = new_room(0);
    settle(&mut room, T0);
    join(&mut room, 10, "Ada", T0);
    let batch = T0.plus(fanout::HOST_BATCH);
    room.handle_timeout(batch);
    settle(&mut room, batch);
    let close_at = T0.plus(Millis(3_600_000));
    assert_eq!(room.poll_timeout(), Some(close_at));
    room.handle_timeout(close_at);
    assert!(matches!(room.poll_store(close_at), Some(StoreOp::Append(_))), "the end first");
    room.handle_stored(close_at, Ok(()));
    assert!(matches!(room.poll_store(close_at), Some(StoreOp::Close)));
    room.handle_stored(close_at, Ok(()));
    let out: Vec<Output> = std::iter::from_fn(|| room.poll_output()).collect();
    assert!(sends(&out)
        .iter()
        .any(|(to, msg)| **to == Audience::Everyone && matches!(msg, ServerMsg::Ended { .. })));
    assert!(matches!(out.last(), Some(Output::Closed)));
}

#[test]
fn a_close_that_fails_is_tried_again_a_second_later() {
    let mut room = new_room(0);
    settle(&mut room, T0);
    room.handle_request(T0, HOST, Request::Command(Command::End));
    settle(&mut room, T0);
    let close_at = room.poll_timeout().unwrap();
    room.handle_timeout(close_at);
    assert!(matches!(room.poll_store(close_at), Some(StoreOp::Close)));
    room.handle_stored(close_at, Err(StoreError::Full));
    assert_eq!(room.poll_timeout(), Some(close_at.plus(RETRY_AFTER)));
}

fn position(out: &[Output], wanted: impl Fn(&Output) -> bool) -> usize {
    out.iter().position(wanted).expect("the output is there")
}

/// Found by the simulation: a join asked again while a reveal was overdue told the phone the
/// result twice (in its snapshot, then in the reveal's broadcast, committed with the join).
#[test]
fn regression_a_join_asked_again_while_a_reveal_is_overdue() {
    let mut room = new_room(1_000);
    settle(&mut room, T0);
    let ada = |token: &str| Request::Join {
        name: "Ada".into(),
        join_id: Some("a".into()),
        token: Token::new(token),
    };
    room.handle_request(T0, 10, ada("first"));
    settle(&mut room, T0);
    room.handle_request(T0, HOST, Request::Command(Command::Draw { draw: DrawNumber(1), prize: None }));
    settle(&mut room, T0);
    let late = T0.plus(Millis(2_000)); // the reveal is due, its timer has not run
    room.handle_request(late, 11, ada("second"));
    let out = settle(&mut room, late);
    let won = |o: &Output| matches!(o, Output::Send { msg: ServerMsg::WinnerDrawn { .. }, .. });
    let admitted = position(&out, |o| matches!(o, Output::Admit { conn: 11, .. }));
    assert!(position(&out, won) < admitted, "the broadcast goes out before the phone is in its audience");
    assert_eq!(out.iter().filter(|o| won(o)).count(), 1);
    let snapshot = |o: &Output| {
        matches!(o, Output::Send { to: Audience::Conn(11), msg: ServerMsg::PlayerSnapshot { .. } })
    };
    assert!(position(&out, snapshot) < admitted, "the phone learns the result from its snapshot");
}

/// Found by the simulation: the same join twice in one batch, then a draw, answered the second
/// with the `seq` of the whole batch, so the draw's broadcast after it looked like a repeat.
#[test]
fn regression_the_same_join_twice_in_one_batch() {
    let mut room = new_room(0);
    settle(&mut room, T0);
    let ada = || Request::Join { name: "Ada".into(), join_id: Some("a".into()), token: Token::new("t") };
    room.handle_request(T0, 10, ada());
    room.handle_request(T0, 10, ada());
    room.handle_request(T0, HOST, Request::Command(Command::Draw { draw: DrawNumber(1), prize: None }));
    let out = settle(&mut room, T0);
    let to_10: Vec<u64> = sends(&out)
        .into_iter()
        .filter(|(to, _)| matches!(to, Audience::Conn(10) | Audience::Everyone))
        .filter(|(_, msg)| !matches!(msg, ServerMsg::PlayerSnapshot { .. }))
        .filter_map(|(_, msg)| msg.seq())
        .collect();
    assert!(to_10.windows(2).all(|w| w[0] <= w[1]), "seqs never go back: {to_10:?}");
}

/// A room whose draws wait for a beacon with a round every 3 s from time 0.
fn beacon_room() -> Room {
    room_with(RaffleSettings {
        spin: Millis(1_000),
        beacon: Some(raffler_core::raffle::BeaconClock { genesis_time: 0, period: 3 }),
        ..RaffleSettings::default()
    })
}

#[test]
fn a_draw_waiting_for_its_beacon_is_revealed_by_the_round_and_only_once_it_is_on_disk() {
    let mut room = beacon_room();
    settle(&mut room, T0);
    join(&mut room, 2, "Ada", T0);
    room.handle_request(T0, HOST, Request::Command(Command::Draw { draw: DrawNumber(1), prize: None }));
    let started = settle(&mut room, T0);
    let round = sends(&started)
        .iter()
        .find_map(|(_, m)| match m {
            ServerMsg::DrawStarted { beacon_round, .. } => *beacon_round,
            _ => None,
        })
        .expect("the draw names a round");
    let (wanted, at) = room.wants_beacon().expect("the room asks for the round");
    assert_eq!(wanted, round);
    // Its timer is the round's deadline, not the spin: the spin's end reveals nothing.
    room.handle_timeout(T0.plus(Millis(1_000)));
    assert!(settle(&mut room, T0.plus(Millis(1_000)))
        .iter()
        .all(|o| !matches!(o, Output::Send { msg: ServerMsg::WinnerDrawn { .. }, .. })));
    // Another round changes nothing; the right one reveals, told only once written.
    let value = |round| BeaconValue { round, signature: vec![1; 48], randomness: [9; 32] };
    room.handle_beacon(at, value(round + 1));
    assert!(room.poll_store(at).is_none());
    room.handle_beacon(at, value(round));
    assert!(room.poll_output().is_none(), "nothing is told before it is on disk");
    let out = settle(&mut room, at);
    assert!(sends(&out)
        .iter()
        .any(|(to, m)| **to == Audience::Everyone && matches!(m, ServerMsg::WinnerDrawn { .. })));
    assert_eq!(room.wants_beacon(), None);
}

/// The host opens a pairing link: the link goes to the host's screen alone, the hosts' board
/// only says that one is open.
fn open_remote_link(room: &mut Room, now: Millis) -> Token {
    let link = Token::new("0123456789abcdef0123456789abcdef");
    room.handle_request(now, HOST, Request::Command(Command::OpenRemoteLink { link: link.clone() }));
    let out = settle(room, now);
    let sent = sends(&out);
    let url = sent.iter().find_map(|(to, msg)| match msg {
        ServerMsg::RemoteLink { url, qr_svg, .. } if **to == Audience::Conn(HOST) => {
            assert!(qr_svg.starts_with("<?xml") || qr_svg.starts_with("<svg"), "an SVG");
            Some(url.clone())
        }
        _ => None,
    });
    assert_eq!(url.as_deref(), Some("u/remote/ABCDEF#pair=0123456789abcdef0123456789abcdef"));
    for (to, msg) in &sent {
        if let ServerMsg::Board { board, .. } = msg {
            assert!(board.pairing_open);
            assert_eq!(**to, Audience::Hosts);
        }
        assert!(
            !msg.to_json().contains(link.expose()) || **to == Audience::Conn(HOST),
            "the link went to {to:?}"
        );
    }
    link
}

#[test]
fn a_phone_paired_with_the_hosts_link_is_a_host_screen_until_revoked() {
    let mut room = new_room(0);
    settle(&mut room, T0);
    join(&mut room, 10, "Ada", T0);
    let link = open_remote_link(&mut room, T0);

    // Pairing: answered once on disk, then the remote gets the host's snapshot.
    let pair = Request::PairRemote { link: link.clone(), token: Token::new("remote-1"), pair_id: None };
    room.handle_request(T0, 20, pair);
    let out = settle(&mut room, T0);
    let sent = sends(&out);
    assert!(matches!(sent[0], (Audience::Conn(20), ServerMsg::RemotePaired { remote: 1, .. })));
    assert!(sent
        .iter()
        .any(|(to, m)| **to == Audience::Conn(20) && matches!(m, ServerMsg::HostSnapshot { .. })));
    assert!(out.iter().any(|o| matches!(o, Output::Entered { conn: 20, ok: true })));

    // A second phone with the same link is refused, and is nobody.
    let again = Request::PairRemote { link, token: Token::new("remote-2"), pair_id: None };
    room.handle_request(T0, 21, again);
    let out = settle(&mut room, T0);
    assert!(matches!(
        sends(&out)[0],
        (
            Audience::Conn(21),
            ServerMsg::Error { code: raffler_core::protocol::ErrorCode::RemoteLinkUsed, .. }
        )
    ));
    assert!(out.iter().any(|o| matches!(o, Output::Entered { conn: 21, ok: false })));

    // The remote draws; a resume with its token (another connection) is a host screen too.
    room.handle_request(T0, 20, Request::Command(Command::Draw { draw: DrawNumber(1), prize: None }));
    let out = settle(&mut room, T0);
    assert!(sends(&out).iter().any(|(_, m)| matches!(m, ServerMsg::WinnerDrawn { .. })));
    room.handle_request(T0, 22, Request::Resume { token: Token::new("remote-1"), last_seq: None });
    let out = settle(&mut room, T0);
    assert!(sends(&out)
        .iter()
        .any(|(to, m)| **to == Audience::Conn(22) && matches!(m, ServerMsg::HostSnapshot { .. })));

    // A remote cannot open a link, and one the host opens is never sent to it.
    room.handle_request(T0, 20, Request::Command(Command::OpenRemoteLink { link: Token::new("x") }));
    let out = settle(&mut room, T0);
    assert!(matches!(
        sends(&out)[0].1,
        ServerMsg::Error { code: raffler_core::protocol::ErrorCode::NotAllowed, .. }
    ));
    open_remote_link(&mut room, T0);

    // Revoked: both its screens are told and released, and its token no longer works. Even
    // while the revocation is still staged (not on disk), the remote can do nothing more.
    room.handle_request(T0, HOST, Request::Command(Command::RevokeRemote { remote: RemoteId(1) }));
    room.handle_request(T0, 20, Request::Command(Command::End));
    assert!(!room.raffle().has_ended(), "a remote being turned off cannot end the raffle");
    let out = settle(&mut room, T0);
    assert!(!room.raffle().has_ended());
    assert!(
        sends(&out)
            .iter()
            .any(|(to, m)| **to == Audience::Conns(vec![20, 22])
                && matches!(m, ServerMsg::RemoteRevoked { .. }))
    );
    assert!(out.iter().any(|o| matches!(o, Output::Release { conn: 20, role: Role::Host })));
    room.handle_request(T0, 20, Request::Command(Command::Draw { draw: DrawNumber(2), prize: None }));
    let out = settle(&mut room, T0);
    assert!(matches!(
        sends(&out)[0].1,
        ServerMsg::Error { code: raffler_core::protocol::ErrorCode::NotAllowed, .. }
    ));
    room.handle_request(T0, 23, Request::Resume { token: Token::new("remote-1"), last_seq: None });
    let out = settle(&mut room, T0);
    assert!(out.iter().any(|o| matches!(o, Output::Entered { conn: 23, ok: false })));
}

#[test]
fn a_name_hidden_from_the_stage_is_hidden_from_the_phones_but_not_from_the_hosts() {
    let mut room = new_room(0);
    settle(&mut room, T0);
    join(&mut room, 10, "Rude Name", T0);
    let hide = Command::SetNameHidden { player: PlayerId(1), hidden: true };
    room.handle_request(T0, HOST, Request::Command(hide));
    settle(&mut room, T0);
    room.handle_request(T0, HOST, Request::Command(Command::Draw { draw: DrawNumber(1), prize: None }));
    let out = settle(&mut room, T0);
    let sent = sends(&out);
    let told = sent.iter().find_map(|(to, m)| match m {
        ServerMsg::WinnerDrawn { winner, .. } if **to == Audience::Everyone => Some(winner.clone()),
        _ => None,
    });
    assert_eq!(told.map(|w| (w.id, w.name)), Some((1, raffler_core::protocol::HIDDEN_NAME.to_owned())));
    // The hosts' board (sent in their next batch) keeps the name: the host must know who won.
    let board = crate::views::board(room.raffle(), "ABCDEF", T0);
    assert_eq!(board.draws[0].winner.as_ref().map(|w| w.name.as_str()), Some("Rude Name"));
    assert_eq!(board.hidden, [1]);
}

#[test]
fn a_pairing_whose_answer_was_lost_is_answered_again_with_the_same_remote() {
    let mut room = new_room(0);
    settle(&mut room, T0);
    let link = open_remote_link(&mut room, T0);
    let pair = |token: &str| Request::PairRemote {
        link: link.clone(),
        token: Token::new(token),
        pair_id: Some("phone-a".into()),
    };
    room.handle_request(T0, 20, pair("remote-1"));
    settle(&mut room, T0);
    // Its socket dropped before the answer arrived: a new connection asks again.
    room.handle_request(T0, 21, pair("remote-2"));
    let out = settle(&mut room, T0);
    let told = sends(&out).iter().find_map(|(to, m)| match m {
        ServerMsg::RemotePaired { remote, token, .. } if **to == Audience::Conn(21) => {
            Some((*remote, token.clone()))
        }
        _ => None,
    });
    assert_eq!(told, Some((1, "remote-1".to_owned())), "the same remote and token");
    assert!(out.iter().any(|o| matches!(o, Output::Entered { conn: 21, ok: true })));
    assert_eq!(room.raffle().remotes().len(), 1, "no second remote");
}
