//! Ferrodis: a Redis-compatible in-memory data store.
//!
//! The crate is laid out along the path of a request: `protocol` turns bytes
//! into commands and replies into bytes, `server` owns sockets and client
//! state, `command` is the single command table and dispatcher, `commands`
//! holds one module per command family, and `keyspace` owns the data.

pub mod keyspace;
pub mod util;
