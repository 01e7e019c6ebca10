//! CLIENT (connection introspection and control) and MONITOR.
//!
//! Other connections are seen only through the registry's shared handles:
//! listing reads them, killing sends a message down their push channel.
//! The calling client changes its own state directly.

use super::connection::valid_client_name;
use super::{reply_help, subcommand_error};
use crate::command::{CmdError, CmdResult, Command, Ctx, NOT_INTEGER, SYNTAX, acl, flag};
use crate::security::auth;
use crate::state::pause::PauseMode;
use crate::state::registry::{ClientHandle, Push, flags};
use crate::state::session::ReplyMode;
use crate::util::num::parse_i64;
use crate::util::time::coarse_now_ms;

pub fn register(t: &mut Vec<Command>) {
    let base = |c: Command| {
        c.flags(flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::SENTINEL)
            .acl(acl::CONNECTION)
    };
    let admin = |c: Command| base(c).flags(flag::ADMIN);
    let o1 = "O(1)";
    let per_client = "O(N) where N is the number of client connections";
    t.push(
        Command::container("client", -2)
            .flags(flag::SENTINEL)
            .doc(
                "connection",
                "2.4.0",
                "Depends on subcommand.",
                "Groups the commands that inspect and control connections.",
            )
            .sub(
                base(Command::new("caching", 3, client_caching))
                    .doc(
                        "connection",
                        "6.0.0",
                        o1,
                        "Says whether the next command's keys are tracked (OPTIN/OPTOUT modes).",
                    )
                    .args("<YES | NO>"),
            )
            .sub(base(Command::new("trackinginfo", 2, client_trackinginfo)).doc(
                "connection",
                "6.2.0",
                o1,
                "Describes this connection's client-side caching state.",
            ))
            .sub(
                admin(Command::new("unblock", -3, client_unblock))
                    .doc(
                        "connection",
                        "5.0.0",
                        "O(log N) where N is the number of client connections",
                        "Wakes a client blocked in a blocking command.",
                    )
                    .args("client-id [TIMEOUT | ERROR]"),
            )
            .sub(base(Command::new("getname", 2, client_getname)).doc(
                "connection",
                "2.6.9",
                o1,
                "Tells the name of this connection.",
            ))
            .sub(base(Command::new("getredir", 2, client_getredir)).doc(
                "connection",
                "6.0.0",
                o1,
                "Tells where tracking invalidations of this connection go.",
            ))
            .sub(
                Command::new("help", 2, client_help)
                    .flags(flag::LOADING | flag::STALE | flag::SENTINEL)
                    .acl(acl::CONNECTION)
                    .doc("connection", "5.0.0", o1, "Explains the CLIENT subcommands."),
            )
            .sub(base(Command::new("id", 2, client_id)).doc(
                "connection",
                "5.0.0",
                o1,
                "Tells the unique id of this connection.",
            ))
            .sub(
                base(Command::new("info", 2, client_info))
                    .tips(&["nondeterministic_output"])
                    .doc("connection", "6.2.0", o1, "Describes this connection."),
            )
            .sub(
                admin(Command::new("kill", -3, client_kill))
                    .doc("connection", "2.4.0", per_client, "Closes connections.")
                    .args(
                        "<ip:port | <[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME <YES | NO>]> [[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME <YES | NO>] ...]>",
                    ),
            )
            .sub(
                admin(Command::new("list", -2, client_list))
                    .tips(&["nondeterministic_output"])
                    .doc("connection", "2.4.0", per_client, "Describes every connection.")
                    .args("[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]"),
            )
            .sub(
                admin(Command::new("no-evict", 3, client_no_evict))
                    .doc(
                        "connection",
                        "7.0.0",
                        o1,
                        "Exempts this connection from client eviction, or not.",
                    )
                    .args("<ON | OFF>"),
            )
            .sub(
                Command::new("no-touch", 3, client_no_touch)
                    .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE)
                    .acl(acl::CONNECTION)
                    .doc(
                        "connection",
                        "7.2.0",
                        o1,
                        "Makes this connection's reads leave keys' access times alone, or not.",
                    )
                    .args("<ON | OFF>"),
            )
            .sub(
                admin(Command::new("pause", -3, client_pause))
                    .doc(
                        "connection",
                        "3.0.0",
                        o1,
                        "Holds back clients' commands for a while.",
                    )
                    .args("timeout [WRITE | ALL]"),
            )
            .sub(
                base(Command::new("reply", 3, client_reply))
                    .doc(
                        "connection",
                        "3.2.0",
                        o1,
                        "Turns the replies to this connection off, on, or off for one command.",
                    )
                    .args("<ON | OFF | SKIP>"),
            )
            .sub(
                base(Command::new("setinfo", 4, client_setinfo))
                    .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
                    .doc(
                        "connection",
                        "7.2.0",
                        o1,
                        "Records the client library's name or version for this connection.",
                    )
                    .args("<LIB-NAME libname | LIB-VER libver>"),
            )
            .sub(
                base(Command::new("setname", 3, client_setname))
                    .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
                    .doc("connection", "2.6.9", o1, "Names this connection.")
                    .args("connection-name"),
            )
            .sub(
                admin(Command::new("unpause", 2, client_unpause)).doc(
                    "connection",
                    "6.2.0",
                    "O(N) Where N is the number of paused clients",
                    "Lets paused clients' commands run again.",
                ),
            ),
    );
    t.push(
        Command::new("monitor", 1, monitor)
            .flags(flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE)
            .doc(
                "server",
                "1.0.0",
                "",
                "Streams every command the server runs to this connection.",
            ),
    );
}

