//! SLOWLOG: reads and clears the log of commands that ran for at least
//! `slowlog-log-slower-than` microseconds (kept by `observe::slowlog`).

use crate::command::{Command, Ctx, flag};
use crate::protocol::reply::c_string;

pub fn register(t: &mut Vec<Command>) {
    let admin = |c: Command| c.flags(flag::ADMIN | flag::LOADING | flag::STALE);
    t.push(
        Command::container("slowlog", -2)
            .doc(
                "server",
                "2.2.12",
                "Depends on subcommand.",
                "Reads or clears the slow log.",
            )
            .sub(
                admin(Command::new("get", -2, slowlog_get))
                    .tips(&["request_policy:all_nodes", "nondeterministic_output"])
                    .doc(
                        "server",
                        "2.2.12",
                        "O(N) where N is the number of entries returned",
                        "Returns the newest entries of the slow log.",
                    )
                    .args("[count]"),
            )
            .sub(
                admin(Command::new("len", 2, slowlog_len))
                    .tips(&[
                        "request_policy:all_nodes",
                        "response_policy:agg_sum",
                        "nondeterministic_output",
                    ])
                    .doc(
                        "server",
                        "2.2.12",
                        "O(1)",
                        "Counts the entries in the slow log.",
                    ),
            )
            .sub(
                admin(Command::new("reset", 2, slowlog_reset))
                    .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
                    .doc(
                        "server",
                        "2.2.12",
                        "O(N) where N is the number of entries in the slowlog",
                        "Empties the slow log.",
                    ),
            )
            .sub(
                Command::new("help", 2, slowlog_help)
                    .flags(flag::LOADING | flag::STALE)
                    .doc(
                        "server",
                        "6.2.0",
                        "O(1)",
                        "Describes the SLOWLOG subcommands.",
                    ),
            ),
    );
}

/// Entries SLOWLOG GET returns without a count.
const DEFAULT_COUNT: i64 = 10;

fn slowlog_get(ctx: &mut Ctx<'_>) {
    if ctx.args.len() > 3 {
        let msg = [
            &b"ERR unknown subcommand or wrong number of arguments for '"[..],
            c_string(ctx.arg(1), usize::MAX),
            b"'. Try SLOWLOG HELP.",
        ];
        ctx.out.error_bytes(&msg.concat());
        return;
    }
    let count = match ctx.args.len() {
        3 => match parse_count(ctx.arg(2)) {
            Some(n) => n,
            None => {
                ctx.out
                    .error("ERR count should be greater than or equal to -1");
                return;
            }
        },
        _ => DEFAULT_COUNT,
    };
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let out = &mut ctx.out;
    ctx.server.stats.slowlog.newest(count, |entries| {
        out.array(entries.len());
        for e in entries {
            out.array(6);
            out.int(e.id as i64);
            out.int(e.time);
            out.int(e.micros as i64);
            out.array(e.argv.len());
            for a in &e.argv {
                out.bulk(a);
            }
            out.bulk(e.addr.as_bytes());
            out.bulk(&e.name);
        }
    });
}

/// A count of -1 (all) or more.
fn parse_count(arg: &[u8]) -> Option<i64> {
    crate::util::num::parse_i64(arg).filter(|&n| n >= -1)
}

fn slowlog_len(ctx: &mut Ctx<'_>) {
    ctx.out.int(ctx.server.stats.slowlog.len() as i64);
}

fn slowlog_reset(ctx: &mut Ctx<'_>) {
    ctx.server.stats.slowlog.reset();
    ctx.out.ok();
}

const HELP: &[&str] = &[
    "GET [<count>]",
    "    Returns the newest <count> entries (10 by default, -1 for all). Each",
    "    entry holds: id, unix time, duration in microseconds, the arguments,",
    "    the client's address and port, and the client's name.",
    "LEN",
    "    Returns how many entries the log holds.",
    "RESET",
    "    Empties the log.",
];

fn slowlog_help(ctx: &mut Ctx<'_>) {
    crate::commands::reply_help(ctx, HELP);
}
