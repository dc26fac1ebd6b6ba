//! Settings from flags and environment variables: one `--help` lists them all. The defaults
//! are not written here: they come from `Limits::DEFAULT` and `RaffleSettings::default()`, so
//! that a server started by hand and one built in a test agree.

use crate::beacon::{BeaconSource, PUBLIC_RELAYS};
use crate::guards::Limits;
use clap::Parser;
use raffler_core::raffle::{beacon, fairness, RaffleSettings};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Parser)]
#[command(name = "raffler", version, about = "A real-time raffle for meetups and conferences.")]
pub struct Config {
    /// Address and port to listen on. Falls back to LEPTOS_SITE_ADDR (set by cargo-leptos),
    /// then to 0.0.0.0:3000 so that phones on the same network can reach it.
    #[arg(long, env = "RAFFLER_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// The URL phones use to reach this server, e.g. https://raffle.example.org behind a proxy
    /// or a tunnel. Default: http://<this machine's LAN address>:<port>.
    #[arg(long, env = "RAFFLER_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The SQLite file that keeps every raffle across restarts (created, with its folder, if
    /// missing). Back it up with `sqlite3 <file> ".backup <copy>"`, even while running.
    #[arg(long, env = "RAFFLER_DATABASE", default_value = "data/raffler.db")]
    pub database: PathBuf,

    /// A raffle with no activity for this many hours is ended and closed.
    #[arg(long, env = "RAFFLER_IDLE_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_hours: u64,

    /// Closed raffles (ended, or idle) are deleted from the database this many days later.
    #[arg(long, env = "RAFFLER_RETENTION_DAYS", default_value_t = 30)]
    pub retention_days: u64,

    /// How long the names spin before a winner is revealed, in milliseconds (0 = at once).
    #[arg(long, env = "RAFFLER_SPIN_MS", default_value_t = RaffleSettings::default().spin.0)]
    pub spin_ms: u64,

    /// The longest player name accepted, in characters.
    #[arg(long, env = "RAFFLER_MAX_NAME_CHARS", default_value_t = RaffleSettings::default().max_name_chars)]
    pub max_name_chars: usize,

    /// The largest WebSocket text frame answered normally, in bytes; a larger one gets a
    /// `frame_too_large` error. Frames over 16 times this close the connection.
    #[arg(long, env = "RAFFLER_MAX_FRAME_BYTES", default_value_t = 4_096)]
    pub max_frame_bytes: usize,

    /// Seconds between pings to every connection; one that stays silent for two of these is
    /// closed (its player stays in the raffle and can resume).
    #[arg(long, env = "RAFFLER_HEARTBEAT_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    pub heartbeat_secs: u64,

    /// The most players one raffle takes.
    #[arg(long, env = "RAFFLER_MAX_PLAYERS", default_value_t = RaffleSettings::default().max_players)]
    pub max_players: usize,

    /// The most prizes one raffle takes, counting removed ones and the unnamed prize each draw
    /// without a named prize adds: every one stays on the board and in the history.
    #[arg(long, env = "RAFFLER_MAX_PRIZES", default_value_t = RaffleSettings::default().max_prizes)]
    pub max_prizes: usize,

    /// The most raffles running on this server at once.
    #[arg(long, env = "RAFFLER_MAX_RAFFLES", default_value_t = Limits::DEFAULT.max_raffles)]
    pub max_raffles: usize,

    /// The most open connections from one client address. Conference Wi-Fi puts a whole room
    /// behind one address, so keep this above the room's size.
    #[arg(long, env = "RAFFLER_MAX_CONNECTIONS_PER_IP", default_value_t = Limits::DEFAULT.max_connections_per_ip)]
    pub max_connections_per_ip: usize,

    /// Join attempts per client address per minute, all of them at once if need be. Resumes
    /// (a screen coming back) never count. The default lets 2,000 people behind one NAT address
    /// join within a minute, with a thousand retries (a name taken, a typo) to spare.
    #[arg(long, env = "RAFFLER_JOINS_PER_MINUTE", default_value_t = Limits::DEFAULT.joins_per_minute)]
    pub joins_per_minute: u32,

    /// The most WebSocket connections at once. Default: as many as the open-file limit allows
    /// (the limit, less 256 and the pending connections); past it a screen is told to retry.
    #[arg(long, env = "RAFFLER_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,

    /// The most connections that are not WebSockets (page loads, silent sockets) at once, in
    /// all. When full, the one idle longest is closed to make room for the newest.
    #[arg(long, env = "RAFFLER_MAX_PENDING_CONNECTIONS", default_value_t = Limits::DEFAULT.max_pending_connections)]
    pub max_pending_connections: usize,

