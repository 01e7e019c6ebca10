//! The string family: commands that read or rewrite string values (GET, SET
//! and its variants, counters, ranges, LCS).
//!
//! SET, SETNX, SETEX, PSETEX and GETSET are one write with different option
//! sets and replies, so they share [`set_generic`]; SET and GETEX share one
//! option parser for the EX/PX/EXAT/PXAT family. Writes whose argv would not
//! replay to the same state (relative TTLs, float arithmetic) emit an
//! absolute form to the effect stream themselves.

use std::ops::Range;

use super::{NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::command::{Args, Command, Ctx, Handler, KeySpec, acl, flag, key};
use crate::keyspace::{Ttl, Value};
use crate::util::num::{incr_by_float, parse_i64};

const OVERFLOW: &str = "ERR increment or decrement would overflow";
const TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
const LCS_NOT_STRINGS: &str = "ERR The specified keys must contain string values";
const LCS_LEN_AND_IDX: &str = "ERR If you want both the length and indexes, please just use IDX.";
const LCS_TOO_BIG: &str =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
const LCS_ALLOC_FAILED: &str =
    "ERR Insufficient memory, failed allocating transient memory for LCS";

pub fn register(t: &mut Vec<Command>) {
    register_reads(t);
    register_sets(t);
    register_edits(t);
    register_counters(t);
}

/// A string command whose one key is argument 1: the shape of most of this family.
fn one_key(name: &'static str, arity: i32, handler: Handler, flags: u32, keys: u32) -> Command {
    Command::new(name, arity, handler)
        .flags(flags)
        .acl(acl::STRING)
        .key(KeySpec::at(1, keys))
}

const RANGE_COMPLEXITY: &str = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.";

fn register_reads(t: &mut Vec<Command>) {
    let read = flag::READONLY;
    let ro_access = key::RO | key::ACCESS;
    t.push(
        one_key("get", 2, get, read | flag::FAST, ro_access)
            .doc(
                "string",
                "1.0.0",
                "O(1)",
                "Returns the string value of a key.",
            )
            .args("key"),
    );
    t.push(
        Command::new("mget", -2, mget)
            .flags(read | flag::FAST)
            .acl(acl::STRING)
            .key(KeySpec::range(1, -1, 1, ro_access))
            .tips(&["request_policy:multi_shard"])
            .doc(
                "string",
                "1.0.0",
                "O(N) where N is the number of keys to retrieve.",
                "Returns the string values of one or more keys.",
            )
            .args("key [key ...]"),
    );
    t.push(
        one_key("strlen", 2, strlen, read | flag::FAST, key::RO)
            .doc(
                "string",
                "2.2.0",
                "O(1)",
                "Returns the length of a string value.",
            )
            .args("key"),
    );
    t.push(
        one_key("getrange", 4, getrange, read, ro_access)
            .doc(
                "string",
                "2.4.0",
                RANGE_COMPLEXITY,
                "Returns a substring of the string stored at a key.",
            )
            .args("key start end"),
    );
    t.push(
        one_key("substr", 4, getrange, read, ro_access)
            .doc(
                "string",
                "1.0.0",
                RANGE_COMPLEXITY,
                "Returns a substring from a string value (an older name of GETRANGE).",
            )
            .args("key start end"),
    );
    t.push(
        Command::new("lcs", -3, lcs)
            .flags(read)
            .acl(acl::STRING)
            .key(KeySpec::range(1, 1, 1, ro_access))
            .doc(
                "string",
                "7.0.0",
                "O(N*M) where N and M are the lengths of s1 and s2, respectively",
                "Finds the longest common subsequence of two string values.",
            )
            .args("key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]"),
    );
}

fn register_sets(t: &mut Vec<Command>) {
    let write = flag::WRITE | flag::DENYOOM;
    t.push(
        one_key("set", -3, set, write, key::RW | key::ACCESS | key::UPDATE | key::VARIABLE_FLAGS)
            .doc(
                "string",
                "1.0.0",
                "O(1)",
                "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
            )
            .args("key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"),
    );
    t.push(
        one_key("setnx", 3, setnx, write | flag::FAST, key::OW | key::INSERT)
            .doc(
                "string",
                "1.0.0",
                "O(1)",
                "Sets a key's string value only when the key is missing.",
            )
            .args("key value"),
    );
    t.push(
        one_key("setex", 4, setex, write, key::OW | key::UPDATE)
            .doc(
                "string",
                "2.0.0",
                "O(1)",
                "Sets a key's string value with a time to live in seconds.",
            )
            .args("key seconds value"),
    );
    t.push(
        one_key("psetex", 4, psetex, write, key::OW | key::UPDATE)
            .doc(
                "string",
                "2.6.0",
                "O(1)",
                "Sets a key's string value with a time to live in milliseconds.",
            )
            .args("key milliseconds value"),
    );
    t.push(
        one_key(
            "getset",
            3,
            getset,
            write | flag::FAST,
            key::RW | key::ACCESS | key::UPDATE,
        )
        .doc(
            "string",
            "1.0.0",
            "O(1)",
            "Replaces a key's string value and returns the previous one.",
        )
        .args("key value"),
    );
    t.push(
        one_key("getex", -2, getex, flag::WRITE | flag::FAST, key::RW | key::ACCESS | key::UPDATE)
            .doc("string", "6.2.0", "O(1)", "Returns a key's string value after changing or removing its expiration.")
            .args("key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]"),
    );
    t.push(
        one_key(
            "getdel",
            2,
            getdel,
            flag::WRITE | flag::FAST,
            key::RW | key::ACCESS | key::DELETE,
        )
        .doc(
            "string",
            "6.2.0",
            "O(1)",
            "Returns a key's string value and deletes the key.",
        )
        .args("key"),
    );
    let pairs = |name, handler: Handler, keys| {
        Command::new(name, -3, handler)
            .flags(write)
            .acl(acl::STRING)
            .key(KeySpec::range(1, -1, 2, keys))
            .args("key value [key value ...]")
    };
    t.push(
        pairs("mset", mset, key::OW | key::UPDATE)
            .tips(&[
                "request_policy:multi_shard",
                "response_policy:all_succeeded",
            ])
            .doc(
                "string",
                "1.0.1",
                "O(N) where N is the number of keys to set.",
                "Sets the string values of several keys at once.",
            ),
    );
    t.push(pairs("msetnx", msetnx, key::OW | key::INSERT).doc(
        "string",
        "1.0.1",
        "O(N) where N is the number of keys to set.",
        "Sets several keys' string values, only if none of the keys exists.",
    ));
}

fn register_edits(t: &mut Vec<Command>) {
    let write = flag::WRITE | flag::DENYOOM;
    t.push(
        one_key("append", 3, append, write | flag::FAST, key::RW | key::INSERT)
            .doc(
                "string",
                "2.0.0",
                "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
                "Appends to a key's string value, creating the key if needed.",
            )
            .args("key value"),
    );
    t.push(
        one_key("setrange", 4, setrange, write, key::RW | key::UPDATE)
            .doc(
                "string",
                "2.2.0",
                "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
                "Overwrites part of a string value from an offset, padding with zero bytes.",
            )
            .args("key offset value"),
    );
}

fn register_counters(t: &mut Vec<Command>) {
    let counter = |name, arity, handler: Handler, since, summary, grammar| {
        one_key(
            name,
            arity,
            handler,
            flag::WRITE | flag::DENYOOM | flag::FAST,
            key::RW | key::ACCESS | key::UPDATE,
        )
        .doc("string", since, "O(1)", summary)
        .args(grammar)
    };
    t.push(counter(
        "incr",
        2,
        incr,
        "1.0.0",
        "Adds one to a key's integer value.",
        "key",
    ));
    t.push(counter(
        "decr",
        2,
        decr,
        "1.0.0",
        "Subtracts one from a key's integer value.",
        "key",
    ));
    t.push(counter(
        "incrby",
        3,
        incrby,
        "1.0.0",
        "Adds a number to a key's integer value.",
        "key increment",
    ));
    t.push(counter(
        "decrby",
        3,
        decrby,
        "1.0.0",
        "Subtracts a number from a key's integer value.",
        "key decrement",
    ));
    t.push(counter(
        "incrbyfloat",
        3,
        incrbyfloat,
        "2.6.0",
        "Adds a floating point number to a key's numeric value.",
        "key increment",
    ));
}

/// Replies with a key's string value, null if missing; false if it holds another type.
fn reply_string(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let mut db = ctx.locked.db(ctx.client.db);
    match db.lookup_read(key).map(|v| v.str_bytes()) {
        None => ctx.out.null(),
        Some(Some(mut bytes)) => ctx.out.bulk(bytes.as_slice()),
        Some(None) => {
            ctx.out.error(WRONGTYPE);
            return false;
        }
    }
    true
}

fn get(ctx: &mut Ctx<'_>) {
    let key = ctx.arg(1);
    reply_string(ctx, key);
}

// ---- expiry options -------------------------------------------------------

/// The four ways an expiry argument can be given.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ExpireForm {
    Ex,
    Px,
    ExAt,
    PxAt,
}

