//! Command families. Each module registers its commands in the one table
//! and implements them; this module lists the families and the error texts
//! they share.

pub mod client;
pub mod config;
pub mod connection;
pub mod db;
pub mod info;
pub mod introspection;
pub mod keys;
pub mod latency;
pub mod lifecycle;
pub mod server;
pub mod slowlog;
pub mod strings;

use crate::command::Command;

/// Adds every family's commands to the table.
pub fn register_all(table: &mut Vec<Command>) {
    connection::register(table);
    client::register(table);
    strings::register(table);
    keys::register(table);
    db::register(table);
    server::register(table);
    introspection::register(table);
    config::register(table);
    lifecycle::register(table);
    info::register(table);
    slowlog::register(table);
    latency::register(table);
}

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const SYNTAX: &str = "ERR syntax error";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";

/// The reply to `<COMMAND> HELP`: a usage line naming the command as typed,
/// the given entries, then the HELP entry itself, as Redis shapes it.
pub fn reply_help(ctx: &mut crate::command::Ctx<'_>, lines: &[&str]) {
    let name = String::from_utf8_lossy(ctx.arg(0)).to_ascii_uppercase();
    ctx.out.array(lines.len() + 3);
    ctx.out.simple(&format!(
        "{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for line in lines {
        ctx.out.simple(line);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Prints this help.");
}
