//! The WebSocket protocol: every message a browser and the server exchange, as JSON text frames
//! tagged by `"type"`. With the server's on-disk rows (`server/src/store/rows.rs`), these are
//! the only serializable types in Raffler; `docs/protocol.md` shows an example of each. The server and the browser both use this module, so they cannot
//! disagree about the wire.
//!
//! Longer than 400 lines: every wire message with its doc (the protocol reference) and the
//! serialization tests, about 200 lines; one concept, the wire.

use crate::raffle::Rejected;
use serde::{Deserialize, Serialize};

// The browser's reader of server frames (`ServerMsg::decode`) and writer of its own
// (`ClientMsg::to_json`), with no serde: see decode.rs and encode.rs.
mod decode;
mod encode;
mod json;

/// A message from a browser to the server. Variants without data are written `{}` so that
/// serde refuses unknown fields in them too (it ignores `deny_unknown_fields` on unit variants).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    /// The host's laptop asks for a new raffle; the answer carries the host token.
    StartRaffle {},
    /// A phone joins the raffle with this code under this name; the answer carries its token.
    /// `join_id` (up to 64 letters, digits, `-` or `_`; secret like a token) is made up by the
    /// phone and stored before it first sends the join: sending the same join again (its answer
    /// was lost) gets the same player and token, never a second player. A removed player's id
    /// is told `removed`.
    Join {
        code: String,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        join_id: Option<String>,
    },
    /// A screen comes back (reload, new tab, lost connection) with the token it was given and
    /// the last sequence number it saw, if any.
    Resume {
        code: String,
        token: String,
        last_seq: Option<u64>,
    },
    /// A player leaves the raffle for good.
    Leave {},
    /// The winner of `draw` says "I'm here".
    Claim {
        draw: u32,
    },
    AddPrize {
        name: String,
    },
    RenamePrize {
        prize: u32,
        name: String,
    },
    RemovePrize {
        prize: u32,
    },
    /// Start draw number `draw` (the next one), for a prize or none. Sending it twice is safe.
    Draw {
        draw: u32,
        prize: Option<u32>,
    },
    /// Draw `draw`'s prize again without its winner, who did not claim it.
    Redraw {
        draw: u32,
    },
    SetJoining {
        open: bool,
    },
    SetRepeatWinners {
        allowed: bool,
    },
    SetClaimSeconds {
        seconds: u32,
    },
    RemovePlayer {
        player: u32,
    },
    /// Draws from now on wait for the public beacon (`true`) or use the seed alone (`false`).
    SetBeacon {
        on: bool,
    },
    /// Let a removed player back in; their phone then joins again with its join id.
    ReadmitPlayer {
        player: u32,
    },
    EndRaffle {},
    /// "Are you there?": answered with `pong`, to find a dead socket quickly.
    Ping {},
    /// The host enters a person by name (a walk-in, whose phone is dead): they can win, and the
    /// host claims for them. Refused like a join for a bad or taken name, but not when joining
    /// is closed.
    AddWalkIn {
        name: String,
    },
    /// Hides a player's name from the stage, or shows it again (`hidden: false`).
    SetNameHidden {
        player: u32,
        hidden: bool,
    },
    /// The host's controls open a one-time link that pairs a phone as a remote; the answer
    /// (`remote_link`) goes to the asking screen alone. Opening another replaces the one still
    /// open. Refused from a remote.
    OpenRemoteLink {},
    /// A phone that scanned the pairing link presents it; answered with `remote_paired`, or an
    /// error (`remote_link_used`) if the link was used already or has expired.
    PairRemote {
        code: String,
        link: String,
        /// Made up by the phone (like a join id: up to 64 letters, digits, `-` or `_`, secret)
        /// and kept before it first asks: asked again with the same id (the answer was lost),
        /// the phone gets the same remote and token back, even though the link is spent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pair_id: Option<String>,
    },
    /// The host turns remote number `remote` off; its phone is told `remote_revoked`.
    RevokeRemote {
        remote: u32,
    },
}

