//! The WebSocket handshake (RFC 6455 section 4.2), answered here rather than by axum's
//! `WebSocketUpgrade`: a session needs the TCP socket itself, so that a broadcast is written
//! to it straight from the raffle (`outbox.rs`), and axum's WebSocket hides the socket.
//! tungstenite still reads every frame a phone sends (`wire.rs`).

use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use hyper::upgrade::OnUpgrade;

/// A request that asked to become a WebSocket, checked: answer it with [`Handshake::accept`].
pub struct Handshake {
    accept_key: HeaderValue,
    pub on_upgrade: OnUpgrade,
}

/// Checks that `request` is a WebSocket handshake this server can take; otherwise the answer
/// that says what is wrong with it.
pub fn check(mut request: Request) -> Result<Handshake, Refusal> {
    let accept_key = accept_key(&request)?;
    let Some(on_upgrade) = request.extensions_mut().remove::<OnUpgrade>() else {
        return Err(refusal(StatusCode::UPGRADE_REQUIRED, "This connection cannot become a WebSocket."));
    };
    Ok(Handshake { accept_key, on_upgrade })
}

/// Why a request cannot become a WebSocket: its status and the words that say why.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    why: &'static str,
}

pub fn refusal(status: StatusCode, why: &'static str) -> Refusal {
    Refusal { status, why }
}

impl IntoResponse for Refusal {
    /// With the security headers every other response gets from the middlewares that `/ws`
    /// is routed around (a `101` needs none of them, and every join would pay for them).
    fn into_response(self) -> Response {
        let mut response = (self.status, self.why).into_response();
        crate::headers::secure(response.headers_mut());
        response
    }
}

/// The `Sec-WebSocket-Accept` answering a well-formed handshake request.
fn accept_key(request: &Request) -> Result<HeaderValue, Refusal> {
    if request.method() != Method::GET {
        return Err(refusal(StatusCode::METHOD_NOT_ALLOWED, "A WebSocket handshake is a GET request."));
    }
    let headers = request.headers();
    if !header_has_token(headers, header::CONNECTION, "upgrade") {
        return Err(refusal(StatusCode::BAD_REQUEST, "The Connection header must include `upgrade`."));
    }
    if !header_has_token(headers, header::UPGRADE, "websocket") {
        return Err(refusal(StatusCode::BAD_REQUEST, "The Upgrade header must be `websocket`."));
    }
    if headers.get(header::SEC_WEBSOCKET_VERSION).is_none_or(|v| v.as_bytes() != b"13") {
        return Err(refusal(StatusCode::BAD_REQUEST, "Only WebSocket version 13 is spoken here."));
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return Err(refusal(StatusCode::BAD_REQUEST, "The Sec-WebSocket-Key header is missing."));
    };
    Ok(HeaderValue::from_str(&tungstenite::handshake::derive_accept_key(key.as_bytes()))
        .expect("base64 is a valid header value"))
}

impl Handshake {
    /// The `101 Switching Protocols` answer; the socket is the session's once it is sent.
    pub fn accept(&self) -> Response {
        let headers = [
            (header::CONNECTION, HeaderValue::from_static("upgrade")),
            (header::UPGRADE, HeaderValue::from_static("websocket")),
            (header::SEC_WEBSOCKET_ACCEPT, self.accept_key.clone()),
        ];
        (StatusCode::SWITCHING_PROTOCOLS, headers).into_response()
    }
}

/// Whether a comma-separated header holds `token`, in any case (`Connection: keep-alive, Upgrade`).
fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|value| value.split(',').any(|part| part.trim().eq_ignore_ascii_case(token)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().uri("/ws");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).unwrap()
    }

    const GOOD: [(&str, &str); 4] = [
        ("connection", "keep-alive, Upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];

    fn status(result: Result<Handshake, Refusal>) -> StatusCode {
        match result {
            Ok(_) => StatusCode::SWITCHING_PROTOCOLS,
            Err(refusal) => refusal.into_response().status(),
        }
    }

    #[test]
    fn a_request_that_is_not_a_handshake_is_told_why() {
        assert_eq!(status(check(request(&GOOD[1..]))), StatusCode::BAD_REQUEST, "no Connection: upgrade");
        assert_eq!(status(check(request(&[GOOD[0], GOOD[2], GOOD[3]]))), StatusCode::BAD_REQUEST);
        let old = [GOOD[0], GOOD[1], ("sec-websocket-version", "8"), GOOD[3]];
        assert_eq!(status(check(request(&old))), StatusCode::BAD_REQUEST, "another version");
        assert_eq!(status(check(request(&GOOD[..3]))), StatusCode::BAD_REQUEST, "no key");
        // A handshake that hyper cannot upgrade (no connection under it, as here).
        assert_eq!(status(check(request(&GOOD))), StatusCode::UPGRADE_REQUIRED);
    }

    #[test]
    fn the_accept_key_is_the_rfc_example() {
        // RFC 6455 section 1.3: this key is answered with this accept value.
        let key = accept_key(&request(&GOOD)).expect("a good handshake");
        assert_eq!(key, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        let post = Request::builder().method("POST").uri("/ws").body(Body::empty()).unwrap();
        assert_eq!(accept_key(&post).unwrap_err().status, StatusCode::METHOD_NOT_ALLOWED);
    }
}
