//! What the controls (and the remote, which is the same screen on the host's phone) know, as
//! plain data: it applies the server's messages and returns the effects they ask for (keep a
//! token, forget one, change the address bar), which the page performs in one place. No signal
//! and no browser here, so whole evenings are tested natively (`state/tests.rs`), like the
//! stage's `StageState`.

use crate::browser::token_key;
use crate::components::countdown;
use crate::protocol::{Board, ClientMsg, ErrorCode, Field, PlayerView, ServerMsg};

/// Which of the host's screens this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seat {
    /// The host's own browser, holding the host token: everything, pairing remotes included.
    Controls,
    /// A phone paired as a remote: its own credential; it cannot pair or revoke remotes.
    Remote,
}

/// What a message asks the page to do besides showing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Keep a token in localStorage under `key`.
    SaveToken {
        key: String,
        token: String,
    },
    ForgetToken {
        key: String,
    },
    /// Show `path` in the address bar (no navigation), so that a reload comes back here.
    ReplacePath(String),
}

/// The server answers a closed raffle and a foreign browser alike (so that codes cannot be
/// probed), and so does this page.
pub const CANNOT_HOST: &str =
    "This raffle has closed, or this browser is not its host. Start a new one from the home page.";
/// The same for a phone that is not (or no longer) a remote.
pub const CANNOT_REMOTE: &str = "This phone is not a remote for a running raffle: the raffle has closed, or the host turned this remote off. Scan a new pairing code on the controls.";
pub const REVOKED: &str =
    "The host turned this remote off. To use it again, scan a new pairing code on the controls.";

/// The errors shown next to each part of the controls, until the next try.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    pub draw: Option<String>,
    pub prize: Option<String>,
    /// A walk-in's name, or a player the host acted on.
    pub player: Option<String>,
    /// The page as a whole (a failed save, a lost raffle).
    pub page: Option<String>,
}

/// A pairing link this screen opened: its address, its QR code, and when it stops working by
/// this device's clock.
#[derive(Debug, Clone, PartialEq)]
pub struct PairingLink {
    pub url: String,
    pub qr_svg: String,
    deadline: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ControlsState {
    pub seat: Seat,
    /// `None` until the server has started the raffle this page asked for.
    pub code: Option<String>,
    /// A remote's pairing link (from its address), until it has been presented and answered.
    pairing: Option<String>,
    /// The remote's own id for its pairing, kept before it is first sent: asked again after a
    /// lost answer, the server gives the same remote back (the link being spent by then).
    pair_id: Option<String>,
    pub join_url: String,
    pub qr_svg_url: String,
    /// Players in, in joining order.
    pub players: Vec<PlayerView>,
    pub total: u32,
    pub connected: u32,
    pub board: Board,
    /// When each open claim runs out, by this device's clock: (draw, deadline in ms).
    claim_deadlines: Vec<(u32, f64)>,
    /// The pairing link this screen opened, while the board says one is open.
    pub remote_link: Option<PairingLink>,
    pub errors: FieldErrors,
    /// This screen cannot run this raffle (not its host or remote, or the raffle has closed):
    /// the page shows why and a way home, not a raffle that looks live.
    pub gone: bool,
}

impl ControlsState {
    /// `code`: from the address (`None` on `/host`, which starts a raffle); `pairing`: the
    /// remote's `?pair=` link.
    pub fn new(seat: Seat, code: Option<String>, pairing: Option<String>) -> Self {
        Self {
            seat,
            code,
            pairing,
            pair_id: None,
            join_url: String::new(),
            qr_svg_url: String::new(),
            players: Vec::new(),
            total: 0,
            connected: 0,
            board: Board::default(),
            claim_deadlines: Vec::new(),
            remote_link: None,
            errors: FieldErrors::default(),
            gone: false,
        }
    }

    /// The id this remote pairs under (see `pair_id`); the page makes it and keeps it first.
    pub fn with_pair_id(mut self, pair_id: Option<String>) -> Self {
        self.pair_id = pair_id;
        self
    }

    /// What to say on every (re)connection, given the token this browser keeps under a key.
    /// The controls resume with the host token or start a raffle; a remote presents the
    /// pairing link it was opened with (a fresh scan wins over a credential kept from before,
    /// which may have been turned off while the phone slept), else resumes with its credential.
    /// `None` (and `gone`): none of these is possible.
    pub fn hello(&mut self, stored: impl Fn(&str) -> Option<String>) -> Option<ClientMsg> {
        let hello = match (&self.code, self.seat) {
            (None, Seat::Controls) => Some(ClientMsg::StartRaffle {}),
            (None, Seat::Remote) => None,
            (Some(code), Seat::Remote) if self.pairing.is_some() => {
                let link = self.pairing.clone().unwrap_or_default();
                Some(ClientMsg::PairRemote { code: code.clone(), link, pair_id: self.pair_id.clone() })
            }
            (Some(code), seat) => {
                let role = if seat == Seat::Remote { "remote" } else { "host" };
                let token = stored(&token_key(role, code));
                token.map(|token| ClientMsg::Resume { code: code.clone(), token, last_seq: None })
            }
        };
        if hello.is_none() {
            self.give_up(self.cannot());
        }
        hello
    }