/// A message from the server to a browser. Those that report a raffle event carry its `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// To the host that started a raffle: keep `host_token` secret and present it to resume.
    RaffleStarted {
        code: String,
        host_token: String,
    },
    /// To a host on (re)connection: the whole raffle.
    HostSnapshot {
        seq: u64,
        join_url: String,
        qr_svg_url: String,
        players: Vec<PlayerView>,
        connected: u32,
        board: Board,
    },
    /// To the host: new players, oldest first, and how many are in now.
    PlayersJoined {
        players: Vec<PlayerView>,
        total: u32,
    },
    /// To the host: players who left or were removed, and how many are in now.
    PlayersGone {
        players: Vec<u32>,
        total: u32,
    },
    /// To the host: how many phones are connected right now, and how many players are in.
    Presence {
        connected: u32,
        total: u32,
    },
    /// To the host: prizes, draws and settings changed; this replaces the previous board.
    Board {
        seq: u64,
        board: Board,
    },
    /// To a phone that presented the pairing link: it is remote `remote` of raffle `code`, a
    /// host screen from now on. Keep `token` secret and present it (`resume`) to come back.
    RemotePaired {
        code: String,
        remote: u32,
        token: String,
    },
    /// To the host screen that opened a pairing link, and to no other: the phone opens `url`
    /// (`<public URL>/remote/<CODE>#pair=<link>`: a fragment, never sent to a server or kept in
    /// a proxy's log), shown as the QR code `qr_svg` (an SVG document), for `ms_left` more ms.
    RemoteLink {
        url: String,
        ms_left: u64,
        qr_svg: String,
    },
    /// To a remote the host turned off: its token no longer works.
    RemoteRevoked {
        seq: u64,
    },
    /// To a phone that joined: keep `token` secret and present it to resume. `fingerprint`: as
    /// on the big screen, so that anyone can compare.
    Joined {
        seq: u64,
        code: String,
        token: String,
        you: PlayerView,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fingerprint: Option<String>,
    },
    /// To a phone that resumed and was sent what it missed, after those messages (none, if it
    /// missed nothing): it is current as of `seq`. Every resume gets an answer, so a screen
    /// knows its link is live.
    Resumed {
        seq: u64,
    },
    /// To a phone on (re)connection when replaying what it missed is not possible.
    PlayerSnapshot {
        seq: u64,
        code: String,
        you: PlayerView,
        ended: bool,
        draws: Vec<DrawView>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fingerprint: Option<String>,
    },
    /// To everyone: the names are spinning; the winner comes in `spin_ms`, or, when the draw
    /// waits for the public beacon's round `beacon_round`, once that round is out (its length
    /// is then not known in advance). `entries_hash` is the hash of the entries frozen now
    /// (docs/fairness.md); absent for raffles from before verifiable draws.
    DrawStarted {
        seq: u64,
        draw: u32,
        prize: Option<String>,
        spin_ms: u64,
        redraw_of: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entries_hash: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        beacon_round: Option<u64>,
    },
    /// To everyone: the reveal. A phone compares `winner.id` with its own id. The winner has
    /// `claim_seconds` left to claim, counted when this message was sent (0: no countdown).
    WinnerDrawn {
        seq: u64,
        draw: u32,
        prize: Option<String>,
        winner: PlayerView,
        claim_seconds: u32,
    },
    /// To everyone: nobody won this draw. `reason`: `nobody_left` (all who could have won left
    /// during the spin) or `beacon_late` (its beacon round did not come in time: draw again);
    /// absent in frames from before the beacon (nobody left).
    DrawVoided {
        seq: u64,
        draw: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<VoidView>,
    },
    /// To everyone: the winner of `draw` claimed it.
    PrizeClaimed {
        seq: u64,
        draw: u32,
        player: u32,
    },
    /// To everyone: the winner of `draw` did not claim it; a redraw follows.
    WinnerSkipped {
        seq: u64,
        draw: u32,
        player: u32,
    },
    /// To a phone whose player the host removed.
    Removed {
        seq: u64,
    },
    /// To a phone that left, confirming it.
    Left {
        seq: u64,
    },
    /// To everyone: the winner of `draw` did not claim it in the time left after the end.
    ClaimExpired {
        seq: u64,
        draw: u32,
        player: u32,
    },
    /// To everyone: the raffle is over. A winner who has not claimed yet still may for
    /// `claim_ms_left` (or until a longer countdown runs out); then `claim_expired` follows.
    Ended {
        seq: u64,
        claim_ms_left: u64,
    },
    Pong,
    /// To the one connection whose message was refused. Nothing changed; carry on. When a
    /// limit was hit, `retry_after_ms` says when trying again can work.
    Error {
        code: ErrorCode,
        field: Option<Field>,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PlayerView {
    pub id: u32,
    pub name: String,
}

/// The host's view of prizes, draws and settings: small, so it is sent whole on each change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Board {
    pub code: String,
    pub joining_open: bool,
    pub repeat_winners: bool,
    pub claim_seconds: u32,
    pub ended: bool,
    /// Unix time in milliseconds when the host ended the raffle.
    pub ended_at: Option<u64>,
    /// The raffle's fingerprint (its commitment, shortened), shown on every screen; absent for
    /// raffles from before verifiable draws.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// Whether new draws wait for the public beacon.
    #[serde(default)]
    pub beacon_on: bool,
    /// The number the next draw will have: send it with `draw`.
    pub next_draw: u32,
    /// Named prizes, in the order they were added.
    pub prizes: Vec<PrizeView>,
    /// Every draw of the evening, redraws included, first to last.
    pub draws: Vec<DrawView>,
    /// Players the host removed, who can be let back in.
    pub removed: Vec<PlayerView>,
    /// The ids of the players the host entered by name (walk-ins), in or not: the screens and
    /// the export mark them "entered by the host".
    #[serde(default)]
    pub walk_ins: Vec<u32>,
    /// The players whose names the host hid from the stage: the stage leaves them off its wall
    /// and its reel, and names such a winner "Name hidden".
    #[serde(default)]
    pub hidden: Vec<u32>,
    /// Whether a pairing link is open (neither used nor expired). The link itself went to the
    /// screen that asked for it alone (`remote_link`): a remote or the stage never sees it.
    #[serde(default)]
    pub pairing_open: bool,
    /// The remotes paired and not revoked, by number.
    #[serde(default)]
    pub remotes: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrizeView {
    pub id: u32,
    pub name: String,
    /// Whether it has a winner (or is being drawn): then it can no longer be edited.
    pub drawn: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawView {
    pub draw: u32,
    pub prize_id: u32,
    pub prize: Option<String>,
    /// `None` while spinning, and for a void draw.
    pub winner: Option<PlayerView>,
    pub claim: ClaimView,
    /// Unix time in milliseconds: when it started, was revealed, and claimed or skipped.
    pub started_at: u64,
    pub revealed_at: Option<u64>,
    pub claim_changed_at: Option<u64>,
    pub redraw_of: Option<u32>,
    /// Milliseconds left for the winner to claim, when there is a countdown and time is left.
    pub claim_ms_left: Option<u64>,
    /// The beacon round the draw used (or waits for); `None`: from the seed alone.
    #[serde(default)]
    pub beacon_round: Option<u64>,
    /// Why a void draw has no winner; `None` for a draw with a winner or still spinning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub void_reason: Option<VoidView>,
}

/// Why a draw has no winner (`draw_voided`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoidView {
    NobodyLeft,
    BeaconLate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimView {
    Spinning,
    Void,
    Open,
    Claimed,
    Skipped,
    /// The raffle ended and the winner did not claim in the time left after it.
    Expired,
}

/// Why a message was refused; stable strings a client can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    UnknownCode,
    BadToken,
    NameEmpty,
    NameTooLong,
    NameTaken,
    PrizeNameEmpty,
    PrizeNameTooLong,
    /// The raffle has as many prizes as the server allows (`max_prizes`).
    TooManyPrizes,
    JoiningClosed,
    RaffleFull,
    ServerFull,
    TooManyConnections,
    RateLimited,
    AlreadyJoined,
    NotAllowed,
    UnknownPlayer,
    UnknownPrize,
    UnknownDraw,
    PrizeAlreadyDrawn,
    NoPlayers,
    NoEligiblePlayers,
    DrawInProgress,
    StaleDraw,
    NotRevealed,
    NotTheWinner,
    ClaimTooLate,
    AlreadyClaimed,
    Ended,
    AlreadyInRaffle,
    MalformedFrame,
    UnknownMessage,
    FrameTooLarge,
    /// The server could not write the change to its database, so nothing changed.
    NotSaved,
    /// A join from a phone whose player the host removed.
    Removed,
    /// Ending while a draw waits for its beacon round.
    WaitingForBeacon,
    /// Turning the beacon on where the server has none.
    NoBeacon,
    NotRemoved,
    /// A claim after the end, once the time to claim ran out.
    ClaimClosed,
    /// A pairing link used a second time, or after it expired.
    RemoteLinkUsed,
    UnknownRemote,
}

/// The part of the page an error belongs next to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Code,
    Name,
    Draw,
    Prize,
    Player,
    Claim,
    Settings,
}

