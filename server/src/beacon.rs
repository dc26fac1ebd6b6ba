//! The drand beacon, fetched: which chain, which relays, and the signature check before a round
//! reaches a raffle.
//!
//! A draw names its round in `draw_started` (a round nobody can know yet); when that round is
//! due, the raffle task asks [`Relays::fetch`] for it. Each relay is asked in turn until one
//! answers with a value whose BLS signature is the chain's own for that round; a forged or
//! malformed answer is logged and the next relay asked, so one bad relay can neither forge a
//! winner nor hold up a draw that another relay can serve. The room gets only checked values;
//! if none comes in time, the core voids the draw (it never falls back to the seed alone).
//!
//! Chain and relays are settings: tests serve recorded rounds from a local relay, with the
//! chain's genesis shifted so that an old round is still to come.

use raffler_core::raffle::beacon::{self, Chain, Round};
use raffler_core::raffle::{fairness, BeaconClock, BeaconValue};
use raffler_core::verify::ChainView;
use serde::Deserialize;
use std::time::Duration;
use tokio::time::Instant;

/// Where this server's draws take their public randomness from.
#[derive(Debug, Clone)]
pub struct BeaconSource {
    pub chain: Chain,
    /// Base URLs, without a trailing slash; a round is at `<relay>/<chain hash>/public/<round>`.
    pub relays: Vec<String>,
}

/// League of Entropy's own relays for quicknet (each serves every chain it runs by its hash).
pub const PUBLIC_RELAYS: [&str; 3] =
    ["https://api.drand.sh", "https://api2.drand.sh", "https://drand.cloudflare.com"];

impl BeaconSource {
    /// The clock a raffle names rounds by.
    pub fn clock(&self) -> BeaconClock {
        BeaconClock { genesis_time: self.chain.genesis_time, period: self.chain.period }
    }

    /// The chain as a verify record names it.
    pub fn chain_view(&self) -> ChainView {
        ChainView {
            hash: self.chain.hash.clone(),
            public_key: fairness::to_hex(&self.chain.public_key),
            genesis_time: self.chain.genesis_time,
            period: self.chain.period,
        }
    }
}

/// How long one relay has to answer one request; a slow relay gives way to the next.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);
/// Between two rounds of asking every relay: a round is usually out within a second of its time.
const RETRY_EVERY: Duration = Duration::from_millis(500);

/// The relays, with one HTTP client for all of them.
#[derive(Clone)]
pub struct Relays {
    source: BeaconSource,
    http: reqwest::Client,
}

/// A relay's answer for one round (drand's JSON: `round`, `randomness`, `signature`).
#[derive(Deserialize)]
struct RelayRound {
    round: u64,
    signature: String,
}

#[derive(Debug, thiserror::Error)]
enum AskError {
    #[error("no answer: {0}")]
    Unreachable(#[from] reqwest::Error),
    #[error("not out yet (HTTP {0})")]
    NotYet(u16),
    #[error(transparent)]
    Refused(#[from] beacon::BeaconError),
}

impl Relays {
    pub fn new(source: BeaconSource) -> Self {
        let http = reqwest::Client::builder()
            .timeout(ASK_TIMEOUT)
            .user_agent(concat!("raffler/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with rustls and no system configuration always builds");
        Self { source, http }
    }

    pub fn source(&self) -> &BeaconSource {
        &self.source
    }

    /// `round`'s value, its signature checked, from the first relay that has it; asks again
    /// every half second until `give_up`, then `None` (the draw will be voided).
    pub async fn fetch(&self, round: u64, give_up: Instant) -> Option<BeaconValue> {
        loop {
            for relay in &self.source.relays {
                match self.ask(relay, round).await {
                    Ok(value) => return Some(value),
                    Err(AskError::NotYet(_)) => {}
                    Err(AskError::Refused(error)) => {
                        tracing::warn!(relay, round, %error, "a relay's beacon round was refused");
                    }
                    Err(error) => tracing::debug!(relay, round, %error, "beacon relay"),
                }
                if Instant::now() >= give_up {
                    break;
                }
            }
            if Instant::now() + RETRY_EVERY >= give_up {
                tracing::warn!(round, "no relay gave the beacon round in time: the draw is void");
                return None;
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
    }

    async fn ask(&self, relay: &str, round: u64) -> Result<BeaconValue, AskError> {
        let url = format!("{relay}/{}/public/{round}", self.source.chain.hash);
        let response = self.http.get(url).send().await?;
        if !response.status().is_success() {
            // drand relays answer 425 (too early) or 404 for a round not yet out.
            return Err(AskError::NotYet(response.status().as_u16()));
        }
        let body = response.bytes().await?;
        let answer: RelayRound = serde_json::from_slice(&body)
            .map_err(|e| beacon::BeaconError::Malformed(format!("not a drand round: {e}")))?;
        if answer.round != round {
            return Err(beacon::BeaconError::Malformed(format!(
                "asked for round {round}, got {}",
                answer.round
            ))
            .into());
        }
        let signature = fairness::hex_bytes(&answer.signature)
            .ok_or_else(|| beacon::BeaconError::Malformed("the signature is not hex".into()))?;
        let randomness = beacon::verify(&self.source.chain, &Round { round, signature: signature.clone() })?;
        Ok(BeaconValue { round, signature, randomness })
    }
}
