//! What happened in a raffle, in order. The state is exactly what these events say: replaying
//! them from the first rebuilds it (see `Raffle::replay`).

use super::{DrawNumber, Millis, PlayerId, PrizeId, Token};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// 1 for the first event of a raffle, then one higher each time, with no gaps.
    pub seq: u64,
    pub at: Millis,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Started {
        host_token: Token,
    },
    PlayerJoined {
        player: PlayerId,
        name: String,
        token: Token,
        /// The id the phone made up before it first asked to join (see `Command::Join`).
        join_id: Option<String>,
    },
    PlayerLeft {
        player: PlayerId,
    },
    PlayerRemoved {
        player: PlayerId,
    },
    /// The host let a removed player back in: the same player, name and token as before.
    PlayerReadmitted {
        player: PlayerId,
    },
    /// `name: None` is the prize of a draw the host started without naming one.
    PrizeAdded {
        prize: PrizeId,
        name: Option<String>,
    },
    PrizeRenamed {
        prize: PrizeId,
        name: String,
    },
    PrizeRemoved {
        prize: PrizeId,
    },
    JoiningChanged {
        open: bool,
    },
    RepeatWinnersChanged {
        allowed: bool,
    },
    ClaimSecondsChanged {
        seconds: u32,
    },
    /// The names start spinning; nobody knows the winner until `WinnerDrawn`.
    DrawStarted {
        draw: DrawNumber,
        prize: PrizeId,
        reveal_at: Millis,
        redraw_of: Option<DrawNumber>,
    },
    WinnerDrawn {
        draw: DrawNumber,
        winner: PlayerId,
    },
    /// Everyone who could have won left during the spin: the draw is void.
    DrawVoided {
        draw: DrawNumber,
    },
    PrizeClaimed {
        draw: DrawNumber,
        player: PlayerId,
    },
    /// The winner of `draw` did not claim; the prize is drawn again without them.
    WinnerSkipped {
        draw: DrawNumber,
        player: PlayerId,
    },
    /// The raffle ended with this prize unclaimed, and the time to claim it after the end ran
    /// out (see `CLAIM_AFTER_END`): it stays unclaimed.
    ClaimExpired {
        draw: DrawNumber,
        player: PlayerId,
    },
    Ended,
}
