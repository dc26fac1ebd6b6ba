//! How long the browser waits before it opens its socket again: full jitter on every path.
//!
//! A hall of phones loses its sockets together (a server restart, the venue's Wi-Fi), so the
//! delay is drawn uniformly from zero to a ceiling ("full jitter"), never from a narrow band
//! near it: phones that fail together come back spread over the whole window, not in step.
//! The ceiling doubles with each failure up to [`MAX_RETRY_MS`]. After a restart (close 1012)
//! it starts at [`RESTART_SPREAD_MS`]: the server needs about that long to come back, and a
//! whole hall resuming within a quarter of a second is the storm it would wake up to.
//!
//! A pure function of its inputs (the random draw included) so that it is tested natively;
//! `ws_client` calls it with `Math.random()`.

/// The ceiling of the first retry after an ordinary drop.
pub const FIRST_RETRY_MS: f64 = 250.0;
/// The ceiling never grows past this.
pub const MAX_RETRY_MS: f64 = 5_000.0;
/// The smallest ceiling after the server said it is restarting.
pub const RESTART_SPREAD_MS: f64 = 2_000.0;
/// A screen told when to come back comes back then, plus up to this much.
pub const TOLD_SPREAD_MS: f64 = 1_000.0;

/// Why the socket is being opened again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Retry {
    /// The socket closed or never opened; `failures` in a row, counting this one (≥ 1).
    Dropped { failures: u32 },
    /// The server closed with 1012: it is restarting. `failures` in a row since, counting it.
    Restarting { failures: u32 },
    /// The server turned the screen away and said when to come back.
    Told { after_ms: u64 },
}

/// The delay in milliseconds before the next attempt; `random` is uniform in `[0, 1)`.
pub fn delay_ms(retry: Retry, random: f64) -> u32 {
    let random = random.clamp(0.0, 1.0);
    let ceiling = |failures: u32| FIRST_RETRY_MS * 2f64.powi(failures.saturating_sub(1).min(16) as i32);
    let ms = match retry {
        Retry::Dropped { failures } => random * ceiling(failures).min(MAX_RETRY_MS),
        Retry::Restarting { failures } => random * ceiling(failures).clamp(RESTART_SPREAD_MS, MAX_RETRY_MS),
        Retry::Told { after_ms } => after_ms as f64 + random * TOLD_SPREAD_MS,
    };
    ms as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest and largest delays a retry can get.
    fn range(retry: Retry) -> (u32, u32) {
        (delay_ms(retry, 0.0), delay_ms(retry, 1.0))
    }

    #[test]
    fn every_path_spreads_from_zero_to_its_ceiling() {
        assert_eq!(range(Retry::Dropped { failures: 1 }), (0, 250));
        assert_eq!(range(Retry::Dropped { failures: 3 }), (0, 1_000));
        assert_eq!(range(Retry::Dropped { failures: 30 }), (0, 5_000), "capped");
        assert_eq!(range(Retry::Restarting { failures: 1 }), (0, 2_000), "a restart spreads wider");
        assert_eq!(range(Retry::Restarting { failures: 5 }), (0, 4_000));
        assert_eq!(range(Retry::Restarting { failures: 9 }), (0, 5_000));
        assert_eq!(range(Retry::Told { after_ms: 3_000 }), (3_000, 4_000));
    }

    #[test]
    fn a_hall_that_drops_together_comes_back_spread_out() {
        // 1,000 phones after a 1012, each with its own draw: the first second of the window
        // holds about half of them, never all.
        let draws = (0..1_000).map(|i| (i as f64 + 0.5) / 1_000.0);
        let delays: Vec<u32> = draws.map(|r| delay_ms(Retry::Restarting { failures: 1 }, r)).collect();
        let early = delays.iter().filter(|&&d| d < 1_000).count();
        assert!((450..=550).contains(&early), "{early} of 1,000 within the first second");
        assert!(delays.iter().all(|&d| d <= 2_000));
    }

    #[test]
    fn a_random_draw_out_of_range_is_clamped() {
        assert_eq!(delay_ms(Retry::Dropped { failures: 1 }, -1.0), 0);
        assert_eq!(delay_ms(Retry::Dropped { failures: 1 }, 7.0), 250);
    }
}
