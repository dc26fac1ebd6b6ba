//! Security headers on every response, and a Content-Security-Policy for the pages that allows
//! this server's scripts, its WebAssembly and the one inline hydration script (by a nonce made
//! fresh for each page), and nothing else.

use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderValue},
    middleware::Next,
    response::Response,
};
use leptos::config::LeptosOptions;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// For every response: no MIME sniffing, no referrer, no framing. Responses that are not pages
/// (the QR SVG, errors) get a CSP that allows nothing at all.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    secure(response.headers_mut());
    response
}

/// The headers of `security_headers`, for a response that does not pass through it (a refused
/// WebSocket handshake, `socket::handshake::Refusal`: `/ws` is routed around the middlewares,
/// which cost a join ~5 % of its user-space instructions for headers a `101` does not need).
pub fn secure(headers: &mut HeaderMap) {
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
}

/// Runs while each page renders: Leptos has made this page's nonce and stamps it on its inline
/// script; the header allows exactly that script.
pub fn page_csp_context(options: &LeptosOptions) -> impl Fn() + Clone + Send + Sync + 'static {
    // `cargo leptos watch` reloads pages over its own socket on another port.
    let dev_reload = match options.env {
        leptos::config::Env::DEV => " ws:",
        leptos::config::Env::PROD => "",
    };
    move || {
        let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
        else {
            return;
        };
        let policy = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'{dev_reload}; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'"
        );
        if let Ok(value) = HeaderValue::from_str(&policy) {
            response.insert_header(header::CONTENT_SECURITY_POLICY, value);
        }
    }
}
