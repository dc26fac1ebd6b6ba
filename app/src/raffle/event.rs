//! What happened in a raffle, in the order it happened: the only thing the outside sees.

use super::{DrawNumber, Millis, Player};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    PlayerJoined(Player),
    /// The names start spinning; nobody, not even the raffle, knows the winner yet.
    DrawStarted {
        draw: DrawNumber,
        reveal_at: Millis,
    },
    /// The reveal: every screen learns the winner at this moment.
    WinnerDrawn {
        draw: DrawNumber,
        winner: Player,
    },
}
