//! The record of a raffle's draws that anyone can check, and the check itself: for every draw,
//! recompute the winner from the published inputs with the same code that drew it
//! (`raffle::fairness`). The server builds the record (`/verify/<CODE>/record.json`); the verify
//! page and `scripts/verify_record.py` check it. docs/fairness.md describes both.

use crate::protocol::PlayerView;
use crate::raffle::fairness::{self, from_hex, hex_bytes, to_hex, DrawInputs, SCHEME};
use crate::raffle::{PlayerId, Raffle, VoidReason};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Everything needed to recompute every draw of one raffle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRecord {
    /// `raffler-draw/1`.
    pub scheme: String,
    pub code: String,
    /// SHA-256 of the seed, hex, shown from the start; `None`: a raffle from before verifiable
    /// draws ("not verifiable").
    pub commitment: Option<String>,
    /// The seed, hex, once the raffle has ended and no draw spins; until then `None`.
    pub seed: Option<String>,
    /// The beacon chain the draws used, if any did.
    pub beacon_chain: Option<ChainView>,
    pub draws: Vec<DrawRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainView {
    pub hash: String,
    pub public_key: String,
    pub genesis_time: u64,
    pub period: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawRecord {
    pub draw: u32,
    pub prize: Option<String>,
    pub redraw_of: Option<u32>,
    /// Who could win, frozen when the draw started, by ascending id.
    pub entries: Vec<PlayerView>,
    pub entries_hash: Option<String>,
    /// The beacon round it waited for; `None`: from the seed alone (trusts the operator).
    pub beacon_round: Option<u64>,
    pub beacon_signature: Option<String>,
    pub beacon_randomness: Option<String>,
    /// Entries who had left (or were removed) by the reveal: passed over by the pick.
    pub withdrawn: Vec<u32>,
    pub outcome: Outcome,
    pub winner: Option<PlayerView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Winner,
    /// Everyone who could win had left.
    NobodyLeft,
    /// The beacon round did not come in time: void, never finished from the seed alone.
    BeaconLate,
    Spinning,
}

/// What the check says of one draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrawCheck {
    /// Recomputed: the same winner. `seed_only`: it trusts the server's operator (no beacon).
    Verified { seed_only: bool },
    /// Void: there was no winner to check (and the record says why).
    Void(Outcome),
    /// The record does not add up: `field` names what does not match.
    Mismatch { field: &'static str },
    /// Nothing to check yet (still spinning, or the seed is not published).
    Pending,
}

/// The check of a whole record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordCheck {
    NotVerifiable,
    /// The seed is not the one committed to: no draw can be trusted.
    SeedMismatch,
    Checked(Vec<(u32, DrawCheck)>),
}

/// Checks every draw of `record`. `verify_signature` checks a beacon round's signature against
/// the chain (the BLS check, which only the server and the verify page carry); randomness is
/// always checked to be SHA-256 of the signature.
pub fn check(
    record: &VerifyRecord,
    verify_signature: impl Fn(&ChainView, u64, &[u8]) -> bool,
) -> RecordCheck {
    let Some(commitment) = record.commitment.as_deref() else { return RecordCheck::NotVerifiable };
    if record.scheme != SCHEME {
        return RecordCheck::NotVerifiable;
    }
    let seed = match record.seed.as_deref().map(from_hex::<32>) {
        Some(Some(seed)) if to_hex(&fairness::commitment(&seed)) == commitment => Some(seed),
        Some(_) => return RecordCheck::SeedMismatch,
        None => None,
    };
    let draws = record
        .draws
        .iter()
        .enumerate()
        .map(|(i, d)| {
            // Draws are numbered 1, 2, 3… with no gap: a renumbered draw is caught for sure,
            // not only when its new number happens to pick someone else.
            if d.draw as usize != i + 1 {
                return (d.draw, DrawCheck::Mismatch { field: "draw" });
            }
            (d.draw, check_draw(record, d, seed.as_ref(), &verify_signature))
        })
        .collect();
    RecordCheck::Checked(draws)
}

fn check_draw(
    record: &VerifyRecord,
    d: &DrawRecord,
    seed: Option<&fairness::Seed>,
    verify_signature: &impl Fn(&ChainView, u64, &[u8]) -> bool,
) -> DrawCheck {
    let entries_hash = fairness::entries_hash(d.entries.iter().map(|e| (e.id, e.name.as_str())));
    if d.entries_hash.as_deref() != Some(to_hex(&entries_hash).as_str()) {
        return DrawCheck::Mismatch { field: "entries_hash" };
    }
    if !d.entries.windows(2).all(|w| w[0].id < w[1].id) {
        return DrawCheck::Mismatch { field: "entries" };
    }
    if d.outcome == Outcome::Spinning {
        return DrawCheck::Pending;
    }
    if d.outcome == Outcome::BeaconLate {
        return if d.beacon_round.is_some() && d.winner.is_none() {
            DrawCheck::Void(Outcome::BeaconLate)
        } else {
            DrawCheck::Mismatch { field: "outcome" }
        };
    }
    let randomness = match (d.beacon_round, &d.beacon_signature, &d.beacon_randomness) {
        (None, None, None) => None,
        (Some(round), Some(signature), Some(randomness)) => {
            let Some(signature) = hex_bytes(signature) else {
                return DrawCheck::Mismatch { field: "beacon_signature" };
            };
            let derived: fairness::Hash = Sha256::digest(&signature).into();
            if to_hex(&derived) != *randomness {
                return DrawCheck::Mismatch { field: "beacon_randomness" };
            }
            match &record.beacon_chain {
                Some(chain) if verify_signature(chain, round, &signature) => Some(derived),
                _ => return DrawCheck::Mismatch { field: "beacon_signature" },
            }
        }
        _ => return DrawCheck::Mismatch { field: "beacon_round" },
    };
    let Some(seed) = seed else { return DrawCheck::Pending };
    let still_in: Vec<bool> = d.entries.iter().map(|e| !d.withdrawn.contains(&e.id)).collect();
    let inputs = DrawInputs {
        code: &record.code,
        draw: d.draw,
        entries_hash: &entries_hash,
        randomness: randomness.as_ref(),
    };
    let picked = fairness::pick(seed, &inputs, &still_in).map(|i| &d.entries[i]);
    match (picked, d.outcome, &d.winner) {
        (Some(p), Outcome::Winner, Some(w)) if p == w => {
            DrawCheck::Verified { seed_only: randomness.is_none() }
        }
        (None, Outcome::NobodyLeft, None) => DrawCheck::Void(Outcome::NobodyLeft),
        _ => DrawCheck::Mismatch { field: "winner" },
    }
}

/// The record of `raffle` as it stands: the seed only once it may be published.
pub fn record(raffle: &Raffle, code: &str, chain: Option<ChainView>) -> VerifyRecord {
    let view = |id: PlayerId| PlayerView {
        id: id.0,
        name: raffle.player(id).map(|p| p.name.clone()).unwrap_or_default(),
    };
    let draws = raffle
        .draws()
        .iter()
        .map(|d| DrawRecord {
            draw: d.number.0,
            prize: raffle.prize(d.prize).and_then(|p| p.name.clone()),
            redraw_of: d.redraw_of.map(|r| r.0),
            entries: d.entries.iter().copied().map(view).collect(),
            entries_hash: d.entries_hash.map(|h| to_hex(&h)),
            beacon_round: d.beacon_round,
            beacon_signature: d.beacon.as_ref().map(|b| to_hex(&b.signature)),
            beacon_randomness: d.beacon.as_ref().map(|b| to_hex(&b.randomness)),
            withdrawn: d.withdrawn.iter().map(|p| p.0).collect(),
            outcome: match (d.winner, d.void_reason) {
                (Some(_), _) => Outcome::Winner,
                (None, Some(VoidReason::BeaconLate)) => Outcome::BeaconLate,
                (None, Some(VoidReason::NobodyLeft)) => Outcome::NobodyLeft,
                (None, None) => Outcome::Spinning,
            },
            winner: d.winner.map(view),
        })
        .collect();
    VerifyRecord {
        scheme: SCHEME.into(),
        code: code.into(),
        commitment: raffle.commitment().map(|c| to_hex(&c)),
        seed: raffle.revealed_seed().map(|s| to_hex(&s)),
        beacon_chain: chain.filter(|_| raffle.draws().iter().any(|d| d.beacon_round.is_some())),
        draws,
    }
}

#[cfg(test)]
mod tests;
