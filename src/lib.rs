//! Ferrodis: a Redis-compatible in-memory data store.
//!
//! Layers, bottom to top; a module imports only from layers below it (a
//! test in `tests/layers.rs` fails the build of the test suite otherwise):
//!
//! 1. `util`, `protocol`, `alloc`, `log`: helpers, RESP parsing and encoding.
//! 2. `config`: every directive, its parsing and its run-time value;
//!    `scripting`: the Lua engine, which reaches the server only through
//!    its `Bridge` trait.
//! 3. `observe`: per-thread accounting, slow log, latency monitor (plain values).
//! 4. `keyspace`: databases, shards, lock plans, values, the write journal.
//! 5. `security`: authentication.
//! 6. `state`: what connections share (client registry, stats, pause, control).
//! 7. `command`: the command model: table, context, arguments, lock plans.
//! 8. `families`: one module per command family; `dispatch`: running commands.
//! 9. `server`: threads, listeners, connections.
//!
//! This file is the composition root: it builds the command table from the
//! families and hands it to the server.

pub mod alloc;
pub mod command;
pub mod config;
pub mod dispatch;
pub mod families;
pub mod keyspace;
pub mod log;
pub mod observe;
pub mod protocol;
pub mod scripting;
pub mod security;
pub mod server;
pub mod state;
pub mod testing;
pub mod util;

/// The Redis version Ferrodis behaves as; clients read it to pick features.
pub const REDIS_VERSION: &str = "7.2.4";
/// Ferrodis's own version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The command table: every family's commands.
pub fn command_table() -> command::CommandTable {
    let mut commands = Vec::new();
    families::register_all(&mut commands);
    command::CommandTable::build(commands)
}

/// A dispatcher over `config` with the full command table: what the server
/// runs, and what in-process tests and fuzzing drive.
pub fn dispatcher(config: config::Config) -> dispatch::Dispatcher {
    dispatch::Dispatcher::new(config, command_table())
}