impl ExpireForm {
    fn from_token(token: &[u8]) -> Option<ExpireForm> {
        [
            (ExpireForm::Ex, "EX"),
            (ExpireForm::Px, "PX"),
            (ExpireForm::ExAt, "EXAT"),
            (ExpireForm::PxAt, "PXAT"),
        ]
        .into_iter()
        .find(|(_, name)| token.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(form, _)| form)
    }

    fn unit_ms(self) -> i64 {
        match self {
            ExpireForm::Ex | ExpireForm::ExAt => 1000,
            ExpireForm::Px | ExpireForm::PxAt => 1,
        }
    }

    fn absolute(self) -> bool {
        matches!(self, ExpireForm::ExAt | ExpireForm::PxAt)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum ExpireError {
    NotInteger,
    Invalid,
}

impl ExpireError {
    fn reply(self, ctx: &mut Ctx<'_>) {
        match self {
            ExpireError::NotInteger => ctx.out.error(NOT_INTEGER),
            ExpireError::Invalid => ctx.out.error(&format!(
                "ERR invalid expire time in '{}' command",
                ctx.command.fullname
            )),
        }
    }
}

/// Turns an expiry argument into absolute unix ms. Zero, negative and
/// overflowing times are invalid, as Redis treats them for SET and GETEX; an
/// absolute time in the past is valid (the key is simply already expired).
fn resolve_expire(form: ExpireForm, arg: &[u8], now: i64) -> Result<i64, ExpireError> {
    let n = parse_i64(arg).ok_or(ExpireError::NotInteger)?;
    if n <= 0 {
        return Err(ExpireError::Invalid);
    }
    let ms = n.checked_mul(form.unit_ms()).ok_or(ExpireError::Invalid)?;
    if form.absolute() {
        return Ok(ms);
    }
    ms.checked_add(now).ok_or(ExpireError::Invalid)
}

/// What the options ask of the key's time to live.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TtlOption {
    Unset,
    /// The form and the position of its argument.
    Expire(ExpireForm, usize),
    KeepTtl,
    Persist,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Condition {
    Always,
    Nx,
    Xx,
}

#[derive(Debug, PartialEq, Eq)]
struct StringOptions {
    condition: Condition,
    get: bool,
    ttl: TtlOption,
}

/// Which command's options are parsed: SET takes NX, XX, GET and KEEPTTL;
/// GETEX takes PERSIST; both take the expiry forms.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OptionSet {
    Set,
    Getex,
}

/// Parses options from argument `from` on; `None` is a syntax error.
/// Repeating an option is allowed (the last expiry value wins); options that
/// contradict each other are not.
fn parse_options(args: Args<'_>, from: usize, set: OptionSet) -> Option<StringOptions> {
    let mut o = StringOptions {
        condition: Condition::Always,
        get: false,
        ttl: TtlOption::Unset,
    };
    let for_set = set == OptionSet::Set;
    let mut i = from;
    while i < args.len() {
        let token = args.get(i);
        let is = |name: &str| token.eq_ignore_ascii_case(name.as_bytes());
        if for_set && is("NX") && o.condition != Condition::Xx {
            o.condition = Condition::Nx;
        } else if for_set && is("XX") && o.condition != Condition::Nx {
            o.condition = Condition::Xx;
        } else if for_set && is("GET") {
            o.get = true;
        } else if for_set && is("KEEPTTL") && matches!(o.ttl, TtlOption::Unset | TtlOption::KeepTtl)
        {
            o.ttl = TtlOption::KeepTtl;
        } else if !for_set
            && is("PERSIST")
            && matches!(o.ttl, TtlOption::Unset | TtlOption::Persist)
        {
            o.ttl = TtlOption::Persist;
        } else if let Some(form) = ExpireForm::from_token(token)
            && i + 1 < args.len()
            && match o.ttl {
                TtlOption::Unset => true,
                TtlOption::Expire(previous, _) => previous == form,
                _ => false,
            }
        {
            o.ttl = TtlOption::Expire(form, i + 1);
            i += 1;
        } else {
            return None;
        }
        i += 1;
    }
    Some(o)
}

// ---- SET and its variants -------------------------------------------------

/// The write shared by SET, SETNX, SETEX, PSETEX and GETSET. With `get` it
/// replies the old value first. Returns whether the value was stored, or
/// `None` after replying an error.
fn set_generic(
    ctx: &mut Ctx<'_>,
    (key, value): (&[u8], &[u8]),
    condition: Condition,
    get: bool,
    ttl: Ttl,
) -> Option<bool> {
    if get && !reply_string(ctx, key) {
        return None;
    }
    let mut db = ctx.db();
    let found = db.exists(key);
    if (condition == Condition::Nx && found) || (condition == Condition::Xx && !found) {
        return Some(false);
    }
    db.set(key, Value::from_bytes(value), ttl);
    if let Ttl::At(at) = ttl {
        let mut digits = itoa::Buffer::new();
        db.emit(&[b"SET", key, value, b"PXAT", digits.format(at).as_bytes()]);
    }
    Some(true)
}

fn set(ctx: &mut Ctx<'_>) {
    let Some(opts) = parse_options(ctx.args, 3, OptionSet::Set) else {
        ctx.out.error(SYNTAX);
        return;
    };
    let ttl = match opts.ttl {
        TtlOption::Expire(form, arg) => match resolve_expire(form, ctx.arg(arg), ctx.locked.now) {
            Ok(at) => Ttl::At(at),
            Err(e) => return e.reply(ctx),
        },
        TtlOption::KeepTtl => Ttl::Keep,
        TtlOption::Unset | TtlOption::Persist => Ttl::Clear,
    };
    let pair = (ctx.arg(1), ctx.arg(2));
    match set_generic(ctx, pair, opts.condition, opts.get, ttl) {
        Some(_) if opts.get => {}
        Some(true) => ctx.out.ok(),
        Some(false) => ctx.out.null(),
        None => {}
    }
}

fn setnx(ctx: &mut Ctx<'_>) {
    let pair = (ctx.arg(1), ctx.arg(2));
    if let Some(stored) = set_generic(ctx, pair, Condition::Nx, false, Ttl::Clear) {
        ctx.out.int(stored as i64);
    }
}

/// SETEX and PSETEX: `key time value` with a relative expiry.
fn set_with_expiry(ctx: &mut Ctx<'_>, form: ExpireForm) {
    let at = match resolve_expire(form, ctx.arg(2), ctx.locked.now) {
        Ok(at) => at,
        Err(e) => return e.reply(ctx),
    };
    let pair = (ctx.arg(1), ctx.arg(3));
    if set_generic(ctx, pair, Condition::Always, false, Ttl::At(at)).is_some() {
        ctx.out.ok();
    }
}

fn setex(ctx: &mut Ctx<'_>) {
    set_with_expiry(ctx, ExpireForm::Ex);
}

fn psetex(ctx: &mut Ctx<'_>) {
    set_with_expiry(ctx, ExpireForm::Px);
}

fn getset(ctx: &mut Ctx<'_>) {
    let pair = (ctx.arg(1), ctx.arg(2));
    set_generic(ctx, pair, Condition::Always, true, Ttl::Clear);
}

fn getex(ctx: &mut Ctx<'_>) {
    let Some(opts) = parse_options(ctx.args, 2, OptionSet::Getex) else {
        ctx.out.error(SYNTAX);
        return;
    };
    let key = ctx.arg(1);
    let now = ctx.locked.now;
    // Computed now, reported only once the key is known to be a string.
    let expire = match opts.ttl {
        TtlOption::Expire(form, arg) => Some(resolve_expire(form, ctx.arg(arg), now)),
        _ => None,
    };
    let mut db = ctx.locked.db(ctx.client.db);
    match db.lookup_read(key).map(|v| v.str_bytes()) {
        None => return ctx.out.null(),
        Some(None) => return ctx.out.error(WRONGTYPE),
        Some(Some(mut bytes)) => {
            if let Some(Err(e)) = expire {
                return e.reply(ctx);
            }
            ctx.out.bulk(bytes.as_slice());
        }
    }
    match expire {
        Some(Ok(at)) if at <= now => {
            db.remove(key);
            db.emit(&[b"DEL", key]);
        }
        Some(Ok(at)) => {
            db.set_expire(key, Some(at));
            let mut digits = itoa::Buffer::new();
            db.emit(&[b"PEXPIREAT", key, digits.format(at).as_bytes()]);
        }
        _ if opts.ttl == TtlOption::Persist && db.expire_at(key).is_some() => {
            db.set_expire(key, None);
            db.emit(&[b"PERSIST", key]);
        }
        _ => {}
    }
}

fn getdel(ctx: &mut Ctx<'_>) {
    let key = ctx.arg(1);
    let mut db = ctx.locked.db(ctx.client.db);
    match db.lookup_read(key).map(|v| v.str_bytes()) {
        None => return ctx.out.null(),
        Some(None) => return ctx.out.error(WRONGTYPE),
        Some(Some(mut bytes)) => ctx.out.bulk(bytes.as_slice()),
    }
    db.remove(key);
    db.emit(&[b"DEL", key]);
}

// ---- several keys ---------------------------------------------------------

fn mget(ctx: &mut Ctx<'_>) {
    let args = ctx.args;
    ctx.out.array(args.len() - 1);
    let mut db = ctx.locked.db(ctx.client.db);
    for key in args.iter().skip(1) {
        // Keys of other types read as missing rather than failing the batch.
        match db.lookup_read(key).and_then(|v| v.str_bytes()) {
            Some(mut bytes) => ctx.out.bulk(bytes.as_slice()),
            None => ctx.out.null(),
        }
    }
}

/// MSET and MSETNX need key-value pairs, which arity alone cannot say.
fn has_pairs(ctx: &mut Ctx<'_>) -> bool {
    if ctx.args.len() % 2 == 1 {
        return true;
    }
    ctx.out.error(&format!(
        "ERR wrong number of arguments for '{}' command",
        ctx.command.fullname
    ));
    false
}

fn set_pairs(ctx: &mut Ctx<'_>) {
    let args = ctx.args;
    let mut db = ctx.db();
    for i in (1..args.len()).step_by(2) {
        db.set(args.get(i), Value::from_bytes(args.get(i + 1)), Ttl::Clear);
    }
}

fn mset(ctx: &mut Ctx<'_>) {
    if has_pairs(ctx) {
        set_pairs(ctx);
        ctx.out.ok();
    }
}

fn msetnx(ctx: &mut Ctx<'_>) {
    if !has_pairs(ctx) {
        return;
    }
    let args = ctx.args;
    let mut db = ctx.db();
    // Every key's shard is locked for the whole command, so the check and
    // the writes are one atomic step.
    let any_exists = (1..args.len()).step_by(2).any(|i| db.exists(args.get(i)));
    if !any_exists {
        set_pairs(ctx);
    }
    ctx.out.int(!any_exists as i64);
}

// ---- lengths, ranges and in-place edits ----------------------------------

fn strlen(ctx: &mut Ctx<'_>) {
    let key = ctx.arg(1);
    let mut db = ctx.locked.db(ctx.client.db);
    match db.lookup_read(key) {
        None => ctx.out.int(0),
        Some(v) if v.is_string() => ctx.out.int(v.str_len() as i64),
        Some(_) => ctx.out.error(WRONGTYPE),
    }
}

/// The bytes GETRANGE returns for inclusive `start..=end` over a string of
/// `len` bytes: negative indexes count from the end and are clamped to the
/// string, as Redis 7.2 does (so `0 -100` still yields the first byte).
fn byte_range(len: usize, start: i64, end: i64) -> Option<Range<usize>> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let len = len as i64;
    let from_end = |i: i64| if i < 0 { (len + i).max(0) } else { i };
    let (start, end) = (from_end(start), from_end(end).min(len - 1));
    if len == 0 || start > end {
        return None;
    }
    Some(start as usize..end as usize + 1)
}