    /// Applies one message from the server at `now` (this device's clock, ms).
    pub fn apply(&mut self, msg: ServerMsg, now: f64) -> Vec<Effect> {
        match msg {
            ServerMsg::RaffleStarted { code, host_token } => {
                let effects = vec![
                    Effect::SaveToken { key: token_key("host", &code), token: host_token },
                    Effect::ReplacePath(format!("/host/{code}")),
                ];
                self.code = Some(code);
                return effects;
            }
            // The link is used up: the address bar forgets it, the credential is kept.
            ServerMsg::RemotePaired { code, token, .. } => {
                self.pairing = None;
                return vec![
                    Effect::SaveToken { key: token_key("remote", &code), token },
                    Effect::ReplacePath(format!("/remote/{code}")),
                ];
            }
            ServerMsg::RemoteRevoked { .. } => {
                self.give_up(REVOKED);
                return self
                    .code
                    .iter()
                    .map(|code| Effect::ForgetToken { key: token_key("remote", code) })
                    .collect();
            }
            ServerMsg::HostSnapshot { join_url, qr_svg_url, players, connected, board, .. } => {
                self.join_url = join_url;
                self.qr_svg_url = qr_svg_url;
                self.total = players.len() as u32;
                self.players = players;
                self.connected = connected;
                self.set_board(board, now);
                self.errors.page = None;
            }
            ServerMsg::PlayersJoined { players, total } => {
                self.players.extend(players);
                self.total = total;
            }
            ServerMsg::PlayersGone { players: gone, total } => {
                self.players.retain(|p| !gone.contains(&p.id));
                self.total = total;
            }
            ServerMsg::Presence { connected, total } => {
                self.connected = connected;
                self.total = total;
            }
            ServerMsg::Board { board, .. } => self.set_board(board, now),
            ServerMsg::Error { code: ErrorCode::RemoteLinkUsed, message, .. } => {
                self.pairing = None;
                self.give_up(&message);
            }
            // Raffles close after a day without activity (or an hour after they end).
            ServerMsg::RemoteLink { url, ms_left, qr_svg } => {
                self.remote_link =
                    Some(PairingLink { url, qr_svg, deadline: countdown::deadline(now, ms_left) });
            }
            // A remote's credential the server no longer knows (turned off while the phone
            // slept) is forgotten, so that the next scan pairs afresh.
            ServerMsg::Error { code: ErrorCode::BadToken | ErrorCode::UnknownCode, .. } => {
                self.give_up(self.cannot());
                if self.seat == Seat::Remote {
                    return self
                        .code
                        .iter()
                        .map(|code| Effect::ForgetToken { key: token_key("remote", code) })
                        .collect();
                }
            }
            ServerMsg::Error { field, message, .. } => {
                let slot = match field {
                    Some(Field::Draw | Field::Claim) => &mut self.errors.draw,
                    Some(Field::Prize) => &mut self.errors.prize,
                    // A host's name errors are a walk-in's (hosts never join).
                    Some(Field::Player | Field::Name) => &mut self.errors.player,
                    _ => &mut self.errors.page,
                };
                *slot = Some(message);
            }
            _ => {}
        }
        Vec::new()
    }

    /// Whole seconds the winner of `draw` has left to claim, at `now`, if a deadline applies.
    pub fn seconds_left(&self, draw: u32, now: f64) -> Option<u64> {
        let (_, deadline) = self.claim_deadlines.iter().find(|(d, _)| *d == draw)?;
        Some(countdown::seconds_left(*deadline, now))
    }

    /// The pairing link this screen opened and its whole seconds left at `now`, while it works.
    pub fn open_remote_link(&self, now: f64) -> Option<(&PairingLink, u64)> {
        let link = self.remote_link.as_ref()?;
        let left = countdown::seconds_left(link.deadline, now);
        (left > 0 && !self.board.ended).then_some((link, left))
    }

    /// Whether player `id` was entered by the host (a walk-in).
    pub fn is_walk_in(&self, id: u32) -> bool {
        self.board.walk_ins.contains(&id)
    }

    /// Whether the host hid player `id`'s name from the stage.
    pub fn is_hidden(&self, id: u32) -> bool {
        self.board.hidden.contains(&id)
    }

    fn cannot(&self) -> &'static str {
        match self.seat {
            Seat::Controls => CANNOT_HOST,
            Seat::Remote => CANNOT_REMOTE,
        }
    }

    fn give_up(&mut self, why: &str) {
        self.errors.page = Some(why.into());
        self.gone = true;
    }

    fn set_board(&mut self, board: Board, now: f64) {
        let deadlines =
            board.draws.iter().filter_map(|d| Some((d.draw, countdown::deadline(now, d.claim_ms_left?))));
        self.claim_deadlines = deadlines.collect();
        // Used (or replaced from another window, or expired): the code this screen shows is dead.
        if !board.pairing_open {
            self.remote_link = None;
        }
        // A revealed draw answers the draw button's last error.
        if board.draws.last().is_some_and(|d| d.winner.is_some()) {
            self.errors.draw = None;
        }
        self.board = board;
    }
}

#[cfg(test)]
mod tests;
