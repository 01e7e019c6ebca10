//! Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET.

use crate::command::{CmdError, CmdResult, Command, Ctx, SYNTAX, acl, flag};
use crate::protocol::reply::c_string;
use crate::security::auth;
use crate::state::registry::flags;
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

fn ping(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    match ctx.args.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(ctx.arg(1)),
        _ => return Err(CmdError::WrongArity),
    }
    Ok(())
}

fn echo(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    ctx.out.bulk(ctx.arg(1));
    Ok(())
}

fn quit(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    ctx.out.ok();
    ctx.session.close_after_reply = true;
    Ok(())
}

fn select(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let index = super::db::db_index_arg(ctx, ctx.arg(1))?;
    ctx.session.select(index);
    ctx.out.ok();
    Ok(())
}

/// Client names may not contain spaces or control characters (CLIENT SETNAME's rule).
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// Logs the client in as `user`, or says why not.
fn authenticate(ctx: &mut Ctx<'_, '_>, user: &[u8], password: &[u8]) -> CmdResult {
    auth::check(ctx.config(), user, password)?;
    ctx.session.authenticated = true;
    Ok(())
}

fn auth_command(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let (user, password) = match ctx.args.len() {
        2 if auth::default_user_nopass(ctx.config()) => {
            return Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?".into());
        }
        2 => (auth::DEFAULT_USER.as_bytes(), ctx.arg(1)),
        3 => (ctx.arg(1), ctx.arg(2)),
        _ => return Err(SYNTAX),
    };
    authenticate(ctx, user, password)?;
    ctx.out.ok();
    Ok(())
}

/// HELLO's options after the protocol version.
struct HelloOptions<'a> {
    credentials: Option<(&'a [u8], &'a [u8])>,
    name: Option<&'a [u8]>,
}

fn parse_hello_options<'a>(ctx: &Ctx<'a, '_>) -> Result<HelloOptions<'a>, CmdError> {
    let mut opts = HelloOptions {
        credentials: None,
        name: None,
    };
    let mut cursor = ctx.args.cursor(2);
    while let Some(opt) = cursor.peek() {
        if cursor.remaining() >= 3 && cursor.eat("AUTH") {
            let user = cursor.value()?;
            opts.credentials = Some((user, cursor.value()?));
        } else if cursor.remaining() >= 2 && cursor.eat("SETNAME") {
            let candidate = cursor.value()?;
            if !valid_client_name(candidate) {
                return Err(
                    "ERR Client names cannot contain spaces, newlines or special characters."
                        .into(),
                );
            }
            opts.name = Some(candidate);
        } else {
            return Err(CmdError::Bytes(
                [
                    b"ERR Syntax error in HELLO option '",
                    c_string(opt, usize::MAX),
                    b"'",
                ]
                .concat(),
            ));
        }
    }
    Ok(opts)
}

fn hello(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let mut resp3 = ctx.session.resp3;
    let mut opts = HelloOptions {
        credentials: None,
        name: None,
    };
    if ctx.args.len() > 1 {
        let version = parse_i64(ctx.arg(1))
            .ok_or("ERR Protocol version is not an integer or out of range")?;
        if !(2..=3).contains(&version) {
            return Err("NOPROTO unsupported protocol version".into());
        }
        resp3 = version == 3;
        opts = parse_hello_options(ctx)?;
    }
    if let Some((user, password)) = opts.credentials {
        authenticate(ctx, user, password)?;
    }
    if !ctx.session.authenticated && auth::required(ctx.config()) {
        return Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into());
    }
    ctx.session.set_resp3(resp3);
    ctx.out.set_resp3(resp3);
    if let Some(name) = opts.name {
        ctx.session.set_name(name);
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
    out.int(ctx.session.id as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
    Ok(())
}

/// RESET: a fresh connection's state; with a password set, that means
/// logged out; a monitor stops monitoring.
fn reset(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let authenticated = auth::default_user_nopass(ctx.config());
    ctx.session.reset(authenticated);
    ctx.session.handle.set_flag(flags::MONITOR, false);
    ctx.clients().stop_monitor(ctx.session.id);
    ctx.out.set_resp3(false);
    ctx.out.simple("RESET");
    Ok(())
}