    /// Seconds a client has to send a request's head (request line and headers).
    #[arg(long, env = "RAFFLER_HEADER_TIMEOUT_SECS", default_value_t = Limits::DEFAULT.header_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_secs: u64,

    /// Seconds a connection that is not a WebSocket may stay open moving no byte (a socket that
    /// says nothing, a browser's idle keep-alive connection).
    #[arg(long, env = "RAFFLER_IDLE_CONNECTION_SECS", default_value_t = Limits::DEFAULT.idle_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_connection_secs: u64,

    /// Join attempts with a code no raffle has, per client address per minute. Past it, that
    /// address may try no code until the minute has passed.
    #[arg(long, env = "RAFFLER_WRONG_CODES_PER_MINUTE", default_value_t = Limits::DEFAULT.wrong_codes_per_minute)]
    pub wrong_codes_per_minute: u32,

    /// Raffles started per client address per hour.
    #[arg(long, env = "RAFFLER_RAFFLES_PER_HOUR", default_value_t = Limits::DEFAULT.raffles_per_hour)]
    pub raffles_per_hour: u32,

    /// Messages one connection may send per second (bursts of 3x are fine); a connection that
    /// keeps sending faster is closed (code 1008).
    #[arg(long, env = "RAFFLER_FRAMES_PER_SECOND", default_value_t = Limits::DEFAULT.frames_per_second)]
    pub frames_per_second: u32,

    /// Other origins whose pages may open a WebSocket, comma-separated, e.g.
    /// https://raffle.example.org. The server's own origin and RAFFLER_PUBLIC_URL always may.
    #[arg(long, env = "RAFFLER_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// The drand relays draws fetch their public randomness from, comma-separated base URLs;
    /// `off`: every draw uses the raffle's seed alone ("seed only", for a venue with no
    /// internet). Default: League of Entropy's public relays (docs/fairness.md).
    #[arg(long, env = "RAFFLER_BEACON_RELAYS")]
    pub beacon_relays: Option<String>,

    /// Seconds a draw waits for its beacon round after the round's time; past it the draw is
    /// void (never finished from the seed alone) and the host draws again.
    #[arg(long, env = "RAFFLER_BEACON_TIMEOUT_SECS", default_value_t = RaffleSettings::default().beacon_timeout.0 / 1_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub beacon_timeout_secs: u64,

    /// The beacon chain's hash, hex (default: quicknet's). With the three below, another drand
    /// chain, or a test relay replaying recorded rounds.
    #[arg(long, env = "RAFFLER_BEACON_CHAIN_HASH")]
    pub beacon_chain_hash: Option<String>,

    /// The chain's public key, 96 bytes in hex (a BLS12-381 G2 point; bls-unchained-g1-rfc9380).
    #[arg(long, env = "RAFFLER_BEACON_PUBLIC_KEY")]
    pub beacon_public_key: Option<String>,

    /// Unix time in seconds of the chain's round 1.
    #[arg(long, env = "RAFFLER_BEACON_GENESIS")]
    pub beacon_genesis: Option<u64>,

    /// Seconds between the chain's rounds.
    #[arg(long, env = "RAFFLER_BEACON_PERIOD", value_parser = clap::value_parser!(u64).range(1..))]
    pub beacon_period: Option<u64>,
}

impl Config {
    /// The beacon draws use, or `None` when turned off; an error names the setting that is wrong.
    pub fn beacon(&self) -> anyhow::Result<Option<BeaconSource>> {
        let relays: Vec<String> = match self.beacon_relays.as_deref().map(str::trim) {
            None => PUBLIC_RELAYS.iter().map(|r| (*r).to_owned()).collect(),
            Some("" | "off") => return Ok(None),
            Some(list) => list.split(',').map(|r| r.trim().trim_end_matches('/').to_owned()).collect(),
        };
        if let Some(bad) = relays.iter().find(|r| !(r.starts_with("https://") || r.starts_with("http://"))) {
            anyhow::bail!("RAFFLER_BEACON_RELAYS: {bad:?} is not an http(s) URL");
        }
        let mut chain = beacon::quicknet();
        if let Some(hash) = &self.beacon_chain_hash {
            chain.hash = hash.clone();
        }
        if let Some(key) = &self.beacon_public_key {
            chain.public_key = fairness::from_hex::<96>(key)
                .ok_or_else(|| anyhow::anyhow!("RAFFLER_BEACON_PUBLIC_KEY: not 96 bytes of hex"))?;
        }
        chain.genesis_time = self.beacon_genesis.unwrap_or(chain.genesis_time);
        chain.period = self.beacon_period.unwrap_or(chain.period);
        Ok(Some(BeaconSource { chain, relays }))
    }

    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
            .or_else(|| std::env::var("LEPTOS_SITE_ADDR").ok()?.parse().ok())
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 3000)))
    }
}
