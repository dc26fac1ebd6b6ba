//! [`ServerMsg::decode`]: the browser's reader of server frames, written by hand over the small
//! [`json`](super::json) reader instead of serde's derived `Deserialize`.
//!
//! Why: the derive of an internally tagged enum buffers every field into serde's `Content` and
//! reads it again, generically over two deserializers; with `serde_json` that was about 150 KiB
//! of the phone's 1,100 KiB of wasm code before wasm-opt (issue 15). This reader is a few KiB.
//! The server still writes every frame with serde (`ServerMsg::to_json`), so the wire is
//! unchanged; the tests below decode the server's own JSON of every variant and compare.
//!
//! It accepts what serde's derive accepts: fields in any order, unknown fields ignored (a newer
//! server may add some), a missing or `null` `Option` field read as `None`, a missing
//! `#[serde(default)]` field as its default.

use super::json::{self, Json};
use super::{
    Board, ClaimView, DecodeError, DrawView, ErrorCode, Field, PlayerView, PrizeView, ServerMsg, VoidView,
};

impl ServerMsg {
    /// Reads a frame from the server. `Err(UnknownType)` for a `type` this build does not know
    /// (a newer server: the page skips it), `Err(Malformed)` for anything else wrong.
    pub fn decode(text: &str) -> Result<ServerMsg, DecodeError> {
        read(text, |kind, f| phone_message(kind, f).or_else(|| host_message(kind, f)))
    }

    /// Reads a frame as a player's phone needs it: the messages a phone is sent (its join,
    /// resume and farewell, the draws, `pong` and `error`); any other type is `UnknownType`,
    /// which the page skips as it would a newer server's. The host screens' messages (the
    /// board, the players, pairing) are never sent to a phone, and their code stays out of the
    /// phone's wasm: with [`ServerMsg::decode`] only the host screens, in their chunks.
    pub fn decode_for_phone(text: &str) -> Result<ServerMsg, DecodeError> {
        read(text, phone_message)
    }
}

/// The frame's `type` and fields, read by `message` (`None`: a type it does not know).
fn read(text: &str, message: fn(&str, &mut Fields) -> Option<ServerMsg>) -> Result<ServerMsg, DecodeError> {
    let mut fields = json::parse(text).and_then(Fields::of).map_err(DecodeError::Malformed)?;
    let kind: String = fields.req("type");
    if let Some(error) = fields.error.take() {
        return Err(DecodeError::Malformed(error));
    }
    match message(&kind, &mut fields) {
        Some(msg) => fields.done(msg).map_err(|error| DecodeError::Malformed(format!("{kind}: {error}"))),
        None => Err(DecodeError::UnknownType(kind)),
    }
}

/// The messages a player's phone is sent, of type `kind`, from its fields.
fn phone_message(kind: &str, f: &mut Fields) -> Option<ServerMsg> {
    use ServerMsg as M;
    Some(match kind {
        "joined" => M::Joined {
            seq: f.req("seq"),
            code: f.req("code"),
            token: f.req("token"),
            you: f.req("you"),
            fingerprint: f.opt("fingerprint"),
        },
        "resumed" => M::Resumed { seq: f.req("seq") },
        "player_snapshot" => M::PlayerSnapshot {
            seq: f.req("seq"),
            code: f.req("code"),
            you: f.req("you"),
            ended: f.req("ended"),
            draws: f.req("draws"),
            fingerprint: f.opt("fingerprint"),
        },
        "draw_started" => M::DrawStarted {
            seq: f.req("seq"),
            draw: f.req("draw"),
            prize: f.opt("prize"),
            spin_ms: f.req("spin_ms"),
            redraw_of: f.opt("redraw_of"),
            entries_hash: f.opt("entries_hash"),
            beacon_round: f.opt("beacon_round"),
        },
        "winner_drawn" => M::WinnerDrawn {
            seq: f.req("seq"),
            draw: f.req("draw"),
            prize: f.opt("prize"),
            winner: f.req("winner"),
            claim_seconds: f.req("claim_seconds"),
        },
        "draw_voided" => M::DrawVoided { seq: f.req("seq"), draw: f.req("draw"), reason: f.opt("reason") },
        "prize_claimed" => {
            M::PrizeClaimed { seq: f.req("seq"), draw: f.req("draw"), player: f.req("player") }
        }
        "winner_skipped" => {
            M::WinnerSkipped { seq: f.req("seq"), draw: f.req("draw"), player: f.req("player") }
        }
        "removed" => M::Removed { seq: f.req("seq") },
        "left" => M::Left { seq: f.req("seq") },
        "claim_expired" => {
            M::ClaimExpired { seq: f.req("seq"), draw: f.req("draw"), player: f.req("player") }
        }
        "ended" => M::Ended { seq: f.req("seq"), claim_ms_left: f.req("claim_ms_left") },
        "pong" => M::Pong,
        "error" => M::Error {
            code: f.req_or("code", ErrorCode::MalformedFrame),
            field: f.opt("field"),
            message: f.req("message"),
            retry_after_ms: f.opt("retry_after_ms"),
        },
        _ => return None,
    })
}

