//! The QR code on the stage: it opens the join page with the code already filled in. Its
//! answer tells whether a code exists, so it counts wrong codes like a join does: an address
//! over the limit gets 429 for any code until it has waited. (The pairing link's QR code goes
//! over the socket to the controls alone: `views::remote_link`.)

use crate::app_state::AppState;
use axum::{
    extract::{ConnectInfo, Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use qrcode::{render::svg, EcLevel, QrCode};
use std::net::SocketAddr;
use std::time::Duration;

pub async fn join_qr_svg(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
) -> Response {
    if let Err(wait) = state.guards.may_try_codes(peer.ip()) {
        return too_many_wrong_codes(wait);
    }
    let Some((code, _)) = state.hub.find(&code) else {
        if let Err(wait) = state.guards.wrong_code(peer.ip()) {
            return too_many_wrong_codes(wait);
        }
        return (StatusCode::NOT_FOUND, "No raffle has that code.").into_response();
    };
    svg_response(&state.hub.join_url(&code), "max-age=3600")
}

fn svg_response(url: &str, cache: &'static str) -> Response {
    // Medium error correction survives glare on a projector without making the code dense.
    let svg = match QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M) {
        Ok(qr) => qr.render::<svg::Color>().min_dimensions(320, 320).quiet_zone(true).build(),
        Err(err) => return (StatusCode::INTERNAL_SERVER_ERROR, format!("QR code: {err}")).into_response(),
    };
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, cache)], svg).into_response()
}

/// 429 with `Retry-After`: this address has tried too many codes that are no raffle's.
pub fn too_many_wrong_codes(wait: Duration) -> Response {
    let seconds = wait.as_secs() + 1;
    let retry_after = [(header::RETRY_AFTER, seconds.to_string())];
    (StatusCode::TOO_MANY_REQUESTS, retry_after, "Too many wrong codes from your network.").into_response()
}
