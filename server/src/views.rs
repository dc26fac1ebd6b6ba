//! What each screen is shown of a raffle: core state and events turned into protocol messages.
//! The one place that decides what a phone or the host may see.

use app::protocol::{Board, ClaimView, DrawView, ErrorCode, Field, PlayerView, PrizeView, ServerMsg};
use app::raffle::{Claim, Draw, Event, EventKind, Millis, Player, Presence, Raffle, CLAIM_AFTER_END};

pub fn player_view(player: &Player) -> PlayerView {
    PlayerView { id: player.id.0, name: player.name.clone() }
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
    }
}

/// The raffle's fingerprint, as every screen shows it.
pub fn fingerprint(raffle: &Raffle) -> Option<String> {
    raffle.commitment().map(|c| app::raffle::fairness::fingerprint(&c))
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
    }
}

/// The players who are in, in joining order.
pub fn players_in(raffle: &Raffle) -> Vec<PlayerView> {
    raffle.players().iter().filter(|p| p.presence == Presence::In).map(player_view).collect()
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
                entries_hash: entries_hash.map(|h| app::raffle::fairness::to_hex(&h)),
                beacon_round: *beacon_round,
            }
        }
        EventKind::WinnerDrawn { draw, winner, .. } => ServerMsg::WinnerDrawn {
            seq,
            draw: draw.0,
            prize: raffle.draw(*draw).and_then(|d| prize_name(raffle, d)),
            winner: player_view(raffle.player(*winner)?),
            // The seconds left now: a phone catching up later must not restart the countdown.
            claim_seconds: raffle
                .draw(*draw)
                .map(|d| draw_view(raffle, d, now))
                .and_then(|view| view.claim_ms_left)
                .map_or(0, |left| left.div_ceil(1_000) as u32),
        },
        EventKind::DrawVoided { draw, .. } => ServerMsg::DrawVoided { seq, draw: draw.0 },
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
    let code = app::protocol::normalize_code(code);
    let msg = format!(
        "This screen is no longer in the raffle {code}: it left or was removed, or the raffle has closed. Join again."
    );
    ServerMsg::error(ErrorCode::BadToken, Some(Field::Name), msg)
}
