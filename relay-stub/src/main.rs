//! `relay-stub`: the local drand relay the Playwright tests start (see `lib.rs`).
//!
//!   relay-stub --port 3022 [--period 1] [--key-seed 7]
//!
//! Serves a test chain signed on the spot and prints one line of JSON with what a server
//! needs to use it: `{"url":…,"hash":…,"public_key":…,"genesis_time":…,"period":…}`.

use raffler_core::raffle::fairness::to_hex;
use relay_stub::Stub;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (mut port, mut period, mut key_seed) = (0u16, 1u64, 7u64);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        let bad = || -> ! {
            eprintln!("usage: relay-stub [--port N] [--period SECONDS] [--key-seed N] (got {flag} {value})");
            std::process::exit(2)
        };
        match flag.as_str() {
            "--port" => port = value.parse().unwrap_or_else(|_| bad()),
            "--period" => period = value.parse().ok().filter(|p| *p > 0).unwrap_or_else(|| bad()),
            "--key-seed" => key_seed = value.parse().unwrap_or_else(|_| bad()),
            _ => bad(),
        }
    }
    let stub = Stub::signed(key_seed, period);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("the port is free");
    let url = format!("http://{}", listener.local_addr().unwrap());
    println!(
        "{}",
        serde_json::json!({
            "url": url,
            "hash": stub.chain.hash,
            "public_key": to_hex(&stub.chain.public_key),
            "genesis_time": stub.chain.genesis_time,
            "period": stub.chain.period,
        })
    );
    stub.serve(listener).await;
}
