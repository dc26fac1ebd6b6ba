//! Raffler's core: the raffle engine and the wire protocol, with no I/O and no Leptos.
//!
//! - [`raffle`]: the pure raffle state machine (decide, apply, replay; time and randomness are
//!   arguments). No `async`, no clock, no `cfg`: it builds for the server and for wasm.
//! - [`protocol`]: the WebSocket messages, the only types that cross the wire.
//! - [`verify`]: the record of a raffle's draws that anyone can check, and the check (the
//!   server builds records; the verify page's own small wasm checks them).
//!
//! The server, the browser app (`app`, which re-exports both modules), the load generator and
//! the fuzz targets all depend on this crate, so none of them can disagree about the rules or
//! the wire, and the tools that need only these do not compile Leptos.

mod commands;
pub mod protocol;
pub mod raffle;
pub mod verify;