/// The messages only the host screens (the controls, the stage, a remote) are sent.
fn host_message(kind: &str, f: &mut Fields) -> Option<ServerMsg> {
    use ServerMsg as M;
    Some(match kind {
        "raffle_started" => M::RaffleStarted { code: f.req("code"), host_token: f.req("host_token") },
        "host_snapshot" => M::HostSnapshot {
            seq: f.req("seq"),
            join_url: f.req("join_url"),
            qr_svg_url: f.req("qr_svg_url"),
            players: f.req("players"),
            connected: f.req("connected"),
            board: f.req("board"),
        },
        "players_joined" => M::PlayersJoined { players: f.req("players"), total: f.req("total") },
        "players_gone" => M::PlayersGone { players: f.req("players"), total: f.req("total") },
        "presence" => M::Presence { connected: f.req("connected"), total: f.req("total") },
        "board" => M::Board { seq: f.req("seq"), board: f.req("board") },
        "remote_paired" => {
            M::RemotePaired { code: f.req("code"), remote: f.req("remote"), token: f.req("token") }
        }
        "remote_link" => {
            M::RemoteLink { url: f.req("url"), ms_left: f.req("ms_left"), qr_svg: f.req("qr_svg") }
        }
        "remote_revoked" => M::RemoteRevoked { seq: f.req("seq") },
        _ => return None,
    })
}

/// A value of the wire read from its JSON; the error says what was wrong, the caller where.
trait FromJson: Sized {
    fn from_json(value: Json) -> Result<Self, String>;
}

fn expected(what: &str, found: &Json) -> String {
    format!("expected {what}, found {}", found.kind())
}

/// An object's fields, taken out one by one. A field that is missing or wrong is noted (the
/// first such is the error) and read as a placeholder, so that building a message needs no
/// early return per field: with one per field, the code that drops what was read before made
/// the decoder twice as large.
struct Fields {
    fields: Vec<(String, Json)>,
    error: Option<String>,
}

impl Fields {
    fn of(value: Json) -> Result<Fields, String> {
        match value {
            Json::Object(fields) => Ok(Fields { fields, error: None }),
            other => Err(expected("an object", &other)),
        }
    }

    /// The first field named `key` (serde refuses duplicates; the server never writes any).
    fn take(&mut self, key: &str) -> Option<Json> {
        self.fields.iter_mut().find(|(name, _)| name == key).map(|(_, value)| std::mem::take(value))
    }

    fn fail(&mut self, error: String) {
        self.error.get_or_insert(error);
    }

    /// `value`, read from these fields, unless one of them was missing or wrong.
    fn done<T>(self, value: T) -> Result<T, String> {
        match self.error {
            None => Ok(value),
            Some(error) => Err(error),
        }
    }

    /// A field that must be there.
    fn req<T: FromJson + Default>(&mut self, key: &str) -> T {
        self.req_or(key, T::default())
    }

    /// A field that must be there, and what stands in for it when it is not.
    fn req_or<T: FromJson>(&mut self, key: &str, placeholder: T) -> T {
        match self.take(key) {
            Some(value) => self.check(key, T::from_json(value), placeholder),
            None => {
                self.fail(format!("missing field `{key}`"));
                placeholder
            }
        }
    }