impl ServerMsg {
    pub fn error(code: ErrorCode, field: Option<Field>, message: impl Into<String>) -> Self {
        ServerMsg::Error { code, field, message: message.into(), retry_after_ms: None }
    }

    /// A limit was hit: try again in `retry_after_ms`.
    pub fn limited(
        code: ErrorCode,
        field: Option<Field>,
        message: impl Into<String>,
        retry_after_ms: u64,
    ) -> Self {
        ServerMsg::Error { code, field, message: message.into(), retry_after_ms: Some(retry_after_ms) }
    }

    /// The error frame for a command the raffle refused.
    pub fn rejected(why: &Rejected) -> Self {
        use ErrorCode as C;
        let (code, field) = match why {
            Rejected::NameEmpty => (C::NameEmpty, Some(Field::Name)),
            Rejected::NameTooLong { .. } => (C::NameTooLong, Some(Field::Name)),
            Rejected::NameTaken { .. } => (C::NameTaken, Some(Field::Name)),
            Rejected::JoiningClosed => (C::JoiningClosed, Some(Field::Code)),
            Rejected::RaffleFull { .. } => (C::RaffleFull, Some(Field::Code)),
            Rejected::AlreadyJoined => (C::AlreadyJoined, Some(Field::Name)),
            Rejected::PrizeNameEmpty => (C::PrizeNameEmpty, Some(Field::Prize)),
            Rejected::PrizeNameTooLong { .. } => (C::PrizeNameTooLong, Some(Field::Prize)),
            Rejected::TooManyPrizes { .. } => (C::TooManyPrizes, Some(Field::Prize)),
            Rejected::UnknownPrize => (C::UnknownPrize, Some(Field::Prize)),
            Rejected::PrizeAlreadyDrawn => (C::PrizeAlreadyDrawn, Some(Field::Prize)),
            Rejected::NotAllowed => (C::NotAllowed, None),
            Rejected::UnknownPlayer => (C::UnknownPlayer, Some(Field::Player)),
            Rejected::UnknownDraw => (C::UnknownDraw, Some(Field::Draw)),
            Rejected::NoPlayers => (C::NoPlayers, Some(Field::Draw)),
            Rejected::NoEligiblePlayers => (C::NoEligiblePlayers, Some(Field::Draw)),
            Rejected::DrawInProgress => (C::DrawInProgress, Some(Field::Draw)),
            Rejected::StaleDraw { .. } => (C::StaleDraw, Some(Field::Draw)),
            Rejected::NotRevealed => (C::NotRevealed, Some(Field::Claim)),
            Rejected::NotTheWinner => (C::NotTheWinner, Some(Field::Claim)),
            Rejected::ClaimTooLate => (C::ClaimTooLate, Some(Field::Claim)),
            Rejected::AlreadyClaimed => (C::AlreadyClaimed, Some(Field::Draw)),
            Rejected::Ended => (C::Ended, None),
            Rejected::Removed => (C::Removed, Some(Field::Name)),
            Rejected::WaitingForBeacon => (C::WaitingForBeacon, Some(Field::Draw)),
            Rejected::NoBeacon => (C::NoBeacon, Some(Field::Settings)),
            Rejected::NotRemoved => (C::NotRemoved, Some(Field::Player)),
            Rejected::ClaimClosed => (C::ClaimClosed, Some(Field::Claim)),
            Rejected::RemoteLinkUsed => (C::RemoteLinkUsed, None),
            Rejected::UnknownRemote => (C::UnknownRemote, Some(Field::Settings)),
        };
        Self::error(code, field, why.to_string())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages have only string keys")
    }

