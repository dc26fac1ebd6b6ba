//! The Raffler server: the SSR shell, the QR codes and the WebSocket raffle hub.
//!
//! - [`config`]: flags and environment variables.
//! - `hub`: the registry of running raffles, by join code.
//! - `raffle_task`: one task per raffle, the only owner of its state machine.
//! - `socket`: one session per WebSocket, translating frames to raffle commands.
//! - `outbox`: a connection's bounded queue of frames, hung up when it overflows.
//! - `views`: what the host and the phones are shown of a raffle.
//! - `qr`: the QR code that opens the join page.
//! - `guards`: rate limits, connections per address, the Origin check.
//! - `headers`: the security headers, with a per-page CSP nonce.
//!
//! Tests call [`run`] with a listener on port 0.

pub mod config;
mod guards;
mod headers;
mod hub;
mod outbox;
mod qr;
mod raffle_task;
mod socket;
mod views;

pub use guards::Limits;

use app::{raffle, shell, App};
use axum::{extract::FromRef, routing::get, Router};
use guards::Guards;
use hub::Hub;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Everything [`run`] needs, resolved (no defaults left to guess).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where phones reach this server, without a trailing slash.
    pub public_url: String,
    pub raffle: raffle::Settings,
    pub max_frame_bytes: usize,
    /// How often every connection is pinged; one silent for two of these is closed.
    pub heartbeat: std::time::Duration,
    pub limits: Limits,
    pub leptos: LeptosOptions,
}

impl Settings {
    pub fn from_config(config: &config::Config, public_url: String, leptos: LeptosOptions) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            raffle: raffle::Settings {
                spin: raffle::Millis(config.spin_ms),
                max_name_chars: config.max_name_chars,
                max_players: config.max_players,
            },
            max_frame_bytes: config.max_frame_bytes,
            heartbeat: std::time::Duration::from_secs(config.heartbeat_secs),
            limits: Limits {
                wrong_codes_per_minute: config.wrong_codes_per_minute,
                raffles_per_hour: config.raffles_per_hour,
                frames_per_second: config.frames_per_second,
                max_raffles: config.max_raffles,
                max_connections_per_ip: config.max_connections_per_ip,
                allowed_origins: config.allowed_origins.clone(),
            },
            leptos,
        }
    }
}

#[derive(Clone)]
struct AppState {
    leptos: LeptosOptions,
    hub: Hub,
    guards: Arc<Guards>,
    public_url: String,
    max_frame_bytes: usize,
    heartbeat: std::time::Duration,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// Serves Raffler on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(settings);
    // Client addresses feed the per-address limits.
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

fn router(settings: Settings) -> Router {
    let state = AppState {
        leptos: settings.leptos.clone(),
        hub: Hub::new(settings.raffle, settings.public_url.clone(), settings.limits.max_raffles),
        guards: Arc::new(Guards::new(settings.limits.clone())),
        public_url: settings.public_url.clone(),
        max_frame_bytes: settings.max_frame_bytes,
        heartbeat: settings.heartbeat,
    };
    let routes = generate_route_list(App);
    let csp = headers::page_csp_context(&state.leptos);
    Router::new()
        .route("/ws", get(socket::upgrade))
        .route("/raffles/{code}/qr.svg", get(qr::join_qr_svg))
        .leptos_routes_with_context(&state, routes, csp.clone(), {
            let options = state.leptos.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(csp, shell))
        .layer(axum::middleware::from_fn(headers::security_headers))
        .with_state(state)
}
