//! What each screen is told of a raffle: core state and events turned into protocol messages.
//! The one place that builds every message a screen is told (the room's, and those a session
//! answers itself) and decides what a phone or the host may see; the room and the session
//! decide only when, and to whom.

use crate::guards::Refused;
use crate::store::StoreError;
use raffler_core::protocol::{
    Board, ClaimView, DrawView, ErrorCode, Field, PlayerView, PrizeView, ServerMsg, VoidView, HIDDEN_NAME,
    MAX_JOIN_ID_CHARS,
};
use raffler_core::raffle::{
    Claim, Draw, Event, EventKind, Millis, Player, PlayerId, Presence, Raffle, Rejected, RemoteId, Token,
    VoidReason, CLAIM_AFTER_END,
};
use std::time::Duration;

pub fn player_view(player: &Player) -> PlayerView {
    PlayerView { id: player.id.0, name: player.name.clone() }
}

/// A player as every phone may see them: a name the host hid from the stage is hidden from the
/// phones too (a phone knows its own player by id, not by name).
pub fn public_player_view(player: &Player) -> PlayerView {
    let name = if player.hidden { HIDDEN_NAME.to_owned() } else { player.name.clone() };
    PlayerView { id: player.id.0, name }
}

fn prize_name(raffle: &Raffle, draw: &Draw) -> Option<String> {
    raffle.prize(draw.prize).and_then(|p| p.name.clone())
}

pub fn draw_view(raffle: &Raffle, draw: &Draw, now: Millis) -> DrawView {
    let (claim, claim_changed_at) = match draw.claim {
        _ if draw.void => (ClaimView::Void, None),
        _ if draw.is_spinning() => (ClaimView::Spinning, None),
        Claim::Open => (ClaimView::Open, None),
        Claim::Claimed { at } => (ClaimView::Claimed, Some(at.0)),
        Claim::Skipped { at } => (ClaimView::Skipped, Some(at.0)),
        Claim::Expired { at } => (ClaimView::Expired, Some(at.0)),
    };
    let claim_ms_left = raffle.claim_deadline(draw).map(|deadline| deadline.saturating_sub(now).0);
    DrawView {
        draw: draw.number.0,
        prize_id: draw.prize.0,
        prize: prize_name(raffle, draw),
        winner: draw.winner.and_then(|id| raffle.player(id)).map(player_view),
        claim,
        started_at: draw.started_at.0,
        revealed_at: draw.revealed_at.map(|at| at.0),
        claim_changed_at,
        redraw_of: draw.redraw_of.map(|d| d.0),
        claim_ms_left,
        beacon_round: draw.beacon_round,
        void_reason: draw.void_reason.map(void_view),
    }
}

fn void_view(reason: VoidReason) -> VoidView {
    match reason {
        VoidReason::NobodyLeft => VoidView::NobodyLeft,
        VoidReason::BeaconLate => VoidView::BeaconLate,
    }
}

/// The raffle's fingerprint, as every screen shows it.
pub fn fingerprint(raffle: &Raffle) -> Option<String> {
    raffle.commitment().map(|c| raffler_core::raffle::fairness::fingerprint(&c))
}

pub fn board(raffle: &Raffle, code: &str, now: Millis) -> Board {
    Board {
        fingerprint: fingerprint(raffle),
        beacon_on: raffle.beacon_on(),
        code: code.to_owned(),
        joining_open: raffle.joining_open(),
        repeat_winners: raffle.repeat_winners(),
        claim_seconds: raffle.claim_seconds(),
        ended: raffle.has_ended(),
        ended_at: raffle.ended_at().map(|at| at.0),
        next_draw: raffle.next_draw().0,
        prizes: raffle
            .prizes()
            .iter()
            .filter(|p| !p.removed)
            .filter_map(|p| {
                let name = p.name.clone()?;
                Some(PrizeView { id: p.id.0, name, drawn: !p.draws.is_empty() })
            })
            .collect(),
        draws: raffle.draws().iter().map(|d| draw_view(raffle, d, now)).collect(),
        removed: raffle
            .players()
            .iter()
            .filter(|p| p.presence == Presence::Removed)
            .map(player_view)
            .collect(),
        walk_ins: raffle.players().iter().filter(|p| p.walk_in()).map(|p| p.id.0).collect(),
        hidden: raffle.players().iter().filter(|p| p.hidden).map(|p| p.id.0).collect(),
        pairing_open: raffle.remote_link(now).is_some(),
        remotes: raffle.remotes().iter().filter(|r| !r.revoked).map(|r| r.id.0).collect(),
    }
}

/// The players who are in, in joining order.
pub fn players_in(raffle: &Raffle) -> Vec<PlayerView> {
    raffle.players().iter().filter(|p| p.presence == Presence::In).map(player_view).collect()
}

