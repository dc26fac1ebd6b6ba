//! How an event is written in the `events.kind` column. The raffle core is not serializable on
//! purpose (see ARCHITECTURE.md): this is the on-disk format's own copy, so that renaming a
//! field in the core cannot make yesterday's database unreadable. Changing an existing variant
//! here needs a migration; adding a new one does not.

use raffler_core::raffle::fairness::{from_hex, to_hex};
use raffler_core::raffle::{
    BeaconValue, DrawNumber, Event, EventKind, Millis, PlayerId, PrizeId, RemoteId, Token, VoidReason,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Row {
    /// `code`, `seed` (hex) and `beacon` are absent in rows from before verifiable draws.
    Started {
        host_token: String,
        #[serde(default)]
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seed: Option<String>,
        #[serde(default)]
        beacon: bool,
    },
    BeaconChanged {
        on: bool,
    },
    PlayerJoined {
        player: u32,
        name: String,
        token: String,
        /// Absent in rows written before join ids existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        join_id: Option<String>,
    },
    PlayerReadmitted {
        player: u32,
    },
    ClaimExpired {
        draw: u32,
        player: u32,
    },
    PlayerLeft {
        player: u32,
    },
    PlayerRemoved {
        player: u32,
    },
    PrizeAdded {
        prize: u32,
        name: Option<String>,
    },
    PrizeRenamed {
        prize: u32,
        name: String,
    },
    PrizeRemoved {
        prize: u32,
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
    DrawStarted {
        draw: u32,
        prize: u32,
        reveal_at: u64,
        redraw_of: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entries_hash: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        beacon_round: Option<u64>,
    },
    WinnerDrawn {
        draw: u32,
        winner: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        beacon: Option<BeaconRow>,
    },
    DrawVoided {
        draw: u32,
        /// `nobody_left` or `beacon_late`; absent (nobody left) in older rows.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    PrizeClaimed {
        draw: u32,
        player: u32,
    },
    WinnerSkipped {
        draw: u32,
        player: u32,
    },
    Ended {},
    /// A walk-in the host entered: a player without a token.
    WalkInAdded {
        player: u32,
        name: String,
    },
    NameHidden {
        player: u32,
        hidden: bool,
    },
    /// The one-time link that pairs a remote (a secret, like the tokens).
    RemoteLinkOpened {
        link: String,
        expires_at: u64,
    },
    RemotePaired {
        remote: u32,
        token: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pair_id: Option<String>,
    },
    RemoteRevoked {
        remote: u32,
    },
}

/// A beacon round's value, in hex.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BeaconRow {
    round: u64,
    signature: String,
    randomness: String,
}

fn bad(what: &str) -> serde_json::Error {
    <serde_json::Error as serde::de::Error>::custom(format!("malformed {what}"))
}

/// One event as the store writes it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: u64,
    pub at: u64,
    pub kind: String,
}

