//! Claim countdowns, written once: the server says how many milliseconds a winner has left; a
//! screen turns that into a deadline on its own clock when the message arrives, and into whole
//! seconds left each time it renders. Every screen (stage, controls, phone) uses these, so they
//! agree to the second on what "0:00" means.

/// The deadline, by this device's clock (ms), of a claim with `ms_left` left at `now`.
pub fn deadline(now: f64, ms_left: u64) -> f64 {
    now + ms_left as f64
}

/// Whole seconds left until `deadline` at `now`: rounded up, so that 0 means the time is over
/// (a winner with 200 ms left still reads "0:01"), and never negative.
pub fn seconds_left(deadline: f64, now: f64) -> u64 {
    ((deadline - now) / 1_000.0).ceil().max(0.0) as u64
}

/// 75 seconds as "1:15".
pub fn minutes_seconds(seconds: u64) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up_and_stops_at_zero() {
        let at = deadline(1_000.0, 60_000);
        assert_eq!(at, 61_000.0);
        assert_eq!(seconds_left(at, 1_000.0), 60);
        assert_eq!(seconds_left(at, 60_800.0), 1);
        assert_eq!(seconds_left(at, 61_000.0), 0);
        assert_eq!(seconds_left(at, 90_000.0), 0);
    }

    #[test]
    fn reads_as_minutes_and_seconds() {
        assert_eq!(minutes_seconds(75), "1:15");
        assert_eq!(minutes_seconds(0), "0:00");
        assert_eq!(minutes_seconds(600), "10:00");
    }
}