/// Whether every phone is told of this event (`public_message` has a message for it): the
/// events a returning phone may have missed, which the room's log indexes.
pub fn is_public(event: &Event) -> bool {
    matches!(
        event.kind,
        EventKind::DrawStarted { .. }
            | EventKind::WinnerDrawn { .. }
            | EventKind::DrawVoided { .. }
            | EventKind::PrizeClaimed { .. }
            | EventKind::WinnerSkipped { .. }
            | EventKind::ClaimExpired { .. }
            | EventKind::Ended
    )
}

/// The message every screen of the raffle gets for this event, if it is one they all see.
/// Used live and to replay what a returning phone missed, so both say the same.
pub fn public_message(raffle: &Raffle, event: &Event, now: Millis) -> Option<ServerMsg> {
    let seq = event.seq;
    let msg = match &event.kind {
        EventKind::DrawStarted { draw, reveal_at, redraw_of, entries_hash, beacon_round, .. } => {
            ServerMsg::DrawStarted {
                seq,
                draw: draw.0,
                prize: raffle.draw(*draw).and_then(|d| prize_name(raffle, d)),
                // A draw waiting for the beacon spins at least until its round is out.
                spin_ms: beacon_round
                    .zip(raffle.settings().beacon)
                    .map_or(*reveal_at, |(round, clock)| clock.time_of(round).max(*reveal_at))
                    .saturating_sub(now)
                    .0,
                redraw_of: redraw_of.map(|d| d.0),
                entries_hash: entries_hash.map(|h| raffler_core::raffle::fairness::to_hex(&h)),
                beacon_round: *beacon_round,
            }
        }
        EventKind::WinnerDrawn { draw, winner, .. } => ServerMsg::WinnerDrawn {
            seq,
            draw: draw.0,
            prize: raffle.draw(*draw).and_then(|d| prize_name(raffle, d)),
            winner: public_player_view(raffle.player(*winner)?),
            // The seconds left now: a phone catching up later must not restart the countdown.
            claim_seconds: raffle
                .draw(*draw)
                .map(|d| draw_view(raffle, d, now))
                .and_then(|view| view.claim_ms_left)
                .map_or(0, |left| left.div_ceil(1_000) as u32),
        },
        EventKind::DrawVoided { draw, reason } => {
            ServerMsg::DrawVoided { seq, draw: draw.0, reason: Some(void_view(*reason)) }
        }
        EventKind::PrizeClaimed { draw, player } => {
            ServerMsg::PrizeClaimed { seq, draw: draw.0, player: player.0 }
        }
        EventKind::WinnerSkipped { draw, player } => {
            ServerMsg::WinnerSkipped { seq, draw: draw.0, player: player.0 }
        }
        EventKind::ClaimExpired { draw, player } => {
            ServerMsg::ClaimExpired { seq, draw: draw.0, player: player.0 }
        }
        EventKind::Ended => ServerMsg::Ended {
            seq,
            claim_ms_left: raffle.ended_at().map_or(0, |at| at.plus(CLAIM_AFTER_END).saturating_sub(now).0),
        },
        _ => return None,
    };
    Some(msg)
}

/// Whether the host's board (prizes, draws, settings, removed players) changes with this event.
pub fn changes_board(event: &Event) -> bool {
    !matches!(
        event.kind,
        EventKind::Started { .. } | EventKind::PlayerJoined { .. } | EventKind::PlayerLeft { .. }
    )
}

/// The answer to a screen that came back with a token its raffle does not know, or for a raffle
/// that does not exist (any more). The same words either way, so that resuming cannot be used
/// to find out which codes exist.
pub fn resume_refused(code: &str) -> ServerMsg {
    let code = raffler_core::protocol::normalize_code(code);
    let msg = format!(
        "This screen is no longer in the raffle {code}: it left or was removed, or the raffle has closed. Join again."
    );
    ServerMsg::error(ErrorCode::BadToken, Some(Field::Name), msg)
}

/// The pairing link, for the one host screen that opened it: the address (the link in its
/// fragment) and its QR code. `join_url` is the raffle's join address, whose base it shares.
pub fn remote_link(raffle: &Raffle, code: &str, join_url: &str, now: Millis) -> Option<ServerMsg> {
    let (link, expires_at) = raffle.remote_link(now)?;
    let base = join_url.rsplit_once("/join/").map_or(join_url, |(base, _)| base);
    let url = format!("{base}/remote/{code}#pair={}", link.expose());
    // Medium error correction, like the join code's: read off a laptop screen at arm's length.
    let qr_svg = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map(|qr| qr.render::<qrcode::render::svg::Color>().min_dimensions(240, 240).quiet_zone(true).build())
        .unwrap_or_default();
    Some(ServerMsg::RemoteLink { url, ms_left: expires_at.saturating_sub(now).0, qr_svg })
}

