//! What the stage knows and shows, as plain data. It applies the server's messages and the
//! host's keys; a key returns the effects it asks for (a message to send, full screen), which
//! the page performs in one place. No signal and no browser here, so a whole evening is tested
//! natively (below).

use crate::components::countdown;
use crate::protocol::{Board, ClaimView, ClientMsg, ErrorCode, Field, PlayerView, ServerMsg, VoidView};
use std::collections::VecDeque;

/// How many names the wall holds: the newest. A hall of 18,000 must not become 18,000 nodes on
/// the projector's laptop; the count says how many there are.
pub const WALL_NAMES: usize = 300;

/// What the stage shows for a winner whose name the host hid (the phone still tells them).
pub const HIDDEN_NAME: &str = "Name hidden";

/// What a key asks the page to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send(ClientMsg),
    ToggleFullScreen,
    LeaveFullScreen,
}

/// What the middle of the stage shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Scene {
    /// No snapshot yet.
    Starting,
    /// Nobody has joined.
    Waiting,
    /// Players in, no draw yet.
    Ready,
    /// The names spin until the server reveals (however long that takes).
    Spinning {
        draw: u32,
        prize: Option<String>,
    },
    /// `walk_in`: the winner was entered by the host, so they claim at the host, not by phone.
    Revealed {
        draw: u32,
        prize: Option<String>,
        winner: String,
        claim: ClaimView,
        walk_in: bool,
    },
    /// Nobody won: everyone who could have left during the spin, or (`beacon_late`) the draw's
    /// beacon round did not come in time.
    Void {
        beacon_late: bool,
    },
    Ended,
}

/// A winner of the evening, for the list beside the show.
#[derive(Debug, Clone, PartialEq)]
pub struct Winner {
    pub draw: u32,
    pub prize: Option<String>,
    pub name: String,
    pub claim: ClaimView,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StageState {
    pub join_url: String,
    pub qr_svg_url: String,
    /// Players in, and phones connected now.
    pub total: u32,
    pub connected: u32,
    /// The newest `WALL_NAMES` players, oldest first.
    wall: VecDeque<PlayerView>,
    pub board: Board,
    /// When each open claim runs out, by this device's clock: (draw, deadline in ms).
    deadlines: Vec<(u32, f64)>,
    /// The draw whose reveal this screen saw happen: it gets the confetti. A draw that was
    /// already revealed when the page loaded does not celebrate again.
    pub celebrate: Option<u32>,
    /// Why the last Space did not draw (no players, nobody eligible…), until the next draw.
    pub notice: Option<String>,
    /// This browser cannot host this raffle (no token, or the raffle has closed).
    pub gone: bool,
}

impl StageState {
    /// Applies one message from the server; `now` is this device's clock in ms.
    pub fn apply(&mut self, msg: &ServerMsg, now: f64) {
        match msg {
            ServerMsg::HostSnapshot { join_url, qr_svg_url, players, connected, board, .. } => {
                self.join_url.clone_from(join_url);
                self.qr_svg_url.clone_from(qr_svg_url);
                self.total = players.len() as u32;
                self.connected = *connected;
                let newest = players.len().saturating_sub(WALL_NAMES);
                self.wall = players[newest..].iter().cloned().collect();
                self.set_board(board.clone(), now);
            }
            ServerMsg::PlayersJoined { players, total } => {
                self.wall.extend(players.iter().cloned());
                let over = self.wall.len().saturating_sub(WALL_NAMES);
                self.wall.drain(..over);
                self.total = *total;
            }
            ServerMsg::PlayersGone { players, total } => {
                self.wall.retain(|p| !players.contains(&p.id));
                self.total = *total;
            }
            ServerMsg::Presence { connected, total } => {
                self.connected = *connected;
                self.total = *total;
            }
            ServerMsg::Board { board, .. } => self.set_board(board.clone(), now),
            ServerMsg::DrawStarted { .. } => self.notice = None,
            ServerMsg::WinnerDrawn { draw, .. } => self.celebrate = Some(*draw),
            ServerMsg::Error { code: ErrorCode::BadToken | ErrorCode::UnknownCode, .. } => self.gone = true,
            ServerMsg::Error { field: Some(Field::Draw), message, .. } => self.notice = Some(message.clone()),
            _ => {}
        }
    }

    /// A key pressed on the stage. `link_open`: the server is reachable now (a draw asked for
    /// while it is not would go out late, at a moment nobody chose).
    pub fn key(&mut self, key: &str, link_open: bool) -> Vec<Effect> {
        match key {
            " " | "Spacebar" => self.draw(link_open).map(Effect::Send).into_iter().collect(),
            "f" | "F" => vec![Effect::ToggleFullScreen],
            "Escape" => vec![Effect::LeaveFullScreen],
            _ => Vec::new(),
        }
    }

