//! What `GET /metrics` reports, in the Prometheus (OpenMetrics) text format. Counters and gauges
//! are single atomics: cheap enough to touch for every frame.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

pub struct Metrics {
    registry: Registry,
    pub raffles_open: Gauge,
    pub players_joined: Counter,
    pub connections_open: Gauge,
    pub frames_in: Counter,
    pub frames_out: Counter,
    /// From a winner being known to its result frame queued for every connection.
    pub draw_fanout_seconds: Histogram,
    /// One database transaction (a group commit), fsync included.
    pub db_write_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("raffler");
        let raffles_open = Gauge::default();
        let players_joined = Counter::default();
        let connections_open = Gauge::default();
        let frames_in = Counter::default();
        let frames_out = Counter::default();
        // 0.1 ms to about 3 s.
        let draw_fanout_seconds = Histogram::new(exponential_buckets(0.000_1, 2.0, 16));
        let db_write_seconds = Histogram::new(exponential_buckets(0.000_1, 2.0, 16));
        registry.register("raffles_open", "Raffles running on this server", raffles_open.clone());
        registry.register(
            "players_joined",
            "Players who joined since the server started",
            players_joined.clone(),
        );
        registry.register("connections_open", "WebSocket connections open now", connections_open.clone());
        registry.register("frames_in", "WebSocket messages received", frames_in.clone());
        registry.register("frames_out", "WebSocket messages sent", frames_out.clone());
        registry.register(
            "draw_fanout_seconds",
            "Time to queue a draw's result for every connection of its raffle",
            draw_fanout_seconds.clone(),
        );
        registry.register(
            "db_write_seconds",
            "Time of one database commit (a batch of events), fsync included",
            db_write_seconds.clone(),
        );
        Self {
            registry,
            raffles_open,
            players_joined,
            connections_open,
            frames_in,
            frames_out,
            draw_fanout_seconds,
            db_write_seconds,
        }
    }
}

impl Metrics {
    pub fn render(&self) -> String {
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}
