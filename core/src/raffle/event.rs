//! What happened in a raffle, in order. The state is exactly what these events say: replaying
//! them from the first rebuilds it (see `Raffle::replay`).

use super::fairness::{Hash, Seed};
use super::{DrawNumber, Millis, PlayerId, PrizeId, RemoteId, Token};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// 1 for the first event of a raffle, then one higher each time, with no gaps.
    pub seq: u64,
    pub at: Millis,
    pub kind: EventKind,
}

/// A beacon round's value, its signature checked by whoever handed it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeaconValue {
    pub round: u64,
    pub signature: Vec<u8>,
    pub randomness: Hash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoidReason {
    /// Everyone who could have won left during the spin.
    NobodyLeft,
    /// The beacon round did not arrive in time: the draw is void, never finished from the seed
    /// alone (which would let the operator choose between two outcomes).
    BeaconLate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// `seed` keys every draw (`None` for raffles from before verifiable draws); `beacon`: draws
    /// wait for the public beacon unless the host turns it off.
    Started {
        host_token: Token,
        code: String,
        seed: Option<Seed>,
        beacon: bool,
    },
    /// The host turned the beacon on or off for the draws to come (no internet at the venue).
    BeaconChanged {
        on: bool,
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
    /// The names start spinning; nobody knows the winner until `WinnerDrawn`. The entries (who
    /// could win now) are frozen with it: `entries_hash` is theirs (see `fairness`), `None` for
    /// a raffle without a seed. `beacon_round`: the beacon round the draw waits for, if any.
    DrawStarted {
        draw: DrawNumber,
        prize: PrizeId,
        reveal_at: Millis,
        redraw_of: Option<DrawNumber>,
        entries_hash: Option<Hash>,
        beacon_round: Option<u64>,
    },
    WinnerDrawn {
        draw: DrawNumber,
        winner: PlayerId,
        beacon: Option<BeaconValue>,
    },
    /// The draw has no winner: everyone who could have won left during the spin, or the beacon
    /// round it named did not come in time.
    DrawVoided {
        draw: DrawNumber,
        reason: VoidReason,
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
    /// The host entered a person by name (see `Command::AddWalkIn`). A player like any other,
    /// but with no token: no screen can ever be them.
    WalkInAdded {
        player: PlayerId,
        name: String,
    },
    /// The host hid a player's name from the stage (`hidden`), or showed it again.
    NameHidden {
        player: PlayerId,
        hidden: bool,
    },
    /// The host opened a link that pairs one phone as a remote until `expires_at`; it replaces
    /// any link still open.
    RemoteLinkOpened {
        link: Token,
        expires_at: Millis,
    },
    /// A phone presented the open link and became remote `remote`, proving itself with
    /// `token` from now on. The link is used up.
    RemotePaired {
        remote: RemoteId,
        token: Token,
        /// The phone's id for this pairing, if it sent one.
        pair_id: Option<String>,
    },
    /// The host turned a remote off.
    RemoteRevoked {
        remote: RemoteId,
    },
}