pub fn encode(event: &Event) -> StoredEvent {
    let row = match &event.kind {
        EventKind::Started { host_token, code, seed, beacon } => Row::Started {
            host_token: host_token.expose().to_owned(),
            code: code.clone(),
            seed: seed.map(|s| to_hex(&s)),
            beacon: *beacon,
        },
        EventKind::BeaconChanged { on } => Row::BeaconChanged { on: *on },
        EventKind::PlayerJoined { player, name, token, join_id } => Row::PlayerJoined {
            player: player.0,
            name: name.clone(),
            token: token.expose().to_owned(),
            join_id: join_id.clone(),
        },
        EventKind::PlayerReadmitted { player } => Row::PlayerReadmitted { player: player.0 },
        EventKind::ClaimExpired { draw, player } => Row::ClaimExpired { draw: draw.0, player: player.0 },
        EventKind::PlayerLeft { player } => Row::PlayerLeft { player: player.0 },
        EventKind::PlayerRemoved { player } => Row::PlayerRemoved { player: player.0 },
        EventKind::PrizeAdded { prize, name } => Row::PrizeAdded { prize: prize.0, name: name.clone() },
        EventKind::PrizeRenamed { prize, name } => Row::PrizeRenamed { prize: prize.0, name: name.clone() },
        EventKind::PrizeRemoved { prize } => Row::PrizeRemoved { prize: prize.0 },
        EventKind::JoiningChanged { open } => Row::JoiningChanged { open: *open },
        EventKind::RepeatWinnersChanged { allowed } => Row::RepeatWinnersChanged { allowed: *allowed },
        EventKind::ClaimSecondsChanged { seconds } => Row::ClaimSecondsChanged { seconds: *seconds },
        EventKind::DrawStarted { draw, prize, reveal_at, redraw_of, entries_hash, beacon_round } => {
            Row::DrawStarted {
                draw: draw.0,
                prize: prize.0,
                reveal_at: reveal_at.0,
                redraw_of: redraw_of.map(|d| d.0),
                entries_hash: entries_hash.map(|h| to_hex(&h)),
                beacon_round: *beacon_round,
            }
        }
        EventKind::WinnerDrawn { draw, winner, beacon } => Row::WinnerDrawn {
            draw: draw.0,
            winner: winner.0,
            beacon: beacon.as_ref().map(|b| BeaconRow {
                round: b.round,
                signature: to_hex(&b.signature),
                randomness: to_hex(&b.randomness),
            }),
        },
        EventKind::DrawVoided { draw, reason } => Row::DrawVoided {
            draw: draw.0,
            reason: Some(match reason {
                VoidReason::NobodyLeft => "nobody_left".into(),
                VoidReason::BeaconLate => "beacon_late".into(),
            }),
        },
        EventKind::PrizeClaimed { draw, player } => Row::PrizeClaimed { draw: draw.0, player: player.0 },
        EventKind::WinnerSkipped { draw, player } => Row::WinnerSkipped { draw: draw.0, player: player.0 },
        EventKind::Ended => Row::Ended {},
        EventKind::WalkInAdded { player, name } => Row::WalkInAdded { player: player.0, name: name.clone() },
        EventKind::NameHidden { player, hidden } => Row::NameHidden { player: player.0, hidden: *hidden },
        EventKind::RemoteLinkOpened { link, expires_at } => {
            Row::RemoteLinkOpened { link: link.expose().to_owned(), expires_at: expires_at.0 }
        }
        EventKind::RemotePaired { remote, token, pair_id } => {
            Row::RemotePaired { remote: remote.0, token: token.expose().to_owned(), pair_id: pair_id.clone() }
        }
        EventKind::RemoteRevoked { remote } => Row::RemoteRevoked { remote: remote.0 },
    };
    let kind = serde_json::to_string(&row).expect("event rows always serialize");
    StoredEvent { seq: event.seq, at: event.at.0, kind }
}