fn getrange(ctx: &mut Ctx<'_>) {
    let (Some(start), Some(end)) = (parse_i64(ctx.arg(2)), parse_i64(ctx.arg(3))) else {
        return ctx.out.error(NOT_INTEGER);
    };
    let key = ctx.arg(1);
    let mut db = ctx.locked.db(ctx.client.db);
    match db.lookup_read(key).map(|v| v.str_bytes()) {
        None => ctx.out.bulk(b""),
        Some(None) => ctx.out.error(WRONGTYPE),
        Some(Some(mut bytes)) => {
            let bytes = bytes.as_slice();
            let range = byte_range(bytes.len(), start, end).unwrap_or(0..0);
            ctx.out.bulk(&bytes[range]);
        }
    }
}

/// Whether a string of `base + extra` bytes stays within proto-max-bulk-len.
fn fits(limit: usize, base: u64, extra: usize) -> bool {
    base.checked_add(extra as u64)
        .is_some_and(|total| total <= limit as u64)
}

fn append(ctx: &mut Ctx<'_>) {
    let (key, suffix) = (ctx.arg(1), ctx.arg(2));
    let limit = ctx.server.config.proto_max_bulk_len();
    let mut db = ctx.locked.db(ctx.client.db);
    let len = match db.get(key) {
        None => {
            db.set(key, Value::from_bytes(suffix), Ttl::Clear);
            suffix.len()
        }
        Some(v) if !v.is_string() => return ctx.out.error(WRONGTYPE),
        Some(v) if !fits(limit, v.str_len() as u64, suffix.len()) => {
            return ctx.out.error(TOO_LONG);
        }
        Some(v) => {
            // Growing in place switches the value to `raw`, as in Redis.
            let buf = v.make_raw();
            buf.extend_from_slice(suffix);
            let len = buf.len();
            db.modified(key);
            len
        }
    };
    ctx.out.int(len as i64);
}