    /// An `Option` field: missing or `null` is `None`, as with serde's derive.
    fn opt<T: FromJson>(&mut self, key: &str) -> Option<T> {
        match self.take(key) {
            None | Some(Json::Null) => None,
            Some(value) => self.check(key, T::from_json(value).map(Some), None),
        }
    }

    /// A `#[serde(default)]` field: missing is the default.
    fn or_default<T: FromJson + Default>(&mut self, key: &str) -> T {
        self.opt(key).unwrap_or_default()
    }

    fn check<T>(&mut self, key: &str, read: Result<T, String>, placeholder: T) -> T {
        read.unwrap_or_else(|error| {
            self.fail(format!("`{key}`: {error}"));
            placeholder
        })
    }
}

impl FromJson for String {
    fn from_json(value: Json) -> Result<Self, String> {
        match value {
            Json::Str(text) => Ok(text),
            other => Err(expected("a string", &other)),
        }
    }
}

impl FromJson for bool {
    fn from_json(value: Json) -> Result<Self, String> {
        match value {
            Json::Bool(b) => Ok(b),
            other => Err(expected("a boolean", &other)),
        }
    }
}

impl FromJson for u64 {
    fn from_json(value: Json) -> Result<Self, String> {
        match value {
            Json::Uint(n) => Ok(n),
            other => Err(expected("an unsigned integer", &other)),
        }
    }
}

impl FromJson for u32 {
    fn from_json(value: Json) -> Result<Self, String> {
        u32::try_from(u64::from_json(value)?).map_err(|_| "number too large".to_string())
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: Json) -> Result<Self, String> {
        match value {
            Json::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| T::from_json(item).map_err(|error| format!("[{i}]: {error}")))
                .collect(),
            other => Err(expected("an array", &other)),
        }
    }
}

impl FromJson for PlayerView {
    fn from_json(value: Json) -> Result<Self, String> {
        let mut f = Fields::of(value)?;
        let player = PlayerView { id: f.req("id"), name: f.req("name") };
        f.done(player)
    }
}

impl FromJson for PrizeView {
    fn from_json(value: Json) -> Result<Self, String> {
        let mut f = Fields::of(value)?;
        let prize = PrizeView { id: f.req("id"), name: f.req("name"), drawn: f.req("drawn") };
        f.done(prize)
    }
}

impl FromJson for DrawView {
    fn from_json(value: Json) -> Result<Self, String> {
        let mut f = Fields::of(value)?;
        let draw = DrawView {
            draw: f.req("draw"),
            prize_id: f.req("prize_id"),
            prize: f.opt("prize"),
            winner: f.opt("winner"),
            claim: f.req_or("claim", ClaimView::Open),
            started_at: f.req("started_at"),
            revealed_at: f.opt("revealed_at"),
            claim_changed_at: f.opt("claim_changed_at"),
            redraw_of: f.opt("redraw_of"),
            claim_ms_left: f.opt("claim_ms_left"),
            beacon_round: f.opt("beacon_round"),
            void_reason: f.opt("void_reason"),
        };
        f.done(draw)
    }
}

impl FromJson for Board {
    fn from_json(value: Json) -> Result<Self, String> {
        let mut f = Fields::of(value)?;
        let board = Board {
            code: f.req("code"),
            joining_open: f.req("joining_open"),
            repeat_winners: f.req("repeat_winners"),
            claim_seconds: f.req("claim_seconds"),
            ended: f.req("ended"),
            ended_at: f.opt("ended_at"),
            fingerprint: f.opt("fingerprint"),
            beacon_on: f.or_default("beacon_on"),
            next_draw: f.req("next_draw"),
            prizes: f.req("prizes"),
            draws: f.req("draws"),
            removed: f.req("removed"),
            walk_ins: f.or_default("walk_ins"),
            hidden: f.or_default("hidden"),
            pairing_open: f.or_default("pairing_open"),
            remotes: f.or_default("remotes"),
        };
        f.done(board)
    }
}

