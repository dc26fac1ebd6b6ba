//! The Raffler server: the SSR shell, the QR codes and the WebSocket raffles.
//!
//! - [`config`]: flags and environment variables.
//! - `app_state`: `AppState`, what every request handler is given.
//! - `hub`: the registry of running raffles, by join code.
//! - `ids`: join codes and secret tokens, from the OS-seeded CSPRNG.
//! - `room`: one raffle's server-side logic, sans I/O (roster, catch-up, fan-out, staging and
//!   commit); it returns what to write and which message goes to which audience.
//! - `raffle_task`: one task per raffle, the thin driver of its room: it awaits the inbox, the
//!   store and the timers, and performs the sends.
//! - `socket`: one task per WebSocket: the handshake, tungstenite's reading, the session that
//!   turns frames into raffle requests, the heartbeat.
//! - `outbox`: a connection's socket for writing, and its bounded queue of the frames a full
//!   socket could not take; hung up when it overflows.
//! - `views`: every message a screen is told, and what the host and the phones may see.
//! - `qr`: the QR code that opens the join page.
//! - `guards`: rate limits, connections per address and in all, the Origin check; the one
//!   place the limits' defaults are written.
//! - `connections`: the accept loop, timeouts and a cap for connections not yet WebSockets,
//!   and the open-file limit.
//! - [`beacon`]: the drand chain and relays draws take public randomness from, each round's
//!   signature checked before a raffle sees it.
//! - `clock`: the monotonic time raffle deadlines run on.
//! - `headers`: the security headers, with a per-page CSP nonce.
//! - `assets`: the wasm, JS and CSS precompressed and cached; pages compressed, not cached.
//! - [`site`]: where the site's files are, found beside the binary when run alone.
//! - `verify_page`: `/verify/<CODE>` and its `record.json`, read from the database.
//! - [`store`]: every raffle event in SQLite, written before it is announced.
//! - `metrics` and `ops`: `/metrics`, `/healthz`, and the purge of old raffles.
//!
//! No module imports one that imports it back: `scripts/check-module-cycles.py` checks it.
//!
//! [`Server::open`] opens the database and rebuilds the open raffles; [`Server::serve`] serves
//! them until shutdown. Tests call [`run`] with a listener on port 0.

mod app_state;
mod assets;
pub mod beacon;
mod clock;
pub mod config;
mod connections;
mod guards;
mod headers;
mod hub;
mod ids;
mod metrics;
mod ops;
mod outbox;
mod qr;
mod raffle_task;
mod room;
pub mod site;
mod socket;
pub mod store;
mod verify_page;
mod views;

pub use connections::{raise_open_file_limit, OpenFiles};
pub use guards::Limits;

use app::{shell, App};
use app_state::AppState;
use axum::{routing::get, Router};
use guards::Guards;
use hub::Hub;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use metrics::Metrics;
use raffle_task::TaskEnv;
use raffler_core::raffle;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::{Opened, StoreError};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Everything [`run`] needs, resolved (no defaults left to guess).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where phones reach this server, without a trailing slash.
    pub public_url: String,
    pub raffle: raffle::RaffleSettings,
    pub max_frame_bytes: usize,
    /// How often every connection is pinged; one silent for two of these is closed.
    pub heartbeat: std::time::Duration,
    pub limits: Limits,
    pub leptos: LeptosOptions,
    /// The SQLite file that holds every raffle; created with its folder if missing.
    pub database: PathBuf,
    /// A raffle with no event for this long is ended and closed.
    pub idle: Duration,
    /// Closed raffles are deleted from the database this long after they closed.
    pub retention: Duration,
    /// Where draws take their public randomness from; `None` or no relays: every draw is
    /// "seed only".
    /// It sets `raffle.beacon` (the clock rounds are named by) when the server starts.
    pub beacon: Option<beacon::BeaconSource>,
}

impl Settings {
    /// Fails with a message naming the setting when a beacon setting is malformed.
    pub fn from_config(
        config: &config::Config,
        public_url: String,
        leptos: LeptosOptions,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            raffle: raffle::RaffleSettings {
                spin: raffle::Millis(config.spin_ms),
                max_name_chars: config.max_name_chars,
                max_players: config.max_players,
                max_prizes: config.max_prizes,
                // Set from `beacon` below, when the server starts.
                beacon: None,
                beacon_timeout: raffle::Millis(config.beacon_timeout_secs.saturating_mul(1_000)),
                start_without_beacon: false,
            },
            max_frame_bytes: config.max_frame_bytes,
            heartbeat: std::time::Duration::from_secs(config.heartbeat_secs),
            limits: Limits {
                wrong_codes_per_minute: config.wrong_codes_per_minute,
                raffles_per_hour: config.raffles_per_hour,
                frames_per_second: config.frames_per_second,
                max_raffles: config.max_raffles,
                max_connections_per_ip: config.max_connections_per_ip,
                joins_per_minute: config.joins_per_minute,
                max_connections: config.max_connections,
                max_pending_connections: config.max_pending_connections,
                header_timeout: Duration::from_secs(config.header_timeout_secs),
                idle_timeout: Duration::from_secs(config.idle_connection_secs),
                allowed_origins: config.allowed_origins.clone(),
            },
            leptos,
            database: config.database.clone(),
            idle: Duration::from_secs(config.idle_hours.saturating_mul(3_600)),
            retention: Duration::from_secs(config.retention_days.saturating_mul(86_400)),
            beacon: config.beacon()?,
        })
    }
}

/// How long shutdown waits for sessions to say goodbye and raffle tasks to finish a write.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// A server with its database open and its raffles rebuilt, not yet listening.
pub struct Server {
    settings: Settings,
    opened: Opened,
    metrics: Arc<Metrics>,
}

