//! Test builders shared by the screens' native tests (stage, controls): the server messages
//! they apply, with the fields no test cares about filled in once.

use crate::protocol::{Board, ClaimView, DrawView, PlayerView, ServerMsg};

pub fn player(id: u32, name: &str) -> PlayerView {
    PlayerView { id, name: name.into() }
}

/// Draw number `n` of prize `n`, revealed (or not) at time 0.
pub fn draw_view(
    n: u32,
    prize: Option<&str>,
    winner: Option<PlayerView>,
    claim: ClaimView,
    claim_ms_left: Option<u64>,
) -> DrawView {
    DrawView {
        draw: n,
        prize_id: n,
        prize: prize.map(Into::into),
        revealed_at: winner.as_ref().map(|_| 0),
        winner,
        claim,
        started_at: 0,
        claim_changed_at: None,
        redraw_of: None,
        claim_ms_left,
        beacon_round: None,
        void_reason: None,
    }
}

/// A host screen's snapshot of raffle K7QX2M, every player connected.
pub fn host_snapshot(players: Vec<PlayerView>, board: Board) -> ServerMsg {
    ServerMsg::HostSnapshot {
        seq: 1,
        join_url: "http://10.0.0.2:3000/join/K7QX2M".into(),
        qr_svg_url: "/raffles/K7QX2M/qr.svg".into(),
        connected: players.len() as u32,
        players,
        board,
    }
}