/// A unit enum written as its snake_case name: looked up in a table (smaller than a `match`
/// on strings, which compiles to a comparison chain per name).
fn named<T: Copy>(value: Json, table: &[(&str, T)]) -> Result<T, String> {
    match value {
        Json::Str(name) => table
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, value)| *value)
            .ok_or_else(|| format!("unknown value `{name}`")),
        other => Err(expected("a string", &other)),
    }
}

/// Every name serde writes for a [`ClaimView`]; the tests check it against serde's.
const CLAIMS: [(&str, ClaimView); 6] = [
    ("spinning", ClaimView::Spinning),
    ("void", ClaimView::Void),
    ("open", ClaimView::Open),
    ("claimed", ClaimView::Claimed),
    ("skipped", ClaimView::Skipped),
    ("expired", ClaimView::Expired),
];

const VOIDS: [(&str, VoidView); 2] =
    [("nobody_left", VoidView::NobodyLeft), ("beacon_late", VoidView::BeaconLate)];

const FIELDS: [(&str, Field); 7] = [
    ("code", Field::Code),
    ("name", Field::Name),
    ("draw", Field::Draw),
    ("prize", Field::Prize),
    ("player", Field::Player),
    ("claim", Field::Claim),
    ("settings", Field::Settings),
];

const ERROR_CODES: [(&str, ErrorCode); 40] = {
    use ErrorCode as E;
    [
        ("unknown_code", E::UnknownCode),
        ("bad_token", E::BadToken),
        ("name_empty", E::NameEmpty),
        ("name_too_long", E::NameTooLong),
        ("name_taken", E::NameTaken),
        ("prize_name_empty", E::PrizeNameEmpty),
        ("prize_name_too_long", E::PrizeNameTooLong),
        ("too_many_prizes", E::TooManyPrizes),
        ("joining_closed", E::JoiningClosed),
        ("raffle_full", E::RaffleFull),
        ("server_full", E::ServerFull),
        ("too_many_connections", E::TooManyConnections),
        ("rate_limited", E::RateLimited),
        ("already_joined", E::AlreadyJoined),
        ("not_allowed", E::NotAllowed),
        ("unknown_player", E::UnknownPlayer),
        ("unknown_prize", E::UnknownPrize),
        ("unknown_draw", E::UnknownDraw),
        ("prize_already_drawn", E::PrizeAlreadyDrawn),
        ("no_players", E::NoPlayers),
        ("no_eligible_players", E::NoEligiblePlayers),
        ("draw_in_progress", E::DrawInProgress),
        ("stale_draw", E::StaleDraw),
        ("not_revealed", E::NotRevealed),
        ("not_the_winner", E::NotTheWinner),
        ("claim_too_late", E::ClaimTooLate),
        ("already_claimed", E::AlreadyClaimed),
        ("ended", E::Ended),
        ("already_in_raffle", E::AlreadyInRaffle),
        ("malformed_frame", E::MalformedFrame),
        ("unknown_message", E::UnknownMessage),
        ("frame_too_large", E::FrameTooLarge),
        ("not_saved", E::NotSaved),
        ("removed", E::Removed),
        ("waiting_for_beacon", E::WaitingForBeacon),
        ("no_beacon", E::NoBeacon),
        ("not_removed", E::NotRemoved),
        ("claim_closed", E::ClaimClosed),
        ("remote_link_used", E::RemoteLinkUsed),
        ("unknown_remote", E::UnknownRemote),
    ]
};

impl FromJson for ClaimView {
    fn from_json(value: Json) -> Result<Self, String> {
        named(value, &CLAIMS)
    }
}

impl FromJson for VoidView {
    fn from_json(value: Json) -> Result<Self, String> {
        named(value, &VOIDS)
    }
}

impl FromJson for Field {
    fn from_json(value: Json) -> Result<Self, String> {
        named(value, &FIELDS)
    }
}

impl FromJson for ErrorCode {
    fn from_json(value: Json) -> Result<Self, String> {
        named(value, &ERROR_CODES)
    }
}

#[cfg(test)]
mod tests;
