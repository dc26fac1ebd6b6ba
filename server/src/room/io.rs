//! What goes into a room and what comes out: the types of its loop contract (see `mod.rs`).
//! Plain data, no behaviour: the driver and the tests read them.

use super::ConnId;
use raffler_core::protocol::ServerMsg;
use raffler_core::raffle::{Command, Event, Token};

/// What a connection asks of its raffle.
pub enum Request {
    /// Join under `name` with a fresh `token` (made by the caller), or, when `join_id` already
    /// made a player, be that player again.
    Join { name: String, join_id: Option<String>, token: Token },
    /// Become a remote with the pairing `link` the host opened, proving itself with `token`
    /// (made by the caller) from then on.
    PairRemote { link: Token, token: Token, pair_id: Option<String> },
    /// Come back as whoever `token` names, having seen everything up to `last_seq`.
    Resume { token: Token, last_seq: Option<u64> },
    /// Any other command; the room knows who the connection is.
    Command(Command),
    /// The connection closed. Its player stays in the raffle.
    Disconnected,
}

/// Who gets a message. Each message is one output, whatever the audience's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// One connection (an answer to what it asked).
    Conn(ConnId),
    /// A few connections: one player's phones.
    Conns(Vec<ConnId>),
    /// Every host screen.
    Hosts,
    /// Every host and every phone, hosts first.
    Everyone,
}

/// Whether a connection gets the hosts' broadcasts or the phones'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Host,
    Phone,
}

/// What the room asks its driver to do, in order.
// Nearly every output is a `Send`: boxing its message would add an allocation to each, to
// shrink variants that are rare.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Output {
    Send {
        to: Audience,
        msg: ServerMsg,
    },
    /// Broadcasts to `role` reach `conn` from here on.
    Admit {
        conn: ConnId,
        role: Role,
    },
    /// Broadcasts to `role` no longer reach `conn`.
    Release {
        conn: ConnId,
        role: Role,
    },
    /// The answer to a join or a resume: whether `conn` now belongs to this raffle.
    Entered {
        conn: ConnId,
        ok: bool,
    },
    /// A player joined (for the metrics).
    PlayerJoined,
    /// The raffle ended: it no longer counts against the server's raffle limit.
    Ended,
    /// The raffle is closed for good (ended and marked closed, or never started): stop.
    Closed,
}

/// A write the room needs before it can tell anyone anything more.
#[derive(Debug)]
pub enum StoreOp {
    /// Append these events to the raffle's log.
    Append(Vec<Event>),
    /// Mark the raffle closed: it is not loaded again.
    Close,
}
