//! The server build of the browser API: nothing to touch, so each call does nothing and answers
//! what a browser without the feature would. Same signatures as `web`.

pub fn load(_key: &str) -> Option<String> {
    None
}

pub fn save(_key: &str, _value: &str) {}

pub fn forget(_key: &str) {}

/// Never used on the server (joins are sent from the browser); all zeros, as a browser without
/// randomness would never be given.
pub fn random_id() -> String {
    "0".repeat(32)
}

pub fn replace_path(_path: &str) {}

/// The server renders no countdown that ticks; the epoch will do.
pub fn now_ms() -> f64 {
    0.0
}

/// No wake lock on the server (never asked: the phone asks from its effects).
pub fn keep_screen_on() -> bool {
    false
}

pub fn vibrate(_ms: u32) {}

pub fn download(_filename: &str, _mime: &str, _content: &str) {}

/// The raw number: the server never renders exported files.
pub fn iso_time(ms: u64) -> String {
    ms.to_string()
}

pub fn local_time(_ms: u64) -> String {
    String::new()
}

pub fn toggle_full_screen() {}

pub fn leave_full_screen() {}

pub fn play_reveal_sound() {}
