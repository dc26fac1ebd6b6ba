//! Why the raffle refused a command: the user's mistake, never a bug. The message is shown to
//! the person who made it, so it says what to do next.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("Please type your name.")]
    NameEmpty,
    #[error("That name is too long: {max} characters at most.")]
    NameTooLong { max: usize },
    #[error("Someone here is already called {taken}. Add an initial, or a nickname.")]
    NameTaken { taken: String },
    #[error("Nobody has joined yet, so there is nobody to draw.")]
    NoPlayers,
    #[error("Everyone here has already won something.")]
    NoEligiblePlayers,
    #[error("A draw is already spinning.")]
    DrawInProgress,
}
