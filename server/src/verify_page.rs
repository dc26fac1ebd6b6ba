//! `/verify/<CODE>`: the page where anyone checks a raffle's draws, and
//! `/verify/<CODE>/record.json`: the record it checks (docs/fairness.md).
//!
//! The record is read from the database, not from the running raffle: it holds exactly what
//! was written (and so announced), for as long as the raffle is kept, open or closed. The seed
//! is in it only once the raffle has ended and no draw spins (`Raffle::revealed_seed`).
//!
//! The page is a plain document, not a Leptos route: it loads its own small wasm (the core's
//! check with the BLS signature check, `verifier/`) from `/verifier/` (the site's files, built
//! into `public/verifier/` by `scripts/build_verifier.sh`), and not the app's.
//! A code that is not a raffle's counts as a wrong code, as a join does.

use crate::app_state::AppState;
use crate::qr::too_many_wrong_codes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use raffler_core::raffle::{Raffle, RaffleSettings};
use raffler_core::verify;
use rand::{rngs::StdRng, SeedableRng};
use std::net::SocketAddr;

/// The page's own policy: its scripts and wasm from this server, nothing inline.
const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// A join code as typed, made canonical; `None` if it cannot be one (so it is never echoed).
fn canonical(code: &str) -> Option<String> {
    let code = code.trim().to_ascii_uppercase();
    (!code.is_empty() && code.len() <= 12 && code.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(code)
}

pub async fn page(Path(code): Path<String>) -> Response {
    let Some(code) = canonical(&code) else {
        return (StatusCode::NOT_FOUND, "That is not a raffle code.").into_response();
    };
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verify raffle {code} · Raffler</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/verifier/verify.css">
<script type="module" src="/verifier/verify.js"></script>
</head>
<body data-code="{code}">
<main>
<h1>Verify raffle {code}</h1>
<p class="lead">Every winner of this raffle, recomputed here in your browser from the published inputs, with the same code that drew them (scheme raffler-draw/1, explained in Raffler's docs/fairness.md, which also has a Python check of its own).</p>
<p id="verdict" role="status" aria-live="polite">Checking…</p>
<noscript><p>This check runs in your browser: turn JavaScript on, or check the record with the Python script in docs/fairness.md.</p></noscript>
<section id="record" aria-label="The record" hidden>
<dl id="inputs"></dl>
<p><a id="download" href="/verify/{code}/record.json" download="raffle-{code}.json">Download the record (JSON)</a></p>
<h2>Draws</h2>
<ol id="draws"></ol>
</section>
<section aria-label="Check a downloaded record">
<h2>Check a downloaded record</h2>
<label for="file">A record saved earlier (JSON)</label>
<input id="file" type="file" accept="application/json,.json">
</section>
</main>
</body>
</html>
"#
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CONTENT_SECURITY_POLICY, PAGE_CSP)], html)
        .into_response()
}

pub async fn record(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
) -> Response {
    if let Err(wait) = state.guards.may_try_codes(peer.ip()) {
        return too_many_wrong_codes(wait);
    }
    let Some(code) = canonical(&code) else { return no_such_raffle() };
    let events = match state.store.read_events(&code).await {
        Ok(events) => events,
        Err(err) => {
            tracing::error!(%err, code, "could not read a raffle's record");
            return (StatusCode::SERVICE_UNAVAILABLE, "The database could not be read; try again.")
                .into_response();
        }
    };
    if events.is_empty() {
        if let Err(wait) = state.guards.wrong_code(peer.ip()) {
            return too_many_wrong_codes(wait);
        }
        return no_such_raffle();
    }
    // Replayed, never drawn from: the random source is never asked.
    let raffle = Raffle::replay(RaffleSettings::default(), &events, Box::new(StdRng::seed_from_u64(0)));
    let record = verify::record(&raffle, &code, state.beacon_chain.clone());
    let json = serde_json::to_string_pretty(&record).expect("a record serializes");
    ([(header::CONTENT_TYPE, "application/json")], json).into_response()
}

fn no_such_raffle() -> Response {
    (StatusCode::NOT_FOUND, "No raffle with that code is kept on this server (it may have been purged).")
        .into_response()
}