fn setrange(ctx: &mut Ctx<'_>) {
    let Some(offset) = parse_i64(ctx.arg(2)) else {
        return ctx.out.error(NOT_INTEGER);
    };
    let Ok(offset) = u64::try_from(offset) else {
        return ctx.out.error("ERR offset is out of range");
    };
    let (key, patch) = (ctx.arg(1), ctx.arg(3));
    let limit = ctx.server.config.proto_max_bulk_len();
    let mut db = ctx.locked.db(ctx.client.db);
    let len = match db.get(key) {
        Some(v) if !v.is_string() => return ctx.out.error(WRONGTYPE),
        // Writing nothing changes nothing, not even a missing key.
        None if patch.is_empty() => 0,
        Some(v) if patch.is_empty() => v.str_len(),
        _ if !fits(limit, offset, patch.len()) => return ctx.out.error(TOO_LONG),
        None => {
            let mut buf = vec![0u8; offset as usize];
            buf.extend_from_slice(patch);
            let len = buf.len();
            db.set(key, Value::raw(buf), Ttl::Clear);
            len
        }
        Some(v) => {
            let buf = v.make_raw();
            let (start, end) = (offset as usize, offset as usize + patch.len());
            if buf.len() < end {
                buf.resize(end, 0);
            }
            buf[start..end].copy_from_slice(patch);
            let len = buf.len();
            db.modified(key);
            len
        }
    };
    ctx.out.int(len as i64);
}

