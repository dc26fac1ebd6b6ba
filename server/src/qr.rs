//! The QR code on the host screen: it opens the join page with the code already filled in.

use crate::AppState;
use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use qrcode::{render::svg, EcLevel, QrCode};

pub async fn join_qr_svg(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let Some((code, _)) = state.hub.find(&code) else {
        return (StatusCode::NOT_FOUND, "No raffle has that code.").into_response();
    };
    let url = state.hub.join_url(&code);
    // Medium error correction survives glare on a projector without making the code dense.
    let svg = match QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M) {
        Ok(qr) => qr.render::<svg::Color>().min_dimensions(320, 320).quiet_zone(true).build(),
        Err(err) => return (StatusCode::INTERNAL_SERVER_ERROR, format!("QR code: {err}")).into_response(),
    };
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "max-age=3600")], svg).into_response()
}
