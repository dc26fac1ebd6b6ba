//! Settings from flags and environment variables: one `--help` lists them all.

use clap::Parser;
use std::net::SocketAddr;

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

    /// How long the names spin before a winner is revealed, in milliseconds (0 = at once).
    #[arg(long, env = "RAFFLER_SPIN_MS", default_value_t = 3_000)]
    pub spin_ms: u64,

    /// The longest player name accepted, in characters.
    #[arg(long, env = "RAFFLER_MAX_NAME_CHARS", default_value_t = app::raffle::MAX_NAME_CHARS)]
    pub max_name_chars: usize,

    /// The largest WebSocket text frame answered normally, in bytes; a larger one gets a
    /// `frame_too_large` error. Frames over 16 times this close the connection.
    #[arg(long, env = "RAFFLER_MAX_FRAME_BYTES", default_value_t = 4_096)]
    pub max_frame_bytes: usize,

    /// Seconds between pings to every connection; one that stays silent for two of these is
    /// closed (its player stays in the raffle and can resume).
    #[arg(long, env = "RAFFLER_HEARTBEAT_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    pub heartbeat_secs: u64,
}

impl Config {
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
            .or_else(|| std::env::var("LEPTOS_SITE_ADDR").ok()?.parse().ok())
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 3000)))
    }
}
