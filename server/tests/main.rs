//! The server's integration tests, as one test program: each file beside this one is a module
//! of it (Cargo.toml sets `autotests = false` and names this file). One program instead of one
//! per file: `common/` and every test's client code are compiled, linted and linked once rather
//! than fourteen times, and the files' tests run side by side instead of one program after the
//! other (most of their time is waiting on timers, spins and beacon rounds).

mod common;

mod assets;
mod bad_input;
mod beacon;
mod evening;
mod host_controls;
mod hostile;
mod idle_sockets;
mod limits;
mod open_files;
mod operations;
mod raffle;
mod restart;
mod resume;
mod walk_ins;
