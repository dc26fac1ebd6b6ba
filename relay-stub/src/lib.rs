//! A local drand relay for tests, so that no test needs the internet.
//!
//! It answers as League of Entropy's relays do: `GET /<chain hash>/info` and
//! `GET /<chain hash>/public/<round>` (JSON `round`, `randomness`, `signature`), and 425 Too Early
//! for a round whose time has not come. Its chain's genesis is chosen by the test, so that old
//! rounds are "still to come" when a draw names them. Two kinds of chain:
//! - [`Rounds::Recorded`]: quicknet itself (its hash and public key), serving only the real
//!   rounds recorded in [`RECORDED_QUICKNET`]: the server checks genuine drand signatures.
//! - [`Rounds::Signed`]: a test chain with a key of its own, signing any round when its time
//!   comes, for evenings with more draws than there are recorded rounds.
//!
//! Misbehaviour on demand: `forged` rounds are served with another round's signature (the server
//! must refuse them); `withheld` rounds are never served (the draw waiting for one is void).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bls12_381::hash_to_curve::{ExpandMsgXmd, HashToCurve};
use bls12_381::{G1Affine, G1Projective, G2Affine, Scalar};
use raffler_core::raffle::beacon::{quicknet, Chain, RECORDED_QUICKNET};
use raffler_core::raffle::fairness::{from_hex, to_hex};
use sha2_09::{Digest, Sha256};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// drand's domain separation tag for bls-unchained-g1-rfc9380 (quicknet's scheme).
const DST: &[u8] = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";

/// Which rounds the stub can serve.
#[derive(Clone)]
pub enum Rounds {
    /// Quicknet's recorded rounds only.
    Recorded,
    /// A test chain whose secret key is this scalar: every round, signed when due.
    Signed(Scalar),
}

/// A stub relay; clones share their misbehaviour, so a test can change it while it serves.
#[derive(Clone)]
pub struct Stub {
    pub chain: Chain,
    rounds: Rounds,
    misbehaviour: Arc<Mutex<Misbehaviour>>,
}

#[derive(Default)]
struct Misbehaviour {
    /// Served with another round's signature.
    forged: HashSet<u64>,
    /// Never served.
    withheld: HashSet<u64>,
}

impl Stub {
    /// Quicknet with its genesis moved so that round `round` comes out `after_secs` seconds from
    /// now, a round every `period` seconds.
    pub fn recorded(round: u64, after_secs: u64, period: u64) -> Self {
        let mut chain = quicknet();
        chain.period = period;
        chain.genesis_time = now_secs() + after_secs - (round - 1) * period;
        Self { chain, rounds: Rounds::Recorded, misbehaviour: Arc::default() }
    }

    /// A test chain keyed by `key_seed`, a round every `period` seconds, its round 1 long ago.
    pub fn signed(key_seed: u64, period: u64) -> Self {
        let secret = Scalar::from(key_seed.max(1)) * Scalar::from(0x5eed_u64);
        let public_key = G2Affine::from(G2Affine::generator() * secret).to_compressed();
        let hash = to_hex(&Sha256::digest(&public_key));
        let chain =
            Chain { hash, public_key, genesis_time: now_secs().saturating_sub(1_000 * period), period };
        Self { chain, rounds: Rounds::Signed(secret), misbehaviour: Arc::default() }
    }

    /// The same chain and rounds, misbehaving on its own: a second relay that forges while
    /// this one does not.
    pub fn clone_with_own_misbehaviour(&self) -> Self {
        Self { chain: self.chain.clone(), rounds: self.rounds.clone(), misbehaviour: Arc::default() }
    }

    /// From now on, `round` is served with another round's (genuine) signature.
    pub fn forge(&self, round: u64) {
        self.misbehaviour.lock().unwrap().forged.insert(round);
    }

    /// From now on, `round` is never served.
    pub fn withhold(&self, round: u64) {
        self.misbehaviour.lock().unwrap().withheld.insert(round);
    }

