//! What a raffle can be asked to do.

/// A request to the raffle. The transport decides who may send which (only the host draws).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A phone joins under a name, exactly as typed; the raffle normalizes and checks it.
    Join { name: String },
    /// The host starts a draw: the names spin, then the winner is revealed.
    StartDraw,
}