// ---- counters -------------------------------------------------------------

/// A value as a 64-bit integer, or the error text to reply.
fn integer_value(v: &Value) -> Result<i64, &'static str> {
    if let Value::Int(n) = v {
        return Ok(*n);
    }
    let mut bytes = v.str_bytes().ok_or(WRONGTYPE)?;
    parse_i64(bytes.as_slice()).ok_or(NOT_INTEGER)
}

/// Adds `delta` to the key's integer value in place, keeping its time to live.
fn incr_by(ctx: &mut Ctx<'_>, delta: i64) {
    let key = ctx.arg(1);
    let mut db = ctx.locked.db(ctx.client.db);
    let next = match db.get(key) {
        None => {
            db.set(key, Value::Int(delta), Ttl::Clear);
            delta
        }
        Some(v) => {
            let current = match integer_value(v) {
                Ok(n) => n,
                Err(msg) => return ctx.out.error(msg),
            };
            let Some(next) = current.checked_add(delta) else {
                return ctx.out.error(OVERFLOW);
            };
            *v = Value::Int(next);
            db.modified(key);
            next
        }
    };
    ctx.out.int(next);
}

fn incr(ctx: &mut Ctx<'_>) {
    incr_by(ctx, 1);
}

fn decr(ctx: &mut Ctx<'_>) {
    incr_by(ctx, -1);
}

fn incrby(ctx: &mut Ctx<'_>) {
    match parse_i64(ctx.arg(2)) {
        Some(delta) => incr_by(ctx, delta),
        None => ctx.out.error(NOT_INTEGER),
    }
}

fn decrby(ctx: &mut Ctx<'_>) {
    match parse_i64(ctx.arg(2)) {
        // Its negation does not exist, so Redis refuses it up front.
        Some(i64::MIN) => ctx.out.error("ERR decrement would overflow"),
        Some(delta) => incr_by(ctx, -delta),
        None => ctx.out.error(NOT_INTEGER),
    }
}

fn incrbyfloat(ctx: &mut Ctx<'_>) {
    let (key, incr) = (ctx.arg(1), ctx.arg(2));
    let mut db = ctx.locked.db(ctx.client.db);
    let sum = match db.get(key).map(|v| v.str_bytes()) {
        None => incr_by_float(b"0", incr),
        Some(Some(mut current)) => incr_by_float(current.as_slice(), incr),
        Some(None) => return ctx.out.error(WRONGTYPE),
    };
    let text = match sum {
        Ok(text) => text,
        Err(e) => return ctx.out.error(e.incrbyfloat_reply()),
    };
    // Redis stores the result as text (embstr), never as an int.
    db.set(key, Value::from_bytes_no_int(&text), Ttl::Keep);
    // Float arithmetic may round differently elsewhere; replay the result.
    db.emit(&[b"SET", key, &text, b"KEEPTTL"]);
    ctx.out.bulk(&text);
}

