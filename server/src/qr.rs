//! The QR codes on the host's screens: the join page with the code already filled in (on the
//! stage), and the one-time link that pairs the host's phone as a remote (on the controls).
//! The join QR's answer tells whether a code exists, so it counts wrong codes like a join
//! does: an address over the limit gets 429 for any code until it has waited.

use crate::app_state::AppState;
use axum::{
    extract::{ConnectInfo, Path, Query, State},
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

#[derive(serde::Deserialize)]
pub struct Pairing {
    pair: String,
}

/// The pairing link as a QR code, for the controls. It holds nothing the asker does not know
/// already (the link is in the request), so it looks nothing up; it only refuses what is not
/// a code and a link the server could have made, so that it is no QR service for any text.
/// Never cached: the link is a secret until it is used.
pub async fn remote_qr_svg(
    Path(code): Path<String>,
    Query(Pairing { pair }): Query<Pairing>,
    State(state): State<AppState>,
) -> Response {
    let code_ok = !code.is_empty() && code.len() <= 16 && code.bytes().all(|b| b.is_ascii_alphanumeric());
    let link_ok = pair.len() == 32 && pair.bytes().all(|b| b.is_ascii_hexdigit());
    if !code_ok || !link_ok {
        return (StatusCode::BAD_REQUEST, "That is not a pairing link.").into_response();
    }
    svg_response(&state.hub.remote_url(&code, &pair), "no-store")
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