    /// The next draw, for the next prize not drawn yet (or none). It names the draw number the
    /// board announced, so a double press or a second screen pressing at the same moment asks
    /// for the same draw, which the core does once.
    fn draw(&mut self, link_open: bool) -> Option<ClientMsg> {
        let b = &self.board;
        if !link_open || b.code.is_empty() || b.ended || self.spinning() {
            return None;
        }
        if self.total == 0 {
            self.notice = Some("Nobody has joined yet.".into());
            return None;
        }
        self.notice = None;
        let prize = b.prizes.iter().find(|p| !p.drawn).map(|p| p.id);
        Some(ClientMsg::Draw { draw: b.next_draw, prize })
    }

    fn spinning(&self) -> bool {
        self.board.draws.last().is_some_and(|d| d.claim == ClaimView::Spinning)
    }

    fn set_board(&mut self, board: Board, now: f64) {
        self.deadlines = board
            .draws
            .iter()
            .filter_map(|d| Some((d.draw, countdown::deadline(now, d.claim_ms_left?))))
            .collect();
        self.board = board;
    }

    pub fn scene(&self) -> Scene {
        let b = &self.board;
        if b.code.is_empty() {
            return Scene::Starting;
        }
        if b.ended {
            return Scene::Ended;
        }
        match b.draws.last() {
            None if self.total == 0 => Scene::Waiting,
            None => Scene::Ready,
            Some(d) if d.claim == ClaimView::Spinning => {
                Scene::Spinning { draw: d.draw, prize: d.prize.clone() }
            }
            Some(d) => match &d.winner {
                None => Scene::Void { beacon_late: d.void_reason == Some(VoidView::BeaconLate) },
                Some(w) => Scene::Revealed {
                    draw: d.draw,
                    prize: d.prize.clone(),
                    winner: self.shown_name(w),
                    claim: d.claim,
                    walk_in: b.walk_ins.contains(&w.id),
                },
            },
        }
    }

    /// What the latest draw's randomness is, for the sceptics in the hall (docs/fairness.md).
    pub fn fairness_line(&self) -> Option<String> {
        let d = self.board.draws.last()?;
        Some(match (d.beacon_round, d.claim) {
            (Some(round), ClaimView::Spinning) => {
                format!("Waiting for public randomness: drand round {round}")
            }
            (Some(round), _) => format!("Public randomness: drand round {round}"),
            (None, _) => "Seed only: trusts the server's operator".into(),
        })
    }

    /// Where anyone checks the draws: beside the join page, on the same server.
    pub fn verify_url(&self) -> Option<String> {
        let (base, _) = self.join_url.rsplit_once("/join/")?;
        Some(format!("{base}/verify/{}", self.board.code))
    }

    /// The prize the next Space draws, if any is left.
    pub fn next_prize(&self) -> Option<String> {
        self.board.prizes.iter().find(|p| !p.drawn).map(|p| p.name.clone())
    }

    /// The QR code is large until the first draw (everyone is still joining), small after.
    pub fn qr_large(&self) -> bool {
        self.board.draws.is_empty()
    }

    /// The wall, newest first, without the names the host hid.
    pub fn wall(&self) -> impl Iterator<Item = &PlayerView> {
        self.wall.iter().rev().filter(|p| !self.board.hidden.contains(&p.id))
    }

    /// Names for the spinning reel (never a hidden one).
    pub fn reel_players(&self) -> Vec<PlayerView> {
        self.wall.iter().filter(|p| !self.board.hidden.contains(&p.id)).cloned().collect()
    }

    /// A player's name as the stage may show it.
    fn shown_name(&self, player: &PlayerView) -> String {
        if self.board.hidden.contains(&player.id) {
            HIDDEN_NAME.to_owned()
        } else {
            player.name.clone()
        }
    }

    /// Everyone who won tonight, first to last; a winner drawn again (skipped) is left out.
    pub fn winners(&self) -> Vec<Winner> {
        self.board
            .draws
            .iter()
            .filter(|d| d.claim != ClaimView::Skipped)
            .filter_map(|d| {
                let name = self.shown_name(d.winner.as_ref()?);
                Some(Winner { draw: d.draw, prize: d.prize.clone(), name, claim: d.claim })
            })
            .collect()
    }

    /// Whole seconds the winner of `draw` has left to claim at `now`, if a countdown runs.
    pub fn seconds_left(&self, draw: u32, now: f64) -> Option<u64> {
        let (_, at) = self.deadlines.iter().find(|(d, _)| *d == draw)?;
        Some(countdown::seconds_left(*at, now))
    }
}

#[cfg(test)]
mod tests;
