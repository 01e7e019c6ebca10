//! Command families. Each module registers its commands in the one table
//! and implements them as single-threaded code over `Ctx` and `DbView`;
//! this module lists the families and the error texts they share.

pub mod client;
pub mod connection;
pub mod db;
pub mod debug;
pub mod diagnostics;
pub mod expiry;
pub mod generic;
pub mod info;
pub mod introspection;
pub mod settings;
pub mod shutdown;
pub mod strings;
pub mod transactions;
pub mod typed;

use crate::command::{CmdError, CmdResult, Command, Ctx};

/// Adds every family's commands to the table.
pub fn register_all(table: &mut Vec<Command>) {
    connection::register(table);
    client::register(table);
    strings::register(table);
    generic::register(table);
    db::register(table);
    info::register(table);
    debug::register(table);
    introspection::register(table);
    settings::register(table);
    shutdown::register(table);
    diagnostics::register(table);
    transactions::register(table);
}

pub const WRONGTYPE: CmdError =
    CmdError::text("WRONGTYPE Operation against a key holding the wrong kind of value");

/// The reply to `<COMMAND> HELP`: a usage line naming the command as typed,
/// the given entries, then the HELP entry itself, as Redis shapes it.
pub fn reply_help(ctx: &mut Ctx<'_, '_>, lines: &[&str]) -> CmdResult {
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
    Ok(())
}

/// Redis's error for a subcommand called with the wrong arguments:
/// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <CMD> HELP.`
pub fn subcommand_error(ctx: &Ctx<'_, '_>) -> CmdError {
    let mut msg = b"ERR unknown subcommand or wrong number of arguments for '".to_vec();
    msg.extend_from_slice(crate::protocol::reply::c_string(ctx.arg(1), 128));
    msg.extend_from_slice(b"'. Try ");
    msg.extend_from_slice(&ctx.arg(0).to_ascii_uppercase());
    msg.extend_from_slice(b" HELP.");
    CmdError::Bytes(msg)
}
