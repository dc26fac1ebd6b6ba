//! Whole evenings on the controls and on a remote, message by message, without a browser.

use super::*;
use crate::components::fixtures::{draw_view, host_snapshot as snapshot, player};
use crate::protocol::{ClaimView, DrawView};

fn board() -> Board {
    Board { code: "K7QX2M".into(), joining_open: true, next_draw: 1, ..Board::default() }
}

fn won(n: u32, winner: PlayerView, ms_left: Option<u64>) -> DrawView {
    draw_view(n, None, Some(winner), ClaimView::Open, ms_left)
}

fn error(code: ErrorCode, field: Option<Field>, message: &str) -> ServerMsg {
    ServerMsg::Error { code, field, message: message.into(), retry_after_ms: None }
}

/// A browser's localStorage, for `hello`.
fn storage<'a>(entries: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |key| entries.iter().find(|(k, _)| *k == key).map(|(_, v)| (*v).to_owned())
}

#[test]
fn an_evening_on_the_controls() {
    let mut s = ControlsState::new(Seat::Controls, None, None);
    // /host starts a raffle; its token is kept and the address becomes the raffle's.
    assert_eq!(s.hello(storage(&[])), Some(ClientMsg::StartRaffle {}));
    let started = ServerMsg::RaffleStarted { code: "K7QX2M".into(), host_token: "h".into() };
    assert_eq!(
        s.apply(started, 0.0),
        [
            Effect::SaveToken { key: "raffler.host.K7QX2M".into(), token: "h".into() },
            Effect::ReplacePath("/host/K7QX2M".into()),
        ]
    );
    assert!(s.apply(snapshot(vec![player(1, "Ada")], board()), 0.0).is_empty());
    assert_eq!((s.total, s.connected), (1, 1));

    // Names arrive and leave in batches; presence follows.
    s.apply(
        ServerMsg::PlayersJoined { players: vec![player(2, "Grace"), player(3, "Linus")], total: 3 },
        0.0,
    );
    s.apply(ServerMsg::PlayersGone { players: vec![2], total: 2 }, 0.0);
    s.apply(ServerMsg::Presence { connected: 1, total: 2 }, 0.0);
    let names: Vec<&str> = s.players.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Ada", "Linus"]);
    assert_eq!((s.total, s.connected), (2, 1));

    // A refused draw shows next to the button, and the next reveal clears it.
    s.apply(error(ErrorCode::NoPlayers, Some(Field::Draw), "Nobody has joined yet."), 0.0);
    assert_eq!(s.errors.draw.as_deref(), Some("Nobody has joined yet."));
    s.apply(error(ErrorCode::PrizeNameEmpty, Some(Field::Prize), "Please give the prize a name."), 0.0);
    s.apply(error(ErrorCode::NameTaken, Some(Field::Name), "taken"), 0.0);
    assert_eq!(s.errors.prize.as_deref(), Some("Please give the prize a name."));
    assert_eq!(s.errors.player.as_deref(), Some("taken"));
    let with_win =
        Board { draws: vec![won(1, player(1, "Ada"), Some(30_000))], walk_ins: vec![3], ..board() };
    s.apply(ServerMsg::Board { seq: 5, board: with_win }, 1_000.0);
    assert_eq!(s.errors.draw, None);

    // The claim countdown, from when the board came, by this device's clock.
    assert_eq!(s.seconds_left(1, 1_000.0), Some(30));
    assert_eq!(s.seconds_left(1, 30_500.0), Some(1));
    assert_eq!(s.seconds_left(1, 40_000.0), Some(0));
    assert_eq!(s.seconds_left(2, 1_000.0), None);
    assert!(s.is_walk_in(3) && !s.is_walk_in(1));

    // A reload resumes with the token kept; the raffle closing leaves the page with a way home.
    let mut reloaded = ControlsState::new(Seat::Controls, Some("K7QX2M".into()), None);
    let hello = reloaded.hello(storage(&[("raffler.host.K7QX2M", "h")]));
    assert_eq!(hello, Some(ClientMsg::Resume { code: "K7QX2M".into(), token: "h".into(), last_seq: None }));
    s.apply(error(ErrorCode::BadToken, Some(Field::Name), "no"), 0.0);
    assert!(s.gone);
    assert_eq!(s.errors.page.as_deref(), Some(CANNOT_HOST));
}

#[test]
fn another_browser_is_not_the_host() {
    let mut s = ControlsState::new(Seat::Controls, Some("K7QX2M".into()), None);
    assert_eq!(s.hello(storage(&[])), None);
    assert!(s.gone);
    assert_eq!(s.errors.page.as_deref(), Some(CANNOT_HOST));
}