fn client_id(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    ctx.out.int(ctx.session.id as i64);
    Ok(())
}

fn client_getname(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let name = ctx.session.name();
    ctx.out.opt_bulk(name.as_deref());
    Ok(())
}

fn client_getredir(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    // Tracking does not exist yet, so nothing is redirected.
    ctx.out.int(-1);
    Ok(())
}

fn client_setname(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let name = ctx.arg(2);
    if !valid_client_name(name) {
        return Err(
            "ERR Client names cannot contain spaces, newlines or special characters.".into(),
        );
    }
    ctx.session.set_name(name);
    ctx.out.ok();
    Ok(())
}

fn client_setinfo(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let (attr, value) = (ctx.arg(2), ctx.arg(3));
    let lib_name = attr.eq_ignore_ascii_case(b"lib-name");
    if !lib_name && !attr.eq_ignore_ascii_case(b"lib-ver") {
        return Err(CmdError::Bytes(
            [b"ERR Unrecognized option '", attr, b"'"].concat(),
        ));
    }
    if !valid_client_name(value) {
        return Err(CmdError::Bytes(
            [
                b"ERR ",
                attr,
                b" cannot contain spaces, newlines or special characters.",
            ]
            .concat(),
        ));
    }
    let stored = Some(value.to_vec()).filter(|v| !v.is_empty());
    let mut meta = ctx.session.handle.meta.lock();
    if lib_name {
        meta.lib_name = stored;
    } else {
        meta.lib_ver = stored;
    }
    drop(meta);
    ctx.out.ok();
    Ok(())
}

/// `ON` or `OFF`, else Redis's syntax error.
fn on_off(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"on") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"off") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

fn client_no_evict(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let on = on_off(ctx.arg(2))?;
    ctx.session.handle.set_flag(flags::NO_EVICT, on);
    ctx.out.ok();
    Ok(())
}

fn client_no_touch(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let on = on_off(ctx.arg(2))?;
    ctx.session.set_no_touch(on);
    ctx.out.ok();
    Ok(())
}

fn client_reply(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let mode = ctx.arg(2);
    if mode.eq_ignore_ascii_case(b"on") {
        ctx.session.reply_mode = ReplyMode::On;
        ctx.out.ok();
    } else if mode.eq_ignore_ascii_case(b"off") {
        ctx.session.reply_mode = ReplyMode::Off;
    } else if mode.eq_ignore_ascii_case(b"skip") {
        if ctx.session.reply_mode != ReplyMode::Off {
            ctx.session.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        return Err(SYNTAX);
    }
    Ok(())
}

fn client_info(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let mut line = own_line(ctx);
    line.push(b'\n');
    ctx.out.verbatim("txt", &line);
    Ok(())
}

/// This client's CLIENT LIST line, with the command now running counted.
fn own_line(ctx: &Ctx<'_, '_>) -> Vec<u8> {
    let argv_mem = ctx.args.iter().map(<[u8]>::len).sum();
    let name = ctx.command_name(ctx.session.handle.last_cmd());
    ctx.session.handle.info_line_with(argv_mem, name)
}

/// The client types CLIENT LIST/KILL TYPE accept.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    Master,
    Pubsub,
}

fn client_type(name: &[u8]) -> Option<ClientType> {
    let lower = name.to_ascii_lowercase();
    match lower.as_slice() {
        b"normal" => Some(ClientType::Normal),
        b"slave" | b"replica" => Some(ClientType::Replica),
        b"master" => Some(ClientType::Master),
        b"pubsub" => Some(ClientType::Pubsub),
        _ => None,
    }
}

/// A client type argument, or Redis's error naming it.
fn client_type_arg(name: &[u8]) -> Result<ClientType, CmdError> {
    client_type(name)
        .ok_or_else(|| CmdError::Bytes([b"ERR Unknown client type '", name, b"'"].concat()))
}