/// A phone that presented the pairing link is remote `remote`, with this token to come back.
pub fn remote_paired(code: &str, remote: RemoteId, token: &Token) -> ServerMsg {
    ServerMsg::RemotePaired { code: code.to_owned(), remote: remote.0, token: token.expose().into() }
}

/// The host who started a raffle learns its code and its token, once the raffle is on disk.
pub fn raffle_started(code: &str, host_token: &Token) -> ServerMsg {
    ServerMsg::RaffleStarted { code: code.to_owned(), host_token: host_token.expose().into() }
}

/// A new raffle could not be saved: it does not exist.
pub fn not_started(err: &StoreError) -> ServerMsg {
    let msg = format!("The raffle could not be started: the server cannot save it ({err}).");
    ServerMsg::error(ErrorCode::NotSaved, None, msg)
}

/// Staged events could not be saved: nothing changed.
pub fn not_saved(err: &StoreError) -> ServerMsg {
    ServerMsg::error(
        ErrorCode::NotSaved,
        None,
        format!("The server could not save that, so nothing changed: {err}. Tell the organizer."),
    )
}

/// A command the raffle refused, shown next to the input it concerns.
pub fn rejected(why: &Rejected) -> ServerMsg {
    ServerMsg::rejected(why)
}

/// The answer to a join: who the phone is in this raffle, and the token to come back with.
pub fn joined(raffle: &Raffle, code: &str, player: PlayerId, token: &Token, seq: u64) -> ServerMsg {
    let you = player_view(raffle.player(player).expect("joined players exist"));
    let token = token.expose().to_owned();
    ServerMsg::Joined { seq, code: code.to_owned(), token, you, fingerprint: fingerprint(raffle) }
}

/// Everything a phone may know, for one that missed too much (or we cannot tell what).
pub fn player_snapshot(raffle: &Raffle, code: &str, player: PlayerId, now: Millis) -> ServerMsg {
    let you = player_view(raffle.player(player).expect("identified players exist"));
    let draws = raffle
        .draws()
        .iter()
        .map(|d| {
            let mut view = draw_view(raffle, d, now);
            // Other phones see what the stage sees of a winner whose name the host hid.
            if let Some(w) = d.winner.and_then(|w| raffle.player(w)) {
                view.winner = Some(public_player_view(w));
            }
            view
        })
        .collect();
    let (seq, ended) = (raffle.last_seq(), raffle.has_ended());
    let fingerprint = fingerprint(raffle);
    ServerMsg::PlayerSnapshot { seq, code: code.to_owned(), you, ended, draws, fingerprint }
}

/// A replay is complete: the phone is up to date at `seq`.
pub fn resumed(seq: u64) -> ServerMsg {
    ServerMsg::Resumed { seq }
}

/// Everything a host screen shows.
pub fn host_snapshot(
    raffle: &Raffle,
    code: &str,
    join_url: &str,
    connected: usize,
    now: Millis,
) -> ServerMsg {
    ServerMsg::HostSnapshot {
        seq: raffle.last_seq(),
        join_url: join_url.to_owned(),
        qr_svg_url: format!("/raffles/{code}/qr.svg"),
        players: players_in(raffle),
        connected: connected as u32,
        board: board(raffle, code, now),
    }
}

/// The host's board as it is now.
pub fn board_msg(raffle: &Raffle, code: &str, now: Millis) -> ServerMsg {
    ServerMsg::Board { seq: raffle.last_seq(), board: board(raffle, code, now) }
}

/// What the hosts learn of the players since their last update, in this order: who joined,
/// who left, how many are connected.
pub fn host_updates(
    raffle: &Raffle,
    joined: Vec<PlayerView>,
    gone: Vec<u32>,
    connected: Option<usize>,
) -> Vec<ServerMsg> {
    let total = raffle.players_in() as u32;
    let mut messages = Vec::new();
    if !joined.is_empty() {
        messages.push(ServerMsg::PlayersJoined { players: joined, total });
    }
    if !gone.is_empty() {
        messages.push(ServerMsg::PlayersGone { players: gone, total });
    }
    if let Some(connected) = connected {
        messages.push(ServerMsg::Presence { connected: connected as u32, total });
    }
    messages
}

/// What a player's own phones are told when it leaves or is removed; `None` for other events.
pub fn farewell(event: &Event) -> Option<(PlayerId, ServerMsg)> {
    match event.kind {
        EventKind::PlayerLeft { player } => Some((player, ServerMsg::Left { seq: event.seq })),
        EventKind::PlayerRemoved { player } => Some((player, ServerMsg::Removed { seq: event.seq })),
        _ => None,
    }
}