    /// The round's signature, if this stub has it (whatever its time).
    pub fn signature(&self, round: u64) -> Option<Vec<u8>> {
        match &self.rounds {
            Rounds::Recorded => RECORDED_QUICKNET
                .iter()
                .find(|(n, _, _)| *n == round)
                .and_then(|(_, signature, _)| from_hex::<48>(signature))
                .map(|s| s.to_vec()),
            Rounds::Signed(secret) => Some(sign(secret, round).to_vec()),
        }
    }

    /// Serves on `listener` until the process ends.
    pub async fn serve(self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route("/{hash}/info", get(info))
            .route("/{hash}/public/{round}", get(public))
            .with_state(Arc::new(self));
        axum::serve(listener, app).await.expect("the relay stub serves");
    }

    /// Starts serving on a free local port; returns its base URL.
    pub async fn spawn(self) -> String {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(self.serve(listener));
        url
    }
}

fn sign(secret: &Scalar, round: u64) -> [u8; 48] {
    let message = Sha256::digest(&round.to_be_bytes());
    let point = <G1Projective as HashToCurve<ExpandMsgXmd<Sha256>>>::hash_to_curve(message, DST);
    G1Affine::from(point * secret).to_compressed()
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

async fn info(State(stub): State<Arc<Stub>>, Path(hash): Path<String>) -> Response {
    if hash != stub.chain.hash {
        return StatusCode::NOT_FOUND.into_response();
    }
    Json(serde_json::json!({
        "public_key": to_hex(&stub.chain.public_key),
        "period": stub.chain.period,
        "genesis_time": stub.chain.genesis_time,
        "hash": stub.chain.hash,
        "schemeID": "bls-unchained-g1-rfc9380",
    }))
    .into_response()
}

async fn public(State(stub): State<Arc<Stub>>, Path((hash, round)): Path<(String, u64)>) -> Response {
    if hash != stub.chain.hash {
        return StatusCode::NOT_FOUND.into_response();
    }
    let due = stub.chain.genesis_time + round.saturating_sub(1) * stub.chain.period;
    let (forged, withheld) = {
        let m = stub.misbehaviour.lock().unwrap();
        (m.forged.contains(&round), m.withheld.contains(&round))
    };
    if round == 0 || now_secs() < due || withheld {
        return (StatusCode::TOO_EARLY, "round not out yet").into_response();
    }
    // A forged round carries a genuine signature, of another round.
    let signed = if forged {
        stub.signature(round + 1).or_else(|| {
            RECORDED_QUICKNET
                .iter()
                .find(|(n, _, _)| *n != round)
                .and_then(|(_, s, _)| from_hex::<48>(s))
                .map(|s| s.to_vec())
        })
    } else {
        stub.signature(round)
    };
    let Some(signature) = signed else { return StatusCode::NOT_FOUND.into_response() };
    let randomness: [u8; 32] = Sha256::digest(&signature).into();
    Json(serde_json::json!({
        "round": round,
        "randomness": to_hex(&randomness),
        "signature": to_hex(&signature),
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use raffler_core::raffle::beacon::{verify, BeaconError, Round};

    #[test]
    fn the_test_chain_signs_rounds_that_verify_and_forgeries_do_not() {
        let stub = Stub::signed(7, 1);
        let round = Round { round: 42, signature: stub.signature(42).unwrap() };
        assert!(verify(&stub.chain, &round).is_ok());
        let forged = Round { round: 43, signature: stub.signature(42).unwrap() };
        assert_eq!(verify(&stub.chain, &forged), Err(BeaconError::Forged(43)));
    }

    #[test]
    fn recorded_rounds_are_quicknets_own() {
        let stub = Stub::recorded(1_000, 5, 3);
        let round = Round { round: 1_000, signature: stub.signature(1_000).unwrap() };
        assert!(verify(&stub.chain, &round).is_ok());
        assert_eq!(stub.chain.time_of(1_000).0 / 1_000, now_secs() + 5);
        assert!(stub.signature(1_001).is_none());
    }
}
