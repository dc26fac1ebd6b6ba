//! The few browser APIs the screens use besides the socket: tokens in localStorage, the address
//! bar, the screen wake lock, vibration, file downloads, full screen and a reveal sound. One API
//! with two implementations, chosen once here: [`web`] in the browser build, [`noop`] on the
//! server, where pages render without ever calling these (they run from effects and event
//! handlers only). Both define the same functions with the same signatures; each build checks
//! the one it compiles, and the screens never name either.

#[cfg(feature = "hydrate")]
mod web;
#[cfg(feature = "hydrate")]
pub use web::*;

#[cfg(not(feature = "hydrate"))]
mod noop;
#[cfg(not(feature = "hydrate"))]
pub use noop::*;

/// Where a screen keeps its secret for one raffle: `raffler.host.K7QX2M`, `raffler.player.K7QX2M`.
pub fn token_key(role: &str, code: &str) -> String {
    format!("raffler.{role}.{code}")
}
