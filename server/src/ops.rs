//! For whoever runs the server: `/healthz`, `/metrics`, and deleting raffles past retention.

use crate::app_state::AppState;
use crate::clock::now;
use crate::hub::Hub;
use crate::store::Store;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often closed raffles past their retention are looked for.
const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// 200 when the process is up and the database takes a write; 503 saying why otherwise.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.check(now().0).await {
        Ok(()) => (StatusCode::OK, "ok\n".to_owned()),
        Err(err) => (StatusCode::SERVICE_UNAVAILABLE, format!("database not writable: {err}\n")),
    }
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], state.metrics.render())
}

/// At start and then hourly, deletes raffles closed longer ago than `retention`.
pub async fn purge_old_raffles(store: Store, hub: Hub, retention: Duration, stop: CancellationToken) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        let before = now().0.saturating_sub(retention.as_millis() as u64);
        match store.purge(before).await {
            Ok(purged) if purged.is_empty() => {}
            Ok(purged) => {
                tracing::info!(raffles = purged.len(), "deleted raffles past their retention");
                hub.release(&purged);
            }
            Err(err) => tracing::error!(%err, "could not delete old raffles"),
        }
    }
}
