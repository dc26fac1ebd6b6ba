//! The verify page's checker, compiled to its own small wasm (`scripts/build_verifier.sh`): the
//! core's record check (`raffler_core::verify`, the code that drew the winners) with drand's
//! BLS signature check. It loads only on `/verify/<CODE>`; the phone's join page never carries
//! it. `www/verify.js` renders its answer.

use raffler_core::raffle::beacon::{self, quicknet, Chain, Round};
use raffler_core::raffle::fairness::{self, from_hex};
use raffler_core::verify::{check, ChainView, DrawCheck, Outcome, RecordCheck, VerifyRecord};
use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;

/// What the page shows of a record.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Verdict {
    /// `verified` (every draw recomputed), `pending` (the seed is not out yet, or a draw
    /// spins), `mismatch` (some draw does not add up), `seed_mismatch`, `not_verifiable`, or
    /// `unreadable` (not a Raffler record).
    pub status: &'static str,
    /// Why, in words, for the page to show.
    pub message: String,
    pub draws: Vec<DrawVerdict>,
    /// Whether the chain named is League of Entropy's quicknet itself (`false`: another chain,
    /// e.g. a test relay: its key is only as good as whoever named it).
    pub quicknet: bool,
    /// The commitment's fingerprint, as the big screen and the phones showed it.
    pub fingerprint: Option<String>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct DrawVerdict {
    pub draw: u32,
    /// `verified`, `seed_only`, `void`, `mismatch` or `pending`.
    pub status: &'static str,
    /// For `mismatch`: the field that does not match; for `void`: why.
    pub detail: Option<String>,
}

/// Checks a record given as JSON; answers a [`Verdict`] as JSON.
#[wasm_bindgen]
pub fn check_record(json: &str) -> String {
    serde_json::to_string(&verdict(json)).expect("a verdict serializes")
}

pub fn verdict(json: &str) -> Verdict {
    let record: VerifyRecord = match serde_json::from_str(json) {
        Ok(record) => record,
        Err(e) => return whole("unreadable", format!("This is not a Raffler record: {e}.")),
    };
    let quicknet = record.beacon_chain.as_ref().is_some_and(is_quicknet);
    let fingerprint =
        record.commitment.as_deref().and_then(from_hex::<32>).map(|c| fairness::fingerprint(&c));
    let draws = match check(&record, signature_is_genuine) {
        RecordCheck::NotVerifiable => {
            return whole(
                "not_verifiable",
                "Not verifiable: this raffle ran before Raffler committed to a seed (raffler-draw/1).".into(),
            )
        }
        RecordCheck::SeedMismatch => return whole(
            "seed_mismatch",
            "The published seed is not the one committed to before anyone joined: no draw can be trusted."
                .into(),
        ),
        RecordCheck::Checked(draws) => draws,
    };
    let draws: Vec<DrawVerdict> = draws.into_iter().map(|(draw, c)| draw_verdict(draw, c)).collect();
    let (status, message) = if let Some(bad) = draws.iter().find(|d| d.status == "mismatch") {
        let field = bad.detail.as_deref().unwrap_or("?");
        ("mismatch", format!("Draw {} does not match: {field}.", bad.draw))
    } else if draws.iter().any(|d| d.status == "pending") {
        (
            "pending",
            "Not all draws can be checked yet: the seed is published when the raffle has ended.".into(),
        )
    } else {
        ("verified", format!("All {} draws recomputed: the same winners.", draws.len()))
    };
    Verdict { status, message, draws, quicknet, fingerprint }
}

fn whole(status: &'static str, message: String) -> Verdict {
    Verdict { status, message, draws: Vec::new(), quicknet: false, fingerprint: None }
}

fn draw_verdict(draw: u32, check: DrawCheck) -> DrawVerdict {
    let (status, detail) = match check {
        DrawCheck::Verified { seed_only: false } => ("verified", None),
        DrawCheck::Verified { seed_only: true } => ("seed_only", None),
        DrawCheck::Void(Outcome::BeaconLate) => {
            ("void", Some("the beacon round did not come in time".into()))
        }
        DrawCheck::Void(_) => ("void", Some("everyone who could win had left".into())),
        DrawCheck::Mismatch { field } => ("mismatch", Some(field.to_owned())),
        DrawCheck::Pending => ("pending", None),
    };
    DrawVerdict { draw, status, detail }
}

fn chain_of(view: &ChainView) -> Option<Chain> {
    Some(Chain {
        hash: view.hash.clone(),
        public_key: from_hex::<96>(&view.public_key)?,
        genesis_time: view.genesis_time,
        period: view.period,
    })
}

fn signature_is_genuine(view: &ChainView, round: u64, signature: &[u8]) -> bool {
    chain_of(view)
        .is_some_and(|chain| beacon::verify(&chain, &Round { round, signature: signature.to_vec() }).is_ok())
}

fn is_quicknet(view: &ChainView) -> bool {
    chain_of(view).is_some_and(|chain| chain == quicknet())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_unreadable_not_a_panic() {
        assert_eq!(verdict("{").status, "unreadable");
        assert_eq!(verdict("[]").status, "unreadable");
    }

    #[test]
    fn a_record_from_before_is_not_verifiable() {
        let json = r#"{"scheme":"raffler-draw/1","code":"AAAAAA","commitment":null,"seed":null,"beacon_chain":null,"draws":[]}"#;
        assert_eq!(verdict(json).status, "not_verifiable");
    }
}
