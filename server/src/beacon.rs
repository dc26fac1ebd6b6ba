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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Where this server's draws take their public randomness from.
#[derive(Debug, Clone)]
pub struct BeaconSource {
    pub chain: Chain,
    /// Base URLs, without a trailing slash; a round is at `<relay>/<chain hash>/public/<round>`.
    /// None: the beacon is off (new draws are seed only); the chain still names the one that
    /// earlier draws used, so that their records keep verifying.
    pub relays: Vec<String>,
}

/// League of Entropy's own relays for quicknet (each serves every chain it runs by its hash).
pub const PUBLIC_RELAYS: [&str; 3] =
    ["https://api.drand.sh", "https://api2.drand.sh", "https://drand.cloudflare.com"];

impl BeaconSource {
    /// The clock a raffle names rounds by; `None` when the beacon is off.
    pub fn clock(&self) -> Option<BeaconClock> {
        self.is_on()
            .then_some(BeaconClock { genesis_time: self.chain.genesis_time, period: self.chain.period })
    }

    /// Whether draws fetch rounds at all.
    pub fn is_on(&self) -> bool {
        !self.relays.is_empty()
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

/// The most bytes read of a relay's answer for one round.
const MAX_ROUND_BYTES: usize = 4_096;
/// How often the relays are asked whether they answer at all.
const PROBE_EVERY: Duration = Duration::from_secs(60);

/// The relays, with one HTTP client for all of them.
#[derive(Clone)]
pub struct Relays {
    source: BeaconSource,
    http: reqwest::Client,
    /// Whether a relay answered the latest probe (true until a probe says otherwise).
    reachable: Arc<AtomicBool>,
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
        Self { source, http, reachable: Arc::new(AtomicBool::new(true)) }
    }

    /// Whether a relay answered the latest probe. A raffle started while none does (a venue
    /// with no internet) starts with the beacon off, and says so, rather than have its first
    /// draw spin until the beacon's timeout and be void. The host can turn it on later.
    pub fn is_reachable(&self) -> bool {
        self.reachable.load(Ordering::Relaxed)
    }

    /// Probes the relays now and every minute until `stop`.
    pub async fn watch(self, stop: CancellationToken) {
        let mut every = tokio::time::interval(PROBE_EVERY);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = every.tick() => {}
            }
            let reachable = self.probe().await;
            if self.reachable.swap(reachable, Ordering::Relaxed) != reachable {
                match reachable {
                    true => tracing::info!("a beacon relay answers again: new raffles wait for the beacon"),
                    false => tracing::warn!(
                        relays = ?self.source.relays,
                        "no beacon relay answers: new raffles start with the beacon off (seed only)"
                    ),
                }
            }
        }
    }

    /// Whether any relay serves the chain's info.
    async fn probe(&self) -> bool {
        for relay in &self.source.relays {
            let url = format!("{relay}/{}/info", self.source.chain.hash);
            if self.http.get(url).send().await.is_ok_and(|r| r.status().is_success()) {
                return true;
            }
        }
        false
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
        // A round is about 200 bytes of JSON: a relay that sends more is not read further.
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_ROUND_BYTES {
                return Err(
                    beacon::BeaconError::Malformed("the answer is too long for a round".into()).into()
                );
            }
        }
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
