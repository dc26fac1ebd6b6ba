//! What a raffle can be asked to do, and by whom.

use super::{DrawNumber, PlayerId, PrizeId, RemoteId, Token};

/// Who is asking. The transport decides this from the token a connection presented; the raffle
/// decides what each actor may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Host,
    /// A phone the host paired as a remote: it may do what the host does, except pair or
    /// revoke remotes.
    Remote(RemoteId),
    Player(PlayerId),
    /// A connection that has not joined (yet): it may only join.
    Guest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A guest joins under a name, exactly as typed; `token` is its new secret. `join_id` is
    /// made up by the phone and kept before it first asks: the same id asked again (the answer
    /// was lost, the server restarted) is the same player, not a second one; the id of a
    /// removed player is told so.
    Join {
        name: String,
        token: Token,
        join_id: Option<String>,
    },
    /// A player leaves for good. Its past wins stand.
    Leave,
    /// The winner of `draw` says "I'm here".
    Claim {
        draw: DrawNumber,
    },
    AddPrize {
        name: String,
    },
    /// Renames a prize that has not been drawn yet.
    RenamePrize {
        prize: PrizeId,
        name: String,
    },
    /// Removes a prize that has not been drawn yet.
    RemovePrize {
        prize: PrizeId,
    },
    /// Starts draw number `draw` for `prize`, or for no named prize. Naming the number makes the
    /// command idempotent: a retried, double-clicked or second-tab request for a draw that
    /// already exists changes nothing.
    Draw {
        draw: DrawNumber,
        prize: Option<PrizeId>,
    },
    /// Draws `draw`'s prize again because its winner did not claim it; that winner is skipped.
    Redraw {
        draw: DrawNumber,
    },
    SetJoining {
        open: bool,
    },
    SetRepeatWinners {
        allowed: bool,
    },
    /// How long a winner has to claim, shown as a countdown; 0 means no countdown.
    SetClaimSeconds {
        seconds: u32,
    },
    RemovePlayer {
        player: PlayerId,
    },
    /// Draws from now on wait for the public beacon (on), or use the seed alone (off: no
    /// internet at the venue; such draws say so in the record).
    SetBeacon {
        on: bool,
    },
    /// Lets a removed player back in (the host removed them by mistake).
    ReadmitPlayer {
        player: PlayerId,
    },
    End,
    /// The host enters a person by name (a walk-in: their phone is dead, or they have none).
    /// They can win like anyone; having no phone, they claim at the host, who claims for them.
    AddWalkIn {
        name: String,
    },
    /// Hides a player's name from the stage (a name not fit for the projector), or shows it
    /// again. The player stays in and can win; the stage then says the name is hidden.
    SetNameHidden {
        player: PlayerId,
        hidden: bool,
    },
    /// The host opens a one-time link (`link`, a fresh secret) that pairs a phone as a remote.
    OpenRemoteLink {
        link: Token,
    },
    /// A phone presents the link it scanned; `token` is its new remote credential.
    PairRemote {
        link: Token,
        token: Token,
        /// The phone's own id for this pairing (see `ClientMsg::PairRemote`).
        pair_id: Option<String>,
    },
    /// The host turns a remote off: its credential no longer works.
    RevokeRemote {
        remote: RemoteId,
    },
}

impl Command {
    /// Commands only the host may give.
    pub fn is_host_only(&self) -> bool {
        !matches!(
            self,
            Command::Join { .. } | Command::Leave | Command::Claim { .. } | Command::PairRemote { .. }
        )
    }
}

impl Actor {
    /// The host's own screens and its remotes: whoever runs the evening.
    pub fn is_host(self) -> bool {
        matches!(self, Actor::Host | Actor::Remote(_))
    }
}