impl Server {
    /// Opens (or creates) the database and reads back every open raffle. Fails, touching
    /// nothing, when the database cannot be read or is in use.
    pub fn open(settings: Settings) -> Result<Self, StoreError> {
        if let Some(folder) = settings.database.parent().filter(|p| !p.as_os_str().is_empty()) {
            // The database holds every screen's token: a folder it creates is the owner's only.
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(folder)
                .map_err(|_| StoreError::CannotOpen)?;
        }
        let metrics = Arc::new(Metrics::default());
        let opened = store::open(&settings.database, metrics.clone())?;
        Ok(Self { settings, opened, metrics })
    }

    /// The relays draws fetch the beacon from; `None` when it is off.
    pub fn beacon_relays(&self) -> Option<&[String]> {
        self.settings.beacon.as_ref().filter(|b| b.is_on()).map(|b| b.relays.as_slice())
    }

    /// How many open raffles the database held.
    pub fn raffles_restored(&self) -> usize {
        self.opened.open_raffles.len()
    }

    /// Serves until `shutdown` completes, then closes every connection with "server
    /// restarting" (1012), lets the raffle tasks finish and closes the database.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Server { mut settings, opened, metrics } = self;
        // One source for the beacon: the rounds a draw names follow the chain it is fetched from.
        settings.raffle.beacon = settings.beacon.as_ref().and_then(beacon::BeaconSource::clock);
        clock::now(); // anchors the raffles' clock as they load
        let limits = &settings.limits;
        let open_files = connections::open_files()?.soft;
        let max_pending = connections::pending_cap(limits.max_pending_connections, open_files);
        let budget = connections::websocket_budget(open_files, max_pending);
        let max_sockets = limits.max_connections.map_or(budget, |max| max.min(budget));
        tracing::info!(open_files, max_pending, max_sockets, "connection limits");
        if (max_sockets as u64) < limits.max_connections_per_ip as u64 + connections::RESERVED_FILES {
            tracing::warn!(
                open_files,
                max_sockets,
                max_connections_per_ip = limits.max_connections_per_ip,
                "the open-file limit leaves room for {max_sockets} phones: raise it (LimitNOFILE=65536 \
                 in the systemd unit, `ulimit -Hn 65536` as root in the shell, nofile in \
                 /etc/security/limits.conf)"
            );
        }
        let stop = CancellationToken::new();
        let tasks = TaskTracker::new();
        let store = opened.store.clone();
        let env = TaskEnv {
            store: store.clone(),
            metrics: metrics.clone(),
            stop: stop.clone(),
            tasks: tasks.clone(),
            idle: settings.idle,
            beacon: settings.beacon.clone().filter(beacon::BeaconSource::is_on).map(beacon::Relays::new),
            beacon_timeout: Duration::from_millis(settings.raffle.beacon_timeout.0),
        };
        let env_beacon = env.beacon.clone();
        let hub = Hub::new(
            settings.raffle,
            settings.public_url.clone(),
            settings.limits.max_raffles,
            env,
            opened.open_raffles,
            opened.taken_codes,
        );
        tasks.spawn(ops::purge_old_raffles(store.clone(), hub.clone(), settings.retention, stop.clone()));
        let state = AppState::new(app_state::Shared {
            leptos: settings.leptos.clone(),
            hub,
            guards: Arc::new(Guards::new(settings.limits.clone(), max_sockets)),
            store: store.clone(),
            metrics,
            stop: stop.clone(),
            tasks: tasks.clone(),
            public_url: settings.public_url.clone(),
            max_frame_bytes: settings.max_frame_bytes,
            heartbeat: settings.heartbeat,
            beacon_chain: settings.beacon.as_ref().map(beacon::BeaconSource::chain_view),
        });
        tasks.spawn(guards::prune_every_minute(state.guards.clone(), stop.clone()));
        if let Some(relays) = env_beacon {
            tasks.spawn(relays.watch(stop.clone()));
        }
        let app = router(state);
        let signal = stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: telling every screen, then closing the database");
            signal.cancel();
        });
        let http = connections::HttpLimits {
            header_timeout: settings.limits.header_timeout,
            idle_timeout: settings.limits.idle_timeout,
            max_pending,
        };
        let served = connections::serve(listener, app, http, stop.clone(), SHUTDOWN_GRACE).await;
        tasks.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, tasks.wait()).await.is_err() {
            tracing::warn!("some connections did not close in time; their events are on disk anyway");
        }
        store.stop().await;
        served
    }
}

/// Opens the database in `settings` and serves on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let server = tokio::task::spawn_blocking(move || Server::open(settings)).await??;
    server.serve(listener, shutdown).await?;
    Ok(())
}

fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let csp = headers::page_csp_context(&state.leptos);
    let pkg = assets::pkg_files(&state.leptos);
    Router::new()
        .route("/raffles/{code}/qr.svg", get(qr::join_qr_svg))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/verify/{code}", get(verify_page::page))
        .route("/verify/{code}/record.json", get(verify_page::record))
        .leptos_routes_with_context(&state, routes, csp.clone(), {
            let options = state.leptos.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(csp, shell))
        // Compressed as they are sent; the /pkg files come precompressed (nested below).
        .layer(tower_http::compression::CompressionLayer::new())
        .nest_service(&assets::pkg_route(&state.leptos), pkg)
        .layer(axum::middleware::from_fn(assets::cache_headers))
        .layer(axum::middleware::from_fn(headers::security_headers))
        // After the layers, so outside them: a `101` needs neither cache nor security headers
        // (a refusal gets the latter from `handshake::Refusal`), and every phone's join passes
        // here. Not compressed: an upgrade has no body, and its frames are not HTTP's.
        .route("/ws", get(socket::upgrade))
        .with_state(state)
}
