//! Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET.

use crate::command::{Command, Ctx, acl, flag};
use crate::protocol::reply::c_string;
use crate::security::auth;
use crate::util::num::parse_i64;

/// What every command that must work before authentication shares.
const HANDSHAKE: u32 =
    flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::NO_AUTH | flag::ALLOW_BUSY;

pub fn register(t: &mut Vec<Command>) {
    let conn = |c: Command| c.acl(acl::CONNECTION);
    t.push(
        conn(Command::new("ping", -1, ping))
            .flags(flag::FAST | flag::SENTINEL)
            .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
            .doc(
                "connection",
                "1.0.0",
                "O(1)",
                "Returns the server's liveliness response.",
            )
            .args("[message]"),
    );
    t.push(
        conn(Command::new("echo", 2, echo))
            .flags(flag::LOADING | flag::STALE | flag::FAST)
            .doc("connection", "1.0.0", "O(1)", "Returns the given string.")
            .args("message"),
    );
    t.push(conn(Command::new("quit", -1, quit)).flags(HANDSHAKE).doc(
        "connection",
        "1.0.0",
        "O(1)",
        "Closes the connection.",
    ));
    t.push(
        conn(Command::new("select", 2, select))
            .flags(flag::LOADING | flag::STALE | flag::FAST)
            .doc(
                "connection",
                "1.0.0",
                "O(1)",
                "Changes the selected database.",
            )
            .args("index"),
    );
    t.push(
        conn(Command::new("auth", -2, auth_command))
            .flags(HANDSHAKE | flag::SENTINEL)
            .doc(
                "connection",
                "1.0.0",
                "O(N) where N is the number of passwords defined for the user",
                "Proves the connection's identity to the server.",
            )
            .args("[username] password"),
    );
    t.push(
        conn(Command::new("hello", -1, hello))
            .flags(HANDSHAKE | flag::SENTINEL)
            .doc(
                "connection",
                "6.0.0",
                "O(1)",
                "Handshakes with the Redis server.",
            )
            .args("[protover [AUTH username password] [SETNAME clientname]]"),
    );
    t.push(conn(Command::new("reset", 1, reset)).flags(HANDSHAKE).doc(
        "connection",
        "6.2.0",
        "O(1)",
        "Resets the connection.",
    ));
}

fn ping(ctx: &mut Ctx<'_>) {
    match ctx.args.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(ctx.arg(1)),
        _ => ctx
            .out
            .error("ERR wrong number of arguments for 'ping' command"),
    }
}

fn echo(ctx: &mut Ctx<'_>) {
    ctx.out.bulk(ctx.arg(1));
}

fn quit(ctx: &mut Ctx<'_>) {
    ctx.out.ok();
    ctx.client.close_after_reply = true;
}

fn select(ctx: &mut Ctx<'_>) {
    if let Some(index) = super::db::db_index_arg(ctx, ctx.arg(1)) {
        ctx.client.select(index);
        ctx.out.ok();
    }
}

/// Client names may not contain spaces or control characters (CLIENT SETNAME's rule).
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// Logs the client in as `user`; on failure replies Redis's error and returns false.
fn authenticate(ctx: &mut Ctx<'_>, user: &[u8], password: &[u8]) -> bool {
    match auth::check(&ctx.server.config, user, password) {
        Ok(_) => {
            ctx.client.authenticated = true;
            true
        }
        Err(text) => {
            ctx.out.error(text);
            false
        }
    }
}

fn auth_command(ctx: &mut Ctx<'_>) {
    let (user, password) = match ctx.args.len() {
        2 if auth::default_user_nopass(&ctx.server.config) => {
            ctx.out.error(
                "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            );
            return;
        }
        2 => (auth::DEFAULT_USER.as_bytes(), ctx.arg(1)),
        3 => (ctx.arg(1), ctx.arg(2)),
        _ => {
            ctx.out.error(super::SYNTAX);
            return;
        }
    };
    if authenticate(ctx, user, password) {
        ctx.out.ok();
    }
}

fn hello(ctx: &mut Ctx<'_>) {
    let mut resp3 = ctx.client.resp3;
    let mut name = None;
    let mut credentials = None;
    if ctx.args.len() > 1 {
        let version = match parse_i64(ctx.arg(1)) {
            Some(v) => v,
            None => {
                ctx.out
                    .error("ERR Protocol version is not an integer or out of range");
                return;
            }
        };
        if !(2..=3).contains(&version) {
            ctx.out.error("NOPROTO unsupported protocol version");
            return;
        }
        resp3 = version == 3;
        let mut i = 2;
        while i < ctx.args.len() {
            let opt = ctx.arg(i);
            let more = ctx.args.len() - i - 1;
            if opt.eq_ignore_ascii_case(b"AUTH") && more >= 2 {
                credentials = Some((ctx.arg(i + 1), ctx.arg(i + 2)));
                i += 3;
            } else if opt.eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
                let candidate = ctx.arg(i + 1);
                if !valid_client_name(candidate) {
                    ctx.out.error(
                        "ERR Client names cannot contain spaces, newlines or special characters.",
                    );
                    return;
                }
                name = Some(candidate);
                i += 2;
            } else {
                let msg = [
                    b"ERR Syntax error in HELLO option '",
                    c_string(opt, usize::MAX),
                    b"'",
                ];
                ctx.out.error_bytes(&msg.concat());
                return;
            }
        }
    }
    if let Some((user, password)) = credentials
        && !authenticate(ctx, user, password)
    {
        return;
    }
    if !ctx.client.authenticated && auth::required(&ctx.server.config) {
        ctx.out.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    ctx.client.set_resp3(resp3);
    ctx.out.set_resp3(resp3);
    if let Some(name) = name {
        ctx.client.set_name(name);
    }
    let out = &mut ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(crate::REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.int(if resp3 { 3 } else { 2 });
    out.bulk(b"id");
    out.int(ctx.client.id as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
}

/// RESET: a fresh connection's state; with a password set, that means
/// logged out; a monitor stops monitoring.
fn reset(ctx: &mut Ctx<'_>) {
    let authenticated = auth::default_user_nopass(&ctx.server.config);
    ctx.client.reset(authenticated);
    ctx.client
        .handle
        .set_flag(crate::server::registry::flags::MONITOR, false);
    ctx.server.clients.stop_monitor(ctx.client.id);
    ctx.out.set_resp3(false);
    ctx.out.simple("RESET");
}
