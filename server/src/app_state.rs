//! `AppState`: what every request handler (the WebSocket upgrade, the QR code, `/healthz`) is
//! given. Its own module, so that handlers import it and not the crate root that imports them.

use crate::guards::Guards;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::store::Store;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// One per server, shared: every handler and every WebSocket session holds a reference (8
/// bytes), not a copy (an idle phone's task held several; the heap profile).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub leptos: LeptosOptions,
    pub hub: Hub,
    pub guards: Arc<Guards>,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// Cancelled at shutdown: every session closes with "server restarting".
    pub stop: CancellationToken,
    /// Sessions and raffle tasks, waited for at shutdown.
    pub tasks: TaskTracker,
    pub public_url: String,
    pub max_frame_bytes: usize,
    pub heartbeat: Duration,
    /// The beacon chain draws name rounds of, as verify records show it; `None`: beacon off.
    pub beacon_chain: Option<raffler_core::verify::ChainView>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