pub fn decode(stored: &StoredEvent) -> Result<Event, serde_json::Error> {
    let kind = match serde_json::from_str::<Row>(&stored.kind)? {
        Row::Started { host_token, code, seed, beacon } => EventKind::Started {
            host_token: Token::new(host_token),
            code,
            seed: seed.map(|s| from_hex::<32>(&s).ok_or_else(|| bad("seed"))).transpose()?,
            beacon,
        },
        Row::BeaconChanged { on } => EventKind::BeaconChanged { on },
        Row::PlayerJoined { player, name, token, join_id } => {
            EventKind::PlayerJoined { player: PlayerId(player), name, token: Token::new(token), join_id }
        }
        Row::PlayerReadmitted { player } => EventKind::PlayerReadmitted { player: PlayerId(player) },
        Row::ClaimExpired { draw, player } => {
            EventKind::ClaimExpired { draw: DrawNumber(draw), player: PlayerId(player) }
        }
        Row::PlayerLeft { player } => EventKind::PlayerLeft { player: PlayerId(player) },
        Row::PlayerRemoved { player } => EventKind::PlayerRemoved { player: PlayerId(player) },
        Row::PrizeAdded { prize, name } => EventKind::PrizeAdded { prize: PrizeId(prize), name },
        Row::PrizeRenamed { prize, name } => EventKind::PrizeRenamed { prize: PrizeId(prize), name },
        Row::PrizeRemoved { prize } => EventKind::PrizeRemoved { prize: PrizeId(prize) },
        Row::JoiningChanged { open } => EventKind::JoiningChanged { open },
        Row::RepeatWinnersChanged { allowed } => EventKind::RepeatWinnersChanged { allowed },
        Row::ClaimSecondsChanged { seconds } => EventKind::ClaimSecondsChanged { seconds },
        Row::DrawStarted { draw, prize, reveal_at, redraw_of, entries_hash, beacon_round } => {
            EventKind::DrawStarted {
                draw: DrawNumber(draw),
                prize: PrizeId(prize),
                reveal_at: Millis(reveal_at),
                redraw_of: redraw_of.map(DrawNumber),
                entries_hash: entries_hash
                    .map(|h| from_hex::<32>(&h).ok_or_else(|| bad("entries hash")))
                    .transpose()?,
                beacon_round,
            }
        }
        Row::WinnerDrawn { draw, winner, beacon } => EventKind::WinnerDrawn {
            draw: DrawNumber(draw),
            winner: PlayerId(winner),
            beacon: beacon
                .map(|b| -> Result<BeaconValue, serde_json::Error> {
                    Ok(BeaconValue {
                        round: b.round,
                        signature: from_hex::<48>(&b.signature)
                            .ok_or_else(|| bad("beacon signature"))?
                            .to_vec(),
                        randomness: from_hex::<32>(&b.randomness).ok_or_else(|| bad("beacon randomness"))?,
                    })
                })
                .transpose()?,
        },
        Row::DrawVoided { draw, reason } => EventKind::DrawVoided {
            draw: DrawNumber(draw),
            reason: match reason.as_deref() {
                None | Some("nobody_left") => VoidReason::NobodyLeft,
                Some("beacon_late") => VoidReason::BeaconLate,
                Some(_) => return Err(bad("void reason")),
            },
        },
        Row::PrizeClaimed { draw, player } => {
            EventKind::PrizeClaimed { draw: DrawNumber(draw), player: PlayerId(player) }
        }
        Row::WinnerSkipped { draw, player } => {
            EventKind::WinnerSkipped { draw: DrawNumber(draw), player: PlayerId(player) }
        }
        Row::Ended {} => EventKind::Ended,
        Row::WalkInAdded { player, name } => EventKind::WalkInAdded { player: PlayerId(player), name },
        Row::NameHidden { player, hidden } => EventKind::NameHidden { player: PlayerId(player), hidden },
        Row::RemoteLinkOpened { link, expires_at } => {
            EventKind::RemoteLinkOpened { link: Token::new(link), expires_at: Millis(expires_at) }
        }
        Row::RemotePaired { remote, token, pair_id } => {
            EventKind::RemotePaired { remote: RemoteId(remote), token: Token::new(token), pair_id }
        }
        Row::RemoteRevoked { remote } => EventKind::RemoteRevoked { remote: RemoteId(remote) },
    };
    Ok(Event { seq: stored.seq, at: Millis(stored.at), kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<EventKind> {
        let (d, p, w) = (DrawNumber(3), PrizeId(2), PlayerId(7));
        vec![
            EventKind::Started {
                host_token: Token::new("h"),
                code: String::new(),
                seed: None,
                beacon: false,
            },
            EventKind::Started {
                host_token: Token::new("h"),
                code: "K7QX2M".into(),
                seed: Some([3; 32]),
                beacon: true,
            },
            EventKind::BeaconChanged { on: false },
            EventKind::PlayerJoined {
                player: w,
                name: "Ada \"<b>\"".into(),
                token: Token::new("t"),
                join_id: None,
            },
            EventKind::PlayerJoined {
                player: w,
                name: "Ada".into(),
                token: Token::new("t"),
                join_id: Some("f3a9".into()),
            },
            EventKind::PlayerReadmitted { player: w },
            EventKind::WalkInAdded { player: w, name: "Ada".into() },
            EventKind::NameHidden { player: w, hidden: true },
            EventKind::RemoteLinkOpened { link: Token::new("l"), expires_at: Millis(600_000) },
            EventKind::RemotePaired { remote: RemoteId(1), token: Token::new("r"), pair_id: None },
            EventKind::RemotePaired {
                remote: RemoteId(2),
                token: Token::new("s"),
                pair_id: Some("p".into()),
            },
            EventKind::RemoteRevoked { remote: RemoteId(1) },
            EventKind::ClaimExpired { draw: d, player: w },
            EventKind::PlayerLeft { player: w },
            EventKind::PlayerRemoved { player: w },
            EventKind::PrizeAdded { prize: p, name: Some("Book".into()) },
            EventKind::PrizeAdded { prize: p, name: None },
            EventKind::PrizeRenamed { prize: p, name: "Mug".into() },
            EventKind::PrizeRemoved { prize: p },
            EventKind::JoiningChanged { open: false },
            EventKind::RepeatWinnersChanged { allowed: true },
            EventKind::ClaimSecondsChanged { seconds: 30 },
            EventKind::DrawStarted {
                draw: d,
                prize: p,
                reveal_at: Millis(9),
                redraw_of: Some(DrawNumber(1)),
                entries_hash: Some([5; 32]),
                beacon_round: Some(1_000),
            },
            EventKind::DrawStarted {
                draw: d,
                prize: p,
                reveal_at: Millis(9),
                redraw_of: None,
                entries_hash: None,
                beacon_round: None,
            },
            EventKind::WinnerDrawn { draw: d, winner: w, beacon: None },
            EventKind::WinnerDrawn {
                draw: d,
                winner: w,
                beacon: Some(BeaconValue { round: 1_000, signature: vec![7; 48], randomness: [8; 32] }),
            },
            EventKind::DrawVoided { draw: d, reason: VoidReason::NobodyLeft },
            EventKind::DrawVoided { draw: d, reason: VoidReason::BeaconLate },
            EventKind::PrizeClaimed { draw: d, player: w },
            EventKind::WinnerSkipped { draw: d, player: w },
            EventKind::Ended,
        ]
    }

    #[test]
    fn every_event_reads_back_as_written() {
        for (i, kind) in every_kind().into_iter().enumerate() {
            let event = Event { seq: i as u64 + 1, at: Millis(1_700_000_000_000 + i as u64), kind };
            assert_eq!(decode(&encode(&event)).unwrap(), event);
        }
    }

    /// Rows written by earlier versions must stay readable: these are frozen examples.
    #[test]
    fn rows_in_the_documented_format_still_read() {
        let row = |kind: &str| StoredEvent { seq: 1, at: 5, kind: kind.into() };
        let joined =
            decode(&row(r#"{"type":"player_joined","player":1,"name":"Ada","token":"ab"}"#)).unwrap();
        assert_eq!(
            joined.kind,
            EventKind::PlayerJoined {
                player: PlayerId(1),
                name: "Ada".into(),
                token: Token::new("ab"),
                join_id: None
            }
        );
        assert_eq!(decode(&row(r#"{"type":"ended"}"#)).unwrap().kind, EventKind::Ended);
        assert!(decode(&row(r#"{"type":"from_the_future"}"#)).is_err());
        // Rows from before verifiable draws: no seed (so "not verifiable"), no beacon.
        let started = decode(&row(r#"{"type":"started","host_token":"h"}"#)).unwrap();
        assert_eq!(
            started.kind,
            EventKind::Started {
                host_token: Token::new("h"),
                code: String::new(),
                seed: None,
                beacon: false
            }
        );
        let voided = decode(&row(r#"{"type":"draw_voided","draw":2}"#)).unwrap();
        assert_eq!(
            voided.kind,
            EventKind::DrawVoided { draw: DrawNumber(2), reason: VoidReason::NobodyLeft }
        );
        let drawn = decode(&row(r#"{"type":"winner_drawn","draw":2,"winner":3}"#)).unwrap();
        assert_eq!(
            drawn.kind,
            EventKind::WinnerDrawn { draw: DrawNumber(2), winner: PlayerId(3), beacon: None }
        );
    }
}