/// A remote the host turned off, and what its screens are told.
pub fn remote_farewell(event: &Event) -> Option<(RemoteId, ServerMsg)> {
    match event.kind {
        EventKind::RemoteRevoked { remote } => Some((remote, ServerMsg::RemoteRevoked { seq: event.seq })),
        _ => None,
    }
}

/// A join refused by the address's join rate.
pub fn too_many_joins(wait: Duration) -> ServerMsg {
    let msg = format!("Too many people joined from your network just now. Try again in {}.", human(wait));
    ServerMsg::limited(ErrorCode::RateLimited, Some(Field::Name), msg, wait.as_millis() as u64 + 1)
}

/// An address that tried too many wrong codes.
pub fn too_many_wrong_codes(wait: Duration) -> ServerMsg {
    let msg = format!("Too many wrong codes from your network. Try again in {}.", human(wait));
    ServerMsg::limited(ErrorCode::RateLimited, Some(Field::Code), msg, wait.as_millis() as u64 + 1)
}

/// "12 seconds", "3 minutes": a wait as a person reads it.
pub fn human(wait: Duration) -> String {
    match wait.as_secs() + 1 {
        s if s < 90 => format!("{s} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

/// A screen that is in one raffle asked to enter another.
pub fn already_in_raffle(field: Option<Field>) -> ServerMsg {
    ServerMsg::error(
        ErrorCode::AlreadyInRaffle,
        field,
        "This screen is already in another raffle. Reload the page.",
    )
}

// What a session answers itself, before (or instead of) asking a raffle.

/// Over the per-address limit, or the server's open files: the browser retries later.
pub fn connection_refused(refused: Refused) -> ServerMsg {
    let (code, msg) = match refused {
        Refused::TooManyFromAddress => (
            ErrorCode::TooManyConnections,
            "Too many connections from your network right now. Retrying shortly.",
        ),
        Refused::ServerFull => (
            ErrorCode::ServerFull,
            "The server has as many screens connected as it can take. Retrying shortly.",
        ),
    };
    ServerMsg::limited(code, None, msg, 5_000)
}

pub fn pong() -> ServerMsg {
    ServerMsg::Pong
}

pub fn binary_frame() -> ServerMsg {
    ServerMsg::error(ErrorCode::MalformedFrame, None, "Send JSON in text frames, not binary ones.")
}

/// The first frame over the connection's rate (the next ones are dropped silently).
pub fn too_fast(wait: Duration) -> ServerMsg {
    let msg = "You are sending messages too fast. Slow down.";
    ServerMsg::limited(ErrorCode::RateLimited, None, msg, wait.as_millis() as u64 + 1)
}

pub fn frame_too_large(max: usize) -> ServerMsg {
    ServerMsg::error(
        ErrorCode::FrameTooLarge,
        None,
        format!("That message is too large: {max} bytes at most."),
    )
}

pub fn bad_pair_id() -> ServerMsg {
    let msg = format!("pair_id must be 1 to {MAX_JOIN_ID_CHARS} letters, digits, '-' or '_'.");
    ServerMsg::error(ErrorCode::MalformedFrame, None, msg)
}

pub fn bad_join_id() -> ServerMsg {
    let msg = format!("join_id must be 1 to {MAX_JOIN_ID_CHARS} letters, digits, '-' or '_'.");
    ServerMsg::error(ErrorCode::MalformedFrame, None, msg)
}

pub fn too_many_raffles(wait: Duration) -> ServerMsg {
    let msg = format!("Too many raffles started from your network. Try again in {}.", human(wait));
    ServerMsg::limited(ErrorCode::RateLimited, None, msg, wait.as_millis() as u64)
}

pub fn no_room_for_raffles() -> ServerMsg {
    let msg = "This server is running as many raffles as it can. Try again later.";
    ServerMsg::limited(ErrorCode::ServerFull, None, msg, 60_000)
}

/// A join with a code no raffle has (resumes get `resume_refused`, which gives nothing away).
pub fn unknown_code(typed: &str) -> ServerMsg {
    let msg = if typed.trim().is_empty() {
        "Please type the join code from the big screen.".to_owned()
    } else {
        format!("No raffle has the code {}. Check the big screen.", typed.trim())
    };
    ServerMsg::error(ErrorCode::UnknownCode, Some(Field::Code), msg)
}

/// The raffle closed (ended long ago, or idle) between the look-up and the answer.
pub fn raffle_closed(code: &str) -> ServerMsg {
    ServerMsg::error(ErrorCode::UnknownCode, Some(Field::Code), format!("The raffle {code} has closed."))
}

pub fn join_first() -> ServerMsg {
    ServerMsg::error(ErrorCode::NotAllowed, None, "Join or start a raffle first.")
}
