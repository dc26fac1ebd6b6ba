//! The time raffles run on: the wall-clock time read once, when the server loads its raffles,
//! plus a monotonic clock's elapsed time since then.
//!
//! Deadlines (a spin's reveal, a claim's countdown, an idle raffle's close) are instants in
//! this time, and the raffle task sleeps until them. Read from the wall clock each time, a
//! clock step (NTP fixing a laptop that slept, an operator setting the date) would move them
//! all: a step forward of a day closes every raffle as idle, a step back stretches a spin for
//! as long as the step. Anchored once, the time only moves forward, at the rate of real time.
//! Events keep a wall-clock-like time for the record: it is the wall time of the anchor plus
//! real time elapsed, which differs from the wall clock only by steps made since the anchor.
//! The monotonic clock does not count time the machine spends suspended: a laptop that sleeps
//! through a spin reveals it when it wakes, and an idle raffle's hours are hours awake.

use raffler_core::raffle::Millis;
use std::sync::LazyLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A wall-clock reading anchored to a monotonic instant.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// The wall-clock time at `anchor`, in milliseconds since the Unix epoch.
    wall_at_anchor: Millis,
    anchor: Instant,
}

impl Clock {
    /// A clock anchored now, reading the wall clock once through `wall` (injected in tests).
    pub fn anchored(wall: impl FnOnce() -> SystemTime) -> Self {
        let anchor = Instant::now();
        let since_epoch = wall().duration_since(UNIX_EPOCH).unwrap_or_default();
        Self { wall_at_anchor: Millis(since_epoch.as_millis() as u64), anchor }
    }

    /// The time now.
    pub fn now(&self) -> Millis {
        self.at(Instant::now())
    }

    /// The time at a monotonic instant (an instant before the anchor reads as the anchor).
    pub fn at(&self, instant: Instant) -> Millis {
        let elapsed = instant.saturating_duration_since(self.anchor);
        self.wall_at_anchor.plus(Millis(elapsed.as_millis() as u64))
    }
}

/// The server's clock, anchored the first time it is read: when the server loads its raffles
/// (restored raffles replay with their stored times, new ones start on it).
static CLOCK: LazyLock<Clock> = LazyLock::new(|| Clock::anchored(SystemTime::now));

/// The time now on the server's clock; what raffle tasks and the purge use.
pub fn now() -> Millis {
    CLOCK.now()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn a_wall_clock_step_after_the_anchor_moves_no_deadline() {
        // The wall clock as a test controls it: it reads 1,000 s, then is stepped a day ahead.
        let wall = std::cell::Cell::new(UNIX_EPOCH + Duration::from_secs(1_000));
        let clock = Clock::anchored(|| wall.get());
        let start = clock.at(clock.anchor);
        assert_eq!(start, Millis(1_000_000));
        let reveal_at = start.plus(Millis(3_000)); // a spin of 3 s
        wall.set(wall.get() + DAY);
        // 2 s of real time later the spin still has 1 s to go, whatever the wall clock says.
        let later = clock.at(clock.anchor + Duration::from_secs(2));
        assert_eq!(reveal_at.saturating_sub(later), Millis(1_000));
        wall.set(wall.get() - 2 * DAY);
        assert_eq!(clock.at(clock.anchor + Duration::from_secs(3)), reveal_at, "nor a step back");
    }

    #[test]
    fn time_moves_with_the_monotonic_clock_and_never_back() {
        let clock = Clock::anchored(|| UNIX_EPOCH + DAY);
        let base = clock.at(clock.anchor);
        assert_eq!(clock.at(clock.anchor + Duration::from_millis(1_234)), base.plus(Millis(1_234)));
        assert_eq!(clock.at(clock.anchor - Duration::from_millis(5)), base, "before the anchor");
        let (a, b) = (clock.now(), clock.now());
        assert!(b >= a && a >= base);
    }

    #[test]
    fn a_wall_clock_before_1970_reads_as_the_epoch_not_a_panic() {
        let clock = Clock::anchored(|| UNIX_EPOCH - DAY);
        assert_eq!(clock.at(clock.anchor), Millis(0));
    }
}
