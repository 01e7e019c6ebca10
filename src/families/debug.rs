//! DEBUG: the testing helpers.
//!
//! DEBUG is one command whose handler picks the subcommand itself, as in
//! Redis (it is not a container in the command table, so COMMAND INFO shows
//! no subcommands for it). Only the subcommands test suites and clients rely
//! on are implemented: SLEEP, SET-ACTIVE-EXPIRE, PROTOCOL and HELP. RELOAD
//! needs persistence and says so instead of pretending to work.

use std::time::Duration;

use super::{reply_help, subcommand_error};
use crate::command::{CmdResult, Command, Ctx, flag};

pub fn register(t: &mut Vec<Command>) {
    t.push(
        Command::new("debug", -2, debug)
            .flags(flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::PROTECTED)
            .doc(
                "server",
                "1.0.0",
                "Depends on subcommand.",
                "Debugging and testing helpers.",
            ),
    );
}

const DEBUG_HELP: &[&str] = &[
    "PROTOCOL <type>",
    "    Replies with a sample of one RESP type: string, integer, double, bignum,",
    "    null, array, set, map, attrib, push, verbatim, true or false.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    0 stops the background deletion of expired keys (lazy expiry goes on),",
    "    1 restarts it.",
    "SLEEP <seconds>",
    "    Blocks the connection's thread for <seconds> (decimals allowed).",
];

fn debug(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let sub = ctx.arg(1).to_ascii_lowercase();
    match (sub.as_slice(), ctx.args.len()) {
        (b"help", 2) => return reply_help(ctx, DEBUG_HELP),
        (b"sleep", 3) => {
            debug_sleep(atof(ctx.arg(2)));
            ctx.out.ok();
        }
        (b"set-active-expire", 3) => {
            ctx.set_active_expire(atoi(ctx.arg(2)) != 0);
            ctx.out.ok();
        }
        (b"protocol", 3) => {
            let kind = ctx.arg(2).to_ascii_lowercase();
            return debug_protocol(ctx, &kind);
        }
        (b"reload", _) => {
            return Err("ERR DEBUG RELOAD is not supported: this server has no persistence".into());
        }
        _ => return Err(subcommand_error(ctx)),
    }
    Ok(())
}

/// Blocks this worker thread, as Redis blocks its event loop.
fn debug_sleep(seconds: f64) {
    if seconds > 0.0 {
        std::thread::sleep(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX));
    }
}

/// Replies with a sample of one RESP type, exactly as Redis's DEBUG PROTOCOL does.
fn debug_protocol(ctx: &mut Ctx<'_, '_>, kind: &[u8]) -> CmdResult {
    let out = &mut ctx.out;
    match kind {
        b"string" => out.bulk(b"Hello World"),
        b"integer" => out.int(12345),
        // Redis's sample double is this literal, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        b"double" => out.double(3.141),
        b"bignum" => out.big_number("1234567999999999999999999999999999999"),
        b"null" => out.null(),
        b"array" | b"set" | b"map" => {
            match kind {
                b"array" => out.array(3),
                b"set" => out.set(3),
                _ => out.map(3),
            }
            for i in 0..3 {
                out.int(i);
                if kind == b"map" {
                    out.boolean(i == 1);
                }
            }
        }
        b"attrib" => {
            if out.is_resp3() {
                out.attribute(1);
                out.bulk(b"key-popularity");
                out.array(2);
                out.bulk(b"key:123");
                out.int(90);
            }
            out.bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if !out.is_resp3() {
                return Err("ERR RESP2 is not supported by this command".into());
            }
            out.push(2);
            out.bulk(b"server-cpu-usage");
            out.int(42);
            out.bulk(b"Some real reply following the push reply");
        }
        b"verbatim" => out.verbatim("txt", b"This is a verbatim\nstring"),
        b"true" => out.boolean(true),
        b"false" => out.boolean(false),
        _ => {
            return Err(
                "ERR Wrong protocol type name. Please use one of the following: \
                 string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"
                    .into(),
            );
        }
    }
    Ok(())
}

/// C's `atoi`: the leading integer, 0 when there is none; saturates instead of overflowing.
fn atoi(s: &[u8]) -> i64 {
    let s = trim_leading_space(s);
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, &d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if negative { -magnitude } else { magnitude }
}

/// C's `atof`: the longest leading decimal number, 0 when there is none.
fn atof(s: &[u8]) -> f64 {
    let s = trim_leading_space(s);
    let candidate = &s[..s
        .iter()
        .take(64)
        .take_while(|b| b.is_ascii_digit() || b"+-.eE".contains(b))
        .count()];
    (1..=candidate.len())
        .rev()
        .find_map(|end| std::str::from_utf8(&candidate[..end]).ok()?.parse().ok())
        .unwrap_or(0.0)
}

fn trim_leading_space(s: &[u8]) -> &[u8] {
    let start = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &s[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_reads_the_leading_integer_like_c() {
        assert_eq!(atoi(b"1"), 1);
        assert_eq!(atoi(b" -12abc"), -12);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(atoi(b""), 0);
        assert_eq!(atoi(b"99999999999999999999999"), i64::MAX);
    }

    #[test]
    fn atof_reads_the_leading_number_like_c() {
        assert_eq!(atof(b"0.5"), 0.5);
        assert_eq!(atof(b"1e-3s"), 0.001);
        assert_eq!(atof(b"abc"), 0.0);
        assert_eq!(atof(b"2."), 2.0);
        assert_eq!(atof(b"-"), 0.0);
    }
}