    /// The sequence number of the raffle event this message reports, if it reports one.
    pub fn seq(&self) -> Option<u64> {
        match self {
            ServerMsg::HostSnapshot { seq, .. }
            | ServerMsg::Board { seq, .. }
            | ServerMsg::Joined { seq, .. }
            | ServerMsg::PlayerSnapshot { seq, .. }
            | ServerMsg::DrawStarted { seq, .. }
            | ServerMsg::WinnerDrawn { seq, .. }
            | ServerMsg::DrawVoided { seq, .. }
            | ServerMsg::PrizeClaimed { seq, .. }
            | ServerMsg::WinnerSkipped { seq, .. }
            | ServerMsg::ClaimExpired { seq, .. }
            | ServerMsg::Resumed { seq }
            | ServerMsg::Removed { seq }
            | ServerMsg::RemoteRevoked { seq }
            | ServerMsg::Left { seq }
            | ServerMsg::Ended { seq, .. } => Some(*seq),
            _ => None,
        }
    }
}

/// A text frame that is not a [`ClientMsg`] (or, in the browser, not a [`ServerMsg`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not JSON, or a known `type` with missing, extra or mistyped fields.
    Malformed(String),
    /// Well-formed JSON whose `type` this server does not know.
    UnknownType(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Malformed(detail) => f.write_str(detail),
            DecodeError::UnknownType(kind) => write!(f, "unknown message type `{kind}`"),
        }
    }
}

