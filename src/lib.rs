//! Ferrodis: a Redis-compatible in-memory data store.
//!
//! The crate is laid out along the path of a request: `protocol` turns bytes
//! into commands and replies into bytes, `server` owns threads, sockets and
//! client state, `command` is the single command table and dispatcher,
//! `commands` holds one module per command family, and `keyspace` owns the
//! data.

pub mod alloc;
pub mod command;
pub mod commands;
pub mod config;
pub mod keyspace;
pub mod log;
pub mod observe;
pub mod protocol;
pub mod scripting;
pub mod security;
pub mod server;
pub mod util;

/// The Redis version Ferrodis behaves as; clients read it to pick features.
pub const REDIS_VERSION: &str = "7.2.4";
/// Ferrodis's own version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
