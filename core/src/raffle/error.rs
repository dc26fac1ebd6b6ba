//! Why the raffle refused a command: the user's mistake, never a bug. The message is shown to
//! the person who made it, so it says what to do next. A refused command changes nothing.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("Please type your name.")]
    NameEmpty,
    #[error("That name is too long: {max} characters at most.")]
    NameTooLong { max: usize },
    #[error("Someone here is already called {taken}. Add an initial, or a nickname.")]
    NameTaken { taken: String },
    #[error("Please give the prize a name.")]
    PrizeNameEmpty,
    #[error("That prize name is too long: {max} characters at most.")]
    PrizeNameTooLong { max: usize },
    #[error("This raffle has as many prizes as it can take: {max}, counting removed ones and draws without a named prize.")]
    TooManyPrizes { max: usize },
    #[error("Joining is closed for this raffle.")]
    JoiningClosed,
    #[error("This raffle is full: {max} players at most.")]
    RaffleFull { max: usize },
    #[error("This screen has already joined.")]
    AlreadyJoined,
    #[error("Only the host can do that.")]
    NotAllowed,
    #[error("There is no such player in this raffle.")]
    UnknownPlayer,
    #[error("There is no such prize in this raffle.")]
    UnknownPrize,
    #[error("There is no such draw in this raffle.")]
    UnknownDraw,
    #[error("That prize has already been drawn.")]
    PrizeAlreadyDrawn,
    #[error("Nobody has joined yet, so there is nobody to draw.")]
    NoPlayers,
    #[error("Everyone who could win this has already won or been skipped.")]
    NoEligiblePlayers,
    #[error("A draw is already spinning.")]
    DrawInProgress,
    #[error("This screen is out of date: draw {expected} is next. It has been refreshed.")]
    StaleDraw { expected: u32 },
    #[error("The winner is still spinning.")]
    NotRevealed,
    #[error("Only the winner can claim this prize.")]
    NotTheWinner,
    #[error("Too late: the prize was drawn again.")]
    ClaimTooLate,
    #[error("The winner has already claimed this prize.")]
    AlreadyClaimed,
    #[error("This raffle has ended.")]
    Ended,
    #[error("The host removed you from this raffle. If that was a mistake, ask the host to let you back in, then join again.")]
    Removed,
    #[error("This draw is waiting for the public beacon: end the raffle once its winner is revealed.")]
    WaitingForBeacon,
    #[error("No beacon for this raffle: the server has none, or no beacon relay answered when the raffle started (no internet?). Its draws use the seed alone.")]
    NoBeacon,
    #[error("That player is not removed.")]
    NotRemoved,
    #[error("Too late: the raffle has ended and this prize was not claimed in time.")]
    ClaimClosed,
    #[error("This remote link has been used already, or has expired. Open a new one on the controls (Pair a phone) and scan it again.")]
    RemoteLinkUsed,
    #[error("There is no such remote in this raffle.")]
    UnknownRemote,
}
