//! Command families. Each module registers its commands in the one table
//! and implements them; this module lists the families and the error texts
//! they share.

pub mod connection;
pub mod db;
pub mod introspection;
pub mod keys;
pub mod server;
pub mod strings;

use crate::command::Command;

/// Adds every family's commands to the table.
pub fn register_all(table: &mut Vec<Command>) {
    connection::register(table);
    strings::register(table);
    keys::register(table);
    db::register(table);
    server::register(table);
    introspection::register(table);
}

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const SYNTAX: &str = "ERR syntax error";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
