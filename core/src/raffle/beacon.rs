//! The drand beacon whose randomness a draw waits for: which round that is, when it comes out,
//! and whether a round's signature is genuine. Chain parameters are given, never built in, so
//! that tests can replay recorded rounds as if they were still to come.

use super::Millis;

/// A drand chain (for Raffler: quicknet, `bls-unchained-g1-rfc9380`, a round every 3 s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// The chain's hash, hex: the relays' URLs name it.
    pub hash: String,
    /// Its public key, 96 bytes (a point on G2).
    pub public_key: [u8; 96],
    /// Unix time in seconds of round 1.
    pub genesis_time: u64,
    /// Seconds between rounds.
    pub period: u64,
}

impl Chain {
    /// The latest round out at `now` (0 before round 1).
    pub fn round_at(&self, now: Millis) -> u64 {
        let seconds = now.0 / 1_000;
        if seconds < self.genesis_time {
            return 0;
        }
        (seconds - self.genesis_time) / self.period + 1
    }

    /// When `round` comes out.
    pub fn time_of(&self, round: u64) -> Millis {
        Millis((self.genesis_time + round.saturating_sub(1) * self.period) * 1_000)
    }

    /// The first round that does not exist yet at `now`: its value cannot be known to anyone.
    pub fn next_round(&self, now: Millis) -> u64 {
        self.round_at(now) + 1
    }
}

/// A round's value as a relay serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub round: u64,
    /// 48 bytes (a point on G1).
    pub signature: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BeaconError {
    #[error("the beacon's signature for round {0} is not the chain's: refused")]
    Forged(u64),
    #[error("the beacon's data is malformed: {0}")]
    Malformed(String),
}

/// The round's randomness, SHA-256 of its signature (drand's definition), if the signature is
/// the chain's own for this round.
#[cfg(feature = "beacon")]
pub fn verify(chain: &Chain, round: &Round) -> Result<super::fairness::Hash, BeaconError> {
    use drand_verify::{G2PubkeyRfc, Pubkey};
    let key = G2PubkeyRfc::from_fixed(chain.public_key).map_err(|e| BeaconError::Malformed(e.to_string()))?;
    match key.verify(round.round, b"", &round.signature) {
        Ok(true) => Ok(drand_verify::derive_randomness(&round.signature)),
        Ok(false) => Err(BeaconError::Forged(round.round)),
        Err(e) => Err(BeaconError::Malformed(e.to_string())),
    }
}

/// Real quicknet rounds as the relays served them (public data): `(round, signature, randomness)`,
/// hex. Tests and the local relay stub replay them as if they were still to come.
pub const RECORDED_QUICKNET: [(u64, &str, &str); 2] = [
    (
        1_000,
        "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39",
        "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd",
    ),
    (
        657_413,
        "b713718a38ae728dfd477991af2822e08d2f305e47718cef9f7848ce4050e7be41076862b98fad56e91a6b85b89cd97b",
        "fc1873a13f3545aeade8401532ef5519920652eee6b0d2b19ca12643b87b3587",
    ),
];

/// League of Entropy's quicknet, as published at `<relay>/<hash>/info`.
pub fn quicknet() -> Chain {
    Chain {
        hash: "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971".into(),
        public_key: super::fairness::from_hex(
            "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
        )
        .expect("96 bytes of hex"),
        genesis_time: 1_692_803_367,
        period: 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_follow_the_chains_clock() {
        let chain = quicknet();
        assert_eq!(chain.round_at(Millis(1_692_803_367_000)), 1);
        assert_eq!(chain.round_at(Millis(1_692_803_369_999)), 1);
        assert_eq!(chain.round_at(Millis(1_692_803_370_000)), 2);
        assert_eq!(chain.time_of(1_000), Millis((1_692_803_367 + 999 * 3) * 1_000));
        assert_eq!(chain.next_round(chain.time_of(1_000)), 1_001, "a round out is never named");
        assert_eq!(chain.round_at(Millis(0)), 0);
    }
}

/// Signatures checked against real rounds: only where the BLS code is built in.
#[cfg(all(test, feature = "beacon"))]
pub(crate) mod signature_tests {
    use super::*;
    use crate::raffle::fairness::{from_hex, to_hex};

    use super::RECORDED_QUICKNET as RECORDED;

    fn round(n: u64, signature: &str) -> Round {
        Round { round: n, signature: from_hex::<48>(signature).unwrap().to_vec() }
    }

    #[test]
    fn recorded_rounds_verify_and_give_their_randomness() {
        for (n, signature, randomness) in RECORDED {
            assert_eq!(to_hex(&verify(&quicknet(), &round(n, signature)).unwrap()), randomness);
        }
    }

    #[test]
    fn a_signature_for_another_round_or_altered_is_refused() {
        let (n, signature, _) = RECORDED[0];
        assert_eq!(verify(&quicknet(), &round(n + 1, signature)), Err(BeaconError::Forged(n + 1)));
        let mut altered = round(n, signature);
        altered.signature[47] ^= 1;
        assert!(verify(&quicknet(), &altered).is_err());
        let short = Round { round: n, signature: vec![0; 10] };
        assert!(matches!(verify(&quicknet(), &short), Err(BeaconError::Malformed(_))));
    }
}
