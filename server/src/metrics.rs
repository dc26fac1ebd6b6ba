//! What `GET /metrics` reports, in the Prometheus (OpenMetrics) text format. Counters and gauges
//! are single atomics: cheap enough to touch for every frame.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

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
    /// The last result's fan-out as the server saw it: from `winner_drawn` queued for every
    /// connection to the last connection's write of it returning. The load generator's
    /// latencies include its own share of the shared cores; this does not.
    result_last_write_seconds: Gauge<f64, AtomicU64>,
    /// Microseconds since `epoch`: when the last result was queued, and when a connection last
    /// finished writing one.
    result_queued_us: AtomicU64,
    result_written_us: AtomicU64,
    epoch: Instant,
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
        let result_last_write_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "result_last_write_seconds",
            "The last draw result: from queued for every connection to its last write",
            result_last_write_seconds.clone(),
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
            result_last_write_seconds,
            result_queued_us: AtomicU64::new(0),
            result_written_us: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }
}

impl Metrics {
    fn micros(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// A result was queued for every connection of its raffle.
    pub fn result_queued(&self) {
        let now = self.micros();
        self.result_queued_us.store(now, Ordering::Relaxed);
        self.result_written_us.store(now, Ordering::Relaxed);
    }

    /// A connection finished writing a result frame.
    pub fn result_written(&self) {
        self.result_written_us.fetch_max(self.micros(), Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let queued = self.result_queued_us.load(Ordering::Relaxed);
        let written = self.result_written_us.load(Ordering::Relaxed);
        self.result_last_write_seconds.set(written.saturating_sub(queued) as f64 / 1e6);
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}