// ---- LCS --------------------------------------------------------------------

#[derive(Debug, Default, PartialEq, Eq)]
struct LcsOptions {
    len: bool,
    idx: bool,
    min_match_len: u64,
    with_match_len: bool,
}

fn parse_lcs_options(args: Args<'_>) -> Result<LcsOptions, &'static str> {
    let mut o = LcsOptions::default();
    let mut i = 3;
    while i < args.len() {
        let token = args.get(i);
        let is = |name: &str| token.eq_ignore_ascii_case(name.as_bytes());
        if is("LEN") {
            o.len = true;
        } else if is("IDX") {
            o.idx = true;
        } else if is("WITHMATCHLEN") {
            o.with_match_len = true;
        } else if is("MINMATCHLEN") && i + 1 < args.len() {
            let n = parse_i64(args.get(i + 1)).ok_or(NOT_INTEGER)?;
            o.min_match_len = n.max(0) as u64;
            i += 1;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    if o.len && o.idx {
        return Err(LCS_LEN_AND_IDX);
    }
    Ok(o)
}

/// One run of the common subsequence: inclusive byte ranges in each string.
#[derive(Debug, PartialEq, Eq)]
struct LcsMatch {
    a: (usize, usize),
    b: (usize, usize),
}

impl LcsMatch {
    fn len(&self) -> usize {
        self.a.1 - self.a.0 + 1
    }
}

/// The longest common subsequence of two strings, and the contiguous runs
/// it is made of, listed from the end of the strings backwards as Redis
/// walks them.
#[derive(Debug, PartialEq, Eq)]
struct Lcs {
    text: Vec<u8>,
    matches: Vec<LcsMatch>,
}

/// Table cells needed for two strings, if the table fits in `limit` bytes.
fn lcs_cells(a: &[u8], b: &[u8], limit: usize) -> Option<usize> {
    let cells = (a.len() as u64 + 1).checked_mul(b.len() as u64 + 1)?;
    let bytes = cells.checked_mul(std::mem::size_of::<u32>() as u64)?;
    (bytes <= limit as u64).then_some(cells as usize)
}

/// Fills the dynamic-programming table (`table` holds `cells` zeros on entry):
/// cell (i, j) is the LCS length of `a[..i]` and `b[..j]`.
fn lcs_fill(a: &[u8], b: &[u8], table: &mut [u32]) {
    let width = b.len() + 1;
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
}

/// Walks the filled table back from the end, collecting the subsequence and
/// the runs of at least `min_len` bytes.
fn lcs_walk(a: &[u8], b: &[u8], table: &[u32], min_len: u64) -> Lcs {
    let width = b.len() + 1;
    let at = |i: usize, j: usize| table[i * width + j];
    let mut text = vec![0u8; at(a.len(), b.len()) as usize];
    let mut matches = Vec::new();
    let mut run: Option<LcsMatch> = None;
    let mut emit = |run: &mut Option<LcsMatch>| {
        if let Some(m) = run.take()
            && m.len() as u64 >= min_len
        {
            matches.push(m);
        }
    };
    let (mut i, mut j, mut k) = (a.len(), b.len(), text.len());
    while i > 0 && j > 0 {
        if a[i - 1] == b[j - 1] {
            k -= 1;
            text[k] = a[i - 1];
            i -= 1;
            j -= 1;
            match &mut run {
                Some(m) => {
                    m.a.0 = i;
                    m.b.0 = j;
                }
                None => {
                    run = Some(LcsMatch {
                        a: (i, i),
                        b: (j, j),
                    })
                }
            }
            if i == 0 || j == 0 {
                emit(&mut run);
            }
        } else {
            // Ties go to the second string, as Redis breaks them.
            if at(i - 1, j) > at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            emit(&mut run);
        }
    }
    Lcs { text, matches }
}

/// A string value's bytes for LCS: missing keys are empty strings.
fn lcs_operand(ctx: &mut Ctx<'_>, key: &[u8]) -> Option<Vec<u8>> {
    let mut db = ctx.locked.db(ctx.client.db);
    match db.lookup_read(key).map(|v| v.str_bytes()) {
        None => Some(Vec::new()),
        Some(Some(mut bytes)) => Some(bytes.as_slice().to_vec()),
        Some(None) => None,
    }
}

fn lcs(ctx: &mut Ctx<'_>) {
    let (Some(a), Some(b)) = (lcs_operand(ctx, ctx.arg(1)), lcs_operand(ctx, ctx.arg(2))) else {
        return ctx.out.error(LCS_NOT_STRINGS);
    };
    let opts = match parse_lcs_options(ctx.args) {
        Ok(opts) => opts,
        Err(msg) => return ctx.out.error(msg),
    };
    let Some(cells) = lcs_cells(&a, &b, ctx.server.config.proto_max_bulk_len()) else {
        return ctx.out.error(LCS_TOO_BIG);
    };
    let mut table = Vec::new();
    if table.try_reserve_exact(cells).is_err() {
        return ctx.out.error(LCS_ALLOC_FAILED);
    }
    table.resize(cells, 0u32);
    lcs_fill(&a, &b, &mut table);
    let lcs = lcs_walk(&a, &b, &table, opts.min_match_len);
    if opts.len {
        ctx.out.int(lcs.text.len() as i64);
    } else if opts.idx {
        reply_lcs_idx(ctx, &lcs, opts.with_match_len);
    } else {
        ctx.out.bulk(&lcs.text);
    }
}

fn reply_lcs_idx(ctx: &mut Ctx<'_>, lcs: &Lcs, with_len: bool) {
    let out = &mut ctx.out;
    out.map(2);
    out.bulk(b"matches");
    out.array(lcs.matches.len());
    for m in &lcs.matches {
        out.array(2 + with_len as usize);
        for (start, end) in [m.a, m.b] {
            out.array(2);
            out.int(start as i64);
            out.int(end as i64);
        }
        if with_len {
            out.int(m.len() as i64);
        }
    }
    out.bulk(b"len");
    out.int(lcs.text.len() as i64);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::dispatch::execute;
    use crate::config::Config;
    use crate::keyspace::now_ms;
    use crate::server::{Client, Server};

    /// Arguments laid out as the parser leaves them: one buffer and spans into it.
    fn packed(argv: &[&str]) -> (Vec<u8>, Vec<(usize, usize)>) {
        let mut base = Vec::new();
        let mut spans = Vec::new();
        for a in argv {
            let start = base.len();
            base.extend_from_slice(a.as_bytes());
            spans.push((start, base.len()));
        }
        (base, spans)
    }

    /// A server without sockets: commands run straight through the dispatcher.
    struct Harness {
        server: Server,
        client: Client,
    }

    impl Harness {
        fn new() -> Harness {
            Harness {
                server: Server::new(Config::default()),
                client: Client::new(1, String::new(), String::new()),
            }
        }

        fn run(&mut self, argv: &[&str]) -> String {
            let (base, spans) = packed(argv);
            let mut out = Vec::new();
            execute(
                &self.server,
                &mut self.client,
                Args::new(&base, &spans),
                &mut out,
            );
            String::from_utf8_lossy(&out).into_owned()
        }

        /// The effect records emitted while `argv` runs.
        fn effects_of(&mut self, argv: &[&str]) -> Vec<Vec<String>> {
            let rx = self.server.keyspace.effects.subscribe();
            self.run(argv);
            rx.try_iter()
                .map(|e| {
                    e.argv
                        .iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect()
                })
                .collect()
        }

        fn encoding(&self, key: &str) -> &'static str {
            let mut locked = self.server.keyspace.lock_key(0, key.as_bytes());
            locked.db(0).get(key.as_bytes()).unwrap().encoding()
        }
    }

    /// Asserts `effect` is `[prefix.., <abs ms>]` with the time about `in_ms` from now.
    fn assert_absolute(effect: &[String], prefix: &[&str], in_ms: i64) {
        assert_eq!(&effect[..prefix.len()], prefix);
        let at: i64 = effect[prefix.len()].parse().unwrap();
        assert!((at - now_ms() - in_ms).abs() < 5_000, "{effect:?}");
    }

    #[test]
    fn relative_set_expiries_replay_as_absolute_pxat() {
        let mut h = Harness::new();
        for argv in [
            &["SET", "k", "v", "EX", "100"][..],
            &["SET", "k", "v", "PX", "100000", "NX", "GET"],
            &["SETEX", "k", "100", "v"],
            &["PSETEX", "k", "100000", "v"],
        ] {
            h.run(&["GETDEL", "k"]);
            let effects = h.effects_of(argv);
            assert_eq!(effects.len(), 1, "{argv:?}");
            assert_absolute(&effects[0], &["SET", "k", "v", "PXAT"], 100_000);
        }
    }

    #[test]
    fn getex_replays_as_pexpireat_persist_or_del() {
        let mut h = Harness::new();
        h.run(&["SET", "k", "v"]);
        let effects = h.effects_of(&["GETEX", "k", "EX", "100"]);
        assert_absolute(&effects[0], &["PEXPIREAT", "k"], 100_000);
        assert_eq!(h.effects_of(&["GETEX", "k", "PERSIST"]), [["PERSIST", "k"]]);
        // Nothing to persist any more, so nothing changed and nothing is emitted.
        assert!(h.effects_of(&["GETEX", "k", "PERSIST"]).is_empty());
        assert_eq!(h.effects_of(&["GETEX", "k", "PXAT", "1"]), [["DEL", "k"]]);
    }

    #[test]
    fn incrbyfloat_replays_its_result_keeping_the_ttl() {
        let mut h = Harness::new();
        h.run(&["SET", "f", "1.5"]);
        assert_eq!(
            h.effects_of(&["INCRBYFLOAT", "f", "1"]),
            [["SET", "f", "2.5", "KEEPTTL"]]
        );
    }

    #[test]
    fn getdel_replays_as_del_and_deterministic_writes_as_their_argv() {
        let mut h = Harness::new();
        h.run(&["SET", "k", "v"]);
        assert_eq!(h.effects_of(&["GETDEL", "k"]), [["DEL", "k"]]);
        assert_eq!(h.effects_of(&["INCR", "n"]), [["INCR", "n"]]);
        assert_eq!(
            h.effects_of(&["SET", "k", "v", "PXAT", "9999999999999"]),
            [["SET", "k", "v", "PXAT", "9999999999999"]]
        );
        // A write that changed nothing emits nothing.
        assert!(h.effects_of(&["SET", "k", "w", "NX"]).is_empty());
    }

    #[test]
    fn encodings_follow_redis() {
        let mut h = Harness::new();
        h.run(&["SET", "k", "12"]);
        assert_eq!(h.encoding("k"), "int");
        h.run(&["APPEND", "k", "3"]);
        assert_eq!(h.encoding("k"), "raw");
        h.run(&["APPEND", "new", "12"]);
        assert_eq!(h.encoding("new"), "int");
        h.run(&["SETRANGE", "r", "0", "ab"]);
        assert_eq!(h.encoding("r"), "raw");
        h.run(&["INCRBYFLOAT", "f", "1"]);
        assert_eq!(h.encoding("f"), "embstr");
        h.run(&["SET", "i", "abc"]);
        h.run(&["SET", "i", "5"]);
        h.run(&["INCR", "i"]);
        assert_eq!(h.encoding("i"), "int");
    }

    #[test]
    fn getrange_clamps_like_redis_7_2() {
        let cases = [
            ((5, 0, -1), Some(0..5)),
            ((5, 0, -100), Some(0..1)),
            ((5, -1, -5), None),
            ((5, -100, -99), Some(0..1)),
            ((5, 3, 1), None),
            ((5, 10, 20), None),
            ((5, 4, 100), Some(4..5)),
            ((0, 0, -1), None),
            ((5, i64::MIN, i64::MAX), Some(0..5)),
        ];
        for ((len, start, end), want) in cases {
            assert_eq!(byte_range(len, start, end), want, "{len} {start} {end}");
        }
    }

    fn parse(argv: &[&str], set: OptionSet) -> Option<StringOptions> {
        let (base, spans) = packed(argv);
        let from = if set == OptionSet::Set { 3 } else { 2 };
        parse_options(Args::new(&base, &spans), from, set)
    }

    #[test]
    fn options_may_repeat_but_not_contradict() {
        let set = |a: &[&str]| parse(a, OptionSet::Set);
        let ok = set(&["SET", "k", "v", "ex", "1", "EX", "2", "nx", "NX", "get"]).unwrap();
        assert_eq!(ok.ttl, TtlOption::Expire(ExpireForm::Ex, 6));
        assert_eq!((ok.condition, ok.get), (Condition::Nx, true));
        for bad in [
            &["SET", "k", "v", "NX", "XX"][..],
            &["SET", "k", "v", "EX", "1", "PX", "1"],
            &["SET", "k", "v", "KEEPTTL", "EX", "1"],
            &["SET", "k", "v", "EX"],
            &["SET", "k", "v", "PERSIST"],
        ] {
            assert_eq!(set(bad), None, "{bad:?}");
        }
        let getex = |a: &[&str]| parse(a, OptionSet::Getex);
        assert_eq!(
            getex(&["GETEX", "k", "persist", "PERSIST"]).unwrap().ttl,
            TtlOption::Persist
        );
        for bad in [
            &["GETEX", "k", "KEEPTTL"][..],
            &["GETEX", "k", "NX"],
            &["GETEX", "k", "GET"],
            &["GETEX", "k", "PERSIST", "EX", "1"],
        ] {
            assert_eq!(getex(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn expiry_arguments_reject_non_positive_and_overflowing_times() {
        let now = 1_700_000_000_000;
        let r = |form, arg: &str| resolve_expire(form, arg.as_bytes(), now);
        assert_eq!(r(ExpireForm::Ex, "10"), Ok(now + 10_000));
        assert_eq!(r(ExpireForm::PxAt, "1"), Ok(1));
        assert_eq!(
            r(ExpireForm::ExAt, "9223372036854775"),
            Ok(9223372036854775000)
        );
        assert_eq!(r(ExpireForm::Ex, "1.5"), Err(ExpireError::NotInteger));
        for (form, arg) in [
            (ExpireForm::Ex, "0"),
            (ExpireForm::Px, "-1"),
            (ExpireForm::Ex, "9223372036854775807"),
            (ExpireForm::Ex, "9223372036854775"),
            (ExpireForm::Px, "9223372036854775807"),
            (ExpireForm::ExAt, "9223372036854776"),
        ] {
            assert_eq!(r(form, arg), Err(ExpireError::Invalid), "{form:?} {arg}");
        }
    }

    fn lcs_of(a: &str, b: &str, min_len: u64) -> Lcs {
        let cells = lcs_cells(a.as_bytes(), b.as_bytes(), usize::MAX).unwrap();
        let mut table = vec![0u32; cells];
        lcs_fill(a.as_bytes(), b.as_bytes(), &mut table);
        lcs_walk(a.as_bytes(), b.as_bytes(), &table, min_len)
    }

    #[test]
    fn lcs_lists_runs_from_the_end_backwards() {
        let lcs = lcs_of("ohmytext", "mynewtext", 0);
        assert_eq!(lcs.text, b"mytext");
        let runs: Vec<_> = lcs.matches.iter().map(|m| (m.a, m.b)).collect();
        assert_eq!(runs, [((4, 7), (5, 8)), ((2, 3), (0, 1))]);
        assert_eq!(lcs_of("ohmytext", "mynewtext", 3).matches.len(), 1);
        assert_eq!(
            lcs_of("", "abc", 0),
            Lcs {
                text: vec![],
                matches: vec![]
            }
        );
    }

    #[test]
    fn lcs_table_size_is_bounded_by_proto_max_bulk_len() {
        let (a, b) = (vec![b'a'; 511], vec![b'a'; 512]);
        assert_eq!(lcs_cells(&a, &a, 1 << 20), Some(512 * 512));
        assert_eq!(lcs_cells(&a, &b, 1 << 20), None);
    }
}
