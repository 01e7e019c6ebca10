//! The string family: GET, SET and the commands that read or rewrite string values.

use super::{NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::command::{Command, Ctx, KeySpec, acl, flag, key};
use crate::keyspace::{Ttl, Value};
use crate::util::num::parse_i64;

pub fn register(t: &mut Vec<Command>) {
    t.push(
        Command::new("get", 2, get)
            .flags(flag::READONLY | flag::FAST)
            .acl(acl::STRING)
            .key(KeySpec::at(1, key::RO | key::ACCESS))
            .doc(
                "string",
                "1.0.0",
                "O(1)",
                "Returns the string value of a key.",
            )
            .args("key"),
    );
    t.push(
        Command::new("set", -3, set)
            .flags(flag::WRITE | flag::DENYOOM)
            .acl(acl::STRING)
            .key(KeySpec::at(
                1,
                key::RW | key::ACCESS | key::UPDATE | key::VARIABLE_FLAGS,
            ))
            .doc(
                "string",
                "1.0.0",
                "O(1)",
                "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
            )
            .args("key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"),
    );
}

/// Replies with a key's string value, null if missing; false if it holds another type.
fn reply_string(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let mut db = ctx.locked.db(ctx.client.db);
    match db.lookup_read(key) {
        None => ctx.out.null(),
        Some(v) => match v.str_bytes() {
            Some(mut bytes) => ctx.out.bulk(bytes.as_slice()),
            None => {
                ctx.out.error(WRONGTYPE);
                return false;
            }
        },
    }
    true
}

fn get(ctx: &mut Ctx<'_>) {
    let key = ctx.arg(1);
    reply_string(ctx, key);
}

/// Options shared by SET and, later, GETEX.
#[derive(Default)]
struct SetOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    /// (unit in ms, absolute?, argument)
    expire: Option<(i64, bool, usize)>,
}

fn parse_set_options(ctx: &Ctx<'_>) -> Option<SetOptions> {
    let mut o = SetOptions::default();
    let mut i = 3;
    while i < ctx.args.len() {
        let opt = ctx.arg(i).to_ascii_uppercase();
        let has_next = i + 1 < ctx.args.len();
        match opt.as_slice() {
            b"NX" if !o.xx => o.nx = true,
            b"XX" if !o.nx => o.xx = true,
            b"GET" => o.get = true,
            b"KEEPTTL" if o.expire.is_none() => o.keep_ttl = true,
            b"EX" | b"PX" | b"EXAT" | b"PXAT" if o.expire.is_none() && !o.keep_ttl && has_next => {
                let unit = if opt[0] == b'E' { 1000 } else { 1 };
                o.expire = Some((unit, opt.ends_with(b"AT"), i + 1));
                i += 1;
            }
            _ => return None,
        }
        i += 1;
    }
    Some(o)
}

/// Turns an expire argument into absolute unix ms, replying with Redis's error if invalid.
pub fn expire_arg_to_ms(
    ctx: &mut Ctx<'_>,
    arg: &[u8],
    unit_ms: i64,
    absolute: bool,
) -> Option<i64> {
    let Some(n) = parse_i64(arg) else {
        ctx.out.error(NOT_INTEGER);
        return None;
    };
    let invalid = |ctx: &mut Ctx<'_>| {
        ctx.out.error(&format!(
            "ERR invalid expire time in '{}' command",
            ctx.command.fullname
        ));
    };
    if n <= 0 {
        invalid(ctx);
        return None;
    }
    let Some(ms) = n.checked_mul(unit_ms) else {
        invalid(ctx);
        return None;
    };
    if absolute {
        return Some(ms);
    }
    match ms.checked_add(ctx.locked.now) {
        Some(at) => Some(at),
        None => {
            invalid(ctx);
            None
        }
    }
}

fn set(ctx: &mut Ctx<'_>) {
    let Some(opts) = parse_set_options(ctx) else {
        ctx.out.error(SYNTAX);
        return;
    };
    let expire_at = match opts.expire {
        Some((unit, absolute, arg)) => match expire_arg_to_ms(ctx, ctx.arg(arg), unit, absolute) {
            Some(at) => Some(at),
            None => return,
        },
        None => None,
    };
    let (key, value) = (ctx.arg(1), ctx.arg(2));
    if opts.get && !reply_string(ctx, key) {
        return;
    }
    let mut db = ctx.db();
    let found = db.exists(key);
    if (opts.nx && found) || (opts.xx && !found) {
        if !opts.get {
            ctx.out.null();
        }
        return;
    }
    let ttl = match (expire_at, opts.keep_ttl) {
        (Some(at), _) => Ttl::At(at),
        (None, true) => Ttl::Keep,
        (None, false) => Ttl::Clear,
    };
    db.set(key, Value::from_bytes(value), ttl);
    if let Some(at) = expire_at {
        let mut digits = itoa::Buffer::new();
        db.emit(&[b"SET", key, value, b"PXAT", digits.format(at).as_bytes()]);
    }
    if !opts.get {
        ctx.out.ok();
    }
}
