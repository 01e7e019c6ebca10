//! Running one command: lookup, arity, key locks, the handler, propagation.
//!
//! This is the only place that checks what the table says (arity, flags,
//! key positions), so handlers never re-check it. A panicking handler is
//! caught here: the client gets an error and the server goes on.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::keys::key_positions;
use super::{Args, Command, Ctx, flag};
use crate::keyspace::Locked;
use crate::protocol::Reply;
use crate::protocol::reply::c_string;
use crate::security::auth;
use crate::server::monitor;
use crate::server::{Client, Server};

/// Executes `args` for `client`, appending the reply to `buf`.
pub fn execute(server: &Server, client: &mut Client, args: Args<'_>, buf: &mut Vec<u8>) {
    let reply_start = buf.len();
    let errors = run(server, client, &args, buf);
    if errors > 0 {
        crate::observe::count_errors(server, &buf[reply_start..], errors);
    }
}

/// Runs one command and accounts it; returns how many error replies it wrote.
fn run(server: &Server, client: &mut Client, args: &Args<'_>, buf: &mut Vec<u8>) -> u32 {
    let mut out = Reply::new(buf, client.resp3);
    let Some(cmd) = resolve(server, args, &mut out) else {
        return out.errors;
    };
    if !cmd.arity_ok(args.len()) {
        out.error(&format!(
            "ERR wrong number of arguments for '{}' command",
            cmd.fullname
        ));
        server.stats.counters.rejected(&server.commands, cmd);
        return out.errors;
    }
    if !client.authenticated && !cmd.has(flag::NO_AUTH) && auth::required(&server.config) {
        out.error(auth::NOAUTH);
        return out.errors;
    }
    let Some(handler) = cmd.handler else {
        return out.errors;
    };
    client.handle.set_last_cmd(cmd);
    let started = crate::observe::start();
    let mut locked = lock_keys(server, client.db, cmd, args);
    locked.no_touch = client.no_touch && cmd.name != "touch";
    let mut ctx = Ctx {
        server,
        client,
        args: *args,
        out,
        locked,
        command: cmd,
    };
    let ran = run_guarded(handler, &mut ctx);
    let Ctx {
        locked,
        out,
        client,
        ..
    } = ctx;
    if ran {
        propagate(cmd, client.db, args, locked);
        monitor::feed(server, client, cmd, args);
    } else {
        drop(locked);
    }
    crate::observe::finish(server, client, cmd, args, started, out.errors > 0);
    out.errors
}

/// Runs a handler so that a panic in it costs only this command: whatever
/// it had written is dropped (a half-written reply would corrupt the
/// stream) and the client gets an error instead. Returns whether it ran to
/// completion.
fn run_guarded(handler: super::Handler, ctx: &mut Ctx<'_>) -> bool {
    let mark = ctx.out.mark();
    if catch_unwind(AssertUnwindSafe(|| handler(ctx))).is_ok() {
        return true;
    }
    ctx.out.truncate(mark);
    ctx.out.error(&format!(
        "ERR internal error while running '{}'; the server goes on",
        ctx.command.fullname
    ));
    false
}

/// Finds the table entry for `args`, descending into subcommands; replies
/// with Redis's error when there is none.
fn resolve<'s>(server: &'s Server, args: &Args<'_>, out: &mut Reply<'_>) -> Option<&'s Command> {
    let name = args.get(0);
    let Some(cmd) = server.commands.lookup(name) else {
        out.error_bytes(&unknown_command(name, args));
        return None;
    };
    // COMMAND alone runs the container's own handler; its subcommands need a name.
    if cmd.subcommands.is_empty() || (args.len() < 2 && cmd.handler.is_some()) {
        return Some(cmd);
    }
    if args.len() < 2 {
        out.error(&format!(
            "ERR wrong number of arguments for '{}' command",
            cmd.fullname
        ));
        return None;
    }
    let sub_name = args.get(1);
    match cmd.subcommand(sub_name) {
        Some(sub) => Some(sub),
        None => {
            let mut msg = b"ERR unknown subcommand '".to_vec();
            msg.extend_from_slice(c_string(sub_name, 128));
            msg.extend_from_slice(
                format!("'. Try {} HELP.", cmd.name.to_ascii_uppercase()).as_bytes(),
            );
            out.error_bytes(&msg);
            None
        }
    }
}

/// Redis's text for a command it does not know, quoting the first arguments.
fn unknown_command(name: &[u8], args: &Args<'_>) -> Vec<u8> {
    let mut msg = b"ERR unknown command '".to_vec();
    msg.extend_from_slice(c_string(name, 128));
    msg.extend_from_slice(b"', with args beginning with: ");
    let quoted_from = msg.len();
    for arg in args.iter().skip(1) {
        let used = msg.len() - quoted_from;
        if used >= 128 {
            break;
        }
        msg.push(b'\'');
        msg.extend_from_slice(c_string(arg, 128 - used));
        msg.extend_from_slice(b"' ");
    }
    msg
}

/// Locks the shards of the command's keys in the client's database.
fn lock_keys<'s>(server: &'s Server, db: usize, cmd: &Command, args: &Args<'_>) -> Locked<'s> {
    let keyspace = &server.keyspace;
    if let [spec] = cmd.key_specs.as_slice()
        && spec == &super::KeySpec::at(1, spec.flags)
        && args.len() > 1
    {
        return keyspace.lock_key(db, args.get(1));
    }
    if cmd.key_specs.is_empty() {
        return keyspace.lock_none();
    }
    let mut positions = Vec::new();
    // Malformed key arguments are the command's to report; lock what was found.
    let _ = key_positions(cmd, args, &mut positions);
    keyspace.lock_keys(db, positions.iter().map(|&(i, _)| args.get(i)))
}

/// Emits the command's own argv to the effect stream when a write changed
/// something and did not emit a rewritten record itself. Runs before the
/// locks drop, so the stream order matches the order writes were applied.
fn propagate(cmd: &Command, db: usize, args: &Args<'_>, mut locked: Locked<'_>) {
    if locked.dirty == 0 || locked.effects_emitted || !cmd.has(flag::WRITE) {
        return;
    }
    if locked.keyspace().effects.active() {
        let argv: Vec<&[u8]> = args.iter().collect();
        locked.emit(db, &argv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn exploding(ctx: &mut Ctx<'_>) {
        ctx.out.array(3);
        ctx.out.bulk(b"half a reply");
        panic!("a bug in a command");
    }

    #[test]
    fn a_panicking_command_answers_an_error_and_leaves_no_partial_reply() {
        let server = Server::new(Config::default());
        let mut client = Client::new(1, String::new(), String::new());
        let command = Command::new("boom", 1, exploding);
        let mut buf = b"+earlier reply\r\n".to_vec();
        let mut ctx = Ctx {
            server: &server,
            client: &mut client,
            args: Args::new(b"boom", &[(0, 4)]),
            out: Reply::new(&mut buf, false),
            locked: server.keyspace.lock_none(),
            command: &command,
        };
        assert!(!run_guarded(exploding, &mut ctx));
        drop(ctx);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "+earlier reply\r\n-ERR internal error while running 'boom'; the server goes on\r\n"
        );
    }
}