/// Every client is normal until pub/sub and replication exist (monitors
/// are normal clients in Redis too).
fn type_of(_client: &ClientHandle) -> ClientType {
    ClientType::Normal
}

fn client_list(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let argc = ctx.args.len();
    let mut wanted_type = None;
    let mut wanted_ids = None;
    if argc == 4 && ctx.arg(2).eq_ignore_ascii_case(b"type") {
        wanted_type = Some(client_type_arg(ctx.arg(3))?);
    } else if argc > 3 && ctx.arg(2).eq_ignore_ascii_case(b"id") {
        // Any integer is accepted; ids that cannot exist simply match nothing.
        let ids: Option<Vec<u64>> = ctx
            .args
            .iter()
            .skip(3)
            .map(|arg| parse_i64(arg).map(|id| id as u64))
            .collect();
        wanted_ids = Some(ids.ok_or("ERR Invalid client ID")?);
    } else if argc != 2 {
        return Err(SYNTAX);
    }
    let own = own_line(ctx);
    let mut text = Vec::new();
    for client in ctx.clients().snapshot() {
        if wanted_type.is_some_and(|t| t != type_of(&client))
            || wanted_ids
                .as_ref()
                .is_some_and(|ids| !ids.contains(&client.id))
        {
            continue;
        }
        if client.id == ctx.session.id {
            text.extend_from_slice(&own);
        } else {
            text.extend_from_slice(&client.info_line(ctx.command_name(client.last_cmd())));
        }
        text.push(b'\n');
    }
    ctx.out.verbatim("txt", &text);
    Ok(())
}

/// The filters of CLIENT KILL's new form.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    client_type: Option<ClientType>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    user: Option<Vec<u8>>,
    skip_me: bool,
}

impl KillFilter {
    fn matches(&self, client: &ClientHandle, own_id: u64) -> bool {
        self.id.is_none_or(|id| id == client.id)
            && self.client_type.is_none_or(|t| t == type_of(client))
            && self
                .addr
                .as_deref()
                .is_none_or(|a| a == client.addr.as_bytes())
            && self
                .laddr
                .as_deref()
                .is_none_or(|a| a == client.laddr.as_bytes())
            && self
                .user
                .as_deref()
                .is_none_or(|u| u == auth::DEFAULT_USER.as_bytes())
            && !(self.skip_me && client.id == own_id)
            // Killed already, and gone as soon as its thread notices.
            && !client.has_flag(flags::CLOSE_ASAP)
    }
}

/// Parses `<option> <value>` pairs, with Redis's error on a bad one.
fn parse_kill_filter(ctx: &Ctx<'_, '_>) -> Result<KillFilter, CmdError> {
    let mut filter = KillFilter {
        skip_me: true,
        ..KillFilter::default()
    };
    let mut cursor = ctx.args.cursor(2);
    while let Some(opt) = cursor.next_arg() {
        let value = cursor.value()?;
        match opt.to_ascii_lowercase().as_slice() {
            b"id" => match parse_i64(value) {
                Some(id) if id > 0 => filter.id = Some(id as u64),
                _ => return Err("ERR client-id should be greater than 0".into()),
            },
            b"type" => filter.client_type = Some(client_type_arg(value)?),
            b"addr" => filter.addr = Some(value.to_vec()),
            b"laddr" => filter.laddr = Some(value.to_vec()),
            b"user" => {
                if !auth::user_exists(value) {
                    return Err(CmdError::Bytes(
                        [b"ERR No such user '", value, b"'"].concat(),
                    ));
                }
                filter.user = Some(value.to_vec());
            }
            b"skipme" if value.eq_ignore_ascii_case(b"yes") => filter.skip_me = true,
            b"skipme" if value.eq_ignore_ascii_case(b"no") => filter.skip_me = false,
            _ => return Err(SYNTAX),
        }
    }
    Ok(filter)
}

fn client_kill(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    if ctx.args.len() == 3 {
        return kill_by_addr(ctx);
    }
    let filter = parse_kill_filter(ctx)?;
    let own_id = ctx.session.id;
    let mut killed = 0;
    for client in ctx.clients().snapshot() {
        if filter.matches(&client, own_id) {
            kill(ctx, &client);
            killed += 1;
        }
    }
    ctx.out.int(killed);
    Ok(())
}

/// The old form, `CLIENT KILL addr:port`: exactly one client, or an error.
fn kill_by_addr(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let addr = ctx.arg(2);
    let target = ctx
        .clients()
        .snapshot()
        .into_iter()
        .find(|c| c.addr.as_bytes() == addr && !c.has_flag(flags::CLOSE_ASAP))
        .ok_or("ERR No such client")?;
    kill(ctx, &target);
    ctx.out.ok();
    Ok(())
}