impl DecodeError {
    pub fn to_server_msg(&self) -> ServerMsg {
        match self {
            DecodeError::Malformed(detail) => ServerMsg::error(
                ErrorCode::MalformedFrame,
                None,
                format!("That message could not be read: {detail}"),
            ),
            DecodeError::UnknownType(kind) => {
                ServerMsg::error(ErrorCode::UnknownMessage, None, format!("Unknown message type {kind:?}."))
            }
        }
    }
}

const KNOWN_CLIENT_TYPES: [&str; 23] = [
    "start_raffle",
    "join",
    "resume",
    "leave",
    "claim",
    "add_prize",
    "rename_prize",
    "remove_prize",
    "draw",
    "redraw",
    "set_joining",
    "set_repeat_winners",
    "set_claim_seconds",
    "remove_player",
    "readmit_player",
    "set_beacon",
    "end_raffle",
    "ping",
    "add_walk_in",
    "set_name_hidden",
    "open_remote_link",
    "pair_remote",
    "revoke_remote",
];

/// What the stage and the phones show instead of a name the host hid from the stage (the
/// hosts' own screens and the player's own phone still show it; the public record keeps it).
pub const HIDDEN_NAME: &str = "Name hidden";

/// The longest join id a phone may make up.
pub const MAX_JOIN_ID_CHARS: usize = 64;

/// Whether a join id is one a phone could have made (see [`ClientMsg::Join`]).
pub fn valid_join_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_JOIN_ID_CHARS
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Codes are case- and space-insensitive when typed: " k7qx 2m" is K7QX2M. The server finds
/// raffles by it; a phone files what it keeps per raffle under it.
///
/// Capitals without Unicode's case tables (`char::to_uppercase` put 13 KiB of them in the
/// phone's wasm): ASCII letters, and the ten other characters whose capitals are ASCII
/// ([`ASCII_CAPITALS`]), become what `to_uppercase` makes of them; any other character stays
/// as typed. Codes are ASCII, so no code matches differently (a test compares every character).
pub fn normalize_code(typed: &str) -> String {
    let mut code = String::with_capacity(typed.len());
    for c in typed.chars().filter(|c| !c.is_whitespace() && *c != '-') {
        match ASCII_CAPITALS.iter().find(|(small, _)| *small == c) {
            Some((_, capital)) => code.push_str(capital),
            None => code.push(c.to_ascii_uppercase()),
        }
    }
    code
}

/// The characters beyond ASCII whose `to_uppercase` is ASCII.
const ASCII_CAPITALS: [(char, &str); 10] = [
    ('ß', "SS"),
    ('ı', "I"),
    ('ſ', "S"),
    ('ﬀ', "FF"),
    ('ﬁ', "FI"),
    ('ﬂ', "FL"),
    ('ﬃ', "FFI"),
    ('ﬄ', "FFL"),
    ('ﬅ', "ST"),
    ('ﬆ', "ST"),
];

