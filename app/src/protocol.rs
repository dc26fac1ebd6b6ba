//! The WebSocket protocol: every message a browser and the server exchange, as JSON text frames
//! tagged by `"type"`. These are the only serializable types in Raffler; `docs/protocol.md`
//! shows an example of each. The server and the browser both use this module, so they cannot
//! disagree about the wire.

use crate::raffle::{Player, Rejected};
use serde::{Deserialize, Serialize};

/// A message from a browser to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    /// The host's laptop asks for a new raffle; this connection becomes its host.
    StartRaffle,
    /// A phone joins the raffle with this code under this name.
    Join { code: String, name: String },
    /// The host draws a winner. Refused from any connection but the host's.
    Draw,
}

/// A message from the server to a browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// To the host: the raffle exists; show the code, the join URL and the QR code.
    RaffleStarted {
        code: String,
        join_url: String,
        qr_svg_url: String,
        spin_ms: u64,
    },
    /// To a phone: it is in the raffle as `you`.
    Joined { code: String, you: PlayerView },
    /// To the host: new players, oldest first, and how many have joined in all.
    PlayersJoined {
        players: Vec<PlayerView>,
        total: u32,
    },
    /// To everyone in the raffle: the names are spinning; the winner comes in `spin_ms`.
    DrawStarted { draw: u32, spin_ms: u64 },
    /// To everyone in the raffle: the reveal. A phone compares `winner.id` with its own id.
    WinnerDrawn { draw: u32, winner: PlayerView },
    /// To the one connection whose message was refused. Nothing changed; carry on.
    Error {
        code: ErrorCode,
        field: Option<Field>,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerView {
    pub id: u32,
    pub name: String,
}

impl From<&Player> for PlayerView {
    fn from(player: &Player) -> Self {
        Self {
            id: player.id.0,
            name: player.name.clone(),
        }
    }
}

/// Why a message was refused; stable strings a client can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    UnknownCode,
    NameEmpty,
    NameTooLong,
    NameTaken,
    NoPlayers,
    NoEligiblePlayers,
    DrawInProgress,
    NotHost,
    AlreadyInRaffle,
    MalformedFrame,
    UnknownMessage,
    FrameTooLarge,
}

/// The part of the page an error belongs next to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Code,
    Name,
    Draw,
}

impl ServerMsg {
    pub fn error(code: ErrorCode, field: Option<Field>, message: impl Into<String>) -> Self {
        ServerMsg::Error {
            code,
            field,
            message: message.into(),
        }
    }

    /// The error frame for a command the raffle refused.
    pub fn rejected(why: &Rejected) -> Self {
        let (code, field) = match why {
            Rejected::NameEmpty => (ErrorCode::NameEmpty, Field::Name),
            Rejected::NameTooLong { .. } => (ErrorCode::NameTooLong, Field::Name),
            Rejected::NameTaken { .. } => (ErrorCode::NameTaken, Field::Name),
            Rejected::NoPlayers => (ErrorCode::NoPlayers, Field::Draw),
            Rejected::NoEligiblePlayers => (ErrorCode::NoEligiblePlayers, Field::Draw),
            Rejected::DrawInProgress => (ErrorCode::DrawInProgress, Field::Draw),
        };
        Self::error(code, Some(field), why.to_string())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages have only string keys")
    }
}

/// A text frame that is not a [`ClientMsg`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not JSON, or a known `type` with missing, extra or mistyped fields.
    Malformed(String),
    /// Well-formed JSON whose `type` this server does not know.
    UnknownType(String),
}

impl DecodeError {
    pub fn to_server_msg(&self) -> ServerMsg {
        match self {
            DecodeError::Malformed(detail) => ServerMsg::error(
                ErrorCode::MalformedFrame,
                None,
                format!("That message could not be read: {detail}"),
            ),
            DecodeError::UnknownType(kind) => ServerMsg::error(
                ErrorCode::UnknownMessage,
                None,
                format!("Unknown message type {kind:?}."),
            ),
        }
    }
}

const KNOWN_CLIENT_TYPES: [&str; 3] = ["start_raffle", "join", "draw"];

impl ClientMsg {
    pub fn decode(text: &str) -> Result<ClientMsg, DecodeError> {
        serde_json::from_str(text).map_err(|err| {
            // Tell "a message we don't know" apart from "a message we know, written wrong".
            let kind = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned));
            match kind {
                Some(kind) if !KNOWN_CLIENT_TYPES.contains(&kind.as_str()) => {
                    DecodeError::UnknownType(kind)
                }
                _ => DecodeError::Malformed(err.to_string()),
            }
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("client messages have only string keys")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_round_trip_in_the_documented_shape() {
        let join = ClientMsg::Join {
            code: "K7QX2M".into(),
            name: "Ada".into(),
        };
        assert_eq!(
            join.to_json(),
            r#"{"type":"join","code":"K7QX2M","name":"Ada"}"#
        );
        assert_eq!(ClientMsg::decode(&join.to_json()), Ok(join));
        assert_eq!(ClientMsg::decode(r#"{"type":"draw"}"#), Ok(ClientMsg::Draw));
        assert_eq!(
            ClientMsg::decode(r#"{"type":"start_raffle"}"#),
            Ok(ClientMsg::StartRaffle)
        );
    }

    #[test]
    fn bad_frames_are_told_apart() {
        assert!(matches!(
            ClientMsg::decode("not json"),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(
            ClientMsg::decode(r#"{"type":"join","code":"A"}"#),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(
            ClientMsg::decode(r#"{"type":"join","code":"A","name":"B","admin":true}"#),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(
            ClientMsg::decode(r#"{"type":"join","code":1,"name":"B"}"#),
            Err(DecodeError::Malformed(_))
        ));
        assert_eq!(
            ClientMsg::decode(r#"{"type":"steal_prize"}"#),
            Err(DecodeError::UnknownType("steal_prize".into()))
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(
            ClientMsg::decode(&deep),
            Err(DecodeError::Malformed(_))
        ));
    }

    #[test]
    fn server_messages_serialize_in_the_documented_shape() {
        let won = ServerMsg::WinnerDrawn {
            draw: 1,
            winner: PlayerView {
                id: 7,
                name: "Ada".into(),
            },
        };
        assert_eq!(
            won.to_json(),
            r#"{"type":"winner_drawn","draw":1,"winner":{"id":7,"name":"Ada"}}"#
        );
        let err = ServerMsg::rejected(&Rejected::NameEmpty);
        assert_eq!(
            err.to_json(),
            r#"{"type":"error","code":"name_empty","field":"name","message":"Please type your name."}"#
        );
    }
}