#[test]
fn the_pairing_link_shows_on_the_screen_that_opened_it_while_it_works() {
    let mut s = ControlsState::new(Seat::Controls, Some("K7QX2M".into()), None);
    s.apply(snapshot(vec![], board()), 0.0);
    let url = "http://10.0.0.2:3000/remote/K7QX2M#pair=abc";
    s.apply(ServerMsg::RemoteLink { url: url.into(), ms_left: 600_000, qr_svg: "<svg/>".into() }, 0.0);
    s.apply(ServerMsg::Board { seq: 2, board: Board { pairing_open: true, ..board() } }, 0.0);
    assert_eq!(s.open_remote_link(0.0).map(|(l, left)| (l.url.as_str(), left)), Some((url, 600)));
    assert_eq!(s.open_remote_link(600_000.0), None, "expired");
    // Used: the next board says none is open, and the code goes.
    s.apply(ServerMsg::Board { seq: 3, board: Board { remotes: vec![1], ..board() } }, 1_000.0);
    assert_eq!(s.open_remote_link(1_000.0), None);
    assert_eq!(s.board.remotes, [1]);
}

#[test]
fn a_remote_turned_off_while_asleep_forgets_its_token_and_a_new_scan_pairs_afresh() {
    let code = Some("K7QX2M".to_owned());
    let mut s = ControlsState::new(Seat::Remote, code.clone(), None);
    let stored = [("raffler.remote.K7QX2M", "old")];
    assert!(matches!(s.hello(storage(&stored)), Some(ClientMsg::Resume { .. })));
    let effects = s.apply(error(ErrorCode::BadToken, Some(Field::Name), "no"), 0.0);
    assert_eq!(effects, [Effect::ForgetToken { key: "raffler.remote.K7QX2M".into() }]);
    assert_eq!(s.errors.page.as_deref(), Some(CANNOT_REMOTE));
    // Scanned again: the new link is presented even while an old token is still kept.
    let mut again = ControlsState::new(Seat::Remote, code, Some("new".into()));
    let pair = ClientMsg::PairRemote { code: "K7QX2M".into(), link: "new".into(), pair_id: None };
    assert_eq!(again.hello(storage(&stored)), Some(pair));
}

#[test]
fn a_remote_pairs_comes_back_with_its_own_token_and_is_turned_off() {
    let code = Some("K7QX2M".to_owned());
    let mut s =
        ControlsState::new(Seat::Remote, code.clone(), Some("link".into())).with_pair_id(Some("p1".into()));
    // First time: the link from the address, under the phone's pairing id; the host token is
    // never asked for.
    let pair =
        ClientMsg::PairRemote { code: "K7QX2M".into(), link: "link".into(), pair_id: Some("p1".into()) };
    assert_eq!(s.hello(storage(&[("raffler.host.K7QX2M", "h")])), Some(pair.clone()));
    // The answer was lost: the same link and the same id again.
    assert_eq!(s.hello(storage(&[("raffler.host.K7QX2M", "h")])), Some(pair));
    let paired = ServerMsg::RemotePaired { code: "K7QX2M".into(), remote: 1, token: "r".into() };
    assert_eq!(
        s.apply(paired, 0.0),
        [
            Effect::SaveToken { key: "raffler.remote.K7QX2M".into(), token: "r".into() },
            Effect::ReplacePath("/remote/K7QX2M".into()),
        ]
    );
    // A reconnect resumes with the remote's token.
    let resume = ClientMsg::Resume { code: "K7QX2M".into(), token: "r".into(), last_seq: None };
    assert_eq!(s.hello(storage(&[("raffler.remote.K7QX2M", "r")])), Some(resume));
    // Turned off: the token is forgotten and the page says why.
    let effects = s.apply(ServerMsg::RemoteRevoked { seq: 9 }, 0.0);
    assert_eq!(effects, [Effect::ForgetToken { key: "raffler.remote.K7QX2M".into() }]);
    assert!(s.gone);
    assert_eq!(s.errors.page.as_deref(), Some(REVOKED));
    // After that, with no token and the link spent, it is nobody's remote.
    assert_eq!(s.hello(storage(&[])), None);
    assert_eq!(s.errors.page.as_deref(), Some(CANNOT_REMOTE));
}

#[test]
fn a_used_link_is_refused_with_the_servers_words_and_not_tried_again() {
    let mut s = ControlsState::new(Seat::Remote, Some("K7QX2M".into()), Some("link".into()));
    assert!(s.hello(storage(&[])).is_some());
    s.apply(error(ErrorCode::RemoteLinkUsed, None, "This remote link has been used already."), 0.0);
    assert!(s.gone);
    assert_eq!(s.errors.page.as_deref(), Some("This remote link has been used already."));
    assert_eq!(s.hello(storage(&[])), None, "the spent link is not presented again");
}