impl ClientMsg {
    pub fn decode(text: &str) -> Result<ClientMsg, DecodeError> {
        serde_json::from_str(text).map_err(|err| {
            // Tell "a message we don't know" apart from "a message we know, written wrong".
            let kind = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned));
            match kind {
                Some(kind) if !KNOWN_CLIENT_TYPES.contains(&kind.as_str()) => DecodeError::UnknownType(kind),
                _ => DecodeError::Malformed(err.to_string()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_round_trip_in_the_documented_shape() {
        let join = ClientMsg::Join { code: "K7QX2M".into(), name: "Ada".into(), join_id: None };
        assert_eq!(join.to_json(), r#"{"type":"join","code":"K7QX2M","name":"Ada"}"#);
        assert_eq!(ClientMsg::decode(&join.to_json()), Ok(join));
        let join =
            ClientMsg::Join { code: "K7QX2M".into(), name: "Ada".into(), join_id: Some("f3a9".into()) };
        assert_eq!(join.to_json(), r#"{"type":"join","code":"K7QX2M","name":"Ada","join_id":"f3a9"}"#);
        assert_eq!(ClientMsg::decode(&join.to_json()), Ok(join));
        assert_eq!(
            ClientMsg::decode(r#"{"type":"draw","draw":1}"#),
            Ok(ClientMsg::Draw { draw: 1, prize: None })
        );
        let resume = r#"{"type":"resume","code":"K7QX2M","token":"s3cr3t","last_seq":null}"#;
        assert!(matches!(ClientMsg::decode(resume), Ok(ClientMsg::Resume { last_seq: None, .. })));
        assert_eq!(ClientMsg::decode(r#"{"type":"start_raffle"}"#), Ok(ClientMsg::StartRaffle {}));
    }

    #[test]
    fn join_ids_are_short_and_plain() {
        assert!(valid_join_id("0f3a-9B_c"));
        assert!(!valid_join_id(""));
        assert!(!valid_join_id(&"a".repeat(MAX_JOIN_ID_CHARS + 1)));
        assert!(!valid_join_id("a b"));
        assert!(!valid_join_id("é"));
    }

    #[test]
    fn typed_codes_ignore_case_spaces_and_dashes() {
        assert_eq!(normalize_code(" k7q-x2 m "), "K7QX2M");
        assert_eq!(normalize_code("ſıﬅ\u{3000}ﬆ-éß"), "SISTSTéSS");
    }

    /// Every character capitalizes as `char::to_uppercase` would whenever that gives ASCII (all
    /// a code can contain), and stays non-ASCII otherwise: no typed code matches differently.
    #[test]
    fn codes_capitalize_as_unicode_does_wherever_a_code_could_match() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32).filter(|c| !c.is_whitespace() && *c != '-') {
            let unicode: String = c.to_uppercase().collect();
            let ours = normalize_code(&c.to_string());
            if unicode.is_ascii() {
                assert_eq!(ours, unicode, "{c:?}");
            } else {
                assert!(!ours.is_ascii(), "{c:?} became {ours:?}");
            }
        }
    }

    #[test]
    fn every_client_message_type_is_known_to_the_decoder() {
        for kind in KNOWN_CLIENT_TYPES {
            let err = ClientMsg::decode(&format!(r#"{{"type":"{kind}","bogus":1}}"#)).unwrap_err();
            assert!(matches!(err, DecodeError::Malformed(_)), "{kind}: {err:?}");
        }
    }

    #[test]
    fn bad_frames_are_told_apart() {
        assert!(matches!(ClientMsg::decode("not json"), Err(DecodeError::Malformed(_))));
        assert!(matches!(ClientMsg::decode(r#"{"type":"join","code":"A"}"#), Err(DecodeError::Malformed(_))));
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
        assert!(matches!(ClientMsg::decode(&deep), Err(DecodeError::Malformed(_))));
    }

    #[test]
    fn server_messages_serialize_in_the_documented_shape() {
        let winner = PlayerView { id: 7, name: "Ada".into() };
        let won = ServerMsg::WinnerDrawn { seq: 9, draw: 1, prize: None, winner, claim_seconds: 0 };
        assert_eq!(
            won.to_json(),
            r#"{"type":"winner_drawn","seq":9,"draw":1,"prize":null,"winner":{"id":7,"name":"Ada"},"claim_seconds":0}"#
        );
        let err = ServerMsg::rejected(&Rejected::NameEmpty);
        assert_eq!(
            err.to_json(),
            r#"{"type":"error","code":"name_empty","field":"name","message":"Please type your name."}"#
        );
    }
}