/// Closes `client`; the caller itself closes once this reply is written.
fn kill(ctx: &mut Ctx<'_, '_>, client: &ClientHandle) {
    if client.id == ctx.session.id {
        ctx.session.close_after_reply = true;
        client.set_flag(flags::CLOSE_AFTER_REPLY, true);
    } else {
        client.set_flag(flags::CLOSE_ASAP, true);
        client.push(Push::Kill);
    }
}

fn client_pause(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let timeout = match parse_i64(ctx.arg(2)) {
        Some(ms) if ms < 0 => return Err("ERR timeout is negative".into()),
        Some(ms) => ms,
        None => return Err("ERR timeout is not an integer or out of range".into()),
    };
    let mode = match ctx.args.len() {
        3 => PauseMode::All,
        4 if ctx.arg(3).eq_ignore_ascii_case(b"write") => PauseMode::Write,
        4 if ctx.arg(3).eq_ignore_ascii_case(b"all") => PauseMode::All,
        4 => return Err("ERR CLIENT PAUSE mode must be WRITE or ALL".into()),
        _ => return Err(subcommand_error(ctx)),
    };
    ctx.pause()
        .pause(mode, coarse_now_ms().saturating_add(timeout));
    ctx.out.ok();
    Ok(())
}

/// Nothing blocks yet, so no client is ever unblocked; the arguments are
/// still checked as Redis checks them.
fn client_unblock(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    if ctx.args.len() > 4 {
        return Err(subcommand_error(ctx));
    }
    if ctx.args.len() == 4 {
        let reason = ctx.arg(3);
        if !reason.eq_ignore_ascii_case(b"timeout") && !reason.eq_ignore_ascii_case(b"error") {
            return Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into());
        }
    }
    parse_i64(ctx.arg(2)).ok_or(NOT_INTEGER)?;
    ctx.out.int(0);
    Ok(())
}

/// Tracking does not exist yet: every client is in the "off" state.
fn client_trackinginfo(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let out = &mut ctx.out;
    out.map(3);
    out.bulk(b"flags");
    out.set(1);
    out.bulk(b"off");
    out.bulk(b"redirect");
    out.int(-1);
    out.bulk(b"prefixes");
    out.array(0);
    Ok(())
}

fn client_caching(_ctx: &mut Ctx<'_, '_>) -> CmdResult {
    Err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled".into())
}

fn client_unpause(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    ctx.pause().unpause();
    ctx.out.ok();
    Ok(())
}

fn client_help(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    reply_help(
        ctx,
        &[
            "GETNAME",
            "    Tell the name of this connection.",
            "GETREDIR",
            "    Tell where tracking invalidations go (-1: tracking is off).",
            "ID",
            "    Tell the unique id of this connection.",
            "INFO",
            "    Describe this connection, in the format of CLIENT LIST.",
            "KILL <ip:port>",
            "    Close the connection coming from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Close every connection matching all the filters:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      the client's address.",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      the address the client connected to.",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      the kind of client.",
            "    * USER <username>",
            "      the user the client authenticated as.",
            "    * SKIPME (YES|NO)",
            "      whether to spare this connection (default: yes).",
            "LIST [options ...]",
            "    Describe the connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      only clients of this kind.",
            "    * ID <client-id> [<client-id> ...]",
            "      only these clients.",
            "UNPAUSE",
            "    End a CLIENT PAUSE early.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Hold back every command, or only writes, for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Turn replies to this connection on or off, or drop the next one.",
            "SETINFO <option> <value>",
            "    Record the client library's LIB-NAME or LIB-VER.",
            "SETNAME <name>",
            "    Name this connection.",
            "NO-EVICT (ON|OFF)",
            "    Exempt this connection from client eviction, or not.",
            "NO-TOUCH (ON|OFF)",
            "    Make this connection's reads leave keys' access times alone, or not.",
        ],
    )
}

/// MONITOR: from now on this connection receives every command run.
/// A client already monitoring gets no reply, as in Redis.
fn monitor(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    if !ctx.session.handle.has_flag(flags::MONITOR) {
        ctx.clients().start_monitor(ctx.session.handle.clone());
        ctx.out.ok();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_types_accept_redis_names_in_any_case() {
        assert!(client_type(b"NORMAL") == Some(ClientType::Normal));
        assert!(client_type(b"slave") == Some(ClientType::Replica));
        assert!(client_type(b"Replica") == Some(ClientType::Replica));
        assert!(client_type(b"pubsub") == Some(ClientType::Pubsub));
        assert!(client_type(b"master") == Some(ClientType::Master));
        assert!(client_type(b"other").is_none());
    }
}
